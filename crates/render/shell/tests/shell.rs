//! The shell over real dumps: the reference case, golden outputs for every command over the
//! crash-lab fixtures (x86 and x64), hostile arguments, piped input, and the REPL in a terminal.
//!
//! Golden files live in `tests/golden/`; after an intended change of layout, regenerate them with
//! `CORONER_BLESS=1 cargo test -p coroner-shell` and review the diff.

use coroner_report::phrase::Lang;
use coroner_shell::Session;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn script(dump: &Path, cmds: &str) -> String {
    script_in(dump, cmds, Lang::En)
}

/// `script` with coroner's own words in `lang`.
fn script_in(dump: &Path, cmds: &str, lang: Lang) -> String {
    let file = coroner_dump::DumpFile::open(dump).expect("dump opens");
    let snap = file.snapshot().expect("snapshot");
    let mut s = Session::new(&snap);
    s.lang = lang;
    let mut out = Vec::new();
    s.run_script(cmds, &mut out).expect("write to memory");
    String::from_utf8(out).expect("utf-8 output")
}

#[test]
fn reference_case_matches_the_windbg_session() {
    let dump = root().join("examples/reference/w3wp-abcupload-1.dmp");
    let out = script(&dump, "r; !address 03900010; kb; lmvm abcupload4");
    for line in [
        "0:004> r",
        "eax=00000008 ebx=03900000 ecx=00bffaf8 edx=7c83ca7a esi=00000008 edi=00000020",
        "eip=7c82a150 esp=00bff9b0 ebp=00bff9c8 iopl=0         nv up ei pl zr na pe nc",
        "cs=001b  ss=0023  ds=0023  es=0023  fs=003b  gs=0000             efl=00010246",
        "ntdll!RtlAllocateHeap+0x24:",
        "7c82a150 0b4310          or      eax,dword ptr [ebx+10h] ds:0023:03900010=????????",
        "0:004> !address 03900010",
        "Usage:                  Free",
        "State:                  00010000          MEM_FREE",
        "Protect:                00000001          PAGE_NOACCESS",
        " # ChildEBP RetAddr  Args to Child              ",
        "01 00bff9ec 7c83ca66 00bffadc 00bffe2c 00bffaf8 ABCUpload4!DllGetClassObject+0x271b4",
        // WinDbg's layout: the dispatcher line repeats ChildEBP and Args of the frame above.
        "04 00bffac4 7c82eafa 00bffadc 00bffaf8 00bffadc ntdll!RtlDispatchException+0x91",
        "05 00bffac4 7c82a150 00bffadc 00bffaf8 00bffadc ntdll!KiUserExceptionDispatcher+0xe",
        "06 00bffddc 10039b47 03900000 00000000 00010000 ntdll!RtlAllocateHeap+0x24    [saved exception CONTEXT (exception dispatch)]",
        "0e 00bffff0 00000000 01001b90 01004aa0 ???????? kernel32!BaseThreadStart+0x34",
        "0:004> lmvm abcupload4",
        "10000000 10056000   ABCUpload4       (export symbols)       ABCUpload4.dll",
        "    CompanyName:      ABC Components Ltd.",
        "    File version:     4.1.0.2",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing line {line:?} in:\n{out}"
        );
    }
    // The nested exception frame (saved CONTEXT) is in the kb table.
    assert!(out
        .contains("ntdll!RtlAllocateHeap+0x24    [saved exception CONTEXT (exception dispatch)]"));
}

