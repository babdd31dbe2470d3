//! x86 pieces: CONTEXT serialisation, a tiny code "assembler" that places call
//! instructions so that return addresses land on exact offsets, and a stack
//! simulator that lays out EBP frames the way 32-bit Windows does.

use crate::bytes::{put, put_u32};

/// CONTEXT_i386 | CONTROL | INTEGER | SEGMENTS | FLOATING_POINT | DEBUG_REGISTERS | EXTENDED_REGISTERS
pub const CONTEXT_X86_ALL: u32 = 0x0001_003f;
pub const CONTEXT_X86_SIZE: u32 = 0x2cc;

/// x86 register state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Regs {
    pub eax: u32,
    pub ebx: u32,
    pub ecx: u32,
    pub edx: u32,
    pub esi: u32,
    pub edi: u32,
    pub ebp: u32,
    pub esp: u32,
    pub eip: u32,
    pub efl: u32,
}

impl Regs {
    /// Serialises as a 0x2cc-byte x86 CONTEXT with ContextFlags 0x1003f and
    /// user-mode segment selectors (cs=1b ds=es=ss=23 fs=3b gs=0).
    pub fn context(&self) -> Vec<u8> {
        let mut v = vec![0u8; CONTEXT_X86_SIZE as usize];
        put_u32(&mut v, 0x00, CONTEXT_X86_ALL);
        // FLOATING_SAVE_AREA at 0x1c
        put_u32(&mut v, 0x1c, 0xffff_027f); // ControlWord
        put_u32(&mut v, 0x20, 0xffff_0000); // StatusWord
        put_u32(&mut v, 0x24, 0xffff_ffff); // TagWord
        put_u32(&mut v, 0x8c, 0); // SegGs
        put_u32(&mut v, 0x90, 0x3b); // SegFs
        put_u32(&mut v, 0x94, 0x23); // SegEs
        put_u32(&mut v, 0x98, 0x23); // SegDs
        put_u32(&mut v, 0x9c, self.edi);
        put_u32(&mut v, 0xa0, self.esi);
        put_u32(&mut v, 0xa4, self.ebx);
        put_u32(&mut v, 0xa8, self.edx);
        put_u32(&mut v, 0xac, self.ecx);
        put_u32(&mut v, 0xb0, self.eax);
        put_u32(&mut v, 0xb4, self.ebp);
        put_u32(&mut v, 0xb8, self.eip);
        put_u32(&mut v, 0xbc, 0x1b); // SegCs
        put_u32(&mut v, 0xc0, self.efl);
        put_u32(&mut v, 0xc4, self.esp);
        put_u32(&mut v, 0xc8, 0x23); // SegSs
                                     // ExtendedRegisters (FXSAVE image) at 0xcc
        put(&mut v, 0xcc, &0x027fu16.to_le_bytes()); // FCW
        put_u32(&mut v, 0xcc + 24, 0x1f80); // MXCSR
        put_u32(&mut v, 0xcc + 28, 0xffff); // MXCSR_MASK
        v
    }
}

/// Filler instructions (all valid, self-contained encodings).
const FILLER: &[&[u8]] = &[
    &[0x8b, 0x45, 0x08], // mov eax,dword ptr [ebp+8]
    &[0x85, 0xc0],       // test eax,eax
    &[0x8b, 0x4e, 0x04], // mov ecx,dword ptr [esi+4]
    &[0x89, 0x4d, 0xf8], // mov dword ptr [ebp-8],ecx
    &[0x8b, 0x55, 0x0c], // mov edx,dword ptr [ebp+0Ch]
    &[0x33, 0xc0],       // xor eax,eax
    &[0x83, 0xc4, 0x0c], // add esp,0Ch
    &[0x8b, 0xf8],       // mov edi,eax
    &[0x8d, 0x45, 0xf4], // lea eax,[ebp-0Ch]
    &[0x50],             // push eax
    &[0x8b, 0x46, 0x10], // mov eax,dword ptr [esi+10h]
    &[0x3b, 0xc7],       // cmp eax,edi
    &[0xff, 0x75, 0x10], // push dword ptr [ebp+10h]
    &[0x89, 0x45, 0xfc], // mov dword ptr [ebp-4],eax
    &[0x8b, 0x0f],       // mov ecx,dword ptr [edi]
    &[0x56],             // push esi
];

/// `n` bytes of plausible straight-line code.
pub fn filler(mut n: usize, seed: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut i = seed;
    while n > 0 {
        let ins = FILLER[i % FILLER.len()];
        i += 1;
        if ins.len() <= n {
            out.extend_from_slice(ins);
            n -= ins.len();
        } else if n == 1 {
            out.push(0x90);
            n = 0;
        }
    }
    out
}

