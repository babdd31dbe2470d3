//! Hang dumps: a `w3wp.exe` that stopped answering because its request threads wait on one
//! critical section, owned by a thread inside a vendor DLL (`SlowDB.dll`, "Northwind Data
//! Ltd.") that waits on a socket (`ws2_32!recv` → mswsock). No exception stream: a DebugDiag
//! hang dump or `procdump -ma` of a live process.
//!
//! The section is a real `RTL_CRITICAL_SECTION` in SlowDB's `.data`, in one of three
//! encodings ([`CsEncoding`]); each waiter's stack passes its address as the first argument
//! (x86 stdcall) or keeps it in `rbx` (x64), as an analyser reading `!locks` expects. Every
//! dump comes with its ground truth ([`HangTruth::to_json`]).

use crate::big::{context64, R64};
use crate::bytes::{put, put_u16, put_u32, put_u64, utf16, utf16z};
use crate::dump::{serialize, DumpModel, DumpThread, MemorySource, SysInfo};
use crate::error::{Result, SynthError};
use crate::mem::Memory;
use crate::modules::{ex, ms, std_sections, third_party_sections, OS, SYS32};
use crate::pe::{Image, VersionStrings};
use crate::x86::{Regs, Sim};

/// How the critical section counts its waiters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsEncoding {
    /// Windows XP / Server 2003 before SP1: `LockCount` counts up from -1 (free); owned with N
    /// waiters it is N. Waiters sleep in `RtlpWaitForCriticalSection` on `LockSemaphore`.
    XpPreSp1,
    /// Server 2003 SP1 and later: bit 0 of `LockCount` is 0 when locked, bit 1 is 1 when no
    /// waiter has been woken, and waiters = (-1 - LockCount) >> 2; owned with N waiters it is
    /// -2 - 4N.
    Srv2003Sp1,
    /// Windows 10 x64: the SP1 encoding, `DebugInfo == (PVOID)-1` (no debug record, so the
    /// section is on no `ProcessLocksList`), waiters in `NtWaitForAlertByThreadId`.
    Win10,
}

impl CsEncoding {
    /// The truth file's name of the encoding.
    pub fn id(self) -> &'static str {
        match self {
            CsEncoding::XpPreSp1 => "xp_2003_pre_sp1",
            CsEncoding::Srv2003Sp1 => "srv2003_sp1_inverted",
            CsEncoding::Win10 => "win10_no_debug_info",
        }
    }

    /// `LockCount` of a section owned once with `waiters` threads waiting.
    pub fn lock_count(self, waiters: u32) -> i32 {
        match self {
            CsEncoding::XpPreSp1 => waiters as i32,
            CsEncoding::Srv2003Sp1 | CsEncoding::Win10 => -2 - 4 * waiters as i32,
        }
    }

    /// The waiters a `LockCount` says, decoded as this encoding reads it.
    pub fn waiters(self, lock_count: i32) -> u32 {
        match self {
            CsEncoding::XpPreSp1 => lock_count.max(0) as u32,
            CsEncoding::Srv2003Sp1 | CsEncoding::Win10 => ((-1i64 - lock_count as i64) >> 2) as u32,
        }
    }

    fn x64(self) -> bool {
        self == CsEncoding::Win10
    }
}

/// Builder of a hang dump. `Default` = the example incident's Server 2003 SP1 worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HangCase {
    pub encoding: CsEncoding,
    /// Process id of w3wp.exe (non-zero multiple of 4).
    pub pid: u32,
    /// Dump time (Unix seconds, UTC).
    pub time: u32,
    /// Application pool named on the command line (`-ap "…"`).
    pub pool: String,
    /// Request threads waiting on the section (1..=64).
    pub waiters: u32,
}

impl Default for HangCase {
    fn default() -> Self {
        HangCase {
            encoding: CsEncoding::Srv2003Sp1,
            pid: 3100,
            time: crate::INCIDENT_TIME,
            pool: "DefaultAppPool".into(),
            waiters: 20,
        }
    }
}

/// One thread of the truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HangThread {
    pub index: usize,
    pub tid: u32,
    /// `waiting_lock`, `io` or `waiting_object`.
    pub state: &'static str,
    /// Functions from the top of the stack down (`ntdll!KiFastSystemCallRet`, …).
    pub frames: Vec<String>,
}

/// Ground truth of a hang dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HangTruth {
    pub scenario: &'static str,
    pub encoding: CsEncoding,
    pub arch: &'static str,
    pub pid: u32,
    pub time: u32,
    pub pool: String,
    /// The section's address and its bytes as written (24 bytes x86, 40 bytes x64).
    pub lock_address: u64,
    pub lock_bytes: Vec<u8>,
    /// `None` for `DebugInfo == -1`.
    pub debug_info: Option<u64>,
    pub lock_count: i32,
    pub recursion_count: i32,
    pub owner_tid: u32,
    pub lock_semaphore: u64,
    pub waiter_tids: Vec<u32>,
    /// The PEB's LoaderLock (free) and the head of ntdll's `RtlCriticalSectionList`.
    pub loader_lock: u64,
    pub process_locks_list: u64,
    /// The blamed module, its vendor, and the function the owner sits in.
    pub culprit_module: &'static str,
    pub culprit_vendor: &'static str,
    pub threads: Vec<HangThread>,
}

