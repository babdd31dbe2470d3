//! The summary rows of one dump's report: what crashed (or which process was dumped), why, the
//! verdict, what to do, who to call, the bucket and the finer class.

use super::finding;
use crate::time;
use coroner_analysis::{fmt_addr, Analysis, FindingKind};
use std::fmt::Write;

/// The verdict lines: what crashed, why, verdict, who to call, bucket.
pub fn summary(a: &Analysis) -> Vec<(String, String)> {
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
                let w = finding(a, f);
                rows.push(("Verdict".into(), w.title));
                rows.push(("What to do".into(), w.recommendation));
            }
        } else {
            rows.push((
                "Why".into(),
                "no exception: the dump was taken on demand, not at a crash".into(),
            ));
            // --- memory (issue 15): a leak shows in a dump taken on demand ---
            if let Some(f) = a
                .findings
                .first()
                .filter(|f| matches!(f.kind, FindingKind::MemoryGrowth | FindingKind::HandleLeak))
            {
                let w = finding(a, f);
                rows.push(("Verdict".into(), w.title));
                rows.push(("What to do".into(), w.recommendation));
            }
            // --- end memory ---
        }
        if a.hang_verdict() {
            hang_rows(a, &mut rows);
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
        let w = finding(a, f);
        rows.push(("Verdict".into(), w.title));
        rows.push(("What to do".into(), w.recommendation));
    }
    rows.push(("Who to call".into(), who_to_call(a)));
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

/// A hang dump's verdict, what to do, who to call and bucket.
fn hang_rows(a: &Analysis, rows: &mut Vec<(String, String)>) {
    if let Some(f) = a
        .findings
        .iter()
        .find(|f| coroner_analysis::hang::verdict::is_hang(f.kind))
    {
        let w = finding(a, f);
        rows.push(("Verdict".into(), w.title));
        rows.push(("What to do".into(), w.recommendation));
    }
    rows.push(("Who to call".into(), who_to_call(a)));
    if let Some(bk) = &a.bucket {
        rows.push(("Bucket".into(), bk.clone()));
    }
}

/// The streams of a damage list, by name: `ExceptionStream, SystemInfoStream`.
pub(super) fn stream_names(v: &[coroner_model::StreamLoss]) -> String {
    v.iter()
        .map(|l| l.stream.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `streams lost: ExceptionStream, SystemInfoStream; 4096 of 352080 bytes present`.
pub fn damage_line(a: &Analysis) -> String {
    let Some(d) = &a.damage else {
        return "complete".into();
    };
    let mut parts = Vec::new();
    if !d.streams_lost.is_empty() {
        parts.push(format!("streams lost: {}", stream_names(&d.streams_lost)));
    }
    if !d.streams_partial.is_empty() {
        parts.push(format!("incomplete: {}", stream_names(&d.streams_partial)));
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

/// Who to call about the crash: the blamed module's vendor, or "unknown" when every frame is
/// operating-system or runtime code, or when a hang dump shows no known pattern.
pub fn who_to_call(a: &Analysis) -> String {
    match &a.blame {
        Some(b) => who(b),
        None if a.has(coroner_analysis::FindingKind::NoHangPattern) => {
            "unknown: no known hang pattern names a cause".into()
        }
        None => "unknown: every frame is operating-system or runtime code".into(),
    }
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

/// How many of `n` dumps have one bucket, as the start of a sentence: "The dump has", "Both
/// dumps share", "All 5 dumps share", "1 of 6 dumps has", "5 of 6 dumps share".
pub fn sharing(k: usize, n: usize) -> String {
    match (k, n) {
        (_, 1) => "The dump has".into(),
        (2, 2) => "Both dumps share".into(),
        (k, n) if k == n => format!("All {n} dumps share"),
        (1, n) => format!("1 of {n} dumps has"),
        (k, n) => format!("{k} of {n} dumps share"),
    }
}

/// `n` things in the singular or plural: "1 crash", "7 crashes", "0 web logs".
pub fn count<N: std::fmt::Display + PartialEq + From<u8>>(n: N, one: &str, many: &str) -> String {
    if n == N::from(1) {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::{count, sharing};

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "crash", "crashes"), "1 crash");
        assert_eq!(count(7, "crash", "crashes"), "7 crashes");
        assert_eq!(count(0, "web log", "web logs"), "0 web logs");
    }

    #[test]
    fn counts_are_phrased_in_the_singular_and_plural() {
        assert_eq!(sharing(1, 1), "The dump has");
        assert_eq!(sharing(2, 2), "Both dumps share");
        assert_eq!(sharing(5, 5), "All 5 dumps share");
        assert_eq!(sharing(1, 6), "1 of 6 dumps has");
        assert_eq!(sharing(5, 6), "5 of 6 dumps share");
    }
}
