//! Facts that dump *file names* carry: DebugDiag, ProcDump and WER LocalDumps names hold the
//! process id and/or the local time of the dump.
//!
//! * DebugDiag: `w3wp__PID__3412__Date__03_14_2006__Time_10_23_41AM__109__Second_Chance_Exception_C0000005.dmp`,
//!   for IIS workers with the pool after the process
//!   (`w3wp.exe__DefaultAppPool__PID__772__Date__04_01_2026__Time_03_07_47PM__418__Manual Dump.dmp`);
//!   the last part names what triggered the dump ([`Trigger`]).
//! * ProcDump: `w3wp.exe_060314_102341.dmp` (`_YYMMDD_HHMMSS`). The default name is the same for a
//!   snapshot (`-ma`) and an exception dump (`-e`): only the dump's content tells them apart.
//! * WER LocalDumps: `w3wp.exe.3412.dmp`
//!
//! Times in file names are the machine's local time.

use coroner_model::time::from_civil;

/// What a dump's file name says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameFacts {
    /// Which naming scheme matched.
    pub scheme: &'static str,
    pub process: Option<String>,
    pub pid: Option<u32>,
    /// Local time as if it were UTC (Unix seconds); subtract the UTC offset to get UTC.
    pub local_time: Option<i64>,
    /// The application pool a DebugDiag name carries (`w3wp.exe__Pool__PID__…`).
    pub app_pool: Option<String>,
    /// What triggered the dump, by the DebugDiag name, with the part of the name that says so.
    pub trigger: Option<(Trigger, String)>,
}

/// What a DebugDiag dump name says triggered the dump (its last `__` part).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// `Second_Chance_Exception_C0000005`: the exception was not handled; the process dies.
    SecondChance,
    /// `First_Chance_Exception_…` / `First chance exception 0X…`: raised, maybe handled.
    FirstChance,
    /// `Manual Dump`: an administrator's snapshot of a running process.
    Manual,
    /// `Hang Dump`, `IIS_COM+ Hang Dump`: a snapshot of a (possibly) hung process.
    Hang,
}

impl Trigger {
    /// `second-chance exception`, `manual dump`, …
    pub fn label(self) -> &'static str {
        match self {
            Trigger::SecondChance => "second-chance exception",
            Trigger::FirstChance => "first-chance exception",
            Trigger::Manual => "manual dump",
            Trigger::Hang => "hang dump",
        }
    }
}

/// The trigger named by one part of a DebugDiag name (`_` and spaces alike, any case).
fn trigger(part: &str) -> Option<Trigger> {
    let p = part.to_ascii_lowercase().replace('_', " ");
    if p.contains("second chance") {
        Some(Trigger::SecondChance)
    } else if p.contains("first chance") {
        Some(Trigger::FirstChance)
    } else if p.contains("manual dump") {
        Some(Trigger::Manual)
    } else if p.contains("hang dump") {
        Some(Trigger::Hang)
    } else {
        None
    }
}

