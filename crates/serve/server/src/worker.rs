//! The analysis loop shared by `coroner serve` and `coroner worker`: claim a batch of jobs
//! (one lease token), analyse each dump through the front door on a long-lived analysis thread
//! (a panic is caught there; a hang times out and the thread is abandoned for a new one), store
//! the results in one transaction, each only while its lease is held, and retry a bounded
//! number of times.

use crate::db::{Attempt, Finished, Job};
use crate::{blobs, now, ServeError, Shared};
use coroner_report::Outcome;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Threads abandoned to a hung analysis in this process; past [`MAX_HUNG`] the process stops
/// claiming work (its leases expire and other workers, or a restart, take over).
static HUNG: AtomicUsize = AtomicUsize::new(0);
const MAX_HUNG: usize = 4;

/// Jobs claimed at once, at most. A claim and the storing of results are a transaction each
/// whatever their number, so a batch divides their cost; a batch holds about [`BATCH_TIME`] of
/// analysis (from the time the last ones took), so that a worker holding slow dumps leaves the
/// rest of the queue to the others.
const BATCH: usize = 64;
/// The first batch of a worker, before it knows how long its dumps take.
const FIRST_BATCH: usize = 16;
const BATCH_TIME: Duration = Duration::from_secs(1);
/// Between two dumps of a batch, results that have waited this long are stored.
const SETTLE_AFTER: Duration = Duration::from_millis(500);
/// Jobs of a batch queued on the analysis thread ahead of the one whose result is awaited:
/// all of them, so that the thread goes from one dump to the next while this task sleeps.
const AHEAD: usize = BATCH;
/// While results keep coming, the analysis thread wakes the collecting task at least this
/// often; otherwise only when it has run out of work (see [`Progress`]).
const WAKE_EVERY: Duration = Duration::from_millis(50);

/// Why one attempt failed.
#[derive(Clone)]
struct Failure {
    error: String,
    /// Retrying cannot help (the file is not a dump the loader can read).
    permanent: bool,
}

type Work = Box<dyn FnOnce() -> Result<Finished, Failure> + Send>;
type Analysed = std::thread::Result<Result<Finished, Failure>>;
type Reply = tokio::sync::oneshot::Sender<Analysed>;

/// Where a queued analysis's result arrives, and the progress of the thread it runs on.
struct Answer {
    rx: tokio::sync::oneshot::Receiver<Analysed>,
    progress: Arc<Progress>,
}

fn retry(error: String) -> Failure {
    Failure {
        error,
        permanent: false,
    }
}

