//! The snapshot of a crashed process: what the dump says, nothing inferred beyond decoding.

use crate::{AddressSpace, Damage};
use serde::Serialize;
use std::path::PathBuf;

/// Processor architecture of the dumped process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// 32-bit x86.
    X86,
    /// x86-64.
    Amd64,
    /// 64-bit ARM.
    Arm64,
    /// 32-bit ARM.
    Arm,
    /// Anything else (PPC, MIPS, …): reported, not analysed in depth.
    Other,
}

impl Arch {
    /// Pointer size in bytes.
    pub fn ptr_size(self) -> u8 {
        match self {
            Arch::X86 | Arch::Arm => 4,
            _ => 8,
        }
    }
    /// The name minidump-stackwalk uses (`x86`, `amd64`, `arm64`, `arm`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::Amd64 => "amd64",
            Arch::Arm64 => "arm64",
            Arch::Arm => "arm",
            Arch::Other => "unknown",
        }
    }
}

/// Operating system family of the dumped process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    /// Windows (exception codes are NTSTATUS values).
    Windows,
    /// Linux (exception codes are signals).
    Linux,
    /// Android (signals).
    Android,
    /// macOS (Mach exceptions).
    MacOs,
    /// iOS (Mach exceptions).
    Ios,
    /// Unknown or other.
    Other,
}

impl OsFamily {
    /// Whether exceptions are POSIX signals / Mach exceptions rather than Windows exception codes.
    pub fn is_windows(self) -> bool {
        self == OsFamily::Windows
    }
}

/// Facts from the SystemInfo stream.
#[derive(Clone, Debug, Serialize)]
pub struct SystemInfo {
    /// OS family.
    pub os: OsFamily,
    /// Human name, e.g. "Windows NT".
    pub os_name: String,
    /// Version, e.g. "5.2.3790 Service Pack 1".
    pub os_version: String,
    /// Processor architecture.
    pub arch: Arch,
    /// Processor description (vendor, family, model), when known.
    pub cpu_info: Option<String>,
    /// Number of processors.
    pub cpu_count: u32,
}

/// Process-level facts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessInfo {
    /// Image file name, e.g. `w3wp.exe`.
    pub name: Option<String>,
    /// Full image path (main module path or PEB ImagePathName).
    pub image_path: Option<String>,
    /// Process id.
    pub pid: Option<u32>,
    /// Process creation time, seconds since the Unix epoch (UTC).
    pub create_time: Option<u64>,
    /// Time the dump was written, seconds since the Unix epoch (UTC).
    pub dump_time: Option<u64>,
    /// User-mode CPU seconds (MiscInfo).
    pub user_time: Option<u32>,
    /// Kernel-mode CPU seconds (MiscInfo).
    pub kernel_time: Option<u32>,
    /// Command line from the PEB (Windows) or LinuxCmdLine.
    pub command_line: Option<String>,
    /// Address of the PEB, when known.
    pub peb: Option<u64>,
    /// Process heaps listed in the PEB, when that memory is present (`None`: unknown).
    pub heaps: Option<Vec<u64>>,
    /// NtGlobalFlag from the PEB (e.g. page heap enabled), when present.
    pub nt_global_flag: Option<u32>,
    /// The process's memory counters (ProcessVmCountersStream), when the dump has them.
    pub vm_counters: Option<VmCounters>,
}

/// `MINIDUMP_PROCESS_VM_COUNTERS_1`/`_2` (ProcessVmCountersStream, 22): the process's memory
/// counters when the dump was written, in bytes. The job fields come only with revision 2.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VmCounters {
    /// Structure revision (1 or 2).
    pub revision: u16,
    /// Page faults.
    pub page_fault_count: u32,
    /// Peak working set.
    pub peak_working_set: u64,
    /// Working set.
    pub working_set: u64,
    /// Pagefile-backed commit (`PagefileUsage`).
    pub pagefile_usage: u64,
    /// Peak pagefile-backed commit (`PeakPagefileUsage`).
    pub peak_pagefile_usage: u64,
    /// Private bytes (`PrivateUsage`).
    pub private_usage: u64,
    /// The job's private commit limit (`JobPrivateCommitLimit`; revision 2, `None` when 0).
    pub job_private_commit_limit: Option<u64>,
    /// The job's peak private commit (`JobPeakPrivateCommitUsage`; revision 2).
    pub job_peak_private_commit: Option<u64>,
}

