//! Windows event log evidence for coroner.
//!
//! Three on-disk forms are recognised **by content** ([`sniff`]), never by file name:
//!
//! * `.evtx` (Vista and later), read with the `evtx` crate and mapped through its XML rendering;
//! * legacy `.evt` (Windows NT 4 / 2000 / XP / 2003, the IIS 6 era), read by a parser of our
//!   own ([`evt`]) that follows the circular buffer and recovers records from damaged files;
//! * Event Viewer / `wevtutil qe /f:xml` XML exports (`<Event xmlns=…>` elements, with or
//!   without an `<Events>` root);
//! * Event Viewer's "Save All Events As…" CSV and tab-delimited text exports, with English or
//!   Korean column headers, in UTF-8, UTF-16LE or CP949 ([`export`]). They carry the rendered
//!   message instead of insertion strings, which [`recover`] reads back for the events
//!   [`interpret`] understands, and local times of an unknown zone ([`Event::local_time`]).
//!
//! All of them become the same [`Event`]; [`interpret`] turns the events that matter for a
//! crash investigation (IIS worker-process crashes, rapid-fail protection, Application Error,
//! WER, .NET unhandled exceptions, service crashes, reboots) into a typed [`Meaning`].
//!
//! Inputs come from crashed machines and strangers: nothing here panics on bad input, every
//! size read from a file is checked against the bytes present and a cap, and damaged
//! chunks/records are skipped and reported in [`EventLog::skipped`], never silently dropped.

pub mod evt;
mod evtx_file;
mod export;
mod meaning;
pub mod recover;
mod time;
mod xml;

use std::path::{Path, PathBuf};

pub use meaning::{interpret, AppError, Meaning, MemoryLimit, WerReport};

/// Cap on how many [`Problem`]s one file keeps in [`EventLog::skipped`]; the rest are only
/// counted in [`EventLog::skipped_total`].
pub const MAX_PROBLEMS: usize = 10_000;

/// Cap on the size of an input file read into memory (4 GiB).
pub const MAX_FILE_SIZE: u64 = 4 << 30;

/// One event, whatever file form it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// Provider / event source name as logged: `"W3SVC"`, `"Microsoft-Windows-WAS"`,
    /// `"Application Error"`, `"Windows Error Reporting"`, `".NET Runtime"`, … (EVTX: the
    /// `Provider Name` attribute; EVT: the record's SourceName).
    pub source: String,
    /// Event id with the qualifier/severity bits stripped (low 16 bits).
    pub event_id: u32,
    /// The qualifiers (EVT: high 16 bits of the EventID; EVTX: the `Qualifiers` attribute).
    pub qualifiers: Option<u16>,
    /// Level as EVTX defines it (1 critical, 2 error, 3 warning, 4 information, 5 verbose,
    /// 0 = log always / audit). Legacy EventType is mapped onto it.
    pub level: Option<u8>,
    /// Time the event was generated, Unix seconds UTC — unless [`Event::local_time`] is set.
    pub time: i64,
    /// Sub-second part of `time`, nanoseconds.
    pub time_nanos: u32,
    /// EventRecordID / RecordNumber.
    pub record_id: u64,
    pub computer: Option<String>,
    /// Channel / log name (`"System"`, `"Application"`); legacy EVT files don't say.
    pub channel: Option<String>,
    /// Insertion strings (EventData `<Data>` values, or UserData leaf values) in order.
    pub strings: Vec<String>,
    /// `(Name, value)` for EventData `<Data Name=…>` entries (and UserData leaves, by element
    /// name), in order.
    pub named: Vec<(String, String)>,
    /// The binary data field (`<Binary>` / EVT Data). W3SVC 1011 stores the error number here.
    pub data: Vec<u8>,
    /// Rendered message text, when the source carried one (`wevtutil /f:RenderedXml`, Event
    /// Viewer CSV/TXT exports).
    pub message: Option<String>,
    /// `time` is the wall-clock time of the machine that wrote the file, in a zone the file
    /// does not name (Event Viewer CSV/TXT exports): read as if it were UTC. The consumer shifts
    /// it once it knows the zone (coroner-investigate: EventLog 6013, else taken as UTC).
    pub local_time: bool,
}

impl Event {
    /// Insertion string `%n` (1-based, as in message templates).
    pub fn string(&self, n: usize) -> Option<&str> {
        n.checked_sub(1)
            .and_then(|i| self.strings.get(i))
            .map(String::as_str)
    }

