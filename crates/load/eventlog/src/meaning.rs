//! What an event means for a crash investigation.
//!
//! Event logs don't carry their message text (the message tables live in DLLs on the machine
//! that wrote them), so meaning comes from provider + event id + the insertion strings. Each
//! mapping below names its insertion-string layout (`%n` = [`Event::string`]`(n)`). Providers
//! are matched case-insensitively with `Microsoft-Windows-` and `IIS-` prefixes removed, so
//! `W3SVC` (IIS 6, legacy EVT) and `Microsoft-Windows-IIS-W3SVC` (IIS 7+) are the same, as are
//! `WAS` and `Microsoft-Windows-WAS`.

use crate::Event;

/// Application Error 1000: a process died of an unhandled exception.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppError {
    pub app: String,
    pub app_version: Option<String>,
    /// PE TimeDateStamp of the exe (hex in the log).
    pub app_timestamp: Option<u32>,
    pub module: String,
    pub module_version: Option<String>,
    pub module_timestamp: Option<u32>,
    /// NTSTATUS exception code, e.g. 0xC0000005. The XP/2003 short form has none.
    pub exception_code: Option<u32>,
    /// Fault offset within `module` (Vista+) or fault address (XP/2003).
    pub offset: Option<u64>,
    pub pid: Option<u32>,
    /// Process start time, Unix seconds (from the FILETIME in the log).
    pub start_time: Option<i64>,
    pub app_path: Option<String>,
    pub module_path: Option<String>,
    /// WER report id (GUID), which links to Windows Error Reporting 1001.
    pub report_id: Option<String>,
}

/// Windows Error Reporting 1001: a WER report (APPCRASH, BEX, APPHANG, …) was queued/sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WerReport {
    pub bucket: String,
    pub bucket_type: Option<String>,
    /// APPCRASH, BEX, BEX64, APPHANG, CLR20r3, …
    pub event_name: String,
    pub response: Option<String>,
    pub cab_id: Option<String>,
    /// Problem signature P1..P10 (for APPCRASH: app, app version, app timestamp, module,
    /// module version, module timestamp, exception code, offset, …); empty ones kept empty.
    pub p: Vec<String>,
    /// Files attached to the report (minidumps `*.mdmp`, heap dumps `*.hdmp`, …).
    pub attached_files: Vec<String>,
    /// Folder holding the report (ReportQueue / ReportArchive).
    pub report_path: Option<String>,
    pub report_id: Option<String>,
    pub report_status: Option<String>,
}

/// Which memory limit a recycled worker reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryLimit {
    /// Virtual bytes (`PeriodicRestartMemory`, `periodicRestart/@memory`).
    Virtual,
    /// Private bytes (`PeriodicRestartPrivateMemory`, `periodicRestart/@privateMemory`).
    Private,
}

impl MemoryLimit {
    /// `virtual memory` / `private bytes memory`, as the events word it.
    pub fn as_str(self) -> &'static str {
        match self {
            MemoryLimit::Virtual => "virtual memory",
            MemoryLimit::Private => "private bytes memory",
        }
    }
}

