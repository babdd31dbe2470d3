//! The words of the incident model's own sentences ([`Fact`]): timeline lines, what an event
//! means, what kind of dump a dump is and why it is not a crash, where the time zone, a
//! threshold or a restore time came from — English (the JSON document's, through [`said`]) and
//! Korean side by side. Names, ids, codes, paths and the logs' own words stay as they are.

use super::{count, duration, Noun};
use crate::phrase::Lang;
use coroner_incident::model::{CaptureKind, Fact, Said};
use coroner_incident::time::{short, Time};

/// A fact with its English words, for the model (the JSON document says the English).
pub fn said(fact: Fact) -> Said {
    let en = say(&fact, Lang::En);
    Said { fact, en }
}

/// Words that are not ours (a path, a log's own text), kept as they are in every language.
pub fn verbatim(s: impl Into<String>) -> Said {
    said(Fact::Verbatim(s.into()))
}

/// `s` in `lang`.
pub fn words(s: &Said, lang: Lang) -> String {
    match lang {
        Lang::En => s.en.clone(),
        Lang::Ko => say(&s.fact, lang),
    }
}

/// ` pid 3412` / ` PID 3412`, or nothing.
fn pid(p: Option<u32>, lang: Lang) -> String {
    p.map(|p| format!(" {} {p}", lang.pick("pid", "PID")))
        .unwrap_or_default()
}

/// A capture kind: `manual dump`, `수동 덤프`.
pub fn capture(k: CaptureKind, lang: Lang) -> &'static str {
    use CaptureKind::*;
    match k {
        SecondChance => lang.pick("second-chance exception", "두 번째 예외(second-chance)"),
        FirstChance => lang.pick("first-chance exception", "첫 번째 예외(first-chance)"),
        Manual => lang.pick("manual dump", "수동 덤프"),
        Hang => lang.pick("hang dump", "중단 덤프"),
        BreakIn => lang.pick("debugger break-in", "디버거 중단(break-in)"),
        OnRequest => lang.pick("dump on request", "요청에 따른 덤프"),
        Snapshot => lang.pick("snapshot (no exception)", "스냅숏(예외 없음)"),
        Exception => lang.pick("exception", "예외"),
        Unreadable => lang.pick("unreadable", "읽을 수 없음"),
    }
}

/// `08:13–11:02 UTC on 2006-03-14`, or both dates when the span crosses midnight.
pub fn span(a: Time, b: Time, lang: Lang) -> String {
    let (da, db) = (short(a.0), short(b.0));
    match (da[..10] == db[..10], lang) {
        (true, Lang::En) => format!("{}–{} UTC on {}", &da[11..16], &db[11..16], &da[..10]),
        (true, Lang::Ko) => format!("{} {}–{} UTC", &da[..10], &da[11..16], &db[11..16]),
        (false, _) => format!("{} – {} UTC", &da[..16], &db[..16]),
    }
}

/// The words of `f` in `lang`.
pub fn say(f: &Fact, lang: Lang) -> String {
    timeline(f, lang)
        .or_else(|| event(f, lang))
        .or_else(|| death(f, lang))
        .or_else(|| dump(f, lang))
        .or_else(|| skipped(f, lang))
        .or_else(|| warning(f, lang))
        .unwrap_or_else(|| source(f, lang))
}

