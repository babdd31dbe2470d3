//! The MiniDumpNormal sibling of a richer dump of the same crash.
//!
//! [`normal_minidump_of`] keeps what Windows writes for `MiniDumpNormal` (plus the unloaded-module
//! list and the dump's comment streams): SystemInfo, MiscInfo, ThreadList with each thread's
//! context and stack memory, ModuleList (names, CodeView and misc records), UnloadedModuleList,
//! Exception with its context, and a MemoryList holding only the thread stacks and a window of
//! [`IP_WINDOW`] bytes on each side of every thread's instruction pointer (and of the exception
//! address). Everything else is dropped: MemoryInfoList, Memory64List, image and heap memory,
//! HandleData, ThreadInfoList and any other stream.
//!
//! Used to measure what a full-memory dump costs against its minidump sibling (`bench/cost.py`)
//! and to check that one crash gets the same answer whatever the dump type. Hand-written: it
//! copies streams byte for byte and relocates only the RVAs inside them; the minidump crates at
//! hand parse dumps but do not rewrite them.

use std::collections::HashMap;

use crate::bytes::Buf;
use crate::error::{Result, SynthError};

const SIGNATURE: u32 = 0x504d_444d; // "MDMP"
use crate::dump::{
    COMMENT_A, COMMENT_W, EXCEPTION, MEMORY64_LIST, MEMORY_LIST, MISC_INFO, MODULE_LIST,
    SYSTEM_INFO, THREAD_LIST, UNLOADED_MODULE_LIST,
};
/// `MiniDumpWithUnloadedModules`: the only MINIDUMP_TYPE bit the sibling still deserves.
const WITH_UNLOADED_MODULES: u64 = 0x20;

/// Bytes kept on each side of a thread's instruction pointer (256 bytes in all, as dbghelp keeps
/// around the faulting instruction).
pub const IP_WINDOW: u64 = 0x80;

const THREAD_SIZE: usize = 48;
const MODULE_SIZE: usize = 108;
const EXCEPTION_SIZE: usize = 168;

fn bad(msg: impl Into<String>) -> SynthError {
    SynthError::BadDump(msg.into())
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

fn field(b: &[u8], off: usize, what: &str) -> Result<u32> {
    u32_at(b, off).ok_or_else(|| bad(format!("{what}: truncated")))
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    if let Some(s) = b.get_mut(off..off + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}

/// `len` bytes of the input at `rva`, or an error naming `what`.
fn get<'a>(src: &'a [u8], rva: u64, len: u64, what: &str) -> Result<&'a [u8]> {
    let start = usize::try_from(rva).ok();
    let end = rva.checked_add(len).and_then(|e| usize::try_from(e).ok());
    match (start, end) {
        (Some(s), Some(e)) if e <= src.len() => Ok(&src[s..e]),
        _ => Err(bad(format!(
            "{what}: {len:#x} bytes at {rva:#x} lie past the end of the file ({:#x} bytes)",
            src.len()
        ))),
    }
}

/// One range of dump memory: `len` bytes of address `start` at file offset `off`.
#[derive(Clone, Copy)]
struct Piece {
    start: u64,
    len: u64,
    off: u64,
}

/// Start of the entries of a `count, entries` list stream (some writers pad the count to 8).
fn list_start(stream: &[u8], entry: usize, what: &str) -> Result<(usize, usize)> {
    let n = field(stream, 0, what)? as usize;
    let need = n
        .checked_mul(entry)
        .ok_or_else(|| bad(format!("{what}: count {n} overflows")))?;
    let first = if stream.len() != 4 + need && stream.len() >= 8 + need {
        8
    } else {
        4
    };
    if first + need > stream.len() {
        return Err(bad(format!(
            "{what}: {n} entries of {entry} bytes do not fit its {} bytes",
            stream.len()
        )));
    }
    Ok((n, first))
}

