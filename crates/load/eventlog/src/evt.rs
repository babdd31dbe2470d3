//! Legacy Windows NT event log (`.evt`, Windows NT 4 / 2000 / XP / Server 2003) parser.
//!
//! Layout (all little-endian):
//!
//! * `ELF_LOGFILE_HEADER`, 0x30 bytes at offset 0: HeaderSize (0x30), Signature `LfLe`,
//!   MajorVersion (1), MinorVersion (1), StartOffset (oldest record), EndOffset (the EOF
//!   record), CurrentRecordNumber (next to be written), OldestRecordNumber, MaxSize, Flags
//!   (DIRTY 1, WRAP 2, LOGFULL_WRITTEN 4, ARCHIVE_SET 8), Retention, EndHeaderSize (0x30).
//! * `EVENTLOGRECORD`: Length, Reserved (`LfLe`), RecordNumber, TimeGenerated, TimeWritten
//!   (Unix seconds), EventID (low 16 bits = id, high bits = severity/customer/facility
//!   qualifiers), EventType (u16), NumStrings (u16), EventCategory (u16), ReservedFlags (u16),
//!   ClosingRecordNumber, StringOffset, UserSidLength, UserSidOffset, DataLength, DataOffset
//!   (0x38 bytes), then SourceName and Computername as NUL-terminated UTF-16LE, the SID, the
//!   insertion strings (NUL-terminated UTF-16LE), the data, padding, and Length again.
//! * The EOF record (`ELF_EOF_RECORD`, 0x28 bytes): RecordSizeBeginning 0x28, 0x11111111,
//!   0x22222222, 0x33333333, 0x44444444, BeginRecord, EndRecord, CurrentRecordNumber,
//!   OldestRecordNumber, RecordSizeEnd 0x28.
//!
//! The file is a circular buffer: once full, new records overwrite the oldest ones and a
//! record may run past the end of the file and continue right after the header. The walk
//! starts at the oldest record (BeginRecord of the EOF record, else the header's StartOffset),
//! follows Length fields around the ring and stops at the EOF record. Damage makes it resync
//! on the next `LfLe` signature that starts a valid record. When the header is unusable (a
//! truncated copy, zeroed header), every 4-aligned `LfLe` signature in the file is tried
//! instead ("scan mode").

use std::path::PathBuf;

use crate::{Event, EventLog, Kind};

/// Size of the file header and of the smallest possible record.
pub const HEADER_SIZE: usize = 0x30;
/// Fixed part of an EVENTLOGRECORD (before SourceName).
pub const RECORD_FIXED_SIZE: usize = 0x38;
/// Size of the EOF record.
pub const EOF_RECORD_SIZE: usize = 0x28;
/// Largest record accepted (ReportEvent limits data to ~61 KB and strings to ~32 K chars).
pub const MAX_RECORD_SIZE: usize = 0x40000;
pub const SIGNATURE: &[u8; 4] = b"LfLe";
pub const EOF_SIGNATURE: [u32; 4] = [0x1111_1111, 0x2222_2222, 0x3333_3333, 0x4444_4444];

pub const FLAG_DIRTY: u32 = 1;
pub const FLAG_WRAP: u32 = 2;
pub const FLAG_LOGFULL_WRITTEN: u32 = 4;
pub const FLAG_ARCHIVE_SET: u32 = 8;

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    let s = b.get(o..o.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    let s = b.get(o..o.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The file header's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub start_offset: u32,
    pub end_offset: u32,
    pub current_record_number: u32,
    pub oldest_record_number: u32,
    pub max_size: u32,
    pub flags: u32,
}

/// Reads the header if it is one (size fields 0x30 and the signature).
pub fn parse_header(b: &[u8]) -> Option<Header> {
    if u32_at(b, 0)? as usize != HEADER_SIZE || b.get(4..8)? != SIGNATURE {
        return None;
    }
    if u32_at(b, 0x2c)? as usize != HEADER_SIZE {
        return None;
    }
    Some(Header {
        start_offset: u32_at(b, 0x10)?,
        end_offset: u32_at(b, 0x14)?,
        current_record_number: u32_at(b, 0x18)?,
        oldest_record_number: u32_at(b, 0x1c)?,
        max_size: u32_at(b, 0x20)?,
        flags: u32_at(b, 0x24)?,
    })
}

/// The EOF record's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EofRecord {
    /// Where it is in the file.
    pub offset: usize,
    pub begin_record: u32,
    pub end_record: u32,
    pub current_record_number: u32,
    pub oldest_record_number: u32,
}

