//! Entry point for fuzzers (`cargo fuzz`): runs every parser over arbitrary bytes.

use crate::debug::parse_codeview;
use crate::{parse_fixed_file_info, parse_version_resource, Layout, Memory, PeImage, SliceMemory};

/// Base address used when fuzzing the mapped layout.
const FUZZ_BASE: u64 = 0x7ff6_1234_0000;
/// Unwind infos decoded per image (keeps each run fast).
const MAX_UNWIND_DECODES: usize = 256;
/// Chained unwind infos followed.
const MAX_CHAIN: usize = 32;

/// Run every parser over `bytes`, as an image mapped at a fixed base and as
/// a file, and as raw version / CodeView blobs. Must never panic.
pub fn fuzz_parse(bytes: &[u8]) {
    let _ = parse_version_resource(bytes);
    let _ = parse_fixed_file_info(bytes);
    let _ = parse_codeview(bytes);

    // ARM64 unwind codes and a packed unwind word straight from the bytes.
    let read = |a: u64| Some(a.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let codes = crate::arm64::decode_codes(bytes, 0);
    let raw = crate::Arm64Unwind {
        function_length: (bytes.len() as u32).saturating_mul(4),
        prolog: codes,
        epilogs: Vec::new(),
        fragment: false,
        packed: false,
        has_handler: false,
    };
    for offset in [0, 4, 8, 64, u32::MAX - 3] {
        let _ = crate::arm64_virtual_unwind(&raw, offset, &mut arm64_regs(), &read);
    }
    if let Some(w) = bytes.get(..4) {
        let packed = crate::arm64::expand_packed(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
        for offset in [0, 4, packed.function_length.saturating_sub(4)] {
            let _ = crate::arm64_virtual_unwind(&packed, offset, &mut arm64_regs(), &read);
        }
    }

    let mapped = SliceMemory {
        base: FUZZ_BASE,
        data: bytes,
    };
    run_image(&mapped, FUZZ_BASE, Layout::Mapped);
    run_image(&bytes, 0, Layout::File);
}

fn run_image(mem: &dyn Memory, base: u64, layout: Layout) {
    let Ok(img) = PeImage::parse(mem, base, layout) else {
        return;
    };
    let _ = img.code_id();
    let _ = img.rva_to_file_offset(img.entry_point);
    if let Ok(ex) = img.exports(mem) {
        for rva in [0, 1, img.entry_point, img.size_of_image / 2, u32::MAX] {
            let _ = ex.lookup(rva);
        }
        for e in ex.entries().iter().take(64) {
            let _ = ex.lookup_detailed(e.rva.wrapping_add(1));
        }
    }
    if let Ok(dir) = img.export_directory(mem) {
        let _ = dir.dll_name(&img, mem);
        for rva in [0, 1, img.entry_point, img.size_of_image / 2, u32::MAX] {
            let found = dir.lookup(&img, mem, rva);
            if let Some(name) = found.as_ref().map(|l| l.name.as_str()) {
                let _ = dir.by_name(&img, mem, name);
            }
        }
        let _ = dir.by_name(&img, mem, "");
    }
    let _ = img.version_info(mem);
    if let Some(d) = img.data_dir(12) {
        // IMAGE_DIRECTORY_ENTRY_IAT: its first slots, and a few beside it.
        for slot in [0, 4, 8, d.size / 2, d.size.wrapping_sub(4)] {
            let _ = img.import_at(mem, d.virtual_address.wrapping_add(slot));
        }
    }
    let _ = img.import_at(mem, img.entry_point);
    if let Some(cv) = img.codeview(mem) {
        let _ = cv.debug_identifier();
        let _ = cv.pdb_file_name();
    }
    let _ = img.runtime_function_for(mem, img.entry_point);
    if img.machine == crate::MACHINE_ARM64 {
        let read = |a: u64| {
            mem.read(a, 8)
                .map(|b| u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8])))
        };
        if let Ok(funcs) = img.runtime_functions(mem) {
            for f in funcs.iter().take(MAX_UNWIND_DECODES) {
                if let Ok(u) = img.arm64_unwind(mem, f) {
                    let len = f.end.saturating_sub(f.begin);
                    for offset in [0, 4, (len / 2) & !3, len.saturating_sub(4)] {
                        let _ = crate::arm64_virtual_unwind(&u, offset, &mut arm64_regs(), &read);
                    }
                }
            }
        }
        return;
    }
    if let Ok(funcs) = img.runtime_functions(mem) {
        for f in funcs.iter().take(MAX_UNWIND_DECODES) {
            let mut rf = *f;
            for _ in 0..MAX_CHAIN {
                match img.unwind_info(mem, &rf) {
                    Ok(ui) => match ui.chained {
                        Some(next) => rf = next,
                        None => break,
                    },
                    Err(_) => break,
                }
            }
        }
    }
}

fn arm64_regs() -> crate::Arm64Regs {
    crate::Arm64Regs {
        x: std::array::from_fn(|i| 0x1000 * i as u64),
        sp: 0x7f_0000,
        pc: 0x1_8000_1000,
    }
}
