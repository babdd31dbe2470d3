//! A small PE image builder for tests: fixed section layout, contents
//! written by RVA, emitted in mapped or file layout.
#![allow(dead_code)]

use std::borrow::Cow;

use coroner_pe::Memory;

pub const BASE64: u64 = 0x7ff6_0000_0000;
pub const BASE32: u64 = 0x0040_0000;
pub const SIZE_OF_IMAGE: u32 = 0x7000;
pub const LFANEW: usize = 0x80;

/// (name, rva, vsize, raw size, raw ptr, characteristics)
pub const SECTIONS: &[(&str, u32, u32, u32, u32, u32)] = &[
    (".text", 0x1000, 0x1000, 0x1000, 0x400, 0x6000_0020),
    (".rdata", 0x2000, 0x2000, 0x2000, 0x1400, 0x4000_0040),
    (".pdata", 0x4000, 0x1000, 0x1000, 0x3400, 0x4000_0040),
    (".rsrc", 0x5000, 0x1000, 0x1000, 0x4400, 0x4000_0040),
    // Uninitialised: no raw data, reads as zeros.
    (".bss", 0x6000, 0x1000, 0, 0, 0xc000_0080),
];

pub struct PeBuilder {
    pub is_64: bool,
    pub machine: u16,
    pub timestamp: u32,
    pub entry: u32,
    pub dirs: [(u32, u32); 16],
    /// Image contents in mapped layout (headers are written at build time).
    pub image: Vec<u8>,
    pub n_sections_override: Option<u16>,
}

pub fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

impl PeBuilder {
    pub fn new(is_64: bool) -> Self {
        PeBuilder {
            is_64,
            machine: if is_64 { 0x8664 } else { 0x14c },
            timestamp: 0x5f3e_1a2b,
            entry: 0x1000,
            dirs: [(0, 0); 16],
            image: vec![0; SIZE_OF_IMAGE as usize],
            n_sections_override: None,
        }
    }

    pub fn base(&self) -> u64 {
        if self.is_64 {
            BASE64
        } else {
            BASE32
        }
    }

    pub fn write(&mut self, rva: u32, bytes: &[u8]) {
        put(&mut self.image, rva as usize, bytes);
    }

    pub fn dir(&mut self, index: usize, rva: u32, size: u32) {
        self.dirs[index] = (rva, size);
    }

    /// File offset of an RVA inside a section with raw data.
    pub fn file_offset(rva: u32) -> u32 {
        for &(_, va, _, raw, ptr, _) in SECTIONS {
            if rva >= va && rva < va + raw {
                return ptr + (rva - va);
            }
        }
        panic!("rva {rva:#x} has no file data");
    }

