//! The words of the memory findings (issue 15): `out_of_memory`, `memory_growth`,
//! `handle_leak`, from their typed facts (`coroner_analysis::memory_findings`).

use super::findings::{recommendation_for, Words};
use coroner_analysis::memory_findings::{HandleLeak, OomSource, Pressure, PressureCause};
use coroner_analysis::{fmt_addr, Analysis, Detail, Finding, FindingKind};

use super::Lang;

/// What to collect when a dump cannot show who allocated.
fn collect(l: Lang) -> &'static str {
    l.pick(
        "A dump does not record who allocated heap blocks unless user-mode stack traces were on: collect a series of dumps a few minutes apart with a DebugDiag memory-leak rule (LeakTrack), or enable stack traces with `gflags /i w3wp.exe +ust`, recycle, and dump again when memory is high.",
        "사용자 모드 스택 추적이 켜져 있지 않으면 덤프에는 힙 블록을 누가 할당했는지 기록되지 않습니다. DebugDiag 메모리 누수 규칙(LeakTrack)으로 몇 분 간격의 덤프를 여러 개 수집하거나, `gflags /i w3wp.exe +ust`로 스택 추적을 켜고 재생(recycle)한 뒤 메모리 사용량이 높을 때 다시 덤프하십시오.",
    )
}

/// The words of a memory finding, `None` for any other kind.
pub(super) fn words(a: &Analysis, f: &Finding, l: Lang) -> Option<Words> {
    match (f.kind, &f.detail) {
        (FindingKind::OutOfMemory, Detail::OutOfMemory { source, pressure }) => {
            Some(out_of_memory(a, *source, pressure, l))
        }
        (
            FindingKind::MemoryGrowth,
            Detail::MemoryGrowth {
                pressure,
                handles,
                peak_pagefile_usage,
                threshold,
            },
        ) => Some(growth(
            pressure,
            *handles,
            *peak_pagefile_usage,
            *threshold,
            l,
        )),
        (FindingKind::HandleLeak, Detail::HandleLeak(h)) => Some(handle_leak(h, l)),
        _ => None,
    }
}

/// Bytes as WinDbg's `!address -summary` prints sizes: `63.500 MB`, `1.250 GB`, `512.000 kB`.
pub fn bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let v = n as f64;
    if v >= K * K * K {
        format!("{:.3} GB", v / (K * K * K))
    } else if v >= K * K {
        format!("{:.3} MB", v / (K * K))
    } else {
        format!("{:.3} kB", v / K)
    }
}

