//! The verdict: DebugDiag-style Error / Warning / Information rows, each with a description
//! and a recommendation, computed from the investigation.

use crate::model::*;
use crate::time;
use coroner_incident::file_name;
use std::collections::BTreeMap;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The rows, most important first.
pub fn rows(inv: &Investigation) -> Vec<VerdictRow> {
    let mut rows = Vec::new();
    for p in inv.pools.iter().filter(|p| !p.crashes.is_empty()) {
        rows.push(crash_row(inv, p));
        rows.extend(p.rapid_fail.iter().map(|r| rapid_fail_row(p, r)));
        rows.extend(in_flight_row(p));
        rows.extend(failed_requests_row(p));
    }
    rows.extend(
        inv.pools
            .iter()
            .filter(|p| !p.hangs.is_empty())
            .map(hang_row),
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
            .map(outage_row),
    );
    rows.extend(inv.groups.iter().filter_map(|g| group_row(inv, g)));
    rows.extend(live_dumps_row(inv));
    rows.extend(unmatched_row(inv));
    rows.extend(apart_in_time_rows(inv));
    evidence_rows(inv, &mut rows);
    rows.sort_by_key(|r| r.level);
    rows
}

/// The crashes of a pool, their dumps and the root cause the dumps share.
fn crash_row(inv: &Investigation, p: &Pool) -> VerdictRow {
    let n = p.crashes.len();
    let first = p.crashes[0].time;
    let last = p.crashes[n - 1].time;
    let pids: Vec<String> = p
        .crashes
        .iter()
        .filter_map(|c| c.pid)
        .map(|x| x.to_string())
        .collect();
    let with_dump = p.crashes.iter().filter(|c| c.dump.is_some()).count();
    let what = if p.kind == "application pool" {
        format!("application pool '{}'", p.name)
    } else {
        p.name.clone()
    };
    let mut d = if n == 1 {
        format!("1 crash of {what} at {first} UTC")
    } else {
        format!(
            "{n} crashes of {what} between {first} and {last} UTC ({})",
            time::duration(last.0 - first.0)
        )
    };
    if !pids.is_empty() {
        let label = if pids.len() == 1 {
            "process id"
        } else {
            "process ids"
        };
        d.push_str(&format!(", {label} {}", pids.join(", ")));
    }
    d.push_str(&match (n, with_dump) {
        (1, 1) => ". A dump of it was found.".to_string(),
        (1, _) => ". No dump of it was found.".to_string(),
        (_, 0) => ". None of them has a dump.".to_string(),
        (_, k) if k == n => format!(". All {n} have a dump."),
        (_, 1) => ". 1 of them has a dump.".to_string(),
        (_, k) => format!(". {k} of them have a dump."),
    });
    // The root cause from the dumps of this pool.
    let mut buckets: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &p.crashes {
        if let Some(b) = &c.bucket {
            *buckets.entry(b.as_str()).or_default() += 1;
        }
    }
    let mut rec = String::new();
    if let Some((b, k)) = buckets.iter().max_by_key(|(_, k)| **k) {
        if let Some(g) = inv.groups.iter().find(|g| g.bucket == *b) {
            d.push_str(&format!(
                " {} the bucket {}: {}.",
                coroner_report::phrase::sharing(*k, with_dump, coroner_report::phrase::Lang::En),
                b,
                g.verdict.trim_end_matches('.')
            ));
            if let Some(w) = &g.who_to_call {
                d.push_str(&format!(" Who to call: {w}."));
            }
            rec = g.recommendation.clone();
        }
    }
    if rec.is_empty() {
        rec = if with_dump == 0 {
            format!("Capture a crash dump of the next crash (DebugDiag crash rule or `procdump -ma -e -w {}`) and run coroner on it.", p.crashes[0].process.as_deref().unwrap_or("w3wp.exe"))
        } else {
            "See the per-dump analysis below.".into()
        };
    }
    VerdictRow {
        level: Level::Error,
        description: d,
        recommendation: rec,
    }
}

