//! Locating resource data (RT_VERSION) in the resource directory.
//!
//! Hand-written rather than with `object`'s resource parser: that parser needs its input
//! aligned, which meant copying the whole resource directory (up to 16 MiB, twice) for every
//! module whose version was asked — in a full-memory dump, every module of the `lm` listing.
//! Here the directory's bytes are borrowed from the image's memory and only the tables on the
//! path to the resource are decoded, with the same rules as `object`'s walk had.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::{u16_at, u32_at, Memory, PeError, PeImage, DIR_RESOURCE};

/// Largest resource directory prefix looked at. The directory tables sit at the start of
/// `.rsrc`, ahead of the resource data.
const MAX_RSRC_COPY: u32 = 16 << 20;
/// Largest resource data blob read (VS_VERSIONINFO's `wLength` is 16-bit).
pub(crate) const MAX_VERSION_BLOB: u32 = 0x1_0000;
/// Entries examined over the whole walk (bounds hostile trees).
const MAX_ENTRIES_VISITED: usize = 4096;
/// `IMAGE_RESOURCE_DIRECTORY` and `IMAGE_RESOURCE_DIRECTORY_ENTRY` sizes.
const TABLE_HEADER: usize = 16;
const ENTRY: usize = 8;
/// `IMAGE_RESOURCE_DATA_ENTRY` size.
const DATA_ENTRY: usize = 16;
/// High bits: the entry names a string / points at a subdirectory.
const NAME_IS_STRING: u32 = 0x8000_0000;
const DATA_IS_DIRECTORY: u32 = 0x8000_0000;

/// One `IMAGE_RESOURCE_DIRECTORY_ENTRY`.
#[derive(Clone, Copy)]
struct Entry {
    name_or_id: u32,
    offset: u32,
}

impl Entry {
    fn has_name(self) -> bool {
        self.name_or_id & NAME_IS_STRING != 0
    }
    fn is_table(self) -> bool {
        self.offset & DATA_IS_DIRECTORY != 0
    }
    fn data_offset(self) -> u32 {
        self.offset & !DATA_IS_DIRECTORY
    }
}

/// The entries of the table at `offset` of the directory bytes, or `None` if the table does
/// not fit in them.
fn table(dir: &[u8], offset: u32) -> Option<impl Iterator<Item = Entry> + '_> {
    let at = offset as usize;
    let named = usize::from(u16_at(dir, at.checked_add(12)?)?);
    let ids = usize::from(u16_at(dir, at.checked_add(14)?)?);
    let start = at.checked_add(TABLE_HEADER)?;
    let bytes = dir.get(start..start.checked_add((named + ids) * ENTRY)?)?;
    Some(bytes.chunks_exact(ENTRY).map(|c| Entry {
        name_or_id: u32_at(c, 0).unwrap_or(0),
        offset: u32_at(c, 4).unwrap_or(0),
    }))
}

/// `(OffsetToData, Size)` of the `IMAGE_RESOURCE_DATA_ENTRY` at `offset`, if it fits.
fn data_entry(dir: &[u8], offset: u32) -> Option<(u32, u32)> {
    let at = offset as usize;
    dir.get(at..at.checked_add(DATA_ENTRY)?)?;
    Some((u32_at(dir, at)?, u32_at(dir, at + 4)?))
}

/// Find the first data entry under resource type `type_id` (any name, any
/// language, first wins) and read its bytes (at most `max_len`).
/// `Ok(None)`: no resource directory or no such resource.
pub(crate) fn read_resource(
    img: &PeImage,
    mem: &dyn Memory,
    type_id: u16,
    max_len: u32,
) -> Result<Option<Vec<u8>>, PeError> {
    let Some(dir) = img.data_dir(DIR_RESOURCE) else {
        return Ok(None);
    };
    let want = dir.size.min(MAX_RSRC_COPY) as usize;
    // In place when present whole; else what is present from its start.
    let bytes = match img.read_rva(mem, dir.virtual_address, want) {
        Some(b) => b,
        None => Cow::Owned(img.read_prefix(mem, dir.virtual_address, want)),
    };
    let partial = || PeError::Unreadable {
        what: "resource directory (partly present)",
        addr: u64::from(dir.virtual_address) + bytes.len() as u64,
        len: want - bytes.len(),
    };
    if table(&bytes, 0).is_none() {
        return Err(if bytes.len() < want {
            partial()
        } else {
            PeError::Malformed("resource directory root table")
        });
    }
    let Some((rva, size)) = find_data_entry(&bytes, type_id)? else {
        if bytes.len() < want {
            return Err(partial());
        }
        return Ok(None);
    };
    let size = size.min(max_len);
    if size == 0 {
        return Err(PeError::Malformed("resource data entry has size 0"));
    }
    let data = img.read_prefix(mem, rva, size as usize);
    if data.is_empty() {
        return Err(PeError::Unreadable {
            what: "resource data",
            addr: u64::from(rva),
            len: size as usize,
        });
    }
    Ok(Some(data))
}

/// Walk type → name → language (exactly three levels, no recursion, each
/// table visited once, total entries bounded), returning the first data entry.
fn find_data_entry(dir: &[u8], type_id: u16) -> Result<Option<(u32, u32)>, PeError> {
    let mut visited: HashSet<u32> = HashSet::new();
    visited.insert(0);
    let mut budget = MAX_ENTRIES_VISITED;
    let mut spend = || {
        budget = budget.checked_sub(1).ok_or(PeError::TooLarge {
            what: "resource entries visited",
            value: MAX_ENTRIES_VISITED as u64 + 1,
            cap: MAX_ENTRIES_VISITED as u64,
        })?;
        Ok::<(), PeError>(())
    };
    let root = table(dir, 0).ok_or(PeError::Malformed("resource directory root table"))?;
    for t in root {
        let id = (t.name_or_id & 0xffff) as u16;
        if !t.is_table() || t.has_name() || id != type_id || !visited.insert(t.data_offset()) {
            continue;
        }
        let Some(names) = table(dir, t.data_offset()) else {
            continue;
        };
        for n in names {
            spend()?;
            if !n.is_table() {
                // Malformed (data at level 2) but usable.
                if let Some(d) = data_entry(dir, n.data_offset()) {
                    return Ok(Some(d));
                }
                continue;
            }
            if !visited.insert(n.data_offset()) {
                continue;
            }
            let Some(langs) = table(dir, n.data_offset()) else {
                continue;
            };
            for l in langs {
                spend()?;
                // A fourth level is invalid; never descend.
                if !l.is_table() {
                    if let Some(d) = data_entry(dir, l.data_offset()) {
                        return Ok(Some(d));
                    }
                }
            }
        }
    }
    Ok(None)
}
