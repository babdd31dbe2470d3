//! The hang analysis on hostile input built in memory: a `ProcessLocksList` that loops without
//! returning to its start, one that never ends, and 100,000 threads — bounded work and a
//! warning naming the limit, never a hang or a panic.

use coroner_analysis::hang::locks::{walk_locks_list, MAX_LIST_ENTRIES};
use coroner_analysis::hang::MAX_THREADS;
use coroner_analysis::Warning;
use coroner_model::*;

fn snapshot(mem: Vec<MemoryRange<'_>>, threads: Vec<Thread>) -> Snapshot<'_> {
    Snapshot {
        path: "hang.dmp".into(),
        container: "minidump".into(),
        dump_flags: 0,
        system: SystemInfo {
            os: OsFamily::Windows,
            os_name: "Windows NT".into(),
            os_version: "10.0.19045".into(),
            arch: Arch::X86,
            cpu_info: None,
            cpu_count: 1,
        },
        process: ProcessInfo::default(),
        exception: None,
        exception_context: None,
        threads,
        modules: vec![],
        unloaded_modules: vec![],
        regions: vec![],
        regions_source: None,
        memory: AddressSpace::new(mem),
        handle_count: None,
        handles: vec![],
        comments: vec![],
        warnings: vec![],
        streams: vec![],
        damage: None,
        module_index: Default::default(),
    }
}

fn put(m: &mut [u8], base: u64, at: u64, v: u32) {
    let o = (at - base) as usize;
    m[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

/// x86 layout: a section's DebugInfo at +0; a record's CriticalSection at +4, Flink at +8.
#[test]
fn a_locks_list_that_loops_elsewhere_stops_with_a_warning() {
    let base = 0x10000u64;
    let mut m = vec![0u8; 0x1000];
    let (a, b, da, db) = (base, base + 0x40, base + 0x100, base + 0x200);
    put(&mut m, base, a, da as u32);
    put(&mut m, base, b, db as u32);
    put(&mut m, base, da + 4, a as u32);
    put(&mut m, base, db + 4, b as u32);
    // A's record → B's record → B's record → … (never back to A's).
    put(&mut m, base, da + 8, (db + 8) as u32);
    put(&mut m, base, db + 8, (db + 8) as u32);
    let snap = snapshot(vec![MemoryRange { base, bytes: &m }], vec![]);
    let l = layout::for_arch(Arch::X86).unwrap();
    let mut w = Vec::new();
    let found = walk_locks_list(&snap, l, &[a], &mut w);
    assert_eq!(found, vec![b]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        matches!(w[0], Warning::LocksListLoop { max, .. } if max == MAX_LIST_ENTRIES),
        "{w:?}"
    );
}

#[test]
fn an_endless_locks_list_stops_at_the_limit() {
    // Debug records every 0x20 bytes, each linked to the next, far more than the limit.
    let base = 0x100000u64;
    let n = MAX_LIST_ENTRIES as u64 + 100;
    let mut m = vec![0u8; (0x20 * (n + 2)) as usize];
    let cs = base;
    let rec = |i: u64| base + 0x20 * (i + 1);
    put(&mut m, base, cs, rec(0) as u32);
    for i in 0..n {
        put(&mut m, base, rec(i) + 4, 0x7000_0000);
        put(&mut m, base, rec(i) + 8, (rec(i + 1) + 8) as u32);
    }
    let snap = snapshot(vec![MemoryRange { base, bytes: &m }], vec![]);
    let l = layout::for_arch(Arch::X86).unwrap();
    let mut w = Vec::new();
    let t = std::time::Instant::now();
    walk_locks_list(&snap, l, &[cs], &mut w);
    assert!(t.elapsed().as_secs() < 5);
    assert!(
        w.contains(&Warning::LocksListLong {
            max: MAX_LIST_ENTRIES
        }),
        "{w:?}"
    );
}

#[test]
fn a_hundred_thousand_threads_are_bounded_and_said_so() {
    let threads: Vec<Thread> = (0..100_000u32)
        .map(|i| Thread {
            index: i as usize,
            id: 4 + 4 * i,
            name: None,
            teb: None,
            stack_start: 0,
            stack_len: 0,
            stack_base: None,
            stack_limit: None,
            context: None,
            times: None,
            last_error: None,
            scheduling: None,
        })
        .collect();
    let snap = snapshot(vec![], threads);
    let t = std::time::Instant::now();
    let a = coroner_analysis::analyze(&snap, &Default::default());
    assert!(t.elapsed().as_secs() < 30);
    assert_eq!(a.hang.threads.len(), 100_000);
    assert!(
        a.warnings.contains(&Warning::HangThreads {
            threads: 100_000,
            max: MAX_THREADS
        }),
        "{:?}",
        a.warnings
    );
    // No stacks: every state unknown, no finding but "no known hang pattern".
    assert!(a.hang.threads.iter().all(|t| t.state.id() == "unknown"));
    assert_eq!(a.findings[0].id(), "no_hang_pattern");
}
