//! IIS web-server log evidence for coroner: W3C extended logs (IIS 6–10, HTTP Server API,
//! IIS Advanced Logging) and HTTP.sys HTTPERR logs.
//!
//! The parser works on a byte slice (a memory map, for [`load`]) and borrows from it:
//! [`for_each_line`] hands out a [`RequestRef`] per data line without allocating, and
//! [`count_statuses`] is the benchmark entry point. [`load`]/[`parse`] build owning
//! [`Request`]s / [`HttpErr`]s for convenience. Directives may come in any order; a new
//! `#Fields` switches the layout from that line on; `-` is an absent value; a file without a
//! `date` field takes its date from `#Date`. Times are UTC (IIS W3C logging always is, except
//! the Advanced Logging `date-local`/`time-local` fields, flagged by [`WebLog::local_time`]).
//! Malformed lines are counted and reported with their line numbers; the rest are used.

pub mod explain;
pub mod plus;

use std::path::{Path, PathBuf};

pub use explain::{
    explain_reason, explain_status, explain_win32, reason_implicates_app_pool, REASONS,
    STATUS_EXACT, STATUS_PLAIN, WIN32,
};

/// Cap on stored [`Problem`]s per file; the rest are only counted in [`WebLog::problems_total`].
pub const MAX_PROBLEMS: usize = 10_000;
/// Most fields a line may have.
pub const MAX_FIELDS: usize = 64;

/// Which kind of log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// W3C extended access log (IIS `u_ex*.log`).
    W3c,
    /// HTTP.sys error log (`HTTPERR\httperr*.log`, `#Software: Microsoft HTTP API 2.0`).
    HttpErr,
}

/// Fields the parser knows by name (others are kept by name, see [`RequestRef::field`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Field {
    Date,
    Time,
    SiteName,
    ComputerName,
    ServerIp,
    Method,
    UriStem,
    UriQuery,
    ServerPort,
    UserName,
    ClientIp,
    Version,
    UserAgent,
    Cookie,
    Referer,
    Host,
    Status,
    SubStatus,
    Win32Status,
    ScBytes,
    CsBytes,
    TimeTaken,
    ClientPort,
    Uri,
    StreamId,
    SiteId,
    Reason,
    QueueName,
}

const NFIELDS: usize = Field::QueueName as usize + 1;
const ABSENT: u8 = u8::MAX;

impl Field {
    /// The field for a `#Fields` name (case-insensitive), with IIS Advanced Logging aliases.
    /// Returns `(field, is_local_time)`.
    pub fn from_name(name: &str) -> Option<(Field, bool)> {
        let n = name.to_ascii_lowercase();
        Some(match n.as_str() {
            "date" => (Field::Date, false),
            "time" => (Field::Time, false),
            "date-local" => (Field::Date, true),
            "time-local" => (Field::Time, true),
            "s-sitename" => (Field::SiteName, false),
            "s-computername" => (Field::ComputerName, false),
            "s-ip" => (Field::ServerIp, false),
            "cs-method" => (Field::Method, false),
            "cs-uri-stem" => (Field::UriStem, false),
            "cs-uri-query" => (Field::UriQuery, false),
            "s-port" => (Field::ServerPort, false),
            "cs-username" => (Field::UserName, false),
            "c-ip" => (Field::ClientIp, false),
            "cs-version" => (Field::Version, false),
            "cs(user-agent)" => (Field::UserAgent, false),
            "cs(cookie)" => (Field::Cookie, false),
            "cs(referer)" => (Field::Referer, false),
            "cs-host" | "cs(host)" => (Field::Host, false),
            "sc-status" => (Field::Status, false),
            "sc-substatus" => (Field::SubStatus, false),
            "sc-win32-status" => (Field::Win32Status, false),
            "sc-bytes" => (Field::ScBytes, false),
            "cs-bytes" => (Field::CsBytes, false),
            "time-taken" | "timetakenms" => (Field::TimeTaken, false),
            "c-port" => (Field::ClientPort, false),
            "cs-uri" => (Field::Uri, false),
            "streamid" => (Field::StreamId, false),
            "s-siteid" => (Field::SiteId, false),
            "s-reason" => (Field::Reason, false),
            "s-queuename" => (Field::QueueName, false),
            _ => return None,
        })
    }
}

