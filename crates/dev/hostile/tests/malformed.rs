//! The malformed-input suite: hand-made and generated hostile inputs for every loader. Each case
//! must end in a clear error or a (partial) result, without panicking, within [`TIME_LIMIT`]
//! and with its peak resident memory growing by less than [`MEMORY_LIMIT`].
//!
//! A custom harness (`harness = false`): cases run one after another in this process, each in
//! its own thread with a timeout; peak memory is the kernel's `VmHWM`, reset before each case
//! through `/proc/self/clear_refs` (Linux; elsewhere the memory bound is not checked).
//!
//! `HOSTILE_FILTER=substring` runs only the matching cases; `HOSTILE_VERBOSE=1` prints each
//! case's outcome.

use coroner_hostile::{
    hostile_x86_dump, pe_image, stream, stream_spans, Buf, Knobs, Minidump, PeKnobs,
};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Generous: only a hang breaks it.
const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Generous: only a blow-up breaks it.
const MEMORY_LIMIT: u64 = 512 << 20;

type Run = Box<dyn FnOnce() -> Result<String, String> + Send>;

struct Case {
    name: String,
    run: Run,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn nonempty_error(e: String) -> Result<String, String> {
    if e.trim().is_empty() {
        Err("PROBLEM: empty error message".into())
    } else {
        Err(e)
    }
}

// ---------------------------------------------------------------------------------------------
// What each loader must do with a hostile input.

/// The whole `coroner analyze` pipeline: load, analyse, render three ways.
fn analyze_dump(bytes: Vec<u8>) -> Result<String, String> {
    let file = coroner_dump::DumpFile::from_bytes("hostile.dmp", bytes);
    let snap = match file.snapshot() {
        Ok(s) => s,
        Err(e) => return nonempty_error(e.to_string()),
    };
    let a = coroner_analysis::analyze(&snap, &Default::default());
    let warnings = a.warnings.len();
    let frames = a.frames.len();
    let note = a.stack_note.clone();
    let outcomes = vec![coroner_report::Outcome::Done(Box::new(a))];
    let text = coroner_report::text::render(&outcomes, coroner_report::phrase::Lang::En);
    let json = coroner_report::json::render(&outcomes);
    let md = coroner_report::markdown::render(&outcomes, coroner_report::phrase::Lang::En);
    if text.is_empty() || json.is_empty() || md.is_empty() {
        return Err("PROBLEM: empty report".into());
    }
    Ok(format!(
        "analysed: {frames} frames, {warnings} warnings{}",
        note.map(|n| format!(", stack: {n}")).unwrap_or_default()
    ))
}

/// A compressed dump: through `DumpFile::open` on a file.
fn open_dump(bytes: Vec<u8>) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let p = dir.path().join("hostile.dmp");
    std::fs::write(&p, &bytes).map_err(|e| e.to_string())?;
    match coroner_dump::DumpFile::open(&p) {
        Ok(f) => analyze_file(&f),
        Err(e) => nonempty_error(e.to_string()),
    }
}

/// A dump through the whole pipeline, straight from its `DumpFile` (no copy of its bytes).
fn analyze_file(file: &coroner_dump::DumpFile) -> Result<String, String> {
    let snap = match file.snapshot() {
        Ok(s) => s,
        Err(e) => return nonempty_error(e.to_string()),
    };
    let a = coroner_analysis::analyze(&snap, &Default::default());
    let outcomes = vec![coroner_report::Outcome::Done(Box::new(a))];
    if coroner_report::text::render(&outcomes, coroner_report::phrase::Lang::En).is_empty() {
        return Err("PROBLEM: empty report".into());
    }
    Ok("analysed".into())
}

/// The shell over a (possibly hostile) dump, running `script`.
fn shell(bytes: Vec<u8>, script: String) -> Result<String, String> {
    let file = coroner_dump::DumpFile::from_bytes("hostile.dmp", bytes);
    let snap = file.snapshot().map_err(|e| e.to_string())?;
    let mut s = coroner_shell::Session::new(&snap);
    let mut out = Vec::new();
    s.run_script(&script, &mut out).map_err(|e| e.to_string())?;
    let out = String::from_utf8_lossy(&out);
    if out.contains("internal error") {
        return Err(format!("PROBLEM: shell internal error: {out:.400}"));
    }
    Ok(format!("{} bytes of output", out.len()))
}

fn eventlog(bytes: Vec<u8>) -> Result<String, String> {
    match coroner_eventlog::load_bytes(PathBuf::from("hostile.log"), bytes) {
        Ok(l) => Ok(format!(
            "{:?}: {} events, {} problems",
            l.kind,
            l.events.len(),
            l.skipped_total
        )),
        Err(e) => nonempty_error(e.to_string()),
    }
}

fn weblog(bytes: Vec<u8>) -> Result<String, String> {
    match coroner_weblog::parse(PathBuf::from("hostile.log"), &bytes) {
        Ok(l) => Ok(format!(
            "{:?}: {} requests, {} errors, {} problems",
            l.kind,
            l.requests.len(),
            l.errors.len(),
            l.problems_total
        )),
        Err(e) => nonempty_error(e.to_string()),
    }
}

fn sym(bytes: Vec<u8>) -> Result<String, String> {
    let m = coroner_symbols::ModuleSymbols::from_sym_bytes(&bytes, "hostile.sym");
    for rva in [0u32, 1, 0x1000, 0x7fff_ffff, u32::MAX] {
        let _ = m.lookup(rva);
        let _ = m.stack_win(rva);
        let _ = m.stack_cfi(rva);
    }
    Ok(format!("{} functions", m.function_count()))
}

/// A symbol file read through `ModuleSymbols::open` (PDB, `.sym`, `.pd_` by content).
fn sym_file(bytes: Vec<u8>, ext: &'static str) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let p = dir.path().join(format!("hostile.{ext}"));
    std::fs::write(&p, &bytes).map_err(|e| e.to_string())?;
    match coroner_symbols::ModuleSymbols::open(&p, None) {
        Ok(m) => {
            for rva in [0u32, 0x1000, 0x7fff_ffff, u32::MAX] {
                let _ = m.lookup(rva);
                let _ = m.fpo(rva);
            }
            Ok(format!("{} functions", m.function_count()))
        }
        Err(e) => nonempty_error(e.to_string()),
    }
}

