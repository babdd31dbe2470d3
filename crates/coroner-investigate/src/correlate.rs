//! Correlation: dumps ↔ termination events ↔ web logs, per application pool.

use crate::config::IisConfig;
use crate::evidence::Evidence;
use crate::model::*;
use crate::poolname;
use crate::time::{self, code, Time};
use coroner_eventlog::{interpret, Event, Meaning};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Seconds a dump and a termination event of the same PID may be apart.
const PID_WINDOW: i64 = 600;
/// Seconds two records without a common PID may be apart and still be one death.
const NEAR_WINDOW: i64 = 30;
/// Seconds between a worker's death and the HTTPERR `Connection_Abandoned_By_AppPool` lines.
const ABANDON_WINDOW: i64 = 120;
/// Most examples kept per list.
const MAX_EXAMPLES: usize = 20;

/// A piece of evidence that a process died.
#[derive(Clone, Debug)]
struct Signal {
    time: i64,
    pid: Option<u32>,
    pool: Option<String>,
    process: Option<String>,
    /// The process's exit code, which only termination events carry (W3SVC 1009, WAS 5009).
    exit_code: Option<u32>,
    /// The exception code of a fault record (Application Error 1000, WER).
    exception_code: Option<u32>,
    /// A termination event (the service saw the process die) rather than a fault record.
    termination: bool,
    how: String,
    evidence: EvidenceRef,
}

#[derive(Clone, Debug)]
struct CrashBuild {
    time: i64,
    first_event: Option<i64>,
    pid: Option<u32>,
    pool: Option<String>,
    process: Option<String>,
    /// Exit code and the event that gave it.
    exit_code: Option<(u32, String)>,
    /// Exception code and where it was read.
    exception_code: Option<(u32, String)>,
    /// Earliest fault record (dump, Application Error, WER) and what it is.
    fault: Option<(i64, String)>,
    /// Earliest termination event and what it is.
    terminated: Option<(i64, String)>,
    how: Vec<String>,
    evidence: Vec<EvidenceRef>,
    dump: Option<usize>,
    /// Snapshots (hang, manual, first-chance dumps) of the process taken before it died, when
    /// `dump` is already another dump.
    other_dumps: Vec<usize>,
}

/// Keeps the earlier of `slot` and `(t, what)`.
fn earliest(slot: &mut Option<(i64, String)>, t: i64, what: &str) {
    if slot.as_ref().is_none_or(|(s, _)| t < *s) {
        *slot = Some((t, what.to_string()));
    }
}

impl CrashBuild {
    fn from_signal(s: Signal) -> CrashBuild {
        let mut c = CrashBuild {
            time: s.time,
            first_event: None,
            pid: None,
            pool: None,
            process: None,
            exit_code: None,
            exception_code: None,
            fault: None,
            terminated: None,
            how: Vec::new(),
            evidence: Vec::new(),
            dump: None,
            other_dumps: Vec::new(),
        };
        c.absorb(s);
        c
    }

    /// Adds one more record of the same death. The exit code comes from the first event that
    /// carries one (a 1011 before the 1009 has none); fault and termination times stay apart.
    fn absorb(&mut self, s: Signal) {
        self.pid = self.pid.or(s.pid);
        self.pool = self.pool.take().or(s.pool);
        self.process = self.process.take().or(s.process);
        let what = &s.evidence.what;
        if self.exit_code.is_none() {
            self.exit_code = s.exit_code.map(|c| (c, what.clone()));
        }
        if self.exception_code.is_none() {
            self.exception_code = s.exception_code.map(|c| (c, what.clone()));
        }
        if s.termination {
            earliest(&mut self.terminated, s.time, what);
        } else {
            earliest(&mut self.fault, s.time, what);
        }
        self.time = self.time.min(s.time);
        self.first_event = Some(self.first_event.map_or(s.time, |f| f.min(s.time)));
        if !self.how.contains(&s.how) {
            self.how.push(s.how);
        }
        self.evidence.push(s.evidence);
    }
}

/// What correlation needs of one dump.
struct DumpFacts {
    pid: Option<u32>,
    time: Option<i64>,
    time_source: Option<String>,
    process: Option<String>,
    pool: Option<String>,
    exception: Option<u32>,
    capture: crate::capture::Capture,
}

/// Pid, time, process, pool and capture kind of one dump; file-name times are local and
/// shifted by `bias` (minutes, UTC − local).
fn dump_facts_of(d: &crate::evidence::LoadedDump, bias: i32, utc_offset: &str) -> DumpFacts {
    let a = d.analysis.as_ref().ok();
    let n = d.name.as_ref();
    let header = a.and_then(|a| a.process.dump_time).map(|t| t as i64);
    let (time, time_source) = match (header, n.and_then(|n| n.local_time)) {
        (Some(t), _) => (Some(t), Some("dump header (UTC)".to_string())),
        (None, Some(l)) => (
            Some(l + i64::from(bias) * 60),
            Some(format!(
                "{} file name (local time; {utc_offset} applied)",
                n.map(|n| n.scheme).unwrap_or("")
            )),
        ),
        _ => (None, None),
    };
    let content = a.map(|a| crate::capture::Content::of(a));
    DumpFacts {
        pid: a.and_then(|a| a.process.pid).or(n.and_then(|n| n.pid)),
        time,
        time_source,
        process: a
            .and_then(|a| a.process.name.clone())
            .or(n.and_then(|n| n.process.clone())),
        pool: a
            .and_then(|a| a.process.app_pool.clone())
            .or(n.and_then(|n| n.app_pool.clone())),
        exception: a.and_then(|a| a.exception.as_ref()).map(|e| e.code),
        capture: crate::capture::classify(n, content.as_ref()),
    }
}

fn eq_opt(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => poolname::same(a, b),
        _ => true,
    }
}

/// Whether a record may describe the death `c`; `Some(pid_matched)`.
fn compatible(
    c: &CrashBuild,
    pid: Option<u32>,
    pool: &Option<String>,
    process: &Option<String>,
    t: i64,
) -> Option<bool> {
    if !eq_opt(&c.pool, pool) || !eq_opt(&c.process, process) {
        return None;
    }
    match (c.pid, pid) {
        (Some(a), Some(b)) if a != b => None,
        (Some(_), Some(_)) => ((c.time - t).abs() <= PID_WINDOW).then_some(true),
        _ => ((c.time - t).abs() <= NEAR_WINDOW).then_some(false),
    }
}

fn best(
    crashes: &[CrashBuild],
    pid: Option<u32>,
    pool: &Option<String>,
    process: &Option<String>,
    t: i64,
    skip: impl Fn(&CrashBuild) -> bool,
) -> Option<usize> {
    crashes
        .iter()
        .enumerate()
        .filter(|(_, c)| !skip(c))
        .filter_map(|(i, c)| {
            compatible(c, pid, pool, process, t).map(|m| (i, m, (c.time - t).abs()))
        })
        .min_by_key(|&(_, m, dt)| (!m, dt))
        .map(|(i, _, _)| i)
}

