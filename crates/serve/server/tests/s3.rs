//! `--store s3://bucket/prefix` against an S3-compatible endpoint on 127.0.0.1: a minimal
//! path-style S3 server in this test (PUT, GET, HEAD, DELETE, ListObjectsV2; requests must be
//! signed with AWS SigV4 headers, whose signature it does not check), so that no network or
//! outside service is needed. A Crashpad upload is stored as an object, the worker analyses it
//! from the bucket, the admin downloads it, and retention deletes it.
//!
//! Run with `cargo test -p coroner-server --features s3`.
#![cfg(feature = "s3")]

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use common::*;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bucket's objects by key, and every request seen (method and path).
#[derive(Clone, Default)]
struct Bucket {
    objects: Arc<Mutex<BTreeMap<String, Bytes>>>,
    log: Arc<Mutex<Vec<String>>>,
}

const BUCKET: &str = "crashes";

fn etag(data: &[u8]) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(data);
    format!(
        "\"{}\"",
        h[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

fn error(code: StatusCode, s3_code: &str) -> Response {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{s3_code}</Code><Message>{s3_code}</Message></Error>");
    (code, [("content-type", "application/xml")], body).into_response()
}

/// ListObjectsV2 (`GET /bucket?list-type=2&prefix=…`), one page.
fn list(b: &Bucket, query: &str) -> Response {
    let prefix = query
        .split('&')
        .find_map(|p| p.strip_prefix("prefix="))
        .map(|p| p.replace("%2F", "/"))
        .unwrap_or_default();
    let objects = b.objects.lock().unwrap();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>{BUCKET}</Name>\
         <Prefix>{prefix}</Prefix><IsTruncated>false</IsTruncated>"
    );
    let keys: Vec<_> = objects
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .collect();
    xml.push_str(&format!("<KeyCount>{}</KeyCount>", keys.len()));
    for (k, v) in keys {
        xml.push_str(&format!(
            "<Contents><Key>{k}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>\
             <ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            etag(v),
            v.len()
        ));
    }
    xml.push_str("</ListBucketResult>");
    ([("content-type", "application/xml")], xml).into_response()
}

/// One request to the bucket: the object's key is the path after `/crashes/`.
async fn s3(
    axum::extract::State(b): axum::extract::State<Bucket>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    b.log
        .lock()
        .unwrap()
        .push(format!("{method} {}", uri.path()));
    let signed = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 Credential=test/"))
        && headers.contains_key("x-amz-date")
        && headers.contains_key("x-amz-content-sha256");
    if !signed {
        return error(StatusCode::FORBIDDEN, "AccessDenied");
    }
    let path = uri.path().trim_start_matches('/');
    let Some(rest) = path.strip_prefix(BUCKET) else {
        return error(StatusCode::NOT_FOUND, "NoSuchBucket");
    };
    let key = rest.trim_start_matches('/').replace("%2F", "/");
    if key.is_empty() && method == Method::GET {
        return list(&b, uri.query().unwrap_or(""));
    }
    let lm = ("last-modified", "Thu, 01 Jan 2026 00:00:00 GMT");
    match method {
        Method::PUT => {
            let tag = etag(&body);
            b.objects.lock().unwrap().insert(key, body);
            ([("etag", tag)], "").into_response()
        }
        Method::GET | Method::HEAD => match b.objects.lock().unwrap().get(&key).cloned() {
            // For HEAD the server sends the headers (Content-Length included) and no body.
            Some(data) => {
                let headers = [
                    ("etag", etag(&data)),
                    (lm.0, lm.1.to_string()),
                    ("content-type", "application/octet-stream".into()),
                ];
                (headers, data).into_response()
            }
            None => error(StatusCode::NOT_FOUND, "NoSuchKey"),
        },
        Method::DELETE => {
            b.objects.lock().unwrap().remove(&key);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
    }
}

/// Starts the S3 server on 127.0.0.1 on an ephemeral port, in `rt`.
fn start_s3(rt: &tokio::runtime::Runtime) -> (std::net::SocketAddr, Bucket) {
    let bucket = Bucket::default();
    let app = axum::Router::new()
        .fallback(s3)
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20))
        .with_state(bucket.clone());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move { axum::serve(listener, app).await });
    (addr, bucket)
}

