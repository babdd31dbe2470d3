//! Every crash-lab fixture (real dumps of crashing mingw programs captured under Wine by
//! `lab/`) gets the right exception, faulting thread, finding ids and blamed module, as recorded
//! in `fixtures/lab/expected.json` by the lab's own scripts.

use coroner_analysis::{analyze, Options};
use coroner_dump::DumpFile;
use serde_json::Value;
use std::path::PathBuf;

fn lab_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab")
}

#[test]
fn lab_fixtures_are_diagnosed_as_the_lab_says() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(lab_dir().join("expected.json")).expect("expected.json"),
    )
    .expect("valid json");
    let dumps = expected["dumps"].as_array().expect("dumps array");
    assert!(dumps.len() >= 20, "lab has {} dumps", dumps.len());
    let mut failures = Vec::new();
    for d in dumps {
        let file = d["file"].as_str().unwrap();
        let df = DumpFile::open(lab_dir().join(file)).expect(file);
        let snap = df.snapshot().expect(file);
        let a = analyze(&snap, &Options::default());
        let e = a.exception.as_ref().expect("exception");
        let code = format!("0x{:x}", e.code);
        if code != d["exception_code"].as_str().unwrap() {
            failures.push(format!("{file}: code {code} != {}", d["exception_code"]));
        }
        if u64::from(e.thread_id) != d["faulting_thread_id"].as_u64().unwrap() {
            failures.push(format!(
                "{file}: thread {} != {}",
                e.thread_id, d["faulting_thread_id"]
            ));
        }
        if e.thread_index.map(|i| i as u64) != d["faulting_thread_index"].as_u64() {
            failures.push(format!("{file}: thread index {:?}", e.thread_index));
        }
        let ids: Vec<&str> = a.findings.iter().map(|f| f.id()).collect();
        let required: Vec<&str> = d["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let optional: Vec<&str> = d["findings_optional"]
            .as_array()
            .map(|v| v.iter().map(|x| x.as_str().unwrap()).collect())
            .unwrap_or_default();
        for r in &required {
            if !ids.contains(r) {
                failures.push(format!("{file}: missing finding {r} (got {ids:?})"));
            }
        }
        for id in &ids {
            if !required.contains(id) && !optional.contains(id) && *id != "wild_pointer" {
                failures.push(format!("{file}: unexpected finding {id}"));
            }
        }
        let blamed = a.blame.as_ref().map(|b| b.module.to_ascii_lowercase());
        let want = d["blamed_module"].as_str().map(|s| s.to_ascii_lowercase());
        if blamed != want {
            failures.push(format!("{file}: blamed {blamed:?} != {want:?}"));
        }
        if let Some(v) = d["blamed_module_version"].as_str() {
            if a.blame.as_ref().and_then(|b| b.version.as_deref()) != Some(v) {
                failures.push(format!(
                    "{file}: blamed version {:?} != {v}",
                    a.blame.as_ref().map(|b| &b.version)
                ));
            }
        }
        assert!(a.bucket.is_some(), "{file}: no bucket");
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn lab_reference_case_walks_through_nested_exception_dispatch() {
    for arch in ["x86", "x64"] {
        let df = DumpFile::open(lab_dir().join(format!("reference-{arch}.dmp"))).unwrap();
        let snap = df.snapshot().unwrap();
        let a = analyze(&snap, &Options::default());
        assert!(
            a.nesting_levels >= 2,
            "{arch}: nesting {}",
            a.nesting_levels
        );
        let b = a.blame.as_ref().unwrap();
        assert_eq!(
            b.company.as_deref(),
            Some("Fabrikam Upload Components Ltd."),
            "{arch}"
        );
        // The stack continues below the dispatch frames into the host's worker thread.
        assert!(
            a.frames
                .iter()
                .any(|f| f.symbol.module.as_deref() == Some("labw3wp.exe")),
            "{arch}: host frames missing"
        );
        assert!(
            a.has(coroner_analysis::FindingKind::DestroyedHeap),
            "{arch}"
        );
    }
}

#[test]
fn same_bug_same_bucket_across_lab_arches_differs_from_other_bugs() {
    let bucket = |f: &str| {
        let df = DumpFile::open(lab_dir().join(f)).unwrap();
        let snap = df.snapshot().unwrap();
        analyze(&snap, &Options::default()).bucket.unwrap()
    };
    let a = bucket("nullwrite-x86.dmp");
    let b = bucket("divzero-x86.dmp");
    assert_ne!(a, b);
    assert!(
        a.starts_with("NULL_POINTER_WRITE_c0000005_tsrecord.dll"),
        "{a}"
    );
}
