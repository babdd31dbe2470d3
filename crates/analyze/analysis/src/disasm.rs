//! The faulting instruction, WinDbg style: iced-x86 decodes it and formats it as WinDbg prints
//! it (`or      eax,dword ptr [ebx+10h]`, `mov     eax,dword ptr [ecx+8]`; see [`text`]), and we
//! compute the effective address from the context's registers and read the value there from dump
//! memory. ARM64 instructions are decoded by yaxpeax-arm (`str         x1,[x9]`, the instruction
//! word as WinDbg shows it).

mod text;

pub use text::{no_names, Names, WinDbgFormatter};

use coroner_model::{Arch, Context, Snapshot};
use iced_x86::{Decoder, DecoderOptions, Instruction, OpKind, Register};

/// A decoded instruction and its memory operand.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Decoded {
    /// Address of the instruction.
    pub address: u64,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// MASM text, WinDbg spacing (`or      eax,dword ptr [ebx+10h]`).
    pub text: String,
    /// Effective address of the memory operand, when it has one and the registers are known.
    pub effective_address: Option<u64>,
    /// The effective address within its segment, as WinDbg prints it after the selector
    /// (`fs:003b:00000018`): the same as `effective_address` except for `fs:`/`gs:` operands,
    /// whose linear address adds the TEB.
    pub segment_offset: Option<u64>,
    /// Size in bytes of the memory operand.
    pub memory_size: usize,
    /// Segment register of the memory operand (`ds`, `ss`, `fs`, …).
    pub segment: Option<String>,
    /// Whether the instruction writes its memory operand.
    pub writes_memory: bool,
    /// The bytes at the effective address, `None` when that memory is not in the dump.
    pub value: Option<Vec<u8>>,
    /// Name of the base register of the memory operand (e.g. `ebx`), if any.
    pub base_register: Option<String>,
    /// Value of the base register.
    pub base_value: Option<u64>,
}

impl Decoded {
    /// An instruction without a memory operand (yet).
    fn new(address: u64, bytes: Vec<u8>, text: String) -> Self {
        Decoded {
            address,
            bytes,
            text,
            effective_address: None,
            segment_offset: None,
            memory_size: 0,
            segment: None,
            writes_memory: false,
            value: None,
            base_register: None,
            base_value: None,
        }
    }
}

/// ARM64 text in WinDbg's layout: mnemonic in a 12-column field, no space after commas.
fn arm64_text(ins: &yaxpeax_arm::armv8::a64::Instruction) -> String {
    let raw = ins.to_string();
    match raw.split_once(' ') {
        Some((m, ops)) => format!("{m:<11} {}", ops.replace(", ", ",")),
        None => raw,
    }
}

/// The code bytes and text of an x86/x64 listing line, spaced as WinDbg spaces them: the bytes in
/// a 15-column field, a space, the text (`8b4108          mov     eax,dword ptr [ecx+8]`). A
/// longer encoding pushes the mnemonic right and WinDbg takes the room back from the spaces after
/// the mnemonic, keeping at least one (`65488b042530000000 mov   rax,qword ptr gs:[30h]` in
/// WinDbg's `u` of `KERNELBASE!GetLastError`).
pub fn code_text(bytes: &[u8], text: &str) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    // The mnemonic is padded to 8 columns when the text has operands.
    let padded = text.len() > 8 && text.as_bytes()[7] == b' ';
    if hex.len() <= 15 || !padded {
        return format!("{hex:<15} {text}");
    }
    let mnemonic = text[..8].trim_end();
    let ops = text[8..].trim_start();
    // Operands stay where they would be after 15 columns of bytes (plus one), if there is room.
    let spaces = 25usize
        .saturating_sub(hex.len() + 1 + mnemonic.len())
        .max(1);
    format!("{hex} {mnemonic}{:spaces$}{ops}", "")
}

/// Bitness for an architecture, if iced can decode it.
pub fn bitness(arch: Arch) -> Option<u32> {
    match arch {
        Arch::X86 => Some(32),
        Arch::Amd64 => Some(64),
        _ => None,
    }
}

/// Decodes `count` instructions from `addr` (stops at missing memory or invalid bytes), operands
/// with bare addresses.
pub fn decode_many(
    snap: &Snapshot<'_>,
    addr: u64,
    count: usize,
) -> Vec<(Instruction, Vec<u8>, String)> {
    decode_many_named(snap, addr, count, &no_names)
}

