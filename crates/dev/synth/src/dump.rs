//! Minidump container writer (header, stream directory, streams).

use crate::bytes::{filetime, utf16, Buf};
use crate::error::{Result, SynthError};
use crate::mem::Memory;
use crate::pe::Image;
use crate::space::Region;

pub const THREAD_LIST: u32 = 3;
pub const MODULE_LIST: u32 = 4;
pub const MEMORY_LIST: u32 = 5;
pub const EXCEPTION: u32 = 6;
pub const SYSTEM_INFO: u32 = 7;
pub const MEMORY64_LIST: u32 = 9;
pub const COMMENT_A: u32 = 10;
pub const COMMENT_W: u32 = 11;
pub const UNLOADED_MODULE_LIST: u32 = 14;
pub const MISC_INFO: u32 = 15;
pub const MEMORY_INFO_LIST: u32 = 16;
pub const THREAD_INFO_LIST: u32 = 17;

pub(crate) struct SysInfo {
    pub arch: u16,
    pub level: u16,
    pub revision: u16,
    pub nproc: u8,
    pub product_type: u8,
    pub major: u32,
    pub minor: u32,
    pub build: u32,
    pub csd: String,
    pub suite: u16,
    /// 24 bytes CPU_INFORMATION.
    pub cpu: Vec<u8>,
}

pub(crate) struct DumpThread {
    pub id: u32,
    pub suspend: u32,
    pub priority_class: u32,
    pub priority: u32,
    pub teb: u64,
    pub stack_start: u64,
    pub stack_len: u64,
    pub context: Vec<u8>,
    /// Unix seconds.
    pub create_time: u64,
    /// 100 ns units.
    pub user_time: u64,
    pub kernel_time: u64,
    pub start_address: u64,
}

pub(crate) struct DumpException {
    pub thread_id: u32,
    pub code: u32,
    pub flags: u32,
    pub address: u64,
    pub params: Vec<u64>,
    pub context: Vec<u8>,
}

pub(crate) struct DumpModel {
    pub time: u32,
    pub flags: u64,
    pub sys: SysInfo,
    pub pid: u32,
    pub process_create: u32,
    pub user_seconds: u32,
    pub kernel_seconds: u32,
    pub modules: Vec<Image>,
    pub threads: Vec<DumpThread>,
    pub exception: Option<DumpException>,
    pub regions: Vec<Region>,
}