/// What the analysis thread tells the task collecting its results. Waking that task for each
/// result cost more than storing the result when dumps are small (two context switches per
/// dump, and the analysis thread preempted by them), so the thread wakes it only when its queue
/// runs dry or [`WAKE_EVERY`] has passed; a hang is seen from when the running job started.
#[derive(Default)]
struct Progress {
    wake: tokio::sync::Notify,
    /// When the job now running on the thread started; `None` between jobs.
    running: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Progress {
    fn set_running(&self, at: Option<std::time::Instant>) {
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    fn running_since(&self) -> Option<std::time::Instant> {
        *self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A long-lived analysis thread: one per worker loop, not one per dump. A panic is caught on it
/// and the thread goes on; a thread whose analysis hangs is dropped (it ends by itself if the
/// analysis ever returns, its queue being closed).
struct Analyser {
    tx: std::sync::mpsc::Sender<(Work, Reply)>,
    progress: Arc<Progress>,
}

impl Analyser {
    fn start() -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel::<(Work, Reply)>();
        let progress = Arc::new(Progress::default());
        let p = progress.clone();
        std::thread::Builder::new()
            .name("analysis".into())
            .spawn(move || analysis_thread(&rx, &p))?;
        Ok(Analyser { tx, progress })
    }

    /// Queues `work` on the thread; `None` when the thread is gone.
    fn submit(&self, work: Work) -> Option<Answer> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.tx.send((work, reply)).ok()?;
        Some(Answer {
            rx,
            progress: self.progress.clone(),
        })
    }
}

/// The analysis thread's loop: each queued job in turn, its panic caught; the collecting task
/// is woken when the queue is empty, or after [`WAKE_EVERY`].
fn analysis_thread(rx: &std::sync::mpsc::Receiver<(Work, Reply)>, p: &Progress) {
    let mut woke = std::time::Instant::now();
    loop {
        let (work, reply) = match rx.try_recv() {
            Ok(job) => job,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                p.wake.notify_one();
                let Ok(job) = rx.recv() else { return };
                // The task was just woken: the 50 ms run from the next job on.
                woke = std::time::Instant::now();
                job
            }
        };
        p.set_running(Some(std::time::Instant::now()));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        p.set_running(None);
        let _ = reply.send(r);
        if woke.elapsed() >= WAKE_EVERY {
            woke = std::time::Instant::now();
            p.wake.notify_one();
        }
    }
}

/// One worker loop's state: its analysis thread and the batch it holds.
struct Loop {
    analyser: Option<Analyser>,
    /// Recent analysis time per dump (the batches' average, smoothed); `None` at first.
    per_dump: Option<Duration>,
    /// Lease token of the batch being worked on, and when it was last renewed.
    token: String,
    renewed: Instant,
}

impl Loop {
    /// Jobs to claim next: about [`BATCH_TIME`] of analysis, 1 to [`BATCH`].
    fn batch(&self) -> i64 {
        let n = match self.per_dump {
            None => FIRST_BATCH,
            Some(t) => (BATCH_TIME.as_secs_f64() / t.as_secs_f64().max(1e-6)) as usize,
        };
        n.clamp(1, BATCH) as i64
    }

