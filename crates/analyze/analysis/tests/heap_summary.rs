//! `!heap -s` on synthetic heap headers whose truth is known: a Windows Server 2003 x86 NT
//! heap with two segments (Segments[] array), a Windows 10 x64 NT heap with three segments (the
//! SegmentListEntry ring through the heap's SegmentList head), a segment heap and a page heap
//! recognised, Wine's heap not recognised, a corrupt segment signature and a ring that never
//! returns reported as problems, never a panic.

use coroner_analysis::heap::{heap_summary, HeapKind, MAX_SEGMENTS};
use coroner_model::*;

#[path = "common/many_regions.rs"]
mod many;

/// A snapshot of `arch` whose memory is `ranges` and whose PEB lists `heaps`.
fn snap(arch: Arch, heaps: Vec<u64>, ranges: Vec<(u64, Vec<u8>)>) -> Snapshot<'static> {
    let mut s = many::many_regions(16);
    s.system.arch = arch;
    s.process.heaps = Some(heaps);
    s.memory = AddressSpace::new(
        ranges
            .into_iter()
            .map(|(base, b)| MemoryRange {
                base,
                bytes: Box::leak(b.into_boxed_slice()),
            })
            .collect(),
    );
    s
}

fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], o: usize, v: u64) {
    b[o..o + 8].copy_from_slice(&v.to_le_bytes());
}

/// XP/2003 x86 `_HEAP_SEGMENT` at the start of `b` (its own page).
fn seg52(b: &mut [u8], base: u64, pages: u32, uncommitted: u32) {
    put32(b, 0x08, 0xFFEE_FFEE);
    put32(b, 0x18, base as u32);
    put32(b, 0x1c, pages);
    put32(b, 0x28, uncommitted);
}

#[test]
fn a_windows_2003_heap_is_walked_through_its_segment_array() {
    let h = 0x0015_0000u64;
    let s2 = 0x0082_0000u64;
    let mut heap = vec![0u8; 0x600];
    put32(&mut heap, 0x08, 0xEEFF_EEFF);
    put32(&mut heap, 0x0c, 0x0000_0002); // HEAP_GROWABLE
    seg52(&mut heap[0x580..], h, 0x100, 0xe0); // the heap's first segment lies inside it
    put32(&mut heap, 0x58, (h + 0x580) as u32);
    put32(&mut heap, 0x5c, s2 as u32);
    let mut second = vec![0u8; 0x40];
    seg52(&mut second, s2, 0x400, 0x100);
    let s = snap(Arch::X86, vec![h], vec![(h, heap), (s2, second)]);
    let r = heap_summary(&s).unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let x = &r.heaps[0];
    assert_eq!(x.kind, HeapKind::Nt);
    assert_eq!(x.layout, Some("nt52"));
    assert_eq!(x.flags, Some(2));
    assert_eq!(x.segments.len(), 2);
    assert_eq!(x.reserved(), Some((0x100 + 0x400) * 0x1000));
    assert_eq!(x.committed(), Some((0x20 + 0x300) * 0x1000));
}

/// Windows 10 x64 `_HEAP_SEGMENT` at `b[o..]`: signature, list entry (Flink, Blink), base,
/// pages, uncommitted pages.
fn seg60(b: &mut [u8], o: usize, flink: u64, blink: u64, base: u64, pages: u32, unc: u32) {
    put32(b, o + 0x10, 0xFFEE_FFEE);
    put64(b, o + 0x18, flink);
    put64(b, o + 0x20, blink);
    put64(b, o + 0x30, base);
    put32(b, o + 0x38, pages);
    put32(b, o + 0x50, unc);
}

/// A Windows 10 x64 heap at `h` with segments at `s2` and `s3`; the SegmentList head at
/// h+0x120. `s3_signature` lets a test corrupt the third header.
fn win10(h: u64, s2: u64, s3: u64, s3_signature: u32) -> Vec<(u64, Vec<u8>)> {
    let head = h + 0x120;
    let mut heap = vec![0u8; 0x200];
    seg60(&mut heap, 0, s2 + 0x18, head, h, 0x10, 0x4);
    put32(&mut heap, 0x70, 0x0000_1002);
    put64(&mut heap, 0x120, h + 0x18); // head: Flink to the heap's own segment
    put64(&mut heap, 0x128, s3 + 0x18);
    let mut a = vec![0u8; 0x60];
    seg60(&mut a, 0, s3 + 0x18, h + 0x18, s2, 0x100, 0x80);
    let mut b = vec![0u8; 0x60];
    seg60(&mut b, 0, head, s2 + 0x18, s3, 0x200, 0x0);
    put32(&mut b, 0x10, s3_signature);
    vec![(h, heap), (s2, a), (s3, b)]
}

