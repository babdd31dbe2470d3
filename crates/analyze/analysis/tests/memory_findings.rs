//! The memory findings (issue 15) on synthetic 32-bit address spaces whose numbers are known:
//! a fragmented address space, an exhausted one, a heap grown huge, exhausted commit (by the
//! job's limit, and inferred when the address space had room), .NET's E_OUTOFMEMORY, and a
//! handle leak in a dump taken on demand. Each checks the cause, the numbers in the typed
//! detail, the ranking (the verdict) and the words that carry the numbers.

use coroner_analysis::memory_findings::{
    OomSource, PressureCause, E_OUTOFMEMORY, HANDLE_TYPE_THRESHOLD, STATUS_NO_MEMORY,
};
use coroner_analysis::{analyze, Analysis, Detail, FindingKind, Options};
use coroner_model::*;

const MB: u64 = 1 << 20;
const HEAP: u64 = 0x0015_0000;

fn region(base: u64, size: u64, state: u32, kind: u32) -> Region {
    Region {
        base,
        size,
        allocation_base: base,
        allocation_protect: 0x04,
        state,
        protect: if state == MEM_COMMIT { 0x04 } else { 0x01 },
        kind,
        mapped_path: None,
    }
}

/// A 2 GB address space from 0x10000: a process heap of `heap` bytes at [`HEAP`], then
/// `busy` bytes of private memory cut by `holes` free regions of `hole` bytes each, then one
/// free region with the rest (`tail`: none when 0). Returns the regions and the free bytes.
fn space(heap: u64, holes: u64, hole: u64, busy: u64, tail: u64) -> Vec<Region> {
    let mut v = vec![region(0x10000, HEAP - 0x10000, MEM_COMMIT, MEM_PRIVATE)];
    v.push(region(HEAP, heap, MEM_COMMIT, MEM_PRIVATE));
    let mut at = HEAP + heap;
    let chunk = busy / (holes + 1);
    for _ in 0..holes {
        v.push(region(at, chunk, MEM_COMMIT, MEM_PRIVATE));
        at += chunk;
        v.push(region(at, hole, MEM_FREE, 0));
        at += hole;
    }
    v.push(region(at, chunk, MEM_COMMIT, MEM_PRIVATE));
    at += chunk;
    if tail > 0 {
        v.push(region(at, tail, MEM_FREE, 0));
    }
    v
}

fn snapshot(regions: Vec<Region>, exception: Option<(u32, Vec<u64>)>) -> Snapshot<'static> {
    let exception = exception.map(|(code, params)| ExceptionRecord {
        code,
        flags: 1,
        address: 0x0040_1000,
        params,
        thread_id: 1,
        nested_record: 0,
        reason: String::new(),
        crash_address: 0,
    });
    Snapshot {
        path: "memory.dmp".into(),
        container: "minidump".into(),
        dump_flags: 0,
        system: SystemInfo {
            os: OsFamily::Windows,
            os_name: "Windows NT".into(),
            os_version: "5.2.3790".into(),
            arch: Arch::X86,
            cpu_info: None,
            cpu_count: 1,
        },
        process: ProcessInfo {
            name: Some("w3wp.exe".into()),
            heaps: Some(vec![HEAP]),
            ..ProcessInfo::default()
        },
        exception,
        exception_context: None,
        threads: vec![],
        modules: vec![],
        unloaded_modules: vec![],
        regions,
        regions_source: Some("MemoryInfoList"),
        memory: AddressSpace::new(vec![]),
        handle_count: None,
        handles: vec![],
        comments: vec![],
        warnings: vec![],
        streams: vec![],
        damage: None,
        module_index: Default::default(),
    }
}

/// An access violation reading address 0.
fn null_read() -> Option<(u32, Vec<u64>)> {
    Some((0xC000_0005, vec![0, 0]))
}

fn run(snap: &Snapshot<'_>) -> Analysis {
    analyze(snap, &Options::default())
}

fn oom(a: &Analysis) -> (OomSource, coroner_analysis::memory_findings::Pressure) {
    let f = a
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::OutOfMemory)
        .unwrap_or_else(|| panic!("no out_of_memory in {:?}", a.findings));
    match &f.detail {
        Detail::OutOfMemory { source, pressure } => (*source, pressure.clone()),
        d => panic!("detail {d:?}"),
    }
}

fn words(a: &Analysis) -> coroner_report::phrase::Words {
    coroner_report::phrase::finding(a, &a.findings[0], coroner_report::phrase::Lang::En)
}

