//! The sentences of the incident's verdict rows (DebugDiag-style Error / Warning / Information,
//! each a description and a recommendation), from the typed [`VerdictKind`] the correlation
//! decides; English and Korean side by side. The English words are the JSON document's.
//!
//! Sentences that quote a dump's analysis (a group's verdict, who to call, its recommendation)
//! quote the words the dump side gave the investigation, which are English until the incident
//! model carries the dump's typed finding.

use super::said::words as said;
use super::{count, duration, words, Noun};
use crate::investigate::facts;
use crate::phrase::Lang;
use coroner_incident::model::*;
use coroner_incident::time::{self, Time};

/// A verdict row of `kind` at `level`, worded in English (the JSON document's language).
pub fn row(level: Level, kind: VerdictKind, inv: &Investigation) -> VerdictRow {
    let (description, recommendation) = words_of(&kind, inv, Lang::En);
    VerdictRow {
        level,
        kind,
        description,
        recommendation,
    }
}

/// The description and the recommendation of a verdict row in `lang`.
pub fn words_of(kind: &VerdictKind, inv: &Investigation, lang: Lang) -> (String, String) {
    match kind {
        VerdictKind::Crashes { .. } => crashes(kind, lang),
        VerdictKind::Hangs { .. } => hangs(kind, inv, lang),
        VerdictKind::RapidFail { .. } => rapid_fail(kind, lang),
        VerdictKind::InFlight { .. } => in_flight(kind, lang),
        VerdictKind::BrokenConnections {
            pool,
            win32_64,
            win32_1236,
        } => broken_connections(pool, *win32_64, *win32_1236, lang),
        VerdictKind::Outage { .. } => outage(kind, lang),
        VerdictKind::Memory { pool, latest } => {
            super::memory::words(inv, pool, latest.as_ref(), lang)
        }
        VerdictKind::Group {
            dumps,
            bucket,
            verdict,
            recommendation,
            analysis,
        } => {
            let q = analysis.as_ref();
            let verdict = super::quoted::title(q, verdict, lang);
            let rec = super::quoted::recommendation(q, recommendation, lang);
            group(*dumps, bucket, &verdict, &rec, lang)
        }
        VerdictKind::LiveDumps { dumps } => live_dumps(dumps, lang),
        VerdictKind::Unmatched { files } => unmatched(files, lang),
        VerdictKind::ApartInTime { .. } => apart_in_time(kind, lang),
        VerdictKind::TimeZone { utc_offset, source } => time_zone(utc_offset, source, lang),
        VerdictKind::Evidence { .. } => evidence(kind, lang),
    }
}

/// A recommendation the dump analysis gave, quoted: as it is in English, introduced in Korean.
fn quoted(rec: &str, lang: Lang) -> String {
    match lang {
        Lang::En => rec.to_string(),
        Lang::Ko => format!("덤프 분석의 권장 사항: {rec}"),
    }
}

fn list(items: &[String], sep: &str) -> String {
    items.join(sep)
}

