//! Builds the whole synthetic w3wp.exe process (x86, Server 2003 SP1): images
//! in memory, code bytes, address space, PEB/TEBs, heaps and thread stacks.

use crate::bytes::{filetime, put, put_u16, put_u32, utf16, utf16z, Rng};
use crate::dump::{DumpException, DumpModel, DumpThread, MemorySource, SysInfo};
use crate::error::{Result, SynthError};
use crate::mem::Memory;
use crate::modules::*;
use crate::pe::Image;
use crate::space::*;
use crate::x86::*;

pub const PEB: u32 = 0x7ffd_f000;
pub const TEB0: u32 = 0x7ffd_e000;
pub const SHARED_USER_DATA: u32 = 0x7ffe_0000;
pub const ENVIRONMENT: u32 = 0x0001_0000;
pub const PROCESS_PARAMETERS: u32 = 0x0002_0000;
pub const MAIN_STACK: u32 = 0x0003_0000;
pub const THREAD_STACKS: u32 = 0x00b0_0000;
pub const STACK_RESERVE: u32 = 0x40000;
pub const THREAD_COUNT: usize = 10;
/// ntdll .data: the static ProcessHeaps array (PEB.ProcessHeaps points here).
pub const PROCESS_HEAPS_RVA: u32 = 0x897a0;
/// ABCUpload4 .data: global heap handle used by the component.
pub const ABC_HEAP_GLOBAL_RVA: u32 = 0x48a34;

pub const COMMAND_LINE_PIPE: &str = "\\\\.\\pipe\\iisipm7e8a9e2e-4c1b-4c69-8b7f-38b9a7a5d9b1";

pub const EXCEPTION_ACCESS_VIOLATION: u32 = 0xc000_0005;
pub const EXCEPTION_NESTED_CALL: u32 = 0x10;

/// Base of the optional grown heap (`ReferenceCase::grown_heap`): the free span between
/// ABCUpload4.dll and the first system image.
pub const GROWN_HEAP: u32 = 0x1200_0000;
/// Most bytes the grown heap may commit.
pub const GROWN_HEAP_MAX: u64 = 0x4700_0000;

/// Fixed heaps (ProcessHeaps order). The live neighbour of the dead heap is appended.
pub const HEAPS: [u32; 10] = [
    0x0007_0000,
    0x0017_0000,
    0x0018_0000,
    0x0025_0000,
    0x0026_0000,
    0x0029_0000,
    0x002d_0000,
    0x00d4_0000,
    0x00e4_0000,
    0x0101_0000,
];

/// Which crash the faulting thread shows.
#[derive(Clone, Debug)]
pub(crate) enum Fault {
    /// ABCUpload4 allocating from a destroyed heap, re-faulting inside its own
    /// SEH handler `depth - 1` times.
    AbcNested {
        heap: u32,
        depth: u32,
        full_exception_record: bool,
    },
    /// ContosoImage.dll writes through a NULL pointer (address 0x14).
    ContosoNull,
}

#[derive(Clone, Debug)]
pub(crate) struct Params {
    pub pid: u32,
    pub fault_tid: u32,
    pub fault_index: usize,
    pub abc_base: u32,
    pub heap: u32,
    pub time: u32,
    pub fault: Fault,
    pub seed: u64,
    /// Overrides of ABCUpload4.dll's CompanyName and LegalCopyright.
    pub abc_company: Option<String>,
    pub abc_copyright: Option<String>,
    pub abc_product: Option<String>,
    /// Committed bytes of an extra process heap at [`GROWN_HEAP`].
    pub grown_heap: Option<u64>,
}

#[derive(Clone, Debug)]
pub(crate) struct ThreadOut {
    pub id: u32,
    pub teb: u32,
    pub stack_base: u32,
    pub stack_limit: u32,
    pub regs: Regs,
    pub recs: Vec<Rec>,
    pub start_address: u32,
    pub create_time: u64,
    pub user_time: u64,
    pub kernel_time: u64,
}

pub(crate) struct Built {
    pub model: DumpModel,
    pub mem: Memory,
    pub threads: Vec<ThreadOut>,
    pub images: Vec<Image>,
    /// Exception records on the stack, outermost fault first: (record, context).
    pub stack_records: Vec<(u32, u32)>,
    pub free_region: Option<(u64, u64)>,
}

struct Ctx {
    images: Vec<Image>,
    mem: Memory,
    iat: Vec<Vec<u32>>,
    spans: Vec<(u64, u64, String)>,
}

