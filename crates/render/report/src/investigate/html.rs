//! Self-contained HTML incident report: one file, no scripts, no network, readable in any
//! browser; a timeline chart per pool (crashes, rapid-fail windows, 503s per minute) in inline
//! SVG.

use super::facts;
use super::text::{pool_kind, threshold};
use crate::phrase::investigate::said::words as said;
use crate::phrase::investigate::{count, delta, duration, level, words, Noun, Words};
use crate::phrase::{code_meaning, Lang};
use coroner_incident::file_name;
use coroner_incident::model::*;
use coroner_incident::time;
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn esc(v: &str) -> String {
    let mut o = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t') => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// The page style, shared with the analysis report (`crate::html`).
pub(crate) const STYLE: &str = "
body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:0;padding:0 2em 3em;color:#1d1d1f;background:#fafafa;line-height:1.45}
h1{margin:.6em 0 .2em;font-size:1.6em}h2{margin-top:1.8em;border-bottom:2px solid #ddd;padding-bottom:.2em}h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0;background:#fff;width:100%}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f0f0f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.mono{white-space:nowrap}code,.mono{font-family:Consolas,'DejaVu Sans Mono',monospace;font-size:.92em;word-break:break-all}
.lvl{font-weight:bold;white-space:nowrap}.lvl.error{color:#b00020}.lvl.warning{color:#9a6700}.lvl.information{color:#0b5cad}
tr.error td:first-child{border-left:6px solid #b00020}tr.warning td:first-child{border-left:6px solid #d4a72c}tr.information td:first-child{border-left:6px solid #0b5cad}
.note{color:#555}.chart{background:#fff;border:1px solid #ddd;margin:.5em 0}details{margin:.4em 0;background:#fff;border:1px solid #ddd;padding:.3em .6em}summary{cursor:pointer;font-weight:600}
";

/// Renders the page in `lang`.
pub fn render(inv: &Investigation, lang: Lang) -> String {
    let mut s = String::new();
    head(&mut s, inv, lang);
    timeline(&mut s, inv, lang);
    for p in &inv.pools {
        pool(&mut s, p, lang);
    }
    live_dumps_and_groups(&mut s, inv, lang);
    dumps(&mut s, inv, lang);
    evidence(&mut s, inv, lang);
    s.push_str("</body></html>\n");
    s
}

/// The pool's timeline chart: 503s per minute (bars), rapid-fail windows (shaded), crashes
/// (red markers with PIDs). Empty when the pool has nothing to draw.
fn chart(p: &Pool, lang: Lang) -> String {
    let Some(f) = Frame::of(p) else {
        return String::new();
    };
    let (w, h) = (f.w, f.h);
    let name = esc(&p.name);
    let (label, title) = match lang {
        Lang::En => (
            format!("Timeline of {name}"),
            format!("Timeline of {name}: crashes, rapid-fail windows and 503 responses per minute (UTC)"),
        ),
        Lang::Ko => (
            format!("{name} 타임라인"),
            format!("{name} 타임라인: 충돌, 빠른 장애 방지로 사용 안 함 상태였던 구간, 분당 503 응답 (UTC)"),
        ),
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" role=\"img\" aria-label=\"{label}\" viewBox=\"0 0 {w} {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = write!(s, "<title>{title}</title>");
    rapid_fail_windows(&mut s, p, &f, lang);
    per_minute_bars(&mut s, p, &f, lang);
    crash_marks(&mut s, p, &f, lang);
    hang_marks(&mut s, p, &f, lang);
    axis(&mut s, &f, !p.hangs.is_empty(), lang);
    s
}

/// The chart's time span and geometry.
struct Frame {
    t0: i64,
    t1: i64,
    pad: i64,
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    /// The baseline's y.
    base: f64,
}

impl Frame {
    /// The span of the pool's crashes, outage and rapid-fail episodes, padded; `None` when
    /// there is nothing to draw.
    fn of(p: &Pool) -> Option<Frame> {
        let mut times: Vec<i64> = p.crashes.iter().map(|c| c.time.0).collect();
        times.extend(p.hangs.iter().map(|h| h.time.0));
        times.extend(p.outage.first.map(|t| t.0));
        times.extend(p.outage.last.map(|t| t.0 + 60));
        for r in &p.rapid_fail {
            times.push(r.disabled_at.0);
            times.extend(r.restored_at.map(|t| t.0));
        }
        let (Some(&lo), Some(&hi)) = (times.iter().min(), times.iter().max()) else {
            return None;
        };
        let span = (hi - lo).max(600);
        let pad = span / 20 + 60;
        let (h, bottom) = (220.0f64, 40.0f64);
        Some(Frame {
            t0: lo - pad,
            t1: lo + span + pad,
            pad,
            w: 960.0,
            h,
            left: 50.0,
            right: 20.0,
            top: 34.0,
            base: h - bottom,
        })
    }

    /// The x of time `t`.
    fn x(&self, t: i64) -> f64 {
        self.left
            + (t - self.t0) as f64 / (self.t1 - self.t0) as f64 * (self.w - self.left - self.right)
    }
}

/// The windows in which rapid-fail protection had the pool disabled.
fn rapid_fail_windows(s: &mut String, p: &Pool, f: &Frame, lang: Lang) {
    let (top, base, t1, pad) = (f.top, f.base, f.t1, f.pad);
    let w = words(lang);
    let (disabled_by, disabled) = match lang {
        Lang::En => ("pool disabled by rapid-fail protection", "pool disabled"),
        Lang::Ko => ("빠른 장애 방지로 풀 사용 안 함", "풀 사용 안 함"),
    };
    for r in &p.rapid_fail {
        let a = f.x(r.disabled_at.0);
        let b = f.x(r.restored_at.map(|t| t.0).unwrap_or(t1 - pad / 2));
        let _ = write!(
            s,
            "<rect x=\"{a:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f5a623\" fill-opacity=\"0.22\" stroke=\"#f5a623\"><title>{disabled_by} {} – {}</title></rect>",
            (b - a).max(1.0),
            base - top,
            r.disabled_at,
            facts::time_or_unknown(r.restored_at, lang)
        );
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#9a6700\">{disabled} ({})</text>",
            a + 4.0,
            top + 12.0,
            r.duration_seconds
                .map(|d| duration(d, lang))
                .unwrap_or_else(|| w.restore_unknown.into())
        );
    }
}

/// 503 responses per minute.
fn per_minute_bars(s: &mut String, p: &Pool, f: &Frame, lang: Lang) {
    let (top, base) = (f.top, f.base);
    let max = p
        .outage
        .per_minute
        .iter()
        .map(|m| m.count)
        .max()
        .unwrap_or(0);
    if max > 0 {
        let bw = (f.x(60) - f.x(0)).max(1.0);
        for m in &p.outage.per_minute {
            let bh = m.count as f64 / max as f64 * (base - top - 20.0);
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#4a78c2\"><title>{}: {} × 503</title></rect>",
                f.x(m.minute.0),
                base - bh,
                (bw - 0.5).max(0.5),
                m.minute,
                m.count
            );
        }
        let _ = write!(
            s,
            "<text x=\"4\" y=\"{:.1}\" fill=\"#4a78c2\">{max}{}</text>",
            top + 22.0,
            words(lang).per_minute
        );
    }
}

/// A line per crash, labelled with the PID.
fn crash_marks(s: &mut String, p: &Pool, f: &Frame, lang: Lang) {
    let (top, base) = (f.top, f.base);
    let w = words(lang);
    for (i, c) in p.crashes.iter().enumerate() {
        let cx = f.x(c.time.0);
        let ly = top - 6.0 - (i % 2) as f64 * 12.0 + 12.0;
        let _ = write!(
            s,
            "<line x1=\"{cx:.1}\" y1=\"{:.1}\" x2=\"{cx:.1}\" y2=\"{base:.1}\" stroke=\"#b00020\" stroke-width=\"2\"/><circle cx=\"{cx:.1}\" cy=\"{base:.1}\" r=\"4\" fill=\"#b00020\"><title>{} {} {} {} {}</title></circle><text x=\"{:.1}\" y=\"{ly:.1}\" fill=\"#b00020\" text-anchor=\"middle\">{}</text>",
            top + 14.0,
            w.crash.to_lowercase(),
            c.time,
            w.pid_lower,
            c.pid.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
            esc(c.exit_code.as_deref().unwrap_or("")),
            cx,
            c.pid.map(|p| p.to_string()).unwrap_or_else(|| "✕".into())
        );
    }
}

/// A dashed amber mark at each time the pool stopped answering.
fn hang_marks(s: &mut String, p: &Pool, f: &Frame, lang: Lang) {
    let (top, base) = (f.top, f.base);
    let hang = match lang {
        Lang::En => "hang",
        Lang::Ko => "응답 없음",
    };
    for h in &p.hangs {
        let cx = f.x(h.time.0);
        let _ = write!(
            s,
            "<line x1=\"{cx:.1}\" y1=\"{:.1}\" x2=\"{cx:.1}\" y2=\"{base:.1}\" stroke=\"#b26a00\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/><rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"#b26a00\"><title>{hang} {} {} {}: {}</title></rect>",
            top + 14.0,
            cx - 4.0,
            base - 4.0,
            h.time,
            words(lang).pid_lower,
            facts::pid(h.pid),
            esc(&facts::hows(h, lang))
        );
    }
}

/// `<tr><th>a</th><th>b</th></tr>`.
fn th_row(cols: &[&str]) -> String {
    let cells: String = cols.iter().map(|c| format!("<th>{c}</th>")).collect();
    format!("<tr>{cells}</tr>")
}

/// `10:23:42 <b>W3SVC 1011</b> text (file #n)`: one event of a crash or hang.
fn event_line(e: &EvidenceRef, lang: Lang) -> String {
    format!(
        "{} <b>{}</b> {} <span class=\"note\">({} #{})</span>",
        time::hms(e.time.0),
        esc(&e.what),
        esc(&said(&e.text, lang)),
        esc(&file_name(&e.file)),
        e.record
    )
}

/// `<br><span class="note">bucket <code>B</code></span>`, or nothing.
fn bucket_note(b: Option<&String>, w: &Words) -> String {
    b.map(|b| {
        format!(
            "<br><span class=\"note\">{} <code>{}</code></span>",
            w.bucket,
            esc(b)
        )
    })
    .unwrap_or_default()
}

/// The times the pool stopped answering, as a table, then the cause the hang dumps share.
fn hangs(s: &mut String, p: &Pool, lang: Lang) {
    if p.hangs.is_empty() {
        return;
    }
    let w = words(lang);
    let span = esc(&facts::hang_span(p, lang));
    let intro = match lang {
        Lang::En => format!("Stopped answering {span} — not counted as crashes."),
        Lang::Ko => format!("{span} 응답을 멈췄습니다. 충돌로 집계하지 않습니다."),
    };
    let head = th_row(&[
        "#",
        w.time_utc,
        w.pid,
        w.what_iis_saw,
        w.hang_dumps,
        w.requests_around,
        w.evidence,
    ]);
    let _ = writeln!(s, "<h3>{}</h3><p>{intro}</p><table>{head}", w.hangs);
    for (i, h) in p.hangs.iter().enumerate() {
        let ev: Vec<String> = h.evidence.iter().map(|e| event_line(e, lang)).collect();
        let dumps: Vec<String> = h
            .dumps
            .iter()
            .map(|d| format!("<code>{}</code>", esc(&file_name(d))))
            .collect();
        let _ = writeln!(
            s,
            "<tr><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            h.time,
            facts::pid(h.pid),
            esc(&facts::hows(h, lang)),
            if dumps.is_empty() { w.none.into() } else { dumps.join("<br>") },
            bucket_note(h.bucket.as_ref(), w),
            esc(&facts::waits(&h.waits, lang)),
            ev.join("<br>")
        );
    }
    let _ = writeln!(
        s,
        "</table>\n<p><b>{}:</b> {}</p>",
        w.common_cause_of_hangs,
        esc(&facts::hang_cause(p, lang))
    );
}

/// The chart's legend.
fn legend(date: &str, hangs: bool, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "UTC, {date} — red: crashes (pid) · orange: pool disabled · blue: 503 responses per minute{}",
            if hangs { " · dashed brown: stopped answering (hang)" } else { "" }
        ),
        Lang::Ko => format!(
            "UTC, {date} — 빨강: 충돌 (PID) · 주황: 풀 사용 안 함 · 파랑: 분당 503 응답{}",
            if hangs { " · 갈색 점선: 응답 없음" } else { "" }
        ),
    }
}

/// The time axis and the legend.
fn axis(s: &mut String, f: &Frame, hangs: bool, lang: Lang) {
    let (t0, t1, w, h, left, right, base) = (f.t0, f.t1, f.w, f.h, f.left, f.right, f.base);
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{base}\" x2=\"{:.1}\" y2=\"{base}\" stroke=\"#333\"/>",
        w - right
    );
    let steps = [
        60i64, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400,
    ];
    let step = steps
        .iter()
        .copied()
        .find(|st| (t1 - t0) / st <= 10)
        .unwrap_or(86400);
    let mut t = (t0 / step + 1) * step;
    while t < t1 {
        let tx = f.x(t);
        let label = &time::hms(t)[..5];
        let _ = write!(s, "<line x1=\"{tx:.1}\" y1=\"{base}\" x2=\"{tx:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>", base + 5.0, base + 18.0);
        t += step;
    }
    let _ = writeln!(
        s,
        "<text x=\"{left}\" y=\"{:.1}\" fill=\"#555\">{}</text></svg>",
        h - 6.0,
        legend(&time::short(t0)[..10], hangs, lang)
    );
}

/// The page head, the counts and the verdict rows.
fn head(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body>\n",
        lang.code(),
        w.html_title
    );
    let _ = writeln!(s, "<h1>{}</h1>", w.incident_report);
    let generated = match lang {
        Lang::En => format!("Generated by {}.", esc(&inv.tool)),
        Lang::Ko => crate::phrase::particles(&format!("{}(으)로 생성했습니다.", esc(&inv.tool))),
    };
    let _ = writeln!(
        s,
        "<p class=\"note\">{}. {} {generated}</p>",
        esc(&facts::census(inv, lang)),
        esc(&facts::time_zone_note(inv, lang))
    );
    let _ = writeln!(
        s,
        "<h2 id=\"verdict\">{}</h2>\n<table>{}",
        w.analysis_summary,
        th_row(&[w.level_type, w.description, w.recommendation])
    );
    for r in &inv.verdict {
        let (description, recommendation) =
            crate::phrase::investigate::verdict::words_of(&r.kind, inv, lang);
        let class = match r.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Information => "information",
        };
        let _ = writeln!(
            s,
            "<tr class=\"{class}\"><td class=\"lvl {class}\">{}</td><td>{}</td><td>{}</td></tr>",
            level(r.level, lang),
            esc(&description),
            esc(&recommendation)
        );
    }
    s.push_str("</table>\n");
}

