//! Self-contained HTML incident report: one file, no scripts, no network, readable in any
//! browser; a timeline chart per pool (crashes, rapid-fail windows, 503s per minute) in inline
//! SVG.

use super::facts;
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

/// Renders the page.
pub fn render(inv: &Investigation) -> String {
    let mut s = String::new();
    head(&mut s, inv);
    timeline(&mut s, inv);
    for p in &inv.pools {
        pool(&mut s, p);
    }
    live_dumps_and_groups(&mut s, inv);
    dumps(&mut s, inv);
    evidence(&mut s, inv);
    s.push_str("</body></html>\n");
    s
}

/// The pool's timeline chart: 503s per minute (bars), rapid-fail windows (shaded), crashes
/// (red markers with PIDs). Empty when the pool has nothing to draw.
fn chart(p: &Pool) -> String {
    let Some(f) = Frame::of(p) else {
        return String::new();
    };
    let (w, h) = (f.w, f.h);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" role=\"img\" aria-label=\"Timeline of {}\" viewBox=\"0 0 {w} {h}\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" font-family=\"sans-serif\" font-size=\"11\">",
        esc(&p.name)
    );
    let _ = write!(s, "<title>Timeline of {}: crashes, rapid-fail windows and 503 responses per minute (UTC)</title>", esc(&p.name));
    rapid_fail_windows(&mut s, p, &f);
    per_minute_bars(&mut s, p, &f);
    crash_marks(&mut s, p, &f);
    hang_marks(&mut s, p, &f);
    axis(&mut s, &f, !p.hangs.is_empty());
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
fn rapid_fail_windows(s: &mut String, p: &Pool, f: &Frame) {
    let (top, base, t1, pad) = (f.top, f.base, f.t1, f.pad);
    for r in &p.rapid_fail {
        let a = f.x(r.disabled_at.0);
        let b = f.x(r.restored_at.map(|t| t.0).unwrap_or(t1 - pad / 2));
        let _ = write!(
            s,
            "<rect x=\"{a:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f5a623\" fill-opacity=\"0.22\" stroke=\"#f5a623\"><title>pool disabled by rapid-fail protection {} – {}</title></rect>",
            (b - a).max(1.0),
            base - top,
            r.disabled_at,
            r.restored_at.map(|t| t.to_string()).unwrap_or_else(|| "unknown".into())
        );
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#9a6700\">pool disabled ({})</text>",
            a + 4.0,
            top + 12.0,
            r.duration_seconds
                .map(time::duration)
                .unwrap_or_else(|| "restore unknown".into())
        );
    }
}

/// 503 responses per minute.
fn per_minute_bars(s: &mut String, p: &Pool, f: &Frame) {
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
            "<text x=\"4\" y=\"{:.1}\" fill=\"#4a78c2\">{max}/min</text>",
            top + 22.0
        );
    }
}

/// A line per crash, labelled with the PID.
fn crash_marks(s: &mut String, p: &Pool, f: &Frame) {
    let (top, base) = (f.top, f.base);
    for (i, c) in p.crashes.iter().enumerate() {
        let cx = f.x(c.time.0);
        let ly = top - 6.0 - (i % 2) as f64 * 12.0 + 12.0;
        let _ = write!(
            s,
            "<line x1=\"{cx:.1}\" y1=\"{:.1}\" x2=\"{cx:.1}\" y2=\"{base:.1}\" stroke=\"#b00020\" stroke-width=\"2\"/><circle cx=\"{cx:.1}\" cy=\"{base:.1}\" r=\"4\" fill=\"#b00020\"><title>crash {} pid {} {}</title></circle><text x=\"{:.1}\" y=\"{ly:.1}\" fill=\"#b00020\" text-anchor=\"middle\">{}</text>",
            top + 14.0,
            c.time,
            c.pid.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
            esc(c.exit_code.as_deref().unwrap_or("")),
            cx,
            c.pid.map(|p| p.to_string()).unwrap_or_else(|| "✕".into())
        );
    }
}

/// A dashed amber mark at each time the pool stopped answering.
fn hang_marks(s: &mut String, p: &Pool, f: &Frame) {
    let (top, base) = (f.top, f.base);
    for h in &p.hangs {
        let cx = f.x(h.time.0);
        let _ = write!(
            s,
            "<line x1=\"{cx:.1}\" y1=\"{:.1}\" x2=\"{cx:.1}\" y2=\"{base:.1}\" stroke=\"#b26a00\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/><rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"#b26a00\"><title>hang {} pid {}: {}</title></rect>",
            top + 14.0,
            cx - 4.0,
            base - 4.0,
            h.time,
            facts::pid(h.pid),
            esc(&h.how.join("; "))
        );
    }
}

