//! `--lang`: the Korean report keeps every fact of the English one and words every finding in
//! Korean; the JSON document is the same in both languages; the language defaults from the
//! locale (`LC_ALL`, `LC_MESSAGES`, `LANG`) and `--lang` wins over it.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

mod common;
use common::root;

/// coroner's stdout, offline, with the locale variables set as `env` says (unset otherwise).
fn run_env(args: &[&str], env: &[(&str, &str)]) -> String {
    String::from_utf8(common::offline(args, env).stdout).expect("UTF-8 output")
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
        if [
            "[error]",
            "[warning]",
            "[info]",
            "[오류]",
            "[경고]",
            "[정보]",
        ]
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

/// What the first `cut` bytes of the dump `b` lose, read from its directory and thread list
/// independently of the loader, as `(Korean, English)` sentences in the loader's order: the
/// streams lost, by file offset, then the thread list read in part (its memory list is not
/// counted: the caller cuts where the memory list is lost whole or not looked at).
fn losses_at(b: &[u8], cut: u64) -> Vec<(String, String)> {
    let w = |o: u64| u64::from(u32::from_le_bytes(b[o as usize..][..4].try_into().unwrap()));
    let (n, dir) = (w(8), w(12));
    let mut entries: Vec<(u64, u64, u64)> = (0..n)
        .map(|i| (w(dir + 12 * i), w(dir + 12 * i + 4), w(dir + 12 * i + 8)))
        .collect();
    entries.sort_by_key(|e| e.2);
    let mut out = Vec::new();
    let mut threads = None;
    for (ty, size, rva) in entries {
        let name = match ty {
            3 => "ThreadListStream",
            4 => "ModuleListStream",
            5 => "MemoryListStream",
            6 => "ExceptionStream",
            7 => "SystemInfoStream",
            15 => "MiscInfoStream",
            16 => "MemoryInfoListStream",
            17 => "ThreadInfoListStream",
            _ => panic!("stream type {ty} not expected in this dump"),
        };
        let end = rva + size;
        if ty == 3 && end <= cut {
            threads = Some(rva);
        }
        if size == 0 || end <= cut {
            continue;
        }
        out.push(match rva >= cut {
            true => (
                format!("{name} 손실: 오프셋 {rva:#x}–{end:#x}의 {size}바이트가 모두 파일 끝을 벗어나 있습니다"),
                format!("{name} lost: its {size} bytes at {rva:#x}–{end:#x} lie past the end of the file"),
            ),
            false => (
                format!("{name} 손실: 오프셋 {rva:#x}–{end:#x}의 {size}바이트가 파일 끝({cut:#x})에서 잘려 있습니다"),
                format!("{name} lost: its {size} bytes at {rva:#x}–{end:#x} are cut off by the end of the file at {cut:#x}"),
            ),
        });
    }
    // MINIDUMP_THREAD: 48 bytes; the stack's (size, rva) at 32, the context's at 40.
    let list = threads.expect("the thread list survives the cut");
    let count = w(list);
    let past = |o: u64| w(o + 4) != 0 && w(o + 4) + w(o) > cut;
    let contexts = (0..count).filter(|i| past(list + 4 + 48 * i + 40)).count();
    let stacks = (0..count).filter(|i| past(list + 4 + 48 * i + 32)).count();
    out.push((
        format!("ThreadListStream 불완전: 스레드 {count}개 중 레지스터 컨텍스트 {contexts}개와 스택 {stacks}개가 (전부 또는 일부) 파일 끝을 벗어나 있습니다"),
        format!("ThreadListStream incomplete: of {count} threads, {contexts} register contexts and {stacks} stacks lie (wholly or partly) past the end of the file"),
    ));
    out
}

/// The shell's `!analyze -v` on `dump`, in `lang`.
fn analyze_v(dump: &Path, lang: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_coroner"))
        .args(["shell", "--no-network", "--lang", lang])
        .arg(dump)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"!analyze -v\nq\n").unwrap();
    drop(stdin);
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
}

/// Words of the English loss sentences; none is left in a Korean report.
const ENGLISH_LOSS: [&str; 6] = [
    " lost:",
    " incomplete:",
    "past the end",
    "cut off by",
    "bytes at",
    "register contexts",
];

