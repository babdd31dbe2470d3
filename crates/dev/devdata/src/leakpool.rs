//! The pool that leaks in the example incident: `ReportsAppPool`. A component of its worker
//! leaks into a private heap of its own, about 12 MB a minute, until the worker reaches the
//! pool's private-bytes limit (`PeriodicRestartPrivateMemory`, 1,228,800 KB in the metabase) and
//! IIS 6 recycles it (W3SVC 1117, information). The administrator takes three DebugDiag manual
//! dumps of the second worker, twenty minutes apart, before it too is recycled: a series that
//! shows the growth (coroner-synth reference snapshots with a grown heap).

use crate::eventlog::EvtRecord;
use crate::incident::{ExampleCrash, ExampleParams};

/// The leak, bytes a minute.
pub const LEAK_PER_MINUTE: u64 = 12 << 20;

/// One manual dump of the series: the worker's pid, the dump's time (UTC) and the bytes its
/// leaking heap has committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeakDump {
    pub pid: u32,
    pub time: i64,
    pub heap_commit: u64,
}

/// The recycles of the story (pid, time of W3SVC 1117): the first worker, and the second one
/// after its three dumps, when its heap reaches the limit at the leak's rate.
pub fn default_recycles(t0: i64) -> Vec<ExampleCrash> {
    vec![
        ExampleCrash {
            pid: 4412,
            time: t0 - 118 * 60,
        },
        ExampleCrash {
            pid: 4636,
            time: t0 - 51 * 60 - 40,
        },
    ]
}

/// The series: three dumps of worker 4636, twenty minutes apart, 240 MB apart.
pub fn default_dumps(t0: i64) -> Vec<LeakDump> {
    (0..3u64)
        .map(|i| LeakDump {
            pid: 4636,
            time: t0 - 100 * 60 + 20 * 60 * i as i64,
            heap_commit: (620 << 20) + 20 * LEAK_PER_MINUTE * i,
        })
        .collect()
}

/// A manual dump of the leaking worker: the reference snapshot with the grown heap, its
/// command line naming the pool.
pub fn leak_dump(p: &ExampleParams, d: &LeakDump) -> Result<Vec<u8>, crate::incident::Error> {
    let rc = coroner_synth::ReferenceCase {
        grown_heap: Some(d.heap_commit),
        ..Default::default()
    };
    let mut dump = crate::incident::snapshot_of(rc, d.pid, d.time)?;
    crate::incident::patch(&mut dump, "DefaultAppPool", &p.leak_pool);
    Ok(dump)
}

/// W3SVC 1117 for each recycle: "A worker process with process id of '%1' serving application
/// pool '%2' has requested a recycle because it reached its private bytes memory limit."
/// (KB 919790), logged as information.
pub fn recycle_events(p: &ExampleParams, recs: &mut Vec<EvtRecord>) {
    for r in &p.leak_recycles {
        let pid = r.pid.to_string();
        let mut e = EvtRecord::new(
            0,
            r.time as u32,
            "W3SVC",
            0x4000_045D,
            &[&pid, &p.leak_pool],
        );
        e.event_type = 4;
        recs.push(e);
    }
}
