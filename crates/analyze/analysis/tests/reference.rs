//! The reference IIS incident, reconstructed by `coroner-synth`: the analysis must reach the
//! verdict by itself, walk every thread's stack exactly as the generator laid it out (through the
//! nested exception-dispatch frames), and bucket the five dumps of the bug together and the
//! different crash apart.

use coroner_analysis::{analyze, group, Analysis, Options};
use coroner_dump::DumpFile;
use coroner_synth::{reference_set, FrameKind, ReferenceCase};

fn analyse(name: &str, bytes: Vec<u8>) -> Analysis {
    let f = DumpFile::from_bytes(name, bytes);
    let snap = f.snapshot().expect("parses");
    analyze(&snap, &Options::default())
}

#[test]
fn reference_case_reaches_the_verdict() {
    let g = ReferenceCase::default().generate().unwrap();
    let a = analyse("w3wp.dmp", g.dump);
    let e = a.exception.as_ref().unwrap();
    assert_eq!(e.code, 0xc000_0005);
    assert_eq!(e.target, Some(0x0390_0010));
    assert_eq!(e.thread_index, Some(4));
    let d = a.instruction.as_ref().unwrap();
    assert_eq!(d.text, "or      eax,dword ptr [ebx+10h]");
    assert_eq!(d.effective_address, Some(0x0390_0010));
    assert!(d.value.is_none(), "03900010 is not in the dump");
    assert_eq!(
        a.instruction_symbol.as_deref(),
        Some("ntdll!RtlAllocateHeap+0x24")
    );
    let r = a.target_region.as_ref().unwrap();
    assert_eq!((r.base, r.size), (Some(0x038f_2000), Some(0x1e000)));
    assert_eq!(r.state.as_deref(), Some("MEM_FREE"));
    assert_eq!(r.protect.as_deref(), Some("PAGE_NOACCESS"));
    assert_eq!(r.usage, "Free");
    let b = a.blame.as_ref().unwrap();
    assert_eq!(b.module, "ABCUpload4.dll");
    assert_eq!(b.version.as_deref(), Some("4.1.0.2"));
    assert_eq!(b.company.as_deref(), Some("ABC Components Ltd."));
    assert!(b.copyright.as_deref().unwrap().contains("2001"));
    assert_eq!(
        a.findings[0].id(),
        "destroyed_heap",
        "verdict first: {:?}",
        a.findings
    );
    for id in [
        "access_violation",
        "freed_memory",
        "destroyed_heap",
        "nested_exception",
    ] {
        assert!(a.findings.iter().any(|f| f.id() == id), "missing {id}");
    }
    assert_eq!(a.nesting_levels, 2, "depth 3 = two nested faults");
    assert_eq!(a.process.app_pool.as_deref(), Some("DefaultAppPool"));
    assert_eq!(a.process.pid, Some(3412));
    let m = a.module("ABCUpload4.dll").unwrap();
    assert_eq!(m.symbol_status, "export symbols");
    assert_eq!(m.module.checksum, 0);
}

#[test]
fn every_thread_walks_exactly_as_laid_out() {
    for entry in reference_set().unwrap() {
        let truth = entry.truth.clone();
        let f = DumpFile::from_bytes(&entry.name, entry.dump.clone());
        let snap = f.snapshot().unwrap();
        let syms = coroner_analysis::Symbolizer::new(&snap);
        for t in &truth.threads {
            let thread = snap.threads.iter().find(|x| x.id == t.id).unwrap();
            let ctx = if t.id == truth.thread_id {
                snap.exception_context.clone().unwrap()
            } else {
                thread.context.clone().unwrap()
            };
            let w = coroner_unwind::walk(&snap, Some(thread), &ctx, &syms, Default::default());
            let got: Vec<u64> = w.frames.iter().map(|f| f.pc).collect();
            let want: Vec<u64> = t.frames.iter().map(|f| u64::from(f.ip)).collect();
            assert_eq!(got, want, "{} thread {}", entry.name, t.index);
            let dispatch_frames = t
                .frames
                .iter()
                .filter(|f| matches!(f.kind, FrameKind::ExceptionDispatch { .. }))
                .count();
            assert_eq!(
                coroner_unwind::dispatch_transitions(&w),
                dispatch_frames,
                "{}",
                entry.name
            );
        }
    }
}

#[test]
fn five_dumps_of_the_bug_share_one_bucket_and_the_other_crash_does_not() {
    let set = reference_set().unwrap();
    assert_eq!(set.len(), 6);
    let analyses: Vec<Analysis> = set.into_iter().map(|e| analyse(&e.name, e.dump)).collect();
    let refs: Vec<&Analysis> = analyses.iter().collect();
    let groups = group(&refs);
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!(groups[0].members.len(), 5);
    assert!(
        groups[0]
            .bucket
            .starts_with("INVALID_POINTER_READ_c0000005_ABCUpload4.dll+0x"),
        "{}",
        groups[0].bucket
    );
    // The memory map of these dumps shows more than the bucket may say: the classification.
    for a in &analyses[..5] {
        assert_eq!(a.classification.as_deref(), Some("DESTROYED_HEAP"));
        assert_eq!(a.findings[0].id(), "destroyed_heap");
    }
    assert_eq!(groups[1].members.len(), 1);
    assert!(
        groups[1].bucket.contains("ContosoImage.dll"),
        "{}",
        groups[1].bucket
    );
    // The five differ in what must not matter.
    let pids: std::collections::HashSet<_> = analyses[..5].iter().map(|a| a.process.pid).collect();
    let depths: std::collections::HashSet<_> =
        analyses[..5].iter().map(|a| a.nesting_levels).collect();
    assert_eq!(pids.len(), 5);
    assert!(depths.len() >= 3);
}