/// A `#Fields` layout.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Field names as declared.
    pub names: Vec<String>,
    index: [u8; NFIELDS],
    local_time: bool,
}

impl Layout {
    fn new(decl: &str) -> Layout {
        let mut l = Layout {
            names: Vec::new(),
            index: [ABSENT; NFIELDS],
            local_time: false,
        };
        for (i, name) in decl.split_ascii_whitespace().take(MAX_FIELDS).enumerate() {
            if let Some((f, local)) = Field::from_name(name) {
                if l.index[f as usize] == ABSENT {
                    l.index[f as usize] = i as u8;
                }
                l.local_time |= local;
            }
            l.names.push(name.to_string());
        }
        l
    }

    /// Position of a known field.
    pub fn position(&self, f: Field) -> Option<usize> {
        let i = self.index[f as usize];
        (i != ABSENT).then_some(i as usize)
    }

    /// Whether the layout is an HTTPERR one.
    pub fn is_httperr(&self) -> bool {
        self.position(Field::Reason).is_some()
    }
}

/// One data line, borrowed from the input.
#[derive(Clone, Copy)]
pub struct RequestRef<'a> {
    /// 1-based line number.
    pub line: u64,
    fields: &'a [&'a [u8]],
    layout: &'a Layout,
    /// Days since 1970 from `#Date`, for layouts without `date`.
    default_days: Option<i64>,
}

