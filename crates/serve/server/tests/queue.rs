//! The queue's guarantees on both backends: a claim is a lease; a worker whose lease expired
//! and was taken over stores nothing; attempts are bounded; a job completes once.

mod common;

use common::{crash, finished};
use coroner_server::db::{Attempt, Db, SqliteDb};

async fn check(db: Db) {
    db.init().await.unwrap();
    let (_, _, created) = db.init().await.unwrap();
    assert!(!created, "the second start reads the keys");
    db.insert(crash(1)).await.unwrap();

    // A lease of 0 s expires at once: a second worker takes the job over.
    let first = db.claim(-1, 5, "t:1").await.unwrap().unwrap();
    let second = db.claim(30, 5, "t:1").await.unwrap().unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(second.attempts, 2);
    assert!(
        db.claim(30, 5, "t:1").await.unwrap().is_none(),
        "a held job is not claimed"
    );
    assert!(
        !db.complete(&first, finished()).await.unwrap(),
        "the lost lease stores nothing"
    );
    assert!(!db.renew(&first, 30).await.unwrap());
    assert!(db.complete(&second, finished()).await.unwrap());
    assert!(
        !db.complete(&second, finished()).await.unwrap(),
        "completes once"
    );
    let c = db.crash(&second.id).await.unwrap().unwrap();
    assert_eq!(
        (c.status.as_str(), c.completions, c.attempts),
        ("done", 1, 2)
    );
    assert_eq!(db.groups(10).await.unwrap()[0].count, 1);

    // A job whose lease keeps expiring is failed after max_attempts claims.
    db.insert(crash(2)).await.unwrap();
    for _ in 0..2 {
        db.claim(-1, 2, "t:1").await.unwrap().unwrap();
    }
    assert!(db.claim(30, 2, "t:1").await.unwrap().is_none());
    let c = db.crash(&crash(2).id).await.unwrap().unwrap();
    assert_eq!(c.status, "failed");
    assert!(c.error.unwrap().contains("worker lost"));

    // A failed attempt goes back to the queue until the last one.
    db.insert(crash(3)).await.unwrap();
    let j = db.claim(30, 2, "t:1").await.unwrap().unwrap();
    assert!(db.fail(&j, "panicked", false, 2).await.unwrap());
    assert_eq!(db.crash(&j.id).await.unwrap().unwrap().status, "queued");
    let j = db.claim(30, 2, "t:1").await.unwrap().unwrap();
    assert!(db.fail(&j, "panicked", false, 2).await.unwrap());
    assert_eq!(db.crash(&j.id).await.unwrap().unwrap().status, "failed");

    batches(&db).await;
    requeue(&db).await;
}

/// A symbol upload queues again the analysed crashes that lacked the module's symbols, takes
/// them out of their group (count, day, facets), and their next analysis counts as a
/// reprocessing in the group its bucket names now; the symbol generation moves on.
async fn requeue(db: &Db) {
    let generation = db.symbols_generation().await.unwrap();
    db.insert(crash(20)).await.unwrap();
    db.insert(crash(21)).await.unwrap();
    let jobs = db.claim_batch(30, 5, "t:4", 2).await.unwrap();
    let mut lacking = finished();
    lacking.bucket = "UNSYMBOLISED".into();
    lacking.missing = vec![("App.pdb".into(), "ABC1".into())];
    let results = vec![
        (jobs[0].clone(), Attempt::Done(lacking.clone())),
        (jobs[1].clone(), Attempt::Done(lacking)),
    ];
    db.settle(results, 5).await.unwrap();
    let group = |b: &'static str| async move {
        db.groups(100)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.bucket == b)
    };
    assert_eq!(group("UNSYMBOLISED").await.unwrap().count, 2);
    assert_eq!(
        db.missing_name("abc1").await.unwrap().as_deref(),
        Some("App.pdb")
    );

    assert!(db
        .requeue_for_symbols(Some("app.pdb".into()), "DEF2")
        .await
        .unwrap()
        .is_empty());
    let ids = db
        .requeue_for_symbols(Some("app.pdb".into()), "abc1")
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_eq!(db.symbols_generation().await.unwrap(), generation + 2);
    assert!(group("UNSYMBOLISED").await.is_none(), "its crashes left it");
    let c = db.crash(&ids[0]).await.unwrap().unwrap();
    assert_eq!((c.status.as_str(), c.group_id), ("queued", None));

    let jobs = db.claim_batch(30, 5, "t:4", 2).await.unwrap();
    assert_eq!(jobs.len(), 2);
    let mut symbolised = finished();
    symbolised.bucket = "SYMBOLISED".into();
    let results = jobs
        .iter()
        .map(|j| (j.clone(), Attempt::Done(symbolised.clone())))
        .collect();
    db.settle(results, 5).await.unwrap();
    let g = group("SYMBOLISED").await.unwrap();
    assert_eq!((g.count, g.facets["version"]["1.0"]), (2, 2));
    let c = db.crash(&ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (c.status.as_str(), c.completions, c.reprocessed, c.attempts),
        ("done", 1, 1, 2)
    );
    assert!(
        db.requeue_for_symbols(None, "ABC1")
            .await
            .unwrap()
            .is_empty(),
        "nothing lacks them any more"
    );
}

