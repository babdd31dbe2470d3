//! Exception directory (`.pdata`) and x64 `UNWIND_INFO`.

use crate::{
    u16_at, u32_at, Memory, PeError, PeImage, DIR_EXCEPTION, MACHINE_AMD64, MACHINE_ARM64,
};

/// Cap on `.pdata` entries (2M entries = 24 MiB of x64 `.pdata`).
pub const MAX_RUNTIME_FUNCTIONS: usize = 1 << 21;
/// Function has an exception handler.
pub const UNW_FLAG_EHANDLER: u8 = 1;
/// Function has a termination handler.
pub const UNW_FLAG_UHANDLER: u8 = 2;
/// Unwind info is chained to a previous `RUNTIME_FUNCTION`.
pub const UNW_FLAG_CHAININFO: u8 = 4;

/// One `.pdata` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RuntimeFunction {
    /// RVA of the function start.
    pub begin: u32,
    /// RVA one past the function end. ARM64: computed from packed unwind
    /// data or the `.xdata` header; equals `begin` when that was unreadable.
    pub end: u32,
    /// x64: RVA of `UNWIND_INFO`. ARM64: the raw `UnwindData` word (low two
    /// bits 0: RVA of `.xdata`; otherwise packed unwind data).
    pub unwind: u32,
}

impl RuntimeFunction {
    /// True if `rva` lies in `[begin, end)`.
    pub fn contains(&self, rva: u32) -> bool {
        self.begin <= rva && rva < self.end
    }
}

/// Find the entry containing `rva` in entries sorted by `begin`.
pub fn lookup_runtime_function(funcs: &[RuntimeFunction], rva: u32) -> Option<&RuntimeFunction> {
    let p = funcs.partition_point(|f| f.begin <= rva);
    funcs.get(p.checked_sub(1)?).filter(|f| f.contains(rva))
}

/// A decoded x64 unwind operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnwindOp {
    /// `UWOP_PUSH_NONVOL`: push of integer register `reg` (0=RAX .. 15=R15).
    PushNonVol {
        /// Register number.
        reg: u8,
    },
    /// `UWOP_ALLOC_LARGE`: stack allocation of `size` bytes.
    AllocLarge {
        /// Bytes.
        size: u32,
    },
    /// `UWOP_ALLOC_SMALL`: stack allocation of `size` bytes (8..=128).
    AllocSmall {
        /// Bytes.
        size: u32,
    },
    /// `UWOP_SET_FPREG`: frame register = RSP + frame offset.
    SetFpReg,
    /// `UWOP_SAVE_NONVOL(_FAR)`: `reg` saved at `[RSP + offset]`.
    SaveNonVol {
        /// Register number.
        reg: u8,
        /// Byte offset from RSP after the prolog's allocation.
        offset: u32,
    },
    /// `UWOP_SAVE_XMM128(_FAR)`: `XMMreg` saved at `[RSP + offset]`.
    SaveXmm128 {
        /// XMM register number.
        reg: u8,
        /// Byte offset.
        offset: u32,
    },
    /// `UWOP_PUSH_MACHFRAME`: machine frame pushed (with error code if set).
    PushMachFrame {
        /// An error code was pushed too.
        error_code: bool,
    },
    /// Version 2 `UWOP_EPILOG`: raw fields (first one: size in
    /// `code_offset`, flags in `info`; later ones: offset from function end).
    Epilog {
        /// `OpInfo`.
        info: u8,
    },
    /// Anything else (reserved, legacy version-1 XMM ops, newer ops); decoding
    /// stops after it because its slot count is unknown.
    Unknown {
        /// `UnwindOp`.
        op: u8,
        /// `OpInfo`.
        info: u8,
    },
}

/// One unwind code with its prolog offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnwindCode {
    /// Offset in the prolog of the end of the instruction it describes.
    pub code_offset: u8,
    /// The operation.
    pub op: UnwindOp,
}

/// Decoded x64 `UNWIND_INFO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnwindInfo {
    /// RVA the structure was read from.
    pub rva: u32,
    /// Version (1 or 2).
    pub version: u8,
    /// `UNW_FLAG_*`.
    pub flags: u8,
    /// Prolog size in bytes.
    pub prolog_size: u8,
    /// `CountOfCodes` (slots).
    pub count_of_codes: u8,
    /// Frame register (0 = none).
    pub frame_register: u8,
    /// Frame register offset in bytes (the raw field × 16).
    pub frame_offset: u32,
    /// Decoded codes, in array order (reverse of prolog order).
    pub codes: Vec<UnwindCode>,
    /// With `UNW_FLAG_CHAININFO`: the function whose unwind info continues this one.
    pub chained: Option<RuntimeFunction>,
    /// With `UNW_FLAG_EHANDLER`/`UHANDLER`: RVA of the language-specific handler.
    pub handler: Option<u32>,
    /// RVA of the handler data that follows the handler RVA.
    pub handler_data: Option<u32>,
    /// Codes were cut short (slot count overrun or unknown op).
    pub codes_truncated: bool,
}

