//! Exception codes, signals and fast-fail codes: names and plain-language meanings.

use minidump_common::errors::{
    ExceptionCodeLinux, ExceptionCodeWindows as Exc, FastFailCode, NtStatusWindows as Nt,
};
use num_traits::FromPrimitive;

/// Windows exception codes used by the classifier: minidump-common's typed codes, and the three
/// it lacks (GCC's C++ exception, .NET 1-3.5's CLR exception; `FAIL_FAST_EXCEPTION` and the other
/// NTSTATUS ones come from its `NtStatusWindows`).
pub mod win {
    use super::{Exc, Nt};

    /// STATUS_ACCESS_VIOLATION.
    pub const ACCESS_VIOLATION: u32 = Exc::EXCEPTION_ACCESS_VIOLATION as u32;
    /// STATUS_IN_PAGE_ERROR.
    pub const IN_PAGE_ERROR: u32 = Exc::EXCEPTION_IN_PAGE_ERROR as u32;
    /// STATUS_GUARD_PAGE_VIOLATION.
    pub const GUARD_PAGE: u32 = Exc::EXCEPTION_GUARD_PAGE as u32;
    /// STATUS_BREAKPOINT.
    pub const BREAKPOINT: u32 = Exc::EXCEPTION_BREAKPOINT as u32;
    /// STATUS_SINGLE_STEP.
    pub const SINGLE_STEP: u32 = Exc::EXCEPTION_SINGLE_STEP as u32;
    /// STATUS_ILLEGAL_INSTRUCTION.
    pub const ILLEGAL_INSTRUCTION: u32 = Exc::EXCEPTION_ILLEGAL_INSTRUCTION as u32;
    /// STATUS_PRIVILEGED_INSTRUCTION.
    pub const PRIV_INSTRUCTION: u32 = Exc::EXCEPTION_PRIV_INSTRUCTION as u32;
    /// STATUS_INTEGER_DIVIDE_BY_ZERO.
    pub const INT_DIVIDE_BY_ZERO: u32 = Exc::EXCEPTION_INT_DIVIDE_BY_ZERO as u32;
    /// STATUS_FLOAT_DIVIDE_BY_ZERO.
    pub const FLT_DIVIDE_BY_ZERO: u32 = Exc::EXCEPTION_FLT_DIVIDE_BY_ZERO as u32;
    /// STATUS_INTEGER_OVERFLOW.
    pub const INT_OVERFLOW: u32 = Exc::EXCEPTION_INT_OVERFLOW as u32;
    /// STATUS_STACK_OVERFLOW.
    pub const STACK_OVERFLOW: u32 = Exc::EXCEPTION_STACK_OVERFLOW as u32;
    /// STATUS_HEAP_CORRUPTION.
    pub const HEAP_CORRUPTION: u32 = Nt::STATUS_HEAP_CORRUPTION as u32;
    /// STATUS_STACK_BUFFER_OVERRUN (also __fastfail).
    pub const STACK_BUFFER_OVERRUN: u32 = Nt::STATUS_STACK_BUFFER_OVERRUN as u32;
    /// STATUS_FAIL_FAST_EXCEPTION.
    pub const FAIL_FAST_EXCEPTION: u32 = Nt::STATUS_FAIL_FAST_EXCEPTION as u32;
    /// Visual C++ exception ('msc').
    pub const CPP_EXCEPTION: u32 = Exc::UNHANDLED_CPP_EXCEPTION as u32;
    /// GCC/mingw SEH-based C++ exception (' GCC'); not in minidump-common.
    pub const GCC_EXCEPTION: u32 = 0x2047_4343;
    /// CLR exception ('CCR', .NET 4+).
    pub const CLR_EXCEPTION: u32 = Exc::MANAGED_EXCEPTION_CODE_V4 as u32;
    /// CLR exception ('COM+', .NET 1-3.5); not in minidump-common.
    pub const CLR_EXCEPTION_OLD: u32 = 0xe043_4f4d;
}

/// The exception name minidump-stackwalk prints for a Windows code (without `_READ`/`_WRITE`):
/// minidump-common's `ExceptionCodeWindows` name, the few NTSTATUS exception codes of
/// [`NAMED_STATUS`] by their `NtStatusWindows` name, and coroner's own names
/// ([`own_name`]) where minidump-common has none or another.
pub fn windows_name(code: u32) -> Option<String> {
    if let Some(n) = own_name(code) {
        return Some(n.to_string());
    }
    if let Some(e) = Exc::from_u32(code) {
        return Some(format!("{e:?}"));
    }
    NAMED_STATUS
        .iter()
        .find(|s| **s as u32 == code)
        .map(|s| format!("{s:?}"))
}

