//! Stage 2: what the event logs and WER reports say — evidence of deaths ([`Signal`]), pool
//! names, rapid-fail events, the timeline lines of other system events, and one
//! [`EventLogInfo`] per log.

use crate::evidence::Evidence;
use crate::model::{EventLogInfo, EvidenceRef, Fact, Said, TimelineEntry};
use crate::time::{code, Time};
use coroner_eventlog::{interpret, Event, EventLog, Meaning};
use coroner_report::phrase::investigate::said::said;
use std::path::Path;

/// A piece of evidence that a process died.
#[derive(Clone, Debug)]
pub(super) struct Signal {
    pub time: i64,
    pub pid: Option<u32>,
    pub pool: Option<String>,
    pub process: Option<String>,
    /// The process's exit code, which only termination events carry (W3SVC 1009, WAS 5009).
    pub exit_code: Option<u32>,
    /// The exception code of a fault record (Application Error 1000, WER).
    pub exception_code: Option<u32>,
    /// A termination event (the service saw the process die) rather than a fault record.
    pub termination: bool,
    pub how: Said,
    pub evidence: EvidenceRef,
}

/// A memory-limit recycle event.
#[derive(Clone, Debug)]
pub(super) struct RecycleEvent {
    pub time: i64,
    pub pool: String,
    pub pid: Option<u32>,
    pub limit: coroner_eventlog::MemoryLimit,
    pub evidence: EvidenceRef,
}

/// What the event logs and WER reports gave.
#[derive(Default)]
pub(super) struct Signals {
    /// Evidence of deaths, by time.
    pub signals: Vec<Signal>,
    /// Evidence that a worker stopped answering (ping failure, shutdown time limit, orphaned),
    /// by time: hangs, not deaths.
    pub hangs: Vec<Signal>,
    /// Pool names the events give, in order, repeated.
    pub event_pools: Vec<String>,
    /// Workers recycled on a memory limit (W3SVC 1077/1117, WAS 5077/5117), by time; also
    /// lines of the timeline.
    pub recycles: Vec<RecycleEvent>,
    /// Rapid-fail disables (W3SVC 1002 / WAS 5002) and their pool.
    pub rapid_events: Vec<(String, EvidenceRef)>,
    /// Timeline lines of other events (pool disabled, boot, shutdown, idle shutdown).
    pub timeline: Vec<TimelineEntry>,
    /// One per event log.
    pub event_logs: Vec<EventLogInfo>,
}

/// Reads every event log and WER report; damaged logs add a warning.
pub(super) fn signals(ev: &Evidence, warnings: &mut Vec<Said>) -> Signals {
    let mut out = Signals::default();
    for log in &ev.event_logs {
        let understood = read_log(log, &mut out);
        out.event_logs.push(log_info(log, understood));
        if log.skipped_total > 0 {
            warnings.push(said(Fact::DamagedParts {
                file: log.file.display().to_string(),
                parts: log.skipped_total,
            }));
        }
    }
    out.signals.extend(ev.wers.iter().filter_map(wer_signal));
    out.signals.sort_by_key(|s| s.time);
    out.hangs.sort_by_key(|s| s.time);
    out.recycles.sort_by_key(|r| r.time);
    out
}

/// `worker pid 4410 recycled: it reached its private bytes memory limit`.
fn recycle_text(pid: Option<u32>, limit: coroner_eventlog::MemoryLimit) -> Fact {
    Fact::MemoryRecycle {
        pid,
        private: limit == coroner_eventlog::MemoryLimit::Private,
    }
}

/// Sorts the records of one log into `out`; returns how many were understood.
fn read_log(log: &EventLog, out: &mut Signals) -> usize {
    let mut understood = 0;
    for e in log.events.iter().chain(log.recovered.iter()) {
        let Some(m) = interpret(e) else { continue };
        understood += 1;
        let f = &log.file;
        if let Some(p) = meaning_pool(&m) {
            out.event_pools.push(p.to_string());
        }
        if let Some(h) = hang_signal(&m) {
            out.hangs.push(h.signal(e, f));
            continue;
        }
        if let Some(sig) = death_signal(&m, e, f) {
            out.signals.push(sig);
            continue;
        }
        if let Meaning::MemoryRecycle { pool, pid, limit } = &m {
            out.recycles.push(RecycleEvent {
                time: e.time,
                pool: pool.clone(),
                pid: *pid,
                limit: *limit,
                evidence: ev_ref(f, e, label(e), said(recycle_text(*pid, *limit))),
            });
        }
        if let Meaning::RapidFailDisabled { pool } = m {
            let text = said(Fact::RapidFailDisabled { pool: pool.clone() });
            out.rapid_events.push((pool, ev_ref(f, e, label(e), text)));
        } else if let Some(t) = timeline_entry(m, e) {
            out.timeline.push(t);
        }
    }
    understood
}