fn rf_at(b: &[u8], off: usize) -> Option<RuntimeFunction> {
    Some(RuntimeFunction {
        begin: u32_at(b, off)?,
        end: u32_at(b, off + 4)?,
        unwind: u32_at(b, off + 8)?,
    })
}

impl PeImage {
    fn pdata_entry_size(&self) -> Result<usize, PeError> {
        match self.machine {
            MACHINE_AMD64 => Ok(12),
            MACHINE_ARM64 => Ok(8),
            _ => Err(PeError::Unsupported(
                ".pdata format of this machine type (x64 and ARM64 only)",
            )),
        }
    }

    /// Decode one raw `.pdata` entry.
    fn decode_pdata(&self, mem: &dyn Memory, b: &[u8]) -> Option<RuntimeFunction> {
        if self.machine == MACHINE_ARM64 {
            let begin = u32_at(b, 0)?;
            let unwind = u32_at(b, 4)?;
            let len = if unwind & 3 != 0 {
                ((unwind >> 2) & 0x7ff) * 4
            } else {
                self.read_rva(mem, unwind, 4)
                    .and_then(|x| u32_at(&x, 0))
                    .map_or(0, |w| (w & 0x3_ffff) * 4)
            };
            Some(RuntimeFunction {
                begin,
                end: begin.saturating_add(len),
                unwind,
            })
        } else {
            rf_at(b, 0)
        }
    }

    fn pdata_dir(&self) -> Result<(u32, usize, usize), PeError> {
        let esize = self.pdata_entry_size()?;
        let dir = self
            .data_dir(DIR_EXCEPTION)
            .ok_or(PeError::Missing("exception directory (.pdata)"))?;
        let count = dir.size as usize / esize;
        if count > MAX_RUNTIME_FUNCTIONS {
            return Err(PeError::TooLarge {
                what: ".pdata entries",
                value: count as u64,
                cap: MAX_RUNTIME_FUNCTIONS as u64,
            });
        }
        Ok((dir.virtual_address, esize, count))
    }

    /// All `.pdata` entries (x64 and ARM64), in table order (the linker
    /// sorts them by `begin`). Errors if the table is not fully readable; use
    /// [`PeImage::runtime_function_for`] on partly present images.
    pub fn runtime_functions(&self, mem: &dyn Memory) -> Result<Vec<RuntimeFunction>, PeError> {
        let (rva, esize, count) = self.pdata_dir()?;
        let len = count * esize;
        let b = self.read_rva(mem, rva, len).ok_or(PeError::Unreadable {
            what: "exception directory (.pdata)",
            addr: u64::from(rva),
            len,
        })?;
        Ok(b.chunks_exact(esize)
            .filter_map(|c| self.decode_pdata(mem, c))
            .collect())
    }

