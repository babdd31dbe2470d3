//! `--images`: folders of EXE/DLL files copied from the machine that crashed (a common way to get
//! `C:\Windows\System32` binaries to an analyst). When a module's image is not in dump memory,
//! its exports, version resource and x64 unwind data are read from the matching file instead.
//! A file matches by name and, when the dump records them, by PE TimeDateStamp and SizeOfImage
//! (so a SymStore layout `name.dll/TIMESTAMPSIZE/name.dll` works too).

use coroner_model::{Arch, Module};

/// The PE machine type of an architecture (0 when any will do).
pub fn machine_of(arch: Arch) -> u16 {
    match arch {
        Arch::X86 => 0x14c,
        Arch::Amd64 => 0x8664,
        Arch::Arm64 => 0xaa64,
        Arch::Arm => 0x1c4,
        Arch::Other => 0,
    }
}
use coroner_pe::PeImage;
use memmap2::Mmap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Most directory entries indexed under the image roots.
const MAX_ENTRIES: usize = 500_000;
/// Deepest folder level indexed.
const MAX_DEPTH: usize = 8;

/// An image file opened read-only and memory-mapped.
pub struct ImageFile {
    /// Where it was found.
    pub path: PathBuf,
    /// The file's bytes.
    pub map: Mmap,
    /// Its headers (file layout).
    pub image: PeImage,
}

/// Folders of image files, indexed by lower-case file name on first use.
#[derive(Default)]
pub struct ImageStore {
    roots: Vec<PathBuf>,
    index: OnceLock<HashMap<String, Vec<PathBuf>>>,
}

impl ImageStore {
    /// A store over `roots` (nothing is read yet).
    pub fn new(roots: Vec<PathBuf>) -> Self {
        ImageStore {
            roots,
            index: OnceLock::new(),
        }
    }

    /// Whether any folder was given.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    fn index(&self) -> &HashMap<String, Vec<PathBuf>> {
        self.index.get_or_init(|| {
            let mut map: HashMap<String, Vec<PathBuf>> = HashMap::new();
            let mut seen = 0usize;
            let mut stack: Vec<(PathBuf, usize)> =
                self.roots.iter().map(|r| (r.clone(), 0)).collect();
            while let Some((dir, depth)) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for e in rd.flatten() {
                    seen += 1;
                    if seen > MAX_ENTRIES {
                        return map;
                    }
                    let p = e.path();
                    match e.file_type() {
                        Ok(t) if t.is_dir() && depth < MAX_DEPTH => stack.push((p, depth + 1)),
                        Ok(t) if t.is_file() => {
                            if let Some(n) = p.file_name().and_then(|n| n.to_str()) {
                                map.entry(n.to_ascii_lowercase()).or_default().push(p);
                            }
                        }
                        _ => {}
                    }
                }
            }
            map
        })
    }

    /// The image file for `m` built for `machine` (IMAGE_FILE_MACHINE_*, 0 = any), or why none
    /// was used (the error lists what was looked at).
    pub fn find(&self, m: &Module, machine: u16) -> Result<ImageFile, FindError> {
        let key = m.name.to_ascii_lowercase();
        let Some(cands) = self.index().get(&key) else {
            return Err(FindError::NotFound(m.name.clone()));
        };
        let mut why = Vec::new();
        for p in cands {
            let path = p.clone();
            match open(p) {
                Ok(f) if machine != 0 && f.image.machine != machine => {
                    why.push(Rejection::Machine {
                        path,
                        found: f.image.machine,
                        wanted: machine,
                    })
                }
                Ok(f) => {
                    let ts_ok = m.timestamp == 0 || f.image.timestamp == m.timestamp;
                    let size_ok = m.size == 0 || u64::from(f.image.size_of_image) == m.size;
                    if ts_ok && size_ok {
                        return Ok(f);
                    }
                    why.push(Rejection::Identity {
                        path,
                        found: (f.image.timestamp, f.image.size_of_image),
                        wanted: (m.timestamp, m.size),
                    });
                }
                Err(error) => why.push(Rejection::Unreadable { path, error }),
            }
        }
        Err(FindError::Rejected(why))
    }
}

/// Why no `--images` file was used for a module.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// No file of the module's name under the folders.
    #[error("no {0} under the --images folders")]
    NotFound(String),
    /// Files of that name were found and each was rejected (listed in the order looked at).
    #[error("{}", join(.0))]
    Rejected(Vec<Rejection>),
}

fn join(r: &[Rejection]) -> String {
    r.iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why one candidate file was not used.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// Built for another machine (IMAGE_FILE_MACHINE_*) than the dump's.
    #[error("{}: built for machine {found:#x}, the dump's is {wanted:#x}", path.display())]
    Machine {
        /// The file.
        path: PathBuf,
        /// Its machine.
        found: u16,
        /// The dump's machine.
        wanted: u16,
    },
    /// Its TimeDateStamp or SizeOfImage differs from the dump's record of the module.
    #[error(
        "{}: timestamp {:08x} size {:x} do not match the dump's {:08x} {:x}",
        path.display(), found.0, found.1, wanted.0, wanted.1
    )]
    Identity {
        /// The file.
        path: PathBuf,
        /// The file's TimeDateStamp and SizeOfImage.
        found: (u32, u32),
        /// The dump's TimeDateStamp and size of the module.
        wanted: (u32, u64),
    },
    /// It could not be opened or parsed.
    #[error("{}: {error}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        error: OpenError,
    },
}

/// Why an image file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Opening or mapping the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not a PE image coroner can read.
    #[error("{0}")]
    Pe(#[from] coroner_pe::PeError),
}

/// Opens and parses an image file.
pub fn open(p: &Path) -> Result<ImageFile, OpenError> {
    let file = std::fs::File::open(p)?;
    // SAFETY: read-only private map of a file coroner never writes; see coroner-dump.
    let map = unsafe { Mmap::map(&file) }?;
    let image = PeImage::from_file_bytes(&map)?;
    Ok(ImageFile {
        path: p.to_path_buf(),
        map,
        image,
    })
}
