//! Stack walks over synthetic stacks, in the style of rust-minidump's stackwalker tests: a stack
//! section is laid out word by word, a module's code holds call instructions before the return
//! addresses, and the walk must find exactly the frames the layout implies.

use coroner_model::{AddressSpace, Arch, Context, MemoryRange, Module, OsFamily, Snapshot};
use coroner_model::{SystemInfo, Thread};
use coroner_unwind::{walk, Limits, NoHelp, Trust, UnwindHelp, Walk};

const MODULE_BASE: u64 = 0x1000_0000;
const MODULE_SIZE: u64 = 0x4000;
/// Where the synthetic code lies in the module (past the header page).
const CODE: u64 = MODULE_BASE + 0x1000;
const STACK: u64 = 0x0080_0000;

/// A stack laid out word by word from `base` upwards.
struct Section {
    base: u64,
    ptr: u8,
    bytes: Vec<u8>,
}

impl Section {
    fn new(base: u64, ptr: u8) -> Self {
        Section {
            base,
            ptr,
            bytes: Vec::new(),
        }
    }
    /// Address of the next word.
    fn here(&self) -> u64 {
        self.base + self.bytes.len() as u64
    }
    fn word(&mut self, v: u64) -> &mut Self {
        let b = v.to_le_bytes();
        self.bytes.extend_from_slice(&b[..usize::from(self.ptr)]);
        self
    }
    /// `n` words of filler that no check takes for code.
    fn filler(&mut self, n: usize) -> &mut Self {
        for _ in 0..n {
            self.word(0x0bad_f00d);
        }
        self
    }
    /// The value of the word at `addr`.
    fn at(&self, addr: u64) -> u64 {
        let o = (addr - self.base) as usize;
        let mut b = [0u8; 8];
        b[..usize::from(self.ptr)].copy_from_slice(&self.bytes[o..o + usize::from(self.ptr)]);
        u64::from_le_bytes(b)
    }
}

/// Module code: `call rel32` (`e8 …`) at each given offset, so that offset + 5 is a return
/// address; everything else `int3`.
fn code_with_calls(offsets: &[u64]) -> Vec<u8> {
    let mut code = vec![0xccu8; 0x2000];
    for &o in offsets {
        code[o as usize] = 0xe8;
        code[o as usize + 1..o as usize + 5].copy_from_slice(&[0, 0, 0, 0]);
    }
    code
}

fn module() -> Module {
    Module {
        base: MODULE_BASE,
        size: MODULE_SIZE,
        path: "C:\\app\\app.dll".into(),
        name: "app.dll".into(),
        timestamp: 0,
        checksum: 0,
        file_version: None,
        product_version: None,
        file_flags: None,
        file_os: None,
        file_type: None,
        debug_file: None,
        debug_id: None,
        code_id: None,
        is_main: false,
    }
}

fn snapshot<'d>(arch: Arch, stack: &'d Section, code: &'d [u8]) -> Snapshot<'d> {
    let thread = Thread {
        index: 0,
        id: 0x10,
        name: None,
        teb: None,
        stack_start: stack.base,
        stack_len: stack.bytes.len() as u64,
        stack_base: None,
        stack_limit: None,
        context: None,
        times: None,
        last_error: None,
        scheduling: None,
    };
    Snapshot {
        path: "synthetic.dmp".into(),
        container: "synthetic".into(),
        dump_flags: 0,
        system: SystemInfo {
            os: OsFamily::Windows,
            os_name: "Windows NT".into(),
            os_version: "10.0.19045".into(),
            arch,
            cpu_info: None,
            cpu_count: 1,
        },
        process: Default::default(),
        exception: None,
        exception_context: None,
        threads: vec![thread],
        modules: vec![module()],
        unloaded_modules: Vec::new(),
        regions: Vec::new(),
        regions_source: None,
        memory: AddressSpace::new(vec![
            MemoryRange {
                base: stack.base,
                bytes: &stack.bytes,
            },
            MemoryRange {
                base: CODE,
                bytes: code,
            },
        ]),
        handle_count: None,
        handles: Vec::new(),
        comments: Vec::new(),
        warnings: Vec::new(),
        streams: Vec::new(),
        damage: None,
        module_index: Default::default(),
    }
}

