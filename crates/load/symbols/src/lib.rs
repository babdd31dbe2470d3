//! Finds and reads symbol files for the modules of a crash dump, on any OS.
//!
//! * [`SymbolPath`] parses `_NT_SYMBOL_PATH` / `--symbols` syntax (local folders, `srv*`, `cache*`).
//! * [`Symbols`] looks modules up lazily, once each, in plain folders, SymStore layouts
//!   (`name.pdb/GUIDAGE/name.pdb`, CAB-compressed `name.pd_`, two-tier `index2.txt`), Breakpad
//!   stores (`name.pdb/ID/name.sym`, `name/ID/name.sym`) and HTTP symbol servers, and records
//!   where it looked so a report can say "no symbols for X, looked in …".
//! * [`Symbols::struct_layouts`] / [`read_struct_layouts`] read struct sizes and field offsets
//!   from a PDB's type stream (`dt ntdll!_HEAP`).
//! * [`ModuleSymbols`] answers by RVA: function, offset, file and line, inline frames
//!   ([`ModuleSymbols::lookup`]), x86 STACK WIN / FPO records and STACK CFI rules for unwinders.
//!
//! Parsed symbols are cached on disk in a compact binary form (see `cache.rs`), keyed by module
//! identity, so a second analysis does not parse PDB or `.sym` files again. Nothing is ever
//! written next to the user's files: only into the cache directory and into `srv*` caches.
//!
//! Hostile input: truncated or corrupt symbol files give an error or warnings, never a panic;
//! allocations are bounded by the input size and [`Options`] limits.

mod breakpad;
mod cache;
mod http;
mod names;
pub mod path;
mod pdb;
mod table;
mod types;

pub use names::{parameter_list, short_name};
pub use path::{Entry, SymbolPath, MICROSOFT_SYMBOL_SERVER};
pub use table::{CfiRules, InlineFrame, StackWin, SymbolInfo};
pub use types::{Field, StructLayout, TypeLayouts};

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use table::Table;

/// Why symbols could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SymError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("corrupt symbol file: {0}")]
    Corrupt(String),
    #[error("symbol file is for another build: expected id {expected}, file has {found}")]
    Mismatch { expected: String, found: String },
    #[error("symbol file too large: {size} bytes (limit {limit}; raise with --max-symbol-file)")]
    TooLarge { size: u64, limit: u64 },
}

fn io_err(path: &Path, source: std::io::Error) -> SymError {
    SymError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Problems met while reading one file that did not stop it (skipped lines, damaged streams).
#[derive(Clone, Debug, Default)]
pub struct Warnings {
    /// How many.
    pub count: usize,
    /// The first few, with line numbers where known.
    pub first: Vec<String>,
}

impl Warnings {
    const KEEP: usize = 20;
    pub(crate) fn add(&mut self, s: String) {
        self.count += 1;
        if self.first.len() < Self::KEEP {
            self.first.push(s);
        }
    }
}

/// Identity of a module as the dump records it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ModuleId {
    /// Image file name or path, e.g. `ntdll.dll` or `C:\Windows\System32\ntdll.dll`.
    pub code_file: String,
    /// Debug file from the CodeView record, e.g. `ntdll.pdb` (may be a full build path).
    pub debug_file: Option<String>,
    /// Breakpad form of the debug id: GUID + age, hex (dashes and case are normalised away).
    pub debug_id: Option<String>,
    /// PE TimeDateStamp (0 = unknown).
    pub timestamp: u32,
    /// PE SizeOfImage (0 = unknown).
    pub image_size: u32,
}

fn basename(p: &str) -> &str {
    p.rsplit(['/', '\\']).next().unwrap_or(p)
}

fn strip_ext<'a>(name: &'a str, ext: &str) -> Option<&'a str> {
    let n = name.len().checked_sub(ext.len())?;
    name.get(n..)
        .filter(|e| e.eq_ignore_ascii_case(ext))
        .and_then(|_| name.get(..n))
}

impl ModuleId {
    /// The debug id, uppercase hex without dashes or braces.
    pub fn normalized_debug_id(&self) -> Option<String> {
        let raw = self.debug_id.as_deref()?;
        let mut id = String::with_capacity(raw.len());
        let mut nonzero = false;
        for b in raw.bytes().filter(u8::is_ascii_hexdigit) {
            nonzero |= b != b'0';
            id.push(b.to_ascii_uppercase() as char);
        }
        nonzero.then_some(id)
    }

    /// SymStore code id of the image: `TIMESTAMP%08X` + `SIZE%x`.
    pub fn code_id(&self) -> Option<String> {
        (self.timestamp != 0 || self.image_size != 0)
            .then(|| format!("{:08X}{:x}", self.timestamp, self.image_size))
    }

    /// Base name of the image (`ntdll.dll`).
    pub fn code_name(&self) -> &str {
        basename(&self.code_file)
    }

