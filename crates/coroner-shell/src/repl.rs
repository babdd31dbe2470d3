//! Running a session: `-c` scripts, commands from a pipe, and the interactive REPL (rustyline:
//! line editing, in-memory history, completion of command and module names).

use crate::commands::COMMANDS;
use crate::Session;
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

/// How to take commands.
#[derive(Clone, Debug)]
pub enum ShellMode {
    /// Run these commands (`-c`) and exit.
    Script(String),
    /// Interactive when standard input is a terminal, else one command line per input line.
    Auto,
}

/// Opens `path`, runs the session, returns the process exit code (1 when the dump cannot be
/// loaded, with a one-line error naming the file on standard error; 0 otherwise).
pub fn run(path: &Path, mode: ShellMode) -> i32 {
    run_with(
        path,
        mode,
        &coroner_analysis::Options::default(),
        coroner_dump::Limits::default(),
    )
}

/// [`run`] with symbol and image sources (`--symbols`, `--images`) and limits.
pub fn run_with(
    path: &Path,
    mode: ShellMode,
    opts: &coroner_analysis::Options,
    limits: coroner_dump::Limits,
) -> i32 {
    let file = match coroner_dump::DumpFile::open_with(path, limits) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("coroner: {}: {e}", path.display());
            return 1;
        }
    };
    let snap = match file.snapshot() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("coroner: {}: {e}", path.display());
            return 1;
        }
    };
    let mut session = Session::with_options(&snap, opts);
    let stdout = std::io::stdout();
    let res = match mode {
        ShellMode::Script(cmds) => session.run_script(&cmds, &mut stdout.lock()),
        ShellMode::Auto if std::io::stdin().is_terminal() => {
            interactive(&mut session, path);
            Ok(())
        }
        ShellMode::Auto => piped(&mut session),
    };
    if let Err(e) = res {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("coroner: cannot write output: {e}");
        }
    }
    0
}

/// Commands from a non-terminal standard input, echoed after the prompt like a script.
fn piped(session: &mut Session<'_, '_>) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                writeln!(out, "(input line is not UTF-8: skipped)")?;
                continue;
            }
            Err(e) => return Err(e),
        };
        session.run_script(&line, &mut out)?;
        if session.quit {
            break;
        }
    }
    out.flush()
}

/// Completes command names and, after a command, module names (`lmvm ab<TAB>`, `x ntd<TAB>`).
struct ShellHelper {
    modules: Vec<String>,
}

impl Completer for ShellHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| c.is_whitespace() || c == ';')
            .map(|i| i + 1)
            .unwrap_or(0);
        let word = &before[start..];
        let first =
            before[..start].trim_end().is_empty() || before[..start].trim_end().ends_with(';');
        let lw = word.to_ascii_lowercase();
        let mut out: Vec<String> = if first {
            COMMANDS
                .iter()
                .map(|c| c.name.to_string())
                .filter(|c| c.to_ascii_lowercase().starts_with(&lw))
                .collect()
        } else {
            self.modules
                .iter()
                .filter(|m| m.to_ascii_lowercase().starts_with(&lw))
                .cloned()
                .collect()
        };
        out.sort();
        out.dedup();
        Ok((start, out))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}
impl Highlighter for ShellHelper {}
impl Validator for ShellHelper {}
impl Helper for ShellHelper {}

/// The interactive REPL.
fn interactive(session: &mut Session<'_, '_>, path: &Path) {
    let mut editor: Editor<ShellHelper, DefaultHistory> = match Editor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("coroner: cannot start line editing ({e}); reading plain lines");
            let _ = piped(session);
            return;
        }
    };
    let mut modules: Vec<String> = session
        .snap
        .modules
        .iter()
        .map(|m| m.short_name().to_string())
        .collect();
    modules.sort_by_key(|m| m.to_ascii_lowercase());
    modules.dedup();
    editor.set_helper(Some(ShellHelper { modules }));
    println!(
        "coroner shell: {} (.help for commands, q to quit)",
        path.display()
    );
    if session.analysis.exception.is_some() {
        println!(
            "This dump file has an exception of interest stored in it; the exception context is current (.ecxr)."
        );
    }
    loop {
        let prompt = session.prompt();
        match editor.readline(&prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let mut out = std::io::stdout().lock();
                if session.execute(&line, &mut out).is_err() {
                    break;
                }
                let _ = out.flush();
                if session.quit {
                    break;
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(_) => break,
        }
    }
}
