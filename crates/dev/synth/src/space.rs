//! Virtual address space model -> MINIDUMP_MEMORY_INFO entries.

use crate::error::{Result, SynthError};

pub const MEM_COMMIT: u32 = 0x1000;
pub const MEM_RESERVE: u32 = 0x2000;
pub const MEM_FREE: u32 = 0x10000;
pub const MEM_PRIVATE: u32 = 0x20000;
pub const MEM_MAPPED: u32 = 0x40000;
pub const MEM_IMAGE: u32 = 0x100_0000;

pub const PAGE_NOACCESS: u32 = 0x01;
pub const PAGE_READONLY: u32 = 0x02;
pub const PAGE_READWRITE: u32 = 0x04;
pub const PAGE_EXECUTE_READ: u32 = 0x20;
pub const PAGE_EXECUTE_WRITECOPY: u32 = 0x80;
pub const PAGE_GUARD: u32 = 0x100;

/// One MINIDUMP_MEMORY_INFO entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub base: u64,
    pub size: u64,
    pub alloc_base: u64,
    pub alloc_protect: u32,
    pub state: u32,
    pub protect: u32,
    pub ty: u32,
}

impl Region {
    pub fn end(&self) -> u64 {
        self.base + self.size
    }
}

/// One piece of an allocation: (size, state, protect).
pub type Part = (u64, u32, u32);

#[derive(Default)]
pub(crate) struct Space {
    regions: Vec<Region>,
}

impl Space {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an allocation made of consecutive parts starting at `base`.
    pub fn alloc(&mut self, base: u64, alloc_protect: u32, ty: u32, parts: &[Part]) {
        let mut at = base;
        for &(size, state, protect) in parts {
            if size == 0 {
                continue;
            }
            self.regions.push(Region {
                base: at,
                size,
                alloc_base: base,
                alloc_protect,
                state,
                protect: if state == MEM_RESERVE { 0 } else { protect },
                ty,
            });
            at += size;
        }
    }

    /// Committed private read/write allocation of `commit` bytes followed by a
    /// reserved tail up to `total`.
    pub fn private(&mut self, base: u64, total: u64, commit: u64) {
        let commit = commit.min(total);
        self.alloc(
            base,
            PAGE_READWRITE,
            MEM_PRIVATE,
            &[
                (commit, MEM_COMMIT, PAGE_READWRITE),
                (total - commit, MEM_RESERVE, 0),
            ],
        );
    }

    /// Thread stack: reserved bottom, one guard page, committed top.
    pub fn stack(&mut self, alloc_base: u64, reserve: u64, commit: u64) {
        let commit = commit.min(reserve - 0x2000);
        self.alloc(
            alloc_base,
            PAGE_READWRITE,
            MEM_PRIVATE,
            &[
                (reserve - commit - 0x1000, MEM_RESERVE, 0),
                (0x1000, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD),
                (commit, MEM_COMMIT, PAGE_READWRITE),
            ],
        );
    }

    /// Sorted, overlap-checked list including MEM_FREE gaps within `[lo, hi)`;
    /// adjacent entries with identical attributes are merged like VirtualQuery does.
    pub fn finish(mut self, lo: u64, hi: u64) -> Result<Vec<Region>> {
        self.regions.sort_by_key(|r| r.base);
        let mut out: Vec<Region> = Vec::with_capacity(self.regions.len() * 2 + 1);
        let mut cursor = lo;
        for r in self.regions {
            if r.base < cursor {
                let prev = out.last().cloned().unwrap_or(Region {
                    base: lo,
                    size: 0,
                    alloc_base: 0,
                    alloc_protect: 0,
                    state: 0,
                    protect: 0,
                    ty: 0,
                });
                return Err(SynthError::Overlap {
                    a_start: prev.base,
                    a_end: prev.end(),
                    b_start: r.base,
                    b_end: r.end(),
                });
            }
            if r.base > cursor {
                out.push(free(cursor, r.base - cursor));
            }
            cursor = r.end();
            if let Some(last) = out.last_mut() {
                if last.end() == r.base
                    && last.alloc_base == r.alloc_base
                    && last.state == r.state
                    && last.protect == r.protect
                    && last.ty == r.ty
                    && last.alloc_protect == r.alloc_protect
                {
                    last.size += r.size;
                    continue;
                }
            }
            out.push(r);
        }
        if cursor > hi {
            return Err(SynthError::Layout(format!(
                "allocation ends at {cursor:#x}, beyond the user address space end {hi:#x}"
            )));
        }
        if cursor < hi {
            out.push(free(cursor, hi - cursor));
        }
        Ok(out)
    }
}

fn free(base: u64, size: u64) -> Region {
    Region {
        base,
        size,
        alloc_base: 0,
        alloc_protect: 0,
        state: MEM_FREE,
        protect: PAGE_NOACCESS,
        ty: 0,
    }
}