/// The timeline table.
fn timeline(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    let _ = writeln!(
        s,
        "<h2>{}</h2>\n<table>{}",
        w.timeline,
        th_row(&[w.time_utc, w.kind, w.what])
    );
    for t in &inv.timeline {
        let _ = writeln!(
            s,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
            t.time,
            t.kind,
            esc(&said(&t.text, lang))
        );
    }
    s.push_str("</table>\n");
}

/// A crash's dump cell: the dump and how long before the first event it was taken, then any
/// earlier snapshots.
fn crash_dump(c: &Crash, w: &Words, lang: Lang) -> String {
    let earlier: String = c
        .other_dumps
        .iter()
        .map(|d| format!("<br>{} <code>{}</code>", w.earlier, esc(&file_name(d))))
        .collect();
    let dump = match (&c.dump, c.dump_to_event_seconds) {
        (Some(d), Some(dt)) => {
            format!("<code>{}</code> ({})", esc(&file_name(d)), delta(dt, lang))
        }
        (Some(d), None) => format!("<code>{}</code>", esc(&file_name(d))),
        (None, _) => w.events_only.into(),
    };
    dump + &earlier
}

/// The crash table of a pool.
fn crashes(s: &mut String, p: &Pool, lang: Lang) {
    if p.crashes.is_empty() {
        return;
    }
    let w = words(lang);
    let head = th_row(&[
        "#",
        w.time_utc,
        w.pid,
        w.exit_code,
        w.exception,
        w.fault,
        w.termination_seen,
        w.dump_first_event,
        w.evidence,
        w.in_flight,
    ]);
    let _ = writeln!(s, "<h3>{}</h3><table>{head}", w.crashes);
    for (i, c) in p.crashes.iter().enumerate() {
        let ev: Vec<String> = c.evidence.iter().map(|e| event_line(e, lang)).collect();
        let inflight: Vec<String> = facts::in_flight_at(p, c)
            .map(|f| {
                let (m, u, ip) = facts::request_parts(f);
                format!("<code>{} {}</code> {} {}", esc(m), esc(u), w.from, esc(ip))
            })
            .collect();
        let _ = writeln!(
            s,
            "<tr><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            c.time,
            facts::pid(c.pid),
            esc(facts::exit_code(c, lang)),
            esc(facts::exception_code(c)),
            esc(&facts::fault_at(c, lang)),
            esc(&facts::terminated_at(c, lang)),
            crash_dump(c, w, lang),
            bucket_note(c.bucket.as_ref(), w),
            ev.join("<br>"),
            inflight.join("<br>")
        );
    }
    s.push_str("</table>\n");
}

