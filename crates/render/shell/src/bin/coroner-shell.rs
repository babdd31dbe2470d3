//! `coroner-shell DUMP [-c CMDS]`: the shell without the rest of the `coroner` command line.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let mut dump: Option<PathBuf> = None;
    let mut commands: Option<String> = None;
    while let Some(a) = args.next() {
        if a == "-c" {
            match args.next().map(|c| c.into_string()) {
                Some(Ok(c)) => commands = Some(c),
                _ => {
                    eprintln!("coroner-shell: -c needs a command string");
                    return ExitCode::from(2);
                }
            }
        } else if dump.is_none() {
            dump = Some(PathBuf::from(a));
        } else {
            eprintln!("usage: coroner-shell DUMP [-c COMMANDS]");
            return ExitCode::from(2);
        }
    }
    let Some(dump) = dump else {
        eprintln!("usage: coroner-shell DUMP [-c COMMANDS]");
        return ExitCode::from(2);
    };
    let mode = match commands {
        Some(c) => coroner_shell::ShellMode::Script(c),
        None => coroner_shell::ShellMode::Auto,
    };
    // coroner's own words in the locale's language (LC_ALL, LC_MESSAGES, LANG), as `coroner shell`.
    let lang = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find_map(|v| coroner_report::phrase::Lang::from_locale(&v))
        .unwrap_or_default();
    let out = std::io::stdout();
    match coroner_shell::open_and_run(&dump, mode, &Default::default(), &mut out.lock(), lang) {
        Err(coroner_shell::RunError::Open(e)) => {
            let why = coroner_report::phrase::load_failure(&e.source.failure(), lang);
            eprintln!("coroner-shell: {}: {why}", e.path.display());
            ExitCode::from(1)
        }
        Err(coroner_shell::RunError::Output(e)) => {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("coroner-shell: cannot write output: {e}");
            }
            ExitCode::SUCCESS
        }
        Ok(()) => ExitCode::SUCCESS,
    }
}