    /// Base name of the debug file; for a PE without one, `image stem + .pdb` (a guess).
    pub fn debug_name(&self) -> String {
        if let Some(d) = self
            .debug_file
            .as_deref()
            .map(basename)
            .filter(|d| !d.is_empty())
        {
            return d.to_string();
        }
        let code = self.code_name();
        for ext in [".dll", ".exe", ".sys", ".drv", ".ocx", ".cpl", ".efi"] {
            if let Some(stem) = strip_ext(code, ext) {
                return format!("{stem}.pdb");
            }
        }
        code.to_string()
    }

    /// Breakpad symbol file name: debug name without `.pdb`, plus `.sym`.
    pub fn sym_name(&self) -> String {
        let d = self.debug_name();
        format!("{}.sym", strip_ext(&d, ".pdb").unwrap_or(&d))
    }
}

/// Kind of symbol file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Breakpad text symbols.
    BreakpadSym,
    /// Microsoft PDB; `private` when it has procedures (sizes, lines), not only publics.
    Pdb { private: bool },
}

/// How sure we are the symbols belong to the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// The file's GUID + age equals the dump's.
    DebugId,
    /// The file's code id (TIMESTAMP + SIZE) equals the dump's (the dump had no debug id).
    CodeId,
    /// Found by name only; the dump gave nothing to check against. Show names as unverified.
    Unverified,
}

/// Lookup settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where parsed symbols (`parsed/`) and default downloads (`downloads/`) go. `None`: no disk
    /// cache at all (and no default download cache: `srv*URL` without a cache is then skipped).
    pub cache_dir: Option<PathBuf>,
    /// Reuse and write parsed-symbol cache files.
    pub use_parsed_cache: bool,
    /// Let `srv*…*https://…` elements reach the network.
    pub allow_network: bool,
    /// TCP connect timeout per request.
    pub connect_timeout: Duration,
    /// Total time for one request, body included (a stalled server is given up on after this).
    pub request_timeout: Duration,
    /// Largest download accepted.
    pub max_download: u64,
    /// Largest symbol file read (also the limit for a PDB unpacked from a `.pd_` in memory).
    pub max_file_size: u64,
}

/// `$XDG_CACHE_HOME/coroner/symbols`, else `~/.cache/coroner/symbols`
/// (on Windows `%LOCALAPPDATA%\coroner\symbols`).
pub fn default_cache_dir() -> Option<PathBuf> {
    let nonempty = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        if let Some(d) = nonempty("LOCALAPPDATA") {
            return Some(d.join("coroner").join("symbols"));
        }
    }
    if let Some(d) = nonempty("XDG_CACHE_HOME") {
        return Some(d.join("coroner").join("symbols"));
    }
    nonempty("HOME").map(|h| h.join(".cache").join("coroner").join("symbols"))
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cache_dir: default_cache_dir(),
            use_parsed_cache: true,
            allow_network: true,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            max_download: 2 << 30,
            max_file_size: 2 << 30,
        }
    }
}

/// The symbols of one module.
#[derive(Debug)]
pub struct ModuleSymbols {
    /// What kind of file they came from.
    pub source: Source,
    /// The symbol file (for a download: its place in the cache).
    pub file: PathBuf,
    /// How the file was matched to the module.
    pub matched: Match,
    /// Loaded from the parsed-symbol cache rather than parsed now.
    pub from_cache: bool,
    /// Problems met while parsing (empty when loaded from the cache).
    pub warnings: Warnings,
    table: Table,
}

impl ModuleSymbols {
    /// Function (or public symbol), offset, file/line and inline frames at `rva`.
    pub fn lookup(&self, rva: u32) -> Option<SymbolInfo> {
        self.table.lookup(rva)
    }

    /// Whether `rva` lies in code these symbols know (a function's bounds, or a code public
    /// symbol past every function); `None` when the file names nothing. Stack scanning uses it to
    /// refuse string constants, data and padding as return addresses.
    pub fn in_code(&self, rva: u32) -> Option<bool> {
        self.table.in_code(rva)
    }

    /// The STACK WIN record for `rva` (frame data preferred over FPO).
    pub fn stack_win(&self, rva: u32) -> Option<StackWin> {
        self.table.stack_win(rva)
    }

    /// STACK CFI rules in force at `rva` (INIT with deltas up to `rva` applied).
    pub fn stack_cfi(&self, rva: u32) -> Option<CfiRules> {
        self.table.stack_cfi(rva)
    }

    /// PDB FPO / frame data for `rva`, when the symbols came from a PDB that has it. (For
    /// Breakpad symbols the same records are STACK WIN: use [`Self::stack_win`].)
    pub fn fpo(&self, rva: u32) -> Option<StackWin> {
        match self.source {
            Source::Pdb { .. } => self.table.stack_win(rva),
            Source::BreakpadSym => None,
        }
    }