/// The times a pool stopped answering, how long requests waited, and the cause its hang dumps
/// share.
fn hang_row(p: &Pool) -> VerdictRow {
    use coroner_report::investigate::facts;
    let dumps: usize = p.hangs.iter().map(|h| h.dumps.len()).sum();
    let with_dump = p.hangs.iter().filter(|h| !h.dumps.is_empty()).count();
    let mut hows: Vec<&str> = Vec::new();
    for h in p.hangs.iter().flat_map(|h| h.how.iter()) {
        if !hows.contains(&h.as_str()) {
            hows.push(h);
        }
    }
    let d = format!(
        "Application pool '{}' stopped answering {}: its worker {}. {} of {} {} a hang dump ({} in all; hang dumps are not counted as crashes). Requests around the hangs: {}. {}.",
        p.name,
        facts::hang_span(p),
        hows.join("; "),
        with_dump,
        p.hangs.len(),
        if p.hangs.len() == 1 { "hang has" } else { "hangs have" },
        dumps,
        facts::waits(&facts::pool_waits(p)),
        facts::hang_cause(p)
    );
    let rec = match &p.hang_cause {
        Some(c) if !c.recommendation.is_empty() => c.recommendation.clone(),
        _ => "Capture a hang dump of the next hang before IIS ends the worker (DebugDiag hang rule, `procdump -ma -n 3 -s 30 PID`, or the pool's orphanWorkerProcess with an orphan action) and run coroner on it.".into(),
    };
    VerdictRow {
        level: Level::Error,
        description: d,
        recommendation: rec,
    }
}

/// A pool's memory: the recycles on its memory limits and a worker's growth over its dumps.
fn memory_row(inv: &Investigation, p: &Pool) -> VerdictRow {
    let m = &p.memory;
    let mut d = String::new();
    if !m.recycles.is_empty() {
        d.push_str(&recycle_sentence(p));
    }
    if let Some(s) = series_sentence(p) {
        if !d.is_empty() {
            d.push(' ');
        }
        d.push_str(&s);
    }
    let oom = m.out_of_memory_crashes.len();
    if oom > 0 {
        let times: Vec<String> = m
            .out_of_memory_crashes
            .iter()
            .map(|t| t.to_string())
            .collect();
        if !d.is_empty() {
            d.push(' ');
        }
        d.push_str(&format!(
            "{} of application pool '{}' ran out of memory ({} UTC).",
            plural(oom, "crash", "crashes"),
            p.name,
            times.join(", ")
        ));
    }
    let mut rec = "A worker that outgrows its memory again and again is leaking; recycling hides the leak and costs the requests in flight and the sessions it holds. Find what allocates: a DebugDiag \"Memory and Handle Leak\" rule (LeakTrack) on the pool's worker, run until private bytes near the limit, or user-mode stack traces (`gflags /i w3wp.exe +ust`, then restart the pool) and two dumps some minutes apart to compare (`!heap -s`, `!heap -stat -h`); a dump alone does not show who allocated. Raise the limit only as a stop-gap.".to_string();
    if let Some(todo) = latest_memory_advice(inv, p) {
        rec = format!("{todo} {rec}");
    }
    VerdictRow {
        level: if oom > 0 {
            Level::Error
        } else {
            Level::Warning
        },
        description: d,
        recommendation: rec,
    }
}

/// `Application pool 'Reports' was recycled 2 times (04:10–04:52 UTC) because its worker reached
/// the private bytes limit of 1,200,000 KB (1.144 GB, MetaBase.xml): process ids 4410, 4520.`
fn recycle_sentence(p: &Pool) -> String {
    let m = &p.memory;
    let r = &m.recycles;
    let (first, last) = (r[0].time, r[r.len() - 1].time);
    let when = if r.len() == 1 {
        format!("at {first} UTC")
    } else {
        format!("between {first} and {last} UTC")
    };
    let mut kinds: Vec<String> = Vec::new();
    for x in r {
        let what = match (x.limit, x.limit_kb) {
            ("private", Some(kb)) => format!("the private bytes limit of {}", limit_text(kb, m)),
            ("private", None) => "its private bytes limit".to_string(),
            (_, Some(kb)) => format!("the virtual memory limit of {}", limit_text(kb, m)),
            (_, None) => "its virtual memory limit".to_string(),
        };
        if !kinds.contains(&what) {
            kinds.push(what);
        }
    }
    let pids: Vec<String> = r
        .iter()
        .filter_map(|x| x.pid)
        .map(|x| x.to_string())
        .collect();
    let mut s = format!(
        "Application pool '{}' was recycled {} {when} because its worker reached {}",
        p.name,
        plural(r.len(), "time", "times"),
        kinds.join(" or ")
    );
    if !pids.is_empty() {
        s.push_str(&format!(
            "; {} {}",
            if pids.len() == 1 {
                "process id"
            } else {
                "process ids"
            },
            pids.join(", ")
        ));
    }
    s.push('.');
    s
}