    /// The `.pdata` entry containing `rva`, by binary search reading only
    /// the entries it needs (works when `.pdata` is only partly present).
    pub fn runtime_function_for(
        &self,
        mem: &dyn Memory,
        rva: u32,
    ) -> Result<Option<RuntimeFunction>, PeError> {
        let (table, esize, count) = self.pdata_dir()?;
        let entry = |i: usize| -> Result<RuntimeFunction, PeError> {
            let at = u64::from(table) + (i * esize) as u64;
            let unreadable = PeError::Unreadable {
                what: ".pdata entry",
                addr: at,
                len: esize,
            };
            let at32 = u32::try_from(at).map_err(|_| unreadable.clone())?;
            let b = self
                .read_rva(mem, at32, esize)
                .ok_or_else(|| unreadable.clone())?;
            self.decode_pdata(mem, &b).ok_or(unreadable)
        };
        // Binary search for the last entry with begin <= rva (≤ 22 probes).
        let (mut lo, mut hi) = (0usize, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if entry(mid)?.begin <= rva {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == 0 {
            return Ok(None);
        }
        let f = entry(lo - 1)?;
        Ok(f.contains(rva).then_some(f))
    }

    /// Decode the x64 `UNWIND_INFO` of `rf`. Follows one level of indirect
    /// entry (`unwind` with the low bit set points at another
    /// `RUNTIME_FUNCTION`); chained info is returned in `chained` for the
    /// caller to follow (with its own depth limit).
    pub fn unwind_info(
        &self,
        mem: &dyn Memory,
        rf: &RuntimeFunction,
    ) -> Result<UnwindInfo, PeError> {
        if self.machine != MACHINE_AMD64 {
            return Err(PeError::Unsupported("UNWIND_INFO decoding is x64 only"));
        }
        let mut rva = rf.unwind;
        if rva & 1 != 0 {
            let target = rva & !1;
            let b = self.read_rva(mem, target, 12).ok_or(PeError::Unreadable {
                what: "indirect RUNTIME_FUNCTION",
                addr: u64::from(target),
                len: 12,
            })?;
            rva = rf_at(&b, 0)
                .ok_or(PeError::Malformed("indirect RUNTIME_FUNCTION"))?
                .unwind;
            if rva & 1 != 0 {
                return Err(PeError::Malformed("doubly indirect RUNTIME_FUNCTION"));
            }
        }
        let hdr = self.read_rva(mem, rva, 4).ok_or(PeError::Unreadable {
            what: "UNWIND_INFO header",
            addr: u64::from(rva),
            len: 4,
        })?;
        let (b0, prolog_size, count, fr) = match *hdr {
            [a, b, c, d] => (a, b, c, d),
            _ => return Err(PeError::Malformed("UNWIND_INFO header")),
        };
        let version = b0 & 7;
        let flags = b0 >> 3;
        if version == 0 || version > 2 {
            return Err(PeError::Malformed("UNWIND_INFO version not 1 or 2"));
        }
        let slots = usize::from(count);
        let codes_len = slots * 2;
        let codes_rva = rva
            .checked_add(4)
            .ok_or(PeError::Malformed("UNWIND_INFO rva"))?;
        let raw = self
            .read_rva(mem, codes_rva, codes_len)
            .ok_or(PeError::Unreadable {
                what: "UNWIND_INFO codes",
                addr: u64::from(codes_rva),
                len: codes_len,
            })?;
        let (codes, codes_truncated) = decode_codes(&raw, slots, version);

        let tail_rva = codes_rva
            .checked_add(((slots + 1) & !1) as u32 * 2)
            .ok_or(PeError::Malformed("UNWIND_INFO rva"))?;
        let (mut chained, mut handler, mut handler_data) = (None, None, None);
        if flags & UNW_FLAG_CHAININFO != 0 {
            let b = self
                .read_rva(mem, tail_rva, 12)
                .ok_or(PeError::Unreadable {
                    what: "chained RUNTIME_FUNCTION",
                    addr: u64::from(tail_rva),
                    len: 12,
                })?;
            chained = rf_at(&b, 0);
        } else if flags & (UNW_FLAG_EHANDLER | UNW_FLAG_UHANDLER) != 0 {
            // The handler RVA is not needed to unwind, and dumps often carry only the unwind
            // codes (Wine's dbghelp copies exactly those bytes): leave it unknown when missing.
            if let Some(b) = self.read_rva(mem, tail_rva, 4) {
                handler = u32_at(&b, 0);
                handler_data = tail_rva.checked_add(4);
            }
        }
        Ok(UnwindInfo {
            rva,
            version,
            flags,
            prolog_size,
            count_of_codes: count,
            frame_register: fr & 0xf,
            frame_offset: u32::from(fr >> 4) * 16,
            codes,
            chained,
            handler,
            handler_data,
            codes_truncated,
        })
    }
}

/// Decode `slots` unwind code slots. Slot counts per op follow the Windows
/// unwinder; ops whose size is unknown end the decoding.
fn decode_codes(raw: &[u8], slots: usize, version: u8) -> (Vec<UnwindCode>, bool) {
    let slot = |i: usize| u16_at(raw, i * 2);
    let mut codes = Vec::with_capacity(slots);
    let mut i = 0;
    while i < slots {
        let Some(s) = slot(i) else {
            return (codes, true);
        };
        let code_offset = s as u8;
        let op = ((s >> 8) & 0xf) as u8;
        let info = (s >> 12) as u8;
        let need = |n: usize| i + n <= slots;
        let u32_from = |j: usize| -> Option<u32> {
            Some(u32::from(slot(j)?) | (u32::from(slot(j + 1)?) << 16))
        };
        let (decoded, used) = match op {
            0 => (Some(UnwindOp::PushNonVol { reg: info }), 1),
            1 if info == 0 && need(2) => (
                slot(i + 1).map(|v| UnwindOp::AllocLarge {
                    size: u32::from(v) * 8,
                }),
                2,
            ),
            1 if info == 1 && need(3) => {
                (u32_from(i + 1).map(|size| UnwindOp::AllocLarge { size }), 3)
            }
            2 => (
                Some(UnwindOp::AllocSmall {
                    size: u32::from(info) * 8 + 8,
                }),
                1,
            ),
            3 => (Some(UnwindOp::SetFpReg), 1),
            4 if need(2) => (
                slot(i + 1).map(|v| UnwindOp::SaveNonVol {
                    reg: info,
                    offset: u32::from(v) * 8,
                }),
                2,
            ),
            5 if need(3) => (
                u32_from(i + 1).map(|offset| UnwindOp::SaveNonVol { reg: info, offset }),
                3,
            ),
            6 if version >= 2 => (Some(UnwindOp::Epilog { info }), 1),
            8 if need(2) => (
                slot(i + 1).map(|v| UnwindOp::SaveXmm128 {
                    reg: info,
                    offset: u32::from(v) * 16,
                }),
                2,
            ),
            9 if need(3) => (
                u32_from(i + 1).map(|offset| UnwindOp::SaveXmm128 { reg: info, offset }),
                3,
            ),
            10 => (
                Some(UnwindOp::PushMachFrame {
                    error_code: info != 0,
                }),
                1,
            ),
            _ => (None, 0),
        };
        match decoded {
            Some(op) => codes.push(UnwindCode { code_offset, op }),
            None => {
                codes.push(UnwindCode {
                    code_offset,
                    op: UnwindOp::Unknown { op, info },
                });
                return (codes, true);
            }
        }
        i += used;
    }
    (codes, false)
}
