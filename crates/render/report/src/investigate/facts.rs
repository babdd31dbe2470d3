//! Facts the three human renderers (text, Markdown, HTML) show alike, phrased once here as plain
//! text; each renderer only escapes and lays them out.

use crate::phrase::investigate::said::words as said;
use crate::phrase::investigate::{count, duration, seconds_ms, words, Noun};
use crate::phrase::Lang;
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
pub fn time_or_unknown(t: Option<Time>, lang: Lang) -> String {
    t.map(|t| t.to_string())
        .unwrap_or_else(|| words(lang).unknown.into())
}

/// A duration, `unknown` when there is none.
pub fn duration_or_unknown(s: Option<i64>, lang: Lang) -> String {
    s.map(|s| duration(s, lang))
        .unwrap_or_else(|| words(lang).unknown.into())
}

/// How a rapid-fail episode was found: the event that says so, or the prediction.
pub fn rapid_fail_detected(r: &RapidFail, lang: Lang) -> String {
    if r.detected == "event" {
        r.event
            .as_ref()
            .map(|e| e.what.clone())
            .unwrap_or_else(|| "event".into())
    } else {
        words(lang).predicted.into()
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
pub fn dump_crash(d: &DumpInfo, lang: Lang) -> String {
    match (&d.crash, &d.not_a_crash, lang) {
        (Some(c), _, Lang::En) => format!("{} at {}", c.pool, c.time),
        (Some(c), _, Lang::Ko) => format!("{}, {}", c.pool, c.time),
        (None, Some(n), Lang::En) => format!("not a crash: {n}"),
        (None, Some(n), Lang::Ko) => format!("충돌 아님: {}", said(n, lang)),
        (None, None, _) => words(lang).not_matched.into(),
    }
}

/// What IIS saw of a hang, in order: `failed to respond to a ping; …`.
pub fn hows(h: &Hang, lang: Lang) -> String {
    let hows: Vec<String> = h.how.iter().map(|x| said(x, lang)).collect();
    hows.join("; ")
}

/// `manual dump — DebugDiag file name "Manual Dump"`.
pub fn dump_capture(d: &DumpInfo, lang: Lang) -> String {
    format!(
        "{} — {}",
        said(&d.capture, lang),
        said(&d.capture_from, lang)
    )
}

/// The exit code of a crash, `unknown` when no termination event gives it.
pub fn exit_code(c: &Crash, lang: Lang) -> &str {
    c.exit_code.as_deref().unwrap_or(words(lang).unknown)
}

/// The exception code of a crash, `-` when none is known.
pub fn exception_code(c: &Crash) -> &str {
    c.exception_code.as_deref().unwrap_or("-")
}

/// `10:23:41 (dump header (UTC))`, or `unknown`.
fn at(t: Option<Time>, source: Option<&str>, lang: Lang) -> String {
    match t {
        Some(t) => format!("{} ({})", time::hms(t.0), source.unwrap_or("?")),
        None => words(lang).unknown.into(),
    }
}

/// When the process faulted.
pub fn fault_at(c: &Crash, lang: Lang) -> String {
    let source = c.fault_time_source.as_ref().map(|s| said(s, lang));
    at(c.fault_time, source.as_deref(), lang)
}

/// When the service saw the process die.
pub fn terminated_at(c: &Crash, lang: Lang) -> String {
    match c.terminated_at {
        Some(_) => at(c.terminated_at, c.terminated_source.as_deref(), lang),
        None => words(lang).no_termination_event.into(),
    }
}

/// `fault 10:23:41 (dump header (UTC)); termination seen 10:23:43 (W3SVC 1011); exit code from
/// W3SVC 1009; exception from dump`.
pub fn crash_times(c: &Crash, lang: Lang) -> String {
    let (fault, seen) = (fault_at(c, lang), terminated_at(c, lang));
    let mut s = match lang {
        Lang::En => format!("fault {fault}; termination seen {seen}"),
        Lang::Ko => format!("오류 발생 {fault}; 종료 확인 {seen}"),
    };
    if let Some(src) = &c.exit_code_source {
        s.push_str(&match lang {
            Lang::En => format!("; exit code from {src}"),
            Lang::Ko => format!("; 종료 코드 출처 {src}"),
        });
    }
    if let Some(src) = c.exception_code_source.as_ref().map(|s| said(s, lang)) {
        s.push_str(&match lang {
            Lang::En => format!("; exception from {src}"),
            Lang::Ko => format!("; 예외 출처 {src}"),
        });
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
pub fn live_dump_who(d: &DumpInfo, lang: Lang) -> String {
    let who = d
        .app_pool
        .as_deref()
        .or(d.process.as_deref())
        .unwrap_or(words(lang).process_lower);
    let (p, t) = (pid(d.pid), time_or_unknown(d.time, lang));
    match lang {
        Lang::En => format!("{who} pid {p} at {t}"),
        Lang::Ko => format!("{who} PID {p}, {t}"),
    }
}

/// One row of the evidence table: what was read, how much, and what was wrong with it.
pub struct EvidenceRow {
    /// `event log`, `W3C log`, `HTTPERR log`, `config`, `Report.wer` (in the report's language).
    pub category: &'static str,
    pub file: String,
    pub kind: String,
    pub count: String,
    pub notes: String,
}

/// `, 3 skipped` / `, 잘못된 줄 3개 건너뜀` after an evidence row's notes.
fn skipped(n: u64, noun: Noun, lang: Lang) -> String {
    match lang {
        Lang::En => format!(", {} skipped", count(n, noun, lang)),
        Lang::Ko => format!(", {} 건너뜀", count(n, noun, lang)),
    }
}

/// `DefaultAppPool (rapid-fail on: 5 in 5 min)`.
fn pool_setting(name: &str, on: bool, max: u32, interval: i64, lang: Lang) -> String {
    let w = words(lang);
    let on = if on { w.on } else { w.off };
    let within = duration(interval, lang);
    match lang {
        Lang::En => format!("{name} (rapid-fail {on}: {max} in {within})"),
        Lang::Ko => format!("{name} (빠른 장애 방지 {on}: {within} 안에 {max}회)"),
    }
}

/// The rows of the event logs read.
fn event_log_rows(inv: &Investigation, lang: Lang, rows: &mut Vec<EvidenceRow>) {
    for l in &inv.event_logs {
        let mut notes = match lang {
            Lang::En => format!("{} understood", l.understood),
            Lang::Ko => format!("해석 {}개", l.understood),
        };
        if l.recovered > 0 {
            notes.push_str(&match lang {
                Lang::En => format!(", {} recovered", l.recovered),
                Lang::Ko => format!(", 복구 {}개", l.recovered),
            });
        }
        if l.damaged > 0 {
            notes.push_str(&skipped(l.damaged, Noun::DamagedPart, lang));
        }
        rows.push(EvidenceRow {
            category: words(lang).cat_event_log,
            file: l.file.display().to_string(),
            kind: l.kind.clone(),
            count: count(l.records, Noun::Record, lang),
            notes,
        });
    }
}

/// The rows of the web logs read.
fn web_log_rows(inv: &Investigation, lang: Lang, rows: &mut Vec<EvidenceRow>) {
    let w = words(lang);
    for l in &inv.web_logs {
        let (status, reasons) = match lang {
            Lang::En => ("status", "reasons"),
            Lang::Ko => ("상태", "원인"),
        };
        let mut notes = format!("{status} {}", counts_x(&l.by_status));
        if !l.by_reason.is_empty() {
            notes.push_str(&format!(", {reasons} {}", counts_x(&l.by_reason)));
        }
        if l.problems > 0 {
            notes.push_str(&skipped(l.problems, Noun::BadLine, lang));
        }
        let kind = if l.kind == "w3c" {
            w.cat_w3c_log
        } else {
            w.cat_httperr_log
        };
        rows.push(EvidenceRow {
            category: kind,
            file: l.file.display().to_string(),
            kind: kind.into(),
            count: count(l.requests, Noun::Entry, lang),
            notes,
        });
    }
}

/// Every evidence file that was read, in a fixed order: event logs, web logs, configuration,
/// WER reports.
pub fn evidence_rows(inv: &Investigation, lang: Lang) -> Vec<EvidenceRow> {
    let mut rows = Vec::new();
    event_log_rows(inv, lang, &mut rows);
    web_log_rows(inv, lang, &mut rows);
    for c in &inv.configs {
        rows.push(EvidenceRow {
            category: words(lang).cat_config,
            file: c.file.display().to_string(),
            kind: c.kind.to_string(),
            count: count(c.pools.len(), Noun::Pool, lang),
            notes: c
                .pools
                .iter()
                .map(|p| {
                    pool_setting(
                        &p.name,
                        p.rapid_fail_protection,
                        p.max_crashes,
                        p.interval_seconds,
                        lang,
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
            count: count(1, Noun::Report, lang),
            notes: format!(
                "{} {} {} {}",
                w.event_type.as_deref().unwrap_or("?"),
                w.app.as_deref().unwrap_or("?"),
                words(lang).pid_lower,
                pid(w.pid)
            ),
        });
    }
    rows
}

/// The evidence read, counted: "7 dumps, 2 event logs, 2 web logs".
pub fn evidence_census(inv: &Investigation, lang: Lang) -> String {
    format!(
        "{}, {}, {}",
        count(inv.dumps.len(), Noun::Dump, lang),
        count(inv.event_logs.len(), Noun::EventLog, lang),
        count(inv.web_logs.len(), Noun::WebLog, lang)
    )
}

/// The crashes and the evidence, counted: "7 crashes, 7 dumps, 2 event logs, 2 web logs".
pub fn census(inv: &Investigation, lang: Lang) -> String {
    let crashes: usize = inv.pools.iter().map(|p| p.crashes.len()).sum();
    format!(
        "{}{}, {}",
        count(crashes, Noun::Crash, lang),
        hang_census(inv, false, lang),
        evidence_census(inv, lang)
    )
}

/// `, 2 hangs` (`, 2 hangs of 1 pool` with `pools`), or nothing when no pool hung.
pub fn hang_census(inv: &Investigation, pools: bool, lang: Lang) -> String {
    let hangs: usize = inv.pools.iter().map(|p| p.hangs.len()).sum();
    if hangs == 0 {
        return String::new();
    }
    let n = inv.pools.iter().filter(|p| !p.hangs.is_empty()).count();
    let hangs = count(hangs, Noun::Hang, lang);
    let pools_n = count(n, Noun::Pool, lang);
    match (pools, lang) {
        (false, _) => format!(", {hangs}"),
        (true, Lang::En) => format!(", {hangs} of {pools_n}"),
        (true, Lang::Ko) => format!(", {hangs}({pools_n})"),
    }
}

/// The incident's headline: "7 crashes of 3 pools or processes, 2 hangs of 1 pool, 9 dumps, …".
pub fn headline(inv: &Investigation, lang: Lang) -> String {
    let crashes: usize = inv.pools.iter().map(|p| p.crashes.len()).sum();
    let pools = inv.pools.iter().filter(|p| !p.crashes.is_empty()).count();
    let (c, p) = (
        count(crashes, Noun::Crash, lang),
        count(pools, Noun::PoolOrProcess, lang),
    );
    let rest = format!(
        "{}, {}",
        hang_census(inv, true, lang),
        evidence_census(inv, lang)
    );
    match lang {
        Lang::En => format!("{c} of {p}{rest}"),
        Lang::Ko => format!("{c}({p}){rest}"),
    }
}

/// "All times UTC; local times converted with UTC-05:00 (source)."
pub fn time_zone_note(inv: &Investigation, lang: Lang) -> String {
    let tz = &inv.time_zone;
    match lang {
        Lang::En => format!(
            "All times UTC; local times converted with {} ({}).",
            tz.utc_offset, tz.source
        ),
        Lang::Ko => format!(
            "모든 시간은 UTC입니다. 로컬 시간은 {} 기준으로 변환했습니다 ({}).",
            tz.utc_offset,
            said(&tz.source, lang)
        ),
    }
}

/// `118.0 s` for a `time-taken` in milliseconds.
pub fn ms(v: u64, lang: Lang) -> String {
    seconds_ms(v, lang)
}

/// `14 requests logged with a time-taken, 9 took 10.0 s or more, the longest 118.2 s
/// (median 61.0 s)`.
fn timed(w: &RequestWaits, lang: Lang) -> String {
    let (n, slow, limit) = (
        count(w.timed, Noun::Request, lang),
        w.slow,
        ms(w.slow_ms, lang),
    );
    let mut s = match (lang, w.longest_ms) {
        (Lang::En, None) => format!("{n} logged with a time-taken, {slow} took {limit} or more"),
        (Lang::En, Some(l)) => format!(
            "{n} logged with a time-taken, {slow} took {limit} or more, the longest {}",
            ms(l, lang)
        ),
        (Lang::Ko, None) => {
            format!("time-taken이 기록된 {n} 중 {slow}건이 {limit} 이상 걸렸습니다")
        }
        (Lang::Ko, Some(l)) => format!(
            "time-taken이 기록된 {n} 중 {slow}건이 {limit} 이상 걸렸고, 가장 긴 요청은 {}였습니다",
            ms(l, lang)
        ),
    };
    if let Some(m) = w.median_ms {
        s.push_str(&match lang {
            Lang::En => format!(" (median {})", ms(m, lang)),
            Lang::Ko => format!(" (중앙값 {})", ms(m, lang)),
        });
    }
    s
}

/// How long requests waited around one hang: `14 requests logged with a time-taken, 9 took
/// 10.0 s or more, the longest 118.2 s (median 61.0 s); HTTPERR: Timer_ConnectionIdle: 3;
/// 4 connections abandoned by the pool`, or `no request of the pool logged around it`.
pub fn waits(w: &RequestWaits, lang: Lang) -> String {
    let mut parts = Vec::new();
    if w.timed > 0 {
        parts.push(timed(w, lang));
    }
    if !w.timers.is_empty() {
        parts.push(match lang {
            Lang::En => format!("HTTPERR timeouts: {}", counts_colon(&w.timers)),
            Lang::Ko => format!("HTTPERR 시간 초과: {}", counts_colon(&w.timers)),
        });
    }
    if w.abandoned > 0 {
        let n = count(w.abandoned, Noun::Connection, lang);
        parts.push(match lang {
            Lang::En => {
                format!("{n} abandoned by the pool (Connection_Abandoned_By_AppPool)")
            }
            Lang::Ko => format!("응용 프로그램 풀이 버린 {n} (Connection_Abandoned_By_AppPool)"),
        });
    }
    if parts.is_empty() {
        return words(lang).no_request_logged.into();
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
pub fn hang_span(p: &Pool, lang: Lang) -> String {
    let n = p.hangs.len();
    let (first, last) = (p.hangs[0].time, p.hangs[n - 1].time);
    let pids: Vec<u32> = p.hangs.iter().filter_map(|h| h.pid).collect();
    let mut s = match (n, lang) {
        (1, Lang::En) => format!("once, at {first} UTC"),
        (_, Lang::En) => format!("{n} times between {first} and {last} UTC"),
        (1, Lang::Ko) => format!("{first} UTC에 1회"),
        (_, Lang::Ko) => format!("{first}부터 {last} UTC 사이에 {n}회"),
    };
    if !pids.is_empty() {
        let label = match (pids.len(), lang) {
            (1, Lang::En) => "process id",
            (_, Lang::En) => "process ids",
            (_, Lang::Ko) => "프로세스 ID",
        };
        s.push_str(&format!(" ({label} {})", self::pids(&pids)));
    }
    s
}

/// `2 of 2 hang dumps share the bucket B: verdict` — the bucket and the verdict the hang dumps
/// share.
fn shared_cause(c: &HangCause, lang: Lang) -> String {
    let verdict = crate::phrase::investigate::quoted::title(c.analysis.as_ref(), &c.verdict, lang);
    let verdict = verdict.trim_end_matches('.');
    match (&c.bucket, lang) {
        // The dump side's words (`phrase::sharing`) until it takes a language.
        (Some(b), Lang::En) => format!(
            "{} the bucket {b}: {verdict}",
            crate::phrase::sharing(c.dumps_with_bucket, c.dumps, Lang::En)
        ),
        (Some(b), Lang::Ko) if c.dumps == 1 => format!("덤프의 버킷은 {b}입니다: {verdict}"),
        (Some(b), Lang::Ko) => crate::phrase::particles(&format!(
            "덤프 {}개 중 {}개가 버킷 {b}을(를) 공유합니다: {verdict}",
            c.dumps, c.dumps_with_bucket
        )),
        (None, Lang::En) => format!(
            "The {} say{}: {verdict}",
            count(c.dumps, Noun::HangDump, lang),
            if c.dumps == 1 { "s" } else { "" }
        ),
        (None, Lang::Ko) => format!(
            "{}의 분석 결과: {verdict}",
            count(c.dumps, Noun::HangDump, lang)
        ),
    }
}

/// The cause the hang dumps share: `2 of 2 hang dumps share the bucket B: verdict`, or why
/// it is unknown.
pub fn hang_cause(p: &Pool, lang: Lang) -> String {
    let dumps: usize = p.hangs.iter().map(|h| h.dumps.len()).sum();
    let w = words(lang);
    match &p.hang_cause {
        None if dumps == 0 => w.cause_unknown_no_dump.into(),
        None => w.cause_unknown_unanalysed.into(),
        Some(c) => {
            let who = crate::phrase::investigate::quoted::who_to_call(
                c.analysis.as_ref(),
                c.who_to_call.as_deref(),
                lang,
            );
            let who = who.as_deref().unwrap_or(w.nobody_blamed);
            format!("{}. {}: {who}", shared_cause(c, lang), w.who_to_call)
        }
    }
}

/// The requests in flight that a hang abandoned.
pub fn in_flight_in<'a>(p: &'a Pool, h: &'a Hang) -> impl Iterator<Item = &'a InFlight> {
    p.in_flight
        .iter()
        .filter(move |i| i.hang_time == Some(h.time))
}
