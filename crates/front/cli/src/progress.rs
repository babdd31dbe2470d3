//! A small progress bar on stderr, drawn only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

pub struct Progress {
    enabled: bool,
    /// A step was drawn, so the line holds a bar to clear.
    drawn: AtomicBool,
    lock: Mutex<()>,
}

impl Progress {
    /// A bar, drawn when stderr is a terminal.
    pub fn new() -> Progress {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            drawn: AtomicBool::new(false),
            lock: Mutex::new(()),
        }
    }

    /// `n` of `total` steps done; `what` names the last.
    pub fn step(&self, n: usize, total: usize, what: &Path) {
        if !self.enabled || total == 0 {
            return;
        }
        let _g = self.lock.lock();
        self.drawn.store(true, Ordering::Relaxed);
        let width = 30;
        let filled = (n * width).checked_div(total).unwrap_or(width).min(width);
        let what = what.display().to_string();
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
            "\r\x1b[2K[{}{}] {n}/{total} {name}",
            "#".repeat(filled),
            " ".repeat(width - filled),
        );
        let _ = e.flush();
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if self.drawn.load(Ordering::Relaxed) {
            let _g = self.lock.lock();
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
