//! Finding and loading the evidence: files are recognised by content, never by name.

use crate::model::{Fact, Said};
use coroner_analysis::Analysis;
use coroner_iis::config::{self, IisConfig};
use coroner_iis::dumpname::{self as names, NameFacts};
use coroner_iis::wer::{self, WerFile};
use coroner_report::phrase::investigate::said::said;
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Most files taken from the folders given.
pub const MAX_FILES: usize = 100_000;
/// Bytes read to recognise a file.
const HEAD: u64 = 64 * 1024;

pub use coroner_incident::model::Skipped;

/// One dump: its analysis (or why there is none) and what its name says.
#[derive(Debug)]
pub struct LoadedDump {
    pub path: PathBuf,
    pub analysis: Result<std::sync::Arc<Analysis>, coroner_dump::LoadError>,
    pub name: Option<NameFacts>,
}

/// Everything read.
#[derive(Debug, Default)]
pub struct Evidence {
    pub dumps: Vec<LoadedDump>,
    pub event_logs: Vec<coroner_eventlog::EventLog>,
    pub web_logs: Vec<coroner_weblog::WebLog>,
    pub configs: Vec<IisConfig>,
    pub wers: Vec<WerFile>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<Said>,
}

impl Evidence {
    /// The analysis of dump `i` as the model quotes it, when it could be analysed.
    pub fn quoted(&self, i: usize) -> Option<crate::model::Quoted> {
        let a = self.dumps.get(i)?.analysis.as_ref().ok()?;
        Some(crate::model::Quoted(a.clone()))
    }

    /// The analysis of dump `i`, when it could be analysed.
    pub fn analysis(&self, i: usize) -> Option<&Analysis> {
        self.dumps.get(i)?.analysis.as_ref().ok().map(|a| &**a)
    }
}

enum Item {
    Dump(LoadedDump),
    EventLog(coroner_eventlog::EventLog),
    WebLog(coroner_weblog::WebLog),
    Config(IisConfig, Vec<String>),
    Wer(WerFile),
    Skipped(Skipped),
}

/// Lists the files under `paths` (folders recursively, symlinked folders not followed), sorted.
pub fn discover(paths: &[PathBuf], warnings: &mut Vec<Said>) -> (Vec<PathBuf>, Vec<Skipped>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut capped = false;
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut files, &mut skipped, &mut capped, 0),
            Ok(_) => files.push(p.clone()),
            Err(e) => skipped.push(Skipped {
                file: p.clone(),
                reason: said(Fact::CannotRead {
                    error: e.to_string(),
                }),
            }),
        }
    }
    if capped {
        warnings.push(said(Fact::TooManyFiles { max: MAX_FILES }));
    }
    files.sort();
    files.dedup();
    files.truncate(MAX_FILES);
    (files, skipped)
}

fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    skipped: &mut Vec<Skipped>,
    capped: &mut bool,
    depth: u32,
) {
    if depth > 64 {
        skipped.push(Skipped {
            file: dir.to_path_buf(),
            reason: said(Fact::TooDeep),
        });
        return;
    }
    let rd = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            skipped.push(Skipped {
                file: dir.to_path_buf(),
                reason: said(Fact::CannotList {
                    error: e.to_string(),
                }),
            });
            return;
        }
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if out.len() > MAX_FILES {
            *capped = true;
            return;
        }
        let Ok(lm) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if lm.is_dir() {
            walk(&p, out, skipped, capped, depth + 1);
        } else if lm.file_type().is_symlink() {
            if std::fs::metadata(&p).map(|m| m.is_file()).unwrap_or(false) {
                out.push(p);
            }
        } else if lm.is_file() {
            out.push(p);
        }
    }
}

fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let mut b = Vec::new();
    (&mut f).take(HEAD).read_to_end(&mut b)?;
    Ok(b)
}

