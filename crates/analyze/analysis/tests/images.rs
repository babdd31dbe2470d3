//! `--images`: when a module's image is not in the dump, its exports, version resource and x64
//! unwind data come from the matching file in an image folder (the lab's own binaries here).

use coroner_analysis::images::ImageStore;
use coroner_analysis::{analyze, Options, Symbolizer};
use coroner_dump::DumpFile;
use coroner_model::AddressSpace;
use std::path::PathBuf;
use std::sync::Arc;

fn lab() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab")
}

/// The dump with `name`'s image removed from memory (as in a dump written without module
/// memory), and that module.
fn strip_module<'d>(
    f: &'d DumpFile,
    name: &str,
) -> (coroner_model::Snapshot<'d>, coroner_model::Module) {
    let mut snap = f.snapshot().unwrap();
    let m = snap
        .modules
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(name))
        .unwrap()
        .clone();
    let ranges = snap
        .memory
        .ranges()
        .iter()
        .filter(|r| r.end() <= m.base || r.base >= m.end())
        .copied()
        .collect();
    snap.memory = AddressSpace::new(ranges);
    (snap, m)
}

#[test]
fn image_files_stand_in_for_images_missing_from_the_dump() {
    for arch in ["x86", "x64"] {
        let f = DumpFile::open(lab().join(format!("nullwrite-{arch}.dmp"))).unwrap();
        let full = f.snapshot().unwrap();
        let full_analysis = analyze(&full, &Options::default());

        // The same dump with the vendor DLL's image removed from memory.
        let (stripped, m) = strip_module(&f, "tsrecord.dll");
        let bare = analyze(&stripped, &Options::default());
        let frame0 = |a: &coroner_analysis::Analysis| a.frames[0].display.clone();
        assert!(
            bare.blame.as_ref().unwrap().company.is_none(),
            "{arch}: no version resource without the image"
        );

        let store = Arc::new(ImageStore::new(vec![lab().join("bin")]));
        let opts = Options {
            images: Some(store.clone()),
            ..Default::default()
        };
        let with_files = analyze(&stripped, &opts);
        assert_eq!(
            frame0(&with_files),
            frame0(&full_analysis),
            "{arch}: same name as from dump memory"
        );
        assert_eq!(
            with_files.blame.as_ref().unwrap().company,
            full_analysis.blame.as_ref().unwrap().company,
            "{arch}: vendor from the file's version resource"
        );
        let frames =
            |a: &coroner_analysis::Analysis| a.frames.iter().map(|f| f.address).collect::<Vec<_>>();
        assert_eq!(
            frames(&with_files),
            frames(&full_analysis),
            "{arch}: same stack (x64 unwinds with the file's .pdata)"
        );
        let syms = Symbolizer::with_images(&stripped, &store);
        let mi = stripped.module_index_at(m.base).unwrap();
        assert!(
            syms.image_source(mi).unwrap().ends_with("tsrecord.dll"),
            "{arch}"
        );
    }
}

#[test]
fn a_file_whose_timestamp_differs_is_not_used() {
    let f = DumpFile::open(lab().join("nullwrite-x86.dmp")).unwrap();
    let mut snap = f.snapshot().unwrap();
    let idx = snap
        .modules
        .iter()
        .position(|m| m.name.eq_ignore_ascii_case("tsrecord.dll"))
        .unwrap();
    snap.modules[idx].timestamp ^= 1;
    let m = snap.modules[idx].clone();
    let store = ImageStore::new(vec![lab().join("bin")]);
    let err = store.find(&m, 0x14c).err().unwrap().to_string();
    assert!(err.contains("do not match"), "{err}");
}

#[test]
fn images_are_also_found_in_a_symstore_on_the_symbol_path() {
    let f = DumpFile::open(lab().join("nullwrite-x64.dmp")).unwrap();
    let full = f.snapshot().unwrap();
    let want = analyze(&full, &Options::default());
    let (stripped, m) = strip_module(&f, "tsrecord.dll");
    // SymStore layout: name.dll/TIMESTAMPSIZE/name.dll
    let store = tempfile::tempdir().unwrap();
    let dir = store
        .path()
        .join("tsrecord.dll")
        .join(format!("{:08X}{:x}", m.timestamp, m.size));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(lab().join("bin/x64/tsrecord.dll"), dir.join("tsrecord.dll")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let symbols = coroner_symbols::Symbols::new(
        coroner_symbols::SymbolPath::parse(&store.path().display().to_string()),
        coroner_symbols::Options {
            cache_dir: Some(cache.path().to_path_buf()),
            allow_network: false,
            ..Default::default()
        },
    );
    let opts = Options {
        symbols: Some(Arc::new(symbols)),
        ..Default::default()
    };
    let got = analyze(&stripped, &opts);
    assert_eq!(got.frames[0].display, want.frames[0].display);
    assert_eq!(
        got.blame.as_ref().unwrap().company,
        want.blame.as_ref().unwrap().company
    );
    let addrs =
        |a: &coroner_analysis::Analysis| a.frames.iter().map(|f| f.address).collect::<Vec<_>>();
    assert_eq!(addrs(&got), addrs(&want));
}
