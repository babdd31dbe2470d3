//! Event Viewer's "Save All Events As…" exports: CSV ("CSV (Comma delimited)", Korean
//! "CSV (쉼표로 구분)") and tab-delimited text ("Text (Tab delimited)", "텍스트(탭으로 구분)").
//!
//! What these files look like (sources below; "recalled" marks what no source at hand shows):
//!
//! * One header row, then one row per event in the order the view showed them (newest first
//!   by default). Vista+ headers: `Level,Date and Time,Source,Event ID,Task Category`; Korean
//!   Windows localises them: `수준,날짜 및 시간,원본,이벤트 ID,작업 범주` (the column names are
//!   the ones Microsoft's Korean Event Viewer help uses for the event properties: 수준, 원본,
//!   이벤트 ID — forsenergy.com/ko-kr/eventviewer). The rendered message (description) is the
//!   last column; its header cell is empty or missing (recalled), so a row has one field more
//!   than the header names.
//! * Windows Server 2003's Event Viewer ("Save Log File As…", CSV or tab-delimited text) has
//!   other columns: the date and the time apart, the level called Type, the id called Event —
//!   `Type,Date,Time,Source,Category,Event,User,Computer,Description` (learn.microsoft.com
//!   cc780824 lists Date, Time, Source, Type, Category, Event, User, Computer, Description);
//!   Korean `종류,날짜,시간,원본,범주,이벤트,사용자,컴퓨터,설명` (laigo.kr's Server 2003 export:
//!   날짜 2009-03-02, 시간 오전 01:05:05). Its audit levels are `Success Audit` / `Failure
//!   Audit` (성공 감사 / 실패 감사). The columns are found by name, so either order reads.
//!   Its CSV is also met without a header row (recalled): then a first row whose fields are,
//!   in that order (or cc780824's: Date, Time, Source, Type, …), a level word, a date, a time,
//!   a source, a category and a numeric id is read so.
//! * Levels: Information, Warning, Error, Critical, Verbose (and Audit Success/Failure in the
//!   Security log); Korean 정보, 경고, 오류, 위험, 자세한 정보 (감사 성공/실패) — the same help
//!   page and learn.microsoft.com cc765981 list them; blog.plura.io maps them to levels 4..1.
//! * Date and time in the exporting user's short date and long time format, local time, no
//!   zone: US English `5/3/2018 10:15:02 AM`; Korean `2018-05-03 오전 10:15:02` (오전 = AM,
//!   오후 = PM before the time, as in sysnet.pe.kr's pasted Korean event: "2017-11-16 오후
//!   5:45:59"; laigo.kr's Server 2003 export splits it into 날짜 2009-03-02 / 시간 오전
//!   01:05:05).
//! * Quoting: RFC 4180 style — a field holding the delimiter, a quote or a line break is
//!   quoted and its quotes doubled, so multi-line messages span lines inside quotes. Rows of
//!   an unquoted multi-line message (tolerated in the text form) are joined to the row above.
//! * Encodings: UTF-8 with BOM (current Windows), UTF-16LE with BOM ("Unicode" text), and for
//!   older Korean systems the ANSI code page 949 (decoded with `encoding_rs`'s EUC-KR, which is
//!   windows-949). The encoding is chosen from the BOM, else from whether the header row is
//!   valid UTF-8.
//!
//! Times are local with no zone: events come out with [`Event::local_time`] set. The message
//! is kept, and [`crate::recover`] reads insertion strings back from it.

use std::path::PathBuf;

use crate::{Error, Event, EventLog, Kind};

/// The columns of one export, by index.
#[derive(Debug, Clone, Copy)]
struct Layout {
    delimiter: u8,
    level: usize,
    date: usize,
    /// The time, when it has a column of its own (Windows Server 2003).
    time: Option<usize>,
    /// Whether the first row names the columns (else it is an event: Windows Server 2003).
    header: bool,
    source: usize,
    id: usize,
    message: usize,
}

/// Header names: (English, Korean) for each column read.
const LEVEL: [&str; 4] = ["level", "수준", "type", "종류"];
const DATE: [&str; 2] = ["date and time", "날짜 및 시간"];
/// Windows Server 2003: the date and the time in columns of their own.
const DATE_ONLY: [&str; 2] = ["date", "날짜"];
const TIME_ONLY: [&str; 2] = ["time", "시간"];
const SOURCE: [&str; 2] = ["source", "원본"];
const EVENT_ID: [&str; 4] = ["event id", "이벤트 id", "event", "이벤트"];
const MESSAGE: [&str; 6] = [
    "description",
    "message",
    "general",
    "설명",
    "메시지",
    "일반",
];

/// Most bytes of the header row looked at when sniffing.
const MAX_HEADER: usize = 4096;

pub(crate) fn looks_like_export(bytes: &[u8]) -> bool {
    let (enc, body) = encoding_of(bytes);
    let line = first_line(enc, body);
    layout(&line).is_some()
}

