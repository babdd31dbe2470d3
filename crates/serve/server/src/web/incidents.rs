//! Incidents over HTTP. Ingest (the project's key, as `/submit`):
//! - `POST /api/<project>/incidents?key=KEY` with `{"set_sha", "host", "crashes": [ids]}` opens
//!   (or finds, by the SHA-256 of its file set) an incident: `{"id", "have": [sha256…]}`, the
//!   files already stored, so an interrupted upload resumes with the rest;
//! - `PUT /api/<project>/incidents/<id>/files?key=KEY&name=NAME` stores one file (gzip
//!   `Content-Encoding` undone), recognised by content: `{"sha256", "kind"}`, or
//!   `400 Discarded=<reason>` for a file `investigate` does not read.
//!
//! Admin: `GET /api/incidents`, `GET /api/incidents/<id>` (with the investigation), and the
//! pages `/incidents`, `/incidents/<id>` and `/incidents/<id>/report` (the self-contained
//! `investigate` HTML page, `?lang=ko` in Korean).

use super::api::{self, time};
use super::pages::{esc, page, who_or_login};
use super::{internal, not_found};
use crate::db::{IncidentFile, IncidentReport, IncidentRow};
use crate::ingest::{self, Reject};
use crate::{incidents, now, Shared};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use coroner_report::investigate::{self as inv, Format};
use coroner_report::phrase::Lang;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write;

type Params = Query<HashMap<String, String>>;

/// Crash ids an incident may name at most.
const MAX_CRASHES: usize = 10_000;

/// The body of `POST /api/<project>/incidents`.
#[derive(serde::Deserialize)]
pub struct Open {
    set_sha: String,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    crashes: Vec<String>,
}

fn discarded(route: &str, why: &str) -> Response {
    log::warn!("{route}: discarded: {why}");
    (StatusCode::BAD_REQUEST, format!("Discarded={why}\n")).into_response()
}

fn key_ok(s: &Shared, q: &HashMap<String, String>, project: &str) -> bool {
    let p = q.get("key").and_then(|k| s.keys.get(k));
    p.is_some_and(|p| p == project)
}

fn is_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `POST /api/<project>/incidents?key=KEY`.
pub async fn open(
    State(s): State<Shared>,
    Path(project): Path<String>,
    Query(q): Params,
    body: axum::body::Bytes,
) -> Response {
    const ROUTE: &str = "/api/<project>/incidents";
    if !key_ok(&s, &q, &project) {
        return super::ingest::unauthorized(ROUTE);
    }
    let Ok(o) = serde_json::from_slice::<Open>(&body) else {
        return discarded(ROUTE, "not an incident request (JSON with set_sha)");
    };
    if !is_sha(&o.set_sha) || o.crashes.len() > MAX_CRASHES {
        return discarded(ROUTE, "set_sha is not a SHA-256, or too many crashes");
    }
    let crashes = o
        .crashes
        .iter()
        .filter_map(|c| uuid::Uuid::parse_str(c).ok().map(|u| u.to_string()))
        .collect();
    let new = IncidentRow {
        id: uuid::Uuid::new_v4().to_string(),
        project,
        received: now(),
        host: o.host.map(|h| h.chars().take(255).collect()),
        crashes,
        ..IncidentRow::default()
    };
    let id = match s
        .db
        .open_incident(new, &o.set_sha.to_ascii_lowercase())
        .await
    {
        Ok(id) => id,
        Err(e) => return internal(ROUTE, e),
    };
    match s.db.incident(&id).await {
        Ok(Some(i)) => {
            let have: Vec<&str> = i.files.iter().map(|f| f.sha256.as_str()).collect();
            Json(json!({ "id": id, "have": have })).into_response()
        }
        Ok(None) => not_found("incident"),
        Err(e) => internal(ROUTE, e),
    }
}

