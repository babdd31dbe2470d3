//! Microsoft cabinet (`MSCF`) archives, read with the `cab` crate: the one CAB reader of the
//! loaders. coroner-dump unpacks WER `.cab` dumps with it (streaming a member into its
//! temporary file), coroner-symbols SymStore `.pd_` files (a member into memory, bounded).
//!
//! A crate of its own because neither user may depend on the other — symbols know nothing of
//! dumps, and dumps nothing of symbol stores — and the model (`coroner-model`, which both
//! depend on) must stay free of file formats. Which member to take and how a failure is worded
//! stay with each caller; this crate lists, bounds and unpacks.
//!
//! `cab` is a third-party decompressor: callers that must survive a panic on a hostile archive
//! wrap their use in `coroner_model::guard`.

use std::io::{Read, Seek};

/// Why a cabinet could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CabError {
    /// The archive or a member's compressed data is malformed or cannot be read; the message is
    /// the decompressor's.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A member declares more unpacked bytes than the caller accepts.
    #[error("{name} unpacks to {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The member's name in the archive.
        name: String,
        /// Its declared unpacked size.
        size: u64,
        /// The caller's limit.
        limit: u64,
    },
}

/// A file stored in a cabinet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its name in the archive.
    pub name: String,
    /// Its unpacked size as the archive declares it.
    pub size: u64,
}

/// An open cabinet.
pub struct Cabinet<R> {
    cab: cab::Cabinet<R>,
}

impl<R: Read + Seek> Cabinet<R> {
    /// Reads the cabinet's header and directory from `reader`.
    pub fn open(reader: R) -> Result<Self, CabError> {
        Ok(Cabinet {
            cab: cab::Cabinet::new(reader)?,
        })
    }

    /// The stored files, folder by folder, in archive order.
    pub fn members(&self) -> Vec<Member> {
        self.cab
            .folder_entries()
            .flat_map(|folder| folder.file_entries())
            .map(|file| Member {
                name: file.name().to_string(),
                size: u64::from(file.uncompressed_size()),
            })
            .collect()
    }

    /// Streams the unpacked bytes of member `name`; the caller bounds what it reads.
    pub fn reader(&mut self, name: &str) -> Result<impl Read + '_, CabError> {
        Ok(self.cab.read_file(name)?)
    }

    /// Unpacks `member` into memory: refused ([`CabError::TooLarge`]) when its declared size is
    /// over `limit`, and never more than `limit` bytes read whatever the data holds.
    pub fn read_to_vec(&mut self, member: &Member, limit: u64) -> Result<Vec<u8>, CabError> {
        if member.size > limit {
            return Err(CabError::TooLarge {
                name: member.name.clone(),
                size: member.size,
                limit,
            });
        }
        let mut out = Vec::with_capacity(member.size as usize);
        self.reader(&member.name)?
            .take(limit)
            .read_to_end(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn cabinet(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = cab::CabinetBuilder::new();
        let folder = b.add_folder(cab::CompressionType::MsZip);
        for (name, _) in files {
            folder.add_file(*name);
        }
        let mut w = b.build(Cursor::new(Vec::new())).unwrap();
        for (_, data) in files {
            let mut f = w.next_file().unwrap().unwrap();
            f.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn lists_and_unpacks_members() {
        let bytes = cabinet(&[("a.txt", b"first"), ("b.dmp", b"MDMP and more")]);
        let mut cab = Cabinet::open(Cursor::new(bytes)).unwrap();
        let members = cab.members();
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a.txt", "b.dmp"]);
        assert_eq!(members[1].size, 13);
        assert_eq!(cab.read_to_vec(&members[1], 100).unwrap(), b"MDMP and more");
        let mut s = String::new();
        cab.reader("a.txt").unwrap().read_to_string(&mut s).unwrap();
        assert_eq!(s, "first");
    }

    #[test]
    fn a_member_over_the_limit_is_refused() {
        let bytes = cabinet(&[("big.pdb", &[7u8; 64])]);
        let mut cab = Cabinet::open(Cursor::new(bytes)).unwrap();
        let m = cab.members().remove(0);
        match cab.read_to_vec(&m, 63) {
            Err(CabError::TooLarge { size, limit, .. }) => assert_eq!((size, limit), (64, 63)),
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn not_a_cabinet_is_an_error() {
        assert!(matches!(
            Cabinet::open(Cursor::new(b"MSCF but nothing else".to_vec())),
            Err(CabError::Io(_))
        ));
    }
}
