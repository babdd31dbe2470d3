//! Big x64 "full memory" dump: Memory64List + MemoryInfoList with thousands of
//! regions, written sparsely (headers/streams, `set_len`, then only the few
//! interesting pages).

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use crate::bytes::{put_u16, put_u32, put_u64, Rng};
use crate::dump::{
    offset64, serialize, DumpException, DumpModel, DumpThread, MemorySource, SysInfo,
};
use crate::error::{Result, SynthError};
use crate::pe::{Image, VersionStrings};
use crate::space::*;

/// Summary of a written big dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BigInfo {
    /// Final file size (>= requested).
    pub file_size: u64,
    /// Number of Memory64List ranges.
    pub memory_ranges: usize,
    /// Number of MemoryInfoList entries.
    pub memory_info_entries: usize,
    /// File offset of the first memory byte (Memory64List BaseRva).
    pub base_rva: u64,
    /// Faulting thread id.
    pub fault_thread_id: u32,
    /// Exception address (the faulting RIP).
    pub exception_address: u64,
    /// Address whose read faulted (rcx + 0x18 with rcx = 0).
    pub fault_data_address: u64,
    /// Thread ids, thread-list order.
    pub thread_ids: Vec<u32>,
}

const PEB64: u64 = 0x0000_00d2_4c1a_2000;
const TEB64: u64 = 0x0000_00d2_4c1a_3000;
const STACKS64: u64 = 0x0000_00d2_4c40_0000;
const STACK64_RESERVE: u64 = 0x10_0000;
const BULK64: u64 = 0x0000_0200_0000_0000;
const THREADS64: usize = 4;
const FAULT64: usize = 1;
/// Largest accepted request (16 TiB).
pub const MAX_BIG_SIZE: u64 = 1 << 44;

struct Mod64 {
    file: &'static str,
    path: &'static str,
    base: u64,
    size: u32,
    exports: &'static [(&'static str, u32)],
    version: [u16; 4],
    company: &'static str,
    ts: u32,
}

const MODS64: [Mod64; 5] = [
    Mod64 {
        file: "ContosoServer.exe",
        path: "C:\\Program Files\\Contoso\\Server\\ContosoServer.exe",
        base: 0x7ff6_1a2b_0000,
        size: 0x8b000,
        exports: &[],
        version: [3, 2, 0, 118],
        company: "Contoso Ltd.",
        ts: 0x6412_8f3c,
    },
    Mod64 {
        file: "ntdll.dll",
        path: "C:\\Windows\\SYSTEM32\\ntdll.dll",
        base: 0x7ffc_3e0a_0000,
        size: 0x1f8000,
        exports: &[
            ("NtWaitForSingleObject", 0x9d3a0),
            ("NtWaitForWorkViaWorkerFactory", 0x9f0a0),
            ("RtlUserThreadStart", 0x52b30),
            ("TppWorkerThread", 0x30740),
        ],
        version: [10, 0, 20348, 2227],
        company: "Microsoft Corporation",
        ts: 0x2d1a_3f06,
    },
    Mod64 {
        file: "KERNEL32.DLL",
        path: "C:\\Windows\\System32\\KERNEL32.DLL",
        base: 0x7ffc_3d2c_0000,
        size: 0xc2000,
        exports: &[
            ("BaseThreadInitThunk", 0x17020),
            ("WaitForSingleObject", 0x1a8c0),
        ],
        version: [10, 0, 20348, 2227],
        company: "Microsoft Corporation",
        ts: 0x9bd1_8c2e,
    },
    Mod64 {
        file: "KERNELBASE.dll",
        path: "C:\\Windows\\System32\\KERNELBASE.dll",
        base: 0x7ffc_3b7d_0000,
        size: 0x2f7000,
        exports: &[("WaitForSingleObjectEx", 0x2d7e0)],
        version: [10, 0, 20348, 2227],
        company: "Microsoft Corporation",
        ts: 0x4f2b_a1c3,
    },
    Mod64 {
        file: "contoso_native.dll",
        path: "C:\\Program Files\\Contoso\\Server\\contoso_native.dll",
        base: 0x0000_0001_8000_0000,
        size: 0x5e000,
        exports: &[("CnInitialize", 0x1010), ("CnProcessRecord", 0x4d20)],
        version: [1, 7, 3, 0],
        company: "Contoso Ltd.",
        ts: 0x5c8e_11a7,
    },
];

