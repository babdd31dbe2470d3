//! Korean reports are Korean: for every lab and synth dump (as a crash and with `--hang`), the
//! Korean text report, once the WinDbg blocks and the facts quoted from the dump (names,
//! version strings, comments, instructions, OS version) are taken out, holds no run of three
//! English words — an English sentence that escaped the phrasing module. And its label columns
//! line up in terminal columns (a Hangul syllable is two), not in bytes or characters.

use coroner_analysis::{analyze, Analysis, Options};
use coroner_dump::DumpFile;
use coroner_report::phrase::Lang;
use coroner_report::{text, Outcome};
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// Every `.dmp` under `fixtures/lab` and `fixtures/synth`.
fn dumps() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "dmp") {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(&root().join("fixtures/lab"), &mut v);
    walk(&root().join("fixtures/synth"), &mut v);
    v.sort();
    v
}

fn analyse(path: &Path, hang: bool) -> Analysis {
    let f = DumpFile::open(path).unwrap();
    let snap = f.snapshot().unwrap();
    let opts = Options {
        hang,
        ..Options::default()
    };
    analyze(&snap, &opts)
}

/// Sections whose body is WinDbg's own layout, English in every language.
fn windbg_section(title: &str) -> bool {
    ["(.exr -1)", "(r)", "(kb)", "(~)", "(lm)"]
        .iter()
        .any(|t| title.ends_with(t))
        || title.starts_with("lmvm ")
        || title.starts_with("!address ")
}

/// The report's lines outside the WinDbg blocks.
fn prose(report: &str) -> Vec<&str> {
    let lines: Vec<&str> = report.lines().collect();
    let mut out = Vec::new();
    let mut skip = false;
    for (i, l) in lines.iter().enumerate() {
        let underlined = lines
            .get(i + 1)
            .is_some_and(|n| n.len() >= 3 && n.chars().all(|c| c == '-'));
        if underlined {
            skip = windbg_section(l);
        }
        if !skip {
            out.push(*l);
        }
    }
    out
}

/// Strings the report quotes from the dump: they are what they are in any language.
fn facts(a: &Analysis) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for m in &a.modules {
        v.extend(m.version_strings.iter().flatten().map(|(_, s)| s.clone()));
        v.extend(m.vendor.name.clone());
    }
    v.extend(
        a.comments
            .iter()
            .flat_map(|c| c.lines().map(str::to_string)),
    );
    v.push(a.system.os_version.clone());
    v.push(a.system.os_name.clone());
    v.extend(a.instruction.as_ref().map(|d| d.text.clone()));
    v.extend(a.exception.as_ref().and_then(|e| e.cpp_type.clone()));
    if let Some(h) = &a.memory.handles {
        v.extend(h.by_type.keys().cloned());
    }
    v.retain(|s| !s.trim().is_empty());
    // Longest first, so that a string is not cut by a shorter one inside it.
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
    v
}

/// A plain English word: ASCII letters (an apostrophe or hyphen inside), not an identifier
/// (`LockCount`, `PEB`, `MEM_FREE`, `0x1c`, `file.dll` are ids, not words).
fn english_word(t: &str) -> bool {
    let t = t.trim_matches(|c: char| ".,;:!?\"'“”".contains(c));
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let rest = chars.as_str();
    first.is_ascii_alphabetic()
        && t.chars()
            .all(|c| c.is_ascii_alphabetic() || c == '\'' || c == '-')
        && !rest.chars().any(|c| c.is_ascii_uppercase())
}

