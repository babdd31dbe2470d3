//! The in-place resource-directory walk finds the same version resource as the walk with
//! `object`'s parser over a copy of the directory, which it replaced: here that walk is kept as
//! the reference and both run on every lab EXE/DLL and on the synthetic images.

mod common;

use std::path::Path;

use common::*;
use coroner_pe::*;
use object::read::pe::{ResourceDirectory, ResourceDirectoryEntryData};
use object::LittleEndian as LE;

/// The former reader: copy the directory (aligned), walk type → name → language with `object`,
/// read the first RT_VERSION data entry's bytes (at most 64 KiB).
fn version_blob_with_object(img: &PeImage, mem: &dyn Memory) -> Option<Vec<u8>> {
    let dir = img.data_dir(DIR_RESOURCE)?;
    let bytes = img.read_rva(mem, dir.virtual_address, dir.size as usize)?;
    let mut words = vec![0u64; bytes.len().div_ceil(8)];
    object::pod::bytes_of_slice_mut(&mut words[..])[..bytes.len()].copy_from_slice(&bytes);
    let aligned = &object::pod::bytes_of_slice(&words[..])[..bytes.len()];
    let rd = ResourceDirectory::new(aligned);
    for t in rd.root().ok()?.entries {
        if !t.is_table() || t.has_name() || t.name_or_id().id() != Some(16) {
            continue;
        }
        let Ok(ResourceDirectoryEntryData::Table(names)) = t.data(rd) else {
            continue;
        };
        for n in names.entries {
            let Ok(ResourceDirectoryEntryData::Table(langs)) = n.data(rd) else {
                continue;
            };
            for l in langs.entries {
                if let Ok(ResourceDirectoryEntryData::Data(d)) = l.data(rd) {
                    let size = d.size.get(LE).min(0x1_0000) as usize;
                    return Some(
                        img.read_rva(mem, d.offset_to_data.get(LE), size)?
                            .into_owned(),
                    );
                }
            }
        }
    }
    None
}

fn same_version(img: &PeImage, mem: &dyn Memory, what: &str) -> bool {
    let old = version_blob_with_object(img, mem).map(|b| parse_version_resource(&b).unwrap());
    let new = img.version_info(mem).unwrap();
    assert_eq!(new, old, "{what}");
    new.is_some()
}

#[test]
fn lab_images_give_the_same_version_resource() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../fixtures/lab");
    let mut found = 0;
    for sub in ["bin/x86", "bin/x64", "arm64"] {
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            let p = e.unwrap().path();
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
            if ext != "dll" && ext != "exe" {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            let img = PeImage::from_file_bytes(&bytes).unwrap();
            found += usize::from(same_version(&img, &bytes, &p.display().to_string()));
        }
    }
    assert!(found >= 30, "{found}");
}

#[test]
fn synthetic_images_give_the_same_version_resource() {
    for is_64 in [false, true] {
        let mut b = PeBuilder::new(is_64);
        resources(&mut b, 0x5000, &version_blob());
        let mapped = b.build_mapped();
        let img = PeImage::from_mapped_bytes(&mapped, b.base()).unwrap();
        let mem = SliceMemory {
            base: b.base(),
            data: &mapped,
        };
        assert!(same_version(&img, &mem, "mapped"));
        let file = b.build_file();
        let img = PeImage::from_file_bytes(&file).unwrap();
        assert!(same_version(&img, &file, "file"));
    }
}
