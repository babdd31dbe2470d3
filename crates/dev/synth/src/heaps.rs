//! Heap dumps: full-memory minidumps (Memory64List holding every committed page, a
//! memory-info list of the whole address space) of a small `w3wp.exe` whose PEB lists its
//! heaps (`ProcessHeap`, `NumberOfHeaps`, `ProcessHeaps`), in the Windows heap layouts Wine
//! does not have:
//!
//! * [`HeapScenario::Srv2003`]: Windows Server 2003 SP1 x86, an NT heap of two segments (its
//!   `Segments[]` array) and a second NT heap of one;
//! * [`HeapScenario::Win10`]: Windows 10 x64, an NT heap of three segments (the
//!   `SegmentListEntry` ring through `_HEAP.SegmentList`) and a second NT heap of one;
//! * [`HeapScenario::SegmentHeap`], [`HeapScenario::PageHeap`]: Windows 10 x64 whose process
//!   heap is a segment heap (`_SEGMENT_HEAP.Signature` 0xDDEEDDEE) or a page heap
//!   (`DPH_HEAP_ROOT` 0xFFEEDDCC one page after the handle), beside an NT heap of one segment.
//!
//! Offsets: those of `dt ntdll!_HEAP` / `_HEAP_SEGMENT` of the builds (2003 x86: heap
//! `Signature` +0x08, `Flags` +0x0c, `Segments[]` +0x58, segment signature +0x08, `BaseAddress`
//! +0x18, `NumberOfPages` +0x1c, `NumberOfUnCommittedPages` +0x28; Windows 10 x64: segment
//! signature +0x10, `SegmentListEntry` +0x18, `Heap` +0x28, `BaseAddress` +0x30,
//! `NumberOfPages` +0x38, `NumberOfUnCommittedPages` +0x50, `_HEAP.Flags` +0x70, `Signature`
//! +0x98, `SegmentList` +0x120). The Windows 10 dumps' `ntdll.dll` carries the identity (CodeView
//! GUID+age, timestamp, size) of the test PDB `fixtures/pdb/heap` (`lab/pdb/build-heap.sh`,
//! build `win10`), so a symbol path holding it gives the same offsets from the PDB.
//!
//! The truth ([`HeapTruth::to_json`]) is what the generator wrote: each heap's kind and, for NT
//! heaps, its segments with their reserved and committed bytes.

use crate::big::{context64, R64};
use crate::bytes::{put_u16, put_u32, put_u64};
use crate::dump::{serialize, DumpModel, DumpThread, MemorySource};
use crate::error::{Result, SynthError};
use crate::mem::Memory;
use crate::modules::{ex, ms, third_party_sections, OS};
use crate::pe::Image;
use crate::space::{Space, MEM_COMMIT, MEM_IMAGE};
use crate::x86::Regs;

/// Which process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeapScenario {
    Srv2003,
    Win10,
    SegmentHeap,
    PageHeap,
}

impl HeapScenario {
    /// All of them, in the order `coroner-synth heaps` writes them.
    pub const ALL: [HeapScenario; 4] = [
        HeapScenario::Srv2003,
        HeapScenario::Win10,
        HeapScenario::SegmentHeap,
        HeapScenario::PageHeap,
    ];

    /// The file stem of the dump.
    pub fn id(self) -> &'static str {
        match self {
            HeapScenario::Srv2003 => "w3wp-heap-srv2003-x86",
            HeapScenario::Win10 => "w3wp-heap-win10-x64",
            HeapScenario::SegmentHeap => "w3wp-segment-heap-win10-x64",
            HeapScenario::PageHeap => "w3wp-page-heap-win10-x64",
        }
    }

    fn x64(self) -> bool {
        self != HeapScenario::Srv2003
    }
}

