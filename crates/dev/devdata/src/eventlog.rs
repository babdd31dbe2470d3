//! Writers for fixtures: legacy `.evt` files (optionally wrapped around their circular
//! buffer) and event XML exports as `wevtutil qe /f:xml` writes them. Used by coroner-eventlog's
//! tests and the example incident; coroner-eventlog reads back what these write.

use coroner_eventlog::evt::{
    EOF_RECORD_SIZE, EOF_SIGNATURE, FLAG_WRAP, HEADER_SIZE, RECORD_FIXED_SIZE, SIGNATURE,
};
use coroner_eventlog::Event;
use coroner_model::time::civil_from_days;

/// One legacy EVENTLOGRECORD to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvtRecord {
    pub record_number: u32,
    pub time_generated: u32,
    pub time_written: u32,
    /// Full EventID: low 16 bits id, high 16 bits qualifiers (e.g. 0xC000_03F1 for W3SVC 1009
    /// logged as a warning by IIS 6).
    pub event_id: u32,
    /// EVENTLOG_ERROR_TYPE 1, WARNING 2, INFORMATION 4, AUDIT_SUCCESS 8, AUDIT_FAILURE 16.
    pub event_type: u16,
    pub category: u16,
    pub source: String,
    pub computer: String,
    pub sid: Vec<u8>,
    pub strings: Vec<String>,
    pub data: Vec<u8>,
}

impl EvtRecord {
    /// A record with the common fields; qualifiers/type default to an error event.
    pub fn new(
        record_number: u32,
        time: u32,
        source: &str,
        event_id: u32,
        strings: &[&str],
    ) -> Self {
        EvtRecord {
            record_number,
            time_generated: time,
            time_written: time,
            event_id,
            event_type: 1,
            category: 0,
            source: source.into(),
            computer: "IIS6HOST".into(),
            sid: Vec::new(),
            strings: strings.iter().map(|s| s.to_string()).collect(),
            data: Vec::new(),
        }
    }

    /// The record for an [`Event`] (level 2/1 → error, 3 → warning, else information).
    pub fn from_event(e: &Event) -> Self {
        let event_type = match e.level {
            Some(1 | 2) => 1,
            Some(3) => 2,
            _ => 4,
        };
        EvtRecord {
            record_number: e.record_id as u32,
            time_generated: e.time.clamp(0, i64::from(u32::MAX)) as u32,
            time_written: e.time.clamp(0, i64::from(u32::MAX)) as u32,
            event_id: (e.event_id & 0xFFFF) | (u32::from(e.qualifiers.unwrap_or(0)) << 16),
            event_type,
            category: 0,
            source: e.source.clone(),
            computer: e.computer.clone().unwrap_or_default(),
            sid: Vec::new(),
            strings: e.strings.clone(),
            data: e.data.clone(),
        }
    }

    /// The record's bytes (Length-prefixed and -suffixed, 4-aligned).
    pub fn encode(&self) -> Vec<u8> {
        fn utf16z(out: &mut Vec<u8>, s: &str) {
            for u in s.encode_utf16() {
                out.extend_from_slice(&u.to_le_bytes());
            }
            out.extend_from_slice(&[0, 0]);
        }
        fn pad4(out: &mut Vec<u8>) {
            while !out.len().is_multiple_of(4) {
                out.push(0);
            }
        }
        let mut b = vec![0u8; RECORD_FIXED_SIZE];
        utf16z(&mut b, &self.source);
        utf16z(&mut b, &self.computer);
        pad4(&mut b);
        let sid_offset = b.len();
        b.extend_from_slice(&self.sid);
        let string_offset = b.len();
        for s in &self.strings {
            utf16z(&mut b, s);
        }
        let data_offset = b.len();
        b.extend_from_slice(&self.data);
        pad4(&mut b);
        let len = b.len() + 4;
        let put = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
        put(&mut b, 0, len as u32);
        b[4..8].copy_from_slice(SIGNATURE);
        put(&mut b, 8, self.record_number);
        put(&mut b, 0x0c, self.time_generated);
        put(&mut b, 0x10, self.time_written);
        put(&mut b, 0x14, self.event_id);
        b[0x18..0x1a].copy_from_slice(&self.event_type.to_le_bytes());
        b[0x1a..0x1c].copy_from_slice(&(self.strings.len() as u16).to_le_bytes());
        b[0x1c..0x1e].copy_from_slice(&self.category.to_le_bytes());
        put(&mut b, 0x24, string_offset as u32);
        put(&mut b, 0x28, self.sid.len() as u32);
        put(&mut b, 0x2c, sid_offset as u32);
        put(&mut b, 0x30, self.data.len() as u32);
        put(&mut b, 0x34, data_offset as u32);
        b.extend_from_slice(&(len as u32).to_le_bytes());
        b
    }
}

