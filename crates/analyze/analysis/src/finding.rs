//! What a finding is: its kind (which owns its stable JSON id and its place in the one ranking),
//! its severity, and the words and facts it carries.

use serde::Serialize;

/// Severity, as DebugDiag's report rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A cause of the crash.
    Error,
    /// Something that contributed or needs attention.
    Warning,
    /// Context.
    Info,
}

impl Severity {
    /// `error` / `warning` / `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// The kinds of finding. Each owns its stable id (the `findings[].id` of the JSON document,
/// `docs/json-schema.md`) and its tier in the one ranking (`ranking.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    DamagedDump,
    DestroyedHeap,
    HeapCorruption,
    StackOverflow,
    UnloadedModule,
    FailFast,
    CppException,
    ClrException,
    ExecuteNonExecutable,
    FreedMemory,
    NullPointer,
    NonCanonicalAddress,
    GuardPage,
    DivideByZero,
    IllegalInstruction,
    Breakpoint,
    Recursion,
    NestedException,
    WildPointer,
    Deadlock,
    OrphanedLock,
    LoaderLock,
    BlockedThreads,
    CpuSpin,
    WaitingOnIo,
    WaitingOnRemote,
    NoHangPattern,
    DumpRequested,
    NoException,
    UnknownException,
    AccessViolation,
    // --- memory (issue 15) ---
    OutOfMemory,
    MemoryGrowth,
    HandleLeak,
    // --- end memory ---
}

impl FindingKind {
    /// Every kind, in ranking order.
    pub const ALL: [FindingKind; 34] = [
        FindingKind::DamagedDump,
        FindingKind::DestroyedHeap,
        FindingKind::HeapCorruption,
        FindingKind::StackOverflow,
        FindingKind::UnloadedModule,
        FindingKind::FailFast,
        // --- memory (issue 15) ---
        FindingKind::OutOfMemory,
        // --- end memory ---
        FindingKind::CppException,
        FindingKind::ClrException,
        FindingKind::ExecuteNonExecutable,
        FindingKind::FreedMemory,
        FindingKind::NullPointer,
        FindingKind::NonCanonicalAddress,
        FindingKind::GuardPage,
        FindingKind::DivideByZero,
        FindingKind::IllegalInstruction,
        FindingKind::Breakpoint,
        FindingKind::Recursion,
        FindingKind::Deadlock,
        FindingKind::OrphanedLock,
        FindingKind::LoaderLock,
        FindingKind::BlockedThreads,
        FindingKind::CpuSpin,
        FindingKind::WaitingOnIo,
        FindingKind::WaitingOnRemote,
        // --- memory (issue 15) ---
        FindingKind::MemoryGrowth,
        FindingKind::HandleLeak,
        // --- end memory ---
        FindingKind::NoHangPattern,
        FindingKind::NestedException,
        FindingKind::WildPointer,
        FindingKind::DumpRequested,
        FindingKind::NoException,
        FindingKind::UnknownException,
        FindingKind::AccessViolation,
    ];

    /// The stable id (`destroyed_heap`, `null_pointer`, …).
    pub fn id(self) -> &'static str {
        use FindingKind::*;
        match self {
            DamagedDump => "damaged_dump",
            DestroyedHeap => "destroyed_heap",
            HeapCorruption => "heap_corruption",
            StackOverflow => "stack_overflow",
            UnloadedModule => "unloaded_module",
            FailFast => "fail_fast",
            CppException => "cpp_exception",
            ClrException => "clr_exception",
            ExecuteNonExecutable => "execute_non_executable",
            FreedMemory => "freed_memory",
            NullPointer => "null_pointer",
            NonCanonicalAddress => "non_canonical_address",
            GuardPage => "guard_page",
            DivideByZero => "divide_by_zero",
            IllegalInstruction => "illegal_instruction",
            Breakpoint => "breakpoint",
            Recursion => "recursion",
            NestedException => "nested_exception",
            WildPointer => "wild_pointer",
            Deadlock => "deadlock",
            OrphanedLock => "orphaned_lock",
            LoaderLock => "loader_lock",
            BlockedThreads => "blocked_threads",
            CpuSpin => "cpu_spin",
            WaitingOnIo => "waiting_on_io",
            WaitingOnRemote => "waiting_on_remote",
            NoHangPattern => "no_hang_pattern",
            DumpRequested => "dump_requested",
            NoException => "no_exception",
            UnknownException => "unknown_exception",
            AccessViolation => "access_violation",
            // --- memory (issue 15) ---
            OutOfMemory => "out_of_memory",
            MemoryGrowth => "memory_growth",
            HandleLeak => "handle_leak",
            // --- end memory ---
        }
    }
}

