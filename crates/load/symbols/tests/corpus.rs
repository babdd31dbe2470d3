//! Real symbol files from the shared corpus.

mod common;
use common::corpus;
use coroner_symbols::*;

fn test_app_id() -> ModuleId {
    ModuleId {
        code_file: "c:\\test_app.exe".into(),
        debug_file: Some("c:\\breakpad\\test_app.pdb".into()),
        debug_id: Some("5A9832E5287241C1838ED98914E9B7FF1".into()),
        timestamp: 0x45D35F6C,
        image_size: 0x2D000,
    }
}

fn opts(cache: &std::path::Path) -> Options {
    Options {
        cache_dir: Some(cache.to_path_buf()),
        allow_network: false,
        ..Options::default()
    }
}

/// The corpus store `rel` (None, and the test skips, when the corpus is absent), a fresh cache
/// folder, and an offline symbol lookup over the two.
fn offline_store(rel: &str) -> Option<(std::path::PathBuf, tempfile::TempDir, Symbols)> {
    let store = corpus(rel)?;
    let cache = tempfile::tempdir().unwrap();
    let syms = Symbols::new(
        SymbolPath::parse(store.to_str().unwrap()),
        opts(cache.path()),
    );
    Some((store, cache, syms))
}

#[test]
fn test_app_frame0_from_breakpad_store() {
    let Some((store, cache, syms)) = offline_store("breakpad/symbols") else {
        return;
    };
    let ms = syms
        .load(&test_app_id())
        .unwrap()
        .expect("test_app.sym found");
    assert_eq!(ms.source, Source::BreakpadSym);
    assert_eq!(ms.matched, Match::DebugId);
    assert!(!ms.from_cache);
    assert_eq!(ms.warnings.count, 0, "{:?}", ms.warnings.first);
    // minidump2.stackwalk.out: `test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]`
    let s = ms.lookup(0x429e).unwrap();
    assert_eq!(s.function, "`anonymous namespace'::CrashFunction");
    assert_eq!(
        (s.function_rva, s.function_size, s.offset),
        (0x4290, Some(0x18), 0xe)
    );
    assert!(
        s.file.as_deref().unwrap().ends_with("test_app.cc"),
        "{:?}",
        s.file
    );
    assert_eq!(s.line, Some(58));
    assert!(!s.public);
    // Frame 1: main [test_app.cc : 65 + 0x5], return address 0x404200 (look up the call: -1).
    let s = ms.lookup(0x41ff).unwrap();
    assert_eq!(s.function, "main");
    assert_eq!(s.line, Some(65));
    // STACK WIN 4 4290 18 4 0 0 0 4 0 1 $T0 $ebp = …
    let w = ms.stack_win(0x429e).unwrap();
    assert_eq!(w.ty, 4);
    assert_eq!(
        (w.rva, w.code_size, w.prolog_size, w.locals_size),
        (0x4290, 0x18, 4, 4)
    );
    assert!(w
        .program_string
        .unwrap()
        .starts_with("$T0 $ebp = $eip $T0 4 + ^ ="));
    assert!(ms.fpo(0x429e).is_none(), "fpo() is for PDB sources");
    assert!(ms.lookup(0xffff_fff0).is_none());

    // Second load: same Arc, nothing searched again.
    let again = syms.load(&test_app_id()).unwrap().unwrap();
    assert!(std::sync::Arc::ptr_eq(&ms, &again));
    assert!(syms.searched().is_empty());

    // A new session reads the parsed cache instead of the .sym.
    let syms2 = Symbols::new(
        SymbolPath::parse(store.to_str().unwrap()),
        opts(cache.path()),
    );
    let ms2 = syms2.load(&test_app_id()).unwrap().unwrap();
    assert!(ms2.from_cache);
    assert_eq!(ms2.lookup(0x429e), ms.lookup(0x429e));
    assert_eq!(ms2.stack_win(0x429e), ms.stack_win(0x429e));
    assert_eq!(ms2.file, ms.file);
    assert_eq!(ms2.matched, Match::DebugId);
}

