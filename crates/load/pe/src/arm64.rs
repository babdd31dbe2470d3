//! ARM64 unwind data: `.pdata` entries with packed unwind data or `.xdata` records, decoded into
//! one list of unwind operations, and the virtual unwind that runs them (what
//! `RtlVirtualUnwind` does on ARM64 Windows).
//!
//! Written here because no crate reads ARM64 Windows unwind data from an image in dump memory
//! (framehop and minidump-unwind cover x64 `.pdata`, DWARF and Breakpad CFI only). Follows
//! Microsoft's "ARM64 exception handling" specification: `.xdata` header and extended header,
//! epilog scopes (or the single epilog in the header), unwind codes `alloc_s` … `pac_sign_lr`,
//! the custom stack cases (machine frame, context), and packed unwind data (`Flag` 1 and 2),
//! which is expanded into the canonical prolog's operations so both kinds share one engine.
//!
//! In a prolog or an epilog only part of the frame exists: every operation except the custom
//! stack cases stands for one instruction, so the number of instructions already executed says
//! which operations to skip — the same rule the OS applies.

use crate::{u32_at, Memory, PeError, PeImage, MACHINE_ARM64};

/// Most unwind-code bytes of one function (31 code words, or 255 in the extended header).
const MAX_CODE_BYTES: usize = 255 * 4;
/// Most epilog scopes read for one function (the format allows 65535).
const MAX_EPILOGS: usize = 4096;

/// One unwind operation, in unwind order (the reverse of the prolog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm64Op {
    /// `sp += n` (`alloc_s`, `alloc_m`, `alloc_l`, and the packed frame's `sub sp`).
    Alloc(u32),
    /// Restore `count` registers starting at `reg` from `[sp + offset]` (8 bytes each, or 16
    /// for `q` registers), then `sp += writeback` (pre-indexed stores in the prolog).
    /// `reg` 0–30 are x0–x30 (29 = fp, 30 = lr); `fp` marks d/q registers (not tracked).
    Restore {
        /// First register number.
        reg: u8,
        /// Number of consecutive registers.
        count: u8,
        /// Floating-point/SIMD registers (d8–d15, q…): only `sp` changes for the unwinder.
        fp: bool,
        /// Bytes above `sp` where the first register was stored.
        offset: u32,
        /// Bytes `sp` moves up afterwards.
        writeback: u32,
    },
    /// Restore `x(reg)` and lr from `[sp + offset]` (`save_lrpair`; packed `CR = 1` with an
    /// odd `RegI`), then `sp += writeback`.
    RestoreWithLr {
        /// The integer register (x19, x21, …).
        reg: u8,
        /// Bytes above `sp`.
        offset: u32,
        /// Bytes `sp` moves up afterwards.
        writeback: u32,
    },
    /// `sp = fp` (`set_fp`: the prolog did `mov x29, sp`).
    SetFp,
    /// `sp = fp - n` (`add_fp`: the prolog did `add x29, sp, #n`).
    AddFp(u32),
    /// `save_next`: one more `stp` of the next register pair — the pair-restoring operation
    /// that follows restores two more registers (when this one was executed).
    SaveNext,
    /// An instruction that does not touch the frame (`nop`, the `__chkstk` call, homing stores).
    Nop,
    /// `MSFT_OP_MACHINE_FRAME`: pc and sp of the interrupted code are at `[sp+8]`, `[sp]`.
    MachineFrame,
    /// `MSFT_OP_CONTEXT`: a whole ARM64 CONTEXT is at `sp`.
    Context,
    /// `MSFT_OP_CLEAR_UNWOUND_TO_CALL`: pc = lr, and pc is exact (not a return address).
    ClearUnwoundToCall,
    /// `pac_sign_lr` (or packed `CR = 2`): lr carries a pointer-authentication code.
    PacSignLr,
    /// A code this unwinder does not know (`MSFT_OP_TRAP_FRAME`, `MSFT_OP_EC_CONTEXT`,
    /// `alloc_z`, reserved codes): the frame cannot be unwound exactly.
    Unsupported(u8),
}

impl Arm64Op {
    /// Whether the operation stands for one prolog/epilog instruction (the custom stack cases
    /// do not).
    pub fn is_instruction(&self) -> bool {
        !matches!(
            self,
            Arm64Op::MachineFrame | Arm64Op::Context | Arm64Op::ClearUnwoundToCall
        )
    }
}

/// An epilog and its operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm64Epilog {
    /// Byte offset of the epilog's first instruction from the function start.
    pub start: u32,
    /// Its operations, in execution order of the epilog.
    pub ops: Vec<Arm64Op>,
}

/// The unwind data of one ARM64 function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm64Unwind {
    /// Function length in bytes.
    pub function_length: u32,
    /// Prolog operations, in unwind order (the last prolog instruction first).
    pub prolog: Vec<Arm64Op>,
    /// Epilogs (where they are known).
    pub epilogs: Vec<Arm64Epilog>,
    /// A fragment (packed `Flag = 2`, or an `.xdata` function whose first code is `end_c`
    /// chained scope): it has no prolog of its own.
    pub fragment: bool,
    /// Packed unwind data rather than an `.xdata` record.
    pub packed: bool,
    /// The `.xdata` record has an exception handler.
    pub has_handler: bool,
}

/// Registers an ARM64 virtual unwind works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arm64Regs {
    /// x0–x30 (x29 = fp, x30 = lr).
    pub x: [u64; 31],
    /// Stack pointer.
    pub sp: u64,
    /// Program counter.
    pub pc: u64,
}

