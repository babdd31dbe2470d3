//! # coroner-unwind
//!
//! The stack-walking analysis. Given a thread's register context and the captured memory, it
//! recovers the call stack frame by frame, the way WinDbg's `k` does for dumps without private
//! symbols:
//!
//! 1. the first frame comes from the context;
//! 2. a frame inside `KiUserExceptionDispatcher` continues at the **saved exception CONTEXT** that
//!    the kernel placed on the stack (so nested exceptions show as WinDbg shows them);
//! 3. otherwise the architecture's unwind data (x64 `.pdata`, via [`UnwindHelp::unwind`]),
//! 4. then the frame-pointer chain (x86 EBP, ARM64 FP/LR),
//! 5. then careful stack scanning for return addresses (a value inside a module's code that
//!    follows a call instruction when the code bytes are present).
//!
//! Why not `minidump-unwind`: its walker has no hook to continue through an exception-dispatch
//! frame from a CONTEXT record on the stack, and for x86 Windows without `.sym` files it only has
//! frame pointers and scanning — the same as here. Every frame records how it was found
//! ([`Trust`]) so a reader can weigh it.

pub mod cfi;
pub mod stackwin;

use coroner_model::{Arch, Context, Snapshot, Thread, X86_CONTEXT_SIZE};
use serde::Serialize;

/// How a frame was found, best first (same vocabulary as minidump-stackwalk where it overlaps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// The thread's or the exception's register context.
    Context,
    /// A CONTEXT record saved on the stack by exception dispatch.
    ExceptionContext,
    /// Unwind data of the image (x64 `.pdata`/`.xdata`).
    Cfi,
    /// The frame-pointer chain.
    FramePointer,
    /// Stack scanning: a plausible return address found on the stack.
    Scan,
}

impl Trust {
    /// The JSON string.
    pub fn as_str(self) -> &'static str {
        match self {
            Trust::Context => "context",
            Trust::ExceptionContext => "exception_context",
            Trust::Cfi => "cfi",
            Trust::FramePointer => "frame_pointer",
            Trust::Scan => "scan",
        }
    }
    /// The human description minidump-stackwalk users know.
    pub fn description(self) -> &'static str {
        match self {
            Trust::Context => "given as instruction pointer in context",
            Trust::ExceptionContext => "saved exception CONTEXT (exception dispatch)",
            Trust::Cfi => "call frame info",
            Trust::FramePointer => "previous frame's frame pointer",
            Trust::Scan => "stack scanning",
        }
    }
}

/// One frame of a walked stack.
#[derive(Clone, Debug, Serialize)]
pub struct Frame {
    /// Instruction address (for frames above 0: the return address).
    pub pc: u64,
    /// Stack pointer in this frame (x64 Child-SP).
    pub sp: u64,
    /// Frame pointer of this frame (x86 ChildEBP), when known.
    pub fp: u64,
    /// The return address of this frame (= next frame's pc), filled once the caller is found.
    pub return_address: Option<u64>,
    /// `kb`'s "Args to Child" (x86: the first three stack arguments above the frame pointer;
    /// x64: the four slots of the frame's parameter home area); `None` where the memory is
    /// missing. [`arg_count`] says how many the architecture shows.
    pub args: Args,
    /// How the frame was found.
    pub trust: Trust,
    /// The full register set, for frames that came from a context (0 and exception contexts).
    #[serde(skip)]
    pub context: Option<Context>,
}

/// `kb`'s "Args to Child" of one frame.
pub type Args = [Option<u64>; 4];

/// How many of [`Frame::args`] WinDbg's `kb` shows: three on x86, the four home slots on x64
/// and ARM64.
pub fn arg_count(arch: Arch) -> usize {
    if arch == Arch::X86 {
        3
    } else {
        4
    }
}

/// The result of a walk.
#[derive(Clone, Debug, Serialize)]
pub struct Walk {
    /// Frames, innermost first.
    pub frames: Vec<Frame>,
    /// Why the walk stopped early, if it hit a limit ("stack truncated at 1024 frames").
    pub truncated: Option<String>,
}

