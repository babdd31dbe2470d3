//! A thread's state from its stack: the top system frames (those above the first frame of
//! application code) matched against the tables of [`names`](super::names).

use super::names::{self, Rule, RULES};
use super::ThreadState;
use crate::FrameFacts;

/// The top frames examined: a wait is never deeper than this below the application's call.
pub const TOP_FRAMES: usize = 24;

/// The system frames at the top of a stack (up to the first non-system frame, at most
/// [`TOP_FRAMES`]).
pub fn top_system(frames: &[FrameFacts]) -> &[FrameFacts] {
    let n = frames
        .iter()
        .take(TOP_FRAMES)
        .position(|f| !f.system || f.symbol.module_index.is_none())
        .unwrap_or(frames.len().min(TOP_FRAMES));
    &frames[..n]
}

/// The function name of a frame, when it has one.
pub fn function(f: &FrameFacts) -> Option<&str> {
    f.symbol.function.as_deref()
}

/// The state of a thread with these frames, and the frame that decided it.
pub fn classify(frames: &[FrameFacts]) -> (ThreadState, Option<usize>) {
    let Some(first) = frames.first() else {
        return (ThreadState::Unknown, None);
    };
    let top = top_system(frames);
    for rule in RULES {
        if let Some((state, f)) = top.iter().find_map(|f| matches(rule, f).map(|s| (s, f))) {
            return (state, Some(f.index));
        }
    }
    // Application code at the top, or system code that is not a wait: on the CPU.
    if !first.system && first.symbol.module_index.is_some() {
        return (ThreadState::Running, Some(0));
    }
    match function(first) {
        Some(n) if is_system_call(n) => (ThreadState::Unknown, Some(0)),
        Some(_) => (ThreadState::Running, Some(0)),
        None => (ThreadState::Unknown, None),
    }
}

/// The state `rule` gives frame `f`, if it matches.
fn matches(rule: &Rule, f: &FrameFacts) -> Option<ThreadState> {
    match rule {
        Rule::Functions(state, table) => function(f)
            .is_some_and(|n| names::in_table(n, table))
            .then_some(*state),
        Rule::Modules(state, table) => f
            .symbol
            .module
            .as_deref()
            .is_some_and(|m| table.contains(&names::module_stem(m).as_str()))
            .then_some(*state),
    }
}

/// A system-call stub not in the tables (`NtQueryInformationFile`…): its state is not known.
fn is_system_call(name: &str) -> bool {
    let n = names::normal(name);
    n.starts_with("Nt") || n.starts_with("Zw")
}

