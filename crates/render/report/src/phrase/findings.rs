//! A finding's words: title, description, recommendation and evidence lines, from its kind, its
//! detail and the analysis it belongs to.

use super::summary::stream_names;
use super::Lang;
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

/// The words of finding `f` of analysis `a`, in `lang`.
/// A finding's level as a report shows it (`error`, `warning`, `info`; the JSON keeps the id).
pub fn severity(s: coroner_analysis::Severity, l: Lang) -> &'static str {
    use coroner_analysis::Severity::*;
    match s {
        Error => l.pick("error", "오류"),
        Warning => l.pick("warning", "경고"),
        Info => l.pick("info", "정보"),
    }
}

pub fn finding(a: &Analysis, f: &Finding, lang: Lang) -> Words {
    if let Detail::Hang(d) = &f.detail {
        return super::hang::finding(a, f.kind, d, lang);
    }
    // --- memory (issue 15): also without an exception (a dump of a leaking process) ---
    if let Some(w) = super::memory::words(a, f, lang) {
        return w;
    }
    // --- end memory ---
    // Corrupt heap headers are seen with or without an exception.
    if let Detail::HeapHeaders { headers } = &f.detail {
        return corrupt_headers(a, headers, lang);
    }
    let Some(e) = &a.exception else {
        return match f.kind {
            FindingKind::DamagedDump => damaged(a, lang),
            _ => no_exception(lang),
        };
    };
    let s = Scene::new(a, e, lang);
    match (f.kind, &f.detail) {
        (FindingKind::DamagedDump, _) => damaged(a, lang),
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
        (FindingKind::Recursion, Detail::Recursion { cycle }) => recursion(cycle, lang),
        (FindingKind::NestedException, _) => s.nested_exception(),
        (FindingKind::UnloadedModule, d) => s.unloaded_module(d),
        (FindingKind::NoException, _) => no_exception(lang),
        (kind, _) => s.simple(kind),
    }
}

/// Heap corruption seen in the heaps' own headers (`!heap -s`), not in a heap call.
fn corrupt_headers(a: &Analysis, headers: &[String], l: Lang) -> Words {
    let image = a.process.name.as_deref().unwrap_or("<image>.exe");
    Words {
        title: l
            .pick(
                "Heap corruption (corrupt heap headers)",
                "힙 손상(손상된 힙 헤더)",
            )
            .into(),
        description: l.pick(
            format!(
                "Walking the process heaps found {} that no intact heap holds. Overwritten heap metadata makes later heap calls fail or fault far from the code that wrote over it, so the stack of this dump rarely shows who did it.",
                if headers.len() == 1 { "a header" } else { "headers" }
            ),
            format!(
                "프로세스 힙을 검사한 결과 정상적인 힙에는 있을 수 없는 헤더 {}개를 찾았습니다. 힙 메타데이터를 덮어쓰면 나중의 힙 호출이 덮어쓴 코드와 멀리 떨어진 곳에서 실패하거나 오류를 일으키므로, 이 덤프의 호출 스택에는 원인이 된 코드가 거의 나타나지 않습니다.",
                headers.len()
            ),
        ),
        recommendation: l.pick(
            format!(
                "Enable full page heap for the process (gflags /p /enable {image} /full, or DebugDiag's PageHeap flags) and collect a new dump: it stops at the corrupting write."
            ),
            format!(
                "프로세스에 전체 페이지 힙을 켜고(gflags /p /enable {image} /full 또는 DebugDiag의 PageHeap 플래그) 덤프를 다시 수집하십시오. 힙을 손상시키는 쓰기 시점에서 멈춥니다."
            ),
        ),
        evidence: headers.to_vec(),
    }
}

/// The title of the first (verdict) finding, if any.
pub fn verdict(a: &Analysis, lang: Lang) -> Option<String> {
    a.findings.first().map(|f| finding(a, f, lang).title)
}

