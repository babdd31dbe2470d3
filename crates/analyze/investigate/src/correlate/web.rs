//! Stage 5: the impact seen in the web logs — 503s, requests served, requests in flight when a
//! worker died (HTTPERR `Connection_Abandoned_By_AppPool`), failed requests (Win32 64/1236),
//! each attributed to a pool; one [`WebLogInfo`] per log; the status, Win32 and reason codes
//! with their meaning.

use super::dumps::DumpFacts;
use super::pools::Pools;
use super::MAX_EXAMPLES;
use crate::evidence::Evidence;
use crate::model::{CodeInfo, Fact, FailedRequest, FailedRequests, InFlight, Said, WebLogInfo};
use crate::time::Time;
use coroner_iis::config::IisConfig;
use coroner_iis::poolname;
use coroner_report::phrase::investigate::said::said;
use coroner_weblog::{Request, RequestLite, WebLog};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A 503 response and why (`W3C 503.<substatus>` or the HTTPERR reason).
pub(super) struct Hit {
    pub time: i64,
    pub reason: String,
}

/// A request answered with another status than 503: the pool was serving.
pub(super) struct Served {
    pub time: i64,
    pub file: Rc<PathBuf>,
    pub line: u64,
}

/// A W3C request with a `time-taken`; method and URL only for slow ones (kept whole by the
/// loader).
pub(super) struct Timed {
    pub time: i64,
    pub taken_ms: u64,
    pub status: u16,
    pub win32_status: u32,
    pub file: Rc<PathBuf>,
    pub line: u64,
    pub method: Option<String>,
    pub url: Option<String>,
}

/// An HTTPERR line that tells of a wait: a `Timer_*` reason or `Connection_Abandoned_By_AppPool`.
pub(super) struct WaitErr {
    pub time: i64,
    pub reason: String,
}

/// What the web logs say, per pool (names as the pools know them).
#[derive(Default)]
pub(super) struct WebImpact {
    pub http_503: BTreeMap<String, Vec<Hit>>,
    pub served: BTreeMap<String, Vec<Served>>,
    /// Every W3C request of the pool that has a `time-taken`, by log order.
    pub timed: BTreeMap<String, Vec<Timed>>,
    /// HTTPERR timeouts and abandoned connections of the pool.
    pub wait_errs: BTreeMap<String, Vec<WaitErr>>,
    pub abandons: Vec<(String, InFlight)>,
    pub failed: BTreeMap<String, FailedRequests>,
    pub web_logs: Vec<WebLogInfo>,
    pub codes: Vec<CodeInfo>,
}

/// Reads every web log; pools that only the web logs name are added to `pools`.
pub(super) fn web_impact(
    ev: &Evidence,
    pools: &mut Pools,
    event_pools: &[String],
    facts: &[DumpFacts],
    warnings: &mut Vec<Said>,
) -> WebImpact {
    let mut out = WebImpact::default();
    let mut counts = Counts::default();
    let mut r = Resolver::new(pools, event_pools, &ev.configs, facts);
    for log in &ev.web_logs {
        let info = read_log(log, &mut r, &mut out, &mut counts);
        if log.problems_total > 0 {
            warnings.push(said(Fact::UnusableLines {
                file: log.file.display().to_string(),
                lines: log.problems_total,
            }));
        }
        out.web_logs.push(info);
        if log.local_time {
            warnings.push(said(Fact::LocalWebTimes {
                file: log.file.display().to_string(),
            }));
        }
    }
    // By their English words, as the set of strings they once were kept them.
    let mut notes: Vec<Said> = std::mem::take(&mut r.notes).into_iter().map(said).collect();
    notes.sort_by(|a, b| a.en.cmp(&b.en));
    warnings.extend(notes);
    if r.assumed_sole {
        if let Some(p) = &r.sole {
            warnings.push(said(Fact::SolePool { pool: p.clone() }));
        }
    }
    // Every pool that has web evidence.
    for name in out
        .http_503
        .keys()
        .chain(out.abandons.iter().map(|(p, _)| p))
        .chain(out.failed.keys())
    {
        let name = pools.canon(name);
        pools.entry(&name, "application pool");
    }
    out.codes = counts.codes();
    out
}

