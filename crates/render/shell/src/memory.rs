//! Memory commands: `d*`, `s`, `!address`, `!vprot`, `u`, `ub`, `uf`.

use crate::commands::{parse_range, Range};
use crate::{CmdResult, Session, ShellError, MAX_DISPLAY_BYTES, MAX_INSTRUCTIONS, MAX_SEARCH_HITS};
use coroner_analysis::memory::{AddressSummary, Span, Tally};
use coroner_analysis::regions::{address_facts, kind_name, protect_name, state_name, Usage};
use coroner_analysis::{disasm, fmt_addr};
use coroner_report::windbg;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Whether `n` is a display command we know.
pub fn is_display(n: &str) -> bool {
    matches!(
        n,
        "db" | "dw" | "dd" | "dq" | "dp" | "dc" | "da" | "du" | "dps" | "dds" | "dqs" | "dyb"
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Hex(u64),
    Chars,
    Ascii,
    Unicode,
    Symbols(u64),
}

fn read_elem(s: &Session<'_, '_>, a: u64, size: u64) -> Option<u64> {
    crate::expr::Env::read(s, a, size as usize)
}

/// `db dw dd dq dp dc da du dps dds dqs`.
pub fn display(s: &mut Session<'_, '_>, name: &str, args: &str, o: &mut String) -> CmdResult {
    let p = u64::from(s.ptr());
    let kind = match name {
        "db" => Kind::Hex(1),
        "dw" => Kind::Hex(2),
        "dd" => Kind::Hex(4),
        "dq" => Kind::Hex(8),
        "dp" => Kind::Hex(p),
        "dc" => Kind::Chars,
        "da" => Kind::Ascii,
        "du" => Kind::Unicode,
        "dps" => Kind::Symbols(p),
        "dds" => Kind::Symbols(4),
        "dqs" => Kind::Symbols(8),
        _ => return Err(ShellError::Syntax),
    };
    let elem = match kind {
        Kind::Hex(n) | Kind::Symbols(n) => n,
        Kind::Chars => 4,
        Kind::Ascii => 1,
        Kind::Unicode => 2,
    };
    let Range { start, count } = parse_range(s, args, elem, s.next_d)?;
    let default = match kind {
        Kind::Ascii | Kind::Unicode => 0x100,
        _ => 0x80 / elem,
    };
    let asked = count.unwrap_or(default);
    if asked == 0 {
        return Err(ShellError::Range);
    }
    let max = MAX_DISPLAY_BYTES / elem;
    let n = asked.min(max);
    let end = match kind {
        Kind::Ascii | Kind::Unicode => string(s, kind, start, n, o),
        Kind::Symbols(size) => symbols(s, start, n, size, o),
        Kind::Chars => hex_lines(s, start, n, 4, true, o),
        Kind::Hex(size) => hex_lines(s, start, n, size, size == 1, o),
    };
    s.next_d = Some(end);
    if asked > max {
        let _ = writeln!(
            o,
            "(display capped at 0x{MAX_DISPLAY_BYTES:x} bytes: 0x{max:x} of 0x{asked:x} elements shown)"
        );
    }
    Ok(())
}

fn printable(b: u8) -> char {
    if (0x20..0x7f).contains(&b) {
        b as char
    } else {
        '.'
    }
}

/// Hex lines (16 bytes each) with optional ASCII column; `????` for missing memory.
fn hex_lines(
    s: &Session<'_, '_>,
    start: u64,
    n: u64,
    size: u64,
    ascii: bool,
    o: &mut String,
) -> u64 {
    let per_line = 16 / size;
    let w = (size * 2) as usize;
    let p = s.ptr();
    let mut i = 0;
    let mut missing = 0u64;
    // Runs of lines with no captured byte are shown once, then summarised.
    let mut skipped: Option<(u64, u64)> = None;
    let mut prev_empty = false;
    while i < n {
        let line_addr = start.wrapping_add(i * size);
        let line_elems = per_line.min(n - i);
        let empty =
            (0..line_elems * size).all(|k| !s.snap.memory.contains(line_addr.wrapping_add(k)));
        if empty && prev_empty {
            let e = skipped.get_or_insert((line_addr, 0));
            e.1 += line_elems * size;
            missing += line_elems;
            i += line_elems;
            continue;
        }
        if let Some((from, bytes)) = skipped.take() {
            let _ = writeln!(
                o,
                "(0x{bytes:x} more bytes from {} are not in the dump)",
                fmt_addr(from, p)
            );
        }
        prev_empty = empty;
        let mut line = format!("{}  ", fmt_addr(line_addr, p));
        let mut chars = String::new();
        let mut j = 0;
        while j < per_line && i < n {
            let a = line_addr.wrapping_add(j * size);
            let v = read_elem(s, a, size);
            if j > 0 {
                line.push(if size == 1 && j == 8 { '-' } else { ' ' });
            }
            match v {
                Some(v) if size == 8 => {
                    let _ = write!(line, "{}", fmt_addr(v, 8));
                }
                Some(v) => {
                    let _ = write!(line, "{v:0w$x}");
                }
                None if size == 8 => {
                    missing += 1;
                    line.push_str("????????`????????");
                }
                None => {
                    missing += 1;
                    line.push_str(&"?".repeat(w));
                }
            }
            if ascii {
                for k in 0..size {
                    chars.push(match v {
                        Some(v) => printable((v >> (8 * k)) as u8),
                        None => '?',
                    });
                }
            }
            j += 1;
            i += 1;
        }
        if ascii {
            // Pad a short last line so the ASCII column stays aligned.
            let full = (per_line * (w as u64 + 1)) as usize - 1;
            let used = line.len() - fmt_addr(line_addr, p).len() - 2;
            let pad = full.saturating_sub(used);
            let _ = writeln!(o, "{line}{}  {chars}", " ".repeat(pad));
        } else {
            let _ = writeln!(o, "{line}");
        }
    }
    if let Some((from, bytes)) = skipped.take() {
        let _ = writeln!(
            o,
            "(0x{bytes:x} more bytes from {} are not in the dump)",
            fmt_addr(from, p)
        );
    }
    if missing == n && n > 0 {
        let _ = writeln!(
            o,
            "(memory at {} is not in the dump)",
            fmt_addr(start, s.ptr())
        );
    }
    start.wrapping_add(n * size)
}

/// `dps`/`dds`/`dqs`: one pointer per line with its symbol.
fn symbols(s: &Session<'_, '_>, start: u64, n: u64, size: u64, o: &mut String) -> u64 {
    let p = s.ptr();
    let mut run = 0u64;
    for i in 0..n {
        let a = start.wrapping_add(i * size);
        let v = read_elem(s, a, size);
        if v.is_none() {
            run += 1;
            if run > 1 {
                if i + 1 == n {
                    let _ = writeln!(
                        o,
                        "(0x{:x} more bytes are not in the dump)",
                        (run - 1) * size
                    );
                }
                continue;
            }
        } else if run > 1 {
            let _ = writeln!(
                o,
                "(0x{:x} more bytes are not in the dump)",
                (run - 1) * size
            );
            run = 0;
        } else {
            run = 0;
        }
        match v {
            Some(v) => {
                let val = if size == 8 {
                    fmt_addr(v, 8)
                } else {
                    format!("{v:08x}")
                };
                match s.named_symbol(v).filter(|_| s.snap.module_at(v).is_some()) {
                    Some(sym) => {
                        let _ = writeln!(o, "{}  {val} {sym}", fmt_addr(a, p));
                    }
                    None => {
                        let _ = writeln!(o, "{}  {val}", fmt_addr(a, p));
                    }
                }
            }
            None => {
                let q = if size == 8 {
                    "????????`????????".to_string()
                } else {
                    "????????".to_string()
                };
                let _ = writeln!(o, "{}  {q}", fmt_addr(a, p));
            }
        }
    }
    start.wrapping_add(n * size)
}

/// `da`/`du`: up to `n` characters, stopping at the terminator, 32 per line.
fn string(s: &Session<'_, '_>, kind: Kind, start: u64, n: u64, o: &mut String) -> u64 {
    let size = if kind == Kind::Unicode { 2 } else { 1 };
    let p = s.ptr();
    let mut i = 0u64;
    let mut line = String::new();
    let mut line_start = start;
    loop {
        if i >= n {
            break;
        }
        let a = start.wrapping_add(i * size);
        let Some(c) = read_elem(s, a, size) else {
            if i == 0 {
                let _ = writeln!(o, "{}  \"????\"", fmt_addr(start, p));
                return start;
            }
            break;
        };
        if c == 0 {
            break;
        }
        let ch = if kind == Kind::Unicode {
            char::from_u32(c as u32)
                .filter(|c| !c.is_control())
                .unwrap_or('.')
        } else {
            printable(c as u8)
        };
        line.push(ch);
        i += 1;
        if line.chars().count() == 32 {
            let _ = writeln!(o, "{}  \"{line}\"", fmt_addr(line_start, p));
            line.clear();
            line_start = start.wrapping_add(i * size);
        }
    }
    if !line.is_empty() || i == 0 {
        let _ = writeln!(o, "{}  \"{line}\"", fmt_addr(line_start, p));
    }
    start.wrapping_add(i * size)
}

/// `s -b|-w|-d|-q|-a|-u RANGE VALUE…`.
pub fn search(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let args = args.trim();
    let (flag, rest) = args
        .split_once(char::is_whitespace)
        .ok_or(ShellError::Syntax)?;
    let (elem, textual) = match flag {
        "-b" => (1u64, false),
        "-w" => (2, false),
        "-d" => (4, false),
        "-q" => (8, false),
        "-a" => (1, true),
        "-u" => (2, true),
        _ => return Err(ShellError::Syntax),
    };
    // RANGE is `START L count`, `START L?count` or `START END`; the pattern follows.
    let (start, rest) = s.eval_prefix(rest.trim())?;
    let start = s.mask(start);
    let rest = rest.trim();
    let (len, pattern_text) = if rest.starts_with(['L', 'l']) {
        let r = rest[1..].trim_start_matches('?');
        let (n, r) = s.eval_prefix(r)?;
        (n.saturating_mul(elem), r)
    } else {
        let (end, r) = s.eval_prefix(rest)?;
        let end = s.mask(end);
        if end < start {
            return Err(ShellError::Range);
        }
        ((end - start).saturating_add(1), r)
    };
    let pattern_text = pattern_text.trim();
    if pattern_text.is_empty() {
        return Err(ShellError::Syntax);
    }
    let pattern: Vec<u8> = if textual {
        let t = pattern_text
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .ok_or(ShellError::Syntax)?;
        if elem == 2 {
            t.encode_utf16().flat_map(u16::to_le_bytes).collect()
        } else {
            t.as_bytes().to_vec()
        }
    } else {
        let mut v = Vec::new();
        let mut r = pattern_text;
        while !r.is_empty() {
            let (x, rest) = s.eval_prefix(r)?;
            v.extend_from_slice(&x.to_le_bytes()[..elem as usize]);
            r = rest.trim();
            if v.len() > 0x1000 {
                return Err(ShellError::Range);
            }
        }
        v
    };
    if pattern.is_empty() {
        return Err(ShellError::Syntax);
    }
    let end = start.saturating_add(len);
    let mut hits = 0usize;
    let p = s.ptr();
    for r in s.snap.memory.ranges() {
        if r.end() <= start || r.base >= end {
            continue;
        }
        let lo = start.max(r.base);
        let hi = end.min(r.end());
        let bytes = &r.bytes[(lo - r.base) as usize..(hi - r.base) as usize];
        let mut i = 0usize;
        while i + pattern.len() <= bytes.len() {
            if bytes[i..i + pattern.len()] == pattern[..] {
                let a = lo + i as u64;
                hits += 1;
                if hits > MAX_SEARCH_HITS {
                    let _ = writeln!(
                        o,
                        "(search stopped after 0x{MAX_SEARCH_HITS:x} hits; narrow the range)"
                    );
                    return Ok(());
                }
                let mut line = String::new();
                match elem {
                    4 | 8 => {
                        hex_lines(s, a, 16 / elem, elem, false, &mut line);
                    }
                    _ => {
                        hex_lines(s, a, 16, 1, true, &mut line);
                    }
                }
                let first = line.lines().next().unwrap_or("");
                let _ = writeln!(o, "{first}");
                i += elem as usize;
                continue;
            }
            i += elem as usize;
        }
    }
    let _ = p;
    Ok(())
}

/// `!address ADDR` / `!address` / `!address -summary`.
pub fn address(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let a = args.trim();
    if a.is_empty() || a.eq_ignore_ascii_case("-summary") {
        return summary(s, o);
    }
    if a.starts_with('-') {
        return Err(ShellError::Message(format!(
            "!address: option '{a}' is not supported (use !address ADDR or !address -summary)"
        )));
    }
    let addr = s.mask(s.eval(a)?);
    let f = address_facts(s.snap, addr);
    let p = s.ptr();
    o.push_str(&windbg::address(&f, p));
    if f.usage == "Image" {
        if let Some(m) = s.snap.module_at(addr) {
            let short = m.short_name();
            let _ = writeln!(o, "More info:              lmv m {short}");
            let _ = writeln!(o, "More info:              !lmi {short}");
            let _ = writeln!(o, "More info:              ln 0x{addr:x}");
        }
    } else if f.usage == "Stack" {
        if let Some(t) = s.snap.threads.iter().find(|t| t.stack_contains(addr)) {
            let _ = writeln!(o, "More info:              ~{}k", t.index);
        }
    }
    Ok(())
}

/// The name `!address -summary` shows for a usage.
fn usage_name(u: Usage) -> &'static str {
    match u {
        Usage::Unknown => "<unknown>",
        u => u.name(),
    }
}

