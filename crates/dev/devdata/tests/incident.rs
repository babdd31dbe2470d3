//! The bundled example: generated from `ExampleParams`, investigated, and every headline fact
//! of the report checked against the generator's parameters and ground truth (not against text
//! copied from the output).

use coroner_devdata::incident::{write, ExampleParams, ExampleTruth};
use coroner_investigate::{investigate, Investigation, Options};
use std::path::{Path, PathBuf};

fn run(dir: &Path) -> Investigation {
    investigate(&[dir.to_path_buf()], &Options::default()).unwrap()
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
    // The crashes' two buckets, and the hang dumps' one (they share their HANG_ bucket).
    assert_eq!(inv.groups.len(), 3);
    let hang = inv
        .groups
        .iter()
        .find(|g| g.bucket.starts_with("HANG_BLOCKED_THREADS_"))
        .expect("the hang dumps' group");
    assert_eq!(hang.dumps.len(), p.hangs.len());
    assert_eq!(hang.pools, vec![p.hang_pool.clone()]);
    // The verdict leads with the main pool.
    let first = &inv.verdict[0];
    assert!(first.description.contains(&p.pool));
    assert!(first.description.contains(&g.bucket));
    assert!(
        inv.skipped.iter().all(|s| s.file.ends_with("README.md")),
        "{:?}",
        inv.skipped
    );
    check_hangs(p, t, inv);
    check_leak(p, t, inv);
    check_exit_codes_and_times(p, inv);
    check_spaced_pools(p, t, inv);
    check_manual_dump(p, t, inv);
}

/// Exit code from the event that carries it, exception code apart, fault and termination times
/// apart.
fn check_exit_codes_and_times(p: &ExampleParams, inv: &Investigation) {
    let pool = inv.pools.iter().find(|x| x.name == p.pool).unwrap();
    for (c, e) in pool.crashes.iter().zip(&p.crashes) {
        assert_eq!(c.exit_code.as_deref(), Some("0xc0000005"));
        assert_eq!(c.exit_code_source.as_deref(), Some("W3SVC 1009"));
        assert_eq!(c.exception_code.as_deref(), Some("0xc0000005"));
        assert_eq!(c.exception_code_source.as_deref(), Some("dump"));
        // The dump header is the fault; the W3SVC 1011 two seconds later is the death.
        assert_eq!(c.fault_time.map(|x| x.0), Some(e.time));
        assert_eq!(c.terminated_at.map(|x| x.0), Some(e.time + 2));
        assert_eq!(c.terminated_source.as_deref(), Some("W3SVC 1011"));
        assert_eq!(c.dump_capture.as_deref(), Some("second-chance exception"));
    }
}

