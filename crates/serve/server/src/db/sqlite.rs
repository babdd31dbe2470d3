//! SQLite (WAL) for embedded mode: one connection behind a mutex, used from blocking threads.

use super::analysis_log::{AnalysisLog, Place};
use super::{Attempt, CrashRow, DayCounts, Finished, GroupRow, Job, NewCrash, Stats};
use crate::{now, ServeError};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SqliteDb {
    conn: Arc<Mutex<Connection>>,
    /// Where the analyses are stored (`analyses/` beside the database file).
    log: Arc<AnalysisLog>,
}

fn db_err(e: rusqlite::Error) -> ServeError {
    ServeError::Database(e.to_string())
}

const CRASH_COLS: &str = "id, project, status, error, bucket, group_id, received, annotations, \
     attachments, analysis, report, attempts, completions, dump_deleted, worker, reprocessed, \
     analysis_segment, analysis_offset, analysis_len, analysis_crc";

/// The crash with its analysis read from the log. An analysis that cannot be read leaves the
/// crash without one, and says why in its error.
fn resolve(log: &AnalysisLog, (mut row, place): (CrashRow, Option<Place>)) -> CrashRow {
    if let (None, Some(p)) = (&row.analysis, place) {
        match log.read(p) {
            Ok(a) => row.analysis = Some(a),
            Err(e) => {
                log::warn!("crash {}: {e}", row.id);
                row.error = Some(format!("the stored analysis could not be read: {e}"));
            }
        }
    }
    row
}

/// A crash row and where its analysis is in the log (rows stored before the log hold it in
/// their `analysis` column).
fn crash_row(r: &Row<'_>) -> rusqlite::Result<(CrashRow, Option<Place>)> {
    let place = match (r.get(16)?, r.get(17)?, r.get(18)?, r.get(19)?) {
        (Some(segment), Some(offset), Some(len), Some(crc)) => Some(Place {
            segment,
            offset,
            len,
            crc,
        }),
        _ => None,
    };
    Ok((crash_fields(r)?, place))
}

fn crash_fields(r: &Row<'_>) -> rusqlite::Result<CrashRow> {
    Ok(CrashRow {
        id: r.get(0)?,
        project: r.get(1)?,
        status: r.get(2)?,
        error: r.get(3)?,
        bucket: r.get(4)?,
        group_id: r.get(5)?,
        received: r.get(6)?,
        annotations: r.get(7)?,
        attachments: r.get(8)?,
        analysis: r.get(9)?,
        report: r.get(10)?,
        attempts: r.get(11)?,
        completions: r.get(12)?,
        dump_deleted: r.get::<_, i64>(13)? != 0,
        worker: r.get(14)?,
        reprocessed: r.get(15)?,
    })
}

const GROUP_COLS: &str =
    "id, bucket, count, first_seen, last_seen, blame, signature, resolved_in, reopened";

fn group_row(r: &Row<'_>) -> rusqlite::Result<GroupRow> {
    Ok(GroupRow {
        id: r.get(0)?,
        bucket: r.get(1)?,
        count: r.get(2)?,
        first_seen: r.get(3)?,
        last_seen: r.get(4)?,
        blame: r.get(5)?,
        signature: r.get(6)?,
        resolved_in: r.get(7)?,
        reopened: r.get::<_, i64>(8)? != 0,
        facets: BTreeMap::new(),
    })
}

