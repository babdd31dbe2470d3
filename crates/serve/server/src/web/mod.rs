//! HTTP: ingest (Breakpad/Crashpad, Sentry), the JSON API and the HTML pages.

mod api;
mod auth;
mod incidents;
mod ingest;
mod pages;
mod symbols;

use crate::Shared;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;

/// All routes.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/submit", post(ingest::submit))
        .route("/api/{project}/minidump/", post(ingest::sentry))
        .route("/api/{project}/minidump", post(ingest::sentry))
        .route("/api/crashes", get(api::crashes))
        .route("/api/crashes/{id}", get(api::crash))
        .route("/api/crashes/{id}/dump", get(api::dump))
        .route("/api/groups", get(api::groups))
        .route("/api/groups/{id}", get(api::group))
        .route("/api/groups/{id}/resolve", post(api::resolve))
        .route("/api/stats", get(api::stats))
        .route("/api/{project}/incidents", post(incidents::open))
        .route("/api/{project}/incidents/{id}/files", put(incidents::file))
        .route("/api/incidents", get(incidents::list_json))
        .route("/api/incidents/{id}", get(incidents::one_json))
        .route("/incidents", get(incidents::list_page))
        .route("/incidents/{id}", get(incidents::one_page))
        .route("/incidents/{id}/report", get(incidents::report_page))
        .route("/api/symbols", post(symbols::upload))
        .route("/", get(pages::index))
        .route("/groups/{id}", get(pages::group))
        .route("/groups/{id}/resolve", post(pages::resolve))
        .route("/crashes/{id}", get(pages::crash))
        .route("/crashes/{id}/dump", get(api::dump))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .with_state(shared)
}

/// A server-side failure: logged with what was asked, answered 500 without details.
fn internal(what: &str, e: impl std::fmt::Display) -> Response {
    log::error!("{what}: {e}");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("no such {what}\n")).into_response()
}
