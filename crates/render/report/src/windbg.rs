//! WinDbg-shaped blocks (`.exr -1`, `r`, `!address`, `kb`, `~`, `lm`, `lmvm`) built from an
//! analysis. Shared by the text and Markdown renderers (and later the shell).

use crate::time;
use coroner_analysis::regions::AddressFacts;
use coroner_analysis::{disasm, fmt_addr, Analysis, FrameFacts, ModuleFacts};
use coroner_model::{format_version, Arch, Context};
use std::fmt::Write;

/// `.exr -1`.
pub fn exr(a: &Analysis) -> String {
    let Some(e) = &a.exception else {
        return "(no exception record in this dump)\n".into();
    };
    let p = a.ptr_size();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "ExceptionAddress: {}{}",
        fmt_addr(e.address, p),
        a.instruction_symbol
            .as_ref()
            .map(|x| format!(" ({x})"))
            .unwrap_or_default()
    );
    if e.is_signal {
        let _ = writeln!(s, "   ExceptionCode: {:x} ({})", e.code, e.reason);
    } else {
        let _ = writeln!(s, "   ExceptionCode: {:08x} ({})", e.code, e.text);
    }
    let _ = writeln!(s, "  ExceptionFlags: {:08x}", e.flags);
    let _ = writeln!(s, "NumberParameters: {}", e.params.len());
    for (i, v) in e.params.iter().enumerate() {
        let _ = writeln!(s, "   Parameter[{i}]: {}", fmt_addr(*v, p));
    }
    if let (Some(acc), Some(t)) = (e.access, e.target) {
        let verb = match acc {
            coroner_analysis::Access::Read => "read from",
            coroner_analysis::Access::Write => "write to",
            coroner_analysis::Access::Execute => "execute non-executable memory at",
        };
        let _ = writeln!(s, "Attempt to {verb} address {}", fmt_addr(t, p));
    } else if let Some(t) = e.target {
        let _ = writeln!(s, "Fault address: {}", fmt_addr(t, p));
    }
    if let Some(ff) = &e.fast_fail {
        let _ = writeln!(s, "Subcode: {ff}");
    }
    if let Some(t) = &e.cpp_type {
        let _ = writeln!(s, "Thrown type: {t}");
    }
    s
}

fn flags_text(efl: u32) -> String {
    let bit = |m: u32, on: &'static str, off: &'static str| if efl & m != 0 { on } else { off };
    format!(
        "iopl={}         {} {} {} {} {} {} {} {}",
        (efl >> 12) & 3,
        bit(0x800, "ov", "nv"),
        bit(0x400, "dn", "up"),
        bit(0x200, "ei", "di"),
        bit(0x80, "ng", "pl"),
        bit(0x40, "zr", "nz"),
        bit(0x10, "ac", "na"),
        bit(0x4, "pe", "po"),
        bit(0x1, "cy", "nc"),
    )
}

/// `r`: registers, then the current instruction line.
pub fn registers(a: &Analysis) -> String {
    let Some(c) = &a.registers else {
        return "(no register context)\n".into();
    };
    let mut s = registers_of(c);
    s.push_str(&instruction_line(a));
    s
}

