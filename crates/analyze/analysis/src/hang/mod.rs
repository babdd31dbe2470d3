//! Hang analysis: what every thread is doing, which locks are held and by whom, who waits for
//! whom, and why the process stopped answering.
//!
//! - [`state`]: each thread's state from its top frames ([`names`]: the one table of wait
//!   functions, Windows XP to 11 and Wine);
//! - [`locks`]: critical sections (the PEB's loader lock, the waiters' stacks, the
//!   `ProcessLocksList` chain, a bounded scan of module data) and waited-on mutants;
//! - [`critsec`]: a section's fields in both `LockCount` encodings;
//! - [`graph`]: the wait-for graph, its cycles (deadlocks) and each blocked thread's root;
//! - [`verdict`]: the hang findings, the root-cause thread, blame and bucket.
//!
//! The facts (threads, locks, deadlocks) are computed for every dump; the findings only for a
//! hang dump ([`HangReason`]).

pub mod critsec;
pub mod graph;
pub mod locks;
pub mod names;
pub mod state;
pub mod verdict;

use crate::symbols::Symbolizer;
use crate::{frame_facts, FrameFacts, Options};
use coroner_model::{Snapshot, Thread};
use serde::Serialize;
use std::collections::HashMap;

/// Most threads whose stacks are walked; the others' state is `unknown` (a warning says so).
pub const MAX_THREADS: usize = 4096;
/// Most frames walked per thread.
pub const MAX_FRAMES: usize = 64;

/// What a thread is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadState {
    WaitingLock,
    WaitingObject,
    Sleeping,
    Io,
    Rpc,
    Loader,
    Running,
    Unknown,
}

impl ThreadState {
    /// Every state.
    pub const ALL: [ThreadState; 8] = [
        ThreadState::WaitingLock,
        ThreadState::WaitingObject,
        ThreadState::Sleeping,
        ThreadState::Io,
        ThreadState::Rpc,
        ThreadState::Loader,
        ThreadState::Running,
        ThreadState::Unknown,
    ];

    /// The stable id (`waiting_lock`, …).
    pub fn id(self) -> &'static str {
        match self {
            ThreadState::WaitingLock => "waiting_lock",
            ThreadState::WaitingObject => "waiting_object",
            ThreadState::Sleeping => "sleeping",
            ThreadState::Io => "io",
            ThreadState::Rpc => "rpc",
            ThreadState::Loader => "loader",
            ThreadState::Running => "running",
            ThreadState::Unknown => "unknown",
        }
    }
}

/// Why the dump is taken for a hang dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HangReason {
    /// `--hang` (or the caller's `Options::hang`).
    Requested,
    /// No exception stream: a dump taken on demand.
    NoException,
    /// A DebugDiag/ProcDump hang or manual dump's file name.
    FileName,
    /// A debugger break-in or wake exception on the break-in thread.
    BreakIn,
}

/// An object a thread waits on, from its handle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitObject {
    /// Handle value.
    pub handle: u64,
    /// Object type from HandleData (`Event`, `Mutant`, …).
    pub type_name: Option<String>,
    /// Object name from HandleData.
    pub object_name: Option<String>,
}

/// One thread's hang facts.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadHang {
    /// `~N`.
    pub index: usize,
    /// Thread id.
    pub tid: u32,
    /// What it is doing.
    pub state: ThreadState,
    /// The frame that decided the state.
    pub state_frame: Option<String>,
    /// The critical section it waits for (`None`: not a lock wait, or not found).
    pub waits_lock: Option<u64>,
    /// The objects it waits on.
    pub waits_objects: Vec<WaitObject>,
    /// Module of the first non-system frame.
    pub module: Option<String>,
    /// Function of the first non-system frame.
    pub function: Option<String>,
    /// That frame as `module!function+0x…`.
    pub frame: Option<String>,
    /// User CPU time, milliseconds (ThreadInfoList).
    pub user_time_ms: Option<u64>,
    /// Kernel CPU time, milliseconds.
    pub kernel_time_ms: Option<u64>,
    /// Creation time, Unix seconds.
    pub create_time: Option<u64>,
    /// Index into [`HangFacts::groups`] when other threads have the same stack.
    pub group: Option<usize>,
    /// The walked frames.
    pub frames: Vec<FrameFacts>,
}

impl ThreadHang {
    /// `waits_on` of the JSON document: the section's address or the handle values.
    pub fn waits_on(&self) -> Vec<u64> {
        match self.waits_lock {
            Some(a) => vec![a],
            None => self.waits_objects.iter().map(|o| o.handle).collect(),
        }
    }
    /// User plus kernel time, when known.
    pub fn cpu_ms(&self) -> Option<u64> {
        Some(self.user_time_ms? + self.kernel_time_ms.unwrap_or(0))
    }
}