/// Bytes of one unwind code starting with `b`.
fn code_len(b: u8) -> usize {
    match b {
        0x00..=0xbf => 1,
        0xc0..=0xdf => 2,
        0xe0 => 4,
        0xe2 => 2,
        0xe7 => 3,
        _ => 1,
    }
}

/// Decodes unwind codes from `codes[start..]` up to `end` (0xe4) or the end of the bytes.
pub fn decode_codes(codes: &[u8], start: usize) -> Vec<Arm64Op> {
    let mut ops = Vec::new();
    let mut i = start;
    while i < codes.len() {
        let b = codes[i];
        let len = code_len(b);
        let Some(c) = codes.get(i..i + len) else {
            ops.push(Arm64Op::Unsupported(b));
            break;
        };
        match decode_code(c) {
            Code::End => break,
            Code::Skip => {}
            Code::Op(op) => {
                ops.push(op);
                if matches!(op, Arm64Op::Unsupported(_)) {
                    break;
                }
            }
        }
        i += len;
    }
    ops
}

/// What one unwind code says: an operation, the end of the codes (`end`, 0xe4), or nothing to
/// undo (`end_c`, 0xe5: the end of a chained scope's codes).
enum Code {
    Op(Arm64Op),
    End,
    Skip,
}

/// Decodes one unwind code; `c` holds its [`code_len`] bytes.
fn decode_code(c: &[u8]) -> Code {
    let b = c[0];
    let v = if c.len() >= 2 {
        u32::from(c[0]) << 8 | u32::from(c[1])
    } else {
        u32::from(b)
    };
    let pair = 2;
    Code::Op(match b {
        0x00..=0x1f => Arm64Op::Alloc(u32::from(b & 0x1f) * 16),
        // save_r19r20_x: stp x19,x20,[sp,#-Z*8]!
        0x20..=0x3f => Arm64Op::Restore {
            reg: 19,
            count: pair,
            fp: false,
            offset: 0,
            writeback: u32::from(b & 0x1f) * 8,
        },
        // save_fplr: stp x29,lr,[sp,#Z*8]
        0x40..=0x7f => Arm64Op::Restore {
            reg: 29,
            count: 2,
            fp: false,
            offset: u32::from(b & 0x3f) * 8,
            writeback: 0,
        },
        // save_fplr_x: stp x29,lr,[sp,#-(Z+1)*8]!
        0x80..=0xbf => Arm64Op::Restore {
            reg: 29,
            count: 2,
            fp: false,
            offset: 0,
            writeback: (u32::from(b & 0x3f) + 1) * 8,
        },
        0xc0..=0xc7 => Arm64Op::Alloc((v & 0x7ff) * 16),
        0xc8..=0xde => save_reg(b, v),
        0xe0 => Arm64Op::Alloc(
            (u32::from(c[1]) << 16 | u32::from(c[2]) << 8 | u32::from(c[3])).saturating_mul(16),
        ),
        0xe1 => Arm64Op::SetFp,
        0xe2 => Arm64Op::AddFp((v & 0xff) * 8),
        0xe3 => Arm64Op::Nop,
        0xe4 => return Code::End,
        // end_c: the end of this chained scope's codes; nothing to undo.
        0xe5 => return Code::Skip,
        0xe6 => Arm64Op::SaveNext,
        0xe7 => save_any_reg(c),
        0xe9 => Arm64Op::MachineFrame,
        0xea => Arm64Op::Context,
        0xec => Arm64Op::ClearUnwoundToCall,
        0xfc => Arm64Op::PacSignLr,
        other => Arm64Op::Unsupported(other),
    })
}

/// The register saves 0xc8–0xde (x19–x28 and lr pairs, d8–d15); `v` is the code's two bytes.
fn save_reg(b: u8, v: u32) -> Arm64Op {
    let pair = 2;
    match b {
        // save_regp / save_regp_x / save_reg / save_reg_x / save_lrpair
        0xc8..=0xcb => Arm64Op::Restore {
            reg: 19 + ((v >> 6) & 0xf) as u8,
            count: pair,
            fp: false,
            offset: (v & 0x3f) * 8,
            writeback: 0,
        },
        0xcc..=0xcf => Arm64Op::Restore {
            reg: 19 + ((v >> 6) & 0xf) as u8,
            count: pair,
            fp: false,
            offset: 0,
            writeback: ((v & 0x3f) + 1) * 8,
        },
        0xd0..=0xd3 => Arm64Op::Restore {
            reg: 19 + ((v >> 6) & 0xf) as u8,
            count: 1,
            fp: false,
            offset: (v & 0x3f) * 8,
            writeback: 0,
        },
        0xd4..=0xd5 => Arm64Op::Restore {
            reg: 19 + ((v >> 5) & 0xf) as u8,
            count: 1,
            fp: false,
            offset: 0,
            writeback: ((v & 0x1f) + 1) * 8,
        },
        0xd6..=0xd7 => Arm64Op::RestoreWithLr {
            reg: 19 + 2 * ((v >> 6) & 0x7) as u8,
            offset: (v & 0x3f) * 8,
            writeback: 0,
        },
        // save_fregp / save_fregp_x / save_freg / save_freg_x (d8–d15)
        0xd8..=0xd9 => Arm64Op::Restore {
            reg: 8 + ((v >> 6) & 0x7) as u8,
            count: pair,
            fp: true,
            offset: (v & 0x3f) * 8,
            writeback: 0,
        },
        0xda..=0xdb => Arm64Op::Restore {
            reg: 8 + ((v >> 6) & 0x7) as u8,
            count: pair,
            fp: true,
            offset: 0,
            writeback: ((v & 0x3f) + 1) * 8,
        },
        0xdc..=0xdd => Arm64Op::Restore {
            reg: 8 + ((v >> 6) & 0x7) as u8,
            count: 1,
            fp: true,
            offset: (v & 0x3f) * 8,
            writeback: 0,
        },
        0xde => Arm64Op::Restore {
            reg: 8 + ((v >> 5) & 0x7) as u8,
            count: 1,
            fp: true,
            offset: 0,
            writeback: ((v & 0x1f) + 1) * 8,
        },
        _ => Arm64Op::Unsupported(b),
    }
}

