//! Server-rendered HTML (no scripts): the group list, a group with its crashes-per-day chart,
//! a crash with its report and dump, the login. Every text from a crash is escaped.

use super::api::time;
use super::auth::{self, Who, COOKIE, SESSION_SECS};
use super::{internal, not_found};
use crate::db::{CrashRow, GroupRow};
use crate::worker::day;
use crate::{now, Shared};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn page(title: &str, who: Option<&Who>, body: &str) -> Response {
    let logout = match who {
        Some(w @ Who::Session { .. }) => format!(
            "<form method=post action=/logout class=inline><input type=hidden name=csrf value=\"{}\">\
             <button>Log out</button></form>",
            esc(w.csrf())
        ),
        _ => String::new(),
    };
    let html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{} — coroner</title>\
         <style>body{{font:14px system-ui,sans-serif;margin:1.5em;color:#222}}\
         table{{border-collapse:collapse}}td,th{{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}\
         pre{{background:#f6f6f6;padding:1em;overflow:auto}}.inline{{display:inline}}.up{{color:#b00}}.down{{color:#070}}\
         nav{{margin-bottom:1em}}</style></head><body><nav><a href=\"/\">Top crashers</a> · <a href=\"/incidents\">Incidents</a> {logout}</nav>\
         <h1>{}</h1>{body}</body></html>",
        esc(title),
        esc(title)
    );
    Html(html).into_response()
}

pub(super) async fn who_or_login(s: &Shared, h: &HeaderMap) -> Result<Who, Response> {
    auth::who(s, h)
        .await
        .ok_or_else(|| Redirect::to("/login").into_response())
}

/// Crashes of a group in [from, to) from per-day counts.
fn sum_days(days: &[(i64, String, i64)], gid: i64, from: &str, to: &str) -> i64 {
    days.iter()
        .filter(|(g, d, _)| *g == gid && d.as_str() >= from && d.as_str() < to)
        .map(|x| x.2)
        .sum()
}

fn change(now: i64, before: i64) -> String {
    match (now, before) {
        (0, 0) => "–".into(),
        (n, 0) => format!("<span class=up>new ({n})</span>"),
        (n, b) => {
            let pct = (n - b) * 100 / b;
            let class = if pct > 0 { "up" } else { "down" };
            format!("<span class={class}>{pct:+}%</span>")
        }
    }
}

fn versions(g: &GroupRow) -> String {
    let v = g.facets.get("version").cloned().unwrap_or_default();
    let list: Vec<String> = v.iter().map(|(k, n)| format!("{} ({n})", esc(k))).collect();
    list.join(", ")
}

/// `/`: top crashers — rank, count, change over the last 7 days against the 7 before.
pub async fn index(State(s): State<Shared>, h: HeaderMap) -> Response {
    let who = match who_or_login(&s, &h).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let t = now();
    let (today, week, fortnight) = (day(t + 86_400), day(t - 6 * 86_400), day(t - 13 * 86_400));
    let (groups, days, stats) =
        match tokio::try_join!(s.db.groups(200), s.db.days(&fortnight), s.db.stats()) {
            Ok(x) => x,
            Err(e) => return internal("GET /", e),
        };
    let mut body = format!(
        "<p>{} queued, {} processing, {} analysed, {} failed, {} dropped by throttling.</p>\
         <table><tr><th>#</th><th>Count</th><th>Last 7 days</th><th>Change</th><th>Signature</th>\
         <th>Bucket</th><th>Versions</th><th>First seen</th><th>State</th></tr>",
        stats.queued, stats.processing, stats.done, stats.failed, stats.dropped
    );
    for (rank, g) in groups.iter().enumerate() {
        let recent = sum_days(&days, g.id, &week, &today);
        let before = sum_days(&days, g.id, &fortnight, &week);
        let state = match (&g.resolved_in, g.reopened) {
            (Some(v), _) => format!("resolved in {}", esc(v)),
            (None, true) => "reopened".into(),
            _ => "open".into(),
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{recent}</td><td>{}</td><td><a href=\"/groups/{}\">{}</a></td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{state}</td></tr>",
            rank + 1, g.count, change(recent, before), g.id, esc(&g.signature),
            esc(&g.bucket), versions(g), time(g.first_seen)
        );
    }
    body.push_str("</table>");
    page("Top crashers", Some(&who), &body)
}

/// An SVG bar chart of crashes per day over the last 30 days.
fn chart(per_day: &BTreeMap<String, i64>, t: i64) -> String {
    let days: Vec<String> = (0..30).rev().map(|i| day(t - i * 86_400)).collect();
    let max = days
        .iter()
        .filter_map(|d| per_day.get(d))
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let (w, h) = (20, 120);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=img \
         aria-label=\"crashes per day, last 30 days\">",
        days.len() * w,
        h + 20
    );
    for (i, d) in days.iter().enumerate() {
        let n = per_day.get(d).copied().unwrap_or(0);
        let bh = (n * h as i64 / max) as usize;
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{bh}\" fill=\"#c33\"><title>{d}: {n}</title></rect>",
            i * w + 2,
            h - bh,
            w - 4
        );
    }
    let _ = write!(
        svg,
        "<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" \
         text-anchor=\"end\">{}</text></svg>",
        h + 15, days[0], days.len() * w, h + 15, days[days.len() - 1]
    );
    svg
}

/// One table per facet (version, OS, blamed module, vendor), most crashes first, with shares.
fn facet_table(g: &GroupRow) -> String {
    let mut out = String::new();
    for (facet, title) in [
        ("version", "Versions"),
        ("os", "Operating systems"),
        ("module", "Blamed modules"),
        ("vendor", "Vendors"),
    ] {
        let Some(values) = g.facets.get(facet).filter(|v| !v.is_empty()) else {
            continue;
        };
        let total: i64 = values.values().sum::<i64>().max(1);
        let mut rows: Vec<(&String, &i64)> = values.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let _ = write!(
            out,
            "<h3>{title}</h3><table><tr><th>Value</th><th>Crashes</th><th>Share</th></tr>"
        );
        for (v, n) in rows {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{n}</td><td>{}%</td></tr>",
                esc(v),
                n * 100 / total
            );
        }
        out.push_str("</table>");
    }
    if out.is_empty() {
        out.push_str("<p>No breakdowns yet.</p>");
    }
    out
}

/// The crashing thread's top frames of the group's latest analysed crash.
fn frames_table(crashes: &[CrashRow]) -> String {
    let (from, frames) = super::api::top_frames(crashes);
    let Some(from) = from else {
        return "<p>No analysed crash yet.</p>".into();
    };
    let mut out = format!(
        "<p>From crash <a href=\"/crashes/{0}\">{0}</a>.</p><table><tr><th>#</th><th>Frame</th></tr>",
        esc(&from)
    );
    for (i, f) in frames.iter().enumerate() {
        let display = f["display"].as_str().unwrap_or("?");
        let _ = write!(
            out,
            "<tr><td>{i}</td><td><code>{}</code></td></tr>",
            esc(display)
        );
    }
    out + "</table>"
}

/// The group's latest crashes, each with its page and its dump.
fn sample_table(crashes: &[CrashRow]) -> String {
    let mut out = String::from(
        "<table><tr><th>Crash</th><th>Received</th><th>Version</th><th>Status</th><th>Dump</th></tr>",
    );
    for c in super::api::sample(crashes) {
        let id = c["id"].as_str().unwrap_or("");
        let dump = match c["dump"].as_str() {
            Some(u) => format!("<a href=\"{}\" download>download</a>", esc(u)),
            None => "deleted".into(),
        };
        let _ = write!(
            out,
            "<tr><td><a href=\"/crashes/{0}\">{0}</a></td><td>{1}</td><td>{2}</td><td>{3}</td><td>{dump}</td></tr>",
            esc(id),
            esc(c["received"].as_str().unwrap_or("")),
            esc(c["version"].as_str().unwrap_or("")),
            esc(c["status"].as_str().unwrap_or("")),
        );
    }
    out + "</table>"
}

fn crash_rows(crashes: &[CrashRow]) -> String {
    let mut out = String::from("<table><tr><th>Crash</th><th>Received</th><th>Status</th></tr>");
    for c in crashes {
        let _ = write!(
            out,
            "<tr><td><a href=\"/crashes/{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            esc(&c.id),
            esc(&c.id),
            time(c.received),
            esc(&c.status)
        );
    }
    out + "</table>"
}

/// `/groups/<id>`.
pub async fn group(State(s): State<Shared>, Path(id): Path<i64>, h: HeaderMap) -> Response {
    let who = match who_or_login(&s, &h).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let t = now();
    let since = day(t - 30 * 86_400);
    let fetched = tokio::try_join!(
        s.db.group(id),
        s.db.days(&since),
        s.db.group_crashes(id, 50)
    );
    let (g, days, crashes) = match fetched {
        Ok((Some(g), d, c)) => (g, d, c),
        Ok((None, _, _)) => return not_found("group"),
        Err(e) => return internal("GET /groups/<id>", e),
    };
    let per_day: BTreeMap<String, i64> = days
        .into_iter()
        .filter(|d| d.0 == id)
        .map(|(_, d, n)| (d, n))
        .collect();
    let state = match &g.resolved_in {
        Some(v) => format!("Resolved in {}.", esc(v)),
        None if g.reopened => "Reopened: it came back in a later version.".into(),
        None => "Open.".into(),
    };
    let body = format!(
        "<p><b>Bucket</b> <code>{}</code><br><b>Blamed module</b> {}<br><b>Crashes</b> {} \
         (first {}, last {})</p><p>{state}</p>\
         <form method=post action=\"/groups/{id}/resolve\"><input type=hidden name=csrf value=\"{}\">\
         <label>Resolved in version <input name=version></label> <button>Save</button> \
         (empty: reopen)</form><h2>Crashes per day</h2>{}<h2>Top frames</h2>{}<h2>Breakdowns</h2>{}\
         <h2>Sample of dumps</h2>{}<h2>Latest crashes</h2>{}",
        esc(&g.bucket),
        esc(g.blame.as_deref().unwrap_or("none")),
        g.count, time(g.first_seen), time(g.last_seen),
        esc(who.csrf()),
        chart(&per_day, t), frames_table(&crashes), facet_table(&g), sample_table(&crashes),
        crash_rows(&crashes)
    );
    page(&g.signature, Some(&who), &body)
}

/// `POST /groups/<id>/resolve` (form: `version`, `csrf`).
pub async fn resolve(
    State(s): State<Shared>,
    Path(id): Path<i64>,
    h: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let who = match who_or_login(&s, &h).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    if !who.csrf_ok(form.get("csrf").map(String::as_str)) {
        return (StatusCode::FORBIDDEN, "missing or wrong CSRF token\n").into_response();
    }
    let version = form
        .get("version")
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    match s.db.resolve(id, version).await {
        Ok(_) => Redirect::to(&format!("/groups/{id}")).into_response(),
        Err(e) => internal("resolve", e),
    }
}

/// `/crashes/<uuid>`: status, annotations, the full report, the dump.
pub async fn crash(State(s): State<Shared>, Path(id): Path<String>, h: HeaderMap) -> Response {
    let who = match who_or_login(&s, &h).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let Ok(uuid) = uuid::Uuid::parse_str(&id) else {
        return not_found("crash");
    };
    let c = match s.db.crash(&uuid.to_string()).await {
        Ok(Some(c)) => c,
        Ok(None) => return not_found("crash"),
        Err(e) => return internal("GET /crashes/<id>", e),
    };
    let mut body = format!(
        "<p><b>Status</b> {} (attempts {})<br><b>Received</b> {}</p>",
        esc(&c.status),
        c.attempts,
        time(c.received)
    );
    if c.reprocessed > 0 {
        let _ = write!(
            body,
            "<p><b>Reprocessed</b> {} time(s), after symbol uploads</p>",
            c.reprocessed
        );
    }
    if let Some(e) = &c.error {
        let _ = write!(body, "<p><b>Error</b> {}</p>", esc(e));
    }
    if let Some(g) = c.group_id {
        let _ = write!(
            body,
            "<p><b>Group</b> <a href=\"/groups/{g}\">{}</a></p>",
            esc(c.bucket.as_deref().unwrap_or(""))
        );
    }
    body.push_str(&if c.dump_deleted {
        "<p>The dump was deleted by retention.</p>".to_string()
    } else {
        format!("<p><a href=\"/crashes/{uuid}/dump\">Download the dump</a></p>")
    });
    let annotations: serde_json::Value = serde_json::from_str(&c.annotations).unwrap_or_default();
    if let Some(m) = annotations.as_object().filter(|m| !m.is_empty()) {
        body.push_str("<h2>Annotations</h2><table>");
        for (k, v) in m {
            let v = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            let _ = write!(body, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
        }
        body.push_str("</table>");
    }
    report(&s, &c, &mut body).await;
    page(&format!("Crash {uuid}"), Some(&who), &body)
}

/// The report section of a crash page: the stored HTML report, else (an analysed crash whose
/// page was never opened) rendered now from its dump and stored, else (the dump deleted by
/// retention first) the stored analysis as JSON.
async fn report(s: &Shared, c: &CrashRow, body: &mut String) {
    let rendered = match &c.report {
        Some(r) => Ok(r.clone()),
        None if c.status != "done" => return,
        None if c.dump_deleted => Err("the dump was deleted before the report was rendered".into()),
        None => crate::worker::report_html(s, &c.id).await,
    };
    match rendered {
        // Written by coroner's HTML renderer, which escapes every text it takes from the dump.
        Ok(r) if r.starts_with("<section class=\"dump\">") => {
            let _ = write!(
                body,
                "<h2>Report</h2><style>{}</style>{r}",
                coroner_report::html::FRAGMENT_STYLE
            );
        }
        Ok(r) => {
            let _ = write!(body, "<h2>Report</h2><pre>{}</pre>", esc(&r));
        }
        Err(why) => {
            let analysis = c.analysis.as_deref().unwrap_or("");
            let pretty = serde_json::from_str::<serde_json::Value>(analysis)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| analysis.to_string());
            let _ = write!(
                body,
                "<h2>Analysis</h2><p>No HTML report: {}.</p><pre>{}</pre>",
                esc(&why),
                esc(&pretty)
            );
        }
    }
}

/// `GET /login`.
pub async fn login_form() -> Response {
    page(
        "Log in",
        None,
        "<form method=post action=/login><p><label>User <input name=user autocomplete=username>\
         </label> <label>Password <input type=password name=password \
         autocomplete=current-password></label></p><p>or <label>Admin token (in \
         <code>DIR/admin-token</code>) <input type=password name=token></label></p> \
         <button>Log in</button></form>",
    )
}

/// `POST /login` (form: `user` and `password`, or `token`): a session cookie (HttpOnly,
/// SameSite=Strict).
pub async fn login(State(s): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    match auth::login_ok(&s, &form).await {
        Ok(true) => {}
        Ok(false) => {
            return (
                StatusCode::UNAUTHORIZED,
                Html("<p>Wrong user, password or token. <a href=/login>Try again</a></p>"),
            )
                .into_response()
        }
        Err(e) => return internal("/login", e),
    }
    let (id, csrf) = (crate::db::token(), crate::db::token());
    if let Err(e) = s.db.new_session(&id, &csrf, now() + SESSION_SECS).await {
        return internal("/login", e);
    }
    let cookie =
        format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECS}");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

/// `POST /logout` (form: `csrf`).
pub async fn logout(
    State(s): State<Shared>,
    h: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(Who::Session { id, csrf }) = auth::who(&s, &h).await {
        if form.get("csrf").is_some_and(|t| auth::same(t, &csrf)) {
            let _ = s.db.end_session(&id).await;
        }
    }
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response()
}
