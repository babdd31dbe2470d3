//! Parses the generated dumps with the `minidump` crate and checks the
//! structures an analyser relies on, including an EBP-chain walk with
//! exception-dispatch handling that must reproduce the truth frames.

use minidump::{
    Minidump, MinidumpException, MinidumpMemory64List, MinidumpMemoryInfoList, MinidumpMemoryList,
    MinidumpMiscInfo, MinidumpModuleList, MinidumpSystemInfo, MinidumpThreadInfoList,
    MinidumpThreadList, Module,
};

use coroner_synth::{
    reference_set, write_big, FrameKind, NullWriteCase, ReferenceCase, SynthError, Truth,
};

struct Mem {
    ranges: Vec<(u64, Vec<u8>)>,
}

impl Mem {
    fn of(d: &Minidump<'_, Vec<u8>>) -> Mem {
        let ml: MinidumpMemoryList = d.get_stream().expect("memory list");
        Mem {
            ranges: ml
                .iter()
                .map(|m| (m.base_address, m.bytes.to_vec()))
                .collect(),
        }
    }
    fn read(&self, addr: u64, len: usize) -> Option<&[u8]> {
        self.ranges.iter().find_map(|(b, v)| {
            if addr >= *b && addr + len as u64 <= *b + v.len() as u64 {
                let o = (addr - b) as usize;
                Some(&v[o..o + len])
            } else {
                None
            }
        })
    }
    fn u32(&self, addr: u64) -> Option<u32> {
        self.read(addr, 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u16(&self, addr: u64) -> Option<u16> {
        self.read(addr, 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    fn cstr(&self, addr: u64) -> String {
        let mut s = String::new();
        let mut a = addr;
        while let Some(b) = self.read(a, 1) {
            if b[0] == 0 {
                break;
            }
            s.push(b[0] as char);
            a += 1;
        }
        s
    }
    fn unicode_string(&self, addr: u64) -> Option<String> {
        let len = self.u16(addr)? as usize;
        let buf = self.u32(addr + 4)? as u64;
        let b = self.read(buf, len)?;
        let w: Vec<u16> = b
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&w))
    }
}

/// Exports of a module parsed from the in-memory PE image: (name, rva).
fn exports(mem: &Mem, base: u64) -> Vec<(String, u32)> {
    let lfanew = mem.u32(base + 0x3c).expect("e_lfanew") as u64;
    assert_eq!(mem.read(base + lfanew, 4), Some(&b"PE\0\0"[..]));
    let dd = base + lfanew + 24 + 96;
    let rva = mem.u32(dd).unwrap() as u64;
    if rva == 0 {
        return Vec::new();
    }
    let size = mem.u32(dd + 4).unwrap();
    let d = base + rva;
    let nnames = mem.u32(d + 24).unwrap() as u64;
    let funcs = base + mem.u32(d + 28).unwrap() as u64;
    let names = base + mem.u32(d + 32).unwrap() as u64;
    let ords = base + mem.u32(d + 36).unwrap() as u64;
    (0..nnames)
        .filter_map(|i| {
            let name = mem.cstr(base + mem.u32(names + 4 * i).unwrap() as u64);
            let ord = mem.u16(ords + 2 * i).unwrap() as u64;
            let f = mem.u32(funcs + 4 * ord).unwrap();
            // skip forwarders (rva inside the export directory)
            if (f as u64) >= rva && (f as u64) < rva + size as u64 {
                None
            } else {
                Some((name, f))
            }
        })
        .collect()
}

type ModExports = (String, u64, u64, Vec<(String, u32)>);

struct Sym {
    mods: Vec<ModExports>,
}

impl Sym {
    fn new(d: &Minidump<'_, Vec<u8>>, mem: &Mem) -> Sym {
        let ml: MinidumpModuleList = d.get_stream().unwrap();
        Sym {
            mods: ml
                .iter()
                .map(|m| {
                    let file = m.name.rsplit('\\').next().unwrap_or("").to_string();
                    let stem = file
                        .rsplit_once('.')
                        .map(|x| x.0)
                        .unwrap_or(&file)
                        .to_string();
                    (
                        stem,
                        m.raw.base_of_image,
                        m.raw.size_of_image as u64,
                        exports(mem, m.raw.base_of_image),
                    )
                })
                .collect(),
        }
    }
    fn sym(&self, addr: u64) -> String {
        for (name, base, size, ex) in &self.mods {
            if addr >= *base && addr < base + size {
                let rva = (addr - base) as u32;
                return match ex.iter().filter(|(_, r)| *r <= rva).max_by_key(|(_, r)| *r) {
                    Some((n, r)) if *r == rva => format!("{name}!{n}"),
                    Some((n, r)) => format!("{name}!{n}+{:#x}", rva - r),
                    None => format!("{name}+{rva:#x}"),
                };
            }
        }
        format!("{addr:#010x}")
    }
}

/// EBP walker with KiUserExceptionDispatcher handling and a leaf heuristic
/// for threads sitting in KiFastSystemCallRet.
fn walk(mem: &Mem, sym: &Sym, eip: u32, esp: u32, ebp: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut ip = eip;
    let mut ebp = ebp;
    if sym.sym(ip as u64) == "ntdll!KiFastSystemCallRet" {
        out.push(sym.sym(ip as u64));
        // [esp] = return into the syscall stub (frameless), [esp+4] = its caller.
        out.push(sym.sym(mem.u32(esp as u64).unwrap() as u64));
        ip = mem.u32(esp as u64 + 4).unwrap();
    }
    let mut guard = 0;
    loop {
        guard += 1;
        assert!(guard < 200, "walk does not terminate");
        let s = sym.sym(ip as u64);
        out.push(s.clone());
        let ret = mem.u32(ebp as u64 + 4).unwrap();
        let next_ebp = mem.u32(ebp as u64).unwrap();
        if ret == 0 {
            break;
        }
        if sym.sym(ret as u64) == "ntdll!KiUserExceptionDispatcher+0xe" {
            // Current frame is RtlDispatchException: 2nd argument = CONTEXT*.
            out.push(sym.sym(ret as u64));
            let ctx = mem.u32(ebp as u64 + 0xc).unwrap() as u64;
            // and the dispatcher's own [esp+4] holds the same pointer
            assert_eq!(mem.u32(ebp as u64 + 0x14).unwrap() as u64, ctx);
            assert_eq!(mem.u32(ctx).unwrap(), 0x1003f);
            ip = mem.u32(ctx + 0xb8).unwrap();
            ebp = mem.u32(ctx + 0xb4).unwrap();
            assert_eq!(
                next_ebp, ebp,
                "RtlDispatchException saved ebp = faulting ebp"
            );
            continue;
        }
        ip = ret;
        ebp = next_ebp;
    }
    out
}

fn symbols(frames: &[coroner_synth::TruthFrame]) -> Vec<String> {
    frames.iter().map(|f| f.symbol.clone()).collect()
}

fn check_common(bytes: Vec<u8>, truth: &Truth) {
    let d = Minidump::read(bytes).expect("parse");
    let mem = Mem::of(&d);
    let sym = Sym::new(&d, &mem);
    let sys: MinidumpSystemInfo = d.get_stream().unwrap();
    assert_eq!(sys.raw.processor_architecture, 0);
    assert_eq!(
        (
            sys.raw.major_version,
            sys.raw.minor_version,
            sys.raw.build_number,
            sys.raw.platform_id
        ),
        (5, 2, 3790, 2)
    );
    assert_eq!(sys.csd_version().as_deref(), Some("Service Pack 1"));
    let misc: MinidumpMiscInfo = d.get_stream().unwrap();
    assert_eq!(*misc.raw.process_id().unwrap(), truth.pid);

    let exc: MinidumpException = d.get_stream().unwrap();
    assert_eq!(exc.thread_id, truth.thread_id);
    let er = &exc.raw.exception_record;
    assert_eq!(er.exception_code, 0xc000_0005);
    assert_eq!(er.exception_flags, 0);
    assert_eq!(er.exception_address, truth.exception_address as u64);
    assert_eq!(er.number_parameters, 2);
    assert_eq!(
        [
            er.exception_information[0] as u32,
            er.exception_information[1] as u32
        ],
        [truth.exception_params[0], truth.exception_params[1]]
    );
    let ctx = exc.context(&sys, Some(&misc)).expect("exception context");
    assert_eq!(
        ctx.get_instruction_pointer(),
        truth.exception_address as u64
    );
    match &ctx.raw {
        minidump::MinidumpRawContext::X86(c) => {
            assert_eq!(
                (c.cs, c.ds, c.es, c.ss, c.fs, c.gs),
                (0x1b, 0x23, 0x23, 0x23, 0x3b, 0)
            );
            assert_eq!(c.context_flags, 0x1003f);
            assert_eq!(c.eflags & 0x200, 0x200);
        }
        _ => panic!("not an x86 context"),
    }

    let threads: MinidumpThreadList = d.get_stream().unwrap();
    assert!(threads.threads.len() >= 8);
    assert_eq!(
        threads.threads[truth.thread_index].raw.thread_id,
        truth.thread_id
    );
    let infos: MinidumpThreadInfoList = d.get_stream().unwrap();
    assert!(infos.get_thread_info(truth.thread_id).is_some());

    // Every thread walks to its truth frames; TEBs are consistent.
    for (i, t) in threads.threads.iter().enumerate() {
        let c = t.context(&sys, Some(&misc)).expect("thread context");
        let eip = c.get_instruction_pointer() as u32;
        let esp = c.get_stack_pointer() as u32;
        let ebp = c.get_register_always("ebp") as u32;
        let tt = &truth.threads[i];
        assert_eq!((tt.id, tt.esp, tt.eip), (t.raw.thread_id, esp, eip));
        assert_eq!(
            walk(&mem, &sym, eip, esp, ebp),
            symbols(&tt.frames),
            "thread {i}"
        );
        let teb = t.raw.teb;
        assert_eq!(mem.u32(teb + 4), Some(tt.stack_base));
        assert_eq!(mem.u32(teb + 8), Some(tt.stack_limit));
        assert_eq!(mem.u32(teb + 0x18), Some(teb as u32));
        assert_eq!(mem.u32(teb + 0x20), Some(truth.pid));
        assert_eq!(mem.u32(teb + 0x24), Some(t.raw.thread_id));
        assert_eq!(mem.u32(teb + 0x30), Some(0x7ffd_f000));
        // SEH chain terminates
        let mut r = mem.u32(teb).unwrap();
        let mut n = 0;
        while r != 0xffff_ffff {
            assert!(
                r >= tt.esp && r < tt.stack_base,
                "registration inside stack"
            );
            r = mem.u32(r as u64).unwrap();
            n += 1;
            assert!(n < 100);
        }
        // Stack memory descriptor covers [esp, stack_base)
        assert_eq!(t.raw.stack.start_of_memory_range, esp as u64);
        assert_eq!(
            t.raw.stack.start_of_memory_range + t.raw.stack.memory.data_size as u64,
            tt.stack_base as u64
        );
    }

    // PEB and process parameters.
    let params = mem.u32(0x7ffd_f000 + 0x10).unwrap() as u64;
    assert_eq!(
        mem.unicode_string(params + 0x40).unwrap(),
        truth.command_line
    );
    assert_eq!(
        mem.unicode_string(params + 0x38).unwrap(),
        "c:\\windows\\system32\\inetsrv\\w3wp.exe"
    );
    let nheaps = mem.u32(0x7ffd_f000 + 0x88).unwrap();
    let heaps = mem.u32(0x7ffd_f000 + 0x90).unwrap() as u64;
    let list: Vec<u32> = (0..nheaps as u64)
        .map(|i| mem.u32(heaps + 4 * i).unwrap())
        .collect();
    assert!(list.len() >= 10);
    if let Some(h) = truth.dead_heap {
        assert!(!list.contains(&h), "dead heap must not be in ProcessHeaps");
    }
    for h in &list {
        assert_eq!(
            mem.u32(*h as u64 + 8),
            Some(0xeeff_eeff),
            "live heap signature"
        );
    }

    // Memory info: every dumped byte lies in committed memory, images are MEM_IMAGE.
    let mi: MinidumpMemoryInfoList = d.get_stream().unwrap();
    let infos: Vec<_> = mi.iter().collect();
    assert!(infos.len() > 60);
    for w in infos.windows(2) {
        assert_eq!(
            w[0].raw.base_address + w[0].raw.region_size,
            w[1].raw.base_address
        );
    }
    for (b, v) in &mem.ranges {
        let r = mi
            .memory_info_at_address(*b)
            .expect("info for dumped range");
        assert_eq!(r.raw.state, 0x1000, "dumped range {b:#x} is committed");
        let e = mi
            .memory_info_at_address(b + v.len() as u64 - 1)
            .expect("info for end");
        assert_eq!(e.raw.state, 0x1000);
    }
    let ml: MinidumpModuleList = d.get_stream().unwrap();
    for m in ml.iter() {
        let r = mi.memory_info_at_address(m.raw.base_of_image).unwrap();
        assert_eq!(r.raw._type, 0x100_0000);
        assert_eq!(r.raw.allocation_base, m.raw.base_of_image);
        let ts =
            mem.u32(m.raw.base_of_image + mem.u32(m.raw.base_of_image + 0x3c).unwrap() as u64 + 8);
        assert_eq!(ts, Some(m.raw.time_date_stamp));
    }
}

/// VS_VERSIONINFO string value from an in-memory resource directory.
fn version_string(mem: &Mem, base: u64, key: &str) -> Option<String> {
    let lfanew = mem.u32(base + 0x3c)? as u64;
    let rsrc = base + mem.u32(base + lfanew + 24 + 96 + 16)? as u64;
    // root -> RT_VERSION -> id -> lang -> data entry
    let mut dir = rsrc;
    for want in [16u32, 1, 0x409] {
        let n = mem.u16(dir + 12)? as u64 + mem.u16(dir + 14)? as u64;
        let mut found = None;
        for i in 0..n {
            let e = dir + 16 + 8 * i;
            if mem.u32(e)? == want {
                found = Some(mem.u32(e + 4)?);
            }
        }
        let off = found?;
        dir = rsrc + (off & 0x7fff_ffff) as u64;
    }
    let blob = base + mem.u32(dir)? as u64;
    let len = mem.u32(dir + 4)? as usize;
    let data = mem.read(blob, len)?;
    let words: Vec<u16> = data
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16_lossy(&words);
    let i = text.find(key)?;
    let rest = &text[i + key.len()..];
    let rest = rest.trim_start_matches('\0');
    Some(rest.split('\0').next()?.to_string())
}

#[test]
fn reference_default() {
    let rc = ReferenceCase::default();
    let g = rc.generate().unwrap();
    let t = &g.truth;
    assert_eq!(t.exception_address, 0x7c82_a150);
    assert_eq!(t.exception_params, vec![0, 0x0390_0010]);
    assert_eq!(t.free_region, Some((0x038f_2000, 0x1e000)));
    check_common(g.dump.clone(), t);

    let d = Minidump::read(g.dump).unwrap();
    let mem = Mem::of(&d);
    // faulting instruction bytes
    assert_eq!(mem.read(0x7c82_a150, 3), Some(&[0x0b, 0x43, 0x10][..]));
    let exc: MinidumpException = d.get_stream().unwrap();
    let sys: MinidumpSystemInfo = d.get_stream().unwrap();
    let ctx = exc.context(&sys, None).unwrap();
    assert_eq!(ctx.get_register_always("ebx"), 0x0390_0000);
    // 03900010 is MEM_FREE / PAGE_NOACCESS in 038f2000+1e000
    let mi: MinidumpMemoryInfoList = d.get_stream().unwrap();
    let r = mi.memory_info_at_address(0x0390_0010).unwrap();
    assert_eq!(
        (
            r.raw.base_address,
            r.raw.region_size,
            r.raw.state,
            r.raw.protection
        ),
        (0x038f_2000, 0x1e000, 0x10000, 0x01)
    );
    assert!(mem.read(0x0390_0010, 4).is_none());
    // ABCUpload4 module entry and in-memory PE
    let ml: MinidumpModuleList = d.get_stream().unwrap();
    let names: Vec<String> = ml
        .iter()
        .map(|m| m.name.rsplit('\\').next().unwrap().to_string())
        .collect();
    for n in [
        "w3wp.exe",
        "ntdll.dll",
        "kernel32.dll",
        "msvcrt.dll",
        "ole32.dll",
        "asp.dll",
        "ABCUpload4.dll",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing");
    }
    let abc = ml
        .iter()
        .find(|m| m.name.ends_with("ABCUpload4.dll"))
        .unwrap();
    assert_eq!(abc.raw.base_of_image, 0x1000_0000);
    assert_eq!(abc.raw.checksum, 0);
    assert!(
        (978_307_200..1_009_843_200).contains(&abc.raw.time_date_stamp),
        "2001"
    );
    assert_eq!(abc.version().as_deref(), Some("4.1.0.2"));
    let nt = ml.iter().find(|m| m.name.ends_with("ntdll.dll")).unwrap();
    assert_eq!(nt.version().as_deref(), Some("5.2.3790.1830"));
    assert!(nt.debug_file().is_some());
    let mut ex: Vec<String> = exports(&mem, 0x1000_0000)
        .into_iter()
        .map(|e| e.0)
        .collect();
    ex.sort();
    assert_eq!(
        ex,
        [
            "DllCanUnloadNow",
            "DllGetClassObject",
            "DllRegisterServer",
            "DllUnregisterServer"
        ]
    );
    assert_eq!(
        version_string(&mem, 0x1000_0000, "CompanyName").as_deref(),
        Some("ABC Components Ltd.")
    );
    assert_eq!(
        version_string(&mem, 0x1000_0000, "ProductName").as_deref(),
        Some("ABCUpload")
    );
    assert_eq!(
        version_string(&mem, 0x1000_0000, "LegalCopyright").as_deref(),
        Some("Copyright (C) 2001 ABC Components Ltd.")
    );
    assert_eq!(
        version_string(&mem, 0x7c80_0000, "CompanyName").as_deref(),
        Some("Microsoft Corporation")
    );
    let ntex: Vec<String> = exports(&mem, 0x7c80_0000)
        .into_iter()
        .map(|e| e.0)
        .collect();
    for n in [
        "KiUserExceptionDispatcher",
        "RtlDispatchException",
        "ExecuteHandler",
        "ExecuteHandler2",
        "RtlAllocateHeap",
        "RtlFreeHeap",
        "RtlRaiseException",
        "NtWaitForSingleObject",
        "KiFastSystemCallRet",
    ] {
        assert!(ntex.iter().any(|x| x == n), "{n}");
    }
    // kernel32!HeapAlloc forwards to ntdll
    let k = 0x77e4_0000u64;
    let lf = mem.u32(k + 0x3c).unwrap() as u64;
    let ed = k + mem.u32(k + lf + 120).unwrap() as u64;
    let n = mem.u32(ed + 24).unwrap() as u64;
    let names_t = k + mem.u32(ed + 32).unwrap() as u64;
    let funcs_t = k + mem.u32(ed + 28).unwrap() as u64;
    let ords_t = k + mem.u32(ed + 36).unwrap() as u64;
    let fwd = (0..n)
        .find(|i| mem.cstr(k + mem.u32(names_t + 4 * i).unwrap() as u64) == "HeapAlloc")
        .map(|i| {
            let ord = mem.u16(ords_t + 2 * i).unwrap() as u64;
            mem.cstr(k + mem.u32(funcs_t + 4 * ord).unwrap() as u64)
        });
    assert_eq!(fwd.as_deref(), Some("NTDLL.RtlAllocateHeap"));

    // Truth frames: the incident's kb.
    let s = symbols(&t.frames);
    assert_eq!(s[0], "ntdll!RtlAllocateHeap+0x24");
    assert_eq!(s.last().unwrap(), "kernel32!BaseThreadStart+0x34");
    assert_eq!(
        s.iter()
            .filter(|x| *x == "ntdll!RtlAllocateHeap+0x24")
            .count(),
        3
    );
    assert_eq!(
        s.iter()
            .filter(|x| *x == "ntdll!KiUserExceptionDispatcher+0xe")
            .count(),
        2
    );
    assert!(s.contains(&"ABCUpload4!DllGetClassObject+0x27107".to_string()));
}

#[test]
fn stack_exception_records() {
    for depth in 1..=5 {
        for full in [false, true] {
            let rc = ReferenceCase {
                depth,
                full_exception_record: full,
                ..Default::default()
            };
            let g = rc.generate().unwrap();
            let t = &g.truth;
            assert_eq!(t.exception_records.len() as u32, depth - 1);
            let d = Minidump::read(g.dump).unwrap();
            let mem = Mem::of(&d);
            for (k, (er, ctx)) in t.exception_records.iter().enumerate() {
                let (er, ctx) = (*er as u64, *ctx as u64);
                // KiUserExceptionDispatcher's arguments right below the record
                assert_eq!(mem.u32(er - 8), Some(er as u32));
                assert_eq!(mem.u32(er - 4), Some(ctx as u32));
                assert_eq!(ctx - er, if full { 0x50 } else { 0x1c });
                assert_eq!(mem.u32(er), Some(0xc000_0005));
                assert_eq!(mem.u32(er + 4), Some(if k == 0 { 0 } else { 0x10 }));
                assert_eq!(mem.u32(er + 12), Some(0x7c82_a150));
                assert_eq!(mem.u32(er + 16), Some(2));
                assert_eq!(mem.u32(er + 24), Some(0x0390_0010));
                assert_eq!(mem.u32(ctx), Some(0x1003f));
                assert_eq!(mem.u32(ctx + 0xb8), Some(0x7c82_a150));
                assert_eq!(mem.u32(ctx + 0xa4), Some(0x0390_0000));
                let esp = mem.u32(ctx + 0xc4).unwrap() as u64;
                assert!(esp > ctx + 0x2cc - 4 && esp < ctx + 0x2cc + 4);
            }
            let n_faults = t
                .frames
                .iter()
                .filter(|f| f.symbol == "ntdll!RtlAllocateHeap+0x24")
                .count();
            assert_eq!(n_faults as u32, depth);
            let dispatch = t
                .frames
                .iter()
                .filter(|f| matches!(f.kind, FrameKind::ExceptionDispatch { .. }))
                .count();
            assert_eq!(dispatch as u32, depth - 1);
        }
    }
}

#[test]
fn depth_two_frames() {
    let rc = ReferenceCase {
        depth: 2,
        ..Default::default()
    };
    let t = rc.truth().unwrap();
    assert_eq!(
        symbols(&t.frames),
        [
            "ntdll!RtlAllocateHeap+0x24",
            "ABCUpload4!DllGetClassObject+0x271b4",
            "ntdll!ExecuteHandler2+0x26",
            "ntdll!ExecuteHandler+0x24",
            "ntdll!RtlDispatchException+0x91",
            "ntdll!KiUserExceptionDispatcher+0xe",
            "ntdll!RtlAllocateHeap+0x24",
            "ABCUpload4!DllGetClassObject+0x27107",
            "ABCUpload4!DllGetClassObject+0x1b3e2",
            "oleaut32!DispCallFunc+0x16a",
            "asp!HttpExtensionProc+0x1c3e",
            "w3isapi!ProcessIsapiRequest+0x214",
            "w3wp+0x1b7e",
            "w3wp+0x1bd7",
            "kernel32!BaseThreadStart+0x34",
        ]
    );
}

#[test]
fn reference_set_is_deterministic_and_varied() {
    let a = reference_set().unwrap();
    let b = reference_set().unwrap();
    assert_eq!(a.len(), 6);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.name, y.name);
        assert!(x.dump == y.dump, "{} not deterministic", x.name);
        assert_eq!(x.truth, y.truth);
    }
    let refs = &a[..5];
    let depths: Vec<u32> = refs.iter().map(|e| e.truth.depth).collect();
    assert_eq!(depths, [2, 3, 4, 2, 5]);
    for i in 0..5 {
        for j in i + 1..5 {
            let (p, q) = (&refs[i].truth, &refs[j].truth);
            assert_ne!(p.pid, q.pid);
            assert_ne!(p.thread_id, q.thread_id);
            assert_ne!(p.dead_heap, q.dead_heap);
            let base = |t: &Truth| {
                t.modules
                    .iter()
                    .find(|m| m.0 == "ABCUpload4.dll")
                    .unwrap()
                    .1
            };
            assert_ne!(base(p), base(q));
        }
    }
    for e in &a {
        check_common(e.dump.clone(), &e.truth);
        // The symbolised frames never depend on the ABCUpload4 base.
        if e.truth.scenario == "abcupload-dead-heap" {
            let d = Minidump::read(e.dump.clone()).unwrap();
            let mi: MinidumpMemoryInfoList = d.get_stream().unwrap();
            let h = e.truth.dead_heap.unwrap() as u64;
            let r = mi.memory_info_at_address(h + 0x10).unwrap();
            assert_eq!(
                (r.raw.base_address, r.raw.region_size, r.raw.state),
                (h - 0xe000, 0x1e000, 0x10000)
            );
        }
    }
    let other = &a[5].truth;
    assert_eq!(other.scenario, "contoso-null-write");
    assert_eq!(other.thread_index, 7);
    assert_eq!(other.exception_params, vec![1, 0x14]);
    assert_eq!(other.faulting_module, "ContosoImage");
    assert_eq!(
        symbols(&other.frames)[..4],
        [
            "ContosoImage!DllGetClassObject+0x5b31",
            "ContosoImage!DllGetClassObject+0x3d8e",
            "asp!HttpExtensionProc+0x2d15",
            "w3isapi!ProcessIsapiRequest+0x214",
        ]
    );
    let d = Minidump::read(a[5].dump.clone()).unwrap();
    let mem = Mem::of(&d);
    assert_eq!(
        mem.read(other.exception_address as u64, 3),
        Some(&[0x89, 0x48, 0x14][..])
    );
}

