//! Every way a file can fail to load, read from real files where a file can cause it: the
//! phrasing module's English is the loader's own `Display` text, word for word (the JSON's
//! `error` and every English report stay as they were), and its Korean carries the same
//! figures without the English sentence.

use coroner_dump::{Corrupt, DumpFile, Limits, LoadError, LoadFailure, NotADump, UnpackCause};
use coroner_report::phrase::{failed, load_failure, Lang};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// The error of loading `bytes` as a file (opening, then parsing), under `limits`.
fn load(dir: &Path, name: &str, bytes: &[u8], limits: Limits) -> LoadError {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    match DumpFile::open_with(&p, limits) {
        Err(e) => e,
        Ok(f) => match f.snapshot() {
            Err(e) => e,
            Ok(_) => panic!("{name} loads"),
        },
    }
}

/// A gzip stream (one stored deflate block, no checksum needed before `len` bytes are read) of
/// `len` zero bytes.
fn gzip_of_zeros(len: u16) -> Vec<u8> {
    let mut g = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1];
    g.extend(len.to_le_bytes());
    g.extend((!len).to_le_bytes());
    g.extend(std::iter::repeat_n(0, usize::from(len)));
    g
}

/// Load errors of real files: the cases of `real_files_fail_with_typed_facts`, in its order.
fn from_files(dir: &Path) -> Vec<LoadError> {
    let lab = std::fs::read(root().join("fixtures/lab/breakpoint-x64.dmp")).unwrap();
    let rva = u32::from_le_bytes(lab[12..16].try_into().unwrap()) as usize;
    let mut old = lab.clone();
    old[4] ^= 0x55; // the header's version
    let d = Limits::default();
    let small = Limits {
        max_unpacked: 64,
        ..d
    };
    let cases: Vec<(&str, Vec<u8>, Limits)> = vec![
        ("empty.dmp", vec![], d),
        ("three.dmp", b"MDM".to_vec(), d),
        ("header.dmp", b"MDMP\x93\xa7\0\0\x0c\0\0\0".to_vec(), d),
        ("cut.dmp", lab[..rva + 30].to_vec(), d),
        ("version.dmp", old, d),
        ("kernel.dmp", b"PAGEDU64\0\0\0\0".to_vec(), d),
        ("log.evtx", b"ElfFile\0\0\0\0\0".to_vec(), d),
        ("log.evt", b"\x30\0\0\0LfLe\0\0".to_vec(), d),
        ("core", b"\x7fELF\x02\x01\x01\0".to_vec(), d),
        ("app.dll", b"MZ\x90\0\x03\0\0\0".to_vec(), d),
        (
            "micro.txt",
            b"-----BEGIN BREAKPAD MICRODUMP-----\n".to_vec(),
            d,
        ),
        ("u_ex.log", b"#Software: Microsoft IIS\r\n".to_vec(), d),
        ("notes.txt", b"hello\n".to_vec(), d),
        ("blob.bin", vec![0, 1, 0xfe, 0xff, 9, 9], d),
        ("big.dmp.gz", gzip_of_zeros(100), small),
        (
            "bad.dmp.gz",
            vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 7, 7],
            d,
        ),
    ];
    let mut out: Vec<LoadError> = cases
        .into_iter()
        .map(|(name, bytes, limits)| load(dir, name, &bytes, limits))
        .collect();
    out.push(DumpFile::open(dir.join("missing.dmp")).err().unwrap());
    out.push(DumpFile::open(dir).err().unwrap());
    out
}

#[test]
fn real_files_fail_with_typed_facts() {
    let dir = tempfile::tempdir().unwrap();
    let lab = std::fs::read(root().join("fixtures/lab/breakpoint-x64.dmp")).unwrap();
    let rva = u64::from(u32::from_le_bytes(lab[12..16].try_into().unwrap()));
    let got: Vec<LoadFailure> = from_files(dir.path())
        .iter()
        .map(LoadError::failure)
        .collect();
    let want = [
        LoadFailure::Empty,
        LoadFailure::Corrupt(Corrupt::TooShort { bytes: 3 }),
        LoadFailure::Corrupt(Corrupt::HeaderTruncated { bytes: 12 }),
        LoadFailure::Corrupt(Corrupt::DirectoryPastEnd {
            entries: 12,
            offset: rva,
            bytes_present: rva + 30,
            bytes_needed: rva + 144,
        }),
        LoadFailure::Corrupt(Corrupt::UnsupportedVersion),
        LoadFailure::NotADump(NotADump::KernelDump),
        LoadFailure::NotADump(NotADump::EventLog),
        LoadFailure::NotADump(NotADump::LegacyEventLog),
        LoadFailure::NotADump(NotADump::Elf),
        LoadFailure::NotADump(NotADump::PeImage),
        LoadFailure::NotADump(NotADump::Microdump),
        LoadFailure::NotADump(NotADump::W3cLog),
        LoadFailure::NotADump(NotADump::Text),
        LoadFailure::NotADump(NotADump::Unknown {
            magic: [0, 1, 0xfe, 0xff],
        }),
        LoadFailure::Unpack {
            container: "gzip".into(),
            cause: UnpackCause::TooBig { limit: 64 },
        },
    ];
    assert_eq!(got[..want.len()], want);
    assert!(
        matches!(&got[want.len()], LoadFailure::Unpack { container, cause: UnpackCause::Failed { .. } } if container == "gzip"),
        "{:?}",
        got[want.len()]
    );
    assert!(
        matches!(
            &got[want.len() + 1],
            LoadFailure::Unreadable {
                reason: coroner_dump::IoReason::NotFound,
                ..
            }
        ),
        "{:?}",
        got[want.len() + 1]
    );
    assert_eq!(
        got[want.len() + 2],
        LoadFailure::NotADump(NotADump::Directory)
    );
}

