//! The words of the hang analysis: its findings, its summary row and the "Threads and locks"
//! section (DebugDiag's hang report in spirit: who waits for what, owned by whom, doing what).

use super::findings::{recommendation_for, Words};
use super::{counted, Lang, Noun};
use coroner_analysis::hang::locks::EncodingBasis;
use coroner_analysis::hang::verdict::HangDetail;
use coroner_analysis::hang::{HangFacts, HangReason, LockFacts, LockKind, ThreadHang, ThreadState};
use coroner_analysis::{fmt_addr, Analysis, FindingKind};

/// Most thread lines (and lock lines) in the "Threads and locks" section.
pub const MAX_THREAD_LINES: usize = 64;

/// `thread 3 (id 0xf8)`, or `thread id 0x1b0 (no longer in the process)`.
pub fn thread_name(h: &HangFacts, tid: u32, l: Lang) -> String {
    match h.thread(tid) {
        Some(t) => l.pick(
            format!("thread {} (id 0x{tid:x})", t.index),
            format!("스레드 {}(ID 0x{tid:x})", t.index),
        ),
        None => l.pick(
            format!("thread id 0x{tid:x} (no longer in the process)"),
            format!("스레드 ID 0x{tid:x}(프로세스에 더 이상 없음)"),
        ),
    }
}

/// `critical section 62d08100`, `the loader lock (critical section 62d08100)`, `mutant handle 0x3c`.
pub fn lock_name(a: &Analysis, address: u64, l: Lang) -> String {
    let p = a.ptr_size();
    let cs = fmt_addr(address, p);
    match a.hang.lock(address) {
        Some(x) if x.is_loader_lock => l.pick(
            format!("the loader lock (critical section {cs})"),
            format!("로더 잠금(임계 영역 {cs})"),
        ),
        Some(x) if x.kind == LockKind::Mutant => match &x.name {
            Some(n) => l.pick(
                format!("mutant handle 0x{address:x} ({n})"),
                format!("뮤턴트 핸들 0x{address:x}({n})"),
            ),
            None => l.pick(
                format!("mutant handle 0x{address:x}"),
                format!("뮤턴트 핸들 0x{address:x}"),
            ),
        },
        _ => l.pick(format!("critical section {cs}"), format!("임계 영역 {cs}")),
    }
}

/// What a thread is doing, as a clause: `waiting for critical section … owned by thread 2 (…)`;
/// in Korean a predicate noun phrase: `… 소유의 임계 영역 …을(를) 기다리는 중`.
pub fn activity(a: &Analysis, t: &ThreadHang, l: Lang) -> String {
    let h = &a.hang;
    let what = match t.state {
        ThreadState::WaitingLock => match t.waits_lock {
            Some(x) => {
                let lock = lock_name(a, x, l);
                match (h.lock(x).and_then(|x| x.owner_tid), l) {
                    (Some(o), Lang::En) => {
                        format!("waiting for {lock} owned by {}", thread_name(h, o, l))
                    }
                    (Some(o), Lang::Ko) => crate::phrase::particles(&format!(
                        "{}이(가) 소유한 {lock}을(를) 기다리는 중",
                        thread_name(h, o, l)
                    )),
                    (None, Lang::En) => format!("waiting for {lock}"),
                    (None, Lang::Ko) => {
                        crate::phrase::particles(&format!("{lock}을(를) 기다리는 중"))
                    }
                }
            }
            None => l
                .pick(
                    "waiting for a critical section (not found in the dump)",
                    "임계 영역을 기다리는 중(덤프에서 찾을 수 없음)",
                )
                .into(),
        },
        ThreadState::WaitingObject => match t.waits_objects.as_slice() {
            [] => l
                .pick(
                    "waiting on a kernel object (handle not found in the dump)",
                    "커널 개체를 기다리는 중(덤프에서 핸들을 찾을 수 없음)",
                )
                .into(),
            objs => {
                let list = objs
                    .iter()
                    .map(|o| object(o, l))
                    .collect::<Vec<_>>()
                    .join(", ");
                l.pick(
                    format!("waiting on {list}"),
                    crate::phrase::particles(&format!("{list}을(를) 기다리는 중")),
                )
            }
        },
        ThreadState::Sleeping => l.pick("sleeping", "대기(Sleep) 중").into(),
        ThreadState::Io => l
            .pick(
                "waiting on network or file I/O",
                "네트워크 또는 파일 I/O를 기다리는 중",
            )
            .into(),
        ThreadState::Rpc => l
            .pick("waiting on an RPC/COM call", "RPC/COM 호출을 기다리는 중")
            .into(),
        ThreadState::Loader => l.pick("in the loader", "로더 안에 있음").into(),
        ThreadState::Running => l.pick("running", "실행 중").into(),
        ThreadState::Unknown => l.pick("in an unknown state", "알 수 없는 상태").into(),
    };
    match (&t.frame, &t.state_frame, l) {
        (Some(f), _, Lang::En) => format!("{what} in {f}"),
        (None, Some(f), Lang::En) => format!("{what} at {f}"),
        (Some(f), _, Lang::Ko) | (None, Some(f), Lang::Ko) => format!("{what}({f})"),
        _ => what,
    }
}

