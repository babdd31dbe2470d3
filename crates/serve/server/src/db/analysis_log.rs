//! Embedded mode keeps each crash's stored analysis (the JSON of one entry of `analyze`'s
//! `dumps[]`, 10 to 20 KB for a small minidump) in append-only segment files beside the SQLite
//! database, `analyses/000001.log` …, and in the crash row only where it is: segment, offset
//! and length.
//!
//! Why not in the row: SQLite writes a row's pages twice (to the WAL, then to the database at
//! each checkpoint), one 4 KiB page at a time, and for 50 KB minidumps that was nearly half of
//! the server's own work per dump (bench/serve_analysis.py). The results of a batch go to the
//! log in one write instead. Written by hand: it is a few dozen lines over std's file I/O, and
//! the database keeps the only index into it.
//!
//! Durability: a batch is appended and synced to disk before the transaction that points at it
//! commits, so a committed row never points past what reached the disk. An append whose
//! transaction does not commit, or a record a reprocessing replaced, is space no row points to;
//! it is not reclaimed. Each row also keeps its record's CRC-32, checked on every read, so a
//! segment damaged or replaced by hand reads as lost, never as another crash's analysis; and a
//! segment removed while the server runs is not appended to again (the next one is begun).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A segment takes no more appends once it is this long.
const SEGMENT_BYTES: u64 = 256 << 20;

/// Where one stored analysis is: segment number, byte offset and length, and its CRC-32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub segment: i64,
    pub offset: i64,
    pub len: i64,
    pub crc: i64,
}

/// The append-only analysis segments of one database.
pub struct AnalysisLog {
    dir: PathBuf,
    tail: Mutex<Option<Tail>>,
}

/// The segment appends go to, and its length.
struct Tail {
    segment: i64,
    file: File,
    len: u64,
}

impl AnalysisLog {
    /// The log in `dir` (created on the first append).
    pub fn new(dir: PathBuf) -> Self {
        AnalysisLog {
            dir,
            tail: Mutex::new(None),
        }
    }

    fn path(&self, segment: i64) -> PathBuf {
        self.dir.join(format!("{segment:06}.log"))
    }

    /// Appends `records` in one write, synced to disk; returns where each went.
    pub fn append(&self, records: &[&str]) -> std::io::Result<Vec<Place>> {
        if records.is_empty() {
            // A batch that only failed: nothing to write or sync.
            return Ok(Vec::new());
        }
        let mut guard = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let used = |t: &Tail| t.len >= SEGMENT_BYTES || !self.path(t.segment).exists();
        if guard.as_ref().is_none_or(used) {
            *guard = Some(self.open_tail(guard.as_ref().map(|t| t.segment))?);
        }
        let Some(tail) = guard.as_mut() else {
            unreachable!("the tail was opened above")
        };
        let mut buf = Vec::with_capacity(records.iter().map(|r| r.len()).sum());
        let mut places = Vec::with_capacity(records.len());
        for r in records {
            places.push(Place {
                segment: tail.segment,
                offset: (tail.len + buf.len() as u64) as i64,
                len: r.len() as i64,
                crc: i64::from(crc32fast::hash(r.as_bytes())),
            });
            buf.extend_from_slice(r.as_bytes());
        }
        let written = tail
            .file
            .write_all(&buf)
            .and_then(|()| tail.file.sync_data());
        if let Err(e) = written {
            // The file's length is unknown after a failed write: the next append reopens it.
            *guard = None;
            return Err(self.error("cannot append to", e));
        }
        tail.len += buf.len() as u64;
        Ok(places)
    }

