//! Runs the analyser over every dump in `../shared/corpus/` (real public dumps) and checks the
//! facts against the expected outputs stored there: `STREAMS.txt` (exception code, address and
//! thread per dump, from an independent parser) and minidump-stackwalk's outputs. Skips, saying
//! why, when the corpus is absent.

use coroner_analysis::{analyze, Options};
use coroner_dump::DumpFile;
use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/corpus");
    if p.join("STREAMS.txt").exists() {
        Some(p)
    } else {
        eprintln!("skipping: ../shared/corpus not found next to the checkout");
        None
    }
}

struct Expect {
    path: String,
    kind: String,
    code: Option<u32>,
    address: Option<u64>,
    thread: Option<u32>,
    problems: bool,
}

fn parse_streams(text: &str) -> Vec<Expect> {
    let mut out: Vec<Expect> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("== ") {
            let (path, tail) = rest.split_once(" (").unwrap();
            let kind = tail
                .split(", ")
                .nth(1)
                .unwrap_or("")
                .trim_end_matches(')')
                .to_string();
            out.push(Expect {
                path: path.to_string(),
                kind,
                code: None,
                address: None,
                thread: None,
                problems: false,
            });
        } else if let Some(last) = out.last_mut() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("exception ") {
                let w: Vec<&str> = rest.split_whitespace().collect();
                last.code = u32::from_str_radix(w[0].trim_start_matches("0x"), 16).ok();
                if let Some(i) = w.iter().position(|x| *x == "at") {
                    last.address = u64::from_str_radix(w[i + 1].trim_start_matches("0x"), 16).ok();
                }
                if let Some(i) = w.iter().position(|x| *x == "thread") {
                    last.thread = w[i + 1].parse().ok();
                }
            }
            if t.contains("PROBLEMS") || t.contains("extends past end") || t.contains("truncated") {
                last.problems = true;
            }
        }
    }
    out
}

