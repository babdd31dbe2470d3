//! coroner.exe on Windows: the paths Windows users type (drive letters, backslashes, spaces,
//! Korean names, `\\?\` long paths), CRLF logs, and UTF-8 output. CI runs these under Wine
//! (`.ci/windows/run`), with the golden tests, against the Windows build; on other systems the
//! file compiles to nothing.
#![cfg(windows)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

const DUMP: &str = "examples/reference/w3wp-abcupload-1.dmp";

fn coroner(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coroner"))
        .current_dir(cwd)
        .env_remove("_NT_SYMBOL_PATH")
        .args(args)
        .arg("--no-network")
        .output()
        .expect("run coroner.exe")
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::str::from_utf8(&out.stdout).expect("stdout is UTF-8");
    serde_json::from_str(text).expect("stdout is one JSON document")
}

/// The bucket the Linux build gives for the dump (its golden JSON).
fn linux_bucket() -> serde_json::Value {
    let golden = root()
        .join("crates/front/cli/tests/golden/analyze/examples__reference__w3wp-abcupload-1.json");
    let text = std::fs::read_to_string(golden).expect("golden JSON");
    let doc = text.split("\n--- ").next().unwrap();
    let v: serde_json::Value = serde_json::from_str(doc).expect("golden is JSON");
    v["dumps"][0]["bucket"].clone()
}

/// A folder with a space and Korean in its name, holding a copy of the reference dump.
fn korean_copy(tmp: &Path) -> PathBuf {
    let dir = tmp.join("덤프 폴더 (IIS)");
    std::fs::create_dir_all(&dir).unwrap();
    let dump = dir.join("w3wp 크래시 1.dmp");
    std::fs::copy(root().join(DUMP), &dump).unwrap();
    dump
}

fn analyze_json(cwd: &Path, path: &str) -> serde_json::Value {
    let doc = json(&coroner(cwd, &["analyze", "--format", "json", path]));
    assert_eq!(
        doc["dumps"][0]["path"], path,
        "the report names the path as given"
    );
    assert_eq!(doc["dumps"][0]["error"], serde_json::Value::Null, "{doc}");
    doc
}

#[test]
fn drive_letters_backslashes_spaces_and_korean_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = korean_copy(tmp.path());
    let want = linux_bucket();
    assert!(want.is_string(), "golden bucket: {want}");
    let absolute = dump.to_str().unwrap().to_string();
    assert!(
        absolute.as_bytes()[1] == b':',
        "a drive-letter path: {absolute}"
    );
    let relative = r"덤프 폴더 (IIS)\w3wp 크래시 1.dmp".to_string();
    let mixed = "덤프 폴더 (IIS)/w3wp 크래시 1.dmp".to_string();
    let verbatim = format!(r"\\?\{absolute}");
    for p in [absolute, relative, mixed, verbatim] {
        let doc = analyze_json(tmp.path(), &p);
        assert_eq!(doc["dumps"][0]["bucket"], want, "{p}");
    }
}

/// A path past MAX_PATH (260 characters) opens through the `\\?\` prefix.
#[test]
fn long_paths_past_max_path() {
    let tmp = tempfile::tempdir().unwrap();
    let mut long = PathBuf::from(format!(r"\\?\{}", tmp.path().display()));
    for i in 0..6 {
        long.push(format!("{i}-{}", "긴 폴더 이름".repeat(8)));
    }
    std::fs::create_dir_all(&long).unwrap();
    let dump = long.join("w3wp.dmp");
    std::fs::copy(root().join(DUMP), &dump).unwrap();
    let p = dump.to_str().unwrap().to_string();
    assert!(p.chars().count() > 260, "{} characters", p.chars().count());
    let doc = analyze_json(tmp.path(), &p);
    assert_eq!(doc["dumps"][0]["bucket"], linux_bucket());
}

fn copy_tree(from: &Path, to: &Path, crlf: bool) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target, crlf);
            continue;
        }
        let bytes = std::fs::read(e.path()).unwrap();
        let text_log = matches!(
            e.path().extension().and_then(|x| x.to_str()),
            Some("log" | "xml" | "config")
        );
        if crlf && text_log && !bytes.contains(&b'\r') {
            let text = String::from_utf8(bytes).expect("UTF-8 log");
            std::fs::write(&target, text.replace('\n', "\r\n")).unwrap();
        } else {
            std::fs::write(&target, bytes).unwrap();
        }
    }
}

/// The example incident with every log and configuration file in CRLF (as Windows writes them)
/// gives the same report as with LF.
#[test]
fn crlf_logs_give_the_same_investigation() {
    let tmp = tempfile::tempdir().unwrap();
    let (lf, crlf) = (tmp.path().join("lf"), tmp.path().join("crlf"));
    copy_tree(
        &root().join("examples/incident"),
        &lf.join("incident"),
        false,
    );
    copy_tree(
        &root().join("examples/incident"),
        &crlf.join("incident"),
        true,
    );
    let a = coroner(&lf, &["investigate", "--format", "json", "incident"]);
    let b = coroner(&crlf, &["investigate", "--format", "json", "incident"]);
    let (a, b) = (json(&a), json(&b));
    assert!(a["pools"].as_array().is_some_and(|p| !p.is_empty()), "{a}");
    assert_eq!(a, b);
}

/// Output is UTF-8 whatever the console's code page: Korean in a path comes out as UTF-8 bytes
/// in a redirected report (what `> report.txt` keeps), and the text report too.
#[test]
fn korean_output_is_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    korean_copy(tmp.path());
    let out = coroner(
        tmp.path(),
        &["analyze", r"덤프 폴더 (IIS)\w3wp 크래시 1.dmp"],
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8 text report");
    assert!(
        text.contains("== 덤프 폴더 (IIS)\\w3wp 크래시 1.dmp =="),
        "{text}"
    );
}

/// coroner.exe carries its own VS_VERSIONINFO (so `lmvm coroner` on a dump of it says which
/// build it is), read back with coroner's own PE reader.
#[test]
fn the_exe_has_its_version_resource() {
    let bytes = std::fs::read(env!("CARGO_BIN_EXE_coroner")).unwrap();
    let img = coroner_pe::PeImage::from_file_bytes(&bytes).expect("a PE image");
    let info = img
        .version_info(&bytes)
        .unwrap()
        .expect("a version resource");
    assert_eq!(info.get("FileVersion"), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(info.get("ProductName"), Some("coroner"));
    assert_eq!(info.get("CompanyName"), Some("The coroner project"));
    assert_eq!(info.get("OriginalFilename"), Some("coroner.exe"));
}