/// The identity of `fixtures/pdb/heap`'s `ntdll.dll` (build `win10`): GUID, age, timestamp,
/// SizeOfImage, as `lab/pdb/build-heap.sh` recorded them in `ntdll-expected.json`.
pub const NTDLL_PDB_GUID: &str = "F2D273E2-F1CF-0FF9-4C4C-44205044422E";
pub const NTDLL_PDB_AGE: u32 = 1;
pub const NTDLL_TIMESTAMP: u32 = 863_220_258;
pub const NTDLL_SIZE: u32 = 0x4000;

/// One heap of the truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TruthHeap {
    pub address: u64,
    /// `nt`, `segment` or `page_heap`.
    pub kind: &'static str,
    /// (base, reserved, committed) of each segment; empty when not walkable.
    pub segments: Vec<(u64, u64, u64)>,
}

/// What the generator wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeapTruth {
    pub scenario: HeapScenario,
    pub arch: &'static str,
    pub heaps: Vec<TruthHeap>,
    /// The ntdll PDB identity (Breakpad form) the Windows 10 dumps carry.
    pub ntdll_debug_id: Option<String>,
}

/// A generated heap dump and its truth.
#[derive(Clone, Debug)]
pub struct HeapGenerated {
    pub dump: Vec<u8>,
    pub truth: HeapTruth,
}

const PAGE: u64 = 0x1000;
/// The process id and dump time of the committed set (`coroner-synth heaps`).
pub const HEAP_PID: u32 = 4412;
pub const HEAP_TIME: u32 = crate::INCIDENT_TIME;

/// Addresses of the process.
struct Layout {
    exe: u64,
    ntdll: u64,
    peb: u64,
    teb: u64,
    stack: u64,
    /// Heap handles, the first the process heap.
    heaps: [u64; 2],
    /// Later segments of the first heap (their own allocations).
    extra: [u64; 2],
    top: u64,
}

const X86: Layout = Layout {
    exe: 0x0100_0000,
    ntdll: 0x7c80_0000,
    peb: 0x7ffd_f000,
    teb: 0x7ffd_e000,
    stack: 0x0003_0000,
    heaps: [0x0014_0000, 0x0025_0000],
    extra: [0x0083_0000, 0],
    top: 0x7fff_0000,
};

const X64: Layout = Layout {
    exe: 0x7ff7_1a2b_0000,
    ntdll: 0x7ffc_3e8d_0000,
    peb: 0x0000_00a1_5b3f_e000,
    teb: 0x0000_00a1_5b3f_f000,
    stack: 0x0000_00a1_5c00_0000,
    heaps: [0x0000_0204_6f9b_0000, 0x0000_0204_6fc0_0000],
    extra: [0x0000_0204_7000_0000, 0x0000_0204_7100_0000],
    top: 0x7fff_ffff_0000,
};

/// (pages reserved, pages committed) of each NT segment: the first heap's segments, then the
/// second heap's one.
const SEGMENTS_2003: [(u32, u32); 3] = [(0x100, 4), (0x400, 2), (0x10, 1)];
const SEGMENTS_WIN10: [(u32, u32); 4] = [(0x100, 4), (0x200, 2), (0x400, 1), (0x10, 1)];
/// Where 2003 puts a heap's first segment inside the heap.
const SEG0_2003: u64 = 0x640;
/// ntdll's `.data` page holding the `ProcessHeaps` array.
const HEAPS_ARRAY_RVA: u64 = 0x3000;

struct Build {
    scenario: HeapScenario,
    l: &'static Layout,
    mem: Memory,
    space: Space,
    truth: Vec<TruthHeap>,
}

impl HeapScenario {
    /// Writes the dump.
    pub fn generate(self, pid: u32, time: u32) -> Result<HeapGenerated> {
        if pid == 0 || !pid.is_multiple_of(4) {
            return Err(SynthError::InvalidParameter(format!(
                "process id {pid} must be a non-zero multiple of 4"
            )));
        }
        let l = if self.x64() { &X64 } else { &X86 };
        let mut b = Build {
            scenario: self,
            l,
            mem: Memory::new(),
            space: Space::new(),
            truth: Vec::new(),
        };
        match self {
            HeapScenario::Srv2003 => b.heaps_2003(),
            HeapScenario::Win10 => b.heaps_win10(),
            HeapScenario::SegmentHeap | HeapScenario::PageHeap => b.recognised_only(),
        }
        b.peb();
        b.finish(pid, time)
    }
}

