//! `!address` facts: the region around an address and what it is used for, inferred from the
//! dump (module images, thread stacks from TEB/stack ranges, TEB/PEB pages, process heaps from the
//! PEB heap list, free memory).

use coroner_model::*;
use serde::Serialize;

/// What `!address ADDR` says about one address.
#[derive(Clone, Debug, Serialize)]
pub struct AddressFacts {
    /// The address asked about.
    pub address: u64,
    /// Region base (None without region information).
    pub base: Option<u64>,
    /// Region size.
    pub size: Option<u64>,
    /// Allocation base.
    pub allocation_base: Option<u64>,
    /// Allocation protection.
    pub allocation_protect: Option<u32>,
    /// MEM_COMMIT/MEM_RESERVE/MEM_FREE, as text (`MEM_FREE`).
    pub state: Option<String>,
    /// PAGE_* protection as text (`PAGE_NOACCESS`).
    pub protect: Option<String>,
    /// MEM_IMAGE/MEM_MAPPED/MEM_PRIVATE as text.
    pub kind: Option<String>,
    /// Raw state value.
    pub state_value: Option<u32>,
    /// Raw protection value.
    pub protect_value: Option<u32>,
    /// Raw type value.
    pub kind_value: Option<u32>,
    /// Inferred usage: `Image`, `Stack`, `TEB`, `PEB`, `Heap`, `Free`, `Unknown`.
    pub usage: String,
    /// Detail for the usage: module name, thread, heap handle.
    pub usage_detail: Option<String>,
    /// Whether the bytes at the address are in the dump.
    pub captured: bool,
}

/// Text for a MEM_* state.
pub fn state_name(s: u32) -> String {
    match s {
        MEM_COMMIT => "MEM_COMMIT".into(),
        MEM_RESERVE => "MEM_RESERVE".into(),
        MEM_FREE => "MEM_FREE".into(),
        other => format!("0x{other:x}"),
    }
}

/// Text for a MEM_* type.
pub fn kind_name(t: u32) -> String {
    match t {
        MEM_IMAGE => "MEM_IMAGE".into(),
        MEM_MAPPED => "MEM_MAPPED".into(),
        MEM_PRIVATE => "MEM_PRIVATE".into(),
        0 => "<none>".into(),
        other => format!("0x{other:x}"),
    }
}

/// Text for a PAGE_* protection, with modifiers (`PAGE_READWRITE | PAGE_GUARD`).
pub fn protect_name(p: u32) -> String {
    if p == 0 {
        return "<none>".into();
    }
    let base = match p & 0xff {
        0x01 => "PAGE_NOACCESS",
        0x02 => "PAGE_READONLY",
        0x04 => "PAGE_READWRITE",
        0x08 => "PAGE_WRITECOPY",
        0x10 => "PAGE_EXECUTE",
        0x20 => "PAGE_EXECUTE_READ",
        0x40 => "PAGE_EXECUTE_READWRITE",
        0x80 => "PAGE_EXECUTE_WRITECOPY",
        _ => "",
    };
    let mut parts: Vec<String> = Vec::new();
    if !base.is_empty() {
        parts.push(base.into());
    } else if p & 0xff != 0 {
        parts.push(format!("0x{:x}", p & 0xff));
    }
    if p & 0x100 != 0 {
        parts.push("PAGE_GUARD".into());
    }
    if p & 0x200 != 0 {
        parts.push("PAGE_NOCACHE".into());
    }
    if p & 0x400 != 0 {
        parts.push("PAGE_WRITECOMBINE".into());
    }
    parts.join(" | ")
}

/// Page size used for TEB/PEB usage.
fn teb_size(arch: Arch) -> u64 {
    if arch == Arch::X86 {
        0x1000
    } else {
        0x2000
    }
}

/// Gathers the `!address` facts for `addr`.
pub fn address_facts(snap: &Snapshot<'_>, addr: u64) -> AddressFacts {
    let region = snap.region_at(addr);
    let mut f = AddressFacts {
        address: addr,
        base: region.map(|r| r.base),
        size: region.map(|r| r.size),
        allocation_base: region.map(|r| r.allocation_base),
        allocation_protect: region.map(|r| r.allocation_protect),
        state: region.map(|r| state_name(r.state)),
        protect: region.map(|r| protect_name(r.protect)),
        kind: region.map(|r| kind_name(r.kind)),
        state_value: region.map(|r| r.state),
        protect_value: region.map(|r| r.protect),
        kind_value: region.map(|r| r.kind),
        usage: "Unknown".into(),
        usage_detail: None,
        captured: snap.memory.contains(addr),
    };
    if let Some(m) = snap.module_at(addr) {
        f.usage = "Image".into();
        f.usage_detail = Some(m.name.clone());
        if region.is_none() {
            f.base = Some(m.base);
            f.size = Some(m.size);
        }
        return f;
    }
    if region.is_some_and(|r| r.state == MEM_FREE) {
        f.usage = "Free".into();
        return f;
    }
    let alloc = region.map(|r| r.allocation_base);
    for t in &snap.threads {
        if let Some(teb) = t.teb {
            if addr >= teb && addr < teb.saturating_add(teb_size(snap.system.arch)) {
                f.usage = "TEB".into();
                f.usage_detail = Some(format!("thread {} (id 0x{:x})", t.index, t.id));
                return f;
            }
        }
        // A stack's reservation shares its allocation base with the captured stack range.
        let same_alloc = alloc.is_some_and(|a| {
            snap.region_at(t.stack_start.max(1))
                .is_some_and(|r| r.allocation_base == a)
        });
        if t.stack_contains(addr) || same_alloc {
            f.usage = "Stack".into();
            f.usage_detail = Some(format!("thread {} (id 0x{:x})", t.index, t.id));
            return f;
        }
    }
    if let Some(peb) = snap.process.peb {
        if addr >= peb && addr < peb.saturating_add(0x1000) {
            f.usage = "PEB".into();
            return f;
        }
    }
    if let (Some(heaps), Some(a)) = (&snap.process.heaps, alloc) {
        if let Some(h) = heaps.iter().find(|h| **h == a) {
            f.usage = "Heap".into();
            f.usage_detail = Some(format!("heap {}", crate::fmt_addr(*h, snap.ptr_size())));
            return f;
        }
    }
    if region.is_none() && snap.regions.is_empty() {
        f.usage = "Unknown".into();
        f.usage_detail = Some("the dump has no memory region list".into());
    }
    f
}
