//! # coroner-incident
//!
//! What `coroner investigate` found, ready for the renderers: the [`model::Investigation`]
//! (serialised as the `coroner.investigation.v1` JSON document, docs/json-schema.md) and its
//! [`time`]s. coroner-investigate builds it; coroner-report presents it. Nothing here reads
//! evidence or decides anything.

pub mod model;
pub mod said;
pub mod time;

pub use model::Investigation;

use std::path::Path;

/// Last path component, for compact display.
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}