/// The only test of this binary (it sets the environment the server's S3 client reads).
#[test]
fn dumps_go_to_an_s3_bucket_are_analysed_from_it_downloaded_and_deleted() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (addr, bucket) = start_s3(&rt);
    the_test_bucket_speaks_s3_to_object_store(&rt, addr);
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "secret".to_string()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_string()),
        ("AWS_ENDPOINT", format!("http://{addr}")),
        ("AWS_ALLOW_HTTP", "true".to_string()),
    ] {
        std::env::set_var(k, v);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut config = coroner_server::Config::embedded(dir.path().join("data"));
    config.store = Some(format!("s3://{BUCKET}/fleet/a"));
    let s = start(config);

    let dump = std::fs::read(reference_dump(1)).unwrap();
    let id = crash_id(&crashpad_upload(s.addr, &s.key, &dump, &[("ver", "2.0")]));
    let key = format!("fleet/a/dumps/{id}.dmp");
    assert_eq!(
        bucket.objects.lock().unwrap().get(&key).map(|b| b.to_vec()),
        Some(dump.clone()),
        "the dump is an object under the prefix"
    );
    assert!(!s.data.join("store").exists(), "no local dump store");

    // The worker reads the dump from the bucket.
    let c = wait_done(&s, &id, Duration::from_secs(120));
    assert_eq!(c["status"], "done", "{c}");
    assert!(c["bucket"].as_str().unwrap().contains("ABCUpload4"), "{c}");
    let page = get(&s, &format!("/crashes/{id}")).text();
    assert!(page.contains("<section class=\"dump\">"), "{page}");

    let d = get(&s, &format!("/api/crashes/{id}/dump"));
    assert_eq!((d.status, d.body == dump), (200, true));

    // Retention deletes the object; the count stays.
    std::thread::sleep(Duration::from_millis(1100));
    let shared = s.shared.clone().unwrap();
    let rt2 = s.rt.as_ref().unwrap();
    let n = rt2
        .block_on(coroner_server::worker::retention(&shared, 0))
        .unwrap();
    assert_eq!(n, 1);
    assert!(!bucket.objects.lock().unwrap().contains_key(&key));
    assert_eq!(get(&s, &format!("/api/crashes/{id}/dump")).status, 410);
    assert_eq!(get(&s, "/api/groups").json()["groups"][0]["count"], 1);

    symbols_reach_the_fleet_through_the_bucket(&s, &bucket, &dir);

    let log = bucket.log.lock().unwrap().clone();
    for op in ["PUT", "GET", "DELETE"] {
        let want = format!("{op} /{BUCKET}/{key}");
        assert!(log.contains(&want), "{want} not in {log:?}");
    }
}

/// The test server answers what an S3 client puts, heads, lists, gets and deletes, through
/// `object_store` itself.
fn the_test_bucket_speaks_s3_to_object_store(
    rt: &tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
) {
    use object_store::ObjectStore;
    let store = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_region("us-east-1")
        .with_access_key_id("test")
        .with_secret_access_key("secret")
        .with_endpoint(format!("http://{addr}"))
        .with_allow_http(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let p = object_store::path::Path::from("x/one.dmp");
        store
            .put(&p, Bytes::from_static(b"MDMP").into())
            .await
            .unwrap();
        assert_eq!(store.head(&p).await.unwrap().size, 4);
        let listed: Vec<_> = futures_util::StreamExt::collect::<Vec<_>>(
            store.list(Some(&object_store::path::Path::from("x"))),
        )
        .await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].as_ref().unwrap().location, p);
        store.delete(&p).await.unwrap();
        assert!(matches!(
            store.get(&p).await,
            Err(object_store::Error::NotFound { .. })
        ));
    });
}

/// An uploaded symbol file is put in the bucket too; another process of the fleet (its own
/// data folder) copies it from there into its symbol folder.
fn symbols_reach_the_fleet_through_the_bucket(
    s: &Server,
    bucket: &Bucket,
    dir: &tempfile::TempDir,
) {
    let pdb_path = root().join("fixtures/lab/msvc-x64/msvcx64.pdb");
    let pdb = std::fs::read(&pdb_path).unwrap();
    let id = coroner_symbols::ModuleSymbols::open(&pdb_path, None)
        .unwrap()
        .debug_id()
        .to_string();
    let tree = {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let name = format!("msvcx64.pdb/{id}/msvcx64.pdb");
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&pdb).unwrap();
        z.finish().unwrap().into_inner()
    };
    let headers = [("Authorization", format!("Bearer {}", s.token))];
    let r = request(s.addr, "POST", "/api/symbols", &headers, &tree, false);
    assert_eq!(r.status, 200, "{}", r.text());
    let key = format!("fleet/a/symbols/msvcx64.pdb/{id}/msvcx64.pdb");
    assert_eq!(
        bucket.objects.lock().unwrap().get(&key).map(|b| b.len()),
        Some(pdb.len())
    );

    let mut other = coroner_server::Config::embedded(dir.path().join("other"));
    other.store = s.shared.as_ref().unwrap().config.store.clone();
    let rt = s.rt.as_ref().unwrap();
    let (shared, _) = rt.block_on(coroner_server::open(other)).unwrap();
    let copied = rt.block_on(coroner_server::symbols::sync(&shared)).unwrap();
    assert_eq!(copied, 1);
    let local = dir
        .path()
        .join(format!("other/symbols/msvcx64.pdb/{id}/msvcx64.pdb"));
    assert_eq!(std::fs::read(local).unwrap(), pdb);
    assert_eq!(
        rt.block_on(coroner_server::symbols::sync(&shared)).unwrap(),
        0
    );
}