/// save_any_reg (0xe7; `c` holds its three bytes): 0pxrrrrr ffoooooo — p: a pair, x:
/// pre-indexed (writeback), ff: x / d / q registers; offsets in 16-byte units for pairs,
/// writebacks and q registers, else 8.
fn save_any_reg(c: &[u8]) -> Arm64Op {
    let (b, pair) = (c[0], 2);
    let (r, t) = (c[1], c[2]);
    let is_pair = r & 0x40 != 0;
    let wb = r & 0x20 != 0;
    let o = u32::from(t & 0x3f);
    let class = t >> 6;
    let unit = if is_pair || wb || class == 2 { 16 } else { 8 };
    if class > 2 {
        Arm64Op::Unsupported(b)
    } else {
        Arm64Op::Restore {
            reg: r & 0x1f,
            count: if is_pair { pair } else { 1 },
            fp: class != 0,
            offset: if wb { 0 } else { o * unit },
            writeback: if wb { (o + 1) * 16 } else { 0 },
        }
    }
}

/// Expands packed unwind data (the `.pdata` entry's second word, `Flag` 1 or 2) into the
/// operations of the canonical prolog it describes, in unwind order.
pub fn expand_packed(word: u32) -> Arm64Unwind {
    let p = Packed::decode(word);
    let mut ops = Vec::new();
    push_locals(&mut ops, &p);
    push_homing(&mut ops, &p);
    push_fp_saves(&mut ops, &p);
    push_int_saves(&mut ops, &p);
    if p.cr == 2 {
        ops.push(Arm64Op::PacSignLr); // pacibsp, the first prolog instruction
    }
    let epilog = packed_epilog(&ops, p.h);
    let epilog_len = (epilog.iter().filter(|o| o.is_instruction()).count() as u32 + 1) * 4;
    Arm64Unwind {
        function_length: p.function_length,
        prolog: ops,
        epilogs: if p.flag == 1 {
            vec![Arm64Epilog {
                start: p.function_length.saturating_sub(epilog_len),
                ops: epilog,
            }]
        } else {
            Vec::new()
        },
        fragment: p.flag == 2,
        packed: true,
        has_handler: false,
    }
}

/// The fields of a packed unwind word and the frame layout they imply.
struct Packed {
    flag: u32,
    function_length: u32,
    reg_i: u32,
    /// H: x0–x7 are homed.
    h: bool,
    /// CR: 0 no lr saved, 1 lr saved with the integer registers, 2 pac-signed lr and a frame
    /// chain, 3 a frame chain.
    cr: u32,
    /// Integer registers saved, lr included when CR = 1.
    int_regs: u32,
    /// Floating-point registers saved (d8 up).
    fp_regs: u32,
    int_size: u32,
    /// The register save area (integer, floating point, homed parameters), 16-byte aligned.
    save_size: u32,
    /// The frame beyond the save area.
    local: u32,
}

impl Packed {
    fn decode(word: u32) -> Packed {
        let flag = word & 3;
        let function_length = ((word >> 2) & 0x7ff) * 4;
        let reg_f = (word >> 13) & 7;
        let reg_i = (word >> 16) & 0xf;
        let h = (word >> 20) & 1 != 0;
        let cr = (word >> 21) & 3;
        let frame_size = ((word >> 23) & 0x1ff) * 16;

        let int_regs = reg_i + u32::from(cr == 1); // lr is saved with the integer registers
        let fp_regs = if reg_f > 0 { reg_f + 1 } else { 0 };
        let int_size = int_regs * 8;
        let save_size = (int_size + fp_regs * 8 + if h { 64 } else { 0 } + 15) & !15;
        let local = frame_size.saturating_sub(save_size);
        Packed {
            flag,
            function_length,
            reg_i,
            h,
            cr,
            int_regs,
            fp_regs,
            int_size,
            save_size,
            local,
        }
    }
}

/// Locals (the last part of the prolog, so the first to undo), with the frame chain when CR
/// is 2 or 3.
fn push_locals(ops: &mut Vec<Arm64Op>, p: &Packed) {
    match p.cr {
        2 | 3 => {
            ops.push(Arm64Op::SetFp); // mov x29, sp
            if p.local <= 512 {
                // stp x29, lr, [sp, #-local]!
                ops.push(Arm64Op::Restore {
                    reg: 29,
                    count: 2,
                    fp: false,
                    offset: 0,
                    writeback: p.local,
                });
            } else {
                ops.push(Arm64Op::Restore {
                    reg: 29,
                    count: 2,
                    fp: false,
                    offset: 0,
                    writeback: 0,
                });
                push_local_alloc(ops, p.local);
            }
        }
        _ => push_local_alloc(ops, p.local),
    }
}