impl Ctx {
    fn base(&self, m: usize) -> u32 {
        self.images.get(m).map(|i| i.base as u32).unwrap_or(0)
    }
    fn exp(&self, m: usize, name: &str) -> u32 {
        self.images
            .get(m)
            .and_then(|i| {
                i.exports
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, r)| i.base as u32 + r)
            })
            .unwrap_or(0)
    }
    /// Import address table slot in module `m` resolving to `target`.
    fn slot(&mut self, m: usize, target: u32) -> u32 {
        let base = self.base(m);
        let iat_rva = self.images.get(m).map(|i| i.iat_rva).unwrap_or(0);
        if let Some(list) = self.iat.get_mut(m) {
            let idx = match list.iter().position(|t| *t == target) {
                Some(i) => i,
                None => {
                    list.push(target);
                    list.len() - 1
                }
            };
            return base + iat_rva + 4 * idx as u32;
        }
        0
    }
    /// Places code at an absolute address (whole pages end up in the dump).
    fn code(&mut self, addr: u32, bytes: &[u8], what: &str) -> Result<()> {
        let (s, e) = (addr as u64, addr as u64 + bytes.len() as u64);
        if let Some((_, _, other)) = self.spans.iter().find(|(a, b, _)| s < *b && *a < e) {
            return Err(SynthError::Layout(format!(
                "code for {what} overlaps code for {other}"
            )));
        }
        self.spans.push((s, e, what.to_string()));
        self.mem.write_paged(addr as u64, bytes);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Code sites (return offsets). Function start address + offset = return address.

pub struct Sites {
    pub rah_fault: u32,
    pub kiued_ret: u32,
    pub rde_ret: u32,
    pub eh_ret: u32,
    pub eh2_ret: u32,
    pub nested_handler: u32,
    pub ntwait_ret: u32,
    pub ntremove_ret: u32,
    pub kfscr: u32,
    pub bts_ret: u32,
    pub bps_ret: u32,
    pub wfso_ret: u32,
    pub wfsoex_ret: u32,
    pub gqcs_ret: u32,
    pub except_handler3: u32,
    pub w3wp_wmain_ret: u32,
    pub w3wp_crt_ret: u32,
    pub w3wp_tp_gqcs_ret: u32,
    pub w3wp_tp_dispatch_ret: u32,
    pub w3wp_dispatch_ret: u32,
    pub w3wp_tp: u32,
    pub w3wp_entry: u32,
    pub w3isapi_ret: u32,
    pub asp_dispcall_ret: u32,
    pub asp_contoso_ret: u32,
    pub asp_idle_ret: u32,
    pub asp_idle_fn: u32,
    pub dcf_ret: u32,
    pub abc_method_ret: u32,
    pub abc_alloc_ret: u32,
    pub abc_handler: u32,
    pub abc_handler_ret: u32,
    pub contoso_method_ret: u32,
    pub contoso_fault: u32,
}

fn place_code(c: &mut Ctx) -> Result<Sites> {
    let nt = c.base(NTDLL);
    let k32 = c.base(KERNEL32);

    // --- ntdll system call stubs: mov eax,N / mov edx,7ffe0300 / call [edx] / ret n
    for (name, num, argb) in [
        ("NtClose", 0x1bu32, 4u8),
        ("NtContinue", 0x20, 8),
        ("NtRemoveIoCompletion", 0xbf, 0x14),
        ("NtRaiseException", 0xc5, 0x0c),
        ("NtWaitForMultipleObjects", 0x10e, 0x14),
        ("NtWaitForSingleObject", 0x10f, 0x0c),
    ] {
        let a = c.exp(NTDLL, name);
        let mut v = vec![0xb8];
        v.extend_from_slice(&num.to_le_bytes());
        v.extend_from_slice(&[
            0xba, 0x00, 0x03, 0xfe, 0x7f, 0xff, 0x12, 0xc2, argb, 0x00, 0x90,
        ]);
        c.code(a, &v, name)?;
    }
    let kfsc = c.exp(NTDLL, "KiFastSystemCall");
    c.code(
        kfsc,
        &[
            0x8b, 0xd4, 0x0f, 0x34, // mov edx,esp / sysenter
            0xc3, // KiFastSystemCallRet: ret
            0x8d, 0xa4, 0x24, 0x00, 0x00, 0x00, 0x00, 0x8d, 0x64, 0x24, 0x00,
            // KiIntSystemCall: lea edx,[esp+8] / int 2Eh / ret
            0x8d, 0x54, 0x24, 0x08, 0xcd, 0x2e, 0xc3,
        ],
        "KiFastSystemCall",
    )?;

    // --- RtlAllocateHeap: fault at +0x24 `or eax,dword ptr [ebx+10h]`
    let rah = c.exp(NTDLL, "RtlAllocateHeap");
    let mut v = vec![
        0x8b, 0xff, 0x55, 0x8b, 0xec, 0x83, 0xec, 0x0c, 0x53, 0x56, 0x57, 0x8b, 0x5d, 0x08, 0x8b,
        0x75, 0x0c, 0x8b, 0x7d, 0x10, 0x85, 0xdb, 0x74, 0x5a, 0x89, 0x7d, 0xf8, 0x89, 0x5d, 0xf4,
        0x8b, 0xc6, 0x83, 0x65, 0xfc, 0x00, 0x0b, 0x43, 0x10, 0x8b, 0xf0, 0xf7, 0xc6, 0x00, 0x00,
        0x00, 0x7d, 0x75, 0x41,
    ];
    v.extend(filler(0x72 - v.len(), 3));
    v.extend_from_slice(&[0x33, 0xc0, 0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x0c, 0x00]);
    c.code(rah, &v, "RtlAllocateHeap")?;

    // --- exception dispatch
    let kiued = c.exp(NTDLL, "KiUserExceptionDispatcher");
    let rde = c.exp(NTDLL, "RtlDispatchException");
    let eh = c.exp(NTDLL, "ExecuteHandler");
    let eh2 = c.exp(NTDLL, "ExecuteHandler2");
    let ntcont = c.exp(NTDLL, "NtContinue");
    let ntraise = c.exp(NTDLL, "NtRaiseException");
    let rtlraise = c.exp(NTDLL, "RtlRaiseException");
    let mut v = vec![0x8b, 0x4c, 0x24, 0x04, 0x8b, 0x1c, 0x24, 0x51, 0x53];
    v.extend(call_rel(kiued + 9, rde));
    v.extend_from_slice(&[0x0a, 0xc0, 0x74, 0x0c, 0x5b, 0x59, 0x6a, 0x00, 0x51]);
    v.extend(call_rel(kiued + 0x17, ntcont));
    v.extend_from_slice(&[0xeb, 0x0b, 0x5b, 0x59, 0x6a, 0x00, 0x51, 0x53]);
    v.extend(call_rel(kiued + 0x24, ntraise));
    v.extend_from_slice(&[
        0x83, 0xc4, 0xec, 0x89, 0x04, 0x24, 0xc7, 0x44, 0x24, 0x04, 0x01, 0x00, 0x00, 0x00, 0x89,
        0x5c, 0x24, 0x08, 0xc7, 0x44, 0x24, 0x10, 0x00, 0x00, 0x00, 0x00, 0x54,
    ]);
    v.extend(call_rel(kiued + 0x44, rtlraise));
    v.extend_from_slice(&[0xc2, 0x08, 0x00]);
    c.code(kiued, &v, "KiUserExceptionDispatcher")?;

    let rtlp = nt + 0x3ca00;
    let nested_handler = eh2 + 0x3a;
    let unwind_handler = eh2 + 0x61;
    let mut prolog = PROLOG_HP.to_vec();
    prolog.extend_from_slice(&[0x83, 0xec, 0x64, 0x53, 0x56, 0x57]);
    let v = function(
        &prolog,
        &[(0x91, call_rel(rde + 0x91 - 5, rtlp))],
        &[0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x08, 0x00],
    );
    c.code(rde, &v, "RtlDispatchException")?;

    let mut v = vec![0xba];
    v.extend_from_slice(&nested_handler.to_le_bytes());
    v.extend_from_slice(&[0xeb, 0x09, 0xba]);
    v.extend_from_slice(&unwind_handler.to_le_bytes());
    v.extend_from_slice(&[0x8d, 0x64, 0x24, 0x00]);
    c.code(rtlp, &v, "RtlpExecuteHandlerForException")?;

    let mut v = vec![
        0x8b, 0xff, 0x55, 0x8b, 0xec, 0x53, 0x56, 0x57, 0x33, 0xc0, 0x33, 0xdb, 0x33, 0xf6, 0x33,
        0xff, 0xff, 0x75, 0x18, 0xff, 0x75, 0x14, 0xff, 0x75, 0x10, 0xff, 0x75, 0x0c, 0xff, 0x75,
        0x08,
    ];
    v.extend(call_rel(eh + 0x1f, eh2));
    v.extend_from_slice(&[
        0x5f, 0x5e, 0x5b, 0x5d, 0xc2, 0x14, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90,
    ]);
    c.code(eh, &v, "ExecuteHandler")?;

    let v = vec![
        0x55, 0x8b, 0xec, 0xff, 0x75, 0x0c, 0x52, 0x64, 0xff, 0x35, 0x00, 0x00, 0x00, 0x00, 0x64,
        0x89, 0x25, 0x00, 0x00, 0x00, 0x00, 0xff, 0x75, 0x14, 0xff, 0x75, 0x10, 0xff, 0x75, 0x0c,
        0xff, 0x75, 0x08, 0x8b, 0x4d, 0x18, 0xff, 0xd1, // +0x26
        0x64, 0x8b, 0x25, 0x00, 0x00, 0x00, 0x00, 0x64, 0x8f, 0x05, 0x00, 0x00, 0x00, 0x00, 0x8b,
        0xe5, 0x5d, 0xc2, 0x14, 0x00, // +0x3a: nested-exception handler
        0x8b, 0x4c, 0x24, 0x04, 0xf7, 0x41, 0x04, 0x06, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00,
        0x00, 0x75, 0x12, 0x8b, 0x4c, 0x24, 0x08, 0x8b, 0x54, 0x24, 0x10, 0x8b, 0x41, 0x08, 0x89,
        0x02, 0xb8, 0x02, 0x00, 0x00, 0x00, 0xc2, 0x10, 0x00, // +0x61: unwind handler
        0xb8, 0x01, 0x00, 0x00, 0x00, 0xc2, 0x10, 0x00,
    ];
    c.code(eh2, &v, "ExecuteHandler2")?;

    // --- kernel32
    let seh_prolog = k32 + 0x0272c;
    let except_handler3 = k32 + 0x24f58;
    let bts = c.exp(KERNEL32, "BaseThreadStart");
    let exit_thread = c.exp(KERNEL32, "ExitThread");
    let mut p = vec![0x6a, 0x10, 0x68];
    p.extend_from_slice(&(k32 + 0x26040).to_le_bytes());
    p.extend(call_rel(bts + 7, seh_prolog));
    p.extend_from_slice(&[0x83, 0x65, 0xfc, 0x00]);
    let mut t = vec![0x50];
    t.extend(call_rel(bts + 0x35, exit_thread));
    let v = function(
        &p,
        &[
            (0x31, vec![0xff, 0x75, 0x0c]),
            (0x34, vec![0xff, 0x55, 0x08]),
        ],
        &t,
    );
    // `function` appends 7 filler bytes before the tail; rebuild tail address.
    let v = fix_tail_call(v, bts, 0x34, exit_thread);
    c.code(bts, &v, "BaseThreadStart")?;

    let bps = c.exp(KERNEL32, "BaseProcessStart");
    let mut p = vec![0x6a, 0x0c, 0x68];
    p.extend_from_slice(&(k32 + 0x12d48).to_le_bytes());
    p.extend(call_rel(bps + 7, seh_prolog));
    p.extend_from_slice(&[0x83, 0x65, 0xfc, 0x00]);
    let v = function(
        &p,
        &[(0x23, vec![0xff, 0x55, 0x08])],
        &[0x50, 0x90, 0x90, 0x90, 0x90, 0x90],
    );
    c.code(bps, &v, "BaseProcessStart")?;

    let wfso = c.exp(KERNEL32, "WaitForSingleObject");
    let wfsoex = c.exp(KERNEL32, "WaitForSingleObjectEx");
    let mut v = PROLOG_HP.to_vec();
    v.extend_from_slice(&[0x6a, 0x00, 0xff, 0x75, 0x0c, 0xff, 0x75, 0x08]);
    v.extend(call_rel(wfso + 0x0d, wfsoex));
    v.extend_from_slice(&[0x5d, 0xc2, 0x08, 0x00]);
    c.code(wfso, &v, "WaitForSingleObject")?;

    let ntwait = c.exp(NTDLL, "NtWaitForSingleObject");
    let s = c.slot(KERNEL32, ntwait);
    let mut p = PROLOG_HP.to_vec();
    p.extend_from_slice(&[0x83, 0xec, 0x3c, 0x56, 0x57]);
    let v = function(
        &p,
        &[(0xac, call_ind(s))],
        &[0x5f, 0x5e, 0xc9, 0xc2, 0x0c, 0x00],
    );
    c.code(wfsoex, &v, "WaitForSingleObjectEx")?;

    let gqcs = c.exp(KERNEL32, "GetQueuedCompletionStatus");
    let ntremove = c.exp(NTDLL, "NtRemoveIoCompletion");
    let s = c.slot(KERNEL32, ntremove);
    let mut p = PROLOG_HP.to_vec();
    p.extend_from_slice(&[0x83, 0xec, 0x10, 0x56, 0x57]);
    let v = function(
        &p,
        &[(0x29, call_ind(s))],
        &[0x5f, 0x5e, 0xc9, 0xc2, 0x14, 0x00],
    );
    c.code(gqcs, &v, "GetQueuedCompletionStatus")?;
    // kernel32 also imports the heap functions from ntdll.
    c.slot(KERNEL32, rah);
    let rfh = c.exp(NTDLL, "RtlFreeHeap");
    c.slot(KERNEL32, rfh);

    // --- w3wp.exe
    let w = c.base(W3WP);
    let s_wfso = c.slot(W3WP, wfso);
    let s_gqcs = c.slot(W3WP, gqcs);
    let mut p = PROLOG.to_vec();
    p.extend_from_slice(&[0x81, 0xec, 0x20, 0x02, 0x00, 0x00, 0x53, 0x56, 0x57]);
    let v = function(
        &p,
        &[(0x4d, call_ind(s_wfso))],
        &[0x5f, 0x5e, 0x5b, 0xc9, 0xc3],
    );
    c.code(w + 0x1a20, &v, "w3wp wmain")?;
    let mut p = PROLOG.to_vec();
    p.extend_from_slice(&[0x83, 0xec, 0x10, 0x53, 0x56, 0x57]);
    let v = function(
        &p,
        &[(0x3e, vec![0xff, 0xd0])],
        &[0x5f, 0x5e, 0x5b, 0xc9, 0xc3],
    );
    c.code(w + 0x1b40, &v, "w3wp request dispatch")?;
    let mut p = PROLOG.to_vec();
    p.extend_from_slice(&[0x83, 0xec, 0x1c, 0x53, 0x56, 0x57]);
    let v = function(
        &p,
        &[(0x33, call_ind(s_gqcs)), (0x47, vec![0xff, 0x56, 0x08])],
        &[0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x04, 0x00],
    );
    c.code(w + 0x1b90, &v, "w3wp thread pool")?;
    let mut p = vec![0x6a, 0x70, 0x68];
    p.extend_from_slice(&(w + 0x1090).to_le_bytes());
    let v = function(
        &p,
        &[(0x9b, call_rel(w + 0x1cc0 + 0x9b - 5, w + 0x1a20))],
        &[0x89, 0x45, 0xe4, 0x50],
    );
    c.code(w + 0x1cc0, &v, "w3wp mainCRTStartup")?;

    // --- w3isapi!ProcessIsapiRequest -> asp (function pointer)
    let pir = c.exp(W3ISAPI, "ProcessIsapiRequest");
    let mut p = PROLOG_HP.to_vec();
    p.extend_from_slice(&[0x83, 0xec, 0x2c, 0x53, 0x56, 0x57]);
    let v = function(
        &p,
        &[(0x214, vec![0xff, 0x56, 0x10])],
        &[0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x04, 0x00],
    );
    c.code(pir, &v, "w3isapi!ProcessIsapiRequest")?;

    // --- oleaut32!DispCallFunc -> call ecx
    let dcf = c.exp(OLEAUT32, "DispCallFunc");
    let mut p = PROLOG_HP.to_vec();
    p.extend_from_slice(&[0x83, 0xec, 0x30, 0x53, 0x56, 0x57]);
    let v = function(
        &p,
        &[(0x16a, vec![0xff, 0xd1])],
        &[0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x20, 0x00],
    );
    c.code(dcf, &v, "oleaut32!DispCallFunc")?;

    // --- asp
    let a = c.base(ASP);
    let s_dcf = c.slot(ASP, dcf);
    let s_awfso = c.slot(ASP, wfso);
    let mut p = PROLOG_HP.to_vec();
    p.extend_from_slice(&[0x83, 0xec, 0x5c, 0x53, 0x56, 0x57]);
    let v = function(
        &p,
        &[(0x82, call_ind(s_dcf))],
        &[0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x08, 0x00],
    );
    c.code(a + 0xec80, &v, "asp script call")?;
    let v = function(
        &p,
        &[(0x79, vec![0xff, 0x51, 0x1c])],
        &[0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x0c, 0x00],
    );
    c.code(a + 0xfd60, &v, "asp component call")?;
    let mut p = PROLOG_HP.to_vec();
    p.extend_from_slice(&[0x83, 0xec, 0x14, 0x53, 0x56, 0x57]);
    let v = function(
        &p,
        &[(0x3a, call_ind(s_awfso))],
        &[0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x04, 0x00],
    );
    c.code(a + 0x41230, &v, "asp worker thread")?;

    // --- ABCUpload4
    let dgco = c.exp(ABC, "DllGetClassObject");
    let heap_alloc_slot = c.slot(ABC, rah);
    let hc = c.exp(KERNEL32, "HeapCreate");
    let hd = c.exp(KERNEL32, "HeapDestroy");
    c.slot(ABC, hc);
    c.slot(ABC, hd);
    c.slot(ABC, rfh);
    let g_heap = c.base(ABC) + ABC_HEAP_GLOBAL_RVA;
    let method = dgco + 0x1b300;
    let alloc = dgco + 0x270d0;
    let handler = dgco + 0x27150;
    // method: push ebp/mov ebp,esp/push -1/push offset handler/mov eax,fs:[0]/push eax/mov fs:[0],esp/sub esp,20h/push ebx,esi,edi
    let mut p = vec![0x55, 0x8b, 0xec, 0x6a, 0xff, 0x68];
    p.extend_from_slice(&handler.to_le_bytes());
    p.extend_from_slice(&[
        0x64, 0xa1, 0x00, 0x00, 0x00, 0x00, 0x50, 0x64, 0x89, 0x25, 0x00, 0x00, 0x00, 0x00, 0x83,
        0xec, 0x20, 0x53, 0x56, 0x57,
    ]);
    let mut calls = vec![(0xdd, vec![0x68, 0x00, 0x00, 0x01, 0x00])]; // push 10000h
    calls.push((0xe2, call_rel(method + 0xe2 - 5, alloc)));
    let v = function(&p, &calls, &[0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x0c, 0x00]);
    c.code(method, &v, "ABCUpload4 COM method")?;
    // allocator: push ebp/mov ebp,esp/push [ebp+8]/push 0/push [g_heap]/call [HeapAlloc]
    let mut v = PROLOG.to_vec();
    v.extend_from_slice(&[0x56, 0x8b, 0x75, 0x08]);
    let mut push_heap = vec![0xff, 0x35];
    push_heap.extend_from_slice(&g_heap.to_le_bytes());
    let mut calls = vec![(0x28, vec![0xff, 0x75, 0x08, 0x6a, 0x00])];
    calls.push((0x31, push_heap.clone()));
    calls.push((0x37, call_ind(heap_alloc_slot)));
    let v = function(&v, &calls, &[0x5e, 0x5d, 0xc2, 0x04, 0x00]);
    c.code(alloc, &v, "ABCUpload4 allocator")?;
    // SEH handler: allocates an error object from the same heap.
    let mut p = PROLOG.to_vec();
    p.extend_from_slice(&[0x83, 0xec, 0x08, 0x56, 0x57, 0x8b, 0x75, 0x08]);
    let mut calls = vec![(0x56, vec![0x6a, 0x20, 0x6a, 0x08])];
    calls.push((0x5e, push_heap));
    calls.push((0x64, call_ind(heap_alloc_slot)));
    let v = function(&p, &calls, &[0x5f, 0x5e, 0xc9, 0xc3]);
    c.code(handler, &v, "ABCUpload4 SEH handler")?;

    // --- ContosoImage
    let mut contoso_method_ret = 0;
    let mut contoso_fault = 0;
    if c.images.len() > CONTOSO {
        let cd = c.exp(CONTOSO, "DllGetClassObject");
        let cm = cd + 0x3d20;
        let f = cd + 0x5b28;
        let mut p = PROLOG.to_vec();
        p.extend_from_slice(&[0x83, 0xec, 0x18, 0x53, 0x56, 0x57]);
        let v = function(
            &p,
            &[(0x6e, call_rel(cm + 0x6e - 5, f))],
            &[0x5f, 0x5e, 0x5b, 0xc9, 0xc2, 0x0c, 0x00],
        );
        c.code(cm, &v, "ContosoImage method")?;
        // push ebp/mov ebp,esp/mov eax,[ebp+8]/mov ecx,[ebp+0Ch]/mov [eax+14h],ecx/pop ebp/ret 8
        c.code(
            f,
            &[
                0x55, 0x8b, 0xec, 0x8b, 0x45, 0x08, 0x8b, 0x4d, 0x0c, 0x89, 0x48, 0x14, 0x5d, 0xc2,
                0x08, 0x00,
            ],
            "ContosoImage fault",
        )?;
        contoso_method_ret = cm + 0x6e;
        contoso_fault = f + 9;
    }

    Ok(Sites {
        rah_fault: rah + 0x24,
        kiued_ret: kiued + 0xe,
        rde_ret: rde + 0x91,
        eh_ret: eh + 0x24,
        eh2_ret: eh2 + 0x26,
        nested_handler,
        ntwait_ret: ntwait + 0xc,
        ntremove_ret: ntremove + 0xc,
        kfscr: kfsc + 4,
        bts_ret: bts + 0x34,
        bps_ret: bps + 0x23,
        wfso_ret: wfso + 0x12,
        wfsoex_ret: wfsoex + 0xac,
        gqcs_ret: gqcs + 0x29,
        except_handler3,
        w3wp_wmain_ret: w + 0x1a6d,
        w3wp_crt_ret: w + 0x1d5b,
        w3wp_tp_gqcs_ret: w + 0x1bc3,
        w3wp_tp_dispatch_ret: w + 0x1bd7,
        w3wp_dispatch_ret: w + 0x1b7e,
        w3wp_tp: w + 0x1b90,
        w3wp_entry: w + 0x1cc0,
        w3isapi_ret: pir + 0x214,
        asp_dispcall_ret: a + 0xed02,
        asp_contoso_ret: a + 0xfdd9,
        asp_idle_ret: a + 0x4126a,
        asp_idle_fn: a + 0x41230,
        dcf_ret: dcf + 0x16a,
        abc_method_ret: method + 0xe2,
        abc_alloc_ret: alloc + 0x37,
        abc_handler: handler,
        abc_handler_ret: handler + 0x64,
        contoso_method_ret,
        contoso_fault,
    })
}

/// `function` inserts filler between the last call and the tail; re-encode a
/// rel32 call at the start of the tail so its target is right.
fn fix_tail_call(mut v: Vec<u8>, func: u32, after: usize, target: u32) -> Vec<u8> {
    // tail = [push eax][e8 rel32] located at the end
    let n = v.len();
    if n >= 5 && n > after {
        let at = func + (n - 5) as u32;
        let call = call_rel(at, target);
        v.truncate(n - 5);
        v.extend(call);
    }
    v
}

// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Main,
    Pool,
    AspIdle,
    Fault,
}

