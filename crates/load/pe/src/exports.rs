//! Export table reading and WinDbg-style `module!export+offset` lookup, eagerly: every export
//! with its name, for listings (`x MODULE!*`). Lookups of one address or name use the lazy
//! [`crate::ExportDirectory`], which reads only what the answer needs.

use object::pe;
use object::read::pe::ExportTable;
use object::LittleEndian as LE;

use crate::{lossy, read_pod, AlignedBytes, DataDirectory, Memory, PeError, PeImage, DIR_EXPORT};

/// Cap on `NumberOfFunctions` (ordinals are 16-bit).
pub const MAX_EXPORT_FUNCTIONS: u32 = 0x1_0000;
/// Cap on `NumberOfNames` (aliases may exceed the function count).
pub const MAX_EXPORT_NAMES: u32 = 0x2_0000;
/// Longest export name kept (MSVC decorated names reach 4096).
pub const MAX_EXPORT_NAME_LEN: usize = 4096;
/// Longest forwarder string kept.
pub const MAX_FORWARDER_LEN: usize = 1024;
/// Longest DLL name kept.
pub const MAX_DLL_NAME_LEN: usize = 512;
/// Largest export directory copied whole for `object`'s parser.
pub(crate) const MAX_EXPORT_DIR_COPY: u32 = 16 << 20;
/// Total bytes of names read through [`Memory`] before giving up on the rest.
pub(crate) const NAME_BYTE_BUDGET: usize = 32 << 20;

/// One export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// RVA of the export (for a forwarder: RVA of the forwarder string).
    pub rva: u32,
    /// Ordinal (`Base` + index into the address table).
    pub ordinal: u32,
    /// Name, or `Ordinal<n>` for ordinal-only exports.
    pub name: String,
    /// False if the name was synthesised from the ordinal.
    pub named: bool,
    /// `DLL.Function` / `DLL.#ordinal` for forwarded exports.
    pub forwarder: Option<String>,
}

/// Result of [`Exports::lookup_detailed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportLookup<'a> {
    /// Export name (`Ordinal<n>` if unnamed).
    pub name: &'a str,
    /// Distance from the export's RVA to the looked-up RVA.
    pub offset: u32,
    /// The export's RVA.
    pub export_rva: u32,
    /// RVA of the next higher (non-forwarded) export, if any: an offset
    /// reaching it is impossible, one that is large relative to the gap (or
    /// absolute, e.g. > 0x10000) suggests the RVA is in an unexported function.
    pub next_export_rva: Option<u32>,
}

/// The export table of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exports {
    /// The DLL's own name from the export directory.
    pub dll_name: Option<String>,
    /// Ordinal base.
    pub ordinal_base: u32,
    /// `TimeDateStamp` of the export directory.
    pub timestamp: u32,
    /// Entries sorted by RVA (then named before ordinal-only, then by name);
    /// private so the lookup index cannot go stale.
    entries: Vec<Export>,
    /// `SizeOfImage` of the image (lookups beyond it fail); 0 = unknown.
    pub size_of_image: u32,
    /// Things that could not be read or were corrupt; the entries are what
    /// could be recovered.
    pub problems: Vec<String>,
    /// Indices into `entries` of non-forwarded exports (sorted by RVA).
    code_index: Vec<usize>,
}