/// The times the pool stopped answering, as a table, then the cause the hang dumps share.
fn hangs(s: &mut String, p: &Pool) {
    if p.hangs.is_empty() {
        return;
    }
    let _ = writeln!(s, "<h3>Hangs</h3><p>Stopped answering {} — not counted as crashes.</p><table><tr><th>#</th><th>Time (UTC)</th><th>PID</th><th>What IIS saw</th><th>Hang dumps</th><th>Requests around it</th><th>Evidence</th></tr>", esc(&facts::hang_span(p)));
    for (i, h) in p.hangs.iter().enumerate() {
        let ev: Vec<String> = h
            .evidence
            .iter()
            .map(|e| {
                format!(
                    "{} <b>{}</b> {} <span class=\"note\">({} #{})</span>",
                    time::hms(e.time.0),
                    esc(&e.what),
                    esc(&e.text),
                    esc(&file_name(&e.file)),
                    e.record
                )
            })
            .collect();
        let dumps: Vec<String> = h
            .dumps
            .iter()
            .map(|d| format!("<code>{}</code>", esc(&file_name(d))))
            .collect();
        let bucket = h
            .bucket
            .as_ref()
            .map(|b| {
                format!(
                    "<br><span class=\"note\">bucket <code>{}</code></span>",
                    esc(b)
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "<tr><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            h.time,
            facts::pid(h.pid),
            esc(&h.how.join("; ")),
            if dumps.is_empty() { "none".into() } else { dumps.join("<br>") },
            bucket,
            esc(&facts::waits(&h.waits)),
            ev.join("<br>")
        );
    }
    let _ = writeln!(
        s,
        "</table>\n<p><b>Common cause of the hangs:</b> {}</p>",
        esc(&facts::hang_cause(p))
    );
}

/// The time axis and the legend.
fn axis(s: &mut String, f: &Frame, hangs: bool) {
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
        "<text x=\"{left}\" y=\"{:.1}\" fill=\"#555\">UTC, {} — red: crashes (pid) · orange: pool disabled · blue: 503 responses per minute{}</text></svg>",
        h - 6.0,
        &time::short(t0)[..10],
        if hangs { " · dashed brown: stopped answering (hang)" } else { "" }
    );
}

/// The page head, the counts and the verdict rows.
fn head(s: &mut String, inv: &Investigation) {
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>coroner incident report</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(s, "<h1>Incident report</h1>");
    let _ = writeln!(
        s,
        "<p class=\"note\">{}. All times UTC; local times converted with {} ({}). Generated by {}.</p>",
        esc(&super::facts::census(inv)),
        esc(&inv.time_zone.utc_offset),
        esc(&inv.time_zone.source),
        esc(&inv.tool)
    );
    let _ = writeln!(s, "<h2 id=\"verdict\">Analysis summary</h2>\n<table><tr><th>Type</th><th>Description</th><th>Recommendation</th></tr>");
    for r in &inv.verdict {
        let class = match r.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Information => "information",
        };
        let _ = writeln!(
            s,
            "<tr class=\"{class}\"><td class=\"lvl {class}\">{}</td><td>{}</td><td>{}</td></tr>",
            r.level.as_str(),
            esc(&r.description),
            esc(&r.recommendation)
        );
    }
    s.push_str("</table>\n");
}

/// The timeline table.
fn timeline(s: &mut String, inv: &Investigation) {
    let _ = writeln!(
        s,
        "<h2>Timeline</h2>\n<table><tr><th>Time (UTC)</th><th>Kind</th><th>What</th></tr>"
    );
    for t in &inv.timeline {
        let _ = writeln!(
            s,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
            t.time,
            t.kind,
            esc(&t.text)
        );
    }
    s.push_str("</table>\n");
}

