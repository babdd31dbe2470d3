//! The diagnosis: from the snapshot to facts, findings, blame and bucket.

use crate::codes::{self, win};
use crate::symbols::{format_symbol, Symbolizer};
use crate::*;
use coroner_unwind::{walk, Trust};

/// Severity, as DebugDiag's report rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A cause of the crash.
    Error,
    /// Something that contributed or needs attention.
    Warning,
    /// Context.
    Info,
}

impl Severity {
    /// `error` / `warning` / `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One finding: what was concluded, from which facts, and what to do.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Stable id (`destroyed_heap`, `null_pointer`, …).
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// One-line title.
    pub title: String,
    /// Plain-language description citing the evidence.
    pub description: String,
    /// What to do.
    pub recommendation: String,
    /// The facts it rests on, one per line.
    pub evidence: Vec<String>,
}

const HEAP_FUNCTIONS: &[&str] = &[
    "RtlAllocateHeap",
    "RtlFreeHeap",
    "RtlReAllocateHeap",
    "RtlSizeHeap",
    "RtlpAllocateHeap",
    "RtlpFreeHeap",
    "RtlpFreeHeapInternal",
    "RtlpAllocateHeapInternal",
    "RtlpLowFragHeapAllocFromContext",
    "RtlpLowFragHeapFree",
    "RtlpHeapHandleError",
    "RtlpLogHeapFailure",
    "RtlReportCriticalFailure",
    "RtlValidateHeap",
    "RtlCreateHeap",
    "RtlDestroyHeap",
    "RtlLockHeap",
    "RtlUnlockHeap",
    "HeapAlloc",
    "HeapFree",
    "HeapReAlloc",
    "HeapSize",
    "HeapValidate",
    "HeapDestroy",
    "LocalAlloc",
    "LocalFree",
    "GlobalAlloc",
    "GlobalFree",
    "malloc",
    "free",
    "realloc",
    "calloc",
    "_malloc_base",
    "_free_base",
    "_realloc_base",
    "_calloc_base",
    "operator new",
    "unsafe_heap_from_handle",
    "validate_block_pointer",
    "heap_free",
    "heap_allocate",
];

fn is_heap_function(name: &str) -> bool {
    HEAP_FUNCTIONS.contains(&name)
}

fn dispatcher_name(name: &str) -> bool {
    matches!(
        name,
        "KiUserExceptionDispatcher"
            | "RtlDispatchException"
            | "ExecuteHandler"
            | "ExecuteHandler2"
            | "RtlpExecuteHandlerForException"
            | "__C_specific_handler"
            | "_except_handler3"
            | "_except_handler4"
            | "RtlRaiseException"
            | "RaiseException"
    )
}

