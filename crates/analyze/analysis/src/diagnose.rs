//! The diagnosis: from the snapshot to facts, findings, blame and bucket.

use crate::codes::{self, win};
use crate::symbols::{format_symbol, Symbolizer};
use crate::*;
use coroner_unwind::{walk, Trust};

/// The frames of a walk as the reports show them: symbolized (a return address by the call
/// before it), judged system or not (`system`: whether module `i` is operating-system or
/// runtime code), the exception dispatcher marked. The one place frames are built, for the
/// analysis and for the shell's `k` commands on any thread.
pub fn frame_facts(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    frames: &[coroner_unwind::Frame],
    system: &dyn Fn(usize) -> bool,
) -> Vec<FrameFacts> {
    let ptr = snap.system.arch.ptr_size();
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let caller = i > 0 && f.trust != Trust::ExceptionContext;
            let symbol = syms.symbolize_frame(f.pc, caller);
            let display = format_symbol(&symbol, f.pc, ptr);
            let system = symbol.module_index.is_some_and(system);
            let dispatcher = symbol.function.as_deref() == Some("KiUserExceptionDispatcher");
            FrameFacts {
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
            }
        })
        .collect()
}

/// The hang facts of a snapshot alone (threads, locks, deadlocks; no findings): what
/// [`analyze`] computes for `Analysis::hang`, for benchmarks and tools that need only these.
/// Returns the warnings the limits produced beside the facts.
pub fn hang_facts(snap: &Snapshot<'_>, opts: &Options) -> (crate::hang::HangFacts, Vec<Warning>) {
    let syms = Symbolizer::for_options(snap, opts);
    let judged: Vec<std::cell::OnceCell<bool>> =
        snap.modules.iter().map(|_| Default::default()).collect();
    let system = |i: usize| *judged[i].get_or_init(|| module_judgement(snap, &syms, i).system);
    let mut warnings = Vec::new();
    let facts = crate::hang::analyze(snap, &syms, &system, opts, &mut warnings);
    (facts, warnings)
}

/// A module's judgement by index (each module judged once, see [`analyze`]).
type Judge<'a> = dyn Fn(usize) -> blame::Judgement + 'a;

/// The faulting instruction and the regions around it (the instruction-and-regions stage).
struct Fault {
    instruction: Option<disasm::Decoded>,
    instruction_symbol: Option<String>,
    ip: Option<u64>,
    target_region: Option<AddressFacts>,
    ip_region: Option<AddressFacts>,
    ip_module: Option<usize>,
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
    let mut warnings: Vec<Warning> = snap.warnings.iter().cloned().map(Warning::Load).collect();

    // The thread and context to explain: the exception's, else the first thread's.
    let fault_thread = snap.faulting_thread();
    let stack_thread = fault_thread.or(snap.threads.first());
    let ctx = snap
        .exception_context
        .clone()
        .or_else(|| stack_thread.and_then(|t| t.context.clone()));
    let exception = exception_of(snap, ctx.as_ref());

    let (frames, stack_note) = match &ctx {
        Some(ctx) => {
            let w = walk(snap, stack_thread, ctx, &syms, opts.limits);
            let frames = frame_facts(snap, &syms, &w.frames, &|mi| judgement(mi).system);
            (frames, w.truncated.clone())
        }
        None => {
            if snap.exception.is_some() {
                warnings.push(Warning::NoContext);
            }
            (Vec::new(), None)
        }
    };
    let nesting_levels = frames
        .iter()
        .filter(|f| f.trust == Trust::ExceptionContext)
        .count();

