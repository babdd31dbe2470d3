//! Command dispatch, argument helpers and `.help`.

use crate::{analyze, locks, memory, modules, process, stack, CmdResult, Session, ShellError};
use std::fmt::Write;

/// A command as typed: its name (as written, and lowercased), its arguments, and for a prefix
/// command (`~`, `?`, `|`) everything after the prefix.
pub struct Call<'c> {
    /// The name as typed (`kL` keeps its case: `k` variants differ by case).
    pub name: &'c str,
    /// The name lowercased.
    pub lname: &'c str,
    /// The arguments after the name.
    pub args: &'c str,
    /// The whole command after a prefix character.
    pub rest: &'c str,
}

type Handler = fn(&mut Session<'_, '_>, &Call<'_>, &mut String) -> CmdResult;

/// Which typed names select a command.
pub enum Names {
    /// These names, ignoring case.
    Exact(&'static [&'static str]),
    /// Names the function accepts (the `k`, `lm` and `d*` families), tried after every exact name.
    Family(fn(&str) -> bool),
    /// Any command that starts with this character (`~3s`, `?esp+4`, `|`).
    Prefix(char),
}

/// One command: the name shown, its one-line help with the syntax, the names that select it and
/// what runs it. The one table behind dispatch, `.help` and tab completion.
pub struct Command {
    /// The name `.help` lists and completion offers.
    pub name: &'static str,
    /// One line: what it shows, with its syntax.
    pub help: &'static str,
    /// The typed names that select it.
    pub names: Names,
    run: Handler,
}

const fn cmd(name: &'static str, help: &'static str, names: Names, run: Handler) -> Command {
    Command {
        name,
        help,
        names,
        run,
    }
}

use Names::{Exact, Family, Prefix};

fn k_family(n: &str) -> bool {
    n.starts_with('k') && n[1..].chars().all(|c| "bvnpldcf".contains(c))
}
fn lm_family(n: &str) -> bool {
    n.starts_with("lm")
}
fn stack_k(s: &mut Session<'_, '_>, c: &Call<'_>, o: &mut String) -> CmdResult {
    stack::k(s, s.thread, &c.name[1..], c.args, o)
}
fn lm(s: &mut Session<'_, '_>, c: &Call<'_>, o: &mut String) -> CmdResult {
    modules::lm(s, &c.lname[2..], c.args, o)
}
fn display(s: &mut Session<'_, '_>, c: &Call<'_>, o: &mut String) -> CmdResult {
    memory::display(s, c.lname, c.args, o)
}
fn echo(_: &mut Session<'_, '_>, c: &Call<'_>, o: &mut String) -> CmdResult {
    let _ = writeln!(o, "{}", c.args.trim_matches('"'));
    Ok(())
}
fn quit(s: &mut Session<'_, '_>, _: &Call<'_>, _: &mut String) -> CmdResult {
    s.quit = true;
    Ok(())
}
fn question(s: &mut Session<'_, '_>, c: &Call<'_>, o: &mut String) -> CmdResult {
    if c.rest.starts_with('?') {
        return Err(ShellError::Message(
            "C++ expressions (??) are not supported; use ? with MASM syntax".into(),
        ));
    }
    evaluate(s, c.rest.trim(), o)
}

