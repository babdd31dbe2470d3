mod common;

use common::*;
use coroner_pe::*;

/// A fully featured image: exports, debug directory, version resource and,
/// for x64, .pdata with unwind info.
fn fixture(is_64: bool) -> PeBuilder {
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
        ],
        &[
            ("FuncA", 0),
            ("FuncB", 1),
            ("FuncB_Alias", 1),
            ("FuncZ", 5),
            ("HeapAlloc", 3),
        ],
    );
    debug_dir(&mut b, 0x2400, r"C:\build\widget\x64\Release\widget.pdb");
    resources(&mut b, 0x5000, &version_blob());
    if is_64 {
        // UNWIND_INFO v1 with handler at 0x2800.
        b.write(
            0x2800,
            &[
                0x09, 0x10, 6, 0x25, //
                0x10, 0x03, // SET_FPREG
                0x0c, 0x34, 0x10, 0x00, // SAVE_NONVOL rbx, 0x10*8
                0x08, 0x01, 0x20, 0x00, // ALLOC_LARGE 0x20*8
                0x02, 0x50, // PUSH_NONVOL rbp
                0x00, 0x11, 0x00, 0x00, // handler 0x1100
                0xaa, 0xbb, 0xcc, 0xdd, // handler data
            ],
        );
        // Chained info at 0x2820.
        let mut chained = vec![0x21, 0x04, 1, 0x00, 0x04, 0x32, 0x00, 0x00];
        for v in [0x1000u32, 0x1050, 0x2800] {
            chained.extend_from_slice(&v.to_le_bytes());
        }
        b.write(0x2820, &chained);
        // Version 2 info at 0x2840.
        b.write(
            0x2840,
            &[
                0x02, 0x0c, 11, 0x00, //
                0x03, 0x16, // EPILOG info 1
                0x00, 0x06, // EPILOG
                0x0c, 0x69, 0x00, 0x00, 0x01, 0x00, // SAVE_XMM128_FAR xmm6, 0x10000
                0x06, 0x11, 0x08, 0x00, 0x02, 0x00, // ALLOC_LARGE 0x20008
                0x01, 0x1a, // PUSH_MACHFRAME with error code
                0x0a, 0x78, 0x03, 0x00, // SAVE_XMM128 xmm7, 0x30
                0x00, 0x00, // padding slot
            ],
        );
        let mut pdata = Vec::new();
        for (b0, e, u) in [
            (0x1000u32, 0x1050u32, 0x2800u32),
            (0x1050, 0x10a0, 0x2820),
            (0x10a0, 0x10b0, 0x2840),
        ] {
            for v in [b0, e, u] {
                pdata.extend_from_slice(&v.to_le_bytes());
            }
        }
        b.write(0x4000, &pdata);
        b.dir(3, 0x4000, pdata.len() as u32);
    }
    b
}

/// (image, memory bytes) for each layout.
fn images(b: &PeBuilder) -> Vec<(Layout, u64, Vec<u8>)> {
    vec![
        (Layout::Mapped, b.base(), b.build_mapped()),
        (Layout::File, 0, b.build_file()),
    ]
}

fn parse(layout: Layout, base: u64, bytes: &[u8]) -> PeImage {
    match layout {
        Layout::Mapped => PeImage::from_mapped_bytes(bytes, base).unwrap(),
        Layout::File => PeImage::from_file_bytes(bytes).unwrap(),
    }
}

#[test]
fn headers_pe32_and_pe32plus_in_both_layouts() {
    for is_64 in [false, true] {
        let b = fixture(is_64);
        for (layout, base, bytes) in images(&b) {
            let img = parse(layout, base, &bytes);
            assert_eq!(img.is_64, is_64);
            assert_eq!(img.layout, layout);
            assert_eq!(img.base, base);
            assert_eq!(
                img.machine,
                if is_64 { MACHINE_AMD64 } else { MACHINE_I386 }
            );
            assert_eq!(img.timestamp, 0x5f3e_1a2b);
            assert_eq!(img.checksum, 0x0001_2345);
            assert_eq!(img.size_of_image, SIZE_OF_IMAGE);
            assert_eq!(img.entry_point, 0x1000);
            assert_eq!(img.image_base, b.base());
            assert_eq!(img.subsystem, 3);
            let names: Vec<_> = img.sections.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, [".text", ".rdata", ".pdata", ".rsrc", ".bss"]);
            assert_eq!(img.data_dir(DIR_EXPORT).unwrap().virtual_address, 0x2000);
            assert!(img.data_dir(1).is_none());
            assert_eq!(img.code_id(), "5F3E1A2B7000");
            assert_eq!(img.rva_to_file_offset(0x2010), Some(0x1410));
            assert_eq!(img.rva_to_file_offset(0x6010), None);
        }
    }
}

