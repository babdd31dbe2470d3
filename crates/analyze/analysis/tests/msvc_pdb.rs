//! The MSVC-style x64 lab case (`lab/msvc-x64/`): clang + lld-link with a PDB, no frame pointers,
//! a MiniDumpNormal dump without image memory. Every function keeps string-constant pointers and
//! data addresses on the stack, so a scanner that takes any address inside the module for a
//! return address names frames after `string'+0x15 or g_table+0x100. With the PDB, a scanned
//! return address must lie inside a procedure; with the image (from a SymStore on the symbol
//! path) the walk uses its `.pdata` and scans nothing in the module.

use coroner_analysis::{analyze, Analysis, Options};
use coroner_dump::DumpFile;
use coroner_unwind::Trust;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab/msvc-x64")
}

/// One frame of the real call chain (msvcx64-truth.json).
struct Truth {
    function: String,
    rva: u64,
    size: u64,
    signature: Option<String>,
}

fn truth_json() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("msvcx64-truth.json")).unwrap())
        .unwrap()
}

/// The program counters of the exe's frames in Wine's own walk (StackWalk64 with the image and
/// its `.pdata`, run by the dumper while the process was alive).
fn wine_pcs() -> Vec<u64> {
    truth_json()["wine_stackwalk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .filter(|l| l.contains("module=msvcx64 "))
        .map(|l| {
            let pc = l.split("pc=0x").nth(1).unwrap().split(' ').next().unwrap();
            u64::from_str_radix(pc, 16).unwrap()
        })
        .collect()
}

fn truth() -> Vec<Truth> {
    truth_json()["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Truth {
            function: f["function"].as_str().unwrap().to_string(),
            rva: f["rva"].as_u64().unwrap(),
            size: f["size"].as_u64().unwrap(),
            signature: f["signature"].as_str().map(str::to_string),
        })
        .collect()
}

/// Analyses the dump with the symbol path `path` (folders joined with `;`), offline, with a
/// fresh parsed-symbol cache.
fn analyse(path: &[&Path]) -> Analysis {
    let f = DumpFile::open(dir().join("msvcx64-normal.dmp")).unwrap();
    let snap = f.snapshot().unwrap();
    let exe = snap
        .modules
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case("msvcx64.exe"))
        .unwrap();
    assert!(
        snap.memory.read(exe.base, 2).is_none(),
        "the fixture holds no image memory (not even the headers)"
    );
    let cache = tempfile::tempdir().unwrap();
    let spec = path
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(";");
    let symbols = coroner_symbols::Symbols::new(
        coroner_symbols::SymbolPath::parse(&spec),
        coroner_symbols::Options {
            cache_dir: Some(cache.path().to_path_buf()),
            allow_network: false,
            ..Default::default()
        },
    );
    let opts = Options {
        symbols: Some(Arc::new(symbols)),
        ..Default::default()
    };
    analyze(&snap, &opts)
}

/// The frames in msvcx64.exe: (index, function, module offset, trust).
fn own_frames(a: &Analysis) -> Vec<(usize, String, u64, Trust)> {
    a.frames
        .iter()
        .filter(|f| f.symbol.module.as_deref() == Some("msvcx64.exe"))
        .map(|f| {
            (
                f.index,
                f.symbol.function.clone().unwrap_or_default(),
                f.symbol.module_offset,
                f.trust,
            )
        })
        .collect()
}

/// The frames of the exe are the real chain, in order, each address inside its procedure (a
/// caller's return address minus one: the call instruction).
fn assert_real_chain(a: &Analysis, what: &str) {
    let want = truth();
    let got = own_frames(a);
    let names: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
    let want_names: Vec<&str> = want.iter().map(|t| t.function.as_str()).collect();
    assert_eq!(
        names,
        want_names,
        "{what}: {:#?}",
        a.frames.iter().map(|f| &f.display).collect::<Vec<_>>()
    );
    for (i, (g, t)) in got.iter().zip(&want).enumerate() {
        let at = g.2 - u64::from(i > 0);
        assert!(
            at >= t.rva && at < t.rva + t.size,
            "{what}: frame {} at +{:#x} outside {} [{:#x}, +{:#x})",
            g.0,
            g.2,
            t.function,
            t.rva,
            t.size
        );
    }
    let addrs: Vec<u64> = a
        .frames
        .iter()
        .filter(|f| f.symbol.module.as_deref() == Some("msvcx64.exe"))
        .map(|f| f.address)
        .collect();
    assert_eq!(addrs, wine_pcs(), "{what}: the addresses Wine's walk saw");
    // The innermost frames are consecutive: nothing between the faulting function and its
    // callers in the exe.
    let first: Vec<usize> = got.iter().map(|g| g.0).take(5).collect();
    assert_eq!(first, vec![0, 1, 2, 3, 4], "{what}");
}

#[test]
fn with_the_pdb_and_no_image_scanning_finds_only_the_real_callers() {
    let pdb_only = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir().join("msvcx64.pdb"),
        pdb_only.path().join("msvcx64.pdb"),
    )
    .unwrap();
    let a = analyse(&[pdb_only.path()]);
    assert_real_chain(&a, "PDB, no image");
    // Without unwind data every caller was found by scanning, and no frame (in any module) is
    // named after a string literal or a global.
    for f in &a.frames {
        let name = f.symbol.function.as_deref().unwrap_or("");
        assert!(
            !name.contains("`string'") && !name.contains("g_table") && !name.contains("g_config"),
            "{}",
            f.display
        );
    }
    assert!(own_frames(&a)[1..].iter().all(|g| g.3 == Trust::Scan));
    // Short names in the display, the signature kept apart.
    let draw = &a.frames[0];
    assert!(
        draw.display.starts_with("msvcx64!app::Widget::draw+0x"),
        "{}",
        draw.display
    );
    assert_eq!(draw.symbol.function_signature, truth()[0].signature);
    assert!(draw
        .symbol
        .function_signature
        .as_deref()
        .is_some_and(|s| s.contains("(int, float, char const *)")));
}

#[test]
fn with_the_image_in_a_symstore_the_x64_walk_uses_its_pdata() {
    let f = DumpFile::open(dir().join("msvcx64-normal.dmp")).unwrap();
    let snap = f.snapshot().unwrap();
    let m = snap
        .modules
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case("msvcx64.exe"))
        .unwrap();
    // SymStore key of an image: TimeDateStamp as %08X, SizeOfImage as %x.
    let store = tempfile::tempdir().unwrap();
    let key = store
        .path()
        .join("msvcx64.exe")
        .join(format!("{:08X}{:x}", m.timestamp, m.size));
    std::fs::create_dir_all(&key).unwrap();
    std::fs::copy(dir().join("bin/msvcx64.exe"), key.join("msvcx64.exe")).unwrap();
    let pdb_only = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir().join("msvcx64.pdb"),
        pdb_only.path().join("msvcx64.pdb"),
    )
    .unwrap();

    let a = analyse(&[pdb_only.path(), store.path()]);
    assert_real_chain(&a, "PDB + image from the SymStore");
    let own = own_frames(&a);
    assert_eq!(own[0].3, Trust::Context);
    assert!(
        own[1..].iter().all(|g| g.3 == Trust::Cfi),
        "every caller in the exe comes from its unwind data: {own:?}"
    );
    // Unwinding is exact: the exe's frames follow each other with nothing scanned between.
    let idx: Vec<usize> = own.iter().map(|g| g.0).collect();
    assert_eq!(idx, (0..own.len()).collect::<Vec<_>>());
}
