//! `!heap -s` from a full dump (issue 15): the process heaps the PEB lists, recognised by their
//! signatures and, for the NT heap, walked segment by segment for reserved and committed bytes.
//!
//! Layouts (public `dt ntdll!_HEAP` / `_HEAP_SEGMENT` output of the named builds):
//! - **NT heap, Windows XP/Server 2003, x86** (`nt52`): `_HEAP.Signature` 0xEEFFEEFF at +0x08,
//!   `Flags` +0x0C, `Segments[64]` (pointers to `_HEAP_SEGMENT`) at +0x58; a segment has
//!   `Signature` 0xFFEEFFEE at +0x08, `BaseAddress` +0x18, `NumberOfPages` +0x1C,
//!   `NumberOfUnCommittedPages` +0x28.
//! - **NT heap, Windows Vista to 11** (`nt60`): the heap is its own first segment, so it starts
//!   with `_HEAP_SEGMENT`, whose layout has not changed since Vista: `SegmentSignature`
//!   0xFFEEFFEE at +0x08 (x64 +0x10), `SegmentListEntry` +0x10 (+0x18), `BaseAddress` +0x1C
//!   (+0x30), `NumberOfPages` +0x20 (+0x38), `NumberOfUnCommittedPages` +0x2C (+0x50);
//!   `_HEAP.Flags` +0x40 (+0x70). Segments are walked through `SegmentListEntry`, a ring through
//!   the heap's own `SegmentList` head, so no build-specific `_HEAP` offset is needed.
//! - **Segment heap** (Windows 10+): `_SEGMENT_HEAP.Signature` 0xDDEEDDEE after its two-pointer
//!   `EnvHandle` (+0x08, x64 +0x10); recognised, not walked.
//! - **Page heap** (gflags `+hpa`): the `DPH_HEAP_ROOT` one page after the handle carries
//!   0xFFEEDDCC; recognised, not walked.
//!
//! - **Wine's heap** (Wine 7.x–8, `dlls/ntdll/heap.c`): the Windows 10-compatible head (0xFFEEFFEE
//!   at +0x08/+0x10, `Flags` +0x40/+0x70) followed by Wine's own fields, recognised by the magic
//!   `HEAP` (0x50414548) eight pointers after the end of that head; walked through its sub-heap
//!   list (`wine.rs`).
//!
//! - **From the PDB** (`layout.rs`): when the symbol path has the public PDB of the dump's own
//!   `ntdll.dll`, `_HEAP` and `_HEAP_SEGMENT` are read from its type stream and an NT heap whose
//!   signature sits where that PDB puts it is walked with its offsets; any other heap, or a PDB
//!   without the fields, falls back to the known builds above. Each heap says which
//!   (`layout_source`).
//!
//! When the PEB's heap list is unknown (Wine leaves `NumberOfHeaps` 0; a dump without the PEB's
//! page), the heaps are looked for at `PEB.ProcessHeap` and at every allocation base whose first
//! bytes in the dump carry a heap signature.
//!
//! Anything else (memory not in the dump, another allocator) is named in `problems`; a segment
//! whose signature is wrong ends the walk and is named too, never a panic. Headers of a
//! recognised NT heap that no intact heap holds (a wrong segment signature, more uncommitted
//! pages than pages, a ring that does not close) are also listed in `corrupt`: the analysis makes
//! them a `heap_corruption` finding. Memory missing from the dump, zeros and limits are not.
//! Walks stop at
//! [`MAX_SEGMENTS`] with a warning.

pub mod layout;
mod wine;

use layout::SegmentLayout;
pub use layout::{from_symbols, HeapLayout, LayoutSource};

use coroner_model::*;
use serde::Serialize;

/// Segments walked per heap at most (the NT heap of XP/2003 has 64 slots).
pub const MAX_SEGMENTS: usize = 64;
/// Heaps summarised at most.
pub const MAX_HEAPS: usize = 256;

const HEAP_SIGNATURE: u32 = 0xEEFF_EEFF;
const SEGMENT_SIGNATURE: u32 = 0xFFEE_FFEE;
const SEGMENT_HEAP_SIGNATURE: u32 = 0xDDEE_DDEE;
const DPH_ROOT_SIGNATURE: u32 = 0xFFEE_DDCC;
const PAGE: u64 = 0x1000;

/// What kind of heap (JSON `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeapKind {
    Nt,
    Segment,
    PageHeap,
    /// Wine's own heap (`layout` `wine`): its sub-heaps are the segments.
    Wine,
}

