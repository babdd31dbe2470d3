//! PDB (and `.sym`/`.pd_` by content) through `ModuleSymbols::open` on a temporary file.
#![no_main]

use std::io::Write;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut f = tempfile_in_tmp();
    f.1.write_all(data).unwrap();
    drop(f.1);
    if let Ok(m) = coroner_symbols::ModuleSymbols::open(&f.0, None) {
        for rva in [0u32, 0x1000, 0x7fff_ffff, u32::MAX] {
            let _ = m.lookup(rva);
            let _ = m.fpo(rva);
        }
    }
    let _ = std::fs::remove_file(&f.0);
    f.0.clear();
});

fn tempfile_in_tmp() -> (std::path::PathBuf, std::fs::File) {
    let p = std::env::temp_dir().join(format!("coroner-fuzz-{}.pdb", std::process::id()));
    let f = std::fs::File::create(&p).unwrap();
    (p, f)
}
