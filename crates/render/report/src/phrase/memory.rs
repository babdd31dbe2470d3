//! The words of the memory findings (issue 15): `out_of_memory`, `memory_growth`,
//! `handle_leak`, from their typed facts (`coroner_analysis::memory_findings`).

use super::findings::{recommendation_for, Words};
use coroner_analysis::memory_findings::{HandleLeak, OomSource, Pressure, PressureCause};
use coroner_analysis::{fmt_addr, Analysis, Detail, Finding, FindingKind};

/// What to collect when a dump cannot show who allocated.
const COLLECT: &str = "A dump does not record who allocated heap blocks unless user-mode stack traces were on: collect a series of dumps a few minutes apart with a DebugDiag memory-leak rule (LeakTrack), or enable stack traces with `gflags /i w3wp.exe +ust`, recycle, and dump again when memory is high.";

/// The words of a memory finding, `None` for any other kind.
pub(super) fn words(a: &Analysis, f: &Finding) -> Option<Words> {
    match (f.kind, &f.detail) {
        (FindingKind::OutOfMemory, Detail::OutOfMemory { source, pressure }) => {
            Some(out_of_memory(a, *source, pressure))
        }
        (
            FindingKind::MemoryGrowth,
            Detail::MemoryGrowth {
                pressure,
                handles,
                peak_pagefile_usage,
                threshold,
            },
        ) => Some(growth(pressure, *handles, *peak_pagefile_usage, *threshold)),
        (FindingKind::HandleLeak, Detail::HandleLeak(h)) => Some(handle_leak(h)),
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

fn out_of_memory(a: &Analysis, source: OomSource, p: &Pressure) -> Words {
    let how = match source {
        OomSource::StatusNoMemory => "the exception is STATUS_NO_MEMORY (0xC0000017): an allocation failed".to_string(),
        OomSource::CppBadAlloc => "a C++ std::bad_alloc was thrown: operator new could not allocate".to_string(),
        OomSource::ClrOutOfMemory => "a .NET exception with HRESULT E_OUTOFMEMORY (0x8007000E), an OutOfMemoryException".to_string(),
        OomSource::NullFromAllocator => allocator_words(a),
        OomSource::NullInExhaustedProcess => format!(
            "a NULL-pointer access{} in a process whose memory was exhausted: an allocation most likely failed and its NULL result was used unchecked",
            a.exception
                .as_ref()
                .and_then(|e| e.target)
                .map(|t| format!(" at {}", fmt_addr(t, a.ptr_size())))
                .unwrap_or_default()
        ),
    };
    let why = cause_words(p.cause);
    let title = match source {
        OomSource::NullInExhaustedProcess | OomSource::NullFromAllocator => {
            format!("Out of memory ({why}): an unchecked allocation result, NULL, was dereferenced")
        }
        _ => format!("Out of memory ({why})"),
    };
    let description = format!(
        "{}; {}.",
        // A module name (`kernel32!HeapAlloc`) keeps its case.
        if source == OomSource::NullFromAllocator {
            how
        } else {
            cap(&how)
        },
        match p.cause {
            Some(c) => cause_sentence(c, p),
            None => "the dump does not show why memory ran out".into(),
        }
    );
    let mut recommendation = match p.cause {
        Some(PressureCause::AddressSpaceFragmented | PressureCause::AddressSpaceExhausted) => "A 32-bit process has run out of address space: run it as a 64-bit process (or set the pool's enable32BitAppOnWin64 to false), or make it large-address-aware on 64-bit Windows; find what fills the address space (heaps, mapped files, modules) in the Memory section.".to_string(),
        Some(PressureCause::CommitExhausted { .. }) => "Commit (pagefile-backed memory) ran out: check the job or pool limit and the server's commit limit (pagefile size), and which process holds the private bytes.".to_string(),
        Some(PressureCause::HeapGrown) => "One heap has grown to hold most of the memory: a leak of heap blocks is the usual cause.".to_string(),
        None => recommendation_for(a.blame.as_ref()),
    };
    if matches!(
        source,
        OomSource::NullInExhaustedProcess | OomSource::NullFromAllocator
    ) {
        recommendation
            .push_str(" The code that dereferenced NULL should check allocation results: ");
        recommendation.push_str(&recommendation_for(a.blame.as_ref()));
    }
    recommendation.push(' ');
    recommendation.push_str(COLLECT);
    Words {
        title,
        description,
        recommendation,
        evidence: pressure_evidence(p),
    }
}

/// `kernel32!HeapAlloc returned NULL (call at 00401000, register eax = 0) and …`.
fn allocator_words(a: &Analysis) -> String {
    let call = a.memory.allocation_call.as_ref();
    let function = call.map_or("an allocator", |c| c.function.as_str());
    let at = call
        .map(|c| {
            let addr = fmt_addr(c.call, a.ptr_size());
            format!(" (call at {addr}, register {} = 0)", c.register)
        })
        .unwrap_or_default();
    format!("{function} returned NULL{at} and the next instructions dereferenced it unchecked")
}

fn cause_words(c: Option<PressureCause>) -> &'static str {
    match c {
        Some(PressureCause::AddressSpaceExhausted) => "address space exhausted",
        Some(PressureCause::AddressSpaceFragmented) => "address space fragmented",
        Some(PressureCause::CommitExhausted { measured: true }) => "job commit limit reached",
        Some(PressureCause::CommitExhausted { measured: false }) => {
            "commit exhausted, not address space"
        }
        Some(PressureCause::HeapGrown) => "one heap grown huge",
        None => "cause not shown in the dump",
    }
}

fn cause_sentence(c: PressureCause, p: &Pressure) -> String {
    let lf = p
        .largest_free
        .map(bytes)
        .unwrap_or_else(|| "unknown".into());
    let limit = bytes(p.largest_free_threshold);
    match c {
        PressureCause::AddressSpaceExhausted => format!(
            "only {} of address space is free in all (below {limit}); the largest free region is {lf}",
            p.free_total.map(bytes).unwrap_or_default()
        ),
        PressureCause::AddressSpaceFragmented => format!(
            "{} of address space is free, but the largest free region is {lf} (below {limit}): the address space is fragmented{}",
            p.free_total.map(bytes).unwrap_or_default(),
            p.free_below_1mb
                .map(|(n, b)| format!(", {n} free regions below 1 MB holding {}", bytes(b)))
                .unwrap_or_default()
        ),
        PressureCause::CommitExhausted { measured: true } => format!(
            "private bytes {} reached the job's commit limit {}",
            p.private_usage.map(bytes).unwrap_or_default(),
            p.commit_limit.map(bytes).unwrap_or_default()
        ),
        PressureCause::CommitExhausted { measured: false } => format!(
            "the address space still had room (largest free region {lf}, at least {limit}), so the commit limit (system pagefile or job) is what ran out"
        ),
        PressureCause::HeapGrown => format!(
            "the process heaps hold {} of {} committed",
            p.heap_bytes.map(bytes).unwrap_or_default(),
            p.committed.map(bytes).unwrap_or_default()
        ),
    }
}

/// The numbers behind a memory finding, one per line; absent ones are left out.
fn pressure_evidence(p: &Pressure) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(l) = p.largest_free {
        v.push(format!(
            "largest free region: {} (threshold {})",
            bytes(l),
            bytes(p.largest_free_threshold)
        ));
    }
    if let Some(f) = p.free_total {
        v.push(format!("free address space: {}", bytes(f)));
    }
    if let Some((n, b)) = p.free_below_1mb {
        v.push(format!("free regions below 1 MB: {n} ({})", bytes(b)));
    }
    if let Some(c) = p.committed {
        v.push(format!("committed: {}", bytes(c)));
    }
    if let Some(h) = p.heap_bytes {
        let largest = p
            .largest_heap
            .map(|(b, s)| format!("; largest heap region {b:x}, {}", bytes(s)))
            .unwrap_or_default();
        v.push(format!("process heaps: {}{largest}", bytes(h)));
    }
    if let Some(u) = p.private_usage {
        v.push(format!("private bytes (VM counters): {}", bytes(u)));
    }
    if let Some(l) = p.commit_limit {
        v.push(format!("job private commit limit: {}", bytes(l)));
    }
    if v.is_empty() {
        v.push("no memory-info list or VM counters in the dump".into());
    }
    v
}

