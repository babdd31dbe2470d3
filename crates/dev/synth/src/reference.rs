//! The reference incident (IIS 6 / ABCUpload4 on a destroyed heap) and the
//! "different crash, same process" companion (ContosoImage NULL write).

use crate::error::Result;
use crate::modules::symbolize;
use crate::process::{self, Built, Fault, Params, COMMAND_LINE_PIPE, PEB};
use crate::x86::{Rec, RecKind};

/// Incident time: 2006-03-14 10:23:41 UTC.
pub const INCIDENT_TIME: u32 = 1_142_331_821;
/// Index (in the thread list) of the faulting thread of the reference case.
pub const REFERENCE_THREAD_INDEX: usize = 4;
/// Index of the faulting thread of the ContosoImage case.
pub const CONTOSO_THREAD_INDEX: usize = 7;

/// Builder for the reference case. `Default` = the incident's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceCase {
    /// Process id of w3wp.exe (non-zero multiple of 4).
    pub pid: u32,
    /// Thread id of the faulting thread (thread list index 4).
    pub thread_id: u32,
    /// Load base of ABCUpload4.dll (64 KiB aligned; preferred base 0x10000000).
    pub abc_base: u32,
    /// The destroyed heap handle (ebx at the fault; 64 KiB aligned). The
    /// MEM_FREE hole is `heap - 0xe000 .. heap + 0x10000`.
    pub heap: u32,
    /// Number of access violations on the faulting thread's stack (1..=32):
    /// 1 = only the first fault, N = first fault + N-1 nested faults inside
    /// ABCUpload4's SEH handler. The exception stream describes the deepest.
    pub depth: u32,
    /// Dump time (Unix seconds).
    pub time: u32,
    /// Copy the full 0x50-byte EXCEPTION_RECORD onto the stack instead of the
    /// 0x1c bytes (header + 2 parameters) the real 2003 kernel copies.
    pub full_exception_record: bool,
    /// CompanyName of ABCUpload4.dll's version resource instead of "ABC Components Ltd."
    /// (e.g. mojibake, as the damaged resources of old DLLs carry).
    pub abc_company: Option<String>,
    /// LegalCopyright of ABCUpload4.dll instead of "Copyright (C) 2001 ABC Components Ltd.".
    pub abc_copyright: Option<String>,
    /// ProductName of ABCUpload4.dll instead of "ABCUpload".
    pub abc_product: Option<String>,
    /// Bytes committed in one more process heap, at `layout::GROWN_HEAP`: a component's private heap
    /// that leaks (`None`: no such heap). Its reservation is the commit plus 1 MiB, rounded to
    /// 64 KiB; at most 0x4700_0000 bytes fit below the next image.
    pub grown_heap: Option<u64>,
}

impl Default for ReferenceCase {
    fn default() -> Self {
        ReferenceCase {
            pid: 3412,
            thread_id: 0x1b34,
            abc_base: 0x1000_0000,
            heap: 0x0390_0000,
            depth: 3,
            time: INCIDENT_TIME,
            full_exception_record: false,
            abc_company: None,
            abc_copyright: None,
            abc_product: None,
            grown_heap: None,
        }
    }
}

impl ReferenceCase {
    /// The reference crash, but ABCUpload4.dll's CompanyName is mojibake (random code points,
    /// a combining mark) while its LegalCopyright still names the vendor: the case of issue 11.
    pub fn garbled_company() -> ReferenceCase {
        ReferenceCase {
            abc_company: Some("\u{186}\u{186}\u{760f}\u{224}\u{ff}\u{4bf7}\u{304}".into()),
            abc_copyright: Some(
                "Copyright (C) 2001 ABC Components Ltd. All rights reserved.".into(),
            ),
            ..ReferenceCase::default()
        }
    }
}

/// The companion crash: ContosoImage.dll writes to 0x00000014 (called from
/// asp.dll) on thread index 7 of the same kind of w3wp.exe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NullWriteCase {
    pub pid: u32,
    pub thread_id: u32,
    pub time: u32,
}

