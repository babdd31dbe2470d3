//! Renderers of the [`coroner_incident::Investigation`]: text (verdict first), Markdown, JSON and
//! a self-contained HTML page. Nothing here decides anything.

pub mod facts;
pub mod html;
pub mod markdown;
pub mod memory;
pub mod text;

use std::io::Write;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Html,
}

/// A format name that is none of `text`, `json`, `markdown` (`md`), `html`.
#[derive(Debug, thiserror::Error)]
#[error("unknown format {0} (text, json, markdown, html)")]
pub struct UnknownFormat(pub String);

impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "markdown" | "md" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// The report in `format`.
pub fn render(inv: &coroner_incident::Investigation, format: Format) -> String {
    match format {
        Format::Text => text::render(inv),
        Format::Json => json(inv),
        Format::Markdown => markdown::render(inv),
        Format::Html => html::render(inv),
    }
}

/// Writes the report in `format` to `out`.
pub fn write(
    inv: &coroner_incident::Investigation,
    format: Format,
    out: &mut impl Write,
) -> std::io::Result<()> {
    out.write_all(render(inv, format).as_bytes())
}

/// The `coroner.investigation.v1` JSON document.
pub fn json(inv: &coroner_incident::Investigation) -> String {
    let mut s =
        serde_json::to_string_pretty(inv).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
