//! Module commands: `lm*`, `!lmi`, `ln`, `x`.

use crate::{wildcard, CmdResult, Session, ShellError};
use coroner_analysis::{fmt_addr, ModuleFacts};
use coroner_report::{time, windbg};
use std::fmt::Write;

/// The module facts of module `i` with its version resource and symbol status filled in (the
/// analysis reads them only for modules on the faulting stack).
pub fn facts(s: &Session<'_, '_>, i: usize) -> Option<ModuleFacts> {
    let mut m = s.analysis.modules.get(i)?.clone();
    if m.version_strings.is_none() {
        if let Some(v) = s.syms.version_info(i) {
            m.version_strings = Some(v.strings.clone());
            m.translations = v.translations.clone();
        }
    }
    if m.symbol_status == "deferred" {
        m.symbol_status = if s.syms.has_exports(i) {
            "export symbols".into()
        } else {
            "no symbols".into()
        };
    }
    Some(m)
}

fn header(s: &Session<'_, '_>) -> String {
    let w = if s.ptr() == 4 { 8 } else { 17 };
    format!("{:<w$} {:<w$}   module name", "start", "end")
}

/// `lm` with its options: `v` verbose, `f` paths, `o` loaded only, `m PATTERN`, `l`/`s` ignored.
pub fn lm(s: &mut Session<'_, '_>, opts: &str, args: &str, o: &mut String) -> CmdResult {
    let mut verbose = false;
    let mut paths = false;
    let mut loaded_only = false;
    let mut pattern: Option<String> = None;
    let mut chars = opts.chars().peekable();
    let mut args = args.trim().to_string();
    while let Some(c) = chars.next() {
        match c {
            'v' => verbose = true,
            'f' => paths = true,
            'o' => loaded_only = true,
            'l' | 's' | 'e' => {}
            'm' => {
                let rest: String = chars.by_ref().collect();
                if !rest.is_empty() {
                    pattern = Some(rest);
                } else {
                    let (p, r) = args.split_once(char::is_whitespace).unwrap_or((&args, ""));
                    if p.is_empty() {
                        return Err(ShellError::Syntax);
                    }
                    pattern = Some(p.to_string());
                    args = r.trim().to_string();
                }
            }
            _ => return Err(ShellError::Syntax),
        }
    }
    // `lm v m foo` style: options as separate words.
    let mut words = args.split_whitespace().peekable();
    while let Some(w) = words.next() {
        match w {
            "v" => verbose = true,
            "f" => paths = true,
            "o" => loaded_only = true,
            "m" => pattern = Some(words.next().ok_or(ShellError::Syntax)?.to_string()),
            _ => return Err(ShellError::Syntax),
        }
    }
    let p = s.ptr();
    let mut idx: Vec<usize> = (0..s.snap.modules.len()).collect();
    idx.sort_by_key(|i| s.snap.modules[*i].base);
    if let Some(pat) = &pattern {
        idx.retain(|i| wildcard(pat, s.snap.modules[*i].short_name()));
    }
    if pattern.is_some() && verbose {
        let _ = writeln!(o, "Browse full module list");
    }
    let _ = writeln!(o, "{}", header(s));
    for i in &idx {
        let Some(m) = facts(s, *i) else { continue };
        if paths {
            let _ = writeln!(
                o,
                "{} {}   {} {}",
                fmt_addr(m.module.base, p),
                fmt_addr(m.module.end(), p),
                coroner_report::text::pad(m.module.short_name(), 16),
                m.module.path
            );
        } else {
            let _ = writeln!(o, "{}", windbg::lm_line(&m, p));
        }
        if verbose {
            o.push_str(&windbg::lmv_details(&m));
        }
    }
    if !loaded_only && pattern.is_none() && !s.snap.unloaded_modules.is_empty() {
        let _ = writeln!(o, "\nUnloaded modules:");
        for u in &s.snap.unloaded_modules {
            let _ = writeln!(
                o,
                "{} {}   {}",
                fmt_addr(u.base, p),
                fmt_addr(u.base.saturating_add(u.size), p),
                u.name
            );
            if verbose {
                if u.timestamp != 0 {
                    let _ = writeln!(
                        o,
                        "    Timestamp: {} ({:08X})",
                        time::ctime(u64::from(u.timestamp)),
                        u.timestamp
                    );
                }
                let _ = writeln!(o, "    Checksum:  {:08X}", u.checksum);
                let _ = writeln!(o, "    ImageSize:  {:08X}", u.size);
            }
        }
    }
    Ok(())
}

