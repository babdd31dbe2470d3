//! The `coroner.analysis.v1` JSON document. Field names are a contract (see
//! `docs/json-schema.md`): existing names never change meaning; new fields may be added.
//! Addresses and codes are lowercase `0x…` strings; absent facts are `null`.
//!
//! The document is a set of borrowed, derive-`Serialize` views of the analysis streamed straight
//! to the writer — no intermediate `serde_json::Value` tree (which cost more than the analysis).

use crate::{time, Outcome};
use coroner_analysis::regions::Usage;
use coroner_analysis::{hex, memory, AddressFacts, Analysis};
use coroner_model::LoadFailure;
use serde::Serialize;

/// Schema identifier.
pub const SCHEMA: &str = "coroner.analysis.v1";

fn opt_hex(v: Option<u64>) -> Option<String> {
    v.map(hex)
}

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    dumps: Vec<Dump<'a>>,
    groups: Vec<Group>,
}

#[derive(Serialize)]
struct Group {
    bucket: String,
    dumps: Vec<String>,
}

#[derive(Serialize)]
struct System<'a> {
    os: &'a str,
    os_version: &'a str,
    cpu_arch: &'static str,
    cpu_count: u32,
}

#[derive(Serialize)]
struct Process<'a> {
    name: Option<&'a str>,
    pid: Option<u32>,
    command_line: Option<&'a str>,
    app_pool: Option<&'a str>,
    image_path: Option<&'a str>,
    create_time: Option<String>,
    dump_time: Option<String>,
    uptime_seconds: Option<u64>,
}

#[derive(Serialize)]
struct Exception<'a> {
    code: String,
    name: &'a str,
    reason: &'a str,
    address: String,
    thread_id: u32,
    thread_index: Option<usize>,
    access: Option<&'static str>,
    target: Option<String>,
    flags: String,
    parameters: Vec<String>,
    fast_fail: Option<&'a str>,
    cpp_type: Option<&'a str>,
}

#[derive(Serialize)]
struct Instruction<'a> {
    address: String,
    text: &'a str,
    bytes: String,
    symbol: Option<&'a str>,
    effective_address: Option<String>,
    value: Option<String>,
}

#[derive(Serialize)]
struct Region<'a> {
    address: String,
    base: Option<String>,
    size: Option<String>,
    state: Option<&'a str>,
    protect: Option<&'a str>,
    #[serde(rename = "type")]
    kind: Option<&'a str>,
    usage: &'a str,
    usage_detail: Option<String>,
    allocation_base: Option<String>,
    captured: bool,
}

#[derive(Serialize)]
struct Frame<'a> {
    index: usize,
    address: String,
    module: Option<&'a str>,
    function: Option<&'a str>,
    /// Only when the symbol file's signature says more than `function`.
    #[serde(skip_serializing_if = "Option::is_none")]
    function_signature: Option<&'a str>,
    offset: String,
    module_offset: Option<String>,
    trust: &'static str,
    symbol_source: coroner_analysis::SymbolSource,
    unreliable: bool,
    sp: String,
    fp: String,
    return_address: Option<String>,
    args: Vec<Option<String>>,
    system: bool,
    unloaded_module: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<u32>,
    inlines: &'a [String],
    display: &'a str,
}

#[derive(Serialize)]
struct Thread<'a> {
    index: usize,
    id: u32,
    name: Option<&'a str>,
    faulting: bool,
    top_frame: &'a str,
    user_time_100ns: Option<u64>,
    kernel_time_100ns: Option<u64>,
    create_time: Option<String>,
    tid: u32,
    state: &'static str,
    waits_on: Vec<String>,
    module: Option<&'a str>,
    function: Option<&'a str>,
    user_time_ms: Option<u64>,
    kernel_time_ms: Option<u64>,
}

#[derive(Serialize)]
struct Lock<'a> {
    address: String,
    kind: coroner_analysis::hang::LockKind,
    owner_tid: Option<u32>,
    waiters: &'a [u32],
    recursion: Option<i32>,
    lock_count: Option<i32>,
    debug_info: Option<String>,
    orphaned: bool,
    is_loader_lock: bool,
    name: Option<&'a str>,
    found_by: coroner_analysis::hang::FoundBy,
}