/// What the reader of a finding about analysis `a` needs again and again.
struct Scene<'a> {
    a: &'a Analysis,
    e: &'a ExceptionFacts,
    l: Lang,
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
    fn new(a: &'a Analysis, e: &'a ExceptionFacts, l: Lang) -> Self {
        let ptr = a.ptr_size();
        let at = a
            .instruction_symbol
            .clone()
            .unwrap_or_else(|| fmt_addr(e.address, ptr));
        let thread = match e.thread_index {
            Some(i) => l.pick(
                format!("thread {i} (id 0x{:x})", e.thread_id),
                format!("스레드 {i}(ID 0x{:x})", e.thread_id),
            ),
            None => l.pick(
                format!("thread id 0x{:x}", e.thread_id),
                format!("스레드 ID 0x{:x}", e.thread_id),
            ),
        };
        let addr = fmt_addr(e.address, ptr);
        let mut base = vec![
            l.pick(
                format!("exception {} (0x{:08x}) at {addr} in {at}", e.name, e.code),
                format!("예외 {} (0x{:08x}), 주소 {addr}, 위치 {at}", e.name, e.code),
            ),
            l.pick(
                format!("faulting thread: {thread}"),
                format!("오류 스레드: {thread}"),
            ),
        ];
        if let Some(d) = &a.instruction {
            base.push(format!(
                "{} {} {}",
                l.pick("instruction:", "명령:"),
                fmt_addr(d.address, ptr),
                d.text
            ));
        }
        let b = a.blame.as_ref();
        Scene {
            a,
            e,
            l,
            ptr,
            at,
            thread,
            who: b.map(|b| vendor_line(b, l)).unwrap_or_else(|| {
                l.pick("an operating-system module", "운영 체제 모듈")
                    .into()
            }),
            rec: recommendation_for(b, l),
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
        self.e.access.map(|x| access_word(x, self.l))
    }

    fn access_verb(&self) -> &'static str {
        match (self.e.access, self.l) {
            (Some(x), Lang::En) => x.as_str(),
            (None, Lang::En) => "access",
            (Some(x), Lang::Ko) => access_word(x, Lang::Ko),
            (None, Lang::Ko) => "액세스",
        }
    }

    /// The process's name, or "the process".
    fn process(&self) -> &str {
        self.a
            .process
            .name
            .as_deref()
            .unwrap_or(self.l.pick("the process", "프로세스"))
    }

    fn access_violation(&self) -> Words {
        let target = self.e.target;
        let (l, at, thread) = (self.l, &self.at, &self.thread);
        let mut ev = self.base.clone();
        if let Some(t) = target {
            let (verb, t) = (self.access_verb(), self.addr(t));
            ev.push(l.pick(
                format!("attempt to {verb} address {t}"),
                format!("주소 {t}에 대한 {verb} 시도"),
            ));
        }
        if let Some(r) = &self.a.target_region {
            ev.push(region_evidence(r, self.ptr, l));
        }
        let word = self.access_word().unwrap_or(l.pick("accessing", "액세스"));
        let title = match target.map(|t| self.addr(t)) {
            Some(t) => l.pick(
                format!("Access violation {word} {t} at {at}"),
                format!("{at}에서 {t} {word} 중 액세스 위반"),
            ),
            None => l.pick(
                format!("Access violation at {at}"),
                format!("{at}에서 액세스 위반"),
            ),
        };
        let process = self.process();
        let module = self
            .a
            .faulting_module
            .as_deref()
            .unwrap_or(l.pick("unknown code", "알 수 없는 코드"));
        let verb = self.access_verb();
        let trying = match self.e.access {
            Some(Access::Read) => "읽으려다",
            Some(Access::Write) => "쓰려다",
            Some(Access::Execute) => "실행하려다",
            None => "액세스하려다",
        };
        let description = match target.map(|t| self.addr(t)) {
            Some(t) => l.pick(
                format!("In {process} the instruction at {at} in {module} caused an access violation when trying to {verb} memory at {t} on {thread}."),
                format!("{process}의 {thread}에서 {module}의 {at} 명령이 {t} 메모리를 {trying} 액세스 위반을 일으켰습니다."),
            ),
            None => l.pick(
                format!("In {process} the instruction at {at} in {module} caused an access violation on {thread}."),
                format!("{process}의 {thread}에서 {module}의 {at} 명령이 액세스 위반을 일으켰습니다."),
            ),
        };
        self.words(title, description, ev)
    }

    fn null_pointer(&self, t: u64) -> Words {
        let (l, a, rec) = (self.l, self.addr(t), &self.rec);
        let description = match t {
            0 => l.pick(
                format!("The target address {a} lies in the first 64 KiB, which is never mapped: the code used a NULL pointer."),
                crate::phrase::particles(&format!("대상 주소 {a}은(는) 절대 매핑되지 않는 처음 64KiB 안에 있습니다. 코드가 NULL 포인터를 사용했습니다.")),
            ),
            _ => l.pick(
                format!("The target address {a} lies in the first 64 KiB, which is never mapped: the code used a NULL pointer plus an offset of 0x{t:x} (a field of a NULL object)."),
                crate::phrase::particles(&format!("대상 주소 {a}은(는) 절대 매핑되지 않는 처음 64KiB 안에 있습니다. 코드가 NULL 포인터에 오프셋 0x{t:x}을(를) 더해 사용했습니다(NULL 개체의 필드).")),
            ),
        };
        Words {
            title: l.pick(
                format!("Null pointer dereference (address {a})"),
                format!("NULL 포인터 역참조(주소 {a})"),
            ),
            description,
            recommendation: l.pick(
                format!("{rec} The fix is a missing NULL check or an object that was never created."),
                format!("{rec} 누락된 NULL 검사를 추가하거나 만들어지지 않은 개체를 찾아 수정해야 합니다."),
            ),
            evidence: vec![l.pick(
                format!("target {a} < 0x10000"),
                format!("대상 {a} < 0x10000"),
            )],
        }
    }

    fn non_canonical(&self, t: u64) -> Words {
        let (l, a) = (self.l, self.addr(t));
        self.words(
            l.pick("Access to a non-canonical address", "정식(canonical) 형식이 아닌 주소에 대한 액세스").into(),
            l.pick(
                format!("The address {a} is not canonical on x64 (bits 48-63 must copy bit 47): the pointer is garbage, typically uninitialised, overwritten or freed memory reused as a pointer (Windows reports such faults as address ffffffff`ffffffff)."),
                crate::phrase::particles(&format!("주소 {a}은(는) x64의 정식 주소가 아닙니다(비트 48-63은 비트 47과 같아야 함). 포인터 값이 쓰레기 값이며, 대개 초기화되지 않았거나 덮어쓰였거나 해제된 메모리를 포인터로 다시 사용한 경우입니다(Windows는 이런 오류를 주소 ffffffff`ffffffff로 보고합니다).")),
            ),
            vec![l.pick(format!("target {a}"), format!("대상 {a}"))],
        )
    }

    fn wild_pointer(&self, t: u64) -> Words {
        let (l, a) = (self.l, self.addr(t));
        self.words(
            l.pick(
                format!("The address {a} looks like fill data, not a pointer"),
                crate::phrase::particles(&format!("주소 {a}은(는) 포인터가 아니라 채움 데이터로 보입니다")),
            ),
            l.pick(
                format!("The target {a} is made of a repeated byte pattern (e.g. 0x41 'A', 0xfeee, 0xbaadf00d): the pointer was read from memory that had been overwritten with data or freed and filled."),
                crate::phrase::particles(&format!("대상 {a}은(는) 반복되는 바이트 패턴(예: 0x41 'A', 0xfeee, 0xbaadf00d)으로 이루어져 있습니다. 데이터로 덮어쓰였거나 해제된 뒤 채워진 메모리에서 포인터를 읽었습니다.")),
            ),
            vec![l.pick(format!("target {a}"), format!("대상 {a}"))],
        )
    }

    fn freed_memory(&self, t: u64) -> Words {
        let r = self.a.target_region.as_ref();
        let base = r.and_then(|r| r.base).unwrap_or(0);
        let end = base.saturating_add(r.and_then(|r| r.size).unwrap_or(0));
        let (l, a) = (self.l, self.addr(t));
        let (state, base, end) = (
            r.and_then(|r| r.state.as_deref()).unwrap_or("?"),
            self.addr(base),
            self.addr(end),
        );
        let word = self.access_word().unwrap_or(l.pick("accessing", "액세스"));
        self.words(
            l.pick(
                format!("{} freed memory at {a}", cap(word)),
                format!("{a}의 해제된 메모리 {word}"),
            ),
            l.pick(
                format!("The target {a} lies in a {state} region ({base} - {end}): that memory had been released when the code used it — a use-after-free of memory or of a whole heap/allocation."),
                crate::phrase::particles(&format!("대상 {a}은(는) {state} 영역({base} - {end})에 있습니다. 코드가 사용할 때 이미 해제된 메모리였으며, 메모리 또는 힙/할당 전체를 해제 후 사용(use-after-free)한 것입니다.")),
            ),
            r.iter().map(|r| region_evidence(r, self.ptr, l)).collect(),
        )
    }

    fn guard_page(&self, t: u64) -> Words {
        let on_stack = self
            .a
            .target_region
            .as_ref()
            .is_some_and(|r| r.usage == "Stack");
        let (l, a) = (self.l, self.addr(t));
        let description = match on_stack {
            true => l.pick(
                format!("The access at {a} touched a PAGE_GUARD page at the end of a thread's stack: the stack was about to overflow."),
                format!("{a}에 대한 액세스가 스레드 스택 끝의 PAGE_GUARD 페이지에 닿았습니다. 스택이 오버플로되기 직전이었습니다."),
            ),
            false => l.pick(
                format!("The access at {a} touched a PAGE_GUARD page."),
                format!("{a}에 대한 액세스가 PAGE_GUARD 페이지에 닿았습니다."),
            ),
        };
        self.words(
            l.pick(
                format!("Guard page hit at {a}"),
                format!("{a}에서 보호 페이지 접근"),
            ),
            description,
            self.a
                .target_region
                .iter()
                .map(|r| region_evidence(r, self.ptr, l))
                .collect(),
        )
    }

    fn nx(&self, t: u64) -> Words {
        let (l, a) = (self.l, self.addr(t));
        self.words(
            l.pick(
                format!("Execution of non-executable memory at {a}"),
                format!("{a}의 실행할 수 없는 메모리 실행"),
            ),
            l.pick(
                format!("The processor was told to execute code at {a}, which is not executable memory (DEP): a corrupted function pointer, vtable or return address, or a call into freed memory."),
                format!("프로세서가 실행 가능한 메모리가 아닌 {a}의 코드를 실행하려 했습니다(DEP). 손상된 함수 포인터, vtable 또는 반환 주소이거나 해제된 메모리로의 호출입니다."),
            ),
            self.a.ip_region.iter().map(|r| region_evidence(r, self.ptr, l)).collect(),
        )
    }

    fn frame_line(&self, index: usize) -> String {
        let display = self
            .a
            .frames
            .get(index)
            .map(|f| f.display.as_str())
            .unwrap_or("?");
        self.l.pick(
            format!("heap routine on the stack: frame {index} {display}"),
            format!("스택의 힙 루틴: 프레임 {index} {display}"),
        )
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
        let l = self.l;
        let mut ev = vec![self.frame_line(*heap_frame)];
        if let Some(h) = handle {
            ev.push(format!(
                "{} {}",
                l.pick("heap handle:", "힙 핸들:"),
                self.addr(*h)
            ));
            if let Some(r) = handle_region {
                ev.push(format!(
                    "{} {} {} ({} - {})",
                    l.pick("heap handle region:", "힙 핸들 영역:"),
                    state_name(r.state),
                    protect_name(r.protect),
                    self.addr(r.base),
                    self.addr(r.end)
                ));
            }
        }
        ev.push(match &self.a.process.heaps {
            Some(hs) => format!(
                "{} {} — {}",
                l.pick("process heaps (PEB):", "프로세스 힙(PEB):"),
                hs.iter()
                    .map(|h| self.addr(*h))
                    .collect::<Vec<_>>()
                    .join(" "),
                match handle_listed {
                    Some(true) => l.pick("the handle is among them", "핸들이 목록에 있습니다"),
                    Some(false) => l.pick("the handle is NOT among them", "핸들이 목록에 없습니다"),
                    None => l.pick("handle unknown", "핸들을 알 수 없습니다"),
                }
            ),
            None => l
                .pick(
                    "process heap list: not in the dump",
                    "프로세스 힙 목록: 덤프에 없음",
                )
                .into(),
        });
        let caller = self
            .a
            .blame
            .as_ref()
            .map(|b| b.module.clone())
            .unwrap_or_else(|| l.pick("the caller", "호출자").into());
        let routine = self
            .a
            .frames
            .get(*heap_frame)
            .map(|f| f.display.as_str())
            .unwrap_or("?");
        let target = self.addr(self.e.target.unwrap_or(0));
        let state = self
            .a
            .target_region
            .as_ref()
            .and_then(|r| r.state.clone())
            .unwrap_or_default();
        let freed = match (*target_freed, l) {
            (false, _) => String::new(),
            (true, Lang::En) => format!(", whose memory at {target} is {state}"),
            (true, Lang::Ko) => format!("(메모리 {target}의 상태: {state})"),
        };
        let unlisted = match (handle_listed, l) {
            (Some(false), Lang::En) => {
                ", and which is not among the process heaps listed in the PEB"
            }
            (Some(false), Lang::Ko) => "(PEB에 나열된 프로세스 힙에 없음)",
            _ => "",
        };
        let heap = handle
            .map(|h| self.addr(h))
            .unwrap_or_else(|| l.pick("(handle unknown)", "(핸들 알 수 없음)").into());
        let who = &self.who;
        let description = l.pick(
            format!("The heap manager ({routine}) faulted on heap {heap}{freed}{unlisted}. A heap handle that points into released memory and is not one of the process's heaps means the heap had been destroyed (HeapDestroy) and its handle was used afterwards — {who} allocated from a dead heap."),
            crate::phrase::particles(&format!("힙 관리자({routine})가 힙 {heap}{freed}{unlisted}에서 오류를 일으켰습니다. 힙 핸들이 해제된 메모리를 가리키고 프로세스의 힙 목록에도 없다면 힙이 이미 제거(HeapDestroy)된 뒤 그 핸들이 사용된 것입니다. {who}이(가) 제거된 힙에서 할당했습니다.")),
        );
        self.words(
            l.pick(
                format!("{caller} used a heap that had already been destroyed"),
                crate::phrase::particles(&format!("{caller}이(가) 이미 제거된 힙을 사용했습니다")),
            ),
            description,
            ev,
        )
    }

    fn heap_corruption(&self, heap_frame: Option<usize>) -> Words {
        let l = self.l;
        let routine = heap_frame.and_then(|i| self.a.frames.get(i));
        let cause = match (self.e.code, routine) {
            (win::HEAP_CORRUPTION, _) => l.pick("The heap manager detected corrupted heap metadata (STATUS_HEAP_CORRUPTION 0xc0000374).", "힙 관리자가 손상된 힙 메타데이터를 발견했습니다(STATUS_HEAP_CORRUPTION 0xc0000374).").to_string(),
            (_, Some(f)) => l.pick(
                format!("The heap manager faulted inside {} on a corrupted pointer: heap metadata had been overwritten (buffer overrun, double free or use after free).", f.display),
                format!("힙 관리자가 {} 안에서 손상된 포인터 때문에 오류를 일으켰습니다. 힙 메타데이터가 덮어쓰였습니다(버퍼 오버런, 이중 해제 또는 해제 후 사용).", f.display),
            ),
            _ => l.pick("The heap manager reported corrupted metadata.", "힙 관리자가 손상된 메타데이터를 보고했습니다.").to_string(),
        };
        let (who, rec) = (&self.who, &self.rec);
        let image = self.a.process.name.as_deref().unwrap_or("<image>.exe");
        Words {
            title: l.pick("Heap corruption", "힙 손상").into(),
            description: l.pick(
                format!("{cause} The code that corrupted the heap ran earlier and is usually not on this stack; the last non-system caller was {who}."),
                format!("{cause} 힙을 손상시킨 코드는 그보다 먼저 실행되었으므로 대개 이 스택에 없습니다. 마지막 비시스템 호출자는 {who}입니다."),
            ),
            recommendation: l.pick(
                format!("Enable full page heap for the process (gflags /p /enable {image} /full, or DebugDiag's PageHeap flags) and collect a new dump: it stops at the corrupting write. {rec}"),
                format!("프로세스에 전체 페이지 힙을 켜고(gflags /p /enable {image} /full 또는 DebugDiag의 PageHeap 플래그) 덤프를 새로 수집하십시오. 손상을 일으키는 쓰기 지점에서 멈춥니다. {rec}"),
            ),
            evidence: heap_frame.map(|i| vec![self.frame_line(i)]).unwrap_or_default(),
        }
    }

    fn fail_fast(&self) -> Words {
        let l = self.l;
        let name = self
            .e
            .fast_fail
            .as_deref()
            .unwrap_or(l.pick("unknown code", "알 수 없는 코드"));
        let (code, at) = (self.e.code, &self.at);
        self.words(
            l.pick(format!("Fail-fast: {name}"), format!("빠른 실패(fail-fast): {name}")),
            l.pick(
                format!("The process terminated itself with __fastfail ({name}, code 0x{code:08x}) in {at}: the code detected a condition it deemed unrecoverable (a corrupted stack cookie, list entry, heap metadata or an explicit fatal exit) and stopped without running handlers."),
                format!("프로세스가 {at}에서 __fastfail({name}, 코드 0x{code:08x})로 스스로 종료했습니다. 코드가 복구할 수 없다고 판단한 상태(손상된 스택 쿠키, 목록 항목, 힙 메타데이터 또는 명시적인 치명적 종료)를 발견하고 처리기를 실행하지 않은 채 중지했습니다."),
            ),
            self.base.clone(),
        )
    }

    fn cpp_exception(&self, thrower: Option<usize>) -> Words {
        let l = self.l;
        let ty = self.e.cpp_type.as_ref();
        let runtime = match (self.e.code == win::GCC_EXCEPTION, l) {
            (true, Lang::En) => "GCC/mingw, code 0x20474343",
            (true, Lang::Ko) => "GCC/mingw, 코드 0x20474343",
            (false, Lang::En) => "Visual C++, code 0xe06d7363",
            (false, Lang::Ko) => "Visual C++, 코드 0xe06d7363",
        };
        let thrower = thrower
            .and_then(|i| self.a.frames.get(i))
            .map(|f| f.display.clone())
            .unwrap_or_else(|| self.at.clone());
        let (title, description) = match ty {
            Some(t) => (
                l.pick(format!("Unhandled C++ exception of type {t}"), format!("처리되지 않은 C++ 예외(형식 {t})")),
                l.pick(
                    format!("A C++ exception ({runtime}) was thrown and not caught (thrown type: {t}); the runtime terminated the process. The thrower is at {thrower}."),
                    format!("C++ 예외({runtime})가 throw되었지만 catch되지 않았습니다(throw된 형식: {t}). 런타임이 프로세스를 종료했습니다. throw한 위치는 {thrower}입니다."),
                ),
            ),
            None => (
                l.pick("Unhandled C++ exception".to_string(), "처리되지 않은 C++ 예외".to_string()),
                l.pick(
                    format!("A C++ exception ({runtime}) was thrown and not caught (thrown type: unknown, not in the dump); the runtime terminated the process. The thrower is at {thrower}."),
                    format!("C++ 예외({runtime})가 throw되었지만 catch되지 않았습니다(throw된 형식: 덤프에 없어 알 수 없음). 런타임이 프로세스를 종료했습니다. throw한 위치는 {thrower}입니다."),
                ),
            ),
        };
        self.words(title, description, self.base.clone())
    }

    fn clr_exception(&self) -> Words {
        let (l, code) = (self.l, self.e.code);
        Words {
            title: l.pick("Unhandled .NET (CLR) exception", "처리되지 않은 .NET(CLR) 예외").into(),
            description: l.pick(
                format!("A managed exception (code 0x{code:08x}) went unhandled. The managed type and message live in the managed heap; open the dump with SOS (!pe) to read them."),
                format!("관리되는 예외(코드 0x{code:08x})가 처리되지 않았습니다. 관리되는 형식과 메시지는 관리되는 힙에 있으므로 SOS(!pe)로 덤프를 열어 확인하십시오."),
            ),
            recommendation: l.pick(
                "Find the managed exception with SOS (!pe, !clrstack) and fix the code that throws it; in ASP.NET, check the Application event log for .NET Runtime 1026 / ASP.NET 1309 entries of the same time.",
                "SOS(!pe, !clrstack)로 관리되는 예외를 찾아 예외를 throw하는 코드를 수정하십시오. ASP.NET이라면 같은 시각의 응용 프로그램 이벤트 로그에서 .NET Runtime 1026 / ASP.NET 1309 항목을 확인하십시오.",
            ).into(),
            evidence: self.base.clone(),
        }
    }

    fn dump_requested(&self) -> Words {
        let l = self.l;
        Words {
            title: l.pick("Dump requested, not a crash", "충돌이 아니라 요청으로 작성된 덤프").into(),
            description: l.pick(
                "Breakpad records a dump written on request (not at a crash) with the pseudo-exception DUMP_REQUESTED; the context is the requesting thread's.",
                "Breakpad는 (충돌 시점이 아니라) 요청에 따라 작성한 덤프를 의사 예외 DUMP_REQUESTED로 기록합니다. 컨텍스트는 요청한 스레드의 것입니다.",
            ).into(),
            recommendation: l.pick(
                "Look at the threads for what the process was doing when the dump was requested.",
                "덤프를 요청한 시점에 프로세스가 무엇을 하고 있었는지 스레드를 살펴보십시오.",
            ).into(),
            evidence: self.base.clone(),
        }
    }

    /// Exceptions phrased from the record alone: divide by zero, illegal instruction,
    /// breakpoint, and codes without a rule of their own.
    fn simple(&self, kind: FindingKind) -> Words {
        let (e, at, l) = (self.e, &self.at, self.l);
        let (code, name) = (e.code, &e.name);
        let privileged = e.code == win::PRIV_INSTRUCTION;
        let (title, description) = match (kind, e.is_signal) {
            (FindingKind::DivideByZero, false) => (
                l.pick("Integer divide by zero", "정수를 0으로 나누기").into(),
                l.pick(format!("The instruction at {at} divided by zero."), format!("{at}의 명령이 0으로 나누었습니다.")),
            ),
            (FindingKind::DivideByZero, true) => (
                l.pick("Arithmetic fault (SIGFPE)", "산술 오류(SIGFPE)").into(),
                l.pick(format!("SIGFPE at {at}: typically an integer division by zero."), format!("{at}에서 SIGFPE가 발생했습니다. 대개 정수를 0으로 나눈 경우입니다.")),
            ),
            (FindingKind::IllegalInstruction, false) => (
                match privileged {
                    true => l.pick("Privileged instruction", "특권 명령"),
                    false => l.pick("Illegal instruction", "잘못된 명령"),
                }
                .into(),
                l.pick(
                    format!("The processor could not execute the instruction at {at}: either deliberate (ud2, an assertion or abort) or execution went astray into data."),
                    format!("프로세서가 {at}의 명령을 실행할 수 없었습니다. 의도된 것(ud2, 어설션 또는 abort)이거나 실행 흐름이 데이터 영역으로 벗어났습니다."),
                ),
            ),
            (FindingKind::IllegalInstruction, true) => (
                l.pick("Illegal instruction (SIGILL)", "잘못된 명령(SIGILL)").into(),
                l.pick(
                    format!("SIGILL at {at}: an illegal or trapping instruction (ud2, __builtin_trap, abort path)."),
                    format!("{at}에서 SIGILL이 발생했습니다. 잘못된 명령 또는 트랩 명령입니다(ud2, __builtin_trap, abort 경로)."),
                ),
            ),
            (FindingKind::Breakpoint, false) => (
                l.pick("Breakpoint", "중단점").into(),
                l.pick(
                    format!("A breakpoint exception was raised at {at}: an int 3 / DebugBreak, often an assertion, or a dump taken by a debugger attaching."),
                    format!("{at}에서 중단점 예외가 발생했습니다. int 3 / DebugBreak이며, 대개 어설션이거나 디버거가 연결되면서 작성한 덤프입니다."),
                ),
            ),
            (FindingKind::Breakpoint, true) => (
                l.pick("Trap (SIGTRAP)", "트랩(SIGTRAP)").into(),
                l.pick(format!("SIGTRAP at {at}."), format!("{at}에서 SIGTRAP이 발생했습니다.")),
            ),
            (_, false) => (
                l.pick(format!("Exception 0x{code:08x} ({name})"), format!("예외 0x{code:08x}({name})")),
                l.pick(
                    format!("The process raised exception 0x{code:08x} ({name}) at {at}, which coroner has no specific rule for."),
                    format!("프로세스가 {at}에서 예외 0x{code:08x}({name})를 일으켰습니다. coroner에는 이 예외에 대한 별도 규칙이 없습니다."),
                ),
            ),
            (_, true) => (
                e.name.trim().to_string(),
                l.pick(
                    format!("The process stopped with {name} (code 0x{code:x}) at {at}."),
                    format!("프로세스가 {at}에서 {name}(코드 0x{code:x})로 중지되었습니다."),
                ),
            ),
        };
        self.words(title, description, self.base.clone())
    }

    fn stack_overflow(&self, by_code: bool, cycle: Option<&Cycle>) -> Words {
        let l = self.l;
        let how = match by_code {
            true => l.pick("exception 0xc00000fd", "예외 0xc00000fd"),
            false => l.pick("a fault on the stack guard page", "스택 보호 페이지 오류"),
        };
        let repeats = match cycle {
            Some(c) => {
                let (chain, n) = (c.frames.join(" → "), c.repeats);
                l.pick(
                    format!(" The stack repeats the cycle {chain} (repeats {n}+ times): unbounded recursion."),
                    format!(" 스택에서 {chain} 순환이 반복됩니다({n}회 이상). 끝없는 재귀입니다."),
                )
            }
            None => l.pick(
                " No repeating cycle was found in the walked frames: a few very large stack frames (big local arrays) may have used it up.",
                " 확인한 프레임에서 반복되는 순환을 찾지 못했습니다. 몇 개의 매우 큰 스택 프레임(큰 지역 배열)이 스택을 다 썼을 수 있습니다.",
            ).into(),
        };
        self.words(
            l.pick("Stack overflow", "스택 오버플로").into(),
            l.pick(
                format!("The thread's stack was exhausted ({how}).{repeats}"),
                format!("스레드의 스택이 소진되었습니다({how}).{repeats}"),
            ),
            self.base.clone(),
        )
    }

    fn nested_exception(&self) -> Words {
        let (l, levels) = (self.l, self.a.nesting_levels);
        let blamed = self.a.blame.as_ref().map(|b| b.module.as_str());
        let description = match blamed {
            Some(m) => l.pick(
                format!("The faulting stack contains {levels} exception-dispatch frame(s) (KiUserExceptionDispatcher): the fault happened while an earlier exception was being handled, i.e. an exception handler in {m} re-entered the failing code and faulted again."),
                format!("오류 스택에 예외 디스패치 프레임(KiUserExceptionDispatcher)이 {levels}개 있습니다. 이전 예외를 처리하는 도중 오류가 발생했습니다. 즉 {m}의 예외 처리기가 실패한 코드에 다시 들어가 또 오류를 일으켰습니다."),
            ),
            None => l.pick(
                format!("The faulting stack contains {levels} exception-dispatch frame(s) (KiUserExceptionDispatcher): the fault happened while an earlier exception was being handled, i.e. an exception handler re-entered the failing code and faulted again."),
                format!("오류 스택에 예외 디스패치 프레임(KiUserExceptionDispatcher)이 {levels}개 있습니다. 이전 예외를 처리하는 도중 오류가 발생했습니다. 즉 예외 처리기가 실패한 코드에 다시 들어가 또 오류를 일으켰습니다."),
            ),
        };
        Words {
            title: l.pick(
                format!("Nested exceptions: {levels} level(s) of exception dispatch in the faulting stack"),
                format!("중첩된 예외: 오류 스택에 예외 디스패치 {levels}단계"),
            ),
            description,
            recommendation: l.pick(
                "Treat the innermost fault as the symptom and the handler that re-enters the failing operation as a defect of its own: the handler must not repeat the failing call.",
                "가장 안쪽의 오류는 증상으로 보고, 실패한 작업에 다시 들어가는 처리기는 별도의 결함으로 다루십시오. 처리기는 실패한 호출을 반복하면 안 됩니다.",
            ).into(),
            evidence: self
                .a
                .frames
                .iter()
                .filter(|f| f.dispatcher)
                .map(|f| format!("{} {} {}", l.pick("frame", "프레임"), f.index, f.display))
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
        let l = self.l;
        let caller = caller
            .and_then(|i| self.a.frames.get(i))
            .map(|f| {
                l.pick(
                    format!(" The caller was {}.", f.display),
                    format!(" 호출자는 {}입니다.", f.display),
                )
            })
            .unwrap_or_default();
        let (ip, start, end) = (
            self.addr(*ip),
            self.addr(*base),
            self.addr(base.wrapping_add(*size)),
        );
        Words {
            title: l.pick(
                format!("Call into unloaded module {module}"),
                format!("언로드된 모듈 {module} 호출"),
            ),
            description: l.pick(
                format!("The instruction pointer {ip} lies in the range where {module} was loaded ({start} - {end}) before it was unloaded: code called a function of {module} after FreeLibrary.{caller}"),
                crate::phrase::particles(&format!("명령 포인터 {ip}은(는) {module}이(가) 언로드되기 전에 로드되어 있던 범위({start} - {end}) 안에 있습니다. 코드가 FreeLibrary 후에 {module}의 함수를 호출했습니다.{caller}")),
            ),
            recommendation: l.pick(
                format!("Contact the vendor of {module} and of the module that kept a pointer into it; a component must not be unloaded while callbacks into it are registered."),
                format!("{module}의 공급업체와 이 모듈을 가리키는 포인터를 보관한 모듈의 공급업체에 문의하십시오. 콜백이 등록되어 있는 동안에는 구성 요소를 언로드하면 안 됩니다."),
            ),
            evidence: vec![l.pick(
                format!("unloaded module {module} was at {start} size 0x{size:x}"),
                format!("언로드된 모듈 {module}: 주소 {start}, 크기 0x{size:x}"),
            )],
        }
    }
}

