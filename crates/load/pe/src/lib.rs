//! Reading PE images (EXE/DLL) from a crashed process's memory or from files.
//!
//! Images are reached through the [`Memory`] trait. In [`Layout::Mapped`] the
//! image lies as the Windows loader mapped it (offsets inside the image are
//! RVAs) and may be only partly present; in [`Layout::File`] it lies as on disk
//! and RVAs are translated to file offsets through the section table.
//!
//! All input is treated as hostile: nothing here panics on malformed data,
//! indexes out of bounds, or allocates a size taken from the input without
//! first checking it against a cap and against what can actually be read.
//!
//! Low-level structure definitions come from `object::pe`; where `object`
//! has a parser that fits (export table, resource directory) it is used.

use std::borrow::Cow;

use object::pe;
use object::pod::Pod;
use object::LittleEndian as LE;

mod arm64;
mod debug;
mod export_dir;
mod exports;
mod fuzz;
mod imports;
mod resource;
mod unwind;
mod version;

pub use arm64::{
    arm64_virtual_unwind, decode_codes as arm64_decode_codes, expand_packed as arm64_expand_packed,
    Arm64Epilog, Arm64Op, Arm64Regs, Arm64Step, Arm64Unwind,
};
pub use debug::{parse_codeview, CodeView, CodeViewKind};
pub use export_dir::{export_reader_differences, ExportDirectory, ExportMatch};
pub use exports::{Export, ExportLookup, Exports};
pub use fuzz::fuzz_parse;
pub use imports::Import;
pub use unwind::{
    lookup_runtime_function, RuntimeFunction, UnwindCode, UnwindInfo, UnwindOp, UNW_FLAG_CHAININFO,
    UNW_FLAG_EHANDLER, UNW_FLAG_UHANDLER,
};
pub use version::{parse_fixed_file_info, parse_version_resource, FixedFileInfo, VersionInfo};

/// Upper bound on the number of section headers accepted.
pub const MAX_SECTIONS: usize = 2048;
/// Number of data directories kept (the loader ignores any beyond 16).
pub const NUM_DATA_DIRECTORIES: usize = 16;

/// Data directory indices (`IMAGE_DIRECTORY_ENTRY_*`).
pub const DIR_EXPORT: usize = pe::IMAGE_DIRECTORY_ENTRY_EXPORT;
/// Resource directory index.
pub const DIR_RESOURCE: usize = pe::IMAGE_DIRECTORY_ENTRY_RESOURCE;
/// Exception directory (`.pdata`) index.
pub const DIR_EXCEPTION: usize = pe::IMAGE_DIRECTORY_ENTRY_EXCEPTION;
/// Debug directory index.
pub const DIR_DEBUG: usize = pe::IMAGE_DIRECTORY_ENTRY_DEBUG;

/// `IMAGE_FILE_MACHINE_I386`.
pub const MACHINE_I386: u16 = pe::IMAGE_FILE_MACHINE_I386.0;
/// `IMAGE_FILE_MACHINE_AMD64`.
pub const MACHINE_AMD64: u16 = pe::IMAGE_FILE_MACHINE_AMD64.0;
/// `IMAGE_FILE_MACHINE_ARM64`.
pub const MACHINE_ARM64: u16 = pe::IMAGE_FILE_MACHINE_ARM64.0;
/// `IMAGE_FILE_MACHINE_ARM64EC` (x64-compatible ARM64 code; `.pdata` is x64 format).
pub const MACHINE_ARM64EC: u16 = pe::IMAGE_FILE_MACHINE_ARM64EC.0;

/// Where image bytes come from: dump memory (mapped, by virtual address) or a file.
pub trait Memory {
    /// The `len` bytes at `addr`, or `None` if any of them is missing.
    fn read(&self, addr: u64, len: usize) -> Option<Cow<'_, [u8]>>;
}

/// A byte slice is a [`Memory`] addressed from 0 (e.g. a whole file).
impl Memory for [u8] {
    fn read(&self, addr: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        let start = usize::try_from(addr).ok()?;
        let end = start.checked_add(len)?;
        self.get(start..end).map(Cow::Borrowed)
    }
}

impl Memory for Vec<u8> {
    fn read(&self, addr: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        self.as_slice().read(addr, len)
    }
}