#[derive(Serialize)]
struct DeadlockLink {
    tid: u32,
    holds: String,
    waits_for: String,
}

/// `hang`: why the dump is a hang dump and how its sections were decoded.
#[derive(Serialize)]
struct Hang<'a> {
    reason: Option<coroner_analysis::hang::HangReason>,
    root_tid: Option<u32>,
    lock_encoding: Option<&'static str>,
    lock_encoding_basis: Option<String>,
    wine: bool,
    thread_times: bool,
    identical_stacks: Vec<&'a [u32]>,
}

#[derive(Serialize)]
struct Module<'a> {
    name: &'a str,
    path: &'a str,
    base: String,
    end: String,
    timestamp: Option<String>,
    checksum: String,
    file_version: Option<String>,
    product_version: Option<String>,
    debug_file: Option<&'a str>,
    debug_id: Option<&'a str>,
    code_id: Option<&'a str>,
    company: Option<&'a str>,
    product: Option<&'a str>,
    system: bool,
    vendor: Option<&'a str>,
    vendor_source: Option<&'static str>,
}

#[derive(Serialize)]
struct Unloaded<'a> {
    name: &'a str,
    base: String,
    end: String,
}

#[derive(Serialize)]
struct Blame<'a> {
    module: &'a str,
    version: Option<&'a str>,
    company: Option<&'a str>,
    product: Option<&'a str>,
    copyright: Option<&'a str>,
    vendor: Option<&'a str>,
    vendor_source: Option<&'static str>,
    vendor_provenance: String,
    vendor_passed_over: &'a [coroner_analysis::vendor::PassedOver],
    timestamp: Option<String>,
    timestamp_raw: Option<String>,
    reason: String,
    frame: Option<usize>,
    symbol: Option<&'a str>,
    unloaded: bool,
}

#[derive(Serialize)]
struct Finding<'a> {
    id: &'static str,
    severity: &'static str,
    title: String,
    description: String,
    recommendation: String,
    evidence: Vec<String>,
    detail: &'a coroner_analysis::Detail,
}

#[derive(Serialize)]
struct Damage<'a> {
    streams_lost: Vec<&'a str>,
    streams_partial: Vec<&'a str>,
    details: Vec<String>,
    losses: Vec<Loss<'a>>,
    bytes_present: u64,
    bytes_needed: u64,
}

/// One stream lost (`lost`) or read in part: the cause's facts, and its English (`why`).
#[derive(Serialize)]
struct Loss<'a> {
    stream: &'a str,
    lost: bool,
    why: String,
    cause: &'a coroner_model::LossCause,
}

fn damage(d: &coroner_model::Damage) -> Damage<'_> {
    Damage {
        streams_lost: d.streams_lost.iter().map(|l| l.stream.as_str()).collect(),
        streams_partial: d
            .streams_partial
            .iter()
            .map(|l| l.stream.as_str())
            .collect(),
        details: d
            .losses()
            .map(|(l, lost)| crate::phrase::stream_loss(l, lost, crate::phrase::Lang::En))
            .collect(),
        losses: d
            .losses()
            .map(|(l, lost)| Loss {
                stream: &l.stream,
                lost,
                why: crate::phrase::loss_cause(&l.cause, crate::phrase::Lang::En),
                cause: &l.cause,
            })
            .collect(),
        bytes_present: d.bytes_present,
        bytes_needed: d.bytes_needed,
    }
}

