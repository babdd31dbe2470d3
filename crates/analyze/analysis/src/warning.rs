//! What the loader and the analyses noticed but could live with, as typed facts: the phrasing
//! module (`coroner-report`) words them in each report language; the JSON carries its English.

use serde::Serialize;

/// One warning of an analysis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// The loader's.
    Load(coroner_model::Warning),
    /// The dump has an exception but no register context for its thread.
    NoContext,
    /// No symbol file was found for a module of the faulting stack.
    NoSymbolFile {
        /// The module.
        module: String,
        /// Where coroner looked.
        looked_in: Vec<String>,
    },
    /// More threads than the hang analysis walks.
    HangThreads {
        /// Threads in the dump.
        threads: usize,
        /// Threads walked.
        max: usize,
    },
    /// More critical sections than the hang analysis examines.
    HangLocks {
        /// Sections found.
        found: usize,
        /// Sections examined.
        max: usize,
    },
    /// A `ProcessLocksList` longer than the walk follows.
    LocksListLong {
        /// Entries followed.
        max: usize,
    },
    /// A `ProcessLocksList` that loops without returning to its start.
    LocksListLoop {
        /// Where it loops.
        at: u64,
        /// Entries the walk follows at most.
        max: usize,
    },
    /// The module-data scan for critical sections ran out of its byte budget.
    ScanBudget {
        /// Bytes scanned.
        bytes: usize,
    },
}

impl From<coroner_model::Warning> for Warning {
    fn from(w: coroner_model::Warning) -> Self {
        Warning::Load(w)
    }
}