fn eof_record(begin: u32, end: u32, current: u32, oldest: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(EOF_RECORD_SIZE);
    b.extend_from_slice(&(EOF_RECORD_SIZE as u32).to_le_bytes());
    for v in EOF_SIGNATURE {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for v in [begin, end, current, oldest, EOF_RECORD_SIZE as u32] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}

fn header(start: u32, end: u32, current: u32, oldest: u32, max_size: u32, flags: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(HEADER_SIZE);
    for v in [
        HEADER_SIZE as u32,
        u32::from_le_bytes(*SIGNATURE),
        1,
        1,
        start,
        end,
        current,
        oldest,
        max_size,
        flags,
        0,
        HEADER_SIZE as u32,
    ] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}

/// A complete `.evt` file holding `records` one after another after the header, then the
/// EOF record (a log that has not wrapped).
pub fn evt_file(records: &[EvtRecord]) -> Vec<u8> {
    let size: usize =
        HEADER_SIZE + records.iter().map(|r| r.encode().len()).sum::<usize>() + EOF_RECORD_SIZE;
    evt_file_wrapped(records, size, HEADER_SIZE).unwrap_or_default()
}

/// A `.evt` file of exactly `file_size` bytes whose oldest record starts at `start_offset`;
/// records (and the EOF record) that run past the end continue right after the header, as in
/// a full circular log. `None` when they don't fit or the offsets are not 4-aligned/in range.
pub fn evt_file_wrapped(
    records: &[EvtRecord],
    file_size: usize,
    start_offset: usize,
) -> Option<Vec<u8>> {
    if !file_size.is_multiple_of(4)
        || !start_offset.is_multiple_of(4)
        || start_offset < HEADER_SIZE
        || start_offset >= file_size
    {
        return None;
    }
    let ring = file_size - HEADER_SIZE;
    let mut out = vec![0u8; file_size];
    let mut pos = start_offset;
    let mut used = 0usize;
    let mut wrapped = false;
    let mut put = |bytes: &[u8], pos: &mut usize, wrapped: &mut bool| {
        for &x in bytes {
            out[*pos] = x;
            *pos += 1;
            if *pos == file_size {
                *pos = HEADER_SIZE;
                *wrapped = true;
            }
        }
    };
    for r in records {
        let b = r.encode();
        used += b.len();
        if used + EOF_RECORD_SIZE > ring {
            return None;
        }
        put(&b, &mut pos, &mut wrapped);
    }
    let end = pos;
    let first = records.first().map(|r| r.record_number).unwrap_or(1);
    let current = records
        .last()
        .map(|r| r.record_number.wrapping_add(1))
        .unwrap_or(1);
    put(
        &eof_record(start_offset as u32, end as u32, current, first),
        &mut pos,
        &mut wrapped,
    );
    let flags = if wrapped { FLAG_WRAP } else { 0 };
    out[..HEADER_SIZE].copy_from_slice(&header(
        start_offset as u32,
        end as u32,
        current,
        first,
        file_size as u32,
        flags,
    ));
    Some(out)
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                o.push_str(&format!("&#x{:x};", c as u32))
            }
            c => o.push(c),
        }
    }
    o
}

/// One `<Event>` element as `wevtutil qe /f:xml` writes it. Named data is written as
/// `<Data Name=…>` when every string has a name, plain `<Data>` otherwise.
pub fn event_xml(e: &Event) -> String {
    let mut o = String::from(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>",
    );
    o.push_str(&format!("<Provider Name='{}'/>", esc(&e.source)));
    match e.qualifiers {
        Some(q) => o.push_str(&format!(
            "<EventID Qualifiers='{q}'>{}</EventID>",
            e.event_id
        )),
        None => o.push_str(&format!("<EventID>{}</EventID>", e.event_id)),
    }
    if let Some(l) = e.level {
        o.push_str(&format!("<Level>{l}</Level>"));
    }
    o.push_str(&format!(
        "<TimeCreated SystemTime='{}'/><EventRecordID>{}</EventRecordID>",
        format_iso8601(e.time, e.time_nanos),
        e.record_id
    ));
    if let Some(c) = &e.channel {
        o.push_str(&format!("<Channel>{}</Channel>", esc(c)));
    }
    if let Some(c) = &e.computer {
        o.push_str(&format!("<Computer>{}</Computer>", esc(c)));
    }
    o.push_str("</System><EventData>");
    let all_named = !e.named.is_empty() && e.named.len() == e.strings.len();
    for (i, s) in e.strings.iter().enumerate() {
        if all_named {
            o.push_str(&format!(
                "<Data Name='{}'>{}</Data>",
                esc(&e.named[i].0),
                esc(s)
            ));
        } else {
            o.push_str(&format!("<Data>{}</Data>", esc(s)));
        }
    }
    if !e.data.is_empty() {
        o.push_str("<Binary>");
        for b in &e.data {
            o.push_str(&format!("{b:02X}"));
        }
        o.push_str("</Binary>");
    }
    o.push_str("</EventData>");
    if let Some(m) = &e.message {
        o.push_str(&format!(
            "<RenderingInfo Culture='en-US'><Message>{}</Message></RenderingInfo>",
            esc(m)
        ));
    }
    o.push_str("</Event>");
    o
}

/// An export of several events: `<Events>` root, one `<Event>` per line.
pub fn events_xml(events: &[Event]) -> String {
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Events>\r\n");
    for e in events {
        o.push_str(&event_xml(e));
        o.push_str("\r\n");
    }
    o.push_str("</Events>\r\n");
    o
}

/// Formats Unix seconds + nanoseconds as `YYYY-MM-DDTHH:MM:SS.fffffffZ` (Event XML style).
fn format_iso8601(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:07}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        nanos.min(999_999_999) / 100
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601() {
        assert_eq!(
            super::format_iso8601(1_474_386_143, 123_456_700),
            "2016-09-20T15:42:23.1234567Z"
        );
    }
}