impl Default for NullWriteCase {
    fn default() -> Self {
        NullWriteCase {
            pid: 2716,
            thread_id: 0x0f4c,
            time: INCIDENT_TIME + 3 * 86400 + 5 * 3600 + 17 * 60 + 4,
        }
    }
}

/// A generated dump plus its ground truth.
#[derive(Clone, Debug)]
pub struct Generated {
    pub dump: Vec<u8>,
    pub truth: Truth,
}

/// How a frame was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameKind {
    /// Frame 0: from the thread's CONTEXT (for the faulting thread, also the
    /// exception stream's CONTEXT).
    Context,
    /// Reached through a saved return address.
    Call,
    /// `ntdll!KiUserExceptionDispatcher`: the next frame is *not* found via
    /// EBP; it comes from the CONTEXT record at `context` (also `[esp+4]` of
    /// the dispatcher frame and the 2nd argument of RtlDispatchException).
    ExceptionDispatch { context: u32, exception_record: u32 },
    /// The faulting frame of an earlier (outer) exception, restored from the
    /// CONTEXT record at `context`.
    Trap { context: u32 },
}

/// One expected frame, top-down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TruthFrame {
    /// Instruction pointer (frame 0 / trap frames) or return address.
    pub ip: u32,
    /// The frame's own EBP (WinDbg's ChildEBP) or None for frameless code
    /// (system-call stubs, KiUserExceptionDispatcher).
    pub ebp: Option<u32>,
    /// Module name without extension ("ntdll", "ABCUpload4", "w3wp").
    pub module: String,
    /// Export-based symbol, e.g. "ntdll!RtlAllocateHeap+0x24".
    pub symbol: String,
    pub kind: FrameKind,
}

/// Expected stack of one thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadTruth {
    pub index: usize,
    pub id: u32,
    pub teb: u32,
    pub stack_base: u32,
    pub stack_limit: u32,
    pub esp: u32,
    pub ebp: u32,
    pub eip: u32,
    pub frames: Vec<TruthFrame>,
}

/// Ground truth of a generated dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truth {
    /// "abcupload-dead-heap" or "contoso-null-write".
    pub scenario: String,
    pub pid: u32,
    pub thread_id: u32,
    pub thread_index: usize,
    pub exception_code: u32,
    pub exception_address: u32,
    pub exception_params: Vec<u32>,
    /// Faults on the faulting thread's stack (1 for the Contoso case).
    pub depth: u32,
    pub dead_heap: Option<u32>,
    /// (base, size) of the MEM_FREE region containing the dead heap.
    pub free_region: Option<(u32, u32)>,
    /// Module containing the exception address.
    pub faulting_module: String,
    /// The third-party module to blame.
    pub culprit_module: String,
    /// (EXCEPTION_RECORD, CONTEXT) addresses on the faulting stack, outermost first.
    pub exception_records: Vec<(u32, u32)>,
    pub peb: u32,
    pub command_line: String,
    /// (file name, base, size) in module-list order.
    pub modules: Vec<(String, u32, u32)>,
    /// Faulting thread frames, top-down.
    pub frames: Vec<TruthFrame>,
    /// All threads (thread-list order).
    pub threads: Vec<ThreadTruth>,
}

impl ReferenceCase {
    fn params(&self) -> Params {
        Params {
            pid: self.pid,
            fault_tid: self.thread_id,
            fault_index: REFERENCE_THREAD_INDEX,
            abc_base: self.abc_base,
            heap: self.heap,
            time: self.time,
            fault: Fault::AbcNested {
                heap: self.heap,
                depth: self.depth,
                full_exception_record: self.full_exception_record,
            },
            seed: self.pid as u64 ^ ((self.time as u64) << 20),
            abc_company: self.abc_company.clone(),
            abc_copyright: self.abc_copyright.clone(),
            abc_product: self.abc_product.clone(),
            grown_heap: self.grown_heap,
        }
    }

