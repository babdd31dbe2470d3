//! `normal_minidump_of`: the MiniDumpNormal sibling keeps threads, stacks, modules and the
//! exception of the original, and nothing of its memory but stacks and IP windows.

use coroner_synth::{normal_minidump_of, write_big, SynthError, IP_WINDOW};
use minidump::{
    Minidump, MinidumpException, MinidumpHandleDataStream, MinidumpMemory64List,
    MinidumpMemoryInfoList, MinidumpMemoryList, MinidumpModuleList, MinidumpThreadInfoList,
    MinidumpThreadList, MinidumpUnloadedModuleList, UnifiedMemoryList,
};
use std::path::PathBuf;

fn lab(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../fixtures/lab")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// `len` bytes at `addr` from whichever range holds them.
fn read(mem: &UnifiedMemoryList<'_>, addr: u64, len: u64) -> Option<Vec<u8>> {
    let m = mem.memory_at_address(addr)?;
    let off = usize::try_from(addr - m.base_address()).ok()?;
    m.bytes().get(off..off + len as usize).map(<[u8]>::to_vec)
}

/// Checks the sibling of `orig` against it; returns the sibling's bytes.
fn check_sibling(orig_bytes: &[u8]) -> Vec<u8> {
    let normal_bytes = normal_minidump_of(orig_bytes).expect("derive the normal sibling");
    assert!(normal_bytes.len() < orig_bytes.len());
    let orig = Minidump::read(orig_bytes).unwrap();
    let normal = Minidump::read(&normal_bytes[..]).expect("the sibling parses");

    // Streams a MiniDumpNormal does not have.
    assert!(normal.get_stream::<MinidumpMemoryInfoList>().is_err());
    assert!(normal.get_stream::<MinidumpMemory64List>().is_err());
    assert!(normal.get_stream::<MinidumpHandleDataStream>().is_err());
    assert!(normal.get_stream::<MinidumpThreadInfoList>().is_err());
    assert!(normal.get_stream::<MinidumpMemoryList>().is_ok());

    // Same exception record, thread and context.
    let (eo, en) = (
        orig.get_stream::<MinidumpException>().unwrap(),
        normal.get_stream::<MinidumpException>().unwrap(),
    );
    assert_eq!(eo.thread_id, en.thread_id);
    let (ro, rn) = (&eo.raw.exception_record, &en.raw.exception_record);
    assert_eq!(ro.exception_code, rn.exception_code);
    assert_eq!(ro.exception_flags, rn.exception_flags);
    assert_eq!(ro.exception_address, rn.exception_address);
    assert_eq!(ro.number_parameters, rn.number_parameters);
    assert_eq!(ro.exception_information, rn.exception_information);
    let ctx = |raw: &[u8], e: &MinidumpException<'_>| {
        let r = e.raw.thread_context;
        raw[r.rva as usize..(r.rva + r.data_size) as usize].to_vec()
    };
    assert_eq!(ctx(orig_bytes, &eo), ctx(&normal_bytes, &en));

    // Same modules (names, ranges, CodeView records) and unloaded modules.
    let (mo, mn) = (
        orig.get_stream::<MinidumpModuleList>().unwrap(),
        normal.get_stream::<MinidumpModuleList>().unwrap(),
    );
    let key = |l: &MinidumpModuleList| {
        l.iter()
            .map(|m| {
                (
                    m.name.clone(),
                    m.raw.base_of_image,
                    m.raw.size_of_image,
                    format!("{:?}", m.codeview_info),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&mo), key(&mn));
    assert!(!key(&mn).is_empty());
    if let Ok(uo) = orig.get_stream::<MinidumpUnloadedModuleList>() {
        let un = normal.get_stream::<MinidumpUnloadedModuleList>().unwrap();
        let names =
            |l: &MinidumpUnloadedModuleList| l.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&uo), names(&un));
    }

    // Every thread, its context and its whole stack are intact.
    let (to, tn) = (
        orig.get_stream::<MinidumpThreadList>().unwrap(),
        normal.get_stream::<MinidumpThreadList>().unwrap(),
    );
    let (memo, memn) = (orig.get_memory().unwrap(), normal.get_memory().unwrap());
    assert_eq!(to.threads.len(), tn.threads.len());
    let mut stacks = Vec::new();
    for (a, b) in to.threads.iter().zip(&tn.threads) {
        assert_eq!(a.raw.thread_id, b.raw.thread_id);
        let s = a.raw.stack;
        assert_eq!(s.start_of_memory_range, b.raw.stack.start_of_memory_range);
        assert_eq!(s.memory.data_size, b.raw.stack.memory.data_size);
        let len = u64::from(s.memory.data_size);
        let want = read(&memo, s.start_of_memory_range, len).expect("original stack");
        let got = read(&memn, s.start_of_memory_range, len).expect("sibling stack");
        assert_eq!(want, got, "stack of thread {:#x}", a.raw.thread_id);
        let sb = b
            .stack_memory(&memn)
            .expect("stack through the thread's own descriptor");
        assert_eq!(sb.bytes(), &want[..]);
        stacks.push((s.start_of_memory_range, len));
    }

    // The memory is the stacks plus windows around the exception address / instruction pointers,
    // each window byte-identical to the original.
    let addr = eo.raw.exception_record.exception_address;
    let mut near_ip = 0;
    for m in memn.by_addr() {
        let (base, size) = (m.base_address(), m.size());
        if stacks.contains(&(base, size)) {
            continue;
        }
        assert!(
            size <= 2 * IP_WINDOW,
            "range {base:#x}+{size:#x} is no IP window"
        );
        assert_eq!(read(&memo, base, size).as_deref(), Some(m.bytes()));
        near_ip += usize::from(base <= addr && addr < base + size);
    }
    let stack_bytes: u64 = stacks.iter().map(|s| s.1).sum();
    let total: u64 = memn.by_addr().map(|m| m.size()).sum();
    assert!(total <= stack_bytes + 2 * IP_WINDOW * (tn.threads.len() as u64 + 1));
    // Beyond the memory only the small streams remain (contexts, module names, CodeView records).
    assert!(
        (normal_bytes.len() as u64) < total + (64 << 10),
        "{} bytes",
        normal_bytes.len()
    );
    if read(&memo, addr, 1).is_some() {
        assert_eq!(near_ip, 1, "the exception address lies in one IP window");
    }
    normal_bytes
}

