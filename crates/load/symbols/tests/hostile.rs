//! Truncated and corrupt symbol files: warnings or errors, never a panic.

mod common;
use common::corpus;
use coroner_symbols::*;

fn probe(ms: &ModuleSymbols) {
    for rva in (0..0x30000u32).step_by(0x101) {
        let _ = ms.lookup(rva);
        let _ = ms.stack_win(rva);
        let _ = ms.stack_cfi(rva);
        let _ = ms.fpo(rva);
    }
}

#[test]
fn sym_truncated_and_garbled() {
    let Some(f) =
        corpus("breakpad/symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym")
    else {
        return;
    };
    let data = std::fs::read(f).unwrap();
    for cut in (0..data.len()).step_by(data.len() / 37 + 1) {
        probe(&ModuleSymbols::from_sym_bytes(&data[..cut], "t.sym"));
    }
    // Garble bytes all over: lines that no longer parse are warnings.
    let mut bad = data.clone();
    let mut x: u32 = 12345;
    for _ in 0..2000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let i = (x as usize >> 3) % bad.len();
        bad[i] = (x >> 16) as u8;
    }
    let ms = ModuleSymbols::from_sym_bytes(&bad, "t.sym");
    assert!(ms.warnings.count > 0);
    assert!(ms.warnings.first.len() <= 20);
    probe(&ms);
    // Classic damage: records before MODULE, absurd values, overlong INLINE, binary junk.
    let junk = b"FUNC zz 10 0 f\nFUNC 10 ffffffffffff 0 g\n1000\nINLINE 0 1\nINLINE 0 1 2 3 4\n\
STACK WIN 4 10\nSTACK CFI 10 .cfa: $rsp\nSTACK CFI INIT 10 ffffffff .cfa: $rsp 8 +\n\
STACK CFI 5 .ra: .cfa 8 - ^\nPUBLIC\nFILE x y\n\x00\xff\xfe\nINLINE_ORIGIN 99999999999 q\n";
    let ms = ModuleSymbols::from_sym_bytes(junk, "junk.sym");
    assert!(ms.warnings.count >= 8, "{:?}", ms.warnings);
    probe(&ms);
    assert!(ms.stack_cfi(0x20).is_some());
}

#[test]
fn pdb_truncated_and_bitflipped() {
    let Some(f) = corpus("symbolic/crash.pdb") else {
        return;
    };
    let data = std::fs::read(f).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crash.pdb");
    let mut outcomes = (0, 0);
    for cut in (0..data.len()).step_by(data.len() / 23 + 1) {
        std::fs::write(&p, &data[..cut]).unwrap();
        match ModuleSymbols::open(&p, None) {
            Ok(ms) => {
                probe(&ms);
                outcomes.0 += 1
            }
            Err(_) => outcomes.1 += 1,
        }
    }
    let mut x: u32 = 777;
    for round in 0..40 {
        let mut bad = data.clone();
        for _ in 0..(1 + round % 7) * 8 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let i = (x as usize >> 2) % bad.len();
            bad[i] ^= 1 << (x % 8);
        }
        std::fs::write(&p, &bad).unwrap();
        match ModuleSymbols::open(&p, None) {
            Ok(ms) => {
                probe(&ms);
                outcomes.0 += 1
            }
            Err(_) => outcomes.1 += 1,
        }
    }
    eprintln!(
        "damaged PDBs: {} opened, {} refused",
        outcomes.0, outcomes.1
    );
    assert!(outcomes.1 > 0);
}

#[test]
fn cab_truncated() {
    let Some(f) =
        corpus("symbolicator/symbols/crash.pdb/3249D99D0C4049318610F4E4FB0B69361/crash.pdb")
    else {
        return;
    };
    let data = std::fs::read(f).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crash.pd_");
    for cut in (0..data.len()).step_by(data.len() / 17 + 1) {
        std::fs::write(&p, &data[..cut]).unwrap();
        if let Ok(ms) = ModuleSymbols::open(&p, None) {
            probe(&ms);
        }
    }
    // Not a symbol file at all.
    std::fs::write(&p, b"\x7fELF....").unwrap();
    assert!(ModuleSymbols::open(&p, None).is_err());
    std::fs::write(&p, b"").unwrap();
    assert!(ModuleSymbols::open(&p, None).is_err());
}

/// The type reader on damaged copies of the heap fixture PDB: cut short or with bytes
/// overwritten, it answers layouts or a typed error, never a panic.
#[test]
fn struct_layouts_of_damaged_pdbs() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../fixtures/pdb/heap/ntdll.pdb");
    let Some(id) = std::fs::read_dir(&dir).unwrap().flatten().next() else {
        return;
    };
    let data = std::fs::read(id.path().join("ntdll.pdb")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("ntdll.pdb");
    let (mut ok, mut refused) = (0, 0);
    let mut variants: Vec<Vec<u8>> = (1..24)
        .map(|i| data[..data.len() * i / 24].to_vec())
        .collect();
    for i in 0..64usize {
        let mut d = data.clone();
        let at = (i * 7919 * 13) % d.len();
        for b in &mut d[at..(at + 64).min(data.len())] {
            *b ^= 0x5a;
        }
        variants.push(d);
    }
    for v in variants {
        std::fs::write(&p, &v).unwrap();
        match read_struct_layouts(&p, &["_HEAP", "_HEAP_SEGMENT"], None, &Options::default()) {
            Ok(_) => ok += 1,
            Err(SymError::Corrupt(_)) | Err(SymError::Mismatch { .. }) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    eprintln!("damaged heap PDBs: {ok} read, {refused} refused");
    assert!(refused > 0);
}