fn object(o: &coroner_analysis::hang::WaitObject, l: Lang) -> String {
    let h = o.handle;
    match (&o.type_name, &o.object_name) {
        (Some(t), Some(n)) => l.pick(
            format!("handle 0x{h:x} ({t} {n})"),
            format!("핸들 0x{h:x}({t} {n})"),
        ),
        (Some(t), None) => l.pick(
            format!("handle 0x{h:x} (unnamed {t})"),
            format!("핸들 0x{h:x}(이름 없는 {t})"),
        ),
        _ => l.pick(format!("handle 0x{h:x}"), format!("핸들 0x{h:x}")),
    }
}

/// `46% of threads (23 of 50)`.
fn share(n: usize, of: usize, l: Lang) -> String {
    let pct = (n * 100).checked_div(of).unwrap_or(0);
    l.pick(
        format!("{pct}% of threads ({n} of {of})"),
        format!("스레드의 {pct}%({of}개 중 {n}개)"),
    )
}

/// Why the dump is taken for a hang dump.
pub fn reason(r: HangReason, l: Lang) -> &'static str {
    match r {
        HangReason::Requested => l.pick(
            "analysed as a hang dump on request (--hang)",
            "요청에 따라 중단 덤프로 분석했습니다(--hang)",
        ),
        HangReason::NoException => l.pick(
            "no exception: a dump taken on demand (hang or manual dump)",
            "예외 없음: 필요에 따라 작성한 덤프입니다(중단 덤프 또는 수동 덤프)",
        ),
        HangReason::FileName => l.pick(
            "its file name marks a hang or manual dump",
            "파일 이름이 중단 덤프 또는 수동 덤프임을 나타냅니다",
        ),
        HangReason::BreakIn => l.pick(
            "a debugger break-in: the dump was taken of a running process",
            "디버거 중단(break-in): 실행 중인 프로세스의 덤프입니다",
        ),
    }
}

/// "X is doing Y" for the evidence lines.
fn is_doing(a: &Analysis, tid: u32, t: &ThreadHang, l: Lang) -> String {
    let name = thread_name(&a.hang, tid, l);
    let doing = activity(a, t, l);
    l.pick(format!("{name} is {doing}"), format!("{name}: {doing}"))
}

