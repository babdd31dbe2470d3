//! Stage 6b: rapid-fail episodes — disables seen in the events, disables predicted from the
//! crash frequency against the pool's threshold, and when each pool served again.

use super::impact::{hits_of, served_of};
use super::web::{Hit, Served, WebImpact};
use crate::model::{Crash, EvidenceRef, Fact, Pool, RapidFail, Said, Threshold};
use crate::time::Time;
use coroner_iis::poolname;
use coroner_report::phrase::investigate::said::said;
use std::collections::BTreeMap;

/// Gives every pool its rapid-fail episodes. A pool whose crashes would have tripped a
/// disabled rapid-fail protection adds a warning.
pub(super) fn episodes(
    pools: &mut BTreeMap<String, Pool>,
    web: &WebImpact,
    rapid_events: &[(String, EvidenceRef)],
    warnings: &mut Vec<Said>,
) {
    for p in pools.values_mut() {
        let mut episodes = from_events(p, rapid_events);
        predicted(p, &mut episodes, warnings);
        episodes.sort_by_key(|e| e.disabled_at);
        let hits = hits_of(web, &p.name);
        let oks = served_of(web, &p.name);
        restore(&mut episodes, &p.crashes, &hits, &oks);
        p.rapid_fail = episodes;
    }
}

/// The disables that W3SVC 1002 / WAS 5002 record, one per minute.
fn from_events(p: &Pool, rapid_events: &[(String, EvidenceRef)]) -> Vec<RapidFail> {
    let th = &p.threshold;
    let mut episodes: Vec<RapidFail> = Vec::new();
    for (_, r) in rapid_events
        .iter()
        .filter(|(k, _)| poolname::same(k, &p.name))
    {
        let t = r.time.0;
        if episodes.iter().any(|e| (e.disabled_at.0 - t).abs() <= 60) {
            continue;
        }
        let fails: Vec<&Crash> = p
            .crashes
            .iter()
            .filter(|c| c.time.0 <= t + 10 && c.time.0 >= t - th.interval_seconds - 10)
            .collect();
        episodes.push(episode(Time(t), &fails, "event", Some(r.clone())));
    }
    episodes
}

/// An episode before its restore is known.
fn episode(
    at: Time,
    fails: &[&Crash],
    detected: &'static str,
    event: Option<EvidenceRef>,
) -> RapidFail {
    RapidFail {
        disabled_at: at,
        restored_at: None,
        duration_seconds: None,
        failures: fails.len(),
        failure_pids: fails.iter().filter_map(|c| c.pid).collect(),
        detected,
        event,
        restored_how: Said::verbatim(""),
        http_503: 0,
    }
}

/// Disables predicted from crash frequency: `max_crashes` crashes within the interval that no
/// recorded disable explains.
fn predicted(p: &Pool, episodes: &mut Vec<RapidFail>, warnings: &mut Vec<Said>) {
    let th = &p.threshold;
    let n = th.max_crashes.max(1) as usize;
    let times: Vec<i64> = p.crashes.iter().map(|c| c.time.0).collect();
    if p.kind != "application pool" || times.len() < n {
        return;
    }
    let mut i = 0;
    while i + n <= times.len() {
        let end = times[i + n - 1];
        if end - times[i] > th.interval_seconds {
            i += 1;
            continue;
        }
        let seen = episodes
            .iter()
            .any(|e| (e.disabled_at.0 - end).abs() <= th.interval_seconds);
        if !seen {
            if th.enabled {
                let fails: Vec<&Crash> = p.crashes[i..i + n].iter().collect();
                episodes.push(episode(Time(end), &fails, "predicted", None));
            } else {
                warnings.push(turned_off(&p.name, th, n, times[i]));
            }
        }
        i += n;
    }
}

/// The warning for crashes that would have disabled a pool whose protection is off.
fn turned_off(pool: &str, th: &Threshold, n: usize, from: i64) -> Said {
    said(Fact::ProtectionOff {
        pool: pool.to_string(),
        crashes: n,
        interval_seconds: th.interval_seconds,
        from: Time(from),
        source: Box::new(th.source.fact.clone()),
    })
}

/// When each episode ended: a later worker of the pool, or the first request served after the
/// disable; and the 503s in between.
fn restore(episodes: &mut [RapidFail], crashes: &[Crash], hits: &[&Hit], oks: &[&Served]) {
    let crash_times: Vec<i64> = crashes.iter().map(|c| c.time.0).collect();
    let next: Vec<i64> = episodes
        .iter()
        .skip(1)
        .map(|n| n.disabled_at.0)
        .chain([i64::MAX])
        .collect();
    for (e, &next_disable) in episodes.iter_mut().zip(&next) {
        let t = e.disabled_at.0;
        let web = oks.iter().find(|o| o.time > t && o.time < next_disable);
        let worker = crash_times
            .iter()
            .copied()
            .find(|&c| c > t + 10 && c < next_disable);
        let (restored, mut how) = restored(web.copied(), worker);
        e.restored_at = restored.map(Time);
        e.duration_seconds = restored.map(|r| r - t);
        let end = restored.unwrap_or(i64::MAX);
        e.http_503 = hits.iter().filter(|h| h.time >= t && h.time <= end).count() as u64;
        if restored.is_none() {
            how.push(match hits.iter().rfind(|h| h.time >= t) {
                Some(l) => Fact::NotRestored {
                    last_503: Time(l.time),
                },
                None => Fact::NoRestoreEvidence,
            });
        }
        e.restored_how = match how.len() {
            1 => said(how.remove(0)),
            _ => said(Fact::All(how)),
        };
    }
}

/// The restore time and how it is known: the earlier of a later worker and a request served.
fn restored(web: Option<&Served>, worker: Option<i64>) -> (Option<i64>, Vec<Fact>) {
    let by_worker = |c: i64| Fact::RestoredByWorker {
        crashed_at: Time(c),
    };
    match (web, worker) {
        (Some(w), Some(c)) if c < w.time => (Some(c), vec![by_worker(c)]),
        (Some(w), _) => (
            Some(w.time),
            vec![Fact::RestoredByWeb {
                file: w.file.display().to_string(),
                line: w.line,
            }],
        ),
        (None, Some(c)) => (Some(c), vec![by_worker(c)]),
        (None, None) => (None, Vec::new()),
    }
}
