//! # coroner-shell
//!
//! WinDbg's commands over a crash dump, on any OS: `coroner shell DUMP` is a REPL with WinDbg's
//! prompt (`0:004>`), and `coroner shell DUMP -c "r; kb; !address 03900010"` runs a script (as
//! `cdb -z DUMP -c` does). A [`Session`] holds the snapshot, coroner's analysis, a symbolizer
//! and the debugger state (current thread, current register context after `~Ns`, `.cxr` or
//! `.ecxr`); [`Session::execute`] runs one line of `;`-separated commands and writes WinDbg's
//! layouts. Errors are WinDbg-like one-line messages and never end the session.
//!
//! Layouts come from `coroner_report::windbg` where coroner already prints them for the
//! faulting thread (`r`, `.exr -1`, `!address`, `kb`, `lm`, `lmvm`); the shell prints the same
//! for any thread and context.

mod analyze;
mod commands;
pub mod expr;
mod heap;
mod locks;
mod memory;
mod modules;
mod process;
mod repl;
mod stack;

use coroner_analysis::{Analysis, Symbolizer};
use coroner_model::{Context, Snapshot};
use std::cell::OnceCell;
use std::io::Write;

pub use repl::{open_and_run, run, RunError, ShellMode};

/// Most bytes a memory display command prints (`L` counts beyond this are capped, and we say so).
pub const MAX_DISPLAY_BYTES: u64 = 0x10_0000;
/// Most hits `s` reports.
pub const MAX_SEARCH_HITS: usize = 0x1000;
/// Most instructions `u`/`uf` print.
pub const MAX_INSTRUCTIONS: u64 = 0x1000;
/// Most frames `k` walks.
pub const MAX_FRAMES: u64 = 0x1_0000;
/// Frames `k` shows without a count (WinDbg's `.kframes` default).
pub const DEFAULT_FRAMES: u64 = 0x100;

/// A command that failed, as WinDbg reports it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ShellError {
    /// The command or its arguments do not parse.
    #[error("Syntax error")]
    Syntax,
    /// A register name that the context does not have.
    #[error("Bad register error")]
    BadRegister,
    /// A thread number that does not exist.
    #[error("Illegal thread error")]
    BadThread,
    /// A range or count out of bounds.
    #[error("Range error")]
    Range,
    /// Division by zero in an expression.
    #[error("Divide by zero error")]
    DivideByZero,
    /// A name that resolves to nothing.
    #[error("Couldn't resolve error at '{0}'")]
    Resolve(String),
    /// Memory that the dump does not hold.
    #[error("Memory access error at '{0}'")]
    Memory(String),
    /// An extension command (`!foo`) that does not exist.
    #[error("No export {0} found")]
    NoExport(String),
    /// Any other one-line message.
    #[error("{0}")]
    Message(String),
}

impl ShellError {
    /// The line WinDbg prints for this error in command `cmd` (a caret line for syntax-class
    /// errors, under the prompt's width).
    pub fn render(&self, cmd: &str) -> String {
        match self {
            ShellError::Syntax
            | ShellError::BadRegister
            | ShellError::BadThread
            | ShellError::Range
            | ShellError::DivideByZero => format!("       ^ {self} in '{cmd}'"),
            other => other.to_string(),
        }
    }
}

/// Result of one command.
pub type CmdResult = Result<(), ShellError>;

/// Which register context is current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextSource {
    /// The current thread's own context (ThreadList).
    Thread,
    /// The exception context (`.ecxr`, and at start-up for a dump with an exception).
    Exception,
    /// A CONTEXT record read from memory (`.cxr ADDR`).
    Record(u64),
}

/// A module's image headers with its export directory (read through dump memory).
pub struct ImageExports {
    /// The image headers.
    pub image: coroner_pe::PeImage,
    /// Where its export tables lie.
    pub dir: coroner_pe::ExportDirectory,
}

