//! The verdict: DebugDiag-style Error / Warning / Information rows, each a typed
//! [`VerdictKind`] with the facts it rests on, decided here from the investigation and worded by
//! `coroner_report::phrase::investigate::verdict` (English for the JSON document; the renderers
//! word them in the report's language).

use crate::model::*;
use crate::time;
use coroner_incident::file_name;
use coroner_report::phrase::investigate::verdict::row;
use std::collections::BTreeMap;

/// The rows, most important first.
pub fn rows(inv: &Investigation) -> Vec<VerdictRow> {
    let mut rows = Vec::new();
    for p in inv.pools.iter().filter(|p| !p.crashes.is_empty()) {
        rows.push(crash_row(inv, p));
        rows.extend(p.rapid_fail.iter().map(|r| rapid_fail_row(inv, p, r)));
        rows.extend(in_flight_row(inv, p));
        rows.extend(failed_requests_row(inv, p));
    }
    rows.extend(
        inv.pools
            .iter()
            .filter(|p| !p.hangs.is_empty())
            .map(|p| hang_row(inv, p)),
    );
    rows.extend(
        inv.pools
            .iter()
            .filter(|p| {
                let m = &p.memory;
                !m.recycles.is_empty() || !m.out_of_memory_crashes.is_empty() || m.growth.is_some()
            })
            .map(|p| memory_row(inv, p)),
    );
    rows.extend(
        inv.pools
            .iter()
            .filter(|p| p.crashes.is_empty() && p.hangs.is_empty() && p.outage.http_503 > 0)
            .map(|p| outage_row(inv, p)),
    );
    rows.extend(inv.groups.iter().filter_map(|g| group_row(inv, g)));
    rows.extend(live_dumps_row(inv));
    rows.extend(unmatched_row(inv));
    rows.extend(apart_in_time_rows(inv));
    evidence_rows(inv, &mut rows);
    rows.sort_by_key(|r| r.level);
    rows
}

/// The cause the dumps of a pool's crashes share: the most frequent bucket, when a group has it.
fn shared_cause(inv: &Investigation, p: &Pool) -> Option<SharedCause> {
    let mut buckets: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &p.crashes {
        if let Some(b) = &c.bucket {
            *buckets.entry(b.as_str()).or_default() += 1;
        }
    }
    let (b, k) = buckets.iter().max_by_key(|(_, k)| **k)?;
    let g = inv.groups.iter().find(|g| g.bucket == *b)?;
    Some(SharedCause {
        bucket: b.to_string(),
        dumps: *k,
        verdict: g.verdict.clone(),
        who_to_call: g.who_to_call.clone(),
        recommendation: g.recommendation.clone(),
        analysis: g.analysis.clone(),
    })
}

/// The crashes of a pool, their dumps and the root cause the dumps share.
fn crash_row(inv: &Investigation, p: &Pool) -> VerdictRow {
    let n = p.crashes.len();
    let kind = VerdictKind::Crashes {
        pool: p.name.clone(),
        app_pool: p.kind == "application pool",
        process: p.crashes[0]
            .process
            .clone()
            .unwrap_or_else(|| "w3wp.exe".into()),
        crashes: n,
        first: p.crashes[0].time,
        last: p.crashes[n - 1].time,
        pids: p.crashes.iter().filter_map(|c| c.pid).collect(),
        with_dump: p.crashes.iter().filter(|c| c.dump.is_some()).count(),
        cause: shared_cause(inv, p),
    };
    row(Level::Error, kind, inv)
}

/// The times a pool stopped answering, how long requests waited, and the cause its hang dumps
/// share.
fn hang_row(inv: &Investigation, p: &Pool) -> VerdictRow {
    let mut hows: Vec<Said> = Vec::new();
    for h in p.hangs.iter().flat_map(|h| h.how.iter()) {
        if !hows.contains(h) {
            hows.push(h.clone());
        }
    }
    let kind = VerdictKind::Hangs {
        pool: p.name.clone(),
        hangs: p.hangs.len(),
        with_dump: p.hangs.iter().filter(|h| !h.dumps.is_empty()).count(),
        dumps: p.hangs.iter().map(|h| h.dumps.len()).sum(),
        hows,
        recommendation: p
            .hang_cause
            .as_ref()
            .filter(|c| !c.recommendation.is_empty())
            .map(|c| c.recommendation.clone()),
        analysis: p.hang_cause.as_ref().and_then(|c| c.analysis.clone()),
    };
    row(Level::Error, kind, inv)
}

