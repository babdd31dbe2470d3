//! Memory-limit recycles (W3SVC 1077/1117, WAS 5077/5117) from an Event Viewer XML export:
//! each is a line of the pool's timeline ("recycle"), not a crash and not a hang.

use coroner_devdata::eventlog::events_xml;
use coroner_eventlog::Event;
use coroner_investigate::{investigate, Options};

const T: i64 = 1_300_000_000;

fn event(source: &str, id: u32, rec: u64, t: i64, strings: &[&str]) -> Event {
    Event {
        source: source.into(),
        event_id: id,
        level: Some(4),
        time: t,
        record_id: rec,
        channel: Some("System".into()),
        strings: strings.iter().map(|s| s.to_string()).collect(),
        ..Event::default()
    }
}

#[test]
fn memory_limit_recycles_are_timeline_lines_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let events = vec![
        event("Microsoft-Windows-WAS", 5117, 1, T, &["4100", "Leaky"]),
        event(
            "Microsoft-Windows-WAS",
            5077,
            2,
            T + 600,
            &["4200", "Leaky"],
        ),
        event("W3SVC", 1117, 3, T + 1200, &["4300", "Old Pool"]),
    ];
    std::fs::write(dir.path().join("System.xml"), events_xml(&events)).unwrap();
    let inv = investigate(&[dir.path().to_path_buf()], &Options::default()).unwrap();
    let recycles: Vec<(&str, &str)> = inv
        .timeline
        .iter()
        .filter(|t| t.kind == "recycle")
        .map(|t| (t.pool.as_deref().unwrap_or(""), &*t.text))
        .collect();
    assert_eq!(
        recycles,
        [
            (
                "Leaky",
                "WAS 5117: worker pid 4100 recycled: it reached its private bytes memory limit"
            ),
            (
                "Leaky",
                "WAS 5077: worker pid 4200 recycled: it reached its virtual memory limit"
            ),
            (
                "Old Pool",
                "W3SVC 1117: worker pid 4300 recycled: it reached its private bytes memory limit"
            ),
        ]
    );
    assert!(inv
        .pools
        .iter()
        .all(|p| p.crashes.is_empty() && p.hangs.is_empty()));
}