impl<'a> RequestRef<'a> {
    /// Raw bytes of a known field; `None` when the layout lacks it or the value is `-`.
    /// Surrounding double quotes (Advanced Logging) are removed.
    #[inline]
    pub fn raw(&self, f: Field) -> Option<&'a [u8]> {
        let i = self.layout.index[f as usize];
        if i == ABSENT {
            return None;
        }
        let v = *self.fields.get(i as usize)?;
        if v == b"-" {
            return None;
        }
        if v.len() >= 2 && v[0] == b'"' && v[v.len() - 1] == b'"' {
            let inner = &v[1..v.len() - 1];
            return (inner != b"-" && !inner.is_empty()).then_some(inner);
        }
        Some(v)
    }

    /// A known field as text (`None` when absent or not UTF-8).
    #[inline]
    pub fn str(&self, f: Field) -> Option<&'a str> {
        self.raw(f).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Any field by its `#Fields` name (case-insensitive), `-` = `None`.
    pub fn field(&self, name: &str) -> Option<&'a [u8]> {
        let i = self
            .layout
            .names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))?;
        let v = *self.fields.get(i)?;
        (v != b"-").then_some(v)
    }

    /// All fields of the line, in layout order.
    pub fn fields(&self) -> &'a [&'a [u8]] {
        self.fields
    }

    pub fn layout(&self) -> &'a Layout {
        self.layout
    }

    #[inline]
    pub fn status(&self) -> Option<u16> {
        parse_uint(self.raw(Field::Status)?).and_then(|v| u16::try_from(v).ok())
    }
    #[inline]
    pub fn substatus(&self) -> Option<u32> {
        parse_uint(self.raw(Field::SubStatus)?).and_then(|v| u32::try_from(v).ok())
    }
    #[inline]
    pub fn win32_status(&self) -> Option<u32> {
        parse_uint(self.raw(Field::Win32Status)?).and_then(|v| u32::try_from(v).ok())
    }
    #[inline]
    pub fn time_taken_ms(&self) -> Option<u64> {
        parse_uint(self.raw(Field::TimeTaken)?)
    }
    pub fn u64(&self, f: Field) -> Option<u64> {
        parse_uint(self.raw(f)?)
    }

    /// Unix seconds (UTC) from `date` + `time`, or `#Date`'s day + `time`.
    #[inline]
    pub fn time(&self) -> Option<i64> {
        let days = match self.raw(Field::Date) {
            Some(d) => parse_date(d)?,
            None => self.default_days?,
        };
        Some(days * 86_400 + parse_time(self.raw(Field::Time)?)?)
    }

    /// The owning form.
    pub fn to_request(&self) -> Request {
        let s = |f: Field| self.raw(f).map(lossy);
        let extra = self
            .layout
            .names
            .iter()
            .zip(self.fields.iter())
            .filter(|(n, v)| Field::from_name(n).is_none() && **v != b"-")
            .map(|(n, v)| (n.clone(), lossy(v)))
            .collect();
        Request {
            line: self.line,
            time: self.time().unwrap_or(0),
            site: s(Field::SiteName),
            computer: s(Field::ComputerName),
            server_ip: s(Field::ServerIp),
            method: s(Field::Method),
            uri_stem: s(Field::UriStem),
            uri_query: s(Field::UriQuery),
            port: self
                .u64(Field::ServerPort)
                .and_then(|p| u16::try_from(p).ok()),
            user: s(Field::UserName),
            client_ip: s(Field::ClientIp),
            version: s(Field::Version),
            user_agent: s(Field::UserAgent),
            cookie: s(Field::Cookie),
            referer: s(Field::Referer),
            host: s(Field::Host),
            status: self.status(),
            substatus: self.substatus(),
            win32_status: self.win32_status(),
            sc_bytes: self.u64(Field::ScBytes),
            cs_bytes: self.u64(Field::CsBytes),
            time_taken_ms: self.time_taken_ms(),
            extra,
        }
    }

    /// The owning form with only the fields correlation needs (time, site, method, URI stem,
    /// client, status, sub-status, Win32 status): a third of the allocations of
    /// [`RequestRef::to_request`], for large logs.
    pub fn to_request_lean(&self) -> Request {
        let s = |f: Field| self.raw(f).map(lossy);
        Request {
            line: self.line,
            time: self.time().unwrap_or(0),
            site: s(Field::SiteName),
            method: s(Field::Method),
            uri_stem: s(Field::UriStem),
            client_ip: s(Field::ClientIp),
            status: self.status(),
            substatus: self.substatus(),
            win32_status: self.win32_status(),
            ..Request::default()
        }
    }

    /// The owning HTTPERR form (`None` without an `s-reason` field).
    pub fn to_httperr(&self) -> Option<HttpErr> {
        if !self.layout.is_httperr() {
            return None;
        }
        let s = |f: Field| self.raw(f).map(lossy);
        let port = |f: Field| self.u64(f).and_then(|p| u16::try_from(p).ok());
        Some(HttpErr {
            line: self.line,
            time: self.time().unwrap_or(0),
            client_ip: s(Field::ClientIp),
            client_port: port(Field::ClientPort),
            server_ip: s(Field::ServerIp),
            server_port: port(Field::ServerPort),
            version: s(Field::Version),
            method: s(Field::Method),
            uri: s(Field::Uri),
            stream_id: s(Field::StreamId),
            status: self.status(),
            site_id: self.u64(Field::SiteId).and_then(|p| u32::try_from(p).ok()),
            reason: s(Field::Reason).unwrap_or_default(),
            queue_name: s(Field::QueueName).map(|q| plus::decode(&q)),
            queue_name_logged: s(Field::QueueName),
        })
    }
}

fn lossy(v: &[u8]) -> String {
    match std::str::from_utf8(v) {
        Ok(s) => s.to_string(),
        Err(_) => String::from_utf8_lossy(v).into_owned(),
    }
}