#[test]
fn kernel32_public_symbols() {
    let Some((_store, _cache, syms)) = offline_store("breakpad/symbols") else {
        return;
    };
    let m = ModuleId {
        code_file: "C:\\WINDOWS\\system32\\kernel32.dll".into(),
        debug_file: Some("kernel32.pdb".into()),
        debug_id: Some("bce8785c-57b4-4245-a669-896b6a19b954-2".into()),
        timestamp: 0,
        image_size: 0,
    };
    let ms = syms.load(&m).unwrap().expect("kernel32.sym");
    // minidump2.stackwalk.out frame 3: kernel32.dll!BaseProcessStart + 0x23 at 0x7c816fd7
    // (base 0x7c800000), a public symbol.
    let s = ms.lookup(0x16fd7 - 1).unwrap();
    assert_eq!(s.function, "BaseProcessStart");
    assert!(s.public);
    assert_eq!(s.offset + 1, 0x23);
    assert_eq!(s.function_size, None);
}

#[test]
fn null_read_av_cfi() {
    let Some(f) =
        corpus("breakpad/symbols/null_read_av/7B7D1968FF0D47AE4366E9C3A7E1B6750/null_read_av.sym")
    else {
        return;
    };
    let ms = ModuleSymbols::open(&f, None).unwrap();
    assert_eq!(ms.matched, Match::Unverified);
    let c = ms.stack_cfi(0x18c0).unwrap();
    assert_eq!((c.init_rva, c.size), (0x18c0, 0x350));
    let get = |c: &CfiRules, r: &str| c.rules.iter().find(|(k, _)| k == r).map(|(_, v)| v.clone());
    assert_eq!(get(&c, ".cfa").as_deref(), Some("$rsp 16 +"));
    assert_eq!(get(&c, ".ra").as_deref(), Some(".cfa -8 + ^"));
    // STACK CFI 18c6 .cfa: $rsp 24 +
    let c = ms.stack_cfi(0x18c6).unwrap();
    assert_eq!(get(&c, ".cfa").as_deref(), Some("$rsp 24 +"));
    assert_eq!(get(&c, ".ra").as_deref(), Some(".cfa -8 + ^"));
}

fn inline_checks(ms: &ModuleSymbols) {
    assert_eq!(ms.warnings.count, 0, "{:?}", ms.warnings.first);
    // FUNC 15b30 main; INLINE 0 42 1 1 15b45 6b1 (foo), 1 39 2 0 15b72 (bar), 2 32 3 2 15b83 (func)
    let s = ms.lookup(0x15b83).unwrap();
    assert_eq!(s.function, "main");
    let names: Vec<&str> = s.inlines.iter().map(|i| i.function.as_str()).collect();
    // Inline frames are named as WinDbg names them: without the parameter list.
    assert_eq!(names, ["foo", "bar", "func"]);
    assert_eq!(s.line, Some(42));
    assert_eq!(s.inlines[0].line, Some(39));
    assert_eq!(s.inlines[1].line, Some(32));
    assert_eq!(s.inlines[2].line, Some(9));
    assert_eq!(s.inlines[2].file.as_deref(), Some("linux_inline.cpp"));
    // Outside any inline: the line record itself.
    let s = ms.lookup(0x15b30).unwrap();
    assert!(s.inlines.is_empty());
    assert_eq!(s.line, Some(41));
}

#[test]
fn linux_inline_new_and_old_formats() {
    let Some(dir) = corpus("breakpad/symbols/linux_inline/BBA6FA10B8AAB33D00000000000000000")
    else {
        return;
    };
    let new = ModuleSymbols::open(&dir.join("linux_inline.new.sym"), None).unwrap();
    inline_checks(&new);
    let s = new.lookup(0x15b83).unwrap();
    assert_eq!(s.file.as_deref(), Some("a.cpp"));
    assert_eq!(s.inlines[0].file.as_deref(), Some("b.cpp"));
    let old = ModuleSymbols::open(&dir.join("linux_inline.old.sym"), None).unwrap();
    inline_checks(&old);
    assert_eq!(old.code_id(), "10FAA6BBAAB83DB3");
}

