//! Uploaded symbol files: the server's own SymStore-layout folder (`DATA/symbols`, first on the
//! workers' symbol path), what an uploaded file is (Breakpad `.sym`, PDB, or a zip of a SymStore
//! tree) read from its content, and the symbol lookup the workers use, started afresh whenever
//! a symbol upload moved the database's symbol generation on (a lookup remembers the modules it
//! found nothing for).

use crate::{ServeError, Shared};
use coroner_symbols::{Entry, ModuleSymbols, SymbolPath, Symbols};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Largest file taken out of an uploaded zip, and most files in one.
const MAX_ZIP_MEMBER: u64 = 1 << 30;
const MAX_ZIP_FILES: usize = 1000;

/// Why an uploaded symbol file was refused (answered `400` with this text).
#[derive(Debug, thiserror::Error)]
pub enum SymbolUploadError {
    #[error("not a Breakpad .sym (MODULE line), a PDB (MSF 7.0) or a zip of a SymStore tree")]
    Unknown,
    #[error("unreadable symbol file: {0}")]
    Corrupt(String),
    #[error("the symbol file has no debug id")]
    NoId,
    #[error("the PDB's id {0} matches no module of a stored crash; upload it in a SymStore tree (name.pdb/ID/name.pdb) or as a .sym")]
    NoName(String),
    #[error("unusable module name {0:?} (a file name with letters, digits, '.', '_', '-', '+')")]
    BadName(String),
    #[error("zip: {0}")]
    Zip(String),
    #[error("{path}: the file's id is {found}, its folder says {folder}")]
    IdMismatch {
        path: String,
        found: String,
        folder: String,
    },
}

/// One symbol file stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stored {
    /// Debug name (`app.pdb`) and id (GUID + age, hex) the file is stored under.
    pub name: String,
    pub debug_id: String,
    /// `pdb` or `sym`.
    pub kind: &'static str,
    /// Crashes queued again for it.
    pub requeued: Vec<String>,
}

/// The symbol lookup of the workers, renewed when the symbol generation moves on.
pub struct Lookup {
    /// The server's own symbol folder (`DATA/symbols`).
    pub dir: PathBuf,
    current: Mutex<(i64, coroner::Options)>,
}

impl Lookup {
    /// The lookup for `base` (the configured analysis options) with `dir` first on the symbol
    /// path; without a configured path, `dir` alone with its parsed-symbol cache in `cache`.
    pub fn new(dir: PathBuf, cache: PathBuf, mut base: coroner::Options) -> Self {
        let mut path = SymbolPath {
            entries: vec![Entry::Local(dir.clone())],
        };
        let opts = match &base.analysis.symbols {
            Some(s) => {
                path.extend(s.path().clone());
                s.options().clone()
            }
            None => coroner_symbols::Options {
                cache_dir: Some(cache),
                allow_network: false,
                ..Default::default()
            },
        };
        base.analysis.symbols = Some(Arc::new(Symbols::new(path, opts)));
        Lookup {
            dir,
            current: Mutex::new((0, base)),
        }
    }

