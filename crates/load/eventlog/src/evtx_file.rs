//! EVTX files, read with the `evtx` crate (single-threaded) and mapped into [`Event`]s
//! through the XML it renders for each record.

use std::path::PathBuf;

use evtx::{EvtxParser, ParserSettings};

use crate::{Error, EventLog, Kind};

const FILE_HEADER_SIZE: usize = 0x1000;
const CHUNK_SIZE: usize = 0x10000;

/// Record counts that the chunk headers declare: for each chunk with an `ElfChnk\0` magic and a
/// sane id range, `last_event_record_id - first_event_record_id + 1`.
pub fn declared_records(bytes: &[u8]) -> u64 {
    let mut total = 0u64;
    let mut o = FILE_HEADER_SIZE;
    while o + 0x30 <= bytes.len() {
        let c = &bytes[o..];
        if c.starts_with(b"ElfChnk\0") {
            let rd = |at: usize| u64::from_le_bytes(c[at..at + 8].try_into().unwrap_or([0; 8]));
            let (first, last) = (rd(0x18), rd(0x20));
            if first <= last && last - first < CHUNK_SIZE as u64 {
                total += last - first + 1;
            }
        }
        o += CHUNK_SIZE;
    }
    total
}

pub(crate) fn load(file: PathBuf, bytes: Vec<u8>) -> Result<EventLog, Error> {
    let declared = declared_records(&bytes);
    let mut log = EventLog::new(file.clone(), Kind::Evtx);
    log.records_declared = Some(declared);
    // The evtx crate is well behaved, but this is input from strangers: a panic inside it
    // must not take the other files down with it.
    let run = coroner_model::guard::catch_quiet(|| read_records(&mut log, bytes));
    match run {
        Ok(Ok(())) => Ok(log),
        Ok(Err(why)) => Err(Error::Unreadable {
            path: file,
            kind: Kind::Evtx,
            why,
        }),
        Err(_) => {
            log.problem(
                0,
                "the evtx parser panicked; events read before that are kept",
            );
            Ok(log)
        }
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    let mut n = 0;
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
        n += 1;
        if n > 8 {
            break;
        }
    }
    s
}

fn read_records(log: &mut EventLog, bytes: Vec<u8>) -> Result<(), String> {
    let settings = ParserSettings::new()
        .indent(false)
        .validate_checksums(false);
    let mut parser = EvtxParser::from_buffer(bytes)
        .map_err(|e| chain(&e))?
        .with_configuration(settings);
    let mut problems = Vec::new();
    for rec in parser.records_bytes() {
        match rec {
            Ok(r) => {
                problems.clear();
                let mut evs = crate::xml::parse_events(&r.data, &mut problems);
                for (_, what) in problems.drain(..) {
                    log.problem(0, format!("record {}: {what}", r.event_record_id));
                }
                match evs.len() {
                    1 => {
                        let mut ev = evs.remove(0);
                        if ev.record_id == 0 {
                            ev.record_id = r.event_record_id;
                        }
                        log.events.push(ev);
                    }
                    0 => {} // already reported by parse_events
                    n => log.problem(
                        0,
                        format!(
                            "record {}: rendered {n} <Event> elements; skipped",
                            r.event_record_id
                        ),
                    ),
                }
            }
            Err(e) => {
                let offset = match &e {
                    evtx::err::EvtxError::FailedToParseChunk { chunk_id, .. } => chunk_id
                        .saturating_mul(CHUNK_SIZE as u64)
                        .saturating_add(FILE_HEADER_SIZE as u64),
                    evtx::err::EvtxError::FailedToReadRecordAt {
                        chunk: Some(chunk),
                        offset,
                        ..
                    } => chunk
                        .saturating_mul(CHUNK_SIZE as u64)
                        .saturating_add(FILE_HEADER_SIZE as u64 + offset),
                    _ => 0,
                };
                log.problem(offset, format!("skipped: {}", chain(&e)));
            }
        }
    }
    Ok(())
}