/// One segment of an NT heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct HeapSegment {
    /// The segment header's address.
    pub address: u64,
    /// `BaseAddress`.
    pub base: u64,
    /// Reserved bytes (`NumberOfPages` pages).
    pub reserved: u64,
    /// Committed bytes (pages less `NumberOfUnCommittedPages`).
    pub committed: u64,
}

/// One process heap, as `!heap -s` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeapSummary {
    /// The heap handle (PEB `ProcessHeaps` entry).
    pub address: u64,
    /// Its kind.
    pub kind: HeapKind,
    /// The layout it was read with (`nt52` XP/2003 x86, `nt60` Vista–11, `wine`), `None` when not
    /// walked.
    pub layout: Option<&'static str>,
    /// Where the layout's offsets came from (`None` when not walked).
    pub layout_source: Option<LayoutSource>,
    /// `_HEAP.Flags`, when read.
    pub flags: Option<u32>,
    /// The segments walked (empty when not walked).
    pub segments: Vec<HeapSegment>,
}

impl HeapSummary {
    /// Reserved bytes of the segments walked (`None`: not walked, or no segment readable).
    pub fn reserved(&self) -> Option<u64> {
        self.walked()
            .then(|| self.segments.iter().map(|s| s.reserved).sum())
    }
    /// Committed bytes of the segments walked (`None`: not walked, or no segment readable).
    pub fn committed(&self) -> Option<u64> {
        self.walked()
            .then(|| self.segments.iter().map(|s| s.committed).sum())
    }
    fn walked(&self) -> bool {
        self.layout.is_some() && !self.segments.is_empty()
    }
}

/// The heaps of a process and what stopped their reading.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Heaps {
    /// The heaps recognised, in PEB order.
    pub heaps: Vec<HeapSummary>,
    /// Heaps not recognised, headers not in the dump, bad segments, limits hit.
    pub problems: Vec<String>,
    /// Those of the problems that are headers of a recognised NT heap holding what no intact
    /// heap holds (a wrong segment signature, more uncommitted pages than pages, a segment
    /// ring that does not close): evidence of heap corruption.
    pub corrupt: Vec<String>,
}

impl Heaps {
    /// The distinct sources of the walked heaps' offsets, in first-seen order.
    pub fn layout_sources(&self) -> Vec<&LayoutSource> {
        let mut v: Vec<&LayoutSource> = Vec::new();
        for h in &self.heaps {
            if let Some(src) = h.layout_source.as_ref().filter(|_| h.walked()) {
                if !v.contains(&src) {
                    v.push(src);
                }
            }
        }
        v
    }
}

/// What ended the walk of a heap early.
struct Stop {
    text: String,
    /// A corrupt header rather than memory missing from the dump or a limit.
    corrupt: bool,
}

impl Stop {
    fn missing(text: String) -> Stop {
        Stop {
            text,
            corrupt: false,
        }
    }
    fn corrupt(text: String) -> Stop {
        Stop {
            text,
            corrupt: true,
        }
    }
    /// The same stop, said of heap `h`.
    fn of_heap(self, h: u64) -> Stop {
        Stop {
            text: format!("heap {}: {}", crate::hex(h), self.text),
            ..self
        }
    }
}

/// The heap summary with the known builds' offsets (`None` when the PEB's heap list is not in
/// the dump and no heap is found by its signature either).
pub fn heap_summary(snap: &Snapshot<'_>) -> Option<Heaps> {
    heap_summary_with(snap, None)
}

/// The heap summary, NT heaps read with `pdb`'s offsets when given and the heap fits them
/// (its signature where the PDB puts it), else with the known builds'. A PDB that could not
/// give a layout (`Some(Err)`) is named in `problems`.
pub fn heap_summary_with(
    snap: &Snapshot<'_>,
    pdb: Option<&Result<HeapLayout, String>>,
) -> Option<Heaps> {
    let ptr = snap.system.arch.ptr_size();
    let mut out = Heaps::default();
    let found;
    let list = match snap.process.heaps.as_ref() {
        Some(l) => l,
        None => {
            found = discovered(snap, ptr);
            if found.is_empty() {
                return None;
            }
            out.problems.push(format!(
                "the PEB lists no heaps: {} found by their signatures (PEB.ProcessHeap and allocation bases)",
                found.len()
            ));
            &found
        }
    };
    let layout = match pdb {
        Some(Ok(l)) => Some(l),
        Some(Err(e)) => {
            out.problems
                .push(format!("{e}: offsets from the known builds"));
            None
        }
        None => None,
    };
    if list.len() > MAX_HEAPS {
        out.problems.push(format!(
            "the PEB lists {} heaps: only the first {MAX_HEAPS} are summarised",
            list.len()
        ));
    }
    for &h in list.iter().take(MAX_HEAPS) {
        match heap(&snap.memory, h, ptr, snap.system.arch == Arch::X86, layout) {
            Ok((summary, stop)) => {
                out.heaps.push(summary);
                if let Some(stop) = stop {
                    if stop.corrupt {
                        out.corrupt.push(stop.text.clone());
                    }
                    out.problems.push(stop.text);
                }
            }
            Err(p) => out.problems.push(p),
        }
    }
    Some(out)
}