/// Every memory range of the input (MemoryList and Memory64List), sorted, clipped to the file.
fn memory_index(src: &[u8], dir: &[(u32, &[u8], u32)]) -> Result<Vec<Piece>> {
    let mut pieces = Vec::new();
    let file_len = src.len() as u64;
    let mut push = |start: u64, len: u64, off: u64| {
        let len = len.min(file_len.saturating_sub(off));
        if len > 0 {
            pieces.push(Piece { start, len, off });
        }
    };
    for &(ty, s, _) in dir {
        if ty == MEMORY_LIST {
            let (n, first) = list_start(s, 16, "MemoryList")?;
            for i in 0..n {
                let e = first + i * 16;
                let start = u64_at(s, e).unwrap_or(0);
                let len = u64::from(u32_at(s, e + 8).unwrap_or(0));
                push(start, len, u64::from(u32_at(s, e + 12).unwrap_or(0)));
            }
        } else if ty == MEMORY64_LIST {
            let n = u64_at(s, 0).ok_or_else(|| bad("Memory64List: truncated"))?;
            let mut off = u64_at(s, 8).ok_or_else(|| bad("Memory64List: truncated"))?;
            for i in 0..n.min((s.len() as u64).saturating_sub(16) / 16) {
                let e = 16 + i as usize * 16;
                let (start, len) = (u64_at(s, e).unwrap_or(0), u64_at(s, e + 8).unwrap_or(0));
                push(start, len, off);
                off = off.saturating_add(len);
            }
        }
    }
    pieces.sort_by_key(|p| p.start);
    Ok(pieces)
}

/// The parts of `[a, b)` that the input holds, in address order.
fn present<'a>(src: &'a [u8], index: &[Piece], a: u64, b: u64) -> Vec<(u64, &'a [u8])> {
    let mut out = Vec::new();
    for p in index {
        let (lo, hi) = (p.start.max(a), p.start.saturating_add(p.len).min(b));
        if lo >= hi {
            continue;
        }
        let off = p.off + (lo - p.start);
        if let Ok(bytes) = get(src, off, hi - lo, "memory") {
            out.push((lo, bytes));
        }
    }
    out
}

/// `ranges` (sorted, disjoint) minus `holes`.
fn subtract(ranges: &[(u64, u64)], holes: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for &(mut a, b) in ranges {
        let mut hs: Vec<_> = holes.iter().filter(|h| h.0 < b && h.1 > a).collect();
        hs.sort();
        for h in hs {
            if h.0 > a {
                out.push((a, h.0));
            }
            a = a.max(h.1);
        }
        if a < b {
            out.push((a, b));
        }
    }
    out
}

/// Offset of the instruction pointer in a CONTEXT, by `PROCESSOR_ARCHITECTURE_*`.
fn ip_of(arch: u16, ctx: &[u8]) -> Option<u64> {
    match arch {
        0 => u32_at(ctx, 0xb8).map(u64::from), // x86: Eip
        5 => u32_at(ctx, 0x40).map(u64::from), // ARM: Pc
        9 => u64_at(ctx, 0xf8),                // AMD64: Rip
        12 | 0x8003 => u64_at(ctx, 0x108),     // ARM64: Pc
        _ => None,
    }
}

/// The output file being built; blobs are copied once per (rva, len).
struct Out<'a> {
    src: &'a [u8],
    buf: Buf,
    copied: HashMap<(u32, u32), u32>,
}

