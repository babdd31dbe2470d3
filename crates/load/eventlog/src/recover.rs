//! Insertion strings read back from a rendered message.
//!
//! Event Viewer's CSV/TXT exports keep only the message text; [`crate::interpret`] reads the
//! insertion strings (`%1`, `%2`, …). For the events it understands, [`from_message`] fills
//! [`Event::strings`] in the provider's order from the English or Korean message. Matching
//! is tolerant: IIS events take their quoted values in order (then bare numbers), templates
//! match with whitespace collapsed and ASCII case ignored, and the Application Error / WER
//! messages are read label by label, so a slightly different wording still yields the pool
//! name, PID, exit code and the like. An event it cannot read keeps its message and no
//! strings (no meaning), and is never dropped.
//!
//! Sources of the wording. English: the message tables as Microsoft documents them (W3SVC
//! 1009–1012 and 1002: learn.microsoft.com cc786887 / technet cc737524; WAS 5002/5009/5011:
//! dd364088 and the IIS crash/Debug Diag blog; Application Error 1000 and WER 1001 as pasted
//! in vstepic.blogspot.com 2012/03 and stackoverflow q12922961; EventLog 6013 "The system
//! uptime is N seconds." as other tools reproduce it). Korean: **confirmed** by a pasted
//! Korean event only for W3SVC 1010 and 1011 (laigo.kr/165: "응용 프로그램 풀 '…'에 사용되는
//! 프로세스가 Ping에 응답하지 못했습니다. 프로세스 ID는 '1230'입니다."), which also shows that
//! Korean keeps the quotes around the values; every other Korean template below is
//! **inferred** from Microsoft's usual Korean renderings and marked so. The quoted-value and
//! label rules do not depend on that wording.

use crate::meaning::norm_source;
use crate::Event;

/// Fills `e.strings` from `e.message` when the event has none and its provider and id are
/// ones [`crate::interpret`] reads.
pub fn from_message(e: &mut Event) {
    if !e.strings.is_empty() {
        return;
    }
    let Some(msg) = e.message.as_deref() else {
        return;
    };
    let src = norm_source(&e.source);
    let strings = match (src.as_str(), e.event_id) {
        ("w3svc" | "was", id) => iis(id, msg),
        ("w3svc-wp", 2280) => template(msg, MODULE_LOAD),
        ("application error", 1000) => app_error(msg),
        ("windows error reporting", 1001) => wer(msg),
        (".net runtime", 1026) => vec![msg.to_string()],
        ("service control manager", id) => scm(id, msg),
        ("eventlog", 6008) => template(msg, SHUTDOWN),
        ("eventlog", 6013) => uptime(msg),
        ("wer-systemerrorreporting" | "bugcheck", 1001) => template(msg, BUGCHECK),
        _ => Vec::new(),
    };
    e.strings = strings;
}

/// W3SVC-WP 2280. Korean inferred.
const MODULE_LOAD: &[&str] = &[
    "The Module DLL %1 failed to load.",
    "모듈 DLL %1을(를) 로드하지 못했습니다.",
];
/// EventLog 6008. Korean inferred.
const SHUTDOWN: &[&str] = &[
    "The previous system shutdown at %1 on %2 was unexpected.",
    "%2 %1의 이전 시스템 종료는 예상치 못한 것입니다.",
];
/// BugCheck / WER-SystemErrorReporting 1001. Korean inferred.
const BUGCHECK: &[&str] = &[
    "The computer has rebooted from a bugcheck. The bugcheck was: %1. A dump was saved in: %2. Report Id: %3.",
    "버그 검사 후 컴퓨터가 다시 부팅되었습니다. 버그 검사: %1. 덤프가 저장된 위치: %2. 보고서 ID: %3.",
];
/// WAS 5057 / 5059 (the pool name is not quoted there). Korean inferred.
const POOL_DISABLED: &[&str] = &[
    "Application pool %1 has been disabled.",
    "응용 프로그램 풀 %1을(를) 사용할 수 없습니다.",
];

