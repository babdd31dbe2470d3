#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    coroner_pe::fuzz_parse(data);
});
