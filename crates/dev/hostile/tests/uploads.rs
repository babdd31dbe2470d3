//! Hostile uploads against the real crash server (`coroner serve`'s library, on 127.0.0.1 on
//! an ephemeral port): truncated and malformed multipart, gzip/xz/zstd bombs, 2 GB bodies
//! (declared and chunked) streamed by the client without holding them, 100,000 form fields,
//! path-traversal file names, bad boundaries, no dump part, not a dump. Each must get a clear
//! 4xx (the traversal names: 200, the names kept as data only), the server's peak memory must
//! stay under [`MEMORY_LIMIT`], and a normal Crashpad upload must succeed after each.
//!
//! A custom harness (`harness = false`): the server runs in this process, and its peak memory is
//! the kernel's `VmHWM`, reset before each case through `/proc/self/clear_refs` (Linux;
//! elsewhere the bound is not checked). `HOSTILE_FILTER=substring` runs only matching cases.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Peak resident memory of the whole process (server and client) during any case.
const MEMORY_LIMIT: u64 = 200 << 20;
/// The server's upload limit in this test: the 2 GB bodies and the bombs are far over it, and
/// a server that held a body or an unpacked dump in memory would pass [`MEMORY_LIMIT`] with it.
const MAX_BODY: usize = 256 << 20;
/// Unpacked size of every bomb.
const BOMB: u64 = 1 << 30;
const BOUNDARY: &str = "---MultipartBoundary-vp5j9HdSRYK8DvX1jHpvXRGAEbS4E7fhmI1hL5---";

struct Server {
    addr: SocketAddr,
    key: String,
    token: String,
    data: PathBuf,
    _rt: tokio::runtime::Runtime,
}

fn start(data: PathBuf) -> Server {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut config = coroner_server::Config::embedded(&data);
    config.max_body = MAX_BODY;
    config.workers = 0; // ingest only: the analysis is not under test here
    let (shared, started) = rt.block_on(coroner_server::open(config)).unwrap();
    let listener = rt.block_on(coroner_server::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(coroner_server::serve(shared, listener));
    let read = |p: &Path| std::fs::read_to_string(p).unwrap().trim().to_string();
    Server {
        addr,
        key: read(&started.ingest_key_file),
        token: read(&started.admin_token_file),
        data,
        _rt: rt,
    }
}

// ---------------------------------------------------------------------------------------------
// A plain HTTP/1.1 client that streams the body from a reader on its own thread while the
// reply is read, so that a server that answers early (413) is seen answering early.

enum Framing {
    Length(u64),
    Chunked,
    /// `Content-Length` of the given value, but the body ends (write side shut) where the reader
    /// ends.
    Short(u64),
}

struct Reply {
    status: u16,
    text: String,
    /// Body bytes the client managed to write before the server stopped reading.
    sent: u64,
    secs: f64,
}

fn post(
    addr: SocketAddr,
    target: &str,
    headers: &[(&str, String)],
    framing: Framing,
    body: Box<dyn Read + Send>,
) -> Reply {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut head = format!("POST {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    match framing {
        Framing::Length(n) | Framing::Short(n) => {
            head.push_str(&format!("Content-Length: {n}\r\n\r\n"))
        }
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n\r\n"),
    }
    s.write_all(head.as_bytes()).unwrap();
    let chunked = matches!(framing, Framing::Chunked);
    let short = matches!(framing, Framing::Short(_));
    let w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || write_body(w, body, chunked, short));
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let secs = start.elapsed().as_secs_f64();
    let _ = s.shutdown(Shutdown::Both);
    let sent = writer.join().unwrap();
    let (status, text) = parse_reply(&raw);
    Reply {
        status,
        text,
        sent,
        secs,
    }
}

