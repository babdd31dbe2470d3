//! `!analyze -v`: coroner's diagnosis laid out in WinDbg's fields.

use crate::{CmdResult, Session, ShellError};
use coroner_analysis::{codes, fmt_addr, Access, Analysis, ExceptionFacts};
use coroner_report::phrase::Lang;
use coroner_report::windbg;
use std::fmt::Write;

/// `!analyze [-v]`.
pub fn analyze(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    let verbose = match args.trim() {
        "" => false,
        a if a.starts_with("-v") => true,
        "-f" => false,
        "-hang" => return hang(s, o),
        _ => return Err(ShellError::Syntax),
    };
    let (a, l) = (&s.analysis, s.lang);
    banner(o);
    let Some(e) = &a.exception else {
        let _ = writeln!(
            o,
            "{}",
            l.pick(
                "(the dump has no exception record: nothing to analyse)",
                "(덤프에 예외 레코드가 없어 분석할 것이 없습니다)"
            )
        );
        return Ok(());
    };
    if !verbose {
        brief(a, o, l);
        return Ok(());
    }
    faulting_ip(a, o);
    exception_fields(a, e, o);
    followup_ip(s, o);
    findings(a, o, l);
    stack_text(a, o);
    blame_fields(a, o, l);
    bucket_fields(a, e, o);
    let _ = writeln!(o, "Followup: MachineOwner\n---------");
    Ok(())
}

