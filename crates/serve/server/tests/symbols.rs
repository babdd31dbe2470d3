//! Symbol uploads end to end: a crash whose module had no symbols is analysed with raw
//! addresses; uploading the module's PDB, `.sym` or a zipped SymStore tree stores it (named
//! from its content) and reprocesses the crash, whose frames are then named, its counts moved
//! to the group of its new bucket. Refusals are 400 with a reason.

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = start(coroner_server::Config::embedded(dir.path().join("data")));
    (dir, s)
}

fn msvc() -> PathBuf {
    root().join("fixtures/lab/msvc-x64")
}

fn pdb() -> Vec<u8> {
    std::fs::read(msvc().join("msvcx64.pdb")).unwrap()
}

/// The PDB's debug id (GUID + age), as its reader sees it.
fn pdb_id() -> String {
    let ms = coroner_symbols::ModuleSymbols::open(&msvc().join("msvcx64.pdb"), None).unwrap();
    ms.debug_id().to_string()
}

fn post_symbols(s: &Server, body: &[u8], content_type: &str) -> Reply {
    let headers = [
        ("Authorization", format!("Bearer {}", s.token)),
        ("Content-Type", content_type.to_string()),
    ];
    request(s.addr, "POST", "/api/symbols", &headers, body, false)
}

/// Uploads the lab's MSVC dump and waits for its first analysis: no symbols for the exe.
fn unsymbolised_crash(s: &Server) -> Value {
    let dump = std::fs::read(msvc().join("msvcx64-normal.dmp")).unwrap();
    let id = crash_id(&crashpad_upload(s.addr, &s.key, &dump, &[("ver", "1.0")]));
    let c = wait_done(s, &id, Duration::from_secs(60));
    assert_eq!(c["status"], "done", "{c}");
    let top = &c["analysis"]["frames"][0];
    assert_eq!(top["module"], "msvcx64.exe", "{top}");
    assert_ne!(
        top["function"], "app::Widget::draw",
        "no symbols yet: {top}"
    );
    assert_eq!(
        (c["completions"].as_i64(), c["reprocessed"].as_i64()),
        (Some(1), Some(0))
    );
    c
}

