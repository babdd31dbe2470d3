//! The committed hang dumps (`fixtures/synth/hang/`) read back with coroner's loader: the
//! critical section's raw bytes at the lock address are the truth file's, its `LockCount`
//! decodes to the truth's waiters in the truth's encoding, the owner and every waiter are
//! threads of the dump, and the dump has no exception (a hang dump, not a crash). The files
//! are also what `coroner-synth hang` writes today, so the fixtures cannot drift.

use coroner_synth::hang::{CsEncoding, HangCase};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/synth/hang")
}

/// (file stem, how the fixture was made).
fn cases() -> Vec<(&'static str, HangCase)> {
    let case = |encoding, pid| HangCase {
        encoding,
        pid,
        pool: "Payroll".into(),
        ..HangCase::default()
    };
    vec![
        ("w3wp-cs-srv2003sp1", case(CsEncoding::Srv2003Sp1, 3100)),
        ("w3wp-cs-xp", case(CsEncoding::XpPreSp1, 2044)),
        ("w3wp-cs-win10-x64", case(CsEncoding::Win10, 6412)),
    ]
}

fn hex(v: &Value) -> u64 {
    let s = v.as_str().expect("hex string");
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex byte"))
        .collect()
}

fn truth(stem: &str) -> Value {
    let t = std::fs::read_to_string(dir().join(format!("{stem}.truth.json"))).expect("truth");
    serde_json::from_str(&t).expect("truth is JSON")
}

#[test]
fn lock_bytes_at_the_lock_address_match_the_truth() {
    for (stem, _) in cases() {
        let t = truth(stem);
        let file = coroner::open(&dir().join(format!("{stem}.dmp")), Default::default())
            .unwrap_or_else(|e| panic!("{stem}: {e}"));
        let snap = coroner::snapshot(&file).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let want = unhex(t["lock_bytes"].as_str().unwrap());
        let addr = hex(&t["lock_address"]);
        let got = snap.memory.read(addr, want.len()).expect("lock in memory");
        assert_eq!(&got[..], &want[..], "{stem}: section bytes");
        let x64 = t["arch"] == "x64";
        assert_eq!(want.len(), if x64 { 40 } else { 24 }, "{stem}");
        let (lc_at, owner_at) = if x64 { (8, 16) } else { (4, 12) };
        let lock_count = i32::from_le_bytes(got[lc_at..lc_at + 4].try_into().unwrap());
        assert_eq!(
            i64::from(lock_count),
            t["lock_count"].as_i64().unwrap(),
            "{stem}"
        );
        let owner = u32::from_le_bytes(got[owner_at..owner_at + 4].try_into().unwrap());
        assert_eq!(u64::from(owner), t["owner_tid"].as_u64().unwrap(), "{stem}");
        let waiters = t["waiter_tids"].as_array().unwrap();
        let decoded = match t["encoding"].as_str().unwrap() {
            "xp_2003_pre_sp1" => lock_count as i64,
            _ => (-1 - lock_count as i64) >> 2,
        };
        assert_eq!(
            decoded as usize,
            waiters.len(),
            "{stem}: waiters from LockCount"
        );
        for tid in waiters.iter().chain([&t["owner_tid"]]) {
            let tid = tid.as_u64().unwrap() as u32;
            assert!(snap.thread_by_id(tid).is_some(), "{stem}: thread {tid}");
        }
        assert!(
            snap.exception.is_none(),
            "{stem}: a hang dump has no exception"
        );
        debug_info(stem, &t, &snap, addr, x64);
    }
}

/// The section's DebugInfo: -1 on Windows 10; else a record that points back at the section
/// and is linked on ntdll's ProcessLocksList.
fn debug_info(stem: &str, t: &Value, snap: &coroner::Snapshot, addr: u64, x64: bool) {
    let ptr = if x64 { 8u8 } else { 4 };
    let d = snap.memory.read_ptr(addr, ptr).unwrap();
    if t["debug_info"].is_null() {
        assert_eq!(d, u64::MAX, "{stem}: DebugInfo == (PVOID)-1");
        return;
    }
    assert_eq!(d, hex(&t["debug_info"]), "{stem}");
    let back = snap.memory.read_ptr(d + u64::from(ptr), ptr).unwrap();
    assert_eq!(
        back, addr,
        "{stem}: the debug record points back at its section"
    );
    let head = hex(&t["process_locks_list"]);
    let mut at = snap.memory.read_ptr(head, ptr).unwrap();
    let mut seen = Vec::new();
    while at != head && seen.len() < 8 {
        seen.push(at - 2 * u64::from(ptr));
        at = snap.memory.read_ptr(at, ptr).unwrap();
    }
    assert!(
        seen.contains(&d),
        "{stem}: the record is on the ProcessLocksList"
    );
}

#[test]
fn peb_loader_lock_points_at_a_free_section() {
    for (stem, _) in cases() {
        let t = truth(stem);
        let file = coroner::open(&dir().join(format!("{stem}.dmp")), Default::default()).unwrap();
        let snap = coroner::snapshot(&file).unwrap();
        let x64 = t["arch"] == "x64";
        let peb = snap.process.peb.expect("PEB address");
        let at = if x64 { 0x110 } else { 0xa0 };
        let ll = snap
            .memory
            .read_ptr(peb + at, if x64 { 8 } else { 4 })
            .unwrap();
        assert_eq!(ll, hex(&t["loader_lock"]), "{stem}");
        let lc = snap.memory.read_u32(ll + if x64 { 8 } else { 4 }).unwrap();
        assert_eq!(
            lc,
            u32::MAX,
            "{stem}: the loader lock is free (LockCount -1)"
        );
    }
}

#[test]
fn fixtures_are_what_the_generator_writes() {
    for (stem, case) in cases() {
        let g = case.generate().unwrap();
        let dump = std::fs::read(dir().join(format!("{stem}.dmp"))).unwrap();
        assert!(
            dump == g.dump,
            "{stem}.dmp differs from `coroner-synth hang` output"
        );
        let t = std::fs::read_to_string(dir().join(format!("{stem}.truth.json"))).unwrap();
        assert_eq!(t, g.truth.to_json(), "{stem}.truth.json");
        assert!(dump.len() < 100_000, "{stem}: {} bytes", dump.len());
    }
}

#[test]
fn encodings_decode_their_own_lock_counts() {
    for e in [
        CsEncoding::XpPreSp1,
        CsEncoding::Srv2003Sp1,
        CsEncoding::Win10,
    ] {
        for n in [0, 1, 20, 64] {
            assert_eq!(e.waiters(e.lock_count(n)), n, "{e:?} {n}");
        }
    }
    assert_eq!(
        CsEncoding::Srv2003Sp1.lock_count(1),
        -6,
        "WinDbg's !cs: 1 waiter is -6"
    );
    assert_eq!(CsEncoding::XpPreSp1.lock_count(20), 20);
}