impl<T: Memory + ?Sized> Memory for &T {
    fn read(&self, addr: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        (**self).read(addr, len)
    }
}

/// A contiguous block of bytes that starts at virtual address `base`
/// (e.g. a module's memory range copied out of a dump).
#[derive(Debug, Clone, Copy)]
pub struct SliceMemory<'a> {
    /// Address of `data[0]`.
    pub base: u64,
    /// The bytes.
    pub data: &'a [u8],
}

impl Memory for SliceMemory<'_> {
    fn read(&self, addr: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        let off = addr.checked_sub(self.base)?;
        self.data.read(off, len)
    }
}

/// How the image lies in the [`Memory`] it is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// As mapped by the loader: image offset == RVA.
    Mapped,
    /// As on disk: RVAs are translated through the section table.
    File,
}

/// Errors. Messages name what was missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeError {
    /// Bytes needed for `what` are not present in the memory.
    #[error("{what} not readable at {addr:#x} (len {len:#x})")]
    Unreadable {
        /// What was being read.
        what: &'static str,
        /// Address (mapped) or RVA (`File` layout: RVA) of the read.
        addr: u64,
        /// Length of the read.
        len: usize,
    },
    /// A structure is malformed.
    #[error("malformed PE: {0}")]
    Malformed(&'static str),
    /// A count or size exceeds a sanity cap.
    #[error("{what} too large: {value} (cap {cap})")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Value found.
        value: u64,
        /// Cap applied.
        cap: u64,
    },
    /// The image has no such data directory (or it is empty).
    #[error("image has no {0}")]
    Missing(&'static str),
    /// Operation not supported for this image's machine type.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// Error reported by the `object` crate's parsers.
    #[error("object: {0}")]
    Object(String),
}

impl From<object::read::Error> for PeError {
    fn from(e: object::read::Error) -> Self {
        PeError::Object(e.to_string())
    }
}

/// One `IMAGE_DATA_DIRECTORY`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataDirectory {
    /// RVA of the data (for the security directory: a file offset).
    pub virtual_address: u32,
    /// Size in bytes.
    pub size: u32,
}

impl DataDirectory {
    /// True if the directory is absent.
    pub fn is_empty(&self) -> bool {
        self.virtual_address == 0 || self.size == 0
    }
}

/// One section header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Name (up to 8 bytes, lossy; long `/nnn` names are not resolved).
    pub name: String,
    /// RVA of the section.
    pub virtual_address: u32,
    /// Size in memory.
    pub virtual_size: u32,
    /// File offset of the raw data.
    pub pointer_to_raw_data: u32,
    /// Size of the raw data in the file.
    pub size_of_raw_data: u32,
    /// `IMAGE_SCN_*` flags.
    pub characteristics: u32,
}

impl Section {
    /// Size the section occupies in memory (virtual size, or raw size if that is 0).
    pub fn mapped_size(&self) -> u32 {
        if self.virtual_size == 0 {
            self.size_of_raw_data
        } else {
            self.virtual_size
        }
    }

    /// True if `rva` lies inside the section's mapped range.
    pub fn contains_rva(&self, rva: u32) -> bool {
        rva.checked_sub(self.virtual_address)
            .is_some_and(|off| off < self.mapped_size())
    }
}

/// Parsed PE headers of one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeImage {
    /// Address of the image's first byte (the `MZ`) in the [`Memory`].
    pub base: u64,
    /// How the image lies in memory.
    pub layout: Layout,
    /// PE32+ (true) or PE32 (false).
    pub is_64: bool,
    /// `IMAGE_FILE_HEADER::Machine`.
    pub machine: u16,
    /// `IMAGE_FILE_HEADER::TimeDateStamp`.
    pub timestamp: u32,
    /// `IMAGE_FILE_HEADER::Characteristics`.
    pub characteristics: u16,
    /// `CheckSum` from the optional header.
    pub checksum: u32,
    /// `SizeOfImage`.
    pub size_of_image: u32,
    /// `SizeOfHeaders`.
    pub size_of_headers: u32,
    /// `AddressOfEntryPoint` (RVA).
    pub entry_point: u32,
    /// Preferred `ImageBase` from the optional header.
    pub image_base: u64,
    /// `SectionAlignment`.
    pub section_alignment: u32,
    /// `FileAlignment`.
    pub file_alignment: u32,
    /// `Subsystem`.
    pub subsystem: u16,
    /// `DllCharacteristics`.
    pub dll_characteristics: u16,
    /// Section table.
    pub sections: Vec<Section>,
    /// Data directories; entries beyond `NumberOfRvaAndSizes` are zero.
    pub data_dirs: [DataDirectory; NUM_DATA_DIRECTORIES],
}

