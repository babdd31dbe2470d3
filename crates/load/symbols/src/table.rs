//! The in-memory form every symbol source is turned into: sorted vectors of fixed-size records
//! plus one string blob, looked up by binary search. The same records are what the on-disk cache
//! stores (see `cache.rs`), so a cached module loads without parsing text or PDB streams.
//!
//! Every index read from the records goes through `get`, never `[]`: a corrupt cache file may
//! yield wrong names but never a panic.

/// A string in [`Strings`]: offset and length in the blob.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Str {
    pub off: u32,
    pub len: u32,
}

/// All strings of one module, back to back.
#[derive(Clone, Debug, Default)]
pub(crate) struct Strings {
    pub blob: Vec<u8>,
}

impl Strings {
    /// Adds a string; returns an empty `Str` when the blob would pass 4 GiB.
    pub fn push(&mut self, s: &[u8]) -> Str {
        let off = self.blob.len();
        if off.saturating_add(s.len()) > u32::MAX as usize {
            return Str::default();
        }
        self.blob.extend_from_slice(s);
        Str {
            off: off as u32,
            len: s.len() as u32,
        }
    }

    pub fn get(&self, s: Str) -> &str {
        let start = s.off as usize;
        let end = start.saturating_add(s.len as usize);
        self.blob
            .get(start..end)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

/// A function (Breakpad FUNC, PDB procedure) with its line and inline records.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Func {
    pub rva: u32,
    pub size: u32,
    pub params: u32,
    pub name: Str,
    /// Range in `Table::lines`, sorted by rva.
    pub lines: (u32, u32),
    /// Range in `Table::inlines`, sorted by (depth, rva).
    pub inlines: (u32, u32),
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Line {
    pub rva: u32,
    pub size: u32,
    pub line: u32,
    pub file: u32,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Inline {
    pub rva: u32,
    pub size: u32,
    pub depth: u32,
    pub call_line: u32,
    pub call_file: u32,
    pub origin: u32,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Public {
    pub rva: u32,
    pub params: u32,
    pub name: Str,
    /// `PUBLIC_DATA` when the symbol names data, not code (PDB S_PUB32 without the code or
    /// function flag: string literals, vtables, globals).
    pub flags: u32,
}

pub(crate) const PUBLIC_DATA: u32 = 1;

pub(crate) const WIN_HAS_PROGRAM: u32 = 1;
pub(crate) const WIN_ALLOCATES_BP: u32 = 2;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Win {
    pub ty: u32,
    pub rva: u32,
    pub code_size: u32,
    pub prolog: u32,
    pub epilog: u32,
    pub params: u32,
    pub saved_regs: u32,
    pub locals: u32,
    pub max_stack: u32,
    pub flags: u32,
    pub program: Str,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CfiInit {
    pub rva: u32,
    pub size: u32,
    pub rules: Str,
    /// Range in `Table::cfi_deltas`, sorted by rva.
    pub deltas: (u32, u32),
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CfiDelta {
    pub rva: u32,
    pub rules: Str,
}

/// Facts about the symbol file itself.
#[derive(Clone, Debug, Default)]
pub(crate) struct Header {
    pub os: String,
    pub arch: String,
    /// Breakpad debug id (GUID + age, uppercase hex) as the file states it.
    pub debug_id: String,
    pub debug_file: String,
    pub code_id: String,
}

/// One module's symbols.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    pub header: Header,
    pub strings: Strings,
    /// (id, name), sorted by id.
    pub files: Vec<(u32, Str)>,
    /// (id, name), sorted by id.
    pub origins: Vec<(u32, Str)>,
    pub funcs: Vec<Func>,
    pub lines: Vec<Line>,
    pub inlines: Vec<Inline>,
    pub publics: Vec<Public>,
    pub wins: Vec<Win>,
    pub cfi_inits: Vec<CfiInit>,
    pub cfi_deltas: Vec<CfiDelta>,
}

/// How far back a lookup scans past the nearest start for a record whose range still covers the
/// address (overlapping records are rare; this bounds the work on hostile input).
const OVERLAP_SCAN: usize = 16;

fn contains(rva: u32, size: u32, addr: u32) -> bool {
    addr >= rva && (addr - rva) < size.max(1)
}

/// What [`crate::ModuleSymbols::lookup`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolInfo {
    /// Function name as WinDbg prints it: scopes and template arguments, no return type,
    /// calling convention or parameters (`Widget::draw`; see [`crate::short_name`]).
    pub function: String,
    /// The full signature, when the symbol file has one that says more than `function`
    /// (`int __cdecl Widget::draw(int, float)`).
    pub signature: Option<String>,
    /// Start of the function, relative to the module base.
    pub function_rva: u32,
    /// Size of the function; `None` for public symbols.
    pub function_size: Option<u32>,
    /// Offset of the address from the function start.
    pub offset: u32,
    /// Source file of the address in the outermost function (for an inlined call: the call site).
    pub file: Option<String>,
    /// Line of the address in the outermost function.
    pub line: Option<u32>,
    /// Inlined calls at the address, outermost first: (inlined function, file, line inside it).
    /// The last entry's file/line is where the address itself lies.
    pub inlines: Vec<InlineFrame>,
    /// The name comes from a PUBLIC record / public symbol (no size, no lines).
    pub public: bool,
    /// Size of the parameters (x86 stdcall), when the source gives it.
    pub parameter_size: Option<u32>,
}

/// One inlined function at an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineFrame {
    pub function: String,
    pub file: Option<String>,
    pub line: Option<u32>,
}

/// A STACK WIN record (or PDB FPO / frame data, same shape).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackWin {
    /// 0 = FPO, 4 = frame data (program string), others as in `StackFrameTypeIndex`.
    pub ty: u8,
    pub rva: u32,
    pub code_size: u32,
    pub prolog_size: u32,
    pub epilog_size: u32,
    pub params_size: u32,
    pub saved_regs_size: u32,
    pub locals_size: u32,
    pub max_stack_size: u32,
    /// Program string (postfix), when `has_program_string`.
    pub program_string: Option<String>,
    /// Without program string: the function uses EBP as frame pointer.
    pub allocates_base_pointer: bool,
}

/// Call-frame information rules in force at an address: register → postfix expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfiRules {
    /// The STACK CFI INIT record's range.
    pub init_rva: u32,
    pub size: u32,
    /// (`.cfa`, `.ra`, `$rbp`, …, expression), INIT rules with later deltas applied, in first
    /// appearance order.
    pub rules: Vec<(String, String)>,
}

impl Table {
    fn file(&self, id: u32) -> Option<String> {
        let i = self.files.binary_search_by_key(&id, |f| f.0).ok()?;
        let s = self.strings.get(self.files.get(i)?.1);
        Some(s.to_string())
    }