/// Homed parameters x0-x7: four stores that need no undoing.
fn push_homing(ops: &mut Vec<Arm64Op>, p: &Packed) {
    if p.h {
        ops.extend([Arm64Op::Nop; 4]);
        if p.int_regs == 0 && p.fp_regs == 0 {
            // The first homing store is then the one that allocates the save area.
            ops.pop();
            ops.push(Arm64Op::Alloc(p.save_size));
        }
    }
}

/// Floating-point registers d8..d(8+RegF).
fn push_fp_saves(ops: &mut Vec<Arm64Op>, p: &Packed) {
    let (int_regs, fp_regs) = (p.int_regs, p.fp_regs);
    if fp_regs == 0 {
        return;
    }
    if fp_regs % 2 == 1 {
        ops.push(Arm64Op::Restore {
            reg: (8 + fp_regs - 1) as u8,
            count: 1,
            fp: true,
            offset: (int_regs + fp_regs - 1) * 8,
            writeback: 0,
        });
    }
    for i in (0..fp_regs / 2).rev() {
        ops.push(if i == 0 && p.int_size == 0 {
            Arm64Op::Restore {
                reg: 8,
                count: 2,
                fp: true,
                offset: 0,
                writeback: p.save_size,
            }
        } else {
            Arm64Op::Restore {
                reg: (8 + 2 * i) as u8,
                count: 2,
                fp: true,
                offset: (int_regs + 2 * i) * 8,
                writeback: 0,
            }
        });
    }
}

/// Integer registers x19..x(19+RegI-1), with lr after them when CR = 1; the first store
/// allocates the save area.
fn push_int_saves(ops: &mut Vec<Arm64Op>, p: &Packed) {
    let (reg_i, cr, save_size) = (p.reg_i, p.cr, p.save_size);
    let first_wb = |offset_if_not_first: u32, is_first: bool| {
        if is_first {
            (0, save_size)
        } else {
            (offset_if_not_first, 0)
        }
    };
    if reg_i % 2 == 1 {
        // str x(18+RegI) — or stp x(18+RegI), lr when CR = 1 — after the pairs; pre-indexed
        // when it is the only integer register.
        let (offset, writeback) = first_wb((reg_i - 1) * 8, reg_i == 1);
        let reg = (18 + reg_i) as u8;
        ops.push(if cr == 1 {
            Arm64Op::RestoreWithLr {
                reg,
                offset,
                writeback,
            }
        } else {
            Arm64Op::Restore {
                reg,
                count: 1,
                fp: false,
                offset,
                writeback,
            }
        });
    } else if cr == 1 {
        // str lr, [sp, #int_size-8] (or str lr, [sp, #-save_size]! with no other register).
        let (offset, writeback) = first_wb((p.int_regs - 1) * 8, reg_i == 0);
        ops.push(Arm64Op::Restore {
            reg: 30,
            count: 1,
            fp: false,
            offset,
            writeback,
        });
    }
    for i in (0..reg_i / 2).rev() {
        ops.push(if i == 0 {
            Arm64Op::Restore {
                reg: 19,
                count: 2,
                fp: false,
                offset: 0,
                writeback: save_size,
            }
        } else {
            Arm64Op::Restore {
                reg: (19 + 2 * i) as u8,
                count: 2,
                fp: false,
                offset: 2 * i * 8,
                writeback: 0,
            }
        });
    }
}

/// The epilog mirrors the prolog without the homing stores (`h`), followed by `ret`; it ends
/// the function.
fn packed_epilog(prolog: &[Arm64Op], h: bool) -> Vec<Arm64Op> {
    let mut e = prolog.to_vec();
    if h {
        let mut skipped = 0;
        e.retain(|o| {
            if *o == Arm64Op::Nop && skipped < 4 {
                skipped += 1;
                false
            } else {
                true
            }
        });
    }
    e
}

/// The packed frame's local allocation: one `sub sp` up to 4088 bytes, two beyond.
fn push_local_alloc(ops: &mut Vec<Arm64Op>, local: u32) {
    if local == 0 {
        return;
    }
    if local > 4088 {
        ops.push(Arm64Op::Alloc(local - 4088));
        ops.push(Arm64Op::Alloc(4088));
    } else {
        ops.push(Arm64Op::Alloc(local));
    }
}