fn role(i: usize, fault_index: usize) -> Role {
    if i == fault_index {
        Role::Fault
    } else if i == 0 {
        Role::Main
    } else if matches!(i, 1 | 2 | 5 | 8) {
        Role::Pool
    } else {
        Role::AspIdle
    }
}

fn stack_base(i: usize) -> u32 {
    if i == 0 {
        MAIN_STACK + STACK_RESERVE
    } else {
        THREAD_STACKS + (i as u32) * STACK_RESERVE
    }
}

fn thread_ids(p: &Params) -> Vec<u32> {
    let mut ids = Vec::with_capacity(THREAD_COUNT);
    let mut next = 0x0c80 + (p.pid % 13) * 0x24;
    for i in 0..THREAD_COUNT {
        if i == p.fault_index {
            ids.push(p.fault_tid);
            continue;
        }
        while next == p.fault_tid || ids.contains(&next) {
            next += 4;
        }
        ids.push(next);
        next += 0x9c + 4 * (i as u32 % 3);
    }
    ids
}

/// Builds the process for `p`.
pub(crate) fn build(p: &Params) -> Result<Built> {
    if p.fault_index == 0 || p.fault_index >= THREAD_COUNT {
        return Err(SynthError::InvalidParameter(format!(
            "faulting thread index {} (must be within 1..{THREAD_COUNT}; 0 is the main thread)",
            p.fault_index
        )));
    }
    if p.abc_base < 0x0001_0000 || p.abc_base > 0x7ff0_0000 {
        return Err(SynthError::InvalidParameter(format!(
            "ABCUpload4 base {:#x} is outside the user address space",
            p.abc_base
        )));
    }
    if !p.abc_base.is_multiple_of(0x10000) {
        return Err(SynthError::InvalidParameter(format!(
            "ABCUpload4 base {:#x} is not 64 KiB aligned",
            p.abc_base
        )));
    }
    if !p.heap.is_multiple_of(0x10000) || p.heap < 0x0010_0000 || p.heap >= 0x7f00_0000 {
        return Err(SynthError::InvalidParameter(format!(
            "heap {:#x} must be 64 KiB aligned and within 0x00100000..0x7f000000",
            p.heap
        )));
    }
    if p.fault_tid == 0 || !p.fault_tid.is_multiple_of(4) {
        return Err(SynthError::InvalidParameter(format!(
            "thread id {:#x} must be a non-zero multiple of 4",
            p.fault_tid
        )));
    }
    if p.pid == 0 || !p.pid.is_multiple_of(4) {
        return Err(SynthError::InvalidParameter(format!(
            "process id {} must be a non-zero multiple of 4",
            p.pid
        )));
    }
    if let Fault::AbcNested { depth, .. } = p.fault {
        if !(1..=32).contains(&depth) {
            return Err(SynthError::InvalidParameter(format!(
                "depth {depth} must be within 1..=32"
            )));
        }
    }
    if p.time < 0x3000_0000 {
        return Err(SynthError::InvalidParameter(format!(
            "dump time {} is before 1995",
            p.time
        )));
    }
    let contoso = matches!(p.fault, Fault::ContosoNull);
    let mut images = modules(p.abc_base, contoso);
    for im in images.iter_mut().filter(|i| i.file == "ABCUpload4.dll") {
        if let Some(s) = im.strings.as_mut() {
            if let Some(c) = &p.abc_company {
                s.company = c.clone();
            }
            if let Some(c) = &p.abc_copyright {
                s.copyright = c.clone();
            }
            if let Some(c) = &p.abc_product {
                s.product = c.clone();
            }
        }
    }
    let n_images = images.len();
    let mut c = Ctx {
        images,
        mem: Memory::new(),
        iat: vec![Vec::new(); n_images],
        spans: Vec::new(),
    };
    let sites = place_code(&mut c)?;

    // ------------------------------------------------------------------ space
    let mut sp = Space::new();
    for im in &c.images {
        let mut parts: Vec<Part> = vec![(0x1000, MEM_COMMIT, PAGE_READONLY)];
        for s in &im.sections {
            parts.push((((s.vsize + 0xfff) & !0xfff) as u64, MEM_COMMIT, s.protect()));
        }
        sp.alloc(im.base, PAGE_EXECUTE_WRITECOPY, MEM_IMAGE, &parts);
    }
    sp.private(ENVIRONMENT as u64, 0x1000, 0x1000);
    sp.private(PROCESS_PARAMETERS as u64, 0x1000, 0x1000);
    let heap_sizes: [(u64, u64); 10] = [
        (0x10_0000, 0x2e000),
        (0x1_0000, 0x6000),
        (0x1_0000, 0x3000),
        (0x1_0000, 0x4000),
        (0x1_0000, 0x2000),
        (0x4_0000, 0x8000),
        (0x1_0000, 0x3000),
        (0x10_0000, 0x20000),
        (0x1_0000, 0x5000),
        (0x4_0000, 0x12000),
    ];
    for (h, (total, commit)) in HEAPS.iter().zip(heap_sizes) {
        sp.private(*h as u64, total, commit);
    }
    for (b, size) in [
        (0x0019_0000u64, 0x16000u64),
        (0x001b_0000, 0x3e000),
        (0x001f_0000, 0x41000),
        (0x0024_0000, 0x6000),
        (0x0027_0000, 0x3000),
        (0x7ffb_0000, 0x23000),
    ] {
        sp.alloc(
            b,
            PAGE_READONLY,
            MEM_MAPPED,
            &[(size, MEM_COMMIT, PAGE_READONLY)],
        );
    }
    if let Some(commit) = p.grown_heap {
        let commit = (commit.min(GROWN_HEAP_MAX) + 0xfff) & !0xfff;
        let reserve = (commit + 0x10_0000 + 0xffff) & !0xffff;
        sp.private(GROWN_HEAP as u64, reserve, commit);
    }
    sp.private(0x0028_0000, 0x1_0000, 0x1000);
    sp.private(0x0105_0000, 0x10_0000, 0x38000); // ASP template cache
                                                 // Dead heap neighbourhood: allocation ending where the free hole starts,
                                                 // the hole (MEM_FREE) containing the destroyed heap, then a live heap.
    let h = p.heap as u64;
    sp.private(h - 0x20000, 0x12000, 0x9000);
    let live_neighbour = p.heap + 0x10000;
    sp.private(live_neighbour as u64, 0x4_0000, 0x10000);
    let free_region = Some((h - 0xe000, 0x1e000));
    // PEB / TEBs / shared user data
    sp.private(PEB as u64, 0x1000, 0x1000);
    for i in 0..THREAD_COUNT {
        sp.private((TEB0 - 0x1000 * i as u32) as u64, 0x1000, 0x1000);
    }
    sp.alloc(
        SHARED_USER_DATA as u64,
        PAGE_READONLY,
        MEM_PRIVATE,
        &[
            (0x1000, MEM_COMMIT, PAGE_READONLY),
            (0xf000, MEM_RESERVE, 0),
        ],
    );

    // ---------------------------------------------------------------- threads
    let ids = thread_ids(p);
    let mut threads: Vec<ThreadOut> = Vec::new();
    let mut stack_records = Vec::new();
    let mut exception: Option<DumpException> = None;
    let create = p.time as u64 - 37 * 60 - 12;
    for (i, &tid) in ids.iter().enumerate() {
        let base = stack_base(i);
        let mut s = Sim::new(base, 0x30000);
        let r = role(i, p.fault_index);
        let start_address;
        // Thread start: BaseProcessStartThunk / BaseThreadStartThunk pushes.
        if i == 0 {
            start_address = sites.w3wp_entry;
            s.push(0);
            s.push(start_address);
            s.push(0);
        } else {
            start_address = if r == Role::AspIdle {
                sites.asp_idle_fn
            } else {
                sites.w3wp_tp
            };
            s.push(0x0100_4a60 + 0x10 * i as u32); // lpParameter
            s.push(start_address);
            s.push(0);
        }
        // Base{Process,Thread}Start with _SEH_prolog frame.
        let e = s.enter(0, &[]);
        s.write(e - 4, 0);
        s.write(e - 8, sites.bts_ret & !0xff);
        s.write(e - 0xc, sites.except_handler3);
        s.write(e - 0x10, 0xffff_ffff);
        s.fs0 = e - 0x10;
        s.write(e - 0x18, e - 0x30);
        s.sub(0x20);
        s.push(0x7ffd_f000);
        s.push(0);
        s.push(0);
        let regs: Regs;
        if i == 0 {
            s.call(&[], sites.bps_ret, true);
            // mainCRTStartup
            s.enter(0x70, &[0, 0, 0x7ffd_f000]);
            s.call(&[2, 0x0002_2f40, 0x0002_2f70], sites.w3wp_crt_ret, true);
            // wmain
            s.enter(0x220, &[0x7ffd_f000, 0, 0x0002_2f40]);
            s.call(&[0x0000_01b8, 0xffff_ffff], sites.w3wp_wmain_ret, true);
            regs = wait_single(&mut s, &sites, 0x1b8);
        } else {
            s.call(&[0x0100_4a60 + 0x10 * i as u32], sites.bts_ret, true);
            match r {
                Role::AspIdle => {
                    s.enter(0x14, &[0x0105_2e10, 0x0105_0f28, 0]);
                    let ev = 0x2a0 + 8 * i as u32;
                    s.call(&[ev, 0xffff_ffff], sites.asp_idle_ret, true);
                    regs = wait_single(&mut s, &sites, ev);
                }
                Role::Pool | Role::Main => {
                    let e = s.enter(0x1c, &[0x0100_4a60, 0, 0]);
                    s.call(
                        &[0x0000_012c, e - 0x8, e - 0xc, e - 0x10, 0xffff_ffff],
                        sites.w3wp_tp_gqcs_ret,
                        true,
                    );
                    let g = s.enter(0x10, &[0x0000_012c, 0]);
                    s.call(
                        &[0x12c, g - 0x8, g - 0x4, g - 0x10, 0],
                        sites.gqcs_ret,
                        true,
                    );
                    s.call(&[], sites.ntremove_ret, false);
                    regs = Regs {
                        eax: 0,
                        ebx: 0,
                        ecx: 0,
                        edx: s.esp,
                        esi: 0x12c,
                        edi: 0,
                        ebp: s.ebp,
                        esp: s.esp,
                        eip: sites.kfscr,
                        efl: 0x246,
                    };
                }
                Role::Fault => {
                    // thread pool -> request dispatch -> w3isapi -> asp
                    s.enter(0x1c, &[0x0100_4a60, 0x0113_8e08, 0]);
                    s.call(&[0x0113_8e08], sites.w3wp_tp_dispatch_ret, true);
                    s.enter(0x10, &[0x0113_8e08, 0x0113_8e08, 0]);
                    s.call(&[0x0113_8f20], sites.w3wp_dispatch_ret, true);
                    s.enter(0x2c, &[0x0113_8f20, 0x5a41_10c8, 0]);
                    s.call(&[0x0113_8f20], sites.w3isapi_ret, true);
                    regs = match &p.fault {
                        Fault::AbcNested {
                            heap,
                            depth,
                            full_exception_record,
                        } => {
                            let (regs, recs) =
                                abc_chain(&mut s, &sites, *heap, *depth, *full_exception_record);
                            stack_records = recs;
                            exception = Some(DumpException {
                                thread_id: tid,
                                code: EXCEPTION_ACCESS_VIOLATION,
                                flags: 0,
                                address: regs.eip as u64,
                                params: vec![0, *heap as u64 + 0x10],
                                context: regs.context(),
                            });
                            regs
                        }
                        Fault::ContosoNull => {
                            let e = s.enter(0x48, &[0x0113_9a00, 0x0113_8f20, 0]);
                            s.call(&[0x0113_9ac8, 0, 0x0000_0258], sites.asp_contoso_ret, true);
                            s.enter(0x18, &[0x0113_9ac8, 0x0113_9ac8, e]);
                            s.call(&[0, 0x0000_0258], sites.contoso_method_ret, true);
                            s.enter(0, &[]);
                            let regs = Regs {
                                eax: 0,
                                ebx: 0x0113_9ac8,
                                ecx: 0x258,
                                edx: 0x0113_9b00,
                                esi: 0x0113_9ac8,
                                edi: 0x0113_9ac8,
                                ebp: s.ebp,
                                esp: s.esp,
                                eip: sites.contoso_fault,
                                efl: 0x10246,
                            };
                            exception = Some(DumpException {
                                thread_id: tid,
                                code: EXCEPTION_ACCESS_VIOLATION,
                                flags: 0,
                                address: regs.eip as u64,
                                params: vec![1, 0x14],
                                context: regs.context(),
                            });
                            regs
                        }
                    };
                }
            }
        }
        if s.overflow {
            return Err(SynthError::StackOverflow(tid));
        }
        let mut recs = s.recs.clone();
        recs.push(Rec {
            ip: regs.eip,
            ebp: if regs.eip == sites.kfscr {
                None
            } else {
                Some(regs.ebp)
            },
            kind: RecKind::Context,
        });
        // Stack memory [esp, base) and the committed stack region.
        let esp = regs.esp;
        c.mem.write(esp as u64, s.slice_from(esp));
        let commit = ((base - esp + 0x200 + 0xfff) & !0xfff).max(0x2000);
        let alloc_base = base - STACK_RESERVE;
        sp.stack(alloc_base as u64, STACK_RESERVE as u64, commit as u64);
        let stack_limit = base - commit.min(STACK_RESERVE - 0x2000);
        // TEB
        let teb = TEB0 - 0x1000 * i as u32;
        let mut t = vec![0u8; 0x1000];
        put_u32(&mut t, 0x00, s.fs0);
        put_u32(&mut t, 0x04, base);
        put_u32(&mut t, 0x08, stack_limit);
        put_u32(&mut t, 0x18, teb);
        put_u32(&mut t, 0x20, p.pid);
        put_u32(&mut t, 0x24, tid);
        put_u32(&mut t, 0x2c, 0x0014_9f28 + 0x40 * i as u32); // TLS pointer
        put_u32(&mut t, 0x30, PEB);
        put_u32(&mut t, 0x34, if r == Role::Fault { 0 } else { 0x3e5 });
        put_u32(&mut t, 0xc4, 0x409); // CurrentLocale
        put_u32(&mut t, 0xe0c, alloc_base); // DeallocationStack
        c.mem.write_paged(teb as u64, &t);
        let mut rng = Rng::new(p.seed ^ tid as u64);
        let age = if i == 0 { 0 } else { rng.range(1, 30 * 60) };
        threads.push(ThreadOut {
            id: tid,
            teb,
            stack_base: base,
            stack_limit,
            regs,
            recs,
            start_address,
            create_time: create + age,
            user_time: rng.range(10, 4000) * 100_000,
            kernel_time: rng.range(10, 1500) * 100_000,
        });
    }

    // ------------------------------------------------- PEB, params, env, heaps
    let mut heaps: Vec<u32> = HEAPS.to_vec();
    heaps.push(live_neighbour);
    if p.grown_heap.is_some() {
        heaps.push(GROWN_HEAP);
    }
    let ph = c.base(NTDLL) + PROCESS_HEAPS_RVA;
    let mut peb = vec![0u8; 0x1000];
    peb[2] = 1; // BeingDebugged (dump taken by an attached debugger)
    put_u32(&mut peb, 0x04, 0xffff_ffff);
    put_u32(&mut peb, 0x08, c.base(W3WP));
    put_u32(&mut peb, 0x0c, 0x0007_1ea0); // Ldr (not captured)
    put_u32(&mut peb, 0x10, PROCESS_PARAMETERS);
    put_u32(&mut peb, 0x18, HEAPS[0]);
    put_u32(&mut peb, 0x1c, c.base(NTDLL) + 0x89620); // FastPebLock
    put_u32(&mut peb, 0x64, 2); // NumberOfProcessors
    put_u32(&mut peb, 0x68, 0); // NtGlobalFlag
    put_u32(&mut peb, 0x78, 0x10_0000);
    put_u32(&mut peb, 0x7c, 0x2000);
    put_u32(&mut peb, 0x80, 0x1_0000);
    put_u32(&mut peb, 0x84, 0x1000);
    put_u32(&mut peb, 0x88, heaps.len() as u32);
    put_u32(&mut peb, 0x8c, 16);
    put_u32(&mut peb, 0x90, ph);
    put_u32(&mut peb, 0xa4, 5);
    put_u32(&mut peb, 0xa8, 2);
    put_u16(&mut peb, 0xac, 3790);
    put_u16(&mut peb, 0xae, 0x100);
    put_u32(&mut peb, 0xb0, 2);
    put_u32(&mut peb, 0xb4, 2); // ImageSubsystem GUI
    c.mem.write_paged(PEB as u64, &peb);
    let mut arr = Vec::new();
    for h in &heaps {
        arr.extend_from_slice(&h.to_le_bytes());
    }
    arr.resize(16 * 4, 0);
    c.mem.write_paged(ph as u64, &arr);
    // Heap headers (HEAP structure start) of the live heaps.
    for h in &heaps {
        let mut hv = vec![0u8; 0x60];
        put(
            &mut hv,
            0,
            &[0xc8, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00],
        );
        put_u32(&mut hv, 0x08, 0xeeff_eeff); // Signature
        put_u32(&mut hv, 0x0c, 0x0000_0002); // Flags HEAP_GROWABLE
        put_u32(&mut hv, 0x10, 0); // ForceFlags
        put_u32(&mut hv, 0x14, 0xfe00);
        put_u32(&mut hv, 0x18, 0x10_0000);
        put_u32(&mut hv, 0x1c, 0x2000);
        put_u32(&mut hv, 0x58, *h + 0x640); // Segments[0]
        c.mem.write_paged(*h as u64, &hv);
    }
    // The component's global heap handle still holds the destroyed heap.
    let g = c.base(ABC) + ABC_HEAP_GLOBAL_RVA;
    c.mem.write_paged(g as u64, &p.heap.to_le_bytes());

    let image_path = "c:\\windows\\system32\\inetsrv\\w3wp.exe".to_string();
    let cmd = format!("{image_path} -a {COMMAND_LINE_PIPE} -ap \"DefaultAppPool\"");
    let curdir = "C:\\WINDOWS\\system32\\";
    let dllpath = "c:\\windows\\system32\\inetsrv;C:\\WINDOWS\\system32;C:\\WINDOWS\\system;C:\\WINDOWS;.;C:\\WINDOWS\\system32;C:\\WINDOWS;C:\\WINDOWS\\System32\\Wbem";
    let mut pp = vec![0u8; 0x2a0];
    put_u32(&mut pp, 0x00, 0x1000);
    put_u32(&mut pp, 0x08, 0x1); // PARAMS_NORMALIZED
    let mut strings_at = 0x2a0usize;
    let mut add_us = |pp: &mut Vec<u8>, field: usize, s: &str| {
        let b = utf16(s);
        put_u16(pp, field, b.len() as u16);
        put_u16(pp, field + 2, b.len() as u16 + 2);
        put_u32(pp, field + 4, PROCESS_PARAMETERS + strings_at as u32);
        put(pp, strings_at, &utf16z(s));
        strings_at += b.len() + 2;
        strings_at = (strings_at + 3) & !3;
    };
    add_us(&mut pp, 0x24, curdir);
    add_us(&mut pp, 0x30, dllpath);
    add_us(&mut pp, 0x38, &image_path);
    add_us(&mut pp, 0x40, &cmd);
    add_us(&mut pp, 0x70, &image_path); // WindowTitle
    add_us(&mut pp, 0x78, "WinSta0\\Default"); // DesktopInfo
    put_u32(&mut pp, 0x04, strings_at as u32);
    put_u32(&mut pp, 0x48, ENVIRONMENT);
    c.mem.write_paged(PROCESS_PARAMETERS as u64, &pp);
    let mut env = Vec::new();
    for kv in [
        "ALLUSERSPROFILE=C:\\Documents and Settings\\All Users",
        "APP_POOL_ID=DefaultAppPool",
        "ClusterLog=C:\\WINDOWS\\Cluster\\cluster.log",
        "CommonProgramFiles=C:\\Program Files\\Common Files",
        "COMPUTERNAME=WEB01",
        "ComSpec=C:\\WINDOWS\\system32\\cmd.exe",
        "NUMBER_OF_PROCESSORS=2",
        "OS=Windows_NT",
        "Path=C:\\WINDOWS\\system32;C:\\WINDOWS;C:\\WINDOWS\\System32\\Wbem",
        "PROCESSOR_ARCHITECTURE=x86",
        "ProgramFiles=C:\\Program Files",
        "SystemDrive=C:",
        "SystemRoot=C:\\WINDOWS",
        "TEMP=C:\\WINDOWS\\TEMP",
        "TMP=C:\\WINDOWS\\TEMP",
        "USERPROFILE=C:\\Documents and Settings\\Default User",
        "windir=C:\\WINDOWS",
    ] {
        env.extend(utf16z(kv));
    }
    env.extend_from_slice(&[0, 0]);
    c.mem.write_paged(ENVIRONMENT as u64, &env);
    // KUSER_SHARED_DATA
    let mut k = vec![0u8; 0x400];
    put_u32(&mut k, 0x000, 0x0ab3_1d2c);
    put_u32(&mut k, 0x004, 0x0fa0_0000);
    let ft = filetime(p.time as u64);
    put_u32(&mut k, 0x014, ft as u32);
    put_u32(&mut k, 0x018, (ft >> 32) as u32);
    put_u32(&mut k, 0x01c, (ft >> 32) as u32);
    put_u16(&mut k, 0x02c, 0x14c);
    put_u16(&mut k, 0x02e, 0x14c);
    put(&mut k, 0x030, &utf16z("C:\\WINDOWS"));
    put_u32(&mut k, 0x26c, 5);
    put_u32(&mut k, 0x270, 2);
    put_u32(&mut k, 0x300, sites.kfscr - 4);
    put_u32(&mut k, 0x304, sites.kfscr);
    c.mem.write_paged(SHARED_USER_DATA as u64, &k);

    // ---------------------------------------------------------- PE structures
    for (mi, im) in c.images.iter_mut().enumerate() {
        let iat = c.iat.get(mi).cloned().unwrap_or_default();
        if !iat.is_empty() {
            im.iat_size = 4 * (iat.len() as u32 + 1);
        }
        let base = im.base;
        c.mem.write_paged(base, &im.headers());
        if im.export_rva != 0 {
            c.mem
                .write_paged(base + im.export_rva as u64, &im.export_directory());
        }
        if im.rsrc_rva != 0 {
            c.mem
                .write_paged(base + im.rsrc_rva as u64, &im.resource_directory());
        }
        if !iat.is_empty() {
            let mut b = Vec::new();
            for t in &iat {
                b.extend_from_slice(&t.to_le_bytes());
            }
            b.extend_from_slice(&[0; 4]);
            c.mem.write_paged(base + im.iat_rva as u64, &b);
        }
    }

    let regions = sp.finish(0, 0x7fff_0000)?;
    let dump_threads = threads
        .iter()
        .map(|t| DumpThread {
            id: t.id,
            suspend: 0,
            priority_class: 0x20,
            priority: 0,
            teb: t.teb as u64,
            stack_start: t.regs.esp as u64,
            stack_len: (t.stack_base - t.regs.esp) as u64,
            context: t.regs.context(),
            create_time: t.create_time,
            user_time: t.user_time,
            kernel_time: t.kernel_time,
            start_address: t.start_address as u64,
        })
        .collect();
    let model = DumpModel {
        time: p.time,
        flags: 0x1941,
        sys: SysInfo {
            arch: 0,
            level: 15,
            revision: 0x0409,
            nproc: 2,
            product_type: 3,
            major: 5,
            minor: 2,
            build: 3790,
            csd: "Service Pack 1".into(),
            suite: 0x0110,
            cpu: {
                let mut v = b"GenuineIntel".to_vec();
                v.extend_from_slice(&0x0000_0f49u32.to_le_bytes());
                v.extend_from_slice(&0xbfeb_fbffu32.to_le_bytes());
                v.extend_from_slice(&0u32.to_le_bytes());
                v
            },
        },
        pid: p.pid,
        process_create: create as u32,
        user_seconds: 42,
        kernel_seconds: 9,
        modules: c.images.clone(),
        threads: dump_threads,
        exception,
        regions,
    };
    Ok(Built {
        model,
        mem: c.mem,
        threads,
        images: c.images,
        stack_records,
        free_region,
    })
}

