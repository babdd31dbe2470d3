//! The one phrasing module: turns typed findings and the facts of an analysis into sentences.
//! Every renderer (text, Markdown, JSON, HTML, the shell, investigate) takes its words from
//! here, so the English lives in one place and another language is one more table of the same
//! shape.

mod findings;
pub mod hang;
pub mod investigate;
mod lang;
// --- memory (issue 15) ---
mod memory;
pub use memory::bytes;
// --- end memory ---
mod summary;

pub use findings::{finding, recommendation_for, verdict, Words};
pub use lang::{Lang, UnknownLang};
pub use summary::{count, damage_line, sharing, summary, who_to_call};
