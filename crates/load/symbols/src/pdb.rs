//! Microsoft PDB (MSF 7.0) files through the `pdb2` crate: identity (GUID + age), public symbols
//! (S_PUB32), procedures with sizes (S_GPROC32/S_LPROC32) and their C13 line numbers, inlined
//! calls (S_INLINESITE with their binary-annotation line programs, names from the IPI stream),
//! and x86 FPO / frame data. Names are stored as the PDB spells them (publics decorated) and
//! demangled on lookup (`names.rs`); data publics (S_PUB32 without the code/function flag) are
//! marked so no code address is named after them.
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

/// Reads a PDB: its identity first (a mismatch stops here), then publics, procedures with their
/// lines and inline sites, and frame data. A damaged stream is a warning; the rest is still read.
fn parse_inner<S>(src: S, expected: Option<&str>) -> Result<(Table, Warnings, bool), SymError>
where
    S: Read + Seek + std::fmt::Debug + Send + 'static,
{
    let mut pdb = pdb2::PDB::open(src).map_err(corrupt)?;
    let (id, verified) = identity(&mut pdb, expected)?;
    let mut t = Table::default();
    let mut w = Warnings::default();
    t.header.debug_id = id;
    t.header.os = "windows".into();
    let dbi = pdb.debug_information().map_err(corrupt)?;
    if let Ok(m) = dbi.machine_type() {
        t.header.arch = format!("{m}").to_ascii_lowercase();
    }
    let map = pdb.address_map().map_err(corrupt)?;
    let strings = pdb.string_table().ok();
    // Names of inlined functions (IPI stream), indexed on first use.
    let ipi = pdb.id_information().ok();
    let mut inline_names = InlineNames::new(ipi.as_ref());
    let mut shared = Shared {
        map: &map,
        strings: strings.as_ref(),
        file_ids: Default::default(),
    };

    publics(&mut pdb, &map, &mut t, &mut w);
    procedures(
        &mut pdb,
        &dbi,
        &mut shared,
        &mut inline_names,
        &mut t,
        &mut w,
    )?;
    frame_data(&mut pdb, &map, strings.as_ref(), &mut t, &mut w);
    t.finish();
    Ok((t, w, verified))
}

/// The PDB's identity (Breakpad form) and whether it was checked against `expected`; another
/// identity than `expected` is `SymError::Mismatch`.
///
/// The DBI age (what the image's CodeView record carries) and the info stream's age usually
/// agree; either matching is accepted, and the DBI one names the file.
pub(crate) fn identity<'s, S: pdb2::Source<'s> + 's>(
    pdb: &mut pdb2::PDB<'s, S>,
    expected: Option<&str>,
) -> Result<(String, bool), SymError> {
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
    Ok((ids.first().cloned().unwrap_or_default(), verified))
}