/// The register block of a context, WinDbg layout for x86/x64, one line per 4 registers otherwise.
pub fn registers_of(c: &Context) -> String {
    let mut s = String::new();
    let g = |n: &str| c.get(n).unwrap_or(0);
    let seg = c.segments.unwrap_or([0; 6]);
    let efl = c.flags.unwrap_or(0);
    let segs = format!(
        "cs={:04x}  ss={:04x}  ds={:04x}  es={:04x}  fs={:04x}  gs={:04x}             efl={:08x}",
        seg[0], seg[5], seg[1], seg[2], seg[3], seg[4], efl
    );
    match c.arch {
        Arch::X86 => {
            let _ = writeln!(
                s,
                "eax={:08x} ebx={:08x} ecx={:08x} edx={:08x} esi={:08x} edi={:08x}",
                g("eax"),
                g("ebx"),
                g("ecx"),
                g("edx"),
                g("esi"),
                g("edi")
            );
            let _ = writeln!(
                s,
                "eip={:08x} esp={:08x} ebp={:08x} {}",
                g("eip"),
                g("esp"),
                g("ebp"),
                flags_text(efl)
            );
            let _ = writeln!(s, "{segs}");
        }
        Arch::Amd64 => {
            for row in [
                ["rax", "rbx", "rcx"],
                ["rdx", "rsi", "rdi"],
                ["rip", "rsp", "rbp"],
                ["r8", "r9", "r10"],
                ["r11", "r12", "r13"],
            ] {
                let line: Vec<String> = row
                    .iter()
                    .map(|n| format!("{n:>3}={:016x}", g(n)))
                    .collect();
                let _ = writeln!(s, "{}", line.join(" "));
            }
            let _ = writeln!(s, "r14={:016x} r15={:016x}", g("r14"), g("r15"));
            let _ = writeln!(s, "{}", flags_text(efl));
            let _ = writeln!(s, "{segs}");
        }
        _ => {
            for chunk in c.regs.chunks(4) {
                let line: Vec<String> = chunk
                    .iter()
                    .map(|(n, v)| format!("{n:>4}={v:016x}"))
                    .collect();
                let _ = writeln!(s, "{}", line.join(" "));
            }
            if let Some(f) = c.flags {
                let _ = writeln!(s, "cpsr={f:08x}");
            }
        }
    }
    s
}

/// `module!function+0x24:` / `03900010 0b4310          or      eax,dword ptr [ebx+10h] ds:0023:03900010=????????`.
pub fn instruction_line(a: &Analysis) -> String {
    instruction_line_of(
        a.instruction_symbol.as_deref(),
        a.instruction.as_ref(),
        a.registers.as_ref(),
        a.system.arch,
    )
}

/// The current-instruction line for any context: the symbol line, then the decoded instruction
/// with its memory operand (as [`instruction_line`] prints it for the faulting context).
pub fn instruction_line_of(
    symbol: Option<&str>,
    instruction: Option<&disasm::Decoded>,
    registers: Option<&Context>,
    arch: Arch,
) -> String {
    let p = arch.ptr_size();
    let mut s = String::new();
    if let Some(sym) = symbol {
        let _ = writeln!(s, "{sym}:");
    }
    match instruction {
        Some(d) => {
            let code = if arch == Arch::Arm64 && d.bytes.len() == 4 {
                // ARM64: the instruction word, as WinDbg shows it (f9000121), not memory order.
                let word: String = d.bytes.iter().rev().map(|b| format!("{b:02x}")).collect();
                format!("{word} {}", d.text)
            } else {
                disasm::code_text(&d.bytes, &d.text)
            };
            let mut line = format!("{} {code}", fmt_addr(d.address, p));
            if let Some(linear) = d.effective_address {
                // WinDbg shows the address within the segment (`fs:003b:00000018`) and the value
                // at the linear address.
                let ea = d.segment_offset.unwrap_or(linear);
                let sel = registers
                    .and_then(|c| c.segments)
                    .map(|sg| match d.segment.as_deref() {
                        Some("ss") => sg[5],
                        Some("fs") => sg[3],
                        Some("gs") => sg[4],
                        Some("es") => sg[2],
                        Some("cs") => sg[0],
                        _ => sg[1],
                    });
                let segname = d.segment.as_deref().unwrap_or("ds");
                match (arch, sel) {
                    (Arch::X86, Some(sel)) => {
                        let _ = write!(
                            line,
                            " {segname}:{sel:04x}:{}={}",
                            fmt_addr(ea, p),
                            disasm::value_text(d)
                        );
                    }
                    // No segments on ARM: the address and the value there.
                    (Arch::Arm64 | Arch::Arm, _) => {
                        let _ = write!(line, " {}={}", fmt_addr(ea, p), disasm::value_text(d));
                    }
                    _ => {
                        let _ = write!(
                            line,
                            " {segname}:{}={}",
                            fmt_addr(ea, p),
                            disasm::value_text(d)
                        );
                    }
                }
            }
            let _ = writeln!(s, "{line}");
        }
        None => {
            if let Some(c) = registers {
                let why = if matches!(arch, Arch::X86 | Arch::Amd64 | Arch::Arm64) {
                    "code bytes not in the dump"
                } else {
                    "no disassembler for this architecture"
                };
                let _ = writeln!(s, "{} ??              ???  ({why})", fmt_addr(c.pc(), p));
            }
        }
    }
    s
}

