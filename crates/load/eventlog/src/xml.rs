//! Event XML: Event Viewer "Save as XML" / `wevtutil qe /f:xml` (or `/f:RenderedXml`) exports,
//! and the XML that the `evtx` crate renders for each EVTX record.
//!
//! ```xml
//! <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
//!   <System>
//!     <Provider Name="Application Error" />
//!     <EventID Qualifiers="0">1000</EventID>
//!     <Level>2</Level>
//!     <TimeCreated SystemTime="2016-09-20T15:42:23.123456700Z" />
//!     <EventRecordID>2201</EventRecordID>
//!     <Channel>Application</Channel>
//!     <Computer>WIN-7</Computer>
//!   </System>
//!   <EventData><Data>rundll32.exe</Data>…<Binary>0D0A</Binary></EventData>
//! </Event>
//! ```

use std::path::PathBuf;

use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;

use crate::{Error, Event, EventLog, Kind};

/// True when the bytes look like event XML (UTF-8 with or without BOM, or UTF-16LE).
pub(crate) fn looks_like_event_xml(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if head.starts_with(&[0xFF, 0xFE]) {
        // UTF-16LE: look for "<Event" as UTF-16.
        let pat: Vec<u8> = "<Event"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let first = head[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .find(|&u| !matches!(u, 0x20 | 0x09 | 0x0a | 0x0d));
        return first == Some(u16::from(b'<')) && memchr::memmem::find(head, &pat).is_some();
    }
    let body = head.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(head);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    first == Some(&b'<') && memchr::memmem::find(body, b"<Event").is_some()
}

pub(crate) fn load(file: PathBuf, bytes: &[u8]) -> Result<EventLog, Error> {
    let mut log = EventLog::new(file, Kind::Xml);
    let text: std::borrow::Cow<'_, [u8]> = if bytes.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        std::borrow::Cow::Owned(String::from_utf16_lossy(&units).into_bytes())
    } else {
        std::borrow::Cow::Borrowed(bytes)
    };
    let mut problems = Vec::new();
    log.events = parse_events(&text, &mut problems);
    for (offset, what) in problems {
        log.problem(offset, what);
    }
    Ok(log)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    Outside,
    Event,
    System,
    EventData,
    UserData,
    Rendering,
    Other,
}

struct Builder {
    ev: Event,
    offset: u64,
    have_id: bool,
    have_time: bool,
    event_source_name: Option<String>,
}

/// Parses every `<Event>` element in `xml`. Damaged events are skipped and reported in
/// `problems` as `(byte offset, what)`.
pub(crate) fn parse_events(xml: &[u8], problems: &mut Vec<(u64, String)>) -> Vec<Event> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().check_end_names = false;
    reader.config_mut().trim_text(false);

    let mut p = EventParser {
        problems,
        events: Vec::new(),
        cur: None,
        stack: Vec::new(),
        text: String::new(),
        data_name: None,
    };
    let mut errors = 0u32;
    loop {
        let pos = reader.buffer_position();
        let ev = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                errors += 1;
                if let Some(b) = p.cur.take() {
                    p.problems
                        .push((b.offset, format!("skipped event: XML error at {pos}: {e}")));
                } else {
                    p.problems.push((pos, format!("XML error: {e}")));
                }
                p.stack.clear();
                if errors > 1000 || reader.buffer_position() <= pos {
                    p.problems
                        .push((pos, "stopped reading: XML too damaged".into()));
                    break;
                }
                continue;
            }
        };
        match ev {
            XmlEvent::Start(ref s) => p.start(s, false, pos),
            XmlEvent::Empty(ref s) => p.start(s, true, pos),
            XmlEvent::End(_) => p.end(),
            XmlEvent::Text(t) if p.cur.is_some() => {
                if let Ok(s) = t.decode() {
                    p.text.push_str(&s);
                }
            }
            XmlEvent::CData(t) if p.cur.is_some() => {
                p.text.push_str(&String::from_utf8_lossy(&t.into_inner()));
            }
            XmlEvent::GeneralRef(r) if p.cur.is_some() => p.general_ref(&r),
            XmlEvent::Eof => {
                p.eof();
                break;
            }
            _ => {}
        }
    }
    p.events
}

/// One pass over an XML file: the events built so far, the one being read and where in it the
/// reader is.
struct EventParser<'p> {
    problems: &'p mut Vec<(u64, String)>,
    events: Vec<Event>,
    /// The `<Event>` being read.
    cur: Option<Builder>,
    /// Stack of (section, local name, had_child) from the <Event> element down.
    stack: Vec<(Where, Vec<u8>, bool)>,
    /// Text of the element being read.
    text: String,
    /// `Name` of the `<Data>` element being read.
    data_name: Option<String>,
}

