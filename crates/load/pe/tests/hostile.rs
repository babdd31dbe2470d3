//! Malformed and hostile inputs: errors or `None`, never a panic, always quick.

mod common;

use std::time::{Duration, Instant};

use common::*;
use coroner_pe::*;

fn base_image(is_64: bool) -> PeBuilder {
    let mut b = PeBuilder::new(is_64);
    exports(
        &mut b,
        0x2000,
        "x.dll",
        1,
        &[Func::Code(0x1000), Func::Code(0x1010)],
        &[("A", 0), ("B", 1)],
    );
    resources(&mut b, 0x5000, &version_blob());
    debug_dir(&mut b, 0x2400, "x.pdb");
    b
}

fn with<F: FnOnce(&mut Vec<u8>)>(b: &PeBuilder, f: F) -> Vec<u8> {
    let mut m = b.build_mapped();
    f(&mut m);
    m
}

fn set32(m: &mut [u8], off: usize, v: u32) {
    put(m, off, &v.to_le_bytes());
}

const EXP: usize = 0x2000;

fn exports_of(bytes: &[u8]) -> Result<Exports, PeError> {
    let mem = SliceMemory {
        base: BASE64,
        data: bytes,
    };
    let img = PeImage::parse(&mem, BASE64, Layout::Mapped)?;
    img.exports(&mem)
}

#[test]
fn truncated_headers() {
    let b = base_image(true);
    for bytes in [b.build_mapped(), b.build_file()] {
        for len in 0..0x400 {
            let cut = &bytes[..len];
            let r = PeImage::from_file_bytes(cut);
            // The section table ends at 0x80 + 24 + 240 + 5 * 40 = 0x250.
            assert_eq!(r.is_ok(), len >= 0x250, "len {len:#x}: {r:?}");
            fuzz_parse(cut);
        }
    }
    assert!(matches!(
        PeImage::from_file_bytes(&[]),
        Err(PeError::Unreadable { .. })
    ));
    assert!(matches!(
        PeImage::from_file_bytes(&[0; 64]),
        Err(PeError::Malformed(_))
    ));
}

#[test]
fn e_lfanew_outside() {
    let b = base_image(true);
    for lfanew in [0xffff_fff0u32, 0x7000, 0x10_0000, 0xffff_ffff, 0x3e] {
        let m = with(&b, |m| set32(m, 0x3c, lfanew));
        assert!(PeImage::from_file_bytes(&m).is_err());
        assert!(PeImage::from_mapped_bytes(&m, BASE64).is_err());
        fuzz_parse(&m);
    }
    // Base near the top of the address space: no overflow.
    let m = b.build_mapped();
    let top = u64::MAX - 0x100;
    let mem = SliceMemory {
        base: top,
        data: &m,
    };
    assert!(PeImage::parse(&mem, top, Layout::Mapped).is_err());
}

#[test]
fn section_and_optional_header_counts() {
    let b = base_image(false);
    let m = with(&b, |m| put(m, LFANEW + 6, &0xffffu16.to_le_bytes()));
    assert!(matches!(
        PeImage::from_mapped_bytes(&m, BASE32),
        Err(PeError::TooLarge {
            what: "NumberOfSections",
            ..
        })
    ));
    // 1000 sections (under the cap) but not that many bytes of headers.
    let m = with(&b, |m| put(m, LFANEW + 6, &1000u16.to_le_bytes()));
    let short = &m[..0x1000];
    assert!(matches!(
        PeImage::from_mapped_bytes(short, BASE32),
        Err(PeError::Unreadable {
            what: "section table",
            ..
        })
    ));
    // Zero sections is fine.
    let m = with(&b, |m| put(m, LFANEW + 6, &0u16.to_le_bytes()));
    assert!(PeImage::from_mapped_bytes(&m, BASE32)
        .unwrap()
        .sections
        .is_empty());
    // SizeOfOptionalHeader too small / huge; bad magic; NumberOfRvaAndSizes huge.
    for (off, val) in [
        (LFANEW + 20, 0u16),
        (LFANEW + 20, 0xffff),
        (LFANEW + 24, 0x999),
    ] {
        let m = with(&b, |m| put(m, off, &val.to_le_bytes()));
        assert!(
            PeImage::from_mapped_bytes(&m, BASE32).is_err(),
            "{off:#x}={val:#x}"
        );
    }
    let m = with(&b, |m| set32(m, LFANEW + 24 + 92, 0xffff_ffff));
    let img = PeImage::from_mapped_bytes(&m, BASE32).unwrap();
    assert_eq!(img.data_dirs.len(), 16);
}

