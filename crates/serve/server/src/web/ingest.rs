//! `POST /submit?key=KEY` (Breakpad/Crashpad) and `POST /api/<project>/minidump/?sentry_key=KEY`.

use super::internal;
use crate::db::NewCrash;
use crate::ingest::{self, Reject, Upload};
use crate::{blobs, now, Shared};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::Digest;
use std::collections::HashMap;
use std::sync::atomic::Ordering;

type Params = Query<HashMap<String, String>>;

/// Breakpad/Crashpad: replies `CrashID=bp-<uuid>`.
pub async fn submit(State(s): State<Shared>, Query(q): Params, req: Request) -> Response {
    let Some(project) = q.get("key").and_then(|k| s.keys.get(k)).cloned() else {
        return unauthorized("/submit");
    };
    let ct = header_str(req.headers(), header::CONTENT_TYPE).unwrap_or_default();
    let up = match read(&s, req).await {
        Ok(body) => ingest::parse_multipart(body, &ct).await,
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
    let up = match read(&s, req).await {
        Ok(body) => ingest::parse_sentry(body, ct.as_deref()).await,
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

fn unauthorized(route: &str) -> Response {
    log::warn!("{route}: wrong or missing ingest key");
    (StatusCode::UNAUTHORIZED, "wrong or missing ingest key\n").into_response()
}

/// The body, bounded and with its `Content-Encoding` undone.
async fn read(s: &Shared, req: Request) -> Result<Bytes, Reject> {
    let max = s.config.max_body;
    let declared = header_str(req.headers(), header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    if declared.is_some_and(|n: u64| n > max as u64) {
        return Err(Reject::TooBig);
    }
    let encoding = header_str(req.headers(), header::CONTENT_ENCODING);
    let body = axum::body::to_bytes(req.into_body(), max)
        .await
        .map_err(|e| {
            if is_length_limit(&e) {
                Reject::TooBig
            } else {
                Reject::Bad("the body could not be read".into())
            }
        })?;
    ingest::decode_body(encoding.as_deref(), body, max)
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(x) = src {
        if x.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        src = x.source();
    }
    false
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
    up.dump = ingest::unpack_dump(std::mem::take(&mut up.dump), s.config.max_body)
        .map_err(|r| refuse(route, r))?;
    let sha = hex(&sha2::Sha256::digest(&up.dump));
    if idempotent {
        match s.db.find_sha(project, &sha).await {
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
    store(s, project, up, id, sha)
        .await
        .map_err(|e| internal(route, e))?;
    s.depth.fetch_add(1, Ordering::Relaxed);
    s.queued.notify_one();
    Ok(id)
}

fn refuse(route: &str, r: Reject) -> Response {
    match r {
        Reject::TooBig => {
            log::warn!("{route}: upload over the size limit");
            (StatusCode::PAYLOAD_TOO_LARGE, "Discarded=too large\n").into_response()
        }
        Reject::Bad(reason) => {
            log::warn!("{route}: discarded: {reason}");
            (StatusCode::BAD_REQUEST, format!("Discarded={reason}")).into_response()
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn store(
    s: &Shared,
    project: &str,
    up: Upload,
    id: uuid::Uuid,
    sha: String,
) -> Result<(), crate::ServeError> {
    let version = up.version();
    let size = up.dump.len() as i64;
    s.blobs.put(&blobs::dump_name(&id), up.dump).await?;
    let mut attachments = Vec::new();
    for (n, (field, file_name, data)) in up.attachments.into_iter().enumerate() {
        attachments.push(serde_json::json!({
            "field": field, "filename": file_name, "size": data.len(), "index": n,
        }));
        s.blobs.put(&blobs::attachment_name(&id, n), data).await?;
    }
    let crash = NewCrash {
        id: id.to_string(),
        project: project.to_string(),
        received: now(),
        annotations: serde_json::Value::Object(up.annotations).to_string(),
        attachments: serde_json::Value::Array(attachments).to_string(),
        size,
        sha256: sha,
        version,
    };
    s.db.insert(crash).await
}