/// A typed reading of an event that matters for "why did it die".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meaning {
    /// W3SVC 1009 (IIS 6) / WAS 5009 (IIS 7+): "A process serving application pool '%1'
    /// terminated unexpectedly. The process id was '%2'. The process exit code was '0x%3'."
    /// Exit codes 0xFFFFFFFD/FE/FF are the KILLED/CLEAN/ERROR worker exit codes.
    WorkerCrashed {
        pool: String,
        pid: Option<u32>,
        exit_code: Option<u32>,
    },
    /// W3SVC 1011 / WAS 5011: "A process serving application pool '%1' suffered a fatal
    /// communication error with the … service. The process id was '%2'. The data field
    /// contains the error number." `error` = first little-endian u32 of the data field.
    WorkerCommFailure {
        pool: String,
        pid: Option<u32>,
        error: Option<u32>,
    },
    /// W3SVC 1010 / WAS 5010: "A process serving application pool '%1' failed to respond to a
    /// ping. The process id was '%2'." (hung worker, killed by WAS)
    WorkerPingFailed { pool: String, pid: Option<u32> },
    /// W3SVC 1012 / WAS 5012: "… '%1' exceeded time limits during start up. The process id was
    /// '%2'."
    WorkerStartupTimeout { pool: String, pid: Option<u32> },
    /// W3SVC 1013 / WAS 5013: "… '%1' exceeded time limits during shut down. The process id was
    /// '%2'."
    WorkerShutdownTimeout { pool: String, pid: Option<u32> },
    /// W3SVC 1015 / WAS 5015 (`WAS_EVENT_ORPHAN_ACTION_FAILED`): "A process serving
    /// application pool '%1' was orphaned but the specified orphan action %2 could not be
    /// executed. The data field contains the error number." The pool's `orphanWorkerProcess`
    /// left a worker that failed (typically a ping) running for debugging instead of killing
    /// it. IIS has no event for an orphaning whose action ran: the ping failure (1010/5010)
    /// is then the only record. The message names no PID (`%2` is the action's command line,
    /// which may hold one but is not read as one).
    WorkerOrphaned {
        pool: String,
        action: Option<String>,
        error: Option<u32>,
    },
    /// W3SVC 1002 (IIS 6) / WAS 5002 (IIS 7+): "Application pool '%1' is being automatically
    /// disabled due to a series of failures in the process(es) serving that application pool."
    /// Rapid-fail protection: by default 5 crashes within 5 minutes. HTTP.sys then answers
    /// 503 (HTTPERR reason AppOffline).
    RapidFailDisabled { pool: String },
    /// WAS 5057 / 5059: "Application pool %1 has been disabled. WAS did not create a worker
    /// process … because the application pool identity is invalid" (5057) / "… encountered a
    /// failure when it started a worker process …" (5059). Not in anchors.md: from Microsoft's
    /// "Application Pool Availability" pages as remembered; treat `why` as a hint.
    PoolDisabled { pool: String, why: &'static str },
    /// WAS 5186: "A worker process with process id of '%1' serving application pool '%2' was
    /// shutdown due to inactivity. Application Pool timeout configuration was set to %3
    /// minutes." Idle timeout: a *normal* exit, not a crash and not a disabled pool (some
    /// write-ups list 5186 among pool failures; we don't).
    WorkerIdleShutdown {
        pool: String,
        pid: Option<u32>,
        idle_minutes: Option<u32>,
    },
    /// W3SVC 1077 (IIS 6) / WAS 5077 (IIS 7+): "A worker process with process id of '%1' serving
    /// application pool '%2' has requested a recycle because it reached its virtual memory
    /// limit." (KB 919790); W3SVC 1117 / WAS 5117: the same for its private bytes memory limit.
    /// A planned recycle (logged as information when the pool logs recycles), not a crash: the
    /// worker outgrew the pool's configured memory limit, usually through a leak.
    MemoryRecycle {
        pool: String,
        pid: Option<u32>,
        limit: MemoryLimit,
    },
    /// IIS-W3SVC-WP 2280: "The Module DLL %1 failed to load. The data is the error."
    ModuleLoadFailed { module: String, error: Option<u32> },
    /// Application Error 1000 (see [`AppError`] for the fields). Layouts, by string count:
    /// * XP/2003 (5): %1 app, %2 app version, %3 module, %4 module version, %5 fault address;
    /// * Vista/2008 (10): %1 app, %2 version, %3 app timestamp, %4 module, %5 module version,
    ///   %6 module timestamp, %7 exception code, %8 fault offset, %9 pid (hex), %10 start time
    ///   (FILETIME hex);
    /// * Win7+ (13): + %11 app path, %12 module path, %13 report id;
    /// * Win10 (15): + %14 package full name, %15 package-relative app id.
    ///
    /// (EvtxECmd's map for 1000 only says the payload is `/Event/EventData/Data`; the order
    /// above is the message template's, and matches many-events-application.evtx.)
    ApplicationError(Box<AppError>),
    /// Windows Error Reporting 1001: %1 bucket, %2 bucket type, %3 event name, %4 response,
    /// %5 cab id, %6..%15 P1..P10, %16 attached files (CRLF-separated), %17 report folder,
    /// %18 analysis symbol, %19 rechecking for solution, %20 report id, %21 report status,
    /// (%22 hashed bucket on Win8+).
    WerReport(Box<WerReport>),
    /// .NET Runtime 1026: %1 = "Application: w3wp.exe\nFramework Version: v4.0.30319\n
    /// Description: The process was terminated due to an unhandled exception.\nException Info:
    /// System.StackOverflowException\n…". `app` and `exception` are lifted from those lines.
    DotNetUnhandled {
        app: Option<String>,
        exception: Option<String>,
        message: String,
    },
    /// Application Hang 1002. Vista+: %1 app, %2 version, %3 pid (hex), %4 start time,
    /// %5 termination time, %6 app path, %7 report id; XP/2003 (5 strings): %1 app, %2 version,
    /// %3 hang module, %4 module version, %5 hang address.
    AppHang {
        app: String,
        app_version: Option<String>,
        pid: Option<u32>,
        /// When the hung process started, Unix seconds (%4, a FILETIME in hex).
        started: Option<i64>,
        /// %5 as the event gives it (a number Windows does not document further).
        termination: Option<String>,
        app_path: Option<String>,
        report_id: Option<String>,
    },
    /// Service Control Manager 7031 ("The %1 service terminated unexpectedly. It has done this
    /// %2 time(s). The following corrective action will be taken in %3 milliseconds: %5.") and
    /// 7034 ("The %1 service terminated unexpectedly. It has done this %2 time(s).").
    ServiceCrashed {
        service: String,
        count: Option<u32>,
        action: Option<String>,
    },
    /// SCM 7023 ("The %1 service terminated with the following error: %2") and 7024 ("The %1
    /// service terminated with service-specific error %2.").
    ServiceFailed { service: String, error: String },
    /// SCM 7036: "The %1 service entered the %2 state."
    ServiceState { service: String, state: String },
    /// EventLog 6005: the event log service started (≈ boot). The data field holds the boot
    /// time as a SYSTEMTIME (`boot_time`, Unix seconds, as written).
    LogStarted { boot_time: Option<i64> },
    /// EventLog 6006: the event log service stopped (clean shutdown).
    LogStopped,
    /// EventLog 6008: "The previous system shutdown at %1 on %2 was unexpected." (%1 time, %2
    /// date, both in the machine's local format; the data field holds a SYSTEMTIME).
    UnexpectedShutdown {
        time_text: String,
        date_text: String,
    },
    /// EventLog 6013: "The system uptime is %5 seconds." %7 = "<bias minutes> <time-zone name>"
    /// (bias = UTC − local, e.g. "300 Eastern Standard Time" = UTC−5), which `investigate`
    /// uses to place local times (6008, HTTP logs with local time) on the UTC axis.
    Uptime {
        seconds: Option<u64>,
        tz_bias_minutes: Option<i32>,
        tz_name: Option<String>,
    },
    /// Kernel-Power 41: "The system has rebooted without cleanly shutting down first."
    /// Named data BugcheckCode when present.
    KernelPowerLoss { bugcheck_code: Option<u64> },
    /// WER-SystemErrorReporting 1001 / BugCheck 1001: "The computer has rebooted from a
    /// bugcheck. The bugcheck was: %1. A dump was saved in: %2. Report Id: %3."
    BugCheck {
        bugcheck: String,
        dump_path: Option<String>,
        report_id: Option<String>,
    },
}