/// `1 crash of application pool 'P' at T UTC, process id 1. A dump of it was found.`
fn crash_count(kind: &VerdictKind, lang: Lang) -> String {
    let VerdictKind::Crashes {
        pool,
        app_pool,
        crashes: n,
        first,
        last,
        pids,
        with_dump,
        ..
    } = kind
    else {
        return String::new();
    };
    let (n, k) = (*n, *with_dump);
    let what = match (app_pool, lang) {
        (true, Lang::En) => format!("application pool '{pool}'"),
        (true, Lang::Ko) => format!("응용 프로그램 풀 '{pool}'"),
        (false, _) => pool.clone(),
    };
    let lasted = duration(last.0 - first.0, lang);
    let mut d = match (n, lang) {
        (1, Lang::En) => format!("1 crash of {what} at {first} UTC"),
        (_, Lang::En) => {
            format!("{n} crashes of {what} between {first} and {last} UTC ({lasted})")
        }
        (1, Lang::Ko) => format!("{what}에서 {first} UTC에 충돌이 1건 발생했습니다"),
        (_, Lang::Ko) => {
            format!("{what}에서 {first}부터 {last} UTC 사이({lasted})에 충돌이 {n}건 발생했습니다")
        }
    };
    if !pids.is_empty() {
        let label = match (pids.len(), lang) {
            (1, Lang::En) => "process id",
            (_, Lang::En) => "process ids",
            (_, Lang::Ko) => "프로세스 ID",
        };
        // Korean ends the sentence first: a comma after 발생했습니다 does not read.
        d.push_str(&match lang {
            Lang::En => format!(", {label} {}", facts::pids(pids)),
            Lang::Ko => format!(". {label}: {}", facts::pids(pids)),
        });
    }
    d.push_str(&match (n, k, lang) {
        (1, 1, Lang::En) => ". A dump of it was found.".to_string(),
        (1, _, Lang::En) => ". No dump of it was found.".to_string(),
        (_, 0, Lang::En) => ". None of them has a dump.".to_string(),
        (_, k, Lang::En) if k == n => format!(". All {n} have a dump."),
        (_, 1, Lang::En) => ". 1 of them has a dump.".to_string(),
        (_, k, Lang::En) => format!(". {k} of them have a dump."),
        (1, 1, Lang::Ko) => ". 이 충돌의 덤프가 있습니다.".to_string(),
        (1, _, Lang::Ko) => ". 이 충돌의 덤프는 찾지 못했습니다.".to_string(),
        (_, 0, Lang::Ko) => ". 덤프가 있는 충돌은 없습니다.".to_string(),
        (_, k, Lang::Ko) if k == n => format!(". {n}건 모두 덤프가 있습니다."),
        (_, k, Lang::Ko) => format!(". 그중 {k}건에 덤프가 있습니다."),
    });
    d
}

/// The crashes of a pool, their dumps and the cause the dumps share.
fn crashes(kind: &VerdictKind, lang: Lang) -> (String, String) {
    let VerdictKind::Crashes {
        process,
        with_dump,
        cause,
        ..
    } = kind
    else {
        return (String::new(), String::new());
    };
    let mut d = crash_count(kind, lang);
    if let Some(c) = cause {
        let verdict = super::quoted::title(c.analysis.as_ref(), &c.verdict, lang);
        let verdict = verdict.trim_end_matches('.');
        d.push_str(&match lang {
            Lang::En => format!(
                " {} the bucket {}: {verdict}.",
                crate::phrase::sharing(c.dumps, *with_dump, Lang::En),
                c.bucket
            ),
            Lang::Ko if *with_dump == 1 => {
                format!(" 덤프의 버킷은 {}입니다: {verdict}.", c.bucket)
            }
            Lang::Ko => crate::phrase::particles(&format!(
                " 덤프 {with_dump}개 중 {}개가 버킷 {}을(를) 공유합니다: {verdict}.",
                c.dumps, c.bucket
            )),
        });
        let who = super::quoted::who_to_call(c.analysis.as_ref(), c.who_to_call.as_deref(), lang);
        if let Some(w) = who {
            d.push_str(&format!(" {}: {w}.", words(lang).who_to_call));
        }
    }
    let rec = match (cause, lang) {
        (Some(c), _) if !c.recommendation.is_empty() => quoted(
            &super::quoted::recommendation(c.analysis.as_ref(), &c.recommendation, lang),
            lang,
        ),
        (_, Lang::En) if *with_dump == 0 => format!("Capture a crash dump of the next crash (DebugDiag crash rule or `procdump -ma -e -w {process}`) and run coroner on it."),
        (_, Lang::Ko) if *with_dump == 0 => format!("다음 충돌 때 충돌 덤프를 수집하고(DebugDiag 충돌 규칙 또는 `procdump -ma -e -w {process}`) coroner로 분석하십시오."),
        (_, Lang::En) => "See the per-dump analysis below.".into(),
        (_, Lang::Ko) => "아래의 덤프별 분석을 참조하십시오.".into(),
    };
    (d, rec)
}