/// Copy a `Pod` structure out of possibly unaligned bytes.
///
/// `object`'s structures are aligned unless its `unaligned` feature is on;
/// bytes from [`Memory`] have no alignment guarantee, so copy first.
pub(crate) fn read_pod<T: Pod>(bytes: &[u8]) -> Option<T> {
    let size = std::mem::size_of::<T>();
    let src = bytes.get(..size)?;
    let mut buf = [0u64; 32];
    let dst = object::pod::bytes_of_slice_mut(&mut buf[..]);
    dst.get_mut(..size)?.copy_from_slice(src);
    let (v, _) = object::pod::from_bytes::<T>(dst.get(..size)?).ok()?;
    Some(*v)
}

/// Little-endian integer readers over byte slices (`None` if out of range).
pub(crate) fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

pub(crate) fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// A copy of some bytes in 8-byte-aligned storage, for `object` parsers
/// that require aligned input.
pub(crate) struct AlignedBytes {
    words: Vec<u64>,
    len: usize,
}

impl AlignedBytes {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        let dst = object::pod::bytes_of_slice_mut(&mut words[..]);
        if let Some(d) = dst.get_mut(..bytes.len()) {
            d.copy_from_slice(bytes);
        }
        AlignedBytes {
            words,
            len: bytes.len(),
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        let all = object::pod::bytes_of_slice(&self.words[..]);
        all.get(..self.len).unwrap_or(all)
    }
}

/// Lossy text from bytes that should be ASCII/UTF-8 (cp1252 bytes become U+FFFD).
pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn unreadable(what: &'static str, addr: u64, len: usize) -> PeError {
    PeError::Unreadable { what, addr, len }
}

/// The DOS header's `e_lfanew` followed to the NT headers: their address (the `PE\0\0`
/// signature) and the `IMAGE_FILE_HEADER` after it.
fn nt_headers(mem: &dyn Memory, base: u64) -> Result<(u64, pe::ImageFileHeader), PeError> {
    let dos_size = std::mem::size_of::<pe::ImageDosHeader>();
    let dos_bytes = mem
        .read(base, dos_size)
        .ok_or_else(|| unreadable("DOS header", base, dos_size))?;
    let dos: pe::ImageDosHeader = read_pod(&dos_bytes).ok_or(PeError::Malformed("DOS header"))?;
    if dos.e_magic.get(LE) != pe::IMAGE_DOS_SIGNATURE {
        return Err(PeError::Malformed("bad DOS signature (no MZ)"));
    }
    let lfanew = dos.e_lfanew.get(LE);
    let nt = base
        .checked_add(u64::from(lfanew))
        .ok_or(PeError::Malformed("e_lfanew overflows the address space"))?;

    // Signature + IMAGE_FILE_HEADER.
    let fh_size = std::mem::size_of::<pe::ImageFileHeader>();
    let nt_bytes = mem
        .read(nt, 4 + fh_size)
        .ok_or_else(|| unreadable("NT headers", nt, 4 + fh_size))?;
    if u32_at(&nt_bytes, 0) != Some(pe::IMAGE_NT_SIGNATURE) {
        return Err(PeError::Malformed("bad NT signature (no PE\\0\\0)"));
    }
    let fh: pe::ImageFileHeader =
        read_pod(nt_bytes.get(4..).unwrap_or_default()).ok_or(PeError::Malformed("file header"))?;
    Ok((nt, fh))
}

/// The fields kept from a PE32 or PE32+ optional header, and the size of its fixed part (the
/// data directories follow it).
struct OptionalHeader {
    entry: u32,
    image_base: u64,
    sect_align: u32,
    file_align: u32,
    size_of_image: u32,
    size_of_headers: u32,
    checksum: u32,
    subsystem: u16,
    dll_chars: u16,
    n_dirs: u32,
    fixed_size: usize,
}