fn strip_exts(name: &str) -> &str {
    let mut n = name;
    loop {
        let lower = n.to_ascii_lowercase();
        let mut changed = false;
        for ext in [".gz", ".xz", ".zip", ".cab", ".dmp", ".mdmp", ".hdmp"] {
            if lower.ends_with(ext) {
                n = &n[..n.len() - ext.len()];
                changed = true;
                break;
            }
        }
        if !changed {
            return n;
        }
    }
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Reads a dump file name (the last path component).
pub fn parse(file_name: &str) -> Option<NameFacts> {
    let stem = strip_exts(file_name);
    debugdiag(stem)
        .or_else(|| procdump(stem))
        .or_else(|| wer_local(stem))
}

fn debugdiag(stem: &str) -> Option<NameFacts> {
    let parts: Vec<&str> = stem.split("__").collect();
    let i = parts.iter().position(|p| p.eq_ignore_ascii_case("PID"))?;
    let pid = parts.get(i + 1).and_then(|p| num::<u32>(p));
    let mut local_time = None;
    if let Some(j) = parts.iter().position(|p| p.eq_ignore_ascii_case("Date")) {
        let date: Vec<&str> = parts
            .get(j + 1)
            .map(|d| d.split('_').collect())
            .unwrap_or_default();
        let time = parts.get(j + 2).and_then(|t| t.strip_prefix("Time_"));
        if let (3, Some(t)) = (date.len(), time) {
            let (mo, d, y) = (
                num::<u32>(date[0]),
                num::<u32>(date[1]),
                num::<i64>(date[2]),
            );
            let tl = t.to_ascii_uppercase();
            let (clock, pm) = if let Some(c) = tl.strip_suffix("AM") {
                (c, Some(false))
            } else if let Some(c) = tl.strip_suffix("PM") {
                (c, Some(true))
            } else {
                (tl.as_str(), None)
            };
            let hms: Vec<&str> = clock.split('_').collect();
            if hms.len() == 3 {
                if let (Some(mo), Some(d), Some(y), Some(h), Some(mi), Some(s)) = (
                    mo,
                    d,
                    y,
                    num::<u32>(hms[0]),
                    num::<u32>(hms[1]),
                    num::<u32>(hms[2]),
                ) {
                    let h = match pm {
                        Some(false) if h == 12 => 0,
                        Some(true) if h < 12 => h + 12,
                        _ => h,
                    };
                    local_time = from_civil(y, mo, d, h, mi, s);
                }
            }
        }
    }
    let process = parts
        .first()
        .filter(|p| !p.is_empty())
        .map(|p| p.to_string());
    let app_pool = (i >= 2)
        .then(|| parts[1..i].join("__"))
        .filter(|p| !p.is_empty());
    let trigger = parts[i..]
        .iter()
        .rev()
        .find_map(|p| trigger(p).map(|t| (t, p.to_string())));
    (pid.is_some() || local_time.is_some()).then_some(NameFacts {
        scheme: "DebugDiag",
        process: process.map(|p| exe(&p)),
        pid,
        local_time,
        app_pool,
        trigger,
    })
}

fn exe(p: &str) -> String {
    if p.to_ascii_lowercase().ends_with(".exe") {
        p.to_string()
    } else {
        format!("{p}.exe")
    }
}

fn procdump(stem: &str) -> Option<NameFacts> {
    let mut it = stem.rsplitn(3, '_');
    let hms = it.next()?;
    let ymd = it.next()?;
    let process = it.next()?;
    if hms.len() != 6 || ymd.len() != 6 {
        return None;
    }
    let (y, mo, d) = (
        num::<i64>(&ymd[0..2])?,
        num::<u32>(&ymd[2..4])?,
        num::<u32>(&ymd[4..6])?,
    );
    let (h, mi, s) = (
        num::<u32>(&hms[0..2])?,
        num::<u32>(&hms[2..4])?,
        num::<u32>(&hms[4..6])?,
    );
    let year = if y < 70 { 2000 + y } else { 1900 + y };
    Some(NameFacts {
        scheme: "ProcDump",
        process: (!process.is_empty()).then(|| exe(process)),
        pid: None,
        local_time: Some(from_civil(year, mo, d, h, mi, s)?),
        ..NameFacts::default()
    })
}

fn wer_local(stem: &str) -> Option<NameFacts> {
    let (proc, pid) = stem.rsplit_once('.')?;
    let pid = num::<u32>(pid)?;
    if !proc.to_ascii_lowercase().ends_with(".exe") {
        return None;
    }
    Some(NameFacts {
        scheme: "WER LocalDumps",
        process: Some(proc.to_string()),
        pid: Some(pid),
        local_time: None,
        ..NameFacts::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        let f = parse("w3wp__PID__3412__Date__03_14_2006__Time_10_23_41AM__109__Second_Chance_Exception_C0000005.dmp").unwrap();
        assert_eq!(f.pid, Some(3412));
        assert_eq!(f.local_time, Some(1_142_331_821));
        assert_eq!(f.process.as_deref(), Some("w3wp.exe"));
        let f = parse("w3wp__PID__3412__Date__03_14_2006__Time_01_05_00PM__1.dmp.gz").unwrap();
        assert_eq!(f.local_time, from_civil(2006, 3, 14, 13, 5, 0));
        let f = parse("w3wp.exe_060314_102341.dmp").unwrap();
        assert_eq!(f.local_time, Some(1_142_331_821));
        assert_eq!(f.pid, None);
        assert_eq!(
            f.trigger, None,
            "ProcDump names do not say what triggered the dump"
        );
        let f = parse("w3wp.exe.3412.dmp").unwrap();
        assert_eq!(f.pid, Some(3412));
        assert!(parse("crash.dmp").is_none());
        assert!(parse("__PID__").is_none());
        assert!(parse("a_99zz99_102341.dmp").is_none());
    }

    #[test]
    fn debugdiag_triggers_and_pool() {
        let f = parse("w3wp__PID__3412__Date__03_14_2006__Time_10_23_41AM__109__Second_Chance_Exception_C0000005.dmp.gz").unwrap();
        assert_eq!(
            f.trigger,
            Some((
                Trigger::SecondChance,
                "Second_Chance_Exception_C0000005".into()
            ))
        );
        assert_eq!(f.app_pool, None);
        let f = parse("w3wp.exe__Classic .NET AppPool__PID__772__Date__04_01_2026__Time_03_07_47PM__418__Manual Dump.dmp").unwrap();
        assert_eq!(f.trigger.map(|t| t.0), Some(Trigger::Manual));
        assert_eq!(f.app_pool.as_deref(), Some("Classic .NET AppPool"));
        assert_eq!(f.pid, Some(772));
        assert_eq!(f.process.as_deref(), Some("w3wp.exe"));
        for (name, t) in [
            ("w3wp__PID__1__Date__03_14_2006__Time_10_23_41AM__5__IIS_COM+ Hang Dump.dmp", Trigger::Hang),
            ("w3wp__PID__1__Date__03_14_2006__Time_10_23_41AM__5__Hang_Dump.dmp", Trigger::Hang),
            ("w3wp__PID__1__Date__03_14_2006__Time_10_23_41AM__5__First_Chance_Exception_E0434352.dmp", Trigger::FirstChance),
            ("w3wp.exe__A__PID__1__Date__03_14_2006__Time_10_23_41AM__5__First chance exception 0XE0434352.dmp", Trigger::FirstChance),
        ] {
            assert_eq!(parse(name).and_then(|f| f.trigger).map(|t| t.0), Some(t), "{name}");
        }
        assert_eq!(
            parse("w3wp__PID__1__Date__03_14_2006__Time_10_23_41AM__5.dmp").and_then(|f| f.trigger),
            None
        );
    }
}
