//! Context, exception and thread commands: `r`, `.exr`, `.ecxr`, `.cxr`, `~…`, `k*`,
//! `!uniqstack`.

use crate::{commands, CmdResult, ContextSource, Session, ShellError, DEFAULT_FRAMES, MAX_FRAMES};
use coroner_analysis::{disasm, FrameFacts};
use coroner_model::{Arch, Context, X86_CONTEXT_SIZE};
use coroner_report::windbg;
use std::fmt::Write;

/// Walks thread `ti` from `ctx`, at most `max` frames, symbolized as the analysis does.
pub fn frames(
    s: &Session<'_, '_>,
    ti: usize,
    ctx: &Context,
    max: u64,
) -> (Vec<FrameFacts>, Option<String>) {
    // One frame more than shown, so the last frame shown has its return address (as in WinDbg).
    let shown = max.clamp(1, MAX_FRAMES) as usize;
    let limits = coroner_unwind::Limits {
        max_frames: shown + 1,
        ..Default::default()
    };
    let w = coroner_unwind::walk(s.snap, s.snap.threads.get(ti), ctx, &s.syms, limits);
    let shown_frames = &w.frames[..w.frames.len().min(shown)];
    let modules = &s.analysis.modules;
    let system = |mi: usize| modules.get(mi).is_some_and(|m| m.judgement.system);
    let frames = coroner_analysis::frame_facts(s.snap, &s.syms, shown_frames, &system);
    // A walk cut short by the frame count the user asked for is not a warning.
    let note = w
        .truncated
        .filter(|_| max >= MAX_FRAMES && w.frames.len() > shown)
        .map(|n| format!("{n} (at most 0x{MAX_FRAMES:x} frames)"));
    (frames, note)
}

/// The register block and current instruction for a context of thread `ti`.
pub fn registers_text(s: &Session<'_, '_>, ti: usize, ctx: &Context) -> String {
    let teb = s.snap.threads.get(ti).and_then(|t| t.teb);
    let mut out = windbg::registers_of(ctx);
    let pc = ctx.pc();
    let sym = s.symbol_of(pc);
    let sym = (sym != s.addr(pc)).then_some(sym);
    let d = disasm::decode_at_named(s.snap, ctx, teb, &|a| s.named_symbol(a));
    out.push_str(&windbg::instruction_line_of(
        sym.as_deref(),
        d.as_ref(),
        Some(ctx),
        ctx.arch,
    ));
    out
}

fn need_ctx<'a>(s: &'a Session<'_, '_>) -> Result<&'a Context, ShellError> {
    s.ctx.as_ref().ok_or_else(|| {
        ShellError::Message("No register context for this thread in the dump".into())
    })
}

fn reg_width(arch: Arch, name: &str) -> usize {
    match (arch, name) {
        (_, "cs" | "ds" | "es" | "fs" | "gs" | "ss") => 4,
        (_, "efl" | "eflags" | "rflags") => 8,
        (Arch::X86 | Arch::Arm, _) => 8,
        _ => 16,
    }
}

/// `r`, `r eax`, `r eax, ebx`, `r eax=EXPR`.
pub fn r(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let ctx = need_ctx(s)?.clone();
    if args.is_empty() {
        o.push_str(&registers_text(s, s.thread, &ctx));
        return Ok(());
    }
    if let Some((name, value)) = args.split_once('=') {
        let name = name.trim().trim_start_matches('@').to_ascii_lowercase();
        let v = s.eval(value.trim())?;
        if ctx.get(&name).is_none() || matches!(name.as_str(), "pc" | "sp" | "fp") {
            return Err(ShellError::BadRegister);
        }
        if let Some(c) = s.ctx.as_mut() {
            if matches!(name.as_str(), "efl" | "eflags" | "rflags") {
                c.flags = Some(v as u32);
            } else {
                c.set(&name, v);
            }
        }
        return Ok(());
    }
    let mut parts = Vec::new();
    for name in args.split([',', ' ']).filter(|x| !x.is_empty()) {
        let n = name.trim_start_matches('@').to_ascii_lowercase();
        let v = crate::expr::Env::register(s, &n).ok_or(ShellError::BadRegister)?;
        let w = reg_width(ctx.arch, &n);
        parts.push(format!("{n}={v:0w$x}"));
    }
    let _ = writeln!(o, "{}", parts.join(" "));
    Ok(())
}