#[derive(Serialize)]
struct Dump<'a> {
    path: String,
    error: Option<&'a str>,
    /// A failed input's typed cause (absent for an analysed dump, and for a failure given
    /// only as text).
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<&'a LoadFailure>,
    complete: bool,
    damage: Option<Damage<'a>>,
    container: Option<&'a str>,
    system: Option<System<'a>>,
    process: Option<Process<'a>>,
    exception: Option<Exception<'a>>,
    instruction: Option<Instruction<'a>>,
    target_region: Option<Region<'a>>,
    ip_region: Option<Region<'a>>,
    frames: Vec<Frame<'a>>,
    stack_truncated: Option<&'a str>,
    nested_exception_levels: usize,
    threads: Vec<Thread<'a>>,
    modules: Vec<Module<'a>>,
    unloaded_modules: Vec<Unloaded<'a>>,
    faulting_module: Option<&'a str>,
    blame: Option<Blame<'a>>,
    findings: Vec<Finding<'a>>,
    bucket: Option<&'a str>,
    classification: Option<&'a str>,
    warnings: Vec<String>,
    memory: Option<Memory<'a>>,
    locks: Vec<Lock<'a>>,
    deadlocks: Vec<Vec<DeadlockLink>>,
    hang: Option<Hang<'a>>,
}

/// `memory`: each part absent (not null, not zero) when the dump lacks its stream.
#[derive(Serialize)]
struct Memory<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    address_summary: Option<AddressSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handles: Option<Handles<'a>>,
    /// The ProcessVmCounters stream, bytes (issue 15).
    #[serde(skip_serializing_if = "Option::is_none")]
    vm_counters: Option<&'a coroner_model::VmCounters>,
    /// The allocator call whose NULL result the fault dereferenced (issue 15).
    #[serde(skip_serializing_if = "Option::is_none")]
    allocation_call: Option<&'a coroner_analysis::alloc_call::AllocCall>,
    /// `!heap -s` (issue 15): absent when the PEB's heap list is not in the dump.
    #[serde(skip_serializing_if = "Option::is_none")]
    heaps: Option<Vec<HeapJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    heap_problems: Option<&'a [String]>,
}

/// One entry of `memory.heaps[]`.
#[derive(Serialize)]
struct HeapJson {
    address: String,
    kind: coroner_analysis::heap::HeapKind,
    layout: Option<&'static str>,
    /// `pdb` (offsets from the dump's ntdll PDB, named in `layout_pdb`) or `known build`;
    /// absent when not walked.
    #[serde(skip_serializing_if = "Option::is_none")]
    layout_source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    layout_pdb: Option<LayoutPdbJson>,
    flags: Option<String>,
    committed: Option<u64>,
    reserved: Option<u64>,
    segments: Option<usize>,
}

#[derive(Serialize)]
struct LayoutPdbJson {
    name: String,
    id: String,
}

fn heap_json(h: &coroner_analysis::heap::HeapSummary) -> HeapJson {
    use coroner_analysis::heap::LayoutSource;
    HeapJson {
        address: hex(h.address),
        kind: h.kind,
        layout: h.layout,
        layout_source: h.layout_source.as_ref().map(|l| match l {
            LayoutSource::KnownBuild => "known build",
            LayoutSource::Pdb { .. } => "pdb",
        }),
        layout_pdb: match &h.layout_source {
            Some(LayoutSource::Pdb { name, id }) => Some(LayoutPdbJson {
                name: name.clone(),
                id: id.clone(),
            }),
            _ => None,
        },
        flags: h.flags.map(|f| format!("{f:08x}")),
        committed: h.committed(),
        reserved: h.reserved(),
        segments: h.committed().map(|_| h.segments.len()),
    }
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct ByState {
    MEM_COMMIT: u64,
    MEM_RESERVE: u64,
    MEM_FREE: u64,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct ByType {
    MEM_IMAGE: u64,
    MEM_MAPPED: u64,
    MEM_PRIVATE: u64,
}

#[derive(Serialize)]
struct SpanJson {
    base: String,
    size: u64,
}

#[derive(Serialize)]
struct TallyJson {
    count: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct UsageRow {
    usage: &'static str,
    regions: u64,
    bytes: u64,
    largest: SpanJson,
}

#[derive(Serialize)]
struct ModuleSize<'a> {
    name: &'a str,
    base: String,
    size: u64,
}

#[derive(Serialize)]
struct AddressSummary<'a> {
    source: &'static str,
    regions: u64,
    total: u64,
    busy: u64,
    by_state: ByState,
    by_type: ByType,
    by_usage: std::collections::BTreeMap<&'static str, u64>,
    by_protect: std::collections::BTreeMap<&'a str, u64>,
    usage: Vec<UsageRow>,
    largest_free: Option<SpanJson>,
    free_below_1mb: TallyJson,
    top_modules: Vec<ModuleSize<'a>>,
}

#[derive(Serialize)]
struct Handles<'a> {
    total: usize,
    listed: usize,
    by_type: &'a std::collections::BTreeMap<String, usize>,
}