    fn headers(&self) -> Vec<u8> {
        let mut h = vec![0u8; 0x400];
        put(&mut h, 0, b"MZ");
        put(&mut h, 0x3c, &(LFANEW as u32).to_le_bytes());
        put(&mut h, LFANEW, b"PE\0\0");
        let fh = LFANEW + 4;
        let opt_size: u16 = if self.is_64 { 240 } else { 224 };
        let nsec = self.n_sections_override.unwrap_or(SECTIONS.len() as u16);
        put(&mut h, fh, &self.machine.to_le_bytes());
        put(&mut h, fh + 2, &nsec.to_le_bytes());
        put(&mut h, fh + 4, &self.timestamp.to_le_bytes());
        put(&mut h, fh + 16, &opt_size.to_le_bytes());
        let chars: u16 = if self.is_64 { 0x2022 } else { 0x2102 };
        put(&mut h, fh + 18, &chars.to_le_bytes());
        let o = fh + 20;
        let magic: u16 = if self.is_64 { 0x20b } else { 0x10b };
        put(&mut h, o, &magic.to_le_bytes());
        put(&mut h, o + 16, &self.entry.to_le_bytes());
        let (dirs_off, nrva_off) = if self.is_64 {
            put(&mut h, o + 24, &self.base().to_le_bytes());
            (o + 112, o + 108)
        } else {
            put(&mut h, o + 28, &(self.base() as u32).to_le_bytes());
            (o + 96, o + 92)
        };
        put(&mut h, o + 32, &0x1000u32.to_le_bytes()); // SectionAlignment
        put(&mut h, o + 36, &0x200u32.to_le_bytes()); // FileAlignment
        put(&mut h, o + 56, &SIZE_OF_IMAGE.to_le_bytes());
        put(&mut h, o + 60, &0x400u32.to_le_bytes()); // SizeOfHeaders
        put(&mut h, o + 64, &0x0001_2345u32.to_le_bytes()); // CheckSum
        put(&mut h, o + 68, &3u16.to_le_bytes()); // Subsystem: console
        put(&mut h, o + 70, &0x8160u16.to_le_bytes());
        put(&mut h, nrva_off, &16u32.to_le_bytes());
        for (i, (rva, size)) in self.dirs.iter().enumerate() {
            put(&mut h, dirs_off + i * 8, &rva.to_le_bytes());
            put(&mut h, dirs_off + i * 8 + 4, &size.to_le_bytes());
        }
        let st = o + opt_size as usize;
        for (i, &(name, va, vsize, raw, ptr, ch)) in SECTIONS.iter().enumerate() {
            let s = st + i * 40;
            let mut n = [0u8; 8];
            n[..name.len()].copy_from_slice(name.as_bytes());
            put(&mut h, s, &n);
            put(&mut h, s + 8, &vsize.to_le_bytes());
            put(&mut h, s + 12, &va.to_le_bytes());
            put(&mut h, s + 16, &raw.to_le_bytes());
            put(&mut h, s + 20, &ptr.to_le_bytes());
            put(&mut h, s + 36, &ch.to_le_bytes());
        }
        h
    }

    pub fn build_mapped(&self) -> Vec<u8> {
        let mut img = self.image.clone();
        let h = self.headers();
        put(&mut img, 0, &h);
        img
    }

    pub fn build_file(&self) -> Vec<u8> {
        let mut f = vec![0u8; 0x4400 + 0x1000];
        put(&mut f, 0, &self.headers());
        for &(_, va, _, raw, ptr, _) in SECTIONS {
            let (va, raw, ptr) = (va as usize, raw as usize, ptr as usize);
            f[ptr..ptr + raw].copy_from_slice(&self.image[va..va + raw]);
        }
        f
    }
}

// ---- content builders ----

