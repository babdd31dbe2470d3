//! Finding the locks: what each waiting thread waits for (the section from its stack, the
//! handles from its arguments or stack), then the critical sections themselves — the PEB's
//! loader lock, the waited-for sections, the `ProcessLocksList` chain of their debug records and
//! a bounded scan of module data for sections whose debug record points back — and the
//! waited-on mutants. Every walk is bounded; a limit hit is a warning that names it.

use super::critsec::{self, Encoding};
use super::names::{self, HANDLE_WAITS, WAITABLE_TYPES};
use super::state::{self, top_system};
use super::{FoundBy, HangFacts, LockFacts, LockKind, ThreadHang, ThreadState, WaitObject};
use coroner_model::layout::{self, Layout};
use coroner_model::{Arch, Snapshot};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Most debug records followed along `ProcessLocksList`, over all the walks of a dump.
pub const MAX_LIST_ENTRIES: usize = 16_384;
/// Most bytes of a waiter's stack searched for the section or handles it waits on.
pub const MAX_STACK_SCAN: u64 = 0x4000;
/// Most bytes of module data scanned for sections whose debug record points back.
pub const MAX_SCAN_BYTES: usize = 4 << 20;
/// Most locks kept.
pub const MAX_LOCKS: usize = 4096;

/// Finds the locks and what each thread waits for; fills `facts`.
pub(crate) fn find(snap: &Snapshot<'_>, facts: &mut HangFacts, warnings: &mut Vec<crate::Warning>) {
    facts.wine = is_wine(snap);
    let Some(l) = layout::for_arch(snap.system.arch).filter(|_| snap.system.os.is_windows()) else {
        return;
    };
    let (enc, basis) = encoding(snap, facts.wine);
    facts.encoding = Some(enc);
    facts.encoding_basis = Some(basis);
    let tids: HashSet<u32> = snap.threads.iter().map(|t| t.id).collect();
    let stacks = Stacks::new(snap);
    for t in facts.threads.iter_mut() {
        if t.state == ThreadState::WaitingLock {
            t.waits_lock = waited_section(snap, l, t, enc, &stacks);
        }
        if t.waits_lock.is_none() && t.state != ThreadState::Sleeping {
            t.waits_objects = waited_handles(snap, l, t);
        }
    }
    let found = sections(snap, l, facts, warnings);
    let mut locks: Vec<LockFacts> = found
        .into_iter()
        .filter_map(|(addr, (by, loader))| section_facts(snap, l, addr, by, loader, enc, &tids))
        .filter(|lf| lf.is_loader_lock || lf.locked == Some(true))
        .collect();
    locks.extend(mutants(&facts.threads));
    let mut waiters = waiters(&facts.threads);
    for lf in locks.iter_mut() {
        lf.waiters = waiters.remove(&(lf.kind, lf.address)).unwrap_or_default();
    }
    locks.retain(|lf| lf.is_loader_lock || lf.locked == Some(true) || !lf.waiters.is_empty());
    facts.locks = locks;
}

/// Wine's dbghelp stream of the process's Unix libraries (`WineUnixModules`, type 0xfff0).
pub const WINE_UNIX_MODULES: &str = "0xfff0";

/// The threads' stack ranges, sorted: a section and its debug record are never on a stack,
/// while the wait queues there are linked lists that look like them.
pub struct Stacks(Vec<(u64, u64)>);

impl Stacks {
    /// The stacks of `snap`'s threads.
    pub fn new(snap: &Snapshot<'_>) -> Self {
        let mut v: Vec<(u64, u64)> = snap
            .threads
            .iter()
            .map(|t| (t.stack_start, t.stack_start.saturating_add(t.stack_len)))
            .collect();
        v.sort_unstable();
        Stacks(v)
    }
    /// Whether `a` lies in a captured stack.
    pub fn contains(&self, a: u64) -> bool {
        let i = self.0.partition_point(|r| r.0 <= a);
        i > 0 && self.0[..i].iter().rev().take(4).any(|r| a < r.1)
    }
}

