//! The summary rows of one dump's report: what crashed (or which process was dumped), why, the
//! verdict, what to do, who to call, the bucket and the finer class.

use super::{finding, Lang};
use crate::time;
use coroner_analysis::{fmt_addr, Analysis, FindingKind};
use std::fmt::Write;

/// The verdict lines: what crashed, why, verdict, who to call, bucket. Each row is (label,
/// value); [`Row`] names the label whatever the language.
pub fn summary(a: &Analysis, lang: Lang) -> Vec<(String, String)> {
    rows(a, lang)
        .into_iter()
        .map(|(r, v)| (r.label(lang).to_string(), v))
        .collect()
}

/// A summary row's meaning, so that a renderer can pick rows without comparing words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// The process dumped without an exception.
    Process,
    /// What crashed.
    WhatCrashed,
    /// Why.
    Why,
    /// The verdict (first finding's title).
    Verdict,
    /// What to do.
    WhatToDo,
    /// Who to call.
    WhoToCall,
    /// The bucket.
    Bucket,
    /// The finer class.
    Class,
}

impl Row {
    /// The row's label.
    pub fn label(self, l: Lang) -> &'static str {
        match self {
            Row::Process => l.pick("Process", "프로세스"),
            Row::WhatCrashed => l.pick("What crashed", "충돌한 대상"),
            Row::Why => l.pick("Why", "원인"),
            Row::Verdict => l.pick("Verdict", "판정"),
            Row::WhatToDo => l.pick("What to do", "조치"),
            Row::WhoToCall => l.pick("Who to call", "문의처"),
            Row::Bucket => l.pick("Bucket", "버킷"),
            Row::Class => l.pick("Class", "분류"),
        }
    }
}

/// The summary rows by meaning (see [`summary`]).
pub fn rows(a: &Analysis, l: Lang) -> Vec<(Row, String)> {
    let p = a.ptr_size();
    let mut rows = Vec::new();
    let proc_name = a
        .process
        .name
        .clone()
        .unwrap_or_else(|| l.pick("unknown process", "알 수 없는 프로세스").into());
    let mut what = proc_name.clone();
    if let Some(pid) = a.process.pid {
        let _ = write!(what, " (pid {pid}");
        if let Some(pool) = &a.process.app_pool {
            let _ = write!(
                what,
                ", {} \"{pool}\"",
                l.pick("application pool", "응용 프로그램 풀")
            );
        }
        what.push(')');
    }
    if let Some(e) = &a.exception {
        if let Some(i) = e.thread_index {
            let _ = match l {
                Lang::En => write!(what, ", thread {i} (id 0x{:x})", e.thread_id),
                Lang::Ko => write!(what, ", 스레드 {i}(ID 0x{:x})", e.thread_id),
            };
        }
    }
    // A dump without an exception record is a snapshot of a process, not proof that it died.
    let label = if a.exception.is_none() && !a.exception_lost() {
        Row::Process
    } else {
        Row::WhatCrashed
    };
    rows.push((label, what));
    let Some(e) = &a.exception else {
        no_exception_rows(a, l, &mut rows);
        return rows;
    };
    rows.push((Row::Why, why(a, e, p, l)));
    if let Some(f) = a.findings.first() {
        let w = finding(a, f, l);
        rows.push((Row::Verdict, w.title));
        rows.push((Row::WhatToDo, w.recommendation));
    }
    rows.push((Row::WhoToCall, who_to_call(a, l)));
    if let Some(bk) = &a.bucket {
        rows.push((Row::Bucket, bk.clone()));
    }
    if let Some(c) = a.finer_classification() {
        rows.push((
            Row::Class,
            l.pick(
                format!("{c} (what this dump alone shows; not in the bucket, so that every dump type of the crash groups together)"),
                format!("{c}(이 덤프에서만 보이는 분류입니다. 같은 충돌의 모든 덤프 형식이 한 그룹이 되도록 버킷에는 넣지 않습니다)"),
            ),
        ));
    }
    rows
}

