//! What the loader noticed in a dump but could live with, as typed facts: the phrasing module
//! (`coroner-report`) words them in each report language, and the JSON carries its English.

use crate::StreamLoss;
use serde::Serialize;

/// A list stream the loader reads at most `--max-list` entries of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    /// MemoryListStream / Memory64ListStream.
    Memory,
    /// ThreadListStream.
    Thread,
    /// ModuleListStream.
    Module,
    /// UnloadedModuleListStream.
    UnloadedModule,
    /// MemoryInfoListStream.
    MemoryInfo,
    /// The Linux maps stream.
    LinuxMaps,
}

/// One loader warning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// The file is shorter than its stream directory needs.
    CutShort {
        /// Bytes in the file.
        present: u64,
        /// Bytes the directory needs (at least, when streams were lost).
        needed: u64,
        /// Whether `needed` is a lower bound (streams lost).
        at_least: bool,
    },
    /// A stream could not be read at all.
    StreamLost(StreamLoss),
    /// A stream was read but points at data not in the file.
    StreamIncomplete(StreamLoss),
    /// A list had more entries than the limit; only the first were read.
    ListCut {
        /// Which list.
        list: ListKind,
        /// Entries it has.
        count: usize,
        /// Entries read.
        max: usize,
    },
    /// The directory names no ThreadList stream.
    NoThreadList,
    /// The directory names no ModuleList stream.
    NoModuleList,
    /// The SystemInfo stream was named but lost.
    SystemInfoLost,
    /// The directory names no SystemInfo stream.
    NoSystemInfo,
    /// The PEB lists no heaps (Wine leaves the list empty): the heap list is unknown.
    NoProcessHeaps,
    /// The PEB's NumberOfHeaps is beyond belief; the list was ignored.
    ImplausibleHeapCount(u32),
}