/// The times a pool stopped answering, how long requests waited, and the cause its hang dumps
/// share (the pool's facts, phrased by [`facts`]).
fn hangs(kind: &VerdictKind, inv: &Investigation, lang: Lang) -> (String, String) {
    let VerdictKind::Hangs {
        pool,
        hangs: n,
        with_dump,
        dumps,
        hows,
        recommendation,
        analysis,
    } = kind
    else {
        return (String::new(), String::new());
    };
    let Some(p) = inv
        .pools
        .iter()
        .find(|p| &p.name == pool && !p.hangs.is_empty())
    else {
        return (String::new(), String::new());
    };
    let (span, waits, cause) = (
        facts::hang_span(p, lang),
        facts::waits(&facts::pool_waits(p), lang),
        facts::hang_cause(p, lang),
    );
    let hows: Vec<String> = hows.iter().map(|h| said(h, lang)).collect();
    let hows = hows.join("; ");
    // A hang no record ties to a pool (Application Hang 1002 of a program) is its process's.
    let who = match p.kind {
        "process" => words(lang).process,
        _ => words(lang).application_pool,
    };
    let d = match lang {
        Lang::En => format!(
            "{who} '{pool}' stopped answering {span}: its worker {hows}. {with_dump} of {n} {} a hang dump ({dumps} in all; hang dumps are not counted as crashes). Requests around the hangs: {waits}. {cause}.",
            if *n == 1 { "hang has" } else { "hangs have" },
        ),
        Lang::Ko => crate::phrase::particles(&format!(
            "{who} '{pool}'이(가) {span} 응답을 멈췄습니다. 작업자 프로세스 상태: {hows}. 응답 없음 {n}건 중 {with_dump}건에 중단 덤프가 있습니다 (모두 {dumps}개, 중단 덤프는 충돌로 집계하지 않습니다). 응답 없음 무렵의 요청: {waits}. {cause}.",
        )),
    };
    let rec = match (recommendation, lang) {
        (Some(r), _) => quoted(
            &super::quoted::recommendation(analysis.as_ref(), r, lang),
            lang,
        ),
        (None, Lang::En) => "Capture a hang dump of the next hang before IIS ends the worker (DebugDiag hang rule, `procdump -ma -n 3 -s 30 PID`, or the pool's orphanWorkerProcess with an orphan action) and run coroner on it.".into(),
        (None, Lang::Ko) => "다음에 응답 없음이 발생하면 IIS가 작업자 프로세스를 끝내기 전에 중단 덤프를 수집하고(DebugDiag 중단 규칙, `procdump -ma -n 3 -s 30 PID`, 또는 풀의 orphanWorkerProcess와 orphan 동작) coroner로 분석하십시오.".into(),
    };
    (d, rec)
}

/// `5 in 5 min, source`: a pool's rapid-fail threshold.
fn threshold(max: u32, interval: i64, source: &Said, lang: Lang) -> String {
    let within = duration(interval, lang);
    let source = said(source, lang);
    match lang {
        Lang::En => format!("{max} in {within}, {source}"),
        Lang::Ko => format!("{within} 안에 {max}회, {source}"),
    }
}