/// Whether the dump was written under Wine (it carries Wine's `WineUnixModules` stream).
pub fn is_wine(snap: &Snapshot<'_>) -> bool {
    snap.streams
        .iter()
        .any(|s| s == WINE_UNIX_MODULES || s == "WineUnixModules")
}

/// Why a `LockCount` encoding was chosen: the dump's OS (as it reports its version), worded by
/// the phrasing module.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "os", content = "version", rename_all = "snake_case")]
pub enum EncodingBasis {
    /// Wine (its `WineUnixModules` stream), which reports this Windows version.
    Wine(String),
    /// Windows before Server 2003 (5.2).
    BeforeServer2003(String),
    /// Server 2003 without a service pack.
    Server2003(String),
    /// Server 2003 with a service pack.
    Server2003ServicePack(String),
    /// A later Windows.
    Windows(String),
}

/// The `LockCount` encoding: Wine, Windows before Server 2003 (5.2) and Server 2003 without a
/// service pack count up; 5.2 with a service pack (SP1 brought the inverted bit) and later use
/// the inverted bit.
pub fn encoding(snap: &Snapshot<'_>, wine: bool) -> (Encoding, EncodingBasis) {
    let v = snap.system.os_version.clone();
    if wine {
        return (Encoding::CountingUp, EncodingBasis::Wine(v));
    }
    let mut parts = v.split('.').map(|p| p.trim().parse::<u32>().unwrap_or(0));
    let ver = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if ver < (5, 2) {
        (Encoding::CountingUp, EncodingBasis::BeforeServer2003(v))
    } else if ver == (5, 2) && !v.contains("Service Pack") {
        (Encoding::CountingUp, EncodingBasis::Server2003(v))
    } else if ver == (5, 2) {
        (
            Encoding::InvertedBit,
            EncodingBasis::Server2003ServicePack(v),
        )
    } else {
        (Encoding::InvertedBit, EncodingBasis::Windows(v))
    }
}

/// The stack bytes between the top of the stack and the first application frame (plus a few
/// words: an x86 caller's arguments), at most [`MAX_STACK_SCAN`].
fn wait_area(t: &ThreadHang, ptr: u8) -> Option<(u64, u64)> {
    let start = t.frames.first()?.sp;
    let top = top_system(&t.frames);
    let end = match t.frames.get(top.len()) {
        Some(app) => app.sp.max(app.fp).saturating_add(16 * u64::from(ptr)),
        None => start.saturating_add(0x1000),
    };
    let end = end.min(start.saturating_add(MAX_STACK_SCAN));
    (end > start).then_some((start, end))
}

/// Pointer-aligned words of `[start, end)` in dump memory, with their addresses.
fn words(snap: &Snapshot<'_>, start: u64, end: u64, ptr: u8) -> Vec<u64> {
    let bytes = snap.memory.read_partial(start, (end - start) as usize);
    bytes
        .chunks_exact(ptr as usize)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            u64::from_le_bytes(b)
        })
        .collect()
}

/// The section a thread waits for: the x86 arguments of its `RtlEnterCriticalSection` frame,
/// else the first value on its waiting stack that is a held section (its debug record pointing
/// back) not owned by the thread itself.
fn waited_section(
    snap: &Snapshot<'_>,
    l: &Layout,
    t: &ThreadHang,
    enc: Encoding,
    stacks: &Stacks,
) -> Option<u64> {
    let held_by_other = |p: u64| {
        !stacks.contains(p)
            && critsec::is_section(&snap.memory, l, p, true)
            && snap
                .memory
                .read_ptr(p, l.ptr)
                .is_some_and(|d| !stacks.contains(d))
            && critsec::read(&snap.memory, l, p).is_some_and(|r| {
                plausible(&r, enc)
                    && critsec::decode(r.lock_count, enc).locked
                    && r.owning_thread != u64::from(t.tid)
            })
    };
    let mut candidates: Vec<u64> = Vec::new();
    if snap.system.arch == Arch::X86 {
        for f in top_system(&t.frames) {
            if state::function(f).is_some_and(|n| names::in_table(n, names::CS_ENTER)) {
                candidates.extend(f.args.iter().flatten());
            }
        }
    }
    // The non-volatile registers at the wait: the section, or the field waited on
    // (`LockSemaphore` under Wine, `LockCount` on Windows 8+).
    let th = snap.threads.get(t.index);
    for r in [
        "rbx", "rsi", "rdi", "r12", "r13", "r14", "r15", "ebx", "esi", "edi",
    ] {
        if let Some(v) = th.and_then(|th| th.context.as_ref()).and_then(|c| c.get(r)) {
            for off in [0, l.cs.lock_semaphore, l.cs.lock_count] {
                candidates.push(v.wrapping_sub(off));
            }
        }
    }
    if let Some((start, end)) = wait_area(t, l.ptr) {
        candidates.extend(words(snap, start, end, l.ptr));
    }
    candidates
        .into_iter()
        .filter(|p| *p > 0xffff && p % 4 == 0)
        .find(|p| held_by_other(*p))
}