impl Build {
    fn x64(&self) -> bool {
        self.scenario.x64()
    }

    /// A private allocation at `base`: `pages` reserved, the first `commit` committed (and so
    /// in the full dump).
    fn alloc(&mut self, base: u64, pages: u32, commit: u32) {
        let (total, commit) = (u64::from(pages) * PAGE, u64::from(commit) * PAGE);
        self.space.private(base, total, commit);
        self.mem.ensure(base, base + commit);
    }

    /// Windows Server 2003: `_HEAP` with its first segment inside, `Segments[]` listing them.
    fn heaps_2003(&mut self) {
        let [h1, h2] = self.l.heaps;
        let s2 = self.l.extra[0];
        let segs = SEGMENTS_2003;
        self.alloc(h1, segs[0].0, segs[0].1);
        self.alloc(s2, segs[1].0, segs[1].1);
        self.alloc(h2, segs[2].0, segs[2].1);
        let mut heap = |h: u64, list: &[(u64, u64, (u32, u32))]| {
            let mut b = vec![0u8; 0x700];
            put_u32(&mut b, 0x08, 0xEEFF_EEFF);
            put_u32(&mut b, 0x0c, 0x2); // HEAP_GROWABLE
            for (i, (seg, _, _)) in list.iter().enumerate() {
                put_u32(&mut b, 0x58 + 4 * i, *seg as u32);
            }
            self.mem.write(h, &b);
            let mut truth = Vec::new();
            for &(seg, base, (pages, commit)) in list {
                let mut s = vec![0u8; 0x40];
                put_u32(&mut s, 0x08, 0xFFEE_FFEE);
                put_u32(&mut s, 0x0c, 0); // SegmentFlags
                put_u32(&mut s, 0x10, h as u32); // Heap
                put_u32(&mut s, 0x18, base as u32);
                put_u32(&mut s, 0x1c, pages);
                put_u32(&mut s, 0x28, pages - commit);
                self.mem.write(seg, &s);
                truth.push(seg_truth(base, pages, commit));
            }
            TruthHeap {
                address: h,
                kind: "nt",
                segments: truth,
            }
        };
        let a = heap(h1, &[(h1 + SEG0_2003, h1, segs[0]), (s2, s2, segs[1])]);
        let b = heap(h2, &[(h2 + SEG0_2003, h2, segs[2])]);
        self.truth.extend([a, b]);
    }

    /// Windows 10: the heap is its own first segment; the others hang on its ring.
    fn heaps_win10(&mut self) {
        let [h1, h2] = self.l.heaps;
        let [s2, s3] = self.l.extra;
        let g = SEGMENTS_WIN10;
        self.alloc(h1, g[0].0, g[0].1);
        self.alloc(s2, g[1].0, g[1].1);
        self.alloc(s3, g[2].0, g[2].1);
        self.alloc(h2, g[3].0, g[3].1);
        let a = self.nt_heap_win10(h1, &[(s2, g[1]), (s3, g[2])], g[0]);
        let b = self.nt_heap_win10(h2, &[], g[3]);
        self.truth.extend([a, b]);
    }

