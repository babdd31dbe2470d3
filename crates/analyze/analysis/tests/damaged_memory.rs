//! A full-memory dump cut short (an interrupted copy of a big file): rust-minidump refuses its
//! whole Memory64ListStream because the last ranges lie past the end of the file; coroner keeps
//! every byte of memory the file still holds, says which stream is incomplete, and leads with
//! the `damaged_dump` finding while the exception record (which survived) still gives the rest.

use coroner_analysis::{analyze, Options};
use coroner_dump::DumpFile;

#[test]
fn a_full_dump_cut_short_keeps_the_memory_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.dmp");
    let info = coroner_synth::write_big(&path, 8 << 20).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let whole_file = DumpFile::from_bytes("big.dmp", bytes.clone());
    let whole_snap = whole_file.snapshot().unwrap();
    let whole = analyze(&whole_snap, &Options::default());
    assert!(whole.complete());
    assert_eq!(
        whole_snap.memory.total_bytes(),
        info.file_size - info.base_rva
    );

    for cut in [
        info.base_rva + 1,
        info.base_rva + (info.file_size - info.base_rva) / 2,
        info.file_size - 1,
    ] {
        let f = DumpFile::from_bytes("big-cut.dmp", bytes[..cut as usize].to_vec());
        let snap = f.snapshot().unwrap();
        // Every memory byte before the cut is still readable.
        assert_eq!(
            snap.memory.total_bytes(),
            cut - info.base_rva,
            "cut at {cut:#x}"
        );
        let a = analyze(&snap, &Options::default());
        let d = a.damage.as_ref().expect("damaged");
        assert!(d.streams_lost.is_empty(), "{d:?}");
        let p = &d.streams_partial[0];
        assert_eq!(p.stream, "Memory64ListStream");
        assert!(
            matches!(
                p.cause,
                coroner_model::LossCause::MemoryPastEnd { lost: 1.., .. }
            ),
            "{p:?}"
        );
        assert_eq!((d.bytes_present, d.bytes_needed), (cut, info.file_size));
        assert_eq!(a.findings[0].id(), "damaged_dump");
        let words =
            coroner_report::phrase::finding(&a, &a.findings[0], coroner_report::phrase::Lang::En);
        assert!(words.title.contains("rest on what survived"));
        let e = a.exception.as_ref().expect("the exception survived");
        assert_eq!(e.address, info.exception_address);
        // Damage is the verdict's class; the bucket stays that of the crash facts, so the
        // damaged copy groups with the whole one.
        assert_eq!(a.classification.as_deref(), Some("DAMAGED_DUMP"));
        assert!(a.bucket.as_deref().unwrap().contains("_c0000005_"));
        // The other findings are still made from what survived.
        assert!(
            a.has(coroner_analysis::FindingKind::AccessViolation),
            "{:?}",
            a.findings
        );
    }
}
