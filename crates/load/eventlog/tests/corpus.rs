//! Tests over the shared corpus of real event logs. Each test skips (with a printed reason)
//! when `/work/shared/corpus` (`../shared/corpus` from the workspace root) is absent.

use std::path::PathBuf;

use coroner_eventlog::{interpret, load, sniff, Kind, Meaning};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/corpus");
    if p.join("MANIFEST.tsv").is_file() {
        Some(p)
    } else {
        eprintln!("SKIP: corpus not found at {}", p.display());
        None
    }
}

fn u32le(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

/// Independent EVTX record count: walk each `ElfChnk` chunk from 0x200 by the record size
/// field while the record magic `2a2a0000` holds, up to the chunk's free-space offset.
fn naive_evtx_count(b: &[u8]) -> u64 {
    let mut total = 0;
    let mut o = 0x1000;
    while o + 0x10000 <= b.len() {
        let c = &b[o..o + 0x10000];
        if c.starts_with(b"ElfChnk\0") {
            let free = (u32le(c, 0x30) as usize).min(0x10000);
            let mut p = 0x200;
            while p + 24 <= free && c[p..p + 4] == [0x2a, 0x2a, 0, 0] {
                let sz = u32le(c, p + 4) as usize;
                if sz < 24 || p + sz > 0x10000 {
                    break;
                }
                total += 1;
                p += sz;
            }
        }
        o += 0x10000;
    }
    total
}

#[test]
fn system_evtx_has_1601_records() {
    let Some(c) = corpus() else { return };
    let path = c.join("python-evtx/system.evtx");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(sniff(&bytes), Some(Kind::Evtx));
    let log = load(&path).unwrap();
    assert_eq!(naive_evtx_count(&bytes), 1601);
    assert_eq!(log.events.len(), 1601);
    assert_eq!(log.records_declared, Some(1601));
    assert_eq!(log.skipped_total, 0, "{:?}", log.skipped);
    assert!(log
        .events
        .iter()
        .all(|e| e.channel.as_deref() == Some("System")));
    // Record ids are unique and time is sane (2012).
    let mut ids: Vec<u64> = log.events.iter().map(|e| e.record_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1601);
    assert!(log
        .events
        .iter()
        .all(|e| e.time > 1_300_000_000 && e.time < 1_400_000_000));
    // 6013 carries uptime and the time zone; 7031 is a service crash; 1001 a bugcheck.
    let mut uptime = 0;
    let mut crashes = 0;
    let mut bugchecks = 0;
    for e in &log.events {
        match interpret(e) {
            Some(Meaning::Uptime {
                seconds: Some(_),
                tz_bias_minutes: Some(300),
                tz_name: Some(ref n),
            }) if n == "Eastern Standard Time" => uptime += 1,
            Some(Meaning::ServiceCrashed { count: Some(_), .. }) => crashes += 1,
            Some(Meaning::BugCheck { ref dump_path, .. }) => {
                assert!(dump_path.as_deref().unwrap_or("").ends_with("MEMORY.DMP"));
                bugchecks += 1
            }
            _ => {}
        }
    }
    let count = |src: &str, id: u32| {
        log.events
            .iter()
            .filter(|e| e.source == src && e.event_id == id)
            .count()
    };
    assert_eq!(uptime, count("EventLog", 6013));
    assert!(uptime > 0);
    assert_eq!(
        crashes,
        count("Service Control Manager", 7031) + count("Service Control Manager", 7034)
    );
    assert!(bugchecks >= 1);
}

#[test]
fn application_no_crc32_has_17_records() {
    let Some(c) = corpus() else { return };
    let path = c.join("omerbenamram-evtx/Application_no_crc32.evtx");
    let log = load(&path).unwrap();
    assert_eq!(naive_evtx_count(&std::fs::read(&path).unwrap()), 17);
    assert_eq!(log.events.len(), 17);
    assert_eq!(log.skipped_total, 0);
}

#[test]
fn bad_chunk_is_skipped_and_reported() {
    let Some(c) = corpus() else { return };
    let path = c.join("omerbenamram-evtx/sample_with_a_bad_chunk_magic.evtx");
    let bytes = std::fs::read(&path).unwrap();
    let log = load(&path).unwrap();
    let naive = naive_evtx_count(&bytes) as usize;
    println!(
        "bad-chunk file: {} events (naive walk {naive}), declared {:?}, {} problems",
        log.events.len(),
        log.records_declared,
        log.skipped_total
    );
    for p in &log.skipped {
        println!("  {:#x}: {}", p.offset, p.what);
    }
    assert!(log.events.len() >= naive && naive > 0);
    assert!(log
        .skipped
        .iter()
        .any(|p| p.what.contains("chunk") && p.what.contains("magic")));
    // Chunks 6 and 10 have zeroed magic but contents: reported at their file offsets.
    assert!(log.skipped.iter().any(|p| p.offset == 0x1000 + 6 * 0x10000));
    assert!(log
        .skipped
        .iter()
        .any(|p| p.offset == 0x1000 + 10 * 0x10000));
    assert_eq!(log.skipped_total as usize, log.skipped.len());
}

#[test]
fn application_error_1000_and_wer_1001() {
    let Some(c) = corpus() else { return };
    let path = c.join("deepbluecli/many-events-application.evtx");
    let log = load(&path).unwrap();
    assert_eq!(log.events.len(), 2216);
    assert_eq!(naive_evtx_count(&std::fs::read(&path).unwrap()), 2216);
    let errors: Vec<_> = log
        .events
        .iter()
        .filter_map(|e| match interpret(e) {
            Some(Meaning::ApplicationError(a)) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1);
    let a = &errors[0];
    assert_eq!(a.app, "rundll32.exe");
    assert_eq!(a.app_version.as_deref(), Some("6.1.7600.16385"));
    assert_eq!(a.app_timestamp, Some(0x4a5b_c637));
    assert_eq!(a.module, "KERNELBASE.dll");
    assert_eq!(a.module_version.as_deref(), Some("6.1.7601.23392"));
    assert_eq!(a.exception_code, Some(0xc000_0005));
    assert_eq!(a.offset, Some(3));
    assert_eq!(a.pid, Some(0xffc));
    assert_eq!(a.start_time, Some(1_471_551_084)); // 2016-08-18 20:11:24 UTC
    assert_eq!(
        a.app_path.as_deref(),
        Some(r"C:\Windows\system32\rundll32.exe")
    );
    assert_eq!(
        a.module_path.as_deref(),
        Some(r"C:\Windows\system32\KERNELBASE.dll")
    );
    assert_eq!(
        a.report_id.as_deref(),
        Some("efc65f51-657f-11e6-8eb4-000c290d8d3a")
    );

    let wer: Vec<_> = log
        .events
        .iter()
        .filter_map(|e| match interpret(e) {
            Some(Meaning::WerReport(w)) => Some(w),
            _ => None,
        })
        .collect();
    assert_eq!(wer.len(), 44);
    let crashes: Vec<_> = wer.iter().filter(|w| w.event_name == "APPCRASH").collect();
    assert_eq!(crashes.len(), 2);
    for w in &crashes {
        assert_eq!(w.p[0], "rundll32.exe");
        assert_eq!(w.p[3], "KERNELBASE.dll");
        assert_eq!(w.p[6], "c0000005");
        assert_eq!(w.report_id.as_deref(), a.report_id.as_deref());
        assert!(w.attached_files.iter().any(|f| f.ends_with(".mdmp")));
    }
}

#[test]
fn every_corpus_evtx_loads_and_matches_the_naive_count() {
    let Some(c) = corpus() else { return };
    for rel in [
        "evtx-attack-samples/DE_WinEventLogSvc_Crash_System_7036.evtx",
        "evtx-attack-samples/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx",
        "evtx-attack-samples/tunna_iis_rdp_smb_tunneling_sysmon_3.evtx",
    ] {
        let path = c.join(rel);
        let log = load(&path).unwrap();
        let naive = naive_evtx_count(&std::fs::read(&path).unwrap());
        assert_eq!(log.events.len() as u64, naive, "{rel}");
        assert_eq!(log.skipped_total, 0, "{rel}: {:?}", log.skipped);
    }
    let log = load(c.join("evtx-attack-samples/DE_WinEventLogSvc_Crash_System_7036.evtx")).unwrap();
    assert_eq!(
        log.events
            .iter()
            .filter(|e| matches!(interpret(e), Some(Meaning::ServiceState { .. })))
            .count(),
        6
    );
    let sysmon =
        load(c.join("evtx-attack-samples/tunna_iis_rdp_smb_tunneling_sysmon_3.evtx")).unwrap();
    let w3wp = sysmon
        .events
        .iter()
        .filter(|e| {
            e.named("Image")
                .is_some_and(|i| i.to_ascii_lowercase().ends_with(r"\inetsrv\w3wp.exe"))
        })
        .count();
    assert_eq!(w3wp, 4); // 4 w3wp.exe, 2 svchost.exe, 6 System connections
    assert!(sysmon
        .events
        .iter()
        .all(|e| e.named("Image").is_some() && e.strings.len() == e.named.len()));
}

/// Independent EVT check: record numbers of the 4-aligned `LfLe` signatures whose leading
/// and trailing length fields agree (records split by the wrap-around don't count).
fn naive_evt_records(b: &[u8]) -> Vec<u32> {
    let mut n = Vec::new();
    let mut o = 0x30;
    while o + 8 <= b.len() {
        if &b[o + 4..o + 8] == b"LfLe" {
            let len = u32le(b, o) as usize;
            if (0x38..=0x40000).contains(&len)
                && o + len <= b.len()
                && u32le(b, o + len - 4) as usize == len
            {
                n.push(u32le(b, o + 8));
                o += len;
                continue;
            }
        }
        o += 4;
    }
    n
}

#[test]
fn legacy_sysevent_evt() {
    let Some(c) = corpus() else { return };
    let path = c.join("plaso/SysEvent.Evt");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(sniff(&bytes), Some(Kind::Evt));
    let log = load(&path).unwrap();
    assert_eq!(log.kind, Kind::Evt);
    assert_eq!(log.skipped_total, 0, "{:?}", log.skipped);
    let naive = naive_evt_records(&bytes);
    let mut distinct = naive.clone();
    distinct.sort_unstable();
    distinct.dedup();
    println!(
        "SysEvent.Evt: {} live events, {} recovered from slack, naive signatures {} ({} distinct), declared {:?}",
        log.events.len(),
        log.recovered.len(),
        naive.len(),
        distinct.len(),
        log.records_declared
    );
    // The log has wrapped: one live record is split across the end of the file and the
    // header, which the signature count can't see but the ring walk reads. The slack between
    // the EOF record and the oldest record holds stale copies: older records (recovered) and
    // duplicates of live ones (ignored).
    assert_eq!(log.events.len() + log.recovered.len(), distinct.len() + 1);
    assert!(log
        .recovered
        .iter()
        .all(|r| r.record_id < log.events[0].record_id));
    assert_eq!(log.records_declared, Some(log.events.len() as u64));
    // Oldest first, record numbers consecutive.
    for w in log.events.windows(2) {
        assert_eq!(w[1].record_id, w[0].record_id + 1);
    }
    assert_eq!(log.events[0].record_id, 1392);
    assert!(log
        .events
        .iter()
        .all(|e| !e.source.is_empty() && e.event_id <= 0xFFFF));
    assert!(log
        .events
        .iter()
        .all(|e| e.computer.as_deref() == Some("WKS-WINXP32BIT")));
    // 2011-2012, as the sources' own timestamps say.
    assert!(log
        .events
        .iter()
        .all(|e| e.time > 1_293_840_000 && e.time < 1_356_998_400));
    assert!(log
        .events
        .iter()
        .any(|e| e.source == "EventLog" && e.event_id == 6005));
    assert!(log
        .events
        .iter()
        .any(|e| e.source == "Service Control Manager"));
}

#[test]
fn truncated_copy_of_sysevent_evt_is_recovered_by_scanning() {
    let Some(c) = corpus() else { return };
    let bytes = std::fs::read(c.join("plaso/SysEvent.Evt")).unwrap();
    let cut = &bytes[..1_000_003];
    let log = coroner_eventlog::load_bytes(PathBuf::from("cut.evt"), cut.to_vec()).unwrap();
    let naive = naive_evt_records(cut);
    let mut distinct = naive.clone();
    distinct.sort_unstable();
    distinct.dedup();
    println!(
        "truncated SysEvent.Evt: {} events, naive {} ({} distinct)",
        log.events.len(),
        naive.len(),
        distinct.len()
    );
    assert_eq!(log.events.len(), naive.len());
    assert!(log
        .skipped
        .iter()
        .any(|p| p.what.contains("truncated copy")));
    // Record order restored, and the record cut by the end is reported.
    assert!(log
        .events
        .windows(2)
        .all(|w| w[0].record_id <= w[1].record_id));
    assert!(
        log.skipped.iter().any(|p| p.what.contains("past the end")),
        "{:?}",
        log.skipped
    );
}
