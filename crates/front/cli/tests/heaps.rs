//! `coroner analyze --format json` on the synthetic heap dumps (`fixtures/synth/heaps`,
//! written by `coroner-synth heaps`): every dump's `heaps[]` (kind, committed, reserved,
//! segments) is its generator's truth (`*-expected.json`); with the fixture ntdll PDB on the
//! symbol path (`fixtures/pdb/heap`, `lab/pdb/build-heap.sh`) the Windows 10 dump is walked with
//! the PDB's offsets and says so (`layout_source` `pdb`, the PDB's name and id).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn analyze(dump: &Path, symbols: Option<&Path>) -> Value {
    let cache = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_coroner"));
    c.env_remove("_NT_SYMBOL_PATH")
        .args([
            "analyze",
            "--format",
            "json",
            "--no-network",
            "--symbol-cache",
        ])
        .arg(cache.path());
    if let Some(s) = symbols {
        c.arg("--symbols").arg(s);
    }
    let out = c.arg(dump).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn truth(stem: &str) -> Value {
    let p = root().join(format!("fixtures/synth/heaps/{stem}-expected.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// `heaps[]` as (address, kind, committed, reserved, segments).
fn rows(heaps: &Value) -> Vec<(String, String, Value, Value, Value)> {
    heaps
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["address"].as_str().unwrap().to_string(),
                h["kind"].as_str().unwrap().to_string(),
                h["committed"].clone(),
                h["reserved"].clone(),
                h["segments"].clone(),
            )
        })
        .collect()
}

#[test]
fn every_heap_dump_gives_its_truth() {
    for stem in [
        "w3wp-heap-srv2003-x86",
        "w3wp-heap-win10-x64",
        "w3wp-segment-heap-win10-x64",
        "w3wp-page-heap-win10-x64",
    ] {
        let dump = root().join(format!("fixtures/synth/heaps/{stem}.dmp"));
        let got = analyze(&dump, None);
        let heaps = &got["dumps"][0]["memory"]["heaps"];
        assert_eq!(rows(heaps), rows(&truth(stem)["heaps"]), "{stem}");
        for h in heaps.as_array().unwrap() {
            let walked = h["kind"] == "nt";
            let want = if walked {
                Value::from("known build")
            } else {
                Value::Null
            };
            assert_eq!(h["layout_source"], want, "{stem}: {h}");
        }
    }
}

#[test]
fn the_dumps_ntdll_pdb_on_the_symbol_path_gives_the_offsets() {
    let stem = "w3wp-heap-win10-x64";
    let dump = root().join(format!("fixtures/synth/heaps/{stem}.dmp"));
    let t = truth(stem);
    let got = analyze(&dump, Some(&root().join("fixtures/pdb/heap")));
    let heaps = &got["dumps"][0]["memory"]["heaps"];
    assert_eq!(rows(heaps), rows(&t["heaps"]));
    for h in heaps.as_array().unwrap() {
        assert_eq!(h["layout_source"], "pdb", "{h}");
        assert_eq!(h["layout_pdb"]["name"], "ntdll.pdb");
        assert_eq!(h["layout_pdb"]["id"], t["ntdll_debug_id"]);
    }
    // The report's heap line says it once.
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_coroner"))
        .env_remove("_NT_SYMBOL_PATH")
        .args(["analyze", "--no-network", "--symbol-cache"])
        .arg(cache.path())
        .arg("--symbols")
        .arg(root().join("fixtures/pdb/heap"))
        .arg(&dump)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("Process heaps:"))
        .unwrap_or_else(|| panic!("no heap line in:\n{text}"));
    let id = t["ntdll_debug_id"].as_str().unwrap();
    assert!(
        line.ends_with(&format!("; offsets from ntdll.pdb ({id})")),
        "{line}"
    );
    // The Server 2003 dump's ntdll has another identity: no PDB there, the known builds read it.
    let dump = root().join("fixtures/synth/heaps/w3wp-heap-srv2003-x86.dmp");
    let got = analyze(&dump, Some(&root().join("fixtures/pdb/heap")));
    let heaps = &got["dumps"][0]["memory"]["heaps"];
    assert_eq!(rows(heaps), rows(&truth("w3wp-heap-srv2003-x86")["heaps"]));
    assert_eq!(heaps[0]["layout_source"], "known build");
}