/// `!analyze -hang`: the hang verdict — the findings of the hang analysis, the root-cause
/// thread's stack, what every thread does, the blame and the bucket.
fn hang(s: &mut Session<'_, '_>, o: &mut String) -> CmdResult {
    let (a, l) = (&s.analysis, s.lang);
    banner(o);
    let hang: Vec<_> = a
        .findings
        .iter()
        .filter(|f| coroner_analysis::hang::verdict::is_hang(f.kind))
        .collect();
    if a.hang.reason.is_none() || hang.is_empty() {
        // A crash dump: the hang findings need `--hang` (the facts are there).
        let _ = writeln!(
            o,
            "{}\n",
            l.pick(
                "(not a hang dump: run coroner shell --hang DUMP for the hang verdict)",
                "(중단 덤프가 아닙니다. 중단 판정을 보려면 coroner shell --hang DUMP를 실행하십시오)"
            )
        );
    }
    for f in &hang {
        let w = coroner_report::phrase::finding(a, f, l);
        field(o, &format!("HANG_{}", f.id().to_uppercase()), &w.title);
        let _ = writeln!(o, "{}\n", w.description);
        for e in &w.evidence {
            let _ = writeln!(o, "    {e}");
        }
        let _ = writeln!(o);
    }
    if let Some(t) = a.hang.root_tid.and_then(|t| a.hang.thread(t)) {
        let _ = writeln!(o, "BLOCKING_THREAD:  {:x}\n", t.tid);
        let _ = writeln!(o, "STACK_TEXT:  ");
        for f in &t.frames {
            let _ = writeln!(o, "{} {}", s.addr(f.sp), f.display);
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "THREADS_AND_LOCKS:  ");
    for line in coroner_report::phrase::hang::threads_and_locks(a, l) {
        let _ = writeln!(o, "    {line}");
    }
    let _ = writeln!(o);
    if a.hang_verdict() {
        if let Some(b) = &a.blame {
            field(o, "MODULE_NAME", b.module.trim_end_matches(".dll"));
            field(o, "IMAGE_NAME", &b.module);
            field(
                o,
                "FOLLOWUP_NAME",
                &coroner_report::phrase::who_to_call(a, l),
            );
        }
        if let Some(bk) = &a.bucket {
            field(o, "FAILURE_BUCKET_ID", bk);
        }
    }
    let _ = writeln!(o, "Followup: MachineOwner\n---------");
    Ok(())
}

/// One `NAME:  value` field and its blank line.
fn field(o: &mut String, name: &str, v: &str) {
    let _ = writeln!(o, "{name}:  {v}\n");
}

/// The starred "Exception Analysis" box.
fn banner(o: &mut String) {
    let star = "*".repeat(79);
    let _ = writeln!(o, "{star}");
    let _ = writeln!(o, "*{:77}*", "");
    let _ = writeln!(o, "*{:^77}*", "Exception Analysis");
    let _ = writeln!(o, "*{:77}*", "");
    let _ = writeln!(o, "{star}");
    let _ = writeln!(o);
}

/// `!analyze` without `-v`: the verdict and the blamed module.
fn brief(a: &Analysis, o: &mut String, l: Lang) {
    if let Some(title) = coroner_report::phrase::verdict(a, l) {
        let _ = writeln!(o, "{title}");
    }
    if let Some(b) = &a.blame {
        let _ = writeln!(
            o,
            "Probably caused by : {} ( {} )",
            b.module,
            b.symbol.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(o, "\nFollowup: MachineOwner\n---------");
}

/// FAULTING_IP and EXCEPTION_RECORD (`.exr -1`).
fn faulting_ip(a: &Analysis, o: &mut String) {
    let _ = writeln!(o, "FAULTING_IP: ");
    o.push_str(&windbg::instruction_line_of(
        a.instruction_symbol.as_deref(),
        a.instruction.as_ref(),
        None,
        a.system.arch,
    ));
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "EXCEPTION_RECORD:  {} -- (.exr 0xffffffffffffffff)",
        "f".repeat(if a.ptr_size() == 4 { 8 } else { 16 })
    );
    o.push_str(&windbg::exr(a));
    let _ = writeln!(o);
}

/// FAULTING_THREAD, DEFAULT_BUCKET_ID, PROCESS_NAME, the codes, parameters and the accessed
/// address.
fn exception_fields(a: &Analysis, e: &ExceptionFacts, o: &mut String) {
    let p = a.ptr_size();
    if let Some(i) = e.thread_index {
        field(o, "FAULTING_THREAD", &format!("{:08x}", e.thread_id));
        let _ = i;
    }
    if let Some(f) = a.findings.first() {
        field(o, "DEFAULT_BUCKET_ID", &f.id().to_ascii_uppercase());
    }
    if let Some(n) = &a.process.name {
        field(o, "PROCESS_NAME", n);
    }
    if !e.is_signal {
        let txt = codes::windows_text(e.code);
        let _ = writeln!(o, "ERROR_CODE: (NTSTATUS) 0x{:x} - {txt}\n", e.code);
        let _ = writeln!(o, "EXCEPTION_CODE: (NTSTATUS) 0x{:x} - {txt}\n", e.code);
        field(o, "EXCEPTION_CODE_STR", &format!("{:x}", e.code));
    } else {
        field(o, "EXCEPTION_CODE_STR", &e.reason);
    }
    for (i, v) in e.params.iter().enumerate().take(2) {
        field(
            o,
            &format!("EXCEPTION_PARAMETER{}", i + 1),
            &fmt_addr(*v, p),
        );
    }
    if let (Some(acc), Some(t)) = (e.access, e.target) {
        let name = match acc {
            Access::Read => "READ_ADDRESS",
            Access::Write => "WRITE_ADDRESS",
            Access::Execute => "EXECUTE_ADDRESS",
        };
        let region = a
            .target_region
            .as_ref()
            .map(|r| {
                let u = match &r.usage_detail {
                    Some(d) => format!(
                        "{} ({})",
                        r.usage,
                        coroner_report::phrase::usage_detail(d, p, Lang::En)
                    ),
                    None => r.usage.clone(),
                };
                format!(" ({u})")
            })
            .unwrap_or_default();
        field(o, name, &format!("{}{region}", fmt_addr(t, p)));
    }
}

/// FOLLOWUP_IP: the blamed frame and its instruction.
fn followup_ip(s: &Session<'_, '_>, o: &mut String) {
    let a = &s.analysis;
    let p = a.ptr_size();
    let blamed = a
        .blame
        .as_ref()
        .and_then(|b| b.frame)
        .and_then(|i| a.frames.get(i));
    if let Some(f) = blamed {
        let _ = writeln!(o, "FOLLOWUP_IP: \n{}", f.display);
        let list = coroner_analysis::disasm::decode_many_named(s.snap, f.address, 1, &|a| {
            s.named_symbol(a)
        });
        if let Some((_, bytes, text)) = list.first() {
            let code = coroner_analysis::disasm::code_text(bytes, text);
            let _ = writeln!(o, "{} {code}", fmt_addr(f.address, p));
        }
        let _ = writeln!(o);
    }
}

/// CORONER_FINDINGS: each finding's title, evidence and recommendation.
fn findings(a: &Analysis, o: &mut String, l: Lang) {
    if !a.findings.is_empty() {
        let _ = writeln!(o, "CORONER_FINDINGS: ");
        for f in &a.findings {
            let w = coroner_report::phrase::finding(a, f, l);
            let _ = writeln!(o, "    [{}] {}: {}", f.severity.as_str(), f.id(), w.title);
            for ev in &w.evidence {
                let _ = writeln!(o, "        - {ev}");
            }
            if !w.recommendation.is_empty() {
                let _ = writeln!(
                    o,
                    "        {} {}",
                    l.pick("Recommendation:", "권장 조치:"),
                    w.recommendation
                );
            }
        }
        let _ = writeln!(o);
    }
}

/// LAST_CONTROL_TRANSFER and STACK_TEXT (`kb`).
fn stack_text(a: &Analysis, o: &mut String) {
    let p = a.ptr_size();
    if let Some(f) = a.frames.get(1) {
        if let Some(r) = a.frames.first() {
            field(
                o,
                "LAST_CONTROL_TRANSFER",
                &format!(
                    "from {} to {}",
                    fmt_addr(f.address, p),
                    fmt_addr(r.address, p)
                ),
            );
        }
    }
    let _ = writeln!(o, "STACK_TEXT:  ");
    let na = |v: Option<u64>| v.map(|x| fmt_addr(x, p)).unwrap_or_else(|| "?".repeat(8));
    for l in windbg::stack_lines(&a.frames, a.system.arch) {
        let (child, ret) = (fmt_addr(l.child, p), fmt_addr(l.ret_addr, p));
        let n = coroner_unwind::arg_count(a.system.arch);
        let args = l.args[..n].iter().map(|&v| na(v)).collect::<Vec<_>>();
        let sep = if p == 4 { "" } else { ": " };
        let _ = writeln!(
            o,
            "{child} {ret} {sep}{} {sep}{}",
            args.join(" "),
            l.frame.display
        );
    }
    if let Some(n) = &a.stack_note {
        let _ = writeln!(o, "WARNING: {n}");
    }
    let _ = writeln!(o);
}

/// SYMBOL_NAME to BLAME_REASON: the blamed module.
fn blame_fields(a: &Analysis, o: &mut String, l: Lang) {
    if let Some(b) = &a.blame {
        let short = coroner_analysis::symbols::short(&b.module).to_string();
        if let Some(sym) = &b.symbol {
            field(o, "SYMBOL_NAME", sym);
        }
        field(o, "FOLLOWUP_NAME", "MachineOwner");
        field(o, "MODULE_NAME", &short);
        field(o, "IMAGE_NAME", &b.module);
        if let Some(ts) = b.timestamp {
            field(o, "DEBUG_FLR_IMAGE_TIMESTAMP", &format!("{ts:x}"));
        }
        if let Some(v) = &b.version {
            field(o, "IMAGE_VERSION", v);
        }
        if let Some(c) = &b.vendor {
            field(o, "IMAGE_COMPANY", c);
        }
        field(
            o,
            "BLAME_REASON",
            &coroner_report::phrase::blame_reason(a, b, l),
        );
    }
}

/// STACK_COMMAND, FAILURE_IMAGE_NAME, PRIMARY_PROBLEM_CLASS, the bucket and ANALYSIS_SOURCE.
fn bucket_fields(a: &Analysis, e: &ExceptionFacts, o: &mut String) {
    let stack_cmd = match e.thread_index {
        Some(i) => format!("~{i}s; .ecxr ; kb"),
        None => ".ecxr ; kb".into(),
    };
    field(o, "STACK_COMMAND", &stack_cmd);
    if let Some(fm) = &a.faulting_module {
        field(o, "FAILURE_IMAGE_NAME", fm);
    }
    if let Some(c) = &a.classification {
        field(o, "PRIMARY_PROBLEM_CLASS", c);
    }
    if let Some(b) = &a.bucket {
        field(o, "FAILURE_BUCKET_ID", b);
        field(o, "BUCKET_ID", b);
    }
    field(o, "ANALYSIS_SOURCE", "UM");
}
