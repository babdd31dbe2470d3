//! Process commands: `!peb`, `!teb`, `!gle`, `!handle`, `!runaway`, `vertarget`, `|`, `.time`,
//! `.lastevent`.

use crate::{CmdResult, Session, ShellError};
use coroner_analysis::fmt_addr;
use coroner_model::{layout, Arch};
use coroner_report::time;
use std::fmt::Write;

fn ptr_at(s: &Session<'_, '_>, a: u64) -> Option<u64> {
    s.snap.memory.read_ptr(a, s.ptr())
}

/// The process-block layout of the dump's architecture (`coroner_model::layout`).
fn layout(s: &Session<'_, '_>) -> Result<&'static layout::Layout, ShellError> {
    layout::for_arch(s.snap.system.arch).ok_or_else(|| {
        ShellError::Message("the PEB and TEB layouts are known for x86 and x64 only".into())
    })
}

fn yes_no(b: Option<u8>) -> &'static str {
    match b {
        Some(0) => "No",
        Some(_) => "Yes",
        None => "?",
    }
}

/// `!peb`.
pub fn peb(s: &mut Session<'_, '_>, o: &mut String) -> CmdResult {
    let Some(peb) = s.snap.process.peb else {
        return Err(ShellError::Message(
            "PEB address not known: the dump has no MiscInfo/TEB facts for it".into(),
        ));
    };
    let p = s.ptr();
    let mem = &s.snap.memory;
    let _ = writeln!(o, "PEB at {}", fmt_addr(peb, p));
    if !mem.contains(peb) {
        let _ = writeln!(o, "    (the PEB's memory is not in the dump)");
        if let Some(cl) = &s.snap.process.command_line {
            let _ = writeln!(o, "    CommandLine:  '{cl}'");
        }
        return Ok(());
    }
    let byte = |off: u64| mem.read(peb + off, 1).map(|b| b[0]);
    let ptr = |off: u64| {
        ptr_at(s, peb + off)
            .map(|v| fmt_addr(v, p))
            .unwrap_or_else(|| "????????".into())
    };
    let l = layout(s)?;
    let f = &l.peb;
    let (params, gflag, nheaps, heaps) = (
        f.process_parameters,
        f.nt_global_flag,
        f.number_of_heaps,
        f.process_heaps,
    );
    let yn = |off| yes_no(byte(off));
    let _ = writeln!(
        o,
        "    InheritedAddressSpace:    {}",
        yn(f.inherited_address_space)
    );
    let _ = writeln!(
        o,
        "    ReadImageFileExecOptions: {}",
        yn(f.read_image_file_exec_options)
    );
    let _ = writeln!(o, "    BeingDebugged:            {}", yn(f.being_debugged));
    let _ = writeln!(o, "    ImageBaseAddress:         {}", ptr(f.image_base));
    let _ = writeln!(
        o,
        "    NtGlobalFlag:             {:x}",
        mem.read_u32(peb + gflag).unwrap_or(0)
    );
    let _ = writeln!(o, "    Ldr                       {}", ptr(f.ldr));
    let _ = writeln!(o, "    ProcessHeap:              {}", ptr(f.process_heap));
    let _ = writeln!(o, "    ProcessParameters:        {}", ptr(params));
    if let Some(n) = mem.read_u32(peb + nheaps) {
        let _ = writeln!(o, "    NumberOfHeaps:            {n}");
    }
    if let Some(h) = &s.snap.process.heaps {
        let list: Vec<String> = h.iter().map(|x| fmt_addr(*x, p)).collect();
        let _ = writeln!(o, "    ProcessHeaps:             {}", list.join(" "));
    } else {
        let _ = writeln!(
            o,
            "    ProcessHeaps:             {} (list not in the dump)",
            ptr(heaps)
        );
    }
    if let Some(pp) = ptr_at(s, peb + params).filter(|v| *v != 0) {
        let pf = &l.params;
        let fields = [
            ("CurrentDirectory", pf.current_directory),
            ("WindowTitle", pf.window_title),
            ("ImageFile", pf.image_path),
            ("CommandLine", pf.command_line),
            ("DllPath", pf.dll_path),
        ];
        for (name, off) in fields {
            let v = l.unicode_string(mem, pp + off, Some(pp), 0x8000);
            let v = match (v, name) {
                (Some(v), _) => v,
                (None, "CommandLine") => match &s.snap.process.command_line {
                    Some(c) => c.clone(),
                    None => continue,
                },
                (None, "ImageFile") => match &s.snap.process.image_path {
                    Some(c) => c.clone(),
                    None => continue,
                },
                _ => continue,
            };
            let label = format!("{name}:");
            let _ = writeln!(
                o,
                "    {label:<14}{}'{v}'",
                if label.len() >= 14 { "  " } else { "" }
            );
        }
    } else if let Some(cl) = &s.snap.process.command_line {
        let _ = writeln!(o, "    CommandLine:  '{cl}'");
    }
    Ok(())
}

