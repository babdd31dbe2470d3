//! The wait-for graph: thread → the lock it waits for → that lock's owner. A thread waits for
//! at most one lock, so each thread has at most one successor: cycles are deadlocks, and every
//! other waiting thread has one root — the thread at the end of its chain.

use super::{DeadlockLink, HangFacts, LockFacts};
use std::collections::HashMap;

/// The successor of each waiting thread: `tid → (lock, owner)`.
pub fn edges(facts: &HangFacts) -> HashMap<u32, (u64, u32)> {
    let by_addr: HashMap<u64, &LockFacts> = facts.locks.iter().map(|l| (l.address, l)).collect();
    let mut out = HashMap::new();
    for t in &facts.threads {
        let lock = t.waits_lock.or_else(|| {
            t.waits_objects
                .iter()
                .map(|o| o.handle)
                .find(|h| by_addr.contains_key(h))
        });
        let Some(lock) = lock else { continue };
        if let Some(owner) = by_addr.get(&lock).and_then(|l| l.owner_tid) {
            if owner != t.tid {
                out.insert(t.tid, (lock, owner));
            }
        }
    }
    out
}

/// The deadlock cycles, each starting at its thread that comes first in the dump.
pub fn deadlocks(facts: &HangFacts) -> Vec<Vec<DeadlockLink>> {
    let e = edges(facts);
    let order: HashMap<u32, usize> = facts
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| (t.tid, i))
        .collect();
    // 1: on the path being walked; 2: done. Each thread is walked once: linear time.
    let mut mark: HashMap<u32, u8> = HashMap::new();
    let mut cycles = Vec::new();
    for t in &facts.threads {
        let mut path: Vec<u32> = Vec::new();
        let mut cur = t.tid;
        loop {
            match mark.get(&cur) {
                Some(1) => {
                    let pos = path.iter().position(|&p| p == cur).unwrap_or(0);
                    let mut ring = path[pos..].to_vec();
                    let first = (0..ring.len())
                        .min_by_key(|&i| order.get(&ring[i]).copied().unwrap_or(usize::MAX))
                        .unwrap_or(0);
                    ring.rotate_left(first);
                    cycles.push(links(&ring, &e));
                    break;
                }
                Some(_) => break,
                None => {}
            }
            mark.insert(cur, 1);
            path.push(cur);
            match e.get(&cur) {
                Some(&(_, next)) => cur = next,
                None => break,
            }
        }
        for p in path {
            mark.insert(p, 2);
        }
    }
    cycles
}

fn links(ring: &[u32], e: &HashMap<u32, (u64, u32)>) -> Vec<DeadlockLink> {
    ring.iter()
        .enumerate()
        .map(|(i, &tid)| {
            let prev = ring[(i + ring.len() - 1) % ring.len()];
            DeadlockLink {
                tid,
                holds: e.get(&prev).map(|x| x.0).unwrap_or(0),
                waits_for: e.get(&tid).map(|x| x.0).unwrap_or(0),
            }
        })
        .collect()
}

/// The root of every waiting thread: the owner at the end of its chain of waits (`None`: its
/// chain ends in a cycle). Threads that wait for no owned lock have no entry. Each thread's
/// chain is followed once (results are shared along it): linear in the number of threads.
pub fn roots(e: &HashMap<u32, (u64, u32)>) -> HashMap<u32, Option<u32>> {
    let mut out: HashMap<u32, Option<u32>> = HashMap::new();
    for &start in e.keys() {
        let mut path: Vec<u32> = Vec::new();
        let mut on_path: std::collections::HashSet<u32> = std::collections::HashSet::new();
        let mut cur = start;
        let result = loop {
            if let Some(r) = out.get(&cur) {
                break *r;
            }
            let Some(&(_, next)) = e.get(&cur) else {
                break Some(cur);
            };
            if !on_path.insert(cur) {
                break None;
            }
            path.push(cur);
            cur = next;
        };
        for p in path {
            out.insert(p, result);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hang::*;

    fn thread(tid: u32, lock: Option<u64>) -> ThreadHang {
        ThreadHang {
            index: tid as usize,
            tid,
            state: ThreadState::WaitingLock,
            state_frame: None,
            waits_lock: lock,
            waits_objects: vec![],
            module: None,
            function: None,
            frame: None,
            user_time_ms: None,
            kernel_time_ms: None,
            create_time: None,
            group: None,
            frames: vec![],
        }
    }

    fn lock(address: u64, owner: u32) -> LockFacts {
        LockFacts {
            address,
            kind: LockKind::CriticalSection,
            owner_tid: Some(owner),
            waiters: vec![],
            locked: Some(true),
            raw: None,
            debug: None,
            counted_waiters: None,
            waiter_woken: None,
            orphaned: false,
            is_loader_lock: false,
            found_by: FoundBy::Waiter,
            name: None,
        }
    }

    #[test]
    fn a_two_lock_cycle_is_one_deadlock_and_chains_have_roots() {
        let facts = HangFacts {
            threads: vec![
                thread(1, Some(0xa0)),
                thread(2, Some(0xb0)),
                thread(3, Some(0xa0)),
                thread(4, Some(0xc0)),
                thread(5, None),
            ],
            locks: vec![lock(0xa0, 2), lock(0xb0, 1), lock(0xc0, 5)],
            ..Default::default()
        };
        let d = deadlocks(&facts);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0],
            vec![
                DeadlockLink {
                    tid: 1,
                    holds: 0xb0,
                    waits_for: 0xa0
                },
                DeadlockLink {
                    tid: 2,
                    holds: 0xa0,
                    waits_for: 0xb0
                },
            ]
        );
        let r = roots(&edges(&facts));
        assert_eq!(r.get(&3), Some(&None), "3 waits behind the cycle");
        assert_eq!(r.get(&1), Some(&None));
        assert_eq!(r.get(&4), Some(&Some(5)));
        assert_eq!(r.get(&5), None, "5 waits for no owned lock");
    }

    #[test]
    fn a_hundred_thousand_threads_behind_a_deadlock_take_linear_time() {
        let mut threads = vec![thread(1, Some(0xa0)), thread(2, Some(0xb0))];
        threads.extend((0..100_000u32).map(|i| thread(100 + 4 * i, Some(0xa0))));
        let facts = HangFacts {
            threads,
            locks: vec![lock(0xa0, 2), lock(0xb0, 1)],
            ..Default::default()
        };
        let t = std::time::Instant::now();
        assert_eq!(deadlocks(&facts).len(), 1);
        let r = roots(&edges(&facts));
        assert!(r.values().all(|v| v.is_none()));
        assert!(t.elapsed().as_secs() < 5);
    }
}
