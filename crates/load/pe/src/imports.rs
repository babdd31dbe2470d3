//! Which import an IAT slot is: the import directory walked from the image (its file, when a
//! dump lacks the `.idata` pages), so that `call [slot]` can be named although the slot's value
//! is not in the dump. Hand-written beside the rest of this crate's PE reading, which works on
//! partly present images through [`Memory`]; bounded: at most [`MAX_DESCRIPTORS`] DLLs and
//! [`MAX_THUNKS`] imports per DLL.

use crate::{Memory, PeImage};

/// Import descriptors read at most.
pub const MAX_DESCRIPTORS: u32 = 512;
/// Imports of one DLL read at most.
pub const MAX_THUNKS: u32 = 16_384;
const IMAGE_DIRECTORY_ENTRY_IMPORT: usize = 1;

/// An imported function: its DLL and its name, or its ordinal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub dll: String,
    pub name: Option<String>,
    pub ordinal: Option<u16>,
}

impl PeImage {
    /// The import whose IAT slot is at `slot_rva`, read from the import directory.
    pub fn import_at(&self, mem: &dyn Memory, slot_rva: u32) -> Option<Import> {
        let dir = self.data_dir(IMAGE_DIRECTORY_ENTRY_IMPORT)?;
        let size: u32 = if self.is_64 { 8 } else { 4 };
        for i in 0..MAX_DESCRIPTORS {
            let d = self.read_rva(mem, dir.virtual_address.checked_add(i * 20)?, 20)?;
            let field = |o: usize| u32::from_le_bytes(d[o..o + 4].try_into().unwrap_or_default());
            let (ilt, name, iat) = (field(0), field(12), field(16));
            if iat == 0 && name == 0 {
                return None;
            }
            let index = slot_rva
                .checked_sub(iat)
                .map(|off| (off / size, off % size));
            let Some((index, 0)) = index.filter(|(n, _)| *n < MAX_THUNKS) else {
                continue;
            };
            // The lookup table names the import; a file without one keeps it in the IAT.
            let table = if ilt != 0 { ilt } else { iat };
            if !self.thunks_before_are_set(mem, table, index, size) {
                continue;
            }
            let entry = self.thunk(mem, table.checked_add(index * size)?, size)?;
            let dll = self.read_cstr(mem, name, 256)?;
            return Some(self.import_of(mem, String::from_utf8_lossy(&dll).into_owned(), entry));
        }
        None
    }

    /// Whether the thunks of a table before `index` are all set (a 0 ends the table).
    fn thunks_before_are_set(&self, mem: &dyn Memory, table: u32, index: u32, size: u32) -> bool {
        (0..=index).all(|j| {
            table
                .checked_add(j * size)
                .and_then(|at| self.thunk(mem, at, size))
                .is_some_and(|t| t != 0)
        })
    }

    fn thunk(&self, mem: &dyn Memory, rva: u32, size: u32) -> Option<u64> {
        let b = self.read_rva(mem, rva, size as usize)?;
        Some(if size == 8 {
            u64::from_le_bytes(b[..8].try_into().ok()?)
        } else {
            u64::from(u32::from_le_bytes(b[..4].try_into().ok()?))
        })
    }

    fn import_of(&self, mem: &dyn Memory, dll: String, entry: u64) -> Import {
        let by_ordinal = if self.is_64 {
            entry >> 63 == 1
        } else {
            entry >> 31 == 1
        };
        if by_ordinal {
            return Import {
                dll,
                name: None,
                ordinal: Some(entry as u16),
            };
        }
        let name = u32::try_from(entry & 0x7fff_ffff)
            .ok()
            .and_then(|rva| self.read_cstr(mem, rva.checked_add(2)?, 512))
            .map(|n| String::from_utf8_lossy(&n).into_owned());
        Import {
            dll,
            name,
            ordinal: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Layout, PeImage};

    fn lab_dll() -> Vec<u8> {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../fixtures/lab/memory/bin/x86/alpsnow.dll"
        );
        std::fs::read(p).unwrap()
    }

    #[test]
    fn an_iat_slot_is_named_from_the_file_s_import_directory() {
        let bytes = lab_dll();
        let img = PeImage::parse(&&bytes[..], 0, Layout::File).unwrap();
        let dir = img.data_dir(1).unwrap();
        assert!(!dir.is_empty());
        // Every slot of every DLL's IAT names an import; an address between tables names none.
        let mut named = Vec::new();
        let iat = img.data_dir(12).unwrap();
        for slot in (iat.virtual_address..iat.virtual_address + iat.size).step_by(4) {
            if let Some(i) = img.import_at(&&bytes[..], slot) {
                named.push(format!(
                    "{}!{}",
                    i.dll.to_ascii_lowercase(),
                    i.name.unwrap_or_default()
                ));
            }
        }
        assert!(
            named.iter().any(|n| n == "kernel32.dll!HeapAlloc"),
            "{named:?}"
        );
        assert!(
            named.iter().any(|n| n == "kernel32.dll!GetProcessHeap"),
            "{named:?}"
        );
        assert_eq!(img.import_at(&&bytes[..], img.entry_point), None);
    }

    #[test]
    fn damaged_import_directories_name_nothing_and_never_panic() {
        let clean = lab_dll();
        let img = PeImage::parse(&&clean[..], 0, Layout::File).unwrap();
        let at = img
            .rva_to_file_offset(img.data_dir(1).unwrap().virtual_address)
            .unwrap() as usize;
        let iat = img.data_dir(12).unwrap();
        for n in 0..200usize {
            let mut b = clean.clone();
            let i = at + (n * 7) % 120;
            b[i] = b[i].wrapping_add(1 + n as u8);
            let Ok(img) = PeImage::parse(&&b[..], 0, Layout::File) else {
                continue;
            };
            for slot in (iat.virtual_address..iat.virtual_address + iat.size).step_by(4) {
                let _ = img.import_at(&&b[..], slot);
            }
        }
    }
}