/// What the walker needs to know about code: names (to spot the exception dispatcher) and unwind
/// data. Implemented by the symbol stage; [`NoHelp`] knows nothing.
pub trait UnwindHelp {
    /// Name of the function containing `addr`, without module (e.g. `KiUserExceptionDispatcher`).
    fn function_name(&self, addr: u64) -> Option<String>;
    /// Unwinds one frame with the image's unwind data: given the callee's context, returns the
    /// caller's. `None` when no unwind data covers `ctx.pc()`. `exact`: `ctx.pc()` is where
    /// execution stopped (the innermost frame, or a context saved by exception dispatch), not
    /// a return address.
    fn unwind(&self, ctx: &Context, exact: bool) -> Option<Context> {
        let _ = (ctx, exact);
        None
    }
    /// [`UnwindHelp::unwind`], also saying whether the caller's pc is exact — registers restored
    /// from a saved context (an x64 machine frame, ARM64 `MSFT_OP_CONTEXT`, i.e. exception
    /// dispatch) rather than a return address.
    fn unwind_exact(&self, ctx: &Context, exact: bool) -> Option<(Context, bool)> {
        self.unwind(ctx, exact).map(|c| (c, false))
    }
    /// Whether `addr` lies in code a symbol file knows: `Some(false)` when the module has symbols
    /// and `addr` lies outside every function (string constants, data, padding), `None` when
    /// nothing is known. Stack scanning refuses `Some(false)` candidates.
    fn in_code(&self, addr: u64) -> Option<bool> {
        let _ = addr;
        None
    }
    /// Breakpad `STACK CFI` rules in force at `addr`: `(register, postfix expression)` pairs.
    fn cfi_rules(&self, addr: u64) -> Option<Vec<(String, String)>> {
        let _ = addr;
        None
    }
    /// x86 frame data (Breakpad `STACK WIN`, PDB FPO/frame data) for the function at `addr`.
    fn frame_data(&self, addr: u64) -> Option<stackwin::FrameData> {
        let _ = addr;
        None
    }
}

/// An [`UnwindHelp`] that knows nothing.
pub struct NoHelp;
impl UnwindHelp for NoHelp {
    fn function_name(&self, _addr: u64) -> Option<String> {
        None
    }
}

/// Bounds on a walk.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most frames.
    pub max_frames: usize,
    /// Most stack words examined while scanning for one frame.
    pub scan_words: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frames: 1024,
            scan_words: 1024,
        }
    }
}

/// Whether `name` is the user-mode exception dispatcher entry.
pub fn is_dispatcher(name: &str) -> bool {
    name == "KiUserExceptionDispatcher"
}

struct Walker<'a, 'd> {
    snap: &'a Snapshot<'d>,
    thread: Option<&'a Thread>,
    help: &'a dyn UnwindHelp,
    ptr: u8,
}