/// The timeline line of a system or pool event that is not a death.
fn timeline_entry(m: Meaning, e: &Event) -> Option<TimelineEntry> {
    let (pool, kind, what) = match m {
        Meaning::PoolDisabled { pool, why } => (
            Some(pool.clone()),
            "other",
            Fact::PoolDisabled {
                pool,
                why: why.to_string(),
            },
        ),
        Meaning::LogStarted { .. } => (None, "boot", Fact::LogStarted),
        Meaning::LogStopped => (None, "shutdown", Fact::LogStopped),
        Meaning::UnexpectedShutdown {
            time_text,
            date_text,
        } => (
            None,
            "shutdown",
            Fact::UnexpectedShutdown {
                time_text,
                date_text,
            },
        ),
        Meaning::KernelPowerLoss { .. } | Meaning::BugCheck { .. } => {
            (None, "shutdown", Fact::RestartedUnclean)
        }
        Meaning::MemoryRecycle { pool, pid, limit } => {
            (Some(pool), "recycle", recycle_text(pid, limit))
        }
        Meaning::WorkerIdleShutdown { pool, pid, .. } => {
            (Some(pool), "other", Fact::IdleShutdown { pid })
        }
        _ => return None,
    };
    let text = said(Fact::EventLine {
        label: label(e),
        what: Box::new(what),
    });
    Some(TimelineEntry {
        time: Time(e.time),
        pool,
        kind,
        text,
    })
}

/// Records, damage and time span of one event log.
fn log_info(log: &EventLog, understood: usize) -> EventLogInfo {
    let times = log.events.iter().map(|e| e.time).filter(|t| *t > 0);
    EventLogInfo {
        file: log.file.clone(),
        kind: log.kind.to_string(),
        records: log.events.len(),
        recovered: log.recovered.len(),
        damaged: log.skipped_total,
        problems: log
            .skipped
            .iter()
            .take(5)
            .map(|p| format!("offset {}: {}", p.offset, p.what))
            .collect(),
        first: times.clone().min().map(Time),
        last: times.max().map(Time),
        understood,
    }
}

/// The fault record a `Report.wer` with a time gives.
fn wer_signal(w: &coroner_iis::wer::WerFile) -> Option<Signal> {
    let t = w.time?;
    Some(Signal {
        time: t,
        pid: w.pid,
        pool: None,
        process: w.app.clone(),
        exit_code: None,
        exception_code: w.exception_code,
        termination: false,
        how: said(Fact::WerFile {
            event_type: w.event_type.clone().unwrap_or_default(),
        }),
        evidence: EvidenceRef {
            time: Time(t),
            file: w.file.clone(),
            record: 0,
            what: "Report.wer".into(),
            text: Said::verbatim(format!(
                "{} {}",
                w.event_type.as_deref().unwrap_or(""),
                w.app.as_deref().unwrap_or("")
            )),
        },
    })
}

fn ev_ref(file: &Path, e: &Event, what: String, text: Said) -> EvidenceRef {
    EvidenceRef {
        time: Time(e.time),
        file: file.to_path_buf(),
        record: e.record_id,
        what,
        text,
    }
}

fn label(e: &Event) -> String {
    let src = e.source.trim();
    let short = src
        .strip_prefix("Microsoft-Windows-IIS-")
        .or_else(|| src.strip_prefix("Microsoft-Windows-"))
        .unwrap_or(src);
    format!("{short} {}", e.event_id)
}

/// The pool an event names, if any.
fn meaning_pool(m: &Meaning) -> Option<&str> {
    match m {
        Meaning::WorkerCrashed { pool, .. }
        | Meaning::WorkerCommFailure { pool, .. }
        | Meaning::WorkerPingFailed { pool, .. }
        | Meaning::WorkerShutdownTimeout { pool, .. }
        | Meaning::WorkerStartupTimeout { pool, .. }
        | Meaning::WorkerOrphaned { pool, .. }
        | Meaning::RapidFailDisabled { pool }
        | Meaning::PoolDisabled { pool, .. }
        | Meaning::WorkerIdleShutdown { pool, .. }
        | Meaning::MemoryRecycle { pool, .. } => Some(pool.as_str()).filter(|p| !p.is_empty()),
        _ => None,
    }
}

/// The facts of a death an event gives, before the event itself is attached.
struct Death {
    pool: Option<String>,
    pid: Option<u32>,
    process: Option<String>,
    exit_code: Option<u32>,
    exception_code: Option<u32>,
    termination: bool,
    how: Fact,
}