/// Errors no small file here causes, built as the loader builds them.
fn constructed() -> Vec<LoadError> {
    let unpack = |container, cause| LoadError::Unpack { container, cause };
    vec![
        LoadError::Corrupt(Corrupt::DirectoryMissing),
        LoadError::Corrupt(Corrupt::HeaderMissing),
        LoadError::Corrupt(Corrupt::HeaderMismatch),
        LoadError::Corrupt(Corrupt::Unparsable {
            error: "Stream size mismatch".into(),
        }),
        unpack("zip", UnpackCause::NoFile),
        unpack("cab", UnpackCause::NoFile),
        unpack("xz", UnpackCause::TooBig { limit: 8 << 30 }),
        unpack("zip", UnpackCause::TooBig { limit: 512 << 20 }),
        LoadError::Io(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
        LoadError::Io(std::io::Error::other("disk on fire")),
    ]
}

/// English words of the failure sentences; none is left in a Korean one (outside the quoted
/// text of a parser, unpacker or the OS).
const ENGLISH: [&str; 12] = [
    "cannot",
    "empty",
    "not a",
    "corrupt",
    "truncated",
    "bytes",
    "file is",
    "header needs",
    "directory",
    "signature",
    "holds no",
    "unpacks",
];

fn unquoted(s: &str) -> String {
    s.split('"').step_by(2).collect()
}

#[test]
fn english_is_the_loaders_own_text_and_korean_keeps_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let mut errors = from_files(dir.path());
    errors.extend(constructed());
    for e in &errors {
        let f = e.failure();
        let en = load_failure(&f, Lang::En);
        assert_eq!(en, e.to_string(), "{f:?}");
        assert_eq!(failed(&en, Some(&f), Lang::En), en);
        let ko = load_failure(&f, Lang::Ko);
        assert!(
            ko.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c)),
            "{ko}"
        );
        for w in ENGLISH {
            assert!(!unquoted(&ko).contains(w), "{w:?} in {ko}");
        }
        // Every figure of the English is in the Korean (the OS text of a missing or
        // forbidden file is typed instead of quoted).
        if !matches!(f, LoadFailure::Unreadable { .. }) {
            for t in en.split(|c: char| !c.is_ascii_alphanumeric()) {
                if t.chars().any(|c| c.is_ascii_digit()) {
                    assert!(ko.contains(t), "{t:?} of {en:?} missing from {ko:?}");
                }
            }
        }
    }
    // A failure given only as text (no typed cause) is shown as given, in every language.
    assert_eq!(failed("worker lost", None, Lang::Ko), "worker lost");
}

#[test]
fn the_json_failure_is_flat_with_its_facts() {
    let f = LoadFailure::Corrupt(Corrupt::DirectoryPastEnd {
        entries: 13,
        offset: 0x20,
        bytes_present: 40,
        bytes_needed: 188,
    });
    let json = |f: &LoadFailure| serde_json::to_string(f).unwrap();
    assert_eq!(
        json(&f),
        r#"{"kind":"corrupt","cause":"directory_past_end","entries":13,"offset":"0x20","bytes_present":40,"bytes_needed":188}"#
    );
    let unknown = LoadFailure::NotADump(NotADump::Unknown {
        magic: [0, 1, 0x41, 0xff],
    });
    assert_eq!(
        json(&unknown),
        r#"{"kind":"not_a_dump","file":"unknown","magic":"00 01 41 ff"}"#
    );
    let big = LoadFailure::Unpack {
        container: "zip".into(),
        cause: UnpackCause::TooBig { limit: 1 << 20 },
    };
    assert_eq!(
        json(&big),
        r#"{"kind":"unpack","container":"zip","cause":"too_big","limit":1048576}"#
    );
    assert_eq!(json(&LoadFailure::Empty), r#"{"kind":"empty"}"#);
    assert_eq!(json(&LoadFailure::Internal), r#"{"kind":"internal"}"#);
}
