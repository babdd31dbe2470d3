//! The lab's hang dumps (`fixtures/lab/hang/`, captured under Wine from programs that wrote
//! their own ground truth, `hang-expected.json`): every thread's state, the locks with owners,
//! waiters and raw fields, the deadlock cycle, the blocking owner and the blocked share, the
//! orphaned section, the loader lock, the spinning thread, the object waits with their handle
//! values, the blamed module and vendor, and the bucket.

use coroner_analysis::hang::verdict::HangDetail;
use coroner_analysis::hang::{LockKind, ThreadState};
use coroner_analysis::{analyze, Analysis, Detail, FindingKind, Options};
use coroner_dump::DumpFile;
use serde_json::Value;
use std::path::PathBuf;

fn hang_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab/hang")
}

fn hex(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

/// The state the truth's free text describes (`None`: the thread has exited).
fn truth_state(text: &str) -> Option<ThreadState> {
    Some(if text.starts_with("Sleep(") {
        ThreadState::Sleeping
    } else if text.starts_with("EnterCriticalSection(") || text.starts_with("LoadLibraryA") {
        // LoadLibraryA waits for the loader lock, a critical section.
        ThreadState::WaitingLock
    } else if text.starts_with("WaitForSingleObject(") {
        ThreadState::WaitingObject
    } else if text.starts_with("running") {
        ThreadState::Running
    } else if text == "exited" {
        return None;
    } else {
        panic!("unknown truth state {text}")
    })
}

fn detail(a: &Analysis, kind: FindingKind) -> Option<&HangDetail> {
    a.findings
        .iter()
        .find(|f| f.kind == kind)
        .map(|f| match &f.detail {
            Detail::Hang(d) => d.as_ref(),
            other => panic!("{kind:?} with {other:?}"),
        })
}

fn check_threads(file: &str, a: &Analysis, d: &Value, fail: &mut Vec<String>) {
    for t in d["threads"].as_array().unwrap() {
        let tid = t["tid"].as_u64().unwrap() as u32;
        let want = truth_state(t["state"].as_str().unwrap());
        let got = a.hang.thread(tid);
        match (want, got) {
            (None, None) => {}
            (None, Some(_)) => fail.push(format!("{file}: exited thread {tid} listed")),
            (Some(w), None) => fail.push(format!("{file}: thread {tid} ({w:?}) missing")),
            (Some(w), Some(g)) if g.state != w => fail.push(format!(
                "{file}: thread {tid} is {:?} ({:?}), truth {w:?}",
                g.state, g.state_frame
            )),
            _ => {}
        }
    }
}

fn check_sections(file: &str, a: &Analysis, d: &Value, fail: &mut Vec<String>) {
    for l in d["locks"].as_array().unwrap() {
        if l["kind"] != "critical_section" {
            continue;
        }
        let addr = hex(&l["address"]);
        let Some(got) = a.hang.lock(addr) else {
            fail.push(format!(
                "{file}: section {addr:#x} not found ({:?})",
                a.hang.locks
            ));
            continue;
        };
        let raw = got.raw.expect("raw fields");
        let owner = l["owner_tid"].as_u64().map(|v| v as u32);
        let mut waiters: Vec<u32> = got.waiters.clone();
        waiters.sort();
        let want_waiters: Vec<u32> = l["waiter_tids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let checks = [
            (got.owner_tid == owner, "owner"),
            (waiters == want_waiters, "waiters"),
            (
                i64::from(raw.recursion_count) == l["recursion_count"].as_i64().unwrap(),
                "recursion",
            ),
            (
                i64::from(raw.lock_count) == l["lock_count_raw"].as_i64().unwrap(),
                "lock count",
            ),
            (
                raw.owning_thread == hex(&l["owning_thread_raw"]),
                "owning thread",
            ),
            (
                got.debug_info(a.ptr_size()) == Some(hex(&l["debug_info"])),
                "debug info",
            ),
            (
                got.orphaned == l["owner_exited"].as_bool().unwrap(),
                "orphaned",
            ),
            (
                got.is_loader_lock == l["name"].as_str().unwrap().contains("loader lock"),
                "loader lock",
            ),
        ];
        for (ok, what) in checks {
            if !ok {
                fail.push(format!("{file}: section {addr:#x}: wrong {what}: {got:?}"));
            }
        }
        for w in &want_waiters {
            if a.hang.thread(*w).map(|t| t.waits_on()) != Some(vec![addr]) {
                fail.push(format!("{file}: thread {w} does not wait on {addr:#x}"));
            }
        }
    }
}

/// Event and mutex waits: the waiter's handle value, with its type and name from HandleData.
fn check_objects(file: &str, a: &Analysis, d: &Value, fail: &mut Vec<String>) {
    for l in d["locks"].as_array().unwrap() {
        if l["kind"] == "critical_section" {
            continue;
        }
        let handle = hex(&l["handle"]);
        let ty = if l["kind"] == "mutex" {
            "Mutant"
        } else {
            "Event"
        };
        let name = l["name"].as_str().unwrap().trim_start_matches("Local\\");
        for w in l["waiter_tids"].as_array().unwrap() {
            let tid = w.as_u64().unwrap() as u32;
            let t = a.hang.thread(tid).expect("waiter");
            let o = t.waits_objects.iter().find(|o| o.handle == handle);
            let ok = o.is_some_and(|o| {
                o.type_name.as_deref() == Some(ty)
                    && o.object_name.as_deref().is_some_and(|n| n.ends_with(name))
            });
            if !ok || t.waits_on() != vec![handle] {
                fail.push(format!(
                    "{file}: thread {tid} waits on {:?}, truth {handle:#x} {ty} {name}",
                    t.waits_objects
                ));
            }
        }
        if ty == "Mutant" {
            let m = a.hang.lock(handle);
            if !m.is_some_and(|m| m.kind == LockKind::Mutant && m.owner_tid.is_none()) {
                fail.push(format!(
                    "{file}: mutant {handle:#x} not listed as a lock: {m:?}"
                ));
            }
        }
    }
}

fn role_tid(d: &Value, role: &str) -> u32 {
    d["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"].as_str().unwrap().starts_with(role))
        .and_then(|t| t["tid"].as_u64())
        .unwrap_or_else(|| panic!("no thread {role}")) as u32
}