/// `!address ADDR` in the modern layout.
pub fn address(f: &AddressFacts, p: u8) -> String {
    let mut s = String::new();
    let usage = match &f.usage_detail {
        Some(d) => format!(
            "{} ({})",
            f.usage,
            crate::phrase::usage_detail(d, p, crate::phrase::Lang::En)
        ),
        None => f.usage.clone(),
    };
    let _ = writeln!(s, "Usage:                  {usage}");
    match (f.base, f.size) {
        (Some(b), Some(sz)) => {
            let _ = writeln!(s, "Base Address:           {}", fmt_addr(b, p));
            let _ = writeln!(
                s,
                "End Address:            {}",
                fmt_addr(b.saturating_add(sz), p)
            );
            let _ = writeln!(
                s,
                "Region Size:            {} ({:.3} kB)",
                fmt_addr(sz, p),
                sz as f64 / 1024.0
            );
            if let Some(v) = f.state_value {
                let _ = writeln!(
                    s,
                    "State:                  {v:08x}          {}",
                    f.state.as_deref().unwrap_or("")
                );
            }
            match f.protect_value {
                Some(v) if v != 0 => {
                    let _ = writeln!(
                        s,
                        "Protect:                {v:08x}          {}",
                        f.protect.as_deref().unwrap_or("")
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "Protect:                <info not present at the target>"
                    );
                }
            }
            match f.kind_value {
                Some(v) if v != 0 => {
                    let _ = writeln!(
                        s,
                        "Type:                   {v:08x}          {}",
                        f.kind.as_deref().unwrap_or("")
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "Type:                   <info not present at the target>"
                    );
                }
            }
            if let Some(ab) = f.allocation_base {
                if f.state_value != Some(coroner_model::MEM_FREE) {
                    let _ = writeln!(s, "Allocation Base:        {}", fmt_addr(ab, p));
                }
            }
        }
        _ => {
            let _ = writeln!(
                s,
                "(the dump has no memory information for {})",
                fmt_addr(f.address, p)
            );
        }
    }
    let _ = writeln!(
        s,
        "Content source:         {}",
        if f.captured {
            "1 (target), in the dump"
        } else {
            "0 (invalid), not in the dump"
        }
    );
    s
}

/// `kb` (x86: ChildEBP RetAddr Args to Child; x64: Child-SP RetAddr : Args to Child : Call Site),
/// with how each frame was found.
pub fn kb(a: &Analysis) -> String {
    kb_frames(&a.frames, a.stack_note.as_deref(), a.system.arch)
}

/// `kb` for any list of frames (any thread, any context), with the walk's note if it stopped early.
pub fn kb_frames(frames: &[FrameFacts], note: Option<&str>, arch: Arch) -> String {
    k_listing(frames, note, arch, KStyle::Args)
}

/// The columns one line of a `k` listing shows for a frame, as WinDbg lays them out.
#[derive(Clone, Copy, Debug)]
pub struct StackLine<'a> {
    /// The frame (its number, name and how it was found).
    pub frame: &'a FrameFacts,
    /// ChildEBP (x86) or Child-SP (x64, ARM64).
    pub child: u64,
    /// RetAddr (`0` for the outermost frame).
    pub ret_addr: u64,
    /// Args to Child.
    pub args: coroner_unwind::Args,
}

