//! # coroner-hostile
//!
//! Builders of hostile input for coroner's loaders, shared by the malformed-input suite
//! (`tests/malformed.rs`, run by `cargo test`) and the structure-aware fuzz targets (`fuzz/`):
//!
//! * [`Minidump`]: a minidump writer that puts any bytes in any stream, with a valid header and
//!   directory (or a broken one, on request);
//! * [`pe_image`]: a mapped PE32 image whose export and resource directories point wherever the
//!   caller says;
//! * [`Knobs`] and [`hostile_x86_dump`]: a plausible x86 crash dump (ntdll with
//!   `KiUserExceptionDispatcher`, an application module, a faulting thread with stack memory)
//!   bent by knobs: counts, sizes, RVAs outside the file or at each other, frame-pointer cycles,
//!   self-referencing exception-dispatch CONTEXTs, overlapping memory ranges, unterminated UTF-16
//!   names. [`Knobs::from_bytes`] turns fuzzer bytes into knobs.
//!
//! No dependency on coroner itself: the crate only writes bytes.

/// Little-endian byte writer.
#[derive(Default, Clone)]
pub struct Buf(pub Vec<u8>);

impl Buf {
    /// Appends a `u16`.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends a `u32`.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends a `u64`.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
    /// Appends `n` zero bytes.
    pub fn zeros(&mut self, n: usize) -> &mut Self {
        self.0.resize(self.0.len() + n, 0);
        self
    }
    /// Overwrites a `u32` at `off` (grows the buffer if needed).
    pub fn set_u32(&mut self, off: usize, v: u32) {
        if self.0.len() < off + 4 {
            self.0.resize(off + 4, 0);
        }
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
}

/// Stream types used here.
pub mod stream {
    pub const THREAD_LIST: u32 = 3;
    pub const MODULE_LIST: u32 = 4;
    pub const MEMORY_LIST: u32 = 5;
    pub const EXCEPTION: u32 = 6;
    pub const SYSTEM_INFO: u32 = 7;
    pub const MEMORY64_LIST: u32 = 9;
    pub const HANDLE_DATA: u32 = 12;
    pub const UNLOADED_MODULE_LIST: u32 = 14;
    pub const MISC_INFO: u32 = 15;
    pub const MEMORY_INFO_LIST: u32 = 16;
    pub const THREAD_INFO_LIST: u32 = 17;
    pub const THREAD_NAME_LIST: u32 = 24;
    pub const LINUX_MAPS: u32 = 0x4767_0009;
}

/// A minidump under construction: header, data blobs, then the stream directory at the end.
pub struct Minidump {
    buf: Vec<u8>,
    dir: Vec<(u32, u32, u32)>,
}

impl Default for Minidump {
    fn default() -> Self {
        Self::new()
    }
}

impl Minidump {
    /// An empty dump (a 32-byte header placeholder).
    pub fn new() -> Self {
        Minidump {
            buf: vec![0; 32],
            dir: Vec::new(),
        }
    }
    /// Current end of file (the RVA the next blob gets, before alignment).
    pub fn len(&self) -> u32 {
        self.buf.len() as u32
    }
    /// Always false: the header is there.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// Appends a 4-aligned blob and returns its RVA.
    pub fn blob(&mut self, b: &[u8]) -> u32 {
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
        let rva = self.buf.len() as u32;
        self.buf.extend_from_slice(b);
        rva
    }
    /// A `MINIDUMP_STRING` (byte length, UTF-16LE, NUL terminator); returns its RVA.
    pub fn string(&mut self, s: &str) -> u32 {
        let units: Vec<u16> = s.encode_utf16().collect();
        let mut b = Buf::default();
        b.u32((units.len() * 2) as u32);
        for u in units {
            b.u16(u);
        }
        b.u16(0);
        self.blob(&b.0)
    }
    /// Adds a stream with contents `data`.
    pub fn stream(&mut self, ty: u32, data: &[u8]) -> u32 {
        let rva = self.blob(data);
        self.dir.push((ty, data.len() as u32, rva));
        rva
    }
    /// Adds a directory entry with any size and RVA.
    pub fn raw_entry(&mut self, ty: u32, size: u32, rva: u32) {
        self.dir.push((ty, size, rva));
    }
    /// Writes the directory and header.
    pub fn finish(self) -> Vec<u8> {
        self.finish_with(None)
    }
    /// As [`finish`](Self::finish), with the header's stream count replaced.
    pub fn finish_with(mut self, stream_count: Option<u32>) -> Vec<u8> {
        while !self.buf.len().is_multiple_of(4) {
            self.buf.push(0);
        }
        let dir_rva = self.buf.len() as u32;
        for &(t, s, r) in &self.dir {
            self.buf.extend_from_slice(&t.to_le_bytes());
            self.buf.extend_from_slice(&s.to_le_bytes());
            self.buf.extend_from_slice(&r.to_le_bytes());
        }
        let mut h = Buf::default();
        h.u32(0x504d_444d) // MDMP
            .u32(0xa793)
            .u32(stream_count.unwrap_or(self.dir.len() as u32))
            .u32(dir_rva)
            .u32(0)
            .u32(0x4000_0000)
            .u64(0x2); // MiniDumpWithFullMemory-ish flags
        self.buf[..32].copy_from_slice(&h.0);
        self.buf
    }
}

/// Where a PE image's directories point.
#[derive(Clone, Debug, Default)]
pub struct PeKnobs {
    /// Export directory (RVA, size); `None`: the real one.
    pub export_dir: Option<(u32, u32)>,
    /// Resource directory (RVA, size); `None`: none.
    pub resource_dir: Option<(u32, u32)>,
    /// Export table's NumberOfFunctions / NumberOfNames override.
    pub export_counts: Option<(u32, u32)>,
    /// Export table's AddressOfNames override.
    pub names_rva: Option<u32>,
    /// Export name RVA override (for the first name).
    pub first_name_rva: Option<u32>,
    /// SizeOfImage in the optional header.
    pub size_of_image: Option<u32>,
    /// Number of sections in the COFF header.
    pub sections: Option<u16>,
    /// e_lfanew.
    pub lfanew: Option<u32>,
    /// The resource directory's bytes (placed at RVA 0x2800).
    pub resource_bytes: Option<Vec<u8>>,
}

/// Size of the images [`pe_image`] makes.
pub const PE_SIZE: u32 = 0x3000;

/// A mapped PE32 (x86) image of [`PE_SIZE`] bytes: headers, `.text` at 0x1000 (every byte
/// `int3`, with a `ret` at each export), `.edata` at 0x2000 exporting `exports` (name, RVA).
/// With a resource directory, its bytes lie at 0x2800.
pub fn pe_image(name: &str, exports: &[(&str, u32)], k: &PeKnobs) -> Vec<u8> {
    let mut img = vec![0u8; PE_SIZE as usize];
    let put16 = |img: &mut Vec<u8>, off: usize, v: u16| {
        img[off..off + 2].copy_from_slice(&v.to_le_bytes());
    };
    let put32 = |img: &mut Vec<u8>, off: usize, v: u32| {
        img[off..off + 4].copy_from_slice(&v.to_le_bytes());
    };
    img[0] = b'M';
    img[1] = b'Z';
    let lfanew = k.lfanew.unwrap_or(0x80);
    put32(&mut img, 0x3c, lfanew);
    let pe = 0x80usize;
    img[pe..pe + 4].copy_from_slice(b"PE\0\0");
    let coff = pe + 4;
    put16(&mut img, coff, 0x14c);
    put16(&mut img, coff + 2, k.sections.unwrap_or(2));
    put32(&mut img, coff + 4, 0x3b5d_2a10); // TimeDateStamp
    put16(&mut img, coff + 16, 0xe0);
    put16(&mut img, coff + 18, 0x2102);
    let opt = coff + 20;
    put16(&mut img, opt, 0x10b);
    put32(&mut img, opt + 16, 0x1000); // AddressOfEntryPoint
    put32(&mut img, opt + 28, 0x1000_0000); // ImageBase
    put32(&mut img, opt + 32, 0x1000); // SectionAlignment
    put32(&mut img, opt + 36, 0x200); // FileAlignment
    put16(&mut img, opt + 40, 5);
    put32(&mut img, opt + 56, k.size_of_image.unwrap_or(PE_SIZE));
    put32(&mut img, opt + 60, 0x400); // SizeOfHeaders
    put16(&mut img, opt + 68, 2); // subsystem
    put32(&mut img, opt + 92, 16); // NumberOfRvaAndSizes
    let dd = opt + 96;
    let (erva, esize) = k.export_dir.unwrap_or((0x2000, 0x400));
    put32(&mut img, dd, erva);
    put32(&mut img, dd + 4, esize);
    if let Some((rrva, rsize)) = k.resource_dir {
        put32(&mut img, dd + 16, rrva);
        put32(&mut img, dd + 20, rsize);
    }
    let sec = opt + 0xe0;
    for (i, (n, va, chars)) in [
        (b".text\0\0\0", 0x1000u32, 0x6000_0020u32),
        (b".edata\0\0", 0x2000, 0x4000_0040),
    ]
    .iter()
    .enumerate()
    {
        let s = sec + i * 40;
        img[s..s + 8].copy_from_slice(*n);
        put32(&mut img, s + 8, 0x1000);
        put32(&mut img, s + 12, *va);
        put32(&mut img, s + 16, 0x1000);
        put32(&mut img, s + 20, *va);
        put32(&mut img, s + 36, *chars);
    }
    for b in &mut img[0x1000..0x2000] {
        *b = 0xcc;
    }
    // Every 16-byte boundary is a return address: a `call rel32` ends there.
    for rva in (0x1010..0x2000usize).step_by(0x10) {
        img[rva - 5] = 0xe8;
        img[rva - 4..rva].fill(0);
    }
    // `or eax, dword ptr [ebx+10h]` at the fault.
    img[FAULT_RVA as usize..FAULT_RVA as usize + 3].copy_from_slice(&[0x0b, 0x43, 0x10]);
    for &(_, rva) in exports {
        if (0x1000..0x2000).contains(&rva) {
            img[rva as usize] = 0xc3;
        }
    }
    // Export directory at 0x2000, tables after it, strings from 0x2200.
    let n = exports.len() as u32;
    let (nf, nn) = k.export_counts.unwrap_or((n, n));
    let ed = 0x2000usize;
    put32(&mut img, ed + 12, 0x2200); // Name
    put32(&mut img, ed + 16, 1); // Base
    put32(&mut img, ed + 20, nf);
    put32(&mut img, ed + 24, nn);
    put32(&mut img, ed + 28, 0x2040); // AddressOfFunctions
    put32(&mut img, ed + 32, k.names_rva.unwrap_or(0x2100));
    put32(&mut img, ed + 36, 0x2180); // AddressOfNameOrdinals
    let mut strings = 0x2200usize;
    let mut put_str = |img: &mut Vec<u8>, s: &str| -> u32 {
        let at = strings;
        let s = &s.as_bytes()[..s.len().min(0x20)];
        img[at..at + s.len()].copy_from_slice(s);
        strings += s.len() + 1;
        at as u32
    };
    put_str(&mut img, name);
    let mut sorted: Vec<(usize, &(&str, u32))> = exports.iter().take(24).enumerate().collect();
    sorted.sort_by_key(|(_, (n, _))| *n);
    for (i, (_, rva)) in exports.iter().take(24).enumerate() {
        put32(&mut img, 0x2040 + i * 4, *rva);
    }
    for (j, (i, (nm, _))) in sorted.into_iter().enumerate() {
        let at = put_str(&mut img, nm);
        let at = if j == 0 {
            k.first_name_rva.unwrap_or(at)
        } else {
            at
        };
        put32(&mut img, 0x2100 + j * 4, at);
        put16(&mut img, 0x2180 + j * 2, i as u16);
    }
    if let Some(r) = &k.resource_bytes {
        let r = &r[..r.len().min(0x800)];
        img[0x2800..0x2800 + r.len()].copy_from_slice(r);
    }
    img
}

/// How a [`hostile_x86_dump`] is bent. `Default` gives a well-formed dump.
#[derive(Clone, Debug, Default)]
pub struct Knobs {
    /// Frame-pointer chain: 0 normal, 1 `[ebp] = ebp`, 2 two-frame cycle, 3 chain into ntdll's
    /// image, 4 `ebp` outside any memory, 5 a valid chain longer than the walker's frame limit.
    pub ebp_chain: u8,
    /// The faulting frame is in `KiUserExceptionDispatcher`, whose `[esp+4]` CONTEXT is again
    /// in the dispatcher, and so on up the stack; each dispatcher frame also points back at the
    /// previous CONTEXT (a cycle, if the walker followed it).
    pub dispatch_cycle: bool,
    /// Replace the count of stream N (index into the directory) with this value.
    pub count_override: Option<(u8, u32)>,
    /// Replace the RVA of the stream at this directory index.
    pub rva_override: Option<(u8, u32)>,
    /// Replace the size of the stream at this directory index.
    pub size_override: Option<(u8, u32)>,
    /// A memory range overlapping the stack (and a second descriptor for the same range).
    pub overlap: bool,
    /// Module name strings: 0 normal, 1 no terminator and odd length, 2 length 0xFFFFFFFF,
    /// 3 RVA past the end of file.
    pub name_mode: u8,
    /// Thread context location: 0 normal, 1 size 0, 2 RVA at the directory, 3 huge size.
    pub context_mode: u8,
    /// Use a Memory64List (with these size adders for each range) instead of a MemoryList.
    pub memory64: Option<u64>,
    /// Exception thread id does not match any thread.
    pub orphan_exception: bool,
    /// ntdll's PE knobs.
    pub pe: PeKnobs,
    /// Extra raw bytes: replace the contents of the stream at `.0` (directory index) from the
    /// start of that stream (kept within the file).
    pub splice: Option<(u8, Vec<u8>)>,
    /// Duplicate every stream directory entry (two ThreadLists…).
    pub duplicate_streams: bool,
    /// Stack top word values (stack scanning sees these).
    pub stack_words: Vec<u32>,
}

/// Reads fuzzer bytes as knobs and values.
pub struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// Over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data }
    }
    /// Next byte (0 when exhausted).
    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }
    /// Next `u32`, little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    /// A "interesting" `u32`: small, boundary, or arbitrary.
    pub fn interesting_u32(&mut self) -> u32 {
        match self.u8() % 8 {
            0 => 0,
            1 => 0xffff_ffff,
            2 => 0x8000_0000,
            3 => self.u8() as u32,
            4 => 0x7fff_ffff,
            5 => 0x10_0000,
            _ => self.u32(),
        }
    }
    /// What is left.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