fn size_text(sz: u64) -> String {
    let (v, unit) = if sz >= 1 << 30 {
        (sz as f64 / (1u64 << 30) as f64, "GB")
    } else if sz >= 1 << 20 {
        (sz as f64 / (1u64 << 20) as f64, "MB")
    } else {
        (sz as f64 / 1024.0, "kB")
    };
    format!("{sz:>12x} ({v:>8.3} {unit})")
}

fn pct(v: u64, of: u64) -> String {
    if of == 0 {
        String::new()
    } else {
        format!("{:.2}%", v as f64 * 100.0 / of as f64)
    }
}

/// One table of the summary: rows by name, largest first (ties by name).
fn tally_table(o: &mut String, title: &str, rows: Vec<(&str, Tally)>, sum: &AddressSummary) {
    let _ = writeln!(
        o,
        "\n--- {title:<29} RgnCount ----------- Total Size -------- %ofBusy %ofTotal"
    );
    let mut rows = rows;
    rows.sort_by_key(|r| r.0);
    rows.sort_by_key(|r| std::cmp::Reverse(r.1.bytes));
    for (k, t) in rows {
        let b = if k != "Free" && k != "MEM_FREE" {
            pct(t.bytes, sum.busy)
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "{k:<32} {:>8} {} {b:>7} {:>8}",
            t.regions,
            size_text(t.bytes),
            pct(t.bytes, sum.total)
        );
    }
}