use coroner_report::investigate::memory::{size, thousands};

/// `1,228,800 KB (1.17 GB, MetaBase.xml)`.
fn limit_text(kb: u64, m: &PoolMemory) -> String {
    let from = m
        .limits_from
        .as_deref()
        .map(|f| format!(", {f}"))
        .unwrap_or_default();
    format!(
        "{} KB ({}{from})",
        thousands(kb),
        coroner_report::investigate::memory::size(kb.saturating_mul(1024))
    )
}

/// `3 dumps of worker 4630 show its private bytes grow from 650.0 MB to 1.101 GB in 40 min
/// (11.3 MB a minute): at that rate it reaches the limit about 8 min after the last dump.`
fn series_sentence(p: &Pool) -> Option<String> {
    let m = &p.memory;
    let s = &m.series;
    let first = s.first()?;
    let mut out = format!("{} dumps of worker {}", s.len(), first.pid);
    match &m.growth {
        Some(g) => {
            out.push_str(&format!(
                " show its private bytes grow from {} to {} in {} ({} a minute)",
                size(g.from_bytes),
                size(g.to_bytes),
                time::duration(g.seconds),
                size(g.bytes_per_minute)
            ));
            if let Some(t) = g.seconds_to_limit {
                out.push_str(&format!(
                    ": at that rate it reaches the private bytes limit about {} after the last dump",
                    time::duration(t)
                ));
            }
        }
        None => out.push_str(" show no growth of its private bytes"),
    }
    if first.private_from == Some("memory_info_list") {
        out.push_str(
            " (private bytes as committed private memory in the dumps' memory-info lists)",
        );
    }
    out.push('.');
    Some(out)
}

/// The analysis's own advice on the latest dump of the series, when it found a leak in it.
fn latest_memory_advice(inv: &Investigation, p: &Pool) -> Option<String> {
    let last = p.memory.series.last()?;
    last.finding.filter(|f| *f != "out_of_memory")?;
    let d = inv.dumps.iter().find(|d| d.file == last.file)?;
    let verdict = d.detail.iter().find(|(k, _)| k == "Verdict")?;
    Some(format!(
        "The latest dump ({}) says: {}.",
        file_name(&last.file),
        verdict.1.trim_end_matches('.')
    ))
}

/// A rapid-fail episode, recorded or predicted, and the outage it caused.
fn rapid_fail_row(p: &Pool, r: &RapidFail) -> VerdictRow {
    let mut d = if r.detected == "event" {
        format!(
            "Rapid-fail protection disabled application pool '{}' at {} UTC after {} in {} (threshold: {} in {}, {}).",
            p.name,
            r.disabled_at,
            plural(r.failures, "failure", "failures"),
            time::duration(p.threshold.interval_seconds),
            p.threshold.max_crashes,
            time::duration(p.threshold.interval_seconds),
            p.threshold.source
        )
    } else {
        format!(
            "Application pool '{}' crashed {} times within {} ending at {} UTC: rapid-fail protection ({} in {}, {}) disables the pool at that point, though no W3SVC 1002 / WAS 5002 event is among the inputs (predicted).",
            p.name,
            r.failures,
            time::duration(p.threshold.interval_seconds),
            r.disabled_at,
            p.threshold.max_crashes,
            time::duration(p.threshold.interval_seconds),
            p.threshold.source
        )
    };
    match (r.restored_at, r.duration_seconds) {
        (Some(t), Some(s)) => d.push_str(&format!(
            " It served again at {t} UTC: {} offline ({}).",
            time::duration(s),
            r.restored_how
        )),
        _ => d.push_str(&format!(" Restore: {}.", r.restored_how)),
    }
    if r.http_503 > 0 {
        let reasons: Vec<String> = p
            .outage
            .by_reason
            .iter()
            .filter(|(k, _)| !k.starts_with("Connection"))
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        d.push_str(&format!(
            " Meanwhile {} requests were answered 503 ({}).",
            r.http_503,
            reasons.join(", ")
        ));
    }
    VerdictRow {
        level: if r.detected == "event" { Level::Error } else { Level::Warning },
        description: d,
        recommendation: "The outage is a consequence of the crashes: fix the crash above. Until then, restart the pool as soon as it is disabled (or raise rapidFailProtectionMaxCrashes temporarily) and monitor for W3SVC 1002 / WAS 5002.".into(),
    }
}

