//! # coroner-synth
//!
//! Writes synthetic but realistic Windows minidumps for coroner's tests and
//! benchmarks:
//!
//! * [`ReferenceCase`]: the IIS 6 / Windows Server 2003 SP1 x86 incident where
//!   `w3wp.exe` dies in `ntdll!RtlAllocateHeap+0x24` on a destroyed heap, called
//!   by the third-party `ABCUpload4.dll`, whose own SEH handler re-faults on
//!   the same heap (nested `KiUserExceptionDispatcher` frames).
//! * [`reference_set`]: five variants of that bug plus one different crash
//!   ([`NullWriteCase`], a NULL write in `ContosoImage.dll`).
//! * [`write_big`]: an x64 full-memory style dump of arbitrary size, written
//!   sparsely and fast.
//! * [`hang::HangCase`]: a hung `w3wp.exe` whose request threads wait on one critical
//!   section owned by a thread in a vendor DLL waiting on a socket, in the Windows XP/2003
//!   pre-SP1, Server 2003 SP1 and Windows 10 x64 encodings, with its ground truth.
//! * [`heaps::HeapScenario`]: full-memory dumps of Windows heap layouts Wine lacks (Server 2003
//!   x86 and Windows 10 x64 NT heaps, a segment heap, a page heap), with their ground truth.
//! * [`normal_minidump_of`]: the MiniDumpNormal sibling of any richer dump of the
//!   same crash (threads, stacks, modules, exception; no memory-info list, no
//!   image or heap memory).
//!
//! See the crate README for the exact layout.

mod bytes;
mod dump;
pub mod error;
pub mod hang;
pub mod heaps;
mod mem;
mod modules;
mod normal;
mod pe;
mod process;
mod reference;
mod space;
mod x86;

pub mod big;

pub use big::{write_big, BigInfo};
pub use error::{Result, SynthError};
pub use normal::{normal_minidump_of, IP_WINDOW};
pub use reference::{
    reference_set, reference_variants, FrameKind, Generated, NullWriteCase, ReferenceCase,
    SetEntry, ThreadTruth, Truth, TruthFrame, CONTOSO_THREAD_INDEX, INCIDENT_TIME,
    REFERENCE_THREAD_INDEX,
};

/// Well-known addresses of the synthetic x86 process.
pub mod layout {
    pub use crate::process::{
        ABC_HEAP_GLOBAL_RVA, ENVIRONMENT, GROWN_HEAP, GROWN_HEAP_MAX, HEAPS, MAIN_STACK, PEB,
        PROCESS_HEAPS_RVA, PROCESS_PARAMETERS, SHARED_USER_DATA, STACK_RESERVE, TEB0, THREAD_COUNT,
        THREAD_STACKS,
    };
}