/// WaitForSingleObject -> WaitForSingleObjectEx -> NtWaitForSingleObject ->
/// KiFastSystemCall; returns the thread registers (eip = KiFastSystemCallRet).
fn wait_single(s: &mut Sim, sites: &Sites, handle: u32) -> Regs {
    s.enter(0, &[]);
    s.call(&[handle, 0xffff_ffff, 0], sites.wfso_ret, true);
    let e = s.enter(0x3c, &[handle, 0]);
    s.call(&[handle, 0, 0], sites.wfsoex_ret, true);
    let _ = e;
    s.call(&[], sites.ntwait_ret, false);
    Regs {
        eax: 0,
        ebx: 0,
        ecx: 0,
        edx: s.esp,
        esi: handle,
        edi: 0,
        ebp: s.ebp,
        esp: s.esp,
        eip: sites.kfscr,
        efl: 0x246,
    }
}

/// asp -> oleaut32!DispCallFunc -> ABCUpload4 method (SEH frame) -> allocator
/// -> RtlAllocateHeap (fault) and `depth - 1` nested dispatches. Returns the
/// registers of the deepest fault and the (record, context) pairs on the stack.
fn abc_chain(
    s: &mut Sim,
    sites: &Sites,
    heap: u32,
    depth: u32,
    full_er: bool,
) -> (Regs, Vec<(u32, u32)>) {
    // asp script call
    s.enter(0x5c, &[0x0113_8f20, 0x0113_9a00, 0x0113_a1c4]);
    s.call(
        &[
            0x0113_b7e0,
            0x1c,
            4,
            3,
            2,
            0x0113_a1b8,
            0x0113_a1c0,
            0x0113_a1a0,
        ],
        sites.asp_dispcall_ret,
        true,
    );
    // DispCallFunc
    s.enter(0x30, &[0x0113_b7e0, 0x0113_a1c0, 2]);
    s.call(&[0x0113_b7e0, 0x0113_c2a4, 0], sites.dcf_ret, true);
    // ABC method with its own SEH registration
    s.enter(0, &[]);
    s.push(0xffff_ffff);
    s.push(sites.abc_handler);
    let prev = s.fs0;
    s.push(prev);
    let reg_abc = s.esp;
    s.fs0 = reg_abc;
    s.sub(0x20);
    s.push(0x0113_b7e0);
    s.push(0x0113_c2a4);
    s.push(0);
    s.call(&[0x1_0000], sites.abc_method_ret, true);
    // allocator
    s.enter(0, &[0x0113_b7e0]);
    s.call(&[heap, 0, 0x1_0000], sites.abc_alloc_ret, true);
    // RtlAllocateHeap
    s.enter(0x0c, &[0x0113_b7e0, 0x0113_c2a4, 0]);
    let mut regs = Regs {
        eax: 0,
        ebx: heap,
        ecx: 0x0113_b7e0,
        edx: 0x0113_c2a4,
        esi: 0,
        edi: 0x1_0000,
        ebp: s.ebp,
        esp: s.esp,
        eip: sites.rah_fault,
        efl: 0x10246,
    };
    let mut records = Vec::new();
    let mut nested_reg = 0u32;
    for k in 1..depth {
        // Kernel: CONTEXT then EXCEPTION_RECORD below the faulting esp, then
        // the two pointer arguments of KiUserExceptionDispatcher.
        let ctx = (regs.esp & !3) - CONTEXT_X86_SIZE;
        let er_len = if full_er { 0x50 } else { 0x50 - 13 * 4 };
        let er = ctx - er_len;
        s.write_bytes(ctx, &regs.context());
        let mut rec = vec![0u8; er_len as usize];
        put_u32(&mut rec, 0, EXCEPTION_ACCESS_VIOLATION);
        // RtlDispatchException marks the record as nested once the nested
        // handler of the previous dispatch reported ExceptionNestedException.
        put_u32(&mut rec, 4, if k >= 2 { EXCEPTION_NESTED_CALL } else { 0 });
        put_u32(&mut rec, 8, 0);
        put_u32(&mut rec, 12, regs.eip);
        put_u32(&mut rec, 16, 2);
        put_u32(&mut rec, 20, 0);
        put_u32(&mut rec, 24, heap + 0x10);
        s.write_bytes(er, &rec);
        s.esp = er;
        s.push(ctx);
        s.push(er);
        s.recs.push(Rec {
            ip: regs.eip,
            ebp: Some(regs.ebp),
            kind: RecKind::Trap { context: ctx },
        });
        records.push((er, ctx));
        // KiUserExceptionDispatcher: push ecx(ctx) / push ebx(er) / call RtlDispatchException
        s.call(&[er, ctx], sites.kiued_ret, false);
        if let Some(last) = s.recs.last_mut() {
            last.kind = RecKind::Dispatch {
                context: ctx,
                record: er,
            };
        }
        // RtlDispatchException (saved ebp = faulting ebp)
        let e = s.enter(0x64, &[er, regs.esi, regs.edi]);
        s.write(e - 4, s.base);
        s.write(e - 8, s.lo);
        s.write(e - 0xc, reg_abc);
        s.write(e - 0x10, nested_reg);
        s.write(e - 0x14, reg_abc);
        let dispatcher_context = e - 0x14;
        s.call(
            &[er, reg_abc, ctx, dispatcher_context, sites.abc_handler],
            sites.rde_ret,
            true,
        );
        // RtlpExecuteHandlerForException -> ExecuteHandler
        s.enter(0, &[er, regs.esi, regs.edi]);
        s.call(
            &[er, reg_abc, ctx, dispatcher_context, sites.abc_handler],
            sites.eh_ret,
            true,
        );
        // ExecuteHandler2: installs a registration for nested exceptions
        s.enter(0, &[]);
        s.push(reg_abc);
        s.push(sites.nested_handler);
        let prev = s.fs0;
        s.push(prev);
        s.fs0 = s.esp;
        nested_reg = s.esp;
        s.call(&[er, reg_abc, ctx, dispatcher_context], sites.eh2_ret, true);
        // ABCUpload4 handler -> HeapAlloc(heap, HEAP_ZERO_MEMORY, 0x20)
        s.enter(8, &[er, 0]);
        s.call(&[heap, 8, 0x20], sites.abc_handler_ret, true);
        s.enter(0x0c, &[er, er, 0]);
        regs = Regs {
            eax: 8,
            ebx: heap,
            ecx: ctx,
            edx: sites.nested_handler,
            esi: 8,
            edi: 0x20,
            ebp: s.ebp,
            esp: s.esp,
            eip: sites.rah_fault,
            efl: 0x10246,
        };
    }
    (regs, records)
}

/// Serialises a built process into minidump bytes.
pub(crate) fn to_bytes(b: &Built) -> Result<Vec<u8>> {
    Ok(crate::dump::serialize(&b.model, MemorySource::List(&b.mem))?.bytes)
}