/// `!teb [ADDR]`.
pub fn teb(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let t = s.snap.threads.get(s.thread);
    let teb = if args.trim().is_empty() {
        t.and_then(|t| t.teb)
            .ok_or_else(|| ShellError::Message("TEB address not known for this thread".into()))?
    } else {
        s.mask(s.eval(args.trim())?)
    };
    let p = s.ptr();
    let mem = &s.snap.memory;
    let _ = writeln!(o, "TEB at {}", fmt_addr(teb, p));
    if !mem.contains(teb) {
        let _ = writeln!(o, "    (the TEB's memory is not in the dump)");
        if let Some(t) = t {
            if let (Some(b), Some(l)) = (t.stack_base, t.stack_limit) {
                let _ = writeln!(o, "    StackBase:            {}", fmt_addr(b, p));
                let _ = writeln!(o, "    StackLimit:           {}", fmt_addr(l, p));
            }
        }
        return Ok(());
    }
    let f = &layout(s)?.teb;
    let ptr = |off: u64| {
        ptr_at(s, teb + off)
            .map(|v| fmt_addr(v, p))
            .unwrap_or_else(|| "????????".into())
    };
    let rows = [
        ("ExceptionList", f.exception_list),
        ("StackBase", f.stack_base),
        ("StackLimit", f.stack_limit),
        ("SubSystemTib", f.sub_system_tib),
        ("FiberData", f.fiber_data),
        ("ArbitraryUserPointer", f.arbitrary_user_pointer),
        ("Self", f.self_),
        ("EnvironmentPointer", f.environment_pointer),
    ];
    for (n, off) in rows {
        let _ = writeln!(o, "    {:<22}{}", format!("{n}:"), ptr(off));
    }
    let pid = ptr_at(s, teb + f.client_id).unwrap_or(0);
    let tid = ptr_at(s, teb + f.client_id + u64::from(p)).unwrap_or(0);
    let _ = writeln!(
        o,
        "    ClientId:             {} . {}",
        fmt_addr(pid, p),
        fmt_addr(tid, p)
    );
    let (rpc, tls, pebo, le) = (f.rpc_handle, f.tls_storage, f.peb, f.last_error);
    let (locks, ls, hem) = (f.count_owned_locks, f.last_status, f.hard_error_mode);
    let _ = writeln!(o, "    RpcHandle:            {}", ptr(rpc));
    let _ = writeln!(o, "    Tls Storage:          {}", ptr(tls));
    let _ = writeln!(o, "    PEB Address:          {}", ptr(pebo));
    let u = |off: u64| {
        mem.read_u32(teb + off)
            .map(|v| format!("{v:x}"))
            .unwrap_or_else(|| "?".into())
    };
    let _ = writeln!(
        o,
        "    LastErrorValue:       {}",
        mem.read_u32(teb + le)
            .map(|v| v.to_string())
            .unwrap_or("?".into())
    );
    let _ = writeln!(o, "    LastStatusValue:      {}", u(ls));
    let _ = writeln!(o, "    Count Owned Locks:    {}", u(locks));
    let _ = writeln!(o, "    HardErrorMode:        {}", u(hem));
    Ok(())
}

/// Short texts for common Win32 errors.
fn win32_text(e: u32) -> &'static str {
    match e {
        0 => "The operation completed successfully.",
        1 => "Incorrect function.",
        2 => "The system cannot find the file specified.",
        3 => "The system cannot find the path specified.",
        5 => "Access is denied.",
        6 => "The handle is invalid.",
        8 => "Not enough memory resources are available to process this command.",
        14 => "Not enough memory resources are available to complete this operation.",
        32 => "The process cannot access the file because it is being used by another process.",
        87 => "The parameter is incorrect.",
        122 => "The data area passed to a system call is too small.",
        126 => "The specified module could not be found.",
        127 => "The specified procedure could not be found.",
        183 => "Cannot create a file when that file already exists.",
        203 => "The system could not find the environment option that was entered.",
        997 => "Overlapped I/O operation is in progress.",
        1008 => "An attempt was made to reference a token that does not exist.",
        1168 => "Element not found.",
        _ => "<Unable to get error code text>",
    }
}

