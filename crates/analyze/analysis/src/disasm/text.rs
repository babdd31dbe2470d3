//! x86/x64 instruction text as WinDbg prints it, from iced-x86's MASM formatter.
//!
//! iced's options give nearly all of WinDbg's layout: the mnemonic in an 8-column field, no space
//! after commas, an explicit memory size (`dword ptr`, `xmmword ptr`), uppercase hex with an `h`
//! suffix and a leading `0` before a letter (`0Ch`, `0FFFFFFFFh`), 0–9 without the suffix
//! (`[ecx+8]`, `[ebp-4]`, `ret 8`), signed displacements, `ds:` before a bare displacement
//! (`call dword ptr ds:[0D73810h]`), no `short`/`near` on branches.
//!
//! The rest also goes through iced's hooks, not through the text afterwards:
//! - addresses (branch targets, RIP-relative operands, bare displacements and immediates that
//!   name something): a [`SymbolResolver`] writes them as WinDbg does, `app!foo (00401000)`,
//!   `00401000` when nothing is known, `00007ff6`12341000` on x64 (WinDbg's address form, which
//!   iced has no option for);
//! - `mov eax,dword ptr fs:[00000018h]`: WinDbg writes the address of the moffs forms (A0–A3) in
//!   eight digits while a ModRM displacement stays a number (`push dword ptr fs:[0]`); a
//!   [`FormatterOptionsProvider`] turns on leading zeros for those operands only.
//!
//! One thing iced cannot do: its MASM formatter writes string instructions without operands
//! (`rep movsd`), WinDbg with them (`rep movs dword ptr es:[edi],dword ptr [esi]`); that text is
//! built here from iced's decoded operands ([`string_instruction`]).
//!
//! Cost: iced builds the MASM formatter's tables on first use (about 5 M instructions once per
//! process, see `docs/performance.md`).

use crate::fmt_addr;
use iced_x86::{
    Code, Formatter, FormatterOperandOptions, FormatterOptionsProvider, Instruction, MasmFormatter,
    MemorySizeOptions, Mnemonic, NumberFormattingOptions, OpKind, Register, SymbolResolver,
    SymbolResult,
};
use std::cell::RefCell;
use std::rc::Rc;

/// Names an address the way WinDbg does in an operand (`app!foo`, `app!foo+0x1c`, `app+0x1a2b`);
/// `None` when nothing is known about it.
pub type Names<'a> = &'a dyn Fn(u64) -> Option<String>;

/// Names nothing: operands show bare addresses.
pub fn no_names(_: u64) -> Option<String> {
    None
}

/// The names of the addresses in the instruction being formatted, shared with the resolver.
#[derive(Default)]
struct OperandNames {
    ptr: u8,
    names: Vec<(u64, Option<String>)>,
}

impl OperandNames {
    /// `name (address)`; the bare address when unnamed and `always`, else `None`.
    fn text(&self, addr: u64, always: bool) -> Option<String> {
        let name = self
            .names
            .iter()
            .find(|(a, _)| *a == addr)
            .and_then(|(_, n)| n.as_deref());
        match name {
            Some(n) => Some(format!("{n} ({})", fmt_addr(addr, self.ptr))),
            None => always.then(|| fmt_addr(addr, self.ptr)),
        }
    }
}

/// A memory operand with neither base nor index register (`ds:[0D73810h]`, moffs).
fn absolute(ins: &Instruction) -> bool {
    ins.memory_base() == Register::None && ins.memory_index() == Register::None
}

fn is_moffs(c: Code) -> bool {
    matches!(
        c,
        Code::Mov_AL_moffs8
            | Code::Mov_AX_moffs16
            | Code::Mov_EAX_moffs32
            | Code::Mov_RAX_moffs64
            | Code::Mov_moffs8_AL
            | Code::Mov_moffs16_AX
            | Code::Mov_moffs32_EAX
            | Code::Mov_moffs64_RAX
    )
}

