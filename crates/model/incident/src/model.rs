//! The incident model: what `investigate` found, ready for the renderers. Serialised as the
//! `coroner.investigation.v1` JSON document (docs/json-schema.md); times are RFC 3339 UTC,
//! codes `0x…`.

pub use crate::said::{CaptureKind, Fact, Quoted, Said};
use crate::time::Time;
use coroner_iis::config::PoolSettings;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const SCHEMA: &str = "coroner.investigation.v1";

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Investigation {
    pub schema: &'static str,
    pub tool: String,
    pub inputs: Vec<PathBuf>,
    pub time_zone: TimeZone,
    /// Error/Warning/Information rows, most important first.
    pub verdict: Vec<VerdictRow>,
    pub pools: Vec<Pool>,
    pub timeline: Vec<TimelineEntry>,
    pub groups: Vec<GroupInfo>,
    pub dumps: Vec<DumpInfo>,
    pub event_logs: Vec<EventLogInfo>,
    pub web_logs: Vec<WebLogInfo>,
    pub configs: Vec<ConfigInfo>,
    pub wer_reports: Vec<WerInfo>,
    /// Every HTTP status.substatus, Win32 status and HTTPERR reason that occurs, explained.
    pub codes: Vec<CodeInfo>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<Said>,
}

impl Investigation {
    /// How many inputs were used as evidence (dumps, event logs, web logs, IIS
    /// configurations, WER reports); 0 when nothing usable was found.
    pub fn evidence_used(&self) -> usize {
        self.dumps.len()
            + self.event_logs.len()
            + self.web_logs.len()
            + self.configs.len()
            + self.wer_reports.len()
    }
}

/// The time zone used to place local times (dump file names, local-time web logs) on UTC.
#[derive(Clone, Debug, Serialize)]
pub struct TimeZone {
    /// Minutes, UTC − local (Windows' bias: 300 = UTC−5).
    pub bias_minutes: i32,
    pub name: Option<String>,
    /// `UTC-05:00`.
    pub utc_offset: String,
    /// Where the offset came from.
    pub source: Said,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Information,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "Error",
            Level::Warning => "Warning",
            Level::Information => "Information",
        }
    }
}

/// One DebugDiag-style analysis summary row: what the correlation decided ([`VerdictKind`], with
/// the facts its sentences need) and its English words for the JSON document, both from
/// `coroner_report::phrase::investigate::verdict`, which words a row in any language.
#[derive(Clone, Debug, Serialize)]
pub struct VerdictRow {
    pub level: Level,
    /// Not in the JSON document (`description` and `recommendation` say it).
    #[serde(skip)]
    pub kind: VerdictKind,
    pub description: String,
    pub recommendation: String,
}