#[test]
fn invalid_parameters_are_errors() {
    let bad = [
        ReferenceCase {
            depth: 0,
            ..Default::default()
        },
        ReferenceCase {
            depth: 33,
            ..Default::default()
        },
        ReferenceCase {
            heap: 0x0390_1000,
            ..Default::default()
        },
        ReferenceCase {
            abc_base: 0x1000_1000,
            ..Default::default()
        },
        ReferenceCase {
            pid: 0,
            ..Default::default()
        },
        ReferenceCase {
            thread_id: 3,
            ..Default::default()
        },
        ReferenceCase {
            time: 0,
            ..Default::default()
        },
    ];
    for rc in bad {
        assert!(
            matches!(rc.build(), Err(SynthError::InvalidParameter(_))),
            "{rc:?}"
        );
    }
    let overlap = ReferenceCase {
        abc_base: 0x7c80_0000,
        ..Default::default()
    };
    assert!(matches!(overlap.build(), Err(SynthError::Overlap { .. })));
    let overlap = ReferenceCase {
        heap: 0x0102_0000,
        ..Default::default()
    };
    assert!(overlap.build().is_err());
    // Every 64 KiB heap in a wide window either works or errors cleanly.
    for h in (0x0100_0000u32..0x0500_0000).step_by(0x10_0000) {
        let _ = ReferenceCase {
            heap: h,
            ..Default::default()
        }
        .build();
    }
    assert!(NullWriteCase {
        pid: 6,
        ..Default::default()
    }
    .generate()
    .is_err());
}

