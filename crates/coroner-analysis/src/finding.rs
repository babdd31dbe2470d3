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
    DumpRequested,
    NoException,
    UnknownException,
    AccessViolation,
}

impl FindingKind {
    /// Every kind, in ranking order.
    pub const ALL: [FindingKind; 23] = [
        FindingKind::DamagedDump,
        FindingKind::DestroyedHeap,
        FindingKind::HeapCorruption,
        FindingKind::StackOverflow,
        FindingKind::UnloadedModule,
        FindingKind::FailFast,
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
            DumpRequested => "dump_requested",
            NoException => "no_exception",
            UnknownException => "unknown_exception",
            AccessViolation => "access_violation",
        }
    }
}

/// One finding: what was concluded, from which facts, and what to do.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// What kind of finding it is (serialised as its stable id).
    #[serde(rename = "id")]
    pub kind: FindingKind,
    /// Severity.
    pub severity: Severity,
    /// One-line title.
    pub title: String,
    /// Plain-language description citing the evidence.
    pub description: String,
    /// What to do.
    pub recommendation: String,
    /// The facts it rests on, one per line.
    pub evidence: Vec<String>,
}

impl Finding {
    /// The kind's stable id.
    pub fn id(&self) -> &'static str {
        self.kind.id()
    }
}
