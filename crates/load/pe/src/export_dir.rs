//! Lazy, zero-copy export lookup: the export directory's tables are read from the image's memory
//! when a question is asked, for the one module asked about.
//!
//! Hand-written rather than `object`'s `ExportTable`: that parser needs the whole directory
//! copied into aligned memory and its users iterate (and copy) every name, which made reading a
//! full-memory dump cost in proportion to the exports of every module in it. Here the
//! directory's location is kept; the address table is turned into one sorted index of code RVAs
//! (no names) on the first nearest-export lookup; a name is read only for the export that
//! answers; [`ExportDirectory::by_name`] binary-searches the lexically sorted name-pointer table
//! as the Windows loader does. Answers are those of the eager [`crate::Exports`] (the tests
//! compare both on real images); on hostile images they may differ where the eager reader was
//! inconsistent: more than [`MAX_EXPORT_FUNCTIONS`] functions is always refused (the eager
//! reader accepted them when `object` could parse the directory), more than
//! [`MAX_EXPORT_NAMES`] names keeps the first ones (the eager slow path dropped all), and a name
//! table out of order can hide a name from `by_name` (as from the loader).

use std::borrow::Cow;
use std::cell::OnceCell;

use crate::exports::{
    MAX_DLL_NAME_LEN, MAX_EXPORT_DIR_COPY, MAX_EXPORT_FUNCTIONS, MAX_EXPORT_NAMES,
    MAX_EXPORT_NAME_LEN, MAX_FORWARDER_LEN, NAME_BYTE_BUDGET,
};
use crate::{lossy, u16_at, u32_at, Export, Memory, PeError, PeImage, DIR_EXPORT};

/// Size of `IMAGE_EXPORT_DIRECTORY`.
const HEADER_SIZE: usize = 40;
/// No name for this function index (in [`Index::first_name`]).
const NO_NAME: u32 = u32::MAX;
/// This function index has more than one name (aliases): resolved at lookup time.
const MANY_NAMES: u32 = u32::MAX - 1;

/// Where an image's export tables lie; the tables themselves are read on demand.
#[derive(Debug, Clone)]
pub struct ExportDirectory {
    /// RVA and size of the directory (an address inside it is a forwarder string).
    dir_rva: u32,
    dir_size: u32,
    /// `Name` (RVA of the DLL's own name), 0 if none.
    name_rva: u32,
    /// Ordinal base.
    pub ordinal_base: u32,
    /// `TimeDateStamp` of the export directory.
    pub timestamp: u32,
    /// Export address table: RVA and entry count (capped).
    functions_rva: u32,
    n_functions: u32,
    /// Name-pointer and name-ordinal tables: RVAs and entry count (0 when unreadable).
    names_rva: u32,
    ordinals_rva: u32,
    n_names: u32,
    /// Whether any address-table entry is non-zero (an export exists).
    any: bool,
    /// The whole directory is readable and holds the three tables: strings inside it are
    /// taken from its bytes (see [`ExportDirectory::string`]).
    strings_in_dir: bool,
    /// What could not be read; lookups answer from what could.
    pub problems: Vec<String>,
    index: OnceCell<Index>,
}

/// Table or string bytes, borrowed from the memory when they lie contiguously there.
type Bytes<'m> = Cow<'m, [u8]>;

/// Whether every byte of `[rva, rva + len)` can be read, checked page by page (a read spanning
/// several memory ranges would be a copy).
fn readable(img: &PeImage, mem: &dyn Memory, rva: u32, len: u32) -> bool {
    const PAGE: u64 = 0x1000;
    let end = u64::from(rva) + u64::from(len);
    let mut cur = u64::from(rva);
    while cur < end {
        let next = ((cur / PAGE + 1) * PAGE).min(end);
        let Ok(at) = u32::try_from(cur) else {
            return false;
        };
        if img.read_rva(mem, at, (next - cur) as usize).is_none() {
            return false;
        }
        cur = next;
    }
    true
}

fn rva_of(key: u64) -> u32 {
    (key >> 32) as u32
}

/// Built on the first nearest-export lookup: no names, only numbers.
#[derive(Debug, Clone, Default)]
struct Index {
    /// `rva << 32 | function index` of every non-forwarded export, sorted (one integer per
    /// export sorts faster than pairs).
    code: Vec<u64>,
    /// Per function index: the position of its only name in the name tables, [`NO_NAME`] or
    /// [`MANY_NAMES`].
    first_name: Vec<u32>,
}