impl Knobs {
    /// Knobs from fuzzer bytes (structure-aware fuzzing: the header and directory stay valid,
    /// the streams' counts, sizes, RVAs and contents go hostile).
    pub fn from_bytes(data: &[u8]) -> Knobs {
        let mut c = Cursor::new(data);
        let flags = c.u8();
        let flags2 = c.u8();
        let mut k = Knobs {
            ebp_chain: c.u8() % 6,
            dispatch_cycle: flags & 1 != 0,
            overlap: flags & 2 != 0,
            orphan_exception: flags & 4 != 0,
            duplicate_streams: flags & 8 != 0,
            name_mode: c.u8() % 4,
            context_mode: c.u8() % 4,
            ..Knobs::default()
        };
        if flags & 0x10 != 0 {
            k.count_override = Some((c.u8(), c.interesting_u32()));
        }
        if flags & 0x20 != 0 {
            k.rva_override = Some((c.u8(), c.interesting_u32()));
        }
        if flags & 0x40 != 0 {
            k.size_override = Some((c.u8(), c.interesting_u32()));
        }
        if flags & 0x80 != 0 {
            k.memory64 = Some(match c.u8() % 4 {
                0 => 0,
                1 => u64::MAX / 2,
                2 => 0x1_0000_0000,
                _ => c.u32() as u64,
            });
        }
        if flags2 & 1 != 0 {
            k.pe.export_dir = Some((c.interesting_u32(), c.interesting_u32()));
        }
        if flags2 & 2 != 0 {
            k.pe.export_counts = Some((c.interesting_u32(), c.interesting_u32()));
        }
        if flags2 & 4 != 0 {
            k.pe.names_rva = Some(c.interesting_u32());
            k.pe.first_name_rva = Some(c.interesting_u32());
        }
        if flags2 & 8 != 0 {
            k.pe.resource_dir = Some((0x2800, c.interesting_u32()));
        }
        if flags2 & 0x10 != 0 {
            k.pe.size_of_image = Some(c.interesting_u32());
            k.pe.sections = Some(c.u8() as u16 * 257);
        }
        if flags2 & 0x20 != 0 {
            k.pe.lfanew = Some(c.interesting_u32());
        }
        for _ in 0..(c.u8() % 8) {
            k.stack_words.push(c.u32());
        }
        let which = c.u8();
        let rest = c.rest();
        if flags2 & 0x40 != 0 {
            if flags2 & 0x80 != 0 {
                k.pe.resource_bytes = Some(rest.to_vec());
            } else {
                k.splice = Some((which, rest.to_vec()));
            }
        }
        k
    }
}

