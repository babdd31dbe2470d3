//! Golden outputs: what `coroner analyze` prints (text, Markdown, JSON) for every lab and reference
//! dump, and what `coroner investigate` prints for the bundled example incident. They pin the
//! behaviour across refactors: a change to any report shows here as a diff to review.
//!
//! Regenerate after an intended change with
//! `CORONER_BLESS=1 cargo test -p coroner-cli --test golden` and review `git diff`.
//! A golden file that is missing fails the test (blessing writes it).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Runs coroner from the workspace root with relative paths (so reports name the same paths on
/// every machine), offline and with a fresh symbol cache.
fn run(args: &[&str]) -> String {
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_coroner"))
        .current_dir(root())
        .env_remove("_NT_SYMBOL_PATH")
        .env_remove("_NT_ALT_SYMBOL_PATH")
        .env("TZ", "UTC")
        // The language comes from `--lang` only: the goldens must not depend on the locale.
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .args(args)
        .args(["--no-network", "--symbol-cache"])
        .arg(cache.path())
        .output()
        .expect("run coroner");
    let mut s = String::from_utf8(out.stdout).expect("UTF-8 output");
    if !out.stderr.is_empty() {
        s.push_str("\n--- stderr ---\n");
        s.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    s.push_str(&format!("\n--- exit {:?} ---\n", out.status.code()));
    s
}

/// Compares `got` with the golden file `rel`; with `CORONER_BLESS` set, writes it instead.
/// Returns a description of the difference, if any.
fn check(rel: &str, got: &str) -> Option<String> {
    let path = golden_dir().join(rel);
    if std::env::var_os("CORONER_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).expect("write golden file");
        return None;
    }
    let want = match std::fs::read_to_string(&path) {
        Ok(w) => w,
        Err(e) => {
            return Some(format!(
                "{}: golden file missing ({e}); CORONER_BLESS=1 writes it",
                path.display()
            ))
        }
    };
    let (want, got) = (separators(&want), separators(got));
    if want == got {
        return None;
    }
    let (i, a, b) = want
        .lines()
        .zip(got.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| (i, a.to_string(), b.to_string()))
        .unwrap_or((
            want.lines().count().min(got.lines().count()),
            "<end>".into(),
            "<end>".into(),
        ));
    Some(format!(
        "{} differs at line {}:\n  want: {a}\n  got:  {b}",
        path.display(),
        i + 1
    ))
}

/// On Windows (the CI runs these tests against coroner.exe under Wine), paths coroner joins
/// itself use `\`: compare with every separator as `/`, so the rest must match byte for byte.
fn separators(s: &str) -> String {
    if cfg!(windows) {
        s.replace("\\\\", "/").replace('\\', "/")
    } else {
        s.to_string()
    }
}

/// Every dump the project makes itself, as paths relative to the workspace root.
fn dumps() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["fixtures/lab", "fixtures/lab/arm64", "examples/reference"] {
        let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".dmp"))
            .collect();
        names.sort();
        out.extend(names.into_iter().map(|n| format!("{dir}/{n}")));
    }
    // Two of the lab's hang dumps (issue 13): a deadlock (x64) and threads blocked behind one
    // owner (x86); `coroner-analysis`'s `tests/hang.rs` checks all twelve against their truth.
    out.push("fixtures/lab/hang/deadlock-x64.dmp".into());
    out.push("fixtures/lab/hang/blocked-x86.dmp".into());
    out
}

fn golden_name(dump: &str) -> String {
    dump.trim_end_matches(".dmp").replace('/', "__")
}

fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} golden output(s) differ (CORONER_BLESS=1 cargo test -p coroner-cli --test golden regenerates; review the diff):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn analyze_format(format: &str, ext: &str) {
    let failures: Vec<String> = dumps()
        .iter()
        .filter_map(|d| {
            let got = run(&["analyze", "--format", format, d]);
            check(&format!("analyze/{}.{ext}", golden_name(d)), &got)
        })
        .collect();
    assert_none(failures);
}