impl Out<'_> {
    fn blob(&mut self, bytes: &[u8]) -> Result<u32> {
        self.buf.align(8);
        let rva = u32::try_from(self.buf.len())
            .map_err(|_| bad("the MiniDumpNormal sibling would exceed 4 GiB"))?;
        self.buf.bytes(bytes);
        Ok(rva)
    }

    fn copy(&mut self, rva: u32, len: u32, what: &str) -> Result<u32> {
        if rva == 0 || len == 0 {
            return Ok(0);
        }
        if let Some(&r) = self.copied.get(&(rva, len)) {
            return Ok(r);
        }
        let bytes = get(self.src, rva.into(), len.into(), what)?;
        let r = self.blob(bytes)?;
        self.copied.insert((rva, len), r);
        Ok(r)
    }

    /// Relocates the MINIDUMP_LOCATION_DESCRIPTOR at `off` of `entry`.
    fn location(&mut self, entry: &mut [u8], off: usize, what: &str) -> Result<()> {
        let (len, rva) = (field(entry, off, what)?, field(entry, off + 4, what)?);
        let new = self.copy(rva, len, what)?;
        put32(entry, off + 4, new);
        Ok(())
    }

    /// Relocates the MINIDUMP_STRING whose RVA is at `off` of `entry`.
    fn string(&mut self, entry: &mut [u8], off: usize, what: &str) -> Result<()> {
        let rva = field(entry, off, what)?;
        if rva == 0 {
            return Ok(());
        }
        let len = field(self.src, rva as usize, what)?;
        // Length (bytes, without the terminator) + UTF-16 + the two-byte NUL.
        let total = len
            .checked_add(6)
            .ok_or_else(|| bad(format!("{what}: bad length")))?;
        let new = self.copy(rva, total, what)?;
        put32(entry, off, new);
        Ok(())
    }
}

/// What the ThreadList and Exception streams contribute to the memory list.
#[derive(Default)]
struct Seen {
    /// `(start, len, rva in the output)` of each thread's stack.
    stacks: Vec<(u64, u64, u32)>,
    /// Instruction pointers (and the exception address).
    ips: Vec<u64>,
}

fn threads(
    out: &mut Out<'_>,
    s: &[u8],
    arch: u16,
    index: &[Piece],
    seen: &mut Seen,
) -> Result<Vec<u8>> {
    let src = out.src;
    let (n, first) = list_start(s, THREAD_SIZE, "ThreadList")?;
    let mut v = s[..first].to_vec();
    for i in 0..n {
        let mut e = s[first + i * THREAD_SIZE..first + (i + 1) * THREAD_SIZE].to_vec();
        let what = format!("ThreadList entry {i}");
        let (clen, crva) = (field(&e, 40, &what)?, field(&e, 44, &what)?);
        if let Ok(ctx) = get(src, crva.into(), clen.into(), &what) {
            seen.ips.extend(ip_of(arch, ctx));
        }
        out.location(&mut e, 40, &format!("{what} context"))?;
        let start = u64_at(&e, 24).unwrap_or(0);
        let (len, rva) = (field(&e, 32, &what)?, field(&e, 36, &what)?);
        // A MemoryList dump points at the stack bytes; a full-memory one often leaves the RVA 0
        // and keeps the bytes in the Memory64List.
        let stack = match get(src, rva.into(), len.into(), &what) {
            Ok(b) if rva != 0 => b,
            _ => present(src, index, start, start.saturating_add(len.into()))
                .into_iter()
                .next()
                .filter(|(a, _)| *a == start)
                .map_or(&[][..], |(_, b)| b),
        };
        let new = if stack.is_empty() {
            0
        } else {
            out.blob(stack)?
        };
        put32(&mut e, 32, stack.len() as u32);
        put32(&mut e, 36, new);
        if !stack.is_empty() {
            seen.stacks.push((start, stack.len() as u64, new));
        }
        v.extend_from_slice(&e);
    }
    Ok(v)
}

fn modules(out: &mut Out<'_>, s: &[u8]) -> Result<Vec<u8>> {
    let (n, first) = list_start(s, MODULE_SIZE, "ModuleList")?;
    let mut v = s[..first].to_vec();
    for i in 0..n {
        let mut e = s[first + i * MODULE_SIZE..first + (i + 1) * MODULE_SIZE].to_vec();
        out.string(&mut e, 20, &format!("ModuleList entry {i} name"))?;
        out.location(&mut e, 76, &format!("ModuleList entry {i} CodeView record"))?;
        out.location(&mut e, 84, &format!("ModuleList entry {i} misc record"))?;
        v.extend_from_slice(&e);
    }
    Ok(v)
}