pub(crate) fn analyze(snap: &Snapshot<'_>, opts: &Options) -> Analysis {
    let syms = Symbolizer::for_options(snap, opts);
    // Each module is judged once (its version resource read once), not once per frame.
    let judged: Vec<std::cell::OnceCell<blame::Judgement>> =
        snap.modules.iter().map(|_| Default::default()).collect();
    let judgement = |i: usize| {
        judged[i]
            .get_or_init(|| module_judgement(snap, &syms, i))
            .clone()
    };
    let ptr = snap.ptr_size();
    let mut warnings = snap.warnings.clone();

    let process = ProcessFacts {
        name: snap.process.name.clone(),
        pid: snap.process.pid,
        app_pool: snap.process.command_line.as_deref().and_then(app_pool),
        command_line: snap.process.command_line.clone(),
        image_path: snap.process.image_path.clone(),
        create_time: snap.process.create_time,
        dump_time: snap.process.dump_time,
        uptime: snap.process.uptime(),
        user_time: snap.process.user_time,
        kernel_time: snap.process.kernel_time,
        peb: snap.process.peb,
        heaps: snap.process.heaps.clone(),
        nt_global_flag: snap.process.nt_global_flag,
    };

    // The thread and context to explain: the exception's, else the first thread's.
    let fault_thread = snap.faulting_thread();
    let stack_thread = fault_thread.or(snap.threads.first());
    let ctx = snap
        .exception_context
        .clone()
        .or_else(|| stack_thread.and_then(|t| t.context.clone()));

    let mut exception = snap.exception.as_ref().map(|e| exception_facts(snap, e));
    // For signals the record's address is the fault address (si_addr); report the instruction
    // pointer as the exception address, as minidump-stackwalk's frame 0 does.
    if let (Some(e), Some(c)) = (exception.as_mut(), ctx.as_ref()) {
        if e.is_signal {
            e.address = c.pc();
        }
    }

    // Stack.
    let mut frames = Vec::new();
    let mut stack_note = None;
    if let Some(ctx) = &ctx {
        let w = walk(snap, stack_thread, ctx, &syms, opts.limits);
        stack_note = w.truncated.clone();
        for (i, f) in w.frames.iter().enumerate() {
            let caller = i > 0 && f.trust != Trust::ExceptionContext;
            let symbol = syms.symbolize_frame(f.pc, caller);
            let display = format_symbol(&symbol, f.pc, ptr);
            let system = symbol
                .module_index
                .map(|mi| judgement(mi).system)
                .unwrap_or(false);
            let dispatcher = symbol.function.as_deref() == Some("KiUserExceptionDispatcher");
            frames.push(FrameFacts {
                index: i,
                address: f.pc,
                sp: f.sp,
                fp: f.fp,
                return_address: f.return_address,
                args: f.args,
                symbol,
                display,
                trust: f.trust,
                system,
                dispatcher,
            });
        }
    } else if snap.exception.is_some() {
        warnings.push("no register context for the faulting thread: stack not walked".into());
    }
    let nesting_levels = frames
        .iter()
        .filter(|f| f.trust == Trust::ExceptionContext)
        .count();

    // Instruction and regions.
    let teb = stack_thread.and_then(|t| t.teb);
    // Operands that point into modules are named as WinDbg names them (`call adparse+0x13c0 (…)`).
    let name_of = |addr: u64| {
        let s = syms.symbolize(addr);
        (s.module.is_some() || s.unloaded_module.is_some()).then(|| format_symbol(&s, addr, ptr))
    };
    let instruction = ctx
        .as_ref()
        .and_then(|c| disasm::decode_at_named(snap, c, teb, &name_of));
    let ip = ctx
        .as_ref()
        .map(|c| c.pc())
        .or(exception.as_ref().map(|e| e.address));
    let instruction_symbol = ip.map(|a| format_symbol(&syms.symbolize(a), a, ptr));
    let target = exception.as_ref().and_then(|e| e.target).or(instruction
        .as_ref()
        .and_then(|d| d.effective_address)
        .filter(|_| {
            exception
                .as_ref()
                .is_some_and(|e| e.code == win::ACCESS_VIOLATION)
        }));
    let target_region = target.map(|t| regions::address_facts(snap, t));
    let ip_region = ip.map(|a| regions::address_facts(snap, a));
    let ip_module = ip.and_then(|a| snap.module_index_at(a));
    let faulting_module = ip_module.map(|i| snap.modules[i].name.clone());

    // Threads.
    let threads = snap
        .threads
        .iter()
        .map(|t| {
            let faulting = fault_thread.is_some_and(|f| f.id == t.id);
            let pc = if faulting {
                ip
            } else {
                t.context.as_ref().map(|c| c.pc())
            };
            ThreadSummary {
                index: t.index,
                id: t.id,
                name: t.name.clone(),
                faulting,
                top_frame: pc
                    .map(|pc| format_symbol(&syms.symbolize(pc), pc, ptr))
                    .unwrap_or_else(|| "<no context>".into()),
                user_100ns: t.times.as_ref().map(|x| x.user_100ns),
                kernel_100ns: t.times.as_ref().map(|x| x.kernel_100ns),
                create_time: t.times.as_ref().and_then(|x| x.create_time),
            }
        })
        .collect();

    // Modules: version strings for those in the faulting stack (lmvm), judgement for all.
    let in_stack: Vec<usize> = frames
        .iter()
        .filter_map(|f| f.symbol.module_index)
        .collect();
    let modules: Vec<ModuleFacts> = snap
        .modules
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let touched = in_stack.contains(&i) || ip_module == Some(i);
            let vi = if touched { syms.version_info(i) } else { None };
            ModuleFacts {
                module: m.clone(),
                judgement: judgement(i),
                version_strings: vi.map(|v| v.strings.clone()),
                translations: vi.map(|v| v.translations.clone()).unwrap_or_default(),
                // Only the modules the analysis touched are looked up (`lm`'s "deferred" for
                // the rest, as in WinDbg): looking up all of them costs a search per module.
                symbol_status: if let Some(ms) = touched.then(|| syms.module_symbols(i)).flatten() {
                    let kind = match ms.source {
                        coroner_symbols::Source::Pdb { private: true } => "private pdb symbols",
                        coroner_symbols::Source::Pdb { private: false } => "pdb symbols",
                        coroner_symbols::Source::BreakpadSym => "breakpad symbols",
                    };
                    let check = match ms.matched {
                        coroner_symbols::Match::Unverified => ", unverified match",
                        _ => "",
                    };
                    format!("{kind}{check}, {}", ms.file.display())
                } else if touched && syms.has_exports(i) {
                    match syms.image_source(i).as_deref() {
                        Some("dump") | None => "export symbols".into(),
                        Some(path) => format!("export symbols, image {path}"),
                    }
                } else if touched {
                    "no symbols".into()
                } else {
                    "deferred".into()
                },
                in_fault_stack: touched,
                vendor: vi.map(module_vendor).unwrap_or_default(),
            }
        })
        .collect();

    if let Some(symbols) = &opts.symbols {
        let searched = symbols.searched();
        let mut done: Vec<usize> = Vec::new();
        for mi in frames.iter().filter_map(|f| f.symbol.module_index) {
            if done.contains(&mi) || syms.module_symbols(mi).is_some() {
                continue;
            }
            done.push(mi);
            let name = &snap.modules[mi].name;
            let places = searched
                .iter()
                .filter(|(m, _)| {
                    m.eq_ignore_ascii_case(name)
                        || m.eq_ignore_ascii_case(
                            snap.modules[mi].debug_file.as_deref().unwrap_or(""),
                        )
                })
                .flat_map(|(_, p)| p.iter().cloned())
                .collect::<Vec<_>>();
            warnings.push(format!(
                "no symbol file for {name}{}",
                if places.is_empty() {
                    String::new()
                } else {
                    format!("; looked in: {}", places.join("; "))
                }
            ));
        }
    }
    let mut a = Analysis {
        path: snap.path.clone(),
        container: snap.container.clone(),
        system: snap.system.clone(),
        process,
        exception,
        registers: ctx,
        instruction,
        instruction_symbol,
        target_region,
        ip_region,
        frames,
        stack_note,
        nesting_levels,
        threads,
        modules,
        unloaded_modules: snap.unloaded_modules.clone(),
        faulting_module,
        blame: None,
        findings: Vec::new(),
        bucket: None,
        classification: None,
        comments: snap.comments.clone(),
        streams: snap.streams.clone(),
        warnings,
        damage: snap.damage.clone(),
    };
    a.blame = blame(snap, &a);
    a.findings = findings(snap, &syms, &a);
    if let Some(f) = damaged_finding(&a) {
        a.findings.insert(0, f);
    }
    a.bucket = crate::ranking::bucket(&a);
    a.classification = crate::ranking::classification(&a);
    a
}

fn module_judgement(snap: &Snapshot<'_>, syms: &Symbolizer<'_, '_>, i: usize) -> blame::Judgement {
    let m = &snap.modules[i];
    let vi = syms.version_info(i);
    let vendor = vi.map(module_vendor).unwrap_or_default();
    let product = vi
        .and_then(|v| v.get("ProductName"))
        .filter(|p| vendor::implausible(p).is_none());
    blame::judge(&m.name, vendor.name.as_deref(), product)
}

/// The vendor a version resource names, in the stated order (see [`vendor`]).
fn module_vendor(v: &coroner_pe::VersionInfo) -> vendor::Vendor {
    vendor::choose(
        v.get("CompanyName"),
        v.get("LegalCopyright"),
        v.get("ProductName"),
    )
}

fn exception_facts(snap: &Snapshot<'_>, e: &ExceptionRecord) -> ExceptionFacts {
    let windows = snap.system.os.is_windows();
    let code = e.code;
    // minidump-stackwalk's name first (its crash reason without the access suffix); our table
    // for codes it does not know.
    let stripped = strip_reason(&e.reason);
    let name = if windows && (stripped.starts_with("unknown") || stripped.starts_with("0x")) {
        codes::windows_name(code)
            .map(str::to_string)
            .unwrap_or(stripped)
    } else {
        stripped
    };
    let p = |i: usize| e.params.get(i).copied();
    let (access, target) = if windows
        && (code == win::ACCESS_VIOLATION || code == win::IN_PAGE_ERROR)
    {
        let access = match p(0) {
            Some(0) => Some(Access::Read),
            Some(1) => Some(Access::Write),
            Some(8) => Some(Access::Execute),
            _ => None,
        };
        (access, p(1))
    } else if !windows && matches!(code, 7 | 11) || snap.system.os == OsFamily::MacOs && code == 1 {
        (None, Some(e.crash_address))
    } else {
        (None, None)
    };
    let fast_fail = (windows && code == win::STACK_BUFFER_OVERRUN)
        .then(|| {
            p(0).map(|c| {
                codes::fast_fail_name(c)
                    .map(str::to_string)
                    .unwrap_or(format!("FAST_FAIL code {c}"))
            })
        })
        .flatten();
    let cpp_type = (windows && code == win::CPP_EXCEPTION)
        .then(|| cpp_thrown_type(snap, e))
        .flatten();
    ExceptionFacts {
        code,
        name,
        reason: e.reason.clone(),
        text: if windows {
            codes::windows_text(code).to_string()
        } else {
            e.reason.clone()
        },
        flags: e.flags,
        address: e.address,
        params: e.params.clone(),
        thread_id: e.thread_id,
        thread_index: snap.thread_by_id(e.thread_id).map(|t| t.index),
        access,
        target,
        fast_fail,
        cpp_type,
        is_signal: !windows,
    }
}