/// [`decode_many`], naming branch targets and other addresses with `names`
/// (`call    app!foo (00401000)`).
pub fn decode_many_named(
    snap: &Snapshot<'_>,
    addr: u64,
    count: usize,
    names: Names<'_>,
) -> Vec<(Instruction, Vec<u8>, String)> {
    let Some(bits) = bitness(snap.system.arch) else {
        return Vec::new();
    };
    let bytes = snap
        .memory
        .read_partial(addr, count.saturating_mul(15).min(64 * 1024));
    let mut dec = Decoder::with_ip(bits, &bytes, addr, DecoderOptions::NONE);
    let mut fmt = WinDbgFormatter::new(bits);
    let mut out = Vec::new();
    while dec.can_decode() && out.len() < count {
        let pos = dec.position();
        let ins = dec.decode();
        if ins.is_invalid() {
            break;
        }
        let text = fmt.format(&ins, names);
        out.push((ins, bytes[pos..pos + ins.len()].to_vec(), text));
    }
    out
}

/// Start addresses of the instructions from `from` up to `until`, when decoding from `from` lands
/// exactly on `until` (`None` if it runs past it, hits invalid bytes or missing memory). No text
/// is formatted: this is the cheap test `ub` makes for each candidate start.
pub fn boundaries_until(snap: &Snapshot<'_>, from: u64, until: u64) -> Option<Vec<u64>> {
    let bits = bitness(snap.system.arch)?;
    let len = usize::try_from(until.checked_sub(from)?).ok()?;
    let bytes = snap.memory.read(from, len)?;
    let mut dec = Decoder::with_ip(bits, &bytes, from, DecoderOptions::NONE);
    let mut ips = Vec::new();
    let mut ins = Instruction::default();
    while dec.can_decode() {
        ips.push(dec.ip());
        dec.decode_out(&mut ins);
        if ins.is_invalid() {
            return None;
        }
    }
    // Every byte consumed by whole instructions: the next one starts exactly at `until`.
    (dec.ip() == until).then_some(ips)
}

fn reg_name(r: Register) -> String {
    format!("{r:?}").to_ascii_lowercase()
}

fn reg_value(ctx: &Context, teb: Option<u64>, r: Register) -> Option<u64> {
    match r {
        Register::None => return Some(0),
        Register::ES | Register::CS | Register::SS | Register::DS => return Some(0),
        Register::FS if ctx.arch == Arch::X86 => return teb,
        Register::GS if ctx.arch == Arch::Amd64 => return teb,
        Register::FS | Register::GS => return None,
        Register::RIP | Register::EIP => return Some(ctx.pc()),
        _ => {}
    }
    let full = r.full_register();
    let name = reg_name(full);
    // On x86 the full register of eax is rax in iced's model.
    let name = if ctx.arch == Arch::X86 && name.starts_with('r') && name.len() == 3 {
        format!("e{}", &name[1..])
    } else {
        name
    };
    let v = ctx.get(&name)?;
    let size = r.size();
    Some(match size {
        1 if matches!(r, Register::AH | Register::BH | Register::CH | Register::DH) => {
            (v >> 8) & 0xff
        }
        1 => v & 0xff,
        2 => v & 0xffff,
        4 => v & 0xffff_ffff,
        _ => v,
    })
}

/// Decodes the instruction at `ctx.pc()` and evaluates its memory operand (operands with bare
/// addresses).
pub fn decode_at(snap: &Snapshot<'_>, ctx: &Context, teb: Option<u64>) -> Option<Decoded> {
    decode_at_named(snap, ctx, teb, &no_names)
}