/// Where memory contents come from.
pub(crate) enum MemorySource<'a> {
    /// Small dump: MINIDUMP_MEMORY_LIST, data appended to the file.
    List(&'a Memory),
    /// Full dump: MINIDUMP_MEMORY64_LIST; data (sum of sizes) starts at the
    /// returned base RVA and is *not* part of the returned buffer.
    Full64(&'a [(u64, u64)]),
}

pub(crate) struct Serialized {
    pub bytes: Vec<u8>,
    /// For `Full64`: file offset of the first memory byte.
    pub base_rva: u64,
}

/// File offset of `addr` inside Memory64 data laid out from `base_rva`.
pub(crate) fn offset64(ranges: &[(u64, u64)], base_rva: u64, addr: u64) -> Option<u64> {
    let mut off = base_rva;
    for &(start, size) in ranges {
        if addr >= start && addr < start + size {
            return Some(off + (addr - start));
        }
        off += size;
    }
    None
}

pub(crate) fn serialize(m: &DumpModel, mem: MemorySource<'_>) -> Result<Serialized> {
    let mut streams: Vec<u32> = vec![THREAD_LIST, MODULE_LIST];
    streams.push(match mem {
        MemorySource::List(_) => MEMORY_LIST,
        MemorySource::Full64(_) => MEMORY64_LIST,
    });
    if m.exception.is_some() {
        streams.push(EXCEPTION);
    }
    streams.extend([SYSTEM_INFO, MISC_INFO, MEMORY_INFO_LIST, THREAD_INFO_LIST]);

    let mut b = Buf::new();
    b.u32(0x504d_444d); // "MDMP"
    b.u32(0x0006_a793);
    b.u32(streams.len() as u32);
    b.u32(32);
    b.u32(0);
    b.u32(m.time);
    b.u64(m.flags);
    let dir = b.len();
    b.zeros(12 * streams.len());

    let set_dir = |b: &mut Buf, i: usize, ty: u32, start: usize| {
        let size = b.len() - start;
        b.set_u32(dir + 12 * i, ty);
        b.set_u32(dir + 12 * i + 4, size as u32);
        b.set_u32(dir + 12 * i + 8, start as u32);
    };

    // Patch lists: (offset of an RVA field, what it should point to).
    let mut thread_stack_fix: Vec<(usize, u64)> = Vec::new();
    let mut ctx_fix: Vec<(usize, usize)> = Vec::new(); // (field, thread index)

    for (i, &ty) in streams.iter().enumerate() {
        b.align(4);
        let start = b.len();
        match ty {
            THREAD_LIST => {
                b.u32(m.threads.len() as u32);
                for (ti, t) in m.threads.iter().enumerate() {
                    b.u32(t.id);
                    b.u32(t.suspend);
                    b.u32(t.priority_class);
                    b.u32(t.priority);
                    b.u64(t.teb);
                    b.u64(t.stack_start);
                    b.u32(t.stack_len as u32);
                    thread_stack_fix.push((b.len(), t.stack_start));
                    b.u32(0);
                    b.u32(t.context.len() as u32);
                    ctx_fix.push((b.len(), ti));
                    b.u32(0);
                }
            }
            MODULE_LIST => {
                b.u32(m.modules.len() as u32);
                let mut fix: Vec<(usize, usize)> = Vec::new();
                for (mi, md) in m.modules.iter().enumerate() {
                    b.u64(md.base);
                    b.u32(md.size);
                    b.u32(md.checksum);
                    b.u32(md.timestamp);
                    fix.push((b.len(), mi));
                    b.u32(0); // name rva
                    b.bytes(&md.fixed_file_info());
                    b.u32(md.cv_record().len() as u32);
                    b.u32(0); // cv rva (patched)
                    b.u32(0);
                    b.u32(0); // misc record
                    b.u64(0);
                    b.u64(0);
                }
                set_dir(&mut b, i, ty, start);
                for (field, mi) in fix {
                    let md = &m.modules[mi];
                    b.align(4);
                    let name_rva = b.len();
                    let name = utf16(&md.path);
                    b.u32(name.len() as u32);
                    b.bytes(&name);
                    b.u16(0);
                    b.set_u32(field, name_rva as u32);
                    let cv = md.cv_record();
                    if !cv.is_empty() {
                        b.align(4);
                        let cv_rva = b.len();
                        b.bytes(&cv);
                        b.set_u32(field + 4 + 52 + 4, cv_rva as u32);
                    }
                }
                continue;
            }
            MEMORY_LIST => {
                if let MemorySource::List(mem) = mem {
                    let ranges: Vec<(u64, &Vec<u8>)> = mem.ranges().collect();
                    b.u32(ranges.len() as u32);
                    for (start_addr, data) in &ranges {
                        b.u64(*start_addr);
                        b.u32(data.len() as u32);
                        b.u32(0);
                    }
                }
            }
            MEMORY64_LIST => {
                if let MemorySource::Full64(ranges) = mem {
                    b.u64(ranges.len() as u64);
                    b.u64(0); // BaseRva, patched below
                    for &(s, n) in ranges {
                        b.u64(s);
                        b.u64(n);
                    }
                }
            }
            EXCEPTION => {
                if let Some(e) = &m.exception {
                    b.u32(e.thread_id);
                    b.u32(0);
                    b.u32(e.code);
                    b.u32(e.flags);
                    b.u64(0);
                    b.u64(e.address);
                    b.u32(e.params.len() as u32);
                    b.u32(0);
                    for k in 0..15 {
                        b.u64(e.params.get(k).copied().unwrap_or(0));
                    }
                    b.u32(e.context.len() as u32);
                    let f = b.len();
                    b.u32(0);
                    set_dir(&mut b, i, ty, start);
                    b.align(16);
                    let rva = b.len();
                    b.bytes(&e.context);
                    b.set_u32(f, rva as u32);
                    continue;
                }
            }
            SYSTEM_INFO => {
                let s = &m.sys;
                b.u16(s.arch);
                b.u16(s.level);
                b.u16(s.revision);
                b.u8(s.nproc);
                b.u8(s.product_type);
                b.u32(s.major);
                b.u32(s.minor);
                b.u32(s.build);
                b.u32(2); // VER_PLATFORM_WIN32_NT
                let csd_field = b.len();
                b.u32(0);
                b.u16(s.suite);
                b.u16(0);
                let mut cpu = s.cpu.clone();
                cpu.resize(24, 0);
                b.bytes(&cpu);
                set_dir(&mut b, i, ty, start);
                b.align(4);
                let rva = b.len();
                let csd = utf16(&s.csd);
                b.u32(csd.len() as u32);
                b.bytes(&csd);
                b.u16(0);
                b.set_u32(csd_field, rva as u32);
                continue;
            }
            MISC_INFO => {
                b.u32(24);
                b.u32(0x3); // PROCESS_ID | PROCESS_TIMES
                b.u32(m.pid);
                b.u32(m.process_create);
                b.u32(m.user_seconds);
                b.u32(m.kernel_seconds);
            }
            MEMORY_INFO_LIST => {
                b.u32(16);
                b.u32(48);
                b.u64(m.regions.len() as u64);
                for r in &m.regions {
                    b.u64(r.base);
                    b.u64(r.alloc_base);
                    b.u32(r.alloc_protect);
                    b.u32(0);
                    b.u64(r.size);
                    b.u32(r.state);
                    b.u32(r.protect);
                    b.u32(r.ty);
                    b.u32(0);
                }
            }
            THREAD_INFO_LIST => {
                b.u32(12);
                b.u32(64);
                b.u32(m.threads.len() as u32);
                for t in &m.threads {
                    b.u32(t.id);
                    b.u32(0);
                    b.u32(0);
                    b.u32(0x103); // STILL_ACTIVE
                    b.u64(filetime(t.create_time));
                    b.u64(0);
                    b.u64(t.kernel_time);
                    b.u64(t.user_time);
                    b.u64(t.start_address);
                    b.u64(if m.sys.nproc >= 2 { 3 } else { 1 });
                }
            }
            _ => {}
        }
        set_dir(&mut b, i, ty, start);
    }

    // Thread contexts.
    for (field, ti) in ctx_fix {
        if let Some(t) = m.threads.get(ti) {
            b.align(16);
            let rva = b.len();
            b.bytes(&t.context);
            b.set_u32(field, rva as u32);
        }
    }

    let mut base_rva = 0u64;
    match mem {
        MemorySource::List(mem) => {
            // Memory data, in the same order as the descriptors.
            let desc_start = stream_rva(&b.data, dir, &streams, MEMORY_LIST)
                .ok_or_else(|| SynthError::Layout("no memory list".into()))?;
            let mut placed: Vec<(u64, u64, usize)> = Vec::new();
            for (k, (start_addr, data)) in mem.ranges().enumerate() {
                b.align(16);
                let rva = b.len();
                b.bytes(data);
                b.set_u32(desc_start + 4 + 16 * k + 12, rva as u32);
                placed.push((start_addr, data.len() as u64, rva));
            }
            for (field, addr) in thread_stack_fix {
                let rva = placed
                    .iter()
                    .find(|(s, n, _)| addr >= *s && addr < s + n)
                    .map(|(s, _, r)| *r as u64 + (addr - s))
                    .ok_or_else(|| {
                        SynthError::Layout(format!("stack at {addr:#x} not in memory list"))
                    })?;
                b.set_u32(field, rva as u32);
            }
        }
        MemorySource::Full64(ranges) => {
            b.align(0x1000);
            base_rva = b.len() as u64;
            let desc = stream_rva(&b.data, dir, &streams, MEMORY64_LIST)
                .ok_or_else(|| SynthError::Layout("no memory64 list".into()))?;
            b.set_u64(desc + 8, base_rva);
            for (field, addr) in thread_stack_fix {
                let off = offset64(ranges, base_rva, addr).ok_or_else(|| {
                    SynthError::Layout(format!("stack at {addr:#x} not in memory64 list"))
                })?;
                if off > u32::MAX as u64 {
                    // Stack descriptors only have 32-bit RVAs; leave 0 (real
                    // full dumps do the same when the stack lies past 4 GiB).
                    b.set_u32(field, 0);
                } else {
                    b.set_u32(field, off as u32);
                }
            }
        }
    }
    Ok(Serialized {
        bytes: b.data,
        base_rva,
    })
}

/// The RVA of stream `ty` as written in the directory at `dir` (entries in `streams` order).
fn stream_rva(data: &[u8], dir: usize, streams: &[u32], ty: u32) -> Option<usize> {
    let i = streams.iter().position(|t| *t == ty)?;
    let off = dir + 12 * i + 8;
    let b = data.get(off..off + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}
