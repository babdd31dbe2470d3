//! Microsoft PDB (MSF 7.0) files through the `pdb2` crate: identity (GUID + age), public symbols
//! (S_PUB32), procedures with sizes (S_GPROC32/S_LPROC32) and their C13 line numbers, and x86
//! FPO / frame data. Decorated C++ names are demangled with `msvc-demangler` (decorated name kept
//! when it fails).
//!
//! `pdb2` is a third-party parser; a panic inside it on a hostile file is caught and reported as
//! a corrupt file (belt and braces: the crate is fuzzed, but no crash may reach the user).

use crate::table::*;
use crate::{SymError, Warnings};
use pdb2::FallibleIterator;
use std::io::{Read, Seek};

/// A PDB's identity, Breakpad form (GUID + age, uppercase hex).
pub(crate) fn debug_id(guid: &impl std::fmt::UpperHex, age: u32) -> String {
    format!("{guid:X}{age:X}")
}

fn corrupt(e: pdb2::Error) -> SymError {
    SymError::Corrupt(format!("PDB: {e}"))
}

pub(crate) fn demangle(name: &str) -> String {
    if name.starts_with('?') {
        if let Ok(d) = msvc_demangler::demangle(name, msvc_demangler::DemangleFlags::llvm()) {
            return d;
        }
    }
    name.to_string()
}

/// Parses a PDB. `expected`: the dump's debug id; a PDB with another identity is refused
/// (`SymError::Mismatch`) before anything else is read.
pub(crate) fn parse<S>(src: S, expected: Option<&str>) -> Result<(Table, Warnings, bool), SymError>
where
    S: Read + Seek + std::fmt::Debug + Send + 'static,
{
    match coroner_model::guard::catch_quiet(|| parse_inner(src, expected)) {
        Ok(r) => r,
        Err(why) => Err(SymError::Corrupt(format!(
            "PDB parser failed on this file ({why})"
        ))),
    }
}