#[test]
fn every_corpus_dump_is_analysed_and_agrees_with_the_stored_facts() {
    let Some(dir) = corpus() else { return };
    let expects = parse_streams(&std::fs::read_to_string(dir.join("STREAMS.txt")).unwrap());
    assert!(expects.len() >= 30);
    let mut checked = 0;
    let mut failures = Vec::new();
    for e in &expects {
        let path = dir.join(&e.path);
        let is_minidump = e.kind.starts_with("minidump");
        let result = DumpFile::open(&path).and_then(|f| {
            let snap = f.snapshot()?;
            let a = analyze(&snap, &Options::default());
            Ok((snap.exception.clone(), a))
        });
        match result {
            Ok((raw, a)) => {
                if let Some(code) = e.code {
                    let Some(ex) = &a.exception else {
                        failures.push(format!("{}: no exception, expected 0x{code:x}", e.path));
                        continue;
                    };
                    if ex.code != code {
                        failures.push(format!("{}: code 0x{:x} != 0x{code:x}", e.path, ex.code));
                    }
                    if raw.as_ref().map(|r| r.address) != e.address {
                        failures.push(format!(
                            "{}: address {:?} != {:?}",
                            e.path,
                            raw.map(|r| r.address),
                            e.address
                        ));
                    }
                    if Some(ex.thread_id) != e.thread {
                        failures.push(format!(
                            "{}: thread {} != {:?}",
                            e.path, ex.thread_id, e.thread
                        ));
                    }
                    assert!(a.bucket.is_some(), "{}: no bucket", e.path);
                    checked += 1;
                }
            }
            Err(err) => {
                // Only files that are not well-formed minidumps may fail, and with a reason.
                if is_minidump && !e.problems && e.code.is_some() {
                    failures.push(format!("{}: failed: {err}", e.path));
                }
                assert!(!err.to_string().is_empty());
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 25, "only {checked} dumps checked");
}

#[test]
fn minidump2_matches_minidump_stackwalk_output() {
    let Some(dir) = corpus() else { return };
    let out = std::fs::read_to_string(dir.join("breakpad/minidump2.stackwalk.out")).unwrap();
    let crash_addr = out
        .lines()
        .find_map(|l| l.strip_prefix("Crash address: 0x"))
        .map(|h| u64::from_str_radix(h.trim(), 16).unwrap())
        .unwrap();
    let reason = out
        .lines()
        .find_map(|l| l.strip_prefix("Crash reason:"))
        .unwrap()
        .trim()
        .to_string();
    let f = DumpFile::open(dir.join("breakpad/minidump2.dmp")).unwrap();
    let snap = f.snapshot().unwrap();
    let a = analyze(&snap, &Options::default());
    let e = a.exception.as_ref().unwrap();
    assert_eq!(e.target, Some(crash_addr));
    assert_eq!(e.reason, reason);
    assert_eq!(e.name, "EXCEPTION_ACCESS_VIOLATION");
    // minidump-stackwalk (with CFI from .sym files) finds 4 frames; without symbols we must find
    // the same return addresses through the frame-pointer chain.
    let pcs: Vec<u64> = a.frames.iter().map(|f| f.address).collect();
    assert_eq!(pcs, vec![0x0040429e, 0x00404200, 0x004053ec, 0x7c816fd7]);
    assert!(a.has(coroner_analysis::FindingKind::NullPointer));
}

#[test]
fn linux_mini_matches_minidump_stackwalk_snapshot() {
    let Some(dir) = corpus() else { return };
    let snap_text = std::fs::read_to_string(
        dir.join("rust-minidump/test_minidump_stackwalk__linux_json_pretty.snap"),
    )
    .unwrap();
    let json_start = snap_text.find("{\n").unwrap();
    let v: serde_json::Value = serde_json::from_str(&snap_text[json_start..]).unwrap();
    let want_addr = u64::from_str_radix(
        v["crash_info"]["address"]
            .as_str()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();
    let want_type = v["crash_info"]["type"].as_str().unwrap();
    let f = DumpFile::open(dir.join("rust-minidump/linux-mini.dmp")).unwrap();
    let snap = f.snapshot().unwrap();
    let a = analyze(&snap, &Options::default());
    let e = a.exception.as_ref().unwrap();
    assert_eq!(e.reason, want_type);
    assert_eq!(e.target, Some(want_addr));
    assert_eq!(e.name, "SIGSEGV");
    assert!(a.has(coroner_analysis::FindingKind::NullPointer));
}

#[test]
fn compressed_dumps_open_directly() {
    let Some(dir) = corpus() else { return };
    let f = DumpFile::open(dir.join("mozilla-minidump-stackwalk/windows-x86.dmp.xz")).unwrap();
    assert_eq!(f.container(), coroner_dump::Container::Xz);
    let snap = f.snapshot().unwrap();
    assert_eq!(snap.exception.as_ref().unwrap().code, 0x8000_0003);
}

fn with_symbols(dir: &std::path::Path, store: &str) -> Options {
    let root = if store.is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(store)
    };
    let path = coroner_symbols::SymbolPath::parse(&root.display().to_string());
    let cache = tempfile::tempdir().unwrap().keep();
    let opts = coroner_symbols::Options {
        cache_dir: Some(cache),
        allow_network: false,
        ..Default::default()
    };
    Options {
        symbols: Some(std::sync::Arc::new(coroner_symbols::Symbols::new(
            path, opts,
        ))),
        ..Default::default()
    }
}

#[test]
fn breakpad_symbols_name_frames_as_minidump_stackwalk_does() {
    let Some(dir) = corpus() else { return };
    let out = std::fs::read_to_string(dir.join("breakpad/minidump2.stackwalk.out")).unwrap();
    let f = DumpFile::open(dir.join("breakpad/minidump2.dmp")).unwrap();
    let snap = f.snapshot().unwrap();
    let a = analyze(&snap, &with_symbols(&dir, "breakpad/symbols"));
    // minidump-stackwalk: " 0  test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]"
    let want: Vec<(String, u32)> = out
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let (_, rest) = l.split_once("test_app.exe!")?;
            let (func, loc) = rest.split_once(" [")?;
            let line = loc.split(" : ").nth(1)?.split(' ').next()?.parse().ok()?;
            Some((func.to_string(), line))
        })
        .collect();
    assert_eq!(want.len(), 3, "{out}");
    for (i, (func, line)) in want.iter().enumerate() {
        let s = &a.frames[i].symbol;
        assert_eq!(s.function.as_deref(), Some(func.as_str()), "frame {i}");
        assert_eq!(s.line, Some(*line), "frame {i}");
        assert_eq!(s.source, coroner_analysis::SymbolSource::Breakpad);
    }
    assert_eq!(a.frames[3].display, "kernel32!BaseProcessStart+0x23");
}

