//! `!address` facts: the region around an address and what it is used for, inferred from the
//! dump (module images, thread stacks from TEB/stack ranges, TEB/PEB pages, process heaps from the
//! PEB heap list, free memory).

use coroner_model::*;
use serde::Serialize;

/// What `!address ADDR` says about one address.
#[derive(Clone, Debug, Serialize)]
pub struct AddressFacts {
    /// The address asked about.
    pub address: u64,
    /// Region base (None without region information).
    pub base: Option<u64>,
    /// Region size.
    pub size: Option<u64>,
    /// Allocation base.
    pub allocation_base: Option<u64>,
    /// Allocation protection.
    pub allocation_protect: Option<u32>,
    /// MEM_COMMIT/MEM_RESERVE/MEM_FREE, as text (`MEM_FREE`).
    pub state: Option<String>,
    /// PAGE_* protection as text (`PAGE_NOACCESS`).
    pub protect: Option<String>,
    /// MEM_IMAGE/MEM_MAPPED/MEM_PRIVATE as text.
    pub kind: Option<String>,
    /// Raw state value.
    pub state_value: Option<u32>,
    /// Raw protection value.
    pub protect_value: Option<u32>,
    /// Raw type value.
    pub kind_value: Option<u32>,
    /// Inferred usage: `Image`, `Stack`, `TEB`, `PEB`, `Heap`, `MappedFile`, `Free`, `Unknown`.
    pub usage: String,
    /// Detail for the usage: module name, thread, heap handle (worded by the phrasing module).
    pub usage_detail: Option<UsageDetail>,
    /// Whether the bytes at the address are in the dump.
    pub captured: bool,
}

/// Text for a MEM_* state.
pub fn state_name(s: u32) -> String {
    match s {
        MEM_COMMIT => "MEM_COMMIT".into(),
        MEM_RESERVE => "MEM_RESERVE".into(),
        MEM_FREE => "MEM_FREE".into(),
        other => format!("0x{other:x}"),
    }
}

/// Text for a MEM_* type.
pub fn kind_name(t: u32) -> String {
    match t {
        MEM_IMAGE => "MEM_IMAGE".into(),
        MEM_MAPPED => "MEM_MAPPED".into(),
        MEM_PRIVATE => "MEM_PRIVATE".into(),
        0 => "<none>".into(),
        other => format!("0x{other:x}"),
    }
}

/// Text for a PAGE_* protection, with modifiers (`PAGE_READWRITE | PAGE_GUARD`).
pub fn protect_name(p: u32) -> String {
    if p == 0 {
        return "<none>".into();
    }
    let base = match p & 0xff {
        0x01 => "PAGE_NOACCESS",
        0x02 => "PAGE_READONLY",
        0x04 => "PAGE_READWRITE",
        0x08 => "PAGE_WRITECOPY",
        0x10 => "PAGE_EXECUTE",
        0x20 => "PAGE_EXECUTE_READ",
        0x40 => "PAGE_EXECUTE_READWRITE",
        0x80 => "PAGE_EXECUTE_WRITECOPY",
        _ => "",
    };
    let mut parts: Vec<String> = Vec::new();
    if !base.is_empty() {
        parts.push(base.into());
    } else if p & 0xff != 0 {
        parts.push(format!("0x{:x}", p & 0xff));
    }
    if p & 0x100 != 0 {
        parts.push("PAGE_GUARD".into());
    }
    if p & 0x200 != 0 {
        parts.push("PAGE_NOCACHE".into());
    }
    if p & 0x400 != 0 {
        parts.push("PAGE_WRITECOMBINE".into());
    }
    parts.join(" | ")
}

/// Page size used for TEB/PEB usage.
fn teb_size(arch: Arch) -> u64 {
    if arch == Arch::X86 {
        0x1000
    } else {
        0x2000
    }
}

/// What a region is used for, as `!address -summary` counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Usage {
    /// A module image (the module list, or a MEM_IMAGE region no module claims).
    Image,
    /// A thread's stack.
    Stack,
    /// A thread environment block.
    Teb,
    /// The process environment block.
    Peb,
    /// A process heap (allocation base in the PEB's heap list).
    Heap,
    /// A mapped file or section (MEM_MAPPED, nothing more known).
    MappedFile,
    /// Free address space.
    Free,
    /// Private memory nothing more is known about.
    Unknown,
}