pub(crate) fn norm_source(s: &str) -> String {
    let mut l = s.trim().to_ascii_lowercase();
    if let Some(r) = l.strip_prefix("microsoft-windows-") {
        l = r.to_string();
    }
    if let Some(r) = l.strip_prefix("iis-") {
        l = r.to_string();
    }
    l
}

fn s(e: &Event, n: usize) -> Option<String> {
    e.string(n)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn req(e: &Event, n: usize) -> String {
    s(e, n).unwrap_or_default()
}

fn hex_u64(v: &str) -> Option<u64> {
    let v = v.trim();
    let v = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(v);
    if v.is_empty() || v.len() > 16 {
        return None;
    }
    u64::from_str_radix(v, 16).ok()
}

fn hex_u32(v: &str) -> Option<u32> {
    hex_u64(v).and_then(|x| u32::try_from(x).ok())
}

/// "0x…" is hex; otherwise decimal digits are decimal and anything with a-f is hex.
fn num_u32(v: &str) -> Option<u32> {
    let t = v.trim();
    if t.starts_with("0x") || t.starts_with("0X") {
        return hex_u32(t);
    }
    t.parse::<u32>().ok().or_else(|| hex_u32(t))
}

fn data_u32(e: &Event) -> Option<u32> {
    e.data
        .get(0..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// FILETIME (100 ns since 1601) as hex text → Unix seconds.
fn filetime_hex(v: &str) -> Option<i64> {
    let ft = hex_u64(v)?;
    let secs = (ft / 10_000_000) as i64 - 11_644_473_600;
    (secs > 0).then_some(secs)
}

/// SYSTEMTIME (8 × u16: year, month, weekday, day, hour, minute, second, ms) → Unix seconds.
fn systemtime(d: &[u8]) -> Option<i64> {
    let w = |i: usize| {
        d.get(i * 2..i * 2 + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let (y, mo, day, h, mi, sec) = (w(0)?, w(1)?, w(3)?, w(4)?, w(5)?, w(6)?);
    if !(1601..=30827).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&day) {
        return None;
    }
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let days = crate::time::days_from_civil(i64::from(y), u32::from(mo), u32::from(day));
    Some(days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec))
}

fn pool_pid(e: &Event) -> (String, Option<u32>) {
    (req(e, 1), s(e, 2).and_then(|p| num_u32(&p)))
}

/// Reads what an event means, for the providers and ids documented on [`Meaning`].
pub fn interpret(e: &Event) -> Option<Meaning> {
    let src = norm_source(&e.source);
    let id = e.event_id;
    let m = match (src.as_str(), id) {
        ("w3svc" | "was" | "w3svc-wp", _) => return iis(&src, id, e),
        ("application error", 1000) => Meaning::ApplicationError(Box::new(app_error(e)?)),
        ("windows error reporting", 1001) => Meaning::WerReport(Box::new(wer(e)?)),
        (".net runtime", 1026) => return dotnet_unhandled(e),
        ("application hang", 1002) => return app_hang(e),
        ("service control manager", _) => return service_control_manager(id, e),
        ("eventlog", _) => return event_log(id, e),
        ("kernel-power", 41) => Meaning::KernelPowerLoss {
            bugcheck_code: e.named("BugcheckCode").and_then(|v| v.trim().parse().ok()),
        },
        ("wer-systemerrorreporting", 1001) | ("bugcheck", 1001) => Meaning::BugCheck {
            bugcheck: s(e, 1)?,
            dump_path: s(e, 2),
            report_id: s(e, 3),
        },
        _ => return None,
    };
    Some(m)
}

/// IIS: W3SVC (IIS 6) and WAS (IIS 7+) worker-process and pool events, W3SVC-WP module loads.
fn iis(src: &str, id: u32, e: &Event) -> Option<Meaning> {
    let m = match (src, id) {
        ("w3svc", 1009) | ("was", 5009) => {
            let (pool, pid) = pool_pid(e);
            // IIS 6's message prints "0x%3", so %3 is bare hex there.
            let exit_code = s(e, 3).and_then(|c| {
                if src == "w3svc" {
                    hex_u32(&c)
                } else {
                    num_u32(&c)
                }
            });
            Meaning::WorkerCrashed {
                pool,
                pid,
                exit_code,
            }
        }
        ("w3svc", 1011) | ("was", 5011) => {
            let (pool, pid) = pool_pid(e);
            Meaning::WorkerCommFailure {
                pool,
                pid,
                error: data_u32(e).or_else(|| s(e, 3).and_then(|c| num_u32(&c))),
            }
        }
        ("w3svc", 1010) | ("was", 5010) => {
            let (pool, pid) = pool_pid(e);
            Meaning::WorkerPingFailed { pool, pid }
        }
        ("w3svc", 1012) | ("was", 5012) => {
            let (pool, pid) = pool_pid(e);
            Meaning::WorkerStartupTimeout { pool, pid }
        }
        ("w3svc", 1013) | ("was", 5013) => {
            let (pool, pid) = pool_pid(e);
            Meaning::WorkerShutdownTimeout { pool, pid }
        }
        ("w3svc", 1015) | ("was", 5015) => Meaning::WorkerOrphaned {
            pool: req(e, 1),
            action: s(e, 2),
            error: data_u32(e),
        },
        ("w3svc", 1002) | ("was", 5002) => Meaning::RapidFailDisabled { pool: req(e, 1) },
        ("was", 5057) => Meaning::PoolDisabled {
            pool: req(e, 1),
            why: "application pool identity is invalid",
        },
        ("was", 5059) => Meaning::PoolDisabled {
            pool: req(e, 1),
            why: "WAS failed to start a worker process",
        },
        ("was", 5186) => Meaning::WorkerIdleShutdown {
            pid: s(e, 1).and_then(|p| num_u32(&p)),
            pool: req(e, 2),
            idle_minutes: s(e, 3).and_then(|p| p.parse().ok()),
        },
        ("w3svc", 1077) | ("was", 5077) | ("w3svc", 1117) | ("was", 5117) => {
            Meaning::MemoryRecycle {
                pid: s(e, 1).and_then(|p| num_u32(&p)),
                pool: req(e, 2),
                limit: if id % 1000 == 77 {
                    MemoryLimit::Virtual
                } else {
                    MemoryLimit::Private
                },
            }
        }
        ("w3svc-wp", 2280) => Meaning::ModuleLoadFailed {
            module: req(e, 1),
            error: data_u32(e),
        },
        _ => return None,
    };
    Some(m)
}

/// .NET Runtime 1026: the unhandled exception's text, with its application and exception
/// lines picked out.
fn dotnet_unhandled(e: &Event) -> Option<Meaning> {
    let message = e
        .strings
        .iter()
        .map(|x| x.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    if message.trim().is_empty() {
        return None;
    }
    // Korean labels (응용 프로그램:, 예외 정보:) inferred, for messages read from a Korean
    // Event Viewer export.
    let line = |keys: [&str; 2]| {
        message.lines().find_map(|l| {
            let l = l.trim();
            keys.iter()
                .find_map(|k| l.strip_prefix(k))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        })
    };
    Some(Meaning::DotNetUnhandled {
        app: line(["Application:", "응용 프로그램:"]),
        exception: line(["Exception Info:", "예외 정보:"]),
        message,
    })
}

/// Application Hang 1002: the short form (at most 5 strings) has no PID, path or report id.
fn app_hang(e: &Event) -> Option<Meaning> {
    let app = s(e, 1)?;
    Some(if e.strings.len() <= 5 {
        Meaning::AppHang {
            app,
            app_version: s(e, 2),
            pid: None,
            started: None,
            termination: None,
            app_path: None,
            report_id: None,
        }
    } else {
        Meaning::AppHang {
            app,
            app_version: s(e, 2),
            pid: s(e, 3).and_then(|p| hex_u32(&p)),
            started: s(e, 4).and_then(|t| filetime_hex(&t)),
            termination: s(e, 5),
            app_path: s(e, 6),
            report_id: s(e, 7),
        }
    })
}

/// Service Control Manager: a service crashed (7031, 7034), failed (7023, 7024) or changed
/// state (7036).
fn service_control_manager(id: u32, e: &Event) -> Option<Meaning> {
    Some(match id {
        7031 | 7034 => Meaning::ServiceCrashed {
            service: s(e, 1)?,
            count: s(e, 2).and_then(|c| c.parse().ok()),
            action: if id == 7031 { s(e, 5) } else { None },
        },
        7023 | 7024 => Meaning::ServiceFailed {
            service: s(e, 1)?,
            error: req(e, 2),
        },
        7036 => Meaning::ServiceState {
            service: s(e, 1)?,
            state: req(e, 2),
        },
        _ => return None,
    })
}

/// EventLog: the log started (6005, with the boot time) or stopped (6006), an unexpected
/// shutdown (6008), the uptime and time zone (6013).
fn event_log(id: u32, e: &Event) -> Option<Meaning> {
    Some(match id {
        6005 => Meaning::LogStarted {
            boot_time: systemtime(&e.data),
        },
        6006 => Meaning::LogStopped,
        6008 => Meaning::UnexpectedShutdown {
            time_text: strip_marks(&req(e, 1)),
            date_text: strip_marks(&req(e, 2)),
        },
        6013 => {
            // Vista+: 7 strings (%5 uptime, %7 bias+name); XP/2003 logs just "%5"-style
            // uptime as the only non-empty leading string in some builds: take the first
            // numeric string as uptime when %5 is missing.
            let seconds = s(e, 5)
                .and_then(|v| v.parse().ok())
                .or_else(|| e.strings.iter().find_map(|v| v.trim().parse().ok()));
            let tz = s(e, 7);
            let (bias, name) = match tz.as_deref().and_then(|t| t.split_once(' ')) {
                Some((b, n)) => (b.parse().ok(), Some(n.trim().to_string())),
                None => (tz.as_deref().and_then(|t| t.parse().ok()), None),
            };
            Meaning::Uptime {
                seconds,
                tz_bias_minutes: bias,
                tz_name: name.filter(|n| !n.is_empty()),
            }
        }
        _ => return None,
    })
}

/// Drops the Unicode direction marks Windows puts around localized dates.
fn strip_marks(v: &str) -> String {
    v.chars()
        .filter(|c| !matches!(c, '\u{200e}' | '\u{200f}'))
        .collect()
}

fn app_error(e: &Event) -> Option<AppError> {
    let n = e.strings.len();
    let app = s(e, 1)?;
    if n <= 6 {
        // XP/2003 short form.
        return Some(AppError {
            app,
            app_version: s(e, 2),
            module: req(e, 3),
            module_version: s(e, 4),
            offset: s(e, 5).and_then(|v| hex_u64(&v)),
            ..AppError::default()
        });
    }
    Some(AppError {
        app,
        app_version: s(e, 2),
        app_timestamp: s(e, 3).and_then(|v| hex_u32(&v)),
        module: req(e, 4),
        module_version: s(e, 5),
        module_timestamp: s(e, 6).and_then(|v| hex_u32(&v)),
        exception_code: s(e, 7).and_then(|v| hex_u32(&v)),
        offset: s(e, 8).and_then(|v| hex_u64(&v)),
        pid: s(e, 9).and_then(|v| hex_u32(&v)),
        start_time: s(e, 10).and_then(|v| filetime_hex(&v)),
        app_path: s(e, 11),
        module_path: s(e, 12),
        report_id: s(e, 13),
    })
}

fn wer(e: &Event) -> Option<WerReport> {
    if e.strings.len() < 3 {
        return None;
    }
    Some(WerReport {
        bucket: req(e, 1),
        bucket_type: s(e, 2),
        event_name: s(e, 3)?,
        response: s(e, 4),
        cab_id: s(e, 5),
        p: (6..=15).map(|i| req(e, i)).collect(),
        attached_files: e
            .string(16)
            .map(|v| {
                v.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
        report_path: s(e, 17),
        report_id: s(e, 20),
        report_status: s(e, 21),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(source: &str, id: u32, strings: &[&str]) -> Event {
        Event {
            source: source.into(),
            event_id: id,
            strings: strings.iter().map(|x| x.to_string()).collect(),
            ..Event::default()
        }
    }

    #[test]
    fn was_and_w3svc() {
        let m = interpret(&ev(
            "Microsoft-Windows-WAS",
            5009,
            &["DefaultAppPool", "4242", "0xc0000005"],
        ));
        assert_eq!(
            m,
            Some(Meaning::WorkerCrashed {
                pool: "DefaultAppPool".into(),
                pid: Some(4242),
                exit_code: Some(0xc000_0005)
            })
        );
        let m = interpret(&ev("W3SVC", 1009, &["Pool", "12", "ffffffff"]));
        assert!(matches!(
            m,
            Some(Meaning::WorkerCrashed {
                exit_code: Some(0xffff_ffff),
                ..
            })
        ));
        let mut e = ev("W3SVC", 1011, &["Pool", "12"]);
        e.data = 0x8007_006du32.to_le_bytes().to_vec();
        assert!(matches!(
            interpret(&e),
            Some(Meaning::WorkerCommFailure {
                error: Some(0x8007_006d),
                ..
            })
        ));
        assert_eq!(
            interpret(&ev("W3SVC", 1010, &["Hung Pool", "3100"])),
            Some(Meaning::WorkerPingFailed {
                pool: "Hung Pool".into(),
                pid: Some(3100)
            })
        );
        assert_eq!(
            interpret(&ev("Microsoft-Windows-WAS", 5013, &["P", "1111"])),
            Some(Meaning::WorkerShutdownTimeout {
                pool: "P".into(),
                pid: Some(1111)
            })
        );
        let mut e = ev("WAS", 5015, &["P", "c:\\dbg\\cdb.exe -p 1111"]);
        e.data = 5u32.to_le_bytes().to_vec();
        assert_eq!(
            interpret(&e),
            Some(Meaning::WorkerOrphaned {
                pool: "P".into(),
                action: Some("c:\\dbg\\cdb.exe -p 1111".into()),
                error: Some(5)
            })
        );
        assert_eq!(
            interpret(&ev("W3SVC", 1077, &["1234", "DefaultAppPool"])),
            Some(Meaning::MemoryRecycle {
                pool: "DefaultAppPool".into(),
                pid: Some(1234),
                limit: MemoryLimit::Virtual
            })
        );
        assert_eq!(
            interpret(&ev("Microsoft-Windows-WAS", 5117, &["4321", "Leaky"])),
            Some(Meaning::MemoryRecycle {
                pool: "Leaky".into(),
                pid: Some(4321),
                limit: MemoryLimit::Private
            })
        );
        assert!(matches!(
            interpret(&ev("W3SVC", 1117, &["1", "P"])),
            Some(Meaning::MemoryRecycle {
                limit: MemoryLimit::Private,
                ..
            })
        ));
        assert!(matches!(
            interpret(&ev("WAS", 5186, &["77", "Pool", "20"])),
            Some(Meaning::WorkerIdleShutdown {
                pid: Some(77),
                idle_minutes: Some(20),
                ..
            })
        ));
    }

    #[test]
    fn uptime_and_dotnet() {
        let m = interpret(&ev(
            "EventLog",
            6013,
            &["", "", "", "", "245", "60", "300 Eastern Standard Time"],
        ));
        assert_eq!(
            m,
            Some(Meaning::Uptime {
                seconds: Some(245),
                tz_bias_minutes: Some(300),
                tz_name: Some("Eastern Standard Time".into())
            })
        );
        let m = interpret(&ev(
            ".NET Runtime",
            1026,
            &["Application: w3wp.exe\nFramework Version: v4.0.30319\nDescription: The process was terminated due to an unhandled exception.\nException Info: System.StackOverflowException\n"],
        ));
        assert!(
            matches!(m, Some(Meaning::DotNetUnhandled { app: Some(ref a), exception: Some(ref x), .. }) if a == "w3wp.exe" && x == "System.StackOverflowException")
        );
    }

    #[test]
    fn systemtime_decodes() {
        let d = [220u8, 7, 3, 0, 4, 0, 15, 0, 7, 0, 12, 0, 59, 0, 28, 3];
        assert_eq!(systemtime(&d), Some(1_331_795_579));
        assert_eq!(systemtime(&[0; 16]), None);
    }
}