/// Pools whose names hold spaces, `+`, `#` and Korean letters: HTTPERR's `+`-encoded queue
/// names attach to them (PID, 503s, request in flight, outage window), not to pools of their own.
fn check_spaced_pools(p: &ExampleParams, t: &ExampleTruth, inv: &Investigation) {
    let spaced = inv
        .pools
        .iter()
        .find(|x| x.name == p.spaced_pool)
        .expect("pool with spaces");
    assert_eq!(spaced.crashes.len(), 1);
    let c = &spaced.crashes[0];
    assert_eq!(c.pid, Some(p.spaced_crash.pid));
    assert_eq!(c.time.0, p.spaced_crash.time);
    // W3SVC 1011 first (no exit code), the exit code from the 1009 after it.
    assert_eq!(c.exit_code, Some(format!("0x{:08x}", p.spaced_exit_code)));
    assert_eq!(c.exit_code_source.as_deref(), Some("W3SVC 1009"));
    assert_eq!(c.exception_code, None);
    assert_eq!(c.fault_time, None);
    assert_eq!(c.terminated_at.map(|x| x.0), Some(p.spaced_crash.time));
    assert!(c.dump.is_none());
    assert_eq!(spaced.outage.http_503, t.http_503_queue_full);
    assert_eq!(
        spaced.outage.by_reason.get("QueueFull").copied(),
        Some(t.http_503_queue_full)
    );
    assert!(spaced.outage.last.unwrap().0 < p.spaced_crash.time);
    assert_eq!(spaced.in_flight.len(), 1);
    let (pid, m, url, ip) = &t.spaced_in_flight;
    let inf = &spaced.in_flight[0];
    assert_eq!(inf.pid, Some(*pid));
    assert_eq!(inf.crash_time, Some(c.time));
    assert_eq!(inf.method.as_deref(), Some(m.as_str()));
    assert_eq!(inf.url.as_deref(), Some(url.as_str()));
    assert_eq!(inf.client_ip.as_deref(), Some(ip.as_str()));
    assert_eq!(spaced.sites.len(), 1);

    let korean = inv
        .pools
        .iter()
        .find(|x| x.name == p.korean_pool)
        .expect("pool named in Korean, with + and #");
    assert!(korean.crashes.is_empty());
    assert_eq!(korean.outage.http_503, t.http_503_disabled);
    assert_eq!(
        korean.outage.by_reason.get("Disabled").copied(),
        Some(t.http_503_disabled)
    );
    assert_eq!(korean.outage.first.map(|x| x.0), Some(p.korean_stop.0 + 3));
    assert!(korean.threshold.source.ends_with("MetaBase.xml"));
    // No pool named after an encoded or decoded queue name.
    for x in &inv.pools {
        assert!(!x.name.contains("+.NET+"), "{}", x.name);
        assert_ne!(x.name, "결제 환불 풀 #2");
    }
    assert_eq!(
        inv.pools.len(),
        6,
        "{:?}",
        inv.pools.iter().map(|x| &x.name).collect::<Vec<_>>()
    );
    let httperr = inv.web_logs.iter().find(|w| w.kind == "httperr").unwrap();
    for want in [&p.spaced_pool, &p.korean_pool, &p.pool, &p.other_pool] {
        assert!(httperr.pools.contains(want), "{want}: {:?}", httperr.pools);
    }
    assert!(
        !inv.warnings.iter().any(|w| w.contains("HTTPERR queue")),
        "{:?}",
        inv.warnings
    );
}

/// The DebugDiag manual dump of a live worker: analysed, listed apart, not a crash.
/// The pool that hangs: its hangs (pid, time of W3SVC 1010), the hang dump matched to each,
/// the request waits the web logs show, and no hang dump counted as a crash.
fn check_hangs(p: &ExampleParams, t: &ExampleTruth, inv: &Investigation) {
    let pool = inv
        .pools
        .iter()
        .find(|x| x.name == p.hang_pool)
        .expect("hanging pool");
    assert!(pool.crashes.is_empty(), "a hang is not a crash");
    assert_eq!(pool.hangs.len(), p.hangs.len());
    let (mut slow, mut longest, mut timers, mut abandoned) = (0, 0, 0, 0);
    for (h, e) in pool.hangs.iter().zip(&p.hangs) {
        assert_eq!((h.pid, h.time.0), (Some(e.pid), e.time));
        assert_eq!(h.how, vec!["failed to respond to a ping".to_string()]);
        assert!(h.evidence.iter().all(|x| x.what == "W3SVC 1010"));
        let want = &t
            .hang_dumps
            .iter()
            .find(|(pid, _)| *pid == e.pid)
            .unwrap()
            .1;
        assert_eq!(h.dumps.len(), 1);
        assert!(h.dumps[0].ends_with(want), "{}", h.dumps[0].display());
        slow += h.waits.slow;
        longest = longest.max(h.waits.longest_ms.unwrap_or(0));
        timers += h.waits.timers.get("Timer_AppPool").copied().unwrap_or(0);
        abandoned += h.waits.abandoned;
        assert!(h.waits.examples.iter().all(|x| x.url.is_some()));
    }
    assert_eq!(slow, t.hang_slow_requests);
    assert_eq!(longest, t.hang_longest_ms);
    assert_eq!(timers, t.hang_timer_app_pool);
    assert_eq!(abandoned, t.hang_abandoned);
    assert!(timers > 0 && abandoned > 0 && slow > 0);
    let cause = pool
        .hang_cause
        .as_ref()
        .expect("the hang dumps were analysed");
    assert_eq!(cause.dumps, p.hangs.len());
    let in_hangs = pool
        .in_flight
        .iter()
        .filter(|i| i.hang_time.is_some())
        .count();
    assert_eq!(in_hangs as u64, t.hang_abandoned);
    for (pid, rel) in &t.hang_dumps {
        let d = inv.dumps.iter().find(|d| d.file.ends_with(rel)).unwrap();
        assert_eq!(d.capture, "hang dump");
        assert!(!d.counts_as_crash && d.crash.is_none());
        let h = d.hang.as_ref().expect("matched to its hang");
        assert_eq!(h.pool, p.hang_pool);
        assert!(inv
            .pools
            .iter()
            .all(|x| x.crashes.iter().all(|c| c.pid != Some(*pid))));
    }
    let crashes: usize = inv.pools.iter().map(|x| x.crashes.len()).sum();
    assert_eq!(crashes, p.crashes.len() + 2, "the hangs add no crash");
    let row = inv
        .verdict
        .iter()
        .find(|r| {
            r.description
                .contains(&format!("'{}' stopped answering", p.hang_pool))
        })
        .expect("a verdict row for the hangs");
    assert!(row
        .description
        .contains(&format!("{} times", p.hangs.len())));
}