impl PeImage {
    /// The unwind data of an ARM64 `.pdata` entry: packed data expanded, or the `.xdata`
    /// record decoded (header, extended header, epilog scopes, codes).
    pub fn arm64_unwind(
        &self,
        mem: &dyn Memory,
        rf: &crate::RuntimeFunction,
    ) -> Result<Arm64Unwind, PeError> {
        if self.machine != MACHINE_ARM64 {
            return Err(PeError::Unsupported(
                "ARM64 unwind data in a non-ARM64 image",
            ));
        }
        if rf.unwind & 3 != 0 {
            return Ok(expand_packed(rf.unwind));
        }
        let rva = rf.unwind;
        let unreadable = |len| PeError::Unreadable {
            what: ".xdata",
            addr: u64::from(rva),
            len,
        };
        let head = self.read_rva(mem, rva, 4).ok_or_else(|| unreadable(4))?;
        let w = u32_at(&head, 0).ok_or_else(|| unreadable(4))?;
        let function_length = (w & 0x3_ffff) * 4;
        let has_handler = (w >> 20) & 1 != 0;
        let epilog_in_header = (w >> 21) & 1 != 0;
        let mut epilog_count = (w >> 22) & 0x1f;
        let mut code_words = (w >> 27) & 0x1f;
        let mut at = rva.checked_add(4).ok_or_else(|| unreadable(4))?;
        if epilog_count == 0 && code_words == 0 {
            let ext = self.read_rva(mem, at, 4).ok_or_else(|| unreadable(8))?;
            let e = u32_at(&ext, 0).ok_or_else(|| unreadable(8))?;
            epilog_count = e & 0xffff;
            code_words = (e >> 16) & 0xff;
            at = at.checked_add(4).ok_or_else(|| unreadable(8))?;
        }
        let scopes: Vec<(u32, usize)> = if epilog_in_header {
            Vec::new()
        } else {
            let n = (epilog_count as usize).min(MAX_EPILOGS);
            let b = self
                .read_rva(mem, at, n * 4)
                .ok_or_else(|| unreadable(n * 4))?;
            at = at
                .checked_add(epilog_count.saturating_mul(4))
                .ok_or_else(|| unreadable(n * 4))?;
            b.chunks_exact(4)
                .filter_map(|c| u32_at(c, 0))
                .map(|s| ((s & 0x3_ffff) * 4, (s >> 22) as usize))
                .collect()
        };
        let nbytes = (code_words as usize * 4).min(MAX_CODE_BYTES);
        let codes = self
            .read_rva(mem, at, nbytes)
            .ok_or_else(|| unreadable(nbytes))?;
        let prolog = decode_codes(&codes, 0);
        let fragment = codes.first() == Some(&0xe5);
        let mut epilogs: Vec<Arm64Epilog> = scopes
            .into_iter()
            .filter(|(_, index)| *index < codes.len())
            .map(|(start, index)| Arm64Epilog {
                start,
                ops: decode_codes(&codes, index),
            })
            .collect();
        if epilog_in_header && (epilog_count as usize) < codes.len() {
            // One epilog at the end of the function; its codes start at index EpilogCount.
            let ops = decode_codes(&codes, epilog_count as usize);
            let len = (ops.iter().filter(|o| o.is_instruction()).count() as u32 + 1) * 4;
            epilogs.push(Arm64Epilog {
                start: function_length.saturating_sub(len),
                ops,
            });
        }
        Ok(Arm64Unwind {
            function_length,
            prolog,
            epilogs,
            fragment,
            packed: false,
            has_handler,
        })
    }
}

/// What one unwind step produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm64Step {
    /// The caller's registers; `pc` is a return address (the caller continues after a call).
    Return,
    /// The registers of interrupted code (machine frame, context, clear-unwound-to-call):
    /// `pc` is exact.
    Exact,
}

/// Unwinds one ARM64 frame: `offset` is the byte offset of `regs.pc` in its function. On
/// success `regs` holds the caller's registers. `read` reads 8 bytes of memory.
pub fn arm64_virtual_unwind(
    info: &Arm64Unwind,
    offset: u32,
    regs: &mut Arm64Regs,
    read: &dyn Fn(u64) -> Option<u64>,
) -> Option<Arm64Step> {
    let insns_done = |ops: &[Arm64Op]| ops.iter().filter(|o| o.is_instruction()).count() as u32;
    // In the prolog: only the instructions already executed are undone.
    let prolog_len = insns_done(&info.prolog) * 4;
    let (ops, skip): (&[Arm64Op], u32) = if !info.fragment && offset < prolog_len {
        (&info.prolog, (prolog_len - offset) / 4)
    } else if let Some(e) = info
        .epilogs
        .iter()
        .find(|e| offset >= e.start && offset <= e.start + insns_done(&e.ops) * 4)
    {
        // In an epilog: the instructions already executed have undone their part.
        (&e.ops, (offset - e.start) / 4)
    } else {
        (&info.prolog, 0)
    };
    run_ops(ops, skip, regs, read)
}

