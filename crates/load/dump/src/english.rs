//! The English `Display` text of a [`crate::LoadError`]: the words every caller of the loader
//! has always seen (the JSON's `error`, logs). The reports word the same typed facts through
//! the phrasing module of `coroner-report`, whose English is these words (a test there checks
//! it, variant by variant).

use coroner_model::{Corrupt, NotADump, UnpackCause};

pub(crate) fn not_a_dump(n: &NotADump) -> String {
    match n {
        NotADump::Directory => "is a directory".into(),
        NotADump::KernelDump => {
            "a Windows kernel memory dump (PAGEDU64/PAGEDUMP); coroner reads user-mode minidumps"
                .into()
        }
        NotADump::EventLog => "a Windows event log (.evtx); use `coroner investigate`".into(),
        NotADump::LegacyEventLog => {
            "a legacy Windows event log (.evt); use `coroner investigate`".into()
        }
        NotADump::Elf => "an ELF file (a Linux core dump or binary), not a minidump".into(),
        NotADump::PeImage => "a Windows executable (PE image), not a dump".into(),
        NotADump::Microdump => "a Breakpad microdump (text); coroner reads binary minidumps".into(),
        NotADump::W3cLog => "an IIS/W3C log file; use `coroner investigate`".into(),
        NotADump::Text => "a text file (no MDMP signature)".into(),
        NotADump::Unknown {
            magic: [a, b, c, d],
        } => {
            format!("no MDMP signature (starts with {a:02x} {b:02x} {c:02x} {d:02x})")
        }
    }
}

pub(crate) fn corrupt(c: &Corrupt) -> String {
    match c {
        Corrupt::TooShort { bytes } => {
            format!("file is only {bytes} bytes, shorter than a minidump header")
        }
        Corrupt::HeaderTruncated { bytes } => {
            format!("header truncated: file is {bytes} bytes, the header needs 32")
        }
        Corrupt::DirectoryPastEnd {
            entries,
            offset,
            bytes_present,
            bytes_needed,
        } => format!(
            "the stream directory ({entries} entries at offset {offset:#x}) lies past the end of the file: \
             {bytes_present} bytes present, {bytes_needed} needed for the directory alone (file cut short?); no stream can be located"
        ),
        Corrupt::DirectoryMissing => "stream directory missing or cut off (file truncated?)".into(),
        Corrupt::HeaderMissing => "header missing or cut off".into(),
        Corrupt::HeaderMismatch => "header signature does not match".into(),
        Corrupt::UnsupportedVersion => "unsupported minidump version".into(),
        Corrupt::Unparsable { error } => error.clone(),
    }
}

pub(crate) fn unpack(container: &str, u: &UnpackCause) -> String {
    match u {
        UnpackCause::TooBig { limit } => format!(
            "unpacks to more than {} (limit; raise with --max-unpacked)",
            human_size(*limit)
        ),
        UnpackCause::NoFile if container == "cab" => "cabinet holds no file".into(),
        UnpackCause::NoFile => "archive holds no file".into(),
        UnpackCause::Failed { error } => error.clone(),
    }
}

/// `8 GiB`, `512 MiB`, `100 bytes`.
fn human_size(n: u64) -> String {
    if n >= 1 << 30 && n.is_multiple_of(1 << 30) {
        format!("{} GiB", n >> 30)
    } else if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}
