//! Markdown incident report (for tickets): the same facts as the text report.

use super::facts;
use coroner_incident::file_name;
use coroner_incident::model::*;
use coroner_incident::time;
use std::fmt::Write;

/// Escapes table-breaking characters.
fn md(v: &str) -> String {
    v.replace('|', "\\|").replace('\n', " ").replace('\r', "")
}

/// Renders the report.
pub fn render(inv: &Investigation) -> String {
    let mut s = String::new();
    summary(&mut s, inv);
    let _ = writeln!(s, "\n## Timeline\n");
    let _ = writeln!(s, "| Time (UTC) | Kind | What |\n|---|---|---|");
    for t in &inv.timeline {
        let _ = writeln!(s, "| {} | {} | {} |", t.time, t.kind, md(&t.text));
    }
    for p in &inv.pools {
        pool(&mut s, p);
    }
    live_dumps_and_groups(&mut s, inv);
    dumps(&mut s, inv);
    evidence(&mut s, inv);
    s
}

/// The title, the counts and the verdict rows.
fn summary(s: &mut String, inv: &Investigation) {
    let _ = writeln!(s, "# Incident report\n");
    let _ = writeln!(
        s,
        "{}. All times UTC; local times converted with {} ({}).\n",
        super::facts::census(inv),
        inv.time_zone.utc_offset,
        md(&inv.time_zone.source)
    );
    let _ = writeln!(s, "## Analysis summary\n");
    let _ = writeln!(s, "| Type | Description | Recommendation |\n|---|---|---|");
    for r in &inv.verdict {
        let _ = writeln!(
            s,
            "| **{}** | {} | {} |",
            r.level.as_str(),
            md(&r.description),
            md(&r.recommendation)
        );
    }
}

/// The crash table of a pool.
fn crashes(s: &mut String, p: &Pool) {
    if !p.crashes.is_empty() {
        let _ = writeln!(s, "| # | Time (UTC) | PID | Exit code | Exception | Fault | Termination seen | Dump | Dump → event | Evidence | In flight |\n|---|---|---|---|---|---|---|---|---|---|---|");
        for (i, c) in p.crashes.iter().enumerate() {
            let inflight: Vec<String> = facts::in_flight_at(p, c)
                .map(|f| {
                    let (m, u, ip) = facts::request_parts(f);
                    format!("{m} {u} ({ip})")
                })
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                i + 1,
                c.time,
                facts::pid(c.pid),
                facts::exit_code(c),
                facts::exception_code(c),
                md(&facts::fault_at(c)),
                md(&facts::terminated_at(c)),
                c.dump
                    .iter()
                    .chain(&c.other_dumps)
                    .map(|d| format!("`{}`", md(&file_name(d))))
                    .reduce(|a, b| format!("{a}, earlier {b}"))
                    .unwrap_or_else(|| "none".into()),
                c.dump_to_event_seconds.map(time::delta).unwrap_or_default(),
                md(&c
                    .evidence
                    .iter()
                    .map(|e| e.what.clone())
                    .collect::<Vec<_>>()
                    .join(", ")),
                md(&inflight.join("; "))
            );
        }
        s.push('\n');
    }
}

/// The times the pool stopped answering, as a table, then the cause the hang dumps share.
fn hangs(s: &mut String, p: &Pool) {
    if p.hangs.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "**Hangs**: stopped answering {} (not counted as crashes).\n\n| # | Time (UTC) | PID | What IIS saw | Hang dumps | Bucket | Requests around it | Evidence |\n|---|---|---|---|---|---|---|---|",
        md(&facts::hang_span(p))
    );
    for (i, h) in p.hangs.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            h.time,
            facts::pid(h.pid),
            md(&h.how.join("; ")),
            h.dumps
                .iter()
                .map(|d| format!("`{}`", md(&file_name(d))))
                .reduce(|a, b| format!("{a}, {b}"))
                .unwrap_or_else(|| "none".into()),
            h.bucket.as_deref().map(md).unwrap_or_else(|| "-".into()),
            md(&facts::waits(&h.waits)),
            md(&h
                .evidence
                .iter()
                .map(|e| e.what.clone())
                .collect::<Vec<_>>()
                .join(", "))
        );
    }
    let _ = writeln!(
        s,
        "\n- **Common cause of the hangs**: {}\n",
        md(&facts::hang_cause(p))
    );
}

/// One pool (or process).
/// The pool's memory limits, recycles and a worker's series of dumps.
fn memory(s: &mut String, p: &Pool) {
    let lines = super::memory::lines(p);
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(s, "**Memory**\n");
    for l in lines {
        let _ = writeln!(s, "- {}", md(&l));
    }
    let rows = super::memory::series_rows(p);
    if !rows.is_empty() {
        let _ = writeln!(s, "\n| {} |", super::memory::SERIES_HEADER.join(" | "));
        let _ = writeln!(s, "|---|--:|--:|--:|--:|---|");
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| md(c)).collect();
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
    }
    s.push('\n');
}