impl VmCounters {
    /// Decodes the stream (`None` when shorter than revision 1 or of an unknown revision).
    /// The structure is 4-byte packed: `Revision`, `Flags` (revision 2) or padding,
    /// `PageFaultCount`, then 64-bit counters.
    pub fn parse(b: &[u8]) -> Option<VmCounters> {
        let u16_at = |o: usize| Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?));
        let u32_at = |o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?));
        let u64_at = |o: usize| Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?));
        let revision = u16_at(0)?;
        if !(1..=2).contains(&revision) {
            return None;
        }
        // Revision 2 (`minidumpapiset.h`) inserts PeakVirtualSize (72) and VirtualSize (80)
        // before PrivateUsage (88), then PrivateWorkingSetSize 96, SharedCommitUsage 104,
        // JobSharedCommitUsage 112, JobPrivateCommitUsage 120, JobPeakPrivateCommitUsage 128,
        // JobPrivateCommitLimit 136, JobTotalCommitLimit 144.
        let v2 = revision >= 2;
        let job = |o: usize| v2.then(|| u64_at(o)).flatten().filter(|v| *v != 0);
        Some(VmCounters {
            revision,
            page_fault_count: u32_at(4)?,
            peak_working_set: u64_at(8)?,
            working_set: u64_at(16)?,
            pagefile_usage: u64_at(56)?,
            peak_pagefile_usage: u64_at(64)?,
            private_usage: u64_at(if v2 { 88 } else { 72 })?,
            job_private_commit_limit: job(136),
            job_peak_private_commit: job(128),
        })
    }
}

impl ProcessInfo {
    /// Seconds between process start and the dump.
    pub fn uptime(&self) -> Option<u64> {
        self.dump_time?.checked_sub(self.create_time?)
    }
}

/// The ARM64 general registers as a [`Context`] names them, in number order: x0–x28, then
/// `fp` (x29) and `lr` (x30).
pub const ARM64_GPR: [&str; 31] = [
    "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
    "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27",
    "x28", "fp", "lr",
];

/// An ARM64 code address without its pointer-authentication bits (user addresses fit in 48
/// bits; a signed return address carries the code above them).
pub fn strip_pac(addr: u64) -> u64 {
    addr & 0x0000_ffff_ffff_ffff
}

/// Whether two register names are the same. Register names are two or three letters and the
/// unwinders compare them for every frame: `==` on `str` calls `memcmp` for each name of the
/// same length (a fifth of a small ARM64 dump's analysis went there), so the bytes are
/// compared inline.
fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// A CPU register context. Registers are kept by name in the order the architecture's `r`
/// layout lists them; `pc`, `sp` and `fp` are the instruction, stack and frame pointer.
#[derive(Clone, Debug, Serialize)]
pub struct Context {
    /// Architecture the registers belong to.
    pub arch: Arch,
    /// Named registers, e.g. `("eax", 0x…)`.
    pub regs: Vec<(&'static str, u64)>,
    /// Flags register (eflags/cpsr), when present.
    pub flags: Option<u32>,
    /// Segment registers cs, ds, es, fs, gs, ss (x86/x64).
    pub segments: Option<[u16; 6]>,
}

impl Context {
    /// The value of register `name` (case-insensitive; `pc`, `sp`, `fp` and ARM aliases work),
    /// if present.
    pub fn get(&self, name: &str) -> Option<u64> {
        if let Some(v) = self.find(name) {
            return Some(v);
        }
        let lname = name.to_ascii_lowercase();
        let alias = match lname.as_str() {
            "pc" | "ip" => self.pc_name(),
            "sp" => self.sp_name(),
            "fp" => self.fp_name(),
            "x29" if self.arch == Arch::Arm64 => "fp",
            "x30" if self.arch == Arch::Arm64 => "lr",
            "r13" if self.arch == Arch::Arm => "sp",
            "r14" if self.arch == Arch::Arm => "lr",
            "r15" if self.arch == Arch::Arm => "pc",
            "r11" if self.arch == Arch::Arm => "fp",
            other => other,
        };
        if matches!(alias, "efl" | "eflags" | "rflags" | "cpsr") {
            return self.flags.map(u64::from);
        }
        self.find(alias)
    }

