//! The lab's memory dumps (`fixtures/lab/memory/`, captured under Wine from `lab/src/memory`,
//! whose programs wrote their own ground truth into `memory-expected.json`): for each dump the
//! memory finding the program's failure calls for, with the numbers the program saw.
//!
//! Tolerances: the program walked its address space with VirtualQuery just before its failing
//! call; the dumper walked it again after the failure (the crash dumps) or right after the
//! program wrote its truth (the live dumps). Between the two, the failing call itself and the
//! exception dispatch may reserve or release a few regions, so the largest free region and the
//! free total may differ by [`TOLERANCE`]; committed heap and private bytes by [`TOLERANCE`] too.

use coroner_analysis::memory_findings::{OomSource, Pressure, PressureCause};
use coroner_analysis::{analyze, Analysis, Detail, FindingKind, Options};
use coroner_dump::DumpFile;
use serde_json::Value;
use std::path::PathBuf;

/// 4 MB: what the failing call and the exception dispatch may move in the address space.
const TOLERANCE: u64 = 4 << 20;

fn memory_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab/memory")
}

fn expected() -> Vec<Value> {
    let text = std::fs::read_to_string(memory_dir().join("memory-expected.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["dumps"].as_array().unwrap().clone()
}

fn dump(e: &Value) -> (DumpFile, String) {
    let file = e["file"].as_str().unwrap().to_string();
    (DumpFile::open(memory_dir().join(&file)).expect(&file), file)
}

fn analyse(df: &DumpFile) -> Analysis {
    let snap = df.snapshot().unwrap();
    analyze(&snap, &Options::default())
}

/// Analysed with the lab's own builds as `--images`.
fn analyse_with_images(df: &DumpFile, arch: &str) -> Analysis {
    let snap = df.snapshot().unwrap();
    let store =
        coroner_analysis::images::ImageStore::new(vec![memory_dir().join("bin").join(arch)]);
    let opts = Options {
        images: Some(std::sync::Arc::new(store)),
        ..Options::default()
    };
    analyze(&snap, &opts)
}

/// A symbol's address in the linker's map of alpsnow.dll.
fn map_address(arch: &str, symbol: &str) -> u64 {
    let map =
        std::fs::read_to_string(memory_dir().join("bin").join(arch).join("alpsnow.map")).unwrap();
    map.lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            let addr = w.next()?.strip_prefix("0x")?;
            (w.next()? == symbol && w.next().is_none())
                .then(|| u64::from_str_radix(addr, 16).ok())?
        })
        .unwrap_or_else(|| panic!("{symbol} not in the map"))
}

fn of(e: &Value, scenario: &str) -> bool {
    e["scenario"] == scenario
}

fn near(got: u64, want: u64) -> bool {
    got.abs_diff(want) <= TOLERANCE
}

fn oom(a: &Analysis, file: &str) -> (OomSource, Pressure) {
    let f = a
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::OutOfMemory)
        .unwrap_or_else(|| panic!("{file}: no out_of_memory in {:?}", kinds(a)));
    match &f.detail {
        Detail::OutOfMemory { source, pressure } => (*source, pressure.clone()),
        d => panic!("{file}: detail {d:?}"),
    }
}

fn kinds(a: &Analysis) -> Vec<FindingKind> {
    a.findings.iter().map(|f| f.kind).collect()
}

