//! The bundled example: generated from `ExampleParams`, investigated, and every headline fact
//! of the report checked against the generator's parameters and ground truth (not against text
//! copied from the output).

use coroner_investigate::example::{write, ExampleParams, ExampleTruth};
use coroner_investigate::{investigate, Investigation, Options};
use std::path::{Path, PathBuf};

fn run(dir: &Path) -> Investigation {
    investigate(&[dir.to_path_buf()], &Options::default())
}

fn generated() -> (
    tempfile::TempDir,
    ExampleParams,
    ExampleTruth,
    Investigation,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = ExampleParams::default();
    let t = write(dir.path(), &p).expect("example written");
    let inv = run(dir.path());
    (dir, p, t, inv)
}

fn check(p: &ExampleParams, t: &ExampleTruth, inv: &Investigation) {
    let pool = inv
        .pools
        .iter()
        .find(|x| x.name == p.pool)
        .expect("main pool");
    // Crashes with their times and PIDs.
    assert_eq!(pool.crashes.len(), p.crashes.len());
    for (c, e) in pool.crashes.iter().zip(&p.crashes) {
        assert_eq!(c.pid, Some(e.pid));
        assert_eq!(c.time.0, e.time);
        // Which dump belongs to which crash.
        let dump = c.dump.as_ref().expect("crash has its dump");
        let want = &t
            .dumps
            .iter()
            .find(|(pid, _)| *pid == e.pid)
            .expect("dump of pid")
            .1;
        assert!(dump.ends_with(want), "{} vs {want}", dump.display());
        assert!(c.evidence.iter().any(|x| x.what == "W3SVC 1009"));
        assert!(c.evidence.iter().any(|x| x.what == "W3SVC 1011"));
        assert!(c
            .evidence
            .iter()
            .any(|x| x.what == "Application Error 1000"));
        assert!(c.dump_to_event_seconds.is_some());
    }
    // The rapid-fail episode and its duration.
    assert_eq!(pool.rapid_fail.len(), 1);
    let r = &pool.rapid_fail[0];
    assert_eq!(r.detected, "event");
    assert_eq!(r.disabled_at.0, t.disabled_at);
    assert_eq!(r.restored_at.map(|x| x.0), Some(t.restored_at));
    assert_eq!(r.duration_seconds, Some(t.restored_at - t.disabled_at));
    assert_eq!(r.failures, p.crashes.len());
    assert!(r.restored_how.contains("web logs"));
    assert_eq!(pool.threshold.max_crashes, p.rapid_fail_max_crashes);
    assert_eq!(
        pool.threshold.interval_seconds,
        i64::from(p.rapid_fail_interval_minutes) * 60
    );
    assert!(pool.threshold.source.ends_with("MetaBase.xml"));
    // 503 AppOffline count.
    assert_eq!(
        pool.outage.by_reason.get("AppOffline").copied(),
        Some(t.http_503_app_offline)
    );
    assert_eq!(pool.outage.http_503, t.http_503_app_offline);
    assert_eq!(r.http_503, t.http_503_app_offline);
    // The URL in flight at each crash.
    assert_eq!(pool.in_flight.len(), t.in_flight.len());
    for (inf, (pid, m, url, ip)) in pool.in_flight.iter().zip(&t.in_flight) {
        let pid = *pid;
        assert_eq!(inf.pid, Some(pid));
        assert_eq!(inf.method.as_deref(), Some(m.as_str()));
        assert_eq!(inf.url.as_deref(), Some(url.as_str()));
        assert_eq!(inf.client_ip.as_deref(), Some(ip.as_str()));
        assert!(inf.crash_time.is_some());
    }
    assert_eq!(pool.failed_requests.win32_64, t.win32_64);
    assert_eq!(pool.failed_requests.win32_1236, t.win32_1236);
    // The unrelated crash of the other pool.
    let other = inv
        .pools
        .iter()
        .find(|x| x.name == p.other_pool)
        .expect("other pool");
    assert_eq!(other.crashes.len(), 1);
    assert_eq!(other.crashes[0].pid, Some(p.other_crash.pid));
    assert_eq!(other.crashes[0].time.0, p.other_crash.time);
    assert!(other.rapid_fail.is_empty());
    // Time zone from EventLog 6013.
    assert_eq!(inv.time_zone.bias_minutes, p.tz_bias_minutes);
    // Common root cause: the five dumps of the pool form one group.
    let g = inv
        .groups
        .iter()
        .find(|g| g.dumps.len() == p.crashes.len())
        .expect("group of the rapid-fail dumps");
    assert!(g.bucket.contains("ABCUpload4.dll"));
    assert_eq!(g.pools, vec![p.pool.clone()]);
    assert_eq!(inv.groups.len(), 2);
    // The verdict leads with the main pool.
    let first = &inv.verdict[0];
    assert!(first.description.contains(&p.pool));
    assert!(first.description.contains(&g.bucket));
    assert!(
        inv.skipped.iter().all(|s| s.file.ends_with("README.md")),
        "{:?}",
        inv.skipped
    );
}