impl Exports {
    /// Build from entries (sorts them). For callers with exports from another source.
    pub fn from_entries(mut entries: Vec<Export>, size_of_image: u32) -> Exports {
        entries.sort_by(|a, b| {
            (a.rva, !a.named, &a.name, a.ordinal).cmp(&(b.rva, !b.named, &b.name, b.ordinal))
        });
        let code_index = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.forwarder.is_none())
            .map(|(i, _)| i)
            .collect();
        Exports {
            entries,
            size_of_image,
            code_index,
            ..Exports::default()
        }
    }

    /// All exports, sorted by RVA (then named before ordinal-only, then by
    /// name). Forwarders are included (their RVA is the forwarder string's).
    pub fn entries(&self) -> &[Export] {
        &self.entries
    }

    /// Nearest export at or below `rva` within the image and not a
    /// forwarder: `(name, offset)`. WinDbg style. The caller decides whether
    /// the offset is implausibly large (see [`Exports::lookup_detailed`]).
    pub fn lookup(&self, rva: u32) -> Option<(&str, u32)> {
        self.lookup_detailed(rva).map(|l| (l.name, l.offset))
    }

    /// Like [`Exports::lookup`], also giving the export's RVA and the next one's.
    pub fn lookup_detailed(&self, rva: u32) -> Option<ExportLookup<'_>> {
        if self.size_of_image != 0 && rva >= self.size_of_image {
            return None;
        }
        let rva_of = |k: usize| -> Option<u32> {
            let i = *self.code_index.get(k)?;
            Some(self.entries.get(i)?.rva)
        };
        let p = self
            .code_index
            .partition_point(|&i| self.entries.get(i).is_some_and(|e| e.rva <= rva));
        let mut k = p.checked_sub(1)?;
        let export_rva = rva_of(k)?;
        // First entry of the group sharing this RVA (named ones sort first).
        while k > 0 && rva_of(k - 1) == Some(export_rva) {
            k -= 1;
        }
        let e = self.entries.get(*self.code_index.get(k)?)?;
        let next_export_rva = (p..self.code_index.len())
            .filter_map(rva_of)
            .find(|&r| r > export_rva);
        Some(ExportLookup {
            name: &e.name,
            offset: rva - e.rva,
            export_rva,
            next_export_rva,
        })
    }

    /// First export with this name.
    pub fn by_name(&self, name: &str) -> Option<&Export> {
        self.entries.iter().find(|e| e.named && e.name == name)
    }

    /// First export with this ordinal.
    pub fn by_ordinal(&self, ordinal: u32) -> Option<&Export> {
        self.entries.iter().find(|e| e.ordinal == ordinal)
    }
}

/// Raw tables gathered by either path.
struct RawTables {
    addresses: Vec<u32>,
    names: Vec<(u32, u16)>,
}

/// Reads the export directory: the DLL name, every exported address with its ordinal and names
/// (forwarders as strings), and what was wrong with the tables.
pub(crate) fn read_exports(img: &PeImage, mem: &dyn Memory) -> Result<Exports, PeError> {
    let dir = img
        .data_dir(DIR_EXPORT)
        .ok_or(PeError::Missing("export directory"))?;
    let hsize = std::mem::size_of::<pe::ImageExportDirectory>();
    let hbytes = img
        .read_rva(mem, dir.virtual_address, hsize)
        .ok_or(PeError::Unreadable {
            what: "export directory",
            addr: u64::from(dir.virtual_address),
            len: hsize,
        })?;
    let hdr: pe::ImageExportDirectory =
        read_pod(&hbytes).ok_or(PeError::Malformed("export directory"))?;
    let mut problems = Vec::new();
    let (copy, raw) = gather_tables(img, mem, dir, &hdr, &mut problems)?;

    let mut names = NameReader {
        img,
        mem,
        dir,
        dir_bytes: copy.as_ref().map(|c| c.as_slice()),
        budget: NAME_BYTE_BUDGET,
    };
    let dll_name = match hdr.name.get(LE) {
        0 => None,
        rva => names.read(rva, MAX_DLL_NAME_LEN),
    };
    let names_of = names_by_index(&raw, &mut names, &mut problems);
    let ordinal_base = hdr.base.get(LE);
    let entries = export_entries(&raw, names_of, ordinal_base, &mut names, &mut problems);

    let mut ex = Exports::from_entries(entries, img.size_of_image);
    ex.dll_name = dll_name;
    ex.ordinal_base = ordinal_base;
    ex.timestamp = hdr.time_date_stamp.get(LE);
    ex.problems = problems;
    Ok(ex)
}