/// A rapid-fail episode, recorded or predicted, and the outage it caused.
fn rapid_fail_row(inv: &Investigation, p: &Pool, r: &RapidFail) -> VerdictRow {
    let by_event = r.detected == "event";
    let kind = VerdictKind::RapidFail {
        pool: p.name.clone(),
        by_event,
        disabled_at: r.disabled_at,
        failures: r.failures,
        max_crashes: p.threshold.max_crashes,
        interval_seconds: p.threshold.interval_seconds,
        threshold_source: p.threshold.source.clone(),
        restored: r.restored_at.zip(r.duration_seconds),
        restored_how: r.restored_how.clone(),
        http_503: r.http_503,
        reasons: p
            .outage
            .by_reason
            .iter()
            .filter(|(k, _)| !k.starts_with("Connection"))
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
    };
    let level = if by_event {
        Level::Error
    } else {
        Level::Warning
    };
    row(level, kind, inv)
}

/// `METHOD URL` of a request in flight.
fn request_key(i: &InFlight) -> String {
    format!(
        "{} {}",
        i.method.as_deref().unwrap_or("?"),
        i.url.as_deref().unwrap_or("?")
    )
}

/// The requests in flight when the pool's workers died.
fn in_flight_row(inv: &Investigation, p: &Pool) -> Option<VerdictRow> {
    if p.in_flight.is_empty() {
        return None;
    }
    let mut by_url: BTreeMap<String, usize> = BTreeMap::new();
    for i in &p.in_flight {
        *by_url.entry(request_key(i)).or_default() += 1;
    }
    let mut urls: Vec<(String, usize)> = by_url.into_iter().collect();
    urls.sort_by_key(|(u, k)| (std::cmp::Reverse(*k), u.clone()));
    let at = |c: &Crash, top: Option<&str>| {
        p.in_flight
            .iter()
            .any(|i| i.crash_time == Some(c.time) && top.is_none_or(|t| request_key(i) == t))
    };
    let top = urls[0].0.clone();
    let kind = VerdictKind::InFlight {
        pool: p.name.clone(),
        requests: p.in_flight.len(),
        crashes: p.crashes.len(),
        crashes_with_one: p.crashes.iter().filter(|c| at(c, None)).count(),
        top_at: p.crashes.iter().filter(|c| at(c, Some(&top))).count(),
        urls,
    };
    Some(row(Level::Warning, kind, inv))
}

/// Requests that ended with a broken connection.
fn failed_requests_row(inv: &Investigation, p: &Pool) -> Option<VerdictRow> {
    let f = &p.failed_requests;
    if f.win32_64 + f.win32_1236 == 0 {
        return None;
    }
    let kind = VerdictKind::BrokenConnections {
        pool: p.name.clone(),
        win32_64: f.win32_64,
        win32_1236: f.win32_1236,
    };
    Some(row(Level::Information, kind, inv))
}

/// A pool's memory: recycles on its limits, out-of-memory crashes, a worker's growth; an error
/// when the pool's workers died of it.
fn memory_row(inv: &Investigation, p: &Pool) -> VerdictRow {
    let latest = p
        .memory
        .series
        .last()
        .and_then(|s| Some((file_name(&s.file), s.finding?)));
    let kind = VerdictKind::Memory {
        pool: p.name.clone(),
        latest,
    };
    let level = if p.memory.out_of_memory_crashes.is_empty() {
        Level::Warning
    } else {
        Level::Error
    };
    row(level, kind, inv)
}

/// A pool with an outage but no crash.
fn outage_row(inv: &Investigation, p: &Pool) -> VerdictRow {
    let kind = VerdictKind::Outage {
        pool: p.name.clone(),
        http_503: p.outage.http_503,
        first: p.outage.first,
        last: p.outage.last,
        reasons: p
            .outage
            .by_reason
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
    };
    row(Level::Warning, kind, inv)
}

/// A dump group not tied to any crash row.
fn group_row(inv: &Investigation, g: &GroupInfo) -> Option<VerdictRow> {
    let covered = inv.pools.iter().any(|p| {
        p.crashes
            .iter()
            .any(|c| c.bucket.as_deref() == Some(g.bucket.as_str()))
    });
    if covered {
        return None;
    }
    let kind = VerdictKind::Group {
        dumps: g.dumps.len(),
        bucket: g.bucket.clone(),
        verdict: g.verdict.clone(),
        recommendation: g.recommendation.clone(),
        analysis: g.analysis.clone(),
    };
    Some(row(Level::Warning, kind, inv))
}

