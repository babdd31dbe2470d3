//! The analysis loop shared by `coroner serve` and `coroner worker`: claim a job (a lease),
//! analyse the dump through the front door on a thread of its own (a panic is caught, a hang
//! times out), store the result only while the lease is held, retry a bounded number of times.

use crate::db::{CrashRow, Finished, Job};
use crate::{blobs, now, ServeError, Shared};
use coroner_report::Outcome;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Threads abandoned to a hung analysis in this process; past [`MAX_HUNG`] the process stops
/// claiming work (its leases expire and other workers, or a restart, take over).
static HUNG: AtomicUsize = AtomicUsize::new(0);
const MAX_HUNG: usize = 4;

/// Why one attempt failed.
struct Failure {
    error: String,
    /// Retrying cannot help (the file is not a dump the loader can read).
    permanent: bool,
}

/// Runs jobs until the process ends; errors are logged and retried after a pause.
pub async fn run(shared: Shared) {
    loop {
        if HUNG.load(Ordering::Relaxed) >= MAX_HUNG {
            log::error!("{MAX_HUNG} analyses hung in this process: it claims no more work");
            tokio::time::sleep(Duration::from_secs(60)).await;
            continue;
        }
        match step(&shared).await {
            Ok(true) => {}
            Ok(false) => {
                let wait = tokio::time::sleep(Duration::from_millis(500));
                tokio::select! { _ = shared.queued.notified() => {}, _ = wait => {} }
            }
            Err(e) => {
                log::error!("worker: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Claims and processes one job; false when the queue was empty.
pub async fn step(shared: &Shared) -> Result<bool, ServeError> {
    let c = &shared.config;
    let Some(job) = shared
        .db
        .claim(c.lease_secs, c.max_attempts, &c.worker_id)
        .await?
    else {
        return Ok(false);
    };
    let row = shared.db.crash(&job.id).await?.unwrap_or_default();
    let result = match dump_file(shared, &job.id).await {
        Ok((path, _tmp)) => analyse(shared, &job, path, row).await,
        Err(e) => Err(Failure {
            error: format!("the dump could not be read from the store: {e}"),
            permanent: false,
        }),
    };
    let stored = match result {
        Ok(f) => shared.db.complete(&job, f).await?,
        Err(f) => {
            log::warn!("crash {} attempt {}: {}", job.id, job.attempts, f.error);
            (shared.db)
                .fail(&job, &f.error, f.permanent, c.max_attempts)
                .await?
        }
    };
    if !stored {
        log::warn!("crash {}: lease lost before the result was stored", job.id);
    }
    Ok(true)
}

/// The dump as a file: in place for a local store, else downloaded to a temporary file.
async fn dump_file(
    shared: &Shared,
    id: &str,
) -> Result<(PathBuf, Option<tempfile::TempPath>), ServeError> {
    let uuid = uuid::Uuid::parse_str(id).map_err(|e| ServeError::Store(e.to_string()))?;
    let name = blobs::dump_name(&uuid);
    if let Some(p) = shared.blobs.local_path(&name) {
        return Ok((p, None));
    }
    let bytes = shared.blobs.get(&name).await?;
    let tmp = tokio::task::spawn_blocking(move || -> std::io::Result<tempfile::TempPath> {
        let mut f = tempfile::NamedTempFile::new()?;
        std::io::Write::write_all(&mut f, &bytes)?;
        Ok(f.into_temp_path())
    })
    .await
    .map_err(|e| ServeError::Store(e.to_string()))?
    .map_err(|e| ServeError::Store(format!("temporary file: {e}")))?;
    Ok((tmp.to_path_buf(), Some(tmp)))
}

/// Analyses on a thread of its own, renewing the lease meanwhile; a panic or a timeout is a
/// failed attempt (a hung thread is left behind and counted).
async fn analyse(
    shared: &Shared,
    job: &Job,
    path: PathBuf,
    row: CrashRow,
) -> Result<Finished, Failure> {
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    let opts = shared.config.analysis.clone();
    let id = job.id.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("analyse {id}"))
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                analyse_blocking(&path, &opts, &id, &row)
            }));
            let _ = tx.send(r);
        });
    if let Err(e) = spawned {
        return Err(Failure {
            error: format!("cannot start the analysis thread: {e}"),
            permanent: false,
        });
    }
    let timeout = Duration::from_secs(shared.config.analysis_timeout);
    let deadline = tokio::time::Instant::now() + timeout;
    let renew_every = Duration::from_secs((shared.config.lease_secs / 3).max(1) as u64);
    loop {
        tokio::select! {
            r = &mut rx => return match r {
                Ok(Ok(r)) => r,
                Ok(Err(p)) => Err(Failure { error: panic_text(&p), permanent: false }),
                Err(_) => Err(Failure { error: "the analysis thread died".into(), permanent: false }),
            },
            _ = tokio::time::sleep_until(deadline) => {
                HUNG.fetch_add(1, Ordering::Relaxed);
                return Err(Failure {
                    error: format!("the analysis did not finish within {} s", timeout.as_secs()),
                    permanent: false,
                });
            }
            _ = tokio::time::sleep(renew_every) => {
                if !shared.db.renew(job, shared.config.lease_secs).await.unwrap_or(false) {
                    log::warn!("crash {}: lease lost while analysing", job.id);
                }
            }
        }
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    let msg = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("the analysis panicked: {msg}")
}