fn out_of_memory(a: &Analysis, source: OomSource, p: &Pressure, l: Lang) -> Words {
    let how = match source {
        OomSource::StatusNoMemory => l
            .pick(
                "the exception is STATUS_NO_MEMORY (0xC0000017): an allocation failed",
                "예외가 STATUS_NO_MEMORY(0xC0000017)입니다. 할당이 실패했습니다",
            )
            .to_string(),
        OomSource::CppBadAlloc => l
            .pick(
                "a C++ std::bad_alloc was thrown: operator new could not allocate",
                "C++ std::bad_alloc이 throw되었습니다. operator new가 할당하지 못했습니다",
            )
            .to_string(),
        OomSource::ClrOutOfMemory => l
            .pick(
                "a .NET exception with HRESULT E_OUTOFMEMORY (0x8007000E), an OutOfMemoryException",
                "HRESULT E_OUTOFMEMORY(0x8007000E)인 .NET 예외, 즉 OutOfMemoryException입니다",
            )
            .to_string(),
        OomSource::NullFromAllocator => allocator_words(a, l),
        OomSource::NullInExhaustedProcess => {
            let at = a
                .exception
                .as_ref()
                .and_then(|e| e.target)
                .map(|t| fmt_addr(t, a.ptr_size()));
            match (at, l) {
                (Some(t), Lang::En) => format!("a NULL-pointer access at {t} in a process whose memory was exhausted: an allocation most likely failed and its NULL result was used unchecked"),
                (None, Lang::En) => "a NULL-pointer access in a process whose memory was exhausted: an allocation most likely failed and its NULL result was used unchecked".into(),
                (Some(t), Lang::Ko) => format!("메모리가 소진된 프로세스에서 {t}의 NULL 포인터 액세스가 발생했습니다. 할당이 실패했고 그 NULL 결과를 검사 없이 사용했을 가능성이 높습니다"),
                (None, Lang::Ko) => "메모리가 소진된 프로세스에서 NULL 포인터 액세스가 발생했습니다. 할당이 실패했고 그 NULL 결과를 검사 없이 사용했을 가능성이 높습니다".into(),
            }
        }
    };
    let why = cause_words(p.cause, l);
    let title = match source {
        OomSource::NullInExhaustedProcess | OomSource::NullFromAllocator => l.pick(
            format!(
                "Out of memory ({why}): an unchecked allocation result, NULL, was dereferenced"
            ),
            format!("메모리 부족({why}): 검사하지 않은 할당 결과 NULL을 역참조했습니다"),
        ),
        _ => l.pick(
            format!("Out of memory ({why})"),
            format!("메모리 부족({why})"),
        ),
    };
    // A module name (`kernel32!HeapAlloc`) keeps its case.
    let how = if source == OomSource::NullFromAllocator {
        how
    } else {
        cap(&how)
    };
    let cause = match p.cause {
        Some(c) => cause_sentence(c, p, l),
        None => l
            .pick(
                "the dump does not show why memory ran out",
                "덤프로는 메모리가 왜 부족해졌는지 알 수 없습니다",
            )
            .into(),
    };
    let description = l.pick(format!("{how}; {cause}."), format!("{how}. {cause}."));
    let mut recommendation = match p.cause {
        Some(PressureCause::AddressSpaceFragmented | PressureCause::AddressSpaceExhausted) => l.pick("A 32-bit process has run out of address space: run it as a 64-bit process (or set the pool's enable32BitAppOnWin64 to false), or make it large-address-aware on 64-bit Windows; find what fills the address space (heaps, mapped files, modules) in the Memory section.", "32비트 프로세스의 주소 공간이 부족합니다. 64비트 프로세스로 실행하거나(응용 프로그램 풀의 enable32BitAppOnWin64를 false로 설정) 64비트 Windows에서 large-address-aware로 만드십시오. 주소 공간을 무엇이 채우는지(힙, 매핑된 파일, 모듈) 메모리 섹션에서 확인하십시오.").to_string(),
        Some(PressureCause::CommitExhausted { .. }) => l.pick("Commit (pagefile-backed memory) ran out: check the job or pool limit and the server's commit limit (pagefile size), and which process holds the private bytes.", "커밋(페이지 파일 기반 메모리)이 부족합니다. 작업 개체 또는 응용 프로그램 풀의 제한과 서버의 커밋 한도(페이지 파일 크기)를 확인하고 어느 프로세스가 전용 바이트를 차지하는지 확인하십시오.").to_string(),
        Some(PressureCause::HeapGrown) => l.pick("One heap has grown to hold most of the memory: a leak of heap blocks is the usual cause.", "힙 하나가 메모리 대부분을 차지할 만큼 커졌습니다. 대개 힙 블록 누수가 원인입니다.").to_string(),
        None => recommendation_for(a.blame.as_ref(), l),
    };
    if matches!(
        source,
        OomSource::NullInExhaustedProcess | OomSource::NullFromAllocator
    ) {
        recommendation.push_str(l.pick(
            " The code that dereferenced NULL should check allocation results: ",
            " NULL을 역참조한 코드는 할당 결과를 검사해야 합니다. ",
        ));
        recommendation.push_str(&recommendation_for(a.blame.as_ref(), l));
    }
    recommendation.push(' ');
    recommendation.push_str(collect(l));
    Words {
        title,
        description,
        recommendation,
        evidence: pressure_evidence(p, l),
    }
}

