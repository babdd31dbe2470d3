//! Facts the three human renderers (text, Markdown, HTML) show alike, phrased once here as plain
//! text; each renderer only escapes and lays them out.

use crate::phrase::count;
use coroner_incident::model::*;
use coroner_incident::time;
use coroner_incident::time::Time;

/// `k×v k×v` (status and reason counts of a web log).
pub fn counts_x(m: &std::collections::BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `k: v, k: v` (503s by reason).
pub fn counts_colon(m: &std::collections::BTreeMap<String, u64>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A process id, `?` when unknown.
pub fn pid(p: Option<u32>) -> String {
    p.map(|p| p.to_string()).unwrap_or_else(|| "?".into())
}

/// `1744, 2288, …`.
pub fn pids(list: &[u32]) -> String {
    list.iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A time, `unknown` when there is none.
pub fn time_or_unknown(t: Option<Time>) -> String {
    t.map(|t| t.to_string()).unwrap_or_else(|| "unknown".into())
}

/// A duration, `unknown` when there is none.
pub fn duration_or_unknown(s: Option<i64>) -> String {
    s.map(time::duration).unwrap_or_else(|| "unknown".into())
}

/// How a rapid-fail episode was found: the event that says so, or the prediction.
pub fn rapid_fail_detected(r: &RapidFail) -> String {
    if r.detected == "event" {
        r.event
            .as_ref()
            .map(|e| e.what.clone())
            .unwrap_or_else(|| "event".into())
    } else {
        "predicted from crash frequency".into()
    }
}

/// The requests in flight when crash `c` of pool `p` happened.
pub fn in_flight_at<'a>(p: &'a Pool, c: &'a Crash) -> impl Iterator<Item = &'a InFlight> {
    p.in_flight
        .iter()
        .filter(move |i| i.crash_time == Some(c.time))
}

/// `GET /upload.asp` parts of a request: method, URL, client (each `?` when unknown).
pub fn request_parts(i: &InFlight) -> (&str, &str, &str) {
    (
        i.method.as_deref().unwrap_or("?"),
        i.url.as_deref().unwrap_or("?"),
        i.client_ip.as_deref().unwrap_or("?"),
    )
}

/// The crash a dump was matched to: `pool at time`, or why not.
pub fn dump_crash(d: &DumpInfo) -> String {
    match (&d.crash, &d.not_a_crash) {
        (Some(c), _) => format!("{} at {}", c.pool, c.time),
        (None, Some(n)) => format!("not a crash: {n}"),
        (None, None) => "not matched to a crash".into(),
    }
}

/// `manual dump — DebugDiag file name "Manual Dump"`.
pub fn dump_capture(d: &DumpInfo) -> String {
    format!("{} — {}", d.capture, d.capture_from)
}

/// The exit code of a crash, `unknown` when no termination event gives it.
pub fn exit_code(c: &Crash) -> &str {
    c.exit_code.as_deref().unwrap_or("unknown")
}

/// The exception code of a crash, `-` when none is known.
pub fn exception_code(c: &Crash) -> &str {
    c.exception_code.as_deref().unwrap_or("-")
}

/// `10:23:41 (dump header (UTC))`, or `unknown`.
fn at(t: Option<Time>, source: Option<&str>) -> String {
    match t {
        Some(t) => format!("{} ({})", time::hms(t.0), source.unwrap_or("?")),
        None => "unknown".into(),
    }
}

/// When the process faulted.
pub fn fault_at(c: &Crash) -> String {
    at(c.fault_time, c.fault_time_source.as_deref())
}

/// When the service saw the process die.
pub fn terminated_at(c: &Crash) -> String {
    match c.terminated_at {
        Some(_) => at(c.terminated_at, c.terminated_source.as_deref()),
        None => "no termination event".into(),
    }
}

/// `fault 10:23:41 (dump header (UTC)); termination seen 10:23:43 (W3SVC 1011); exit code from
/// W3SVC 1009; exception from dump`.
pub fn crash_times(c: &Crash) -> String {
    let mut s = format!(
        "fault {}; termination seen {}",
        fault_at(c),
        terminated_at(c)
    );
    if let Some(src) = &c.exit_code_source {
        s.push_str(&format!("; exit code from {src}"));
    }
    if let Some(src) = &c.exception_code_source {
        s.push_str(&format!("; exception from {src}"));
    }
    s
}

/// Dumps that are not counted as crashes (snapshots of live processes), in time order.
pub fn live_dumps(inv: &Investigation) -> Vec<&DumpInfo> {
    let mut v: Vec<&DumpInfo> = inv
        .dumps
        .iter()
        .filter(|d| d.not_a_crash.is_some())
        .collect();
    v.sort_by_key(|d| d.time);
    v
}

/// `DefaultAppPool pid 6120 at 2006-03-14 10:52:10`.
pub fn live_dump_who(d: &DumpInfo) -> String {
    format!(
        "{} pid {} at {}",
        d.app_pool
            .as_deref()
            .or(d.process.as_deref())
            .unwrap_or("process"),
        pid(d.pid),
        time_or_unknown(d.time)
    )
}

/// One row of the evidence table: what was read, how much, and what was wrong with it.
pub struct EvidenceRow {
    /// `event log`, `W3C log`, `HTTPERR log`, `config`, `Report.wer`.
    pub category: &'static str,
    pub file: String,
    pub kind: String,
    pub count: String,
    pub notes: String,
}

/// Every evidence file that was read, in a fixed order: event logs, web logs, configuration,
/// WER reports.
pub fn evidence_rows(inv: &Investigation) -> Vec<EvidenceRow> {
    let mut rows = Vec::new();
    for l in &inv.event_logs {
        let mut notes = format!("{} understood", l.understood);
        if l.recovered > 0 {
            notes.push_str(&format!(", {} recovered", l.recovered));
        }
        if l.damaged > 0 {
            notes.push_str(&format!(
                ", {} skipped",
                count(l.damaged, "damaged part", "damaged parts")
            ));
        }
        rows.push(EvidenceRow {
            category: "event log",
            file: l.file.display().to_string(),
            kind: l.kind.clone(),
            count: format!("{} records", l.records),
            notes,
        });
    }
    for l in &inv.web_logs {
        let mut notes = format!("status {}", counts_x(&l.by_status));
        if !l.by_reason.is_empty() {
            notes.push_str(&format!(", reasons {}", counts_x(&l.by_reason)));
        }
        if l.problems > 0 {
            notes.push_str(&format!(
                ", {} skipped",
                count(l.problems, "bad line", "bad lines")
            ));
        }
        let kind = if l.kind == "w3c" {
            "W3C log"
        } else {
            "HTTPERR log"
        };
        rows.push(EvidenceRow {
            category: kind,
            file: l.file.display().to_string(),
            kind: kind.into(),
            count: format!("{} entries", l.requests),
            notes,
        });
    }
    for c in &inv.configs {
        rows.push(EvidenceRow {
            category: "config",
            file: c.file.display().to_string(),
            kind: c.kind.to_string(),
            count: format!("{} pools", c.pools.len()),
            notes: c
                .pools
                .iter()
                .map(|p| {
                    format!(
                        "{} (rapid-fail {}: {} in {})",
                        p.name,
                        if p.rapid_fail_protection { "on" } else { "off" },
                        p.max_crashes,
                        time::duration(p.interval_seconds)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    for w in &inv.wer_reports {
        rows.push(EvidenceRow {
            category: "Report.wer",
            file: w.file.display().to_string(),
            kind: "Report.wer".into(),
            count: "1 report".into(),
            notes: format!(
                "{} {} pid {}",
                w.event_type.as_deref().unwrap_or("?"),
                w.app.as_deref().unwrap_or("?"),
                pid(w.pid)
            ),
        });
    }
    rows
}

/// The evidence read, counted: "7 dumps, 2 event logs, 2 web logs".
pub fn evidence_census(inv: &Investigation) -> String {
    format!(
        "{}, {}, {}",
        count(inv.dumps.len(), "dump", "dumps"),
        count(inv.event_logs.len(), "event log", "event logs"),
        count(inv.web_logs.len(), "web log", "web logs")
    )
}

/// The crashes and the evidence, counted: "7 crashes, 7 dumps, 2 event logs, 2 web logs".
pub fn census(inv: &Investigation) -> String {
    let crashes: usize = inv.pools.iter().map(|p| p.crashes.len()).sum();
    format!(
        "{}{}, {}",
        count(crashes, "crash", "crashes"),
        hang_census(inv, false),
        evidence_census(inv)
    )
}

/// `, 2 hangs` (`, 2 hangs of 1 pool` with `pools`), or nothing when no pool hung.
pub fn hang_census(inv: &Investigation, pools: bool) -> String {
    let hangs: usize = inv.pools.iter().map(|p| p.hangs.len()).sum();
    if hangs == 0 {
        return String::new();
    }
    let n = inv.pools.iter().filter(|p| !p.hangs.is_empty()).count();
    let of = if pools {
        format!(" of {}", count(n, "pool", "pools"))
    } else {
        String::new()
    };
    format!(", {}{of}", count(hangs, "hang", "hangs"))
}

/// `118.0 s` for a `time-taken` in milliseconds.
pub fn ms(v: u64) -> String {
    format!("{}.{} s", v / 1000, (v % 1000) / 100)
}

/// How long requests waited around one hang: `14 requests logged with a time-taken, 9 took
/// 10.0 s or more, the longest 118.2 s (median 61.0 s); HTTPERR: Timer_ConnectionIdle: 3;
/// 4 connections abandoned by the pool`, or `no request of the pool logged around it`.
pub fn waits(w: &RequestWaits) -> String {
    let mut parts = Vec::new();
    if w.timed > 0 {
        let mut s = format!(
            "{} logged with a time-taken, {} took {} or more",
            count(w.timed, "request", "requests"),
            w.slow,
            ms(w.slow_ms)
        );
        if let Some(l) = w.longest_ms {
            s.push_str(&format!(", the longest {}", ms(l)));
        }
        if let Some(m) = w.median_ms {
            s.push_str(&format!(" (median {})", ms(m)));
        }
        parts.push(s);
    }
    if !w.timers.is_empty() {
        parts.push(format!("HTTPERR timeouts: {}", counts_colon(&w.timers)));
    }
    if w.abandoned > 0 {
        parts.push(format!(
            "{} abandoned by the pool (Connection_Abandoned_By_AppPool)",
            count(w.abandoned, "connection", "connections")
        ));
    }
    if parts.is_empty() {
        return "no request of the pool logged around it".into();
    }
    parts.join("; ")
}

/// The requests that waited over all hangs of a pool, as [`waits`] words it.
pub fn pool_waits(p: &Pool) -> RequestWaits {
    let mut all = RequestWaits::empty(p.hangs[0].waits.from, p.hangs[p.hangs.len() - 1].waits.to);
    let mut longest = Vec::new();
    for h in &p.hangs {
        let w = &h.waits;
        all.timed += w.timed;
        all.slow += w.slow;
        all.slow_ms = all.slow_ms.max(w.slow_ms);
        all.abandoned += w.abandoned;
        longest.extend(w.longest_ms);
        for (k, v) in &w.timers {
            *all.timers.entry(k.clone()).or_default() += v;
        }
    }
    all.longest_ms = longest.iter().copied().max();
    all
}

/// `2 times between 09:02:10 and 09:31:40 UTC (process ids 3100, 3344)`.
pub fn hang_span(p: &Pool) -> String {
    let n = p.hangs.len();
    let (first, last) = (p.hangs[0].time, p.hangs[n - 1].time);
    let pids: Vec<u32> = p.hangs.iter().filter_map(|h| h.pid).collect();
    let mut s = if n == 1 {
        format!("once, at {first} UTC")
    } else {
        format!("{n} times between {first} and {last} UTC")
    };
    if !pids.is_empty() {
        let label = if pids.len() == 1 {
            "process id"
        } else {
            "process ids"
        };
        s.push_str(&format!(" ({label} {})", self::pids(&pids)));
    }
    s
}

/// The cause the hang dumps share: `2 of 2 hang dumps share the bucket B: verdict`, or why
/// it is unknown.
pub fn hang_cause(p: &Pool) -> String {
    let dumps: usize = p.hangs.iter().map(|h| h.dumps.len()).sum();
    match &p.hang_cause {
        None if dumps == 0 => "unknown: no hang dump of these processes among the inputs".into(),
        None => "unknown: the hang dumps could not be analysed".into(),
        Some(c) => {
            let mut s = match &c.bucket {
                Some(b) => format!(
                    "{} the bucket {b}: {}",
                    crate::phrase::sharing(c.dumps_with_bucket, c.dumps, crate::phrase::Lang::En),
                    c.verdict.trim_end_matches('.')
                ),
                None => format!(
                    "The {} say{}: {}",
                    count(c.dumps, "hang dump", "hang dumps"),
                    if c.dumps == 1 { "s" } else { "" },
                    c.verdict.trim_end_matches('.')
                ),
            };
            s.push_str(&format!(
                ". Who to call: {}",
                c.who_to_call
                    .as_deref()
                    .unwrap_or("unknown (the analysis blames no module)")
            ));
            s
        }
    }
}

/// The requests in flight that a hang abandoned.
pub fn in_flight_in<'a>(p: &'a Pool, h: &'a Hang) -> impl Iterator<Item = &'a InFlight> {
    p.in_flight
        .iter()
        .filter(move |i| i.hang_time == Some(h.time))
}
