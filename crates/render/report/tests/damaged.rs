//! Damaged dumps say so first. Lab dumps (`fixtures/lab`) and reference dumps
//! (`examples/reference`) are cut at every stream boundary and at 4 KiB, 64 KiB and half their
//! size, and have single streams zeroed. Whatever survives: never a "no exception" / "taken on
//! demand" verdict when the exception stream is lost; the verdict is `damaged_dump` with the lost
//! streams named; the facts whose streams survived are still there; the text and Markdown
//! reports put the warnings before the verdict.

use coroner_analysis::{analyze, Analysis, Options};
use coroner_dump::DumpFile;
use coroner_report::Outcome;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// Every `.dmp` in a folder of the repository.
fn dumps(folder: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "dmp"))
        .collect();
    v.sort();
    v
}

/// `(type, size, rva)` of each directory entry, read independently of the loader.
fn directory(b: &[u8]) -> Vec<(u32, u32, u32)> {
    let w = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    let (n, rva) = (w(8) as usize, w(12) as usize);
    (0..n)
        .map(|i| {
            let o = rva + 12 * i;
            (w(o), w(o + 4), w(o + 8))
        })
        .collect()
}

/// The names the loader gives the stream types these dumps hold.
fn name(ty: u32) -> String {
    match ty {
        3 => "ThreadListStream".into(),
        4 => "ModuleListStream".into(),
        5 => "MemoryListStream".into(),
        6 => "ExceptionStream".into(),
        7 => "SystemInfoStream".into(),
        9 => "Memory64ListStream".into(),
        10 => "CommentStreamA".into(),
        11 => "CommentStreamW".into(),
        12 => "HandleDataStream".into(),
        14 => "UnloadedModuleListStream".into(),
        15 => "MiscInfoStream".into(),
        16 => "MemoryInfoListStream".into(),
        17 => "ThreadInfoListStream".into(),
        24 => "ThreadNamesStream".into(),
        t => format!("0x{t:x}"),
    }
}

fn analyse(path: &str, bytes: Vec<u8>) -> Result<Analysis, String> {
    let f = DumpFile::from_bytes(path, bytes);
    let snap = f.snapshot().map_err(|e| e.to_string())?;
    Ok(analyze(&snap, &Options::default()))
}

/// What every damaged analysis must show, whatever was lost.
fn check_damaged(case: &str, a: &Analysis, lost: &[String], failures: &mut Vec<String>) {
    let Some(d) = &a.damage else {
        failures.push(format!("{case}: not reported damaged (lost {lost:?})"));
        return;
    };
    for l in lost {
        if !d.lost(l) && !d.streams_partial.iter().any(|p| &p.stream == l) {
            failures.push(format!("{case}: {l} not named as lost: {d:?}"));
        }
    }
    if a.findings.first().map(|f| f.id()) != Some("damaged_dump") {
        failures.push(format!(
            "{case}: first finding {:?}, not damaged_dump",
            a.findings.first().map(|f| f.id())
        ));
    }
    let outcomes = vec![Outcome::Done(Box::new(a.clone()))];
    let text = coroner_report::text::render(&outcomes, coroner_report::phrase::Lang::En);
    let md = coroner_report::markdown::render(&outcomes, coroner_report::phrase::Lang::En);
    if lost.iter().any(|l| l == "ExceptionStream") {
        if a.has(coroner_analysis::FindingKind::NoException)
            || text.contains("no exception: the dump was taken on demand")
        {
            failures.push(format!(
                "{case}: exception lost but verdict says taken on demand"
            ));
        }
        if !text.contains("cause unknown") {
            failures.push(format!(
                "{case}: the verdict does not say the cause is unknown"
            ));
        }
    }
    let warn = text.find("WARNING: damaged dump").unwrap_or(usize::MAX);
    if warn > text.find("What crashed:").unwrap_or(0) {
        failures.push(format!("{case}: text warnings not before the verdict"));
    }
    let mwarn = md
        .find("damaged dump, analysed only in part")
        .unwrap_or(usize::MAX);
    if mwarn > md.find("**What crashed**").unwrap_or(0) {
        failures.push(format!("{case}: Markdown warnings not before the verdict"));
    }
    let json: serde_json::Value =
        serde_json::from_str(&coroner_report::json::render(&outcomes)).unwrap();
    let dj = &json["dumps"][0];
    if dj["complete"] != false || !dj["damage"]["streams_lost"].is_array() {
        failures.push(format!(
            "{case}: JSON complete/damage wrong: {}",
            dj["damage"]
        ));
    }
}

