//! The lazy export reader (`ExportDirectory`) against the eager one (`Exports`): the same answers
//! on synthetic images, on the lab's real EXE/DLL files, and on hostile tables.

mod common;

use std::path::Path;

use common::*;
use coroner_pe::*;

/// Like `pe.rs`'s fixture: named, aliased, ordinal-only, forwarded and unused slots.
fn widget(is_64: bool) -> PeBuilder {
    let mut b = PeBuilder::new(is_64);
    b.write(0x1000, &[0xcc; 0x100]);
    exports(
        &mut b,
        0x2000,
        "widget.dll",
        5,
        &[
            Func::Code(0x1000),                     // 5 FuncA
            Func::Code(0x1050),                     // 6 FuncB, FuncB_Alias
            Func::Code(0x1080),                     // 7 ordinal only
            Func::Forward("NTDLL.RtlAllocateHeap"), // 8 HeapAlloc
            Func::Unused,                           // 9
            Func::Code(0x10a0),                     // 10 FuncZ
            Func::Code(0x1080),                     // 11 ordinal only, same RVA as 7
            Func::Code(0x10c0),                     // 12 Zeta, same RVA as 13
            Func::Code(0x10c0),                     // 13 Alpha
        ],
        &[
            ("Alpha", 8),
            ("FuncA", 0),
            ("FuncB", 1),
            ("FuncB_Alias", 1),
            ("FuncZ", 5),
            ("HeapAlloc", 3),
            ("Zeta", 7),
        ],
    );
    b
}

fn parsed(layout: Layout, b: &PeBuilder) -> (PeImage, Vec<u8>, u64) {
    match layout {
        Layout::Mapped => {
            let bytes = b.build_mapped();
            (
                PeImage::from_mapped_bytes(&bytes, b.base()).unwrap(),
                bytes,
                b.base(),
            )
        }
        Layout::File => {
            let bytes = b.build_file();
            (PeImage::from_file_bytes(&bytes).unwrap(), bytes, 0)
        }
    }
}

#[test]
fn nearest_exact_alias_ordinal_only_and_forwarder() {
    for is_64 in [false, true] {
        for layout in [Layout::Mapped, Layout::File] {
            let (img, bytes, base) = parsed(layout, &widget(is_64));
            let mem = SliceMemory { base, data: &bytes };
            assert_eq!(export_reader_differences(&img, &mem), Vec::<String>::new());
            let dir = img.export_directory(&mem).unwrap();
            let at = |rva| {
                dir.lookup(&img, &mem, rva)
                    .map(|l| (l.name, l.offset, l.export_rva, l.next_export_rva))
            };
            assert_eq!(at(0x1000), Some(("FuncA".into(), 0, 0x1000, Some(0x1050))));
            assert_eq!(
                at(0x1010),
                Some(("FuncA".into(), 0x10, 0x1000, Some(0x1050)))
            );
            // Aliases: the lexically first name.
            assert_eq!(at(0x1050).unwrap().0, "FuncB");
            // Two ordinal-only exports at one RVA: the first name as text (the eager reader
            // sorts names so), Ordinal11 before Ordinal7.
            assert_eq!(at(0x1090).unwrap().0, "Ordinal11");
            // Two functions at one RVA, named Zeta (12) and Alpha (13): Alpha.
            assert_eq!(at(0x10c4), Some(("Alpha".into(), 4, 0x10c0, None)));
            assert_eq!(at(0xfff), None);
            assert_eq!(at(SIZE_OF_IMAGE), None);
            assert_eq!(dir.dll_name(&img, &mem).as_deref(), Some("widget.dll"));
            assert!(!dir.is_empty());
            let fwd = dir.by_name(&img, &mem, "HeapAlloc").unwrap();
            assert_eq!(fwd.forwarder.as_deref(), Some("NTDLL.RtlAllocateHeap"));
            assert_eq!(fwd.ordinal, 8);
            assert_eq!(dir.by_name(&img, &mem, "FuncB_Alias").unwrap().rva, 0x1050);
            for miss in ["", "Func", "FuncB_", "Zeta2", "\u{fffd}", "A"] {
                assert_eq!(dir.by_name(&img, &mem, miss), None, "{miss:?}");
            }
        }
    }
}

/// Every EXE/DLL the lab builds (x86, x64) and the ARM64 lab DLL, read from the file.
#[test]
fn real_images_answer_as_the_eager_reader() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab");
    let mut files = Vec::new();
    for sub in ["bin/x86", "bin/x64", "arm64"] {
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            let p = e.unwrap().path();
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
            if ext == "dll" || ext == "exe" {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 30, "{files:?}");
    let mut with_exports = 0;
    for p in files {
        let bytes = std::fs::read(&p).unwrap();
        let img = PeImage::from_file_bytes(&bytes).unwrap();
        let diffs = export_reader_differences(&img, &bytes);
        assert!(diffs.is_empty(), "{}: {diffs:#?}", p.display());
        if img.export_directory(&bytes).is_ok_and(|d| !d.is_empty()) {
            with_exports += 1;
        }
    }
    assert!(with_exports >= 15, "{with_exports}");
}

const EXP: usize = 0x2000;

