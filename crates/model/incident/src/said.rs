//! Our own sentences in the incident model — a timeline line, why a dump is not a crash, where
//! the time zone came from, how a restore was found — as typed facts ([`Fact`]) that
//! `coroner_report::phrase::investigate::said` words in English or Korean. A [`Said`] carries
//! the fact and its English words; it serialises as those words, so the JSON document keeps the
//! English string it always had while the renderers word the fact in the report's language.
//!
//! What a log itself says (an event's message, an IIS reason) is quoted as the log has it and
//! never becomes a fact here.

use crate::time::Time;
use serde::{Serialize, Serializer};
use std::fmt;

/// A sentence of the report: what it says and its English words (the JSON's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Said {
    pub fact: Fact,
    /// The fact in English, as `phrase::investigate::said` words it.
    pub en: String,
}

impl Serialize for Said {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.en)
    }
}

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

/// What kind of dump it is (`dumps[].capture`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureKind {
    SecondChance,
    FirstChance,
    Manual,
    Hang,
    BreakIn,
    OnRequest,
    Snapshot,
    Exception,
    Unreadable,
}

/// A fact one of our sentences states, with the names, numbers and times it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// Words that are not ours to translate (a file path, a log's own text), as they are.
    Verbatim(String),

    // --- timeline lines ---
    /// `DefaultAppPool crash: w3wp.exe pid 3412, exit code 0xc0000005, exception …, dump …`.
    CrashLine {
        pool: String,
        process: Option<String>,
        pid: Option<u32>,
        exit_code: Option<String>,
        exception: Option<String>,
        dump: Option<String>,
    },
    /// `Payroll hang: w3wp.exe pid 3100 failed to respond to a ping, hang dump …`.
    HangLine {
        pool: String,
        /// `w3wp.exe` for a pool's worker, else the hung program.
        process: String,
        pid: Option<u32>,
        hows: Vec<Fact>,
        dumps: Vec<String>,
    },
    /// Rapid-fail protection disabled the pool (or would have: predicted).
    RapidFailLine {
        pool: String,
        by_event: bool,
        failures: usize,
    },
    RestoredLine {
        pool: String,
        after_seconds: i64,
    },
    OutageStart {
        pool: String,
    },
    OutageEnd {
        pool: String,
        http_503: u64,
    },
    /// A dump that is not a crash: who, its capture, its file and why.
    LiveDumpLine {
        who: Option<String>,
        pid: Option<u32>,
        capture: CaptureKind,
        file: String,
        why: Box<Fact>,
    },
    /// An event's line: its label (`W3SVC 1117`) and what it means.
    EventLine {
        label: String,
        what: Box<Fact>,
    },

    // --- what an event means ---
    /// `pool 'X' disabled (why)`: `why` is the event's own words.
    PoolDisabled {
        pool: String,
        why: String,
    },
    LogStarted,
    LogStopped,
    UnexpectedShutdown {
        time_text: String,
        date_text: String,
    },
    RestartedUnclean,
    /// A worker recycled on a memory limit (`private` or `virtual`).
    MemoryRecycle {
        pid: Option<u32>,
        private: bool,
    },
    IdleShutdown {
        pid: Option<u32>,
    },
    RapidFailDisabled {
        pool: String,
    },
    WorkerCrashed {
        exit_code: Option<String>,
    },
    CommFailure {
        error: Option<String>,
    },
    StartupTimeout,
    PingFailed,
    ShutdownLimit,
    Orphaned,
    ApplicationError {
        app: String,
        module: String,
        exception: Option<String>,
        offset: Option<u64>,
    },
    WerReport {
        event_name: String,
        bucket: String,
    },
    /// A `Report.wer` of this event type.
    WerFile {
        event_type: String,
    },
    DotNetUnhandled {
        exception: Option<String>,
    },
    AppHang,
    ServiceCrashed {
        count: Option<u32>,
    },
    /// A crash seen only in its dump.
    DumpOnly,

    // --- dumps ---
    /// `dumps[].capture`.
    Capture(CaptureKind),
    /// What says what kind of dump it is.
    NamedBy {
        part: String,
    },
    NotAnalysed,
    NoExceptionStream,
    DumpRequested,
    BreakIn {
        code: String,
    },
    CommentFirstChance,
    CommentSecondChance {
        code: String,
    },
    ExceptionStream {
        code: String,
    },
    /// Where a dump's time comes from.
    DumpHeaderTime,
    /// A fact read from the dump (an exception code).
    DumpSource,
    FileNameTime {
        scheme: String,
        offset: String,
    },
    /// Why a dump is not a crash.
    NoEventLogs,
    NoTermination {
        from: Time,
        to: Time,
        /// `Some(true)`: taken after the logs end; `Some(false)`: before they begin.
        after: Option<bool>,
    },
    HangDump {
        pool: String,
        time: Time,
    },

    // --- sources ---
    /// The time zone from EventLog 6013.
    ZoneFromEvent {
        file: String,
        record: u64,
        time: Time,
        bias: i32,
        name: Option<String>,
    },
    /// The time zone from dumps' file names and headers.
    ZoneFromDumpNames {
        dumps: usize,
        offset: String,
    },
    NoZone,
    /// The IIS default threshold: no configuration for the pool.
    IisDefaultThreshold,
    /// How a restore was found.
    RestoredByWorker {
        crashed_at: Time,
    },
    RestoredByWeb {
        file: String,
        line: u64,
    },
    NotRestored {
        last_503: Time,
    },
    NoRestoreEvidence,
    /// Several facts, `; ` between them.
    All(Vec<Fact>),

    // --- files skipped ---
    CannotRead {
        error: String,
    },
    CannotList {
        error: String,
    },
    TooDeep,
    InternalError,
    EmptyFile,
    KernelDump,
    Microdump,
    WerTooLarge,
    /// Not evidence of any kind; `why` is the web-log sniffer's reason.
    NotEvidence {
        why: String,
    },
    /// A compressed file whose dump could not be loaded: `error` in English, `failure` typed.
    ContainerUnreadable {
        container: String,
        error: String,
        failure: coroner_model::LoadFailure,
    },
    ContainerEmpty {
        container: String,
    },

    // --- warnings ---
    /// `file: note` — the note is a reader's own words (a configuration problem).
    FileNote {
        file: String,
        note: String,
    },
    LocalEvents {
        file: String,
        events: usize,
        kind: String,
        offset: String,
        source: Box<Fact>,
    },
    DamagedParts {
        file: String,
        parts: u64,
    },
    UnusableLines {
        file: String,
        lines: u64,
    },
    LocalWebTimes {
        file: String,
    },
    SolePool {
        pool: String,
    },
    QueueUnknown {
        logged: String,
        read_as: String,
    },
    QueueAmbiguous {
        logged: String,
        candidates: Vec<String>,
        chosen: String,
    },
    /// A dump that could not be loaded: `error` in English, `failure` typed when the loader
    /// gave it.
    DumpNotAnalysed {
        file: String,
        error: String,
        failure: Option<coroner_model::LoadFailure>,
    },
    ProtectionOff {
        pool: String,
        crashes: usize,
        interval_seconds: i64,
        from: Time,
        source: Box<Fact>,
    },
    NoDumpTime {
        file: String,
    },
    TooManyFiles {
        max: usize,
    },
}