    let fault = fault_facts(snap, &syms, stack_thread, ctx.as_ref(), exception.as_ref());
    let threads = thread_summaries(snap, &syms, fault_thread, fault.ip);
    let mut hang =
        crate::hang::analyze(snap, &syms, &|mi| judgement(mi).system, opts, &mut warnings);
    let hang_findings = hang_findings(snap, &mut hang);
    // The root-cause thread's modules are read as the faulting stack's are (`lmvm`, vendor).
    let root_modules: Vec<usize> = hang
        .root_tid
        .and_then(|t| hang.thread(t))
        .map(|t| {
            t.frames
                .iter()
                .filter_map(|f| f.symbol.module_index)
                .collect()
        })
        .unwrap_or_default();
    let modules = module_facts(
        snap,
        &syms,
        &frames,
        &root_modules,
        fault.ip_module,
        &judgement,
    );
    if let Some(symbols) = &opts.symbols {
        warnings.extend(symbol_search_warnings(snap, &syms, symbols, &frames));
    }
    let a = Analysis {
        path: snap.path.clone(),
        container: snap.container.clone(),
        system: snap.system.clone(),
        process: process_facts(snap),
        exception,
        registers: ctx,
        instruction: fault.instruction,
        instruction_symbol: fault.instruction_symbol,
        target_region: fault.target_region,
        ip_region: fault.ip_region,
        frames,
        stack_note,
        nesting_levels,
        threads,
        modules,
        unloaded_modules: snap.unloaded_modules.clone(),
        faulting_module: fault.ip_module.map(|i| snap.modules[i].name.clone()),
        blame: None,
        findings: Vec::new(),
        bucket: None,
        classification: None,
        comments: snap.comments.clone(),
        streams: snap.streams.clone(),
        warnings,
        damage: snap.damage.clone(),
        memory: crate::memory::memory_facts(snap),
        hang,
    };
    let mut a = a;
    a.memory.allocation_call = crate::alloc_call::find(snap, &syms, &a);
    if a.memory.heaps.is_some() {
        // The dump's own ntdll PDB, when the symbol path has it, gives the heap offsets of the
        // build the process ran: the heaps are read again with them.
        let pdb = crate::heap::from_symbols(snap, opts.symbols.as_deref(), |i| syms.module_id(i));
        if pdb.is_some() {
            a.memory.heaps = crate::heap::heap_summary_with(snap, pdb.as_ref());
        }
    }
    judge(snap, a, hang_findings)
}

/// The hang findings of a hang dump (none for a crash dump), ranked; sets the root-cause thread.
fn hang_findings(snap: &Snapshot<'_>, hang: &mut crate::hang::HangFacts) -> Vec<Finding> {
    if hang.reason.is_none() {
        return Vec::new();
    }
    let mut out =
        crate::hang::verdict::findings(hang, snap.process.name.as_deref(), snap.process.dump_time);
    crate::ranking::sort(&mut out);
    hang.root_tid = out
        .first()
        .and_then(|f| crate::hang::verdict::blame_tid(f, hang));
    out
}

/// The last stage: blame, findings (the damage finding first), bucket and classification.
fn judge(snap: &Snapshot<'_>, mut a: Analysis, hang_findings: Vec<Finding>) -> Analysis {
    a.findings = crate::findings::findings(snap, &a);
    if a.hang.reason == Some(crate::hang::HangReason::BreakIn) {
        // The break-in is how the dump was taken, not a crash.
        a.findings.retain(|f| f.kind != FindingKind::Breakpoint);
    }
    a.findings.extend(hang_findings);
    crate::ranking::sort(&mut a.findings);
    let memory = crate::memory_findings::findings(snap, &a, &a.findings);
    if !memory.is_empty() {
        a.findings.extend(memory);
        crate::ranking::sort(&mut a.findings);
    }
    if let Some(f) = crate::findings::damaged(&a) {
        a.findings.insert(0, f);
    }
    if a.hang_verdict() {
        a.blame = hang_blame(&a);
        a.bucket = hang_bucket(&a);
        a.classification = hang_class(&a).map(|c| format!("HANG_{c}"));
    } else {
        a.blame = blame(snap, &a);
        a.bucket = crate::ranking::bucket(&a);
        a.classification = crate::ranking::classification(&a);
    }
    a
}

/// The class of the first hang finding.
fn hang_class(a: &Analysis) -> Option<&'static str> {
    a.findings
        .iter()
        .find_map(|f| crate::hang::verdict::class(f.kind))
}