/// Walks the stack of `thread` starting at `ctx`.
pub fn walk(
    snap: &Snapshot<'_>,
    thread: Option<&Thread>,
    ctx: &Context,
    help: &dyn UnwindHelp,
    limits: Limits,
) -> Walk {
    let w = Walker {
        snap,
        thread,
        help,
        ptr: ctx.arch.ptr_size(),
    };
    let mut frames = vec![w.frame_from_context(ctx.clone(), Trust::Context)];
    let mut truncated = None;
    // The current register state (precise for context/cfi frames, partial for others).
    let mut cur = ctx.clone();
    // x86 frame data: the parameter size of the frame just unwound (Breakpad's
    // `.cbCalleeParams`).
    let mut callee_params = 0u32;
    loop {
        if frames.len() >= limits.max_frames {
            truncated = Some(format!("stack truncated at {} frames", limits.max_frames));
            break;
        }
        let is_top = frames.len() == 1;
        let Some((next, trust)) = w.caller(
            &cur,
            frames.last().map(|f| f.trust),
            is_top,
            limits,
            callee_params,
        ) else {
            break;
        };
        // Loop protection: the stack must move up (or stay for a context switch into a new frame).
        let last = frames.last().expect("non-empty");
        let (nsp, npc) = (next.sp(), next.pc());
        let went_down = nsp < last.sp || (nsp == last.sp && npc == last.pc);
        let seen = went_down && frames.iter().any(|f| f.sp == nsp && f.pc == npc);
        if went_down && (trust != Trust::ExceptionContext || seen) {
            break;
        }
        if next.pc() == 0 {
            break;
        }
        let idx = frames.len() - 1;
        frames[idx].return_address = Some(next.pc());
        let keep = matches!(trust, Trust::ExceptionContext | Trust::Cfi);
        let mut f = w.frame_from_context(next.clone(), trust);
        if !keep {
            f.context = None;
        }
        frames.push(f);
        callee_params = if cur.arch == Arch::X86 {
            help.frame_data(cur.pc()).map_or(0, |fd| fd.params_size)
        } else {
            0
        };
        cur = next;
    }
    if ctx.arch == Arch::Amd64 {
        w.home_areas(&mut frames);
    }
    Walk { frames, truncated }
}

impl Walker<'_, '_> {
    /// x64 `kb` shows a frame's parameter home area: the four slots its caller reserved just
    /// above the return address, so they start at the caller's Child-SP. Frames restored from an
    /// exception CONTEXT did not return to their caller's stack pointer and keep what
    /// [`Self::frame_from_context`] read.
    fn home_areas(&self, frames: &mut [Frame]) {
        let m = &self.snap.memory;
        for i in 1..frames.len() {
            if frames[i].trust == Trust::ExceptionContext {
                continue;
            }
            let home = frames[i].sp;
            frames[i - 1].args = std::array::from_fn(|k| m.read_u64(home + 8 * k as u64));
        }
    }

    fn frame_from_context(&self, ctx: Context, trust: Trust) -> Frame {
        let fp = ctx.fp().unwrap_or(0);
        let sp = ctx.sp();
        let args = match ctx.arch {
            Arch::X86 => {
                let m = &self.snap.memory;
                [
                    m.read_u32(fp.wrapping_add(8)).map(u64::from),
                    m.read_u32(fp.wrapping_add(12)).map(u64::from),
                    m.read_u32(fp.wrapping_add(16)).map(u64::from),
                    None,
                ]
            }
            Arch::Amd64 => {
                // The home area above the return address, where a frame without a known
                // caller has it when it allocated nothing (a leaf); the walk replaces it with
                // the caller's Child-SP once the caller is found (`home_areas`).
                let m = &self.snap.memory;
                std::array::from_fn(|k| m.read_u64(sp.wrapping_add(8 * (k as u64 + 1))))
            }
            _ => [None; 4],
        };
        Frame {
            pc: ctx.pc(),
            sp,
            fp,
            return_address: None,
            args,
            trust,
            context: Some(ctx),
        }
    }

    fn in_stack(&self, addr: u64) -> bool {
        match self.thread {
            Some(t) => t.stack_contains(addr),
            None => self.snap.memory.contains(addr),
        }
    }

    /// Whether `addr` could be code: inside a module, or in an executable region.
    fn is_code(&self, addr: u64) -> bool {
        if addr < 0x1000 {
            return false;
        }
        // Inside a loaded module (JIT code outside modules cannot be told from data), and not in
        // a region the memory map says is not executable.
        match self.snap.module_at(addr) {
            None if !self.snap.modules.is_empty() => return false,
            // The first page of an image holds its headers, not code (sections start at the
            // section alignment, a page for every image a user-mode process loads in practice):
            // a module's base address on the stack is an HMODULE, not a return address.
            Some(m) if addr.wrapping_sub(m.base) < 0x1000 => return false,
            _ => {}
        }
        match self.snap.region_at(addr) {
            Some(r) => r.executable(),
            None => true,
        }
    }