fn run_ops(
    ops: &[Arm64Op],
    mut skip: u32,
    regs: &mut Arm64Regs,
    read: &dyn Fn(u64) -> Option<u64>,
) -> Option<Arm64Step> {
    let mut step = Arm64Step::Return;
    let mut pc_from_lr = true;
    // Registers added to the next pair by executed `save_next` instructions.
    let mut extra = 0u8;
    for op in ops {
        if skip > 0 && op.is_instruction() {
            skip -= 1;
            continue;
        }
        let op = match *op {
            Arm64Op::SaveNext => {
                extra = extra.saturating_add(2);
                continue;
            }
            Arm64Op::Restore {
                reg,
                count: 2,
                fp,
                offset,
                writeback,
            } if reg != 29 => Arm64Op::Restore {
                reg,
                count: 2 + std::mem::take(&mut extra),
                fp,
                offset,
                writeback,
            },
            other => other,
        };
        match op {
            Arm64Op::Alloc(n) => regs.sp = regs.sp.wrapping_add(u64::from(n)),
            Arm64Op::Restore {
                reg,
                count,
                fp,
                offset,
                writeback,
            } => {
                if !fp {
                    for i in 0..u64::from(count) {
                        let r = usize::from(reg) + i as usize;
                        let v = read(regs.sp.wrapping_add(u64::from(offset)).wrapping_add(8 * i))?;
                        if let Some(slot) = regs.x.get_mut(r) {
                            *slot = v;
                        }
                    }
                }
                regs.sp = regs.sp.wrapping_add(u64::from(writeback));
            }
            Arm64Op::RestoreWithLr {
                reg,
                offset,
                writeback,
            } => {
                let at = regs.sp.wrapping_add(u64::from(offset));
                let v = read(at)?;
                let lr = read(at.wrapping_add(8))?;
                if let Some(slot) = regs.x.get_mut(usize::from(reg)) {
                    *slot = v;
                }
                regs.x[30] = lr;
                regs.sp = regs.sp.wrapping_add(u64::from(writeback));
            }
            Arm64Op::SetFp => regs.sp = regs.x[29],
            Arm64Op::AddFp(n) => regs.sp = regs.x[29].wrapping_sub(u64::from(n)),
            Arm64Op::Nop | Arm64Op::SaveNext => {}
            Arm64Op::MachineFrame => {
                let sp = regs.sp;
                regs.pc = read(sp.wrapping_add(8))?;
                regs.sp = read(sp)?;
                pc_from_lr = false;
                step = Arm64Step::Exact;
            }
            Arm64Op::Context => {
                // ARM64 CONTEXT: x0..x28 at 8, fp/lr at 0xf0/0xf8, sp 0x100, pc 0x108.
                let base = regs.sp;
                for i in 0..31u64 {
                    regs.x[i as usize] = read(base.wrapping_add(8 + 8 * i))?;
                }
                regs.sp = read(base.wrapping_add(0x100))?;
                regs.pc = read(base.wrapping_add(0x108))?;
                pc_from_lr = false;
                step = Arm64Step::Exact;
            }
            Arm64Op::ClearUnwoundToCall => {
                regs.pc = regs.x[30];
                pc_from_lr = false;
                step = Arm64Step::Exact;
            }
            // The authentication code sits in lr's top bits; user addresses fit in 48 bits.
            Arm64Op::PacSignLr => regs.x[30] &= 0x0000_ffff_ffff_ffff,
            Arm64Op::Unsupported(_) => return None,
        }
    }
    if pc_from_lr {
        regs.pc = regs.x[30];
    }
    Some(step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A forward model of the canonical prolog that packed unwind data describes (Microsoft's
    /// "ARM64 exception handling", packed unwind data): the instructions in prolog order, each
    /// as (stores relative to the new sp, sp change). Written in the prolog's direction so that
    /// it checks `expand_packed`, which works backwards.
    fn canonical_prolog(reg_f: u32, reg_i: u32, h: bool, cr: u32, frame: u32) -> Vec<Insn> {
        let int_size = (reg_i + u32::from(cr == 1)) * 8;
        let fp_count = if reg_f > 0 { reg_f + 1 } else { 0 };
        let save = (int_size + fp_count * 8 + if h { 64 } else { 0 } + 15) & !15;
        let local = frame - save;
        let mut p = Vec::new();
        let mut first = true;
        // A store of `regs` at `off`; the first store of the save area allocates it.
        let mut store = |p: &mut Vec<Insn>, regs: Vec<Reg>, off: u32| {
            if std::mem::take(&mut first) {
                p.push(Insn {
                    regs,
                    at: 0,
                    sub: save,
                });
            } else {
                p.push(Insn {
                    regs,
                    at: off,
                    sub: 0,
                });
            }
        };
        if cr == 2 {
            p.push(Insn {
                regs: vec![],
                at: 0,
                sub: 0,
            }); // pacibsp
        }
        let mut i = 0;
        while i + 1 < reg_i {
            store(&mut p, vec![Reg::X(19 + i), Reg::X(20 + i)], i * 8);
            i += 2;
        }
        if reg_i % 2 == 1 {
            let mut regs = vec![Reg::X(18 + reg_i)];
            if cr == 1 {
                regs.push(Reg::X(30));
            }
            store(&mut p, regs, (reg_i - 1) * 8);
        } else if cr == 1 {
            store(&mut p, vec![Reg::X(30)], reg_i * 8);
        }
        let mut f = 0;
        while f + 1 < fp_count {
            store(&mut p, vec![Reg::D, Reg::D], int_size + f * 8);
            f += 2;
        }
        if fp_count % 2 == 1 {
            store(&mut p, vec![Reg::D], int_size + f * 8);
        }
        if h {
            for k in 0..4 {
                store(
                    &mut p,
                    vec![Reg::Home, Reg::Home],
                    int_size + fp_count * 8 + k * 16,
                );
            }
        }
        let fplr = vec![Reg::X(29), Reg::X(30)];
        match cr {
            2 | 3 if local <= 512 => {
                p.push(Insn {
                    regs: fplr,
                    at: 0,
                    sub: local,
                });
                p.push(Insn {
                    regs: vec![Reg::MovFp],
                    at: 0,
                    sub: 0,
                });
            }
            _ => {
                if local > 4088 {
                    p.push(Insn {
                        regs: vec![],
                        at: 0,
                        sub: 4088,
                    });
                    p.push(Insn {
                        regs: vec![],
                        at: 0,
                        sub: local - 4088,
                    });
                } else if local > 0 {
                    p.push(Insn {
                        regs: vec![],
                        at: 0,
                        sub: local,
                    });
                }
                if cr >= 2 {
                    p.push(Insn {
                        regs: fplr,
                        at: 0,
                        sub: 0,
                    });
                    p.push(Insn {
                        regs: vec![Reg::MovFp],
                        at: 0,
                        sub: 0,
                    });
                }
            }
        }
        p
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Reg {
        X(u32),
        D,
        Home,
        MovFp,
    }

    struct Insn {
        regs: Vec<Reg>,
        at: u32,
        sub: u32,
    }

    fn value_of(r: u32) -> u64 {
        0x1000 + u64::from(r)
    }

    /// Runs the first `n` prolog instructions from a known state; returns registers and memory.
    fn run_prolog(p: &[Insn], n: usize) -> (Arm64Regs, HashMap<u64, u64>) {
        let mut regs = Arm64Regs {
            x: std::array::from_fn(|i| value_of(i as u32)),
            sp: 0x10_0000,
            pc: 0,
        };
        let mut mem = HashMap::new();
        for insn in &p[..n] {
            regs.sp -= u64::from(insn.sub);
            for (k, r) in insn.regs.iter().enumerate() {
                let addr = regs.sp + u64::from(insn.at) + 8 * k as u64;
                match r {
                    Reg::X(x) => {
                        mem.insert(addr, regs.x[*x as usize]);
                    }
                    Reg::D | Reg::Home => {
                        mem.insert(addr, 0xdddd);
                    }
                    Reg::MovFp => regs.x[29] = regs.sp,
                }
            }
        }
        // The body then clobbers the callee-saved registers it saved (but x29 once it is the
        // frame pointer).
        let has_fp = p[..n].iter().any(|i| i.regs.contains(&Reg::MovFp));
        for r in 19..=30 {
            if r == 29 && has_fp {
                continue;
            }
            if p[..n].iter().any(|i| i.regs.contains(&Reg::X(r))) {
                regs.x[r as usize] = 0xbad;
            }
        }
        (regs, mem)
    }

    #[test]
    fn packed_unwind_data_undoes_every_prefix_of_its_canonical_prolog() {
        let mut cases = 0;
        for cr in 0..4u32 {
            for reg_i in 0..=10u32 {
                for reg_f in 0..=7u32 {
                    for h in [false, true] {
                        let int_size = (reg_i + u32::from(cr == 1)) * 8;
                        let fp_count = if reg_f > 0 { reg_f + 1 } else { 0 };
                        let save = (int_size + fp_count * 8 + if h { 64 } else { 0 } + 15) & !15;
                        let min = save + if cr >= 2 { 16 } else { 0 };
                        for frame in [min, min + 16, min + 496, min + 512, min + 4096, 8176] {
                            if frame < min || frame > 8176 || (cr >= 2 && frame == save) {
                                continue;
                            }
                            let prolog = canonical_prolog(reg_f, reg_i, h, cr, frame);
                            let word = 1
                                | (400 << 2)
                                | reg_f << 13
                                | reg_i << 16
                                | u32::from(h) << 20
                                | cr << 21
                                | (frame / 16) << 23;
                            let info = expand_packed(word);
                            let total = info.prolog.iter().filter(|o| o.is_instruction()).count();
                            assert_eq!(
                                total,
                                prolog.len(),
                                "prolog length, cr={cr} regI={reg_i} regF={reg_f} h={h} frame={frame}: {:?}",
                                info.prolog
                            );
                            for n in 0..=prolog.len() {
                                let (mut regs, mem) = run_prolog(&prolog, n);
                                let read = |a: u64| mem.get(&a).copied();
                                let offset = if n == prolog.len() {
                                    200 * 4
                                } else {
                                    n as u32 * 4
                                };
                                arm64_virtual_unwind(&info, offset, &mut regs, &read)
                                    .unwrap_or_else(|| {
                                        panic!("cr={cr} regI={reg_i} regF={reg_f} h={h} frame={frame} n={n}")
                                    });
                                let ctx = format!(
                                    "cr={cr} regI={reg_i} regF={reg_f} h={h} frame={frame} after {n} instructions"
                                );
                                assert_eq!(regs.sp, 0x10_0000, "sp, {ctx}");
                                assert_eq!(regs.pc, value_of(30), "pc, {ctx}");
                                for r in 19..=29 {
                                    assert_eq!(regs.x[r], value_of(r as u32), "x{r}, {ctx}");
                                }
                                cases += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(cases > 10_000, "{cases}");
    }

    fn regs() -> Arm64Regs {
        Arm64Regs {
            x: std::array::from_fn(|i| 0xa000 + i as u64),
            sp: 0x8000,
            pc: 0x1234,
        }
    }

    fn mem(words: &[(u64, u64)]) -> HashMap<u64, u64> {
        words.iter().copied().collect()
    }

    #[test]
    fn unwind_codes_decode_and_run_as_specified() {
        // save_lrpair x21,lr at [sp+16]; alloc_s 32; end.
        let ops = decode_codes(&[0xd6, 0x42, 0x02, 0xe4, 0x99], 0);
        assert_eq!(
            ops,
            vec![
                Arm64Op::RestoreWithLr {
                    reg: 21,
                    offset: 16,
                    writeback: 0
                },
                Arm64Op::Alloc(32)
            ]
        );
        let m = mem(&[(0x8010, 21), (0x8018, 0x5000)]);
        let mut r = regs();
        let info = Arm64Unwind {
            function_length: 400,
            prolog: ops,
            epilogs: vec![],
            fragment: false,
            packed: false,
            has_handler: false,
        };
        let read = |a: u64| m.get(&a).copied();
        assert_eq!(
            arm64_virtual_unwind(&info, 100, &mut r, &read),
            Some(Arm64Step::Return)
        );
        assert_eq!((r.x[21], r.x[30], r.pc, r.sp), (21, 0x5000, 0x5000, 0x8020));

        // save_any_reg: a pair x22,x23 pre-indexed by (1+1)*16; alloc_l 0x10000; add_fp 16.
        let ops = decode_codes(&[0xe7, 0x76, 0x01, 0xe0, 0x00, 0x10, 0x00, 0xe2, 0x02], 0);
        assert_eq!(
            ops,
            vec![
                Arm64Op::Restore {
                    reg: 22,
                    count: 2,
                    fp: false,
                    offset: 0,
                    writeback: 32
                },
                Arm64Op::Alloc(0x10000),
                Arm64Op::AddFp(16),
            ]
        );
        // alloc_m, save_fregp_x d10,d11, save_freg d12, save_next then save_regp x19.. (4 regs).
        let ops = decode_codes(
            &[0xc1, 0x00, 0xda, 0x83, 0xdd, 0x02, 0xe6, 0xc8, 0x02, 0xe4],
            0,
        );
        assert_eq!(ops[0], Arm64Op::Alloc(0x1000));
        assert_eq!(
            ops[1],
            Arm64Op::Restore {
                reg: 10,
                count: 2,
                fp: true,
                offset: 0,
                writeback: 32
            }
        );
        assert_eq!(
            ops[2],
            Arm64Op::Restore {
                reg: 12,
                count: 1,
                fp: true,
                offset: 16,
                writeback: 0
            }
        );
        assert_eq!(ops[3], Arm64Op::SaveNext);
        let m = mem(&[(0x9030, 19), (0x9038, 20), (0x9040, 21), (0x9048, 22)]);
        let mut r = regs();
        r.sp = 0x8000;
        let base = r.sp;
        let read = |a: u64| m.get(&a).copied();
        let info = Arm64Unwind {
            prolog: ops,
            ..info.clone()
        };
        arm64_virtual_unwind(&info, 100, &mut r, &read).unwrap();
        assert_eq!(r.sp, base + 0x1000 + 32);
        assert_eq!(&r.x[19..23], &[19, 20, 21, 22]);

        // MSFT_OP_MACHINE_FRAME: sp and pc of the interrupted code at [sp], [sp+8].
        let m = mem(&[(0x8000, 0x7000), (0x8008, 0x4444)]);
        let read = |a: u64| m.get(&a).copied();
        let mut r = regs();
        let info = Arm64Unwind {
            prolog: decode_codes(&[0xe9, 0xe4], 0),
            ..info.clone()
        };
        assert_eq!(
            arm64_virtual_unwind(&info, 100, &mut r, &read),
            Some(Arm64Step::Exact)
        );
        assert_eq!((r.pc, r.sp), (0x4444, 0x7000));

        // MSFT_OP_CONTEXT: a whole CONTEXT at sp.
        let mut words = vec![(0x8000 + 0x100, 0x6000), (0x8000 + 0x108, 0x4321)];
        words.extend((0..31u64).map(|i| (0x8008 + 8 * i, 0xc000 + i)));
        let m = mem(&words);
        let read = |a: u64| m.get(&a).copied();
        let mut r = regs();
        let info = Arm64Unwind {
            prolog: decode_codes(&[0xea], 0),
            ..info.clone()
        };
        assert_eq!(
            arm64_virtual_unwind(&info, 100, &mut r, &read),
            Some(Arm64Step::Exact)
        );
        assert_eq!(
            (r.pc, r.sp, r.x[19], r.x[30]),
            (0x4321, 0x6000, 0xc013, 0xc01e)
        );

        // Unknown codes (MSFT_OP_TRAP_FRAME) end the unwind instead of guessing; truncated
        // multi-byte codes too.
        let info = Arm64Unwind {
            prolog: decode_codes(&[0xe8], 0),
            ..info.clone()
        };
        assert_eq!(arm64_virtual_unwind(&info, 100, &mut regs(), &read), None);
        assert_eq!(
            decode_codes(&[0xe0, 0x01], 0),
            vec![Arm64Op::Unsupported(0xe0)]
        );
    }

    #[test]
    fn epilogs_undo_only_what_they_have_not_undone_yet() {
        // Prolog: stp x19,x20,[sp,#-32]!; stp fp,lr,[sp,#16]; add fp,sp,#16 — and the epilog
        // at offset 40: ldp fp,lr,[sp,#16]; ldp x19,x20,[sp],#32; ret.
        let prolog = decode_codes(&[0xe2, 0x02, 0x42, 0x24, 0xe4], 0);
        let epilog = decode_codes(&[0x42, 0x24, 0xe4], 0);
        let info = Arm64Unwind {
            function_length: 52,
            prolog,
            epilogs: vec![Arm64Epilog {
                start: 40,
                ops: epilog,
            }],
            fragment: false,
            packed: false,
            has_handler: false,
        };
        let m = mem(&[
            (0x7fe0, 19),
            (0x7fe8, 20),
            (0x7ff0, 0x7ff0_0000),
            (0x7ff8, 0x5000),
        ]);
        let read = |a: u64| m.get(&a).copied();
        // Body: sp = 0x7fe0, fp = 0x7ff0.
        let mut r = regs();
        r.sp = 0x7fe0;
        r.x[29] = 0x7ff0;
        arm64_virtual_unwind(&info, 20, &mut r, &read).unwrap();
        assert_eq!(
            (r.sp, r.pc, r.x[19], r.x[29]),
            (0x8000, 0x5000, 19, 0x7ff0_0000)
        );
        // After the first epilog instruction: fp and lr already reloaded.
        let mut r = regs();
        r.sp = 0x7fe0;
        r.x[29] = 0x1;
        r.x[30] = 0x5000;
        arm64_virtual_unwind(&info, 44, &mut r, &read).unwrap();
        assert_eq!((r.sp, r.pc, r.x[19], r.x[29]), (0x8000, 0x5000, 19, 0x1));
        // At the `ret`: nothing left to undo.
        let mut r = regs();
        r.x[30] = 0x5000;
        arm64_virtual_unwind(&info, 48, &mut r, &read).unwrap();
        assert_eq!((r.sp, r.pc), (0x8000, 0x5000));
    }
}
