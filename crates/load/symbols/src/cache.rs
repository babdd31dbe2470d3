//! On-disk cache of parsed symbols: a second analysis with the same symbols reads this instead of
//! parsing the PDB or `.sym` again.
//!
//! Format (all little-endian u32 words after the magic):
//! ```text
//! "CORSYM03"                       8 bytes magic + format version
//! header: kind, match, 6 × (off, len) strings: os, arch, debug_id, debug_file, code_id, source path
//! counts: files, origins, funcs, lines, inlines, publics, wins, cfi_inits, cfi_deltas, blob bytes
//! records, each section back to back, fixed width, sorted as in memory:
//!   files/origins (id, off, len) · funcs (rva, size, params, off, len, line0, line1, inl0, inl1)
//!   lines (rva, size, line, file) · inlines (rva, size, depth, call_line, call_file, origin)
//!   publics (rva, params, off, len, flags) · wins (ty, rva, code, prolog, epilog, params, saved,
//!   locals, max_stack, flags, off, len) · cfi_inits (rva, size, off, len, d0, d1)
//!   cfi_deltas (rva, off, len)
//! string blob (UTF-8)
//! ```
//! The file is memory-mapped and checked to be exactly the size the counts announce before any
//! allocation, so a corrupt cache costs a re-parse, never a crash or a huge allocation. Writes
//! go to a temporary file in the cache directory, then a rename.

use crate::table::*;
use crate::{Match, Source};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"CORSYM03";
const HEADER_WORDS: usize = 2 + 12;
const COUNTS: usize = 10;

trait Rec: Sized {
    const W: usize;
    fn enc(&self, o: &mut Vec<u32>);
    fn dec(w: &[u32]) -> Self;
}

fn s(w: &[u32], i: usize) -> Str {
    Str {
        off: w[i],
        len: w[i + 1],
    }
}

impl Rec for (u32, Str) {
    const W: usize = 3;
    fn enc(&self, o: &mut Vec<u32>) {
        o.extend([self.0, self.1.off, self.1.len]);
    }
    fn dec(w: &[u32]) -> Self {
        (w[0], s(w, 1))
    }
}

impl Rec for Func {
    const W: usize = 9;
    fn enc(&self, o: &mut Vec<u32>) {
        o.extend([
            self.rva,
            self.size,
            self.params,
            self.name.off,
            self.name.len,
            self.lines.0,
            self.lines.1,
            self.inlines.0,
            self.inlines.1,
        ]);
    }
    fn dec(w: &[u32]) -> Self {
        Func {
            rva: w[0],
            size: w[1],
            params: w[2],
            name: s(w, 3),
            lines: (w[5], w[6]),
            inlines: (w[7], w[8]),
        }
    }
}

impl Rec for Line {
    const W: usize = 4;
    fn enc(&self, o: &mut Vec<u32>) {
        o.extend([self.rva, self.size, self.line, self.file]);
    }
    fn dec(w: &[u32]) -> Self {
        Line {
            rva: w[0],
            size: w[1],
            line: w[2],
            file: w[3],
        }
    }
}

impl Rec for Inline {
    const W: usize = 6;
    fn enc(&self, o: &mut Vec<u32>) {
        o.extend([
            self.rva,
            self.size,
            self.depth,
            self.call_line,
            self.call_file,
            self.origin,
        ]);
    }
    fn dec(w: &[u32]) -> Self {
        Inline {
            rva: w[0],
            size: w[1],
            depth: w[2],
            call_line: w[3],
            call_file: w[4],
            origin: w[5],
        }
    }
}

impl Rec for Public {
    const W: usize = 5;
    fn enc(&self, o: &mut Vec<u32>) {
        o.extend([
            self.rva,
            self.params,
            self.name.off,
            self.name.len,
            self.flags,
        ]);
    }
    fn dec(w: &[u32]) -> Self {
        Public {
            rva: w[0],
            params: w[1],
            name: s(w, 2),
            flags: w[4],
        }
    }
}

impl Rec for Win {
    const W: usize = 12;
    fn enc(&self, o: &mut Vec<u32>) {
        o.extend([
            self.ty,
            self.rva,
            self.code_size,
            self.prolog,
            self.epilog,
            self.params,
            self.saved_regs,
            self.locals,
            self.max_stack,
            self.flags,
            self.program.off,
            self.program.len,
        ]);
    }
    fn dec(w: &[u32]) -> Self {
        Win {
            ty: w[0],
            rva: w[1],
            code_size: w[2],
            prolog: w[3],
            epilog: w[4],
            params: w[5],
            saved_regs: w[6],
            locals: w[7],
            max_stack: w[8],
            flags: w[9],
            program: s(w, 10),
        }
    }
}