/// What a verdict row says, with the facts its sentences rest on.
#[derive(Clone, Debug, PartialEq)]
pub enum VerdictKind {
    /// The crashes of a pool (or a process), their dumps and the cause their dumps share.
    Crashes {
        pool: String,
        /// An application pool (else a process).
        app_pool: bool,
        /// The process that crashed (`w3wp.exe`), for the capture command.
        process: String,
        crashes: usize,
        first: Time,
        last: Time,
        pids: Vec<u32>,
        with_dump: usize,
        cause: Option<SharedCause>,
    },
    /// The times a pool stopped answering (its span, request waits and the cause its hang
    /// dumps share are the pool's `hangs`, `hang_cause`).
    Hangs {
        pool: String,
        hangs: usize,
        with_dump: usize,
        dumps: usize,
        /// What IIS saw, each once.
        hows: Vec<Said>,
        /// What the hang dumps recommend, when they recommend anything.
        recommendation: Option<String>,
        /// The analysis that recommendation is of.
        analysis: Option<Quoted>,
    },
    /// A rapid-fail episode, recorded by an event or predicted from the pool's threshold.
    RapidFail {
        pool: String,
        by_event: bool,
        disabled_at: Time,
        failures: usize,
        max_crashes: u32,
        interval_seconds: i64,
        threshold_source: Said,
        /// When the pool served again and how long it was offline.
        restored: Option<(Time, i64)>,
        restored_how: Said,
        http_503: u64,
        /// The 503s by reason, connection reasons left out.
        reasons: Vec<(String, u64)>,
    },
    /// The requests in flight when the pool's workers died.
    InFlight {
        pool: String,
        requests: usize,
        crashes: usize,
        crashes_with_one: usize,
        /// `METHOD URL` and how often, most frequent first.
        urls: Vec<(String, usize)>,
        /// How many crashes the most frequent one was in flight at.
        top_at: usize,
    },
    /// Requests that ended with a broken connection.
    BrokenConnections {
        pool: String,
        win32_64: u64,
        win32_1236: u64,
    },
    /// A pool that answered 503 with no crash among the evidence.
    Outage {
        pool: String,
        http_503: u64,
        first: Option<Time>,
        last: Option<Time>,
        reasons: Vec<(String, u64)>,
    },
    /// A pool's memory: recycles on its memory limits, out-of-memory crashes, a worker's growth
    /// over a series of dumps (the facts are the pool's `memory`).
    Memory {
        pool: String,
        /// The first memory finding of the series' last dump and that dump's file name.
        latest: Option<(String, &'static str)>,
    },
    /// A dump group no crash row covers.
    Group {
        dumps: usize,
        bucket: String,
        verdict: String,
        recommendation: String,
        /// The analysis those words are of (its first finding's).
        analysis: Option<Quoted>,
    },
    /// Dumps not counted as crashes.
    LiveDumps { dumps: Vec<LiveDump> },
    /// Dumps with an exception that could not be placed among the events.
    Unmatched { files: Vec<String> },
    /// Dumps or web logs none of which lies within a day of the event logs.
    ApartInTime {
        logs: (Time, Time),
        web_logs: bool,
        count: usize,
        span: (Time, Time),
        /// The offset taken from the event logs (`UTC-05:00`), which may not apply to them.
        offset_from_events: Option<String>,
    },
    /// The time zone used.
    TimeZone { utc_offset: String, source: Said },
    /// The evidence read.
    Evidence {
        dumps: usize,
        event_logs: usize,
        records: usize,
        web_logs: usize,
        requests: usize,
        configs: usize,
        wer_reports: usize,
        skipped: usize,
    },
}

/// The cause the dumps of a pool's crashes share: their bucket, its group's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedCause {
    pub bucket: String,
    /// How many of the crashes with a dump have this bucket.
    pub dumps: usize,
    pub verdict: String,
    pub who_to_call: Option<String>,
    pub recommendation: String,
    /// The analysis those words are of (its first finding's).
    pub analysis: Option<Quoted>,
}

/// A dump not counted as a crash.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveDump {
    pub file: String,
    pub capture: Said,
    pub pool: Option<String>,
    pub pid: Option<u32>,
    pub why: Said,
}

/// An application pool (or, for crashes not tied to a pool, a process).
#[derive(Clone, Debug, Serialize)]
pub struct Pool {
    pub name: String,
    /// `application pool` or `process`.
    pub kind: &'static str,
    pub threshold: Threshold,
    /// Sites served (`1 (Default Web Site)`), from the IIS configuration.
    pub sites: Vec<String>,
    pub crashes: Vec<Crash>,
    /// Times a worker of the pool stopped answering (W3SVC 1010/1013/1015, WAS
    /// 5010/5013/5015): hangs, apart from the crashes and never counted among them.
    pub hangs: Vec<Hang>,
    /// What the hang dumps matched to the pool's hangs say, in common (`null` without one).
    pub hang_cause: Option<HangCause>,
    pub rapid_fail: Vec<RapidFail>,
    pub outage: Outage,
    pub in_flight: Vec<InFlight>,
    pub failed_requests: FailedRequests,
    /// How the pool ran out of memory: recycles on its memory limits, out-of-memory crashes,
    /// and a worker's memory over a series of its dumps.
    pub memory: PoolMemory,
}

