//! The lazy export reader answers as the eager one on every module image in the lab and
//! reference dumps (Wine's ntdll/kernel32/kernelbase/msvcrt with their aliases and forwarders,
//! the lab's DLLs, the synthetic IIS modules), read from dump memory as the analysis reads them;
//! and full-memory dumps in bench/out/full when `bench/cost.py` has made them.

use coroner_analysis::symbols::DumpMemory;
use coroner_dump::DumpFile;
use coroner_pe::{export_reader_differences, Layout, PeImage};
use std::path::{Path, PathBuf};

fn dumps_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "dmp"))
        .collect();
    v.sort();
    v
}

/// `(modules with export tables compared, dumps read)`.
fn compare_all(paths: &[PathBuf]) -> (usize, usize) {
    let mut compared = 0;
    for path in paths {
        let df = DumpFile::open(path).unwrap();
        let snap = df.snapshot().unwrap();
        let mem = DumpMemory(&snap.memory);
        for m in &snap.modules {
            let Ok(img) = PeImage::parse(&mem, m.base, Layout::Mapped) else {
                continue;
            };
            let diffs = export_reader_differences(&img, &mem);
            assert!(
                diffs.is_empty(),
                "{} {}: {diffs:#?}",
                path.display(),
                m.name
            );
            compared += usize::from(img.export_directory(&mem).is_ok_and(|d| !d.is_empty()));
        }
    }
    (compared, paths.len())
}

#[test]
fn lab_and_reference_dump_modules() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let mut paths = dumps_in(&root.join("fixtures/lab"));
    paths.extend(dumps_in(&root.join("examples/reference")));
    let (compared, dumps) = compare_all(&paths);
    assert!(dumps >= 29, "{dumps}");
    assert!(compared >= 100, "{compared}");
}

/// Full-memory lab dumps, when present (every module image whole, Wine's DLLs included).
#[test]
fn full_memory_dumps_when_present() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../bench/out/full");
    let full: Vec<PathBuf> = dumps_in(&dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with("-full.dmp"))
        .collect();
    let (compared, _) = compare_all(&full);
    assert!(full.is_empty() || compared >= full.len() * 3, "{compared}");
}
