//! One crash, one group, whatever the dump type: every lab and reference dump and its
//! MiniDumpNormal sibling (stacks, modules and the exception only, no memory map, no image
//! memory; written by `coroner_synth::normal_minidump_of`) get the same bucket, while the full
//! dump may say more in its classification.

use coroner_analysis::images::ImageStore;
use coroner_analysis::{analyze, Analysis, Options};
use coroner_dump::DumpFile;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn analyse(path: &Path) -> Analysis {
    analyse_with(path, &Options::default())
}

fn analyse_with(path: &Path, opts: &Options) -> Analysis {
    let df = DumpFile::open(path).expect("open");
    let snap = df.snapshot().expect("snapshot");
    analyze(&snap, opts)
}

fn dumps() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = ["fixtures/lab", "examples/reference"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root().join(d)).unwrap())
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dmp"))
        .collect();
    out.sort();
    out
}

#[test]
fn a_crash_and_its_minidump_sibling_share_one_bucket() {
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut finer = 0;
    let all = dumps();
    let with_images = Options {
        images: Some(Arc::new(ImageStore::new(vec![
            root().join("fixtures/lab/bin")
        ]))),
        ..Options::default()
    };
    let (mut compared, mut skipped) = (0, Vec::new());
    assert!(all.len() >= 30, "{} dumps", all.len());
    for full in &all {
        let name = full.file_name().unwrap();
        let normal = tmp.path().join(name);
        let bytes = std::fs::read(full).unwrap();
        std::fs::write(&normal, coroner_synth::normal_minidump_of(&bytes).unwrap()).unwrap();
        // A minidump holds no images: x64 stacks unwind from the images' .pdata, which WinDbg
        // takes from the symbol path and coroner from --images (here the lab's own binaries).
        // Wine's system DLLs are not among them, so an x64 crash inside one of them cannot be
        // walked from its minidump alone: those are counted apart, not compared.
        let (a, b) = (analyse(full), analyse_with(&normal, &with_images));
        let x64_in_wine = a.ptr_size() == 8
            && a.frames
                .first()
                .and_then(|f| f.symbol.module.as_deref())
                .is_some_and(|m| !root().join("fixtures/lab/bin/x64").join(m).exists());
        if x64_in_wine {
            skipped.push(name.to_string_lossy().into_owned());
            continue;
        }
        compared += 1;
        assert!(!b.modules.is_empty() && b.exception.is_some(), "{name:?}");
        if a.bucket != b.bucket {
            failures.push(format!(
                "{}: full {:?} vs normal {:?}",
                full.display(),
                a.bucket,
                b.bucket
            ));
        }
        if a.classification != b.classification {
            finer += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("compared {compared} dumps; x64 faults inside Wine DLLs not compared: {skipped:?}");
    assert!(compared >= 30, "only {compared} compared");
    // The full dumps do tell more (destroyed heaps, freed memory, DEP) than their siblings.
    assert!(finer >= 8, "only {finer} full dumps classified finer");
}

#[test]
fn verdict_and_bucket_come_from_one_ranking() {
    // The reference crash: the verdict is the destroyed heap, the bucket's class the access
    // violation the exception record shows, and the minidump sibling's verdict is that class.
    let full = root().join("examples/reference/w3wp-abcupload-3.dmp");
    let a = analyse(&full);
    assert_eq!(a.findings[0].id(), "destroyed_heap");
    assert_eq!(a.classification.as_deref(), Some("DESTROYED_HEAP"));
    let k = a.bucket.as_deref().unwrap();
    assert!(
        k.starts_with("INVALID_POINTER_READ_c0000005_ABCUpload4.dll+0x"),
        "{k}"
    );
    for path in dumps() {
        let a = analyse(&path);
        // The bucket's class is one of the verdict's findings' classes: the first stable one.
        if let (Some(c), Some(k)) = (&a.classification, &a.bucket) {
            let first_error = &a.findings[0];
            assert!(
                k.starts_with(c.as_str()) || first_error.id() != "access_violation",
                "{}: verdict {} but bucket {k}",
                path.display(),
                first_error.id()
            );
        }
    }
}