#[test]
fn generated_example_report() {
    let (_dir, p, t, inv) = generated();
    check(&p, &t, &inv);

    // Renderers carry the same facts.
    let text = coroner_investigate::cli::render(&inv, coroner_investigate::cli::Format::Text);
    let md = coroner_investigate::cli::render(&inv, coroner_investigate::cli::Format::Markdown);
    let html = coroner_investigate::cli::render(&inv, coroner_investigate::cli::Format::Html);
    for out in [&text, &md, &html] {
        for c in &p.crashes {
            assert!(out.contains(&c.pid.to_string()));
        }
        assert!(out.contains(&p.upload_url));
        assert!(out.contains(&t.http_503_app_offline.to_string()));
        assert!(out.contains("ABCUpload4.dll"));
    }
    assert!(text.starts_with("== Incident report"));
    assert!(text.find("[Error]") < text.find("Timeline"));
    assert!(html.contains("<svg") && !html.contains("<script"));

    // JSON: the documented schema.
    let json: serde_json::Value =
        serde_json::from_str(&coroner_investigate::render::json(&inv)).expect("json");
    assert_eq!(json["schema"], "coroner.investigation.v1");
    let pools = json["pools"].as_array().expect("pools");
    let pj = pools
        .iter()
        .find(|x| x["name"] == p.pool.as_str())
        .expect("pool");
    let c0 = &pj["crashes"][0];
    assert_eq!(c0["pid"], p.crashes[0].pid);
    assert_eq!(
        c0["time"],
        coroner_investigate::time::rfc3339(p.crashes[0].time)
    );
    assert_eq!(c0["exit_code"], "0xc0000005");
    assert!(c0["dump"].is_string() && c0["bucket"].is_string());
    let rf = &pj["rapid_fail"][0];
    assert_eq!(
        rf["disabled_at"],
        coroner_investigate::time::rfc3339(t.disabled_at)
    );
    assert_eq!(
        rf["restored_at"],
        coroner_investigate::time::rfc3339(t.restored_at)
    );
    assert_eq!(rf["duration_seconds"], t.restored_at - t.disabled_at);
    assert_eq!(rf["failures"], p.crashes.len());
    assert_eq!(pj["outage"]["http_503"], t.http_503_app_offline);
    assert!(pj["outage"]["first"].is_string() && pj["outage"]["last"].is_string());
    let inf = &pj["in_flight"][0];
    for k in ["time", "pid", "method", "url", "client_ip"] {
        assert!(!inf[k].is_null(), "in_flight.{k}");
    }
    let w3c = json["web_logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "w3c")
        .expect("w3c");
    assert_eq!(w3c["requests"], t.w3c_requests);
    assert!(w3c["by_status"]["200"].as_u64().unwrap_or(0) > 0);
    let evt = json["event_logs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"].as_str().unwrap_or("").contains("EVT"))
        .expect("evt");
    assert_eq!(evt["records"], t.event_records);
    assert!(json["groups"][0]["dumps"].is_array() && json["groups"][0]["verdict"].is_string());
    assert!(json["warnings"].is_array());
}

#[test]
fn crash_without_dump_counts_and_dump_without_event_is_grouped() {
    let (dir, p, _t, _) = generated();
    // Without the first crash's dump, that crash comes from events alone; then dumps alone.
    let first = &p.crashes[0];
    let dumps = dir.path().join("dumps");
    for e in std::fs::read_dir(&dumps).unwrap().flatten() {
        if e.file_name()
            .to_string_lossy()
            .contains(&format!("PID__{}__", first.pid))
        {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    let inv = run(dir.path());
    let pool = inv.pools.iter().find(|x| x.name == p.pool).unwrap();
    assert_eq!(pool.crashes.len(), p.crashes.len());
    assert!(pool.crashes[0].dump.is_none());
    assert_eq!(pool.crashes[0].pid, Some(first.pid));
    let json: serde_json::Value =
        serde_json::from_str(&coroner_investigate::render::json(&inv)).unwrap();
    let pj = json["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == p.pool.as_str())
        .unwrap()
        .clone();
    assert!(pj["crashes"][0]["dump"].is_null());

    // Dumps alone: still crashes (from the dumps), still grouped, rapid-fail predicted.
    let inv = run(&dumps);
    assert!(inv.event_logs.is_empty());
    assert_eq!(
        inv.groups.iter().map(|g| g.dumps.len()).sum::<usize>(),
        p.crashes.len()
    );
    let pool = inv.pools.iter().find(|x| x.name == p.pool).unwrap();
    assert_eq!(pool.crashes.len(), p.crashes.len() - 1);
    // No 6013 here: the offset comes from the dump names vs headers.
    assert_eq!(inv.time_zone.bias_minutes, p.tz_bias_minutes);
}

#[test]
fn predicted_rapid_fail_without_1002() {
    let dir = tempfile::tempdir().unwrap();
    let p = ExampleParams::default();
    write(dir.path(), &p).unwrap();
    std::fs::remove_file(dir.path().join("eventlogs/SysEvent.Evt")).unwrap();
    let inv = run(dir.path());
    let pool = inv
        .pools
        .iter()
        .find(|x| x.name.eq_ignore_ascii_case(&p.pool))
        .expect("pool");
    assert_eq!(pool.rapid_fail.len(), 1);
    assert_eq!(pool.rapid_fail[0].detected, "predicted");
    assert_eq!(
        pool.rapid_fail[0].disabled_at.0,
        p.crashes.last().unwrap().time
    );
}

/// The checked-in `examples/incident/` is what the generator writes today, and its report
/// says what the parameters say.
#[test]
fn bundled_example_matches_generator() {
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/incident");
    if !bundled.is_dir() {
        eprintln!("SKIP: {} not present", bundled.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = ExampleParams::default();
    let t = write(dir.path(), &p).unwrap();
    for (_, rel) in &t.dumps {
        let a = std::fs::read(dir.path().join(rel)).unwrap();
        let b = std::fs::read(bundled.join(rel)).unwrap_or_default();
        assert_eq!(
            a, b,
            "{rel} differs: regenerate examples/incident (see its README.md)"
        );
    }
    let inv = run(&bundled);
    check(&p, &t, &inv);
}