pub enum Func {
    Code(u32),
    Forward(&'static str),
    Unused,
}

/// Export directory at `dir_rva`; returns its size. `names` must be sorted.
pub fn exports(
    b: &mut PeBuilder,
    dir_rva: u32,
    dll: &str,
    ordinal_base: u32,
    funcs: &[Func],
    names: &[(&str, u16)],
) -> u32 {
    let nf = funcs.len() as u32;
    let nn = names.len() as u32;
    let eat = dir_rva + 40;
    let npt = eat + 4 * nf;
    let ord = npt + 4 * nn;
    let mut strings = ord + 2 * nn;
    let mut blob = vec![0u8; (strings - dir_rva) as usize];
    let mut add_str = |blob: &mut Vec<u8>, s: &str| -> u32 {
        let at = strings;
        blob.extend_from_slice(s.as_bytes());
        blob.push(0);
        strings += s.len() as u32 + 1;
        at
    };
    let dll_rva = add_str(&mut blob, dll);
    let mut eat_vals = Vec::new();
    for f in funcs {
        eat_vals.push(match f {
            Func::Code(r) => *r,
            Func::Forward(s) => add_str(&mut blob, s),
            Func::Unused => 0,
        });
    }
    let mut name_rvas = Vec::new();
    for (n, _) in names {
        name_rvas.push(add_str(&mut blob, n));
    }
    let w = |blob: &mut Vec<u8>, rva: u32, v: &[u8]| put(blob, (rva - dir_rva) as usize, v);
    w(&mut blob, dir_rva + 4, &0x1234_5678u32.to_le_bytes());
    w(&mut blob, dir_rva + 12, &dll_rva.to_le_bytes());
    w(&mut blob, dir_rva + 16, &ordinal_base.to_le_bytes());
    w(&mut blob, dir_rva + 20, &nf.to_le_bytes());
    w(&mut blob, dir_rva + 24, &nn.to_le_bytes());
    w(&mut blob, dir_rva + 28, &eat.to_le_bytes());
    w(&mut blob, dir_rva + 32, &npt.to_le_bytes());
    w(&mut blob, dir_rva + 36, &ord.to_le_bytes());
    for (i, v) in eat_vals.iter().enumerate() {
        w(&mut blob, eat + 4 * i as u32, &v.to_le_bytes());
    }
    for (i, (r, (_, idx))) in name_rvas.iter().zip(names).enumerate() {
        w(&mut blob, npt + 4 * i as u32, &r.to_le_bytes());
        w(&mut blob, ord + 2 * i as u32, &idx.to_le_bytes());
    }
    let size = blob.len() as u32;
    b.write(dir_rva, &blob);
    b.dir(0, dir_rva, size);
    size
}

/// One VS_VERSIONINFO-style node.
pub fn vnode(
    key: &str,
    w_type: u16,
    value: &[u8],
    value_len: u16,
    children: &[Vec<u8>],
) -> Vec<u8> {
    let mut v = vec![0u8; 6];
    for u in key.encode_utf16().chain([0]) {
        v.extend_from_slice(&u.to_le_bytes());
    }
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
    v.extend_from_slice(value);
    for c in children {
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v.extend_from_slice(c);
    }
    let len = v.len() as u16;
    put(&mut v, 0, &len.to_le_bytes());
    put(&mut v, 2, &value_len.to_le_bytes());
    put(&mut v, 4, &w_type.to_le_bytes());
    v
}

pub fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16()
        .chain([0])
        .flat_map(|u| u.to_le_bytes())
        .collect()
}

pub fn vstring(key: &str, value: &str) -> Vec<u8> {
    let chars = value.encode_utf16().count() as u16 + 1;
    vnode(key, 1, &utf16z(value), chars, &[])
}

