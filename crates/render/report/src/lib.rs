//! # coroner-report
//!
//! The *renderers* stage: presents [`coroner_analysis::Analysis`] values. Nothing here decides
//! anything; the words of findings come from one place, [`phrase`].
//!
//! - [`phrase`]: typed findings into sentences (title, description, recommendation, evidence).
//! - [`text`]: verdict first, then the evidence in the layouts WinDbg users know
//!   (`.exr -1`, `r`, `!address`, `kb`, `~`, `lm`, `lmvm`).
//! - [`markdown`]: the same for tickets.
//! - [`json`]: the versioned `coroner.analysis.v1` document (see `docs/json-schema.md`).
//! - [`investigate`]: the incident report of `coroner investigate` ([`coroner_incident`]) as
//!   text, Markdown, JSON (`coroner.investigation.v1`) and a self-contained HTML page.

pub mod html;
pub mod investigate;
pub mod json;
pub mod markdown;
pub mod phrase;
pub mod text;
pub mod time;
pub mod windbg;

use coroner_analysis::Analysis;
use std::path::PathBuf;

/// The outcome for one input file.
pub enum Outcome {
    /// Analysed.
    Done(Box<Analysis>),
    /// Could not be analysed: the message says why.
    Failed {
        /// The input.
        path: PathBuf,
        /// One-line reason, in English (the JSON's `error`).
        error: String,
        /// The typed cause, when the loader gave one: the reports word it in their language
        /// ([`phrase::failed`]) and the JSON adds it as `failure`. `None`: `error` is all there is.
        failure: Option<coroner_model::LoadFailure>,
    },
}

impl Outcome {
    /// The input path.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Outcome::Done(a) => &a.path,
            Outcome::Failed { path, .. } => path,
        }
    }
    /// The analysis, if any.
    pub fn analysis(&self) -> Option<&Analysis> {
        match self {
            Outcome::Done(a) => Some(a),
            Outcome::Failed { .. } => None,
        }
    }
}

/// Groups of successful analyses by bucket, as (bucket, paths).
pub fn groups(outcomes: &[Outcome]) -> Vec<(String, Vec<PathBuf>)> {
    let done: Vec<&Analysis> = outcomes.iter().filter_map(Outcome::analysis).collect();
    coroner_analysis::group(&done)
        .into_iter()
        .map(|g| {
            (
                g.bucket,
                g.members.iter().map(|&i| done[i].path.clone()).collect(),
            )
        })
        .collect()
}