/// The scenario's finding, its root-cause thread, and the verdict's class.
fn check_verdict(file: &str, a: &Analysis, d: &Value, fail: &mut Vec<String>) -> &'static str {
    let locks = d["locks"].as_array().unwrap();
    let first_cs = || {
        locks
            .iter()
            .find(|l| l["kind"] == "critical_section")
            .unwrap()
    };
    let (kind, class, tid) = match d["scenario"].as_str().unwrap() {
        "deadlock" => {
            let cycle = a.hang.deadlocks.first().cloned().unwrap_or_default();
            let mut want: Vec<(u32, u64, u64)> = locks
                .iter()
                .map(|l| {
                    let owner = l["owner_tid"].as_u64().unwrap() as u32;
                    let waits = locks
                        .iter()
                        .find(|o| o["waiter_tids"][0] == l["owner_tid"])
                        .unwrap();
                    (owner, hex(&l["address"]), hex(&waits["address"]))
                })
                .collect();
            want.sort();
            let mut got: Vec<(u32, u64, u64)> = cycle
                .iter()
                .map(|c| (c.tid, c.holds, c.waits_for))
                .collect();
            got.sort();
            if a.hang.deadlocks.len() != 1 || got != want {
                fail.push(format!(
                    "{file}: deadlocks {:?}, truth {want:?}",
                    a.hang.deadlocks
                ));
            }
            (
                FindingKind::Deadlock,
                "DEADLOCK",
                cycle.first().map(|c| c.tid).unwrap_or(0),
            )
        }
        "blocked" => {
            let owner = first_cs()["owner_tid"].as_u64().unwrap() as u32;
            let blocked = first_cs()["waiter_tids"].as_array().unwrap().len();
            let d = detail(a, FindingKind::BlockedThreads);
            let share_ok = d.is_some_and(|d| {
                d.threads.len() == blocked && d.thread_count == a.hang.threads.len()
            });
            if !share_ok {
                fail.push(format!("{file}: blocked share {d:?}, truth {blocked}"));
            }
            let owner_state = a.hang.thread(owner).map(|t| t.state);
            if owner_state != Some(ThreadState::Sleeping) {
                fail.push(format!(
                    "{file}: the owner {owner} is {owner_state:?}, truth sleeping"
                ));
            }
            (FindingKind::BlockedThreads, "BLOCKED_THREADS", owner)
        }
        "orphaned" => {
            let owner = first_cs()["owner_tid"].as_u64().unwrap() as u32;
            (FindingKind::OrphanedLock, "ORPHANED_LOCK", owner)
        }
        "loaderlock" => {
            let owner = first_cs()["owner_tid"].as_u64().unwrap() as u32;
            (FindingKind::LoaderLock, "LOADER_LOCK", owner)
        }
        "spin" => (FindingKind::CpuSpin, "CPU_SPIN", role_tid(d, "spins")),
        "waits" => (
            FindingKind::NoHangPattern,
            "NO_HANG_PATTERN",
            role_tid(d, "waits forever on an event"),
        ),
        s => panic!("scenario {s}"),
    };
    let first = a.findings.first().map(|f| f.kind);
    if first != Some(kind) {
        fail.push(format!("{file}: verdict {first:?}, want {kind:?}"));
    }
    if detail(a, kind).and_then(|d| d.tid) != Some(tid) {
        fail.push(format!(
            "{file}: {kind:?} root tid {:?}, truth {tid}",
            detail(a, kind)
        ));
    }
    class
}

