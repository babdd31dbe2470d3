//! `!locks [-v]` and `!cs ADDR`: critical sections in WinDbg's layouts, from the analysis's
//! lock facts (`!locks`) or read at any address (`!cs`).

use crate::{CmdResult, Session, ShellError};
use coroner_analysis::hang::critsec::{self, Encoding};
use coroner_analysis::hang::{locks, LockFacts, LockKind};
use coroner_model::layout;
use std::fmt::Write;

/// `cohosync+8100` for an address in a module, else `+62d08100` (WinDbg's form without symbols).
fn cs_name(s: &Session<'_, '_>, a: u64) -> String {
    match s.snap.module_at(a) {
        Some(m) => format!("{}+{:x}", m.short_name(), a - m.base),
        None => format!("+{a:x}"),
    }
}

/// The encoding of the dump's sections (the analysis's, else as the analysis would decide).
fn encoding(s: &Session<'_, '_>) -> Encoding {
    s.analysis
        .hang
        .encoding
        .unwrap_or_else(|| locks::encoding(s.snap, locks::is_wine(s.snap)).0)
}

/// `!locks [-v]`: the held sections (`-v`: every section the analysis found).
pub fn locks(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let verbose = match args.trim() {
        "" => false,
        "-v" => true,
        _ => return Err(ShellError::Syntax),
    };
    if layout::for_arch(s.snap.system.arch).is_none() {
        return Err(ShellError::Message(
            "!locks reads x86 and x64 critical sections only".into(),
        ));
    }
    let h = &s.analysis.hang;
    let sections: Vec<&LockFacts> = h
        .locks
        .iter()
        .filter(|l| l.kind == LockKind::CriticalSection)
        .filter(|l| verbose || l.locked == Some(true))
        .collect();
    for l in &sections {
        lock_entry(s, l, verbose, o);
    }
    let _ = writeln!(
        o,
        "Scanned {} critical sections",
        h.locks
            .iter()
            .filter(|l| l.kind == LockKind::CriticalSection)
            .count()
    );
    Ok(())
}

fn lock_entry(s: &Session<'_, '_>, l: &LockFacts, verbose: bool, o: &mut String) {
    let Some(raw) = l.raw else { return };
    let _ = writeln!(
        o,
        "\nCritSec {} at {}",
        cs_name(s, l.address),
        s.addr(l.address)
    );
    let woken = match l.waiter_woken {
        Some(true) => "Yes",
        _ => "No",
    };
    let _ = writeln!(o, "{:<19}{woken}", "WaiterWoken");
    if l.locked == Some(true) {
        let _ = writeln!(o, "{:<19}{}", "LockCount", l.counted_waiters.unwrap_or(0));
    } else {
        let _ = writeln!(o, "{:<19}NOT LOCKED", "LockCount");
    }
    let _ = writeln!(o, "{:<19}{}", "RecursionCount", raw.recursion_count);
    let _ = writeln!(o, "{:<19}{:x}", "OwningThread", raw.owning_thread);
    match l.debug {
        Some(d) => {
            let _ = writeln!(o, "{:<19}{}", "EntryCount", d.entry_count);
            let _ = writeln!(o, "{:<19}{}", "ContentionCount", d.contention_count);
        }
        None => {
            let _ = writeln!(o, "{:<19}no debug info", "DebugInfo");
        }
    }
    if l.locked == Some(true) {
        let _ = writeln!(o, "*** Locked");
    }
    if verbose && !l.waiters.is_empty() {
        let w: Vec<String> = l.waiters.iter().map(|t| format!("{t:x}")).collect();
        let _ = writeln!(o, "{:<19}{}", "Waiters", w.join(" "));
    }
}

/// `!cs ADDR`: the section at ADDR, field by field.
pub fn cs(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let a = args.trim();
    if a.is_empty() || a.starts_with('-') {
        return Err(ShellError::Message(
            "usage: !cs ADDR (the list of held sections is !locks)".into(),
        ));
    }
    let addr = s.mask(s.eval(a)?);
    let Some(l) = layout::for_arch(s.snap.system.arch) else {
        return Err(ShellError::Message(
            "!cs reads x86 and x64 critical sections only".into(),
        ));
    };
    let Some(raw) = critsec::read(&s.snap.memory, l, addr) else {
        return Err(ShellError::Message(format!(
            "Cannot read structure field value at 0x{addr:x}: the memory is not in the dump"
        )));
    };
    let d = critsec::decode(raw.lock_count, encoding(s));
    let p = usize::from(s.ptr()) * 2;
    let _ = writeln!(o, "-----------------------------------------");
    let _ = writeln!(
        o,
        "Critical section   = 0x{addr:0p$x} ({})",
        cs_name(s, addr)
    );
    if critsec::no_debug_info(raw.debug_info, s.ptr()) {
        let _ = writeln!(
            o,
            "DebugInfo          = 0x{:0p$x} (no debug info)",
            raw.debug_info
        );
    } else {
        let _ = writeln!(o, "DebugInfo          = 0x{:0p$x}", raw.debug_info);
    }
    let _ = writeln!(o, "{}", if d.locked { "LOCKED" } else { "NOT LOCKED" });
    let _ = writeln!(o, "LockCount          = 0x{:x}", d.waiters);
    let _ = writeln!(
        o,
        "WaiterWoken        = {}",
        if d.waiter_woken { "Yes" } else { "No" }
    );
    let _ = writeln!(o, "OwningThread       = 0x{:0p$x}", raw.owning_thread);
    let _ = writeln!(o, "RecursionCount     = 0x{:x}", raw.recursion_count);
    let _ = writeln!(o, "LockSemaphore      = 0x{:x}", raw.lock_semaphore);
    let _ = writeln!(o, "SpinCount          = 0x{:0p$x}", raw.spin_count);
    Ok(())
}
