//! Plain-text report: the verdict first (what crashed, why, who to call), then the evidence.

use crate::{phrase, time, windbg, Outcome};
use coroner_analysis::{fmt_addr, Analysis, FindingKind};
use std::fmt::Write;

/// The verdict lines: what crashed, why, verdict, who to call, bucket.
pub fn verdict(a: &Analysis) -> Vec<(String, String)> {
    let p = a.ptr_size();
    let mut rows = Vec::new();
    let proc_name = a
        .process
        .name
        .clone()
        .unwrap_or_else(|| "unknown process".into());
    let mut what = proc_name.clone();
    if let Some(pid) = a.process.pid {
        let _ = write!(what, " (pid {pid}");
        if let Some(pool) = &a.process.app_pool {
            let _ = write!(what, ", application pool \"{pool}\"");
        }
        what.push(')');
    }
    if let Some(e) = &a.exception {
        if let Some(i) = e.thread_index {
            let _ = write!(what, ", thread {i} (id 0x{:x})", e.thread_id);
        }
    }
    // A dump without an exception record is a snapshot of a process, not proof that it died.
    let label = if a.exception.is_none() && !a.exception_lost() {
        "Process"
    } else {
        "What crashed"
    };
    rows.push((label.into(), what));
    let Some(e) = &a.exception else {
        if a.exception_lost() {
            rows.push((
                "Why".into(),
                "unknown: the dump is damaged and its exception stream is lost".into(),
            ));
            if let Some(f) = a.findings.first() {
                let w = phrase::finding(a, f);
                rows.push(("Verdict".into(), w.title));
                rows.push(("What to do".into(), w.recommendation));
            }
        } else {
            rows.push((
                "Why".into(),
                "no exception: the dump was taken on demand, not at a crash".into(),
            ));
        }
        return rows;
    };
    // Why: exception, target, place, caller, nesting.
    let mut why = match (&e.access, e.target) {
        (Some(acc), Some(t)) => {
            let what_mem = if a.has(FindingKind::FreedMemory) {
                "freed memory "
            } else if a.has(FindingKind::NullPointer) {
                "a NULL pointer "
            } else {
                ""
            };
            format!(
                "access violation {} {}at {}",
                match acc {
                    coroner_analysis::Access::Read => "reading",
                    coroner_analysis::Access::Write => "writing",
                    coroner_analysis::Access::Execute => "executing",
                },
                what_mem,
                fmt_addr(t, p)
            )
        }
        _ => format!("{} (0x{:08x})", e.name, e.code),
    };
    if let Some(sym) = &a.instruction_symbol {
        let _ = write!(why, " inside {sym}");
    }
    if let Some(b) = &a.blame {
        let first = a.frames.first().and_then(|f| f.symbol.module.clone());
        if b.frame.unwrap_or(0) > 0 && first.as_deref() != Some(b.module.as_str()) {
            let _ = write!(why, ", called by {}", module_desc(a, b));
        } else if b.unloaded {
            let _ = write!(why, " — code of {}, which had been unloaded", b.module);
        }
    }
    if a.nesting_levels > 0 {
        let whose = match &a.blame {
            Some(_) => ", whose exception handler re-entered the fault",
            None => "; an exception handler re-entered the fault",
        };
        let _ = write!(
            why,
            "{whose} ({} nested exception{})",
            a.nesting_levels,
            if a.nesting_levels == 1 { "" } else { "s" }
        );
    }
    rows.push(("Why".into(), why));
    if let Some(f) = a.findings.first() {
        let w = phrase::finding(a, f);
        rows.push(("Verdict".into(), w.title));
        rows.push(("What to do".into(), w.recommendation));
    }
    if let Some(b) = &a.blame {
        rows.push(("Who to call".into(), who(b)));
    } else {
        rows.push((
            "Who to call".into(),
            "unknown: every frame is operating-system or runtime code".into(),
        ));
    }
    if let Some(bk) = &a.bucket {
        rows.push(("Bucket".into(), bk.clone()));
    }
    if let Some(c) = a.finer_classification() {
        rows.push((
            "Class".into(),
            format!("{c} (what this dump alone shows; not in the bucket, so that every dump type of the crash groups together)"),
        ));
    }
    rows
}

