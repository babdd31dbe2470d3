//! Incidents: the event logs, IIS logs, IIS configuration and `Report.wer` files of a server
//! that has no crash client, sent by `coroner upload --incident` beside its dumps, and the
//! `coroner investigate` report made of them on the server.
//!
//! Each file is recognised by content (the same sniffers `investigate` uses) and stored in the
//! dump store as `incidents/<incident id>/<sha256>.<kind>`: the client's file name is kept as
//! data only and never reaches the filesystem. The report is made on first view through the
//! same library call as `coroner investigate` (the files, plus the dumps of the crashes the
//! incident names) and kept until a later file arrives.

use crate::db::IncidentRow;
use crate::{ServeError, Shared};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What kind of evidence a file is, by its first bytes (`None`: none `investigate` reads).
pub fn kind_of(head: &[u8]) -> Option<&'static str> {
    use coroner_eventlog::Kind as E;
    if let Some(k) = coroner_eventlog::sniff(head) {
        return Some(match k {
            E::Evtx => "evtx",
            E::Evt => "evt",
            E::Xml => "xml",
            E::ViewerExport => "export.txt",
        });
    }
    if let Some(k) = coroner_iis::config::sniff(head) {
        return Some(match k {
            coroner_iis::config::ConfigKind::MetaBase => "metabase.xml",
            coroner_iis::config::ConfigKind::ApplicationHost => "config",
        });
    }
    if coroner_iis::wer::sniff(head) {
        return Some("wer");
    }
    match coroner_weblog::sniff(head) {
        Some(coroner_weblog::Kind::W3c) => Some("w3c.log"),
        Some(coroner_weblog::Kind::HttpErr) => Some("httperr.log"),
        None => None,
    }
}

/// The store name of an incident's file.
pub fn file_name(incident: &str, sha: &str, kind: &str) -> String {
    format!("incidents/{incident}/{sha}.{kind}")
}

/// The investigation of an incident's files and dumps, as `coroner investigate` makes it, or
/// why there is none. Runs on a blocking thread; the files come from the store (read in place
/// when it is a directory, copied into a scratch folder otherwise).
pub async fn investigate(
    s: &Shared,
    inc: &IncidentRow,
) -> Result<coroner_investigate::Investigation, String> {
    let scratch = s
        .config
        .data
        .join("tmp")
        .join(uuid::Uuid::new_v4().to_string());
    let paths = gather(s, inc, &scratch).await;
    let result = match paths {
        Ok(paths) if paths.is_empty() => Err("no file of this incident is in the store".into()),
        Ok(paths) => {
            let opts = coroner_investigate::Options {
                analysis: s.config.analysis.analysis.clone(),
                dump_limits: s.config.analysis.limits,
                progress: None,
            };
            // A dump that hangs its analysis leaves this thread behind, as the worker's
            // watchdog does: the page answers, and the next view tries again.
            let limit = Duration::from_secs(s.config.analysis_timeout.saturating_mul(4));
            let task = tokio::task::spawn_blocking(move || {
                coroner_investigate::investigate(&paths, &opts)
            });
            match tokio::time::timeout(limit, task).await {
                Err(_) => Err(format!(
                    "the investigation took longer than {} s",
                    limit.as_secs()
                )),
                Ok(joined) => joined
                    .map_err(|e| format!("the investigation failed: {e}"))
                    .and_then(|r| r.map_err(|e| e.to_string())),
            }
        }
        Err(e) => Err(e.to_string()),
    };
    let _ = tokio::fs::remove_dir_all(&scratch).await;
    result
}