/// The root-cause thread's first non-system frame.
fn hang_frame(a: &Analysis) -> Option<&FrameFacts> {
    let t = a.hang.thread(a.hang.root_tid?)?;
    crate::hang::state::first_app_frame(&t.frames)
}

/// `HANG_<class>_<module!function or module+0xoffset>`: the same for every dump of one hang
/// (no PIDs, thread ids or addresses). "No known hang pattern" names no problem to group by:
/// no bucket.
fn hang_bucket(a: &Analysis) -> Option<String> {
    let class = hang_class(a).filter(|c| *c != "NO_HANG_PATTERN")?;
    let place = hang_frame(a)
        .map(crate::ranking::frame_key)
        .unwrap_or_else(|| "Unknown".into());
    Some(format!("HANG_{class}_{place}"))
}

/// The module to follow up with for a hang: the root-cause thread's first non-system frame.
/// None when no known pattern was found: a thread caught in application code is where to look,
/// not a cause, so nobody is named to call.
fn hang_blame(a: &Analysis) -> Option<Blame> {
    hang_class(a).filter(|c| *c != "NO_HANG_PATTERN")?;
    let tid = a.hang.root_tid?;
    let frame = hang_frame(a)?;
    let m = &a.modules[frame.symbol.module_index?];
    let index = a.hang.thread(tid).map(|t| t.index).unwrap_or(0);
    let reason = BlameReason::HangRoot {
        thread: index,
        tid,
        index: frame.index,
        display: frame.display.clone(),
        why: m.judgement.why.clone(),
    };
    let mut b = module_blame(m, frame, reason);
    // The frame is on the root-cause thread's stack, not on `frames`.
    b.frame = None;
    Some(b)
}

/// The process's facts as the snapshot has them, with the IIS application pool from the
/// command line.
fn process_facts(snap: &Snapshot<'_>) -> ProcessFacts {
    ProcessFacts {
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
    }
}

/// The exception's facts; for signals the record's address is the fault address (si_addr), so
/// the instruction pointer is reported as the exception address, as minidump-stackwalk's frame
/// 0 does.
fn exception_of(snap: &Snapshot<'_>, ctx: Option<&Context>) -> Option<ExceptionFacts> {
    let mut exception = snap.exception.as_ref().map(|e| exception_facts(snap, e));
    if let (Some(e), Some(c)) = (exception.as_mut(), ctx) {
        if e.is_signal {
            e.address = c.pc();
        }
    }
    exception
}

/// The faulting instruction (operands that point into modules named as WinDbg names them:
/// `call adparse+0x13c0 (…)`), its symbol, the accessed address's and the instruction's
/// regions, and the module holding the instruction.
fn fault_facts(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    stack_thread: Option<&Thread>,
    ctx: Option<&Context>,
    exception: Option<&ExceptionFacts>,
) -> Fault {
    let ptr = snap.ptr_size();
    let teb = stack_thread.and_then(|t| t.teb);
    let name_of = |addr: u64| {
        let s = syms.symbolize(addr);
        (s.module.is_some() || s.unloaded_module.is_some()).then(|| format_symbol(&s, addr, ptr))
    };
    let instruction = ctx.and_then(|c| disasm::decode_at_named(snap, c, teb, &name_of));
    let ip = ctx.map(|c| c.pc()).or(exception.map(|e| e.address));
    let instruction_symbol = ip.map(|a| format_symbol(&syms.symbolize(a), a, ptr));
    let target = exception.and_then(|e| e.target).or(instruction
        .as_ref()
        .and_then(|d| d.effective_address)
        .filter(|_| exception.is_some_and(|e| e.code == win::ACCESS_VIOLATION)));
    Fault {
        instruction,
        instruction_symbol,
        ip,
        target_region: target.map(|t| regions::address_facts(snap, t)),
        ip_region: ip.map(|a| regions::address_facts(snap, a)),
        ip_module: ip.and_then(|a| snap.module_index_at(a)),
    }
}

