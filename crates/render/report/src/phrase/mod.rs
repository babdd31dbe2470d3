//! The one phrasing module: turns typed findings and the facts of an analysis into sentences.
//! Every renderer (text, Markdown, JSON, HTML, the shell, investigate) takes its words from
//! here. Every phrase is written in English and Korean side by side (`lang.pick(en, ko)` or a
//! `match` on [`Lang`]), so a phrase without its Korean does not compile.

mod blame;
mod codes;
mod damage;
mod failure;
mod findings;
pub mod hang;
pub mod investigate;
mod josa;
mod lang;
// --- memory (issue 15) ---
mod memory;
mod memory_summary;
pub use memory::bytes;
pub use memory_summary::memory_summary;
// --- end memory ---
mod region;
mod summary;
mod warning;

pub use blame::{blame_reason, judgement, provenance, vendor_fields};
pub use codes::code_meaning;
pub use damage::{loss_cause, stream_loss};
pub use failure::{failed, load_failure};
pub use findings::{finding, recommendation_for, severity, verdict, Words};
pub use josa::particles;
pub use lang::{Lang, UnknownLang};
pub use region::{usage, usage_detail};
pub use summary::{
    count, counted, damage_line, damaged_note, rows, sharing, summary, who_to_call, Noun, Row,
};
pub use warning::warning;
