//! `coroner serve` and `coroner worker`: the crash-collection server (coroner-server) from the
//! command line. This file parses flags, prints where things are and logs to stderr.

use crate::{parse_size, LimitArgs, Sources};
use coroner_server::{Config, Database};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where metadata and dumps live (serve and worker).
#[derive(clap::Args)]
pub(crate) struct StoreArgs {
    /// Data folder: keys (`ingest-key`, `admin-token`), the SQLite database and, in embedded
    /// mode, the dumps. Created on first start.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Fleet mode: metadata and the job queue in PostgreSQL (`postgres://user@host/db`).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Where dumps are kept: a folder (shared by every process) or `s3://bucket/prefix`
    /// (default: `DIR/store`).
    #[arg(long, value_name = "DIR|URL")]
    store: Option<String>,
    /// Times a dump is tried before it is marked failed (a panic, a hang, a lost worker).
    #[arg(long, default_value_t = 3)]
    max_attempts: i64,
    /// Seconds one analysis may run before it counts as hung.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    analysis_timeout: u64,
    /// Seconds a worker's claim on a dump lasts without renewal (a killed worker's dump is
    /// taken over after this).
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    lease: i64,
    /// Delete dumps (and attachments) older than this many days; counts and analyses stay.
    #[arg(long, value_name = "DAYS")]
    keep_days: Option<u64>,
}

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8180", value_name = "HOST:PORT")]
    listen: String,
    /// Accept and store uploads, analyse nothing (fleet mode: `coroner worker` analyses).
    #[arg(long)]
    ingest_only: bool,
    /// Analysis workers in this process.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    /// Largest upload (body, and dump once unpacked): bytes or with a K/M/G suffix.
    #[arg(long, default_value = "512M", value_name = "SIZE", value_parser = parse_size)]
    max_upload: u64,
    /// Queue depth over which uploads are accepted and dropped (counted, shown as "dropped");
    /// never answered 429.
    #[arg(long, default_value_t = 1_000_000)]
    max_queued: i64,
    /// Add an admin user who logs in with a password (or set the password of an existing one),
    /// then exit: the password is read from standard input (asked without echo on a terminal).
    #[arg(long, value_name = "NAME")]
    add_user: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    sources: Sources,
}

#[derive(clap::Args)]
pub(crate) struct WorkerArgs {
    /// Analysis loops in this process.
    #[arg(long, default_value_t = 1)]
    workers: usize,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    sources: Sources,
}

fn config(store: StoreArgs, limits: LimitArgs, sources: Sources) -> Config {
    let mut c = Config::embedded(store.data);
    if let Some(url) = store.database {
        c.database = Database::Postgres(url);
    }
    c.store = store.store;
    c.max_attempts = store.max_attempts.max(1);
    c.analysis_timeout = store.analysis_timeout.max(1);
    c.lease_secs = store.lease.max(2);
    c.keep_days = store.keep_days;
    c.analysis = coroner::Options {
        limits: limits.dump(),
        analysis: sources.options(&limits),
    };
    c
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// `coroner serve`: exit 2 when it cannot start (bad flags, database, folder, address).
pub(crate) fn serve(a: ServeArgs) -> ExitCode {
    init_log();
    let mut c = config(a.store, a.limits, a.sources);
    c.max_body = usize::try_from(a.max_upload).unwrap_or(usize::MAX);
    c.max_queued = a.max_queued;
    c.workers = if a.ingest_only { 0 } else { a.workers };
    if let Some(name) = a.add_user {
        return add_user(c, &name);
    }
    let listen = a.listen;
    let result = runtime().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(async move {
            let (shared, started) = coroner_server::open(c).await.map_err(|e| e.to_string())?;
            let listener = coroner_server::bind(&listen)
                .await
                .map_err(|e| e.to_string())?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            tell_started(&started, Some(addr));
            coroner_server::serve(shared, listener)
                .await
                .map_err(|e| e.to_string())
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coroner serve: {e}");
            ExitCode::from(2)
        }
    }
}

/// `coroner serve --add-user NAME`: exit 2 when the password cannot be read or stored.
fn add_user(c: Config, name: &str) -> ExitCode {
    let result = read_password(name).and_then(|password| {
        let rt = runtime().map_err(|e| e.to_string())?;
        rt.block_on(async {
            let (shared, _) = coroner_server::open(c).await.map_err(|e| e.to_string())?;
            coroner_server::users::add(&shared, name, &password)
                .await
                .map_err(|e| e.to_string())
        })
    });
    match result {
        Ok(()) => {
            let _ = writeln!(std::io::stdout(), "coroner: user {name} can log in");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("coroner serve: {e}");
            ExitCode::from(2)
        }
    }
}

/// The password: asked twice without echo on a terminal, else the first line of stdin.
fn read_password(name: &str) -> Result<String, String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let again = rpassword::prompt_password("Again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != again {
            return Err("the passwords differ".into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `coroner worker`: exit 2 when it cannot start.
pub(crate) fn worker(a: WorkerArgs) -> ExitCode {
    init_log();
    if a.store.database.is_none() {
        eprintln!("coroner worker: --database postgres://… is required (workers share its queue)");
        return ExitCode::from(2);
    }
    let c = config(a.store, a.limits, a.sources);
    let n = a.workers;
    let result = runtime().map_err(|e| e.to_string()).and_then(|rt| {
        rt.block_on(async move {
            let (shared, started) = coroner_server::open(c).await.map_err(|e| e.to_string())?;
            tell_started(&started, None);
            coroner_server::work(shared, n).await;
            Ok::<(), String>(())
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coroner worker: {e}");
            ExitCode::from(2)
        }
    }
}

fn tell_started(s: &coroner_server::Started, addr: Option<std::net::SocketAddr>) {
    // Written, not println!: a server whose standard output was closed must go on serving.
    let mut lines = Vec::new();
    if s.created {
        lines.push(format!(
            "created project \"default\" in {}",
            s.data.display()
        ));
    }
    lines.push(format!("ingest key in {}", s.ingest_key_file.display()));
    lines.push(format!("admin token in {}", s.admin_token_file.display()));
    match addr {
        Some(addr) => {
            lines.push(format!(
                "listening on http://{addr}/ (log in with the admin token)"
            ));
            lines.push(format!(
                "Breakpad/Crashpad clients upload to http://{addr}/submit?key=<ingest key>, \
                 Sentry clients to http://{addr}/api/default/minidump/?sentry_key=<ingest key>"
            ));
        }
        None => lines.push("worker started".into()),
    }
    let mut out = std::io::stdout().lock();
    for l in lines {
        let _ = writeln!(out, "coroner: {l}");
    }
    let _ = out.flush();
}

/// Log lines (`LEVEL message`) on stderr; `CORONER_LOG=debug|info|warn|error` (default info).
struct StderrLog(log::LevelFilter);

impl log::Log for StderrLog {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= self.0 && m.target().starts_with("coroner")
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            eprintln!("{} {}", r.level(), r.args());
        }
    }
    fn flush(&self) {}
}

fn init_log() {
    let level = std::env::var("CORONER_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(log::LevelFilter::Info);
    let _ = log::set_boxed_logger(Box::new(StderrLog(level)));
    log::set_max_level(level);
}