/// The memory story of a pool (issue 15): the limits IIS recycles it on, the recycles, the
/// crashes whose dump says it ran out of memory, and a worker's growth over a series of dumps.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PoolMemory {
    /// The private-bytes limit that recycles a worker, KB (`null`: off or no configuration).
    pub private_limit_kb: Option<u64>,
    /// The virtual-memory limit, KB (`null`: off or no configuration).
    pub virtual_limit_kb: Option<u64>,
    /// Where the limits were read (`MetaBase.xml`).
    pub limits_from: Option<String>,
    /// Workers recycled on reaching a limit (W3SVC 1077/1117, WAS 5077/5117), by time.
    pub recycles: Vec<Recycle>,
    /// The crashes of the pool whose dump's verdict is `out_of_memory`, by time.
    pub out_of_memory_crashes: Vec<Time>,
    /// The longest series of dumps of one worker (two or more, by time), with its memory in each.
    pub series: Vec<MemorySample>,
    /// Growth over the series, when it grew.
    pub growth: Option<MemoryGrowth>,
}

impl PoolMemory {
    /// Whether there is anything to tell.
    pub fn is_empty(&self) -> bool {
        self.recycles.is_empty() && self.out_of_memory_crashes.is_empty() && self.series.is_empty()
    }
}

/// A worker recycled because it reached a memory limit.
#[derive(Clone, Debug, Serialize)]
pub struct Recycle {
    pub time: Time,
    pub pid: Option<u32>,
    /// `private` (private bytes: W3SVC 1117, WAS 5117) or `virtual` (W3SVC 1077, WAS 5077).
    pub limit: &'static str,
    /// The configured value of that limit, KB (`null`: not in the configuration given).
    pub limit_kb: Option<u64>,
    pub evidence: EvidenceRef,
}

/// One dump's memory, for a series.
#[derive(Clone, Debug, Serialize)]
pub struct MemorySample {
    pub file: PathBuf,
    pub pid: u32,
    pub time: Time,
    /// Private bytes: the VM counters' PrivateUsage, else committed private memory from the
    /// memory-info list (`null`: neither is in the dump).
    pub private_bytes: Option<u64>,
    /// `vm_counters` or `memory_info_list`.
    pub private_from: Option<&'static str>,
    /// Bytes committed in the process heaps (walked, else the heaps' regions).
    pub heap_bytes: Option<u64>,
    /// Open handles (HandleData).
    pub handles: Option<u64>,
    /// The dump's first memory finding (`memory_growth`, `handle_leak`, `out_of_memory`).
    pub finding: Option<&'static str>,
}

/// How a worker's private bytes grew over its series of dumps.
#[derive(Clone, Debug, Serialize)]
pub struct MemoryGrowth {
    pub from_bytes: u64,
    pub to_bytes: u64,
    pub seconds: i64,
    /// Bytes a minute, over the series.
    pub bytes_per_minute: u64,
    /// Seconds after the last dump until the private-bytes limit at that rate (`null`: no
    /// limit configured, or already past it).
    pub seconds_to_limit: Option<i64>,
}

/// Rapid-fail protection settings in force for a pool.
#[derive(Clone, Debug, Serialize)]
pub struct Threshold {
    pub enabled: bool,
    pub max_crashes: u32,
    pub interval_seconds: i64,
    /// The configuration file, or `IIS default (5 failures in 5 minutes)`.
    pub source: Said,
}

impl Threshold {
    /// The pool's settings read from `file`, else IIS's defaults (`default_source` says so).
    pub fn from_settings(
        s: Option<(&PoolSettings, &std::path::Path)>,
        default_source: Said,
    ) -> Threshold {
        match s {
            Some((s, file)) => Threshold {
                enabled: s.rapid_fail_protection,
                max_crashes: s.max_crashes,
                interval_seconds: s.interval_seconds,
                source: Said::verbatim(file.display().to_string()),
            },
            None => Threshold {
                enabled: true,
                max_crashes: coroner_iis::config::DEFAULT_MAX_CRASHES,
                interval_seconds: coroner_iis::config::DEFAULT_INTERVAL_SECONDS,
                source: default_source,
            },
        }
    }
}