    /// The debug id the file states (Breakpad form).
    pub fn debug_id(&self) -> &str {
        &self.table.header.debug_id
    }
    /// Module name from the MODULE record (Breakpad), empty for PDB.
    pub fn debug_file(&self) -> &str {
        &self.table.header.debug_file
    }
    /// INFO CODE_ID (Breakpad), when present.
    pub fn code_id(&self) -> &str {
        &self.table.header.code_id
    }
    /// CPU architecture as the file names it (`x86`, `x86_64`, `amd64`, …).
    pub fn arch(&self) -> &str {
        &self.table.header.arch
    }
    /// Operating system as the file names it.
    pub fn os(&self) -> &str {
        &self.table.header.os
    }
    /// Number of functions (FUNC / procedures).
    pub fn function_count(&self) -> usize {
        self.table.funcs.len()
    }
    /// Number of public symbols.
    pub fn public_count(&self) -> usize {
        self.table.publics.len()
    }
    /// Has CFI or STACK WIN / FPO records.
    pub fn has_unwind_info(&self) -> bool {
        !self.table.cfi_inits.is_empty() || !self.table.wins.is_empty()
    }

    /// Reads a `.sym`, `.pdb` or CAB-compressed `.pd_` file directly (no search, no cache).
    /// With `expected`, a file of another build is refused ([`SymError::Mismatch`]).
    pub fn open(path: &Path, expected: Option<&ModuleId>) -> Result<Self, SymError> {
        open_file(path, expected, &Options::default())
    }

    /// Parses `.sym` text held in memory.
    pub fn from_sym_bytes(data: &[u8], file: impl Into<PathBuf>) -> Self {
        let (table, warnings) = breakpad::parse(data);
        ModuleSymbols {
            source: Source::BreakpadSym,
            file: file.into(),
            matched: Match::Unverified,
            from_cache: false,
            warnings,
            table,
        }
    }
}

/// Checks symbols loaded from a file-keyed cache entry against the module's identity.
fn reverify(ms: &mut ModuleSymbols, m: &ModuleId) -> Result<(), SymError> {
    let h = &ms.table.header;
    if let Some(id) = m.normalized_debug_id() {
        if !h.debug_id.is_empty() {
            if !h.debug_id.eq_ignore_ascii_case(&id) {
                return Err(SymError::Mismatch {
                    expected: id,
                    found: h.debug_id.clone(),
                });
            }
            ms.matched = Match::DebugId;
        }
    } else if let Some(code) = m.code_id() {
        if !h.code_id.is_empty() {
            if !h.code_id.eq_ignore_ascii_case(&code) {
                return Err(SymError::Mismatch {
                    expected: code,
                    found: h.code_id.clone(),
                });
            }
            ms.matched = Match::CodeId;
        }
    }
    Ok(())
}

/// Kind of candidate file, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sym,
    Pdb,
    PdbCab,
}

fn kind_of(path: &Path) -> Kind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".sym") {
        Kind::Sym
    } else if name.ends_with(".pd_") {
        Kind::PdbCab
    } else {
        Kind::Pdb
    }
}

/// First bytes of a `.sym` searched for INFO CODE_ID when there is no debug id to check.
const SYM_HEAD: usize = 64 * 1024;

fn sym_code_id(data: &[u8]) -> Option<String> {
    let head = &data[..data.len().min(SYM_HEAD)];
    let i = memchr::memmem::find(head, b"\nINFO CODE_ID ")?;
    let rest = &head[i + 14..];
    let end = memchr::memchr3(b' ', b'\r', b'\n', rest).unwrap_or(rest.len());
    Some(String::from_utf8_lossy(&rest[..end]).to_ascii_uppercase())
}

fn open_sym(
    path: &Path,
    data: &[u8],
    expected: Option<&ModuleId>,
) -> Result<ModuleSymbols, SymError> {
    let Some(header) = breakpad::read_module_line(data) else {
        return Err(SymError::Corrupt(format!(
            "{}: no MODULE record, not a Breakpad symbol file",
            path.display()
        )));
    };
    let mut matched = Match::Unverified;
    if let Some(m) = expected {
        if let Some(id) = m.normalized_debug_id() {
            if !header.debug_id.eq_ignore_ascii_case(&id) {
                return Err(SymError::Mismatch {
                    expected: id,
                    found: header.debug_id,
                });
            }
            matched = Match::DebugId;
        } else if let (Some(want), Some(have)) = (m.code_id(), sym_code_id(data)) {
            if !want.eq_ignore_ascii_case(&have) {
                return Err(SymError::Mismatch {
                    expected: want,
                    found: have,
                });
            }
            matched = Match::CodeId;
        }
    }
    let mut ms = ModuleSymbols::from_sym_bytes(data, path);
    ms.matched = matched;
    Ok(ms)
}