/// A generated hang dump and its truth.
#[derive(Clone, Debug)]
pub struct HangGenerated {
    pub dump: Vec<u8>,
    pub truth: HangTruth,
}

const VENDOR: &str = "Northwind Data Ltd.";
const SLOWDB: &str = "SlowDB.dll";
/// RVA of SlowDB's connection-pool lock (a global in `.data`).
const LOCK_RVA: u64 = 0x2a040;

impl HangCase {
    /// Writes the dump.
    pub fn generate(&self) -> Result<HangGenerated> {
        self.check()?;
        let mut b = Build::new(self);
        b.lock_and_lists();
        b.threads();
        b.peb_and_params();
        b.images_in_memory();
        b.syscall_stubs();
        b.finish()
    }

    fn check(&self) -> Result<()> {
        let bad = |m: String| Err(SynthError::InvalidParameter(m));
        if self.pid == 0 || !self.pid.is_multiple_of(4) {
            return bad(format!(
                "process id {} must be a non-zero multiple of 4",
                self.pid
            ));
        }
        if !(1..=64).contains(&self.waiters) {
            return bad(format!("{} waiters (must be within 1..=64)", self.waiters));
        }
        if self.time < 0x3000_0000 {
            return bad(format!("dump time {} is before 1995", self.time));
        }
        Ok(())
    }
}

/// Addresses of the synthetic process (x86 / x64).
struct Layout {
    ntdll: u64,
    slowdb: u64,
    peb: u64,
    teb0: u64,
    stacks: u64,
    params: u64,
    heap: u64,
}

const X86: Layout = Layout {
    ntdll: 0x7c80_0000,
    slowdb: 0x1000_0000,
    peb: 0x7ffd_f000,
    teb0: 0x7ffd_e000,
    stacks: 0x00b0_0000,
    params: 0x0002_0000,
    heap: 0x0008_0000,
};

const X64: Layout = Layout {
    ntdll: 0x7ffc_3e8d_0000,
    slowdb: 0x0000_0001_8000_0000,
    peb: 0x0000_00a1_5b3f_e000,
    teb0: 0x0000_00a1_5b3f_f000,
    stacks: 0x0000_00a1_5c00_0000,
    params: 0x0000_0204_6f9a_0000,
    heap: 0x0000_0204_6f9b_0000,
};

/// ntdll data: the loader lock, its static debug record, the list head.
const LOADER_LOCK_RVA: u64 = 0x89800;
const LOADER_DEBUG_RVA: u64 = 0x89840;
const LOCKS_LIST_RVA: u64 = 0x89880;
/// Stack reserve per thread (68 threads at most stay below w3wp.exe's 0x01000000 on x86).
const STACK: u64 = 0x1_0000;

struct Build<'a> {
    case: &'a HangCase,
    /// Thread ids: three idle threads, the owner, the waiters.
    ids: Vec<u32>,
    l: &'static Layout,
    images: Vec<Image>,
    mem: Memory,
    threads: Vec<DumpThread>,
    truth: HangTruth,
}

