//! Naming code addresses without symbol files: from the export tables of the PE images that lie
//! in dump memory, as WinDbg does when it reports `(export symbols)`. Images are parsed lazily,
//! only for modules an analysis touches, so a full-memory dump costs no more than a minidump.

use coroner_model::{AddressSpace, Snapshot};
use coroner_pe::{ExportDirectory, ExportMatch, Layout, Memory, PeError, PeImage, VersionInfo};
use std::borrow::Cow;
use std::cell::OnceCell;

/// Export offsets beyond this are flagged unreliable: the address probably lies in a
/// non-exported function after the named export (WinDbg warns the same way).
pub const UNRELIABLE_EXPORT_OFFSET: u64 = 0x10000;

/// Adapter: coroner-pe reads images through its own `Memory` trait.
pub struct DumpMemory<'a, 'd>(pub &'a AddressSpace<'d>);

impl Memory for DumpMemory<'_, '_> {
    fn read(&self, addr: u64, len: usize) -> Option<Cow<'_, [u8]>> {
        self.0.read(addr, len)
    }
}

/// Where a name came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolSource {
    /// A PDB (private: with source lines; public: names only).
    Pdb,
    /// A Breakpad `.sym` file.
    Breakpad,
    /// The image's export table (in dump memory).
    Export,
    /// No symbol: module + offset only.
    None,
}

/// A resolved code address.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Symbol {
    /// Index into `Snapshot::modules`.
    pub module_index: Option<usize>,
    /// Module file name, e.g. `ntdll.dll`.
    pub module: Option<String>,
    /// Function name, when known, as WinDbg prints it (`Widget::draw`: no return type, calling
    /// convention or parameters).
    pub function: Option<String>,
    /// The function's full signature when the symbol file has one that says more than
    /// `function` (`int __cdecl Widget::draw(int, float)`).
    pub function_signature: Option<String>,
    /// Offset from the function start.
    pub function_offset: u64,
    /// Offset from the module base.
    pub module_offset: u64,
    /// Where the name came from.
    pub source: SymbolSource,
    /// The name is an export whose offset is implausibly large.
    pub unreliable: bool,
    /// Name of an unloaded module whose former range contains the address.
    pub unloaded_module: Option<String>,
    /// Source file, from private symbols.
    pub file: Option<String>,
    /// Source line, from private symbols.
    pub line: Option<u32>,
    /// Functions inlined at the address, innermost last (from symbol files).
    pub inlines: Vec<String>,
    /// The symbol file was matched by name only (no id to check), as WinDbg's "mismatched" caveat.
    pub unverified: bool,
}

/// What is known of one module's image. The export tables and the version resource are read
/// apart, each on first use: asking a module's version does not read its exports, and
/// symbolizing an address reads only the export tables of its module.
#[derive(Default)]
struct ModuleInfo {
    /// Headers of the image in dump memory.
    image: Option<PeImage>,
    /// The image file from `--images`, when the dump lacks the image.
    file: Option<crate::images::ImageFile>,
    /// Where the export tables lie (`None`: no image).
    exports: OnceCell<Option<Result<ExportDirectory, PeError>>>,
    /// The version resource (`None`: no image).
    version: OnceCell<Option<Result<Option<VersionInfo>, PeError>>>,
    /// Problems met finding the image.
    problems: Vec<String>,
}

/// Lazily parsed facts about every module's image.
pub struct Symbolizer<'s, 'd> {
    snap: &'s Snapshot<'d>,
    cache: Vec<OnceCell<ModuleInfo>>,
    images: Option<&'s crate::images::ImageStore>,
    /// Symbol files (`--symbols`), loaded per module on first use.
    symbols: Option<&'s coroner_symbols::Symbols>,
    loaded: Vec<OnceCell<Option<std::sync::Arc<coroner_symbols::ModuleSymbols>>>>,
    /// `--images` files of modules whose image is in the dump, loaded only when needed.
    files: Vec<OnceCell<Option<crate::images::ImageFile>>>,
}

