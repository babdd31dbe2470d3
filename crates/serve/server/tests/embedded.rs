//! Embedded mode end to end: a real server on 127.0.0.1, Crashpad-style and Sentry uploads,
//! the analysis through the front door, the API, refusals, and the pages.

mod common;

use common::*;
use std::time::Duration;

fn server() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = start(coroner_server::Config::embedded(dir.path().join("data")));
    (dir, s)
}

#[test]
fn first_start_writes_private_keys() {
    let (_d, s) = server();
    for f in ["ingest-key", "admin-token"] {
        let meta = std::fs::metadata(s.data.join(f)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{f}");
        }
        assert!(meta.len() > 32);
    }
    assert_ne!(s.key, s.token);
}

#[test]
fn a_crashpad_upload_is_analysed_as_coroner_analyze_does() {
    let (_d, s) = server();
    let path = reference_dump(1);
    let dump = std::fs::read(&path).unwrap();
    let fields = [("prod", "W3SVC"), ("ver", "6.0.3790"), ("guid", "abc")];
    let id = crash_id(&crashpad_upload(s.addr, &s.key, &dump, &fields));
    let crash = wait_done(&s, &id, Duration::from_secs(120));
    assert_eq!(crash["status"], "done", "{crash}");
    assert_eq!(crash["attempts"], 1);
    assert_eq!(crash["completions"], 1);
    assert_eq!(crash["annotations"]["ver"], "6.0.3790");

    let expected = coroner::open_and_analyze(&path, &coroner::Options::default()).unwrap();
    let bucket = expected.bucket.clone().unwrap();
    assert_eq!(crash["bucket"], bucket.as_str());
    assert_eq!(crash["analysis"]["exception"]["code"], "0xc0000005");
    // The stored analysis is one entry of analyze's dumps[], naming the crash, not the file.
    assert_eq!(crash["analysis"]["path"], format!("{id}.dmp"));
    assert!(crash["analysis"]["complete"].as_bool().unwrap());

    let groups = get(&s, "/api/groups").json();
    let g = &groups["groups"][0];
    assert_eq!(g["bucket"], bucket.as_str());
    assert_eq!(g["count"], 1);
    assert_eq!(g["versions"]["6.0.3790"], 1);
    assert_eq!(g["id"], crash["group_id"]);
    assert!(g["blame"].as_str().unwrap().contains("ABCUpload4"), "{g}");

    // The dump downloads byte for byte, to an admin only.
    let d = get(&s, &format!("/api/crashes/{id}/dump"));
    assert_eq!(d.status, 200);
    assert_eq!(d.body, dump);
    let anon = request(
        s.addr,
        "GET",
        &format!("/crashes/{id}/dump"),
        &[],
        b"",
        false,
    );
    assert_eq!(anon.status, 401);
}

#[test]
fn the_sentry_endpoint_takes_a_raw_or_compressed_body() {
    let (_d, s) = server();
    let dump = std::fs::read(reference_dump(2)).unwrap();
    let raw = request(
        s.addr,
        "POST",
        &format!("/api/default/minidump/?sentry_key={}", s.key),
        &[("Content-Type", "application/octet-stream".into())],
        &zstd::encode_all(&dump[..], 3).unwrap(),
        false,
    );
    assert_eq!(raw.status, 200, "{}", raw.text());
    let id = raw.json()["id"].as_str().unwrap().to_string();
    let crash = wait_done(&s, &id, Duration::from_secs(120));
    assert_eq!(crash["status"], "done", "{crash}");

    let (ct, body) = crashpad_body(&[], &[("upload_file_minidump", "x.dmp.gz", &gzip(&dump))]);
    let form = request(
        s.addr,
        "POST",
        &format!("/api/default/minidump/?sentry_key={}", s.key),
        &[("Content-Type", ct)],
        &body,
        false,
    );
    assert_eq!(form.status, 200, "{}", form.text());
    let other = request(
        s.addr,
        "POST",
        &format!("/api/other/minidump/?sentry_key={}", s.key),
        &[],
        &dump,
        false,
    );
    assert_eq!(other.status, 401);
}

