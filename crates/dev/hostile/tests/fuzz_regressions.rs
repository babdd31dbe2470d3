//! Inputs the fuzzers found crashing coroner, kept as regression cases: each must now load (or
//! be refused with a reason) and be analysed and rendered without a panic — in a debug build,
//! where integer overflow panics too.

use std::path::PathBuf;

#[test]
fn fuzzer_findings_no_longer_crash() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("symbols_pdb-") {
            symbol_file(&path);
            n += 1;
            continue;
        }
        if name.starts_with("shell-") {
            shell_script(&path);
            n += 1;
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let f = coroner_dump::DumpFile::from_bytes(&path, bytes);
        match f.snapshot() {
            Ok(snap) => {
                let a = coroner_analysis::analyze(&snap, &Default::default());
                let outcome = [coroner_report::Outcome::Done(Box::new(a))];
                assert!(
                    !coroner_report::text::render(&outcome, coroner_report::phrase::Lang::En)
                        .is_empty()
                );
                assert!(!coroner_report::json::render(&outcome).is_empty());
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        n += 1;
    }
    assert!(n >= 4, "{n} regression inputs");
}

/// A symbol file (gzip-packed to keep the repository small): opening it gives an error (a
/// panic inside the PDB parser is contained), never a panic.
fn symbol_file(path: &std::path::Path) {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fuzzed.pdb");
    std::fs::write(&file, &bytes).unwrap();
    match coroner_symbols::ModuleSymbols::open(&file, None) {
        Ok(_) => {}
        Err(e) => {
            assert!(!e.to_string().is_empty())
        }
    }
}

/// A shell script over the fixed hostile dump of the `shell` fuzz target: no command may end
/// in an internal error.
fn shell_script(path: &std::path::Path) {
    let script = std::fs::read_to_string(path).unwrap();
    let bytes = coroner_hostile::hostile_x86_dump(&coroner_hostile::Knobs {
        dispatch_cycle: true,
        ebp_chain: 2,
        ..Default::default()
    });
    let file = coroner_dump::DumpFile::from_bytes("fuzz.dmp", bytes);
    let snap = file.snapshot().unwrap();
    let mut s = coroner_shell::Session::new(&snap);
    let mut out = Vec::new();
    s.run_script(&script, &mut out).unwrap();
    assert_eq!(s.internal_errors, 0, "{}", String::from_utf8_lossy(&out));
}