/// The crash table of a pool.
fn crashes(s: &mut String, p: &Pool) {
    if !p.crashes.is_empty() {
        let _ = writeln!(s, "<h3>Crashes</h3><table><tr><th>#</th><th>Time (UTC)</th><th>PID</th><th>Exit code</th><th>Exception</th><th>Fault</th><th>Termination seen</th><th>Dump (dump → first event)</th><th>Evidence</th><th>In flight</th></tr>");
        for (i, c) in p.crashes.iter().enumerate() {
            let ev: Vec<String> = c
                .evidence
                .iter()
                .map(|e| {
                    format!(
                        "{} <b>{}</b> {} <span class=\"note\">({} #{})</span>",
                        time::hms(e.time.0),
                        esc(&e.what),
                        esc(&e.text),
                        esc(&file_name(&e.file)),
                        e.record
                    )
                })
                .collect();
            let inflight: Vec<String> = facts::in_flight_at(p, c)
                .map(|f| {
                    let (m, u, ip) = facts::request_parts(f);
                    format!("<code>{} {}</code> from {}", esc(m), esc(u), esc(ip))
                })
                .collect();
            let earlier: String = c
                .other_dumps
                .iter()
                .map(|d| format!("<br>earlier <code>{}</code>", esc(&file_name(d))))
                .collect();
            let dump = match (&c.dump, c.dump_to_event_seconds) {
                (Some(d), Some(dt)) => {
                    format!("<code>{}</code> ({})", esc(&file_name(d)), time::delta(dt))
                }
                (Some(d), None) => format!("<code>{}</code>", esc(&file_name(d))),
                (None, _) => "none — known from events only".into(),
            } + &earlier;
            let _ = writeln!(
                s,
                "<tr><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
                i + 1,
                c.time,
                facts::pid(c.pid),
                esc(facts::exit_code(c)),
                esc(facts::exception_code(c)),
                esc(&facts::fault_at(c)),
                esc(&facts::terminated_at(c)),
                dump,
                c.bucket.as_ref().map(|b| format!("<br><span class=\"note\">bucket <code>{}</code></span>", esc(b))).unwrap_or_default(),
                ev.join("<br>"),
                inflight.join("<br>")
            );
        }
        s.push_str("</table>\n");
    }
}

/// Rapid-fail episodes, the 503 outage and broken connections of a pool.
fn episodes_and_outage(s: &mut String, p: &Pool) {
    if !p.rapid_fail.is_empty() {
        let _ = writeln!(s, "<h3>Rapid-fail episodes</h3><table><tr><th>Disabled</th><th>Detected</th><th>Failures</th><th>Restored</th><th>Duration</th><th>503s</th><th>How the restore was found</th></tr>");
        for r in &p.rapid_fail {
            let _ = writeln!(
                s,
                "<tr><td class=\"mono\">{}</td><td>{}</td><td>{} (pids {})</td><td class=\"mono\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                r.disabled_at,
                esc(&facts::rapid_fail_detected(r)),
                r.failures,
                facts::pids(&r.failure_pids),
                facts::time_or_unknown(r.restored_at),
                facts::duration_or_unknown(r.duration_seconds),
                r.http_503,
                esc(&r.restored_how)
            );
        }
        s.push_str("</table>\n");
    }
    if p.outage.http_503 > 0 {
        let _ = writeln!(
            s,
            "<p><b>Outage:</b> {} responses 503 from {} to {} — {}.</p>",
            p.outage.http_503,
            p.outage.first.map(|t| t.to_string()).unwrap_or_default(),
            p.outage.last.map(|t| t.to_string()).unwrap_or_default(),
            esc(&facts::counts_colon(&p.outage.by_reason))
        );
    }
    let f = &p.failed_requests;
    if f.win32_64 + f.win32_1236 > 0 {
        let _ = writeln!(
            s,
            "<p><b>Broken connections:</b> sc-win32-status 64 × {}, 1236 × {}.</p>",
            f.win32_64, f.win32_1236
        );
    }
}

/// One pool (or process), with its chart.
fn pool(s: &mut String, p: &Pool) {
    let _ = writeln!(
        s,
        "<h2>{} <code>{}</code></h2>",
        if p.kind == "application pool" {
            "Application pool"
        } else {
            "Process"
        },
        esc(&p.name)
    );
    let mut facts = Vec::new();
    if !p.sites.is_empty() {
        facts.push(format!("Sites: {}", esc(&p.sites.join(", "))));
    }
    if p.kind == "application pool" {
        facts.push(format!(
            "Rapid-fail protection: {}, {} failures in {} ({})",
            if p.threshold.enabled { "on" } else { "off" },
            p.threshold.max_crashes,
            time::duration(p.threshold.interval_seconds),
            esc(&p.threshold.source)
        ));
    }
    if !facts.is_empty() {
        let _ = writeln!(s, "<p>{}</p>", facts.join("<br>"));
    }
    s.push_str(&chart(p));
    crashes(s, p);
    hangs(s, p);
    memory(s, p);
    episodes_and_outage(s, p);
}

