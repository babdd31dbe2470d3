//! Whether a dump is a crash: a dump is evidence about a process, not proof that it died.
//!
//! A dump counts as a crash by itself only when it was written at a second-chance (unhandled)
//! exception, as its file name or its content says:
//!
//! 1. A DebugDiag file name names its trigger ([`coroner_iis::dumpname::Trigger`]):
//!    `Second_Chance_Exception_…` is a crash; `Manual Dump`, `Hang Dump` and `First chance
//!    exception` dumps are snapshots of a process that may live on.
//! 2. Otherwise the content decides: no exception stream (a snapshot: DebugDiag manual or hang
//!    dump, ProcDump without `-e`, Task Manager) is not a crash; nor is Breakpad's
//!    `DUMP_REQUESTED`, a debugger's break-in (`0x80000003` in `DbgBreakPoint` /
//!    `DbgUiRemoteBreakin`) or a dump whose comment says the exception was first-chance (as
//!    ProcDump's and DebugDiag's comments do). Any other exception stream is a crash (ProcDump
//!    `-e`, WER LocalDumps, DebugDiag crash rules, Dr. Watson).
//!
//! A dump that is not a crash by itself still belongs to a crash when a termination event for
//! its PID follows it (correlation decides that); otherwise it is listed apart.

use coroner_iis::dumpname::{NameFacts, Trigger};
use coroner_incident::model::{CaptureKind, Fact};
use coroner_incident::time::code;

/// What the dump is, as far as its name and content tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    /// Second-chance exception, manual dump, hang dump, …
    pub kind: CaptureKind,
    /// What says so: `DebugDiag file name "…"`, `exception stream, code 0xc0000005`, …
    pub from: Fact,
    /// Whether the dump proves a crash by itself.
    pub crash: bool,
}

/// The content facts [`classify`] reads from an analysis.
#[derive(Clone, Debug, Default)]
pub struct Content<'a> {
    /// Exception code of the exception stream (`None`: no exception stream).
    pub exception_code: Option<u32>,
    /// The analysis found Breakpad's DUMP_REQUESTED pseudo-exception.
    pub requested: bool,
    /// Comment streams.
    pub comments: &'a [String],
    /// `module!function` of the faulting thread's first frames.
    pub top_frames: Vec<&'a str>,
}