/// Every command, in the order of the issue, with arguments that make sense on both fixtures.
const EVERY_COMMAND: &str = "r; r @$ip; .exr -1; .ecxr; .lastevent; !gle; ~; ~1s; r; k 5; ~#s; \
kb 4; kv 3; kn 3; kp 3; kL 3; kc 3; ~*k 3; ~1k 2; lm; lmf; lmvm kernel32; lm m nt*; !lmi ntdll; \
ln @$ip; x kernel32!GetProcA*; db @$csp L20; dw @$csp L10; dd @$csp L8; dq @$csp L4; dp @$csp L4; \
dps @$csp L4; dds @$csp L4; dqs @$csp L2; dc @$csp L8; da @$ip L10; du @$csp L4; u @$ip L4; ub @$ip L2; \
!address @$ip; !address @$csp; !vprot @$ip; !peb; !teb; !handle; !heap -s; !runaway 3; vertarget; |; .time; \
? @$ip; ? 0n10+10; ? poi(@$csp); ? kernel32; .cxr; .help; help kb; !analyze -v; !address; \
!uniqstack";

/// The thread commands of a hang investigation.
const THREAD_COMMANDS: &str = "~; !runaway 7; ~*kb; !uniqstack; !uniqstack -b; ~2s; kb";

fn golden(name: &str, dump: &str) {
    golden_of(name, dump, EVERY_COMMAND)
}

/// The hang commands, on a hang dump: sections held and all, one section by address, the hang
/// verdict, and `!analyze -v` (which has no exception to analyse).
const HANG_COMMANDS: &str =
    "!locks; !locks -v; !cs SECTION; !cs 0; !cs; !analyze -hang; !analyze -v; ~*k 3";

fn golden_hang(name: &str, dump: &str, section: &str) {
    golden_of(name, dump, &HANG_COMMANDS.replace("SECTION", section))
}

fn golden_of(name: &str, dump: &str, commands: &str) {
    golden_in(name, dump, commands, Lang::En)
}

fn golden_in(name: &str, dump: &str, commands: &str, lang: Lang) {
    let out = script_in(&root().join(dump), commands, lang);
    assert!(!out.contains("internal error"), "{out}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"));
    if std::env::var_os("CORONER_BLESS").is_some() {
        std::fs::write(&path, &out).expect("write golden file");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: golden file missing ({e}); CORONER_BLESS=1 writes it",
            path.display()
        )
    });
    if want != out {
        let (i, (a, b)) = want
            .lines()
            .zip(out.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((
                want.lines().count().min(out.lines().count()),
                ("<end>", "<end>"),
            ));
        panic!(
            "{name}: output differs from {} at line {}:\n  want: {a}\n  got:  {b}\n(CORONER_BLESS=1 regenerates)",
            path.display(),
            i + 1
        );
    }
}

/// `!analyze -v` in Korean: coroner's findings and recommendations in Korean, WinDbg's fields
/// and blocks exactly as in English.
#[test]
fn golden_analyze_in_korean() {
    golden_in(
        "reference-x86-ko",
        "fixtures/lab/reference-x86.dmp",
        "!analyze -v; !analyze",
        Lang::Ko,
    );
    golden_in(
        "hang-deadlock-x64-ko",
        "fixtures/lab/hang/deadlock-x64.dmp",
        "!analyze -hang",
        Lang::Ko,
    );
}

/// The Korean `!analyze -v` keeps every WinDbg line of the English one that carries no words of
/// coroner's (fields, `.exr -1`, the stack).
#[test]
fn korean_analyze_keeps_windbg_lines() {
    let dump = root().join("fixtures/lab/reference-x86.dmp");
    let en = script_in(&dump, "!analyze -v", Lang::En);
    let ko = script_in(&dump, "!analyze -v", Lang::Ko);
    let mut in_findings = false;
    for line in en.lines() {
        in_findings = match line {
            "CORONER_FINDINGS: " => true,
            "" => false,
            _ => in_findings,
        };
        if !in_findings && !line.starts_with("BLAME_REASON") && !line.starts_with("FOLLOWUP_NAME") {
            assert!(ko.lines().any(|k| k == line), "missing {line:?} in:\n{ko}");
        }
    }
    assert!(ko.contains("권장 조치:"), "{ko}");
    assert_ne!(en, ko);
}

