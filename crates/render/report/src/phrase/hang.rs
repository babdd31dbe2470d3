//! The words of the hang analysis: its findings, its summary row and the "Threads and locks"
//! section (DebugDiag's hang report in spirit: who waits for what, owned by whom, doing what).

use super::findings::{recommendation_for, Words};
use coroner_analysis::hang::verdict::HangDetail;
use coroner_analysis::hang::{HangFacts, HangReason, LockFacts, LockKind, ThreadHang, ThreadState};
use coroner_analysis::{fmt_addr, Analysis, FindingKind};

/// Most thread lines (and lock lines) in the "Threads and locks" section.
pub const MAX_THREAD_LINES: usize = 64;

/// `thread 3 (id 0xf8)`, or `thread id 0x1b0 (no longer in the process)`.
pub fn thread_name(h: &HangFacts, tid: u32) -> String {
    match h.thread(tid) {
        Some(t) => format!("thread {} (id 0x{tid:x})", t.index),
        None => format!("thread id 0x{tid:x} (no longer in the process)"),
    }
}

/// `critical section 62d08100`, `the loader lock (critical section 62d08100)`, `mutant handle 0x3c`.
pub fn lock_name(a: &Analysis, address: u64) -> String {
    let p = a.ptr_size();
    match a.hang.lock(address) {
        Some(l) if l.is_loader_lock => {
            format!(
                "the loader lock (critical section {})",
                fmt_addr(address, p)
            )
        }
        Some(l) if l.kind == LockKind::Mutant => match &l.name {
            Some(n) => format!("mutant handle 0x{address:x} ({n})"),
            None => format!("mutant handle 0x{address:x}"),
        },
        _ => format!("critical section {}", fmt_addr(address, p)),
    }
}

/// What a thread is doing, as a clause: `waiting for critical section … owned by thread 2 (…)`.
pub fn activity(a: &Analysis, t: &ThreadHang) -> String {
    let h = &a.hang;
    let what = match t.state {
        ThreadState::WaitingLock => match t.waits_lock {
            Some(l) => {
                let owner = h
                    .lock(l)
                    .and_then(|x| x.owner_tid)
                    .map(|o| format!(" owned by {}", thread_name(h, o)))
                    .unwrap_or_default();
                format!("waiting for {}{owner}", lock_name(a, l))
            }
            None => "waiting for a critical section (not found in the dump)".into(),
        },
        ThreadState::WaitingObject => match t.waits_objects.as_slice() {
            [] => "waiting on a kernel object (handle not found in the dump)".into(),
            objs => format!(
                "waiting on {}",
                objs.iter().map(object).collect::<Vec<_>>().join(", ")
            ),
        },
        ThreadState::Sleeping => "sleeping".into(),
        ThreadState::Io => "waiting on network or file I/O".into(),
        ThreadState::Rpc => "waiting on an RPC/COM call".into(),
        ThreadState::Loader => "in the loader".into(),
        ThreadState::Running => "running".into(),
        ThreadState::Unknown => "in an unknown state".into(),
    };
    match (&t.frame, &t.state_frame) {
        (Some(f), _) => format!("{what} in {f}"),
        (None, Some(f)) => format!("{what} at {f}"),
        _ => what,
    }
}

fn object(o: &coroner_analysis::hang::WaitObject) -> String {
    match (&o.type_name, &o.object_name) {
        (Some(t), Some(n)) => format!("handle 0x{:x} ({t} {n})", o.handle),
        (Some(t), None) => format!("handle 0x{:x} (unnamed {t})", o.handle),
        _ => format!("handle 0x{:x}", o.handle),
    }
}

/// `46% of threads (23)`.
fn share(n: usize, of: usize) -> String {
    let pct = (n * 100).checked_div(of).unwrap_or(0);
    format!("{pct}% of threads ({n} of {of})")
}

/// Why the dump is taken for a hang dump.
pub fn reason(r: HangReason) -> &'static str {
    match r {
        HangReason::Requested => "analysed as a hang dump on request (--hang)",
        HangReason::NoException => "no exception: a dump taken on demand (hang or manual dump)",
        HangReason::FileName => "its file name marks a hang or manual dump",
        HangReason::BreakIn => "a debugger break-in: the dump was taken of a running process",
    }
}

