//! The findings stage: from the analysed facts to typed findings. Each finding is a kind, a
//! severity and the facts it rests on ([`Detail`]); the words are written elsewhere, by the one
//! phrasing module (`coroner_report::phrase`).

use crate::codes::win;
use crate::symbols;
use crate::*;
use coroner_unwind::Trust;

const HEAP_FUNCTIONS: &[&str] = &[
    "RtlAllocateHeap",
    "RtlFreeHeap",
    "RtlReAllocateHeap",
    "RtlSizeHeap",
    "RtlpAllocateHeap",
    "RtlpFreeHeap",
    "RtlpFreeHeapInternal",
    "RtlpAllocateHeapInternal",
    "RtlpLowFragHeapAllocFromContext",
    "RtlpLowFragHeapFree",
    "RtlpHeapHandleError",
    "RtlpLogHeapFailure",
    "RtlReportCriticalFailure",
    "RtlValidateHeap",
    "RtlCreateHeap",
    "RtlDestroyHeap",
    "RtlLockHeap",
    "RtlUnlockHeap",
    "HeapAlloc",
    "HeapFree",
    "HeapReAlloc",
    "HeapSize",
    "HeapValidate",
    "HeapDestroy",
    "LocalAlloc",
    "LocalFree",
    "GlobalAlloc",
    "GlobalFree",
    "malloc",
    "free",
    "realloc",
    "calloc",
    "_malloc_base",
    "_free_base",
    "_realloc_base",
    "_calloc_base",
    "operator new",
    "unsafe_heap_from_handle",
    "validate_block_pointer",
    "heap_free",
    "heap_allocate",
];

fn is_heap_function(name: &str) -> bool {
    HEAP_FUNCTIONS.contains(&name)
}

pub(crate) fn dispatcher_name(name: &str) -> bool {
    matches!(
        name,
        "KiUserExceptionDispatcher"
            | "RtlDispatchException"
            | "ExecuteHandler"
            | "ExecuteHandler2"
            | "RtlpExecuteHandlerForException"
            | "__C_specific_handler"
            | "_except_handler3"
            | "_except_handler4"
            | "RtlRaiseException"
            | "RaiseException"
    )
}

fn finding(kind: FindingKind, severity: Severity, detail: Detail) -> Finding {
    Finding {
        kind,
        severity,
        detail,
    }
}

fn error(kind: FindingKind, detail: Detail) -> Finding {
    finding(kind, Severity::Error, detail)
}

/// What the faulting access tells: the target and the region it lies in.
struct Fault {
    target: Option<u64>,
    freed: bool,
    guard: bool,
}

fn fault_of(a: &Analysis) -> Fault {
    let region = a.target_region.as_ref();
    Fault {
        target: a.exception.as_ref().and_then(|e| e.target),
        freed: region.is_some_and(|r| matches!(r.state_value, Some(MEM_FREE) | Some(MEM_RESERVE))),
        guard: region.is_some_and(|r| r.protect_value.is_some_and(|p| p & 0x100 != 0)),
    }
}

/// Whether the exception is an access violation (or the signal of one).
fn is_access_violation(snap: &Snapshot<'_>, e: &ExceptionFacts) -> bool {
    let code = e.code;
    (!e.is_signal && code == win::ACCESS_VIOLATION)
        || (e.is_signal && matches!(code, 7 | 11))
        || (snap.system.os == OsFamily::MacOs && code == 1)
}

/// The findings of an analysed dump, ranked (`ranking.rs`).
pub(crate) fn findings(snap: &Snapshot<'_>, a: &Analysis) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(e) = &a.exception else {
        // A lost exception stream is "unknown", not "taken on demand": see `damaged`.
        if !a.exception_lost() {
            out.push(finding(
                FindingKind::NoException,
                Severity::Info,
                Detail::None,
            ));
        }
        return out;
    };
    let fault = fault_of(a);
    let is_av = is_access_violation(snap, e);
    // A heap routine among the top frames.
    let heap_frame = a.frames.iter().take(6).find(|f| {
        f.system
            && f.symbol.function.as_deref().is_some_and(is_heap_function)
            && !f.symbol.unreliable
    });
    if is_av {
        access_violation(snap, a, e, &fault, &mut out);
        if let Some(hf) = heap_frame {
            out.push(heap_fault(snap, a, hf, &fault));
        }
    }
    if e.is_signal {
        signal(snap, e, &mut out);
    } else {
        windows_exception(a, e, heap_frame, &fault, &mut out);
    }
    stack_and_dispatch(a, e, is_av, &fault, &mut out);
    unloaded_and_nx(snap, a, e, is_av, &mut out);
    crate::ranking::sort(&mut out);
    out
}