/// `!lmi NAME|ADDR`.
pub fn lmi(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let a = args.trim();
    if a.is_empty() {
        return Err(ShellError::Syntax);
    }
    let i = s
        .find_module(a)
        .or_else(|| {
            let v = s.eval(a).ok()?;
            s.snap.module_index_at(s.mask(v))
        })
        .ok_or_else(|| ShellError::Message(format!("{a} not found")))?;
    let m = &s.snap.modules[i];
    let p = s.ptr();
    let mem = coroner_analysis::symbols::DumpMemory(&s.snap.memory);
    let img = coroner_pe::PeImage::parse(&mem, m.base, coroner_pe::Layout::Mapped).ok();
    let _ = writeln!(o, "Loaded Module Info: [{}] ", a.to_ascii_lowercase());
    let _ = writeln!(o, "         Module: {}", m.short_name());
    let _ = writeln!(o, "   Base Address: {}", fmt_addr(m.base, p));
    let _ = writeln!(o, "     Image Name: {}", m.name);
    if let Some(img) = &img {
        let mt = match img.machine {
            0x14c => "332 (I386)",
            0x8664 => "34404 (X64)",
            0xaa64 => "43620 (ARM64)",
            0x1c4 => "452 (ARMNT)",
            _ => "",
        };
        if mt.is_empty() {
            let _ = writeln!(o, "   Machine Type: {}", img.machine);
        } else {
            let _ = writeln!(o, "   Machine Type: {mt}");
        }
    }
    let _ = writeln!(
        o,
        "     Time Stamp: {:08x} {}",
        m.timestamp,
        if m.timestamp != 0 {
            time::ctime(u64::from(m.timestamp))
        } else {
            "(unavailable)".into()
        }
    );
    let _ = writeln!(o, "           Size: {:x}", m.size);
    let _ = writeln!(o, "       CheckSum: {:x}", m.checksum);
    if let Some(img) = &img {
        let _ = writeln!(o, "Characteristics: {:x}", img.characteristics);
        if let Some(cv) = img.codeview(&mem) {
            let _ = writeln!(o, "Debug Data Dirs: Type  Size     VA  Pointer");
            let _ = writeln!(o, "             CODEVIEW  {}", cv.pdb_path);
            let _ = writeln!(
                o,
                "     Image Type: MEMORY   - Image read successfully from loaded memory."
            );
            let _ = writeln!(
                o,
                "    Symbol Type: EXPORT   - PDB not found ({})",
                cv.pdb_file_name()
            );
        } else {
            let _ = writeln!(
                o,
                "     Image Type: MEMORY   - Image read successfully from loaded memory."
            );
            let sym = if s.syms.has_exports(i) {
                "EXPORT"
            } else {
                "NONE"
            };
            let _ = writeln!(o, "    Symbol Type: {sym}   - PDB not found");
        }
    } else {
        let _ = writeln!(
            o,
            "     Image Type: (the image headers are not in the dump)"
        );
    }
    Ok(())
}

