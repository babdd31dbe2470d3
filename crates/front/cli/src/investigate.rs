//! `coroner investigate`: reads the paths, writes the report, reports skipped files on stderr,
//! chooses the exit code.

use crate::progress::Progress;
use coroner_report::investigate::{self as render, Format};
use coroner_report::phrase::Lang;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Why a run failed (exit code 2).
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Format(#[from] render::UnknownFormat),
    #[error(transparent)]
    Investigate(#[from] coroner_investigate::InvestigateError),
    #[error("cannot write the report to {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Runs `coroner investigate`, its report in `lang`. Exit codes: 0 report written, 1 no usable evidence, 2 bad
/// arguments or the report could not be written.
pub fn main(
    paths: &[PathBuf],
    format: &str,
    quiet: bool,
    output: Option<&Path>,
    analysis: coroner_analysis::Options,
    dump_limits: coroner_dump::Limits,
    lang: Lang,
) -> ExitCode {
    match run(paths, format, quiet, output, analysis, dump_limits, lang) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("coroner investigate: {e}");
            ExitCode::from(2)
        }
    }
}

/// Reads `paths`, writes the report to `output` (or stdout); returns the exit code, 0 or 1.
fn run(
    paths: &[PathBuf],
    format: &str,
    quiet: bool,
    output: Option<&Path>,
    analysis: coroner_analysis::Options,
    dump_limits: coroner_dump::Limits,
    lang: Lang,
) -> Result<u8, Error> {
    let format: Format = format.parse()?;
    if paths.is_empty() {
        return Err(coroner_investigate::InvestigateError::NoInput.into());
    }
    let bar = Arc::new(Progress::new(quiet));
    let tell = bar.clone();
    let opts = coroner_investigate::Options {
        analysis,
        dump_limits,
        progress: Some(Arc::new(move |n, total, p: &Path| tell.step(n, total, p))),
    };
    let inv = coroner_investigate::investigate(paths, &opts);
    bar.finish();
    let inv = inv?;
    write(&inv, format, output, lang)?;
    for k in &inv.skipped {
        let why = coroner_report::phrase::investigate::said::words(&k.reason, lang);
        let skipped = lang.pick("skipped", "건너뜀");
        eprintln!("coroner: {skipped} {}: {why}", k.file.display());
    }
    Ok(if inv.evidence_used() == 0 { 1 } else { 0 })
}

/// Writes the report; a closed pipe on stdout is not an error.
fn write(
    inv: &coroner_investigate::Investigation,
    format: Format,
    output: Option<&Path>,
    lang: Lang,
) -> Result<(), Error> {
    match output {
        Some(o) => std::fs::File::create(o)
            .and_then(|mut f| render::write(inv, format, &mut f, lang))
            .map_err(|source| Error::Write {
                path: o.display().to_string(),
                source,
            }),
        None => match render::write(inv, format, &mut std::io::stdout().lock(), lang) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
                path: "standard output".into(),
                source: e,
            }),
            _ => Ok(()),
        },
    }
}

/// The standard places that exist under `root` (`None`: this system's drive, Windows only),
/// told on stderr as they are found; an error when there is no root to look under.
pub fn local_places(root: Option<&Path>, quiet: bool) -> Result<Vec<PathBuf>, String> {
    let (root, windows) = local_root(root)?;
    let places = coroner_iis::places::standard_places(&root, windows.as_deref());
    for p in places.places.iter().filter(|_| !quiet) {
        let mark = if p.found { "reading" } else { "not found" };
        eprintln!("coroner: --local {mark}: {} ({})", p.path.display(), p.what);
    }
    for n in places.notes.iter().filter(|_| !quiet) {
        eprintln!("coroner: --local: {n}");
    }
    Ok(places.found().map(|p| p.path.clone()).collect())
}

/// The root `--local` looks under, and the Windows directory when the system says it.
fn local_root(root: Option<&Path>) -> Result<(PathBuf, Option<PathBuf>), String> {
    if let Some(root) = root {
        if !root.is_dir() {
            return Err(format!("--local {}: not a folder", root.display()));
        }
        return Ok((root.to_path_buf(), None));
    }
    if !cfg!(windows) {
        return Err("--local needs ROOT on this system: where a server's system drive is mounted (--local /mnt/c)".into());
    }
    let drive = std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into());
    let windows = std::env::var_os("SystemRoot").map(PathBuf::from);
    Ok((PathBuf::from(format!("{drive}\\")), windows))
}