#[test]
fn file_layout_reads_translate_and_zero_fill() {
    let b = fixture(true);
    let file = b.build_file();
    let img = PeImage::from_file_bytes(&file).unwrap();
    let text = img.read_rva(&file, 0x1000, 4).unwrap();
    assert_eq!(&*text, &[0xcc; 4]);
    // .bss has no file data: zeros.
    assert_eq!(&*img.read_rva(&file, 0x6000, 16).unwrap(), &[0u8; 16]);
    // Crossing a section end, or beyond the image: nothing.
    assert!(img.read_rva(&file, 0x1ff0, 0x20).is_none());
    assert!(img.read_rva(&file, 0x7000, 1).is_none());
    // Headers.
    assert_eq!(&*img.read_rva(&file, 0, 2).unwrap(), b"MZ");
}

#[test]
fn exports_named_ordinal_forwarded_and_lookup() {
    for is_64 in [false, true] {
        let b = fixture(is_64);
        for (layout, base, bytes) in images(&b) {
            let img = parse(layout, base, &bytes);
            let mem = SliceMemory { base, data: &bytes };
            let ex = img.exports(&mem).unwrap();
            assert_eq!(ex.dll_name.as_deref(), Some("widget.dll"));
            assert_eq!(ex.ordinal_base, 5);
            assert_eq!(ex.timestamp, 0x1234_5678);
            assert!(ex.problems.is_empty(), "{:?}", ex.problems);
            let summary: Vec<_> = ex
                .entries()
                .iter()
                .map(|e| {
                    (
                        e.rva,
                        e.ordinal,
                        e.name.as_str(),
                        e.named,
                        e.forwarder.as_deref(),
                    )
                })
                .collect();
            let fwd_rva = ex.by_name("HeapAlloc").unwrap().rva;
            assert_eq!(
                summary,
                [
                    (0x1000, 5, "FuncA", true, None),
                    (0x1050, 6, "FuncB", true, None),
                    (0x1050, 6, "FuncB_Alias", true, None),
                    (0x1080, 7, "Ordinal7", false, None),
                    (0x10a0, 10, "FuncZ", true, None),
                    (fwd_rva, 8, "HeapAlloc", true, Some("NTDLL.RtlAllocateHeap")),
                ]
            );
            assert_eq!(ex.lookup(0x1000), Some(("FuncA", 0)));
            assert_eq!(ex.lookup(0x1010), Some(("FuncA", 0x10)));
            assert_eq!(ex.lookup(0x1050), Some(("FuncB", 0)));
            assert_eq!(ex.lookup(0x1090), Some(("Ordinal7", 0x10)));
            assert_eq!(ex.lookup(0xfff), None);
            assert_eq!(ex.lookup(0), None);
            assert_eq!(ex.lookup(SIZE_OF_IMAGE), None);
            // Forwarders are never lookup results.
            let l = ex.lookup_detailed(fwd_rva + 1).unwrap();
            assert_eq!(l.name, "FuncZ");
            assert_eq!(l.offset, fwd_rva + 1 - 0x10a0);
            assert_eq!(l.next_export_rva, None);
            let l = ex.lookup_detailed(0x1001).unwrap();
            assert_eq!((l.export_rva, l.next_export_rva), (0x1000, Some(0x1050)));
            assert_eq!(ex.by_ordinal(7).unwrap().name, "Ordinal7");
        }
    }
}