#[test]
fn a_pdb_names_frames_with_source_lines() {
    let Some(dir) = corpus() else { return };
    let f = DumpFile::open(dir.join("symbolicator/windows.dmp")).unwrap();
    let snap = f.snapshot().unwrap();
    // A folder with only the PDB (the corpus folder also has the Breakpad conversion).
    let only_pdb = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.join("symbolic/crash.pdb"),
        only_pdb.path().join("crash.pdb"),
    )
    .unwrap();
    let a = analyze(&snap, &with_symbols(only_pdb.path(), ""));
    let s = &a.frames[0].symbol;
    assert_eq!(s.function.as_deref(), Some("main"));
    assert_eq!(s.line, Some(35));
    assert_eq!(s.source, coroner_analysis::SymbolSource::Pdb);
    assert!(s.file.as_deref().unwrap().ends_with("main.cpp"));
}

#[test]
fn pdb_frame_data_unwinds_x86_frames_as_symbolicator_does() {
    let Some(dir) = corpus() else { return };
    let snap_text = std::fs::read_to_string(
        dir.join("symbolicator/integration__process_minidump__minidump_windows.snap"),
    )
    .unwrap();
    // The requesting (crashed) thread is the first stack trace; take its frames' addresses.
    let first = snap_text.split("  - thread_id:").nth(1).unwrap();
    let want: Vec<u64> = first
        .lines()
        .filter_map(|l| l.trim().strip_prefix("instruction_addr: \"0x"))
        .map(|h| u64::from_str_radix(h.trim_end_matches('"'), 16).unwrap())
        .collect();
    assert!(want.len() >= 4, "{want:?}");
    let only_pdb = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.join("symbolic/crash.pdb"),
        only_pdb.path().join("crash.pdb"),
    )
    .unwrap();
    let f = DumpFile::open(dir.join("symbolicator/windows.dmp")).unwrap();
    let snap = f.snapshot().unwrap();
    let a = analyze(&snap, &with_symbols(only_pdb.path(), ""));
    // symbolicator reports some caller frames at return address - 1, others at the return
    // address itself; accept either. Without the PDB's frame data frame 1 would be wrong (main
    // omits the frame pointer).
    for (i, w) in want.iter().take(4).enumerate() {
        let got = a.frames[i].address;
        assert!(
            got == *w || (i > 0 && got - 1 == *w),
            "frame {i}: {got:#x} vs {w:#x}"
        );
    }
    assert_eq!(
        a.frames[1].symbol.function.as_deref(),
        Some("__scrt_common_main_seh")
    );
    assert_eq!(a.frames[1].trust, coroner_unwind::Trust::Cfi);
}

#[test]
fn stack_cfi_from_sym_files_walks_like_minidump_stackwalk() {
    let Some(dir) = corpus() else { return };
    let t = std::fs::read_to_string(
        dir.join("rust-minidump/test_minidump_stackwalk__macos_inlines_json_pretty.snap"),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&t[t.find("{\n").unwrap()..]).unwrap();
    let want: Vec<(u64, Option<String>, String)> = v["crashing_thread"]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                u64::from_str_radix(f["offset"].as_str().unwrap().trim_start_matches("0x"), 16)
                    .unwrap(),
                f["function"].as_str().map(str::to_string),
                f["trust"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(_, _, trust)| trust != "scan")
        .collect();
    assert!(want.len() >= 6);
    let f = DumpFile::open(dir.join("rust-minidump/pipeline-inlines-macos-segv.dmp")).unwrap();
    let snap = f.snapshot().unwrap();
    let a = analyze(&snap, &with_symbols(&dir, "rust-minidump/symbols"));
    for (i, (addr, func, _)) in want.iter().enumerate() {
        let fr = &a.frames[i];
        // minidump-stackwalk reports caller frames at return address - 1.
        let got = if i == 0 { fr.address } else { fr.address - 1 };
        assert_eq!(got, *addr, "frame {i}");
        assert_eq!(fr.symbol.function, *func, "frame {i}");
        if i > 0 {
            assert_eq!(fr.trust, coroner_unwind::Trust::Cfi, "frame {i}");
        }
    }
}