/// Public symbols (S_PUB32), kept decorated; data publics are flagged `PUBLIC_DATA`.
fn publics<'s, S: pdb2::Source<'s> + 's>(
    pdb: &mut pdb2::PDB<'s, S>,
    map: &pdb2::AddressMap<'_>,
    t: &mut Table,
    w: &mut Warnings,
) {
    let globals = match pdb.global_symbols() {
        Ok(globals) => globals,
        Err(e) => return w.add(format!("no global symbols: {e}")),
    };
    let mut it = globals.iter();
    loop {
        match it.next() {
            Ok(Some(sym)) => {
                if let Ok(pdb2::SymbolData::Public(p)) = sym.parse() {
                    if let Some(rva) = p.offset.to_rva(map) {
                        // Kept decorated: lookups demangle (short name + signature).
                        let name = t.strings.push(p.name.as_bytes());
                        let data = !p.code && !p.function;
                        t.publics.push(Public {
                            rva: rva.0,
                            params: 0,
                            name,
                            flags: if data { PUBLIC_DATA } else { 0 },
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

/// What the readers of every module share: the address map, the string table, and the table's
/// ids of source files by name.
struct Shared<'a, 's> {
    map: &'a pdb2::AddressMap<'s>,
    strings: Option<&'a pdb2::StringTable<'s>>,
    file_ids: std::collections::HashMap<String, u32>,
}

/// Procedures, their lines and inline sites, module by module. A module that cannot be read is
/// a warning; a module list that cannot be opened is a corrupt file.
fn procedures<'s, S: pdb2::Source<'s> + 's>(
    pdb: &mut pdb2::PDB<'s, S>,
    dbi: &pdb2::DebugInformation<'s>,
    shared: &mut Shared<'_, 's>,
    names: &mut InlineNames<'_, '_>,
    t: &mut Table,
    w: &mut Warnings,
) -> Result<(), SymError> {
    let mut modules = dbi.modules().map_err(corrupt)?;
    loop {
        let module = match modules.next() {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(e) => {
                w.add(format!("module list: {e}"));
                break;
            }
        };
        match pdb.module_info(&module) {
            Ok(Some(info)) => module_procedures(&module, &info, shared, names, t, w),
            Ok(None) => continue,
            Err(e) => {
                w.add(format!("module {}: {e}", module.module_name()));
                continue;
            }
        }
    }
    Ok(())
}

/// One module's symbols as they are read: its line program and inlinee table, the procedure
/// being read (its index in `t.funcs` and its offset) and that procedure's inline sites
/// (depth, site) so far.
struct ModuleScan<'m> {
    program: Option<pdb2::LineProgram<'m>>,
    inlinees: std::collections::HashMap<pdb2::IdIndex, pdb2::Inlinee<'m>>,
    current: Option<(usize, pdb2::PdbInternalSectionOffset)>,
    sites: Vec<(u32, pdb2::InlineSiteSymbol<'m>)>,
    nesting: u32,
}

impl ModuleScan<'_> {
    /// Adds the inline sites of the procedure just read (if any) and forgets them.
    fn flush(
        &mut self,
        shared: &mut Shared<'_, '_>,
        names: &mut InlineNames<'_, '_>,
        t: &mut Table,
        w: &mut Warnings,
    ) {
        if let Some((fi, offset)) = self.current.take() {
            if !self.sites.is_empty() {
                let (program, strings) = (&self.program, shared.strings);
                let file_ids = &mut shared.file_ids;
                let mut file_of = |idx: pdb2::FileIndex, t: &mut Table| -> u32 {
                    let Some(program) = program else {
                        return u32::MAX;
                    };
                    file_id(program, idx, strings, file_ids, t)
                };
                add_inlines(
                    t,
                    w,
                    fi,
                    offset,
                    &self.sites,
                    &self.inlinees,
                    shared.map,
                    &mut file_of,
                    names,
                );
            }
        }
        self.sites.clear();
    }
}

/// One module's procedures (S_GPROC32/S_LPROC32) with their lines, and the inline sites
/// (S_INLINESITE, at most `MAX_INLINE_SITES` per procedure) nested in each.
fn module_procedures(
    module: &pdb2::Module<'_>,
    info: &pdb2::ModuleInfo<'_>,
    shared: &mut Shared<'_, '_>,
    names: &mut InlineNames<'_, '_>,
    t: &mut Table,
    w: &mut Warnings,
) {
    let mut scan = ModuleScan {
        program: info.line_program().ok(),
        inlinees: inlinees(info),
        current: None,
        sites: Vec::new(),
        nesting: 0,
    };
    let mut syms = match info.symbols() {
        Ok(s) => s,
        Err(e) => return w.add(format!("module {}: {e}", module.module_name())),
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
        let p = match sym.parse() {
            Ok(pdb2::SymbolData::Procedure(p)) => p,
            Ok(pdb2::SymbolData::InlineSite(site)) if scan.current.is_some() => {
                if scan.sites.len() < MAX_INLINE_SITES {
                    scan.sites.push((scan.nesting, site));
                }
                scan.nesting = scan.nesting.saturating_add(1);
                continue;
            }
            Ok(pdb2::SymbolData::InlineSiteEnd) => {
                scan.nesting = scan.nesting.saturating_sub(1);
                continue;
            }
            _ => continue,
        };
        scan.flush(shared, names, t, w);
        scan.nesting = 0;
        let Some(rva) = p.offset.to_rva(shared.map) else {
            continue;
        };
        add_procedure(&p, rva.0, scan.program.as_ref(), shared, t);
        scan.current = Some((t.funcs.len() - 1, p.offset));
    }
    scan.flush(shared, names, t, w);
}

/// A module's inlinees (C13 inlinee lines) by id; the first of each id is kept.
fn inlinees<'m>(
    info: &'m pdb2::ModuleInfo<'_>,
) -> std::collections::HashMap<pdb2::IdIndex, pdb2::Inlinee<'m>> {
    info.inlinees()
        .map(|it| {
            let mut m = std::collections::HashMap::new();
            let mut it = it;
            while let Ok(Some(i)) = it.next() {
                m.entry(i.index()).or_insert(i);
            }
            m
        })
        .unwrap_or_default()
}

/// Adds procedure `p` at `rva` to `t.funcs` with its lines from the module's line program;
/// lines without a length run to the next line or the end of the procedure.
fn add_procedure(
    p: &pdb2::ProcedureSymbol<'_>,
    rva: u32,
    program: Option<&pdb2::LineProgram<'_>>,
    shared: &mut Shared<'_, '_>,
    t: &mut Table,
) {
    let name = t.strings.push(p.name.as_bytes());
    let first_line = t.lines.len() as u32;
    if let Some(program) = program {
        let mut lines = program.lines_for_symbol(p.offset);
        while let Ok(Some(l)) = lines.next() {
            let Some(lrva) = l.offset.to_rva(shared.map) else {
                continue;
            };
            let file = file_id(
                program,
                l.file_index,
                shared.strings,
                &mut shared.file_ids,
                t,
            );
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
        let end = rva.saturating_add(p.len);
        for i in 0..ls.len() {
            if ls[i].size == 0 {
                let next = ls.get(i + 1).map_or(end, |n| n.rva);
                ls[i].size = next.saturating_sub(ls[i].rva);
            }
        }
    }
    let i = t.inlines.len() as u32;
    t.funcs.push(Func {
        rva,
        size: p.len,
        params: 0,
        name,
        lines: (first_line, last_line),
        inlines: (i, i),
    });
}

/// x86 FPO and frame data (the frame table), as STACK WIN records.
fn frame_data<'s, S: pdb2::Source<'s> + 's>(
    pdb: &mut pdb2::PDB<'s, S>,
    map: &pdb2::AddressMap<'_>,
    strings: Option<&pdb2::StringTable<'_>>,
    t: &mut Table,
    w: &mut Warnings,
) {
    let ft = match pdb.frame_table() {
        Ok(ft) => ft,
        Err(e) => return w.add(format!("frame data: {e}")),
    };
    let mut it = ft.iter();
    loop {
        match it.next() {
            Ok(Some(fd)) => {
                let Some(rva) = fd.code_start.to_rva(map) else {
                    continue;
                };
                let mut flags = 0;
                let mut program = Str::default();
                if let Some(p) = fd.program {
                    if let Some(s) = strings.and_then(|s| p.to_string_lossy(s).ok()) {
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

/// Most inline sites read in one procedure (hostile files may claim millions).
const MAX_INLINE_SITES: usize = 4096;
/// Most line ranges (procedure lines plus inline ranges) combined for one procedure.
const MAX_INLINE_RANGES: usize = 20_000;

/// The table's id of a source file of the line program (`u32::MAX` when unreadable).
fn file_id(
    program: &pdb2::LineProgram<'_>,
    idx: pdb2::FileIndex,
    strings: Option<&pdb2::StringTable<'_>>,
    file_ids: &mut std::collections::HashMap<String, u32>,
    t: &mut Table,
) -> u32 {
    let Ok(fi) = program.get_file_info(idx) else {
        return u32::MAX;
    };
    let fname = strings
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

/// Names of inlined functions from the IPI stream, by id; the stream is indexed on first use.
struct InlineNames<'a, 's> {
    ipi: Option<&'a pdb2::IdInformation<'s>>,
    finder: Option<pdb2::IdFinder<'a>>,
    /// Origin id in the table by IPI index.
    origins: std::collections::HashMap<u32, u32>,
}

impl<'a, 's> InlineNames<'a, 's> {
    fn new(ipi: Option<&'a pdb2::IdInformation<'s>>) -> Self {
        InlineNames {
            ipi,
            finder: None,
            origins: Default::default(),
        }
    }

    /// The table's origin id for IPI index `id`, adding the name on first use.
    fn origin(&mut self, id: pdb2::IdIndex, t: &mut Table) -> u32 {
        if let Some(&o) = self.origins.get(&id.0) {
            return o;
        }
        if self.finder.is_none() {
            if let Some(ipi) = self.ipi {
                let mut finder = ipi.finder();
                let mut it = ipi.iter();
                while let Ok(Some(_)) = it.next() {
                    finder.update(&it);
                }
                self.finder = Some(finder);
            }
        }
        let name = self
            .finder
            .as_ref()
            .and_then(|f| f.find(id).ok())
            .and_then(|item| item.parse().ok())
            .and_then(|d| match d {
                pdb2::IdData::Function(f) => Some(f.name.to_string().into_owned()),
                pdb2::IdData::MemberFunction(f) => Some(f.name.to_string().into_owned()),
                _ => None,
            })
            .unwrap_or_else(|| format!("<inlined function {:#x}>", id.0));
        let o = self.origins.len() as u32;
        let s = t.strings.push(name.as_bytes());
        t.origins.push((o, s));
        self.origins.insert(id.0, o);
        o
    }
}

/// A line range: [rva, rva+size) at `line` of `file`, `depth` levels of inlining deep
/// (0 = the procedure's own code).
#[derive(Clone, Copy)]
struct Range {
    rva: u32,
    size: u32,
    line: u32,
    file: u32,
    depth: u32,
}

/// Adds the inline sites of procedure `fi` to the table in Breakpad's form: one INLINE record
/// per code range of each site (depth, call line and file in the parent), and the procedure's
/// line records replaced by the innermost line at every address.
#[allow(clippy::too_many_arguments)]
fn add_inlines(
    t: &mut Table,
    w: &mut Warnings,
    fi: usize,
    proc_offset: pdb2::PdbInternalSectionOffset,
    sites: &[(u32, pdb2::InlineSiteSymbol<'_>)],
    inlinees: &std::collections::HashMap<pdb2::IdIndex, pdb2::Inlinee<'_>>,
    map: &pdb2::AddressMap<'_>,
    file_of: &mut dyn FnMut(pdb2::FileIndex, &mut Table) -> u32,
    names: &mut InlineNames<'_, '_>,
) {
    let Some(f) = t.funcs.get(fi).copied() else {
        return;
    };
    let end = f.rva.saturating_add(f.size);
    let mut ranges: Vec<Range> = t
        .lines
        .get(f.lines.0 as usize..f.lines.1 as usize)
        .unwrap_or(&[])
        .iter()
        .map(|l| Range {
            rva: l.rva,
            size: l.size,
            line: l.line,
            file: l.file,
            depth: 0,
        })
        .collect();
    // Each site's ranges, tagged with the site's origin.
    let mut site_ranges: Vec<(Range, u32)> = Vec::new();
    for (depth, site) in sites {
        let Some(inlinee) = inlinees.get(&site.inlinee) else {
            continue;
        };
        let origin = names.origin(site.inlinee, t);
        let mut lines = inlinee.lines(proc_offset, site);
        let mut mine: Vec<Range> = Vec::new();
        while let Ok(Some(l)) = lines.next() {
            let Some(rva) = l.offset.to_rva(map) else {
                continue;
            };
            mine.push(Range {
                rva: rva.0,
                size: l.length.unwrap_or(0),
                line: l.line_start,
                file: file_of(l.file_index, t),
                depth: depth + 1,
            });
            if ranges.len() + site_ranges.len() + mine.len() > MAX_INLINE_RANGES {
                w.add(format!(
                    "inline sites of one function cut at {MAX_INLINE_RANGES} line ranges"
                ));
                return;
            }
        }
        // Ranges without a length run to the next range of the site (or the function's end).
        mine.sort_unstable_by_key(|r| r.rva);
        for i in 0..mine.len() {
            if mine[i].size == 0 {
                let next = mine.get(i + 1).map_or(end, |n| n.rva);
                mine[i].size = next.saturating_sub(mine[i].rva);
            }
        }
        site_ranges.extend(mine.into_iter().map(|r| (r, origin)));
    }
    if site_ranges.is_empty() {
        return;
    }
    // INLINE records: the call site is the parent's line where the inlined range starts.
    let line_at = |rs: &[Range], depth: u32, rva: u32| {
        rs.iter()
            .filter(|r| r.depth == depth && r.rva <= rva && rva - r.rva < r.size.max(1))
            .map(|r| (r.line, r.file))
            .next()
    };
    let first_inline = t.inlines.len() as u32;
    let all_sites: Vec<Range> = site_ranges.iter().map(|(r, _)| *r).collect();
    for (r, origin) in &site_ranges {
        let parent = if r.depth == 1 {
            line_at(&ranges, 0, r.rva)
        } else {
            line_at(&all_sites, r.depth - 1, r.rva)
        };
        let (call_line, call_file) = parent.unwrap_or((0, u32::MAX));
        t.inlines.push(Inline {
            rva: r.rva,
            size: r.size,
            depth: r.depth - 1,
            call_line,
            call_file,
            origin: *origin,
        });
    }
    // Innermost lines: at every address, the deepest range covering it.
    ranges.extend(all_sites);
    let mut cuts: Vec<u32> = ranges
        .iter()
        .flat_map(|r| [r.rva, r.rva.saturating_add(r.size)])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut innermost: Vec<Line> = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let best = ranges
            .iter()
            .filter(|r| r.rva <= a && a < r.rva.saturating_add(r.size))
            .max_by_key(|r| r.depth);
        let Some(r) = best else {
            continue;
        };
        match innermost.last_mut() {
            Some(l) if l.rva + l.size == a && l.line == r.line && l.file == r.file => {
                l.size += b - a;
            }
            _ => innermost.push(Line {
                rva: a,
                size: b - a,
                line: r.line,
                file: r.file,
            }),
        }
    }
    // The procedure's lines were the last pushed: replace them.
    let start = f.lines.0 as usize;
    if f.lines.1 as usize == t.lines.len() {
        t.lines.truncate(start);
        t.lines.extend(innermost);
        let n = t.lines.len() as u32;
        if let Some(ff) = t.funcs.get_mut(fi) {
            ff.lines = (f.lines.0, n);
            ff.inlines = (first_inline, t.inlines.len() as u32);
        }
    }
}