/// The words of a hang finding.
pub fn finding(a: &Analysis, kind: FindingKind, d: &HangDetail) -> Words {
    let h = &a.hang;
    let root = d
        .tid
        .map(|t| thread_name(h, t))
        .unwrap_or_else(|| "unknown".into());
    let root_doing = d
        .tid
        .and_then(|t| h.thread(t))
        .map(|t| format!("{root} is {}", activity(a, t)));
    // With no known pattern the thread named is only where application code runs, not a cause.
    let named = if kind == FindingKind::NoHangPattern {
        "first thread in application code"
    } else {
        "root-cause thread"
    };
    let mut evidence = vec![format!("{named}: {root}")];
    // A deadlock's links say what each of its threads does.
    let links = kind == FindingKind::Deadlock;
    if !links {
        evidence.extend(root_doing.clone());
    }
    let rec = recommendation_for(a.blame.as_ref());
    let (title, description) = match kind {
        FindingKind::Deadlock => deadlock(a, d, &mut evidence),
        FindingKind::BlockedThreads => blocked(a, d, &root, root_doing, &mut evidence),
        FindingKind::OrphanedLock => orphaned(a, d, &root),
        FindingKind::LoaderLock => loader_lock(a, d, &root, root_doing),
        FindingKind::CpuSpin => spin(a, d, &root),
        FindingKind::WaitingOnIo | FindingKind::WaitingOnRemote => {
            waiting(kind, d, &root, root_doing)
        }
        _ => no_pattern(d, &root, root_doing),
    };
    let description = if kind == FindingKind::NoHangPattern && !h.times_known {
        format!("{description} CPU times unknown: the dump has no ThreadInfoList stream, so a spinning thread cannot be told from one caught running.")
    } else {
        description
    };
    for tid in d
        .threads
        .iter()
        .filter(|t| Some(**t) != d.tid && !links)
        .take(8)
    {
        if let Some(t) = h.thread(*tid) {
            evidence.push(format!("{} is {}", thread_name(h, *tid), activity(a, t)));
        }
    }
    let recommendation = match kind {
        FindingKind::Deadlock => format!("{rec} The threads take the same locks in opposite order: take them in one order everywhere."),
        FindingKind::LoaderLock => format!("{rec} Code run under the loader lock (DllMain, TLS callbacks) must not wait for other threads or load libraries."),
        FindingKind::OrphanedLock => format!("{rec} A thread ended without leaving the critical section: look for an early return or exception path that skips LeaveCriticalSection."),
        FindingKind::NoHangPattern => match d.tid.and_then(|t| h.thread(t)).and_then(|t| t.module.as_deref()) {
            Some(m) => format!("Take two or three dumps a few seconds apart and compare what the threads do; start with {m}, where {root} is."),
            None => "Take two or three dumps a few seconds apart and compare what the threads do.".into(),
        },
        _ => rec,
    };
    Words {
        title,
        description,
        recommendation,
        evidence,
    }
}

fn deadlock(a: &Analysis, d: &HangDetail, evidence: &mut Vec<String>) -> (String, String) {
    let h = &a.hang;
    let names: Vec<String> = d.cycle.iter().map(|l| thread_name(h, l.tid)).collect();
    let links: Vec<String> = d
        .cycle
        .iter()
        .map(|l| {
            let at = h
                .thread(l.tid)
                .and_then(|t| t.frame.clone())
                .unwrap_or_default();
            format!(
                "{} holds {} and waits for {} in {at}",
                thread_name(h, l.tid),
                lock_name(a, l.holds),
                lock_name(a, l.waits_for)
            )
        })
        .collect();
    evidence.extend(links.iter().cloned());
    (
        format!("Deadlock: {} wait for each other", names.join(" and ")),
        format!("{}: none of them can go on.", links.join("; ")),
    )
}

fn blocked(
    a: &Analysis,
    d: &HangDetail,
    root: &str,
    root_doing: Option<String>,
    evidence: &mut Vec<String>,
) -> (String, String) {
    let lock = d
        .lock
        .map(|l| format!(" ({} is its lock)", lock_name(a, l)))
        .unwrap_or_default();
    if let (Some(n), Some(b)) = (d.request_threads, d.request_threads_blocked) {
        evidence.push(format!(
            "{b} of {n} IIS request threads are blocked behind {root}"
        ));
    }
    (
        format!(
            "{} are blocked behind {root}",
            share(d.threads.len(), d.thread_count)
        ),
        format!(
            "{} wait, directly or through other locks, for {root}{lock}; {}.",
            share(d.threads.len(), d.thread_count),
            root_doing.unwrap_or_else(|| format!("{root} is not in the dump"))
        ),
    )
}

fn orphaned(a: &Analysis, d: &HangDetail, root: &str) -> (String, String) {
    let lock = d.lock.map(|l| lock_name(a, l)).unwrap_or_default();
    (
        format!("Orphaned lock: {lock} is owned by {root}"),
        format!(
            "The owner of {lock}, {root}, has exited without leaving it; {} wait for it forever.",
            super::count(d.threads.len(), "thread", "threads")
        ),
    )
}

fn loader_lock(
    a: &Analysis,
    d: &HangDetail,
    root: &str,
    root_doing: Option<String>,
) -> (String, String) {
    let inside = d
        .dll_main
        .as_ref()
        .map(|f| format!(" inside {f}, called by the loader"))
        .unwrap_or_default();
    (
        format!("{root} holds the loader lock{inside}"),
        format!(
            "{} ({}) is held by {root}{inside}; {} wait for it (LoadLibrary, thread start and exit need it). {}.",
            lock_name(a, d.lock.unwrap_or(0)),
            "PEB.LoaderLock",
            super::count(d.threads.len(), "thread", "threads"),
            root_doing.unwrap_or_default()
        ),
    )
}

