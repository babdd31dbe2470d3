//! Breakpad `.sym` text files, parsed permissively and byte-wise: a line that does not parse is
//! skipped and counted as a warning (as rust-minidump's breakpad-symbols does), never fatal.
//!
//! Records: MODULE, INFO CODE_ID, FILE, INLINE_ORIGIN, FUNC [m], line records, INLINE, PUBLIC [m],
//! STACK WIN, STACK CFI INIT, STACK CFI. Both INLINE layouts are read: the current one
//! (`INLINE depth call_line call_file origin (addr size)+`, `INLINE_ORIGIN id name`) and the
//! first one (`INLINE depth call_line origin (addr size)+`, `INLINE_ORIGIN id file name`),
//! told apart by the parity of the INLINE field count.

use crate::table::*;
use crate::Warnings;

/// Everything needed to judge a file before parsing all of it: the MODULE line.
pub(crate) fn read_module_line(data: &[u8]) -> Option<Header> {
    let end = memchr::memchr(b'\n', data).unwrap_or(data.len()).min(4096);
    let line = trim_cr(data.get(..end)?);
    let rest = line.strip_prefix(b"MODULE ")?;
    let mut it = rest.splitn(4, |&b| b == b' ');
    let os = it.next()?;
    let arch = it.next()?;
    let id = it.next()?;
    let name = it.next().unwrap_or(b"");
    Some(Header {
        os: lossy(os),
        arch: lossy(arch),
        debug_id: lossy(id).to_ascii_uppercase(),
        debug_file: lossy(name),
        code_id: String::new(),
    })
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// Hex digits to a number, byte by byte (the `.sym` hot path: no UTF-8 check, no `str` parse).
fn hex(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    let mut v = 0u64;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u64::from(d);
    }
    Some(v)
}

fn hex32(b: &[u8]) -> Option<u32> {
    hex(b).and_then(|v| u32::try_from(v).ok())
}

fn dec(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    let mut v = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    u32::try_from(v).ok()
}

/// Splits off the first space-separated field.
fn field(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let s = trim_start(s);
    if s.is_empty() {
        return None;
    }
    match memchr::memchr2(b' ', b'\t', s) {
        Some(i) => Some((&s[..i], &s[i + 1..])),
        None => Some((s, &[])),
    }
}

fn trim_start(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    s
}

fn fields<const N: usize>(mut s: &[u8]) -> Option<([&[u8]; N], &[u8])> {
    let mut out: [&[u8]; N] = [&[]; N];
    for slot in out.iter_mut() {
        let (f, rest) = field(s)?;
        *slot = f;
        s = rest;
    }
    Some((out, s))
}

struct Parser {
    t: Table,
    w: Warnings,
    /// Index in `t.funcs` of the FUNC that line/INLINE records belong to.
    cur_func: Option<usize>,
    cur_cfi: Option<usize>,
    old_inline_format: bool,
    /// Reused per INLINE record: the record's fields.
    scratch: Vec<u64>,
}

/// Parses a whole `.sym` file.
pub(crate) fn parse(data: &[u8]) -> (Table, Warnings) {
    let mut p = Parser {
        t: Table::default(),
        w: Warnings::default(),
        cur_func: None,
        cur_cfi: None,
        scratch: Vec::new(),
        old_inline_format: false,
    };
    if let Some(h) = read_module_line(data) {
        p.t.header = h;
    } else {
        p.w.add("no MODULE record on the first line".into());
    }
    let mut pos = 0usize;
    let mut lineno = 0usize;
    while pos < data.len() {
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        lineno += 1;
        let line = trim_cr(&data[pos..end]);
        pos = end + 1;
        if line.is_empty() || lineno == 1 && line.starts_with(b"MODULE ") {
            continue;
        }
        if !p.line(line) {
            let shown = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
            p.w.add(format!("line {lineno}: cannot parse `{shown}`"));
        }
    }
    p.close_func();
    p.close_cfi();
    if p.old_inline_format {
        // First INLINE layout: INLINE_ORIGIN carried a file id before the name.
        for o in &mut p.t.origins {
            let s = p.t.strings.get(o.1).as_bytes();
            if let Some((first, rest)) = field(s) {
                if dec(first).is_some() {
                    let skip = (s.len() - rest.len()) as u32;
                    o.1 = Str {
                        off: o.1.off + skip,
                        len: o.1.len - skip,
                    };
                }
            }
        }
    }
    p.t.finish();
    (p.t, p.w)
}