impl Usage {
    /// Every usage, in the order the JSON lists them.
    pub const ALL: [Usage; 8] = [
        Usage::Image,
        Usage::Heap,
        Usage::Stack,
        Usage::Teb,
        Usage::Peb,
        Usage::MappedFile,
        Usage::Unknown,
        Usage::Free,
    ];
    /// WinDbg's name (`Image`, `TEB`, `MappedFile`, `Unknown`).
    pub fn name(self) -> &'static str {
        match self {
            Usage::Image => "Image",
            Usage::Stack => "Stack",
            Usage::Teb => "TEB",
            Usage::Peb => "PEB",
            Usage::Heap => "Heap",
            Usage::MappedFile => "MappedFile",
            Usage::Free => "Free",
            Usage::Unknown => "Unknown",
        }
    }
    /// The JSON key (`image`, `teb`, `mapped`, `other`).
    pub fn key(self) -> &'static str {
        match self {
            Usage::Image => "image",
            Usage::Stack => "stack",
            Usage::Teb => "teb",
            Usage::Peb => "peb",
            Usage::Heap => "heap",
            Usage::MappedFile => "mapped",
            Usage::Free => "free",
            Usage::Unknown => "other",
        }
    }
}

/// What more is known about a usage: the module, the thread or the heap.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UsageDetail {
    /// The module whose image it is.
    Module {
        /// The module's file name.
        name: String,
    },
    /// The thread whose stack or TEB it is.
    Thread {
        /// The thread's number (`~N`).
        index: usize,
        /// The thread's id.
        id: u32,
    },
    /// The heap it belongs to.
    Heap {
        /// The heap's handle (its address).
        handle: u64,
    },
    /// Nothing known: the dump has no memory region list.
    NoRegionList,
}

/// What an address was found to be, with the thread, module or heap that says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// In the module at this index of `Snapshot::modules`.
    Image(usize),
    /// In a free region.
    Free,
    /// In the TEB of the thread at this index of `Snapshot::threads`.
    Teb(usize),
    /// In the stack of the thread at this index of `Snapshot::threads`.
    Stack(usize),
    /// In the PEB.
    Peb,
    /// In the process heap with this handle.
    Heap(u64),
    /// Nothing known.
    Unknown,
}

impl Hit {
    /// The usage this hit stands for.
    pub fn usage(self) -> Usage {
        match self {
            Hit::Image(_) => Usage::Image,
            Hit::Free => Usage::Free,
            Hit::Teb(_) => Usage::Teb,
            Hit::Stack(_) => Usage::Stack,
            Hit::Peb => Usage::Peb,
            Hit::Heap(_) => Usage::Heap,
            Hit::Unknown => Usage::Unknown,
        }
    }
}

/// The facts usage is inferred from, sorted once so that each address costs a few binary
/// searches: thread TEBs and stacks, stack allocation bases, process heaps.
pub struct UsageIndex<'s, 'd> {
    snap: &'s Snapshot<'d>,
    /// (start, end, thread position), sorted.
    tebs: Vec<(u64, u64, usize)>,
    /// (start, end, thread position), sorted: the TEB limits and the captured range.
    stacks: Vec<(u64, u64, usize)>,
    /// (allocation base of the stack's region, thread position), sorted.
    stack_allocs: Vec<(u64, usize)>,
    /// (allocation base, heap handle), sorted: the process heaps and the later segments of
    /// the NT heaps the PEB lists.
    heaps: Vec<(u64, u64)>,
}

/// The entry of sorted `(start, end, pos)` ranges containing `addr` (looking back a few
/// entries, as ranges of one thread may overlap).
fn range_at(v: &[(u64, u64, usize)], addr: u64) -> Option<usize> {
    let p = v.partition_point(|(s, _, _)| *s <= addr);
    v[..p]
        .iter()
        .rev()
        .take(8)
        .filter(|(s, e, _)| addr >= *s && addr < *e)
        .map(|(_, _, t)| *t)
        .min()
}

impl<'s, 'd> UsageIndex<'s, 'd> {
    /// Sorts the snapshot's threads and heaps for lookups.
    pub fn new(snap: &'s Snapshot<'d>) -> Self {
        let teb = teb_size(snap.system.arch);
        let mut tebs = Vec::new();
        let mut stacks = Vec::new();
        let mut stack_allocs = Vec::new();
        for (i, t) in snap.threads.iter().enumerate() {
            if let Some(b) = t.teb {
                tebs.push((b, b.saturating_add(teb), i));
            }
            if let (Some(base), Some(limit)) = (t.stack_base, t.stack_limit) {
                if limit < base {
                    stacks.push((limit, base, i));
                }
            }
            stacks.push((t.stack_start, t.stack_start.saturating_add(t.stack_len), i));
            if let Some(r) = snap.region_at(t.stack_start.max(1)) {
                stack_allocs.push((r.allocation_base, i));
            }
        }
        tebs.sort_unstable();
        stacks.sort_unstable();
        stack_allocs.sort_unstable();
        let mut heaps: Vec<(u64, u64)> = snap
            .process
            .heaps
            .iter()
            .flatten()
            .map(|h| (*h, *h))
            .collect();
        // A heap's later segments are allocations of their own: WinDbg counts them as Heap too.
        // Only for a PEB heap list (no search of every allocation for signatures here).
        if snap.process.heaps.is_some() {
            for h in crate::heap::heap_summary(snap)
                .iter()
                .flat_map(|x| &x.heaps)
            {
                heaps.extend(
                    h.segments
                        .iter()
                        .filter(|g| g.base != h.address)
                        .map(|g| (g.base, h.address)),
                );
            }
        }
        heaps.sort_unstable();
        UsageIndex {
            snap,
            tebs,
            stacks,
            stack_allocs,
            heaps,
        }
    }

