//! Every IIS / HTTPERR log of the shared corpus, checked against an independent naive count.
//! Skips (with a printed reason) when `/work/shared/corpus` is absent.

use std::collections::BTreeMap;
use std::path::PathBuf;

use coroner_weblog::{count_statuses, load, sniff, Kind};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/corpus");
    if p.join("MANIFEST.tsv").is_file() {
        Some(p)
    } else {
        eprintln!("SKIP: corpus not found at {}", p.display());
        None
    }
}

/// Naive reading: split lines, skip blanks and '#' lines (remembering the last #Fields),
/// split data lines on whitespace; a line counts when its token count matches.
struct Naive {
    records: u64,
    bad: u64,
    by_status: BTreeMap<u16, u64>,
    reasons: BTreeMap<String, u64>,
}

fn naive(text: &str) -> Naive {
    let mut fields: Vec<String> = Vec::new();
    let mut n = Naive {
        records: 0,
        bad: 0,
        by_status: BTreeMap::new(),
        reasons: BTreeMap::new(),
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        if let Some(f) = line.strip_prefix("#Fields:") {
            fields = f.split_whitespace().map(str::to_lowercase).collect();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let toks: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() || toks.len() != fields.len() {
            n.bad += 1;
            continue;
        }
        n.records += 1;
        if let Some(i) = fields.iter().position(|f| f == "sc-status") {
            *n.by_status.entry(toks[i].parse().unwrap_or(0)).or_default() += 1;
        }
        if let Some(i) = fields.iter().position(|f| f == "s-reason") {
            *n.reasons.entry(toks[i].to_string()).or_default() += 1;
        }
    }
    n
}

const W3C: &[&str] = &[
    "plaso/iis10.log",
    "plaso/iis6.log",
    "plaso/iis7_owa.log",
    "plaso/iis_without_date.log",
    "lnav/logfile_w3c.0",
    "lnav/logfile_w3c.6",
    "lnav/logfile_w3c_big.0",
    "beats/access/test.log",
    "beats/access/test-iis-7.5.log",
    "beats/w3svc/test.log",
    "evtx-attack-samples/Tunna_rdp_tunnel_IIS.log",
];
const HTTPERR: &[&str] = &["beats/error/test.log", "beats/error/ipv6_zone_id.log"];

#[test]
fn every_w3c_log_agrees_with_a_naive_count() {
    let Some(c) = corpus() else { return };
    for rel in W3C {
        let path = c.join(rel);
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(sniff(&bytes), Some(Kind::W3c), "{rel}");
        let log = load(&path).unwrap();
        let n = naive(&text);
        let mut by_status = BTreeMap::new();
        for r in &log.requests {
            *by_status.entry(r.status.unwrap_or(0)).or_default() += 1u64;
        }
        println!(
            "{rel}: {} lines, {} requests, {} problems, statuses {:?}",
            log.lines,
            log.requests.len(),
            log.problems_total,
            by_status
        );
        assert_eq!(log.kind, Kind::W3c);
        assert_eq!(log.requests.len() as u64, n.records, "{rel}");
        assert_eq!(log.problems_total, n.bad, "{rel}: {:?}", log.problems);
        assert_eq!(by_status, n.by_status, "{rel}");
        assert_eq!(log.lines, text.lines().count() as u64, "{rel}");
        let counts = count_statuses(&bytes);
        assert_eq!(counts.requests, n.records);
        assert_eq!(
            counts.by_status,
            n.by_status.into_iter().collect::<Vec<_>>()
        );
        assert!(log.requests.iter().all(|r| r.time > 946_684_800), "{rel}"); // after 2000
    }
}

#[test]
fn httperr_logs() {
    let Some(c) = corpus() else { return };
    for rel in HTTPERR {
        let path = c.join(rel);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(sniff(&bytes), Some(Kind::HttpErr), "{rel}");
        let log = load(&path).unwrap();
        let n = naive(&String::from_utf8_lossy(&bytes));
        assert_eq!(log.errors.len() as u64, n.records, "{rel}");
        assert_eq!(log.problems_total, 0, "{rel}: {:?}", log.problems);
        let mut reasons = BTreeMap::new();
        for e in &log.errors {
            *reasons.entry(e.reason.clone()).or_default() += 1u64;
            assert!(
                coroner_weblog::explain_reason(&e.reason).is_some(),
                "{}",
                e.reason
            );
        }
        assert_eq!(reasons, n.reasons);
    }
    let log = load(c.join("beats/error/test.log")).unwrap();
    let e = &log.errors[0];
    assert_eq!(e.time, 1_514_794_150); // 2018-01-01 08:09:10 UTC
    assert_eq!(e.client_ip.as_deref(), Some("172.31.77.6"));
    assert_eq!(e.client_port, Some(2094));
    assert_eq!(e.server_port, Some(80));
    assert_eq!(e.method.as_deref(), Some("GET"));
    assert_eq!(e.uri.as_deref(), Some("/qos/1kbfile.txt"));
    assert_eq!((e.status, e.site_id), (Some(503), None));
    assert_eq!(e.reason, "ConnLimit");
    assert_eq!(e.queue_name, None);
    assert_eq!(e.queue_name_logged, None);
    let reasons: Vec<&str> = log.errors.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "ConnLimit",
            "Hostname",
            "Version_N/S",
            "Timer_MinBytesPerSecond"
        ]
    );
    assert_eq!(log.software.as_deref(), Some("Microsoft HTTP API 2.0"));

    let log = load(c.join("beats/error/ipv6_zone_id.log")).unwrap();
    assert_eq!(log.errors.len(), 1);
    let e = &log.errors[0];
    assert_eq!(e.client_ip.as_deref(), Some("::1%0"));
    assert_eq!(e.server_ip.as_deref(), Some("::1%0"));
    assert_eq!(e.client_port, Some(49958));
    assert_eq!(e.reason, "Timer_ConnectionIdle");
    assert_eq!(e.stream_id, None);
    assert_eq!(e.status, None);
}

