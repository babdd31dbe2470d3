//! # coroner
//!
//! The front door: one place that opens an input and analyses it, so the command line,
//! `investigate`, the shell and the collection server all take the same path from a file (or
//! uploaded bytes) to an [`Analysis`], under the same limits, with the same typed errors naming
//! the file. Nothing here prints or chooses an exit code.
//!
//! ```no_run
//! let a = coroner::open_and_analyze("crash.dmp".as_ref(), &coroner::Options::default())?;
//! println!("{:?}", a.bucket);
//! # Ok::<(), coroner::FileError>(())
//! ```

use std::path::Path;

pub use coroner_analysis::{analyze, Analysis};
pub use coroner_dump::{DumpFile, FileError, Limits, LoadError};
pub use coroner_model::Snapshot;

/// How to open and analyse an input.
#[derive(Clone, Default)]
pub struct Options {
    /// Symbol and image sources, walk limits.
    pub analysis: coroner_analysis::Options,
    /// Limits on what the loader reads and unpacks.
    pub limits: Limits,
}

fn file_error(path: &Path, source: LoadError) -> FileError {
    FileError {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens a dump read-only (plain, `.gz`, `.xz`, `.zip`, `.cab`), memory-mapped.
pub fn open(path: &Path, limits: Limits) -> Result<DumpFile, FileError> {
    DumpFile::open_with(path, limits).map_err(|e| file_error(path, e))
}

/// The process model of an opened dump.
pub fn snapshot(file: &DumpFile) -> Result<Snapshot<'_>, FileError> {
    file.snapshot().map_err(|e| file_error(file.path(), e))
}

/// Analyses an opened dump.
pub fn analyze_file(
    file: &DumpFile,
    opts: &coroner_analysis::Options,
) -> Result<Analysis, FileError> {
    Ok(analyze(&snapshot(file)?, opts))
}

/// Opens and analyses the dump at `path`.
pub fn open_and_analyze(path: &Path, opts: &Options) -> Result<Analysis, FileError> {
    analyze_file(&open(path, opts.limits)?, &opts.analysis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
    }

    #[test]
    fn analyses_a_dump_and_names_the_file_it_cannot_read() {
        let dump = root().join("examples/reference/w3wp-abcupload-1.dmp");
        let a = open_and_analyze(&dump, &Options::default()).unwrap();
        assert!(a
            .bucket
            .as_deref()
            .is_some_and(|b| b.contains("ABCUpload4")));

        let missing = root().join("examples/reference/no-such.dmp");
        let e = open_and_analyze(&missing, &Options::default()).unwrap_err();
        assert_eq!(e.path, missing);
        assert!(matches!(e.source, LoadError::Io(_)));
        assert!(e.to_string().starts_with(&missing.display().to_string()));

        let not_a_dump = root().join("README.md");
        let e = open_and_analyze(&not_a_dump, &Options::default()).unwrap_err();
        assert!(matches!(e.source, LoadError::NotADump(_)), "{e}");
    }
}