#[test]
fn golden_hang_commands_deadlock_x64() {
    golden_hang(
        "hang-deadlock-x64",
        "fixtures/lab/hang/deadlock-x64.dmp",
        "62d08100",
    );
}

#[test]
fn golden_hang_commands_blocked_x86() {
    golden_hang(
        "hang-blocked-x86",
        "fixtures/lab/hang/blocked-x86.dmp",
        "62d07050",
    );
}

#[test]
fn golden_every_command_x86() {
    golden("reference-x86", "fixtures/lab/reference-x86.dmp");
}

#[test]
fn golden_every_command_x64() {
    golden("nullwrite-x64", "fixtures/lab/nullwrite-x64.dmp");
}

#[test]
fn golden_every_command_arm64() {
    golden("arm64-crash", "fixtures/lab/arm64/arm64-crash.dmp");
}

#[test]
fn golden_every_command_reference_case() {
    golden(
        "w3wp-abcupload-1",
        "examples/reference/w3wp-abcupload-1.dmp",
    );
}

#[test]
fn golden_thread_commands_x86() {
    golden_of(
        "threads-blocked-x86",
        "fixtures/lab/hang/blocked-x86.dmp",
        THREAD_COMMANDS,
    );
}

#[test]
fn golden_thread_commands_x64() {
    golden_of(
        "threads-deadlock-x64",
        "fixtures/lab/hang/deadlock-x64.dmp",
        THREAD_COMMANDS,
    );
}

/// `!uniqstack` shows one of the twenty identical waits and names the other nineteen threads.
#[test]
fn uniqstack_folds_identical_stacks() {
    let out = one(
        &root().join("fixtures/lab/hang/blocked-x86.dmp"),
        "!uniqstack",
    );
    assert!(
        out.starts_with("Processing 22 threads, please wait"),
        "{out}"
    );
    assert_eq!(out.matches("Id: 120.").count(), 3, "{out}");
    assert!(
        out.contains(
            "\nTotal threads: 22\nDuplicate callstacks: 19 (windbg thread #s follow):\n3, 4, 5,"
        ),
        "{out}"
    );
    assert!(
        out.contains("      Start: labhang+0x15b0 (004015b0)"),
        "{out}"
    );
}

/// One command's output, without the echoed prompt line.
fn one(dump: &Path, cmd: &str) -> String {
    let out = script(dump, cmd);
    out.split_once('\n').map(|x| x.1).unwrap_or("").to_string()
}