/// `kernel32!HeapAlloc returned NULL (call at 00401000, register eax = 0) and …`; through a
/// wrapper, `alpsnow+0x1010 (a wrapper of kernel32!HeapAlloc) returned NULL …`.
fn allocator_words(a: &Analysis, l: Lang) -> String {
    let call = a.memory.allocation_call.as_ref();
    let function = match call {
        None => l.pick("an allocator", "할당자").to_string(),
        Some(c) => match &c.via {
            None => c.function.clone(),
            Some(via) => l.pick(
                format!("{via} (a wrapper of {})", c.function),
                format!("{via}({}의 래퍼)", c.function),
            ),
        },
    };
    let at = call
        .map(|c| {
            let addr = fmt_addr(c.call, a.ptr_size());
            l.pick(
                format!(" (call at {addr}, register {} = 0)", c.register),
                format!("(호출 위치 {addr}, 레지스터 {} = 0)", c.register),
            )
        })
        .unwrap_or_default();
    l.pick(
        format!("{function} returned NULL{at} and the next instructions dereferenced it unchecked"),
        crate::phrase::particles(&format!(
            "{function}이(가) NULL을 반환했고{at} 다음 명령들이 검사 없이 이를 역참조했습니다"
        )),
    )
}

fn cause_words(c: Option<PressureCause>, l: Lang) -> &'static str {
    match c {
        Some(PressureCause::AddressSpaceExhausted) => {
            l.pick("address space exhausted", "주소 공간 소진")
        }
        Some(PressureCause::AddressSpaceFragmented) => {
            l.pick("address space fragmented", "주소 공간 조각화")
        }
        Some(PressureCause::CommitExhausted { measured: true }) => {
            l.pick("job commit limit reached", "작업 개체 커밋 한도 도달")
        }
        Some(PressureCause::CommitExhausted { measured: false }) => l.pick(
            "commit exhausted, not address space",
            "주소 공간이 아니라 커밋 소진",
        ),
        Some(PressureCause::HeapGrown) => l.pick("one heap grown huge", "힙 하나가 매우 커짐"),
        None => l.pick("cause not shown in the dump", "덤프에 원인이 나타나지 않음"),
    }
}

fn cause_sentence(c: PressureCause, p: &Pressure, l: Lang) -> String {
    let lf = p
        .largest_free
        .map(bytes)
        .unwrap_or_else(|| l.pick("unknown", "알 수 없음").into());
    let limit = bytes(p.largest_free_threshold);
    let free = p.free_total.map(bytes).unwrap_or_default();
    match c {
        PressureCause::AddressSpaceExhausted => l.pick(
            format!("only {free} of address space is free in all (below {limit}); the largest free region is {lf}"),
            format!("사용 가능한 주소 공간이 모두 합쳐 {free}뿐입니다({limit} 미만). 가장 큰 사용 가능 영역은 {lf}입니다"),
        ),
        PressureCause::AddressSpaceFragmented => {
            let below = p.free_below_1mb.map(|(n, b)| (n, bytes(b)));
            let tail = match (below, l) {
                (Some((n, b)), Lang::En) => format!(", {n} free regions below 1 MB holding {b}"),
                (Some((n, b)), Lang::Ko) => crate::phrase::particles(&format!(". 1MB 미만의 사용 가능 영역 {n}개가 {b}을(를) 차지합니다")),
                (None, _) => String::new(),
            };
            l.pick(
                format!("{free} of address space is free, but the largest free region is {lf} (below {limit}): the address space is fragmented{tail}"),
                format!("주소 공간이 {free} 남아 있지만 가장 큰 사용 가능 영역은 {lf}입니다({limit} 미만). 주소 공간이 조각화되었습니다{tail}"),
            )
        }
        PressureCause::CommitExhausted { measured: true } => {
            let (private, limit) = (
                p.private_usage.map(bytes).unwrap_or_default(),
                p.commit_limit.map(bytes).unwrap_or_default(),
            );
            l.pick(
                format!("private bytes {private} reached the job's commit limit {limit}"),
                crate::phrase::particles(&format!("전용 바이트 {private}이(가) 작업 개체의 커밋 한도 {limit}에 도달했습니다")),
            )
        }
        PressureCause::CommitExhausted { measured: false } => l.pick(
            format!("the address space still had room (largest free region {lf}, at least {limit}), so the commit limit (system pagefile or job) is what ran out"),
            format!("주소 공간에는 아직 여유가 있었으므로(가장 큰 사용 가능 영역 {lf}, {limit} 이상) 부족해진 것은 커밋 한도(시스템 페이지 파일 또는 작업 개체)입니다"),
        ),
        PressureCause::HeapGrown => {
            let (heap, committed) = (
                p.heap_bytes.map(bytes).unwrap_or_default(),
                p.committed.map(bytes).unwrap_or_default(),
            );
            l.pick(
                format!("the process heaps hold {heap} of {committed} committed"),
                crate::phrase::particles(&format!("커밋된 {committed} 중 {heap}을(를) 프로세스 힙이 차지합니다")),
            )
        }
    }
}

