//! A finding's words: title, description, recommendation and evidence lines, from its kind, its
//! detail and the analysis it belongs to.

use super::summary::stream_names;
use coroner_analysis::codes::win;
use coroner_analysis::regions::{protect_name, state_name};
use coroner_analysis::{
    fmt_addr, Access, AddressFacts, Analysis, Blame, Cycle, Detail, ExceptionFacts, Finding,
    FindingKind,
};

/// A finding in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Words {
    /// One line: the verdict when the finding ranks first.
    pub title: String,
    /// Plain-language description citing the evidence.
    pub description: String,
    /// What to do.
    pub recommendation: String,
    /// The facts it rests on, one per line.
    pub evidence: Vec<String>,
}

/// The words of finding `f` of analysis `a`.
pub fn finding(a: &Analysis, f: &Finding) -> Words {
    if let Detail::Hang(d) = &f.detail {
        return super::hang::finding(a, f.kind, d);
    }
    // --- memory (issue 15): also without an exception (a dump of a leaking process) ---
    if let Some(w) = super::memory::words(a, f) {
        return w;
    }
    // --- end memory ---
    // Corrupt heap headers are seen with or without an exception.
    if let Detail::HeapHeaders { headers } = &f.detail {
        return corrupt_headers(a, headers);
    }
    let Some(e) = &a.exception else {
        return match f.kind {
            FindingKind::DamagedDump => damaged(a),
            _ => no_exception(),
        };
    };
    let s = Scene::new(a, e);
    match (f.kind, &f.detail) {
        (FindingKind::DamagedDump, _) => damaged(a),
        (FindingKind::AccessViolation, _) => s.access_violation(),
        (FindingKind::NullPointer, &Detail::Address { address }) => s.null_pointer(address),
        (FindingKind::NonCanonicalAddress, &Detail::Address { address }) => {
            s.non_canonical(address)
        }
        (FindingKind::WildPointer, &Detail::Address { address }) => s.wild_pointer(address),
        (FindingKind::FreedMemory, &Detail::Address { address }) => s.freed_memory(address),
        (FindingKind::GuardPage, &Detail::Address { address }) => s.guard_page(address),
        (FindingKind::ExecuteNonExecutable, &Detail::Address { address }) => s.nx(address),
        (FindingKind::DestroyedHeap, d) => s.destroyed_heap(d),
        (FindingKind::HeapCorruption, &Detail::Heap { heap_frame }) => {
            s.heap_corruption(heap_frame)
        }
        (FindingKind::FailFast, _) => s.fail_fast(),
        (FindingKind::CppException, &Detail::Thrower { frame }) => s.cpp_exception(frame),
        (FindingKind::ClrException, _) => s.clr_exception(),
        (FindingKind::DumpRequested, _) => s.dump_requested(),
        (FindingKind::StackOverflow, Detail::StackOverflow { by_code, cycle }) => {
            s.stack_overflow(*by_code, cycle.as_ref())
        }
        (FindingKind::Recursion, Detail::Recursion { cycle }) => recursion(cycle),
        (FindingKind::NestedException, _) => s.nested_exception(),
        (FindingKind::UnloadedModule, d) => s.unloaded_module(d),
        (FindingKind::NoException, _) => no_exception(),
        (kind, _) => s.simple(kind),
    }
}

/// Heap corruption seen in the heaps' own headers (`!heap -s`), not in a heap call.
fn corrupt_headers(a: &Analysis, headers: &[String]) -> Words {
    Words {
        title: "Heap corruption (corrupt heap headers)".into(),
        description: format!(
            "Walking the process heaps found {} that no intact heap holds. Overwritten heap metadata makes later heap calls fail or fault far from the code that wrote over it, so the stack of this dump rarely shows who did it.",
            if headers.len() == 1 { "a header" } else { "headers" }
        ),
        recommendation: format!(
            "Enable full page heap for the process (gflags /p /enable {} /full, or DebugDiag's PageHeap flags) and collect a new dump: it stops at the corrupting write.",
            a.process.name.as_deref().unwrap_or("<image>.exe")
        ),
        evidence: headers.to_vec(),
    }
}

