//! Stage 3: crashes — the death records of one process merged into one crash, then each dump
//! tied to its crash (or made a crash of its own when it is one by itself).

use super::dumps::DumpFacts;
use super::signals::Signal;
use super::{NEAR_WINDOW, PID_WINDOW};
use crate::evidence::Evidence;
use crate::model::{Crash, EvidenceRef, Fact, Said};
use crate::time::{code, Time};
use coroner_iis::poolname;
use coroner_report::phrase::investigate::said::said;

/// Merges the signals (sorted by time) into crashes, ties the dumps to them, and sorts them by
/// time. A crash dump without a time adds a warning.
pub(super) fn crashes(
    signals: Vec<Signal>,
    ev: &Evidence,
    facts: &[DumpFacts],
    warnings: &mut Vec<Said>,
) -> Vec<CrashBuild> {
    let mut crashes: Vec<CrashBuild> = Vec::new();
    for s in signals {
        match best(&crashes, s.pid, &s.pool, &s.process, s.time, |_| false) {
            Some(i) => crashes[i].absorb(s),
            None => crashes.push(CrashBuild::from_signal(s)),
        }
    }
    attach_dumps(&mut crashes, ev, facts, warnings);
    crashes.sort_by_key(|c| c.time);
    crashes
}

#[derive(Clone, Debug)]
pub(super) struct CrashBuild {
    pub time: i64,
    pub first_event: Option<i64>,
    pub pid: Option<u32>,
    pub pool: Option<String>,
    pub process: Option<String>,
    /// Exit code and the event that gave it.
    pub exit_code: Option<(u32, String)>,
    /// Exception code and where it was read.
    pub exception_code: Option<(u32, Said)>,
    /// Earliest fault record (dump, Application Error, WER) and what it is.
    pub fault: Option<(i64, Said)>,
    /// Earliest termination event and what it is.
    pub terminated: Option<(i64, String)>,
    pub how: Vec<Said>,
    pub evidence: Vec<EvidenceRef>,
    pub dump: Option<usize>,
    /// Snapshots (hang, manual, first-chance dumps) of the process taken before it died, when
    /// `dump` is already another dump.
    pub other_dumps: Vec<usize>,
}

/// Keeps the earlier of `slot` and `(t, what)`.
fn earliest<T: Clone>(slot: &mut Option<(i64, T)>, t: i64, what: &T) {
    if slot.as_ref().is_none_or(|(s, _)| t < *s) {
        *slot = Some((t, what.clone()));
    }
}

impl CrashBuild {
    pub(super) fn from_signal(s: Signal) -> CrashBuild {
        let mut c = CrashBuild {
            time: s.time,
            first_event: None,
            pid: None,
            pool: None,
            process: None,
            exit_code: None,
            exception_code: None,
            fault: None,
            terminated: None,
            how: Vec::new(),
            evidence: Vec::new(),
            dump: None,
            other_dumps: Vec::new(),
        };
        c.absorb(s);
        c
    }

    /// Adds one more record of the same death. The exit code comes from the first event that
    /// carries one (a 1011 before the 1009 has none); fault and termination times stay apart.
    pub(super) fn absorb(&mut self, s: Signal) {
        self.pid = self.pid.or(s.pid);
        self.pool = self.pool.take().or(s.pool);
        self.process = self.process.take().or(s.process);
        let what = &s.evidence.what;
        if self.exit_code.is_none() {
            self.exit_code = s.exit_code.map(|c| (c, what.clone()));
        }
        if self.exception_code.is_none() {
            self.exception_code = s.exception_code.map(|c| (c, Said::verbatim(what.as_str())));
        }
        if s.termination {
            earliest(&mut self.terminated, s.time, what);
        } else {
            earliest(&mut self.fault, s.time, &Said::verbatim(what.as_str()));
        }
        self.time = self.time.min(s.time);
        self.first_event = Some(self.first_event.map_or(s.time, |f| f.min(s.time)));
        if !self.how.contains(&s.how) {
            self.how.push(s.how);
        }
        self.evidence.push(s.evidence);
    }
}

fn eq_opt(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => poolname::same(a, b),
        _ => true,
    }
}

/// Whether a record may describe the death `c`; `Some(pid_matched)`.
fn compatible(
    c: &CrashBuild,
    pid: Option<u32>,
    pool: &Option<String>,
    process: &Option<String>,
    t: i64,
) -> Option<bool> {
    if !eq_opt(&c.pool, pool) || !eq_opt(&c.process, process) {
        return None;
    }
    match (c.pid, pid) {
        (Some(a), Some(b)) if a != b => None,
        (Some(_), Some(_)) => ((c.time - t).abs() <= PID_WINDOW).then_some(true),
        _ => ((c.time - t).abs() <= NEAR_WINDOW).then_some(false),
    }
}

fn best(
    crashes: &[CrashBuild],
    pid: Option<u32>,
    pool: &Option<String>,
    process: &Option<String>,
    t: i64,
    skip: impl Fn(&CrashBuild) -> bool,
) -> Option<usize> {
    crashes
        .iter()
        .enumerate()
        .filter(|(_, c)| !skip(c))
        .filter_map(|(i, c)| {
            compatible(c, pid, pool, process, t).map(|m| (i, m, (c.time - t).abs()))
        })
        .min_by_key(|&(_, m, dt)| (!m, dt))
        .map(|(i, _, _)| i)
}

