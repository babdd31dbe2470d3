//! Plain-text incident report: verdict first, then the timeline, the pools, the groups, the
//! dumps and the evidence.

use super::facts;
use crate::phrase::investigate::said::words as said;
use crate::phrase::investigate::{count, delta, level, words, Noun};
use crate::phrase::{code_meaning, Lang};
use coroner_incident::file_name;
use coroner_incident::model::*;
use coroner_incident::time;
use std::fmt::Write;

/// Terminal columns of `text`: a Hangul syllable takes two (`unicode-width`), so Korean titles
/// are underlined and lines wrapped as they show.
fn cols(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

fn section(s: &mut String, title: &str) {
    let _ = writeln!(s, "\n{title}\n{}", "=".repeat(cols(title)));
}

fn wrap(s: &mut String, indent: &str, text: &str) {
    let width = 100usize.saturating_sub(cols(indent)).max(40);
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && cols(&line) + 1 + cols(w) > width {
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

/// Renders the report in `lang`.
pub fn render(inv: &Investigation, lang: Lang) -> String {
    let mut s = String::new();
    header(&mut s, inv, lang);
    summary(&mut s, inv, lang);
    section(&mut s, words(lang).timeline);
    for t in &inv.timeline {
        let _ = writeln!(s, "{}  {:<12} {}", t.time, t.kind, said(&t.text, lang));
    }
    for p in &inv.pools {
        pool(&mut s, p, lang);
    }
    live_dumps(&mut s, inv, lang);
    groups(&mut s, inv, lang);
    dumps(&mut s, inv, lang);
    evidence(&mut s, inv, lang);
    s
}

/// The one-line summary and the time zone.
fn header(s: &mut String, inv: &Investigation, lang: Lang) {
    let _ = writeln!(
        s,
        "== {}: {} ==",
        words(lang).incident_report,
        facts::headline(inv, lang)
    );
    let _ = writeln!(s, "{}", facts::time_zone_note(inv, lang));
}

/// The verdict rows.
fn summary(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    section(s, w.analysis_summary);
    for r in &inv.verdict {
        let (description, recommendation) =
            crate::phrase::investigate::verdict::words_of(&r.kind, inv, lang);
        let _ = writeln!(s, "[{}]", level(r.level, lang));
        let mut d = String::new();
        wrap(&mut d, "    ", &description);
        let _ = write!(s, "  {}:\n{d}", w.description);
        let mut rc = String::new();
        wrap(&mut rc, "    ", &recommendation);
        let _ = write!(s, "  {}:\n{rc}", w.recommendation);
    }
}

/// The crash table of a pool, each crash with its evidence.
fn crashes(s: &mut String, p: &Pool, lang: Lang) {
    let w = words(lang);
    if p.crashes.is_empty() {
        let _ = writeln!(s, "\n{}: {}", w.crashes, w.none);
    } else {
        let _ = writeln!(s, "\n{} ({}):", w.crashes, p.crashes.len());
    }
    if !p.crashes.is_empty() {
        let _ = writeln!(
            s,
            "  {:<3} {:<19}  {:>6}  {:<10}  {:<10}  {}",
            "#",
            w.time_utc_lower,
            w.pid_lower,
            w.exit_code_lower,
            w.exception_lower,
            w.dump_first_event_lower
        );
    }
    for (i, c) in p.crashes.iter().enumerate() {
        let dump = match (&c.dump, c.dump_to_event_seconds) {
            (Some(d), Some(dt)) => format!("{} ({})", file_name(d), delta(dt, lang)),
            (Some(d), None) => format!("{} ({})", file_name(d), w.no_event),
            (None, _) => w.events_only.into(),
        };
        let _ = writeln!(
            s,
            "  {:<3} {}  {:>6}  {:<10}  {:<10}  {}",
            i + 1,
            c.time,
            facts::pid(c.pid),
            facts::exit_code(c, lang),
            facts::exception_code(c),
            dump
        );
        wrap(s, "        ", &facts::crash_times(c, lang));
        for d in &c.other_dumps {
            let _ = writeln!(s, "        {}: {}", w.earlier_snapshot, file_name(d));
        }
        for e in &c.evidence {
            let _ = writeln!(
                s,
                "        {} {:<24} {} ({} #{})",
                time::hms(e.time.0),
                e.what,
                said(&e.text, lang),
                file_name(&e.file),
                e.record
            );
        }
        if let Some(b) = &c.bucket {
            let _ = writeln!(s, "        {} {b}", w.bucket);
        }
        for inf in facts::in_flight_at(p, c) {
            let (m, u, ip) = facts::request_parts(inf);
            let _ = writeln!(s, "        {}: {m} {u} {} {ip}", w.in_flight_lower, w.from);
        }
    }
}

/// The times the pool stopped answering, each with its events, hang dumps and request waits,
/// then the cause the hang dumps share. Nothing when the pool never hung.
fn hangs(s: &mut String, p: &Pool, lang: Lang) {
    if p.hangs.is_empty() {
        return;
    }
    let (n, span) = (p.hangs.len(), facts::hang_span(p, lang));
    let _ = match lang {
        Lang::En => writeln!(
            s,
            "\nHangs ({n}) — stopped answering {span}; not counted as crashes:"
        ),
        Lang::Ko => writeln!(
            s,
            "\n응답 없음 ({n}건) — {span} 응답을 멈췄습니다. 충돌로 집계하지 않습니다:"
        ),
    };
    for (i, h) in p.hangs.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {:<3} {}  {} {}  {}",
            i + 1,
            h.time,
            words(lang).pid_lower,
            facts::pid(h.pid),
            facts::hows(h, lang)
        );
        for e in &h.evidence {
            let _ = writeln!(
                s,
                "        {} {:<24} {} ({} #{})",
                time::hms(e.time.0),
                e.what,
                said(&e.text, lang),
                file_name(&e.file),
                e.record
            );
        }
        hang_detail(s, p, h, lang);
    }
    let w = words(lang);
    wrap(
        s,
        "  ",
        &format!("{}: {}", w.common_cause, facts::hang_cause(p, lang)),
    );
}

/// A hang's dumps, cause, request waits, slowest and abandoned requests.
fn hang_detail(s: &mut String, p: &Pool, h: &Hang, lang: Lang) {
    let w = words(lang);
    if h.dumps.is_empty() {
        let _ = writeln!(s, "        {}: {}", w.hang_dump, w.none);
    }
    for d in &h.dumps {
        let _ = writeln!(s, "        {}: {}", w.hang_dump, file_name(d));
    }
    if let Some(b) = &h.bucket {
        let _ = writeln!(s, "        {} {b}", w.bucket);
    }
    if let Some(c) = &h.cause {
        let c = crate::phrase::investigate::quoted::title(h.analysis.as_ref(), c, lang);
        wrap(s, "        ", &format!("{}: {c}", w.cause));
    }
    wrap(
        s,
        "        ",
        &format!("{}: {}", w.requests, facts::waits(&h.waits, lang)),
    );
    for r in h.waits.examples.iter().take(3) {
        let _ = writeln!(
            s,
            "        {} {}: {} {} ({} {})",
            w.waited,
            facts::ms(r.time_taken_ms, lang),
            r.method.as_deref().unwrap_or("?"),
            r.url.as_deref().unwrap_or("?"),
            w.logged,
            time::hms(r.time.0)
        );
    }
    for inf in facts::in_flight_in(p, h) {
        let (m, u, ip) = facts::request_parts(inf);
        let _ = writeln!(s, "        {}: {m} {u} {} {ip}", w.abandoned, w.from);
    }
}

/// Rapid-fail episodes and the 503 outage of a pool.
fn rapid_fail_and_outage(s: &mut String, p: &Pool, lang: Lang) {
    let w = words(lang);
    if !p.rapid_fail.is_empty() {
        let _ = writeln!(s, "\n{}:", w.rapid_fail_episodes);
        for r in &p.rapid_fail {
            let (at, how, n, pids) = (
                r.disabled_at,
                facts::rapid_fail_detected(r, lang),
                r.failures,
                facts::pids(&r.failure_pids),
            );
            let restored = facts::time_or_unknown(r.restored_at, lang);
            let lasted = facts::duration_or_unknown(r.duration_seconds, lang);
            let _ = match lang {
                Lang::En => writeln!(
                    s,
                    "  disabled {at} ({how}) after {n} failures (pids {pids}); restored {restored}; duration {lasted}; 503s meanwhile: {}",
                    r.http_503
                ),
                Lang::Ko => writeln!(
                    s,
                    "  {at} 사용 안 함 설정 ({how}) — 실패 {n}회 후 (PID {pids}); 복원 {restored}; 기간 {lasted}; 그동안 503 응답: {}",
                    r.http_503
                ),
            };
            wrap(
                s,
                "    ",
                &format!("{}: {}", w.restore, said(&r.restored_how, lang)),
            );
        }
    }
    if p.outage.http_503 > 0 {
        let (n, first, last, why) = (
            p.outage.http_503,
            p.outage.first.map(|t| t.to_string()).unwrap_or_default(),
            p.outage.last.map(|t| t.to_string()).unwrap_or_default(),
            facts::counts_colon(&p.outage.by_reason),
        );
        let _ = match lang {
            Lang::En => writeln!(
                s,
                "\nOutage: {n} responses 503 from {first} to {last} — {why}"
            ),
            Lang::Ko => writeln!(
                s,
                "\n서비스 중단: {first}부터 {last}까지 503 응답 {n}건 — {why}"
            ),
        };
    }
}

/// `2006-03-14 10:23:41 POST /upload.asp from 172.16.4.21`.
fn request_line(
    t: time::Time,
    m: Option<&str>,
    u: Option<&str>,
    ip: Option<&str>,
    lang: Lang,
) -> String {
    format!(
        "{t} {} {} {} {}",
        m.unwrap_or("?"),
        u.unwrap_or("?"),
        words(lang).from,
        ip.unwrap_or("?")
    )
}

/// Abandoned requests not near a crash, and broken connections.
fn requests(s: &mut String, p: &Pool, lang: Lang) {
    let w = words(lang);
    let unmatched: Vec<&InFlight> = p
        .in_flight
        .iter()
        .filter(|i| i.crash_time.is_none() && i.hang_time.is_none())
        .collect();
    if !unmatched.is_empty() {
        let _ = writeln!(s, "\n{}:", w.abandoned_not_near);
        for i in unmatched {
            let line = request_line(
                i.time,
                i.method.as_deref(),
                i.url.as_deref(),
                i.client_ip.as_deref(),
                lang,
            );
            let _ = writeln!(s, "  {line}");
        }
    }
    let f = &p.failed_requests;
    if f.win32_64 + f.win32_1236 > 0 {
        let _ = writeln!(
            s,
            "\n{}: sc-win32-status 64 ×{}, 1236 ×{}",
            w.broken_connections, f.win32_64, f.win32_1236
        );
        for e in f.examples.iter().take(5) {
            let line = request_line(
                e.time,
                e.method.as_deref(),
                e.url.as_deref(),
                e.client_ip.as_deref(),
                lang,
            );
            let _ = writeln!(
                s,
                "  {line} → {} (win32 {})",
                e.status.map(|x| x.to_string()).unwrap_or_default(),
                e.win32_status
            );
        }
    }
}

/// `Rapid-fail protection: on, 5 failures in 5 min (source)` — a pool's threshold.
pub(super) fn threshold(p: &Pool, lang: Lang) -> String {
    let w = words(lang);
    let t = &p.threshold;
    let on = if t.enabled { w.on } else { w.off };
    let within = crate::phrase::investigate::duration(t.interval_seconds, lang);
    match lang {
        Lang::En => format!(
            "{}: {on}, {} failures in {within} ({})",
            w.rapid_fail_protection, t.max_crashes, t.source
        ),
        Lang::Ko => format!(
            "{}: {on}, {within} 안에 실패 {}회 ({})",
            w.rapid_fail_protection,
            t.max_crashes,
            said(&t.source, lang)
        ),
    }
}

/// `Application pool` or `Process`: what a pool of the report is.
pub(super) fn pool_kind(p: &Pool, lang: Lang) -> &'static str {
    let w = words(lang);
    if p.kind == "application pool" {
        w.application_pool
    } else {
        w.process
    }
}