impl<'s, 'd> Symbolizer<'s, 'd> {
    /// Creates a symbolizer; parses nothing yet.
    pub fn new(snap: &'s Snapshot<'d>) -> Self {
        Symbolizer {
            snap,
            cache: (0..snap.modules.len()).map(|_| OnceCell::new()).collect(),
            images: None,
            symbols: None,
            loaded: (0..snap.modules.len()).map(|_| OnceCell::new()).collect(),
            files: (0..snap.modules.len()).map(|_| OnceCell::new()).collect(),
        }
    }

    /// Creates a symbolizer that falls back to image files from `--images` folders.
    pub fn with_images(snap: &'s Snapshot<'d>, images: &'s crate::images::ImageStore) -> Self {
        let mut s = Symbolizer::new(snap);
        if !images.is_empty() {
            s.images = Some(images);
        }
        s
    }

    /// Uses symbol files from `symbols` before export tables.
    pub fn set_symbols(&mut self, symbols: &'s coroner_symbols::Symbols) {
        self.symbols = Some(symbols);
    }

    /// A symbolizer using the image folders and symbol path of `opts`.
    pub fn for_options(snap: &'s Snapshot<'d>, opts: &'s crate::Options) -> Self {
        let mut syms = match &opts.images {
            Some(store) => Symbolizer::with_images(snap, store),
            None => Symbolizer::new(snap),
        };
        if let Some(symbols) = &opts.symbols {
            syms.set_symbols(symbols);
        }
        syms
    }

    /// The identity of module `index` as symbol stores know it.
    pub fn module_id(&self, index: usize) -> coroner_symbols::ModuleId {
        let m = &self.snap.modules[index];
        coroner_symbols::ModuleId {
            code_file: m.name.clone(),
            debug_file: m
                .debug_file
                .as_deref()
                .map(|d| d.rsplit(['\\', '/']).next().unwrap_or(d).to_string()),
            debug_id: m.debug_id.clone(),
            timestamp: m.timestamp,
            image_size: u32::try_from(m.size).unwrap_or(u32::MAX),
        }
    }

    /// The symbol file of module `index`, if one was found.
    pub fn module_symbols(
        &self,
        index: usize,
    ) -> Option<&std::sync::Arc<coroner_symbols::ModuleSymbols>> {
        let symbols = self.symbols?;
        self.loaded
            .get(index)?
            .get_or_init(|| symbols.load(&self.module_id(index)).ok().flatten())
            .as_ref()
    }

    /// Runs `f` with the module's image headers and the memory they are read through: dump
    /// memory when the image is there, else the `--images` file.
    pub fn with_image<R>(
        &self,
        index: usize,
        f: impl FnOnce(&PeImage, &dyn Memory) -> R,
    ) -> Option<R> {
        let info = self.info(index)?;
        if let Some(img) = &info.image {
            return Some(f(img, &DumpMemory(&self.snap.memory)));
        }
        let file = info.file.as_ref()?;
        Some(f(&file.image, &&file.map[..]))
    }

    /// Runs `f` with the `--images` file of module `index` (loaded on first use), even when the
    /// dump has the image: a dump's copy may lack pages the file has (e.g. `.xdata`).
    pub fn with_image_file<R>(
        &self,
        index: usize,
        f: impl FnOnce(&PeImage, &dyn Memory) -> R,
    ) -> Option<R> {
        let info = self.info(index)?;
        if let Some(file) = &info.file {
            return Some(f(&file.image, &&file.map[..]));
        }
        let store = self.images?;
        let cell = self.files.get(index)?;
        let file = cell
            .get_or_init(|| {
                store
                    .find(
                        &self.snap.modules[index],
                        crate::images::machine_of(self.snap.system.arch),
                    )
                    .ok()
            })
            .as_ref()?;
        Some(f(&file.image, &&file.map[..]))
    }

