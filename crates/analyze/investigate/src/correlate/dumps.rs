//! The dumps: what correlation needs of each (its facts), and what the report lists of each
//! (stage 7, [`DumpInfo`]).

use crate::evidence::{Evidence, LoadedDump};
use crate::model::{CrashRef, DumpInfo, EventLogInfo, Fact, Said, TimelineEntry};
use crate::time::{code, Time};
use coroner_incident::file_name;
use coroner_report::phrase::investigate::said::said;
use std::collections::BTreeMap;

/// The facts of every dump, in the order of the evidence.
pub(super) fn facts(ev: &Evidence, time_zone: &crate::model::TimeZone) -> Vec<DumpFacts> {
    ev.dumps
        .iter()
        .map(|d| dump_facts_of(d, time_zone.bias_minutes, &time_zone.utc_offset))
        .collect()
}

/// Which crash or hang each dump was tied to (by index).
#[derive(Clone, Copy)]
pub(super) struct Links<'a> {
    pub crash: &'a BTreeMap<usize, CrashRef>,
    pub hang: &'a BTreeMap<usize, CrashRef>,
}

/// What the report lists of every dump; a dump that could not be analysed adds a warning.
pub(super) fn infos(
    ev: &Evidence,
    facts: &[DumpFacts],
    links: Links,
    event_logs: &[EventLogInfo],
    warnings: &mut Vec<Said>,
) -> Vec<DumpInfo> {
    let coverage = log_coverage(event_logs);
    let dumps: Vec<DumpInfo> = ev
        .dumps
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut info = dump_info(d, &facts[i], links.crash.get(&i).cloned(), coverage);
            if let Some(h) = links.hang.get(&i) {
                info.not_a_crash = Some(said(hang_note(h)));
                info.hang = Some(h.clone());
            }
            info
        })
        .collect();
    for d in &dumps {
        if let Some(e) = &d.error {
            warnings.push(said(Fact::DumpNotAnalysed {
                file: d.file.display().to_string(),
                error: e.clone(),
                failure: d.failure.clone(),
            }));
        }
    }
    dumps
}

/// What correlation needs of one dump.
pub(super) struct DumpFacts {
    pub pid: Option<u32>,
    pub time: Option<i64>,
    pub time_source: Option<Said>,
    pub process: Option<String>,
    pub pool: Option<String>,
    pub exception: Option<u32>,
    pub capture: crate::capture::Capture,
}

/// Pid, time, process, pool and capture kind of one dump; file-name times are local and
/// shifted by `bias` (minutes, UTC − local).
fn dump_facts_of(d: &LoadedDump, bias: i32, utc_offset: &str) -> DumpFacts {
    let a = d.analysis.as_ref().ok();
    let n = d.name.as_ref();
    let header = a.and_then(|a| a.process.dump_time).map(|t| t as i64);
    let (time, time_source) = match (header, n.and_then(|n| n.local_time)) {
        (Some(t), _) => (Some(t), Some(said(Fact::DumpHeaderTime))),
        (None, Some(l)) => (
            Some(l + i64::from(bias) * 60),
            Some(said(Fact::FileNameTime {
                scheme: n.map(|n| n.scheme).unwrap_or("").to_string(),
                offset: utc_offset.to_string(),
            })),
        ),
        _ => (None, None),
    };
    let content = a.map(|a| crate::capture::Content::of(a));
    DumpFacts {
        pid: a.and_then(|a| a.process.pid).or(n.and_then(|n| n.pid)),
        time,
        time_source,
        process: a
            .and_then(|a| a.process.name.clone())
            .or(n.and_then(|n| n.process.clone())),
        pool: a
            .and_then(|a| a.process.app_pool.clone())
            .or(n.and_then(|n| n.app_pool.clone())),
        exception: a.and_then(|a| a.exception.as_ref()).map(|e| e.code),
        capture: crate::capture::classify(n, content.as_ref()),
    }
}

/// First and last record time over all event logs.
fn log_coverage(infos: &[EventLogInfo]) -> Option<(i64, i64)> {
    let first = infos.iter().filter_map(|l| l.first).min()?;
    let last = infos.iter().filter_map(|l| l.last).max()?;
    Some((first.0, last.0))
}

/// Why a dump that is not a crash by itself was not tied to one.
pub(super) fn not_a_crash_note(t: Option<i64>, coverage: Option<(i64, i64)>) -> Fact {
    let Some((a, b)) = coverage else {
        return Fact::NoEventLogs;
    };
    Fact::NoTermination {
        from: Time(a),
        to: Time(b),
        after: match t {
            Some(t) if t > b => Some(true),
            Some(t) if t < a => Some(false),
            _ => None,
        },
    }
}

fn dump_info(
    d: &LoadedDump,
    f: &DumpFacts,
    crash: Option<CrashRef>,
    coverage: Option<(i64, i64)>,
) -> DumpInfo {
    let a = d.analysis.as_ref().ok();
    let counts = f.capture.crash || crash.is_some();
    DumpInfo {
        file: d.path.clone(),
        pid: f.pid,
        process: f.process.clone(),
        app_pool: f.pool.clone(),
        time: f.time.map(Time),
        time_source: f.time_source.clone(),
        exception: a
            .and_then(|a| a.exception.as_ref())
            .map(|e| format!("{} ({})", code(e.code), e.name)),
        bucket: a.and_then(|a| a.bucket.clone()),
        verdict: a
            .and_then(|a| coroner_report::phrase::verdict(a, coroner_report::phrase::Lang::En)),
        crash,
        hang: None,
        capture: said(Fact::Capture(f.capture.kind)),
        capture_from: said(f.capture.from.clone()),
        counts_as_crash: counts,
        not_a_crash: (!counts && a.is_some()).then(|| said(not_a_crash_note(f.time, coverage))),
        detail: a
            .map(|a| coroner_report::phrase::summary(a, coroner_report::phrase::Lang::En))
            .unwrap_or_default(),
        error: d.analysis.as_ref().err().map(|e| e.to_string()),
        failure: d.analysis.as_ref().err().map(|e| e.failure()),
        analysis: d
            .analysis
            .as_ref()
            .ok()
            .map(|a| crate::model::Quoted(a.clone())),
    }
}

/// Why a hang dump is not a crash: the hang it was matched to.
fn hang_note(h: &CrashRef) -> Fact {
    Fact::HangDump {
        pool: h.pool.clone(),
        time: h.time,
    }
}

/// The timeline line of a dump that is not a crash (kind `dump`).
pub(super) fn live_dump_entry(d: &DumpInfo) -> Option<TimelineEntry> {
    let note = d.not_a_crash.as_ref()?;
    Some(TimelineEntry {
        time: d.time?,
        pool: d.app_pool.clone(),
        kind: "dump",
        text: said(Fact::LiveDumpLine {
            who: d.app_pool.clone().or(d.process.clone()),
            pid: d.pid,
            capture: match &d.capture.fact {
                Fact::Capture(k) => *k,
                _ => crate::model::CaptureKind::Exception,
            },
            file: file_name(&d.file),
            why: Box::new(note.fact.clone()),
        }),
    })
}