/// One process death.
#[derive(Clone, Debug, Serialize)]
pub struct Crash {
    /// Earliest evidence of the death (dump or event), UTC.
    pub time: Time,
    pub pid: Option<u32>,
    pub process: Option<String>,
    /// The process's exit code, `0x…`, from the termination event that carries one (W3SVC 1009,
    /// WAS 5009); `null` when no event gives it (never guessed, never the exception code).
    pub exit_code: Option<String>,
    /// The event the exit code was read from (`W3SVC 1009`).
    pub exit_code_source: Option<String>,
    /// The exception that killed the process, `0x…`: from the dump, Application Error 1000 or
    /// Windows Error Reporting.
    pub exception_code: Option<String>,
    /// Where the exception code was read (`dump`, `Application Error 1000`, `Report.wer`).
    pub exception_code_source: Option<Said>,
    /// When the process faulted: the dump's time or the earliest fault record (Application
    /// Error 1000, WER, .NET Runtime 1026).
    pub fault_time: Option<Time>,
    /// What `fault_time` comes from (`dump header (UTC)`, `Application Error 1000`, …).
    pub fault_time_source: Option<Said>,
    /// When the service saw the process die: the earliest termination event (W3SVC
    /// 1009/1011/1012, WAS 5009/5011/5012, Application Hang, Service Control Manager; a ping
    /// failure or shutdown time-out is a hang, see [`Hang`]).
    pub terminated_at: Option<Time>,
    /// The termination event (`W3SVC 1011`).
    pub terminated_source: Option<String>,
    /// What the evidence says happened (`terminated unexpectedly`, `failed to respond to a ping`, …).
    pub how: Said,
    /// The dump of this crash, if one matched.
    pub dump: Option<PathBuf>,
    /// What kind of dump that is (`second-chance exception`, `hang dump`, …; see `dumps[].capture`).
    pub dump_capture: Option<String>,
    /// Further snapshots of the process (hang, manual, first-chance dumps) taken before it died.
    pub other_dumps: Vec<PathBuf>,
    /// Seconds from the dump's time to the first event (termination or fault record) of the
    /// crash (positive: event later).
    pub dump_to_event_seconds: Option<i64>,
    pub bucket: Option<String>,
    /// The records it rests on.
    pub evidence: Vec<EvidenceRef>,
}

/// A worker that stopped answering: the service's events for one PID, the hang dumps of that
/// process, and how long requests waited around it.
#[derive(Clone, Debug, Serialize)]
pub struct Hang {
    /// The first event of the hang, UTC.
    pub time: Time,
    pub pid: Option<u32>,
    /// What the events say (`failed to respond to a ping`, `exceeded its shutdown time limit`,
    /// `orphaned (left running for debugging)`), in order.
    pub how: Vec<Said>,
    /// Whether IIS left the worker running (orphaned) rather than ending it.
    pub orphaned: bool,
    /// Hang dumps of the process (no exception, a hang/manual dump name, a debugger break-in)
    /// taken within 10 minutes of the events.
    pub dumps: Vec<PathBuf>,
    /// Bucket of the first matched dump's analysis.
    pub bucket: Option<String>,
    /// The first finding of the first matched dump's analysis (its title).
    pub cause: Option<String>,
    /// That analysis, for the renderers to word its finding in their language.
    #[serde(skip)]
    pub analysis: Option<Quoted>,
    /// How long requests of the pool waited around the hang.
    pub waits: RequestWaits,
    /// The events it rests on.
    pub evidence: Vec<EvidenceRef>,
}

/// The requests of a pool that waited on a hung worker: W3C requests logged in the window with
/// their `time-taken`, and the HTTPERR timeouts and abandoned connections of the window.
#[derive(Clone, Debug, Serialize)]
pub struct RequestWaits {
    /// The window read: from some minutes before the hang's first event to two after.
    pub from: Time,
    pub to: Time,
    /// W3C requests logged in the window with a `time-taken`.
    pub timed: u64,
    /// Requests that took at least `slow_ms`.
    pub slow: u64,
    pub slow_ms: u64,
    /// Longest and median `time-taken` in the window (ms); `null` without timed requests.
    pub longest_ms: Option<u64>,
    pub median_ms: Option<u64>,
    /// The slowest requests (at most 20), longest first.
    pub examples: Vec<SlowRequest>,
    /// HTTPERR `Timer_*` reasons in the window (`Timer_ConnectionIdle`, `Timer_EntityBody`,
    /// `Timer_AppPool`, …) → count.
    pub timers: BTreeMap<String, u64>,
    /// HTTPERR `Connection_Abandoned_By_AppPool` lines in the window.
    pub abandoned: u64,
}

