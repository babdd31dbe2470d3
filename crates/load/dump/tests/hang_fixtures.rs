//! The hang fixtures (`fixtures/lab/hang`, made by `bash lab/capture.sh --hang`) agree with the
//! ground truth their programs wrote (`hang-expected.json`): no exception stream, the process and
//! every live thread of the truth are in the dump, and every critical section the truth names is
//! in captured memory with the owner, recursion count, lock count and DebugInfo the program saw.
//! A fixture captured too early, from the wrong process or without the lock pages fails here.

use coroner_dump::DumpFile;
use std::collections::BTreeMap;
use std::path::PathBuf;

// ---- a minimal JSON reader (the crate has no JSON dependency)
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(BTreeMap<String, J>),
}

impl J {
    fn get(&self, k: &str) -> &J {
        match self {
            J::Obj(m) => m.get(k).unwrap_or(&J::Null),
            _ => &J::Null,
        }
    }
    fn arr(&self) -> &[J] {
        match self {
            J::Arr(v) => v,
            _ => &[],
        }
    }
    fn str(&self) -> &str {
        match self {
            J::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
    fn u64(&self) -> u64 {
        match self {
            J::Num(n) => *n as u64,
            J::Str(s) => u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap(),
            other => panic!("not a number: {other:?}"),
        }
    }
    fn i64(&self) -> i64 {
        match self {
            J::Num(n) => *n as i64,
            other => panic!("not a number: {other:?}"),
        }
    }
    fn bool(&self) -> bool {
        matches!(self, J::Bool(true))
    }
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(self.s[self.i] as char, c as char, "JSON at byte {}", self.i);
        self.i += 1;
    }
    fn string(&mut self) -> String {
        self.eat(b'"');
        let mut out = String::new();
        loop {
            let c = self.s[self.i];
            self.i += 1;
            match c {
                b'"' => return out,
                b'\\' => {
                    let e = self.s[self.i];
                    self.i += 1;
                    match e {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'u' => {
                            let h = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
                            out.push(
                                char::from_u32(u32::from_str_radix(h, 16).unwrap()).unwrap_or('?'),
                            );
                            self.i += 4;
                        }
                        other => out.push(other as char),
                    }
                }
                _ => {
                    // UTF-8 continuation bytes are copied through
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.s.len() && (self.s[end] & 0xc0) == 0x80 {
                        end += 1;
                    }
                    out.push_str(std::str::from_utf8(&self.s[start..end]).unwrap());
                    self.i = end;
                }
            }
        }
    }
    fn value(&mut self) -> J {
        self.ws();
        match self.s[self.i] {
            b'{' => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.s[self.i] == b'}' {
                    self.i += 1;
                    return J::Obj(m);
                }
                loop {
                    let k = self.string();
                    self.eat(b':');
                    m.insert(k, self.value());
                    self.ws();
                    self.i += 1;
                    if self.s[self.i - 1] == b'}' {
                        return J::Obj(m);
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s[self.i] == b']' {
                    self.i += 1;
                    return J::Arr(v);
                }
                loop {
                    v.push(self.value());
                    self.ws();
                    self.i += 1;
                    if self.s[self.i - 1] == b']' {
                        return J::Arr(v);
                    }
                }
            }
            b'"' => J::Str(self.string()),
            b't' => {
                self.i += 4;
                J::Bool(true)
            }
            b'f' => {
                self.i += 5;
                J::Bool(false)
            }
            b'n' => {
                self.i += 4;
                J::Null
            }
            _ => {
                let st = self.i;
                while self.i < self.s.len() && b"+-0123456789.eE".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                J::Num(
                    std::str::from_utf8(&self.s[st..self.i])
                        .unwrap()
                        .parse()
                        .unwrap(),
                )
            }
        }
    }
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab/hang")
}

#[test]
fn hang_fixtures_match_their_programs_truth() {
    let text = std::fs::read_to_string(dir().join("hang-expected.json")).unwrap();
    let truth = P {
        s: text.as_bytes(),
        i: 0,
    }
    .value();
    let dumps = truth.get("dumps").arr();
    assert!(dumps.len() >= 5, "at least the five x64 scenarios");

    // every dump in the folder has its truth, and the other way round
    let mut on_disk: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".dmp"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = dumps
        .iter()
        .map(|d| d.get("file").str().to_string())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed);

    let mut scenarios = std::collections::BTreeSet::new();
    for d in dumps {
        let file = d.get("file").str();
        scenarios.insert(d.get("scenario").str().to_string());
        let f = DumpFile::open(dir().join(file)).unwrap();
        let snap = f.snapshot().unwrap();
        let ptr = d.get("pointer_size").u64();
        assert!(
            snap.exception.is_none(),
            "{file}: a hang dump has no exception stream"
        );
        assert_eq!(
            snap.dump_flags,
            d.get("header_flags").u64(),
            "{file}: MINIDUMP_TYPE"
        );
        assert_eq!(
            snap.process.pid,
            Some(d.get("pid").u64() as u32),
            "{file}: pid"
        );
        for s in [
            "MemoryInfoListStream",
            "ThreadInfoListStream",
            "HandleDataStream",
        ] {
            assert!(
                snap.streams
                    .iter()
                    .any(|n| n.contains(s.trim_end_matches("Stream"))),
                "{file}: no {s} in {:?}",
                snap.streams
            );
        }
        let tids: Vec<u32> = snap.threads.iter().map(|t| t.id).collect();
        let threads = d.get("threads").arr();
        for t in threads {
            let tid = t.get("tid").u64() as u32;
            if t.get("exited").bool() {
                assert!(
                    !tids.contains(&tid),
                    "{file}: exited thread {tid} still listed"
                );
            } else {
                assert!(
                    tids.contains(&tid),
                    "{file}: thread {tid} ({}) not in {tids:?}",
                    t.get("role").str()
                );
            }
        }
        assert_eq!(
            tids.len(),
            threads.iter().filter(|t| !t.get("exited").bool()).count(),
            "{file}: the dump has exactly the program's live threads"
        );
        for l in d.get("locks").arr() {
            let name = l.get("name").str();
            match l.get("kind").str() {
                "critical_section" => {
                    let a = l.get("address").u64();
                    let size = l.get("size").u64();
                    assert_eq!(size, if ptr == 8 { 40 } else { 24 });
                    let mem = snap.memory.read(a, size as usize);
                    let mem =
                        mem.unwrap_or_else(|| panic!("{file}: {name} at {a:#x} not captured"));
                    let p = |o: usize| -> u64 {
                        if ptr == 8 {
                            u64::from_le_bytes(mem[o..o + 8].try_into().unwrap())
                        } else {
                            u32::from_le_bytes(mem[o..o + 4].try_into().unwrap()) as u64
                        }
                    };
                    let i32_at =
                        |o: usize| i32::from_le_bytes(mem[o..o + 4].try_into().unwrap()) as i64;
                    // RTL_CRITICAL_SECTION: DebugInfo, LockCount, RecursionCount, OwningThread, ...
                    let (lc, rc, ow) = if ptr == 8 { (8, 12, 16) } else { (4, 8, 12) };
                    assert_eq!(p(0), l.get("debug_info").u64(), "{file}: {name} DebugInfo");
                    assert_eq!(
                        i32_at(lc),
                        l.get("lock_count_raw").i64(),
                        "{file}: {name} LockCount"
                    );
                    assert_eq!(
                        i32_at(rc),
                        l.get("recursion_count").i64(),
                        "{file}: {name} RecursionCount"
                    );
                    assert_eq!(
                        p(ow),
                        l.get("owner_tid").u64(),
                        "{file}: {name} OwningThread"
                    );
                    let owner = l.get("owner_tid").u64() as u32;
                    assert_eq!(
                        tids.contains(&owner),
                        !l.get("owner_exited").bool(),
                        "{file}: {name} owner"
                    );
                    // the DebugInfo page was captured too
                    assert!(
                        snap.memory.contains(p(0)),
                        "{file}: {name} DebugInfo not captured"
                    );
                    for w in l.get("waiter_tids").arr() {
                        assert!(
                            tids.contains(&(w.u64() as u32)),
                            "{file}: {name} waiter {w:?}"
                        );
                    }
                }
                kind @ ("event" | "mutex") => {
                    let h = l.get("handle").u64();
                    let hd = snap
                        .handles
                        .iter()
                        .find(|x| x.handle == h)
                        .unwrap_or_else(|| panic!("{file}: handle {h:#x} not in HandleData"));
                    let want = if kind == "event" { "Event" } else { "Mutant" };
                    assert_eq!(hd.type_name.as_deref(), Some(want), "{file}: handle {h:#x}");
                    let short = l.get("name").str().rsplit('\\').next().unwrap();
                    assert!(
                        hd.object_name.as_deref().unwrap_or("").ends_with(short),
                        "{file}: handle {h:#x} named {:?}",
                        hd.object_name
                    );
                    for w in l.get("waiter_tids").arr() {
                        assert!(tids.contains(&(w.u64() as u32)));
                    }
                }
                other => panic!("{file}: unknown lock kind {other}"),
            }
        }
    }
    for s in [
        "deadlock",
        "blocked",
        "waits",
        "orphaned",
        "spin",
        "loaderlock",
    ] {
        assert!(scenarios.contains(s), "scenario {s} missing");
    }
}
