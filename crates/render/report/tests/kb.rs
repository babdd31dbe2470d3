//! `kb` through exception dispatch, column for column as WinDbg prints it: on x86 the
//! `KiUserExceptionDispatcher` line repeats the ChildEBP and Args of the handler frame above it,
//! its RetAddr is the saved CONTEXT's eip and the next line starts from the CONTEXT's ebp; on x64
//! the dispatcher line keeps its own Child-SP. Checked against the reference dumps' ground truth
//! (coroner-synth lays the stacks out and writes the listing WinDbg would print) and on the lab
//! dumps with nested exceptions, in the text report, the Markdown report and the JSON.

use coroner_analysis::{analyze, Analysis, Options};
use coroner_dump::DumpFile;
use coroner_report::windbg::{self, KStyle};
use coroner_report::{json, markdown, text, Outcome};
use std::path::Path;

fn analyse(name: &str, bytes: Vec<u8>) -> Analysis {
    let f = DumpFile::from_bytes(name, bytes);
    let snap = f.snapshot().expect("parses");
    analyze(&snap, &Options::default())
}

fn lab(name: &str) -> Option<Analysis> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../fixtures/lab")
        .join(name);
    let Ok(bytes) = std::fs::read(&p) else {
        println!("skipped: {} is not there", p.display());
        return None;
    };
    Some(analyse(name, bytes))
}

/// A listing line without coroner's `    [how the frame was found]` tag.
fn untagged(line: &str) -> &str {
    line.split("    [").next().unwrap_or(line)
}

#[test]
fn reference_dumps_print_k_exactly_as_the_ground_truth_listing() {
    for e in coroner_synth::reference_set().unwrap() {
        let a = analyse(&e.name, e.dump.clone());
        let got = windbg::k_listing(&a.frames, None, a.system.arch, KStyle::Plain);
        let got: Vec<&str> = got.lines().map(untagged).collect();
        let truth = e.truth.to_text();
        // The truth listing after its `#` case line; `(CONTEXT @ …)` is what `kv` adds.
        let want: Vec<&str> = truth
            .lines()
            .skip(1)
            .map(|l| l.split(" (CONTEXT @ ").next().unwrap_or(l))
            .collect();
        assert_eq!(got, want, "{}", e.name);
        // The files in examples/reference are this generator's output.
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../examples/reference")
            .join(format!("{}.kb.txt", e.name));
        if let Ok(on_disk) = std::fs::read_to_string(&file) {
            assert_eq!(on_disk, truth, "{} is stale: regenerate it", file.display());
        }
    }
}

/// Every x86 dispatcher line: ChildEBP and Args of the line above, RetAddr = the frame restored
/// from the CONTEXT, whose line starts from its own (the CONTEXT's) ebp.
fn check_x86_dispatch(a: &Analysis) -> usize {
    let lines = windbg::stack_lines(&a.frames, a.system.arch);
    let mut seen = 0;
    for (i, l) in lines.iter().enumerate().skip(1) {
        if !l.frame.dispatcher {
            continue;
        }
        seen += 1;
        let above = &lines[i - 1];
        assert_eq!(l.child, above.child, "frame {i:x} ChildEBP");
        assert_eq!(l.args, above.args, "frame {i:x} Args");
        if let Some(next) = lines.get(i + 1) {
            assert_eq!(l.ret_addr, next.frame.address, "frame {i:x} RetAddr");
            assert_eq!(
                next.frame.trust,
                coroner_unwind::Trust::ExceptionContext,
                "frame {:x} comes from the saved CONTEXT",
                i + 1
            );
            assert_eq!(next.child, next.frame.fp, "the CONTEXT's ebp");
        }
    }
    seen
}

#[test]
fn lab_nested_exceptions_x86_repeat_the_handler_frame() {
    let Some(a) = lab("reference-x86.dmp") else {
        return;
    };
    assert!(
        check_x86_dispatch(&a) >= 2,
        "nested exceptions: {}",
        windbg::kb(&a)
    );
    // The dispatcher's own frame facts stay in the JSON: its fp is not the handler frame's.
    let d = a.frames.iter().position(|f| f.dispatcher).unwrap();
    assert_ne!(
        a.frames[d].fp,
        a.frames[d - 1].fp,
        "a real difference to show"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&json::render(&[Outcome::Done(Box::new(a.clone()))])).unwrap();
    let fp = doc["dumps"][0]["frames"][d]["fp"].as_str().unwrap();
    assert_eq!(
        u64::from_str_radix(fp.trim_start_matches("0x"), 16).unwrap(),
        a.frames[d].fp
    );
}

#[test]
fn reports_and_markdown_use_the_windbg_layout() {
    let e = coroner_synth::reference_set().unwrap().remove(2);
    let a = analyse(&e.name, e.dump);
    assert_eq!(check_x86_dispatch(&a), 3);
    let want = [
        "04 00bff29c 7c82eafa 00bff2b4 00bff2d0 00bff2b4 ntdll!RtlDispatchException+0x91",
        "05 00bff29c 7c82a150 00bff2b4 00bff2d0 00bff2b4 ntdll!KiUserExceptionDispatcher+0xe",
        "06 00bff5b4 02bf9bf4 038c0000 00000008 00000020 ntdll!RtlAllocateHeap+0x24",
    ];
    for out in [
        text::render_one(&a, coroner_report::phrase::Lang::En),
        markdown::render_one(&a, coroner_report::phrase::Lang::En),
    ] {
        let lines: Vec<&str> = out.lines().map(untagged).collect();
        let at = lines
            .iter()
            .position(|l| *l == want[0])
            .unwrap_or_else(|| panic!("no {:?} in\n{out}", want[0]));
        assert_eq!(&lines[at..at + 3], &want[..]);
    }
}

#[test]
fn lab_x64_dispatcher_keeps_its_own_child_sp() {
    let Some(a) = lab("reference-x64.dmp") else {
        return;
    };
    let lines = windbg::stack_lines(&a.frames, a.system.arch);
    let mut seen = 0;
    for l in &lines {
        if l.frame.dispatcher {
            seen += 1;
            assert_eq!(l.child, l.frame.sp);
            assert_eq!(l.args, l.frame.args);
        }
    }
    assert!(seen >= 2, "{}", windbg::kb(&a));
}