/// Which pool a W3C request / HTTPERR entry belongs to.
struct Resolver<'p> {
    pools: &'p Pools<'p>,
    /// Every pool name the evidence gives.
    known: Vec<String>,
    /// The only application pool, when there is one.
    sole: Option<String>,
    /// Some entry was given to `sole` for want of a site or queue name.
    assumed_sole: bool,
    /// Warnings about queue names.
    notes: Vec<Fact>,
}

impl<'p> Resolver<'p> {
    fn new(
        pools: &'p Pools<'p>,
        event_pools: &[String],
        configs: &[IisConfig],
        facts: &[DumpFacts],
    ) -> Resolver<'p> {
        let iis: BTreeSet<String> = pools
            .map
            .values()
            .filter(|p| p.kind == "application pool")
            .map(|p| p.name.clone())
            .collect();
        Resolver {
            pools,
            known: known_pools(pools.map.keys(), event_pools, configs, facts),
            sole: (iis.len() == 1)
                .then(|| iis.iter().next().cloned())
                .flatten(),
            assumed_sole: false,
            notes: Vec::new(),
        }
    }

    /// The pool of an entry: its queue name, else its site (or the log's folder's site), else
    /// the only application pool.
    fn pool(
        &mut self,
        site: Option<u32>,
        file_site: Option<u32>,
        queue: Option<&str>,
    ) -> Option<String> {
        let pools = self.pools;
        let q = queue.map(str::trim).filter(|q| !q.is_empty() && *q != "-");
        let p = q
            .map(|q| {
                let site = site.or(file_site).and_then(|s| pools.site_pool(s));
                let m = poolname::resolve_queue(q, &self.known, site.as_deref());
                if let Some(n) = queue_note(q, &m) {
                    if !self.notes.contains(&n) {
                        self.notes.push(n);
                    }
                }
                m.name().to_string()
            })
            .or_else(|| site.or(file_site).and_then(|s| pools.site_pool(s)))
            .or_else(|| {
                let s = self.sole.clone();
                if s.is_some() {
                    self.assumed_sole = true;
                }
                s
            })?;
        Some(pools.canon(&p))
    }
}

/// Counts over all logs, for the code explanations.
#[derive(Default)]
struct Counts {
    status: BTreeMap<(u16, u32), u64>,
    win32: BTreeMap<u32, u64>,
    reason: BTreeMap<String, u64>,
}

impl Counts {
    /// Every code seen, with its meaning.
    fn codes(&self) -> Vec<CodeInfo> {
        let info = |kind, code: String, count: u64, meaning: Option<&str>| CodeInfo {
            kind,
            code,
            count,
            meaning: meaning.unwrap_or("no explanation known").to_string(),
        };
        let mut codes = Vec::new();
        for ((s, sub), n) in &self.status {
            let meaning = coroner_weblog::explain_status(*s, *sub);
            codes.push(info("http_status", format!("{s}.{sub}"), *n, meaning));
        }
        for (w, n) in &self.win32 {
            let meaning = coroner_weblog::explain_win32(*w);
            codes.push(info("win32_status", w.to_string(), *n, meaning));
        }
        for (r, n) in &self.reason {
            let meaning = coroner_weblog::explain_reason(r);
            codes.push(info("httperr_reason", r.clone(), *n, meaning));
        }
        codes
    }
}

/// What one log holds.
#[derive(Default)]
struct Tally {
    by_status: BTreeMap<String, u64>,
    by_reason: BTreeMap<String, u64>,
    pools: BTreeSet<String>,
    times: Vec<i64>,
}