fn timeline(f: &Fact, lang: Lang) -> Option<String> {
    Some(match f {
        Fact::CrashLine {
            pool,
            process,
            pid: p,
            exit_code,
            exception,
            dump,
        } => {
            let proc_ = process
                .as_deref()
                .unwrap_or(lang.pick("process", "프로세스"));
            let mut s = match lang {
                Lang::En => format!("{pool} crash: {proc_}{}", pid(*p, lang)),
                Lang::Ko => format!("{pool} 충돌: {proc_}{}", pid(*p, lang)),
            };
            if let Some(x) = exit_code {
                s.push_str(&format!(", {} {x}", lang.pick("exit code", "종료 코드")));
            }
            if let Some(x) = exception {
                s.push_str(&format!(", {} {x}", lang.pick("exception", "예외")));
            }
            if let Some(d) = dump {
                s.push_str(&format!(", {} {d}", lang.pick("dump", "덤프")));
            }
            s
        }
        Fact::HangLine {
            pool,
            process,
            pid: p,
            hows,
            dumps,
        } => {
            let hows: Vec<String> = hows.iter().map(|h| say(h, lang)).collect();
            let mut s = match lang {
                Lang::En => format!("{pool} hang: {process}{} {}", pid(*p, lang), hows.join("; ")),
                Lang::Ko => format!(
                    "{pool} 응답 없음: {process}{} — {}",
                    pid(*p, lang),
                    hows.join("; ")
                ),
            };
            for d in dumps {
                s.push_str(&format!(", {} {d}", lang.pick("hang dump", "중단 덤프")));
            }
            s
        }
        Fact::RapidFailLine {
            pool,
            by_event,
            failures,
        } => match (lang, by_event) {
            (Lang::En, true) => {
                format!("{pool}: rapid-fail protection disabled the pool after {failures} failures")
            }
            (Lang::En, false) => format!(
                "{pool}: rapid-fail protection would have disabled (predicted) the pool after {failures} failures"
            ),
            (Lang::Ko, true) => {
                format!("{pool}: 실패 {failures}회 후 빠른 장애 방지가 풀을 사용 안 함으로 설정했습니다")
            }
            (Lang::Ko, false) => format!(
                "{pool}: 실패 {failures}회 후 빠른 장애 방지가 풀을 사용 안 함으로 설정했을 것입니다(예측)"
            ),
        },
        Fact::RestoredLine {
            pool,
            after_seconds,
        } => match lang {
            Lang::En => format!(
                "{pool}: serving again after {}",
                duration(*after_seconds, lang)
            ),
            Lang::Ko => format!(
                "{pool}: {} 후 다시 요청을 처리합니다",
                duration(*after_seconds, lang)
            ),
        },
        Fact::OutageStart { pool } => lang.pick(
            format!("{pool}: first 503 response"),
            format!("{pool}: 첫 503 응답"),
        ),
        Fact::OutageEnd { pool, http_503 } => lang.pick(
            format!("{pool}: last 503 response ({http_503} in all)"),
            format!("{pool}: 마지막 503 응답 (모두 {http_503}건)"),
        ),
        Fact::LiveDumpLine {
            who,
            pid: p,
            capture: c,
            file,
            why,
        } => {
            let who = who.as_deref().unwrap_or(lang.pick("process", "프로세스"));
            let (c, why) = (capture(*c, lang), say(why, lang));
            match lang {
                Lang::En => format!("{who}{}: {c} {file} — not a crash: {why}", pid(*p, lang)),
                Lang::Ko => format!("{who}{}: {c} {file} — 충돌 아님: {why}", pid(*p, lang)),
            }
        }
        Fact::EventLine { label, what } => format!("{label}: {}", say(what, lang)),
        _ => return None,
    })
}

