//! The memory findings (issue 15): `out_of_memory`, `memory_growth` and `handle_leak`, built
//! from the exception record, the address-space summary (`memory.rs`), the process's VM
//! counters and the handle list. Typed facts only; the words are in `coroner_report::phrase`.

use crate::codes::win;
use crate::memory::{AddressSummary, MemoryFacts};
use crate::regions::Usage;
use crate::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// `STATUS_NO_MEMORY`: an allocation failed (RtlAllocateHeap with HEAP_GENERATE_EXCEPTIONS,
/// the loader, the CRT's `_set_new_mode` paths).
pub const STATUS_NO_MEMORY: u32 = 0xC000_0017;
/// `E_OUTOFMEMORY`, the HRESULT of .NET's `OutOfMemoryException`.
pub const E_OUTOFMEMORY: u32 = 0x8007_000E;
/// An address space whose largest free region is below this cannot satisfy the large
/// allocations (heap segments, CLR heap segments, big arrays) a server process makes.
pub const LARGEST_FREE_THRESHOLD: u64 = 64 << 20;
/// A handle type with at least this many open handles is leaking.
pub const HANDLE_TYPE_THRESHOLD: usize = 5_000;
/// A process with at least this many open handles is leaking, whatever their types.
pub const HANDLE_TOTAL_THRESHOLD: usize = 10_000;
/// Private bytes (or heap bytes) a 32-bit process rarely holds without a leak.
pub const GROWTH_THRESHOLD_32: u64 = 1 << 30;
/// Private bytes (or heap bytes) a 64-bit process rarely holds without a leak.
pub const GROWTH_THRESHOLD_64: u64 = 4 << 30;
/// A job's commit counts as exhausted at this share of its limit (per cent).
pub const COMMIT_FULL_PERCENT: u64 = 95;
/// How many types or names a handle leak lists.
pub const HANDLE_TOP: usize = 3;

/// How the failed allocation shows in the dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OomSource {
    /// The exception is `STATUS_NO_MEMORY` (0xC0000017).
    StatusNoMemory,
    /// A C++ `std::bad_alloc` was thrown.
    CppBadAlloc,
    /// A .NET exception with HRESULT `E_OUTOFMEMORY` (0x8007000E).
    ClrOutOfMemory,
    /// A NULL-pointer fault right after an allocator call returned NULL (`Pressure` may still
    /// say why memory ran out; the call is `MemoryFacts::allocation_call`).
    NullFromAllocator,
    /// A NULL-pointer fault in a process whose memory was exhausted: an allocation failed and
    /// its NULL result was used unchecked.
    NullInExhaustedProcess,
}

/// Why memory ran out, as far as the dump shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PressureCause {
    /// Less than [`LARGEST_FREE_THRESHOLD`] of address space is free in all.
    AddressSpaceExhausted,
    /// Enough address space is free in all, but no free region reaches the threshold.
    AddressSpaceFragmented,
    /// The job's private commit reached its limit (`measured`), or the address space had room
    /// for an allocation that failed anyway, which leaves the commit limit (not `measured`).
    CommitExhausted { measured: bool },
    /// The process heaps hold most of the committed memory and more than the growth threshold.
    HeapGrown,
}

/// The memory numbers a finding rests on (bytes; `None` when the dump lacks the stream).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pressure {
    /// The verdict on why memory ran out (`None`: nothing in the dump shows it).
    pub cause: Option<PressureCause>,
    /// The largest free region.
    pub largest_free: Option<u64>,
    /// The threshold it was compared with.
    pub largest_free_threshold: u64,
    /// All free address space.
    pub free_total: Option<u64>,
    /// Free regions below 1 MB: count and bytes.
    pub free_below_1mb: Option<(u64, u64)>,
    /// Committed bytes (the region list).
    pub committed: Option<u64>,
    /// Bytes of the process heaps' regions (the PEB's heap list).
    pub heap_bytes: Option<u64>,
    /// The largest heap region: base (hex in JSON) and size.
    #[serde(serialize_with = "hex_span")]
    pub largest_heap: Option<(u64, u64)>,
    /// Private bytes (VM counters).
    pub private_usage: Option<u64>,
    /// The job's private commit limit (VM counters, revision 2).
    pub commit_limit: Option<u64>,
}

/// An address as a hex string.
pub(crate) fn hex_u64<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::hex(*v))
}

/// `{"base": "hex", "size": n}` or null.
fn hex_span<S: serde::Serializer>(v: &Option<(u64, u64)>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Span {
        base: String,
        size: u64,
    }
    v.map(|(b, size)| Span {
        base: crate::hex(b),
        size,
    })
    .serialize(s)
}