/// The answer of [`ExportDirectory::lookup`]: the nearest export at or below an RVA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportMatch {
    /// Export name (`Ordinal<n>` if unnamed).
    pub name: String,
    /// Distance from the export's RVA to the looked-up RVA.
    pub offset: u32,
    /// The export's RVA.
    pub export_rva: u32,
    /// RVA of the next higher non-forwarded export, if any.
    pub next_export_rva: Option<u32>,
}

impl PeImage {
    /// The location of the export tables, checked to be readable; nothing else is read. Errors
    /// as [`PeImage::exports`]: no directory, unreadable header or address table, too many
    /// functions.
    pub fn export_directory(&self, mem: &dyn Memory) -> Result<ExportDirectory, PeError> {
        ExportDirectory::locate(self, mem)
    }
}

impl ExportDirectory {
    fn locate(img: &PeImage, mem: &dyn Memory) -> Result<ExportDirectory, PeError> {
        let dir = img
            .data_dir(DIR_EXPORT)
            .ok_or(PeError::Missing("export directory"))?;
        let h = img
            .read_rva(mem, dir.virtual_address, HEADER_SIZE)
            .ok_or(PeError::Unreadable {
                what: "export directory",
                addr: u64::from(dir.virtual_address),
                len: HEADER_SIZE,
            })?;
        let field = |off: usize| u32_at(&h, off).unwrap_or(0);
        // AddressOfFunctions 0: no address table (as `object`, which the eager reader uses).
        let n_functions = if field(28) == 0 { 0 } else { field(20) };
        if n_functions > MAX_EXPORT_FUNCTIONS {
            return Err(PeError::TooLarge {
                what: "export NumberOfFunctions",
                value: u64::from(n_functions),
                cap: u64::from(MAX_EXPORT_FUNCTIONS),
            });
        }
        let mut d = ExportDirectory {
            dir_rva: dir.virtual_address,
            dir_size: dir.size,
            name_rva: field(12),
            ordinal_base: field(16),
            timestamp: field(4),
            functions_rva: field(28),
            n_functions,
            names_rva: field(32),
            ordinals_rva: field(36),
            n_names: field(24),
            any: false,
            strings_in_dir: false,
            problems: Vec::new(),
            index: OnceCell::new(),
        };
        let eat = d.functions(img, mem).ok_or(PeError::Unreadable {
            what: "export address table",
            addr: u64::from(d.functions_rva),
            len: n_functions as usize * 4,
        })?;
        d.any = eat.chunks_exact(4).any(|c| c != [0, 0, 0, 0]);
        d.strings_in_dir = d.tables_in_dir()
            && d.dir_size <= MAX_EXPORT_DIR_COPY
            && readable(img, mem, d.dir_rva, d.dir_size);
        d.check_names(img, mem);
        Ok(d)
    }

    /// Caps the name count and drops the names when their tables cannot be read.
    fn check_names(&mut self, img: &PeImage, mem: &dyn Memory) {
        if self.n_names > MAX_EXPORT_NAMES {
            self.problems.push(format!(
                "export NumberOfNames {:#x} exceeds cap {MAX_EXPORT_NAMES:#x}; extra names ignored",
                self.n_names
            ));
            self.n_names = MAX_EXPORT_NAMES;
        }
        if self.n_names == 0 || self.names_rva == 0 || self.ordinals_rva == 0 {
            self.n_names = 0;
            return;
        }
        let n = self.n_names as usize;
        if img.read_rva(mem, self.names_rva, n * 4).is_none() {
            self.problems.push(format!(
                "export name pointer table unreadable at rva {:#x}; names missing",
                self.names_rva
            ));
            self.n_names = 0;
        } else if img.read_rva(mem, self.ordinals_rva, n * 2).is_none() {
            self.problems.push(format!(
                "export ordinal table unreadable at rva {:#x}; names missing",
                self.ordinals_rva
            ));
            self.n_names = 0;
        }
    }

