//! From rust-minidump's stream types to coroner's model.

use crate::damage::{stream_name, Survey};
use crate::{DumpFile, LoadError};
use coroner_model::*;
use minidump::format as md;
use minidump::{
    Minidump, MinidumpException, MinidumpHandleDataStream, MinidumpLinuxMaps, MinidumpMemory64List,
    MinidumpMemoryInfoList, MinidumpMiscInfo, MinidumpModuleList, MinidumpRawContext,
    MinidumpStream, MinidumpSystemInfo, MinidumpThreadInfoList, MinidumpThreadList,
    MinidumpThreadNames, MinidumpUnloadedModuleList, Module as _,
};
use std::ops::Deref;

/// Largest number of memory ranges, regions, threads or modules taken from one dump. A real
/// process has far fewer; a hostile count beyond this is reported and cut.
pub const MAX_LIST: usize = 1 << 22;

/// Notes a list cut at `max` entries, so the limit is reported, not silent.
fn note_cut(warnings: &mut Vec<Warning>, list: ListKind, count: usize, max: usize) {
    if count > max {
        warnings.push(Warning::ListCut { list, count, max });
    }
}

/// Stream `S`, unless the survey found it lost or it is not in the directory; a stream its
/// parser refuses is marked lost.
fn read<'a, S, D>(dump: &'a Minidump<'a, D>, survey: &mut Survey) -> Option<S>
where
    S: MinidumpStream<'a>,
    D: Deref<Target = [u8]> + 'a,
{
    if survey.is_lost(S::STREAM_TYPE) {
        return None;
    }
    match dump.get_stream::<S>() {
        Ok(s) => Some(s),
        Err(minidump::Error::StreamNotFound) => None,
        Err(e) => {
            survey.lose(S::STREAM_TYPE, refused(&e));
            None
        }
    }
}

/// A stream's raw bytes, unless it is lost or absent.
fn raw<'a, D: Deref<Target = [u8]> + 'a>(
    dump: &'a Minidump<'a, D>,
    survey: &Survey,
    ty: md::MINIDUMP_STREAM_TYPE,
) -> Option<&'a [u8]> {
    let ty = ty as u32;
    (!survey.is_lost(ty))
        .then(|| dump.get_raw_stream(ty).ok())
        .flatten()
}

/// The stream directory could not be read: say how much of it the file holds.
fn directory_error(bytes: &[u8], e: &minidump::Error) -> LoadError {
    let word = |o: usize| u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
    if matches!(e, minidump::Error::MissingDirectory) && bytes.starts_with(b"MDMP") {
        let (count, rva) = (u64::from(word(8)), u64::from(word(12)));
        return LoadError::Corrupt(Corrupt::DirectoryPastEnd {
            entries: count,
            offset: rva,
            bytes_present: bytes.len() as u64,
            bytes_needed: rva + count * 12,
        });
    }
    LoadError::Corrupt(match e {
        minidump::Error::MissingDirectory => Corrupt::DirectoryMissing,
        minidump::Error::MissingHeader => Corrupt::HeaderMissing,
        minidump::Error::HeaderMismatch => Corrupt::HeaderMismatch,
        minidump::Error::VersionMismatch => Corrupt::UnsupportedVersion,
        other => Corrupt::Unparsable {
            error: other.to_string(),
        },
    })
}

/// Builds the model of one minidump: each stream is read by its own step below, in the order
/// that fixes the order of the warnings and of the damage survey's findings.
pub(crate) fn snapshot(file: &DumpFile) -> Result<Snapshot<'_>, LoadError> {
    let bytes = file.bytes();
    check_magic(bytes)?;
    let dump = Minidump::read(bytes).map_err(|e| directory_error(bytes, &e))?;
    let mut c = Conversion {
        dump: &dump,
        bytes,
        survey: Survey::new(&dump, bytes),
        warnings: Vec::new(),
        max_list: file.limits().max_list,
    };

    let streams: Vec<String> = dump
        .all_streams()
        .map(|d| stream_name(d.stream_type))
        .collect();
    let sysinfo = read::<MinidumpSystemInfo, _>(c.dump, &mut c.survey);
    let misc = read::<MinidumpMiscInfo, _>(c.dump, &mut c.survey);
    let system = c.system(sysinfo.as_ref());
    let mut ranges = c.memory_ranges();
    let threads = c.threads(sysinfo.as_ref(), misc.as_ref(), &mut ranges);
    let memory = AddressSpace::new(ranges);
    let modules = c.modules();
    let unloaded_modules = c.unloaded_modules();
    let (regions, regions_source) = c.regions();
    let (exception, exception_context) = c.exception(sysinfo.as_ref(), misc.as_ref());
    let process = c.process(misc.as_ref(), &modules, &system);
    let (handle_count, handles) = c.handles();
    let comments = c.comments();

    let snap = Snapshot {
        path: file.path().to_path_buf(),
        container: file.container().name().to_string(),
        dump_flags: dump.header.flags,
        system,
        process,
        exception,
        exception_context,
        threads,
        modules,
        unloaded_modules,
        regions,
        regions_source,
        memory,
        handle_count,
        handles,
        comments,
        warnings: c.warnings,
        streams,
        damage: None,
        module_index: Default::default(),
    };
    Ok(finish(snap, c.survey))
}