    /// The symbol generation of the lookup in use.
    pub fn generation(&self) -> i64 {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    /// The analysis options for symbol generation `generation`: the same lookup while it is
    /// the one last seen, else a fresh one with the same path and settings.
    pub fn options(&self, generation: i64) -> coroner::Options {
        let mut cur = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if cur.0 != generation {
            if let Some(old) = cur.1.analysis.symbols.clone() {
                let fresh = Symbols::new(old.path().clone(), old.options().clone());
                cur.1.analysis.symbols = Some(Arc::new(fresh));
            }
            cur.0 = generation;
        }
        cur.1.clone()
    }
}

/// The analysis options to use now (the database's symbol generation decides whether the
/// lookup is started afresh).
pub async fn analysis_options(shared: &Shared) -> coroner::Options {
    let generation = match shared.db.symbols_generation().await {
        Ok(g) => g,
        Err(e) => {
            log::warn!("symbol generation: {e}");
            -1
        }
    };
    if generation != shared.symbols.generation() && shared.blobs.local_path("").is_none() {
        if let Err(e) = sync(shared).await {
            log::warn!("symbols from the store: {e}");
        }
    }
    shared.symbols.options(generation)
}

/// Most symbol files kept in an object store.
const MAX_STORED_SYMBOLS: usize = 100_000;

/// Copies the symbol files of an object store (`symbols/name/ID/file`, put there by the
/// process that took the upload) that this process's symbol folder lacks. Returns how many.
pub async fn sync(shared: &Shared) -> Result<usize, ServeError> {
    let names = shared.blobs.list("symbols", MAX_STORED_SYMBOLS).await?;
    let mut copied = 0;
    for name in names {
        let parts: Vec<&str> = name.split('/').collect();
        let ["symbols", module, id, leaf] = parts[..] else {
            continue;
        };
        if !(safe_name(module) && safe_name(leaf) && hex_id(id).is_some()) {
            continue;
        }
        let local = shared.symbols.dir.join(module).join(id).join(leaf);
        if local.exists() {
            continue;
        }
        let bytes = shared.blobs.get(&name).await?;
        let folder = local.parent().map(Path::to_path_buf).unwrap_or_default();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&folder)?;
            let mut tmp = tempfile::NamedTempFile::new_in(&folder)?;
            std::io::Write::write_all(&mut tmp, &bytes)?;
            tmp.persist(&local).map_err(|e| e.error)?;
            Ok(())
        })
        .await
        .map_err(|e| ServeError::Store(e.to_string()))?
        .map_err(|e| ServeError::Store(format!("symbol folder: {e}")))?;
        copied += 1;
    }
    Ok(copied)
}

/// A file name safe to use as a folder and file name: letters, digits, `.`, `_`, `-`, `+`;
/// not starting with a dot.
fn safe_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 200
        && !n.starts_with('.')
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_+".contains(&b))
}

fn hex_id(id: &str) -> Option<String> {
    let id = id.to_ascii_uppercase();
    (!id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// A symbol file identified from its content.
struct Identified {
    kind: &'static str,
    /// Debug name from the content (`.sym` MODULE line), if it has one.
    name: Option<String>,
    debug_id: String,
}

const MSF7: &[u8] = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0";

/// Reads `file` (a `.sym` or a PDB) with the symbol reader: its identity, and proof it parses.
fn identify(file: &Path, head: &[u8]) -> Result<Identified, SymbolUploadError> {
    let kind = if head.starts_with(b"MODULE ") {
        "sym"
    } else if head.starts_with(MSF7) {
        "pdb"
    } else {
        return Err(SymbolUploadError::Unknown);
    };
    // The readers return errors for damaged files (the PDB one catches its parser's panics);
    // a panic left is caught here all the same: an upload never takes the server down.
    let ms = std::panic::catch_unwind(|| ModuleSymbols::open(file, None))
        .map_err(|_| SymbolUploadError::Corrupt("the symbol reader failed on it".into()))?
        .map_err(|e| SymbolUploadError::Corrupt(e.to_string()))?;
    let debug_id = hex_id(ms.debug_id()).ok_or(SymbolUploadError::NoId)?;
    let name = Some(ms.debug_file())
        .filter(|n| kind == "sym" && !n.is_empty())
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string());
    Ok(Identified {
        kind,
        name,
        debug_id,
    })
}

/// Copies `file` into `dir/name/ID/<file name>` (a `.sym` as `stem.sym`, a PDB as `name`);
/// returns its path under `dir` (`/`-separated).
fn store(dir: &Path, file: &Path, name: &str, id: &Identified) -> Result<String, ServeError> {
    if !safe_name(name) {
        return Err(ServeError::Config(
            SymbolUploadError::BadName(name.into()).to_string(),
        ));
    }
    // As the lookup names them (`ModuleId::sym_name`): `app.pdb` → `app.sym`.
    let leaf = match id.kind {
        "sym" => {
            let cut = name.len().saturating_sub(4);
            let stem = match name.get(cut..) {
                Some(ext) if ext.eq_ignore_ascii_case(".pdb") => &name[..cut],
                _ => name,
            };
            format!("{stem}.sym")
        }
        _ => name.to_string(),
    };
    let folder = dir.join(name).join(&id.debug_id);
    let io = |source| ServeError::Io {
        path: folder.clone(),
        source,
    };
    std::fs::create_dir_all(&folder).map_err(io)?;
    let tmp = tempfile::NamedTempFile::new_in(&folder).map_err(io)?;
    std::fs::copy(file, tmp.path()).map_err(io)?;
    tmp.persist(folder.join(&leaf)).map_err(|e| io(e.error))?;
    Ok(format!("{name}/{}/{leaf}", id.debug_id))
}

/// The name a symbol file with `debug_id` is already stored under (a PDB uploaded again after
/// the crashes that needed it were reprocessed).
fn stored_name(dir: &Path, debug_id: &str) -> Option<String> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.path().join(debug_id).is_dir())
        .and_then(|e| e.file_name().into_string().ok())
}