/// The words of a hang finding.
pub fn finding(a: &Analysis, kind: FindingKind, d: &HangDetail, l: Lang) -> Words {
    let h = &a.hang;
    let root = d
        .tid
        .map(|t| thread_name(h, t, l))
        .unwrap_or_else(|| l.pick("unknown", "알 수 없음").into());
    let root_doing = d
        .tid
        .and_then(|t| h.thread(t).map(|x| is_doing(a, t, x, l)));
    // With no known pattern the thread named is only where application code runs, not a cause.
    let named = if kind == FindingKind::NoHangPattern {
        l.pick(
            "first thread in application code",
            "응용 프로그램 코드의 첫 스레드",
        )
    } else {
        l.pick("root-cause thread", "근본 원인 스레드")
    };
    let mut evidence = vec![format!("{named}: {root}")];
    // A deadlock's links say what each of its threads does.
    let links = kind == FindingKind::Deadlock;
    if !links {
        evidence.extend(root_doing.clone());
    }
    let rec = recommendation_for(a.blame.as_ref(), l);
    let (title, description) = match kind {
        FindingKind::Deadlock => deadlock(a, d, &mut evidence, l),
        FindingKind::BlockedThreads => blocked(a, d, &root, root_doing, &mut evidence, l),
        FindingKind::OrphanedLock => orphaned(a, d, &root, l),
        FindingKind::LoaderLock => loader_lock(a, d, &root, root_doing, l),
        FindingKind::CpuSpin => spin(a, d, &root, l),
        FindingKind::WaitingOnIo | FindingKind::WaitingOnRemote => {
            waiting(kind, d, &root, root_doing, l)
        }
        _ => no_pattern(d, &root, root_doing, l),
    };
    let description = if kind == FindingKind::NoHangPattern && !h.times_known {
        l.pick(
            format!("{description} CPU times unknown: the dump has no ThreadInfoList stream, so a spinning thread cannot be told from one caught running."),
            format!("{description} CPU 시간을 알 수 없습니다. 덤프에 ThreadInfoList 스트림이 없어 CPU를 계속 점유하는 스레드와 마침 실행 중이던 스레드를 구별할 수 없습니다."),
        )
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
            evidence.push(is_doing(a, *tid, t, l));
        }
    }
    let recommendation = recommendation(a, kind, d, &root, rec, l);
    Words {
        title,
        description,
        recommendation,
        evidence,
    }
}

fn recommendation(
    a: &Analysis,
    kind: FindingKind,
    d: &HangDetail,
    root: &str,
    rec: String,
    l: Lang,
) -> String {
    match kind {
        FindingKind::Deadlock => l.pick(
            format!("{rec} The threads take the same locks in opposite order: take them in one order everywhere."),
            format!("{rec} 스레드들이 같은 잠금을 서로 반대 순서로 획득합니다. 모든 곳에서 한 가지 순서로 획득하도록 하십시오."),
        ),
        FindingKind::LoaderLock => l.pick(
            format!("{rec} Code run under the loader lock (DllMain, TLS callbacks) must not wait for other threads or load libraries."),
            format!("{rec} 로더 잠금 아래에서 실행되는 코드(DllMain, TLS 콜백)는 다른 스레드를 기다리거나 라이브러리를 로드하면 안 됩니다."),
        ),
        FindingKind::OrphanedLock => l.pick(
            format!("{rec} A thread ended without leaving the critical section: look for an early return or exception path that skips LeaveCriticalSection."),
            format!("{rec} 스레드가 임계 영역을 나가지 않고 종료되었습니다. LeaveCriticalSection을 건너뛰는 조기 반환이나 예외 경로를 찾아보십시오."),
        ),
        FindingKind::NoHangPattern => match d.tid.and_then(|t| a.hang.thread(t)).and_then(|t| t.module.as_deref()) {
            Some(m) => l.pick(
                format!("Take two or three dumps a few seconds apart and compare what the threads do; start with {m}, where {root} is."),
                crate::phrase::particles(&format!("몇 초 간격으로 덤프를 두세 개 작성하여 스레드가 하는 일을 비교하십시오. {root}이(가) 있는 {m}부터 살펴보십시오.")),
            ),
            None => l.pick(
                "Take two or three dumps a few seconds apart and compare what the threads do.",
                "몇 초 간격으로 덤프를 두세 개 작성하여 스레드가 하는 일을 비교하십시오.",
            ).into(),
        },
        _ => rec,
    }
}

