//! A file that cannot be loaded at all (a dump cut short inside its stream directory, an empty
//! file, files that are not dumps) is described in the report's language: `--lang ko` gives the
//! Korean sentence with the file's own figures in the text, Markdown and HTML reports, on
//! stderr, in `investigate` and in the shell, and no English sentence; `--lang en` gives the
//! English as before, word for word; the JSON (its English `error` and typed `failure`) is the
//! same in both languages.

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::root;

/// coroner's (stdout, stderr), offline, with no locale set.
fn run(args: &[&str]) -> (String, String) {
    let out = common::offline(args, &[]);
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8 output");
    (text(out.stdout), text(out.stderr))
}

fn word(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap()))
}

/// Words of the English failure sentences; none is left in a Korean report or error line.
const ENGLISH: [&str; 9] = [
    "corrupt or truncated",
    "lies past the end",
    "bytes present",
    "needed for the directory",
    "no stream can be located",
    "file is empty",
    "not a minidump",
    "text file",
    "Windows executable",
];

/// What one input's failure looks like in each language.
struct Case {
    path: PathBuf,
    english: String,
    korean: Vec<String>,
}

/// Checks the reports (text, Markdown, HTML) and stderr in both languages, and the JSON;
/// returns the JSON's `failure` object.
fn check(c: &Case) -> serde_json::Value {
    let p = c.path.to_str().unwrap();
    let line = format!("coroner: {p}: ");
    for format in ["text", "markdown", "html"] {
        let (ko, ko_err) = run(&["analyze", "--lang", "ko", "--format", format, p]);
        let (en, en_err) = run(&["analyze", "--lang", "en", "--format", format, p]);
        assert_eq!(en_err, format!("{line}{}\n", c.english), "{format}");
        assert!(ko_err.starts_with(&line), "{format}: {ko_err}");
        let mut places = vec![("stderr", &ko_err)];
        if format != "text" {
            // The text report sends the reader to stderr; Markdown and HTML say why.
            places.push(("report", &ko));
            assert!(
                en.contains(&html_or_md(&c.english, format)),
                "{format}: {en}"
            );
        }
        for (place, out) in places {
            for k in &c.korean {
                let k = html_or_md(k, format);
                assert!(
                    out.contains(&k),
                    "{format} {place}: {k:?} missing from:\n{out}"
                );
            }
            for w in ENGLISH {
                assert!(!out.contains(w), "{format} {place}: {w:?} in:\n{out}");
            }
        }
        if format == "text" {
            assert!(ko.starts_with(&format!("실패: {p} ")), "{ko}");
        }
    }
    let (json, _) = run(&["analyze", "--format", "json", p]);
    assert_eq!(
        json,
        run(&["analyze", "--format", "json", "--lang", "ko", p]).0
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &v["dumps"][0];
    assert_eq!(d["error"], c.english.as_str());
    d["failure"].clone()
}

/// A sentence as the Markdown and HTML reports escape it (only `<`, `>`, `&`, `` ` `` matter
/// for these sentences).
fn html_or_md(s: &str, format: &str) -> String {
    match format {
        "html" => s
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
        _ => s.to_string(),
    }
}

#[test]
fn a_dump_cut_inside_its_stream_directory_is_described_in_korean() {
    // A lab dump writes its stream directory near its end: cut 20 bytes into it.
    let whole = std::fs::read(root().join("fixtures/lab/breakpoint-x64.dmp")).unwrap();
    let (entries, offset) = (word(&whole, 8), word(&whole, 12));
    assert!(
        offset > 0x1000,
        "the directory is not near the end: {offset:#x}"
    );
    let cut = offset + 20;
    let needed = offset + entries * 12;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut-in-directory.dmp");
    std::fs::write(&path, &whole[..cut as usize]).unwrap();
    let failure = check(&Case {
        path: path.clone(),
        english: format!(
            "corrupt or truncated minidump: the stream directory ({entries} entries at offset \
             {offset:#x}) lies past the end of the file: {cut} bytes present, {needed} needed for \
             the directory alone (file cut short?); no stream can be located"
        ),
        korean: vec![format!(
            "손상되었거나 잘린 미니덤프입니다: 스트림 디렉터리(오프셋 {offset:#x}의 항목 \
             {entries}개)가 파일 끝을 벗어나 있습니다: 파일은 {cut}바이트인데 디렉터리만 읽는 데도 \
             {needed}바이트가 필요합니다(파일이 잘린 것 같습니다). 스트림을 하나도 찾을 수 없습니다"
        )],
    });
    assert_eq!(
        failure,
        serde_json::json!({
            "kind": "corrupt", "cause": "directory_past_end", "entries": entries,
            "offset": format!("{offset:#x}"), "bytes_present": cut, "bytes_needed": needed,
        })
    );
}

#[test]
fn an_empty_file_is_described_in_korean() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.dmp");
    std::fs::write(&path, b"").unwrap();
    let failure = check(&Case {
        path,
        english: "file is empty (0 bytes)".into(),
        korean: vec!["파일이 비어 있습니다(0바이트)".into()],
    });
    assert_eq!(failure, serde_json::json!({"kind": "empty"}));
}