fn span(s: &memory::Span) -> SpanJson {
    SpanJson {
        base: hex(s.base),
        size: s.size,
    }
}

fn address_summary(s: &memory::AddressSummary) -> AddressSummary<'_> {
    use coroner_model::*;
    AddressSummary {
        source: s.source,
        regions: s.regions,
        total: s.total,
        busy: s.busy,
        by_state: ByState {
            MEM_COMMIT: s.state_bytes(MEM_COMMIT),
            MEM_RESERVE: s.state_bytes(MEM_RESERVE),
            MEM_FREE: s.state_bytes(MEM_FREE),
        },
        by_type: ByType {
            MEM_IMAGE: s.type_bytes(MEM_IMAGE),
            MEM_MAPPED: s.type_bytes(MEM_MAPPED),
            MEM_PRIVATE: s.type_bytes(MEM_PRIVATE),
        },
        by_usage: Usage::ALL
            .iter()
            .map(|u| (u.key(), s.usage(*u).bytes))
            .collect(),
        by_protect: s
            .by_protect
            .iter()
            .map(|(k, t)| (k.as_str(), t.bytes))
            .collect(),
        usage: Usage::ALL
            .iter()
            .filter_map(|u| {
                let t = s.by_usage.get(u)?;
                Some(UsageRow {
                    usage: u.key(),
                    regions: t.regions,
                    bytes: t.bytes,
                    largest: span(s.largest_by_usage.get(u)?),
                })
            })
            .collect(),
        largest_free: s.largest_free.as_ref().map(span),
        free_below_1mb: TallyJson {
            count: s.free_below_1mb.regions,
            bytes: s.free_below_1mb.bytes,
        },
        top_modules: s
            .top_modules
            .iter()
            .map(|m| ModuleSize {
                name: &m.name,
                base: hex(m.base),
                size: m.size,
            })
            .collect(),
    }
}

fn memory_json(m: &memory::MemoryFacts) -> Memory<'_> {
    Memory {
        address_summary: m.address_summary.as_ref().map(address_summary),
        handles: m.handles.as_ref().map(|h| Handles {
            total: h.total,
            listed: h.listed,
            by_type: &h.by_type,
        }),
        vm_counters: m.vm_counters.as_ref(),
        allocation_call: m.allocation_call.as_ref(),
        heaps: m
            .heaps
            .as_ref()
            .filter(|h| !h.heaps.is_empty())
            .map(|h| h.heaps.iter().map(heap_json).collect()),
        heap_problems: m
            .heaps
            .as_ref()
            .map(|h| h.problems.as_slice())
            .filter(|p| !p.is_empty()),
    }
}

fn region(r: &AddressFacts, p: u8) -> Region<'_> {
    Region {
        address: hex(r.address),
        base: opt_hex(r.base),
        size: opt_hex(r.size),
        state: r.state.as_deref(),
        protect: r.protect.as_deref(),
        kind: r.kind.as_deref(),
        usage: &r.usage,
        usage_detail: r
            .usage_detail
            .as_ref()
            .map(|d| crate::phrase::usage_detail(d, p, crate::phrase::Lang::En)),
        allocation_base: opt_hex(r.allocation_base),
        captured: r.captured,
    }
}

