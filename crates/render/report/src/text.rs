//! Plain-text report: the verdict first (what crashed, why, who to call), then the evidence.

use crate::phrase::{self, Lang, Row};
use crate::{time, windbg, Outcome};
use coroner_analysis::{fmt_addr, Analysis};
use std::fmt::Write;

fn section(s: &mut String, title: &str) {
    let cols = unicode_width::UnicodeWidthStr::width(title);
    let _ = writeln!(s, "\n{title}\n{}", "-".repeat(cols));
}

/// `label` padded to `width` terminal columns: a Hangul syllable (and any other wide
/// character) takes two, a combining mark none (`unicode-width`), so Korean labels line up.
pub fn pad(label: &str, width: usize) -> String {
    let cols = unicode_width::UnicodeWidthStr::width(label);
    format!("{label}{}", " ".repeat(width.saturating_sub(cols)))
}

/// Full report of one dump, in `lang`.
pub fn render_one(a: &Analysis, lang: Lang) -> String {
    let l = lang;
    let mut s = String::new();
    let _ = writeln!(s, "== {} ==", a.path.display());
    // A damaged dump says so before anything else: its warnings name what was lost.
    if !a.complete() {
        let _ = writeln!(
            s,
            "{}",
            l.pick(
                "WARNING: damaged dump, analysed only in part:",
                "경고: 손상된 덤프이므로 일부만 분석했습니다:"
            )
        );
        for w in &a.warnings {
            let _ = writeln!(s, "* {}", phrase::warning(w, l));
        }
        s.push('\n');
    }
    let rows: Vec<(String, String)> = phrase::summary(a, l)
        .into_iter()
        .map(|(k, v)| (format!("{k}:"), v))
        .collect();
    s.push_str(&aligned(&rows, 14));
    findings(&mut s, a, l);
    if a.hang.reason.is_some() {
        section(&mut s, l.pick("Threads and locks", "스레드와 잠금"));
        for line in phrase::hang::threads_and_locks(a, l) {
            let _ = writeln!(s, "{line}");
        }
    }
    exception_and_memory(&mut s, a, l);
    stack(&mut s, a, l);
    section(&mut s, l.pick("Threads (~)", "스레드 (~)"));
    s.push_str(&windbg::threads(a));
    modules(&mut s, a, l);
    process(&mut s, a, l);
    if let Some(m) = phrase::memory_summary(a, l) {
        section(
            &mut s,
            l.pick("Memory (!address -summary)", "메모리 (!address -summary)"),
        );
        s.push_str(&m);
    }
    if a.complete() && !a.warnings.is_empty() {
        section(&mut s, l.pick("Warnings", "경고"));
        for w in &a.warnings {
            let _ = writeln!(s, "* {}", phrase::warning(w, l));
        }
    }
    s
}

/// Findings (each phrased) and the blame.
fn findings(s: &mut String, a: &Analysis, l: Lang) {
    section(s, l.pick("Findings", "발견 사항"));
    for f in &a.findings {
        let w = phrase::finding(a, f, l);
        let level = phrase::severity(f.severity, l);
        let _ = writeln!(s, "[{level}] {} — {}", f.id(), w.title);
        let _ = writeln!(s, "    {}", w.description);
        for e in &w.evidence {
            let _ = writeln!(s, "    * {e}");
        }
        let _ = writeln!(
            s,
            "    {} {}",
            l.pick("Recommendation:", "권장 조치:"),
            w.recommendation
        );
    }
    if let Some(b) = &a.blame {
        section(s, l.pick("Blame", "책임 모듈"));
        let _ = writeln!(s, "{}", phrase::blame_reason(a, b, l));
    }
}