    /// The thread (position) whose stack holds `addr` or shares the allocation `alloc`.
    fn stack_of(&self, addr: u64, alloc: Option<u64>) -> Option<usize> {
        let by_alloc = alloc.and_then(|a| {
            let p = self.stack_allocs.partition_point(|(b, _)| *b < a);
            self.stack_allocs
                .get(p)
                .filter(|(b, _)| *b == a)
                .map(|(_, t)| *t)
        });
        match (range_at(&self.stacks, addr), by_alloc) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        }
    }

    /// What `addr` (in `region`, when the dump has one) is: a module image first, then free
    /// memory, a TEB or stack (the first thread in list order that claims it), the PEB, a
    /// process heap.
    pub fn hit(&self, addr: u64, region: Option<&Region>) -> Hit {
        if let Some(m) = self.snap.module_index_at(addr) {
            return Hit::Image(m);
        }
        if region.is_some_and(|r| r.state == MEM_FREE) {
            return Hit::Free;
        }
        let alloc = region.map(|r| r.allocation_base);
        let teb = range_at(&self.tebs, addr);
        match (teb, self.stack_of(addr, alloc)) {
            (Some(t), Some(s)) if s < t => return Hit::Stack(s),
            (Some(t), _) => return Hit::Teb(t),
            (None, Some(s)) => return Hit::Stack(s),
            (None, None) => {}
        }
        if let Some(peb) = self.snap.process.peb {
            if addr >= peb && addr < peb.saturating_add(0x1000) {
                return Hit::Peb;
            }
        }
        if let Some(a) = alloc {
            let p = self.heaps.partition_point(|(b, _)| *b < a);
            if let Some((_, h)) = self.heaps.get(p).filter(|(b, _)| *b == a) {
                return Hit::Heap(*h);
            }
        }
        Hit::Unknown
    }

    /// The usage `!address -summary` counts a region under: free regions are free; what
    /// [`UsageIndex::hit`] leaves unknown is an image or a mapped file when its type says so.
    pub fn region_usage(&self, r: &Region) -> Usage {
        if r.state == MEM_FREE {
            return Usage::Free;
        }
        by_type(self.hit(r.base, Some(r)).usage(), Some(r))
    }
}

/// What an unknown usage is by the region's type, as WinDbg names it: an image no module list
/// claims is still `Image`, a mapped view is `MappedFile`.
fn by_type(u: Usage, r: Option<&Region>) -> Usage {
    match (u, r) {
        (Usage::Unknown, Some(r)) if r.kind == MEM_IMAGE => Usage::Image,
        (Usage::Unknown, Some(r)) if r.kind == MEM_MAPPED => Usage::MappedFile,
        (u, _) => u,
    }
}

/// Gathers the `!address` facts for `addr`.
pub fn address_facts(snap: &Snapshot<'_>, addr: u64) -> AddressFacts {
    let region = snap.region_at(addr);
    let mut f = AddressFacts {
        address: addr,
        base: region.map(|r| r.base),
        size: region.map(|r| r.size),
        allocation_base: region.map(|r| r.allocation_base),
        allocation_protect: region.map(|r| r.allocation_protect),
        state: region.map(|r| state_name(r.state)),
        protect: region.map(|r| protect_name(r.protect)),
        kind: region.map(|r| kind_name(r.kind)),
        state_value: region.map(|r| r.state),
        protect_value: region.map(|r| r.protect),
        kind_value: region.map(|r| r.kind),
        usage: "Unknown".into(),
        usage_detail: None,
        captured: snap.memory.contains(addr),
    };
    let hit = UsageIndex::new(snap).hit(addr, region);
    f.usage = by_type(hit.usage(), region).name().into();
    let thread = |i: usize| {
        let t = &snap.threads[i];
        UsageDetail::Thread {
            index: t.index,
            id: t.id,
        }
    };
    f.usage_detail = match hit {
        Hit::Image(m) => {
            let m = &snap.modules[m];
            if region.is_none() {
                f.base = Some(m.base);
                f.size = Some(m.size);
            }
            Some(UsageDetail::Module {
                name: m.name.clone(),
            })
        }
        Hit::Teb(t) | Hit::Stack(t) => Some(thread(t)),
        Hit::Heap(h) => Some(UsageDetail::Heap { handle: h }),
        Hit::Unknown if region.is_none() && snap.regions.is_empty() => {
            Some(UsageDetail::NoRegionList)
        }
        Hit::Free | Hit::Peb | Hit::Unknown => None,
    };
    f
}