/// The rows of a dump without an exception record: lost, or taken on demand.
fn no_exception_rows(a: &Analysis, l: Lang, rows: &mut Vec<(Row, String)>) {
    if a.exception_lost() {
        rows.push((
            Row::Why,
            l.pick(
                "unknown: the dump is damaged and its exception stream is lost",
                "알 수 없음: 덤프가 손상되어 예외 스트림이 손실되었습니다",
            )
            .into(),
        ));
        if let Some(f) = a.findings.first() {
            let w = finding(a, f, l);
            rows.push((Row::Verdict, w.title));
            rows.push((Row::WhatToDo, w.recommendation));
        }
    } else {
        rows.push((
            Row::Why,
            l.pick(
                "no exception: the dump was taken on demand, not at a crash",
                "예외 없음: 충돌 시점이 아니라 필요에 따라 작성된 덤프입니다",
            )
            .into(),
        ));
        // --- memory (issue 15): a leak shows in a dump taken on demand ---
        if let Some(f) = a
            .findings
            .first()
            .filter(|f| matches!(f.kind, FindingKind::MemoryGrowth | FindingKind::HandleLeak))
        {
            let w = finding(a, f, l);
            rows.push((Row::Verdict, w.title));
            rows.push((Row::WhatToDo, w.recommendation));
        }
        // --- end memory ---
    }
    if a.hang_verdict() {
        hang_rows(a, l, rows);
    }
}

/// Why: exception, target, place, caller, nesting.
fn why(a: &Analysis, e: &coroner_analysis::ExceptionFacts, p: u8, l: Lang) -> String {
    let mut why = match (&e.access, e.target) {
        (Some(acc), Some(t)) => {
            let what_mem = if a.has(FindingKind::FreedMemory) {
                l.pick("freed memory ", "해제된 메모리 ")
            } else if a.has(FindingKind::NullPointer) {
                l.pick("a NULL pointer ", "NULL 포인터 ")
            } else {
                ""
            };
            let t = fmt_addr(t, p);
            let word = match acc {
                coroner_analysis::Access::Read => l.pick("reading", "읽기"),
                coroner_analysis::Access::Write => l.pick("writing", "쓰기"),
                coroner_analysis::Access::Execute => l.pick("executing", "실행"),
            };
            l.pick(
                format!("access violation {word} {what_mem}at {t}"),
                format!("{what_mem}{t} {word} 중 액세스 위반"),
            )
        }
        _ => format!("{} (0x{:08x})", e.name, e.code),
    };
    if let Some(sym) = &a.instruction_symbol {
        let _ = match l {
            Lang::En => write!(why, " inside {sym}"),
            Lang::Ko => write!(why, ", 위치 {sym}"),
        };
    }
    if let Some(b) = &a.blame {
        let first = a.frames.first().and_then(|f| f.symbol.module.clone());
        if b.frame.unwrap_or(0) > 0 && first.as_deref() != Some(b.module.as_str()) {
            let m = module_desc(b, l);
            let _ = match l {
                Lang::En => write!(why, ", called by {m}"),
                Lang::Ko => write!(why, ", 호출자 {m}"),
            };
        } else if b.unloaded {
            let m = &b.module;
            let _ = match l {
                Lang::En => write!(why, " — code of {m}, which had been unloaded"),
                Lang::Ko => write!(why, " — 이미 언로드된 {m}의 코드"),
            };
        }
    }
    if a.nesting_levels > 0 {
        let n = a.nesting_levels;
        let s = if n == 1 { "" } else { "s" };
        let _ = match (&a.blame, l) {
            (Some(_), Lang::En) => write!(
                why,
                ", whose exception handler re-entered the fault ({n} nested exception{s})"
            ),
            (None, Lang::En) => write!(
                why,
                "; an exception handler re-entered the fault ({n} nested exception{s})"
            ),
            (Some(_), Lang::Ko) => write!(
                why,
                ", 그 예외 처리기가 오류 코드에 다시 들어감(중첩된 예외 {n}개)"
            ),
            (None, Lang::Ko) => write!(
                why,
                "; 예외 처리기가 오류 코드에 다시 들어감(중첩된 예외 {n}개)"
            ),
        };
    }
    why
}

/// A hang dump's verdict, what to do, who to call and bucket.
fn hang_rows(a: &Analysis, l: Lang, rows: &mut Vec<(Row, String)>) {
    if let Some(f) = a
        .findings
        .iter()
        .find(|f| coroner_analysis::hang::verdict::is_hang(f.kind))
    {
        let w = finding(a, f, l);
        rows.push((Row::Verdict, w.title));
        rows.push((Row::WhatToDo, w.recommendation));
    }
    rows.push((Row::WhoToCall, who_to_call(a, l)));
    if let Some(bk) = &a.bucket {
        rows.push((Row::Bucket, bk.clone()));
    }
}