    fn origin(&self, id: u32) -> String {
        self.origins
            .binary_search_by_key(&id, |f| f.0)
            .ok()
            .and_then(|i| self.origins.get(i))
            .map(|o| self.strings.get(o.1).to_string())
            .unwrap_or_else(|| format!("<inline origin {id}>"))
    }

    fn find_func(&self, addr: u32) -> Option<&Func> {
        let idx = self.funcs.partition_point(|f| f.rva <= addr);
        (idx.saturating_sub(OVERLAP_SCAN)..idx)
            .rev()
            .filter_map(|i| self.funcs.get(i))
            .find(|f| contains(f.rva, f.size, addr))
    }

    fn sub<T>(v: &[T], r: (u32, u32)) -> &[T] {
        v.get(r.0 as usize..r.1 as usize).unwrap_or(&[])
    }

    pub fn lookup(&self, addr: u32) -> Option<SymbolInfo> {
        if let Some(f) = self.find_func(addr) {
            let lines = Self::sub(&self.lines, f.lines);
            let li = lines.partition_point(|l| l.rva <= addr);
            let line = li
                .checked_sub(1)
                .and_then(|i| lines.get(i))
                .filter(|l| contains(l.rva, l.size, addr));
            let inl = Self::sub(&self.inlines, f.inlines);
            let at_depth = |d: u32| {
                inl.iter()
                    .find(|i| i.depth == d && contains(i.rva, i.size, addr))
            };
            let mut file = line.and_then(|l| self.file(l.file));
            let mut lno = line.map(|l| l.line).filter(|&l| l != 0);
            let mut inlines = Vec::new();
            if let Some(first) = at_depth(0) {
                file = self.file(first.call_file);
                lno = Some(first.call_line).filter(|&l| l != 0);
                let mut cur = first;
                // Depth is bounded by the number of records.
                for d in 1..=inl.len() as u32 {
                    let next = at_depth(d);
                    let (f2, l2) = match next {
                        Some(n) => (self.file(n.call_file), Some(n.call_line)),
                        None => (line.and_then(|l| self.file(l.file)), line.map(|l| l.line)),
                    };
                    inlines.push(InlineFrame {
                        function: crate::names::short_name(&self.origin(cur.origin)).into_owned(),
                        file: f2,
                        line: l2.filter(|&l| l != 0),
                    });
                    match next {
                        Some(n) => cur = n,
                        None => break,
                    }
                }
            }
            let (function, signature) = self.func_names(f);
            return Some(SymbolInfo {
                function,
                signature,
                function_rva: f.rva,
                function_size: Some(f.size),
                offset: addr - f.rva,
                file,
                line: lno,
                inlines,
                public: false,
                parameter_size: Some(f.params),
            });
        }
        let p = self.public_at(addr)?;
        let (function, signature) = crate::names::split(self.strings.get(p.name));
        Some(SymbolInfo {
            function,
            signature,
            function_rva: p.rva,
            function_size: None,
            offset: addr - p.rva,
            file: None,
            line: None,
            inlines: Vec::new(),
            public: true,
            parameter_size: Some(p.params),
        })
    }