fn event(f: &Fact, lang: Lang) -> Option<String> {
    Some(match f {
        Fact::PoolDisabled { pool, why } => match lang {
            Lang::En => format!("pool '{pool}' disabled ({why})"),
            Lang::Ko => crate::phrase::particles(&format!(
                "풀 '{pool}'이(가) 사용 안 함으로 설정됨 ({})",
                disabled_why_ko(why)
            )),
        },
        Fact::LogStarted => lang
            .pick(
                "event log service started (system start)",
                "이벤트 로그 서비스 시작 (시스템 시작)",
            )
            .into(),
        Fact::LogStopped => lang
            .pick(
                "event log service stopped (clean shutdown)",
                "이벤트 로그 서비스 중지 (정상 종료)",
            )
            .into(),
        Fact::UnexpectedShutdown {
            time_text,
            date_text,
        } => lang.pick(
            format!("the previous shutdown at {time_text} on {date_text} (local) was unexpected"),
            format!("이전 종료({date_text} {time_text}, 로컬 시간)는 예기치 않은 종료였습니다"),
        ),
        Fact::RestartedUnclean => lang
            .pick(
                "the system restarted without a clean shutdown",
                "시스템이 정상 종료 없이 다시 시작되었습니다",
            )
            .into(),
        Fact::MemoryRecycle { pid: p, private } => {
            let limit = match (private, lang) {
                (true, Lang::En) => "private bytes memory",
                (false, Lang::En) => "virtual memory",
                (true, Lang::Ko) => "개인 바이트 메모리",
                (false, Lang::Ko) => "가상 메모리",
            };
            match lang {
                Lang::En => format!(
                    "worker{} recycled: it reached its {limit} limit",
                    pid(*p, lang)
                ),
                Lang::Ko => format!(
                    "작업자 프로세스{} 재활용: {limit} 한도에 도달했습니다",
                    pid(*p, lang)
                ),
            }
        }
        Fact::IdleShutdown { pid: p } => match lang {
            Lang::En => format!("worker{} shut down for idleness (normal)", pid(*p, lang)),
            Lang::Ko => crate::phrase::particles(&format!(
                "작업자 프로세스{}이(가) 유휴 상태로 종료됨 (정상)",
                pid(*p, lang)
            )),
        },
        Fact::RapidFailDisabled { pool } => lang.pick(
            format!("application pool '{pool}' disabled by rapid-fail protection"),
            crate::phrase::particles(&format!(
                "빠른 장애 방지가 응용 프로그램 풀 '{pool}'을(를) 사용 안 함으로 설정함"
            )),
        ),
        _ => return None,
    })
}

/// The Korean of the reasons `coroner_eventlog::Meaning::PoolDisabled` gives (WAS 5057,
/// 5059); any other stays as it is.
fn disabled_why_ko(why: &str) -> &str {
    match why {
        "application pool identity is invalid" => "응용 프로그램 풀 ID가 잘못되었습니다",
        "WAS failed to start a worker process" => "WAS가 작업자 프로세스를 시작하지 못했습니다",
        other => other,
    }
}

/// `" (exit code 0x…)"`-style tail, or nothing.
fn tail(label_en: &str, label_ko: &str, v: &Option<String>, lang: Lang) -> String {
    v.as_ref()
        .map(|v| format!(" ({} {v})", lang.pick(label_en, label_ko)))
        .unwrap_or_default()
}