fn gle_one(s: &Session<'_, '_>, ti: usize, o: &mut String) {
    let t = &s.snap.threads[ti];
    match t.last_error {
        Some(e) => {
            let _ = writeln!(
                o,
                "LastErrorValue: (Win32) 0x{e:x} ({e}) - {}",
                win32_text(e)
            );
        }
        None => {
            let _ = writeln!(o, "LastErrorValue: (the thread's TEB is not in the dump)");
        }
    }
    let off = layout::for_arch(s.snap.system.arch).map(|l| l.teb.last_status);
    if let Some(st) = t
        .teb
        .zip(off)
        .and_then(|(teb, off)| s.snap.memory.read_u32(teb + off))
    {
        let text = if st == 0 {
            "STATUS_SUCCESS".to_string()
        } else {
            coroner_analysis::codes::windows_name(st)
                .unwrap_or_else(|| "<Unable to get error code text>".into())
        };
        let _ = writeln!(o, "LastStatusValue: (NTSTATUS) 0x{st:x} - {text}");
    }
}

/// `!gle [-all]`.
pub fn gle(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    if s.snap.threads.is_empty() {
        return Err(ShellError::Message("The dump has no thread list".into()));
    }
    match args.trim() {
        "" => gle_one(s, s.thread.min(s.snap.threads.len() - 1), o),
        "-all" => {
            for i in 0..s.snap.threads.len() {
                let t = &s.snap.threads[i];
                let _ = writeln!(o, "Last error for thread {:x}:", t.id);
                gle_one(s, i, o);
                let _ = writeln!(o);
            }
        }
        _ => return Err(ShellError::Syntax),
    }
    Ok(())
}

/// Most handles listed by one `!handle` (the summary still counts them all).
const MAX_HANDLES_LISTED: usize = 10_000;

/// `!handle [HANDLE [FLAGS]]`: each handle's type (and with flags 0xf, name and counts), then the
/// count per type, as WinDbg lays it out for a dump with a HandleData stream.
pub fn handle(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    if s.snap.handle_count.is_none() {
        return Err(ShellError::Message(
            "ERROR: !handle: the dump has no handle information (HandleData stream)".into(),
        ));
    }
    let mut words = args.split_whitespace();
    let which = match words.next() {
        Some(w) => s.eval(w)?,
        None => 0,
    };
    let flags = match words.next() {
        Some(w) => s.eval(w)?,
        None => {
            if which == 0 {
                1
            } else {
                0xf
            }
        }
    };
    let handles = &s.snap.handles;
    let selected: Vec<&coroner_model::Handle> = handles
        .iter()
        .filter(|h| which == 0 || h.handle == which)
        .collect();
    if which != 0 && selected.is_empty() {
        return Err(ShellError::Message(format!("Handle {which:x} not found")));
    }
    for h in selected.iter().take(MAX_HANDLES_LISTED) {
        let _ = writeln!(o, "Handle {:x}", h.handle);
        let _ = writeln!(
            o,
            "  Type         \t{}",
            h.type_name.as_deref().unwrap_or("<unknown>")
        );
        if flags & 0x2 != 0 {
            let _ = writeln!(o, "  Attributes   \t{:x}", h.attributes);
            let _ = writeln!(o, "  GrantedAccess\t0x{:x}", h.granted_access);
            let _ = writeln!(o, "  HandleCount  \t{}", h.handle_count);
            let _ = writeln!(o, "  PointerCount \t{}", h.pointer_count);
        }
        if flags & 0x4 != 0 {
            let _ = writeln!(
                o,
                "  Name         \t{}",
                h.object_name.as_deref().unwrap_or("<none>")
            );
        }
    }
    if selected.len() > MAX_HANDLES_LISTED {
        let _ = writeln!(o, "(listing stopped at {MAX_HANDLES_LISTED} handles)");
    }
    if let (0, Some(counts)) = (which, &s.analysis.memory.handles) {
        let _ = writeln!(o, "{} Handles", counts.total);
        let _ = writeln!(o, "Type           \tCount");
        for (t, n) in &counts.by_type {
            let _ = writeln!(o, "{t:<15}\t{n}");
        }
    }
    Ok(())
}

/// `d days h:mm:ss.mmm` from 100 ns units.
fn span(t100: u64) -> String {
    let ms = t100 / 10_000;
    let (d, rem) = (ms / 86_400_000, ms % 86_400_000);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    format!("{d} days {h}:{m:02}:{:02}.{:03}", rem / 1000, rem % 1000)
}

