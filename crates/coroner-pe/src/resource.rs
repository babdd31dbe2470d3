//! Locating resource data (RT_VERSION) with `object`'s resource directory parser.

use std::collections::HashSet;

use object::pe;
use object::read::pe::{ResourceDirectory, ResourceDirectoryEntryData, ResourceDirectoryTable};
use object::LittleEndian as LE;

use crate::{AlignedBytes, Memory, PeError, PeImage, DIR_RESOURCE};

/// Largest resource directory prefix copied for parsing. The directory
/// tables sit at the start of `.rsrc`, ahead of the resource data.
const MAX_RSRC_COPY: u32 = 16 << 20;
/// Largest resource data blob read (VS_VERSIONINFO's `wLength` is 16-bit).
pub(crate) const MAX_VERSION_BLOB: u32 = 0x1_0000;
/// Entries examined over the whole walk (bounds hostile trees).
const MAX_ENTRIES_VISITED: usize = 4096;

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
    let want = dir.size.min(MAX_RSRC_COPY);
    let prefix = img.read_prefix(mem, dir.virtual_address, want as usize);
    let partial = |e: object::read::Error| -> PeError {
        if prefix.len() < want as usize {
            PeError::Unreadable {
                what: "resource directory (partly present)",
                addr: u64::from(dir.virtual_address) + prefix.len() as u64,
                len: want as usize - prefix.len(),
            }
        } else {
            e.into()
        }
    };
    let buf = AlignedBytes::new(&prefix);
    let rd = ResourceDirectory::new(buf.as_slice());
    let root = rd.root().map_err(partial)?;

    let Some(entry) = find_data_entry(rd, &root, type_id)? else {
        if prefix.len() < want as usize {
            return Err(PeError::Unreadable {
                what: "resource directory (partly present)",
                addr: u64::from(dir.virtual_address) + prefix.len() as u64,
                len: want as usize - prefix.len(),
            });
        }
        return Ok(None);
    };
    let rva = entry.offset_to_data.get(LE);
    let size = entry.size.get(LE).min(max_len);
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
fn find_data_entry(
    rd: ResourceDirectory<'_>,
    root: &ResourceDirectoryTable<'_>,
    type_id: u16,
) -> Result<Option<pe::ImageResourceDataEntry>, PeError> {
    let mut visited: HashSet<u32> = HashSet::new();
    visited.insert(0);
    let mut budget = MAX_ENTRIES_VISITED;
    let too_many = PeError::TooLarge {
        what: "resource entries visited",
        value: MAX_ENTRIES_VISITED as u64 + 1,
        cap: MAX_ENTRIES_VISITED as u64,
    };

    for t in root.entries {
        if !t.is_table() || t.name_or_id().id() != Some(type_id) || t.has_name() {
            continue;
        }
        if !visited.insert(t.data_offset()) {
            continue;
        }
        let Ok(ResourceDirectoryEntryData::Table(names)) = t.data(rd) else {
            continue;
        };
        for n in names.entries {
            budget = budget.checked_sub(1).ok_or_else(|| too_many.clone())?;
            if !n.is_table() {
                // Malformed (data at level 2) but usable.
                if let Ok(ResourceDirectoryEntryData::Data(d)) = n.data(rd) {
                    return Ok(Some(*d));
                }
                continue;
            }
            if !visited.insert(n.data_offset()) {
                continue;
            }
            let Ok(ResourceDirectoryEntryData::Table(langs)) = n.data(rd) else {
                continue;
            };
            for l in langs.entries {
                budget = budget.checked_sub(1).ok_or_else(|| too_many.clone())?;
                if l.is_table() {
                    // A fourth level is invalid; never descend.
                    continue;
                }
                if let Ok(ResourceDirectoryEntryData::Data(d)) = l.data(rd) {
                    return Ok(Some(*d));
                }
            }
        }
    }
    Ok(None)
}