/// `EXCEPTION_ACCESS_VIOLATION_READ` → `EXCEPTION_ACCESS_VIOLATION`; `SIGSEGV / SEGV_MAPERR` → `SIGSEGV`.
fn strip_reason(r: &str) -> String {
    let base = r.split(" / ").next().unwrap_or(r).trim();
    for suffix in ["_READ", "_WRITE", "_EXEC"] {
        if let Some(s) = base.strip_suffix(suffix) {
            return s.to_string();
        }
    }
    base.to_string()
}

/// The type thrown by a Visual C++ `throw`: ExceptionInformation[2] is the ThrowInfo (an address
/// on x86, an RVA from ExceptionInformation[3] on x64); ThrowInfo → CatchableTypeArray → first
/// CatchableType → TypeDescriptor, whose decorated name (`.?AVbad_alloc@std@@`) we undecorate.
fn cpp_thrown_type(snap: &Snapshot<'_>, e: &ExceptionRecord) -> Option<String> {
    let m = &snap.memory;
    let throw_info = *e.params.get(2)?;
    let x64 = snap.system.arch != Arch::X86;
    let image = if x64 { *e.params.get(3)? } else { 0 };
    let at = |v: u32| {
        if x64 {
            image.wrapping_add(u64::from(v))
        } else {
            u64::from(v)
        }
    };
    let cta = at(m.read_u32(throw_info.wrapping_add(12))?);
    let count = m.read_u32(cta)?;
    if count == 0 || count > 64 {
        return None;
    }
    let ct = at(m.read_u32(cta.wrapping_add(4))?);
    let td = at(m.read_u32(ct.wrapping_add(4))?);
    let name_at = td.wrapping_add(if x64 { 16 } else { 8 });
    let raw = m.read_partial(name_at, 256);
    let end = raw.iter().position(|b| *b == 0)?;
    let dec = String::from_utf8_lossy(&raw[..end]).into_owned();
    Some(undecorate_type(&dec))
}

/// `.?AVbad_alloc@std@@` → `class std::bad_alloc`.
pub fn undecorate_type(d: &str) -> String {
    let (kind, rest) = if let Some(r) = d.strip_prefix(".?AV") {
        ("class ", r)
    } else if let Some(r) = d.strip_prefix(".?AU") {
        ("struct ", r)
    } else {
        return d.to_string();
    };
    let parts: Vec<&str> = rest
        .trim_end_matches('@')
        .split('@')
        .filter(|s| !s.is_empty())
        .collect();
    let name: Vec<&str> = parts.into_iter().rev().collect();
    format!("{kind}{}", name.join("::"))
}

fn version_string(m: &ModuleFacts) -> Option<String> {
    m.module
        .file_version
        .as_ref()
        .map(format_version)
        .or_else(|| m.string("FileVersion").map(str::to_string))
}

fn blame(snap: &Snapshot<'_>, a: &Analysis) -> Option<Blame> {
    // A call into an unloaded module: name it.
    if let Some(f) = a.frames.first() {
        if f.symbol.module_index.is_none() {
            if let Some(u) = snap.unloaded_module_at(f.address) {
                let caller = a.frames.iter().skip(1).find(|f| f.symbol.module.is_some());
                return Some(Blame {
                    module: u.name.clone(),
                    version: None,
                    company: None,
                    product: None,
                    copyright: None,
                    vendor: None,
                    vendor_source: None,
                    vendor_provenance: "the module had been unloaded: its version resource is not in the dump".into(),
                    vendor_passed_over: Vec::new(),
                    timestamp: (u.timestamp != 0).then_some(u.timestamp),
                    reason: format!(
                        "the instruction pointer {} lies in the former range of {}, which had been unloaded{}",
                        fmt_addr(f.address, a.ptr_size()),
                        u.name,
                        caller
                            .map(|c| format!("; the call came from {}", c.display))
                            .unwrap_or_default()
                    ),
                    frame: Some(0),
                    symbol: Some(f.display.clone()),
                    unloaded: true,
                });
            }
        }
    }
    let frame = a
        .frames
        .iter()
        .find(|f| f.symbol.module_index.is_some() && !f.system)?;
    let mi = frame.symbol.module_index?;
    let m = &a.modules[mi];
    let top = frame.index == 0;
    let reason = if top {
        format!(
            "the faulting instruction is in {} ({}), the first frame from the top that is not part of the operating system or a runtime",
            m.module.name, m.judgement.why
        )
    } else {
        let below = &a.frames[frame.index - 1];
        format!(
            "frame {} ({}) is the first frame from the top whose module is not part of the operating system or a runtime ({}); the frames above it ({}…) are system code it called",
            frame.index, frame.display, m.judgement.why, a.frames[0].display
        )
        .replace("…)", &format!(" … {})", below.display))
    };
    Some(Blame {
        module: m.module.name.clone(),
        version: version_string(m),
        company: m.string("CompanyName").map(str::to_string),
        product: m.string("ProductName").map(str::to_string),
        copyright: m.string("LegalCopyright").map(str::to_string),
        vendor: m.vendor.name.clone(),
        vendor_source: m.vendor.source,
        vendor_provenance: if m.version_strings.is_none() {
            "no version resource strings (image not in the dump)".into()
        } else {
            m.vendor.provenance()
        },
        vendor_passed_over: m.vendor.passed_over.clone(),
        timestamp: (m.module.timestamp != 0).then_some(m.module.timestamp),
        reason,
        frame: Some(frame.index),
        symbol: Some(frame.display.clone()),
        unloaded: false,
    })
}