impl Rec for CfiInit {
    const W: usize = 6;
    fn enc(&self, o: &mut Vec<u32>) {
        o.extend([
            self.rva,
            self.size,
            self.rules.off,
            self.rules.len,
            self.deltas.0,
            self.deltas.1,
        ]);
    }
    fn dec(w: &[u32]) -> Self {
        CfiInit {
            rva: w[0],
            size: w[1],
            rules: s(w, 2),
            deltas: (w[4], w[5]),
        }
    }
}

impl Rec for CfiDelta {
    const W: usize = 3;
    fn enc(&self, o: &mut Vec<u32>) {
        o.extend([self.rva, self.rules.off, self.rules.len]);
    }
    fn dec(w: &[u32]) -> Self {
        CfiDelta {
            rva: w[0],
            rules: s(w, 1),
        }
    }
}

fn kind_code(k: Source) -> u32 {
    match k {
        Source::BreakpadSym => 1,
        Source::Pdb { private: false } => 2,
        Source::Pdb { private: true } => 3,
    }
}

fn match_code(m: Match) -> u32 {
    match m {
        Match::DebugId => 1,
        Match::CodeId => 2,
        Match::Unverified => 3,
    }
}

/// What a cache file holds.
pub(crate) struct Cached {
    pub table: Table,
    pub source: Source,
    pub matched: Match,
    pub file: PathBuf,
}

fn words<T: Rec>(v: &[T], o: &mut Vec<u32>) {
    for r in v {
        r.enc(o);
    }
}

/// Serialises a table (plus where it came from).
pub(crate) fn encode(t: &Table, source: Source, matched: Match, file: &Path) -> Vec<u8> {
    // Header strings go into a copy of the blob's tail so offsets stay valid.
    let mut strings = t.strings.clone();
    let h = &t.header;
    let hs = [
        strings.push(h.os.as_bytes()),
        strings.push(h.arch.as_bytes()),
        strings.push(h.debug_id.as_bytes()),
        strings.push(h.debug_file.as_bytes()),
        strings.push(h.code_id.as_bytes()),
        strings.push(file.to_string_lossy().as_bytes()),
    ];
    let mut w: Vec<u32> = vec![kind_code(source), match_code(matched)];
    for s in hs {
        w.extend([s.off, s.len]);
    }
    w.extend([
        t.files.len() as u32,
        t.origins.len() as u32,
        t.funcs.len() as u32,
        t.lines.len() as u32,
        t.inlines.len() as u32,
        t.publics.len() as u32,
        t.wins.len() as u32,
        t.cfi_inits.len() as u32,
        t.cfi_deltas.len() as u32,
        strings.blob.len() as u32,
    ]);
    words(&t.files, &mut w);
    words(&t.origins, &mut w);
    words(&t.funcs, &mut w);
    words(&t.lines, &mut w);
    words(&t.inlines, &mut w);
    words(&t.publics, &mut w);
    words(&t.wins, &mut w);
    words(&t.cfi_inits, &mut w);
    words(&t.cfi_deltas, &mut w);
    let mut out = Vec::with_capacity(8 + w.len() * 4 + strings.blob.len());
    out.extend_from_slice(MAGIC);
    for x in w {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&strings.blob);
    out
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn word(&mut self) -> Option<u32> {
        let b = self.data.get(self.pos..self.pos + 4)?;
        self.pos += 4;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    }

    fn recs<T: Rec>(&mut self, n: u32) -> Option<Vec<T>> {
        let mut out = Vec::with_capacity(n as usize);
        let mut buf = [0u32; 12];
        for _ in 0..n {
            for slot in buf.iter_mut().take(T::W) {
                *slot = self.word()?;
            }
            out.push(T::dec(&buf[..T::W]));
        }
        Some(out)
    }
}

