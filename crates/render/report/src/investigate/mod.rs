//! Renderers of the [`coroner_incident::Investigation`]: text (verdict first), Markdown, JSON and
//! a self-contained HTML page. Nothing here decides anything.

pub mod facts;
pub mod html;
pub mod markdown;
pub mod memory;
pub mod text;

use crate::phrase::Lang;
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

/// The report in `format`, its words in `lang` (the JSON document is the same in every
/// language).
pub fn render(inv: &coroner_incident::Investigation, format: Format, lang: Lang) -> String {
    match format {
        Format::Text => text::render(inv, lang),
        Format::Json => json(inv),
        Format::Markdown => markdown::render(inv, lang),
        Format::Html => html::render(inv, lang),
    }
}

/// Writes the report in `format` and `lang` to `out`.
pub fn write(
    inv: &coroner_incident::Investigation,
    format: Format,
    out: &mut impl Write,
    lang: Lang,
) -> std::io::Result<()> {
    out.write_all(render(inv, format, lang).as_bytes())
}

/// The `coroner.investigation.v1` JSON document (English words, whatever the report language).
pub fn json(inv: &coroner_incident::Investigation) -> String {
    let mut s =
        serde_json::to_string_pretty(inv).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