#[test]
fn wrong_keys_malformed_and_oversized_uploads_are_refused_and_the_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = coroner_server::Config::embedded(dir.path().join("data"));
    config.max_body = 1 << 20;
    let s = start(config);
    let dump = std::fs::read(reference_dump(1)).unwrap();

    let r = crashpad_upload(s.addr, "wrong", &dump, &[]);
    assert_eq!(r.status, 401);

    let (ct, body) = crashpad_body(
        &[("prod", "x")],
        &[("upload_file_minidump", "a.dmp", b"PK\x03\x04 a zip")],
    );
    let r = request(
        s.addr,
        "POST",
        &format!("/submit?key={}", s.key),
        &[("Content-Type", ct.clone())],
        &body,
        false,
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "Discarded=not a minidump")
    );

    let (ct2, body) = crashpad_body(&[("prod", "x")], &[]);
    let r = request(
        s.addr,
        "POST",
        &format!("/submit?key={}", s.key),
        &[("Content-Type", ct2)],
        &body,
        false,
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "Discarded=no upload_file_minidump part")
    );

    let gz = [
        ("Content-Type", ct.clone()),
        ("Content-Encoding", "gzip".into()),
    ];
    let r = request(
        s.addr,
        "POST",
        &format!("/submit?key={}", s.key),
        &gz,
        b"not gzip at all",
        false,
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "Discarded=bad gzip data")
    );

    let r = request(
        s.addr,
        "POST",
        &format!("/submit?key={}", s.key),
        &[("Content-Type", "text/plain".into())],
        b"x",
        false,
    );
    assert_eq!(r.status, 400);
    assert!(r.text().starts_with("Discarded="), "{}", r.text());

    // Over the limit: declared, streamed chunked, and as a gzip bomb.
    let big = vec![0u8; 2 << 20];
    let (ct3, body) = crashpad_body(&[], &[("upload_file_minidump", "a.dmp", &big)]);
    let r = request(
        s.addr,
        "POST",
        &format!("/submit?key={}", s.key),
        &[("Content-Type", ct3.clone())],
        &body,
        false,
    );
    assert_eq!(r.status, 413);
    let r = request(
        s.addr,
        "POST",
        &format!("/submit?key={}", s.key),
        &[("Content-Type", ct3.clone())],
        &body,
        true,
    );
    assert_eq!(r.status, 413);
    let gz = [("Content-Type", ct3), ("Content-Encoding", "gzip".into())];
    let r = request(
        s.addr,
        "POST",
        &format!("/submit?key={}", s.key),
        &gz,
        &gzip(&body),
        false,
    );
    assert_eq!(r.status, 413);

    // Path-traversal file names are data, never paths: the crash is stored by its UUID.
    let files: [(&str, &str, &[u8]); 2] = [
        ("upload_file_minidump", "../../../../tmp/evil.dmp", &dump),
        ("log", "..\\..\\evil.txt", b"log"),
    ];
    let (ct4, body) = crashpad_body(&[], &files);
    let r = request(
        s.addr,
        "POST",
        &format!("/submit?key={}", s.key),
        &[("Content-Type", ct4)],
        &body,
        false,
    );
    let id = crash_id(&r);
    let crash = wait_done(&s, &id, Duration::from_secs(120));
    assert_eq!(crash["status"], "done");
    assert_eq!(crash["attachments"][0]["filename"], "..\\..\\evil.txt");
    let names = walk(&dir.path().join("data"));
    assert!(names.iter().all(|n| !n.contains("evil")), "{names:?}");
    assert!(
        names.iter().any(|n| n.ends_with(&format!("{id}.dmp"))),
        "{names:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        out.push(p.display().to_string());
        if p.is_dir() {
            out.extend(walk(&p));
        }
    }
    out
}