/// The requests in flight when the pool's workers died.
fn in_flight_row(p: &Pool) -> Option<VerdictRow> {
    if p.in_flight.is_empty() {
        return None;
    }
    let mut by_url: BTreeMap<String, usize> = BTreeMap::new();
    for i in &p.in_flight {
        *by_url
            .entry(format!(
                "{} {}",
                i.method.as_deref().unwrap_or("?"),
                i.url.as_deref().unwrap_or("?")
            ))
            .or_default() += 1;
    }
    let mut urls: Vec<(String, usize)> = by_url.into_iter().collect();
    urls.sort_by_key(|(u, k)| (std::cmp::Reverse(*k), u.clone()));
    let crashes_with: usize = p
        .crashes
        .iter()
        .filter(|c| p.in_flight.iter().any(|i| i.crash_time == Some(c.time)))
        .count();
    let top = &urls[0];
    let at_every = p
        .crashes
        .iter()
        .filter(|c| {
            p.in_flight.iter().any(|i| {
                i.crash_time == Some(c.time)
                    && format!(
                        "{} {}",
                        i.method.as_deref().unwrap_or("?"),
                        i.url.as_deref().unwrap_or("?")
                    ) == top.0
            })
        })
        .count();
    let d = format!(
        "{} in flight when workers of '{}' died ({} of {} crashes had one): {}. {} was in flight at {} of {} crashes.",
        plural(p.in_flight.len(), "request was", "requests were"),
        p.name,
        crashes_with,
        p.crashes.len(),
        urls.iter().map(|(u, k)| format!("{u} ×{k}")).collect::<Vec<_>>().join(", "),
        top.0,
        at_every,
        p.crashes.len()
    );
    Some(VerdictRow {
        level: Level::Warning,
        description: d,
        recommendation: format!("The request in flight at every crash is the likely trigger: reproduce with {} on a test server with a crash-dump rule attached. These clients got no response (HTTPERR Connection_Abandoned_By_AppPool).", top.0),
    })
}

/// Requests that ended with a broken connection.
fn failed_requests_row(p: &Pool) -> Option<VerdictRow> {
    let f = &p.failed_requests;
    if f.win32_64 + f.win32_1236 == 0 {
        return None;
    }
    Some(VerdictRow {
        level: Level::Information,
        description: format!(
            "{} request(s) of '{}' ended with a broken connection (sc-win32-status 64: {}, 1236: {}).",
            f.win32_64 + f.win32_1236,
            p.name,
            f.win32_64,
            f.win32_1236
        ),
        recommendation: "Usually clients going away (status 64: the network name is no longer available; 1236: connection aborted by the local system); many at the crash times mean the crash cut them off.".into(),
    })
}

/// A pool with an outage but no crash.
fn outage_row(p: &Pool) -> VerdictRow {
    let reasons: Vec<String> = p
        .outage
        .by_reason
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    VerdictRow {
        level: Level::Warning,
        description: format!(
            "'{}' answered {} requests with 503 between {} and {} UTC ({}), with no crash among the evidence.",
            p.name,
            p.outage.http_503,
            p.outage.first.map(|t| t.to_string()).unwrap_or_default(),
            p.outage.last.map(|t| t.to_string()).unwrap_or_default(),
            reasons.join(", ")
        ),
        recommendation: "Look at the reasons: AppOffline = the pool was disabled (rapid-fail or stopped), QueueFull = requests arrived faster than the pool served them (hang or overload: take a hang dump).".into(),
    }
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
    Some(VerdictRow {
        level: Level::Warning,
        description: format!(
            "{} in bucket {}: {}.",
            plural(g.dumps.len(), "dump", "dumps"),
            g.bucket,
            g.verdict.trim_end_matches('.')
        ),
        recommendation: g.recommendation.clone(),
    })
}

/// Dumps with an exception that could not be placed among the events.
fn unmatched_row(inv: &Investigation) -> Option<VerdictRow> {
    let unmatched: Vec<&DumpInfo> = inv
        .dumps
        .iter()
        .filter(|d| d.crash.is_none() && d.error.is_none() && d.not_a_crash.is_none())
        .collect();
    if unmatched.is_empty() {
        return None;
    }
    Some(VerdictRow {
        level: Level::Information,
        description: format!(
            "{} not matched to a crash: {}.",
            plural(unmatched.len(), "dump is", "dumps are"),
            unmatched.iter().map(|d| file_name(&d.file)).collect::<Vec<_>>().join(", ")
        ),
        recommendation: "A dump with an exception but no time (in its header or file name) could not be placed among the events.".into(),
    })
}