/// Reads the process blocks of a Windows dump (PEB/TEB facts from dump memory), then puts the
/// damage survey's warnings first — the damage explains the warnings after it — and its
/// findings into the snapshot.
fn finish<'a>(mut snap: Snapshot<'a>, survey: Survey) -> Snapshot<'a> {
    if snap.system.os.is_windows() {
        crate::windows::read_process_blocks(&mut snap);
    }
    let mut w = survey.warnings();
    w.append(&mut snap.warnings);
    snap.warnings = w;
    snap.damage = survey.finish();
    snap
}

/// One dump being converted: what every stream step shares. `dump` borrows from `bytes` (the
/// mapped file), so captured memory can be kept as slices of `bytes` after the parser is gone.
struct Conversion<'d, 'a> {
    /// The parsed stream directory.
    dump: &'d Minidump<'a, &'a [u8]>,
    /// The whole file.
    bytes: &'a [u8],
    /// Which streams are lost, partial or unreadable.
    survey: Survey,
    /// Warnings so far, in the order they were found.
    warnings: Vec<Warning>,
    /// Largest number of entries taken from one list ([`MAX_LIST`] unless raised).
    max_list: usize,
}

impl<'d, 'a: 'd> Conversion<'d, 'a> {
    /// OS and CPU from the SystemInfo stream; a warning when it is absent or lost.
    fn system(&mut self, sysinfo: Option<&MinidumpSystemInfo>) -> SystemInfo {
        let named = self
            .survey
            .named(md::MINIDUMP_STREAM_TYPE::SystemInfoStream as u32);
        system_info(sysinfo, named, &mut self.warnings)
    }

    /// Every captured memory range, borrowed straight from the file bytes: the memory list the
    /// crate reads (Memory64List before MemoryList), then what the survey salvages of ranges cut
    /// by the end of the file.
    fn memory_ranges(&mut self) -> Vec<MemoryRange<'a>> {
        let (dump, bytes, max_list) = (self.dump, self.bytes, self.max_list);
        let mut ranges = Vec::new();
        // The crate refuses a whole Memory64ListStream when one range lies past the end of the
        // file (a full dump cut short); the survey then salvages the ranges the file holds.
        let m64 = md::MINIDUMP_STREAM_TYPE::Memory64ListStream as u32;
        let memory64 = match dump.get_stream::<MinidumpMemory64List>() {
            _ if self.survey.is_lost(m64) => None,
            Ok(m) => Some(m),
            Err(_) => None,
        };
        let memory64_refused =
            memory64.is_none() && self.survey.named(m64) && !self.survey.is_lost(m64);
        let mem = match memory64 {
            Some(m) => Some(minidump::UnifiedMemoryList::Memory64(m)),
            None => read::<minidump::MinidumpMemoryList, _>(dump, &mut self.survey)
                .map(minidump::UnifiedMemoryList::Memory),
        };
        if let Some(mem) = mem {
            note_cut(
                &mut self.warnings,
                ListKind::Memory,
                mem.iter().count(),
                max_list,
            );
            for m in mem.iter().take(max_list) {
                if let Some(b) = rebase(bytes, m.bytes()) {
                    ranges.push(MemoryRange {
                        base: m.base_address(),
                        bytes: b,
                    });
                }
            }
        }
        // What the crate could not give: ranges cut by the end of the file.
        let salvaged = self.survey.memory_lists(
            bytes,
            raw(
                dump,
                &self.survey,
                md::MINIDUMP_STREAM_TYPE::MemoryListStream,
            ),
            raw(
                dump,
                &self.survey,
                md::MINIDUMP_STREAM_TYPE::Memory64ListStream,
            ),
            memory64_refused,
            max_list,
        );
        if memory64_refused && !self.survey.is_partial(m64) {
            // Refused for another reason than its end: the list itself is malformed.
            if let Err(e) = dump.get_stream::<MinidumpMemory64List>() {
                self.survey.lose(m64, refused(&e));
            }
        } else {
            ranges.extend(salvaged);
        }
        ranges
    }

    /// The thread list, with names, times and register contexts; each thread's stack memory is
    /// added to `ranges`. Contexts and stacks past the end of the file mark the stream partial.
    fn threads(
        &mut self,
        sysinfo: Option<&MinidumpSystemInfo>,
        misc: Option<&MinidumpMiscInfo>,
        ranges: &mut Vec<MemoryRange<'a>>,
    ) -> Vec<Thread> {
        let mut threads = Vec::new();
        let (mut contexts_lost, mut stacks_cut) = (0u64, 0u64);
        match read::<MinidumpThreadList, _>(self.dump, &mut self.survey) {
            Some(list) => {
                let names = read::<MinidumpThreadNames, _>(self.dump, &mut self.survey);
                let infos = read::<MinidumpThreadInfoList, _>(self.dump, &mut self.survey);
                note_cut(
                    &mut self.warnings,
                    ListKind::Thread,
                    list.threads.len(),
                    self.max_list,
                );
                for (index, t) in list.threads.iter().enumerate().take(self.max_list) {
                    let cl = t.raw.thread_context;
                    if !self
                        .survey
                        .holds(u64::from(cl.rva), u64::from(cl.data_size))
                    {
                        contexts_lost += 1;
                    }
                    let loc = t.raw.stack.memory;
                    if loc.rva != 0
                        && !self
                            .survey
                            .holds(u64::from(loc.rva), u64::from(loc.data_size))
                    {
                        stacks_cut += 1;
                    }
                    let context = sysinfo
                        .and_then(|si| t.context(si, misc))
                        .and_then(|c| convert_context(&c.raw));
                    threads.push(self.thread(
                        index,
                        t,
                        context,
                        names.as_ref(),
                        infos.as_ref(),
                        ranges,
                    ));
                }
            }
            None if !self
                .survey
                .named(md::MINIDUMP_STREAM_TYPE::ThreadListStream as u32) =>
            {
                self.warnings.push(Warning::NoThreadList)
            }
            None => {}
        }
        if contexts_lost + stacks_cut > 0 {
            self.survey.partial(
                md::MINIDUMP_STREAM_TYPE::ThreadListStream as u32,
                LossCause::ThreadsPastEnd {
                    threads: threads.len() as u64,
                    contexts_lost,
                    stacks_cut,
                },
            );
        }
        threads
    }

    /// One thread of the list; its stack memory goes into `ranges`.
    fn thread(
        &self,
        index: usize,
        t: &minidump::MinidumpThread<'_>,
        context: Option<Context>,
        names: Option<&MinidumpThreadNames>,
        infos: Option<&MinidumpThreadInfoList>,
        ranges: &mut Vec<MemoryRange<'a>>,
    ) -> Thread {
        let id = t.raw.thread_id;
        // Stack memory referenced only from the thread list still counts as captured;
        // of a stack cut by the end of the file, the part the file holds.
        let loc = t.raw.stack.memory;
        let stack_start = t.raw.stack.start_of_memory_range;
        let present = u64::from(loc.data_size)
            .min((self.bytes.len() as u64).saturating_sub(u64::from(loc.rva)));
        if let Some(b) = slice_at(self.bytes, loc.rva as u64, present) {
            ranges.push(MemoryRange {
                base: stack_start,
                bytes: b,
            });
        }
        let times = infos
            .and_then(|i| i.get_thread_info(id))
            .map(|i| ThreadTimes {
                create_time: filetime_to_unix(i.raw.create_time),
                user_100ns: i.raw.user_time,
                kernel_100ns: i.raw.kernel_time,
                start_address: i.raw.start_address,
                affinity: i.raw.affinity,
            });
        Thread {
            index,
            id,
            name: names.and_then(|n| n.get_name(id)).map(|s| s.into_owned()),
            teb: (t.raw.teb != 0).then_some(t.raw.teb),
            stack_start,
            stack_len: u64::from(loc.data_size),
            stack_base: None,
            stack_limit: None,
            context,
            times,
            last_error: None,
            scheduling: Some(Scheduling {
                suspend_count: t.raw.suspend_count,
                priority_class: t.raw.priority_class,
                priority: t.raw.priority as i32,
            }),
        }
    }

    /// The module list; when the crate refuses it whole (a name or CodeView record past the end
    /// of the file), what the survey salvages of it.
    fn modules(&mut self) -> Vec<Module> {
        let ml = md::MINIDUMP_STREAM_TYPE::ModuleListStream as u32;
        match read::<MinidumpModuleList, _>(self.dump, &mut self.survey) {
            Some(list) => {
                note_cut(
                    &mut self.warnings,
                    ListKind::Module,
                    list.iter().count(),
                    self.max_list,
                );
                list.iter()
                    .enumerate()
                    .take(self.max_list)
                    .map(|(i, m)| module(m, i == 0))
                    .collect()
            }
            None if !self.survey.named(ml) => {
                self.warnings.push(Warning::NoModuleList);
                Vec::new()
            }
            None => self
                .dump
                .get_raw_stream(ml)
                .ok()
                .and_then(|raw| self.survey.salvage_modules(raw, self.bytes, self.max_list))
                .unwrap_or_default(),
        }
    }

    /// The unloaded-module list.
    fn unloaded_modules(&mut self) -> Vec<UnloadedModule> {
        let Some(list) = read::<MinidumpUnloadedModuleList, _>(self.dump, &mut self.survey) else {
            return Vec::new();
        };
        note_cut(
            &mut self.warnings,
            ListKind::UnloadedModule,
            list.iter().count(),
            self.max_list,
        );
        list.iter()
            .take(self.max_list)
            .map(|m| UnloadedModule {
                base: m.raw.base_of_image,
                size: u64::from(m.raw.size_of_image),
                name: file_name(&m.name),
                timestamp: m.raw.time_date_stamp,
                checksum: m.raw.checksum,
            })
            .collect()
    }

    /// The address space's regions, sorted by base, and the stream they came from: the
    /// MemoryInfoList, or Linux maps when it gave none.
    fn regions(&mut self) -> (Vec<Region>, Option<&'static str>) {
        let mut regions = Vec::new();
        let mut source = None;
        if let Some(list) = read::<MinidumpMemoryInfoList, _>(self.dump, &mut self.survey) {
            source = Some("MemoryInfoList");
            regions = self.memory_info_regions(&list);
        }
        if regions.is_empty() {
            if let Some(maps) = read::<MinidumpLinuxMaps, _>(self.dump, &mut self.survey) {
                source = Some("LinuxMaps");
                regions = self.linux_map_regions(&maps);
            }
        }
        regions.sort_by_key(|r| r.base);
        (regions, source)
    }

    /// Regions as the MemoryInfoList gives them (a free region has no type).
    fn memory_info_regions(&mut self, list: &MinidumpMemoryInfoList) -> Vec<Region> {
        note_cut(
            &mut self.warnings,
            ListKind::MemoryInfo,
            list.iter().count(),
            self.max_list,
        );
        list.iter()
            .take(self.max_list)
            .map(|r| {
                let raw = &r.raw;
                let free = raw.state == MEM_FREE;
                Region {
                    base: raw.base_address,
                    size: raw.region_size,
                    allocation_base: raw.allocation_base,
                    allocation_protect: raw.allocation_protection,
                    state: raw.state,
                    protect: raw.protection,
                    kind: if free { 0 } else { raw._type },
                    mapped_path: None,
                }
            })
            .collect()
    }

    /// Regions from Linux `/proc/PID/maps`: committed private memory with the Windows
    /// protection nearest to the mapping's `rwx`.
    fn linux_map_regions(&mut self, maps: &MinidumpLinuxMaps) -> Vec<Region> {
        note_cut(
            &mut self.warnings,
            ListKind::LinuxMaps,
            maps.iter().count(),
            self.max_list,
        );
        let mut regions = Vec::new();
        for m in maps.iter().take(self.max_list) {
            let Some(range) = m.memory_range() else {
                continue;
            };
            let (r, w, x) = (m.is_readable(), m.is_writable(), m.is_executable());
            let protect = match (r, w, x) {
                (_, true, true) => 0x40,
                (true, false, true) | (false, false, true) => 0x20,
                (_, true, false) => 0x04,
                (true, false, false) => 0x02,
                (false, false, false) => 0x01,
            };
            regions.push(Region {
                base: range.start,
                size: range.end.saturating_sub(range.start),
                allocation_base: range.start,
                allocation_protect: protect,
                state: MEM_COMMIT,
                protect,
                kind: MEM_PRIVATE,
                mapped_path: None,
            });
        }
        regions
    }

    /// The exception record and its register context; a context past the end of the file
    /// marks the stream partial.
    fn exception(
        &mut self,
        sysinfo: Option<&MinidumpSystemInfo>,
        misc: Option<&MinidumpMiscInfo>,
    ) -> (Option<ExceptionRecord>, Option<Context>) {
        let Some(e) = read::<MinidumpException, _>(self.dump, &mut self.survey) else {
            return (None, None);
        };
        let cl = e.raw.thread_context;
        if !self
            .survey
            .holds(u64::from(cl.rva), u64::from(cl.data_size))
        {
            self.survey.partial(
                md::MINIDUMP_STREAM_TYPE::ExceptionStream as u32,
                LossCause::ExceptionContextPastEnd {
                    rva: u64::from(cl.rva),
                },
            );
        }
        let rec = &e.raw.exception_record;
        let n = (rec.number_parameters as usize).min(rec.exception_information.len());
        let ctx = sysinfo
            .and_then(|si| e.context(si, misc))
            .and_then(|c| convert_context(&c.raw));
        let record = ExceptionRecord {
            code: rec.exception_code,
            flags: rec.exception_flags,
            address: rec.exception_address,
            params: rec.exception_information[..n].to_vec(),
            thread_id: e.raw.thread_id,
            nested_record: rec.exception_record,
            reason: sysinfo
                .map(|si| e.get_crash_reason(si.os, si.cpu).to_string())
                .unwrap_or_else(|| format!("0x{:08x}", rec.exception_code)),
            crash_address: sysinfo
                .map(|si| e.get_crash_address(si.os, si.cpu))
                .unwrap_or(rec.exception_address),
        };
        (Some(record), ctx)
    }

    /// Process facts: dump time, PID and times (MiscInfo), name and image path (the main
    /// module, unless its name was lost), and on other systems than Windows the command line
    /// and PID from the Linux streams.
    fn process(
        &self,
        misc: Option<&MinidumpMiscInfo>,
        modules: &[Module],
        system: &SystemInfo,
    ) -> ProcessInfo {
        let stamp = self.dump.header.time_date_stamp;
        let mut process = ProcessInfo {
            dump_time: (stamp != 0).then_some(u64::from(stamp)),
            ..Default::default()
        };
        if let Some(misc) = misc {
            process.pid = misc.raw.process_id().copied();
            process.create_time = misc
                .raw
                .process_create_time()
                .map(|t| u64::from(*t))
                .filter(|t| *t != 0);
            process.user_time = misc.raw.process_user_time().copied();
            process.kernel_time = misc.raw.process_kernel_time().copied();
        }
        process.vm_counters = self
            .dump
            .get_raw_stream(PROCESS_VM_COUNTERS_STREAM)
            .ok()
            .and_then(VmCounters::parse);
        if let Some(main) = modules
            .first()
            .filter(|m| m.path != crate::damage::NAME_LOST)
        {
            process.name = Some(main.name.clone());
            process.image_path = Some(main.path.clone());
        }
        if !system.os.is_windows() {
            self.linux_process(&mut process);
        }
        process
    }

    /// Command line (LinuxCmdLine) and, when MiscInfo gave none, PID (LinuxProcStatus).
    fn linux_process(&self, process: &mut ProcessInfo) {
        if let Some(raw) = raw(
            self.dump,
            &self.survey,
            md::MINIDUMP_STREAM_TYPE::LinuxCmdLine,
        ) {
            let cl: Vec<String> = raw
                .split(|b| *b == 0)
                .filter(|s| !s.is_empty())
                .take(4096)
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect();
            if !cl.is_empty() {
                process.command_line = Some(cl.join(" "));
            }
        }
        if process.pid.is_none() {
            let status = md::MINIDUMP_STREAM_TYPE::LinuxProcStatus;
            if let Some(raw) = raw(self.dump, &self.survey, status) {
                process.pid = String::from_utf8_lossy(raw)
                    .lines()
                    .find_map(|l| l.strip_prefix("Pid:").map(|v| v.trim().parse().ok()))
                    .flatten();
            }
        }
    }

    /// Whether the HandleDataStream's header is safe to give the crate (true when the stream
    /// is absent or too short to judge; the crate then decides).
    ///
    /// The minidump crate sizes its handle vector from the header's count, bounded only by
    /// count × SizeOfDescriptor: a descriptor size of 0 with a 4-billion count asks for hundreds
    /// of GiB. Refuse headers whose descriptors could not fit the stream (real ones are ≥ 16
    /// bytes).
    fn handle_header_ok(&mut self) -> bool {
        let ty = md::MINIDUMP_STREAM_TYPE::HandleDataStream;
        match raw(self.dump, &self.survey, ty) {
            Some(raw) if raw.len() >= 12 => {
                let word =
                    |o: usize| u32::from_le_bytes([raw[o], raw[o + 1], raw[o + 2], raw[o + 3]]);
                let (header, entry, count) = (word(0) as u64, word(4) as u64, word(8) as u64);
                let fits = entry >= 16 && header.saturating_add(entry * count) <= raw.len() as u64;
                if !fits {
                    let size = raw.len() as u64;
                    let cause = LossCause::HandlesDoNotFit { count, entry, size };
                    self.survey.lose(ty as u32, cause);
                }
                fits
            }
            _ => true,
        }
    }

    /// The handle count the stream declares and the handles read (at most `max_list`).
    fn handles(&mut self) -> (Option<usize>, Vec<Handle>) {
        let handle_stream = self
            .handle_header_ok()
            .then(|| read::<MinidumpHandleDataStream, _>(self.dump, &mut self.survey))
            .flatten();
        let handle_count = handle_stream.as_ref().map(|h| h.handles.len());
        let handles = handle_stream
            .iter()
            .flat_map(|h| h.handles.iter())
            .take(self.max_list)
            .map(handle)
            .collect();
        (handle_count, handles)
    }

    /// The comment streams (ANSI, then UTF-16), each at most 64 KiB, trimmed; empty ones
    /// dropped.
    fn comments(&self) -> Vec<String> {
        let mut comments = Vec::new();
        for wide in [false, true] {
            let ty = if wide {
                md::MINIDUMP_STREAM_TYPE::CommentStreamW
            } else {
                md::MINIDUMP_STREAM_TYPE::CommentStreamA
            };
            if let Some(raw) = raw(self.dump, &self.survey, ty) {
                let raw = &raw[..raw.len().min(64 * 1024)];
                let s = if wide {
                    let u: Vec<u16> = raw
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect();
                    String::from_utf16_lossy(&u)
                } else {
                    String::from_utf8_lossy(raw).into_owned()
                };
                let s = s.trim_end_matches('\0').trim().to_string();
                if !s.is_empty() {
                    comments.push(s);
                }
            }
        }
        comments
    }
}

