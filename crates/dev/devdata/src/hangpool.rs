//! The pool that hangs in the example incident: `Payroll` (site 5). Twice its worker stops
//! answering — every request thread waits on one critical section held by a thread of
//! SlowDB.dll (Northwind Data Ltd.) waiting on a database socket — and IIS 6 logs W3SVC 1010
//! ("failed to respond to a ping") and starts a new worker. DebugDiag's IIS hang rule writes a
//! hang dump (coroner-synth `hang`) 45 seconds before each event. While it hangs, requests
//! queue in HTTP.sys: the three the hung worker holds are abandoned when it is ended
//! (`Connection_Abandoned_By_AppPool`), those that queue longest expire (`Timer_AppPool`, two
//! minutes), and the rest are served by the new worker with the wait in their `time-taken`.

use crate::incident::{ExampleCrash, ExampleParams, ExampleTruth};
use crate::weblog::{w3c_header, w3c_line};
use coroner_weblog::{HttpErr, Request};

/// Seconds the worker stops answering before IIS logs the ping failure (IIS 6 pings every
/// 30 s and waits 90 s for the answer: up to two and a half minutes).
pub const HUNG_FOR: i64 = 150;
/// Seconds before the W3SVC 1010 event that DebugDiag writes the hang dump.
pub const DUMP_LEAD: i64 = 45;
/// Seconds after the event that the new worker serves the queued requests.
const NEW_WORKER: i64 = 5;
/// Requests the hung worker holds (abandoned when it is ended).
const HELD: usize = 3;

/// The hangs of the story.
pub fn default_hangs(t0: i64) -> Vec<ExampleCrash> {
    vec![
        ExampleCrash {
            pid: 3100,
            time: t0 - 63 * 60,
        },
        ExampleCrash {
            pid: 3344,
            time: t0 - 45 * 60 - 30,
        },
    ]
}

/// The hang dump of a hang: header time `DUMP_LEAD` before the event.
pub fn hang_dump(
    p: &ExampleParams,
    h: &ExampleCrash,
) -> Result<Vec<u8>, coroner_synth::SynthError> {
    let case = coroner_synth::hang::HangCase {
        pid: h.pid,
        time: u32::try_from(h.time - DUMP_LEAD).unwrap_or(coroner_synth::INCIDENT_TIME),
        pool: p.hang_pool.clone(),
        ..Default::default()
    };
    Ok(case.generate()?.dump)
}

/// DebugDiag's IIS hang-rule name (`…__IIS_COM+ Hang Dump.dmp`), local time.
pub fn hang_dump_name(pool: &str, pid: u32, local: i64, n: usize) -> String {
    let when = crate::incident::debugdiag_when(local);
    format!("w3wp.exe__{pool}__PID__{pid}__{when}__{n}__IIS_COM+ Hang Dump.dmp.gz")
}

/// The W3C log of the pool's site: steady traffic from ten minutes before the first hang to
/// five after the last, and the requests queued during each hang served late; the HTTPERR
/// lines of each hang go to `errs`.
pub fn web_log(p: &ExampleParams, truth: &mut ExampleTruth, errs: &mut Vec<HttpErr>) -> String {
    let fields = [
        "date",
        "time",
        "s-sitename",
        "cs-method",
        "cs-uri-stem",
        "c-ip",
        "sc-status",
        "sc-substatus",
        "sc-win32-status",
        "time-taken",
    ];
    let (Some(first), Some(last)) = (p.hangs.first(), p.hangs.last()) else {
        return String::new();
    };
    let start = first.time - HUNG_FOR - 600;
    let mut out = String::new();
    w3c_header(
        &mut out,
        "Microsoft Internet Information Services 6.0",
        start,
        &fields,
    );
    let mut lines: Vec<Request> = Vec::new();
    let mut t = start;
    let mut k = 0u64;
    while t < last.time + 300 {
        t += 11 + (k * 7 % 9) as i64;
        k += 1;
        let arrival = t;
        match p
            .hangs
            .iter()
            .find(|h| (h.time - HUNG_FOR..h.time).contains(&arrival))
        {
            None => lines.push(request(p, arrival, k, 40 + k * 37 % 300)),
            Some(h) => queued(p, h, arrival, k, &mut lines, errs, truth),
        }
    }
    for h in &p.hangs {
        held(p, h, errs, truth);
    }
    lines.sort_by_key(|r| r.time);
    for r in &lines {
        w3c_line(&mut out, &fields, r);
    }
    truth.hang_w3c_requests = lines.len() as u64;
    out
}

/// A request that arrived during hang `h`: the first [`HELD`] were taken by the hung worker
/// (see [`held`]); of the rest, those that would wait over two minutes expire in the queue
/// (`Timer_AppPool`), the others are served by the new worker.
fn queued(
    p: &ExampleParams,
    h: &ExampleCrash,
    arrival: i64,
    k: u64,
    lines: &mut Vec<Request>,
    errs: &mut Vec<HttpErr>,
    truth: &mut ExampleTruth,
) {
    let served = h.time + NEW_WORKER + (k % 3) as i64;
    let waited = served - arrival;
    if waited > 120 {
        errs.push(err(
            p,
            arrival + 120,
            "/payroll/timesheet.asp",
            None,
            "Timer_AppPool",
            k,
        ));
        truth.hang_timer_app_pool += 1;
        return;
    }
    let ms = waited as u64 * 1000 + k * 13 % 900;
    lines.push(request(p, served, k, ms));
    if ms >= coroner_weblog::SLOW_REQUEST_MS {
        truth.hang_slow_requests += 1;
    }
    truth.hang_longest_ms = truth.hang_longest_ms.max(ms);
}

/// The requests the hung worker held: abandoned when IIS ends it.
fn held(p: &ExampleParams, h: &ExampleCrash, errs: &mut Vec<HttpErr>, truth: &mut ExampleTruth) {
    for i in 0..HELD {
        let k = h.time as u64 + i as u64;
        errs.push(err(
            p,
            h.time + 1,
            &p.hang_url,
            None,
            "Connection_Abandoned_By_AppPool",
            k,
        ));
        truth.hang_abandoned += 1;
    }
}

fn request(p: &ExampleParams, logged: i64, k: u64, ms: u64) -> Request {
    let url = if k.is_multiple_of(3) {
        p.hang_url.as_str()
    } else {
        "/payroll/timesheet.asp"
    };
    Request {
        time: logged,
        site: Some(format!("W3SVC{}", p.hang_site_id)),
        method: Some("GET".into()),
        uri_stem: Some(url.into()),
        client_ip: Some(format!("10.20.{}.{}", 1 + k % 5, 10 + k % 200)),
        status: Some(200),
        substatus: Some(0),
        win32_status: Some(0),
        time_taken_ms: Some(ms),
        ..Request::default()
    }
}

fn err(p: &ExampleParams, t: i64, uri: &str, status: Option<u16>, reason: &str, k: u64) -> HttpErr {
    HttpErr {
        time: t,
        client_ip: Some(format!("10.20.{}.{}", 1 + k % 5, 10 + k % 200)),
        client_port: Some(1100 + (k % 5000) as u16),
        server_ip: Some("10.0.0.5".into()),
        server_port: Some(80),
        version: Some("HTTP/1.1".into()),
        method: Some("GET".into()),
        uri: Some(uri.into()),
        status,
        site_id: Some(p.hang_site_id),
        reason: reason.into(),
        queue_name: Some(p.hang_pool.clone()),
        ..HttpErr::default()
    }
}