/// The NTSTATUS codes [`windows_name`] names besides the exception codes (the only ones: it
/// answers "which exception", and `!teb`'s LastStatusValue prints it too).
const NAMED_STATUS: [Nt; 5] = [
    Nt::STATUS_HEAP_CORRUPTION,
    Nt::STATUS_FAIL_FAST_EXCEPTION,
    Nt::STATUS_DLL_NOT_FOUND,
    Nt::STATUS_DLL_INIT_FAILED,
    Nt::STATUS_FATAL_APP_EXIT,
];

/// Names minidump-common lacks (GCC's C++ exception, the old CLR code) or spells otherwise
/// (its `EXCEPTION_BOUNDS_EXCEEDED`, `OUT_OF_MEMORY`, `UNHANDLED_CPP_EXCEPTION`,
/// `MANAGED_EXCEPTION_CODE_V4`, `SIMULATED`, `STATUS_STACK_BUFFER_OVERRUN`); coroner's reports
/// and JSON have always used these.
fn own_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0xc000_008c => "EXCEPTION_ARRAY_BOUNDS_EXCEEDED",
        0xc000_0409 => "EXCEPTION_STACK_BUFFER_OVERRUN",
        0xe06d_7363 => "EXCEPTION_UNHANDLED_CPP_EXCEPTION",
        0x2047_4343 => "EXCEPTION_GCC_CPP_EXCEPTION",
        0xe043_4352 => "EXCEPTION_CLR_EXCEPTION",
        0xe043_4f4d => "EXCEPTION_CLR_EXCEPTION_V2",
        0xe000_0008 => "EXCEPTION_OUT_OF_MEMORY",
        0x0517_a7ed => "EXCEPTION_SIMULATED",
        _ => return None,
    })
}

/// WinDbg's short text for a Windows code (`.exr`'s "(Access violation)"); minidump-common has
/// names only, not these texts.
pub fn windows_text(code: u32) -> &'static str {
    match code {
        0xc000_0005 => "Access violation",
        0xc000_0006 => "In-page I/O error",
        0x8000_0001 => "Guard page violation",
        0x8000_0003 => "Break instruction exception",
        0x8000_0004 => "Single step exception",
        0xc000_001d => "Illegal instruction",
        0xc000_0094 => "Integer divide-by-zero",
        0xc000_008e => "Floating-point division by zero",
        0xc000_0095 => "Integer overflow",
        0xc000_0096 => "Privileged instruction",
        0xc000_00fd => "Stack overflow",
        0xc000_0374 => "A heap has been corrupted",
        0xc000_0409 => "Security check failure or stack buffer overrun",
        0xc000_0602 => "Fail fast exception",
        0xe06d_7363 => "C++ EH exception",
        0x2047_4343 => "GCC C++ exception",
        0xe043_4352 | 0xe043_4f4d => "CLR exception",
        _ => "Unknown exception",
    }
}

/// Names of the `__fastfail` codes (winnt.h FAST_FAIL_*): minidump-common's `FastFailCode`
/// (generated from winnt.h, which leaves 15-17 unused), and `FAST_FAIL_INVALID_FAST_FAIL_CODE`
/// (0xFFFFFFFF), which it lacks.
pub fn fast_fail_name(code: u64) -> Option<String> {
    if code == 0xffff_ffff {
        return Some("FAST_FAIL_INVALID_FAST_FAIL_CODE".into());
    }
    FastFailCode::from_u64(code).map(|c| format!("{c:?}"))
}

