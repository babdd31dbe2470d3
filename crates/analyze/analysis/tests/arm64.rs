//! ARM64 unwinding from `.pdata`/`.xdata` against the ARM64 crash lab (`lab/arm64`): a DLL built
//! by clang for aarch64-pc-windows-msvc, run in an emulator that tracked every call, with the
//! dumps and the ground truth (return address, stack pointer and x19–x29 of every live call)
//! committed in `fixtures/lab/arm64/`.
//!
//! `arm64-every-pc.dmp` has one thread stopped before each instruction of the program —
//! prologs, bodies, epilogs, `__chkstk` — so packed and full unwind data are checked in every
//! partial state a frame can be in.

use coroner_analysis::images::ImageStore;
use coroner_analysis::Symbolizer;
use coroner_dump::DumpFile;
use coroner_unwind::{walk, Limits, Trust, UnwindHelp};
use serde_json::Value;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab/arm64")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(dir().join("arm64-expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

const CALLEE_SAVED: [&str; 11] = [
    "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "fp",
];

/// Checks every thread of `dump`: the walker's frames (pc, sp, no scanning) and, unwinding step
/// by step with the image's unwind data, the callee-saved registers of every caller.
fn check_dump(dump: &str, images: Option<&ImageStore>) -> usize {
    let exp = expected();
    let threads = exp["dumps"][dump].as_object().unwrap();
    let file = DumpFile::open(dir().join(dump)).unwrap();
    let snap = file.snapshot().unwrap();
    let syms = match images {
        Some(store) => Symbolizer::with_images(&snap, store),
        None => Symbolizer::new(&snap),
    };
    let mut checked = 0;
    for t in &snap.threads {
        let want = threads[&t.id.to_string()].as_array().unwrap();
        let ctx = t.context.as_ref().unwrap();
        let w = walk(&snap, Some(t), ctx, &syms, Limits::default());
        let got: Vec<(u64, u64)> = w.frames.iter().map(|f| (f.pc, f.sp)).collect();
        let want_ps: Vec<(u64, u64)> = want
            .iter()
            .map(|f| (f[0].as_u64().unwrap(), f[1].as_u64().unwrap()))
            .collect();
        let at = syms.symbolize(ctx.pc());
        assert_eq!(
            got, want_ps,
            "{dump} thread {} stopped at {at:?}: frames (pc, sp) differ",
            t.id
        );
        assert!(
            w.frames.iter().all(|f| f.trust != Trust::Scan),
            "{dump} thread {}: scanned frames",
            t.id
        );
        // Step by step: the registers each unwind step restores.
        let mut cur = ctx.clone();
        for (i, f) in want.iter().enumerate().skip(1) {
            let next = syms
                .unwind(&cur, i == 1)
                .unwrap_or_else(|| panic!("{dump} thread {} at {at:?}: step {i} failed", t.id));
            let regs = f[2].as_array().unwrap();
            for (name, v) in CALLEE_SAVED.iter().zip(regs) {
                assert_eq!(
                    next.get(name),
                    v.as_u64(),
                    "{dump} thread {} stopped at {at:?}: {name} of frame {i}",
                    t.id
                );
            }
            cur = next;
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_instruction_of_the_arm64_lab_unwinds_exactly() {
    let n = check_dump("arm64-every-pc.dmp", None);
    // 334 threads; most stop deep in the chain.
    assert!(n > 1000, "only {n} caller frames checked");
}

#[test]
fn arm64_crash_walks_to_the_thread_start_with_unwind_data_from_dump_memory() {
    assert_eq!(check_dump("arm64-crash.dmp", None), 14);
}

#[test]
fn arm64_crash_without_image_memory_unwinds_with_the_image_file() {
    let store = ImageStore::new(vec![dir()]);
    assert_eq!(check_dump("arm64-crash-noimage.dmp", Some(&store)), 14);
}

#[test]
fn arm64_crash_without_image_memory_or_file_does_not_invent_frames() {
    // No unwind data: frame pointers (or nothing) — but never a frame the ground truth lacks
    // beyond what scanning marks as such.
    let file = DumpFile::open(dir().join("arm64-crash-noimage.dmp")).unwrap();
    let snap = file.snapshot().unwrap();
    let syms = Symbolizer::new(&snap);
    let t = &snap.threads[0];
    let w = walk(
        &snap,
        Some(t),
        t.context.as_ref().unwrap(),
        &syms,
        Limits::default(),
    );
    assert_eq!(w.frames[0].trust, Trust::Context);
    assert!(
        w.frames[1..].iter().all(|f| f.trust != Trust::Cfi),
        "CFI trust claimed without unwind data"
    );
}

#[test]
fn arm64_crash_analysis_shows_the_store_and_the_whole_stack() {
    use coroner_analysis::{analyze, Options};
    let file = DumpFile::open(dir().join("arm64-crash.dmp")).unwrap();
    let snap = file.snapshot().unwrap();
    let a = analyze(&snap, &Options::default());
    let ins = a
        .instruction
        .as_ref()
        .expect("faulting instruction decoded");
    assert_eq!(ins.text, "str         x1,[x9]");
    assert!(ins.writes_memory);
    assert_eq!((ins.effective_address, ins.memory_size), (Some(0), 8));
    assert_eq!(ins.base_register.as_deref(), Some("x9"));
    let names: Vec<String> = a
        .frames
        .iter()
        .map(|f| {
            format!(
                "{}+{:#x}",
                f.symbol.function.as_deref().unwrap_or("?"),
                f.symbol.function_offset
            )
        })
        .collect();
    let want: Vec<String> = expected()["crash_frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, want);
    assert!(a.findings.iter().any(|f| f.id() == "null_pointer"));
}

/// A thread stopped in `KiUserExceptionDispatcher` (found by name, as when ntdll's unwind data
/// is not in the dump): the walk continues from the ARM64 CONTEXT the kernel left at sp, down
/// the whole faulting stack.
#[test]
fn arm64_walk_continues_from_the_dispatcher_context() {
    struct Dispatcher<'a, 's, 'd> {
        inner: &'a Symbolizer<'s, 'd>,
        at: u64,
    }
    impl UnwindHelp for Dispatcher<'_, '_, '_> {
        fn function_name(&self, addr: u64) -> Option<String> {
            if addr == self.at {
                Some("KiUserExceptionDispatcher".into())
            } else {
                self.inner.function_name(addr)
            }
        }
        fn unwind_exact(
            &self,
            ctx: &coroner_model::Context,
            exact: bool,
        ) -> Option<(coroner_model::Context, bool)> {
            self.inner.unwind_exact(ctx, exact)
        }
    }
    let fault_ctx;
    let record;
    {
        let file = DumpFile::open(dir().join("arm64-crash.dmp")).unwrap();
        let snap = file.snapshot().unwrap();
        fault_ctx = snap.threads[0].context.clone().unwrap();
        // The CONTEXT record: CONTEXT_ARM64 | CONTROL | INTEGER | FLOATING, cpsr, x0-x30, sp, pc.
        let mut b = vec![0u8; 0x390];
        b[0..4].copy_from_slice(&0x0040_0007u32.to_le_bytes());
        for (i, n) in coroner_model::ARM64_GPR.iter().enumerate() {
            let v = fault_ctx.get(n).unwrap();
            b[8 + 8 * i..16 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
        b[0x100..0x108].copy_from_slice(&fault_ctx.sp().to_le_bytes());
        b[0x108..0x110].copy_from_slice(&fault_ctx.pc().to_le_bytes());
        record = b;
    }
    let file = DumpFile::open(dir().join("arm64-crash.dmp")).unwrap();
    let mut snap = file.snapshot().unwrap();
    // The record lies below the faulting frame, where the kernel pushed it.
    let at = (fault_ctx.sp() - 0x1000) & !0xf;
    let mut ranges = snap.memory.ranges().to_vec();
    ranges.push(coroner_model::MemoryRange {
        base: at,
        bytes: &record,
    });
    snap.memory = coroner_model::AddressSpace::new(ranges);
    let base = snap.modules[0].base;
    let dispatcher_pc = base + 0x1000;
    let mut ctx = fault_ctx.clone();
    ctx.set("pc", dispatcher_pc);
    ctx.set("sp", at);
    let syms = Symbolizer::new(&snap);
    let help = Dispatcher {
        inner: &syms,
        at: dispatcher_pc,
    };
    let w = walk(
        &snap,
        Some(&snap.threads[0]),
        &ctx,
        &help,
        Limits::default(),
    );
    let got: Vec<u64> = w.frames.iter().map(|f| f.pc).collect();
    let want: Vec<u64> = expected()["dumps"]["arm64-crash.dmp"]["1"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[0].as_u64().unwrap())
        .collect();
    assert_eq!(got[0], dispatcher_pc);
    assert_eq!(w.frames[1].trust, Trust::ExceptionContext);
    assert_eq!(&got[1..], &want[..]);
}
