//! Opening dump files: memory-mapping plain dumps, unpacking compressed containers.

use crate::LoadError;
use coroner_model::Snapshot;
use coroner_model::{NotADump, UnpackCause};
use memmap2::Mmap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest unpacked size accepted from a compressed container (guards against decompression bombs).
pub const MAX_UNPACKED: u64 = 8 << 30;

/// What loading one dump may cost at most; the defaults suit any real dump, flags raise them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes a compressed dump may unpack to (default [`MAX_UNPACKED`]).
    pub max_unpacked: u64,
    /// Entries read from each list stream: threads, modules, memory ranges, regions, unloaded
    /// modules, handles (default [`crate::convert::MAX_LIST`]).
    pub max_list: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_unpacked: MAX_UNPACKED,
            max_list: crate::convert::MAX_LIST,
        }
    }
}

/// How the dump reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// A plain file, memory-mapped.
    Plain,
    /// gzip.
    Gzip,
    /// xz.
    Xz,
    /// zip archive (first dump inside).
    Zip,
    /// Microsoft cabinet (WER `.cab`; first dump inside).
    Cab,
}

impl Container {
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Container::Plain => "minidump",
            Container::Gzip => "minidump (gzip)",
            Container::Xz => "minidump (xz)",
            Container::Zip => "minidump (zip)",
            Container::Cab => "minidump (cab)",
        }
    }
}

enum Data {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

/// An opened dump: the bytes (memory-mapped when the file is a plain dump) and where they came from.
pub struct DumpFile {
    path: PathBuf,
    data: Data,
    container: Container,
    /// Name of the member inside an archive, if any.
    pub member: Option<String>,
    limits: Limits,
}

impl std::fmt::Debug for DumpFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DumpFile")
            .field("path", &self.path)
            .field("len", &self.bytes().len())
            .field("container", &self.container)
            .finish()
    }
}

impl DumpFile {
    /// Opens `path` read-only. Plain dumps are memory-mapped; compressed ones are unpacked into
    /// an unnamed temporary file (in the system's temporary folder, gone when closed) that is
    /// then memory-mapped, so a 4 GB dump inside a zip costs disk, not memory; bounded by
    /// [`MAX_UNPACKED`].
    pub fn open(path: impl AsRef<Path>) -> Result<DumpFile, LoadError> {
        Self::open_with(path, Limits::default())
    }

    /// [`DumpFile::open`] with other limits.
    pub fn open_with(path: impl AsRef<Path>, limits: Limits) -> Result<DumpFile, LoadError> {
        let path = path.as_ref().to_path_buf();
        let file = File::open(&path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(LoadError::NotADump(NotADump::Directory));
        }
        if meta.len() == 0 {
            return Err(LoadError::Empty);
        }
        // SAFETY: the map is read-only and private; coroner never writes to its inputs. If another
        // process truncates the file while we read it, reads past the new end fault — the accepted
        // risk of every mmap-based reader (ripgrep, rust-minidump's `read_path`).
        let map = unsafe { Mmap::map(&file)? };
        let container = sniff(&map);
        let (data, member) = match container {
            Container::Plain => (Data::Mapped(map), None),
            Container::Gzip => {
                let dec = flate2::read::MultiGzDecoder::new(&map[..]);
                (read_bounded(dec, "gzip", limits.max_unpacked)?, None)
            }
            Container::Xz => {
                let dec = xz2::read::XzDecoder::new_multi_decoder(&map[..]);
                (read_bounded(dec, "xz", limits.max_unpacked)?, None)
            }
            Container::Zip => {
                let (name, bytes) = unzip_first_dump(&map, limits.max_unpacked)?;
                (bytes, Some(name))
            }
            Container::Cab => {
                let (name, bytes) = uncab_first_dump(&map, limits.max_unpacked)?;
                (bytes, Some(name))
            }
        };
        let df = DumpFile {
            path,
            data,
            container,
            member,
            limits,
        };
        if df.bytes().is_empty() {
            return Err(LoadError::Empty);
        }
        Ok(df)
    }