fn access_violation(
    snap: &Snapshot<'_>,
    a: &Analysis,
    e: &ExceptionFacts,
    fault: &Fault,
    out: &mut Vec<Finding>,
) {
    out.push(error(FindingKind::AccessViolation, Detail::None));
    let Some(t) = fault.target else {
        return;
    };
    let ptr = a.ptr_size();
    let at = Detail::Address { address: t };
    if t < 0x10000 {
        out.push(error(FindingKind::NullPointer, at.clone()));
    }
    if ptr == 8 && !is_canonical(t) || (ptr == 8 && !e.is_signal && t == u64::MAX) {
        out.push(error(FindingKind::NonCanonicalAddress, at.clone()));
    }
    let executed_unloaded =
        e.access == Some(Access::Execute) && snap.unloaded_module_at(t).is_some();
    if fault.guard {
        out.push(error(FindingKind::GuardPage, at.clone()));
    } else if is_fill_pattern(t) && t >= 0x10000 {
        out.push(finding(
            FindingKind::WildPointer,
            Severity::Warning,
            at.clone(),
        ));
    } else if fault.freed && t >= 0x10000 && !executed_unloaded {
        out.push(error(FindingKind::FreedMemory, at.clone()));
    }
    if e.access == Some(Access::Execute) {
        out.push(error(FindingKind::ExecuteNonExecutable, at));
    }
}

/// A heap routine that faulted: on a destroyed heap, or on corrupted metadata.
fn heap_fault(snap: &Snapshot<'_>, a: &Analysis, hf: &FrameFacts, fault: &Fault) -> Finding {
    let handle = heap_handle(snap, a, hf);
    let heaps = a.process.heaps.as_ref();
    let listed = handle.zip(heaps).map(|(h, hs)| hs.contains(&h));
    let handle_freed =
        handle.is_some_and(|h| snap.region_at(h).is_some_and(|r| r.state != MEM_COMMIT));
    // A live heap (listed in the PEB) faulting on a wild pointer is corruption; a handle whose
    // memory is released, or that the PEB no longer lists, is a destroyed heap.
    let destroyed = match listed {
        Some(true) => false,
        Some(false) => true,
        None => {
            handle_freed
                || (fault.freed && handle.is_some() && !fault.target.is_some_and(is_fill_pattern))
        }
    };
    if !destroyed {
        return error(
            FindingKind::HeapCorruption,
            Detail::Heap {
                heap_frame: Some(hf.index),
            },
        );
    }
    let handle_region = handle.and_then(|h| snap.region_at(h)).map(|r| RegionSpan {
        base: r.base,
        end: r.end(),
        state: r.state,
        protect: r.protect,
    });
    error(
        FindingKind::DestroyedHeap,
        Detail::DestroyedHeap {
            heap_frame: hf.index,
            handle,
            handle_region,
            handle_listed: listed,
            target_freed: fault.freed,
        },
    )
}

