//! Stage 6b: how long requests waited on each hang — the W3C `time-taken` of the requests
//! logged around it, the HTTPERR `Timer_*` timeouts and the connections the pool abandoned —
//! and the requests in flight that a hang (not a crash) abandoned.

use super::web::{Timed, WaitErr, WebImpact};
use super::{ABANDON_WINDOW, MAX_EXAMPLES};
use crate::model::{Hang, Pool, RequestWaits, SlowRequest};
use crate::time::Time;
use coroner_iis::poolname;
use std::collections::BTreeMap;

/// Seconds before a hang's first event that its window starts: IIS pings every 30 s and waits
/// 90 s for the answer by default, so the worker stopped answering at least that long before.
pub(super) const WAIT_BEFORE: i64 = 300;

/// Gives every hang its request waits, and ties abandoned requests with no crash near to the
/// nearest hang.
pub(super) fn apply(pools: &mut BTreeMap<String, Pool>, web: &WebImpact) {
    for p in pools.values_mut() {
        if p.hangs.is_empty() {
            continue;
        }
        let timed = of(&web.timed, &p.name, |t| t.time);
        let errs = of(&web.wait_errs, &p.name, |e| e.time);
        let mut prev_to = i64::MIN;
        for h in &mut p.hangs {
            let from = (h.time.0 - WAIT_BEFORE).max(prev_to);
            let to = h.time.0 + ABANDON_WINDOW;
            h.waits = waits(&timed, &errs, from, to);
            prev_to = to;
        }
        abandoned_in_hangs(p);
    }
}

/// The pool's entries of `map`, by time.
fn of<'w, T>(
    map: &'w BTreeMap<String, Vec<T>>,
    pool: &str,
    time: impl Fn(&T) -> i64,
) -> Vec<&'w T> {
    let mut v: Vec<&T> = map
        .iter()
        .filter(|(k, _)| poolname::same(k, pool))
        .flat_map(|(_, v)| v.iter())
        .collect();
    v.sort_by_key(|x| time(x));
    v
}

/// The waits within `from..=to`.
fn waits(timed: &[&Timed], errs: &[&WaitErr], from: i64, to: i64) -> RequestWaits {
    let slow_ms = coroner_weblog::SLOW_REQUEST_MS;
    let inside: Vec<&Timed> = timed
        .iter()
        .copied()
        .filter(|t| (from..=to).contains(&t.time))
        .collect();
    let mut taken: Vec<u64> = inside.iter().map(|t| t.taken_ms).collect();
    taken.sort_unstable();
    let mut slow: Vec<&Timed> = inside
        .iter()
        .copied()
        .filter(|t| t.taken_ms >= slow_ms)
        .collect();
    slow.sort_by_key(|t| (std::cmp::Reverse(t.taken_ms), t.time));
    let mut w = RequestWaits::empty(Time(from), Time(to));
    w.timed = taken.len() as u64;
    w.slow = slow.len() as u64;
    w.slow_ms = slow_ms;
    w.longest_ms = taken.last().copied();
    w.median_ms = taken.get(taken.len() / 2).copied();
    w.examples = slow.iter().take(MAX_EXAMPLES).map(|t| example(t)).collect();
    for e in errs.iter().filter(|e| (from..=to).contains(&e.time)) {
        if e.reason
            .eq_ignore_ascii_case("Connection_Abandoned_By_AppPool")
        {
            w.abandoned += 1;
        } else {
            *w.timers.entry(e.reason.clone()).or_default() += 1;
        }
    }
    w
}

fn example(t: &Timed) -> SlowRequest {
    SlowRequest {
        time: Time(t.time),
        time_taken_ms: t.taken_ms,
        method: t.method.clone(),
        url: t.url.clone(),
        status: (t.status != 0).then_some(t.status),
        win32_status: (t.win32_status != 0).then_some(t.win32_status),
        file: t.file.as_ref().clone(),
        line: t.line,
    }
}

/// Requests in flight with no crash near: the nearest hang within [`ABANDON_WINDOW`] gives
/// their PID and hang time.
fn abandoned_in_hangs(p: &mut Pool) {
    let hangs: &[Hang] = &p.hangs;
    for inf in p.in_flight.iter_mut().filter(|i| i.crash_time.is_none()) {
        if let Some(h) = hangs
            .iter()
            .filter(|h| (h.time.0 - inf.time.0).abs() <= ABANDON_WINDOW)
            .min_by_key(|h| (h.time.0 - inf.time.0).abs())
        {
            inf.pid = inf.pid.or(h.pid);
            inf.hang_time = Some(h.time);
        }
    }
}
