//! `!address -summary` and the handle counts: the address space by usage, type, state and
//! protection, computed once from the dump's region list (MemoryInfoList, or Linux maps), and
//! the open handles by object type (HandleData stream).

use crate::regions::{kind_name, protect_name, state_name, Usage, UsageIndex};
use coroner_model::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Free regions smaller than this count as fragments (`free_below_1mb`).
pub const FRAGMENT_LIMIT: u64 = 1 << 20;

/// How many modules `top_modules` keeps.
pub const TOP_MODULES: usize = 5;

/// Regions counted and their bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Number of regions.
    pub regions: u64,
    /// Their total size.
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, size: u64) {
        self.regions += 1;
        self.bytes = self.bytes.saturating_add(size);
    }
}

/// One region: where it starts and how large it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Base address.
    pub base: u64,
    /// Size in bytes.
    pub size: u64,
}

/// A module and the size of its image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModuleSize {
    /// Module file name.
    pub name: String,
    /// Load address.
    pub base: u64,
    /// Image size.
    pub size: u64,
}

/// What `!address -summary` says about the whole address space.
#[derive(Clone, Debug, Serialize)]
pub struct AddressSummary {
    /// Where the regions came from (`MemoryInfoList`, `LinuxMaps`).
    pub source: &'static str,
    /// Number of regions.
    pub regions: u64,
    /// Bytes of all regions.
    pub total: u64,
    /// Bytes of the regions that are not free.
    pub busy: u64,
    /// Regions by inferred usage (every region).
    pub by_usage: BTreeMap<Usage, Tally>,
    /// The largest region of each usage.
    pub largest_by_usage: BTreeMap<Usage, Span>,
    /// Regions that are not free, by type (`MEM_IMAGE`, `MEM_MAPPED`, `MEM_PRIVATE`).
    pub by_type: BTreeMap<String, Tally>,
    /// Regions by state (`MEM_COMMIT`, `MEM_RESERVE`, `MEM_FREE`).
    pub by_state: BTreeMap<String, Tally>,
    /// Committed regions by protection (`PAGE_READWRITE`, …).
    pub by_protect: BTreeMap<String, Tally>,
    /// The largest free region (`None`: nothing is free).
    pub largest_free: Option<Span>,
    /// Free regions smaller than [`FRAGMENT_LIMIT`]: the fragmentation of the address space.
    pub free_below_1mb: Tally,
    /// Committed private memory (`MEM_COMMIT` and `MEM_PRIVATE`): what Performance Monitor's
    /// "Private Bytes" counts, short of the few copy-on-write image pages, for dumps without
    /// the VM counters stream (every dump written before Windows 8.1's dbghelp).
    pub private_committed: u64,
    /// The largest module images, largest first (at most [`TOP_MODULES`]).
    pub top_modules: Vec<ModuleSize>,
}

impl AddressSummary {
    /// The bytes of one state (`MEM_COMMIT`), zero when no region has it.
    pub fn state_bytes(&self, state: u32) -> u64 {
        self.by_state.get(&state_name(state)).map_or(0, |t| t.bytes)
    }
    /// The bytes of one type among the busy regions, zero when no region has it.
    pub fn type_bytes(&self, kind: u32) -> u64 {
        self.by_type.get(&kind_name(kind)).map_or(0, |t| t.bytes)
    }
    /// The tally of one usage, zero when no region has it.
    pub fn usage(&self, u: Usage) -> Tally {
        self.by_usage.get(&u).copied().unwrap_or_default()
    }
}

/// The open handles by object type.
#[derive(Clone, Debug, Serialize)]
pub struct HandleCounts {
    /// Handles the stream declares.
    pub total: usize,
    /// Handles read (the loader caps the list).
    pub listed: usize,
    /// Handles read, by object type (`<unknown>` when the stream names none).
    pub by_type: BTreeMap<String, usize>,
}

/// The memory facts of a dump; each part is `None` when the dump lacks its stream.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MemoryFacts {
    /// `!address -summary` (`None`: no region list).
    pub address_summary: Option<AddressSummary>,
    /// Handle counts (`None`: no HandleData stream).
    pub handles: Option<HandleCounts>,
    /// The process's VM counters (`None`: no ProcessVmCounters stream).
    pub vm_counters: Option<VmCounters>,
    /// The allocator call right before a NULL-pointer fault, whose result was dereferenced
    /// (set by the analysis, which has the symbols; `None`: none seen).
    pub allocation_call: Option<crate::alloc_call::AllocCall>,
    /// `!heap -s`: the PEB's heaps recognised and walked (`None`: the heap list is not in the
    /// dump).
    pub heaps: Option<crate::heap::Heaps>,
}

