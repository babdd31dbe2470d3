//! Where the fields of the Windows user-mode process blocks lie: TEB, PEB,
//! RTL_USER_PROCESS_PARAMETERS and UNICODE_STRING, in the x86 and x64 layouts (public symbols
//! of ntdll, stable since Windows XP for every field listed here). The one table of these
//! offsets: the loader reads the process facts with it, the shell's `!peb` and `!teb` print
//! with it.

use crate::{AddressSpace, Arch};

/// TEB fields (`_NT_TIB` first).
#[derive(Clone, Copy, Debug)]
pub struct Teb {
    pub exception_list: u64,
    pub stack_base: u64,
    pub stack_limit: u64,
    pub sub_system_tib: u64,
    pub fiber_data: u64,
    pub arbitrary_user_pointer: u64,
    pub self_: u64,
    pub environment_pointer: u64,
    pub client_id: u64,
    pub rpc_handle: u64,
    pub tls_storage: u64,
    pub peb: u64,
    pub last_error: u64,
    pub count_owned_locks: u64,
    pub last_status: u64,
    pub hard_error_mode: u64,
}

/// PEB fields.
#[derive(Clone, Copy, Debug)]
pub struct Peb {
    pub inherited_address_space: u64,
    pub read_image_file_exec_options: u64,
    pub being_debugged: u64,
    pub image_base: u64,
    pub ldr: u64,
    pub process_parameters: u64,
    pub process_heap: u64,
    pub nt_global_flag: u64,
    pub number_of_heaps: u64,
    pub process_heaps: u64,
    /// `LoaderLock`: the loader's RTL_CRITICAL_SECTION.
    pub loader_lock: u64,
}

/// RTL_CRITICAL_SECTION fields (the same offsets since NT 4; the meaning of `LockCount`
/// changed in Windows Server 2003 SP1, see coroner-analysis `hang::critsec`).
#[derive(Clone, Copy, Debug)]
pub struct CritSec {
    pub debug_info: u64,
    pub lock_count: u64,
    pub recursion_count: u64,
    pub owning_thread: u64,
    pub lock_semaphore: u64,
    pub spin_count: u64,
    /// Size of the structure.
    pub size: u64,
}

/// RTL_CRITICAL_SECTION_DEBUG fields.
#[derive(Clone, Copy, Debug)]
pub struct CritSecDebug {
    pub kind: u64,
    pub critical_section: u64,
    /// `ProcessLocksList` (a LIST_ENTRY: Flink, then Blink).
    pub process_locks_list: u64,
    pub entry_count: u64,
    pub contention_count: u64,
}

/// RTL_USER_PROCESS_PARAMETERS fields (each a UNICODE_STRING).
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub current_directory: u64,
    pub dll_path: u64,
    pub image_path: u64,
    pub command_line: u64,
    pub window_title: u64,
}

/// The layout of one architecture.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Pointer size.
    pub ptr: u8,
    pub teb: Teb,
    pub peb: Peb,
    pub params: Params,
    pub cs: CritSec,
    pub cs_debug: CritSecDebug,
    /// Offset of `Buffer` in a UNICODE_STRING (after Length and MaximumLength, aligned).
    pub ustr_buffer: u64,
}