/// The numbers behind a memory finding, one per line; absent ones are left out.
fn pressure_evidence(p: &Pressure, l: Lang) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(lf) = p.largest_free {
        let (lf, t) = (bytes(lf), bytes(p.largest_free_threshold));
        v.push(l.pick(
            format!("largest free region: {lf} (threshold {t})"),
            format!("가장 큰 사용 가능 영역: {lf}(임계값 {t})"),
        ));
    }
    if let Some(f) = p.free_total {
        v.push(format!(
            "{} {}",
            l.pick("free address space:", "사용 가능한 주소 공간:"),
            bytes(f)
        ));
    }
    if let Some((n, b)) = p.free_below_1mb {
        v.push(l.pick(
            format!("free regions below 1 MB: {n} ({})", bytes(b)),
            format!("1MB 미만의 사용 가능 영역: {n}개({})", bytes(b)),
        ));
    }
    if let Some(c) = p.committed {
        v.push(format!("{} {}", l.pick("committed:", "커밋됨:"), bytes(c)));
    }
    if let Some(h) = p.heap_bytes {
        let largest = p
            .largest_heap
            .map(|(b, s)| {
                l.pick(
                    format!("; largest heap region {b:x}, {}", bytes(s)),
                    format!("; 가장 큰 힙 영역 {b:x}, {}", bytes(s)),
                )
            })
            .unwrap_or_default();
        v.push(format!(
            "{} {}{largest}",
            l.pick("process heaps:", "프로세스 힙:"),
            bytes(h)
        ));
    }
    if let Some(u) = p.private_usage {
        v.push(format!(
            "{} {}",
            l.pick("private bytes (VM counters):", "전용 바이트(VM 카운터):"),
            bytes(u)
        ));
    }
    if let Some(c) = p.commit_limit {
        v.push(format!(
            "{} {}",
            l.pick("job private commit limit:", "작업 개체 전용 커밋 한도:"),
            bytes(c)
        ));
    }
    if v.is_empty() {
        v.push(
            l.pick(
                "no memory-info list or VM counters in the dump",
                "덤프에 메모리 정보 목록이나 VM 카운터가 없습니다",
            )
            .into(),
        );
    }
    v
}

