//! `!heap -s` (issue 15): the process heaps as the analysis read them (`memory.heaps`), in
//! WinDbg's `!heap -s` table: Heap, Flags, Reserv (k), Commit (k). WinDbg's other columns (Virt,
//! Free, List length, UCR, Virt blocks, Lock cont., Fast heap) need the free lists and
//! lookaside state, which coroner does not walk; its own last columns say the segment count and
//! the layout it read.

use crate::{CmdResult, Session, ShellError};
use coroner_analysis::fmt_addr;
use coroner_analysis::heap::{HeapKind, HeapSummary, LayoutSource};
use std::fmt::Write;

/// `!heap -s` (the only form supported).
pub fn heap(s: &mut Session<'_, '_>, args: &str, o: &mut String) -> CmdResult {
    if args.split_whitespace().next() != Some("-s") {
        return Err(ShellError::Message(
            "!heap: only the summary is supported: !heap -s".into(),
        ));
    }
    let Some(h) = &s.analysis.memory.heaps else {
        return Err(ShellError::Message(
            "ERROR: !heap: the PEB's heap list is not in the dump (a full dump holds it)".into(),
        ));
    };
    let ptr = s.analysis.ptr_size();
    let _ = writeln!(o, "  Heap     Flags   Reserv  Commit  Segs  Kind");
    let _ = writeln!(o, "                    (k)     (k)");
    let _ = writeln!(o, "{}", "-".repeat(77));
    for x in &h.heaps {
        let _ = writeln!(o, "{}", row(x, ptr));
    }
    let _ = writeln!(o, "{}", "-".repeat(77));
    for l in h.layout_sources() {
        let _ = writeln!(o, "{}", layout_line(l));
    }
    for p in &h.problems {
        let _ = writeln!(o, "{p}");
    }
    Ok(())
}

/// Where the offsets of the walk came from, said once per source.
fn layout_line(l: &LayoutSource) -> String {
    match l {
        LayoutSource::KnownBuild => "Heap offsets: known builds".into(),
        LayoutSource::Pdb { name, id } => {
            format!("Heap offsets: {name} {id} (the dump's ntdll PDB)")
        }
    }
}

fn row(x: &HeapSummary, ptr: u8) -> String {
    let k = |v: Option<u64>| v.map_or("?".to_string(), |b| (b / 1024).to_string());
    let kind = match (x.kind, x.layout) {
        (HeapKind::Nt, Some("nt52")) => "NT heap (Windows XP/2003 layout)",
        (HeapKind::Nt, _) => "NT heap (Windows Vista-11 layout)",
        (HeapKind::Segment, _) => "segment heap (not walked)",
        (HeapKind::PageHeap, _) => "page heap (not walked)",
        (HeapKind::Wine, _) => "Wine heap",
    };
    format!(
        "{} {} {:>7} {:>6} {:>5}   {kind}",
        fmt_addr(x.address, ptr),
        x.flags
            .map_or("????????".to_string(), |f| format!("{f:08x}")),
        k(x.reserved()),
        k(x.committed()),
        x.committed()
            .map_or("?".to_string(), |_| x.segments.len().to_string()),
    )
}