impl<'a> Build<'a> {
    fn new(case: &'a HangCase) -> Build<'a> {
        let x64 = case.encoding.x64();
        let l = if x64 { &X64 } else { &X86 };
        let images = if x64 { images_x64() } else { images_x86() };
        let lock = l.slowdb + LOCK_RVA;
        let ids: Vec<u32> = (0..case.waiters + 4)
            .map(|i| 0x0a10 + 0x28 * i + (case.pid % 7) * 4)
            .collect();
        let truth = HangTruth {
            scenario: "cs-blocked-on-socket",
            encoding: case.encoding,
            arch: if x64 { "x64" } else { "x86" },
            pid: case.pid,
            time: case.time,
            pool: case.pool.clone(),
            lock_address: lock,
            lock_bytes: Vec::new(),
            debug_info: (!x64).then_some(l.heap + 0x3f48),
            lock_count: case.encoding.lock_count(case.waiters),
            recursion_count: 1,
            owner_tid: ids[3],
            lock_semaphore: if case.encoding == CsEncoding::XpPreSp1 {
                0x3a4
            } else {
                0
            },
            waiter_tids: ids[4..].to_vec(),
            loader_lock: l.ntdll + LOADER_LOCK_RVA,
            process_locks_list: l.ntdll + LOCKS_LIST_RVA,
            culprit_module: SLOWDB,
            culprit_vendor: VENDOR,
            threads: Vec::new(),
        };
        Build {
            case,
            ids,
            l,
            images,
            mem: Memory::new(),
            threads: Vec::new(),
            truth,
        }
    }

    fn x64(&self) -> bool {
        self.case.encoding.x64()
    }

    fn exp(&self, module: &str, name: &str) -> u64 {
        let m = self.images.iter().find(|i| i.file == module);
        m.and_then(|m| {
            m.exports
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, r)| m.base + u64::from(*r))
        })
        .unwrap_or(0)
    }

    fn base(&self, module: &str) -> u64 {
        self.images
            .iter()
            .find(|i| i.file == module)
            .map(|i| i.base)
            .unwrap_or(0)
    }

    /// The section, the loader lock, their debug records and ntdll's list of them.
    fn lock_and_lists(&mut self) {
        let t = &self.truth;
        let (x64, lock, loader, head) = (
            self.x64(),
            t.lock_address,
            t.loader_lock,
            t.process_locks_list,
        );
        let loader_debug = self.l.ntdll + LOADER_DEBUG_RVA;
        let mut listed = vec![loader_debug];
        listed.extend(t.debug_info);
        let debug_info = t.debug_info.unwrap_or(u64::MAX);
        let cs = cs_bytes(
            x64,
            debug_info,
            t.lock_count,
            1,
            t.owner_tid,
            t.lock_semaphore,
        );
        self.mem.write(lock, &cs);
        self.truth.lock_bytes = cs;
        let free = cs_bytes(x64, loader_debug, -1, 0, 0, 0);
        self.mem.write(loader, &free);
        // ProcessLocksList: head <-> loader lock's record <-> the section's record <-> head.
        let link = if x64 { 0x10 } else { 0x08 };
        let n = listed.len();
        for (i, &d) in listed.iter().enumerate() {
            let next = if i + 1 < n {
                listed[i + 1] + link
            } else {
                head
            };
            let prev = if i == 0 { head } else { listed[i - 1] + link };
            let section = if d == loader_debug { loader } else { lock };
            self.mem.write(d, &debug_bytes(x64, section, next, prev));
        }
        let first = listed[0] + link;
        let last = listed[n - 1] + link;
        self.mem.write(head, &ptr_pair(x64, first, last));
    }

    /// Every thread: main, two idle pool threads, the owner, the waiters.
    fn threads(&mut self) {
        let ids = self.ids.clone();
        for (i, &tid) in ids.iter().enumerate() {
            let role = match i {
                0..=2 => Role::Idle,
                3 => Role::Owner,
                _ => Role::Waiter,
            };
            let frames = self.frames(role);
            let top = self.place_stack(i, tid, &frames);
            self.truth.threads.push(HangThread {
                index: i,
                tid,
                state: role.state(),
                frames: top,
            });
        }
    }

    /// The calls of a thread, outermost first: (module, function, offset, args).
    fn frames(&self, role: Role) -> Vec<Call> {
        let cs = self.truth.lock_address;
        let x64 = self.x64();
        let start = if x64 {
            vec![
                c("ntdll.dll", "RtlUserThreadStart", 0x21, &[]),
                c("kernel32.dll", "BaseThreadInitThunk", 0x14, &[]),
            ]
        } else {
            vec![c(
                "kernel32.dll",
                "BaseThreadStart",
                0x37,
                &[0x0100_4a60, 0],
            )]
        };
        let mut v = start;
        let request = [
            c("w3wp.exe", "", 0x1a3c, &[0x0113_8e08]),
            c("w3isapi.dll", "ProcessIsapiRequest", 0x2f, &[0x0113_8f20]),
            c("asp.dll", "HttpExtensionProc", 0x11a, &[0x0113_8f20]),
        ];
        match role {
            Role::Idle => {
                v.push(c("w3wp.exe", "", 0x1cf0, &[0x12c]));
                v.push(c(
                    "kernel32.dll",
                    "WaitForSingleObject",
                    0x12,
                    &[0x12c, 0xffff_ffff],
                ));
                v.push(syscall("NtWaitForSingleObject", &[0x12c, 0, 0]));
            }
            Role::Owner => {
                v.extend(request);
                v.push(c(
                    SLOWDB,
                    "DbExecute",
                    0x1c7,
                    &[0x0114_2a10, 0x0114_3000, 0x1000],
                ));
                v.push(c(
                    "ws2_32.dll",
                    "recv",
                    0x5e,
                    &[0x2f4, 0x0114_3000, 0x1000, 0],
                ));
                v.push(c("ws2_32.dll", "WSARecv", 0x9c, &[0x2f4, 0x00c2_f6d0, 1]));
                v.push(c("mswsock.dll", "WSPRecv", 0x71, &[0x2f4, 0x00c2_f6d0, 1]));
                v.push(c(
                    "mswsock.dll",
                    "SockWaitForSingleObject",
                    0x1d,
                    &[0x2f8, 0x2f4, 1],
                ));
                v.push(syscall("NtWaitForSingleObject", &[0x2f8, 0, 0]));
            }
            Role::Waiter => {
                v.extend(request);
                v.push(c(SLOWDB, "DbGetConnection", 0x3e, &[0x0114_2a10]));
                v.extend(self.cs_wait(cs));
            }
        }
        v
    }

    /// The calls of a thread waiting for the section, from `RtlEnterCriticalSection` down.
    fn cs_wait(&self, cs: u64) -> Vec<Call> {
        let a = cs as u32;
        match self.case.encoding {
            CsEncoding::Win10 => vec![
                c("ntdll.dll", "RtlEnterCriticalSection", 0x42, &[cs]),
                c(
                    "ntdll.dll",
                    "RtlpEnterCriticalSectionContended",
                    0xd4,
                    &[cs],
                ),
                c("ntdll.dll", "RtlpWaitOnCriticalSection", 0x1b2, &[cs]),
                c("ntdll.dll", "RtlpWaitOnAddress", 0xb1, &[cs + 8]),
                syscall("NtWaitForAlertByThreadId", &[cs + 8, 0]),
            ],
            _ => vec![
                c(
                    "ntdll.dll",
                    "RtlEnterCriticalSection",
                    0x56,
                    &[u64::from(a)],
                ),
                c(
                    "ntdll.dll",
                    "RtlpWaitForCriticalSection",
                    0x8f,
                    &[u64::from(a)],
                ),
                syscall("NtWaitForSingleObject", &[self.semaphore(), 0, 0]),
            ],
        }
    }

    /// The handle the XP section's waiters sleep on (the 2003 SP1 keyed event when there is none).
    fn semaphore(&self) -> u64 {
        match self.truth.lock_semaphore {
            0 => 0x18, // \KernelObjects\CritSecOutOfMemoryEvent-style keyed event handle
            h => h,
        }
    }

    /// Writes a thread's stack, TEB and context; returns its frames from the top down.
    fn place_stack(&mut self, i: usize, tid: u32, calls: &[Call]) -> Vec<String> {
        let base = self.l.stacks + STACK * (i as u64 + 1);
        let addr = |b: &Build, k: &Call| -> u64 {
            let f = if k.export.is_empty() {
                b.base(k.module) + 0x1000
            } else {
                b.fn_addr(k.module, k.export)
            };
            f + k.offset
        };
        let names: Vec<String> = calls
            .iter()
            .rev()
            .map(|k| format!("{}!{}", module_stem(k.module), fn_name(k)))
            .collect();
        let ips: Vec<u64> = calls.iter().map(|k| addr(self, k)).collect();
        let (ctx, esp, bytes) = if self.x64() {
            stack64(base, calls, &ips, self.truth.lock_address)
        } else {
            stack32(base as u32, calls, &ips)
        };
        self.mem.write(esp, &bytes);
        let teb = if self.x64() {
            self.l.teb0 + 0x2000 * i as u64
        } else {
            self.l.teb0 - 0x1000 * i as u64
        };
        self.mem.write(
            teb,
            &teb_bytes(self.x64(), base, esp, teb, self.case.pid, tid, self.l.peb),
        );
        let mut names = names;
        names.insert(0, "ntdll!KiFastSystemCallRet".into());
        if self.x64() {
            names.remove(0);
        }
        self.threads.push(DumpThread {
            id: tid,
            suspend: 1,
            priority_class: 0x20,
            priority: 0,
            teb,
            stack_start: esp,
            stack_len: base - esp,
            context: ctx,
            create_time: u64::from(self.case.time) - 3600 + 7 * i as u64,
            user_time: 100_000 * (3 + i as u64 % 5),
            kernel_time: 100_000 * (1 + i as u64 % 3),
            start_address: ips[0],
        });
        names
    }

    /// Where a function starts: its export, or (for internal functions) a fixed place after
    /// the export it follows in the image.
    fn fn_addr(&self, module: &str, name: &str) -> u64 {
        let e = self.exp(module, name);
        if e != 0 {
            return e;
        }
        let (after, delta) = match name {
            "RtlpWaitForCriticalSection" => ("RtlEnterCriticalSection", 0x60),
            "RtlpEnterCriticalSectionContended" => ("RtlEnterCriticalSection", 0x200),
            "RtlpWaitOnCriticalSection" => ("RtlEnterCriticalSection", 0x400),
            "RtlpWaitOnAddress" => ("NtWaitForAlertByThreadId", 0x2000),
            "WSPRecv" => ("WSPStartup", 0x2b00),
            "SockWaitForSingleObject" => ("WSPStartup", 0x3400),
            _ => return self.base(module) + 0x1000,
        };
        self.exp(module, after) + delta
    }

    /// PEB (LoaderLock, ProcessParameters) and the command line naming the pool.
    fn peb_and_params(&mut self) {
        let (x64, l) = (self.x64(), self.l);
        let image = "c:\\windows\\system32\\inetsrv\\w3wp.exe";
        let cmd = format!(
            "{image} -a \\\\.\\pipe\\iisipm5d1c2f3a -ap \"{}\"",
            self.case.pool
        );
        let mut peb = vec![0u8; 0x240];
        let w3wp = self.base("w3wp.exe");
        if x64 {
            put_u64(&mut peb, 0x10, w3wp);
            put_u64(&mut peb, 0x20, l.params);
            put_u64(&mut peb, 0x30, l.heap);
            put_u64(&mut peb, 0x110, self.truth.loader_lock);
        } else {
            put_u32(&mut peb, 0x08, w3wp as u32);
            put_u32(&mut peb, 0x10, l.params as u32);
            put_u32(&mut peb, 0x18, l.heap as u32);
            put_u32(&mut peb, 0xa0, self.truth.loader_lock as u32);
            put_u32(&mut peb, 0xa4, 5);
            put_u32(&mut peb, 0xa8, 2);
            put_u16(&mut peb, 0xac, 3790);
        }
        self.mem.write(l.peb, &peb);
        let (img_at, cmd_at, size) = if x64 {
            (0x60, 0x70, 0x400)
        } else {
            (0x38, 0x40, 0x2a0)
        };
        let mut pp = vec![0u8; size];
        let mut at = size;
        for (field, s) in [(img_at, image), (cmd_at, cmd.as_str())] {
            let b = utf16(s);
            put_u16(&mut pp, field, b.len() as u16);
            put_u16(&mut pp, field + 2, b.len() as u16 + 2);
            let ptr = l.params + at as u64;
            if x64 {
                put_u64(&mut pp, field + 8, ptr);
            } else {
                put_u32(&mut pp, field + 4, ptr as u32);
            }
            put(&mut pp, at, &utf16z(s));
            at = (at + b.len() + 2 + 7) & !7;
        }
        put_u32(&mut pp, 0, at as u32);
        self.mem.write(l.params, &pp);
    }

    /// Headers, export directories and version resources of every module (exact bytes, not
    /// whole pages, to keep the dump small).
    fn images_in_memory(&mut self) {
        for im in &self.images {
            let h = im.headers();
            self.mem.write(im.base, &h[..h.len().min(0x400)]);
            if im.export_rva != 0 {
                self.mem
                    .write(im.base + u64::from(im.export_rva), &im.export_directory());
            }
            if im.rsrc_rva != 0 {
                self.mem
                    .write(im.base + u64::from(im.rsrc_rva), &im.resource_directory());
            }
        }
    }

    /// The code of the system-call stubs the threads sit in, so that an unwinder can emulate
    /// their `ret`: x86 `KiFastSystemCall` / `KiFastSystemCallRet` and `NtXxx: mov eax,N /
    /// mov edx,7ffe0300 / call [edx] / ret 0Ch`; x64 `NtXxx: mov r10,rcx / mov eax,N /
    /// test byte ptr [7ffe0308],1 / jne / syscall / ret`.
    fn syscall_stubs(&mut self) {
        let stubs = [
            ("NtWaitForSingleObject", 0x10fu32),
            ("NtWaitForAlertByThreadId", 0x1c4),
        ];
        for (name, n) in stubs {
            let at = self.exp("ntdll.dll", name);
            if at == 0 {
                continue;
            }
            let mut code: Vec<u8> = Vec::new();
            if self.x64() {
                code.extend([0x4c, 0x8b, 0xd1, 0xb8]);
                code.extend(n.to_le_bytes());
                code.extend([0xf6, 0x04, 0x25, 0x08, 0x03, 0xfe, 0x7f, 0x01, 0x75, 0x03]);
                code.extend([0x0f, 0x05, 0xc3, 0xcd, 0x2e, 0xc3]);
            } else {
                code.push(0xb8);
                code.extend(n.to_le_bytes());
                code.extend([0xba, 0x00, 0x03, 0xfe, 0x7f, 0xff, 0x12, 0xc2, 0x0c, 0x00]);
            }
            self.mem.write(at, &code);
        }
        let ki = self.exp("ntdll.dll", "KiFastSystemCall");
        if ki != 0 {
            // mov edx,esp / sysenter / KiFastSystemCallRet: ret / lea esp,[esp] (padding)
            let code = [0x8b, 0xd4, 0x0f, 0x34, 0xc3, 0x8d, 0xa4, 0x24, 0, 0, 0, 0];
            self.mem.write(ki, &code);
        }
    }

    fn finish(self) -> Result<HangGenerated> {
        let x64 = self.x64();
        let model = DumpModel {
            time: self.case.time,
            flags: 0x1826,
            sys: sys_info(x64, self.case.encoding),
            pid: self.case.pid,
            process_create: self.case.time - 3700,
            user_seconds: 12,
            kernel_seconds: 3,
            modules: self.images,
            threads: self.threads,
            exception: None,
            regions: Vec::new(),
        };
        let dump = serialize(&model, MemorySource::List(&self.mem))?.bytes;
        Ok(HangGenerated {
            dump,
            truth: self.truth,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Idle,
    Owner,
    Waiter,
}

impl Role {
    fn state(self) -> &'static str {
        match self {
            Role::Idle => "waiting_object",
            Role::Owner => "io",
            Role::Waiter => "waiting_lock",
        }
    }
}

/// One function on a stack, outermost first: its module and name (empty: an unexported
/// function of an EXE), the offset within it of its call to the next function (the return
/// address; for the innermost, where it sits), and the arguments it was called with.
struct Call {
    module: &'static str,
    export: &'static str,
    offset: u64,
    args: Vec<u64>,
}

fn c(module: &'static str, export: &'static str, offset: u64, args: &[u64]) -> Call {
    Call {
        module,
        export,
        offset,
        args: args.to_vec(),
    }
}

/// A system-call stub: frameless, its `KiFastSystemCall` (x86) or `syscall` (x64) return at +0xc.
fn syscall(name: &'static str, args: &[u64]) -> Call {
    c("ntdll.dll", name, 0xc, args)
}

fn module_stem(m: &str) -> &str {
    m.rsplit_once('.').map(|(s, _)| s).unwrap_or(m)
}

fn fn_name(k: &Call) -> String {
    if k.export.is_empty() {
        format!("0x{:x}", 0x1000 + k.offset)
    } else {
        k.export.to_string()
    }
}

/// An x86 stack of EBP frames: each call pushes its stdcall arguments and the return address
/// into its caller, then the callee's `push ebp / mov ebp,esp`. The innermost call is a system
/// call stub: the thread sits at `ntdll!KiFastSystemCallRet`.
fn stack32(base: u32, calls: &[Call], ips: &[u64]) -> (Vec<u8>, u64, Vec<u8>) {
    let mut s = Sim::new(base, 0x4000);
    s.push(0);
    s.push(0);
    s.enter(0x20, &[]);
    for (i, k) in calls.iter().enumerate().skip(1) {
        let args: Vec<u32> = k.args.iter().map(|a| *a as u32).collect();
        let ret = ips[i - 1] as u32;
        s.call(&args, ret, true);
        if i + 1 < calls.len() {
            s.enter(0x20, &[]);
        }
    }
    let last = calls.last().map(|k| k.offset).unwrap_or(0);
    let stub = ips[ips.len() - 1] as u32 - last as u32;
    // The stub `call [edx]` into KiFastSystemCall, which returns to KiFastSystemCallRet.
    s.call(&[], stub + 0xc, false);
    let regs = Regs {
        edx: s.esp,
        ebp: s.ebp,
        esp: s.esp,
        eip: 0x7c80_0000 + 0x2ed54,
        efl: 0x246,
        ..Regs::default()
    };
    let esp = s.esp;
    (regs.context(), u64::from(esp), s.slice_from(esp).to_vec())
}

/// An x64 stack without frame pointers: each call reserves 0x28 bytes (home space and
/// alignment) plus 0x20 of locals, then the return address. `rbx` holds the section (the
/// non-volatile register `RtlpEnterCriticalSectionContended` keeps it in); the home slot of
/// each function's first argument holds it too.
fn stack64(base: u64, calls: &[Call], ips: &[u64], cs: u64) -> (Vec<u8>, u64, Vec<u8>) {
    let room = 0x4000u64;
    let lo = base - room;
    let mut data = vec![0u8; room as usize];
    let mut rsp = base - 0x30;
    let mut w = |rsp: u64, v: u64| {
        let off = (rsp - lo) as usize;
        data[off..off + 8].copy_from_slice(&v.to_le_bytes());
    };
    for (i, k) in calls.iter().enumerate().skip(1) {
        rsp -= 0x48;
        for (j, a) in k.args.iter().enumerate().take(4) {
            w(rsp + 8 + 8 * j as u64, *a);
        }
        w(rsp, ips[i - 1]);
    }
    let rip = ips[ips.len() - 1] - calls.last().map(|k| k.offset).unwrap_or(0) + 0x14;
    let r = R64 {
        rbx: cs,
        rcx: calls
            .last()
            .and_then(|k| k.args.first().copied())
            .unwrap_or(0),
        rsp,
        rip,
        ..R64::default()
    };
    let off = (rsp - lo) as usize;
    (context64(&r), rsp, data[off..].to_vec())
}

/// `RTL_CRITICAL_SECTION`: DebugInfo, LockCount, RecursionCount, OwningThread, LockSemaphore,
/// SpinCount (24 bytes x86, 40 bytes x64).
fn cs_bytes(
    x64: bool,
    debug: u64,
    lock_count: i32,
    recursion: i32,
    owner: u32,
    sem: u64,
) -> Vec<u8> {
    let mut v = Vec::new();
    if x64 {
        v.extend(debug.to_le_bytes());
        v.extend(lock_count.to_le_bytes());
        v.extend(recursion.to_le_bytes());
        v.extend(u64::from(owner).to_le_bytes());
        v.extend(sem.to_le_bytes());
        v.extend(0x2000_0fa0u64.to_le_bytes());
    } else {
        v.extend((debug as u32).to_le_bytes());
        v.extend(lock_count.to_le_bytes());
        v.extend(recursion.to_le_bytes());
        v.extend(owner.to_le_bytes());
        v.extend((sem as u32).to_le_bytes());
        v.extend(4000u32.to_le_bytes());
    }
    v
}

/// `RTL_CRITICAL_SECTION_DEBUG`: Type 0, CreatorBackTraceIndex, CriticalSection (pointing back
/// at its section), ProcessLocksList, EntryCount, ContentionCount, Flags.
fn debug_bytes(x64: bool, section: u64, next: u64, prev: u64) -> Vec<u8> {
    let mut v = vec![0u8; if x64 { 0x30 } else { 0x20 }];
    if x64 {
        put_u64(&mut v, 0x08, section);
        put_u64(&mut v, 0x10, next);
        put_u64(&mut v, 0x18, prev);
        put_u32(&mut v, 0x20, 1);
        put_u32(&mut v, 0x24, 37);
    } else {
        put_u32(&mut v, 0x04, section as u32);
        put_u32(&mut v, 0x08, next as u32);
        put_u32(&mut v, 0x0c, prev as u32);
        put_u32(&mut v, 0x10, 1);
        put_u32(&mut v, 0x14, 37);
    }
    v
}

fn ptr_pair(x64: bool, a: u64, b: u64) -> Vec<u8> {
    let mut v = Vec::new();
    if x64 {
        v.extend(a.to_le_bytes());
        v.extend(b.to_le_bytes());
    } else {
        v.extend((a as u32).to_le_bytes());
        v.extend((b as u32).to_le_bytes());
    }
    v
}

/// The first bytes of a TEB: stack base and limit, self, client id, PEB.
fn teb_bytes(x64: bool, base: u64, esp: u64, teb: u64, pid: u32, tid: u32, peb: u64) -> Vec<u8> {
    let limit = (esp & !0xfff) - 0x1000;
    let mut t = vec![0u8; if x64 { 0x68 } else { 0x38 }];
    if x64 {
        put_u64(&mut t, 0x00, u64::MAX);
        put_u64(&mut t, 0x08, base);
        put_u64(&mut t, 0x10, limit);
        put_u64(&mut t, 0x30, teb);
        put_u64(&mut t, 0x40, u64::from(pid));
        put_u64(&mut t, 0x48, u64::from(tid));
        put_u64(&mut t, 0x60, peb);
    } else {
        put_u32(&mut t, 0x00, 0xffff_ffff);
        put_u32(&mut t, 0x04, base as u32);
        put_u32(&mut t, 0x08, limit as u32);
        put_u32(&mut t, 0x18, teb as u32);
        put_u32(&mut t, 0x20, pid);
        put_u32(&mut t, 0x24, tid);
        put_u32(&mut t, 0x30, peb as u32);
    }
    t
}

/// The system: Windows 10 (x64), else Server 2003 — with Service Pack 1 (the inverted-bit
/// `LockCount`), or without a service pack for the encoding before SP1.
fn sys_info(x64: bool, encoding: CsEncoding) -> SysInfo {
    server_sys_info(x64, encoding != CsEncoding::XpPreSp1)
}

/// A server's system: Windows 10 1809 (x64), else Windows Server 2003 x86, with Service Pack 1
/// when `sp1` (the synthetic hang and heap dumps share it).
pub(crate) fn server_sys_info(x64: bool, sp1: bool) -> SysInfo {
    if x64 {
        return SysInfo {
            arch: 9,
            level: 6,
            revision: 0x5507,
            nproc: 4,
            product_type: 3,
            major: 10,
            minor: 0,
            build: 17763,
            csd: String::new(),
            suite: 0x0110,
            cpu: vec![0; 24],
        };
    }
    let mut cpu = b"GenuineIntel".to_vec();
    cpu.extend_from_slice(&0x0000_0f49u32.to_le_bytes());
    cpu.extend_from_slice(&0xbfeb_fbffu32.to_le_bytes());
    cpu.extend_from_slice(&0u32.to_le_bytes());
    SysInfo {
        arch: 0,
        level: 15,
        revision: 0x0409,
        nproc: 2,
        product_type: 3,
        major: 5,
        minor: 2,
        build: 3790,
        csd: if sp1 {
            "Service Pack 1".into()
        } else {
            String::new()
        },
        suite: 0x0110,
        cpu,
    }
}

/// The vendor DLL: its version resource names Northwind Data Ltd.
fn slowdb(base: u64, x64: bool) -> Image {
    let mut im = ms(
        SLOWDB,
        "C:\\Program Files\\Northwind\\SlowDB",
        0,
        0x30000,
        0x3f1b_22c4,
        0,
        [3, 2, 0, 114],
        third_party_sections(0x22000, 0x28000, 0x2c000, 0x2e000, 0x30000),
        ex(&[
            ("DbOpen", 0x1200),
            ("DbGetConnection", 0x1c40),
            ("DbExecute", 0x2310),
            ("DbClose", 0x3a80),
            ("DllMain", 0x4010),
        ]),
        0x22000,
        0x4010,
        "SlowDB data access library",
        "SlowDB",
    );
    im.base = base;
    im.pref_base = base;
    im.x64 = x64;
    im.strings = Some(VersionStrings {
        company: VENDOR.into(),
        description: "SlowDB data access library".into(),
        file_version: "3.2.0.114".into(),
        internal: "SlowDB".into(),
        copyright: format!("Copyright (C) 2002 {VENDOR}"),
        original: SLOWDB.into(),
        product: "SlowDB".into(),
        product_version: "3.2.0.114".into(),
    });
    im
}

/// Windows Server 2003 SP1 modules of the worker (those of the reference dump, less the
/// third-party ones) plus winsock and the vendor DLL.
fn images_x86() -> Vec<Image> {
    let mut v: Vec<Image> = crate::modules::modules(0x1000_0000, false)
        .into_iter()
        .filter(|i| {
            i.strings
                .as_ref()
                .is_some_and(|s| s.company == "Microsoft Corporation")
        })
        .collect();
    v.push(ms(
        "ws2_32.dll",
        SYS32,
        0x71c0_0000,
        0x17000,
        0x4243_7794,
        0x0002_24b1,
        crate::modules::SP1,
        std_sections(0x11000, 0x12000, 0x15000, 0x17000),
        ex(&[
            ("WSARecv", 0x04cb5),
            ("send", 0x0428c),
            ("recv", 0x0615a),
            ("select", 0x02e3b),
            ("WSAStartup", 0x0664d),
        ]),
        0x10000,
        0x1273,
        "Windows Socket 2.0 32-Bit DLL",
        OS,
    ));
    v.push(ms(
        "mswsock.dll",
        SYS32,
        0x71b2_0000,
        0x47000,
        0x4243_778e,
        0x0004_c71b,
        crate::modules::SP1,
        std_sections(0x3c000, 0x3e000, 0x44000, 0x47000),
        ex(&[
            ("AcceptEx", 0x0b3a2),
            ("GetAcceptExSockaddrs", 0x0b84c),
            ("WSPStartup", 0x0a5e1),
            ("WSARecvEx", 0x1e2c4),
        ]),
        0x38000,
        0x1a4c,
        "Microsoft Windows Sockets 2.0 Service Provider",
        OS,
    ));
    v.push(slowdb(X86.slowdb, false));
    v
}

/// Windows 10 (1809) x64 modules of the worker.
fn images_x64() -> Vec<Image> {
    let m = |file: &'static str, base: u64, size: u32, exports: &[(&str, u32)]| {
        let mut im = ms(
            file,
            "C:\\Windows\\System32",
            0,
            size,
            0x5b9c_0d11,
            0,
            [10, 0, 17763, 1],
            third_party_sections(size / 2, size * 6 / 10, size * 7 / 10, size * 8 / 10, size),
            ex(exports),
            size / 2,
            0x1010,
            file,
            OS,
        );
        im.base = base;
        im.pref_base = base;
        im.x64 = true;
        im
    };
    let mut w3wp = m("w3wp.exe", 0x7ff7_1a2b_0000, 0x9000, &[]);
    w3wp.path = "c:\\windows\\system32\\inetsrv\\w3wp.exe".into();
    vec![
        w3wp,
        m(
            "ntdll.dll",
            X64.ntdll,
            0x1f0000,
            &[
                ("RtlEnterCriticalSection", 0x1d8e0),
                ("RtlLeaveCriticalSection", 0x1d9c0),
                ("RtlUserThreadStart", 0x6a260),
                ("NtWaitForSingleObject", 0x9f7e0),
                ("NtWaitForAlertByThreadId", 0xa0f20),
            ],
        ),
        m(
            "kernel32.dll",
            0x7ffc_3d4a_0000,
            0xb2000,
            &[("BaseThreadInitThunk", 0x17bc0)],
        ),
        m(
            "w3isapi.dll",
            0x7ffc_2a11_0000,
            0x20000,
            &[("ProcessIsapiRequest", 0x4b3a)],
        ),
        m(
            "asp.dll",
            0x7ffc_2a5c_0000,
            0xa0000,
            &[("HttpExtensionProc", 0x0d0c4)],
        ),
        m(
            "ws2_32.dll",
            0x7ffc_3c91_0000,
            0x6e000,
            &[("WSARecv", 0x4cb0), ("recv", 0x7150)],
        ),
        m(
            "mswsock.dll",
            0x7ffc_3b9a_0000,
            0x67000,
            &[("WSPStartup", 0xa5e0)],
        ),
        slowdb(X64.slowdb, true),
    ]
}

