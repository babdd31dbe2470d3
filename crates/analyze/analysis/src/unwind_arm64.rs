//! ARM64 unwinding from the image's own `.pdata`/`.xdata` (packed or full unwind data), read
//! from dump memory or from `--images` files. The decoding and the virtual unwind live in
//! `coroner_pe::arm64`; this maps the model's registers onto them.

use crate::symbols::Symbolizer;
use coroner_model::{strip_pac, Arch, Context, ARM64_GPR};
use coroner_pe::{Arm64Regs, Arm64Step};

/// Outcome of looking for unwind data.
enum Found {
    /// The caller's context, and whether its pc is exact (restored from a saved context).
    Caller(Context, bool),
    /// The image's `.pdata` is readable and has no entry for pc: a leaf function.
    Leaf,
}

impl Symbolizer<'_, '_> {
    /// Unwinds one ARM64 frame. A function without a `.pdata` entry is a leaf whose return
    /// address is still in lr — true only for the innermost frame (or one resumed from a saved
    /// context, `exact`). `None` when the module or its unwind data is not available.
    pub(crate) fn unwind_arm64(&self, ctx: &Context, exact: bool) -> Option<(Context, bool)> {
        if ctx.arch != Arch::Arm64 {
            return None;
        }
        let snap = self.snapshot();
        let pc = ctx.pc();
        let mi = snap.module_index_at(pc)?;
        let rva = u32::try_from(pc - snap.modules[mi].base).ok()?;
        let found = self
            .with_image(mi, |img, mem| unwind_with(img, mem, snap, ctx, rva))
            .flatten()
            .or_else(|| {
                self.with_image_file(mi, |img, mem| unwind_with(img, mem, snap, ctx, rva))
                    .flatten()
            })?;
        match found {
            Found::Caller(c, restored) => Some((c, restored)),
            Found::Leaf if exact => {
                let lr = strip_pac(ctx.get("lr")?);
                if lr == pc {
                    return None;
                }
                let mut c = ctx.clone();
                c.set("pc", lr);
                Some((c, false))
            }
            Found::Leaf => None,
        }
    }
}

impl Symbolizer<'_, '_> {
    /// The function containing `addr` by the image's `.pdata` (x64 or ARM64): `[start, end)`.
    pub fn function_range(&self, addr: u64) -> Option<(u64, u64)> {
        let snap = self.snapshot();
        let mi = snap.module_index_at(addr)?;
        let base = snap.modules[mi].base;
        let rva = u32::try_from(addr - base).ok()?;
        let find = |img: &coroner_pe::PeImage, mem: &dyn coroner_pe::Memory| {
            img.runtime_function_for(mem, rva).ok().flatten()
        };
        let rf = self
            .with_image(mi, find)
            .flatten()
            .or_else(|| self.with_image_file(mi, find).flatten())?;
        (rf.end > rf.begin).then(|| (base + u64::from(rf.begin), base + u64::from(rf.end)))
    }
}

fn unwind_with(
    img: &coroner_pe::PeImage,
    mem: &dyn coroner_pe::Memory,
    snap: &coroner_model::Snapshot<'_>,
    ctx: &Context,
    rva: u32,
) -> Option<Found> {
    let rf = match img.runtime_function_for(mem, rva) {
        Ok(Some(rf)) => rf,
        Ok(None) => return Some(Found::Leaf),
        Err(_) => return None,
    };
    let info = img.arm64_unwind(mem, &rf).ok()?;
    let mut regs = Arm64Regs {
        x: [0; 31],
        sp: ctx.sp(),
        pc: ctx.pc(),
    };
    ctx.get_all(&ARM64_GPR, &mut regs.x);
    let read = |a: u64| snap.memory.read_u64(a);
    let step = coroner_pe::arm64_virtual_unwind(&info, rva - rf.begin, &mut regs, &read)?;
    let mut c = ctx.clone();
    c.set_all(&ARM64_GPR, &regs.x);
    c.set("sp", regs.sp);
    // Return addresses may carry pointer-authentication bits.
    c.set("pc", strip_pac(regs.pc));
    Some(Found::Caller(c, step == Arm64Step::Exact))
}