    /// Builds dump and truth.
    pub fn generate(&self) -> Result<Generated> {
        let built = process::build(&self.params())?;
        let truth = truth_of(&built, &self.params(), "abcupload-dead-heap", "ABCUpload4");
        Ok(Generated {
            dump: process::to_bytes(&built)?,
            truth,
        })
    }

    /// The minidump bytes.
    pub fn build(&self) -> Result<Vec<u8>> {
        Ok(self.generate()?.dump)
    }

    /// The expected analysis results.
    pub fn truth(&self) -> Result<Truth> {
        Ok(self.generate()?.truth)
    }
}

impl NullWriteCase {
    fn params(&self) -> Params {
        Params {
            pid: self.pid,
            fault_tid: self.thread_id,
            fault_index: CONTOSO_THREAD_INDEX,
            abc_base: 0x1000_0000,
            heap: 0x0390_0000,
            time: self.time,
            fault: Fault::ContosoNull,
            seed: self.pid as u64 ^ ((self.time as u64) << 20),
            abc_company: None,
            abc_copyright: None,
            abc_product: None,
            grown_heap: None,
        }
    }

    /// Builds dump and truth.
    pub fn generate(&self) -> Result<Generated> {
        let built = process::build(&self.params())?;
        let truth = truth_of(&built, &self.params(), "contoso-null-write", "ContosoImage");
        Ok(Generated {
            dump: process::to_bytes(&built)?,
            truth,
        })
    }
}

/// One member of the reference set.
#[derive(Clone, Debug)]
pub struct SetEntry {
    /// File stem, e.g. "w3wp-abcupload-1".
    pub name: String,
    pub dump: Vec<u8>,
    pub truth: Truth,
}

/// The five reference-case variants (same bug; different PID, thread id,
/// ABCUpload4 base, dead heap and depth).
pub fn reference_variants() -> Vec<ReferenceCase> {
    let t = INCIDENT_TIME;
    let v = [
        (3412, 0x1b34, 0x1000_0000, 0x0390_0000, 2, t),
        (
            5620,
            0x0a18,
            0x01d8_0000,
            0x03a1_0000,
            3,
            t + 2 * 86400 + 5 * 3600 + 1234,
        ),
        (
            2288,
            0x13f0,
            0x02bc_0000,
            0x038c_0000,
            4,
            t + 4 * 86400 + 611,
        ),
        (
            4016,
            0x09c4,
            0x04c1_0000,
            0x03b2_0000,
            2,
            t + 6 * 86400 + 11 * 3600 + 59,
        ),
        (
            1744,
            0x16e8,
            0x0547_0000,
            0x0396_0000,
            5,
            t + 9 * 86400 + 2 * 3600 + 4321,
        ),
    ];
    v.iter()
        .map(|&(pid, tid, base, heap, depth, time)| ReferenceCase {
            pid,
            thread_id: tid,
            abc_base: base,
            heap,
            depth,
            time,
            full_exception_record: false,
            abc_company: None,
            abc_copyright: None,
            abc_product: None,
            grown_heap: None,
        })
        .collect()
}

/// Five dumps of the reference bug plus one different crash; deterministic.
pub fn reference_set() -> Result<Vec<SetEntry>> {
    let mut out = Vec::new();
    for (i, rc) in reference_variants().iter().enumerate() {
        let g = rc.generate()?;
        out.push(SetEntry {
            name: format!("w3wp-abcupload-{}", i + 1),
            dump: g.dump,
            truth: g.truth,
        });
    }
    let g = NullWriteCase::default().generate()?;
    out.push(SetEntry {
        name: "w3wp-contoso-nullwrite".into(),
        dump: g.dump,
        truth: g.truth,
    });
    Ok(out)
}

fn frames(built: &Built, recs: &[Rec]) -> Vec<TruthFrame> {
    recs.iter()
        .rev()
        .map(|r| {
            let (module, symbol) = symbolize(&built.images, r.ip as u64);
            TruthFrame {
                ip: r.ip,
                ebp: r.ebp,
                module,
                symbol,
                kind: match r.kind {
                    RecKind::Context => FrameKind::Context,
                    RecKind::Call => FrameKind::Call,
                    RecKind::Dispatch { context, record } => FrameKind::ExceptionDispatch {
                        context,
                        exception_record: record,
                    },
                    RecKind::Trap { context } => FrameKind::Trap { context },
                },
            }
        })
        .collect()
}

