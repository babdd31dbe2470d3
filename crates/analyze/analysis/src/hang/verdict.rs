//! The hang findings from the hang facts, the thread to blame and the bucket. No words here:
//! `coroner_report::phrase` writes them.

use super::graph;
use super::names;
use super::state::first_app_frame;
use super::{HangFacts, ThreadState};
use crate::{Detail, Finding, FindingKind, Severity};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Least CPU time (user + kernel) of a running thread for a spin.
pub const SPIN_MS: u64 = 250;
/// Least share (percent) of its lifetime a spinning thread spent on the CPU, when the dump
/// gives its creation time and the dump time (both to the second).
pub const SPIN_SHARE: u64 = 20;
/// Least threads blocked behind one owner for `blocked_threads`.
pub const BLOCKED_MIN: usize = 2;

/// The facts of a hang finding (JSON `findings[].detail` with `type: "hang"`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HangDetail {
    /// The root-cause thread (for an orphaned lock, the owner that no longer exists).
    pub tid: Option<u32>,
    /// The lock concerned (section address or mutant handle), hex.
    #[serde(serialize_with = "crate::finding::hex_opt")]
    pub lock: Option<u64>,
    /// The threads concerned: waiters, blocked, spinning, or in I/O.
    pub threads: Vec<u32>,
    /// Threads in the dump.
    pub thread_count: usize,
    /// IIS request threads (w3wp only), and how many of them are among `threads`.
    pub request_threads: Option<usize>,
    pub request_threads_blocked: Option<usize>,
    /// A deadlock's cycle.
    pub cycle: Vec<super::DeadlockLink>,
    /// The spinning thread's CPU time (`None`: ThreadInfo missing).
    pub cpu_ms: Option<u64>,
    /// The code the loader-lock owner runs inside the loader (its DllMain), `module!function`.
    pub dll_main: Option<String>,
    /// Threads per state (the thread summary).
    pub states: Vec<(ThreadState, usize)>,
}

fn hang(kind: FindingKind, severity: Severity, d: HangDetail) -> Finding {
    Finding {
        kind,
        severity,
        detail: Detail::Hang(Box::new(d)),
    }
}

/// The hang findings, unranked.
pub(crate) fn findings(
    facts: &HangFacts,
    process: Option<&str>,
    dump_time: Option<u64>,
) -> Vec<Finding> {
    let n = facts.threads.len();
    let base = HangDetail {
        thread_count: n,
        ..Default::default()
    };
    let mut out = Vec::new();
    for cycle in &facts.deadlocks {
        let d = HangDetail {
            tid: cycle.first().map(|l| l.tid),
            lock: cycle.first().map(|l| l.waits_for),
            cycle: cycle.clone(),
            threads: cycle.iter().map(|l| l.tid).collect(),
            ..base.clone()
        };
        out.push(hang(FindingKind::Deadlock, Severity::Error, d));
    }
    // A dead owner matters when someone waits for its lock (or it is the loader lock).
    let orphaned = facts
        .locks
        .iter()
        .filter(|l| l.orphaned && (!l.waiters.is_empty() || l.is_loader_lock));
    for l in orphaned {
        let d = HangDetail {
            tid: l.owner_tid,
            lock: Some(l.address),
            threads: l.waiters.clone(),
            ..base.clone()
        };
        out.push(hang(FindingKind::OrphanedLock, Severity::Error, d));
    }
    out.extend(loader_lock(facts, &base));
    out.extend(blocked(facts, &base, process));
    out.extend(cpu_spin(facts, &base, dump_time));
    out.extend(waiting(facts, &base));
    if out.is_empty() {
        out.push(no_pattern(facts, base));
    }
    out
}

/// The loader lock, held by a live thread with waiters or running a DllMain.
fn loader_lock(facts: &HangFacts, base: &HangDetail) -> Option<Finding> {
    let l = facts.loader_lock()?;
    let owner = facts.thread(l.owner_tid?);
    let dll_main = owner.and_then(dll_main);
    if l.waiters.is_empty() && dll_main.is_none() {
        return None;
    }
    let d = HangDetail {
        tid: l.owner_tid,
        lock: Some(l.address),
        threads: l.waiters.clone(),
        dll_main,
        ..base.clone()
    };
    Some(hang(FindingKind::LoaderLock, Severity::Error, d))
}

/// The application code a thread runs inside the loader: the non-system frame nearest above
/// the first loader frame that calls initialisation routines.
fn dll_main(t: &super::ThreadHang) -> Option<String> {
    let at = t.frames.iter().position(|f| {
        super::state::function(f).is_some_and(|n| names::in_table(n, names::DLL_INIT))
    })?;
    t.frames[..at]
        .iter()
        .rev()
        .find(|f| !f.system && f.symbol.module_index.is_some())
        .map(|f| f.display.clone())
}

/// Threads blocked behind one owner (through chains of locks), at least [`BLOCKED_MIN`].
fn blocked(facts: &HangFacts, base: &HangDetail, process: Option<&str>) -> Vec<Finding> {
    let roots = graph::roots(&graph::edges(facts));
    let mut by_root: HashMap<u32, Vec<u32>> = HashMap::new();
    for t in &facts.threads {
        if let Some(Some(r)) = roots.get(&t.tid) {
            by_root.entry(*r).or_default().push(t.tid);
        }
    }
    let requests = request_threads(facts, process);
    let mut groups: Vec<(u32, Vec<u32>)> = by_root
        .into_iter()
        .filter(|(_, v)| v.len() >= BLOCKED_MIN)
        .collect();
    groups.sort_by_key(|(r, v)| (std::cmp::Reverse(v.len()), *r));
    groups
        .into_iter()
        .map(|(root, tids)| {
            let lock = facts
                .locks
                .iter()
                .filter(|l| l.owner_tid == Some(root))
                .max_by_key(|l| l.waiters.len())
                .map(|l| l.address);
            let d = HangDetail {
                tid: Some(root),
                lock,
                request_threads: requests.as_ref().map(|r| r.len()),
                request_threads_blocked: requests
                    .as_ref()
                    .map(|r| tids.iter().filter(|t| r.contains(t)).count()),
                threads: tids,
                ..base.clone()
            };
            hang(FindingKind::BlockedThreads, Severity::Error, d)
        })
        .collect()
}