    /// The address table's bytes (borrowed from the memory when it is contiguous there).
    fn functions<'m>(&self, img: &PeImage, mem: &'m dyn Memory) -> Option<Bytes<'m>> {
        img.read_rva(mem, self.functions_rva, self.n_functions as usize * 4)
    }

    fn name_tables<'m>(
        &self,
        img: &PeImage,
        mem: &'m dyn Memory,
    ) -> Option<(Bytes<'m>, Bytes<'m>)> {
        let n = self.n_names as usize;
        if n == 0 {
            return None;
        }
        Some((
            img.read_rva(mem, self.names_rva, n * 4)?,
            img.read_rva(mem, self.ordinals_rva, n * 2)?,
        ))
    }

    /// Whether the address, name-pointer and ordinal tables lie inside the directory (where
    /// `object`'s parser, which the eager reader uses, expects them).
    fn tables_in_dir(&self) -> bool {
        let inside = |rva: u32, len: u64| {
            rva.checked_sub(self.dir_rva)
                .is_some_and(|o| u64::from(o) + len <= u64::from(self.dir_size))
        };
        let n = u64::from(self.n_names);
        inside(self.functions_rva, u64::from(self.n_functions) * 4)
            && (n == 0 || (inside(self.names_rva, n * 4) && inside(self.ordinals_rva, n * 2)))
    }

    fn is_forwarder(&self, rva: u32) -> bool {
        rva.checked_sub(self.dir_rva)
            .is_some_and(|o| o < self.dir_size)
    }

    /// True when the address table holds no export at all.
    pub fn is_empty(&self) -> bool {
        !self.any
    }

    /// The DLL's own name from the directory.
    pub fn dll_name(&self, img: &PeImage, mem: &dyn Memory) -> Option<String> {
        match self.name_rva {
            0 => None,
            rva => self
                .string(img, mem, rva, MAX_DLL_NAME_LEN)
                .map(|b| lossy(&b)),
        }
    }

    fn index(&self, img: &PeImage, mem: &dyn Memory) -> &Index {
        self.index.get_or_init(|| self.build_index(img, mem))
    }

    fn build_index(&self, img: &PeImage, mem: &dyn Memory) -> Index {
        let mut ix = Index::default();
        let Some(eat) = self.functions(img, mem) else {
            return ix;
        };
        for (i, c) in eat.chunks_exact(4).enumerate() {
            let rva = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            if rva != 0 && !self.is_forwarder(rva) {
                ix.code.push(u64::from(rva) << 32 | i as u64);
            }
        }
        ix.code.sort_unstable();
        ix.first_name = vec![NO_NAME; eat.len() / 4];
        if let Some((_, ords)) = self.name_tables(img, mem) {
            for (j, c) in ords.chunks_exact(2).enumerate() {
                let idx = usize::from(u16::from_le_bytes([c[0], c[1]]));
                if let Some(slot) = ix.first_name.get_mut(idx) {
                    *slot = if *slot == NO_NAME {
                        j as u32
                    } else {
                        MANY_NAMES
                    };
                }
            }
        }
        ix
    }

    /// Nearest non-forwarded export at or below `rva` within the image (WinDbg's
    /// `module!export+offset`), as [`crate::Exports::lookup_detailed`].
    pub fn lookup(&self, img: &PeImage, mem: &dyn Memory, rva: u32) -> Option<ExportMatch> {
        if img.size_of_image != 0 && rva >= img.size_of_image {
            return None;
        }
        let code = &self.index(img, mem).code;
        let p = code.partition_point(|&k| rva_of(k) <= rva);
        let export_rva = rva_of(*code.get(p.checked_sub(1)?)?);
        let next_export_rva = code
            .get(p..)?
            .iter()
            .map(|&k| rva_of(k))
            .find(|&r| r > export_rva);
        Some(ExportMatch {
            name: self.name_at(img, mem, export_rva)?,
            offset: rva - export_rva,
            export_rva,
            next_export_rva,
        })
    }

    /// The name WinDbg gives the non-forwarded export(s) at exactly `rva`: the lexically first
    /// name of any of them, else the first of their `Ordinal<n>` names.
    pub fn name_at(&self, img: &PeImage, mem: &dyn Memory, rva: u32) -> Option<String> {
        let ix = self.index(img, mem);
        let start = ix.code.partition_point(|&k| rva_of(k) < rva);
        let group: Vec<u32> = ix
            .code
            .get(start..)?
            .iter()
            .take_while(|&&k| rva_of(k) == rva)
            .map(|&k| k as u32)
            .collect();
        let only = match group.as_slice() {
            [] => return None,
            [i] => ix.first_name.get(*i as usize).copied(),
            _ => Some(MANY_NAMES),
        };
        let name = match only {
            Some(NO_NAME) | None => None,
            Some(MANY_NAMES) => self.least_name_of(img, mem, &group),
            Some(j) => self.name_bytes(img, mem, j).map(|b| lossy(&b)),
        };
        // The eager reader sorts `Ordinal<n>` names as text: Ordinal11 before Ordinal7.
        name.or_else(|| {
            group
                .iter()
                .map(|&i| format!("Ordinal{}", self.ordinal_base.wrapping_add(i)))
                .min()
        })
    }

    /// The lexically first readable name of any function index in `group` (aliases).
    fn least_name_of(&self, img: &PeImage, mem: &dyn Memory, group: &[u32]) -> Option<String> {
        let (_, ords) = self.name_tables(img, mem)?;
        let mut budget = NAME_BYTE_BUDGET;
        let mut best: Option<String> = None;
        for (j, c) in ords.chunks_exact(2).enumerate() {
            let idx = u32::from(u16::from_le_bytes([c[0], c[1]]));
            if !group.contains(&idx) || budget == 0 {
                continue;
            }
            let Some(b) = self.name_bytes(img, mem, j as u32) else {
                budget = budget.saturating_sub(MAX_EXPORT_NAME_LEN);
                continue;
            };
            budget = budget.saturating_sub(b.len() + 1);
            let s = lossy(&b);
            if best.as_ref().is_none_or(|cur| s < *cur) {
                best = Some(s);
            }
        }
        best
    }

    /// The bytes of name `j` of the name-pointer table (without the NUL).
    fn name_bytes<'m>(&self, img: &PeImage, mem: &'m dyn Memory, j: u32) -> Option<Cow<'m, [u8]>> {
        let at = self.names_rva.checked_add(j.checked_mul(4)?)?;
        let ptr = img.read_rva(mem, at, 4)?;
        self.string(img, mem, u32_at(&ptr, 0)?, MAX_EXPORT_NAME_LEN)
    }

    /// The export with this name: binary search over the name-pointer table, which the format
    /// requires to be sorted (the Windows loader searches it the same way, so a name an unsorted
    /// table hides from the loader is hidden here too). Where a name on the search path cannot
    /// be read, the rest of the range is scanned.
    pub fn by_name(&self, img: &PeImage, mem: &dyn Memory, name: &str) -> Option<Export> {
        let (_, ords) = self.name_tables(img, mem)?;
        let want = name.as_bytes();
        let (mut lo, mut hi) = (0usize, self.n_names as usize);
        let found = loop {
            if lo >= hi {
                return None;
            }
            let mid = lo + (hi - lo) / 2;
            let Some(here) = self.name_bytes(img, mem, mid as u32) else {
                break self.scan_names(img, mem, lo..hi, want)?;
            };
            match here.as_ref().cmp(want) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => break mid,
            }
        };
        let idx = u32::from(u16_at(&ords, found * 2)?);
        self.export_of(img, mem, idx, name)
    }

    /// The first position in `range` of the name-pointer table whose name is `want`, reading
    /// at most [`NAME_BYTE_BUDGET`] bytes of names.
    fn scan_names(
        &self,
        img: &PeImage,
        mem: &dyn Memory,
        range: std::ops::Range<usize>,
        want: &[u8],
    ) -> Option<usize> {
        let mut budget = NAME_BYTE_BUDGET;
        for j in range {
            budget = budget.checked_sub(MAX_EXPORT_NAME_LEN.min(want.len() + 1))?;
            if self
                .name_bytes(img, mem, j as u32)
                .is_some_and(|n| n.as_ref() == want)
            {
                return Some(j);
            }
        }
        None
    }

    /// The NUL-terminated string at `rva` (without the NUL), at most `max` bytes. Inside the
    /// directory it is taken in place from the directory's bytes (as the eager reader takes it
    /// from its copy, so a string may end at the directory's end even where a section ends);
    /// elsewhere it is read in chunks.
    fn string<'m>(
        &self,
        img: &PeImage,
        mem: &'m dyn Memory,
        rva: u32,
        max: usize,
    ) -> Option<Cow<'m, [u8]>> {
        if !(self.strings_in_dir && self.is_forwarder(rva)) {
            return img.read_cstr(mem, rva, max).map(Cow::Owned);
        }
        let rest = (self.dir_rva + self.dir_size - rva) as usize;
        let window = rest.min(max.saturating_add(1));
        let Some(bytes) = img.read_rva(mem, rva, window) else {
            // Across a section end in a file: read as outside the directory.
            return img.read_cstr(mem, rva, max).map(Cow::Owned);
        };
        let end = bytes.iter().position(|&b| b == 0)?;
        Some(match bytes {
            Cow::Borrowed(b) => Cow::Borrowed(b.get(..end)?),
            Cow::Owned(mut v) => {
                v.truncate(end);
                Cow::Owned(v)
            }
        })
    }

    /// The export at function index `idx`, named `name` (`None` for an empty slot).
    fn export_of(&self, img: &PeImage, mem: &dyn Memory, idx: u32, name: &str) -> Option<Export> {
        let eat = self.functions(img, mem)?;
        let rva = u32_at(&eat, idx as usize * 4)?;
        if rva == 0 {
            return None;
        }
        let forwarder = self.is_forwarder(rva).then(|| {
            self.string(img, mem, rva, MAX_FORWARDER_LEN)
                .map(|b| lossy(&b))
                .unwrap_or_default()
        });
        Some(Export {
            rva,
            ordinal: self.ordinal_base.wrapping_add(idx),
            name: name.to_string(),
            named: true,
            forwarder,
        })
    }
}

