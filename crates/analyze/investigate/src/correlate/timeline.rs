//! Stage 8: the timeline — the events' own lines, then each pool's crashes, rapid-fail
//! episodes and outage window, then the dumps that are not crashes, by time.

use super::dumps::live_dump_entry;
use crate::model::{DumpInfo, Pool, TimelineEntry};
use crate::time;
use coroner_incident::file_name;
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

fn entry(p: &Pool, time: time::Time, kind: &'static str, text: String) -> TimelineEntry {
    TimelineEntry {
        time,
        pool: Some(p.name.clone()),
        kind,
        text,
    }
}

fn crash_entry(p: &Pool, c: &crate::model::Crash) -> TimelineEntry {
    let mut text = format!(
        "{} crash: {}{}",
        p.name,
        c.process.as_deref().unwrap_or("process"),
        c.pid.map(|x| format!(" pid {x}")).unwrap_or_default()
    );
    if let Some(x) = &c.exit_code {
        text.push_str(&format!(", exit code {x}"));
    }
    if let Some(x) = &c.exception_code {
        text.push_str(&format!(", exception {x}"));
    }
    if let Some(d) = &c.dump {
        text.push_str(&format!(", dump {}", file_name(d)));
    }
    entry(p, c.time, "crash", text)
}

fn hang_entry(p: &Pool, h: &crate::model::Hang) -> TimelineEntry {
    let mut text = format!(
        "{} hang: w3wp.exe{} {}",
        p.name,
        h.pid.map(|x| format!(" pid {x}")).unwrap_or_default(),
        h.how.join("; ")
    );
    for d in &h.dumps {
        text.push_str(&format!(", hang dump {}", file_name(d)));
    }
    entry(p, h.time, "hang", text)
}

fn rapid_fail_entries(p: &Pool, r: &crate::model::RapidFail) -> Vec<TimelineEntry> {
    let mut out = vec![entry(
        p,
        r.disabled_at,
        "rapid_fail",
        format!(
            "{}: rapid-fail protection {} the pool after {} failures",
            p.name,
            if r.detected == "event" {
                "disabled"
            } else {
                "would have disabled (predicted)"
            },
            r.failures
        ),
    )];
    if let Some(t) = r.restored_at {
        out.push(entry(
            p,
            t,
            "restored",
            format!(
                "{}: serving again after {}",
                p.name,
                time::duration(r.duration_seconds.unwrap_or(0))
            ),
        ));
    }
    out
}

fn outage_entries(p: &Pool) -> Vec<TimelineEntry> {
    let (Some(f), Some(l)) = (p.outage.first, p.outage.last) else {
        return Vec::new();
    };
    vec![
        entry(
            p,
            f,
            "outage_start",
            format!("{}: first 503 response", p.name),
        ),
        entry(
            p,
            l,
            "outage_end",
            format!(
                "{}: last 503 response ({} in all)",
                p.name, p.outage.http_503
            ),
        ),
    ]
}