fn set32(m: &mut [u8], off: usize, v: u32) {
    put(m, off, &v.to_le_bytes());
}

fn mapped_with(f: impl FnOnce(&mut Vec<u8>)) -> (PeImage, Vec<u8>) {
    let b = widget(true);
    let mut m = b.build_mapped();
    f(&mut m);
    let img = PeImage::from_mapped_bytes(&m, BASE64).unwrap();
    (img, m)
}

#[test]
fn hostile_tables() {
    let npt = EXP + 40 + 4 * 9;
    let ords = npt + 4 * 7;
    // Unsorted names (Zeta first): lookups still agree; by_name searches as the loader does,
    // so it may miss, but never answers wrongly.
    let (img, m) = mapped_with(|m| {
        let (a, z) = (u32_at(m, npt), u32_at(m, npt + 24));
        set32(m, npt, z);
        set32(m, npt + 24, a);
        m.swap(ords, ords + 12);
        m.swap(ords + 1, ords + 13);
    });
    let mem = SliceMemory {
        base: BASE64,
        data: &m,
    };
    let dir = img.export_directory(&mem).unwrap();
    assert_eq!(dir.lookup(&img, &mem, 0x10c0).unwrap().name, "Alpha");
    for n in ["Alpha", "FuncA", "FuncB", "FuncZ", "Zeta"] {
        if let Some(e) = dir.by_name(&img, &mem, n) {
            assert_eq!(img.exports(&mem).unwrap().by_name(n), Some(&e), "{n}");
        }
    }
    // Function and name RVAs out of range, ordinals past the table, names without end.
    for (off, v) in [
        (EXP + 40, 0xffff_fff0u32),
        (EXP + 44, SIZE_OF_IMAGE + 5),
        (npt, 0xffff_ffff),
        (npt + 4, 0x6fff),
        (EXP + 36, 0xffff_fff0),
        (EXP + 32, 0x6ffe),
        (EXP + 28, 0),
        (EXP + 16, 0xffff_fffe),
    ] {
        let (img, m) = mapped_with(|m| set32(m, off, v));
        let mem = SliceMemory {
            base: BASE64,
            data: &m,
        };
        // A name pointer moved elsewhere leaves the table out of order: by_name may then miss
        // (as the loader's binary search would) but never answers wrongly; lookups agree.
        let diffs = export_reader_differences(&img, &mem);
        assert!(
            diffs
                .iter()
                .all(|d| d.starts_with("by_name") && d.ends_with("vs lazy None")),
            "field {off:#x} = {v:#x}: {diffs:#?}"
        );
    }
    let (img, m) = mapped_with(|m| put(m, ords + 2, &0xffffu16.to_le_bytes()));
    let mem = SliceMemory {
        base: BASE64,
        data: &m,
    };
    assert!(export_reader_differences(&img, &mem).is_empty());
    let (img, m) = mapped_with(|m| {
        m[0x6000..].fill(b'A');
        set32(m, npt + 4, 0x6000);
    });
    let mem = SliceMemory {
        base: BASE64,
        data: &m,
    };
    assert!(export_reader_differences(&img, &mem).is_empty());
}

#[test]
fn huge_counts_are_capped_or_refused() {
    // NumberOfFunctions beyond the cap: refused, as by the eager reader.
    let (img, m) = mapped_with(|m| set32(m, EXP + 20, 0xffff_ffff));
    let mem = SliceMemory {
        base: BASE64,
        data: &m,
    };
    assert!(matches!(
        img.export_directory(&mem),
        Err(PeError::TooLarge { .. })
    ));
    // Within the cap but not in memory: the address table is unreadable.
    let (img, m) = mapped_with(|m| set32(m, EXP + 20, 0x1_0000));
    let mem = SliceMemory {
        base: BASE64,
        data: &m,
    };
    assert!(matches!(
        img.export_directory(&mem),
        Err(PeError::Unreadable { .. })
    ));
    // NumberOfNames huge: names dropped with a problem, functions kept.
    let (img, m) = mapped_with(|m| set32(m, EXP + 24, 0xffff_ffff));
    let mem = SliceMemory {
        base: BASE64,
        data: &m,
    };
    let dir = img.export_directory(&mem).unwrap();
    assert!(!dir.problems.is_empty());
    assert_eq!(dir.lookup(&img, &mem, 0x1004).unwrap().name, "Ordinal5");
    assert_eq!(dir.by_name(&img, &mem, "FuncA"), None);
    assert!(export_reader_differences(&img, &mem).is_empty());
}

#[test]
fn holes_in_the_tables() {
    let b = widget(true);
    let bytes = b.build_mapped();
    let img = PeImage::from_mapped_bytes(&bytes, BASE64).unwrap();
    // Name strings, name pointers, address table: each missing in turn.
    for hole in [(0x2080, 0x2100), (0x204c, 0x204e), (0x2030, 0x2031)] {
        let mem = Holey {
            base: BASE64,
            data: &bytes,
            holes: vec![(BASE64 + hole.0, BASE64 + hole.1)],
        };
        let diffs = export_reader_differences(&img, &mem);
        assert!(diffs.is_empty(), "hole {hole:x?}: {diffs:#?}");
    }
}

fn u32_at(m: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(m[off..off + 4].try_into().unwrap())
}
