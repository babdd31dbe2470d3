//! Dumps arrive compressed (`.gz`, `.xz`, a `.zip` from a ticket, a WER `.cab`): each opens
//! directly, recognised by content, and yields the same snapshot as the plain file.

use coroner_dump::{Container, DumpFile};
use std::io::Write;
use std::path::PathBuf;

fn plain() -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../examples/reference/w3wp-abcupload-1.dmp");
    std::fs::read(p).unwrap()
}

fn check(bytes: Vec<u8>, name: &str, want: Container) {
    let dir = tempfile::tempdir().unwrap();
    // A misleading extension: recognition is by content.
    let path = dir.path().join(name);
    std::fs::write(&path, &bytes).unwrap();
    let f = DumpFile::open(&path).unwrap();
    assert_eq!(f.container(), want);
    assert_eq!(f.bytes(), &plain()[..]);
    let snap = f.snapshot().unwrap();
    assert_eq!(snap.exception.as_ref().unwrap().code, 0xc000_0005);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "input untouched");
}

#[test]
fn gzip_xz_zip_and_cab_open_directly() {
    let raw = plain();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    check(gz.finish().unwrap(), "a.dmp", Container::Gzip);

    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 1);
    xz.write_all(&raw).unwrap();
    check(xz.finish().unwrap(), "b.bin", Container::Xz);

    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zw.start_file("readme.txt", opts).unwrap();
    zw.write_all(b"customer notes").unwrap();
    zw.start_file("w3wp_crash.dmp", opts).unwrap();
    zw.write_all(&raw).unwrap();
    check(
        zw.finish().unwrap().into_inner(),
        "ticket.zip",
        Container::Zip,
    );

    let mut cb = cab::CabinetBuilder::new();
    cb.add_folder(cab::CompressionType::MsZip)
        .add_file("memory.hdmp");
    let mut w = cb.build(std::io::Cursor::new(Vec::new())).unwrap();
    while let Some(mut fw) = w.next_file().unwrap() {
        fw.write_all(&raw).unwrap();
    }
    check(
        w.finish().unwrap().into_inner(),
        "Report.cab",
        Container::Cab,
    );
}

#[test]
fn damaged_containers_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.dmp.gz");
    std::fs::write(&p, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).unwrap();
    let e = DumpFile::open(&p).unwrap_err().to_string();
    assert!(e.contains("gzip"), "{e}");
    let p = dir.path().join("x.zip");
    std::fs::write(&p, b"PK\x03\x04garbage").unwrap();
    let e = DumpFile::open(&p).unwrap_err().to_string();
    assert!(e.contains("zip"), "{e}");
}