fn named(m: &BTreeMap<String, Tally>) -> Vec<(&str, Tally)> {
    m.iter().map(|(k, t)| (k.as_str(), *t)).collect()
}

/// `!address -summary`: regions by usage, type, state and protection, as the analysis counted
/// them.
fn summary(s: &Session<'_, '_>, o: &mut String) -> CmdResult {
    let Some(sum) = &s.analysis.memory.address_summary else {
        return Err(ShellError::Message(
            "!address: the dump has no memory information (MemoryInfoList)".into(),
        ));
    };
    let usage = sum
        .by_usage
        .iter()
        .map(|(u, t)| (usage_name(*u), *t))
        .collect();
    tally_table(o, "Usage Summary ----------------", usage, sum);
    tally_table(
        o,
        "Type Summary (for busy) ------",
        named(&sum.by_type),
        sum,
    );
    tally_table(
        o,
        "State Summary ----------------",
        named(&sum.by_state),
        sum,
    );
    tally_table(
        o,
        "Protect Summary (for commit) -",
        named(&sum.by_protect),
        sum,
    );
    let _ = writeln!(
        o,
        "\n--- Largest Region by Usage ----------- Base Address -------- Region Size ----------"
    );
    let p = s.ptr();
    let mut rows: Vec<(&str, Span)> = sum
        .largest_by_usage
        .iter()
        .map(|(u, l)| (usage_name(*u), *l))
        .collect();
    rows.sort_by_key(|r| r.0);
    rows.sort_by_key(|r| std::cmp::Reverse(r.1.size));
    for (k, l) in rows {
        let _ = writeln!(
            o,
            "{k:<32} {:>20} {}",
            fmt_addr(l.base, p),
            size_text(l.size)
        );
    }
    Ok(())
}