#[test]
fn a_null_fault_in_a_fragmented_address_space_is_out_of_memory() {
    // 300 holes of 512 kB and one free tail of 40 MB: 190 MB free, none of it in one piece of
    // 64 MB.
    let regions = space(100 * MB, 300, 512 << 10, 1700 * MB, 40 * MB);
    let a = run(&snapshot(regions, null_read()));
    assert_eq!(a.findings[0].kind, FindingKind::OutOfMemory, "the verdict");
    assert!(
        a.has(FindingKind::NullPointer),
        "the NULL dereference stays"
    );
    let (source, p) = oom(&a);
    assert_eq!(source, OomSource::NullInExhaustedProcess);
    assert_eq!(p.cause, Some(PressureCause::AddressSpaceFragmented));
    assert_eq!(p.largest_free, Some(40 * MB));
    assert_eq!(p.free_total, Some(40 * MB + 300 * (512 << 10)));
    assert_eq!(p.free_below_1mb, Some((300, 300 * (512 << 10))));
    assert_eq!(a.classification.as_deref(), Some("OUT_OF_MEMORY"));
    // The bucket keeps what every dump type shows: the NULL read.
    assert!(a
        .bucket
        .as_deref()
        .unwrap()
        .starts_with("NULL_POINTER_READ"));
    let w = words(&a);
    assert!(w.title.contains("fragmented"), "{}", w.title);
    assert!(w.title.contains("unchecked allocation"), "{}", w.title);
    assert!(w.title.contains("dereferenced"), "{}", w.title);
    assert!(
        w.evidence
            .iter()
            .any(|e| e == "largest free region: 40.000 MB (threshold 64.000 MB)"),
        "{:?}",
        w.evidence
    );
    assert!(
        w.evidence
            .iter()
            .any(|e| e == "free regions below 1 MB: 300 (150.000 MB)"),
        "{:?}",
        w.evidence
    );
    assert!(w.recommendation.contains("gflags /i w3wp.exe +ust"));
}

#[test]
fn a_null_fault_with_room_to_spare_is_only_a_null_pointer() {
    let regions = space(100 * MB, 3, 512 << 10, 500 * MB, 900 * MB);
    let a = run(&snapshot(regions, null_read()));
    assert!(!a.has(FindingKind::OutOfMemory), "{:?}", a.findings);
    assert!(a.has(FindingKind::NullPointer));
}

#[test]
fn an_exhausted_address_space_is_told_from_a_fragmented_one() {
    // 10 holes of 512 kB and a 20 MB tail: 25 MB free in all.
    let regions = space(100 * MB, 10, 512 << 10, 1900 * MB, 20 * MB);
    let a = run(&snapshot(regions, Some((STATUS_NO_MEMORY, vec![]))));
    let (source, p) = oom(&a);
    assert_eq!(source, OomSource::StatusNoMemory);
    assert_eq!(p.cause, Some(PressureCause::AddressSpaceExhausted));
    assert_eq!(p.free_total, Some(25 * MB));
    assert_eq!(a.findings[0].kind, FindingKind::OutOfMemory);
    // STATUS_NO_MEMORY is in every dump type's exception record: it names the bucket.
    assert!(a
        .bucket
        .as_deref()
        .unwrap()
        .starts_with("OUT_OF_MEMORY_c0000017"));
    assert!(words(&a).title.contains("address space exhausted"));
}

#[test]
fn a_heap_grown_huge_is_a_leak_not_fragmentation() {
    // The heap holds 1.2 GB of 1.6 GB committed; 300 MB free in one piece.
    let regions = space(1200 * MB, 0, 0, 300 * MB, 300 * MB);
    let a = run(&snapshot(regions, Some((STATUS_NO_MEMORY, vec![]))));
    let (_, p) = oom(&a);
    assert_eq!(p.cause, Some(PressureCause::HeapGrown));
    assert_eq!(p.heap_bytes, Some(1200 * MB));
    assert_eq!(p.largest_heap, Some((HEAP, 1200 * MB)));
    assert!(a.has(FindingKind::MemoryGrowth), "{:?}", a.findings);
    let w = words(&a);
    assert!(w.title.contains("one heap grown huge"), "{}", w.title);
    assert!(w
        .evidence
        .iter()
        .any(|e| e.starts_with("process heaps: 1.172 GB")));
}