    /// The import whose IAT slot is at `slot`, from the import directory of the module holding
    /// it: in dump memory, else in its `--images` file (a minidump rarely has `.idata`).
    pub fn import_at(&self, slot: u64) -> Option<coroner_pe::Import> {
        let index = self.snap.module_index_at(slot)?;
        let rva = u32::try_from(slot.checked_sub(self.snap.modules[index].base)?).ok()?;
        let info = self.info(index)?;
        let mem = DumpMemory(&self.snap.memory);
        if let Some(found) = info.image.as_ref().and_then(|i| i.import_at(&mem, rva)) {
            return Some(found);
        }
        self.with_image_file(index, |img, m| img.import_at(m, rva))
            .flatten()
    }

    /// Where module `index`'s image facts come from: `dump`, the path of an image file, or `None`.
    pub fn image_source(&self, index: usize) -> Option<String> {
        let info = self.info(index)?;
        if info.image.is_some() {
            Some("dump".into())
        } else {
            info.file.as_ref().map(|f| f.path.display().to_string())
        }
    }

    fn info(&self, index: usize) -> Option<&ModuleInfo> {
        let cell = self.cache.get(index)?;
        Some(cell.get_or_init(|| {
            let m = &self.snap.modules[index];
            let mem = DumpMemory(&self.snap.memory);
            let mut info = ModuleInfo::default();
            match PeImage::parse(&mem, m.base, Layout::Mapped) {
                Ok(img) => info.image = Some(img),
                Err(e) => {
                    info.problems.push(format!("image in dump: {e}"));
                    if let Some(store) = self.images {
                        match store.find(m, crate::images::machine_of(self.snap.system.arch)) {
                            Ok(f) => info.file = Some(f),
                            Err(e) => info.problems.push(format!("--images: {e}")),
                        }
                    }
                    // Then the symbol path: SymStore `name.dll/TIMESTAMPSIZE/name.dll`, symbol
                    // servers, plain folders.
                    if info.file.is_none() {
                        let found = self
                            .symbols
                            .and_then(|s| s.find_image(&self.module_id(index)));
                        if let Some(path) = found {
                            match crate::images::open(&path) {
                                Ok(f) => info.file = Some(f),
                                Err(e) => info.problems.push(format!("{}: {e}", path.display())),
                            }
                        }
                    }
                }
            }
            info
        }))
    }

    /// The export directory of module `index`, located on first use (nothing else is read).
    fn export_directory(&self, index: usize) -> Option<&ExportDirectory> {
        let info = self.info(index)?;
        info.exports
            .get_or_init(|| self.with_image(index, |img, mem| img.export_directory(mem)))
            .as_ref()?
            .as_ref()
            .ok()
    }

    /// Runs `f` on module `index`'s export directory with its image and memory.
    fn with_exports<R>(
        &self,
        index: usize,
        f: impl FnOnce(&ExportDirectory, &PeImage, &dyn Memory) -> Option<R>,
    ) -> Option<R> {
        let dir = self.export_directory(index)?;
        self.with_image(index, |img, mem| f(dir, img, mem))?
    }

    /// The nearest export at or below `rva` of module `index` (WinDbg's `module!export+off`),
    /// with its RVA and the next export's (the bounds an unwinder may use).
    pub fn export_lookup(&self, index: usize, rva: u32) -> Option<ExportMatch> {
        self.with_exports(index, |d, img, mem| d.lookup(img, mem, rva))
    }

    /// The version resource of module `index`, read from its image on first use.
    pub fn version_info(&self, index: usize) -> Option<&VersionInfo> {
        let info = self.info(index)?;
        info.version
            .get_or_init(|| self.with_image(index, |img, mem| img.version_info(mem)))
            .as_ref()?
            .as_ref()
            .ok()?
            .as_ref()
    }

    /// Whether the image headers of module `index` are available (dump memory or `--images`).
    pub fn has_image(&self, index: usize) -> bool {
        self.info(index)
            .is_some_and(|i| i.image.is_some() || i.file.is_some())
    }

    /// Whether module `index` has a usable export table in the dump.
    pub fn has_exports(&self, index: usize) -> bool {
        self.export_directory(index).is_some_and(|d| !d.is_empty())
    }