/// The encoding (BOM, else UTF-8 when the header row is valid UTF-8, else code page 949)
/// and the bytes after the BOM.
fn encoding_of(bytes: &[u8]) -> (&'static encoding_rs::Encoding, &[u8]) {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return (enc, &bytes[bom..]);
    }
    let end = memchr::memchr(b'\n', bytes).unwrap_or(bytes.len().min(MAX_HEADER));
    let head = &bytes[..end.min(MAX_HEADER)];
    if std::str::from_utf8(head).is_ok() {
        (encoding_rs::UTF_8, bytes)
    } else {
        (encoding_rs::EUC_KR, bytes)
    }
}

/// The header row, decoded.
fn first_line(enc: &'static encoding_rs::Encoding, body: &[u8]) -> String {
    let cut = &body[..body.len().min(MAX_HEADER)];
    let (text, _) = enc.decode_without_bom_handling(cut);
    text.lines().next().unwrap_or("").to_string()
}

fn named(cell: &str, names: &[&str]) -> bool {
    let c = cell.trim().trim_matches('"').trim().to_lowercase();
    names.iter().any(|n| c == *n)
}

/// The columns, when `line` is an export's header row (English or Korean).
fn layout(line: &str) -> Option<Layout> {
    named_layout(line).or_else(|| headerless_2003(line))
}

/// A Windows Server 2003 export without a header row: the first row is an event whose fields
/// are Type, Date, Time, Source, Category, Event, User, Computer, Description (as the Event
/// Viewer of Windows Server 2003 saves them), or Date, Time, Source, Type, … (cc780824's order).
fn headerless_2003(line: &str) -> Option<Layout> {
    let delimiter = if line.contains('\t') { b'\t' } else { b',' };
    let cells: Vec<&str> = line.split(char::from(delimiter)).map(str::trim).collect();
    // (level, date, time, source) of each order; the id is the sixth field, the message the ninth.
    [(0, 1, 2, 3), (3, 0, 1, 2)]
        .into_iter()
        .find(|&(level, date, time, _)| {
            cells.len() >= 9
                && crate::time::parse_local(&format!("{} {}", cells[date], cells[time])).is_some()
                && matches!(level_of(cells[level]), Some(Some(_)))
                && cells[5].parse::<u32>().is_ok()
        })
        .map(|(level, date, time, source)| Layout {
            delimiter,
            level,
            date,
            time: Some(time),
            header: false,
            source,
            id: 5,
            message: 8,
        })
}

/// The columns named by a header row.
fn named_layout(line: &str) -> Option<Layout> {
    let delimiter = if line.contains('\t') { b'\t' } else { b',' };
    let cells: Vec<&str> = line.split(char::from(delimiter)).collect();
    let find = |names: &[&str]| cells.iter().position(|c| named(c, names));
    let (date, time) = match find(&DATE) {
        Some(d) => (d, None),
        None => (find(&DATE_ONLY)?, Some(find(&TIME_ONLY)?)),
    };
    let (level, source, id) = (find(&LEVEL)?, find(&SOURCE)?, find(&EVENT_ID)?);
    let message = find(&MESSAGE).unwrap_or_else(|| {
        let named_last = cells
            .iter()
            .rposition(|c| !c.trim().is_empty())
            .unwrap_or(0);
        named_last + 1
    });
    Some(Layout {
        delimiter,
        level,
        date,
        time,
        header: true,
        source,
        id,
        message,
    })
}

pub(crate) fn load(file: PathBuf, bytes: &[u8]) -> Result<EventLog, Error> {
    let (enc, body) = encoding_of(bytes);
    let (text, bad) = enc.decode_without_bom_handling(body);
    let line = text.lines().next().unwrap_or("");
    let Some(layout) = layout(line) else {
        return Err(Error::Unreadable {
            path: file,
            kind: Kind::ViewerExport,
            why: "no Event Viewer export header row".into(),
        });
    };
    let mut log = EventLog::new(file, Kind::ViewerExport);
    if bad {
        log.problem(
            0,
            format!("bytes that are not {} were replaced", enc.name()),
        );
    }
    read_rows(&mut log, &text, layout);
    if log.events.first().map(|e| e.time) > log.events.last().map(|e| e.time) {
        log.events.reverse(); // Event Viewer lists the newest first; the model is oldest first.
    }
    for (i, e) in log.events.iter_mut().enumerate() {
        e.record_id = i as u64 + 1;
        crate::recover::from_message(e);
    }
    Ok(log)
}

/// Why a row is not an event, or `Continues` when it is a line of the message above.
enum Row {
    Event(Box<Event>),
    Continues(String),
    Bad(String),
}

