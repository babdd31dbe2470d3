//! IIS configuration: application pools' rapid-fail settings and which pool serves which
//! site, from IIS 6 `MetaBase.xml` or IIS 7+ `applicationHost.config`.

use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::Reader;
use serde::Serialize;
use std::path::PathBuf;

/// IIS defaults for rapid-fail protection (IIS 6 metabase and IIS 7+ alike): 5 failures in
/// 5 minutes.
pub const DEFAULT_MAX_CRASHES: u32 = 5;
pub const DEFAULT_INTERVAL_SECONDS: i64 = 300;

/// Which configuration file form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ConfigKind {
    #[serde(rename = "metabase")]
    MetaBase,
    #[serde(rename = "applicationHost")]
    ApplicationHost,
}

impl ConfigKind {
    pub fn label(self) -> &'static str {
        match self {
            ConfigKind::MetaBase => "IIS 6 MetaBase.xml",
            ConfigKind::ApplicationHost => "IIS 7+ applicationHost.config",
        }
    }
}

/// One pool's failure settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolSettings {
    pub name: String,
    pub rapid_fail_protection: bool,
    pub interval_seconds: i64,
    pub max_crashes: u32,
    /// The private-bytes limit that recycles a worker, in KB (`None`: off, IIS's default):
    /// MetaBase `PeriodicRestartPrivateMemory`, applicationHost `periodicRestart/@privateMemory`.
    pub private_memory_limit_kb: Option<u64>,
    /// The virtual-memory limit, in KB (`None`: off): `PeriodicRestartMemory`,
    /// `periodicRestart/@memory`.
    pub virtual_memory_limit_kb: Option<u64>,
}

/// One web site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: u32,
    pub name: String,
    /// Pool of the site's root application.
    pub pool: Option<String>,
}

/// A parsed configuration file.
#[derive(Clone, Debug, Serialize)]
pub struct IisConfig {
    pub file: PathBuf,
    pub kind: ConfigKind,
    pub pools: Vec<PoolSettings>,
    pub sites: Vec<Site>,
    /// Where IIS writes its W3C logs, as configured (`%SystemDrive%\inetpub\logs\LogFiles`;
    /// environment variables unexpanded): applicationHost.config's `logFile`/`centralW3CLogFile`
    /// `directory`, MetaBase.xml's `LogFileDirectory`. Empty: the file names none (IIS uses its
    /// default).
    pub log_directories: Vec<String>,
}

/// Recognises a configuration file by content.
pub fn sniff(head: &[u8]) -> Option<ConfigKind> {
    let text = String::from_utf8_lossy(&head[..head.len().min(64 * 1024)]);
    if text.contains("<IIS_Global")
        || text.contains("<IIsApplicationPool")
        || text.contains("<IIsWebService")
        || (text.contains("<configuration") && text.contains("/LM/W3SVC"))
    {
        return Some(ConfigKind::MetaBase);
    }
    if text.contains("<system.applicationHost") {
        return Some(ConfigKind::ApplicationHost);
    }
    None
}

fn attrs(s: &BytesStart<'_>) -> Vec<(String, String)> {
    s.attributes()
        .flatten()
        .map(|a| {
            let k = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
            let v = match a.unescape_value() {
                Ok(v) => v.into_owned(),
                Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
            };
            (k, v)
        })
        .collect()
}

fn get<'a>(a: &'a [(String, String)], name: &str) -> Option<&'a str> {
    a.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