fn dump(a: &Analysis) -> Dump<'_> {
    Dump {
        path: a.path.display().to_string(),
        error: None,
        failure: None,
        complete: a.complete(),
        damage: a.damage.as_ref().map(damage),
        container: Some(&a.container),
        system: Some(System {
            os: &a.system.os_name,
            os_version: &a.system.os_version,
            cpu_arch: a.system.arch.name(),
            cpu_count: a.system.cpu_count,
        }),
        process: Some(process(a)),
        exception: a.exception.as_ref().map(exception),
        instruction: a.instruction.as_ref().map(|d| instruction(a, d)),
        target_region: a.target_region.as_ref().map(|r| region(r, a.ptr_size())),
        ip_region: a.ip_region.as_ref().map(|r| region(r, a.ptr_size())),
        frames: a.frames.iter().map(|f| frame(a, f)).collect(),
        stack_truncated: a.stack_note.as_deref(),
        nested_exception_levels: a.nesting_levels,
        threads: a.threads.iter().map(|t| thread(a, t)).collect(),
        modules: a.modules.iter().map(module).collect(),
        unloaded_modules: a
            .unloaded_modules
            .iter()
            .map(|u| Unloaded {
                name: &u.name,
                base: hex(u.base),
                end: hex(u.base.wrapping_add(u.size)),
            })
            .collect(),
        faulting_module: a.faulting_module.as_deref(),
        blame: a.blame.as_ref().map(|b| blame(a, b)),
        findings: a.findings.iter().map(|f| finding(a, f)).collect(),
        bucket: a.bucket.as_deref(),
        classification: a.classification.as_deref(),
        warnings: a
            .warnings
            .iter()
            .map(|w| crate::phrase::warning(w, crate::phrase::Lang::En))
            .collect(),
        memory: Some(memory_json(&a.memory)),
        locks: a.hang.locks.iter().map(|l| lock(a, l)).collect(),
        deadlocks: a
            .hang
            .deadlocks
            .iter()
            .map(|c| {
                c.iter()
                    .map(|l| DeadlockLink {
                        tid: l.tid,
                        holds: hex(l.holds),
                        waits_for: hex(l.waits_for),
                    })
                    .collect()
            })
            .collect(),
        hang: Some(hang(a)),
    }
}

fn lock<'a>(a: &Analysis, l: &'a coroner_analysis::hang::LockFacts) -> Lock<'a> {
    Lock {
        address: hex(l.address),
        kind: l.kind,
        owner_tid: l.owner_tid,
        waiters: &l.waiters,
        recursion: l.raw.map(|r| r.recursion_count),
        lock_count: l.raw.map(|r| r.lock_count),
        debug_info: l.debug_info(a.ptr_size()).map(hex),
        orphaned: l.orphaned,
        is_loader_lock: l.is_loader_lock,
        name: l.name.as_deref(),
        found_by: l.found_by,
    }
}

fn hang(a: &Analysis) -> Hang<'_> {
    let h = &a.hang;
    Hang {
        reason: h.reason,
        root_tid: h.root_tid,
        lock_encoding: h.encoding.map(|e| e.as_str()),
        lock_encoding_basis: h
            .encoding_basis
            .as_ref()
            .map(|b| crate::phrase::hang::encoding_basis(b, crate::phrase::Lang::En)),
        wine: h.wine,
        thread_times: h.times_known,
        identical_stacks: h.groups.iter().map(|g| g.tids.as_slice()).collect(),
    }
}

fn process(a: &Analysis) -> Process<'_> {
    Process {
        name: a.process.name.as_deref(),
        pid: a.process.pid,
        command_line: a.process.command_line.as_deref(),
        app_pool: a.process.app_pool.as_deref(),
        image_path: a.process.image_path.as_deref(),
        create_time: a.process.create_time.map(time::rfc3339),
        dump_time: a.process.dump_time.map(time::rfc3339),
        uptime_seconds: a.process.uptime,
    }
}

fn exception(e: &coroner_analysis::ExceptionFacts) -> Exception<'_> {
    Exception {
        code: hex(u64::from(e.code)),
        name: &e.name,
        reason: &e.reason,
        address: hex(e.address),
        thread_id: e.thread_id,
        thread_index: e.thread_index,
        access: e.access.map(|x| x.as_str()),
        target: opt_hex(e.target),
        flags: hex(u64::from(e.flags)),
        parameters: e.params.iter().map(|p| hex(*p)).collect(),
        fast_fail: e.fast_fail.as_deref(),
        cpp_type: e.cpp_type.as_deref(),
    }
}

