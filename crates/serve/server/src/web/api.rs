//! The JSON API (admin token or session): crashes, groups, stats, dump download.

use super::auth::{self, Who};
use super::{internal, not_found};
use crate::db::{CrashRow, GroupRow};
use crate::{blobs, Shared};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use coroner_report::time::rfc3339;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The caller, or the `401` to answer.
pub async fn require(s: &Shared, headers: &HeaderMap) -> Result<Who, Response> {
    auth::who(s, headers).await.ok_or_else(|| {
        let body =
            json!({ "error": "an admin token (Authorization: Bearer) or a login is required" });
        (StatusCode::UNAUTHORIZED, Json(body)).into_response()
    })
}

/// A stored time (Unix seconds) as RFC 3339, for the API and the pages.
pub(super) fn time(t: i64) -> String {
    rfc3339(t.max(0) as u64)
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A crash as the API shows it.
pub fn crash_json(c: &CrashRow) -> Value {
    json!({
        "id": c.id,
        "project": c.project,
        "status": c.status,
        "error": c.error,
        "bucket": c.bucket,
        "group_id": c.group_id,
        "received": time(c.received),
        "annotations": parse_json(&c.annotations),
        "attachments": parse_json(&c.attachments),
        "analysis": c.analysis.as_deref().map(parse_json),
        "attempts": c.attempts,
        "completions": c.completions,
        "reprocessed": c.reprocessed,
        "dump_available": !c.dump_deleted,
        "worker": c.worker,
    })
}

/// A group as the API shows it.
pub fn group_json(g: &GroupRow) -> Value {
    let facet = |name: &str| json!(g.facets.get(name).cloned().unwrap_or_default());
    json!({
        "id": g.id,
        "bucket": g.bucket,
        "count": g.count,
        "first_seen": time(g.first_seen),
        "last_seen": time(g.last_seen),
        "versions": facet("version"),
        "os": facet("os"),
        "modules": facet("module"),
        "vendors": facet("vendor"),
        "blame": g.blame,
        "signature": g.signature,
        "resolved_in": g.resolved_in,
        "reopened": g.reopened,
    })
}

fn uuid_of(id: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(id).ok()
}

/// `GET /api/crashes?status=queued|processing|done|failed[&limit=N]`: the most recent crashes
/// with that status (default limit 100, at most 1000).
pub async fn crashes(
    State(s): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    h: HeaderMap,
) -> Response {
    if let Err(r) = require(&s, &h).await {
        return r;
    }
    let status = q.get("status").map(String::as_str).unwrap_or("done");
    if !["queued", "processing", "done", "failed"].contains(&status) {
        let body = json!({ "error": "status must be queued, processing, done or failed" });
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    let limit = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(100i64);
    match s.db.crashes_by_status(status, limit.clamp(1, 1000)).await {
        Ok(rows) => {
            let crashes: Vec<Value> = rows.iter().map(crash_json).collect();
            Json(json!({ "crashes": crashes })).into_response()
        }
        Err(e) => internal("GET /api/crashes", e),
    }
}

/// `GET /api/crashes/<uuid>`.
pub async fn crash(State(s): State<Shared>, Path(id): Path<String>, h: HeaderMap) -> Response {
    if let Err(r) = require(&s, &h).await {
        return r;
    }
    let Some(uuid) = uuid_of(&id) else {
        return not_found("crash");
    };
    match s.db.crash(&uuid.to_string()).await {
        Ok(Some(c)) => Json(crash_json(&c)).into_response(),
        Ok(None) => not_found("crash"),
        Err(e) => internal("GET /api/crashes", e),
    }
}

/// `GET /api/crashes/<uuid>/dump` and `/crashes/<uuid>/dump`: the dump, to an admin only.
pub async fn dump(State(s): State<Shared>, Path(id): Path<String>, h: HeaderMap) -> Response {
    if let Err(r) = require(&s, &h).await {
        return r;
    }
    let Some(uuid) = uuid_of(&id) else {
        return not_found("crash");
    };
    let row = match s.db.crash(&uuid.to_string()).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found("crash"),
        Err(e) => return internal("dump download", e),
    };
    if row.dump_deleted {
        return (StatusCode::GONE, "the dump was deleted by retention\n").into_response();
    }
    match s.blobs.get(&blobs::dump_name(&uuid)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{uuid}.dmp\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => internal("dump download", e),
    }
}

/// `GET /api/groups`.
pub async fn groups(State(s): State<Shared>, h: HeaderMap) -> Response {
    if let Err(r) = require(&s, &h).await {
        return r;
    }
    match s.db.groups(1000).await {
        Ok(gs) => {
            let groups: Vec<Value> = gs.iter().map(group_json).collect();
            Json(json!({ "groups": groups })).into_response()
        }
        Err(e) => internal("GET /api/groups", e),
    }
}

/// `GET /api/groups/<id>`: the group, its days and its latest crashes.
pub async fn group(State(s): State<Shared>, Path(id): Path<i64>, h: HeaderMap) -> Response {
    if let Err(r) = require(&s, &h).await {
        return r;
    }
    let g = match s.db.group(id).await {
        Ok(Some(g)) => g,
        Ok(None) => return not_found("group"),
        Err(e) => return internal("GET /api/groups/<id>", e),
    };
    let days = match s.db.days("0000-00-00").await {
        Ok(d) => d,
        Err(e) => return internal("GET /api/groups/<id>", e),
    };
    let crashes = match s.db.group_crashes(id, 50).await {
        Ok(c) => c,
        Err(e) => return internal("GET /api/groups/<id>", e),
    };
    let mut v = group_json(&g);
    let per_day: serde_json::Map<String, Value> = days
        .into_iter()
        .filter(|d| d.0 == id)
        .map(|(_, day, n)| (day, json!(n)))
        .collect();
    v["days"] = Value::Object(per_day);
    v["crashes"] = json!(crashes
        .iter()
        .map(|c| json!({"id": c.id, "status": c.status, "received": time(c.received)}))
        .collect::<Vec<_>>());
    let (from, frames) = top_frames(&crashes);
    v["top_frames"] = json!(frames);
    v["top_frames_crash"] = json!(from);
    v["sample"] = json!(sample(&crashes));
    Json(v).into_response()
}

/// Frames shown for a group.
pub const TOP_FRAMES: usize = 10;
/// Crashes in a group's sample.
pub const SAMPLE: usize = 10;

/// The crashing thread's top frames of the group's latest analysed crash (its id, and the
/// frames as analyze's JSON has them: `display`, `module`, `function`, `offset`, …).
pub fn top_frames(crashes: &[CrashRow]) -> (Option<String>, Vec<Value>) {
    for c in crashes.iter().filter(|c| c.status == "done") {
        let a = c.analysis.as_deref().map(parse_json).unwrap_or(Value::Null);
        if let Some(frames) = a["frames"].as_array() {
            let top = frames.iter().take(TOP_FRAMES).cloned().collect();
            return (Some(c.id.clone()), top);
        }
    }
    (None, Vec::new())
}

/// The group's latest crashes with their version and where to see and download them.
pub fn sample(crashes: &[CrashRow]) -> Vec<Value> {
    crashes
        .iter()
        .take(SAMPLE)
        .map(|c| {
            let a = parse_json(&c.annotations);
            let version = ["ver", "Version", "version", "release"]
                .iter()
                .find_map(|k| a.get(*k)?.as_str().map(str::to_string));
            json!({
                "id": c.id,
                "status": c.status,
                "received": time(c.received),
                "version": version,
                "page": format!("/crashes/{}", c.id),
                "dump": (!c.dump_deleted).then(|| format!("/api/crashes/{}/dump", c.id)),
                "reprocessed": c.reprocessed,
            })
        })
        .collect()
}

/// `POST /api/groups/<id>/resolve` with `{"version": "1.2"}` (resolved in 1.2) or
/// `{"version": null}` (reopened).
pub async fn resolve(
    State(s): State<Shared>,
    Path(id): Path<i64>,
    h: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let who = match require(&s, &h).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let token = h.get("x-csrf-token").and_then(|v| v.to_str().ok());
    if !who.csrf_ok(token) {
        return (StatusCode::FORBIDDEN, "missing or wrong CSRF token\n").into_response();
    }
    let version = body
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_string);
    match s.db.resolve(id, version).await {
        Ok(true) => Json(json!({ "ok": true })).into_response(),
        Ok(false) => not_found("group"),
        Err(e) => internal("resolve", e),
    }
}

/// `GET /api/stats`: queue counts and the uploads dropped by throttling.
pub async fn stats(State(s): State<Shared>, h: HeaderMap) -> Response {
    if let Err(r) = require(&s, &h).await {
        return r;
    }
    match s.db.stats().await {
        Ok(st) => Json(st).into_response(),
        Err(e) => internal("GET /api/stats", e),
    }
}
