//! The damage survey: which of the streams the directory names the file still holds, and which
//! pieces the list streams point at (memory, thread contexts, stacks) lie past its end.
//!
//! rust-minidump reads what it can and drops the rest silently (a memory range past the end of
//! the file is skipped, a `Memory64ListStream` with one such range is refused whole), so a dump
//! cut short looks like a complete dump that simply holds less. The survey makes the loss a
//! fact: each stream lost, with the bytes involved, and the file's size against what its
//! directory needs. The memory-list walks below are hand-written because the crate exposes
//! neither the ranges it skipped nor the ranges of a list it refused.

use coroner_model::{Damage, LossCause, MemoryRange, Module, StreamLoss, Warning};
use minidump::format::MINIDUMP_STREAM_TYPE as T;
use minidump::Minidump;
use std::ops::Deref;

/// Shortest stream whose all-zero bytes mark it as wiped rather than empty: an empty list is at
/// most 8 bytes (count and padding), an empty extended list 16 (its header says its sizes).
const ZEROED_MIN: u64 = 24;

/// The path of a module whose name lies past the end of the file.
pub(crate) const NAME_LOST: &str = "<name lost>";

/// One range of a memory list: where its bytes are in the file.
#[derive(Clone, Copy)]
struct RawRange {
    base: u64,
    rva: u64,
    size: u64,
}

/// The survey of one dump, filled in while the loader reads its streams.
pub(crate) struct Survey {
    len: u64,
    /// `(type, file offset)` of every stream the directory names.
    named: Vec<(u32, u64)>,
    damage: Damage,
    /// Little-endian file (the raw list walks apply).
    little_endian: bool,
}

impl Survey {
    /// Checks every directory entry: does the file hold its bytes, and are they not all zero?
    pub(crate) fn new<'a, D: Deref<Target = [u8]> + 'a>(
        dump: &Minidump<'a, D>,
        bytes: &[u8],
    ) -> Survey {
        let len = bytes.len() as u64;
        let h = &dump.header;
        let mut s = Survey {
            len,
            named: Vec::new(),
            damage: Damage {
                bytes_present: len,
                bytes_needed: u64::from(h.stream_directory_rva) + u64::from(h.stream_count) * 12,
                ..Damage::default()
            },
            little_endian: bytes.starts_with(b"MDMP"),
        };
        let mut dirs: Vec<_> = dump.all_streams().collect();
        dirs.sort_by_key(|d| d.location.rva);
        for d in dirs {
            let (rva, size) = (u64::from(d.location.rva), u64::from(d.location.data_size));
            s.named.push((d.stream_type, rva));
            if size == 0 {
                continue;
            }
            let end = rva + size;
            s.need(end);
            if end > len {
                let cause = if rva >= len {
                    LossCause::PastEnd { size, rva, end }
                } else {
                    LossCause::CutOff {
                        size,
                        rva,
                        end,
                        file_len: len,
                    }
                };
                s.lose(d.stream_type, cause);
            } else if size >= ZEROED_MIN
                && bytes[rva as usize..end as usize].iter().all(|b| *b == 0)
            {
                s.lose(d.stream_type, LossCause::Zeroed { size, rva });
            }
        }
        s
    }

    /// Whether the directory names a stream of this type.
    pub(crate) fn named(&self, ty: u32) -> bool {
        self.named.iter().any(|(t, _)| *t == ty)
    }

    /// Whether the stream of this type was lost (its bytes are not all in the file, or zero, or
    /// it could not be parsed).
    pub(crate) fn is_lost(&self, ty: u32) -> bool {
        let name = stream_name(ty);
        self.damage.lost(&name)
    }

    /// Whether the stream of this type was read only in part.
    pub(crate) fn is_partial(&self, ty: u32) -> bool {
        let name = stream_name(ty);
        self.damage.streams_partial.iter().any(|l| l.stream == name)
    }

    /// Marks a stream lost.
    pub(crate) fn lose(&mut self, ty: u32, cause: LossCause) {
        let stream = stream_name(ty);
        if !self.damage.lost(&stream) {
            self.damage.streams_lost.push(StreamLoss { stream, cause });
        }
    }

    /// A stream first marked lost that was read after all, in part.
    fn recover(&mut self, ty: u32, cause: LossCause) {
        let name = stream_name(ty);
        self.damage.streams_lost.retain(|l| l.stream != name);
        self.partial(ty, cause);
    }

