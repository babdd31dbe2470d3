//! Stage 8: the timeline — the events' own lines, then each pool's crashes, rapid-fail
//! episodes and outage window, then the dumps that are not crashes, by time.

use super::dumps::live_dump_entry;
use crate::model::{DumpInfo, Fact, Pool, TimelineEntry};
use crate::time;
use coroner_incident::file_name;
use coroner_report::phrase::investigate::said::said;
use std::collections::BTreeMap;

/// Every line, sorted by time (stable: equal times keep this order).
pub(super) fn timeline(
    mut events: Vec<TimelineEntry>,
    pools: &BTreeMap<String, Pool>,
    dumps: &[DumpInfo],
) -> Vec<TimelineEntry> {
    for p in pools.values() {
        events.extend(p.crashes.iter().map(|c| crash_entry(p, c)));
        events.extend(p.hangs.iter().map(|h| hang_entry(p, h)));
        for r in &p.rapid_fail {
            events.extend(rapid_fail_entries(p, r));
        }
        events.extend(outage_entries(p));
    }
    events.extend(dumps.iter().filter_map(live_dump_entry));
    events.sort_by_key(|t| t.time);
    events
}

fn entry(p: &Pool, time: time::Time, kind: &'static str, fact: Fact) -> TimelineEntry {
    TimelineEntry {
        time,
        pool: Some(p.name.clone()),
        kind,
        text: said(fact),
    }
}

fn crash_entry(p: &Pool, c: &crate::model::Crash) -> TimelineEntry {
    let fact = Fact::CrashLine {
        pool: p.name.clone(),
        process: c.process.clone(),
        pid: c.pid,
        exit_code: c.exit_code.clone(),
        exception: c.exception_code.clone(),
        dump: c.dump.as_deref().map(file_name),
    };
    entry(p, c.time, "crash", fact)
}

fn hang_entry(p: &Pool, h: &crate::model::Hang) -> TimelineEntry {
    let process = match p.kind {
        "process" => p.name.clone(),
        _ => "w3wp.exe".to_string(),
    };
    let fact = Fact::HangLine {
        pool: p.name.clone(),
        process,
        pid: h.pid,
        hows: h.how.iter().map(|x| x.fact.clone()).collect(),
        dumps: h.dumps.iter().map(|d| file_name(d)).collect(),
    };
    entry(p, h.time, "hang", fact)
}

fn rapid_fail_entries(p: &Pool, r: &crate::model::RapidFail) -> Vec<TimelineEntry> {
    let pool = p.name.clone();
    let fact = Fact::RapidFailLine {
        pool: pool.clone(),
        by_event: r.detected == "event",
        failures: r.failures,
    };
    let mut out = vec![entry(p, r.disabled_at, "rapid_fail", fact)];
    if let Some(t) = r.restored_at {
        let after_seconds = r.duration_seconds.unwrap_or(0);
        let fact = Fact::RestoredLine {
            pool,
            after_seconds,
        };
        out.push(entry(p, t, "restored", fact));
    }
    out
}

fn outage_entries(p: &Pool) -> Vec<TimelineEntry> {
    let (Some(f), Some(l)) = (p.outage.first, p.outage.last) else {
        return Vec::new();
    };
    let pool = p.name.clone();
    let http_503 = p.outage.http_503;
    vec![
        entry(
            p,
            f,
            "outage_start",
            Fact::OutageStart { pool: pool.clone() },
        ),
        entry(p, l, "outage_end", Fact::OutageEnd { pool, http_503 }),
    ]
}