#[test]
fn fields_change_mid_file() {
    let Some(c) = corpus() else { return };
    let log = load(c.join("beats/access/test.log")).unwrap();
    assert_eq!(log.layouts, 3);
    assert_eq!(log.requests.len(), 3);
    let [a, b, d] = [&log.requests[0], &log.requests[1], &log.requests[2]];
    // Block 1: s-ip, no s-sitename.
    assert_eq!(a.server_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(a.site, None);
    assert_eq!(a.uri_query.as_deref(), Some("q=100"));
    assert_eq!(a.time_taken_ms, Some(123));
    // Block 2: s-sitename, cs-host, byte counts, no s-ip.
    assert_eq!(b.site.as_deref(), Some("W3SVC1"));
    assert_eq!(b.server_ip, None);
    assert_eq!(b.host.as_deref(), Some("example.com"));
    assert_eq!(
        (b.sc_bytes, b.cs_bytes, b.time_taken_ms),
        (Some(123), Some(456), Some(789))
    );
    // Block 3: everything.
    assert_eq!(d.computer.as_deref(), Some("MACHINE-NAME"));
    assert_eq!(d.version.as_deref(), Some("HTTP/1.1"));
    assert_eq!(d.client_ip.as_deref(), Some("81.2.69.143"));
    assert_eq!(d.time, 1_514_801_472); // 2018-01-01 10:11:12
                                       // The two Struts lines after block 3 have block 1's shape: reported, not misread.
    assert_eq!(log.problems_total, 2);
    assert_eq!(
        log.problems.iter().map(|p| p.line).collect::<Vec<_>>(),
        [16, 17]
    );
    assert!(
        log.problems[0]
            .what
            .contains("15 fields, but #Fields declares 22"),
        "{:?}",
        log.problems
    );
}

#[test]
fn no_date_field_uses_the_date_directive() {
    let Some(c) = corpus() else { return };
    let log = load(c.join("plaso/iis_without_date.log")).unwrap();
    assert!(!log.requests.is_empty());
    let r = &log.requests[0];
    assert_eq!(r.time, 1_375_142_400); // 2013-07-30 00:00:00
    assert_eq!(r.version.as_deref(), Some("HTTP/1.1"));
    assert_eq!(r.site.as_deref(), Some("SOME1234NAME"));
    assert!(log
        .requests
        .iter()
        .all(|r| (1_375_142_400..1_375_228_800).contains(&r.time)));
}

#[test]
fn crlf_log_with_a_comment_and_a_blank_line() {
    let Some(c) = corpus() else { return };
    let path = c.join("evtx-attack-samples/Tunna_rdp_tunnel_IIS.log");
    let log = load(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\r\n"));
    assert_eq!(log.problems_total, 0);
    let r = &log.requests[0];
    assert_eq!(r.uri_stem.as_deref(), Some("/erp/conn.aspx"));
    assert_eq!(r.uri_query.as_deref(), Some("proxy&port=3389&ip=127.0.0.1"));
    assert_eq!(r.time_taken_ms, Some(7)); // no '\r' left on the last field
    assert_eq!(r.user_agent, None);
    assert_eq!(r.time, 1_567_505_616); // 2019-09-03 10:13:36
}

#[test]
fn advanced_logging_and_http_server_api_variants() {
    let Some(c) = corpus() else { return };
    let log = load(c.join("lnav/logfile_w3c.3")).unwrap();
    assert!(log.local_time);
    assert_eq!(log.requests.len(), 3);
    assert_eq!(log.problems_total, 0, "{:?}", log.problems);
    let st: Vec<_> = log
        .requests
        .iter()
        .map(|r| (r.status, r.time_taken_ms))
        .collect();
    assert_eq!(
        st,
        [
            (Some(200), Some(109)),
            (Some(301), Some(0)),
            (Some(404), Some(359))
        ]
    );
    assert_eq!(log.requests[0].client_ip.as_deref(), Some("70.95.0.0"));
    assert!(log.requests[0]
        .user_agent
        .as_deref()
        .unwrap()
        .starts_with("Mozilla/5.0 (Linux;"));
    assert_eq!(log.requests[1].host.as_deref(), Some("example.hello.com"));
    // A quoted field whose content is junk: the status is readable, the substatus is not.
    assert_eq!(log.requests[2].substatus, None);

    let log = load(c.join("lnav/logfile_w3c.0")).unwrap();
    assert_eq!(log.kind, Kind::W3c); // "Microsoft HTTP Server API 2.0" with access-log fields
    assert_eq!(log.requests[0].time, 1_020_361_335); // 2002-05-02 17:42:15

    let log = load(c.join("lnav/logfile_w3c.6")).unwrap();
    assert!(log.requests[0]
        .user_agent
        .as_deref()
        .unwrap()
        .contains("bingbot"));
    assert!(!log.requests[0].user_agent.as_deref().unwrap().is_ascii());
}