/// IIS worker/pool events: the quoted values in order are the insertion strings (`'%1'`,
/// `'%2'`, …); a PID or exit code printed without quotes is taken as the next bare number.
fn iis(id: u32, msg: &str) -> Vec<String> {
    let mut v = quoted(msg);
    let pool_pid = matches!(id, 1009..=1013 | 5009..=5013);
    let pid_pool = matches!(id, 1077 | 1117 | 5077 | 5117 | 5186);
    if matches!(id, 5057 | 5059) && v.is_empty() {
        return template(msg, POOL_DISABLED);
    }
    if pool_pid && v.len() == 1 {
        let after = after_quoted(msg, &v[0]);
        v.extend(numbers(after).into_iter().take(2));
    }
    if pid_pool && v.is_empty() {
        v.extend(numbers(msg).into_iter().take(1));
    }
    // A translation may quote the pool before the process id: the id is the number.
    let numeric = |s: &String| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if pid_pool && v.len() >= 2 && !numeric(&v[0]) && numeric(&v[1]) {
        v.swap(0, 1);
    }
    v
}

/// Values between matching quotes: `'…'`, `"…"`, `‘…’`, `“…”`.
fn quoted(msg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = msg;
    while let Some(start) = rest.find(['\'', '"', '‘', '“']) {
        let open = rest[start..].chars().next().unwrap_or('\'');
        let close = match open {
            '‘' => '’',
            '“' => '”',
            c => c,
        };
        let body = &rest[start + open.len_utf8()..];
        let Some(end) = body.find(close) else { break };
        out.push(body[..end].to_string());
        rest = &body[end + close.len_utf8()..];
    }
    out
}

/// The text after the first quoted `value`.
fn after_quoted<'a>(msg: &'a str, value: &str) -> &'a str {
    msg.find(value)
        .map(|i| &msg[(i + value.len() + 1).min(msg.len())..])
        .unwrap_or(msg)
}

/// Bare numbers (decimal, or `0x` hex) in order.
fn numbers(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| {
            !t.is_empty()
                && (t.bytes().all(|b| b.is_ascii_digit())
                    || (t.len() > 2
                        && t[..2].eq_ignore_ascii_case("0x")
                        && t[2..].bytes().all(|b| b.is_ascii_hexdigit())))
        })
        .map(String::from)
        .collect()
}

/// Collapses runs of whitespace to one space.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The insertion strings of the first of `templates` that `msg` matches (`%n` marks where
/// string n goes; whitespace collapsed, ASCII case ignored, a final full stop optional).
fn template(msg: &str, templates: &[&str]) -> Vec<String> {
    templates
        .iter()
        .find_map(|t| match_template(msg, t))
        .unwrap_or_default()
}

fn match_template(msg: &str, tpl: &str) -> Option<Vec<String>> {
    let msg = squash(msg);
    let msg = msg.trim_end_matches('.');
    let low = msg.to_ascii_lowercase();
    let tpl = squash(tpl).to_ascii_lowercase();
    let tpl = tpl.trim_end_matches('.');
    // Pieces: literal, (slot, literal), (slot, literal), …
    let mut parts = tpl.split('%');
    let first = parts.next()?;
    let mut pos = low.find(first)? + first.len();
    let mut out: Vec<String> = Vec::new();
    let pieces: Vec<&str> = parts.collect();
    for (k, piece) in pieces.iter().enumerate() {
        let n = piece.bytes().take_while(u8::is_ascii_digit).count();
        let slot: usize = piece[..n].parse().ok()?;
        let lit = &piece[n..];
        let end = if lit.is_empty() && k + 1 == pieces.len() {
            low.len()
        } else if k + 1 == pieces.len() {
            low[pos..].rfind(lit)? + pos
        } else {
            low[pos..].find(lit)? + pos
        };
        if out.len() < slot {
            out.resize(slot, String::new());
        }
        out[slot - 1] = msg[pos..end].trim().to_string();
        pos = end + lit.len();
    }
    Some(out)
}

/// Service Control Manager 7023/7024/7031/7034/7036. Korean inferred.
fn scm(id: u32, msg: &str) -> Vec<String> {
    let t: &[&str] = match id {
        7036 => &[
            "The %1 service entered the %2 state.",
            "%1 서비스가 %2 상태로 전환되었습니다.",
        ],
        7031 => &[
            "The %1 service terminated unexpectedly. It has done this %2 time(s). The following corrective action will be taken in %3 milliseconds: %5.",
            "%1 서비스가 예기치 않게 종료되었습니다. 이 작업을 %2번 수행했습니다. 다음 정정 작업이 %3밀리초 후에 수행됩니다. %5.",
        ],
        7034 => &[
            "The %1 service terminated unexpectedly. It has done this %2 time(s).",
            "%1 서비스가 예기치 않게 종료되었습니다. 이 작업을 %2번 수행했습니다.",
        ],
        7023 => &[
            "The %1 service terminated with the following error: %2",
            "%1 서비스가 다음 오류 때문에 종료되었습니다. %2",
        ],
        7024 => &[
            "The %1 service terminated with service-specific error %2.",
            "%1 서비스가 서비스 관련 오류 %2 때문에 종료되었습니다.",
        ],
        _ => return Vec::new(),
    };
    template(msg, t)
}