    /// Whether `addr` looks like a return address: code (inside a known function when the
    /// module has symbols), and when the bytes are there, preceded by a call instruction.
    fn is_return_address(&self, addr: u64) -> bool {
        // The symbols are asked about the call instruction, which lies before the return address
        // (a call may be a function's last instruction).
        if !self.is_code(addr) || self.help.in_code(addr.wrapping_sub(1)) == Some(false) {
            return false;
        }
        if !matches!(self.snap.system.arch, Arch::X86 | Arch::Amd64) {
            return true;
        }
        let m = &self.snap.memory;
        let Some(b) = m.read(addr.wrapping_sub(7), 7) else {
            // Code not in the dump: accept, like minidump-stackwalk's scanner.
            return true;
        };
        // call rel32 (e8 xx xx xx xx)
        if b[2] == 0xe8 {
            return true;
        }
        // call r/m: ff /2 with modrm sizes 2..7 bytes back
        for back in 2..=7usize {
            let i = 7 - back;
            if b[i] == 0xff {
                let modrm = b[i + 1];
                let reg = (modrm >> 3) & 7;
                if reg == 2 || reg == 3 {
                    let len = x86_modrm_len(&b[i + 1..]);
                    if len == Some(back - 1) {
                        return true;
                    }
                }
            }
            // REX-prefixed (41 ff d0 = call r8) and similar.
            if back == 3 && b[i] & 0xf0 == 0x40 && b[i + 1] == 0xff && ((b[i + 2] >> 3) & 7) == 2 {
                return true;
            }
        }
        false
    }