/// A symbol file waiting to be stored: where it is, its identity and the name to store under
/// (`None`: ask the database which module has this id).
struct Candidate {
    file: tempfile::TempPath,
    id: Identified,
    name: Option<String>,
}

/// Identifies an uploaded body (written to `file`): one `.sym` or PDB, or every symbol file
/// of a zipped SymStore tree (`name.pdb/ID/name.pdb`, `name.pdb/ID/name.sym`).
fn candidates(file: tempfile::TempPath) -> Result<Vec<Candidate>, SymbolUploadError> {
    let mut head = [0u8; 32];
    let n = std::fs::File::open(&file)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| SymbolUploadError::Corrupt(e.to_string()))?;
    let head = &head[..n];
    if head.starts_with(b"PK\x03\x04") {
        return zip_candidates(&file);
    }
    let id = identify(&file, head)?;
    let name = id.name.clone();
    Ok(vec![Candidate { file, id, name }])
}

/// The symbol files of a zipped SymStore tree; other files in it are ignored.
fn zip_candidates(file: &Path) -> Result<Vec<Candidate>, SymbolUploadError> {
    let zerr = |e: zip::result::ZipError| SymbolUploadError::Zip(e.to_string());
    let f = std::fs::File::open(file).map_err(|e| SymbolUploadError::Zip(e.to_string()))?;
    let mut z = zip::ZipArchive::new(f).map_err(zerr)?;
    if z.len() > MAX_ZIP_FILES {
        return Err(SymbolUploadError::Zip(format!(
            "{} files (at most {MAX_ZIP_FILES})",
            z.len()
        )));
    }
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut entry = z.by_index(i).map_err(zerr)?;
        if entry.is_dir() {
            continue;
        }
        let path = entry.name().replace('\\', "/");
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let [.., name, folder_id, leaf] = parts[..] else {
            continue;
        };
        let (name, folder_id) = (name.to_string(), folder_id.to_string());
        let lower = leaf.to_ascii_lowercase();
        if !(lower.ends_with(".pdb") || lower.ends_with(".sym")) {
            continue;
        }
        let mut tmp =
            tempfile::NamedTempFile::new().map_err(|e| SymbolUploadError::Zip(e.to_string()))?;
        let copied = std::io::copy(&mut (&mut entry).take(MAX_ZIP_MEMBER + 1), &mut tmp)
            .map_err(|e| SymbolUploadError::Zip(format!("{path}: {e}")))?;
        if copied > MAX_ZIP_MEMBER {
            return Err(SymbolUploadError::Zip(format!("{path}: larger than 1 GB")));
        }
        let tmp = tmp.into_temp_path();
        let mut head = [0u8; 32];
        let n = std::fs::File::open(&tmp)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| SymbolUploadError::Zip(e.to_string()))?;
        let id = identify(&tmp, &head[..n])?;
        if !id.debug_id.eq_ignore_ascii_case(&folder_id) {
            return Err(SymbolUploadError::IdMismatch {
                path,
                found: id.debug_id,
                folder: folder_id,
            });
        }
        // The tree's folder names the module (the file's own name for a `.sym`).
        let name = id.name.clone().unwrap_or(name);
        if !safe_name(&name) {
            return Err(SymbolUploadError::BadName(name));
        }
        out.push(Candidate {
            file: tmp,
            id,
            name: Some(name),
        });
    }
    if out.is_empty() {
        return Err(SymbolUploadError::Zip(
            "no name.pdb/ID/name.pdb or name.pdb/ID/name.sym file in it".into(),
        ));
    }
    Ok(out)
}