#[test]
fn version_info_in_both_layouts() {
    for is_64 in [false, true] {
        let b = fixture(is_64);
        for (layout, base, bytes) in images(&b) {
            let img = parse(layout, base, &bytes);
            let mem = SliceMemory { base, data: &bytes };
            let v = img.version_info(&mem).unwrap().unwrap();
            assert_eq!(v.file_version, Some((10, 0, 19041, 1)));
            assert_eq!(v.product_version, Some((10, 0, 19041, 0)));
            assert_eq!(v.file_flags, 2);
            assert_eq!(v.file_os, 0x0004_0004);
            assert_eq!(v.file_type, 2);
            assert_eq!(v.translations, [(0x0409, 0x04b0)]);
            assert_eq!(v.string_table.as_deref(), Some("040904b0"));
            assert_eq!(v.all_tables.len(), 2);
            assert!(!v.truncated);
            assert_eq!(v.get("CompanyName"), Some("Contoso Ltd."));
            assert_eq!(v.get("companyname"), Some("Contoso Ltd."));
            assert_eq!(v.get("ProductName"), Some("Contoso\u{ae} Widgets"));
            assert_eq!(v.get("FileDescription"), Some("Contoso Widget Library"));
            assert_eq!(v.get("OriginalFilename"), Some("widget.dll"));
            assert_eq!(v.get("InternalName"), Some("widget"));
            assert_eq!(
                v.get("LegalCopyright"),
                Some("\u{a9} Contoso. All rights reserved.")
            );
            assert_eq!(
                v.get("FileVersion"),
                Some("10.0.19041.1 (WinBuild.160101.0800)")
            );
            assert_eq!(v.get("ProductVersion"), Some("10.0.19041.1"));
            assert_eq!(v.get("Comments"), Some(""));
            assert_eq!(v.get("Nope"), None);
        }
    }
}

#[test]
fn version_resource_raw_and_fixed_info() {
    let f = parse_fixed_file_info(&fixed_file_info()).unwrap();
    assert_eq!(f.file_version(), (10, 0, 19041, 1));
    assert_eq!(f.flags(), 2);
    assert!(parse_fixed_file_info(&[0u8; 52]).is_none());
    assert!(parse_fixed_file_info(&fixed_file_info()[..51]).is_none());

    // No translation: first table wins. wValueLength given in bytes (a
    // common bug) and a value without terminator still decode.
    let mut s = vnode("Weird", 1, &utf16z("abc")[..6], 6, &[]);
    s.extend_from_slice(&[]);
    let table = vnode("041104b0", 1, &[], 0, &[s, vstring("ProductName", "X")]);
    let sfi = vnode("StringFileInfo", 1, &[], 0, &[table]);
    let blob = vnode("VS_VERSION_INFO", 0, &[], 0, &[sfi]);
    let v = parse_version_resource(&blob).unwrap();
    assert!(v.fixed.is_none());
    assert_eq!(v.file_version, None);
    assert_eq!(v.string_table.as_deref(), Some("041104b0"));
    assert_eq!(v.get("Weird"), Some("abc"));
    assert_eq!(v.get("ProductName"), Some("X"));

    // Fixed info with wType wrongly 1 still found by its signature.
    let blob = vnode("VS_VERSION_INFO", 1, &fixed_file_info(), 52, &[]);
    let v = parse_version_resource(&blob).unwrap();
    assert_eq!(v.file_version, Some((10, 0, 19041, 1)));
}

#[test]
fn codeview_rsds_in_both_layouts() {
    for is_64 in [false, true] {
        let b = fixture(is_64);
        for (layout, base, bytes) in images(&b) {
            let img = parse(layout, base, &bytes);
            let mem = SliceMemory { base, data: &bytes };
            let cv = img.codeview(&mem).unwrap();
            assert_eq!(cv.pdb_path, r"C:\build\widget\x64\Release\widget.pdb");
            assert_eq!(cv.pdb_file_name(), "widget.pdb");
            assert_eq!(cv.age(), 3);
            assert_eq!(
                cv.guid_string().as_deref(),
                Some("12345678-9ABC-DEF0-0123-456789ABCDEF")
            );
            assert_eq!(cv.debug_identifier(), "123456789ABCDEF00123456789ABCDEF3");
        }
    }
    let mut nb10 = b"NB10".to_vec();
    nb10.extend_from_slice(&[0, 0, 0, 0]);
    nb10.extend_from_slice(&0x3a2b_1c0du32.to_le_bytes());
    nb10.extend_from_slice(&2u32.to_le_bytes());
    nb10.extend_from_slice(b"old.pdb"); // no terminator
    let cv = parse_codeview(&nb10).unwrap();
    assert_eq!(
        cv.kind,
        CodeViewKind::Nb10 {
            signature: 0x3a2b_1c0d,
            age: 2
        }
    );
    assert_eq!(cv.pdb_path, "old.pdb");
    assert_eq!(cv.debug_identifier(), "3A2B1C0D2");
    assert!(parse_codeview(b"RSDS\0\0").is_none());
}

