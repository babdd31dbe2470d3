//! Markdown incident report (for tickets): the same facts as the text report.

use super::facts;
use super::text::{pool_kind, threshold};
use crate::phrase::investigate::said::words as said;
use crate::phrase::investigate::{count, delta, level, words, Noun};
use crate::phrase::{code_meaning, Lang};
use coroner_incident::file_name;
use coroner_incident::model::*;
use std::fmt::Write;

/// Escapes table-breaking characters.
fn md(v: &str) -> String {
    v.replace('|', "\\|").replace('\n', " ").replace('\r', "")
}

/// `| a | b | c |\n|---|---|---|`: a table's header row and its rule.
fn table_head(cols: &[&str]) -> String {
    format!("| {} |\n|{}", cols.join(" | "), "---|".repeat(cols.len()))
}

/// Renders the report in `lang`.
pub fn render(inv: &Investigation, lang: Lang) -> String {
    let w = words(lang);
    let mut s = String::new();
    summary(&mut s, inv, lang);
    let _ = writeln!(s, "\n## {}\n", w.timeline);
    let _ = writeln!(s, "{}", table_head(&[w.time_utc, w.kind, w.what]));
    for t in &inv.timeline {
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            t.time,
            t.kind,
            md(&said(&t.text, lang))
        );
    }
    for p in &inv.pools {
        pool(&mut s, p, lang);
    }
    live_dumps_and_groups(&mut s, inv, lang);
    dumps(&mut s, inv, lang);
    evidence(&mut s, inv, lang);
    s
}

/// The title, the counts and the verdict rows.
fn summary(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    let _ = writeln!(s, "# {}\n", w.incident_report);
    let _ = writeln!(
        s,
        "{}. {}\n",
        facts::census(inv, lang),
        md(&facts::time_zone_note(inv, lang))
    );
    let _ = writeln!(s, "## {}\n", w.analysis_summary);
    let _ = writeln!(
        s,
        "{}",
        table_head(&[w.level_type, w.description, w.recommendation])
    );
    for r in &inv.verdict {
        let (description, recommendation) =
            crate::phrase::investigate::verdict::words_of(&r.kind, inv, lang);
        let _ = writeln!(
            s,
            "| **{}** | {} | {} |",
            level(r.level, lang),
            md(&description),
            md(&recommendation)
        );
    }
}

/// The crash table of a pool.
fn crashes(s: &mut String, p: &Pool, lang: Lang) {
    if p.crashes.is_empty() {
        return;
    }
    let w = words(lang);
    let _ = writeln!(
        s,
        "{}",
        table_head(&[
            "#",
            w.time_utc,
            w.pid,
            w.exit_code,
            w.exception,
            w.fault,
            w.termination_seen,
            w.dump,
            w.dump_to_event,
            w.evidence,
            w.in_flight,
        ])
    );
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
            facts::exit_code(c, lang),
            facts::exception_code(c),
            md(&facts::fault_at(c, lang)),
            md(&facts::terminated_at(c, lang)),
            c.dump
                .iter()
                .chain(&c.other_dumps)
                .map(|d| format!("`{}`", md(&file_name(d))))
                .reduce(|a, b| format!("{a}, {} {b}", w.earlier))
                .unwrap_or_else(|| w.none.into()),
            c.dump_to_event_seconds
                .map(|d| delta(d, lang))
                .unwrap_or_default(),
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

/// The times the pool stopped answering, as a table, then the cause the hang dumps share.
fn hangs(s: &mut String, p: &Pool, lang: Lang) {
    if p.hangs.is_empty() {
        return;
    }
    let w = words(lang);
    let span = md(&facts::hang_span(p, lang));
    let _ = match lang {
        Lang::En => writeln!(
            s,
            "**Hangs**: stopped answering {span} (not counted as crashes).\n"
        ),
        Lang::Ko => writeln!(
            s,
            "**응답 없음**: {span} 응답을 멈췄습니다 (충돌로 집계하지 않습니다).\n"
        ),
    };
    let _ = writeln!(
        s,
        "{}",
        table_head(&[
            "#",
            w.time_utc,
            w.pid,
            w.what_iis_saw,
            w.hang_dumps,
            w.bucket_title,
            w.requests_around,
            w.evidence,
        ])
    );
    for (i, h) in p.hangs.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            h.time,
            facts::pid(h.pid),
            md(&facts::hows(h, lang)),
            h.dumps
                .iter()
                .map(|d| format!("`{}`", md(&file_name(d))))
                .reduce(|a, b| format!("{a}, {b}"))
                .unwrap_or_else(|| w.none.into()),
            h.bucket.as_deref().map(md).unwrap_or_else(|| "-".into()),
            md(&facts::waits(&h.waits, lang)),
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
        "\n- **{}**: {}\n",
        w.common_cause_of_hangs,
        md(&facts::hang_cause(p, lang))
    );
}