impl Death {
    /// A W3SVC/WAS termination of a `w3wp.exe` worker of `pool`.
    fn worker(pool: &str, pid: Option<u32>, exit_code: Option<u32>, how: Fact) -> Death {
        Death {
            pool: Some(pool.to_string()),
            pid,
            process: Some("w3wp.exe".to_string()),
            exit_code,
            exception_code: None,
            termination: true,
            how,
        }
    }

    /// A record that is not a W3SVC/WAS termination.
    fn other(pid: Option<u32>, process: Option<String>, termination: bool, how: Fact) -> Death {
        Death {
            pool: None,
            pid,
            process,
            exit_code: None,
            exception_code: None,
            termination,
            how,
        }
    }

    fn signal(self, e: &Event, f: &Path) -> Signal {
        let how = said(self.how);
        Signal {
            time: e.time,
            pid: self.pid,
            pool: self.pool,
            process: self.process,
            exit_code: self.exit_code,
            exception_code: self.exception_code,
            termination: self.termination,
            evidence: ev_ref(f, e, label(e), how.clone()),
            how,
        }
    }
}

/// The evidence of a death an event gives: termination events (W3SVC 1009/1011/1012, WAS
/// 5009/5011/5012, Application Hang 1002, Service Control Manager) and fault records
/// (Application Error 1000, WER 1001, .NET Runtime 1026). Only 1009/5009 carry an exit code;
/// Application Error carries the exception code, a different fact.
fn death_signal(m: &Meaning, e: &Event, f: &Path) -> Option<Signal> {
    worker_death(m)
        .or_else(|| other_death(m))
        .map(|d| d.signal(e, f))
}

/// A worker that stopped answering: W3SVC 1010 / WAS 5010 (ping), 1013 / 5013 (shutdown time
/// limit), 1015 / 5015 (orphaned). Not a death: a hang of the pool, counted apart.
fn hang_signal(m: &Meaning) -> Option<Death> {
    Some(match m {
        Meaning::WorkerPingFailed { pool, pid } => {
            Death::worker(pool, *pid, None, Fact::PingFailed)
        }
        Meaning::WorkerShutdownTimeout { pool, pid } => {
            Death::worker(pool, *pid, None, Fact::ShutdownLimit)
        }
        Meaning::WorkerOrphaned { pool, .. } => Death::worker(pool, None, None, Fact::Orphaned),
        // A program that stopped answering and was closed: a hang of that process (of its
        // pool, when another record of its PID names one; see `hangs::place`).
        Meaning::AppHang { app, pid, .. } => {
            Death::other(*pid, Some(app.clone()), true, Fact::AppHang)
        }
        _ => return None,
    })
}

/// W3SVC 1009/1011/1012 / WAS 5009/5011/5012.
fn worker_death(m: &Meaning) -> Option<Death> {
    Some(match m {
        Meaning::WorkerCrashed {
            pool,
            pid,
            exit_code,
        } => Death::worker(
            pool,
            *pid,
            *exit_code,
            Fact::WorkerCrashed {
                exit_code: exit_code.map(code),
            },
        ),
        Meaning::WorkerCommFailure { pool, pid, error } => Death::worker(
            pool,
            *pid,
            None,
            Fact::CommFailure {
                error: error.map(code),
            },
        ),
        Meaning::WorkerStartupTimeout { pool, pid } => {
            Death::worker(pool, *pid, None, Fact::StartupTimeout)
        }
        _ => return None,
    })
}

/// Application Error, WER, .NET Runtime, Application Hang, Service Control Manager.
fn other_death(m: &Meaning) -> Option<Death> {
    Some(match m {
        Meaning::ApplicationError(a) => {
            let how = Fact::ApplicationError {
                app: a.app.clone(),
                module: a.module.clone(),
                exception: a.exception_code.map(code),
                offset: a.offset,
            };
            Death {
                exception_code: a.exception_code,
                ..Death::other(a.pid, Some(a.app.clone()), false, how)
            }
        }
        Meaning::WerReport(w) => Death::other(
            None,
            w.p.first().filter(|s| !s.is_empty()).cloned(),
            false,
            Fact::WerReport {
                event_name: w.event_name.clone(),
                bucket: w.bucket.clone(),
            },
        ),
        Meaning::DotNetUnhandled { app, exception, .. } => Death::other(
            None,
            app.clone(),
            false,
            Fact::DotNetUnhandled {
                exception: exception.clone(),
            },
        ),
        Meaning::ServiceCrashed { service, count, .. } => Death::other(
            None,
            Some(format!("service {service}")),
            true,
            Fact::ServiceCrashed { count: *count },
        ),
        _ => return None,
    })
}
