//! Windows process blocks read from dump memory: PEB (command line, image path, heaps,
//! NtGlobalFlag) and TEBs (stack limits, last error). Offsets are those of the documented and
//! well-known x86/x64 layouts, stable since Windows XP; they are read only when the memory is in
//! the dump (full dumps, or dumps written with MiniDumpWithProcessThreadData).

use coroner_model::{Arch, Snapshot};

/// Upper bound on the number of process heaps read from the PEB.
const MAX_HEAPS: u32 = 4096;
/// Upper bound on the length of a UNICODE_STRING read from the PEB (bytes).
const MAX_USTR: usize = 32 * 1024;

struct Layout {
    ptr: u8,
    teb_peb: u64,
    teb_last_error: u64,
    peb_params: u64,
    peb_global_flag: u64,
    peb_num_heaps: u64,
    peb_heaps: u64,
    params_image: u64,
    params_cmdline: u64,
    ustr_buffer: u64,
}

const X86: Layout = Layout {
    ptr: 4,
    teb_peb: 0x30,
    teb_last_error: 0x34,
    peb_params: 0x10,
    peb_global_flag: 0x68,
    peb_num_heaps: 0x88,
    peb_heaps: 0x90,
    params_image: 0x38,
    params_cmdline: 0x40,
    ustr_buffer: 4,
};

const X64: Layout = Layout {
    ptr: 8,
    teb_peb: 0x60,
    teb_last_error: 0x68,
    peb_params: 0x20,
    peb_global_flag: 0xbc,
    peb_num_heaps: 0xe8,
    peb_heaps: 0xf0,
    params_image: 0x60,
    params_cmdline: 0x70,
    ustr_buffer: 8,
};

pub(crate) fn read_process_blocks(snap: &mut Snapshot<'_>) {
    let l = match snap.system.arch {
        Arch::X86 => &X86,
        Arch::Amd64 => &X64,
        _ => return,
    };
    let mem = &snap.memory;
    let mut peb = None;
    for t in snap.threads.iter_mut() {
        let Some(teb) = t.teb else { continue };
        let p = u64::from(l.ptr);
        if let (Some(base), Some(limit)) = (
            mem.read_ptr(teb.wrapping_add(p), l.ptr),
            mem.read_ptr(teb.wrapping_add(2 * p), l.ptr),
        ) {
            if limit < base {
                t.stack_base = Some(base);
                t.stack_limit = Some(limit);
            }
        }
        t.last_error = mem.read_u32(teb.wrapping_add(l.teb_last_error));
        if peb.is_none() {
            peb = mem
                .read_ptr(teb.wrapping_add(l.teb_peb), l.ptr)
                .filter(|p| *p != 0);
        }
    }
    let Some(peb) = peb else { return };
    snap.process.peb = Some(peb);
    snap.process.nt_global_flag = mem.read_u32(peb.wrapping_add(l.peb_global_flag));
    if let (Some(n), Some(arr)) = (
        mem.read_u32(peb.wrapping_add(l.peb_num_heaps)),
        mem.read_ptr(peb.wrapping_add(l.peb_heaps), l.ptr),
    ) {
        if n == 0 {
            // Every live process has at least its default heap: an empty list means the PEB
            // copy in the dump is not filled in (Wine leaves it empty), so the list is unknown.
            snap.warnings
                .push("PEB lists no process heaps; heap list treated as unknown".into());
        } else if n <= MAX_HEAPS {
            let heaps: Option<Vec<u64>> = (0..u64::from(n))
                .map(|i| mem.read_ptr(arr.wrapping_add(i * u64::from(l.ptr)), l.ptr))
                .collect();
            snap.process.heaps = heaps;
        } else {
            snap.warnings.push(format!(
                "PEB NumberOfHeaps is implausible ({n}); heap list ignored"
            ));
        }
    }
    let Some(params) = mem
        .read_ptr(peb.wrapping_add(l.peb_params), l.ptr)
        .filter(|p| *p != 0)
    else {
        return;
    };
    let ustr = |at: u64| -> Option<String> {
        let len = mem.read_u16(at)? as usize;
        let buf = mem.read_ptr(at.wrapping_add(l.ustr_buffer), l.ptr)?;
        if len == 0 {
            return None;
        }
        // Buffers are absolute pointers normally; a not-yet-normalised block holds offsets.
        let addr = if buf < params {
            params.wrapping_add(buf)
        } else {
            buf
        };
        mem.read_utf16(addr, len, MAX_USTR)
    };
    if let Some(cl) = ustr(params.wrapping_add(l.params_cmdline)) {
        snap.process.command_line = Some(cl);
    }
    if let Some(img) = ustr(params.wrapping_add(l.params_image)) {
        snap.process.image_path = Some(img);
    }
}