    fn find(&self, name: &str) -> Option<u64> {
        self.slot(name).map(|i| self.regs[i].1)
    }

    /// The values of registers `names` into `out` (as [`Context::get`], 0 for one that is
    /// absent). The unwinders read and write a whole register file per frame; a context that
    /// keeps those registers in the same order (every context built by this crate does) is
    /// read in one pass instead of one search per register.
    pub fn get_all(&self, names: &[&str], out: &mut [u64]) {
        for (i, (slot, name)) in out.iter_mut().zip(names).enumerate() {
            *slot = match self.regs.get(i) {
                Some((n, v)) if same_name(n, name) => *v,
                _ => self.get(name).unwrap_or(0),
            };
        }
    }

    /// Sets registers `names` to `values` (as [`Context::set`]), in one pass when the
    /// context keeps them in that order ([`Context::get_all`]).
    pub fn set_all(&mut self, names: &[&str], values: &[u64]) {
        for (i, (name, v)) in names.iter().zip(values).enumerate() {
            match self.regs.get_mut(i) {
                Some((n, slot)) if same_name(n, name) => *slot = *v,
                _ => self.set(name, *v),
            }
        }
    }

    /// Where register `name` is in `regs`.
    fn slot(&self, name: &str) -> Option<usize> {
        self.regs.iter().position(|(n, _)| same_name(n, name))
    }

    fn pc_name(&self) -> &'static str {
        match self.arch {
            Arch::X86 => "eip",
            Arch::Amd64 => "rip",
            _ => "pc",
        }
    }

    fn sp_name(&self) -> &'static str {
        match self.arch {
            Arch::X86 => "esp",
            Arch::Amd64 => "rsp",
            _ => "sp",
        }
    }

    fn fp_name(&self) -> &'static str {
        match self.arch {
            Arch::X86 => "ebp",
            Arch::Amd64 => "rbp",
            _ => "fp",
        }
    }

    /// Instruction pointer.
    pub fn pc(&self) -> u64 {
        self.find(self.pc_name()).unwrap_or(0)
    }

    /// Stack pointer.
    pub fn sp(&self) -> u64 {
        self.find(self.sp_name()).unwrap_or(0)
    }

    /// Frame pointer, if the architecture has one.
    pub fn fp(&self) -> Option<u64> {
        self.find(self.fp_name())
    }

    /// Sets register `name` (no-op for unknown names).
    pub fn set(&mut self, name: &str, value: u64) {
        let name = match name {
            "pc" => self.pc_name(),
            "sp" => self.sp_name(),
            "fp" => self.fp_name(),
            other => other,
        };
        if let Some(i) = self.slot(name) {
            self.regs[i].1 = value;
        }
    }
}

/// Per-thread CPU times and creation time (ThreadInfoList stream).
#[derive(Clone, Debug, Serialize)]
pub struct ThreadTimes {
    /// Creation time, seconds since the Unix epoch.
    pub create_time: Option<u64>,
    /// User time in 100 ns units.
    pub user_100ns: u64,
    /// Kernel time in 100 ns units.
    pub kernel_100ns: u64,
    /// The thread's start address (0: not recorded).
    pub start_address: u64,
    /// Processor affinity mask.
    pub affinity: u64,
}