/// A debugging session over one dump.
pub struct Session<'s, 'd> {
    /// The snapshot.
    pub snap: &'s Snapshot<'d>,
    /// coroner's analysis of it.
    pub analysis: Analysis,
    /// Export-table names.
    pub syms: Symbolizer<'s, 'd>,
    /// Index into `snap.threads` of the current thread.
    pub thread: usize,
    /// The current register context.
    pub ctx: Option<Context>,
    /// Where `ctx` came from.
    pub ctx_source: ContextSource,
    /// Export tables listed whole for `x` (lazily, per module).
    exports: Vec<OnceCell<Option<coroner_pe::Exports>>>,
    /// Export directories for `ln` and `MODULE!name`: only the answer is read.
    export_dirs: Vec<OnceCell<Option<ImageExports>>>,
    /// Where the next bare `u` continues.
    next_u: Option<u64>,
    /// Where the next bare `d*` continues.
    next_d: Option<u64>,
    /// The language of coroner's own words (`!analyze -v`, `!analyze -hang`); WinDbg's fields
    /// and layouts stay as WinDbg prints them.
    pub lang: coroner_report::phrase::Lang,
    /// The user asked to quit.
    pub quit: bool,
    /// Commands that failed with an internal error (a bug caught by the session).
    pub internal_errors: usize,
}

impl<'s, 'd> Session<'s, 'd> {
    /// Opens a session: analyses the snapshot; the current thread is the faulting thread (or the
    /// first) and the current context the exception context when there is one, as after `.ecxr`.
    pub fn new(snap: &'s Snapshot<'d>) -> Self {
        static DEFAULT: std::sync::OnceLock<coroner_analysis::Options> = std::sync::OnceLock::new();
        Self::with_options(snap, DEFAULT.get_or_init(Default::default))
    }

    /// Opens a session whose symbols and images come from `opts` (`--symbols`, `--images`, as
    /// WinDbg's `.sympath` and `.exepath`).
    pub fn with_options(snap: &'s Snapshot<'d>, opts: &'s coroner_analysis::Options) -> Self {
        let analysis = coroner_analysis::analyze(snap, opts);
        let fault = snap
            .faulting_thread()
            .map(|t| snap.threads.iter().position(|x| x.id == t.id).unwrap_or(0));
        let (thread, ctx, src) = match (fault, &snap.exception_context) {
            (Some(i), Some(c)) => (i, Some(c.clone()), ContextSource::Exception),
            (Some(i), None) => (
                i,
                snap.threads.get(i).and_then(|t| t.context.clone()),
                ContextSource::Thread,
            ),
            (None, _) => (
                0,
                snap.threads.first().and_then(|t| t.context.clone()),
                ContextSource::Thread,
            ),
        };
        Session {
            snap,
            analysis,
            syms: Symbolizer::for_options(snap, opts),
            thread,
            ctx,
            ctx_source: src,
            exports: (0..snap.modules.len()).map(|_| OnceCell::new()).collect(),
            export_dirs: (0..snap.modules.len()).map(|_| OnceCell::new()).collect(),
            next_u: None,
            next_d: None,
            lang: coroner_report::phrase::Lang::En,
            quit: false,
            internal_errors: 0,
        }
    }

    /// WinDbg's prompt: `0:004> `.
    pub fn prompt(&self) -> String {
        format!("0:{:03}> ", self.thread)
    }

    /// Pointer size of the target.
    pub fn ptr(&self) -> u8 {
        self.snap.ptr_size()
    }

    /// Masks an address to the target's width.
    pub fn mask(&self, a: u64) -> u64 {
        if self.ptr() == 4 {
            a & 0xffff_ffff
        } else {
            a
        }
    }

    /// Formats an address WinDbg style.
    pub fn addr(&self, a: u64) -> String {
        coroner_analysis::fmt_addr(a, self.ptr())
    }

    /// Runs one line: `;`-separated commands, each one's output (or error line) in turn.
    pub fn execute(&mut self, line: &str, out: &mut dyn Write) -> std::io::Result<()> {
        for cmd in split_commands(line) {
            self.execute_one(&cmd, out)?;
            if self.quit {
                break;
            }
        }
        Ok(())
    }