/// Reads one log into `out` and `counts`; returns its description.
fn read_log(
    log: &WebLog,
    r: &mut Resolver,
    out: &mut WebImpact,
    counts: &mut Counts,
) -> WebLogInfo {
    let mut tally = Tally::default();
    let file_site = site_of_path(&log.file);
    read_requests(log, file_site, r, out, counts, &mut tally);
    read_errors(log, file_site, r, out, counts, &mut tally);
    log_info(log, tally)
}

/// The W3C requests of a log: 503s, requests served, failed requests.
fn read_requests(
    log: &WebLog,
    file_site: Option<u32>,
    r: &mut Resolver,
    out: &mut WebImpact,
    counts: &mut Counts,
    tally: &mut Tally,
) {
    let file_rc = Rc::new(log.file.clone());
    // Requests come reduced (`lite`, with the notable ones kept whole in `requests`) when
    // the log was loaded for correlation; a fully parsed log is reduced here.
    let reduced: (Vec<RequestLite>, Vec<String>);
    let (lite, sites): (&[RequestLite], &[String]) =
        if !log.lite.is_empty() || log.requests.is_empty() {
            (&log.lite, &log.sites)
        } else {
            reduced = reduce(&log.requests);
            (&reduced.0, &reduced.1)
        };
    let notable: HashMap<u64, &Request> = log.requests.iter().map(|r| (r.line, r)).collect();
    for q in lite {
        tally.times.push(q.time);
        let status = (q.status != 0).then_some(q.status);
        if let Some(s) = status {
            *tally.by_status.entry(s.to_string()).or_default() += 1;
            *counts.status.entry((s, q.substatus)).or_default() += 1;
        }
        if q.win32_status != 0 {
            *counts.win32.entry(q.win32_status).or_default() += 1;
        }
        let site = sites.get(usize::from(q.site)).map(String::as_str);
        let Some(p) = r.pool(site.and_then(site_id), file_site, None) else {
            continue;
        };
        tally.pools.insert(p.clone());
        if status == Some(503) {
            out.http_503.entry(p.clone()).or_default().push(Hit {
                time: q.time,
                reason: format!("W3C 503.{}", q.substatus),
            });
        } else if status.is_some() {
            out.served.entry(p.clone()).or_default().push(Served {
                time: q.time,
                file: file_rc.clone(),
                line: q.line,
            });
        }
        if let Some(taken_ms) = q.time_taken() {
            let full = notable.get(&q.line).copied();
            out.timed.entry(p.clone()).or_default().push(Timed {
                time: q.time,
                taken_ms,
                status: q.status,
                win32_status: q.win32_status,
                file: file_rc.clone(),
                line: q.line,
                method: full.and_then(|r| r.method.clone()),
                url: full.and_then(|r| r.uri_stem.clone()),
            });
        }
        if let w @ (64 | 1236) = q.win32_status {
            let f = out.failed.entry(p).or_default();
            count_failed(f, q, notable.get(&q.line).copied(), status, w);
        }
    }
}

/// Counts a request that failed with Win32 status 64 or 1236, keeping the first examples.
fn count_failed(
    f: &mut FailedRequests,
    q: &RequestLite,
    full: Option<&Request>,
    status: Option<u16>,
    w: u32,
) {
    if w == 64 {
        f.win32_64 += 1;
    } else {
        f.win32_1236 += 1;
    }
    if f.examples.len() < MAX_EXAMPLES {
        f.examples.push(FailedRequest {
            time: Time(q.time),
            method: full.and_then(|q| q.method.clone()),
            url: full.and_then(|q| q.uri_stem.clone()),
            client_ip: full.and_then(|q| q.client_ip.clone()),
            status,
            win32_status: w,
        });
    }
}