/// Linux/Android signal names (1-31): minidump-common's `ExceptionCodeLinux`, without its
/// `DUMP_REQUESTED`, which is no signal.
pub fn signal_name(sig: u32) -> Option<String> {
    ExceptionCodeLinux::from_u32(sig)
        .filter(|s| *s != ExceptionCodeLinux::DUMP_REQUESTED)
        .map(|s| format!("{s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name coroner's own table printed before minidump-common's enums were used.
    #[test]
    fn exception_names_are_unchanged() {
        let before: [(u32, &str); 35] = [
            (0x8000_0001, "EXCEPTION_GUARD_PAGE"),
            (0x8000_0002, "EXCEPTION_DATATYPE_MISALIGNMENT"),
            (0x8000_0003, "EXCEPTION_BREAKPOINT"),
            (0x8000_0004, "EXCEPTION_SINGLE_STEP"),
            (0xc000_0005, "EXCEPTION_ACCESS_VIOLATION"),
            (0xc000_0006, "EXCEPTION_IN_PAGE_ERROR"),
            (0xc000_0008, "EXCEPTION_INVALID_HANDLE"),
            (0xc000_001d, "EXCEPTION_ILLEGAL_INSTRUCTION"),
            (0xc000_0025, "EXCEPTION_NONCONTINUABLE_EXCEPTION"),
            (0xc000_0026, "EXCEPTION_INVALID_DISPOSITION"),
            (0xc000_008c, "EXCEPTION_ARRAY_BOUNDS_EXCEEDED"),
            (0xc000_008d, "EXCEPTION_FLT_DENORMAL_OPERAND"),
            (0xc000_008e, "EXCEPTION_FLT_DIVIDE_BY_ZERO"),
            (0xc000_008f, "EXCEPTION_FLT_INEXACT_RESULT"),
            (0xc000_0090, "EXCEPTION_FLT_INVALID_OPERATION"),
            (0xc000_0091, "EXCEPTION_FLT_OVERFLOW"),
            (0xc000_0092, "EXCEPTION_FLT_STACK_CHECK"),
            (0xc000_0093, "EXCEPTION_FLT_UNDERFLOW"),
            (0xc000_0094, "EXCEPTION_INT_DIVIDE_BY_ZERO"),
            (0xc000_0095, "EXCEPTION_INT_OVERFLOW"),
            (0xc000_0096, "EXCEPTION_PRIV_INSTRUCTION"),
            (0xc000_00fd, "EXCEPTION_STACK_OVERFLOW"),
            (0xc000_0194, "EXCEPTION_POSSIBLE_DEADLOCK"),
            (0xc000_0374, "STATUS_HEAP_CORRUPTION"),
            (0xc000_0409, "EXCEPTION_STACK_BUFFER_OVERRUN"),
            (0xc000_0602, "STATUS_FAIL_FAST_EXCEPTION"),
            (0xc000_0135, "STATUS_DLL_NOT_FOUND"),
            (0xc000_0142, "STATUS_DLL_INIT_FAILED"),
            (0xe06d_7363, "EXCEPTION_UNHANDLED_CPP_EXCEPTION"),
            (0x2047_4343, "EXCEPTION_GCC_CPP_EXCEPTION"),
            (0xe043_4352, "EXCEPTION_CLR_EXCEPTION"),
            (0xe043_4f4d, "EXCEPTION_CLR_EXCEPTION_V2"),
            (0xe000_0008, "EXCEPTION_OUT_OF_MEMORY"),
            (0x4000_0015, "STATUS_FATAL_APP_EXIT"),
            (0x0517_a7ed, "EXCEPTION_SIMULATED"),
        ];
        for (code, name) in before {
            assert_eq!(windows_name(code).as_deref(), Some(name), "{code:#x}");
        }
        // Other NTSTATUS codes stay unnamed (`!teb` prints "<Unable to get error code text>").
        assert_eq!(windows_name(0xc000_0034), None);
        assert_eq!(windows_name(0), None);
    }

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(11).as_deref(), Some("SIGSEGV"));
        assert_eq!(signal_name(31).as_deref(), Some("SIGSYS"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(0xffff_ffff), None);
    }

    #[test]
    fn fast_fail_names_follow_winnt_h() {
        assert_eq!(
            fast_fail_name(2).as_deref(),
            Some("FAST_FAIL_STACK_COOKIE_CHECK_FAILURE")
        );
        assert_eq!(
            fast_fail_name(7).as_deref(),
            Some("FAST_FAIL_FATAL_APP_EXIT")
        );
        assert_eq!(
            fast_fail_name(14).as_deref(),
            Some("FAST_FAIL_INVALID_REFERENCE_COUNT")
        );
        assert_eq!(fast_fail_name(15), None);
        assert_eq!(
            fast_fail_name(18).as_deref(),
            Some("FAST_FAIL_INVALID_JUMP_BUFFER")
        );
        assert_eq!(
            fast_fail_name(50).as_deref(),
            Some("FAST_FAIL_HEAP_METADATA_CORRUPTION")
        );
        assert_eq!(
            fast_fail_name(0xffff_ffff).as_deref(),
            Some("FAST_FAIL_INVALID_FAST_FAIL_CODE")
        );
    }
}