#[test]
fn a_windows_10_heap_is_walked_through_its_segment_ring() {
    let (h, s2, s3) = (
        0x0000_01a0_0000_0000u64,
        0x0000_01a0_1000_0000,
        0x0000_01a0_2000_0000,
    );
    let s = snap(Arch::Amd64, vec![h], win10(h, s2, s3, 0xFFEE_FFEE));
    let r = heap_summary(&s).unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let x = &r.heaps[0];
    assert_eq!(x.layout, Some("nt60"));
    assert_eq!(x.flags, Some(0x1002));
    let bases: Vec<u64> = x.segments.iter().map(|g| g.base).collect();
    assert_eq!(bases, vec![h, s2, s3]);
    assert_eq!(x.reserved(), Some((0x10 + 0x100 + 0x200) * 0x1000));
    assert_eq!(x.committed(), Some((0xc + 0x80 + 0x200) * 0x1000));
}

#[test]
fn a_corrupt_segment_is_a_problem_and_the_walk_keeps_what_it_read() {
    let (h, s2, s3) = (
        0x0000_01a0_0000_0000u64,
        0x0000_01a0_1000_0000,
        0x0000_01a0_2000_0000,
    );
    let s = snap(Arch::Amd64, vec![h], win10(h, s2, s3, 0x4141_4141));
    let r = heap_summary(&s).unwrap();
    assert_eq!(r.heaps[0].segments.len(), 2);
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert!(
        r.problems[0].contains("does not lead back"),
        "{}",
        r.problems[0]
    );
    // A header no intact heap holds is evidence, and the analysis says so.
    assert_eq!(r.corrupt, r.problems);
    let a = coroner_analysis::analyze(&s, &coroner_analysis::Options::default());
    let f = a
        .findings
        .iter()
        .find(|f| f.kind == coroner_analysis::FindingKind::HeapCorruption)
        .expect("heap_corruption from the heap walk");
    let w = coroner_report::phrase::finding(&a, f, coroner_report::phrase::Lang::En);
    assert!(w.title.starts_with("Heap corruption"), "{}", w.title);
    assert_eq!(w.evidence, r.corrupt);
    assert!(w.recommendation.contains("page heap"));
}

#[test]
fn a_header_missing_from_the_dump_is_not_corruption() {
    let (h, s2, s3) = (
        0x0000_01a0_0000_0000u64,
        0x0000_01a0_1000_0000,
        0x0000_01a0_2000_0000,
    );
    // The third segment's memory is not in the dump at all.
    let mut ranges = win10(h, s2, s3, 0xFFEE_FFEE);
    ranges.pop();
    let s = snap(Arch::Amd64, vec![h], ranges);
    let r = heap_summary(&s).unwrap();
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert!(r.corrupt.is_empty(), "{:?}", r.corrupt);
    let a = coroner_analysis::analyze(&s, &coroner_analysis::Options::default());
    assert!(!a.has(coroner_analysis::FindingKind::HeapCorruption));
}

#[test]
fn a_ring_that_never_returns_stops_at_the_limit() {
    // x86 Vista+ segments that each point to the next, forever (a fresh one each time).
    let h = 0x0100_0000u64;
    let n = MAX_SEGMENTS as u64 + 10;
    let mut ranges = Vec::new();
    for i in 0..n {
        let at = h + i * 0x1_0000;
        let mut b = vec![0u8; 0x40];
        put32(&mut b, 0x08, 0xFFEE_FFEE);
        put32(&mut b, 0x10, (at + 0x1_0000 + 0x10) as u32);
        put32(&mut b, 0x1c, at as u32);
        put32(&mut b, 0x20, 1);
        ranges.push((at, b));
    }
    let s = snap(Arch::X86, vec![h], ranges);
    let r = heap_summary(&s).unwrap();
    assert_eq!(r.heaps[0].segments.len(), MAX_SEGMENTS);
    assert!(
        r.problems[0].contains("walk stopped at 64 segments"),
        "{:?}",
        r.problems
    );
    assert!(r.corrupt.is_empty(), "a limit is not corruption");
}