/// The columns of a `k` listing, computed here once for the text and Markdown reports, the
/// shell's `k*` commands and its `!analyze` STACK_TEXT.
///
/// The frames keep their own facts (the JSON shows them); only the x86 layout of exception
/// dispatch differs. `KiUserExceptionDispatcher` never sets up ebp, so WinDbg prints its line
/// with the ChildEBP and Args of the handler frame above it; its RetAddr is the saved CONTEXT's
/// eip (the dispatcher frame's return address as the walk found it), and the next line — the
/// frame restored from that CONTEXT — starts from the CONTEXT's ebp (that frame's own fp):
///
/// ```text
/// 0012f7f8 77146457 0012f810 0012f82c 0012f810 ntdll!ExecuteHandler+0x24
/// 0012f7f8 00512d67 0012f810 0012f82c 0012f810 ntdll!KiUserExceptionDispatcher+0xf
/// 0012fb18 004030a0 0012fb34 013b8544 000007ea DVPSimulator!...+0x7b9bf
/// ```
///
/// On x64 the dispatcher is a frame of its own (its Child-SP is where the CONTEXT lies, as
/// WinDbg prints `ntdll!KiUserExceptionDispatch+0x2e` with its own Child-SP), so its line
/// shows its own columns.
pub fn stack_lines(frames: &[FrameFacts], arch: Arch) -> Vec<StackLine<'_>> {
    let mut out: Vec<StackLine<'_>> = Vec::with_capacity(frames.len());
    for f in frames {
        let own = StackLine {
            frame: f,
            child: if arch.ptr_size() == 4 { f.fp } else { f.sp },
            ret_addr: f.return_address.unwrap_or(0),
            args: f.args,
        };
        let line = match out.last() {
            Some(above) if arch == Arch::X86 && f.dispatcher => StackLine {
                child: above.child,
                args: above.args,
                ..own
            },
            _ => own,
        };
        out.push(line);
    }
    out
}

/// Which `k` variant to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KStyle {
    /// `k`, `kn`, `kp`, `kL`: frame pointer or stack pointer, return address, call site.
    Plain,
    /// `kb`, `kv`: also the first three arguments.
    Args,
    /// `kc`: call site only.
    Clean,
}

/// A `k` listing of `frames` in WinDbg's columns (see [`stack_lines`]), each line with how its
/// frame was found, and the walk's note if it stopped early.
pub fn k_listing(frames: &[FrameFacts], note: Option<&str>, arch: Arch, style: KStyle) -> String {
    let p = arch.ptr_size();
    let mut s = String::new();
    let na = |v: Option<u64>| {
        v.map(|x| fmt_addr(x, p))
            .unwrap_or_else(|| "?".repeat(if p == 4 { 8 } else { 17 }))
    };
    // x64 and ARM64: the four home-area slots, the column as wide as they are, so that the
    // `: Call Site` heading stands over the colons of the lines.
    let home_width = 4 * 17 + 3;
    let header = match (style, p) {
        (KStyle::Clean, _) => " # Call Site".to_string(),
        (KStyle::Plain, 4) => " # ChildEBP RetAddr  ".to_string(),
        (KStyle::Plain, _) => " # Child-SP          RetAddr               Call Site".to_string(),
        (KStyle::Args, 4) => " # ChildEBP RetAddr  Args to Child              ".to_string(),
        (KStyle::Args, _) => format!(
            " # Child-SP          RetAddr               : {:<home_width$} : Call Site",
            "Args to Child"
        ),
    };
    let _ = writeln!(s, "{header}");
    let n = coroner_unwind::arg_count(arch);
    for l in stack_lines(frames, arch) {
        let f = l.frame;
        let (child, ret) = (fmt_addr(l.child, p), fmt_addr(l.ret_addr, p));
        let args = l.args[..n]
            .iter()
            .map(|&v| na(v))
            .collect::<Vec<_>>()
            .join(" ");
        let tag = trust_tag(f.trust);
        let _ = match (style, p) {
            (KStyle::Clean, _) => writeln!(s, "{:02x} {}{tag}", f.index, f.display),
            (KStyle::Plain, 4) => writeln!(s, "{:02x} {child} {ret} {}{tag}", f.index, f.display),
            (KStyle::Plain, _) => {
                writeln!(s, "{:02x} {child} {ret}     {}{tag}", f.index, f.display)
            }
            (KStyle::Args, 4) => {
                writeln!(s, "{:02x} {child} {ret} {args} {}{tag}", f.index, f.display)
            }
            (KStyle::Args, _) => writeln!(
                s,
                "{:02x} {child} {ret}     : {args} : {}{tag}",
                f.index, f.display
            ),
        };
    }
    if let Some(n) = note {
        let _ = writeln!(s, "WARNING: {n}");
    }
    s
}