fn growth(p: &Pressure, handles: Option<usize>, peak: Option<u64>, threshold: u64) -> Words {
    let what = match (p.private_usage, p.heap_bytes) {
        (Some(u), _) if u >= threshold => format!("{} private bytes", bytes(u)),
        (_, Some(h)) => format!("{} in its heaps", bytes(h)),
        _ => "much memory".into(),
    };
    let mut evidence = pressure_evidence(p);
    evidence.push(format!("growth threshold: {}", bytes(threshold)));
    if let Some(pk) = peak {
        evidence.push(format!("peak pagefile usage (VM counters): {}", bytes(pk)));
    }
    if let Some(h) = handles {
        evidence.push(format!("handles open: {h}"));
    }
    Words {
        title: format!("High memory use: the process holds {what}, past {}", bytes(threshold)),
        description: format!(
            "The process holds {what}, more than {} that it rarely needs without a leak. One dump shows the level, not the growth: a series of dumps of the same process shows whether it keeps growing.",
            bytes(threshold)
        ),
        recommendation: COLLECT.into(),
        evidence,
    }
}

fn handle_leak(h: &HandleLeak) -> Words {
    let types = h
        .top_types
        .iter()
        .map(|(t, n)| format!("{n} {t}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut evidence = vec![
        format!(
            "handles open: {} (threshold {} in all)",
            h.total, h.total_threshold
        ),
        format!(
            "most by type: {types} (threshold {} of one type)",
            h.type_threshold
        ),
    ];
    for (name, n) in &h.top_names {
        evidence.push(format!("{n} handles to {name}"));
    }
    Words {
        title: format!("Handle leak: {} handles open ({types})", h.total),
        description: format!(
            "The process holds {} handles, most of them {}: code that opens these objects does not close them.",
            h.total,
            h.top_types.first().map(|t| t.0.as_str()).unwrap_or("of unknown type")
        ),
        recommendation: "Find the code that opens these handles: enable handle tracing (`!htrace -enable` in WinDbg, or Application Verifier's Handles check) and take a series of dumps, or a DebugDiag leak rule; a handle's object name above often names the component.".into(),
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
