//! The words of the incident report of `coroner investigate`: headings, labels, counted nouns,
//! durations ([`Words`], [`Noun`]) and the sentences of the verdict rows ([`verdict`]), each in
//! English and Korean side by side, so that a phrase without its Korean does not compile.
//!
//! Korean style: polite declarative (합니다체) and the terms of Microsoft's Korean IIS
//! documentation — 응용 프로그램 풀, 작업자 프로세스, 빠른 장애 방지 (Rapid-Fail Protection),
//! 재활용 (recycling: the word of learn.microsoft.com/ko-kr/iis/configuration/
//! system.applicationhost/applicationpools/add/recycling), 덤프, 이벤트 로그.

pub mod memory;
pub mod quoted;
pub mod said;
pub mod verdict;

use super::Lang;

/// Declares [`Words`] and its English and Korean tables from `name: "English", "한국어";` lines.
macro_rules! words {
    ($($name:ident: $en:expr, $ko:expr;)*) => {
        /// Every fixed heading and label of the incident report, in one language.
        pub struct Words { $(pub $name: &'static str,)* }
        const EN: Words = Words { $($name: $en,)* };
        const KO: Words = Words { $($name: $ko,)* };
        /// Every (English, Korean) pair, for the test that each Korean label is Korean.
        #[cfg(test)]
        const PAIRS: &[(&str, &str)] = &[$(($en, $ko),)*];
    };
}

words! {
    incident_report: "Incident report", "장애 분석 보고서";
    html_title: "coroner incident report", "coroner 장애 분석 보고서";
    timeline: "Timeline", "타임라인";
    analysis_summary: "Analysis summary", "분석 요약";
    description: "Description", "설명";
    recommendation: "Recommendation", "권장 사항";
    level_type: "Type", "유형";
    error: "Error", "오류";
    warning: "Warning", "경고";
    information: "Information", "정보";
    time_utc: "Time (UTC)", "시간 (UTC)";
    time_utc_lower: "time (UTC)", "시간 (UTC)";
    kind: "Kind", "종류";
    what: "What", "내용";
    application_pool: "Application pool", "응용 프로그램 풀";
    process: "Process", "프로세스";
    process_lower: "process", "프로세스";
    sites: "Sites", "사이트";
    memory: "Memory", "메모리";
    rapid_fail_protection: "Rapid-fail protection", "빠른 장애 방지";
    on: "on", "사용";
    off: "off", "사용 안 함";
    crashes: "Crashes", "충돌";
    none: "none", "없음";
    pid: "PID", "PID";
    pid_lower: "pid", "PID";
    exit_code: "Exit code", "종료 코드";
    exit_code_lower: "exit code", "종료 코드";
    exception: "Exception", "예외";
    exception_lower: "exception", "예외";
    fault: "Fault", "오류 발생";
    termination_seen: "Termination seen", "종료 확인";
    dump: "Dump", "덤프";
    dump_to_event: "Dump → event", "덤프 → 이벤트";
    dump_first_event: "Dump (dump → first event)", "덤프 (덤프 → 첫 이벤트)";
    dump_first_event_lower: "dump (dump → first event)", "덤프 (덤프 → 첫 이벤트)";
    evidence: "Evidence", "증거";
    in_flight: "In flight", "처리 중이던 요청";
    in_flight_lower: "in flight", "처리 중이던 요청";
    no_event: "no event", "이벤트 없음";
    events_only: "none — known from events only", "없음 — 이벤트로만 확인됨";
    earlier_snapshot: "earlier snapshot", "이전 스냅숏";
    earlier: "earlier", "이전";
    bucket: "bucket", "버킷";
    from: "from", "클라이언트";
    hangs: "Hangs", "응답 없음";
    what_iis_saw: "What IIS saw", "IIS가 본 상황";
    hang_dumps: "Hang dumps", "중단 덤프";
    hang_dump: "hang dump", "중단 덤프";
    bucket_title: "Bucket", "버킷";
    requests_around: "Requests around it", "그 무렵의 요청";
    cause: "cause", "원인";
    requests: "requests", "요청";
    waited: "waited", "대기";
    logged: "logged", "기록";
    abandoned: "abandoned", "중단된 요청";
    common_cause: "Common cause", "공통 원인";
    common_cause_of_hangs: "Common cause of the hangs", "응답 없음의 공통 원인";
    rapid_fail_episodes: "Rapid-fail episodes", "빠른 장애 방지 발생";
    rapid_fail: "Rapid-fail", "빠른 장애 방지";
    disabled: "Disabled", "사용 안 함 설정";
    detected: "Detected", "확인 방법";
    failures: "Failures", "실패";
    restored: "Restored", "복원";
    duration: "Duration", "기간";
    http_503s: "503s", "503 응답";
    restore_found: "How the restore was found", "복원을 확인한 방법";
    restore: "restore", "복원";
    restore_title: "Restore", "복원";
    outage: "Outage", "서비스 중단";
    broken_connections: "Broken connections", "끊어진 연결";
    abandoned_not_near: "Abandoned requests not near a known crash", "알려진 충돌과 무관하게 중단된 요청";
    live_dumps: "Dumps not counted as crashes", "충돌로 집계하지 않은 덤프";
    dump_groups: "Dump groups", "덤프 그룹";
    no_analysed_dumps: "no analysed dumps", "분석한 덤프가 없습니다";
    verdict: "Verdict", "판정";
    who_to_call: "Who to call", "문의처";
    pools: "Pools", "응용 프로그램 풀";
    dumps: "Dumps", "덤프";
    not_analysed: "Not analysed", "분석하지 못함";
    time: "Time", "시간";
    no_time: "no time", "시간 없음";
    capture: "Capture", "수집 방식";
    crash: "Crash", "충돌";
    file: "File", "파일";
    records: "Records", "레코드";
    notes: "Notes", "비고";
    status_codes: "Status codes explained", "상태 코드 설명";
    code: "Code", "코드";
    count: "Count", "횟수";
    meaning: "Meaning", "의미";
    skipped: "Skipped", "건너뛴 파일";
    warnings: "Warnings", "경고";
    unknown: "unknown", "알 수 없음";
    restore_unknown: "restore unknown", "복원 시각 알 수 없음";
    per_minute: "/min", "/분";
    no_termination_event: "no termination event", "종료 이벤트 없음";
    predicted: "predicted from crash frequency", "충돌 빈도로 예측";
    cat_event_log: "event log", "이벤트 로그";
    cat_w3c_log: "W3C log", "W3C 로그";
    cat_httperr_log: "HTTPERR log", "HTTPERR 로그";
    cat_config: "config", "구성";
    no_request_logged: "no request of the pool logged around it", "그 무렵 기록된 이 풀의 요청이 없습니다";
    cause_unknown_no_dump: "unknown: no hang dump of these processes among the inputs", "알 수 없음: 입력에 이 프로세스들의 중단 덤프가 없습니다";
    cause_unknown_unanalysed: "unknown: the hang dumps could not be analysed", "알 수 없음: 중단 덤프를 분석하지 못했습니다";
    nobody_blamed: "unknown (the analysis blames no module)", "알 수 없음 (분석에서 원인 모듈을 특정하지 못했습니다)";
    not_matched: "not matched to a crash", "어떤 충돌과도 연결되지 않음";
}

/// The headings and labels of `lang`.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Ko => &KO,
    }
}