/// The pool that leaks: its configured limit, the recycles of W3SVC 1117, the series of
/// manual dumps of one worker with the leak's rate, and the prediction of the next recycle
/// against the recycle that followed.
fn check_leak(p: &ExampleParams, t: &ExampleTruth, inv: &Investigation) {
    let pool = inv
        .pools
        .iter()
        .find(|x| x.name == p.leak_pool)
        .expect("leaking pool");
    let m = &pool.memory;
    assert!(pool.crashes.is_empty() && pool.hangs.is_empty());
    assert_eq!(m.private_limit_kb, Some(p.leak_limit_kb));
    assert_eq!(m.virtual_limit_kb, None);
    assert_eq!(m.limits_from.as_deref(), Some("MetaBase.xml"));
    let got: Vec<(Option<u32>, i64, &str)> = m
        .recycles
        .iter()
        .map(|r| (r.pid, r.time.0, r.limit))
        .collect();
    let want: Vec<(Option<u32>, i64, &str)> = p
        .leak_recycles
        .iter()
        .map(|r| (Some(r.pid), r.time, "private"))
        .collect();
    assert_eq!(got, want);
    assert!(m
        .recycles
        .iter()
        .all(|r| r.limit_kb == Some(p.leak_limit_kb)));
    assert_eq!(m.series.len(), p.leak_dumps.len());
    for ((x, d), name) in m.series.iter().zip(&p.leak_dumps).zip(&t.leak_dumps) {
        assert_eq!((x.pid, x.time.0), (d.pid, d.time));
        assert!(x.file.ends_with(name));
        assert_eq!(x.private_from, Some("memory_info_list"));
        // Private bytes: the leaking heap plus the few MB of the rest of the process.
        let private = x.private_bytes.unwrap();
        assert!(
            private >= d.heap_commit && private - d.heap_commit < 8 << 20,
            "{private}"
        );
    }
    let g = m.growth.as_ref().expect("growth over the series");
    let per_minute = coroner_devdata::leakpool::LEAK_PER_MINUTE;
    assert!(
        g.bytes_per_minute.abs_diff(per_minute) < per_minute / 100,
        "{g:?}"
    );
    // Predicted: the limit at that rate; the worker was in fact recycled within a minute of it.
    let last = m.series.last().unwrap().time.0;
    let recycled = p.leak_recycles.last().unwrap().time;
    let predicted = last + g.seconds_to_limit.expect("a limit is configured");
    assert!(
        (predicted - recycled).abs() < 60,
        "{predicted} vs {recycled}"
    );
    assert_eq!(m.series.last().unwrap().finding, Some("memory_growth"));
    let row = inv
        .verdict
        .iter()
        .find(|r| {
            r.description
                .contains(&format!("'{}' was recycled", p.leak_pool))
        })
        .expect("a verdict row for the recycles");
    assert!(
        row.description.contains("1,228,800 KB"),
        "{}",
        row.description
    );
    assert!(row.recommendation.contains("LeakTrack"));
    assert!(inv
        .timeline
        .iter()
        .any(|e| e.kind == "recycle" && e.text.contains("W3SVC 1117")));
}

