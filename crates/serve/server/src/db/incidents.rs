//! Incidents and their files (`coroner upload --incident`), on either backend. The statements
//! are the same text for both: SQLite numbers `$1, $2…` parameters in order of first use, which
//! is their order here.

use super::{Db, PgDb, SqliteDb};
use crate::ServeError;
use rusqlite::OptionalExtension;

/// One file of an incident.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IncidentFile {
    pub sha256: String,
    /// The client's name for it (data only: never used as a path).
    pub name: String,
    /// What it is, by content (`evtx`, `w3c.log`, `config`…).
    pub kind: String,
    pub size: i64,
    /// Its name in the dump store.
    #[serde(skip)]
    pub key: String,
    pub received: i64,
}

/// A stored incident.
#[derive(Debug, Clone, Default)]
pub struct IncidentRow {
    pub id: String,
    pub project: String,
    pub received: i64,
    pub host: Option<String>,
    /// The crash ids of the dumps sent with it.
    pub crashes: Vec<String>,
    /// Its files (empty in lists).
    pub files: Vec<IncidentFile>,
    pub file_count: i64,
    /// The investigation (JSON) and its HTML pages (English, Korean), when made.
    pub report_json: Option<String>,
    pub report_html: Option<String>,
    pub report_html_ko: Option<String>,
    /// How many files the stored report was made from (stale when files were added since).
    pub report_files: i64,
}

impl IncidentRow {
    /// Whether the stored report covers every file.
    pub fn report_current(&self) -> bool {
        self.report_json.is_some() && self.report_files == self.file_count
    }
}

/// An incident's report, as stored.
pub struct IncidentReport {
    pub files: i64,
    pub json: String,
    pub html: String,
    pub html_ko: String,
}

const OPEN: &str = "INSERT INTO incidents (id, project, received, host, set_sha, crashes) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project, set_sha) DO NOTHING";
const FIND: &str = "SELECT id FROM incidents WHERE project = $1 AND set_sha = $2";
const ADD_FILE: &str = "INSERT INTO incident_files (incident, sha256, name, kind, size, key, \
     received) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (incident, sha256) DO NOTHING";
const COLS: &str = "id, project, received, host, crashes, report_json, report_html, \
     report_html_ko, report_files, (SELECT COUNT(*) FROM incident_files f WHERE f.incident = i.id)";
const FILES: &str = "SELECT sha256, name, kind, size, key, received FROM incident_files \
     WHERE incident = $1 ORDER BY received, name";
const EXPIRED: &str = "SELECT incident, sha256, key FROM incident_files \
     WHERE received < $1 AND deleted = 0 LIMIT $2";
const MARK_DELETED: &str =
    "UPDATE incident_files SET deleted = 1 WHERE incident = $1 AND sha256 = $2";
const SET_REPORT: &str = "UPDATE incidents SET report_files = $1, report_json = $2, \
     report_html = $3, report_html_ko = $4 WHERE id = $5";

fn crash_list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