fn ev_ref(file: &Path, e: &Event, what: String, text: String) -> EvidenceRef {
    EvidenceRef {
        time: Time(e.time),
        file: file.to_path_buf(),
        record: e.record_id,
        what,
        text,
    }
}

fn label(e: &Event) -> String {
    let src = e.source.trim();
    let short = src
        .strip_prefix("Microsoft-Windows-IIS-")
        .or_else(|| src.strip_prefix("Microsoft-Windows-"))
        .unwrap_or(src);
    format!("{short} {}", e.event_id)
}

fn site_id(text: &str) -> Option<u32> {
    let l = text.to_ascii_lowercase();
    let r = l.strip_prefix("w3svc")?;
    let digits: String = r.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

fn site_of_path(p: &Path) -> Option<u32> {
    p.components()
        .rev()
        .skip(1)
        .find_map(|c| site_id(&c.as_os_str().to_string_lossy()))
}

fn is_abandon(reason: &str) -> bool {
    reason
        .trim()
        .eq_ignore_ascii_case("Connection_Abandoned_By_AppPool")
}

/// The pool an event names, if any.
fn meaning_pool(m: &Meaning) -> Option<&str> {
    match m {
        Meaning::WorkerCrashed { pool, .. }
        | Meaning::WorkerCommFailure { pool, .. }
        | Meaning::WorkerPingFailed { pool, .. }
        | Meaning::WorkerShutdownTimeout { pool, .. }
        | Meaning::WorkerStartupTimeout { pool, .. }
        | Meaning::RapidFailDisabled { pool }
        | Meaning::PoolDisabled { pool, .. }
        | Meaning::WorkerIdleShutdown { pool, .. } => Some(pool.as_str()).filter(|p| !p.is_empty()),
        _ => None,
    }
}

/// The evidence of a death an event gives: termination events (W3SVC 1009/1010/1011/1012/1013,
/// WAS 5009–5013, Application Hang 1002, Service Control Manager) and fault records
/// (Application Error 1000, WER 1001, .NET Runtime 1026). Only 1009/5009 carry an exit code;
/// Application Error carries the exception code, a different fact.
fn death_signal(m: &Meaning, e: &Event, f: &Path) -> Option<Signal> {
    let w3wp = || Some("w3wp.exe".to_string());
    let mk = |pool: Option<String>,
              pid: Option<u32>,
              process: Option<String>,
              (exit_code, exception_code): (Option<u32>, Option<u32>),
              termination: bool,
              how: String| Signal {
        time: e.time,
        pid,
        pool,
        process,
        exit_code,
        exception_code,
        termination,
        evidence: ev_ref(f, e, label(e), how.clone()),
        how,
    };
    let pool = |p: &String| Some(p.clone());
    Some(match m {
        Meaning::WorkerCrashed {
            pool: p,
            pid,
            exit_code,
        } => mk(
            pool(p),
            *pid,
            w3wp(),
            (*exit_code, None),
            true,
            format!(
                "worker process terminated unexpectedly{}",
                exit_code
                    .map(|c| format!(" (exit code {})", code(c)))
                    .unwrap_or_default()
            ),
        ),
        Meaning::WorkerCommFailure {
            pool: p,
            pid,
            error,
        } => mk(
            pool(p),
            *pid,
            w3wp(),
            (None, None),
            true,
            format!(
                "fatal communication error with the WWW service{}",
                error
                    .map(|c| format!(" (error {})", code(c)))
                    .unwrap_or_default()
            ),
        ),
        Meaning::WorkerPingFailed { pool: p, pid } => mk(
            pool(p),
            *pid,
            w3wp(),
            (None, None),
            true,
            "worker failed to respond to a ping (hung; killed by IIS)".into(),
        ),
        Meaning::WorkerShutdownTimeout { pool: p, pid } => mk(
            pool(p),
            *pid,
            w3wp(),
            (None, None),
            true,
            "worker exceeded its shutdown time limit (killed by IIS)".into(),
        ),
        Meaning::WorkerStartupTimeout { pool: p, pid } => mk(
            pool(p),
            *pid,
            w3wp(),
            (None, None),
            true,
            "worker exceeded its start-up time limit".into(),
        ),
        Meaning::ApplicationError(a) => {
            let mut how = format!("Application Error: {} faulted in {}", a.app, a.module);
            if let Some(c) = a.exception_code {
                how.push_str(&format!(", exception {}", code(c)));
            }
            if let Some(o) = a.offset {
                how.push_str(&format!(", offset 0x{o:x}"));
            }
            mk(
                None,
                a.pid,
                Some(a.app.clone()),
                (None, a.exception_code),
                false,
                how,
            )
        }
        Meaning::WerReport(w) => mk(
            None,
            None,
            w.p.first().filter(|s| !s.is_empty()).cloned(),
            (None, None),
            false,
            format!(
                "Windows Error Reporting {} report (bucket {})",
                w.event_name, w.bucket
            ),
        ),
        Meaning::DotNetUnhandled { app, exception, .. } => mk(
            None,
            None,
            app.clone(),
            (None, None),
            false,
            format!(
                ".NET unhandled exception{}",
                exception
                    .as_ref()
                    .map(|x| format!(": {x}"))
                    .unwrap_or_default()
            ),
        ),
        Meaning::AppHang { app, pid, .. } => mk(
            None,
            *pid,
            Some(app.clone()),
            (None, None),
            true,
            "application hang: the process stopped responding and was ended".into(),
        ),
        Meaning::ServiceCrashed { service, count, .. } => mk(
            None,
            None,
            Some(format!("service {service}")),
            (None, None),
            true,
            format!(
                "service terminated unexpectedly{}",
                count.map(|c| format!(" ({c} time(s))")).unwrap_or_default()
            ),
        ),
        _ => return None,
    })
}

/// Which crash each dump belongs to. A dump that is a crash by itself ([`crate::capture`])
/// joins the compatible crash (PID within [`PID_WINDOW`], or process and time within
/// [`NEAR_WINDOW`]) or is a crash of its own; then a snapshot (manual, hang, first-chance
/// dump) joins a crash only when a death event of its PID follows it, and never moves the
/// crash's time or gives its exception.
fn attach_dumps(
    crashes: &mut Vec<CrashBuild>,
    ev: &Evidence,
    facts: &[DumpFacts],
    warnings: &mut Vec<String>,
) {
    let mut order: Vec<usize> = (0..ev.dumps.len()).collect();
    order.sort_by_key(|&i| (!facts[i].capture.crash, facts[i].time.unwrap_or(i64::MAX)));
    for i in order {
        let f = &facts[i];
        let Some(t) = f.time else {
            if f.capture.crash {
                warnings.push(format!(
                    "{}: no time in the dump or its name: not matched to events",
                    ev.dumps[i].path.display()
                ));
            }
            continue;
        };
        if !f.capture.crash {
            if let Some(ci) = followed_by_death(crashes, f.pid, t) {
                let c = &mut crashes[ci];
                if c.dump.is_none() {
                    c.dump = Some(i);
                } else {
                    c.other_dumps.push(i);
                }
                c.pool = c.pool.take().or(f.pool.clone());
                c.process = c.process.take().or(f.process.clone());
            }
            continue;
        }
        let source = f.time_source.as_deref().unwrap_or("dump");
        match best(crashes, f.pid, &f.pool, &f.process, t, |c| c.dump.is_some()) {
            Some(ci) => {
                let c = &mut crashes[ci];
                c.dump = Some(i);
                c.pid = c.pid.or(f.pid);
                c.pool = c.pool.take().or(f.pool.clone());
                c.process = c.process.take().or(f.process.clone());
                c.time = c.time.min(t);
                earliest(&mut c.fault, t, source);
                if let Some(x) = f.exception {
                    c.exception_code = Some((x, "dump".into()));
                }
            }
            None => crashes.push(CrashBuild {
                time: t,
                first_event: None,
                pid: f.pid,
                pool: f.pool.clone(),
                process: f.process.clone(),
                exit_code: None,
                exception_code: f.exception.map(|x| (x, "dump".to_string())),
                fault: Some((t, source.to_string())),
                terminated: None,
                how: vec![
                    "crash known from the dump only (no termination event among the inputs)".into(),
                ],
                evidence: Vec::new(),
                dump: Some(i),
                other_dumps: Vec::new(),
            }),
        }
    }
}

/// The crash of process `pid` whose first death event comes at or after the dump's time `t`
/// (within [`PID_WINDOW`]): the process was alive when dumped and died afterwards.
fn followed_by_death(crashes: &[CrashBuild], pid: Option<u32>, t: i64) -> Option<usize> {
    let pid = pid?;
    crashes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.pid == Some(pid))
        .filter_map(|(i, c)| {
            let e = c.first_event?;
            (e >= t - 1 && e - t <= PID_WINDOW).then_some((i, e - t))
        })
        .min_by_key(|&(_, dt)| dt)
        .map(|(i, _)| i)
}

