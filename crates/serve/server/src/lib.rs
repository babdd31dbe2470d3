//! # coroner-server
//!
//! `coroner serve` and `coroner worker`: a crash-collection server. Breakpad/Crashpad
//! (`POST /submit`) and Sentry-style (`POST /api/<project>/minidump/`) clients upload
//! minidumps; workers analyse them with the same front door as `coroner analyze`
//! ([`coroner::analyze_file`]); crashes are grouped by coroner's bucket and shown in a
//! server-rendered web UI and a JSON API behind an admin token or login.
//!
//! Embedded mode keeps metadata in SQLite (WAL) and dumps as files under `--data DIR`; fleet
//! mode keeps metadata and the job queue in PostgreSQL and dumps in a directory or an object
//! store, with any number of ingest-only servers and workers. Nothing here prints or exits: the
//! binary reads the [`Started`] facts and the log (the `log` facade).

pub mod blobs;
pub mod client;
pub mod db;
pub mod incidents;
pub mod ingest;
pub mod symbols;
pub mod users;
mod web;
pub mod worker;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use web::router;

/// Why the server could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("database: {0}")]
    Database(String),
    #[error("dump store: {0}")]
    Store(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
}

/// The folder under `--data DIR` where uploads are written while they stream in (random
/// names; each file is moved to the store or removed when its request ends).
pub const INCOMING: &str = "incoming";

/// Where metadata lives.
#[derive(Clone, Debug)]
pub enum Database {
    /// `DIR/coroner.sqlite3` (embedded mode).
    Sqlite,
    /// A `postgres://` URL (fleet mode).
    Postgres(String),
}

/// How `coroner serve` / `coroner worker` run.
#[derive(Clone)]
pub struct Config {
    /// `--data DIR`: keys, the SQLite file and (embedded) the dumps.
    pub data: PathBuf,
    pub database: Database,
    /// `--store DIR|s3://bucket/prefix`; `None`: `DIR/dumps` under `--data`.
    pub store: Option<String>,
    /// Largest request body accepted (compressed or not), and largest dump once unpacked.
    pub max_body: usize,
    /// Analysis workers inside `serve` (0 with `--ingest-only`).
    pub workers: usize,
    /// Times a dump is claimed before it is marked failed.
    pub max_attempts: i64,
    /// Seconds one analysis may take before it counts as hung.
    pub analysis_timeout: u64,
    /// Seconds a claim holds a job before another worker may take it over (renewed while the
    /// analysis runs).
    pub lease_secs: i64,
    /// This process's name in the queue (`host:pid`), shown as a crash's `worker`.
    pub worker_id: String,
    /// Queue depth over which uploads are accepted and dropped (counted as `dropped`).
    pub max_queued: i64,
    /// `--keep-days`: dumps older than this are deleted (their counts stay).
    pub keep_days: Option<u64>,
    /// Analysis options (symbol path, images, walk limits) and loader limits.
    pub analysis: coroner::Options,
}

impl Config {
    /// Embedded-mode defaults for `--data DIR`.
    pub fn embedded(data: impl Into<PathBuf>) -> Self {
        Config {
            data: data.into(),
            database: Database::Sqlite,
            store: None,
            max_body: 512 << 20,
            workers: 1,
            max_attempts: 3,
            analysis_timeout: 120,
            lease_secs: 30,
            worker_id: worker_id(),
            max_queued: 1_000_000,
            keep_days: None,
            analysis: coroner::Options::default(),
        }
    }
}

/// Shared state of a running server or worker.
#[derive(Clone)]
pub struct Shared {
    pub config: Arc<Config>,
    pub db: db::Db,
    pub blobs: blobs::Blobs,
    /// Ingest key → project.
    pub keys: Arc<std::collections::BTreeMap<String, String>>,
    pub admin_token: Arc<String>,
    /// Woken when a crash is queued (embedded mode's workers wait on it).
    pub queued: Arc<tokio::sync::Notify>,
    /// Queue depth as last counted (for accept-and-drop throttling).
    pub depth: Arc<std::sync::atomic::AtomicI64>,
    /// The server's symbol folder and the workers' symbol lookup.
    pub symbols: Arc<symbols::Lookup>,
}

/// What starting found or created, for the binary to tell.
#[derive(Debug, Clone)]
pub struct Started {
    pub data: PathBuf,
    pub ingest_key_file: PathBuf,
    pub admin_token_file: PathBuf,
    /// True when this process created the project and keys.
    pub created: bool,
}

/// `host:pid` of this process.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{}:{}", host.trim(), std::process::id())
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ServeError + '_ {
    move |source| ServeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens the database and the dump store; the first process migrates and writes the keys.