fn write_body(mut w: TcpStream, mut body: Box<dyn Read + Send>, chunked: bool, short: bool) -> u64 {
    let mut buf = vec![0u8; 64 << 10];
    let mut sent = 0u64;
    loop {
        let n = body.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        let ok = if chunked {
            w.write_all(format!("{n:x}\r\n").as_bytes()).is_ok()
                && w.write_all(&buf[..n]).is_ok()
                && w.write_all(b"\r\n").is_ok()
        } else {
            w.write_all(&buf[..n]).is_ok()
        };
        if !ok {
            return sent;
        }
        sent += n as u64;
    }
    if chunked {
        let _ = w.write_all(b"0\r\n\r\n");
    }
    if short {
        let _ = w.shutdown(Shutdown::Write);
    }
    sent
}

fn parse_reply(raw: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return (0, format!("no reply: {text:?}"));
    };
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.trim().to_string())
}

// ---------------------------------------------------------------------------------------------
// Bodies.

fn part_head(name: &str, file_name: Option<&str>) -> Vec<u8> {
    let file = file_name
        .map(|f| format!("; filename=\"{f}\"\r\nContent-Type: application/octet-stream"))
        .unwrap_or_default();
    format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n")
        .into_bytes()
}

fn tail() -> Vec<u8> {
    format!("\r\n--{BOUNDARY}--\r\n").into_bytes()
}