/// The model's crash: exit code only from the termination event that carries one (else
/// `None`, unknown), the exception code apart, fault and termination times apart.
fn crash_of(
    c: &CrashBuild,
    evidence: Vec<EvidenceRef>,
    ev: &Evidence,
    facts: &[DumpFacts],
) -> Crash {
    let part = |x: &Option<(u32, String)>| x.as_ref().map(|(v, w)| (code(*v), w.clone())).unzip();
    let (exit_code, exit_code_source) = part(&c.exit_code);
    let (exception_code, exception_code_source) = part(&c.exception_code);
    let (fault_time, fault_time_source) = c.fault.clone().map(|(t, w)| (Time(t), w)).unzip();
    let (terminated_at, terminated_source) =
        c.terminated.clone().map(|(t, w)| (Time(t), w)).unzip();
    Crash {
        time: Time(c.time),
        pid: c.pid,
        process: c.process.clone(),
        exit_code,
        exit_code_source,
        exception_code,
        exception_code_source,
        fault_time,
        fault_time_source,
        terminated_at,
        terminated_source,
        how: c.how.join("; "),
        dump: c.dump.map(|d| ev.dumps[d].path.clone()),
        dump_capture: c.dump.map(|d| facts[d].capture.kind.to_string()),
        other_dumps: c
            .other_dumps
            .iter()
            .map(|&d| ev.dumps[d].path.clone())
            .collect(),
        dump_to_event_seconds: match (c.dump.and_then(|d| facts[d].time), c.first_event) {
            (Some(d), Some(e)) => Some(e - d),
            _ => None,
        },
        bucket: c.dump.and_then(|d| {
            ev.dumps[d]
                .analysis
                .as_ref()
                .ok()
                .and_then(|a| a.bucket.clone())
        }),
        evidence,
    }
}

/// Every pool name the event logs, the IIS configuration and the dumps give, once each
/// (compared as IIS does); the pools already built come first.
fn known_pools<'a>(
    built: impl Iterator<Item = &'a String>,
    event_pools: &'a [String],
    configs: &[&'a IisConfig],
    facts: &'a [DumpFacts],
) -> Vec<String> {
    let from_config = configs.iter().flat_map(|c| {
        c.pools
            .iter()
            .map(|p| &p.name)
            .chain(c.sites.iter().filter_map(|s| s.pool.as_ref()))
    });
    let mut out: Vec<String> = Vec::new();
    for n in built
        .chain(event_pools)
        .chain(from_config)
        .chain(facts.iter().filter_map(|f| f.pool.as_ref()))
    {
        if !out.iter().any(|k| poolname::same(k, n)) {
            out.push(n.clone());
        }
    }
    out
}