/// `!runaway [flags]` (1 user, 2 kernel, 4 elapsed).
pub fn runaway(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let flags = if args.trim().is_empty() {
        1
    } else {
        s.eval(args.trim())?
    };
    if !s.snap.threads.iter().any(|t| t.times.is_some()) {
        return Err(ShellError::Message(
            "ERROR: Unable to get thread times - dumps may not have time information".into(),
        ));
    }
    let mut section = |title: &str, get: &dyn Fn(&coroner_model::Thread) -> Option<u64>| {
        let _ = writeln!(o, " {title}");
        let _ = writeln!(o, "  Thread       Time");
        let mut rows: Vec<(usize, u32, u64)> = s
            .snap
            .threads
            .iter()
            .filter_map(|t| Some((t.index, t.id, get(t)?)))
            .collect();
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        for (i, id, v) in rows {
            let _ = writeln!(o, "  {:>3}:{:<8x} {}", i, id, span(v));
        }
    };
    if flags & 1 != 0 {
        section("User Mode Time", &|t| {
            t.times.as_ref().map(|x| x.user_100ns)
        });
    }
    if flags & 2 != 0 {
        section("Kernel Mode Time", &|t| {
            t.times.as_ref().map(|x| x.kernel_100ns)
        });
    }
    if flags & 4 != 0 {
        let now = s.snap.process.dump_time;
        section("Elapsed Time", &|t| {
            let c = t.times.as_ref()?.create_time?;
            Some(now?.checked_sub(c)? * 10_000_000)
        });
    }
    Ok(())
}

fn session_time(s: &Session<'_, '_>, o: &mut String) {
    match s.snap.process.dump_time {
        Some(t) => {
            let _ = writeln!(o, "Debug session time: {} (UTC + 0:00)", time::ctime(t));
        }
        None => {
            let _ = writeln!(o, "Debug session time: (not in the dump)");
        }
    }
    let _ = writeln!(o, "System Uptime: not available");
    match s.snap.process.uptime() {
        Some(u) => {
            let _ = writeln!(o, "Process Uptime: {}", span(u * 10_000_000));
        }
        None => {
            let _ = writeln!(o, "Process Uptime: not available");
        }
    }
    if let Some(k) = s.snap.process.kernel_time {
        let _ = writeln!(o, "  Kernel time: {}", span(u64::from(k) * 10_000_000));
    }
    if let Some(u) = s.snap.process.user_time {
        let _ = writeln!(o, "  User time: {}", span(u64::from(u) * 10_000_000));
    }
}

/// `.time`.
pub fn time(s: &mut Session<'_, '_>, o: &mut String) -> CmdResult {
    session_time(s, o);
    Ok(())
}

/// `vertarget`.
pub fn vertarget(s: &mut Session<'_, '_>, o: &mut String) -> CmdResult {
    let sys = &s.snap.system;
    let arch = match sys.arch {
        Arch::X86 => "x86 compatible",
        Arch::Amd64 => "x64",
        Arch::Arm64 => "ARM64",
        Arch::Arm => "ARM",
        Arch::Other => "unknown processor",
    };
    let mp = if sys.cpu_count > 1 { "MP" } else { "UP" };
    let _ = writeln!(
        o,
        "{} Version {} {mp} ({} procs) Free {arch}",
        sys.os_name, sys.os_version, sys.cpu_count
    );
    if let Some(c) = &sys.cpu_info {
        let _ = writeln!(o, "Processor: {c}");
    }
    if let Some(k) = s
        .snap
        .modules
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case("kernel32.dll"))
    {
        if let Some(v) = &k.file_version {
            let _ = writeln!(
                o,
                "kernel32.dll version: {}",
                coroner_model::format_version(v)
            );
        }
    }
    let _ = writeln!(o, "Machine Name:");
    session_time(s, o);
    Ok(())
}

/// `|`: the process.
pub fn pipe(s: &mut Session<'_, '_>, rest: &str, o: &mut String) -> CmdResult {
    if !rest.is_empty() && rest != "." && rest != "0" && rest != "*" {
        return Err(ShellError::Syntax);
    }
    let name = s
        .snap
        .process
        .image_path
        .clone()
        .or(s.snap.process.name.clone())
        .or(s.snap.main_module().map(|m| m.path.clone()))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        ".  0\tid: {:x}\texamine\tname: {name}",
        s.snap.process.pid.unwrap_or(0)
    );
    Ok(())
}

/// `.lastevent`.
pub fn lastevent(s: &mut Session<'_, '_>, o: &mut String) -> CmdResult {
    let pid = s.snap.process.pid.unwrap_or(0);
    match &s.analysis.exception {
        Some(e) => {
            let what = if e.is_signal {
                format!("{} - signal {}", e.reason, e.code)
            } else {
                format!("{} - code {:08x}", e.text, e.code)
            };
            let _ = writeln!(
                o,
                "Last event: {pid:x}.{:x}: {what} (first/second chance not available)",
                e.thread_id
            );
        }
        None => {
            let _ = writeln!(
                o,
                "Last event: <no event> (the dump has no exception record)"
            );
        }
    }
    if let Some(t) = s.snap.process.dump_time {
        let _ = writeln!(o, "  debugger time: {} (UTC + 0:00)", time::ctime(t));
    }
    Ok(())
}