fn open_file(
    path: &Path,
    expected: Option<&ModuleId>,
    opts: &Options,
) -> Result<ModuleSymbols, SymError> {
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let size = f.metadata().map_err(|e| io_err(path, e))?.len();
    if size > opts.max_file_size {
        return Err(SymError::TooLarge {
            size,
            limit: opts.max_file_size,
        });
    }
    let want = expected.and_then(ModuleId::normalized_debug_id);
    let mut head = [0u8; 32];
    let n = (&f).read(&mut head).map_err(|e| io_err(path, e))?;
    let head = &head[..n];
    (&f).seek(std::io::SeekFrom::Start(0))
        .map_err(|e| io_err(path, e))?;
    let pdb_result = |(table, warnings, verified): (Table, Warnings, bool)| {
        let private = !table.funcs.is_empty();
        ModuleSymbols {
            source: Source::Pdb { private },
            file: path.to_path_buf(),
            matched: if verified {
                Match::DebugId
            } else {
                Match::Unverified
            },
            from_cache: false,
            warnings,
            table,
        }
    };
    if head.starts_with(b"MSCF") {
        let data = unpack_cab(f, opts.max_file_size).map_err(|e| match e {
            SymError::Corrupt(m) => SymError::Corrupt(format!("{}: {m}", path.display())),
            e => e,
        })?;
        // SymStore compresses whatever it stores: usually a PDB, sometimes Breakpad text.
        if data.starts_with(b"MODULE ") {
            return open_sym(path, &data, expected);
        }
        return pdb::parse(std::io::Cursor::new(data), want.as_deref()).map(pdb_result);
    }
    if head.starts_with(b"Microsoft C/C++") {
        return pdb::parse(f, want.as_deref()).map(pdb_result);
    }
    if head.starts_with(b"MODULE ") || kind_of(path) == Kind::Sym {
        // SAFETY: read-only private map of a symbol file; see cache::load for the caveat.
        let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| io_err(path, e))?;
        return open_sym(path, &map, expected);
    }
    Err(SymError::Corrupt(format!(
        "{}: neither a PDB, a CAB nor a Breakpad symbol file",
        path.display()
    )))
}

/// The layouts of the structs `names` from the PDB (or CAB-compressed `.pd_`) at `path`;
/// `expected`: the module's debug id (a PDB of another build is [`SymError::Mismatch`]).
pub fn read_struct_layouts(
    path: &Path,
    names: &[&str],
    expected: Option<&str>,
    opts: &Options,
) -> Result<TypeLayouts, SymError> {
    let f = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let size = f.metadata().map_err(|e| io_err(path, e))?.len();
    if size > opts.max_file_size {
        return Err(SymError::TooLarge {
            size,
            limit: opts.max_file_size,
        });
    }
    let mut head = [0u8; 4];
    let n = (&f).read(&mut head).map_err(|e| io_err(path, e))?;
    (&f).seek(std::io::SeekFrom::Start(0))
        .map_err(|e| io_err(path, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().replace(".pd_", ".pdb"))
        .unwrap_or_default();
    let named = |e: SymError| match e {
        SymError::Corrupt(m) => SymError::Corrupt(format!("{}: {m}", path.display())),
        e => e,
    };
    if head[..n].starts_with(b"MSCF") {
        let data = unpack_cab(f, opts.max_file_size).map_err(named)?;
        if data.starts_with(b"MODULE ") {
            return Err(SymError::Corrupt(format!(
                "{}: Breakpad text symbols in a CAB, no PDB type stream",
                path.display()
            )));
        }
        return types::read(std::io::Cursor::new(data), &name, names, expected).map_err(named);
    }
    types::read(f, &name, names, expected).map_err(named)
}

/// Unpacks the single file of a SymStore `.pd_` cabinet into memory (bounded; the shared reader
/// of `coroner-cab`), a panic of the decompressor caught as a corrupt file.
fn unpack_cab(f: std::fs::File, limit: u64) -> Result<Vec<u8>, SymError> {
    let r = coroner_model::guard::catch_quiet(|| -> Result<Vec<u8>, SymError> {
        let bad = |e: coroner_cab::CabError| match e {
            coroner_cab::CabError::TooLarge { size, limit, .. } => {
                SymError::TooLarge { size, limit }
            }
            coroner_cab::CabError::Io(e) => SymError::Corrupt(format!("CAB: {e}")),
        };
        let mut cab = coroner_cab::Cabinet::open(std::io::BufReader::new(f)).map_err(bad)?;
        let first = cab
            .members()
            .into_iter()
            .next()
            .ok_or_else(|| SymError::Corrupt("CAB holds no file".into()))?;
        cab.read_to_vec(&first, limit).map_err(bad)
    });
    r.unwrap_or_else(|why| {
        Err(SymError::Corrupt(format!(
            "CAB decompressor failed on this file ({why})"
        )))
    })
}

/// Reads a PE file's TimeDateStamp and SizeOfImage (for images found by name) from its headers
/// as coroner-pe parses them (PE32 or PE32+), reading only the header bytes it asks for.
fn pe_identity(path: &Path) -> Option<(u32, u32)> {
    let f = std::fs::File::open(path).ok()?;
    let image = coroner_pe::PeImage::parse(
        &FileHeaders(std::cell::RefCell::new(f)),
        0,
        coroner_pe::Layout::File,
    )
    .ok()?;
    Some((image.timestamp, image.size_of_image))
}

/// A file as [`coroner_pe::Memory`] addressed by file offset, read on demand: header parsing
/// asks for a few small ranges (their sizes bounded by coroner-pe), so the whole image is
/// neither read nor mapped.
struct FileHeaders(std::cell::RefCell<std::fs::File>);

impl coroner_pe::Memory for FileHeaders {
    fn read(&self, addr: u64, len: usize) -> Option<std::borrow::Cow<'_, [u8]>> {
        let mut f = self.0.borrow_mut();
        f.seek(std::io::SeekFrom::Start(addr)).ok()?;
        let mut buf = vec![0u8; len];
        f.read_exact(&mut buf).ok()?;
        Some(std::borrow::Cow::Owned(buf))
    }
}

