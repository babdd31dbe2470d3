//! Sparse memory image: non-overlapping byte ranges keyed by start address.

use std::collections::BTreeMap;

use crate::bytes::{page_down, page_up};

#[derive(Default)]
pub(crate) struct Memory {
    ranges: BTreeMap<u64, Vec<u8>>,
}

impl Memory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes sure `[start, end)` is backed; overlapping or adjacent ranges are merged.
    pub fn ensure(&mut self, start: u64, end: u64) {
        if end <= start {
            return;
        }
        let keys: Vec<u64> = self
            .ranges
            .range(..=end)
            .filter(|(k, v)| **k + v.len() as u64 >= start)
            .map(|(k, _)| *k)
            .collect();
        let mut lo = start;
        let mut hi = end;
        for k in &keys {
            if let Some(v) = self.ranges.get(k) {
                let e = *k + v.len() as u64;
                if keys.len() == 1 && *k <= start && e >= end {
                    return;
                }
                lo = lo.min(*k);
                hi = hi.max(e);
            }
        }
        let mut buf = vec![0u8; (hi - lo) as usize];
        for k in keys {
            if let Some(v) = self.ranges.remove(&k) {
                let off = (k - lo) as usize;
                buf[off..off + v.len()].copy_from_slice(&v);
            }
        }
        self.ranges.insert(lo, buf);
    }

    /// Writes bytes, backing exactly the written range.
    pub fn write(&mut self, addr: u64, data: &[u8]) {
        self.ensure(addr, addr + data.len() as u64);
        self.copy_in(addr, data);
    }

    /// Writes bytes, backing the whole pages they touch.
    pub fn write_paged(&mut self, addr: u64, data: &[u8]) {
        self.ensure(page_down(addr), page_up(addr + data.len().max(1) as u64));
        self.copy_in(addr, data);
    }

    fn copy_in(&mut self, addr: u64, data: &[u8]) {
        if let Some((k, v)) = self.ranges.range_mut(..=addr).next_back() {
            let off = (addr - *k) as usize;
            if off + data.len() <= v.len() {
                v[off..off + data.len()].copy_from_slice(data);
            }
        }
    }

    pub fn ranges(&self) -> impl Iterator<Item = (u64, &Vec<u8>)> {
        self.ranges.iter().map(|(k, v)| (*k, v))
    }
}
