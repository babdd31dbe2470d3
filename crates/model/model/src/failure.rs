//! Why a file could not be loaded at all, as typed facts: what the file turned out to be, how
//! far its stream directory reaches past its end, what the container's unpacker said. The
//! phrasing module (`coroner-report`) words a failure in each report language; the JSON
//! carries its English `error` and this value as `failure`.

use serde::Serialize;

/// Why a file could not be loaded. In JSON: `{"kind": "…", …}` with the facts as fields;
/// file offsets are `"0x…"` strings, sizes and counts numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LoadFailure {
    /// The file could not be opened or read.
    Unreadable {
        /// What the operating system said, typed.
        reason: IoReason,
        /// Its own text, quoted as it gives it.
        os_error: String,
    },
    /// Zero bytes (the file, or what its container unpacked to).
    Empty,
    /// Some other kind of file.
    NotADump(NotADump),
    /// A minidump that cannot be parsed.
    Corrupt(Corrupt),
    /// A compressed container that could not be unpacked.
    Unpack {
        /// Container kind (`gzip`, `xz`, `zip`, `cab`).
        container: String,
        /// What went wrong.
        #[serde(flatten)]
        cause: UnpackCause,
    },
    /// The analysis stopped on a bug of coroner's (a panic), not on the file.
    Internal,
}

/// What the operating system said when a file could not be opened or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IoReason {
    /// No such file.
    NotFound,
    /// No permission to read it.
    PermissionDenied,
    /// Anything else (the OS text says what).
    Other,
}

impl IoReason {
    /// The reason for an [`std::io::ErrorKind`].
    pub fn of(kind: std::io::ErrorKind) -> IoReason {
        match kind {
            std::io::ErrorKind::NotFound => IoReason::NotFound,
            std::io::ErrorKind::PermissionDenied => IoReason::PermissionDenied,
            _ => IoReason::Other,
        }
    }
}

/// What a file that is not a minidump is, by its first bytes. In JSON: `"file": "…"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "file", rename_all = "snake_case")]
pub enum NotADump {
    /// A folder, not a file.
    Directory,
    /// A Windows kernel memory dump (`PAGEDU64`/`PAGEDUMP`).
    KernelDump,
    /// A Windows event log (`.evtx`, `ElfFile`).
    EventLog,
    /// A legacy Windows event log (`.evt`, `LfLe`).
    LegacyEventLog,
    /// An ELF file (a Linux core dump or binary).
    Elf,
    /// A Windows executable (PE image, `MZ`).
    PeImage,
    /// A Breakpad microdump (text).
    Microdump,
    /// An IIS/W3C log file (`#Software`, `#Version`, `#Fields`).
    W3cLog,
    /// Some other text file.
    Text,
    /// Some other binary file; its first four bytes.
    Unknown {
        /// The first four bytes, as found (in JSON: `"4d 5a 90 00"`).
        #[serde(serialize_with = "spaced")]
        magic: [u8; 4],
    },
}

/// What is wrong with a minidump that cannot be parsed. In JSON: `"cause": "…"` and its facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum Corrupt {
    /// Fewer bytes than a signature (4).
    TooShort {
        /// Bytes in the file.
        bytes: u64,
    },
    /// A minidump signature, but fewer bytes than the 32-byte header.
    HeaderTruncated {
        /// Bytes in the file.
        bytes: u64,
    },
    /// The stream directory lies (wholly or partly) past the end of the file: no stream can
    /// be located.
    DirectoryPastEnd {
        /// Entries the header declares.
        entries: u64,
        /// Where the directory starts.
        #[serde(serialize_with = "hex")]
        offset: u64,
        /// Bytes in the file.
        bytes_present: u64,
        /// Bytes the directory alone needs (its end).
        bytes_needed: u64,
    },
    /// The parser found no stream directory (missing or cut off).
    DirectoryMissing,
    /// The parser found no header (missing or cut off).
    HeaderMissing,
    /// The header's signature does not match.
    HeaderMismatch,
    /// The parser does not know the dump's version.
    UnsupportedVersion,
    /// The parser refused the dump; `error` is its message, quoted as it gives it.
    Unparsable {
        /// The parser's error text.
        error: String,
    },
}

/// Why a container could not be unpacked. In JSON: `"cause": "…"` and its facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum UnpackCause {
    /// It unpacks to more than the limit (`--max-unpacked`).
    TooBig {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The archive holds no file.
    NoFile,
    /// The unpacker refused it; `error` is its message, quoted as it gives it.
    Failed {
        /// The unpacker's error text.
        error: String,
    },
}

/// Bytes as hex pairs: `"4d 5a 90 00"`.
fn spaced<S: serde::Serializer>(v: &[u8; 4], s: S) -> Result<S::Ok, S::Error> {
    let [a, b, c, d] = v;
    s.serialize_str(&format!("{a:02x} {b:02x} {c:02x} {d:02x}"))
}

/// A file offset as JSON writes offsets: `"0x1028"`.
fn hex<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}
