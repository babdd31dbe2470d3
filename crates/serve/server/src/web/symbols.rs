//! `POST /api/symbols` (admin token, or a session with its CSRF token in `X-CSRF-Token` or the
//! form's `csrf` field): a Breakpad `.sym`, a PDB, or a zip of a SymStore tree, as the raw body
//! or as the file part of a `multipart/form-data` form. What the file is and where it goes come
//! from its content, never from the client's file name.

use super::api::require;
use super::internal;
use crate::symbols::{self, Upload};
use crate::Shared;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::json;
use std::io::Write;

/// Why the body could not be taken (answered `400`/`413`).
enum Refused {
    Bad(String),
    TooBig(usize),
}

fn refused(r: Refused) -> Response {
    let (code, why) = match r {
        Refused::Bad(why) => (StatusCode::BAD_REQUEST, why),
        Refused::TooBig(max) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the symbol file is larger than {max} bytes"),
        ),
    };
    log::warn!("POST /api/symbols: {why}");
    (code, Json(json!({ "error": why }))).into_response()
}

/// Writes a stream of chunks to a new temporary file in `dir`, at most `max` bytes.
async fn spool<S, E>(
    mut chunks: S,
    dir: &std::path::Path,
    max: usize,
) -> Result<tempfile::TempPath, Refused>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut f = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Refused::Bad(format!("cannot store the upload: {e}")))?;
    let mut total = 0usize;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| Refused::Bad(format!("the body could not be read: {e}")))?;
        total += chunk.len();
        if total > max {
            return Err(Refused::TooBig(max));
        }
        f.write_all(&chunk)
            .map_err(|e| Refused::Bad(format!("cannot store the upload: {e}")))?;
    }
    if total == 0 {
        return Err(Refused::Bad(
            "empty body: send a .sym, a PDB or a zip".into(),
        ));
    }
    Ok(f.into_temp_path())
}

/// The body (or its form's file part) as a temporary file; a form's `csrf` field is returned.
async fn body_file(
    s: &Shared,
    req: Request,
) -> Result<(tempfile::TempPath, Option<String>), Refused> {
    let max = s.config.max_body;
    let dir = s.config.data.clone();
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let stream = req.into_body().into_data_stream();
    if !ct.starts_with("multipart/form-data") {
        return Ok((spool(stream, &dir, max).await?, None));
    }
    let boundary = multer::parse_boundary(&ct)
        .map_err(|_| Refused::Bad("multipart without boundary".into()))?;
    let mut form = multer::Multipart::new(stream, boundary);
    let mut csrf = None;
    let bad = |e: multer::Error| Refused::Bad(format!("malformed multipart: {e}"));
    for _ in 0..16 {
        let Some(field) = form.next_field().await.map_err(bad)? else {
            break;
        };
        if field.file_name().is_some() {
            return Ok((spool(field, &dir, max).await?, csrf));
        }
        if field.name() == Some("csrf") {
            let text = field.text().await.map_err(bad)?;
            csrf = Some(text.chars().take(200).collect());
        }
    }
    Err(Refused::Bad("no file part in the form".into()))
}

/// `POST /api/symbols`: stores the symbol files and answers what was stored and which crashes
/// were queued again: `{"stored": [{name, debug_id, kind, requeued: [ids]}]}`.
pub async fn upload(State(s): State<Shared>, req: Request) -> Response {
    let who = match require(&s, req.headers()).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let header_csrf = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (file, form_csrf) = match body_file(&s, req).await {
        Ok(x) => x,
        Err(r) => return refused(r),
    };
    if !who.csrf_ok(header_csrf.as_deref().or(form_csrf.as_deref())) {
        return (StatusCode::FORBIDDEN, "missing or wrong CSRF token\n").into_response();
    }
    match symbols::upload(&s, file).await {
        Ok(Upload::Stored(stored)) => Json(json!({ "stored": stored })).into_response(),
        Ok(Upload::Refused(why)) => refused(Refused::Bad(why.to_string())),
        Err(e) => internal("POST /api/symbols", e),
    }
}