fn words(a: &Analysis, kind: FindingKind) -> coroner_report::phrase::Words {
    let f = a.findings.iter().find(|f| f.kind == kind).unwrap();
    coroner_report::phrase::finding(a, f, coroner_report::phrase::Lang::En)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn every_memory_scenario_has_a_dump() {
    let e = expected();
    for (sc, arches) in [
        ("fragment", &["x86"][..]),
        ("commit", &["x64"]),
        ("heapleak", &["x86", "x64"]),
        ("handleleak", &["x86", "x64"]),
        ("badalloc", &["x86", "x64"]),
    ] {
        for arch in arches {
            assert!(
                e.iter().any(|d| of(d, sc) && d["arch"] == *arch),
                "{sc}-{arch} missing"
            );
        }
    }
    for d in &e {
        assert!(u(&d["size"]) <= 2 << 20, "{} over 2 MB", d["file"]);
    }
}

#[test]
fn fragment_is_a_fragmented_address_space_and_an_unchecked_allocation() {
    for e in expected().iter().filter(|e| of(e, "fragment")) {
        let (df, file) = dump(e);
        let a = analyse(&df);
        let t = &e["truth"];
        assert_eq!(
            a.findings[0].kind,
            FindingKind::OutOfMemory,
            "{file}: the verdict ({:?})",
            kinds(&a)
        );
        assert!(a.has(FindingKind::NullPointer), "{file}: the NULL write");
        let (source, p) = oom(&a, &file);
        assert_eq!(
            p.cause,
            Some(PressureCause::AddressSpaceFragmented),
            "{file}"
        );
        let space = &t["address_space"];
        let (largest, free) = (p.largest_free.unwrap(), p.free_total.unwrap());
        let want_largest = u(&space["largest_free"]["size"]);
        let want_free = u(&space["free_total"]);
        assert!(
            near(largest, want_largest),
            "{file}: largest free {largest} vs the program's {want_largest}"
        );
        assert!(
            near(free, want_free),
            "{file}: free total {free} vs the program's {want_free}"
        );
        // The failed request did not fit in the largest free region, although the free total
        // would have held it.
        let size = u(&t["failed_allocation"]["size"]);
        assert!(
            largest < size && free > size,
            "{file}: {largest} < {size} < {free}"
        );
        // The fault is at the field offset the program wrote through NULL.
        let fault = a.exception.as_ref().and_then(|x| x.target);
        let want_fault = u64::from_str_radix(
            t["failed_allocation"]["fault_address"]
                .as_str()
                .unwrap()
                .trim_start_matches("0x"),
            16,
        )
        .unwrap();
        assert_eq!(fault, Some(want_fault), "{file}: fault address");
        // The vendor calls HeapAlloc through its own wrapper (alpsnow!AlpAllocGrid, not
        // exported), and the wrapper calls it through its import table, whose pages the dump
        // lacks: from the dump alone the verdict rests on the exhausted address space.
        assert_eq!(source, OomSource::NullInExhaustedProcess, "{file}");
        assert!(a.memory.allocation_call.is_none(), "{file}");
        // With the DLL's file (--images), its import directory names the slot: the wrapper is
        // followed to HeapAlloc, and named by its offset in alpsnow (the map file's address).
        let with = analyse_with_images(&df, "x86");
        let call = with.memory.allocation_call.as_ref();
        assert_eq!(
            oom(&with, &file).0,
            OomSource::NullFromAllocator,
            "{file}: {call:?}"
        );
        let call = call.unwrap();
        assert_eq!(call.function, "kernel32!HeapAlloc", "{file}");
        let grid = map_address("x86", "AlpAllocGrid") - 0x62e0_0000;
        assert_eq!(
            call.via.as_deref(),
            Some(&*format!("alpsnow+{grid:#x}")),
            "{file}"
        );
        let w = words(&with, FindingKind::OutOfMemory);
        assert!(
            w.description
                .contains("(a wrapper of kernel32!HeapAlloc) returned NULL"),
            "{}",
            w.description
        );
        let w = words(&a, FindingKind::OutOfMemory);
        assert!(w.title.contains("fragmented"), "{file}: {}", w.title);
        assert!(
            w.title.contains("unchecked allocation"),
            "{file}: {}",
            w.title
        );
    }
}

#[test]
fn commit_is_commit_exhaustion_not_fragmentation() {
    for e in expected().iter().filter(|e| of(e, "commit")) {
        let (df, file) = dump(e);
        let a = analyse(&df);
        let t = &e["truth"];
        assert_eq!(
            a.findings[0].kind,
            FindingKind::OutOfMemory,
            "{file}: {:?}",
            kinds(&a)
        );
        let (source, p) = oom(&a, &file);
        assert_eq!(source, OomSource::StatusNoMemory, "{file}");
        assert_eq!(
            p.cause,
            Some(PressureCause::CommitExhausted { measured: false }),
            "{file}: the address space had room"
        );
        // 128 TB of address space: Wine's exception dispatch reserves a few hundred GB of it
        // between the program's walk and the dump, hence a relative tolerance (1 %).
        let largest = p.largest_free.unwrap();
        let want = u(&t["address_space"]["largest_free"]["size"]);
        assert!(
            largest.abs_diff(want) <= want / 100,
            "{file}: largest free {largest} vs {want}"
        );
        assert!(largest > u(&t["failed_allocation"]["size"]), "{file}");
        let w = words(&a, FindingKind::OutOfMemory);
        assert!(!w.title.contains("fragmented"), "{file}: {}", w.title);
    }
}

#[test]
fn badalloc_is_out_of_memory_from_a_cpp_bad_alloc() {
    for e in expected().iter().filter(|e| of(e, "badalloc")) {
        let (df, file) = dump(e);
        let a = analyse(&df);
        let x = a.exception.as_ref().unwrap();
        assert_eq!(x.code, 0xE06D_7363, "{file}");
        let thrown = e["truth"]["failed_allocation"]["thrown_type"]
            .as_str()
            .unwrap();
        assert!(
            x.cpp_type
                .as_deref()
                .is_some_and(|t| t.contains("bad_alloc")),
            "{file}: typed {:?}, thrown {thrown}",
            x.cpp_type
        );
        assert_eq!(
            a.findings[0].kind,
            FindingKind::OutOfMemory,
            "{file}: {:?}",
            kinds(&a)
        );
        assert_eq!(oom(&a, &file).0, OomSource::CppBadAlloc, "{file}");
    }
}

#[test]
fn heapleak_is_memory_growth_with_the_heap_sizes() {
    for e in expected().iter().filter(|e| of(e, "heapleak")) {
        let (df, file) = dump(e);
        let a = analyse(&df);
        assert!(a.exception.is_none(), "{file}: a live dump");
        let f = a
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::MemoryGrowth)
            .unwrap_or_else(|| panic!("{file}: no memory_growth in {:?}", kinds(&a)));
        let Detail::MemoryGrowth {
            pressure,
            threshold,
            ..
        } = &f.detail
        else {
            panic!("{file}: {:?}", f.detail)
        };
        let leak = &e["truth"]["leak"];
        let leaked = u(&leak["bytes"]);
        assert!(
            leaked >= *threshold,
            "{file}: the program leaked past the threshold"
        );
        let private = pressure.private_usage.unwrap();
        assert!(
            private >= leaked,
            "{file}: private bytes {private} < leaked {leaked}"
        );
        // The heaps the program leaked on, with the committed bytes HeapWalk counted.
        let heaps = a
            .memory
            .heaps
            .as_ref()
            .unwrap_or_else(|| panic!("{file}: heaps not walked"));
        for h in leak["heaps"].as_array().unwrap() {
            let handle =
                u64::from_str_radix(h["handle"].as_str().unwrap().trim_start_matches("0x"), 16)
                    .unwrap();
            let got = heaps.heaps.iter().find(|s| s.address == handle);
            let got =
                got.unwrap_or_else(|| panic!("{file}: heap {handle:#x} not listed: {heaps:?}"));
            let want = u(&h["heapwalk"]["committed"]);
            let c = got
                .committed()
                .unwrap_or_else(|| panic!("{file}: heap {handle:#x} not walked: {heaps:?}"));
            assert!(
                near(c, want),
                "{file}: heap {handle:#x} committed {c} vs HeapWalk's {want}"
            );
        }
        let total: u64 = leak["heaps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| u(&h["heapwalk"]["committed"]))
            .sum();
        assert!(
            pressure.heap_bytes.is_some_and(|b| b >= total),
            "{file}: heap bytes {:?} < {total}",
            pressure.heap_bytes
        );
    }
}

#[test]
fn handleleak_counts_equal_the_programs_by_type() {
    for e in expected().iter().filter(|e| of(e, "handleleak")) {
        let (df, file) = dump(e);
        let a = analyse(&df);
        let f = a
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::HandleLeak)
            .unwrap_or_else(|| panic!("{file}: no handle_leak in {:?}", kinds(&a)));
        let Detail::HandleLeak(h) = &f.detail else {
            panic!()
        };
        let counts = &a.memory.handles.as_ref().unwrap().by_type;
        for l in e["truth"]["leaked"].as_array().unwrap() {
            let ty = l["type_name"].as_str().unwrap();
            // What the program leaked, plus the handles of that type it held before (counted
            // by the program probing its own handle values).
            let want = u(&l["opened"]) as usize
                + e["truth"]["types_before"][ty].as_u64().unwrap_or(0) as usize;
            assert_eq!(counts.get(ty).copied(), Some(want), "{file}: {ty}");
        }
        let top = &h.top_types[0];
        assert_eq!(top.0, "Event", "{file}: {:?}", h.top_types);
        // The named event: every handle to it carries its name.
        let name = h
            .top_names
            .first()
            .unwrap_or_else(|| panic!("{file}: no names"));
        assert!(
            name.0.ends_with("AlpineLiftGate"),
            "{file}: {:?}",
            h.top_names
        );
        assert_eq!(name.1, 6000, "{file}: {:?}", h.top_names);
    }
}
