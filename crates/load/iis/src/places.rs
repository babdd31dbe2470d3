//! Where a Windows server keeps the evidence of an IIS incident, under its system drive: the
//! System and Application event logs, IIS's configuration, its W3C logs (where the configuration
//! puts them), HTTP.sys's HTTPERR logs, Windows Error Reporting's reports and LocalDumps
//! folders, and DebugDiag's default output. `coroner investigate --local` reads these on the
//! server itself (root `C:\`) or from a mounted system drive on any OS, read-only.
//!
//! Mounted drives are matched ignoring case (`WINDOWS\system32` on a Windows 2003 disk), one
//! directory listing per path component.

use crate::config;
use std::path::{Path, PathBuf};

/// Directory entries looked at per path component when matching a name ignoring case.
const MAX_LISTING: usize = 10_000;
/// User profiles looked at for LocalDumps folders (`Users\*\AppData\Local\CrashDumps`).
const MAX_PROFILES: usize = 1_000;

/// One standard place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// What it holds ("System event log").
    pub what: &'static str,
    /// Its path: as found, or as expected when missing.
    pub path: PathBuf,
    /// Whether it exists.
    pub found: bool,
}

/// The standard places under one system drive.
#[derive(Clone, Debug, Default)]
pub struct Places {
    /// Every place looked for, in reading order.
    pub places: Vec<Place>,
    /// Why some places could not be looked for (a log directory on another drive).
    pub notes: Vec<String>,
}

impl Places {
    /// The places that exist.
    pub fn found(&self) -> impl Iterator<Item = &Place> {
        self.places.iter().filter(|p| p.found)
    }
}

/// The standard places under `root`, the system drive (`C:\`, or where one is mounted).
/// `windows` is the Windows directory when known (`%SystemRoot%`), else `root\Windows` (or
/// `WINNT`).
pub fn standard_places(root: &Path, windows: Option<&Path>) -> Places {
    let win = windows
        .map(Path::to_path_buf)
        .or_else(|| resolve(root, &["Windows"]))
        .or_else(|| resolve(root, &["WINNT"]))
        .unwrap_or_else(|| root.join("Windows"));
    let mut out = Places::default();
    for (what, rel) in WINDOWS_FILES {
        out.places.push(place(what, &win, rel));
    }
    for (what, rel) in ROOT_FOLDERS {
        out.places.push(place(what, root, rel));
    }
    log_directories(root, &win, &mut out);
    profile_dumps(root, &mut out);
    out
}

/// `base` joined with `rel` as found (names matched ignoring case), or as expected when missing.
fn place(what: &'static str, base: &Path, rel: &[&str]) -> Place {
    let found = resolve(base, rel);
    Place {
        what,
        found: found.is_some(),
        path: found.unwrap_or_else(|| rel.iter().fold(base.to_path_buf(), |p, c| p.join(c))),
    }
}

/// Under the Windows directory.
const WINDOWS_FILES: &[(&str, &[&str])] = &[
    (
        "System event log",
        &["System32", "winevt", "Logs", "System.evtx"],
    ),
    (
        "Application event log",
        &["System32", "winevt", "Logs", "Application.evtx"],
    ),
    (
        "System event log (Windows 2003)",
        &["System32", "config", "SysEvent.Evt"],
    ),
    (
        "Application event log (Windows 2003)",
        &["System32", "config", "AppEvent.Evt"],
    ),
    (
        "IIS 7+ configuration",
        &["System32", "inetsrv", "config", "applicationHost.config"],
    ),
    ("IIS 6 metabase", &["System32", "inetsrv", "MetaBase.xml"]),
    ("HTTPERR logs", &["System32", "LogFiles", "HTTPERR"]),
    (
        "LocalDumps of LocalSystem",
        &[
            "System32",
            "config",
            "systemprofile",
            "AppData",
            "Local",
            "CrashDumps",
        ],
    ),
    (
        "LocalDumps of LocalSystem (32-bit)",
        &[
            "SysWOW64",
            "config",
            "systemprofile",
            "AppData",
            "Local",
            "CrashDumps",
        ],
    ),
    (
        "LocalDumps of NetworkService",
        &[
            "ServiceProfiles",
            "NetworkService",
            "AppData",
            "Local",
            "CrashDumps",
        ],
    ),
    (
        "LocalDumps of LocalService",
        &[
            "ServiceProfiles",
            "LocalService",
            "AppData",
            "Local",
            "CrashDumps",
        ],
    ),
];