/// The pool's memory: limits, recycles, and a worker's series of dumps as a table and a chart.
fn memory(s: &mut String, p: &Pool) {
    let lines = super::memory::lines(p);
    if lines.is_empty() {
        return;
    }
    let items: Vec<String> = lines.iter().map(|l| esc(l)).collect();
    let _ = writeln!(
        s,
        "<h3>Memory</h3><ul><li>{}</li></ul>",
        items.join("</li><li>")
    );
    let rows = super::memory::series_rows(p);
    if rows.is_empty() {
        return;
    }
    s.push_str(&super::memory::svg(p));
    let head: String = super::memory::SERIES_HEADER
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

/// Dumps of live processes, and dump groups by bucket.
fn live_dumps_and_groups(s: &mut String, inv: &Investigation) {
    let live = facts::live_dumps(inv);
    if !live.is_empty() {
        let _ = writeln!(s, "<h2>Dumps not counted as crashes</h2><ul>");
        for d in live {
            let _ = writeln!(
                s,
                "<li>{}: {} — <code>{}</code>: {}</li>",
                esc(&facts::live_dump_who(d)),
                esc(&facts::dump_capture(d)),
                esc(&file_name(&d.file)),
                esc(d.not_a_crash.as_deref().unwrap_or(""))
            );
        }
        s.push_str("</ul>\n");
    }

    let _ = writeln!(s, "<h2>Dump groups</h2>");
    if inv.groups.is_empty() {
        s.push_str("<p>No analysed dumps.</p>\n");
    }
    for g in &inv.groups {
        let _ = writeln!(
            s,
            "<h3>{}: <code>{}</code></h3><p><b>Verdict:</b> {}<br>{}{}</p><ul>",
            crate::phrase::count(g.dumps.len(), "dump", "dumps"),
            esc(&g.bucket),
            esc(&g.verdict),
            g.who_to_call
                .as_ref()
                .map(|w| format!("<b>Who to call:</b> {}<br>", esc(w)))
                .unwrap_or_default(),
            if g.pools.is_empty() {
                String::new()
            } else {
                format!("<b>Pools:</b> {}", esc(&g.pools.join(", ")))
            }
        );
        for d in &g.dumps {
            let _ = writeln!(s, "<li><code>{}</code></li>", esc(&d.display().to_string()));
        }
        s.push_str("</ul>\n");
    }
}

/// Each dump.
fn dumps(s: &mut String, inv: &Investigation) {
    let _ = writeln!(s, "<h2>Dumps</h2>");
    for d in &inv.dumps {
        let _ = writeln!(
            s,
            "<details open><summary><code>{}</code></summary><table>",
            esc(&file_name(&d.file))
        );
        let _ = writeln!(
            s,
            "<tr><th>File</th><td><code>{}</code></td></tr>",
            esc(&d.file.display().to_string())
        );
        if let Some(e) = &d.error {
            let _ = writeln!(
                s,
                "<tr><th>Not analysed</th><td>{}</td></tr></table></details>",
                esc(e)
            );
            continue;
        }
        let _ = writeln!(
            s,
            "<tr><th>Time</th><td>{} ({})</td></tr><tr><th>Capture</th><td>{}</td></tr><tr><th>Crash</th><td>{}</td></tr>",
            facts::time_or_unknown(d.time),
            esc(d.time_source.as_deref().unwrap_or("")),
            esc(&facts::dump_capture(d)),
            esc(&facts::dump_crash(d))
        );
        for (k, v) in &d.detail {
            let _ = writeln!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        s.push_str("</table></details>\n");
    }
}

/// The evidence read, the codes explained, the files skipped, the warnings.
fn evidence(s: &mut String, inv: &Investigation) {
    let _ = writeln!(
        s,
        "<h2>Evidence</h2><table><tr><th>File</th><th>Kind</th><th>Records</th><th>Notes</th></tr>"
    );
    for r in facts::evidence_rows(inv) {
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
        let _ = writeln!(s, "<h2>Status codes explained</h2><table><tr><th>Kind</th><th>Code</th><th>Count</th><th>Meaning</th></tr>");
        for c in &inv.codes {
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\">{}</td><td>{}</td></tr>",
                c.kind,
                esc(&c.code),
                c.count,
                esc(&c.meaning)
            );
        }
        s.push_str("</table>\n");
    }
    if !inv.skipped.is_empty() {
        let _ = writeln!(s, "<h2>Skipped</h2><ul>");
        for k in &inv.skipped {
            let _ = writeln!(
                s,
                "<li><code>{}</code>: {}</li>",
                esc(&k.file.display().to_string()),
                esc(&k.reason)
            );
        }
        s.push_str("</ul>\n");
    }
    if !inv.warnings.is_empty() {
        let _ = writeln!(s, "<h2>Warnings</h2><ul>");
        for w in &inv.warnings {
            let _ = writeln!(s, "<li>{}</li>", esc(w));
        }
        s.push_str("</ul>\n");
    }
}