#[test]
fn hostile_arguments_get_errors_not_panics_or_floods() {
    for dump in [
        "fixtures/lab/reference-x86.dmp",
        "fixtures/lab/nullwrite-x64.dmp",
    ] {
        let d = root().join(dump);
        let cases: &[(&str, Option<&str>)] = &[
            ("r zz", Some("^ Bad register error in 'r zz'")),
            ("? foo", Some("Couldn't resolve error at 'foo'")),
            ("? poi(0)", Some("Memory access error at")),
            ("? 1/0", Some("Divide by zero error")),
            ("? ((((((1", Some("Syntax error")),
            ("? 1 +", Some("Syntax error")),
            ("?", None),
            ("~99s", Some("^ Illegal thread error in '~99s'")),
            ("~99999999999999999999999s", Some("Illegal thread error")),
            ("~99k", Some("Illegal thread error")),
            ("~~[fffffff]s", Some("Illegal thread error")),
            ("frobnicate", Some("^ Syntax error in 'frobnicate'")),
            ("!frobnicate", Some("No export frobnicate found")),
            ("kb 0", Some("Range error")),
            ("kb ffffffffffffffff", None),
            (
                "db 0 Lffffffffffffffff",
                Some("display capped at 0x100000 bytes"),
            ),
            ("dd 0 L?ffffffff", Some("display capped")),
            ("dq 0 L4", Some("????????`????????")),
            ("dd 0 L4", Some("????????")),
            ("dps 0 L100000", None),
            ("da 0", Some("\"????\"")),
            ("du ffffffff`fffffff0", None),
            ("db 10 0", Some("Range error")),
            ("db 0 L0", Some("Range error")),
            ("u 0", Some("Memory access error")),
            ("ub 0", Some("Memory access error")),
            ("uf 0", Some("Memory access error")),
            ("uf", Some("Syntax error")),
            ("s -d 0 L?ffffffffffffffff 0", Some("search stopped after")),
            ("s -z 0 L10 0", Some("Syntax error")),
            ("s -a 0 L10 noquotes", Some("Syntax error")),
            ("s -d 0 L10", Some("Syntax error")),
            ("s -a 0 L10 \"unterminated", Some("Syntax error")),
            (".cxr 0", Some("Memory access error")),
            (".exr 0", Some("Memory access error")),
            (".exr", Some("Syntax error")),
            ("!address -frob", Some("not supported")),
            ("!heap", Some("only the summary")),
            ("!address ffffffffffffffff", None),
            ("!vprot ffffffff`ffff0000", None),
            ("!lmi nosuchmodule", Some("not found")),
            ("lmvm nosuchmodule", Some("module name")),
            ("lm q", Some("Syntax error")),
            ("x nosuch!*", None),
            ("x ntdll!", Some("Syntax error")),
            ("ln 0", None),
            ("!teb 0", Some("not in the dump")),
            ("!runaway zz", Some("Couldn't resolve")),
            ("!gle -frob", Some("Syntax error")),
            ("help frob", Some("No help for 'frob'")),
            ("r eax=zz", None),
            ("| 5", Some("Syntax error")),
        ];
        for (cmd, want) in cases {
            let out = one(&d, cmd);
            assert!(!out.contains("internal error"), "{dump}: {cmd}: {out}");
            assert!(
                out.lines().count() < 70_000,
                "{dump}: {cmd}: {} lines",
                out.lines().count()
            );
            if let Some(w) = want {
                assert!(out.contains(w), "{dump}: {cmd}: want {w:?}, got:\n{out}");
            }
        }
        // Garbage of every shape: no panic, and the session goes on.
        let mut long = String::from("? ");
        long.push_str(&"(".repeat(100_000));
        for cmd in [
            long.as_str(),
            "~*e ~*e ~*e r",
            "\u{0}\u{7f}\u{ffff}",
            "dd @",
            "dd poi(poi(poi(0)))",
            "k ~",
            "~[",
            "~~[",
            "lm m",
            "s",
            ";;;;",
        ] {
            let out = script(&d, &format!("{cmd}; ? 1"));
            assert!(!out.contains("internal error"), "{dump}: {cmd:?}: {out}");
            assert!(
                out.contains("Evaluate expression: 1 = "),
                "{dump}: {cmd:?}: {out}"
            );
        }
    }
}

#[test]
fn thread_switch_changes_the_prompt_and_context() {
    let d = root().join("fixtures/lab/reference-x86.dmp");
    let out = script(&d, "~0s; r eip; .ecxr; r eip");
    assert!(out.contains("0:000> r eip"), "{out}");
    assert!(out.contains("0:004> r eip"), "{out}");
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_coroner-shell"))
}