/// Rapid-fail episodes of a pool.
fn episodes(s: &mut String, p: &Pool, lang: Lang) {
    if p.rapid_fail.is_empty() {
        return;
    }
    let w = words(lang);
    let head = th_row(&[
        w.disabled,
        w.detected,
        w.failures,
        w.restored,
        w.duration,
        w.http_503s,
        w.restore_found,
    ]);
    let _ = writeln!(s, "<h3>{}</h3><table>{head}", w.rapid_fail_episodes);
    for r in &p.rapid_fail {
        let _ = writeln!(
            s,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{} ({} {})</td><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            r.disabled_at,
            esc(&facts::rapid_fail_detected(r, lang)),
            r.failures,
            match lang {
                Lang::En => "pids",
                Lang::Ko => "PID",
            },
            facts::pids(&r.failure_pids),
            facts::time_or_unknown(r.restored_at, lang),
            facts::duration_or_unknown(r.duration_seconds, lang),
            r.http_503,
            esc(&said(&r.restored_how, lang))
        );
    }
    s.push_str("</table>\n");
}

/// Rapid-fail episodes, the 503 outage and broken connections of a pool.
fn episodes_and_outage(s: &mut String, p: &Pool, lang: Lang) {
    episodes(s, p, lang);
    if p.outage.http_503 > 0 {
        let (n, first, last, why) = (
            p.outage.http_503,
            p.outage.first.map(|t| t.to_string()).unwrap_or_default(),
            p.outage.last.map(|t| t.to_string()).unwrap_or_default(),
            esc(&facts::counts_colon(&p.outage.by_reason)),
        );
        let _ = match lang {
            Lang::En => writeln!(
                s,
                "<p><b>Outage:</b> {n} responses 503 from {first} to {last} — {why}.</p>"
            ),
            Lang::Ko => writeln!(
                s,
                "<p><b>서비스 중단:</b> {first}부터 {last}까지 503 응답 {n}건 — {why}.</p>"
            ),
        };
    }
    let f = &p.failed_requests;
    if f.win32_64 + f.win32_1236 > 0 {
        let _ = writeln!(
            s,
            "<p><b>{}:</b> sc-win32-status 64 × {}, 1236 × {}.</p>",
            words(lang).broken_connections,
            f.win32_64,
            f.win32_1236
        );
    }
}