fn deadlock(a: &Analysis, d: &HangDetail, evidence: &mut Vec<String>, l: Lang) -> (String, String) {
    let h = &a.hang;
    let names: Vec<String> = d.cycle.iter().map(|x| thread_name(h, x.tid, l)).collect();
    let links: Vec<String> = d
        .cycle
        .iter()
        .map(|x| {
            let at = h
                .thread(x.tid)
                .and_then(|t| t.frame.clone())
                .unwrap_or_default();
            let (who, holds, waits) = (
                thread_name(h, x.tid, l),
                lock_name(a, x.holds, l),
                lock_name(a, x.waits_for, l),
            );
            l.pick(
                format!("{who} holds {holds} and waits for {waits} in {at}"),
                crate::phrase::particles(&format!(
                    "{who}이(가) {holds}을(를) 소유한 채 {at}에서 {waits}을(를) 기다립니다"
                )),
            )
        })
        .collect();
    evidence.extend(links.iter().cloned());
    (
        l.pick(
            format!("Deadlock: {} wait for each other", names.join(" and ")),
            crate::phrase::particles(&format!(
                "교착 상태: {}이(가) 서로를 기다립니다",
                names.join("와(과) ")
            )),
        ),
        l.pick(
            format!("{}: none of them can go on.", links.join("; ")),
            format!("{}. 어느 스레드도 진행할 수 없습니다.", links.join("; ")),
        ),
    )
}

fn blocked(
    a: &Analysis,
    d: &HangDetail,
    root: &str,
    root_doing: Option<String>,
    evidence: &mut Vec<String>,
    l: Lang,
) -> (String, String) {
    let lock = d.lock.map(|x| lock_name(a, x, l));
    if let (Some(n), Some(b)) = (d.request_threads, d.request_threads_blocked) {
        evidence.push(l.pick(
            format!("{b} of {n} IIS request threads are blocked behind {root}"),
            format!("IIS 요청 스레드 {n}개 중 {b}개가 {root} 때문에 차단되었습니다"),
        ));
    }
    let share = share(d.threads.len(), d.thread_count, l);
    let doing = root_doing.unwrap_or_else(|| {
        l.pick(
            format!("{root} is not in the dump"),
            crate::phrase::particles(&format!("{root}은(는) 덤프에 없습니다")),
        )
    });
    let description = match (lock, l) {
        (Some(x), Lang::En) => format!("{share} wait, directly or through other locks, for {root} ({x} is its lock); {doing}."),
        (None, Lang::En) => format!("{share} wait, directly or through other locks, for {root}; {doing}."),
        (Some(x), Lang::Ko) => crate::phrase::particles(&format!("{share}이(가) 직접 또는 다른 잠금을 거쳐 {root}을(를) 기다립니다({x}이(가) 그 잠금입니다). {doing}.")),
        (None, Lang::Ko) => crate::phrase::particles(&format!("{share}이(가) 직접 또는 다른 잠금을 거쳐 {root}을(를) 기다립니다. {doing}.")),
    };
    (
        l.pick(
            format!("{share} are blocked behind {root}"),
            crate::phrase::particles(&format!("{share}이(가) {root} 때문에 차단되었습니다")),
        ),
        description,
    )
}

fn orphaned(a: &Analysis, d: &HangDetail, root: &str, l: Lang) -> (String, String) {
    let lock = d.lock.map(|x| lock_name(a, x, l)).unwrap_or_default();
    let n = counted(d.threads.len(), Noun::THREAD, l);
    (
        l.pick(
            format!("Orphaned lock: {lock} is owned by {root}"),
            crate::phrase::particles(&format!("분리된 잠금: {lock}을(를) {root}이(가) 소유하고 있습니다")),
        ),
        l.pick(
            format!("The owner of {lock}, {root}, has exited without leaving it; {n} wait for it forever."),
            crate::phrase::particles(&format!("{lock}의 소유자인 {root}이(가) 잠금을 해제하지 않고 종료되었습니다. {n}이(가) 이 잠금을 영원히 기다립니다.")),
        ),
    )
}