/// A counted thing of the incident report: English singular and plural, Korean noun and counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noun {
    Crash,
    Hang,
    Dump,
    HangDump,
    EventLog,
    WebLog,
    Pool,
    PoolOrProcess,
    Request,
    Connection,
    DamagedPart,
    BadLine,
    Record,
    Entry,
    Report,
    Failure,
    IisConfig,
    WerFile,
    File,
}

impl Noun {
    /// (English one, English many, Korean noun, Korean counter).
    fn forms(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Noun::Crash => ("crash", "crashes", "충돌", "건"),
            Noun::Hang => ("hang", "hangs", "응답 없음", "건"),
            Noun::Dump => ("dump", "dumps", "덤프", "개"),
            Noun::HangDump => ("hang dump", "hang dumps", "중단 덤프", "개"),
            Noun::EventLog => ("event log", "event logs", "이벤트 로그", "개"),
            Noun::WebLog => ("web log", "web logs", "웹 로그", "개"),
            Noun::Pool => ("pool", "pools", "풀", "개"),
            Noun::PoolOrProcess => (
                "pool or process",
                "pools or processes",
                "응용 프로그램 풀 또는 프로세스",
                "개",
            ),
            Noun::Request => ("request", "requests", "요청", "건"),
            Noun::Connection => ("connection", "connections", "연결", "개"),
            Noun::DamagedPart => ("damaged part", "damaged parts", "손상된 부분", "개"),
            Noun::BadLine => ("bad line", "bad lines", "잘못된 줄", "개"),
            Noun::Record => ("record", "records", "레코드", "개"),
            Noun::Entry => ("entry", "entries", "항목", "개"),
            Noun::Report => ("report", "reports", "보고서", "개"),
            Noun::Failure => ("failure", "failures", "실패", "회"),
            Noun::IisConfig => ("IIS configuration", "IIS configurations", "IIS 구성", "개"),
            Noun::WerFile => ("Report.wer", "Report.wer files", "Report.wer", "개"),
            Noun::File => ("file", "files", "파일", "개"),
        }
    }
}