/// One pool (or process), with its chart.
fn pool(s: &mut String, p: &Pool, lang: Lang) {
    let _ = writeln!(
        s,
        "<h2>{} <code>{}</code></h2>",
        pool_kind(p, lang),
        esc(&p.name)
    );
    let mut facts = Vec::new();
    if !p.sites.is_empty() {
        facts.push(format!(
            "{}: {}",
            words(lang).sites,
            esc(&p.sites.join(", "))
        ));
    }
    if p.kind == "application pool" {
        facts.push(esc(&threshold(p, lang)));
    }
    if !facts.is_empty() {
        let _ = writeln!(s, "<p>{}</p>", facts.join("<br>"));
    }
    s.push_str(&chart(p, lang));
    crashes(s, p, lang);
    hangs(s, p, lang);
    memory(s, p, lang);
    episodes_and_outage(s, p, lang);
}

/// The pool's memory: limits, recycles, and a worker's series of dumps as a table and a chart.
fn memory(s: &mut String, p: &Pool, lang: Lang) {
    let lines = crate::phrase::investigate::memory::lines(p, lang);
    if lines.is_empty() {
        return;
    }
    let items: Vec<String> = lines.iter().map(|l| esc(l)).collect();
    let _ = writeln!(
        s,
        "<h3>{}</h3><ul><li>{}</li></ul>",
        words(lang).memory,
        items.join("</li><li>")
    );
    let rows = super::memory::series_rows(p);
    if rows.is_empty() {
        return;
    }
    s.push_str(&super::memory::svg(p, lang));
    let head: String = crate::phrase::investigate::memory::series_header(lang)
        .iter()
        .map(|h| format!("<th>{h}</th>"))
        .collect();
    let _ = writeln!(s, "<table><tr>{head}</tr>");
    for r in rows {
        let cells: String = r.iter().map(|c| format!("<td>{}</td>", esc(c))).collect();
        let _ = writeln!(s, "<tr>{cells}</tr>");
    }
    s.push_str("</table>\n");
}

