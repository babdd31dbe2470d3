//! IIS 7+ hangs from small inputs written by devdata's writers: WAS 5010 (ping), 5015 (the
//! worker orphaned, its orphan action failed) and 5013 (shutdown time limit) in an Event
//! Viewer XML export, a ProcDump-named dump of the orphaned worker taken after the events
//! (coroner-synth `hang`), and a WAS 5009 crash of another worker. The hangs are the pool's,
//! apart from its crash; the dump is the first hang's and is not counted as a crash.

use coroner_devdata::eventlog::events_xml;
use coroner_eventlog::Event;
use coroner_investigate::{investigate, Options};

const T: i64 = 1_300_000_000; // 2011-03-13 07:06:40 UTC

fn was(id: u32, rec: u64, t: i64, strings: &[&str]) -> Event {
    Event {
        source: "Microsoft-Windows-WAS".into(),
        event_id: id,
        level: Some(3),
        time: t,
        record_id: rec,
        computer: Some("WEB07".into()),
        channel: Some("System".into()),
        strings: strings.iter().map(|s| s.to_string()).collect(),
        ..Event::default()
    }
}

#[test]
fn was_hangs_orphan_and_a_crash_of_one_pool() {
    let dir = tempfile::tempdir().unwrap();
    let events = vec![
        was(5010, 10, T, &["Orders", "4100"]),
        was(5015, 11, T + 1, &["Orders", "c:\\dbg\\cdb.exe -p 4100"]),
        was(5013, 12, T + 1800, &["Orders", "4200"]),
        was(5009, 13, T + 3600, &["Orders", "4300", "0xc0000005"]),
    ];
    std::fs::write(dir.path().join("System.xml"), events_xml(&events)).unwrap();
    let dump = coroner_synth::hang::HangCase {
        pid: 4100,
        time: (T + 120) as u32,
        pool: "Orders".into(),
        waiters: 6,
        ..Default::default()
    }
    .generate()
    .unwrap();
    std::fs::write(dir.path().join("w3wp.exe_110313_020840.dmp"), &dump.dump).unwrap();

    let inv = investigate(&[dir.path().to_path_buf()], &Options::default()).unwrap();
    let pool = inv.pools.iter().find(|p| p.name == "Orders").expect("pool");
    assert_eq!(pool.crashes.len(), 1, "only the 5009 is a crash");
    assert_eq!(pool.crashes[0].pid, Some(4300));
    assert_eq!(pool.hangs.len(), 2);
    let (h1, h2) = (&pool.hangs[0], &pool.hangs[1]);
    assert_eq!((h1.pid, h1.time.0), (Some(4100), T));
    assert!(h1.orphaned, "WAS 5015 joined the hang of its pool");
    assert_eq!(h1.how.len(), 2, "{:?}", h1.how);
    assert_eq!(
        h1.dumps.len(),
        1,
        "the orphaned worker's dump, taken after the events"
    );
    assert!(
        h1.cause.is_some(),
        "the first finding of the dump's analysis"
    );
    assert_eq!((h2.pid, h2.time.0), (Some(4200), T + 1800));
    assert_eq!(h2.how, vec!["exceeded its shutdown time limit".to_string()]);
    assert!(h2.dumps.is_empty() && !h2.orphaned);
    assert_eq!(h2.waits.timed, 0, "no web log: no request waits");

    let d = &inv.dumps[0];
    assert!(!d.counts_as_crash && d.crash.is_none());
    assert_eq!(d.hang.as_ref().map(|h| h.time.0), Some(T));
    assert!(d
        .not_a_crash
        .as_deref()
        .unwrap_or("")
        .contains("stopped answering"));
    let kinds: Vec<&str> = inv.timeline.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "hang").count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == "crash").count(), 1);
    let text = coroner_report::investigate::render(
        &inv,
        coroner_report::investigate::Format::Text,
        coroner_report::phrase::Lang::En,
    );
    assert!(text.contains("Hangs (2)"), "{text}");
    assert!(text.contains("no request of the pool logged around it"));
}