#[test]
fn analyze_text() {
    analyze_format("text", "txt");
}

#[test]
fn analyze_markdown() {
    analyze_format("markdown", "md");
}

#[test]
fn analyze_json() {
    analyze_format("json", "json");
}

/// The HTML page of one dump (the browser test checks how it renders).
#[test]
fn analyze_html() {
    let d = "examples/reference/w3wp-abcupload-1.dmp";
    let got = run(&["analyze", "--format", "html", d]);
    assert_none(
        check(&format!("analyze/{}.html", golden_name(d)), &got)
            .into_iter()
            .collect(),
    );
}

/// All reference dumps in one run: the summary and grouping across dumps.
#[test]
fn analyze_batch_summary() {
    let mut args = vec!["analyze".to_string(), "--format".into(), "text".into()];
    args.extend(dumps().into_iter().filter(|d| d.starts_with("examples/")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_none(
        check("analyze/reference-batch.txt", &run(&args))
            .into_iter()
            .collect(),
    );
}

#[test]
fn investigate_example_incident() {
    let failures: Vec<String> = [
        ("text", "txt"),
        ("markdown", "md"),
        ("json", "json"),
        ("html", "html"),
    ]
    .iter()
    .filter_map(|(format, ext)| {
        let got = run(&["investigate", "--format", format, "examples/incident"]);
        check(&format!("investigate/incident.{ext}"), &got)
    })
    .collect();
    assert_none(failures);
}

/// The example incident in Korean (`--lang ko`): text, Markdown and HTML. The JSON document does
/// not change with the language (`tests/lang.rs` compares it).
#[test]
fn investigate_example_incident_korean() {
    let failures: Vec<String> = [("text", "txt"), ("markdown", "md"), ("html", "html")]
        .iter()
        .filter_map(|(format, ext)| {
            let got = run(&[
                "investigate",
                "--lang",
                "ko",
                "--format",
                format,
                "examples/incident",
            ]);
            check(&format!("investigate/incident.ko.{ext}"), &got)
        })
        .collect();
    assert_none(failures);
}

/// The MSVC-style x64 lab case with its PDB and without the image (`lab/msvc-x64/`): short
/// WinDbg names in text and Markdown, the signatures in JSON, callers found by scanning within
/// the PDB's function bounds.
#[test]
fn analyze_with_pdb_and_no_image() {
    let dump = "fixtures/lab/msvc-x64/msvcx64-normal.dmp";
    let failures: Vec<String> = [("text", "txt"), ("markdown", "md"), ("json", "json")]
        .iter()
        .filter_map(|(format, ext)| {
            let got = run(&[
                "analyze",
                "--format",
                format,
                "--symbols",
                "fixtures/lab/msvc-x64",
                dump,
            ]);
            check(&format!("analyze/{}.{ext}", golden_name(dump)), &got)
        })
        .collect();
    assert_none(failures);
}

/// The Korean reports (`--lang ko`) of the x86 reference lab dump and of a hang dump, in text,
/// Markdown and HTML: the words from the Korean tables, every fact and WinDbg block as in English.
#[test]
fn analyze_in_korean() {
    let dumps = [
        "fixtures/lab/reference-x86.dmp",
        "fixtures/lab/hang/deadlock-x64.dmp",
        "fixtures/lab/hang/blocked-x86.dmp",
    ];
    let failures: Vec<String> = dumps
        .iter()
        .flat_map(|d| {
            [("text", "txt"), ("markdown", "md"), ("html", "html")]
                .into_iter()
                .map(move |f| (d, f))
        })
        .filter_map(|(d, (format, ext))| {
            let got = run(&["analyze", "--lang", "ko", "--format", format, d]);
            check(&format!("analyze-ko/{}.{ext}", golden_name(d)), &got)
        })
        .collect();
    assert_none(failures);
}
