//! Stage 6: each pool's share of the web impact — its outage window and 503s per minute, its
//! failed requests, and its requests in flight matched to the crash that abandoned them.

use super::web::{Hit, Served, WebImpact};
use super::ABANDON_WINDOW;
use crate::model::{MinuteCount, Pool};
use crate::time::Time;
use coroner_iis::poolname;
use std::collections::BTreeMap;

/// Gives every pool its outage, failed requests and requests in flight.
pub(super) fn apply(pools: &mut BTreeMap<String, Pool>, web: &WebImpact) {
    for p in pools.values_mut() {
        let hits = hits_of(web, &p.name);
        outage(p, &hits);
        if let Some((_, f)) = web.failed.iter().find(|(k, _)| poolname::same(k, &p.name)) {
            p.failed_requests = f.clone();
        }
        in_flight(p, web);
    }
}

/// The pool's 503s, by time.
pub(super) fn hits_of<'w>(web: &'w WebImpact, pool: &str) -> Vec<&'w Hit> {
    let mut hits: Vec<&Hit> = web
        .http_503
        .iter()
        .filter(|(k, _)| poolname::same(k, pool))
        .flat_map(|(_, v)| v.iter())
        .collect();
    hits.sort_by_key(|h| h.time);
    hits
}

/// The pool's requests served, by time.
pub(super) fn served_of<'w>(web: &'w WebImpact, pool: &str) -> Vec<&'w Served> {
    let mut oks: Vec<&Served> = web
        .served
        .iter()
        .filter(|(k, _)| poolname::same(k, pool))
        .flat_map(|(_, v)| v.iter())
        .collect();
    oks.sort_by_key(|o| o.time);
    oks
}

/// The outage window: first and last 503, counts per reason and per minute.
fn outage(p: &mut Pool, hits: &[&Hit]) {
    let o = &mut p.outage;
    o.http_503 = hits.len() as u64;
    o.first = hits.first().map(|h| Time(h.time));
    o.last = hits.last().map(|h| Time(h.time));
    for h in hits {
        *o.by_reason.entry(h.reason.clone()).or_default() += 1;
        let m = h.time.div_euclid(60) * 60;
        match o.per_minute.last_mut() {
            Some(mc) if mc.minute.0 == m => mc.count += 1,
            _ => o.per_minute.push(MinuteCount {
                minute: Time(m),
                count: 1,
            }),
        }
    }
}

/// Requests in flight, each matched to the nearest crash of the pool.
fn in_flight(p: &mut Pool, web: &WebImpact) {
    for (_, inf) in web
        .abandons
        .iter()
        .filter(|(k, _)| poolname::same(k, &p.name))
    {
        let mut inf = inf.clone();
        if let Some(c) = p
            .crashes
            .iter()
            .filter(|c| (c.time.0 - inf.time.0).abs() <= ABANDON_WINDOW)
            .min_by_key(|c| (c.time.0 - inf.time.0).abs())
        {
            inf.pid = c.pid;
            inf.crash_time = Some(c.time);
        }
        p.in_flight.push(inf);
    }
    p.in_flight.sort_by_key(|i| i.time);
}
