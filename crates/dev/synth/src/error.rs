//! Error type of the crate.

/// Everything that can go wrong while synthesising a dump.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A builder parameter is out of range or inconsistent.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// Two allocations of the synthetic address space overlap (usually caused by
    /// a load base / heap address parameter that collides with another region).
    #[error(
        "address space regions overlap: {a_start:#x}..{a_end:#x} and {b_start:#x}..{b_end:#x}"
    )]
    Overlap {
        /// Start of the first region.
        a_start: u64,
        /// End of the first region.
        a_end: u64,
        /// Start of the second region.
        b_start: u64,
        /// End of the second region.
        b_end: u64,
    },
    /// The simulated stack ran out of its committed/reserved space.
    #[error("stack overflow while laying out thread {0:#x}")]
    StackOverflow(u32),
    /// Internal inconsistency (a bug in the generator).
    #[error("internal layout error: {0}")]
    Layout(String),
    /// An input dump (for [`crate::normal_minidump_of`]) is not a minidump or is damaged.
    #[error("input dump: {0}")]
    BadDump(String),
    /// I/O error while writing a file.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// Path being written.
        path: String,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias.
pub type Result<T> = std::result::Result<T, SynthError>;