/// Every command, in the order `.help` lists them.
pub const COMMANDS: &[Command] = &[
    cmd(
        "r",
        "registers and current instruction (r, r eax, r eax=1)",
        Exact(&["r"]),
        |s, c, o| stack::r(s, c.args, o),
    ),
    cmd(
        ".exr",
        "exception record (.exr -1, .exr ADDR)",
        Exact(&[".exr"]),
        |s, c, o| stack::exr(s, c.args, o),
    ),
    cmd(
        ".ecxr",
        "switch to the exception context and show it",
        Exact(&[".ecxr"]),
        |s, _, o| stack::ecxr(s, o),
    ),
    cmd(
        ".cxr",
        "switch to the CONTEXT record at ADDR (.cxr without ADDR: back to the thread's)",
        Exact(&[".cxr"]),
        |s, c, o| stack::cxr(s, c.args, o),
    ),
    cmd(
        ".lastevent",
        "the event that stopped the process",
        Exact(&[".lastevent"]),
        |s, _, o| process::lastevent(s, o),
    ),
    cmd(
        "!gle",
        "last error and status of the current thread (!gle -all)",
        Exact(&["!gle"]),
        |s, c, o| process::gle(s, c.args, o),
    ),
    cmd(
        "!analyze",
        "coroner's diagnosis in !analyze -v fields (!analyze -hang: the hang verdict)",
        Exact(&["!analyze"]),
        |s, c, o| analyze::analyze(s, c.args, o),
    ),
    cmd(
        "!locks",
        "held critical sections with owner and waiters (!locks -v: every section found)",
        Exact(&["!locks"]),
        |s, c, o| locks::locks(s, c.args, o),
    ),
    cmd(
        "!cs",
        "the critical section at ADDR (!cs ADDR)",
        Exact(&["!cs"]),
        |s, c, o| locks::cs(s, c.args, o),
    ),
    cmd(
        "~",
        "threads (~, ~Ns, ~~[tid]s, ~#s, ~*k, ~Nk, ~*e CMD)",
        Prefix('~'),
        |s, c, o| stack::thread_cmd(s, c.rest.trim(), o),
    ),
    cmd(
        "!uniqstack",
        "each distinct stack once, then the threads that repeat one (!uniqstack [-b] [-n])",
        Exact(&["!uniqstack"]),
        |s, c, o| stack::uniqstack(s, c.args, o),
    ),
    cmd(
        "k",
        "stack (k, kb, kv, kn, kp, kP, kL, kc; frame count: kb 50)",
        Family(k_family),
        stack_k,
    ),
    cmd(
        "kb",
        "stack with the arguments (x86: three above ChildEBP; x64: the four home slots)",
        Exact(&["kb"]),
        stack_k,
    ),
    cmd(
        "kv",
        "stack with arguments (kb layout)",
        Exact(&["kv"]),
        stack_k,
    ),
    cmd("kn", "stack with frame numbers", Exact(&["kn"]), stack_k),
    cmd(
        "kp",
        "stack (no private symbols: as k)",
        Exact(&["kp"]),
        stack_k,
    ),
    cmd(
        "lm",
        "modules (lm, lmv, lmf, lmo, lm m PATTERN)",
        Family(lm_family),
        lm,
    ),
    cmd("lmv", "modules, verbose", Exact(&["lmv"]), lm),
    cmd(
        "lmvm",
        "one module, verbose (lmvm NAME)",
        Exact(&["lmvm"]),
        lm,
    ),
    cmd("lmf", "modules with image paths", Exact(&["lmf"]), lm),
    cmd(
        "!lmi",
        "module header facts (!lmi NAME)",
        Exact(&["!lmi"]),
        |s, c, o| modules::lmi(s, c.args, o),
    ),
    cmd(
        "ln",
        "nearest symbol: symbol file, else exports (ln ADDR)",
        Exact(&["ln"]),
        |s, c, o| modules::ln(s, c.args, o),
    ),
    cmd(
        "x",
        "exports matching MODULE!PATTERN*",
        Exact(&["x"]),
        |s, c, o| modules::x(s, c.args, o),
    ),
    cmd(
        "db",
        "bytes and ASCII (db ADDR [L count | END])",
        Family(memory::is_display),
        display,
    ),
    cmd("dw", "words", Exact(&["dw"]), display),
    cmd("dd", "double words", Exact(&["dd"]), display),
    cmd("dq", "quad words", Exact(&["dq"]), display),
    cmd("dp", "pointers", Exact(&["dp"]), display),
    cmd("dc", "double words and ASCII", Exact(&["dc"]), display),
    cmd("da", "ASCII string", Exact(&["da"]), display),
    cmd("du", "UTF-16 string", Exact(&["du"]), display),
    cmd("dps", "pointers with symbols", Exact(&["dps"]), display),
    cmd("dds", "double words with symbols", Exact(&["dds"]), display),
    cmd("dqs", "quad words with symbols", Exact(&["dqs"]), display),
    cmd(
        "u",
        "disassemble (u [ADDR] [L count])",
        Exact(&["u"]),
        |s, c, o| memory::u(s, c.args, o),
    ),
    cmd("ub", "disassemble backwards", Exact(&["ub"]), |s, c, o| {
        memory::ub(s, c.args, o)
    }),
    cmd("uf", "disassemble a function", Exact(&["uf"]), |s, c, o| {
        memory::uf(s, c.args, o)
    }),
    cmd(
        "s",
        "search memory (s -b|-w|-d|-q|-a|-u RANGE VALUE)",
        Exact(&["s"]),
        |s, c, o| memory::search(s, c.args, o),
    ),
    cmd(
        "!address",
        "region of ADDR, or the summary without one",
        Exact(&["!address"]),
        |s, c, o| memory::address(s, c.args, o),
    ),
    // --- memory (issue 15) ---
    cmd(
        "!heap",
        "heap summary (!heap -s)",
        Exact(&["!heap"]),
        |s, c, o| crate::heap::heap(s, c.args, o),
    ),
    // --- end memory ---
    cmd(
        "!vprot",
        "protection of the region of ADDR",
        Exact(&["!vprot"]),
        |s, c, o| memory::vprot(s, c.args, o),
    ),
    cmd(
        "!peb",
        "process environment block",
        Exact(&["!peb"]),
        |s, _, o| process::peb(s, o),
    ),
    cmd(
        "!teb",
        "thread environment block",
        Exact(&["!teb"]),
        |s, c, o| process::teb(s, c.args, o),
    ),
    cmd("!handle", "handles", Exact(&["!handle"]), |s, c, o| {
        process::handle(s, c.args, o)
    }),
    cmd(
        "!runaway",
        "thread times (!runaway 7)",
        Exact(&["!runaway"]),
        |s, c, o| process::runaway(s, c.args, o),
    ),
    cmd(
        "vertarget",
        "target OS and times",
        Exact(&["vertarget"]),
        |s, _, o| process::vertarget(s, o),
    ),
    cmd("|", "process", Prefix('|'), |s, c, o| {
        process::pipe(s, c.rest.trim(), o)
    }),
    cmd(
        ".time",
        "dump time and uptimes",
        Exact(&[".time"]),
        |s, _, o| process::time(s, o),
    ),
    cmd(
        "?",
        "evaluate an expression (? ebx+10, ? poi(esp), ? 0n16)",
        Prefix('?'),
        question,
    ),
    cmd(".echo", "print text", Exact(&[".echo"]), echo),
    cmd(
        ".help",
        "this list (help CMD for one command)",
        Exact(&[".help", "help"]),
        |_, c, o| help(c.args, o),
    ),
    cmd(
        "q",
        "quit",
        Exact(&["q", "qq", "qd", ".quit", "exit"]),
        quit,
    ),
];

