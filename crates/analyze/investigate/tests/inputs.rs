//! Real and damaged inputs: every event log and IIS log of the shared corpus loads through
//! `investigate` and is listed with its counts; bad input never stops the run.

use coroner_investigate::{investigate, Options};
use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/corpus");
    if p.join("MANIFEST.tsv").is_file() {
        Some(p)
    } else {
        eprintln!("SKIP: corpus not found at {}", p.display());
        None
    }
}

#[test]
fn corpus_logs_all_load() {
    let Some(root) = corpus() else { return };
    let manifest = std::fs::read_to_string(root.join("MANIFEST.tsv")).unwrap();
    let mut evt = Vec::new();
    let mut web = Vec::new();
    for line in manifest.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 8 {
            continue;
        }
        match f[7] {
            "evtx" | "evt" => evt.push(root.join(f[0])),
            "iislog" | "httperrlog" => web.push(root.join(f[0])),
            _ => {}
        }
    }
    assert!(!evt.is_empty() && !web.is_empty());
    let inputs: Vec<PathBuf> = evt.iter().chain(&web).cloned().collect();
    let inv = investigate(&inputs, &Options::default()).unwrap();
    assert!(inv.skipped.is_empty(), "skipped: {:?}", inv.skipped);
    for p in &evt {
        let l = inv
            .event_logs
            .iter()
            .find(|l| &l.file == p)
            .unwrap_or_else(|| panic!("{} not listed", p.display()));
        assert!(l.records > 0, "{}: no records", p.display());
    }
    for p in &web {
        let l = inv
            .web_logs
            .iter()
            .find(|l| &l.file == p)
            .unwrap_or_else(|| panic!("{} not listed", p.display()));
        assert!(l.requests > 0, "{}: no entries", p.display());
    }
    let text = coroner_report::investigate::text::render(&inv, coroner_report::phrase::Lang::En);
    for p in evt.iter().chain(&web) {
        assert!(text.contains(&p.display().to_string()));
    }
    // The HTTPERR reasons that occur are explained.
    assert!(inv.codes.iter().any(|c| c.kind == "httperr_reason"
        && c.code == "Timer_ConnectionIdle"
        && c.meaning != "no explanation known"));
}

#[test]
fn bad_input_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Binary junk named .log.
    let junk: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(d.join("u_ex060314.log"), &junk).unwrap();
    // A truncated .evt.
    let recs: Vec<_> = (0..20u32)
        .map(|i| {
            let pid = (1000 + i * 4).to_string();
            coroner_devdata::eventlog::EvtRecord::new(
                i + 1,
                1_142_331_821 + i * 30,
                "W3SVC",
                0x8000_03F1,
                &["DefaultAppPool", &pid, "c0000005"],
            )
        })
        .collect();
    let evt = coroner_devdata::eventlog::evt_file(&recs);
    std::fs::write(d.join("SysEvent.Evt"), &evt[..evt.len() * 2 / 3]).unwrap();
    // An .evtx with a broken chunk: a valid-looking header followed by garbage.
    let mut evtx = b"ElfFile\0".to_vec();
    evtx.resize(4096, 0);
    evtx.extend_from_slice(b"ElfChnk\0");
    evtx.extend(std::iter::repeat_n(0xAAu8, 65536 - 8));
    std::fs::write(d.join("System.evtx"), &evtx).unwrap();
    // A W3C log whose #Fields change mid-file.
    let w3c = "#Software: Microsoft Internet Information Services 6.0\r\n#Version: 1.0\r\n#Date: 2006-03-14 10:00:00\r\n\
#Fields: date time s-sitename cs-method cs-uri-stem sc-status\r\n\
2006-03-14 10:00:01 W3SVC1 GET /a.asp 200\r\n\
this line is broken\r\n\
#Fields: date time cs-method cs-uri-stem c-ip sc-status sc-substatus sc-win32-status\r\n\
2006-03-14 10:00:02 GET /b.asp 10.0.0.1 500 0 64\r\n";
    std::fs::write(d.join("ex060314.log"), w3c).unwrap();
    // A gzip that holds no dump, an empty file, a truncated dump.
    std::fs::write(
        d.join("notadump.dmp.gz"),
        [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3],
    )
    .unwrap();
    std::fs::write(d.join("empty.dmp"), []).unwrap();
    let dump = coroner_synth::ReferenceCase::default().build().unwrap();
    std::fs::write(d.join("truncated.dmp"), &dump[..dump.len() / 50]).unwrap();
    // A broken config.
    std::fs::write(d.join("applicationHost.config"), "<configuration><system.applicationHost><applicationPools><add name=\"X\"><failure rapidFailProtectionMaxCrashes=\"2\"").unwrap();

    let inv = investigate(&[d.to_path_buf()], &Options::default()).unwrap();
    let skipped = |name: &str| inv.skipped.iter().any(|s| s.file.ends_with(name));
    assert!(skipped("u_ex060314.log"));
    assert!(skipped("notadump.dmp.gz"));
    assert!(skipped("empty.dmp"));
    let evt = inv
        .event_logs
        .iter()
        .find(|l| l.file.ends_with("SysEvent.Evt"))
        .expect("truncated evt still read");
    assert!(evt.records > 0 && evt.records < 20);
    // The 'DefaultAppPool' crashes readable from the truncated log are counted.
    let pool = inv
        .pools
        .iter()
        .find(|p| p.name == "DefaultAppPool")
        .expect("pool");
    assert_eq!(pool.crashes.len(), evt.records);
    assert!(
        skipped("System.evtx")
            || inv
                .event_logs
                .iter()
                .any(|l| l.file.ends_with("System.evtx"))
    );
    let w = inv
        .web_logs
        .iter()
        .find(|l| l.file.ends_with("ex060314.log"))
        .expect("w3c read");
    assert_eq!(w.requests, 2);
    assert_eq!(w.layouts, 2);
    assert_eq!(w.problems, 1);
    let td = inv.dumps.iter().find(|x| x.file.ends_with("truncated.dmp"));
    // Listed either way: analysed as far as it goes, or with the reason it could not be.
    assert!(td.is_some() || skipped("truncated.dmp"));
    assert!(inv
        .configs
        .iter()
        .any(|c| c.file.ends_with("applicationHost.config")));
    // Every renderer copes.
    for f in [
        coroner_report::investigate::Format::Text,
        coroner_report::investigate::Format::Json,
        coroner_report::investigate::Format::Markdown,
        coroner_report::investigate::Format::Html,
    ] {
        assert!(
            !coroner_report::investigate::render(&inv, f, coroner_report::phrase::Lang::En)
                .is_empty()
        );
    }
}

#[test]
fn nothing_to_read() {
    let dir = tempfile::tempdir().unwrap();
    let inv = investigate(
        &[dir.path().to_path_buf(), dir.path().join("missing")],
        &Options::default(),
    )
    .unwrap();
    assert!(inv.pools.is_empty());
    assert_eq!(inv.skipped.len(), 1);
    let _ = coroner_report::investigate::text::render(&inv, coroner_report::phrase::Lang::En);
}

#[test]
fn no_paths_is_an_error() {
    assert!(matches!(
        investigate(&[], &Options::default()),
        Err(coroner_investigate::InvestigateError::NoInput)
    ));
}
