//! Plain-text incident report: verdict first, then the timeline, the pools, the groups, the
//! dumps and the evidence.

use super::facts;
use crate::phrase::count;
use coroner_incident::file_name;
use coroner_incident::model::*;
use coroner_incident::time;
use std::fmt::Write;

fn section(s: &mut String, title: &str) {
    let _ = writeln!(s, "\n{title}\n{}", "=".repeat(title.chars().count()));
}

fn wrap(s: &mut String, indent: &str, text: &str) {
    let width = 100usize.saturating_sub(indent.len()).max(40);
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            let _ = writeln!(s, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        let _ = writeln!(s, "{indent}{line}");
    }
}

/// Renders the report.
pub fn render(inv: &Investigation) -> String {
    let mut s = String::new();
    header(&mut s, inv);
    summary(&mut s, inv);
    section(&mut s, "Timeline");
    for t in &inv.timeline {
        let _ = writeln!(s, "{}  {:<12} {}", t.time, t.kind, t.text);
    }
    for p in &inv.pools {
        pool(&mut s, p);
    }
    live_dumps(&mut s, inv);
    groups(&mut s, inv);
    dumps(&mut s, inv);
    evidence(&mut s, inv);
    s
}

/// The one-line summary and the time zone.
fn header(s: &mut String, inv: &Investigation) {
    let crashes: usize = inv.pools.iter().map(|p| p.crashes.len()).sum();
    let pools = inv.pools.iter().filter(|p| !p.crashes.is_empty()).count();
    let _ = writeln!(
        s,
        "== Incident report: {} of {}{}, {} ==",
        count(crashes, "crash", "crashes"),
        count(pools, "pool or process", "pools or processes"),
        facts::hang_census(inv, true),
        facts::evidence_census(inv)
    );
    let _ = writeln!(
        s,
        "All times UTC; local times converted with {} ({}).",
        inv.time_zone.utc_offset, inv.time_zone.source
    );
}

/// The verdict rows.
fn summary(s: &mut String, inv: &Investigation) {
    section(s, "Analysis summary");
    for r in &inv.verdict {
        let _ = writeln!(s, "[{}]", r.level.as_str());
        let mut d = String::new();
        wrap(&mut d, "    ", &r.description);
        let _ = write!(s, "  Description:\n{d}");
        let mut rc = String::new();
        wrap(&mut rc, "    ", &r.recommendation);
        let _ = write!(s, "  Recommendation:\n{rc}");
    }
}

/// The crash table of a pool, each crash with its evidence.
fn crashes(s: &mut String, p: &Pool) {
    if p.crashes.is_empty() {
        let _ = writeln!(s, "\nCrashes: none");
    } else {
        let _ = writeln!(s, "\nCrashes ({}):", p.crashes.len());
    }
    if !p.crashes.is_empty() {
        let _ = writeln!(
            s,
            "  {:<3} {:<19}  {:>6}  {:<10}  {:<10}  dump (dump → first event)",
            "#", "time (UTC)", "pid", "exit code", "exception"
        );
    }
    for (i, c) in p.crashes.iter().enumerate() {
        let dump = match (&c.dump, c.dump_to_event_seconds) {
            (Some(d), Some(dt)) => format!("{} ({})", file_name(d), time::delta(dt)),
            (Some(d), None) => format!("{} (no event)", file_name(d)),
            (None, _) => "none — known from events only".into(),
        };
        let _ = writeln!(
            s,
            "  {:<3} {}  {:>6}  {:<10}  {:<10}  {}",
            i + 1,
            c.time,
            facts::pid(c.pid),
            facts::exit_code(c),
            facts::exception_code(c),
            dump
        );
        wrap(s, "        ", &facts::crash_times(c));
        for d in &c.other_dumps {
            let _ = writeln!(s, "        earlier snapshot: {}", file_name(d));
        }
        for e in &c.evidence {
            let _ = writeln!(
                s,
                "        {} {:<24} {} ({} #{})",
                time::hms(e.time.0),
                e.what,
                e.text,
                file_name(&e.file),
                e.record
            );
        }
        if let Some(b) = &c.bucket {
            let _ = writeln!(s, "        bucket {b}");
        }
        for inf in facts::in_flight_at(p, c) {
            let (m, u, ip) = facts::request_parts(inf);
            let _ = writeln!(s, "        in flight: {m} {u} from {ip}");
        }
    }
}

