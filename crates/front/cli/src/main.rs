//! `coroner`: finds out why a program died. A thin command line over the library crates:
//! load (coroner-dump) → analyse (coroner-analysis) → render (coroner-report).

mod investigate;
mod lang;
mod manual;
mod paint;
mod progress;
mod serve;
mod upload;

use clap::{Parser, Subcommand, ValueEnum};
use coroner_report::phrase::Lang;
use coroner_report::Outcome;
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The exit codes of `coroner analyze`, as `--help` prints them.
const ANALYZE_EXIT_CODES: &str = "\
Exit codes:
  0  every dump was analysed completely
  1  at least one dump could not be analysed at all (not a dump, unreadable, no stream directory)
  2  usage error, or the report could not be written
  3  every dump was analysed, but at least one only in part: it is damaged (a stream its
     directory names lies past the end of the file, is unreadable or zeroed); the report
     names the streams lost";

/// The exit codes of `coroner investigate`, as `--help` prints them.
const INVESTIGATE_EXIT_CODES: &str = "\
Exit codes:
  0  the report was written
  1  the report was written, but nothing among the inputs was usable evidence (no dump, event
     log, web log, IIS configuration or Report.wer)
  2  usage error, or the report could not be written";

#[derive(Parser)]
#[command(
    name = "coroner",
    version,
    // Each subcommand's man page carries the version too (and `coroner analyze -V` works).
    propagate_version = true,
    about = "Finds out why a program died, from the evidence it left behind.",
    after_help = "Exit codes of `coroner analyze`: 0 complete, 1 a dump could not be analysed, \
                  2 usage error, 3 a dump was damaged and analysed only in part; of \
                  `coroner investigate`: 0 report written, 1 no usable evidence, 2 usage error \
                  (see `coroner analyze --help`, `coroner investigate --help`)."
)]
pub(crate) struct Cli {
    /// No progress bar and no notes on stderr; errors are still printed.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Language of the report's sentences and headings: en or ko (한국어). Facts, ids, buckets
    /// and JSON are the same in every language. Default: from LC_ALL, LC_MESSAGES or LANG (on
    /// Windows, the user's display language), else English.
    #[arg(long, global = true, value_name = "en|ko", value_parser = lang::parse)]
    lang: Option<coroner_report::phrase::Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
    /// One self-contained page (no scripts, no network), each dump a printed page.
    Html,
}

#[derive(Subcommand)]
enum Command {
    /// Root-cause analysis of crash dumps (Windows minidumps of any kind; Breakpad/Crashpad dumps
    /// from Linux, macOS and Android; plain or .gz/.xz/.zip/.cab).
    #[command(after_help = ANALYZE_EXIT_CODES)]
    Analyze(AnalyzeArgs),
    /// One incident report from everything a dead web server left: crash dumps, Windows event
    /// logs (EVTX/EVT/XML), IIS W3C and HTTPERR logs, IIS configuration, Report.wer — found by
    /// content in the folders (searched recursively) and files given.
    #[command(after_help = INVESTIGATE_EXIT_CODES)]
    Investigate(InvestigateArgs),
    /// WinDbg's commands over a dump, on any OS: an interactive shell with the prompt `0:004>`,
    /// or a script with -c "r; kb; !address 03900010" (commands also read from a pipe).
    Shell(ShellArgs),
    /// Prints a completion script for a shell, e.g.
    /// `coroner completions bash > ~/.local/share/bash-completion/completions/coroner`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Prints the manual page (roff), e.g. `coroner man | man -l -` or
    /// `coroner man > /usr/local/share/man/man1/coroner.1`.
    Man {
        /// A subcommand whose own page to print (coroner-analyze(1), …); without it, coroner(1).
        subcommand: Option<String>,
    },
    /// A crash-collection server: Breakpad/Crashpad and Sentry clients upload minidumps, which
    /// are analysed, grouped by bucket and shown in a web UI and a JSON API. Embedded (SQLite
    /// and files under --data) by default; fleet mode with --database postgres://….
    Serve(serve::ServeArgs),
    /// Analyses the uploads of a fleet-mode server (the queue in --database, dumps in --store).
    Worker(serve::WorkerArgs),
    /// Sends the dumps in folders (WER LocalDumps, DebugDiag, ProcDump output) to a
    /// `coroner serve`, the way a Crashpad client does; resumable and idempotent.
    Upload(upload::UploadArgs),
}

