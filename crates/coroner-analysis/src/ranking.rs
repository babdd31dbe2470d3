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
use crate::{Analysis, Finding, FrameFacts};

/// Most telling first. Ids in one tier are equally specific (they never occur together, or keep
/// the order the analysis found them in). Ids not listed rank after every tier but the last.
const RANKING: &[&[&str]] = &[
    // A damaged file says so before anything read from what survived.
    &["damaged_dump"],
    &["destroyed_heap"],
    &["heap_corruption"],
    &["stack_overflow"],
    &["unloaded_module"],
    &["fail_fast"],
    &["cpp_exception", "clr_exception"],
    &["execute_non_executable"],
    &["freed_memory"],
    &["null_pointer"],
    &["non_canonical_address"],
    &["guard_page"],
    &["divide_by_zero", "illegal_instruction", "breakpoint"],
    &["recursion"],
    &[
        "nested_exception",
        "wild_pointer",
        "dump_requested",
        "no_exception",
        "unknown_exception",
    ],
    // The least specific: every access violation has this one.
    &["access_violation"],
];

/// The rank of a finding id in [`RANKING`] (lower is more telling).
pub(crate) fn rank(id: &str) -> usize {
    let last = RANKING.len() - 1;
    RANKING
        .iter()
        .position(|tier| tier.contains(&id))
        .unwrap_or(last.saturating_sub(1))
}

/// Orders findings: severity first, then the ranking; ties keep the order they were found in.
pub(crate) fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (f.severity, rank(f.id)));
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
    let class = match f.id {
        "damaged_dump" => "DAMAGED_DUMP".into(),
        "destroyed_heap" => "DESTROYED_HEAP".into(),
        "heap_corruption" => "HEAP_CORRUPTION".into(),
        "stack_overflow" => "STACK_OVERFLOW".into(),
        "unloaded_module" => "UNLOADED_MODULE".into(),
        "execute_non_executable" => "EXECUTE_NON_EXECUTABLE".into(),
        "fail_fast" => format!(
            "FAIL_FAST_{}",
            a.exception
                .as_ref()
                .and_then(|e| e.fast_fail.as_deref())
                .unwrap_or("UNKNOWN")
                .trim_start_matches("FAST_FAIL_")
        ),
        "cpp_exception" => "CPP_EXCEPTION".into(),
        "clr_exception" => "CLR_EXCEPTION".into(),
        "null_pointer" => format!("NULL_POINTER_{}", access()),
        "freed_memory" => format!("FREED_MEMORY_{}", access()),
        "non_canonical_address" => "NON_CANONICAL_ADDRESS".into(),
        "access_violation" => format!("INVALID_POINTER_{}", access()),
        "divide_by_zero" => "DIVIDE_BY_ZERO".into(),
        "illegal_instruction" => "ILLEGAL_INSTRUCTION".into(),
        "breakpoint" => "BREAKPOINT".into(),
        "guard_page" => "GUARD_PAGE".into(),
        "dump_requested" => "DUMP_REQUESTED".into(),
        _ => return None,
    };
    Some(class)
}

/// Whether a finding rests only on facts every dump type of a crash carries: the exception
/// record (code, parameters), the module list and the faulting thread's stack. Findings that
/// need the memory map (freed or destroyed heaps, guard and non-executable pages), image memory
/// (function names of heap routines), or optional lists (unloaded modules) do not.
fn stable(f: &Finding, a: &Analysis) -> bool {
    let code = a.exception.as_ref().map(|e| e.code);
    match f.id {
        "fail_fast"
        | "cpp_exception"
        | "clr_exception"
        | "null_pointer"
        | "non_canonical_address"
        | "access_violation"
        | "divide_by_zero"
        | "illegal_instruction"
        | "breakpoint"
        | "dump_requested" => true,
        // Also found from a heap routine's name or a guard page in the memory map.
        "heap_corruption" => code == Some(win::HEAP_CORRUPTION),
        "stack_overflow" => code == Some(win::STACK_OVERFLOW),
        "guard_page" => code == Some(win::GUARD_PAGE),
        _ => false,
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
fn frame_key(f: &FrameFacts) -> String {
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
    fn every_tier_is_ranked_before_the_generic_access_violation() {
        assert_eq!(rank("damaged_dump"), 0);
        assert_eq!(rank("destroyed_heap"), 1);
        assert!(rank("freed_memory") < rank("null_pointer"));
        assert!(rank("fail_fast") < rank("execute_non_executable"));
        assert!(rank("some_future_id") < rank("access_violation"));
        assert_eq!(rank("some_future_id"), rank("no_exception"));
    }
}
