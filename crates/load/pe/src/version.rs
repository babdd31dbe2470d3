//! VS_VERSIONINFO parsing.
//!
//! Written by hand: neither `object` nor any other crate at hand parses the
//! version resource's tree of `wLength`/`wValueLength`/`wType` nodes, and
//! real files need leniency (wrong `wValueLength` units, missing
//! terminators, overlong lengths) that a strict parser would reject.

use object::pe;

use crate::resource::{read_resource, MAX_VERSION_BLOB};
use crate::{u16_at, u32_at, Memory, PeError, PeImage};

/// `VS_FIXEDFILEINFO::dwSignature`.
pub const VS_FFI_SIGNATURE: u32 = 0xFEEF_04BD;
/// Size of `VS_FIXEDFILEINFO`.
pub const FIXED_FILE_INFO_SIZE: usize = 52;
/// Longest key kept (UTF-16 units).
const MAX_KEY_UNITS: usize = 256;
/// Longest string value kept (UTF-16 units).
const MAX_VALUE_UNITS: usize = 8192;
/// String tables kept.
const MAX_TABLES: usize = 32;
/// Strings kept per table.
const MAX_STRINGS: usize = 1024;
/// Translations kept.
const MAX_TRANSLATIONS: usize = 64;

/// `VS_FIXEDFILEINFO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FixedFileInfo {
    /// Always [`VS_FFI_SIGNATURE`].
    pub signature: u32,
    /// `dwStrucVersion`.
    pub struc_version: u32,
    /// `dwFileVersionMS`.
    pub file_version_ms: u32,
    /// `dwFileVersionLS`.
    pub file_version_ls: u32,
    /// `dwProductVersionMS`.
    pub product_version_ms: u32,
    /// `dwProductVersionLS`.
    pub product_version_ls: u32,
    /// `dwFileFlagsMask`.
    pub file_flags_mask: u32,
    /// `dwFileFlags` (raw; see [`FixedFileInfo::flags`]).
    pub file_flags: u32,
    /// `dwFileOS`.
    pub file_os: u32,
    /// `dwFileType`.
    pub file_type: u32,
    /// `dwFileSubtype`.
    pub file_subtype: u32,
    /// `dwFileDateMS`.
    pub file_date_ms: u32,
    /// `dwFileDateLS`.
    pub file_date_ls: u32,
}

fn split(ms: u32, ls: u32) -> (u16, u16, u16, u16) {
    ((ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16)
}

impl FixedFileInfo {
    /// File version `a.b.c.d`.
    pub fn file_version(&self) -> (u16, u16, u16, u16) {
        split(self.file_version_ms, self.file_version_ls)
    }
    /// Product version `a.b.c.d`.
    pub fn product_version(&self) -> (u16, u16, u16, u16) {
        split(self.product_version_ms, self.product_version_ls)
    }
    /// Valid flags (`dwFileFlags & dwFileFlagsMask`): VS_FF_DEBUG = 1, PRERELEASE = 2, PATCHED = 4, ...
    pub fn flags(&self) -> u32 {
        self.file_flags & self.file_flags_mask
    }
    /// 64-bit file date (usually 0).
    pub fn file_date(&self) -> u64 {
        (u64::from(self.file_date_ms) << 32) | u64::from(self.file_date_ls)
    }
}

/// Parse a `VS_FIXEDFILEINFO` at the start of `bytes` (52 bytes, signature
/// checked). Also fits minidump `MINIDUMP_MODULE::VersionInfo`.
pub fn parse_fixed_file_info(bytes: &[u8]) -> Option<FixedFileInfo> {
    let d = |i: usize| u32_at(bytes, i * 4);
    let f = FixedFileInfo {
        signature: d(0)?,
        struc_version: d(1)?,
        file_version_ms: d(2)?,
        file_version_ls: d(3)?,
        product_version_ms: d(4)?,
        product_version_ls: d(5)?,
        file_flags_mask: d(6)?,
        file_flags: d(7)?,
        file_os: d(8)?,
        file_type: d(9)?,
        file_subtype: d(10)?,
        file_date_ms: d(11)?,
        file_date_ls: d(12)?,
    };
    (f.signature == VS_FFI_SIGNATURE).then_some(f)
}

/// Parsed version resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionInfo {
    /// The fixed part, if present and valid.
    pub fixed: Option<FixedFileInfo>,
    /// `fixed.file_version()`.
    pub file_version: Option<(u16, u16, u16, u16)>,
    /// `fixed.product_version()`.
    pub product_version: Option<(u16, u16, u16, u16)>,
    /// Valid file flags (0 without fixed info).
    pub file_flags: u32,
    /// `dwFileOS` (0 without fixed info).
    pub file_os: u32,
    /// `dwFileType` (0 without fixed info).
    pub file_type: u32,
    /// `dwFileSubtype` (0 without fixed info).
    pub file_subtype: u32,
    /// File date (0 without fixed info).
    pub file_date: u64,
    /// Strings of the chosen table: the one matching the first translation,
    /// else the first table.
    pub strings: Vec<(String, String)>,
    /// Key of the chosen string table (e.g. `040904b0`).
    pub string_table: Option<String>,
    /// Every string table found: `(key, strings)`.
    pub all_tables: Vec<(String, Vec<(String, String)>)>,
    /// `(language, code page)` pairs from `VarFileInfo\Translation`.
    pub translations: Vec<(u16, u16)>,
    /// The blob was shorter than its `wLength` (parsed what was there).
    pub truncated: bool,
}