#[test]
fn commit_exhaustion_is_told_from_the_address_space() {
    // Plenty of address space, a small heap: the allocation failed on commit.
    let regions = space(50 * MB, 0, 0, 300 * MB, 1200 * MB);
    let snap = snapshot(regions.clone(), Some((STATUS_NO_MEMORY, vec![])));
    let (_, p) = oom(&run(&snap));
    assert_eq!(
        p.cause,
        Some(PressureCause::CommitExhausted { measured: false })
    );
    // With the job's limit in the VM counters, measured.
    let mut snap = snapshot(regions, null_read());
    snap.process.vm_counters = Some(VmCounters {
        revision: 2,
        private_usage: 399 * MB,
        job_private_commit_limit: Some(400 * MB),
        ..VmCounters::default()
    });
    let a = run(&snap);
    let (source, p) = oom(&a);
    assert_eq!(source, OomSource::NullInExhaustedProcess);
    assert_eq!(
        p.cause,
        Some(PressureCause::CommitExhausted { measured: true })
    );
    assert_eq!(p.commit_limit, Some(400 * MB));
    assert!(words(&a).description.contains("399.000 MB"));
}

#[test]
fn dotnet_out_of_memory_is_read_from_the_hresult() {
    let regions = space(50 * MB, 0, 0, 300 * MB, 1200 * MB);
    let params = vec![u64::from(E_OUTOFMEMORY), 0, 0, 0, 0x7900_0000];
    let a = run(&snapshot(regions.clone(), Some((0xE043_4352, params))));
    assert_eq!(oom(&a).0, OomSource::ClrOutOfMemory);
    assert_eq!(a.findings[0].kind, FindingKind::OutOfMemory);
    // Another HRESULT is a CLR exception, not out of memory.
    let params = vec![0x8000_4005, 0, 0, 0, 0x7900_0000];
    let a = run(&snapshot(regions, Some((0xE043_4352, params))));
    assert!(!a.has(FindingKind::OutOfMemory));
}

#[test]
fn a_handle_leak_is_the_verdict_of_a_dump_taken_on_demand() {
    let regions = space(50 * MB, 0, 0, 300 * MB, 1200 * MB);
    let mut snap = snapshot(regions, None);
    let handle = |i: usize, t: &str, name: Option<&str>| Handle {
        handle: 4 * i as u64 + 4,
        type_name: Some(t.into()),
        object_name: name.map(String::from),
        attributes: 0,
        granted_access: 0,
        handle_count: 1,
        pointer_count: 1,
    };
    snap.handles = (0..6000)
        .map(|i| handle(i, "Event", Some("\\BaseNamedObjects\\LeakyEvent")))
        .chain((6000..6200).map(|i| handle(i, "File", None)))
        .collect();
    snap.handle_count = Some(snap.handles.len());
    let a = run(&snap);
    assert_eq!(
        a.findings[0].kind,
        FindingKind::HandleLeak,
        "{:?}",
        a.findings
    );
    let Detail::HandleLeak(h) = &a.findings[0].detail else {
        panic!()
    };
    assert_eq!(h.total, 6200);
    assert_eq!(h.top_types[0], ("Event".to_string(), 6000));
    assert_eq!(h.top_names[0].1, 6000);
    assert_eq!(h.type_threshold, HANDLE_TYPE_THRESHOLD);
    let rows = coroner_report::phrase::summary(&a, coroner_report::phrase::Lang::En);
    let verdict = rows
        .iter()
        .find(|r| r.0 == "Verdict")
        .expect("a verdict row");
    assert_eq!(
        verdict.1,
        "Handle leak: 6200 handles open (6000 Event, 200 File)"
    );
    // Below the thresholds: nothing.
    snap.handles.truncate(4000);
    snap.handle_count = Some(4000);
    assert!(!run(&snap).has(FindingKind::HandleLeak));
}