    /// A Windows 10 NT heap at `h` (first segment `first`) with later segments `more`.
    fn nt_heap_win10(
        &mut self,
        h: u64,
        more: &[(u64, (u32, u32))],
        first: (u32, u32),
    ) -> TruthHeap {
        let head = h + 0x120;
        let mut ring: Vec<(u64, (u32, u32))> = vec![(h, first)];
        ring.extend_from_slice(more);
        let node = |i: usize| -> u64 {
            match ring.get(i) {
                Some((s, _)) => s + 0x18,
                None => head,
            }
        };
        let mut truth = Vec::new();
        for (i, &(s, (pages, commit))) in ring.iter().enumerate() {
            let mut b = vec![0u8; if s == h { 0x300 } else { 0x80 }];
            put_u32(&mut b, 0x10, 0xFFEE_FFEE);
            put_u64(&mut b, 0x18, node(i + 1));
            put_u64(&mut b, 0x20, if i == 0 { head } else { node(i - 1) });
            put_u64(&mut b, 0x28, h);
            put_u64(&mut b, 0x30, s);
            put_u32(&mut b, 0x38, pages);
            put_u64(&mut b, 0x40, s + 0x80); // FirstEntry
            put_u64(&mut b, 0x48, s + u64::from(pages) * PAGE); // LastValidEntry
            put_u32(&mut b, 0x50, pages - commit);
            if s == h {
                put_u32(&mut b, 0x70, 0x2); // Flags: HEAP_GROWABLE
                put_u32(&mut b, 0x98, 0xEEFF_EEFF); // _HEAP.Signature
                put_u64(&mut b, 0x120, h + 0x18);
                put_u64(&mut b, 0x128, node(ring.len() - 1));
            }
            self.mem.write(s, &b);
            truth.push(seg_truth(s, pages, commit));
        }
        TruthHeap {
            address: h,
            kind: "nt",
            segments: truth,
        }
    }

    /// Windows 10 with a segment heap or a page heap as the process heap, and an NT heap.
    fn recognised_only(&mut self) {
        let [h1, h2] = self.l.heaps;
        let (kind, at, sig) = match self.scenario {
            HeapScenario::SegmentHeap => ("segment", 0x10, 0xDDEE_DDEEu32),
            _ => ("page_heap", PAGE as usize, 0xFFEE_DDCC),
        };
        self.alloc(h1, 0x100, 4);
        let mut b = vec![0u8; at + 0x40];
        put_u32(&mut b, at, sig);
        self.mem.write(h1, &b);
        self.truth.push(TruthHeap {
            address: h1,
            kind,
            segments: Vec::new(),
        });
        let g = SEGMENTS_WIN10[3];
        self.alloc(h2, g.0, g.1);
        let t = self.nt_heap_win10(h2, &[], g);
        self.truth.push(t);
    }

    /// PEB, TEB, stack, modules' pages and the `ProcessHeaps` array in ntdll's data.
    fn peb(&mut self) {
        let (x64, l) = (self.x64(), self.l);
        let handles: Vec<u64> = self.truth.iter().map(|t| t.address).collect();
        let array = l.ntdll + HEAPS_ARRAY_RVA;
        let mut peb = vec![0u8; 0x400];
        let mut arr = vec![0u8; 16 * 8];
        if x64 {
            put_u64(&mut peb, 0x10, l.exe);
            put_u64(&mut peb, 0x30, handles[0]);
            put_u32(&mut peb, 0xe8, handles.len() as u32);
            put_u32(&mut peb, 0xec, 16);
            put_u64(&mut peb, 0xf0, array);
            put_u32(&mut peb, 0x118, 10);
            put_u16(&mut peb, 0x120, 17763);
            for (i, h) in handles.iter().enumerate() {
                put_u64(&mut arr, 8 * i, *h);
            }
        } else {
            put_u32(&mut peb, 0x08, l.exe as u32);
            put_u32(&mut peb, 0x18, handles[0] as u32);
            put_u32(&mut peb, 0x88, handles.len() as u32);
            put_u32(&mut peb, 0x8c, 16);
            put_u32(&mut peb, 0x90, array as u32);
            put_u32(&mut peb, 0xa4, 5);
            put_u32(&mut peb, 0xa8, 2);
            put_u16(&mut peb, 0xac, 3790);
            for (i, h) in handles.iter().enumerate() {
                put_u32(&mut arr, 4 * i, *h as u32);
            }
        }
        for (base, pages) in [(l.peb, 1), (l.teb, if x64 { 2 } else { 1 })] {
            self.alloc(base, pages, pages);
        }
        self.mem.write(l.peb, &peb);
        for im in images(x64) {
            self.space.alloc(
                im.base,
                0x80,
                MEM_IMAGE,
                &[(u64::from(im.size), MEM_COMMIT, 0x02)],
            );
            self.mem.ensure(im.base, im.base + u64::from(im.size));
            self.mem.write(im.base, &im.headers());
        }
        self.mem.write(array, &arr);
        // Stack: 0x40000 reserved, a guard page, one committed page at the top.
        self.space.stack(l.stack, 0x4_0000, PAGE);
        self.mem
            .ensure(l.stack + 0x4_0000 - PAGE, l.stack + 0x4_0000);
    }