/// IIS request threads of a w3wp process (`None`: not a worker process).
fn request_threads(facts: &HangFacts, process: Option<&str>) -> Option<HashSet<u32>> {
    let w3wp = process.is_some_and(|p| p.eq_ignore_ascii_case("w3wp.exe"));
    w3wp.then(|| {
        facts
            .threads
            .iter()
            .filter(|t| {
                t.frames.iter().any(|f| {
                    f.symbol.module.as_deref().is_some_and(|m| {
                        names::IIS_REQUEST_MODULES.contains(&names::module_stem(m).as_str())
                    })
                })
            })
            .map(|t| t.tid)
            .collect()
    })
}

/// The running thread with the most CPU time, at least [`SPIN_MS`] and [`SPIN_SHARE`] of its
/// lifetime. Without ThreadInfo there is no spin to show (the thread summary says the times are
/// unknown): a thread caught running is not proof of a loop.
fn cpu_spin(facts: &HangFacts, base: &HangDetail, dump_time: Option<u64>) -> Option<Finding> {
    let busy = |t: &super::ThreadHang| {
        let Some(ms) = t.cpu_ms() else { return false };
        let life_ms = match (t.create_time, dump_time) {
            (Some(c), Some(d)) if d >= c => (d - c + 1) * 1000,
            _ => ms,
        };
        ms >= SPIN_MS && ms * 100 >= life_ms * SPIN_SHARE
    };
    let t = facts
        .threads
        .iter()
        .filter(|t| t.state == ThreadState::Running && busy(t))
        .max_by_key(|t| t.cpu_ms())?;
    let d = HangDetail {
        tid: Some(t.tid),
        threads: vec![t.tid],
        cpu_ms: t.cpu_ms(),
        ..base.clone()
    };
    Some(hang(FindingKind::CpuSpin, Severity::Warning, d))
}

/// Threads in network/file I/O, and in RPC/COM calls.
fn waiting(facts: &HangFacts, base: &HangDetail) -> Vec<Finding> {
    [
        (ThreadState::Io, FindingKind::WaitingOnIo),
        (ThreadState::Rpc, FindingKind::WaitingOnRemote),
    ]
    .into_iter()
    .filter_map(|(state, kind)| {
        let tids: Vec<u32> = facts
            .threads
            .iter()
            .filter(|t| t.state == state)
            .map(|t| t.tid)
            .collect();
        let d = HangDetail {
            tid: tids.first().copied(),
            threads: tids,
            ..base.clone()
        };
        (!d.threads.is_empty()).then(|| hang(kind, Severity::Warning, d))
    })
    .collect()
}

/// No known pattern: the thread summary, and the first thread waiting in application code.
fn no_pattern(facts: &HangFacts, base: HangDetail) -> Finding {
    let states = super::ThreadState::ALL
        .iter()
        .map(|s| (*s, facts.threads.iter().filter(|t| t.state == *s).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let waiting = |t: &&super::ThreadHang| {
        matches!(
            t.state,
            ThreadState::WaitingLock | ThreadState::WaitingObject
        ) && first_app_frame(&t.frames).is_some()
    };
    let t = facts.threads.iter().find(waiting).or_else(|| {
        facts
            .threads
            .iter()
            .find(|t| first_app_frame(&t.frames).is_some())
    });
    let d = HangDetail {
        tid: t.map(|t| t.tid),
        lock: t.and_then(|t| t.waits_on().first().copied()),
        threads: t.map(|t| vec![t.tid]).unwrap_or_default(),
        states,
        ..base
    };
    hang(FindingKind::NoHangPattern, Severity::Info, d)
}

/// The thread whose stack is blamed for a hang finding: its root-cause thread, or, when that
/// thread no longer exists (an orphaned lock), the first thread waiting for it.
pub fn blame_tid(f: &Finding, facts: &HangFacts) -> Option<u32> {
    let Detail::Hang(d) = &f.detail else {
        return None;
    };
    d.tid.filter(|t| facts.thread(*t).is_some()).or_else(|| {
        d.threads
            .iter()
            .copied()
            .find(|t| facts.thread(*t).is_some())
    })
}

/// The bucket class of a hang finding.
pub fn class(kind: FindingKind) -> Option<&'static str> {
    Some(match kind {
        FindingKind::Deadlock => "DEADLOCK",
        FindingKind::BlockedThreads => "BLOCKED_THREADS",
        FindingKind::OrphanedLock => "ORPHANED_LOCK",
        FindingKind::LoaderLock => "LOADER_LOCK",
        FindingKind::CpuSpin => "CPU_SPIN",
        FindingKind::WaitingOnIo => "WAITING_ON_IO",
        FindingKind::WaitingOnRemote => "WAITING_ON_REMOTE",
        FindingKind::NoHangPattern => "NO_HANG_PATTERN",
        _ => return None,
    })
}

/// Whether a finding is a hang finding.
pub fn is_hang(kind: FindingKind) -> bool {
    class(kind).is_some()
}