fn check_manual_dump(p: &ExampleParams, t: &ExampleTruth, inv: &Investigation) {
    let d = inv
        .dumps
        .iter()
        .find(|d| d.file.ends_with(&t.manual_dump))
        .expect("manual dump listed");
    assert!(d.error.is_none());
    assert_eq!(d.pid, Some(p.manual_dump.pid));
    assert_eq!(d.capture, "manual dump");
    assert!(d.capture_from.contains("Manual Dump"));
    assert!(!d.counts_as_crash);
    assert!(d.crash.is_none());
    // The System log ends with the DebugDiag service stopping, 630 s after the dump.
    let end = coroner_investigate::time::hms(p.manual_dump.time + 630);
    let note = d.not_a_crash.as_deref().expect("why it is not a crash");
    assert!(
        note.contains("no termination in the logs, which cover") && note.contains(&end[..5]),
        "{note}"
    );
    for x in &inv.pools {
        assert!(x.crashes.iter().all(|c| c.pid != Some(p.manual_dump.pid)));
        assert!(x
            .rapid_fail
            .iter()
            .all(|r| !r.failure_pids.contains(&p.manual_dump.pid)));
    }
    assert!(inv
        .timeline
        .iter()
        .all(|e| e.kind != "crash" || !e.text.contains(&format!("pid {}", p.manual_dump.pid))));
    assert!(inv
        .timeline
        .iter()
        .any(|e| e.kind == "dump" && e.time.0 == p.manual_dump.time));
    assert!(inv
        .verdict
        .iter()
        .any(|r| r.description.contains("not counted as") && r.description.contains("crash")));
}