    /// Problems met while reading module `index`'s image (its exports and version resource as
    /// far as they were asked for).
    pub fn problems(&self, index: usize) -> Vec<String> {
        let Some(info) = self.info(index) else {
            return Vec::new();
        };
        let mut out = info.problems.clone();
        if let Some(Some(Err(e))) = info.exports.get() {
            out.push(format!("exports: {e}"));
        }
        if let Some(Some(Err(e))) = info.version.get() {
            out.push(format!("version resource: {e}"));
        }
        out
    }

    /// The snapshot being symbolized.
    pub fn snapshot(&self) -> &'s Snapshot<'d> {
        self.snap
    }

    /// The PE image headers of module `index`.
    pub fn image(&self, index: usize) -> Option<&PeImage> {
        self.info(index)?.image.as_ref()
    }

    /// Resolves an address.
    pub fn symbolize(&self, addr: u64) -> Symbol {
        self.symbolize_frame(addr, false)
    }

    /// Resolves a frame's address; for a `caller` frame (a return address) the source line is
    /// the one of the call instruction, so the lookup uses the address minus one.
    pub fn symbolize_frame(&self, addr: u64, caller: bool) -> Symbol {
        let mut sym = self.symbolize_exports(addr);
        let Some(mi) = sym.module_index else {
            return sym;
        };
        let Some(ms) = self.module_symbols(mi) else {
            return sym;
        };
        let rva = sym
            .module_offset
            .saturating_sub(u64::from(caller && sym.module_offset > 0));
        let Ok(rva) = u32::try_from(rva) else {
            return sym;
        };
        if let Some(info) = ms.lookup(rva) {
            sym.function = Some(info.function.clone());
            sym.function_signature = info.signature.clone();
            sym.function_offset = sym
                .module_offset
                .saturating_sub(u64::from(info.function_rva));
            sym.source = match ms.source {
                coroner_symbols::Source::Pdb { .. } => SymbolSource::Pdb,
                coroner_symbols::Source::BreakpadSym => SymbolSource::Breakpad,
            };
            sym.unreliable = false;
            sym.file = info.file.clone();
            sym.line = info.line;
            sym.inlines = info.inlines.iter().map(|i| i.function.clone()).collect();
            sym.unverified = matches!(ms.matched, coroner_symbols::Match::Unverified);
        }
        sym
    }

    fn symbolize_exports(&self, addr: u64) -> Symbol {
        let Some(mi) = self.snap.module_index_at(addr) else {
            return Symbol {
                module_index: None,
                module: None,
                function: None,
                function_signature: None,
                function_offset: 0,
                module_offset: 0,
                source: SymbolSource::None,
                unreliable: false,
                unloaded_module: self.snap.unloaded_module_at(addr).map(|u| u.name.clone()),
                file: None,
                line: None,
                inlines: Vec::new(),
                unverified: false,
            };
        };
        let m = &self.snap.modules[mi];
        let module_offset = addr - m.base;
        let mut sym = Symbol {
            module_index: Some(mi),
            module: Some(m.name.clone()),
            function: None,
            function_signature: None,
            function_offset: module_offset,
            module_offset,
            source: SymbolSource::None,
            unreliable: false,
            unloaded_module: None,
            file: None,
            line: None,
            inlines: Vec::new(),
            unverified: false,
        };
        let found = u32::try_from(module_offset)
            .ok()
            .and_then(|rva| self.export_lookup(mi, rva));
        if let Some(l) = found {
            sym.function = Some(l.name);
            sym.function_offset = u64::from(l.offset);
            sym.source = SymbolSource::Export;
            sym.unreliable = u64::from(l.offset) >= UNRELIABLE_EXPORT_OFFSET;
        }
        sym
    }

    /// Whether `addr` lies in code the module's symbol file knows (a function's bounds, or a code
    /// public symbol); `None` without a symbol file that names anything.
    pub fn in_symbol_code(&self, addr: u64) -> Option<bool> {
        let mi = self.snap.module_index_at(addr)?;
        let rva = u32::try_from(addr - self.snap.modules[mi].base).ok()?;
        let from_symbols = self.module_symbols(mi).and_then(|ms| ms.in_code(rva));
        from_symbols.or_else(|| self.in_code_section(mi, rva))
    }

