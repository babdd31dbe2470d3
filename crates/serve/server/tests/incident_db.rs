//! The incident store on both backends: one incident per file set, files recorded once, a
//! report current until a file arrives after it, retention handing each file out once.

mod common;

use coroner_server::db::{Db, IncidentFile, IncidentReport, IncidentRow, SqliteDb};

fn file(sha: &str, received: i64) -> IncidentFile {
    IncidentFile {
        sha256: sha.into(),
        name: format!("{sha}.evtx"),
        kind: "evtx".into(),
        size: 10,
        key: format!("incidents/x/{sha}.evtx"),
        received,
    }
}

async fn check(db: Db) {
    db.init().await.unwrap();
    let new = |id: &str| IncidentRow {
        id: id.into(),
        project: "default".into(),
        received: 100,
        host: Some("WEB01".into()),
        crashes: vec!["c1".into()],
        ..IncidentRow::default()
    };
    let id = db.open_incident(new("i1"), "set").await.unwrap();
    assert_eq!(id, "i1");
    assert_eq!(db.open_incident(new("i2"), "set").await.unwrap(), "i1");
    db.add_incident_file(&id, file("a", 100)).await.unwrap();
    db.add_incident_file(&id, file("a", 100)).await.unwrap();
    db.add_incident_file(&id, file("b", 300)).await.unwrap();
    let i = db.incident(&id).await.unwrap().unwrap();
    assert_eq!((i.file_count, i.files.len()), (2, 2));
    assert_eq!(i.crashes, ["c1"]);
    assert!(!i.report_current());
    let report = |files| IncidentReport {
        files,
        json: "{}".into(),
        html: "<html>".into(),
        html_ko: "<html lang=ko>".into(),
    };
    db.set_incident_report(&id, report(2)).await.unwrap();
    assert!(db.incident(&id).await.unwrap().unwrap().report_current());
    db.add_incident_file(&id, file("c", 300)).await.unwrap();
    let i = db.incident(&id).await.unwrap().unwrap();
    assert!(!i.report_current(), "a later file makes the report stale");
    assert_eq!(db.incidents(10).await.unwrap().len(), 1);

    let gone = db.expire_incident_files(200, 10).await.unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].2, "incidents/x/a.evtx");
    assert!(db.expire_incident_files(200, 10).await.unwrap().is_empty());
    assert!(db.incident("nope").await.unwrap().is_none());
}

#[tokio::test]
async fn sqlite_incidents() {
    let dir = tempfile::tempdir().unwrap();
    check(Db::Sqlite(SqliteDb::open(&dir.path().join("db")).unwrap())).await;
}

#[tokio::test]
async fn postgres_incidents() {
    common::on_postgres("i", check).await;
}
