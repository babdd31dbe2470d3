//! A synthetic address space of many regions, for the `!address -summary` test and benchmark.

use coroner_model::*;

/// A snapshot of `n` regions alternating busy (private, mapped, image) and free, with one
/// thread whose stack and TEB lie among them and one heap.
pub fn many_regions(n: usize) -> Snapshot<'static> {
    let mut regions = Vec::with_capacity(n);
    let mut base = 0x10000u64;
    for i in 0..n {
        let size = 0x1000 * (1 + (i as u64 * 7919) % 300);
        let (state, kind, protect) = match i % 4 {
            0 => (MEM_FREE, 0, 0x01),
            1 => (MEM_COMMIT, MEM_PRIVATE, 0x04),
            2 => (MEM_RESERVE, MEM_MAPPED, 0),
            _ => (MEM_COMMIT, MEM_IMAGE, 0x20),
        };
        regions.push(Region {
            base,
            size,
            allocation_base: base,
            allocation_protect: 0x04,
            state,
            protect,
            kind,
            mapped_path: None,
        });
        base += size;
    }
    let stack = regions[5].base;
    let teb = regions[9].base;
    let heap = regions[13].base;
    let thread = Thread {
        index: 0,
        id: 1,
        name: None,
        teb: Some(teb),
        stack_start: stack,
        stack_len: 0x1000,
        stack_base: None,
        stack_limit: None,
        context: None,
        times: None,
        last_error: None,
        scheduling: None,
    };
    Snapshot {
        path: "many.dmp".into(),
        container: "minidump".into(),
        dump_flags: 0,
        system: SystemInfo {
            os: OsFamily::Windows,
            os_name: "Windows NT".into(),
            os_version: "10.0".into(),
            arch: Arch::X86,
            cpu_info: None,
            cpu_count: 1,
        },
        process: ProcessInfo {
            heaps: Some(vec![heap]),
            ..ProcessInfo::default()
        },
        exception: None,
        exception_context: None,
        threads: vec![thread],
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
