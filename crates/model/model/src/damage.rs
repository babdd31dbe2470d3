//! What a damaged dump lost, as typed facts: which streams, and for each the cause with the
//! byte counts and file offsets involved. The phrasing module (`coroner-report`) words a cause
//! in each report language; the JSON carries its English.

use serde::Serialize;

/// Why a stream of a damaged dump was lost or read only in part. Sizes and offsets are bytes
/// of the dump file (`rva`: the stream's file offset, `end`: one past its last byte); in JSON
/// the offsets are `"0x…"` strings, the sizes and counts numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LossCause {
    /// The stream's bytes all lie past the end of the file.
    PastEnd {
        /// Bytes of the stream.
        size: u64,
        /// Where they start.
        #[serde(serialize_with = "hex")]
        rva: u64,
        /// Where they end.
        #[serde(serialize_with = "hex")]
        end: u64,
    },
    /// The end of the file cuts through the stream's bytes.
    CutOff {
        /// Bytes of the stream.
        size: u64,
        /// Where they start.
        #[serde(serialize_with = "hex")]
        rva: u64,
        /// Where they end.
        #[serde(serialize_with = "hex")]
        end: u64,
        /// Bytes in the file (where it ends).
        #[serde(serialize_with = "hex")]
        file_len: u64,
    },
    /// The stream's bytes are all zero: wiped, not empty.
    Zeroed {
        /// Bytes of the stream.
        size: u64,
        /// Where they start.
        #[serde(serialize_with = "hex")]
        rva: u64,
    },
    /// The parser found the stream's size wrong for what its header declares.
    SizeMismatch {
        /// Bytes the header's counts need.
        expected: u64,
        /// Bytes the stream has.
        found: u64,
    },
    /// The parser does not know the stream's version.
    UnsupportedVersion,
    /// The parser refused the stream; `error` is its message, quoted as it gives it.
    Unparsable {
        /// The parser's error text.
        error: String,
    },
    /// A HandleDataStream whose header declares more descriptor bytes than the stream holds
    /// (not given to the parser, which would size its vector from the count).
    HandlesDoNotFit {
        /// Descriptors the header declares.
        count: u64,
        /// Bytes of each.
        entry: u64,
        /// Bytes of the stream.
        size: u64,
    },
    /// Module names or CodeView records lie past the end of the file: the module list was read
    /// without debug ids.
    ModulesWithoutIds {
        /// Modules in the list.
        count: u64,
        /// Of them, names past the end of the file.
        names_lost: u64,
        /// Of them, CodeView records (debug ids) past the end of the file.
        cv_lost: u64,
    },
    /// Thread register contexts or stacks lie (wholly or partly) past the end of the file.
    ThreadsPastEnd {
        /// Threads in the list.
        threads: u64,
        /// Register contexts lost.
        contexts_lost: u64,
        /// Stacks lost or cut.
        stacks_cut: u64,
    },
    /// The exception's register context lies past the end of the file.
    ExceptionContextPastEnd {
        /// Where the context starts.
        #[serde(serialize_with = "hex")]
        rva: u64,
    },
    /// Memory ranges of a memory list lie (wholly or partly) past the end of the file.
    MemoryPastEnd {
        /// Ranges lost or cut.
        lost: u64,
        /// Ranges in the list.
        total: u64,
        /// Bytes of memory lost.
        bytes: u64,
    },
}

/// A file offset as JSON writes offsets: `"0x1028"`.
fn hex<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

/// One stream of a damaged dump and what happened to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StreamLoss {
    /// Stream name as the directory types it (`ExceptionStream`, `ThreadListStream`, `0x47670001`).
    pub stream: String,
    /// What is wrong, with the byte offsets involved.
    pub cause: LossCause,
}

/// What a damaged dump lost. A dump is damaged when its stream directory names a stream that
/// lies (wholly or partly) past the end of the file, cannot be parsed or is all zero bytes, or
/// when a list stream points at data (memory, thread contexts, stacks) past the end of the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Damage {
    /// Streams that could not be read at all, in directory order.
    pub streams_lost: Vec<StreamLoss>,
    /// Streams that were read but point at data that is not in the file.
    pub streams_partial: Vec<StreamLoss>,
    /// Bytes in the file.
    pub bytes_present: u64,
    /// Bytes the directory and the lists it names need: the end of the furthest piece.
    pub bytes_needed: u64,
}

impl Damage {
    /// Every loss with whether the stream was lost whole (`true`) or read in part (`false`):
    /// the streams lost, then those read in part.
    pub fn losses(&self) -> impl Iterator<Item = (&StreamLoss, bool)> {
        let lost = self.streams_lost.iter().map(|l| (l, true));
        lost.chain(self.streams_partial.iter().map(|l| (l, false)))
    }

    /// Whether the stream `name` (e.g. `ExceptionStream`) was lost.
    pub fn lost(&self, name: &str) -> bool {
        self.streams_lost.iter().any(|l| l.stream == name)
    }
    /// Whether anything was lost at all.
    pub fn is_damaged(&self) -> bool {
        !self.streams_lost.is_empty()
            || !self.streams_partial.is_empty()
            || self.bytes_needed > self.bytes_present
    }
}
