//! The shell's command and expression parser: the fuzzer's bytes are a script run over a fixed
//! synthetic crash dump (nested exception-dispatch frames, a frame-pointer cycle).
#![no_main]

use std::sync::OnceLock;

static DUMP: OnceLock<Vec<u8>> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(script) = std::str::from_utf8(data) else {
        return;
    };
    let bytes = DUMP.get_or_init(|| {
        coroner_hostile::hostile_x86_dump(&coroner_hostile::Knobs {
            dispatch_cycle: true,
            ebp_chain: 2,
            ..Default::default()
        })
    });
    let file = coroner_dump::DumpFile::from_bytes("fuzz.dmp", bytes.clone());
    let snap = file.snapshot().expect("the fixed dump loads");
    let mut s = coroner_shell::Session::new(&snap);
    let mut out = Vec::new();
    let _ = s.run_script(script, &mut out);
    // A panic inside a command becomes an "internal error" line: report it as a crash. (Not
    // by searching the output: commands echo the user's text, "internal error" included.)
    assert_eq!(s.internal_errors, 0, "shell internal error");
});