/// EventLog 6013: the uptime is the message's number (`%5`). The time zone (`%7`, "bias
/// name", e.g. `-540 Korea Standard Time`) is taken when the text carries one; the
/// rendered message Windows writes usually does not, and then no zone is known.
fn uptime(msg: &str) -> Vec<String> {
    let Some(seconds) = numbers(msg).into_iter().next() else {
        return Vec::new();
    };
    let mut v = vec![String::new(); 7];
    v[4] = seconds;
    v[6] = zone(msg).unwrap_or_default();
    v
}

/// "`<bias minutes> <zone name>`" where the name ends in "Time" or "표준시".
fn zone(msg: &str) -> Option<String> {
    let words: Vec<&str> = msg.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let w = w.trim_matches(|c: char| c == '(' || c == '\'' || c == '"');
        if w.parse::<i32>().is_err() {
            continue;
        }
        let name_end = words[i + 1..].iter().position(|x| {
            let x = x.trim_end_matches(['.', ')', '\'', '"']);
            x == "Time" || x.ends_with("표준시")
        })?;
        let name_words = &words[i + 1..=i + 1 + name_end];
        // The name is one phrase: no sentence end or number before its last word.
        if name_words[..name_end]
            .iter()
            .any(|x| x.ends_with('.') || x.bytes().any(|b| b.is_ascii_digit()))
        {
            continue;
        }
        let name = name_words.join(" ");
        let name = name.trim_end_matches(['.', ')', '\'', '"']);
        return Some(format!("{w} {name}"));
    }
    None
}

/// Splits a message into (label, value) pairs: one per line, lines split again at ", " (the
/// one-line Vista form); a pair is "label: value", else "label value" (value = last word).
fn labelled(msg: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in msg.lines() {
        for part in line.split(", ") {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (label, value) = match part.split_once(": ") {
                Some((l, v)) => (l, v),
                None => match part.strip_suffix(':') {
                    Some(l) => (l, ""),
                    None => part.rsplit_once(' ').unwrap_or((part, "")),
                },
            };
            let value = value.trim().trim_end_matches('.');
            out.push((label.trim().to_lowercase(), value.to_string()));
        }
    }
    out
}

fn has(label: &str, keys: &[&str]) -> bool {
    keys.iter().any(|k| label.contains(k))
}

/// Application Error 1000, English and Korean (Korean labels inferred: 오류 있는 응용 프로그램
/// 이름, 버전, 타임스탬프, 오류 있는 모듈 이름, 예외 코드, 오류 오프셋, 오류 있는 프로세스 ID, …
/// 시작 시간, … 경로, 보고서 ID). Win7+ (13 strings), Vista (10) and XP/2003 (5) forms.
fn app_error(msg: &str) -> Vec<String> {
    let mut v = vec![String::new(); 15];
    let mut module = false;
    let mut max = 0;
    let mut xp = false;
    for (label, value) in labelled(msg) {
        let l = label.as_str();
        let slot = if has(l, &["start time", "시작 시간"]) {
            10
        } else if has(l, &["path", "경로"]) {
            if has(l, &["module", "모듈"]) {
                12
            } else {
                11
            }
        } else if has(l, &["package full", "패키지 전체"]) {
            14
        } else if has(l, &["relative", "상대"]) {
            15
        } else if has(l, &["report", "보고서"]) {
            13
        } else if has(l, &["exception", "예외"]) {
            7
        } else if has(l, &["fault address", "오류 주소"]) {
            xp = true;
            8
        } else if has(l, &["offset", "오프셋"]) {
            8
        } else if has(l, &["process id", "프로세스 id"]) {
            9
        } else if has(l, &["version", "버전"]) {
            if module {
                5
            } else {
                2
            }
        } else if has(l, &["time stamp", "timestamp", "타임스탬프"]) {
            if module {
                6
            } else {
                3
            }
        } else if has(l, &["module", "모듈"]) {
            module = true;
            4
        } else if has(l, &["application", "응용 프로그램"]) {
            1
        } else {
            continue;
        };
        max = max.max(slot);
        v[slot - 1] = value;
    }
    if v[0].is_empty() {
        return Vec::new();
    }
    if xp || max <= 6 && v[2].is_empty() && v[5].is_empty() {
        // XP/2003: %1 app, %2 version, %3 module, %4 module version, %5 fault address.
        return vec![
            v[0].clone(),
            v[1].clone(),
            v[3].clone(),
            v[4].clone(),
            v[7].clone(),
        ];
    }
    v.truncate(max.max(10));
    v
}