/// The times the pool stopped answering, each with its events, hang dumps and request waits,
/// then the cause the hang dumps share. Nothing when the pool never hung.
fn hangs(s: &mut String, p: &Pool) {
    if p.hangs.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "\nHangs ({}) — stopped answering {}; not counted as crashes:",
        p.hangs.len(),
        facts::hang_span(p)
    );
    for (i, h) in p.hangs.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {:<3} {}  pid {}  {}",
            i + 1,
            h.time,
            facts::pid(h.pid),
            h.how.join("; ")
        );
        for e in &h.evidence {
            let _ = writeln!(
                s,
                "        {} {:<24} {} ({} #{})",
                time::hms(e.time.0),
                e.what,
                e.text,
                file_name(&e.file),
                e.record
            );
        }
        hang_detail(s, p, h);
    }
    wrap(s, "  ", &format!("Common cause: {}", facts::hang_cause(p)));
}

/// A hang's dumps, cause, request waits, slowest and abandoned requests.
fn hang_detail(s: &mut String, p: &Pool, h: &Hang) {
    if h.dumps.is_empty() {
        let _ = writeln!(s, "        hang dump: none");
    }
    for d in &h.dumps {
        let _ = writeln!(s, "        hang dump: {}", file_name(d));
    }
    if let Some(b) = &h.bucket {
        let _ = writeln!(s, "        bucket {b}");
    }
    if let Some(c) = &h.cause {
        wrap(s, "        ", &format!("cause: {c}"));
    }
    wrap(
        s,
        "        ",
        &format!("requests: {}", facts::waits(&h.waits)),
    );
    for r in h.waits.examples.iter().take(3) {
        let _ = writeln!(
            s,
            "        waited {}: {} {} (logged {})",
            facts::ms(r.time_taken_ms),
            r.method.as_deref().unwrap_or("?"),
            r.url.as_deref().unwrap_or("?"),
            time::hms(r.time.0)
        );
    }
    for inf in facts::in_flight_in(p, h) {
        let (m, u, ip) = facts::request_parts(inf);
        let _ = writeln!(s, "        abandoned: {m} {u} from {ip}");
    }
}

/// Rapid-fail episodes and the 503 outage of a pool.
fn rapid_fail_and_outage(s: &mut String, p: &Pool) {
    if !p.rapid_fail.is_empty() {
        let _ = writeln!(s, "\nRapid-fail episodes:");
        for r in &p.rapid_fail {
            let _ = writeln!(
                s,
                "  disabled {} ({}) after {} failures (pids {}); restored {}; duration {}; 503s meanwhile: {}",
                r.disabled_at,
                facts::rapid_fail_detected(r),
                r.failures,
                facts::pids(&r.failure_pids),
                facts::time_or_unknown(r.restored_at),
                facts::duration_or_unknown(r.duration_seconds),
                r.http_503
            );
            wrap(s, "    ", &format!("restore: {}", r.restored_how));
        }
    }
    if p.outage.http_503 > 0 {
        let _ = writeln!(
            s,
            "\nOutage: {} responses 503 from {} to {} — {}",
            p.outage.http_503,
            p.outage.first.map(|t| t.to_string()).unwrap_or_default(),
            p.outage.last.map(|t| t.to_string()).unwrap_or_default(),
            facts::counts_colon(&p.outage.by_reason)
        );
    }
}

/// Abandoned requests not near a crash, and broken connections.
fn requests(s: &mut String, p: &Pool) {
    let unmatched: Vec<&InFlight> = p
        .in_flight
        .iter()
        .filter(|i| i.crash_time.is_none() && i.hang_time.is_none())
        .collect();
    if !unmatched.is_empty() {
        let _ = writeln!(s, "\nAbandoned requests not near a known crash:");
        for i in unmatched {
            let _ = writeln!(
                s,
                "  {} {} {} from {}",
                i.time,
                i.method.as_deref().unwrap_or("?"),
                i.url.as_deref().unwrap_or("?"),
                i.client_ip.as_deref().unwrap_or("?")
            );
        }
    }
    let f = &p.failed_requests;
    if f.win32_64 + f.win32_1236 > 0 {
        let _ = writeln!(
            s,
            "\nBroken connections: sc-win32-status 64 ×{}, 1236 ×{}",
            f.win32_64, f.win32_1236
        );
        for e in f.examples.iter().take(5) {
            let _ = writeln!(
                s,
                "  {} {} {} from {} → {} (win32 {})",
                e.time,
                e.method.as_deref().unwrap_or("?"),
                e.url.as_deref().unwrap_or("?"),
                e.client_ip.as_deref().unwrap_or("?"),
                e.status.map(|x| x.to_string()).unwrap_or_default(),
                e.win32_status
            );
        }
    }
}

/// One pool (or process).
fn pool(s: &mut String, p: &Pool) {
    section(
        s,
        &format!(
            "{} '{}'",
            if p.kind == "application pool" {
                "Application pool"
            } else {
                "Process"
            },
            p.name
        ),
    );
    if !p.sites.is_empty() {
        let _ = writeln!(s, "Sites: {}", p.sites.join(", "));
    }
    if p.kind == "application pool" {
        let _ = writeln!(
            s,
            "Rapid-fail protection: {}, {} failures in {} ({})",
            if p.threshold.enabled { "on" } else { "off" },
            p.threshold.max_crashes,
            time::duration(p.threshold.interval_seconds),
            p.threshold.source
        );
    }
    crashes(s, p);
    hangs(s, p);
    memory(s, p);
    rapid_fail_and_outage(s, p);
    requests(s, p);
}