/// One summary per thread: the faulting thread's top frame is the instruction pointer `ip`,
/// the others' their context's.
fn thread_summaries(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    fault_thread: Option<&Thread>,
    ip: Option<u64>,
) -> Vec<ThreadSummary> {
    let ptr = snap.ptr_size();
    snap.threads
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
        .collect()
}

/// Modules: version strings for those in the faulting stack or holding the instruction
/// (`lmvm`), judgement for all.
fn module_facts(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    frames: &[FrameFacts],
    root_modules: &[usize],
    ip_module: Option<usize>,
    judgement: &Judge<'_>,
) -> Vec<ModuleFacts> {
    let in_stack: Vec<usize> = frames
        .iter()
        .filter_map(|f| f.symbol.module_index)
        .chain(root_modules.iter().copied())
        .collect();
    snap.modules
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
                symbol_status: symbol_status(syms, i, touched),
                in_fault_stack: touched,
                vendor: vi.map(module_vendor).unwrap_or_default(),
            }
        })
        .collect()
}

/// What `lm` says of module `i`'s symbols. Only the modules the analysis touched are looked up
/// ("deferred" for the rest, as in WinDbg): looking up all of them costs a search per module.
fn symbol_status(syms: &Symbolizer<'_, '_>, i: usize, touched: bool) -> String {
    if let Some(ms) = touched.then(|| syms.module_symbols(i)).flatten() {
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
    }
}

/// One warning per module in the stack without a symbol file, with the places searched.
fn symbol_search_warnings(
    snap: &Snapshot<'_>,
    syms: &Symbolizer<'_, '_>,
    symbols: &coroner_symbols::Symbols,
    frames: &[FrameFacts],
) -> Vec<Warning> {
    let searched = symbols.searched();
    let mut warnings = Vec::new();
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
                    || m.eq_ignore_ascii_case(snap.modules[mi].debug_file.as_deref().unwrap_or(""))
            })
            .flat_map(|(_, p)| p.iter().cloned())
            .collect::<Vec<_>>();
        warnings.push(Warning::NoSymbolFile {
            module: name.clone(),
            looked_in: places,
        });
    }
    warnings
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
        codes::windows_name(code).unwrap_or(stripped)
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
        .then(|| p(0).map(|c| codes::fast_fail_name(c).unwrap_or(format!("FAST_FAIL code {c}"))))
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
                    vendor_provenance: vendor::Provenance::Unloaded,
                    vendor_passed_over: Vec::new(),
                    timestamp: (u.timestamp != 0).then_some(u.timestamp),
                    reason: BlameReason::Unloaded {
                        ip: f.address,
                        module: u.name.clone(),
                        caller: caller.map(|c| c.display.clone()),
                    },
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
        BlameReason::TopFrame {
            module: m.module.name.clone(),
            why: m.judgement.why.clone(),
        }
    } else {
        BlameReason::Frame {
            index: frame.index,
            display: frame.display.clone(),
            why: m.judgement.why.clone(),
            top: a.frames[0].display.clone(),
            above: a.frames[frame.index - 1].display.clone(),
        }
    };
    Some(module_blame(m, frame, reason))
}

/// The blame of module `m` for `frame`, with its version, vendor and the reason.
fn module_blame(m: &ModuleFacts, frame: &FrameFacts, reason: BlameReason) -> Blame {
    Blame {
        module: m.module.name.clone(),
        version: version_string(m),
        company: m.string("CompanyName").map(str::to_string),
        product: m.string("ProductName").map(str::to_string),
        copyright: m.string("LegalCopyright").map(str::to_string),
        vendor: m.vendor.name.clone(),
        vendor_source: m.vendor.source,
        vendor_provenance: if m.version_strings.is_none() {
            vendor::Provenance::NoVersionResource
        } else {
            vendor::Provenance::Fields
        },
        vendor_passed_over: m.vendor.passed_over.clone(),
        timestamp: (m.module.timestamp != 0).then_some(m.module.timestamp),
        reason,
        frame: Some(frame.index),
        symbol: Some(frame.display.clone()),
        unloaded: false,
    }
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