/// The repeating cycle of frames (as `module!function`), if the stack repeats one.
fn frame_cycle(a: &Analysis) -> Option<(Vec<String>, usize)> {
    let names: Vec<String> = a
        .frames
        .iter()
        .map(|f| match (&f.symbol.module, &f.symbol.function) {
            (Some(m), Some(func)) if !f.symbol.unreliable => {
                format!("{}!{}", symbols::short(m), func)
            }
            _ => f.display.clone(),
        })
        .collect();
    let n = names.len();
    if n < 6 {
        return None;
    }
    for period in 1..=8usize.min(n / 3) {
        // Count repetitions starting anywhere in the first 16 frames.
        for start in 0..16.min(n) {
            let mut reps = 1;
            while start + (reps + 1) * period <= n
                && names[start + reps * period..start + (reps + 1) * period]
                    == names[start..start + period]
            {
                reps += 1;
            }
            if reps >= 3 && reps * period >= 6 {
                return Some((names[start..start + period].to_vec(), reps));
            }
        }
    }
    None
}

fn vendor_line(b: &Blame) -> String {
    let mut s = b.module.clone();
    if let Some(v) = &b.version {
        s.push_str(&format!(" {v}"));
    }
    match &b.vendor {
        Some(c) => format!("{s} from {c}"),
        None => s,
    }
}

fn recommendation_for(b: Option<&Blame>) -> String {
    match b {
        Some(b) if b.unloaded => format!(
            "The code that called into {} after it was unloaded is at fault: contact the vendor of the calling module, and of {}, for a fix (look for a known issue about unloading).",
            b.module, b.module
        ),
        Some(b) => match &b.vendor {
            Some(c) => format!(
                "Contact {c} about {} (version {}) or update the component to a fixed version; give them this report and the dump.",
                b.module,
                b.version.as_deref().unwrap_or("unknown")
            ),
            None => format!(
                "Contact the vendor of {} ({}) or update the component; give them this report and the dump.",
                b.module,
                if b.vendor_passed_over.iter().all(|p| p.value.is_none()) {
                    "its version resource names none".to_string()
                } else {
                    format!("unknown: {}", b.vendor_provenance)
                }
            ),
        },
        None => "The faulting code is part of the operating system or a runtime: look for the caller that passed it bad data, install current updates, and collect a full dump with symbols.".into(),
    }
}

