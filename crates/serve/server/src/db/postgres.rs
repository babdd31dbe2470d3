//! PostgreSQL for fleet mode: a few connections (tokio-postgres), the queue claimed with
//! `FOR UPDATE SKIP LOCKED` and leases; migrations under an advisory lock so that processes
//! starting together against an empty database migrate it once.

use super::{Attempt, CrashRow, DayCounts, Finished, GroupRow, Job, NewCrash, Stats};
use crate::{now, ServeError};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls, Row, Transaction};

/// The advisory-lock key under which migrations run.
const MIGRATION_LOCK: i64 = 0x0063_6f72_6f6e_6572; // "coroner"

#[derive(Clone)]
pub struct PgDb {
    pool: Arc<Vec<Mutex<Client>>>,
    next: Arc<AtomicUsize>,
}

pub(super) fn db_err(e: tokio_postgres::Error) -> ServeError {
    ServeError::Database(match e.as_db_error() {
        Some(d) => format!("{}: {}", d.code().code(), d.message()),
        None => e.to_string(),
    })
}

const CRASH_COLS: &str = "id, project, status, error, bucket, group_id, received, annotations, \
     attachments, analysis, report, attempts, completions, dump_deleted, worker, reprocessed";

fn crash_row(r: &Row) -> CrashRow {
    CrashRow {
        id: r.get(0),
        project: r.get(1),
        status: r.get(2),
        error: r.get(3),
        bucket: r.get(4),
        group_id: r.get(5),
        received: r.get(6),
        annotations: r.get(7),
        attachments: r.get(8),
        analysis: r.get(9),
        report: r.get(10),
        attempts: r.get(11),
        completions: r.get(12),
        dump_deleted: r.get::<_, i64>(13) != 0,
        worker: r.get(14),
        reprocessed: r.get(15),
    }
}

const GROUP_COLS: &str =
    "id, bucket, count, first_seen, last_seen, blame, signature, resolved_in, reopened";

fn group_row(r: &Row) -> GroupRow {
    GroupRow {
        id: r.get(0),
        bucket: r.get(1),
        count: r.get(2),
        first_seen: r.get(3),
        last_seen: r.get(4),
        blame: r.get(5),
        signature: r.get(6),
        resolved_in: r.get(7),
        reopened: r.get::<_, i64>(8) != 0,
        facets: BTreeMap::new(),
    }
}