/// Finds the EOF record (not split by the wrap-around) with consistent size fields.
pub fn find_eof_record(b: &[u8]) -> Option<EofRecord> {
    let mut sig = [0u8; 16];
    for (i, v) in EOF_SIGNATURE.iter().enumerate() {
        sig[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    let finder = memchr::memmem::Finder::new(&sig);
    for hit in finder.find_iter(b) {
        let Some(o) = hit.checked_sub(4) else {
            continue;
        };
        if u32_at(b, o) != Some(EOF_RECORD_SIZE as u32)
            || u32_at(b, o + 0x24) != Some(EOF_RECORD_SIZE as u32)
        {
            continue;
        }
        return Some(EofRecord {
            offset: o,
            begin_record: u32_at(b, o + 0x14)?,
            end_record: u32_at(b, o + 0x18)?,
            current_record_number: u32_at(b, o + 0x1c)?,
            oldest_record_number: u32_at(b, o + 0x20)?,
        });
    }
    None
}

/// Reads a NUL-terminated UTF-16LE string at `o`, not reading at or past `end`.
/// Returns the string and the offset after its terminator, or `Err(text)` when unterminated.
fn utf16z(b: &[u8], o: usize, end: usize) -> Result<(String, usize), String> {
    let end = end.min(b.len());
    let mut units = Vec::new();
    let mut p = o;
    while p + 2 <= end {
        let u = u16::from_le_bytes([b[p], b[p + 1]]);
        p += 2;
        if u == 0 {
            return Ok((String::from_utf16_lossy(&units), p));
        }
        units.push(u);
    }
    Err(String::from_utf16_lossy(&units))
}

fn level_of(event_type: u16) -> u8 {
    match event_type {
        0x0001 => 2,          // EVENTLOG_ERROR_TYPE
        0x0002 => 3,          // EVENTLOG_WARNING_TYPE
        0x0008 | 0x0010 => 0, // audit success / failure: EVTX logs these at level 0
        _ => 4,               // 0 (SUCCESS), 4 (INFORMATION) and anything else
    }
}

/// Why a candidate record was rejected.
fn check_record_frame(r: &[u8], len: usize) -> Result<(), String> {
    if len == 0 || len == 0xFFFF_FFFF {
        return Err(format!("record length {len:#x}"));
    }
    if len < RECORD_FIXED_SIZE + 4 {
        return Err(format!(
            "record length {len:#x} below the minimum {:#x}",
            RECORD_FIXED_SIZE + 4
        ));
    }
    if len > MAX_RECORD_SIZE {
        return Err(format!(
            "record length {len:#x} above the {MAX_RECORD_SIZE:#x} cap"
        ));
    }
    if !len.is_multiple_of(4) {
        return Err(format!("record length {len:#x} not a multiple of 4"));
    }
    if r.len() < len {
        return Err(format!(
            "record length {len:#x} runs past the end of the data ({:#x} bytes left)",
            r.len()
        ));
    }
    if &r[4..8] != SIGNATURE {
        return Err("no LfLe signature".into());
    }
    if u32_at(r, len - 4) != Some(len as u32) {
        return Err(format!(
            "trailing length {:#x} differs from leading length {len:#x}",
            u32_at(r, len - 4).unwrap_or(0)
        ));
    }
    Ok(())
}

/// Parses one framed record (`r` holds exactly `Length` bytes, already checked by
/// [`check_record_frame`]). Damage inside a record that still has its identity (source,
/// id, time) is reported in `notes` and the record kept.
fn parse_record(r: &[u8], notes: &mut Vec<String>) -> Result<Event, String> {
    let len = r.len();
    let body_end = len - 4;
    let f = |o| u32_at(r, o).ok_or_else(|| "short record".to_string());
    let record_number = f(8)?;
    let time_generated = f(0x0c)?;
    let raw_id = f(0x14)?;
    let event_type = u16_at(r, 0x18).unwrap_or(0);
    let num_strings = u16_at(r, 0x1a).unwrap_or(0) as usize;
    let string_offset = f(0x24)? as usize;
    let data_length = f(0x30)? as usize;
    let data_offset = f(0x34)? as usize;

    let (source, after_source) = utf16z(r, RECORD_FIXED_SIZE, body_end)
        .map_err(|_| "SourceName has no NUL terminator inside the record".to_string())?;
    let (computer, _) = utf16z(r, after_source, body_end)
        .map_err(|_| "Computername has no NUL terminator inside the record".to_string())?;

    let mut strings = Vec::new();
    if num_strings > 0 {
        if string_offset < RECORD_FIXED_SIZE || string_offset >= body_end {
            notes.push(format!(
                "StringOffset {string_offset:#x} outside the record; {num_strings} strings lost"
            ));
        } else {
            // Strings end where the data starts when the data follows them.
            let limit = if data_length > 0 && data_offset > string_offset && data_offset <= body_end
            {
                data_offset
            } else {
                body_end
            };
            let mut p = string_offset;
            for i in 0..num_strings {
                match utf16z(r, p, limit) {
                    Ok((s, next)) => {
                        strings.push(s);
                        p = next;
                    }
                    Err(partial) => {
                        notes.push(format!(
                            "insertion string {} of {num_strings} has no NUL terminator (kept truncated); {} strings lost",
                            i + 1,
                            num_strings - i - 1
                        ));
                        strings.push(partial);
                        break;
                    }
                }
            }
        }
    }

    let mut data = Vec::new();
    if data_length > 0 {
        match data_offset.checked_add(data_length) {
            Some(end) if data_offset >= RECORD_FIXED_SIZE && end <= body_end => {
                data = r[data_offset..end].to_vec();
            }
            _ => notes.push(format!(
                "data ({data_length:#x} bytes at {data_offset:#x}) outside the record; dropped"
            )),
        }
    }

    Ok(Event {
        source,
        event_id: raw_id & 0xFFFF,
        qualifiers: Some((raw_id >> 16) as u16),
        level: Some(level_of(event_type)),
        time: i64::from(time_generated),
        time_nanos: 0,
        record_id: u64::from(record_number),
        computer: Some(computer).filter(|c| !c.is_empty()),
        channel: None,
        strings,
        named: Vec::new(),
        data,
        message: None,
        local_time: false,
    })
}

/// The circular region of the file that records live in: `[HEADER_SIZE, end)`.
struct Ring<'a> {
    b: &'a [u8],
    end: usize,
}

impl Ring<'_> {
    fn len(&self) -> usize {
        self.end - HEADER_SIZE
    }
    fn advance(&self, pos: usize, n: usize) -> usize {
        let p = pos + n % self.len();
        if p >= self.end {
            p - self.len()
        } else {
            p
        }
    }
    /// Distance going forward (around the ring) from `a` to `b`.
    fn dist(&self, a: usize, b: usize) -> usize {
        if b >= a {
            b - a
        } else {
            self.end - a + (b - HEADER_SIZE)
        }
    }
    /// `n` bytes from `pos`, continuing after the header when they run past the end.
    fn read(&self, pos: usize, n: usize) -> std::borrow::Cow<'_, [u8]> {
        let n = n.min(self.len());
        if pos + n <= self.end {
            std::borrow::Cow::Borrowed(&self.b[pos..pos + n])
        } else {
            let mut v = Vec::with_capacity(n);
            v.extend_from_slice(&self.b[pos..self.end]);
            let rest = n - (self.end - pos);
            v.extend_from_slice(&self.b[HEADER_SIZE..HEADER_SIZE + rest]);
            std::borrow::Cow::Owned(v)
        }
    }
}

