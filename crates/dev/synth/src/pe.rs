//! PE image pieces as the loader leaves them in memory: headers page, export
//! directory, resource directory with a VS_VERSIONINFO, section layout.

use crate::bytes::{put, put_u16, put_u32, utf16z, Buf};
use crate::space::{PAGE_EXECUTE_READ, PAGE_READONLY, PAGE_READWRITE};

pub const SCN_CODE: u32 = 0x6000_0020;
pub const SCN_DATA: u32 = 0xc000_0040;
pub const SCN_RDATA: u32 = 0x4000_0040;
pub const SCN_RELOC: u32 = 0x4200_0040;

#[derive(Clone, Debug)]
pub struct Section {
    pub name: &'static str,
    pub rva: u32,
    pub vsize: u32,
    pub chars: u32,
}

impl Section {
    pub fn protect(&self) -> u32 {
        if self.chars & 0x2000_0000 != 0 {
            PAGE_EXECUTE_READ
        } else if self.chars & 0x8000_0000 != 0 {
            PAGE_READWRITE
        } else {
            PAGE_READONLY
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct VersionStrings {
    pub company: String,
    pub description: String,
    pub file_version: String,
    pub internal: String,
    pub copyright: String,
    pub original: String,
    pub product: String,
    pub product_version: String,
}

/// A loaded module: everything needed for the module list entry and the
/// in-memory PE structures.
#[derive(Clone, Debug)]
pub struct Image {
    /// File name, e.g. "ntdll.dll".
    pub file: String,
    /// Full path as it appears in the module list.
    pub path: String,
    pub base: u64,
    /// Preferred base from the optional header.
    pub pref_base: u64,
    pub size: u32,
    pub timestamp: u32,
    pub checksum: u32,
    pub file_version: [u16; 4],
    pub product_version: [u16; 4],
    pub exe: bool,
    pub x64: bool,
    pub sections: Vec<Section>,
    /// (name, rva) exports.
    pub exports: Vec<(String, u32)>,
    /// (name, "DLL.Function") forwarded exports.
    pub forwarders: Vec<(String, String)>,
    pub export_rva: u32,
    pub rsrc_rva: u32,
    pub iat_rva: u32,
    pub iat_size: u32,
    pub entry: u32,
    pub linker: (u8, u8),
    pub os_version: (u16, u16),
    pub lfanew: u32,
    pub strings: Option<VersionStrings>,
    /// (pdb name, guid, age) for an RSDS CodeView record.
    pub pdb: Option<(String, [u8; 16], u32)>,
}

impl Image {
    pub fn module_name(&self) -> &str {
        match self.file.rfind('.') {
            Some(i) => &self.file[..i],
            None => &self.file,
        }
    }

    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base && addr < self.base + self.size as u64
    }

    /// VS_FIXEDFILEINFO (52 bytes).
    pub fn fixed_file_info(&self) -> Vec<u8> {
        let v = self.file_version;
        let p = self.product_version;
        let mut b = Buf::new();
        b.u32(0xfeef_04bd);
        b.u32(0x0001_0000);
        b.u32(((v[0] as u32) << 16) | v[1] as u32);
        b.u32(((v[2] as u32) << 16) | v[3] as u32);
        b.u32(((p[0] as u32) << 16) | p[1] as u32);
        b.u32(((p[2] as u32) << 16) | p[3] as u32);
        b.u32(0x3f); // FileFlagsMask
        b.u32(0); // FileFlags
        b.u32(0x0004_0004); // VOS_NT_WINDOWS32
        b.u32(if self.exe { 1 } else { 2 }); // VFT_APP / VFT_DLL
        b.u32(0);
        b.u32(0);
        b.u32(0);
        b.data
    }

    /// RSDS CodeView record, if any.
    pub fn cv_record(&self) -> Vec<u8> {
        match &self.pdb {
            None => Vec::new(),
            Some((name, guid, age)) => {
                let mut b = Buf::new();
                b.bytes(b"RSDS");
                b.bytes(guid);
                b.u32(*age);
                b.bytes(name.as_bytes());
                b.u8(0);
                b.data
            }
        }
    }

    fn export_entries(&self) -> Vec<(String, Result<u32, String>)> {
        let mut e: Vec<(String, Result<u32, String>)> = self
            .exports
            .iter()
            .map(|(n, r)| (n.clone(), Ok(*r)))
            .chain(
                self.forwarders
                    .iter()
                    .map(|(n, f)| (n.clone(), Err(f.clone()))),
            )
            .collect();
        e.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        e
    }

    /// IMAGE_EXPORT_DIRECTORY with its tables and strings, to be placed at
    /// `export_rva`. Ordinals follow the sorted name order (base 1).
    pub fn export_directory(&self) -> Vec<u8> {
        let entries = self.export_entries();
        let n = entries.len() as u32;
        let rva0 = self.export_rva;
        let funcs = 40u32;
        let names = funcs + 4 * n;
        let ords = names + 4 * n;
        let mut strings = ords + 2 * n;
        let mut v: Vec<u8> = Vec::new();
        // Header.
        put_u32(&mut v, 0, 0);
        put_u32(&mut v, 4, self.timestamp);
        put_u32(&mut v, 12, rva0 + strings);
        put_u32(&mut v, 16, 1);
        put_u32(&mut v, 20, n);
        put_u32(&mut v, 24, n);
        put_u32(&mut v, 28, rva0 + funcs);
        put_u32(&mut v, 32, rva0 + names);
        put_u32(&mut v, 36, rva0 + ords);
        let dll = self.file.clone();
        put(&mut v, strings as usize, dll.as_bytes());
        strings += dll.len() as u32 + 1;
        for (i, (name, _)) in entries.iter().enumerate() {
            let i = i as u32;
            put_u32(&mut v, (names + 4 * i) as usize, rva0 + strings);
            put_u16(&mut v, (ords + 2 * i) as usize, i as u16);
            put(&mut v, strings as usize, name.as_bytes());
            strings += name.len() as u32 + 1;
        }
        for (i, (_, target)) in entries.iter().enumerate() {
            let i = i as u32;
            match target {
                Ok(rva) => put_u32(&mut v, (funcs + 4 * i) as usize, *rva),
                Err(fwd) => {
                    put_u32(&mut v, (funcs + 4 * i) as usize, rva0 + strings);
                    put(&mut v, strings as usize, fwd.as_bytes());
                    strings += fwd.len() as u32 + 1;
                }
            }
        }
        v.resize(strings as usize, 0);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    }

    /// Resource directory (RT_VERSION/1/0x409) plus the VS_VERSIONINFO blob,
    /// to be placed at `rsrc_rva`.
    pub fn resource_directory(&self) -> Vec<u8> {
        let blob = self.version_info();
        let mut v: Vec<u8> = Vec::new();
        // root directory: 1 id entry -> RT_VERSION (16)
        dir_header(&mut v, 0, self.timestamp);
        put_u32(&mut v, 0x10, 16);
        put_u32(&mut v, 0x14, 0x8000_0000 | 0x18);
        // name level: id 1
        dir_header(&mut v, 0x18, self.timestamp);
        put_u32(&mut v, 0x28, 1);
        put_u32(&mut v, 0x2c, 0x8000_0000 | 0x30);
        // language level: 0x409
        dir_header(&mut v, 0x30, self.timestamp);
        put_u32(&mut v, 0x40, 0x409);
        put_u32(&mut v, 0x44, 0x48);
        // data entry
        put_u32(&mut v, 0x48, self.rsrc_rva + 0x58);
        put_u32(&mut v, 0x4c, blob.len() as u32);
        put_u32(&mut v, 0x50, 0);
        put_u32(&mut v, 0x54, 0);
        put(&mut v, 0x58, &blob);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    }

    /// VS_VERSIONINFO resource blob.
    pub fn version_info(&self) -> Vec<u8> {
        let s = self.strings.clone().unwrap_or_default();
        let pairs = [
            ("CompanyName", s.company.as_str()),
            ("FileDescription", s.description.as_str()),
            ("FileVersion", s.file_version.as_str()),
            ("InternalName", s.internal.as_str()),
            ("LegalCopyright", s.copyright.as_str()),
            ("OriginalFilename", s.original.as_str()),
            ("ProductName", s.product.as_str()),
            ("ProductVersion", s.product_version.as_str()),
        ];
        let strs: Vec<Vec<u8>> = pairs
            .iter()
            .map(|(k, val)| {
                let value = utf16z(val);
                let wlen = (value.len() / 2) as u16;
                vs_node(k, &value, wlen, 1, &[])
            })
            .collect();
        let table = vs_node("040904b0", &[], 0, 1, &strs);
        let sfi = vs_node("StringFileInfo", &[], 0, 1, &[table]);
        let var = vs_node("Translation", &[0x09, 0x04, 0xb0, 0x04], 4, 0, &[]);
        let vfi = vs_node("VarFileInfo", &[], 0, 1, &[var]);
        vs_node(
            "VS_VERSION_INFO",
            &self.fixed_file_info(),
            52,
            0,
            &[sfi, vfi],
        )
    }

    /// The headers page (DOS header/stub, NT headers, section table); 0x1000 bytes.
    pub fn headers(&self) -> Vec<u8> {
        let mut v: Vec<u8> = Vec::new();
        // DOS header
        put(&mut v, 0, b"MZ");
        put_u16(&mut v, 2, 0x90);
        put_u16(&mut v, 4, 3);
        put_u16(&mut v, 8, 4);
        put_u16(&mut v, 0xc, 0xffff);
        put_u16(&mut v, 0x10, 0xb8);
        put_u16(&mut v, 0x18, 0x40);
        put_u32(&mut v, 0x3c, self.lfanew);
        put(
            &mut v,
            0x40,
            b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$",
        );
        let nt = self.lfanew as usize;
        put(&mut v, nt, b"PE\0\0");
        let fh = nt + 4;
        put_u16(&mut v, fh, if self.x64 { 0x8664 } else { 0x14c });
        put_u16(&mut v, fh + 2, self.sections.len() as u16);
        put_u32(&mut v, fh + 4, self.timestamp);
        let opt_size: u16 = if self.x64 { 0xf0 } else { 0xe0 };
        put_u16(&mut v, fh + 16, opt_size);
        let mut chars: u16 = 0x0002; // EXECUTABLE_IMAGE
        if self.x64 {
            chars |= 0x0020; // LARGE_ADDRESS_AWARE
        } else {
            chars |= 0x0100; // 32BIT_MACHINE
        }
        if !self.exe {
            chars |= 0x2000;
        }
        if self.pdb.is_none() {
            chars |= 0x000c; // VC6-era: line numbers / local symbols stripped
        }
        put_u16(&mut v, fh + 18, chars);
        let oh = fh + 20;
        let code: u32 = self
            .sections
            .iter()
            .filter(|s| s.chars & 0x20 != 0)
            .map(|s| raw_size(s.vsize))
            .sum();
        let idata: u32 = self
            .sections
            .iter()
            .filter(|s| s.chars & 0x40 != 0)
            .map(|s| raw_size(s.vsize))
            .sum();
        let base_of_data = self
            .sections
            .iter()
            .find(|s| s.chars & 0x20 == 0)
            .map(|s| s.rva)
            .unwrap_or(0);
        put_u16(&mut v, oh, if self.x64 { 0x20b } else { 0x10b });
        v.resize(oh + 2, 0);
        v.push(self.linker.0);
        v.push(self.linker.1);
        put_u32(&mut v, oh + 4, code);
        put_u32(&mut v, oh + 8, idata);
        put_u32(&mut v, oh + 16, self.entry);
        put_u32(&mut v, oh + 20, 0x1000);
        // From here PE32 and PE32+ differ by the BaseOfData/ImageBase width.
        let (mut o, word) = if self.x64 {
            crate::bytes::put_u64(&mut v, oh + 24, self.pref_base);
            (oh + 32, 8usize)
        } else {
            put_u32(&mut v, oh + 24, base_of_data);
            put_u32(&mut v, oh + 28, self.pref_base as u32);
            (oh + 32, 4usize)
        };
        put_u32(&mut v, o, 0x1000); // SectionAlignment
        put_u32(&mut v, o + 4, 0x200); // FileAlignment
        put_u16(&mut v, o + 8, self.os_version.0);
        put_u16(&mut v, o + 10, self.os_version.1);
        put_u16(&mut v, o + 12, self.file_version[0]);
        put_u16(&mut v, o + 14, self.file_version[1]);
        put_u16(&mut v, o + 16, 4);
        put_u16(&mut v, o + 18, 0);
        put_u32(&mut v, o + 24, self.size);
        put_u32(&mut v, o + 28, 0x400);
        put_u32(&mut v, o + 32, self.checksum);
        put_u16(&mut v, o + 36, 2); // IMAGE_SUBSYSTEM_WINDOWS_GUI
        put_u16(&mut v, o + 38, if self.x64 { 0x0160 } else { 0 });
        o += 40;
        let sizes: [u64; 4] = [0x40000, 0x1000, 0x100000, 0x1000];
        for s in sizes {
            if word == 8 {
                crate::bytes::put_u64(&mut v, o, s);
            } else {
                put_u32(&mut v, o, s as u32);
            }
            o += word;
        }
        put_u32(&mut v, o, 0); // LoaderFlags
        put_u32(&mut v, o + 4, 16);
        let dd = o + 8;
        if self.export_rva != 0 {
            put_u32(&mut v, dd, self.export_rva);
            put_u32(&mut v, dd + 4, self.export_directory().len() as u32);
        }
        if self.rsrc_rva != 0 {
            put_u32(&mut v, dd + 16, self.rsrc_rva);
            put_u32(&mut v, dd + 20, self.resource_directory().len() as u32);
        }
        if let Some(r) = self.sections.iter().find(|s| s.name == ".reloc") {
            put_u32(&mut v, dd + 40, r.rva);
            put_u32(&mut v, dd + 44, r.vsize);
        }
        if self.iat_size != 0 {
            put_u32(&mut v, dd + 96, self.iat_rva);
            put_u32(&mut v, dd + 100, self.iat_size);
        }
        let mut sh = dd + 128;
        let mut raw = 0x400u32;
        for s in &self.sections {
            let mut name = [0u8; 8];
            for (i, c) in s.name.bytes().take(8).enumerate() {
                name[i] = c;
            }
            put(&mut v, sh, &name);
            put_u32(&mut v, sh + 8, s.vsize);
            put_u32(&mut v, sh + 12, s.rva);
            put_u32(&mut v, sh + 16, raw_size(s.vsize));
            put_u32(&mut v, sh + 20, raw);
            put_u32(&mut v, sh + 36, s.chars);
            raw += raw_size(s.vsize);
            sh += 40;
        }
        v.resize(0x1000, 0);
        v
    }
}

fn raw_size(vsize: u32) -> u32 {
    (vsize + 0x1ff) & !0x1ff
}

fn dir_header(v: &mut Vec<u8>, off: usize, ts: u32) {
    put_u32(v, off, 0);
    put_u32(v, off + 4, ts);
    put_u16(v, off + 8, 0);
    put_u16(v, off + 10, 0);
    put_u16(v, off + 12, 0); // named entries
    put_u16(v, off + 14, 1); // id entries
}

/// One VS_VERSIONINFO-style node: wLength, wValueLength, wType, szKey, padding,
/// Value, padding, children (each 32-bit aligned).
fn vs_node(key: &str, value: &[u8], value_len: u16, ty: u16, children: &[Vec<u8>]) -> Vec<u8> {
    let mut v: Vec<u8> = vec![0; 6];
    put_u16(&mut v, 2, value_len);
    put_u16(&mut v, 4, ty);
    v.extend_from_slice(&utf16z(key));
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
    put_u16(&mut v, 0, len);
    v
}
