//! `coroner upload`: sends the dumps in folders (WER LocalDumps, DebugDiag, ProcDump output) to
//! a `coroner serve`, as a Crashpad client would; resumable (a ledger of what was sent) and
//! idempotent (the server recognises a dump it has by its SHA-256).

use crate::progress::Progress;
use coroner_server::client::{
    find_dumps, find_incident_files, find_symbol_files, sha256, symbol_body, Ledger, Sent, Uploader,
};
use std::path::{Path, PathBuf};
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
    /// Also send the event logs, IIS and HTTPERR logs, IIS configuration and Report.wer files
    /// found under the paths, as one incident the server investigates with these dumps.
    #[arg(long)]
    incident: bool,
    /// The incident's host name (default: this machine's name).
    #[arg(long, value_name = "NAME", requires = "incident")]
    host: Option<String>,
    /// The server's project the key belongs to.
    #[arg(long, default_value = "default", value_name = "NAME")]
    project: String,
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
    let mut crashes = Vec::new();
    for (i, path) in dumps.iter().enumerate() {
        progress.step(i, dumps.len(), path);
        crashes.extend(send_one(&up, &a.server, &mut ledger, path, &mut t));
    }
    progress.finish();
    if a.incident {
        let files = find_incident_files(&a.paths);
        let host = a.host.clone().or_else(host_name);
        let it = Incident {
            up: &up,
            project: &a.project,
            host: host.as_deref(),
        };
        if !it.send(&files, &crashes, &Progress::new(quiet)) {
            t.failed += 1;
        }
    }
    println!(
        "coroner upload: {} dumps found, {} sent, {} already on the server, {} failed",
        dumps.len(),
        t.sent,
        t.skipped,
        t.failed
    );
    ExitCode::from(if t.failed > 0 { 1 } else { 0 })
}

/// Sends one dump; its crash id when it is on the server.
fn send_one(
    up: &Uploader,
    server: &str,
    ledger: &mut Ledger,
    path: &PathBuf,
    t: &mut Tally,
) -> Option<String> {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("coroner upload: {}: {e}", path.display());
            t.failed += 1;
            return None;
        }
    };
    let sha = sha256(&data);
    if let Some(id) = ledger.get(server, &sha) {
        t.skipped += 1;
        return Some(id.to_string());
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
            Some(id)
        }
        Ok(Sent::Refused(status, body)) => {
            eprintln!(
                "coroner upload: {}: refused ({status}) {body}",
                path.display()
            );
            t.failed += 1;
            None
        }
        Err(e) => {
            eprintln!("coroner upload: {}: {e}", path.display());
            t.failed += 1;
            None
        }
    }
}

/// This machine's name (`COMPUTERNAME` on Windows, `HOSTNAME` or /etc/hostname elsewhere).
fn host_name() -> Option<String> {
    let env = std::env::var("COMPUTERNAME").or_else(|_| std::env::var("HOSTNAME"));
    env.ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// An incident's logs and configuration, sent beside the dumps.
struct Incident<'a> {
    up: &'a Uploader,
    project: &'a str,
    host: Option<&'a str>,
}

impl Incident<'_> {
    /// Sends the files the server does not have yet; false when one could not be sent.
    fn send(&self, files: &[PathBuf], crashes: &[String], progress: &Progress) -> bool {
        if files.is_empty() {
            println!("coroner upload: --incident: no event log, IIS log or configuration found");
            return true;
        }
        let mut shas: Vec<(String, &PathBuf)> = Vec::new();
        for f in files {
            match std::fs::read(f) {
                Ok(d) => shas.push((sha256(&d), f)),
                Err(e) => eprintln!("coroner upload: {}: {e}", f.display()),
            }
        }
        let mut set: Vec<&str> = shas.iter().map(|(s, _)| s.as_str()).collect();
        set.sort_unstable();
        set.dedup();
        let set_sha = sha256(set.join("\n").as_bytes());
        let (id, have) = match self
            .up
            .open_incident(self.project, &set_sha, self.host, crashes)
        {
            Ok(x) => x,
            Err(e) => {
                eprintln!("coroner upload: {e}");
                return false;
            }
        };
        let mut ok = shas.len() == files.len();
        let (mut sent, mut skipped) = (0, 0);
        for (i, (sha, f)) in shas.iter().enumerate() {
            progress.step(i, shas.len(), f);
            if have.contains(sha) {
                skipped += 1;
                continue;
            }
            match self.send_file(&id, f) {
                true => sent += 1,
                false => ok = false,
            }
        }
        progress.finish();
        println!(
            "coroner upload: incident {id}: {} files found, {sent} sent, {skipped} already on the \
             server, {} dumps linked",
            files.len(),
            crashes.len()
        );
        ok
    }

    fn send_file(&self, id: &str, f: &Path) -> bool {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        let r = std::fs::read(f).map_err(|e| e.to_string()).and_then(|d| {
            let name = name.unwrap_or_default();
            let sent = self.up.send_incident_file(self.project, id, &d, &name);
            sent.map_err(|e| e.to_string())
        });
        match r {
            Ok(Sent::Accepted(_)) => true,
            Ok(Sent::Refused(status, body)) => {
                eprintln!("coroner upload: {}: refused ({status}) {body}", f.display());
                false
            }
            Err(e) => {
                eprintln!("coroner upload: {}: {e}", f.display());
                false
            }
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
