//! The short `!address -summary` of a report: coroner's summary of the address space, the VM
//! counters and the process heaps (the full WinDbg tables are the shell's), labelled in the
//! report's language and aligned by display width.

use super::Lang;
use crate::text::pad;
use crate::windbg::size_text;
use coroner_analysis::{fmt_addr, Analysis};
use std::fmt::Write;

/// Terminal columns of the label column.
const LABEL: usize = 25;

fn line(s: &mut String, label: &str, value: &str) {
    let _ = writeln!(s, "{}{value}", pad(label, LABEL));
}

/// Committed, reserved and free totals, the largest free region, the free fragments below
/// 1 MB, the largest module images, then the private bytes and the heaps (`None` without a
/// region list).
pub fn memory_summary(a: &Analysis, l: Lang) -> Option<String> {
    use coroner_model::{MEM_COMMIT, MEM_FREE, MEM_RESERVE};
    let m = a.memory.address_summary.as_ref()?;
    let p = a.ptr_size();
    let mut s = String::new();
    let regions = format!("{} ({})", m.regions, m.source);
    line(&mut s, l.pick("Regions:", "영역:"), &regions);
    for (label, state) in [
        (l.pick("Committed:", "커밋:"), MEM_COMMIT),
        (l.pick("Reserved:", "예약:"), MEM_RESERVE),
        (l.pick("Free:", "빈 영역:"), MEM_FREE),
    ] {
        line(&mut s, label, &size_text(m.state_bytes(state)));
    }
    let largest = match &m.largest_free {
        Some(f) => format!("{} {}", fmt_addr(f.base, p), size_text(f.size)),
        None => l.pick("none", "없음").into(),
    };
    line(
        &mut s,
        l.pick("Largest free region:", "가장 큰 빈 영역:"),
        &largest,
    );
    let (n, bytes) = (m.free_below_1mb.regions, size_text(m.free_below_1mb.bytes));
    line(
        &mut s,
        l.pick("Free regions below 1 MB:", "1 MB 미만 빈 영역:"),
        &l.pick(format!("{n} regions, {bytes}"), format!("{n}개, {bytes}")),
    );
    if !m.top_modules.is_empty() {
        let _ = writeln!(s, "{}", l.pick("Largest modules:", "가장 큰 모듈:"));
        for t in &m.top_modules {
            let _ = writeln!(
                s,
                "  {} {} {}",
                pad(&t.name, 22),
                fmt_addr(t.base, p),
                size_text(t.size)
            );
        }
    }
    counters(a, &mut s, l);
    Some(s)
}

/// The VM counters' private bytes and the `!heap -s` totals (issue 15), when the dump has them.
fn counters(a: &Analysis, s: &mut String, l: Lang) {
    if let Some(v) = &a.memory.vm_counters {
        let (private, peak) = (size_text(v.private_usage), size_text(v.peak_pagefile_usage));
        line(
            s,
            l.pick("Private bytes:", "개인 바이트:"),
            &l.pick(
                format!("{private} (peak pagefile usage {peak})"),
                format!("{private} (최대 페이지 파일 사용량 {peak})"),
            ),
        );
    }
    let Some(h) = &a.memory.heaps else { return };
    let walked: Vec<_> = h.heaps.iter().filter(|x| x.committed().is_some()).collect();
    let sum = |f: fn(&coroner_analysis::heap::HeapSummary) -> Option<u64>| {
        walked.iter().filter_map(|x| f(x)).sum::<u64>()
    };
    let (n, w) = (h.heaps.len(), walked.len());
    let mut v = l.pick(
        format!("{n} recognised, {w} walked"),
        format!("인식 {n}개, 검사 {w}개"),
    );
    if !walked.is_empty() {
        let (c, r) = (
            size_text(sum(|x| x.committed())),
            size_text(sum(|x| x.reserved())),
        );
        v += &l.pick(
            format!(": {c} committed, {r} reserved"),
            format!(": 커밋 {c}, 예약 {r}"),
        );
    }
    v += &layout_note(h, l);
    v += &notes(h.problems.len(), l);
    line(s, l.pick("Process heaps:", "프로세스 힙:"), &v);
}

/// Where the walked heaps' offsets came from, said once: `; offsets from ntdll.pdb (id)` or
/// `; offsets of known builds`.
fn layout_note(h: &coroner_analysis::heap::Heaps, l: Lang) -> String {
    use coroner_analysis::heap::LayoutSource;
    let sources = h.layout_sources();
    let v: Vec<String> = sources
        .iter()
        .map(|x| match x {
            LayoutSource::KnownBuild => l.pick("known builds", "알려진 빌드").to_string(),
            LayoutSource::Pdb { name, id } => format!("{name} ({id})"),
        })
        .collect();
    if v.is_empty() {
        return String::new();
    }
    let list = v.join(l.pick(" and ", ", "));
    match (l, matches!(sources[..], [LayoutSource::KnownBuild])) {
        (Lang::En, true) => format!("; offsets of {list}"),
        (Lang::En, false) => format!("; offsets from {list}"),
        (Lang::Ko, _) => format!("; 오프셋 출처: {list}"),
    }
}

/// The heap problems as notes: heaps not read, walks cut short, heaps found by signature.
fn notes(n: usize, l: Lang) -> String {
    match (n, l) {
        (0, _) => String::new(),
        // "notes", not "failures": some are only how a heap was found.
        (1, Lang::En) => " (1 note: see !heap -s)".into(),
        (n, Lang::En) => format!(" ({n} notes: see !heap -s)"),
        (n, Lang::Ko) => format!(" (참고 사항 {n}개: !heap -s 참조)"),
    }
}