/// Dumps of live processes.
fn live_dumps(s: &mut String, inv: &Investigation, lang: Lang) {
    let live = facts::live_dumps(inv);
    if live.is_empty() {
        return;
    }
    let _ = writeln!(s, "<h2>{}</h2><ul>", words(lang).live_dumps);
    for d in live {
        let _ = writeln!(
            s,
            "<li>{}: {} — <code>{}</code>: {}</li>",
            esc(&facts::live_dump_who(d, lang)),
            esc(&facts::dump_capture(d, lang)),
            esc(&file_name(&d.file)),
            esc(&d
                .not_a_crash
                .as_ref()
                .map(|n| said(n, lang))
                .unwrap_or_default())
        );
    }
    s.push_str("</ul>\n");
}

/// Dumps of live processes, and dump groups by bucket.
fn live_dumps_and_groups(s: &mut String, inv: &Investigation, lang: Lang) {
    live_dumps(s, inv, lang);
    let w = words(lang);
    let _ = writeln!(s, "<h2>{}</h2>", w.dump_groups);
    if inv.groups.is_empty() {
        let mut none = w.no_analysed_dumps.to_string();
        if let Some(c) = none.get(..1) {
            let up = c.to_uppercase();
            none.replace_range(..1, &up);
        }
        let _ = writeln!(s, "<p>{none}.</p>");
    }
    for g in &inv.groups {
        let _ = writeln!(
            s,
            "<h3>{}: <code>{}</code></h3><p><b>{}:</b> {}<br>{}{}</p><ul>",
            count(g.dumps.len(), Noun::Dump, lang),
            esc(&g.bucket),
            w.verdict,
            esc(&crate::phrase::investigate::quoted::title(
                g.analysis.as_ref(),
                &g.verdict,
                lang
            )),
            crate::phrase::investigate::quoted::who_to_call(
                g.analysis.as_ref(),
                g.who_to_call.as_deref(),
                lang
            )
            .map(|who| format!("<b>{}:</b> {}<br>", w.who_to_call, esc(&who)))
            .unwrap_or_default(),
            if g.pools.is_empty() {
                String::new()
            } else {
                format!("<b>{}:</b> {}", w.pools, esc(&g.pools.join(", ")))
            }
        );
        for d in &g.dumps {
            let _ = writeln!(s, "<li><code>{}</code></li>", esc(&d.display().to_string()));
        }
        s.push_str("</ul>\n");
    }
}