fn form_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A Crashpad form: `prod`/`ver` annotations, then the dump part (its content from `dump`).
fn crashpad_form(dump: Box<dyn Read + Send>, file_name: &str) -> Box<dyn Read + Send> {
    let mut head = Vec::new();
    for (k, v) in [("prod", "App"), ("ver", "1.0")] {
        head.extend(part_head(k, None));
        head.extend_from_slice(v.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend(part_head("upload_file_minidump", Some(file_name)));
    Box::new(
        std::io::Cursor::new(head)
            .chain(dump)
            .chain(std::io::Cursor::new(tail())),
    )
}

fn bytes(b: Vec<u8>) -> Box<dyn Read + Send> {
    Box::new(std::io::Cursor::new(b))
}

fn read_all(mut r: Box<dyn Read + Send>) -> Vec<u8> {
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap();
    out
}

/// `members` copies of one compressed member of `chunk` zero bytes (after `MDMP`): every
/// format here decodes concatenated members/streams/frames, so a bomb of `BOMB` bytes costs
/// one member's compression.
fn bomb(compress: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let chunk = 64usize << 20;
    let mut first = b"MDMP".to_vec();
    first.resize(chunk, 0);
    let mut out = compress(&first);
    let rest = compress(&vec![0u8; chunk]);
    for _ in 1..BOMB / chunk as u64 {
        out.extend_from_slice(&rest);
    }
    out
}

fn gzip(d: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(d).unwrap();
    e.finish().unwrap()
}

fn xz(d: &[u8]) -> Vec<u8> {
    let mut e = xz2::write::XzEncoder::new(Vec::new(), 1);
    e.write_all(d).unwrap();
    e.finish().unwrap()
}

fn zstd(d: &[u8]) -> Vec<u8> {
    zstd::encode_all(d, 3).unwrap()
}

fn reference_dump() -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../examples/reference/w3wp-abcupload-1.dmp");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

// ---------------------------------------------------------------------------------------------
// Cases.

type Check = Box<dyn Fn(&Server, &Reply) -> Result<(), String>>;

struct Case {
    name: &'static str,
    framing: fn(u64) -> Framing,
    headers: Vec<(&'static str, String)>,
    /// The body and its length.
    body: Box<dyn Fn() -> (Box<dyn Read + Send>, u64)>,
    want: (u16, &'static str),
    check: Option<Check>,
    /// To the Sentry endpoint (`/api/default/minidump/`) instead of `/submit`.
    sentry: bool,
}

fn case(name: &'static str, body: Vec<u8>, want: (u16, &'static str)) -> Case {
    Case {
        name,
        framing: Framing::Length,
        headers: vec![("Content-Type", form_type())],
        body: Box::new(move || {
            let n = body.len() as u64;
            (bytes(body.clone()), n)
        }),
        want,
        check: None,
        sentry: false,
    }
}

fn zeros(n: u64) -> Box<dyn Read + Send> {
    Box::new(std::io::repeat(0).take(n))
}

fn two_gb_form() -> (Box<dyn Read + Send>, u64) {
    let n = 2u64 << 30;
    let head = part_head("upload_file_minidump", Some("big.dmp")).len() as u64;
    let form = crashpad_form(
        Box::new(std::io::Cursor::new(b"MDMP".to_vec()).chain(zeros(n))),
        "big.dmp",
    );
    let fields = 2 * (part_head("prod", None).len() as u64 + 5);
    (form, fields + head + 4 + n + tail().len() as u64)
}

fn cases() -> Vec<Case> {
    let dump = reference_dump();
    let mut c = Vec::new();
    // Truncated: the dump part never ends; and a body shorter than its Content-Length.
    let mut cut = part_head("upload_file_minidump", Some("a.dmp"));
    cut.extend_from_slice(&dump[..1000]);
    c.push(case(
        "truncated multipart",
        cut.clone(),
        (400, "Discarded=malformed multipart"),
    ));
    let mut short = case(
        "body shorter than its Content-Length",
        cut,
        (400, "Discarded="),
    );
    short.framing = |n| Framing::Short(n + 100_000);
    c.push(short);
    // Bombs: a gzip body (Content-Encoding), and gzip/xz/zstd dumps in the dump part.
    let mut gz_body = gzip(&part_head("upload_file_minidump", Some("a.dmp")));
    gz_body.extend(bomb(gzip));
    gz_body.extend(gzip(&tail()));
    let mut gz = case(
        "gzip body bomb (Content-Encoding)",
        gz_body,
        (413, "Discarded=too large"),
    );
    gz.headers.push(("Content-Encoding", "gzip".into()));
    c.push(gz);
    for (name, f) in [
        ("gzip dump bomb", gzip as fn(&[u8]) -> Vec<u8>),
        ("xz dump bomb", xz),
        ("zstd dump bomb", zstd),
    ] {
        let form = read_all(crashpad_form(bytes(bomb(f)), "a.dmp.gz"));
        c.push(case(name, form, (413, "Discarded=too large")));
    }
    // 2 GB bodies, generated while sent: declared, and chunked.
    for (name, framing) in [
        (
            "2 GB body, Content-Length",
            Framing::Length as fn(u64) -> Framing,
        ),
        ("2 GB body, chunked", |_| Framing::Chunked),
    ] {
        c.push(Case {
            name,
            framing,
            headers: vec![("Content-Type", form_type())],
            body: Box::new(two_gb_form),
            want: (413, "Discarded=too large"),
            check: Some(Box::new(read_little)),
            sentry: false,
        });
    }
    // 100,000 form fields.
    let mut many = Vec::new();
    for i in 0..100_000 {
        many.extend(part_head(&format!("k{i}"), None));
        many.extend_from_slice(b"v\r\n");
    }
    many.extend(tail());
    c.push(case(
        "100,000 form fields",
        many,
        (400, "Discarded=too many form fields"),
    ));
    c.extend(sentry_cases());
    c.extend(naming_cases(&dump));
    c.extend(shape_cases(&dump));
    c
}

/// The server stopped reading a 2 GB body soon: at most the limit and some buffers.
fn read_little(_: &Server, r: &Reply) -> Result<(), String> {
    if r.sent > MAX_BODY as u64 + (64 << 20) {
        return Err(format!(
            "the server read {} MB of a 2 GB body",
            r.sent >> 20
        ));
    }
    Ok(())
}

/// The Sentry endpoint's raw body: a dump bomb, a 2 GB body, nothing.
fn sentry_cases() -> Vec<Case> {
    let raw = |c: &mut Case| {
        c.sentry = true;
        c.headers = vec![("Content-Type", "application/octet-stream".into())];
    };
    let mut bomb = case(
        "Sentry raw zstd bomb",
        bomb(zstd),
        (413, "Discarded=too large"),
    );
    raw(&mut bomb);
    let mut big = case(
        "Sentry raw 2 GB body, chunked",
        Vec::new(),
        (413, "Discarded=too large"),
    );
    raw(&mut big);
    big.framing = |_| Framing::Chunked;
    big.body = Box::new(|| (zeros(2 << 30), 2 << 30));
    big.check = Some(Box::new(read_little));
    let mut empty = case(
        "Sentry empty body",
        Vec::new(),
        (400, "Discarded=empty body"),
    );
    raw(&mut empty);
    vec![bomb, big, empty]
}

/// Path-traversal file names: accepted, kept as data, never a path.
fn naming_cases(dump: &[u8]) -> Vec<Case> {
    let mut body = Vec::new();
    for (field, name, data) in [
        ("upload_file_minidump", "../../etc/passwd", dump),
        ("log", "C:\\Windows\\x", b"log".as_slice()),
        ("log2", "/tmp/coroner-hostile-abs", b"log2".as_slice()),
    ] {
        body.extend(part_head(field, Some(name)));
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let mut c = case("path-traversal file names", body, (200, "CrashID=bp-"));
    c.check = Some(Box::new(names_are_data));
    vec![c]
}

fn names_are_data(s: &Server, r: &Reply) -> Result<(), String> {
    let id = r.text.trim_start_matches("CrashID=bp-");
    let auth = [("Authorization", format!("Bearer {}", s.token))];
    let crash = get(s.addr, &format!("/api/crashes/{id}"), &auth);
    let v: serde_json::Value = serde_json::from_str(&crash).map_err(|e| format!("{e}: {crash}"))?;
    let names: Vec<&str> = v["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["filename"].as_str())
        .collect();
    if names != ["C:\\Windows\\x", "/tmp/coroner-hostile-abs"] {
        return Err(format!("attachment names not kept as data: {names:?}"));
    }
    if Path::new("/tmp/coroner-hostile-abs").exists() {
        return Err("/tmp/coroner-hostile-abs was written".into());
    }
    let files = walk(&s.data);
    if let Some(f) = files
        .iter()
        .find(|f| f.contains("passwd") || f.contains("Windows") || f.contains("coroner-hostile"))
    {
        return Err(format!("a client file name reached the filesystem: {f}"));
    }
    Ok(())
}

/// Bad boundaries, no dump part, not a dump.
fn shape_cases(dump: &[u8]) -> Vec<Case> {
    let good = read_all(crashpad_form(bytes(dump.to_vec()), "a.dmp"));
    let mut no_boundary = case(
        "no boundary in Content-Type",
        good.clone(),
        (400, "Discarded=not multipart"),
    );
    no_boundary.headers = vec![("Content-Type", "multipart/form-data".into())];
    let mut other = case(
        "another boundary than the body's",
        good,
        (400, "Discarded="),
    );
    other.headers = vec![(
        "Content-Type",
        "multipart/form-data; boundary=nothere".into(),
    )];
    let mut garbage = b"--".to_vec();
    garbage.extend_from_slice(BOUNDARY.as_bytes());
    garbage.extend_from_slice(b"\r\nno headers and no end\x00\xff");
    let mut no_dump = part_head("prod", None);
    no_dump.extend_from_slice(b"App");
    no_dump.extend(tail());
    let not_dump = read_all(crashpad_form(bytes(b"PK\x03\x04 a zip".to_vec()), "a.dmp"));
    vec![
        endless("a preamble without a boundary", Vec::new()),
        endless(
            "a part header that never ends",
            part_head("upload_file_minidump", Some("a.dmp"))[..60].to_vec(),
        ),
        no_boundary,
        other,
        case(
            "a part without headers",
            garbage,
            (400, "Discarded=malformed multipart"),
        ),
        case(
            "no dump part",
            no_dump,
            (400, "Discarded=no upload_file_minidump part"),
        ),
        case("not a dump", not_dump, (400, "Discarded=not a minidump")),
    ]
}

/// `start` then 200 MB of `a` without the boundary or the end of headers multer looks for,
/// which it would buffer: refused after a little.
fn endless(name: &'static str, start: Vec<u8>) -> Case {
    let mut c = case(
        name,
        Vec::new(),
        (
            400,
            "Discarded=multipart preamble or part headers too large",
        ),
    );
    c.body = Box::new(move || {
        let n = start.len() as u64 + (200 << 20);
        let body = std::io::Cursor::new(start.clone()).chain(std::io::repeat(b'a').take(200 << 20));
        (Box::new(body) as Box<dyn Read + Send>, n)
    });
    c.check = Some(Box::new(|_, r| {
        if r.sent > 64 << 20 {
            return Err(format!(
                "the server read {} MB looking for a boundary",
                r.sent >> 20
            ));
        }
        Ok(())
    }));
    c
}

fn get(addr: SocketAddr, target: &str, headers: &[(&str, String)]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    s.write_all(format!("{head}\r\n").as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_reply(&raw).1
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p.display().to_string());
    }
    out
}

/// A normal Crashpad upload (gzip on, chunked), which must succeed after every case.
fn normal_upload(s: &Server, dump: &[u8]) -> Result<(), String> {
    let form = read_all(crashpad_form(bytes(dump.to_vec()), "report.dmp"));
    let headers = [
        ("Content-Type", form_type()),
        ("Content-Encoding", "gzip".to_string()),
        ("User-Agent", "Crashpad/0.8.0".to_string()),
    ];
    let r = post(
        s.addr,
        &format!("/submit?key={}", s.key),
        &headers,
        Framing::Chunked,
        bytes(gzip(&form)),
    );
    if r.status != 200 || !r.text.starts_with("CrashID=bp-") {
        return Err(format!(
            "a normal upload failed after it: {} {}",
            r.status, r.text
        ));
    }
    Ok(())
}

fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn run(s: &Server, c: &Case, dump: &[u8]) -> Result<String, String> {
    let (body, len) = (c.body)();
    let measured = reset_peak();
    let target = if c.sentry {
        format!("/api/default/minidump/?sentry_key={}", s.key)
    } else {
        format!("/submit?key={}", s.key)
    };
    let r = post(s.addr, &target, &c.headers, (c.framing)(len), body);
    let peak = peak_bytes().filter(|_| measured);
    let seen = format!(
        "{} {:?} in {:.2} s, client sent {} MB, peak RSS {}",
        r.status,
        r.text.chars().take(60).collect::<String>(),
        r.secs,
        r.sent >> 20,
        peak.map(|p| format!("{} MB", p >> 20))
            .unwrap_or_else(|| "not measured".into())
    );
    if (r.status, true) != (c.want.0, r.text.starts_with(c.want.1)) {
        return Err(format!("want {} {:?}, got {seen}", c.want.0, c.want.1));
    }
    if let Some(p) = peak.filter(|p| *p > MEMORY_LIMIT) {
        return Err(format!(
            "peak RSS {} MB over {} MB: {seen}",
            p >> 20,
            MEMORY_LIMIT >> 20
        ));
    }
    if let Some(check) = &c.check {
        check(s, &r).map_err(|e| format!("{e} ({seen})"))?;
    }
    normal_upload(s, dump).map_err(|e| format!("{e} ({seen})"))?;
    Ok(seen)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path().join("data"));
    let dump = reference_dump();
    normal_upload(&server, &dump).expect("a normal upload before any case");
    let filter = std::env::var("HOSTILE_FILTER").ok();
    let mut failed = Vec::new();
    let mut n = 0;
    for c in cases() {
        if filter.as_deref().is_some_and(|f| !c.name.contains(f)) {
            continue;
        }
        n += 1;
        match run(&server, &c, &dump) {
            Ok(seen) => println!("ok   {}: {seen}", c.name),
            Err(e) => {
                println!("FAIL {}: {e}", c.name);
                failed.push(c.name);
            }
        }
    }
    let left = walk(&server.data.join(coroner_server::INCOMING));
    if !left.is_empty() {
        println!("FAIL temporary upload files left behind: {left:?}");
        failed.push("incoming left empty");
    }
    println!("{n} hostile uploads, {} failed", failed.len());
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