fn access_word(x: Access, l: Lang) -> &'static str {
    match x {
        Access::Read => l.pick("reading", "읽기"),
        Access::Write => l.pick("writing", "쓰기"),
        Access::Execute => l.pick("executing", "실행"),
    }
}

fn no_exception(l: Lang) -> Words {
    Words {
        title: l.pick("The dump was taken without an exception", "예외 없이 작성된 덤프").into(),
        description: l.pick(
            "This dump records no exception: it was written on demand (a hang dump, Task Manager, ProcDump without -e) rather than at a crash. Look at the threads for what the process was doing.",
            "이 덤프에는 예외가 기록되어 있지 않습니다. 충돌 시점이 아니라 필요에 따라(중단 덤프, 작업 관리자, -e 없는 ProcDump) 작성되었습니다. 프로세스가 무엇을 하고 있었는지 스레드를 살펴보십시오.",
        ).into(),
        recommendation: l.pick(
            "If the process hangs, compare several such dumps taken a few seconds apart; if it crashed, collect a dump at the exception (ProcDump -e, DebugDiag crash rule, WER LocalDumps).",
            "프로세스가 응답하지 않는다면 몇 초 간격으로 작성한 덤프 여러 개를 비교하십시오. 충돌했다면 예외 시점의 덤프를 수집하십시오(ProcDump -e, DebugDiag 충돌 규칙, WER LocalDumps).",
        ).into(),
        evidence: vec![],
    }
}

