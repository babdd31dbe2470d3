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
/// `503s` and `non-503` count as `503`.
fn fact_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split(|c: char| c.is_whitespace() || "(),;'\"[]".contains(c)) {
        let t = raw.trim_matches(|c: char| ".:—→".contains(c));
        // `non-503` is a word around a fact: the fact is `503`.
        let t = t.strip_prefix("non-").unwrap_or(t);
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

/// Whether a token is a word of an English sentence: letters only (an apostrophe or hyphen
/// inside), once the punctuation around it is trimmed; not an acronym (`HTTP`, `PID`).
fn english_word(token: &str) -> Option<&str> {
    let w = token.trim_matches(|c: char| "()[],.;:!?'\"—→×".contains(c));
    let letters = w
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '\'');
    let acronym = w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase());
    (!w.is_empty() && letters && !acronym && w.starts_with(|c: char| c.is_ascii_alphabetic()))
        .then_some(w)
}

/// The English fragments of `text`: runs of three or more English words, whitespace (and so
/// line wrapping) ignored. Anything else — Korean, numbers, ids, hex, paths, file names, URLs,
/// `module!function`, quoted names — ends a run.
fn english_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for token in text.split_whitespace().chain([""]) {
        match english_word(token) {
            Some(w) => run.push(w),
            None => {
                if run.len() >= 3 {
                    runs.push(run.join(" "));
                }
                run.clear();
            }
        }
    }
    runs
}

/// Strings of the English JSON document that are not sentences and may stay English in a
/// Korean report: names (pools, sites, the time zone's, the vendors the dump analysis blames:
/// who to call up to its ` — `). The meanings of HTTP/Win32/HTTPERR codes are not among them:
/// the Korean report words them in Korean.
fn not_ours(json: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: &serde_json::Value| {
        if let Some(s) = v.as_str() {
            out.push(s.to_string());
        }
    };
    push(&json["time_zone"]["name"]);
    for p in json["pools"].as_array().unwrap() {
        push(&p["name"]);
        p["sites"].as_array().unwrap().iter().for_each(&mut push);
    }
    for g in json["groups"].as_array().unwrap() {
        if let Some(who) = g["who_to_call"].as_str() {
            out.push(who.split(" — ").next().unwrap_or(who).to_string());
        }
    }
    out
}

/// What other readers say in their own words and the Korean report quotes: the web-log
/// reader's reason a file is not a log of its kind.
const QUOTED: &[&str] = &["starts with '#' but not with a W3C directive"];

/// The words of a report, as one line: HTML tags dropped and entities read, whitespace (and so
/// line wrapping) collapsed.
fn plain(report: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in report.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` without the `"…"` spans (quoted names: a DebugDiag rule, a file name's part).
fn unquoted(text: &str) -> String {
    text.split('"').step_by(2).collect::<Vec<_>>().join(" ¶ ")
}

/// No sentence of the Korean incident report is English, except names and the words of others
/// it quotes ([`not_ours`], [`QUOTED`]): the timeline, the notes on dumps, the sources of the
/// time zone, thresholds and restores, skip reasons, warnings and the dump analysis's verdicts,
/// detail rows and recommendations are all worded in Korean.
#[test]
fn korean_report_has_no_english_sentences() {
    let json: serde_json::Value = serde_json::from_str(&investigate("en", "json")).unwrap();
    let mut allowed: Vec<String> = not_ours(&json)
        .iter()
        .map(|s| s.as_str())
        .chain(QUOTED.iter().copied())
        .map(plain)
        .filter(|s| !s.is_empty())
        .collect();
    allowed.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for format in ["text", "markdown", "html"] {
        let mut ko = plain(&investigate("ko", format));
        for a in &allowed {
            ko = ko.replace(a.as_str(), " ¶ ");
        }
        let english = english_runs(&unquoted(&ko));
        assert!(
            english.is_empty(),
            "{format}: English in the Korean report: {english:#?}"
        );
    }
}