/// Which crash each dump belongs to. A dump that is a crash by itself ([`crate::capture`])
/// joins the compatible crash (PID within [`PID_WINDOW`], or process and time within
/// [`NEAR_WINDOW`]) or is a crash of its own; then a snapshot (manual, hang, first-chance
/// dump) joins a crash only when a death event of its PID follows it, and never moves the
/// crash's time or gives its exception.
fn attach_dumps(
    crashes: &mut Vec<CrashBuild>,
    ev: &Evidence,
    facts: &[DumpFacts],
    warnings: &mut Vec<Said>,
) {
    let mut order: Vec<usize> = (0..ev.dumps.len()).collect();
    order.sort_by_key(|&i| (!facts[i].capture.crash, facts[i].time.unwrap_or(i64::MAX)));
    for i in order {
        let f = &facts[i];
        let Some(t) = f.time else {
            if f.capture.crash {
                warnings.push(said(Fact::NoDumpTime {
                    file: ev.dumps[i].path.display().to_string(),
                }));
            }
            continue;
        };
        if !f.capture.crash {
            if let Some(ci) = followed_by_death(crashes, f.pid, t) {
                let c = &mut crashes[ci];
                if c.dump.is_none() {
                    c.dump = Some(i);
                } else {
                    c.other_dumps.push(i);
                }
                c.pool = c.pool.take().or(f.pool.clone());
                c.process = c.process.take().or(f.process.clone());
            }
            continue;
        }
        let source = f
            .time_source
            .clone()
            .unwrap_or_else(|| said(Fact::DumpSource));
        match best(crashes, f.pid, &f.pool, &f.process, t, |c| c.dump.is_some()) {
            Some(ci) => {
                let c = &mut crashes[ci];
                c.dump = Some(i);
                c.pid = c.pid.or(f.pid);
                c.pool = c.pool.take().or(f.pool.clone());
                c.process = c.process.take().or(f.process.clone());
                c.time = c.time.min(t);
                earliest(&mut c.fault, t, &source);
                if let Some(x) = f.exception {
                    c.exception_code = Some((x, said(Fact::DumpSource)));
                }
            }
            None => crashes.push(CrashBuild {
                time: t,
                first_event: None,
                pid: f.pid,
                pool: f.pool.clone(),
                process: f.process.clone(),
                exit_code: None,
                exception_code: f.exception.map(|x| (x, said(Fact::DumpSource))),
                fault: Some((t, source.clone())),
                terminated: None,
                how: vec![said(Fact::DumpOnly)],
                evidence: Vec::new(),
                dump: Some(i),
                other_dumps: Vec::new(),
            }),
        }
    }
}

/// The crash of process `pid` whose first death event comes at or after the dump's time `t`
/// (within [`PID_WINDOW`]): the process was alive when dumped and died afterwards.
fn followed_by_death(crashes: &[CrashBuild], pid: Option<u32>, t: i64) -> Option<usize> {
    let pid = pid?;
    crashes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.pid == Some(pid))
        .filter_map(|(i, c)| {
            let e = c.first_event?;
            (e >= t - 1 && e - t <= PID_WINDOW).then_some((i, e - t))
        })
        .min_by_key(|&(_, dt)| dt)
        .map(|(i, _)| i)
}

/// The model's crash: exit code only from the termination event that carries one (else
/// `None`, unknown), the exception code apart, fault and termination times apart.
pub(super) fn crash_of(
    c: &CrashBuild,
    evidence: Vec<EvidenceRef>,
    ev: &Evidence,
    facts: &[DumpFacts],
) -> Crash {
    let (exit_code, exit_code_source) = c.exit_code.clone().map(|(v, w)| (code(v), w)).unzip();
    let (exception_code, exception_code_source) =
        c.exception_code.clone().map(|(v, w)| (code(v), w)).unzip();
    let (fault_time, fault_time_source) = c.fault.clone().map(|(t, w)| (Time(t), w)).unzip();
    let (terminated_at, terminated_source) =
        c.terminated.clone().map(|(t, w)| (Time(t), w)).unzip();
    Crash {
        time: Time(c.time),
        pid: c.pid,
        process: c.process.clone(),
        exit_code,
        exit_code_source,
        exception_code,
        exception_code_source,
        fault_time,
        fault_time_source,
        terminated_at,
        terminated_source,
        how: match c.how.as_slice() {
            [one] => one.clone(),
            all => said(Fact::All(all.iter().map(|h| h.fact.clone()).collect())),
        },
        dump: c.dump.map(|d| ev.dumps[d].path.clone()),
        dump_capture: c
            .dump
            .map(|d| said(Fact::Capture(facts[d].capture.kind)).en),
        other_dumps: c
            .other_dumps
            .iter()
            .map(|&d| ev.dumps[d].path.clone())
            .collect(),
        dump_to_event_seconds: match (c.dump.and_then(|d| facts[d].time), c.first_event) {
            (Some(d), Some(e)) => Some(e - d),
            _ => None,
        },
        bucket: c.dump.and_then(|d| {
            ev.dumps[d]
                .analysis
                .as_ref()
                .ok()
                .and_then(|a| a.bucket.clone())
        }),
        evidence,
    }
}