/// A rapid-fail episode, recorded or predicted, and the outage it caused.
fn rapid_fail(kind: &VerdictKind, lang: Lang) -> (String, String) {
    let VerdictKind::RapidFail {
        pool,
        by_event,
        disabled_at: at,
        failures,
        max_crashes,
        interval_seconds,
        threshold_source,
        restored,
        restored_how: how,
        http_503,
        reasons,
    } = kind
    else {
        return (String::new(), String::new());
    };
    let within = duration(*interval_seconds, lang);
    let how = said(how, lang);
    let limit = threshold(*max_crashes, *interval_seconds, threshold_source, lang);
    let n = count(*failures, Noun::Failure, lang);
    let mut d = match (by_event, lang) {
        (true, Lang::En) => format!("Rapid-fail protection disabled application pool '{pool}' at {at} UTC after {n} in {within} (threshold: {limit})."),
        (false, Lang::En) => format!("Application pool '{pool}' crashed {failures} times within {within} ending at {at} UTC: rapid-fail protection ({limit}) disables the pool at that point, though no W3SVC 1002 / WAS 5002 event is among the inputs (predicted)."),
        (true, Lang::Ko) => crate::phrase::particles(&format!("빠른 장애 방지가 {at} UTC에 응용 프로그램 풀 '{pool}'을(를) 사용 안 함으로 설정했습니다. {within} 동안 {n}이(가) 있었습니다 (임계값: {limit}).")),
        (false, Lang::Ko) => crate::phrase::particles(&format!("응용 프로그램 풀 '{pool}'이(가) {at} UTC까지 {within} 안에 {failures}회 충돌했습니다. 빠른 장애 방지({limit})는 이 시점에 풀을 사용 안 함으로 설정하지만, 입력에 W3SVC 1002 / WAS 5002 이벤트가 없습니다 (예측).")),
    };
    d.push_str(&match (restored, lang) {
        (Some((t, s)), Lang::En) => format!(
            " It served again at {t} UTC: {} offline ({how}).",
            duration(*s, lang)
        ),
        (Some((t, s)), Lang::Ko) => format!(
            " {t} UTC에 다시 요청을 처리했습니다. {} 동안 중단되었습니다 ({how}).",
            duration(*s, lang)
        ),
        (None, Lang::En) => format!(" Restore: {how}."),
        (None, Lang::Ko) => format!(" 복원: {how}."),
    });
    if *http_503 > 0 {
        let reasons: Vec<String> = reasons.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let reasons = list(&reasons, ", ");
        d.push_str(&match lang {
            Lang::En => format!(" Meanwhile {http_503} requests were answered 503 ({reasons})."),
            Lang::Ko => format!(" 그동안 요청 {http_503}건이 503으로 응답되었습니다 ({reasons})."),
        });
    }
    let rec = match lang {
        Lang::En => "The outage is a consequence of the crashes: fix the crash above. Until then, restart the pool as soon as it is disabled (or raise rapidFailProtectionMaxCrashes temporarily) and monitor for W3SVC 1002 / WAS 5002.",
        Lang::Ko => "서비스 중단은 충돌의 결과입니다. 위의 충돌을 해결하십시오. 그때까지는 풀이 사용 안 함으로 설정되면 바로 다시 시작하고(또는 rapidFailProtectionMaxCrashes를 일시적으로 높이고) W3SVC 1002 / WAS 5002 이벤트를 모니터링하십시오.",
    };
    (d, rec.into())
}

/// The requests in flight when the pool's workers died.
fn in_flight(kind: &VerdictKind, lang: Lang) -> (String, String) {
    let VerdictKind::InFlight {
        pool,
        requests,
        crashes,
        crashes_with_one,
        urls,
        top_at,
    } = kind
    else {
        return (String::new(), String::new());
    };
    let Some((top, _)) = urls.first() else {
        return (String::new(), String::new());
    };
    let all: Vec<String> = urls.iter().map(|(u, k)| format!("{u} ×{k}")).collect();
    let all = list(&all, ", ");
    let d = match lang {
        Lang::En => format!(
            "{} in flight when workers of '{pool}' died ({crashes_with_one} of {crashes} crashes had one): {all}. {top} was in flight at {top_at} of {crashes} crashes.",
            crate::phrase::count(*requests, "request was", "requests were"),
        ),
        Lang::Ko => crate::phrase::particles(&format!(
            "'{pool}'의 작업자 프로세스가 종료될 때 처리 중이던 요청이 {requests}건 있었습니다 (충돌 {crashes}건 중 {crashes_with_one}건): {all}. {top}은(는) 충돌 {crashes}건 중 {top_at}건에서 처리 중이었습니다.",
        )),
    };
    let rec = match lang {
        Lang::En => format!("The request in flight at every crash is the likely trigger: reproduce with {top} on a test server with a crash-dump rule attached. These clients got no response (HTTPERR Connection_Abandoned_By_AppPool)."),
        Lang::Ko => crate::phrase::particles(&format!("충돌할 때마다 처리 중이던 요청이 원인일 가능성이 높습니다. 충돌 덤프 규칙을 설정한 테스트 서버에서 {top}(으)로 재현해 보십시오. 이 클라이언트들은 응답을 받지 못했습니다 (HTTPERR Connection_Abandoned_By_AppPool).")),
    };
    (d, rec)
}

