//! Benchmark (run by hand): the hang analysis (every thread's stack walked and classified, the
//! critical sections found and decoded, the wait-for graph) of a dump with THREADS threads
//! (`cargo run --release -p coroner-analysis --example hang_threads [THREADS] [DUMP]`).
//!
//! The dump (default: the lab's `fixtures/lab/hang/blocked-x64.dmp`, 22 threads waiting in
//! EnterCriticalSection behind one owner) is loaded, then its thread list is grown in memory to
//! THREADS (default 500) by repeating its threads with new ids: each repeat has the same stack
//! and registers, so it is walked and searched as its original is. Prints the median and the
//! fastest of 21 runs of `coroner_analysis::hang_facts`; the goal is under 50 ms for 500
//! threads. The cost depends on the threads, not on the dump's size: run it with a large dump
//! as DUMP to see.

use coroner_analysis::{hang_facts, Options};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab/hang/blocked-x64.dmp")
    });
    let file = coroner_dump::DumpFile::open(&path).expect("dump opens");
    let mut snap = file.snapshot().expect("snapshot");
    let original = snap.threads.clone();
    if original.is_empty() {
        eprintln!("{}: no threads", path.display());
        return;
    }
    let max_id = original.iter().map(|t| t.id).max().unwrap_or(0);
    while snap.threads.len() < n {
        let i = snap.threads.len();
        let mut t = original[i % original.len()].clone();
        t.index = i;
        t.id = max_id + 4 * (i as u32 + 1);
        snap.threads.push(t);
    }
    let opts = Options::default();
    let mut times: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            let (facts, _) = hang_facts(&snap, &opts);
            let dt = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(facts.threads.len(), snap.threads.len());
            dt
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let (facts, _) = hang_facts(&snap, &opts);
    let waiting = facts
        .threads
        .iter()
        .filter(|t| t.waits_lock.is_some())
        .count();
    println!(
        "hang analysis of {} ({} bytes), {} threads ({waiting} waiting on a found critical section, {} locks): median {:.2} ms, fastest {:.2} ms",
        path.display(),
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
        snap.threads.len(),
        facts.locks.len(),
        times[times.len() / 2],
        times[0]
    );
}
