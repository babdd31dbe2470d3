//! Writers for W3C and HTTPERR log lines, for fixture generators; [`coroner_weblog::load`]
//! reads back what these write.

use coroner_weblog::{HttpErr, Request};

/// IIS 7.5+ default `#Fields` (logExtFileFlags default set) plus sc-bytes/cs-bytes.
pub const IIS_FIELDS: &[&str] = &[
    "date",
    "time",
    "s-ip",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "s-port",
    "cs-username",
    "c-ip",
    "cs(User-Agent)",
    "cs(Referer)",
    "sc-status",
    "sc-substatus",
    "sc-win32-status",
    "sc-bytes",
    "cs-bytes",
    "time-taken",
];

/// HTTP.sys error log fields.
pub const HTTPERR_FIELDS: &[&str] = &[
    "date",
    "time",
    "c-ip",
    "c-port",
    "s-ip",
    "s-port",
    "cs-version",
    "cs-method",
    "cs-uri",
    "sc-status",
    "s-siteid",
    "s-reason",
    "s-queuename",
];

/// `YYYY-MM-DD HH:MM:SS` for Unix seconds.
pub fn format_time(t: i64) -> String {
    let (y, m, d, hh, mm, ss) = coroner_model::time::civil(t);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
}

/// A W3C header block: `#Software`, `#Version`, `#Date`, `#Fields` (CRLF, as IIS writes).
pub fn w3c_header(out: &mut String, software: &str, date: i64, fields: &[&str]) {
    out.push_str(&format!(
        "#Software: {software}\r\n#Version: 1.0\r\n#Date: {}\r\n#Fields: {}\r\n",
        format_time(date),
        fields.join(" ")
    ));
}

/// An HTTPERR header block.
pub fn httperr_header(out: &mut String, date: i64) {
    w3c_header(out, "Microsoft HTTP API 2.0", date, HTTPERR_FIELDS);
}

fn val(out: &mut String, v: Option<&str>) {
    match v {
        None => out.push('-'),
        Some("") => out.push('-'),
        // IIS and HTTP.sys write spaces, tabs and control characters in values as '+'.
        Some(s) => out.push_str(&coroner_weblog::plus::encode(s)),
    }
}

fn num<T: std::fmt::Display>(out: &mut String, v: Option<T>) {
    match v {
        Some(n) => out.push_str(&n.to_string()),
        None => out.push('-'),
    }
}

/// One W3C line for `r` in the layout `fields` (unknown names are looked up in
/// `r.extra`), CRLF-terminated.
pub fn w3c_line(out: &mut String, fields: &[&str], r: &Request) {
    let ts = format_time(r.time);
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match f.to_ascii_lowercase().as_str() {
            "date" => out.push_str(&ts[..10]),
            "time" => out.push_str(&ts[11..]),
            "s-sitename" => val(out, r.site.as_deref()),
            "s-computername" => val(out, r.computer.as_deref()),
            "s-ip" => val(out, r.server_ip.as_deref()),
            "cs-method" => val(out, r.method.as_deref()),
            "cs-uri-stem" => val(out, r.uri_stem.as_deref()),
            "cs-uri-query" => val(out, r.uri_query.as_deref()),
            "s-port" => num(out, r.port),
            "cs-username" => val(out, r.user.as_deref()),
            "c-ip" => val(out, r.client_ip.as_deref()),
            "cs-version" => val(out, r.version.as_deref()),
            "cs(user-agent)" => val(out, r.user_agent.as_deref()),
            "cs(cookie)" => val(out, r.cookie.as_deref()),
            "cs(referer)" => val(out, r.referer.as_deref()),
            "cs-host" | "cs(host)" => val(out, r.host.as_deref()),
            "sc-status" => num(out, r.status),
            "sc-substatus" => num(out, r.substatus),
            "sc-win32-status" => num(out, r.win32_status),
            "sc-bytes" => num(out, r.sc_bytes),
            "cs-bytes" => num(out, r.cs_bytes),
            "time-taken" => num(out, r.time_taken_ms),
            other => val(
                out,
                r.extra
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(other))
                    .map(|(_, v)| v.as_str()),
            ),
        }
    }
    out.push_str("\r\n");
}

/// One HTTPERR line (in [`HTTPERR_FIELDS`] order), CRLF-terminated.
pub fn httperr_line(out: &mut String, e: &HttpErr) {
    let ts = format_time(e.time);
    out.push_str(&ts);
    out.push(' ');
    val(out, e.client_ip.as_deref());
    out.push(' ');
    num(out, e.client_port);
    out.push(' ');
    val(out, e.server_ip.as_deref());
    out.push(' ');
    num(out, e.server_port);
    out.push(' ');
    val(out, e.version.as_deref());
    out.push(' ');
    val(out, e.method.as_deref());
    out.push(' ');
    val(out, e.uri.as_deref());
    out.push(' ');
    num(out, e.status);
    out.push(' ');
    num(out, e.site_id);
    out.push(' ');
    val(out, Some(e.reason.as_str()));
    out.push(' ');
    val(out, e.queue_name.as_deref());
    out.push_str("\r\n");
}