/// A thread of the dumped process.
#[derive(Clone, Debug, Serialize)]
pub struct Thread {
    /// Position in the ThreadList (WinDbg's thread number `~N`).
    pub index: usize,
    /// OS thread id.
    pub id: u32,
    /// Thread name (ThreadNames stream), if any.
    pub name: Option<String>,
    /// TEB address (Windows).
    pub teb: Option<u64>,
    /// Captured stack: start address and length.
    pub stack_start: u64,
    /// Length of the captured stack memory.
    pub stack_len: u64,
    /// Stack limits from the TEB (base = highest address, limit = lowest), when present.
    pub stack_base: Option<u64>,
    /// Lowest committed stack address from the TEB.
    pub stack_limit: Option<u64>,
    /// Register context as captured in the ThreadList.
    pub context: Option<Context>,
    /// Times, from ThreadInfoList.
    pub times: Option<ThreadTimes>,
    /// Last error value from the TEB, when present.
    pub last_error: Option<u32>,
    /// MINIDUMP_THREAD's SuspendCount, priority class and priority (`None`: not a Windows
    /// thread list, e.g. a Linux core).
    pub scheduling: Option<Scheduling>,
}

/// What MINIDUMP_THREAD records of a thread's scheduling, as `~` and `!uniqstack` print it.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Scheduling {
    /// Suspend count when the dump was written (the dumper's own suspension included).
    pub suspend_count: u32,
    /// Priority class of the process (`NORMAL_PRIORITY_CLASS` = 32).
    pub priority_class: u32,
    /// Thread priority relative to the class.
    pub priority: i32,
}

impl Thread {
    /// Whether `addr` lies in this thread's stack (TEB limits, else the captured range).
    pub fn stack_contains(&self, addr: u64) -> bool {
        if let (Some(base), Some(limit)) = (self.stack_base, self.stack_limit) {
            if limit < base && addr >= limit && addr < base {
                return true;
            }
        }
        addr >= self.stack_start && addr < self.stack_start.saturating_add(self.stack_len)
    }
}

/// VS_FIXEDFILEINFO versions, as four 16-bit parts.
pub type Version4 = [u16; 4];

/// Formats `a.b.c.d`.
pub fn format_version(v: &Version4) -> String {
    format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3])
}

/// A loaded module.
#[derive(Clone, Debug, Serialize)]
pub struct Module {
    /// Load address.
    pub base: u64,
    /// Image size.
    pub size: u64,
    /// Full path as recorded in the dump.
    pub path: String,
    /// File name part of `path`.
    pub name: String,
    /// PE TimeDateStamp (link time), 0 when unknown.
    pub timestamp: u32,
    /// PE checksum.
    pub checksum: u32,
    /// File version from VS_FIXEDFILEINFO.
    pub file_version: Option<Version4>,
    /// Product version from VS_FIXEDFILEINFO.
    pub product_version: Option<Version4>,
    /// File flags / OS / type from VS_FIXEDFILEINFO.
    pub file_flags: Option<u32>,
    /// FileOS from VS_FIXEDFILEINFO.
    pub file_os: Option<u32>,
    /// FileType from VS_FIXEDFILEINFO.
    pub file_type: Option<u32>,
    /// Debug file (PDB name or Breakpad debug file).
    pub debug_file: Option<String>,
    /// Debug identifier (GUID+age, Breakpad style), when a CodeView record exists.
    pub debug_id: Option<String>,
    /// Code identifier (TIMESTAMP+SIZE or build id).
    pub code_id: Option<String>,
    /// Whether this is the process's main executable.
    pub is_main: bool,
}

impl Module {
    /// Whether `addr` lies inside the module image.
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base && addr - self.base < self.size
    }
    /// One past the image's last byte.
    pub fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }
    /// Name without extension, as WinDbg names modules (`ntdll`, `ABCUpload4`).
    pub fn short_name(&self) -> &str {
        match self.name.rfind('.') {
            Some(i) if i > 0 => &self.name[..i],
            _ => &self.name,
        }
    }
}

/// A module that had been unloaded before the dump.
#[derive(Clone, Debug, Serialize)]
pub struct UnloadedModule {
    /// Former load address.
    pub base: u64,
    /// Image size.
    pub size: u64,
    /// File name.
    pub name: String,
    /// PE TimeDateStamp.
    pub timestamp: u32,
    /// PE checksum.
    pub checksum: u32,
}

