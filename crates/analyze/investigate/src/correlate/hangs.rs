//! Stage 4b: hangs — the events of a worker that stopped answering (W3SVC 1010/1013/1015, WAS
//! 5010/5013/5015) merged per process, each pool's hangs beside its crashes, and the hang
//! dumps (dumps that are not crashes by themselves) matched to them by PID and time.

use super::dumps::DumpFacts;
use super::pools::Pools;
use super::signals::Signal;
use super::PID_WINDOW;
use crate::evidence::Evidence;
use crate::model::{CrashRef, EvidenceRef, Fact, Hang, HangCause, RequestWaits, Said};
use crate::time::Time;
use coroner_analysis::Analysis;
use coroner_iis::poolname;
use std::collections::BTreeMap;

/// One hang while it is being built.
#[derive(Clone, Debug)]
pub(super) struct HangBuild {
    pub time: i64,
    pub pid: Option<u32>,
    pub pool: String,
    /// Whether `pool` is an application pool (else the process's name: a hang no record of
    /// its PID ties to a pool).
    pub app_pool: bool,
    pub how: Vec<Said>,
    pub evidence: Vec<EvidenceRef>,
    /// Indexes of the matched dumps, by time.
    pub dumps: Vec<usize>,
}

/// Gives each hang event that names no pool (Application Hang 1002) the pool of its PID:
/// from a death or hang event of that PID within [`PID_WINDOW`], else from a dump of it.
pub(super) fn place(hangs: &mut [Signal], deaths: &[Signal], facts: &[DumpFacts]) {
    let named: Vec<(u32, i64, String)> = deaths
        .iter()
        .chain(hangs.iter())
        .filter_map(|s| Some((s.pid?, s.time, s.pool.clone()?)))
        .collect();
    for h in hangs.iter_mut().filter(|h| h.pool.is_none()) {
        let Some(pid) = h.pid else { continue };
        let by_event = named
            .iter()
            .filter(|(p, t, _)| *p == pid && (t - h.time).abs() <= PID_WINDOW)
            .min_by_key(|(_, t, _)| (t - h.time).abs())
            .map(|(_, _, pool)| pool.clone());
        let by_dump = || {
            facts
                .iter()
                .filter(|f| f.pid == Some(pid))
                .find_map(|f| f.pool.clone())
        };
        h.pool = by_event.or_else(by_dump);
    }
}

/// Merges the hang events (sorted by time) per pool and process: an event joins the hang of
/// the same pool and PID within [`PID_WINDOW`]; an event without a PID (the orphan event)
/// joins the nearest hang of its pool within that window.
pub(super) fn merge(signals: Vec<Signal>) -> Vec<HangBuild> {
    let mut out: Vec<HangBuild> = Vec::new();
    for s in signals {
        let (pool, app_pool) = match (&s.pool, &s.process) {
            (Some(p), _) => (p.clone(), true),
            (None, Some(p)) => (p.clone(), false),
            (None, None) => ("unknown process".to_string(), false),
        };
        let near = out
            .iter_mut()
            .filter(|h| poolname::same(&h.pool, &pool) && (s.time - h.time).abs() <= PID_WINDOW)
            .filter(|h| s.pid.is_none() || h.pid.is_none() || h.pid == s.pid)
            .min_by_key(|h| (s.time - h.time).abs());
        match near {
            Some(h) => {
                h.pid = h.pid.or(s.pid);
                if !h.how.contains(&s.how) {
                    h.how.push(s.how);
                }
                h.evidence.push(s.evidence);
            }
            None => out.push(HangBuild {
                time: s.time,
                pid: s.pid,
                pool,
                app_pool,
                how: vec![s.how],
                evidence: vec![s.evidence],
                dumps: Vec::new(),
            }),
        }
    }
    out
}

/// Ties each dump that is not a crash by itself, and not already a crash's dump, to the hang
/// of its PID nearest in time (within [`PID_WINDOW`], before or after the events: a hang rule
/// dumps before IIS gives up, an orphan action after). Returns the dump → hang map.
pub(super) fn match_dumps(
    hangs: &mut [HangBuild],
    facts: &[DumpFacts],
    taken: &BTreeMap<usize, CrashRef>,
) -> BTreeMap<usize, CrashRef> {
    let mut out = BTreeMap::new();
    for (i, f) in facts.iter().enumerate() {
        if f.capture.crash || taken.contains_key(&i) {
            continue;
        }
        let (Some(pid), Some(t)) = (f.pid, f.time) else {
            continue;
        };
        let pool_fits = |h: &HangBuild| f.pool.as_ref().is_none_or(|p| poolname::same(p, &h.pool));
        let Some(h) = hangs
            .iter_mut()
            .filter(|h| h.pid == Some(pid) && (h.time - t).abs() <= PID_WINDOW && pool_fits(h))
            .min_by_key(|h| (h.time - t).abs())
        else {
            continue;
        };
        h.dumps.push(i);
        out.insert(
            i,
            CrashRef {
                pool: h.pool.clone(),
                time: Time(h.time),
            },
        );
    }
    for h in hangs.iter_mut() {
        h.dumps.sort_by_key(|&d| facts[d].time);
    }
    out
}