#[test]
fn crash_client_4mb_inlines() {
    let Some((_store, _cache, syms)) = offline_store("rust-minidump/symbols") else {
        return;
    };
    let m = ModuleId {
        code_file: "crash-client".into(),
        debug_file: Some("crash-client".into()),
        debug_id: Some("509C0610949836F7B70BD88BCF03E5400".into()),
        ..ModuleId::default()
    };
    let t = std::time::Instant::now();
    let ms = syms
        .load(&m)
        .unwrap()
        .expect("crash-client.sym in name/ID/ layout");
    eprintln!("parsed 4 MB crash-client.sym in {:?}", t.elapsed());
    assert_eq!(ms.warnings.count, 0, "{:?}", ms.warnings.first);
    // test_minidump_stackwalk__macos_inlines_json_pretty.snap, frame 0 (module offset 0x14cd4).
    let s = ms.lookup(0x14cd4).unwrap();
    assert_eq!(s.function, "sadness_generator::raise_segfault");
    assert_eq!(s.offset, 4);
    assert_eq!(s.line, Some(133));
    assert!(s.file.unwrap().ends_with("sadness-generator/src/lib.rs"));
    assert_eq!(s.inlines.len(), 1);
    assert_eq!(s.inlines[0].function, "core::ptr::write_volatile::<u8>");
    assert_eq!(s.inlines[0].line, Some(1574));
    // Frame 1 (return address 0x423d, looked up at the call): main ← real_main ← closure#1.
    let s = ms.lookup(0x423c).unwrap();
    assert_eq!(s.function, "crash_client::main");
    assert_eq!(s.line, Some(142));
    let inl: Vec<(&str, Option<u32>)> = s
        .inlines
        .iter()
        .map(|i| (i.function.as_str(), i.line))
        .collect();
    assert_eq!(
        inl,
        [
            ("crash_client::real_main", Some(132)),
            ("crash_client::real_main::{closure#1}", Some(88))
        ]
    );
    assert!(ms.stack_cfi(0x14cd4).is_some());
}

fn crash_pdb_checks(ms: &ModuleSymbols) {
    assert_eq!(ms.debug_id(), "3249D99D0C4049318610F4E4FB0B69361");
    // integration__process_minidump__minidump_windows.snap: frame 0 eip 0x2a2a3d, image 0x2a0000:
    // main, main.cpp line 35; frame 1 0x2a2d96: __scrt_common_main_seh, exe_common.inl 283.
    let s = ms.lookup(0x2a3d).unwrap();
    assert_eq!(s.function, "main");
    assert_eq!(s.function_rva, 0x2910);
    assert_eq!(s.line, Some(35));
    assert!(
        s.file.as_deref().unwrap().ends_with("main.cpp"),
        "{:?}",
        s.file
    );
    let s = ms.lookup(0x2d96 - 1).unwrap();
    assert_eq!(s.function, "__scrt_common_main_seh");
    assert_eq!(s.function_rva, 0x2c9e);
    assert_eq!(s.line, Some(283));
    assert!(s.file.unwrap().ends_with("exe_common.inl"));
    assert!(ms.public_count() > 0);
    assert!(ms.function_count() > 50);
}

