//! Who is asking: the admin token as `Authorization: Bearer …` (scripts, tests), or a login
//! session cookie (browsers), whose state-changing forms carry the session's CSRF token.

use crate::{now, Shared};
use axum::http::{header, HeaderMap};

/// The session cookie's name.
pub const COOKIE: &str = "coroner_session";
/// How long a login session lasts (seconds).
pub const SESSION_SECS: i64 = 12 * 3600;

/// An authenticated caller.
pub enum Who {
    /// The admin token in the `Authorization` header (no cookie, so no CSRF exposure).
    Bearer,
    /// A login session, with its CSRF token.
    Session { id: String, csrf: String },
}

impl Who {
    /// Whether a form's or header's CSRF token is acceptable for this caller.
    pub fn csrf_ok(&self, token: Option<&str>) -> bool {
        match self {
            Who::Bearer => true,
            Who::Session { csrf, .. } => token.is_some_and(|t| same(t, csrf)),
        }
    }
    /// The CSRF token to put in forms ("" for bearer callers).
    pub fn csrf(&self) -> &str {
        match self {
            Who::Bearer => "",
            Who::Session { csrf, .. } => csrf,
        }
    }
}

/// Compares secrets in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The session id in the request's cookies.
pub fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .map(str::to_string)
}

/// The caller, if authenticated.
pub async fn who(s: &Shared, headers: &HeaderMap) -> Option<Who> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(t) = bearer {
        return same(t.trim(), &s.admin_token).then_some(Who::Bearer);
    }
    let id = session_id(headers)?;
    let csrf = s.db.session(&id, now()).await.ok()??;
    Some(Who::Session { id, csrf })
}

/// Whether a login form (`user` and `password`, or `token`) is right; a refusal is logged
/// (the user name, never the password).
pub async fn login_ok(
    s: &Shared,
    form: &std::collections::HashMap<String, String>,
) -> Result<bool, crate::ServeError> {
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    if let Some(user) = field("user") {
        let password = form.get("password").map(String::as_str).unwrap_or("");
        let ok = crate::users::check(s, user, password).await?;
        if !ok {
            let shown: String = user.chars().take(crate::users::MAX_NAME).collect();
            log::warn!("/login: failed login for user {shown:?}");
        }
        return Ok(ok);
    }
    let ok = field("token").is_some_and(|t| same(t, &s.admin_token));
    if !ok {
        log::warn!("/login: wrong admin token");
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_secrets() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; coroner_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(session_id(&h).as_deref(), Some("abc"));
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        let w = Who::Session {
            id: "x".into(),
            csrf: "tok".into(),
        };
        assert!(w.csrf_ok(Some("tok")));
        assert!(!w.csrf_ok(Some("bad")));
        assert!(!w.csrf_ok(None));
    }
}