fn death(f: &Fact, lang: Lang) -> Option<String> {
    Some(match f {
        Fact::WorkerCrashed { exit_code } => format!(
            "{}{}",
            lang.pick(
                "worker process terminated unexpectedly",
                "작업자 프로세스가 예기치 않게 종료됨"
            ),
            tail("exit code", "종료 코드", exit_code, lang)
        ),
        Fact::CommFailure { error } => format!(
            "{}{}",
            lang.pick(
                "fatal communication error with the WWW service",
                "WWW 서비스와 통신하는 중 치명적인 오류"
            ),
            tail("error", "오류", error, lang)
        ),
        Fact::StartupTimeout => lang
            .pick(
                "worker exceeded its start-up time limit",
                "작업자 프로세스가 시작 시간 제한을 넘김",
            )
            .into(),
        Fact::PingFailed => lang
            .pick("failed to respond to a ping", "ping에 응답하지 않음")
            .into(),
        Fact::ShutdownLimit => lang
            .pick("exceeded its shutdown time limit", "종료 시간 제한을 넘김")
            .into(),
        Fact::Orphaned => lang
            .pick(
                "orphaned (left running for debugging; the orphan action failed)",
                "분리됨 (디버깅을 위해 실행 상태로 남겨짐; 분리 동작이 실패함)",
            )
            .into(),
        Fact::ApplicationError {
            app,
            module,
            exception,
            offset,
        } => {
            let mut s = lang.pick(
                format!("Application Error: {app} faulted in {module}"),
                crate::phrase::particles(&format!(
                    "Application Error: {app}이(가) {module}에서 오류 발생"
                )),
            );
            if let Some(c) = exception {
                s.push_str(&format!(", {} {c}", lang.pick("exception", "예외")));
            }
            if let Some(o) = offset {
                s.push_str(&format!(", {} 0x{o:x}", lang.pick("offset", "오프셋")));
            }
            s
        }
        Fact::WerReport { event_name, bucket } => lang.pick(
            format!("Windows Error Reporting {event_name} report (bucket {bucket})"),
            format!("Windows 오류 보고 {event_name} 보고서 (버킷 {bucket})"),
        ),
        Fact::WerFile { event_type } => lang.pick(
            format!("Windows Error Reporting {event_type} report"),
            format!("Windows 오류 보고 {event_type} 보고서"),
        ),
        Fact::DotNetUnhandled { exception } => format!(
            "{}{}",
            lang.pick(".NET unhandled exception", ".NET 처리되지 않은 예외"),
            exception
                .as_ref()
                .map(|x| format!(": {x}"))
                .unwrap_or_default()
        ),
        Fact::AppHang => lang
            .pick(
                "application hang: the process stopped responding and was ended",
                "응용 프로그램 응답 없음: 프로세스가 응답을 멈춰 종료되었습니다",
            )
            .into(),
        Fact::ServiceCrashed { count: c } => match lang {
            Lang::En => format!(
                "service terminated unexpectedly{}",
                c.map(|c| format!(" ({c} time(s))")).unwrap_or_default()
            ),
            Lang::Ko => format!(
                "서비스가 예기치 않게 종료됨{}",
                c.map(|c| format!(" ({c}회)")).unwrap_or_default()
            ),
        },
        Fact::DumpOnly => lang
            .pick(
                "crash known from the dump only (no termination event among the inputs)",
                "덤프로만 확인된 충돌 (입력에 종료 이벤트 없음)",
            )
            .into(),
        _ => return None,
    })
}

fn dump(f: &Fact, lang: Lang) -> Option<String> {
    Some(match f {
        Fact::Capture(k) => capture(*k, lang).into(),
        Fact::NamedBy { part } => lang.pick(
            format!("DebugDiag file name \"{part}\""),
            format!("DebugDiag 파일 이름 \"{part}\""),
        ),
        Fact::NotAnalysed => lang
            .pick("the dump could not be analysed", "덤프를 분석하지 못했습니다")
            .into(),
        Fact::NoExceptionStream => lang
            .pick("no exception stream", "예외 스트림 없음")
            .into(),
        Fact::DumpRequested => lang
            .pick(
                "Breakpad DUMP_REQUESTED pseudo-exception",
                "Breakpad DUMP_REQUESTED 의사 예외",
            )
            .into(),
        Fact::BreakIn { code } => lang.pick(
            format!("exception {code} in the debugger's break-in thread"),
            format!("디버거 중단(break-in) 스레드의 예외 {code}"),
        ),
        Fact::CommentFirstChance => lang
            .pick(
                "dump comment says first chance",
                "덤프 주석에 첫 번째 예외(first chance)라고 적혀 있음",
            )
            .into(),
        Fact::CommentSecondChance { code } => lang.pick(
            format!("dump comment and exception stream, code {code}"),
            format!("덤프 주석과 예외 스트림, 코드 {code}"),
        ),
        Fact::ExceptionStream { code } => lang.pick(
            format!("exception stream, code {code}"),
            format!("예외 스트림, 코드 {code}"),
        ),
        Fact::DumpHeaderTime => lang.pick("dump header (UTC)", "덤프 헤더 (UTC)").into(),
        Fact::DumpSource => lang.pick("dump", "덤프").into(),
        Fact::FileNameTime { scheme, offset } => lang.pick(
            format!("{scheme} file name (local time; {offset} applied)"),
            format!("{scheme} 파일 이름 (로컬 시간, {offset} 적용)"),
        ),
        Fact::NoEventLogs => lang
            .pick(
                "dump of a process with no termination event among the inputs (no event log was given)",
                "입력에 종료 이벤트가 없는 프로세스의 덤프 (이벤트 로그가 주어지지 않음)",
            )
            .into(),
        Fact::NoTermination { from, to, after } => {
            let sp = span(*from, *to, lang);
            let when = match (after, lang) {
                (Some(true), Lang::En) => " (the dump was taken after they end)",
                (Some(false), Lang::En) => " (the dump was taken before they begin)",
                (Some(true), Lang::Ko) => " (덤프는 로그가 끝난 뒤에 수집됨)",
                (Some(false), Lang::Ko) => " (덤프는 로그가 시작되기 전에 수집됨)",
                (None, _) => "",
            };
            lang.pick(
                format!("dump of a process with no termination in the logs, which cover {sp}{when}"),
                format!("로그({sp})에 종료 기록이 없는 프로세스의 덤프{when}"),
            )
        }
        Fact::HangDump { pool, time } => lang.pick(
            format!(
                "dump of a worker of '{pool}' that stopped answering ({} UTC); a hang, not a crash",
                short(time.0)
            ),
            format!(
                "응답을 멈춘 '{pool}' 작업자 프로세스의 덤프 ({} UTC): 충돌이 아니라 응답 없음입니다",
                short(time.0)
            ),
        ),
        _ => return None,
    })
}

