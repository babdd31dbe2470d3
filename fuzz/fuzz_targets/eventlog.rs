//! `.evt`, `.evtx` and XML event logs, recognised by content.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = coroner_eventlog::load_bytes("fuzz.log".into(), data.to_vec());
});
