//! # coroner-dump
//!
//! The *evidence loader* for crash dumps: [`DumpFile::open`] memory-maps a dump (or decompresses a
//! `.gz`/`.xz`/`.zip`/`.cab` container as users receive them) and [`DumpFile::snapshot`] turns it
//! into a [`coroner_model::Snapshot`] using rust-minidump's `minidump` crate for the format.
//!
//! Nothing here interprets the crash; that is the analyses' job. Problems the loader can live
//! with (a damaged optional stream, a PEB that is not in the dump) become `warnings`; problems it
//! cannot (not a dump, truncated header) become a [`LoadError`] that names what is wrong.

mod container;
mod convert;
mod damage;
mod english;
mod windows;

pub use container::{Container, DumpFile, Limits};
pub use coroner_model::{Corrupt, IoReason, LoadFailure, NotADump, UnpackCause};
use std::path::PathBuf;

/// Why a file could not be loaded, with the facts typed ([`LoadError::failure`] gives them as
/// a [`LoadFailure`] for the reports, which word it in each language). The `Display` text is a
/// one-line English explanation for the user, the same words as the phrasing module's English.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// Zero bytes.
    #[error("file is empty (0 bytes)")]
    Empty,
    /// Some other kind of file.
    #[error("not a minidump: {}", english::not_a_dump(.0))]
    NotADump(NotADump),
    /// A minidump that cannot be parsed.
    #[error("corrupt or truncated minidump: {}", english::corrupt(.0))]
    Corrupt(Corrupt),
    /// A compressed container that could not be unpacked.
    #[error(
        "cannot unpack {container} file: {}",
        english::unpack(container, cause)
    )]
    Unpack {
        /// Container kind (gzip, xz, zip, cab).
        container: &'static str,
        /// What went wrong.
        cause: UnpackCause,
    },
}

impl LoadError {
    /// The typed facts of this failure, for the reports and the JSON's `failure`.
    pub fn failure(&self) -> LoadFailure {
        match self {
            LoadError::Io(e) => LoadFailure::Unreadable {
                reason: IoReason::of(e.kind()),
                os_error: e.to_string(),
            },
            LoadError::Empty => LoadFailure::Empty,
            LoadError::NotADump(n) => LoadFailure::NotADump(n.clone()),
            LoadError::Corrupt(c) => LoadFailure::Corrupt(c.clone()),
            LoadError::Unpack { container, cause } => LoadFailure::Unpack {
                container: container.to_string(),
                cause: cause.clone(),
            },
        }
    }
}

/// An error together with the file it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct FileError {
    /// The input file.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: LoadError,
}