impl UnloadedModule {
    /// Whether `addr` lies in the former image range.
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base && addr - self.base < self.size
    }
}

/// MEM_COMMIT.
pub const MEM_COMMIT: u32 = 0x1000;
/// MEM_RESERVE.
pub const MEM_RESERVE: u32 = 0x2000;
/// MEM_FREE.
pub const MEM_FREE: u32 = 0x10000;
/// MEM_PRIVATE.
pub const MEM_PRIVATE: u32 = 0x20000;
/// MEM_MAPPED.
pub const MEM_MAPPED: u32 = 0x40000;
/// MEM_IMAGE.
pub const MEM_IMAGE: u32 = 0x1000000;

/// A region of the address space (MemoryInfoList, or Linux maps converted).
#[derive(Clone, Debug, Serialize)]
pub struct Region {
    /// Region base.
    pub base: u64,
    /// Region size.
    pub size: u64,
    /// Allocation base.
    pub allocation_base: u64,
    /// Protection at allocation.
    pub allocation_protect: u32,
    /// MEM_COMMIT / MEM_RESERVE / MEM_FREE.
    pub state: u32,
    /// PAGE_* protection (0 for free/reserved regions, as Windows reports).
    pub protect: u32,
    /// MEM_IMAGE / MEM_MAPPED / MEM_PRIVATE (0 for free regions).
    pub kind: u32,
    /// For Linux maps: the mapped path, if any.
    pub mapped_path: Option<String>,
}

impl Region {
    /// Whether `addr` lies in the region.
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base && addr - self.base < self.size
    }
    /// One past the region's last byte.
    pub fn end(&self) -> u64 {
        self.base.saturating_add(self.size)
    }
    /// Whether the region is committed and its protection allows reads.
    pub fn readable(&self) -> bool {
        self.state == MEM_COMMIT && protect_readable(self.protect)
    }
    /// Whether the region is committed and executable.
    pub fn executable(&self) -> bool {
        self.state == MEM_COMMIT && (self.protect & 0xf0) != 0
    }
}

/// Whether a PAGE_* value allows reading.
pub fn protect_readable(protect: u32) -> bool {
    protect & 0x100 == 0 && protect & 0xfe != 0
}

/// An open handle (HandleData stream).
#[derive(Clone, Debug, Serialize)]
pub struct Handle {
    /// Handle value.
    pub handle: u64,
    /// Object type (`Event`, `File`, `Key`, …).
    pub type_name: Option<String>,
    /// Object name, when it has one.
    pub object_name: Option<String>,
    /// Handle attributes.
    pub attributes: u32,
    /// Granted access mask.
    pub granted_access: u32,
    /// Handle count of the object.
    pub handle_count: u32,
    /// Pointer count of the object.
    pub pointer_count: u32,
}

/// The exception record that ended (or was being handled by) the process.
#[derive(Clone, Debug, Serialize)]
pub struct ExceptionRecord {
    /// Exception code (NTSTATUS on Windows; signal number on Linux/Android; Mach exception type on Apple).
    pub code: u32,
    /// ExceptionFlags (1 = non-continuable).
    pub flags: u32,
    /// Exception address (the faulting instruction for faults).
    pub address: u64,
    /// ExceptionInformation parameters.
    pub params: Vec<u64>,
    /// Thread that raised it.
    pub thread_id: u32,
    /// Nested exception record address (ExceptionRecord field), if any.
    pub nested_record: u64,
    /// The crash reason as minidump-stackwalk prints it, e.g.
    /// `EXCEPTION_ACCESS_VIOLATION_READ` or `SIGSEGV / SEGV_MAPERR`.
    pub reason: String,
    /// The crash address as minidump-stackwalk reports it (the data address for Windows
    /// access violations, `si_addr` for signals).
    pub crash_address: u64,
}

