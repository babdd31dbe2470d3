//! # coroner-analysis
//!
//! The *analyses* and *findings* stages of coroner's pipeline (evidence → model → **analyses →
//! findings** → renderers). [`analyze`] reads a [`Snapshot`] and produces an [`Analysis`]: the
//! WinDbg facts (exception record, registers, faulting instruction, `!address`, `kb`, threads,
//! `lm`/`lmvm`, process), a diagnosis (findings with evidence and recommendations), the module to
//! blame, and a bucket that is stable across dumps of the same bug. [`group`] groups analyses of
//! several dumps by bucket. Renderers only present an `Analysis`; they decide nothing.

pub mod alloc_call;
pub mod blame;
pub mod codes;
mod diagnose;
pub mod disasm;
mod finding;
mod findings;
pub mod hang;
pub mod heap;
pub mod images;
pub mod memory;
pub mod memory_findings;
mod ranking;
pub mod regions;
pub mod symbols;
mod unwind_arm64;
mod unwind_x64;
pub mod vendor;
mod warning;

use coroner_model::*;
use serde::Serialize;
use std::path::PathBuf;

pub use diagnose::{frame_facts, hang_facts};
pub use finding::{Cycle, Detail, Finding, FindingKind, RegionSpan, Severity};
pub use regions::AddressFacts;
pub use symbols::{Symbol, SymbolSource, Symbolizer};
pub use warning::Warning;

/// Formats an address as WinDbg does: `03900010` (32-bit) or `00007ffa`06cde553` (64-bit).
pub fn fmt_addr(addr: u64, ptr_size: u8) -> String {
    if ptr_size == 4 {
        format!("{:08x}", addr as u32)
    } else {
        format!("{:08x}`{:08x}", addr >> 32, addr as u32)
    }
}

/// `0x…` lowercase hex, the JSON convention.
pub fn hex(v: u64) -> String {
    format!("0x{v:x}")
}

/// Process facts, with the IIS application pool when the process is a worker process.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProcessFacts {
    /// Image name.
    pub name: Option<String>,
    /// Process id.
    pub pid: Option<u32>,
    /// Command line (PEB or LinuxCmdLine).
    pub command_line: Option<String>,
    /// IIS application pool from `w3wp.exe -ap "…"`.
    pub app_pool: Option<String>,
    /// Image path.
    pub image_path: Option<String>,
    /// Creation time (Unix seconds).
    pub create_time: Option<u64>,
    /// Dump time (Unix seconds).
    pub dump_time: Option<u64>,
    /// Uptime in seconds.
    pub uptime: Option<u64>,
    /// User CPU seconds.
    pub user_time: Option<u32>,
    /// Kernel CPU seconds.
    pub kernel_time: Option<u32>,
    /// PEB address.
    pub peb: Option<u64>,
    /// Process heaps from the PEB (None: not in the dump).
    pub heaps: Option<Vec<u64>>,
    /// NtGlobalFlag.
    pub nt_global_flag: Option<u32>,
}

/// Access type of a memory fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Read.
    Read,
    /// Write.
    Write,
    /// Execute (DEP).
    Execute,
}

impl Access {
    /// `read` / `write` / `execute`.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Execute => "execute",
        }
    }
}

/// The exception, decoded.
#[derive(Clone, Debug, Serialize)]
pub struct ExceptionFacts {
    /// Code.
    pub code: u32,
    /// Name as minidump-stackwalk prints it (without `_READ`/`_WRITE`).
    pub name: String,
    /// minidump-stackwalk's full crash reason (`EXCEPTION_ACCESS_VIOLATION_READ`).
    pub reason: String,
    /// WinDbg's short text ("Access violation").
    pub text: String,
    /// Flags.
    pub flags: u32,
    /// Exception address.
    pub address: u64,
    /// Parameters.
    pub params: Vec<u64>,
    /// Thread id.
    pub thread_id: u32,
    /// WinDbg thread number of that thread.
    pub thread_index: Option<usize>,
    /// Access type (memory faults).
    pub access: Option<Access>,
    /// Data address of the access violation / memory fault.
    pub target: Option<u64>,
    /// The FAST_FAIL_* code name for fail-fast exceptions.
    pub fast_fail: Option<String>,
    /// The thrown C++ type, when the memory holds it.
    pub cpp_type: Option<String>,
    /// Whether this is a POSIX signal / Mach exception rather than a Windows exception code.
    pub is_signal: bool,
}

