//! Embedded mode stores analyses in the analysis log beside the database, not in the crash
//! rows; rows stored before the log keep theirs; a log that lost a record leaves the crash
//! without an analysis and says why.

mod common;

use common::crash;
use coroner_server::db::{Db, Finished, SqliteDb};

fn finished(analysis: &str) -> Finished {
    Finished {
        analysis: analysis.into(),
        ..common::finished()
    }
}

/// Stores `analysis` as the completion of crash `n`.
async fn store(db: &Db, n: u32, analysis: &str) -> String {
    db.insert(crash(n)).await.unwrap();
    let job = db.claim(30, 3, "t:1").await.unwrap().unwrap();
    assert!(db.complete(&job, finished(analysis)).await.unwrap());
    job.id
}

#[tokio::test]
async fn analyses_live_in_the_log_and_older_rows_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coroner.sqlite3");
    let db = Db::Sqlite(SqliteDb::open(&path).unwrap());
    db.init().await.unwrap();
    let a = r#"{"path":"a.dmp","exception":{"code":"0xc0000005"}}"#;
    let b = r#"{"path":"b.dmp","note":"é"}"#;
    let (ia, ib) = (store(&db, 1, a).await, store(&db, 2, b).await);
    assert_eq!(
        db.crash(&ia).await.unwrap().unwrap().analysis.as_deref(),
        Some(a)
    );
    assert_eq!(
        db.crash(&ib).await.unwrap().unwrap().analysis.as_deref(),
        Some(b)
    );
    let segment = dir.path().join("analyses").join("000001.log");
    assert_eq!(
        std::fs::read_to_string(&segment).unwrap(),
        format!("{a}{b}")
    );

    // The rows point into the log; a row written before the log holds its analysis itself.
    let sql = rusqlite::Connection::open(&path).unwrap();
    let inline: Option<String> = sql
        .query_row("SELECT analysis FROM crashes WHERE id = ?1", [&ia], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(inline, None);
    sql.execute(
        "UPDATE crashes SET analysis = '{\"old\":1}', analysis_segment = NULL, \
         analysis_offset = NULL, analysis_len = NULL WHERE id = ?1",
        [&ia],
    )
    .unwrap();
    let old = db.crash(&ia).await.unwrap().unwrap();
    assert_eq!(old.analysis.as_deref(), Some("{\"old\":1}"));

    // A lost segment: the crash is still done and counted, without an analysis, and says why.
    std::fs::remove_file(&segment).unwrap();
    let lost = db.crash(&ib).await.unwrap().unwrap();
    assert_eq!((lost.status.as_str(), lost.analysis), ("done", None));
    let why = lost.error.unwrap();
    assert!(
        why.contains("stored analysis could not be read") && why.contains("000001.log"),
        "{why}"
    );
    assert_eq!(db.groups(10).await.unwrap()[0].count, 2);
    // The next analysis goes to the log again.
    let c = r#"{"path":"c.dmp"}"#;
    let ic = store(&db, 3, c).await;
    assert_eq!(
        db.crash(&ic).await.unwrap().unwrap().analysis.as_deref(),
        Some(c)
    );
}