/// `.exr -1`, `r`, and `!address` of the accessed address and of the instruction pointer.
fn exception_and_memory(s: &mut String, a: &Analysis, l: Lang) {
    let p = a.ptr_size();
    section(s, l.pick("Exception (.exr -1)", "예외 (.exr -1)"));
    s.push_str(&windbg::exr(a));
    section(s, l.pick("Registers (r)", "레지스터 (r)"));
    s.push_str(&windbg::registers(a));
    if let Some(t) = &a.target_region {
        section(s, &format!("!address {}", fmt_addr(t.address, p)));
        s.push_str(&windbg::address(t, p));
    }
    if let Some(ip) = &a.ip_region {
        section(
            s,
            &format!(
                "!address {} ({})",
                fmt_addr(ip.address, p),
                l.pick("instruction pointer", "명령 포인터")
            ),
        );
        s.push_str(&windbg::address(ip, p));
    }
}

/// The faulting thread's `kb`, with WinDbg's export-symbols warnings before it and the
/// unreliable-name warning after it.
fn stack(s: &mut String, a: &Analysis, l: Lang) {
    let i = a
        .exception
        .as_ref()
        .and_then(|e| e.thread_index)
        .unwrap_or(0);
    section(
        s,
        &l.pick(
            format!("Stack of thread {i} (kb)"),
            format!("스레드 {i}의 호출 스택 (kb)"),
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
        let far = far.join(", ");
        let _ = writeln!(
            s,
            "{}",
            l.pick(
                format!("WARNING: frames {far} are named after the nearest export, which lies implausibly far away: the function is probably not exported and the name is unreliable"),
                format!("경고: 프레임 {far}의 이름은 가장 가까운 내보내기에서 왔지만 그 내보내기가 지나치게 멀리 있습니다. 함수가 내보내지 않은 함수일 가능성이 높으므로 이름을 신뢰할 수 없습니다"),
            )
        );
    }
}

/// `lmvm` of the blamed and the faulting module (once each), then `lm`.
fn modules(s: &mut String, a: &Analysis, l: Lang) {
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
    section(s, l.pick("Modules (lm)", "모듈 (lm)"));
    s.push_str(&windbg::lm(a));
}

/// The process: image, PID, command line, pool, times, system, heaps, comments.
fn process(s: &mut String, a: &Analysis, l: Lang) {
    section(s, l.pick("Process", "프로세스"));
    s.push_str(&process_lines(a, l));
}

/// The lines of the Process section (shared with the HTML report).
pub(crate) fn process_lines(a: &Analysis, l: Lang) -> String {
    let p = a.ptr_size();
    let unknown = || l.pick("unknown", "알 수 없음").to_string();
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut line = |label: &str, v: &str| rows.push((format!("{label}:"), v.to_string()));
    let pr = &a.process;
    line(
        l.pick("Image", "이미지"),
        pr.image_path
            .as_deref()
            .or(pr.name.as_deref())
            .unwrap_or(&unknown()),
    );
    line(
        "PID",
        &pr.pid.map(|v| v.to_string()).unwrap_or_else(unknown),
    );
    line(
        l.pick("Command line", "명령줄"),
        pr.command_line.as_deref().unwrap_or(l.pick(
            "unknown (PEB not in the dump)",
            "알 수 없음(덤프에 PEB 없음)",
        )),
    );
    if let Some(pool) = &pr.app_pool {
        line(l.pick("App pool", "응용 프로그램 풀"), pool);
    }
    let at = |t: Option<u64>| t.map(time::rfc3339).unwrap_or_else(unknown);
    line(l.pick("Started", "시작 시간"), &at(pr.create_time));
    line(l.pick("Dump time", "덤프 시간"), &at(pr.dump_time));
    line(
        l.pick("Uptime", "실행 시간"),
        &pr.uptime.map(time::duration).unwrap_or_else(unknown),
    );
    let sys = &a.system;
    line(
        l.pick("System", "시스템"),
        &l.pick(
            format!(
                "{} {} {} ({} CPUs)",
                sys.os_name,
                sys.os_version,
                sys.arch.name(),
                sys.cpu_count
            ),
            format!(
                "{} {} {} (CPU {}개)",
                sys.os_name,
                sys.os_version,
                sys.arch.name(),
                sys.cpu_count
            ),
        ),
    );
    if let Some(h) = &pr.heaps {
        let heaps = h
            .iter()
            .map(|x| fmt_addr(*x, p))
            .collect::<Vec<_>>()
            .join(" ");
        line(l.pick("Heaps (PEB)", "힙 (PEB)"), &heaps);
    }
    for c in &a.comments {
        line(l.pick("Comment", "주석"), c.lines().next().unwrap_or(""));
    }
    aligned(&rows, 14)
}

/// `label value` rows with the values in one column: at `min` terminal columns, or one past the
/// widest label when a label is wider (`응용 프로그램 풀:` is 17 columns).
pub(crate) fn aligned(rows: &[(String, String)], min: usize) -> String {
    let widest = rows
        .iter()
        .map(|(k, _)| unicode_width::UnicodeWidthStr::width(k.as_str()) + 1)
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for (k, v) in rows {
        let _ = writeln!(s, "{}{v}", pad(k, widest.max(min)));
    }
    s
}

/// An input that could not be analysed: its error is the caller's to print, once, on stderr.
fn failed_line(path: &std::path::Path, l: Lang) -> String {
    let p = path.display();
    l.pick(
        format!("failed: {p} (not analysed; the error is on stderr)\n"),
        format!("실패: {p} (분석하지 못했습니다. 오류는 stderr에 있습니다)\n"),
    )
}

/// Report for several inputs, in `lang`: with more than one input, a summary of the groups (each
/// with its verdict) comes first, naming the inputs that failed or are damaged; then each
/// analysis.
pub fn render(outcomes: &[Outcome], lang: Lang) -> String {
    let l = lang;
    let mut s = String::new();
    let ok = outcomes.iter().filter(|o| o.analysis().is_some()).count();
    if outcomes.len() > 1 {
        let n = outcomes.len();
        let _ = writeln!(
            s,
            "{}",
            l.pick(
                format!("== Summary: {n} dumps, {ok} analysed =="),
                format!("== 요약: 덤프 {n}개, 분석 {ok}개 =="),
            )
        );
        for (bucket, paths) in crate::groups(outcomes) {
            let share = phrase::sharing(paths.len(), ok, l);
            let _ = writeln!(
                s,
                "{}",
                l.pick(
                    format!("{share} bucket {bucket}"),
                    format!("{share}의 버킷: {bucket}"),
                )
            );
            group_verdict(&mut s, outcomes, &paths, l);
            for p in paths {
                let _ = writeln!(s, "    {}", p.display());
            }
        }
        for o in outcomes {
            match o {
                Outcome::Failed { path, .. } => s.push_str(&failed_line(path, l)),
                Outcome::Done(a) if !a.complete() => {
                    let _ = writeln!(
                        s,
                        "{}: {}: {}",
                        l.pick("damaged", "손상됨"),
                        a.path.display(),
                        phrase::damage_line(a, l)
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
            Outcome::Failed { path, .. } if outcomes.len() == 1 => {
                s.push_str(&failed_line(path, l))
            }
            Outcome::Failed { .. } => {}
            Outcome::Done(a) => {
                s.push_str(&render_one(a, l));
                s.push('\n');
            }
        }
    }
    s
}

/// The verdict, who to call and class of the group member whose dump tells the most (a
/// classification finer than the bucket's).
fn group_verdict(s: &mut String, outcomes: &[Outcome], paths: &[std::path::PathBuf], l: Lang) {
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
        for (row, v) in phrase::rows(a, l) {
            if matches!(row, Row::Verdict | Row::WhoToCall | Row::Class) {
                let _ = writeln!(s, "    {} {}", pad(&format!("{}:", row.label(l)), 12), v);
            }
        }
    }
}