fn instruction<'a>(a: &'a Analysis, d: &'a coroner_analysis::disasm::Decoded) -> Instruction<'a> {
    Instruction {
        address: hex(d.address),
        text: &d.text,
        bytes: d.bytes.iter().map(|b| format!("{b:02x}")).collect(),
        symbol: a.instruction_symbol.as_deref(),
        effective_address: opt_hex(d.effective_address),
        value: d
            .value
            .as_ref()
            .map(|v| v.iter().rev().map(|b| format!("{b:02x}")).collect()),
    }
}

fn frame<'a>(a: &Analysis, f: &'a coroner_analysis::FrameFacts) -> Frame<'a> {
    Frame {
        index: f.index,
        address: hex(f.address),
        module: f.symbol.module.as_deref(),
        function: f.symbol.function.as_deref(),
        function_signature: f.symbol.function_signature.as_deref(),
        offset: hex(if f.symbol.function.is_some() {
            f.symbol.function_offset
        } else {
            f.symbol.module_offset
        }),
        module_offset: f
            .symbol
            .module
            .as_ref()
            .map(|_| hex(f.symbol.module_offset)),
        trust: f.trust.as_str(),
        symbol_source: f.symbol.source,
        unreliable: f.symbol.unreliable,
        sp: hex(f.sp),
        fp: hex(f.fp),
        return_address: opt_hex(f.return_address),
        args: f.args[..coroner_unwind::arg_count(a.system.arch)]
            .iter()
            .map(|&v| opt_hex(v))
            .collect(),
        system: f.system,
        unloaded_module: f.symbol.unloaded_module.as_deref(),
        file: f.symbol.file.as_deref(),
        line: f.symbol.line,
        inlines: &f.symbol.inlines,
        display: &f.display,
    }
}

fn thread<'a>(a: &'a Analysis, t: &'a coroner_analysis::ThreadSummary) -> Thread<'a> {
    let h = a.hang.threads.get(t.index).filter(|h| h.tid == t.id);
    Thread {
        tid: t.id,
        state: h.map(|h| h.state.id()).unwrap_or("unknown"),
        waits_on: h
            .map(|h| h.waits_on().into_iter().map(hex).collect())
            .unwrap_or_default(),
        module: h.and_then(|h| h.module.as_deref()),
        function: h.and_then(|h| h.function.as_deref()),
        user_time_ms: t.user_100ns.map(|v| v / 10_000),
        kernel_time_ms: t.kernel_100ns.map(|v| v / 10_000),
        index: t.index,
        id: t.id,
        name: t.name.as_deref(),
        faulting: t.faulting,
        top_frame: &t.top_frame,
        user_time_100ns: t.user_100ns,
        kernel_time_100ns: t.kernel_100ns,
        create_time: t.create_time.map(time::rfc3339),
    }
}

fn module(m: &coroner_analysis::ModuleFacts) -> Module<'_> {
    let mm = &m.module;
    Module {
        name: &mm.name,
        path: &mm.path,
        base: hex(mm.base),
        end: hex(mm.end()),
        timestamp: (mm.timestamp != 0).then(|| time::rfc3339(u64::from(mm.timestamp))),
        checksum: hex(u64::from(mm.checksum)),
        file_version: mm.file_version.as_ref().map(coroner_model::format_version),
        product_version: mm
            .product_version
            .as_ref()
            .map(coroner_model::format_version),
        debug_file: mm.debug_file.as_deref(),
        debug_id: mm.debug_id.as_deref(),
        code_id: mm.code_id.as_deref(),
        company: m.string("CompanyName"),
        product: m.string("ProductName"),
        system: m.judgement.system,
        vendor: m.vendor.name.as_deref(),
        vendor_source: m.vendor.source.map(|s| s.as_str()),
    }
}