/// `!vprot ADDR`.
pub fn vprot(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let a = args.trim();
    let addr = if a.is_empty() {
        s.ctx.as_ref().map(|c| c.pc()).ok_or(ShellError::Syntax)?
    } else {
        s.mask(s.eval(a)?)
    };
    let Some(r) = s.snap.region_at(addr) else {
        return Err(ShellError::Message(format!(
            "!vprot: No containing memory region found for {}",
            s.addr(addr)
        )));
    };
    let page = addr & !0xfff;
    let p = s.ptr();
    let _ = writeln!(o, "BaseAddress:       {}", fmt_addr(page, p));
    let _ = writeln!(o, "AllocationBase:    {}", fmt_addr(r.allocation_base, p));
    let _ = writeln!(
        o,
        "AllocationProtect: {:08x}  {}",
        r.allocation_protect,
        protect_name(r.allocation_protect)
    );
    let _ = writeln!(o, "RegionSize:        {}", fmt_addr(r.end() - page, p));
    let _ = writeln!(
        o,
        "State:             {:08x}  {}",
        r.state,
        state_name(r.state)
    );
    let _ = writeln!(
        o,
        "Protect:           {:08x}  {}",
        r.protect,
        protect_name(r.protect)
    );
    if r.kind != 0 {
        let _ = writeln!(
            o,
            "Type:              {:08x}  {}",
            r.kind,
            kind_name(r.kind)
        );
    }
    Ok(())
}