/// Whether an operand is an address WinDbg always writes in its address form: a branch target,
/// a RIP-relative operand, a 64-bit absolute (moffs) address (unverified against a listing: it
/// follows the RIP-relative form).
fn address_operand(ins: &Instruction, operand: u32) -> bool {
    match ins.op_kind(operand) {
        OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => true,
        // A 64-bit moffs address; a 32-bit absolute displacement in 64-bit code (`gs:[30h]`)
        // is a number, as in 32-bit code.
        OpKind::Memory => {
            ins.is_ip_rel_memory_operand() || (is_moffs(ins.code()) && ins.memory_displ_size() == 8)
        }
        _ => false,
    }
}

/// Whether an operand is named when it names something (`push offset app!x (00403000)`,
/// `call dword ptr [app!_imp__Sleep (00402010)]`) and left to iced otherwise.
fn nameable_operand(ins: &Instruction, operand: u32) -> bool {
    match ins.op_kind(operand) {
        OpKind::Memory => absolute(ins),
        OpKind::Immediate32 | OpKind::Immediate64 | OpKind::Immediate32to64 => true,
        _ => false,
    }
}

/// The addresses of an instruction's operands that may get a name.
fn operand_addresses(ins: &Instruction) -> Vec<u64> {
    (0..ins.op_count())
        .filter(|&i| address_operand(ins, i) || nameable_operand(ins, i))
        .map(|i| match ins.op_kind(i) {
            OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
                ins.near_branch_target()
            }
            OpKind::Memory if ins.is_ip_rel_memory_operand() => ins.ip_rel_memory_address(),
            OpKind::Memory => ins.memory_displacement64(),
            _ => ins.immediate(i),
        })
        .collect()
}

struct Resolver(Rc<RefCell<OperandNames>>);

impl SymbolResolver for Resolver {
    fn symbol(
        &mut self,
        ins: &Instruction,
        operand: u32,
        _instruction_operand: Option<u32>,
        address: u64,
        _address_size: u32,
    ) -> Option<SymbolResult<'_>> {
        let names = self.0.borrow();
        let text = if address_operand(ins, operand) {
            names.text(address, true)
        } else if nameable_operand(ins, operand) {
            names.text(address, false)
        } else {
            None
        }?;
        Some(SymbolResult::with_string(address, text))
    }
}

/// Leading zeros for the address of the moffs forms (`fs:[00000000h]`).
struct MoffsZeros;

impl FormatterOptionsProvider for MoffsZeros {
    fn operand_options(
        &mut self,
        ins: &Instruction,
        operand: u32,
        _instruction_operand: Option<u32>,
        _options: &mut FormatterOperandOptions,
        number: &mut NumberFormattingOptions<'_>,
    ) {
        if ins.op_kind(operand) == OpKind::Memory && is_moffs(ins.code()) {
            number.displacement_leading_zeros = true;
            number.small_hex_numbers_in_decimal = false;
        }
    }
}

/// Formats instructions of one bitness as WinDbg prints them.
pub struct WinDbgFormatter {
    masm: MasmFormatter,
    names: Rc<RefCell<OperandNames>>,
}

impl WinDbgFormatter {
    /// A formatter for 32- or 64-bit code.
    pub fn new(bitness: u32) -> Self {
        let names = Rc::new(RefCell::new(OperandNames {
            ptr: if bitness == 64 { 8 } else { 4 },
            names: Vec::new(),
        }));
        let mut masm = MasmFormatter::with_options(
            Some(Box::new(Resolver(Rc::clone(&names)))),
            Some(Box::new(MoffsZeros)),
        );
        let o = masm.options_mut();
        o.set_first_operand_char_index(8);
        o.set_space_after_operand_separator(false);
        o.set_memory_size_options(MemorySizeOptions::Always);
        o.set_hex_suffix("h");
        o.set_uppercase_hex(true);
        o.set_small_hex_numbers_in_decimal(true);
        o.set_add_leading_zero_to_hex_numbers(true);
        o.set_signed_memory_displacements(true);
        o.set_displacement_leading_zeros(false);
        o.set_show_branch_size(false);
        o.set_rip_relative_addresses(false);
        o.set_masm_add_ds_prefix32(true);
        o.set_masm_symbol_displ_in_brackets(true);
        o.set_show_symbol_address(false);
        WinDbgFormatter { masm, names }
    }