/// Polls the crash until it was reprocessed `n` times and is done again.
fn wait_reprocessed(s: &Server, id: &str, n: i64) -> Value {
    let start = Instant::now();
    loop {
        let c = get(s, &format!("/api/crashes/{id}")).json();
        if c["reprocessed"].as_i64() == Some(n) && c["status"] == "done" {
            return c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "crash {id} not reprocessed: {}",
            c["status"]
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// After the upload: the crash was reprocessed once, its frames are named, it is counted once,
/// in the group of its new bucket, whose page and API show the named top frames and the crash.
fn check_reprocessed(s: &Server, before: &Value, stored: &Value) {
    let id = before["id"].as_str().unwrap();
    assert_eq!(stored["stored"][0]["name"], "msvcx64.pdb", "{stored}");
    assert_eq!(stored["stored"][0]["debug_id"], pdb_id().as_str());
    assert_eq!(stored["stored"][0]["requeued"], serde_json::json!([id]));
    let after = wait_reprocessed(s, id, 1);
    let top = &after["analysis"]["frames"][0];
    assert_eq!(top["function"], "app::Widget::draw", "{top}");
    assert_eq!(
        after["completions"], 1,
        "a reprocessing is not a second completion"
    );
    assert_eq!(after["attempts"], 2);

    let groups = get(s, "/api/groups").json();
    let groups = groups["groups"].as_array().unwrap();
    let total: i64 = groups.iter().map(|g| g["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 1, "counted once: {groups:?}");
    assert_eq!(groups[0]["id"], after["group_id"]);
    assert_eq!(groups[0]["bucket"], after["bucket"]);
    if before["bucket"] != after["bucket"] {
        assert!(groups.iter().all(|g| g["bucket"] != before["bucket"]));
    }

    let gid = after["group_id"].as_i64().unwrap();
    let g = get(s, &format!("/api/groups/{gid}")).json();
    assert_eq!(g["top_frames"][0]["function"], "app::Widget::draw", "{g}");
    assert_eq!(g["top_frames_crash"], id);
    assert_eq!(g["sample"][0]["id"], id);
    assert_eq!(g["sample"][0]["dump"], format!("/api/crashes/{id}/dump"));
    assert_eq!(g["sample"][0]["version"], "1.0");
    assert_eq!(g["versions"]["1.0"], 1);
    let page = get(s, &format!("/groups/{gid}")).text();
    for part in [
        "Top frames",
        "app::Widget::draw",
        "Sample of dumps",
        "Versions",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    assert!(page.contains(&format!("/api/crashes/{id}/dump")));
    let crash_page = get(s, &format!("/crashes/{id}")).text();
    assert!(
        crash_page.contains("<b>Reprocessed</b> 1 time(s)"),
        "{crash_page}"
    );
    assert!(
        crash_page.contains("app::Widget::draw"),
        "the report is rendered anew"
    );
}

#[test]
fn an_uploaded_pdb_reprocesses_the_crash_that_lacked_it() {
    let (_d, s) = server();
    let before = unsymbolised_crash(&s);
    let r = post_symbols(&s, &pdb(), "application/octet-stream");
    assert_eq!(r.status, 200, "{}", r.text());
    let stored = r.json();
    assert_eq!(stored["stored"][0]["kind"], "pdb");
    // Stored in the server's SymStore layout, named from the dump's record of the module.
    let file = s.data.join(format!(
        "store/symbols/msvcx64.pdb/{}/msvcx64.pdb",
        pdb_id()
    ));
    assert_eq!(std::fs::read(file).unwrap(), pdb());
    check_reprocessed(&s, &before, &stored);

    // Nothing lacks it any more: a second upload stores it again and re-queues nothing.
    let again = post_symbols(&s, &pdb(), "application/octet-stream").json();
    assert_eq!(again["stored"][0]["requeued"], serde_json::json!([]));
}

/// A Breakpad `.sym` for the exe, written from the lab's truth (function RVAs and sizes).
fn sym_text() -> String {
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(msvc().join("msvcx64-truth.json")).unwrap())
            .unwrap();
    let mut sym = format!("MODULE windows x86_64 {} msvcx64.pdb\n", pdb_id());
    for f in truth["frames"].as_array().unwrap() {
        sym.push_str(&format!(
            "FUNC {:x} {:x} 0 {}\n",
            f["rva"].as_u64().unwrap(),
            f["size"].as_u64().unwrap(),
            f["function"].as_str().unwrap()
        ));
    }
    sym
}

#[test]
fn an_uploaded_sym_in_a_form_reprocesses_the_crash_and_names_no_file_after_the_client() {
    let (_d, s) = server();
    let before = unsymbolised_crash(&s);
    let sym = sym_text();
    let (ct, body) = crashpad_body(&[], &[("symbols", "../../evil name.sym", sym.as_bytes())]);
    let r = post_symbols(&s, &body, &ct);
    assert_eq!(r.status, 200, "{}", r.text());
    let stored = r.json();
    assert_eq!(stored["stored"][0]["kind"], "sym");
    let file = s.data.join(format!(
        "store/symbols/msvcx64.pdb/{}/msvcx64.sym",
        pdb_id()
    ));
    assert_eq!(std::fs::read_to_string(file).unwrap(), sym);
    assert!(!s.data.join("store/symbols/evil name.sym").exists());
    check_reprocessed(&s, &before, &stored);
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in files {
        z.start_file(*name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

#[test]
fn a_zipped_symstore_tree_reprocesses_the_crash() {
    let (_d, s) = server();
    let before = unsymbolised_crash(&s);
    let id = pdb_id();
    let body = zip_of(&[
        ("symbols/000Admin/history.txt", b"ignored"),
        (&format!("symbols/msvcx64.pdb/{id}/msvcx64.pdb"), &pdb()),
    ]);
    let r = post_symbols(&s, &body, "application/zip");
    assert_eq!(r.status, 200, "{}", r.text());
    check_reprocessed(&s, &before, &r.json());
}

#[test]
fn bad_symbol_uploads_are_refused_with_a_reason() {
    let (_d, s) = server();
    let id = pdb_id();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "not symbols",
            b"hello world".to_vec(),
            "not a Breakpad .sym",
        ),
        ("empty", Vec::new(), "empty body"),
        (
            "truncated PDB",
            pdb()[..4096].to_vec(),
            "unreadable symbol file",
        ),
        (
            "a PDB no crash needs, with no name",
            pdb(),
            "matches no module of a stored crash",
        ),
        (
            "a tree whose folder names another id",
            zip_of(&[("x.pdb/0123ABCD1/x.pdb", &pdb())]),
            "its folder says 0123ABCD1",
        ),
        (
            "a .sym with an unusable name",
            format!("MODULE windows x86_64 {id} ..\n").into_bytes(),
            "unusable module name",
        ),
    ];
    for (what, body, reason) in cases {
        let r = post_symbols(&s, &body, "application/octet-stream");
        assert_eq!(r.status, 400, "{what}: {}", r.text());
        let e = r.json()["error"].as_str().unwrap().to_string();
        assert!(e.contains(reason), "{what}: {e}");
    }
    let anon = request(s.addr, "POST", "/api/symbols", &[], &pdb(), false);
    assert_eq!(anon.status, 401);
    // Nothing was stored, and the server goes on.
    let stored: Vec<_> = std::fs::read_dir(s.data.join("store/symbols"))
        .unwrap()
        .collect();
    assert!(stored.is_empty(), "{stored:?}");
    assert_eq!(get(&s, "/api/stats").status, 200);
}

/// `coroner upload --symbols`'s client: a PDB in a SymStore folder goes with its place in the
/// tree, so the server names it even though no crash asked for it yet.
#[test]
fn the_upload_client_sends_a_symstore_folder() {
    use coroner_server::client::{find_symbol_files, symbol_body, Uploader};
    let (d, s) = server();
    let id = pdb_id();
    let tree = d.path().join("symstore");
    let folder = tree.join(format!("msvcx64.pdb/{id}"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("msvcx64.pdb"), pdb()).unwrap();
    std::fs::write(tree.join("notes.txt"), "not symbols").unwrap();
    let files = find_symbol_files(std::slice::from_ref(&tree));
    assert_eq!(files, [folder.join("msvcx64.pdb")]);

    let up = Uploader::new(&format!("http://{}", s.addr), "");
    let (status, answer) = up
        .upload_symbols(&s.token, &symbol_body(&files[0], pdb()))
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    let stored = s
        .data
        .join(format!("store/symbols/msvcx64.pdb/{id}/msvcx64.pdb"));
    assert_eq!(std::fs::read(stored).unwrap(), pdb());

    // The same PDB bare (no tree to name it): the server knows its name from its store now.
    let (status, answer) = up.upload_symbols(&s.token, &pdb()).unwrap();
    assert_eq!(status, 200, "known by now from the store: {answer}");
    let (status, answer) = up.upload_symbols("wrong", &pdb()).unwrap();
    assert_eq!(status, 401, "{answer}");
}