/// The memory facts of a snapshot.
pub fn memory_facts(snap: &Snapshot<'_>) -> MemoryFacts {
    MemoryFacts {
        address_summary: address_summary(snap),
        handles: handle_counts(snap),
        vm_counters: snap.process.vm_counters.clone(),
        allocation_call: None,
        heaps: crate::heap::heap_summary(snap),
    }
}

/// `!address -summary` over the snapshot's regions (`None` without any).
pub fn address_summary(snap: &Snapshot<'_>) -> Option<AddressSummary> {
    if snap.regions.is_empty() {
        return None;
    }
    let index = UsageIndex::new(snap);
    let mut s = AddressSummary {
        source: snap.regions_source.unwrap_or("regions"),
        regions: 0,
        total: 0,
        busy: 0,
        by_usage: BTreeMap::new(),
        largest_by_usage: BTreeMap::new(),
        by_type: BTreeMap::new(),
        by_state: BTreeMap::new(),
        by_protect: BTreeMap::new(),
        largest_free: None,
        free_below_1mb: Tally::default(),
        private_committed: 0,
        top_modules: top_modules(snap),
    };
    // Tallied by raw value, named once at the end.
    let mut raw = Raw::default();
    for r in &snap.regions {
        count(&mut s, &mut raw, r, index.region_usage(r));
    }
    s.by_state = named(raw.state, state_name);
    s.by_type = named(raw.kind, kind_name);
    s.by_protect = named(raw.protect, protect_name);
    Some(s)
}

/// Tallies by raw state, type and protection value.
#[derive(Default)]
struct Raw {
    state: BTreeMap<u32, Tally>,
    kind: BTreeMap<u32, Tally>,
    protect: BTreeMap<u32, Tally>,
}

/// Raw-keyed tallies under their names (merged where two values share a name, as protections
/// with flags the name leaves out do).
fn named(m: BTreeMap<u32, Tally>, name: fn(u32) -> String) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for (k, t) in m {
        let e = out.entry(name(k)).or_default();
        e.regions += t.regions;
        e.bytes = e.bytes.saturating_add(t.bytes);
    }
    out
}

/// Adds one region to the summary.
fn count(s: &mut AddressSummary, raw: &mut Raw, r: &Region, usage: Usage) {
    s.regions += 1;
    s.total = s.total.saturating_add(r.size);
    s.by_usage.entry(usage).or_default().add(r.size);
    let largest = s.largest_by_usage.entry(usage).or_default();
    if r.size > largest.size {
        *largest = Span {
            base: r.base,
            size: r.size,
        };
    }
    raw.state.entry(r.state).or_default().add(r.size);
    if r.state == MEM_FREE {
        if s.largest_free.is_none_or(|l| r.size > l.size) {
            s.largest_free = Some(Span {
                base: r.base,
                size: r.size,
            });
        }
        if r.size < FRAGMENT_LIMIT {
            s.free_below_1mb.add(r.size);
        }
        return;
    }
    s.busy = s.busy.saturating_add(r.size);
    raw.kind.entry(r.kind).or_default().add(r.size);
    if r.state == MEM_COMMIT {
        raw.protect.entry(r.protect).or_default().add(r.size);
        if r.kind == MEM_PRIVATE {
            s.private_committed = s.private_committed.saturating_add(r.size);
        }
    }
}

/// The largest module images, largest first (ties: lower base first).
fn top_modules(snap: &Snapshot<'_>) -> Vec<ModuleSize> {
    let mut v: Vec<ModuleSize> = snap
        .modules
        .iter()
        .map(|m| ModuleSize {
            name: m.name.clone(),
            base: m.base,
            size: m.size,
        })
        .collect();
    v.sort_by(|a, b| b.size.cmp(&a.size).then(a.base.cmp(&b.base)));
    v.truncate(TOP_MODULES);
    v
}

/// Handles by type (`None` without a HandleData stream).
pub fn handle_counts(snap: &Snapshot<'_>) -> Option<HandleCounts> {
    let total = snap.handle_count?;
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for h in &snap.handles {
        let t = h.type_name.as_deref().unwrap_or("<unknown>");
        *by_type.entry(t.to_string()).or_default() += 1;
    }
    Some(HandleCounts {
        total,
        listed: snap.handles.len(),
        by_type,
    })
}
