//! Synthetic logs built with `coroner_devdata::eventlog`: IIS 6 W3SVC events in a legacy `.evt`,
//! wrap-around, damage of every kind, and XML exports.

use std::path::PathBuf;

use coroner_devdata::eventlog::{event_xml, events_xml, evt_file, evt_file_wrapped, EvtRecord};
use coroner_eventlog::{interpret, load_bytes, sniff, Error, Event, Kind, Meaning};

const T0: u32 = 1_136_073_600; // 2006-01-01 00:00:00 UTC

fn iis6_records() -> Vec<EvtRecord> {
    let mut v = vec![
        EvtRecord::new(100, T0, "EventLog", 0x8000_1775, &[]), // 6005
        EvtRecord::new(
            101,
            T0 + 60,
            "W3SVC",
            0xC000_03F1,
            &["DefaultAppPool", "2044", "ffffffff"],
        ), // 1009
        EvtRecord::new(
            102,
            T0 + 61,
            "W3SVC",
            0xC000_03F3,
            &["DefaultAppPool", "2100"],
        ), // 1011
        EvtRecord::new(
            103,
            T0 + 62,
            "W3SVC",
            0xC000_03F2,
            &["DefaultAppPool", "2101"],
        ), // 1010
        EvtRecord::new(
            104,
            T0 + 63,
            "W3SVC",
            0xC000_03F5,
            &["DefaultAppPool", "2102"],
        ), // 1013
        EvtRecord::new(105, T0 + 64, "W3SVC", 0xC000_03EA, &["DefaultAppPool"]), // 1002
        EvtRecord::new(
            106,
            T0 + 65,
            "Application Error",
            1000,
            &[
                "w3wp.exe",
                "6.0.3790.1830",
                "oci.dll",
                "10.2.0.1",
                "0001a2b3",
            ],
        ),
    ];
    v[2].data = 0x8007_006du32.to_le_bytes().to_vec();
    v[0].event_type = 4;
    v
}

fn check_iis6(events: &[Event]) {
    assert_eq!(events.len(), 7);
    let ids: Vec<u32> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids, [6005, 1009, 1011, 1010, 1013, 1002, 1000]);
    assert_eq!(events[1].qualifiers, Some(0xC000));
    assert_eq!(events[1].time, i64::from(T0) + 60);
    assert_eq!(events[1].computer.as_deref(), Some("IIS6HOST"));
    assert_eq!(events[1].level, Some(2));
    assert_eq!(events[0].level, Some(4));
    let m: Vec<_> = events.iter().map(interpret).collect();
    assert_eq!(m[0], Some(Meaning::LogStarted { boot_time: None }));
    assert_eq!(
        m[1],
        Some(Meaning::WorkerCrashed {
            pool: "DefaultAppPool".into(),
            pid: Some(2044),
            exit_code: Some(0xFFFF_FFFF)
        })
    );
    assert_eq!(
        m[2],
        Some(Meaning::WorkerCommFailure {
            pool: "DefaultAppPool".into(),
            pid: Some(2100),
            error: Some(0x8007_006d)
        })
    );
    assert!(matches!(
        m[3],
        Some(Meaning::WorkerPingFailed {
            pid: Some(2101),
            ..
        })
    ));
    assert!(matches!(
        m[4],
        Some(Meaning::WorkerShutdownTimeout {
            pid: Some(2102),
            ..
        })
    ));
    assert_eq!(
        m[5],
        Some(Meaning::RapidFailDisabled {
            pool: "DefaultAppPool".into()
        })
    );
    match &m[6] {
        Some(Meaning::ApplicationError(a)) => {
            assert_eq!(a.app, "w3wp.exe");
            assert_eq!(a.module, "oci.dll");
            assert_eq!(a.offset, Some(0x1a2b3));
            assert_eq!(a.exception_code, None);
        }
        other => panic!("{other:?}"),
    }
}

fn load(bytes: Vec<u8>) -> coroner_eventlog::EventLog {
    load_bytes(PathBuf::from("synthetic"), bytes).unwrap()
}

#[test]
fn iis6_w3svc_events_in_a_legacy_evt() {
    let bytes = evt_file(&iis6_records());
    assert_eq!(sniff(&bytes), Some(Kind::Evt));
    let log = load(bytes);
    assert_eq!(log.skipped, vec![]);
    assert_eq!(log.records_declared, Some(7));
    check_iis6(&log.events);
}

