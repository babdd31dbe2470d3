//! Renderers of the [`crate::model::Investigation`]: text (verdict first), Markdown, JSON and
//! a self-contained HTML page. Nothing here decides anything.

pub mod facts;
pub mod html;
pub mod markdown;
pub mod text;

/// The `coroner.investigation.v1` JSON document.
pub fn json(inv: &crate::Investigation) -> String {
    let mut s =
        serde_json::to_string_pretty(inv).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
