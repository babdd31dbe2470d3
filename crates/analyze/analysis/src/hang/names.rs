//! The one table of the functions and modules that say what a thread is doing, from Windows XP
//! to Windows 11 and Wine (`docs/wine-hangs.md`). Data, not code: [`state`](super::state) reads
//! it. Names are compared after [`normal`] (the `Zw` alias of a system call is its `Nt` name).

use super::ThreadState;

/// Functions that enter a critical section: a wait below one of these is a lock wait, and the
/// section's address is this frame's first argument.
pub const CS_ENTER: &[&str] = &[
    "RtlEnterCriticalSection",
    "EnterCriticalSection",
    "RtlpEnterCriticalSectionContended",
    "RtlpWaitForCriticalSection",
    "RtlpWaitOnCriticalSection",
    "RtlpNotOwnerCriticalSection",
];

/// What a thread's top system frames say about its state: the first rule of [`RULES`] that
/// any of them matches decides (see [`state`](super::state)).
pub enum Rule {
    /// A frame's function is one of these.
    Functions(ThreadState, &'static [&'static str]),
    /// A frame's module (without extension, any case) is one of these.
    Modules(ThreadState, &'static [&'static str]),
}

/// The rules in order: the specific waits (a section, the loader, RPC and I/O calls, RPC and
/// network modules) before the generic ones every wait ends in (kernel objects, sleep).
pub const RULES: &[Rule] = &[
    Rule::Functions(ThreadState::WaitingLock, CS_ENTER),
    Rule::Functions(ThreadState::Loader, LOADER),
    Rule::Functions(ThreadState::Rpc, RPC_CALLS),
    Rule::Functions(ThreadState::Io, IO_CALLS),
    Rule::Modules(ThreadState::Rpc, RPC_MODULES),
    Rule::Modules(ThreadState::Io, IO_MODULES),
    Rule::Functions(ThreadState::WaitingObject, OBJECT_WAITS),
    Rule::Functions(ThreadState::Sleeping, SLEEPS),
];

/// The loader: loading a DLL, initialising the process or a thread, draining its work queue.
pub const LOADER: &[&str] = &[
    "LdrpLoadDll",
    "LdrLoadDll",
    "LdrpInitializeProcess",
    "LdrpInitializeThread",
    "LdrpDrainWorkQueue",
    "LdrpWaitForInitializationEvent",
    "LdrpFindOrMapDll",
    "LdrpLoadDependentModule",
    "LdrUnloadDll",
    "LdrShutdownThread",
    "LdrShutdownProcess",
];

/// RPC and COM calls (client stubs, modal waits).
pub const RPC_CALLS: &[&str] = &[
    "NdrClientCall",
    "NdrClientCall2",
    "NdrClientCall3",
    "NdrClientCall4",
    "Ndr64AsyncClientCall",
    "NdrAsyncClientCall",
    "I_RpcSendReceive",
    "I_RpcReceive",
    "I_RpcSend",
    "CoWaitForMultipleHandles",
    "CoWaitForMultipleObjects",
    "ObjectStublessClient",
    "NdrProxySendReceive",
];

/// File, device and socket I/O calls.
pub const IO_CALLS: &[&str] = &[
    "NtReadFile",
    "NtWriteFile",
    "NtDeviceIoControlFile",
    "NtFsControlFile",
    "ReadFile",
    "WriteFile",
    "DeviceIoControl",
    "recv",
    "recvfrom",
    "send",
    "sendto",
    "select",
    "connect",
    "accept",
    "WSARecv",
    "WSASend",
    "WSARecvFrom",
    "WSAConnect",
    "WSAAccept",
    "WSPRecv",
    "WSPSend",
    "WSPSelect",
    "WSPConnect",
];

/// Waits on kernel objects (and the waits every other wait ends in).
pub const OBJECT_WAITS: &[&str] = &[
    "NtWaitForSingleObject",
    "NtWaitForMultipleObjects",
    // An idle thread-pool thread waits on its completion port, not on I/O.
    "NtRemoveIoCompletion",
    "NtRemoveIoCompletionEx",
    "GetQueuedCompletionStatus",
    "GetQueuedCompletionStatusEx",
    "NtWaitForMultipleObjects32",
    "NtSignalAndWaitForSingleObject",
    "NtWaitForKeyedEvent",
    "WaitForSingleObject",
    "WaitForSingleObjectEx",
    "WaitForMultipleObjects",
    "WaitForMultipleObjectsEx",
    "SignalObjectAndWait",
    "MsgWaitForMultipleObjects",
    "MsgWaitForMultipleObjectsEx",
    "NtUserMsgWaitForMultipleObjectsEx",
    "RtlSleepConditionVariableCS",
    "RtlSleepConditionVariableSRW",
    "SleepConditionVariableCS",
    "SleepConditionVariableSRW",
    "RtlAcquireSRWLockExclusive",
    "RtlAcquireSRWLockShared",
    "NtWaitForAlertByThreadId",
    "RtlWaitOnAddress",
    "WaitOnAddress",
];

