//! Symbol server downloads against a tiny HTTP server in the test.
#![cfg(feature = "http")]

mod common;
use common::corpus;
use coroner_symbols::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server {
    url: String,
    requests: Arc<AtomicUsize>,
    paths: Arc<Mutex<Vec<String>>>,
}

/// Serves `files` (path → body) over HTTP/1.1; anything else is a 404.
fn serve(files: HashMap<String, Vec<u8>>) -> Server {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/symbols", l.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let paths = Arc::new(Mutex::new(Vec::new()));
    let (r2, p2) = (requests.clone(), paths.clone());
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut rd = BufReader::new(s.try_clone().unwrap());
            let mut first = String::new();
            if rd.read_line(&mut first).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if rd.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            r2.fetch_add(1, Ordering::SeqCst);
            let path = first.split(' ').nth(1).unwrap_or("").to_string();
            p2.lock().unwrap().push(path.clone());
            let (status, body) = match files.get(path.trim_start_matches("/symbols/")) {
                Some(b) => ("200 OK", b.clone()),
                None => ("404 Not Found", b"not here".to_vec()),
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(&body);
        }
    });
    Server {
        url,
        requests,
        paths,
    }
}

fn opts(cache: &std::path::Path) -> Options {
    Options {
        cache_dir: Some(cache.to_path_buf()),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        ..Options::default()
    }
}

const ID: &str = "5A9832E5287241C1838ED98914E9B7FF1";

fn test_app() -> ModuleId {
    ModuleId {
        code_file: "test_app.exe".into(),
        debug_file: Some("test_app.pdb".into()),
        debug_id: Some(ID.into()),
        timestamp: 0x45D35F6C,
        image_size: 0x2D000,
    }
}

#[test]
fn download_once_then_cache_then_404() {
    let Some(sym) = corpus(&format!("breakpad/symbols/test_app.pdb/{ID}/test_app.sym")) else {
        return;
    };
    let mut files = HashMap::new();
    files.insert(
        format!("test_app.pdb/{ID}/test_app.sym"),
        std::fs::read(&sym).unwrap(),
    );
    let srv = serve(files);
    let cache = tempfile::tempdir().unwrap();
    let dl = cache.path().join("store");
    let path = SymbolPath::parse(&format!("srv*{}*{}", dl.display(), srv.url));

    // First run: .pdb and .pd_ are 404s, the .sym downloads into the srv* cache.
    let syms = Symbols::new(
        path.clone(),
        Options {
            use_parsed_cache: false,
            ..opts(cache.path())
        },
    );
    let ms = syms.load(&test_app()).unwrap().expect("downloaded");
    assert_eq!(ms.lookup(0x429e).unwrap().line, Some(58));
    assert!(dl.join(format!("test_app.pdb/{ID}/test_app.sym")).is_file());
    assert_eq!(
        srv.requests.load(Ordering::SeqCst),
        3,
        "{:?}",
        srv.paths.lock().unwrap()
    );
    assert_eq!(syms.requests(), 3);

    // Second run: found in the downstream store, no request.
    let syms = Symbols::new(
        path.clone(),
        Options {
            use_parsed_cache: false,
            ..opts(cache.path())
        },
    );
    assert!(syms.load(&test_app()).unwrap().is_some());
    assert_eq!(srv.requests.load(Ordering::SeqCst), 3);

    // A module the server does not have: 404s, remembered for the session.
    let mut other = test_app();
    other.debug_id = Some("00000000000000000000000000000001A".into());
    let syms = Symbols::new(path, opts(cache.path()));
    assert!(syms.load(&other).unwrap().is_none());
    let after_first = srv.requests.load(Ordering::SeqCst);
    assert_eq!(after_first, 6);
    let looked = syms.searched()[0].1.join("\n");
    assert!(looked.contains("not found"), "{looked}");
    // Same file wanted under another module record: no new request.
    let mut again = other.clone();
    again.code_file = "other_name.exe".into();
    assert!(syms.load(&again).unwrap().is_none());
    assert_eq!(srv.requests.load(Ordering::SeqCst), after_first);
}

#[test]
fn default_download_cache_and_offline() {
    let Some(sym) = corpus(&format!("breakpad/symbols/test_app.pdb/{ID}/test_app.sym")) else {
        return;
    };
    let mut files = HashMap::new();
    files.insert(
        format!("test_app.pdb/{ID}/test_app.sym"),
        std::fs::read(&sym).unwrap(),
    );
    let srv = serve(files);
    let cache = tempfile::tempdir().unwrap();
    let path = SymbolPath::parse(&format!("srv*{}", srv.url));
    let off = Options {
        allow_network: false,
        ..opts(cache.path())
    };
    assert!(Symbols::new(path.clone(), off)
        .load(&test_app())
        .unwrap()
        .is_none());
    assert_eq!(srv.requests.load(Ordering::SeqCst), 0);
    let syms = Symbols::new(path, opts(cache.path()));
    assert!(syms.load(&test_app()).unwrap().is_some());
    assert!(cache
        .path()
        .join(format!("downloads/test_app.pdb/{ID}/test_app.sym"))
        .is_file());
}

#[test]
fn stalled_server_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/s", l.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let a2 = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming() {
            a2.fetch_add(1, Ordering::SeqCst);
            held.push(s); // accept, never answer
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let o = Options {
        request_timeout: Duration::from_millis(500),
        ..opts(cache.path())
    };
    let syms = Symbols::new(SymbolPath::parse(&format!("srv*{url}")), o);
    let t = Instant::now();
    assert!(syms.load(&test_app()).unwrap().is_none());
    let took = t.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // Given up after the first stall: the server is not asked again this session.
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let looked = syms.searched()[0].1.join("\n");
    assert!(looked.contains("not asking"), "{looked}");
    let mut other = test_app();
    other.code_file = "x.exe".into();
    other.debug_file = Some("x.pdb".into());
    assert!(syms.load(&other).unwrap().is_none());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

/// Without a debug id, a Tecken-style server is asked by code file and code id
/// (`app.exe/5AB380779000/app.sym`), and the answer is checked against INFO CODE_ID.
#[test]
fn server_asked_by_code_id_when_the_dump_has_no_debug_id() {
    let sym = b"MODULE windows x86_64 22222222222222222222222222222222B app.pdb\n\
INFO CODE_ID 5AB380779000 app.exe\nFUNC 1000 20 0 from_server\n"
        .to_vec();
    let srv = serve(HashMap::from([(
        "app.exe/5AB380779000/app.sym".to_string(),
        sym,
    )]));
    let cache = tempfile::tempdir().unwrap();
    let path = SymbolPath::parse(&format!("srv*{}*{}", cache.path().display(), srv.url));
    let syms = Symbols::new(path, opts(cache.path()));
    let m = ModuleId {
        code_file: "C:\\app\\app.exe".into(),
        debug_file: None,
        debug_id: None,
        timestamp: 0x5AB38077,
        image_size: 0x9000,
    };
    let ms = syms.load(&m).unwrap().expect("fetched by code id");
    assert_eq!(ms.matched, Match::CodeId);
    assert_eq!(ms.lookup(0x1004).unwrap().function, "from_server");
    assert_eq!(
        srv.paths.lock().unwrap().as_slice(),
        ["/symbols/app.exe/5AB380779000/app.sym"]
    );
}
