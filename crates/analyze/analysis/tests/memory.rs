//! `!address -summary` from real dumps: the lab's Wine dumps and the reference IIS dumps. The
//! tallies must add up (states to the span the regions cover, free usage to MEM_FREE, types to
//! the busy bytes), the largest free region must be the largest, the per-region usage must agree
//! with `!address ADDR`, and a dump without a region list has no summary at all (absent from the
//! JSON, not zero). A synthetic address space of 100,000 regions checks the same sums.

use coroner_analysis::memory::{address_summary, AddressSummary, FRAGMENT_LIMIT};
use coroner_analysis::regions::{address_facts, Usage, UsageIndex};
use coroner_analysis::{analyze, Options};
use coroner_dump::DumpFile;
use coroner_model::*;
use std::path::PathBuf;

#[path = "common/many_regions.rs"]
mod many;
use many::many_regions;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn dumps(folder: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join(folder))
        .expect(folder)
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dmp"))
        .collect();
    v.sort();
    v
}

/// Checks every sum of `s` against the regions it was computed from.
fn check_sums(name: &str, regions: &[Region], s: &AddressSummary) {
    let total: u64 = regions.iter().map(|r| r.size).sum();
    assert_eq!(s.regions, regions.len() as u64, "{name}: region count");
    assert_eq!(s.total, total, "{name}: total");
    let contiguous = regions.windows(2).all(|w| w[0].end() == w[1].base);
    if contiguous {
        let span = regions.last().unwrap().end() - regions[0].base;
        assert_eq!(total, span, "{name}: the regions cover their span");
    }
    let states = s.state_bytes(MEM_COMMIT) + s.state_bytes(MEM_RESERVE) + s.state_bytes(MEM_FREE);
    assert_eq!(states, total, "{name}: by_state sums to the total");
    assert_eq!(
        s.usage(Usage::Free).bytes,
        s.state_bytes(MEM_FREE),
        "{name}: free usage is MEM_FREE"
    );
    let usage: u64 = s.by_usage.values().map(|t| t.bytes).sum();
    assert_eq!(usage, total, "{name}: by_usage sums to the total");
    let types = s.type_bytes(MEM_IMAGE) + s.type_bytes(MEM_MAPPED) + s.type_bytes(MEM_PRIVATE);
    assert_eq!(types, s.busy, "{name}: by_type sums to the busy bytes");
    assert_eq!(s.busy + s.state_bytes(MEM_FREE), total, "{name}: busy");
    let free: Vec<&Region> = regions.iter().filter(|r| r.state == MEM_FREE).collect();
    let max = free.iter().map(|r| r.size).max();
    assert_eq!(s.largest_free.map(|l| l.size), max, "{name}: largest free");
    if let Some(l) = s.largest_free {
        assert!(
            free.iter().any(|r| r.base == l.base && r.size == l.size),
            "{name}: the largest free region is a free region"
        );
    }
    let small: Vec<&&Region> = free.iter().filter(|r| r.size < FRAGMENT_LIMIT).collect();
    assert_eq!(s.free_below_1mb.regions, small.len() as u64, "{name}");
    assert_eq!(
        s.free_below_1mb.bytes,
        small.iter().map(|r| r.size).sum::<u64>(),
        "{name}"
    );
}

/// The summary's usage of each region is what `!address` says of its base: an image no module
/// claims is `Image` and a mapped view `MappedFile` in both, as WinDbg names them.
fn check_usage_agrees(name: &str, snap: &Snapshot<'_>) {
    let index = UsageIndex::new(snap);
    for r in &snap.regions {
        let counted = index.region_usage(r);
        let said = address_facts(snap, r.base).usage;
        let expected = if r.state == MEM_FREE {
            "Free"
        } else {
            said.as_str()
        };
        assert_eq!(counted.name(), expected, "{name}: region {:#x}", r.base);
        if r.state != MEM_FREE && r.kind == MEM_MAPPED {
            assert_eq!(said, "MappedFile", "{name}: region {:#x}", r.base);
        }
        if r.state != MEM_FREE && r.kind == MEM_IMAGE {
            assert_eq!(said, "Image", "{name}: region {:#x}", r.base);
        }
    }
}