#[derive(clap::Args)]
struct AnalyzeArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// The same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Analyse as a hang dump: thread states, locks and the hang findings, even beside an
    /// exception (a dump without one is a hang dump anyway).
    #[arg(long)]
    hang: bool,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    sources: Sources,
    /// Dump files.
    #[arg(required = true)]
    dumps: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct InvestigateArgs {
    /// Output format: text, json, markdown or html.
    #[arg(long, default_value = "text", value_parser = ["text", "json", "markdown", "html"])]
    format: String,
    /// The same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    sources: Sources,
    /// Also read this server's standard places, read-only: the System and Application event
    /// logs, IIS's configuration and W3C logs (where it puts them), HTTPERR, WER reports and
    /// LocalDumps folders, DebugDiag's output. On Windows ROOT defaults to the system drive;
    /// elsewhere give where a server's system drive is mounted (`--local /mnt/c`).
    #[arg(long, value_name = "ROOT", num_args = 0..=1)]
    local: Option<Option<PathBuf>>,
    /// Folders and files.
    #[arg(required_unless_present = "local")]
    paths: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct ShellArgs {
    /// Commands to run, separated by `;` (as `cdb -z DUMP -c`); the shell exits after them.
    #[arg(short = 'c', long = "commands")]
    commands: Option<String>,
    /// Analyse as a hang dump: thread states, locks and the hang findings, even beside an
    /// exception (a dump without one is a hang dump anyway).
    #[arg(long)]
    hang: bool,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    sources: Sources,
    /// Dump file.
    dump: PathBuf,
}

/// Where symbols and images come from (analyze, shell, investigate).
#[derive(clap::Args)]
struct Sources {
    /// Folder of EXE/DLL files from the crashed machine, used for modules whose images are
    /// not in the dump (exports, version resources, x64/ARM64 unwind data). Repeatable.
    #[arg(long = "images", value_name = "PATH")]
    images: Vec<PathBuf>,
    /// Symbol path, WinDbg syntax: folders, SymStore and Breakpad stores,
    /// `srv*CACHE*https://server` (repeatable; added to _NT_SYMBOL_PATH).
    #[arg(long = "symbols", value_name = "PATH")]
    symbols: Vec<String>,
    /// Where downloaded and parsed symbols are cached (default: ~/.cache/coroner/symbols).
    #[arg(long = "symbol-cache", value_name = "DIR")]
    symbol_cache: Option<PathBuf>,
    /// Never contact symbol servers.
    #[arg(long)]
    no_network: bool,
}

/// Bounds on the work one input may cause; the defaults suit any real input (hitting one is
/// reported in the output), these flags raise them.
#[derive(clap::Args)]
struct LimitArgs {
    /// Most frames walked per stack.
    #[arg(long, default_value_t = 1024)]
    max_frames: usize,
    /// Most entries read from each list in a dump (threads, modules, memory ranges, regions,
    /// handles).
    #[arg(long, default_value_t = coroner_dump::Limits::default().max_list)]
    max_list: usize,
    /// Largest size a compressed dump (.gz/.xz/.zip/.cab) may unpack to: bytes, or with a
    /// K/M/G suffix.
    #[arg(long, value_name = "SIZE", default_value = "8G", value_parser = parse_size)]
    max_unpacked: u64,
    /// Largest symbol file read or downloaded (PDB, .sym): bytes, or with a K/M/G suffix.
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    max_symbol_file: u64,
}

impl LimitArgs {
    fn dump(&self) -> coroner_dump::Limits {
        coroner_dump::Limits {
            max_unpacked: self.max_unpacked,
            max_list: self.max_list.max(1),
        }
    }
}

/// `4096`, `64K`, `512M`, `8G` (binary units; a trailing `B`/`iB` is accepted).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a size: {s:?} (e.g. 4096, 512M, 8G)"))?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size too large: {s}"))
}