fn windows_exception(
    a: &Analysis,
    e: &ExceptionFacts,
    heap_frame: Option<&FrameFacts>,
    fault: &Fault,
    out: &mut Vec<Finding>,
) {
    let heap = || {
        error(
            FindingKind::HeapCorruption,
            Detail::Heap {
                heap_frame: heap_frame.map(|f| f.index),
            },
        )
    };
    let kind = match e.code {
        win::HEAP_CORRUPTION => return out.push(heap()),
        win::STACK_OVERFLOW | win::ACCESS_VIOLATION | win::IN_PAGE_ERROR => return,
        win::STACK_BUFFER_OVERRUN | win::FAIL_FAST_EXCEPTION => {
            out.push(error(FindingKind::FailFast, Detail::None));
            if matches!(
                e.fast_fail.as_deref(),
                Some("FAST_FAIL_HEAP_METADATA_CORRUPTION" | "FAST_FAIL_UNEXPECTED_HEAP_EXCEPTION")
            ) {
                out.push(heap());
            }
            return;
        }
        win::CPP_EXCEPTION | win::GCC_EXCEPTION => {
            let thrower = a.frames.iter().find(|f| !f.system).map(|f| f.index);
            return out.push(error(
                FindingKind::CppException,
                Detail::Thrower { frame: thrower },
            ));
        }
        win::CLR_EXCEPTION | win::CLR_EXCEPTION_OLD => FindingKind::ClrException,
        win::INT_DIVIDE_BY_ZERO | win::FLT_DIVIDE_BY_ZERO => FindingKind::DivideByZero,
        win::ILLEGAL_INSTRUCTION | win::PRIV_INSTRUCTION => FindingKind::IllegalInstruction,
        win::BREAKPOINT => FindingKind::Breakpoint,
        win::GUARD_PAGE => {
            let address = fault.target.unwrap_or(e.address);
            return out.push(error(FindingKind::GuardPage, Detail::Address { address }));
        }
        _ => FindingKind::UnknownException,
    };
    out.push(error(kind, Detail::None));
}

fn signal(snap: &Snapshot<'_>, e: &ExceptionFacts, out: &mut Vec<Finding>) {
    let kind = match e.code {
        0xffff_ffff => {
            return out.push(finding(
                FindingKind::DumpRequested,
                Severity::Info,
                Detail::None,
            ))
        }
        8 => FindingKind::DivideByZero,
        4 => FindingKind::IllegalInstruction,
        5 => FindingKind::Breakpoint,
        7 | 11 => return,
        1 if snap.system.os == OsFamily::MacOs => return,
        _ => FindingKind::UnknownException,
    };
    out.push(error(kind, Detail::None));
}

/// Stack overflow, recursion and nested exception dispatch.
fn stack_and_dispatch(
    a: &Analysis,
    e: &ExceptionFacts,
    is_av: bool,
    fault: &Fault,
    out: &mut Vec<Finding>,
) {
    let cycle = frame_cycle(a);
    let by_code = !e.is_signal && e.code == win::STACK_OVERFLOW;
    let on_guard_page =
        is_av && a.target_region.as_ref().is_some_and(|r| r.usage == "Stack") && fault.guard;
    let overflow = by_code || on_guard_page;
    if overflow {
        out.push(error(
            FindingKind::StackOverflow,
            Detail::StackOverflow {
                by_code,
                cycle: cycle.clone(),
            },
        ));
    }
    if let Some(c) = cycle {
        let only_dispatch = c.frames.iter().all(|s| {
            s.contains("KiUserExceptionDispatcher")
                || dispatcher_name(s.rsplit('!').next().unwrap_or(""))
        });
        if !only_dispatch && a.nesting_levels == 0 {
            let severity = if overflow {
                Severity::Error
            } else {
                Severity::Warning
            };
            out.push(finding(
                FindingKind::Recursion,
                severity,
                Detail::Recursion { cycle: c },
            ));
        }
    }
    if a.nesting_levels > 0 {
        out.push(finding(
            FindingKind::NestedException,
            Severity::Warning,
            Detail::None,
        ));
    }
}

/// A call into an unloaded module, and execution of non-executable memory without an explicit
/// execute access flag (DEP).
fn unloaded_and_nx(
    snap: &Snapshot<'_>,
    a: &Analysis,
    e: &ExceptionFacts,
    is_av: bool,
    out: &mut Vec<Finding>,
) {
    let ip = a.registers.as_ref().map(|c| c.pc()).unwrap_or(e.address);
    if snap.module_at(ip).is_none() {
        if let Some(u) = snap.unloaded_module_at(ip) {
            let caller = a
                .frames
                .iter()
                .skip(1)
                .find(|f| f.symbol.module.is_some())
                .map(|f| f.index);
            out.push(error(
                FindingKind::UnloadedModule,
                Detail::UnloadedModule {
                    ip,
                    module: u.name.clone(),
                    base: u.base,
                    size: u.size,
                    caller,
                },
            ));
        }
    }
    if out
        .iter()
        .any(|f| f.kind == FindingKind::ExecuteNonExecutable)
    {
        return;
    }
    if let Some(r) = &a.ip_region {
        if r.state_value == Some(MEM_COMMIT)
            && r.protect_value.is_some_and(|p| p & 0xf0 == 0)
            && is_av
        {
            out.push(error(
                FindingKind::ExecuteNonExecutable,
                Detail::Address { address: ip },
            ));
        }
    }
}

