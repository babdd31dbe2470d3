//! Markdown report for tickets: the verdict table, findings, and the WinDbg blocks in code fences.

use crate::{windbg, Outcome};
use coroner_analysis::{fmt_addr, Analysis};
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn fence(s: &mut String, title: &str, body: &str) {
    let _ = writeln!(s, "\n### {title}\n\n```text\n{}```", body);
}

/// One dump.
pub fn render_one(a: &Analysis) -> String {
    let p = a.ptr_size();
    let mut s = String::new();
    let _ = writeln!(s, "## {}\n", esc(&a.path.display().to_string()));
    // A damaged dump says so before anything else: its warnings name what was lost.
    if !a.complete() {
        let _ = writeln!(s, "> **Warning: damaged dump, analysed only in part.**");
        for w in &a.warnings {
            let _ = writeln!(s, "> - {}", esc(w));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "| | |\n|---|---|");
    for (k, v) in crate::phrase::summary(a) {
        let _ = writeln!(s, "| **{}** | {} |", esc(&k), esc(&v));
    }
    let _ = writeln!(
        s,
        "\n### Findings\n\n| Severity | Id | Description | Recommendation |\n|---|---|---|---|"
    );
    for f in &a.findings {
        let w = crate::phrase::finding(a, f);
        let _ = writeln!(
            s,
            "| {} | `{}` | **{}** {} | {} |",
            f.severity.as_str(),
            f.id(),
            esc(&w.title),
            esc(&w.description),
            esc(&w.recommendation)
        );
    }
    if a.hang.reason.is_some() {
        let _ = writeln!(s, "\n### Threads and locks\n");
        for line in crate::phrase::hang::threads_and_locks(a) {
            let _ = writeln!(s, "- {}", esc(&line));
        }
    }
    fence(&mut s, "Exception (`.exr -1`)", &windbg::exr(a));
    fence(&mut s, "Registers (`r`)", &windbg::registers(a));
    if let Some(t) = &a.target_region {
        fence(
            &mut s,
            &format!("`!address {}`", fmt_addr(t.address, p)),
            &windbg::address(t, p),
        );
    }
    fence(&mut s, "Stack (`kb`)", &windbg::kb(a));
    if let Some(b) = &a.blame {
        if let Some(m) = a.module(&b.module) {
            fence(
                &mut s,
                &format!("`lmvm {}`", m.module.short_name()),
                &windbg::lmvm(a, m),
            );
        }
    }
    fence(&mut s, "Threads (`~`)", &windbg::threads(a));
    if let Some(m) = windbg::memory_summary(a) {
        fence(&mut s, "Memory (`!address -summary`)", &m);
    }
    if a.complete() && !a.warnings.is_empty() {
        let _ = writeln!(s, "\n### Warnings\n");
        for w in &a.warnings {
            let _ = writeln!(s, "- {}", esc(w));
        }
    }
    s
}

/// Several dumps.
pub fn render(outcomes: &[Outcome]) -> String {
    let mut s = String::from("# coroner analysis\n\n");
    let ok = outcomes.iter().filter(|o| o.analysis().is_some()).count();
    let groups = crate::groups(outcomes);
    if !groups.is_empty() {
        let _ = writeln!(s, "| Dumps | Bucket |\n|---|---|");
        for (b, paths) in &groups {
            let _ = writeln!(s, "| {} of {} | `{}` |", paths.len(), ok, esc(b));
        }
        s.push('\n');
    }
    for a in outcomes.iter().filter_map(Outcome::analysis) {
        if !a.complete() {
            let _ = writeln!(
                s,
                "- **Damaged:** {}: {}",
                esc(&a.path.display().to_string()),
                esc(&crate::phrase::damage_line(a))
            );
        }
    }
    if outcomes
        .iter()
        .filter_map(Outcome::analysis)
        .any(|a| !a.complete())
    {
        s.push('\n');
    }
    for o in outcomes {
        match o {
            Outcome::Failed { path, error } => {
                let _ = writeln!(
                    s,
                    "## {}\n\n**Error:** {}\n",
                    esc(&path.display().to_string()),
                    esc(error)
                );
            }
            Outcome::Done(a) => s.push_str(&render_one(a)),
        }
    }
    s
}