/// `ln ADDR`: the nearest export at or below ADDR, and the next one.
pub fn ln(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let a = args.trim();
    let addr = if a.is_empty() {
        s.ctx.as_ref().map(|c| c.pc()).ok_or(ShellError::Syntax)?
    } else {
        s.mask(s.eval(a)?)
    };
    let p = s.ptr();
    let Some(mi) = s.snap.module_index_at(addr) else {
        if let Some(u) = s.snap.unloaded_module_at(addr) {
            let _ = writeln!(o, "(address lies in unloaded module {})", u.name);
        }
        return Ok(());
    };
    if ln_symbol_file(s, addr, o) {
        return Ok(());
    }
    let m = &s.snap.modules[mi];
    let short = m.short_name().to_string();
    let base = m.base;
    let Some(ex) = s.export_directory(mi) else {
        let _ = writeln!(o, "({})   {}+0x{:x}", fmt_addr(base, p), short, addr - base);
        return Ok(());
    };
    let mem = s.image_memory();
    let rva = u32::try_from(addr - base).unwrap_or(u32::MAX);
    match ex.dir.lookup(&ex.image, &mem, rva) {
        Some(l) => {
            let at = base + u64::from(l.export_rva);
            let off = addr - at;
            let here = if off == 0 {
                format!("{short}!{}", l.name)
            } else {
                format!("{short}!{}+0x{off:x}", l.name)
            };
            let next = l.next_export_rva.and_then(|n| {
                let name = ex.dir.name_at(&ex.image, &mem, n)?;
                Some(format!(
                    "({})   {short}!{name}",
                    fmt_addr(base + u64::from(n), p),
                ))
            });
            let _ = writeln!(
                o,
                "({})   {here}   |  {}",
                fmt_addr(at, p),
                next.unwrap_or_default()
            );
            if off == 0 {
                let _ = writeln!(o, "Exact matches:");
                let _ = writeln!(o, "    {short}!{} (<no parameter info>)", l.name);
            }
        }
        None => {
            let _ = writeln!(o, "({})   {}+0x{:x}", fmt_addr(base, p), short, addr - base);
        }
    }
    Ok(())
}

/// `ln` from the module's symbol file (PDB, Breakpad): the function's start and short name, and
/// on an exact match its signature, as WinDbg prints them. False when no symbol file names `addr`.
fn ln_symbol_file(s: &Session<'_, '_>, addr: u64, o: &mut String) -> bool {
    let sym = s.syms.symbolize(addr);
    let (Some(m), Some(f)) = (&sym.module, &sym.function) else {
        return false;
    };
    if !matches!(
        sym.source,
        coroner_analysis::SymbolSource::Pdb | coroner_analysis::SymbolSource::Breakpad
    ) {
        return false;
    }
    let short = coroner_analysis::symbols::short(m);
    let start = addr - sym.function_offset;
    let here = if sym.function_offset == 0 {
        format!("{short}!{f}")
    } else {
        format!("{short}!{f}+0x{:x}", sym.function_offset)
    };
    let _ = writeln!(o, "({})   {here}", fmt_addr(start, s.ptr()));
    if sym.function_offset == 0 {
        let _ = writeln!(o, "Exact matches:");
        let params = sym
            .function_signature
            .as_deref()
            .and_then(coroner_symbols::parameter_list)
            .unwrap_or("(<no parameter info>)");
        let _ = writeln!(o, "    {short}!{f} {params}");
    }
    true
}

/// `x MODULE!PATTERN`: exports whose names match (wildcards in both parts).
pub fn x(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let a = args.trim();
    let a = a
        .split_whitespace()
        .rfind(|w| !w.starts_with('/'))
        .ok_or(ShellError::Syntax)?;
    let (mpat, fpat) = a.split_once('!').unwrap_or(("*", a));
    if fpat.is_empty() {
        return Err(ShellError::Syntax);
    }
    let p = s.ptr();
    let mut rows: Vec<(u64, String)> = Vec::new();
    for (i, m) in s.snap.modules.iter().enumerate() {
        if !wildcard(mpat, m.short_name()) {
            continue;
        }
        let Some(ex) = s.exports(i) else { continue };
        for e in ex.entries() {
            if e.forwarder.is_none() && wildcard(fpat, &e.name) {
                rows.push((
                    m.base.wrapping_add(u64::from(e.rva)),
                    format!("{}!{}", m.short_name(), e.name),
                ));
            }
        }
    }
    rows.sort();
    rows.dedup();
    for (addr, name) in rows {
        let _ = writeln!(o, "{} {name} (<no parameter info>)", fmt_addr(addr, p));
    }
    Ok(())
}
