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
    let _ = img.version_info(mem);
    if let Some(cv) = img.codeview(mem) {
        let _ = cv.debug_identifier();
        let _ = cv.pdb_file_name();
    }
    let _ = img.runtime_function_for(mem, img.entry_point);
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