#[test]
fn export_counts_and_pointers() {
    let b = base_image(true);
    let start = Instant::now();
    // NumberOfNames = 0xffffffff: names dropped, functions kept.
    let m = with(&b, |m| set32(m, EXP + 24, 0xffff_ffff));
    let ex = exports_of(&m).unwrap();
    assert!(!ex.problems.is_empty());
    assert_eq!(ex.lookup(0x1004), Some(("Ordinal1", 4)));
    // NumberOfFunctions = 0xffffffff: error.
    let m = with(&b, |m| set32(m, EXP + 20, 0xffff_ffff));
    assert!(matches!(exports_of(&m), Err(PeError::TooLarge { .. })));
    // 0x10000 functions: within the cap but not in memory.
    let m = with(&b, |m| set32(m, EXP + 20, 0x1_0000));
    assert!(matches!(exports_of(&m), Err(PeError::Unreadable { .. })));
    // Ordinal base beyond u16 (object rejects, slow path copes).
    let m = with(&b, |m| set32(m, EXP + 16, 0xffff_fff0));
    let ex = exports_of(&m).unwrap();
    assert_eq!(ex.lookup(0x1010), Some(("B", 0)));
    // Table RVAs anywhere.
    for (field, v) in [
        (28, 0xffff_fffc),
        (28, 0),
        (32, 0xffff_ffff),
        (36, 0x6ff0),
        (12, 0xffff_ffff),
    ] {
        let m = with(&b, |m| set32(m, EXP + field, v));
        let _ = exports_of(&m);
    }
    // Name RVAs pointing anywhere; name ordinals out of range.
    let npt = EXP + 40 + 8;
    for v in [0u32, 1, 0x10, 0x6fff, 0x7000, 0xffff_ffff, 0x2000] {
        let m = with(&b, |m| set32(m, npt, v));
        let ex = exports_of(&m).unwrap();
        assert!(ex.entries().len() >= 2);
    }
    let m = with(&b, |m| put(m, npt + 8, &0xffffu16.to_le_bytes()));
    let ex = exports_of(&m).unwrap();
    assert!(ex
        .problems
        .iter()
        .any(|p| p.contains("outside the address table")));
    // A name without terminator running to the end of the image.
    let m = with(&b, |m| {
        m[0x6000..].fill(b'A');
        set32(m, npt, 0x6000);
    });
    let ex = exports_of(&m).unwrap();
    assert!(ex.problems.iter().any(|p| p.contains("names unreadable")));
    // Export directory outside the image / missing.
    let mut b2 = base_image(true);
    b2.dir(0, 0xffff_fff0, 0x100);
    assert!(exports_of(&b2.build_mapped()).is_err());
    b2.dir(0, 0, 0);
    assert!(matches!(
        exports_of(&b2.build_mapped()),
        Err(PeError::Missing(_))
    ));
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn looping_resource_directories() {
    let b = base_image(true);
    let rs = 0x5000;
    let start = Instant::now();
    // Type entry points back at the root.
    let m = with(&b, |m| set32(m, rs + 28, 0x8000_0000));
    let img = PeImage::from_mapped_bytes(&m, BASE64).unwrap();
    let mem = SliceMemory {
        base: BASE64,
        data: &m,
    };
    assert_eq!(img.version_info(&mem).unwrap(), None);
    // Name level points at itself; language level points at the root.
    for (off, v) in [
        (0x30 + 20, 0x8000_0030u32),
        (0x48 + 20, 0x8000_0000),
        (0x48 + 20, 0x8000_0048),
    ] {
        let m = with(&b, |m| set32(m, rs + off, v));
        let img = PeImage::from_mapped_bytes(&m, BASE64).unwrap();
        let mem = SliceMemory {
            base: BASE64,
            data: &m,
        };
        assert_eq!(img.version_info(&mem).unwrap(), None, "{off:#x}");
    }
    // Huge entry counts / offsets outside the directory.
    for (off, v) in [
        (12usize, 0xffff_ffffu32),
        (0x30 + 12, 0xffff_ffff),
        (0x60, 0xffff_ff00),
        (0x64, 0xffff_ffff),
        (28, 0x8fff_0000),
    ] {
        let m = with(&b, |m| set32(m, rs + off, v));
        let img = PeImage::from_mapped_bytes(&m, BASE64).unwrap();
        let mem = SliceMemory {
            base: BASE64,
            data: &m,
        };
        let _ = img.version_info(&mem);
    }
    // Data entry pointing at a missing page: error naming the resource data.
    let m = with(&b, |m| set32(m, rs + 0x60, 0x6800));
    let img = PeImage::from_mapped_bytes(&m, BASE64).unwrap();
    let mem = Holey {
        base: BASE64,
        data: &m,
        holes: vec![(BASE64 + 0x6000, BASE64 + 0x7000)],
    };
    let err = img.version_info(&mem).unwrap_err();
    assert!(err.to_string().contains("resource data"), "{err}");
    // Data of size 0.
    let m = with(&b, |m| set32(m, rs + 0x64, 0));
    let img = PeImage::from_mapped_bytes(&m, BASE64).unwrap();
    let mem = SliceMemory {
        base: BASE64,
        data: &m,
    };
    assert!(img.version_info(&mem).is_err());
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn hostile_version_blobs() {
    let good = version_blob();
    // wLength 0 / tiny.
    let mut z = good.clone();
    put(&mut z, 0, &0u16.to_le_bytes());
    assert!(parse_version_resource(&z).is_err());
    put(&mut z, 0, &4u16.to_le_bytes());
    assert!(parse_version_resource(&z).is_err());
    // wLength larger than the blob: clamped, flagged.
    let mut big = good[..good.len() - 40].to_vec();
    put(&mut big, 0, &0xffffu16.to_le_bytes());
    let v = parse_version_resource(&big).unwrap();
    assert!(v.truncated);
    assert_eq!(v.file_version, Some((10, 0, 19041, 1)));
    // Every truncation of a good blob.
    for len in 0..good.len() {
        let _ = parse_version_resource(&good[..len]);
    }
    // Not a version resource.
    assert!(parse_version_resource(&[0xff; 300]).is_err());
    assert!(parse_version_resource(&[]).is_err());
    // Key without terminator filling the blob.
    let mut k = vec![0x41u8; 200];
    put(&mut k, 0, &200u16.to_le_bytes());
    assert!(parse_version_resource(&k).is_err());
    // Children with wLength 0 and 0xffff.
    let sfi_off = good
        .windows(2 * 14)
        .position(|w| w == &utf16z("StringFileInfo")[..28])
        .unwrap()
        - 6;
    for v in [0u16, 1, 5, 0xffff] {
        let mut c = good.clone();
        put(&mut c, sfi_off, &v.to_le_bytes());
        let _ = parse_version_resource(&c);
        put(&mut c, sfi_off + 2, &v.to_le_bytes());
        let _ = parse_version_resource(&c);
    }
    // String value that is cp1252 bytes reinterpreted, unpaired surrogates.
    let mut s = vnode("Garbled", 1, &[0x00, 0xd8, 0x41, 0x00, 0xe9, 0x00], 3, &[]);
    s.extend_from_slice(&[]);
    let t = vnode("040904b0", 1, &[], 0, &[s]);
    let blob = vnode(
        "VS_VERSION_INFO",
        0,
        &[],
        0,
        &[vnode("StringFileInfo", 1, &[], 0, &[t])],
    );
    let v = parse_version_resource(&blob).unwrap();
    assert_eq!(v.get("Garbled"), Some("\u{fffd}A\u{e9}"));
}

#[test]
fn hostile_unwind_and_pdata() {
    let mut b = PeBuilder::new(true);
    // UNWIND_INFO at the image's very end claiming 255 codes.
    b.write(0x6ffc, &[0x01, 0, 255, 0]);
    // Codes ending in an op needing more slots than counted.
    b.write(0x2800, &[0x01, 0, 1, 0, 0x00, 0x01]);
    // Unknown op 11 and version 7.
    b.write(0x2820, &[0x01, 0, 2, 0, 0x00, 0x0b, 0, 0]);
    b.write(0x2840, &[0x07, 0, 0, 0]);
    // Chained flag with the chain record missing (end of image).
    b.write(0x6ff8, &[0x21, 0, 0, 0]);
    // Indirect entry pointing at itself.
    b.write(0x2860, &[0, 0x10, 0, 0, 0x10, 0x10, 0, 0, 0x61, 0x28, 0, 0]);
    let mut pdata = Vec::new();
    for (s, e, u) in [
        (0x1000u32, 0x1010u32, 0x6ffcu32),
        (0x1010, 0x1020, 0x2800),
        (0x1020, 0x1030, 0x2820),
        (0x1030, 0x1040, 0x2840),
        (0x1040, 0x1050, 0x6ff8),
        (0x1050, 0x1060, 0x2861),
        (0x1060, 0x1070, 0xffff_ffff),
    ] {
        for v in [s, e, u] {
            pdata.extend_from_slice(&v.to_le_bytes());
        }
    }
    b.write(0x4000, &pdata);
    b.dir(3, 0x4000, pdata.len() as u32);
    let m = b.build_mapped();
    let img = PeImage::from_mapped_bytes(&m, BASE64).unwrap();
    let mem = SliceMemory {
        base: BASE64,
        data: &m,
    };
    let f = img.runtime_functions(&mem).unwrap();
    assert!(img.unwind_info(&mem, &f[0]).is_err());
    let u = img.unwind_info(&mem, &f[1]).unwrap();
    assert!(u.codes_truncated);
    let u = img.unwind_info(&mem, &f[2]).unwrap();
    assert!(u.codes_truncated);
    assert_eq!(u.codes[0].op, UnwindOp::Unknown { op: 11, info: 0 });
    assert!(img.unwind_info(&mem, &f[3]).is_err());
    assert!(img.unwind_info(&mem, &f[4]).is_err());
    assert!(img.unwind_info(&mem, &f[5]).is_err());
    assert!(img.unwind_info(&mem, &f[6]).is_err());

    // Exception directory size huge / outside.
    for (rva, size) in [
        (0x4000, 0xffff_ffff),
        (0xffff_fff0, 0x100),
        (0x4000, 0x10_0000),
    ] {
        let mut b2 = PeBuilder::new(true);
        b2.dir(3, rva, size);
        let m = b2.build_mapped();
        let img = PeImage::from_mapped_bytes(&m, BASE64).unwrap();
        let mem = SliceMemory {
            base: BASE64,
            data: &m,
        };
        assert!(img.runtime_functions(&mem).is_err());
        let _ = img.runtime_function_for(&mem, 0x1000);
    }
}

#[test]
fn hostile_debug_directory() {
    let b = base_image(true);
    for (off, v) in [
        (6 * 8, 0xffff_ffffu32),
        (28 + 16, 0xffff_ffff),
        (28 + 20, 0xffff_fff0),
        (28 + 20, 0),
    ] {
        let mut b2 = base_image(true);
        if off == 6 * 8 {
            b2.dir(6, 0x2400, v);
        }
        let m = with(&b2, |m| {
            if off != 6 * 8 {
                set32(m, 0x2400 + off, v);
            }
        });
        let img = PeImage::from_mapped_bytes(&m, BASE64).unwrap();
        let mem = SliceMemory {
            base: BASE64,
            data: &m,
        };
        let _ = img.codeview(&mem);
        fuzz_parse(&m);
    }
    let _ = b;
}

#[test]
fn mutation_smoke() {
    let start = Instant::now();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<Vec<u8>> = [false, true]
        .iter()
        .flat_map(|&is_64| {
            let b = base_image(is_64);
            [b.build_mapped(), b.build_file()]
        })
        .collect();
    // Mutate the interesting regions: headers, export/debug area, resources.
    let regions = [(0usize, 0x300usize), (0x2000, 0x2480), (0x5000, 0x5400)];
    for i in 0..1500 {
        let mut m = seeds[i % seeds.len()].clone();
        for _ in 0..(1 + rng.next() % 8) {
            let (lo, hi) = regions[(rng.next() % 3) as usize];
            let hi = hi.min(m.len());
            if lo >= hi {
                continue;
            }
            let at = lo + (rng.next() as usize) % (hi - lo);
            m[at] = match rng.next() % 4 {
                0 => 0xff,
                1 => 0,
                _ => rng.next() as u8,
            };
        }
        fuzz_parse(&m);
    }
    assert!(start.elapsed() < Duration::from_secs(30));
}

/// Long mutation run: `cargo test --release --test hostile -- --ignored`
/// (iterations from `CORONER_PE_MUTATIONS`, default 200000).
#[test]
#[ignore]
fn mutation_long() {
    let iters: usize = std::env::var("CORONER_PE_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut seeds = Vec::new();
    for is_64 in [false, true] {
        let b = base_image(is_64);
        seeds.push(b.build_mapped());
        seeds.push(b.build_file());
    }
    let mut x = PeBuilder::new(true);
    x.write(
        0x2800,
        &[
            0x09, 0x10, 6, 0x25, 0x10, 0x03, 0x0c, 0x34, 0x10, 0, 0x08, 0x01, 0x20, 0, 0x02, 0x50,
            0, 0x11, 0, 0,
        ],
    );
    let mut pdata = Vec::new();
    for v in [0x1000u32, 0x1050, 0x2800, 0x1050, 0x1060, 0x2801] {
        pdata.extend_from_slice(&v.to_le_bytes());
    }
    x.write(0x4000, &pdata);
    x.dir(3, 0x4000, 24);
    seeds.push(x.build_mapped());
    let regions = [
        (0usize, 0x300usize),
        (0x2000, 0x2900),
        (0x4000, 0x4020),
        (0x5000, 0x5400),
    ];
    for i in 0..iters {
        let mut m = seeds[i % seeds.len()].clone();
        for _ in 0..(1 + rng.next() % 16) {
            let (lo, hi) = regions[(rng.next() % regions.len() as u64) as usize];
            let hi = hi.min(m.len());
            if lo >= hi {
                continue;
            }
            let at = lo + (rng.next() as usize) % (hi - lo);
            m[at] = match rng.next() % 4 {
                0 => 0xff,
                1 => 0,
                _ => rng.next() as u8,
            };
        }
        fuzz_parse(&m);
    }
}

/// The ARM64 lab DLL (packed and full unwind data) cut at every length and with every byte of
/// its `.pdata` and `.xdata` bent: decoding and unwinding must never panic.
#[test]
fn arm64_unwind_data_bent_everywhere() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../fixtures/lab/arm64/crashlab-arm64.dll");
    let dll = std::fs::read(path).unwrap();
    let img = PeImage::from_file_bytes(&dll).unwrap();
    assert_eq!(img.machine, coroner_pe::MACHINE_ARM64);
    let funcs = img.runtime_functions(&&dll[..]).unwrap();
    assert!(funcs.len() >= 10, "{} functions", funcs.len());
    for len in (0..dll.len()).step_by(7) {
        fuzz_parse(&dll[..len]);
    }
    // .pdata and .rdata (where .xdata lies): every byte 0x00, 0xff and flipped.
    let mut n = 0;
    for s in img
        .sections
        .iter()
        .filter(|s| s.name == ".pdata" || s.name == ".rdata")
    {
        let start = s.pointer_to_raw_data as usize;
        let end = (start + s.size_of_raw_data as usize).min(dll.len());
        for i in start..end {
            for v in [0x00, 0xff, dll[i] ^ 0x5a] {
                let mut m = dll.clone();
                m[i] = v;
                fuzz_parse(&m);
                n += 1;
            }
        }
    }
    assert!(n > 500, "{n} variants");
}