    fn finish(mut self, pid: u32, time: u32) -> Result<HeapGenerated> {
        let (x64, l) = (self.x64(), self.l);
        let base = l.stack + 0x4_0000;
        let sp = base - 0x100;
        let ip = l.ntdll + 0x1010;
        let context = if x64 {
            context64(&R64 {
                rsp: sp,
                rip: ip,
                ..R64::default()
            })
        } else {
            Regs {
                esp: sp as u32,
                ebp: sp as u32 + 0x20,
                eip: ip as u32,
                efl: 0x246,
                ..Regs::default()
            }
            .context()
        };
        let mut teb = vec![0u8; 0x100];
        let tid = 0x0a14;
        if x64 {
            put_u64(&mut teb, 0x08, base);
            put_u64(&mut teb, 0x10, base - PAGE);
            put_u64(&mut teb, 0x30, l.teb);
            put_u64(&mut teb, 0x40, u64::from(pid));
            put_u64(&mut teb, 0x48, tid);
            put_u64(&mut teb, 0x60, l.peb);
        } else {
            put_u32(&mut teb, 0x04, base as u32);
            put_u32(&mut teb, 0x08, (base - PAGE) as u32);
            put_u32(&mut teb, 0x18, l.teb as u32);
            put_u32(&mut teb, 0x20, pid);
            put_u32(&mut teb, 0x24, tid as u32);
            put_u32(&mut teb, 0x30, l.peb as u32);
        }
        self.mem.write(l.teb, &teb);
        let regions = std::mem::take(&mut self.space).finish(0x1_0000, l.top)?;
        let ranges: Vec<(u64, u64)> = self
            .mem
            .ranges()
            .map(|(a, v)| (a, v.len() as u64))
            .collect();
        let model = DumpModel {
            time,
            // MiniDumpWithFullMemory | WithHandleData-less | WithFullMemoryInfo | WithThreadInfo
            flags: 0x1802,
            sys: crate::hang::server_sys_info(x64, true),
            pid,
            process_create: time - 600,
            user_seconds: 2,
            kernel_seconds: 1,
            modules: images(x64),
            threads: vec![DumpThread {
                id: tid as u32,
                suspend: 1,
                priority_class: 0x20,
                priority: 0,
                teb: l.teb,
                stack_start: sp,
                stack_len: base - sp,
                context,
                create_time: u64::from(time) - 600,
                user_time: 100_000,
                kernel_time: 50_000,
                start_address: ip,
            }],
            exception: None,
            regions,
        };
        let ser = serialize(&model, MemorySource::Full64(&ranges))?;
        let mut dump = ser.bytes;
        dump.resize(ser.base_rva as usize, 0);
        for (_, v) in self.mem.ranges() {
            dump.extend_from_slice(v);
        }
        let truth = HeapTruth {
            scenario: self.scenario,
            arch: if x64 { "x64" } else { "x86" },
            heaps: self.truth,
            ntdll_debug_id: x64
                .then(|| NTDLL_PDB_GUID.replace('-', "") + &format!("{NTDLL_PDB_AGE:X}")),
        };
        Ok(HeapGenerated { dump, truth })
    }
}

fn seg_truth(base: u64, pages: u32, commit: u32) -> (u64, u64, u64) {
    (base, u64::from(pages) * PAGE, u64::from(commit) * PAGE)
}