impl Sources {
    /// Analysis options with these sources and limits.
    fn options(self, limits: &LimitArgs) -> coroner_analysis::Options {
        let mut opts = coroner_analysis::Options::default();
        opts.limits.max_frames = limits.max_frames.max(1);
        opts.symbols = symbol_setup(
            &self.symbols,
            self.symbol_cache,
            self.no_network,
            limits.max_symbol_file,
        );
        if !self.images.is_empty() {
            opts.images = Some(std::sync::Arc::new(
                coroner_analysis::images::ImageStore::new(self.images),
            ));
        }
        opts
    }
}

/// The symbol path from `_NT_SYMBOL_PATH` and `--symbols`; `None` when there is none.
fn symbol_setup(
    args: &[String],
    cache: Option<PathBuf>,
    no_network: bool,
    max_file: u64,
) -> Option<std::sync::Arc<coroner_symbols::Symbols>> {
    let mut path = coroner_symbols::SymbolPath::from_env().unwrap_or_default();
    for a in args {
        path.extend(coroner_symbols::SymbolPath::parse(a));
    }
    if path.entries.is_empty() {
        return None;
    }
    let mut opts = coroner_symbols::Options::default();
    if cache.is_some() {
        opts.cache_dir = cache;
    }
    opts.allow_network = !no_network;
    opts.max_file_size = max_file;
    opts.max_download = max_file;
    Some(std::sync::Arc::new(coroner_symbols::Symbols::new(
        path, opts,
    )))
}

fn analyze_one(path: &Path, opts: &coroner::Options) -> Outcome {
    match coroner::open_and_analyze(path, opts) {
        Ok(a) => Outcome::Done(Box::new(a)),
        Err(e) => Outcome::Failed {
            path: path.to_path_buf(),
            error: e.source.to_string(),
            failure: Some(e.source.failure()),
        },
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every command's words come from the phrasing tables in this language.
    let lang = lang::choose(cli.lang);
    match cli.command {
        Command::Analyze(a) => analyze(a, cli.quiet, lang),
        Command::Investigate(a) => investigate(a, cli.quiet, lang),
        Command::Shell(a) => shell(a, lang),
        Command::Completions { shell } => manual::completions(shell),
        Command::Man { subcommand } => manual::man(subcommand.as_deref()),
        Command::Serve(a) => serve::serve(a),
        Command::Worker(a) => serve::worker(a),
        Command::Upload(a) => upload::upload(a, cli.quiet),
    }
}

/// `coroner investigate`.
fn investigate(a: InvestigateArgs, quiet: bool, lang: coroner_report::phrase::Lang) -> ExitCode {
    let format = if a.json { "json" } else { a.format.as_str() };
    let mut paths = a.paths.clone();
    if let Some(root) = &a.local {
        match investigate::local_places(root.as_deref(), quiet) {
            Ok(found) => paths.extend(found),
            Err(e) => {
                eprintln!("coroner investigate: {e}");
                return ExitCode::from(2);
            }
        }
    }
    investigate::main(
        &paths,
        format,
        quiet,
        a.output.as_deref(),
        a.sources.options(&a.limits),
        a.limits.dump(),
        lang,
    )
}

/// `coroner shell`: 1 when the dump cannot be opened.
fn shell(a: ShellArgs, lang: Lang) -> ExitCode {
    let mode = match a.commands {
        Some(c) => coroner_shell::ShellMode::Script(c),
        None => coroner_shell::ShellMode::Auto,
    };
    let opts = coroner::Options {
        analysis: coroner_analysis::Options {
            hang: a.hang,
            ..a.sources.options(&a.limits)
        },
        limits: a.limits.dump(),
    };
    let out = std::io::stdout();
    match coroner_shell::open_and_run(&a.dump, mode, &opts, &mut out.lock(), lang) {
        Err(coroner_shell::RunError::Open(e)) => {
            let why = coroner_report::phrase::load_failure(&e.source.failure(), lang);
            eprintln!("coroner: {}: {why}", e.path.display());
            ExitCode::from(1)
        }
        Err(coroner_shell::RunError::Output(e)) => {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("coroner: cannot write output: {e}");
            }
            ExitCode::SUCCESS
        }
        Ok(()) => ExitCode::SUCCESS,
    }
}