#[test]
fn lab_dumps_x86_and_x64() {
    for name in [
        "reference-x86.dmp",
        "reference-x64.dmp",
        "unloaded-x64.dmp",
        "stackoverflow-x86.dmp",
    ] {
        check_sibling(&lab(name));
    }
}

#[test]
fn full_memory_dump_loses_its_memory64_list() {
    let dir = std::env::temp_dir().join(format!("coroner-synth-normal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("big.dmp");
    write_big(&p, 8 << 20).unwrap();
    let orig = std::fs::read(&p).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let d = Minidump::read(&orig[..]).unwrap();
    assert!(d.get_stream::<MinidumpMemory64List>().is_ok());
    assert!(d.get_stream::<MinidumpMemoryInfoList>().is_ok());
    let normal = check_sibling(&orig);
    assert!(normal.len() < 1 << 20, "{} bytes", normal.len());
}

#[test]
fn sibling_of_a_sibling_is_the_same() {
    let once = normal_minidump_of(&lab("nullwrite-x86.dmp")).unwrap();
    let twice = normal_minidump_of(&once).unwrap();
    assert_eq!(once, twice);
}

#[test]
fn damaged_input_is_an_error_not_a_panic() {
    assert!(matches!(
        normal_minidump_of(b"not a dump"),
        Err(SynthError::BadDump(_))
    ));
    let orig = lab("nullwrite-x64.dmp");
    let mut errors = 0;
    for cut in (0..orig.len()).step_by(997) {
        errors += usize::from(normal_minidump_of(&orig[..cut]).is_err());
    }
    assert!(errors > 0);
    // A stream pointing past the end of the file is named in the error.
    let mut bad = orig.clone();
    let dir = u32::from_le_bytes(bad[12..16].try_into().unwrap()) as usize;
    bad[dir + 8..dir + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = normal_minidump_of(&bad).unwrap_err().to_string();
    assert!(e.contains("past the end of the file"), "{e}");
}

/// Real Wine full-memory dumps (`python3 lab/tools/lab.py capture-full --out DIR`; not committed,
/// 20–40 MB each): set CORONER_FULL_DUMPS=DIR to check their siblings too.
#[test]
fn wine_full_memory_dumps_when_given() {
    let Some(dir) = std::env::var_os("CORONER_FULL_DUMPS") else {
        println!("skipped: CORONER_FULL_DUMPS (a folder of lab capture-full dumps) is not set");
        return;
    };
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "dmp") {
            let orig = std::fs::read(&p).unwrap();
            assert!(Minidump::read(&orig[..])
                .unwrap()
                .get_stream::<MinidumpMemory64List>()
                .is_ok());
            check_sibling(&orig);
            seen += 1;
        }
    }
    assert!(seen > 0, "no .dmp in {}", dir.to_string_lossy());
}