fn loader_lock(
    a: &Analysis,
    d: &HangDetail,
    root: &str,
    root_doing: Option<String>,
    l: Lang,
) -> (String, String) {
    let inside = d
        .dll_main
        .as_ref()
        .map(|f| {
            l.pick(
                format!(" inside {f}, called by the loader"),
                format!("(로더가 호출한 {f} 안)"),
            )
        })
        .unwrap_or_default();
    let lock = lock_name(a, d.lock.unwrap_or(0), l);
    let n = counted(d.threads.len(), Noun::THREAD, l);
    let doing = root_doing.unwrap_or_default();
    (
        l.pick(
            format!("{root} holds the loader lock{inside}"),
            crate::phrase::particles(&format!("{root}이(가) 로더 잠금을 소유하고 있습니다{inside}")),
        ),
        l.pick(
            format!("{lock} (PEB.LoaderLock) is held by {root}{inside}; {n} wait for it (LoadLibrary, thread start and exit need it). {doing}."),
            crate::phrase::particles(&format!("{lock}(PEB.LoaderLock)을 {root}이(가) 소유하고 있습니다{inside}. {n}이(가) 이 잠금을 기다립니다(LoadLibrary, 스레드 시작과 종료에 필요). {doing}.")),
        ),
    )
}

fn spin(a: &Analysis, d: &HangDetail, root: &str, l: Lang) -> (String, String) {
    let at = d
        .tid
        .and_then(|t| a.hang.thread(t))
        .and_then(|t| t.frame.clone())
        .unwrap_or_else(|| l.pick("unknown code", "알 수 없는 코드").into());
    let cpu = match d.cpu_ms {
        Some(ms) => l.pick(
            format!("{ms} ms of CPU time, the most of any running thread"),
            format!("CPU 시간 {ms}ms, 실행 중인 스레드 중 최대"),
        ),
        None => l
            .pick(
                "CPU times unknown: the dump has no ThreadInfoList stream",
                "CPU 시간 알 수 없음: 덤프에 ThreadInfoList 스트림이 없습니다",
            )
            .into(),
    };
    (
        l.pick(
            format!("{root} is spinning on the CPU in {at}"),
            crate::phrase::particles(&format!("{root}이(가) {at}에서 CPU를 계속 점유하고 있습니다")),
        ),
        l.pick(
            format!("{root} is running application code in {at} ({cpu}): a busy loop makes the process slow or unresponsive."),
            crate::phrase::particles(&format!("{root}이(가) {at}에서 응용 프로그램 코드를 실행하고 있습니다({cpu}). 바쁜 대기 루프 때문에 프로세스가 느려지거나 응답하지 않습니다.")),
        ),
    )
}

fn waiting(
    kind: FindingKind,
    d: &HangDetail,
    root: &str,
    root_doing: Option<String>,
    l: Lang,
) -> (String, String) {
    let what = match (kind == FindingKind::WaitingOnIo, l) {
        (true, Lang::En) => "network or file I/O (sockets, HTTP, database or file reads)",
        (false, Lang::En) => "RPC or COM calls to another process or machine",
        (true, Lang::Ko) => "네트워크 또는 파일 I/O(소켓, HTTP, 데이터베이스 또는 파일 읽기)",
        (false, Lang::Ko) => "다른 프로세스나 컴퓨터에 대한 RPC 또는 COM 호출",
    };
    let count = d.threads.len();
    let doing = root_doing.unwrap_or_default();
    match l {
        Lang::En => {
            let n = super::count(count, "thread waits", "threads wait");
            (
                format!("{n} on {what}"),
                format!("{n} on {what}; the first is {root}. {doing}."),
            )
        }
        Lang::Ko => {
            let n = counted(count, Noun::THREAD, l);
            (
                crate::phrase::particles(&format!("{n}이(가) {what}을(를) 기다립니다")),
                crate::phrase::particles(&format!(
                    "{n}이(가) {what}을(를) 기다립니다. 첫 번째는 {root}입니다. {doing}."
                )),
            )
        }
    }
}