/// Threads with one identical stack (DebugDiag: "N threads have this same call stack").
#[derive(Clone, Debug, Serialize)]
pub struct StackGroup {
    /// Their thread ids.
    pub tids: Vec<u32>,
}

/// What kind of lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LockKind {
    CriticalSection,
    Mutant,
}

/// How a lock was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    LoaderLock,
    Waiter,
    LocksList,
    Scan,
    Handle,
}

/// A lock: a critical section or a waited-on mutant.
#[derive(Clone, Debug, Serialize)]
pub struct LockFacts {
    /// The section's address, or the mutant's handle value.
    pub address: u64,
    pub kind: LockKind,
    /// Owner thread id (`None`: free, or not known).
    pub owner_tid: Option<u32>,
    /// Threads whose wait resolves to this lock.
    pub waiters: Vec<u32>,
    /// Whether it is held (`None`: not known).
    pub locked: Option<bool>,
    /// The section's raw fields.
    pub raw: Option<critsec::RawCritSec>,
    /// The debug record's fields (`None`: no debug info, or not in the dump).
    pub debug: Option<critsec::RawDebug>,
    /// Waiters as `LockCount` counts them.
    pub counted_waiters: Option<u32>,
    /// `WaiterWoken` (inverted-bit encoding).
    pub waiter_woken: Option<bool>,
    /// The owner is not among the dump's threads.
    pub orphaned: bool,
    /// The PEB's `LoaderLock`.
    pub is_loader_lock: bool,
    /// How it was found.
    pub found_by: FoundBy,
    /// A mutant's object name.
    pub name: Option<String>,
}

impl LockFacts {
    /// `debug_info` of the JSON document: `None` without debug info (`-1`).
    pub fn debug_info(&self, ptr: u8) -> Option<u64> {
        self.raw
            .map(|r| r.debug_info)
            .filter(|d| !critsec::no_debug_info(*d, ptr))
    }
}

/// One link of a deadlock cycle: thread `tid` holds `holds` and waits for `waits_for`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DeadlockLink {
    pub tid: u32,
    /// The lock it holds (JSON: hex).
    #[serde(serialize_with = "crate::finding::hex_u64")]
    pub holds: u64,
    /// The lock it waits for (JSON: hex).
    #[serde(serialize_with = "crate::finding::hex_u64")]
    pub waits_for: u64,
}

/// The hang facts of a dump.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HangFacts {
    /// Why it is a hang dump (`None`: a crash dump; the facts are there, the findings are not).
    pub reason: Option<HangReason>,
    /// Every thread (in dump order; beyond [`MAX_THREADS`] not walked).
    pub threads: Vec<ThreadHang>,
    /// Locks found.
    pub locks: Vec<LockFacts>,
    /// Deadlock cycles.
    pub deadlocks: Vec<Vec<DeadlockLink>>,
    /// Identical-stack groups of two threads or more, largest first.
    pub groups: Vec<StackGroup>,
    /// How `LockCount` was decoded (`None`: not an x86/x64 Windows dump).
    pub encoding: Option<critsec::Encoding>,
    /// Why that encoding (`Wine`, or the OS version).
    pub encoding_basis: Option<locks::EncodingBasis>,
    /// The dump comes from Wine (its `WineUnixModules` stream or modules).
    pub wine: bool,
    /// Whether ThreadInfoList gave CPU times.
    pub times_known: bool,
    /// The root-cause thread of the verdict.
    pub root_tid: Option<u32>,
}

impl HangFacts {
    /// A thread by id (a linear search: for a few look-ups).
    pub fn thread(&self, tid: u32) -> Option<&ThreadHang> {
        self.threads.iter().find(|t| t.tid == tid)
    }
    /// A lock by address.
    pub fn lock(&self, address: u64) -> Option<&LockFacts> {
        self.locks.iter().find(|l| l.address == address)
    }
    /// The loader lock, when found.
    pub fn loader_lock(&self) -> Option<&LockFacts> {
        self.locks.iter().find(|l| l.is_loader_lock)
    }
}

/// Why a dump is a hang dump, before the stacks are walked (the break-in case needs them).
pub(crate) fn hang_reason(snap: &Snapshot<'_>, opts: &Options) -> Option<HangReason> {
    if opts.hang {
        return Some(HangReason::Requested);
    }
    let lost = snap
        .damage
        .as_ref()
        .is_some_and(|d| d.lost("ExceptionStream"));
    if snap.exception.is_none() && !lost {
        return Some(HangReason::NoException);
    }
    let name = snap
        .path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let hang_name = ["hang", "manual dump", "__manual", "_manual"];
    hang_name
        .iter()
        .any(|p| name.contains(p))
        .then_some(HangReason::FileName)
}