/// One frame, symbolized.
#[derive(Clone, Debug, Serialize)]
pub struct FrameFacts {
    /// Frame number.
    pub index: usize,
    /// Instruction address.
    pub address: u64,
    /// Stack pointer.
    pub sp: u64,
    /// Frame pointer (x86 ChildEBP).
    pub fp: u64,
    /// Return address (next frame's address).
    pub return_address: Option<u64>,
    /// First arguments (`kb`).
    pub args: coroner_unwind::Args,
    /// The symbol.
    pub symbol: Symbol,
    /// `module!function+0xoff`.
    pub display: String,
    /// How the frame was found.
    pub trust: coroner_unwind::Trust,
    /// Whether this frame's module is part of the OS or a runtime.
    pub system: bool,
    /// This frame is the exception dispatcher (a nested-exception transition follows).
    pub dispatcher: bool,
}

/// One line of the thread summary.
#[derive(Clone, Debug, Serialize)]
pub struct ThreadSummary {
    /// `~N`.
    pub index: usize,
    /// Thread id.
    pub id: u32,
    /// Name, if any.
    pub name: Option<String>,
    /// The thread raised the exception.
    pub faulting: bool,
    /// Top frame, symbolized.
    pub top_frame: String,
    /// User time (100 ns).
    pub user_100ns: Option<u64>,
    /// Kernel time (100 ns).
    pub kernel_100ns: Option<u64>,
    /// Creation time (Unix seconds).
    pub create_time: Option<u64>,
}

/// A module with the facts `lm`/`lmvm` show.
#[derive(Clone, Debug, Serialize)]
pub struct ModuleFacts {
    /// The module as loaded.
    pub module: Module,
    /// System/runtime judgement.
    pub judgement: blame::Judgement,
    /// Version resource strings from the image in dump memory (`None`: image or resource absent).
    pub version_strings: Option<Vec<(String, String)>>,
    /// Translations from the version resource.
    pub translations: Vec<(u16, u16)>,
    /// `export symbols` when the export table is in the dump, else `no symbols`.
    pub symbol_status: String,
    /// The module appears in the faulting stack.
    pub in_fault_stack: bool,
    /// The vendor its version strings name, judged for plausibility ([`vendor::choose`]).
    pub vendor: vendor::Vendor,
}