fn x86_context(eip: u64, esp: u64, ebp: u64) -> Context {
    let mut c = Context::x86([0; 9], 0x246, [0x1b, 0x23, 0x23, 0x23, 0x3b, 0]);
    c.set("eip", eip);
    c.set("esp", esp);
    c.set("ebp", ebp);
    c
}

fn amd64_context(rip: u64, rsp: u64) -> Context {
    let mut c = Context::amd64([0; 17], 0x246, [0x33, 0x2b, 0x2b, 0x2b, 0x53, 0x2b]);
    c.set("rip", rip);
    c.set("rsp", rsp);
    c
}

fn run(snap: &Snapshot<'_>, ctx: &Context, help: &dyn UnwindHelp, limits: Limits) -> Walk {
    walk(snap, snap.threads.first(), ctx, help, limits)
}

fn pcs(w: &Walk) -> Vec<u64> {
    w.frames.iter().map(|f| f.pc).collect()
}

#[test]
fn x86_frame_pointer_chain_with_args() {
    let code = code_with_calls(&[0x100, 0x200]);
    let (ret1, ret2) = (CODE + 0x105, CODE + 0x205);
    let mut s = Section::new(STACK, 4);
    s.filler(2);
    let ebp0 = s.here();
    let ebp1 = ebp0 + 6 * 4;
    s.word(ebp1)
        .word(ret1)
        .word(0x11)
        .word(0x12)
        .word(0x13)
        .word(0x14);
    assert_eq!(s.here(), ebp1);
    s.word(0).word(ret2).word(0x21).word(0x22).word(0x23);
    let snap = snapshot(Arch::X86, &s, &code);
    let w = run(
        &snap,
        &x86_context(CODE + 0x10, STACK, ebp0),
        &NoHelp,
        Limits::default(),
    );

    assert_eq!(pcs(&w), [CODE + 0x10, ret1, ret2]);
    let trusts: Vec<Trust> = w.frames.iter().map(|f| f.trust).collect();
    assert_eq!(
        trusts,
        [Trust::Context, Trust::FramePointer, Trust::FramePointer]
    );
    // kb's ChildEBP and Args to Child: the three words above each frame's ebp.
    assert_eq!(w.frames[0].fp, ebp0);
    assert_eq!(w.frames[0].args[..3], [Some(0x11), Some(0x12), Some(0x13)]);
    assert_eq!(w.frames[1].fp, ebp1);
    assert_eq!(w.frames[1].args[..3], [Some(0x21), Some(0x22), Some(0x23)]);
    assert_eq!(w.frames[0].return_address, Some(ret1));
    assert_eq!(w.truncated, None);
}

#[test]
fn x86_scan_takes_only_words_after_a_call() {
    // A word inside the module that no call precedes, the module's base (an HMODULE) and a
    // value outside every module lie on the stack before the real return address.
    let code = code_with_calls(&[0x300]);
    let ret = CODE + 0x305;
    let mut s = Section::new(STACK, 4);
    s.word(CODE + 0x40)
        .word(MODULE_BASE)
        .word(0x7fff_0000)
        .filler(1)
        .word(ret)
        .filler(4);
    let snap = snapshot(Arch::X86, &s, &code);
    // ebp 0: no frame-pointer chain, so the walker must scan.
    let w = run(
        &snap,
        &x86_context(CODE + 0x10, STACK, 0),
        &NoHelp,
        Limits::default(),
    );

    assert_eq!(pcs(&w)[..2], [CODE + 0x10, ret]);
    assert_eq!(w.frames[1].trust, Trust::Scan);
    assert_eq!(w.frames[1].sp, STACK + 5 * 4);
}