/// Everything the dump says about the process.
#[derive(Debug)]
pub struct Snapshot<'d> {
    /// Path the dump came from.
    pub path: PathBuf,
    /// Which kind of file it was (e.g. "minidump", "minidump (gzip)").
    pub container: String,
    /// Dump flags (MINIDUMP_TYPE) from the header.
    pub dump_flags: u64,
    /// System information.
    pub system: SystemInfo,
    /// Process facts.
    pub process: ProcessInfo,
    /// The exception, `None` for a dump taken without one.
    pub exception: Option<ExceptionRecord>,
    /// The context of the exception (from the exception stream).
    pub exception_context: Option<Context>,
    /// Threads, in ThreadList order.
    pub threads: Vec<Thread>,
    /// Loaded modules, in ModuleList order.
    pub modules: Vec<Module>,
    /// Unloaded modules.
    pub unloaded_modules: Vec<UnloadedModule>,
    /// Memory regions, sorted by base; empty when the dump has no MemoryInfoList or maps.
    pub regions: Vec<Region>,
    /// Whether `regions` came from a MemoryInfoList (Windows) rather than Linux maps.
    pub regions_source: Option<&'static str>,
    /// Captured memory.
    pub memory: AddressSpace<'d>,
    /// Handle count (HandleData stream), when present.
    pub handle_count: Option<usize>,
    /// The handles (HandleData stream), capped at a sane number.
    pub handles: Vec<Handle>,
    /// Comment streams (CommentStreamA/W).
    pub comments: Vec<String>,
    /// Things the loader noticed but could live with (bad streams, truncated lists).
    pub warnings: Vec<crate::Warning>,
    /// Names of the streams present, in directory order.
    pub streams: Vec<String>,
    /// What the file lost, when it is damaged (`None`: every stream the directory names was read).
    pub damage: Option<Damage>,
    /// Modules sorted by base (start, end, index): built on first use for address lookups.
    pub module_index: std::sync::OnceLock<Vec<(u64, u64, usize)>>,
}

impl<'d> Snapshot<'d> {
    /// The module containing `addr`.
    pub fn module_at(&self, addr: u64) -> Option<&Module> {
        self.module_index_at(addr).map(|i| &self.modules[i])
    }

    /// The index of the module containing `addr` (binary search over the modules by base; with
    /// overlapping modules, the one with the highest base below `addr` that contains it).
    pub fn module_index_at(&self, addr: u64) -> Option<usize> {
        let idx = self.module_index.get_or_init(|| {
            let mut v: Vec<(u64, u64, usize)> = self
                .modules
                .iter()
                .enumerate()
                .map(|(i, m)| (m.base, m.end(), i))
                .collect();
            v.sort_unstable();
            v
        });
        let p = idx.partition_point(|(b, _, _)| *b <= addr);
        idx[..p]
            .iter()
            .rev()
            .take(4)
            .find(|(b, e, _)| addr >= *b && addr < *e)
            .map(|(_, _, i)| *i)
    }

    /// The unloaded module whose former range contains `addr` (most recent entry first).
    pub fn unloaded_module_at(&self, addr: u64) -> Option<&UnloadedModule> {
        self.unloaded_modules
            .iter()
            .rev()
            .find(|m| m.contains(addr))
    }

    /// The region containing `addr`.
    pub fn region_at(&self, addr: u64) -> Option<&Region> {
        let idx = self.regions.partition_point(|r| r.base <= addr);
        let r = self.regions.get(idx.checked_sub(1)?)?;
        r.contains(addr).then_some(r)
    }

    /// Thread by id.
    pub fn thread_by_id(&self, id: u32) -> Option<&Thread> {
        self.threads.iter().find(|t| t.id == id)
    }

    /// The faulting thread (exception thread), if any.
    pub fn faulting_thread(&self) -> Option<&Thread> {
        self.thread_by_id(self.exception.as_ref()?.thread_id)
    }

    /// Pointer size of the process.
    pub fn ptr_size(&self) -> u8 {
        self.system.arch.ptr_size()
    }

    /// The main module.
    pub fn main_module(&self) -> Option<&Module> {
        self.modules
            .iter()
            .find(|m| m.is_main)
            .or(self.modules.first())
    }
}