#[test]
fn big_dump() {
    let path = std::env::temp_dir().join(format!("coroner-synth-big-{}.dmp", std::process::id()));
    let size = 24 << 20;
    let info = write_big(&path, size).unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len >= size);
    assert_eq!(len, info.file_size);
    let d = Minidump::read(std::fs::read(&path).unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    let m64: MinidumpMemory64List = d.get_stream().unwrap();
    let ranges: Vec<_> = m64.iter().collect();
    assert_eq!(ranges.len(), info.memory_ranges);
    assert!(ranges.len() >= 1000);
    let total: u64 = ranges.iter().map(|r| r.size).sum();
    assert_eq!(info.base_rva + total, len);
    let mi: MinidumpMemoryInfoList = d.get_stream().unwrap();
    assert!(mi.iter().count() >= 2000);
    let code = m64.memory_at_address(info.exception_address).unwrap();
    let off = (info.exception_address - code.base_address) as usize;
    assert_eq!(&code.bytes[off..off + 4], &[0x48, 0x8b, 0x41, 0x18]);
    let exc: MinidumpException = d.get_stream().unwrap();
    assert_eq!(exc.thread_id, info.fault_thread_id);
    assert_eq!(exc.raw.exception_record.exception_information[1], 0x18);
    let sys: MinidumpSystemInfo = d.get_stream().unwrap();
    assert_eq!(sys.raw.processor_architecture, 9);
    let ctx = exc.context(&sys, None).unwrap();
    assert_eq!(ctx.get_instruction_pointer(), info.exception_address);
    let threads: MinidumpThreadList = d.get_stream().unwrap();
    let unified = d.get_memory().expect("memory");
    for t in &threads.threads {
        let s = t.stack_memory(&unified).expect("stack");
        assert!(s.bytes().iter().any(|b| *b != 0));
        let c = t.context(&sys, None).unwrap();
        assert_eq!(c.get_stack_pointer(), s.base_address());
    }
    let ml: MinidumpModuleList = d.get_stream().unwrap();
    for m in ml.iter() {
        let hdr = m64.memory_at_address(m.raw.base_of_image).unwrap();
        let o = (m.raw.base_of_image - hdr.base_address) as usize;
        assert_eq!(&hdr.bytes[o..o + 2], b"MZ");
    }
}