/// Requests that ended with a broken connection.
fn broken_connections(pool: &str, w64: u64, w1236: u64, lang: Lang) -> (String, String) {
    let n = w64 + w1236;
    match lang {
        Lang::En => (
            format!("{n} request(s) of '{pool}' ended with a broken connection (sc-win32-status 64: {w64}, 1236: {w1236})."),
            "Usually clients going away (status 64: the network name is no longer available; 1236: connection aborted by the local system); many at the crash times mean the crash cut them off.".into(),
        ),
        Lang::Ko => (
            format!("'{pool}'의 요청 {n}건이 끊어진 연결로 끝났습니다 (sc-win32-status 64: {w64}, 1236: {w1236})."),
            "대개 클라이언트가 연결을 끊은 경우입니다 (상태 64: 네트워크 이름을 더 이상 사용할 수 없음, 1236: 로컬 시스템이 연결을 중단함). 충돌 시각에 많이 몰려 있다면 충돌 때문에 끊긴 것입니다.".into(),
        ),
    }
}

/// A pool with an outage but no crash.
fn outage(kind: &VerdictKind, lang: Lang) -> (String, String) {
    let VerdictKind::Outage {
        pool,
        http_503,
        first,
        last,
        reasons,
    } = kind
    else {
        return (String::new(), String::new());
    };
    let t = |t: &Option<Time>| t.map(|t| t.to_string()).unwrap_or_default();
    let (first, last) = (t(first), t(last));
    let reasons: Vec<String> = reasons.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let reasons = list(&reasons, ", ");
    match lang {
        Lang::En => (
            format!("'{pool}' answered {http_503} requests with 503 between {first} and {last} UTC ({reasons}), with no crash among the evidence."),
            "Look at the reasons: AppOffline = the pool was disabled (rapid-fail or stopped), QueueFull = requests arrived faster than the pool served them (hang or overload: take a hang dump).".into(),
        ),
        Lang::Ko => (
            crate::phrase::particles(&format!("'{pool}'이(가) {first}부터 {last} UTC 사이에 요청 {http_503}건에 503으로 응답했습니다 ({reasons}). 증거 중에 충돌은 없습니다.")),
            "원인을 확인하십시오. AppOffline은 풀이 사용 안 함 상태였다는 뜻이고(빠른 장애 방지 또는 중지), QueueFull은 풀이 처리하는 속도보다 요청이 빨리 들어왔다는 뜻입니다(응답 없음 또는 과부하: 중단 덤프를 수집하십시오).".into(),
        ),
    }
}

/// A dump group not tied to any crash row.
fn group(n: usize, bucket: &str, verdict: &str, rec: &str, lang: Lang) -> (String, String) {
    let verdict = verdict.trim_end_matches('.');
    let d = match lang {
        Lang::En => format!(
            "{} in bucket {bucket}: {verdict}.",
            count(n, Noun::Dump, lang)
        ),
        Lang::Ko => format!("버킷 {bucket}의 덤프 {n}개: {verdict}."),
    };
    (d, quoted(rec, lang))
}