/// Whether a well-framed EVENTLOGRECORD starts at a 4-aligned offset in the first 64 KiB
/// (recognises legacy logs whose header is damaged).
pub fn has_record_near_start(b: &[u8]) -> bool {
    let head = &b[..b.len().min(0x10000)];
    memchr::memmem::find_iter(head, SIGNATURE).any(|sig| {
        sig >= 4 && (sig - 4).is_multiple_of(4) && {
            let cand = sig - 4;
            let len = u32_at(b, cand).unwrap_or(0) as usize;
            check_record_frame(&b[cand..], len).is_ok()
        }
    })
}

/// Parses a legacy `.evt` file. Never fails: damage is reported in [`EventLog::skipped`].
pub fn parse(file: PathBuf, b: &[u8]) -> EventLog {
    let mut log = EventLog::new(file, Kind::Evt);
    let header = parse_header(b);
    let eof = find_eof_record(b);
    if header.is_none() {
        log.problem(
            0,
            "file header damaged (no 0x30-byte LfLe header); records recovered by signature scan",
        );
        scan(&mut log, b, 0);
        return log;
    }
    let header = header.unwrap_or(Header {
        start_offset: 0,
        end_offset: 0,
        current_record_number: 0,
        oldest_record_number: 0,
        max_size: 0,
        flags: 0,
    });
    // The EOF record is rewritten on every write; the header only on a clean close, so a
    // dirty log's header can be stale.
    let (begin, end, current, oldest) = match eof {
        Some(e) => (
            e.begin_record as usize,
            e.offset,
            e.current_record_number,
            e.oldest_record_number,
        ),
        None => (
            header.start_offset as usize,
            header.end_offset as usize,
            header.current_record_number,
            header.oldest_record_number,
        ),
    };
    if current >= oldest {
        log.records_declared = Some(u64::from(current - oldest));
    }
    let ring_end = b.len() - b.len() % 4;
    let in_ring = |o: usize| (HEADER_SIZE..ring_end).contains(&o);
    if eof.is_none() {
        log.problem(
            header.end_offset as u64,
            "no EOF record found; using the header's offsets",
        );
    }
    if (header.max_size as usize) > b.len() && header.flags & FLAG_WRAP != 0 {
        log.problem(
            b.len() as u64,
            format!(
                "file is {:#x} bytes but the header says the log wraps at MaxSize {:#x}: truncated copy; records recovered by signature scan",
                b.len(),
                header.max_size
            ),
        );
        scan(&mut log, b, HEADER_SIZE);
        return log;
    }
    if !in_ring(begin) || !in_ring(end) {
        log.problem(
            0,
            format!(
                "oldest record offset {begin:#x} / end offset {end:#x} outside the file ({:#x} bytes); records recovered by signature scan",
                b.len()
            ),
        );
        scan(&mut log, b, HEADER_SIZE);
        return log;
    }
    walk(&mut log, b, ring_end, begin, end);
    if let Some(e) = eof {
        let eof_end = e.offset + EOF_RECORD_SIZE;
        if eof_end <= ring_end {
            log.recovered = recover_slack(b, ring_end, eof_end, begin, &log.events);
        }
    }
    log
}