    /// Takes in how long a batch of `n` jobs took.
    fn timed(&mut self, n: usize, took: Duration) {
        let t = took / n.max(1) as u32;
        self.per_dump = Some(match self.per_dump {
            None => t,
            Some(avg) => (avg + t) / 2,
        });
    }
}

/// Runs jobs until the process ends; errors are logged and retried after a pause.
pub async fn run(shared: Shared) {
    let mut l = Loop {
        analyser: None,
        per_dump: None,
        token: String::new(),
        renewed: Instant::now(),
    };
    loop {
        if HUNG.load(Ordering::Relaxed) >= MAX_HUNG {
            log::error!("{MAX_HUNG} analyses hung in this process: it claims no more work");
            tokio::time::sleep(Duration::from_secs(60)).await;
            continue;
        }
        let n = l.batch();
        match process(&shared, &mut l, n).await {
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
    let mut l = Loop {
        analyser: None,
        per_dump: None,
        token: String::new(),
        renewed: Instant::now(),
    };
    process(shared, &mut l, 1).await
}

/// Claims up to `n` jobs and analyses them in turn, storing the results at the end, or between
/// two dumps once the first waiting result is [`SETTLE_AFTER`] old; false when the queue was
/// empty. The batch's dumps are queued on the analysis thread at once, so the thread goes from
/// one dump to the next without waiting for this task, which it wakes seldom. When
/// this process has too many hung threads it stops mid-batch: the jobs left are not renewed, so
/// others take them over.
async fn process(shared: &Shared, l: &mut Loop, n: i64) -> Result<bool, ServeError> {
    let c = &shared.config;
    let jobs = (shared.db)
        .claim_batch(c.lease_secs, c.max_attempts, &c.worker_id, n)
        .await?;
    let Some(first) = jobs.first() else {
        return Ok(false);
    };
    l.token = first.token.clone();
    l.renewed = Instant::now();
    let began = Instant::now();
    // One look at the symbol generation per batch (a symbol upload renews the lookup).
    let opts = crate::symbols::analysis_options(shared).await;
    let mut ready: Vec<(Job, Attempt)> = Vec::new();
    let mut first_ready = Instant::now();
    // Each job's dump, kept until the batch ends (a download lives in a temporary file).
    let mut inputs: Vec<Result<Input, Failure>> = Vec::with_capacity(jobs.len());
    // The answers of the jobs queued ahead, in order, from the current one on.
    let mut ahead: VecDeque<Answer> = VecDeque::new();
    for (i, job) in jobs.iter().enumerate() {
        if HUNG.load(Ordering::Relaxed) >= MAX_HUNG {
            break;
        }
        // Keep up to AHEAD jobs queued on the analysis thread, so that it goes from one dump
        // to the next without waiting for this task to collect a result.
        while ahead.len() < AHEAD && i + ahead.len() < jobs.len() {
            let j = i + ahead.len();
            if inputs.len() == j {
                inputs.push(input(shared, &jobs[j].id).await);
            }
            match queue(l, &jobs[j], &inputs[j], &opts) {
                Ok(a) => ahead.push_back(a),
                Err(_) if j > i => break,
                Err(f) => {
                    ahead.clear();
                    inputs[j] = Err(f);
                    break;
                }
            }
        }
        let attempt = match (ahead.pop_front(), &inputs[i]) {
            (Some(a), _) => collect_job(shared, l, job, a).await,
            (None, Err(f)) => Err(f.clone()),
            (None, Ok(_)) => Err(retry("the analysis could not be queued".into())),
        };
        if l.analyser.is_none() {
            // Abandoned (hung or dead) with the next dumps queued on it: queue them again.
            ahead.clear();
        }
        let attempt = attempt.unwrap_or_else(|f| {
            log::warn!("crash {} attempt {}: {}", job.id, job.attempts, f.error);
            Attempt::Failed {
                error: f.error,
                permanent: f.permanent,
            }
        });
        if ready.is_empty() {
            first_ready = Instant::now();
        }
        ready.push((job.clone(), attempt));
        if first_ready.elapsed() >= SETTLE_AFTER {
            settle(shared, std::mem::take(&mut ready)).await?;
        }
    }
    l.timed(jobs.len(), began.elapsed());
    settle(shared, ready).await?;
    Ok(true)
}

/// A job's dump as a file, and the temporary file that holds it when it was downloaded.
struct Input {
    path: PathBuf,
    _tmp: Option<tempfile::TempPath>,
}

async fn input(shared: &Shared, id: &str) -> Result<Input, Failure> {
    match dump_file(shared, id).await {
        Ok((path, _tmp)) => Ok(Input { path, _tmp }),
        Err(e) => Err(retry(format!(
            "the dump could not be read from the store: {e}"
        ))),
    }
}

/// Queues a job's analysis on the loop's analysis thread.
fn queue(
    l: &mut Loop,
    job: &Job,
    input: &Result<Input, Failure>,
    opts: &coroner::Options,
) -> Result<Answer, Failure> {
    let path = input.as_ref().map_err(Clone::clone)?.path.clone();
    let (id, received, annotations) = (job.id.clone(), job.received, job.annotations.clone());
    let opts = opts.clone();
    let work: Work = Box::new(move || analyse_blocking(&path, &opts, &id, received, &annotations));
    submit(l, work)
}

/// Stores results in one transaction (the crashes of one group counted together).
async fn settle(shared: &Shared, ready: Vec<(Job, Attempt)>) -> Result<(), ServeError> {
    if ready.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = ready.iter().map(|(j, _)| j.id.clone()).collect();
    let stored = shared.db.settle(ready, shared.config.max_attempts).await?;
    for (id, ok) in ids.iter().zip(stored) {
        if !ok {
            log::warn!("crash {id}: lease lost before the result was stored");
        }
    }
    Ok(())
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

/// Collects a job's queued analysis, renewing the batch's leases meanwhile.
async fn collect_job(
    shared: &Shared,
    l: &mut Loop,
    job: &Job,
    answer: Answer,
) -> Result<Attempt, Failure> {
    let c = &shared.config;
    let timeout = Duration::from_secs(c.analysis_timeout);
    let renew_every = Duration::from_secs((c.lease_secs / 3).max(1) as u64);
    let renew = |token: String| async move {
        if shared
            .db
            .renew_token(&token, c.lease_secs)
            .await
            .unwrap_or(0)
            == 0
        {
            log::warn!("crash {}: lease lost while analysing", job.id);
        }
    };
    collect(l, answer, timeout, renew_every, renew)
        .await
        .map(Attempt::Done)
}

/// Queues `work` on the loop's analysis thread (started when there is none).
fn submit(l: &mut Loop, work: Work) -> Result<Answer, Failure> {
    if l.analyser.is_none() {
        let started = Analyser::start()
            .map_err(|e| retry(format!("cannot start the analysis thread: {e}")))?;
        l.analyser = Some(started);
    }
    match l.analyser.as_ref().and_then(|a| a.submit(work)) {
        Some(answer) => Ok(answer),
        None => {
            l.analyser = None;
            Err(retry("the analysis thread died".into()))
        }
    }
}

/// Waits for a queued analysis, calling `renew` with the batch's token every `renew_every`
/// since the last renewal. A panic or a timeout (the job running on the thread for longer than
/// `timeout`) is a failed attempt; on a timeout (or a thread gone) the thread is abandoned, a
/// timeout counted.
async fn collect<F, Fut>(
    l: &mut Loop,
    mut answer: Answer,
    timeout: Duration,
    renew_every: Duration,
    mut renew: F,
) -> Result<Finished, Failure>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use tokio::sync::oneshot::error::TryRecvError;
    let progress = answer.progress.clone();
    loop {
        match answer.rx.try_recv() {
            Ok(Ok(r)) => return r,
            Ok(Err(p)) => return Err(retry(panic_text(&p))),
            Err(TryRecvError::Closed) => {
                l.analyser = None;
                return Err(retry("the analysis thread died".into()));
            }
            Err(TryRecvError::Empty) => {}
        }
        let started = progress.running_since();
        let deadline = Instant::from_std(started.unwrap_or_else(std::time::Instant::now)) + timeout;
        tokio::select! {
            _ = progress.wake.notified() => {}
            _ = tokio::time::sleep_until(deadline) => {
                // Still the same job, and still running: it hangs.
                if started.is_some() && progress.running_since() == started {
                    HUNG.fetch_add(1, Ordering::Relaxed);
                    l.analyser = None;
                    return Err(retry(format!(
                        "the analysis did not finish within {} s",
                        timeout.as_secs()
                    )));
                }
            }
            _ = tokio::time::sleep_until(l.renewed + renew_every) => {
                l.renewed = Instant::now();
                renew(l.token.clone()).await;
            }
        }
    }
}

/// Runs `work` on the loop's analysis thread and waits for it ([`submit`], [`collect`]).
#[cfg(test)]
async fn wait<F, Fut>(
    l: &mut Loop,
    work: Work,
    timeout: Duration,
    renew_every: Duration,
    renew: F,
) -> Result<Finished, Failure>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let answer = submit(l, work)?;
    collect(l, answer, timeout, renew_every, renew).await
}

/// A crash's HTML report (the HTML renderer's section for its dump, as `analyze --format html`
/// shows it), rendered from the dump when its page first asks for it, then stored. The same
/// analysis as the worker's, under the same limits: a panic is caught, a hang times out.
pub async fn report_html(shared: &Shared, id: &str) -> Result<String, String> {
    let (path, tmp) = dump_file(shared, id).await.map_err(|e| e.to_string())?;
    let opts = crate::symbols::analysis_options(shared).await;
    let name = format!("{id}.dmp");
    let task = tokio::task::spawn_blocking(move || {
        let _keep = tmp;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let file = coroner::open(&path, opts.limits).map_err(|e| e.source.to_string())?;
            let mut a =
                coroner::analyze_file(&file, &opts.analysis).map_err(|e| e.source.to_string())?;
            a.path = PathBuf::from(name);
            Ok::<_, String>(coroner_report::html::dump_fragment(
                &a,
                coroner_report::phrase::Lang::En,
            ))
        }))
    });
    let timeout = Duration::from_secs(shared.config.analysis_timeout);
    let html = match tokio::time::timeout(timeout, task).await {
        Err(_) => {
            HUNG.fetch_add(1, Ordering::Relaxed);
            return Err(format!(
                "the analysis did not finish within {} s",
                timeout.as_secs()
            ));
        }
        Ok(Err(e)) => return Err(format!("the analysis task failed: {e}")),
        Ok(Ok(Err(p))) => return Err(panic_text(&p)),
        Ok(Ok(Ok(r))) => r?,
    };
    shared
        .db
        .set_report(id, &html)
        .await
        .map_err(|e| e.to_string())?;
    Ok(html)
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
    received: i64,
    annotations: &str,
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
    Ok(finished(a, received, annotations))
}