fn image64(m: &Mod64) -> Image {
    let size = m.size;
    let text_end = ((size as u64 * 6 / 10) as u32 + 0xfff) & !0xfff;
    let rdata_end = ((size as u64 * 8 / 10) as u32 + 0xfff) & !0xfff;
    let data_end = ((size as u64 * 9 / 10) as u32 + 0xfff) & !0xfff;
    let rsrc_end = size - 0x1000;
    let vs = format!(
        "{}.{}.{}.{}",
        m.version[0], m.version[1], m.version[2], m.version[3]
    );
    Image {
        file: m.file.into(),
        path: m.path.into(),
        base: m.base,
        pref_base: m.base,
        size,
        timestamp: m.ts,
        checksum: size.wrapping_mul(7) ^ 0x5a5a,
        file_version: m.version,
        product_version: m.version,
        exe: m.file.ends_with(".exe"),
        x64: true,
        sections: crate::modules::third_party_sections(
            text_end,
            rdata_end,
            data_end,
            rsrc_end,
            rsrc_end + 0x1000,
        ),
        exports: m.exports.iter().map(|(n, r)| (n.to_string(), *r)).collect(),
        forwarders: Vec::new(),
        export_rva: if m.exports.is_empty() { 0 } else { text_end },
        rsrc_rva: data_end,
        iat_rva: 0,
        iat_size: 0,
        entry: 0x1010,
        linker: (14, 29),
        os_version: (10, 0),
        lfanew: 0xf8,
        strings: Some(VersionStrings {
            company: m.company.into(),
            description: m.file.into(),
            file_version: vs.clone(),
            internal: m.file.into(),
            copyright: format!("\u{a9} {}. All rights reserved.", m.company),
            original: m.file.into(),
            product: m.file.into(),
            product_version: vs,
        }),
        pdb: Some((
            m.file
                .replace(".dll", ".pdb")
                .replace(".DLL", ".pdb")
                .replace(".exe", ".pdb"),
            [
                m.ts as u8,
                0x1c,
                0x5e,
                0x7a,
                0x33,
                0x90,
                0x41,
                0x0b,
                0x8d,
                0x2f,
                0x61,
                0x04,
                (m.ts >> 8) as u8,
                0xa2,
                0x17,
                0xc4,
            ],
            1,
        )),
    }
}

#[derive(Clone, Copy, Default)]
pub(crate) struct R64 {
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rbx: u64,
    pub rsp: u64,
    pub rbp: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rip: u64,
}

pub(crate) fn context64(r: &R64) -> Vec<u8> {
    let mut v = vec![0u8; 0x4d0];
    put_u32(&mut v, 0x30, 0x0010_001f);
    put_u32(&mut v, 0x34, 0x1f80);
    put_u16(&mut v, 0x38, 0x33);
    put_u16(&mut v, 0x3a, 0x2b);
    put_u16(&mut v, 0x3c, 0x2b);
    put_u16(&mut v, 0x3e, 0x53);
    put_u16(&mut v, 0x40, 0x2b);
    put_u16(&mut v, 0x42, 0x2b);
    put_u32(&mut v, 0x44, 0x10246);
    put_u64(&mut v, 0x78, r.rax);
    put_u64(&mut v, 0x80, r.rcx);
    put_u64(&mut v, 0x88, r.rdx);
    put_u64(&mut v, 0x90, r.rbx);
    put_u64(&mut v, 0x98, r.rsp);
    put_u64(&mut v, 0xa0, r.rbp);
    put_u64(&mut v, 0xa8, r.rsi);
    put_u64(&mut v, 0xb0, r.rdi);
    put_u64(&mut v, 0xf8, r.rip);
    put_u16(&mut v, 0x100, 0x027f);
    put_u32(&mut v, 0x100 + 24, 0x1f80);
    put_u32(&mut v, 0x100 + 28, 0xffff);
    v
}

