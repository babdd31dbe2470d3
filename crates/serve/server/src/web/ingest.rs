//! `POST /submit?key=KEY` (Breakpad/Crashpad) and `POST /api/<project>/minidump/?sentry_key=KEY`.

use super::internal;
use crate::db::NewCrash;
use crate::ingest::{self, Fault, Incoming, Reject, Upload};
use crate::{blobs, now, Shared, INCOMING};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

type Params = Query<HashMap<String, String>>;

/// Breakpad/Crashpad: replies `CrashID=bp-<uuid>`.
pub async fn submit(State(s): State<Shared>, Query(q): Params, req: Request) -> Response {
    let Some(project) = q.get("key").and_then(|k| s.keys.get(k)).cloned() else {
        return unauthorized("/submit");
    };
    let ct = header_str(req.headers(), header::CONTENT_TYPE).unwrap_or_default();
    let (inc, fault) = (incoming(&s), Fault::default());
    let up = match read(&s, req, &fault) {
        Ok(body) => ingest::parse_multipart(body, &ct, &inc, &fault).await,
        Err(r) => Err(r),
    };
    match accept(&s, &project, up, "/submit", q.contains_key("idempotent")).await {
        Ok(id) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("CrashID=bp-{id}"),
        )
            .into_response(),
        Err(r) => r,
    }
}

/// Sentry-style: replies `{"id": "<uuid>"}`.
pub async fn sentry(
    State(s): State<Shared>,
    Path(project): Path<String>,
    Query(q): Params,
    req: Request,
) -> Response {
    let key_project = q.get("sentry_key").and_then(|k| s.keys.get(k)).cloned();
    if key_project.as_deref() != Some(project.as_str()) {
        return unauthorized("/api/<project>/minidump/");
    }
    let ct = header_str(req.headers(), header::CONTENT_TYPE);
    let (inc, fault) = (incoming(&s), Fault::default());
    let up = match read(&s, req, &fault) {
        Ok(body) => ingest::parse_sentry(body, ct.as_deref(), &inc, &fault).await,
        Err(r) => Err(r),
    };
    match accept(&s, &project, up, "/api/<project>/minidump/", false).await {
        Ok(id) => axum::Json(serde_json::json!({ "id": id.to_string() })).into_response(),
        Err(r) => r,
    }
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)?.to_str().ok().map(str::to_string)
}

pub(super) fn unauthorized(route: &str) -> Response {
    log::warn!("{route}: wrong or missing ingest key");
    (StatusCode::UNAUTHORIZED, "wrong or missing ingest key\n").into_response()
}

/// Where this server's uploads are written while they stream in.
pub(super) fn incoming(s: &Shared) -> Incoming {
    Incoming {
        dir: s.config.data.join(INCOMING),
        max: s.config.max_body as u64,
    }
}

/// The body as a bounded stream with its `Content-Encoding` undone; a declared length over
/// the limit is refused before anything is read.
pub(super) fn read(s: &Shared, req: Request, fault: &Fault) -> Result<ingest::Body, Reject> {
    let max = s.config.max_body as u64;
    let declared = header_str(req.headers(), header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    if declared.is_some_and(|n: u64| n > max) {
        return Err(Reject::TooBig);
    }
    let encoding = header_str(req.headers(), header::CONTENT_ENCODING);
    let body = req.into_body().into_data_stream();
    ingest::decode_body(encoding.as_deref(), body, max, fault)
}

/// Stores an upload and queues it; the reply for a refused one.
async fn accept(
    s: &Shared,
    project: &str,
    up: Result<Upload, Reject>,
    route: &str,
    idempotent: bool,
) -> Result<uuid::Uuid, Response> {
    let mut up = up.map_err(|r| refuse(route, r))?;
    let dump = up
        .dump
        .take()
        .ok_or_else(|| refuse(route, Reject::Bad("no dump".into())))?;
    let inc = incoming(s);
    let dump = tokio::task::spawn_blocking(move || ingest::unpack_dump(dump, &inc))
        .await
        .map_err(|e| internal(route, e))?
        .map_err(|r| refuse(route, r))?;
    if idempotent {
        match s.db.find_sha(project, &dump.sha256).await {
            Ok(Some(id)) => return uuid::Uuid::parse_str(&id).map_err(|e| internal(route, e)),
            Ok(None) => {}
            Err(e) => return Err(internal(route, e)),
        }
    }
    let id = uuid::Uuid::new_v4();
    if s.depth.load(Ordering::Relaxed) >= s.config.max_queued {
        // Never 429: clients would retry forever. Accept, drop, count.
        log::warn!("{route}: queue full, upload {id} accepted and dropped");
        let _ = s.db.add_counter("dropped", 1).await;
        return Ok(id);
    }
    store(s, project, up, dump, id)
        .await
        .map_err(|e| internal(route, e))?;
    s.depth.fetch_add(1, Ordering::Relaxed);
    s.queued.notify_one();
    Ok(id)
}

/// The reply to a refused upload; the connection is closed after it, so that the rest of a
/// body the server stopped reading is never read.
fn refuse(route: &str, r: Reject) -> Response {
    let close = [(header::CONNECTION, "close")];
    match r {
        Reject::TooBig => {
            log::warn!("{route}: upload over the size limit");
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                close,
                "Discarded=too large\n",
            )
                .into_response()
        }
        Reject::Bad(reason) => {
            log::warn!("{route}: discarded: {reason}");
            (
                StatusCode::BAD_REQUEST,
                close,
                format!("Discarded={reason}"),
            )
                .into_response()
        }
        Reject::Server(e) => {
            let mut reply = internal(route, e);
            let close = header::HeaderValue::from_static("close");
            reply.headers_mut().insert(header::CONNECTION, close);
            reply
        }
    }
}

async fn store(
    s: &Shared,
    project: &str,
    up: Upload,
    dump: ingest::Dump,
    id: uuid::Uuid,
) -> Result<(), crate::ServeError> {
    let version = up.version();
    s.blobs.put_file(&blobs::dump_name(&id), dump.file).await?;
    let mut attachments = Vec::new();
    for (n, (field, file_name, file, size)) in up.attachments.into_iter().enumerate() {
        attachments.push(serde_json::json!({
            "field": field, "filename": file_name, "size": size, "index": n,
        }));
        s.blobs
            .put_file(&blobs::attachment_name(&id, n), file)
            .await?;
    }
    let crash = NewCrash {
        id: id.to_string(),
        project: project.to_string(),
        received: now(),
        annotations: serde_json::Value::Object(up.annotations).to_string(),
        attachments: serde_json::Value::Array(attachments).to_string(),
        size: dump.size as i64,
        sha256: dump.sha256,
        version,
    };
    s.db.insert(crash).await
}