/// One W3C request (owning).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub line: u64,
    /// Unix seconds UTC.
    pub time: i64,
    pub site: Option<String>,
    pub computer: Option<String>,
    pub server_ip: Option<String>,
    pub method: Option<String>,
    pub uri_stem: Option<String>,
    pub uri_query: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub client_ip: Option<String>,
    pub version: Option<String>,
    /// As logged (IIS writes spaces as `+`).
    pub user_agent: Option<String>,
    pub cookie: Option<String>,
    pub referer: Option<String>,
    pub host: Option<String>,
    pub status: Option<u16>,
    pub substatus: Option<u32>,
    pub win32_status: Option<u32>,
    pub sc_bytes: Option<u64>,
    pub cs_bytes: Option<u64>,
    pub time_taken_ms: Option<u64>,
    /// Fields this parser doesn't know, by their `#Fields` name.
    pub extra: Vec<(String, String)>,
}

/// One HTTP.sys error-log line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpErr {
    pub line: u64,
    pub time: i64,
    pub client_ip: Option<String>,
    pub client_port: Option<u16>,
    pub server_ip: Option<String>,
    pub server_port: Option<u16>,
    pub version: Option<String>,
    pub method: Option<String>,
    /// As logged: HTTP.sys writes a space in the URL as `+`, and a `+` as itself, so the two
    /// cannot be told apart (see [`plus`]); the URL is kept as it appears in the file.
    pub uri: Option<String>,
    pub stream_id: Option<String>,
    pub status: Option<u16>,
    pub site_id: Option<u32>,
    /// `AppOffline`, `QueueFull`, `Connection_Abandoned_By_AppPool`, … (see [`explain_reason`]).
    pub reason: String,
    /// The application pool's request queue name, decoded ([`plus::decode`]: each `+` read as a
    /// space, so `Classic+.NET+AppPool` is `Classic .NET AppPool`).
    pub queue_name: Option<String>,
    /// The queue name as logged (`+`-encoded); match it to pool names with
    /// [`plus::same_name`], which is exact where [`HttpErr::queue_name`] is a guess.
    pub queue_name_logged: Option<String>,
}

/// A line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number.
    pub line: u64,
    pub what: String,
}

/// A loaded log.
#[derive(Debug, Clone)]
pub struct WebLog {
    pub file: PathBuf,
    pub kind: Kind,
    /// Last `#Software` directive.
    pub software: Option<String>,
    /// W3C requests (empty for HTTPERR logs).
    pub requests: Vec<Request>,
    /// HTTPERR entries (empty for W3C logs).
    pub errors: Vec<HttpErr>,
    /// Malformed lines, at most [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    pub problems_total: u64,
    /// Lines in the file (directives, blank and data lines).
    pub lines: u64,
    /// How many `#Fields` layouts the file declared.
    pub layouts: u32,
    /// Times came from `date-local`/`time-local` (Advanced Logging): local, not UTC.
    pub local_time: bool,
    /// With [`Detail::Correlation`]: every W3C request reduced to [`RequestLite`] (then
    /// `requests` holds only the notable ones: broken connections, sc-win32-status 64/1236,
    /// and requests that took [`SLOW_REQUEST_MS`] or more).
    pub lite: Vec<RequestLite>,
    /// Site names referenced by `lite` (`RequestLite::site`).
    pub sites: Vec<String>,
}

/// A W3C request reduced to what correlation reads: 32 bytes, no allocation per line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestLite {
    /// Line number.
    pub line: u64,
    /// Time (Unix seconds, UTC).
    pub time: i64,
    /// HTTP status (0 = absent).
    pub status: u16,
    /// Index into [`WebLog::sites`] (`u16::MAX` = no site field).
    pub site: u16,
    /// Sub-status (0 when absent).
    pub substatus: u32,
    /// Win32 status (0 when absent).
    pub win32_status: u32,
    /// `time-taken` in milliseconds, saturated at `u32::MAX - 1` ([`NO_TIME_TAKEN`] when
    /// absent).
    pub time_taken_ms: u32,
}