/// Address of the fake ntdll.
pub const NTDLL_BASE: u32 = 0x7c80_0000;
/// Address of the fake application module.
pub const APP_BASE: u32 = 0x0040_0000;
/// Base of the faulting thread's captured stack.
pub const STACK_BASE: u32 = 0x0012_0000;
/// Size of the captured stack.
pub const STACK_SIZE: u32 = 0x10000;
/// RVA of `KiUserExceptionDispatcher` in the fake ntdll.
pub const KIUED_RVA: u32 = 0x1100;
/// RVA of `RtlAllocateHeap` in the fake ntdll (where the fault is).
pub const FAULT_RVA: u32 = 0x1224;

fn x86_context(eip: u32, esp: u32, ebp: u32) -> Vec<u8> {
    let mut c = Buf(vec![0; 0x2cc]);
    c.set_u32(0, 0x0001_003f);
    c.set_u32(0x8c, 0);
    c.set_u32(0x90, 0x3b);
    c.set_u32(0x94, 0x23);
    c.set_u32(0x98, 0x23);
    c.set_u32(0xa4, 0x038c_0000); // ebx
    c.set_u32(0xb4, ebp);
    c.set_u32(0xb8, eip);
    c.set_u32(0xbc, 0x1b);
    c.set_u32(0xc0, 0x246);
    c.set_u32(0xc4, esp);
    c.set_u32(0xc8, 0x23);
    c.0
}