/// [`decode_at`], naming addresses in operands with `names`.
pub fn decode_at_named(
    snap: &Snapshot<'_>,
    ctx: &Context,
    teb: Option<u64>,
    names: Names<'_>,
) -> Option<Decoded> {
    if ctx.arch == Arch::Arm64 {
        return decode_arm64(snap, ctx);
    }
    let bits = bitness(ctx.arch)?;
    let pc = ctx.pc();
    let bytes = snap.memory.read_partial(pc, 15);
    if bytes.is_empty() {
        return None;
    }
    let mut dec = Decoder::with_ip(bits, &bytes, pc, DecoderOptions::NONE);
    let ins = dec.decode();
    if ins.is_invalid() {
        return None;
    }
    let text = WinDbgFormatter::new(bits).format(&ins, names);
    let mem_op = (0..ins.op_count()).find(|&i| ins.op_kind(i) == OpKind::Memory);
    let mut d = Decoded::new(pc, bytes[..ins.len()].to_vec(), text);
    if let Some(op) = mem_op {
        d.memory_size = ins.memory_size().size();
        d.segment = Some(reg_name(ins.memory_segment()));
        d.effective_address = ins.virtual_address(op, 0, |r, _, _| reg_value(ctx, teb, r));
        // Every segment based at 0: the offset WinDbg shows after `fs:003b:`.
        d.segment_offset = ins.virtual_address(op, 0, |r, _, _| match r {
            Register::ES
            | Register::CS
            | Register::SS
            | Register::DS
            | Register::FS
            | Register::GS => Some(0),
            r => reg_value(ctx, teb, r),
        });
        if ins.memory_base() != Register::None && ins.memory_base() != Register::RIP {
            d.base_register = Some(reg_name(ins.memory_base()));
            d.base_value = reg_value(ctx, teb, ins.memory_base());
        }
        let info = iced_x86::InstructionInfoFactory::new()
            .info(&ins)
            .used_memory()
            .to_vec();
        d.writes_memory = info.iter().any(|m| {
            matches!(
                m.access(),
                iced_x86::OpAccess::Write
                    | iced_x86::OpAccess::ReadWrite
                    | iced_x86::OpAccess::CondWrite
                    | iced_x86::OpAccess::ReadCondWrite
            )
        });
        if let Some(ea) = d.effective_address {
            let n = d.memory_size.clamp(1, 16);
            d.value = snap.memory.read(ea, n).map(|c| c.into_owned());
        }
    }
    Some(d)
}

/// The hex rendering of a value as WinDbg shows it after `=` (`????????` when missing).
pub fn value_text(d: &Decoded) -> String {
    let n = d.memory_size.clamp(1, 16);
    match &d.value {
        None => "?".repeat(n * 2),
        Some(b) if matches!(n, 1 | 2 | 4 | 8) => {
            let mut v = 0u64;
            for (i, byte) in b.iter().enumerate().take(8) {
                v |= u64::from(*byte) << (8 * i);
            }
            format!("{v:0width$x}", width = n * 2)
        }
        Some(b) => b.iter().rev().map(|x| format!("{x:02x}")).collect(),
    }
}

/// One ARM64 instruction for listings: address, the instruction word, WinDbg-layout text and
/// the target of a direct branch (`b`, `bl`, `b.cond`, `cbz`, `tbz`, …).
#[derive(Clone, Debug)]
pub struct Arm64Line {
    /// Address.
    pub address: u64,
    /// The instruction word.
    pub word: u32,
    /// Text (`ldr         x8,[x9,#0x38]`), `???` for an undecodable word.
    pub text: String,
    /// Target of a PC-relative branch.
    pub branch_target: Option<u64>,
}

/// Decodes `count` ARM64 instructions from `addr` (stops at missing memory).
pub fn decode_arm64_many(snap: &Snapshot<'_>, addr: u64, count: usize) -> Vec<Arm64Line> {
    use yaxpeax_arch::{Decoder as _, U8Reader};
    use yaxpeax_arm::armv8::a64::{InstDecoder, Opcode, Operand};
    let bytes = snap
        .memory
        .read_partial(addr, count.saturating_mul(4).min(64 * 1024));
    let dec = InstDecoder::default();
    bytes
        .chunks_exact(4)
        .enumerate()
        .map(|(i, w)| {
            let address = addr.wrapping_add(4 * i as u64);
            let word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            match dec.decode(&mut U8Reader::new(w)) {
                Ok(ins) => {
                    let text = arm64_text(&ins);
                    let is_branch = matches!(
                        ins.opcode,
                        Opcode::B
                            | Opcode::BL
                            | Opcode::Bcc(_)
                            | Opcode::CBZ
                            | Opcode::CBNZ
                            | Opcode::TBZ
                            | Opcode::TBNZ
                    );
                    let branch_target = is_branch
                        .then(|| {
                            ins.operands.iter().find_map(|o| match o {
                                Operand::PCOffset(off) => Some(address.wrapping_add(*off as u64)),
                                _ => None,
                            })
                        })
                        .flatten();
                    Arm64Line {
                        address,
                        word,
                        text,
                        branch_target,
                    }
                }
                Err(_) => Arm64Line {
                    address,
                    word,
                    text: "???".into(),
                    branch_target: None,
                },
            }
        })
        .collect()
}

/// An ARM64 register by number in an address: 31 is sp there.
fn arm64_reg(ctx: &Context, n: u16) -> Option<u64> {
    match n {
        0..=28 => ctx.get(&format!("x{n}")),
        29 => ctx.get("fp"),
        30 => ctx.get("lr"),
        _ => Some(ctx.sp()),
    }
}