/// One module of the module list; `is_main` for the first (the process's image).
fn module(m: &minidump::MinidumpModule, is_main: bool) -> Module {
    let path = m.name.clone();
    let name = file_name(&path);
    let vi = &m.raw.version_info;
    let has_vi = vi.signature == md::VS_FFI_SIGNATURE;
    let v4 = |hi: u32, lo: u32| -> Version4 {
        [(hi >> 16) as u16, hi as u16, (lo >> 16) as u16, lo as u16]
    };
    Module {
        base: m.base_address(),
        size: m.size(),
        name,
        path,
        timestamp: m.raw.time_date_stamp,
        checksum: m.raw.checksum,
        file_version: has_vi.then(|| v4(vi.file_version_hi, vi.file_version_lo)),
        product_version: has_vi.then(|| v4(vi.product_version_hi, vi.product_version_lo)),
        file_flags: has_vi.then_some(vi.file_flags & vi.file_flags_mask),
        file_os: has_vi.then_some(vi.file_os),
        file_type: has_vi.then_some(vi.file_type),
        debug_file: m.debug_file().map(|s| s.into_owned()),
        debug_id: m.debug_identifier().map(|d| d.breakpad().to_string()),
        code_id: m.code_identifier().map(|c| c.to_string()),
        is_main,
    }
}