/// Size of an x86 CONTEXT record.
pub const X86_CONTEXT_SIZE: usize = 0x2cc;
/// Size of an x64 CONTEXT record.
pub const AMD64_CONTEXT_SIZE: usize = 0x4d0;
/// CONTEXT_i386 flag in an x86 ContextFlags value.
pub const CONTEXT_X86_FLAG: u32 = 0x0001_0000;
/// CONTEXT_AMD64 flag in an x64 ContextFlags value.
pub const CONTEXT_AMD64_FLAG: u32 = 0x0010_0000;

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}
fn le64(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}
fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

impl Context {
    /// The x86 register order of WinDbg's `r`.
    pub const X86_ORDER: [&'static str; 9] = [
        "eax", "ebx", "ecx", "edx", "esi", "edi", "eip", "esp", "ebp",
    ];
    /// The x64 register order of WinDbg's `r`.
    pub const AMD64_ORDER: [&'static str; 17] = [
        "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rip", "rsp", "rbp", "r8", "r9", "r10", "r11",
        "r12", "r13", "r14", "r15",
    ];

    /// Builds an x86 context from register values in `X86_ORDER`, flags and segments.
    pub fn x86(values: [u32; 9], eflags: u32, segments: [u16; 6]) -> Context {
        Context {
            arch: Arch::X86,
            regs: Self::X86_ORDER
                .iter()
                .zip(values)
                .map(|(n, v)| (*n, u64::from(v)))
                .collect(),
            flags: Some(eflags),
            segments: Some(segments),
        }
    }

    /// Decodes a raw x86 `CONTEXT` (as found in dumps and on the stack during exception
    /// dispatch). `None` if `b` is shorter than the integer part (0xcc bytes).
    pub fn from_x86_bytes(b: &[u8]) -> Option<Context> {
        if b.len() < 0xcc {
            return None;
        }
        let r = |o| le32(b, o);
        Some(Context::x86(
            [
                r(0xb0),
                r(0xa4),
                r(0xac),
                r(0xa8),
                r(0xa0),
                r(0x9c),
                r(0xb8),
                r(0xc4),
                r(0xb4),
            ],
            r(0xc0),
            [
                r(0xbc) as u16,
                r(0x98) as u16,
                r(0x94) as u16,
                r(0x90) as u16,
                r(0x8c) as u16,
                r(0xc8) as u16,
            ],
        ))
    }

    /// Builds an x64 context from register values in `AMD64_ORDER`.
    pub fn amd64(values: [u64; 17], eflags: u32, segments: [u16; 6]) -> Context {
        Context {
            arch: Arch::Amd64,
            regs: Self::AMD64_ORDER.iter().copied().zip(values).collect(),
            flags: Some(eflags),
            segments: Some(segments),
        }
    }

    /// Decodes a raw x64 `CONTEXT` (0x4d0 bytes; only the integer part, 0x100 bytes, is needed).
    pub fn from_amd64_bytes(b: &[u8]) -> Option<Context> {
        if b.len() < 0x100 {
            return None;
        }
        let q = |o| le64(b, o);
        Some(Context::amd64(
            [
                q(0x78),
                q(0x90),
                q(0x80),
                q(0x88),
                q(0xa8),
                q(0xb0),
                q(0xf8),
                q(0x98),
                q(0xa0),
                q(0xb8),
                q(0xc0),
                q(0xc8),
                q(0xd0),
                q(0xd8),
                q(0xe0),
                q(0xe8),
                q(0xf0),
            ],
            le32(b, 0x44),
            [
                le16(b, 0x38),
                le16(b, 0x3a),
                le16(b, 0x3c),
                le16(b, 0x3e),
                le16(b, 0x40),
                le16(b, 0x42),
            ],
        ))
    }