fn growth(
    p: &Pressure,
    handles: Option<usize>,
    peak: Option<u64>,
    threshold: u64,
    l: Lang,
) -> Words {
    let what = match (p.private_usage, p.heap_bytes) {
        (Some(u), _) if u >= threshold => l.pick(
            format!("{} private bytes", bytes(u)),
            format!("전용 바이트 {}", bytes(u)),
        ),
        (_, Some(h)) => l.pick(
            format!("{} in its heaps", bytes(h)),
            format!("힙에 {}", bytes(h)),
        ),
        _ => l.pick("much memory", "많은 메모리").into(),
    };
    let t = bytes(threshold);
    let mut evidence = pressure_evidence(p, l);
    evidence.push(format!(
        "{} {t}",
        l.pick("growth threshold:", "증가 임계값:")
    ));
    if let Some(pk) = peak {
        evidence.push(format!(
            "{} {}",
            l.pick(
                "peak pagefile usage (VM counters):",
                "최대 페이지 파일 사용량(VM 카운터):"
            ),
            bytes(pk)
        ));
    }
    if let Some(h) = handles {
        evidence.push(format!("{} {h}", l.pick("handles open:", "열린 핸들:")));
    }
    Words {
        title: l.pick(
            format!("High memory use: the process holds {what}, past {t}"),
            crate::phrase::particles(&format!("높은 메모리 사용량: 프로세스가 {what}을(를) 사용하여 {t}을(를) 넘었습니다")),
        ),
        description: l.pick(
            format!("The process holds {what}, more than {t} that it rarely needs without a leak. One dump shows the level, not the growth: a series of dumps of the same process shows whether it keeps growing."),
            crate::phrase::particles(&format!("프로세스가 {what}을(를) 사용하고 있습니다. 누수가 없다면 {t} 이상이 필요한 경우는 드뭅니다. 덤프 하나는 증가 추세가 아니라 현재 수준만 보여 줍니다. 같은 프로세스의 덤프를 여러 번 작성하면 계속 증가하는지 알 수 있습니다.")),
        ),
        recommendation: collect(l).into(),
        evidence,
    }
}

fn handle_leak(h: &HandleLeak, l: Lang) -> Words {
    let types = h
        .top_types
        .iter()
        .map(|(t, n)| format!("{n} {t}"))
        .collect::<Vec<_>>()
        .join(", ");
    let (total, tt, ty) = (h.total, h.total_threshold, h.type_threshold);
    let mut evidence = vec![
        l.pick(
            format!("handles open: {total} (threshold {tt} in all)"),
            format!("열린 핸들: {total}개(전체 임계값 {tt})"),
        ),
        l.pick(
            format!("most by type: {types} (threshold {ty} of one type)"),
            format!("형식별 상위: {types}(한 형식의 임계값 {ty})"),
        ),
    ];
    for (name, n) in &h.top_names {
        evidence.push(l.pick(
            format!("{n} handles to {name}"),
            format!("{name}에 대한 핸들 {n}개"),
        ));
    }
    let first = h
        .top_types
        .first()
        .map(|t| t.0.as_str())
        .unwrap_or(l.pick("of unknown type", "알 수 없는 형식"));
    Words {
        title: l.pick(
            format!("Handle leak: {total} handles open ({types})"),
            format!("핸들 누수: 열린 핸들 {total}개({types})"),
        ),
        description: l.pick(
            format!("The process holds {total} handles, most of them {first}: code that opens these objects does not close them."),
            format!("프로세스가 핸들 {total}개를 열어 두고 있으며 대부분 {first}입니다. 이 개체를 여는 코드가 핸들을 닫지 않습니다."),
        ),
        recommendation: l.pick(
            "Find the code that opens these handles: enable handle tracing (`!htrace -enable` in WinDbg, or Application Verifier's Handles check) and take a series of dumps, or a DebugDiag leak rule; a handle's object name above often names the component.",
            "이 핸들을 여는 코드를 찾으십시오. 핸들 추적(WinDbg의 `!htrace -enable` 또는 Application Verifier의 Handles 검사)을 켜고 덤프를 여러 번 작성하거나 DebugDiag 누수 규칙을 사용하십시오. 위의 핸들 개체 이름이 구성 요소를 알려 주는 경우가 많습니다.",
        ).into(),
        evidence,
    }
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
