//! Markdown report for tickets: the verdict table, findings, and the WinDbg blocks in code fences.

use crate::phrase::{self, Lang};
use crate::{windbg, Outcome};
use coroner_analysis::{fmt_addr, Analysis};
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn fence(s: &mut String, title: &str, body: &str) {
    let _ = writeln!(s, "\n### {title}\n\n```text\n{}```", body);
}

/// One dump, in `lang`.
pub fn render_one(a: &Analysis, lang: Lang) -> String {
    let l = lang;
    let p = a.ptr_size();
    let mut s = String::new();
    let _ = writeln!(s, "## {}\n", esc(&a.path.display().to_string()));
    // A damaged dump says so before anything else: its warnings name what was lost.
    if !a.complete() {
        let _ = writeln!(
            s,
            "> **{}**",
            l.pick(
                "Warning: damaged dump, analysed only in part.",
                "경고: 손상된 덤프이므로 일부만 분석했습니다."
            )
        );
        for w in &a.warnings {
            let _ = writeln!(s, "> - {}", esc(&phrase::warning(w, l)));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "| | |\n|---|---|");
    for (k, v) in crate::phrase::summary(a, l) {
        let _ = writeln!(s, "| **{}** | {} |", esc(&k), esc(&v));
    }
    let _ = writeln!(
        s,
        "{}",
        l.pick(
            "\n### Findings\n\n| Severity | Id | Description | Recommendation |\n|---|---|---|---|",
            "\n### 발견 사항\n\n| 심각도 | ID | 설명 | 권장 조치 |\n|---|---|---|---|"
        )
    );
    for f in &a.findings {
        let w = crate::phrase::finding(a, f, l);
        let _ = writeln!(
            s,
            "| {} | `{}` | **{}** {} | {} |",
            crate::phrase::severity(f.severity, l),
            f.id(),
            esc(&w.title),
            esc(&w.description),
            esc(&w.recommendation)
        );
    }
    if a.hang.reason.is_some() {
        let _ = writeln!(
            s,
            "\n### {}\n",
            l.pick("Threads and locks", "스레드와 잠금")
        );
        for line in crate::phrase::hang::threads_and_locks(a, l) {
            let _ = writeln!(s, "- {}", esc(&line));
        }
    }
    fence(
        &mut s,
        l.pick("Exception (`.exr -1`)", "예외 (`.exr -1`)"),
        &windbg::exr(a),
    );
    fence(
        &mut s,
        l.pick("Registers (`r`)", "레지스터 (`r`)"),
        &windbg::registers(a),
    );
    if let Some(t) = &a.target_region {
        fence(
            &mut s,
            &format!("`!address {}`", fmt_addr(t.address, p)),
            &windbg::address(t, p),
        );
    }
    fence(
        &mut s,
        l.pick("Stack (`kb`)", "호출 스택 (`kb`)"),
        &windbg::kb(a),
    );
    if let Some(b) = &a.blame {
        if let Some(m) = a.module(&b.module) {
            fence(
                &mut s,
                &format!("`lmvm {}`", m.module.short_name()),
                &windbg::lmvm(a, m),
            );
        }
    }
    fence(
        &mut s,
        l.pick("Threads (`~`)", "스레드 (`~`)"),
        &windbg::threads(a),
    );
    if let Some(m) = phrase::memory_summary(a, l) {
        fence(
            &mut s,
            l.pick(
                "Memory (`!address -summary`)",
                "메모리 (`!address -summary`)",
            ),
            &m,
        );
    }
    if a.complete() && !a.warnings.is_empty() {
        let _ = writeln!(s, "\n### {}\n", l.pick("Warnings", "경고"));
        for w in &a.warnings {
            let _ = writeln!(s, "- {}", esc(&phrase::warning(w, l)));
        }
    }
    s
}

/// Several dumps, in `lang`.
pub fn render(outcomes: &[Outcome], lang: Lang) -> String {
    let l = lang;
    let mut s = String::from(l.pick("# coroner analysis\n\n", "# coroner 분석\n\n"));
    let ok = outcomes.iter().filter(|o| o.analysis().is_some()).count();
    let groups = crate::groups(outcomes);
    if !groups.is_empty() {
        let _ = writeln!(
            s,
            "{}",
            l.pick(
                "| Dumps | Bucket |\n|---|---|",
                "| 덤프 | 버킷 |\n|---|---|"
            )
        );
        for (b, paths) in &groups {
            let k = paths.len();
            let _ = writeln!(
                s,
                "| {} | `{}` |",
                l.pick(format!("{k} of {ok}"), format!("{ok}개 중 {k}개")),
                esc(b)
            );
        }
        s.push('\n');
    }
    for a in outcomes.iter().filter_map(Outcome::analysis) {
        if !a.complete() {
            let _ = writeln!(
                s,
                "- **{}:** {}: {}",
                l.pick("Damaged", "손상됨"),
                esc(&a.path.display().to_string()),
                esc(&crate::phrase::damage_line(a, l))
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
            Outcome::Failed {
                path,
                error,
                failure,
            } => {
                let _ = writeln!(
                    s,
                    "## {}\n\n**{}:** {}\n",
                    esc(&path.display().to_string()),
                    l.pick("Error", "오류"),
                    esc(&phrase::failed(error, failure.as_ref(), l))
                );
            }
            Outcome::Done(a) => s.push_str(&render_one(a, l)),
        }
    }
    s
}