fn no_pattern(d: &HangDetail, root: &str, root_doing: Option<String>, l: Lang) -> (String, String) {
    let states: Vec<String> = d
        .states
        .iter()
        .map(|(s, n)| {
            l.pick(
                format!("{n} {}", state_words(*s, l)),
                format!("{} {n}개", state_words(*s, l)),
            )
        })
        .collect();
    let states = states.join(", ");
    let first = match (root_doing, l) {
        (Some(r), Lang::En) => format!("The first thread in application code: {r}."),
        (None, Lang::En) => format!("Thread to look at first: {root}."),
        (Some(r), Lang::Ko) => format!("응용 프로그램 코드의 첫 스레드: {r}."),
        (None, Lang::Ko) => format!("먼저 살펴볼 스레드: {root}."),
    };
    (
        l.pick("No known hang pattern", "알려진 중단 패턴 없음").into(),
        l.pick(
            format!("No deadlock, blocked lock, orphaned lock, loader-lock wait, CPU spin or I/O wait was found. Threads: {states}. {first}"),
            format!("교착 상태, 차단된 잠금, 분리된 잠금, 로더 잠금 대기, CPU 점유, I/O 대기를 찾지 못했습니다. 스레드: {states}. {first}"),
        ),
    )
}

/// A state in words, as counted in the thread summary (in Korean, the noun that takes the count:
/// "임계 영역 대기 스레드 3개").
pub fn state_words(s: ThreadState, l: Lang) -> &'static str {
    match s {
        ThreadState::WaitingLock => {
            l.pick("waiting for a critical section", "임계 영역 대기 스레드")
        }
        ThreadState::WaitingObject => l.pick("waiting on kernel objects", "커널 개체 대기 스레드"),
        ThreadState::Sleeping => l.pick("sleeping", "Sleep 중인 스레드"),
        ThreadState::Io => l.pick("in I/O", "I/O 중인 스레드"),
        ThreadState::Rpc => l.pick("in RPC/COM calls", "RPC/COM 호출 중인 스레드"),
        ThreadState::Loader => l.pick("in the loader", "로더 안의 스레드"),
        ThreadState::Running => l.pick("running", "실행 중인 스레드"),
        ThreadState::Unknown => l.pick("in an unknown state", "상태를 알 수 없는 스레드"),
    }
}

/// The "Threads and locks" section of a hang dump, one line each.
pub fn threads_and_locks(a: &Analysis, l: Lang) -> Vec<String> {
    let h = &a.hang;
    let mut out = Vec::new();
    if let Some(r) = h.reason {
        out.push(l.pick(
            format!("Hang dump: {}.", reason(r, l)),
            format!("중단 덤프: {}.", reason(r, l)),
        ));
    }
    for t in h.threads.iter().take(MAX_THREAD_LINES) {
        let cpu = match (t.user_time_ms, t.kernel_time_ms) {
            (Some(u), Some(k)) => l.pick(
                format!(" (CPU {u} ms user, {k} ms kernel)"),
                format!(" (CPU 사용자 {u}ms, 커널 {k}ms)"),
            ),
            _ => String::new(),
        };
        let (i, tid, doing) = (t.index, t.tid, activity(a, t, l));
        out.push(l.pick(
            format!("Thread {i} (id 0x{tid:x}) is {doing}{cpu}."),
            format!("스레드 {i}(ID 0x{tid:x}): {doing}{cpu}."),
        ));
    }
    if h.threads.len() > MAX_THREAD_LINES {
        let n = h.threads.len() - MAX_THREAD_LINES;
        out.push(l.pick(
            format!("… and {n} more threads."),
            format!("… 그 밖에 스레드 {n}개."),
        ));
    }
    for g in &h.groups {
        let ids = g
            .tids
            .iter()
            .take(16)
            .map(|t| format!("0x{t:x}"))
            .collect::<Vec<_>>()
            .join(", ");
        let n = g.tids.len();
        out.push(l.pick(
            format!("{n} threads have the same call stack (ids {ids})."),
            format!("스레드 {n}개의 호출 스택이 같습니다(ID {ids})."),
        ));
    }
    for x in h.locks.iter().take(MAX_THREAD_LINES) {
        out.push(lock_line(a, x, l));
    }
    if h.locks.len() > MAX_THREAD_LINES {
        let n = h.locks.len() - MAX_THREAD_LINES;
        out.push(l.pick(
            format!("… and {n} more locks."),
            format!("… 그 밖에 잠금 {n}개."),
        ));
    }
    if let Some(b) = &h.encoding_basis {
        let (enc, b) = (
            h.encoding.map(|e| e.as_str()).unwrap_or(""),
            encoding_basis(b, l),
        );
        out.push(l.pick(
            format!("LockCount decoded in the {enc} encoding ({b})."),
            format!("LockCount를 {enc} 인코딩으로 해석했습니다({b})."),
        ));
    }
    if !h.times_known {
        out.push(
            l.pick(
                "CPU times unknown: the dump has no ThreadInfoList stream.",
                "CPU 시간을 알 수 없습니다. 덤프에 ThreadInfoList 스트림이 없습니다.",
            )
            .into(),
        );
    }
    out
}