    /// A function's short name and signature. PDB procedure records carry the undecorated name
    /// only (`Widget::draw`); the signature then comes from the public symbol at the same
    /// address, when it names the same function.
    fn func_names(&self, f: &Func) -> (String, Option<String>) {
        let (short, sig) = crate::names::split(self.strings.get(f.name));
        if sig.is_some() {
            return (short, sig);
        }
        let i = self.publics.partition_point(|p| p.rva < f.rva);
        let sig = self
            .publics
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|p| p.rva == f.rva)
            .map(|p| crate::names::split(self.strings.get(p.name)))
            .find(|(s, _)| *s == short)
            .and_then(|(_, sig)| sig);
        (short, sig)
    }

    /// The code public symbol naming `addr` when no function covers it: the nearest public
    /// before it, unless that public names data, or a function starts after it or contains it
    /// (then `addr` lies past that function's end: padding, data or code without symbols).
    fn public_at(&self, addr: u32) -> Option<&Public> {
        let pi = self.publics.partition_point(|p| p.rva <= addr);
        let p = self.publics.get(pi.checked_sub(1)?)?;
        if p.flags & PUBLIC_DATA != 0 {
            return None;
        }
        let fi = self.funcs.partition_point(|f| f.rva <= addr);
        if let Some(f) = fi.checked_sub(1).and_then(|i| self.funcs.get(i)) {
            if f.rva.saturating_add(f.size.max(1)) > p.rva {
                return None;
            }
        }
        Some(p)
    }

    /// Whether `addr` lies in code the symbols know: inside a function, or named by a code
    /// public symbol ([`Self::lookup`] names it). `None` when the file has neither functions nor
    /// public symbols.
    pub fn in_code(&self, addr: u32) -> Option<bool> {
        if self.funcs.is_empty() && self.publics.is_empty() {
            return None;
        }
        Some(self.find_func(addr).is_some() || self.public_at(addr).is_some())
    }

    /// The STACK WIN record covering `addr`, frame data (type 4) preferred over FPO (type 0).
    pub fn stack_win(&self, addr: u32) -> Option<StackWin> {
        let idx = self.wins.partition_point(|w| w.rva <= addr);
        let mut best: Option<&Win> = None;
        for w in (idx.saturating_sub(OVERLAP_SCAN)..idx)
            .rev()
            .filter_map(|i| self.wins.get(i))
            .filter(|w| contains(w.rva, w.code_size, addr))
        {
            match best {
                None => best = Some(w),
                Some(b) if b.ty != 4 && w.ty == 4 => best = Some(w),
                _ => {}
            }
        }
        let w = best?;
        let has_prog = w.flags & WIN_HAS_PROGRAM != 0;
        Some(StackWin {
            ty: w.ty.min(255) as u8,
            rva: w.rva,
            code_size: w.code_size,
            prolog_size: w.prolog,
            epilog_size: w.epilog,
            params_size: w.params,
            saved_regs_size: w.saved_regs,
            locals_size: w.locals,
            max_stack_size: w.max_stack,
            program_string: has_prog.then(|| self.strings.get(w.program).to_string()),
            allocates_base_pointer: w.flags & WIN_ALLOCATES_BP != 0,
        })
    }

    pub fn stack_cfi(&self, addr: u32) -> Option<CfiRules> {
        let idx = self.cfi_inits.partition_point(|c| c.rva <= addr);
        let init = (idx.saturating_sub(OVERLAP_SCAN)..idx)
            .rev()
            .filter_map(|i| self.cfi_inits.get(i))
            .find(|c| contains(c.rva, c.size, addr))?;
        let mut rules: Vec<(String, String)> = Vec::new();
        apply_rules(&mut rules, self.strings.get(init.rules));
        for d in Self::sub(&self.cfi_deltas, init.deltas) {
            if d.rva > addr {
                break;
            }
            apply_rules(&mut rules, self.strings.get(d.rules));
        }
        Some(CfiRules {
            init_rva: init.rva,
            size: init.size,
            rules,
        })
    }