/// The GUID of a CodeView record as stored (Data1..3 little-endian).
fn guid_bytes(s: &str) -> [u8; 16] {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    let mut b = [0u8; 16];
    for (i, o) in b.iter_mut().enumerate() {
        *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0);
    }
    b[0..4].reverse();
    b[4..6].reverse();
    b[6..8].reverse();
    b
}

/// `w3wp.exe` and a small `ntdll.dll` (x64: with the test PDB's identity).
fn images(x64: bool) -> Vec<Image> {
    let (l, ver, ts) = if x64 {
        (&X64, [10, 0, 17763, 1], 0x5b9c_0d11)
    } else {
        (&X86, crate::modules::SP1, 0x4243_7794)
    };
    let m = |file: &str, base: u64, size: u32, timestamp: u32, exports: &[(&str, u32)]| {
        let mut im = ms(
            file,
            if x64 {
                "C:\\Windows\\System32"
            } else {
                "C:\\WINDOWS\\system32"
            },
            0,
            size,
            timestamp,
            0,
            ver,
            third_party_sections(0x2000, 0x2800, 0x3000, 0x3800, size),
            ex(exports),
            0x2000,
            0x1010,
            file,
            OS,
        );
        im.base = base;
        im.pref_base = base;
        im.x64 = x64;
        im
    };
    let mut w3wp = m("w3wp.exe", l.exe, 0x4000, ts, &[]);
    w3wp.path = "c:\\windows\\system32\\inetsrv\\w3wp.exe".into();
    let (nt_ts, nt_size) = if x64 {
        (NTDLL_TIMESTAMP, NTDLL_SIZE)
    } else {
        (ts, 0x4000)
    };
    let mut ntdll = m(
        "ntdll.dll",
        l.ntdll,
        nt_size,
        nt_ts,
        &[
            ("RtlAllocateHeap", 0x1000),
            ("NtWaitForSingleObject", 0x1010),
        ],
    );
    if x64 {
        ntdll.pdb = Some((
            "ntdll.pdb".into(),
            guid_bytes(NTDLL_PDB_GUID),
            NTDLL_PDB_AGE,
        ));
    }
    vec![w3wp, ntdll]
}

impl HeapTruth {
    /// The truth as JSON: `heaps[]` as `coroner analyze --format json` states them
    /// (`address` hex, `kind`, `committed`, `reserved`, `segments`; null when not walked) with
    /// each NT heap's segments.
    pub fn to_json(&self) -> String {
        let opt = |v: Option<u64>| v.map_or("null".to_string(), |v| v.to_string());
        let heaps: Vec<String> = self
            .heaps
            .iter()
            .map(|h| {
                let walked = !h.segments.is_empty();
                let sum = |f: fn(&(u64, u64, u64)) -> u64| {
                    walked.then(|| h.segments.iter().map(f).sum::<u64>())
                };
                let segs: Vec<String> = h
                    .segments
                    .iter()
                    .map(|(b, r, c)| {
                        format!("{{\"base\": \"0x{b:x}\", \"reserved\": {r}, \"committed\": {c}}}")
                    })
                    .collect();
                format!(
                    "  {{\"address\": \"0x{:x}\", \"kind\": \"{}\", \"committed\": {}, \"reserved\": {}, \"segments\": {}, \"segment_list\": [{}]}}",
                    h.address,
                    h.kind,
                    opt(sum(|s| s.2)),
                    opt(sum(|s| s.1)),
                    if walked { h.segments.len().to_string() } else { "null".into() },
                    segs.join(", ")
                )
            })
            .collect();
        format!(
            "{{\n \"scenario\": \"{}\",\n \"arch\": \"{}\",\n \"ntdll_debug_id\": {},\n \"heaps\": [\n{}\n ]\n}}\n",
            self.scenario.id(),
            self.arch,
            self.ntdll_debug_id
                .as_ref()
                .map_or("null".to_string(), |d| format!("\"{d}\"")),
            heaps.join(",\n")
        )
    }
}
