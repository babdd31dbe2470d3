//! A thread's state from its stack: the top system frames (those above the first frame of
//! application code) matched against the tables of [`names`](super::names).

use super::names::{self, FUNCTION_RULES, MODULE_RULES};
use super::ThreadState;
use crate::FrameFacts;

/// The top frames examined: a wait is never deeper than this below the application's call.
pub const TOP_FRAMES: usize = 24;

/// The system frames at the top of a stack (up to the first non-system frame, at most
/// [`TOP_FRAMES`]).
pub fn top_system(frames: &[FrameFacts]) -> &[FrameFacts] {
    let n = frames
        .iter()
        .take(TOP_FRAMES)
        .position(|f| !f.system || f.symbol.module_index.is_none())
        .unwrap_or(frames.len().min(TOP_FRAMES));
    &frames[..n]
}

/// The function name of a frame, when it has one.
pub fn function(f: &FrameFacts) -> Option<&str> {
    f.symbol.function.as_deref()
}

/// The state of a thread with these frames, and the frame that decided it.
pub fn classify(frames: &[FrameFacts]) -> (ThreadState, Option<usize>) {
    let Some(first) = frames.first() else {
        return (ThreadState::Unknown, None);
    };
    let top = top_system(frames);
    for (state, table) in FUNCTION_RULES {
        if let Some(f) = top
            .iter()
            .find(|f| function(f).is_some_and(|n| names::in_table(n, table)))
        {
            return (*state, Some(f.index));
        }
    }
    for (state, table) in MODULE_RULES {
        if let Some(f) = top.iter().find(|f| {
            f.symbol
                .module
                .as_deref()
                .is_some_and(|m| table.contains(&names::module_stem(m).as_str()))
        }) {
            return (*state, Some(f.index));
        }
    }
    // Application code at the top, or system code that is not a wait: on the CPU.
    if !first.system && first.symbol.module_index.is_some() {
        return (ThreadState::Running, Some(0));
    }
    match function(first) {
        Some(n) if is_system_call(n) => (ThreadState::Unknown, Some(0)),
        Some(_) => (ThreadState::Running, Some(0)),
        None => (ThreadState::Unknown, None),
    }
}

/// A system-call stub not in the tables (`NtQueryInformationFile`…): its state is not known.
fn is_system_call(name: &str) -> bool {
    let n = names::normal(name);
    n.starts_with("Nt") || n.starts_with("Zw")
}

/// The first non-system frame (the frame to blame).
pub fn first_app_frame(frames: &[FrameFacts]) -> Option<&FrameFacts> {
    frames
        .iter()
        .find(|f| !f.system && f.symbol.module_index.is_some())
}
