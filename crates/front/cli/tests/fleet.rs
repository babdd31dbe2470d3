//! Fleet mode on PostgreSQL, with the real `coroner` binary: an ingest-only server and three
//! workers on one database and one dump store; one worker is killed with SIGKILL in the middle
//! of a job. Every upload must be analysed exactly once (count in = count stored = count
//! analysed, completions == 1). Each test runs in a fresh schema of the database `test`.
//! Skips with the reason when PostgreSQL is unreachable, except when CI=true.

#[path = "../../../serve/server/tests/common/mod.rs"]
mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BASE: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh schema in the test database; `None` (with the reason printed) when unreachable.
fn fresh_schema() -> Option<(String, String)> {
    let base = std::env::var("CORONER_TEST_DATABASE").unwrap_or_else(|_| BASE.into());
    let schema = format!("t_{}", uuid_like());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let made = rt.block_on(async {
        let db = coroner_server::db::PgDb::connect(&base, 1).await?;
        db.execute_batch(&format!("CREATE SCHEMA {schema}")).await
    });
    match made {
        Ok(()) => {
            let sep = if base.contains('?') { '&' } else { '?' };
            Some((
                format!("{base}{sep}options=-csearch_path%3D{schema}"),
                schema,
            ))
        }
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: PostgreSQL at {base} is unreachable ({e})");
            None
        }
        Err(e) => panic!("PostgreSQL at {base} is required when CI=true: {e}"),
    }
}

fn uuid_like() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    format!("{}_{}", t.as_nanos(), std::process::id())
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn coroner(args: &[&str]) -> Proc {
    let child = Command::new(env!("CARGO_BIN_EXE_coroner"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Proc(child)
}

/// Starts `coroner serve` and reads the address it listens on from its output.
fn serve(args: &[&str]) -> (Proc, std::net::SocketAddr) {
    let mut p = coroner(args);
    let mut out = BufReader::new(p.0.stdout.take().unwrap()).lines();
    for line in out.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("coroner: listening on http://") {
            let addr = rest.split('/').next().unwrap().parse().unwrap();
            // Keep reading what it prints, so that its output never meets a closed pipe.
            std::thread::spawn(move || out.for_each(drop));
            return (p, addr);
        }
    }
    panic!("coroner serve ended without listening");
}

fn statuses(s: &Server, ids: &[String]) -> Vec<serde_json::Value> {
    ids.iter()
        .map(|id| get(s, &format!("/api/crashes/{id}")).json())
        .collect()
}

#[test]
fn a_worker_killed_mid_job_loses_nothing_and_no_job_completes_twice() {
    let Some((url, _schema)) = fresh_schema() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let store = p("store");
    let (_server, addr) = serve(&[
        "serve",
        "--data",
        &p("d0"),
        "--database",
        &url,
        "--store",
        &store,
        "--ingest-only",
        "--listen",
        "127.0.0.1:0",
    ]);
    let read = |f: &str| std::fs::read_to_string(dir.path().join("d0").join(f)).unwrap();
    let s = Server::remote(addr, read("ingest-key"), read("admin-token"));
    // Everything uploaded first, so that the workers find a full queue.
    let dump = std::fs::read(reference_dump(3)).unwrap();
    let ids: Vec<String> = (0..300)
        .map(|n| {
            crash_id(&crashpad_upload(
                s.addr,
                &s.key,
                &distinct(&dump, n),
                &[("ver", "1.0")],
            ))
        })
        .collect();
    let mut workers: Vec<Proc> = (1..=3)
        .map(|n| {
            let data = p(&format!("w{n}"));
            coroner(&[
                "worker",
                "--data",
                &data,
                "--database",
                &url,
                "--store",
                &store,
                "--lease",
                "3",
            ])
        })
        .collect();

    // The first worker in the middle of a job (it holds a crash's lease): SIGKILL it.
    let pid = format!(":{}", workers[0].0.id());
    let start = Instant::now();
    let held = loop {
        let busy = get(&s, "/api/crashes?status=processing").json();
        let held = busy["crashes"].as_array().unwrap().iter().find_map(|c| {
            let mine = c["worker"].as_str()?.ends_with(&pid);
            mine.then(|| c["id"].as_str().unwrap().to_string())
        });
        if let Some(id) = held {
            break id;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the first worker never took a job"
        );
    };
    workers[0].0.kill().unwrap();
    let _ = workers[0].0.wait();

    let start = Instant::now();
    let crashes = loop {
        let all = statuses(&s, &ids);
        if all
            .iter()
            .all(|c| c["status"] == "done" || c["status"] == "failed")
        {
            break all;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "not all analysed"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    for c in &crashes {
        assert_eq!(c["status"], "done", "{c}");
        assert_eq!(c["completions"], 1, "{c}");
    }
    // What the killed worker held was taken over after its lease expired (or, if it finished
    // that one in the instant before the kill, the next one it had claimed).
    let retried: Vec<_> = crashes
        .iter()
        .filter(|c| c["attempts"].as_i64() >= Some(2))
        .collect();
    assert!(
        !retried.is_empty(),
        "no job was taken over (the killed worker held {held})"
    );
    assert!(retried
        .iter()
        .all(|c| !c["worker"].as_str().unwrap().ends_with(&pid)));
    let done = get(&s, "/api/crashes?status=done&limit=1000").json();
    assert_eq!(
        done["crashes"].as_array().unwrap().len(),
        ids.len(),
        "count analysed"
    );
    let stats = get(&s, "/api/stats").json();
    assert_eq!(stats["done"], ids.len());
    assert_eq!(stats["queued"], 0);
    let groups = get(&s, "/api/groups").json();
    let counted: i64 = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, ids.len() as i64);
    drop(workers);
}