/// Whether the exception is a debugger break-in (0x80000003 on the thread `DbgUiRemoteBreakin`
/// runs in) or a wake exception (0x80000007).
fn break_in(snap: &Snapshot<'_>, threads: &[ThreadHang]) -> bool {
    let Some(e) = &snap.exception else {
        return false;
    };
    if e.code == 0x8000_0007 {
        return true;
    }
    e.code == 0x8000_0003
        && threads.iter().filter(|t| t.tid == e.thread_id).any(|t| {
            t.frames.iter().take(8).any(|f| {
                state::function(f).is_some_and(|n| {
                    names::same(n, "DbgUiRemoteBreakin") || names::same(n, "DbgBreakPoint")
                })
            })
        })
}

/// The hang facts of a snapshot. `system(i)`: whether module `i` is system or runtime code.
pub(crate) fn analyze(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    system: &dyn Fn(usize) -> bool,
    opts: &Options,
    warnings: &mut Vec<crate::Warning>,
) -> HangFacts {
    let mut threads = walk_threads(snap, syms, system, opts, warnings);
    let groups = stack_groups(&mut threads);
    let mut reason = hang_reason(snap, opts);
    if reason.is_none() && break_in(snap, &threads) {
        reason = Some(HangReason::BreakIn);
    }
    let times_known = snap.threads.iter().any(|t| t.times.is_some());
    let mut facts = HangFacts {
        reason,
        threads,
        groups,
        times_known,
        ..Default::default()
    };
    locks::find(snap, &mut facts, warnings);
    facts.deadlocks = graph::deadlocks(&facts);
    facts
}

/// Walks every thread's stack (at most [`MAX_THREADS`], [`MAX_FRAMES`] each) and classifies it.
fn walk_threads(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    system: &dyn Fn(usize) -> bool,
    opts: &Options,
    warnings: &mut Vec<crate::Warning>,
) -> Vec<ThreadHang> {
    if snap.threads.len() > MAX_THREADS {
        warnings.push(crate::Warning::HangThreads {
            threads: snap.threads.len(),
            max: MAX_THREADS,
        });
    }
    let limits = coroner_unwind::Limits {
        max_frames: MAX_FRAMES.min(opts.limits.max_frames),
        scan_words: opts.limits.scan_words.min(512),
    };
    snap.threads
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let frames = if i < MAX_THREADS {
                thread_frames(snap, syms, system, t, limits)
            } else {
                Vec::new()
            };
            thread_hang(t, frames)
        })
        .collect()
}

fn thread_frames(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    system: &dyn Fn(usize) -> bool,
    t: &Thread,
    limits: coroner_unwind::Limits,
) -> Vec<FrameFacts> {
    let faulting = snap.exception.as_ref().is_some_and(|e| e.thread_id == t.id);
    let ctx = if faulting {
        snap.exception_context.as_ref().or(t.context.as_ref())
    } else {
        t.context.as_ref()
    };
    let Some(ctx) = ctx else {
        return Vec::new();
    };
    let w = coroner_unwind::walk(snap, Some(t), ctx, syms, limits);
    frame_facts(snap, syms, &w.frames, system)
}

fn thread_hang(t: &Thread, frames: Vec<FrameFacts>) -> ThreadHang {
    let (state, at) = state::classify(&frames);
    let app = state::first_app_frame(&frames);
    let ms = |v: u64| v / 10_000;
    ThreadHang {
        index: t.index,
        tid: t.id,
        state,
        state_frame: at.and_then(|i| frames.get(i)).map(|f| f.display.clone()),
        waits_lock: None,
        waits_objects: Vec::new(),
        module: app.and_then(|f| f.symbol.module.clone()),
        function: app.and_then(|f| f.symbol.function.clone()),
        frame: app.map(|f| f.display.clone()),
        user_time_ms: t.times.as_ref().map(|x| ms(x.user_100ns)),
        kernel_time_ms: t.times.as_ref().map(|x| ms(x.kernel_100ns)),
        create_time: t.times.as_ref().and_then(|x| x.create_time),
        group: None,
        frames,
    }
}

/// Groups threads with identical stacks (the same return addresses), largest group first.
fn stack_groups(threads: &mut [ThreadHang]) -> Vec<StackGroup> {
    let mut by_stack: HashMap<Vec<u64>, Vec<usize>> = HashMap::new();
    for (i, t) in threads.iter().enumerate() {
        if t.frames.is_empty() {
            continue;
        }
        let key: Vec<u64> = t.frames.iter().map(|f| f.address).collect();
        by_stack.entry(key).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = by_stack.into_values().filter(|g| g.len() > 1).collect();
    groups.sort_by_key(|g| (std::cmp::Reverse(g.len()), g[0]));
    for (gi, g) in groups.iter().enumerate() {
        for &i in g {
            threads[i].group = Some(gi);
        }
    }
    groups
        .into_iter()
        .map(|g| StackGroup {
            tids: g.iter().map(|&i| threads[i].tid).collect(),
        })
        .collect()
}
