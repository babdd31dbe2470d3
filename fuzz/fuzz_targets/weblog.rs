//! IIS W3C and HTTP.sys HTTPERR logs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = coroner_weblog::parse("fuzz.log".into(), data);
    let _ = coroner_weblog::count_statuses(data);
});
