//! x64 unwinding from the image's own `.pdata`/UNWIND_INFO, read from dump memory — what
//! `RtlVirtualUnwind` does. Written here (over coroner-pe's decoded unwind codes) because the
//! crates that do this (framehop, minidump-unwind's debuginfo feature) read images from files on
//! disk, while a minidump carries the unwind data in its own memory.

use crate::symbols::Symbolizer;
use coroner_model::{Arch, Context};
use coroner_pe::UnwindOp;

const REGS: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];
/// Most chained unwind-info records followed for one frame.
const MAX_CHAIN: usize = 32;

impl Symbolizer<'_, '_> {
    /// Unwinds one x64 frame; `true` with it when a machine frame restored an exact pc. `None`
    /// when the module or its unwind data is not in the dump.
    pub(crate) fn unwind_x64(&self, ctx: &Context) -> Option<(Context, bool)> {
        if ctx.arch != Arch::Amd64 {
            return None;
        }
        let snap = self.snapshot();
        let pc = ctx.pc();
        let mi = snap.module_index_at(pc)?;
        let base = snap.modules[mi].base;
        let rva = u32::try_from(pc - base).ok()?;
        self.with_image(mi, |img, mem| unwind_with(img, mem, snap, ctx, rva))
            .flatten()
            .or_else(|| {
                self.with_image_file(mi, |img, mem| unwind_with(img, mem, snap, ctx, rva))
                    .flatten()
            })
    }
}

fn unwind_with(
    img: &coroner_pe::PeImage,
    mem: &dyn coroner_pe::Memory,
    snap: &coroner_model::Snapshot<'_>,
    ctx: &Context,
    rva: u32,
) -> Option<(Context, bool)> {
    {
        let read = |a: u64| snap.memory.read_u64(a);
        let mut c = ctx.clone();
        let rf = match img.runtime_function_for(mem, rva) {
            Ok(Some(rf)) => rf,
            // No entry in a readable table: a leaf function, its return address is at [rsp].
            Ok(None) => {
                let rsp = c.sp();
                // A zero here means "not a leaf after all" (or a hole in the table), not the end
                // of the stack: let the walker try other methods.
                c.set("rip", read(rsp).filter(|v| *v != 0)?);
                c.set("rsp", rsp.wrapping_add(8));
                return Some((c, false));
            }
            Err(_) => return None,
        };
        let mut info = img.unwind_info(mem, &rf).ok()?;
        let offset_in_fn = rva.saturating_sub(rf.begin);
        let mut first = true;
        let mut machine_frame = false;
        for _ in 0..MAX_CHAIN {
            // Only the prolog codes already executed apply in the function's own prolog.
            let in_prolog = first && offset_in_fn < u32::from(info.prolog_size);
            // The establisher frame (base of UWOP_SAVE_* offsets): the frame register minus
            // its offset once the prolog has set it, else rsp.
            let fr_value = if info.frame_register != 0 {
                Some(c.get(REGS[usize::from(info.frame_register & 15)])?)
            } else {
                None
            };
            let fr_done = fr_value.is_some()
                && (!in_prolog
                    || info.codes.iter().any(|code| {
                        matches!(code.op, UnwindOp::SetFpReg)
                            && u32::from(code.code_offset) <= offset_in_fn
                    }));
            let frame_base = match fr_value {
                Some(fr) if fr_done => fr.wrapping_sub(u64::from(info.frame_offset)),
                _ => c.sp(),
            };
            for code in &info.codes {
                if in_prolog && u32::from(code.code_offset) > offset_in_fn {
                    continue;
                }
                match code.op {
                    UnwindOp::PushNonVol { reg } => {
                        let rsp = c.sp();
                        let v = read(rsp)?;
                        c.set(REGS[usize::from(reg & 15)], v);
                        c.set("rsp", rsp.wrapping_add(8));
                    }
                    UnwindOp::AllocLarge { size } | UnwindOp::AllocSmall { size } => {
                        c.set("rsp", c.sp().wrapping_add(u64::from(size)));
                    }
                    // Codes run in reverse prolog order, so the allocations made after the frame
                    // pointer was set were undone above; now rsp comes back from the frame
                    // register, exactly as RtlVirtualUnwind does.
                    UnwindOp::SetFpReg => {
                        if let Some(fr) = fr_value {
                            c.set("rsp", fr.wrapping_sub(u64::from(info.frame_offset)));
                        }
                    }
                    UnwindOp::SaveNonVol { reg, offset } => {
                        let v = read(frame_base.wrapping_add(u64::from(offset)))?;
                        c.set(REGS[usize::from(reg & 15)], v);
                    }
                    UnwindOp::SaveXmm128 { .. } | UnwindOp::Epilog { .. } => {}
                    UnwindOp::PushMachFrame { error_code } => {
                        let rsp = c.sp().wrapping_add(if error_code { 8 } else { 0 });
                        c.set("rip", read(rsp)?);
                        c.set("rsp", read(rsp.wrapping_add(24))?);
                        machine_frame = true;
                    }
                    UnwindOp::Unknown { .. } => return None,
                }
            }
            match info.chained {
                Some(next) => {
                    info = img.unwind_info(mem, &next).ok()?;
                    first = false;
                }
                None => break,
            }
        }
        if !machine_frame {
            let rsp = c.sp();
            c.set("rip", read(rsp)?);
            c.set("rsp", rsp.wrapping_add(8));
        }
        Some((c, machine_frame))
    }
}
