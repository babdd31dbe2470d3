//! Test helpers: a server on 127.0.0.1 on an ephemeral port in a runtime of its own, and a
//! plain HTTP/1.1 client over a TCP socket that uploads the way Crashpad does (multipart body
//! built as `HTTPMultipartBuilder` builds it, gzip-compressed, sent chunked).
#![allow(dead_code)]

use coroner_server::db::{Finished, NewCrash};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

pub fn reference_dump(n: u32) -> PathBuf {
    root().join(format!("examples/reference/w3wp-abcupload-{n}.dmp"))
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub data: PathBuf,
    pub key: String,
    pub token: String,
    /// The server's state (in-process servers only).
    pub shared: Option<coroner_server::Shared>,
    pub rt: Option<tokio::runtime::Runtime>,
}

impl Server {
    /// A server in another process.
    pub fn remote(addr: SocketAddr, key: String, token: String) -> Self {
        Server {
            addr,
            data: PathBuf::new(),
            key: key.trim().to_string(),
            token: token.trim().to_string(),
            shared: None,
            rt: None,
        }
    }
}

/// Starts a server with `config` on 127.0.0.1 on an ephemeral port.
pub fn start(config: coroner_server::Config) -> Server {
    let data = config.data.clone();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (shared, started) = rt.block_on(coroner_server::open(config)).unwrap();
    let listener = rt.block_on(coroner_server::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(coroner_server::serve(shared.clone(), listener));
    let read = |p: &Path| std::fs::read_to_string(p).unwrap().trim().to_string();
    Server {
        addr,
        key: read(&started.ingest_key_file),
        token: read(&started.admin_token_file),
        data,
        shared: Some(shared),
        rt: Some(rt),
    }
}

/// A response: status, headers (lowercase names), body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request (`Connection: close`) and reads the whole reply. `body` is sent with
/// `Content-Length`, or chunked when `chunked`.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, String)],
    body: &[u8],
    chunked: bool,
) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
    } else {
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    }
    s.write_all(head.as_bytes()).unwrap();
    if chunked {
        for c in body.chunks(32 << 10) {
            let _ = s.write_all(format!("{:x}\r\n", c.len()).as_bytes());
            let _ = s.write_all(c);
            let _ = s.write_all(b"\r\n");
        }
        let _ = s.write_all(b"0\r\n\r\n");
    } else {
        // The server may answer (413) and close before reading everything.
        let _ = s.write_all(body);
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no reply: {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(std::str::from_utf8(&b[..nl]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + n]);
        b = &b[nl + 4 + n..];
    }
    out
}

/// A multipart body as Crashpad's `HTTPMultipartBuilder` writes it: form fields, then the
/// file part `upload_file_minidump` with a file name and `application/octet-stream`.
pub fn crashpad_body(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "---MultipartBoundary-vp5j9HdSRYK8DvX1jHpvXRGAEbS4E7fhmI1hL5---".to_string();
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, file_name, data) in files {
        b.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Uploads `dump` as Crashpad does (gzip on, chunked) to `/submit?key=KEY`.
pub fn crashpad_upload(addr: SocketAddr, key: &str, dump: &[u8], fields: &[(&str, &str)]) -> Reply {
    let (ct, body) = crashpad_body(fields, &[("upload_file_minidump", "report.dmp", dump)]);
    let headers = [
        ("Content-Type", ct),
        ("Content-Encoding", "gzip".to_string()),
        ("User-Agent", "Crashpad/0.8.0".to_string()),
    ];
    request(
        addr,
        "POST",
        &format!("/submit?key={key}"),
        &headers,
        &gzip(&body),
        true,
    )
}

/// `GET` with the admin token.
pub fn get(server: &Server, target: &str) -> Reply {
    let auth = [("Authorization", format!("Bearer {}", server.token))];
    request(server.addr, "GET", target, &auth, b"", false)
}

/// The crash id in a `CrashID=bp-<uuid>` reply.
pub fn crash_id(reply: &Reply) -> String {
    let text = reply.text();
    assert_eq!(reply.status, 200, "{text}");
    text.strip_prefix("CrashID=bp-")
        .unwrap_or_else(|| panic!("not a CrashID reply: {text}"))
        .to_string()
}

/// Polls `GET /api/crashes/<id>` until its status is `done` or `failed`.
pub fn wait_done(server: &Server, id: &str, timeout: Duration) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let r = get(server, &format!("/api/crashes/{id}"));
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        if v["status"] == "done" || v["status"] == "failed" {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "crash {id} still {} after {timeout:?}",
            v["status"]
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A copy of `dump` made distinct (its header checksum field, which no reader checks).
pub fn distinct(dump: &[u8], n: u32) -> Vec<u8> {
    let mut d = dump.to_vec();
    d[16..20].copy_from_slice(&n.to_le_bytes());
    d
}

/// Runs `check` on PostgreSQL (`CORONER_TEST_DATABASE`, else the local `test` database) in a
/// schema of its own named `prefix_<pid>_<nanoseconds>`, dropped afterwards. Without a reachable server it
/// skips with a printed reason, except under `CI=true`, where it fails.
pub async fn on_postgres<F, Fut>(prefix: &str, check: F)
where
    F: FnOnce(coroner_server::db::Db) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use coroner_server::db::{Db, PgDb};
    let base = std::env::var("CORONER_TEST_DATABASE")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = match PgDb::connect(&base, 1).await {
        Ok(db) => db,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: PostgreSQL at {base} is unreachable ({e})");
            return;
        }
        Err(e) => panic!("PostgreSQL at {base} is required when CI=true: {e}"),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let schema = format!("{prefix}_{}_{nanos}", std::process::id());
    admin
        .execute_batch(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let url = format!("{base}?options=-csearch_path%3D{schema}");
    check(Db::Postgres(PgDb::connect(&url, 2).await.unwrap())).await;
    admin
        .execute_batch(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}

/// Crash `n` as ingest records it (project `default`, version 1.0).
pub fn crash(n: u32) -> NewCrash {
    NewCrash {
        id: format!("00000000-0000-4000-8000-{n:012}"),
        project: "default".into(),
        received: 1_700_000_000 + n as i64,
        annotations: "{}".into(),
        attachments: "[]".into(),
        size: 1,
        sha256: format!("{n}"),
        version: Some("1.0".into()),
    }
}

/// A finished analysis of bucket `B`, version 1.0.
pub fn finished() -> Finished {
    Finished {
        bucket: "B".into(),
        signature: "s".into(),
        blame: None,
        analysis: "{}".into(),
        report: Some("r".into()),
        facets: vec![("version", "1.0".into())],
        day: "2023-11-14".into(),
        received: 1_700_000_000,
        version: Some("1.0".into()),
        missing: Vec::new(),
    }
}
