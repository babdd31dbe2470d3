//! Struct layouts from a PDB's type stream: `lab/pdb/ntdll_heap.c` built by
//! `lab/pdb/build-heap.sh` into the symbol store `fixtures/pdb/heap/` as two "builds" of
//! `ntdll.pdb`; the offsets and ids must be those LLVM's own reader (llvm-pdbutil) wrote into
//! `ntdll-expected.json`, the struct found through its forward references and nested members,
//! the right build picked by the module's GUID+age.

use coroner_symbols::*;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/pdb/heap")
}

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("ntdll-expected.json")).unwrap())
        .unwrap()
}

fn ntdll(build: &serde_json::Value) -> ModuleId {
    ModuleId {
        code_file: "C:\\Windows\\System32\\ntdll.dll".into(),
        debug_file: Some("ntdll.pdb".into()),
        debug_id: Some(build["debug_id"].as_str().unwrap().into()),
        timestamp: build["timestamp"].as_u64().unwrap() as u32,
        image_size: build["size_of_image"].as_u64().unwrap() as u32,
    }
}

fn symbols() -> Symbols {
    let path = SymbolPath::parse(&dir().display().to_string());
    Symbols::new(
        path,
        Options {
            cache_dir: None,
            allow_network: false,
            ..Options::default()
        },
    )
}

#[test]
fn each_build_gives_the_offsets_llvm_reads() {
    let exp = expected();
    let syms = symbols();
    for build in ["win10", "other"] {
        let b = &exp[build];
        let t = syms
            .struct_layouts(&ntdll(b), &["_HEAP_SEGMENT", "_HEAP", "_NO_SUCH"])
            .unwrap()
            .expect("the PDB of that build");
        assert_eq!(t.pdb_name, "ntdll.pdb");
        assert_eq!(t.debug_id, b["debug_id"].as_str().unwrap());
        assert_eq!(t.structs.len(), 2, "_NO_SUCH is left out");
        for (name, s) in b["structs"].as_object().unwrap() {
            let l = t.get(name).unwrap();
            assert_eq!(l.size, s["size"].as_u64().unwrap(), "{build} {name}");
            for (field, off) in s["fields"].as_object().unwrap() {
                assert_eq!(l.offset(field), off.as_u64(), "{build} {name}.{field}");
            }
        }
    }
}

#[test]
fn nested_members_are_reached_through_forward_references() {
    let exp = expected();
    let t = symbols()
        .struct_layouts(&ntdll(&exp["win10"]), &["_HEAP"])
        .unwrap()
        .unwrap();
    let h = t.get("_HEAP").unwrap();
    // `Segment` is declared with a forward reference to _HEAP_SEGMENT: its fields are there.
    assert_eq!(h.offset("Segment.SegmentListEntry"), Some(0x18));
    assert_eq!(h.offset("Segment.SegmentListEntry.Blink"), Some(0x20));
    // The anonymous struct's fields are named bare, as dt shows them.
    assert_eq!(h.offset("NumberOfUnCommittedPages"), Some(0x50));
    assert_eq!(h.offset("SegmentList"), Some(0x120));
    assert_eq!(h.offset("NoSuchField"), None);
}

#[test]
fn a_pdb_of_another_build_is_refused_and_a_bad_file_is_an_error() {
    let exp = expected();
    let other = exp["other"]["debug_id"].as_str().unwrap();
    let win10 = dir()
        .join("ntdll.pdb")
        .join(exp["win10"]["debug_id"].as_str().unwrap());
    let r = read_struct_layouts(
        &win10.join("ntdll.pdb"),
        &["_HEAP"],
        Some(other),
        &Options::default(),
    );
    assert!(matches!(r, Err(SymError::Mismatch { .. })), "{r:?}");
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("ntdll.pdb");
    let mut bytes = std::fs::read(win10.join("ntdll.pdb")).unwrap();
    bytes.truncate(5000);
    std::fs::write(&bad, bytes).unwrap();
    let r = read_struct_layouts(&bad, &["_HEAP"], None, &Options::default());
    match r {
        Err(SymError::Corrupt(m)) => assert!(m.contains("ntdll.pdb"), "{m}"),
        other => panic!("{other:?}"),
    }
}