    /// Wraps bytes already in memory (tests, fuzzing).
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: Vec<u8>) -> DumpFile {
        DumpFile {
            path: path.into(),
            data: Data::Owned(bytes),
            container: Container::Plain,
            member: None,
            limits: Limits::default(),
        }
    }

    /// The same dump read with other list limits (the unpacking limit applies at open).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits this dump is read with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The dump's bytes (unpacked).
    pub fn bytes(&self) -> &[u8] {
        match &self.data {
            Data::Mapped(m) => m,
            Data::Owned(v) => v,
        }
    }

    /// The input path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the file was packed.
    pub fn container(&self) -> Container {
        self.container
    }

    /// Parses the dump into the process model.
    pub fn snapshot(&self) -> Result<Snapshot<'_>, LoadError> {
        crate::convert::snapshot(self)
    }
}

fn sniff(b: &[u8]) -> Container {
    if b.starts_with(&[0x1f, 0x8b]) {
        Container::Gzip
    } else if b.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Container::Xz
    } else if b.starts_with(b"PK\x03\x04") {
        Container::Zip
    } else if b.starts_with(b"MSCF") {
        Container::Cab
    } else {
        Container::Plain
    }
}

/// Unpacks `r` (at most `max` bytes) into an unnamed temporary file and maps it; into memory
/// when no temporary file can be made.
fn read_bounded(r: impl Read, container: &'static str, max: u64) -> Result<Data, LoadError> {
    let unpack_err = |e: std::io::Error| LoadError::Unpack {
        container,
        cause: UnpackCause::Failed {
            error: e.to_string(),
        },
    };
    let too_big = || LoadError::Unpack {
        container,
        cause: UnpackCause::TooBig { limit: max },
    };
    let mut r = r.take(max.saturating_add(1));
    match tempfile::tempfile() {
        Ok(mut tmp) => {
            let n = std::io::copy(&mut r, &mut tmp).map_err(unpack_err)?;
            if n > max {
                return Err(too_big());
            }
            if n == 0 {
                return Ok(Data::Owned(Vec::new()));
            }
            // SAFETY: the file is ours alone (unnamed, never shared) and no longer written.
            let map = unsafe { Mmap::map(&tmp) }.map_err(unpack_err)?;
            Ok(Data::Mapped(map))
        }
        Err(_) => {
            let mut out = Vec::new();
            let n = r.read_to_end(&mut out).map_err(unpack_err)?;
            if n as u64 > max {
                return Err(too_big());
            }
            Ok(Data::Owned(out))
        }
    }
}

/// Prefers a member that looks like a dump (`.dmp`/`.mdmp` or MDMP magic); else the first file.
fn pick(names: &[String]) -> Option<&String> {
    names
        .iter()
        .find(|n| {
            let l = n.to_ascii_lowercase();
            l.ends_with(".dmp") || l.ends_with(".mdmp")
        })
        .or_else(|| names.iter().find(|n| !n.ends_with('/')))
}

fn unzip_first_dump(b: &[u8], max: u64) -> Result<(String, Data), LoadError> {
    let err = |m: String| LoadError::Unpack {
        container: "zip",
        cause: UnpackCause::Failed { error: m },
    };
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(b)).map_err(|e| err(e.to_string()))?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    let name = pick(&names).cloned().ok_or(LoadError::Unpack {
        container: "zip",
        cause: UnpackCause::NoFile,
    })?;
    let f = zip.by_name(&name).map_err(|e| err(e.to_string()))?;
    Ok((name, read_bounded(f, "zip", max)?))
}

/// Unpacks the dump member of a WER `.cab` (the shared reader of `coroner-cab`), at most `max`
/// bytes, into a temporary file.
fn uncab_first_dump(b: &[u8], max: u64) -> Result<(String, Data), LoadError> {
    let err = |m: String| LoadError::Unpack {
        container: "cab",
        cause: UnpackCause::Failed { error: m },
    };
    let mut cab =
        coroner_cab::Cabinet::open(std::io::Cursor::new(b)).map_err(|e| err(e.to_string()))?;
    let names: Vec<String> = cab.members().into_iter().map(|m| m.name).collect();
    let name = pick(&names).cloned().ok_or(LoadError::Unpack {
        container: "cab",
        cause: UnpackCause::NoFile,
    })?;
    let r = cab.reader(&name).map_err(|e| err(e.to_string()))?;
    Ok((name, read_bounded(r, "cab", max)?))
}