    fn caller(
        &self,
        cur: &Context,
        cur_trust: Option<Trust>,
        is_top: bool,
        limits: Limits,
        callee_params: u32,
    ) -> Option<(Context, Trust)> {
        let name = self.help.function_name(cur.pc());
        if name.as_deref().is_some_and(is_dispatcher) {
            if let Some(ctx) = self.dispatcher_context(cur) {
                return Some((ctx, Trust::ExceptionContext));
            }
        }
        // The first frame is not in code (a call into an unloaded module, a jump to data): the
        // call just happened, so the return address is on top of the stack.
        if is_top && !self.is_code(cur.pc()) {
            // ARM64/ARM: the call left the return address in lr.
            if matches!(cur.arch, Arch::Arm64 | Arch::Arm) {
                let lr = cur.get("lr").map(coroner_model::strip_pac);
                if let Some(lr) = lr.filter(|v| self.is_return_address(*v)) {
                    let mut c = cur.clone();
                    c.set("pc", lr);
                    return Some((c, Trust::Cfi));
                }
            } else if let Some(c) = self.pop_return_address(cur, 0) {
                return Some((c, Trust::Cfi));
            }
        }
        // The instruction at pc is a `ret` (a frameless stub such as KiFastSystemCallRet, or
        // `NtXxx+0xc: ret 0Ch`): emulate it exactly.
        if let Some(c) = self.emulate_ret(cur) {
            return Some((
                c,
                cur_trust.map_or(Trust::Cfi, |t| {
                    if t == Trust::Scan {
                        Trust::Scan
                    } else {
                        Trust::Cfi
                    }
                }),
            ));
        }
        // CFI from symbol files (x64, ARM64): look the rules up at the call instruction for
        // return addresses.
        if matches!(cur.arch, Arch::Amd64 | Arch::Arm64) {
            let exact = is_top || cur_trust == Some(Trust::ExceptionContext);
            let at = if exact {
                cur.pc()
            } else {
                cur.pc().saturating_sub(1)
            };
            if let Some(rules) = self.help.cfi_rules(at) {
                let m = &self.snap.memory;
                let ptr = self.ptr;
                if let Some(c) = cfi::unwind(cur, &rules, &|a| m.read_ptr(a, ptr)) {
                    if c.pc() != 0 && self.is_code(c.pc()) && c.sp() > cur.sp() {
                        return Some((c, Trust::Cfi));
                    }
                }
            }
        }
        // `exact`: pc is where execution stopped, not a return address (so a leaf function's
        // return address is still in a register).
        let exact = is_top || cur_trust == Some(Trust::ExceptionContext);
        if let Some((c, restored)) = self.help.unwind_exact(cur, exact) {
            // Unwind data that yields a zero return address marks the outermost frame
            // (RtlUserThreadStart / BaseThreadInitThunk): the stack ends here.
            if c.pc() == 0 {
                return None;
            }
            let plausible =
                self.is_code(c.pc()) && (self.in_stack(c.sp()) || self.thread.is_none());
            if plausible {
                let trust = if restored {
                    Trust::ExceptionContext
                } else {
                    Trust::Cfi
                };
                return Some((c, trust));
            }
        }
        // x86 frame data (PDB / STACK WIN) says how the function's frame is laid out, whether or
        // not it keeps EBP as a frame pointer: a frame it unwinds (to a checked return address)
        // comes before judging the EBP chain, which in a function without a frame pointer holds
        // whatever the caller left there.
        if cur.arch == Arch::X86 {
            if let Some(c) = self.x86_frame_data(cur, callee_params) {
                return Some((c, Trust::Cfi));
            }
        }
        if cur.arch == Arch::X86 && cur_trust != Some(Trust::Scan) {
            // A frame-pointer chain that reaches the top of the captured stack (or a zero link
            // with no readable return address) is the end of the stack: scanning beyond it only
            // finds stale return addresses.
            if let Some(ebp) = cur.fp() {
                if ebp >= cur.sp() && self.in_stack(ebp) {
                    let m = &self.snap.memory;
                    match (m.read_u32(ebp), m.read_u32(ebp.wrapping_add(4))) {
                        (_, None) => return None,
                        (Some(0), Some(r)) if !self.is_return_address(u64::from(r)) => return None,
                        _ => {}
                    }
                }
            }
        }
        match cur.arch {
            Arch::X86 => self
                .x86_frame_pointer(cur)
                .map(|c| (c, Trust::FramePointer))
                .or_else(|| self.scan(cur, limits).map(|c| (c, Trust::Scan))),
            Arch::Arm64 | Arch::Arm => self
                .arm_frame_pointer(cur, is_top)
                .map(|c| (c, Trust::FramePointer))
                .or_else(|| self.scan(cur, limits).map(|c| (c, Trust::Scan))),
            Arch::Amd64 => self
                .amd64_frame_pointer(cur)
                .map(|c| (c, Trust::FramePointer))
                .or_else(|| self.scan(cur, limits).map(|c| (c, Trust::Scan))),
            _ => self.scan(cur, limits).map(|c| (c, Trust::Scan)),
        }
    }