fn arm64_reg_name(n: u16) -> String {
    match n {
        0..=28 => format!("x{n}"),
        29 => "fp".into(),
        30 => "lr".into(),
        _ => "sp".into(),
    }
}

/// The faulting ARM64 instruction: text in WinDbg's layout, and for loads and stores the
/// effective address, access size and direction.
fn decode_arm64(snap: &Snapshot<'_>, ctx: &Context) -> Option<Decoded> {
    use yaxpeax_arch::{Decoder as _, U8Reader};
    use yaxpeax_arm::armv8::a64::{InstDecoder, Opcode, Operand, SIMDSizeCode, SizeCode};
    let pc = ctx.pc();
    let bytes = snap.memory.read(pc, 4)?.into_owned();
    let ins = InstDecoder::default()
        .decode(&mut U8Reader::new(&bytes))
        .ok()?;
    let text = arm64_text(&ins);
    let mut d = Decoded::new(pc, bytes, text);
    let name = format!("{:?}", ins.opcode);
    let is_load = name.starts_with("LD");
    let is_store = name.starts_with("ST");
    if !is_load && !is_store {
        return Some(d);
    }
    // The address operand: [xn{,#imm}]{!}, [xn],#imm, [xn,xm{,extend #n}].
    let mut base = None;
    for op in &ins.operands {
        match *op {
            Operand::RegPreIndex(r, imm, _) => {
                base = Some((
                    r,
                    arm64_reg(ctx, r).map(|v| v.wrapping_add(imm as i64 as u64)),
                ));
            }
            Operand::RegPostIndex(r, _) | Operand::RegPostIndexReg(r, _) => {
                base = Some((r, arm64_reg(ctx, r)));
            }
            Operand::RegRegOffset(r, i, _, _, shift) => {
                let ea = arm64_reg(ctx, r)
                    .zip(
                        arm64_reg(ctx, i)
                            .filter(|_| i != 31)
                            .or(Some(0).filter(|_| i == 31)),
                    )
                    .map(|(b, x)| b.wrapping_add(x.wrapping_shl(u32::from(shift))));
                base = Some((r, ea));
            }
            _ => {}
        }
    }
    let Some((reg, ea)) = base else {
        return Some(d);
    };
    let pair = matches!(ins.opcode, Opcode::LDP | Opcode::STP | Opcode::LDPSW)
        || name.starts_with("LDNP")
        || name.starts_with("STNP");
    let element = if name.ends_with('B') || name.contains("RB") || name.contains("SB") {
        1
    } else if name.ends_with('H') || name.contains("RH") || name.contains("SH") {
        2
    } else if name.ends_with("SW") {
        4
    } else {
        match ins.operands[0] {
            Operand::Register(SizeCode::W, _) => 4,
            Operand::SIMDRegister(sz, _) => match sz {
                SIMDSizeCode::B => 1,
                SIMDSizeCode::H => 2,
                SIMDSizeCode::S => 4,
                SIMDSizeCode::D => 8,
                SIMDSizeCode::Q => 16,
            },
            _ => 8,
        }
    };
    d.memory_size = if pair { element * 2 } else { element };
    d.writes_memory = is_store;
    d.effective_address = ea;
    d.base_register = Some(arm64_reg_name(reg));
    d.base_value = arm64_reg(ctx, reg);
    if let Some(ea) = ea {
        d.value = snap
            .memory
            .read(ea, d.memory_size.clamp(1, 16))
            .map(|c| c.into_owned());
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::code_text;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Lines of WinDbg `u` listings: `KERNELBASE!GetLastError` (index ids 14627986114,
    /// 8304601141), a JIT `u` (26112254222), the Flash post (research/anchors.md §2.6).
    #[test]
    fn bytes_and_text_are_spaced_as_windbg_spaces_them() {
        for (bytes, text, want) in [
            (
                "488b7950",
                "mov     rdi,qword ptr [rcx+50h]",
                "488b7950        mov     rdi,qword ptr [rcx+50h]",
            ),
            (
                "65488b042530000000",
                "mov     rax,qword ptr gs:[30h]",
                "65488b042530000000 mov   rax,qword ptr gs:[30h]",
            ),
            (
                "6666660f1f840000000000",
                "nop     word ptr [rax+rax]",
                "6666660f1f840000000000 nop word ptr [rax+rax]",
            ),
            ("c3", "ret", "c3              ret"),
            (
                "f3a5",
                "rep movs dword ptr es:[edi],dword ptr [esi]",
                "f3a5            rep movs dword ptr es:[edi],dword ptr [esi]",
            ),
        ] {
            assert_eq!(code_text(&hex(bytes), text), want);
        }
    }
}