#[test]
fn files_that_are_not_dumps_are_described_in_korean() {
    let log = root().join("fixtures/lab/logs/breakpoint-x64.log");
    let failure = check(&Case {
        path: log,
        english: "not a minidump: a text file (no MDMP signature)".into(),
        korean: vec!["미니덤프가 아닙니다: 텍스트 파일입니다(MDMP 시그니처 없음)".into()],
    });
    assert_eq!(
        failure,
        serde_json::json!({"kind": "not_a_dump", "file": "text"})
    );
    let dll = root().join("fixtures/lab/arm64/crashlab-arm64.dll");
    let failure = check(&Case {
        path: dll,
        english: "not a minidump: a Windows executable (PE image), not a dump".into(),
        korean: vec!["미니덤프가 아닙니다: Windows 실행 파일(PE 이미지)입니다".into()],
    });
    assert_eq!(
        failure,
        serde_json::json!({"kind": "not_a_dump", "file": "pe_image"})
    );
}

#[test]
fn a_missing_file_is_described_in_korean_without_the_os_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gone.dmp");
    let p = path.to_str().unwrap();
    let (_, en) = run(&["analyze", "--lang", "en", p]);
    let (_, ko) = run(&["analyze", "--lang", "ko", p]);
    assert!(
        en.starts_with(&format!("coroner: {p}: cannot read file: ")),
        "{en}"
    );
    assert_eq!(
        ko,
        format!("coroner: {p}: 파일을 읽을 수 없습니다: 파일이 없습니다\n")
    );
    let (json, _) = run(&["analyze", "--format", "json", p]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let f = &v["dumps"][0]["failure"];
    assert_eq!(
        (&f["kind"], &f["reason"]),
        (&"unreadable".into(), &"not_found".into())
    );
    assert_eq!(
        format!("cannot read file: {}", f["os_error"].as_str().unwrap()),
        v["dumps"][0]["error"]
    );
}

#[test]
fn investigate_and_the_shell_word_a_dump_cut_in_its_directory_in_korean() {
    let whole = std::fs::read(root().join("fixtures/lab/divzero-x86.dmp")).unwrap();
    let (entries, offset) = (word(&whole, 8), word(&whole, 12));
    let cut = offset + 7;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w3wp.exe_cut.dmp");
    std::fs::write(&path, &whole[..cut as usize]).unwrap();
    let korean = format!("스트림 디렉터리(오프셋 {offset:#x}의 항목 {entries}개)가 파일 끝을 벗어나 있습니다: 파일은 {cut}바이트인데");
    let english = format!("the stream directory ({entries} entries at offset {offset:#x}) lies past the end of the file: {cut} bytes present");
    let d = dir.path().to_str().unwrap();
    for format in ["text", "markdown", "html"] {
        let (ko, _) = run(&["investigate", "--lang", "ko", "--format", format, d]);
        let (en, _) = run(&["investigate", "--lang", "en", "--format", format, d]);
        assert!(
            ko.contains(&korean),
            "{format}: {korean:?} missing from:\n{ko}"
        );
        assert!(
            en.contains(&english),
            "{format}: {english:?} missing from:\n{en}"
        );
        for w in ENGLISH {
            assert!(!ko.contains(w), "{format}: {w:?} in:\n{ko}");
        }
    }
    let (ko, _) = run(&["investigate", "--format", "json", "--lang", "ko", d]);
    let (en, _) = run(&["investigate", "--format", "json", "--lang", "en", d]);
    assert_eq!(ko, en);
    let p = path.to_str().unwrap();
    for (lang, want) in [("ko", &korean), ("en", &english)] {
        let out = Command::new(env!("CARGO_BIN_EXE_coroner"))
            .args([
                "shell",
                "--no-network",
                "--lang",
                lang,
                p,
                "-c",
                "!analyze -v",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with(&format!("coroner: {p}: ")), "{err}");
        assert!(err.contains(want.as_str()), "{lang}: {err}");
    }
}