/// One finding: what was concluded and the facts it rests on. Its words (title, description,
/// recommendation, evidence lines) are written by the phrasing module from these facts and the
/// analysis the finding belongs to (exception record, instruction, regions, frames, blame).
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// What kind of finding it is (serialised as its stable id).
    #[serde(rename = "id")]
    pub kind: FindingKind,
    /// Severity.
    pub severity: Severity,
    /// The facts beyond the analysis itself.
    pub detail: Detail,
}

impl Finding {
    /// The kind's stable id.
    pub fn id(&self) -> &'static str {
        self.kind.id()
    }
}

/// Addresses and sizes in the JSON document are hex strings, states and protections their
/// names, as everywhere in it.
mod hex {
    pub fn u64<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::hex(*v))
    }
    pub fn state<S: serde::Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::regions::state_name(*v))
    }
    pub fn protect<S: serde::Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::regions::protect_name(*v))
    }
    pub fn opt<S: serde::Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&crate::hex(*v)),
            None => s.serialize_none(),
        }
    }
}

/// `0x…` (for the hang module's facts).
pub(crate) fn hex_u64<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    hex::u64(v, s)
}

/// `0x…` or null (for the hang module's facts).
pub(crate) fn hex_opt<S: serde::Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    hex::opt(v, s)
}

/// The facts a finding rests on beyond what its analysis holds (JSON `findings[].detail`,
/// tagged by `type`; frame numbers index `frames[]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Detail {
    /// Nothing beyond the analysis (the exception record, the fault target and its region).
    None,
    /// The address the finding is about: the fault target, or the instruction pointer.
    Address {
        #[serde(serialize_with = "hex::u64")]
        address: u64,
    },
    /// A heap routine faulted on a heap that had been destroyed.
    DestroyedHeap {
        /// Index of the heap routine's frame.
        heap_frame: usize,
        /// The heap handle it worked on, when found.
        #[serde(serialize_with = "hex::opt")]
        handle: Option<u64>,
        /// The region holding the handle.
        handle_region: Option<RegionSpan>,
        /// Whether the PEB's heap list holds the handle (`None`: list or handle unknown).
        handle_listed: Option<bool>,
        /// Whether the fault target lies in released memory.
        target_freed: bool,
    },
    /// Heap metadata found corrupted, by the heap routine at this frame (if one is on the stack).
    Heap { heap_frame: Option<usize> },
    /// Heap headers that no intact heap holds, found walking the process heaps (`!heap -s`).
    HeapHeaders { headers: Vec<String> },
    /// The frame that threw a C++ exception: the first non-system frame.
    Thrower { frame: Option<usize> },
    /// The stack ran out: by the exception code, or by a fault on the stack's guard page.
    StackOverflow { by_code: bool, cycle: Option<Cycle> },
    /// The stack repeats a cycle of frames.
    Recursion { cycle: Cycle },
    /// The instruction pointer lies where a module was before it was unloaded.
    UnloadedModule {
        #[serde(serialize_with = "hex::u64")]
        ip: u64,
        module: String,
        #[serde(serialize_with = "hex::u64")]
        base: u64,
        #[serde(serialize_with = "hex::u64")]
        size: u64,
        /// The first frame above with a module: the caller.
        caller: Option<usize>,
    },
    /// A hang finding's facts: the root-cause thread, the lock, the threads concerned.
    Hang(Box<crate::hang::verdict::HangDetail>),
    // --- memory (issue 15; the types are in `memory_findings.rs`) ---
    /// An allocation failed: how the dump shows it and why memory ran out.
    OutOfMemory {
        source: crate::memory_findings::OomSource,
        pressure: crate::memory_findings::Pressure,
    },
    /// Private or heap bytes past the growth threshold.
    MemoryGrowth {
        pressure: crate::memory_findings::Pressure,
        /// Handles open (HandleData).
        handles: Option<usize>,
        /// Peak pagefile-backed commit (VM counters).
        peak_pagefile_usage: Option<u64>,
        /// The threshold the bytes passed.
        threshold: u64,
    },
    /// Handle counts by type and name past a threshold.
    HandleLeak(crate::memory_findings::HandleLeak),
    // --- end memory ---
}

/// A cycle of frames (`module!function`) that the stack repeats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cycle {
    pub frames: Vec<String>,
    /// How many times in a row.
    pub repeats: usize,
}

/// A region of the memory map, as far as a finding needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RegionSpan {
    #[serde(serialize_with = "hex::u64")]
    pub base: u64,
    #[serde(serialize_with = "hex::u64")]
    pub end: u64,
    /// MEM_* state (JSON: its name).
    #[serde(serialize_with = "hex::state")]
    pub state: u32,
    /// PAGE_* protection (JSON: its name).
    #[serde(serialize_with = "hex::protect")]
    pub protect: u32,
}