    /// The modules of a `ModuleListStream` the crate refused because a module's name or
    /// CodeView record lies past the end of the file: each module's base, size, timestamp,
    /// checksum and fixed version info, with its name when the file holds it (else
    /// path [`NAME_LOST`], named `image<base>`). `None` when the list itself is malformed (then it stays lost).
    pub(crate) fn salvage_modules(
        &mut self,
        raw: &[u8],
        bytes: &[u8],
        max: usize,
    ) -> Option<Vec<Module>> {
        const ENTRY: usize = 108;
        if !self.little_endian {
            return None;
        }
        let count = u32_at(raw, 0)? as usize;
        let first = match raw.len().checked_sub(count.checked_mul(ENTRY)?)? {
            4 => 4,
            8 => 8,
            _ => return None,
        };
        let (mut lost_names, mut lost_cv) = (0, 0);
        let modules: Vec<Module> = (0..count.min(max))
            .map(|i| {
                let e = &raw[first + i * ENTRY..first + (i + 1) * ENTRY];
                let w = |o: usize| u32_at(e, o).unwrap_or(0) as u32;
                let name_rva = u64::from(w(20));
                let path = self.string_at(bytes, name_rva);
                if path.is_none() {
                    lost_names += 1;
                }
                if !self.holds(u64::from(w(80)), u64::from(w(76))) {
                    lost_cv += 1;
                }
                let base = u64_at(e, 0).unwrap_or(0);
                let name = match &path {
                    Some(p) => p.rsplit(['\\', '/']).next().unwrap_or(p).to_string(),
                    None => format!("image{base:08x}"),
                };
                let path = path.unwrap_or_else(|| NAME_LOST.into());
                let has_vi = w(24) == 0xfeef_04bd;
                let v4 =
                    |hi: u32, lo: u32| [(hi >> 16) as u16, hi as u16, (lo >> 16) as u16, lo as u16];
                Module {
                    base,
                    size: u64::from(w(8)),
                    name,
                    path,
                    timestamp: w(16),
                    checksum: w(12),
                    file_version: has_vi.then(|| v4(w(32), w(36))),
                    product_version: has_vi.then(|| v4(w(40), w(44))),
                    file_flags: has_vi.then(|| w(52) & w(48)),
                    file_os: has_vi.then(|| w(56)),
                    file_type: has_vi.then(|| w(60)),
                    debug_file: None,
                    debug_id: None,
                    code_id: Some(format!("{:08X}{:x}", w(16), w(8))),
                    is_main: i == 0,
                }
            })
            .collect();
        if lost_names + lost_cv == 0 {
            return None; // refused for another reason: malformed, not cut short
        }
        self.recover(
            T::ModuleListStream as u32,
            LossCause::ModulesWithoutIds {
                count: count as u64,
                names_lost: lost_names,
                cv_lost: lost_cv,
            },
        );
        Some(modules)
    }

    /// A `MINIDUMP_STRING` (byte length, then UTF-16LE) when the file holds it whole.
    fn string_at(&mut self, bytes: &[u8], rva: u64) -> Option<String> {
        if !self.holds(rva, 4) {
            return None;
        }
        let len = u32_at(bytes, usize::try_from(rva).ok()?)?;
        if !self.holds(rva, 4 + len) || len % 2 != 0 {
            return None;
        }
        let start = rva as usize + 4;
        let units: Vec<u16> = bytes[start..start + len as usize]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    }

    /// Notes a piece the file must hold: the end of the furthest piece is the size it needs.
    pub(crate) fn need(&mut self, end: u64) {
        self.damage.bytes_needed = self.damage.bytes_needed.max(end);
    }

    /// Notes a stream read only in part.
    pub(crate) fn partial(&mut self, ty: u32, cause: LossCause) {
        self.damage.streams_partial.push(StreamLoss {
            stream: stream_name(ty),
            cause,
        });
    }

    /// Whether the file holds `size` bytes at `rva` (notes the need either way).
    pub(crate) fn holds(&mut self, rva: u64, size: u64) -> bool {
        let end = rva.saturating_add(size);
        if size > 0 {
            self.need(end);
        }
        end <= self.len
    }

    /// Warnings: the file cut short, then one per stream lost or read in part.
    pub(crate) fn warnings(&self) -> Vec<Warning> {
        let d = &self.damage;
        let mut w = Vec::new();
        if d.bytes_needed > d.bytes_present {
            w.push(Warning::CutShort {
                present: d.bytes_present,
                needed: d.bytes_needed,
                at_least: !d.streams_lost.is_empty(),
            });
        }
        w.extend(d.streams_lost.iter().cloned().map(Warning::StreamLost));
        w.extend(
            d.streams_partial
                .iter()
                .cloned()
                .map(Warning::StreamIncomplete),
        );
        w
    }

    /// The damage, `None` when nothing was lost.
    pub(crate) fn finish(self) -> Option<Damage> {
        self.damage.is_damaged().then_some(self.damage)
    }

