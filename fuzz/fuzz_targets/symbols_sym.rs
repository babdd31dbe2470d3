//! Breakpad `.sym` text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let m = coroner_symbols::ModuleSymbols::from_sym_bytes(data, "fuzz.sym");
    for rva in [0u32, 0x1000, 0x7fff_ffff, u32::MAX] {
        let _ = m.lookup(rva);
        let _ = m.stack_win(rva);
        let _ = m.stack_cfi(rva);
    }
});