/// Dumps with an exception that could not be placed among the events.
fn unmatched_row(inv: &Investigation) -> Option<VerdictRow> {
    let files: Vec<String> = inv
        .dumps
        .iter()
        .filter(|d| d.crash.is_none() && d.error.is_none() && d.not_a_crash.is_none())
        .map(|d| file_name(&d.file))
        .collect();
    if files.is_empty() {
        return None;
    }
    Some(row(
        Level::Information,
        VerdictKind::Unmatched { files },
        inv,
    ))
}

/// The time zone used and the evidence read.
fn evidence_rows(inv: &Investigation, rows: &mut Vec<VerdictRow>) {
    let tz = VerdictKind::TimeZone {
        utc_offset: inv.time_zone.utc_offset.clone(),
        source: inv.time_zone.source.clone(),
    };
    rows.push(row(Level::Information, tz, inv));
    let read = VerdictKind::Evidence {
        dumps: inv.dumps.len(),
        event_logs: inv.event_logs.len(),
        records: inv.event_logs.iter().map(|l| l.records).sum(),
        web_logs: inv.web_logs.len(),
        requests: inv.web_logs.iter().map(|l| l.requests).sum(),
        configs: inv.configs.len(),
        wer_reports: inv.wer_reports.len(),
        skipped: inv.skipped.len(),
    };
    rows.push(row(Level::Information, read, inv));
}

/// Dumps that are not crashes (manual, hang, first-chance dumps of live processes).
fn live_dumps_row(inv: &Investigation) -> Option<VerdictRow> {
    let dumps: Vec<LiveDump> = inv
        .dumps
        .iter()
        .filter_map(|d| {
            Some(LiveDump {
                why: d.not_a_crash.clone()?,
                file: file_name(&d.file),
                capture: d.capture.clone(),
                pool: d.app_pool.clone(),
                pid: d.pid,
            })
        })
        .collect();
    if dumps.is_empty() {
        return None;
    }
    Some(row(
        Level::Information,
        VerdictKind::LiveDumps { dumps },
        inv,
    ))
}

/// How far (seconds) dumps or web logs may lie outside the event logs' span and still be taken
/// for evidence of the same time: a day.
const TIME_SLACK: i64 = 86_400;

/// Dumps, or web logs, none of which comes within a day of the span the event logs cover: they
/// are likely of another incident (or machine), and the logs' time-zone offset may not apply.
fn apart_in_time_rows(inv: &Investigation) -> Vec<VerdictRow> {
    let Some(logs) = hull(inv.event_logs.iter().map(|l| (l.first, l.last))) else {
        return Vec::new();
    };
    let dumps: Vec<(i64, i64)> = inv
        .dumps
        .iter()
        .filter_map(|d| d.time)
        .map(|t| (t.0, t.0))
        .collect();
    let web: Vec<(i64, i64)> = inv
        .web_logs
        .iter()
        .filter_map(|l| Some((l.first?.0, l.last?.0)))
        .collect();
    [((false, dumps.len()), dumps), ((true, web.len()), web)]
        .into_iter()
        .filter(|(_, spans)| !spans.is_empty() && spans.iter().all(|s| apart(logs, *s)))
        .map(|(what, spans)| apart_row(inv, logs, what, hull_of(&spans)))
        .collect()
}

/// The span from the earliest start to the latest end; `None` when no item has both.
fn hull(
    items: impl Iterator<Item = (Option<time::Time>, Option<time::Time>)>,
) -> Option<(i64, i64)> {
    let spans: Vec<(i64, i64)> = items.filter_map(|(a, b)| Some((a?.0, b?.0))).collect();
    (!spans.is_empty()).then(|| hull_of(&spans))
}

fn hull_of(spans: &[(i64, i64)]) -> (i64, i64) {
    let first = spans.iter().map(|s| s.0).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.1).max().unwrap_or(0);
    (first, last)
}

/// Whether `span` stays more than [`TIME_SLACK`] away from `logs`.
fn apart(logs: (i64, i64), span: (i64, i64)) -> bool {
    span.1 < logs.0 - TIME_SLACK || span.0 > logs.1 + TIME_SLACK
}

/// The warning that the dumps (`web_logs` false) or web logs lie at `span`, apart from the
/// event logs' `logs`.
fn apart_row(
    inv: &Investigation,
    logs: (i64, i64),
    (web_logs, count): (bool, usize),
    span: (i64, i64),
) -> VerdictRow {
    let tz = &inv.time_zone;
    let kind = VerdictKind::ApartInTime {
        logs: (time::Time(logs.0), time::Time(logs.1)),
        web_logs,
        count,
        span: (time::Time(span.0), time::Time(span.1)),
        offset_from_events: matches!(tz.source.fact, Fact::ZoneFromEvent { .. })
            .then(|| tz.utc_offset.clone()),
    };
    row(Level::Warning, kind, inv)
}
