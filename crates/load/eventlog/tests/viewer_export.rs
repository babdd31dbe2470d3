//! Event Viewer CSV/TXT exports (English and Korean; UTF-8 BOM, UTF-16LE, CP949) of the
//! example incident's events parse to the same events as its `.evt` and XML: source, id,
//! level, time (local, shifted by the writer's offset), and what `interpret` reads (pool, PID,
//! exit code, faulting module).

use coroner_devdata::viewer::{export, Encoding, Form, Lang};
use coroner_eventlog::{interpret, load, load_bytes, sniff, Event, Kind, Meaning};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn example_events() -> Vec<Event> {
    let logs = root().join("examples/incident/eventlogs");
    let mut v = load(logs.join("SysEvent.Evt")).unwrap().events;
    v.extend(load(logs.join("Application.xml")).unwrap().events);
    v.sort_by_key(|e| e.time);
    v
}

/// What a crash investigation reads from a meaning, without what an export cannot carry (the
/// binary data field: W3SVC 1011's error number, 6005's boot time; 6013's time zone).
fn gist(m: Option<Meaning>) -> String {
    match m {
        Some(Meaning::WorkerCommFailure { pool, pid, .. }) => format!("comm {pool} {pid:?}"),
        Some(Meaning::LogStarted { .. }) => "log started".into(),
        Some(Meaning::Uptime { seconds, .. }) => format!("uptime {seconds:?}"),
        Some(Meaning::ApplicationError(a)) => {
            format!("apperr {} {} {:?} {:?}", a.app, a.module, a.offset, a.pid)
        }
        other => format!("{other:?}"),
    }
}

const BIAS: i32 = -540; // Korea Standard Time, UTC+9

#[test]
fn every_export_kind_reads_as_the_original_events() {
    let orig = example_events();
    assert!(orig.len() > 10, "the example incident has events");
    let mut kinds = 0;
    for lang in [Lang::English, Lang::Korean] {
        for form in [Form::Csv, Form::Txt] {
            for enc in [Encoding::Utf8Bom, Encoding::Utf16LeBom, Encoding::Cp949] {
                let bytes = export(&orig, lang, form, enc, BIAS);
                let what = format!("{lang:?} {form:?} {enc:?}");
                assert_eq!(sniff(&bytes), Some(Kind::ViewerExport), "{what}");
                let log = load_bytes(PathBuf::from("export"), bytes).unwrap();
                assert_eq!(log.skipped_total, 0, "{what}: {:?}", log.skipped);
                assert_eq!(log.events.len(), orig.len(), "{what}");
                for (a, b) in orig.iter().zip(&log.events) {
                    assert_eq!(
                        (&a.source, a.event_id, a.level),
                        (&b.source, b.event_id, b.level),
                        "{what}"
                    );
                    assert_eq!(b.time, a.time - i64::from(BIAS) * 60, "{what}: local time");
                    assert!(b.local_time, "{what}");
                    assert_eq!(
                        gist(interpret(a)),
                        gist(interpret(b)),
                        "{what}: {:?}",
                        b.message
                    );
                }
                kinds += 1;
            }
        }
    }
    assert_eq!(kinds, 12);
}

#[test]
fn pools_and_pids_come_back_from_korean_messages() {
    let orig = example_events();
    let bytes = export(&orig, Lang::Korean, Form::Csv, Encoding::Cp949, BIAS);
    let log = load_bytes(PathBuf::from("ko.csv"), bytes).unwrap();
    let crashed: Vec<(String, Option<u32>)> = log
        .events
        .iter()
        .filter_map(|e| match interpret(e) {
            Some(Meaning::WorkerCrashed { pool, pid, .. }) => Some((pool, pid)),
            _ => None,
        })
        .collect();
    assert!(crashed.len() >= 5, "{crashed:?}");
    assert!(crashed
        .iter()
        .all(|(p, pid)| !p.is_empty() && pid.is_some()));
}

#[test]
fn malformed_exports_are_counted_or_refused() {
    let head = "Level,Date and Time,Source,Event ID,Task Category\r\n";
    let good = "Error,5/3/2018 10:15:02 AM,W3SVC,1009,None,\"A process serving application pool 'P' terminated unexpectedly. The process id was '7'. The process exit code was '0xff'.\"\r\n";
    let cases: &[(&str, usize, u64)] = &[
        ("Error,5/3/2018 10:15:02 AM,W3SVC\r\n", 0, 1), // truncated row
        ("Error,13/13/2018 10:15:02 AM,W3SVC,1009,None,x\r\n", 0, 1), // bad date
        ("Error,5/3/2018 10:15:02 AM,W3SVC,ten,None,x\r\n", 0, 1), // bad id
        (
            "Error,5/3/2018 10:15:02 AM,W3SVC,1009,None,\"unterminated",
            1,
            0,
        ),
    ];
    for (row, events, skipped) in cases {
        let text = format!("{head}{good}{row}");
        let log = load_bytes(PathBuf::from("bad.csv"), text.into_bytes()).unwrap();
        assert_eq!(
            (log.events.len(), log.skipped_total),
            (1 + events, *skipped),
            "{row}: {:?}",
            log.skipped
        );
        assert!(matches!(
            interpret(&log.events[0]),
            Some(Meaning::WorkerCrashed { pid: Some(7), .. })
        ));
    }
    // Binary junk under a CSV name is not an export.
    let junk: Vec<u8> = (0..4000u32).map(|i| (i * 37 % 251) as u8).collect();
    assert!(load_bytes(PathBuf::from("junk.csv"), junk).is_err());
}

#[test]
#[ignore = "prints a sample: cargo test -p coroner-eventlog --test viewer_export -- --ignored"]
fn print_sample() {
    let orig = example_events();
    let bytes = export(&orig, Lang::Korean, Form::Csv, Encoding::Utf8Bom, BIAS);
    println!("{}", String::from_utf8_lossy(&bytes));
}