/// Whether a section's fields are those of a real section: a recursion count of at least one
/// when locked, an owner that can be a thread id, a `LockCount` the encoding allows.
pub fn plausible(r: &critsec::RawCritSec, enc: Encoding) -> bool {
    let d = critsec::decode(r.lock_count, enc);
    let count_ok = match enc {
        Encoding::CountingUp => r.lock_count >= -1,
        Encoding::InvertedBit => r.lock_count < 0,
    };
    let owner_ok = !d.locked
        || (r.owning_thread != 0
            && r.owning_thread <= u64::from(u32::MAX)
            && r.owning_thread.is_multiple_of(4));
    count_ok
        && owner_ok
        && (0..0x1_0000).contains(&r.recursion_count)
        && (!d.locked || r.recursion_count >= 1)
}

/// The objects a thread waits on: the handles in the x86 arguments of its wait function, else
/// (with HandleData) the first waitable handle value on its waiting stack.
fn waited_handles(snap: &Snapshot<'_>, l: &Layout, t: &ThreadHang) -> Vec<WaitObject> {
    let known = |h: u64| snap.handles.iter().find(|x| x.handle == h);
    let plausible = |h: u64| {
        if snap.handles.is_empty() {
            h != 0 && h.is_multiple_of(4) && h < 0x100_0000
        } else {
            known(h).is_some()
        }
    };
    let object = |h: u64| WaitObject {
        handle: h,
        type_name: known(h).and_then(|x| x.type_name.clone()),
        object_name: known(h).and_then(|x| x.object_name.clone()),
    };
    let top = top_system(&t.frames);
    if snap.system.arch == Arch::X86 {
        for f in top {
            let Some(n) = state::function(f) else {
                continue;
            };
            let Some((_, count, at)) = HANDLE_WAITS.iter().find(|(w, _, _)| names::same(n, w))
            else {
                continue;
            };
            let hs = handles_from_args(snap, l, &f.args, *count, *at);
            if !hs.is_empty() && hs.iter().all(|h| plausible(*h)) {
                return hs.into_iter().map(object).collect();
            }
        }
    }
    let waits = top.iter().any(|f| {
        state::function(f).is_some_and(|n| HANDLE_WAITS.iter().any(|w| names::same(n, w.0)))
    });
    if !waits || snap.handles.is_empty() {
        return Vec::new();
    }
    let waitable = |h: u64| {
        known(h).is_some_and(|x| {
            x.type_name
                .as_deref()
                .is_some_and(|ty| WAITABLE_TYPES.contains(&ty))
        })
    };
    let Some((start, end)) = wait_area(t, l.ptr) else {
        return Vec::new();
    };
    words(snap, start, end, l.ptr)
        .into_iter()
        .find(|h| *h != 0 && waitable(*h))
        .map(|h| vec![object(h)])
        .unwrap_or_default()
}