/// An x86 crash dump (access violation in `ntdll!RtlAllocateHeap+0x24` called from `app.exe`),
/// bent by `k`. Directory order: SystemInfo, MiscInfo, ModuleList, ThreadList, Exception,
/// MemoryList (or Memory64List), MemoryInfoList, UnloadedModuleList.
pub fn hostile_x86_dump(k: &Knobs) -> Vec<u8> {
    let mut d = Minidump::new();
    // Stack: a frame chain from esp = STACK_BASE + 0x100.
    let esp = STACK_BASE + 0x100;
    let mut stack = Buf(vec![0; STACK_SIZE as usize]);
    let s = |a: u32| (a - STACK_BASE) as usize;
    let ebp0 = STACK_BASE + 0x120;
    let ret_app = APP_BASE + 0x1010;
    let mut ctx_eip = NTDLL_BASE + FAULT_RVA;
    let (ctx_esp, ctx_ebp) = (esp, ebp0);
    match k.ebp_chain {
        1 => stack.set_u32(s(ebp0), ebp0),
        2 => {
            stack.set_u32(s(ebp0), ebp0 + 0x20);
            stack.set_u32(s(ebp0 + 0x20), ebp0);
            stack.set_u32(s(ebp0 + 0x24), ret_app);
        }
        3 => stack.set_u32(s(ebp0), NTDLL_BASE + 0x10),
        4 => stack.set_u32(s(ebp0), 0xdead_0000),
        5 => {
            // A valid chain 8 bytes a frame up the whole stack: more frames than the walker's
            // limit.
            let mut e = ebp0;
            while e + 16 < STACK_BASE + STACK_SIZE {
                stack.set_u32(s(e), e + 8);
                stack.set_u32(s(e + 4), ret_app + 0x10 * (e % 7));
                e += 8;
            }
        }
        _ => stack.set_u32(s(ebp0), ebp0 + 0x40),
    }
    if k.ebp_chain != 5 {
        stack.set_u32(s(ebp0 + 4), ret_app);
        stack.set_u32(s(ebp0 + 0x44), ret_app + 0x30);
    }
    if k.dispatch_cycle {
        // The faulting context is in KiUserExceptionDispatcher; `[esp+4]` names a CONTEXT that
        // is again in KiUserExceptionDispatcher, whose stack names the previous CONTEXT (a cycle
        // back down) and the next one up: nested dispatch frames up the whole stack.
        ctx_eip = NTDLL_BASE + KIUED_RVA + 0xe;
        let mut p = STACK_BASE + 0x400;
        stack.set_u32(s(esp), STACK_BASE + 0x300); // &EXCEPTION_RECORD
        stack.set_u32(s(esp + 4), p);
        stack.set_u32(s(STACK_BASE + 0x300), 0xc000_0005);
        while p + 0x2e0 + 0x2cc < STACK_BASE + STACK_SIZE {
            let sp = p + 0x2d0;
            let ctx = x86_context(ctx_eip, sp, ebp0);
            stack.0[s(p)..s(p) + ctx.len()].copy_from_slice(&ctx);
            stack.set_u32(s(sp), p);
            stack.set_u32(s(sp + 4), sp + 0x10);
            p = sp + 0x10;
        }
    }
    for (i, w) in k.stack_words.iter().enumerate() {
        stack.set_u32(s(esp + 8 + i as u32 * 4), *w);
    }
    let ctx = x86_context(ctx_eip, ctx_esp, ctx_ebp);

    let ntdll = pe_image(
        "ntdll.dll",
        &[
            ("KiUserExceptionDispatcher", KIUED_RVA),
            ("RtlAllocateHeap", FAULT_RVA - 0x24),
            ("RtlFreeHeap", 0x1300),
        ],
        &k.pe,
    );
    let app = pe_image("app.exe", &[("main", 0x1000)], &PeKnobs::default());

    // Blobs.
    let stack_rva = d.blob(&stack.0);
    let ctx_rva = d.blob(&ctx);
    let ntdll_rva = d.blob(&ntdll);
    let app_rva = d.blob(&app);
    let names: Vec<u32> = ["C:\\WINDOWS\\system32\\ntdll.dll", "C:\\app\\app.exe"]
        .iter()
        .map(|n| match k.name_mode {
            1 => {
                let mut b = Buf::default();
                b.u32(7); // odd byte length, no terminator, runs into the next blob
                for u in n.encode_utf16().take(3) {
                    b.u16(u);
                }
                d.blob(&b.0)
            }
            2 => d.blob(&0xffff_ffffu32.to_le_bytes()),
            3 => 0xfff0_0000,
            _ => d.string(n),
        })
        .collect();

    // SystemInfo.
    let mut si = Buf::default();
    si.u16(0).u16(6).u16(0x0f06).bytes(&[2, 3]);
    si.u32(5).u32(2).u32(3790).u32(2).u32(0).u16(0x110).u16(0);
    si.zeros(24);
    let mut misc = Buf::default();
    misc.u32(24).u32(3).u32(2288).u32(0x4000_0000).u32(1).u32(2);

    let mut ml = Buf::default();
    ml.u32(2);
    for (i, base) in [NTDLL_BASE, APP_BASE].iter().enumerate() {
        ml.u64(*base as u64)
            .u32(PE_SIZE)
            .u32(0)
            .u32(0x3b5d_2a10)
            .u32(names[i]);
        ml.u32(0xfeef_04bd).u32(0x1_0000).zeros(44);
        ml.u32(0).u32(0).u32(0).u32(0).u64(0).u64(0);
    }

    let (ctx_size, ctx_loc) = match k.context_mode {
        1 => (0, ctx_rva),
        2 => (0x2cc, 0), // points at the header
        3 => (0xffff_fff0, ctx_rva),
        _ => (0x2cc, ctx_rva),
    };
    let mut tl = Buf::default();
    tl.u32(2);
    for (tid, teb) in [(0x13f0u32, 0x7ffd_e000u64), (0x13f4, 0x7ffd_d000)] {
        tl.u32(tid).u32(0).u32(0x20).u32(0).u64(teb);
        tl.u64(STACK_BASE as u64).u32(STACK_SIZE).u32(stack_rva);
        tl.u32(ctx_size).u32(ctx_loc);
    }

    let mut ex = Buf::default();
    ex.u32(if k.orphan_exception { 0xdead } else { 0x13f0 })
        .u32(0);
    ex.u32(0xc000_0005)
        .u32(0)
        .u64(0)
        .u64((NTDLL_BASE + FAULT_RVA) as u64);
    ex.u32(2).u32(0).u64(0).u64(0x038c_0010).zeros(13 * 8);
    ex.u32(ctx_size).u32(ctx_loc);

    let ranges: Vec<(u64, u64, u32)> = {
        let mut r = vec![
            (STACK_BASE as u64, STACK_SIZE as u64, stack_rva),
            (NTDLL_BASE as u64, PE_SIZE as u64, ntdll_rva),
            (APP_BASE as u64, PE_SIZE as u64, app_rva),
        ];
        if k.overlap {
            r.push((STACK_BASE as u64 + 0x80, 0x100, ctx_rva));
            r.push((STACK_BASE as u64, STACK_SIZE as u64, ntdll_rva));
        }
        r
    };
    let mut mem = Buf::default();
    let mem_type = if let Some(add) = k.memory64 {
        // Memory64List: ranges are consecutive from BaseRva; the stack blob is first, so map
        // each range onto the bytes that follow it.
        mem.u64(ranges.len() as u64).u64(stack_rva as u64);
        for (start, size, _) in &ranges {
            mem.u64(*start).u64(size.wrapping_add(add));
        }
        stream::MEMORY64_LIST
    } else {
        mem.u32(ranges.len() as u32);
        for (start, size, rva) in &ranges {
            mem.u64(*start).u32(*size as u32).u32(*rva);
        }
        stream::MEMORY_LIST
    };

    let mut mi = Buf::default();
    mi.u32(16).u32(48).u64(4);
    for (base, size, state, prot, ty) in [
        (STACK_BASE as u64, 0x1_0000u64, 0x1000u32, 4u32, 0x20000u32),
        (APP_BASE as u64, PE_SIZE as u64, 0x1000, 0x20, 0x100_0000),
        (NTDLL_BASE as u64, PE_SIZE as u64, 0x1000, 0x20, 0x100_0000),
        (0x038c_0000, 0x1_0000, 0x1_0000, 1, 0),
    ] {
        mi.u64(base).u64(base).u32(prot).u32(0).u64(size);
        mi.u32(state).u32(prot).u32(ty).u32(0);
    }
    let mut ul = Buf::default();
    ul.u32(12).u32(24).u32(1);
    ul.u64(0x0300_0000).u32(0x1000).u32(0).u32(0).u32(names[1]);

    let mut streams: Vec<(u32, Vec<u8>)> = vec![
        (stream::SYSTEM_INFO, si.0),
        (stream::MISC_INFO, misc.0),
        (stream::MODULE_LIST, ml.0),
        (stream::THREAD_LIST, tl.0),
        (stream::EXCEPTION, ex.0),
        (mem_type, mem.0),
        (stream::MEMORY_INFO_LIST, mi.0),
        (stream::UNLOADED_MODULE_LIST, ul.0),
    ];
    let n = streams.len();
    if let Some((i, v)) = k.count_override {
        let (ty, data) = &mut streams[i as usize % n];
        // The count is the first u32, except MemoryInfo/Unloaded (after the header sizes) and
        // Memory64List (a u64).
        let off = match *ty {
            stream::MEMORY_INFO_LIST => 8,
            stream::UNLOADED_MODULE_LIST => 8,
            stream::SYSTEM_INFO | stream::MISC_INFO | stream::EXCEPTION => 0x10,
            _ => 0,
        };
        let mut b = Buf(std::mem::take(data));
        b.set_u32(off, v);
        *data = b.0;
    }
    if let Some((i, bytes)) = &k.splice {
        let (_, data) = &mut streams[*i as usize % n];
        let m = bytes.len().min(data.len());
        data[..m].copy_from_slice(&bytes[..m]);
    }
    for (ty, data) in &streams {
        d.stream(*ty, data);
    }
    if k.duplicate_streams {
        for (ty, data) in &streams {
            d.stream(*ty, data);
        }
    }
    if let Some((i, v)) = k.rva_override {
        let e = i as usize % d.dir.len();
        d.dir[e].2 = v;
    }
    if let Some((i, v)) = k.size_override {
        let e = i as usize % d.dir.len();
        d.dir[e].1 = v;
    }
    d.finish()
}