/// ProcessVmCountersStream (`MINIDUMP_STREAM_TYPE` 22), which the minidump crate leaves raw.
const PROCESS_VM_COUNTERS_STREAM: u32 = 22;

/// One handle descriptor (either layout) in the model's terms; empty names are none.
fn handle(h: &minidump::MinidumpHandleDescriptor) -> Handle {
    let (handle, attributes, granted_access, handle_count, pointer_count) = match &h.raw {
        minidump::RawHandleDescriptor::HandleDescriptor(d) => (
            d.handle,
            d.attributes,
            d.granted_access,
            d.handle_count,
            d.pointer_count,
        ),
        minidump::RawHandleDescriptor::HandleDescriptor2(d) => (
            d.handle,
            d.attributes,
            d.granted_access,
            d.handle_count,
            d.pointer_count,
        ),
    };
    Handle {
        handle,
        type_name: h.type_name.clone().filter(|t| !t.is_empty()),
        object_name: h.object_name.clone().filter(|t| !t.is_empty()),
        attributes,
        granted_access,
        handle_count,
        pointer_count,
    }
}

/// Rejects files that are not minidumps with a message that says what they are.
fn check_magic(b: &[u8]) -> Result<(), LoadError> {
    if b.len() < 4 {
        return Err(LoadError::Corrupt(Corrupt::TooShort {
            bytes: b.len() as u64,
        }));
    }
    let magic = &b[..4];
    if magic == b"MDMP" || magic == b"PMDM" {
        if b.len() < 32 {
            return Err(LoadError::Corrupt(Corrupt::HeaderTruncated {
                bytes: b.len() as u64,
            }));
        }
        return Ok(());
    }
    Err(LoadError::NotADump(what_it_is(b)))
}

