//! `--lang`: the Korean report keeps every fact of the English one and words every finding in
//! Korean; the JSON document is the same in both languages; the language defaults from the
//! locale (`LC_ALL`, `LC_MESSAGES`, `LANG`) and `--lang` wins over it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// coroner's stdout, offline, with the locale variables set as `env` says (unset otherwise).
fn run_env(args: &[&str], env: &[(&str, &str)]) -> String {
    let cache = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_coroner"));
    c.current_dir(root())
        .env_remove("_NT_SYMBOL_PATH")
        .env_remove("_NT_ALT_SYMBOL_PATH")
        .env("TZ", "UTC");
    for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c
        .args(args)
        .args(["--no-network", "--symbol-cache"])
        .arg(cache.path())
        .output()
        .expect("run coroner");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn run(args: &[&str]) -> String {
    run_env(args, &[])
}

/// Every lab and reference dump (as the goldens list them), relative to the workspace root.
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
    out.push("fixtures/lab/hang/deadlock-x64.dmp".into());
    out.push("fixtures/lab/hang/blocked-x86.dmp".into());
    out
}

fn hangul(s: &str) -> bool {
    s.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c))
}

/// The fact tokens of a report: numbers (hex or decimal, with WinDbg's backtick),
/// `module!function+0x…`, exception codes and names, buckets, file names.
fn facts(report: &str) -> BTreeSet<String> {
    let trim: &[char] = &[
        '(', ')', ',', ';', ':', '.', '"', '\'', '[', ']', '<', '>', '=',
    ];
    report
        .split(|c: char| c.is_whitespace())
        .map(|t| t.trim_matches(trim))
        .filter(|t| !t.is_empty())
        .filter(|t| {
            let lower = t.to_ascii_lowercase();
            let number = t.chars().any(|c| c.is_ascii_digit())
                && t.chars().all(|c| c.is_ascii_hexdigit() || "x`".contains(c));
            let code = t.contains('_')
                && t.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            let file = [".dll", ".exe", ".dmp", ".pdb"]
                .iter()
                .any(|e| lower.ends_with(e));
            number || code || file || t.contains('!')
        })
        .map(str::to_string)
        .collect()
}

/// Each finding of the text report: its title line, description and recommendation.
fn findings(report: &str, recommendation: &str) -> Vec<(String, String, String)> {
    let lines: Vec<&str> = report.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if ["[error]", "[warning]", "[info]"]
            .iter()
            .any(|t| l.starts_with(t))
        {
            let description = lines.get(i + 1).copied().unwrap_or("").to_string();
            let rec = lines[i + 1..]
                .iter()
                .find_map(|x| x.trim_start().strip_prefix(recommendation))
                .unwrap_or("")
                .to_string();
            out.push((l.to_string(), description, rec));
        }
    }
    out
}

#[test]
fn korean_reports_keep_every_fact_and_word_every_finding_in_korean() {
    let mut kinds = BTreeSet::new();
    let mut problems = Vec::new();
    for d in dumps() {
        let en = run(&["analyze", "--lang", "en", &d]);
        let ko = run(&["analyze", "--lang", "ko", &d]);
        assert!(!en.is_empty() && !ko.is_empty(), "{d}: no report");
        for f in facts(&en) {
            if !ko.contains(&f) {
                problems.push(format!("{d}: fact {f:?} missing from the Korean report"));
            }
        }
        let (fe, fk) = (
            findings(&en, "Recommendation:"),
            findings(&ko, "권장 조치:"),
        );
        assert_eq!(fe.len(), fk.len(), "{d}: the findings differ in number");
        for (title, description, rec) in fk {
            // `[error] null_pointer — …`: the id is the second word.
            kinds.insert(title.split_whitespace().nth(1).unwrap_or("").to_string());
            for (what, s) in [
                ("title", &title),
                ("description", &description),
                ("recommendation", &rec),
            ] {
                if !hangul(s) {
                    problems.push(format!("{d}: {what} without Korean: {s}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The fixtures produce many kinds of finding; every one of them was checked above.
    println!("finding kinds checked in Korean: {kinds:?}");
    assert!(kinds.len() >= 15, "only {kinds:?}");
}

#[test]
fn json_is_the_same_in_every_language() {
    for d in dumps() {
        let en = run(&["analyze", "--format", "json", "--lang", "en", &d]);
        let ko = run(&["analyze", "--format", "json", "--lang", "ko", &d]);
        assert!(en.starts_with('{'), "{d}: {en}");
        assert!(en == ko, "{d}: the JSON differs between en and ko");
    }
}

#[test]
fn the_language_defaults_from_the_locale_and_the_flag_wins() {
    let d = "fixtures/lab/reference-x86.dmp";
    let korean = |s: &str| s.contains("\n발견 사항\n");
    let english = |s: &str| s.contains("\nFindings\n");
    assert!(english(&run(&["analyze", d])));
    assert!(korean(&run_env(
        &["analyze", d],
        &[("LC_ALL", "ko_KR.UTF-8")]
    )));
    assert!(korean(&run_env(
        &["analyze", d],
        &[("LANG", "ko_KR.UTF-8")]
    )));
    // LC_ALL overrides LANG, as POSIX orders them.
    assert!(english(&run_env(
        &["analyze", d],
        &[("LC_ALL", "C"), ("LANG", "ko_KR.UTF-8")]
    )));
    assert!(english(&run_env(
        &["analyze", "--lang", "en", d],
        &[("LC_ALL", "ko_KR.UTF-8"), ("LANG", "ko_KR.UTF-8")]
    )));
    assert!(korean(&run_env(
        &["analyze", "--lang", "ko", d],
        &[("LC_ALL", "en_US.UTF-8")]
    )));
}