impl Parser {
    fn close_func(&mut self) {
        if let Some(f) = self.cur_func.take().and_then(|i| self.t.funcs.get_mut(i)) {
            f.lines.1 = self.t.lines.len() as u32;
            f.inlines.1 = self.t.inlines.len() as u32;
        }
    }

    fn close_cfi(&mut self) {
        if let Some(c) = self
            .cur_cfi
            .take()
            .and_then(|i| self.t.cfi_inits.get_mut(i))
        {
            c.deltas.1 = self.t.cfi_deltas.len() as u32;
        }
    }

    /// Returns false when the line is malformed.
    fn line(&mut self, line: &[u8]) -> bool {
        let Some((kw, rest)) = field(line) else {
            return true;
        };
        match kw {
            b"FUNC" => {
                self.close_func();
                self.close_cfi();
                self.func(rest).is_some()
            }
            b"PUBLIC" => {
                self.close_func();
                self.public(rest).is_some()
            }
            b"FILE" => self.named(rest, false).is_some(),
            b"INLINE_ORIGIN" => self.named(rest, true).is_some(),
            b"INLINE" => self.inline(rest).is_some(),
            b"INFO" => {
                if let Some((b"CODE_ID", r)) = field(rest) {
                    if let Some((id, _)) = field(r) {
                        self.t.header.code_id = lossy(id).to_ascii_uppercase();
                    }
                }
                true
            }
            b"MODULE" => true,
            b"STACK" => {
                self.close_func();
                match field(rest) {
                    Some((b"WIN", r)) => {
                        self.close_cfi();
                        self.stack_win(r).is_some()
                    }
                    Some((b"CFI", r)) => self.cfi(r).is_some(),
                    _ => false,
                }
            }
            _ if kw.iter().all(u8::is_ascii_hexdigit) => self.line_record(line).is_some(),
            _ => false,
        }
    }

    fn func(&mut self, rest: &[u8]) -> Option<()> {
        let rest = match field(rest)? {
            (b"m", r) => r,
            _ => rest,
        };
        let ([a, s, p], name) = fields::<3>(rest)?;
        let rva = hex32(a)?;
        let size = hex32(s)?;
        let params = hex32(p)?;
        let name = self.t.strings.push(trim_start(name));
        let n = self.t.lines.len() as u32;
        let i = self.t.inlines.len() as u32;
        self.t.funcs.push(Func {
            rva,
            size,
            params,
            name,
            lines: (n, n),
            inlines: (i, i),
        });
        self.cur_func = Some(self.t.funcs.len() - 1);
        Some(())
    }

    fn public(&mut self, rest: &[u8]) -> Option<()> {
        let rest = match field(rest)? {
            (b"m", r) => r,
            _ => rest,
        };
        let ([a, p], name) = fields::<2>(rest)?;
        let rva = hex32(a)?;
        let params = hex32(p)?;
        let name = self.t.strings.push(trim_start(name));
        self.t.publics.push(Public {
            rva,
            params,
            name,
            flags: 0,
        });
        Some(())
    }

    fn named(&mut self, rest: &[u8], origin: bool) -> Option<()> {
        let (id, name) = field(rest)?;
        let id = dec(id)?;
        let name = self.t.strings.push(trim_start(name));
        if origin {
            self.t.origins.push((id, name));
        } else {
            self.t.files.push((id, name));
        }
        Some(())
    }