impl EventParser<'_> {
    /// An opening tag (`empty`: self-closing) at byte `pos`: outside an event only `<Event>`
    /// counts; inside, the section it opens and the facts its attributes carry.
    fn start(&mut self, s: &BytesStart<'_>, empty: bool, pos: u64) {
        let name = s.local_name().as_ref().to_vec();
        let parent = self.stack.last().map(|f| f.0).unwrap_or(Where::Outside);
        if let Some(top) = self.stack.last_mut() {
            top.2 = true;
        }
        if self.cur.is_none() {
            if name == b"Event" {
                self.open_event(name, empty, pos);
            }
            return;
        }
        let Some(b) = self.cur.as_mut() else { return };
        let here = match (parent, name.as_slice()) {
            (Where::Event, b"System") => Where::System,
            (Where::Event, b"EventData") => Where::EventData,
            (Where::Event, b"UserData") => Where::UserData,
            (Where::Event, b"RenderingInfo") => Where::Rendering,
            (Where::UserData, _) => Where::UserData,
            _ => Where::Other,
        };
        self.text.clear();
        match (parent, name.as_slice()) {
            (Where::System, b"Provider") => {
                if let Some(v) = attr(s, b"Name") {
                    b.ev.source = v;
                }
                b.event_source_name = attr(s, b"EventSourceName");
            }
            (Where::System, b"EventID") => {
                b.ev.qualifiers = attr(s, b"Qualifiers").and_then(|q| q.trim().parse().ok());
            }
            (Where::System, b"TimeCreated") => {
                if let Some((t, n)) =
                    attr(s, b"SystemTime").and_then(|v| crate::time::parse_iso8601(&v))
                {
                    b.ev.time = t;
                    b.ev.time_nanos = n;
                    b.have_time = true;
                }
            }
            (Where::EventData, b"Data") => {
                self.data_name = attr(s, b"Name");
                if empty {
                    push_data(&mut b.ev, self.data_name.take(), String::new());
                }
            }
            _ => {}
        }
        if !empty {
            self.stack.push((here, name, false));
        }
    }

    /// `<Event>` at byte `pos` begins an event; an empty `<Event/>` is skipped and reported.
    fn open_event(&mut self, name: Vec<u8>, empty: bool, pos: u64) {
        self.cur = Some(Builder {
            ev: Event::default(),
            offset: pos,
            have_id: false,
            have_time: false,
            event_source_name: None,
        });
        self.stack.clear();
        if empty {
            if let Some(b) = self.cur.take() {
                self.problems
                    .push((b.offset, "skipped empty <Event/>".into()));
            }
        } else {
            self.stack.push((Where::Event, name, false));
        }
    }

    /// A closing tag: the element's text goes where its place says; `</Event>` finishes the
    /// event.
    fn end(&mut self) {
        let Some((here, name, had_child)) = self.stack.pop() else {
            return;
        };
        let parent = self.stack.last().map(|f| f.0).unwrap_or(Where::Outside);
        let Some(b) = self.cur.as_mut() else { return };
        let value = std::mem::take(&mut self.text);
        match (parent, name.as_slice()) {
            (Where::Outside, b"Event") => {
                if let Some(b) = self.cur.take() {
                    finish(b, &mut self.events, self.problems);
                }
                self.stack.clear();
            }
            (Where::System, b"EventID") => {
                if let Ok(id) = value.trim().parse::<u32>() {
                    b.ev.event_id = id & 0xFFFF;
                    b.have_id = true;
                }
            }
            (Where::System, b"Level") => b.ev.level = value.trim().parse().ok(),
            (Where::System, b"EventRecordID") => b.ev.record_id = value.trim().parse().unwrap_or(0),
            (Where::System, b"Channel") => {
                b.ev.channel = Some(value.trim().to_string()).filter(|c| !c.is_empty())
            }
            (Where::System, b"Computer") => {
                b.ev.computer = Some(value.trim().to_string()).filter(|c| !c.is_empty())
            }
            (Where::EventData, b"Data") => push_data(&mut b.ev, self.data_name.take(), value),
            (Where::EventData, b"Binary") => match hex(value.trim()) {
                Some(d) => b.ev.data = d,
                None => self.problems.push((
                    b.offset,
                    format!("record {}: <Binary> is not hex; dropped", b.ev.record_id),
                )),
            },
            (Where::Rendering, b"Message") => b.ev.message = Some(value).filter(|m| !m.is_empty()),
            _ if here == Where::UserData && parent == Where::UserData && !had_child => {
                let key = String::from_utf8_lossy(&name).into_owned();
                b.ev.strings.push(value.clone());
                b.ev.named.push((key, value));
            }
            _ => {}
        }
    }

    /// An entity or character reference in text (`&amp;`, `&#65;`); unknown entities become
    /// U+FFFD.
    fn general_ref(&mut self, r: &quick_xml::events::BytesRef<'_>) {
        match r.resolve_char_ref() {
            Ok(Some(c)) => self.text.push(c),
            _ => {
                let name = r.decode().unwrap_or_default();
                self.text.push_str(match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "\u{FFFD}",
                });
            }
        }
    }

    /// The end of the file: an event still open was cut off.
    fn eof(&mut self) {
        if let Some(b) = self.cur.take() {
            self.problems.push((
                b.offset,
                "skipped event cut off by the end of the file".into(),
            ));
        }
    }
}

fn push_data(ev: &mut Event, name: Option<String>, value: String) {
    if let Some(n) = name {
        ev.named.push((n, value.clone()));
    }
    ev.strings.push(value);
}

fn finish(mut b: Builder, events: &mut Vec<Event>, problems: &mut Vec<(u64, String)>) {
    if b.ev.source.is_empty() {
        if let Some(s) = b.event_source_name.take() {
            b.ev.source = s;
        }
    }
    if !b.have_id || b.ev.source.is_empty() {
        problems.push((
            b.offset,
            format!(
                "skipped event without {}",
                if b.have_id {
                    "a provider name"
                } else {
                    "an EventID"
                }
            ),
        ));
        return;
    }
    if !b.have_time {
        problems.push((
            b.offset,
            format!(
                "record {}: no TimeCreated; time set to 0 (kept)",
                b.ev.record_id
            ),
        ));
    }
    events.push(b.ev);
}

fn attr(s: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    s.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| match a.unescape_value() {
            Ok(v) => v.into_owned(),
            Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
        })
}

fn hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
    b.chunks_exact(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}