    /// The segment to append to: the last one while it has room, else the next; never one
    /// this process appended to before (`after`).
    fn open_tail(&self, after: Option<i64>) -> std::io::Result<Tail> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.error("cannot create", e))?;
        let listed = last_segment(&self.dir).map_err(|e| self.error("cannot list", e))?;
        let mut segment = match (listed, after) {
            (Some(n), Some(a)) => n.max(a + 1),
            (None, Some(a)) => a + 1,
            (n, None) => n.unwrap_or(1),
        };
        loop {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.path(segment))
                .map_err(|e| self.error("cannot open", e))?;
            let len = file.metadata()?.len();
            if len < SEGMENT_BYTES {
                return Ok(Tail { segment, file, len });
            }
            segment += 1;
        }
    }

    /// The analysis stored at `p`.
    pub fn read(&self, p: Place) -> std::io::Result<String> {
        let path = self.path(p.segment);
        let bad = |what: &str| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {what} at offset {}", path.display(), p.offset),
            )
        };
        if p.segment < 1 || p.offset < 0 || !(0..=i64::from(u32::MAX)).contains(&p.len) {
            return Err(bad("no such record"));
        }
        let mut f = File::open(&path).map_err(|e| at(&path, "cannot open", e))?;
        f.seek(SeekFrom::Start(p.offset as u64))?;
        let mut buf = vec![0u8; p.len as usize];
        f.read_exact(&mut buf)
            .map_err(|_| bad(&format!("fewer than {} bytes", p.len)))?;
        if i64::from(crc32fast::hash(&buf)) != p.crc {
            return Err(bad("not the record stored there (CRC-32 differs)"));
        }
        String::from_utf8(buf).map_err(|_| bad("not UTF-8 text"))
    }

    fn error(&self, what: &str, e: std::io::Error) -> std::io::Error {
        at(&self.dir, what, e)
    }
}

/// `e`, naming the file or folder of the log it happened on.
fn at(path: &Path, what: &str, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(
        e.kind(),
        format!("analysis log {}: {what} it: {e}", path.display()),
    )
}

/// The highest segment number in `dir`, if any.
fn last_segment(dir: &Path) -> std::io::Result<Option<i64>> {
    let mut last = None;
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let n = name
            .to_str()
            .and_then(|s| s.strip_suffix(".log"))
            .and_then(|s| s.parse::<i64>().ok());
        last = last.max(n);
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_records_read_back_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let log = AnalysisLog::new(dir.path().join("analyses"));
        assert!(log.append(&[]).unwrap().is_empty());
        assert!(
            !dir.path().join("analyses").exists(),
            "nothing written for nothing"
        );
        let a = log.append(&["{\"a\":1}", "", "{\"b\":\"é\"}"]).unwrap();
        assert_eq!(a[1].len, 0);
        // A second process (or a restart) appends after what is there.
        let again = AnalysisLog::new(dir.path().join("analyses"));
        let b = again.append(&["{\"c\":3}"]).unwrap();
        assert_eq!(b[0].offset, 7 + 10, "after 7 and 10 bytes (é is two)");
        for (p, want) in a
            .iter()
            .chain(&b)
            .zip(["{\"a\":1}", "", "{\"b\":\"é\"}", "{\"c\":3}"])
        {
            assert_eq!(log.read(*p).unwrap(), want);
        }
    }

    #[test]
    fn a_place_past_the_end_or_in_no_segment_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = AnalysisLog::new(dir.path().join("analyses"));
        let p = log.append(&["{}"]).unwrap()[0];
        let past = log.read(Place { len: 100, ..p }).unwrap_err().to_string();
        assert!(
            past.contains("000001.log") && past.contains("fewer than 100 bytes"),
            "{past}"
        );
        let other = log
            .read(Place {
                crc: p.crc + 1,
                ..p
            })
            .unwrap_err()
            .to_string();
        assert!(other.contains("CRC-32 differs"), "{other}");
        let none = log.read(Place { segment: 9, ..p }).unwrap_err().to_string();
        assert!(none.contains("cannot open"), "{none}");
        let negative = log.read(Place { offset: -1, ..p }).unwrap_err().to_string();
        assert!(negative.contains("no such record"), "{negative}");
    }

    #[test]
    fn a_full_segment_is_followed_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("analyses");
        std::fs::create_dir_all(&logs).unwrap();
        let full = File::create(logs.join("000003.log")).unwrap();
        full.set_len(SEGMENT_BYTES).unwrap();
        let log = AnalysisLog::new(logs);
        let p = log.append(&["{\"x\":1}"]).unwrap()[0];
        assert_eq!((p.segment, p.offset), (4, 0));
        assert_eq!(log.read(p).unwrap(), "{\"x\":1}");
        // A segment removed under the running log is not appended to again.
        std::fs::remove_file(log.path(4)).unwrap();
        let q = log.append(&["{\"y\":2}"]).unwrap()[0];
        assert_eq!((q.segment, q.offset), (5, 0));
        assert!(log.read(p).is_err());
        assert_eq!(log.read(q).unwrap(), "{\"y\":2}");
    }
}