    fn line_record(&mut self, line: &[u8]) -> Option<()> {
        self.cur_func?;
        let ([a, s, l, f], _) = fields::<4>(line)?;
        let rec = Line {
            rva: hex32(a)?,
            size: hex32(s)?,
            line: dec(l)?,
            file: dec(f)?,
        };
        self.t.lines.push(rec);
        Some(())
    }

    fn inline(&mut self, rest: &[u8]) -> Option<()> {
        self.cur_func?;
        // One pass over the fields: the leading ones are decimal (depth, call line, [call
        // file,] origin), the rest hex address/size pairs. Old and new formats differ by one
        // leading field, told apart by the parity of the count.
        let mut nums = std::mem::take(&mut self.scratch);
        nums.clear();
        let mut decs = [0u32; 4];
        let mut s = rest;
        let mut n = 0usize;
        while let Some((f, r)) = field(s) {
            if n < 4 {
                decs[n] = dec(f).unwrap_or(u32::MAX);
            }
            if n >= 256 {
                self.scratch = nums;
                return None;
            }
            nums.push(hex(f).unwrap_or(u64::MAX));
            n += 1;
            s = r;
        }
        let lead = if n % 2 == 1 { 3 } else { 4 };
        let ok = n >= lead + 2 && decs[..lead].iter().all(|d| *d != u32::MAX);
        if ok {
            let (depth, call_line, call_file, origin) = if lead == 3 {
                self.old_inline_format = true;
                (decs[0], decs[1], 0, decs[2])
            } else {
                (decs[0], decs[1], decs[2], decs[3])
            };
            for pair in nums[lead..n].chunks_exact(2) {
                let (Ok(rva), Ok(size)) = (u32::try_from(pair[0]), u32::try_from(pair[1])) else {
                    self.scratch = nums;
                    return None;
                };
                self.t.inlines.push(Inline {
                    rva,
                    size,
                    depth,
                    call_line,
                    call_file,
                    origin,
                });
            }
        }
        self.scratch = nums;
        ok.then_some(())
    }

    fn stack_win(&mut self, rest: &[u8]) -> Option<()> {
        let (f, tail) = fields::<10>(rest)?;
        let ty = hex32(f[0])?;
        let has_program = f[9] != b"0";
        let tail = trim_start(tail);
        let mut flags = 0;
        let program = if has_program {
            flags |= WIN_HAS_PROGRAM;
            self.t.strings.push(tail)
        } else {
            if matches!(field(tail), Some((b"1", _))) {
                flags |= WIN_ALLOCATES_BP;
            }
            Str::default()
        };
        self.t.wins.push(Win {
            ty,
            rva: hex32(f[1])?,
            code_size: hex32(f[2])?,
            prolog: hex32(f[3])?,
            epilog: hex32(f[4])?,
            params: hex32(f[5])?,
            saved_regs: hex32(f[6])?,
            locals: hex32(f[7])?,
            max_stack: hex32(f[8])?,
            flags,
            program,
        });
        Some(())
    }

    fn cfi(&mut self, rest: &[u8]) -> Option<()> {
        if let Some((b"INIT", r)) = field(rest) {
            self.close_cfi();
            let ([a, s], rules) = fields::<2>(r)?;
            let rva = hex32(a)?;
            let size = hex32(s)?;
            let rules = self.t.strings.push(trim_start(rules));
            let d = self.t.cfi_deltas.len() as u32;
            self.t.cfi_inits.push(CfiInit {
                rva,
                size,
                rules,
                deltas: (d, d),
            });
            self.cur_cfi = Some(self.t.cfi_inits.len() - 1);
            return Some(());
        }
        self.cur_cfi?;
        let (a, rules) = field(rest)?;
        let rva = hex32(a)?;
        let rules = self.t.strings.push(trim_start(rules));
        self.t.cfi_deltas.push(CfiDelta { rva, rules });
        Some(())
    }
}
