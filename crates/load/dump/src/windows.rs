//! Windows process blocks read from dump memory: PEB (command line, image path, heaps,
//! NtGlobalFlag) and TEBs (stack limits, last error), at the offsets of
//! `coroner_model::layout`; read only when the memory is in the dump (full dumps, or dumps
//! written with MiniDumpWithProcessThreadData).

use coroner_model::{layout, Snapshot};

/// Upper bound on the number of process heaps read from the PEB.
const MAX_HEAPS: u32 = 4096;
/// Upper bound on the length of a UNICODE_STRING read from the PEB (bytes).
const MAX_USTR: usize = 32 * 1024;

pub(crate) fn read_process_blocks(snap: &mut Snapshot<'_>) {
    let Some(l) = layout::for_arch(snap.system.arch) else {
        return;
    };
    let mem = &snap.memory;
    let mut peb = None;
    for t in snap.threads.iter_mut() {
        let Some(teb) = t.teb else { continue };
        if let (Some(base), Some(limit)) = (
            mem.read_ptr(teb.wrapping_add(l.teb.stack_base), l.ptr),
            mem.read_ptr(teb.wrapping_add(l.teb.stack_limit), l.ptr),
        ) {
            if limit < base {
                t.stack_base = Some(base);
                t.stack_limit = Some(limit);
            }
        }
        t.last_error = mem.read_u32(teb.wrapping_add(l.teb.last_error));
        if peb.is_none() {
            peb = mem
                .read_ptr(teb.wrapping_add(l.teb.peb), l.ptr)
                .filter(|p| *p != 0);
        }
    }
    let Some(peb) = peb else { return };
    snap.process.peb = Some(peb);
    snap.process.nt_global_flag = mem.read_u32(peb.wrapping_add(l.peb.nt_global_flag));
    if let (Some(n), Some(arr)) = (
        mem.read_u32(peb.wrapping_add(l.peb.number_of_heaps)),
        mem.read_ptr(peb.wrapping_add(l.peb.process_heaps), l.ptr),
    ) {
        if n == 0 {
            // Every live process has at least its default heap: an empty list means the PEB
            // copy in the dump is not filled in (Wine leaves it empty), so the list is unknown.
            snap.warnings.push(coroner_model::Warning::NoProcessHeaps);
        } else if n <= MAX_HEAPS {
            let heaps: Option<Vec<u64>> = (0..u64::from(n))
                .map(|i| mem.read_ptr(arr.wrapping_add(i * u64::from(l.ptr)), l.ptr))
                .collect();
            snap.process.heaps = heaps;
        } else {
            snap.warnings
                .push(coroner_model::Warning::ImplausibleHeapCount(n));
        }
    }
    let Some(params) = mem
        .read_ptr(peb.wrapping_add(l.peb.process_parameters), l.ptr)
        .filter(|p| *p != 0)
    else {
        return;
    };
    let ustr = |off: u64| {
        l.unicode_string(mem, params.wrapping_add(off), Some(params), MAX_USTR)
            .filter(|s| !s.is_empty())
    };
    if let Some(cl) = ustr(l.params.command_line) {
        snap.process.command_line = Some(cl);
    }
    if let Some(img) = ustr(l.params.image_path) {
        snap.process.image_path = Some(img);
    }
}