/// The `    [how the frame was found]` suffix of a `kb` line (empty for frame-pointer frames).
pub fn trust_tag(t: coroner_unwind::Trust) -> String {
    match t {
        coroner_unwind::Trust::FramePointer => String::new(),
        other => format!("    [{}]", other.description()),
    }
}

/// `~` with top frames and times.
pub fn threads(a: &Analysis) -> String {
    let mut s = String::new();
    let has_times = a.threads.iter().any(|t| t.user_100ns.is_some());
    for t in &a.threads {
        let mark = if t.faulting { '.' } else { ' ' };
        let _ = write!(s, "{mark}{:3}  Id: {:x}", t.index, t.id);
        if let Some(n) = &t.name {
            let _ = write!(s, " \"{n}\"");
        }
        let _ = write!(s, "  {}", t.top_frame);
        if has_times {
            let ms = |v: Option<u64>| {
                v.map(|x| format!("{:.3}s", x as f64 / 1e7))
                    .unwrap_or("-".into())
            };
            let _ = write!(
                s,
                "  user {} kernel {}",
                ms(t.user_100ns),
                ms(t.kernel_100ns)
            );
        }
        let _ = writeln!(s);
    }
    s
}

/// One `lm` line: `start end   name   (symbol status)   file`.
pub fn lm_line(m: &ModuleFacts, p: u8) -> String {
    let sym = if m.symbol_status == "deferred" {
        "(deferred)".to_string()
    } else {
        format!("({})", m.symbol_status)
    };
    // Padded by display width: a module's file name may be Korean.
    format!(
        "{} {}   {} {:<22} {}",
        fmt_addr(m.module.base, p),
        fmt_addr(m.module.end(), p),
        crate::text::pad(m.module.short_name(), 16),
        sym,
        m.module.name
    )
}

/// `lm`.
pub fn lm(a: &Analysis) -> String {
    let p = a.ptr_size();
    let mut s = String::new();
    let w = if p == 4 { 8 } else { 17 };
    let _ = writeln!(s, "{:<w$} {:<w$}   module name", "start", "end");
    let mut mods: Vec<&ModuleFacts> = a.modules.iter().collect();
    mods.sort_by_key(|m| m.module.base);
    for m in mods {
        let _ = writeln!(s, "{}", lm_line(m, p));
    }
    if !a.unloaded_modules.is_empty() {
        let _ = writeln!(s, "\nUnloaded modules:");
        for u in &a.unloaded_modules {
            let _ = writeln!(
                s,
                "{} {}   {}",
                fmt_addr(u.base, p),
                fmt_addr(u.base.wrapping_add(u.size), p),
                u.name
            );
        }
    }
    s
}

/// `lmvm NAME`.
pub fn lmvm(a: &Analysis, m: &ModuleFacts) -> String {
    let p = a.ptr_size();
    let w = if p == 4 { 8 } else { 17 };
    let mut s = String::new();
    let _ = writeln!(s, "{:<w$} {:<w$}   module name", "start", "end");
    let _ = writeln!(s, "{}", lm_line(m, p));
    s.push_str(&lmv_details(m));
    s
}

