//! Metadata and the job queue: SQLite (embedded mode) or PostgreSQL (fleet mode), behind one
//! type with the same operations and the same semantics (leases, bounded attempts, a completion
//! stored only by the holder of the current lease).

mod analysis_log;
mod incidents;
mod postgres;
mod schema;
mod sqlite;
mod users;

use crate::ServeError;
use std::collections::BTreeMap;

pub use incidents::{IncidentFile, IncidentReport, IncidentRow};
pub use postgres::PgDb;
pub use sqlite::SqliteDb;

/// A crash as ingest records it.
#[derive(Debug, Clone)]
pub struct NewCrash {
    pub id: String,
    pub project: String,
    pub received: i64,
    /// JSON object of the annotations (text fields and the `extra` part).
    pub annotations: String,
    /// JSON array of `{name, filename, size, key}` for the extra file parts.
    pub attachments: String,
    pub size: i64,
    pub sha256: String,
    pub version: Option<String>,
}

/// A claimed job: the crash and the lease that proves the claim. The jobs of one claim share
/// their lease token (each is still stored only under its own id and that token).
#[derive(Debug, Clone, Default)]
pub struct Job {
    pub id: String,
    pub token: String,
    pub attempts: i64,
    /// When the crash was received (Unix seconds), for its day and first/last seen.
    pub received: i64,
    /// The crash's annotations (JSON object), for its version.
    pub annotations: String,
}

/// How one attempt at a job ended, stored by [`Db::settle`].
#[derive(Debug, Clone)]
pub enum Attempt {
    Done(Finished),
    Failed {
        error: String,
        /// Retrying cannot help (not a dump the loader can read).
        permanent: bool,
    },
}

/// A finished analysis, stored with the group it joins.
#[derive(Debug, Clone)]
pub struct Finished {
    pub bucket: String,
    pub signature: String,
    pub blame: Option<String>,
    pub analysis: String,
    /// The HTML report, when rendered (the worker leaves it to the crash page).
    pub report: Option<String>,
    /// Facets counted per group: ("version", "1.2"), ("os", "Windows …"), ("module", "x.dll").
    pub facets: Vec<(&'static str, String)>,
    /// Day of the crash (`YYYY-MM-DD`, UTC), for the per-day counts.
    pub day: String,
    pub received: i64,
    pub version: Option<String>,
    /// Stack modules that had no symbol file: (debug name, debug id), so that an
    /// uploaded symbol file can find the crashes it would change.
    pub missing: Vec<(String, String)>,
}

impl Finished {
    /// What the crash is counted under in its group (stored with it, to take it out again
    /// when it is reprocessed): `{"day": …, "facets": [[facet, value], …]}`.
    pub fn counted(&self) -> String {
        serde_json::json!({ "day": self.day, "facets": self.facets }).to_string()
    }
}

/// The day and facets a crash was counted under ([`Finished::counted`]); a crash stored before
/// they were recorded has only its day (from when it was received).
pub(crate) fn uncounted(counted: Option<&str>, received: i64) -> (String, Vec<(String, String)>) {
    let v: serde_json::Value = counted
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let day = v["day"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| crate::worker::day(received));
    let facets = v["facets"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    (day, facets)
}

/// A stored crash.
#[derive(Debug, Clone, Default)]
pub struct CrashRow {
    pub id: String,
    pub project: String,
    pub status: String,
    pub error: Option<String>,
    pub bucket: Option<String>,
    pub group_id: Option<i64>,
    pub received: i64,
    pub annotations: String,
    pub attachments: String,
    pub analysis: Option<String>,
    pub report: Option<String>,
    pub attempts: i64,
    pub completions: i64,
    /// Analyses stored after the first (symbol uploads that reprocessed the crash).
    pub reprocessed: i64,
    pub dump_deleted: bool,
    /// The worker (host:pid) holding or last holding the lease.
    pub worker: Option<String>,
}

/// A crash group.
#[derive(Debug, Clone, Default)]
pub struct GroupRow {
    pub id: i64,
    pub bucket: String,
    pub count: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub blame: Option<String>,
    pub signature: String,
    pub resolved_in: Option<String>,
    pub reopened: bool,
    /// facet → value → count (facets: version, os, module).
    pub facets: BTreeMap<String, BTreeMap<String, i64>>,
}

/// Queue and store counts, for the status page.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    pub queued: i64,
    pub processing: i64,
    pub done: i64,
    pub failed: i64,
    pub dropped: i64,
}

/// The crashes per day of groups since a day: (group id, day, count).
pub type DayCounts = Vec<(i64, String, i64)>;

/// The metadata store.
#[derive(Clone)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgDb),
}