/// What a file without a minidump signature (at least 4 bytes) is, by its first bytes.
fn what_it_is(b: &[u8]) -> NotADump {
    if b.starts_with(b"PAGEDU64") || b.starts_with(b"PAGEDUMP") {
        return NotADump::KernelDump;
    }
    if b.starts_with(b"ElfFile") {
        return NotADump::EventLog;
    }
    if b.len() >= 8 && &b[4..8] == b"LfLe" {
        return NotADump::LegacyEventLog;
    }
    if b.starts_with(b"\x7fELF") {
        return NotADump::Elf;
    }
    if b.starts_with(b"MZ") {
        return NotADump::PeImage;
    }
    let head = String::from_utf8_lossy(&b[..b.len().min(256)]);
    if head.contains("-----BEGIN BREAKPAD MICRODUMP-----") || head.contains("BREAKPAD MICRODUMP") {
        return NotADump::Microdump;
    }
    if head.starts_with("#Software") || head.starts_with("#Version") || head.starts_with("#Fields")
    {
        return NotADump::W3cLog;
    }
    let printable = b[..b.len().min(64)]
        .iter()
        .all(|c| c.is_ascii_graphic() || c.is_ascii_whitespace());
    match printable {
        true => NotADump::Text,
        false => NotADump::Unknown {
            magic: [b[0], b[1], b[2], b[3]],
        },
    }
}