#[test]
fn wrapped_log_with_a_record_split_across_the_end() {
    let recs = iis6_records();
    let total: usize = recs.iter().map(|r| r.encode().len()).sum::<usize>() + 0x28;
    let size = 0x30 + total + 0x40;
    // Start so that the 3rd record straddles the end of the file.
    let before: usize = recs[..2].iter().map(|r| r.encode().len()).sum();
    let start = size - before - 0x20;
    let bytes = evt_file_wrapped(&recs, size, start).unwrap();
    let log = load(bytes.clone());
    assert_eq!(log.skipped, vec![]);
    check_iis6(&log.events);
    // Every start offset, including EOF records split by the wrap.
    for start in (0x30..size).step_by(4) {
        let bytes = evt_file_wrapped(&recs, size, start).unwrap();
        let log = load(bytes);
        check_iis6(&log.events);
    }
}

#[test]
fn damaged_records_are_skipped_and_reported() {
    let recs = iis6_records();
    let clean = evt_file(&recs);
    let offs: Vec<usize> = recs
        .iter()
        .scan(0x30, |o, r| {
            let here = *o;
            *o += r.encode().len();
            Some(here)
        })
        .collect();

    // Length 0xFFFFFFFF in record 3.
    let mut b = clean.clone();
    b[offs[2]..offs[2] + 4].copy_from_slice(&[0xFF; 4]);
    let log = load(b);
    assert_eq!(log.events.len(), 6);
    assert_eq!(log.skipped_total, 1);
    assert!(
        log.skipped[0].what.contains("0xffffffff"),
        "{:?}",
        log.skipped
    );
    assert_eq!(log.skipped[0].offset, offs[2] as u64);

    // Length 0 in record 2.
    let mut b = clean.clone();
    b[offs[1]..offs[1] + 4].copy_from_slice(&[0; 4]);
    let log = load(b);
    assert_eq!(log.events.len(), 6);
    assert_eq!(log.skipped_total, 1);

    // Records 2-3 zeroed entirely.
    let mut b = clean.clone();
    b[offs[1]..offs[3]].fill(0);
    let log = load(b);
    assert_eq!(log.events.len(), 5);
    assert_eq!(log.skipped_total, 1);
    assert!(log.skipped[0].what.contains("skipped"));

    // Length past the end of the log.
    let mut b = clean.clone();
    b[offs[6]..offs[6] + 4].copy_from_slice(&0x1000u32.to_le_bytes());
    let log = load(b);
    assert_eq!(log.events.len(), 6);
    assert!(
        log.skipped[0].what.contains("past the end"),
        "{:?}",
        log.skipped
    );

    // Unterminated insertion string: the record is kept, the damage reported.
    let mut r = EvtRecord::new(1, T0, "W3SVC", 1009, &["Pool", "12", "ff"]);
    r.data = vec![1, 2, 3, 4];
    let mut enc = r.encode();
    let data_offset = u32::from_le_bytes(enc[0x34..0x38].try_into().unwrap()) as usize;
    enc[data_offset - 2] = b'X';
    let mut b = evt_file(&[r]);
    b[0x30..0x30 + enc.len()].copy_from_slice(&enc);
    let log = load(b);
    assert_eq!(log.events.len(), 1);
    assert_eq!(log.events[0].strings, ["Pool", "12", "ffX"]);
    assert!(
        log.skipped[0].what.contains("no NUL terminator"),
        "{:?}",
        log.skipped
    );

    // SourceName without terminator: the record is unusable.
    let mut b = clean.clone();
    let rec_len = recs[0].encode().len();
    b[offs[0] + 0x38..offs[0] + rec_len - 4].fill(b'A');
    let log = load(b);
    assert_eq!(log.events.len(), 6);
    assert!(
        log.skipped[0].what.contains("SourceName"),
        "{:?}",
        log.skipped
    );
}