fn spin(a: &Analysis, d: &HangDetail, root: &str) -> (String, String) {
    let at = d
        .tid
        .and_then(|t| a.hang.thread(t))
        .and_then(|t| t.frame.clone())
        .unwrap_or_else(|| "unknown code".into());
    let cpu = match d.cpu_ms {
        Some(ms) => format!("{ms} ms of CPU time, the most of any running thread"),
        None => "CPU times unknown: the dump has no ThreadInfoList stream".into(),
    };
    (
        format!("{root} is spinning on the CPU in {at}"),
        format!("{root} is running application code in {at} ({cpu}): a busy loop makes the process slow or unresponsive."),
    )
}

fn waiting(
    kind: FindingKind,
    d: &HangDetail,
    root: &str,
    root_doing: Option<String>,
) -> (String, String) {
    let what = if kind == FindingKind::WaitingOnIo {
        "network or file I/O (sockets, HTTP, database or file reads)"
    } else {
        "RPC or COM calls to another process or machine"
    };
    let n = super::count(d.threads.len(), "thread waits", "threads wait");
    (
        format!("{n} on {what}"),
        format!(
            "{n} on {what}; the first is {root}. {}.",
            root_doing.unwrap_or_default()
        ),
    )
}

fn no_pattern(d: &HangDetail, root: &str, root_doing: Option<String>) -> (String, String) {
    let states: Vec<String> = d
        .states
        .iter()
        .map(|(s, n)| format!("{n} {}", state_words(*s)))
        .collect();
    (
        "No known hang pattern".into(),
        format!(
            "No deadlock, blocked lock, orphaned lock, loader-lock wait, CPU spin or I/O wait was found. Threads: {}. {}",
            states.join(", "),
            root_doing
                .map(|r| format!("The first thread in application code: {r}."))
                .unwrap_or_else(|| format!("Thread to look at first: {root}."))
        ),
    )
}

/// A state in words, as counted in the thread summary.
pub fn state_words(s: ThreadState) -> &'static str {
    match s {
        ThreadState::WaitingLock => "waiting for a critical section",
        ThreadState::WaitingObject => "waiting on kernel objects",
        ThreadState::Sleeping => "sleeping",
        ThreadState::Io => "in I/O",
        ThreadState::Rpc => "in RPC/COM calls",
        ThreadState::Loader => "in the loader",
        ThreadState::Running => "running",
        ThreadState::Unknown => "in an unknown state",
    }
}

/// The "Threads and locks" section of a hang dump, one line each.
pub fn threads_and_locks(a: &Analysis) -> Vec<String> {
    let h = &a.hang;
    let mut out = Vec::new();
    if let Some(r) = h.reason {
        out.push(format!("Hang dump: {}.", reason(r)));
    }
    for t in h.threads.iter().take(MAX_THREAD_LINES) {
        let cpu = match (t.user_time_ms, t.kernel_time_ms) {
            (Some(u), Some(k)) => format!(" (CPU {u} ms user, {k} ms kernel)"),
            _ => String::new(),
        };
        out.push(format!(
            "Thread {} (id 0x{:x}) is {}{cpu}.",
            t.index,
            t.tid,
            activity(a, t)
        ));
    }
    if h.threads.len() > MAX_THREAD_LINES {
        out.push(format!(
            "… and {} more threads.",
            h.threads.len() - MAX_THREAD_LINES
        ));
    }
    for g in &h.groups {
        out.push(format!(
            "{} threads have the same call stack (ids {}).",
            g.tids.len(),
            g.tids
                .iter()
                .take(16)
                .map(|t| format!("0x{t:x}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for l in h.locks.iter().take(MAX_THREAD_LINES) {
        out.push(lock_line(a, l));
    }
    if h.locks.len() > MAX_THREAD_LINES {
        out.push(format!(
            "… and {} more locks.",
            h.locks.len() - MAX_THREAD_LINES
        ));
    }
    if let Some(b) = h.encoding_basis.as_deref() {
        let enc = h.encoding.map(|e| e.as_str()).unwrap_or("");
        out.push(format!("LockCount decoded in the {enc} encoding ({b})."));
    }
    if !h.times_known {
        out.push("CPU times unknown: the dump has no ThreadInfoList stream.".into());
    }
    out
}

fn lock_line(a: &Analysis, l: &LockFacts) -> String {
    let h = &a.hang;
    let owner = match l.owner_tid {
        Some(o) if l.orphaned => {
            format!("owned by thread id 0x{o:x}, which no longer exists (orphaned)")
        }
        Some(o) => format!("owned by {}", thread_name(h, o)),
        None if l.locked == Some(false) => "free".into(),
        None => "owner unknown".into(),
    };
    let waiters = super::count(l.waiters.len(), "thread waits", "threads wait");
    let raw = l
        .raw
        .map(|r| {
            format!(
                "; LockCount {}, RecursionCount {}",
                r.lock_count, r.recursion_count
            )
        })
        .unwrap_or_default();
    let debug = match (l.kind, l.debug_info(a.ptr_size())) {
        (LockKind::CriticalSection, None) => "; no debug info",
        _ => "",
    };
    let mut s = lock_name(a, l.address);
    if let Some(c) = s.get_mut(..1) {
        c.make_ascii_uppercase();
    }
    format!("{s}: {owner}; {waiters} for it{raw}{debug}.")
}
