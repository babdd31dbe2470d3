//! Calls into third-party parsers (PDB, CAB, EVTX) that may panic on hostile input. The panic is
//! caught and becomes an error on that one file; the default hook's "thread panicked at …"
//! message is suppressed while such a call runs, because the caller reports the failure in its
//! own words. Panics elsewhere (coroner's own bugs) are printed as usual, and fuzzing builds
//! (`cfg(fuzzing)`) print everything.

use std::cell::Cell;
use std::sync::Once;

thread_local! {
    static QUIET: Cell<u32> = const { Cell::new(0) };
}
static HOOK: Once = Once::new();

/// Runs `f`; a panic inside it becomes `Err(message)`, without the panic hook's output.
pub fn catch_quiet<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if cfg!(fuzzing) || QUIET.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(q.get() + 1));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get().saturating_sub(1)));
    r.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_becomes_an_error_and_the_next_call_works() {
        let r: Result<u32, String> = super::catch_quiet(|| panic!("bad table {}", 7));
        assert_eq!(r, Err("bad table 7".into()));
        assert_eq!(super::catch_quiet(|| 5), Ok(5));
    }
}
