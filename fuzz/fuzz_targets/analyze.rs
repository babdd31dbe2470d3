//! The whole `coroner analyze` pipeline on arbitrary bytes: load, analyse, render three ways.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let file = coroner_dump::DumpFile::from_bytes("fuzz.dmp", data.to_vec());
    if let Ok(snap) = file.snapshot() {
        let a = coroner_analysis::analyze(&snap, &Default::default());
        let outcomes = vec![coroner_report::Outcome::Done(Box::new(a))];
        let _ = coroner_report::text::render(&outcomes, coroner_report::phrase::Lang::En);
        let _ = coroner_report::json::render(&outcomes);
        let _ = coroner_report::markdown::render(&outcomes, coroner_report::phrase::Lang::Ko);
    }
});
