//! `coroner investigate --lang ko` changes the words and nothing else: every fact of the English
//! report (times, PIDs, pool names, event ids, codes, buckets, file names) is in the Korean one,
//! every verdict row is worded in Korean, and the JSON document is the same in both languages.

use std::path::Path;
use std::process::Command;

/// `coroner investigate --lang LANG --format FORMAT examples/incident`'s standard output.
fn investigate(lang: &str, format: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_coroner"))
        .current_dir(root)
        .env_remove("_NT_SYMBOL_PATH")
        .env("TZ", "UTC")
        .args(["investigate", "--lang", lang, "--format", format])
        .args(["examples/incident", "--no-network", "--symbol-cache"])
        .arg(cache.path())
        .output()
        .expect("run coroner");
    assert_eq!(out.status.code(), Some(0), "{lang} {format}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn hangul(s: &str) -> bool {
    s.chars().any(|c| ('가'..='힣').contains(&c))
}

/// The fact tokens of a report: every run of non-space characters with a digit in it (times,
/// PIDs, event ids, codes, buckets, file names, counts), stripped of the punctuation around it;
/// `503s` counts as `503`.
fn fact_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split(|c: char| c.is_whitespace() || "(),;'\"[]".contains(c)) {
        let t = raw.trim_matches(|c: char| ".:—→".contains(c));
        let t = match t.strip_suffix('s') {
            Some(n) if n.ends_with(|c: char| c.is_ascii_digit()) => n,
            _ => t,
        };
        if t.chars().any(|c| c.is_ascii_digit()) && !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    out
}

#[test]
fn korean_report_keeps_every_fact() {
    let (en, ko) = (investigate("en", "text"), investigate("ko", "text"));
    let tokens = fact_tokens(&en);
    assert!(tokens.len() > 200, "{} fact tokens", tokens.len());
    let missing: Vec<&String> = tokens.iter().filter(|t| !ko.contains(t.as_str())).collect();
    assert!(missing.is_empty(), "facts missing in Korean: {missing:?}");
    // Names without digits: the pools, and the vendors the dumps blame.
    let json: serde_json::Value = serde_json::from_str(&investigate("en", "json")).unwrap();
    for p in json["pools"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        assert!(ko.contains(name), "pool {name}");
    }
    for name in [
        "ABC Components Ltd.",
        "Contoso Imaging Inc.",
        "Northwind Data Ltd.",
    ] {
        assert!(ko.contains(name), "vendor {name}");
    }
    assert!(ko.contains("응용 프로그램 풀") && ko.contains("빠른 장애 방지"));
}

/// Splits a Markdown table row at its unescaped `|`.
fn cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = row.trim().trim_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells.iter().map(|c| c.trim().to_string()).collect()
}

#[test]
fn every_korean_verdict_row_is_korean() {
    let md = investigate("ko", "markdown");
    let rows: Vec<Vec<String>> = md
        .lines()
        .skip_while(|l| !l.starts_with("## 분석 요약"))
        .skip(4)
        .take_while(|l| l.starts_with("| **"))
        .map(cells)
        .collect();
    let json: serde_json::Value = serde_json::from_str(&investigate("ko", "json")).unwrap();
    assert_eq!(rows.len(), json["verdict"].as_array().unwrap().len());
    for r in &rows {
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(hangul(&r[0]) && hangul(&r[1]) && hangul(&r[2]), "{r:?}");
    }
}

#[test]
fn json_is_the_same_in_every_language() {
    assert_eq!(investigate("en", "json"), investigate("ko", "json"));
}

#[test]
fn html_says_its_language() {
    assert!(investigate("ko", "html").contains("<html lang=\"ko\">"));
    assert!(investigate("en", "html").contains("<html lang=\"en\">"));
}
