//! Little-endian byte writing helpers. All setters grow the buffer instead of
//! panicking on out-of-range offsets.

#[derive(Default, Clone)]
pub(crate) struct Buf {
    pub data: Vec<u8>,
}

impl Buf {
    pub fn new() -> Self {
        Self { data: Vec::new() }
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn u8(&mut self, v: u8) {
        self.data.push(v);
    }
    pub fn u16(&mut self, v: u16) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.data.extend_from_slice(b);
    }
    pub fn zeros(&mut self, n: usize) {
        self.data.resize(self.data.len() + n, 0);
    }
    pub fn align(&mut self, a: usize) {
        while !self.data.len().is_multiple_of(a) {
            self.data.push(0);
        }
    }
    pub fn set_u32(&mut self, off: usize, v: u32) {
        put(&mut self.data, off, &v.to_le_bytes());
    }
    pub fn set_u64(&mut self, off: usize, v: u64) {
        put(&mut self.data, off, &v.to_le_bytes());
    }
}

/// Writes `b` at `off`, growing `v` when needed.
pub(crate) fn put(v: &mut Vec<u8>, off: usize, b: &[u8]) {
    let end = off + b.len();
    if v.len() < end {
        v.resize(end, 0);
    }
    v[off..end].copy_from_slice(b);
}

pub(crate) fn put_u16(v: &mut Vec<u8>, off: usize, x: u16) {
    put(v, off, &x.to_le_bytes());
}

pub(crate) fn put_u32(v: &mut Vec<u8>, off: usize, x: u32) {
    put(v, off, &x.to_le_bytes());
}

pub(crate) fn put_u64(v: &mut Vec<u8>, off: usize, x: u64) {
    put(v, off, &x.to_le_bytes());
}

/// UTF-16LE bytes of `s`, without terminator.
pub(crate) fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|c| c.to_le_bytes()).collect()
}

/// UTF-16LE bytes of `s` plus a NUL terminator.
pub(crate) fn utf16z(s: &str) -> Vec<u8> {
    let mut v = utf16(s);
    v.extend_from_slice(&[0, 0]);
    v
}

pub(crate) fn page_down(a: u64) -> u64 {
    a & !0xfff
}

pub(crate) fn page_up(a: u64) -> u64 {
    (a + 0xfff) & !0xfff
}

/// Unix time -> Windows FILETIME (100 ns ticks since 1601).
pub(crate) fn filetime(unix: u64) -> u64 {
    (unix + 11_644_473_600) * 10_000_000
}

/// Small deterministic PRNG (xorshift64*), used for filler content.
#[derive(Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `lo..=hi` (hi >= lo).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next() % (hi - lo + 1)
    }
}