impl Said {
    /// Words that are not ours (a path, a log's own text), the same in every language.
    pub fn verbatim(s: impl Into<String>) -> Said {
        let en = s.into();
        Said {
            fact: Fact::Verbatim(en.clone()),
            en,
        }
    }
}

/// A sentence reads as its English words where a caller wants text (tests, the JSON): the
/// renderers word [`Said::fact`] in the report's language instead.
impl std::ops::Deref for Said {
    type Target = str;
    fn deref(&self) -> &str {
        &self.en
    }
}

impl From<&str> for Said {
    fn from(s: &str) -> Said {
        Said::verbatim(s)
    }
}

impl PartialEq<str> for Said {
    fn eq(&self, other: &str) -> bool {
        self.en == other
    }
}

impl PartialEq<&str> for Said {
    fn eq(&self, other: &&str) -> bool {
        self.en == *other
    }
}

impl PartialEq<String> for Said {
    fn eq(&self, other: &String) -> bool {
        &self.en == other
    }
}

/// A dump's analysis whose words the report quotes (its verdict, detail rows, a finding's
/// title and recommendation, who to call): the renderers word it in their language with
/// `coroner_report::phrase`, the JSON document keeps the English beside it.
#[derive(Clone, Debug)]
pub struct Quoted(pub std::sync::Arc<coroner_analysis::Analysis>);

impl PartialEq for Quoted {
    fn eq(&self, other: &Quoted) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Quoted {}
