//! Stage 4: application pools (or processes) and their crashes, with the thresholds and sites
//! the IIS configuration gives.

use super::crashes::{crash_of, CrashBuild};
use super::dumps::DumpFacts;
use crate::evidence::Evidence;
use crate::model::{CrashRef, EvidenceRef, FailedRequests, Outage, Pool, Threshold};
use crate::time::Time;
use coroner_iis::config::IisConfig;
use coroner_iis::poolname;
use std::collections::BTreeMap;

/// The pools found so far, by name (names compared as IIS does), and the configuration that
/// describes them.
pub(super) struct Pools<'a> {
    pub map: BTreeMap<String, Pool>,
    pub configs: &'a [IisConfig],
}

/// The pools of the crashes and of the rapid-fail events, and which crash each dump belongs to.
pub(super) fn pools<'a>(
    crashes: &[CrashBuild],
    rapid_events: &[(String, EvidenceRef)],
    ev: &'a Evidence,
    facts: &[DumpFacts],
) -> (Pools<'a>, BTreeMap<usize, CrashRef>) {
    let mut pools = Pools {
        map: BTreeMap::new(),
        configs: &ev.configs,
    };
    let mut dump_crash: BTreeMap<usize, CrashRef> = BTreeMap::new();
    for c in crashes {
        let (name, kind) = pool_key(c);
        let name = pools.canon(&name);
        let p = pools.entry(&name, kind);
        if kind == "application pool" {
            p.kind = kind;
        }
        let mut evidence = c.evidence.clone();
        evidence.sort_by_key(|e| e.time);
        for &d in c.dump.iter().chain(&c.other_dumps) {
            dump_crash.insert(
                d,
                CrashRef {
                    pool: name.clone(),
                    time: Time(c.time),
                },
            );
        }
        p.crashes.push(crash_of(c, evidence, ev, facts));
    }
    // Pools named by rapid-fail events even without crashes.
    for (pool, _) in rapid_events {
        let name = pools.canon(pool);
        pools.entry(&name, "application pool");
    }
    (pools, dump_crash)
}

/// The name a crash is filed under, and whether it is a pool or a process.
fn pool_key(c: &CrashBuild) -> (String, &'static str) {
    match (&c.pool, &c.process) {
        (Some(p), _) => (p.clone(), "application pool"),
        (None, Some(p)) => (p.clone(), "process"),
        (None, None) => ("unknown process".into(), "process"),
    }
}

impl Pools<'_> {
    /// The name under which `name` is already known, else `name`.
    pub fn canon(&self, name: &str) -> String {
        self.map
            .keys()
            .find(|k| poolname::same(k, name))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    /// The pool `name` (already canonical), made when new.
    pub fn entry(&mut self, name: &str, kind: &'static str) -> &mut Pool {
        let configs = self.configs;
        self.map
            .entry(name.to_string())
            .or_insert_with(|| new_pool(configs, name, kind))
    }

    /// The pool that the configuration gives site `id`.
    pub fn site_pool(&self, id: u32) -> Option<String> {
        self.configs
            .iter()
            .find_map(|c| c.site_pool(id))
            .map(String::from)
    }
}

/// A pool without crashes yet, with its threshold and sites from the configuration.
fn new_pool(configs: &[IisConfig], name: &str, kind: &'static str) -> Pool {
    let settings = configs
        .iter()
        .find_map(|c| c.pool(name).map(|p| (p, c.file.as_path())));
    let sites = configs
        .iter()
        .flat_map(|c| c.sites.iter())
        .filter(|s| s.pool.as_deref().is_some_and(|p| poolname::same(p, name)))
        .map(|s| {
            if s.name.is_empty() {
                s.id.to_string()
            } else {
                format!("{} ({})", s.id, s.name)
            }
        })
        .collect();
    Pool {
        name: name.to_string(),
        kind,
        threshold: Threshold::from_settings(
            settings,
            coroner_report::phrase::investigate::said::said(
                crate::model::Fact::IisDefaultThreshold,
            ),
        ),
        sites,
        crashes: Vec::new(),
        hangs: Vec::new(),
        hang_cause: None,
        rapid_fail: Vec::new(),
        outage: Outage::default(),
        in_flight: Vec::new(),
        failed_requests: FailedRequests::default(),
        memory: super::memory::limits(settings),
    }
}