/// The streams of a damage list, by name: `ExceptionStream, SystemInfoStream`.
pub(super) fn stream_names(v: &[coroner_model::StreamLoss]) -> String {
    v.iter()
        .map(|l| l.stream.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The note for a dump analysed only in part: `damaged dump, analysed only in part (…)`.
pub fn damaged_note(a: &Analysis, l: Lang) -> String {
    let what = damage_line(a, l);
    l.pick(
        format!("damaged dump, analysed only in part ({what})"),
        format!("손상된 덤프라 일부만 분석했습니다 ({what})"),
    )
}

/// `streams lost: ExceptionStream, SystemInfoStream; 4096 of 352080 bytes present`.
pub fn damage_line(a: &Analysis, l: Lang) -> String {
    let Some(d) = &a.damage else {
        return l.pick("complete", "완전함").into();
    };
    let mut parts = Vec::new();
    if !d.streams_lost.is_empty() {
        let lost = stream_names(&d.streams_lost);
        parts.push(format!(
            "{}: {lost}",
            l.pick("streams lost", "손실된 스트림")
        ));
    }
    if !d.streams_partial.is_empty() {
        let partial = stream_names(&d.streams_partial);
        parts.push(format!("{}: {partial}", l.pick("incomplete", "불완전")));
    }
    let (present, of) = (d.bytes_present, d.bytes_needed.max(d.bytes_present));
    parts.push(l.pick(
        format!("{present} of {of} bytes present"),
        format!("{of}바이트 중 {present}바이트 있음"),
    ));
    parts.join("; ")
}

fn module_desc(b: &coroner_analysis::Blame, l: Lang) -> String {
    let mut s = b.module.clone();
    if let Some(v) = &b.version {
        let _ = write!(s, " {v}");
    }
    let mut extra = Vec::new();
    if let Some(c) = &b.vendor {
        extra.push(c.clone());
    }
    if let Some(ts) = b.timestamp {
        let day = &time::rfc3339(u64::from(ts))[..10];
        extra.push(l.pick(format!("built {day}"), format!("빌드 {day}")));
    }
    if let Some(sym) = &b.symbol {
        extra.push(sym.clone());
    }
    if !extra.is_empty() {
        let _ = write!(s, " ({})", extra.join(", "));
    }
    s
}

/// Who to call about the crash: the blamed module's vendor, or "unknown" when every frame is
/// operating-system or runtime code, or when a hang dump shows no known pattern.
pub fn who_to_call(a: &Analysis, l: Lang) -> String {
    match &a.blame {
        Some(b) => who(b, l),
        None if a.has(coroner_analysis::FindingKind::NoHangPattern) => l
            .pick(
                "unknown: no known hang pattern names a cause",
                "알 수 없음: 알려진 중단 패턴 중 원인을 가리키는 것이 없습니다",
            )
            .into(),
        None => l
            .pick(
                "unknown: every frame is operating-system or runtime code",
                "알 수 없음: 모든 프레임이 운영 체제 또는 런타임 코드입니다",
            )
            .into(),
    }
}

/// `Example Corp (from LegalCopyright; CompanyName unreadable) — vendor of x.dll 1.0, …`; the
/// note on where the name came from is left out when it is the CompanyName.
fn who(b: &coroner_analysis::Blame, l: Lang) -> String {
    use coroner_analysis::vendor::{implausible, VendorSource};
    let module = match &b.version {
        Some(v) => format!("{} {v}", b.module),
        None => b.module.clone(),
    };
    let prov = super::provenance(b, l);
    let mut s = match (&b.vendor, b.vendor_source) {
        (Some(c), Some(VendorSource::CompanyName)) => l.pick(
            format!("{c} — vendor of {module}"),
            format!("{c} — {module}의 공급업체"),
        ),
        (Some(c), _) => l.pick(
            format!("{c} ({prov}) — vendor of {module}"),
            format!("{c} ({prov}) — {module}의 공급업체"),
        ),
        (None, _) if b.unloaded => l.pick(
            format!("the vendor of {module}"),
            format!("{module}의 공급업체"),
        ),
        (None, _) => l.pick(
            format!(
                "unknown — the version resource of {module} names no plausible vendor ({prov})"
            ),
            format!(
                "알 수 없음 — {module}의 버전 리소스에 그럴듯한 공급업체 이름이 없습니다({prov})"
            ),
        ),
    };
    let product_is_vendor = b.vendor_source == Some(VendorSource::ProductName);
    if let Some(p) = b.product.as_ref().filter(|p| implausible(p).is_none()) {
        if !product_is_vendor {
            let _ = write!(s, ", {} \"{p}\"", l.pick("product", "제품"));
        }
    }
    if let Some(ts) = b.timestamp {
        let _ = write!(
            s,
            ", {} {}",
            l.pick("built", "빌드"),
            time::rfc3339(u64::from(ts))
        );
    }
    if b.unloaded {
        s.push_str(l.pick(" (module was unloaded)", " (모듈이 언로드됨)"));
    }
    s
}

/// How many of `n` dumps have one bucket, as the start of a sentence: "The dump has", "Both
/// dumps share", "All 5 dumps share", "1 of 6 dumps has", "5 of 6 dumps share"; in Korean a
/// noun phrase without particle (the caller words the rest): "덤프 1개", "덤프 2개 모두",
/// "덤프 6개 중 5개".
pub fn sharing(k: usize, n: usize, l: Lang) -> String {
    match (l, k, n) {
        (Lang::En, _, 1) => "The dump has".into(),
        (Lang::En, 2, 2) => "Both dumps share".into(),
        (Lang::En, k, n) if k == n => format!("All {n} dumps share"),
        (Lang::En, 1, n) => format!("1 of {n} dumps has"),
        (Lang::En, k, n) => format!("{k} of {n} dumps share"),
        (Lang::Ko, _, 1) => "덤프 1개".into(),
        (Lang::Ko, k, n) if k == n => format!("덤프 {n}개 모두"),
        (Lang::Ko, k, n) => format!("덤프 {n}개 중 {k}개"),
    }
}

/// A countable noun in every language: English singular and plural, and the Korean noun (which
/// has no plural: "덤프 3개").
#[derive(Clone, Copy, Debug)]
pub struct Noun {
    /// English singular.
    pub one: &'static str,
    /// English plural.
    pub many: &'static str,
    /// Korean, counted with 개.
    pub ko: &'static str,
}

impl Noun {
    /// Dumps.
    pub const DUMP: Noun = Noun {
        one: "dump",
        many: "dumps",
        ko: "덤프",
    };
    /// Threads.
    pub const THREAD: Noun = Noun {
        one: "thread",
        many: "threads",
        ko: "스레드",
    };
}

/// `n` things in `l`: "1 dump", "7 dumps", "덤프 7개".
pub fn counted<N: std::fmt::Display + PartialEq + From<u8>>(n: N, noun: Noun, l: Lang) -> String {
    match l {
        Lang::En => count(n, noun.one, noun.many),
        Lang::Ko => format!("{} {n}개", noun.ko),
    }
}

/// `n` things in the singular or plural, in English: "1 crash", "7 crashes", "0 web logs"
/// (the investigate report's words; [`counted`] is the same in every language).
pub fn count<N: std::fmt::Display + PartialEq + From<u8>>(n: N, one: &str, many: &str) -> String {
    if n == N::from(1) {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::{count, counted, sharing, Lang, Noun};

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "crash", "crashes"), "1 crash");
        assert_eq!(count(7, "crash", "crashes"), "7 crashes");
        assert_eq!(count(0, "web log", "web logs"), "0 web logs");
        assert_eq!(counted(1, Noun::DUMP, Lang::En), "1 dump");
        assert_eq!(counted(3, Noun::DUMP, Lang::Ko), "덤프 3개");
        assert_eq!(counted(1, Noun::THREAD, Lang::Ko), "스레드 1개");
    }

    #[test]
    fn counts_are_phrased_in_the_singular_and_plural() {
        assert_eq!(sharing(1, 1, Lang::En), "The dump has");
        assert_eq!(sharing(2, 2, Lang::En), "Both dumps share");
        assert_eq!(sharing(5, 5, Lang::En), "All 5 dumps share");
        assert_eq!(sharing(1, 6, Lang::En), "1 of 6 dumps has");
        assert_eq!(sharing(5, 6, Lang::En), "5 of 6 dumps share");
        assert_eq!(sharing(5, 6, Lang::Ko), "덤프 6개 중 5개");
        assert_eq!(sharing(2, 2, Lang::Ko), "덤프 2개 모두");
    }
}
