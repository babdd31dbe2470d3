//! Stage 6b: memory — each pool's configured memory limits, the workers IIS recycled on them
//! (W3SVC 1077/1117, WAS 5077/5117), the crashes whose dump says the worker ran out of memory,
//! and a worker's private bytes and heaps over a series of its dumps.

use super::dumps::DumpFacts;
use super::pools::Pools;
use super::signals::RecycleEvent;
use crate::evidence::Evidence;
use crate::model::{CrashRef, MemoryGrowth, MemorySample, PoolMemory, Recycle};
use crate::time::Time;
use coroner_analysis::{memory_findings, Analysis, FindingKind};
use coroner_eventlog::MemoryLimit;
use coroner_iis::config::PoolSettings;
use std::collections::BTreeMap;
use std::path::Path;

/// A pool's limits from its configuration (`None`: the pool is not configured in the inputs).
pub(super) fn limits(settings: Option<(&PoolSettings, &Path)>) -> PoolMemory {
    let Some((s, file)) = settings else {
        return PoolMemory::default();
    };
    PoolMemory {
        private_limit_kb: s.private_memory_limit_kb,
        virtual_limit_kb: s.virtual_memory_limit_kb,
        limits_from: Some(coroner_incident::file_name(file)),
        ..PoolMemory::default()
    }
}

/// Adds the recycles, the out-of-memory crashes and the dump series to the pools.
pub(super) fn apply(
    pools: &mut Pools,
    recycles: &[RecycleEvent],
    ev: &Evidence,
    facts: &[DumpFacts],
    dump_crash: &BTreeMap<usize, CrashRef>,
) {
    for r in recycles {
        let name = pools.canon(&r.pool);
        let m = &mut pools.entry(&name, "application pool").memory;
        let (limit, limit_kb) = match r.limit {
            MemoryLimit::Private => ("private", m.private_limit_kb),
            MemoryLimit::Virtual => ("virtual", m.virtual_limit_kb),
        };
        m.recycles.push(Recycle {
            time: Time(r.time),
            pid: r.pid,
            limit,
            limit_kb,
            evidence: r.evidence.clone(),
        });
    }
    for (&i, c) in dump_crash {
        let oom = ev
            .analysis(i)
            .is_some_and(|a| a.has(FindingKind::OutOfMemory));
        if let (true, Some(p)) = (oom, pools.map.get_mut(&c.pool)) {
            p.memory.out_of_memory_crashes.push(c.time);
        }
    }
    for (pool, series) in series_by_pool(ev, facts) {
        let name = pools.canon(&pool);
        let m = &mut pools.entry(&name, "application pool").memory;
        m.growth = growth(&series, m.private_limit_kb);
        m.series = series;
    }
    for p in pools.map.values_mut() {
        p.memory.out_of_memory_crashes.sort();
        p.memory.out_of_memory_crashes.dedup();
    }
}

/// For every pool, its longest series of two or more dumps of one worker (by time; the later
/// worker when two series are as long).
fn series_by_pool(ev: &Evidence, facts: &[DumpFacts]) -> BTreeMap<String, Vec<MemorySample>> {
    // (pool as IIS compares it, pid) → (pool as the first dump spells it, samples)
    let mut by_worker: BTreeMap<(String, u32), (String, Vec<MemorySample>)> = BTreeMap::new();
    for (i, f) in facts.iter().enumerate() {
        let (Some(pool), Some(pid), Some(t)) = (&f.pool, f.pid, f.time) else {
            continue;
        };
        let Some(a) = ev.analysis(i) else { continue };
        let entry = by_worker
            .entry((pool.to_lowercase(), pid))
            .or_insert_with(|| (pool.clone(), Vec::new()));
        entry.1.push(sample(&ev.dumps[i].path, pid, t, a));
    }
    let mut out: BTreeMap<String, Vec<MemorySample>> = BTreeMap::new();
    for (pool, mut s) in by_worker.into_values().filter(|(_, s)| s.len() >= 2) {
        s.sort_by_key(|x| x.time);
        let better = out
            .get(&pool)
            .is_none_or(|o| (s.len(), s[0].time) >= (o.len(), o[0].time));
        if better {
            out.insert(pool, s);
        }
    }
    out
}

/// One dump's memory figures.
fn sample(file: &Path, pid: u32, time: i64, a: &Analysis) -> MemorySample {
    let m = &a.memory;
    let vm = m.vm_counters.as_ref().map(|v| v.private_usage);
    let listed = m
        .address_summary
        .as_ref()
        .filter(|s| s.source == "MemoryInfoList")
        .map(|s| s.private_committed);
    let (private_bytes, private_from) = match (vm, listed) {
        (Some(v), _) => (Some(v), Some("vm_counters")),
        (None, Some(l)) => (Some(l), Some("memory_info_list")),
        (None, None) => (None, None),
    };
    let finding = a
        .findings
        .iter()
        .map(|f| f.kind)
        .find(|k| {
            matches!(
                k,
                FindingKind::OutOfMemory | FindingKind::MemoryGrowth | FindingKind::HandleLeak
            )
        })
        .map(|k| k.id());
    MemorySample {
        file: file.to_path_buf(),
        pid,
        time: Time(time),
        private_bytes,
        private_from,
        heap_bytes: memory_findings::pressure(m, a.ptr_size()).heap_bytes,
        handles: m.handles.as_ref().map(|h| h.total as u64),
        finding,
    }
}

/// The growth of private bytes from the first dump of the series to the last, and when the
/// configured limit would be reached at that rate.
fn growth(s: &[MemorySample], limit_kb: Option<u64>) -> Option<MemoryGrowth> {
    let (first, last) = (s.first()?, s.last()?);
    let (from, to) = (first.private_bytes?, last.private_bytes?);
    let seconds = last.time.0 - first.time.0;
    if to <= from || seconds <= 0 {
        return None;
    }
    let per_minute = (to - from).saturating_mul(60) / seconds as u64;
    let limit = limit_kb.map(|k| k.saturating_mul(1024));
    let seconds_to_limit = limit
        .filter(|&l| l > to && per_minute > 0)
        .map(|l| ((l - to).saturating_mul(60) / per_minute) as i64);
    Some(MemoryGrowth {
        from_bytes: from,
        to_bytes: to,
        seconds,
        bytes_per_minute: per_minute,
        seconds_to_limit,
    })
}
