//! A Korean Event Viewer CSV export of the example incident's logs gives the same crashes and
//! rapid-fail episode as the same events in XML: with the time zone known (EventLog 6013 in
//! XML beside it) at the same times; without (the export's 6013 message names no zone) at the
//! local times, taken as UTC, and said so.

use coroner_devdata::eventlog::events_xml;
use coroner_devdata::viewer::{export, Encoding, Form, Lang};
use coroner_eventlog::{interpret, load, Event, Meaning};
use coroner_investigate::model::Investigation;
use coroner_investigate::{investigate, Options};
use std::path::{Path, PathBuf};

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

/// Per pool: (name, crashes as (time, pid), rapid-fail episodes as (disabled at, failures,
/// pids)).
type Gist = Vec<(String, Vec<(i64, Option<u32>)>, Vec<(i64, usize, Vec<u32>)>)>;

fn gist(inv: &Investigation, shift: i64) -> Gist {
    let mut g: Gist = inv
        .pools
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                p.crashes
                    .iter()
                    .map(|c| (c.time.0 + shift, c.pid))
                    .collect(),
                p.rapid_fail
                    .iter()
                    .map(|r| (r.disabled_at.0 + shift, r.failures, r.failure_pids.clone()))
                    .collect(),
            )
        })
        .collect();
    g.sort();
    g
}

fn run(dir: &Path) -> Investigation {
    investigate(&[dir.to_path_buf()], &Options::default()).unwrap()
}

const BIAS: i32 = -540; // the exporting machine: Korea, UTC+9

#[test]
fn korean_csv_export_finds_the_same_crashes_as_xml() {
    let events = example_events();
    let xml = tempfile::tempdir().unwrap();
    std::fs::write(xml.path().join("System.xml"), events_xml(&events)).unwrap();
    let from_xml = run(xml.path());
    let want = gist(&from_xml, 0);
    assert!(
        want.iter().any(|(_, c, r)| c.len() >= 5 && r.len() == 1),
        "{want:?}"
    );

    // The export alone: its 6013 gives the uptime but no zone; times stay local.
    let csv = export(&events, Lang::Korean, Form::Csv, Encoding::Cp949, BIAS);
    let alone = tempfile::tempdir().unwrap();
    std::fs::write(alone.path().join("시스템.csv"), &csv).unwrap();
    let inv = run(alone.path());
    assert!(inv.skipped.is_empty(), "{:?}", inv.skipped);
    assert_eq!(inv.time_zone.bias_minutes, 0);
    assert!(
        inv.time_zone.source.en.contains("taken as UTC"),
        "{}",
        inv.time_zone.source
    );
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.en.contains("local time and no zone")),
        "{:?}",
        inv.warnings
    );
    assert_eq!(gist(&inv, i64::from(BIAS) * 60), want);

    // Beside it, the 6013 event saved as XML: its zone places the export's times on UTC.
    let tz: Vec<Event> = events
        .iter()
        .filter(|e| {
            matches!(
                interpret(e),
                Some(Meaning::Uptime {
                    tz_bias_minutes: Some(_),
                    ..
                })
            )
        })
        .map(|e| {
            let mut e = e.clone();
            e.strings[6] = format!("{BIAS} Korea Standard Time");
            e
        })
        .collect();
    assert_eq!(tz.len(), 1);
    std::fs::write(alone.path().join("6013.xml"), events_xml(&tz)).unwrap();
    let inv = run(alone.path());
    assert_eq!(inv.time_zone.bias_minutes, BIAS);
    assert_eq!(gist(&inv, 0), want);
}

/// Windows Server 2003's Event Viewer export (`Type,Date,Time,…,Description`; Korean
/// `종류,날짜,시간,…,설명`; or with no header row), with the time zone from the XML beside
/// it, gives the crashes and rapid-fail episode the XML does, in both languages and forms.
#[test]
fn windows_2003_export_finds_the_same_crashes_as_xml() {
    use coroner_devdata::viewer::export_2003;
    let events = example_events();
    let xml = tempfile::tempdir().unwrap();
    std::fs::write(xml.path().join("System.xml"), events_xml(&events)).unwrap();
    let want = gist(&run(xml.path()), 0);
    let tz: Vec<Event> = events
        .iter()
        .filter(|e| e.source == "EventLog" && e.event_id == 6013)
        .cloned()
        .collect();
    assert!(!tz.is_empty(), "the example has an EventLog 6013");
    for (lang, form, enc, name) in [
        (
            Lang::English,
            (Form::Csv, true),
            Encoding::Utf8Bom,
            "SysEvent.csv",
        ),
        (
            Lang::English,
            (Form::Csv, false),
            Encoding::Utf8Bom,
            "bare.csv",
        ),
        (
            Lang::Korean,
            (Form::Txt, true),
            Encoding::Cp949,
            "시스템.txt",
        ),
        (
            Lang::Korean,
            (Form::Csv, true),
            Encoding::Utf16LeBom,
            "시스템.csv",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let bytes = export_2003(&events, lang, form, enc, 300);
        std::fs::write(dir.path().join(name), &bytes).unwrap();
        std::fs::write(dir.path().join("zone.xml"), events_xml(&tz)).unwrap();
        let inv = run(dir.path());
        assert!(inv.skipped.is_empty(), "{name}: {:?}", inv.skipped);
        assert_eq!(inv.time_zone.bias_minutes, 300, "{name}");
        let log = inv
            .event_logs
            .iter()
            .find(|l| l.file.ends_with(name))
            .expect("the export is read as an event log");
        assert_eq!(log.records, events.len(), "{name}: {:?}", log.problems);
        assert_eq!(gist(&inv, 0), want, "{name}");
    }
}
