//! `coroner upload` against a real server: dumps found by content in a folder, sent the
//! Crashpad way, analysed; a second run sends nothing (ledger), and without the ledger the
//! server recognises the dumps (idempotent by content hash).

#[path = "../../../serve/server/tests/common/mod.rs"]
mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

fn upload(s: &Server, state: &std::path::Path, dir: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_coroner"))
        .args([
            "upload",
            "--server",
            &format!("http://{}", s.addr),
            "--key",
            &s.key,
        ])
        .arg("--state")
        .arg(state)
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn uploads_a_folder_once() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(coroner_server::Config::embedded(tmp.path().join("data")));
    let dumps = tmp.path().join("LocalDumps");
    std::fs::create_dir_all(dumps.join("sub")).unwrap();
    std::fs::copy(reference_dump(1), dumps.join("w3wp.exe.2288.dmp")).unwrap();
    std::fs::write(
        dumps.join("sub/b.dmp.gz"),
        gzip(&std::fs::read(reference_dump(2)).unwrap()),
    )
    .unwrap();
    std::fs::write(dumps.join("notes.txt"), "not a dump").unwrap();
    let state = tmp.path().join("ledger.tsv");

    let first = upload(&s, &state, &dumps);
    assert!(
        first.contains("2 dumps found, 2 sent, 0 already on the server, 0 failed"),
        "{first}"
    );
    let ids: Vec<String> = first
        .lines()
        .filter_map(|l| l.split(": bp-").nth(1))
        .map(str::to_string)
        .collect();
    assert_eq!(ids.len(), 2);
    for id in &ids {
        let c = wait_done(&s, id, Duration::from_secs(60));
        assert_eq!(c["status"], "done", "{c}");
    }
    let again = upload(&s, &state, &dumps);
    assert!(
        again.contains("2 dumps found, 0 sent, 2 already on the server"),
        "{again}"
    );
    std::fs::remove_file(&state).unwrap();
    let fresh = upload(&s, &state, &dumps);
    for id in &ids {
        assert!(
            fresh.contains(id.as_str()),
            "the server answers with the first id: {fresh}"
        );
    }
    assert_eq!(get(&s, "/api/stats").json()["done"], 2);
}

#[test]
fn uploads_an_incident_folder_with_its_logs_once() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(coroner_server::Config::embedded(tmp.path().join("data")));
    let incident = root().join("examples/incident");
    let state = tmp.path().join("ledger.tsv");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_coroner"))
            .args([
                "upload",
                "--quiet",
                "--server",
                &format!("http://{}", s.addr),
            ])
            .args(["--key", &s.key, "--incident"])
            .args(extra)
            .arg("--state")
            .arg(&state)
            .arg(&incident)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let first = run(&["--host", "WEB01"]);
    assert!(first.contains("12 dumps found, 12 sent"), "{first}");
    assert!(
        first.contains("files found,")
            && first.contains("0 already on the server, 12 dumps linked"),
        "{first}"
    );
    let again = run(&["--host", "WEB01"]);
    assert!(
        again.contains(" 0 sent, 12 already on the server"),
        "{again}"
    );
    assert!(again.contains("files found, 0 sent,"), "{again}");

    let list = get(&s, "/api/incidents").json();
    let incidents = list["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "one file set is one incident: {list}");
    let id = incidents[0]["id"].as_str().unwrap();
    let got = get(&s, &format!("/api/incidents/{id}")).json();
    assert_eq!(got["host"], "WEB01");
    let pools: Vec<&str> = got["investigation"]["pools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for p in ["DefaultAppPool", "Payroll", "ReportsAppPool"] {
        assert!(pools.contains(&p), "{pools:?}");
    }
}
