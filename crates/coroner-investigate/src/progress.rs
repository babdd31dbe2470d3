//! A small progress bar on stderr, drawn only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub struct Progress {
    total: usize,
    done: AtomicUsize,
    enabled: bool,
    lock: Mutex<()>,
}

impl Progress {
    /// A bar for `total` steps; drawn when `wanted` and stderr is a terminal.
    pub fn new(total: usize, wanted: bool) -> Progress {
        Progress {
            total,
            done: AtomicUsize::new(0),
            enabled: wanted && total > 0 && std::io::stderr().is_terminal(),
            lock: Mutex::new(()),
        }
    }

    /// One step done; `what` names it.
    pub fn step(&self, what: &str) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled {
            return;
        }
        let _g = self.lock.lock();
        let width = 30;
        let filled = (n * width)
            .checked_div(self.total)
            .unwrap_or(width)
            .min(width);
        let name: String = what
            .chars()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let mut e = std::io::stderr().lock();
        let _ = write!(
            e,
            "\r\x1b[2K[{}{}] {n}/{} {name}",
            "#".repeat(filled),
            " ".repeat(width - filled),
            self.total
        );
        let _ = e.flush();
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if self.enabled {
            let _g = self.lock.lock();
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