/// One pool (or process).
fn pool(s: &mut String, p: &Pool, lang: Lang) {
    section(s, &format!("{} '{}'", pool_kind(p, lang), p.name));
    if !p.sites.is_empty() {
        let _ = writeln!(s, "{}: {}", words(lang).sites, p.sites.join(", "));
    }
    if p.kind == "application pool" {
        let _ = writeln!(s, "{}", threshold(p, lang));
    }
    crashes(s, p, lang);
    hangs(s, p, lang);
    memory(s, p, lang);
    rapid_fail_and_outage(s, p, lang);
    requests(s, p, lang);
}

/// The pool's memory limits, recycles and a worker's series of dumps.
fn memory(s: &mut String, p: &Pool, lang: Lang) {
    let lines = crate::phrase::investigate::memory::lines(p, lang);
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n{}:", words(lang).memory);
    for l in lines {
        wrap(s, "  ", &l);
    }
    let rows = super::memory::series_rows(p);
    if !rows.is_empty() {
        let h = crate::phrase::investigate::memory::series_header(lang);
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
fn live_dumps(s: &mut String, inv: &Investigation, lang: Lang) {
    let live = facts::live_dumps(inv);
    if !live.is_empty() {
        section(s, words(lang).live_dumps);
        for d in live {
            let _ = writeln!(
                s,
                "{}: {}",
                facts::live_dump_who(d, lang),
                facts::dump_capture(d, lang)
            );
            let _ = writeln!(s, "  {}", d.file.display());
            let n = d.not_a_crash.as_ref().map(|n| said(n, lang));
            wrap(s, "  ", n.as_deref().unwrap_or(""));
        }
    }
}

/// `Verdict:     ` — a label padded to the width of the text report's label column.
fn label(name: &str, width: usize) -> String {
    let pad = width.saturating_sub(cols(name) + 1);
    format!("{name}:{}", " ".repeat(pad + 1))
}

/// Dump groups by bucket.
fn groups(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    section(s, w.dump_groups);
    if inv.groups.is_empty() {
        let _ = writeln!(s, "({})", w.no_analysed_dumps);
    }
    for g in &inv.groups {
        let _ = writeln!(
            s,
            "{} — {}",
            count(g.dumps.len(), Noun::Dump, lang),
            g.bucket
        );
        let q = g.analysis.as_ref();
        let verdict = crate::phrase::investigate::quoted::title(q, &g.verdict, lang);
        let _ = writeln!(s, "  {}{verdict}", label(w.verdict, 12));
        if let Some(who) =
            crate::phrase::investigate::quoted::who_to_call(q, g.who_to_call.as_deref(), lang)
        {
            let _ = writeln!(s, "  {}{who}", label(w.who_to_call, 12));
        }
        if !g.pools.is_empty() {
            let _ = writeln!(s, "  {}{}", label(w.pools, 12), g.pools.join(", "));
        }
        for d in &g.dumps {
            let _ = writeln!(s, "  - {}", d.display());
        }
    }
}

/// Each dump.
fn dumps(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    section(s, w.dumps);
    for d in &inv.dumps {
        let _ = writeln!(s, "-- {} --", d.file.display());
        if let Some(e) = &d.error {
            let e = crate::phrase::failed(e, d.failure.as_ref(), lang);
            let _ = writeln!(s, "  {}: {e}", w.not_analysed.to_lowercase());
            continue;
        }
        let _ = writeln!(
            s,
            "  {}{} ({})",
            label(w.time, 13),
            facts::time_or_unknown(d.time, lang),
            d.time_source
                .as_ref()
                .map_or(w.no_time.to_string(), |t| said(t, lang))
        );
        let _ = writeln!(
            s,
            "  {}{}",
            label(w.capture, 13),
            facts::dump_capture(d, lang)
        );
        let mut crash = String::new();
        wrap(&mut crash, "                ", &facts::dump_crash(d, lang));
        let _ = write!(s, "  {}{}", label(w.crash, 13), crash.trim_start());
        for (k, v) in &crate::phrase::investigate::quoted::detail(d, lang) {
            let mut body = String::new();
            wrap(&mut body, "                ", v);
            let _ = write!(s, "  {:<13} {}", format!("{k}:"), body.trim_start());
        }
    }
}

/// The evidence read, the codes explained, the files skipped, the warnings.
fn evidence(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    section(s, w.evidence);
    for r in facts::evidence_rows(inv, lang) {
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
        section(s, w.status_codes);
        for c in &inv.codes {
            let kind = match c.kind {
                "http_status" => "HTTP",
                "win32_status" => "Win32",
                _ => "HTTPERR",
            };
            let meaning = code_meaning(c.kind, &c.code, &c.meaning, lang);
            let _ = writeln!(s, "{kind:<7} {:<32} ×{:<6} {meaning}", c.code, c.count);
        }
    }
    if !inv.skipped.is_empty() {
        section(s, w.skipped);
        for k in &inv.skipped {
            let _ = writeln!(s, "{}: {}", k.file.display(), said(&k.reason, lang));
        }
    }
    if !inv.warnings.is_empty() {
        section(s, w.warnings);
        for x in &inv.warnings {
            let _ = writeln!(s, "- {}", said(x, lang));
        }
    }
}