/// Why the parser refused a stream: the facts of a size mismatch, else its own words.
fn refused(e: &minidump::Error) -> LossCause {
    match *e {
        minidump::Error::StreamSizeMismatch { expected, actual } => LossCause::SizeMismatch {
            expected: expected as u64,
            found: actual as u64,
        },
        minidump::Error::VersionMismatch => LossCause::UnsupportedVersion,
        _ => LossCause::Unparsable { error: describe(e) },
    }
}

fn describe(e: &minidump::Error) -> String {
    match e {
        minidump::Error::MissingDirectory => {
            "stream directory missing or cut off (file truncated?)".into()
        }
        minidump::Error::MissingHeader => "header missing or cut off".into(),
        minidump::Error::HeaderMismatch => "header signature does not match".into(),
        minidump::Error::VersionMismatch => "unsupported minidump version".into(),
        other => other.to_string(),
    }
}

/// Maps a slice that rust-minidump borrowed from `bytes` back onto `bytes`, so it can outlive
/// the parser. Returns `None` if the slice is not part of `bytes`.
fn rebase<'d>(bytes: &'d [u8], part: &[u8]) -> Option<&'d [u8]> {
    let start = (part.as_ptr() as usize).checked_sub(bytes.as_ptr() as usize)?;
    bytes.get(start..start.checked_add(part.len())?)
}