impl ModuleFacts {
    /// A version-resource string.
    pub fn string(&self, key: &str) -> Option<&str> {
        self.version_strings
            .as_ref()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// The module to follow up with, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Blame {
    /// Module file name.
    pub module: String,
    /// File version.
    pub version: Option<String>,
    /// CompanyName, raw (may be mojibake: see `vendor`).
    pub company: Option<String>,
    /// ProductName, raw.
    pub product: Option<String>,
    /// LegalCopyright, raw.
    pub copyright: Option<String>,
    /// Who to call: the first plausible of CompanyName, the LegalCopyright holder and
    /// ProductName (`None`: unknown).
    pub vendor: Option<String>,
    /// The field `vendor` came from.
    pub vendor_source: Option<vendor::VendorSource>,
    /// Where the vendor came from (`from LegalCopyright; CompanyName unreadable`), or why it is
    /// unknown: worded by the phrasing module.
    pub vendor_provenance: vendor::Provenance,
    /// The fields passed over, with their raw values and why.
    pub vendor_passed_over: Vec<vendor::PassedOver>,
    /// PE TimeDateStamp.
    pub timestamp: Option<u32>,
    /// Why this module (worded by the phrasing module).
    pub reason: BlameReason,
    /// The frame that decided it.
    pub frame: Option<usize>,
    /// The frame's symbol.
    pub symbol: Option<String>,
    /// The module had been unloaded (the call went into freed code).
    pub unloaded: bool,
}

/// Why a module is blamed: the facts, worded by the phrasing module (the JSON carries the
/// English words).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlameReason {
    /// The instruction pointer lies where an unloaded module was.
    Unloaded {
        /// The instruction pointer.
        ip: u64,
        /// The unloaded module.
        module: String,
        /// The first frame below with a module: where the call came from.
        caller: Option<String>,
    },
    /// The faulting instruction is in the module (the top frame).
    TopFrame {
        /// The module.
        module: String,
        /// How the module was judged.
        why: blame::Why,
    },
    /// A frame below system frames is the first of a module not part of the OS or a runtime.
    Frame {
        /// Its frame number.
        index: usize,
        /// `module!function+0x…`.
        display: String,
        /// How the module was judged.
        why: blame::Why,
        /// The top frame (system code).
        top: String,
        /// The frame just above it (system code).
        above: String,
    },
    /// The first non-system frame of a hang's root-cause thread.
    HangRoot {
        /// The thread's number.
        thread: usize,
        /// The thread's id.
        tid: u32,
        /// Its frame number on that thread.
        index: usize,
        /// `module!function+0x…`.
        display: String,
        /// How the module was judged.
        why: blame::Why,
    },
}

/// Everything coroner concluded about one dump.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// Input path.
    pub path: PathBuf,
    /// Container kind.
    pub container: String,
    /// System.
    pub system: SystemInfo,
    /// Process.
    pub process: ProcessFacts,
    /// The exception (None: dump without a crash).
    pub exception: Option<ExceptionFacts>,
    /// Registers of the faulting context.
    pub registers: Option<Context>,
    /// The faulting instruction.
    pub instruction: Option<disasm::Decoded>,
    /// Symbol of the faulting instruction.
    pub instruction_symbol: Option<String>,
    /// `!address` of the fault target.
    pub target_region: Option<AddressFacts>,
    /// `!address` of the instruction pointer.
    pub ip_region: Option<AddressFacts>,
    /// The faulting (or first) thread's stack.
    pub frames: Vec<FrameFacts>,
    /// Why the stack ended early, if it did.
    pub stack_note: Option<String>,
    /// Nested exception levels seen in the stack.
    pub nesting_levels: usize,
    /// Every thread.
    pub threads: Vec<ThreadSummary>,
    /// Modules.
    pub modules: Vec<ModuleFacts>,
    /// Unloaded modules.
    pub unloaded_modules: Vec<UnloadedModule>,
    /// Module containing the faulting instruction.
    pub faulting_module: Option<String>,
    /// Module to follow up with.
    pub blame: Option<Blame>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Crash signature: the grouping key, built only from facts every dump type of the crash
    /// carries (see `ranking`).
    pub bucket: Option<String>,
    /// The class of the verdict, as precise as this dump allows (`DESTROYED_HEAP` where the
    /// memory map shows it); shown beside the bucket, not inside it.
    pub classification: Option<String>,
    /// Comments embedded in the dump.
    pub comments: Vec<String>,
    /// Streams in the dump.
    pub streams: Vec<String>,
    /// Loader and analysis warnings.
    pub warnings: Vec<Warning>,
    /// What the dump file lost (`None`: every stream its directory names was read).
    pub damage: Option<Damage>,
    /// `!address -summary` and the handle counts (each `None` without its stream).
    pub memory: memory::MemoryFacts,
    /// Every thread's state, the locks and the deadlocks (for every dump); why it is a hang
    /// dump and the root-cause thread (hang dumps).
    pub hang: hang::HangFacts,
}