#[test]
fn x64_pdata_and_unwind_info() {
    let b = fixture(true);
    for (layout, base, bytes) in images(&b) {
        let img = parse(layout, base, &bytes);
        let mem = SliceMemory { base, data: &bytes };
        let funcs = img.runtime_functions(&mem).unwrap();
        assert_eq!(funcs.len(), 3);
        assert_eq!(
            funcs[0],
            RuntimeFunction {
                begin: 0x1000,
                end: 0x1050,
                unwind: 0x2800
            }
        );
        assert_eq!(
            lookup_runtime_function(&funcs, 0x1055).unwrap().begin,
            0x1050
        );
        assert!(lookup_runtime_function(&funcs, 0x10b0).is_none());
        assert!(lookup_runtime_function(&funcs, 0xfff).is_none());
        assert_eq!(
            img.runtime_function_for(&mem, 0x10a5).unwrap(),
            Some(funcs[2])
        );
        assert_eq!(
            img.runtime_function_for(&mem, 0x1000).unwrap(),
            Some(funcs[0])
        );
        assert_eq!(img.runtime_function_for(&mem, 0x10b0).unwrap(), None);
        assert_eq!(img.runtime_function_for(&mem, 0x10).unwrap(), None);

        let u = img.unwind_info(&mem, &funcs[0]).unwrap();
        assert_eq!(
            (u.version, u.flags, u.prolog_size),
            (1, UNW_FLAG_EHANDLER, 0x10)
        );
        assert_eq!((u.frame_register, u.frame_offset), (5, 32));
        assert_eq!(u.handler, Some(0x1100));
        assert_eq!(u.handler_data, Some(0x2814));
        assert_eq!(u.chained, None);
        assert!(!u.codes_truncated);
        let ops: Vec<_> = u.codes.iter().map(|c| (c.code_offset, c.op)).collect();
        assert_eq!(
            ops,
            [
                (0x10, UnwindOp::SetFpReg),
                (
                    0x0c,
                    UnwindOp::SaveNonVol {
                        reg: 3,
                        offset: 0x80
                    }
                ),
                (0x08, UnwindOp::AllocLarge { size: 0x100 }),
                (0x02, UnwindOp::PushNonVol { reg: 5 }),
            ]
        );

        let u = img.unwind_info(&mem, &funcs[1]).unwrap();
        assert_eq!(u.flags, UNW_FLAG_CHAININFO);
        assert_eq!(u.codes[0].op, UnwindOp::AllocSmall { size: 32 });
        assert_eq!(u.chained, Some(funcs[0]));
        assert_eq!(u.handler, None);

        let u = img.unwind_info(&mem, &funcs[2]).unwrap();
        assert_eq!(u.version, 2);
        let ops: Vec<_> = u.codes.iter().map(|c| c.op).collect();
        assert_eq!(
            ops,
            [
                UnwindOp::Epilog { info: 1 },
                UnwindOp::Epilog { info: 0 },
                UnwindOp::SaveXmm128 {
                    reg: 6,
                    offset: 0x10000
                },
                UnwindOp::AllocLarge { size: 0x20008 },
                UnwindOp::PushMachFrame { error_code: true },
                UnwindOp::SaveXmm128 {
                    reg: 7,
                    offset: 0x30
                },
            ]
        );
        assert!(!u.codes_truncated);
    }
}

#[test]
fn pe32_has_no_pdata_support() {
    let b = fixture(false);
    let bytes = b.build_mapped();
    let img = PeImage::from_mapped_bytes(&bytes, b.base()).unwrap();
    let mem = SliceMemory {
        base: b.base(),
        data: &bytes,
    };
    assert!(matches!(
        img.runtime_functions(&mem),
        Err(PeError::Unsupported(_))
    ));
    let rf = RuntimeFunction {
        begin: 0x1000,
        end: 0x1010,
        unwind: 0x2800,
    };
    assert!(matches!(
        img.unwind_info(&mem, &rf),
        Err(PeError::Unsupported(_))
    ));
}