/// The optional header's bytes by its magic: PE32 (`0x10b`, false) or PE32+ (`0x20b`, true).
fn optional_header(opt: &[u8]) -> Result<(bool, OptionalHeader), PeError> {
    let magic = u16_at(opt, 0).ok_or(PeError::Malformed("optional header too small"))?;
    Ok(match magic {
        pe::IMAGE_NT_OPTIONAL_HDR32_MAGIC => {
            let h: pe::ImageOptionalHeader32 =
                read_pod(opt).ok_or(PeError::Malformed("PE32 optional header truncated"))?;
            (
                false,
                OptionalHeader {
                    entry: h.address_of_entry_point.get(LE),
                    image_base: u64::from(h.image_base.get(LE)),
                    sect_align: h.section_alignment.get(LE),
                    file_align: h.file_alignment.get(LE),
                    size_of_image: h.size_of_image.get(LE),
                    size_of_headers: h.size_of_headers.get(LE),
                    checksum: h.check_sum.get(LE),
                    subsystem: h.subsystem.get(LE).0,
                    dll_chars: h.dll_characteristics.get(LE).0,
                    n_dirs: h.number_of_rva_and_sizes.get(LE),
                    fixed_size: std::mem::size_of::<pe::ImageOptionalHeader32>(),
                },
            )
        }
        pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC => {
            let h: pe::ImageOptionalHeader64 =
                read_pod(opt).ok_or(PeError::Malformed("PE32+ optional header truncated"))?;
            (
                true,
                OptionalHeader {
                    entry: h.address_of_entry_point.get(LE),
                    image_base: h.image_base.get(LE),
                    sect_align: h.section_alignment.get(LE),
                    file_align: h.file_alignment.get(LE),
                    size_of_image: h.size_of_image.get(LE),
                    size_of_headers: h.size_of_headers.get(LE),
                    checksum: h.check_sum.get(LE),
                    subsystem: h.subsystem.get(LE).0,
                    dll_chars: h.dll_characteristics.get(LE).0,
                    n_dirs: h.number_of_rva_and_sizes.get(LE),
                    fixed_size: std::mem::size_of::<pe::ImageOptionalHeader64>(),
                },
            )
        }
        _ => return Err(PeError::Malformed("unknown optional header magic")),
    })
}

/// The data directories after the optional header's fixed part: as many as it declares, the
/// optional header holds and [`NUM_DATA_DIRECTORIES`] allows; the rest stay zero.
fn data_directories(opt: &[u8], o: &OptionalHeader) -> [DataDirectory; NUM_DATA_DIRECTORIES] {
    let mut data_dirs = [DataDirectory::default(); NUM_DATA_DIRECTORIES];
    let dir_bytes = opt.get(o.fixed_size..).unwrap_or_default();
    let n_dirs = (o.n_dirs as usize)
        .min(NUM_DATA_DIRECTORIES)
        .min(dir_bytes.len() / 8);
    for (i, d) in data_dirs.iter_mut().enumerate().take(n_dirs) {
        d.virtual_address = u32_at(dir_bytes, i * 8).unwrap_or(0);
        d.size = u32_at(dir_bytes, i * 8 + 4).unwrap_or(0);
    }
    data_dirs
}

/// The `n_sections` section headers at `sect_addr` (already checked against [`MAX_SECTIONS`]).
fn section_table(
    mem: &dyn Memory,
    sect_addr: u64,
    n_sections: usize,
) -> Result<Vec<Section>, PeError> {
    let sh_size = std::mem::size_of::<pe::ImageSectionHeader>();
    let sect_len = n_sections * sh_size;
    let sect_bytes = mem
        .read(sect_addr, sect_len)
        .ok_or_else(|| unreadable("section table", sect_addr, sect_len))?;
    let mut sections = Vec::with_capacity(n_sections);
    for chunk in sect_bytes.chunks_exact(sh_size) {
        let Some(s) = read_pod::<pe::ImageSectionHeader>(chunk) else {
            break;
        };
        let raw_name = s.name;
        let end = raw_name.iter().position(|&b| b == 0).unwrap_or(8);
        sections.push(Section {
            name: lossy(raw_name.get(..end).unwrap_or_default()),
            virtual_address: s.virtual_address.get(LE),
            virtual_size: s.virtual_size.get(LE),
            pointer_to_raw_data: s.pointer_to_raw_data.get(LE),
            size_of_raw_data: s.size_of_raw_data.get(LE),
            characteristics: s.characteristics.get(LE).0,
        });
    }
    Ok(sections)
}

