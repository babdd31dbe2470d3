//! Where the NT heap walk takes its offsets: the known builds (the table of `mod.rs`), or the
//! public PDB of the dump's own `ntdll.dll` when the symbol path has it (`dt ntdll!_HEAP`,
//! `_HEAP_SEGMENT`, read by `coroner-symbols` from the PDB's type stream). A PDB describes the
//! build the process ran, so it is preferred; the walk says which it used.

use coroner_model::Snapshot;
use serde::Serialize;

/// The structs read from the PDB.
pub const STRUCTS: [&str; 2] = ["_HEAP", "_HEAP_SEGMENT"];

/// Where a walk's offsets came from (JSON `layout_source`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayoutSource {
    /// The offsets of the known builds (XP/2003 x86, Vista–11 x86/x64, Wine).
    KnownBuild,
    /// The PDB named, of this identity (GUID + age).
    Pdb { name: String, id: String },
}

/// `_HEAP_SEGMENT` field offsets: signature, list entry, base, pages, uncommitted pages, and
/// the segment's `Heap` pointer (`None` where the build has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct SegmentLayout {
    pub signature: u64,
    pub list: u64,
    pub base: u64,
    pub pages: u64,
    pub uncommitted: u64,
    pub heap: Option<u64>,
}

pub(super) const SEGMENT_X86: SegmentLayout = SegmentLayout {
    signature: 0x08,
    list: 0x10,
    base: 0x1c,
    pages: 0x20,
    uncommitted: 0x2c,
    heap: Some(0x18),
};
pub(super) const SEGMENT_X64: SegmentLayout = SegmentLayout {
    signature: 0x10,
    list: 0x18,
    base: 0x30,
    pages: 0x38,
    uncommitted: 0x50,
    heap: Some(0x28),
};
/// XP/2003 x86 `_HEAP_SEGMENT` (no list entry: the heap's `Segments[]` array lists them).
pub(super) const SEGMENT_NT52: SegmentLayout = SegmentLayout {
    signature: 0x08,
    list: 0,
    base: 0x18,
    pages: 0x1c,
    uncommitted: 0x28,
    heap: None,
};

/// The offsets an NT heap is walked with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapLayout {
    pub source: LayoutSource,
    pub(super) segment: SegmentLayout,
    /// `_HEAP.Flags`.
    pub(super) flags: u64,
    /// XP/2003 style: `_HEAP.Signature` (0xEEFFEEFF) and the `_HEAP.Segments[]` array;
    /// `None`: Vista–11 style, the segments a ring through `SegmentListEntry`.
    pub(super) array: Option<(u64, u64)>,
}

impl HeapLayout {
    /// XP/2003 x86 (`nt52`).
    pub(super) fn nt52() -> HeapLayout {
        HeapLayout {
            source: LayoutSource::KnownBuild,
            segment: SEGMENT_NT52,
            flags: 0x0c,
            array: Some((0x08, 0x58)),
        }
    }

    /// Vista–11 (`nt60`), x86 or x64.
    pub(super) fn nt60(ptr: u8) -> HeapLayout {
        let (segment, flags) = if ptr == 8 {
            (SEGMENT_X64, 0x70)
        } else {
            (SEGMENT_X86, 0x40)
        };
        HeapLayout {
            source: LayoutSource::KnownBuild,
            segment,
            flags,
            array: None,
        }
    }

    /// The layout the PDB's `_HEAP` and `_HEAP_SEGMENT` give; an error names what is missing.
    pub fn from_pdb(t: &coroner_symbols::TypeLayouts) -> Result<HeapLayout, String> {
        let source = LayoutSource::Pdb {
            name: t.pdb_name.clone(),
            id: t.debug_id.clone(),
        };
        let missing = |s: &str, f: &str| format!("{} ({}) has no {s}.{f}", t.pdb_name, t.debug_id);
        let heap = t
            .get("_HEAP")
            .ok_or_else(|| missing("_HEAP", "definition"))?;
        let seg = t
            .get("_HEAP_SEGMENT")
            .ok_or_else(|| missing("_HEAP_SEGMENT", "definition"))?;
        let sf = |f: &str| seg.offset(f).ok_or_else(|| missing("_HEAP_SEGMENT", f));
        // Vista and later name the segment's signature `SegmentSignature`; XP/2003 `Signature`.
        let signature = seg
            .offset("SegmentSignature")
            .or_else(|| seg.offset("Signature"))
            .ok_or_else(|| missing("_HEAP_SEGMENT", "SegmentSignature"))?;
        let array = match heap.offset("Segments") {
            Some(segments) => Some((
                heap.offset("Signature")
                    .ok_or_else(|| missing("_HEAP", "Signature"))?,
                segments,
            )),
            None => None,
        };
        let list = match array {
            Some(_) => 0,
            None => sf("SegmentListEntry")?,
        };
        Ok(HeapLayout {
            source,
            segment: SegmentLayout {
                signature,
                list,
                base: sf("BaseAddress")?,
                pages: sf("NumberOfPages")?,
                uncommitted: sf("NumberOfUnCommittedPages")?,
                heap: seg.offset("Heap"),
            },
            flags: heap
                .offset("Flags")
                .ok_or_else(|| missing("_HEAP", "Flags"))?,
            array,
        })
    }
}

/// The layout from the PDB of the dump's `ntdll.dll`: `None` when there is no symbol path, no
/// ntdll module or no PDB for it; `Some(Err)` when its PDB could not give the layout (why).
pub fn from_symbols(
    snap: &Snapshot<'_>,
    symbols: Option<&coroner_symbols::Symbols>,
    module_id: impl Fn(usize) -> coroner_symbols::ModuleId,
) -> Option<Result<HeapLayout, String>> {
    let symbols = symbols?;
    let i = snap.modules.iter().position(|m| {
        let base = m.name.rsplit(['\\', '/']).next().unwrap_or(&m.name);
        base.eq_ignore_ascii_case("ntdll.dll")
    })?;
    match symbols.struct_layouts(&module_id(i), &STRUCTS) {
        Ok(None) => None,
        Ok(Some(t)) => Some(HeapLayout::from_pdb(&t)),
        Err(e) => Some(Err(format!("ntdll's PDB: {e}"))),
    }
}