/// Loads every file (in parallel); a file that fails is listed in `skipped`, never fatal.
pub fn load(paths: &[PathBuf], opts: &crate::Options) -> Evidence {
    let mut ev = Evidence::default();
    let (files, skipped) = discover(paths, &mut ev.warnings);
    ev.skipped = skipped;
    let done = AtomicUsize::new(0);
    let items: Vec<Item> = files
        .par_iter()
        .map(|p| {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load_one(p, opts)))
                .unwrap_or_else(|_| {
                    Item::Skipped(Skipped {
                        file: p.clone(),
                        reason: said(Fact::InternalError),
                    })
                });
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(tell) = &opts.progress {
                tell(n, files.len(), p);
            }
            r
        })
        .collect();
    for it in items {
        match it {
            Item::Dump(d) => ev.dumps.push(d),
            Item::EventLog(l) => ev.event_logs.push(l),
            Item::WebLog(l) => ev.web_logs.push(l),
            Item::Config(c, problems) => {
                for p in problems {
                    ev.warnings.push(said(Fact::FileNote {
                        file: c.file.display().to_string(),
                        note: p,
                    }));
                }
                ev.configs.push(c)
            }
            Item::Wer(w) => ev.wers.push(w),
            Item::Skipped(s) => ev.skipped.push(s),
        }
    }
    ev
}

fn skip(p: &Path, reason: Fact) -> Item {
    Item::Skipped(Skipped {
        file: p.to_path_buf(),
        reason: said(reason),
    })
}

fn cannot_read(p: &Path, e: std::io::Error) -> Item {
    skip(
        p,
        Fact::CannotRead {
            error: e.to_string(),
        },
    )
}

fn is_container(h: &[u8]) -> Option<&'static str> {
    if h.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if h.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else if h.starts_with(b"PK\x03\x04") {
        Some("zip")
    } else if h.starts_with(b"MSCF") {
        Some("cab")
    } else {
        None
    }
}

fn load_one(p: &Path, opts: &crate::Options) -> Item {
    let h = match head(p) {
        Ok(h) => h,
        Err(e) => return cannot_read(p, e),
    };
    if h.is_empty() {
        return skip(p, Fact::EmptyFile);
    }
    if h.starts_with(b"MDMP") || is_container(&h).is_some() {
        return load_dump(p, opts, is_container(&h));
    }
    if h.starts_with(b"PAGEDU64") || h.starts_with(b"PAGEDUMP") {
        return skip(p, Fact::KernelDump);
    }
    if h.starts_with(b"-----BEGIN BREAKPAD MICRODUMP") {
        return skip(p, Fact::Microdump);
    }
    if let Some(kind) = config::sniff(&h) {
        return match std::fs::read(p) {
            Ok(bytes) => {
                let (c, problems) = config::parse(p.to_path_buf(), &bytes, kind);
                Item::Config(c, problems)
            }
            Err(e) => cannot_read(p, e),
        };
    }
    if wer::sniff(&h) {
        return match std::fs::read(p) {
            Ok(bytes) if bytes.len() <= 16 << 20 => Item::Wer(wer::parse(p.to_path_buf(), &bytes)),
            Ok(_) => skip(p, Fact::WerTooLarge),
            Err(e) => cannot_read(p, e),
        };
    }
    if coroner_eventlog::sniff(&h).is_some() {
        return match coroner_eventlog::load(p) {
            Ok(l) => Item::EventLog(l),
            Err(e) => skip(p, Fact::Verbatim(e.to_string())),
        };
    }
    match coroner_weblog::classify(&h) {
        Ok(_) => match coroner_weblog::load_with(p, coroner_weblog::Detail::Correlation) {
            Ok(l) => Item::WebLog(l),
            Err(e) => skip(p, Fact::Verbatim(e.to_string())),
        },
        Err(why) => skip(
            p,
            Fact::NotEvidence {
                why: why.to_string(),
            },
        ),
    }
}

fn load_dump(p: &Path, opts: &crate::Options, container: Option<&str>) -> Item {
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(names::parse);
    let file = match coroner::open(p, opts.dump_limits) {
        Ok(f) => f,
        Err(coroner::FileError { source: e, .. }) => {
            return match container {
                Some(c) => skip(
                    p,
                    Fact::ContainerUnreadable {
                        container: c.to_string(),
                        error: e.to_string(),
                        failure: e.failure(),
                    },
                ),
                None => Item::Dump(LoadedDump {
                    path: p.to_path_buf(),
                    analysis: Err(e),
                    name,
                }),
            }
        }
    };
    if container.is_some() && !file.bytes().starts_with(b"MDMP") {
        return skip(
            p,
            Fact::ContainerEmpty {
                container: container.unwrap_or("compressed").to_string(),
            },
        );
    }
    let analysis = coroner::analyze_file(&file, &opts.analysis)
        .map(std::sync::Arc::new)
        .map_err(|e| e.source);
    Item::Dump(LoadedDump {
        path: p.to_path_buf(),
        analysis,
        name,
    })
}