/// `PUT /api/<project>/incidents/<id>/files?key=KEY&name=NAME`.
pub async fn file(
    State(s): State<Shared>,
    Path((project, id)): Path<(String, String)>,
    Query(q): Params,
    req: Request,
) -> Response {
    const ROUTE: &str = "/api/<project>/incidents/<id>/files";
    if !key_ok(&s, &q, &project) {
        return super::ingest::unauthorized(ROUTE);
    }
    match s.db.incident(&id).await {
        Ok(Some(i)) if i.project == project => {}
        Ok(_) => return not_found("incident"),
        Err(e) => return internal(ROUTE, e),
    }
    let (temp, size) = match body(&s, req).await {
        Ok(b) => b,
        Err(Reject::TooBig) => {
            log::warn!("{ROUTE}: file over the size limit");
            return (StatusCode::PAYLOAD_TOO_LARGE, "Discarded=too large\n").into_response();
        }
        Err(Reject::Bad(why)) => return discarded(ROUTE, &why),
        Err(Reject::Server(e)) => return internal(ROUTE, e),
    };
    let (kind, sha) = match identify(temp.to_path_buf()).await {
        Ok((Some(kind), sha)) => (kind, sha),
        Ok((None, _)) => {
            return discarded(
                ROUTE,
                "not an event log, IIS or HTTPERR log, IIS configuration or Report.wer",
            )
        }
        Err(e) => return internal(ROUTE, e),
    };
    let f = IncidentFile {
        key: incidents::file_name(&id, &sha, kind),
        name: q
            .get("name")
            .map(|n| n.chars().take(260).collect())
            .unwrap_or_default(),
        kind: kind.to_string(),
        size: size as i64,
        received: now(),
        sha256: sha.clone(),
    };
    if let Err(e) = s.blobs.put_file(&f.key, temp).await {
        return internal(ROUTE, e);
    }
    match s.db.add_incident_file(&id, f).await {
        Ok(()) => Json(json!({ "sha256": sha, "kind": kind })).into_response(),
        Err(e) => internal(ROUTE, e),
    }
}

/// What a stored file is (by its first 64 KiB) and its SHA-256, read on a blocking thread.
async fn identify(path: std::path::PathBuf) -> std::io::Result<(Option<&'static str>, String)> {
    tokio::task::spawn_blocking(move || {
        use sha2::Digest;
        use std::io::Read;
        let mut f = std::fs::File::open(&path)?;
        let mut head = Vec::new();
        (&mut f).take(64 << 10).read_to_end(&mut head)?;
        let mut hash = sha2::Sha256::new();
        hash.update(&head);
        std::io::copy(&mut f, &mut hash)?;
        Ok((
            incidents::kind_of(&head),
            crate::client::hex(&hash.finalize()),
        ))
    })
    .await
    .map_err(std::io::Error::other)?
}

/// A request body streamed to a temporary file under `DIR/incoming`, bounded, with its gzip
/// `Content-Encoding` undone; its size.
async fn body(s: &Shared, req: Request) -> Result<(tempfile::TempPath, u64), Reject> {
    let fault = ingest::Fault::default();
    let stream = super::ingest::read(s, req, &fault)?;
    let inc = super::ingest::incoming(s);
    ingest::save(stream, &inc, &fault, |_| {
        Reject::Bad("the body could not be read".into())
    })
    .await
}

fn summary_json(i: &IncidentRow) -> Value {
    json!({
        "id": i.id,
        "project": i.project,
        "host": i.host,
        "received": time(i.received),
        "file_count": i.file_count,
        "crashes": i.crashes,
        "investigated": i.report_current(),
    })
}

/// `GET /api/incidents`.
pub async fn list_json(State(s): State<Shared>, h: HeaderMap) -> Response {
    if let Err(r) = api::require(&s, &h).await {
        return r;
    }
    match s.db.incidents(200).await {
        Ok(list) => Json(json!({ "incidents": list.iter().map(summary_json).collect::<Vec<_>>() }))
            .into_response(),
        Err(e) => internal("GET /api/incidents", e),
    }
}

/// The incident with a current report, making the report when it is missing or stale.
async fn with_report(
    s: &Shared,
    id: &str,
) -> Result<Option<(IncidentRow, Result<(), String>)>, Response> {
    let mut i = match s.db.incident(id).await {
        Ok(Some(i)) => i,
        Ok(None) => return Ok(None),
        Err(e) => return Err(internal("incident", e)),
    };
    if i.report_current() {
        return Ok(Some((i, Ok(()))));
    }
    let investigation = match incidents::investigate(s, &i).await {
        Ok(v) => v,
        Err(why) => return Ok(Some((i, Err(why)))),
    };
    let r = IncidentReport {
        files: i.file_count,
        json: inv::render(&investigation, Format::Json, Lang::En),
        html: inv::render(&investigation, Format::Html, Lang::En),
        html_ko: inv::render(&investigation, Format::Html, Lang::Ko),
    };
    (i.report_json, i.report_html, i.report_html_ko) = (
        Some(r.json.clone()),
        Some(r.html.clone()),
        Some(r.html_ko.clone()),
    );
    i.report_files = r.files;
    if let Err(e) = s.db.set_incident_report(id, r).await {
        return Err(internal("incident report", e));
    }
    Ok(Some((i, Ok(()))))
}

