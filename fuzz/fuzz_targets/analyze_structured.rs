//! Structure-aware: the fuzzer's bytes choose how a plausible x86 crash dump is bent (valid
//! header and directory; hostile counts, sizes, RVAs, frame-pointer cycles, nested
//! exception-dispatch CONTEXTs, PE export/resource directories) — see `coroner_hostile::Knobs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let knobs = coroner_hostile::Knobs::from_bytes(data);
    let bytes = coroner_hostile::hostile_x86_dump(&knobs);
    let file = coroner_dump::DumpFile::from_bytes("fuzz.dmp", bytes);
    if let Ok(snap) = file.snapshot() {
        let a = coroner_analysis::analyze(&snap, &Default::default());
        let outcomes = vec![coroner_report::Outcome::Done(Box::new(a))];
        let _ = coroner_report::text::render(&outcomes, coroner_report::phrase::Lang::En);
        let _ = coroner_report::json::render(&outcomes);
        let _ = coroner_report::markdown::render(&outcomes, coroner_report::phrase::Lang::Ko);
    }
});