fn unloaded(out: &mut Out<'_>, s: &[u8]) -> Result<Vec<u8>> {
    let what = "UnloadedModuleList";
    let (hsize, esize, n) = (field(s, 0, what)?, field(s, 4, what)?, field(s, 8, what)?);
    let (hsize, esize, n) = (hsize as usize, esize as usize, n as usize);
    if hsize < 12 || esize < 24 {
        return Err(bad(format!(
            "{what}: header {hsize} / entry {esize} bytes too small"
        )));
    }
    let end = n
        .checked_mul(esize)
        .and_then(|x| x.checked_add(hsize))
        .filter(|&e| e <= s.len())
        .ok_or_else(|| {
            bad(format!(
                "{what}: {n} entries do not fit its {} bytes",
                s.len()
            ))
        })?;
    let mut v = s[..end].to_vec();
    for i in 0..n {
        let off = hsize + i * esize;
        out.string(
            &mut v[off..off + esize],
            20,
            &format!("{what} entry {i} name"),
        )?;
    }
    Ok(v)
}

fn exception(out: &mut Out<'_>, s: &[u8], arch: u16, seen: &mut Seen) -> Result<Vec<u8>> {
    let mut e = get(s, 0, EXCEPTION_SIZE as u64, "Exception stream")?.to_vec();
    seen.ips.extend(u64_at(&e, 24)); // ExceptionRecord.ExceptionAddress
    let (clen, crva) = (field(&e, 160, "Exception")?, field(&e, 164, "Exception")?);
    if let Ok(ctx) = get(out.src, crva.into(), clen.into(), "Exception context") {
        seen.ips.extend(ip_of(arch, ctx));
    }
    out.location(&mut e, 160, "Exception context")?;
    Ok(e)
}

fn system_info(out: &mut Out<'_>, s: &[u8]) -> Result<Vec<u8>> {
    let mut v = s.to_vec();
    if v.len() >= 28 {
        out.string(&mut v, 24, "SystemInfo CSDVersion")?;
    }
    Ok(v)
}

/// The MemoryList: the stacks, then the IP windows that the stacks do not already hold.
fn memory_list(out: &mut Out<'_>, seen: &Seen, index: &[Piece]) -> Result<Vec<u8>> {
    let mut ranges: Vec<(u64, u64, u32)> = seen.stacks.clone();
    ranges.sort_unstable();
    ranges.dedup_by_key(|r| r.0);
    let stacks: Vec<(u64, u64)> = ranges.iter().map(|r| (r.0, r.0 + r.1)).collect();
    let mut windows: Vec<(u64, u64)> = seen
        .ips
        .iter()
        .map(|&ip| (ip.saturating_sub(IP_WINDOW), ip.saturating_add(IP_WINDOW)))
        .collect();
    windows.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for w in windows {
        match merged.last_mut() {
            Some(last) if w.0 <= last.1 => last.1 = last.1.max(w.1),
            _ => merged.push(w),
        }
    }
    for (a, b) in subtract(&merged, &stacks) {
        for (start, bytes) in present(out.src, index, a, b) {
            let rva = out.blob(bytes)?;
            ranges.push((start, bytes.len() as u64, rva));
        }
    }
    ranges.sort_unstable();
    let mut v = Buf::new();
    v.u32(ranges.len() as u32);
    for (start, len, rva) in ranges {
        v.u64(start);
        v.u32(len as u32);
        v.u32(rva);
    }
    Ok(v.data)
}