const X86: Layout = Layout {
    ptr: 4,
    teb: Teb {
        exception_list: 0,
        stack_base: 0x4,
        stack_limit: 0x8,
        sub_system_tib: 0xc,
        fiber_data: 0x10,
        arbitrary_user_pointer: 0x14,
        self_: 0x18,
        environment_pointer: 0x1c,
        client_id: 0x20,
        rpc_handle: 0x28,
        tls_storage: 0x2c,
        peb: 0x30,
        last_error: 0x34,
        count_owned_locks: 0x38,
        last_status: 0xbf4,
        hard_error_mode: 0xf28,
    },
    peb: Peb {
        inherited_address_space: 0,
        read_image_file_exec_options: 1,
        being_debugged: 2,
        image_base: 0x8,
        ldr: 0xc,
        process_parameters: 0x10,
        process_heap: 0x18,
        nt_global_flag: 0x68,
        number_of_heaps: 0x88,
        process_heaps: 0x90,
        loader_lock: 0xa0,
    },
    params: Params {
        current_directory: 0x24,
        dll_path: 0x30,
        image_path: 0x38,
        command_line: 0x40,
        window_title: 0x70,
    },
    cs: CritSec {
        debug_info: 0,
        lock_count: 0x4,
        recursion_count: 0x8,
        owning_thread: 0xc,
        lock_semaphore: 0x10,
        spin_count: 0x14,
        size: 0x18,
    },
    cs_debug: CritSecDebug {
        kind: 0,
        critical_section: 0x4,
        process_locks_list: 0x8,
        entry_count: 0x10,
        contention_count: 0x14,
    },
    ustr_buffer: 4,
};

const X64: Layout = Layout {
    ptr: 8,
    teb: Teb {
        exception_list: 0,
        stack_base: 0x8,
        stack_limit: 0x10,
        sub_system_tib: 0x18,
        fiber_data: 0x20,
        arbitrary_user_pointer: 0x28,
        self_: 0x30,
        environment_pointer: 0x38,
        client_id: 0x40,
        rpc_handle: 0x50,
        tls_storage: 0x58,
        peb: 0x60,
        last_error: 0x68,
        count_owned_locks: 0x6c,
        last_status: 0x1250,
        hard_error_mode: 0x16b0,
    },
    peb: Peb {
        inherited_address_space: 0,
        read_image_file_exec_options: 1,
        being_debugged: 2,
        image_base: 0x10,
        ldr: 0x18,
        process_parameters: 0x20,
        process_heap: 0x30,
        nt_global_flag: 0xbc,
        number_of_heaps: 0xe8,
        process_heaps: 0xf0,
        loader_lock: 0x110,
    },
    params: Params {
        current_directory: 0x38,
        dll_path: 0x50,
        image_path: 0x60,
        command_line: 0x70,
        window_title: 0xb0,
    },
    cs: CritSec {
        debug_info: 0,
        lock_count: 0x8,
        recursion_count: 0xc,
        owning_thread: 0x10,
        lock_semaphore: 0x18,
        spin_count: 0x20,
        size: 0x28,
    },
    cs_debug: CritSecDebug {
        kind: 0,
        critical_section: 0x8,
        process_locks_list: 0x10,
        entry_count: 0x20,
        contention_count: 0x24,
    },
    ustr_buffer: 8,
};

/// The layout for `arch` (x86 and x64 only: ARM64 dumps' blocks are not read).
pub fn for_arch(arch: Arch) -> Option<&'static Layout> {
    match arch {
        Arch::X86 => Some(&X86),
        Arch::Amd64 => Some(&X64),
        _ => None,
    }
}

impl Layout {
    /// The UNICODE_STRING at `at`, at most `max_bytes` long. `params`: the address of the
    /// RTL_USER_PROCESS_PARAMETERS the string belongs to, whose buffers hold offsets from it
    /// until the block is normalised (a process caught very early). `Some("")` for an empty
    /// string, `None` for memory the dump lacks.
    pub fn unicode_string(
        &self,
        mem: &AddressSpace<'_>,
        at: u64,
        params: Option<u64>,
        max_bytes: usize,
    ) -> Option<String> {
        let len = usize::from(mem.read_u16(at)?);
        let buf = mem.read_ptr(at.wrapping_add(self.ustr_buffer), self.ptr)?;
        if len == 0 {
            return Some(String::new());
        }
        let addr = match params {
            Some(p) if buf < p => p.wrapping_add(buf),
            _ => buf,
        };
        mem.read_utf16(addr, len, max_bytes)
    }
}