/// Handle counts that show a leak.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HandleLeak {
    /// Handles open.
    pub total: usize,
    /// The types with most handles, most first.
    pub top_types: Vec<(String, usize)>,
    /// The object names held most often (named objects only), most first.
    pub top_names: Vec<(String, usize)>,
    /// The per-type threshold.
    pub type_threshold: usize,
    /// The total threshold.
    pub total_threshold: usize,
}

/// The memory findings of an analysed dump (unsorted; the caller ranks them).
pub(crate) fn findings(snap: &Snapshot<'_>, a: &Analysis, found: &[Finding]) -> Vec<Finding> {
    let pressure = pressure(&a.memory, a.ptr_size());
    let mut out = Vec::new();
    if let Some(f) = out_of_memory(snap, a, found, &pressure) {
        out.push(f);
    }
    if let Some(f) = growth(a, &pressure) {
        out.push(f);
    }
    if let Some(f) = corrupt_headers(a, found) {
        out.push(f);
    }
    if let Some(h) = handle_leak(snap) {
        out.push(Finding {
            kind: FindingKind::HandleLeak,
            severity: Severity::Warning,
            detail: Detail::HandleLeak(h),
        });
    }
    out
}

/// `heap_corruption` from the heap walk: headers of a recognised NT heap that no intact heap
/// holds, when nothing else already says the heap is corrupt.
fn corrupt_headers(a: &Analysis, found: &[Finding]) -> Option<Finding> {
    let corrupt = &a.memory.heaps.as_ref()?.corrupt;
    if corrupt.is_empty() || found.iter().any(|f| f.kind == FindingKind::HeapCorruption) {
        return None;
    }
    Some(Finding {
        kind: FindingKind::HeapCorruption,
        severity: Severity::Error,
        detail: Detail::HeapHeaders {
            headers: corrupt.clone(),
        },
    })
}

/// The growth threshold for a pointer size.
pub fn growth_threshold(ptr: u8) -> u64 {
    if ptr == 8 {
        GROWTH_THRESHOLD_64
    } else {
        GROWTH_THRESHOLD_32
    }
}

/// The memory numbers of a dump and the cause they show (`cause` is set only by the address
/// space, a measured job limit or a grown heap; see [`out_of_memory`] for the commit inference).
pub fn pressure(m: &MemoryFacts, ptr: u8) -> Pressure {
    let vm = m.vm_counters.as_ref();
    let mut p = Pressure {
        largest_free_threshold: LARGEST_FREE_THRESHOLD,
        private_usage: vm.map(|v| v.private_usage),
        commit_limit: vm.and_then(|v| v.job_private_commit_limit),
        ..Pressure::default()
    };
    // Linux maps list no free regions: only a Windows region list shows the free space.
    let s = m
        .address_summary
        .as_ref()
        .filter(|s| s.source == "MemoryInfoList");
    if let Some(s) = s {
        fill_from_summary(&mut p, s);
    }
    fill_from_heaps(&mut p, m);
    p.cause = cause(&p, ptr);
    p
}

fn fill_from_summary(p: &mut Pressure, s: &AddressSummary) {
    p.largest_free = Some(s.largest_free.map_or(0, |l| l.size));
    p.free_total = Some(s.state_bytes(MEM_FREE));
    p.free_below_1mb = Some((s.free_below_1mb.regions, s.free_below_1mb.bytes));
    p.committed = Some(s.state_bytes(MEM_COMMIT));
    let heap = s.usage(Usage::Heap);
    if heap.regions > 0 {
        p.heap_bytes = Some(heap.bytes);
        p.largest_heap = s
            .largest_by_usage
            .get(&Usage::Heap)
            .map(|h| (h.base, h.size));
    }
}

/// The walked heaps (`!heap -s`), when any could be read, are more exact than the regions
/// whose allocation base is a heap: their committed bytes replace them.
fn fill_from_heaps(p: &mut Pressure, m: &MemoryFacts) {
    let Some(hs) = &m.heaps else { return };
    let walked: Vec<(u64, u64)> = hs
        .heaps
        .iter()
        .filter_map(|h| h.committed().map(|c| (h.address, c)))
        .collect();
    if walked.is_empty() {
        return;
    }
    p.heap_bytes = Some(walked.iter().map(|w| w.1).sum());
    p.largest_heap = walked.into_iter().max_by_key(|w| w.1);
}

fn cause(p: &Pressure, ptr: u8) -> Option<PressureCause> {
    if let (Some(free), Some(largest)) = (p.free_total, p.largest_free) {
        if free < LARGEST_FREE_THRESHOLD {
            return Some(PressureCause::AddressSpaceExhausted);
        }
        if largest < LARGEST_FREE_THRESHOLD {
            return Some(PressureCause::AddressSpaceFragmented);
        }
    }
    if let (Some(used), Some(limit)) = (p.private_usage, p.commit_limit) {
        if used.saturating_mul(100) >= limit.saturating_mul(COMMIT_FULL_PERCENT) {
            return Some(PressureCause::CommitExhausted { measured: true });
        }
    }
    let (heap, committed) = (p.heap_bytes?, p.committed?);
    (heap >= growth_threshold(ptr) && heap.saturating_mul(2) >= committed)
        .then_some(PressureCause::HeapGrown)
}