    /// `Some(false)` when the image's section table (dump memory or `--images`) puts `rva` in a
    /// section that is neither code nor executable (`.data`, `.rdata`, `.rsrc`): a pointer to a
    /// global there is not a return address. `None` without headers or outside every section.
    fn in_code_section(&self, index: usize, rva: u32) -> Option<bool> {
        const CNT_CODE: u32 = 0x0000_0020;
        const MEM_EXECUTE: u32 = 0x2000_0000;
        self.with_image(index, |img, _| {
            let s = img.section_for_rva(rva)?;
            Some(s.characteristics & (CNT_CODE | MEM_EXECUTE) != 0)
        })?
    }

    /// Finds an exported function by module short name and export name (`ntdll`, `RtlAllocateHeap`).
    pub fn resolve_name(&self, module: &str, function: &str) -> Option<u64> {
        let (mi, m) = self.snap.modules.iter().enumerate().find(|(_, m)| {
            m.short_name().eq_ignore_ascii_case(module) || m.name.eq_ignore_ascii_case(module)
        })?;
        let e = self.with_exports(mi, |d, img, mem| d.by_name(img, mem, function))?;
        Some(m.base.wrapping_add(u64::from(e.rva)))
    }
}

impl coroner_unwind::UnwindHelp for Symbolizer<'_, '_> {
    fn function_name(&self, addr: u64) -> Option<String> {
        let s = self.symbolize(addr);
        if s.unreliable {
            return None;
        }
        s.function
    }

    fn unwind(&self, ctx: &coroner_model::Context, exact: bool) -> Option<coroner_model::Context> {
        self.unwind_exact(ctx, exact).map(|(c, _)| c)
    }

    fn unwind_exact(
        &self,
        ctx: &coroner_model::Context,
        exact: bool,
    ) -> Option<(coroner_model::Context, bool)> {
        self.unwind_x64(ctx)
            .or_else(|| self.unwind_arm64(ctx, exact))
    }

    fn in_code(&self, addr: u64) -> Option<bool> {
        self.in_symbol_code(addr)
    }

    fn cfi_rules(&self, addr: u64) -> Option<Vec<(String, String)>> {
        let mi = self.snap.module_index_at(addr)?;
        let ms = self.module_symbols(mi)?;
        let rva = u32::try_from(addr - self.snap.modules[mi].base).ok()?;
        Some(ms.stack_cfi(rva)?.rules)
    }

    fn frame_data(&self, addr: u64) -> Option<coroner_unwind::stackwin::FrameData> {
        let mi = self.snap.module_index_at(addr)?;
        let ms = self.module_symbols(mi)?;
        let rva = u32::try_from(addr - self.snap.modules[mi].base).ok()?;
        let sw = ms.stack_win(rva)?;
        Some(coroner_unwind::stackwin::FrameData {
            ty: sw.ty,
            params_size: sw.params_size,
            saved_regs_size: sw.saved_regs_size,
            locals_size: sw.locals_size,
            program_string: sw.program_string.clone(),
            allocates_base_pointer: sw.allocates_base_pointer,
        })
    }
}

/// WinDbg's `module!function+0xoff` (or `module+0xoff`, or the bare address).
pub fn format_symbol(sym: &Symbol, addr: u64, ptr_size: u8) -> String {
    match (&sym.module, &sym.function) {
        (Some(m), Some(f)) => {
            let short = short(m);
            let mut s = if sym.function_offset == 0 {
                format!("{short}!{f}")
            } else {
                format!("{short}!{f}+0x{:x}", sym.function_offset)
            };
            if let (Some(file), Some(line)) = (&sym.file, sym.line) {
                s.push_str(&format!(" [{file} @ {line}]"));
            }
            s
        }
        (Some(m), None) => format!("{}+0x{:x}", short(m), sym.module_offset),
        _ => match &sym.unloaded_module {
            Some(u) => format!("<Unloaded_{u}>+0x{addr:x}"),
            None => crate::fmt_addr(addr, ptr_size),
        },
    }
}

/// Module name without extension.
pub fn short(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}