pub fn fixed_file_info() -> Vec<u8> {
    let words: [u32; 13] = [
        0xFEEF_04BD,
        0x0001_0000,
        0x000A_0000, // 10.0
        0x4A61_0001, // 19041.1
        0x000A_0000,
        0x4A61_0000,
        0x3f,
        0x0000_0002, // prerelease
        0x0004_0004, // VOS_NT_WINDOWS32
        0x2,         // VFT_DLL
        0,
        0,
        0,
    ];
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// A typical version blob: fixed info, one matching and one other string
/// table, translation 0409/04b0.
pub fn version_blob() -> Vec<u8> {
    let other = vnode(
        "040704b0",
        1,
        &[],
        0,
        &[vstring("CompanyName", "Andere Firma")],
    );
    let table = vnode(
        "040904b0",
        1,
        &[],
        0,
        &[
            vstring("CompanyName", "Contoso Ltd."),
            vstring("FileDescription", "Contoso Widget Library"),
            vstring("FileVersion", "10.0.19041.1 (WinBuild.160101.0800)"),
            vstring("InternalName", "widget"),
            vstring("LegalCopyright", "\u{a9} Contoso. All rights reserved."),
            vstring("OriginalFilename", "widget.dll"),
            vstring("ProductName", "Contoso\u{ae} Widgets"),
            vstring("ProductVersion", "10.0.19041.1"),
            // Empty value with wValueLength 0.
            vnode("Comments", 1, &[], 0, &[]),
        ],
    );
    let sfi = vnode("StringFileInfo", 1, &[], 0, &[other, table]);
    let trans: Vec<u8> = [0x0409u16, 0x04b0]
        .iter()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    let var = vnode("Translation", 0, &trans, 4, &[]);
    let vfi = vnode("VarFileInfo", 1, &[], 0, &[var]);
    vnode("VS_VERSION_INFO", 0, &fixed_file_info(), 52, &[sfi, vfi])
}

/// Resource directory at `rva` with RT_VERSION/1/0x409 -> `blob`.
/// Returns the directory size.
pub fn resources(b: &mut PeBuilder, rva: u32, blob: &[u8]) -> u32 {
    let mut r = vec![0u8; 0x80];
    // Root table at 0: 1 id entry, plus an unrelated RT_ICON (3) first.
    put(&mut r, 14, &2u16.to_le_bytes());
    put(&mut r, 16, &3u32.to_le_bytes());
    put(&mut r, 20, &(0x8000_0000u32 | 0x20).to_le_bytes()); // -> icon level-2 table
    put(&mut r, 24, &16u32.to_le_bytes());
    put(&mut r, 28, &(0x8000_0000u32 | 0x30).to_le_bytes());
    // Icon level-2 table at 0x20 with no entries (ignored).
    // Version level-2 table at 0x30: id 1 -> level-3 table at 0x48.
    put(&mut r, 0x30 + 14, &1u16.to_le_bytes());
    put(&mut r, 0x30 + 16, &1u32.to_le_bytes());
    put(&mut r, 0x30 + 20, &(0x8000_0000u32 | 0x48).to_le_bytes());
    // Level-3 at 0x48: lang 0x409 -> data entry at 0x60.
    put(&mut r, 0x48 + 14, &1u16.to_le_bytes());
    put(&mut r, 0x48 + 16, &0x409u32.to_le_bytes());
    put(&mut r, 0x48 + 20, &0x60u32.to_le_bytes());
    // Data entry at 0x60: blob at rva + 0x80.
    put(&mut r, 0x60, &(rva + 0x80).to_le_bytes());
    put(&mut r, 0x64, &(blob.len() as u32).to_le_bytes());
    put(&mut r, 0x68, &1200u32.to_le_bytes());
    r.extend_from_slice(blob);
    let size = r.len() as u32;
    b.write(rva, &r);
    b.dir(2, rva, size);
    size
}

pub const GUID: [u8; 16] = [
    0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
];

/// Debug directory at `rva` with an RSDS record at `rva + 0x40`.
pub fn debug_dir(b: &mut PeBuilder, rva: u32, pdb: &str) {
    let cv_rva = rva + 0x40;
    let mut cv = b"RSDS".to_vec();
    cv.extend_from_slice(&GUID);
    cv.extend_from_slice(&3u32.to_le_bytes());
    cv.extend_from_slice(pdb.as_bytes());
    cv.push(0);
    let mut d = vec![0u8; 28 * 2];
    // A non-CodeView entry first (POGO = 13), then CodeView.
    put(&mut d, 12, &13u32.to_le_bytes());
    put(&mut d, 28 + 12, &2u32.to_le_bytes());
    put(&mut d, 28 + 16, &(cv.len() as u32).to_le_bytes());
    put(&mut d, 28 + 20, &cv_rva.to_le_bytes());
    put(
        &mut d,
        28 + 24,
        &PeBuilder::file_offset(cv_rva).to_le_bytes(),
    );
    b.write(rva, &d);
    b.write(cv_rva, &cv);
    b.dir(6, rva, 56);
}

/// Memory with holes: reads touching `[start, end)` of any hole fail.
pub struct Holey<'a> {
    pub base: u64,
    pub data: &'a [u8],
    pub holes: Vec<(u64, u64)>,
}

impl Memory for Holey<'_> {
    fn read(&self, addr: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        let end = addr.checked_add(len as u64)?;
        if self.holes.iter().any(|&(s, e)| addr < e && s < end) {
            return None;
        }
        let off = usize::try_from(addr.checked_sub(self.base)?).ok()?;
        self.data.get(off..off.checked_add(len)?).map(Cow::Borrowed)
    }
}

/// Tiny deterministic PRNG for mutation tests.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}