fn truth_of(built: &Built, p: &Params, scenario: &str, culprit: &str) -> Truth {
    let threads: Vec<ThreadTruth> = built
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| ThreadTruth {
            index: i,
            id: t.id,
            teb: t.teb,
            stack_base: t.stack_base,
            stack_limit: t.stack_limit,
            esp: t.regs.esp,
            ebp: t.regs.ebp,
            eip: t.regs.eip,
            frames: frames(built, &t.recs),
        })
        .collect();
    let fault = built.threads.get(p.fault_index);
    let (code, addr, params) = match &built.model.exception {
        Some(e) => (
            e.code,
            e.address as u32,
            e.params.iter().map(|x| *x as u32).collect(),
        ),
        None => (0, 0, Vec::new()),
    };
    let (faulting_module, _) = symbolize(&built.images, addr as u64);
    let (depth, dead_heap, free_region) = match p.fault {
        Fault::AbcNested { heap, depth, .. } => (
            depth,
            Some(heap),
            built.free_region.map(|(b, s)| (b as u32, s as u32)),
        ),
        Fault::ContosoNull => (1, None, None),
    };
    Truth {
        scenario: scenario.into(),
        pid: p.pid,
        thread_id: p.fault_tid,
        thread_index: p.fault_index,
        exception_code: code,
        exception_address: addr,
        exception_params: params,
        depth,
        dead_heap,
        free_region,
        faulting_module,
        culprit_module: culprit.into(),
        exception_records: built.stack_records.clone(),
        peb: PEB,
        command_line: format!(
            "c:\\windows\\system32\\inetsrv\\w3wp.exe -a {COMMAND_LINE_PIPE} -ap \"DefaultAppPool\""
        ),
        modules: built
            .images
            .iter()
            .map(|m| (m.file.clone(), m.base as u32, m.size))
            .collect(),
        frames: fault.map(|t| frames(built, &t.recs)).unwrap_or_default(),
        threads,
    }
}

// ----------------------------------------------------------------------- JSON