/// The address and name tables. Fast path: the whole directory is present and `object` parses
/// it; the copy it parsed is returned too (names inside the directory are read from it).
/// Otherwise the tables are read one by one ([`read_tables_slow`]) and no copy is kept.
fn gather_tables(
    img: &PeImage,
    mem: &dyn Memory,
    dir: DataDirectory,
    hdr: &pe::ImageExportDirectory,
    problems: &mut Vec<String>,
) -> Result<(Option<AlignedBytes>, RawTables), PeError> {
    let mut copy = None;
    if dir.size <= MAX_EXPORT_DIR_COPY {
        if let Some(b) = img.read_rva(mem, dir.virtual_address, dir.size as usize) {
            copy = Some(AlignedBytes::new(&b));
        }
    }
    let table = copy
        .as_ref()
        .and_then(|c| ExportTable::parse(c.as_slice(), dir.virtual_address).ok());
    let raw = match &table {
        Some(t) => {
            if t.name_pointers().len() > MAX_EXPORT_NAMES as usize {
                problems.push(format!(
                    "export NumberOfNames {:#x} exceeds cap {MAX_EXPORT_NAMES:#x}; extra names ignored",
                    t.name_pointers().len()
                ));
            }
            RawTables {
                addresses: t.addresses().iter().map(|a| a.get(LE)).collect(),
                names: t
                    .name_iter()
                    .take(MAX_EXPORT_NAMES as usize)
                    .map(|(p, i)| (p, i.0))
                    .collect(),
            }
        }
        None => read_tables_slow(img, mem, hdr, problems)?,
    };
    let parsed = table.is_some();
    Ok((copy.filter(|_| parsed), raw))
}

/// Reads the strings of an export directory: those inside the directory from the parsed copy,
/// others through [`Memory`]. Every scan is capped, and all scans share one byte budget so that
/// hostile tables cannot make this slow.
struct NameReader<'a> {
    img: &'a PeImage,
    mem: &'a dyn Memory,
    dir: DataDirectory,
    dir_bytes: Option<&'a [u8]>,
    budget: usize,
}

impl NameReader<'_> {
    /// Whether `rva` lies inside the export directory (an address there is a forwarder).
    fn in_dir(&self, rva: u32) -> bool {
        rva.checked_sub(self.dir.virtual_address)
            .is_some_and(|o| o < self.dir.size)
    }

    /// The NUL-terminated string at `rva`, at most `max` bytes (and what is left of the budget).
    fn read(&mut self, rva: u32, max: usize) -> Option<String> {
        let max = max.min(self.budget);
        if max == 0 {
            return None;
        }
        let found = match (self.dir_bytes, self.in_dir(rva)) {
            (Some(d), true) => {
                let s = d.get((rva - self.dir.virtual_address) as usize..)?;
                let s = s.get(..s.len().min(max + 1))?;
                s.iter()
                    .position(|&b| b == 0)
                    .and_then(|p| s.get(..p))
                    .map(<[u8]>::to_vec)
            }
            _ => self.img.read_cstr(self.mem, rva, max),
        };
        match found {
            Some(b) => {
                self.budget = self.budget.saturating_sub(b.len() + 1);
                Some(lossy(&b))
            }
            None => {
                self.budget = self.budget.saturating_sub(max);
                None
            }
        }
    }
}

/// The names of each address-table entry, from the name table; ordinals outside the address
/// table and unreadable names are counted into `problems`.
fn names_by_index(
    raw: &RawTables,
    names: &mut NameReader<'_>,
    problems: &mut Vec<String>,
) -> Vec<Vec<String>> {
    let mut names_of: Vec<Vec<String>> = vec![Vec::new(); raw.addresses.len()];
    let (mut bad_index, mut bad_name) = (0usize, 0usize);
    for &(name_rva, idx) in &raw.names {
        let Some(slot) = names_of.get_mut(usize::from(idx)) else {
            bad_index += 1;
            continue;
        };
        match names.read(name_rva, MAX_EXPORT_NAME_LEN) {
            Some(n) => slot.push(n),
            None => bad_name += 1,
        }
    }
    if bad_index > 0 {
        problems.push(format!(
            "{bad_index} export name ordinals point outside the address table"
        ));
    }
    if bad_name > 0 {
        problems.push(format!("{bad_name} export names unreadable"));
    }
    names_of
}

