//! Evidence that does not overlap in time: event logs of 2006 beside a dump taken years later
//! get a warning row naming both spans, and saying the logs' time-zone offset may not apply.

use coroner_investigate::model::{Investigation, Level};
use coroner_investigate::{investigate, Options};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// The rows that warn of evidence apart in time.
fn apart_rows(inv: &Investigation) -> Vec<&str> {
    inv.verdict
        .iter()
        .filter(|r| r.level == Level::Warning)
        .map(|r| r.description.as_str())
        .filter(|d| d.contains("does not overlap in time"))
        .collect()
}

fn copy_into(dir: &Path, files: &[PathBuf]) {
    for f in files {
        std::fs::copy(f, dir.join(f.file_name().unwrap())).unwrap();
    }
}

#[test]
fn a_dump_years_from_the_event_logs_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let logs = root().join("examples/incident/eventlogs");
    copy_into(
        dir.path(),
        &[
            logs.join("SysEvent.Evt"),
            logs.join("Application.xml"),
            root().join("fixtures/lab/nullwrite-x86.dmp"),
        ],
    );
    let inv = investigate(&[dir.path().to_path_buf()], &Options::default()).unwrap();
    let dump_time = inv.dumps[0].time.expect("the lab dump's header has a time");
    assert!(
        dump_time.0 > 1_500_000_000,
        "a dump from after 2017: {dump_time}"
    );
    let rows = apart_rows(&inv);
    assert_eq!(rows.len(), 1, "{:#?}", inv.verdict);
    let row = rows[0];
    assert!(
        row.contains("the event logs cover 08:13–11:02 UTC on 2006-03-14"),
        "{row}"
    );
    let dump_at = dump_time.to_string();
    assert!(
        row.contains(&format!("the dump was taken {} UTC", &dump_at[..16])),
        "{row}"
    );
    assert!(
        row.contains("The time-zone offset UTC-05:00 was taken from the event logs and may not apply to the dump."),
        "{row}"
    );
}

#[test]
fn the_example_incident_overlaps() {
    let inv = investigate(&[root().join("examples/incident")], &Options::default()).unwrap();
    assert_eq!(
        inv.dumps.len(),
        12,
        "six crash dumps, a manual dump, two hang dumps and three manual dumps of the leaking pool"
    );
    assert!(!inv.web_logs.is_empty());
    assert!(apart_rows(&inv).is_empty(), "{:#?}", inv.verdict);
}

#[test]
fn a_web_log_years_from_the_event_logs_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let logs = root().join("examples/incident/eventlogs");
    copy_into(dir.path(), &[logs.join("SysEvent.Evt")]);
    let w3c = "#Software: Microsoft Internet Information Services 6.0\r\n#Version: 1.0\r\n\
               #Date: 2018-05-02 10:00:00\r\n#Fields: date time cs-method cs-uri-stem sc-status\r\n\
               2018-05-02 10:00:01 GET /a.asp 200\r\n2018-05-02 12:00:01 GET /b.asp 503\r\n";
    std::fs::write(dir.path().join("u_ex180502.log"), w3c).unwrap();
    let inv = investigate(&[dir.path().to_path_buf()], &Options::default()).unwrap();
    assert_eq!(inv.web_logs.len(), 1, "{:#?}", inv.skipped);
    let rows = apart_rows(&inv);
    assert_eq!(rows.len(), 1, "{:#?}", inv.verdict);
    assert!(
        rows[0].contains("but the web log covers 10:00–12:00 UTC on 2018-05-02"),
        "{}",
        rows[0]
    );
    assert!(
        rows[0].contains("may not apply to the web log."),
        "{}",
        rows[0]
    );
}
