//! RTL_CRITICAL_SECTION and its debug record, read from dump memory and decoded in either
//! encoding of `LockCount`.

use coroner_model::layout::Layout;
use coroner_model::AddressSpace;
use serde::Serialize;

/// How `LockCount` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// NT 4 to Windows Server 2003 before SP1, and Wine: -1 free, 0 owned, N = N waiters.
    CountingUp,
    /// Windows Server 2003 SP1 and later: -1 free; bit 0 clear = locked, bit 1 clear = a waiter
    /// was woken, `(-1 - LockCount) >> 2` waiters.
    InvertedBit,
}

impl Encoding {
    /// The stable name (`counting_up`, `inverted_bit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::CountingUp => "counting_up",
            Encoding::InvertedBit => "inverted_bit",
        }
    }
}

/// The raw fields of a critical section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RawCritSec {
    /// `DebugInfo` (all ones: none).
    pub debug_info: u64,
    pub lock_count: i32,
    pub recursion_count: i32,
    pub owning_thread: u64,
    pub lock_semaphore: u64,
    pub spin_count: u64,
}

/// The fields of a debug record that `!locks -v` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RawDebug {
    /// `CriticalSection`: the section it describes.
    pub critical_section: u64,
    /// `ProcessLocksList.Flink`.
    pub flink: u64,
    pub entry_count: u32,
    pub contention_count: u32,
}

/// A section's state, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Decoded {
    pub locked: bool,
    /// Threads waiting (as the encoding counts them).
    pub waiters: u32,
    /// Inverted-bit encoding: a waiter was woken and not yet run (`WaiterWoken`).
    pub waiter_woken: bool,
}

/// Decodes `LockCount` in `encoding`.
pub fn decode(lock_count: i32, encoding: Encoding) -> Decoded {
    match encoding {
        Encoding::CountingUp => Decoded {
            locked: lock_count >= 0,
            waiters: lock_count.max(0) as u32,
            waiter_woken: false,
        },
        Encoding::InvertedBit => Decoded {
            locked: lock_count & 1 == 0,
            waiters: ((-1i64 - i64::from(lock_count)) >> 2).max(0) as u32,
            waiter_woken: lock_count & 2 == 0,
        },
    }
}

/// The all-ones `DebugInfo` of a section made without debug information.
pub fn no_debug_info(debug_info: u64, ptr: u8) -> bool {
    debug_info == if ptr == 4 { 0xffff_ffff } else { u64::MAX }
}

/// Reads the section at `at` (`None`: not in the dump).
pub fn read(mem: &AddressSpace<'_>, l: &Layout, at: u64) -> Option<RawCritSec> {
    let bytes = mem.read(at, l.cs.size as usize)?;
    Some(parse(&bytes, l))
}