/// Windows Error Reporting 1001 (Korean labels inferred: 오류 버킷, 유형, 이벤트 이름, 응답,
/// 문제 서명, 첨부 파일, 보고서 ID, 보고서 상태, 해시된 버킷).
fn wer(msg: &str) -> Vec<String> {
    let mut v = vec![String::new(); 22];
    let lines: Vec<&str> = msg.lines().map(str::trim).collect();
    let Some(first) = lines.first() else {
        return Vec::new();
    };
    let (bucket, kind) = first.split_once(", ").unwrap_or((first, ""));
    v[0] = strip_label(bucket, &["fault bucket", "오류 버킷"]);
    v[1] = strip_label(kind, &["type", "유형"]);
    let mut i = 1;
    while i < lines.len() {
        let line = lines[i];
        let (label, value) = line.split_once(':').unwrap_or((line, ""));
        let (l, value) = (label.trim().to_lowercase(), value.trim().to_string());
        i += 1;
        let slot = match l.as_str() {
            p if p.len() <= 3 && p.starts_with('p') => match p[1..].parse::<usize>() {
                Ok(n @ 1..=10) => n + 5,
                _ => continue,
            },
            _ if has(&l, &["event name", "이벤트 이름"]) => 3,
            _ if has(&l, &["response", "응답"]) => 4,
            _ if has(&l, &["cab id"]) => 5,
            _ if has(&l, &["attached files", "첨부 파일"]) => {
                let files: Vec<&str> = lines[i..]
                    .iter()
                    .take_while(|x| !x.is_empty())
                    .copied()
                    .collect();
                i += files.len();
                v[15] = files.join("\n");
                continue;
            }
            _ if has(&l, &["available here", "사용할 수 있습니다"]) => {
                v[16] = lines.get(i).map(|x| x.to_string()).unwrap_or_default();
                i += 1;
                continue;
            }
            _ if has(&l, &["analysis symbol", "분석 기호"]) => 18,
            _ if has(&l, &["rechecking", "다시 확인"]) => 19,
            _ if has(&l, &["report status", "보고서 상태"]) => 21,
            _ if has(&l, &["report id", "보고서 id"]) => 20,
            _ if has(&l, &["hashed bucket", "해시된 버킷"]) => 22,
            _ => continue,
        };
        v[slot - 1] = value;
    }
    if v[2].is_empty() {
        return Vec::new();
    }
    v
}