/// Under the system drive's root.
const ROOT_FOLDERS: &[(&str, &[&str])] = &[
    (
        "WER report archive",
        &[
            "ProgramData",
            "Microsoft",
            "Windows",
            "WER",
            "ReportArchive",
        ],
    ),
    (
        "WER report queue",
        &["ProgramData", "Microsoft", "Windows", "WER", "ReportQueue"],
    ),
    ("DebugDiag output", &["Program Files", "DebugDiag", "Logs"]),
    (
        "DebugDiag output (32-bit)",
        &["Program Files (x86)", "DebugDiag", "Logs"],
    ),
    (
        "IIS Diagnostics DebugDiag output",
        &["Program Files", "IIS Resources", "DebugDiag", "Logs"],
    ),
];

/// The W3C log folders the IIS configuration names (default: IIS 7+'s
/// `%SystemDrive%\inetpub\logs\LogFiles`, IIS 6's `%SystemRoot%\System32\LogFiles`).
fn log_directories(root: &Path, win: &Path, out: &mut Places) {
    let mut dirs: Vec<String> = Vec::new();
    for p in out
        .places
        .iter()
        .filter(|p| p.found && p.what.starts_with("IIS "))
    {
        let Ok(bytes) = std::fs::read(&p.path) else {
            continue;
        };
        let Some(kind) = config::sniff(&bytes[..bytes.len().min(4096)]) else {
            continue;
        };
        dirs.extend(
            config::parse(p.path.clone(), &bytes, kind)
                .0
                .log_directories,
        );
    }
    if dirs.is_empty() {
        dirs = vec![
            r"%SystemDrive%\inetpub\logs\LogFiles".into(),
            r"%SystemRoot%\System32\LogFiles".into(),
        ];
    }
    for d in dirs {
        match expand(&d, root, win) {
            Some((base, rel)) => {
                let rel: Vec<&str> = rel.iter().map(String::as_str).collect();
                out.places.push(place("IIS W3C logs", &base, &rel));
            }
            None => out.notes.push(format!(
                "IIS log directory {d} is on another drive than {}; pass it as a path",
                root.display()
            )),
        }
    }
}

/// A configured Windows path as a base directory and components under it: `%SystemDrive%`
/// and `C:` are the root, `%SystemRoot%`/`%windir%` the Windows directory. `None`: another
/// drive, or a variable this cannot know.
fn expand(dir: &str, root: &Path, win: &Path) -> Option<(PathBuf, Vec<String>)> {
    let parts: Vec<&str> = dir.split(['\\', '/']).filter(|c| !c.is_empty()).collect();
    let (first, rest) = parts.split_first()?;
    let base = match first.to_ascii_lowercase().as_str() {
        "%systemdrive%" => root.to_path_buf(),
        "%systemroot%" | "%windir%" => win.to_path_buf(),
        f if f.len() == 2 && f.ends_with(':') && f.starts_with(system_drive(root)) => {
            root.to_path_buf()
        }
        _ => return None,
    };
    Some((base, rest.iter().map(|s| s.to_string()).collect()))
}