/// The fields from the bytes of a section.
pub fn parse(b: &[u8], l: &Layout) -> RawCritSec {
    let u32_at = |o: u64| {
        b.get(o as usize..o as usize + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
            .unwrap_or(0)
    };
    let ptr_at = |o: u64| {
        if l.ptr == 4 {
            u64::from(u32_at(o))
        } else {
            u64::from(u32_at(o)) | u64::from(u32_at(o + 4)) << 32
        }
    };
    RawCritSec {
        debug_info: ptr_at(l.cs.debug_info),
        lock_count: u32_at(l.cs.lock_count) as i32,
        recursion_count: u32_at(l.cs.recursion_count) as i32,
        owning_thread: ptr_at(l.cs.owning_thread),
        lock_semaphore: ptr_at(l.cs.lock_semaphore),
        spin_count: ptr_at(l.cs.spin_count),
    }
}

/// Reads the debug record at `at`.
pub fn read_debug(mem: &AddressSpace<'_>, l: &Layout, at: u64) -> Option<RawDebug> {
    let d = &l.cs_debug;
    Some(RawDebug {
        critical_section: mem.read_ptr(at.wrapping_add(d.critical_section), l.ptr)?,
        flink: mem.read_ptr(at.wrapping_add(d.process_locks_list), l.ptr)?,
        entry_count: mem.read_u32(at.wrapping_add(d.entry_count)).unwrap_or(0),
        contention_count: mem
            .read_u32(at.wrapping_add(d.contention_count))
            .unwrap_or(0),
    })
}

/// Whether `at` holds a critical section whose debug record points back at it (the test that
/// tells a section from any pointer-sized value). Sections without debug info pass only when
/// `no_debug_ok`.
pub fn is_section(mem: &AddressSpace<'_>, l: &Layout, at: u64, no_debug_ok: bool) -> bool {
    if at == 0 || !at.is_multiple_of(4) {
        return false;
    }
    let Some(di) = mem.read_ptr(at, l.ptr) else {
        return false;
    };
    if no_debug_info(di, l.ptr) {
        return no_debug_ok && mem.read(at, l.cs.size as usize).is_some();
    }
    di != 0
        && mem.read_ptr(di.wrapping_add(l.cs_debug.critical_section), l.ptr) == Some(at)
        && mem.read(at, l.cs.size as usize).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use coroner_model::{layout, Arch, MemoryRange};

    fn cs_bytes(l: &Layout, di: u64, lock: i32, rec: i32, owner: u64) -> Vec<u8> {
        let mut b = vec![0u8; l.cs.size as usize];
        let p = l.ptr as usize;
        b[..p].copy_from_slice(&di.to_le_bytes()[..p]);
        let lc = l.cs.lock_count as usize;
        b[lc..lc + 4].copy_from_slice(&lock.to_le_bytes());
        let rc = l.cs.recursion_count as usize;
        b[rc..rc + 4].copy_from_slice(&rec.to_le_bytes());
        let ot = l.cs.owning_thread as usize;
        b[ot..ot + p].copy_from_slice(&owner.to_le_bytes()[..p]);
        b
    }

    #[test]
    fn counting_up_encoding_of_xp_2003_and_wine() {
        let l = layout::for_arch(Arch::X86).unwrap();
        let raw = parse(&cs_bytes(l, 0x1451f0, 20, 1, 0x128), l);
        assert_eq!(raw.lock_count, 20);
        assert_eq!(raw.owning_thread, 0x128);
        assert_eq!(raw.debug_info, 0x1451f0);
        let d = decode(raw.lock_count, Encoding::CountingUp);
        assert!(d.locked);
        assert_eq!(d.waiters, 20);
        assert!(!decode(-1, Encoding::CountingUp).locked);
        let owned = decode(0, Encoding::CountingUp);
        assert!(owned.locked && owned.waiters == 0);
    }

    #[test]
    fn inverted_bit_encoding_of_vista_and_later() {
        let l = layout::for_arch(Arch::Amd64).unwrap();
        // Owned, no waiters: -2.
        let raw = parse(&cs_bytes(l, u64::MAX, -2, 1, 0x1b0), l);
        assert!(no_debug_info(raw.debug_info, 8));
        let d = decode(raw.lock_count, Encoding::InvertedBit);
        assert!(d.locked && d.waiters == 0 && !d.waiter_woken);
        // Locked (bit 0 clear), no waiter woken (bit 1 set), three waiters: -14.
        let d = decode(-14, Encoding::InvertedBit);
        assert!(d.locked);
        assert_eq!(d.waiters, 3);
        assert!(!d.waiter_woken);
        // Free.
        let d = decode(-1, Encoding::InvertedBit);
        assert!(!d.locked && d.waiters == 0);
        // A woken waiter: bit 1 clear.
        assert!(decode(-4, Encoding::InvertedBit).waiter_woken);
    }

    #[test]
    fn a_section_is_recognised_by_its_debug_record_pointing_back() {
        let l = layout::for_arch(Arch::X86).unwrap();
        let mut m = vec![0u8; 0x100];
        m[..0x18].copy_from_slice(&cs_bytes(l, 0x1080, 0, 1, 4));
        // Debug record at 0x1080: CriticalSection at +4 = 0x1000.
        m[0x84..0x88].copy_from_slice(&0x1000u32.to_le_bytes());
        let mem = AddressSpace::new(vec![MemoryRange {
            base: 0x1000,
            bytes: &m,
        }]);
        assert!(is_section(&mem, l, 0x1000, false));
        assert!(!is_section(&mem, l, 0x1004, false));
        // DebugInfo -1: only when allowed.
        let mut m2 = m.clone();
        m2[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let mem = AddressSpace::new(vec![MemoryRange {
            base: 0x1000,
            bytes: &m2,
        }]);
        assert!(!is_section(&mem, l, 0x1000, false));
        assert!(is_section(&mem, l, 0x1000, true));
    }
}
