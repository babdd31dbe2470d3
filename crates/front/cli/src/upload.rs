//! `coroner upload`: sends the dumps in folders (WER LocalDumps, DebugDiag, ProcDump output) to
//! a `coroner serve`, as a Crashpad client would; resumable (a ledger of what was sent) and
//! idempotent (the server recognises a dump it has by its SHA-256).

use crate::progress::Progress;
use coroner_server::client::{
    find_dumps, find_symbol_files, sha256, symbol_body, Ledger, Sent, Uploader,
};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct UploadArgs {
    /// The server's address.
    #[arg(long, default_value = "http://127.0.0.1:8180", value_name = "URL")]
    server: String,
    /// The ingest key (the contents of the server's DIR/ingest-key); default: the
    /// CORONER_INGEST_KEY environment variable.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,
    /// The ledger of dumps already sent (default: ~/.cache/coroner/uploads.tsv).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Send symbol files instead of dumps: Breakpad `.sym`, PDB, or a zip of a SymStore tree
    /// (folders are searched for them; a file at `name.pdb/ID/name.pdb` goes with its place
    /// in the tree). The server reprocesses the crashes that lacked them. Needs --token.
    #[arg(long)]
    symbols: bool,
    /// The admin token (the contents of the server's DIR/admin-token), for --symbols;
    /// default: the CORONER_ADMIN_TOKEN environment variable.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Dump files and folders (searched recursively; dumps recognised by content).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

fn default_state() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("coroner/uploads.tsv")
}

#[derive(Default)]
struct Tally {
    sent: usize,
    skipped: usize,
    failed: usize,
}

/// `coroner upload`: 0 when every dump is on the server, 1 when one was refused or could not
/// be sent, 2 on a usage error.
pub(crate) fn upload(a: UploadArgs, quiet: bool) -> ExitCode {
    if a.symbols {
        return upload_symbols(a, quiet);
    }
    let Some(key) = a.key.or_else(|| std::env::var("CORONER_INGEST_KEY").ok()) else {
        eprintln!("coroner upload: --key KEY (or CORONER_INGEST_KEY) is required");
        return ExitCode::from(2);
    };
    let state = a.state.unwrap_or_else(default_state);
    let mut ledger = match Ledger::open(&state) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("coroner upload: {e}");
            return ExitCode::from(2);
        }
    };
    let dumps = find_dumps(&a.paths);
    let up = Uploader::new(&a.server, &key);
    let progress = Progress::new(quiet);
    let mut t = Tally::default();
    for (i, path) in dumps.iter().enumerate() {
        progress.step(i, dumps.len(), path);
        send_one(&up, &a.server, &mut ledger, path, &mut t);
    }
    progress.finish();
    println!(
        "coroner upload: {} dumps found, {} sent, {} already on the server, {} failed",
        dumps.len(),
        t.sent,
        t.skipped,
        t.failed
    );
    ExitCode::from(if t.failed > 0 { 1 } else { 0 })
}

fn send_one(up: &Uploader, server: &str, ledger: &mut Ledger, path: &PathBuf, t: &mut Tally) {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("coroner upload: {}: {e}", path.display());
            t.failed += 1;
            return;
        }
    };
    let sha = sha256(&data);
    if ledger.get(server, &sha).is_some() {
        t.skipped += 1;
        return;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match up.upload(&data, &name) {
        Ok(Sent::Accepted(id)) => {
            println!("{}: bp-{id}", path.display());
            if let Err(e) = ledger.record(server, &sha, &id) {
                eprintln!("coroner upload: {e}");
            }
            t.sent += 1;
        }
        Ok(Sent::Refused(status, body)) => {
            eprintln!(
                "coroner upload: {}: refused ({status}) {body}",
                path.display()
            );
            t.failed += 1;
        }
        Err(e) => {
            eprintln!("coroner upload: {}: {e}", path.display());
            t.failed += 1;
        }
    }
}

/// `coroner upload --symbols`: 0 when every symbol file was stored, 1 when one was refused or
/// could not be sent, 2 on a usage error.
fn upload_symbols(a: UploadArgs, quiet: bool) -> ExitCode {
    let Some(token) = a
        .token
        .or_else(|| std::env::var("CORONER_ADMIN_TOKEN").ok())
    else {
        eprintln!("coroner upload --symbols: --token TOKEN (or CORONER_ADMIN_TOKEN) is required");
        return ExitCode::from(2);
    };
    let files = find_symbol_files(&a.paths);
    let up = Uploader::new(&a.server, "");
    let progress = Progress::new(quiet);
    let mut t = Tally::default();
    for (i, path) in files.iter().enumerate() {
        progress.step(i, files.len(), path);
        let sent = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|data| {
                up.upload_symbols(&token, &symbol_body(path, data))
                    .map_err(|e| e.to_string())
            });
        match sent {
            Ok((200, answer)) => {
                println!("{}: {answer}", path.display());
                t.sent += 1;
            }
            Ok((status, answer)) => {
                eprintln!(
                    "coroner upload: {}: refused ({status}) {answer}",
                    path.display()
                );
                t.failed += 1;
            }
            Err(e) => {
                eprintln!("coroner upload: {}: {e}", path.display());
                t.failed += 1;
            }
        }
    }
    progress.finish();
    println!(
        "coroner upload: {} symbol files found, {} stored, {} failed",
        files.len(),
        t.sent,
        t.failed
    );
    ExitCode::from(if t.failed > 0 { 1 } else { 0 })
}