    /// Walks the memory list streams for ranges whose bytes lie past the end of the file and
    /// returns what the crate could not give: the present part of ranges cut by the end of the
    /// file, and every present range of a `Memory64ListStream` the crate refused
    /// (`memory64_refused`). At most `max` ranges are looked at per list.
    pub(crate) fn memory_lists<'d>(
        &mut self,
        bytes: &'d [u8],
        raw32: Option<&[u8]>,
        raw64: Option<&[u8]>,
        memory64_refused: bool,
        max: usize,
    ) -> Vec<MemoryRange<'d>> {
        let mut salvaged = Vec::new();
        if !self.little_endian {
            return salvaged;
        }
        let lists = [
            (T::MemoryListStream as u32, raw32.map(memory_list32), false),
            (
                T::Memory64ListStream as u32,
                raw64.map(memory_list64),
                memory64_refused,
            ),
        ];
        for (ty, ranges, refused) in lists {
            let Some(ranges) = ranges else { continue };
            let (mut lost, mut lost_bytes) = (0u64, 0u64);
            for r in ranges.iter().take(max) {
                // A null location means "look elsewhere" (Windows writes them for stacks).
                if r.rva == 0 || r.size == 0 {
                    continue;
                }
                let end = r.rva.saturating_add(r.size);
                let present = end.min(self.len).saturating_sub(r.rva);
                let whole = self.holds(r.rva, r.size);
                if !whole {
                    lost += 1;
                    lost_bytes += r.size - present;
                }
                // The crate keeps whole ranges of a list it accepted; the rest is ours to add.
                if present == 0 || whole && !refused {
                    continue;
                }
                let start = r.rva as usize;
                let end = start + present as usize;
                {
                    salvaged.push(MemoryRange {
                        base: r.base,
                        bytes: &bytes[start..end],
                    });
                }
            }
            if lost > 0 {
                self.partial(
                    ty,
                    LossCause::MemoryPastEnd {
                        lost,
                        total: ranges.len() as u64,
                        bytes: lost_bytes,
                    },
                );
            }
        }
        salvaged
    }
}

fn u32_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(
        b.get(off..off + 4)?.try_into().ok()?,
    )))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

/// `MINIDUMP_MEMORY_LIST`: a count, then `{ StartOfMemoryRange: u64, DataSize: u32, Rva: u32 }`
/// (some writers put 4 bytes of padding after the count, as rust-minidump accepts).
fn memory_list32(raw: &[u8]) -> Vec<RawRange> {
    let count = (u32_at(raw, 0).unwrap_or(0) as usize).min(raw.len() / 16);
    let first = if raw.len() == 8 + count * 16 { 8 } else { 4 };
    (0..count)
        .map_while(|i| {
            let o = first + i * 16;
            Some(RawRange {
                base: u64_at(raw, o)?,
                size: u32_at(raw, o + 8)?,
                rva: u32_at(raw, o + 12)?,
            })
        })
        .collect()
}

/// `MINIDUMP_MEMORY64_LIST`: a count, the file offset of the first range's bytes, then
/// `{ StartOfMemoryRange: u64, DataSize: u64 }`; the ranges' bytes follow one another.
fn memory_list64(raw: &[u8]) -> Vec<RawRange> {
    let count = u64_at(raw, 0).unwrap_or(0).min(raw.len() as u64 / 16) as usize;
    let mut rva = u64_at(raw, 8).unwrap_or(u64::MAX);
    (0..count)
        .map_while(|i| {
            let o = 16 + i * 16;
            let r = RawRange {
                base: u64_at(raw, o)?,
                size: u64_at(raw, o + 8)?,
                rva,
            };
            rva = rva.checked_add(r.size)?;
            Some(r)
        })
        .collect()
}

/// The name of a stream type as the directory types it (`ExceptionStream`), or `0x…`.
pub(crate) fn stream_name(ty: u32) -> String {
    // `MINIDUMP_STREAM_TYPE` derives FromPrimitive via num-derive; we avoid the extra
    // dependency by matching the common ids here.
    let known = [
        T::UnusedStream,
        T::ThreadListStream,
        T::ModuleListStream,
        T::MemoryListStream,
        T::ExceptionStream,
        T::SystemInfoStream,
        T::ThreadExListStream,
        T::Memory64ListStream,
        T::CommentStreamA,
        T::CommentStreamW,
        T::HandleDataStream,
        T::FunctionTable,
        T::UnloadedModuleListStream,
        T::MiscInfoStream,
        T::MemoryInfoListStream,
        T::ThreadInfoListStream,
        T::HandleOperationListStream,
        T::TokenStream,
        T::SystemMemoryInfoStream,
        T::ProcessVmCountersStream,
        T::ThreadNamesStream,
        T::BreakpadInfoStream,
        T::AssertionInfoStream,
        T::LinuxCpuInfo,
        T::LinuxProcStatus,
        T::LinuxLsbRelease,
        T::LinuxCmdLine,
        T::LinuxEnviron,
        T::LinuxAuxv,
        T::LinuxMaps,
        T::LinuxDsoDebug,
        T::CrashpadInfoStream,
    ];
    known
        .iter()
        .find(|k| **k as u32 == ty)
        .map(|k| format!("{k:?}"))
        .unwrap_or_else(|| format!("0x{ty:x}"))
}