/// What an upload ended in: stored files, or the `400` reason.
pub enum Upload {
    Stored(Vec<Stored>),
    Refused(SymbolUploadError),
}

/// Identifies the uploaded body (saved in `file`), stores each symbol file in the server's
/// folder and queues again the crashes whose stacks lacked it.
pub async fn upload(shared: &Shared, file: tempfile::TempPath) -> Result<Upload, ServeError> {
    let found = tokio::task::spawn_blocking(move || candidates(file))
        .await
        .map_err(|e| ServeError::Config(format!("symbol upload task failed: {e}")))?;
    let found = match found {
        Ok(f) => f,
        Err(e) => return Ok(Upload::Refused(e)),
    };
    let mut stored = Vec::new();
    for c in found {
        // The name as the crashes' dumps spell it (the lookup goes by it, and file systems
        // may tell case apart), else the file's own (a `.sym` MODULE line, a tree's folder).
        let mut known = shared.db.missing_name(&c.id.debug_id).await?;
        if known.is_none() && c.name.is_none() {
            known = stored_name(&shared.symbols.dir, &c.id.debug_id);
        }
        let name = match known.filter(|k| c.name.as_ref().is_none_or(|n| n.eq_ignore_ascii_case(k)))
        {
            Some(n) => n,
            None => match c.name.clone() {
                Some(n) => n,
                None => return Ok(Upload::Refused(SymbolUploadError::NoName(c.id.debug_id))),
            },
        };
        if !safe_name(&name) {
            return Ok(Upload::Refused(SymbolUploadError::BadName(name)));
        }
        let (dir, n) = (shared.symbols.dir.clone(), name.clone());
        let (c, rel) =
            tokio::task::spawn_blocking(move || store(&dir, &c.file, &n, &c.id).map(|r| (c, r)))
                .await
                .map_err(|e| ServeError::Config(format!("symbol store task failed: {e}")))??;
        // An object store is shared by the fleet: the other processes copy it from there.
        if shared.blobs.local_path("").is_none() {
            let path = shared.symbols.dir.join(&rel);
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|source| ServeError::Io {
                    path: path.clone(),
                    source,
                })?;
            shared
                .blobs
                .put(&format!("symbols/{rel}"), bytes.into())
                .await?;
        }
        let requeued = shared
            .db
            .requeue_for_symbols(Some(name.clone()), &c.id.debug_id)
            .await?;
        log::info!(
            "symbols {name} {} stored; {} crashes queued again",
            c.id.debug_id,
            requeued.len()
        );
        stored.push(Stored {
            name,
            debug_id: c.id.debug_id,
            kind: c.id.kind,
            requeued,
        });
    }
    if !stored.iter().all(|s| s.requeued.is_empty()) {
        shared.queued.notify_waiters();
    }
    Ok(Upload::Stored(stored))
}

/// The stack modules of an analysis that had no symbol file: (debug name, debug id), for
/// modules whose dump gave a debug id.
pub fn missing(a: &coroner::Analysis) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for m in a.modules.iter().filter(|m| m.in_fault_stack) {
        let s = m.symbol_status.as_str();
        if !(s == "no symbols" || s.starts_with("export symbols")) {
            continue;
        }
        let id = coroner_symbols::ModuleId {
            code_file: m.module.name.clone(),
            debug_file: m
                .module
                .debug_file
                .as_deref()
                .map(|d| d.rsplit(['\\', '/']).next().unwrap_or(d).to_string()),
            debug_id: m.module.debug_id.clone(),
            ..Default::default()
        };
        if let Some(debug_id) = id.normalized_debug_id() {
            let key = (id.debug_name(), debug_id);
            if !out.contains(&key) {
                out.push(key);
            }
        }
    }
    out
}