/// A hang dump of another PID, or taken over ten minutes from the event, is not the hang's.
#[test]
fn hang_dumps_match_by_pid_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let events = vec![was(5010, 10, T, &["Orders", "4100"])];
    std::fs::write(dir.path().join("System.xml"), events_xml(&events)).unwrap();
    for (pid, at, name) in [(4104, T - 30, "a.dmp"), (4100, T - 601, "b.dmp")] {
        let d = coroner_synth::hang::HangCase {
            pid,
            time: at as u32,
            pool: "Orders".into(),
            waiters: 2,
            ..Default::default()
        }
        .generate()
        .unwrap();
        std::fs::write(dir.path().join(name), &d.dump).unwrap();
    }
    let inv = investigate(&[dir.path().to_path_buf()], &Options::default()).unwrap();
    let pool = inv.pools.iter().find(|p| p.name == "Orders").unwrap();
    assert_eq!(pool.hangs.len(), 1);
    assert!(pool.hangs[0].dumps.is_empty(), "{:?}", pool.hangs[0].dumps);
    assert!(pool.hang_cause.is_none());
    assert!(inv
        .dumps
        .iter()
        .all(|d| d.hang.is_none() && !d.counts_as_crash));
    let row = inv
        .verdict
        .iter()
        .find(|r| r.description.contains("stopped answering"))
        .unwrap();
    assert!(
        row.description.contains("unknown: no hang dump"),
        "{}",
        row.description
    );
}

fn app_hang(rec: u64, t: i64, app: &str, pid_hex: &str) -> Event {
    Event {
        source: "Application Hang".into(),
        event_id: 1002,
        level: Some(2),
        channel: Some("Application".into()),
        strings: [
            app,
            "7.5.7601.17514",
            pid_hex,
            "01cbe1a3c5a8b000",
            "60",
            &format!("c:\\windows\\system32\\inetsrv\\{app}"),
            "5b3f5c1e-4d6a-11e0-9a4b-000c29e1a001",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        ..was(1002, rec, t, &[])
    }
}

/// Application Hang 1002 (the hung program, its version, PID in hex, start time, termination
/// time) is a hang of that process, never a crash: a w3wp.exe's joins the hang of its pool that
/// WAS 5010 names for the same PID; another program's is a hang of that process.
#[test]
fn application_hang_is_a_hang_of_its_process() {
    let dir = tempfile::tempdir().unwrap();
    let events = vec![
        was(5010, 10, T, &["Orders", "4100"]),
        app_hang(11, T + 30, "w3wp.exe", "1004"),
        app_hang(12, T + 900, "w3wp.exe", "1068"),
        app_hang(13, T + 1800, "notepad.exe", "200"),
    ];
    std::fs::write(dir.path().join("events.xml"), events_xml(&events)).unwrap();
    let inv = investigate(&[dir.path().to_path_buf()], &Options::default()).unwrap();
    assert!(
        inv.pools.iter().all(|p| p.crashes.is_empty()),
        "a hang is not a crash"
    );
    let orders = inv.pools.iter().find(|p| p.name == "Orders").expect("pool");
    assert_eq!(orders.hangs.len(), 1, "{:?}", orders.hangs);
    let h = &orders.hangs[0];
    assert_eq!((h.pid, h.how.len(), h.evidence.len()), (Some(4100), 2, 2));
    let w3wp = inv
        .pools
        .iter()
        .find(|p| p.name == "w3wp.exe")
        .expect("w3wp.exe");
    assert_eq!((w3wp.kind, w3wp.hangs.len()), ("process", 1));
    assert_eq!(w3wp.hangs[0].pid, Some(0x1068));
    let notepad = inv
        .pools
        .iter()
        .find(|p| p.name == "notepad.exe")
        .expect("notepad.exe");
    assert_eq!(notepad.hangs[0].pid, Some(0x200));
    assert!(notepad.hangs[0].how[0].contains("stopped responding"));
    assert!(
        inv.verdict.iter().any(|r| r
            .description
            .starts_with("Process 'notepad.exe' stopped answering")),
        "a process's hang is worded as the process's"
    );
    assert!(inv
        .timeline
        .iter()
        .any(|e| e.kind == "hang" && e.text.starts_with("notepad.exe hang: notepad.exe pid 512")));
}
