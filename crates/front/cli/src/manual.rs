//! `coroner completions SHELL` and `coroner man [SUBCOMMAND]`: the completion scripts and the
//! manual pages, generated from the same clap definition as `--help`.

use crate::Cli;
use clap::CommandFactory;
use std::io::Write;
use std::process::ExitCode;

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "coroner", &mut out);
    print(&out)
}

/// Prints coroner(1), or coroner-SUBCOMMAND(1) (a built command names its subcommands so);
/// exit 2 for a subcommand that does not exist.
pub fn man(subcommand: Option<&str>) -> ExitCode {
    let mut cmd = Cli::command();
    cmd.build();
    let page = match subcommand {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => {
                eprintln!("coroner man: no subcommand {name:?}");
                return ExitCode::from(2);
            }
        },
    };
    let mut out = Vec::new();
    match clap_mangen::Man::new(page).render(&mut out) {
        Ok(()) => print(&out),
        Err(e) => {
            eprintln!("coroner man: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes `bytes` to stdout; a closed pipe is not an error, any other failure is exit 2.
fn print(bytes: &[u8]) -> ExitCode {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("coroner: cannot write output: {e}");
            ExitCode::from(2)
        }
        _ => ExitCode::SUCCESS,
    }
}