fn read_rows(log: &mut EventLog, text: &str, layout: Layout) {
    // Row numbers as an editor shows them: the header, when there is one, is row 1.
    let first = if layout.header { 2 } else { 1 };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(layout.delimiter)
        .has_headers(layout.header)
        .flexible(true)
        .from_reader(text.as_bytes());
    for (n, rec) in rdr.records().enumerate() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let at = e.position().map(|p| p.byte()).unwrap_or(0);
                log.problem(at, format!("row {}: {e}", n + first));
                continue;
            }
        };
        let at = rec.position().map(|p| p.byte()).unwrap_or(0);
        match row(&rec, layout) {
            Row::Event(e) => log.events.push(*e),
            Row::Continues(line) => match log.events.last_mut().and_then(|e| e.message.as_mut()) {
                Some(m) => {
                    m.push('\n');
                    m.push_str(&line);
                }
                None => log.problem(at, format!("row {}: not an event row", n + first)),
            },
            Row::Bad(why) => log.problem(at, format!("row {}: {why}", n + first)),
        }
    }
}

fn row(rec: &csv::StringRecord, l: Layout) -> Row {
    let field = |i: usize| rec.get(i).map(str::trim);
    let level_text = field(l.level).unwrap_or("");
    let level = level_of(level_text);
    let when = match l.time {
        Some(t) => format!("{} {}", field(l.date).unwrap_or(""), field(t).unwrap_or("")),
        None => field(l.date).unwrap_or("").to_string(),
    };
    let time = crate::time::parse_local(when.trim());
    let needed = l
        .level
        .max(l.date)
        .max(l.time.unwrap_or(0))
        .max(l.source)
        .max(l.id)
        + 1;
    if level.is_none() && time.is_none() {
        // Not a row of its own: a line of an unquoted multi-line message.
        let delim = char::from(l.delimiter).to_string();
        return Row::Continues(rec.iter().collect::<Vec<_>>().join(&delim));
    }
    if rec.len() < needed {
        return Row::Bad(format!(
            "{} fields, an event row has at least {needed}",
            rec.len()
        ));
    }
    let Some((time, time_nanos)) = time else {
        return Row::Bad(format!("date and time {:?} not understood", when.trim()));
    };
    let Some(id) = field(l.id).and_then(|v| v.parse::<u32>().ok()) else {
        return Row::Bad(format!(
            "event id {:?} is not a number",
            field(l.id).unwrap_or("")
        ));
    };
    Row::Event(Box::new(Event {
        source: field(l.source).unwrap_or("").to_string(),
        event_id: id & 0xffff,
        level: level.flatten(),
        time,
        time_nanos,
        message: field(l.message).map(String::from).filter(|m| !m.is_empty()),
        local_time: true,
        ..Event::default()
    }))
}

/// The level a column shows: `Some(None)` for an empty cell or a word not known here (kept),
/// `None` when the cell cannot be a level at all (long text: a message line).
fn level_of(word: &str) -> Option<Option<u8>> {
    let w = word.trim().to_lowercase();
    let level = match w.as_str() {
        "critical" | "위험" => 1,
        "error" | "오류" => 2,
        "warning" | "경고" => 3,
        "information" | "정보" => 4,
        "verbose" | "자세한 정보" => 5,
        "audit success" | "audit failure" | "감사 성공" | "감사 실패" => 0,
        "success audit" | "failure audit" | "성공 감사" | "실패 감사" => 0,
        _ if w.is_empty() => return Some(None),
        _ => return None,
    };
    Some(Some(level))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_both_languages() {
        let en = layout("Level,Date and Time,Source,Event ID,Task Category").unwrap();
        assert_eq!(
            (en.level, en.date, en.source, en.id, en.message),
            (0, 1, 2, 3, 5)
        );
        let ko = layout("수준\t날짜 및 시간\t원본\t이벤트 ID\t작업 범주").unwrap();
        assert_eq!((ko.delimiter, ko.message), (b'\t', 5));
        assert!(layout("date,time,c-ip,cs-method").is_none());
        let w2003 = layout("Type,Date,Time,Source,Category,Event,User,Computer,Description")
            .expect("Windows Server 2003 header");
        assert_eq!(
            (w2003.level, w2003.date, w2003.time, w2003.source, w2003.id),
            (0, 1, Some(2), 3, 5)
        );
        assert_eq!(w2003.message, 8);
        let ko = layout("종류\t날짜\t시간\t원본\t범주\t이벤트\t사용자\t컴퓨터\t설명").unwrap();
        assert_eq!((ko.time, ko.id, ko.message), (Some(2), 5, 8));
        let bare = layout("3/14/2006,5:23:41 AM,W3SVC,Warning,None,1009,N/A,WEB01,A process serving application pool 'DefaultAppPool' terminated unexpectedly.")
            .expect("a headerless Windows Server 2003 row");
        assert!(!bare.header);
        assert_eq!(
            (bare.date, bare.time, bare.level, bare.id),
            (0, Some(1), 3, 5)
        );
        assert!(layout("3/14/2006,5:23:41 AM,W3SVC,Warning,None,x1009,N/A,WEB01,text").is_none());
    }

    #[test]
    fn cp949_header_is_recognised() {
        let (bytes, _, _) =
            encoding_rs::EUC_KR.encode("수준,날짜 및 시간,원본,이벤트 ID,작업 범주\r\n");
        assert!(std::str::from_utf8(&bytes).is_err());
        assert!(looks_like_export(&bytes));
    }
}
