//! The synthetic w3wp hang dumps (`fixtures/synth/hang/`, written by `coroner-synth hang` with
//! their truth): the two x86 `LockCount` encodings of Windows Server 2003 — before Service
//! Pack 1 (counting up) and with it (inverted bit) — and Windows 10 x64, whose section has no
//! debug info (`DebugInfo == -1`) and whose waiters' stacks are found by scanning (no unwind
//! data in the dump). The analysis must decode each section in the dump's own encoding: owner,
//! the 20 waiters, the raw count, the debug record — and give all three the same verdict, bucket
//! and vendor.

use serde_json::Value;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/synth/hang")
}

fn hex(v: &Value) -> u64 {
    u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn every_encoding_decodes_to_the_truth() {
    for (stem, encoding, ptr) in [
        ("w3wp-cs-srv2003sp1", "inverted_bit", 4),
        ("w3wp-cs-xp", "counting_up", 4),
        ("w3wp-cs-win10-x64", "inverted_bit", 8),
    ] {
        let truth: Value = serde_json::from_str(
            &std::fs::read_to_string(dir().join(format!("{stem}.truth.json"))).unwrap(),
        )
        .unwrap();
        let file = coroner_dump::DumpFile::open(dir().join(format!("{stem}.dmp"))).unwrap();
        let a = coroner_analysis::analyze(&file.snapshot().unwrap(), &Default::default());
        assert_eq!(
            a.hang.encoding.map(|e| e.as_str()),
            Some(encoding),
            "{stem}"
        );
        let at = hex(&truth["lock_address"]);
        let lock = a.hang.locks.iter().find(|l| l.address == at);
        let lock = lock.unwrap_or_else(|| panic!("{stem}: section {at:x} not found"));
        assert_eq!(
            lock.owner_tid,
            truth["owner_tid"].as_u64().map(|t| t as u32),
            "{stem}"
        );
        let raw = lock.raw.expect("the section's fields");
        assert_eq!(
            i64::from(raw.lock_count),
            truth["lock_count"].as_i64().unwrap(),
            "{stem}"
        );
        assert_eq!(lock.counted_waiters, Some(20), "{stem}: LockCount decoded");
        let debug = truth["debug_info"]
            .as_str()
            .map(|_| hex(&truth["debug_info"]));
        assert_eq!(lock.debug_info(ptr), debug, "{stem}");
        let mut want: Vec<u32> = truth["waiter_tids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_u64().unwrap() as u32)
            .collect();
        let mut got = lock.waiters.clone();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{stem}: waiters");
        assert_eq!(a.findings[0].id(), "blocked_threads", "{stem}");
        assert_eq!(
            a.bucket.as_deref(),
            Some("HANG_BLOCKED_THREADS_SlowDB.dll+0x24d7"),
            "{stem}"
        );
        let vendor = a.blame.as_ref().and_then(|b| b.vendor.as_deref());
        assert_eq!(vendor, truth["culprit_vendor"].as_str(), "{stem}");
    }
}