#[test]
fn segment_heaps_and_page_heaps_are_recognised_and_wine_heaps_are_not() {
    let seg = 0x0000_0200_0000_0000u64;
    let mut sh = vec![0u8; 0x40];
    put32(&mut sh, 0x10, 0xDDEE_DDEE);
    let dph = 0x0000_0300_0000_0000u64;
    let mut ph = vec![0u8; 0x1010];
    put32(&mut ph, 0x1000, 0xFFEE_DDCC);
    let wine = 0x0000_0400_0000_0000u64;
    let missing = 0x0000_0500_0000_0000u64;
    let s = snap(
        Arch::Amd64,
        vec![seg, dph, wine, missing],
        vec![(seg, sh), (dph, ph), (wine, vec![0x55; 0x100])],
    );
    let r = heap_summary(&s).unwrap();
    let kinds: Vec<HeapKind> = r.heaps.iter().map(|h| h.kind).collect();
    assert_eq!(kinds, vec![HeapKind::Segment, HeapKind::PageHeap]);
    assert_eq!(r.heaps[0].committed(), None, "not walked");
    assert_eq!(r.heaps[1].reserved(), None, "not walked");
    assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
    assert!(r.problems[0].contains("no Windows heap signature"));
    assert!(r.problems[1].contains("not in the dump"));
}

/// The fixture symbol store of `lab/pdb/build-heap.sh` and its truth.
fn heap_pdbs() -> (std::path::PathBuf, serde_json::Value) {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/pdb/heap");
    let exp = std::fs::read_to_string(dir.join("ntdll-expected.json")).unwrap();
    (dir, serde_json::from_str(&exp).unwrap())
}

/// The layout of one build of the fixture's ntdll.pdb.
fn pdb_layout(build: &str) -> coroner_analysis::heap::HeapLayout {
    let (dir, exp) = heap_pdbs();
    let id = exp[build]["debug_id"].as_str().unwrap();
    let t = coroner_symbols::read_struct_layouts(
        &dir.join("ntdll.pdb").join(id).join("ntdll.pdb"),
        &coroner_analysis::heap::layout::STRUCTS,
        Some(id),
        &coroner_symbols::Options::default(),
    )
    .unwrap();
    coroner_analysis::heap::HeapLayout::from_pdb(&t).unwrap()
}

/// A three-segment heap written with the offsets of `build` in the fixture's truth: the
/// segment ring and the heap's `Flags`.
fn heap_of_build(build: &str, h: u64, s2: u64, s3: u64) -> Vec<(u64, Vec<u8>)> {
    let (_, exp) = heap_pdbs();
    let st = &exp[build]["structs"];
    let f = |s: &str, n: &str| st[s]["fields"][n].as_u64().unwrap() as usize;
    let (sig, list, base, pages, unc) = (
        f("_HEAP_SEGMENT", "SegmentSignature"),
        f("_HEAP_SEGMENT", "SegmentListEntry"),
        f("_HEAP_SEGMENT", "BaseAddress"),
        f("_HEAP_SEGMENT", "NumberOfPages"),
        f("_HEAP_SEGMENT", "NumberOfUnCommittedPages"),
    );
    let head = h + f("_HEAP", "SegmentList") as u64;
    let seg = |b: &mut [u8], next: u64, prev: u64, at: u64, n: u32, u: u32| {
        put32(b, sig, 0xFFEE_FFEE);
        put64(b, list, next);
        put64(b, list + 8, prev);
        put64(b, base, at);
        put32(b, pages, n);
        put32(b, unc, u);
    };
    let l = list as u64;
    let mut heap = vec![0u8; 0x200];
    seg(&mut heap, s2 + l, head, h, 0x10, 0x4);
    put32(&mut heap, f("_HEAP", "Flags"), 0x1002);
    put64(&mut heap, f("_HEAP", "SegmentList"), h + l);
    put64(&mut heap, f("_HEAP", "SegmentList") + 8, s3 + l);
    let mut a = vec![0u8; 0x80];
    seg(&mut a, s3 + l, h + l, s2, 0x100, 0x80);
    let mut b = vec![0u8; 0x80];
    seg(&mut b, head, s2 + l, s3, 0x200, 0);
    vec![(h, heap), (s2, a), (s3, b)]
}

#[test]
fn a_build_the_known_offsets_do_not_fit_is_walked_with_its_pdb() {
    use coroner_analysis::heap::{heap_summary_with, LayoutSource};
    let (h, s2, s3) = (
        0x0000_01a0_0000_0000u64,
        0x0000_01a0_1000_0000,
        0x0000_01a0_2000_0000,
    );
    let s = snap(Arch::Amd64, vec![h], heap_of_build("other", h, s2, s3));
    // The known builds look for the signature where this build does not keep it.
    let known = heap_summary(&s).unwrap();
    assert!(known.heaps.is_empty(), "{:?}", known.heaps);
    assert!(known.problems[0].contains("no Windows heap signature"));
    // Its own PDB gives the offsets that read it right.
    let l = pdb_layout("other");
    let (_, exp) = heap_pdbs();
    assert_eq!(
        l.source,
        LayoutSource::Pdb {
            name: "ntdll.pdb".into(),
            id: exp["other"]["debug_id"].as_str().unwrap().into()
        }
    );
    let r = heap_summary_with(&s, Some(&Ok(l))).unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let x = &r.heaps[0];
    assert_eq!(x.flags, Some(0x1002));
    assert_eq!(
        x.segments.iter().map(|g| g.base).collect::<Vec<_>>(),
        vec![h, s2, s3]
    );
    assert_eq!(x.reserved(), Some((0x10 + 0x100 + 0x200) * 0x1000));
    assert_eq!(x.committed(), Some((0xc + 0x80 + 0x200) * 0x1000));
    assert_eq!(r.layout_sources(), vec![&x.layout_source.clone().unwrap()]);
}