/// Dumps that are not crashes (manual, hang, first-chance dumps of live processes).
fn live_dumps(dumps: &[LiveDump], lang: Lang) -> (String, String) {
    let items: Vec<String> = dumps
        .iter()
        .map(|d| {
            format!(
                "{} ({}{}{}): {}",
                d.file,
                said(&d.capture, lang),
                d.pool
                    .as_deref()
                    .map(|p| format!(", {p}"))
                    .unwrap_or_default(),
                d.pid
                    .map(|p| format!(" {} {p}", words(lang).pid_lower))
                    .unwrap_or_default(),
                said(&d.why, lang)
            )
        })
        .collect();
    let (n, items) = (dumps.len(), list(&items, "; "));
    match lang {
        Lang::En => (
            format!(
                "{} not counted as {}: {items}.",
                crate::phrase::count(n, "dump is", "dumps are"),
                if n == 1 { "a crash" } else { "crashes" },
            ),
            "A manual, hang or first-chance dump shows a process that was alive when it was dumped: read it for what the process was doing (threads, locks, requests), not as a crash. Only a second-chance dump, or a termination event of the dumped process, shows that it died.".into(),
        ),
        Lang::Ko => (
            format!("덤프 {n}개는 충돌로 집계하지 않습니다: {items}."),
            "수동 덤프, 중단 덤프, 첫 번째 예외(first-chance) 덤프는 덤프할 때 살아 있던 프로세스를 보여 줍니다. 충돌이 아니라 프로세스가 하던 일(스레드, 잠금, 요청)을 보는 자료로 읽으십시오. 프로세스가 종료되었음을 보여 주는 것은 두 번째 예외(second-chance) 덤프나 덤프한 프로세스의 종료 이벤트뿐입니다.".into(),
        ),
    }
}

/// Dumps with an exception that could not be placed among the events.
fn unmatched(files: &[String], lang: Lang) -> (String, String) {
    let (n, all) = (files.len(), list(files, ", "));
    match lang {
        Lang::En => (
            format!(
                "{} not matched to a crash: {all}.",
                crate::phrase::count(n, "dump is", "dumps are")
            ),
            "A dump with an exception but no time (in its header or file name) could not be placed among the events.".into(),
        ),
        Lang::Ko => (
            format!("덤프 {n}개를 어떤 충돌과도 연결하지 못했습니다: {all}."),
            "예외는 있지만 시간(헤더나 파일 이름)이 없는 덤프는 이벤트 사이에 배치할 수 없습니다.".into(),
        ),
    }
}

/// `2009-06-02 14:31 UTC` for an instant, else `14:31–15:02 UTC on 2009-06-02`.
fn when(span: (Time, Time), lang: Lang) -> String {
    let (a, b) = (time::short(span.0 .0), time::short(span.1 .0));
    match lang {
        _ if span.0 == span.1 => format!("{} UTC", &a[..16]),
        Lang::En if a[..10] == b[..10] => {
            format!("{}–{} UTC on {}", &a[11..16], &b[11..16], &a[..10])
        }
        Lang::Ko if a[..10] == b[..10] => {
            format!("{} {}–{} UTC", &a[..10], &a[11..16], &b[11..16])
        }
        _ => format!("{} – {} UTC", &a[..16], &b[..16]),
    }
}

