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
mod windows;

pub use container::{Container, DumpFile, Limits};
use std::path::PathBuf;

/// Why a file could not be loaded. The `Display` text is a one-line explanation for the user.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read file: {0}")]
    Io(#[from] std::io::Error),
    /// Zero bytes.
    #[error("file is empty (0 bytes)")]
    Empty,
    /// Some other kind of file.
    #[error("not a minidump: {0}")]
    NotADump(String),
    /// A minidump that cannot be parsed.
    #[error("corrupt or truncated minidump: {0}")]
    Corrupt(String),
    /// A compressed container that could not be unpacked.
    #[error("cannot unpack {container} file: {message}")]
    Unpack {
        /// Container kind (gzip, xz, zip, cab).
        container: &'static str,
        /// What went wrong.
        message: String,
    },
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