/// Each dump.
fn dumps(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    let _ = writeln!(s, "<h2>{}</h2>", w.dumps);
    for d in &inv.dumps {
        let _ = writeln!(
            s,
            "<details open><summary><code>{}</code></summary><table>",
            esc(&file_name(&d.file))
        );
        let _ = writeln!(
            s,
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            w.file,
            esc(&d.file.display().to_string())
        );
        if let Some(e) = &d.error {
            let _ = writeln!(
                s,
                "<tr><th>{}</th><td>{}</td></tr></table></details>",
                w.not_analysed,
                esc(&crate::phrase::failed(e, d.failure.as_ref(), lang))
            );
            continue;
        }
        let _ = writeln!(
            s,
            "<tr><th>{}</th><td>{} ({})</td></tr><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr>",
            w.time,
            facts::time_or_unknown(d.time, lang),
            esc(&d.time_source.as_ref().map(|t| said(t, lang)).unwrap_or_default()),
            w.capture,
            esc(&facts::dump_capture(d, lang)),
            w.crash,
            esc(&facts::dump_crash(d, lang))
        );
        for (k, v) in &crate::phrase::investigate::quoted::detail(d, lang) {
            let _ = writeln!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        s.push_str("</table></details>\n");
    }
}

/// The evidence read, the codes explained, the files skipped, the warnings.
fn evidence(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    let _ = writeln!(
        s,
        "<h2>{}</h2><table>{}",
        w.evidence,
        th_row(&[w.file, w.kind, w.records, w.notes])
    );
    for r in facts::evidence_rows(inv, lang) {
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&r.file),
            esc(&r.kind),
            esc(&r.count),
            esc(&r.notes)
        );
    }
    s.push_str("</table>\n");
    if !inv.codes.is_empty() {
        let _ = writeln!(
            s,
            "<h2>{}</h2><table>{}",
            w.status_codes,
            th_row(&[w.kind, w.code, w.count, w.meaning])
        );
        for c in &inv.codes {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td></tr>",
                c.kind,
                esc(&c.code),
                c.count,
                esc(&code_meaning(c.kind, &c.code, &c.meaning, lang))
            );
        }
        s.push_str("</table>\n");
    }
    if !inv.skipped.is_empty() {
        let _ = writeln!(s, "<h2>{}</h2><ul>", w.skipped);
        for k in &inv.skipped {
            let _ = writeln!(
                s,
                "<li><code>{}</code>: {}</li>",
                esc(&k.file.display().to_string()),
                esc(&said(&k.reason, lang))
            );
        }
        s.push_str("</ul>\n");
    }
    if !inv.warnings.is_empty() {
        let _ = writeln!(s, "<h2>{}</h2><ul>", w.warnings);
        for x in &inv.warnings {
            let _ = writeln!(s, "<li>{}</li>", esc(&said(x, lang)));
        }
        s.push_str("</ul>\n");
    }
}