/// Builds a function body: `prolog`, then for every (return offset, call
/// instruction) pair filler so that the call ends exactly at that offset,
/// then `tail`. Offsets must be increasing and reachable; otherwise the
/// instructions are simply appended (never panics; tests check offsets).
pub fn function(prolog: &[u8], calls: &[(u32, Vec<u8>)], tail: &[u8]) -> Vec<u8> {
    let mut v = prolog.to_vec();
    for (k, (ret, ins)) in calls.iter().enumerate() {
        let start = (*ret as usize).saturating_sub(ins.len());
        if start > v.len() {
            v.extend(filler(start - v.len(), k * 3 + v.len()));
        }
        v.extend_from_slice(ins);
    }
    v.extend(filler(7, 5));
    v.extend_from_slice(tail);
    v
}

/// Standard prolog `mov edi,edi / push ebp / mov ebp,esp` (hot-patchable, 2003 SP1 style).
pub const PROLOG_HP: &[u8] = &[0x8b, 0xff, 0x55, 0x8b, 0xec];
/// VC6-style prolog `push ebp / mov ebp,esp`.
pub const PROLOG: &[u8] = &[0x55, 0x8b, 0xec];

/// `call rel32` at `from` (address of the call instruction) to `to`.
pub fn call_rel(from: u32, to: u32) -> Vec<u8> {
    let rel = to.wrapping_sub(from.wrapping_add(5));
    let mut v = vec![0xe8];
    v.extend_from_slice(&rel.to_le_bytes());
    v
}

/// `call dword ptr [abs]` (through an import address table slot).
pub fn call_ind(slot: u32) -> Vec<u8> {
    let mut v = vec![0xff, 0x15];
    v.extend_from_slice(&slot.to_le_bytes());
    v
}

/// What the walker should see for one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecKind {
    /// Frame 0 of a thread: from the thread CONTEXT.
    Context,
    /// Ordinary frame reached through a return address.
    Call,
    /// KiUserExceptionDispatcher: the next frame comes from the CONTEXT record.
    Dispatch { context: u32, record: u32 },
    /// Frame restored from a CONTEXT record on the stack (the faulting frame of
    /// an earlier, nested exception).
    Trap { context: u32 },
}

#[derive(Clone, Debug)]
pub struct Rec {
    pub ip: u32,
    /// EBP of this frame while it executes (None for frameless functions).
    pub ebp: Option<u32>,
    pub kind: RecKind,
}

/// Stack simulator. Holds `[lo, base)`; records frames bottom-up.
pub struct Sim {
    pub base: u32,
    pub lo: u32,
    pub data: Vec<u8>,
    pub esp: u32,
    pub ebp: u32,
    /// Head of the fs:[0] SEH chain.
    pub fs0: u32,
    pub recs: Vec<Rec>,
    pub overflow: bool,
}

impl Sim {
    pub fn new(base: u32, room: u32) -> Self {
        Sim {
            base,
            lo: base - room,
            data: vec![0; room as usize],
            esp: base,
            ebp: 0,
            fs0: 0xffff_ffff,
            recs: Vec::new(),
            overflow: false,
        }
    }

    pub fn write(&mut self, addr: u32, v: u32) {
        self.write_bytes(addr, &v.to_le_bytes());
    }

    pub fn write_bytes(&mut self, addr: u32, b: &[u8]) {
        if addr < self.lo || addr as u64 + b.len() as u64 > self.base as u64 {
            self.overflow = true;
            return;
        }
        let off = (addr - self.lo) as usize;
        self.data[off..off + b.len()].copy_from_slice(b);
    }

    pub fn push(&mut self, v: u32) -> u32 {
        if self.esp < self.lo + 4 {
            self.overflow = true;
            return self.esp;
        }
        self.esp -= 4;
        self.write(self.esp, v);
        self.esp
    }

    /// Reserves `n` bytes of locals (zero-filled).
    pub fn sub(&mut self, n: u32) {
        if self.esp < self.lo + n {
            self.overflow = true;
            return;
        }
        self.esp -= n;
    }

    /// `push ebp / mov ebp,esp / sub esp,locals / push saved...`
    pub fn enter(&mut self, locals: u32, saved: &[u32]) -> u32 {
        self.push(self.ebp);
        self.ebp = self.esp;
        self.sub(locals);
        for s in saved {
            self.push(*s);
        }
        self.ebp
    }

    /// Pushes stdcall arguments (last first) and the return address; records
    /// the calling frame (`framed` = whether the caller has an EBP frame).
    pub fn call(&mut self, args: &[u32], ret: u32, framed: bool) {
        for a in args.iter().rev() {
            self.push(*a);
        }
        self.push(ret);
        self.recs.push(Rec {
            ip: ret,
            ebp: if framed { Some(self.ebp) } else { None },
            kind: RecKind::Call,
        });
    }

    /// Bytes `[from, base)`.
    pub fn slice_from(&self, from: u32) -> &[u8] {
        let off = from.saturating_sub(self.lo) as usize;
        self.data.get(off..).unwrap_or(&[])
    }
}