impl PgDb {
    /// Connects `size` connections to `url` (`postgres://…`, libpq URL syntax).
    pub async fn connect(url: &str, size: usize) -> Result<Self, ServeError> {
        let mut pool = Vec::new();
        for _ in 0..size.max(1) {
            let (client, conn) = tokio_postgres::connect(url, NoTls).await.map_err(|e| {
                ServeError::Database(format!("cannot connect to the database: {e}"))
            })?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    log::error!("database connection closed: {e}");
                }
            });
            pool.push(Mutex::new(client));
        }
        Ok(PgDb {
            pool: Arc::new(pool),
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// Runs SQL statements (no results), e.g. `CREATE SCHEMA` for a test.
    pub async fn execute_batch(&self, sql: &str) -> Result<(), ServeError> {
        self.client().await.batch_execute(sql).await.map_err(db_err)
    }

    pub(super) async fn client(&self) -> tokio::sync::MutexGuard<'_, Client> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.pool.len();
        self.pool[i].lock().await
    }

    pub async fn init(&self) -> Result<(String, String, bool), ServeError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(db_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(db_err)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .await
            .map_err(db_err)?;
        let have: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_version",
                &[],
            )
            .await
            .map_err(db_err)?
            .get(0);
        for (i, m) in super::schema::POSTGRES
            .iter()
            .enumerate()
            .skip(have as usize)
        {
            tx.batch_execute(m).await.map_err(db_err)?;
            let v = i as i64 + 1;
            tx.execute("INSERT INTO schema_version VALUES ($1)", &[&v])
                .await
                .map_err(db_err)?;
        }
        let r = ensure_keys(&tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(r)
    }

    pub async fn keys(&self) -> Result<BTreeMap<String, String>, ServeError> {
        let c = self.client().await;
        let rows = c
            .query("SELECT ingest_key, name FROM projects", &[])
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn setting(&self, name: &'static str) -> Result<Option<String>, ServeError> {
        let c = self.client().await;
        let r = c
            .query_opt("SELECT value FROM settings WHERE name = $1", &[&name])
            .await
            .map_err(db_err)?;
        Ok(r.map(|r| r.get(0)))
    }

    pub async fn insert(&self, n: NewCrash) -> Result<(), ServeError> {
        let c = self.client().await;
        c.execute(
            "INSERT INTO crashes (id, project, received, status, annotations, attachments, size, \
             sha256, version) VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8)",
            &[
                &n.id,
                &n.project,
                &n.received,
                &n.annotations,
                &n.attachments,
                &n.size,
                &n.sha256,
                &n.version,
            ],
        )
        .await
        .map_err(db_err)?;
        Ok(())
    }

    pub async fn find_sha(
        &self,
        project: String,
        sha: String,
    ) -> Result<Option<String>, ServeError> {
        let c = self.client().await;
        let r = c
            .query_opt(
                "SELECT id FROM crashes WHERE project = $1 AND sha256 = $2 LIMIT 1",
                &[&project, &sha],
            )
            .await
            .map_err(db_err)?;
        Ok(r.map(|r| r.get(0)))
    }

    pub async fn claim(
        &self,
        lease: i64,
        max_attempts: i64,
        worker: String,
    ) -> Result<Option<Job>, ServeError> {
        let mut jobs = self.claim_batch(lease, max_attempts, worker, 1).await?;
        Ok(jobs.pop())
    }

    pub async fn claim_batch(
        &self,
        lease: i64,
        max_attempts: i64,
        worker: String,
        n: i64,
    ) -> Result<Vec<Job>, ServeError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(db_err)?;
        let t = now();
        tx.execute(
            "UPDATE crashes SET status = 'failed', lease_token = NULL, error = COALESCE(error, \
             'the analysis never finished (worker lost)') || ' (after ' || attempts || ' attempts)' \
             WHERE status = 'processing' AND lease_until < $1 AND attempts >= $2",
            &[&t, &max_attempts],
        )
        .await
        .map_err(db_err)?;
        let token = super::token();
        let until = t + lease;
        // Two statements, each an index range on (status, received) that stops at the first
        // unlocked rows: an OR would sort every candidate. Expired leases first (the older).
        let claim = |cond: &str| {
            format!(
                "UPDATE crashes SET status = 'processing', attempts = attempts + 1, \
                 lease_until = $1, lease_token = $2, worker = $3 WHERE id IN (SELECT id FROM \
                 crashes WHERE {cond} ORDER BY received LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, attempts, received, annotations"
            )
        };
        let expired = claim("status = 'processing' AND lease_until < $5");
        let mut rows = tx
            .query(&expired, &[&until, &token, &worker, &n, &t])
            .await
            .map_err(db_err)?;
        let left = n - rows.len() as i64;
        if left > 0 {
            let queued = claim("status = 'queued'");
            rows.extend(
                tx.query(&queued, &[&until, &token, &worker, &left])
                    .await
                    .map_err(db_err)?,
            );
        }
        tx.commit().await.map_err(db_err)?;
        let mut jobs: Vec<Job> = rows
            .iter()
            .map(|r| Job {
                id: r.get(0),
                token: token.clone(),
                attempts: r.get(1),
                received: r.get(2),
                annotations: r.get(3),
            })
            .collect();
        jobs.sort_by_key(|j| j.received);
        Ok(jobs)
    }

    pub async fn renew_token(&self, token: String, lease: i64) -> Result<u64, ServeError> {
        let c = self.client().await;
        let until = now() + lease;
        c.execute(
            "UPDATE crashes SET lease_until = $2 WHERE lease_token = $1 AND status = 'processing'",
            &[&token, &until],
        )
        .await
        .map_err(db_err)
    }

    pub async fn settle(
        &self,
        results: Vec<(Job, Attempt)>,
        max_attempts: i64,
    ) -> Result<Vec<bool>, ServeError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(db_err)?;
        let mut stored = Vec::with_capacity(results.len());
        for (job, attempt) in &results {
            stored.push(
                match attempt {
                    Attempt::Done(f) => complete_tx(&tx, job, f).await,
                    Attempt::Failed { error, permanent } => {
                        fail_tx(&tx, job, error, *permanent, max_attempts).await
                    }
                }
                .map_err(db_err)?,
            );
        }
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }

    pub async fn renew(&self, job: Job, lease: i64) -> Result<bool, ServeError> {
        let c = self.client().await;
        let until = now() + lease;
        let n = c
            .execute(
                "UPDATE crashes SET lease_until = $3 WHERE id = $1 AND lease_token = $2 \
                 AND status = 'processing'",
                &[&job.id, &job.token, &until],
            )
            .await
            .map_err(db_err)?;
        Ok(n == 1)
    }

    pub async fn complete(&self, job: Job, f: Finished) -> Result<bool, ServeError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(db_err)?;
        let ok = complete_tx(&tx, &job, &f).await.map_err(db_err)?;
        if ok {
            tx.commit().await.map_err(db_err)?;
        }
        Ok(ok)
    }

    pub async fn fail(
        &self,
        job: Job,
        error: String,
        permanent: bool,
        max_attempts: i64,
    ) -> Result<bool, ServeError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(db_err)?;
        let ok = fail_tx(&tx, &job, &error, permanent, max_attempts)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(ok)
    }

    pub async fn crash(&self, id: String) -> Result<Option<CrashRow>, ServeError> {
        let c = self.client().await;
        let r = c
            .query_opt(
                &format!("SELECT {CRASH_COLS} FROM crashes WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(db_err)?;
        Ok(r.as_ref().map(crash_row))
    }

    pub async fn groups(&self, limit: i64) -> Result<Vec<GroupRow>, ServeError> {
        let c = self.client().await;
        let rows = c
            .query(
                &format!("SELECT {GROUP_COLS} FROM groups WHERE count > 0 ORDER BY count DESC, id LIMIT $1"),
                &[&limit],
            )
            .await
            .map_err(db_err)?;
        let mut groups: Vec<GroupRow> = rows.iter().map(group_row).collect();
        let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
        let facets = c
            .query(
                "SELECT group_id, facet, value, count FROM group_facets WHERE group_id = ANY($1)",
                &[&ids],
            )
            .await
            .map_err(db_err)?;
        for f in facets {
            let gid: i64 = f.get(0);
            if let Some(g) = groups.iter_mut().find(|g| g.id == gid) {
                g.facets
                    .entry(f.get(1))
                    .or_default()
                    .insert(f.get(2), f.get(3));
            }
        }
        Ok(groups)
    }

    pub async fn group(&self, id: i64) -> Result<Option<GroupRow>, ServeError> {
        let c = self.client().await;
        let r = c
            .query_opt(
                &format!("SELECT {GROUP_COLS} FROM groups WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(db_err)?;
        let Some(mut g) = r.as_ref().map(group_row) else {
            return Ok(None);
        };
        let facets = c
            .query(
                "SELECT facet, value, count FROM group_facets WHERE group_id = $1",
                &[&id],
            )
            .await
            .map_err(db_err)?;
        for f in facets {
            g.facets
                .entry(f.get(0))
                .or_default()
                .insert(f.get(1), f.get(2));
        }
        Ok(Some(g))
    }

    pub async fn crashes_by_status(
        &self,
        status: String,
        limit: i64,
    ) -> Result<Vec<CrashRow>, ServeError> {
        let c = self.client().await;
        let rows = c
            .query(
                &format!(
                    "SELECT {CRASH_COLS} FROM crashes WHERE status = $1 ORDER BY received DESC LIMIT $2"
                ),
                &[&status, &limit],
            )
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(crash_row).collect())
    }

    pub async fn group_crashes(&self, id: i64, limit: i64) -> Result<Vec<CrashRow>, ServeError> {
        let c = self.client().await;
        let rows = c
            .query(
                &format!(
                    "SELECT {CRASH_COLS} FROM crashes WHERE group_id = $1 ORDER BY received DESC LIMIT $2"
                ),
                &[&id, &limit],
            )
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(crash_row).collect())
    }

    pub async fn days(&self, since: String) -> Result<DayCounts, ServeError> {
        let c = self.client().await;
        let rows = c
            .query(
                "SELECT group_id, day, count FROM group_days WHERE day >= $1",
                &[&since],
            )
            .await
            .map_err(db_err)?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    pub async fn set_report(&self, id: String, report: String) -> Result<(), ServeError> {
        let c = self.client().await;
        c.execute(
            "UPDATE crashes SET report = $2 WHERE id = $1",
            &[&id, &report],
        )
        .await
        .map(|_| ())
        .map_err(db_err)
    }

    pub async fn resolve(&self, id: i64, version: Option<String>) -> Result<bool, ServeError> {
        let c = self.client().await;
        let n = c
            .execute(
                "UPDATE groups SET resolved_in = $2, reopened = 0 WHERE id = $1",
                &[&id, &version],
            )
            .await
            .map_err(db_err)?;
        Ok(n == 1)
    }

    pub async fn add_counter(&self, name: String, by: i64) -> Result<(), ServeError> {
        let c = self.client().await;
        c.execute(
            "INSERT INTO counters (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + $2",
            &[&name, &by],
        )
        .await
        .map_err(db_err)?;
        Ok(())
    }

    pub async fn stats(&self) -> Result<Stats, ServeError> {
        let c = self.client().await;
        let mut s = Stats::default();
        let rows = c
            .query(
                "SELECT status, COUNT(*)::BIGINT FROM crashes \
                 WHERE status IN ('queued', 'processing', 'failed') GROUP BY status",
                &[],
            )
            .await
            .map_err(db_err)?;
        for r in rows {
            super::count_status(&mut s, r.get(0), r.get(1));
        }
        // Done is the sum of the groups' counts (each completion counts in one group): no
        // scan of a million analysed crashes. The other states are few, and indexed.
        s.done = c
            .query_one("SELECT COALESCE(SUM(count), 0)::BIGINT FROM groups", &[])
            .await
            .map_err(db_err)?
            .get(0);
        let d = c
            .query_opt("SELECT value FROM counters WHERE name = 'dropped'", &[])
            .await
            .map_err(db_err)?;
        s.dropped = d.map(|r| r.get(0)).unwrap_or(0);
        Ok(s)
    }

    pub async fn new_session(
        &self,
        id: String,
        csrf: String,
        expires: i64,
    ) -> Result<(), ServeError> {
        let c = self.client().await;
        let t = now();
        c.execute("DELETE FROM sessions WHERE expires < $1", &[&t])
            .await
            .map_err(db_err)?;
        c.execute(
            "INSERT INTO sessions VALUES ($1, $2, $3)",
            &[&id, &csrf, &expires],
        )
        .await
        .map_err(db_err)?;
        Ok(())
    }

    pub async fn session(&self, id: String, t: i64) -> Result<Option<String>, ServeError> {
        let c = self.client().await;
        let r = c
            .query_opt(
                "SELECT csrf FROM sessions WHERE id = $1 AND expires > $2",
                &[&id, &t],
            )
            .await
            .map_err(db_err)?;
        Ok(r.map(|r| r.get(0)))
    }

    pub async fn end_session(&self, id: String) -> Result<(), ServeError> {
        let c = self.client().await;
        c.execute("DELETE FROM sessions WHERE id = $1", &[&id])
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub async fn requeue_for_symbols(
        &self,
        name: Option<String>,
        debug_id: String,
    ) -> Result<Vec<String>, ServeError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(db_err)?;
        let ids = requeue_tx(&tx, name.as_deref(), &debug_id)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(ids)
    }

    pub async fn missing_name(&self, debug_id: String) -> Result<Option<String>, ServeError> {
        let c = self.client().await;
        let r = c
            .query_opt(
                "SELECT name FROM missing_symbols WHERE debug_id = $1 LIMIT 1",
                &[&debug_id],
            )
            .await
            .map_err(db_err)?;
        Ok(r.map(|r| r.get(0)))
    }

    pub async fn expire(&self, before: i64, limit: i64) -> Result<Vec<String>, ServeError> {
        let c = self.client().await;
        let rows = c
            .query(
                "UPDATE crashes SET dump_deleted = 1 WHERE id IN (SELECT id FROM crashes \
                 WHERE received < $1 AND dump_deleted = 0 AND status IN ('done', 'failed') \
                 LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id",
                &[&before, &limit],
            )
            .await
            .map_err(db_err)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

async fn ensure_keys(
    tx: &Transaction<'_>,
) -> Result<(String, String, bool), tokio_postgres::Error> {
    let key = tx
        .query_opt(
            "SELECT ingest_key FROM projects WHERE name = 'default'",
            &[],
        )
        .await?
        .map(|r| r.get::<_, String>(0));
    let admin = tx
        .query_opt("SELECT value FROM settings WHERE name = 'admin_token'", &[])
        .await?
        .map(|r| r.get::<_, String>(0));
    if let (Some(k), Some(a)) = (key.clone(), admin.clone()) {
        return Ok((k, a, false));
    }
    let k = key.unwrap_or_else(super::token);
    let a = admin.unwrap_or_else(super::token);
    tx.execute(
        "INSERT INTO projects VALUES ('default', $1) ON CONFLICT DO NOTHING",
        &[&k],
    )
    .await?;
    tx.execute(
        "INSERT INTO settings VALUES ('admin_token', $1) ON CONFLICT DO NOTHING",
        &[&a],
    )
    .await?;
    Ok((k, a, true))
}

/// Joins the crash to its group and stores the analysis, if `job` still holds the lease (the
/// crash row is locked first, so a worker whose lease expired meanwhile stores nothing).
/// Back to the queue, or `failed` for good, if `job` still holds the lease.
async fn fail_tx(
    tx: &Transaction<'_>,
    job: &Job,
    error: &str,
    permanent: bool,
    max_attempts: i64,
) -> Result<bool, tokio_postgres::Error> {
    let n = tx
        .execute(
            "UPDATE crashes SET status = CASE WHEN $4 OR attempts >= $5 THEN 'failed' \
             ELSE 'queued' END, error = $3, lease_token = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_token = $2 AND status = 'processing'",
            &[&job.id, &job.token, &error, &permanent, &max_attempts],
        )
        .await?;
    Ok(n == 1)
}

async fn complete_tx(
    tx: &Transaction<'_>,
    job: &Job,
    f: &Finished,
) -> Result<bool, tokio_postgres::Error> {
    Ok(complete_many(tx, &[(job, f)]).await?[0])
}

/// Stores the analyses whose jobs still hold their leases (their rows locked), each joined to
/// its group; the crashes of one group are counted together, groups in (project, bucket) order
/// so that concurrent workers lock them in the same order. Returns which were stored.
async fn complete_many(
    tx: &Transaction<'_>,
    done: &[(&Job, &Finished)],
) -> Result<Vec<bool>, tokio_postgres::Error> {
    let mut stored = vec![false; done.len()];
    let mut groups: BTreeMap<(String, &str), Vec<usize>> = BTreeMap::new();
    for (i, (job, f)) in done.iter().enumerate() {
        let row = tx
            .query_opt(
                "SELECT project FROM crashes WHERE id = $1 AND lease_token = $2 \
                 AND status = 'processing' FOR UPDATE",
                &[&job.id, &job.token],
            )
            .await?;
        if let Some(project) = row.map(|r| r.get::<_, String>(0)) {
            groups.entry((project, &f.bucket)).or_default().push(i);
        }
    }
    for ((project, bucket), idx) in &groups {
        let fs: Vec<&Finished> = idx.iter().map(|&i| done[i].1).collect();
        let gid = count_group(tx, project, bucket, &fs).await?;
        for &i in idx {
            let (job, f) = done[i];
            // A crash queued again by a symbol upload was taken out of its group then: it is
            // counted again here, as a reprocessing, not as a second completion.
            tx.execute(
                "UPDATE crashes SET status = 'done', completions = completions + 1 - requeued, \
                 reprocessed = reprocessed + requeued, requeued = 0, bucket = $2, \
                 group_id = $3, analysis = $4, report = $5, counted = $6, error = NULL, \
                 lease_token = NULL, lease_until = NULL WHERE id = $1",
                &[
                    &job.id,
                    &f.bucket,
                    &gid,
                    &f.analysis,
                    &f.report,
                    &f.counted(),
                ],
            )
            .await?;
            record_missing(tx, &job.id, &f.missing).await?;
            stored[i] = true;
        }
    }
    Ok(stored)
}

/// Counts `fs` (analyses of one bucket) in their group, its days and facets; reopens it when
/// one of them is of a version after the one it was resolved in. Returns the group's id.
async fn count_group(
    tx: &Transaction<'_>,
    project: &str,
    bucket: &str,
    fs: &[&Finished],
) -> Result<i64, tokio_postgres::Error> {
    let first = fs[0];
    let lo = fs
        .iter()
        .map(|f| f.received)
        .min()
        .unwrap_or(first.received);
    let hi = fs
        .iter()
        .map(|f| f.received)
        .max()
        .unwrap_or(first.received);
    let n = fs.len() as i64;
    let g = tx
        .query_one(
            "INSERT INTO groups (project, bucket, count, first_seen, last_seen, blame, signature) \
             VALUES ($1, $2, $6, $3, $7, $4, $5) ON CONFLICT (project, bucket) DO UPDATE SET \
             count = groups.count + $6, first_seen = LEAST(groups.first_seen, $3), \
             last_seen = GREATEST(groups.last_seen, $7) RETURNING id, resolved_in",
            &[
                &project,
                &bucket,
                &lo,
                &first.blame,
                &first.signature,
                &n,
                &hi,
            ],
        )
        .await?;
    let (gid, resolved_in): (i64, Option<String>) = (g.get(0), g.get(1));
    if let Some(res) = resolved_in {
        let newer = |f: &&Finished| {
            f.version
                .as_deref()
                .is_some_and(|v| super::version_newer(v, &res))
        };
        if fs.iter().any(newer) {
            tx.execute(
                "UPDATE groups SET resolved_in = NULL, reopened = 1 WHERE id = $1",
                &[&gid],
            )
            .await?;
        }
    }
    let mut days: BTreeMap<&str, i64> = BTreeMap::new();
    let mut facets: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for f in fs {
        *days.entry(&f.day).or_default() += 1;
        for (facet, value) in &f.facets {
            *facets.entry((facet, value)).or_default() += 1;
        }
    }
    for (day, n) in days {
        tx.execute(
            "INSERT INTO group_days VALUES ($1, $2, $3) ON CONFLICT (group_id, day) \
             DO UPDATE SET count = group_days.count + $3",
            &[&gid, &day, &n],
        )
        .await?;
    }
    for ((facet, value), n) in facets {
        tx.execute(
            "INSERT INTO group_facets VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, facet, value) \
             DO UPDATE SET count = group_facets.count + $4",
            &[&gid, &facet, &value, &n],
        )
        .await?;
    }
    Ok(gid)
}

/// Replaces the crash's list of stack modules without symbols.
async fn record_missing(
    tx: &Transaction<'_>,
    id: &str,
    missing: &[(String, String)],
) -> Result<(), tokio_postgres::Error> {
    tx.execute("DELETE FROM missing_symbols WHERE crash_id = $1", &[&id])
        .await?;
    for (name, debug_id) in missing {
        tx.execute(
            "INSERT INTO missing_symbols VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&id, name, debug_id],
        )
        .await?;
    }
    Ok(())
}

/// Takes one crash out of its group's count, day and facets (before it is reprocessed).
async fn uncount(
    tx: &Transaction<'_>,
    gid: i64,
    day: &str,
    facets: &[(String, String)],
) -> Result<(), tokio_postgres::Error> {
    tx.execute("UPDATE groups SET count = count - 1 WHERE id = $1", &[&gid])
        .await?;
    tx.execute(
        "UPDATE group_days SET count = count - 1 WHERE group_id = $1 AND day = $2",
        &[&gid, &day],
    )
    .await?;
    for (facet, value) in facets {
        tx.execute(
            "UPDATE group_facets SET count = count - 1 WHERE group_id = $1 AND facet = $2 \
             AND value = $3",
            &[&gid, facet, value],
        )
        .await?;
    }
    tx.execute(
        "DELETE FROM group_days WHERE group_id = $1 AND count <= 0",
        &[&gid],
    )
    .await?;
    tx.execute(
        "DELETE FROM group_facets WHERE group_id = $1 AND count <= 0",
        &[&gid],
    )
    .await?;
    Ok(())
}

/// Queues again the analysed crashes (dump still kept) that lacked symbols for `debug_id`
/// (and `name`), each taken out of its group; moves the symbol generation on.
async fn requeue_tx(
    tx: &Transaction<'_>,
    name: Option<&str>,
    debug_id: &str,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = tx
        .query(
            "SELECT c.id, c.group_id, c.received, c.counted FROM crashes c WHERE c.id IN \
             (SELECT crash_id FROM missing_symbols WHERE debug_id = $1 \
             AND ($2::TEXT IS NULL OR lower(name) = $2)) AND c.status = 'done' AND c.dump_deleted = 0 \
             FOR UPDATE",
            &[&debug_id, &name],
        )
        .await?;
    let mut ids = Vec::with_capacity(rows.len());
    for r in rows {
        let (id, gid, received, counted): (String, Option<i64>, i64, Option<String>) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        if let Some(gid) = gid {
            let (day, facets) = super::uncounted(counted.as_deref(), received);
            uncount(tx, gid, &day, &facets).await?;
        }
        tx.execute(
            "UPDATE crashes SET status = 'queued', requeued = 1, group_id = NULL, \
             lease_token = NULL, lease_until = NULL WHERE id = $1",
            &[&id],
        )
        .await?;
        ids.push(id);
    }
    tx.execute(
        "INSERT INTO settings VALUES ('symbols_generation', '1') ON CONFLICT (name) \
         DO UPDATE SET value = (settings.value::BIGINT + 1)::TEXT",
        &[],
    )
    .await?;
    Ok(ids)
}
