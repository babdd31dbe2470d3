//! Command dispatch, argument helpers and `.help`.

use crate::{analyze, memory, modules, process, stack, CmdResult, Session, ShellError};
use std::fmt::Write;

/// Commands and their one-line descriptions (`.help`, tab completion).
pub const COMMANDS: &[(&str, &str)] = &[
    ("r", "registers and current instruction (r, r eax, r eax=1)"),
    (".exr", "exception record (.exr -1, .exr ADDR)"),
    (".ecxr", "switch to the exception context and show it"),
    (
        ".cxr",
        "switch to the CONTEXT record at ADDR (.cxr without ADDR: back to the thread's)",
    ),
    (".lastevent", "the event that stopped the process"),
    (
        "!gle",
        "last error and status of the current thread (!gle -all)",
    ),
    ("!analyze", "coroner's diagnosis in !analyze -v fields"),
    ("~", "threads (~, ~Ns, ~~[tid]s, ~#s, ~*k, ~Nk, ~*e CMD)"),
    (
        "k",
        "stack (k, kb, kv, kn, kp, kP, kL, kc; frame count: kb 50)",
    ),
    ("kb", "stack with the first three arguments"),
    ("kv", "stack with arguments (kb layout)"),
    ("kn", "stack with frame numbers"),
    ("kp", "stack (no private symbols: as k)"),
    ("lm", "modules (lm, lmv, lmf, lmo, lm m PATTERN)"),
    ("lmv", "modules, verbose"),
    ("lmvm", "one module, verbose (lmvm NAME)"),
    ("lmf", "modules with image paths"),
    ("!lmi", "module header facts (!lmi NAME)"),
    ("ln", "nearest symbol: symbol file, else exports (ln ADDR)"),
    ("x", "exports matching MODULE!PATTERN*"),
    ("db", "bytes and ASCII (db ADDR [L count | END])"),
    ("dw", "words"),
    ("dd", "double words"),
    ("dq", "quad words"),
    ("dp", "pointers"),
    ("dc", "double words and ASCII"),
    ("da", "ASCII string"),
    ("du", "UTF-16 string"),
    ("dps", "pointers with symbols"),
    ("dds", "double words with symbols"),
    ("dqs", "quad words with symbols"),
    ("u", "disassemble (u [ADDR] [L count])"),
    ("ub", "disassemble backwards"),
    ("uf", "disassemble a function"),
    ("s", "search memory (s -b|-w|-d|-q|-a|-u RANGE VALUE)"),
    ("!address", "region of ADDR, or the summary without one"),
    ("!vprot", "protection of the region of ADDR"),
    ("!peb", "process environment block"),
    ("!teb", "thread environment block"),
    ("!handle", "handles"),
    ("!runaway", "thread times (!runaway 7)"),
    ("vertarget", "target OS and times"),
    ("|", "process"),
    (".time", "dump time and uptimes"),
    ("?", "evaluate an expression (? ebx+10, ? poi(esp), ? 0n16)"),
    (".echo", "print text"),
    (".help", "this list (help CMD for one command)"),
    ("q", "quit"),
];

/// Runs one command into `o`.
pub fn dispatch(s: &mut Session<'_, '_>, cmd: &str, o: &mut String) -> CmdResult {
    let (name, args) = split_name(cmd);
    let lname = name.to_ascii_lowercase();
    if let Some(rest) = cmd.strip_prefix('~') {
        return stack::thread_cmd(s, rest.trim(), o);
    }
    if let Some(rest) = cmd.strip_prefix('?') {
        if rest.starts_with('?') {
            return Err(ShellError::Message(
                "C++ expressions (??) are not supported; use ? with MASM syntax".into(),
            ));
        }
        return evaluate(s, rest.trim(), o);
    }
    if let Some(rest) = cmd.strip_prefix('|') {
        return process::pipe(s, rest.trim(), o);
    }
    if let Some(ext) = lname.strip_prefix('!') {
        return match ext {
            "analyze" => analyze::analyze(s, args, o),
            "address" => memory::address(s, args, o),
            "vprot" => memory::vprot(s, args, o),
            "gle" => process::gle(s, args, o),
            "peb" => process::peb(s, o),
            "teb" => process::teb(s, args, o),
            "handle" => process::handle(s, args, o),
            "runaway" => process::runaway(s, args, o),
            "lmi" => modules::lmi(s, args, o),
            _ => Err(ShellError::NoExport(name[1..].to_string())),
        };
    }
    match lname.as_str() {
        "r" => stack::r(s, args, o),
        ".exr" => stack::exr(s, args, o),
        ".ecxr" => stack::ecxr(s, o),
        ".cxr" => stack::cxr(s, args, o),
        ".lastevent" => process::lastevent(s, o),
        ".time" => process::time(s, o),
        "vertarget" => process::vertarget(s, o),
        ".help" | "help" => help(args, o),
        ".echo" => {
            let _ = writeln!(o, "{}", args.trim_matches('"'));
            Ok(())
        }
        "q" | "qq" | "qd" | ".quit" | "exit" => {
            s.quit = true;
            Ok(())
        }
        "ln" => modules::ln(s, args, o),
        "x" => modules::x(s, args, o),
        "u" => memory::u(s, args, o),
        "ub" => memory::ub(s, args, o),
        "uf" => memory::uf(s, args, o),
        "s" => memory::search(s, args, o),
        n if n.starts_with("lm") => modules::lm(s, &n[2..], args, o),
        n if n.starts_with('k') && n[1..].chars().all(|c| "bvnpldcf".contains(c)) => {
            stack::k(s, s.thread, &name[1..], args, o)
        }
        n if n.starts_with('d') && memory::is_display(n) => memory::display(s, n, args, o),
        _ => Err(ShellError::Syntax),
    }
}