/// Where the lazy [`ExportDirectory`] and the eager [`crate::Exports`] answer differently on one
/// image: one line per disagreement, empty when they agree. Probes every export's RVA and its
/// neighbours, a stride through the image, every name and near-miss names. For tests on real
/// images (coroner-pe's and coroner-analysis's); costs what reading every export costs.
#[doc(hidden)]
pub fn export_reader_differences(img: &PeImage, mem: &dyn Memory) -> Vec<String> {
    let (ex, dir) = match (img.exports(mem), img.export_directory(mem)) {
        (Ok(ex), Ok(dir)) => (ex, dir),
        (a, b) if a.is_ok() == b.is_ok() => return Vec::new(),
        (a, b) => return vec![format!("eager {:?} vs lazy {:?}", a.err(), b.err())],
    };
    let mut out = Vec::new();
    let mut same = |what: String, a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| {
        let (a, b) = (format!("{a:?}"), format!("{b:?}"));
        if a != b {
            out.push(format!("{what}: eager {a} vs lazy {b}"));
        }
    };
    same("empty".into(), &ex.entries().is_empty(), &dir.is_empty());
    same("dll name".into(), &ex.dll_name, &dir.dll_name(img, mem));
    same("base".into(), &ex.ordinal_base, &dir.ordinal_base);
    same("timestamp".into(), &ex.timestamp, &dir.timestamp);
    let mut probes: Vec<u32> = ex
        .entries()
        .iter()
        .flat_map(|e| [e.rva.wrapping_sub(1), e.rva, e.rva.wrapping_add(1)])
        .collect();
    let stride = (img.size_of_image as usize / 4096).max(0x3f);
    probes.extend((0..=img.size_of_image).step_by(stride));
    probes.extend([img.size_of_image.wrapping_sub(1), u32::MAX]);
    for rva in probes {
        let a = ex.lookup_detailed(rva).map(|l| {
            (
                l.name.to_string(),
                l.offset,
                l.export_rva,
                l.next_export_rva,
            )
        });
        let b = dir
            .lookup(img, mem, rva)
            .map(|l| (l.name, l.offset, l.export_rva, l.next_export_rva));
        same(format!("lookup {rva:#x}"), &a, &b);
    }
    // `Exports::by_name` (the first named entry), without its linear search per name.
    let mut first = std::collections::HashMap::new();
    for e in ex.entries().iter().filter(|e| e.named) {
        first.entry(e.name.as_str()).or_insert(e);
    }
    for e in ex.entries().iter().filter(|e| e.named) {
        let shorter = e.name.get(..e.name.len().saturating_sub(1)).unwrap_or("");
        for name in [e.name.clone(), format!("{}~", e.name), shorter.to_string()] {
            let a = first.get(name.as_str()).copied();
            let b = dir.by_name(img, mem, &name);
            same(format!("by_name {name:?}"), &a, &b.as_ref());
        }
    }
    out
}