    /// An ARM64 context: x0–x28, fp (x29), lr (x30), sp, pc and cpsr.
    pub fn arm64(x: &[u64; 31], sp: u64, pc: u64, cpsr: u32) -> Context {
        let mut regs: Vec<(&'static str, u64)> =
            ARM64_GPR.iter().copied().zip(x.iter().copied()).collect();
        regs.push(("sp", sp));
        regs.push(("pc", pc));
        Context::generic(Arch::Arm64, regs, Some(cpsr))
    }

    /// A Windows ARM64 `CONTEXT` record (0x390 bytes: flags, cpsr, x0–x28, fp, lr, sp, pc, …)
    /// as saved by exception dispatch.
    pub fn from_arm64_bytes(b: &[u8]) -> Option<Context> {
        if b.len() < 0x110 {
            return None;
        }
        let x: [u64; 31] = std::array::from_fn(|i| le64(b, 8 + 8 * i));
        Some(Context::arm64(
            &x,
            le64(b, 0x100),
            le64(b, 0x108),
            le32(b, 4),
        ))
    }

    /// A context with just named registers (ARM, ARM64, others).
    pub fn generic(arch: Arch, regs: Vec<(&'static str, u64)>, flags: Option<u32>) -> Context {
        Context {
            arch,
            regs,
            flags,
            segments: None,
        }
    }
}

#[cfg(test)]
mod vm_counter_tests {
    use super::VmCounters;

    /// A stream of `len` bytes with `revision` and a distinct value at each 64-bit field.
    fn stream(revision: u16, len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len];
        b[0..2].copy_from_slice(&revision.to_le_bytes());
        b[4..8].copy_from_slice(&77u32.to_le_bytes());
        for (i, o) in (8..len.saturating_sub(7)).step_by(8).enumerate() {
            b[o..o + 8].copy_from_slice(&(1000 + i as u64).to_le_bytes());
        }
        b
    }

    #[test]
    fn revision_1_and_2_put_private_usage_apart() {
        let v1 = VmCounters::parse(&stream(1, 80)).unwrap();
        assert_eq!(v1.page_fault_count, 77);
        assert_eq!(v1.peak_working_set, 1000);
        assert_eq!(v1.pagefile_usage, 1006);
        assert_eq!(v1.peak_pagefile_usage, 1007);
        assert_eq!(v1.private_usage, 1008);
        assert_eq!(v1.job_private_commit_limit, None);
        // Revision 2: PeakVirtualSize and VirtualSize come before PrivateUsage (offset 88).
        let v2 = VmCounters::parse(&stream(2, 152)).unwrap();
        assert_eq!(v2.private_usage, 1010);
        assert_eq!(v2.job_peak_private_commit, Some(1015));
        assert_eq!(v2.job_private_commit_limit, Some(1016));
    }

    #[test]
    fn short_or_unknown_streams_are_none() {
        assert!(VmCounters::parse(&stream(1, 79)).is_none());
        assert!(VmCounters::parse(&stream(3, 152)).is_none());
        assert!(VmCounters::parse(&[]).is_none());
    }
}

#[cfg(test)]
mod context_tests {
    use super::{Arch, Context, ARM64_GPR};

    fn arm64() -> Context {
        let x: [u64; 31] = std::array::from_fn(|i| 100 + i as u64);
        Context::arm64(&x, 0x5000, 0x7000, 0)
    }

    #[test]
    fn all_registers_read_and_written_in_order_or_not() {
        let c = arm64();
        let mut out = [0u64; 31];
        c.get_all(&ARM64_GPR, &mut out);
        assert_eq!(out[0], 100);
        assert_eq!(out[30], 130, "lr");
        // The same registers held in another order (and one missing) are found by name.
        let mut regs = c.regs.clone();
        regs.reverse();
        regs.retain(|(n, _)| *n != "x3");
        let mut r = Context::generic(Arch::Arm64, regs, None);
        let mut out2 = [0u64; 31];
        r.get_all(&ARM64_GPR, &mut out2);
        assert_eq!(out2[0], 100);
        assert_eq!(out2[3], 0, "absent");
        assert_eq!(out2[29], 129, "fp");
        let values: [u64; 31] = std::array::from_fn(|i| 900 + i as u64);
        r.set_all(&ARM64_GPR, &values);
        assert_eq!(r.get("x0"), Some(900));
        assert_eq!(r.get("x29"), Some(929), "fp by its alias");
        assert_eq!(r.get("x3"), None, "set does not add a register");
        assert_eq!((r.pc(), r.sp()), (0x7000, 0x5000));
    }
}