fn finished(a: coroner::Analysis, received: i64, annotations: &str) -> Finished {
    let bucket = a.bucket.clone().unwrap_or_else(|| "UNBUCKETED".into());
    let blame = a.blame.as_ref().map(|b| b.module.clone());
    let signature = signature(&a, &bucket);
    let missing = crate::symbols::missing(&a);
    let annotations: serde_json::Value = serde_json::from_str(annotations).unwrap_or_default();
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
    // The HTML report is rendered when the crash page first asks for it (`report::html`):
    // rendering it here cost a fifth of each analysis.
    let analysis = coroner_report::json::dump_string(&Outcome::Done(Box::new(a)));
    let received = if received > 0 { received } else { now() };
    Finished {
        bucket,
        signature,
        blame,
        analysis,
        report: None,
        facets,
        day: day(received),
        received,
        version,
        missing,
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

/// Deletes the dumps and attachments of crashes, and the files of incidents, older than
/// `days`; counts, analyses and incident reports stay. Returns how many crashes it reached.
pub async fn retention(shared: &Shared, days: u64) -> Result<usize, ServeError> {
    let before = now() - (days as i64) * 86_400;
    let mut total = 0;
    loop {
        let ids = shared.db.expire(before, 500).await?;
        if ids.is_empty() {
            crate::incidents::expire(shared, before).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Loop {
        Loop {
            analyser: None,
            per_dump: None,
            token: "t".into(),
            renewed: Instant::now(),
        }
    }

    fn finished_of(bucket: &str) -> Finished {
        Finished {
            bucket: bucket.into(),
            signature: String::new(),
            blame: None,
            analysis: String::new(),
            report: None,
            facets: Vec::new(),
            day: "2026-01-01".into(),
            received: 0,
            version: None,
            missing: Vec::new(),
        }
    }

    async fn no_renew(_: String) {}

    /// A batch holds about a second of analysis: many small dumps, few slow ones.
    #[test]
    fn batches_follow_the_time_dumps_take() {
        let mut l = fresh();
        assert_eq!(l.batch(), FIRST_BATCH as i64);
        l.timed(16, Duration::from_millis(4));
        assert_eq!(l.batch(), BATCH as i64, "0.25 ms a dump");
        for _ in 0..8 {
            l.timed(10, Duration::from_secs(1));
        }
        assert_eq!(l.batch(), 10, "100 ms a dump");
        l.timed(1, Duration::from_secs(30));
        assert_eq!(l.batch(), 1, "seconds a dump");
        l.timed(0, Duration::ZERO);
        assert!(l.batch() >= 1);
    }

    /// One thread serves every analysis, a panic included; a hang abandons it for a new one.
    #[tokio::test]
    async fn one_analysis_thread_survives_panics_and_is_replaced_after_a_hang() {
        let mut l = fresh();
        let secs = Duration::from_secs(5);
        let thread = || std::thread::current().id();
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..3 {
            let tx = tx.clone();
            let work: Work = Box::new(move || {
                tx.send(thread()).unwrap();
                Ok(finished_of("B"))
            });
            let r = wait(&mut l, work, secs, secs, no_renew).await;
            assert_eq!(r.ok().map(|f| f.bucket).as_deref(), Some("B"));
        }
        let panics: Work = Box::new(|| panic!("boom"));
        let e = wait(&mut l, panics, secs, secs, no_renew).await.err();
        assert_eq!(
            e.map(|f| (f.error, f.permanent)),
            Some(("the analysis panicked: boom".to_string(), false))
        );
        let tx2 = tx.clone();
        let after: Work = Box::new(move || {
            tx2.send(thread()).unwrap();
            Ok(finished_of("C"))
        });
        assert!(wait(&mut l, after, secs, secs, no_renew).await.is_ok());
        let ids: Vec<_> = rx.try_iter().collect();
        assert_eq!(ids.len(), 4);
        assert!(ids.iter().all(|t| *t == ids[0]), "one thread: {ids:?}");

        let hung_before = HUNG.load(Ordering::Relaxed);
        let hangs: Work = Box::new(|| {
            std::thread::sleep(Duration::from_secs(3));
            Ok(finished_of("late"))
        });
        let short = Duration::from_millis(200);
        let e = wait(&mut l, hangs, short, secs, no_renew).await.err();
        assert!(e.unwrap().error.contains("did not finish within"));
        assert!(l.analyser.is_none(), "the hung thread is abandoned");
        // HUNG is the process's count: another test's hang may be counted meanwhile.
        assert!(
            HUNG.load(Ordering::Relaxed) > hung_before,
            "the hang is counted"
        );
        let tx3 = tx.clone();
        let next: Work = Box::new(move || {
            tx3.send(thread()).unwrap();
            Ok(finished_of("D"))
        });
        assert!(wait(&mut l, next, secs, secs, no_renew).await.is_ok());
        assert_ne!(rx.try_recv().unwrap(), ids[0], "a new thread took over");
    }

    /// Work queued ahead runs on the same thread right after the one before it; when the one
    /// before hangs, the thread is abandoned with it, and the work is queued again on a new
    /// thread (as `process` does), whose answer arrives.
    #[tokio::test]
    async fn work_queued_ahead_follows_on_one_thread_or_moves_past_a_hang() {
        let mut l = fresh();
        let secs = Duration::from_secs(5);
        let thread = || std::thread::current().id();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut answers = Vec::new();
        for b in ["A", "B"] {
            let tx = tx.clone();
            let work: Work = Box::new(move || {
                tx.send(thread()).unwrap();
                Ok(finished_of(b))
            });
            answers.push(submit(&mut l, work).ok().unwrap());
        }
        for (a, b) in answers.into_iter().zip(["A", "B"]) {
            let r = collect(&mut l, a, secs, secs, no_renew).await;
            assert_eq!(r.ok().map(|f| f.bucket).as_deref(), Some(b));
        }
        let ids: Vec<_> = rx.try_iter().collect();
        assert!(ids.len() == 2 && ids[0] == ids[1], "{ids:?}");

        let hangs: Work = Box::new(|| {
            std::thread::sleep(Duration::from_secs(3));
            Ok(finished_of("late"))
        });
        let hung = submit(&mut l, hangs).ok().unwrap();
        let behind: Work = Box::new(|| Ok(finished_of("never")));
        let _stuck = submit(&mut l, behind).ok().unwrap();
        let short = Duration::from_millis(200);
        assert!(collect(&mut l, hung, short, secs, no_renew).await.is_err());
        assert!(l.analyser.is_none());
        let again: Work = Box::new(|| Ok(finished_of("E")));
        let a = submit(&mut l, again).ok().unwrap();
        let r = collect(&mut l, a, secs, secs, no_renew).await;
        assert_eq!(r.ok().map(|f| f.bucket).as_deref(), Some("E"));
    }

    /// The batch's leases are renewed on schedule while a long analysis runs.
    #[tokio::test]
    async fn leases_are_renewed_while_an_analysis_runs() {
        let mut l = fresh();
        let renewals = std::sync::Arc::new(AtomicUsize::new(0));
        let n = renewals.clone();
        let renew = move |token: String| {
            assert_eq!(token, "t");
            n.fetch_add(1, Ordering::Relaxed);
            async {}
        };
        let slow: Work = Box::new(|| {
            std::thread::sleep(Duration::from_millis(650));
            Ok(finished_of("B"))
        });
        let every = Duration::from_millis(200);
        let r = wait(&mut l, slow, Duration::from_secs(5), every, renew).await;
        assert!(r.is_ok());
        let k = renewals.load(Ordering::Relaxed);
        assert!((2..=10).contains(&k), "{k} renewals");
    }
}
