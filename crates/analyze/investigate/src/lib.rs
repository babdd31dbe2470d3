//! # coroner-investigate
//!
//! `coroner investigate`: one incident report from everything a dead web server left behind —
//! crash dumps, Windows event logs (EVTX/EVT/XML), IIS W3C and HTTPERR logs, IIS configuration
//! (`MetaBase.xml`, `applicationHost.config`) and WER `Report.wer` files, all recognised by
//! content ([`evidence`]). The small formats among them (IIS configuration, `Report.wer`,
//! dump-file names, pool-name rules) are read by `coroner-iis`.
//!
//! [`correlate`] matches each dump to its process-termination events (PID, process, time),
//! counts crashes known only from events, builds per-pool crash timelines, detects rapid-fail
//! episodes (from W3SVC 1002 / WAS 5002, or predicted from crash frequency against the pool's
//! threshold) with their restore time, and measures the impact from the web logs (503s per
//! reason, requests in flight when each worker died). [`capture`] decides whether a dump is a
//! crash (second-chance by name or content) or a snapshot of a live process; HTTPERR's
//! `+`-encoded queue names are matched to the pools the other evidence names
//! (`coroner_iis::poolname`; rules: docs/investigate.md). [`verdict`] writes DebugDiag-style
//! Error/Warning/Information rows. The [`model::Investigation`] (crate coroner-incident) is
//! presented by `coroner_report::investigate` as text, Markdown, JSON
//! (`coroner.investigation.v1`) or a self-contained HTML page. Nothing here prints or chooses an exit code: the `coroner` command line
//! does, and draws the progress this crate reports through [`Options::progress`].

pub mod capture;
pub mod correlate;
pub mod evidence;
pub mod verdict;

pub use coroner_incident::{model, time, Investigation};

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Told after each file is read: how many are done, of how many, and which file. Called from
/// the reading threads, in any order.
pub type OnFile = dyn Fn(usize, usize, &Path) + Send + Sync;

/// Options of a run.
#[derive(Clone, Default)]
pub struct Options {
    pub analysis: coroner_analysis::Options,
    /// Bounds on loading each dump (unpacked size, list lengths).
    pub dump_limits: coroner_dump::Limits,
    /// Progress, for a caller that shows it (the command line draws a bar).
    pub progress: Option<Arc<OnFile>>,
}

/// Why there is no investigation.
#[derive(Debug, thiserror::Error)]
pub enum InvestigateError {
    #[error("no input: give folders or files")]
    NoInput,
}

/// Reads the evidence under `paths` and correlates it. Fails only without paths: unreadable
/// files are listed in [`Investigation::skipped`], damage in [`Investigation::warnings`].
pub fn investigate(paths: &[PathBuf], opts: &Options) -> Result<Investigation, InvestigateError> {
    if paths.is_empty() {
        return Err(InvestigateError::NoInput);
    }
    let ev = evidence::load(paths, opts);
    Ok(correlate::investigate(paths, ev))
}