#[test]
fn arm64_pdata_packed_and_xdata() {
    let mut b = PeBuilder::new(true);
    b.machine = MACHINE_ARM64;
    // Packed: function length 0x14 words; xdata: length 0x20 words.
    let mut pdata = Vec::new();
    for v in [0x1000u32, (0x14 << 2) | 1, 0x1100, 0x2900] {
        pdata.extend_from_slice(&v.to_le_bytes());
    }
    b.write(0x4000, &pdata);
    b.dir(3, 0x4000, 16);
    b.write(0x2900, &0x20u32.to_le_bytes());
    let bytes = b.build_mapped();
    let img = PeImage::from_mapped_bytes(&bytes, b.base()).unwrap();
    let mem = SliceMemory {
        base: b.base(),
        data: &bytes,
    };
    let f = img.runtime_functions(&mem).unwrap();
    assert_eq!(
        f[0],
        RuntimeFunction {
            begin: 0x1000,
            end: 0x1050,
            unwind: 0x51
        }
    );
    assert_eq!(
        f[1],
        RuntimeFunction {
            begin: 0x1100,
            end: 0x1180,
            unwind: 0x2900
        }
    );
    assert_eq!(img.runtime_function_for(&mem, 0x117f).unwrap(), Some(f[1]));
    assert!(matches!(
        img.unwind_info(&mem, &f[0]),
        Err(PeError::Unsupported(_))
    ));
}

#[test]
fn partly_present_image() {
    let b = fixture(true);
    let bytes = b.build_mapped();
    let base = b.base();
    let img = PeImage::from_mapped_bytes(&bytes, base).unwrap();

    // Export name strings missing: ordinal names, problems reported.
    let mem = Holey {
        base,
        data: &bytes,
        holes: vec![(base + 0x2060, base + 0x2100)],
    };
    let ex = img.exports(&mem).unwrap();
    assert_eq!(ex.dll_name, None);
    assert!(!ex.problems.is_empty());
    assert_eq!(ex.lookup(0x1010), Some(("Ordinal5", 0x10)));
    assert!(ex.entries().iter().all(|e| !e.named));

    // Name pointer table missing.
    let mem = Holey {
        base,
        data: &bytes,
        holes: vec![(base + 0x2044, base + 0x2046)],
    };
    let ex = img.exports(&mem).unwrap();
    assert_eq!(ex.dll_name.as_deref(), Some("widget.dll"));
    assert!(
        ex.problems[0].contains("name pointer table"),
        "{:?}",
        ex.problems
    );
    assert_eq!(ex.lookup(0x1050), Some(("Ordinal6", 0)));

    // Address table missing: error naming it.
    let mem = Holey {
        base,
        data: &bytes,
        holes: vec![(base + 0x2030, base + 0x2031)],
    };
    let err = img.exports(&mem).unwrap_err();
    assert!(err.to_string().contains("export address table"), "{err}");

    // .pdata entry 2 missing: bulk read fails, targeted lookup still works.
    let mem = Holey {
        base,
        data: &bytes,
        holes: vec![(base + 0x4018, base + 0x4024)],
    };
    assert!(matches!(
        img.runtime_functions(&mem),
        Err(PeError::Unreadable { .. })
    ));
    assert_eq!(
        img.runtime_function_for(&mem, 0x1010)
            .unwrap()
            .unwrap()
            .begin,
        0x1000
    );
    assert!(img.runtime_function_for(&mem, 0x10a0).is_err());

    // Version data missing (same page as the directory): an error, not garbage.
    let mem = Holey {
        base,
        data: &bytes,
        holes: vec![(base + 0x5080, base + 0x6000)],
    };
    let err = img.version_info(&mem).unwrap_err();
    assert!(matches!(err, PeError::Unreadable { .. }), "{err}");

    // Whole resource page missing.
    let mem = Holey {
        base,
        data: &bytes,
        holes: vec![(base + 0x5000, base + 0x6000)],
    };
    assert!(img.version_info(&mem).is_err());

    // Debug data missing: None.
    let mem = Holey {
        base,
        data: &bytes,
        holes: vec![(base + 0x2440, base + 0x2441)],
    };
    assert!(img.codeview(&mem).is_none());
}

#[test]
fn fuzz_entry_point_on_valid_images() {
    for is_64 in [false, true] {
        let b = fixture(is_64);
        fuzz_parse(&b.build_mapped());
        fuzz_parse(&b.build_file());
    }
    fuzz_parse(&version_blob());
    fuzz_parse(&[]);
}