    /// Sorts everything after building; `funcs`' line/inline ranges must already be set.
    pub fn finish(&mut self) {
        for f in &self.funcs {
            if let Some(l) = self.lines.get_mut(f.lines.0 as usize..f.lines.1 as usize) {
                l.sort_unstable_by_key(|l| l.rva);
            }
            if let Some(i) = self
                .inlines
                .get_mut(f.inlines.0 as usize..f.inlines.1 as usize)
            {
                i.sort_unstable_by_key(|i| (i.depth, i.rva));
            }
        }
        for c in &self.cfi_inits {
            if let Some(d) = self
                .cfi_deltas
                .get_mut(c.deltas.0 as usize..c.deltas.1 as usize)
            {
                d.sort_by_key(|d| d.rva);
            }
        }
        self.funcs.sort_by_key(|f| f.rva);
        self.publics.sort_by_key(|p| p.rva);
        self.wins.sort_by_key(|w| w.rva);
        self.cfi_inits.sort_by_key(|c| c.rva);
        self.files.sort_by_key(|f| f.0);
        self.files.dedup_by_key(|f| f.0);
        self.origins.sort_by_key(|f| f.0);
        self.origins.dedup_by_key(|f| f.0);
    }
}

/// Applies `REG: expr REG: expr …` to the rule list (a later rule for a register replaces it).
fn apply_rules(rules: &mut Vec<(String, String)>, s: &str) {
    let mut reg: Option<&str> = None;
    let mut expr: Vec<&str> = Vec::new();
    let flush = |reg: Option<&str>, expr: &mut Vec<&str>, rules: &mut Vec<(String, String)>| {
        if let Some(r) = reg {
            let e = expr.join(" ");
            match rules.iter_mut().find(|(k, _)| k == r) {
                Some(slot) => slot.1 = e,
                None => rules.push((r.to_string(), e)),
            }
        }
        expr.clear();
    };
    for tok in s.split_ascii_whitespace() {
        if let Some(r) = tok.strip_suffix(':') {
            flush(reg, &mut expr, rules);
            reg = Some(r);
        } else {
            expr.push(tok);
        }
    }
    flush(reg, &mut expr, rules);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two functions with private symbols, their decorated publics, a string literal and a global
    /// (data publics), and a function known only by its public symbol (no procedure record).
    fn table() -> Table {
        let mut t = Table::default();
        let func = |t: &mut Table, rva, size, name: &str| {
            let name = t.strings.push(name.as_bytes());
            t.funcs.push(Func {
                rva,
                size,
                name,
                ..Func::default()
            });
        };
        func(&mut t, 0x1000, 0x70, "app::Widget::draw");
        func(&mut t, 0x1070, 0x50, "app::Pipeline::stage");
        let public = |t: &mut Table, rva, name: &str, flags| {
            let name = t.strings.push(name.as_bytes());
            t.publics.push(Public {
                rva,
                params: 0,
                name,
                flags,
            });
        };
        public(&mut t, 0x1000, "?draw@Widget@app@@QEAAHHMPEBD@Z", 0);
        public(&mut t, 0x1070, "?stage@Pipeline@app@@QEAAHH@Z", 0);
        public(&mut t, 0x1200, "asm_helper", 0);
        public(
            &mut t,
            0x2049,
            "??_C@_0BH@PLLNKLHB@drawing?5the?5widget?5now?$AA@",
            PUBLIC_DATA,
        );
        public(&mut t, 0x3000, "?g_table@app@@3PAHA", PUBLIC_DATA);
        t.finish();
        t
    }

    #[test]
    fn functions_get_short_names_and_the_publics_signature() {
        let t = table();
        let s = t.lookup(0x1064).unwrap();
        assert_eq!(s.function, "app::Widget::draw");
        assert_eq!(
            s.signature.as_deref(),
            Some("public: int __cdecl app::Widget::draw(int, float, char const *)")
        );
        assert_eq!((s.offset, s.public), (0x64, false));
        assert_eq!(t.in_code(0x1064), Some(true));
        // A code public past every function's end names the code after it.
        let s = t.lookup(0x1210).unwrap();
        assert_eq!(
            (s.function.as_str(), s.offset, s.public),
            ("asm_helper", 0x10, true)
        );
        assert_eq!(t.in_code(0x1210), Some(true));
    }

    #[test]
    fn data_and_addresses_past_a_function_are_not_named_after_a_public() {
        let t = table();
        // Padding after stage's end: stage's own public lies inside stage.
        assert_eq!(t.lookup(0x10c8), None);
        assert_eq!(t.in_code(0x10c8), Some(false));
        // A string literal and a global: the nearest public is data.
        for addr in [0x2049, 0x2060, 0x3014, 0x3100, 0x12345] {
            assert_eq!(t.lookup(addr), None, "{addr:#x}");
            assert_eq!(t.in_code(addr), Some(false), "{addr:#x}");
        }
        // Nothing known at all.
        assert_eq!(Table::default().in_code(0x1000), None);
    }
}
