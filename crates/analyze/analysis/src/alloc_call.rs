//! The allocator call just before a NULL-pointer fault (issue 15): when the faulting
//! instruction dereferences a register that is 0, the return register is 0, and the code right
//! before it calls an allocator (malloc, operator new, HeapAlloc, RtlAllocateHeap,
//! VirtualAlloc…), the allocation failed and its NULL result was used unchecked. A vendor's
//! own small allocation wrapper (a function of at most [`WRAPPER_BYTES`] bytes up to its
//! `ret` that calls or tail-jumps to an allocator) is followed one level, and named as `via`.

use crate::symbols::Symbolizer;
use crate::Analysis;
use coroner_model::*;
use iced_x86::{Decoder, DecoderOptions, FlowControl, Instruction, OpKind, Register};
use serde::Serialize;

/// Functions whose NULL result means an allocation failed.
const ALLOCATORS: &[&str] = &[
    "malloc",
    "calloc",
    "realloc",
    "_malloc_base",
    "_calloc_base",
    "_realloc_base",
    "operator new",
    "operator new[]",
    "HeapAlloc",
    "HeapReAlloc",
    "RtlAllocateHeap",
    "RtlReAllocateHeap",
    "VirtualAlloc",
    "VirtualAllocEx",
    "LocalAlloc",
    "GlobalAlloc",
    "CoTaskMemAlloc",
];

/// How far before the fault the call may end (bytes), and how many instructions may lie
/// between the call and the fault.
const LOOK_BACK: u64 = 24;
const BETWEEN: usize = 3;
/// How much of a called function is read to find the allocator it wraps: its code up to the
/// first `ret`, within this many bytes and [`WRAPPER_INSTRUCTIONS`] instructions.
const WRAPPER_BYTES: usize = 128;
const WRAPPER_INSTRUCTIONS: usize = 48;

/// An allocator call whose result the faulting instruction dereferenced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AllocCall {
    /// Address of the call instruction (hex in JSON).
    #[serde(serialize_with = "crate::memory_findings::hex_u64")]
    pub call: u64,
    /// The allocator called (`module!function`).
    pub function: String,
    /// The register the faulting instruction dereferenced (0 when it faulted).
    pub register: String,
    /// The function called, when it is a wrapper around `function` (`module!name` or
    /// `module+offset`); absent when the allocator was called directly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

/// The allocator call right before the faulting instruction, if the dump shows one.
pub(crate) fn find(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    a: &Analysis,
) -> Option<AllocCall> {
    let e = a.exception.as_ref()?;
    let d = a.instruction.as_ref()?;
    if e.target? >= 0x10000 || d.base_value != Some(0) {
        return None;
    }
    let regs = a.registers.as_ref()?;
    let ret = regs.get("rax").or_else(|| regs.get("eax"))?;
    if ret != 0 {
        return None;
    }
    let bits = match snap.system.arch {
        Arch::X86 => 32,
        Arch::Amd64 => 64,
        _ => return None,
    };
    let ip = d.address;
    let bytes = snap
        .memory
        .read(ip.checked_sub(LOOK_BACK)?, LOOK_BACK as usize)?;
    (1..=LOOK_BACK).rev().find_map(|back| {
        let call = call_before(&bytes[(LOOK_BACK - back) as usize..], ip - back, ip, bits)?;
        let (function, via) = match branch_target(snap, &call, bits) {
            Some(target) => match allocator(snap, syms, target, bits) {
                Some(f) => (f, None),
                None => (wrapped(snap, syms, target, bits)?, Some(name(syms, target))),
            },
            None => (imported_allocator(syms, &call)?, None),
        };
        Some(AllocCall {
            call: call.ip(),
            function,
            register: d.base_register.clone().unwrap_or_default(),
            via,
        })
    })
}

/// `module!function`, or `module+0xoffset` for code no symbol names.
fn name(syms: &Symbolizer<'_, '_>, at: u64) -> String {
    let s = syms.symbolize(at);
    let module = crate::symbols::short(s.module.as_deref().unwrap_or("?"));
    match s.function.as_deref() {
        Some(f) if s.function_offset == 0 && !s.unreliable => format!("{module}!{f}"),
        _ => format!("{module}+{:#x}", s.module_offset),
    }
}