/// The facts of streams that survived are still there.
fn check_survivors(
    case: &str,
    a: &Analysis,
    whole: &Analysis,
    survived: &[String],
    f: &mut Vec<String>,
) {
    let kept = |n: &str| survived.iter().any(|s| s == n);
    if kept("ModuleListStream") && a.modules.len() != whole.modules.len() {
        f.push(format!(
            "{case}: module list survived but {} of {} modules shown",
            a.modules.len(),
            whole.modules.len()
        ));
    }
    if kept("ThreadListStream") && a.threads.len() != whole.threads.len() {
        f.push(format!("{case}: thread list survived but threads differ"));
    }
    if kept("ExceptionStream")
        && a.exception.as_ref().map(|e| e.code) != whole.exception.as_ref().map(|e| e.code)
    {
        f.push(format!(
            "{case}: exception stream survived but the exception differs"
        ));
    }
    if kept("ExceptionStream") && a.classification.as_deref() != Some("DAMAGED_DUMP") {
        f.push(format!(
            "{case}: classification {:?} does not say damaged",
            a.classification
        ));
    }
}

/// One dump cut at `cut` bytes.
fn cut_case(path: &Path, bytes: &[u8], whole: &Analysis, cut: usize, f: &mut Vec<String>) -> bool {
    let case = format!("{} cut at {cut:#x}", path.display());
    let dir = directory(bytes);
    let dir_end = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize + 12 * dir.len();
    let (mut lost, mut survived) = (Vec::new(), Vec::new());
    for &(ty, size, rva) in &dir {
        if size == 0 {
            continue;
        }
        if (rva as usize + size as usize) > cut {
            lost.push(name(ty));
        } else {
            survived.push(name(ty));
        }
    }
    match analyse(&case, bytes[..cut].to_vec()) {
        Err(e) => {
            // Only a directory past the cut may stop the analysis, and the error says so.
            if dir_end <= cut || !e.contains("stream directory") || !e.contains("past the end") {
                f.push(format!(
                    "{case}: error {e:?} (directory ends at {dir_end:#x})"
                ));
            }
            false
        }
        Ok(a) => {
            if !lost.is_empty() {
                check_damaged(&case, &a, &lost, f);
            }
            check_survivors(&case, &a, whole, &survived, f);
            true
        }
    }
}

fn cuts(bytes: &[u8]) -> Vec<usize> {
    let mut v = vec![4096, 64 * 1024, bytes.len() / 2];
    for (_, size, rva) in directory(bytes) {
        v.extend([
            rva as usize,
            (rva + size) as usize,
            (rva + size / 2) as usize,
        ]);
    }
    v.sort();
    v.dedup();
    v.retain(|&c| c >= 32 && c < bytes.len());
    v
}

#[test]
fn cut_dumps_say_they_are_damaged() {
    let mut failures = Vec::new();
    let (mut analysed, mut refused, mut exception_lost) = (0, 0, 0);
    for path in dumps("fixtures/lab")
        .into_iter()
        .chain(dumps("examples/reference"))
    {
        let bytes = std::fs::read(&path).unwrap();
        let whole = analyse("whole.dmp", bytes.clone()).unwrap();
        assert!(
            whole.complete(),
            "{}: the intact dump is complete",
            path.display()
        );
        for cut in cuts(&bytes) {
            if cut_case(&path, &bytes, &whole, cut, &mut failures) {
                analysed += 1;
                let exc = directory(&bytes).into_iter().find(|d| d.0 == 6).unwrap();
                if (exc.2 + exc.1) as usize > cut {
                    exception_lost += 1;
                }
            } else {
                refused += 1;
            }
        }
    }
    println!("cut dumps: {analysed} analysed in part ({exception_lost} without their exception stream), {refused} refused (directory cut)");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        exception_lost >= 10,
        "the cuts exercise lost exception streams"
    );
    assert!(refused >= 10, "the cuts exercise lost directories");
}

#[test]
fn zeroed_streams_are_named_lost() {
    let mut failures = Vec::new();
    let mut n = 0;
    for path in dumps("fixtures/lab")
        .into_iter()
        .chain(dumps("examples/reference"))
    {
        let bytes = std::fs::read(&path).unwrap();
        let whole = analyse("whole.dmp", bytes.clone()).unwrap();
        let dir = directory(&bytes);
        for &(ty, size, rva) in &dir {
            if size < 24 {
                continue;
            }
            let case = format!("{} with {} zeroed", path.display(), name(ty));
            let mut b = bytes.clone();
            b[rva as usize..(rva + size) as usize].fill(0);
            let a = match analyse(&case, b) {
                Ok(a) => a,
                Err(e) => {
                    failures.push(format!("{case}: {e}"));
                    continue;
                }
            };
            n += 1;
            check_damaged(&case, &a, &[name(ty)], &mut failures);
            let survived: Vec<String> = dir
                .iter()
                .filter(|d| d.0 != ty && d.1 > 0)
                .map(|d| name(d.0))
                .collect();
            // Without SystemInfo no register context can be read, so the threads and the
            // exception keep their ids but not their stacks; lists still compare.
            check_survivors(&case, &a, &whole, &survived, &mut failures);
        }
    }
    assert!(n > 100, "{n} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