fn need_disasm(s: &Session<'_, '_>) -> CmdResult {
    if disasm::bitness(s.snap.system.arch).is_none() {
        return Err(ShellError::Message(format!(
            "No disassembler for {} in coroner for this command (x86 and x64; ARM64: u, ub, uf)",
            s.snap.system.arch.name()
        )));
    }
    Ok(())
}

/// One disassembly line, WinDbg layout (the text names branch targets: see `decode`).
fn ins_line(s: &Session<'_, '_>, ins: &iced_x86::Instruction, bytes: &[u8], text: &str) -> String {
    format!(
        "{} {}",
        fmt_addr(ins.ip(), s.ptr()),
        disasm::code_text(bytes, text)
    )
}

/// `count` instructions from `addr`, operands named as WinDbg names them
/// (`call    app!foo (00401000)`).
fn decode(
    s: &Session<'_, '_>,
    addr: u64,
    count: usize,
) -> Vec<(iced_x86::Instruction, Vec<u8>, String)> {
    disasm::decode_many_named(s.snap, addr, count, &|a| s.named_symbol(a))
}

fn label(s: &Session<'_, '_>, a: u64, first: bool) -> Option<String> {
    let sym = s.syms.symbolize(a);
    sym.module.as_ref()?;
    (first || (sym.function.is_some() && sym.function_offset == 0))
        .then(|| format!("{}:", s.symbol_of(a)))
}

fn print_run(
    s: &Session<'_, '_>,
    list: &[(iced_x86::Instruction, Vec<u8>, String)],
    o: &mut String,
) {
    for (i, (ins, b, t)) in list.iter().enumerate() {
        if let Some(l) = label(s, ins.ip(), i == 0) {
            let _ = writeln!(o, "{l}");
        }
        let _ = writeln!(o, "{}", ins_line(s, ins, b, t));
    }
}

fn count_of(r: &Range, default: u64) -> Result<u64, ShellError> {
    match r.count {
        Some(0) => Err(ShellError::Range),
        Some(n) => Ok(n.min(MAX_INSTRUCTIONS)),
        None => Ok(default),
    }
}

fn is_arm64(s: &Session<'_, '_>) -> bool {
    s.snap.system.arch == coroner_model::Arch::Arm64
}