/// `PEB.ProcessHeap` and the allocation bases whose header in the dump carries a heap
/// signature, in address order (the process heap first).
fn discovered(snap: &Snapshot<'_>, ptr: u8) -> Vec<u64> {
    let mem = &snap.memory;
    let p = u64::from(ptr);
    let process_heap = snap
        .process
        .peb
        .and_then(|peb| mem.read_ptr(peb + 6 * p, ptr))
        .filter(|h| *h != 0);
    let signed = |b: u64| {
        matches!(
            mem.read_u32(b + 2 * p),
            Some(SEGMENT_SIGNATURE | SEGMENT_HEAP_SIGNATURE)
        )
    };
    let mut v: Vec<u64> = process_heap.into_iter().collect();
    for r in &snap.regions {
        let base = r.base == r.allocation_base && r.state == MEM_COMMIT && r.kind == MEM_PRIVATE;
        if base && Some(r.base) != process_heap && v.len() < MAX_HEAPS && signed(r.base) {
            // A Windows heap's extra segments carry the segment signature too: only heads count.
            if !is_extra_segment(mem, r.base, ptr) {
                v.push(r.base);
            }
        }
    }
    v
}

/// Whether a signed allocation is a later segment of an NT heap (its `Heap` field, right after
/// the segment's list entry on Vista–11, points elsewhere) or a Wine sub-heap (no `HEAP` magic).
fn is_extra_segment(mem: &AddressSpace<'_>, b: u64, ptr: u8) -> bool {
    if wine::is_wine(mem, b, ptr) {
        return false;
    }
    let l = HeapLayout::nt60(ptr).segment;
    let Some(at) = l.heap else { return false };
    let heap = mem.read_ptr(b + at, ptr);
    heap.is_some_and(|h| h != b && h != 0)
}

/// One heap: its summary and what cut its walk short, or why it is not recognised.
fn heap(
    mem: &AddressSpace<'_>,
    h: u64,
    ptr: u8,
    x86: bool,
    pdb: Option<&HeapLayout>,
) -> Result<(HeapSummary, Option<Stop>), String> {
    let p = u64::from(ptr);
    let at = |off: u64| mem.read_u32(h.wrapping_add(off));
    let unwalked = |kind| HeapSummary {
        address: h,
        kind,
        layout: None,
        layout_source: None,
        flags: None,
        segments: vec![],
    };
    if at(2 * p).is_none() {
        return Err(format!(
            "heap {}: its header is not in the dump",
            crate::hex(h)
        ));
    }
    if at(2 * p) == Some(SEGMENT_HEAP_SIGNATURE) {
        return Ok((unwalked(HeapKind::Segment), None));
    }
    if at(PAGE) == Some(DPH_ROOT_SIGNATURE) {
        return Ok((unwalked(HeapKind::PageHeap), None));
    }
    if at(2 * p) == Some(SEGMENT_SIGNATURE) && wine::is_wine(mem, h, ptr) {
        return Ok(wine::walk(mem, h, ptr));
    }
    if let Some(l) = pdb {
        match l.array {
            Some((sig, _)) if at(sig) == Some(HEAP_SIGNATURE) => return Ok(nt52(mem, h, ptr, l)),
            None if at(l.segment.signature) == Some(SEGMENT_SIGNATURE) => {
                return Ok(nt60(mem, h, ptr, l))
            }
            _ => {}
        }
    }
    if at(2 * p) == Some(SEGMENT_SIGNATURE) {
        return Ok(nt60(mem, h, ptr, &HeapLayout::nt60(ptr)));
    }
    if x86 && at(8) == Some(HEAP_SIGNATURE) {
        return Ok(nt52(mem, h, 4, &HeapLayout::nt52()));
    }
    Err(format!(
        "heap {}: no Windows heap signature (not an NT heap, segment heap or page heap: Wine's own heap, or another allocator)",
        crate::hex(h)
    ))
}