/// Relative places of a module's symbol files in a SymStore / Breakpad store, most wanted first.
fn store_keys(m: &ModuleId, server: bool) -> Vec<String> {
    let mut out = Vec::new();
    let Some(id) = m.normalized_debug_id() else {
        return out;
    };
    let dn = m.debug_name();
    let sym = m.sym_name();
    let is_pdb = strip_ext(&dn, ".pdb").is_some();
    let sym_key = format!("{dn}/{id}/{sym}");
    if !server {
        out.push(sym_key.clone());
    }
    if is_pdb {
        out.push(format!("{dn}/{id}/{dn}"));
        let mut cab = dn.clone();
        cab.pop();
        cab.push('_');
        out.push(format!("{dn}/{id}/{cab}"));
    }
    if server {
        out.push(sym_key);
    }
    // Breakpad stores for ELF/Mach-O debug files name the folder without `.pdb`.
    if let Some(stem) = strip_ext(&dn, ".pdb") {
        let k = format!("{stem}/{id}/{sym}");
        if !server {
            out.push(k);
        }
    }
    out
}

/// Most entries read from a symbol folder to index it; a bigger folder is probed file by file.
const MAX_INDEXED_ENTRIES: usize = 500_000;

/// A folder's entries by lower-cased name, each with its name as spelled on disk.
type DirIndex = HashMap<String, std::ffi::OsString>;

/// The names at the top of a symbol folder (see [`DirIndex`]), so that a module with no symbols
/// there costs one hash lookup instead of a `stat` per candidate path. `None`: not listable or
/// too big.
fn index_dir(dir: &Path) -> Option<DirIndex> {
    let mut names = DirIndex::new();
    for e in std::fs::read_dir(dir).ok()? {
        let e = e.ok()?;
        if names.len() >= MAX_INDEXED_ENTRIES {
            return None;
        }
        let name = e.file_name();
        names.insert(name.to_string_lossy().to_ascii_lowercase(), name);
    }
    Some(names)
}

/// Candidate symbol files in a local directory, relative to it (`/`-separated).
fn local_candidates(two_tier: bool, m: &ModuleId) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |k: String| {
        if !out.contains(&k) {
            out.push(k);
        }
    };
    for key in store_keys(m, false) {
        for k in [key.clone(), key.to_ascii_lowercase()] {
            if two_tier {
                let prefix: String = k.chars().take(2).collect();
                push(format!("{prefix}/{k}"));
            }
            push(k);
        }
    }
    // Plain folder.
    let dn = m.debug_name();
    for name in [m.sym_name(), dn.clone()] {
        if name.ends_with(".sym") || strip_ext(&name, ".pdb").is_some() {
            push(name.to_ascii_lowercase());
            push(name);
        }
    }
    out
}

/// Most id folders under one name looked at when matching by code id.
const MAX_IDS_PER_NAME: usize = 64;