#[test]
fn crash_pdb_plain_folder_and_symstore_cab() {
    let Some(pdb) = corpus("symbolic/crash.pdb") else {
        return;
    };
    let m = ModuleId {
        code_file: "C:\\projects\\breakpad-tools\\windows\\Release\\crash.exe".into(),
        debug_file: Some("C:\\projects\\breakpad-tools\\windows\\Release\\crash.pdb".into()),
        debug_id: Some("3249d99d-0c40-4931-8610-f4e4fb0b6936-1".into()),
        timestamp: 0x5AB38077,
        image_size: 0x9000,
    };
    let ms = ModuleSymbols::open(&pdb, Some(&m)).unwrap();
    assert_eq!(ms.source, Source::Pdb { private: true });
    crash_pdb_checks(&ms);
    assert_eq!(ms.matched, Match::DebugId);
    // x86 frame data for main (STACK WIN 4 2910 in crash.sym).
    let f = ms.fpo(0x2a3d).expect("frame data");
    assert_eq!(f.ty, 4);
    assert_eq!(f.rva, 0x2910);
    assert!(f.program_string.is_some());

    // SymStore layout with a CAB-compressed .pdb (MSCF), found through the store.
    let Some((_store, _cache, syms)) = offline_store("symbolicator/symbols") else {
        return;
    };
    let ms = syms.load(&m).unwrap();
    let ms = ms.unwrap_or_else(|| panic!("crash.pdb from the store: {:?}", syms.searched()));
    crash_pdb_checks(&ms);
    assert_eq!(ms.matched, Match::DebugId);
    // That MSCF file wraps Breakpad text (named debug/debug.pdb inside), recognised by content.
    assert_eq!(ms.source, Source::BreakpadSym);

    // A PDB of another build is refused.
    let mut other = m.clone();
    other.debug_id = Some("00000000000000000000000000000001A".into());
    assert!(matches!(
        ModuleSymbols::open(&pdb, Some(&other)),
        Err(SymError::Mismatch { .. })
    ));
}

#[test]
fn crash_sym_and_pdb_agree() {
    let (Some(sym), Some(pdb)) = (corpus("symbolic/crash.sym"), corpus("symbolic/crash.pdb"))
    else {
        return;
    };
    let a = ModuleSymbols::open(&sym, None).unwrap();
    let b = ModuleSymbols::open(&pdb, None).unwrap();
    assert_eq!(b.matched, Match::Unverified);
    for rva in [0x2a3d, 0x2d95, 0x1005, 0x2920] {
        let (x, y) = (a.lookup(rva).unwrap(), b.lookup(rva).unwrap());
        assert_eq!(
            (x.function_rva, x.line),
            (y.function_rva, y.line),
            "rva {rva:#x}"
        );
    }
}

/// Struct layouts from a real MSVC PDB (x86 `crash.pdb`): the documented `CONTEXT` (x86,
/// winnt.h) and `EXCEPTION_RECORD` offsets, the full definition found past the forward
/// references that come first in its type stream. The store's CAB of the same name wraps
/// Breakpad text: a typed error, not types.
#[test]
fn struct_layouts_from_a_real_msvc_pdb() {
    let Some(plain) = corpus("symbolic/crash.pdb") else {
        return;
    };
    let Some(cab) =
        corpus("symbolicator/symbols/crash.pdb/3249D99D0C4049318610F4E4FB0B69361/crash.pdb")
    else {
        return;
    };
    let r = read_struct_layouts(&cab, &["_CONTEXT"], None, &Options::default());
    match r {
        Err(SymError::Corrupt(m)) => assert!(m.contains("no PDB type stream"), "{m}"),
        other => panic!("{other:?}"),
    }
    let t0 = std::time::Instant::now();
    let t = read_struct_layouts(
        &plain,
        &["_CONTEXT", "_EXCEPTION_RECORD"],
        Some("3249D99D0C4049318610F4E4FB0B69361"),
        &Options::default(),
    )
    .unwrap();
    eprintln!("{}: types read in {:?}", plain.display(), t0.elapsed());
    let c = t.get("_CONTEXT").unwrap();
    assert_eq!(c.size, 0x2cc);
    assert_eq!(c.offset("ContextFlags"), Some(0));
    assert_eq!(c.offset("FloatSave"), Some(0x1c));
    assert_eq!(c.offset("FloatSave.StatusWord"), Some(0x20));
    assert_eq!(c.offset("Eip"), Some(0xb8));
    assert_eq!(c.offset("Esp"), Some(0xc4));
    assert_eq!(c.offset("ExtendedRegisters"), Some(0xcc));
    let e = t.get("_EXCEPTION_RECORD").unwrap();
    assert_eq!(e.size, 0x50);
    assert_eq!(e.offset("ExceptionAddress"), Some(0x0c));
    assert_eq!(e.offset("ExceptionInformation"), Some(0x14));
}
