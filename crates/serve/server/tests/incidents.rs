//! `coroner upload --incident` end to end: the example incident's dumps and logs sent with the
//! client library the command uses, to a real server on 127.0.0.1, and investigated there with
//! the same verdict `coroner investigate` gives on the folder; resumed and refused uploads.

mod common;

use common::*;
use coroner_server::client::{find_dumps, find_incident_files, sha256, Sent, Uploader};
use serde_json::Value;
use std::path::PathBuf;

fn incident_dir() -> PathBuf {
    root().join("examples/incident")
}

fn set_sha(files: &[PathBuf]) -> String {
    let mut shas: Vec<String> = files
        .iter()
        .map(|f| sha256(&std::fs::read(f).unwrap()))
        .collect();
    shas.sort();
    sha256(shas.join("\n").as_bytes())
}

/// A word with a path in it without the path's folders: `(/a/b/c.log` is `(c.log`.
fn file_only(word: &str) -> String {
    match (word.find('/'), word.rfind('/')) {
        (Some(first), Some(last)) => format!("{}{}", &word[..first], &word[last + 1..]),
        _ => word.to_string(),
    }
}

/// The verdict rows (level and description, files named without their folders), sorted.
fn verdict_facts(inv: &Value) -> Vec<String> {
    let mut rows: Vec<String> = inv["verdict"]
        .as_array()
        .unwrap_or_else(|| panic!("no verdict in {inv}"))
        .iter()
        .map(|r| format!("{} {}", r["level"], r["description"]))
        .map(|r| r.split(' ').map(file_only).collect::<Vec<_>>().join(" "))
        .collect();
    rows.sort();
    rows
}

#[test]
fn an_incident_sent_with_its_dumps_is_investigated_as_the_command_line_does() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(coroner_server::Config::embedded(dir.path().join("data")));
    let up = Uploader::new(&format!("http://{}", s.addr), &s.key);

    let mut crashes = Vec::new();
    let dumps = find_dumps(&[incident_dir()]);
    for d in &dumps {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        match up.upload(&std::fs::read(d).unwrap(), &name).unwrap() {
            Sent::Accepted(id) => crashes.push(id),
            r => panic!("{}: {r:?}", d.display()),
        }
    }
    assert_eq!(crashes.len(), 12);
    let files = find_incident_files(&[incident_dir()]);
    let kinds = files.len();
    assert!(kinds >= 5, "logs and configuration found: {files:?}");

    // The first run stops after two files; the second sends only the rest.
    let set = set_sha(&files);
    let (id, have) = up
        .open_incident("default", &set, Some("WEB01"), &crashes)
        .unwrap();
    assert!(have.is_empty());
    let name = |f: &PathBuf| f.file_name().unwrap().to_string_lossy().into_owned();
    for f in &files[..2] {
        let r = up.send_incident_file("default", &id, &std::fs::read(f).unwrap(), &name(f));
        assert!(matches!(r.unwrap(), Sent::Accepted(_)));
    }
    let (again, have) = up
        .open_incident("default", &set, Some("WEB01"), &crashes)
        .unwrap();
    assert_eq!(again, id, "the same file set is the same incident");
    assert_eq!(have.len(), 2);
    for f in &files[2..] {
        let r = up.send_incident_file("default", &id, &std::fs::read(f).unwrap(), &name(f));
        assert!(matches!(r.unwrap(), Sent::Accepted(_)));
    }

    let got = get(&s, &format!("/api/incidents/{id}")).json();
    assert_eq!(got["error"], Value::Null, "{got}");
    assert_eq!(got["host"], "WEB01");
    assert_eq!(got["file_count"], kinds);
    assert_eq!(got["crashes"].as_array().unwrap().len(), 12);
    let inputs: Vec<PathBuf> = files.iter().chain(&dumps).cloned().collect();
    let local = coroner_investigate::investigate(&inputs, &Default::default()).unwrap();
    let local: Value = serde_json::from_str(&coroner_report::investigate::render(
        &local,
        coroner_report::investigate::Format::Json,
        coroner_report::phrase::Lang::En,
    ))
    .unwrap();
    let inv = &got["investigation"];
    let facts = verdict_facts(&local);
    assert!(facts.len() >= 4, "{facts:?}");
    assert_eq!(verdict_facts(inv), facts);
    assert_eq!(
        inv["pools"].as_array().map(Vec::len),
        local["pools"].as_array().map(Vec::len)
    );
    assert!(got["investigated"].as_bool().unwrap());

    let page = get(&s, &format!("/incidents/{id}"));
    assert_eq!(page.status, 200);
    assert!(page.text().contains("WEB01") && page.text().contains("/report?lang=ko"));
    let report = get(&s, &format!("/incidents/{id}/report?lang=ko"));
    assert_eq!(report.status, 200);
    assert!(report.text().contains("lang=\"ko\""), "the Korean report");
    let list = get(&s, "/api/incidents").json();
    assert_eq!(list["incidents"][0]["id"], id.as_str());

    // Retention deletes the files and keeps the report made of them.
    let stored = s.data.join("store/incidents").join(&id);
    assert_eq!(std::fs::read_dir(&stored).unwrap().count(), kinds);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let shared = s.shared.clone().unwrap();
    let rt = s.rt.as_ref().unwrap();
    rt.block_on(coroner_server::worker::retention(&shared, 0))
        .unwrap();
    let left = std::fs::read_dir(&stored).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "files left in {}", stored.display());
    let kept = get(&s, &format!("/api/incidents/{id}")).json();
    assert_eq!(verdict_facts(&kept["investigation"]), facts);
}

#[test]
fn files_investigate_cannot_read_and_wrong_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(coroner_server::Config::embedded(dir.path().join("data")));
    let up = Uploader::new(&format!("http://{}", s.addr), &s.key);
    let set = sha256(b"set");
    let (id, _) = up.open_incident("default", &set, None, &[]).unwrap();
    match up.send_incident_file("default", &id, b"just some text", "../../etc/passwd") {
        Ok(Sent::Refused(400, body)) => assert!(body.starts_with("Discarded="), "{body}"),
        r => panic!("{r:?}"),
    }
    assert!(Uploader::new(&format!("http://{}", s.addr), "wrong")
        .open_incident("default", &set, None, &[])
        .is_err());
    let anon = request(
        s.addr,
        "GET",
        &format!("/api/incidents/{id}"),
        &[],
        b"",
        false,
    );
    assert_eq!(anon.status, 401);
    // An incident with no readable file says so rather than showing an empty report.
    let got = get(&s, &format!("/api/incidents/{id}")).json();
    assert!(got["error"].as_str().unwrap().contains("no file"), "{got}");
    // Nothing was written under a name the client gave.
    assert!(!dir.path().join("etc").exists());
}