/// [`RequestLite::time_taken_ms`] of a request whose line has no `time-taken`.
pub const NO_TIME_TAKEN: u32 = u32::MAX;

/// Requests that took at least this long (`time-taken`, ms) are notable: with
/// [`Detail::Correlation`] they are kept whole, for the requests that waited on a hung worker.
pub const SLOW_REQUEST_MS: u64 = 10_000;

impl RequestLite {
    /// `time-taken` in milliseconds, when the line has it.
    pub fn time_taken(&self) -> Option<u64> {
        (self.time_taken_ms != NO_TIME_TAKEN).then_some(u64::from(self.time_taken_ms))
    }
}

/// [`RequestLite::time_taken_ms`] for an optional `time-taken`.
pub fn lite_time_taken(ms: Option<u64>) -> u32 {
    ms.map_or(NO_TIME_TAKEN, |v| {
        u32::try_from(v)
            .unwrap_or(NO_TIME_TAKEN - 1)
            .min(NO_TIME_TAKEN - 1)
    })
}

/// Why a log could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not an IIS/HTTP.sys log: {why}", path.display())]
    NotALog { path: PathBuf, why: Unrecognised },
}

/// Why bytes are not a W3C or HTTPERR log ([`classify`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unrecognised {
    #[error("empty file")]
    Empty,
    #[error("UTF-16 text (IIS writes UTF-8/ANSI logs); convert it first")]
    Utf16,
    #[error("binary data (NUL bytes)")]
    NulBytes,
    /// More than 1% control bytes in the first `of` bytes.
    #[error("binary data ({count} control bytes in the first {of} bytes)")]
    ControlBytes { count: usize, of: usize },
    #[error("first line is not a W3C directive (#Software/#Version/#Date/#Fields)")]
    FirstLineNotDirective,
    #[error("starts with '#' but not with a W3C directive")]
    NotADirective,
    #[error("no W3C directives found")]
    NoDirectives,
}

/// Recognises a W3C or HTTPERR log by content.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    classify(bytes).ok()
}

/// Like [`sniff`], with the reason when it is not a log.
pub fn classify(bytes: &[u8]) -> Result<Kind, Unrecognised> {
    if bytes.is_empty() {
        return Err(Unrecognised::Empty);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Unrecognised::Utf16);
    }
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    if memchr::memchr(0, head).is_some() {
        return Err(Unrecognised::NulBytes);
    }
    let ctrl = head
        .iter()
        .filter(|&&c| c < 0x20 && !matches!(c, b'\t' | b'\r' | b'\n'))
        .count();
    if ctrl * 100 > head.len() {
        return Err(Unrecognised::ControlBytes {
            count: ctrl,
            of: head.len(),
        });
    }
    let mut software_httpapi = false;
    let mut directives = 0;
    for line in head.split(|&c| c == b'\n') {
        let line = trim_cr(line);
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        if line[0] != b'#' {
            if directives == 0 {
                return Err(Unrecognised::FirstLineNotDirective);
            }
            continue;
        }
        let text = String::from_utf8_lossy(line);
        if let Some(f) = strip_directive(&text, "Fields") {
            let l = Layout::new(f);
            return Ok(if l.is_httperr() {
                Kind::HttpErr
            } else {
                Kind::W3c
            });
        }
        if let Some(s) = strip_directive(&text, "Software") {
            software_httpapi |= s.trim_start().starts_with("Microsoft HTTP API");
        }
        if [
            "Software",
            "Version",
            "Date",
            "Start-Date",
            "Remark",
            "End-Date",
        ]
        .iter()
        .any(|d| strip_directive(&text, d).is_some())
        {
            directives += 1;
        } else if directives == 0 {
            return Err(Unrecognised::NotADirective);
        }
    }
    match (directives, software_httpapi) {
        (0, _) => Err(Unrecognised::NoDirectives),
        (_, true) => Ok(Kind::HttpErr),
        _ => Ok(Kind::W3c),
    }
}