/// The (offset, length) of every stream in a minidump's directory, as the header says (empty
/// if the header is not a minidump header). Used to truncate a real dump at stream boundaries.
pub fn stream_spans(dump: &[u8]) -> Vec<(u32, u32, u32)> {
    let rd = |o: usize| -> Option<u32> {
        dump.get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (Some(0x504d_444d), Some(n), Some(dir)) = (rd(0), rd(8), rd(12)) else {
        return Vec::new();
    };
    (0..n.min(1024) as usize)
        .filter_map(|i| {
            let e = dir as usize + i * 12;
            Some((rd(e)?, rd(e + 4)?, rd(e + 8)?))
        })
        .collect()
}

/// Making the lab's hang dump `fixtures/lab/hang/deadlock-x86.dmp` hostile: its two critical
/// sections and their debug records (addresses from its ground truth), and memory patching by
/// address through its MemoryListStream.
pub mod hang {
    /// `cohosync!g_stock_lock` (held by thread 0xf4, waited for by 0xf8).
    pub const STOCK: u64 = 0x62d0_7080;
    /// `cohosync!g_ledger_lock` (held by 0xf8, waited for by 0xf4).
    pub const LEDGER: u64 = 0x62d0_7068;
    /// Their debug records.
    pub const STOCK_DEBUG: u64 = 0x1451b0;
    pub const LEDGER_DEBUG: u64 = 0x1451d8;

    fn u32_at(d: &[u8], o: usize) -> Option<u32> {
        Some(u32::from_le_bytes(d.get(o..o + 4)?.try_into().ok()?))
    }

    /// The stream directory: `(type, size, rva)` (empty when the header is unreadable).
    pub fn directory(dump: &[u8]) -> Vec<(u32, u32, u32)> {
        let (Some(n), Some(dir)) = (u32_at(dump, 8), u32_at(dump, 12)) else {
            return Vec::new();
        };
        (0..n as usize)
            .map_while(|i| {
                let e = dir as usize + 12 * i;
                Some((u32_at(dump, e)?, u32_at(dump, e + 4)?, u32_at(dump, e + 8)?))
            })
            .collect()
    }

    /// The file offset of dump memory at `addr` (MemoryListStream).
    pub fn memory_offset(dump: &[u8], addr: u64) -> Option<usize> {
        let (_, _, rva) = *directory(dump).iter().find(|d| d.0 == 5)?;
        let rva = rva as usize;
        for i in 0..u32_at(dump, rva)? as usize {
            let e = rva + 4 + 16 * i;
            let start = u64::from_le_bytes(dump.get(e..e + 8)?.try_into().ok()?);
            let (size, at) = (
                u64::from(u32_at(dump, e + 8)?),
                u32_at(dump, e + 12)? as usize,
            );
            if addr >= start && addr < start + size {
                return Some(at + (addr - start) as usize);
            }
        }
        None
    }

    /// Writes `bytes` over dump memory at `addr` (as far as the file holds it); false when the
    /// address is not in the dump.
    pub fn patch(dump: &mut [u8], addr: u64, bytes: &[u8]) -> bool {
        let Some(o) = memory_offset(dump, addr) else {
            return false;
        };
        let n = bytes.len().min(dump.len().saturating_sub(o));
        dump[o..o + n].copy_from_slice(&bytes[..n]);
        true
    }
}
