//! Calls into third-party parsers (PDB, CAB, EVTX) that may panic on hostile input. The panic is
//! caught and becomes an error on that one file; the default hook's "thread panicked at …"
//! message is suppressed while such a call runs, because the caller reports the failure in its
//! own words. Panics elsewhere are printed as usual. In fuzzing builds (`cfg(fuzzing)`, where
//! the fuzzer's hook aborts on every panic) a contained panic whose location is in coroner's own
//! code still goes to the fuzzer — it is coroner's bug — while one inside a dependency is
//! contained as in a normal build (it is reported upstream, and the file gets an error).

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    static QUIET: Cell<u32> = const { Cell::new(0) };
}
static HOOK: Once = Once::new();

/// A panic caught by [`catch_quiet`]; it displays as the panic's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Panicked {
    /// The panic's message (`"panic"` when the payload was not a string).
    pub message: String,
}

/// Runs `f`; a panic inside it becomes `Err(Panicked)` with its message, without the panic
/// hook's output.
pub fn catch_quiet<R>(f: impl FnOnce() -> R) -> Result<R, Panicked> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = QUIET.with(Cell::get) > 0;
            let in_coroner = info.location().is_some_and(|l| is_coroner_source(l.file()));
            if !quiet || (cfg!(fuzzing) && in_coroner) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(q.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get().saturating_sub(1)));
    r.map_err(|payload| Panicked {
        message: payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into()),
    })
}

/// Whether a panic location is in coroner's own sources (workspace paths are relative,
/// `crates/<stage>/<crate>/src/…`, absolute from the fuzz workspace; dependencies have
/// registry or git-checkout paths).
fn is_coroner_source(file: &str) -> bool {
    const STAGES: [&str; 6] = ["load", "model", "analyze", "render", "front", "dev"];
    let f = file.replace('\\', "/");
    let ours = STAGES.iter().any(|s| f.contains(&format!("crates/{s}/")));
    ours && !f.contains("/registry/") && !f.contains("/git/checkouts/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_an_error_and_the_next_call_works() {
        let r: Result<u32, super::Panicked> = super::catch_quiet(|| panic!("bad table {}", 7));
        assert_eq!(r.unwrap_err().to_string(), "bad table 7");
        assert_eq!(super::catch_quiet(|| 5), Ok(5));
    }

    #[test]
    fn own_sources_are_told_from_dependencies() {
        assert!(super::is_coroner_source("crates/load/symbols/src/pdb.rs"));
        assert!(super::is_coroner_source(
            "/work/main/crates/analyze/analysis/src/findings.rs"
        ));
        assert!(!super::is_coroner_source(
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pdb2-0.9.2/src/modi/c13.rs"
        ));
    }
}