/// The repeating cycle of frames (as `module!function`), if the stack repeats one.
fn frame_cycle(a: &Analysis) -> Option<Cycle> {
    let names: Vec<String> = a
        .frames
        .iter()
        .map(|f| match (&f.symbol.module, &f.symbol.function) {
            (Some(m), Some(func)) if !f.symbol.unreliable => {
                format!("{}!{}", symbols::short(m), func)
            }
            _ => f.display.clone(),
        })
        .collect();
    let n = names.len();
    if n < 6 {
        return None;
    }
    for period in 1..=8usize.min(n / 3) {
        // Count repetitions starting anywhere in the first 16 frames.
        for start in 0..16.min(n) {
            let mut reps = 1;
            while start + (reps + 1) * period <= n
                && names[start + reps * period..start + (reps + 1) * period]
                    == names[start..start + period]
            {
                reps += 1;
            }
            if reps >= 3 && reps * period >= 6 {
                return Some(Cycle {
                    frames: names[start..start + period].to_vec(),
                    repeats: reps,
                });
            }
        }
    }
    None
}

/// Whether an address is made of a fill pattern: a repeated byte (0x41414141) or a well-known
/// debug-heap fill (feeefeee, baadf00d, abababab, cdcdcdcd, dddddddd), possibly plus a small offset.
fn is_fill_pattern(a: u64) -> bool {
    let low = (a as u32) & !0xff;
    let b = (low >> 8) & 0xff;
    let repeated = b != 0 && low == (b << 24 | b << 16 | b << 8);
    let hi = (a >> 32) as u32;
    let hi_ok = hi == 0 || hi == (b << 24 | b << 16 | b << 8 | b) || (hi & 0xffff) == (b << 8 | b);
    (repeated && hi_ok)
        || matches!(
            (a as u32) & !0xff,
            0xfeee_fe00 | 0xbaad_f000 | 0xabab_ab00 | 0xcdcd_cd00 | 0xdddd_dd00
        )
}

fn is_canonical(a: u64) -> bool {
    let top = a >> 47;
    top == 0 || top == 0x1ffff
}

/// The heap handle a heap routine was working on: the x86 frame's first argument (stdcall
/// `RtlAllocateHeap(HeapHandle, …)`), else the base register of the faulting memory operand.
fn heap_handle(snap: &Snapshot<'_>, a: &Analysis, hf: &FrameFacts) -> Option<u64> {
    let page_like = |h: u64| h != 0 && h & 0xfff == 0;
    let from_base = a
        .instruction
        .as_ref()
        .and_then(|d| d.base_value)
        .filter(|v| page_like(*v));
    let from_arg = if snap.system.arch == Arch::X86 && hf.trust != Trust::Scan {
        hf.args[0].filter(|v| page_like(*v))
    } else {
        None
    };
    // Prefer the candidate that is not a live heap.
    let heaps = a.process.heaps.as_ref();
    let dead = |h: &u64| {
        heaps.is_some_and(|hs| !hs.contains(h))
            || snap.region_at(*h).is_some_and(|r| r.state != MEM_COMMIT)
    };
    [from_base, from_arg]
        .into_iter()
        .flatten()
        .find(dead)
        .or(from_base)
        .or(from_arg)
}

/// A damaged dump says so first (`Analysis::damage` holds the streams lost and the bytes).
pub(crate) fn damaged(a: &Analysis) -> Option<Finding> {
    a.damage.as_ref()?;
    Some(error(FindingKind::DamagedDump, Detail::None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_patterns_and_canonical_addresses() {
        assert!(is_fill_pattern(0x4141_4141));
        assert!(is_fill_pattern(0xfeee_fef0));
        assert!(is_fill_pattern(0xbaad_f00d));
        assert!(!is_fill_pattern(0x0390_0010));
        assert!(is_canonical(0x0000_7fff_ffff_0000));
        assert!(is_canonical(0xffff_8000_0000_0000));
        assert!(!is_canonical(0x0001_0000_0000_0000));
    }
}