/// Files each hang under its pool (made when new), and gives every pool with a matched hang
/// dump the cause those dumps share.
pub(super) fn add(pools: &mut Pools, hangs: &[HangBuild], ev: &Evidence) {
    for h in hangs {
        let name = pools.canon(&h.pool);
        let kind = if h.app_pool {
            "application pool"
        } else {
            "process"
        };
        let p = pools.entry(&name, kind);
        if h.app_pool {
            p.kind = kind;
        }
        p.hangs.push(hang_of(h, ev));
    }
    for p in pools.map.values_mut() {
        p.hangs.sort_by_key(|h| h.time);
        let dumps: Vec<usize> = hangs
            .iter()
            .filter(|h| poolname::same(&h.pool, &p.name))
            .flat_map(|h| h.dumps.iter().copied())
            .collect();
        p.hang_cause = cause(&dumps, ev);
    }
}

/// The model's hang, its waits still empty.
fn hang_of(h: &HangBuild, ev: &Evidence) -> Hang {
    let first_dump = h.dumps.iter().copied().find(|&d| ev.analysis(d).is_some());
    let first = first_dump.and_then(|d| ev.analysis(d));
    let mut evidence = h.evidence.clone();
    evidence.sort_by_key(|e| e.time);
    Hang {
        time: Time(h.time),
        pid: h.pid,
        how: h.how.clone(),
        orphaned: h.how.iter().any(|x| x.fact == Fact::Orphaned),
        dumps: h.dumps.iter().map(|&d| ev.dumps[d].path.clone()).collect(),
        bucket: first.and_then(|a| a.bucket.clone()),
        cause: first.and_then(|a| {
            a.findings.first().map(|f| {
                coroner_report::phrase::finding(a, f, coroner_report::phrase::Lang::En).title
            })
        }),
        analysis: first_dump.and_then(|d| ev.quoted(d)),
        waits: RequestWaits::empty(Time(h.time), Time(h.time)),
        evidence,
    }
}

/// The bucket most of `dumps` (analysed ones) carry — on a tie, the earliest dump's — and the
/// words of the first finding of a dump of that bucket; `None` without an analysed dump.
fn cause(dumps: &[usize], ev: &Evidence) -> Option<HangCause> {
    let done: Vec<&Analysis> = dumps.iter().filter_map(|&d| ev.analysis(d)).collect();
    let mut counts: Vec<(Option<&String>, usize)> = Vec::new();
    for a in &done {
        match counts.iter_mut().find(|(b, _)| *b == a.bucket.as_ref()) {
            Some((_, n)) => *n += 1,
            None => counts.push((a.bucket.as_ref(), 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    let (bucket, n) = counts.into_iter().find(|(_, n)| *n == best)?;
    let a = done.iter().find(|a| a.bucket.as_ref() == bucket)?;
    let quoted = dumps
        .iter()
        .copied()
        .find(|&d| ev.analysis(d).is_some_and(|x| std::ptr::eq(x, *a)))
        .and_then(|d| ev.quoted(d));
    let words = a
        .findings
        .first()
        .map(|f| coroner_report::phrase::finding(a, f, coroner_report::phrase::Lang::En));
    Some(HangCause {
        analysis: quoted,
        bucket: bucket.cloned(),
        dumps_with_bucket: n,
        dumps: done.len(),
        verdict: words
            .as_ref()
            .map(|w| w.title.clone())
            .unwrap_or_else(|| "no diagnosis".into()),
        description: words
            .as_ref()
            .map(|w| w.description.clone())
            .unwrap_or_default(),
        recommendation: words.map(|w| w.recommendation).unwrap_or_default(),
        who_to_call: a
            .blame
            .is_some()
            .then(|| coroner_report::phrase::who_to_call(a, coroner_report::phrase::Lang::En)),
    })
}