/// A rapid-fail episode as a bullet.
fn rapid_fail(s: &mut String, r: &RapidFail, lang: Lang) {
    let (at, restored, lasted) = (
        r.disabled_at,
        facts::time_or_unknown(r.restored_at, lang),
        facts::duration_or_unknown(r.duration_seconds, lang),
    );
    let (n, pids, n503, how) = (
        r.failures,
        facts::pids(&r.failure_pids),
        r.http_503,
        md(&said(&r.restored_how, lang)),
    );
    let _ = match lang {
        Lang::En => writeln!(
            s,
            "- **Rapid-fail** ({}): disabled {at}, restored {restored}, duration {lasted}, {n} failures (pids {pids}), {n503} × 503 meanwhile. Restore: {how}",
            r.detected
        ),
        Lang::Ko => writeln!(
            s,
            "- **빠른 장애 방지** ({}): {at} 사용 안 함 설정, 복원 {restored}, 기간 {lasted}, 실패 {n}회 (PID {pids}), 그동안 503 응답 {n503}건. 복원: {how}",
            r.detected
        ),
    };
}

/// The 503 outage and the broken connections of a pool, as bullets.
fn outage(s: &mut String, p: &Pool, lang: Lang) {
    if p.outage.http_503 > 0 {
        let (n, first, last, why) = (
            p.outage.http_503,
            p.outage.first.map(|t| t.to_string()).unwrap_or_default(),
            p.outage.last.map(|t| t.to_string()).unwrap_or_default(),
            facts::counts_colon(&p.outage.by_reason),
        );
        let _ = match lang {
            Lang::En => writeln!(s, "- **Outage**: {n} × 503 from {first} to {last} ({why})."),
            Lang::Ko => writeln!(
                s,
                "- **서비스 중단**: {first}부터 {last}까지 503 응답 {n}건 ({why})."
            ),
        };
    }
    let f = &p.failed_requests;
    if f.win32_64 + f.win32_1236 > 0 {
        let _ = writeln!(
            s,
            "- **{}**: sc-win32-status 64 × {}, 1236 × {}.",
            words(lang).broken_connections,
            f.win32_64,
            f.win32_1236
        );
    }
}

/// The pool's memory limits, recycles and a worker's series of dumps.
fn memory(s: &mut String, p: &Pool, lang: Lang) {
    let lines = crate::phrase::investigate::memory::lines(p, lang);
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(s, "**{}**\n", words(lang).memory);
    for l in lines {
        let _ = writeln!(s, "- {}", md(&l));
    }
    let rows = super::memory::series_rows(p);
    if !rows.is_empty() {
        let h = crate::phrase::investigate::memory::series_header(lang);
        let _ = writeln!(s, "\n| {} |", h.join(" | "));
        let _ = writeln!(s, "|---|--:|--:|--:|--:|---|");
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| md(c)).collect();
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
    }
    s.push('\n');
}

/// One pool (or process).
fn pool(s: &mut String, p: &Pool, lang: Lang) {
    let _ = writeln!(s, "\n## {} `{}`\n", pool_kind(p, lang), md(&p.name));
    if !p.sites.is_empty() {
        let _ = writeln!(s, "{}: {}\n", words(lang).sites, md(&p.sites.join(", ")));
    }
    if p.kind == "application pool" {
        let _ = writeln!(s, "{}.\n", md(&threshold(p, lang)));
    }
    crashes(s, p, lang);
    hangs(s, p, lang);
    memory(s, p, lang);
    for r in &p.rapid_fail {
        rapid_fail(s, r, lang);
    }
    outage(s, p, lang);
}