fn slice_at(bytes: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    if len == 0 {
        return None;
    }
    let start = usize::try_from(off).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(start..end)
}

/// `C:\a\b.dll` or `/usr/lib/b.so` → `b.dll` / `b.so`.
pub fn file_name(path: &str) -> String {
    path.rsplit(['\\', '/']).next().unwrap_or(path).to_string()
}

/// FILETIME (100 ns since 1601) → Unix seconds.
pub fn filetime_to_unix(ft: u64) -> Option<u64> {
    const EPOCH_DIFF: u64 = 11_644_473_600;
    (ft / 10_000_000)
        .checked_sub(EPOCH_DIFF)
        .filter(|_| ft != 0)
}

fn system_info(
    si: Option<&MinidumpSystemInfo>,
    named: bool,
    warnings: &mut Vec<Warning>,
) -> SystemInfo {
    let Some(si) = si else {
        warnings.push(if named {
            Warning::SystemInfoLost
        } else {
            Warning::NoSystemInfo
        });
        return SystemInfo {
            os: OsFamily::Other,
            os_name: "unknown".into(),
            os_version: String::new(),
            arch: Arch::Other,
            cpu_info: None,
            cpu_count: 0,
        };
    };
    use minidump::system_info::{Cpu, Os};
    let os = match si.os {
        Os::Windows => OsFamily::Windows,
        Os::Linux => OsFamily::Linux,
        Os::Android => OsFamily::Android,
        Os::MacOs => OsFamily::MacOs,
        Os::Ios => OsFamily::Ios,
        _ => OsFamily::Other,
    };
    let arch = match si.cpu {
        Cpu::X86 => Arch::X86,
        Cpu::X86_64 => Arch::Amd64,
        Cpu::Arm64 => Arch::Arm64,
        Cpu::Arm => Arch::Arm,
        _ => Arch::Other,
    };
    let (os_version, build) = si.os_parts();
    let os_version = match build {
        Some(b) if !b.is_empty() => format!("{os_version} {b}"),
        _ => os_version,
    };
    SystemInfo {
        os,
        os_name: si.os.long_name().to_string(),
        os_version,
        arch,
        cpu_info: si.cpu_info().map(|s| s.into_owned()),
        cpu_count: u32::from(si.raw.number_of_processors),
    }
}

