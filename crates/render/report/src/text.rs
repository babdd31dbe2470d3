//! Plain-text report: the verdict first (what crashed, why, who to call), then the evidence.

use crate::{phrase, time, windbg, Outcome};
use coroner_analysis::{fmt_addr, Analysis};
use std::fmt::Write;

fn section(s: &mut String, title: &str) {
    let _ = writeln!(s, "\n{title}\n{}", "-".repeat(title.chars().count()));
}

/// Full report of one dump.
pub fn render_one(a: &Analysis) -> String {
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
    for (k, v) in phrase::summary(a) {
        let _ = writeln!(s, "{:<13} {}", format!("{k}:"), v);
    }
    findings(&mut s, a);
    if a.hang.reason.is_some() {
        section(&mut s, "Threads and locks");
        for line in phrase::hang::threads_and_locks(a) {
            let _ = writeln!(s, "{line}");
        }
    }
    exception_and_memory(&mut s, a);
    stack(&mut s, a);
    section(&mut s, "Threads (~)");
    s.push_str(&windbg::threads(a));
    modules(&mut s, a);
    process(&mut s, a);
    if let Some(m) = windbg::memory_summary(a) {
        section(&mut s, "Memory (!address -summary)");
        s.push_str(&m);
    }
    if a.complete() && !a.warnings.is_empty() {
        section(&mut s, "Warnings");
        for w in &a.warnings {
            let _ = writeln!(s, "* {w}");
        }
    }
    s
}

/// Findings (each phrased) and the blame.
fn findings(s: &mut String, a: &Analysis) {
    section(s, "Findings");
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
        section(s, "Blame");
        let _ = writeln!(s, "{}", b.reason);
    }
}

/// `.exr -1`, `r`, and `!address` of the accessed address and of the instruction pointer.
fn exception_and_memory(s: &mut String, a: &Analysis) {
    let p = a.ptr_size();
    section(s, "Exception (.exr -1)");
    s.push_str(&windbg::exr(a));
    section(s, "Registers (r)");
    s.push_str(&windbg::registers(a));
    if let Some(t) = &a.target_region {
        section(s, &format!("!address {}", fmt_addr(t.address, p)));
        s.push_str(&windbg::address(t, p));
    }
    if let Some(ip) = &a.ip_region {
        section(
            s,
            &format!("!address {} (instruction pointer)", fmt_addr(ip.address, p)),
        );
        s.push_str(&windbg::address(ip, p));
    }
}

/// The faulting thread's `kb`, with WinDbg's export-symbols warnings before it and the
/// unreliable-name warning after it.
fn stack(s: &mut String, a: &Analysis) {
    section(
        s,
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
}

/// `lmvm` of the blamed and the faulting module (once each), then `lm`.
fn modules(s: &mut String, a: &Analysis) {
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
            section(s, &format!("lmvm {}", m.module.short_name()));
            s.push_str(&windbg::lmvm(a, m));
            shown.push(name);
        }
    }
    section(s, "Modules (lm)");
    s.push_str(&windbg::lm(a));
}

/// The process: image, PID, command line, pool, times, system, heaps, comments.
fn process(s: &mut String, a: &Analysis) {
    section(s, "Process");
    s.push_str(&process_lines(a));
}

/// The lines of the Process section (shared with the HTML report).
pub(crate) fn process_lines(a: &Analysis) -> String {
    let p = a.ptr_size();
    let mut s = String::new();
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
    s
}

/// An input that could not be analysed: its error is the caller's to print, once, on stderr.
fn failed_line(path: &std::path::Path) -> String {
    format!(
        "failed: {} (not analysed; the error is on stderr)\n",
        path.display()
    )
}

/// Report for several inputs: with more than one input, a summary of the groups (each with its
/// verdict) comes first, naming the inputs that failed or are damaged; then each analysis.
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
            let _ = writeln!(s, "{} bucket {bucket}", phrase::sharing(paths.len(), ok));
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
                for (k, v) in phrase::summary(a) {
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
                Outcome::Failed { path, .. } => s.push_str(&failed_line(path)),
                Outcome::Done(a) if !a.complete() => {
                    let _ = writeln!(
                        s,
                        "damaged: {}: {}",
                        a.path.display(),
                        phrase::damage_line(a)
                    );
                }
                Outcome::Done(_) => {}
            }
        }
        s.push('\n');
    }
    for o in outcomes {
        match o {
            // Said in the summary when there is one.
            Outcome::Failed { path, .. } if outcomes.len() == 1 => s.push_str(&failed_line(path)),
            Outcome::Failed { .. } => {}
            Outcome::Done(a) => {
                s.push_str(&render_one(a));
                s.push('\n');
            }
        }
    }
    s
}