    /// The text of `ins` (`mov     eax,dword ptr [ecx+8]`), naming addresses with `names`.
    pub fn format(&mut self, ins: &Instruction, names: Names<'_>) -> String {
        if let Some(t) = string_instruction(ins) {
            return t;
        }
        self.names.borrow_mut().names = operand_addresses(ins)
            .into_iter()
            .map(|a| (a, names(a)))
            .collect();
        let mut out = String::new();
        self.masm.format(ins, &mut out);
        out
    }
}

fn reg(r: Register) -> String {
    format!("{r:?}").to_ascii_lowercase()
}

/// String instructions with their operands, as WinDbg writes them and iced's MASM formatter does
/// not: `rep movs dword ptr es:[edi],dword ptr [esi]`, `rep stos byte ptr es:[edi]`,
/// `repne scas byte ptr es:[edi]`, `rep movs byte ptr [rdi],byte ptr [rsi]` (no `es:` in 64-bit
/// code). The accumulator of `stos`/`lods`/`scas` is implied, as in WinDbg.
fn string_instruction(ins: &Instruction) -> Option<String> {
    use Mnemonic as M;
    let base = match ins.mnemonic() {
        M::Movsb | M::Movsw | M::Movsd | M::Movsq => "movs",
        M::Stosb | M::Stosw | M::Stosd | M::Stosq => "stos",
        M::Lodsb | M::Lodsw | M::Lodsd | M::Lodsq => "lods",
        M::Cmpsb | M::Cmpsw | M::Cmpsd | M::Cmpsq => "cmps",
        M::Scasb | M::Scasw | M::Scasd | M::Scasq => "scas",
        M::Insb | M::Insw | M::Insd => "ins",
        M::Outsb | M::Outsw | M::Outsd => "outs",
        _ => return None,
    };
    let size = match ins.memory_size().size() {
        1 => "byte",
        2 => "word",
        4 => "dword",
        _ => "qword",
    };
    let long_mode = ins.code_size() == iced_x86::CodeSize::Code64;
    let mut ops = Vec::new();
    for i in 0..ins.op_count() {
        match ins.op_kind(i) {
            OpKind::MemoryESDI | OpKind::MemoryESEDI | OpKind::MemoryESRDI => {
                let es = if long_mode { "" } else { "es:" };
                ops.push(format!("{size} ptr {es}[{}]", reg(di_of(ins.op_kind(i)))));
            }
            OpKind::MemorySegSI | OpKind::MemorySegESI | OpKind::MemorySegRSI => {
                let seg = ins.memory_segment();
                let shown = ins.segment_prefix() != Register::None && seg != Register::DS;
                let seg = if shown {
                    format!("{}:", reg(seg))
                } else {
                    String::new()
                };
                ops.push(format!("{size} ptr {seg}[{}]", reg(si_of(ins.op_kind(i)))));
            }
            OpKind::Register if ins.op_register(i) == Register::DX => ops.push("dx".into()),
            OpKind::Register => {}
            // Not a string instruction after all (SSE `movsd`, `cmpsd` with a predicate).
            _ => return None,
        }
    }
    if ops.is_empty() {
        return None;
    }
    let prefix = if ins.has_repne_prefix() {
        "repne "
    } else if ins.has_rep_prefix() {
        if matches!(base, "cmps" | "scas") {
            "repe "
        } else {
            "rep "
        }
    } else {
        ""
    };
    Some(format!(
        "{:<7} {}",
        format!("{prefix}{base}"),
        ops.join(",")
    ))
}