fn boolean(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `00:05:00` / `1.00:00:00` (IIS 7 timespan) or plain minutes (IIS 6) → seconds.
fn interval(v: &str, iis6_minutes: bool) -> Option<i64> {
    let v = v.trim();
    if iis6_minutes || !v.contains(':') {
        return v
            .parse::<i64>()
            .ok()
            .filter(|m| (0..=1_000_000).contains(m))
            .map(|m| m * 60);
    }
    let (days, rest) = match v.split_once('.') {
        Some((d, r)) if !d.contains(':') => (d.parse::<i64>().ok()?, r),
        _ => (0, v),
    };
    let p: Vec<&str> = rest.split(':').collect();
    if p.len() != 3 {
        return None;
    }
    let h: i64 = p[0].parse().ok()?;
    let m: i64 = p[1].parse().ok()?;
    let s: f64 = p[2].parse().ok()?;
    Some(days * 86_400 + h * 3600 + m * 60 + s as i64)
}

#[derive(Default, Clone)]
struct Partial {
    protection: Option<bool>,
    interval: Option<i64>,
    max: Option<u32>,
    /// Memory limits in KB as written (0: off).
    private_kb: Option<u64>,
    virtual_kb: Option<u64>,
}

impl Partial {
    fn or(&self, d: &Partial) -> PoolSettings {
        PoolSettings {
            name: String::new(),
            rapid_fail_protection: self.protection.or(d.protection).unwrap_or(true),
            interval_seconds: self
                .interval
                .or(d.interval)
                .unwrap_or(DEFAULT_INTERVAL_SECONDS),
            max_crashes: self.max.or(d.max).unwrap_or(DEFAULT_MAX_CRASHES),
            private_memory_limit_kb: self.private_kb.or(d.private_kb).filter(|k| *k > 0),
            virtual_memory_limit_kb: self.virtual_kb.or(d.virtual_kb).filter(|k| *k > 0),
        }
    }
}

/// Parses a configuration file's bytes. Damaged XML stops the reading at the damage; what was
/// read before is kept and `problems` says where it stopped.
pub fn parse(file: PathBuf, bytes: &[u8], kind: ConfigKind) -> (IisConfig, Vec<String>) {
    let mut problems = Vec::new();
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = false;
    let mut stack: Vec<String> = Vec::new();
    let mut r = Reading::default();
    loop {
        let ev = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!(
                    "XML error at byte {}: {e}; the rest of the file was not read",
                    reader.buffer_position()
                ));
                break;
            }
        };
        match ev {
            XmlEvent::Start(ref s) | XmlEvent::Empty(ref s) => {
                let empty = matches!(ev, XmlEvent::Empty(_));
                let name = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
                let a = attrs(s);
                match kind {
                    ConfigKind::MetaBase => r.metabase_element(&name, &a),
                    ConfigKind::ApplicationHost => r.apphost_element(&name, &a, &stack),
                }
                if !empty && stack.len() < 256 {
                    stack.push(name);
                }
            }
            XmlEvent::End(_) => {
                stack.pop();
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    (r.finish(file, kind), problems)
}

/// What the elements read so far say.
#[derive(Default)]
struct Reading {
    defaults: Partial,
    pools: Vec<(String, Partial)>,
    default_pool: Option<String>,
    /// (id, name, pool)
    sites: Vec<(u32, String, Option<String>)>,
    /// Pools of sites' root virtual directories (MetaBase `IIsWebVirtualDir` `/ROOT`).
    root_pools: Vec<(u32, String)>,
    log_directories: Vec<String>,
}

impl Reading {
    /// Keeps a configured log directory once (bounded: a configuration names a few).
    fn log_directory(&mut self, dir: Option<&str>) {
        let Some(d) = dir.map(str::trim).filter(|d| !d.is_empty()) else {
            return;
        };
        if self.log_directories.len() < 64
            && !self
                .log_directories
                .iter()
                .any(|x| x.eq_ignore_ascii_case(d))
        {
            self.log_directories.push(d.to_string());
        }
    }
}

impl Reading {
    /// An `applicationHost.config` element under the elements `stack`.
    fn apphost_element(&mut self, name: &str, a: &[(String, String)], stack: &[String]) {
        let parent = stack.last().map(String::as_str).unwrap_or("");
        let grand = stack
            .len()
            .checked_sub(2)
            .and_then(|i| stack.get(i))
            .map(String::as_str)
            .unwrap_or("");
        match (name, parent) {
            ("add", "applicationPools") => {
                if let Some(n) = get(a, "name") {
                    self.pools.push((n.to_string(), Partial::default()));
                }
            }
            ("failure", "add") if grand == "applicationPools" => {
                if let Some((_, p)) = self.pools.last_mut() {
                    apphost_failure(a, p);
                }
            }
            ("failure", "applicationPoolDefaults") => apphost_failure(a, &mut self.defaults),
            ("periodicRestart", "recycling") if grand == "applicationPoolDefaults" => {
                apphost_recycling(a, &mut self.defaults)
            }
            ("periodicRestart", "recycling") if grand == "add" => {
                if let Some((_, p)) = self.pools.last_mut() {
                    apphost_recycling(a, p);
                }
            }
            ("applicationDefaults", "sites") => {
                self.default_pool = get(a, "applicationPool").map(String::from)
            }
            ("site", "sites") => {
                let id = get(a, "id").and_then(|v| v.parse().ok()).unwrap_or(0);
                let n = get(a, "name").unwrap_or("").to_string();
                self.sites.push((id, n, None));
            }
            ("applicationDefaults", "site") => {
                if let (Some(s), Some(p)) = (self.sites.last_mut(), get(a, "applicationPool")) {
                    if s.2.is_none() {
                        s.2 = Some(p.to_string());
                    }
                }
            }
            ("logFile" | "centralW3CLogFile", _) => self.log_directory(get(a, "directory")),
            ("application", "site") if get(a, "path") == Some("/") => {
                if let (Some(s), Some(p)) = (self.sites.last_mut(), get(a, "applicationPool")) {
                    s.2 = Some(p.to_string());
                }
            }
            _ => {}
        }
    }

    /// The configuration: pools with the defaults applied, sites with their pool (the root
    /// application's, else the site's, else the default).
    fn finish(self, file: PathBuf, kind: ConfigKind) -> IisConfig {
        let defaults = self.defaults;
        let pools = self
            .pools
            .into_iter()
            .map(|(n, p)| PoolSettings {
                name: n,
                ..p.or(&defaults)
            })
            .collect();
        let (root_pools, default_pool) = (self.root_pools, self.default_pool);
        let sites = self
            .sites
            .into_iter()
            .map(|(id, name, pool)| {
                let root = root_pools
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map(|(_, p)| p.clone());
                Site {
                    id,
                    name,
                    pool: root.or(pool).or_else(|| default_pool.clone()),
                }
            })
            .collect();
        IisConfig {
            file,
            kind,
            pools,
            sites,
            log_directories: self.log_directories,
        }
    }
}

/// `<recycling><periodicRestart memory="KB" privateMemory="KB"/>` (0: off).
fn apphost_recycling(a: &[(String, String)], p: &mut Partial) {
    if let Some(v) = get(a, "privateMemory").and_then(|v| v.trim().parse().ok()) {
        p.private_kb = Some(v);
    }
    if let Some(v) = get(a, "memory").and_then(|v| v.trim().parse().ok()) {
        p.virtual_kb = Some(v);
    }
}

fn apphost_failure(a: &[(String, String)], p: &mut Partial) {
    if let Some(v) = get(a, "rapidFailProtection").and_then(boolean) {
        p.protection = Some(v);
    }
    if let Some(v) = get(a, "rapidFailProtectionInterval").and_then(|v| interval(v, false)) {
        p.interval = Some(v);
    }
    if let Some(v) = get(a, "rapidFailProtectionMaxCrashes").and_then(|v| v.parse().ok()) {
        p.max = Some(v);
    }
}

impl Reading {
    /// A `MetaBase.xml` element.
    fn metabase_element(&mut self, name: &str, a: &[(String, String)]) {
        self.log_directory(get(a, "LogFileDirectory"));
        let loc = get(a, "Location").unwrap_or("").trim_end_matches('/');
        let settings = || {
            let mut p = Partial::default();
            if let Some(v) = get(a, "RapidFailProtection").and_then(boolean) {
                p.protection = Some(v);
            }
            if let Some(v) = get(a, "RapidFailProtectionInterval").and_then(|v| interval(v, true)) {
                p.interval = Some(v);
            }
            if let Some(v) = get(a, "RapidFailProtectionMaxCrashes").and_then(|v| v.parse().ok()) {
                p.max = Some(v);
            }
            p.private_kb =
                get(a, "PeriodicRestartPrivateMemory").and_then(|v| v.trim().parse().ok());
            p.virtual_kb = get(a, "PeriodicRestartMemory").and_then(|v| v.trim().parse().ok());
            p
        };
        let lower = loc.to_ascii_lowercase();
        match name {
            "IIsApplicationPools" => self.defaults = settings(),
            "IIsApplicationPool" => {
                if let Some(n) = loc.rsplit('/').next().filter(|n| !n.is_empty()) {
                    self.pools.push((n.to_string(), settings()));
                }
            }
            "IIsWebService" => self.default_pool = get(a, "AppPoolId").map(String::from),
            "IIsWebServer" => {
                if let Some(id) = lower
                    .strip_prefix("/lm/w3svc/")
                    .and_then(|r| r.parse::<u32>().ok())
                {
                    let n = get(a, "ServerComment").unwrap_or("").to_string();
                    self.sites
                        .push((id, n, get(a, "AppPoolId").map(String::from)));
                }
            }
            "IIsWebVirtualDir" => {
                if let Some(id) = lower
                    .strip_prefix("/lm/w3svc/")
                    .and_then(|r| r.strip_suffix("/root"))
                    .and_then(|r| r.parse::<u32>().ok())
                {
                    if let Some(p) = get(a, "AppPoolId") {
                        self.root_pools.push((id, p.to_string()));
                    }
                }
            }
            _ => {}
        }
    }
}

impl IisConfig {
    /// Settings of `pool` (case-insensitive, as IIS compares pool names).
    pub fn pool(&self, pool: &str) -> Option<&PoolSettings> {
        self.pools
            .iter()
            .find(|p| crate::poolname::same(&p.name, pool))
    }
    /// Pool serving site `id`.
    pub fn site_pool(&self, id: u32) -> Option<&str> {
        self.sites
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.pool.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metabase() {
        let x = br#"<?xml version="1.0"?><configuration><MBProperty>
<IIsWebService Location="/LM/W3SVC" AppPoolId="DefaultAppPool" LogFileDirectory="D:\IISLogs"/>
<IIsApplicationPools Location="/LM/W3SVC/AppPools" RapidFailProtectionMaxCrashes="7"/>
<IIsApplicationPool Location="/LM/W3SVC/AppPools/DefaultAppPool" RapidFailProtection="TRUE" RapidFailProtectionInterval="10" PeriodicRestartPrivateMemory="512000" PeriodicRestartMemory="0"/>
<IIsApplicationPool Location="/LM/W3SVC/AppPools/Other" RapidFailProtection="FALSE"/>
<IIsWebServer Location="/LM/W3SVC/1" ServerComment="Default Web Site"/>
<IIsWebServer Location="/LM/W3SVC/2" ServerComment="Two" AppPoolId="Other"/>
</MBProperty></configuration>"#;
        assert_eq!(sniff(x), Some(ConfigKind::MetaBase));
        let (c, p) = parse("m".into(), x, ConfigKind::MetaBase);
        assert!(p.is_empty());
        let d = c.pool("defaultapppool").unwrap();
        assert_eq!(
            (d.rapid_fail_protection, d.interval_seconds, d.max_crashes),
            (true, 600, 7)
        );
        assert!(!c.pool("Other").unwrap().rapid_fail_protection);
        assert_eq!(
            (d.private_memory_limit_kb, d.virtual_memory_limit_kb),
            (Some(512_000), None)
        );
        assert_eq!(c.pool("Other").unwrap().private_memory_limit_kb, None);
        assert_eq!(c.site_pool(1), Some("DefaultAppPool"));
        assert_eq!(c.site_pool(2), Some("Other"));
        assert_eq!(c.log_directories, ["D:\\IISLogs"]);
    }

    #[test]
    fn application_host() {
        let x = br#"<configuration><system.applicationHost><applicationPools>
<add name="A"><failure rapidFailProtectionInterval="00:02:00" rapidFailProtectionMaxCrashes="3"/></add>
<add name="B"><recycling><periodicRestart privateMemory="0" memory="3000000"/></recycling></add>
<applicationPoolDefaults><failure rapidFailProtection="false"/>
<recycling><periodicRestart privateMemory="1048576"/></recycling></applicationPoolDefaults>
</applicationPools><sites><site name="S" id="4"><application path="/" applicationPool="A"/>
<logFile directory="E:\logs\s4"/></site><siteDefaults>
<logFile directory="%SystemDrive%\inetpub\logs\LogFiles"/></siteDefaults>
<applicationDefaults applicationPool="B"/></sites></system.applicationHost></configuration>"#;
        assert_eq!(sniff(x), Some(ConfigKind::ApplicationHost));
        let (c, _) = parse("a".into(), x, ConfigKind::ApplicationHost);
        let a = c.pool("A").unwrap();
        assert_eq!(
            (a.rapid_fail_protection, a.interval_seconds, a.max_crashes),
            (false, 120, 3)
        );
        assert_eq!(c.pool("B").unwrap().max_crashes, 5);
        // A's private limit comes from the defaults; B turns it off and sets a virtual one.
        assert_eq!(a.private_memory_limit_kb, Some(1_048_576));
        let b = c.pool("B").unwrap();
        assert_eq!(
            (b.private_memory_limit_kb, b.virtual_memory_limit_kb),
            (None, Some(3_000_000))
        );
        assert_eq!(c.site_pool(4), Some("A"));
        assert_eq!(
            c.log_directories,
            ["E:\\logs\\s4", "%SystemDrive%\\inetpub\\logs\\LogFiles"]
        );
        // Truncated input: no panic.
        let _ = parse("t".into(), &x[..100], ConfigKind::ApplicationHost);
    }
}