#[test]
fn commands_from_a_pipe_and_load_errors() {
    use std::io::Write;
    let d = root().join("examples/reference/w3wp-abcupload-1.dmp");
    let mut child = Command::new(bin())
        .arg(&d)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"r eip\n? 0n16\nq\nr\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("eip=7c82a150"), "{text}");
    assert!(
        text.contains("Evaluate expression: 16 = 00000010"),
        "{text}"
    );
    assert!(!text.contains("0:004> r\n"), "q ends the session: {text}");

    let out = Command::new(bin())
        .arg(root().join("no/such.dmp"))
        .args(["-c", "r"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("such.dmp") && err.lines().count() == 1,
        "{err}"
    );
}

/// The REPL in a real terminal: type a command under tmux and read the screen.
#[test]
fn repl_in_a_terminal() {
    let tmux = |args: &[&str]| Command::new("tmux").args(args).output();
    if tmux(&["-V"]).is_err() {
        println!("skipped: tmux is not installed");
        return;
    }
    let sock = format!("coroner-shell-test-{}", std::process::id());
    let d = root().join("examples/reference/w3wp-abcupload-1.dmp");
    let cmdline = format!("{} {}", bin().display(), d.display());
    let t = |args: &[&str]| {
        let mut v = vec!["-L", sock.as_str()];
        v.extend_from_slice(args);
        tmux(&v)
    };
    let started = t(&["new-session", "-d", "-x", "160", "-y", "50", &cmdline]);
    if !started.as_ref().is_ok_and(|o| o.status.success()) {
        println!("skipped: tmux could not start a session ({started:?})");
        return;
    }
    let screen = |t: &dyn Fn(&[&str]) -> std::io::Result<std::process::Output>| {
        t(&["capture-pane", "-p"])
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .unwrap_or_default()
    };
    let wait_for = |what: &str| {
        for _ in 0..100 {
            let s = screen(&t);
            if s.contains(what) {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        screen(&t)
    };
    let s = wait_for("0:004>");
    assert!(s.contains("0:004>"), "no prompt on screen:\n{s}");
    let _ = t(&["send-keys", "r eip", "Enter"]);
    let s = wait_for("eip=7c82a150");
    assert!(s.contains("eip=7c82a150"), "screen:\n{s}");
    // Tab completion of a module name, then the history (Up) and a thread switch.
    let _ = t(&["send-keys", "lmvm ABCUp", "Tab", "Enter"]);
    let s = wait_for("ABC Components Ltd.");
    assert!(s.contains("ABC Components Ltd."), "screen:\n{s}");
    let _ = t(&["send-keys", "~0s", "Enter"]);
    let s = wait_for("0:000>");
    assert!(s.contains("0:000>"), "screen:\n{s}");
    let _ = t(&["send-keys", "q", "Enter"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = t(&["kill-server"]);
}

/// ARM64: `uf` lists the function as its `.pdata` entry bounds it (or up to `ret` for a leaf
/// without one), and pc/sp/lr/x19 are registers in expressions.
#[test]
fn arm64_uf_and_registers() {
    let out = script(
        &root().join("fixtures/lab/arm64/arm64-crash.dmp"),
        "uf @pc; uf crashlab_arm64!small_frame; ? @sp; ? @lr",
    );
    for line in [
        "crashlab-arm64!leaf_write:",
        "00000001`80001010 f9000121 str         x1,[x9]",
        "00000001`80001014 d65f03c0 ret",
        "crashlab-arm64!small_frame:",
        "00000001`80001064 d63f0100 blr         x8",
        "00000001`80001078 d65f03c0 ret",
        "Evaluate expression: 8361952 = 00000000`007f97e0",
        "Evaluate expression: 6442455144 = 00000001`80001068",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing {line:?} in:\n{out}"
        );
    }
    // The function ends at its .pdata end: nothing of the next function is listed.
    assert!(!out.contains("crashlab-arm64!dynamic_alloca:"));
}

/// With a PDB (the msvc-x64 lab case, no image in the dump), `ln`, `u` and `kb` name code with
/// WinDbg's short names; an exact `ln` match shows the parameter list; a string constant or an
/// address past a function's end is `module+offset`.
#[test]
fn pdb_names_are_windbg_short_names() {
    let dir = root().join("fixtures/lab/msvc-x64");
    let file = coroner_dump::DumpFile::open(dir.join("msvcx64-normal.dmp")).unwrap();
    let snap = file.snapshot().unwrap();
    let symbols = coroner_symbols::Symbols::new(
        coroner_symbols::SymbolPath::parse(&dir.display().to_string()),
        coroner_symbols::Options {
            cache_dir: None,
            allow_network: false,
            ..Default::default()
        },
    );
    let opts = coroner_analysis::Options {
        symbols: Some(std::sync::Arc::new(symbols)),
        ..Default::default()
    };
    let mut s = Session::with_options(&snap, &opts);
    let mut out = Vec::new();
    s.run_script(
        "ln 140001064; ln 140001000; u 140001064 L1; kb 2; ln 140002049; ln 1400010fa",
        &mut out,
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    for line in [
        "(00000001`40001000)   msvcx64!app::Widget::draw+0x64",
        "(00000001`40001000)   msvcx64!app::Widget::draw",
        "    msvcx64!app::Widget::draw (int, float, char const *)",
        "msvcx64!app::Widget::draw+0x64 [C:\\src\\msvc-x64\\app.cpp @ 38]:",
        "(00000001`40000000)   msvcx64+0x2049",
        "(00000001`40000000)   msvcx64+0x10fa",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "missing {line:?} in:\n{out}"
        );
    }
    assert!(
        out.contains(": msvcx64!`anonymous namespace'::Parser::parse+0x6f ["),
        "{out}"
    );
    // A caller's line is that of its call (the return address minus one), as in the report's kb:
    // both build their frames in one place (coroner_analysis::frame_facts).
    assert!(
        out.contains("Parser::parse+0x6f [C:\\src\\msvc-x64\\app.cpp @ 63]"),
        "{out}"
    );
    assert!(!out.contains("__cdecl"), "{out}");
}

/// The heap commands on the synthetic heap dumps (`coroner-synth heaps`): the heaps the PEB
/// lists, walked with the known builds' offsets (the shell has no symbol path).
const HEAP_COMMANDS: &str = "!heap -s; !peb; !address -summary";

#[test]
fn golden_heap_commands_srv2003_x86() {
    golden_of(
        "heap-srv2003-x86",
        "fixtures/synth/heaps/w3wp-heap-srv2003-x86.dmp",
        HEAP_COMMANDS,
    );
}

#[test]
fn golden_heap_commands_win10_x64() {
    golden_of(
        "heap-win10-x64",
        "fixtures/synth/heaps/w3wp-heap-win10-x64.dmp",
        HEAP_COMMANDS,
    );
}

/// With the dump's ntdll PDB on the symbol path (`fixtures/pdb/heap`), `!heap -s` walks the
/// Windows 10 heaps with the PDB's offsets and names it once under the table.
#[test]
fn heap_summary_names_the_ntdll_pdb_its_offsets_came_from() {
    let dump = root().join("fixtures/synth/heaps/w3wp-heap-win10-x64.dmp");
    let file = coroner_dump::DumpFile::open(&dump).expect("dump opens");
    let snap = file.snapshot().expect("snapshot");
    let path =
        coroner_symbols::SymbolPath::parse(&root().join("fixtures/pdb/heap").display().to_string());
    let opts = coroner_analysis::Options {
        symbols: Some(std::sync::Arc::new(coroner_symbols::Symbols::new(
            path,
            coroner_symbols::Options {
                cache_dir: None,
                allow_network: false,
                ..Default::default()
            },
        ))),
        ..Default::default()
    };
    let mut s = Session::with_options(&snap, &opts);
    let mut out = Vec::new();
    s.run_script("!heap -s", &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let named: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("Heap offsets:"))
        .collect();
    assert_eq!(
        named,
        vec!["Heap offsets: ntdll.pdb F2D273E2F1CF0FF94C4C44205044422E1 (the dump's ntdll PDB)"],
        "{out}"
    );
    assert!(
        out.contains("00000204`6f9b0000 00000002    7168     28     3"),
        "{out}"
    );
}