/// Dumps or web logs apart in time from the event logs.
fn apart_in_time(kind: &VerdictKind, lang: Lang) -> (String, String) {
    let VerdictKind::ApartInTime {
        logs,
        web_logs,
        count: n,
        span,
        offset_from_events,
    } = kind
    else {
        return (String::new(), String::new());
    };
    let (logs, span) = (when(*logs, lang), when(*span, lang));
    let (what, verb) = match (web_logs, *n == 1) {
        (false, true) => ("dump", "was taken"),
        (false, false) => ("dumps", "were taken"),
        (true, true) => ("web log", "covers"),
        (true, false) => ("web logs", "cover"),
    };
    let what_ko = if *web_logs { "웹 로그" } else { "덤프" };
    let mut d = match lang {
        Lang::En => format!("The evidence does not overlap in time: the event logs cover {logs}, but the {what} {verb} {span}, none within a day of the logs. They may be of another incident or machine, and nothing was matched across them by time."),
        Lang::Ko => crate::phrase::particles(&format!("증거의 시간이 겹치지 않습니다. 이벤트 로그는 {logs} 구간이지만 {what_ko}은(는) {span} 구간이며, 이벤트 로그와 하루 이내인 것이 없습니다. 다른 장애나 다른 컴퓨터의 자료일 수 있으며, 시간으로 서로 연결한 것은 없습니다.")),
    };
    if let Some(offset) = offset_from_events {
        d.push_str(&match lang {
            Lang::En => format!(" The time-zone offset {offset} was taken from the event logs and may not apply to the {what}."),
            Lang::Ko => crate::phrase::particles(&format!(" 표준 시간대 오프셋 {offset}은(는) 이벤트 로그에서 가져온 것이므로 {what_ko}에는 맞지 않을 수 있습니다.")),
        });
    }
    let rec = match lang {
        Lang::En => "Check that the event logs, dumps and web logs come from the same machine and incident; add the logs that cover the time of the crash.",
        Lang::Ko => "이벤트 로그, 덤프, 웹 로그가 같은 컴퓨터와 같은 장애에서 나온 것인지 확인하고, 충돌 시각을 포함하는 로그를 추가하십시오.",
    };
    (d, rec.into())
}

/// The time zone used.
fn time_zone(offset: &str, source: &Said, lang: Lang) -> (String, String) {
    let source = said(source, lang);
    match lang {
        Lang::En => (
            format!("Times are UTC. Local times (dump file names) were converted with {offset}: {source}."),
            "Check that the web logs are in UTC (IIS W3C logs are, unless date-local/time-local fields are used).".into(),
        ),
        Lang::Ko => (
            crate::phrase::particles(&format!("시간은 UTC입니다. 로컬 시간(덤프 파일 이름)은 {offset} 기준으로 변환했습니다: {source}.")),
            "웹 로그가 UTC인지 확인하십시오 (IIS W3C 로그는 date-local/time-local 필드를 쓰지 않는 한 UTC입니다).".into(),
        ),
    }
}

/// The evidence read.
fn evidence(kind: &VerdictKind, lang: Lang) -> (String, String) {
    let VerdictKind::Evidence {
        dumps,
        event_logs,
        records,
        web_logs,
        requests,
        configs,
        wer_reports,
        skipped,
    } = kind
    else {
        return (String::new(), String::new());
    };
    let c = |n: usize, noun| count(n, noun, lang);
    let (d, e, w, i, r, f) = (
        c(*dumps, Noun::Dump),
        c(*event_logs, Noun::EventLog),
        c(*web_logs, Noun::WebLog),
        c(*configs, Noun::IisConfig),
        c(*wer_reports, Noun::WerFile),
        c(*skipped, Noun::File),
    );
    let desc = match lang {
        Lang::En => format!("Evidence read: {d}, {e} ({records} records), {w} ({requests} entries), {i}, {r}; {f} skipped."),
        Lang::Ko => format!("읽은 증거: {d}, {e} (레코드 {records}개), {w} (항목 {requests}개), {i}, {r}. 건너뛴 {f}."),
    };
    let rec = match (*skipped == 0, lang) {
        (true, Lang::En) => "Nothing was skipped.",
        (false, Lang::En) => "See 'Skipped' for why each skipped file was not used.",
        (true, Lang::Ko) => "건너뛴 파일이 없습니다.",
        (false, Lang::Ko) => "각 파일을 건너뛴 이유는 '건너뛴 파일'을 참조하십시오.",
    };
    (desc, rec.into())
}