/// The pool's memory limits, recycles and a worker's series of dumps.
fn memory(s: &mut String, p: &Pool) {
    let lines = super::memory::lines(p);
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(s, "\nMemory:");
    for l in lines {
        wrap(s, "  ", &l);
    }
    let rows = super::memory::series_rows(p);
    if !rows.is_empty() {
        let h = super::memory::SERIES_HEADER;
        let _ = writeln!(
            s,
            "  {:<20} {:>6} {:>13} {:>11} {:>8}  {}",
            h[0], h[1], h[2], h[3], h[4], h[5]
        );
        for r in rows {
            let _ = writeln!(
                s,
                "  {:<20} {:>6} {:>13} {:>11} {:>8}  {}",
                r[0], r[1], r[2], r[3], r[4], r[5]
            );
        }
    }
}

/// Dumps of live processes.
fn live_dumps(s: &mut String, inv: &Investigation) {
    let live = facts::live_dumps(inv);
    if !live.is_empty() {
        section(s, "Dumps not counted as crashes");
        for d in live {
            let _ = writeln!(s, "{}: {}", facts::live_dump_who(d), facts::dump_capture(d));
            let _ = writeln!(s, "  {}", d.file.display());
            wrap(s, "  ", d.not_a_crash.as_deref().unwrap_or(""));
        }
    }
}

/// Dump groups by bucket.
fn groups(s: &mut String, inv: &Investigation) {
    section(s, "Dump groups");
    if inv.groups.is_empty() {
        let _ = writeln!(s, "(no analysed dumps)");
    }
    for g in &inv.groups {
        let _ = writeln!(
            s,
            "{} — {}",
            count(g.dumps.len(), "dump", "dumps"),
            g.bucket
        );
        let _ = writeln!(s, "  Verdict:     {}", g.verdict);
        if let Some(w) = &g.who_to_call {
            let _ = writeln!(s, "  Who to call: {w}");
        }
        if !g.pools.is_empty() {
            let _ = writeln!(s, "  Pools:       {}", g.pools.join(", "));
        }
        for d in &g.dumps {
            let _ = writeln!(s, "  - {}", d.display());
        }
    }
}

/// Each dump.
fn dumps(s: &mut String, inv: &Investigation) {
    section(s, "Dumps");
    for d in &inv.dumps {
        let _ = writeln!(s, "-- {} --", d.file.display());
        if let Some(e) = &d.error {
            let _ = writeln!(s, "  not analysed: {e}");
            continue;
        }
        let _ = writeln!(
            s,
            "  Time:         {} ({})",
            facts::time_or_unknown(d.time),
            d.time_source.as_deref().unwrap_or("no time")
        );
        let _ = writeln!(s, "  Capture:      {}", facts::dump_capture(d));
        let mut crash = String::new();
        wrap(&mut crash, "                ", &facts::dump_crash(d));
        let _ = write!(s, "  Crash:        {}", crash.trim_start());
        for (k, v) in &d.detail {
            let mut body = String::new();
            wrap(&mut body, "                ", v);
            let _ = write!(s, "  {:<13} {}", format!("{k}:"), body.trim_start());
        }
    }
}

/// The evidence read, the codes explained, the files skipped, the warnings.
fn evidence(s: &mut String, inv: &Investigation) {
    section(s, "Evidence");
    for r in facts::evidence_rows(inv) {
        let kind = if r.kind == r.category {
            String::new()
        } else {
            format!(" ({})", r.kind)
        };
        let mut body = String::new();
        wrap(
            &mut body,
            "            ",
            &format!("{}: {}{kind}; {}", r.file, r.count, r.notes),
        );
        let _ = write!(s, "{:<11} {}", r.category, body.trim_start());
    }

    if !inv.codes.is_empty() {
        section(s, "Status codes explained");
        for c in &inv.codes {
            let kind = match c.kind {
                "http_status" => "HTTP",
                "win32_status" => "Win32",
                _ => "HTTPERR",
            };
            let _ = writeln!(s, "{kind:<7} {:<32} ×{:<6} {}", c.code, c.count, c.meaning);
        }
    }
    if !inv.skipped.is_empty() {
        section(s, "Skipped");
        for k in &inv.skipped {
            let _ = writeln!(s, "{}: {}", k.file.display(), k.reason);
        }
    }
    if !inv.warnings.is_empty() {
        section(s, "Warnings");
        for w in &inv.warnings {
            let _ = writeln!(s, "- {w}");
        }
    }
}