/// The title of the first (verdict) finding, if any.
pub fn verdict(a: &Analysis) -> Option<String> {
    a.findings.first().map(|f| finding(a, f).title)
}

/// What the reader of a finding about analysis `a` needs again and again.
struct Scene<'a> {
    a: &'a Analysis,
    e: &'a ExceptionFacts,
    ptr: u8,
    /// Where the fault happened: `module!function+0x…`, else the address.
    at: String,
    /// `thread 4 (id 0x13f0)`.
    thread: String,
    /// The blamed module in a sentence, or "an operating-system module".
    who: String,
    /// What to do, given the blame.
    rec: String,
    /// The evidence every exception finding starts from.
    base: Vec<String>,
}

impl<'a> Scene<'a> {
    fn new(a: &'a Analysis, e: &'a ExceptionFacts) -> Self {
        let ptr = a.ptr_size();
        let at = a
            .instruction_symbol
            .clone()
            .unwrap_or_else(|| fmt_addr(e.address, ptr));
        let thread = e
            .thread_index
            .map(|i| format!("thread {i} (id 0x{:x})", e.thread_id))
            .unwrap_or_else(|| format!("thread id 0x{:x}", e.thread_id));
        let mut base = vec![
            format!(
                "exception {} (0x{:08x}) at {} in {}",
                e.name,
                e.code,
                fmt_addr(e.address, ptr),
                at
            ),
            format!("faulting thread: {thread}"),
        ];
        if let Some(d) = &a.instruction {
            base.push(format!(
                "instruction: {} {}",
                fmt_addr(d.address, ptr),
                d.text
            ));
        }
        let b = a.blame.as_ref();
        Scene {
            a,
            e,
            ptr,
            at,
            thread,
            who: b
                .map(vendor_line)
                .unwrap_or_else(|| "an operating-system module".into()),
            rec: recommendation_for(b),
            base,
        }
    }

    fn addr(&self, v: u64) -> String {
        fmt_addr(v, self.ptr)
    }

    fn words(&self, title: String, description: String, evidence: Vec<String>) -> Words {
        Words {
            title,
            description,
            recommendation: self.rec.clone(),
            evidence,
        }
    }