    /// Runs a script as `cdb -c` does: echoes each command after the prompt, then its output.
    pub fn run_script(&mut self, text: &str, out: &mut dyn Write) -> std::io::Result<()> {
        for line in text.lines() {
            for cmd in split_commands(line) {
                writeln!(out, "{}{}", self.prompt(), cmd)?;
                self.execute_one(&cmd, out)?;
                if self.quit {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Runs one command (no `;` splitting).
    pub fn execute_one(&mut self, cmd: &str, out: &mut dyn Write) -> std::io::Result<()> {
        let cmd = cmd.trim();
        if cmd.is_empty() {
            return Ok(());
        }
        let mut buf = String::new();
        // A command never panics the session: a bug becomes a one-line error.
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            commands::dispatch(self, cmd, &mut buf)
        }));
        out.write_all(buf.as_bytes())?;
        match res {
            Ok(Ok(())) => {}
            Ok(Err(e)) => writeln!(out, "{}", e.render(cmd))?,
            Err(_) => {
                self.internal_errors += 1;
                writeln!(
                    out,
                    "coroner: internal error in '{cmd}' (please report it); the session goes on"
                )?
            }
        }
        Ok(())
    }

    /// The export table of module `i`, parsed from dump memory on first use.
    pub fn exports(&self, i: usize) -> Option<&coroner_pe::Exports> {
        self.exports
            .get(i)?
            .get_or_init(|| {
                let m = self.snap.modules.get(i)?;
                let mem = coroner_analysis::symbols::DumpMemory(&self.snap.memory);
                let img =
                    coroner_pe::PeImage::parse(&mem, m.base, coroner_pe::Layout::Mapped).ok()?;
                img.exports(&mem).ok()
            })
            .as_ref()
    }

    /// Module `i`'s image headers and export directory in dump memory, located on first use.
    pub fn export_directory(&self, i: usize) -> Option<&ImageExports> {
        self.export_dirs
            .get(i)?
            .get_or_init(|| {
                let m = self.snap.modules.get(i)?;
                let mem = coroner_analysis::symbols::DumpMemory(&self.snap.memory);
                let img =
                    coroner_pe::PeImage::parse(&mem, m.base, coroner_pe::Layout::Mapped).ok()?;
                let dir = img.export_directory(&mem).ok()?;
                Some(ImageExports { image: img, dir })
            })
            .as_ref()
    }

    /// The dump memory images are read from.
    pub fn image_memory(&self) -> coroner_analysis::symbols::DumpMemory<'_, 'd> {
        coroner_analysis::symbols::DumpMemory(&self.snap.memory)
    }

    /// The module index for a name: file name, short name, or the start of either.
    pub fn find_module(&self, name: &str) -> Option<usize> {
        let ms = &self.snap.modules;
        ms.iter()
            .position(|m| {
                m.short_name().eq_ignore_ascii_case(name) || m.name.eq_ignore_ascii_case(name)
            })
            .or_else(|| {
                ms.iter().position(|m| {
                    let stem = m.short_name().replace([' ', '.', '-'], "_");
                    stem.eq_ignore_ascii_case(name)
                })
            })
    }

    /// `module!function+0xoff` for an address.
    pub fn symbol_of(&self, a: u64) -> String {
        coroner_analysis::symbols::format_symbol(&self.syms.symbolize(a), a, self.ptr())
    }

    /// The symbol for an address, or `None` when only the bare address is known.
    pub fn named_symbol(&self, a: u64) -> Option<String> {
        let s = self.syms.symbolize(a);
        (s.module.is_some() || s.unloaded_module.is_some())
            .then(|| coroner_analysis::symbols::format_symbol(&s, a, self.ptr()))
    }

    /// Evaluates an expression in the current context.
    pub fn eval(&self, text: &str) -> Result<u64, ShellError> {
        expr::eval(self, text)
    }

    /// Evaluates the expression at the front of `text`; returns it and the rest.
    pub fn eval_prefix<'t>(&self, text: &'t str) -> Result<(u64, &'t str), ShellError> {
        let (v, used) = expr::eval_prefix(self, text)?;
        Ok((v, &text[used..]))
    }
}

