//! The `coroner analyze` command end to end: bad inputs get one-line errors naming the file, the
//! rest of a batch is still analysed, the exit status says whether anything failed, inputs are
//! never modified, and the JSON document carries the contract's fields.

use std::path::{Path, PathBuf};
use std::process::Command;

fn coroner() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coroner"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../fixtures/lab")
        .join(name)
}

fn sha(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn bad_inputs_are_reported_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.dmp");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.dmp");
    std::fs::write(&text, b"hello, this is not a dump\n").unwrap();
    let good = fixture("nullwrite-x86.dmp");
    let truncated = dir.path().join("truncated.dmp");
    std::fs::write(&truncated, &std::fs::read(&good).unwrap()[..20]).unwrap();
    let cut = dir.path().join("cut.dmp");
    std::fs::write(&cut, &std::fs::read(&good).unwrap()[..4000]).unwrap();
    let missing = dir.path().join("missing.dmp");
    let before = sha(&good);

    let out = coroner()
        .args(["analyze", "--format", "json"])
        .arg(&empty)
        .arg(&text)
        .arg(&good)
        .arg(&truncated)
        .arg(&missing)
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "non-zero when a file failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "coroner.analysis.v1");
    let dumps = v["dumps"].as_array().unwrap();
    assert_eq!(dumps.len(), 6);
    let err = |i: usize| dumps[i]["error"].as_str().map(str::to_string);
    assert!(err(0).unwrap().contains("empty"));
    assert!(err(1).unwrap().contains("not a minidump"));
    assert!(err(2).is_none(), "good dump analysed: {:?}", err(2));
    assert!(err(3).unwrap().contains("truncated"));
    assert!(err(4).unwrap().contains("cannot read"));
    // A dump cut in the middle: either a clear error or a partial analysis, never a crash.
    assert!(
        err(5).is_some() || dumps[5]["exception"].is_object() || dumps[5]["exception"].is_null()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("empty.dmp"),
        "errors name the file: {stderr}"
    );
    assert_eq!(sha(&good), before, "input unchanged");
}

