//! Progress on long work (many dumps, big evidence folders), on stderr through indicatif: drawn
//! only when stderr is a terminal, never with `--quiet`, cleared when the work ends.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar on stderr, hidden when stderr is not a terminal or `quiet` is set.
    pub fn new(quiet: bool) -> Progress {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        if let Ok(style) =
            ProgressStyle::with_template("[{bar:30}] {pos}/{len} {elapsed:>3} {wide_msg}")
        {
            bar.set_style(style.progress_chars("#>-"));
        }
        Progress { bar }
    }

    /// `n` of `total` steps done; `what` names the last.
    pub fn step(&self, n: usize, total: usize, what: &Path) {
        self.bar.set_length(total as u64);
        self.bar.set_position(n as u64);
        self.bar.set_message(what.display().to_string());
    }

    /// One more step done of `total`; `what` names it.
    pub fn inc(&self, total: usize, what: &Path) {
        self.bar.set_length(total as u64);
        self.bar.inc(1);
        self.bar.set_message(what.display().to_string());
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