impl Analysis {
    /// The module facts for a name.
    pub fn module(&self, name: &str) -> Option<&ModuleFacts> {
        self.modules
            .iter()
            .find(|m| m.module.name.eq_ignore_ascii_case(name))
    }
    /// Whether a finding id is present.
    pub fn has(&self, kind: FindingKind) -> bool {
        self.findings.iter().any(|f| f.kind == kind)
    }
    /// The classification when it says more than the bucket's class (`DESTROYED_HEAP` beside
    /// `INVALID_POINTER_READ_…`): what this dump alone shows.
    pub fn finer_classification(&self) -> Option<&str> {
        let c = self.classification.as_deref()?;
        let same = self
            .bucket
            .as_deref()
            .is_some_and(|b| b.strip_prefix(c).is_some_and(|r| r.starts_with('_')));
        (!same).then_some(c)
    }
    /// Pointer size.
    pub fn ptr_size(&self) -> u8 {
        self.system.arch.ptr_size()
    }
    /// Whether the analysis rests on the whole dump (no stream lost or cut short).
    pub fn complete(&self) -> bool {
        self.damage.is_none()
    }
    /// Whether the dump's exception stream was lost to damage (so "no exception" is unknown,
    /// not a dump taken on demand).
    pub fn exception_lost(&self) -> bool {
        self.damage
            .as_ref()
            .is_some_and(|d| d.lost("ExceptionStream"))
    }
    /// Whether the verdict, blame and bucket are the hang analysis's: a hang dump, or `--hang`
    /// on a dump without an exception (`--hang` on a crash adds the hang findings after the
    /// crash's, and keeps the crash's bucket).
    pub fn hang_verdict(&self) -> bool {
        self.hang
            .reason
            .is_some_and(|r| r != hang::HangReason::Requested || self.exception.is_none())
            && self.findings.iter().any(|f| hang::verdict::is_hang(f.kind))
    }
}

/// Options for one analysis.
#[derive(Clone, Default)]
pub struct Options {
    /// Stack-walk bounds.
    pub limits: coroner_unwind::Limits,
    /// Image files (`--images`) for modules whose images are not in dump memory; shared by all
    /// the dumps of a run so the folders are indexed once.
    pub images: Option<std::sync::Arc<images::ImageStore>>,
    /// Symbol files (`--symbols`, `_NT_SYMBOL_PATH`): PDB and Breakpad `.sym`, from folders,
    /// stores and symbol servers; shared by all the dumps of a run.
    pub symbols: Option<std::sync::Arc<coroner_symbols::Symbols>>,
    /// Analyse the dump as a hang dump whatever it holds (`--hang`): the hang findings even
    /// beside an exception.
    pub hang: bool,
}

/// Analyses one snapshot.
pub fn analyze(snap: &Snapshot<'_>, opts: &Options) -> Analysis {
    diagnose::analyze(snap, opts)
}

/// Dumps sharing one bucket.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    /// The bucket.
    pub bucket: String,
    /// Indices into the analysed inputs.
    pub members: Vec<usize>,
}

/// Groups analyses by bucket, largest group first (ties: first seen first).
pub fn group(analyses: &[&Analysis]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, a) in analyses.iter().enumerate() {
        let Some(b) = &a.bucket else { continue };
        match groups.iter_mut().find(|g| &g.bucket == b) {
            Some(g) => g.members.push(i),
            None => groups.push(Group {
                bucket: b.clone(),
                members: vec![i],
            }),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.members.len()));
    groups
}

/// The app pool in a w3wp.exe command line (`-ap "DefaultAppPool"`).
pub fn app_pool(command_line: &str) -> Option<String> {
    let idx = command_line.find("-ap ")?;
    let rest = command_line[idx + 4..].trim_start();
    if let Some(r) = rest.strip_prefix('"') {
        Some(r.split('"').next()?.to_string())
    } else {
        rest.split_whitespace().next().map(str::to_string)
    }
}