fn source(f: &Fact, lang: Lang) -> String {
    match f {
        Fact::Verbatim(s) => s.clone(),
        Fact::ZoneFromEvent {
            file,
            record,
            time,
            bias,
            name,
        } => {
            let name = name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
            lang.pick(
                format!(
                    "EventLog 6013 in {file} (record {record}, {}): time-zone bias {bias} min{name}",
                    short(time.0)
                ),
                format!(
                    "{file}의 EventLog 6013 (레코드 {record}, {}): 표준 시간대 바이어스 {bias}분{name}",
                    short(time.0)
                ),
            )
        }
        Fact::ZoneFromDumpNames { dumps, offset } => match lang {
            Lang::En => format!(
                "{dumps} dump(s) whose file name (local time) and header (UTC) differ by {offset}"
            ),
            Lang::Ko => format!(
                "파일 이름(로컬 시간)과 헤더(UTC)가 {offset}만큼 차이 나는 {}",
                count(*dumps, Noun::Dump, lang)
            ),
        },
        Fact::NoZone => lang
            .pick(
                "no time-zone evidence (EventLog 6013, dump names with times): local times taken as UTC",
                "표준 시간대 증거 없음 (EventLog 6013, 시간이 있는 덤프 이름): 로컬 시간을 UTC로 간주했습니다",
            )
            .into(),
        Fact::IisDefaultThreshold => lang
            .pick(
                "IIS default (no configuration for this pool among the inputs)",
                "IIS 기본값 (입력에 이 풀의 구성 없음)",
            )
            .into(),
        Fact::RestoredByWorker { crashed_at } => lang.pick(
            format!(
                "a worker of the pool was running again (it crashed at {})",
                short(crashed_at.0)
            ),
            format!(
                "풀의 작업자 프로세스가 다시 실행 중이었습니다 ({}에 충돌)",
                short(crashed_at.0)
            ),
        ),
        Fact::RestoredByWeb { file, line } => lang.pick(
            format!(
                "inferred from the web logs: first non-503 response for the pool's site(s) after the disable ({file} line {line}); IIS logs no event when an administrator restarts a pool"
            ),
            format!(
                "웹 로그에서 추정: 사용 안 함 설정 후 풀의 사이트가 처음으로 503이 아닌 응답을 보냄 ({file} {line}번째 줄). 관리자가 풀을 다시 시작할 때 IIS는 이벤트를 기록하지 않습니다"
            ),
        ),
        Fact::NotRestored { last_503 } => lang.pick(
            format!(
                "not restored within the evidence (last 503 at {})",
                short(last_503.0)
            ),
            format!(
                "증거 범위 안에서 복원되지 않음 (마지막 503: {})",
                short(last_503.0)
            ),
        ),
        Fact::NoRestoreEvidence => lang
            .pick(
                "no evidence of the restore (no later request or worker event for the pool)",
                "복원 증거 없음 (이후 풀의 요청이나 작업자 프로세스 이벤트가 없음)",
            )
            .into(),
        Fact::All(fs) => fs
            .iter()
            .map(|f| say(f, lang))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    }
}