#[test]
fn the_windows_10_pdb_reads_what_the_known_build_reads_and_says_so() {
    use coroner_analysis::heap::{heap_summary_with, LayoutSource};
    let (h, s2, s3) = (
        0x0000_01a0_0000_0000u64,
        0x0000_01a0_1000_0000,
        0x0000_01a0_2000_0000,
    );
    let s = snap(Arch::Amd64, vec![h], heap_of_build("win10", h, s2, s3));
    let known = heap_summary(&s).unwrap();
    let pdb = heap_summary_with(&s, Some(&Ok(pdb_layout("win10")))).unwrap();
    assert_eq!(known.heaps[0].segments, pdb.heaps[0].segments);
    assert_eq!(known.heaps[0].layout_source, Some(LayoutSource::KnownBuild));
    assert!(matches!(
        pdb.heaps[0].layout_source,
        Some(LayoutSource::Pdb { .. })
    ));
    // The other build's PDB does not fit this heap: the known builds read it, and say so.
    let wrong = heap_summary_with(&s, Some(&Ok(pdb_layout("other")))).unwrap();
    assert_eq!(wrong.heaps[0].layout_source, Some(LayoutSource::KnownBuild));
    // A PDB that gave no layout is named, and the known builds read the heap.
    let bad = heap_summary_with(&s, Some(&Err("ntdll.pdb has no _HEAP.Flags".into()))).unwrap();
    assert_eq!(bad.heaps[0].segments, known.heaps[0].segments);
    assert!(bad.problems[0].contains("no _HEAP.Flags: offsets from the known builds"));
}

/// A PDB in the XP/2003 style (`_HEAP.Segments[]`, the segment's `Signature`) gives the array
/// walk its offsets; one missing a field the walk reads is refused, naming the field.
#[test]
fn an_xp_style_pdb_layout_walks_the_segment_array() {
    use coroner_analysis::heap::{heap_summary_with, HeapLayout, LayoutSource};
    use coroner_symbols::{Field, StructLayout, TypeLayouts};
    let st = |name: &str, fields: &[(&str, u64)]| StructLayout {
        name: name.into(),
        size: 0x640,
        fields: fields
            .iter()
            .map(|(p, o)| Field {
                path: p.to_string(),
                offset: *o,
            })
            .collect(),
    };
    let heap = st(
        "_HEAP",
        &[("Signature", 0x08), ("Flags", 0x0c), ("Segments", 0x58)],
    );
    let seg = st(
        "_HEAP_SEGMENT",
        &[
            ("Signature", 0x08),
            ("BaseAddress", 0x18),
            ("NumberOfPages", 0x1c),
            ("NumberOfUnCommittedPages", 0x28),
        ],
    );
    let t = TypeLayouts {
        pdb_name: "ntdll.pdb".into(),
        debug_id: "ABC1".into(),
        structs: vec![heap.clone(), seg],
    };
    let l = HeapLayout::from_pdb(&t).unwrap();
    let h = 0x0015_0000u64;
    let mut b = vec![0u8; 0x600];
    put32(&mut b, 0x08, 0xEEFF_EEFF);
    put32(&mut b, 0x0c, 2);
    seg52(&mut b[0x580..], h, 0x100, 0xe0);
    put32(&mut b, 0x58, (h + 0x580) as u32);
    let s = snap(Arch::X86, vec![h], vec![(h, b)]);
    let r = heap_summary_with(&s, Some(&Ok(l))).unwrap();
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(r.heaps[0].layout, Some("nt52"));
    assert!(matches!(
        r.heaps[0].layout_source,
        Some(LayoutSource::Pdb { .. })
    ));
    assert_eq!(r.heaps[0].committed(), Some(0x20 * 0x1000));
    // No _HEAP_SEGMENT.BaseAddress: refused, the field named.
    let t = TypeLayouts {
        structs: vec![
            heap,
            st(
                "_HEAP_SEGMENT",
                &[("Signature", 0x08), ("NumberOfPages", 0x1c)],
            ),
        ],
        ..t
    };
    let e = HeapLayout::from_pdb(&t).unwrap_err();
    assert!(e.contains("_HEAP_SEGMENT.BaseAddress"), "{e}");
}