/// The handles named by a wait function's arguments: one by value, or `count` from an array.
fn handles_from_args(
    snap: &Snapshot<'_>,
    l: &Layout,
    args: &coroner_unwind::Args,
    count: Option<usize>,
    at: usize,
) -> Vec<u64> {
    let Some(v) = args.get(at).copied().flatten() else {
        return Vec::new();
    };
    let Some(ci) = count else {
        return vec![v];
    };
    let n = args.get(ci).copied().flatten().unwrap_or(0);
    if n == 0 || n > 64 {
        return Vec::new();
    }
    (0..n)
        .map_while(|i| {
            snap.memory
                .read_ptr(v.wrapping_add(i * u64::from(l.ptr)), l.ptr)
        })
        .collect()
}

/// Every section found, with how (the first way wins) and whether it is the loader lock.
fn sections(
    snap: &Snapshot<'_>,
    l: &Layout,
    facts: &HangFacts,
    warnings: &mut Vec<crate::Warning>,
) -> BTreeMap<u64, (FoundBy, bool)> {
    let mut found: BTreeMap<u64, (FoundBy, bool)> = BTreeMap::new();
    let loader = snap
        .process
        .peb
        .and_then(|peb| {
            snap.memory
                .read_ptr(peb.wrapping_add(l.peb.loader_lock), l.ptr)
        })
        .filter(|a| *a != 0 && snap.memory.read(*a, l.cs.size as usize).is_some());
    if let Some(a) = loader {
        found.insert(a, (FoundBy::LoaderLock, true));
    }
    for t in &facts.threads {
        if let Some(a) = t.waits_lock {
            found.entry(a).or_insert((FoundBy::Waiter, false));
        }
    }
    let starts: Vec<u64> = found.keys().copied().collect();
    for a in walk_locks_list(snap, l, &starts, warnings) {
        found.entry(a).or_insert((FoundBy::LocksList, false));
    }
    for a in scan_module_data(snap, l, warnings) {
        found.entry(a).or_insert((FoundBy::Scan, false));
    }
    if found.len() > MAX_LOCKS {
        warnings.push(crate::Warning::HangLocks {
            found: found.len(),
            max: MAX_LOCKS,
        });
        while found.len() > MAX_LOCKS {
            found.pop_last();
        }
    }
    found
}

/// The sections on the `ProcessLocksList` chains of the debug records of `starts`, at most
/// [`MAX_LIST_ENTRIES`] records in all; a chain that loops without returning to its start, or
/// leaves the dump, ends there.
pub fn walk_locks_list(
    snap: &Snapshot<'_>,
    l: &Layout,
    starts: &[u64],
    warnings: &mut Vec<crate::Warning>,
) -> Vec<u64> {
    let mem = &snap.memory;
    let pll = l.cs_debug.process_locks_list;
    let mut seen: HashSet<u64> = HashSet::new();
    let mut out = Vec::new();
    for &cs in starts {
        let Some(di) = mem.read_ptr(cs, l.ptr) else {
            continue;
        };
        if di == 0 || critsec::no_debug_info(di, l.ptr) {
            continue;
        }
        let head = di.wrapping_add(pll);
        let mut entry = head;
        loop {
            if seen.len() >= MAX_LIST_ENTRIES {
                warnings.push(crate::Warning::LocksListLong {
                    max: MAX_LIST_ENTRIES,
                });
                return out;
            }
            let Some(next) = mem.read_ptr(entry, l.ptr) else {
                break;
            };
            if next == head || next == 0 {
                break;
            }
            if !seen.insert(next) {
                warnings.push(crate::Warning::LocksListLoop {
                    at: next,
                    max: MAX_LIST_ENTRIES,
                });
                break;
            }
            let rec = next.wrapping_sub(pll);
            if let Some(c) = mem.read_ptr(rec.wrapping_add(l.cs_debug.critical_section), l.ptr) {
                if c != cs && critsec::is_section(mem, l, c, false) {
                    out.push(c);
                }
            }
            entry = next;
        }
    }
    out
}

