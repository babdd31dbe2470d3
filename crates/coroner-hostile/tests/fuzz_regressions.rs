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
        let bytes = std::fs::read(&path).unwrap();
        let f = coroner_dump::DumpFile::from_bytes(&path, bytes);
        match f.snapshot() {
            Ok(snap) => {
                let a = coroner_analysis::analyze(&snap, &Default::default());
                let outcome = [coroner_report::Outcome::Done(Box::new(a))];
                assert!(!coroner_report::text::render(&outcome).is_empty());
                assert!(!coroner_report::json::render(&outcome).is_empty());
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
        n += 1;
    }
    assert!(n >= 2, "{n} regression inputs");
}
