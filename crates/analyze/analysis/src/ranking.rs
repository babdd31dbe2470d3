//! The one ranking of findings, and the bucket built from it.
//!
//! Findings are ordered by severity, then by [`RANKING`]: the first finding is the verdict. The
//! same order gives two classes:
//! - the **classification** (`Analysis::classification`): the class of the verdict, as precise
//!   as this dump allows (`DESTROYED_HEAP` needs the memory map of a full dump);
//! - the **bucket** (`Analysis::bucket`): `CLASS_code_place`, the grouping key. Its class is that
//!   of the first finding that rests only on facts *every* dump type of the crash carries (the
//!   exception record, the module list, the faulting thread's context and stack), and its place
//!   is the blamed frame named without export tables (which only some dump types hold). So a
//!   MiniDumpNormal and a full dump of one crash get one bucket; the richer dump's
//!   classification is shown beside it.

use crate::codes::win;
use crate::symbols::SymbolSource;
use crate::{Analysis, Finding, FindingKind, FrameFacts};

/// The tier of a kind in the one ranking: most telling first. Kinds in one tier are equally
/// specific (they never occur together, or keep the order the analysis found them in).
pub(crate) fn rank(kind: FindingKind) -> usize {
    use FindingKind::*;
    match kind {
        // A damaged file says so before anything read from what survived.
        DamagedDump => 0,
        DestroyedHeap => 1,
        HeapCorruption => 2,
        StackOverflow => 3,
        UnloadedModule => 4,
        FailFast => 5,
        // --- memory (issue 15): never with a fail-fast code; before the C++/CLR exception it
        // explains and the NULL dereference an unchecked allocation led to.
        OutOfMemory => 5,
        // A leak says more than "no known hang pattern" about a dump taken on demand.
        MemoryGrowth | HandleLeak => 20,
        // --- end memory ---
        CppException | ClrException => 6,
        ExecuteNonExecutable => 7,
        FreedMemory => 8,
        NullPointer => 9,
        NonCanonicalAddress => 10,
        GuardPage => 11,
        DivideByZero | IllegalInstruction | Breakpoint => 12,
        Recursion => 13,
        // Hang findings (a hang dump, or `--hang`): after every crash finding.
        Deadlock => 14,
        OrphanedLock => 15,
        LoaderLock => 16,
        BlockedThreads => 17,
        CpuSpin => 18,
        WaitingOnIo | WaitingOnRemote => 19,
        NoHangPattern => 21,
        NestedException | WildPointer | DumpRequested | NoException | UnknownException => 22,
        // The least specific: every access violation has this one.
        AccessViolation => 23,
    }
}

/// Orders findings: severity first, then the ranking; ties keep the order they were found in.
pub(crate) fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (f.severity, rank(f.kind)));
}

/// The bucket class a finding stands for, if it names a class of crash.
fn class_of(f: &Finding, a: &Analysis) -> Option<String> {
    let access = || {
        a.exception
            .as_ref()
            .and_then(|e| e.access)
            .map(|x| x.as_str().to_uppercase())
            .unwrap_or_else(|| "ACCESS".into())
    };
    let class = match f.kind {
        FindingKind::DamagedDump => "DAMAGED_DUMP".into(),
        FindingKind::DestroyedHeap => "DESTROYED_HEAP".into(),
        FindingKind::HeapCorruption => "HEAP_CORRUPTION".into(),
        FindingKind::StackOverflow => "STACK_OVERFLOW".into(),
        FindingKind::UnloadedModule => "UNLOADED_MODULE".into(),
        FindingKind::ExecuteNonExecutable => "EXECUTE_NON_EXECUTABLE".into(),
        FindingKind::FailFast => format!(
            "FAIL_FAST_{}",
            a.exception
                .as_ref()
                .and_then(|e| e.fast_fail.as_deref())
                .unwrap_or("UNKNOWN")
                .trim_start_matches("FAST_FAIL_")
        ),
        FindingKind::CppException => "CPP_EXCEPTION".into(),
        FindingKind::ClrException => "CLR_EXCEPTION".into(),
        FindingKind::NullPointer => format!("NULL_POINTER_{}", access()),
        FindingKind::FreedMemory => format!("FREED_MEMORY_{}", access()),
        FindingKind::NonCanonicalAddress => "NON_CANONICAL_ADDRESS".into(),
        FindingKind::AccessViolation => format!("INVALID_POINTER_{}", access()),
        FindingKind::DivideByZero => "DIVIDE_BY_ZERO".into(),
        FindingKind::IllegalInstruction => "ILLEGAL_INSTRUCTION".into(),
        FindingKind::Breakpoint => "BREAKPOINT".into(),
        FindingKind::GuardPage => "GUARD_PAGE".into(),
        FindingKind::DumpRequested => "DUMP_REQUESTED".into(),
        // --- memory (issue 15) ---
        FindingKind::OutOfMemory => "OUT_OF_MEMORY".into(),
        FindingKind::MemoryGrowth | FindingKind::HandleLeak => return None,
        // --- end memory ---
        // Hang findings have their own bucket (`hang::verdict`).
        FindingKind::Deadlock
        | FindingKind::OrphanedLock
        | FindingKind::LoaderLock
        | FindingKind::BlockedThreads
        | FindingKind::CpuSpin
        | FindingKind::WaitingOnIo
        | FindingKind::WaitingOnRemote
        | FindingKind::NoHangPattern
        | FindingKind::Recursion
        | FindingKind::NestedException
        | FindingKind::WildPointer
        | FindingKind::NoException
        | FindingKind::UnknownException => return None,
    };
    Some(class)
}