impl VersionInfo {
    /// Value of a string key (`CompanyName`, `ProductName`, `FileDescription`,
    /// `OriginalFilename`, `LegalCopyright`, `FileVersion`, `ProductVersion`,
    /// `InternalName`, ...). Exact match first, then ASCII case-insensitive.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| {
                self.strings
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
            })
            .map(|(_, v)| v.as_str())
    }
}

/// One node: `wLength, wValueLength, wType, szKey, pad, Value, pad, Children`.
struct Node<'a> {
    key: String,
    w_type: u16,
    w_value_len: u16,
    /// From the (aligned) value start to the node's end.
    tail: &'a [u8],
    /// Offset of `tail` in the blob.
    value_off: usize,
    /// Offset of the node's end in the blob (clamped).
    end: usize,
}

fn align4(x: usize) -> usize {
    x.saturating_add(3) & !3
}

/// UTF-16LE units from `b` up to a NUL (or the end), at most `max` units.
/// Returns the text and the byte length consumed including the NUL if found.
fn utf16_until_nul(b: &[u8], max: usize) -> (String, usize) {
    let mut units = Vec::new();
    let mut consumed = 0;
    for c in b.chunks_exact(2) {
        consumed += 2;
        let u = u16::from_le_bytes([c[0], c[1]]);
        if u == 0 {
            break;
        }
        if units.len() < max {
            units.push(u);
        }
    }
    (String::from_utf16_lossy(&units), consumed)
}

/// Parse the node at `off`, limited to `limit` (the parent's end). Returns
/// the node and the offset of the next sibling, or `None` when no further
/// node can be parsed (wLength < 6 ends the list).
fn parse_node(blob: &[u8], off: usize, limit: usize) -> Option<(Node<'_>, usize)> {
    let w_len = usize::from(u16_at(blob, off)?);
    let w_value_len = u16_at(blob, off + 2)?;
    let w_type = u16_at(blob, off + 4)?;
    if w_len < 6 || off + 6 > limit {
        return None;
    }
    // Lenient: an overlong node is clamped to its parent.
    let end = off.checked_add(w_len)?.min(limit).min(blob.len());
    let key_area = blob.get(off + 6..end)?;
    let (key, key_bytes) = utf16_until_nul(key_area, MAX_KEY_UNITS);
    let value_off = align4(off + 6 + key_bytes).min(end);
    let node = Node {
        key,
        w_type,
        w_value_len,
        tail: blob.get(value_off..end)?,
        value_off,
        end,
    };
    let next = align4(off + w_len);
    (next > off).then_some((node, next))
}

/// Iterate the children in `[start, end)`.
fn children(blob: &[u8], start: usize, end: usize) -> impl Iterator<Item = Node<'_>> {
    let mut off = start;
    std::iter::from_fn(move || {
        if off >= end {
            return None;
        }
        let (node, next) = parse_node(blob, off, end)?;
        off = next;
        Some(node)
    })
}

/// Offset where a node's children start, given its value size in bytes.
fn children_start(n: &Node<'_>, value_bytes: usize) -> usize {
    align4(n.value_off.saturating_add(value_bytes)).min(n.end)
}