    /// The CONTEXT saved by exception dispatch. On x86 the kernel enters
    /// `KiUserExceptionDispatcher` with `[esp] = &EXCEPTION_RECORD, [esp+4] = &CONTEXT`; the
    /// dispatcher pushes them again as arguments, so we look at the first words above the frame's
    /// stack pointer for a pointer to a plausible CONTEXT. On x64 the CONTEXT lies at `rsp`.
    fn dispatcher_context(&self, cur: &Context) -> Option<Context> {
        let m = &self.snap.memory;
        match cur.arch {
            Arch::X86 => {
                let sp = cur.sp();
                for i in 0..16u64 {
                    let p = u64::from(m.read_u32(sp.wrapping_add(i * 4))?);
                    if p <= sp || !self.in_stack(p) {
                        continue;
                    }
                    let Some(bytes) = m.read(p, 0xcc) else {
                        continue;
                    };
                    let flags = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                    if flags & 0x0001_0001 != 0x0001_0001 || flags & !0x0001_007f != 0 {
                        continue;
                    }
                    let ctx = Context::from_x86_bytes(&bytes)?;
                    if ctx.sp() > p && self.in_stack(ctx.sp()) && ctx.pc() != 0 {
                        let _ = X86_CONTEXT_SIZE;
                        return Some(ctx);
                    }
                }
                None
            }
            Arch::Amd64 => {
                let sp = cur.sp();
                for off in [0u64, 8, 0x10, 0x20] {
                    let Some(bytes) = m.read(sp.wrapping_add(off), 0x100) else {
                        continue;
                    };
                    let flags =
                        u32::from_le_bytes([bytes[0x30], bytes[0x31], bytes[0x32], bytes[0x33]]);
                    if flags & 0x0010_0001 != 0x0010_0001 {
                        continue;
                    }
                    let ctx = Context::from_amd64_bytes(&bytes)?;
                    if ctx.sp() > sp && self.in_stack(ctx.sp()) && ctx.pc() != 0 {
                        return Some(ctx);
                    }
                }
                None
            }
            // ARM64: the kernel leaves the CONTEXT at sp (the EXCEPTION_RECORD after it) and
            // KiUserExceptionDispatcher has no prolog.
            Arch::Arm64 => {
                let sp = cur.sp();
                for off in [0u64, 0x10, 0x20] {
                    let Some(bytes) = m.read(sp.wrapping_add(off), 0x390) else {
                        continue;
                    };
                    let flags = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                    // CONTEXT_ARM64 with at least CONTROL and INTEGER.
                    if flags & 0x0040_0003 != 0x0040_0003 {
                        continue;
                    }
                    let ctx = Context::from_arm64_bytes(&bytes)?;
                    if ctx.sp() > sp && self.in_stack(ctx.sp()) && ctx.pc() != 0 {
                        return Some(ctx);
                    }
                }
                None
            }
            _ => None,
        }
    }

    fn emulate_ret(&self, cur: &Context) -> Option<Context> {
        if !matches!(cur.arch, Arch::X86 | Arch::Amd64) {
            return None;
        }
        let b = self.snap.memory.read(cur.pc(), 3)?;
        let pop = match b[0] {
            0xc3 => 0,
            0xc2 => u64::from(u16::from_le_bytes([b[1], b[2]])),
            _ => return None,
        };
        self.pop_return_address(cur, pop)
    }

    /// The caller of a frame whose return address is at the stack pointer: pops it (and `pop`
    /// bytes of arguments).
    fn pop_return_address(&self, cur: &Context, pop: u64) -> Option<Context> {
        let sp = cur.sp();
        let ret = self.snap.memory.read_ptr(sp, self.ptr)?;
        if !self.is_return_address(ret) {
            return None;
        }
        let mut c = cur.clone();
        c.set("pc", ret);
        c.set("sp", sp.wrapping_add(u64::from(self.ptr)).wrapping_add(pop));
        Some(c)
    }

    fn x86_frame_data(&self, cur: &Context, callee_params: u32) -> Option<Context> {
        let fd = self.help.frame_data(cur.pc())?;
        let m = &self.snap.memory;
        let read = |a: u64| m.read_u32(a);
        // Look a few words above the computed slot for a return address (realigned stacks).
        let find_ra = |start: u64| {
            (0..4u64).map(|i| start.wrapping_add(4 * i)).find(|a| {
                m.read_u32(*a)
                    .is_some_and(|v| self.is_return_address(u64::from(v)))
            })
        };
        let c = stackwin::unwind(cur, &fd, callee_params, &read, &find_ra)?;
        (self.is_return_address(c.pc()) && c.sp() > cur.sp()).then_some(c)
    }

    fn x86_frame_pointer(&self, cur: &Context) -> Option<Context> {
        let m = &self.snap.memory;
        let ebp = cur.fp()?;
        if ebp < cur.sp() || ebp % 4 != 0 || !self.in_stack(ebp) {
            return None;
        }
        let caller_ebp = u64::from(m.read_u32(ebp)?);
        let ret = u64::from(m.read_u32(ebp.wrapping_add(4))?);
        if !self.is_return_address(ret) {
            return None;
        }
        // The chain must go up the stack (or end).
        if caller_ebp != 0 && caller_ebp <= ebp {
            return None;
        }
        let mut c = cur.clone();
        c.set("eip", ret);
        c.set("esp", ebp.wrapping_add(8));
        c.set("ebp", caller_ebp);
        Some(c)
    }