/// `streams lost: ExceptionStream, SystemInfoStream; 4096 of 352080 bytes present`.
pub fn damage_line(a: &Analysis) -> String {
    let Some(d) = &a.damage else {
        return "complete".into();
    };
    let names = |v: &[coroner_model::StreamLoss]| {
        v.iter()
            .map(|l| l.stream.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !d.streams_lost.is_empty() {
        parts.push(format!("streams lost: {}", names(&d.streams_lost)));
    }
    if !d.streams_partial.is_empty() {
        parts.push(format!("incomplete: {}", names(&d.streams_partial)));
    }
    parts.push(format!(
        "{} of {} bytes present",
        d.bytes_present,
        d.bytes_needed.max(d.bytes_present)
    ));
    parts.join("; ")
}

fn module_desc(a: &Analysis, b: &coroner_analysis::Blame) -> String {
    let mut s = b.module.clone();
    if let Some(v) = &b.version {
        let _ = write!(s, " {v}");
    }
    let mut extra = Vec::new();
    if let Some(c) = &b.vendor {
        extra.push(c.clone());
    }
    if let Some(ts) = b.timestamp {
        extra.push(format!("built {}", &time::rfc3339(u64::from(ts))[..10]));
    }
    if let Some(sym) = &b.symbol {
        extra.push(sym.clone());
    }
    let _ = a;
    if !extra.is_empty() {
        let _ = write!(s, " ({})", extra.join(", "));
    }
    s
}

/// `Example Corp (from LegalCopyright; CompanyName unreadable) — vendor of x.dll 1.0, …`; the
/// note on where the name came from is left out when it is the CompanyName.
fn who(b: &coroner_analysis::Blame) -> String {
    use coroner_analysis::vendor::{implausible, VendorSource};
    let module = match &b.version {
        Some(v) => format!("{} {v}", b.module),
        None => b.module.clone(),
    };
    let mut s = match (&b.vendor, b.vendor_source) {
        (Some(c), Some(VendorSource::CompanyName)) => format!("{c} — vendor of {module}"),
        (Some(c), _) => format!("{c} ({}) — vendor of {module}", b.vendor_provenance),
        (None, _) if b.unloaded => format!("the vendor of {module}"),
        (None, _) => format!(
            "unknown — the version resource of {module} names no plausible vendor ({})",
            b.vendor_provenance
        ),
    };
    let product_is_vendor = b.vendor_source == Some(VendorSource::ProductName);
    if let Some(p) = b.product.as_ref().filter(|p| implausible(p).is_none()) {
        if !product_is_vendor {
            let _ = write!(s, ", product \"{p}\"");
        }
    }
    if let Some(ts) = b.timestamp {
        let _ = write!(s, ", built {}", time::rfc3339(u64::from(ts)));
    }
    if b.unloaded {
        s.push_str(" (module was unloaded)");
    }
    s
}

fn section(s: &mut String, title: &str) {
    let _ = writeln!(s, "\n{title}\n{}", "-".repeat(title.chars().count()));
}

/// Full report of one dump.
pub fn render_one(a: &Analysis) -> String {
    let p = a.ptr_size();
    let mut s = String::new();
    let _ = writeln!(s, "== {} ==", a.path.display());
    // A damaged dump says so before anything else: its warnings name what was lost.
    if !a.complete() {
        let _ = writeln!(s, "WARNING: damaged dump, analysed only in part:");
        for w in &a.warnings {
            let _ = writeln!(s, "* {w}");
        }
        s.push('\n');
    }
    for (k, v) in verdict(a) {
        let _ = writeln!(s, "{:<13} {}", format!("{k}:"), v);
    }
    section(&mut s, "Findings");
    for f in &a.findings {
        let w = phrase::finding(a, f);
        let _ = writeln!(s, "[{}] {} — {}", f.severity.as_str(), f.id(), w.title);
        let _ = writeln!(s, "    {}", w.description);
        for e in &w.evidence {
            let _ = writeln!(s, "    * {e}");
        }
        let _ = writeln!(s, "    Recommendation: {}", w.recommendation);
    }
    if let Some(b) = &a.blame {
        section(&mut s, "Blame");
        let _ = writeln!(s, "{}", b.reason);
    }
    section(&mut s, "Exception (.exr -1)");
    s.push_str(&windbg::exr(a));
    section(&mut s, "Registers (r)");
    s.push_str(&windbg::registers(a));
    if let Some(t) = &a.target_region {
        section(&mut s, &format!("!address {}", fmt_addr(t.address, p)));
        s.push_str(&windbg::address(t, p));
    }
    if let Some(ip) = &a.ip_region {
        section(
            &mut s,
            &format!("!address {} (instruction pointer)", fmt_addr(ip.address, p)),
        );
        s.push_str(&windbg::address(ip, p));
    }
    section(
        &mut s,
        &format!(
            "Stack of thread {} (kb)",
            a.exception
                .as_ref()
                .and_then(|e| e.thread_index)
                .map(|i| i.to_string())
                .unwrap_or("0".into())
        ),
    );
    // As WinDbg says when it falls back to export tables.
    let mut noted: Vec<&str> = Vec::new();
    for f in &a.frames {
        if let (Some(m), coroner_analysis::SymbolSource::Export) =
            (&f.symbol.module, f.symbol.source)
        {
            if !noted.contains(&m.as_str()) {
                noted.push(m);
                let _ = writeln!(
                    s,
                    "*** WARNING: no symbol file: defaulted to export symbols for {m}"
                );
            }
        }
    }
    s.push_str(&windbg::kb(a));
    let far: Vec<String> = a
        .frames
        .iter()
        .filter(|f| f.symbol.unreliable)
        .map(|f| format!("{:02x}", f.index))
        .collect();
    if !far.is_empty() {
        let _ = writeln!(
            s,
            "WARNING: frames {} are named after the nearest export, which lies implausibly far away: the function is probably not exported and the name is unreliable",
            far.join(", ")
        );
    }
    section(&mut s, "Threads (~)");
    s.push_str(&windbg::threads(a));
    let mut shown = Vec::new();
    for name in [
        a.blame.as_ref().map(|b| b.module.clone()),
        a.faulting_module.clone(),
    ]
    .into_iter()
    .flatten()
    {
        if shown.contains(&name) {
            continue;
        }
        if let Some(m) = a.module(&name) {
            section(&mut s, &format!("lmvm {}", m.module.short_name()));
            s.push_str(&windbg::lmvm(a, m));
            shown.push(name);
        }
    }
    section(&mut s, "Modules (lm)");
    s.push_str(&windbg::lm(a));
    section(&mut s, "Process");
    let _ = writeln!(
        s,
        "Image:        {}",
        a.process
            .image_path
            .as_deref()
            .or(a.process.name.as_deref())
            .unwrap_or("unknown")
    );
    let _ = writeln!(
        s,
        "PID:          {}",
        a.process
            .pid
            .map(|v| v.to_string())
            .unwrap_or("unknown".into())
    );
    let _ = writeln!(
        s,
        "Command line: {}",
        a.process
            .command_line
            .as_deref()
            .unwrap_or("unknown (PEB not in the dump)")
    );
    if let Some(pool) = &a.process.app_pool {
        let _ = writeln!(s, "App pool:     {pool}");
    }
    let _ = writeln!(
        s,
        "Started:      {}",
        a.process
            .create_time
            .map(time::rfc3339)
            .unwrap_or("unknown".into())
    );
    let _ = writeln!(
        s,
        "Dump time:    {}",
        a.process
            .dump_time
            .map(time::rfc3339)
            .unwrap_or("unknown".into())
    );
    let _ = writeln!(
        s,
        "Uptime:       {}",
        a.process
            .uptime
            .map(time::duration)
            .unwrap_or("unknown".into())
    );
    let _ = writeln!(
        s,
        "System:       {} {} {} ({} CPUs)",
        a.system.os_name,
        a.system.os_version,
        a.system.arch.name(),
        a.system.cpu_count
    );
    if let Some(h) = &a.process.heaps {
        let _ = writeln!(
            s,
            "Heaps (PEB):  {}",
            h.iter()
                .map(|x| fmt_addr(*x, p))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    for c in &a.comments {
        let _ = writeln!(s, "Comment:      {}", c.lines().next().unwrap_or(""));
    }
    if a.complete() && !a.warnings.is_empty() {
        section(&mut s, "Warnings");
        for w in &a.warnings {
            let _ = writeln!(s, "* {w}");
        }
    }
    s
}

/// Report for several inputs: with more than one input, a summary of the groups (each with its
/// verdict) comes first; then each analysis; errors name their file.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    let ok = outcomes.iter().filter(|o| o.analysis().is_some()).count();
    if outcomes.len() > 1 {
        let _ = writeln!(
            s,
            "== Summary: {} dumps, {} analysed ==",
            outcomes.len(),
            ok
        );
        for (bucket, paths) in crate::groups(outcomes) {
            let _ = writeln!(s, "{} of {} dumps share bucket {}", paths.len(), ok, bucket);
            // The member whose dump tells the most (a classification finer than the bucket's).
            let members: Vec<&Analysis> = outcomes
                .iter()
                .filter_map(Outcome::analysis)
                .filter(|a| paths.contains(&a.path))
                .collect();
            let first = members
                .iter()
                .find(|a| a.finer_classification().is_some())
                .or(members.first())
                .copied();
            if let Some(a) = first {
                for (k, v) in verdict(a) {
                    if k == "Verdict" || k == "Who to call" || k == "Class" {
                        let _ = writeln!(s, "    {:<12} {}", format!("{k}:"), v);
                    }
                }
            }
            for p in paths {
                let _ = writeln!(s, "    {}", p.display());
            }
        }
        for o in outcomes {
            match o {
                Outcome::Failed { path, error } => {
                    let _ = writeln!(s, "error: {}: {}", path.display(), error);
                }
                Outcome::Done(a) if !a.complete() => {
                    let _ = writeln!(s, "damaged: {}: {}", a.path.display(), damage_line(a));
                }
                Outcome::Done(_) => {}
            }
        }
        s.push('\n');
    }
    for o in outcomes {
        match o {
            Outcome::Failed { path, error } => {
                let _ = writeln!(s, "error: {}: {}", path.display(), error);
            }
            Outcome::Done(a) => {
                s.push_str(&render_one(a));
                s.push('\n');
            }
        }
    }
    s
}