/// A warning when an HTTPERR queue name could not be tied to one known pool for sure.
fn queue_note(logged: &str, m: &poolname::QueueMatch) -> Option<String> {
    match m {
        poolname::QueueMatch::Known(_) => None,
        poolname::QueueMatch::Unknown(n) if n != logged => Some(format!(
            "HTTPERR queue '{logged}' names no pool of the event logs, dumps or IIS configuration; read as '{n}' (HTTP.sys writes spaces, tabs and control characters as '+')"
        )),
        poolname::QueueMatch::Unknown(_) => None,
        poolname::QueueMatch::Ambiguous { chosen, candidates } => Some(format!(
            "HTTPERR queue '{logged}' fits the pools {} (HTTP.sys writes spaces as '+', and '+' as itself); its lines were attributed to '{chosen}'",
            candidates
                .iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// First and last record time over all event logs.
fn log_coverage(infos: &[EventLogInfo]) -> Option<(i64, i64)> {
    let first = infos.iter().filter_map(|l| l.first).min()?;
    let last = infos.iter().filter_map(|l| l.last).max()?;
    Some((first.0, last.0))
}

/// `08:13–11:02 UTC on 2006-03-14`, or with both dates when the span crosses midnight.
fn span_text(a: i64, b: i64) -> String {
    let (da, db) = (time::short(a), time::short(b));
    if da[..10] == db[..10] {
        format!("{}–{} UTC on {}", &da[11..16], &db[11..16], &da[..10])
    } else {
        format!("{} – {} UTC", &da[..16], &db[..16])
    }
}

/// Why a dump that is not a crash by itself was not tied to one.
fn not_a_crash_note(t: Option<i64>, coverage: Option<(i64, i64)>) -> String {
    let Some((a, b)) = coverage else {
        return "dump of a process with no termination event among the inputs (no event log was given)".into();
    };
    let mut s = format!(
        "dump of a process with no termination in the logs, which cover {}",
        span_text(a, b)
    );
    match t {
        Some(t) if t > b => s.push_str(" (the dump was taken after they end)"),
        Some(t) if t < a => s.push_str(" (the dump was taken before they begin)"),
        _ => {}
    }
    s
}

fn dump_info(
    d: &crate::evidence::LoadedDump,
    f: &DumpFacts,
    crash: Option<CrashRef>,
    coverage: Option<(i64, i64)>,
) -> DumpInfo {
    let a = d.analysis.as_ref().ok();
    let counts = f.capture.crash || crash.is_some();
    DumpInfo {
        file: d.path.clone(),
        pid: f.pid,
        process: f.process.clone(),
        app_pool: f.pool.clone(),
        time: f.time.map(Time),
        time_source: f.time_source.clone(),
        exception: a
            .and_then(|a| a.exception.as_ref())
            .map(|e| format!("{} ({})", code(e.code), e.name)),
        bucket: a.and_then(|a| a.bucket.clone()),
        verdict: a.and_then(|a| coroner_report::phrase::verdict(a)),
        crash,
        capture: f.capture.kind.to_string(),
        capture_from: f.capture.from.clone(),
        counts_as_crash: counts,
        not_a_crash: (!counts && a.is_some()).then(|| not_a_crash_note(f.time, coverage)),
        detail: a
            .map(|a| coroner_report::phrase::summary(a))
            .unwrap_or_default(),
        error: d.analysis.as_ref().err().cloned(),
    }
}

/// The timeline line of a dump that is not a crash (kind `dump`).
fn live_dump_entry(d: &DumpInfo) -> Option<TimelineEntry> {
    let note = d.not_a_crash.as_ref()?;
    Some(TimelineEntry {
        time: d.time?,
        pool: d.app_pool.clone(),
        kind: "dump",
        text: format!(
            "{}{}: {} {} — not a crash: {note}",
            d.app_pool
                .as_deref()
                .or(d.process.as_deref())
                .unwrap_or("process"),
            d.pid.map(|p| format!(" pid {p}")).unwrap_or_default(),
            d.capture,
            file_name(&d.file)
        ),
    })
}

/// Builds the investigation from loaded evidence.
pub fn investigate(inputs: &[PathBuf], ev: Evidence) -> Investigation {
    let mut warnings = ev.warnings.clone();
    let configs: Vec<&IisConfig> = ev.configs.iter().collect();

    // ---- time zone ----
    let mut tz: Option<(i32, Option<String>, String)> = None;
    let mut tz_time = i64::MIN;
    for log in &ev.event_logs {
        for e in &log.events {
            if let Some(Meaning::Uptime {
                tz_bias_minutes: Some(b),
                tz_name,
                ..
            }) = interpret(e)
            {
                if e.time >= tz_time && (-24 * 60..=24 * 60).contains(&b) {
                    tz_time = e.time;
                    tz = Some((
                        b,
                        tz_name.clone(),
                        format!(
                            "EventLog 6013 in {} (record {}, {}): time-zone bias {b} min{}",
                            log.file.display(),
                            e.record_id,
                            time::short(e.time),
                            tz_name
                                .as_ref()
                                .map(|n| format!(" ({n})"))
                                .unwrap_or_default()
                        ),
                    ));
                }
            }
        }
    }
    if tz.is_none() {
        // Dumps whose file name (local) and header (UTC) both carry the time.
        let mut offsets: BTreeMap<i64, usize> = BTreeMap::new();
        for d in &ev.dumps {
            if let (Ok(a), Some(n)) = (&d.analysis, &d.name) {
                if let (Some(h), Some(l)) = (a.process.dump_time, n.local_time) {
                    let off = l - h as i64;
                    let rounded = (off as f64 / 900.0).round() as i64 * 900;
                    if rounded.abs() <= 14 * 3600 && (off - rounded).abs() <= 120 {
                        *offsets.entry(rounded).or_default() += 1;
                    }
                }
            }
        }
        if let Some((&off, &n)) = offsets.iter().max_by_key(|(_, n)| **n) {
            tz = Some((
                (-off / 60) as i32,
                None,
                format!(
                    "{n} dump(s) whose file name (local time) and header (UTC) differ by {}",
                    offset_text((-off / 60) as i32)
                ),
            ));
        }
    }
    let (bias, tz_name, tz_source) = tz.unwrap_or((
        0,
        None,
        "no time-zone evidence (EventLog 6013, dump names with times): local times taken as UTC"
            .into(),
    ));
    let time_zone = TimeZone {
        bias_minutes: bias,
        name: tz_name,
        utc_offset: offset_text(bias),
        source: tz_source,
    };

    // ---- dumps ----
    let dump_facts: Vec<DumpFacts> = ev
        .dumps
        .iter()
        .map(|d| dump_facts_of(d, bias, &time_zone.utc_offset))
        .collect();

    // ---- signals from events ----
    let mut signals: Vec<Signal> = Vec::new();
    let mut event_pools: Vec<String> = Vec::new();
    let mut rapid_events: Vec<(String, EvidenceRef)> = Vec::new();
    let mut timeline: Vec<TimelineEntry> = Vec::new();
    let mut event_infos = Vec::new();
    for log in &ev.event_logs {
        let mut understood = 0;
        for e in log.events.iter().chain(log.recovered.iter()) {
            let Some(m) = interpret(e) else { continue };
            understood += 1;
            let f = &log.file;
            if let Some(p) = meaning_pool(&m) {
                event_pools.push(p.to_string());
            }
            if let Some(sig) = death_signal(&m, e, f) {
                signals.push(sig);
                continue;
            }
            match m {
                Meaning::RapidFailDisabled { pool } => {
                    let text = format!("application pool '{pool}' disabled by rapid-fail protection");
                    rapid_events.push((pool, ev_ref(f, e, label(e), text)));
                }
                Meaning::PoolDisabled { pool, why } => timeline.push(TimelineEntry {
                    time: Time(e.time),
                    pool: Some(pool.clone()),
                    kind: "other",
                    text: format!("{}: pool '{pool}' disabled ({why})", label(e)),
                }),
                Meaning::LogStarted { .. } => timeline.push(TimelineEntry {
                    time: Time(e.time),
                    pool: None,
                    kind: "boot",
                    text: format!("{}: event log service started (system start)", label(e)),
                }),
                Meaning::LogStopped => timeline.push(TimelineEntry {
                    time: Time(e.time),
                    pool: None,
                    kind: "shutdown",
                    text: format!("{}: event log service stopped (clean shutdown)", label(e)),
                }),
                Meaning::UnexpectedShutdown { time_text, date_text } => timeline.push(TimelineEntry {
                    time: Time(e.time),
                    pool: None,
                    kind: "shutdown",
                    text: format!("{}: the previous shutdown at {time_text} on {date_text} (local) was unexpected", label(e)),
                }),
                Meaning::KernelPowerLoss { .. } | Meaning::BugCheck { .. } => timeline.push(TimelineEntry {
                    time: Time(e.time),
                    pool: None,
                    kind: "shutdown",
                    text: format!("{}: the system restarted without a clean shutdown", label(e)),
                }),
                Meaning::WorkerIdleShutdown { pool, pid, .. } => timeline.push(TimelineEntry {
                    time: Time(e.time),
                    pool: Some(pool),
                    kind: "other",
                    text: format!("{}: worker{} shut down for idleness (normal)", label(e), pid.map(|p| format!(" pid {p}")).unwrap_or_default()),
                }),
                _ => {}
            }
        }
        let times = log.events.iter().map(|e| e.time).filter(|t| *t > 0);
        event_infos.push(EventLogInfo {
            file: log.file.clone(),
            kind: log.kind.to_string(),
            records: log.events.len(),
            recovered: log.recovered.len(),
            damaged: log.skipped_total,
            problems: log
                .skipped
                .iter()
                .take(5)
                .map(|p| format!("offset {}: {}", p.offset, p.what))
                .collect(),
            first: times.clone().min().map(Time),
            last: times.max().map(Time),
            understood,
        });
        if log.skipped_total > 0 {
            warnings.push(format!(
                "{}: {} damaged part(s) skipped; everything readable was used",
                log.file.display(),
                log.skipped_total
            ));
        }
    }
    for w in &ev.wers {
        if let Some(t) = w.time {
            signals.push(Signal {
                time: t,
                pid: w.pid,
                pool: None,
                process: w.app.clone(),
                exit_code: None,
                exception_code: w.exception_code,
                termination: false,
                how: format!(
                    "Windows Error Reporting {} report",
                    w.event_type.as_deref().unwrap_or("")
                ),
                evidence: EvidenceRef {
                    time: Time(t),
                    file: w.file.clone(),
                    record: 0,
                    what: "Report.wer".into(),
                    text: format!(
                        "{} {}",
                        w.event_type.as_deref().unwrap_or(""),
                        w.app.as_deref().unwrap_or("")
                    ),
                },
            });
        }
    }
    signals.sort_by_key(|s| s.time);

    // ---- merge signals into crashes ----
    let mut crashes: Vec<CrashBuild> = Vec::new();
    for s in signals {
        match best(&crashes, s.pid, &s.pool, &s.process, s.time, |_| false) {
            Some(i) => crashes[i].absorb(s),
            None => crashes.push(CrashBuild::from_signal(s)),
        }
    }

    // ---- dumps to crashes ----
    attach_dumps(&mut crashes, &ev, &dump_facts, &mut warnings);
    crashes.sort_by_key(|c| c.time);

    // ---- pools ----
    let site_pool = |id: u32| -> Option<String> {
        configs
            .iter()
            .find_map(|c| c.site_pool(id))
            .map(String::from)
    };
    let pool_key = |c: &CrashBuild| -> (String, &'static str) {
        match (&c.pool, &c.process) {
            (Some(p), _) => (p.clone(), "application pool"),
            (None, Some(p)) => (p.clone(), "process"),
            (None, None) => ("unknown process".into(), "process"),
        }
    };
    let mut pools: BTreeMap<String, Pool> = BTreeMap::new();
    let canon = |pools: &BTreeMap<String, Pool>, name: &str| -> String {
        pools
            .keys()
            .find(|k| poolname::same(k, name))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    };
    let new_pool = |name: &str, kind: &'static str| -> Pool {
        let settings = configs
            .iter()
            .find_map(|c| c.pool(name).map(|p| (p, c.file.as_path())));
        let sites = configs
            .iter()
            .flat_map(|c| c.sites.iter())
            .filter(|s| s.pool.as_deref().is_some_and(|p| poolname::same(p, name)))
            .map(|s| {
                if s.name.is_empty() {
                    s.id.to_string()
                } else {
                    format!("{} ({})", s.id, s.name)
                }
            })
            .collect();
        Pool {
            name: name.to_string(),
            kind,
            threshold: Threshold::from_settings(settings),
            sites,
            crashes: Vec::new(),
            rapid_fail: Vec::new(),
            outage: Outage::default(),
            in_flight: Vec::new(),
            failed_requests: FailedRequests::default(),
        }
    };
    let mut dump_crash: BTreeMap<usize, CrashRef> = BTreeMap::new();
    for c in &crashes {
        let (name, kind) = pool_key(c);
        let name = canon(&pools, &name);
        let p = pools
            .entry(name.clone())
            .or_insert_with(|| new_pool(&name, kind));
        if kind == "application pool" {
            p.kind = kind;
        }
        let mut evidence = c.evidence.clone();
        evidence.sort_by_key(|e| e.time);
        for &d in c.dump.iter().chain(&c.other_dumps) {
            dump_crash.insert(
                d,
                CrashRef {
                    pool: name.clone(),
                    time: Time(c.time),
                },
            );
        }
        p.crashes.push(crash_of(c, evidence, &ev, &dump_facts));
    }
    // Pools named by rapid-fail events or configuration even without crashes.
    for (pool, _) in &rapid_events {
        let name = canon(&pools, pool);
        pools
            .entry(name.clone())
            .or_insert_with(|| new_pool(&name, "application pool"));
    }

    // ---- web logs ----
    // Which pool a W3C request / HTTPERR entry belongs to.
    let known_iis_pools: BTreeSet<String> = pools
        .values()
        .filter(|p| p.kind == "application pool")
        .map(|p| p.name.clone())
        .collect();
    let sole_pool = (known_iis_pools.len() == 1)
        .then(|| known_iis_pools.iter().next().cloned())
        .flatten();
    let mut assumed_sole = false;
    let known = known_pools(pools.keys(), &event_pools, &configs, &dump_facts);
    let mut queue_notes: BTreeSet<String> = BTreeSet::new();
    struct Hit {
        time: i64,
        reason: String,
    }
    let mut p503: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    let mut ok_after: BTreeMap<String, Vec<(i64, std::rc::Rc<PathBuf>, u64)>> = BTreeMap::new();
    let mut abandons: Vec<(String, InFlight)> = Vec::new();
    let mut failed: BTreeMap<String, FailedRequests> = BTreeMap::new();
    let mut web_infos = Vec::new();
    let mut status_counts: BTreeMap<(u16, u32), u64> = BTreeMap::new();
    let mut win32_counts: BTreeMap<u32, u64> = BTreeMap::new();
    let mut reason_counts: BTreeMap<String, u64> = BTreeMap::new();
    for log in &ev.web_logs {
        let file_rc = std::rc::Rc::new(log.file.clone());
        let file_site = site_of_path(&log.file);
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
        let mut log_pools: BTreeSet<String> = BTreeSet::new();
        let mut times: Vec<i64> = Vec::new();
        let mut resolve = |site: Option<u32>, queue: Option<&str>| -> Option<String> {
            let q = queue.map(str::trim).filter(|q| !q.is_empty() && *q != "-");
            let p = q
                .map(|q| {
                    let site = site.or(file_site).and_then(site_pool);
                    let m = poolname::resolve_queue(q, &known, site.as_deref());
                    if let Some(n) = queue_note(q, &m) {
                        queue_notes.insert(n);
                    }
                    m.name().to_string()
                })
                .or_else(|| site.or(file_site).and_then(site_pool))
                .or_else(|| {
                    let s = sole_pool.clone();
                    if s.is_some() {
                        assumed_sole = true;
                    }
                    s
                })?;
            Some(canon(&pools, &p))
        };
        // Requests come reduced (`lite`, with the notable ones kept whole in `requests`) when
        // the log was loaded for correlation; a fully parsed log is reduced here.
        let reduced: Vec<coroner_weblog::RequestLite>;
        let mut full_sites: Vec<String> = Vec::new();
        let (lite, sites): (&[coroner_weblog::RequestLite], &[String]) =
            if !log.lite.is_empty() || log.requests.is_empty() {
                (&log.lite, &log.sites)
            } else {
                reduced = log
                    .requests
                    .iter()
                    .map(|r| coroner_weblog::RequestLite {
                        line: r.line,
                        time: r.time,
                        status: r.status.unwrap_or(0),
                        site: match &r.site {
                            Some(sn) => match full_sites.iter().position(|x| x == sn) {
                                Some(i) => i as u16,
                                None => {
                                    full_sites.push(sn.clone());
                                    (full_sites.len() - 1) as u16
                                }
                            },
                            None => u16::MAX,
                        },
                        substatus: r.substatus.unwrap_or(0),
                        win32_status: r.win32_status.unwrap_or(0),
                    })
                    .collect();
                (&reduced, &full_sites)
            };
        let notable: std::collections::HashMap<u64, &coroner_weblog::Request> =
            log.requests.iter().map(|r| (r.line, r)).collect();
        for r in lite {
            times.push(r.time);
            let status = (r.status != 0).then_some(r.status);
            if let Some(s) = status {
                *by_status.entry(s.to_string()).or_default() += 1;
                *status_counts.entry((s, r.substatus)).or_default() += 1;
            }
            if r.win32_status != 0 {
                *win32_counts.entry(r.win32_status).or_default() += 1;
            }
            let site = sites.get(usize::from(r.site)).map(String::as_str);
            let pool = resolve(site.and_then(site_id), None);
            if let Some(p) = &pool {
                log_pools.insert(p.clone());
                if status == Some(503) {
                    p503.entry(p.clone()).or_default().push(Hit {
                        time: r.time,
                        reason: format!("W3C 503.{}", r.substatus),
                    });
                } else if status.is_some() {
                    ok_after
                        .entry(p.clone())
                        .or_default()
                        .push((r.time, file_rc.clone(), r.line));
                }
                if let w @ (64 | 1236) = r.win32_status {
                    let f = failed.entry(p.clone()).or_default();
                    if w == 64 {
                        f.win32_64 += 1;
                    } else {
                        f.win32_1236 += 1;
                    }
                    if f.examples.len() < MAX_EXAMPLES {
                        let full = notable.get(&r.line);
                        f.examples.push(FailedRequest {
                            time: Time(r.time),
                            method: full.and_then(|q| q.method.clone()),
                            url: full.and_then(|q| q.uri_stem.clone()),
                            client_ip: full.and_then(|q| q.client_ip.clone()),
                            status,
                            win32_status: w,
                        });
                    }
                }
            }
        }
        for e in &log.errors {
            times.push(e.time);
            if let Some(s) = e.status {
                *by_status.entry(s.to_string()).or_default() += 1;
                *status_counts.entry((s, 0)).or_default() += 1;
            }
            if !e.reason.is_empty() {
                *by_reason.entry(e.reason.clone()).or_default() += 1;
                *reason_counts.entry(e.reason.clone()).or_default() += 1;
            }
            let pool = resolve(e.site_id, e.queue_name_logged.as_deref());
            if let Some(p) = &pool {
                log_pools.insert(p.clone());
                if e.status == Some(503) {
                    p503.entry(p.clone()).or_default().push(Hit {
                        time: e.time,
                        reason: e.reason.clone(),
                    });
                }
                if is_abandon(&e.reason) {
                    abandons.push((
                        p.clone(),
                        InFlight {
                            time: Time(e.time),
                            pid: None,
                            crash_time: None,
                            method: e.method.clone(),
                            url: e.uri.clone(),
                            client_ip: e.client_ip.clone(),
                            file: log.file.clone(),
                            line: e.line,
                        },
                    ));
                }
            }
        }
        if log.problems_total > 0 {
            warnings.push(format!(
                "{}: {} unusable line(s) skipped; the rest was used",
                log.file.display(),
                log.problems_total
            ));
        }
        web_infos.push(WebLogInfo {
            file: log.file.clone(),
            kind: match log.kind {
                coroner_weblog::Kind::W3c => "w3c",
                coroner_weblog::Kind::HttpErr => "httperr",
            },
            requests: if log.lite.is_empty() {
                log.requests.len()
            } else {
                log.lite.len()
            } + log.errors.len(),
            by_status,
            by_reason,
            problems: log.problems_total,
            problem_lines: log
                .problems
                .iter()
                .take(5)
                .map(|p| format!("line {}: {}", p.line, p.what))
                .collect(),
            layouts: log.layouts,
            first: times.iter().copied().filter(|t| *t > 0).min().map(Time),
            last: times.iter().copied().max().map(Time),
            local_time: log.local_time,
            pools: log_pools.into_iter().collect(),
        });
        if log.local_time {
            warnings.push(format!(
                "{}: times are local (date-local/time-local fields); they were not shifted",
                log.file.display()
            ));
        }
    }
    warnings.extend(queue_notes);
    if assumed_sole {
        if let Some(p) = &sole_pool {
            warnings.push(format!(
                "web-log entries without a site or queue name were attributed to '{p}', the only application pool in the evidence"
            ));
        }
    }

    // Every pool that has web evidence.
    for name in p503
        .keys()
        .chain(abandons.iter().map(|(p, _)| p))
        .chain(failed.keys())
    {
        let name = canon(&pools, name);
        pools
            .entry(name.clone())
            .or_insert_with(|| new_pool(&name, "application pool"));
    }

    for p in pools.values_mut() {
        let key = p.name.clone();
        let same = |k: &String| poolname::same(k, &key);
        let mut hits: Vec<&Hit> = p503
            .iter()
            .filter(|(k, _)| same(k))
            .flat_map(|(_, v)| v.iter())
            .collect();
        hits.sort_by_key(|h| h.time);
        let mut oks: Vec<&(i64, std::rc::Rc<PathBuf>, u64)> = ok_after
            .iter()
            .filter(|(k, _)| same(k))
            .flat_map(|(_, v)| v.iter())
            .collect();
        oks.sort_by_key(|o| o.0);
        // Outage.
        let o = &mut p.outage;
        o.http_503 = hits.len() as u64;
        o.first = hits.first().map(|h| Time(h.time));
        o.last = hits.last().map(|h| Time(h.time));
        for h in &hits {
            *o.by_reason.entry(h.reason.clone()).or_default() += 1;
            let m = h.time.div_euclid(60) * 60;
            match o.per_minute.last_mut() {
                Some(mc) if mc.minute.0 == m => mc.count += 1,
                _ => o.per_minute.push(MinuteCount {
                    minute: Time(m),
                    count: 1,
                }),
            }
        }
        if let Some((_, f)) = failed.iter().find(|(k, _)| same(k)) {
            p.failed_requests = f.clone();
        }
        // In flight: match to the nearest crash of this pool.
        for (_, inf) in abandons.iter().filter(|(k, _)| same(k)) {
            let mut inf = inf.clone();
            if let Some(c) = p
                .crashes
                .iter()
                .filter(|c| (c.time.0 - inf.time.0).abs() <= ABANDON_WINDOW)
                .min_by_key(|c| (c.time.0 - inf.time.0).abs())
            {
                inf.pid = c.pid;
                inf.crash_time = Some(c.time);
            }
            p.in_flight.push(inf);
        }
        p.in_flight.sort_by_key(|i| i.time);

        // Rapid-fail episodes seen in the events.
        let th = p.threshold.clone();
        let mut episodes: Vec<RapidFail> = Vec::new();
        for (_, r) in rapid_events.iter().filter(|(k, _)| same(k)) {
            let t = r.time.0;
            if episodes.iter().any(|e| (e.disabled_at.0 - t).abs() <= 60) {
                continue;
            }
            let fails: Vec<&Crash> = p
                .crashes
                .iter()
                .filter(|c| c.time.0 <= t + 10 && c.time.0 >= t - th.interval_seconds - 10)
                .collect();
            episodes.push(RapidFail {
                disabled_at: Time(t),
                restored_at: None,
                duration_seconds: None,
                failures: fails.len(),
                failure_pids: fails.iter().filter_map(|c| c.pid).collect(),
                detected: "event",
                event: Some(r.clone()),
                restored_how: String::new(),
                http_503: 0,
            });
        }
        // Predicted from crash frequency.
        let n = th.max_crashes.max(1) as usize;
        let times: Vec<i64> = p.crashes.iter().map(|c| c.time.0).collect();
        if p.kind == "application pool" && times.len() >= n {
            let mut i = 0;
            while i + n <= times.len() {
                let end = times[i + n - 1];
                if end - times[i] <= th.interval_seconds {
                    let seen = episodes
                        .iter()
                        .any(|e| (e.disabled_at.0 - end).abs() <= th.interval_seconds);
                    if !seen {
                        if th.enabled {
                            let fails = &p.crashes[i..i + n];
                            episodes.push(RapidFail {
                                disabled_at: Time(end),
                                restored_at: None,
                                duration_seconds: None,
                                failures: n,
                                failure_pids: fails.iter().filter_map(|c| c.pid).collect(),
                                detected: "predicted",
                                event: None,
                                restored_how: String::new(),
                                http_503: 0,
                            });
                        } else {
                            warnings.push(format!(
                                "'{}': {n} crashes within {} from {} — rapid-fail protection would have disabled the pool, but it is turned off in {}",
                                p.name,
                                time::duration(th.interval_seconds),
                                time::short(times[i]),
                                th.source
                            ));
                        }
                    }
                    i += n;
                } else {
                    i += 1;
                }
            }
        }
        episodes.sort_by_key(|e| e.disabled_at);
        // Restore time.
        let crash_times: Vec<i64> = p.crashes.iter().map(|c| c.time.0).collect();
        let eps = episodes.clone();
        for (k, e) in episodes.iter_mut().enumerate() {
            let t = e.disabled_at.0;
            let next_disable = eps.get(k + 1).map(|n| n.disabled_at.0).unwrap_or(i64::MAX);
            let web = oks.iter().find(|o| o.0 > t && o.0 < next_disable);
            let worker = crash_times
                .iter()
                .copied()
                .find(|&c| c > t + 10 && c < next_disable);
            let mut how = Vec::new();
            let restored = match (web, worker) {
                (Some(w), Some(c)) if c < w.0 => {
                    how.push(format!(
                        "a worker of the pool was running again (it crashed at {})",
                        time::short(c)
                    ));
                    Some(c)
                }
                (Some(w), _) => {
                    how.push(format!(
                        "inferred from the web logs: first non-503 response for the pool's site(s) after the disable ({} line {}); IIS logs no event when an administrator restarts a pool",
                        w.1.display(),
                        w.2
                    ));
                    Some(w.0)
                }
                (None, Some(c)) => {
                    how.push(format!(
                        "a worker of the pool was running again (it crashed at {})",
                        time::short(c)
                    ));
                    Some(c)
                }
                (None, None) => None,
            };
            e.restored_at = restored.map(Time);
            e.duration_seconds = restored.map(|r| r - t);
            let end = restored.unwrap_or(i64::MAX);
            e.http_503 = hits.iter().filter(|h| h.time >= t && h.time <= end).count() as u64;
            if restored.is_none() {
                how.push(match hits.iter().rfind(|h| h.time >= t) {
                    Some(l) => format!(
                        "not restored within the evidence (last 503 at {})",
                        time::short(l.time)
                    ),
                    None => {
                        "no evidence of the restore (no later request or worker event for the pool)"
                            .into()
                    }
                });
            }
            e.restored_how = how.join("; ");
        }
        p.rapid_fail = episodes;
    }

    // ---- groups ----
    let done: Vec<(usize, &coroner_analysis::Analysis)> = ev
        .dumps
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.analysis.as_ref().ok().map(|a| (i, a.as_ref())))
        .collect();
    let refs: Vec<&coroner_analysis::Analysis> = done.iter().map(|(_, a)| *a).collect();
    let groups: Vec<GroupInfo> = coroner_analysis::group(&refs)
        .into_iter()
        .map(|g| {
            let first = refs[g.members[0]];
            let finding = first
                .findings
                .first()
                .map(|f| coroner_report::phrase::finding(first, f));
            let pools: BTreeSet<String> = g
                .members
                .iter()
                .filter_map(|&m| {
                    dump_crash
                        .get(&done[m].0)
                        .map(|c| c.pool.clone())
                        .or_else(|| refs[m].process.app_pool.clone())
                })
                .collect();
            GroupInfo {
                bucket: g.bucket,
                dumps: g
                    .members
                    .iter()
                    .map(|&m| ev.dumps[done[m].0].path.clone())
                    .collect(),
                verdict: finding
                    .as_ref()
                    .map(|f| f.title.clone())
                    .unwrap_or_else(|| "no diagnosis".into()),
                description: finding
                    .as_ref()
                    .map(|f| f.description.clone())
                    .unwrap_or_default(),
                recommendation: finding.map(|f| f.recommendation).unwrap_or_default(),
                // The summary names who to call only for a dump with an exception record.
                who_to_call: first
                    .exception
                    .is_some()
                    .then(|| coroner_report::phrase::who_to_call(first)),
                pools: pools.into_iter().collect(),
            }
        })
        .collect();

    // ---- dump infos ----
    let coverage = log_coverage(&event_infos);
    let dumps: Vec<DumpInfo> = ev
        .dumps
        .iter()
        .enumerate()
        .map(|(i, d)| dump_info(d, &dump_facts[i], dump_crash.get(&i).cloned(), coverage))
        .collect();
    for d in &dumps {
        if let Some(e) = &d.error {
            warnings.push(format!(
                "{}: dump could not be analysed: {e}",
                d.file.display()
            ));
        }
    }

    // ---- timeline ----
    for p in pools.values() {
        for c in &p.crashes {
            let mut text = format!(
                "{} crash: {}{}",
                p.name,
                c.process.as_deref().unwrap_or("process"),
                c.pid.map(|x| format!(" pid {x}")).unwrap_or_default()
            );
            if let Some(x) = &c.exit_code {
                text.push_str(&format!(", exit code {x}"));
            }
            if let Some(x) = &c.exception_code {
                text.push_str(&format!(", exception {x}"));
            }
            if let Some(d) = &c.dump {
                text.push_str(&format!(", dump {}", file_name(d)));
            }
            timeline.push(TimelineEntry {
                time: c.time,
                pool: Some(p.name.clone()),
                kind: "crash",
                text,
            });
        }
        for r in &p.rapid_fail {
            timeline.push(TimelineEntry {
                time: r.disabled_at,
                pool: Some(p.name.clone()),
                kind: "rapid_fail",
                text: format!(
                    "{}: rapid-fail protection {} the pool after {} failures",
                    p.name,
                    if r.detected == "event" {
                        "disabled"
                    } else {
                        "would have disabled (predicted)"
                    },
                    r.failures
                ),
            });
            if let Some(t) = r.restored_at {
                timeline.push(TimelineEntry {
                    time: t,
                    pool: Some(p.name.clone()),
                    kind: "restored",
                    text: format!(
                        "{}: serving again after {}",
                        p.name,
                        time::duration(r.duration_seconds.unwrap_or(0))
                    ),
                });
            }
        }
        if let (Some(f), Some(l)) = (p.outage.first, p.outage.last) {
            timeline.push(TimelineEntry {
                time: f,
                pool: Some(p.name.clone()),
                kind: "outage_start",
                text: format!("{}: first 503 response", p.name),
            });
            timeline.push(TimelineEntry {
                time: l,
                pool: Some(p.name.clone()),
                kind: "outage_end",
                text: format!(
                    "{}: last 503 response ({} in all)",
                    p.name, p.outage.http_503
                ),
            });
        }
    }
    timeline.extend(dumps.iter().filter_map(live_dump_entry));
    timeline.sort_by_key(|t| t.time);

    // ---- codes ----
    let mut codes = Vec::new();
    for ((s, sub), n) in &status_counts {
        codes.push(CodeInfo {
            kind: "http_status",
            code: format!("{s}.{sub}"),
            count: *n,
            meaning: coroner_weblog::explain_status(*s, *sub)
                .unwrap_or("no explanation known")
                .to_string(),
        });
    }
    for (w, n) in &win32_counts {
        codes.push(CodeInfo {
            kind: "win32_status",
            code: w.to_string(),
            count: *n,
            meaning: coroner_weblog::explain_win32(*w)
                .unwrap_or("no explanation known")
                .to_string(),
        });
    }
    for (r, n) in &reason_counts {
        codes.push(CodeInfo {
            kind: "httperr_reason",
            code: r.clone(),
            count: *n,
            meaning: coroner_weblog::explain_reason(r)
                .unwrap_or("no explanation known")
                .to_string(),
        });
    }

    let mut pools: Vec<Pool> = pools.into_values().collect();
    pools.sort_by_key(|p| {
        (
            std::cmp::Reverse(p.crashes.len()),
            std::cmp::Reverse(p.outage.http_503),
            p.name.clone(),
        )
    });

    let mut inv = Investigation {
        schema: SCHEMA,
        tool: format!("coroner {}", env!("CARGO_PKG_VERSION")),
        inputs: inputs.to_vec(),
        time_zone,
        verdict: Vec::new(),
        pools,
        timeline,
        groups,
        dumps,
        event_logs: event_infos,
        web_logs: web_infos,
        configs: ev
            .configs
            .iter()
            .map(|c| ConfigInfo {
                file: c.file.clone(),
                kind: c.kind.label(),
                pools: c.pools.clone(),
                sites: c.sites.clone(),
            })
            .collect(),
        wer_reports: ev
            .wers
            .iter()
            .map(|w| WerInfo {
                file: w.file.clone(),
                event_type: w.event_type.clone(),
                time: w.time.map(Time),
                app: w.app.clone(),
                pid: w.pid,
                fault_module: w.fault_module.clone(),
                exception_code: w.exception_code.map(code),
            })
            .collect(),
        codes,
        skipped: ev.skipped,
        warnings,
    };
    inv.verdict = crate::verdict::rows(&inv);
    inv
}

/// `UTC-05:00` for a bias of 300.
pub fn offset_text(bias_minutes: i32) -> String {
    let off = -bias_minutes;
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 60, a % 60)
}

/// Last path component, for compact display.
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(t: i64, what: &str, exit: Option<u32>, exc: Option<u32>, term: bool) -> Signal {
        Signal {
            time: t,
            pid: Some(12),
            pool: Some("Classic .NET AppPool".into()),
            process: Some("w3wp.exe".into()),
            exit_code: exit,
            exception_code: exc,
            termination: term,
            how: what.into(),
            evidence: EvidenceRef {
                time: Time(t),
                file: "SysEvent.Evt".into(),
                record: 1,
                what: what.into(),
                text: String::new(),
            },
        }
    }

    #[test]
    fn exit_code_from_the_event_that_carries_it() {
        let mut c = CrashBuild::from_signal(sig(
            100,
            "Application Error 1000",
            None,
            Some(0xc000_0005),
            false,
        ));
        c.absorb(sig(102, "W3SVC 1011", None, None, true));
        assert_eq!(
            c.exit_code, None,
            "neither the fault record nor 1011 has one"
        );
        c.absorb(sig(103, "W3SVC 1009", Some(0xe043_4352), None, true));
        assert_eq!(c.exit_code, Some((0xe043_4352, "W3SVC 1009".into())));
        assert_eq!(
            c.exception_code,
            Some((0xc000_0005, "Application Error 1000".into()))
        );
        assert_eq!(c.fault, Some((100, "Application Error 1000".into())));
        assert_eq!(c.terminated, Some((102, "W3SVC 1011".into())));
        assert_eq!(c.time, 100);
    }

    #[test]
    fn coverage_note() {
        let a = 1_142_324_021; // 2006-03-14 08:13:41
        let b = a + 2 * 3600 + 49 * 60;
        let n = not_a_crash_note(Some(b + 10), Some((a, b)));
        assert_eq!(n, "dump of a process with no termination in the logs, which cover 08:13–11:02 UTC on 2006-03-14 (the dump was taken after they end)");
        assert!(not_a_crash_note(None, None).contains("no event log"));
        assert!(span_text(a, a + 86_400).contains("2006-03-15"));
    }
}