/// Parses a cache file's bytes; `None` when it is not a valid cache file of this version.
pub(crate) fn decode(data: &[u8]) -> Option<Cached> {
    if data.get(..8)? != MAGIC {
        return None;
    }
    let mut r = Reader { data, pos: 8 };
    let mut head = [0u32; HEADER_WORDS];
    for h in head.iter_mut() {
        *h = r.word()?;
    }
    let mut counts = [0u32; COUNTS];
    for c in counts.iter_mut() {
        *c = r.word()?;
    }
    // Record widths in section order, from the records' own encodings.
    let widths = [
        <(u32, Str)>::W,
        <(u32, Str)>::W,
        Func::W,
        Line::W,
        Inline::W,
        Public::W,
        Win::W,
        CfiInit::W,
        CfiDelta::W,
    ]
    .map(|w| w as u64);
    let mut expect = (8 + 4 * (HEADER_WORDS + COUNTS)) as u64;
    for (c, w) in counts.iter().zip(widths) {
        expect += u64::from(*c) * w * 4;
    }
    expect += u64::from(counts[9]);
    if expect != data.len() as u64 {
        return None;
    }
    let mut t = Table {
        files: r.recs(counts[0])?,
        origins: r.recs(counts[1])?,
        funcs: r.recs(counts[2])?,
        lines: r.recs(counts[3])?,
        inlines: r.recs(counts[4])?,
        publics: r.recs(counts[5])?,
        wins: r.recs(counts[6])?,
        cfi_inits: r.recs(counts[7])?,
        cfi_deltas: r.recs(counts[8])?,
        ..Table::default()
    };
    t.strings.blob = data.get(r.pos..)?.to_vec();
    let hs = |i: usize| t.strings.get(s(&head, 2 + 2 * i)).to_string();
    t.header = Header {
        os: hs(0),
        arch: hs(1),
        debug_id: hs(2),
        debug_file: hs(3),
        code_id: hs(4),
    };
    let file = PathBuf::from(hs(5));
    let source = match head[0] {
        1 => Source::BreakpadSym,
        2 => Source::Pdb { private: false },
        3 => Source::Pdb { private: true },
        _ => return None,
    };
    let matched = match head[1] {
        1 => Match::DebugId,
        2 => Match::CodeId,
        _ => Match::Unverified,
    };
    Some(Cached {
        table: t,
        source,
        matched,
        file,
    })
}

/// Reads a cache file (memory-mapped).
pub(crate) fn load(path: &Path) -> Option<Cached> {
    let f = std::fs::File::open(path).ok()?;
    // SAFETY: the map is read-only and private to this call; a file truncated meanwhile by
    // another process could fault, which is the usual caveat of memory maps. Cache files are
    // written through rename and never modified in place.
    let map = unsafe { memmap2::Mmap::map(&f) }.ok()?;
    decode(&map)
}

/// Writes a cache file atomically (temporary file + rename). Errors are returned for the
/// caller to report as warnings; a failed cache write never fails a lookup.
pub(crate) fn store(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// FNV-1a, for cache keys of files matched by name only (stable across Rust versions).
pub(crate) fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A file-name-safe version of a module name.
pub(crate) fn safe_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every section survives the round trip, so a record whose width changes without the
    /// decoder's size check following is caught here, not by a corpus test that may be skipped.
    #[test]
    fn every_section_round_trips() {
        let sym = b"MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 app.pdb\n\
FILE 0 c:\\src\\app.cpp\n\
INLINE_ORIGIN 0 inlined()\n\
FUNC 1000 20 4 Widget::draw(int)\n\
1000 10 12 0\n\
1010 10 13 0\n\
INLINE 0 12 0 0 1004 8\n\
PUBLIC 2000 8 exported_fn\n\
STACK WIN 4 1000 20 4 0 8 0 4 0 1 $T0 $ebp = $eip $T0 4 + ^ =\n\
STACK CFI INIT 1000 20 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n\
STACK CFI 1004 .cfa: $rsp 16 +\n";
        let (table, warnings) = crate::breakpad::parse(sym);
        assert_eq!(warnings.count, 0, "{:?}", warnings.first);
        let bytes = encode(
            &table,
            Source::BreakpadSym,
            Match::DebugId,
            Path::new("app.sym"),
        );
        let back = decode(&bytes).expect("decodes").table;
        for rva in [0x1000, 0x1004, 0x1015, 0x2004, 0x3000] {
            assert_eq!(back.lookup(rva), table.lookup(rva), "lookup {rva:#x}");
            assert_eq!(
                back.stack_win(rva),
                table.stack_win(rva),
                "stack win {rva:#x}"
            );
            assert_eq!(back.stack_cfi(rva), table.stack_cfi(rva), "cfi {rva:#x}");
        }
        assert!(back.lookup(0x2004).is_some_and(|s| s.public));
        assert!(back.lookup(0x1004).is_some_and(|s| !s.inlines.is_empty()));
        // A file one byte short is refused, not misread.
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
    }
}