fn skipped(f: &Fact, lang: Lang) -> Option<String> {
    Some(match f {
        Fact::CannotRead { error } => lang.pick(
            format!("cannot read: {error}"),
            format!("읽을 수 없음: {error}"),
        ),
        Fact::CannotList { error } => lang.pick(
            format!("cannot list folder: {error}"),
            format!("폴더 목록을 읽을 수 없음: {error}"),
        ),
        Fact::TooDeep => lang
            .pick(
                "folder nested more than 64 levels deep: not searched",
                "폴더가 64단계보다 깊게 중첩되어 검색하지 않았습니다",
            )
            .into(),
        Fact::InternalError => lang
            .pick(
                "internal error while reading this file (please report it)",
                "이 파일을 읽는 중 내부 오류가 발생했습니다 (보고해 주십시오)",
            )
            .into(),
        Fact::EmptyFile => lang.pick("empty file", "빈 파일").into(),
        Fact::KernelDump => lang
            .pick(
                "Windows kernel (system) dump: not a user-mode minidump",
                "Windows 커널(시스템) 덤프: 사용자 모드 미니덤프가 아닙니다",
            )
            .into(),
        Fact::Microdump => lang
            .pick(
                "Breakpad text microdump: not supported by investigate",
                "Breakpad 텍스트 마이크로덤프: investigate에서 지원하지 않습니다",
            )
            .into(),
        Fact::WerTooLarge => lang
            .pick("Report.wer larger than 16 MiB", "16 MiB보다 큰 Report.wer")
            .into(),
        Fact::NotEvidence { why } => lang.pick(
            format!(
                "not a dump, event log, IIS/HTTPERR log, IIS configuration or Report.wer ({why})"
            ),
            format!("덤프, 이벤트 로그, IIS/HTTPERR 로그, IIS 구성, Report.wer 중 어느 것도 아닙니다 ({why})"),
        ),
        Fact::ContainerUnreadable {
            container,
            error,
            failure,
        } => lang.pick(
            format!("{container} file without a readable minidump: {error}"),
            format!(
                "읽을 수 있는 미니덤프가 없는 {container} 파일: {}",
                crate::phrase::load_failure(failure, lang)
            ),
        ),
        Fact::ContainerEmpty { container } => lang.pick(
            format!("{container} file that holds no minidump"),
            format!("미니덤프가 들어 있지 않은 {container} 파일"),
        ),
        _ => return None,
    })
}