#[test]
fn lab_hang_dumps_are_explained_as_their_truth_says() {
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(hang_dir().join("hang-expected.json")).unwrap(),
    )
    .unwrap();
    let dumps = truth["dumps"].as_array().unwrap();
    assert_eq!(dumps.len(), 12);
    let mut fail = Vec::new();
    for d in dumps {
        let file = d["file"].as_str().unwrap();
        let df = DumpFile::open(hang_dir().join(file)).expect(file);
        let snap = df.snapshot().expect(file);
        let a = analyze(&snap, &Options::default());
        assert!(a.hang.reason.is_some(), "{file}: not taken for a hang dump");
        assert_eq!(
            a.hang.encoding.map(|e| e.as_str()),
            Some("counting_up"),
            "{file}: Wine"
        );
        check_threads(file, &a, d, &mut fail);
        check_sections(file, &a, d, &mut fail);
        check_objects(file, &a, d, &mut fail);
        let class = check_verdict(file, &a, d, &mut fail);
        // A known pattern blames the root-cause thread's module; with none, nobody is named to
        // call (a thread caught in vendor code is where to look, not a cause): the
        // recommendation says where to start instead.
        let blame = a.blame.as_ref();
        let blamed = blame.map(|b| b.module.as_str()) == Some("cohosync.dll")
            && blame.and_then(|b| b.vendor.as_deref()) == Some("Coho Winery");
        let blame_ok = if class == "NO_HANG_PATTERN" {
            blame.is_none()
        } else {
            blamed
        };
        if !blame_ok {
            fail.push(format!("{file}: blame {blame:?} for {class}"));
        }
        // "No known hang pattern" groups nothing: no bucket, the class alone.
        let bucket = a.bucket.clone().unwrap_or_default();
        let bucket_ok = if class == "NO_HANG_PATTERN" {
            a.bucket.is_none()
        } else {
            bucket.starts_with(&format!("HANG_{class}_cohosync.dll"))
        };
        if !bucket_ok || a.classification.as_deref() != Some(&format!("HANG_{class}")) {
            fail.push(format!(
                "{file}: bucket {bucket}, class {:?}",
                a.classification
            ));
        }
    }
    assert!(
        fail.is_empty(),
        "{} failures:\n{}",
        fail.len(),
        fail.join("\n")
    );
}

/// The bucket of one hang is the same whatever the process, thread ids or dump: two runs of the
/// deadlock program (the x64 dump analysed as it is and with `--hang`) bucket together.
#[test]
fn the_hang_bucket_holds_no_pid_tid_or_address() {
    let df = DumpFile::open(hang_dir().join("deadlock-x64.dmp")).unwrap();
    let snap = df.snapshot().unwrap();
    let a = analyze(&snap, &Options::default());
    let b = analyze(
        &snap,
        &Options {
            hang: true,
            ..Default::default()
        },
    );
    assert_eq!(a.bucket, b.bucket);
    let bucket = a.bucket.unwrap();
    for t in &a.hang.threads {
        assert!(
            !bucket.contains(&format!("{}", t.tid)) || bucket.contains("0x"),
            "{bucket}"
        );
    }
    assert!(!bucket.contains("62d0"), "{bucket}: an absolute address");
}