/// Dumps of live processes, and dump groups by bucket.
fn live_dumps_and_groups(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    let live = facts::live_dumps(inv);
    if !live.is_empty() {
        let _ = writeln!(s, "\n## {}\n", w.live_dumps);
        for d in live {
            let _ = writeln!(
                s,
                "- {}: {} — `{}`: {}",
                md(&facts::live_dump_who(d, lang)),
                md(&facts::dump_capture(d, lang)),
                md(&file_name(&d.file)),
                md(&d
                    .not_a_crash
                    .as_ref()
                    .map(|n| said(n, lang))
                    .unwrap_or_default())
            );
        }
    }
    let _ = writeln!(s, "\n## {}\n", w.dump_groups);
    for g in &inv.groups {
        let _ = writeln!(
            s,
            "- **{}**, {} `{}` — {}{}",
            count(g.dumps.len(), Noun::Dump, lang),
            w.bucket,
            md(&g.bucket),
            md(&crate::phrase::investigate::quoted::title(
                g.analysis.as_ref(),
                &g.verdict,
                lang
            )),
            crate::phrase::investigate::quoted::who_to_call(
                g.analysis.as_ref(),
                g.who_to_call.as_deref(),
                lang
            )
            .map(|who| format!(". {}: {}.", w.who_to_call, md(&who)))
            .unwrap_or_default()
        );
        for d in &g.dumps {
            let _ = writeln!(s, "  - `{}`", md(&d.display().to_string()));
        }
    }
}

/// Each dump.
fn dumps(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    let _ = writeln!(s, "\n## {}\n", w.dumps);
    for d in &inv.dumps {
        let _ = writeln!(s, "### `{}`\n", md(&d.file.display().to_string()));
        if let Some(e) = &d.error {
            let e = crate::phrase::failed(e, d.failure.as_ref(), lang);
            let _ = writeln!(s, "{}: {}\n", w.not_analysed, md(&e));
            continue;
        }
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(
            s,
            "| {} | {} ({}) |",
            w.time,
            facts::time_or_unknown(d.time, lang),
            md(&d
                .time_source
                .as_ref()
                .map(|t| said(t, lang))
                .unwrap_or_default())
        );
        let _ = writeln!(
            s,
            "| {} | {} |",
            w.capture,
            md(&facts::dump_capture(d, lang))
        );
        let _ = writeln!(s, "| {} | {} |", w.crash, md(&facts::dump_crash(d, lang)));
        for (k, v) in &crate::phrase::investigate::quoted::detail(d, lang) {
            let _ = writeln!(s, "| {} | {} |", md(k), md(v));
        }
        s.push('\n');
    }
}

/// The evidence read, the codes explained, the files skipped, the warnings.
fn evidence(s: &mut String, inv: &Investigation, lang: Lang) {
    let w = words(lang);
    let _ = writeln!(s, "## {}\n", w.evidence);
    let _ = writeln!(s, "{}", table_head(&[w.file, w.kind, w.records, w.notes]));
    for r in facts::evidence_rows(inv, lang) {
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
            "\n## {}\n\n{}",
            w.status_codes,
            table_head(&[w.kind, w.code, w.count, w.meaning])
        );
        for c in &inv.codes {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                c.kind,
                md(&c.code),
                c.count,
                md(&code_meaning(c.kind, &c.code, &c.meaning, lang))
            );
        }
    }
    if !inv.skipped.is_empty() {
        let _ = writeln!(s, "\n## {}\n", w.skipped);
        for k in &inv.skipped {
            let _ = writeln!(
                s,
                "- `{}`: {}",
                md(&k.file.display().to_string()),
                md(&said(&k.reason, lang))
            );
        }
    }
    if !inv.warnings.is_empty() {
        let _ = writeln!(s, "\n## {}\n", w.warnings);
        for x in &inv.warnings {
            let _ = writeln!(s, "- {}", md(&said(x, lang)));
        }
    }
}