#[test]
fn json_carries_the_contract_fields() {
    let out = coroner()
        .args(["analyze", "--format", "json"])
        .arg(fixture("reference-x86.dmp"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["dumps"][0];
    for k in [
        "path",
        "error",
        "process",
        "exception",
        "instruction",
        "target_region",
        "frames",
        "faulting_module",
        "blame",
        "findings",
        "bucket",
    ] {
        assert!(d.get(k).is_some(), "missing {k}");
    }
    for k in ["name", "pid", "command_line", "app_pool"] {
        assert!(d["process"].get(k).is_some(), "process.{k}");
    }
    for k in ["code", "name", "address", "thread_id", "access", "target"] {
        assert!(d["exception"].get(k).is_some(), "exception.{k}");
    }
    for k in ["base", "size", "state", "protect", "type", "usage"] {
        assert!(d["target_region"].get(k).is_some(), "target_region.{k}");
    }
    for k in ["address", "module", "function", "offset", "trust"] {
        assert!(d["frames"][0].get(k).is_some(), "frames.{k}");
    }
    for k in [
        "module",
        "version",
        "company",
        "product",
        "copyright",
        "timestamp",
        "reason",
    ] {
        assert!(d["blame"].get(k).is_some(), "blame.{k}");
    }
    for k in ["id", "severity", "title", "description", "recommendation"] {
        assert!(d["findings"][0].get(k).is_some(), "findings.{k}");
    }
    assert_eq!(d["exception"]["code"], "0xc0000005");
    assert_eq!(d["exception"]["name"], "EXCEPTION_ACCESS_VIOLATION");
    assert_eq!(d["exception"]["access"], "read");
    assert!(d["exception"]["target"].as_str().unwrap().starts_with("0x"));
    assert_eq!(d["process"]["app_pool"], "LabPool");
    assert_eq!(v["groups"][0]["dumps"][0], d["path"]);
}

#[test]
fn text_report_starts_with_the_verdict_and_markdown_renders() {
    let out = coroner()
        .arg("analyze")
        .arg(fixture("nullwrite-x64.dmp"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    let first: Vec<&str> = s.lines().take(8).collect();
    assert!(first.iter().any(|l| l.starts_with("What crashed:")), "{s}");
    assert!(first.iter().any(|l| l.starts_with("Who to call:")), "{s}");
    assert!(s.contains("Child-SP"), "x64 kb layout");
    assert!(s.contains("rax="), "x64 r layout");
    let md = coroner()
        .args(["analyze", "--format", "markdown"])
        .arg(fixture("nullwrite-x64.dmp"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&md.stdout).contains("| **Bucket** |"));
}

#[test]
fn several_dumps_are_grouped_by_bucket() {
    let out = coroner()
        .arg("analyze")
        .arg(fixture("reference-x86.dmp"))
        .arg(fixture("reference-firstchance-x86.dmp"))
        .arg(fixture("divzero-x86.dmp"))
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.starts_with("== Summary: 3 dumps"), "{s}");
    // Counts phrased in the singular: each of the three has a bucket of its own here.
    assert!(
        s.contains("1 of 3 dumps has bucket DIVIDE_BY_ZERO_c0000094"),
        "{s}"
    );
}

/// `--images` works the same in `analyze` and `shell` (WinDbg's `.exepath`): the ARM64 lab dump
/// written without module memory unwinds fully only with the image file.
#[test]
fn shell_and_analyze_take_image_folders() {
    let dir = fixture("arm64");
    let dump = dir.join("arm64-crash-noimage.dmp");
    let k = |images: bool| {
        let mut c = coroner();
        c.arg("shell");
        if images {
            c.arg("--images").arg(&dir);
        }
        let out = c.arg(&dump).arg("-c").arg("k").output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let with = k(true);
    assert!(with.contains("crashlab-arm64!lab_entry+0x10"), "{with}");
    assert_eq!(
        with.lines()
            .filter(|l| l.contains("[call frame info]"))
            .count(),
        14,
        "{with}"
    );
    assert!(!k(false).contains("lab_entry+0x10"));
    let out = coroner()
        .args(["analyze", "--format", "json", "--images"])
        .arg(&dir)
        .arg(&dump)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dumps"][0]["frames"].as_array().unwrap().len(), 15);
}

/// Every limit can be lowered (and so raised) by a flag, and hitting one is said in the output.
#[test]
fn limits_are_flags_and_hitting_one_is_reported() {
    use std::io::Write as _;
    let dump = fixture("nullwrite-x64.dmp");
    let dir = tempfile::tempdir().unwrap();
    // A gzip-packed dump with a 1 KiB unpacking limit: a clear error naming the flag.
    let gz = dir.path().join("nullwrite-x64.dmp.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&std::fs::read(&dump).unwrap()).unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    let out = coroner()
        .args(["analyze", "--max-unpacked", "1K"])
        .arg(&gz)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unpacks to more than 1024 bytes (limit; raise with --max-unpacked)"),
        "{err}"
    );
    // The default limit unpacks it.
    assert!(coroner()
        .arg("analyze")
        .arg(&gz)
        .output()
        .unwrap()
        .status
        .success());
    // One entry per list, three frames per stack: the analysis goes on and says what was cut.
    let out = coroner()
        .args([
            "analyze",
            "--format",
            "json",
            "--max-list",
            "1",
            "--max-frames",
            "3",
        ])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = &v["dumps"][0];
    let warnings = d["warnings"].to_string();
    assert!(
        warnings.contains("only the first 1 were read (limit; raise with --max-list)"),
        "{warnings}"
    );
    assert_eq!(d["frames"].as_array().unwrap().len(), 3);
    assert!(d.to_string().contains("stack truncated at 3 frames"));
    // Sizes are checked when parsed.
    let out = coroner()
        .args(["analyze", "--max-unpacked", "lots"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a size"));
}

/// The exit code tells a complete analysis (0) from a partial one (3, a damaged dump) and from
/// a failure (1); `--help` documents them.
#[test]
fn exit_codes_tell_partial_from_complete() {
    let dir = tempfile::tempdir().unwrap();
    let whole = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../examples/reference/w3wp-abcupload-1.dmp");
    let cut = dir.path().join("cut-4k.dmp");
    std::fs::write(&cut, &std::fs::read(&whole).unwrap()[..4096]).unwrap();
    let not_a_dump = dir.path().join("notes.dmp");
    std::fs::write(&not_a_dump, b"hello\n").unwrap();
    let run = |args: &[&Path]| {
        let mut c = coroner();
        c.args(["analyze", "--format", "json"]);
        for a in args {
            c.arg(a);
        }
        let out = c.output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            out.status.code(),
            v,
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, v, _) = run(&[&whole]);
    assert_eq!(code, Some(0));
    assert_eq!(v["dumps"][0]["complete"], true);
    assert!(v["dumps"][0]["damage"].is_null());

    let (code, v, err) = run(&[&whole, &cut]);
    assert_eq!(code, Some(3), "a damaged dump: analysed only in part");
    assert!(err.contains("cut-4k.dmp: damaged dump"), "{err}");
    let d = &v["dumps"][1];
    assert_eq!(d["complete"], false);
    let lost: Vec<&str> = d["damage"]["streams_lost"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(lost.contains(&"ExceptionStream"), "{lost:?}");
    assert_eq!(d["damage"]["bytes_present"], 4096);
    assert!(d["damage"]["bytes_needed"].as_u64().unwrap() > 4096);
    assert_eq!(d["findings"][0]["id"], "damaged_dump");
    assert!(d["exception"].is_null());
    assert!(!d.to_string().contains("no_exception"));
    // The threads and modules that survived are still there.
    assert_eq!(d["threads"].as_array().unwrap().len(), 10);
    assert_eq!(d["modules"].as_array().unwrap().len(), 11);

    let (code, _, _) = run(&[&cut, &not_a_dump]);
    assert_eq!(
        code,
        Some(1),
        "a file not analysed at all outranks a partial one"
    );

    // Text: the warnings come first, and the summary names the damaged dump.
    let out = coroner()
        .arg("analyze")
        .arg(&whole)
        .arg(&cut)
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("damaged: "), "{s}");
    let one = &s[s.find("cut-4k.dmp ==").unwrap()..];
    assert!(one.find("WARNING: damaged dump").unwrap() < one.find("What crashed:").unwrap());
    assert!(!one.contains("taken on demand"), "{one}");

    let help = coroner().args(["analyze", "--help"]).output().unwrap();
    let h = String::from_utf8_lossy(&help.stdout);
    for want in [
        "Exit codes:",
        "0  every dump was analysed completely",
        "3  every dump",
    ] {
        assert!(h.contains(want), "{h}");
    }
    let usage = coroner()
        .args(["analyze", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

/// The subcommands a user can complete and read about.
const SUBCOMMANDS: [&str; 5] = ["analyze", "investigate", "shell", "completions", "man"];

fn stdout_of(args: &[&str]) -> String {
    let out = coroner().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// `coroner completions SHELL` prints a script that names every subcommand; bash's parses.
#[test]
fn completion_scripts_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        assert!(!script.trim().is_empty(), "{shell}");
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("coroner.bash");
    std::fs::write(&file, stdout_of(&["completions", "bash"])).unwrap();
    match Command::new("bash").arg("-n").arg(&file).output() {
        Ok(out) => assert!(
            out.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("skipped `bash -n` on the completion script: no bash here ({e})"),
    }
    let bad = coroner().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// `coroner man` prints coroner(1), roff naming every subcommand; `coroner man analyze` its own
/// page with the exit codes.
#[test]
fn man_page_names_every_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH coroner 1"), "{page}");
    for sub in SUBCOMMANDS {
        assert!(
            page.contains(&format!("coroner\\-{sub}(1)")),
            "lacks {sub}: {page}"
        );
    }
    let analyze = stdout_of(&["man", "analyze"]);
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        analyze.contains(&format!(".TH coroner-analyze 1  \"analyze {version}\"")),
        "{analyze}"
    );
    assert!(analyze.contains("Exit codes:"), "{analyze}");
    let none = coroner().args(["man", "no-such"]).output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no subcommand"));
}

/// `--json` is `--format json` on analyze and investigate, and contradicting it is a usage error.
#[test]
fn json_flag_is_format_json() {
    let dump = fixture("nullwrite-x86.dmp");
    let out = coroner()
        .arg("analyze")
        .arg("--json")
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "coroner.analysis.v1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&dump, dir.path().join("nullwrite-x86.dmp")).unwrap();
    let out = coroner()
        .arg("investigate")
        .arg("--json")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "coroner.investigation.v1");
    for cmd in ["analyze", "investigate"] {
        let out = coroner()
            .args([cmd, "--json", "--format", "text"])
            .arg(&dump)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd}");
    }
}

/// `--help` of analyze and investigate lists their exit codes.
#[test]
fn help_lists_the_exit_codes() {
    let analyze = stdout_of(&["analyze", "--help"]);
    for want in [
        "Exit codes:",
        "0  every dump was analysed completely",
        "1  at least one dump could not be analysed at all",
        "2  usage error, or the report could not be written",
        "3  every dump was analysed, but at least one only in part",
    ] {
        assert!(
            analyze.contains(want),
            "analyze --help lacks {want:?}: {analyze}"
        );
    }
    let investigate = stdout_of(&["investigate", "--help"]);
    for want in [
        "Exit codes:",
        "0  the report was written",
        "1  the report was written, but nothing among the inputs was usable evidence",
        "2  usage error, or the report could not be written",
    ] {
        assert!(
            investigate.contains(want),
            "investigate --help lacks {want:?}: {investigate}"
        );
    }
    let top = stdout_of(&["--help"]);
    assert!(top.contains("Exit codes of `coroner analyze`"), "{top}");
}

/// A failed input's error is printed once, on stderr; the text report on stdout names the input
/// as failed (in its summary) without repeating the error; JSON keeps the error as data.
#[test]
fn a_failed_inputs_error_is_printed_once_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.dmp");
    std::fs::write(&bad, b"hello, this is not a dump\n").unwrap();
    let good = fixture("nullwrite-x86.dmp");
    let run = |args: &[&Path]| {
        let mut c = coroner();
        c.arg("analyze").args(args);
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (text(out.stdout), text(out.stderr))
    };
    let error = "not a minidump";
    let (stdout, stderr) = run(&[&good, &bad]);
    assert!(
        stdout.starts_with("== Summary: 2 dumps, 1 analysed =="),
        "{stdout}"
    );
    let failed = format!(
        "failed: {} (not analysed; the error is on stderr)",
        bad.display()
    );
    assert_eq!(stdout.matches(&failed).count(), 1, "{stdout}");
    assert!(
        !stdout.contains(error),
        "the error is not on stdout: {stdout}"
    );
    assert_eq!(stderr.matches(error).count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("coroner: {}: ", bad.display())),
        "{stderr}"
    );

    let (stdout, stderr) = run(&[&bad]);
    assert_eq!(
        stdout.trim_end(),
        failed,
        "one input: no summary, the line alone"
    );
    assert_eq!(stderr.matches(error).count(), 1, "{stderr}");

    let out = coroner()
        .args(["analyze", "--json"])
        .arg(&bad)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["dumps"][0]["error"].as_str().unwrap().contains(error));
}

/// The only colour is clap's (help headings, usage errors): none when the output is not a
/// terminal, none with NO_COLOR even where CLICOLOR_FORCE asks for it.
#[test]
fn no_colour_off_terminals_or_with_no_color() {
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let out = coroner()
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap();
        [out.stdout, out.stderr].concat()
    };
    let esc = |b: &[u8]| b.contains(&0x1b);
    for args in [
        &["analyze", "--help"][..],
        &["analyze", "--no-such-flag"][..],
    ] {
        assert!(!esc(&run(&[], args)), "piped {args:?}: no escapes");
        assert!(
            esc(&run(&[("CLICOLOR_FORCE", "1")], args)),
            "{args:?}: forced colour"
        );
        assert!(
            !esc(&run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], args)),
            "{args:?}: NO_COLOR wins"
        );
    }
}

fn copy_into(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

/// `investigate --local ROOT` on a Windows 2003 system drive as mounted on Linux (upper-case
/// WINDOWS): it reads the event log, metabase, W3C and HTTPERR logs and DebugDiag's dumps from
/// their standard places, says on stderr what it read and what it did not find, and changes
/// nothing there.
#[test]
fn investigate_local_reads_a_mounted_system_drive() {
    let ex = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../examples/incident");
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let sys = root.join("WINDOWS/system32");
    copy_into(
        &ex.join("eventlogs/SysEvent.Evt"),
        &sys.join("config/SysEvent.Evt"),
    );
    copy_into(&ex.join("MetaBase.xml"), &sys.join("inetsrv/MetaBase.xml"));
    for rel in ["W3SVC1/ex060314.log", "HTTPERR/httperr1.log"] {
        copy_into(
            &ex.join("LogFiles").join(rel),
            &sys.join("LogFiles").join(rel),
        );
    }
    let dump = "w3wp__PID__3412__Date__03_14_2006__Time_05_23_41AM__100__Second_Chance_Exception_C0000005.dmp.gz";
    let diag =
        root.join("Program Files/DebugDiag/Logs/Crash rule for all IIS_COM+ related processes");
    copy_into(&ex.join("dumps").join(dump), &diag.join(dump));
    let before = sha(&diag.join(dump));

    let out = coroner()
        .args(["investigate", "--json", "--no-network", "--local"])
        .arg(root)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("--local reading: ") && err.contains("(IIS 6 metabase)"),
        "{err}"
    );
    assert!(
        err.contains("--local not found: ") && err.contains("(WER report archive)"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["event_logs"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["web_logs"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["dumps"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["configs"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(sha(&diag.join(dump)), before);

    // Without ROOT, off Windows: a usage error that says what to give.
    let out = coroner().args(["investigate", "--local"]).output().unwrap();
    if !cfg!(windows) {
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("--local needs ROOT"));
    }
}

/// Runs coroner on a pseudo-terminal (util-linux `script`), with `env` set; `None` when there
/// is no `script` here.
fn on_terminal(args: &str, env: &[(&str, &str)]) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_coroner");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let mut c = Command::new("script");
    c.current_dir(root).env_remove("NO_COLOR").args([
        "-qec",
        &format!("{bin} {args}"),
        "/dev/null",
    ]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// On a terminal the text report is coloured (dump headings, severities); `NO_COLOR` turns it
/// off; `--quiet` draws no progress bar; a pipe gets neither.
#[test]
fn colour_and_progress_only_on_a_terminal() {
    let two =
        "analyze examples/reference/w3wp-abcupload-1.dmp examples/reference/w3wp-abcupload-2.dmp";
    let Some(tty) = on_terminal(two, &[]) else {
        eprintln!("SKIP: util-linux `script` is not available to make a terminal");
        return;
    };
    let heading = "\x1b[1m== examples/reference/w3wp-abcupload-1.dmp ==\x1b[0m";
    assert!(tty.contains(heading), "{tty}");
    assert!(
        tty.contains("\x1b[1m\x1b[31m[error]\x1b[0m destroyed_heap"),
        "{tty}"
    );
    let plain = on_terminal(two, &[("NO_COLOR", "1")]).unwrap();
    assert!(!plain.contains("\x1b[1m=="), "{plain}");
    assert!(plain.contains("== examples/reference/w3wp-abcupload-1.dmp =="));
    let quiet = on_terminal(&format!("--quiet {two}"), &[("NO_COLOR", "1")]).unwrap();
    assert!(!quiet.contains("/2 ") && !quiet.contains("[#"), "{quiet}");
    let piped = coroner()
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.."))
        .args(two.split(' '))
        .output()
        .unwrap();
    assert!(!piped.stdout.contains(&0x1b) && !piped.stderr.contains(&0x1b));
}
