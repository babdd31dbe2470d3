//! Debug directory: CodeView records (RSDS / NB10) naming the PDB.

use object::pe;
use object::LittleEndian as LE;

use crate::{lossy, read_pod, u32_at, Layout, Memory, PeImage, DIR_DEBUG};

/// Debug directory entries examined.
const MAX_DEBUG_ENTRIES: usize = 64;
/// Largest CodeView record read.
const MAX_CV_SIZE: u32 = 0x1000;
/// Longest PDB path kept (bytes).
const MAX_PDB_PATH: usize = 1024;

/// Identity of the PDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeViewKind {
    /// `RSDS` (PDB 7.0): GUID and age.
    Rsds {
        /// GUID in its on-disk byte order (Data1..3 little-endian).
        guid: [u8; 16],
        /// Age.
        age: u32,
    },
    /// `NB10` (PDB 2.0): timestamp signature and age.
    Nb10 {
        /// Signature (a timestamp).
        signature: u32,
        /// Age.
        age: u32,
    },
}

/// A CodeView debug record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeView {
    /// Identity.
    pub kind: CodeViewKind,
    /// PDB path as recorded by the linker (lossy UTF-8, capped).
    pub pdb_path: String,
}

impl CodeView {
    /// File name part of `pdb_path` (after the last `\` or `/`).
    pub fn pdb_file_name(&self) -> &str {
        self.pdb_path
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or(&self.pdb_path)
    }

    /// Age.
    pub fn age(&self) -> u32 {
        match self.kind {
            CodeViewKind::Rsds { age, .. } | CodeViewKind::Nb10 { age, .. } => age,
        }
    }

    /// GUID as `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` (RSDS only).
    pub fn guid_string(&self) -> Option<String> {
        let CodeViewKind::Rsds { guid: g, .. } = self.kind else {
            return None;
        };
        Some(format!(
            "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
            u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
            u16::from_le_bytes([g[4], g[5]]),
            u16::from_le_bytes([g[6], g[7]]),
            g[8],
            g[9],
            g[10],
            g[11],
            g[12],
            g[13],
            g[14],
            g[15]
        ))
    }

    /// Symbol-server identifier: GUID (no dashes) or NB10 signature, then
    /// the age in hex, e.g. `1E5A7B7E0A8B4C2D9F3E1A2B3C4D5E6F1`.
    pub fn debug_identifier(&self) -> String {
        match self.kind {
            CodeViewKind::Rsds { age, .. } => {
                format!(
                    "{}{age:X}",
                    self.guid_string().unwrap_or_default().replace('-', "")
                )
            }
            CodeViewKind::Nb10 { signature, age } => format!("{signature:08X}{age:X}"),
        }
    }
}

/// Parse a CodeView record (`RSDS` or `NB10`), e.g. from a debug directory
/// entry or a minidump module's `CvRecord`.
pub fn parse_codeview(bytes: &[u8]) -> Option<CodeView> {
    let path_at = |off: usize| -> String {
        let rest = bytes.get(off..).unwrap_or_default();
        let rest = rest.get(..rest.len().min(MAX_PDB_PATH)).unwrap_or_default();
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        lossy(rest.get(..end).unwrap_or_default())
    };
    match bytes.get(..4)? {
        b"RSDS" => {
            let mut guid = [0u8; 16];
            guid.copy_from_slice(bytes.get(4..20)?);
            let age = u32_at(bytes, 20)?;
            Some(CodeView {
                kind: CodeViewKind::Rsds { guid, age },
                pdb_path: path_at(24),
            })
        }
        b"NB10" => {
            let signature = u32_at(bytes, 8)?;
            let age = u32_at(bytes, 12)?;
            Some(CodeView {
                kind: CodeViewKind::Nb10 { signature, age },
                pdb_path: path_at(16),
            })
        }
        _ => None,
    }
}

impl PeImage {
    /// The first parseable CodeView record of the debug directory.
    pub fn codeview(&self, mem: &dyn Memory) -> Option<CodeView> {
        let dir = self.data_dir(DIR_DEBUG)?;
        let esize = std::mem::size_of::<pe::ImageDebugDirectory>();
        let n = (dir.size as usize / esize).min(MAX_DEBUG_ENTRIES);
        let table = self.read_prefix(mem, dir.virtual_address, n * esize);
        for chunk in table.chunks_exact(esize) {
            let Some(e) = read_pod::<pe::ImageDebugDirectory>(chunk) else {
                break;
            };
            if e.typ.get(LE) != pe::IMAGE_DEBUG_TYPE_CODEVIEW {
                continue;
            }
            let size = e.size_of_data.get(LE).min(MAX_CV_SIZE) as usize;
            let rva = e.address_of_raw_data.get(LE);
            let ptr = e.pointer_to_raw_data.get(LE);
            let mut data = None;
            if rva != 0 {
                data = Some(self.read_prefix(mem, rva, size)).filter(|d| !d.is_empty());
            }
            if data.is_none() && self.layout == Layout::File && ptr != 0 {
                data = self
                    .base
                    .checked_add(u64::from(ptr))
                    .and_then(|a| mem.read(a, size))
                    .map(|c| c.into_owned());
            }
            if let Some(cv) = data.as_deref().and_then(parse_codeview) {
                return Some(cv);
            }
        }
        None
    }
}
