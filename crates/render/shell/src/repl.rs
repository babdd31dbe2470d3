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

/// Why [`open_and_run`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The dump could not be opened or read (the error names the file).
    #[error("{0}")]
    Open(#[from] coroner::FileError),
    /// Writing the output (or reading standard input) failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

/// Opens the dump at `path` through the front door and runs a session on it (see [`run`]),
/// coroner's own words in `lang`.
pub fn open_and_run(
    path: &Path,
    mode: ShellMode,
    opts: &coroner::Options,
    out: &mut dyn Write,
    lang: coroner_report::phrase::Lang,
) -> Result<(), RunError> {
    let file = coroner::open(path, opts.limits)?;
    let snap = coroner::snapshot(&file)?;
    let mut session = Session::with_options(&snap, &opts.analysis);
    session.lang = lang;
    Ok(run(&mut session, mode, path, out)?)
}

/// Runs `session` the way `mode` says, writing every command's output to `out`: a `-c`
/// script, the interactive REPL when standard input is a terminal, else one command line per
/// input line. `title` names the dump in the REPL's greeting. Errors are those of writing `out`
/// (or reading standard input); the caller reports them.
pub fn run(
    session: &mut Session<'_, '_>,
    mode: ShellMode,
    title: &Path,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match mode {
        ShellMode::Script(cmds) => session.run_script(&cmds, out),
        ShellMode::Auto if std::io::stdin().is_terminal() => interactive(session, title, out),
        ShellMode::Auto => piped(session, out),
    }
}

/// Commands from a non-terminal standard input, echoed after the prompt like a script.
fn piped(session: &mut Session<'_, '_>, out: &mut dyn Write) -> std::io::Result<()> {
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                writeln!(out, "(input line is not UTF-8: skipped)")?;
                continue;
            }
            Err(e) => return Err(e),
        };
        session.run_script(&line, out)?;
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
fn interactive(
    session: &mut Session<'_, '_>,
    title: &Path,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut editor: Editor<ShellHelper, DefaultHistory> = match Editor::new() {
        Ok(e) => e,
        Err(e) => {
            writeln!(out, "(cannot start line editing: {e}; reading plain lines)")?;
            return piped(session, out);
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
    writeln!(
        out,
        "coroner shell: {} (.help for commands, q to quit)",
        title.display()
    )?;
    if session.analysis.exception.is_some() {
        writeln!(
            out,
            "This dump file has an exception of interest stored in it; the exception context is current (.ecxr)."
        )?;
    }
    out.flush()?;
    loop {
        let prompt = session.prompt();
        match editor.readline(&prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                session.execute(&line, out)?;
                out.flush()?;
                if session.quit {
                    return Ok(());
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(_) => return Ok(()),
        }
    }
}