/// ARM64 listing lines, WinDbg layout (`00000001`80001010 f9000121 str         x1,[x9]`),
/// direct branch targets named.
fn print_arm64(s: &Session<'_, '_>, list: &[disasm::Arm64Line], o: &mut String) {
    let p = s.ptr();
    for (i, l) in list.iter().enumerate() {
        if let Some(lb) = label(s, l.address, i == 0) {
            let _ = writeln!(o, "{lb}");
        }
        let text = match l.branch_target {
            Some(t) => {
                let mnemonic = l.text.split_whitespace().next().unwrap_or("");
                let ops: Vec<&str> = l
                    .text
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .split(',')
                    .collect();
                // The registers before the target stay (cbz x0,target).
                let lead = ops[..ops.len().saturating_sub(1)].join(",");
                let lead = if lead.is_empty() {
                    String::new()
                } else {
                    format!("{lead},")
                };
                match s.named_symbol(t) {
                    Some(sym) => format!("{mnemonic:<11} {lead}{sym} ({})", fmt_addr(t, p)),
                    None => format!("{mnemonic:<11} {lead}{}", fmt_addr(t, p)),
                }
            }
            None => l.text.clone(),
        };
        let _ = writeln!(o, "{} {:08x} {text}", fmt_addr(l.address, p), l.word);
    }
}

/// `u` and `ub` on ARM64: fixed-size instructions, so both are a linear decode.
fn u_arm64(s: &mut Session<'_, '_>, args: &str, o: &mut String, before: bool) -> CmdResult {
    let pc = if before {
        s.ctx.as_ref().map(|c| c.pc())
    } else {
        s.next_u.or(s.ctx.as_ref().map(|c| c.pc()))
    };
    let r = parse_range(s, args, 1, pc)?;
    let (start, count) = match (r.count, args.trim().contains(['L', 'l'])) {
        (Some(n), false) if !before => (r.start & !3, n.div_ceil(4).min(MAX_INSTRUCTIONS)),
        _ => {
            let n = count_of(&r, 8)?;
            let start = if before {
                (r.start & !3).wrapping_sub(4 * n)
            } else {
                r.start & !3
            };
            (start, n)
        }
    };
    let list = disasm::decode_arm64_many(s.snap, start, count as usize);
    if list.is_empty() {
        let _ = writeln!(o, "{} ??              ???", s.addr(start));
        return Err(ShellError::Memory(s.addr(start)));
    }
    if !before {
        s.next_u = list.last().map(|l| l.address.wrapping_add(4));
    }
    print_arm64(s, &list, o);
    Ok(())
}

/// `uf` on ARM64: the whole function as its `.pdata` entry bounds it (else from the symbol's
/// start to the first `ret`), in address order.
fn uf_arm64(s: &mut Session<'_, '_>, addr: u64, o: &mut String) -> CmdResult {
    let (start, count) = match s.syms.function_range(addr) {
        Some((b, e)) => (b, ((e - b) / 4).min(MAX_INSTRUCTIONS)),
        None => {
            let sym = s.syms.symbolize(addr);
            let start = if sym.function.is_some() && !sym.unreliable {
                addr - sym.function_offset
            } else {
                addr
            };
            let list = disasm::decode_arm64_many(s.snap, start & !3, 0x1000);
            let n = list
                .iter()
                .position(|l| l.text.starts_with("ret"))
                .map_or(list.len(), |i| i + 1);
            (start & !3, n as u64)
        }
    };
    let list = disasm::decode_arm64_many(s.snap, start, count as usize);
    if list.is_empty() {
        return Err(ShellError::Memory(s.addr(start)));
    }
    print_arm64(s, &list, o);
    Ok(())
}

/// `u [ADDR] [L count | END]`.
pub fn u(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    if is_arm64(s) {
        return u_arm64(s, args, o, false);
    }
    need_disasm(s)?;
    let pc = s.next_u.or(s.ctx.as_ref().map(|c| c.pc()));
    let r = parse_range(s, args, 1, pc)?;
    // With an end address the count is in bytes: decode until past it.
    let (count, end) = match (r.count, args.trim().contains(['L', 'l'])) {
        (Some(n), false) => (MAX_INSTRUCTIONS, Some(r.start.saturating_add(n))),
        _ => (count_of(&r, 8)?, None),
    };
    let mut list = decode(s, r.start, count as usize);
    if let Some(e) = end {
        list.retain(|(ins, _, _)| ins.ip() < e);
    }
    if list.is_empty() {
        let _ = writeln!(o, "{} ??              ???", s.addr(r.start));
        return Err(ShellError::Memory(s.addr(r.start)));
    }
    s.next_u = list.last().map(|(i, _, _)| i.next_ip());
    print_run(s, &list, o);
    Ok(())
}