fn warning(f: &Fact, lang: Lang) -> Option<String> {
    Some(match f {
        Fact::FileNote { file, note } => format!("{file}: {note}"),
        Fact::LocalEvents {
            file,
            events,
            kind,
            offset,
            source,
        } => {
            let source = say(source, lang);
            lang.pick(
                format!("{file}: {events} event(s) with the exporting machine's local time and no zone ({kind}); {offset} applied ({source})"),
                crate::phrase::particles(&format!("{file}: 내보낸 컴퓨터의 로컬 시간이며 표준 시간대가 없는 이벤트 {events}개 ({kind}). {offset}을(를) 적용했습니다 ({source})")),
            )
        }
        Fact::DamagedParts { file, parts } => lang.pick(
            format!("{file}: {parts} damaged part(s) skipped; everything readable was used"),
            format!("{file}: 손상된 부분 {parts}개를 건너뛰고 읽을 수 있는 부분은 모두 사용했습니다"),
        ),
        Fact::UnusableLines { file, lines } => lang.pick(
            format!("{file}: {lines} unusable line(s) skipped; the rest was used"),
            format!("{file}: 사용할 수 없는 줄 {lines}개를 건너뛰고 나머지를 사용했습니다"),
        ),
        Fact::LocalWebTimes { file } => lang.pick(
            format!("{file}: times are local (date-local/time-local fields); they were not shifted"),
            format!("{file}: 시간이 로컬 시간입니다 (date-local/time-local 필드). 변환하지 않았습니다"),
        ),
        Fact::SolePool { pool } => lang.pick(
            format!("web-log entries without a site or queue name were attributed to '{pool}', the only application pool in the evidence"),
            format!("사이트나 큐 이름이 없는 웹 로그 항목은 증거에 있는 유일한 응용 프로그램 풀 '{pool}'의 것으로 보았습니다"),
        ),
        Fact::QueueUnknown { logged, read_as } => lang.pick(
            format!("HTTPERR queue '{logged}' names no pool of the event logs, dumps or IIS configuration; read as '{read_as}' (HTTP.sys writes spaces, tabs and control characters as '+')"),
            crate::phrase::particles(&format!("HTTPERR 큐 '{logged}'은(는) 이벤트 로그, 덤프, IIS 구성의 어떤 풀도 가리키지 않아 '{read_as}'(으)로 읽었습니다 (HTTP.sys는 공백, 탭, 제어 문자를 '+'로 씁니다)")),
        ),
        Fact::QueueAmbiguous {
            logged,
            candidates,
            chosen,
        } => {
            let c: Vec<String> = candidates.iter().map(|c| format!("'{c}'")).collect();
            let c = c.join(", ");
            lang.pick(
                format!("HTTPERR queue '{logged}' fits the pools {c} (HTTP.sys writes spaces as '+', and '+' as itself); its lines were attributed to '{chosen}'"),
                crate::phrase::particles(&format!("HTTPERR 큐 '{logged}'은(는) 풀 {c}에 모두 맞습니다 (HTTP.sys는 공백과 '+'를 모두 '+'로 씁니다). 그 줄들은 '{chosen}'의 것으로 보았습니다")),
            )
        }
        Fact::DumpNotAnalysed {
            file,
            error,
            failure,
        } => lang.pick(
            format!("{file}: dump could not be analysed: {error}"),
            format!(
                "{file}: 덤프를 분석하지 못했습니다: {}",
                crate::phrase::failed(error, failure.as_ref(), lang)
            ),
        ),
        Fact::ProtectionOff {
            pool,
            crashes,
            interval_seconds,
            from,
            source,
        } => {
            let (within, source) = (duration(*interval_seconds, lang), say(source, lang));
            lang.pick(
                format!("'{pool}': {crashes} crashes within {within} from {} — rapid-fail protection would have disabled the pool, but it is turned off in {source}", short(from.0)),
                format!("'{pool}': {}부터 {within} 안에 충돌 {crashes}건 — 빠른 장애 방지가 켜져 있었다면 풀을 사용 안 함으로 설정했겠지만 {source}에서 꺼져 있습니다", short(from.0)),
            )
        }
        Fact::NoDumpTime { file } => lang.pick(
            format!("{file}: no time in the dump or its name: not matched to events"),
            format!("{file}: 덤프와 파일 이름에 시간이 없어 이벤트와 연결하지 않았습니다"),
        ),
        Fact::TooManyFiles { max } => lang.pick(
            format!("more than {max} files: only the first {max} were read"),
            format!("파일이 {max}개보다 많아 처음 {max}개만 읽었습니다"),
        ),
        _ => return None,
    })
}