/// Writes an x64 full-memory style dump of at least `size` bytes to `path`.
///
/// Memory is described by a Memory64List whose data is zero except for the
/// thread stacks, TEBs/PEB, module headers/export directories/version
/// resources and the code around the faulting instruction. The file is
/// extended with `set_len`, so on most file systems it is sparse and the call
/// takes milliseconds regardless of `size`.
pub fn write_big(path: &Path, size: u64) -> Result<BigInfo> {
    if size > MAX_BIG_SIZE {
        return Err(SynthError::InvalidParameter(format!(
            "size {size} exceeds the maximum of {MAX_BIG_SIZE} bytes"
        )));
    }
    let io = |e: std::io::Error| SynthError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let time: u32 = 1_700_000_000;
    let mut sp = Space::new();
    let mut dumped: Vec<(u64, u64)> = Vec::new();
    let mut writes: Vec<(u64, Vec<u8>)> = Vec::new();

    // Modules.
    let images: Vec<Image> = MODS64.iter().map(image64).collect();
    for im in &images {
        let mut parts: Vec<Part> = vec![(0x1000, MEM_COMMIT, PAGE_READONLY)];
        for s in &im.sections {
            parts.push((((s.vsize + 0xfff) & !0xfff) as u64, MEM_COMMIT, s.protect()));
        }
        sp.alloc(im.base, PAGE_EXECUTE_WRITECOPY, MEM_IMAGE, &parts);
        dumped.push((im.base, im.size as u64));
        writes.push((im.base, im.headers()));
        if im.export_rva != 0 {
            writes.push((im.base + im.export_rva as u64, im.export_directory()));
        }
        writes.push((im.base + im.rsrc_rva as u64, im.resource_directory()));
    }
    let exe = images[0].base;
    let ntdll = images[1].base;
    let k32 = images[2].base;
    let kbase = images[3].base;
    let native = images[4].base;

    // Faulting code: CnProcessRecord+0x5c: mov rax,qword ptr [rcx+18h]
    let fault_ip = native + 0x4d20 + 0x5c;
    let mut code = vec![
        0x48, 0x89, 0x5c, 0x24, 0x08, // mov [rsp+8],rbx
        0x57, // push rdi
        0x48, 0x83, 0xec, 0x30, // sub rsp,30h
        0x48, 0x8b, 0xd9, // mov rbx,rcx
    ];
    while code.len() < 0x5c {
        code.extend_from_slice(&[0x48, 0x8b, 0xcb]); // mov rcx,rbx
        if code.len() + 3 > 0x5c {
            while code.len() < 0x5c {
                code.push(0x90);
            }
        }
    }
    code.truncate(0x5c);
    code.extend_from_slice(&[0x48, 0x8b, 0x41, 0x18]); // mov rax,[rcx+18h]
    code.extend_from_slice(&[
        0x48, 0x85, 0xc0, 0x74, 0x10, 0x48, 0x83, 0xc4, 0x30, 0x5f, 0xc3,
    ]);
    writes.push((native + 0x4d20, code));

    // PEB, TEBs, stacks.
    sp.private(PEB64, 0x1000, 0x1000);
    dumped.push((PEB64, 0x1000));
    let mut peb = vec![0u8; 0x400];
    put_u64(&mut peb, 0x10, exe);
    put_u64(&mut peb, 0x30, 0x0000_01f3_2a9c_0000);
    writes.push((PEB64, peb));
    let mut threads = Vec::new();
    let mut ids = Vec::new();
    let mut exception = None;
    for i in 0..THREADS64 {
        let tid = 0x1d3c + 0x1a4 * i as u32;
        ids.push(tid);
        let teb = TEB64 + 0x2000 * i as u64;
        let alloc = STACKS64 + STACK64_RESERVE * i as u64;
        let base = alloc + STACK64_RESERVE;
        let commit = 0x6000u64;
        sp.private(teb, 0x2000, 0x2000);
        dumped.push((teb, 0x2000));
        sp.stack(alloc, STACK64_RESERVE, commit);
        dumped.push((base - commit, commit));
        let mut t = vec![0u8; 0x80];
        put_u64(&mut t, 0x08, base);
        put_u64(&mut t, 0x10, base - commit);
        put_u64(&mut t, 0x30, teb);
        put_u64(&mut t, 0x40, 0x2a8c);
        put_u64(&mut t, 0x48, tid as u64);
        put_u64(&mut t, 0x60, PEB64);
        writes.push((teb, t));
        // Stack: a few frames with return addresses (scan-walkable).
        let rsp = base - 0x400 - 0x100 * i as u64;
        let mut st = vec![0u8; (base - rsp) as usize];
        let rets: Vec<u64> = if i == FAULT64 {
            vec![
                native + 0x3a17,
                native + 0x1c55,
                exe + 0x2f3e4,
                exe + 0x11b08,
                k32 + 0x17020 + 0x14,
                ntdll + 0x52b30 + 0x21,
            ]
        } else {
            vec![
                kbase + 0x2d7e0 + 0x8e,
                exe + 0x1a6b0,
                k32 + 0x17020 + 0x14,
                ntdll + 0x52b30 + 0x21,
            ]
        };
        for (k, r) in rets.iter().enumerate() {
            let off = 0x38 + 0x60 * k;
            put_u64(&mut st, off, *r);
            put_u64(&mut st, off - 8, rsp + off as u64 + 0x58);
        }
        writes.push((rsp, st));
        let regs = if i == FAULT64 {
            R64 {
                rax: 0x0000_01f3_2aa1_7e40,
                rcx: 0,
                rdx: 0x0000_01f3_2aa1_7f00,
                rbx: 0,
                rsp,
                rbp: 0,
                rsi: 0x0000_01f3_2a9f_0110,
                rdi: 0x10,
                rip: fault_ip,
            }
        } else {
            R64 {
                rax: 0x4,
                rcx: 0x1d4,
                rsp,
                rip: ntdll + 0x9d3a0 + 0x14,
                ..R64::default()
            }
        };
        let ctx = context64(&regs);
        if i == FAULT64 {
            exception = Some(DumpException {
                thread_id: tid,
                code: 0xc000_0005,
                flags: 0,
                address: fault_ip,
                params: vec![0, 0x18],
                context: ctx.clone(),
            });
        }
        threads.push(DumpThread {
            id: tid,
            suspend: 0,
            priority_class: 0x20,
            priority: 0,
            teb,
            stack_start: rsp,
            stack_len: base - rsp,
            context: ctx,
            create_time: time as u64 - 3600 + 60 * i as u64,
            user_time: 1_200_000 * (i as u64 + 1),
            kernel_time: 300_000 * (i as u64 + 1),
            start_address: if i == 0 {
                exe + 0x1010
            } else {
                ntdll + 0x30740
            },
        });
    }

    // Bulk private/mapped memory up to the requested size.
    let fixed: u64 = dumped.iter().map(|(_, n)| n).sum();
    let mut remaining = size.saturating_sub(fixed);
    remaining = (remaining + 0xfff) & !0xfff;
    let nregions = (size / 0x4_0000).clamp(1024, 20000);
    let avg = ((remaining / nregions) & !0xfff).max(0x1000);
    let mut rng = Rng::new(size ^ 0xc0_20_4e);
    let mut cursor = BULK64;
    while remaining > 0 {
        let lo = (avg / 4).max(0x1000);
        let hi = (avg * 7 / 4).max(0x1000);
        let mut commit = rng.range(lo / 0x1000, hi / 0x1000) * 0x1000;
        commit = commit.min(remaining);
        let tail = if rng.next().is_multiple_of(3) {
            rng.range(1, 16) * 0x1000
        } else {
            0
        };
        let kind = rng.next() % 8;
        if kind == 0 {
            sp.alloc(
                cursor,
                PAGE_READONLY,
                MEM_MAPPED,
                &[(commit, MEM_COMMIT, PAGE_READONLY), (tail, MEM_RESERVE, 0)],
            );
        } else {
            sp.private(cursor, commit + tail, commit);
        }
        dumped.push((cursor, commit));
        remaining -= commit;
        let total = commit + tail;
        let gap = if rng.next().is_multiple_of(4) {
            0
        } else {
            rng.range(1, 64) * 0x1_0000
        };
        cursor = (cursor + total + 0xffff) & !0xffff;
        cursor += gap;
    }

    dumped.sort_by_key(|r| r.0);
    let regions = sp.finish(0x1_0000, 0x7fff_ffff_0000)?;
    let n_regions = regions.len();
    let model = DumpModel {
        time,
        flags: 0x1802,
        sys: SysInfo {
            arch: 9,
            level: 6,
            revision: 0x5507,
            nproc: 8,
            product_type: 3,
            major: 10,
            minor: 0,
            build: 20348,
            csd: String::new(),
            suite: 0x0110,
            cpu: vec![0; 24],
        },
        pid: 0x2a8c,
        process_create: time - 7200,
        user_seconds: 1834,
        kernel_seconds: 211,
        modules: images,
        threads,
        exception,
        regions,
    };
    let ser = serialize(&model, MemorySource::Full64(&dumped))?;
    let data: u64 = dumped.iter().map(|(_, n)| n).sum();
    let file_size = ser.base_rva + data;

    let mut f = File::create(path).map_err(io)?;
    f.write_all(&ser.bytes).map_err(io)?;
    f.set_len(file_size).map_err(io)?;
    for (addr, bytes) in &writes {
        let off = offset64(&dumped, ser.base_rva, *addr).ok_or_else(|| {
            SynthError::Layout(format!("address {addr:#x} is not inside a dumped range"))
        })?;
        f.seek(SeekFrom::Start(off)).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
    }
    f.flush().map_err(io)?;
    Ok(BigInfo {
        file_size,
        memory_ranges: dumped.len(),
        memory_info_entries: n_regions,
        base_rva: ser.base_rva,
        fault_thread_id: ids[FAULT64],
        exception_address: fault_ip,
        fault_data_address: 0x18,
        thread_ids: ids,
    })
}