/// `GET /api/incidents/<id>`: the incident, its files and the investigation.
pub async fn one_json(State(s): State<Shared>, Path(id): Path<String>, h: HeaderMap) -> Response {
    if let Err(r) = api::require(&s, &h).await {
        return r;
    }
    let (i, made) = match with_report(&s, &id).await {
        Ok(Some(x)) => x,
        Ok(None) => return not_found("incident"),
        Err(r) => return r,
    };
    let mut v = summary_json(&i);
    v["files"] = json!(i.files);
    v["investigation"] = i
        .report_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or(Value::Null);
    v["error"] = json!(made.err());
    Json(v).into_response()
}

/// `GET /incidents`.
pub async fn list_page(State(s): State<Shared>, h: HeaderMap) -> Response {
    let who = match who_or_login(&s, &h).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let list = match s.db.incidents(200).await {
        Ok(l) => l,
        Err(e) => return internal("GET /incidents", e),
    };
    let mut body = String::from(
        "<table><tr><th>Received</th><th>Host</th><th>Files</th><th>Dumps</th><th></th></tr>",
    );
    for i in &list {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/incidents/{}\">open</a></td></tr>",
            time(i.received),
            esc(i.host.as_deref().unwrap_or("–")),
            i.file_count,
            i.crashes.len(),
            esc(&i.id)
        );
    }
    body.push_str("</table>");
    page("Incidents", Some(&who), &body)
}

/// `GET /incidents/<id>`: what was sent, and the way to the report.
pub async fn one_page(State(s): State<Shared>, Path(id): Path<String>, h: HeaderMap) -> Response {
    let who = match who_or_login(&s, &h).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let (i, made) = match with_report(&s, &id).await {
        Ok(Some(x)) => x,
        Ok(None) => return not_found("incident"),
        Err(r) => return r,
    };
    let mut body = format!(
        "<p>From {} at {}.</p>",
        esc(i.host.as_deref().unwrap_or("an unnamed host")),
        time(i.received)
    );
    match made {
        Ok(()) => {
            let _ = write!(
                body,
                "<p><a href=\"/incidents/{0}/report\">Investigation report</a> · \
                 <a href=\"/incidents/{0}/report?lang=ko\">보고서 (한국어)</a></p>",
                esc(&i.id)
            );
        }
        Err(why) => {
            let _ = write!(body, "<p>No report: {}.</p>", esc(&why));
        }
    }
    body.push_str(
        "<h2>Files</h2><table><tr><th>Sent as</th><th>Kind</th><th>Bytes</th><th>SHA-256</th></tr>",
    );
    for f in &i.files {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&f.name),
            esc(&f.kind),
            f.size,
            esc(&f.sha256)
        );
    }
    body.push_str("</table><h2>Dumps sent with it</h2><ul>");
    for c in &i.crashes {
        let _ = write!(body, "<li><a href=\"/crashes/{0}\">{0}</a></li>", esc(c));
    }
    body.push_str("</ul>");
    page("Incident", Some(&who), &body)
}

/// `GET /incidents/<id>/report[?lang=ko]`: `investigate`'s self-contained HTML page.
pub async fn report_page(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Query(q): Params,
    h: HeaderMap,
) -> Response {
    if let Err(r) = who_or_login(&s, &h).await {
        return r;
    }
    let (i, made) = match with_report(&s, &id).await {
        Ok(Some(x)) => x,
        Ok(None) => return not_found("incident"),
        Err(r) => return r,
    };
    let html = match q.get("lang").map(String::as_str) {
        Some("ko") => i.report_html_ko,
        _ => i.report_html,
    };
    match (made, html) {
        // Written by coroner's HTML renderer, which escapes every text it takes from the files.
        (Ok(()), Some(h)) => Html(h).into_response(),
        (Err(why), _) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("no report: {why}\n"),
        )
            .into_response(),
        (Ok(()), None) => not_found("report"),
    }
}
