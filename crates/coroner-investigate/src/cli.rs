//! The `coroner investigate` command, callable from the `coroner` binary.

use std::io::Write;
use std::path::PathBuf;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "markdown" | "md" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            _ => Err(format!("unknown format {s} (text, json, markdown, html)")),
        }
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no input: give folders or files")]
    NoInput,
    #[error("cannot write the report to {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Renders an investigation.
pub fn render(inv: &crate::Investigation, format: Format) -> String {
    match format {
        Format::Text => crate::render::text::render(inv),
        Format::Json => crate::render::json(inv),
        Format::Markdown => crate::render::markdown::render(inv),
        Format::Html => crate::render::html::render(inv),
    }
}

/// Runs `coroner investigate`: reads `paths`, writes the report to `output` (or stdout).
/// Returns the process exit code: 0, or 1 when nothing usable was found.
pub fn run(
    paths: &[PathBuf],
    format: Format,
    output: Option<&std::path::Path>,
    analysis: coroner_analysis::Options,
    dump_limits: coroner_dump::Limits,
) -> Result<u8, Error> {
    if paths.is_empty() {
        return Err(Error::NoInput);
    }
    let opts = crate::Options {
        progress: true,
        analysis,
        dump_limits,
    };
    let inv = crate::investigate(paths, &opts);
    let text = render(&inv, format);
    let res = match output {
        Some(o) => std::fs::write(o, text.as_bytes()).map_err(|source| Error::Write {
            path: o.display().to_string(),
            source,
        }),
        None => match std::io::stdout().lock().write_all(text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Write {
                path: "standard output".into(),
                source: e,
            }),
            _ => Ok(()),
        },
    };
    res?;
    for k in &inv.skipped {
        eprintln!("coroner: skipped {}: {}", k.file.display(), k.reason);
    }
    let used = inv.dumps.len()
        + inv.event_logs.len()
        + inv.web_logs.len()
        + inv.configs.len()
        + inv.wer_reports.len();
    Ok(if used == 0 { 1 } else { 0 })
}

/// Entry point for the `coroner investigate` subcommand: parses `format`, runs, reports errors
/// on stderr. Exit codes: 0 report written, 1 no usable evidence, 2 bad arguments or the report
/// could not be written.
pub fn main(
    paths: &[PathBuf],
    format: &str,
    output: Option<&std::path::Path>,
    analysis: coroner_analysis::Options,
    dump_limits: coroner_dump::Limits,
) -> std::process::ExitCode {
    let format = match format.parse::<Format>() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("coroner investigate: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(paths, format, output, analysis, dump_limits) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("coroner investigate: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