    /// Value of the named data item `name` (case-insensitive).
    pub fn named(&self, name: &str) -> Option<&str> {
        self.named
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Which file form a log is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Vista+ binary XML event log (`ElfFile\0`).
    Evtx,
    /// Legacy NT event log (`LfLe`).
    Evt,
    /// Event Viewer / wevtutil XML export.
    Xml,
    /// Event Viewer "Save All Events As…" CSV (comma) or text (tab) export.
    ViewerExport,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Evtx => "EVTX",
            Kind::Evt => "EVT (legacy)",
            Kind::Xml => "event XML export",
            Kind::ViewerExport => "Event Viewer CSV/TXT export",
        })
    }
}

/// Something in a file that could not be used: a chunk or record that was skipped, or damage
/// within a record that was kept (the text says which).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Byte offset in the file where the damage is.
    pub offset: u64,
    pub what: String,
}

/// A loaded event log.
#[derive(Debug, Clone)]
pub struct EventLog {
    pub file: PathBuf,
    pub kind: Kind,
    /// Events in log order (oldest first, as Windows reads the log).
    pub events: Vec<Event>,
    /// Skipped chunks/records and damage notes, at most [`MAX_PROBLEMS`].
    pub skipped: Vec<Problem>,
    /// How many problems there were in all (≥ `skipped.len()`).
    pub skipped_total: u64,
    /// How many records the file's own bookkeeping says it holds, when it says
    /// (EVT: current − oldest record number; EVTX: sum of the chunk headers' record ranges).
    pub records_declared: Option<u64>,
    /// Intact records found outside the live log (EVT: in the part of the circular buffer
    /// that the wrap-around freed but has not yet overwritten), oldest first, not counted in
    /// `events`. They are older than every live event: evidence, but no longer "in the log".
    pub recovered: Vec<Event>,
}

impl EventLog {
    pub(crate) fn new(file: PathBuf, kind: Kind) -> Self {
        EventLog {
            file,
            kind,
            events: Vec::new(),
            skipped: Vec::new(),
            skipped_total: 0,
            records_declared: None,
            recovered: Vec::new(),
        }
    }

    pub(crate) fn problem(&mut self, offset: u64, what: impl Into<String>) {
        self.skipped_total += 1;
        if self.skipped.len() < MAX_PROBLEMS {
            self.skipped.push(Problem {
                offset,
                what: what.into(),
            });
        }
    }
}

/// Why a log could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a Windows event log ({why})", path.display())]
    NotAnEventLog { path: PathBuf, why: String },
    #[error("{}: {size} bytes is more than the {MAX_FILE_SIZE}-byte cap", path.display())]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{}: {kind} file unreadable: {why}", path.display())]
    Unreadable {
        path: PathBuf,
        kind: Kind,
        why: String,
    },
}

/// Recognises an event log by its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(b"ElfFile\0") {
        return Some(Kind::Evtx);
    }
    if bytes.len() >= 8 && &bytes[4..8] == b"LfLe" {
        return Some(Kind::Evt);
    }
    // A legacy log whose header is gone (zeroed, or a fragment): a well-framed record early on.
    if evt::has_record_near_start(bytes) {
        return Some(Kind::Evt);
    }
    if xml::looks_like_event_xml(bytes) {
        return Some(Kind::Xml);
    }
    if export::looks_like_export(bytes) {
        return Some(Kind::ViewerExport);
    }
    None
}

/// Loads one event log file of any supported form.
pub fn load(path: impl AsRef<Path>) -> Result<EventLog, Error> {
    let path = path.as_ref();
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_FILE_SIZE {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    load_bytes(path.to_path_buf(), bytes)
}

/// Loads an event log from bytes already in memory; `file` is only used for reporting.
pub fn load_bytes(file: PathBuf, bytes: Vec<u8>) -> Result<EventLog, Error> {
    let Some(kind) = sniff(&bytes) else {
        return Err(Error::NotAnEventLog {
            why: describe_unknown(&bytes),
            path: file,
        });
    };
    match kind {
        Kind::Evtx => evtx_file::load(file, bytes),
        Kind::Evt => Ok(evt::parse(file, &bytes)),
        Kind::Xml => xml::load(file, &bytes),
        Kind::ViewerExport => export::load(file, &bytes),
    }
}

fn describe_unknown(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "empty file".into();
    }
    let head: String = bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    format!("no EVTX, EVT, event XML or Event Viewer export signature; starts with {head}")
}