fn pe(bytes: Vec<u8>) -> Result<String, String> {
    coroner_pe::fuzz_parse(&bytes);
    match coroner_pe::PeImage::from_mapped_bytes(&bytes, 0x1000_0000) {
        Ok(_) => Ok("parsed".into()),
        Err(e) => nonempty_error(e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// The cases.

fn case(
    cases: &mut Vec<Case>,
    name: impl Into<String>,
    run: impl FnOnce() -> Result<String, String> + Send + 'static,
) {
    cases.push(Case {
        name: name.into(),
        run: Box::new(run),
    });
}

fn dump_cases(c: &mut Vec<Case>) {
    // Hand-made.
    let header = |count: u32, dir: u32| {
        let mut b = Buf::default();
        b.u32(0x504d_444d)
            .u32(0xa793)
            .u32(count)
            .u32(dir)
            .u32(0)
            .u32(0)
            .u64(0);
        b.0
    };
    let hand: Vec<(&str, Vec<u8>)> = vec![
        ("dump/zero-length", vec![]),
        ("dump/one-byte", vec![b'M']),
        ("dump/signature-only", b"MDMP".to_vec()),
        ("dump/header-only", header(0, 32)),
        ("dump/header-claims-streams", header(5, 32)),
        ("dump/stream-count-4-billion", header(u32::MAX, 32)),
        ("dump/directory-past-eof", header(3, 0xffff_fff0)),
        ("dump/directory-at-header", header(3, 0)),
        (
            "dump/junk",
            (0..4096u32).map(|i| (i * 7 + 3) as u8).collect(),
        ),
        ("dump/zeros-1mb", vec![0; 1 << 20]),
        ("dump/elf-not-a-dump", b"\x7fELF\x02\x01\x01".to_vec()),
    ];
    for (n, b) in hand {
        case(c, n, move || analyze_dump(b));
    }
    // A gzip of a dump cut short, and a gzip that inflates 64 MiB of zeros.
    let gz = |data: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let good = hostile_x86_dump(&Knobs::default());
    let g = gz(&good);
    let half = g[..g.len() / 2].to_vec();
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "gzip-magic-junk",
            [&[0x1f, 0x8b, 8, 0][..], &[0xaa; 64]].concat(),
        ),
        ("xz-magic-junk", [&b"\xfd7zXZ\0"[..], &[0x55; 64]].concat()),
        ("zip-magic-junk", [&b"PK\x03\x04"[..], &[0x11; 64]].concat()),
        ("cab-magic-junk", [&b"MSCF"[..], &[0; 64]].concat()),
        ("gzip-truncated", half),
        ("gzip-of-junk", gz(b"not a dump")),
    ];
    for (n, b) in files {
        case(c, format!("dump/{n}"), move || open_dump(b));
    }
    case(c, "dump/gzip-of-zeros-64mb", move || {
        open_dump(gz(&vec![0u8; 64 << 20]))
    });
    // 768 MiB of zeros from 768 concatenated gzip members of 1 MiB each (under 1 MB on disk):
    // unpacking it into memory would break the memory bound; it goes to a temporary file.
    let member = gz(&vec![0u8; 1 << 20]);
    case(c, "dump/gzip-members-of-768mb-zeros", move || {
        open_dump(member.repeat(768))
    });

    // Every stream type alone, with a 4-billion count and no entries.
    for ty in [
        stream::THREAD_LIST,
        stream::MODULE_LIST,
        stream::MEMORY_LIST,
        stream::MEMORY64_LIST,
        stream::UNLOADED_MODULE_LIST,
        stream::MEMORY_INFO_LIST,
        stream::THREAD_INFO_LIST,
        stream::THREAD_NAME_LIST,
        stream::HANDLE_DATA,
        stream::EXCEPTION,
        stream::SYSTEM_INFO,
        stream::MISC_INFO,
        stream::LINUX_MAPS,
    ] {
        let mut d = Minidump::new();
        let mut b = Buf::default();
        b.u32(u32::MAX).u32(u32::MAX).u32(u32::MAX).u32(u32::MAX);
        d.stream(ty, &b.0);
        let bytes = d.finish();
        case(
            c,
            format!("dump/stream-{ty:#x}-count-4-billion"),
            move || analyze_dump(bytes),
        );
        // The stream's size and RVA point past the end of file.
        let mut d = Minidump::new();
        d.raw_entry(ty, 0xffff_0000, 0x10);
        let bytes = d.finish();
        case(c, format!("dump/stream-{ty:#x}-size-past-eof"), move || {
            analyze_dump(bytes)
        });
    }

    // Regression (found by the `analyze` fuzz target): a HandleData stream whose descriptor
    // size is 0 (or tiny) and whose count is 4 billion made the minidump crate reserve hundreds
    // of GiB, aborting the process.
    for (entry, count) in [(0u32, u32::MAX), (1, u32::MAX), (0, 0x0100_0000), (8, 2)] {
        let mut d = Minidump::new();
        let mut b = Buf::default();
        b.u32(16).u32(entry).u32(count).u32(0).zeros(64);
        d.stream(stream::HANDLE_DATA, &b.0);
        let mut real = hostile_x86_dump(&Knobs::default());
        let bytes = d.finish();
        case(
            c,
            format!("dump/handle-data-descriptor-{entry}-count-{count:#x}"),
            move || analyze_dump(bytes),
        );
        // The same stream added to a whole crash dump.
        let spans = stream_spans(&real);
        let dir = u32::from_le_bytes(real[12..16].try_into().unwrap()) as usize;
        let rva = real.len() as u32;
        real.extend_from_slice(&b.0);
        let new_dir = real.len() as u32;
        let mut entries = real[dir..dir + spans.len() * 12].to_vec();
        entries.extend_from_slice(&stream::HANDLE_DATA.to_le_bytes());
        entries.extend_from_slice(&(b.0.len() as u32).to_le_bytes());
        entries.extend_from_slice(&rva.to_le_bytes());
        real.extend_from_slice(&entries);
        real[8..12].copy_from_slice(&(spans.len() as u32 + 1).to_le_bytes());
        real[12..16].copy_from_slice(&new_dir.to_le_bytes());
        case(
            c,
            format!("dump/synthetic-handle-data-descriptor-{entry}-count-{count:#x}"),
            move || analyze_dump(real),
        );
    }

    // The synthetic crash dump, bent.
    let mut knobs: Vec<(String, Knobs)> = vec![("well-formed".into(), Knobs::default())];
    for e in 1..6 {
        knobs.push((
            format!("ebp-chain-{e}"),
            Knobs {
                ebp_chain: e,
                ..Knobs::default()
            },
        ));
    }
    knobs.push((
        "dispatch-context-cycle".into(),
        Knobs {
            dispatch_cycle: true,
            ..Knobs::default()
        },
    ));
    knobs.push((
        "dispatch-cycle-and-ebp-cycle".into(),
        Knobs {
            dispatch_cycle: true,
            ebp_chain: 1,
            ..Knobs::default()
        },
    ));
    knobs.push((
        "overlapping-memory-ranges".into(),
        Knobs {
            overlap: true,
            ..Knobs::default()
        },
    ));
    knobs.push((
        "orphan-exception-thread".into(),
        Knobs {
            orphan_exception: true,
            ..Knobs::default()
        },
    ));
    knobs.push((
        "duplicate-streams".into(),
        Knobs {
            duplicate_streams: true,
            ..Knobs::default()
        },
    ));
    for (m, what) in [
        (1, "utf16-name-unterminated-odd-length"),
        (2, "utf16-name-length-4-billion"),
        (3, "utf16-name-rva-past-eof"),
    ] {
        knobs.push((
            what.into(),
            Knobs {
                name_mode: m,
                ..Knobs::default()
            },
        ));
    }
    for (m, what) in [
        (1, "context-size-0"),
        (2, "context-at-header"),
        (3, "context-size-huge"),
    ] {
        knobs.push((
            what.into(),
            Knobs {
                context_mode: m,
                ..Knobs::default()
            },
        ));
    }
    for (add, what) in [
        (0u64, "memory64-list"),
        (0x1_0000_0000, "memory64-sizes-exceed-file"),
        (u64::MAX / 2, "memory64-sizes-overflow"),
        (u64::MAX, "memory64-sizes-wrap"),
    ] {
        knobs.push((
            what.into(),
            Knobs {
                memory64: Some(add),
                ..Knobs::default()
            },
        ));
    }
    let names = [
        "systeminfo",
        "miscinfo",
        "modulelist",
        "threadlist",
        "exception",
        "memorylist",
        "memoryinfolist",
        "unloadedmodulelist",
    ];
    for (i, n) in names.iter().enumerate() {
        for v in [u32::MAX, 0x10_0000] {
            knobs.push((
                format!("{n}-count-{v:#x}"),
                Knobs {
                    count_override: Some((i as u8, v)),
                    ..Knobs::default()
                },
            ));
        }
        knobs.push((
            format!("{n}-rva-past-eof"),
            Knobs {
                rva_override: Some((i as u8, 0xffff_fff0)),
                ..Knobs::default()
            },
        ));
        knobs.push((
            format!("{n}-rva-at-directory-of-itself"),
            Knobs {
                rva_override: Some((i as u8, 0)),
                ..Knobs::default()
            },
        ));
        knobs.push((
            format!("{n}-size-4gb"),
            Knobs {
                size_override: Some((i as u8, u32::MAX)),
                ..Knobs::default()
            },
        ));
        knobs.push((
            format!("{n}-size-0"),
            Knobs {
                size_override: Some((i as u8, 0)),
                ..Knobs::default()
            },
        ));
        knobs.push((
            format!("{n}-contents-ff"),
            Knobs {
                splice: Some((i as u8, vec![0xff; 4096])),
                ..Knobs::default()
            },
        ));
    }
    // A PE image in memory with export/resource directories pointing anywhere.
    let pes: Vec<(&str, PeKnobs)> = vec![
        (
            "export-dir-past-image",
            PeKnobs {
                export_dir: Some((0xffff_0000, 0x1000)),
                ..PeKnobs::default()
            },
        ),
        (
            "export-dir-at-headers",
            PeKnobs {
                export_dir: Some((0, 0x3000)),
                ..PeKnobs::default()
            },
        ),
        (
            "export-dir-size-4gb",
            PeKnobs {
                export_dir: Some((0x2000, u32::MAX)),
                ..PeKnobs::default()
            },
        ),
        (
            "export-counts-4-billion",
            PeKnobs {
                export_counts: Some((u32::MAX, u32::MAX)),
                ..PeKnobs::default()
            },
        ),
        (
            "export-names-anywhere",
            PeKnobs {
                names_rva: Some(0x7fff_fff0),
                first_name_rva: Some(0xffff_ffff),
                ..PeKnobs::default()
            },
        ),
        (
            "export-name-unterminated-at-end",
            PeKnobs {
                first_name_rva: Some(0x2fff),
                ..PeKnobs::default()
            },
        ),
        (
            "resource-dir-anywhere",
            PeKnobs {
                resource_dir: Some((0xdead_beef, 0x1000)),
                ..PeKnobs::default()
            },
        ),
        (
            "resource-dir-self-referencing",
            PeKnobs {
                resource_dir: Some((0x2800, 0x800)),
                // A directory whose one entry is a subdirectory at offset 0: itself.
                resource_bytes: Some({
                    let mut b = Buf::default();
                    b.zeros(12).u16(0).u16(1).u32(16).u32(0x8000_0000);
                    b.0
                }),
                ..PeKnobs::default()
            },
        ),
        (
            "resource-dir-counts-max",
            PeKnobs {
                resource_dir: Some((0x2800, 0x800)),
                resource_bytes: Some({
                    let mut b = Buf::default();
                    b.zeros(12).u16(0xffff).u16(0xffff);
                    for i in 0..200u32 {
                        b.u32(i).u32(0x8000_0000 | (i * 8));
                    }
                    b.0
                }),
                ..PeKnobs::default()
            },
        ),
        (
            "size-of-image-4gb",
            PeKnobs {
                size_of_image: Some(u32::MAX),
                ..PeKnobs::default()
            },
        ),
        (
            "sections-65535",
            PeKnobs {
                sections: Some(0xffff),
                ..PeKnobs::default()
            },
        ),
        (
            "lfanew-past-image",
            PeKnobs {
                lfanew: Some(0xffff_fff0),
                ..PeKnobs::default()
            },
        ),
    ];
    for (n, k) in pes {
        let img = pe_image("ntdll.dll", &[("KiUserExceptionDispatcher", 0x1100)], &k);
        case(c, format!("pe/{n}"), move || pe(img));
        knobs.push((
            format!("pe-in-dump-{n}"),
            Knobs {
                pe: k,
                ..Knobs::default()
            },
        ));
    }
    for (n, k) in knobs {
        let bytes = hostile_x86_dump(&k);
        case(c, format!("dump/synthetic-{n}"), move || {
            analyze_dump(bytes)
        });
    }

    // Real dumps: every stream truncated at each boundary, its count set to 4 billion.
    for f in [
        "fixtures/lab/nullwrite-x86.dmp",
        "fixtures/lab/nullwrite-x64.dmp",
    ] {
        let real = read(f);
        let short = Path::new(f)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let spans = stream_spans(&real);
        let mut cuts: Vec<usize> = vec![32, real.len() - 1];
        let dir = u32::from_le_bytes(real[12..16].try_into().unwrap()) as usize;
        cuts.push(dir + 6);
        for &(_, size, rva) in &spans {
            let (rva, size) = (rva as usize, size as usize);
            cuts.extend([rva, rva + 1, rva + size / 2, rva + size.saturating_sub(1)]);
        }
        cuts.sort();
        cuts.dedup();
        cuts.retain(|&x| x > 0 && x < real.len());
        for cut in cuts {
            let b = real[..cut].to_vec();
            case(
                c,
                format!("dump/{short}-truncated-at-{cut:#x}"),
                move || analyze_dump(b),
            );
        }
        for &(ty, size, rva) in &spans {
            if size < 4 || matches!(ty, stream::SYSTEM_INFO | stream::MISC_INFO) {
                continue;
            }
            let mut b = real.clone();
            // List streams start with the count, except those with a header (count at +8).
            let off = rva as usize
                + match ty {
                    stream::MEMORY_INFO_LIST | stream::UNLOADED_MODULE_LIST => 8,
                    stream::THREAD_INFO_LIST => 8,
                    _ => 0,
                };
            if off + 4 > b.len() {
                continue;
            }
            b[off..off + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            case(
                c,
                format!("dump/{short}-stream-{ty:#x}-count-4-billion"),
                move || analyze_dump(b),
            );
        }
    }
}

fn shell_cases(c: &mut Vec<Case>) {
    let long = "1+".repeat(50_000) + "1";
    let parens = format!("? {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let scripts: Vec<(&str, String)> = vec![
        ("expressions", "? 1/0; ? 0xffffffffffffffffffff; ? poi(0); ? poi(poi(poi(@esp))); ? -; ? @nosuchreg; ? 1 % 0; ? ((".into()),
        ("deep-parentheses", parens),
        ("long-expression", format!("? {long}")),
        ("huge-ranges", "dd 0 L?ffffffff; db ffffffff L?ffffffffffffffff; dq @esp L100000000; dps @esp L?ffffffff".into()),
        ("search-everything", "s -b 0 L?ffffffffffffffff 41 42; s -a 0 L?ffffffff \"x\"; s -d 0 L?ffffffff ffffffff".into()),
        ("unassemble", "u ffffffff; u 0 L1000000; u @eip L?ffffffff; ub 0; uf @eip".into()),
        ("stack", "k 99999999; kb ffffffff; kv; kn 0; ~*k; ~99999 s; .cxr 0; .cxr @esp; .ecxr; kb".into()),
        ("address-and-modules", "!address ffffffff; !address 0; !address; lm; lmvm *; lm m *; x *!*; x ntdll!*; ln 0; ln ffffffff; !peb; !teb; !analyze -v".into()),
        ("garbage", "\u{0}\u{1}; ;;;; ~; ~~~; !; .; ..; r @@@; r eax=; r eax=ffffffffffffffffff; dt; dx; $$>a<".into()),
        ("many-separators", ";".repeat(100_000)),
        ("unicode", "? 𝟙; r é; lm m ﬁ*; x ✓!*".into()),
    ];
    for (kn, k) in [
        ("well-formed", Knobs::default()),
        (
            "dispatch-cycle",
            Knobs {
                dispatch_cycle: true,
                ebp_chain: 2,
                ..Knobs::default()
            },
        ),
    ] {
        let bytes = hostile_x86_dump(&k);
        for (n, s) in &scripts {
            let (b, s) = (bytes.clone(), s.clone());
            case(c, format!("shell/{kn}-{n}"), move || shell(b, s));
        }
    }
}

fn eventlog_cases(c: &mut Vec<Case>) {
    let evt = read("examples/incident/eventlogs/SysEvent.Evt");
    let xml = read("examples/incident/eventlogs/Application.xml");
    let evt_header = |start: u32, end: u32, flags: u32, size: u32| {
        let mut b = Buf::default();
        b.u32(0x30).u32(0x654c_664c).u32(1).u32(1);
        b.u32(start)
            .u32(end)
            .u32(1)
            .u32(1)
            .u32(size)
            .u32(flags)
            .u32(0)
            .u32(0x30);
        b.0
    };
    let record = |len: u32| {
        let mut b = Buf::default();
        b.u32(len).u32(0x654c_664c).zeros(0x30);
        b.0
    };
    let mut hand: Vec<(&str, Vec<u8>)> = vec![
        ("eventlog/zero-length", vec![]),
        ("eventlog/junk", (0..5000u32).map(|i| (i * 31) as u8).collect()),
        ("evt/header-only", evt_header(0x30, 0x30, 0, 0x30)),
        (
            "evt/header-wrap-bogus-offsets",
            evt_header(0xffff_fff0, 0x7fff_ffff, 2, u32::MAX),
        ),
        (
            "evt/record-length-0",
            [evt_header(0x30, 0x200, 0, 0x200), record(0), vec![0; 0x100]].concat(),
        ),
        (
            "evt/record-length-ffffffff",
            [
                evt_header(0x30, 0x200, 0, 0x200),
                record(0xffff_ffff),
                vec![0; 0x100],
            ]
            .concat(),
        ),
        (
            "evt/record-length-4",
            [evt_header(0x30, 0x200, 2, 0x200), record(4), vec![0; 0x100]].concat(),
        ),
        (
            "evt/records-of-length-0-wrapped",
            [
                evt_header(0x100, 0x80, 3, 0x200),
                record(0),
                record(0),
                record(0xffff_ffff),
                vec![0x11; 0x180],
            ]
            .concat(),
        ),
        (
            "evt/many-signatures",
            [
                evt_header(0x30, 0x30, 1, 0x10_0000),
                b"LfLe".repeat(0x4_0000),
            ]
            .concat(),
        ),
        ("evtx/header-only", {
            let mut b = b"ElfFile\0".to_vec();
            b.resize(0x1000, 0);
            b
        }),
        ("evtx/header-chunk-count-max", {
            let mut b = b"ElfFile\0".to_vec();
            b.resize(0x1000, 0);
            b[0x2a..0x2c].copy_from_slice(&0xffffu16.to_le_bytes());
            b[0x20..0x24].copy_from_slice(&0x80u32.to_le_bytes());
            b[0x28..0x2a].copy_from_slice(&1u16.to_le_bytes());
            b.extend_from_slice(b"ElfChnk\0");
            b.resize(0x1000 + 0x10000, 0xff);
            b
        }),
        ("evtx/chunk-junk", {
            let mut b = b"ElfFile\0".to_vec();
            b.resize(0x1000, 0);
            b.extend_from_slice(b"ElfChnk\0");
            b.extend((0..0x10000u32).map(|i| (i * 13) as u8));
            b
        }),
        ("xml/unterminated", b"<Events><Event><System><EventID>1000".to_vec()),
        ("xml/deep-nesting", {
            let mut b = b"<Events><Event>".to_vec();
            b.extend(b"<a>".repeat(200_000));
            b
        }),
        ("xml/huge-attribute", {
            let mut b = b"<Events><Event><System><Provider Name=\"".to_vec();
            b.extend(vec![b'x'; 8 << 20]);
            b.extend(b"\"/></System></Event></Events>");
            b
        }),
        ("xml/binary-junk-after-root", {
            let mut b = b"<Events>".to_vec();
            b.extend((0..10_000u32).map(|i| (i * 7) as u8));
            b
        }),
        ("xml/entity-expansion", {
            let mut b = b"<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>".to_vec();
            b.extend(b"<Events><Event><EventData><Data>&d;&d;&d;&d;</Data></EventData></Event></Events>");
            b
        }),
        ("xml/utf16-bom-junk", [&[0xff, 0xfe][..], &[0x3c, 0, 0xff, 0xd8, 0x41]].concat()),
        ("xml/timecreated-absurd", b"<Events><Event><System><EventID>1000</EventID><TimeCreated SystemTime=\"99999999-99-99T99:99:99.999999999Z\"/><EventRecordID>-1</EventRecordID><Execution ProcessID=\"99999999999999999999\"/></System></Event></Events>".to_vec()),
    ];
    // Truncations and single-word damage of the real .evt and XML.
    for cut in [0x2f, 0x30, 0x31, 0x60, 0x100, 0x3ff, evt.len() - 1] {
        if cut < evt.len() {
            hand.push(("evt/real-truncated", evt[..cut].to_vec()));
        }
    }
    for off in (0x30..evt.len().min(0x400)).step_by(0x40) {
        for v in [0u32, u32::MAX] {
            let mut b = evt.clone();
            b[off..off + 4].copy_from_slice(&v.to_le_bytes());
            hand.push(("evt/real-word-damaged", b));
        }
    }
    for cut in [1, 10, xml.len() / 3, xml.len() / 2, xml.len() - 2] {
        hand.push(("xml/real-truncated", xml[..cut].to_vec()));
    }
    hand.extend(viewer_export_cases());
    for (i, (n, b)) in hand.into_iter().enumerate() {
        case(c, format!("{n}-{i}"), move || eventlog(b));
    }
    // A real .evtx from the corpus, cut at chunk and record boundaries (when present).
    let evtx = Path::new(
        "/work/shared/corpus/evtx-attack-samples/DE_WinEventLogSvc_Crash_System_7036.evtx",
    );
    if let Ok(b) = std::fs::read(evtx) {
        for cut in [0x1000, 0x1001, 0x1200, 0x1000 + 0x8000, 0x1000 + 0xffff] {
            if cut < b.len() {
                let t = b[..cut].to_vec();
                case(c, format!("evtx/corpus-truncated-at-{cut:#x}"), move || {
                    eventlog(t)
                });
            }
        }
    }
}

/// Event Viewer CSV/TXT exports: a real-looking header (English, Korean in UTF-8, UTF-16LE and
/// code page 949) over truncated rows, wrong column counts, bad dates and ids, unterminated
/// quotes, a huge field, NULs and binary junk.
fn viewer_export_cases() -> Vec<(&'static str, Vec<u8>)> {
    let en = "Level,Date and Time,Source,Event ID,Task Category\r\n";
    let ko = "수준\t날짜 및 시간\t원본\t이벤트 ID\t작업 범주\r\n";
    let cp949_header: &[u8] = &[
        188, 246, 193, 216, 44, 179, 175, 194, 165, 32, 185, 215, 32, 189, 195, 176, 163, 44, 191,
        248, 186, 187, 44, 192, 204, 186, 165, 198, 174, 32, 73, 68, 44, 192, 219, 190, 247, 32,
        185, 252, 193, 214, 13, 10,
    ];
    let row = "Error,5/3/2018 10:15:02 AM,WAS,5009,None,\"A process serving application pool 'P' terminated unexpectedly. The process id was '7'.\"\r\n";
    let text = |body: &str| format!("{en}{body}").into_bytes();
    let utf16 = |s: &str| {
        let mut b = vec![0xff, 0xfe];
        b.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        b
    };
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        ("export/header-only", en.as_bytes().to_vec()),
        ("export/truncated-row", text(&row[..row.len() / 2])),
        ("export/row-cut-in-quote", text(&row[..row.len() - 20])),
        ("export/too-few-columns", text("Error,5/3/2018 10:15:02 AM\r\n")),
        ("export/too-many-columns", text(&format!("{}{}", row.trim_end(), ",a,b,c,d,e,f\r\n"))),
        ("export/bad-date", text("Error,99/99/99999 99:99:99 XM,WAS,5009,None,x\r\n")),
        ("export/bad-id", text("Error,5/3/2018 10:15:02 AM,WAS,-99999999999999,None,x\r\n")),
        ("export/only-continuations", text(&"x\r\n".repeat(10_000))),
        ("export/huge-field", text(&format!("Error,5/3/2018 1:00:00 PM,WAS,5009,None,\"{}\"\r\n", "'a".repeat(500_000)))),
        ("export/nuls", [en.as_bytes(), &[0u8; 50_000]].concat()),
        ("export/binary-after-header", [en.as_bytes(), &(0..50_000u32).map(|i| (i * 37 + 11) as u8).collect::<Vec<_>>()].concat()),
        ("export/korean-utf16-junk", [utf16(ko), vec![0xff, 0xd8, 0x41]].concat()),
        ("export/korean-cp949-junk", [cp949_header, &(0..20_000u32).map(|i| (i * 91 + 3) as u8).collect::<Vec<_>>()].concat()),
        ("export/6013-odd-zone", text("Information,5/3/2018 1:00:00 PM,EventLog,6013,None,The system uptime is 99999999999999999999 seconds. 99999999999 Time\r\n")),
        ("export/app-error-labels-only", text("Error,5/3/2018 1:00:00 PM,Application Error,1000,None,\"Faulting application name: , version: , time stamp: \nException code: \nReport Id:\"\r\n")),
        ("export/wer-labels-only", text("Information,5/3/2018 1:00:00 PM,Windows Error Reporting,1001,None,\"Fault bucket\nAttached files:\nThese files may be available here:\"\r\n")),
    ];
    for cut in [1, 10, 40, 60] {
        v.push((
            "export/korean-cp949-header-cut",
            cp949_header[..cut.min(cp949_header.len())].to_vec(),
        ));
    }
    v
}

fn weblog_cases(c: &mut Vec<Case>) {
    let w3c = read("examples/incident/LogFiles/W3SVC1/ex060314.log");
    let httperr = read("examples/incident/LogFiles/HTTPERR/httperr1.log");
    let mut hand: Vec<(String, Vec<u8>)> = vec![
        ("zero-length".into(), vec![]),
        ("binary-junk".into(), (0..100_000u32).map(|i| (i * 37 + 11) as u8).collect()),
        ("nul-bytes".into(), vec![0; 100_000]),
        ("fields-then-binary".into(), [&b"#Software: Microsoft Internet Information Services 6.0\r\n#Fields: date time cs-uri-stem sc-status\r\n"[..], &(0..50_000u32).map(|i| (i * 7) as u8).collect::<Vec<_>>()].concat()),
        ("fields-change-every-line".into(), (0..5000).map(|i| if i % 2 == 0 { format!("#Fields: date time {}sc-status\n", "s-ip ".repeat(i % 7)) } else { "2006-03-14 10:00:00 1.2.3.4 500\n".to_string() }).collect::<String>().into_bytes()),
        ("fields-empty".into(), b"#Fields:\n2006-03-14 10:00:00 / 500\n#Fields: \t\t\n\n".to_vec()),
        ("fields-10000-columns".into(), format!("#Fields: {}\n{}\n", "cs-uri-stem ".repeat(10_000), "x ".repeat(10_000)).into_bytes()),
        ("line-16mb-no-newline".into(), [&b"#Fields: date time cs-uri-stem sc-status\n2006-03-14 10:00:00 /"[..], &vec![b'a'; 16 << 20]].concat()),
        ("many-short-lines".into(), b"#Fields: date time sc-status\n".iter().copied().chain(b"\n".repeat(2_000_000)).collect()),
        ("crs-only".into(), b"\r".repeat(1_000_000)),
        ("directive-only-long".into(), [&b"#Software: "[..], &vec![b'z'; 4 << 20]].concat()),
        ("absurd-numbers".into(), b"#Fields: date time sc-status sc-substatus sc-win32-status time-taken sc-bytes\n9999-99-99 99:99:99 99999999999 -1 18446744073709551616 -5 1e309\n".to_vec()),
        ("httperr-junk".into(), [&b"#Software: Microsoft HTTP API 1.0\n#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri sc-status s-siteid s-reason s-queuename\n"[..], &(0..20_000u32).map(|i| (i * 3) as u8).collect::<Vec<_>>()].concat()),
        ("httperr-fields-missing".into(), b"#Software: Microsoft HTTP API 1.0\n2006-03-14 10:00:00 1.2.3.4\n".to_vec()),
        ("utf16-log".into(), "#Fields: date time\n2006-03-14 10:00:00\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect()),
    ];
    for cut in [1, 9, 100, w3c.len() / 2, w3c.len() - 1] {
        hand.push((format!("w3c-real-truncated-at-{cut}"), w3c[..cut].to_vec()));
    }
    for cut in [1, 40, httperr.len() / 2, httperr.len() - 1] {
        hand.push((
            format!("httperr-real-truncated-at-{cut}"),
            httperr[..cut].to_vec(),
        ));
    }
    // Real log with junk spliced into the middle and its #Fields changed mid-file.
    let mut spliced = w3c.clone();
    let mid = spliced.len() / 2;
    spliced.splice(mid..mid, (0..4096u32).map(|i| (i * 29) as u8));
    hand.push(("w3c-real-junk-in-middle".into(), spliced));
    let mut refields = w3c.clone();
    refields.splice(
        mid..mid,
        b"\n#Fields: sc-status\n#Fields: \n#Fields: date date date date\n"
            .iter()
            .copied(),
    );
    hand.push(("w3c-real-fields-changed".into(), refields));
    for (n, b) in hand {
        case(c, format!("weblog/{n}"), move || weblog(b));
    }
}

fn symbol_cases(c: &mut Vec<Case>) {
    let hand: Vec<(&str, Vec<u8>)> = vec![
        ("zero-length", vec![]),
        ("junk", (0..10_000u32).map(|i| (i * 41) as u8).collect()),
        ("module-only", b"MODULE windows x86 ABCDEF0123456789ABCDEF01234567891 app.pdb\n".to_vec()),
        ("func-huge-sizes", b"MODULE windows x86 0 a.pdb\nFUNC ffffffff ffffffff 0 f\nFUNC 0 ffffffffffffffff ffffffffffffffff g\nffffffff ffffffff 99999999999 4294967295\nPUBLIC fffffffffffffffff 0 p\n".to_vec()),
        ("lines-without-func", b"MODULE windows x86 0 a.pdb\n1000 10 5 0\n1010 10 6 99999\nFILE 99999999999 x\n".to_vec()),
        ("inline-out-of-range", b"MODULE windows x86 0 a.pdb\nINLINE_ORIGIN 0 f\nFUNC 1000 100 0 f\nINLINE 4294967295 7 999999 1000 10\nINLINE 0 0 0 ffffffff ffffffff\n".to_vec()),
        ("stack-records-junk", b"MODULE windows x86 0 a.pdb\nSTACK WIN 4 0 ffffffff 99 99 99 99 99 99 1 $eip $esp ^ =\nSTACK CFI INIT 1000 ffffffff .cfa: $esp 4 + .ra: .cfa -4 + ^\nSTACK CFI 1000 .cfa:\nSTACK CFI\nSTACK WIN\n".to_vec()),
        ("overlapping-funcs", (0..20_000).map(|i| format!("FUNC {:x} 100000 0 f{i}\n", i * 4)).collect::<String>().into_bytes()),
        ("line-4mb", [&b"MODULE windows x86 0 a.pdb\nFUNC 0 1 0 "[..], &vec![b'n'; 4 << 20]].concat()),
        ("nul-in-names", b"MODULE windows x86 0 a\0.pdb\nFUNC 0 10 0 f\0g\nPUBLIC 10 0 \0\n".to_vec()),
        ("cr-only-lines", b"MODULE windows x86 0 a.pdb\rFUNC 0 10 0 f\rFUNC 10 10 0 g\r".to_vec()),
    ];
    for (n, b) in hand {
        let b2 = b.clone();
        case(c, format!("sym/{n}"), move || sym(b));
        case(c, format!("sym-file/{n}"), move || sym_file(b2, "sym"));
    }
    // PDB headers with hostile MSF fields.
    let msf = |page: u32, pages: u32, dir_size: u32, dir_page: u32| {
        let mut b = Buf::default();
        b.bytes(b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0");
        b.u32(page)
            .u32(1)
            .u32(pages)
            .u32(dir_size)
            .u32(0)
            .u32(dir_page);
        b.0.resize(b.0.len().max(page.clamp(0x20, 0x1000) as usize * 4), 0);
        b.0
    };
    let pdbs: Vec<(&str, Vec<u8>)> = vec![
        ("zero-length", vec![]),
        (
            "msf-magic-only",
            b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0".to_vec(),
        ),
        ("page-size-0", msf(0, 4, 16, 3)),
        ("page-size-odd", msf(0x3ff, 4, 16, 3)),
        ("pages-4-billion", msf(0x1000, u32::MAX, 16, 3)),
        ("directory-size-4gb", msf(0x1000, 4, u32::MAX, 3)),
        ("directory-page-past-eof", msf(0x1000, 4, 16, 0xffff_fff0)),
        ("directory-page-is-header", msf(0x1000, 4, 0x1000, 0)),
        (
            "old-msf-2.00",
            b"Microsoft C/C++ program database 2.00\r\n\x1aJG\0\0".to_vec(),
        ),
        ("pd_-junk-cab", [&b"MSCF"[..], &[0xff; 200]].concat()),
    ];
    for (n, b) in pdbs {
        let ext = if n.starts_with("pd_") { "pd_" } else { "pdb" };
        case(c, format!("pdb/{n}"), move || sym_file(b, ext));
    }
    // A real PDB from the corpus cut short and with damaged pages (when present).
    if let Ok(real) = std::fs::read("/work/shared/corpus/symbolic/crash.pdb") {
        for cut in [0x20, 0x1000, 0x2000, real.len() / 2, real.len() - 1] {
            if cut < real.len() {
                let b = real[..cut].to_vec();
                case(c, format!("pdb/corpus-truncated-at-{cut:#x}"), move || {
                    sym_file(b, "pdb")
                });
            }
        }
        for page in [1usize, 2, 3, 5, 8] {
            let mut b = real.clone();
            let at = page * 0x1000;
            if at + 0x1000 <= b.len() {
                b[at..at + 0x1000].fill(0xff);
                case(c, format!("pdb/corpus-page-{page}-ff"), move || {
                    sym_file(b, "pdb")
                });
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The harness.

fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn rss_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    let filter = std::env::var("HOSTILE_FILTER").ok();
    let verbose = std::env::var_os("HOSTILE_VERBOSE").is_some();
    // Tell the `#[test]`-style arguments apart from a filter: `cargo test -- --list` etc.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mut cases = Vec::new();
    dump_cases(&mut cases);
    shell_cases(&mut cases);
    eventlog_cases(&mut cases);
    weblog_cases(&mut cases);
    symbol_cases(&mut cases);
    hang_cases(&mut cases);
    let total = cases.len();
    let start = Instant::now();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut errors = 0;
    let mut slowest = (Duration::ZERO, String::new());
    let mut hungriest = (0u64, String::new());
    // Quiet the default panic hook: a panic is reported as a failure below, with its message.
    std::panic::set_hook(Box::new(|_| {}));
    for Case { name, run } in cases {
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        ran += 1;
        let mem_ok = reset_peak();
        let base = rss_kib("VmRSS:").unwrap_or(0);
        let t0 = Instant::now();
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name(name.clone())
            .stack_size(8 << 20)
            .spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run));
                let _ = tx.send(r);
            })
            .expect("spawn");
        let outcome = match rx.recv_timeout(TIME_LIMIT) {
            Ok(Ok(r)) => {
                let _ = handle.join();
                r
            }
            Ok(Err(p)) => {
                let _ = handle.join();
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("PROBLEM: panicked: {msg}"))
            }
            Err(_) => Err(format!("PROBLEM: no result within {TIME_LIMIT:?}")),
        };
        let took = t0.elapsed();
        let peak = rss_kib("VmHWM:").unwrap_or(0).saturating_sub(base) * 1024;
        if took > slowest.0 {
            slowest = (took, name.clone());
        }
        if peak > hungriest.0 {
            hungriest = (peak, name.clone());
        }
        let mut problem = None;
        match &outcome {
            Err(e) if e.starts_with("PROBLEM") => problem = Some(e.clone()),
            Err(_) => errors += 1,
            Ok(_) => {}
        }
        if mem_ok && peak > MEMORY_LIMIT {
            problem = Some(format!("PROBLEM: peak memory grew by {} MiB", peak >> 20));
        }
        if verbose {
            println!(
                "{name}: {took:.2?} {} KiB: {}",
                peak >> 10,
                match &outcome {
                    Ok(s) => s.clone(),
                    Err(e) => format!("error: {e}"),
                }
            );
        }
        if let Some(p) = problem {
            println!("FAIL {name}: {p}");
            failures.push(name);
        }
    }
    println!(
        "malformed-input suite: {ran} of {total} cases in {:.1?} ({errors} clear errors, the rest \
         analysed); slowest {} ({:.2?}); largest peak {} ({} MiB)",
        start.elapsed(),
        slowest.1,
        slowest.0,
        hungriest.1,
        hungriest.0 >> 20
    );
    if !failures.is_empty() {
        println!("{} failed: {failures:?}", failures.len());
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Hang analysis: a real hang dump (`fixtures/lab/hang/deadlock-x86.dmp`) with its critical
// sections and debug records made hostile, and with its thread list blown up.

use coroner_hostile::hang::{directory, patch, LEDGER, LEDGER_DEBUG, STOCK, STOCK_DEBUG};

/// The deadlock fixture with `(address, value)` 32-bit words patched.
fn patched(words: &[(u64, u32)]) -> Vec<u8> {
    let mut d = read("fixtures/lab/hang/deadlock-x86.dmp");
    for &(addr, v) in words {
        assert!(
            patch(&mut d, addr, &v.to_le_bytes()),
            "0x{addr:x} not in the dump"
        );
    }
    d
}

/// The fixture with its thread list replaced by `n` copies of thread 1 (waiting in
/// EnterCriticalSection), each with its own id.
fn many_threads(n: u32) -> Vec<u8> {
    let mut d = read("fixtures/lab/hang/deadlock-x86.dmp");
    let dir = u32::from_le_bytes(d[12..16].try_into().unwrap()) as usize;
    let idx = directory(&d)
        .iter()
        .position(|e| e.0 == 3)
        .expect("thread list");
    let (_, _, rva) = directory(&d)[idx];
    let entry = d[rva as usize + 4 + 48..rva as usize + 4 + 96].to_vec();
    let at = d.len() as u32;
    d.extend_from_slice(&n.to_le_bytes());
    for i in 0..n {
        let mut e = entry.clone();
        e[..4].copy_from_slice(&(0x1000 + 4 * i).to_le_bytes());
        d.extend_from_slice(&e);
    }
    let size = 4 + 48 * n;
    let e = dir + 12 * idx;
    d[e + 4..e + 8].copy_from_slice(&size.to_le_bytes());
    d[e + 8..e + 12].copy_from_slice(&at.to_le_bytes());
    d
}

fn hang_cases(c: &mut Vec<Case>) {
    // ProcessLocksList: Flink at +8 of a debug record (x86).
    let cases: Vec<(&str, Vec<(u64, u32)>)> = vec![
        // A loop that never returns to its start: stock → ledger → ledger → …
        (
            "cyclic-locks-list",
            vec![
                (STOCK_DEBUG + 8, (LEDGER_DEBUG + 8) as u32),
                (LEDGER_DEBUG + 8, (LEDGER_DEBUG + 8) as u32),
            ],
        ),
        // Flinks into unmapped memory and into the middle of a section.
        (
            "locks-list-anywhere",
            vec![
                (STOCK_DEBUG + 8, 0xfffffff0),
                (LEDGER_DEBUG + 8, STOCK as u32 + 2),
            ],
        ),
        // OwningThread a wild value, a thread id not in the dump, and zero.
        (
            "bogus-owner",
            vec![(STOCK + 0xc, 0xdeadbeef), (LEDGER + 0xc, 0)],
        ),
        // LockCount and RecursionCount out of any range.
        (
            "counts-garbage",
            vec![
                (STOCK + 4, 0x8000_0000),
                (STOCK + 8, 0xffff_fffb),
                (LEDGER + 4, 0x7fff_ffff),
            ],
        ),
        // No debug info, and a debug record that is the section itself.
        (
            "debug-info-none-and-self",
            vec![(STOCK, 0xffff_ffff), (LEDGER, LEDGER as u32)],
        ),
        // Each section's debug record pointing at the other section: mutual lies.
        (
            "debug-records-crossed",
            vec![
                (STOCK_DEBUG + 4, LEDGER as u32),
                (LEDGER_DEBUG + 4, STOCK as u32),
            ],
        ),
    ];
    for (n, words) in cases {
        let bytes = patched(&words);
        let b = bytes.clone();
        case(c, format!("hang/{n}"), move || analyze_dump(b));
        let script = format!("!locks; !locks -v; !cs {STOCK:x}; !cs {LEDGER:x}; !analyze -hang");
        case(c, format!("hang/{n}-shell"), move || shell(bytes, script));
    }
    // More threads than the hang analysis walks (4096): the rest are `unknown`, with a warning.
    // (20,000 keeps the unoptimised test build inside the time bound; the analysis's own test
    // `hang_limits` takes 100,000 threads without stacks.)
    case(c, "hang/20000-threads", move || {
        analyze_dump(many_threads(20_000))
    });
    case(c, "hang/20000-threads-shell", move || {
        shell(many_threads(20_000), "!locks; !analyze -hang".into())
    });
}