/// How the exception record says an allocation failed, if it does.
fn source_of(e: &ExceptionFacts) -> Option<OomSource> {
    if e.is_signal {
        return None;
    }
    match e.code {
        STATUS_NO_MEMORY => Some(OomSource::StatusNoMemory),
        win::CPP_EXCEPTION | win::GCC_EXCEPTION
            if e.cpp_type
                .as_deref()
                .is_some_and(|t| t.contains("bad_alloc")) =>
        {
            Some(OomSource::CppBadAlloc)
        }
        win::CLR_EXCEPTION | win::CLR_EXCEPTION_OLD
            if e.params.iter().any(|p| *p as u32 == E_OUTOFMEMORY) =>
        {
            Some(OomSource::ClrOutOfMemory)
        }
        _ => None,
    }
}

/// `out_of_memory`: from the exception record, or from a NULL-pointer fault in a process
/// whose address space (or job commit) was exhausted.
fn out_of_memory(
    _snap: &Snapshot<'_>,
    a: &Analysis,
    found: &[Finding],
    pressure: &Pressure,
) -> Option<Finding> {
    let e = a.exception.as_ref()?;
    let mut pressure = pressure.clone();
    let source = match source_of(e) {
        Some(s) => {
            // The allocation failed although the address space had room: the commit limit
            // (system or job) is what is left.
            if pressure.cause.is_none() && pressure.largest_free >= Some(LARGEST_FREE_THRESHOLD) {
                pressure.cause = Some(PressureCause::CommitExhausted { measured: false });
            }
            s
        }
        None => {
            let null = found.iter().any(|f| f.kind == FindingKind::NullPointer);
            let exhausted = matches!(
                pressure.cause,
                Some(
                    PressureCause::AddressSpaceExhausted
                        | PressureCause::AddressSpaceFragmented
                        | PressureCause::CommitExhausted { measured: true }
                )
            );
            if null && a.memory.allocation_call.is_some() {
                OomSource::NullFromAllocator
            } else if null && exhausted {
                OomSource::NullInExhaustedProcess
            } else {
                return None;
            }
        }
    };
    Some(Finding {
        kind: FindingKind::OutOfMemory,
        severity: Severity::Error,
        detail: Detail::OutOfMemory { source, pressure },
    })
}

/// `memory_growth`: private bytes or heap bytes past the growth threshold.
fn growth(a: &Analysis, p: &Pressure) -> Option<Finding> {
    let threshold = growth_threshold(a.ptr_size());
    let private = p.private_usage.is_some_and(|v| v >= threshold);
    let heap = p.heap_bytes.is_some_and(|v| v >= threshold);
    if !private && !heap {
        return None;
    }
    Some(Finding {
        kind: FindingKind::MemoryGrowth,
        severity: Severity::Warning,
        detail: Detail::MemoryGrowth {
            pressure: p.clone(),
            handles: a.memory.handles.as_ref().map(|h| h.total),
            peak_pagefile_usage: a.memory.vm_counters.as_ref().map(|v| v.peak_pagefile_usage),
            threshold,
        },
    })
}

/// `handle_leak`: a type with [`HANDLE_TYPE_THRESHOLD`] handles or [`HANDLE_TOTAL_THRESHOLD`]
/// in all.
pub fn handle_leak(snap: &Snapshot<'_>) -> Option<HandleLeak> {
    let total = snap.handle_count?;
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for h in &snap.handles {
        *types
            .entry(h.type_name.as_deref().unwrap_or("<unknown>"))
            .or_default() += 1;
        if let Some(n) = h.object_name.as_deref() {
            *names.entry(n).or_default() += 1;
        }
    }
    let top_types = top(types);
    let by_type = top_types
        .first()
        .is_some_and(|t| t.1 >= HANDLE_TYPE_THRESHOLD);
    if !by_type && total < HANDLE_TOTAL_THRESHOLD {
        return None;
    }
    let top_names = top(names).into_iter().filter(|(_, n)| *n > 1).collect();
    Some(HandleLeak {
        total,
        top_types,
        top_names,
        type_threshold: HANDLE_TYPE_THRESHOLD,
        total_threshold: HANDLE_TOTAL_THRESHOLD,
    })
}

/// The [`HANDLE_TOP`] largest counts, largest first (ties by name).
fn top(m: BTreeMap<&str, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(HANDLE_TOP);
    v
}