impl RequestWaits {
    /// No requests read yet, over `from`–`to`.
    pub fn empty(from: Time, to: Time) -> RequestWaits {
        RequestWaits {
            from,
            to,
            timed: 0,
            slow: 0,
            slow_ms: 0,
            longest_ms: None,
            median_ms: None,
            examples: Vec::new(),
            timers: BTreeMap::new(),
            abandoned: 0,
        }
    }
}

/// A W3C request that took long.
#[derive(Clone, Debug, Serialize)]
pub struct SlowRequest {
    pub time: Time,
    pub time_taken_ms: u64,
    pub method: Option<String>,
    pub url: Option<String>,
    pub status: Option<u16>,
    pub win32_status: Option<u32>,
    pub file: PathBuf,
    pub line: u64,
}

/// The cause the hang dumps of a pool share.
#[derive(Clone, Debug, Serialize)]
pub struct HangCause {
    /// The bucket most of the matched hang dumps carry, and how many of them do.
    pub bucket: Option<String>,
    pub dumps_with_bucket: usize,
    pub dumps: usize,
    /// The first finding of a dump of that bucket (title, then description).
    pub verdict: String,
    pub description: String,
    pub recommendation: String,
    /// Who to call: the blamed module and its vendor, as the dump analysis names them.
    pub who_to_call: Option<String>,
    /// The analysis those words are of (its first finding's).
    #[serde(skip)]
    pub analysis: Option<Quoted>,
}

/// A record in a file.
#[derive(Clone, Debug, Serialize)]
pub struct EvidenceRef {
    pub time: Time,
    pub file: PathBuf,
    /// Event record number or log line.
    pub record: u64,
    /// `W3SVC 1009`, `Application Error 1000`, `dump`, `Report.wer`.
    pub what: String,
    pub text: Said,
}

/// A rapid-fail episode: the pool disabled by IIS after repeated failures.
#[derive(Clone, Debug, Serialize)]
pub struct RapidFail {
    pub disabled_at: Time,
    pub restored_at: Option<Time>,
    pub duration_seconds: Option<i64>,
    /// Crashes of the pool within the rapid-fail interval before the disable.
    pub failures: usize,
    pub failure_pids: Vec<u32>,
    /// `event` (W3SVC 1002 / WAS 5002 seen) or `predicted` (from crash frequency alone).
    pub detected: &'static str,
    pub event: Option<EvidenceRef>,
    /// How the restore time was worked out.
    pub restored_how: Said,
    /// 503 responses for the pool between disable and restore.
    pub http_503: u64,
}

/// 503 responses of a pool.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outage {
    pub http_503: u64,
    pub first: Option<Time>,
    pub last: Option<Time>,
    /// HTTPERR reason (or `W3C 503.n`) → count.
    pub by_reason: BTreeMap<String, u64>,
    /// 503s per minute (minute start, count), for the chart.
    pub per_minute: Vec<MinuteCount>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MinuteCount {
    pub minute: Time,
    pub count: u64,
}

/// A request that was being served when a worker died (`Connection_Abandoned_By_AppPool`).
#[derive(Clone, Debug, Serialize)]
pub struct InFlight {
    pub time: Time,
    pub pid: Option<u32>,
    pub crash_time: Option<Time>,
    /// The hang it was abandoned in, when no crash is near and a hang of the pool is.
    pub hang_time: Option<Time>,
    pub method: Option<String>,
    pub url: Option<String>,
    pub client_ip: Option<String>,
    pub file: PathBuf,
    pub line: u64,
}

/// W3C requests whose connection failed (sc-win32-status 64 / 1236).
#[derive(Clone, Debug, Default, Serialize)]
pub struct FailedRequests {
    pub win32_64: u64,
    pub win32_1236: u64,
    pub examples: Vec<FailedRequest>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FailedRequest {
    pub time: Time,
    pub method: Option<String>,
    pub url: Option<String>,
    pub client_ip: Option<String>,
    pub status: Option<u16>,
    pub win32_status: u32,
}

/// One line of the incident timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    pub time: Time,
    pub pool: Option<String>,
    /// `crash`, `hang`, `rapid_fail`, `restored`, `outage_start`, `outage_end`, `boot`,
    /// `shutdown`, `dump`, `other`.
    pub kind: &'static str,
    pub text: Said,
}

