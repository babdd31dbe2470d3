//! Stage 1: the machine's time-zone offset, from EventLog 6013 or from dumps whose file name
//! (local time) and header (UTC) both carry the time; then events whose time is local (Event
//! Viewer CSV/TXT exports) are placed on UTC with it, as dump-name times are.

use super::offset_text;
use crate::evidence::Evidence;
use crate::model::{Fact, TimeZone};
use crate::time;
use coroner_eventlog::{interpret, Meaning};
use coroner_report::phrase::investigate::said::said;
use std::collections::BTreeMap;

/// A time-zone reading: bias (minutes, UTC − local), its name, and where it was read.
type Reading = (i32, Option<String>, Fact);

/// The time zone of the evidence; UTC when nothing tells.
pub(super) fn time_zone(ev: &Evidence) -> TimeZone {
    let (bias, name, source) =
        from_events(ev)
            .or_else(|| from_dump_names(ev))
            .unwrap_or((0, None, Fact::NoZone));
    TimeZone {
        bias_minutes: bias,
        name,
        utc_offset: offset_text(bias),
        source: said(source),
    }
}

/// Shifts the events that carry local time ([`coroner_eventlog::Event::local_time`]) to UTC
/// by the offset found (or none: then they stay, taken as UTC, as the time zone's source
/// says), and notes it once per file.
pub(super) fn place_local_events(
    ev: &mut Evidence,
    tz: &TimeZone,
    warnings: &mut Vec<crate::model::Said>,
) {
    for log in &mut ev.event_logs {
        let mut n = 0usize;
        for e in log.events.iter_mut().chain(log.recovered.iter_mut()) {
            if e.local_time {
                e.time += i64::from(tz.bias_minutes) * 60;
                e.local_time = false;
                n += 1;
            }
        }
        if n > 0 {
            warnings.push(said(Fact::LocalEvents {
                file: log.file.display().to_string(),
                events: n,
                kind: log.kind.to_string(),
                offset: tz.utc_offset.clone(),
                source: Box::new(tz.source.fact.clone()),
            }));
        }
    }
}

/// The latest EventLog 6013 with a plausible bias.
fn from_events(ev: &Evidence) -> Option<Reading> {
    let mut tz: Option<Reading> = None;
    let mut tz_time = i64::MIN;
    for log in &ev.event_logs {
        for e in &log.events {
            if let Some(Meaning::Uptime {
                tz_bias_minutes: Some(b),
                tz_name,
                ..
            }) = interpret(e)
            {
                if e.time >= tz_time && (-24 * 60..=24 * 60).contains(&b) {
                    tz_time = e.time;
                    tz = Some((
                        b,
                        tz_name.clone(),
                        Fact::ZoneFromEvent {
                            file: log.file.display().to_string(),
                            record: e.record_id,
                            time: time::Time(e.time),
                            bias: b,
                            name: tz_name.clone(),
                        },
                    ));
                }
            }
        }
    }
    tz
}

/// The offset most dumps agree on between their file name (local) and header (UTC).
fn from_dump_names(ev: &Evidence) -> Option<Reading> {
    let mut offsets: BTreeMap<i64, usize> = BTreeMap::new();
    for d in &ev.dumps {
        if let (Ok(a), Some(n)) = (&d.analysis, &d.name) {
            if let (Some(h), Some(l)) = (a.process.dump_time, n.local_time) {
                let off = l - h as i64;
                let rounded = (off as f64 / 900.0).round() as i64 * 900;
                if rounded.abs() <= 14 * 3600 && (off - rounded).abs() <= 120 {
                    *offsets.entry(rounded).or_default() += 1;
                }
            }
        }
    }
    let (&off, &n) = offsets.iter().max_by_key(|(_, n)| **n)?;
    Some((
        (-off / 60) as i32,
        None,
        Fact::ZoneFromDumpNames {
            dumps: n,
            offset: offset_text((-off / 60) as i32),
        },
    ))
}