    fn access_word(&self) -> Option<&'static str> {
        self.e.access.map(|x| match x {
            Access::Read => "reading",
            Access::Write => "writing",
            Access::Execute => "executing",
        })
    }

    fn access_verb(&self) -> &'static str {
        self.e.access.map(|x| x.as_str()).unwrap_or("access")
    }

    fn access_violation(&self) -> Words {
        let target = self.e.target;
        let mut ev = self.base.clone();
        if let Some(t) = target {
            ev.push(format!(
                "attempt to {} address {}",
                self.access_verb(),
                self.addr(t)
            ));
        }
        if let Some(r) = &self.a.target_region {
            ev.push(region_evidence(r, self.ptr));
        }
        let title = format!(
            "Access violation{} at {}",
            target
                .map(|t| format!(
                    " {} {}",
                    self.access_word().unwrap_or("accessing"),
                    self.addr(t)
                ))
                .unwrap_or_default(),
            self.at
        );
        let description = format!(
            "In {} the instruction at {} in {} caused an access violation{} on {}.",
            self.a.process.name.as_deref().unwrap_or("the process"),
            self.at,
            self.a.faulting_module.as_deref().unwrap_or("unknown code"),
            target
                .map(|t| format!(
                    " when trying to {} memory at {}",
                    self.access_verb(),
                    self.addr(t)
                ))
                .unwrap_or_default(),
            self.thread
        );
        self.words(title, description, ev)
    }

    fn null_pointer(&self, t: u64) -> Words {
        let offset = if t > 0 {
            format!(" plus an offset of 0x{t:x} (a field of a NULL object)")
        } else {
            String::new()
        };
        Words {
            title: format!("Null pointer dereference (address {})", self.addr(t)),
            description: format!(
                "The target address {} lies in the first 64 KiB, which is never mapped: the code used a NULL pointer{offset}.",
                self.addr(t)
            ),
            recommendation: format!(
                "{} The fix is a missing NULL check or an object that was never created.",
                self.rec
            ),
            evidence: vec![format!("target {} < 0x10000", self.addr(t))],
        }
    }

    fn non_canonical(&self, t: u64) -> Words {
        self.words(
            "Access to a non-canonical address".into(),
            format!(
                "The address {} is not canonical on x64 (bits 48-63 must copy bit 47): the pointer is garbage, typically uninitialised, overwritten or freed memory reused as a pointer (Windows reports such faults as address ffffffff`ffffffff).",
                self.addr(t)
            ),
            vec![format!("target {}", self.addr(t))],
        )
    }

    fn wild_pointer(&self, t: u64) -> Words {
        self.words(
            format!("The address {} looks like fill data, not a pointer", self.addr(t)),
            format!(
                "The target {} is made of a repeated byte pattern (e.g. 0x41 'A', 0xfeee, 0xbaadf00d): the pointer was read from memory that had been overwritten with data or freed and filled.",
                self.addr(t)
            ),
            vec![format!("target {}", self.addr(t))],
        )
    }

    fn freed_memory(&self, t: u64) -> Words {
        let r = self.a.target_region.as_ref();
        let base = r.and_then(|r| r.base).unwrap_or(0);
        let end = base.saturating_add(r.and_then(|r| r.size).unwrap_or(0));
        self.words(
            format!(
                "{} freed memory at {}",
                cap(self.access_word().unwrap_or("accessing")),
                self.addr(t)
            ),
            format!(
                "The target {} lies in a {} region ({} - {}): that memory had been released when the code used it — a use-after-free of memory or of a whole heap/allocation.",
                self.addr(t),
                r.and_then(|r| r.state.as_deref()).unwrap_or("?"),
                self.addr(base),
                self.addr(end)
            ),
            r.iter().map(|r| region_evidence(r, self.ptr)).collect(),
        )
    }

    fn guard_page(&self, t: u64) -> Words {
        let on_stack = self
            .a
            .target_region
            .as_ref()
            .is_some_and(|r| r.usage == "Stack");
        self.words(
            format!("Guard page hit at {}", self.addr(t)),
            format!(
                "The access at {} touched a PAGE_GUARD page{}.",
                self.addr(t),
                if on_stack {
                    " at the end of a thread's stack: the stack was about to overflow"
                } else {
                    ""
                }
            ),
            self.a
                .target_region
                .iter()
                .map(|r| region_evidence(r, self.ptr))
                .collect(),
        )
    }

    fn nx(&self, t: u64) -> Words {
        self.words(
            format!("Execution of non-executable memory at {}", self.addr(t)),
            format!(
                "The processor was told to execute code at {}, which is not executable memory (DEP): a corrupted function pointer, vtable or return address, or a call into freed memory.",
                self.addr(t)
            ),
            self.a.ip_region.iter().map(|r| region_evidence(r, self.ptr)).collect(),
        )
    }

    fn frame_line(&self, index: usize) -> String {
        let display = self
            .a
            .frames
            .get(index)
            .map(|f| f.display.as_str())
            .unwrap_or("?");
        format!("heap routine on the stack: frame {index} {display}")
    }

    fn destroyed_heap(&self, d: &Detail) -> Words {
        let Detail::DestroyedHeap {
            heap_frame,
            handle,
            handle_region,
            handle_listed,
            target_freed,
        } = d
        else {
            return self.simple(FindingKind::DestroyedHeap);
        };
        let mut ev = vec![self.frame_line(*heap_frame)];
        if let Some(h) = handle {
            ev.push(format!("heap handle: {}", self.addr(*h)));
            if let Some(r) = handle_region {
                ev.push(format!(
                    "heap handle region: {} {} ({} - {})",
                    state_name(r.state),
                    protect_name(r.protect),
                    self.addr(r.base),
                    self.addr(r.end)
                ));
            }
        }
        ev.push(match &self.a.process.heaps {
            Some(hs) => format!(
                "process heaps (PEB): {} — {}",
                hs.iter()
                    .map(|h| self.addr(*h))
                    .collect::<Vec<_>>()
                    .join(" "),
                match handle_listed {
                    Some(true) => "the handle is among them",
                    Some(false) => "the handle is NOT among them",
                    None => "handle unknown",
                }
            ),
            None => "process heap list: not in the dump".into(),
        });
        let caller = self
            .a
            .blame
            .as_ref()
            .map(|b| b.module.clone())
            .unwrap_or_else(|| "the caller".into());
        let routine = self
            .a
            .frames
            .get(*heap_frame)
            .map(|f| f.display.as_str())
            .unwrap_or("?");
        let freed = if *target_freed {
            format!(
                ", whose memory at {} is {}",
                self.addr(self.e.target.unwrap_or(0)),
                self.a
                    .target_region
                    .as_ref()
                    .and_then(|r| r.state.clone())
                    .unwrap_or_default()
            )
        } else {
            String::new()
        };
        let unlisted = match handle_listed {
            Some(false) => ", and which is not among the process heaps listed in the PEB",
            _ => "",
        };
        let description = format!(
            "The heap manager ({routine}) faulted on heap {}{freed}{unlisted}. A heap handle that points into released memory and is not one of the process's heaps means the heap had been destroyed (HeapDestroy) and its handle was used afterwards — {} allocated from a dead heap.",
            handle.map(|h| self.addr(h)).unwrap_or_else(|| "(handle unknown)".into()),
            self.who
        );
        self.words(
            format!("{caller} used a heap that had already been destroyed"),
            description,
            ev,
        )
    }

    fn heap_corruption(&self, heap_frame: Option<usize>) -> Words {
        let routine = heap_frame.and_then(|i| self.a.frames.get(i));
        let cause = match (self.e.code, routine) {
            (win::HEAP_CORRUPTION, _) => "The heap manager detected corrupted heap metadata (STATUS_HEAP_CORRUPTION 0xc0000374).".to_string(),
            (_, Some(f)) => format!("The heap manager faulted inside {} on a corrupted pointer: heap metadata had been overwritten (buffer overrun, double free or use after free).", f.display),
            _ => "The heap manager reported corrupted metadata.".to_string(),
        };
        Words {
            title: "Heap corruption".into(),
            description: format!(
                "{cause} The code that corrupted the heap ran earlier and is usually not on this stack; the last non-system caller was {}.",
                self.who
            ),
            recommendation: format!(
                "Enable full page heap for the process (gflags /p /enable {} /full, or DebugDiag's PageHeap flags) and collect a new dump: it stops at the corrupting write. {}",
                self.a.process.name.as_deref().unwrap_or("<image>.exe"),
                self.rec
            ),
            evidence: heap_frame.map(|i| vec![self.frame_line(i)]).unwrap_or_default(),
        }
    }

    fn fail_fast(&self) -> Words {
        let name = self.e.fast_fail.as_deref().unwrap_or("unknown code");
        self.words(
            format!("Fail-fast: {name}"),
            format!(
                "The process terminated itself with __fastfail ({}, code 0x{:08x}) in {}: the code detected a condition it deemed unrecoverable (a corrupted stack cookie, list entry, heap metadata or an explicit fatal exit) and stopped without running handlers.",
                name, self.e.code, self.at
            ),
            self.base.clone(),
        )
    }

    fn cpp_exception(&self, thrower: Option<usize>) -> Words {
        let ty = self.e.cpp_type.as_ref();
        let runtime = if self.e.code == win::GCC_EXCEPTION {
            "GCC/mingw, code 0x20474343"
        } else {
            "Visual C++, code 0xe06d7363"
        };
        let thrower = thrower
            .and_then(|i| self.a.frames.get(i))
            .map(|f| f.display.clone())
            .unwrap_or_else(|| self.at.clone());
        self.words(
            format!(
                "Unhandled C++ exception{}",
                ty.map(|t| format!(" of type {t}")).unwrap_or_default()
            ),
            format!(
                "A C++ exception ({runtime}) was thrown and not caught{}; the runtime terminated the process. The thrower is at {thrower}.",
                ty.map(|t| format!(" (thrown type: {t})"))
                    .unwrap_or_else(|| " (thrown type: unknown, not in the dump)".into()),
            ),
            self.base.clone(),
        )
    }

    fn clr_exception(&self) -> Words {
        Words {
            title: "Unhandled .NET (CLR) exception".into(),
            description: format!(
                "A managed exception (code 0x{:08x}) went unhandled. The managed type and message live in the managed heap; open the dump with SOS (!pe) to read them.",
                self.e.code
            ),
            recommendation: "Find the managed exception with SOS (!pe, !clrstack) and fix the code that throws it; in ASP.NET, check the Application event log for .NET Runtime 1026 / ASP.NET 1309 entries of the same time.".into(),
            evidence: self.base.clone(),
        }
    }

    fn dump_requested(&self) -> Words {
        Words {
            title: "Dump requested, not a crash".into(),
            description: "Breakpad records a dump written on request (not at a crash) with the pseudo-exception DUMP_REQUESTED; the context is the requesting thread's.".into(),
            recommendation: "Look at the threads for what the process was doing when the dump was requested.".into(),
            evidence: self.base.clone(),
        }
    }

    /// Exceptions phrased from the record alone: divide by zero, illegal instruction,
    /// breakpoint, and codes without a rule of their own.
    fn simple(&self, kind: FindingKind) -> Words {
        let (e, at) = (self.e, &self.at);
        let (title, description) = match (kind, e.is_signal) {
            (FindingKind::DivideByZero, false) => ("Integer divide by zero".into(), format!("The instruction at {at} divided by zero.")),
            (FindingKind::DivideByZero, true) => ("Arithmetic fault (SIGFPE)".into(), format!("SIGFPE at {at}: typically an integer division by zero.")),
            (FindingKind::IllegalInstruction, false) => (
                format!("{} instruction", if e.code == win::PRIV_INSTRUCTION { "Privileged" } else { "Illegal" }),
                format!("The processor could not execute the instruction at {at}: either deliberate (ud2, an assertion or abort) or execution went astray into data."),
            ),
            (FindingKind::IllegalInstruction, true) => ("Illegal instruction (SIGILL)".into(), format!("SIGILL at {at}: an illegal or trapping instruction (ud2, __builtin_trap, abort path).")),
            (FindingKind::Breakpoint, false) => ("Breakpoint".into(), format!("A breakpoint exception was raised at {at}: an int 3 / DebugBreak, often an assertion, or a dump taken by a debugger attaching.")),
            (FindingKind::Breakpoint, true) => ("Trap (SIGTRAP)".into(), format!("SIGTRAP at {at}.")),
            (_, false) => (
                format!("Exception 0x{:08x} ({})", e.code, e.name),
                format!("The process raised exception 0x{:08x} ({}) at {at}, which coroner has no specific rule for.", e.code, e.name),
            ),
            (_, true) => (
                e.name.trim().to_string(),
                format!("The process stopped with {} (code 0x{:x}) at {at}.", e.name, e.code),
            ),
        };
        self.words(title, description, self.base.clone())
    }

    fn stack_overflow(&self, by_code: bool, cycle: Option<&Cycle>) -> Words {
        let how = if by_code {
            "exception 0xc00000fd"
        } else {
            "a fault on the stack guard page"
        };
        let repeats = match cycle {
            Some(c) => format!(
                " The stack repeats the cycle {} (repeats {}+ times): unbounded recursion.",
                c.frames.join(" → "),
                c.repeats
            ),
            None => " No repeating cycle was found in the walked frames: a few very large stack frames (big local arrays) may have used it up.".into(),
        };
        self.words(
            "Stack overflow".into(),
            format!("The thread's stack was exhausted ({how}).{repeats}"),
            self.base.clone(),
        )
    }

    fn nested_exception(&self) -> Words {
        let levels = self.a.nesting_levels;
        Words {
            title: format!("Nested exceptions: {levels} level(s) of exception dispatch in the faulting stack"),
            description: format!(
                "The faulting stack contains {levels} exception-dispatch frame(s) (KiUserExceptionDispatcher): the fault happened while an earlier exception was being handled, i.e. an exception handler{} re-entered the failing code and faulted again.",
                self.a.blame.as_ref().map(|b| format!(" in {}", b.module)).unwrap_or_default()
            ),
            recommendation: "Treat the innermost fault as the symptom and the handler that re-enters the failing operation as a defect of its own: the handler must not repeat the failing call.".into(),
            evidence: self
                .a
                .frames
                .iter()
                .filter(|f| f.dispatcher)
                .map(|f| format!("frame {} {}", f.index, f.display))
                .collect(),
        }
    }

    fn unloaded_module(&self, d: &Detail) -> Words {
        let Detail::UnloadedModule {
            ip,
            module,
            base,
            size,
            caller,
        } = d
        else {
            return self.simple(FindingKind::UnloadedModule);
        };
        let caller = caller
            .and_then(|i| self.a.frames.get(i))
            .map(|f| format!(" The caller was {}.", f.display))
            .unwrap_or_default();
        Words {
            title: format!("Call into unloaded module {module}"),
            description: format!(
                "The instruction pointer {} lies in the range where {module} was loaded ({} - {}) before it was unloaded: code called a function of {module} after FreeLibrary.{caller}",
                self.addr(*ip),
                self.addr(*base),
                self.addr(base.wrapping_add(*size))
            ),
            recommendation: format!("Contact the vendor of {module} and of the module that kept a pointer into it; a component must not be unloaded while callbacks into it are registered."),
            evidence: vec![format!(
                "unloaded module {module} was at {} size 0x{size:x}",
                self.addr(*base)
            )],
        }
    }
}