#[test]
fn lab_dumps_have_summaries_that_add_up() {
    let files = dumps("fixtures/lab");
    assert!(files.len() >= 20, "{} lab dumps", files.len());
    for f in &files {
        let name = f.display().to_string();
        let df = DumpFile::open(f).expect(&name);
        let snap = df.snapshot().expect(&name);
        assert_eq!(snap.regions_source, Some("MemoryInfoList"), "{name}");
        let a = analyze(&snap, &Options::default());
        let s = a.memory.address_summary.as_ref().expect(&name);
        check_sums(&name, &snap.regions, s);
        check_usage_agrees(&name, &snap);
        assert!(s.usage(Usage::Image).bytes > 0, "{name}: images counted");
        assert!(s.usage(Usage::Stack).regions > 0, "{name}: stacks counted");
        assert!(!s.top_modules.is_empty(), "{name}: top modules");
        let sizes: Vec<u64> = s.top_modules.iter().map(|m| m.size).collect();
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{name}: {sizes:?}");
        let biggest = snap.modules.iter().map(|m| m.size).max();
        assert_eq!(sizes.first().copied(), biggest, "{name}");
    }
}

#[test]
fn reference_dumps_have_summaries_that_add_up() {
    for f in dumps("examples/reference") {
        let name = f.display().to_string();
        let df = DumpFile::open(&f).expect(&name);
        let snap = df.snapshot().expect(&name);
        let a = analyze(&snap, &Options::default());
        match &a.memory.address_summary {
            Some(s) => {
                check_sums(&name, &snap.regions, s);
                check_usage_agrees(&name, &snap);
            }
            None => assert!(snap.regions.is_empty(), "{name}"),
        }
        let h = &a.memory.handles;
        assert_eq!(h.as_ref().map(|h| h.total), snap.handle_count, "{name}");
        if let Some(h) = h {
            let counted: usize = h.by_type.values().sum();
            assert_eq!(counted, snap.handles.len(), "{name}: every handle typed");
        }
    }
}

#[test]
fn a_dump_without_a_region_list_has_no_summary_in_the_json() {
    let f = repo().join("fixtures/lab/nullwrite-x86.dmp");
    let df = DumpFile::open(&f).unwrap();
    let mut snap = df.snapshot().unwrap();
    snap.regions.clear();
    snap.regions_source = None;
    let a = analyze(&snap, &Options::default());
    assert!(a.memory.address_summary.is_none());
    let doc = coroner_report::json::render(&[coroner_report::Outcome::Done(Box::new(a))]);
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let memory = &v["dumps"][0]["memory"];
    assert!(memory.is_object(), "memory is always there: {memory}");
    assert!(
        memory.get("address_summary").is_none(),
        "absent, not null or zero: {memory}"
    );
}

#[test]
fn the_json_summary_has_the_contract_names() {
    let f = repo().join("fixtures/lab/nullwrite-x86.dmp");
    let df = DumpFile::open(&f).unwrap();
    let snap = df.snapshot().unwrap();
    let a = analyze(&snap, &Options::default());
    let doc = coroner_report::json::render(&[coroner_report::Outcome::Done(Box::new(a))]);
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let s = &v["dumps"][0]["memory"]["address_summary"];
    let n = |p: &str| s.pointer(p).and_then(|x| x.as_u64()).expect(p);
    assert_eq!(n("/regions"), snap.regions.len() as u64);
    let states = n("/by_state/MEM_COMMIT") + n("/by_state/MEM_RESERVE") + n("/by_state/MEM_FREE");
    let usage: u64 = [
        "image", "heap", "stack", "teb", "peb", "mapped", "other", "free",
    ]
    .iter()
    .map(|k| n(&format!("/by_usage/{k}")))
    .sum();
    assert_eq!(states, usage);
    assert_eq!(n("/by_usage/free"), n("/by_state/MEM_FREE"));
    let types = n("/by_type/MEM_IMAGE") + n("/by_type/MEM_MAPPED") + n("/by_type/MEM_PRIVATE");
    assert_eq!(types + n("/by_state/MEM_FREE"), states);
    assert!(s["largest_free"]["base"]
        .as_str()
        .unwrap()
        .starts_with("0x"));
    n("/largest_free/size");
    n("/free_below_1mb/count");
    n("/free_below_1mb/bytes");
}

#[test]
fn many_synthetic_regions_add_up() {
    let snap = many_regions(100_000);
    let s = address_summary(&snap).unwrap();
    check_sums("synthetic", &snap.regions, &s);
    assert_eq!(s.usage(Usage::Stack).regions, 1);
    assert_eq!(s.usage(Usage::Teb).regions, 1);
    assert_eq!(s.usage(Usage::Heap).regions, 1);
    assert_eq!(s.usage(Usage::Free).regions, 25_000);
    assert_eq!(s.usage(Usage::MappedFile).regions, 25_000);
    assert_eq!(s.usage(Usage::Image).regions, 25_000);
    assert_eq!(s.usage(Usage::Unknown).regions, 25_000 - 3);
    check_usage_agrees("synthetic", &snap);
}