/// The first non-system frame (the frame to blame).
pub fn first_app_frame(frames: &[FrameFacts]) -> Option<&FrameFacts> {
    frames
        .iter()
        .find(|f| !f.system && f.symbol.module_index.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbols::{Symbol, SymbolSource};
    use coroner_unwind::Trust;

    /// Frames from `module!function` names, top first; modules ending in `*` are application
    /// code, the others system code.
    fn frames(names: &[&str]) -> Vec<FrameFacts> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (m, f) = n.split_once('!').unwrap_or((n, ""));
                let app = m.ends_with('*');
                let m = m.trim_end_matches('*');
                FrameFacts {
                    index: i,
                    address: 0x1000 + i as u64,
                    sp: 0x100 + 8 * i as u64,
                    fp: 0,
                    return_address: None,
                    args: [None; 4],
                    symbol: Symbol {
                        module_index: Some(usize::from(app)),
                        module: Some(format!("{m}.dll")),
                        function: (!f.is_empty()).then(|| f.to_string()),
                        function_signature: None,
                        function_offset: 0x10,
                        module_offset: 0x1010,
                        source: SymbolSource::Export,
                        unreliable: false,
                        unloaded_module: None,
                        file: None,
                        line: None,
                        inlines: vec![],
                        unverified: false,
                    },
                    display: n.to_string(),
                    trust: Trust::Cfi,
                    system: !app,
                    dispatcher: false,
                }
            })
            .collect()
    }

    fn state(names: &[&str]) -> ThreadState {
        classify(&frames(names)).0
    }

    #[test]
    fn windows_critical_section_waits_xp_to_11() {
        // Windows 10/11.
        let w10 = [
            "ntdll!NtWaitForAlertByThreadId",
            "ntdll!RtlpWaitOnAddressWithTimeout",
            "ntdll!RtlpWaitOnAddress",
            "ntdll!RtlpWaitOnCriticalSection",
            "ntdll!RtlpEnterCriticalSectionContended",
            "ntdll!RtlEnterCriticalSection",
            "app*!Work",
        ];
        assert_eq!(state(&w10), ThreadState::WaitingLock);
        // Windows 7: a keyed event; XP/2003: the section's semaphore.
        let w7 = [
            "ntdll!ZwWaitForKeyedEvent",
            "ntdll!RtlpWaitOnCriticalSection",
            "ntdll!RtlEnterCriticalSection",
            "app*!Work",
        ];
        assert_eq!(state(&w7), ThreadState::WaitingLock);
        let xp = [
            "ntdll!KiFastSystemCallRet",
            "ntdll!ZwWaitForSingleObject",
            "ntdll!RtlpWaitForCriticalSection",
            "ntdll!RtlEnterCriticalSection",
            "app*!Work",
        ];
        assert_eq!(state(&xp), ThreadState::WaitingLock);
    }

    #[test]
    fn object_waits_sleeps_io_rpc_loader_and_running() {
        let cases: &[(&[&str], ThreadState)] = &[
            (
                &[
                    "ntdll!ZwWaitForSingleObject",
                    "kernelbase!WaitForSingleObjectEx",
                    "app*!Work",
                ],
                ThreadState::WaitingObject,
            ),
            (
                &[
                    "ntdll!NtWaitForMultipleObjects",
                    "kernelbase!WaitForMultipleObjectsEx",
                    "app*!Work",
                ],
                ThreadState::WaitingObject,
            ),
            (
                &["ntdll!NtDelayExecution", "kernelbase!SleepEx", "app*!Work"],
                ThreadState::Sleeping,
            ),
            (
                &[
                    "ntdll!NtWaitForSingleObject",
                    "mswsock!WSPRecv",
                    "ws2_32!recv",
                    "app*!Query",
                ],
                ThreadState::Io,
            ),
            (
                &[
                    "ntdll!NtWaitForSingleObject",
                    "winhttp!WinHttpReceiveResponse",
                    "app*!Fetch",
                ],
                ThreadState::Io,
            ),
            (
                &["ntdll!NtReadFile", "kernelbase!ReadFile", "app*!Load"],
                ThreadState::Io,
            ),
            (
                &[
                    "ntdll!NtAlpcSendWaitReceivePort",
                    "rpcrt4!LRPC_CCALL::SendReceive",
                    "rpcrt4!NdrClientCall2",
                    "app*!Call",
                ],
                ThreadState::Rpc,
            ),
            (
                &[
                    "ntdll!NtWaitForMultipleObjects",
                    "combase!CoWaitForMultipleHandles",
                    "app*!Call",
                ],
                ThreadState::Rpc,
            ),
            (
                &[
                    "ntdll!NtWaitForSingleObject",
                    "ntdll!LdrpDrainWorkQueue",
                    "ntdll!LdrpLoadDll",
                    "ntdll!LdrLoadDll",
                    "app*!Plugin",
                ],
                ThreadState::Loader,
            ),
            // An idle thread-pool thread waits on its completion port: not I/O.
            (
                &[
                    "ntdll!NtRemoveIoCompletion",
                    "kernelbase!GetQueuedCompletionStatus",
                    "app*!Pool",
                ],
                ThreadState::WaitingObject,
            ),
            (&["app*!Spin", "app*!Work"], ThreadState::Running),
            (
                &["ntdll!NtQueryInformationFile", "app*!Work"],
                ThreadState::Unknown,
            ),
            (&[], ThreadState::Unknown),
        ];
        for (names, want) in cases {
            assert_eq!(state(names), *want, "{names:?}");
        }
    }

    #[test]
    fn the_state_frame_and_the_first_application_frame() {
        let f = frames(&[
            "ntdll!NtDelayExecution",
            "kernelbase!Sleep",
            "cohosync*!Wait",
            "app*!Main",
        ]);
        assert_eq!(classify(&f).1, Some(0));
        assert_eq!(
            first_app_frame(&f).map(|f| f.display.as_str()),
            Some("cohosync*!Wait")
        );
        assert_eq!(top_system(&f).len(), 2);
    }
}