/// `.sym` files under `dir/<debug name>/*/` (Breakpad store layout), for a module without a debug
/// id: at most [`MAX_IDS_PER_NAME`] of them, in name order.
fn code_id_candidates(dir: &Path, index: Option<&DirIndex>, m: &ModuleId) -> Vec<PathBuf> {
    let dn = m.debug_name();
    let sym = m.sym_name();
    let mut folders = vec![dn.clone()];
    if let Some(stem) = strip_ext(&dn, ".pdb") {
        folders.push(stem.to_string());
    }
    let mut out = Vec::new();
    for f in folders {
        // The folder as it is spelled on disk.
        let real: std::ffi::OsString = match index {
            Some(names) => match names.get(&f.to_ascii_lowercase()) {
                Some(n) => n.clone(),
                None => continue,
            },
            None => match [f.clone(), f.to_ascii_lowercase()]
                .into_iter()
                .find(|n| dir.join(n).is_dir())
            {
                Some(n) => n.into(),
                None => continue,
            },
        };
        let Ok(rd) = std::fs::read_dir(dir.join(&real)) else {
            continue;
        };
        let mut ids: Vec<PathBuf> = rd
            .flatten()
            .take(MAX_IDS_PER_NAME)
            .map(|e| e.path())
            .collect();
        ids.sort();
        for id in ids {
            for name in [sym.clone(), sym.to_ascii_lowercase()] {
                let p = id.join(name);
                if p.is_file() && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Where images lie in a store: `name.dll/TIMESTAMPSIZE/name.dll`.
fn image_key(m: &ModuleId) -> Option<String> {
    let cn = m.code_name();
    (!cn.is_empty()).then_some(())?;
    Some(format!("{cn}/{}/{cn}", m.code_id()?))
}

type Loaded = Option<Arc<ModuleSymbols>>;

/// Symbol lookup for one analysis: lazily, once per module, thread-safe.
pub struct Symbols {
    path: SymbolPath,
    opts: Options,
    loaded: Mutex<HashMap<ModuleId, Loaded>>,
    searched: Mutex<Vec<(String, Vec<String>)>>,
    /// URLs that answered 404 this session.
    missing: Mutex<HashSet<String>>,
    /// Servers that failed (timeout, refused) this session: not asked again.
    dead: Mutex<HashSet<String>>,
    http: OnceLock<http::Http>,
    requests: AtomicUsize,
    /// Top-level listings of local symbol folders ([`index_dir`]); a folder's entry is dropped
    /// when a download adds to it.
    dir_index: Mutex<HashMap<PathBuf, Option<Arc<DirIndex>>>>,
}

impl Symbols {
    pub fn new(path: SymbolPath, opts: Options) -> Self {
        Symbols {
            path,
            opts,
            loaded: Mutex::default(),
            searched: Mutex::default(),
            missing: Mutex::default(),
            dead: Mutex::default(),
            http: OnceLock::new(),
            requests: AtomicUsize::new(0),
            dir_index: Mutex::default(),
        }
    }

    /// The symbol path in use.
    pub fn path(&self) -> &SymbolPath {
        &self.path
    }

    /// The lookup settings in use (to start a fresh lookup with the same ones: a `Symbols`
    /// remembers the modules it found no symbols for, and a long-running server that gains
    /// symbol files must look again).
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// HTTP requests made so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Modules whose symbols were looked for and not found, with every place looked (and why a
    /// file there was refused), in lookup order.
    pub fn searched(&self) -> Vec<(String, Vec<String>)> {
        self.searched.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn downloads_dir(&self) -> Option<PathBuf> {
        self.opts.cache_dir.as_ref().map(|c| c.join("downloads"))
    }

    fn parsed_path(&self, m: &ModuleId, key: &str) -> Option<PathBuf> {
        if !self.opts.use_parsed_cache {
            return None;
        }
        let dir = self.opts.cache_dir.as_ref()?.join("parsed");
        Some(
            dir.join(cache::safe_name(&m.debug_name()))
                .join(format!("{key}.csym")),
        )
    }

    /// Cache keys by identity: debug id, else code id.
    fn identity_keys(m: &ModuleId) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(id) = m.normalized_debug_id() {
            v.push(format!("id-{id}"));
        } else if let Some(c) = m.code_id() {
            v.push(format!("code-{c}"));
        }
        v
    }

    fn file_key(path: &Path) -> Option<String> {
        let md = std::fs::metadata(path).ok()?;
        let mtime = md
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let h = cache::fnv(&[
            abs.to_string_lossy().as_bytes(),
            &md.len().to_le_bytes(),
            &mtime.to_le_bytes(),
        ]);
        Some(format!("file-{h:016x}"))
    }

    fn read_cached(&self, p: &Path) -> Option<ModuleSymbols> {
        let c = cache::load(p)?;
        Some(ModuleSymbols {
            source: c.source,
            file: c.file,
            matched: c.matched,
            from_cache: true,
            warnings: Warnings::default(),
            table: c.table,
        })
    }

    /// Looks up symbols for a module (once; later calls answer from memory). `Ok(None)`: none
    /// found; [`Self::searched`] tells where it looked. Errors are reserved for the caller's
    /// misuse; damaged files found along the way are skipped and listed in `searched`.
    pub fn load(&self, m: &ModuleId) -> Result<Option<Arc<ModuleSymbols>>, SymError> {
        if let Some(hit) = self.loaded.lock().ok().and_then(|l| l.get(m).cloned()) {
            return Ok(hit);
        }
        let mut looked = Vec::new();
        let found = self.find(m, &mut looked).map(Arc::new);
        if found.is_none() {
            if let Ok(mut s) = self.searched.lock() {
                s.push((m.code_name().to_string(), looked));
            }
        }
        if let Ok(mut l) = self.loaded.lock() {
            l.insert(m.clone(), found.clone());
        }
        Ok(found)
    }

    fn find(&self, m: &ModuleId, looked: &mut Vec<String>) -> Option<ModuleSymbols> {
        for key in Self::identity_keys(m) {
            if let Some(p) = self.parsed_path(m, &key) {
                if let Some(ms) = self.read_cached(&p) {
                    return Some(ms);
                }
            }
        }
        let mut default_cache = self.downloads_dir();
        for entry in &self.path.entries {
            match entry {
                Entry::Local(dir) => {
                    if let Some(ms) = self.search_dir(dir, m, looked) {
                        return Some(ms);
                    }
                }
                Entry::Cache(dir) => {
                    if let Some(d) = dir {
                        default_cache = Some(d.clone());
                    }
                    if let Some(d) = &default_cache {
                        if let Some(ms) = self.search_dir(d, m, looked) {
                            return Some(ms);
                        }
                    }
                }
                Entry::Server { caches, upstream } => {
                    let caches: Vec<PathBuf> = if caches.is_empty() {
                        default_cache.iter().cloned().collect()
                    } else {
                        caches
                            .iter()
                            .filter_map(|c| c.clone().or_else(|| default_cache.clone()))
                            .collect()
                    };
                    for c in &caches {
                        if let Some(ms) = self.search_dir(c, m, looked) {
                            return Some(ms);
                        }
                    }
                    if path::is_url(upstream) {
                        if let Some(ms) = self.search_server(upstream, caches.first(), m, looked) {
                            return Some(ms);
                        }
                    } else if let Some(ms) = self.search_dir(Path::new(upstream), m, looked) {
                        return Some(ms);
                    }
                }
            }
        }
        None
    }

    /// Opens a candidate, through the parsed cache; writes the cache after a parse.
    fn try_file(&self, p: &Path, m: &ModuleId, looked: &mut Vec<String>) -> Option<ModuleSymbols> {
        let file_key = Self::file_key(p);
        if let Some(k) = &file_key {
            if let Some(cp) = self.parsed_path(m, k) {
                if let Some(mut ms) = self.read_cached(&cp) {
                    // Cached by file, possibly for a module that had no id to check: check now.
                    match reverify(&mut ms, m) {
                        Ok(()) => return Some(ms),
                        Err(e) => {
                            looked.push(format!("{}: {e}", p.display()));
                            return None;
                        }
                    }
                }
            }
        }
        match open_file(p, Some(m), &self.opts) {
            Ok(ms) => {
                let key = match ms.matched {
                    Match::DebugId | Match::CodeId => Self::identity_keys(m).into_iter().next(),
                    Match::Unverified => None,
                }
                .or(file_key);
                if let Some(cp) = key.and_then(|k| self.parsed_path(m, &k)) {
                    let bytes = cache::encode(&ms.table, ms.source, ms.matched, &ms.file);
                    if let Err(e) = cache::store(&cp, &bytes) {
                        looked.push(format!("{}: cannot write cache: {e}", cp.display()));
                    }
                }
                Some(ms)
            }
            Err(e) => {
                looked.push(format!("{}: {e}", p.display()));
                None
            }
        }
    }

    fn search_dir(
        &self,
        dir: &Path,
        m: &ModuleId,
        looked: &mut Vec<String>,
    ) -> Option<ModuleSymbols> {
        looked.push(dir.display().to_string());
        let index = self.dir_index(dir)?;
        let two_tier = match &index {
            Some(names) => names.contains_key("index2.txt"),
            None => dir.join("index2.txt").is_file(),
        };
        for rel in local_candidates(two_tier, m) {
            // Skip candidates whose first component the folder does not have.
            if let Some(names) = &index {
                let first = rel.split('/').next().unwrap_or("");
                if !names.contains_key(&first.to_ascii_lowercase()) {
                    continue;
                }
            }
            let p = dir.join(&rel);
            if p.is_file() {
                if let Some(ms) = self.try_file(&p, m, looked) {
                    return Some(ms);
                }
            }
        }
        // No debug id to name the folder: a Breakpad store keeps `name.pdb/<id>/name.sym`;
        // look at the few ids stored for this name and match the file's INFO CODE_ID.
        if m.normalized_debug_id().is_none() && m.code_id().is_some() {
            for p in code_id_candidates(dir, index.as_deref(), m) {
                if let Some(ms) = self.try_file(&p, m, looked) {
                    if ms.matched == Match::CodeId {
                        return Some(ms);
                    }
                }
            }
        }
        None
    }

    /// The folder's index: `None` when it is not a folder, `Some(None)` when it cannot be
    /// indexed (probe every candidate).
    #[allow(clippy::option_option)]
    fn dir_index(&self, dir: &Path) -> Option<Option<Arc<DirIndex>>> {
        if let Some(hit) = self.dir_index.lock().ok().and_then(|m| m.get(dir).cloned()) {
            return Some(hit);
        }
        if !dir.is_dir() {
            return None;
        }
        let idx = index_dir(dir).map(Arc::new);
        if let Ok(mut m) = self.dir_index.lock() {
            m.insert(dir.to_path_buf(), idx.clone());
        }
        Some(idx)
    }

    fn http(&self) -> &http::Http {
        self.http.get_or_init(|| {
            http::Http::new(
                self.opts.connect_timeout,
                self.opts.request_timeout,
                self.opts.max_download,
            )
        })
    }

    /// Fetches `key` from a server into `cache`; `Some(path)` when it is there now.
    fn fetch(
        &self,
        url: &str,
        cache: &Path,
        key: &str,
        looked: &mut Vec<String>,
    ) -> Option<PathBuf> {
        let base = url.trim_end_matches('/');
        let full = format!("{base}/{key}");
        if self.dead.lock().map(|d| d.contains(base)).unwrap_or(false) {
            return None;
        }
        if self
            .missing
            .lock()
            .map(|s| s.contains(&full))
            .unwrap_or(false)
        {
            return None;
        }
        let dest = cache.join(key);
        self.requests.fetch_add(1, Ordering::Relaxed);
        // The cache folder changes: list it again next time.
        if let Ok(mut m) = self.dir_index.lock() {
            m.remove(cache);
        }
        match self.http().fetch(&full, &dest) {
            http::Fetch::Got => Some(dest),
            http::Fetch::NotFound => {
                looked.push(format!("{full}: not found"));
                if let Ok(mut s) = self.missing.lock() {
                    s.insert(full);
                }
                None
            }
            http::Fetch::Failed(e) => {
                looked.push(format!("{full}: {e}; not asking {base} again this session"));
                if let Ok(mut d) = self.dead.lock() {
                    d.insert(base.to_string());
                }
                None
            }
        }
    }

    fn search_server(
        &self,
        url: &str,
        cache: Option<&PathBuf>,
        m: &ModuleId,
        looked: &mut Vec<String>,
    ) -> Option<ModuleSymbols> {
        if !self.opts.allow_network {
            looked.push(format!("{url}: network not allowed"));
            return None;
        }
        let Some(cache) = cache else {
            looked.push(format!("{url}: no cache directory to download into"));
            return None;
        };
        let mut keys = store_keys(m, true);
        // No debug id (a dump without CodeView records, e.g. from Wine): Tecken-style servers
        // also answer by code file and code id.
        if keys.is_empty() {
            if let Some(code) = m.code_id().filter(|_| !m.code_name().is_empty()) {
                keys.push(format!("{}/{code}/{}", m.code_name(), m.sym_name()));
            }
        }
        for key in keys {
            if let Some(p) = self.fetch(url, cache, &key, looked) {
                if let Some(ms) = self.try_file(&p, m, looked) {
                    return Some(ms);
                }
            }
        }
        None
    }

    /// The layouts of the structs `names` from the PDB of module `m`, found as [`Self::load`]
    /// finds it (`Ok(None)`: no PDB for the module, or its symbols are Breakpad text). The PDB
    /// is opened again for its type stream, which the symbol table does not keep.
    pub fn struct_layouts(
        &self,
        m: &ModuleId,
        names: &[&str],
    ) -> Result<Option<TypeLayouts>, SymError> {
        let Some(ms) = self.load(m)? else {
            return Ok(None);
        };
        if !matches!(ms.source, Source::Pdb { .. }) {
            return Ok(None);
        }
        let want = m.normalized_debug_id();
        read_struct_layouts(&ms.file, names, want.as_deref(), &self.opts).map(Some)
    }

    /// Finds the image file itself (`name.dll/TIMESTAMPSIZE/name.dll` in stores and servers,
    /// `dir/name.dll` in plain folders, checked against the dump's timestamp and size), e.g.
    /// to read unwind data the dump did not capture.
    pub fn find_image(&self, m: &ModuleId) -> Option<PathBuf> {
        let cn = m.code_name().to_string();
        let key = image_key(m);
        let check = |p: &Path| {
            p.is_file()
                && match pe_identity(p) {
                    Some((ts, size)) => {
                        m.code_id().is_none() || (ts == m.timestamp && size == m.image_size)
                    }
                    None => false,
                }
        };
        let mut looked = Vec::new();
        let mut default_cache = self.downloads_dir();
        for entry in &self.path.entries {
            let (dirs, url): (Vec<PathBuf>, Option<&str>) = match entry {
                Entry::Local(d) => (vec![d.clone()], None),
                Entry::Cache(d) => {
                    if let Some(d) = d {
                        default_cache = Some(d.clone());
                    }
                    (default_cache.iter().cloned().collect(), None)
                }
                Entry::Server { caches, upstream } => {
                    let mut c: Vec<PathBuf> = caches
                        .iter()
                        .filter_map(|c| c.clone().or_else(|| default_cache.clone()))
                        .collect();
                    if caches.is_empty() {
                        c.extend(default_cache.clone());
                    }
                    if path::is_url(upstream) {
                        (c, Some(upstream.as_str()))
                    } else {
                        c.push(PathBuf::from(upstream));
                        (c, None)
                    }
                }
            };
            for d in &dirs {
                if let Some(k) = &key {
                    let p = d.join(k);
                    if check(&p) {
                        return Some(p);
                    }
                }
                let p = d.join(&cn);
                if check(&p) {
                    return Some(p);
                }
            }
            if let (Some(url), Some(k), Some(cache)) = (url, &key, dirs.first()) {
                if self.opts.allow_network {
                    if let Some(p) = self.fetch(url, cache, k, &mut looked) {
                        if check(&p) {
                            return Some(p);
                        }
                    }
                }
            }
        }
        None
    }
}