fn di_of(k: OpKind) -> Register {
    match k {
        OpKind::MemoryESDI => Register::DI,
        OpKind::MemoryESEDI => Register::EDI,
        _ => Register::RDI,
    }
}

fn si_of(k: OpKind) -> Register {
    match k {
        OpKind::MemorySegSI => Register::SI,
        OpKind::MemorySegESI => Register::ESI,
        _ => Register::RSI,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iced_x86::{Decoder, DecoderOptions};

    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    /// (bitness, ip, bytes, names known at that address, text as WinDbg printed it).
    type Case = (
        u32,
        u64,
        &'static str,
        &'static [(u64, &'static str)],
        &'static str,
    );

    /// Lines copied from real WinDbg listings. Sources (public, found with the code index):
    /// [T] a WinDbg `t`/`p` trace of ntdll on Windows Server 2003 x86 (index id 41026418883);
    /// [S] a WinDbg `u` listing of JIT code (index id 9446145198);
    /// [M] `ntdll!memcpy+0x213` at a crash (index id 7953469080), `crashdmp` `uf` (41903583363);
    /// [C] `chrome!memcpy_repmovs+0xe` at a crash, x64 (55468669005);
    /// [D] x64 `u` listings of JIT code (7110280305, 31218708638, 26112254222, 71160465482);
    /// [K] x64 kernel `u` (9929903643); [N] `stornvme` x64 `uf` (45254326824);
    /// [F] the Flash.ocx `!analyze -v` post (24115956265, research/anchors.md §2.6);
    /// [G] WinDbg `u` of `KERNELBASE!GetLastError` (14627986114, 8304601141);
    /// [L] the crash-lab dumps' faulting instructions (`fixtures/lab`, as WinDbg's rules give).
    const CASES: &[Case] = &[
        // Displacements: 0–9 without `h`, a leading 0 before a letter, negative ones. [T]
        (
            32,
            0x7c831542,
            "8b7508",
            &[],
            "mov     esi,dword ptr [ebp+8]",
        ),
        (32, 0x7c83153f, "ff750c", &[], "push    dword ptr [ebp+0Ch]"),
        (
            32,
            0x7c831546,
            "c645ff00",
            &[],
            "mov     byte ptr [ebp-1],0",
        ),
        (
            32,
            0x7c831580,
            "3b45f8",
            &[],
            "cmp     eax,dword ptr [ebp-8]",
        ),
        (
            32,
            0x7c83161b,
            "895df4",
            &[],
            "mov     dword ptr [ebp-0Ch],ebx",
        ),
        (32, 0x7c831614, "8d45ec", &[], "lea     eax,[ebp-14h]"),
        (
            32,
            0x7c8314ac,
            "8b7d10",
            &[],
            "mov     edi,dword ptr [ebp+10h]",
        ),
        (
            32,
            0x7c82888c,
            "8b4c2404",
            &[],
            "mov     ecx,dword ptr [esp+4]",
        ),
        (32, 0x7c83157d, "8d4308", &[], "lea     eax,[ebx+8]"),
        (32, 0x7c872663, "8d4c190c", &[], "lea     ecx,[ecx+ebx+0Ch]"),
        (
            32,
            0x7c808b43,
            "817de400000001",
            &[],
            "cmp     dword ptr [ebp-1Ch],1000000h",
        ),
        (
            32,
            0x7c808b39,
            "f645e0f0",
            &[],
            "test    byte ptr [ebp-20h],0F0h",
        ),
        (
            32,
            0x004c5d5d,
            "812c24751b7300",
            &[],
            "sub     dword ptr [esp],731B75h",
        ),
        // Immediates. [T] [S]
        (32, 0x7c857f67, "6aff", &[], "push    0FFFFFFFFh"),
        (32, 0x7c857f65, "6a22", &[], "push    22h"),
        (32, 0x7c85810b, "6a01", &[], "push    1"),
        (32, 0x7c83153b, "83ec5c", &[], "sub     esp,5Ch"),
        (32, 0x7c8314a8, "83ec10", &[], "sub     esp,10h"),
        (32, 0x7c82757f, "b8a1000000", &[], "mov     eax,0A1h"),
        (32, 0x7c82f9da, "83c9ff", &[], "or      ecx,0FFFFFFFFh"),
        (32, 0x7c83156f, "83fbff", &[], "cmp     ebx,0FFFFFFFFh"),
        (32, 0x7c831589, "f6c303", &[], "test    bl,3"),
        (32, 0x7c8314c0, "c20c00", &[], "ret     0Ch"),
        (32, 0x7c8316f9, "c20800", &[], "ret     8"),
        (32, 0x0043ba3a, "6850a9bc00", &[], "push    0BCA950h"),
        (32, 0x01220078, "b9f037d700", &[], "mov     ecx,0D737F0h"),
        (32, 0x7c8314bf, "c9", &[], "leave"),
        (32, 0x7c8288a8, "c3", &[], "ret"),
        (32, 0x7c827589, "ff12", &[], "call    dword ptr [edx]"),
        (
            32,
            0x7c84ac83,
            "f00fb10a",
            &[],
            "lock cmpxchg dword ptr [edx],ecx",
        ),
        (
            32,
            0x7c82f9dd,
            "f00fc108",
            &[],
            "lock xadd dword ptr [eax],ecx",
        ),
        // Segment prefixes and absolute addresses: moffs in 8 digits, a ModRM displacement as a
        // number, `ds:` before a bare displacement. [T] [S]
        (
            32,
            0x7c828886,
            "64a108000000",
            &[],
            "mov     eax,dword ptr fs:[00000008h]",
        ),
        (
            32,
            0x7c8288a2,
            "64a100000000",
            &[],
            "mov     eax,dword ptr fs:[00000000h]",
        ),
        (
            32,
            0x004f338a,
            "a100000000",
            &[],
            "mov     eax,dword ptr ds:[00000000h]",
        ),
        (
            32,
            0x0043faf7,
            "64ff3500000000",
            &[],
            "push    dword ptr fs:[0]",
        ),
        (
            32,
            0x00482254,
            "64892500000000",
            &[],
            "mov     dword ptr fs:[0],esp",
        ),
        (
            32,
            0x01220088,
            "ff151038d700",
            &[],
            "call    dword ptr ds:[0D73810h]",
        ),
        // Names: `offset` immediates, named absolute operands, branch targets. [T] [S]
        (
            32,
            0x7c8316e8,
            "68e883887c",
            &[(0x7c8883e8, "ntdll!NlsMbOemCodePageTag+0xcc0")],
            "push    offset ntdll!NlsMbOemCodePageTag+0xcc0 (7c8883e8)",
        ),
        (
            32,
            0x7c827584,
            "ba0003fe7f",
            &[(0x7ffe0300, "SharedUserData!SystemCallStub")],
            "mov     edx,offset SharedUserData!SystemCallStub (7ffe0300)",
        ),
        (
            32,
            0x7c831602,
            "a13077887c",
            &[(0x7c887730, "ntdll!NlsMbOemCodePageTag+0x8")],
            "mov     eax,dword ptr [ntdll!NlsMbOemCodePageTag+0x8 (7c887730)]",
        ),
        (
            32,
            0x7c831686,
            "381d9877887c",
            &[(0x7c887798, "ntdll!NlsMbOemCodePageTag+0x70")],
            "cmp     byte ptr [ntdll!NlsMbOemCodePageTag+0x70 (7c887798)],bl",
        ),
        (
            32,
            0x7c831561,
            "e82073ffff",
            &[(0x7c828886, "ntdll!RtlCaptureContext+0xc2")],
            "call    ntdll!RtlCaptureContext+0xc2 (7c828886)",
        ),
        (
            32,
            0x7c831572,
            "746e",
            &[(0x7c8315e2, "ntdll!RtlSubtreePredecessor+0x228")],
            "je      ntdll!RtlSubtreePredecessor+0x228 (7c8315e2)",
        ),
        (
            32,
            0x7c831577,
            "0f8228a1fdff",
            &[(0x7c80b6a5, "ntdll!wcscspn+0x6e")],
            "jb      ntdll!wcscspn+0x6e (7c80b6a5)",
        ),
        (32, 0x0122007d, "e87e20b4ff", &[], "call    00d62100"),
        // String instructions with their operands. [M] [C]
        (
            32,
            0x77d8e8e3,
            "f3a5",
            &[],
            "rep movs dword ptr es:[edi],dword ptr [esi]",
        ),
        (
            64,
            0x7ff9_9be48dde,
            "f3a4",
            &[],
            "rep movs byte ptr [rdi],byte ptr [rsi]",
        ),
        // x64: qword ptr, RIP-relative operands in WinDbg's address form, targets. [D] [K] [F]
        (
            64,
            0x1_0000_0000,
            "488b7950",
            &[],
            "mov     rdi,qword ptr [rcx+50h]",
        ),
        (
            64,
            0x7ffe_8d354b6f,
            "48833d59fceeff00",
            &[],
            "cmp     qword ptr [00007ffe`8d2447d0],0",
        ),
        (
            64,
            0x7ffe_8d354b77,
            "7505",
            &[],
            "jne     00007ffe`8d354b7e",
        ),
        (64, 0x7ffe_8d354b7e, "8d4708", &[], "lea     eax,[rdi+8]"),
        (64, 0x7ffe_8d354b82, "83e23f", &[], "and     edx,3Fh"),
        (
            64,
            0x7ffe_8d3579e4,
            "4c89542428",
            &[],
            "mov     qword ptr [rsp+28h],r10",
        ),
        (
            64,
            0x7ffe_8d3579ec,
            "44894c2434",
            &[],
            "mov     dword ptr [rsp+34h],r9d",
        ),
        (64, 0x7ffe_8d3579fd, "4863d0", &[], "movsxd  rdx,eax"),
        (
            64,
            0x7ff9_dea414fd,
            "48b96830667407020000",
            &[],
            "mov     rcx,20774663068h",
        ),
        (
            64,
            0x7ff9_dea4150a,
            "e829feffff",
            &[],
            "call    00007ff9`dea41338",
        ),
        (
            64,
            0x7ff9_dea414f8,
            "e893f7c65f",
            &[(0x7ffa_3e6b0c90, "coreclr!JIT_MonEnterWorker_Portable")],
            "call    coreclr!JIT_MonEnterWorker_Portable (00007ffa`3e6b0c90)",
        ),
        (
            64,
            0x7ff9_dea4150f,
            "488d55f0",
            &[],
            "lea     rdx,[rbp-10h]",
        ),
        (
            64,
            0xfffff780_00000aa8,
            "488d354d000000",
            &[],
            "lea     rsi,[fffff780`00000afc]",
        ),
        (
            64,
            0x7ff7_aefe10c0,
            "f30f6f42f0",
            &[],
            "movdqu  xmm0,xmmword ptr [rdx-10h]",
        ),
        (
            64,
            0x7ff8_30b269a2,
            "f3410f6f01",
            &[],
            "movdqu  xmm0,xmmword ptr [r9]",
        ),
        (
            64,
            0xfffff802_57272e5a,
            "f30f6f04c2",
            &[],
            "movdqu  xmm0,xmmword ptr [rdx+rax*8]",
        ),
        (
            64,
            0xfffff802_57272e66,
            "660f73f00c",
            &[],
            "psllq   xmm0,0Ch",
        ),
        (
            64,
            0x7ff7_aefe10b5,
            "6666660f1f840000000000",
            &[],
            "nop     word ptr [rax+rax]",
        ),
        // The lab dumps' faulting instructions. [L]
        (
            32,
            0x7c82a150,
            "0b4310",
            &[],
            "or      eax,dword ptr [ebx+10h]",
        ),
        (
            32,
            0x7bc271e3,
            "81786848454150",
            &[],
            "cmp     dword ptr [eax+68h],50414548h",
        ),
        (
            64,
            0x1_700295fb,
            "81b9b800000048454150",
            &[],
            "cmp     dword ptr [rcx+0B8h],50414548h",
        ),
        (32, 0x626014b8, "f77d0c", &[], "idiv    dword ptr [ebp+0Ch]"),
        (
            32,
            0x7bc27cf7,
            "894204",
            &[],
            "mov     dword ptr [edx+4],eax",
        ),
        (
            64,
            0x1_7002a1b2,
            "48894208",
            &[],
            "mov     qword ptr [rdx+8],rax",
        ),
        (32, 0x7b012866, "83ec04", &[], "sub     esp,4"),
        (32, 0x01040000, "b82a000000", &[], "mov     eax,2Ah"),
        (32, 0x629014bb, "cc", &[], "int     3"),
        (32, 0x624014b6, "cd29", &[], "int     29h"),
        (
            64,
            0x6210_138d,
            "e82e000000",
            &[],
            "call    00000000`621013c0",
        ),
        (32, 0x62101533, "890c24", &[], "mov     dword ptr [esp],ecx"),
        (32, 0x62c01515, "0fb609", &[], "movzx   ecx,byte ptr [ecx]"),
        (
            64,
            0x62c0_13d6,
            "450fb600",
            &[],
            "movzx   r8d,byte ptr [r8]",
        ),
        (
            32,
            0x620014d9,
            "895018",
            &[],
            "mov     dword ptr [eax+18h],edx",
        ),
        (32, 0x627014c0, "0f0b", &[], "ud2"),
    ];

    #[test]
    fn formats_as_windbg_printed_it() {
        let mut failures = Vec::new();
        for &(bits, ip, hex, known, want) in CASES {
            let b = bytes(hex);
            let mut dec = Decoder::with_ip(bits, &b, ip, DecoderOptions::NONE);
            let ins = dec.decode();
            assert_eq!(ins.len(), b.len(), "{hex} decodes to one instruction");
            let names = |a: u64| {
                known
                    .iter()
                    .find(|(k, _)| *k == a)
                    .map(|(_, n)| n.to_string())
            };
            let got = WinDbgFormatter::new(bits).format(&ins, &names);
            if got != want {
                failures.push(format!(
                    "{hex}: want {want:?}\n{:width$}   got  {got:?}",
                    "",
                    width = hex.len()
                ));
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    /// A negative displacement off rsp follows the same rule as the listed `[rbp-10h]` and
    /// `[ebp-4]`; a scaled index without a base keeps its number.
    #[test]
    fn derived_forms() {
        for (bits, hex, want) in [
            (64, "488b4424f8", "mov     rax,qword ptr [rsp-8]"),
            (32, "8b45fc", "mov     eax,dword ptr [ebp-4]"),
            (32, "8b0488", "mov     eax,dword ptr [eax+ecx*4]"),
            (32, "66894108", "mov     word ptr [ecx+8],ax"),
            (32, "f3ab", "rep stos dword ptr es:[edi]"),
            (32, "f2ae", "repne scas byte ptr es:[edi]"),
            (32, "f3a6", "repe cmps byte ptr [esi],byte ptr es:[edi]"),
            (32, "64a5", "movs    dword ptr es:[edi],dword ptr fs:[esi]"),
        ] {
            let b = bytes(hex);
            let ins = Decoder::with_ip(bits, &b, 0x1000, DecoderOptions::NONE).decode();
            assert_eq!(
                WinDbgFormatter::new(bits).format(&ins, &no_names),
                want,
                "{hex}"
            );
        }
        // SSE `movsd` shares the string instruction's mnemonic in iced; it stays iced's.
        let ins = Decoder::with_ip(32, &bytes("f20f1001"), 0, DecoderOptions::NONE).decode();
        let text = WinDbgFormatter::new(32).format(&ins, &no_names);
        assert!(text.starts_with("movsd   xmm0,"), "{text}");
    }
}
