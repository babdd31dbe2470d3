//! Store layouts, matching, the parsed cache, symbol path syntax.

mod common;
use common::{copy_tree, corpus};
use coroner_symbols::*;
use std::path::{Path, PathBuf};

const CRASH_ID: &str = "3249D99D0C4049318610F4E4FB0B69361";

fn crash_exe() -> ModuleId {
    ModuleId {
        code_file: "C:\\projects\\breakpad-tools\\windows\\Release\\crash.exe".into(),
        debug_file: Some("C:\\projects\\breakpad-tools\\windows\\Release\\crash.pdb".into()),
        debug_id: Some(CRASH_ID.into()),
        timestamp: 0x5AB38077,
        image_size: 0x9000,
    }
}

fn offline(cache: &Path) -> Options {
    Options {
        cache_dir: Some(cache.to_path_buf()),
        allow_network: false,
        ..Options::default()
    }
}

fn make_cab(src: &Path, name: &str, dest: &Path) {
    let mut b = cab::CabinetBuilder::new();
    b.add_folder(cab::CompressionType::MsZip).add_file(name);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    let f = std::fs::File::create(dest).unwrap();
    let mut w = b.build(f).unwrap();
    while let Some(mut fw) = w.next_file().unwrap() {
        std::io::copy(&mut std::fs::File::open(src).unwrap(), &mut fw).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn symstore_compressed_pdb_and_cache() {
    let Some(pdb) = corpus("symbolic/crash.pdb") else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    make_cab(
        &pdb,
        "crash.pdb",
        &store.path().join(format!("crash.pdb/{CRASH_ID}/crash.pd_")),
    );
    let cache = tempfile::tempdir().unwrap();
    let path = SymbolPath::parse(store.path().to_str().unwrap());
    let syms = Symbols::new(path.clone(), offline(cache.path()));
    let ms = syms.load(&crash_exe()).unwrap().expect("crash.pd_");
    assert_eq!(ms.source, Source::Pdb { private: true });
    assert_eq!(ms.matched, Match::DebugId);
    assert!(ms.file.ends_with("crash.pd_"));
    let s = ms.lookup(0x2a3d).unwrap();
    assert_eq!((s.function.as_str(), s.line), ("main", Some(35)));
    // Nothing was written next to the store.
    let n = walk(store.path()).len();
    assert_eq!(n, 1, "{:?}", walk(store.path()));

    // Second session: answered from the parsed cache, even with the store gone.
    drop(store);
    let syms = Symbols::new(path, offline(cache.path()));
    let ms2 = syms.load(&crash_exe()).unwrap().expect("from cache");
    assert!(ms2.from_cache);
    assert_eq!(ms2.source, Source::Pdb { private: true });
    assert_eq!(ms2.lookup(0x2a3d), ms.lookup(0x2a3d));
    assert_eq!(ms2.fpo(0x2a3d), ms.fpo(0x2a3d));
    assert!(ms2.fpo(0x2a3d).is_some());

    // A damaged cache file is ignored (re-parse, or not found), never a crash.
    for f in walk(cache.path()) {
        let mut d = std::fs::read(&f).unwrap();
        d.truncate(d.len() / 2);
        std::fs::write(&f, d).unwrap();
    }
    let syms = Symbols::new(SymbolPath::default(), offline(cache.path()));
    assert!(syms.load(&crash_exe()).unwrap().is_none());
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn plain_folder_verified_unverified_and_mismatch() {
    let Some(pdb) = corpus("symbolic/crash.pdb") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&pdb, &dir.path().join("crash.pdb"));
    let cache = tempfile::tempdir().unwrap();
    let p = SymbolPath::parse(dir.path().to_str().unwrap());

    let syms = Symbols::new(p.clone(), offline(cache.path()));
    assert_eq!(
        syms.load(&crash_exe()).unwrap().unwrap().matched,
        Match::DebugId
    );

    // No debug id (Wine writes none): accepted by name, marked unverified.
    let mut m = crash_exe();
    m.debug_id = None;
    m.debug_file = None;
    let syms = Symbols::new(p.clone(), offline(cache.path()));
    let ms = syms.load(&m).unwrap().unwrap();
    assert_eq!(ms.matched, Match::Unverified);
    assert_eq!(ms.lookup(0x2a3d).unwrap().function, "main");
    // …and cached by file, so a second session does not parse it again.
    let syms = Symbols::new(p.clone(), offline(cache.path()));
    assert!(syms.load(&m).unwrap().unwrap().from_cache);

    // Another build: refused, and the report says where and why.
    let mut other = crash_exe();
    other.debug_id = Some("11111111222233334444555555555555A".into());
    let syms = Symbols::new(p, offline(cache.path()));
    assert!(syms.load(&other).unwrap().is_none());
    let searched = syms.searched();
    assert_eq!(searched.len(), 1);
    assert_eq!(searched[0].0, "crash.exe");
    let text = searched[0].1.join("\n");
    assert!(text.contains("another build"), "{text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
}

#[test]
fn sym_matched_by_code_id_when_no_debug_id() {
    let Some(sym) = corpus("symbolic/crash.sym") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&sym, &dir.path().join("crash.sym"));
    let cache = tempfile::tempdir().unwrap();
    let mut m = crash_exe();
    m.debug_id = None;
    m.debug_file = None;
    let syms = Symbols::new(
        SymbolPath::parse(dir.path().to_str().unwrap()),
        offline(cache.path()),
    );
    let ms = syms.load(&m).unwrap().unwrap();
    assert_eq!(ms.matched, Match::CodeId);
    // Wrong image size: refused.
    m.image_size = 0xa000;
    let syms = Symbols::new(
        SymbolPath::parse(dir.path().to_str().unwrap()),
        offline(cache.path()),
    );
    assert!(syms.load(&m).unwrap().is_none());
}

#[test]
fn two_tier_index2_and_server_share() {
    let Some(sym) = corpus("symbolic/crash.sym") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index2.txt"), "").unwrap();
    copy_tree(
        &sym,
        &dir.path()
            .join(format!("cr/crash.pdb/{CRASH_ID}/crash.sym")),
    );
    let cache = tempfile::tempdir().unwrap();
    let syms = Symbols::new(
        SymbolPath::parse(dir.path().to_str().unwrap()),
        offline(cache.path()),
    );
    assert!(syms.load(&crash_exe()).unwrap().is_some());
    // The same store as the upstream of srv* (a file share).
    let p = format!(
        "srv*{}*{}",
        cache.path().join("dl").display(),
        dir.path().display()
    );
    let syms = Symbols::new(
        SymbolPath::parse(&p),
        Options {
            use_parsed_cache: false,
            ..offline(cache.path())
        },
    );
    assert!(syms.load(&crash_exe()).unwrap().is_some());
}

#[test]
fn find_image_by_timestamp_and_size() {
    let dir = tempfile::tempdir().unwrap();
    // Minimal PE32 headers: MZ, e_lfanew = 0x40, PE\0\0, COFF TimeDateStamp and
    // SizeOfOptionalHeader, optional header magic 0x10b, SizeOfImage; no sections.
    let mut pe = vec![0u8; 0x200];
    pe[..2].copy_from_slice(b"MZ");
    pe[0x3c] = 0x40;
    pe[0x40..0x44].copy_from_slice(b"PE\0\0");
    pe[0x48..0x4c].copy_from_slice(&0x5AB38077u32.to_le_bytes());
    pe[0x54..0x56].copy_from_slice(&0xE0u16.to_le_bytes());
    pe[0x58..0x5a].copy_from_slice(&0x10Bu16.to_le_bytes());
    pe[0x40 + 24 + 56..0x40 + 24 + 60].copy_from_slice(&0x9000u32.to_le_bytes());
    let p = dir.path().join("crash.exe/5AB380779000/crash.exe");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, &pe).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let syms = Symbols::new(
        SymbolPath::parse(dir.path().to_str().unwrap()),
        offline(cache.path()),
    );
    assert_eq!(syms.find_image(&crash_exe()), Some(p));
    let mut other = crash_exe();
    other.timestamp += 1;
    assert_eq!(syms.find_image(&other), None);
}

#[test]
fn symbol_path_syntax() {
    let p = SymbolPath::parse(
        r"C:\a; srv*C:\cache*https://msdl.microsoft.com/download/symbols ;cache*/tmp/c;D:\plain;;srv*https://x.test/s;SRV**http://y.test",
    );
    assert_eq!(p.entries.len(), 6, "{p:?}");
    assert_eq!(p.entries[0], Entry::Local(r"C:\a".into()));
    let win_cache = if cfg!(windows) {
        Some(PathBuf::from(r"C:\cache"))
    } else {
        None
    };
    assert_eq!(
        p.entries[1],
        Entry::Server {
            caches: vec![win_cache],
            upstream: MICROSOFT_SYMBOL_SERVER.into()
        }
    );
    assert_eq!(p.entries[2], Entry::Cache(Some("/tmp/c".into())));
    assert_eq!(p.entries[3], Entry::Local(r"D:\plain".into()));
    assert_eq!(
        p.entries[4],
        Entry::Server {
            caches: vec![],
            upstream: "https://x.test/s".into()
        }
    );
    assert_eq!(
        p.entries[5],
        Entry::Server {
            caches: vec![None],
            upstream: "http://y.test".into()
        }
    );
    assert!(p.uses_network());
    if !cfg!(windows) {
        let p = SymbolPath::parse("/a/syms:/b/syms;./c");
        let dirs: Vec<_> = p.entries.iter().map(|e| format!("{e:?}")).collect();
        assert_eq!(p.entries.len(), 3, "{dirs:?}");
        assert_eq!(p.entries[1], Entry::Local("/b/syms".into()));
    }
    let p = SymbolPath::parse("symsrv*symsrv.dll*/tmp/x*https://s.test");
    assert_eq!(
        p.entries[0],
        Entry::Server {
            caches: vec![Some("/tmp/x".into())],
            upstream: "https://s.test".into()
        }
    );
    assert!(SymbolPath::parse(" ; ").entries.is_empty());
}

#[test]
fn module_id_names() {
    let m = crash_exe();
    assert_eq!(m.debug_name(), "crash.pdb");
    assert_eq!(m.sym_name(), "crash.sym");
    assert_eq!(m.code_name(), "crash.exe");
    assert_eq!(m.code_id().as_deref(), Some("5AB380779000"));
    let m = ModuleId {
        debug_id: Some("{3249d99d-0c40-4931-8610-f4e4fb0b6936}-1".into()),
        ..m
    };
    assert_eq!(m.normalized_debug_id().as_deref(), Some(CRASH_ID));
    let wine = ModuleId {
        code_file: "c:\\windows\\system32\\KERNEL32.DLL".into(),
        ..ModuleId::default()
    };
    assert_eq!(wine.debug_name(), "KERNEL32.pdb");
    assert_eq!(wine.code_id(), None);
    let elf = ModuleId {
        code_file: "/usr/lib/libc.so.6".into(),
        debug_file: Some("libc.so.6".into()),
        ..ModuleId::default()
    };
    assert_eq!(elf.sym_name(), "libc.so.6.sym");
}

/// A dump without CodeView records (Wine writes none) still finds its `.sym` in a Breakpad store:
/// the ids stored under the name are looked at and the file whose INFO CODE_ID matches the
/// module's timestamp and size is taken; the others are listed as mismatches. A server is asked
/// Tecken-style by code file and code id.
#[test]
fn breakpad_store_matched_by_code_id_without_a_debug_id() {
    let store = tempfile::tempdir().unwrap();
    let write = |id: &str, code: &str, func: &str| {
        let d = store.path().join(format!("app.pdb/{id}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("app.sym"),
            format!(
                "MODULE windows x86_64 {id} app.pdb\nINFO CODE_ID {code} app.exe\n\
                 FUNC 1000 20 0 {func}\n1000 20 7 1\nFILE 1 app.c\n"
            ),
        )
        .unwrap();
    };
    write(
        "11111111111111111111111111111111A",
        "5AB3807711000",
        "old_build",
    );
    write(
        "22222222222222222222222222222222B",
        "5AB380779000",
        "this_build",
    );
    let m = ModuleId {
        code_file: "C:\\app\\app.exe".into(),
        debug_file: None,
        debug_id: None,
        timestamp: 0x5AB38077,
        image_size: 0x9000,
    };
    let cache = tempfile::tempdir().unwrap();
    let path = SymbolPath::parse(store.path().to_str().unwrap());
    let syms = Symbols::new(path.clone(), offline(cache.path()));
    let ms = syms.load(&m).unwrap().expect("found by code id");
    assert_eq!(ms.matched, Match::CodeId);
    assert_eq!(ms.lookup(0x1004).unwrap().function, "this_build");
    // A second session reads the parsed cache, keyed by the code id.
    let again = Symbols::new(path, offline(cache.path()));
    let ms = again.load(&m).unwrap().unwrap();
    assert_eq!(ms.lookup(0x1004).unwrap().function, "this_build");
    // A module of another build finds nothing, and says where it looked.
    let other = ModuleId {
        image_size: 0xa000,
        ..m
    };
    let syms = Symbols::new(
        SymbolPath::parse(store.path().to_str().unwrap()),
        offline(tempfile::tempdir().unwrap().path()),
    );
    assert!(syms.load(&other).unwrap().is_none());
}