/// Follows the records around the ring from `begin` to `end`.
fn walk(log: &mut EventLog, b: &[u8], ring_end: usize, begin: usize, end: usize) {
    let ring = Ring { b, end: ring_end };
    let mut pos = begin;
    let mut traveled = 0usize;
    let total = ring.dist(begin, end);
    let mut notes = Vec::new();
    // Each iteration moves `pos` forward by at least 4 bytes, never past `end`.
    while pos != end && traveled < total {
        let left = ring.dist(pos, end);
        let head = ring.read(pos, 8.min(left));
        let len = u32_at(&head, 0).unwrap_or(0) as usize;
        let rec = ring.read(pos, len.min(left).min(MAX_RECORD_SIZE));
        let framed = check_record_frame(&rec, len).and_then(|()| {
            notes.clear();
            parse_record(&rec[..len], &mut notes)
        });
        match framed {
            Ok(ev) => {
                for n in notes.drain(..) {
                    log.problem(pos as u64, format!("record {}: {n}", ev.record_id));
                }
                log.events.push(ev);
                pos = ring.advance(pos, len);
                traveled += len;
            }
            Err(why) => {
                // Resync on the next valid record before `end`.
                let (next, skipped) = resync(&ring, pos, end);
                log.problem(
                    pos as u64,
                    format!("skipped {skipped:#x} bytes: bad record at {pos:#x}: {why}"),
                );
                traveled += skipped;
                pos = next;
            }
        }
    }
}

