//! Symbol path syntax, as `_NT_SYMBOL_PATH` / WinDbg's `.sympath` and coroner's `--symbols`.
//!
//! Elements are separated by `;`. Each element is one of:
//! * `srv*UPSTREAM`, `srv*CACHE*UPSTREAM`, `srv*CACHE1*CACHE2*UPSTREAM` (also `symsrv*symsrv.dll*…`):
//!   a symbol server. UPSTREAM is an `http(s)://` URL or a directory (a SymStore share). The
//!   CACHE directories are searched first and receive what is downloaded. An empty CACHE
//!   (`srv**URL`) or none means the default download cache (`Options::cache_dir`/`downloads`).
//! * `cache*DIR` (or `cache*`): a download cache for the server elements that name none; DIR is
//!   also searched like a store.
//! * anything else: a local directory, searched as a plain folder, a SymStore and a Breakpad store.
//!
//! On Unix, an element without `*` may also hold several directories separated by `:` (a
//! `PATH`-like list such as `/a/syms:/b/syms`), as long as no piece looks like a Windows drive
//! (`C:`) or a URL scheme. Windows-looking paths (`C:\cache`, anything with a backslash) are kept
//! as written; on Unix such a directory never exists, and a Windows-looking *cache* is replaced by
//! the default cache so nothing named `C:\cache` gets created in the working directory.

use std::path::PathBuf;

/// One element of a symbol path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A local directory (plain folder, SymStore or Breakpad store).
    Local(PathBuf),
    /// `srv*…`: caches searched first (and written to), then an upstream server or share.
    Server {
        /// Explicit cache directories; `None` = the default download cache.
        caches: Vec<Option<PathBuf>>,
        /// URL (`http://`, `https://`) or directory.
        upstream: String,
    },
    /// `cache*DIR`: a download cache for later `srv*` elements without one (`None` = default).
    Cache(Option<PathBuf>),
}

/// A parsed symbol path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymbolPath {
    pub entries: Vec<Entry>,
}

/// Microsoft's public symbol server.
pub const MICROSOFT_SYMBOL_SERVER: &str = "https://msdl.microsoft.com/download/symbols";

pub(crate) fn looks_windows(p: &str) -> bool {
    p.contains('\\')
        || (p.len() >= 2 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic())
}

pub(crate) fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

fn cache_dir(s: &str) -> Option<PathBuf> {
    let s = s.trim();
    if s.is_empty() || (!cfg!(windows) && looks_windows(s)) {
        None
    } else {
        Some(PathBuf::from(s))
    }
}

impl SymbolPath {
    /// Parses symbol path syntax (see the module docs). Never fails: empty elements are ignored.
    pub fn parse(s: &str) -> Self {
        let mut entries = Vec::new();
        for el in s.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let lower = el.to_ascii_lowercase();
            if lower.starts_with("srv*") || lower.starts_with("symsrv*") {
                let mut parts: Vec<&str> = el.split('*').collect();
                parts.remove(0);
                if lower.starts_with("symsrv*") && !parts.is_empty() {
                    parts.remove(0); // symsrv.dll
                }
                let Some(upstream) = parts.pop() else {
                    continue;
                };
                let upstream = upstream.trim();
                if upstream.is_empty() {
                    continue;
                }
                let mut caches: Vec<Option<PathBuf>> = parts.iter().map(|c| cache_dir(c)).collect();
                caches.dedup();
                entries.push(Entry::Server {
                    caches,
                    upstream: upstream.to_string(),
                });
            } else if lower.starts_with("cache*") {
                entries.push(Entry::Cache(cache_dir(&el[6..])));
            } else if !cfg!(windows) && !el.contains('*') && el.contains(':') && !is_url(el) {
                let pieces: Vec<&str> = el.split(':').collect();
                let splittable = pieces
                    .iter()
                    .all(|p| p.len() != 1 && !p.is_empty() && !p.contains('\\'));
                if splittable {
                    entries.extend(pieces.iter().map(|p| Entry::Local(PathBuf::from(p))));
                } else {
                    entries.push(Entry::Local(PathBuf::from(el)));
                }
            } else {
                entries.push(Entry::Local(PathBuf::from(el)));
            }
        }
        SymbolPath { entries }
    }

    /// `_NT_SYMBOL_PATH` (then `_NT_ALT_SYMBOL_PATH` appended), when set and not empty.
    pub fn from_env() -> Option<Self> {
        let mut s = String::new();
        for var in ["_NT_SYMBOL_PATH", "_NT_ALT_SYMBOL_PATH"] {
            if let Ok(v) = std::env::var(var) {
                if !v.trim().is_empty() {
                    if !s.is_empty() {
                        s.push(';');
                    }
                    s.push_str(&v);
                }
            }
        }
        (!s.is_empty()).then(|| Self::parse(&s))
    }

    /// Appends the elements of `other` (e.g. `--symbols` after `_NT_SYMBOL_PATH`).
    pub fn extend(&mut self, other: SymbolPath) {
        self.entries.extend(other.entries);
    }

    /// Adds a local directory.
    pub fn push_dir(&mut self, dir: impl Into<PathBuf>) {
        self.entries.push(Entry::Local(dir.into()));
    }

    /// Does any element need the network?
    pub fn uses_network(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e, Entry::Server { upstream, .. } if is_url(upstream)))
    }
}

impl std::str::FromStr for SymbolPath {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s))
    }
}