/// The letter of the drive `root` stands for: its own on Windows (`C:\`), else `c` (a mounted
/// system drive is the server's C:).
fn system_drive(root: &Path) -> char {
    let s = root.to_string_lossy();
    let b = s.trim_start_matches(r"\\?\").as_bytes();
    match b {
        [l, b':', ..] if l.is_ascii_alphabetic() => (*l as char).to_ascii_lowercase(),
        _ => 'c',
    }
}

/// LocalDumps folders of application-pool identities with a loaded profile
/// (`Users\*\AppData\Local\CrashDumps`), bounded.
fn profile_dumps(root: &Path, out: &mut Places) {
    let Some(users) = resolve(root, &["Users"]) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(&users) else {
        return;
    };
    for e in entries.flatten().take(MAX_PROFILES) {
        if let Some(p) = resolve(&e.path(), &["AppData", "Local", "CrashDumps"]) {
            out.places.push(Place {
                what: "LocalDumps of a user profile",
                path: p,
                found: true,
            });
        }
    }
}

/// `base` joined with `rel`, each component matched exactly or else ignoring ASCII case;
/// `None` when some component does not exist.
pub fn resolve(base: &Path, rel: &[&str]) -> Option<PathBuf> {
    let mut path = base.to_path_buf();
    for c in rel {
        let exact = path.join(c);
        if exact.exists() {
            path = exact;
            continue;
        }
        let found = std::fs::read_dir(&path)
            .ok()?
            .flatten()
            .take(MAX_LISTING)
            .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(c))?;
        path = found.path();
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str, body: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }

    /// A Windows 2003 disk as mounted on Linux: upper-case WINDOWS, the metabase naming a log
    /// folder on C: and one on D:.
    #[test]
    fn finds_a_2003_servers_places_ignoring_case() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        touch(root, "WINDOWS/system32/config/SysEvent.Evt", "x");
        touch(root, "WINDOWS/system32/LogFiles/HTTPERR/httperr1.log", "x");
        touch(root, "WINDOWS/system32/LogFiles/W3SVC1/ex060314.log", "x");
        touch(
            root,
            "WINDOWS/system32/inetsrv/MetaBase.xml",
            r#"<?xml version="1.0"?><configuration><MBProperty>
<IIsWebService Location="/LM/W3SVC" LogFileDirectory="C:\WINDOWS\system32\LogFiles"/>
<IIsWebServer Location="/LM/W3SVC/2" LogFileDirectory="D:\Logs"/>
</MBProperty></configuration>"#,
        );
        touch(
            root,
            "Users/DefaultAppPool/AppData/Local/CrashDumps/w3wp.exe.1234.dmp",
            "x",
        );
        let p = standard_places(root, None);
        let found: Vec<(&str, String)> = p
            .found()
            .map(|x| {
                (
                    x.what,
                    x.path.strip_prefix(root).unwrap().display().to_string(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "System event log (Windows 2003)",
                    "WINDOWS/system32/config/SysEvent.Evt".into()
                ),
                (
                    "IIS 6 metabase",
                    "WINDOWS/system32/inetsrv/MetaBase.xml".into()
                ),
                ("HTTPERR logs", "WINDOWS/system32/LogFiles/HTTPERR".into()),
                ("IIS W3C logs", "WINDOWS/system32/LogFiles".into()),
                (
                    "LocalDumps of a user profile",
                    "Users/DefaultAppPool/AppData/Local/CrashDumps".into()
                ),
            ]
        );
        assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
        assert!(p.notes[0].starts_with(r"IIS log directory D:\Logs is on another drive"));
        let missing = p
            .places
            .iter()
            .find(|x| x.what == "System event log")
            .unwrap();
        assert!(!missing.found && missing.path.ends_with("System32/winevt/Logs/System.evtx"));
    }

    /// IIS 7+ without a logFile setting: the default folder under inetpub.
    #[test]
    fn iis7_default_log_folder() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        touch(root, "Windows/System32/winevt/Logs/System.evtx", "x");
        touch(
            root,
            "Windows/System32/inetsrv/config/applicationHost.config",
            "<configuration/>",
        );
        touch(root, "inetpub/logs/LogFiles/W3SVC1/u_ex230101.log", "x");
        let p = standard_places(root, None);
        let w3c: Vec<&Place> = p
            .places
            .iter()
            .filter(|x| x.what == "IIS W3C logs")
            .collect();
        assert_eq!(w3c.len(), 2);
        assert!(w3c[0].found && w3c[0].path.ends_with("inetpub/logs/LogFiles"));
        assert!(!w3c[1].found);
        assert_eq!(system_drive(Path::new(r"D:\")), 'd');
        assert_eq!(system_drive(Path::new("/mnt/c")), 'c');
    }
}