/// `.exr -1` / `.exr ADDR`.
pub fn exr(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let a = args.trim();
    if a.is_empty() {
        return Err(ShellError::Syntax);
    }
    if a == "-1" || a.eq_ignore_ascii_case("0xffffffffffffffff") || a == "ffffffff" {
        o.push_str(&windbg::exr(&s.analysis));
        return Ok(());
    }
    let addr = s.mask(s.eval(a)?);
    let p = u64::from(s.ptr());
    let m = &s.snap.memory;
    let mem_err = || ShellError::Memory(a.to_string());
    let code = m.read_u32(addr).ok_or_else(mem_err)?;
    let flags = m.read_u32(addr + 4).ok_or_else(mem_err)?;
    let nested = m.read_ptr(addr + 8, s.ptr()).ok_or_else(mem_err)?;
    let ea = m.read_ptr(addr + 8 + p, s.ptr()).ok_or_else(mem_err)?;
    let np = m.read_u32(addr + 8 + 2 * p).ok_or_else(mem_err)?;
    let params_at = if p == 4 { addr + 0x14 } else { addr + 0x20 };
    let sym = s
        .named_symbol(ea)
        .map(|x| format!(" ({x})"))
        .unwrap_or_default();
    let _ = writeln!(o, "ExceptionAddress: {}{sym}", s.addr(ea));
    let _ = writeln!(
        o,
        "   ExceptionCode: {code:08x} ({})",
        coroner_analysis::codes::windows_text(code)
    );
    let _ = writeln!(o, "  ExceptionFlags: {flags:08x}");
    let _ = writeln!(o, "NumberParameters: {np}");
    for i in 0..u64::from(np.min(15)) {
        let v = m.read_ptr(params_at + i * p, s.ptr());
        let _ = writeln!(
            o,
            "   Parameter[{i}]: {}",
            v.map(|v| s.addr(v)).unwrap_or_else(|| "?".repeat(8))
        );
    }
    if nested != 0 {
        let _ = writeln!(o, "  Nested exception record: {}", s.addr(nested));
    }
    Ok(())
}

/// `.ecxr`.
pub fn ecxr(s: &mut Session<'_, '_>, o: &mut String) -> CmdResult {
    let ctx = s.snap.exception_context.clone().ok_or_else(|| {
        ShellError::Message("Unable to get exception context, HRESULT 0x8000FFFF".into())
    })?;
    if let Some(i) = s.analysis.exception.as_ref().and_then(|e| e.thread_index) {
        s.thread = i;
    }
    s.ctx = Some(ctx.clone());
    s.ctx_source = ContextSource::Exception;
    o.push_str(&registers_text(s, s.thread, &ctx));
    Ok(())
}

/// `.cxr ADDR` (a CONTEXT record in memory) / `.cxr` (back to the thread's context).
pub fn cxr(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let a = args.trim();
    if a.is_empty() {
        s.ctx = s.snap.threads.get(s.thread).and_then(|t| t.context.clone());
        s.ctx_source = ContextSource::Thread;
        return Ok(());
    }
    let addr = s.mask(s.eval(a)?);
    let ctx = match s.snap.system.arch {
        Arch::X86 => s
            .snap
            .memory
            .read(addr, 0xcc)
            .and_then(|b| Context::from_x86_bytes(&b)),
        Arch::Amd64 => s
            .snap
            .memory
            .read(addr, 0x100)
            .and_then(|b| Context::from_amd64_bytes(&b)),
        _ => {
            return Err(ShellError::Message(
                ".cxr: CONTEXT records are decoded for x86 and x64 only".into(),
            ))
        }
    };
    let _ = X86_CONTEXT_SIZE;
    let ctx = ctx.ok_or_else(|| ShellError::Memory(a.to_string()))?;
    s.ctx = Some(ctx.clone());
    s.ctx_source = ContextSource::Record(addr);
    o.push_str(&registers_text(s, s.thread, &ctx));
    Ok(())
}

/// The context to use for thread `ti`: the current one for the current thread, else its own.
fn ctx_of(s: &Session<'_, '_>, ti: usize) -> Option<Context> {
    if ti == s.thread {
        s.ctx.clone()
    } else {
        s.snap.threads.get(ti)?.context.clone()
    }
}

/// `k` and its variants for thread `ti`. `flags` are the letters after `k`.
pub fn k(s: &Session<'_, '_>, ti: usize, flags: &str, args: &str, o: &mut String) -> CmdResult {
    let count = if args.trim().is_empty() {
        DEFAULT_FRAMES
    } else {
        let n = s.eval(args.trim())?;
        if n == 0 {
            return Err(ShellError::Range);
        }
        n.min(MAX_FRAMES)
    };
    let ctx = ctx_of(s, ti).ok_or_else(|| {
        ShellError::Message(format!("No register context for thread {ti} in the dump"))
    })?;
    let (frames, note) = frames(s, ti, &ctx, count);
    o.push_str(&windbg::k_listing(
        &frames,
        note.as_deref(),
        s.snap.system.arch,
        k_style(flags),
    ));
    Ok(())
}