fn findings(snap: &Snapshot<'_>, syms: &Symbolizer<'_, '_>, a: &Analysis) -> Vec<Finding> {
    let mut out = Vec::new();
    let ptr = a.ptr_size();
    let b = a.blame.as_ref();
    let who = b
        .map(vendor_line)
        .unwrap_or_else(|| "an operating-system module".into());
    let rec = recommendation_for(b);
    let Some(e) = &a.exception else {
        if a.exception_lost() {
            return out; // unknown, not "taken on demand": see damaged_finding
        }
        out.push(Finding {
            id: "no_exception",
            severity: Severity::Info,
            title: "The dump was taken without an exception".into(),
            description: "This dump records no exception: it was written on demand (a hang dump, Task Manager, ProcDump without -e) rather than at a crash. Look at the threads for what the process was doing.".into(),
            recommendation: "If the process hangs, compare several such dumps taken a few seconds apart; if it crashed, collect a dump at the exception (ProcDump -e, DebugDiag crash rule, WER LocalDumps).".into(),
            evidence: vec![],
        });
        return out;
    };
    let code = e.code;
    let win_os = !e.is_signal;
    let at = a
        .instruction_symbol
        .clone()
        .unwrap_or_else(|| fmt_addr(e.address, ptr));
    let thread = e
        .thread_index
        .map(|i| format!("thread {i} (id 0x{:x})", e.thread_id))
        .unwrap_or_else(|| format!("thread id 0x{:x}", e.thread_id));
    let mut ev_base = vec![
        format!(
            "exception {} (0x{:08x}) at {} in {}",
            e.name,
            code,
            fmt_addr(e.address, ptr),
            at
        ),
        format!("faulting thread: {thread}"),
    ];
    if let Some(d) = &a.instruction {
        ev_base.push(format!(
            "instruction: {} {}",
            fmt_addr(d.address, ptr),
            d.text
        ));
    }

    let is_av = (win_os && code == win::ACCESS_VIOLATION)
        || (!win_os && matches!(code, 7 | 11))
        || (snap.system.os == OsFamily::MacOs && code == 1);
    let target = e.target;
    let region = a.target_region.as_ref();
    let freed = region.is_some_and(|r| matches!(r.state_value, Some(MEM_FREE) | Some(MEM_RESERVE)));
    let guard = region.is_some_and(|r| r.protect_value.is_some_and(|p| p & 0x100 != 0));
    let access_word = e.access.map(|x| match x {
        Access::Read => "reading",
        Access::Write => "writing",
        Access::Execute => "executing",
    });

    // Heap routine in the top frames.
    let heap_frame = a.frames.iter().take(6).find(|f| {
        f.system
            && f.symbol.function.as_deref().is_some_and(is_heap_function)
            && !f.symbol.unreliable
    });

    if is_av {
        let mut ev = ev_base.clone();
        if let Some(t) = target {
            ev.push(format!(
                "attempt to {} address {}",
                e.access.map(|x| x.as_str()).unwrap_or("access"),
                fmt_addr(t, ptr)
            ));
        }
        if let Some(r) = region {
            ev.push(region_evidence(r, ptr));
        }
        out.push(Finding {
            id: "access_violation",
            severity: Severity::Error,
            title: format!(
                "Access violation{} at {}",
                target
                    .map(|t| format!(
                        " {} {}",
                        access_word.unwrap_or("accessing"),
                        fmt_addr(t, ptr)
                    ))
                    .unwrap_or_default(),
                at
            ),
            description: format!(
                "In {} the instruction at {} in {} caused an access violation{} on {}.",
                a.process.name.as_deref().unwrap_or("the process"),
                at,
                a.faulting_module.as_deref().unwrap_or("unknown code"),
                target
                    .map(|t| format!(
                        " when trying to {} memory at {}",
                        e.access.map(|x| x.as_str()).unwrap_or("access"),
                        fmt_addr(t, ptr)
                    ))
                    .unwrap_or_default(),
                thread
            ),
            recommendation: rec.clone(),
            evidence: ev,
        });
        if let Some(t) = target {
            if t < 0x10000 {
                out.push(Finding {
                    id: "null_pointer",
                    severity: Severity::Error,
                    title: format!("Null pointer dereference (address {})", fmt_addr(t, ptr)),
                    description: format!(
                        "The target address {} lies in the first 64 KiB, which is never mapped: the code used a NULL pointer{}.",
                        fmt_addr(t, ptr),
                        if t > 0 { format!(" plus an offset of 0x{t:x} (a field of a NULL object)") } else { String::new() }
                    ),
                    recommendation: format!("{rec} The fix is a missing NULL check or an object that was never created."),
                    evidence: vec![format!("target {} < 0x10000", fmt_addr(t, ptr))],
                });
            }
            if ptr == 8 && !is_canonical(t) || (ptr == 8 && win_os && t == u64::MAX) {
                out.push(Finding {
                    id: "non_canonical_address",
                    severity: Severity::Error,
                    title: "Access to a non-canonical address".into(),
                    description: format!(
                        "The address {} is not canonical on x64 (bits 48-63 must copy bit 47): the pointer is garbage, typically uninitialised, overwritten or freed memory reused as a pointer (Windows reports such faults as address ffffffff`ffffffff).",
                        fmt_addr(t, ptr)
                    ),
                    recommendation: rec.clone(),
                    evidence: vec![format!("target {}", fmt_addr(t, ptr))],
                });
            }
            if guard {
                out.push(guard_finding(a, t, &rec));
            } else if is_fill_pattern(t) && t >= 0x10000 {
                out.push(Finding {
                    id: "wild_pointer",
                    severity: Severity::Warning,
                    title: format!("The address {} looks like fill data, not a pointer", fmt_addr(t, ptr)),
                    description: format!(
                        "The target {} is made of a repeated byte pattern (e.g. 0x41 'A', 0xfeee, 0xbaadf00d): the pointer was read from memory that had been overwritten with data or freed and filled.",
                        fmt_addr(t, ptr)
                    ),
                    recommendation: rec.clone(),
                    evidence: vec![format!("target {}", fmt_addr(t, ptr))],
                });
            } else if freed
                && t >= 0x10000
                && !(e.access == Some(Access::Execute) && snap.unloaded_module_at(t).is_some())
            {
                let r = region.expect("freed implies region");
                out.push(Finding {
                    id: "freed_memory",
                    severity: Severity::Error,
                    title: format!("{} freed memory at {}", cap(access_word.unwrap_or("accessing")), fmt_addr(t, ptr)),
                    description: format!(
                        "The target {} lies in a {} region ({} - {}): that memory had been released when the code used it — a use-after-free of memory or of a whole heap/allocation.",
                        fmt_addr(t, ptr),
                        r.state.as_deref().unwrap_or("?"),
                        fmt_addr(r.base.unwrap_or(0), ptr),
                        fmt_addr(r.base.unwrap_or(0).saturating_add(r.size.unwrap_or(0)), ptr)
                    ),
                    recommendation: rec.clone(),
                    evidence: vec![region_evidence(r, ptr)],
                });
            }
            if e.access == Some(Access::Execute) {
                out.push(nx_finding(a, t, &rec));
            }
        }
        // Heap routine faulting.
        if let Some(hf) = heap_frame {
            let handle = heap_handle(snap, a, hf);
            let heaps = a.process.heaps.as_ref();
            let handle_known = handle.zip(heaps).map(|(h, hs)| hs.contains(&h));
            let handle_freed =
                handle.is_some_and(|h| snap.region_at(h).is_some_and(|r| r.state != MEM_COMMIT));
            // A live heap (listed in the PEB) faulting on a wild pointer is corruption; a handle
            // whose memory is released, or that the PEB no longer lists, is a destroyed heap.
            let destroyed = match handle_known {
                Some(true) => false,
                Some(false) => true,
                None => {
                    handle_freed
                        || (freed && handle.is_some() && !target.is_some_and(is_fill_pattern))
                }
            };
            if destroyed {
                let mut ev = vec![format!(
                    "heap routine on the stack: frame {} {}",
                    hf.index, hf.display
                )];
                if let Some(h) = handle {
                    ev.push(format!("heap handle: {}", fmt_addr(h, ptr)));
                    if let Some(r) = snap.region_at(h) {
                        ev.push(format!(
                            "heap handle region: {} {} ({} - {})",
                            regions::state_name(r.state),
                            regions::protect_name(r.protect),
                            fmt_addr(r.base, ptr),
                            fmt_addr(r.end(), ptr)
                        ));
                    }
                }
                match heaps {
                    Some(hs) => ev.push(format!(
                        "process heaps (PEB): {} — {}",
                        hs.iter()
                            .map(|h| fmt_addr(*h, ptr))
                            .collect::<Vec<_>>()
                            .join(" "),
                        match handle_known {
                            Some(true) => "the handle is among them",
                            Some(false) => "the handle is NOT among them",
                            None => "handle unknown",
                        }
                    )),
                    None => ev.push("process heap list: not in the dump".into()),
                }
                let caller = b
                    .map(|b| b.module.clone())
                    .unwrap_or_else(|| "the caller".into());
                out.push(Finding {
                    id: "destroyed_heap",
                    severity: Severity::Error,
                    title: format!("{caller} used a heap that had already been destroyed"),
                    description: format!(
                        "The heap manager ({}) faulted on heap {}{}{}. A heap handle that points into released memory and is not one of the process's heaps means the heap had been destroyed (HeapDestroy) and its handle was used afterwards — {} allocated from a dead heap.",
                        hf.display,
                        handle.map(|h| fmt_addr(h, ptr)).unwrap_or_else(|| "(handle unknown)".into()),
                        if freed { format!(", whose memory at {} is {}", fmt_addr(target.unwrap_or(0), ptr), region.and_then(|r| r.state.clone()).unwrap_or_default()) } else { String::new() },
                        match handle_known { Some(false) => ", and which is not among the process heaps listed in the PEB", _ => "" },
                        who
                    ),
                    recommendation: rec.clone(),
                    evidence: ev,
                });
            } else {
                out.push(heap_corruption_finding(a, Some(hf), &rec, &who));
            }
        }
    }

    if win_os {
        match code {
            win::HEAP_CORRUPTION => out.push(heap_corruption_finding(a, heap_frame, &rec, &who)),
            win::STACK_OVERFLOW => {}
            win::STACK_BUFFER_OVERRUN | win::FAIL_FAST_EXCEPTION => {
                let name = e.fast_fail.clone().unwrap_or_else(|| "unknown code".into());
                out.push(Finding {
                    id: "fail_fast",
                    severity: Severity::Error,
                    title: format!("Fail-fast: {name}"),
                    description: format!(
                        "The process terminated itself with __fastfail ({}, code 0x{:08x}) in {}: the code detected a condition it deemed unrecoverable (a corrupted stack cookie, list entry, heap metadata or an explicit fatal exit) and stopped without running handlers.",
                        name, code, at
                    ),
                    recommendation: rec.clone(),
                    evidence: ev_base.clone(),
                });
                if name == "FAST_FAIL_HEAP_METADATA_CORRUPTION" || name == "FAST_FAIL_UNEXPECTED_HEAP_EXCEPTION" {
                    out.push(heap_corruption_finding(a, heap_frame, &rec, &who));
                }
            }
            win::CPP_EXCEPTION | win::GCC_EXCEPTION => out.push(Finding {
                id: "cpp_exception",
                severity: Severity::Error,
                title: format!(
                    "Unhandled C++ exception{}",
                    e.cpp_type.as_ref().map(|t| format!(" of type {t}")).unwrap_or_default()
                ),
                description: format!(
                    "A C++ exception ({}) was thrown and not caught{}; the runtime terminated the process. The thrower is at {}.",
                    if code == win::GCC_EXCEPTION { "GCC/mingw, code 0x20474343" } else { "Visual C++, code 0xe06d7363" },
                    e.cpp_type.as_ref().map(|t| format!(" (thrown type: {t})")).unwrap_or_else(|| " (thrown type: unknown, not in the dump)".into()),
                    a.frames.iter().find(|f| !f.system).map(|f| f.display.clone()).unwrap_or(at.clone())
                ),
                recommendation: rec.clone(),
                evidence: ev_base.clone(),
            }),
            win::CLR_EXCEPTION | win::CLR_EXCEPTION_OLD => out.push(Finding {
                id: "clr_exception",
                severity: Severity::Error,
                title: "Unhandled .NET (CLR) exception".into(),
                description: format!("A managed exception (code 0x{code:08x}) went unhandled. The managed type and message live in the managed heap; open the dump with SOS (!pe) to read them."),
                recommendation: "Find the managed exception with SOS (!pe, !clrstack) and fix the code that throws it; in ASP.NET, check the Application event log for .NET Runtime 1026 / ASP.NET 1309 entries of the same time.".into(),
                evidence: ev_base.clone(),
            }),
            win::INT_DIVIDE_BY_ZERO | win::FLT_DIVIDE_BY_ZERO => out.push(simple(
                "divide_by_zero",
                "Integer divide by zero".into(),
                format!("The instruction at {at} divided by zero."),
                &rec,
                &ev_base,
            )),
            win::ILLEGAL_INSTRUCTION | win::PRIV_INSTRUCTION => out.push(simple(
                "illegal_instruction",
                format!("{} instruction", if code == win::PRIV_INSTRUCTION { "Privileged" } else { "Illegal" }),
                format!("The processor could not execute the instruction at {at}: either deliberate (ud2, an assertion or abort) or execution went astray into data."),
                &rec,
                &ev_base,
            )),
            win::BREAKPOINT => out.push(simple(
                "breakpoint",
                "Breakpoint".into(),
                format!("A breakpoint exception was raised at {at}: an int 3 / DebugBreak, often an assertion, or a dump taken by a debugger attaching."),
                &rec,
                &ev_base,
            )),
            win::GUARD_PAGE => out.push(guard_finding(a, target.unwrap_or(e.address), &rec)),
            win::ACCESS_VIOLATION | win::IN_PAGE_ERROR => {}
            _ => out.push(simple(
                "unknown_exception",
                format!("Exception 0x{code:08x} ({})", e.name),
                format!("The process raised exception 0x{code:08x} ({}) at {at}, which coroner has no specific rule for.", e.name),
                &rec,
                &ev_base,
            )),
        }
    } else {
        match code {
            0xffff_ffff => out.push(Finding {
                id: "dump_requested",
                severity: Severity::Info,
                title: "Dump requested, not a crash".into(),
                description: "Breakpad records a dump written on request (not at a crash) with the pseudo-exception DUMP_REQUESTED; the context is the requesting thread's.".into(),
                recommendation: "Look at the threads for what the process was doing when the dump was requested.".into(),
                evidence: ev_base.clone(),
            }),
            8 => out.push(simple("divide_by_zero", "Arithmetic fault (SIGFPE)".into(), format!("SIGFPE at {at}: typically an integer division by zero."), &rec, &ev_base)),
            4 => out.push(simple("illegal_instruction", "Illegal instruction (SIGILL)".into(), format!("SIGILL at {at}: an illegal or trapping instruction (ud2, __builtin_trap, abort path)."), &rec, &ev_base)),
            5 => out.push(simple("breakpoint", "Trap (SIGTRAP)".into(), format!("SIGTRAP at {at}."), &rec, &ev_base)),
            7 | 11 => {}
            _ if snap.system.os == OsFamily::MacOs && code == 1 => {}
            _ => out.push(simple("unknown_exception", format!("{} ", e.name).trim().to_string(), format!("The process stopped with {} (code 0x{code:x}) at {at}.", e.name), &rec, &ev_base)),
        }
    }

    // Stack overflow and recursion.
    let cycle = frame_cycle(a);
    let overflow = (win_os && code == win::STACK_OVERFLOW)
        || (is_av && a.target_region.as_ref().is_some_and(|r| r.usage == "Stack") && guard);
    if overflow {
        let cyc = cycle
            .as_ref()
            .map(|(c, n)| format!("{} (repeats {n}+ times)", c.join(" → ")));
        out.push(Finding {
            id: "stack_overflow",
            severity: Severity::Error,
            title: "Stack overflow".into(),
            description: format!(
                "The thread's stack was exhausted ({}).{}",
                if code == win::STACK_OVERFLOW { "exception 0xc00000fd" } else { "a fault on the stack guard page" },
                cyc.as_ref().map(|c| format!(" The stack repeats the cycle {c}: unbounded recursion.")).unwrap_or_else(|| " No repeating cycle was found in the walked frames: a few very large stack frames (big local arrays) may have used it up.".into())
            ),
            recommendation: rec.clone(),
            evidence: ev_base.clone(),
        });
    }
    if let Some((c, n)) = &cycle {
        if !c.iter().all(|s| {
            s.contains("KiUserExceptionDispatcher")
                || dispatcher_name(s.rsplit('!').next().unwrap_or(""))
        }) && a.nesting_levels == 0
        {
            out.push(Finding {
                id: "recursion",
                severity: if overflow { Severity::Error } else { Severity::Warning },
                title: format!("Recursion: {}", c.join(" → ")),
                description: format!("The stack repeats the frame cycle {} at least {n} times.", c.join(" → ")),
                recommendation: "Check the recursion's termination condition and its depth for the input that was being processed.".into(),
                evidence: vec![format!("cycle of {} frame(s) repeated {n} times", c.len())],
            });
        }
    }

    // Nested exceptions.
    if a.nesting_levels > 0 {
        let disp: Vec<String> = a
            .frames
            .iter()
            .filter(|f| f.dispatcher)
            .map(|f| format!("frame {} {}", f.index, f.display))
            .collect();
        out.push(Finding {
            id: "nested_exception",
            severity: Severity::Warning,
            title: format!("Nested exceptions: {} level(s) of exception dispatch in the faulting stack", a.nesting_levels),
            description: format!(
                "The faulting stack contains {} exception-dispatch frame(s) (KiUserExceptionDispatcher): the fault happened while an earlier exception was being handled, i.e. an exception handler{} re-entered the failing code and faulted again.",
                a.nesting_levels,
                b.map(|b| format!(" in {}", b.module)).unwrap_or_default()
            ),
            recommendation: "Treat the innermost fault as the symptom and the handler that re-enters the failing operation as a defect of its own: the handler must not repeat the failing call.".into(),
            evidence: disp,
        });
    }

    // Unloaded module.
    let ip = a.registers.as_ref().map(|c| c.pc()).unwrap_or(e.address);
    if snap.module_at(ip).is_none() {
        if let Some(u) = snap.unloaded_module_at(ip) {
            out.push(Finding {
                id: "unloaded_module",
                severity: Severity::Error,
                title: format!("Call into unloaded module {}", u.name),
                description: format!(
                    "The instruction pointer {} lies in the range where {} was loaded ({} - {}) before it was unloaded: code called a function of {} after FreeLibrary.{}",
                    fmt_addr(ip, ptr), u.name, fmt_addr(u.base, ptr), fmt_addr(u.base.wrapping_add(u.size), ptr), u.name,
                    a.frames.iter().skip(1).find(|f| f.symbol.module.is_some()).map(|f| format!(" The caller was {}.", f.display)).unwrap_or_default()
                ),
                recommendation: format!("Contact the vendor of {} and of the module that kept a pointer into it; a component must not be unloaded while callbacks into it are registered.", u.name),
                evidence: vec![format!("unloaded module {} was at {} size 0x{:x}", u.name, fmt_addr(u.base, ptr), u.size)],
            });
        }
    }
    // Executing non-executable memory (DEP) without an explicit execute access flag.
    if !out.iter().any(|f| f.id == "execute_non_executable") {
        if let Some(r) = &a.ip_region {
            if r.state_value == Some(MEM_COMMIT)
                && r.protect_value.is_some_and(|p| p & 0xf0 == 0)
                && is_av
            {
                out.push(nx_finding(a, ip, &rec));
            }
        }
    }
    let _ = syms;
    crate::ranking::sort(&mut out);
    out
}