/// `line` without the occurrences of `fact` that stand alone (not inside a longer word: the
/// instruction `ret` is not taken out of "returning").
fn without(line: &str, fact: &str) -> String {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find(fact) {
        let (before, after) = (&rest[..i], &rest[i + fact.len()..]);
        let alone = !alnum(before.chars().next_back()) && !alnum(after.chars().next());
        out.push_str(before);
        out.push_str(if alone { " " } else { fact });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Runs of three English words or more in `line`, with the facts taken out.
fn english_runs(line: &str, facts: &[String]) -> Vec<String> {
    let mut line = line.to_string();
    for f in facts {
        line = without(&line, f);
    }
    let mut runs = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    let tokens = line.split(|c: char| c.is_whitespace() || "()[]{}—,;".contains(c));
    for t in tokens.chain(std::iter::once("\u{0}")) {
        if t.is_empty() {
            continue;
        }
        if english_word(t) {
            run.push(t);
            continue;
        }
        if run.len() >= 3 {
            runs.push(run.join(" "));
        }
        run.clear();
    }
    runs
}

/// Every English run in the Korean text reports of the dumps.
fn english_in_korean(dumps: &[PathBuf]) -> Vec<String> {
    let mut found = Vec::new();
    for p in dumps {
        for hang in [false, true] {
            let a = analyse(p, hang);
            let facts = facts(&a);
            let report = text::render(&[Outcome::Done(Box::new(a))], Lang::Ko);
            for line in prose(&report) {
                for r in english_runs(line, &facts) {
                    let name = p.file_name().unwrap_or_default().to_string_lossy();
                    found.push(format!("{name} (hang {hang}): \"{r}\" in: {line}"));
                }
            }
        }
    }
    found
}

#[test]
fn korean_reports_have_no_english_sentences() {
    let dumps = dumps();
    if dumps.is_empty() {
        eprintln!("skipped: no dumps under fixtures/lab or fixtures/synth");
        return;
    }
    assert!(dumps.len() >= 50, "{} dumps", dumps.len());
    let found = english_in_korean(&dumps);
    assert!(
        found.is_empty(),
        "{} English runs in Korean reports:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_detector_sees_english_and_lets_ids_and_korean_through() {
    let none: Vec<String> = Vec::new();
    assert_eq!(
        english_runs(
            "* PEB lists no process heaps; heap list treated as unknown",
            &none
        ),
        ["lists no process heaps heap list treated as unknown"]
    );
    assert!(english_runs(
        "LockCount를 counting_up 인코딩으로 해석했습니다(Windows 6.1). PEB TEB MEM_FREE 0x1c labupload.dll",
        &none
    )
    .is_empty());
    let ret = vec!["ret".to_string()];
    assert_eq!(
        english_runs("without returning to its start", &ret),
        ["without returning to its start"]
    );
    let vendor = vec!["Fabrikam Upload Components Ltd.".to_string()];
    assert!(english_runs(
        "문의처: Fabrikam Upload Components Ltd. — 공급업체",
        &vendor
    )
    .is_empty());
    assert_eq!(
        english_runs("문의처: Fabrikam Upload Components Ltd. — 공급업체", &none).len(),
        1
    );
}

/// The display column where the value of a `label:   value` line starts.
fn value_column(line: &str) -> Option<usize> {
    let colon = line.find(':')?;
    let after = &line[colon + 1..];
    let value = after.len() - after.trim_start().len();
    (value > 0).then(|| UnicodeWidthStr::width(&line[..colon + 1 + value]))
}

/// The lines of the section titled `title` (up to the next blank line).
fn section<'a>(report: &'a str, title: &str) -> Vec<&'a str> {
    report
        .lines()
        .skip_while(|l| *l != title)
        .skip(2)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn korean_label_columns_line_up_in_terminal_columns() {
    let p = root().join("fixtures/lab/reference-x86.dmp");
    if !p.exists() {
        eprintln!("skipped: {} absent", p.display());
        return;
    }
    let report = text::render(&[Outcome::Done(Box::new(analyse(&p, false)))], Lang::Ko);
    let head: Vec<&str> = report
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    let blocks = [
        ("summary", head),
        ("프로세스", section(&report, "프로세스")),
        ("메모리", section(&report, "메모리 (!address -summary)")),
    ];
    for (name, lines) in blocks {
        let labelled: Vec<&str> = lines
            .into_iter()
            .filter(|l| !l.starts_with(' ') && l.contains(':') && !l.ends_with(':'))
            .collect();
        assert!(labelled.len() >= 5, "{name}: {labelled:?}");
        // Hangul labels: the byte and character columns differ from the display column.
        assert!(labelled
            .iter()
            .any(|l| l.chars().any(|c| ('가'..='힣').contains(&c))));
        let cols: Vec<Option<usize>> = labelled.iter().map(|l| value_column(l)).collect();
        assert!(
            cols.iter().all(|c| c.is_some() && *c == cols[0]),
            "{name}: value columns {cols:?} in\n{}",
            labelled.join("\n")
        );
    }
    // Section underlines are as wide as their titles.
    let lines: Vec<&str> = report.lines().collect();
    for w in lines.windows(2) {
        if w[1].len() >= 3 && w[1].chars().all(|c| c == '-') {
            assert_eq!(UnicodeWidthStr::width(w[0]), w[1].len(), "{}", w[0]);
        }
    }
}

/// Damaged copies of a dump, as the loader meets them: cut at the middle and at the end of
/// each stream, each stream zeroed, the HandleDataStream's descriptor size zeroed and each
/// list's count made huge (the parser then finds its size wrong).
fn damaged_copies(b: &[u8]) -> Vec<(String, Vec<u8>)> {
    let w = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize;
    let (n, dir) = (w(8), w(12));
    let mut out = Vec::new();
    for (ty, size, rva) in
        (0..n).map(|i| (w(dir + 12 * i), w(dir + 12 * i + 4), w(dir + 12 * i + 8)))
    {
        for cut in [rva + size / 2, rva + size] {
            if cut > dir + 12 * n && cut < b.len() {
                out.push((format!("cut at {cut:#x}"), b[..cut].to_vec()));
            }
        }
        let mut set = |what: String, at: usize, bytes: &[u8]| {
            let mut c = b.to_vec();
            c[at..at + bytes.len()].copy_from_slice(bytes);
            out.push((what, c));
        };
        if size >= 24 {
            set(format!("stream {ty} zeroed"), rva, &vec![0; size]);
        }
        if ty == 12 && size >= 12 {
            set("handle descriptors of 0 bytes".into(), rva + 4, &[0; 4]);
        }
        if [3, 4, 14, 16].contains(&ty) && size >= 8 {
            set(
                format!("stream {ty} count huge"),
                rva,
                &0x7fff_ffffu32.to_le_bytes(),
            );
        }
    }
    out
}

/// Every loss a damaged dump can show is worded in Korean: the Korean text report of each
/// damaged copy of a reference dump (and of a lab dump with a HandleDataStream) holds each
/// stream's loss as the phrasing module words it in Korean, no run of English words, and the
/// figures of the English sentence (sizes, offsets, counts) unchanged.
#[test]
fn korean_reports_word_every_loss_in_korean() {
    let mut kinds = std::collections::BTreeSet::new();
    let mut found = Vec::new();
    for name in [
        "examples/reference/w3wp-abcupload-1.dmp",
        "fixtures/lab/reference-x64.dmp",
    ] {
        let bytes = std::fs::read(root().join(name)).unwrap();
        for (what, copy) in damaged_copies(&bytes) {
            let f = DumpFile::from_bytes("copy.dmp", copy);
            let Ok(snap) = f.snapshot() else { continue };
            let a = analyze(&snap, &Options::default());
            let Some(d) = a.damage.clone() else { continue };
            let facts = facts(&a);
            let report = text::render(&[Outcome::Done(Box::new(a))], Lang::Ko);
            for (loss, lost) in d.losses() {
                let v = serde_json::to_value(&loss.cause).unwrap();
                kinds.insert(v["kind"].as_str().unwrap().to_string());
                let ko = coroner_report::phrase::stream_loss(loss, lost, Lang::Ko);
                let en = coroner_report::phrase::stream_loss(loss, lost, Lang::En);
                if !report.contains(&ko) {
                    found.push(format!("{name}, {what}: {ko:?} not in the report"));
                }
                if numbers(&en).iter().any(|n| !numbers(&ko).contains(n)) {
                    found.push(format!("{name}, {what}: figures lost: {ko:?} / {en:?}"));
                }
            }
            for line in prose(&report) {
                for r in english_runs(line, &facts) {
                    found.push(format!("{name}, {what}: \"{r}\" in: {line}"));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    // Every cause the loader gives for a cut, wiped or malformed stream was seen.
    let seen: Vec<&str> = kinds.iter().map(String::as_str).collect();
    assert_eq!(
        seen,
        [
            "cut_off",
            "exception_context_past_end",
            "handles_do_not_fit",
            "memory_past_end",
            "modules_without_ids",
            "past_end",
            "size_mismatch",
            "threads_past_end",
            "zeroed"
        ]
    );
}

/// The numbers of a sentence (decimal or `0x…`).
fn numbers(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

/// A particle right after a number takes the form of the number's last digit as read in Korean
/// (2 이, 4 사, 5 오, 9 구 end in a vowel; 0 영, 1 일, 3 삼, 6 육, 7 칠, 8 팔 in a consonant):
/// checked on every particle after a digit in every Korean report, not only where a phrase was
/// written with the pair, so a particle fixed in a phrase shows up when it is wrong.
fn wrong_particles(report: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    for line in prose(report) {
        let chars: Vec<char> = line.chars().collect();
        for w in chars.windows(3) {
            let (d, p, next) = (w[0], w[1], w[2]);
            let word_ends = !('가'..='힣').contains(&next);
            if !d.is_ascii_digit() || !word_ends {
                continue;
            }
            let vowel = matches!(d, '2' | '4' | '5' | '9');
            let ok = match p {
                '은' | '이' | '을' | '과' => !vowel,
                '는' | '가' | '를' | '와' => vowel,
                _ => true,
            };
            if !ok {
                wrong.push(format!("{d}{p} in: {line}"));
            }
        }
        for pair in ["은(는)", "이(가)", "을(를)", "와(과)", "과(와)", "(으)로"] {
            if let Some(at) = line.find(pair) {
                let before = line[..at].trim_end_matches(')');
                if before.ends_with(|c: char| c.is_ascii_digit()) {
                    wrong.push(format!("{pair} left after a number in: {line}"));
                }
            }
        }
    }
    wrong
}

#[test]
fn korean_particles_follow_the_number_before_them() {
    let mut dumps = dumps();
    dumps.push(root().join("examples/reference/w3wp-abcupload-1.dmp"));
    let mut found = Vec::new();
    let mut checked = 0;
    for p in &dumps {
        let report = text::render(&[Outcome::Done(Box::new(analyse(p, false)))], Lang::Ko);
        checked += report.matches(['은', '는', '이', '가', '을', '를']).count();
        found.extend(wrong_particles(&report));
    }
    assert!(checked > 1000, "{checked} particles");
    assert!(found.is_empty(), "{}", found.join("\n"));
    let abc = analyse(&dumps[dumps.len() - 1], false);
    let report = text::render(&[Outcome::Done(Box::new(abc))], Lang::Ko);
    assert!(report.contains("대상 03900010은 MEM_FREE 영역"), "{report}");
    assert!(report.contains("[오류] destroyed_heap"), "{report}");
    assert!(report.contains("그 위의 프레임(ntdll!RtlAllocateHeap+0x24)은 이 프레임이 호출한"));
}