#[test]
fn truncated_and_headerless_files_are_recovered_by_scanning() {
    let recs = iis6_records();
    let clean = evt_file(&recs);
    // Truncated in the middle of record 5: the header's end offset lies past the end.
    let cut: usize = 0x30 + recs[..4].iter().map(|r| r.encode().len()).sum::<usize>() + 20;
    let log = load(clean[..cut].to_vec());
    assert_eq!(log.events.len(), 4);
    assert!(log
        .skipped
        .iter()
        .any(|p| p.what.contains("signature scan")));
    assert!(
        log.skipped.iter().any(|p| p.what.contains("past the end")),
        "{:?}",
        log.skipped
    );

    // Zeroed header: recognised by its records, which are recovered by scanning.
    let mut b = clean.clone();
    b[..0x30].fill(0);
    assert_eq!(sniff(&b), Some(Kind::Evt));
    let log = load(b);
    assert_eq!(log.events.len(), 7);
    assert!(log.skipped[0].what.contains("header damaged"));
    // A header with a damaged size field is scanned too.
    let mut b = clean.clone();
    b[0..4].copy_from_slice(&0x1234u32.to_le_bytes());
    let log = load(b);
    assert_eq!(log.events.len(), 7);
    assert!(log.skipped[0].what.contains("header damaged"));

    // Tiny and empty inputs.
    for n in [0usize, 4, 8, 0x2f, 0x30, 0x31, 0x58] {
        let b = clean[..n.min(clean.len())].to_vec();
        match load_bytes(PathBuf::from("t"), b) {
            Ok(log) => assert!(log.events.is_empty()),
            Err(Error::NotAnEventLog { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
}

/// Deterministic mutation fuzzing: no input may panic or loop.
#[test]
fn mutated_inputs_never_panic() {
    let recs = iis6_records();
    let size = 0x800;
    let base = evt_file_wrapped(&recs, size, 0x300).unwrap();
    let xml = events_xml(&load(base.clone()).events).into_bytes();
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..3000 {
        let src = if round % 3 == 0 { &xml } else { &base };
        let mut b = src.clone();
        for _ in 0..(1 + rnd() % 8) {
            let i = (rnd() as usize) % b.len();
            b[i] = match rnd() % 4 {
                0 => 0,
                1 => 0xFF,
                _ => rnd() as u8,
            };
        }
        if rnd() % 5 == 0 {
            let n = (rnd() as usize) % b.len();
            b.truncate(n);
        }
        let _ = load_bytes(PathBuf::from("fuzz"), b);
    }
}

#[test]
fn xml_export_round_trip() {
    let mut events = load(evt_file(&iis6_records())).events;
    events[0].channel = Some("System".into());
    events[1].message = Some(
        "A process serving application pool 'DefaultAppPool' terminated unexpectedly. <&>".into(),
    );
    events[3].named = vec![
        ("AppPoolID".into(), "DefaultAppPool".into()),
        ("ProcessID".into(), "2101".into()),
    ];
    events[3].time_nanos = 123_456_700;
    let xml = events_xml(&events);
    assert_eq!(sniff(xml.as_bytes()), Some(Kind::Xml));
    let log = load(xml.into_bytes());
    assert_eq!(log.kind, Kind::Xml);
    assert_eq!(log.skipped, vec![]);
    assert_eq!(log.events, events);
    check_iis6(&log.events);

    // Without an <Events> root, with a BOM, and as UTF-16LE.
    let bare: String = events.iter().map(event_xml).collect::<Vec<_>>().join("\n");
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(bare.as_bytes());
    assert_eq!(load(bom).events, events);
    let mut u16 = vec![0xFF, 0xFE];
    u16.extend(bare.encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert_eq!(sniff(&u16), Some(Kind::Xml));
    assert_eq!(load(u16).events, events);

    // Cut off in the middle of the 5th event: four kept, the cut one reported.
    let full = events_xml(&events);
    let fifth = full.match_indices("<Event ").nth(4).unwrap().0;
    let log = load(full.as_bytes()[..fifth + 200].to_vec());
    assert_eq!(log.events.len(), 4);
    assert_eq!(log.skipped_total, 1);
    assert!(
        log.skipped[0].what.starts_with("skipped event"),
        "{:?}",
        log.skipped
    );
}

#[test]
fn wevtutil_style_export_with_rendering_info() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Events>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-WAS' Guid='{524B5D04-133C-4A62-8362-64E8EDB9CE40}' EventSourceName='WAS'/><EventID Qualifiers='32768'>5002</EventID><Version>0</Version><Level>2</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2021-03-04T05:06:07.890Z'/><EventRecordID>4711</EventRecordID><Correlation/><Execution ProcessID='0' ThreadID='0'/><Channel>System</Channel><Computer>WEB01</Computer><Security/></System><EventData><Data Name='AppPoolID'>Shop &amp; Cart</Data></EventData><RenderingInfo Culture='en-US'><Message>Application pool 'Shop &amp; Cart' is being automatically disabled due to a series of failures in the process(es) serving that application pool.</Message><Level>Error</Level></RenderingInfo></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='.NET Runtime'/><EventID Qualifiers='0'>1026</EventID><Level>2</Level><TimeCreated SystemTime='2021-03-04T05:06:01Z'/><EventRecordID>4710</EventRecordID><Channel>Application</Channel><Computer>WEB01</Computer></System><EventData><Data>Application: w3wp.exe&#xA;Framework Version: v4.0.30319&#xA;Description: The process was terminated due to an unhandled exception.&#xA;Exception Info: System.StackOverflowException&#xA;</Data></EventData></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Kernel-Power'/><EventID>41</EventID><TimeCreated SystemTime='2021-03-04T05:07:00Z'/><EventRecordID>4712</EventRecordID></System><EventData><Data Name='BugcheckCode'>0</Data><Data Name='BugcheckParameter1'>0x0</Data></EventData></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-IIS-W3SVC-WP'/><EventID>2280</EventID><TimeCreated SystemTime='2021-03-04T05:07:01Z'/><EventRecordID>4713</EventRecordID></System><UserData><EventXML xmlns='urn:x'><ModuleDll>C:\mod.dll</ModuleDll></EventXML></UserData></Event>
<Event><System><EventID>1</EventID></System></Event>
</Events>"#;
    let log = load(xml.as_bytes().to_vec());
    assert_eq!(log.events.len(), 4);
    assert_eq!(log.skipped_total, 1, "{:?}", log.skipped); // the one without a provider
    let e = &log.events[0];
    assert_eq!(e.source, "Microsoft-Windows-WAS");
    assert_eq!(
        (e.event_id, e.qualifiers, e.level),
        (5002, Some(32768), Some(2))
    );
    assert_eq!((e.time, e.time_nanos), (1_614_834_367, 890_000_000));
    assert_eq!(e.computer.as_deref(), Some("WEB01"));
    assert_eq!(e.named("appPoolId"), Some("Shop & Cart"));
    assert!(e
        .message
        .as_deref()
        .unwrap()
        .starts_with("Application pool 'Shop & Cart'"));
    assert_eq!(
        interpret(e),
        Some(Meaning::RapidFailDisabled {
            pool: "Shop & Cart".into()
        })
    );
    match interpret(&log.events[1]) {
        Some(Meaning::DotNetUnhandled { app, exception, .. }) => {
            assert_eq!(app.as_deref(), Some("w3wp.exe"));
            assert_eq!(exception.as_deref(), Some("System.StackOverflowException"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        interpret(&log.events[2]),
        Some(Meaning::KernelPowerLoss {
            bugcheck_code: Some(0)
        })
    );
    assert_eq!(
        log.events[3].named,
        vec![("ModuleDll".to_string(), r"C:\mod.dll".to_string())]
    );
    assert!(matches!(
        interpret(&log.events[3]),
        Some(Meaning::ModuleLoadFailed { .. })
    ));
}

#[test]
fn junk_is_rejected_and_does_not_stop_other_files() {
    let dir = std::env::temp_dir().join(format!("coroner-eventlog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("System.evtx");
    std::fs::write(&junk, b"MZ\x90\x00\x03\x00\x00\x00 this is a PE, not a log").unwrap();
    let good = dir.join("renamed.log");
    std::fs::write(&good, evt_file(&iis6_records())).unwrap();
    let empty = dir.join("empty.evt");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.join("missing.evt");
    let results: Vec<_> = [&junk, &good, &empty, &missing]
        .iter()
        .map(coroner_eventlog::load)
        .collect();
    assert!(matches!(&results[0], Err(Error::NotAnEventLog { why, .. }) if why.contains("4d 5a")));
    assert_eq!(results[1].as_ref().unwrap().events.len(), 7);
    assert!(matches!(&results[2], Err(Error::NotAnEventLog { why, .. }) if why == "empty file"));
    assert!(matches!(&results[3], Err(Error::Io { .. })));
    println!("{}", results[0].as_ref().unwrap_err());
    std::fs::remove_dir_all(&dir).ok();
}