#[test]
fn the_api_and_pages_want_the_admin_token_or_a_login() {
    let (_d, s) = server();
    for target in [
        "/api/groups",
        "/api/crashes/00000000-0000-0000-0000-000000000000",
    ] {
        let r = request(s.addr, "GET", target, &[], b"", false);
        assert_eq!(r.status, 401, "{target}");
        let bad = [("Authorization", "Bearer nope".to_string())];
        assert_eq!(request(s.addr, "GET", target, &bad, b"", false).status, 401);
    }
    let r = request(s.addr, "GET", "/", &[], b"", false);
    assert_eq!((r.status, r.header("location")), (303, Some("/login")));
    assert_eq!(get(&s, "/").status, 200);

    // Login gives a session cookie; a form without its CSRF token is refused.
    let form = [(
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    let r = request(
        s.addr,
        "POST",
        "/login",
        &form,
        format!("token={}", s.token).as_bytes(),
        false,
    );
    assert_eq!(r.status, 303);
    let cookie = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let with_cookie = [("Cookie", cookie.clone())];
    let page = request(s.addr, "GET", "/", &with_cookie, b"", false);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Top crashers"));
    let post = [("Cookie", cookie), form[0].clone()];
    let r = request(
        s.addr,
        "POST",
        "/groups/1/resolve",
        &post,
        b"version=2.0&csrf=forged",
        false,
    );
    assert_eq!(r.status, 403);
    let r = request(s.addr, "POST", "/login", &form, b"token=wrong", false);
    assert_eq!(r.status, 401);
}

#[test]
fn a_dump_the_loader_cannot_read_fails_once_with_its_error_and_others_go_on() {
    let (_d, s) = server();
    let mut broken = b"MDMP\x93\xa7\x00\x00".to_vec();
    broken.extend_from_slice(&[0xff; 64]);
    let bad = crash_id(&crashpad_upload(s.addr, &s.key, &broken, &[]));
    let dump = std::fs::read(reference_dump(1)).unwrap();
    let good = crash_id(&crashpad_upload(s.addr, &s.key, &dump, &[]));
    let c = wait_done(&s, &bad, Duration::from_secs(60));
    assert_eq!(c["status"], "failed", "{c}");
    assert_eq!(c["completions"], 0);
    assert!(!c["error"].as_str().unwrap().is_empty());
    assert_eq!(
        wait_done(&s, &good, Duration::from_secs(60))["status"],
        "done"
    );
    let stats = get(&s, "/api/stats").json();
    assert_eq!(
        (stats["done"].as_i64(), stats["failed"].as_i64()),
        (Some(1), Some(1))
    );
}

#[test]
fn pages_show_groups_a_chart_and_the_report_with_every_text_escaped() {
    let (_d, s) = server();
    let dump = std::fs::read(reference_dump(2)).unwrap();
    let fields = [("ver", "1.0"), ("note", "<script>alert(1)</script>")];
    let id = crash_id(&crashpad_upload(s.addr, &s.key, &dump, &fields));
    let c = wait_done(&s, &id, Duration::from_secs(60));
    let gid = c["group_id"].as_i64().unwrap();

    let index = get(&s, "/").text();
    assert!(
        index.contains(&format!("href=\"/groups/{gid}\"")),
        "{index}"
    );
    assert!(index.contains("1.0 (1)"));
    let group = get(&s, &format!("/groups/{gid}")).text();
    assert!(group.contains("<svg") && group.contains("<rect"), "{group}");
    assert!(group.contains(&format!("/crashes/{id}")));
    let page = get(&s, &format!("/crashes/{id}")).text();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>"));
    // The report is the HTML renderer's section for the dump, as `analyze --format html` shows it.
    assert!(page.contains("<section class=\"dump\">"), "{page}");
    assert!(page.contains("<th>Bucket</th>") && page.contains("Stack (kb)"));
    assert!(page.contains(&format!("/crashes/{id}/dump")));
    // Rendered on this first view, then kept: later views read it.
    let shared = s.shared.clone().unwrap();
    let row = s.rt.as_ref().unwrap().block_on(shared.db.crash(&id));
    let stored = row.unwrap().unwrap().report.unwrap_or_default();
    assert!(stored.starts_with("<section class=\"dump\">") && page.contains(&stored));
    assert_eq!(get(&s, &format!("/crashes/{id}")).text(), page);
    in_chromium(&[
        ("top-crashers", &index),
        ("group", &group),
        ("crash", &page),
    ]);
    assert_eq!(get(&s, "/crashes/not-a-uuid").status, 404);
    assert_eq!(get(&s, "/groups/999999").status, 404);
}

#[test]
fn a_group_resolved_in_a_version_reopens_when_a_later_version_crashes() {
    let (_d, s) = server();
    let dump = std::fs::read(reference_dump(1)).unwrap();
    let upload = |n: u32, ver: &str| {
        let id = crash_id(&crashpad_upload(
            s.addr,
            &s.key,
            &distinct(&dump, n),
            &[("ver", ver)],
        ));
        wait_done(&s, &id, Duration::from_secs(60))
    };
    let gid = upload(1, "1.0")["group_id"].as_i64().unwrap();
    let auth = [
        ("Authorization", format!("Bearer {}", s.token)),
        ("Content-Type", "application/json".to_string()),
    ];
    let target = format!("/api/groups/{gid}/resolve");
    let r = request(
        s.addr,
        "POST",
        &target,
        &auth,
        br#"{"version": "1.1"}"#,
        false,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    upload(2, "1.0");
    let g = get(&s, &format!("/api/groups/{gid}")).json();
    assert_eq!(
        (g["resolved_in"].as_str(), g["reopened"].as_bool()),
        (Some("1.1"), Some(false))
    );
    upload(3, "1.2");
    let g = get(&s, &format!("/api/groups/{gid}")).json();
    assert_eq!(
        (g["resolved_in"].as_str(), g["reopened"].as_bool()),
        (None, Some(true))
    );
    assert_eq!(g["count"], 3);
    assert_eq!(g["versions"]["1.0"], 2);
    assert_eq!(
        g["days"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_i64().unwrap())
            .sum::<i64>(),
        3
    );
}

#[test]
fn retention_deletes_dumps_and_keeps_counts() {
    let (_d, s) = server();
    let dump = std::fs::read(reference_dump(1)).unwrap();
    let id = crash_id(&crashpad_upload(s.addr, &s.key, &dump, &[]));
    wait_done(&s, &id, Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(1100));
    let shared = s.shared.clone().unwrap();
    let rt = s.rt.as_ref().unwrap();
    let deleted = rt
        .block_on(coroner_server::worker::retention(&shared, 0))
        .unwrap();
    assert_eq!(deleted, 1);
    let c = get(&s, &format!("/api/crashes/{id}")).json();
    assert_eq!(
        (c["status"].as_str(), c["dump_available"].as_bool()),
        (Some("done"), Some(false))
    );
    assert_eq!(get(&s, &format!("/api/crashes/{id}/dump")).status, 410);
    assert_eq!(get(&s, "/api/groups").json()["groups"][0]["count"], 1);
    let file = s.data.join("store/dumps").join(format!("{id}.dmp"));
    assert!(!file.exists());
    // The page was never opened, so no HTML report was rendered: the stored analysis is shown.
    let page = get(&s, &format!("/crashes/{id}")).text();
    assert!(
        page.contains("No HTML report: the dump was deleted"),
        "{page}"
    );
    assert!(page.contains("&quot;bucket&quot;"), "{page}");
}

#[test]
fn a_full_queue_accepts_and_drops_never_429() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = coroner_server::Config::embedded(dir.path().join("data"));
    config.max_queued = 0;
    let s = start(config);
    let dump = std::fs::read(reference_dump(1)).unwrap();
    let r = crashpad_upload(s.addr, &s.key, &dump, &[]);
    let id = crash_id(&r);
    assert_eq!(get(&s, &format!("/api/crashes/{id}")).status, 404);
    assert_eq!(get(&s, "/api/stats").json()["dropped"], 1);
}

#[test]
fn hostile_uploads_get_a_clear_4xx_and_the_server_keeps_serving() {
    let (_d, s) = server();
    let submit = format!("/submit?key={}", s.key);
    // 100,000 form fields.
    let fields: Vec<(String, String)> = (0..100_000)
        .map(|i| (format!("k{i}"), "v".into()))
        .collect();
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (ct, body) = crashpad_body(&refs, &[]);
    let r = request(
        s.addr,
        "POST",
        &submit,
        &[("Content-Type", ct.clone())],
        &body,
        false,
    );
    assert_eq!(
        (r.status, r.text().as_str()),
        (400, "Discarded=too many form fields")
    );

    // A 2 GB body, declared: refused before it is read.
    let mut stream = std::net::TcpStream::connect(s.addr).unwrap();
    use std::io::{Read, Write};
    let head = format!(
        "POST {submit} HTTP/1.1\r\nHost: x\r\nContent-Type: {ct}\r\nContent-Length: 2147483648\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&[0u8; 4096]).unwrap();
    let mut reply = vec![0u8; 64];
    let n = stream.read(&mut reply).unwrap();
    assert!(String::from_utf8_lossy(&reply[..n]).starts_with("HTTP/1.1 413"));

    // Malformed multipart: a part that never ends, a body without boundaries.
    let b = "XyZ";
    let cut = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"\r\n\r\nMDMP"
    );
    let ctb = format!("multipart/form-data; boundary={b}");
    let r = request(
        s.addr,
        "POST",
        &submit,
        &[("Content-Type", ctb.clone())],
        cut.as_bytes(),
        false,
    );
    assert_eq!(r.status, 400);
    assert!(
        r.text().starts_with("Discarded=malformed multipart"),
        "{}",
        r.text()
    );
    let r = request(
        s.addr,
        "POST",
        &submit,
        &[("Content-Type", ctb)],
        b"no parts here",
        false,
    );
    assert_eq!(r.status, 400);

    // A truncated dump is stored and analysed as damaged, or failed with its error.
    let dump = std::fs::read(reference_dump(1)).unwrap();
    let id = crash_id(&crashpad_upload(
        s.addr,
        &s.key,
        &dump[..dump.len() / 3],
        &[],
    ));
    let c = wait_done(&s, &id, Duration::from_secs(60));
    assert!(c["status"] == "done" || c["error"].is_string(), "{c}");

    // Still serving.
    let id = crash_id(&crashpad_upload(s.addr, &s.key, &dump, &[]));
    assert_eq!(
        wait_done(&s, &id, Duration::from_secs(60))["status"],
        "done"
    );
}

/// The pages as a browser shows them: headless Chromium loads each with no console errors (no
/// script, no network) and keeps a screenshot in the test output (`target/tmp/server-*.png`).
/// Skips, saying why, without Chromium.
fn in_chromium(pages: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    for (name, html) in pages {
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, html).unwrap();
        let r = match coroner_devdata::browser::render(&file) {
            Ok(r) => r,
            Err(why) => {
                eprintln!("SKIP: {why}");
                return;
            }
        };
        assert!(
            r.console_errors.is_empty(),
            "{name}: {:?}",
            r.console_errors
        );
        assert!(r.dom.contains("coroner"), "{name}");
        let shot = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("server-{name}.png"));
        coroner_devdata::browser::screenshot(&file, &shot, 1280, 1400).unwrap();
        eprintln!("screenshot: {}", shot.display());
    }
}