#[test]
fn generated_example_report() {
    let (_dir, p, t, inv) = generated();
    check(&p, &t, &inv);

    // Renderers carry the same facts.
    let text = coroner_report::investigate::render(
        &inv,
        coroner_report::investigate::Format::Text,
        coroner_report::phrase::Lang::En,
    );
    let md = coroner_report::investigate::render(
        &inv,
        coroner_report::investigate::Format::Markdown,
        coroner_report::phrase::Lang::En,
    );
    let html = coroner_report::investigate::render(
        &inv,
        coroner_report::investigate::Format::Html,
        coroner_report::phrase::Lang::En,
    );
    for out in [&text, &md, &html] {
        for c in &p.crashes {
            assert!(out.contains(&c.pid.to_string()));
        }
        assert!(out.contains(&p.upload_url));
        assert!(out.contains(&t.http_503_app_offline.to_string()));
        assert!(out.contains("ABCUpload4.dll"));
    }
    for out in [&text, &md, &html] {
        assert!(out.contains(&p.spaced_pool));
        assert!(out.contains(&p.korean_pool));
        assert!(out.contains("Dumps not counted as crashes"));
        assert!(out.contains("manual dump"));
        assert!(out.contains("Termination seen") || out.contains("termination seen"));
        assert!(out.contains(&format!("0x{:08x}", p.spaced_exit_code)));
    }
    for out in [&text, &md, &html] {
        assert!(out.contains(&p.hang_pool));
        assert!(out.contains("failed to respond to a ping"));
        for (_, rel) in &t.hang_dumps {
            let name = rel.rsplit('/').next().unwrap();
            assert!(
                out.contains(name) || out.contains(&name.replace('+', "&#43;")),
                "{name}"
            );
        }
        assert!(out.contains("Timer_AppPool"));
    }
    assert!(text.contains(&format!("Hangs ({})", p.hangs.len())));
    assert!(text.starts_with("== Incident report"));
    assert!(text.find("[Error]") < text.find("Timeline"));
    assert!(html.contains("<svg") && !html.contains("<script"));

    // JSON: the documented schema.
    let json: serde_json::Value =
        serde_json::from_str(&coroner_report::investigate::json(&inv)).expect("json");
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
    assert_eq!(c0["exit_code_source"], "W3SVC 1009");
    assert_eq!(c0["exception_code"], "0xc0000005");
    assert_eq!(
        c0["fault_time"],
        coroner_investigate::time::rfc3339(p.crashes[0].time)
    );
    assert_eq!(
        c0["terminated_at"],
        coroner_investigate::time::rfc3339(p.crashes[0].time + 2)
    );
    let sj = pools
        .iter()
        .find(|x| x["name"] == p.spaced_pool.as_str())
        .expect("spaced pool in JSON");
    assert!(sj["crashes"][0]["exception_code"].is_null());
    assert!(sj["crashes"][0]["fault_time"].is_null());
    let manual = json["dumps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["file"].as_str().unwrap_or("").ends_with(&t.manual_dump))
        .expect("manual dump in JSON");
    assert_eq!(manual["counts_as_crash"], false);
    assert_eq!(manual["capture"], "manual dump");
    assert!(manual["crash"].is_null() && manual["not_a_crash"].is_string());
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
    let hj = pools
        .iter()
        .find(|x| x["name"] == p.hang_pool.as_str())
        .expect("hanging pool in JSON");
    assert_eq!(hj["crashes"].as_array().map(Vec::len), Some(0));
    let h0 = &hj["hangs"][0];
    assert_eq!(h0["pid"], p.hangs[0].pid);
    assert_eq!(
        h0["time"],
        coroner_investigate::time::rfc3339(p.hangs[0].time)
    );
    assert!(h0["dumps"][0].is_string() && h0["waits"]["longest_ms"].is_u64());
    assert!(hj["hang_cause"]["verdict"].is_string());
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
        serde_json::from_str(&coroner_report::investigate::json(&inv)).unwrap();
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
        p.crashes.len() + p.hangs.len()
    );
    let pool = inv.pools.iter().find(|x| x.name == p.pool).unwrap();
    assert_eq!(pool.crashes.len(), p.crashes.len() - 1);
    // No termination event: the exit code is unknown, the exception code is the dump's.
    for c in &pool.crashes {
        assert_eq!(c.exit_code, None);
        assert_eq!(c.exception_code.as_deref(), Some("0xc0000005"));
        assert!(c.terminated_at.is_none() && c.fault_time.is_some());
    }
    let json: serde_json::Value =
        serde_json::from_str(&coroner_report::investigate::json(&inv)).unwrap();
    for pj in json["pools"].as_array().unwrap() {
        for c in pj["crashes"].as_array().unwrap() {
            assert!(c["exit_code"].is_null(), "{c}");
        }
    }
    let manual = inv
        .dumps
        .iter()
        .find(|d| d.capture == "manual dump")
        .unwrap();
    assert!(!manual.counts_as_crash);
    assert!(manual
        .not_a_crash
        .as_deref()
        .unwrap()
        .contains("no event log was given"));
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
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../examples/incident");
    if !bundled.is_dir() {
        eprintln!("SKIP: {} not present", bundled.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = ExampleParams::default();
    let t = write(dir.path(), &p).unwrap();
    let written = files_under(dir.path());
    assert_eq!(
        written,
        files_under(&bundled),
        "examples/incident holds other files than the generator writes: regenerate it (see its README.md)"
    );
    for rel in &written {
        let a = std::fs::read(dir.path().join(rel)).unwrap();
        let b = std::fs::read(bundled.join(rel)).unwrap_or_default();
        assert!(
            a == b,
            "{} differs: regenerate examples/incident (see its README.md)",
            rel.display()
        );
    }
    let inv = run(&bundled);
    check(&p, &t, &inv);
}

/// Every file under `root`, relative, sorted.
fn files_under(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// A snapshot is a crash only when a death of its PID follows it: a hang dump of a worker that
/// then crashed belongs to that crash (without moving its time), a first-chance dump by name of
/// the worker that died without a dump becomes that crash's dump (without giving its exception
/// or fault time), and a first-chance dump of a process that never died is listed apart.
#[test]
fn snapshots_count_only_when_a_death_follows() {
    let dir = tempfile::tempdir().unwrap();
    let p = ExampleParams::default();
    let t = write(dir.path(), &p).unwrap();
    let bias = i64::from(p.tz_bias_minutes) * 60;
    let name = |pid: u32, at: i64, trigger: &str| {
        let (y, mo, d, h, mi, s) = coroner_investigate::time::civil(at - bias);
        format!("dumps/w3wp__PID__{pid}__Date__{mo:02}_{d:02}_{y:04}__Time_{h:02}_{mi:02}_{s:02}__9__{trigger}.dmp")
    };
    let put = |rel: &str, bytes: &[u8]| std::fs::write(dir.path().join(rel), bytes).unwrap();
    let first = &p.crashes[0];
    let hang = name(first.pid, first.time - 20, "IIS_COM+ Hang Dump");
    put(
        &hang,
        &coroner_devdata::incident::snapshot_dump(first.pid, first.time - 20).unwrap(),
    );
    // A dump with an exception stream, named first-chance by DebugDiag.
    let fc = |pid: u32, at: i64| {
        coroner_synth::ReferenceCase {
            pid,
            time: at as u32,
            ..Default::default()
        }
        .build()
        .unwrap()
    };
    let sc = &p.spaced_crash;
    let fc_spaced = name(sc.pid, sc.time - 9, "First_Chance_Exception_C0000005");
    put(&fc_spaced, &fc(sc.pid, sc.time - 9));
    let lone_at = p.spaced_crash.time + 600;
    let fc_lone = name(7776, lone_at, "First_Chance_Exception_C0000005");
    put(&fc_lone, &fc(7776, lone_at));

    let inv = run(dir.path());
    let info = |rel: &str| inv.dumps.iter().find(|d| d.file.ends_with(rel)).unwrap();
    let pool = inv.pools.iter().find(|x| x.name == p.pool).unwrap();
    assert_eq!(pool.crashes.len(), p.crashes.len());
    assert_eq!(pool.rapid_fail[0].failures, p.crashes.len());
    let c = &pool.crashes[0];
    assert_eq!(
        c.time.0, first.time,
        "the hang dump does not move the crash"
    );
    assert!(c.dump.as_ref().unwrap().ends_with(&t.dumps[0].1));
    assert_eq!(c.other_dumps.len(), 1);
    assert!(c.other_dumps[0].ends_with(&hang));
    let h = info(&hang);
    assert!(h.counts_as_crash && h.crash.is_some() && h.not_a_crash.is_none());
    assert_eq!(h.capture, "hang dump");

    let spaced = inv.pools.iter().find(|x| x.name == p.spaced_pool).unwrap();
    assert_eq!(spaced.crashes.len(), 1);
    let c = &spaced.crashes[0];
    assert!(c.dump.as_ref().unwrap().ends_with(&fc_spaced));
    assert_eq!(c.dump_capture.as_deref(), Some("first-chance exception"));
    assert_eq!(c.time.0, sc.time);
    assert_eq!(c.exception_code, None);
    assert_eq!(c.fault_time, None);
    assert!(info(&fc_spaced).counts_as_crash);

    let lone = info(&fc_lone);
    assert!(!lone.counts_as_crash && lone.crash.is_none());
    assert!(lone.not_a_crash.is_some());
    assert!(inv
        .pools
        .iter()
        .all(|x| x.crashes.iter().all(|c| c.pid != Some(7776))));
    // Still analysed and grouped with the crash dumps of the same bug.
    assert!(inv
        .groups
        .iter()
        .any(|g| g.dumps.iter().any(|d| d.ends_with(&fc_lone))));
}