fn recursion(c: &Cycle, l: Lang) -> Words {
    let (chain, n, len) = (c.frames.join(" → "), c.repeats, c.frames.len());
    Words {
        title: l.pick(format!("Recursion: {chain}"), format!("재귀: {chain}")),
        description: l.pick(
            format!("The stack repeats the frame cycle {chain} at least {n} times."),
            crate::phrase::particles(&format!("스택에서 프레임 순환 {chain}이(가) {n}회 이상 반복됩니다.")),
        ),
        recommendation: l.pick(
            "Check the recursion's termination condition and its depth for the input that was being processed.",
            "처리 중이던 입력에 대해 재귀의 종료 조건과 깊이를 확인하십시오.",
        ).into(),
        evidence: vec![l.pick(
            format!("cycle of {len} frame(s) repeated {n} times"),
            format!("프레임 {len}개의 순환이 {n}회 반복됨"),
        )],
    }
}

/// A damaged dump: the streams lost, the bytes present against those its directory needs, and
/// whether the cause can still be told (not when the exception stream is lost).
fn damaged(a: &Analysis, l: Lang) -> Words {
    let Some(d) = a.damage.as_ref() else {
        return no_exception(l);
    };
    let (lost, partial) = (
        stream_names(&d.streams_lost),
        stream_names(&d.streams_partial),
    );
    let (lost_w, partial_w) = (
        l.pick("streams lost", "손실된 스트림"),
        l.pick("incomplete", "불완전"),
    );
    let what = match (lost.is_empty(), partial.is_empty()) {
        (false, true) => format!("{lost_w}: {lost}"),
        (false, false) => format!("{lost_w}: {lost}; {partial_w}: {partial}"),
        _ => format!("{partial_w}: {partial}"),
    };
    let (present, needed) = (d.bytes_present, d.bytes_needed);
    let size = if needed > present {
        let least = match (d.streams_lost.is_empty(), l) {
            (true, _) => "",
            (false, Lang::En) => "at least ",
            (false, Lang::Ko) => "최소 ",
        };
        l.pick(
            format!("The file holds {present} bytes; its stream directory needs {least}{needed}, so it was cut short (an interrupted copy or a full disk)."),
            format!("파일은 {present}바이트인데 스트림 디렉터리에는 {least}{needed}바이트가 필요하므로 잘린 파일입니다(중단된 복사 또는 디스크 공간 부족)."),
        )
    } else {
        l.pick(
            format!("The file holds all {present} bytes its directory names, but streams in it are unreadable or wiped."),
            format!("파일에는 디렉터리가 가리키는 {present}바이트가 모두 있지만 그 안의 스트림을 읽을 수 없거나 지워져 있습니다."),
        )
    };
    let (title, consequence) = if a.exception_lost() {
        (
            l.pick(format!("Damaged dump, cause unknown ({what})"), format!("손상된 덤프, 원인 알 수 없음({what})")),
            l.pick(
                "The exception stream is lost, so whether the process crashed, and why, cannot be told from this file (it may as well have been written at a crash as on request). The facts that survived are shown below.",
                "예외 스트림이 손실되어 프로세스가 충돌했는지, 왜 충돌했는지 이 파일로는 알 수 없습니다(충돌 시점에 작성되었을 수도, 요청으로 작성되었을 수도 있습니다). 남아 있는 사실은 아래에 표시합니다.",
            ),
        )
    } else {
        (
            l.pick(
                format!("Damaged dump ({what}): the findings below rest on what survived"),
                format!("손상된 덤프({what}): 아래 발견 사항은 남아 있는 부분에 근거합니다"),
            ),
            l.pick(
                "The exception record survived; facts that lived in the lost parts (threads, modules, memory) may be missing from the findings below.",
                "예외 레코드는 남아 있습니다. 손실된 부분(스레드, 모듈, 메모리)에 있던 사실은 아래 발견 사항에서 빠져 있을 수 있습니다.",
            ),
        )
    };
    Words {
        title,
        description: format!("{size} {consequence}"),
        recommendation: l.pick(
            "Get the dump again from where it was written and compare its size with the original (copy it whole; check free disk space where the dump is written), then analyse the complete file.",
            "덤프가 작성된 위치에서 다시 가져와 원본과 크기를 비교한 뒤(파일 전체를 복사하고, 덤프가 작성되는 위치의 디스크 여유 공간을 확인하십시오) 완전한 파일을 분석하십시오.",
        ).into(),
        evidence: d
            .losses()
            .map(|(s, lost)| super::stream_loss(s, lost, l))
            .chain(std::iter::once(l.pick(
                format!("file size {present} bytes; the directory needs {needed}"),
                format!("파일 크기 {present}바이트, 디렉터리에 필요한 크기 {needed}바이트"),
            )))
            .collect(),
    }
}