fn convert_context(raw: &MinidumpRawContext) -> Option<Context> {
    Some(match raw {
        MinidumpRawContext::X86(c) => Context::x86(
            [
                c.eax, c.ebx, c.ecx, c.edx, c.esi, c.edi, c.eip, c.esp, c.ebp,
            ],
            c.eflags,
            [
                c.cs as u16,
                c.ds as u16,
                c.es as u16,
                c.fs as u16,
                c.gs as u16,
                c.ss as u16,
            ],
        ),
        MinidumpRawContext::Amd64(c) => Context::amd64(
            [
                c.rax, c.rbx, c.rcx, c.rdx, c.rsi, c.rdi, c.rip, c.rsp, c.rbp, c.r8, c.r9, c.r10,
                c.r11, c.r12, c.r13, c.r14, c.r15,
            ],
            c.eflags,
            [c.cs, c.ds, c.es, c.fs, c.gs, c.ss],
        ),
        MinidumpRawContext::Arm64(c) => Context::arm64(&c.iregs, c.sp, c.pc, c.cpsr),
        MinidumpRawContext::OldArm64(c) => Context::arm64(&c.iregs, c.sp, c.pc, c.cpsr),
        MinidumpRawContext::Arm(c) => {
            let regs = ARM_R
                .iter()
                .zip(c.iregs.iter())
                .map(|(n, v)| (*n, u64::from(*v)))
                .collect();
            Context::generic(Arch::Arm, regs, Some(c.cpsr))
        }
        _ => return None,
    })
}

const ARM_R: [&str; 16] = [
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "fp", "r12", "sp", "lr",
    "pc",
];