/// `coroner analyze`: the report on stdout (or `--output`), each failed or damaged input once
/// on stderr; the exit code of [`ANALYZE_EXIT_CODES`]. The report's words are in `lang`; the
/// JSON document is the same in every language.
fn analyze(a: AnalyzeArgs, quiet: bool, lang: Lang) -> ExitCode {
    let opts = coroner::Options {
        analysis: coroner_analysis::Options {
            hang: a.hang,
            ..a.sources.options(&a.limits)
        },
        limits: a.limits.dump(),
    };
    let bar = progress::Progress::new(quiet || a.dumps.len() < 2);
    let outcomes = analyze_all(&a.dumps, &opts, &bar);
    bar.finish();
    let format = if a.json { Format::Json } else { a.format };
    let text = match format {
        Format::Text if a.output.is_none() && paint::wanted() => {
            paint::text(&coroner_report::text::render(&outcomes, lang))
        }
        Format::Text => coroner_report::text::render(&outcomes, lang),
        Format::Markdown => coroner_report::markdown::render(&outcomes, lang),
        Format::Json => coroner_report::json::render(&outcomes),
        Format::Html => coroner_report::html::render(&outcomes, lang),
    };
    let res = match &a.output {
        Some(o) => std::fs::write(o, text.as_bytes()),
        None => std::io::stdout().lock().write_all(text.as_bytes()),
    };
    if let Err(e) = res {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("coroner: cannot write the report: {e}");
            return ExitCode::from(2);
        }
    }
    tell_problems(&outcomes, lang);
    ExitCode::from(exit_code(&outcomes))
}

/// Each dump is independent: analysed in parallel; a panic in one (a bug) becomes that file's
/// error, not the end of the batch.
fn analyze_all(
    dumps: &[PathBuf],
    opts: &coroner::Options,
    bar: &progress::Progress,
) -> Vec<Outcome> {
    let guarded = |p: &PathBuf| {
        let o = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyze_one(p, opts)))
            .unwrap_or_else(|_| {
                let failure = coroner_dump::LoadFailure::Internal;
                Outcome::Failed {
                    path: p.clone(),
                    error: coroner_report::phrase::load_failure(&failure, Lang::En),
                    failure: Some(failure),
                }
            });
        bar.inc(dumps.len(), p);
        o
    };
    // One file: no thread pool to start. Several: in parallel.
    if dumps.len() == 1 {
        dumps.iter().map(guarded).collect()
    } else {
        dumps.par_iter().map(guarded).collect()
    }
}

/// One line on stderr per input that failed (why, in `lang`) or was analysed only in part.
fn tell_problems(outcomes: &[Outcome], lang: Lang) {
    for o in outcomes {
        match o {
            Outcome::Failed {
                path,
                error,
                failure,
            } => eprintln!(
                "coroner: {}: {}",
                path.display(),
                coroner_report::phrase::failed(error, failure.as_ref(), lang)
            ),
            Outcome::Done(a) if !a.complete() => eprintln!(
                "coroner: {}: {}",
                a.path.display(),
                coroner_report::phrase::damaged_note(a, lang)
            ),
            Outcome::Done(_) => {}
        }
    }
}

/// 0 every dump analysed completely, 1 one could not be analysed at all, 3 every dump
/// analysed but one only in part (damaged); see [`ANALYZE_EXIT_CODES`].
fn exit_code(outcomes: &[Outcome]) -> u8 {
    match outcomes
        .iter()
        .map(Outcome::analysis)
        .collect::<Option<Vec<_>>>()
    {
        None => 1,
        Some(done) if done.iter().any(|a| !a.complete()) => 3,
        Some(_) => 0,
    }
}