/// The `k` layout its letters select: `b`/`v` with arguments, `c` clean, else plain.
fn k_style(flags: &str) -> windbg::KStyle {
    if flags.contains(['b', 'v']) {
        windbg::KStyle::Args
    } else if flags.contains('c') {
        windbg::KStyle::Clean
    } else {
        windbg::KStyle::Plain
    }
}

/// One `~` line: `.  4  Id: d54.1b34 Suspend: ? Teb: 7ffda000 Unfrozen`.
fn thread_line(s: &Session<'_, '_>, ti: usize) -> String {
    let t = &s.snap.threads[ti];
    let event = s
        .analysis
        .exception
        .as_ref()
        .is_some_and(|e| e.thread_id == t.id);
    let mark = if ti == s.thread {
        '.'
    } else if event {
        '#'
    } else {
        ' '
    };
    let pid = s.snap.process.pid.unwrap_or(0);
    let suspend = t
        .scheduling
        .map_or_else(|| "?".to_string(), |x| x.suspend_count.to_string());
    let mut line = format!(
        "{mark}{ti:3}  Id: {pid:x}.{:x} Suspend: {suspend} Teb: {} Unfrozen",
        t.id,
        t.teb.map(|x| s.addr(x)).unwrap_or_else(|| s.addr(0))
    );
    if let Some(n) = &t.name {
        let _ = write!(line, " \"{n}\"");
    }
    line
}

/// Parses the thread part of a `~` command; returns the selected threads and the rest.
fn parse_threads<'a>(
    s: &Session<'_, '_>,
    rest: &'a str,
) -> Result<(Vec<usize>, &'a str), ShellError> {
    let n = s.snap.threads.len();
    if let Some(r) = rest.strip_prefix('*') {
        return Ok(((0..n).collect(), r));
    }
    if let Some(r) = rest.strip_prefix('.') {
        return Ok((vec![s.thread], r));
    }
    if let Some(r) = rest.strip_prefix('#') {
        let i = s
            .analysis
            .exception
            .as_ref()
            .and_then(|e| e.thread_index)
            .ok_or(ShellError::BadThread)?;
        return Ok((vec![i], r));
    }
    if let Some(r) = rest.strip_prefix("~[") {
        let (inner, r) = r.split_once(']').ok_or(ShellError::Syntax)?;
        let tid = s.eval(inner)?;
        let i = s
            .snap
            .threads
            .iter()
            .position(|t| u64::from(t.id) == tid)
            .ok_or(ShellError::BadThread)?;
        return Ok((vec![i], r));
    }
    if let Some(r) = rest.strip_prefix('[') {
        let (inner, r) = r.split_once(']').ok_or(ShellError::Syntax)?;
        let i = s.eval(inner)?;
        let i = usize::try_from(i)
            .ok()
            .filter(|i| *i < n)
            .ok_or(ShellError::BadThread)?;
        return Ok((vec![i], r));
    }
    // Decimal thread number, as WinDbg reads ~N.
    let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return Ok(((0..n).collect(), rest)); // bare `~`
    }
    let i: usize = rest[..digits].parse().map_err(|_| ShellError::BadThread)?;
    if i >= n {
        return Err(ShellError::BadThread);
    }
    Ok((vec![i], &rest[digits..]))
}

/// `~`, `~N`, `~Ns`, `~*k`, `~Nkb 5`, `~*e CMD`, `~~[tid]s`, `~#s`.
pub fn thread_cmd(s: &mut Session<'_, '_>, rest: &str, o: &mut String) -> CmdResult {
    if s.snap.threads.is_empty() {
        return Err(ShellError::Message("The dump has no thread list".into()));
    }
    let all = rest.starts_with('*') || rest.is_empty();
    let (sel, cmd) = parse_threads(s, rest)?;
    let cmd = cmd.trim();
    if cmd.is_empty() {
        for i in sel {
            let _ = writeln!(o, "{}", thread_line(s, i));
        }
        return Ok(());
    }
    if cmd == "s" {
        if sel.len() != 1 {
            return Err(ShellError::BadThread);
        }
        let i = sel[0];
        s.thread = i;
        s.ctx = s.snap.threads[i].context.clone();
        s.ctx_source = ContextSource::Thread;
        match &s.ctx {
            Some(c) => {
                let c = c.clone();
                o.push_str(&registers_text(s, i, &c));
            }
            None => {
                let _ = writeln!(o, "(no register context for thread {i} in the dump)");
            }
        }
        return Ok(());
    }
    if let Some(inner) = cmd.strip_prefix('e').filter(|r| r.starts_with([' ', '\t'])) {
        let inner = inner.trim().to_string();
        for i in sel {
            with_thread(s, i, |s| {
                for c in crate::split_commands(&inner) {
                    let mut buf = String::new();
                    if let Err(e) = commands::dispatch(s, &c, &mut buf) {
                        let _ = writeln!(buf, "{}", e.render(&c));
                    }
                    o.push_str(&buf);
                }
            });
        }
        return Ok(());
    }
    let (name, args) = commands::split_name(cmd);
    let lname = name.to_ascii_lowercase();
    let is_k = lname.starts_with('k') && lname[1..].chars().all(|c| "bvnpldcf".contains(c));
    if !is_k && lname != "r" {
        return Err(ShellError::Syntax);
    }
    for i in sel {
        if all {
            let _ = writeln!(o, "\n{}", thread_line(s, i));
        }
        let mut res = Ok(());
        with_thread(s, i, |s| {
            res = if is_k {
                k(s, i, &name[1..], args, o)
            } else {
                r(s, args, o)
            };
        });
        if let Err(e) = res {
            let _ = writeln!(o, "{}", e.render(cmd));
        }
    }
    Ok(())
}

