//! The process's memory as captured in the dump: a sorted set of borrowed byte ranges.

use std::borrow::Cow;

/// One captured range of process memory, borrowed from the dump file.
#[derive(Clone, Copy, Debug)]
pub struct MemoryRange<'d> {
    /// Virtual address of the first byte.
    pub base: u64,
    /// The bytes, as stored in the dump.
    pub bytes: &'d [u8],
}

impl MemoryRange<'_> {
    /// One past the last address of the range (saturating).
    pub fn end(&self) -> u64 {
        self.base.saturating_add(self.bytes.len() as u64)
    }
}

/// The captured memory of a process: ranges sorted by address, non-overlapping
/// (the first range wins where a dump repeats an address).
#[derive(Clone, Debug, Default)]
pub struct AddressSpace<'d> {
    ranges: Vec<MemoryRange<'d>>,
}

impl<'d> AddressSpace<'d> {
    /// Builds the address space; sorts ranges and drops overlapping tails.
    pub fn new(mut ranges: Vec<MemoryRange<'d>>) -> Self {
        ranges.retain(|r| !r.bytes.is_empty());
        ranges.sort_by_key(|r| r.base);
        let mut out: Vec<MemoryRange<'d>> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match out.last() {
                Some(prev) if r.base < prev.end() => {
                    // Overlap: keep the part past the previous range, if any.
                    let skip = prev.end() - r.base;
                    if (skip as usize) < r.bytes.len() {
                        out.push(MemoryRange {
                            base: prev.end(),
                            bytes: &r.bytes[skip as usize..],
                        });
                    }
                }
                _ => out.push(r),
            }
        }
        AddressSpace { ranges: out }
    }

    /// All ranges, by address.
    pub fn ranges(&self) -> &[MemoryRange<'d>] {
        &self.ranges
    }

    /// Total bytes captured.
    pub fn total_bytes(&self) -> u64 {
        self.ranges.iter().map(|r| r.bytes.len() as u64).sum()
    }

    /// The range containing `addr`.
    pub fn range_at(&self, addr: u64) -> Option<&MemoryRange<'d>> {
        let idx = self.ranges.partition_point(|r| r.base <= addr);
        let r = self.ranges.get(idx.checked_sub(1)?)?;
        (addr < r.end()).then_some(r)
    }

    /// The longest captured slice starting at `addr` (within one range).
    pub fn slice_from(&self, addr: u64) -> Option<&'d [u8]> {
        let r = self.range_at(addr)?;
        Some(&r.bytes[(addr - r.base) as usize..])
    }

    /// `len` bytes at `addr`, or `None` if any byte is missing. Borrowed when the bytes lie in one
    /// range, copied when they span adjacent ranges.
    pub fn read(&self, addr: u64, len: usize) -> Option<Cow<'d, [u8]>> {
        if len == 0 {
            return Some(Cow::Borrowed(&[]));
        }
        addr.checked_add(len as u64)?;
        let first = self.slice_from(addr)?;
        if first.len() >= len {
            return Some(Cow::Borrowed(&first[..len]));
        }
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(first);
        while out.len() < len {
            let next = self.slice_from(addr + out.len() as u64)?;
            let take = next.len().min(len - out.len());
            out.extend_from_slice(&next[..take]);
        }
        Some(Cow::Owned(out))
    }

    /// As many bytes as are present from `addr` on, up to `len` (following adjacent ranges).
    pub fn read_partial(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < len {
            let Some(next) = self.slice_from(addr.wrapping_add(out.len() as u64)) else {
                break;
            };
            let take = next.len().min(len - out.len());
            out.extend_from_slice(&next[..take]);
        }
        out
    }

    /// Whether `addr` is captured.
    pub fn contains(&self, addr: u64) -> bool {
        self.range_at(addr).is_some()
    }

    /// Little-endian u16 at `addr`.
    pub fn read_u16(&self, addr: u64) -> Option<u16> {
        let b = self.read(addr, 2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    /// Little-endian u32 at `addr`.
    pub fn read_u32(&self, addr: u64) -> Option<u32> {
        let b = self.read(addr, 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Little-endian u64 at `addr`.
    pub fn read_u64(&self, addr: u64) -> Option<u64> {
        let b = self.read(addr, 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(&b);
        Some(u64::from_le_bytes(a))
    }

    /// A pointer of `ptr_size` (4 or 8) bytes at `addr`.
    pub fn read_ptr(&self, addr: u64, ptr_size: u8) -> Option<u64> {
        if ptr_size == 4 {
            self.read_u32(addr).map(u64::from)
        } else {
            self.read_u64(addr)
        }
    }

    /// A UTF-16LE string of `byte_len` bytes at `addr` (capped at `max_bytes`), lossy.
    pub fn read_utf16(&self, addr: u64, byte_len: usize, max_bytes: usize) -> Option<String> {
        let len = byte_len.min(max_bytes) & !1;
        let b = self.read(addr, len)?;
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    }
}