fn simple(
    id: &'static str,
    title: String,
    description: String,
    rec: &str,
    ev: &[String],
) -> Finding {
    Finding {
        id,
        severity: Severity::Error,
        title,
        description,
        recommendation: rec.to_string(),
        evidence: ev.to_vec(),
    }
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Whether an address is made of a fill pattern: a repeated byte (0x41414141) or a well-known
/// debug-heap fill (feeefeee, baadf00d, abababab, cdcdcdcd, dddddddd), possibly plus a small offset.
fn is_fill_pattern(a: u64) -> bool {
    let low = (a as u32) & !0xff;
    let b = (low >> 8) & 0xff;
    let repeated = b != 0 && low == (b << 24 | b << 16 | b << 8);
    let hi = (a >> 32) as u32;
    let hi_ok = hi == 0 || hi == (b << 24 | b << 16 | b << 8 | b) || (hi & 0xffff) == (b << 8 | b);
    (repeated && hi_ok)
        || matches!(
            (a as u32) & !0xff,
            0xfeee_fe00 | 0xbaad_f000 | 0xabab_ab00 | 0xcdcd_cd00 | 0xdddd_dd00
        )
}

fn is_canonical(a: u64) -> bool {
    let top = a >> 47;
    top == 0 || top == 0x1ffff
}

fn region_evidence(r: &AddressFacts, ptr: u8) -> String {
    match (r.base, r.size) {
        (Some(b), Some(s)) => format!(
            "!address {}: region {} size {:x}, {} {} {}, usage {}{}",
            fmt_addr(r.address, ptr),
            fmt_addr(b, ptr),
            s,
            r.state.as_deref().unwrap_or("?"),
            r.protect.as_deref().unwrap_or("?"),
            r.kind.as_deref().unwrap_or(""),
            r.usage,
            r.usage_detail
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        _ => format!(
            "!address {}: no region information in the dump",
            fmt_addr(r.address, ptr)
        ),
    }
}

fn guard_finding(a: &Analysis, t: u64, rec: &str) -> Finding {
    Finding {
        id: "guard_page",
        severity: Severity::Error,
        title: format!("Guard page hit at {}", fmt_addr(t, a.ptr_size())),
        description: format!(
            "The access at {} touched a PAGE_GUARD page{}.",
            fmt_addr(t, a.ptr_size()),
            if a.target_region.as_ref().is_some_and(|r| r.usage == "Stack") {
                " at the end of a thread's stack: the stack was about to overflow"
            } else {
                ""
            }
        ),
        recommendation: rec.to_string(),
        evidence: a
            .target_region
            .iter()
            .map(|r| region_evidence(r, a.ptr_size()))
            .collect(),
    }
}

fn nx_finding(a: &Analysis, t: u64, rec: &str) -> Finding {
    Finding {
        id: "execute_non_executable",
        severity: Severity::Error,
        title: format!("Execution of non-executable memory at {}", fmt_addr(t, a.ptr_size())),
        description: format!(
            "The processor was told to execute code at {}, which is not executable memory (DEP): a corrupted function pointer, vtable or return address, or a call into freed memory.",
            fmt_addr(t, a.ptr_size())
        ),
        recommendation: rec.to_string(),
        evidence: a.ip_region.iter().map(|r| region_evidence(r, a.ptr_size())).collect(),
    }
}

fn heap_corruption_finding(a: &Analysis, hf: Option<&FrameFacts>, rec: &str, who: &str) -> Finding {
    Finding {
        id: "heap_corruption",
        severity: Severity::Error,
        title: "Heap corruption".into(),
        description: format!(
            "{} The code that corrupted the heap ran earlier and is usually not on this stack; the last non-system caller was {}.",
            match (a.exception.as_ref().map(|e| e.code), hf) {
                (Some(win::HEAP_CORRUPTION), _) => "The heap manager detected corrupted heap metadata (STATUS_HEAP_CORRUPTION 0xc0000374).".to_string(),
                (_, Some(f)) => format!("The heap manager faulted inside {} on a corrupted pointer: heap metadata had been overwritten (buffer overrun, double free or use after free).", f.display),
                _ => "The heap manager reported corrupted metadata.".to_string(),
            },
            who
        ),
        recommendation: format!("Enable full page heap for the process (gflags /p /enable {} /full, or DebugDiag's PageHeap flags) and collect a new dump: it stops at the corrupting write. {rec}", a.process.name.as_deref().unwrap_or("<image>.exe")),
        evidence: hf.map(|f| vec![format!("heap routine on the stack: frame {} {}", f.index, f.display)]).unwrap_or_default(),
    }
}

/// The heap handle a heap routine was working on: the x86 frame's first argument (stdcall
/// `RtlAllocateHeap(HeapHandle, …)`), else the base register of the faulting memory operand.
fn heap_handle(snap: &Snapshot<'_>, a: &Analysis, hf: &FrameFacts) -> Option<u64> {
    let ptr = a.ptr_size();
    let page_like = |h: u64| h != 0 && h & 0xfff == 0;
    let from_base = a
        .instruction
        .as_ref()
        .and_then(|d| d.base_value)
        .filter(|v| page_like(*v));
    let from_arg = if snap.system.arch == Arch::X86 && hf.trust != Trust::Scan {
        hf.args[0].filter(|v| page_like(*v))
    } else {
        None
    };
    let _ = ptr;
    // Prefer the candidate that is not a live heap.
    let heaps = a.process.heaps.as_ref();
    let dead = |h: &u64| {
        heaps.is_some_and(|hs| !hs.contains(h))
            || snap.region_at(*h).is_some_and(|r| r.state != MEM_COMMIT)
    };
    [from_base, from_arg]
        .into_iter()
        .flatten()
        .find(dead)
        .or(from_base)
        .or(from_arg)
}

/// A damaged dump says so first: the streams lost, the bytes present against those its directory
/// needs, and whether the cause can still be told (not when the exception stream is lost).
fn damaged_finding(a: &Analysis) -> Option<Finding> {
    let d = a.damage.as_ref()?;
    let names = |v: &[StreamLoss]| {
        v.iter()
            .map(|l| l.stream.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (lost, partial) = (names(&d.streams_lost), names(&d.streams_partial));
    let what = match (lost.is_empty(), partial.is_empty()) {
        (false, true) => format!("streams lost: {lost}"),
        (false, false) => format!("streams lost: {lost}; incomplete: {partial}"),
        _ => format!("incomplete: {partial}"),
    };
    let size = if d.bytes_needed > d.bytes_present {
        format!(
            "The file holds {} bytes; its stream directory needs {}{}, so it was cut short (an interrupted copy or a full disk).",
            d.bytes_present,
            if d.streams_lost.is_empty() { "" } else { "at least " },
            d.bytes_needed
        )
    } else {
        format!("The file holds all {} bytes its directory names, but streams in it are unreadable or wiped.", d.bytes_present)
    };
    let (title, consequence) = if a.exception_lost() {
        (
            format!("Damaged dump, cause unknown ({what})"),
            "The exception stream is lost, so whether the process crashed, and why, cannot be told from this file (it may as well have been written at a crash as on request). The facts that survived are shown below.",
        )
    } else {
        (
            format!("Damaged dump ({what}): the findings below rest on what survived"),
            "The exception record survived; facts that lived in the lost parts (threads, modules, memory) may be missing from the findings below.",
        )
    };
    Some(Finding {
        id: "damaged_dump",
        severity: Severity::Error,
        title,
        description: format!("{size} {consequence}"),
        recommendation: "Get the dump again from where it was written and compare its size with the original (copy it whole; check free disk space where the dump is written), then analyse the complete file.".into(),
        evidence: d
            .lines()
            .into_iter()
            .chain(std::iter::once(format!(
                "file size {} bytes; the directory needs {}",
                d.bytes_present, d.bytes_needed
            )))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorated_type_names_are_undecorated() {
        assert_eq!(
            undecorate_type(".?AVbad_alloc@std@@"),
            "class std::bad_alloc"
        );
        assert_eq!(undecorate_type(".?AUpoint@geo@@"), "struct geo::point");
        assert_eq!(
            undecorate_type(".?AVbooking_error@margie@@"),
            "class margie::booking_error"
        );
        assert_eq!(undecorate_type("int"), "int");
    }

    fn snapshot_with(arch: Arch, ranges: Vec<MemoryRange<'_>>, params: Vec<u64>) -> Snapshot<'_> {
        Snapshot {
            path: "t.dmp".into(),
            container: "minidump".into(),
            dump_flags: 0,
            system: SystemInfo {
                os: OsFamily::Windows,
                os_name: "Windows NT".into(),
                os_version: "10.0".into(),
                arch,
                cpu_info: None,
                cpu_count: 1,
            },
            process: ProcessInfo::default(),
            exception: Some(ExceptionRecord {
                code: win::CPP_EXCEPTION,
                flags: 1,
                address: 0x1000,
                params,
                thread_id: 1,
                nested_record: 0,
                reason: "Unhandled C++ Exception".into(),
                crash_address: 0x1000,
            }),
            exception_context: None,
            threads: vec![],
            modules: vec![],
            unloaded_modules: vec![],
            regions: vec![],
            regions_source: None,
            memory: AddressSpace::new(ranges),
            handle_count: None,
            handles: vec![],
            comments: vec![],
            warnings: vec![],
            streams: vec![],
            damage: None,
            module_index: Default::default(),
        }
    }

    #[test]
    fn thrown_type_is_read_through_throwinfo_on_x86_and_x64() {
        // x86: absolute pointers. ThrowInfo at 0x100, CatchableTypeArray at 0x200,
        // CatchableType at 0x300, TypeDescriptor at 0x400 (name at +8).
        let mut m = vec![0u8; 0x500];
        m[0x10c..0x110].copy_from_slice(&0x200u32.to_le_bytes());
        m[0x200..0x204].copy_from_slice(&1u32.to_le_bytes());
        m[0x204..0x208].copy_from_slice(&0x300u32.to_le_bytes());
        m[0x304..0x308].copy_from_slice(&0x400u32.to_le_bytes());
        let name = b".?AVbad_alloc@std@@\0";
        m[0x408..0x408 + name.len()].copy_from_slice(name);
        let snap = snapshot_with(
            Arch::X86,
            vec![MemoryRange { base: 0, bytes: &m }],
            vec![0x1993_0520, 0x50, 0x100],
        );
        let e = snap.exception.as_ref().unwrap();
        assert_eq!(
            cpp_thrown_type(&snap, e).as_deref(),
            Some("class std::bad_alloc")
        );

        // x64: RVAs from the image base in parameter 3; the name is at TypeDescriptor+16.
        let base = 0x1_4000_0000u64;
        let mut m = vec![0u8; 0x500];
        m[0x10c..0x110].copy_from_slice(&0x200u32.to_le_bytes());
        m[0x200..0x204].copy_from_slice(&1u32.to_le_bytes());
        m[0x204..0x208].copy_from_slice(&0x300u32.to_le_bytes());
        m[0x304..0x308].copy_from_slice(&0x400u32.to_le_bytes());
        let name = b".?AVbooking_error@margie@@\0";
        m[0x410..0x410 + name.len()].copy_from_slice(name);
        let snap = snapshot_with(
            Arch::Amd64,
            vec![MemoryRange { base, bytes: &m }],
            vec![0x1993_0520, 0x50, base + 0x100, base],
        );
        let e = snap.exception.as_ref().unwrap();
        assert_eq!(
            cpp_thrown_type(&snap, e).as_deref(),
            Some("class margie::booking_error")
        );

        // Memory not in the dump: unknown, not invented.
        let snap = snapshot_with(Arch::X86, vec![], vec![0x1993_0520, 0x50, 0x100]);
        let e = snap.exception.as_ref().unwrap();
        assert_eq!(cpp_thrown_type(&snap, e), None);
    }
}