/// A dump cut short (a reference dump's first 4 KiB, as an interrupted copy leaves it): the
/// Korean text, Markdown and HTML reports say what each stream lost in Korean, with the sizes,
/// offsets and counts the file's own directory and thread list give, and no English sentence
/// about the loss is left; the English reports word the same losses as they always have, and
/// the JSON (its English `details`, its typed `losses`) is the same in both languages.
#[test]
fn a_damaged_dump_is_described_in_korean() {
    let whole = std::fs::read(root().join("examples/reference/w3wp-abcupload-1.dmp")).unwrap();
    let cut = 4096;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut-4k.dmp");
    std::fs::write(&path, &whole[..cut as usize]).unwrap();
    let p = path.to_str().unwrap();
    let expected = losses_at(&whole, cut);
    assert!(expected.len() >= 5, "{expected:?}");
    for format in ["text", "markdown", "html"] {
        let ko = run(&["analyze", "--lang", "ko", "--format", format, p]);
        let en = run(&["analyze", "--lang", "en", "--format", format, p]);
        for (k, e) in &expected {
            assert!(
                ko.contains(k.as_str()),
                "{format}: {k:?} missing from:\n{ko}"
            );
            assert!(
                en.contains(e.as_str()),
                "{format}: {e:?} missing from:\n{en}"
            );
        }
        for w in ENGLISH_LOSS {
            assert!(
                !ko.contains(w),
                "{format}: {w:?} in the Korean report:\n{ko}"
            );
        }
    }
    let json = run(&["analyze", "--format", "json", p]);
    assert_eq!(
        json,
        run(&["analyze", "--format", "json", "--lang", "ko", p])
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let damage = &v["dumps"][0]["damage"];
    let details: Vec<&str> = damage["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let english: Vec<&str> = expected.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(details, english);
    let losses = damage["losses"].as_array().unwrap();
    assert_eq!(losses.len(), expected.len());
    for (l, d) in losses.iter().zip(&details) {
        let line = format!(
            "{} {}: {}",
            l["stream"].as_str().unwrap(),
            if l["lost"] == true {
                "lost"
            } else {
                "incomplete"
            },
            l["why"].as_str().unwrap()
        );
        assert_eq!(&line, d);
    }
    let exception = losses
        .iter()
        .find(|l| l["stream"] == "ExceptionStream")
        .unwrap();
    // The ExceptionStream's directory entry: 168 bytes at 0x1028.
    assert_eq!(
        exception["cause"],
        serde_json::json!({"kind": "past_end", "size": 168, "rva": "0x1028", "end": "0x10d0"})
    );
}

/// The shell's `!analyze -v` on a dump cut after its exception record (so that the verdict is
/// told and the damage is its first finding) words the losses in Korean, with the figures of
/// the file's directory, and in English as before.
#[test]
fn the_shell_words_a_damaged_dump_in_korean() {
    let whole = std::fs::read(root().join("examples/reference/w3wp-abcupload-1.dmp")).unwrap();
    let cut = 0x13b8; // inside the SystemInfoStream, after the exception record
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.dmp");
    std::fs::write(&path, &whole[..cut as usize]).unwrap();
    let expected = losses_at(&whole, cut);
    let (ko, en) = (analyze_v(&path, "ko"), analyze_v(&path, "en"));
    assert!(ko.contains("damaged_dump"), "{ko}");
    for (k, e) in &expected {
        assert!(ko.contains(k.as_str()), "{k:?} missing from:\n{ko}");
        assert!(en.contains(e.as_str()), "{e:?} missing from:\n{en}");
    }
    for w in ENGLISH_LOSS {
        assert!(!ko.contains(w), "{w:?} in the Korean !analyze -v:\n{ko}");
    }
}

/// The stderr note of a dump analysed only in part is in the report's language, with the same
/// stream names and byte counts, and the exit code says "analysed only in part" (3) in both.
#[test]
fn the_damaged_dump_note_on_stderr_follows_the_language() {
    let whole = std::fs::read(root().join("examples/reference/w3wp-abcupload-1.dmp")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut-4k.dmp");
    std::fs::write(&path, &whole[..4096]).unwrap();
    let mut notes = Vec::new();
    for (lang, note, not) in [
        (
            "ko",
            "손상된 덤프라 일부만 분석했습니다 (손실된 스트림: ",
            "damaged dump",
        ),
        (
            "en",
            "damaged dump, analysed only in part (streams lost: ",
            "손상된",
        ),
    ] {
        let out = common::offline(&["analyze", "--lang", lang, path.to_str().unwrap()], &[]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(3), "{lang}: {err}");
        let line = err.lines().find(|l| l.contains(note)).unwrap_or_else(|| {
            panic!("{lang}: no {note:?} in:\n{err}");
        });
        assert!(!err.contains(not), "{lang}: {err}");
        notes.push(line.to_string());
    }
    // The same streams and byte counts, in each language's word order.
    let numbers = |s: &str| -> BTreeSet<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| w.ends_with("Stream") || w.chars().all(|c| c.is_ascii_digit()))
            .filter(|w| !w.is_empty() && *w != "4")
            .map(str::to_string)
            .collect()
    };
    assert_eq!(numbers(&notes[0]), numbers(&notes[1]), "{notes:?}");
    assert!(numbers(&notes[0]).contains("4096"), "{notes:?}");
}