/// The paths of an incident's stored files and of its crashes' dumps that are still stored.
async fn gather(s: &Shared, inc: &IncidentRow, scratch: &Path) -> Result<Vec<PathBuf>, ServeError> {
    let mut out = Vec::new();
    for (n, f) in inc.files.iter().enumerate() {
        let name = safe_name(Some(&f.name), || format!("{}.{}", f.sha256, f.kind));
        let dir = scratch.join(format!("file{n}"));
        out.extend(place(s, &f.key, &dir, &name).await?);
    }
    for (n, id) in inc.crashes.iter().enumerate() {
        let (Ok(u), Ok(Some(c))) = (uuid::Uuid::parse_str(id), s.db.crash(id).await) else {
            continue;
        };
        let sent_as: serde_json::Value = serde_json::from_str(&c.annotations).unwrap_or_default();
        let name = safe_name(sent_as["coroner_file"].as_str(), || format!("{u}.dmp"));
        let dir = scratch.join(format!("dump{n}"));
        out.extend(place(s, &crate::blobs::dump_name(&u), &dir, &name).await?);
    }
    Ok(out)
}

/// The name a file is given in the scratch folder: DebugDiag's and ProcDump's dump names say the
/// pool, PID and kind of capture, which `investigate` reads, and the report names each file, so
/// the name the client sent is kept, reduced to letters, digits and `._-+ ` (no separator, no
/// leading dot), in a folder of the server's own making; `fallback` when nothing is left.
fn safe_name(sent: Option<&str>, fallback: impl FnOnce() -> String) -> String {
    let kept: String = sent
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-+ ".contains(*c))
        .take(200)
        .collect();
    let kept = kept.trim_start_matches(['.', ' ']).trim_end();
    if kept.is_empty() {
        fallback()
    } else {
        kept.to_string()
    }
}

/// A stored object as `dir/name` for `investigate`: hard-linked (or copied) from a directory
/// store, written from an object store. `None` when it is no longer stored (deleted by
/// retention): the report lists what it had.
async fn place(
    s: &Shared,
    key: &str,
    dir: &Path,
    name: &str,
) -> Result<Option<PathBuf>, ServeError> {
    let local = s.blobs.local_path(key).filter(|p| p.is_file());
    let io = |source| ServeError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let to = dir.join(name);
    if let Some(p) = local {
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        if tokio::fs::hard_link(&p, &to).await.is_err() {
            tokio::fs::copy(&p, &to).await.map_err(io)?;
        }
        return Ok(Some(to));
    }
    let Ok(bytes) = s.blobs.get(key).await else {
        return Ok(None);
    };
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    tokio::fs::write(&to, &bytes).await.map_err(io)?;
    Ok(Some(to))
}

/// Retention: deletes the stored files of incidents received before `before` (their reports,
/// made before, stay). Returns how many were deleted.
pub async fn expire(s: &Shared, before: i64) -> Result<usize, ServeError> {
    let mut total = 0;
    loop {
        let files = s.db.expire_incident_files(before, 500).await?;
        if files.is_empty() {
            return Ok(total);
        }
        for (_, _, key) in &files {
            s.blobs.delete(key).await?;
        }
        total += files.len();
    }
}

#[cfg(test)]
mod tests {
    use super::kind_of;

    #[test]
    fn dump_names_keep_what_investigate_reads_and_nothing_that_walks() {
        let name = |sent| super::safe_name(sent, || "fallback.dmp".into());
        let n = "w3wp__PID__1744__Date__03_14_2006__Time_05_27_34AM__128__Second_Chance_Exception_C0000005.dmp.gz";
        assert_eq!(name(Some(n)), n);
        assert_eq!(name(Some("../../etc/passwd")), "etcpasswd");
        assert_eq!(name(Some("C:\\x\\..\\y.dmp")), "Cx..y.dmp");
        assert_eq!(name(Some("..")), "fallback.dmp");
        assert_eq!(name(None), "fallback.dmp");
    }

    #[test]
    fn files_are_recognised_by_content_not_name() {
        assert_eq!(kind_of(b"ElfFile\0rest"), Some("evtx"));
        assert_eq!(
            kind_of(b"#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2024-01-01 00:00:00\r\n#Fields: date time cs-method cs-uri-stem sc-status\r\n"),
            Some("w3c.log")
        );
        assert_eq!(kind_of(b"Version=1\r\nEventType=APPCRASH\r\n"), Some("wer"));
        assert_eq!(kind_of(b"hello, world"), None);
        assert_eq!(kind_of(b"MDMP\x93\xa7"), None);
    }
}