/// Finds the next 4-aligned offset after `pos` (going around the ring, not past `end`) that
/// starts a well-framed record. Returns it (or `end`) and the distance skipped.
fn resync(ring: &Ring<'_>, pos: usize, end: usize) -> (usize, usize) {
    let left = ring.dist(pos, end);
    let mut d = 4;
    while d < left {
        let cand = ring.advance(pos, d);
        let cleft = left - d;
        if cleft >= RECORD_FIXED_SIZE + 4 {
            let head = ring.read(cand, 8);
            if head.get(4..8) == Some(&SIGNATURE[..]) {
                let len = u32_at(&head, 0).unwrap_or(0) as usize;
                let rec = ring.read(cand, len.min(cleft).min(MAX_RECORD_SIZE));
                if check_record_frame(&rec, len).is_ok() {
                    return (cand, d);
                }
            }
        }
        d += 4;
    }
    (end, left)
}

/// Scan mode: every 4-aligned `LfLe` signature at or after `from` that frames a record.
fn scan(log: &mut EventLog, b: &[u8], from: usize) {
    let mut events = Vec::new();
    let mut problems = Vec::new();
    scan_range(b, from.max(4), b.len(), &mut events, &mut problems);
    for (o, what) in problems {
        log.problem(o as u64, what);
    }
    // File order is ring order, not time order, once a log has wrapped.
    events.sort_by_key(|e: &Event| e.record_id);
    log.events = events;
}

/// Parses the well-framed records in `b[from..to]` found by their 4-aligned signatures.
/// Rejected candidates and damage inside kept records go to `problems`.
fn scan_range(
    b: &[u8],
    from: usize,
    to: usize,
    events: &mut Vec<Event>,
    problems: &mut Vec<(usize, String)>,
) {
    let finder = memchr::memmem::Finder::new(SIGNATURE);
    let to = to.min(b.len());
    let mut p = from.max(4);
    let mut notes = Vec::new();
    while p + 4 <= to {
        let Some(hit) = finder.find(&b[p..to]) else {
            break;
        };
        let sig = p + hit;
        p = sig + 4;
        let cand = sig - 4;
        if !cand.is_multiple_of(4) || (cand == 0 && parse_header(b).is_some()) {
            continue;
        }
        let len = u32_at(b, cand).unwrap_or(0) as usize;
        let framed = check_record_frame(&b[cand..to], len).and_then(|()| {
            notes.clear();
            parse_record(&b[cand..cand + len], &mut notes)
        });
        match framed {
            Ok(ev) => {
                for n in notes.drain(..) {
                    problems.push((cand, format!("record {}: {n}", ev.record_id)));
                }
                events.push(ev);
                p = cand + len;
            }
            Err(why) => problems.push((cand, format!("skipped record at {cand:#x}: {why}"))),
        }
    }
}

/// Intact records left in the unused part of the ring (between the EOF record and the
/// oldest live record): logically deleted by the wrap-around but not yet overwritten.
/// Those whose record numbers are not live are returned, oldest first; fragments are normal
/// there and not reported.
fn recover_slack(
    b: &[u8],
    ring_end: usize,
    eof_end: usize,
    begin: usize,
    live: &[Event],
) -> Vec<Event> {
    let mut found = Vec::new();
    let mut ignored = Vec::new();
    if eof_end <= begin {
        scan_range(b, eof_end, begin, &mut found, &mut ignored);
    } else {
        scan_range(b, eof_end, ring_end, &mut found, &mut ignored);
        scan_range(b, HEADER_SIZE, begin, &mut found, &mut ignored);
    }
    let mut live_ids: Vec<u64> = live.iter().map(|e| e.record_id).collect();
    live_ids.sort_unstable();
    found.retain(|e| live_ids.binary_search(&e.record_id).is_err());
    found.sort_by_key(|e| e.record_id);
    found.dedup_by_key(|e| e.record_id);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rejects_junk() {
        assert!(parse_header(b"").is_none());
        assert!(parse_header(&[0u8; 0x30]).is_none());
    }

    #[test]
    fn utf16z_bounds() {
        let b = [b'a', 0, b'b', 0, 0, 0];
        assert_eq!(utf16z(&b, 0, 6), Ok(("ab".to_string(), 6)));
        assert!(utf16z(&b, 0, 4).is_err());
        assert!(utf16z(&b, 10, 4).is_err());
    }
}