fn strip_directive<'t>(line: &'t str, name: &str) -> Option<&'t str> {
    let rest = line.strip_prefix('#')?;
    if rest.len() < name.len() || !rest.is_char_boundary(name.len()) {
        return None;
    }
    let (n, rest) = rest.split_at(name.len());
    if !n.eq_ignore_ascii_case(name) {
        return None;
    }
    rest.strip_prefix(':')
}

#[inline]
fn trim_cr(line: &[u8]) -> &[u8] {
    match line.last() {
        Some(b'\r') => &line[..line.len() - 1],
        _ => line,
    }
}

#[inline]
fn parse_uint(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &c in v {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + u64::from(d);
    }
    Some(n)
}

#[inline]
fn two(v: &[u8], i: usize) -> Option<u32> {
    let a = v.get(i)?.wrapping_sub(b'0');
    let b = v.get(i + 1)?.wrapping_sub(b'0');
    (a <= 9 && b <= 9).then_some(u32::from(a) * 10 + u32::from(b))
}

/// `YYYY-MM-DD` → days since 1970-01-01.
#[inline]
fn parse_date(v: &[u8]) -> Option<i64> {
    if v.len() < 10 || v[4] != b'-' || v[7] != b'-' {
        return None;
    }
    let y = two(v, 0)? * 100 + two(v, 2)?;
    let (m, d) = (two(v, 5)?, two(v, 8)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(coroner_model::time::days_from_civil(i64::from(y), m, d))
}

/// `HH:MM:SS[.fff]` → seconds of the day.
#[inline]
fn parse_time(v: &[u8]) -> Option<i64> {
    if v.len() < 8 || v[2] != b':' || v[5] != b':' {
        return None;
    }
    let (h, m, s) = (two(v, 0)?, two(v, 3)?, two(v, 6)?);
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(i64::from(h * 3600 + m * 60 + s))
}

/// Splits a data line on spaces into `out`; fields starting with `"` run to the closing
/// quote (Advanced Logging; `""` is an escaped quote). Runs of spaces count as one separator.
/// Returns the field count, or `None` when there are more than [`MAX_FIELDS`].
#[inline]
fn split_fields<'a>(line: &'a [u8], out: &mut [&'a [u8]; MAX_FIELDS]) -> Option<usize> {
    let mut n = 0;
    let mut p = 0;
    let len = line.len();
    while p < len {
        if line[p] == b' ' || line[p] == b'\t' {
            p += 1;
            continue;
        }
        let start = p;
        if line[p] == b'"' {
            p += 1;
            loop {
                match memchr::memchr(b'"', &line[p..]) {
                    Some(q) => {
                        p += q + 1;
                        if p < len && line[p] == b'"' {
                            p += 1; // "" escape
                            continue;
                        }
                        break;
                    }
                    None => {
                        p = len;
                        break;
                    }
                }
            }
            // A quoted field ends at the next separator.
            while p < len && line[p] != b' ' {
                p += 1;
            }
        } else {
            p = match memchr::memchr2(b' ', b'\t', &line[p..]) {
                Some(q) => p + q,
                None => len,
            };
        }
        if n == MAX_FIELDS {
            return None;
        }
        out[n] = &line[start..p];
        n += 1;
    }
    Some(n)
}

/// Totals of a streaming pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub lines: u64,
    /// Data lines handed to the callback.
    pub records: u64,
    pub problems: Vec<Problem>,
    pub problems_total: u64,
    pub software: Option<String>,
    pub layouts: u32,
    pub local_time: bool,
}

impl Summary {
    fn problem(&mut self, line: u64, what: String) {
        self.problems_total += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { line, what });
        }
    }
}