fn strip_label(part: &str, labels: &[&str]) -> String {
    let t = part.trim();
    let low = t.to_lowercase();
    for l in labels {
        if low.starts_with(l) {
            return t[l.len()..].trim().to_string();
        }
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{interpret, Meaning};

    fn ev(source: &str, id: u32, msg: &str) -> Event {
        let mut e = Event {
            source: source.into(),
            event_id: id,
            message: Some(msg.into()),
            ..Event::default()
        };
        from_message(&mut e);
        e
    }

    #[test]
    fn iis_quoted_values_in_both_languages() {
        let en = ev("WAS", 5009, "A process serving application pool 'Shop Pool' terminated unexpectedly. The process id was '4242'. The process exit code was '0xc0000005'.");
        let ko = ev("W3SVC", 1010, "응용 프로그램 풀 'LAIGOAppPool'에 사용되는 프로세스가 Ping에 응답하지 못했습니다. 프로세스 ID는 '1230'입니다.");
        assert_eq!(
            interpret(&en),
            Some(Meaning::WorkerCrashed {
                pool: "Shop Pool".into(),
                pid: Some(4242),
                exit_code: Some(0xc000_0005)
            })
        );
        assert_eq!(
            interpret(&ko),
            Some(Meaning::WorkerPingFailed {
                pool: "LAIGOAppPool".into(),
                pid: Some(1230)
            })
        );
        // Reworded, the PID without quotes: still the pool and the PID.
        let odd = ev(
            "WAS",
            5011,
            "Worker for pool 'P' had a fatal communication error; process id 77.",
        );
        assert!(matches!(
            interpret(&odd),
            Some(Meaning::WorkerCommFailure { pid: Some(77), .. })
        ));
    }

    #[test]
    fn application_error_forms() {
        let win7 = "Faulting application name: w3wp.exe, version: 7.5.7601.17514, time stamp: 0x4ce7afa2\nFaulting module name: oci.dll, version: 11.2.0.1, time stamp: 0x4bb1da76\nException code: 0xc00000fd\nFault offset: 0x000000000006f837\nFaulting process id: 0x11a4\nFaulting application start time: 0x01cd02af9bce5a0e\nFaulting application path: c:\\windows\\system32\\inetsrv\\w3wp.exe\nFaulting module path: c:\\oracle\\oci.dll\nReport Id: d8925b5a-6ea9-11e1-906a-00215e63edd4";
        let Some(Meaning::ApplicationError(a)) = interpret(&ev("Application Error", 1000, win7))
        else {
            panic!()
        };
        assert_eq!(
            (a.app.as_str(), a.module.as_str(), a.pid, a.exception_code),
            ("w3wp.exe", "oci.dll", Some(0x11a4), Some(0xc000_00fd))
        );
        assert_eq!(a.module_path.as_deref(), Some("c:\\oracle\\oci.dll"));
        let vista = "Faulting application w3wp.exe, version 7.0.6001.18000, time stamp 0x47919413, faulting module kernel32.dll, version 6.0.6001.18000, time stamp 0x4791a76d, exception code 0xe053534f, fault offset 0x000442eb, process id 0x1f4, application start time 0x01c9a94d5b5c1e1e.";
        let Some(Meaning::ApplicationError(a)) = interpret(&ev("Application Error", 1000, vista))
        else {
            panic!()
        };
        assert_eq!(
            (a.module.as_str(), a.pid, a.offset),
            ("kernel32.dll", Some(0x1f4), Some(0x442eb))
        );
        let xp = "Faulting application w3wp.exe, version 6.0.3790.1830, faulting module badisapi.dll, version 1.0.0.1, fault address 0x00012345.";
        let Some(Meaning::ApplicationError(a)) = interpret(&ev("Application Error", 1000, xp))
        else {
            panic!()
        };
        assert_eq!(
            (a.module.as_str(), a.offset, a.pid),
            ("badisapi.dll", Some(0x12345), None)
        );
    }

    #[test]
    fn wer_and_uptime_and_unknown() {
        let msg = "Fault bucket 123, type 4\nEvent Name: APPCRASH\nResponse: Not available\nCab Id: 0\n\nProblem signature:\nP1: w3wp.exe\nP2: 7.5.7601.17514\nP3: 4ce7afa2\nP4: oci.dll\nP5: \nP6: 4bb1da76\nP7: c00000fd\nP8: 000000000006f837\nP9: \nP10: \n\nAttached files:\nC:\\t\\WER1.tmp.mdmp\nC:\\t\\WER2.tmp.hdmp\n\nThese files may be available here:\nC:\\ProgramData\\Microsoft\\Windows\\WER\\ReportArchive\\AppCrash_w3wp\n\nAnalysis symbol: \nRechecking for solution: 0\nReport Id: 8a13d73c-62b8-11e1-ab53-0050ba3279b5\nReport Status: 4";
        let Some(Meaning::WerReport(w)) = interpret(&ev("Windows Error Reporting", 1001, msg))
        else {
            panic!()
        };
        assert_eq!(
            (
                w.event_name.as_str(),
                w.p[3].as_str(),
                w.attached_files.len()
            ),
            ("APPCRASH", "oci.dll", 2)
        );
        assert_eq!(
            w.report_id.as_deref(),
            Some("8a13d73c-62b8-11e1-ab53-0050ba3279b5")
        );
        assert!(w.report_path.as_deref().unwrap().ends_with("AppCrash_w3wp"));
        assert_eq!(
            interpret(&ev("EventLog", 6013, "The system uptime is 245 seconds.")),
            Some(Meaning::Uptime {
                seconds: Some(245),
                tz_bias_minutes: None,
                tz_name: None
            })
        );
        assert_eq!(
            interpret(&ev(
                "EventLog",
                6013,
                "The system uptime is 245 seconds. -540 Korea Standard Time"
            )),
            Some(Meaning::Uptime {
                seconds: Some(245),
                tz_bias_minutes: Some(-540),
                tz_name: Some("Korea Standard Time".into())
            })
        );
        let e = ev(
            "Service Control Manager",
            7036,
            "Debug Diagnostic Service 서비스가 실행 중 상태로 전환되었습니다.",
        );
        assert_eq!(e.strings, ["Debug Diagnostic Service", "실행 중"]);
        let e = ev("Some Vendor", 42, "whatever");
        assert!(e.strings.is_empty() && interpret(&e).is_none());
    }
}