/// `ub [ADDR] [L count]`: the instructions before ADDR.
pub fn ub(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    if is_arm64(s) {
        return u_arm64(s, args, o, true);
    }
    need_disasm(s)?;
    let pc = s.ctx.as_ref().map(|c| c.pc());
    let r = parse_range(s, args, 1, pc)?;
    let n = count_of(&r, 8)?.min(0x100);
    let addr = r.start;
    // Find a start from which decoding lands exactly on ADDR after at least n instructions,
    // farthest first (decoding from further back resynchronises on real boundaries). Each try
    // only finds instruction boundaries; at most MAX_UB_TRIES starts are tried, spread over the
    // range, so junk memory cannot make this quadratic.
    const MAX_UB_TRIES: u64 = 64;
    let (lo, hi) = (n, n.saturating_mul(15));
    let step = ((hi - lo) / MAX_UB_TRIES).max(1);
    let mut back = hi;
    loop {
        let from = addr.saturating_sub(back);
        if let Some(ips) = disasm::boundaries_until(s.snap, from, addr) {
            if ips.len() as u64 >= n {
                let first = ips[ips.len() - n as usize];
                let keep = decode(s, first, n as usize);
                print_run(s, &keep, o);
                return Ok(());
            }
        }
        if back <= lo {
            break;
        }
        back = back.saturating_sub(step).max(lo);
    }
    Err(ShellError::Memory(s.addr(addr)))
}

/// `uf ADDR`: the function's code, following branches (at most 0x1000 instructions).
pub fn uf(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    if !is_arm64(s) {
        need_disasm(s)?;
    }
    let a = args.trim();
    if a.is_empty() {
        return Err(ShellError::Syntax);
    }
    let addr = s.mask(s.eval(a)?);
    if is_arm64(s) {
        return uf_arm64(s, addr, o);
    }
    let sym = s.syms.symbolize(addr);
    let start = if sym.function.is_some() && !sym.unreliable {
        addr - sym.function_offset
    } else {
        addr
    };
    let limit_hi = start.saturating_add(0x10000);
    let mut seen: BTreeMap<u64, (iced_x86::Instruction, Vec<u8>, String)> = BTreeMap::new();
    let mut blocks = vec![start];
    let mut block_starts = std::collections::BTreeSet::new();
    block_starts.insert(start);
    let mut truncated = false;
    while let Some(b) = blocks.pop() {
        let mut at = b;
        loop {
            if seen.contains_key(&at) {
                break;
            }
            if seen.len() as u64 >= MAX_INSTRUCTIONS {
                truncated = true;
                break;
            }
            let Some(item) = decode(s, at, 1).into_iter().next() else {
                break;
            };
            let ins = item.0;
            let next = ins.next_ip();
            seen.insert(at, item);
            use iced_x86::FlowControl as F;
            match ins.flow_control() {
                F::Return | F::Interrupt | F::Exception => break,
                F::UnconditionalBranch => {
                    let t = ins.near_branch_target();
                    if ins.op0_kind() != iced_x86::OpKind::Memory && t >= start && t < limit_hi {
                        block_starts.insert(t);
                        blocks.push(t);
                    }
                    break;
                }
                F::IndirectBranch => break,
                F::ConditionalBranch => {
                    let t = ins.near_branch_target();
                    if t >= start && t < limit_hi {
                        block_starts.insert(t);
                        blocks.push(t);
                    }
                    block_starts.insert(next);
                }
                _ => {}
            }
            at = next;
        }
    }
    if seen.is_empty() {
        return Err(ShellError::Memory(a.to_string()));
    }
    for (a, (ins, b, t)) in &seen {
        if block_starts.contains(a) {
            if let Some(l) = label(s, *a, true) {
                let _ = writeln!(o, "{l}");
            }
        }
        let _ = writeln!(o, "{}", ins_line(s, ins, b, t));
    }
    if truncated {
        let _ = writeln!(o, "(uf stopped at 0x{MAX_INSTRUCTIONS:x} instructions)");
    }
    Ok(())
}