#[test]
fn scan_stops_at_its_word_limit() {
    let code = code_with_calls(&[0x300]);
    let mut s = Section::new(STACK, 4);
    s.filler(40).word(CODE + 0x305);
    let snap = snapshot(Arch::X86, &s, &code);
    let ctx = x86_context(CODE + 0x10, STACK, 0);
    let near = Limits {
        scan_words: 16,
        ..Limits::default()
    };
    assert_eq!(run(&snap, &ctx, &NoHelp, near).frames.len(), 1);
    assert_eq!(run(&snap, &ctx, &NoHelp, Limits::default()).frames.len(), 2);
}

#[test]
fn x64_args_are_the_callers_home_area() {
    // Frame 0 is not a leaf: 0x20 bytes of its own locals lie below its return address. WinDbg's
    // Args to Child for it are the four home slots above that return address (= frame 1's
    // Child-SP), not the words above frame 0's stack pointer.
    let code = code_with_calls(&[0x400, 0x500]);
    let (ret1, ret2) = (CODE + 0x405, CODE + 0x505);
    let mut s = Section::new(STACK, 8);
    s.filler(4).word(ret1);
    let sp1 = s.here();
    s.word(0xa1).word(0xa2).word(0xa3).word(0xa4).word(ret2);
    let sp2 = s.here();
    s.word(0xb1).word(0xb2).word(0xb3).word(0xb4).filler(2);
    let snap = snapshot(Arch::Amd64, &s, &code);
    let w = run(
        &snap,
        &amd64_context(CODE + 0x10, STACK),
        &NoHelp,
        Limits::default(),
    );

    assert_eq!(pcs(&w), [CODE + 0x10, ret1, ret2]);
    assert_eq!(w.frames[1].sp, sp1);
    assert_eq!(w.frames[2].sp, sp2);
    assert_eq!(
        w.frames[0].args,
        [Some(0xa1), Some(0xa2), Some(0xa3), Some(0xa4)]
    );
    assert_eq!(
        w.frames[1].args,
        [Some(0xb1), Some(0xb2), Some(0xb3), Some(0xb4)]
    );
    // The outermost frame has no caller: its args are the words above its own stack pointer.
    assert_eq!(w.frames[2].args[0], Some(s.at(sp2 + 8)));
}

#[test]
fn walk_stops_at_the_frame_limit() {
    // A frame-pointer chain of 12 frames walked with room for 5.
    let code = code_with_calls(&[0x600]);
    let ret = CODE + 0x605;
    let mut s = Section::new(STACK, 4);
    for i in 0..12u64 {
        let next = if i == 11 { 0 } else { s.here() + 8 };
        s.word(next).word(ret);
    }
    let snap = snapshot(Arch::X86, &s, &code);
    let limits = Limits {
        max_frames: 5,
        ..Limits::default()
    };
    let w = run(
        &snap,
        &x86_context(CODE + 0x10, STACK, STACK),
        &NoHelp,
        limits,
    );
    assert_eq!(w.frames.len(), 5);
    assert_eq!(w.truncated.as_deref(), Some("stack truncated at 5 frames"));
}

#[test]
fn a_chain_pointing_down_the_stack_ends_the_walk() {
    // ebp links that go down instead of up (a corrupt chain) must not loop.
    let code = code_with_calls(&[0x700]);
    let ret = CODE + 0x705;
    let mut s = Section::new(STACK, 4);
    s.word(STACK + 8).word(ret).word(STACK).word(ret).filler(2);
    let snap = snapshot(Arch::X86, &s, &code);
    let w = run(
        &snap,
        &x86_context(CODE + 0x10, STACK, STACK),
        &NoHelp,
        Limits::default(),
    );
    // Frame 1 comes from the first link; the second points down and is refused, and the
    // scan above it finds only frame 1's own return address again.
    assert_eq!(pcs(&w), [CODE + 0x10, ret]);
    assert_eq!(w.truncated, None);
}