/// Derives the MiniDumpNormal sibling of the minidump `bytes` (see the module documentation).
/// The input is only read. Errors name the stream or reference that is out of bounds.
pub fn normal_minidump_of(bytes: &[u8]) -> Result<Vec<u8>> {
    let src = bytes;
    if u32_at(src, 0) != Some(SIGNATURE) {
        return Err(bad("not a minidump (no MDMP signature)"));
    }
    let (n, dir_rva) = (field(src, 8, "header")?, field(src, 12, "header")?);
    let raw_dir = get(src, dir_rva.into(), u64::from(n) * 12, "stream directory")?;
    let mut dir = Vec::new();
    for e in raw_dir.chunks_exact(12) {
        let (ty, size, rva) = (field(e, 0, "")?, field(e, 4, "")?, field(e, 8, "")?);
        let data = get(src, rva.into(), size.into(), &format!("stream {ty}"))?;
        dir.push((ty, data, rva));
    }
    let stream = |t: u32| dir.iter().find(|d| d.0 == t).map(|d| d.1);
    let arch = stream(SYSTEM_INFO)
        .and_then(|s| s.get(..2))
        .map_or(0xffff, |a| u16::from_le_bytes([a[0], a[1]]));
    let index = memory_index(src, &dir)?;

    let kept = [
        SYSTEM_INFO,
        MISC_INFO,
        THREAD_LIST,
        MODULE_LIST,
        UNLOADED_MODULE_LIST,
        EXCEPTION,
        COMMENT_A,
        COMMENT_W,
    ];
    let mut order: Vec<u32> = Vec::new();
    for &(ty, _, _) in &dir {
        let ty = if ty == MEMORY64_LIST { MEMORY_LIST } else { ty };
        if (kept.contains(&ty) || ty == MEMORY_LIST) && !order.contains(&ty) {
            order.push(ty);
        }
    }
    if !order.contains(&MEMORY_LIST) {
        order.push(MEMORY_LIST);
    }

    let mut out = Out {
        src,
        buf: Buf::new(),
        copied: HashMap::new(),
    };
    out.buf.zeros(32 + 12 * order.len());
    let mut seen = Seen::default();
    let mut written: HashMap<u32, (u32, u32)> = HashMap::new();
    // The memory list needs every stack and IP first: write it last.
    for &ty in order.iter().filter(|&&t| t != MEMORY_LIST) {
        let Some(s) = stream(ty) else { continue };
        let data = match ty {
            THREAD_LIST => threads(&mut out, s, arch, &index, &mut seen)?,
            MODULE_LIST => modules(&mut out, s)?,
            UNLOADED_MODULE_LIST => unloaded(&mut out, s)?,
            EXCEPTION => exception(&mut out, s, arch, &mut seen)?,
            SYSTEM_INFO => system_info(&mut out, s)?,
            _ => s.to_vec(),
        };
        let rva = out.blob(&data)?;
        written.insert(ty, (data.len() as u32, rva));
    }
    let ml = memory_list(&mut out, &seen, &index)?;
    let rva = out.blob(&ml)?;
    written.insert(MEMORY_LIST, (ml.len() as u32, rva));

    let flags = if written.contains_key(&UNLOADED_MODULE_LIST) {
        WITH_UNLOADED_MODULES
    } else {
        0
    };
    let b = &mut out.buf;
    b.set_u32(0, SIGNATURE);
    b.set_u32(4, u32_at(src, 4).unwrap_or(0xa793));
    b.set_u32(8, order.len() as u32);
    b.set_u32(12, 32);
    b.set_u32(20, u32_at(src, 20).unwrap_or(0));
    b.set_u64(24, flags);
    for (i, ty) in order.iter().enumerate() {
        let (size, rva) = written.get(ty).copied().unwrap_or((0, 0));
        let at = 32 + 12 * i;
        b.set_u32(at, *ty);
        b.set_u32(at + 4, size);
        b.set_u32(at + 8, rva);
    }
    Ok(out.buf.data)
}