/// Dumps of the same bug.
#[derive(Clone, Debug, Serialize)]
pub struct GroupInfo {
    pub bucket: String,
    pub dumps: Vec<PathBuf>,
    pub verdict: String,
    pub description: String,
    pub recommendation: String,
    pub who_to_call: Option<String>,
    pub pools: Vec<String>,
    /// The first dump's analysis, whose first finding those words are.
    #[serde(skip)]
    pub analysis: Option<Quoted>,
}

/// One dump.
#[derive(Clone, Debug, Serialize)]
pub struct DumpInfo {
    pub file: PathBuf,
    pub pid: Option<u32>,
    pub process: Option<String>,
    pub app_pool: Option<String>,
    pub time: Option<Time>,
    /// `dump header (UTC)` or `file name (local time, UTC−05:00 applied)`.
    pub time_source: Option<Said>,
    pub exception: Option<String>,
    pub bucket: Option<String>,
    pub verdict: Option<String>,
    /// The crash it belongs to: pool name and the crash's time.
    pub crash: Option<CrashRef>,
    /// The hang it was matched to (a hang dump): pool name and the hang's time. A hang dump is
    /// never counted as a crash.
    pub hang: Option<CrashRef>,
    /// What kind of dump it is: `second-chance exception`, `first-chance exception`,
    /// `manual dump`, `hang dump`, `debugger break-in`, `dump on request`,
    /// `snapshot (no exception)`, `exception`, `unreadable`.
    pub capture: Said,
    /// What says so (`DebugDiag file name "Manual Dump"`, `exception stream, code 0xc0000005`, …).
    pub capture_from: Said,
    /// Whether it counts as a crash: a second-chance (unhandled-exception) dump by its name or
    /// content, or a dump followed by a termination event of its PID.
    pub counts_as_crash: bool,
    /// For a dump that does not count: why (`dump of a process with no termination in the
    /// logs, which cover 08:13–11:02 UTC on 2006-03-14`).
    pub not_a_crash: Option<Said>,
    /// Verdict lines of the dump analysis (What crashed, Why, Verdict, …).
    pub detail: Vec<(String, String)>,
    /// Why the dump could not be analysed, in English.
    pub error: Option<String>,
    /// The same, typed, for the renderers to word in their language (absent when analysed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<coroner_model::LoadFailure>,
    /// The analysis `verdict` and `detail` word, for the renderers to word in their language.
    #[serde(skip)]
    pub analysis: Option<Quoted>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CrashRef {
    pub pool: String,
    pub time: Time,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventLogInfo {
    pub file: PathBuf,
    pub kind: String,
    pub records: usize,
    pub recovered: usize,
    pub damaged: u64,
    pub problems: Vec<String>,
    pub first: Option<Time>,
    pub last: Option<Time>,
    /// Records `investigate` understood (crashes, rapid-fail, reboots, time zone, …).
    pub understood: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct WebLogInfo {
    pub file: PathBuf,
    /// `w3c` or `httperr`.
    pub kind: &'static str,
    pub requests: usize,
    pub by_status: BTreeMap<String, u64>,
    pub by_reason: BTreeMap<String, u64>,
    pub problems: u64,
    pub problem_lines: Vec<String>,
    pub layouts: u32,
    pub first: Option<Time>,
    pub last: Option<Time>,
    pub local_time: bool,
    /// Pool(s) its requests were attributed to.
    pub pools: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConfigInfo {
    pub file: PathBuf,
    pub kind: &'static str,
    pub pools: Vec<PoolSettings>,
    pub sites: Vec<coroner_iis::config::Site>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WerInfo {
    pub file: PathBuf,
    pub event_type: Option<String>,
    pub time: Option<Time>,
    pub app: Option<String>,
    pub pid: Option<u32>,
    pub fault_module: Option<String>,
    pub exception_code: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CodeInfo {
    /// `http_status`, `win32_status`, `httperr_reason`.
    pub kind: &'static str,
    pub code: String,
    pub count: u64,
    pub meaning: String,
}

/// A file that was not used, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Skipped {
    pub file: PathBuf,
    pub reason: Said,
}