/// Value size in bytes per `wType` (1 = text, counted in WORDs).
fn value_bytes(n: &Node<'_>) -> usize {
    let v = usize::from(n.w_value_len);
    if n.w_type == 1 {
        v * 2
    } else {
        v
    }
}

/// Parse a raw VS_VERSIONINFO blob (the RT_VERSION resource data).
pub fn parse_version_resource(blob: &[u8]) -> Result<VersionInfo, PeError> {
    let w_len = u16_at(blob, 0).ok_or(PeError::Malformed("version resource too small"))?;
    if w_len == 0 {
        return Err(PeError::Malformed("VS_VERSIONINFO wLength is 0"));
    }
    if w_len < 6 {
        return Err(PeError::Malformed("VS_VERSIONINFO wLength too small"));
    }
    let mut info = VersionInfo {
        truncated: usize::from(w_len) > blob.len(),
        ..VersionInfo::default()
    };
    let limit = usize::from(w_len).min(blob.len());
    let (root, _) =
        parse_node(blob, 0, limit).ok_or(PeError::Malformed("VS_VERSIONINFO header"))?;
    if root.key != "VS_VERSION_INFO" {
        return Err(PeError::Malformed(
            "version resource key is not VS_VERSION_INFO",
        ));
    }

    // The fixed info: trust the signature over wValueLength/wType, which
    // some tools get wrong.
    let mut child_off = children_start(&root, value_bytes(&root));
    if let Some(f) = parse_fixed_file_info(root.tail) {
        child_off = children_start(&root, FIXED_FILE_INFO_SIZE);
        info.fixed = Some(f);
        info.file_version = Some(f.file_version());
        info.product_version = Some(f.product_version());
        info.file_flags = f.flags();
        info.file_os = f.file_os;
        info.file_type = f.file_type;
        info.file_subtype = f.file_subtype;
        info.file_date = f.file_date();
    } else if root.w_value_len == 0 {
        child_off = children_start(&root, 0);
    }

    for section in children(blob, child_off, root.end) {
        // Children of StringFileInfo / VarFileInfo have no value of their own
        // (wValueLength 0), but tolerate one.
        let start = children_start(&section, value_bytes(&section));
        if section.key.eq_ignore_ascii_case("StringFileInfo") {
            for table in children(blob, start, section.end).take(MAX_TABLES) {
                let tstart = children_start(&table, value_bytes(&table));
                let strings: Vec<(String, String)> = children(blob, tstart, table.end)
                    .take(MAX_STRINGS)
                    .map(|s| {
                        // Lenient: read the value up to its NUL or the node's
                        // end, whatever wValueLength says.
                        let (v, _) = utf16_until_nul(s.tail, MAX_VALUE_UNITS);
                        (s.key, v)
                    })
                    .collect();
                info.all_tables.push((table.key, strings));
            }
        } else if section.key.eq_ignore_ascii_case("VarFileInfo") {
            for var in children(blob, start, section.end) {
                if !var.key.eq_ignore_ascii_case("Translation") {
                    continue;
                }
                let n = match usize::from(var.w_value_len) {
                    0 => var.tail.len(),
                    v => v.min(var.tail.len()),
                };
                for c in var.tail.get(..n).unwrap_or_default().chunks_exact(4) {
                    if info.translations.len() >= MAX_TRANSLATIONS {
                        break;
                    }
                    info.translations.push((
                        u16::from_le_bytes([c[0], c[1]]),
                        u16::from_le_bytes([c[2], c[3]]),
                    ));
                }
            }
        }
    }

    let wanted = info
        .translations
        .first()
        .map(|(lang, cp)| format!("{lang:04x}{cp:04x}"));
    let chosen = wanted
        .and_then(|w| {
            info.all_tables
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&w))
        })
        .or_else(|| info.all_tables.first());
    if let Some((k, s)) = chosen {
        info.string_table = Some(k.clone());
        info.strings = s.clone();
    }
    Ok(info)
}

impl PeImage {
    /// The version resource (RT_VERSION), if the image has one.
    /// `Ok(None)`: no resource directory or no version resource.
    pub fn version_info(&self, mem: &dyn Memory) -> Result<Option<VersionInfo>, PeError> {
        match read_resource(self, mem, pe::RT_VERSION, MAX_VERSION_BLOB)? {
            Some(blob) => parse_version_resource(&blob).map(Some),
            None => Ok(None),
        }
    }
}