fn hex(v: u64) -> String {
    format!("\"0x{v:x}\"")
}

fn js(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl HangTruth {
    /// The truth as JSON (schema in the crate README: `coroner-synth hang`).
    pub fn to_json(&self) -> String {
        let list = |v: Vec<String>| format!("[{}]", v.join(", "));
        let tids = |v: &[u32]| list(v.iter().map(|t| t.to_string()).collect());
        let threads: Vec<String> = self
            .threads
            .iter()
            .map(|t| {
                format!(
                    "\n    {{\"index\": {}, \"tid\": {}, \"state\": {}, \"frames\": {}}}",
                    t.index,
                    t.tid,
                    js(t.state),
                    list(t.frames.iter().map(|f| js(f)).collect())
                )
            })
            .collect();
        let bytes: String = self.lock_bytes.iter().map(|b| format!("{b:02x}")).collect();
        let fields = [
            ("scenario", js(self.scenario)),
            ("encoding", js(self.encoding.id())),
            ("arch", js(self.arch)),
            ("pid", self.pid.to_string()),
            ("time", self.time.to_string()),
            ("pool", js(&self.pool)),
            ("lock_address", hex(self.lock_address)),
            ("lock_bytes", js(&bytes)),
            (
                "debug_info",
                self.debug_info.map(hex).unwrap_or_else(|| "null".into()),
            ),
            ("lock_count", self.lock_count.to_string()),
            (
                "waiters_from_lock_count",
                self.encoding.waiters(self.lock_count).to_string(),
            ),
            ("recursion_count", self.recursion_count.to_string()),
            ("owner_tid", self.owner_tid.to_string()),
            ("lock_semaphore", hex(self.lock_semaphore)),
            ("waiter_tids", tids(&self.waiter_tids)),
            ("loader_lock", hex(self.loader_lock)),
            ("loader_lock_owner_tid", "null".into()),
            ("process_locks_list", hex(self.process_locks_list)),
            ("culprit_module", js(self.culprit_module)),
            ("culprit_vendor", js(self.culprit_vendor)),
            ("threads", format!("[{}\n  ]", threads.join(","))),
        ];
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("  {}: {v}", js(k)))
            .collect();
        format!("{{\n{}\n}}\n", body.join(",\n"))
    }
}