/// The time zone used and the evidence read.
fn evidence_rows(inv: &Investigation, rows: &mut Vec<VerdictRow>) {
    rows.push(VerdictRow {
        level: Level::Information,
        description: format!(
            "Times are UTC. Local times (dump file names) were converted with {}: {}.",
            inv.time_zone.utc_offset, inv.time_zone.source
        ),
        recommendation: "Check that the web logs are in UTC (IIS W3C logs are, unless date-local/time-local fields are used).".into(),
    });
    let records: usize = inv.event_logs.iter().map(|l| l.records).sum();
    let requests: usize = inv.web_logs.iter().map(|l| l.requests).sum();
    rows.push(VerdictRow {
        level: Level::Information,
        description: format!(
            "Evidence read: {}, {} ({} records), {} ({} entries), {}, {}; {} skipped.",
            plural(inv.dumps.len(), "dump", "dumps"),
            plural(inv.event_logs.len(), "event log", "event logs"),
            records,
            plural(inv.web_logs.len(), "web log", "web logs"),
            requests,
            plural(inv.configs.len(), "IIS configuration", "IIS configurations"),
            plural(inv.wer_reports.len(), "Report.wer", "Report.wer files"),
            plural(inv.skipped.len(), "file", "files")
        ),
        recommendation: if inv.skipped.is_empty() {
            "Nothing was skipped.".into()
        } else {
            "See 'Skipped' for why each skipped file was not used.".into()
        },
    });
}

/// Dumps that are not crashes (manual, hang, first-chance dumps of live processes).
fn live_dumps_row(inv: &Investigation) -> Option<VerdictRow> {
    let live: Vec<&DumpInfo> = inv
        .dumps
        .iter()
        .filter(|d| d.not_a_crash.is_some())
        .collect();
    if live.is_empty() {
        return None;
    }
    let list: Vec<String> = live
        .iter()
        .map(|d| {
            format!(
                "{} ({}{}{}): {}",
                file_name(&d.file),
                d.capture,
                d.app_pool
                    .as_deref()
                    .map(|p| format!(", {p}"))
                    .unwrap_or_default(),
                d.pid.map(|p| format!(" pid {p}")).unwrap_or_default(),
                d.not_a_crash.as_deref().unwrap_or("")
            )
        })
        .collect();
    Some(VerdictRow {
        level: Level::Information,
        description: format!(
            "{} not counted as {}: {}.",
            plural(live.len(), "dump is", "dumps are"),
            if live.len() == 1 { "a crash" } else { "crashes" },
            list.join("; ")
        ),
        recommendation: "A manual, hang or first-chance dump shows a process that was alive when it was dumped: read it for what the process was doing (threads, locks, requests), not as a crash. Only a second-chance dump, or a termination event of the dumped process, shows that it died.".into(),
    })
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
    let dumps_words = match dumps.len() {
        1 => ("dump", "was taken"),
        _ => ("dumps", "were taken"),
    };
    let web_words = match web.len() {
        1 => ("web log", "covers"),
        _ => ("web logs", "cover"),
    };
    [(dumps_words, dumps), (web_words, web)]
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

/// `2009-06-02 14:31 UTC` for an instant, else [`crate::correlate::span_text`].
fn when(span: (i64, i64)) -> String {
    if span.0 == span.1 {
        format!("{} UTC", &time::short(span.0)[..16])
    } else {
        crate::correlate::span_text(span.0, span.1)
    }
}

/// The warning that `what` (`dumps`, `were taken`; `web log`, `covers`) lies at `span`, apart from the event logs'
/// `logs`.
fn apart_row(
    inv: &Investigation,
    logs: (i64, i64),
    (what, verb): (&str, &str),
    span: (i64, i64),
) -> VerdictRow {
    let mut d = format!(
        "The evidence does not overlap in time: the event logs cover {}, but the {what} {verb} {}, none within a day of the logs. They may be of another incident or machine, and nothing was matched across them by time.",
        when(logs),
        when(span)
    );
    let tz = &inv.time_zone;
    if tz.source.starts_with(crate::correlate::TZ_FROM_EVENTS) {
        d.push_str(&format!(
            " The time-zone offset {} was taken from the event logs and may not apply to the {}.",
            tz.utc_offset, what
        ));
    }
    VerdictRow {
        level: Level::Warning,
        description: d,
        recommendation: "Check that the event logs, dumps and web logs come from the same machine and incident; add the logs that cover the time of the crash.".into(),
    }
}