/// Sleeping.
pub const SLEEPS: &[&str] = &["NtDelayExecution", "Sleep", "SleepEx"];

/// RPC/COM modules.
pub const RPC_MODULES: &[&str] = &["rpcrt4", "ole32", "combase", "ole32_rpc"];

/// Network, HTTP and database client modules.
pub const IO_MODULES: &[&str] = &[
    "ws2_32",
    "mswsock",
    "afd",
    "wsock32",
    "winhttp",
    "wininet",
    "webio",
    "sqlncli",
    "sqlncli10",
    "sqlncli11",
    "msoledbsql",
    "sqloledb",
    "dbnetlib",
    "dbnmpntw",
    "odbc32",
    "sqlsrv32",
    "oci",
    "libpq",
];

/// Functions that wait on kernel objects and take the handles as arguments: `(name, count
/// argument, handles argument)` (`None` count: one handle, passed by value).
pub const HANDLE_WAITS: &[(&str, Option<usize>, usize)] = &[
    ("NtWaitForSingleObject", None, 0),
    ("WaitForSingleObject", None, 0),
    ("WaitForSingleObjectEx", None, 0),
    ("NtWaitForMultipleObjects", Some(0), 1),
    ("WaitForMultipleObjects", Some(0), 1),
    ("WaitForMultipleObjectsEx", Some(0), 1),
];

/// The loader's DllMain callers: the non-system frame just above one of these runs a DllMain.
pub const DLL_INIT: &[&str] = &[
    "LdrpCallInitRoutine",
    "LdrpInitializeThread",
    "LdrpInitializeProcess",
    "LdrpRunInitializeRoutines",
    "LdrpCallTlsInitializers",
    "MODULE_InitDLL",
    "process_attach",
    "LdrInitializeThunk",
    "LdrLoadDll",
];

/// Object types a thread can wait on (HandleData `TypeName`).
pub const WAITABLE_TYPES: &[&str] = &[
    "Event",
    "Mutant",
    "Semaphore",
    "Thread",
    "Process",
    "Timer",
    "IoCompletion",
    "File",
    "KeyedEvent",
    "Job",
];

/// Modules of IIS request processing: a thread with one in its stack serves a request.
pub const IIS_REQUEST_MODULES: &[&str] = &[
    "w3core",
    "w3isapi",
    "iiscore",
    "asp",
    "aspnet_isapi",
    "webengine",
    "webengine4",
    "w3dt",
];

/// A function name as the tables spell it: `ZwWaitForSingleObject` → `NtWaitForSingleObject`,
/// a leading `_` and a `@N` stdcall suffix dropped.
pub fn normal(name: &str) -> &str {
    let n = name.trim_start_matches('_');
    let n = n.split('@').next().unwrap_or(n);
    n
}

/// Whether `name` is `table_name` (a `Zw` alias counts as its `Nt` name).
pub fn same(name: &str, table_name: &str) -> bool {
    let n = normal(name);
    n == table_name
        || (n.starts_with("Zw") && table_name.starts_with("Nt") && n[2..] == table_name[2..])
}

/// Whether `name` is in `table`.
pub fn in_table(name: &str, table: &[&str]) -> bool {
    table.iter().any(|t| same(name, t))
}

/// A module's name without extension, lowercase.
pub fn module_stem(name: &str) -> String {
    let n = name.rsplit(['\\', '/']).next().unwrap_or(name);
    n.rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(n)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zw_aliases_and_decorations_match() {
        assert!(same("ZwWaitForAlertByThreadId", "NtWaitForAlertByThreadId"));
        assert!(same("_NtDelayExecution@8", "NtDelayExecution"));
        assert!(!same("ZwClose", "NtDelayExecution"));
        assert_eq!(module_stem("C:\\x\\WS2_32.dll"), "ws2_32");
    }
}