/// A batch is claimed in one go (oldest first, one token), renewed by its token, and stored in
/// one transaction where each job is stored only while its own lease holds.
async fn batches(db: &Db) {
    for n in 10..15 {
        db.insert(crash(n)).await.unwrap();
    }
    let jobs = db.claim_batch(30, 5, "t:2", 3).await.unwrap();
    let ids: Vec<_> = jobs.iter().map(|j| j.id.clone()).collect();
    assert_eq!(ids, [crash(10).id, crash(11).id, crash(12).id]);
    assert!(jobs
        .iter()
        .all(|j| j.token == jobs[0].token && j.attempts == 1));
    assert_eq!(jobs[0].received, crash(10).received);
    assert_eq!(jobs[0].annotations, "{}");
    assert_eq!(db.renew_token(&jobs[0].token, 30).await.unwrap(), 3);
    let rest = db.claim_batch(30, 5, "t:3", 10).await.unwrap();
    assert_eq!(rest.len(), 2, "held jobs are not claimed again");

    // One job's lease is lost (expired and taken over): the others are stored, it is not.
    let mut stolen = jobs[1].clone();
    stolen.token = "someone else's".into();
    let results = vec![
        (jobs[0].clone(), Attempt::Done(finished())),
        (stolen, Attempt::Done(finished())),
        (
            jobs[2].clone(),
            Attempt::Failed {
                error: "not a minidump".into(),
                permanent: true,
            },
        ),
    ];
    let stored = db.settle(results, 5).await.unwrap();
    assert_eq!(stored, [true, false, true]);
    let status = |i: usize| {
        let id = ids[i].clone();
        async move { db.crash(&id).await.unwrap().unwrap() }
    };
    assert_eq!(status(0).await.status, "done");
    assert_eq!(status(0).await.completions, 1);
    assert_eq!(status(1).await.status, "processing");
    let failed = status(2).await;
    assert_eq!(
        (failed.status.as_str(), failed.error.as_deref()),
        ("failed", Some("not a minidump"))
    );
    assert_eq!(
        db.renew_token(&jobs[0].token, 30).await.unwrap(),
        1,
        "only the unsettled job"
    );
    assert_eq!(db.groups(10).await.unwrap()[0].count, 2);

    // Two crashes of one group in one batch count twice: in the group, its day and its facets.
    let both = rest
        .iter()
        .map(|j| (j.clone(), Attempt::Done(finished())))
        .collect();
    assert_eq!(db.settle(both, 5).await.unwrap(), [true, true]);
    let g = db.groups(10).await.unwrap().remove(0);
    assert_eq!((g.count, g.facets["version"]["1.0"]), (4, 4));
    let days = db.days("2023-01-01").await.unwrap();
    assert_eq!(days, [(g.id, "2023-11-14".to_string(), 4)]);
    for j in &rest {
        assert_eq!(db.crash(&j.id).await.unwrap().unwrap().completions, 1);
    }
}

#[tokio::test]
async fn sqlite_queue() {
    let dir = tempfile::tempdir().unwrap();
    check(Db::Sqlite(SqliteDb::open(&dir.path().join("db")).unwrap())).await;
}

#[tokio::test]
async fn postgres_queue() {
    common::on_postgres("q", check).await;
}