fn no_exception() -> Words {
    Words {
        title: "The dump was taken without an exception".into(),
        description: "This dump records no exception: it was written on demand (a hang dump, Task Manager, ProcDump without -e) rather than at a crash. Look at the threads for what the process was doing.".into(),
        recommendation: "If the process hangs, compare several such dumps taken a few seconds apart; if it crashed, collect a dump at the exception (ProcDump -e, DebugDiag crash rule, WER LocalDumps).".into(),
        evidence: vec![],
    }
}

fn recursion(c: &Cycle) -> Words {
    let chain = c.frames.join(" → ");
    Words {
        title: format!("Recursion: {chain}"),
        description: format!(
            "The stack repeats the frame cycle {chain} at least {} times.",
            c.repeats
        ),
        recommendation: "Check the recursion's termination condition and its depth for the input that was being processed.".into(),
        evidence: vec![format!(
            "cycle of {} frame(s) repeated {} times",
            c.frames.len(),
            c.repeats
        )],
    }
}

/// A damaged dump: the streams lost, the bytes present against those its directory needs, and
/// whether the cause can still be told (not when the exception stream is lost).
fn damaged(a: &Analysis) -> Words {
    let Some(d) = a.damage.as_ref() else {
        return no_exception();
    };
    let (lost, partial) = (
        stream_names(&d.streams_lost),
        stream_names(&d.streams_partial),
    );
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
    Words {
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
    }
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

/// What to do, given who is blamed.
pub fn recommendation_for(b: Option<&Blame>) -> String {
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

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