fn js(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn hex(v: u32) -> String {
    format!("\"{v:#010x}\"")
}

fn frame_json(f: &TruthFrame, indent: &str) -> String {
    let (kind, extra) = match &f.kind {
        FrameKind::Context => ("context", String::new()),
        FrameKind::Call => ("call", String::new()),
        FrameKind::ExceptionDispatch {
            context,
            exception_record,
        } => (
            "exception-dispatch",
            format!(
                ", \"context\": {}, \"exception_record\": {}",
                hex(*context),
                hex(*exception_record)
            ),
        ),
        FrameKind::Trap { context } => ("trap", format!(", \"context\": {}", hex(*context))),
    };
    format!(
        "{indent}{{\"ip\": {}, \"ebp\": {}, \"module\": {}, \"symbol\": {}, \"kind\": \"{kind}\"{extra}}}",
        hex(f.ip),
        f.ebp.map(hex).unwrap_or_else(|| "null".into()),
        js(&f.module),
        js(&f.symbol)
    )
}

fn frames_json(frames: &[TruthFrame], indent: &str) -> String {
    let inner = format!("{indent}  ");
    let items: Vec<String> = frames.iter().map(|f| frame_json(f, &inner)).collect();
    format!("[\n{}\n{indent}]", items.join(",\n"))
}

impl Truth {
    /// Pretty JSON (addresses as "0x........" strings).
    pub fn to_json(&self) -> String {
        let mut o = String::from("{\n");
        let mut kv = |k: &str, v: String| {
            o.push_str(&format!("  {}: {},\n", js(k), v));
        };
        kv("scenario", js(&self.scenario));
        kv("pid", self.pid.to_string());
        kv("thread_id", hex(self.thread_id));
        kv("thread_index", self.thread_index.to_string());
        kv("exception_code", hex(self.exception_code));
        kv("exception_address", hex(self.exception_address));
        kv(
            "exception_params",
            format!(
                "[{}]",
                self.exception_params
                    .iter()
                    .map(|p| hex(*p))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        kv("depth", self.depth.to_string());
        kv(
            "dead_heap",
            self.dead_heap.map(hex).unwrap_or_else(|| "null".into()),
        );
        kv(
            "free_region",
            self.free_region
                .map(|(b, s)| format!("{{\"base\": {}, \"size\": {}}}", hex(b), hex(s)))
                .unwrap_or_else(|| "null".into()),
        );
        kv("faulting_module", js(&self.faulting_module));
        kv("culprit_module", js(&self.culprit_module));
        kv(
            "exception_records",
            format!(
                "[{}]",
                self.exception_records
                    .iter()
                    .map(|(r, c)| format!(
                        "{{\"exception_record\": {}, \"context\": {}}}",
                        hex(*r),
                        hex(*c)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        kv("peb", hex(self.peb));
        kv("command_line", js(&self.command_line));
        kv(
            "modules",
            format!(
                "[\n{}\n  ]",
                self.modules
                    .iter()
                    .map(|(n, b, s)| format!(
                        "    {{\"name\": {}, \"base\": {}, \"size\": {}}}",
                        js(n),
                        hex(*b),
                        hex(*s)
                    ))
                    .collect::<Vec<_>>()
                    .join(",\n")
            ),
        );
        kv("frames", frames_json(&self.frames, "  "));
        let threads: Vec<String> = self
            .threads
            .iter()
            .map(|t| {
                format!(
                    "    {{\"index\": {}, \"id\": {}, \"teb\": {}, \"stack_base\": {}, \"stack_limit\": {}, \"esp\": {}, \"ebp\": {}, \"eip\": {},\n     \"frames\": {}}}",
                    t.index,
                    hex(t.id),
                    hex(t.teb),
                    hex(t.stack_base),
                    hex(t.stack_limit),
                    hex(t.esp),
                    hex(t.ebp),
                    hex(t.eip),
                    frames_json(&t.frames, "     ")
                )
            })
            .collect();
        o.push_str(&format!(
            "  \"threads\": [\n{}\n  ]\n}}\n",
            threads.join(",\n")
        ));
        o
    }

    /// The faulting thread's frames in WinDbg's `k` columns (`ChildEBP RetAddr`, frame numbers
    /// in hex), after one `#` line naming the case. Exception dispatch as WinDbg prints it on
    /// x86: the `KiUserExceptionDispatcher` line, which has no frame of its own, repeats the
    /// ChildEBP of the frame above it and its RetAddr is the saved CONTEXT's eip; the next line
    /// starts from that CONTEXT's ebp. The dispatcher line ends with `(CONTEXT @ …)`, as `kv`
    /// prints it.
    pub fn to_text(&self) -> String {
        let mut o = format!(
            "# {} pid={} tid={:#x} code={:#010x} addr={:#010x} depth={}\n # ChildEBP RetAddr  \n",
            self.scenario,
            self.pid,
            self.thread_id,
            self.exception_code,
            self.exception_address,
            self.depth
        );
        let mut above: Option<u32> = None;
        for (i, f) in self.frames.iter().enumerate() {
            let (child, note) = match &f.kind {
                FrameKind::ExceptionDispatch { context, .. } => {
                    (above, format!(" (CONTEXT @ {context:08x})"))
                }
                _ => (f.ebp, String::new()),
            };
            let ret = self.frames.get(i + 1).map_or(0, |n| n.ip);
            o.push_str(&format!(
                "{i:02x} {} {ret:08x} {}{note}\n",
                child
                    .map(|e| format!("{e:08x}"))
                    .unwrap_or_else(|| "--------".into()),
                f.symbol
            ));
            above = child;
        }
        o
    }
}