/// `n` things: `1 crash`, `7 crashes` in English, `충돌 7건` in Korean.
pub fn count<N: std::fmt::Display + PartialEq + From<u8>>(n: N, noun: Noun, lang: Lang) -> String {
    let (one, many, ko, counter) = noun.forms();
    match lang {
        Lang::En => crate::phrase::count(n, one, many),
        Lang::Ko => format!("{ko} {n}{counter}"),
    }
}

/// A duration in words: `22 min 3 s` ([`coroner_incident::time::duration`]), `22분 3초`.
pub fn duration(secs: i64, lang: Lang) -> String {
    match lang {
        Lang::En => coroner_incident::time::duration(secs),
        Lang::Ko => {
            let sign = if secs < 0 { "-" } else { "" };
            let s = secs.unsigned_abs();
            let body = match s {
                3600.. => format!("{}시간 {}분", s / 3600, (s % 3600) / 60),
                60.. if s.is_multiple_of(60) => format!("{}분", s / 60),
                60.. => format!("{}분 {}초", s / 60, s % 60),
                _ => format!("{s}초"),
            };
            format!("{sign}{body}")
        }
    }
}

/// `+5 s` / `-2 s` ([`coroner_incident::time::delta`]), `+5초`.
pub fn delta(secs: i64, lang: Lang) -> String {
    match lang {
        Lang::En => coroner_incident::time::delta(secs),
        Lang::Ko if secs >= 0 => format!("+{secs}초"),
        Lang::Ko => format!("{secs}초"),
    }
}

/// Seconds with one decimal, from milliseconds: `118.0 s`, `118.0초`.
pub fn seconds_ms(v: u64, lang: Lang) -> String {
    let (s, tenth) = (v / 1000, (v % 1000) / 100);
    match lang {
        Lang::En => format!("{s}.{tenth} s"),
        Lang::Ko => format!("{s}.{tenth}초"),
    }
}

/// A verdict level's name: `Error`, `오류`.
pub fn level(l: coroner_incident::model::Level, lang: Lang) -> &'static str {
    use coroner_incident::model::Level;
    let w = words(lang);
    match l {
        Level::Error => w.error,
        Level::Warning => w.warning,
        Level::Information => w.information,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_durations_in_both_languages() {
        assert_eq!(count(7, Noun::Crash, Lang::En), "7 crashes");
        assert_eq!(count(1, Noun::Dump, Lang::En), "1 dump");
        assert_eq!(count(9, Noun::Dump, Lang::Ko), "덤프 9개");
        assert_eq!(duration(22 * 60 + 3, Lang::Ko), "22분 3초");
        assert_eq!(duration(3900, Lang::Ko), "1시간 5분");
        assert_eq!(duration(300, Lang::Ko), "5분");
        assert_eq!(duration(300, Lang::En), "5 min");
        assert_eq!(seconds_ms(118_250, Lang::Ko), "118.2초");
        assert_eq!(delta(-2, Lang::Ko), "-2초");
    }

    #[test]
    fn every_korean_label_is_korean() {
        // A label left in English reads as untranslated; only abbreviations that are the same
        // in both languages may repeat.
        for (en, ko) in PAIRS {
            assert!(
                ["PID"].contains(ko) || ko.chars().any(|c| ('가'..='힣').contains(&c)),
                "{en} → {ko}"
            );
        }
        assert_eq!(
            PAIRS.len(),
            PAIRS.iter().filter(|(e, _)| !e.is_empty()).count()
        );
    }
}