/// Sections in the modules' data in the dump whose debug record points back at them, scanning
/// at most [`MAX_SCAN_BYTES`].
fn scan_module_data(
    snap: &Snapshot<'_>,
    l: &Layout,
    warnings: &mut Vec<crate::Warning>,
) -> Vec<u64> {
    let mem = &snap.memory;
    let ptr = u64::from(l.ptr);
    let mut budget = MAX_SCAN_BYTES;
    let mut out = Vec::new();
    for r in mem.ranges() {
        if snap.module_at(r.base).is_none() {
            continue;
        }
        if budget == 0 {
            warnings.push(crate::Warning::ScanBudget {
                bytes: MAX_SCAN_BYTES,
            });
            break;
        }
        let n = r.bytes.len().min(budget);
        budget -= n;
        for (i, c) in r.bytes[..n].chunks_exact(l.ptr as usize).enumerate() {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            let di = u64::from_le_bytes(b);
            if di == 0 || di % 4 != 0 || critsec::no_debug_info(di, l.ptr) {
                continue;
            }
            let at = r.base + i as u64 * ptr;
            if mem.read_ptr(di.wrapping_add(l.cs_debug.critical_section), l.ptr) == Some(at) {
                out.push(at);
            }
        }
    }
    out
}

/// A section's facts (`None`: not readable).
fn section_facts(
    snap: &Snapshot<'_>,
    l: &Layout,
    address: u64,
    found_by: FoundBy,
    is_loader_lock: bool,
    enc: Encoding,
    tids: &HashSet<u32>,
) -> Option<LockFacts> {
    let raw = critsec::read(&snap.memory, l, address)?;
    if matches!(found_by, FoundBy::Scan | FoundBy::LocksList) && !plausible(&raw, enc) {
        return None;
    }
    let d = critsec::decode(raw.lock_count, enc);
    let debug = (!critsec::no_debug_info(raw.debug_info, l.ptr) && raw.debug_info != 0)
        .then(|| critsec::read_debug(&snap.memory, l, raw.debug_info))
        .flatten();
    let owner_tid = (d.locked && raw.owning_thread != 0)
        .then(|| u32::try_from(raw.owning_thread).ok())
        .flatten();
    let bogus_owner = d.locked && raw.owning_thread > u64::from(u32::MAX);
    Some(LockFacts {
        address,
        kind: LockKind::CriticalSection,
        owner_tid,
        waiters: Vec::new(),
        locked: Some(d.locked),
        raw: Some(raw),
        debug,
        counted_waiters: Some(d.waiters),
        waiter_woken: (enc == Encoding::InvertedBit).then_some(d.waiter_woken),
        orphaned: bogus_owner || owner_tid.is_some_and(|o| !tids.contains(&o)),
        is_loader_lock,
        found_by,
        name: None,
    })
}

/// The mutants that threads wait on (their owner is not in a minidump's HandleData).
fn mutants(threads: &[ThreadHang]) -> Vec<LockFacts> {
    let mut out: Vec<LockFacts> = Vec::new();
    let mut seen: HashSet<u64> = HashSet::new();
    for o in threads.iter().flat_map(|t| &t.waits_objects) {
        if o.type_name.as_deref() != Some("Mutant") || !seen.insert(o.handle) {
            continue;
        }
        out.push(LockFacts {
            address: o.handle,
            kind: LockKind::Mutant,
            owner_tid: None,
            waiters: Vec::new(),
            locked: None,
            raw: None,
            debug: None,
            counted_waiters: None,
            waiter_woken: None,
            orphaned: false,
            is_loader_lock: false,
            found_by: FoundBy::Handle,
            name: o.object_name.clone(),
        });
    }
    out
}

/// The threads waiting for each lock: `(kind, address or handle) → tids`, in one pass.
fn waiters(threads: &[ThreadHang]) -> HashMap<(LockKind, u64), Vec<u32>> {
    let mut out: HashMap<(LockKind, u64), Vec<u32>> = HashMap::new();
    for t in threads {
        if let Some(a) = t.waits_lock {
            out.entry((LockKind::CriticalSection, a))
                .or_default()
                .push(t.tid);
        }
        for o in &t.waits_objects {
            out.entry((LockKind::Mutant, o.handle))
                .or_default()
                .push(t.tid);
        }
    }
    out
}