/// Whether a finding rests only on facts every dump type of a crash carries: the exception
/// record (code, parameters), the module list and the faulting thread's stack. Findings that
/// need the memory map (freed or destroyed heaps, guard and non-executable pages), image memory
/// (function names of heap routines), or optional lists (unloaded modules) do not.
fn stable(f: &Finding, a: &Analysis) -> bool {
    let code = a.exception.as_ref().map(|e| e.code);
    match f.kind {
        FindingKind::FailFast
        | FindingKind::CppException
        | FindingKind::ClrException
        | FindingKind::NullPointer
        | FindingKind::NonCanonicalAddress
        | FindingKind::AccessViolation
        | FindingKind::DivideByZero
        | FindingKind::IllegalInstruction
        | FindingKind::Breakpoint
        | FindingKind::DumpRequested => true,
        // Also found from a heap routine's name or a guard page in the memory map.
        FindingKind::HeapCorruption => code == Some(win::HEAP_CORRUPTION),
        FindingKind::StackOverflow => code == Some(win::STACK_OVERFLOW),
        FindingKind::GuardPage => code == Some(win::GUARD_PAGE),
        // --- memory (issue 15): the code and the record's HRESULT are in every dump type; a
        // thrown type or the memory map are not.
        FindingKind::OutOfMemory => matches!(
            f.detail,
            crate::Detail::OutOfMemory {
                source: crate::memory_findings::OomSource::StatusNoMemory
                    | crate::memory_findings::OomSource::ClrOutOfMemory,
                ..
            }
        ),
        FindingKind::MemoryGrowth | FindingKind::HandleLeak => false,
        // --- end memory ---
        FindingKind::Deadlock
        | FindingKind::OrphanedLock
        | FindingKind::LoaderLock
        | FindingKind::BlockedThreads
        | FindingKind::CpuSpin
        | FindingKind::WaitingOnIo
        | FindingKind::WaitingOnRemote
        | FindingKind::NoHangPattern
        | FindingKind::DamagedDump
        | FindingKind::DestroyedHeap
        | FindingKind::UnloadedModule
        | FindingKind::ExecuteNonExecutable
        | FindingKind::FreedMemory
        | FindingKind::Recursion
        | FindingKind::NestedException
        | FindingKind::WildPointer
        | FindingKind::NoException
        | FindingKind::UnknownException => false,
    }
}

/// The class of the verdict: the first finding (in ranking order) that names a class.
pub(crate) fn classification(a: &Analysis) -> Option<String> {
    a.exception.as_ref()?;
    a.findings.iter().find_map(|f| class_of(f, a))
}

/// The grouping key `CLASS_code_place`, independent of load addresses, PIDs, thread ids, heap
/// addresses, recursion or nesting depth, and of the dump type (see the module doc).
pub(crate) fn bucket(a: &Analysis) -> Option<String> {
    let e = a.exception.as_ref()?;
    let class = a
        .findings
        .iter()
        .filter(|f| stable(f, a))
        .find_map(|f| class_of(f, a))
        .unwrap_or_else(|| "APPLICATION_FAULT".into());
    let code = if e.is_signal && !e.name.contains(' ') {
        e.name.clone()
    } else {
        format!("{:08x}", e.code)
    };
    let place = match &a.blame {
        Some(b) if b.unloaded => format!("Unloaded_{}", b.module),
        Some(b) => match b.frame.and_then(|i| a.frames.get(i)) {
            Some(f) => frame_key(f),
            None => b.module.clone(),
        },
        None => a
            .frames
            .first()
            .map(frame_key)
            .unwrap_or_else(|| "Unknown".into()),
    };
    Some(format!("{class}_{code}_{place}"))
}

/// `module!function` when the name comes from a symbol file (PDB, Breakpad; the same for every
/// dump type), else `module+0xoffset`: export names need the image's export table, which a
/// MiniDumpNormal does not hold. Never an absolute address.
pub(crate) fn frame_key(f: &FrameFacts) -> String {
    let from_symbols = matches!(f.symbol.source, SymbolSource::Pdb | SymbolSource::Breakpad);
    match (&f.symbol.module, &f.symbol.function) {
        (Some(m), Some(func)) if from_symbols => format!("{m}!{func}"),
        (Some(m), _) => format!("{m}+0x{:x}", f.symbol.module_offset),
        _ => "Unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_ranked_before_the_generic_access_violation() {
        assert_eq!(rank(FindingKind::DamagedDump), 0);
        assert_eq!(rank(FindingKind::DestroyedHeap), 1);
        assert!(rank(FindingKind::FreedMemory) < rank(FindingKind::NullPointer));
        assert!(rank(FindingKind::FailFast) < rank(FindingKind::ExecuteNonExecutable));
        for k in FindingKind::ALL {
            if k != FindingKind::AccessViolation {
                assert!(rank(k) < rank(FindingKind::AccessViolation), "{k:?}");
            }
        }
        // ALL lists the kinds in ranking order.
        assert!(FindingKind::ALL
            .windows(2)
            .all(|w| rank(w[0]) <= rank(w[1])));
    }

    #[test]
    fn ids_are_unique_and_snake_case() {
        let ids: std::collections::HashSet<_> = FindingKind::ALL.iter().map(|k| k.id()).collect();
        assert_eq!(ids.len(), FindingKind::ALL.len());
        for k in FindingKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.id()));
        }
    }
}