/// A fully parsed log's requests in the reduced form, with the site names they index.
fn reduce(requests: &[Request]) -> (Vec<RequestLite>, Vec<String>) {
    let mut sites: Vec<String> = Vec::new();
    let lite = requests
        .iter()
        .map(|r| RequestLite {
            line: r.line,
            time: r.time,
            status: r.status.unwrap_or(0),
            site: match &r.site {
                Some(sn) => match sites.iter().position(|x| x == sn) {
                    Some(i) => i as u16,
                    None => {
                        sites.push(sn.clone());
                        (sites.len() - 1) as u16
                    }
                },
                None => u16::MAX,
            },
            substatus: r.substatus.unwrap_or(0),
            win32_status: r.win32_status.unwrap_or(0),
            time_taken_ms: coroner_weblog::lite_time_taken(r.time_taken_ms),
        })
        .collect();
    (lite, sites)
}

/// The HTTPERR entries of a log: 503s and requests in flight when a worker died.
fn read_errors(
    log: &WebLog,
    file_site: Option<u32>,
    r: &mut Resolver,
    out: &mut WebImpact,
    counts: &mut Counts,
    tally: &mut Tally,
) {
    for e in &log.errors {
        tally.times.push(e.time);
        if let Some(s) = e.status {
            *tally.by_status.entry(s.to_string()).or_default() += 1;
            *counts.status.entry((s, 0)).or_default() += 1;
        }
        if !e.reason.is_empty() {
            *tally.by_reason.entry(e.reason.clone()).or_default() += 1;
            *counts.reason.entry(e.reason.clone()).or_default() += 1;
        }
        let Some(p) = r.pool(e.site_id, file_site, e.queue_name_logged.as_deref()) else {
            continue;
        };
        tally.pools.insert(p.clone());
        if e.status == Some(503) {
            out.http_503.entry(p.clone()).or_default().push(Hit {
                time: e.time,
                reason: e.reason.clone(),
            });
        }
        if is_abandon(&e.reason) || is_timer(&e.reason) {
            out.wait_errs.entry(p.clone()).or_default().push(WaitErr {
                time: e.time,
                reason: e.reason.trim().to_string(),
            });
        }
        if is_abandon(&e.reason) {
            let inf = InFlight {
                time: Time(e.time),
                pid: None,
                crash_time: None,
                hang_time: None,
                method: e.method.clone(),
                url: e.uri.clone(),
                client_ip: e.client_ip.clone(),
                file: log.file.clone(),
                line: e.line,
            };
            out.abandons.push((p, inf));
        }
    }
}

/// The description of one log.
fn log_info(log: &WebLog, tally: Tally) -> WebLogInfo {
    let times = &tally.times;
    WebLogInfo {
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
        by_status: tally.by_status,
        by_reason: tally.by_reason,
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
        pools: tally.pools.into_iter().collect(),
    }
}

/// Every pool name the event logs, the IIS configuration and the dumps give, once each
/// (compared as IIS does); the pools already built come first.
fn known_pools<'a>(
    built: impl Iterator<Item = &'a String>,
    event_pools: &'a [String],
    configs: &'a [IisConfig],
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
fn queue_note(logged: &str, m: &poolname::QueueMatch) -> Option<Fact> {
    match m {
        poolname::QueueMatch::Known(_) => None,
        poolname::QueueMatch::Unknown(n) if n != logged => Some(Fact::QueueUnknown {
            logged: logged.to_string(),
            read_as: n.to_string(),
        }),
        poolname::QueueMatch::Unknown(_) => None,
        poolname::QueueMatch::Ambiguous { chosen, candidates } => Some(Fact::QueueAmbiguous {
            logged: logged.to_string(),
            candidates: candidates.iter().map(|c| c.to_string()).collect(),
            chosen: chosen.to_string(),
        }),
    }
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

/// An HTTP.sys timer reason (`Timer_ConnectionIdle`, `Timer_EntityBody`, `Timer_AppPool`, …).
fn is_timer(reason: &str) -> bool {
    reason
        .trim()
        .get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("Timer_"))
}
