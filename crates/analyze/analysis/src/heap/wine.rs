//! Wine's heap (Wine 7.x–8, `dlls/ntdll/heap.c`, struct `heap` and `SUBHEAP`): after the
//! Windows 10-compatible head (which ends with `ForceFlags` at +0x44 / +0x74) come the heap's
//! entry in the process heap list, then `subheap_list` and `large_list` (list heads), `grow_size`,
//! `min_size` and the magic `HEAP`. Each sub-heap starts (64 KB aligned) with a `SUBHEAP`:
//! `SIZE_T` padding (one on x86, two on x64), `block_size`, `data_size`, then its list entry; its
//! reserved bytes run from the sub-heap's base to the end of its blocks, its committed bytes to
//! the end of its data. The heap's first sub-heap is inside the heap structure itself.
//! Large blocks (`large_list`) are separate allocations and are not counted here.

use super::{HeapKind, HeapSegment, HeapSummary, Stop, MAX_SEGMENTS, PAGE};
use coroner_model::*;

/// `"HEAP"`.
const WINE_MAGIC: u32 = 0x5041_4548;
/// Sub-heaps start on this alignment (`COMMIT_MASK` + 1).
const SUBHEAP_ALIGN: u64 = 0x1_0000;

/// Offset of the heap's list entry (the end of the Windows-compatible head).
fn head_end(ptr: u8) -> u64 {
    if ptr == 8 {
        0x78
    } else {
        0x48
    }
}

/// Whether the heap at `h` is Wine's: its magic where Wine keeps it.
pub(super) fn is_wine(mem: &AddressSpace<'_>, h: u64, ptr: u8) -> bool {
    mem.read_u32(h + head_end(ptr) + 8 * u64::from(ptr)) == Some(WINE_MAGIC)
}

/// The sub-heaps of a Wine heap, through `subheap_list`.
pub(super) fn walk(mem: &AddressSpace<'_>, h: u64, ptr: u8) -> (HeapSummary, Option<Stop>) {
    let p = u64::from(ptr);
    let flags_at = if ptr == 8 { 0x70 } else { 0x40 };
    let mut s = HeapSummary {
        address: h,
        kind: HeapKind::Wine,
        layout: Some("wine"),
        layout_source: Some(super::LayoutSource::KnownBuild),
        flags: mem.read_u32(h + flags_at),
        segments: vec![],
    };
    let pad = if ptr == 8 { 16 } else { 4 };
    let entry = pad + 2 * p;
    let head = h + head_end(ptr) + 2 * p;
    let problem = |what: String| Some(Stop::missing(what).of_heap(h));
    let mut node = match mem.read_ptr(head, ptr) {
        Some(n) => n,
        None => return (s, problem("its sub-heap list is not in the dump".into())),
    };
    while node != head {
        if s.segments.len() == MAX_SEGMENTS {
            return (s, Some(super::limit(h)));
        }
        let sub = node.wrapping_sub(entry);
        let (Some(block_size), Some(data_size), Some(next)) = (
            mem.read_ptr(sub + pad, ptr),
            mem.read_ptr(sub + pad + p, ptr),
            mem.read_ptr(node, ptr),
        ) else {
            let msg = format!("sub-heap {} is not in the dump", crate::hex(sub));
            return (s, problem(msg));
        };
        let base = sub & !(SUBHEAP_ALIGN - 1);
        let header = sub - base + entry + 2 * p;
        let reserved = header.saturating_add(block_size).div_ceil(PAGE) * PAGE;
        let committed = header.saturating_add(data_size).div_ceil(PAGE) * PAGE;
        if committed > reserved {
            let msg = format!(
                "sub-heap {}: {data_size} data bytes in {block_size} (a corrupt header)",
                crate::hex(sub)
            );
            // Named, not taken as evidence of corruption: Wine's layout is read from its
            // source, not from a documented structure, and a misreading must not accuse.
            return (s, Some(Stop::missing(msg).of_heap(h)));
        }
        s.segments.push(HeapSegment {
            address: sub,
            base,
            reserved,
            committed,
        });
        node = next;
    }
    (s, None)
}