/// The analysis through the front door, rendered for storage.
fn analyse_blocking(
    path: &std::path::Path,
    opts: &coroner::Options,
    id: &str,
    row: &CrashRow,
) -> Result<Finished, Failure> {
    let file = coroner::open(path, opts.limits).map_err(|e| Failure {
        error: e.source.to_string(),
        permanent: true,
    })?;
    let mut a = coroner::analyze_file(&file, &opts.analysis).map_err(|e| Failure {
        error: e.source.to_string(),
        permanent: true,
    })?;
    // The stored report names the crash, never the server's file.
    a.path = PathBuf::from(format!("{id}.dmp"));
    Ok(finished(a, row))
}

fn finished(a: coroner::Analysis, row: &CrashRow) -> Finished {
    let bucket = a.bucket.clone().unwrap_or_else(|| "UNBUCKETED".into());
    let blame = a.blame.as_ref().map(|b| b.module.clone());
    let signature = signature(&a, &bucket);
    let annotations: serde_json::Value = serde_json::from_str(&row.annotations).unwrap_or_default();
    let version = ["ver", "Version", "version", "release"]
        .iter()
        .find_map(|k| annotations.get(*k)?.as_str().map(str::to_string));
    let mut facets = vec![(
        "os",
        format!("{} {}", a.system.os_name, a.system.os_version),
    )];
    if let Some(v) = &version {
        facets.push(("version", v.clone()));
    }
    if let Some(b) = &a.blame {
        facets.push(("module", b.module.clone()));
        if let Some(v) = &b.vendor {
            facets.push(("vendor", v.clone()));
        }
    }
    // The report as the crash page shows it: the HTML renderer's section for one dump.
    let report = coroner_report::html::dump_fragment(&a, coroner_report::phrase::Lang::En);
    let analysis = coroner_report::json::dump_value(&Outcome::Done(Box::new(a))).to_string();
    let received = if row.received > 0 {
        row.received
    } else {
        now()
    };
    Finished {
        bucket,
        signature,
        blame,
        analysis,
        report,
        facets,
        day: day(received),
        received,
        version,
    }
}

/// The group's one-line signature: the blamed frame's symbol, else the top frame.
fn signature(a: &coroner::Analysis, bucket: &str) -> String {
    a.blame
        .as_ref()
        .and_then(|b| b.symbol.clone())
        .or_else(|| a.frames.first().map(|f| f.display.clone()))
        .unwrap_or_else(|| bucket.to_string())
}

/// `YYYY-MM-DD` (UTC) of a Unix time.
pub fn day(secs: i64) -> String {
    coroner_report::time::rfc3339(secs.max(0) as u64)[..10].to_string()
}

/// Queue depth for throttling, and retention (`--keep-days`), every few seconds.
pub async fn housekeeping(shared: Shared) {
    let mut last_retention = 0i64;
    loop {
        if let Ok(s) = shared.db.stats().await {
            shared.depth.store(s.queued, Ordering::Relaxed);
        }
        if let Some(days) = shared.config.keep_days {
            if now() - last_retention >= 600 {
                last_retention = now();
                if let Err(e) = retention(&shared, days).await {
                    log::error!("retention: {e}");
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Deletes the dumps and attachments of crashes older than `days`; counts and analyses stay.
pub async fn retention(shared: &Shared, days: u64) -> Result<usize, ServeError> {
    let before = now() - (days as i64) * 86_400;
    let mut total = 0;
    loop {
        let ids = shared.db.expire(before, 500).await?;
        if ids.is_empty() {
            return Ok(total);
        }
        for id in &ids {
            let Ok(uuid) = uuid::Uuid::parse_str(id) else {
                continue;
            };
            shared.blobs.delete(&blobs::dump_name(&uuid)).await?;
            for n in 0..crate::ingest::MAX_ATTACHMENTS {
                shared
                    .blobs
                    .delete(&blobs::attachment_name(&uuid, n))
                    .await?;
            }
        }
        total += ids.len();
    }
}