    /// The rbp chain (Linux/macOS code keeps frame pointers; Windows x64 code mostly does not,
    /// so the result must pass the return-address check).
    fn amd64_frame_pointer(&self, cur: &Context) -> Option<Context> {
        let m = &self.snap.memory;
        let rbp = cur.fp()?;
        if rbp < cur.sp() || rbp % 8 != 0 || !self.in_stack(rbp) {
            return None;
        }
        let caller_rbp = m.read_u64(rbp)?;
        let ret = m.read_u64(rbp.wrapping_add(8))?;
        if !self.is_return_address(ret) || (caller_rbp != 0 && caller_rbp <= rbp) {
            return None;
        }
        let mut c = cur.clone();
        c.set("rip", ret);
        c.set("rsp", rbp.wrapping_add(16));
        c.set("rbp", caller_rbp);
        Some(c)
    }

    fn arm_frame_pointer(&self, cur: &Context, _is_top: bool) -> Option<Context> {
        let m = &self.snap.memory;
        let ptr = self.ptr;
        let fp = cur.fp()?;
        if fp < cur.sp() || !self.in_stack(fp) {
            return None;
        }
        let caller_fp = m.read_ptr(fp, ptr)?;
        // Strip pointer-authentication bits from the saved LR.
        let ret = coroner_model::strip_pac(m.read_ptr(fp.wrapping_add(u64::from(ptr)), ptr)?);
        if !self.is_code(ret) || (caller_fp != 0 && caller_fp <= fp) {
            return None;
        }
        let mut c = cur.clone();
        c.set("pc", ret);
        c.set("sp", fp.wrapping_add(2 * u64::from(ptr)));
        c.set("fp", caller_fp);
        Some(c)
    }

    fn scan(&self, cur: &Context, limits: Limits) -> Option<Context> {
        let m = &self.snap.memory;
        let ptr = u64::from(self.ptr);
        let start = cur.sp();
        for i in 0..limits.scan_words as u64 {
            let slot = start.checked_add(i * ptr)?;
            if !self.in_stack(slot) {
                break;
            }
            let Some(v) = m.read_ptr(slot, self.ptr) else {
                break;
            };
            if v != cur.pc() && self.is_return_address(v) {
                let mut c = cur.clone();
                match cur.arch {
                    Arch::X86 => {
                        c.set("eip", v);
                        c.set("esp", slot.wrapping_add(4));
                    }
                    Arch::Amd64 => {
                        c.set("rip", v);
                        c.set("rsp", slot.wrapping_add(8));
                    }
                    _ => {
                        c.set("pc", v);
                        c.set("sp", slot.wrapping_add(ptr));
                    }
                }
                return Some(c);
            }
        }
        None
    }
}

/// Length of a ModR/M + SIB + displacement sequence (32/64-bit addressing), or `None` if `b` is
/// too short.
fn x86_modrm_len(b: &[u8]) -> Option<usize> {
    let modrm = *b.first()?;
    let md = modrm >> 6;
    let rm = modrm & 7;
    let mut len = 1;
    if md != 3 && rm == 4 {
        len += 1; // SIB
        let sib = *b.get(1)?;
        if md == 0 && sib & 7 == 5 {
            len += 4;
        }
    }
    len += match md {
        0 if rm == 5 => 4,
        1 => 1,
        2 => 4,
        _ => 0,
    };
    Some(len)
}

/// Counts the exception-dispatch transitions in a walk (nesting depth of exceptions).
pub fn dispatch_transitions(walk: &Walk) -> usize {
    walk.frames
        .iter()
        .filter(|f| f.trust == Trust::ExceptionContext)
        .count()
}