pub async fn open(config: Config) -> Result<(Shared, Started), ServeError> {
    let incoming = config.data.join(INCOMING);
    std::fs::create_dir_all(&incoming).map_err(io_err(&incoming))?;
    remove_stale(&incoming);
    let db = match &config.database {
        Database::Sqlite => {
            db::Db::Sqlite(db::SqliteDb::open(&config.data.join("coroner.sqlite3"))?)
        }
        Database::Postgres(url) => db::Db::Postgres(db::PgDb::connect(url, 4).await?),
    };
    let (key, admin, created) = db.init().await?;
    let started = write_keys(&config.data, &key, &admin, created)?;
    let blobs = blobs::Blobs::open(&config)?;
    let keys = db.keys().await?;
    // With a local store (shared by every process of a fleet, as the dumps are) the symbols
    // live in it; with an object store, in this process's data folder, synced from the store.
    let sym_dir = blobs
        .local_path("symbols")
        .unwrap_or_else(|| config.data.join("symbols"));
    std::fs::create_dir_all(&sym_dir).map_err(io_err(&sym_dir))?;
    let lookup = symbols::Lookup::new(
        sym_dir,
        config.data.join("symbol-cache"),
        config.analysis.clone(),
    );
    let shared = Shared {
        config: Arc::new(config),
        db,
        blobs,
        keys: Arc::new(keys),
        admin_token: Arc::new(admin),
        queued: Arc::new(tokio::sync::Notify::new()),
        depth: Arc::new(std::sync::atomic::AtomicI64::new(0)),
        symbols: Arc::new(lookup),
    };
    Ok((shared, started))
}

/// Removes upload files left in `DIR/incoming` by a process that was killed mid-upload: those
/// older than a day (a live upload's file is younger; the folder may be shared by processes).
fn remove_stale(incoming: &Path) {
    let day = std::time::Duration::from_secs(24 * 3600);
    for e in std::fs::read_dir(incoming).into_iter().flatten().flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old && e.file_type().is_ok_and(|t| t.is_file()) {
            match std::fs::remove_file(e.path()) {
                Ok(()) => log::info!("removed a stale upload file {}", e.path().display()),
                Err(err) => log::warn!("{}: {err}", e.path().display()),
            }
        }
    }
}

/// Writes `DIR/ingest-key` and `DIR/admin-token` (mode 0600) when this process created them,
/// or when they are missing from this process's `--data DIR`.
fn write_keys(dir: &Path, key: &str, admin: &str, created: bool) -> Result<Started, ServeError> {
    let started = Started {
        data: dir.to_path_buf(),
        ingest_key_file: dir.join("ingest-key"),
        admin_token_file: dir.join("admin-token"),
        created,
    };
    for (path, value) in [
        (&started.ingest_key_file, key),
        (&started.admin_token_file, admin),
    ] {
        if created || !path.exists() {
            write_private(path, value)?;
        }
    }
    Ok(started)
}

fn write_private(path: &Path, value: &str) -> Result<(), ServeError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(io_err(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(path))?;
    }
    writeln!(f, "{value}").map_err(io_err(path))
}

/// Binds `listen` (before serving, so the binary can print the real address).
pub async fn bind(listen: &str) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: listen.to_string(),
            source,
        })
}

/// Serves HTTP on `listener` and, unless `workers` is 0, analyses in this process too; runs
/// until the listener fails.
pub async fn serve(shared: Shared, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
    let addr: SocketAddr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: "listener".into(),
        source,
    })?;
    for _ in 0..shared.config.workers {
        tokio::spawn(worker::run(shared.clone()));
    }
    tokio::spawn(worker::housekeeping(shared.clone()));
    axum::serve(listener, router(shared))
        .await
        .map_err(|source| ServeError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// `coroner worker`: `n` analysis loops and retention against the shared database and store;
/// runs until the process ends.
pub async fn work(shared: Shared, n: usize) {
    let mut tasks = Vec::new();
    for _ in 0..n.max(1) {
        tasks.push(tokio::spawn(worker::run(shared.clone())));
    }
    tokio::spawn(worker::housekeeping(shared));
    for t in tasks {
        let _ = t.await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stale_upload_files_are_removed_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (old, fresh) = (dir.path().join("upload-old"), dir.path().join("upload-new"));
        std::fs::write(&old, b"x").unwrap();
        std::fs::write(&fresh, b"y").unwrap();
        let two_days = std::time::Duration::from_secs(2 * 24 * 3600);
        let f = std::fs::File::options().write(true).open(&old).unwrap();
        f.set_modified(std::time::SystemTime::now() - two_days)
            .unwrap();
        super::remove_stale(dir.path());
        assert!(!old.exists());
        assert!(fresh.exists());
    }
}