fn pool(s: &mut String, p: &Pool) {
    let _ = writeln!(
        s,
        "\n## {} `{}`\n",
        if p.kind == "application pool" {
            "Application pool"
        } else {
            "Process"
        },
        md(&p.name)
    );
    if !p.sites.is_empty() {
        let _ = writeln!(s, "Sites: {}\n", md(&p.sites.join(", ")));
    }
    if p.kind == "application pool" {
        let _ = writeln!(
            s,
            "Rapid-fail protection: {}, {} failures in {} ({}).\n",
            if p.threshold.enabled { "on" } else { "off" },
            p.threshold.max_crashes,
            time::duration(p.threshold.interval_seconds),
            md(&p.threshold.source)
        );
    }
    crashes(s, p);
    hangs(s, p);
    memory(s, p);
    for r in &p.rapid_fail {
        let _ = writeln!(
            s,
            "- **Rapid-fail** ({}): disabled {}, restored {}, duration {}, {} failures (pids {}), {} × 503 meanwhile. Restore: {}",
            r.detected,
            r.disabled_at,
            facts::time_or_unknown(r.restored_at),
            facts::duration_or_unknown(r.duration_seconds),
            r.failures,
            facts::pids(&r.failure_pids),
            r.http_503,
            md(&r.restored_how)
        );
    }
    if p.outage.http_503 > 0 {
        let _ = writeln!(
            s,
            "- **Outage**: {} × 503 from {} to {} ({}).",
            p.outage.http_503,
            p.outage.first.map(|t| t.to_string()).unwrap_or_default(),
            p.outage.last.map(|t| t.to_string()).unwrap_or_default(),
            facts::counts_colon(&p.outage.by_reason)
        );
    }
    let f = &p.failed_requests;
    if f.win32_64 + f.win32_1236 > 0 {
        let _ = writeln!(
            s,
            "- **Broken connections**: sc-win32-status 64 × {}, 1236 × {}.",
            f.win32_64, f.win32_1236
        );
    }
}

/// Dumps of live processes, and dump groups by bucket.
fn live_dumps_and_groups(s: &mut String, inv: &Investigation) {
    let live = facts::live_dumps(inv);
    if !live.is_empty() {
        let _ = writeln!(s, "\n## Dumps not counted as crashes\n");
        for d in live {
            let _ = writeln!(
                s,
                "- {}: {} — `{}`: {}",
                md(&facts::live_dump_who(d)),
                md(&facts::dump_capture(d)),
                md(&file_name(&d.file)),
                md(d.not_a_crash.as_deref().unwrap_or(""))
            );
        }
    }
    let _ = writeln!(s, "\n## Dump groups\n");
    for g in &inv.groups {
        let _ = writeln!(
            s,
            "- **{}**, bucket `{}` — {}{}",
            crate::phrase::count(g.dumps.len(), "dump", "dumps"),
            md(&g.bucket),
            md(&g.verdict),
            g.who_to_call
                .as_ref()
                .map(|w| format!(". Who to call: {}.", md(w)))
                .unwrap_or_default()
        );
        for d in &g.dumps {
            let _ = writeln!(s, "  - `{}`", md(&d.display().to_string()));
        }
    }
}

/// Each dump.
fn dumps(s: &mut String, inv: &Investigation) {
    let _ = writeln!(s, "\n## Dumps\n");
    for d in &inv.dumps {
        let _ = writeln!(s, "### `{}`\n", md(&d.file.display().to_string()));
        if let Some(e) = &d.error {
            let _ = writeln!(s, "Not analysed: {}\n", md(e));
            continue;
        }
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(
            s,
            "| Time | {} ({}) |",
            facts::time_or_unknown(d.time),
            md(d.time_source.as_deref().unwrap_or(""))
        );
        let _ = writeln!(s, "| Capture | {} |", md(&facts::dump_capture(d)));
        let _ = writeln!(s, "| Crash | {} |", md(&facts::dump_crash(d)));
        for (k, v) in &d.detail {
            let _ = writeln!(s, "| {} | {} |", md(k), md(v));
        }
        s.push('\n');
    }
}

/// The evidence read, the codes explained, the files skipped, the warnings.
fn evidence(s: &mut String, inv: &Investigation) {
    let _ = writeln!(s, "## Evidence\n");
    let _ = writeln!(s, "| File | Kind | Records | Notes |\n|---|---|---|---|");
    for r in facts::evidence_rows(inv) {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} |",
            md(&r.file),
            md(&r.kind),
            md(&r.count),
            md(&r.notes)
        );
    }
    if !inv.codes.is_empty() {
        let _ = writeln!(
            s,
            "\n## Status codes explained\n\n| Kind | Code | Count | Meaning |\n|---|---|---|---|"
        );
        for c in &inv.codes {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                c.kind,
                md(&c.code),
                c.count,
                md(&c.meaning)
            );
        }
    }
    if !inv.skipped.is_empty() {
        let _ = writeln!(s, "\n## Skipped\n");
        for k in &inv.skipped {
            let _ = writeln!(
                s,
                "- `{}`: {}",
                md(&k.file.display().to_string()),
                md(&k.reason)
            );
        }
    }
    if !inv.warnings.is_empty() {
        let _ = writeln!(s, "\n## Warnings\n");
        for w in &inv.warnings {
            let _ = writeln!(s, "- {}", md(w));
        }
    }
}
