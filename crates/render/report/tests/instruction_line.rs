//! The current-instruction line of `r`, with its effective-address suffix, exactly as WinDbg
//! prints it: `ds:0023:03900010=????????` on x86, `ss:` for ebp/esp-based operands, the offset
//! within the segment after `fs:003b:` (the value read at the TEB), and on x64
//! `ds:00000000`00000050=????????????????` with the value in 16 digits and no backtick.
//!
//! Each case is a line from a real WinDbg session (public sources, found with the code index):
//! the instruction bytes, the registers and memory the line implies are put into a snapshot, and
//! coroner must print the same line.

use coroner_analysis::disasm;
use coroner_dump::DumpFile;
use coroner_model::{AddressSpace, Arch, Context, MemoryRange};
use coroner_report::windbg;

struct Case {
    /// Where the line comes from.
    source: &'static str,
    arch: Arch,
    code_at: u64,
    code: &'static str,
    regs: &'static [(&'static str, u64)],
    /// cs, ds, es, fs, gs, ss.
    segments: [u16; 6],
    teb: u64,
    /// Memory the line shows a value for: (address, little-endian bytes).
    memory: &'static [(u64, &'static [u8])],
    want: &'static str,
}

const X86_SEGS: [u16; 6] = [0x1b, 0x23, 0x23, 0x3b, 0, 0x23];
const X64_SEGS: [u16; 6] = [0x33, 0x2b, 0x2b, 0x53, 0x2b, 0x2b];

const CASES: &[Case] = &[
    Case {
        source: "`p` trace of Houaiss2 (index id 10783864837)",
        arch: Arch::X86,
        code_at: 0x004b906e,
        code: "8b4df8",
        regs: &[("ebp", 0x0012facc)],
        segments: X86_SEGS,
        teb: 0x7ffdf000,
        memory: &[(0x0012fac4, &[0x00, 0x02, 0, 0])],
        want: "004b906e 8b4df8          mov     ecx,dword ptr [ebp-8] ss:0023:0012fac4=00000200",
    },
    Case {
        source: "`p` trace of Houaiss2 (index id 10783864837)",
        arch: Arch::X86,
        code_at: 0x004b9071,
        code: "8b933c200300",
        regs: &[("ebx", 0x0910121c - 0x3203c)],
        segments: X86_SEGS,
        teb: 0x7ffdf000,
        memory: &[(0x0910121c, &[0, 0, 0, 0])],
        want: "004b9071 8b933c200300    mov     edx,dword ptr [ebx+3203Ch] ds:0023:0910121c=00000000",
    },
    Case {
        source: "`t` through shellcode reading the PEB (index id 55316033937)",
        arch: Arch::X86,
        code_at: 0x02a1000a,
        code: "648b7130",
        regs: &[("ecx", 0)],
        segments: X86_SEGS,
        teb: 0x0073a000,
        memory: &[(0x0073a030, &[0x00, 0x50, 0x73, 0x00])],
        want: "02a1000a 648b7130        mov     esi,dword ptr fs:[ecx+30h] fs:003b:00000030=00735000",
    },
    Case {
        source: "`coml2!DfCreateDocfile+0xd6` (index id 10202187353)",
        arch: Arch::X86,
        code_at: 0x7698431b,
        code: "64a118000000",
        regs: &[],
        segments: X86_SEGS,
        teb: 0x00e1a000,
        memory: &[(0x00e1a018, &[0x00, 0xa0, 0xe1, 0x00])],
        want: "7698431b 64a118000000    mov     eax,dword ptr fs:[00000018h] fs:003b:00000018=00e1a000",
    },
    Case {
        source: "ruby `st_lookup+0xd` advisory (research/anchors.md §2.6)",
        arch: Arch::X86,
        code_at: 0x674a6b1d,
        code: "8b11",
        regs: &[("ecx", 6)],
        segments: [0x23, 0x2b, 0x2b, 0x53, 0x2b, 0x2b],
        teb: 0x7ffdf000,
        memory: &[],
        want: "674a6b1d 8b11            mov     edx,dword ptr [ecx] ds:002b:00000006=????????",
    },
    Case {
        source: "`chrome_child!blink::Element::userAgentShadowRoot+0x10` (index id 55215684218)",
        arch: Arch::X86,
        code_at: 0x61005f6a,
        code: "8bb688000000",
        regs: &[("esi", 0x40690000)],
        segments: X86_SEGS,
        teb: 0x7ffdf000,
        memory: &[],
        want: "61005f6a 8bb688000000    mov     esi,dword ptr [esi+88h] ds:0023:40690088=????????",
    },
    Case {
        source: "Flash.ocx NULL dereference, `r` (research/anchors.md §2.6)",
        arch: Arch::Amd64,
        code_at: 0x7ffa_06cde553,
        code: "488b7950",
        regs: &[("rcx", 0)],
        segments: X64_SEGS,
        teb: 0x7ff6_5a3f3000,
        memory: &[],
        want: "00007ffa`06cde553 488b7950        mov     rdi,qword ptr [rcx+50h] ds:00000000`00000050=????????????????",
    },
    Case {
        source: "`Qt6Core!QtPrivate::qustrchr+0x32` (index id 71160465482)",
        arch: Arch::Amd64,
        code_at: 0x7ff8_30b269a2,
        code: "f3410f6f01",
        regs: &[("r9", 0x1_0000_0000)],
        segments: X64_SEGS,
        teb: 0x7ff6_5a3f3000,
        memory: &[],
        want: "00007ff8`30b269a2 f3410f6f01      movdqu  xmm0,xmmword ptr [r9] ds:00000001`00000000=????????????????????????????????",
    },
    Case {
        source: "`wow64!Wow64pNotifyDebugger+0x1d` (index id 8304601141)",
        arch: Arch::Amd64,
        code_at: 0x5d8ab3e5,
        code: "65488b042530000000",
        regs: &[],
        segments: X64_SEGS,
        teb: 0x7efdb000,
        memory: &[],
        want: "00000000`5d8ab3e5 65488b042530000000 mov   rax,qword ptr gs:[30h] gs:00000000`00000030=????????????????",
    },
    Case {
        source: "a JIT-code call through r11, as quoted by a WinDbg-output parser (index id 8227840709)",
        arch: Arch::Amd64,
        code_at: 0x7fe_979f666f,
        code: "41ff13",
        regs: &[("r11", 0x7fe_978e0050)],
        segments: X64_SEGS,
        teb: 0x7ff6_5a3f3000,
        memory: &[(0x7fe_978e0050, &[0x60, 0xd2, 0x8e, 0x97, 0xfe, 0x07, 0, 0])],
        want: "000007fe`979f666f 41ff13          call    qword ptr [r11] ds:000007fe`978e0050=000007fe978ed260",
    },
];

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn context(c: &Case) -> Context {
    let mut regs: Vec<(&'static str, u64)> = match c.arch {
        Arch::X86 => [
            "eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip",
        ]
        .iter()
        .map(|n| (*n, 0))
        .collect(),
        _ => [
            "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
            "r12", "r13", "r14", "r15", "rip",
        ]
        .iter()
        .map(|n| (*n, 0))
        .collect(),
    };
    let pc = if c.arch == Arch::X86 { "eip" } else { "rip" };
    for (name, v) in c.regs.iter().chain([(pc, c.code_at)].iter()) {
        regs.iter_mut().find(|(n, _)| n == name).unwrap().1 = *v;
    }
    Context {
        arch: c.arch,
        regs,
        flags: Some(0x0001_0246),
        segments: Some(c.segments),
    }
}