/// Why `LockCount` was decoded as it was: the dump's OS.
pub fn encoding_basis(b: &EncodingBasis, l: Lang) -> String {
    match b {
        EncodingBasis::Wine(v) => l.pick(
            format!("Wine (WineUnixModules stream; it reports Windows {v})"),
            format!("Wine(WineUnixModules 스트림, 보고된 버전 Windows {v})"),
        ),
        EncodingBasis::BeforeServer2003(v) => l.pick(
            format!("Windows {v}, before Server 2003"),
            format!("Windows {v}, Server 2003 이전"),
        ),
        EncodingBasis::Server2003(v) => l.pick(
            format!("Windows {v}, Server 2003 before Service Pack 1"),
            format!("Windows {v}, 서비스 팩 1 이전의 Server 2003"),
        ),
        EncodingBasis::Server2003ServicePack(v) => l.pick(
            format!("Windows {v}, Server 2003 with a service pack"),
            format!("Windows {v}, 서비스 팩이 설치된 Server 2003"),
        ),
        EncodingBasis::Windows(v) => format!("Windows {v}"),
    }
}

fn lock_line(a: &Analysis, x: &LockFacts, l: Lang) -> String {
    let h = &a.hang;
    let owner = match x.owner_tid {
        Some(o) if x.orphaned => l.pick(
            format!("owned by thread id 0x{o:x}, which no longer exists (orphaned)"),
            crate::phrase::particles(&format!(
                "소유자 스레드 ID 0x{o:x}은(는) 더 이상 없습니다(분리됨)"
            )),
        ),
        Some(o) => l.pick(
            format!("owned by {}", thread_name(h, o, l)),
            format!("소유자 {}", thread_name(h, o, l)),
        ),
        None if x.locked == Some(false) => l.pick("free", "해제됨").into(),
        None => l.pick("owner unknown", "소유자 알 수 없음").into(),
    };
    let raw = x
        .raw
        .map(|r| {
            format!(
                "; LockCount {}, RecursionCount {}",
                r.lock_count, r.recursion_count
            )
        })
        .unwrap_or_default();
    let debug = match (x.kind, x.debug_info(a.ptr_size())) {
        (LockKind::CriticalSection, None) => l.pick("; no debug info", "; 디버그 정보 없음"),
        _ => "",
    };
    let mut s = lock_name(a, x.address, l);
    if let Some(c) = s.get_mut(..1) {
        c.make_ascii_uppercase();
    }
    let n = x.waiters.len();
    match l {
        Lang::En => {
            let waiters = super::count(n, "thread waits", "threads wait");
            format!("{s}: {owner}; {waiters} for it{raw}{debug}.")
        }
        Lang::Ko => format!("{s}: {owner}; 대기 스레드 {n}개{raw}{debug}."),
    }
}