/// Splits `name args`. Names end at whitespace; `r`/`k`/`d*`/`u`/`x`/`s` may be glued to their
/// argument by a non-letter (`dd@esp`, `r@eax`), which WinDbg allows too.
pub fn split_name(cmd: &str) -> (&str, &str) {
    let end = cmd
        .char_indices()
        .find(|(i, c)| c.is_whitespace() || (*i > 0 && matches!(c, '@' | '(' | '"' | '-' | ',')))
        .map(|(i, _)| i)
        .unwrap_or(cmd.len());
    (&cmd[..end], cmd[end..].trim())
}

/// `? expr`.
fn evaluate(s: &Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    if args.is_empty() {
        return help("?", o);
    }
    let v = s.eval(args)?;
    let hex = if s.ptr() == 4 && (v <= 0xffff_ffff || v >= 0xffff_ffff_8000_0000) {
        format!("{:08x}", v as u32)
    } else {
        coroner_analysis::fmt_addr(v, 8)
    };
    let dec = if s.ptr() == 4 && v >= 0xffff_ffff_8000_0000 {
        (v as i64).to_string()
    } else if s.ptr() == 4 && v <= 0xffff_ffff {
        (v as u32 as i32).to_string()
    } else {
        (v as i64).to_string()
    };
    let _ = writeln!(o, "Evaluate expression: {dec} = {hex}");
    Ok(())
}

/// `.help` / `help CMD`.
pub fn help(args: &str, o: &mut String) -> CmdResult {
    let want = args.trim();
    if want.is_empty() {
        let _ = writeln!(
            o,
            "coroner shell: WinDbg commands over a dump (numbers are hex; 0n10 is decimal)."
        );
        for (c, d) in COMMANDS {
            let _ = writeln!(o, "  {c:<11} {d}");
        }
        return Ok(());
    }
    match COMMANDS.iter().find(|(c, _)| c.eq_ignore_ascii_case(want)) {
        Some((c, d)) => {
            let _ = writeln!(o, "{c} - {d}");
            Ok(())
        }
        None => Err(ShellError::Message(format!("No help for '{want}'"))),
    }
}

/// An address range as d*, u and s take it: `ADDR`, `ADDR L count`, `ADDR L?count`, `ADDR END`.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    /// Start address.
    pub start: u64,
    /// Element count, when given (`L`), or derived from an end address.
    pub count: Option<u64>,
}

/// Parses `ADDR [L count | L?count | END]` where an end address is converted to a count of
/// `elem`-sized elements. `default_start` is used when the address is missing.
pub fn parse_range(
    s: &Session<'_, '_>,
    args: &str,
    elem: u64,
    default_start: Option<u64>,
) -> Result<Range, ShellError> {
    let args = args.trim();
    let (start, rest) = if args.is_empty() || args.starts_with(['L', 'l']) && is_l_count(args) {
        (default_start.ok_or(ShellError::Syntax)?, args)
    } else {
        let (v, rest) = s.eval_prefix(args)?;
        (s.mask(v), rest)
    };
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(Range { start, count: None });
    }
    if is_l_count(rest) {
        let c = rest[1..].trim_start_matches('?').trim();
        let n = s.eval(c)?;
        return Ok(Range {
            start,
            count: Some(n),
        });
    }
    let end = s.mask(s.eval(rest)?);
    if end < start {
        return Err(ShellError::Range);
    }
    let elem = elem.max(1);
    Ok(Range {
        start,
        count: Some(((end - start) / elem).saturating_add(1)),
    })
}

fn is_l_count(t: &str) -> bool {
    let mut c = t.chars();
    matches!(c.next(), Some('L' | 'l'))
        && c.next()
            .is_some_and(|ch| ch == '?' || ch.is_ascii_hexdigit() || ch == ' ' || ch == '0')
}