/// One entry per name of each non-zero address (`OrdinalN` when it has none), with its
/// forwarder string when the address lies inside the directory.
fn export_entries(
    raw: &RawTables,
    names_of: Vec<Vec<String>>,
    ordinal_base: u32,
    names: &mut NameReader<'_>,
    problems: &mut Vec<String>,
) -> Vec<Export> {
    let mut entries = Vec::new();
    let mut bad_forwarder = 0usize;
    for (i, (&rva, these)) in raw.addresses.iter().zip(names_of).enumerate() {
        if rva == 0 {
            continue;
        }
        let ordinal = ordinal_base.wrapping_add(i as u32);
        let forwarder = if names.in_dir(rva) {
            let f = names.read(rva, MAX_FORWARDER_LEN);
            if f.is_none() {
                bad_forwarder += 1;
            }
            Some(f.unwrap_or_default())
        } else {
            None
        };
        if these.is_empty() {
            entries.push(Export {
                rva,
                ordinal,
                name: format!("Ordinal{ordinal}"),
                named: false,
                forwarder,
            });
        } else {
            for name in these {
                entries.push(Export {
                    rva,
                    ordinal,
                    name,
                    named: true,
                    forwarder: forwarder.clone(),
                });
            }
        }
    }
    if bad_forwarder > 0 {
        problems.push(format!("{bad_forwarder} forwarder strings unreadable"));
    }
    entries
}

/// Read the address/name/ordinal tables one by one through [`Memory`], for
/// directories that are partly missing or that `object` rejects (tables
/// outside the directory range). The address table is required; missing name
/// tables only cost the names.
fn read_tables_slow(
    img: &PeImage,
    mem: &dyn Memory,
    hdr: &pe::ImageExportDirectory,
    problems: &mut Vec<String>,
) -> Result<RawTables, PeError> {
    let n_funcs = hdr.number_of_functions.get(LE);
    if n_funcs > MAX_EXPORT_FUNCTIONS {
        return Err(PeError::TooLarge {
            what: "export NumberOfFunctions",
            value: u64::from(n_funcs),
            cap: u64::from(MAX_EXPORT_FUNCTIONS),
        });
    }
    let eat_rva = hdr.address_of_functions.get(LE);
    let eat_len = n_funcs as usize * 4;
    let addresses: Vec<u32> = if n_funcs == 0 {
        Vec::new()
    } else {
        let b = img
            .read_rva(mem, eat_rva, eat_len)
            .ok_or(PeError::Unreadable {
                what: "export address table",
                addr: u64::from(eat_rva),
                len: eat_len,
            })?;
        b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };

    let n_names = hdr.number_of_names.get(LE);
    let names_rva = hdr.address_of_names.get(LE);
    let ords_rva = hdr.address_of_name_ordinals.get(LE);
    let mut names = Vec::new();
    if n_names > MAX_EXPORT_NAMES {
        problems.push(format!(
            "export NumberOfNames {n_names:#x} exceeds cap {MAX_EXPORT_NAMES:#x}; names ignored"
        ));
    } else if n_names > 0 && names_rva != 0 && ords_rva != 0 {
        let n = n_names as usize;
        let ptrs = img.read_rva(mem, names_rva, n * 4);
        let ords = img.read_rva(mem, ords_rva, n * 2);
        match (ptrs, ords) {
            (Some(p), Some(o)) => {
                for (pc, oc) in p.chunks_exact(4).zip(o.chunks_exact(2)) {
                    names.push((
                        u32::from_le_bytes([pc[0], pc[1], pc[2], pc[3]]),
                        u16::from_le_bytes([oc[0], oc[1]]),
                    ));
                }
            }
            (None, _) => problems.push(format!(
                "export name pointer table unreadable at rva {names_rva:#x}; names missing"
            )),
            (_, None) => problems.push(format!(
                "export ordinal table unreadable at rva {ords_rva:#x}; names missing"
            )),
        }
    }
    Ok(RawTables { addresses, names })
}

impl PeImage {
    /// The export table. Partly present tables yield what could be read,
    /// with [`Exports::problems`] naming what was missing; an unreadable
    /// directory header or address table is an error.
    pub fn exports(&self, mem: &dyn Memory) -> Result<Exports, PeError> {
        read_exports(self, mem)
    }
}