/// Streams every well-formed data line of a W3C or HTTPERR log to `f`, without allocating
/// per line. Lines whose field count differs from the current `#Fields`, data before any
/// `#Fields`, and lines with more than [`MAX_FIELDS`] fields are reported in the summary.
pub fn for_each_line<'a>(bytes: &'a [u8], mut f: impl FnMut(&RequestRef<'_>)) -> Summary {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let mut sum = Summary::default();
    let mut layout: Option<Layout> = None;
    let mut default_days: Option<i64> = None;
    let mut fields: [&'a [u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
    let mut pos = 0usize;
    let mut line_no = 0u64;
    while pos < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        let line = trim_cr(&bytes[pos..end]);
        pos = end + 1;
        line_no += 1;
        if line.is_empty() {
            continue;
        }
        if line[0] == b'#' {
            let text = String::from_utf8_lossy(line);
            if let Some(decl) = strip_directive(&text, "Fields") {
                let l = Layout::new(decl);
                if l.names.is_empty() {
                    sum.problem(line_no, "#Fields declares no fields".into());
                }
                sum.local_time |= l.local_time;
                sum.layouts += 1;
                layout = Some(l);
            } else if let Some(d) =
                strip_directive(&text, "Date").or_else(|| strip_directive(&text, "Start-Date"))
            {
                match parse_date(d.trim().as_bytes()) {
                    Some(days) => default_days = Some(days),
                    None => sum.problem(line_no, format!("unreadable #Date {:?}", d.trim())),
                }
            } else if let Some(s) = strip_directive(&text, "Software") {
                sum.software = Some(s.trim().to_string());
            }
            continue;
        }
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(l) = layout.as_ref() else {
            sum.problem(line_no, "data line before any #Fields directive".into());
            continue;
        };
        let Some(n) = split_fields(line, &mut fields) else {
            sum.problem(line_no, format!("more than {MAX_FIELDS} fields"));
            continue;
        };
        if n != l.names.len() {
            sum.problem(
                line_no,
                format!("{n} fields, but #Fields declares {}", l.names.len()),
            );
            continue;
        }
        sum.records += 1;
        f(&RequestRef {
            line: line_no,
            fields: &fields[..n],
            layout: l,
            default_days,
        });
    }
    sum.lines = line_no;
    sum
}

/// Per-status request counts of a W3C log (the benchmark entry point): `(status, count)`
/// sorted by status; lines without a numeric status count under 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub lines: u64,
    pub requests: u64,
    pub problems: u64,
    pub by_status: Vec<(u16, u64)>,
}

/// Counts requests per `sc-status` in one streaming pass.
pub fn count_statuses(bytes: &[u8]) -> StatusCounts {
    let mut counts = vec![0u64; 1000];
    let mut other: std::collections::BTreeMap<u16, u64> = Default::default();
    let sum = for_each_line(bytes, |r| match r.status() {
        Some(s) if (s as usize) < counts.len() => counts[s as usize] += 1,
        Some(s) => *other.entry(s).or_default() += 1,
        None => counts[0] += 1,
    });
    let mut by_status: Vec<(u16, u64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(s, &c)| (s as u16, c))
        .collect();
    by_status.extend(other);
    StatusCounts {
        lines: sum.lines,
        requests: sum.records,
        problems: sum.problems_total,
        by_status,
    }
}

/// Parses a log already in memory; `file` is only used for reporting.
/// Most notable requests kept whole with [`Detail::Correlation`].
pub const MAX_NOTABLE: usize = 100_000;

/// How much of each request [`parse_with`] keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Every field ([`RequestRef::to_request`]).
    Full,
    /// What correlation needs ([`RequestRef::to_request_lean`]).
    Correlation,
}

/// Parses a whole log, keeping every field of every request.
pub fn parse(file: PathBuf, bytes: &[u8]) -> Result<WebLog, Error> {
    parse_with(file, bytes, Detail::Full)
}