impl PeImage {
    /// Parse the headers of the image at `base` (DOS header, NT headers,
    /// data directories, section table). Nothing else is read.
    pub fn parse(mem: &dyn Memory, base: u64, layout: Layout) -> Result<PeImage, PeError> {
        let (nt, fh) = nt_headers(mem, base)?;
        let fh_size = std::mem::size_of::<pe::ImageFileHeader>();
        let overflow = PeError::Malformed("headers overflow the address space");
        let opt_addr = nt
            .checked_add(4 + fh_size as u64)
            .ok_or_else(|| overflow.clone())?;
        let opt_size = usize::from(fh.size_of_optional_header.get(LE));
        let opt = mem
            .read(opt_addr, opt_size)
            .ok_or_else(|| unreadable("optional header", opt_addr, opt_size))?;
        let (is_64, o) = optional_header(&opt)?;
        let data_dirs = data_directories(&opt, &o);

        let n_sections = usize::from(fh.number_of_sections.get(LE));
        if n_sections > MAX_SECTIONS {
            return Err(PeError::TooLarge {
                what: "NumberOfSections",
                value: n_sections as u64,
                cap: MAX_SECTIONS as u64,
            });
        }
        let sect_addr = opt_addr.checked_add(opt_size as u64).ok_or(overflow)?;
        let sections = section_table(mem, sect_addr, n_sections)?;

        Ok(PeImage {
            base,
            layout,
            is_64,
            machine: fh.machine.get(LE).0,
            timestamp: fh.time_date_stamp.get(LE),
            characteristics: fh.characteristics.get(LE).0,
            checksum: o.checksum,
            size_of_image: o.size_of_image,
            size_of_headers: o.size_of_headers,
            entry_point: o.entry,
            image_base: o.image_base,
            section_alignment: o.sect_align,
            file_alignment: o.file_align,
            subsystem: o.subsystem,
            dll_characteristics: o.dll_chars,
            sections,
            data_dirs,
        })
    }