/// Runs `f` with thread `i` current (its own context), then restores the state.
fn with_thread(s: &mut Session<'_, '_>, i: usize, f: impl FnOnce(&mut Session<'_, '_>)) {
    let saved = (s.thread, s.ctx.clone(), s.ctx_source);
    if i != s.thread {
        s.thread = i;
        s.ctx = s.snap.threads.get(i).and_then(|t| t.context.clone());
        s.ctx_source = ContextSource::Thread;
    }
    f(s);
    s.thread = saved.0;
    s.ctx = saved.1;
    s.ctx_source = saved.2;
}

/// `!uniqstack [-b] [-n]`: every thread's stack once; threads whose frames (every instruction
/// address, top to bottom) repeat an earlier thread's are listed at the end by number, as
/// WinDbg's uext does.
pub fn uniqstack(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let mut flags = String::new();
    for a in args.split_whitespace() {
        match a.to_ascii_lowercase().as_str() {
            "-b" => flags.push('b'),
            "-n" => flags.push('n'),
            "-v" | "-p" => flags.push('v'),
            _ => return Err(ShellError::Syntax),
        }
    }
    let n = s.snap.threads.len();
    let _ = writeln!(o, "Processing {n} threads, please wait");
    let mut seen: Vec<Vec<u64>> = Vec::new();
    let mut dups = Vec::new();
    for i in 0..n {
        let mut dup = false;
        // Each thread is walked once: the frames that decide whether its stack repeats one
        // are the frames listed.
        with_thread(s, i, |s| {
            let walked = ctx_of(s, i).map(|c| frames(s, i, &c, DEFAULT_FRAMES));
            let key: Vec<u64> = walked
                .iter()
                .flat_map(|(f, _)| f.iter().map(|f| f.address))
                .collect();
            if !key.is_empty() && seen.contains(&key) {
                dup = true;
                return;
            }
            seen.push(key);
            let _ = writeln!(o, "\n{}", thread_line(s, i));
            o.push_str(&thread_facts(s, i));
            match walked {
                Some((f, note)) => o.push_str(&windbg::k_listing(
                    &f,
                    note.as_deref(),
                    s.snap.system.arch,
                    k_style(&flags),
                )),
                None => {
                    let e = ShellError::Message(format!(
                        "No register context for thread {i} in the dump"
                    ));
                    let _ = writeln!(o, "{}", e.render("!uniqstack"));
                }
            }
        });
        if dup {
            dups.push(i);
        }
    }
    let list: Vec<String> = dups.iter().map(usize::to_string).collect();
    let _ = writeln!(o, "\nTotal threads: {n}");
    let _ = writeln!(
        o,
        "Duplicate callstacks: {} (windbg thread #s follow):\n{}",
        dups.len(),
        list.join(", ")
    );
    Ok(())
}

/// `!uniqstack`'s lines under a thread: its start address and its scheduling, when the dump
/// records them (ThreadInfoList; MINIDUMP_THREAD).
fn thread_facts(s: &Session<'_, '_>, ti: usize) -> String {
    let t = &s.snap.threads[ti];
    let mut out = String::new();
    let times = t.times.as_ref();
    if let Some(start) = times.map(|x| x.start_address).filter(|a| *a != 0) {
        let _ = writeln!(
            out,
            "      Start: {} ({})",
            s.symbol_of(start),
            s.addr(start)
        );
    }
    if let Some(sc) = t.scheduling {
        let _ = write!(
            out,
            "      Priority: {}  Priority class: {}",
            sc.priority, sc.priority_class
        );
        if let Some(a) = times.map(|x| x.affinity) {
            let _ = write!(out, "  Affinity: {a:x}");
        }
        out.push('\n');
    }
    out
}
