//! Inlined calls from a PDB: `lab/pdb/inline.c` built with clang (CodeView) and lld-link into
//! `fixtures/pdb/` — outer() inlines middle(), which inlines leaf(). At each of the three
//! volatile stores the lookup must give the inline stack the source says, with lines (and no
//! line where the PDB has none: clang records no call-site line in the outermost function).

use coroner_symbols::*;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/pdb")
}

fn base(p: &Option<String>) -> Option<String> {
    p.as_deref()
        .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f).to_string())
}

#[test]
fn pdb_inline_sites_give_the_inline_stack_with_lines() {
    let exp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("inline-expected.json")).unwrap())
            .unwrap();
    let ms = ModuleSymbols::open(Path::new(&dir().join("inline.pdb")), None).unwrap();
    for m in exp["markers"].as_array().unwrap() {
        let rva = m["rva"].as_u64().unwrap() as u32;
        let s = ms.lookup(rva).expect("symbol at marker");
        // Outermost first: the function, then each inlined call.
        let mut got = vec![(s.function.clone(), base(&s.file), s.line)];
        got.extend(
            s.inlines
                .iter()
                .map(|i| (i.function.clone(), base(&i.file), i.line)),
        );
        let want: Vec<(String, Option<String>, Option<u32>)> = m["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f[0].as_str().unwrap().to_string(),
                    f[1].as_str().map(str::to_string),
                    f[2].as_u64().map(|l| l as u32),
                )
            })
            .collect();
        assert_eq!(got, want, "at rva {rva:#x}");
    }
}