fn vendor_line(b: &Blame, l: Lang) -> String {
    let mut s = b.module.clone();
    if let Some(v) = &b.version {
        s.push_str(&format!(" {v}"));
    }
    match &b.vendor {
        Some(c) => l.pick(format!("{s} from {c}"), format!("{s}({c})")),
        None => s,
    }
}

/// What to do, given who is blamed.
pub fn recommendation_for(b: Option<&Blame>, l: Lang) -> String {
    match b {
        Some(b) if b.unloaded => {
            let m = &b.module;
            l.pick(
                format!("The code that called into {m} after it was unloaded is at fault: contact the vendor of the calling module, and of {m}, for a fix (look for a known issue about unloading)."),
                crate::phrase::particles(&format!("{m}이(가) 언로드된 뒤에 이를 호출한 코드에 문제가 있습니다. 호출한 모듈과 {m}의 공급업체에 수정을 문의하십시오(언로드 관련 알려진 문제를 찾아보십시오).")),
            )
        }
        Some(b) => {
            let m = &b.module;
            match &b.vendor {
                Some(c) => {
                    let v = b.version.as_deref().unwrap_or(l.pick("unknown", "알 수 없음"));
                    l.pick(
                        format!("Contact {c} about {m} (version {v}) or update the component to a fixed version; give them this report and the dump."),
                        format!("{m}(버전 {v})에 대해 {c}에 문의하거나 구성 요소를 수정된 버전으로 업데이트하십시오. 이 보고서와 덤프를 함께 전달하십시오."),
                    )
                }
                None => {
                    let why = if b.vendor_passed_over.iter().all(|p| p.value.is_none()) {
                        l.pick("its version resource names none", "버전 리소스에 공급업체 이름이 없음").to_string()
                    } else {
                        format!("{}: {}", l.pick("unknown", "알 수 없음"), super::provenance(b, l))
                    };
                    l.pick(
                        format!("Contact the vendor of {m} ({why}) or update the component; give them this report and the dump."),
                        format!("{m}의 공급업체({why})에 문의하거나 구성 요소를 업데이트하십시오. 이 보고서와 덤프를 함께 전달하십시오."),
                    )
                }
            }
        }
        None => l.pick(
            "The faulting code is part of the operating system or a runtime: look for the caller that passed it bad data, install current updates, and collect a full dump with symbols.",
            "오류가 발생한 코드는 운영 체제 또는 런타임의 일부입니다. 잘못된 데이터를 넘긴 호출자를 찾고, 최신 업데이트를 설치하고, 기호와 함께 전체 덤프를 수집하십시오.",
        ).into(),
    }
}

fn region_evidence(r: &AddressFacts, ptr: u8, l: Lang) -> String {
    let at = fmt_addr(r.address, ptr);
    match (r.base, r.size) {
        (Some(b), Some(s)) => {
            let detail = r
                .usage_detail
                .as_ref()
                .map(|d| format!(" ({})", super::usage_detail(d, ptr, l)))
                .unwrap_or_default();
            format!(
                "!address {at}: {} {} {} {s:x}, {} {} {}, {} {}{detail}",
                l.pick("region", "영역"),
                fmt_addr(b, ptr),
                l.pick("size", "크기"),
                r.state.as_deref().unwrap_or("?"),
                r.protect.as_deref().unwrap_or("?"),
                r.kind.as_deref().unwrap_or(""),
                l.pick("usage", "용도"),
                super::usage(&r.usage, l),
            )
        }
        _ => l.pick(
            format!("!address {at}: no region information in the dump"),
            format!("!address {at}: 덤프에 영역 정보가 없습니다"),
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
