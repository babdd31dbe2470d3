//! Correlation: dumps ↔ termination events ↔ web logs, per application pool.
//!
//! [`investigate`] runs the stages in order, each a function of the evidence and of what the
//! stages before it found:
//!
//! 1. [`timezone`]: the machine's time-zone offset ([`TimeZone`]), and events with local
//!    time (Event Viewer CSV/TXT exports) placed on UTC with it;
//! 2. [`signals`]: evidence of deaths, pool names, rapid-fail and other events
//!    ([`signals::Signals`]);
//! 3. [`crashes`]: deaths merged per process, dumps tied to them ([`crashes::CrashBuild`]);
//! 4. [`pools`]: pools and their crashes ([`pools::Pools`]); [`hangs`]: the times a worker
//!    stopped answering, beside the crashes, with the hang dumps matched to them;
//! 5. [`web`]: the web logs' impact per pool ([`web::WebImpact`]);
//! 6. [`impact`], [`waits`] and [`rapidfail`]: each pool's outage, requests in flight, the
//!    requests that waited on each hang, and rapid-fail episodes; [`memory`]: its memory
//!    limits, recycles, out-of-memory crashes and a worker's series of dumps;
//! 7. [`groups`] and [`dumps`]: dumps grouped by bucket, and listed one by one;
//! 8. [`timeline`]: every line by time.

mod crashes;
mod dumps;
mod groups;
mod hangs;
mod impact;
mod memory;
mod pools;
mod rapidfail;
mod signals;
mod timeline;
mod timezone;
mod waits;
mod web;

use crate::evidence::Evidence;
use crate::model::*;
use crate::time::{code, Time};
use std::path::PathBuf;

/// Seconds a dump and a termination event of the same PID may be apart.
const PID_WINDOW: i64 = 600;
/// Seconds two records without a common PID may be apart and still be one death.
const NEAR_WINDOW: i64 = 30;
/// Seconds between a worker's death and the HTTPERR `Connection_Abandoned_By_AppPool` lines.
const ABANDON_WINDOW: i64 = 120;
/// Most examples kept per list.
const MAX_EXAMPLES: usize = 20;

/// Builds the investigation from loaded evidence.
pub fn investigate(inputs: &[PathBuf], mut ev: Evidence) -> Investigation {
    let mut warnings = ev.warnings.clone();
    let time_zone = timezone::time_zone(&ev);
    timezone::place_local_events(&mut ev, &time_zone, &mut warnings);
    let facts = dumps::facts(&ev, &time_zone);
    let mut sig = signals::signals(&ev, &mut warnings);
    hangs::place(&mut sig.hangs, &sig.signals, &facts);
    let crashes = crashes::crashes(sig.signals, &ev, &facts, &mut warnings);
    let (mut pools, dump_crash) = pools::pools(&crashes, &sig.rapid_events, &ev, &facts);
    let mut hangs = hangs::merge(sig.hangs);
    let dump_hang = hangs::match_dumps(&mut hangs, &facts, &dump_crash);
    hangs::add(&mut pools, &hangs, &ev);
    memory::apply(&mut pools, &sig.recycles, &ev, &facts, &dump_crash);
    let web = web::web_impact(&ev, &mut pools, &sig.event_pools, &facts, &mut warnings);
    let mut pools = pools.map;
    impact::apply(&mut pools, &web);
    waits::apply(&mut pools, &web);
    rapidfail::episodes(&mut pools, &web, &sig.rapid_events, &mut warnings);
    let groups = groups::groups(&ev, &dump_crash, &dump_hang);
    let links = dumps::Links {
        crash: &dump_crash,
        hang: &dump_hang,
    };
    let dumps = dumps::infos(&ev, &facts, links, &sig.event_logs, &mut warnings);
    let timeline = timeline::timeline(sig.timeline, &pools, &dumps);
    let mut pools: Vec<Pool> = pools.into_values().collect();
    pools.sort_by_key(|p| {
        (
            std::cmp::Reverse(p.crashes.len()),
            std::cmp::Reverse(p.hangs.len()),
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
        event_logs: sig.event_logs,
        web_logs: web.web_logs,
        configs: ev.configs.iter().map(config_info).collect(),
        wer_reports: ev.wers.iter().map(wer_info).collect(),
        codes: web.codes,
        skipped: ev.skipped,
        warnings,
    };
    inv.verdict = crate::verdict::rows(&inv);
    inv
}

fn config_info(c: &coroner_iis::config::IisConfig) -> ConfigInfo {
    ConfigInfo {
        file: c.file.clone(),
        kind: c.kind.label(),
        pools: c.pools.clone(),
        sites: c.sites.clone(),
    }
}

fn wer_info(w: &coroner_iis::wer::WerFile) -> WerInfo {
    WerInfo {
        file: w.file.clone(),
        event_type: w.event_type.clone(),
        time: w.time.map(Time),
        app: w.app.clone(),
        pid: w.pid,
        fault_module: w.fault_module.clone(),
        exception_code: w.exception_code.map(code),
    }
}

/// `UTC-05:00` for a bias of 300.
pub fn offset_text(bias_minutes: i32) -> String {
    let off = -bias_minutes;
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 60, a % 60)
}

#[cfg(test)]
mod tests {
    use super::crashes::CrashBuild;
    use super::dumps::not_a_crash_note;
    use super::signals::Signal;
    use crate::model::{EvidenceRef, Said};
    use crate::time::Time;
    use coroner_report::phrase::investigate::said::{said, span};
    use coroner_report::phrase::Lang;

    fn sig(t: i64, what: &str, exit: Option<u32>, exc: Option<u32>, term: bool) -> Signal {
        Signal {
            time: t,
            pid: Some(12),
            pool: Some("Classic .NET AppPool".into()),
            process: Some("w3wp.exe".into()),
            exit_code: exit,
            exception_code: exc,
            termination: term,
            how: Said::verbatim(what),
            evidence: EvidenceRef {
                time: Time(t),
                file: "SysEvent.Evt".into(),
                record: 1,
                what: what.into(),
                text: Said::verbatim(""),
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
        let n = said(not_a_crash_note(Some(b + 10), Some((a, b)))).en;
        assert_eq!(n, "dump of a process with no termination in the logs, which cover 08:13–11:02 UTC on 2006-03-14 (the dump was taken after they end)");
        assert!(said(not_a_crash_note(None, None))
            .en
            .contains("no event log"));
        assert!(span(Time(a), Time(a + 86_400), Lang::En).contains("2006-03-15"));
        let ko = said(not_a_crash_note(Some(b + 10), Some((a, b))));
        assert_eq!(
            coroner_report::phrase::investigate::said::words(&ko, Lang::Ko),
            "로그(2006-03-14 08:13–11:02 UTC)에 종료 기록이 없는 프로세스의 덤프 (덤프는 로그가 끝난 뒤에 수집됨)"
        );
    }
}