macro_rules! both {
    ($self:ident, $db:ident => $e:expr) => {
        match $self {
            Db::Sqlite($db) => $e,
            Db::Postgres($db) => $e,
        }
    };
}

impl Db {
    /// Migrates; creates project `default` and the admin token when absent. Returns
    /// `(ingest key, admin token, created)`.
    pub async fn init(&self) -> Result<(String, String, bool), ServeError> {
        both!(self, d => d.init().await)
    }
    /// The project an ingest key belongs to.
    pub async fn keys(&self) -> Result<BTreeMap<String, String>, ServeError> {
        both!(self, d => d.keys().await)
    }
    pub async fn admin_token(&self) -> Result<String, ServeError> {
        both!(self, d => d.setting("admin_token").await)?
            .ok_or_else(|| ServeError::Database("no admin token in the database".into()))
    }
    pub async fn insert(&self, c: NewCrash) -> Result<(), ServeError> {
        both!(self, d => d.insert(c).await)
    }
    /// A crash already received with this content hash (idempotent uploads).
    pub async fn find_sha(&self, project: &str, sha: &str) -> Result<Option<String>, ServeError> {
        both!(self, d => d.find_sha(project.into(), sha.into()).await)
    }
    /// Claims the oldest queued job (or one whose lease expired) for `lease` seconds; jobs
    /// whose lease expired after `max_attempts` claims are marked failed instead.
    pub async fn claim(
        &self,
        lease: i64,
        max_attempts: i64,
        worker: &str,
    ) -> Result<Option<Job>, ServeError> {
        both!(self, d => d.claim(lease, max_attempts, worker.into()).await)
    }
    /// Claims up to `n` jobs at once (one transaction, one lease token); expired leases first,
    /// then the oldest queued crashes.
    pub async fn claim_batch(
        &self,
        lease: i64,
        max_attempts: i64,
        worker: &str,
        n: i64,
    ) -> Result<Vec<Job>, ServeError> {
        both!(self, d => d.claim_batch(lease, max_attempts, worker.into(), n).await)
    }
    /// Extends the lease of every job still held under `token`; returns how many.
    pub async fn renew_token(&self, token: &str, lease: i64) -> Result<u64, ServeError> {
        both!(self, d => d.renew_token(token.into(), lease).await)
    }
    /// Stores several attempts in one transaction, each only while its job holds the lease
    /// (as [`Db::complete`] and [`Db::fail`]); returns which were stored.
    pub async fn settle(
        &self,
        results: Vec<(Job, Attempt)>,
        max_attempts: i64,
    ) -> Result<Vec<bool>, ServeError> {
        both!(self, d => d.settle(results, max_attempts).await)
    }
    /// Extends a lease; false when it was lost.
    pub async fn renew(&self, job: &Job, lease: i64) -> Result<bool, ServeError> {
        both!(self, d => d.renew(job.clone(), lease).await)
    }
    /// Stores the analysis and counts it in its group, only while `job` holds the lease;
    /// false (nothing stored) when the lease was lost.
    pub async fn complete(&self, job: &Job, f: Finished) -> Result<bool, ServeError> {
        both!(self, d => d.complete(job.clone(), f).await)
    }
    /// Records a failed attempt: back to the queue, or `failed` for good when `permanent` or
    /// after `max_attempts`.
    pub async fn fail(
        &self,
        job: &Job,
        error: &str,
        permanent: bool,
        max_attempts: i64,
    ) -> Result<bool, ServeError> {
        both!(self, d => d.fail(job.clone(), error.into(), permanent, max_attempts).await)
    }
    pub async fn crash(&self, id: &str) -> Result<Option<CrashRow>, ServeError> {
        both!(self, d => d.crash(id.into()).await)
    }
    /// Groups, most crashes first (facets filled).
    pub async fn groups(&self, limit: i64) -> Result<Vec<GroupRow>, ServeError> {
        both!(self, d => d.groups(limit).await)
    }
    pub async fn group(&self, id: i64) -> Result<Option<GroupRow>, ServeError> {
        both!(self, d => d.group(id).await)
    }
    /// The most recent crashes with `status`.
    pub async fn crashes_by_status(
        &self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<CrashRow>, ServeError> {
        both!(self, d => d.crashes_by_status(status.into(), limit).await)
    }
    pub async fn group_crashes(&self, id: i64, limit: i64) -> Result<Vec<CrashRow>, ServeError> {
        both!(self, d => d.group_crashes(id, limit).await)
    }
    /// Crashes per group and day since `since_day` (inclusive).
    pub async fn days(&self, since_day: &str) -> Result<DayCounts, ServeError> {
        both!(self, d => d.days(since_day.into()).await)
    }
    /// Stores a crash's HTML report (rendered after its analysis, for its page).
    pub async fn set_report(&self, id: &str, report: &str) -> Result<(), ServeError> {
        both!(self, d => d.set_report(id.into(), report.into()).await)
    }
    /// Marks a group resolved in `version` (`None` reopens it).
    pub async fn resolve(&self, id: i64, version: Option<String>) -> Result<bool, ServeError> {
        both!(self, d => d.resolve(id, version).await)
    }
    pub async fn add_counter(&self, name: &str, by: i64) -> Result<(), ServeError> {
        both!(self, d => d.add_counter(name.into(), by).await)
    }
    pub async fn stats(&self) -> Result<Stats, ServeError> {
        both!(self, d => d.stats().await)
    }
    pub async fn new_session(&self, id: &str, csrf: &str, expires: i64) -> Result<(), ServeError> {
        both!(self, d => d.new_session(id.into(), csrf.into(), expires).await)
    }
    /// The CSRF token of a live session.
    pub async fn session(&self, id: &str, now: i64) -> Result<Option<String>, ServeError> {
        both!(self, d => d.session(id.into(), now).await)
    }
    pub async fn end_session(&self, id: &str) -> Result<(), ServeError> {
        both!(self, d => d.end_session(id.into()).await)
    }
    /// Adds an admin user, or sets a user's password hash (a PHC string).
    pub async fn set_user(&self, name: &str, hash: &str) -> Result<(), ServeError> {
        both!(self, d => d.set_user(name.into(), hash.into()).await)
    }
    /// The password hash of a user.
    pub async fn user_hash(&self, name: &str) -> Result<Option<String>, ServeError> {
        both!(self, d => d.user_hash(name.into()).await)
    }
    /// Queues again the analysed crashes that lacked symbols for the module with `debug_id`
    /// (and, when given, debug name `name`, in any case), takes them out of their groups' counts,
    /// and moves the symbol generation on (so every worker looks for symbols afresh, whether
    /// crashes matched or not). Returns their ids.
    pub async fn requeue_for_symbols(
        &self,
        name: Option<String>,
        debug_id: &str,
    ) -> Result<Vec<String>, ServeError> {
        let name = name.map(|n| n.to_ascii_lowercase());
        both!(self, d => d.requeue_for_symbols(name, debug_id.to_ascii_uppercase()).await)
    }
    /// The debug name a crash recorded for a module without symbols with `debug_id`.
    pub async fn missing_name(&self, debug_id: &str) -> Result<Option<String>, ServeError> {
        both!(self, d => d.missing_name(debug_id.to_ascii_uppercase()).await)
    }
    /// The symbol generation: moved on by every symbol upload that matched crashes.
    pub async fn symbols_generation(&self) -> Result<i64, ServeError> {
        let v = both!(self, d => d.setting("symbols_generation").await)?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }
    /// Crashes received before `before` whose dumps are still kept: marks them deleted and
    /// returns their ids (the caller deletes the files; counts stay).
    pub async fn expire(&self, before: i64, limit: i64) -> Result<Vec<String>, ServeError> {
        both!(self, d => d.expire(before, limit).await)
    }
}

/// Compares dotted versions numerically where both parts are numbers (`1.10` > `1.9`).
pub fn version_newer(a: &str, b: &str) -> bool {
    let parts = |s: &str| -> Vec<String> { s.split(['.', '-']).map(str::to_string).collect() };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(pb.iter()) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => x.cmp(y),
        };
        if ord != std::cmp::Ordering::Equal {
            return ord == std::cmp::Ordering::Greater;
        }
    }
    pa.len() > pb.len()
}

/// A random token (two v4 UUIDs: 244 random bits), hex.
pub fn token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn count_status(s: &mut Stats, status: &str, n: i64) {
    match status {
        "queued" => s.queued = n,
        "processing" => s.processing = n,
        "done" => s.done = n,
        "failed" => s.failed = n,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_number() {
        assert!(version_newer("1.10", "1.9"));
        assert!(!version_newer("1.9", "1.10"));
        assert!(version_newer("2.0.1", "2.0"));
        assert!(!version_newer("2.0", "2.0"));
    }
}
