//! The committed heap dumps (`fixtures/synth/heaps/`) are what `coroner-synth heaps` writes
//! today (regenerate: `cargo run -p coroner-synth -- heaps fixtures/synth/heaps`), and the
//! Windows 10 dumps' ntdll carries the identity of the test PDB of `lab/pdb/build-heap.sh`.

use coroner_synth::heaps::*;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/synth/heaps")
}

#[test]
fn the_committed_dumps_are_the_generators_output() {
    for s in HeapScenario::ALL {
        let g = s.generate(HEAP_PID, HEAP_TIME).unwrap();
        let dump = std::fs::read(dir().join(format!("{}.dmp", s.id()))).unwrap();
        assert!(
            dump == g.dump,
            "{}.dmp differs from `coroner-synth heaps` output",
            s.id()
        );
        let truth =
            std::fs::read_to_string(dir().join(format!("{}-expected.json", s.id()))).unwrap();
        assert_eq!(truth, g.truth.to_json(), "{}", s.id());
        assert!(dump.len() < 300 * 1024, "{}: {} bytes", s.id(), dump.len());
    }
}

#[test]
fn the_windows_10_ntdll_is_the_test_pdbs_build() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../fixtures/pdb/heap/ntdll-expected.json");
    let exp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let b = &exp["win10"];
    assert_eq!(b["guid"], NTDLL_PDB_GUID);
    assert_eq!(b["age"], NTDLL_PDB_AGE);
    assert_eq!(b["timestamp"], NTDLL_TIMESTAMP);
    assert_eq!(b["size_of_image"], NTDLL_SIZE);
    let g = HeapScenario::Win10.generate(HEAP_PID, HEAP_TIME).unwrap();
    assert_eq!(
        g.truth.ntdll_debug_id.as_deref(),
        b["debug_id"].as_str(),
        "the dump names the PDB by the id the PDB has"
    );
}

#[test]
fn a_bad_process_id_is_refused() {
    assert!(HeapScenario::Win10.generate(7, HEAP_TIME).is_err());
}