fn parse_inner<S>(src: S, expected: Option<&str>) -> Result<(Table, Warnings, bool), SymError>
where
    S: Read + Seek + std::fmt::Debug + Send + 'static,
{
    let mut pdb = pdb2::PDB::open(src).map_err(corrupt)?;
    // The DBI age (what the image's CodeView record carries) and the info stream's age usually
    // agree; either matching is accepted.
    let info = pdb.pdb_information().map_err(corrupt)?;
    let mut ids = vec![debug_id(info.guid.as_simple(), info.age)];
    if let Ok(dbi) = pdb.debug_information() {
        if let Some(age) = dbi.age() {
            let id = debug_id(info.guid.as_simple(), age);
            if !ids.contains(&id) {
                ids.insert(0, id);
            }
        }
    }
    let mut t = Table::default();
    let mut w = Warnings::default();
    let verified = match expected {
        Some(e) => {
            if !ids.iter().any(|i| i.eq_ignore_ascii_case(e)) {
                return Err(SymError::Mismatch {
                    expected: e.to_string(),
                    found: ids.first().cloned().unwrap_or_default(),
                });
            }
            true
        }
        None => false,
    };
    t.header.debug_id = ids.first().cloned().unwrap_or_default();
    t.header.os = "windows".into();
    let dbi = pdb.debug_information().map_err(corrupt)?;
    if let Ok(m) = dbi.machine_type() {
        t.header.arch = format!("{m}").to_ascii_lowercase();
    }
    let map = pdb.address_map().map_err(corrupt)?;
    let strings = pdb.string_table().ok();

    // Public symbols.
    match pdb.global_symbols() {
        Ok(globals) => {
            let mut it = globals.iter();
            loop {
                match it.next() {
                    Ok(Some(sym)) => {
                        if let Ok(pdb2::SymbolData::Public(p)) = sym.parse() {
                            if let Some(rva) = p.offset.to_rva(&map) {
                                let name = demangle(&p.name.to_string());
                                let name = t.strings.push(name.as_bytes());
                                t.publics.push(Public {
                                    rva: rva.0,
                                    params: 0,
                                    name,
                                });
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        w.add(format!("public symbols: {e}"));
                        break;
                    }
                }
            }
        }
        Err(e) => w.add(format!("no global symbols: {e}")),
    }

    // Procedures and lines, module by module.
    let mut modules = dbi.modules().map_err(corrupt)?;
    let mut file_ids: std::collections::HashMap<String, u32> = Default::default();
    loop {
        let module = match modules.next() {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(e) => {
                w.add(format!("module list: {e}"));
                break;
            }
        };
        let info = match pdb.module_info(&module) {
            Ok(Some(i)) => i,
            Ok(None) => continue,
            Err(e) => {
                w.add(format!("module {}: {e}", module.module_name()));
                continue;
            }
        };
        let program = info.line_program().ok();
        let mut syms = match info.symbols() {
            Ok(s) => s,
            Err(e) => {
                w.add(format!("module {}: {e}", module.module_name()));
                continue;
            }
        };
        loop {
            let sym = match syms.next() {
                Ok(Some(s)) => s,
                Ok(None) => break,
                Err(e) => {
                    w.add(format!("module {}: {e}", module.module_name()));
                    break;
                }
            };
            let Ok(pdb2::SymbolData::Procedure(p)) = sym.parse() else {
                continue;
            };
            let Some(rva) = p.offset.to_rva(&map) else {
                continue;
            };
            let name = demangle(&p.name.to_string());
            let name = t.strings.push(name.as_bytes());
            let first_line = t.lines.len() as u32;
            if let Some(program) = &program {
                let mut lines = program.lines_for_symbol(p.offset);
                while let Ok(Some(l)) = lines.next() {
                    let Some(lrva) = l.offset.to_rva(&map) else {
                        continue;
                    };
                    let file = match program.get_file_info(l.file_index) {
                        Ok(fi) => {
                            let fname = strings
                                .as_ref()
                                .and_then(|s| fi.name.to_string_lossy(s).ok())
                                .map(|c| c.into_owned())
                                .unwrap_or_default();
                            let next = file_ids.len() as u32;
                            match file_ids.get(&fname) {
                                Some(&id) => id,
                                None => {
                                    let s = t.strings.push(fname.as_bytes());
                                    t.files.push((next, s));
                                    file_ids.insert(fname, next);
                                    next
                                }
                            }
                        }
                        Err(_) => u32::MAX,
                    };
                    t.lines.push(Line {
                        rva: lrva.0,
                        size: l.length.unwrap_or(0),
                        line: l.line_start,
                        file,
                    });
                }
            }
            let last_line = t.lines.len() as u32;
            // Lines without a length run to the next line or the end of the procedure.
            if let Some(ls) = t.lines.get_mut(first_line as usize..) {
                ls.sort_unstable_by_key(|l| l.rva);
                let end = rva.0.saturating_add(p.len);
                for i in 0..ls.len() {
                    if ls[i].size == 0 {
                        let next = ls.get(i + 1).map_or(end, |n| n.rva);
                        ls[i].size = next.saturating_sub(ls[i].rva);
                    }
                }
            }
            let i = t.inlines.len() as u32;
            t.funcs.push(Func {
                rva: rva.0,
                size: p.len,
                params: 0,
                name,
                lines: (first_line, last_line),
                inlines: (i, i),
            });
        }
    }

    // x86 FPO and frame data.
    match pdb.frame_table() {
        Ok(ft) => {
            let mut it = ft.iter();
            loop {
                match it.next() {
                    Ok(Some(fd)) => {
                        let Some(rva) = fd.code_start.to_rva(&map) else {
                            continue;
                        };
                        let mut flags = 0;
                        let mut program = Str::default();
                        if let Some(p) = fd.program {
                            if let Some(s) =
                                strings.as_ref().and_then(|s| p.to_string_lossy(s).ok())
                            {
                                flags |= WIN_HAS_PROGRAM;
                                program = t.strings.push(s.as_bytes());
                            }
                        } else if fd.uses_base_pointer {
                            flags |= WIN_ALLOCATES_BP;
                        }
                        t.wins.push(Win {
                            ty: fd.ty as u32,
                            rva: rva.0,
                            code_size: fd.code_size,
                            prolog: fd.prolog_size.into(),
                            epilog: 0,
                            params: fd.params_size,
                            saved_regs: fd.saved_regs_size.into(),
                            locals: fd.locals_size,
                            max_stack: fd.max_stack_size.unwrap_or(0),
                            flags,
                            program,
                        });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        w.add(format!("frame data: {e}"));
                        break;
                    }
                }
            }
        }
        Err(e) => w.add(format!("frame data: {e}")),
    }
    t.finish();
    Ok((t, w, verified))
}