#[test]
fn the_current_instruction_line_is_windbgs() {
    // Any x86 and x64 dump give a snapshot to put the case's memory in.
    let x86 = coroner_synth::ReferenceCase::default().build().unwrap();
    let x64 = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../fixtures/lab/nullwrite-x64.dmp"),
    )
    .ok();
    let mut failures = Vec::new();
    for c in CASES {
        let bytes = match c.arch {
            Arch::X86 => x86.clone(),
            _ => match &x64 {
                Some(b) => b.clone(),
                None => {
                    println!(
                        "skipped {}: fixtures/lab/nullwrite-x64.dmp is not there",
                        c.source
                    );
                    continue;
                }
            },
        };
        let file = DumpFile::from_bytes("case.dmp", bytes);
        let mut snap = file.snapshot().unwrap();
        let code = hex(c.code);
        let mut ranges = vec![MemoryRange {
            base: c.code_at,
            bytes: &code,
        }];
        ranges.extend(
            c.memory
                .iter()
                .map(|(base, bytes)| MemoryRange { base: *base, bytes }),
        );
        snap.memory = AddressSpace::new(ranges);
        let ctx = context(c);
        let d = disasm::decode_at(&snap, &ctx, Some(c.teb)).expect("decodes");
        let got = windbg::instruction_line_of(None, Some(&d), Some(&ctx), c.arch);
        if got.trim_end() != c.want {
            failures.push(format!(
                "{}:\n  want {}\n  got  {}",
                c.source,
                c.want,
                got.trim_end()
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