/// A mapped PE32 image of `size` bytes at `base` exporting `name` at RVA 0x2000 (headers,
/// export directory and a `ret` there; no sections).
fn dll_exporting(base: u64, size: usize, dll: &str, name: &str) -> Vec<u8> {
    let mut b = vec![0u8; size];
    let put16 = |b: &mut Vec<u8>, o: usize, v: u16| b[o..o + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
    b[0..2].copy_from_slice(b"MZ");
    put32(&mut b, 0x3c, 0x80);
    b[0x80..0x84].copy_from_slice(b"PE\0\0");
    put16(&mut b, 0x84, 0x14c); // i386
    put16(&mut b, 0x94, 0xe0); // SizeOfOptionalHeader
    put16(&mut b, 0x96, 0x2102); // DLL, 32-bit, executable
    let o = 0x98;
    put16(&mut b, o, 0x10b);
    put32(&mut b, o + 28, base as u32);
    put32(&mut b, o + 32, 0x1000);
    put32(&mut b, o + 36, 0x200);
    put32(&mut b, o + 56, size as u32);
    put32(&mut b, o + 60, 0x400);
    put16(&mut b, o + 68, 2);
    put32(&mut b, o + 92, 16);
    put32(&mut b, o + 96, 0x1000); // export directory
    put32(&mut b, o + 100, 0x100);
    let e = 0x1000;
    put32(&mut b, e + 12, 0x1080);
    put32(&mut b, e + 16, 1);
    put32(&mut b, e + 20, 1);
    put32(&mut b, e + 24, 1);
    put32(&mut b, e + 28, 0x1040);
    put32(&mut b, e + 32, 0x1050);
    put32(&mut b, e + 36, 0x1060);
    put32(&mut b, 0x1040, 0x2000);
    put32(&mut b, 0x1050, 0x1070);
    b[0x1070..0x1070 + name.len()].copy_from_slice(name.as_bytes());
    b[0x1080..0x1080 + dll.len()].copy_from_slice(dll.as_bytes());
    b[0x2000] = 0xc3;
    b
}

fn module(base: u64, size: u64, name: &str) -> Module {
    Module {
        base,
        size,
        path: format!("C:\\WINDOWS\\system32\\{name}"),
        name: name.into(),
        timestamp: 0,
        checksum: 0,
        file_version: None,
        product_version: None,
        file_flags: None,
        file_os: None,
        file_type: None,
        debug_file: None,
        debug_id: None,
        code_id: None,
        is_main: name.ends_with(".exe"),
    }
}

#[test]
fn a_null_dereference_right_after_heap_alloc_returned_null_is_out_of_memory() {
    const K32: u64 = 0x7c80_0000;
    const APP: u64 = 0x0040_0000;
    let k32 = dll_exporting(K32, 0x3000, "kernel32.dll", "HeapAlloc");
    // app.exe at 0x401000: call dword ptr [00401100] (its import slot for HeapAlloc), then
    // mov ecx,dword ptr [eax]: the fault, with eax = 0.
    let mut app = vec![0u8; 0x1200];
    app[0x1000..0x1008].copy_from_slice(&[0xff, 0x15, 0x00, 0x11, 0x40, 0x00, 0x8b, 0x08]);
    app[0x1100..0x1104].copy_from_slice(&(K32 as u32 + 0x2000).to_le_bytes());
    let k32: &'static [u8] = Box::leak(k32.into_boxed_slice());
    let app: &'static [u8] = Box::leak(app.into_boxed_slice());
    // Plenty of address space: only the call shows the failed allocation.
    let mut snap = snapshot(space(50 * MB, 0, 0, 300 * MB, 1200 * MB), null_read());
    snap.exception.as_mut().unwrap().address = 0x0040_1006;
    snap.exception_context = Some(Context {
        arch: Arch::X86,
        regs: vec![
            ("eax", 0),
            ("ebx", 0),
            ("ecx", 0x1234),
            ("edx", 0),
            ("esi", 0),
            ("edi", 0),
            ("eip", 0x0040_1006),
            ("esp", 0x0012_f000),
            ("ebp", 0x0012_f010),
        ],
        flags: Some(0x246),
        segments: None,
    });
    snap.modules = vec![
        module(APP, 0x1200, "app.exe"),
        module(K32, 0x3000, "kernel32.dll"),
    ];
    snap.memory = AddressSpace::new(vec![
        MemoryRange {
            base: APP,
            bytes: app,
        },
        MemoryRange {
            base: K32,
            bytes: k32,
        },
    ]);
    let a = run(&snap);
    let call = a
        .memory
        .allocation_call
        .as_ref()
        .expect("the allocator call");
    assert_eq!(call.call, 0x0040_1000);
    assert_eq!(call.function, "kernel32!HeapAlloc");
    assert_eq!(call.register, "eax");
    assert_eq!(oom(&a).0, OomSource::NullFromAllocator);
    assert_eq!(a.findings[0].kind, FindingKind::OutOfMemory);
    let w = words(&a);
    assert!(
        w.title.contains("unchecked allocation result"),
        "{}",
        w.title
    );
    assert!(
        w.description.contains("kernel32!HeapAlloc returned NULL"),
        "{}",
        w.description
    );
    // The same fault after a call to something else is a plain NULL pointer.
    let other = dll_exporting(K32, 0x3000, "kernel32.dll", "GetTickCount");
    snap.memory = AddressSpace::new(vec![
        MemoryRange {
            base: APP,
            bytes: app,
        },
        MemoryRange {
            base: K32,
            bytes: Box::leak(other.into_boxed_slice()),
        },
    ]);
    let a = run(&snap);
    assert!(a.memory.allocation_call.is_none());
    assert!(!a.has(FindingKind::OutOfMemory), "{:?}", a.findings);
}