/// The allocator a small wrapper function at `at` calls or tail-jumps to.
fn wrapped(snap: &Snapshot<'_>, syms: &Symbolizer<'_, '_>, at: u64, bits: u32) -> Option<String> {
    let code = snap.memory.read_partial(at, WRAPPER_BYTES);
    let mut dec = Decoder::with_ip(bits, &code, at, DecoderOptions::NONE);
    for _ in 0..WRAPPER_INSTRUCTIONS {
        if !dec.can_decode() {
            return None;
        }
        let ins = dec.decode();
        match ins.flow_control() {
            FlowControl::Return => return None,
            FlowControl::Call
            | FlowControl::IndirectCall
            | FlowControl::UnconditionalBranch
            | FlowControl::IndirectBranch => {
                let inside = |t: u64| t >= at && t < at + WRAPPER_BYTES as u64;
                let found = match branch_target(snap, &ins, bits) {
                    Some(t) if !inside(t) => allocator(snap, syms, t, bits),
                    Some(_) => None,
                    None => imported_allocator(syms, &ins),
                };
                if found.is_some() {
                    return found;
                }
            }
            _ if ins.is_invalid() => return None,
            _ => {}
        }
    }
    None
}

/// Decodes from `from` to `ip`: the last call, when the decoding lands exactly on `ip` and no
/// more than [`BETWEEN`] plain instructions follow the call.
fn call_before(bytes: &[u8], from: u64, ip: u64, bits: u32) -> Option<Instruction> {
    let mut dec = Decoder::with_ip(bits, bytes, from, DecoderOptions::NONE);
    let mut call = None;
    let mut after = 0;
    while dec.can_decode() && dec.ip() < ip {
        let ins = dec.decode();
        if ins.is_invalid() {
            return None;
        }
        match ins.flow_control() {
            FlowControl::Call | FlowControl::IndirectCall => {
                call = Some(ins);
                after = 0;
            }
            FlowControl::Next => after += 1,
            _ => return None,
        }
    }
    (dec.ip() == ip && after <= BETWEEN)
        .then_some(call)
        .flatten()
}

/// The allocator at `target` (directly, or through a `jmp [iat]` thunk), as `module!function`.
fn allocator(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    mut target: u64,
    bits: u32,
) -> Option<String> {
    for _ in 0..2 {
        let s = syms.symbolize(target);
        if let Some(f) = s.function.as_deref().filter(|f| ALLOCATORS.contains(f)) {
            return Some(format!(
                "{}!{f}",
                crate::symbols::short(s.module.as_deref().unwrap_or("?"))
            ));
        }
        // An import thunk: `jmp dword ptr [__imp_malloc]`.
        let code = snap.memory.read(target, 16)?;
        let ins = Decoder::with_ip(bits, &code, target, DecoderOptions::NONE).decode();
        if ins.flow_control() != FlowControl::IndirectBranch
            && ins.flow_control() != FlowControl::UnconditionalBranch
        {
            return None;
        }
        target = branch_target(snap, &ins, bits)?;
    }
    None
}

/// The allocator a `call [slot]` reaches when the slot's value is not in the dump: named by
/// the import directory of the module holding the slot (`kernel32!HeapAlloc`).
fn imported_allocator(syms: &Symbolizer<'_, '_>, ins: &Instruction) -> Option<String> {
    let import = syms.import_at(slot(ins)?)?;
    let name = import.name.filter(|n| ALLOCATORS.contains(&n.as_str()))?;
    let dll = import.dll.to_ascii_lowercase();
    Some(format!("{}!{name}", crate::symbols::short(&dll)))
}

/// The address of the pointer a `call [slot]` / `jmp [slot]` reads (absolute or RIP-relative,
/// no register in the operand).
fn slot(ins: &Instruction) -> Option<u64> {
    if ins.op0_kind() != OpKind::Memory || ins.memory_index() != Register::None {
        return None;
    }
    if ins.is_ip_rel_memory_operand() {
        Some(ins.ip_rel_memory_address())
    } else if ins.memory_base() == Register::None {
        Some(ins.memory_displacement64())
    } else {
        None
    }
}

/// Where a direct or memory-indirect branch goes.
fn branch_target(snap: &Snapshot<'_>, ins: &Instruction, bits: u32) -> Option<u64> {
    match ins.op0_kind() {
        OpKind::NearBranch32 | OpKind::NearBranch64 | OpKind::NearBranch16 => {
            Some(ins.near_branch_target())
        }
        OpKind::Memory => {
            let v = snap.memory.read(slot(ins)?, (bits / 8) as usize)?;
            Some(if bits == 64 {
                u64::from_le_bytes(v[..8].try_into().ok()?)
            } else {
                u64::from(u32::from_le_bytes(v[..4].try_into().ok()?))
            })
        }
        _ => None,
    }
}
