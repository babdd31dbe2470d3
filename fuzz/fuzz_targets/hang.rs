//! The hang analysis over hostile locks: the fuzzer's bytes overwrite the two critical sections
//! of the lab's deadlock dump (`fixtures/lab/hang/deadlock-x86.dmp`), their debug records
//! (`ProcessLocksList` links, back-pointers) and the top of a waiting thread's stack; the dump
//! is then analysed, rendered, and shown by `!locks -v`, `!cs` and `!analyze -hang`.
#![no_main]

use coroner_hostile::hang::{patch, LEDGER, LEDGER_DEBUG, STOCK, STOCK_DEBUG};

static FIXTURE: &[u8] = include_bytes!("../../fixtures/lab/hang/deadlock-x86.dmp");

/// Where the bytes go, in order, and how many each place takes.
const PLACES: [(u64, usize); 5] = [
    (STOCK, 24),
    (LEDGER, 24),
    (STOCK_DEBUG, 32),
    (LEDGER_DEBUG, 32),
    // Thread 1's stack from its top frame (ntdll!NtWaitForAlertByThreadId) up.
    (0x00f3_fcd8, 256),
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut dump = FIXTURE.to_vec();
    let mut rest = data;
    for (addr, n) in PLACES {
        let (now, later) = rest.split_at(n.min(rest.len()));
        patch(&mut dump, addr, now);
        rest = later;
    }
    let file = coroner_dump::DumpFile::from_bytes("fuzz.dmp", dump);
    let Ok(snap) = file.snapshot() else {
        return;
    };
    let a = coroner_analysis::analyze(&snap, &Default::default());
    let outcomes = vec![coroner_report::Outcome::Done(Box::new(a))];
    let _ = coroner_report::text::render(&outcomes, coroner_report::phrase::Lang::En);
    let _ = coroner_report::json::render(&outcomes);
    let mut s = coroner_shell::Session::new(&snap);
    let mut out = Vec::new();
    let script = format!("!locks; !locks -v; !cs {STOCK:x}; !cs {LEDGER:x}; !analyze -hang");
    let _ = s.run_script(&script, &mut out);
    assert_eq!(s.internal_errors, 0, "shell internal error");
});