impl SqliteDb {
    /// Opens (creating) the database file in WAL mode.
    pub fn open(path: &Path) -> Result<Self, ServeError> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        )
        .map_err(db_err)?;
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(conn)),
            log: Arc::new(AnalysisLog::new(path.with_file_name("analyses"))),
        })
    }

    pub(super) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, ServeError> {
        self.run_after(|| Ok(()), |c, ()| f(c)).await
    }

    /// As [`SqliteDb::run`], `before` done first on the same blocking thread without holding
    /// the connection (the analysis log's synced append, which other requests need not wait
    /// for), its result handed to `f`.
    async fn run_after<B, T: Send + 'static>(
        &self,
        before: impl FnOnce() -> rusqlite::Result<B> + Send + 'static,
        f: impl FnOnce(&mut Connection, B) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, ServeError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let b = before()?;
            // A panic while the lock was held cannot leave SQLite inconsistent (transactions
            // roll back on drop), so a poisoned lock is taken over.
            let mut c = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut c, b)
        })
        .await
        .map_err(|e| ServeError::Database(format!("database task failed: {e}")))?
        .map_err(db_err)
    }

    pub async fn init(&self) -> Result<(String, String, bool), ServeError> {
        self.run(|c| {
            let tx = c.transaction()?;
            tx.execute_batch(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
            )?;
            let have: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )?;
            for (i, m) in super::schema::SQLITE.iter().enumerate().skip(have as usize) {
                tx.execute_batch(m)?;
                tx.execute("INSERT INTO schema_version VALUES (?1)", [i as i64 + 1])?;
            }
            let r = ensure_keys(&tx)?;
            tx.commit()?;
            Ok(r)
        })
        .await
    }

    pub async fn keys(&self) -> Result<BTreeMap<String, String>, ServeError> {
        self.run(|c| {
            let mut st = c.prepare("SELECT ingest_key, name FROM projects")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }

    pub async fn setting(&self, name: &'static str) -> Result<Option<String>, ServeError> {
        self.run(move |c| {
            c.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
        })
        .await
    }

    pub async fn insert(&self, n: NewCrash) -> Result<(), ServeError> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO crashes (id, project, received, status, annotations, attachments, \
                 size, sha256, version) VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6, ?7, ?8)",
                params![
                    n.id,
                    n.project,
                    n.received,
                    n.annotations,
                    n.attachments,
                    n.size,
                    n.sha256,
                    n.version
                ],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn find_sha(
        &self,
        project: String,
        sha: String,
    ) -> Result<Option<String>, ServeError> {
        self.run(move |c| {
            c.query_row(
                "SELECT id FROM crashes WHERE project = ?1 AND sha256 = ?2 LIMIT 1",
                [project, sha],
                |r| r.get(0),
            )
            .optional()
        })
        .await
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
        self.run(move |c| {
            let tx = c.transaction()?;
            let t = now();
            exec(
                &tx,
                "UPDATE crashes SET status = 'failed', lease_token = NULL, error = COALESCE(error, \
                 'the analysis never finished (worker lost)') || ' (after ' || attempts || ' attempts)' \
                 WHERE status = 'processing' AND lease_until < ?1 AND attempts >= ?2",
                params![t, max_attempts],
            )?;
            // Two queries, each an index range on (status, received): an OR would scan every
            // crash ever stored. Jobs whose lease expired first (they are the older).
            let mut ids = ids(
                &tx,
                "SELECT id FROM crashes WHERE status = 'processing' AND lease_until < ?1 \
                 ORDER BY received LIMIT ?2",
                params![t, n],
            )?;
            let left = n - ids.len() as i64;
            if left > 0 {
                ids.extend(ids_q(&tx, left)?);
            }
            let token = super::token();
            let mut jobs = Vec::with_capacity(ids.len());
            for id in ids {
                let mut st = tx.prepare_cached(
                    "UPDATE crashes SET status = 'processing', attempts = attempts + 1, \
                     lease_until = ?2, lease_token = ?3, worker = ?4 WHERE id = ?1 \
                     RETURNING attempts, received, annotations",
                )?;
                let job = st.query_row(params![id, t + lease, token, worker], |r| {
                    Ok(Job {
                        id: id.clone(),
                        token: token.clone(),
                        attempts: r.get(0)?,
                        received: r.get(1)?,
                        annotations: r.get(2)?,
                    })
                })?;
                jobs.push(job);
            }
            tx.commit()?;
            Ok(jobs)
        })
        .await
    }

    pub async fn renew_token(&self, token: String, lease: i64) -> Result<u64, ServeError> {
        self.run(move |c| {
            let n = c.execute(
                "UPDATE crashes SET lease_until = ?2 WHERE lease_token = ?1 \
                 AND status = 'processing'",
                params![token, now() + lease],
            )?;
            Ok(n as u64)
        })
        .await
    }

    pub async fn settle(
        &self,
        results: Vec<(Job, Attempt)>,
        max_attempts: i64,
    ) -> Result<Vec<bool>, ServeError> {
        let log = self.log.clone();
        let append = move || {
            let texts = results.iter().filter_map(|(_, a)| match a {
                Attempt::Done(f) => Some(f.analysis.as_str()),
                Attempt::Failed { .. } => None,
            });
            let places = append(&log, texts)?;
            Ok((results, places))
        };
        self.run_after(append, move |c, (results, places)| {
            let tx = c.transaction()?;
            let mut stored = vec![false; results.len()];
            let mut done = Vec::new();
            let mut at = Vec::new();
            let mut places = places.into_iter();
            for (i, (job, attempt)) in results.iter().enumerate() {
                match attempt {
                    Attempt::Done(f) => {
                        let Some(p) = places.next() else {
                            unreachable!("one place per analysis appended")
                        };
                        done.push((job, f, p));
                        at.push(i);
                    }
                    Attempt::Failed { error, permanent } => {
                        stored[i] = fail_tx(&tx, job, error, *permanent, max_attempts)?;
                    }
                }
            }
            for (i, ok) in at.into_iter().zip(complete_many(&tx, &done)?) {
                stored[i] = ok;
            }
            tx.commit()?;
            Ok(stored)
        })
        .await
    }

    pub async fn renew(&self, job: Job, lease: i64) -> Result<bool, ServeError> {
        self.run(move |c| {
            let n = c.execute(
                "UPDATE crashes SET lease_until = ?3 WHERE id = ?1 AND lease_token = ?2 \
                 AND status = 'processing'",
                params![job.id, job.token, now() + lease],
            )?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn complete(&self, job: Job, f: Finished) -> Result<bool, ServeError> {
        let log = self.log.clone();
        let append = move || {
            let p = append(&log, [f.analysis.as_str()])?;
            Ok((f, p[0]))
        };
        self.run_after(append, move |c, (f, p)| {
            let tx = c.transaction()?;
            let ok = complete_many(&tx, &[(&job, &f, p)])?[0];
            if ok {
                tx.commit()?;
            }
            Ok(ok)
        })
        .await
    }

    pub async fn fail(
        &self,
        job: Job,
        error: String,
        permanent: bool,
        max_attempts: i64,
    ) -> Result<bool, ServeError> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let ok = fail_tx(&tx, &job, &error, permanent, max_attempts)?;
            tx.commit()?;
            Ok(ok)
        })
        .await
    }

    pub async fn crash(&self, id: String) -> Result<Option<CrashRow>, ServeError> {
        let log = self.log.clone();
        self.run(move |c| {
            let row = c
                .query_row(
                    &format!("SELECT {CRASH_COLS} FROM crashes WHERE id = ?1"),
                    [id],
                    crash_row,
                )
                .optional()?;
            Ok(row.map(|r| resolve(&log, r)))
        })
        .await
    }

    pub async fn groups(&self, limit: i64) -> Result<Vec<GroupRow>, ServeError> {
        self.run(move |c| {
            let mut st = c.prepare(&format!(
                "SELECT {GROUP_COLS} FROM groups WHERE count > 0 ORDER BY count DESC, id LIMIT ?1"
            ))?;
            let mut groups: Vec<GroupRow> = st
                .query_map([limit], group_row)?
                .collect::<Result<_, _>>()?;
            for g in &mut groups {
                fill_facets(c, g)?;
            }
            Ok(groups)
        })
        .await
    }

    pub async fn group(&self, id: i64) -> Result<Option<GroupRow>, ServeError> {
        self.run(move |c| {
            let g = c
                .query_row(
                    &format!("SELECT {GROUP_COLS} FROM groups WHERE id = ?1"),
                    [id],
                    group_row,
                )
                .optional()?;
            let Some(mut g) = g else { return Ok(None) };
            fill_facets(c, &mut g)?;
            Ok(Some(g))
        })
        .await
    }

    pub async fn crashes_by_status(
        &self,
        status: String,
        limit: i64,
    ) -> Result<Vec<CrashRow>, ServeError> {
        self.crash_list("status = ?1", (status, limit)).await
    }

    pub async fn group_crashes(&self, id: i64, limit: i64) -> Result<Vec<CrashRow>, ServeError> {
        self.crash_list("group_id = ?1", (id, limit)).await
    }

    /// The newest crashes `cond` selects (`?2`: how many), their analyses read from the log.
    async fn crash_list(
        &self,
        cond: &'static str,
        p: impl rusqlite::Params + Send + 'static,
    ) -> Result<Vec<CrashRow>, ServeError> {
        let log = self.log.clone();
        self.run(move |c| {
            let mut st = c.prepare(&format!(
                "SELECT {CRASH_COLS} FROM crashes WHERE {cond} ORDER BY received DESC LIMIT ?2"
            ))?;
            let rows = st.query_map(p, crash_row)?;
            rows.map(|r| r.map(|r| resolve(&log, r))).collect()
        })
        .await
    }

    pub async fn days(&self, since: String) -> Result<DayCounts, ServeError> {
        self.run(move |c| {
            let mut st =
                c.prepare("SELECT group_id, day, count FROM group_days WHERE day >= ?1")?;
            let rows = st.query_map([since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })
        .await
    }

    pub async fn set_report(&self, id: String, report: String) -> Result<(), ServeError> {
        self.run(move |c| {
            c.execute(
                "UPDATE crashes SET report = ?2 WHERE id = ?1",
                params![id, report],
            )
            .map(|_| ())
        })
        .await
    }

    pub async fn resolve(&self, id: i64, version: Option<String>) -> Result<bool, ServeError> {
        self.run(move |c| {
            let n = c.execute(
                "UPDATE groups SET resolved_in = ?2, reopened = 0 WHERE id = ?1",
                params![id, version],
            )?;
            Ok(n == 1)
        })
        .await
    }

    pub async fn add_counter(&self, name: String, by: i64) -> Result<(), ServeError> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO counters (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = value + ?2",
                params![name, by],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn stats(&self) -> Result<Stats, ServeError> {
        self.run(|c| {
            // Done is the sum of the groups' counts (each completion counts in one group):
            // no scan of a million analysed crashes. The other states are few, and indexed.
            let mut s = Stats {
                done: c.query_row("SELECT COALESCE(SUM(count), 0) FROM groups", [], |r| {
                    r.get(0)
                })?,
                ..Stats::default()
            };
            let mut st = c.prepare(
                "SELECT status, COUNT(*) FROM crashes \
                 WHERE status IN ('queued', 'processing', 'failed') GROUP BY status",
            )?;
            let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (status, n) = row?;
                super::count_status(&mut s, &status, n);
            }
            s.dropped = c
                .query_row(
                    "SELECT value FROM counters WHERE name = 'dropped'",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            Ok(s)
        })
        .await
    }

    pub async fn new_session(
        &self,
        id: String,
        csrf: String,
        expires: i64,
    ) -> Result<(), ServeError> {
        self.run(move |c| {
            c.execute("DELETE FROM sessions WHERE expires < ?1", [now()])?;
            c.execute(
                "INSERT INTO sessions VALUES (?1, ?2, ?3)",
                params![id, csrf, expires],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn session(&self, id: String, t: i64) -> Result<Option<String>, ServeError> {
        self.run(move |c| {
            c.query_row(
                "SELECT csrf FROM sessions WHERE id = ?1 AND expires > ?2",
                params![id, t],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    pub async fn end_session(&self, id: String) -> Result<(), ServeError> {
        self.run(move |c| {
            c.execute("DELETE FROM sessions WHERE id = ?1", [id])
                .map(|_| ())
        })
        .await
    }

    pub async fn requeue_for_symbols(
        &self,
        name: Option<String>,
        debug_id: String,
    ) -> Result<Vec<String>, ServeError> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let ids = requeue_tx(&tx, name.as_deref(), &debug_id)?;
            tx.commit()?;
            Ok(ids)
        })
        .await
    }

    pub async fn missing_name(&self, debug_id: String) -> Result<Option<String>, ServeError> {
        self.run(move |c| {
            c.query_row(
                "SELECT name FROM missing_symbols WHERE debug_id = ?1 LIMIT 1",
                [debug_id],
                |r| r.get(0),
            )
            .optional()
        })
        .await
    }

    pub async fn expire(&self, before: i64, limit: i64) -> Result<Vec<String>, ServeError> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let ids: Vec<String> = {
                let mut st = tx.prepare(
                    "SELECT id FROM crashes WHERE received < ?1 AND dump_deleted = 0 \
                     AND status IN ('done', 'failed') LIMIT ?2",
                )?;
                let rows = st.query_map([before, limit], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            for id in &ids {
                tx.execute("UPDATE crashes SET dump_deleted = 1 WHERE id = ?1", [id])?;
            }
            tx.commit()?;
            Ok(ids)
        })
        .await
    }
}

fn ensure_keys(tx: &Transaction<'_>) -> rusqlite::Result<(String, String, bool)> {
    let key: Option<String> = tx
        .query_row(
            "SELECT ingest_key FROM projects WHERE name = 'default'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let admin: Option<String> = tx
        .query_row(
            "SELECT value FROM settings WHERE name = 'admin_token'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let (Some(k), Some(a)) = (key.clone(), admin.clone()) {
        return Ok((k, a, false));
    }
    let k = key.unwrap_or_else(super::token);
    let a = admin.unwrap_or_else(super::token);
    tx.execute(
        "INSERT OR IGNORE INTO projects VALUES ('default', ?1)",
        [&k],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO settings VALUES ('admin_token', ?1)",
        [&a],
    )?;
    Ok((k, a, true))
}

fn fill_facets(c: &Connection, g: &mut GroupRow) -> rusqlite::Result<()> {
    let mut st =
        c.prepare_cached("SELECT facet, value, count FROM group_facets WHERE group_id = ?1")?;
    let rows = st.query_map([g.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    for row in rows {
        let (facet, value, count): (String, String, i64) = row?;
        g.facets.entry(facet).or_default().insert(value, count);
    }
    Ok(())
}

/// The ids a statement returns, through the statement cache.
fn ids(tx: &Transaction<'_>, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<Vec<String>> {
    let mut st = tx.prepare_cached(sql)?;
    let rows = st.query_map(p, |r| r.get(0))?;
    rows.collect()
}

/// The oldest `n` queued crashes.
fn ids_q(tx: &Transaction<'_>, n: i64) -> rusqlite::Result<Vec<String>> {
    ids(
        tx,
        "SELECT id FROM crashes WHERE status = 'queued' ORDER BY received LIMIT ?1",
        [n],
    )
}

/// Back to the queue, or `failed` for good, if `job` still holds the lease.
fn fail_tx(
    tx: &Transaction<'_>,
    job: &Job,
    error: &str,
    permanent: bool,
    max_attempts: i64,
) -> rusqlite::Result<bool> {
    let n = exec(
        tx,
        "UPDATE crashes SET status = CASE WHEN ?4 OR attempts >= ?5 THEN 'failed' \
         ELSE 'queued' END, error = ?3, lease_token = NULL, lease_until = NULL \
         WHERE id = ?1 AND lease_token = ?2 AND status = 'processing'",
        params![job.id, job.token, error, permanent, max_attempts],
    )?;
    Ok(n == 1)
}

/// Runs a statement through the connection's prepared-statement cache (the hot paths).
fn exec(tx: &Transaction<'_>, sql: &str, p: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(p)
}

/// Appends analyses to the log (synced) before the transaction that points at them.
fn append<'a>(
    log: &AnalysisLog,
    texts: impl IntoIterator<Item = &'a str>,
) -> rusqlite::Result<Vec<Place>> {
    let texts: Vec<&str> = texts.into_iter().collect();
    // The I/O error travels boxed (rusqlite displays it as it is).
    log.append(&texts)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// Marks done the crashes whose jobs still hold their leases, their analyses at the given
/// places of the log (an analysis whose job lost its lease stays there unused), each joined
/// to its group; the crashes of one group are counted together (one upsert per group, day
/// and facet, not one per crash). Returns which were stored.
fn complete_many(
    tx: &Transaction<'_>,
    done: &[(&Job, &Finished, Place)],
) -> rusqlite::Result<Vec<bool>> {
    let mut stored = vec![false; done.len()];
    let mut groups: BTreeMap<(String, &str), Vec<usize>> = BTreeMap::new();
    for (i, (job, f, _)) in done.iter().enumerate() {
        let project: Option<String> = tx
            .prepare_cached(
                "SELECT project FROM crashes WHERE id = ?1 AND lease_token = ?2 \
                 AND status = 'processing'",
            )?
            .query_row(params![job.id, job.token], |r| r.get(0))
            .optional()?;
        if let Some(project) = project {
            groups.entry((project, &f.bucket)).or_default().push(i);
        }
    }
    for ((project, bucket), idx) in &groups {
        let fs: Vec<&Finished> = idx.iter().map(|&i| done[i].1).collect();
        let gid = count_group(tx, project, bucket, &fs)?;
        for &i in idx {
            let (job, f, at) = done[i];
            // A crash queued again by a symbol upload was taken out of its group then: it is
            // counted again here, as a reprocessing, not as a second completion.
            exec(
                tx,
                "UPDATE crashes SET status = 'done', completions = completions + 1 - requeued, \
                 reprocessed = reprocessed + requeued, requeued = 0, bucket = ?2, \
                 group_id = ?3, analysis = NULL, analysis_segment = ?4, analysis_offset = ?5, \
                 analysis_len = ?6, analysis_crc = ?9, report = ?7, counted = ?8, error = NULL, \
                 lease_token = NULL, lease_until = NULL WHERE id = ?1",
                params![
                    job.id,
                    f.bucket,
                    gid,
                    at.segment,
                    at.offset,
                    at.len,
                    f.report,
                    f.counted(),
                    at.crc
                ],
            )?;
            record_missing(tx, &job.id, &f.missing)?;
            stored[i] = true;
        }
    }
    Ok(stored)
}

/// Counts `fs` (analyses of one bucket) in their group, its days and facets; reopens it when
/// one of them is of a version after the one it was resolved in. Returns the group's id.
fn count_group(
    tx: &Transaction<'_>,
    project: &str,
    bucket: &str,
    fs: &[&Finished],
) -> rusqlite::Result<i64> {
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
    let (gid, resolved_in): (i64, Option<String>) = tx
        .prepare_cached(
            "INSERT INTO groups (project, bucket, count, first_seen, last_seen, blame, signature) \
             VALUES (?1, ?2, ?6, ?3, ?7, ?4, ?5) ON CONFLICT (project, bucket) DO UPDATE SET \
             count = count + ?6, first_seen = MIN(first_seen, ?3), last_seen = MAX(last_seen, ?7) \
             RETURNING id, resolved_in",
        )?
        .query_row(
            params![
                project,
                bucket,
                lo,
                first.blame,
                first.signature,
                fs.len() as i64,
                hi
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    if let Some(res) = resolved_in {
        let newer = |f: &&Finished| {
            f.version
                .as_deref()
                .is_some_and(|v| super::version_newer(v, &res))
        };
        if fs.iter().any(newer) {
            exec(
                tx,
                "UPDATE groups SET resolved_in = NULL, reopened = 1 WHERE id = ?1",
                [gid],
            )?;
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
        exec(
            tx,
            "INSERT INTO group_days VALUES (?1, ?2, ?3) ON CONFLICT (group_id, day) \
             DO UPDATE SET count = count + ?3",
            params![gid, day, n],
        )?;
    }
    for ((facet, value), n) in facets {
        exec(
            tx,
            "INSERT INTO group_facets VALUES (?1, ?2, ?3, ?4) ON CONFLICT (group_id, facet, value) \
             DO UPDATE SET count = count + ?4",
            params![gid, facet, value, n],
        )?;
    }
    Ok(gid)
}

/// Replaces the crash's list of stack modules without symbols.
fn record_missing(
    tx: &Transaction<'_>,
    id: &str,
    missing: &[(String, String)],
) -> rusqlite::Result<()> {
    exec(tx, "DELETE FROM missing_symbols WHERE crash_id = ?1", [id])?;
    for (name, debug_id) in missing {
        exec(
            tx,
            "INSERT OR IGNORE INTO missing_symbols VALUES (?1, ?2, ?3)",
            params![id, name, debug_id],
        )?;
    }
    Ok(())
}

/// Takes one crash out of its group's count, day and facets (before it is reprocessed).
fn uncount(
    tx: &Transaction<'_>,
    gid: i64,
    day: &str,
    facets: &[(String, String)],
) -> rusqlite::Result<()> {
    exec(
        tx,
        "UPDATE groups SET count = count - 1 WHERE id = ?1",
        [gid],
    )?;
    exec(
        tx,
        "UPDATE group_days SET count = count - 1 WHERE group_id = ?1 AND day = ?2",
        params![gid, day],
    )?;
    for (facet, value) in facets {
        exec(
            tx,
            "UPDATE group_facets SET count = count - 1 WHERE group_id = ?1 AND facet = ?2 \
             AND value = ?3",
            params![gid, facet, value],
        )?;
    }
    exec(
        tx,
        "DELETE FROM group_days WHERE group_id = ?1 AND count <= 0",
        [gid],
    )?;
    exec(
        tx,
        "DELETE FROM group_facets WHERE group_id = ?1 AND count <= 0",
        [gid],
    )?;
    Ok(())
}

/// The analysed crashes (dump still kept) that lacked symbols for `debug_id` (and `name`).
type Requeue = (String, Option<i64>, i64, Option<String>);

fn requeue_tx(
    tx: &Transaction<'_>,
    name: Option<&str>,
    debug_id: &str,
) -> rusqlite::Result<Vec<String>> {
    let rows: Vec<Requeue> = {
        let mut st = tx.prepare_cached(
            "SELECT DISTINCT c.id, c.group_id, c.received, c.counted FROM missing_symbols m \
             JOIN crashes c ON c.id = m.crash_id WHERE m.debug_id = ?1 \
             AND (?2 IS NULL OR lower(m.name) = ?2) AND c.status = 'done' AND c.dump_deleted = 0",
        )?;
        let rows = st.query_map(params![debug_id, name], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut ids = Vec::with_capacity(rows.len());
    for (id, gid, received, counted) in rows {
        if let Some(gid) = gid {
            let (day, facets) = super::uncounted(counted.as_deref(), received);
            uncount(tx, gid, &day, &facets)?;
        }
        exec(
            tx,
            "UPDATE crashes SET status = 'queued', requeued = 1, group_id = NULL, \
             lease_token = NULL, lease_until = NULL WHERE id = ?1",
            [&id],
        )?;
        ids.push(id);
    }
    exec(
        tx,
        "INSERT INTO settings VALUES ('symbols_generation', '1') ON CONFLICT (name) \
         DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [],
    )?;
    Ok(ids)
}