impl<'a> Content<'a> {
    /// The facts of an analysed dump.
    pub fn of(a: &'a coroner_analysis::Analysis) -> Content<'a> {
        Content {
            exception_code: a.exception.as_ref().map(|e| e.code),
            requested: a.has(coroner_analysis::FindingKind::DumpRequested),
            comments: &a.comments,
            top_frames: a
                .frames
                .iter()
                .take(4)
                .map(|f| f.display.as_str())
                .collect(),
        }
    }
}

const BREAKPOINT: u32 = 0x8000_0003;
const WX86_BREAKPOINT: u32 = 0x4000_001f;

/// What a comment stream says about the exception: `Some(true)` second-chance / unhandled,
/// `Some(false)` first-chance.
fn comment_chance(comments: &[String]) -> Option<bool> {
    let text = comments
        .join("\n")
        .to_ascii_lowercase()
        .replace(['_', '-'], " ");
    if text.contains("second chance") || text.contains("unhandled exception") {
        Some(true)
    } else if text.contains("first chance") {
        Some(false)
    } else {
        None
    }
}

fn debugger_break(c: &Content<'_>) -> bool {
    matches!(c.exception_code, Some(BREAKPOINT | WX86_BREAKPOINT))
        && c.top_frames.iter().any(|f| {
            let f = f.to_ascii_lowercase();
            f.contains("!dbgbreakpoint") || f.contains("!dbguiremotebreakin")
        })
}

fn cap(kind: CaptureKind, from: Fact, crash: bool) -> Capture {
    Capture { kind, from, crash }
}

/// Classifies a dump by its file name (`name`) and content (`content`, `None` when the dump
/// could not be analysed).
pub fn classify(name: Option<&NameFacts>, content: Option<&Content<'_>>) -> Capture {
    if let Some((t, part)) = name.and_then(|n| n.trigger.as_ref()) {
        let kind = match t {
            Trigger::SecondChance => CaptureKind::SecondChance,
            Trigger::FirstChance => CaptureKind::FirstChance,
            Trigger::Manual => CaptureKind::Manual,
            Trigger::Hang => CaptureKind::Hang,
        };
        let from = Fact::NamedBy {
            part: part.to_string(),
        };
        return cap(kind, from, *t == Trigger::SecondChance);
    }
    let Some(c) = content else {
        return cap(CaptureKind::Unreadable, Fact::NotAnalysed, false);
    };
    let Some(x) = c.exception_code else {
        return cap(CaptureKind::Snapshot, Fact::NoExceptionStream, false);
    };
    if c.requested {
        return cap(CaptureKind::OnRequest, Fact::DumpRequested, false);
    }
    if debugger_break(c) {
        let from = Fact::BreakIn { code: code(x) };
        return cap(CaptureKind::BreakIn, from, false);
    }
    match comment_chance(c.comments) {
        Some(false) => cap(CaptureKind::FirstChance, Fact::CommentFirstChance, false),
        Some(true) => cap(
            CaptureKind::SecondChance,
            Fact::CommentSecondChance { code: code(x) },
            true,
        ),
        None => cap(
            CaptureKind::Exception,
            Fact::ExceptionStream { code: code(x) },
            true,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(file: &str) -> NameFacts {
        coroner_iis::dumpname::parse(file).expect("name parses")
    }

    #[test]
    fn by_name() {
        let av = Content {
            exception_code: Some(0xc000_0005),
            ..Content::default()
        };
        let n = named("w3wp__PID__1__Date__03_14_2006__Time_10_23_41AM__5__Second_Chance_Exception_C0000005.dmp");
        let c = classify(Some(&n), Some(&av));
        assert!(c.crash);
        assert_eq!(c.kind, CaptureKind::SecondChance);
        assert_eq!(
            c.from,
            Fact::NamedBy {
                part: "Second_Chance_Exception_C0000005".into()
            }
        );
        for file in [
            "w3wp.exe__DefaultAppPool__PID__6120__Date__03_14_2006__Time_05_52_10AM__812__Manual Dump.dmp",
            "w3wp__PID__1__Date__03_14_2006__Time_10_23_41AM__5__IIS_COM+ Hang Dump.dmp",
            "w3wp__PID__1__Date__03_14_2006__Time_10_23_41AM__5__First_Chance_Exception_C0000005.dmp",
        ] {
            // The name wins even over an exception stream.
            let c = classify(Some(&named(file)), Some(&av));
            assert!(!c.crash, "{file}");
        }
    }

    #[test]
    fn by_content() {
        let procdump = named("w3wp.exe_060314_102341.dmp");
        let none = Content::default();
        let c = classify(Some(&procdump), Some(&none));
        assert!(!c.crash);
        assert_eq!(c.kind, CaptureKind::Snapshot);
        let av = Content {
            exception_code: Some(0xc000_0005),
            ..Content::default()
        };
        assert!(classify(Some(&procdump), Some(&av)).crash);
        assert!(classify(None, Some(&av)).crash);
        let first = vec![
            "*** procdump -ma -e 1 w3wp\n*** First-chance exception: C0000005.ACCESS_VIOLATION"
                .to_string(),
        ];
        let c = classify(
            None,
            Some(&Content {
                comments: &first,
                ..av.clone()
            }),
        );
        assert_eq!((c.kind, c.crash), (CaptureKind::FirstChance, false));
        let second = vec!["*** Unhandled exception: C0000005.ACCESS_VIOLATION".to_string()];
        assert!(
            classify(
                None,
                Some(&Content {
                    comments: &second,
                    ..av.clone()
                })
            )
            .crash
        );
        let brk = Content {
            exception_code: Some(0x8000_0003),
            top_frames: vec!["ntdll!DbgBreakPoint", "ntdll!DbgUiRemoteBreakin+0x2d"],
            ..Content::default()
        };
        assert_eq!(classify(None, Some(&brk)).kind, CaptureKind::BreakIn);
        assert!(!classify(None, Some(&brk)).crash);
        // An int 3 in the program's own code is a crash.
        let int3 = Content {
            exception_code: Some(0x8000_0003),
            top_frames: vec!["app!assert_failed+0x12"],
            ..Content::default()
        };
        assert!(classify(None, Some(&int3)).crash);
        let req = Content {
            exception_code: Some(0xffff_ffff),
            requested: true,
            ..Content::default()
        };
        assert!(!classify(None, Some(&req)).crash);
        assert!(!classify(None, None).crash);
    }
}