    /// Parse a PE file's bytes (file layout, base 0). Read its contents by
    /// passing the same bytes as the [`Memory`]: `img.exports(&bytes)` for
    /// `bytes: &[u8]` or `Vec<u8>`.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<PeImage, PeError> {
        PeImage::parse(&bytes, 0, Layout::File)
    }

    /// Parse an image mapped at `base` whose bytes are `bytes` (e.g. a module
    /// range copied from a dump). Read its contents with [`SliceMemory`].
    pub fn from_mapped_bytes(bytes: &[u8], base: u64) -> Result<PeImage, PeError> {
        PeImage::parse(&SliceMemory { base, data: bytes }, base, Layout::Mapped)
    }

    /// Data directory `index` (see `DIR_*`), if present and non-empty.
    pub fn data_dir(&self, index: usize) -> Option<DataDirectory> {
        self.data_dirs.get(index).copied().filter(|d| !d.is_empty())
    }

    /// Section containing `rva`, if any.
    pub fn section_for_rva(&self, rva: u32) -> Option<&Section> {
        self.sections.iter().find(|s| s.contains_rva(rva))
    }

    /// Virtual address of `rva` when the image is loaded at `base` (mapped layout).
    pub fn va(&self, rva: u32) -> u64 {
        self.base.wrapping_add(u64::from(rva))
    }

    /// The effective file offset of a section's raw data, as the loader
    /// computes it (rounded down to 512 when `FileAlignment` ≥ 512).
    fn raw_start(&self, s: &Section) -> u32 {
        if self.file_alignment >= 0x200 {
            s.pointer_to_raw_data & !0x1ff
        } else {
            s.pointer_to_raw_data
        }
    }

    /// File offset of `rva` (file layout semantics), if it is backed by file data.
    pub fn rva_to_file_offset(&self, rva: u32) -> Option<u32> {
        if let Some(s) = self.section_for_rva(rva) {
            let off = rva - s.virtual_address;
            if off < s.size_of_raw_data.min(s.mapped_size()) {
                return self.raw_start(s).checked_add(off);
            }
            return None;
        }
        if rva < self.header_span() {
            return Some(rva);
        }
        None
    }

    /// Bytes of the headers region (mapped identically in both layouts).
    fn header_span(&self) -> u32 {
        let first_section = self
            .sections
            .iter()
            .map(|s| s.virtual_address)
            .filter(|&va| va != 0)
            .min()
            .unwrap_or(u32::MAX);
        self.size_of_headers.max(0x200).min(first_section)
    }

    /// Read `len` bytes at `rva` of the image, whatever its layout. In file
    /// layout, the part of a section beyond its raw data reads as zeros (as
    /// the loader would map it). `None` if any byte is unavailable or the
    /// range leaves the image.
    pub fn read_rva<'m>(&self, mem: &'m dyn Memory, rva: u32, len: usize) -> Option<Cow<'m, [u8]>> {
        let end = u64::from(rva).checked_add(len as u64)?;
        match self.layout {
            Layout::Mapped => {
                if self.size_of_image != 0 && end > u64::from(self.size_of_image) {
                    return None;
                }
                mem.read(self.base.checked_add(u64::from(rva))?, len)
            }
            Layout::File => {
                if let Some(s) = self.section_for_rva(rva) {
                    let off = rva - s.virtual_address;
                    let sect_end = u64::from(s.virtual_address) + u64::from(s.mapped_size());
                    if end > sect_end {
                        return None;
                    }
                    let raw_avail = s.size_of_raw_data.min(s.mapped_size());
                    let file_part = (raw_avail.saturating_sub(off) as usize).min(len);
                    let file_addr = self
                        .base
                        .checked_add(u64::from(self.raw_start(s)))?
                        .checked_add(u64::from(off))?;
                    if file_part == len {
                        return mem.read(file_addr, len);
                    }
                    // Tail lies in the zero-filled part of the section. `len`
                    // is bounded by the section's mapped size here.
                    let mut v = Vec::with_capacity(len);
                    if file_part > 0 {
                        v.extend_from_slice(&mem.read(file_addr, file_part)?);
                    }
                    v.resize(len, 0);
                    return Some(Cow::Owned(v));
                }
                if end <= u64::from(self.header_span()) {
                    return mem.read(self.base.checked_add(u64::from(rva))?, len);
                }
                None
            }
        }
    }

    /// Read as much as possible of `[rva, rva+len)` from its start, in
    /// page-sized steps, stopping at the first missing page. For partly
    /// present images. `len` must already be capped by the caller.
    pub(crate) fn read_prefix(&self, mem: &dyn Memory, rva: u32, len: usize) -> Vec<u8> {
        if let Some(all) = self.read_rva(mem, rva, len) {
            return all.into_owned();
        }
        const PAGE: u64 = 0x1000;
        let mut out = Vec::new();
        let mut cur = u64::from(rva);
        let end = u64::from(rva) + len as u64;
        while cur < end {
            let next = ((cur / PAGE) + 1) * PAGE;
            let chunk = (next.min(end) - cur) as usize;
            let Ok(cur32) = u32::try_from(cur) else { break };
            match self.read_rva(mem, cur32, chunk) {
                Some(b) => out.extend_from_slice(&b),
                None => break,
            }
            cur += chunk as u64;
        }
        out
    }

    /// Read a NUL-terminated byte string at `rva`, at most `max` bytes
    /// (without the NUL). Reads in small aligned chunks so that a string
    /// ending just before a missing page is still found. `None` if no
    /// terminator is found within `max` bytes or a byte is missing first.
    pub(crate) fn read_cstr(&self, mem: &dyn Memory, rva: u32, max: usize) -> Option<Vec<u8>> {
        const CHUNK: u64 = 64;
        let mut out = Vec::new();
        let mut cur = u64::from(rva);
        while out.len() <= max {
            let next = ((cur / CHUNK) + 1) * CHUNK;
            let chunk = (next - cur) as usize;
            let cur32 = u32::try_from(cur).ok()?;
            let bytes = self.read_rva(mem, cur32, chunk)?;
            if let Some(p) = bytes.iter().position(|&b| b == 0) {
                out.extend_from_slice(bytes.get(..p)?);
                return (out.len() <= max).then_some(out);
            }
            out.extend_from_slice(&bytes);
            cur = next;
        }
        None
    }

    /// Symbol-server code id: `TIMESTAMP` (8 hex digits) + `SizeOfImage` (hex).
    pub fn code_id(&self) -> String {
        format!("{:08X}{:x}", self.timestamp, self.size_of_image)
    }
}