/// The verbose lines under a module's `lm` line (`lmv`): image path and name, timestamp,
/// checksum, size, versions, version-resource strings and coroner's judgement.
pub fn lmv_details(m: &ModuleFacts) -> String {
    let mut s = String::new();
    let mm = &m.module;
    let _ = writeln!(s, "    Image path: {}", mm.path);
    let _ = writeln!(s, "    Image name: {}", mm.name);
    if mm.timestamp != 0 {
        let _ = writeln!(
            s,
            "    Timestamp:        {} ({:08X})",
            time::ctime(u64::from(mm.timestamp)),
            mm.timestamp
        );
    } else {
        let _ = writeln!(s, "    Timestamp:        unavailable (00000000)");
    }
    let _ = writeln!(s, "    CheckSum:         {:08X}", mm.checksum);
    let _ = writeln!(s, "    ImageSize:        {:08X}", mm.size);
    if let Some(v) = &mm.file_version {
        let _ = writeln!(s, "    File version:     {}", format_version(v));
    }
    if let Some(v) = &mm.product_version {
        let _ = writeln!(s, "    Product version:  {}", format_version(v));
    }
    if let Some(f) = mm.file_flags {
        let _ = writeln!(s, "    File flags:       {f:X} (Mask 3F)");
    }
    if let Some(os) = mm.file_os {
        let name = match os {
            0x4 => "Win32",
            0x40004 => "NT Win32",
            0x40000 => "NT",
            0x10001 => "DOS Win16",
            _ => "Unknown",
        };
        let _ = writeln!(s, "    File OS:          {os:X} {name}");
    }
    if let Some(t) = mm.file_type {
        let name = match t {
            1 => "App",
            2 => "Dll",
            3 => "Driver",
            4 => "Font",
            _ => "Unknown",
        };
        let _ = writeln!(s, "    File type:        {t}.0 {name}");
    }
    if let Some(d) = &mm.debug_file {
        let _ = writeln!(
            s,
            "    Debug file:       {d}{}",
            mm.debug_id
                .as_ref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default()
        );
    }
    if !m.translations.is_empty() {
        let t: Vec<String> = m
            .translations
            .iter()
            .map(|(l, c)| format!("{l:04x}.{c:04x}"))
            .collect();
        let _ = writeln!(s, "    Translations:     {}", t.join(" "));
    }
    match &m.version_strings {
        Some(strings) => {
            for key in [
                "CompanyName",
                "ProductName",
                "InternalName",
                "OriginalFilename",
                "ProductVersion",
                "FileVersion",
                "FileDescription",
                "LegalCopyright",
            ] {
                if let Some((_, v)) = strings.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                    let _ = writeln!(s, "    {:<18}{}", format!("{key}:"), printable(v));
                }
            }
        }
        None => {
            let _ = writeln!(s, "    (version resource strings: image not in the dump)");
        }
    }
    let _ = writeln!(
        s,
        "    Judged:           {}",
        crate::phrase::judgement(&m.judgement.why, crate::phrase::Lang::En)
    );
    // Said only when it adds to the strings above: the CompanyName was passed over.
    let v = &m.vendor;
    if m.version_strings.is_some() && !v.passed_over.is_empty() {
        let _ = writeln!(
            s,
            "    Vendor:           {} ({})",
            v.name.as_deref().unwrap_or("unknown"),
            crate::phrase::vendor_fields(v.source, &v.passed_over, crate::phrase::Lang::En)
        );
        for r in v.reasons() {
            let _ = writeln!(s, "                      {r}");
        }
    }
    s
}

/// A raw version string as it can be printed: control, private-use and other invisible
/// characters escaped (`\u{1}`), the rest as stored.
fn printable(v: &str) -> String {
    v.chars()
        .map(|c| {
            let u = c as u32;
            if c.is_control() || (0xE000..=0xF8FF).contains(&u) || u >= 0xF_0000 || c == '\u{FEFF}'
            {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A size as hex bytes with a readable unit: `0x1e000 (120.000 kB)`.
pub fn size_text(v: u64) -> String {
    let (n, unit) = if v >= 1 << 30 {
        (v as f64 / (1u64 << 30) as f64, "GB")
    } else if v >= 1 << 20 {
        (v as f64 / (1u64 << 20) as f64, "MB")
    } else {
        (v as f64 / 1024.0, "kB")
    };
    format!("0x{v:x} ({n:.3} {unit})")
}