impl Db {
    /// Opens the incident of `project` whose file set hashes to `set_sha`, creating it when new.
    /// Returns its id.
    pub async fn open_incident(
        &self,
        new: IncidentRow,
        set_sha: &str,
    ) -> Result<String, ServeError> {
        let set_sha = set_sha.to_string();
        match self {
            Db::Sqlite(d) => d.open_incident(new, set_sha).await,
            Db::Postgres(d) => d.open_incident(new, set_sha).await,
        }
    }
    /// Records a stored file of an incident (a file already recorded is left as it is).
    pub async fn add_incident_file(&self, id: &str, f: IncidentFile) -> Result<(), ServeError> {
        let id = id.to_string();
        match self {
            Db::Sqlite(d) => d.add_incident_file(id, f).await,
            Db::Postgres(d) => d.add_incident_file(id, f).await,
        }
    }
    /// An incident with its files.
    pub async fn incident(&self, id: &str) -> Result<Option<IncidentRow>, ServeError> {
        let id = id.to_string();
        match self {
            Db::Sqlite(d) => d.incident(id).await,
            Db::Postgres(d) => d.incident(id).await,
        }
    }
    /// The latest incidents (without their files).
    pub async fn incidents(&self, limit: i64) -> Result<Vec<IncidentRow>, ServeError> {
        match self {
            Db::Sqlite(d) => d.incidents(limit).await,
            Db::Postgres(d) => d.incidents(limit).await,
        }
    }
    /// Up to `limit` files received before `before` whose objects are still stored, marked as
    /// deleted: `(incident, sha256, store key)`; the caller deletes the objects.
    pub async fn expire_incident_files(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>, ServeError> {
        match self {
            Db::Sqlite(d) => d.expire_incident_files(before, limit).await,
            Db::Postgres(d) => d.expire_incident_files(before, limit).await,
        }
    }
    /// Stores an incident's report.
    pub async fn set_incident_report(&self, id: &str, r: IncidentReport) -> Result<(), ServeError> {
        let id = id.to_string();
        match self {
            Db::Sqlite(d) => d.set_incident_report(id, r).await,
            Db::Postgres(d) => d.set_incident_report(id, r).await,
        }
    }
}

fn sqlite_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IncidentRow> {
    Ok(IncidentRow {
        id: r.get(0)?,
        project: r.get(1)?,
        received: r.get(2)?,
        host: r.get(3)?,
        crashes: crash_list(&r.get::<_, String>(4)?),
        files: Vec::new(),
        report_json: r.get(5)?,
        report_html: r.get(6)?,
        report_html_ko: r.get(7)?,
        report_files: r.get(8)?,
        file_count: r.get(9)?,
    })
}

impl SqliteDb {
    async fn open_incident(&self, n: IncidentRow, set_sha: String) -> Result<String, ServeError> {
        self.run(move |c| {
            let crashes = serde_json::to_string(&n.crashes).unwrap_or_else(|_| "[]".into());
            let p = rusqlite::params![n.id, n.project, n.received, n.host, set_sha, crashes];
            c.execute(OPEN, p)?;
            c.query_row(FIND, [&n.project, &set_sha], |r| r.get(0))
        })
        .await
    }
    async fn add_incident_file(&self, id: String, f: IncidentFile) -> Result<(), ServeError> {
        self.run(move |c| {
            let p = rusqlite::params![id, f.sha256, f.name, f.kind, f.size, f.key, f.received];
            c.execute(ADD_FILE, p).map(|_| ())
        })
        .await
    }
    async fn incident(&self, id: String) -> Result<Option<IncidentRow>, ServeError> {
        self.run(move |c| {
            let q = format!("SELECT {COLS} FROM incidents i WHERE id = $1");
            let Some(mut row) = c.query_row(&q, [&id], sqlite_row).optional()? else {
                return Ok(None);
            };
            let mut st = c.prepare(FILES)?;
            row.files = st
                .query_map([&id], |r| {
                    Ok(IncidentFile {
                        sha256: r.get(0)?,
                        name: r.get(1)?,
                        kind: r.get(2)?,
                        size: r.get(3)?,
                        key: r.get(4)?,
                        received: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(Some(row))
        })
        .await
    }
    async fn incidents(&self, limit: i64) -> Result<Vec<IncidentRow>, ServeError> {
        self.run(move |c| {
            let q = format!("SELECT {COLS} FROM incidents i ORDER BY received DESC LIMIT $1");
            let mut st = c.prepare(&q)?;
            let rows = st.query_map([limit], sqlite_row)?;
            rows.collect()
        })
        .await
    }
    async fn expire_incident_files(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>, ServeError> {
        self.run(move |c| {
            let tx = c.transaction()?;
            let rows: Vec<(String, String, String)> = {
                let mut st = tx.prepare(EXPIRED)?;
                let rows =
                    st.query_map([before, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for (i, sha, _) in &rows {
                tx.execute(MARK_DELETED, [i, sha])?;
            }
            tx.commit()?;
            Ok(rows)
        })
        .await
    }
    async fn set_incident_report(&self, id: String, r: IncidentReport) -> Result<(), ServeError> {
        self.run(move |c| {
            let p = rusqlite::params![r.files, r.json, r.html, r.html_ko, id];
            c.execute(SET_REPORT, p).map(|_| ())
        })
        .await
    }
}

fn pg_row(r: &tokio_postgres::Row) -> IncidentRow {
    IncidentRow {
        id: r.get(0),
        project: r.get(1),
        received: r.get(2),
        host: r.get(3),
        crashes: crash_list(r.get(4)),
        files: Vec::new(),
        report_json: r.get(5),
        report_html: r.get(6),
        report_html_ko: r.get(7),
        report_files: r.get(8),
        file_count: r.get(9),
    }
}

fn pg_err(e: tokio_postgres::Error) -> ServeError {
    ServeError::Database(e.to_string())
}

impl PgDb {
    async fn open_incident(&self, n: IncidentRow, set_sha: String) -> Result<String, ServeError> {
        let crashes = serde_json::to_string(&n.crashes).unwrap_or_else(|_| "[]".into());
        let c = self.client().await;
        let p: [&(dyn tokio_postgres::types::ToSql + Sync); 6] =
            [&n.id, &n.project, &n.received, &n.host, &set_sha, &crashes];
        c.execute(OPEN, &p).await.map_err(pg_err)?;
        let r = c
            .query_one(FIND, &[&n.project, &set_sha])
            .await
            .map_err(pg_err)?;
        Ok(r.get(0))
    }
    async fn add_incident_file(&self, id: String, f: IncidentFile) -> Result<(), ServeError> {
        let c = self.client().await;
        let p: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
            &id,
            &f.sha256,
            &f.name,
            &f.kind,
            &f.size,
            &f.key,
            &f.received,
        ];
        c.execute(ADD_FILE, &p).await.map_err(pg_err).map(|_| ())
    }
    async fn incident(&self, id: String) -> Result<Option<IncidentRow>, ServeError> {
        let c = self.client().await;
        let q = format!("SELECT {COLS} FROM incidents i WHERE id = $1");
        let Some(r) = c.query_opt(&q, &[&id]).await.map_err(pg_err)? else {
            return Ok(None);
        };
        let mut row = pg_row(&r);
        let files = c.query(FILES, &[&id]).await.map_err(pg_err)?;
        row.files = files
            .iter()
            .map(|r| IncidentFile {
                sha256: r.get(0),
                name: r.get(1),
                kind: r.get(2),
                size: r.get(3),
                key: r.get(4),
                received: r.get(5),
            })
            .collect();
        Ok(Some(row))
    }
    async fn incidents(&self, limit: i64) -> Result<Vec<IncidentRow>, ServeError> {
        let c = self.client().await;
        let q = format!("SELECT {COLS} FROM incidents i ORDER BY received DESC LIMIT $1");
        let rows = c.query(&q, &[&limit]).await.map_err(pg_err)?;
        Ok(rows.iter().map(pg_row).collect())
    }
    async fn expire_incident_files(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>, ServeError> {
        let mut c = self.client().await;
        let tx = c.transaction().await.map_err(pg_err)?;
        let rows = tx
            .query(EXPIRED, &[&before, &limit])
            .await
            .map_err(pg_err)?;
        let rows: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        for (i, sha, _) in &rows {
            tx.execute(MARK_DELETED, &[i, sha]).await.map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(rows)
    }
    async fn set_incident_report(&self, id: String, r: IncidentReport) -> Result<(), ServeError> {
        let c = self.client().await;
        let p: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
            [&r.files, &r.json, &r.html, &r.html_ko, &id];
        c.execute(SET_REPORT, &p).await.map_err(pg_err).map(|_| ())
    }
}
