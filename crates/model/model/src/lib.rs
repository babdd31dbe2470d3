//! # coroner-model
//!
//! The *model* stage of coroner's pipeline (evidence → **model** → analyses → findings → renderers).
//!
//! Loaders (`coroner-dump`, later event and web logs) turn evidence into these types; analyses only
//! read them. Every fact that a dump may lack is an `Option`: absent facts stay absent, they are
//! never invented. Memory is borrowed from the (memory-mapped) dump file, so building a snapshot
//! costs what the streams cost, not what the dump's memory weighs.

mod damage;
mod failure;
pub mod guard;
pub mod layout;
mod memory;
mod snapshot;
pub mod time;
mod warning;

pub use damage::{Damage, LossCause, StreamLoss};
pub use failure::{Corrupt, IoReason, LoadFailure, NotADump, UnpackCause};
pub use memory::{AddressSpace, MemoryRange};
pub use snapshot::*;
pub use warning::{ListKind, Warning};