fn blame<'a>(a: &Analysis, b: &'a coroner_analysis::Blame) -> Blame<'a> {
    Blame {
        module: &b.module,
        version: b.version.as_deref(),
        company: b.company.as_deref(),
        product: b.product.as_deref(),
        copyright: b.copyright.as_deref(),
        vendor: b.vendor.as_deref(),
        vendor_source: b.vendor_source.map(|s| s.as_str()),
        vendor_provenance: crate::phrase::provenance(b, crate::phrase::Lang::En),
        vendor_passed_over: &b.vendor_passed_over,
        timestamp: b.timestamp.map(|t| time::rfc3339(u64::from(t))),
        timestamp_raw: b.timestamp.map(|t| hex(u64::from(t))),
        // English whatever the report language, as the findings' words.
        reason: crate::phrase::blame_reason(a, b, crate::phrase::Lang::En),
        frame: b.frame,
        symbol: b.symbol.as_deref(),
        unloaded: b.unloaded,
    }
}

fn finding<'a>(a: &Analysis, f: &'a coroner_analysis::Finding) -> Finding<'a> {
    // The JSON document is English whatever the report language: facts and words never vary.
    let w = crate::phrase::finding(a, f, crate::phrase::Lang::En);
    Finding {
        id: f.id(),
        severity: f.severity.as_str(),
        title: w.title,
        description: w.description,
        recommendation: w.recommendation,
        evidence: w.evidence,
        detail: &f.detail,
    }
}

fn failed<'a>(
    path: &std::path::Path,
    error: &'a str,
    failure: Option<&'a LoadFailure>,
) -> Dump<'a> {
    Dump {
        path: path.display().to_string(),
        error: Some(error),
        failure,
        complete: false,
        damage: None,
        container: None,
        system: None,
        process: None,
        exception: None,
        instruction: None,
        target_region: None,
        ip_region: None,
        frames: Vec::new(),
        stack_truncated: None,
        nested_exception_levels: 0,
        threads: Vec::new(),
        modules: Vec::new(),
        unloaded_modules: Vec::new(),
        faulting_module: None,
        blame: None,
        findings: Vec::new(),
        bucket: None,
        classification: None,
        warnings: Vec::new(),
        memory: None,
        locks: Vec::new(),
        deadlocks: Vec::new(),
        hang: None,
    }
}

/// One dump's object exactly as it stands as one entry of the document's `dumps[]` (for the
/// collection server, which stores each crash's analysis apart).
pub fn dump_value(outcome: &Outcome) -> serde_json::Value {
    let d = match outcome {
        Outcome::Done(a) => dump(a),
        Outcome::Failed {
            path,
            error,
            failure,
        } => failed(path, error, failure.as_ref()),
    };
    // These derive-Serialize views have string keys only: serialising cannot fail.
    serde_json::to_value(d).unwrap_or(serde_json::Value::Null)
}

/// [`dump_value`] as compact JSON text, serialised straight from the view (no intermediate
/// `Value` tree: a server storing one entry per dump saves half the work).
pub fn dump_string(outcome: &Outcome) -> String {
    let d = match outcome {
        Outcome::Done(a) => dump(a),
        Outcome::Failed {
            path,
            error,
            failure,
        } => failed(path, error, failure.as_ref()),
    };
    // String keys only: serialising cannot fail.
    serde_json::to_string(&d).unwrap_or_else(|_| "null".into())
}

/// Writes the whole document (pretty-printed) to `w`.
pub fn write(outcomes: &[Outcome], w: impl std::io::Write) -> serde_json::Result<()> {
    let doc = Doc {
        schema: SCHEMA,
        dumps: outcomes
            .iter()
            .map(|o| match o {
                Outcome::Done(a) => dump(a),
                Outcome::Failed {
                    path,
                    error,
                    failure,
                } => failed(path, error, failure.as_ref()),
            })
            .collect(),
        groups: crate::groups(outcomes)
            .into_iter()
            .map(|(bucket, paths)| Group {
                bucket,
                dumps: paths.iter().map(|p| p.display().to_string()).collect(),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(w, &doc)
}

/// The whole document as a string.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail; serialising these types cannot fail either.
    let _ = write(outcomes, &mut out);
    out.push(b'\n');
    String::from_utf8(out).unwrap_or_default()
}