/// Reads one segment header at `s`, checking its signature.
fn segment(
    mem: &AddressSpace<'_>,
    s: u64,
    l: &SegmentLayout,
    ptr: u8,
) -> Result<HeapSegment, Stop> {
    let at = |o: u64| mem.read_u32(s.wrapping_add(o));
    match at(l.signature) {
        None => {
            return Err(Stop::missing(format!(
                "segment {} is not in the dump",
                crate::hex(s)
            )))
        }
        Some(SEGMENT_SIGNATURE) => {}
        // Zeros are what a dumper writes for a page it could not read as well as what a
        // wiped header holds: not evidence of corruption on their own.
        Some(0) => {
            return Err(Stop::missing(format!(
                "segment {}: no segment header there (all zero: not captured as written, or wiped)",
                crate::hex(s)
            )))
        }
        Some(v) => {
            return Err(Stop::corrupt(format!(
                "segment {}: signature {v:08x}, not ffeeffee (a corrupt heap header)",
                crate::hex(s)
            )))
        }
    }
    let bad = || {
        Stop::missing(format!(
            "segment {}: header cut short in the dump",
            crate::hex(s)
        ))
    };
    let base = mem.read_ptr(s.wrapping_add(l.base), ptr).ok_or_else(bad)?;
    let pages = u64::from(at(l.pages).ok_or_else(bad)?);
    let uncommitted = u64::from(at(l.uncommitted).ok_or_else(bad)?);
    if uncommitted > pages {
        return Err(Stop::corrupt(format!(
            "segment {}: {uncommitted} uncommitted pages of {pages} (a corrupt heap header)",
            crate::hex(s)
        )));
    }
    Ok(HeapSegment {
        address: s,
        base,
        reserved: pages * PAGE,
        committed: (pages - uncommitted) * PAGE,
    })
}

/// Vista–11: the ring of `SegmentListEntry` from the heap's own (first) segment.
fn nt60(mem: &AddressSpace<'_>, h: u64, ptr: u8, hl: &HeapLayout) -> (HeapSummary, Option<Stop>) {
    let l = &hl.segment;
    let mut s = HeapSummary {
        address: h,
        kind: HeapKind::Nt,
        layout: Some("nt60"),
        layout_source: Some(hl.source.clone()),
        flags: mem.read_u32(h + hl.flags),
        segments: vec![],
    };
    let mut node = h + l.list;
    let mut heads = 0;
    for _ in 0..=MAX_SEGMENTS + 1 {
        let seg = node.wrapping_sub(l.list);
        if mem.read_u32(seg.wrapping_add(l.signature)) == Some(SEGMENT_SIGNATURE) {
            if seg == h && !s.segments.is_empty() {
                return (s, None);
            }
            if s.segments.len() == MAX_SEGMENTS {
                return (s, Some(limit(h)));
            }
            match segment(mem, seg, l, ptr) {
                Ok(g) => s.segments.push(g),
                Err(e) => return (s, Some(e.of_heap(h))),
            }
        } else {
            // The heap's `SegmentList` head: passed once per ring.
            heads += 1;
            if heads > 1 {
                let msg = format!(
                    "heap {}: the segment list at {} does not lead back to the heap (a corrupt heap header)",
                    crate::hex(h),
                    crate::hex(node)
                );
                return (s, Some(Stop::corrupt(msg)));
            }
        }
        node = match mem.read_ptr(node, ptr) {
            Some(n) => n,
            None => {
                let msg = format!(
                    "heap {}: segment list entry {} is not in the dump",
                    crate::hex(h),
                    crate::hex(node)
                );
                return (s, Some(Stop::missing(msg)));
            }
        };
        if node == h + l.list {
            return (s, None);
        }
    }
    (s, Some(limit(h)))
}

fn limit(h: u64) -> Stop {
    Stop::missing(format!(
        "heap {}: walk stopped at {MAX_SEGMENTS} segments (the limit)",
        crate::hex(h)
    ))
}

/// XP/2003: the `Segments[64]` array (x86 +0x58).
fn nt52(mem: &AddressSpace<'_>, h: u64, ptr: u8, hl: &HeapLayout) -> (HeapSummary, Option<Stop>) {
    let mut s = HeapSummary {
        address: h,
        kind: HeapKind::Nt,
        layout: Some("nt52"),
        layout_source: Some(hl.source.clone()),
        flags: mem.read_u32(h + hl.flags),
        segments: vec![],
    };
    let (_, array) = hl.array.unwrap_or((0, 0));
    let p = u64::from(ptr);
    for i in 0..MAX_SEGMENTS as u64 {
        let Some(seg) = mem.read_ptr(h + array + p * i, ptr) else {
            let msg = format!(
                "heap {}: its segment array is cut short in the dump",
                crate::hex(h)
            );
            return (s, Some(Stop::missing(msg)));
        };
        if seg == 0 {
            continue;
        }
        match segment(mem, seg, &hl.segment, ptr) {
            Ok(g) => s.segments.push(g),
            Err(e) => return (s, Some(e.of_heap(h))),
        }
    }
    (s, None)
}