/// Parses a whole log, keeping `detail` of each request.
pub fn parse_with(file: PathBuf, bytes: &[u8], detail: Detail) -> Result<WebLog, Error> {
    let kind = classify(bytes).map_err(|why| Error::NotALog {
        path: file.clone(),
        why,
    })?;
    let mut requests = Vec::new();
    let mut errors = Vec::new();
    let mut lite = Vec::new();
    let mut sites: Vec<String> = Vec::new();
    let mut bad: Vec<Problem> = Vec::new();
    let sum = for_each_line(bytes, |r| {
        if r.time().is_none() {
            bad.push(Problem {
                line: r.line,
                what: "unreadable date/time".into(),
            });
            return;
        }
        if r.layout.is_httperr() {
            if let Some(e) = r.to_httperr() {
                errors.push(e);
            }
        } else if detail == Detail::Full {
            requests.push(r.to_request());
        } else {
            let site = match r.raw(Field::SiteName) {
                Some(name) => match sites.iter().position(|s: &String| s.as_bytes() == name) {
                    Some(i) => i as u16,
                    None if sites.len() < usize::from(u16::MAX) => {
                        sites.push(lossy(name));
                        (sites.len() - 1) as u16
                    }
                    None => u16::MAX,
                },
                None => u16::MAX,
            };
            let win32 = r.win32_status().unwrap_or(0);
            let taken = r.time_taken_ms();
            lite.push(RequestLite {
                line: r.line,
                time: r.time().unwrap_or(0),
                status: r.status().unwrap_or(0),
                site,
                substatus: r.substatus().unwrap_or(0),
                win32_status: win32,
                time_taken_ms: lite_time_taken(taken),
            });
            let slow = taken.is_some_and(|t| t >= SLOW_REQUEST_MS);
            if (slow || matches!(win32, 64 | 1236)) && requests.len() < MAX_NOTABLE {
                requests.push(r.to_request_lean());
            }
        }
    });
    let mut log = WebLog {
        file,
        kind,
        software: sum.software.clone(),
        requests,
        errors,
        problems: sum.problems,
        problems_total: sum.problems_total,
        lines: sum.lines,
        layouts: sum.layouts,
        local_time: sum.local_time,
        lite,
        sites,
    };
    for p in bad {
        log.problems_total += 1;
        if log.problems.len() < MAX_PROBLEMS {
            log.problems.push(p);
        }
    }
    log.problems.sort_by_key(|p| p.line);
    Ok(log)
}

/// Loads a log file (memory-mapped).
pub fn load(path: impl AsRef<Path>) -> Result<WebLog, Error> {
    load_with(path, Detail::Full)
}

/// [`load`] keeping `detail` of each request.
pub fn load_with(path: impl AsRef<Path>, detail: Detail) -> Result<WebLog, Error> {
    let path = path.as_ref();
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len == 0 {
        return parse_with(path.to_path_buf(), &[], detail);
    }
    // SAFETY: the map is only read while `map` lives. If another process truncates or
    // rewrites the file meanwhile (a live IIS log), reads may see changed bytes or fault:
    // evidence should be a copy, which `coroner` works on.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    parse_with(path.to_path_buf(), &map, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split() {
        let mut f: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
        let n = split_fields(br#"a "b c" - "x ""y"" z" 5"#, &mut f).unwrap();
        assert_eq!(
            &f[..n],
            [&b"a"[..], b"\"b c\"", b"-", b"\"x \"\"y\"\" z\"", b"5"]
        );
        let n = split_fields(b"a  b ", &mut f).unwrap();
        assert_eq!(n, 2);
        assert_eq!(split_fields(&[b'x', b' '].repeat(65), &mut f), None);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date(b"1970-01-01"), Some(0));
        assert_eq!(parse_date(b"2018-01-01"), Some(17_532));
        assert_eq!(parse_date(b"2018-13-01"), None);
        assert_eq!(parse_time(b"08:09:10"), Some(29_350));
        assert_eq!(parse_time(b"17:00:00.363"), Some(61_200));
        assert_eq!(parse_time(b"8:09:10"), None);
        assert_eq!(parse_uint(b"18446744073709551615"), None);
    }
}