impl expr::Env for Session<'_, '_> {
    fn register(&self, name: &str) -> Option<u64> {
        let t = self.snap.threads.get(self.thread);
        match name {
            "$ip" => return self.ctx.as_ref().map(|c| c.pc()),
            "$csp" => return self.ctx.as_ref().map(|c| c.sp()),
            "$teb" | "$thread" => return t.and_then(|t| t.teb),
            "$peb" | "$proc" => return self.snap.process.peb,
            "$tid" => return t.map(|t| u64::from(t.id)),
            "$tpid" => return self.snap.process.pid.map(u64::from),
            "$ptrsize" => return Some(u64::from(self.ptr())),
            "$exentry" => {
                let m = self.snap.main_module()?;
                let mem = coroner_analysis::symbols::DumpMemory(&self.snap.memory);
                let img =
                    coroner_pe::PeImage::parse(&mem, m.base, coroner_pe::Layout::Mapped).ok()?;
                return Some(m.base.wrapping_add(u64::from(img.entry_point)));
            }
            "$ra" => {
                let ctx = self.ctx.as_ref()?;
                let (frames, _) = stack::frames(self, self.thread, ctx, 2);
                return frames.first()?.return_address;
            }
            _ => {}
        }
        let c = self.ctx.as_ref()?;
        if matches!(name, "efl" | "eflags" | "rflags") {
            return c.flags.map(u64::from);
        }
        if let Some(seg) = ["cs", "ds", "es", "fs", "gs", "ss"]
            .iter()
            .position(|s| *s == name)
        {
            let idx = [0, 1, 2, 3, 4, 5][seg];
            return c.segments.map(|s| u64::from(s[idx]));
        }
        // pc/sp/fp are registers on ARM and ARM64 only (WinDbg knows no @pc on x86/x64).
        if matches!(name, "pc" | "sp" | "fp")
            && matches!(
                c.arch,
                coroner_model::Arch::X86 | coroner_model::Arch::Amd64
            )
        {
            return None;
        }
        c.get(name)
    }

    fn symbol(&self, name: &str) -> Option<u64> {
        match name.split_once('!') {
            Some((m, f)) => {
                if f.is_empty() {
                    return self.find_module(m).map(|i| self.snap.modules[i].base);
                }
                let i = self.find_module(m)?;
                let base = self.snap.modules[i].base;
                let ex = self.export_directory(i)?;
                ex.dir
                    .by_name(&ex.image, &self.image_memory(), f)
                    .map(|e| base + u64::from(e.rva))
                    .or_else(|| self.syms.resolve_name(m, f))
            }
            None => self.find_module(name).map(|i| self.snap.modules[i].base),
        }
    }

    fn read(&self, addr: u64, size: usize) -> Option<u64> {
        let b = self.snap.memory.read(addr, size)?;
        let mut v = 0u64;
        for (i, x) in b.iter().enumerate().take(8) {
            v |= u64::from(*x) << (8 * i);
        }
        Some(v)
    }

    fn ptr_size(&self) -> u8 {
        self.ptr()
    }
}

/// Splits a line on `;` outside quotes. A thread-prefixed `e` command (`~*e r; k`) keeps the
/// rest of the line, as WinDbg does.
pub fn split_commands(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            ';' if !quoted && !is_thread_e(&cur) => {
                out.push(std::mem::take(&mut cur));
            }
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `~*e …`, `~3e …`: the rest of the line belongs to the command.
fn is_thread_e(cmd: &str) -> bool {
    let c = cmd.trim_start();
    let Some(rest) = c.strip_prefix('~') else {
        return false;
    };
    let rest = if let Some(r) = rest.strip_prefix(['*', '.', '#']) {
        r
    } else if rest.starts_with('[') || rest.starts_with("~[") {
        rest.split_once(']').map(|x| x.1).unwrap_or("")
    } else {
        rest.trim_start_matches(|ch: char| ch.is_ascii_digit())
    };
    let rest = rest.trim_start();
    rest.starts_with('e') && rest[1..].starts_with([' ', '\t'])
}

/// Wildcard match (`*`, `?`), case-insensitive, iterative (no blow-up on hostile patterns).
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits() {
        assert_eq!(
            split_commands("r; kb ;!address 1"),
            ["r", "kb", "!address 1"]
        );
        assert_eq!(
            split_commands("s -a 0 L10 \"a;b\"; k"),
            ["s -a 0 L10 \"a;b\"", "k"]
        );
        assert_eq!(split_commands("~*e r; k"), ["~*e r; k"]);
        assert!(split_commands(" ; ;").is_empty());
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("Rtl*Heap", "RtlAllocateHeap"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("a?c", "abdc"));
        assert!(!wildcard(&"*a".repeat(1000), &"b".repeat(5000)));
    }
}