/// The command a typed line selects: a prefix command by its first character, else the exact
/// name, else a family.
fn lookup(cmd: &str, lname: &str) -> Option<&'static Command> {
    let first = cmd.chars().next()?;
    let by = |f: &dyn Fn(&Names) -> bool| COMMANDS.iter().find(|c| f(&c.names));
    by(&|n| matches!(n, Prefix(p) if *p == first))
        .or_else(|| by(&|n| matches!(n, Exact(names) if names.contains(&lname))))
        .or_else(|| by(&|n| matches!(n, Family(f) if f(lname))))
}

/// Runs one command into `o`.
pub fn dispatch(s: &mut Session<'_, '_>, cmd: &str, o: &mut String) -> CmdResult {
    let (name, args) = split_name(cmd);
    let lname = name.to_ascii_lowercase();
    let Some(c) = lookup(cmd, &lname) else {
        return Err(match name.strip_prefix('!') {
            Some(ext) => ShellError::NoExport(ext.to_string()),
            None => ShellError::Syntax,
        });
    };
    let call = Call {
        name,
        lname: &lname,
        args,
        rest: &cmd[cmd.chars().next().map_or(0, char::len_utf8)..],
    };
    (c.run)(s, &call, o)
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
        for c in COMMANDS {
            let _ = writeln!(o, "  {:<11} {}", c.name, c.help);
        }
        return Ok(());
    }
    match COMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(want)) {
        Some(c) => {
            let _ = writeln!(o, "{} - {}", c.name, c.help);
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

#[cfg(test)]
mod table_tests {
    use super::*;

    /// Every name `.help` lists selects a command, and names are listed once.
    #[test]
    fn every_listed_name_dispatches() {
        let mut seen = std::collections::HashSet::new();
        for c in COMMANDS {
            assert!(seen.insert(c.name), "{} listed twice", c.name);
            let lname = c.name.to_ascii_lowercase();
            let found = lookup(c.name, &lname).map(|f| f.name);
            assert!(found.is_some(), "{} selects nothing", c.name);
        }
        assert_eq!(lookup("kL", "kl").map(|c| c.name), Some("k"));
        assert_eq!(lookup("lmvm", "lmvm").map(|c| c.name), Some("lmvm"));
        assert_eq!(lookup("dyb", "dyb").map(|c| c.name), Some("db"));
        assert_eq!(lookup("~3s", "~3s").map(|c| c.name), Some("~"));
        assert_eq!(lookup("exit", "exit").map(|c| c.name), Some("q"));
        assert!(lookup("kz", "kz").is_none());
        assert!(lookup("!nosuch", "!nosuch").is_none());
    }
}
