//! The warnings of an analysis (the loader's and the analyses'), from their typed facts. The
//! JSON's `warnings` carry the English ([`Lang::En`]).

use super::{stream_loss, Lang};
use coroner_analysis::Warning;
use coroner_model::{ListKind, Warning as Load};

/// Warning `w` in words.
pub fn warning(w: &Warning, l: Lang) -> String {
    match w {
        Warning::Load(w) => load(w, l),
        Warning::NoContext => l
            .pick(
                "no register context for the faulting thread: stack not walked",
                "오류 스레드의 레지스터 컨텍스트가 없어 호출 스택을 따라가지 못했습니다",
            )
            .into(),
        Warning::NoSymbolFile { module, looked_in } => {
            let places = looked_in.join("; ");
            match (looked_in.is_empty(), l) {
                (true, _) => l.pick(
                    format!("no symbol file for {module}"),
                    format!("{module}의 기호 파일이 없습니다"),
                ),
                (false, Lang::En) => format!("no symbol file for {module}; looked in: {places}"),
                (false, Lang::Ko) => {
                    format!("{module}의 기호 파일이 없습니다. 찾아본 위치: {places}")
                }
            }
        }
        &Warning::HangThreads { threads, max } => l.pick(
            format!("hang analysis: {threads} threads; the stacks of the first {max} were walked, the others' state is unknown"),
            format!("중단 분석: 스레드 {threads}개 중 처음 {max}개의 호출 스택만 따라갔으며 나머지 스레드의 상태는 알 수 없습니다"),
        ),
        &Warning::HangLocks { found, max } => l.pick(
            format!("hang analysis: {found} critical sections found; only the first {max} are examined"),
            format!("중단 분석: 임계 영역 {found}개를 찾았으며 처음 {max}개만 검사했습니다"),
        ),
        &Warning::LocksListLong { max } => l.pick(
            format!("hang analysis: ProcessLocksList longer than {max} entries: the walk stopped there"),
            format!("중단 분석: ProcessLocksList가 항목 {max}개보다 길어 거기서 멈췄습니다"),
        ),
        &Warning::LocksListLoop { at, max } => l.pick(
            format!("hang analysis: ProcessLocksList loops at 0x{at:x} without returning to its start: the walk stopped there (limit {max} entries)"),
            format!("중단 분석: ProcessLocksList가 시작점으로 돌아오지 않고 0x{at:x}에서 순환하므로 거기서 멈췄습니다(한도 항목 {max}개)"),
        ),
        &Warning::ScanBudget { bytes } => l.pick(
            format!("hang analysis: module data scanned for critical sections up to {bytes} bytes; the rest was not"),
            format!("중단 분석: 임계 영역을 찾으려고 모듈 데이터를 {bytes}바이트까지만 검사했습니다. 나머지는 검사하지 않았습니다"),
        ),
    }
}

/// A loader warning in words.
fn load(w: &Load, l: Lang) -> String {
    match w {
        &Load::CutShort {
            present,
            needed,
            at_least,
        } => {
            let least = match (at_least, l) {
                (false, _) => "",
                (true, Lang::En) => "at least ",
                (true, Lang::Ko) => "최소 ",
            };
            l.pick(
                format!("the dump is cut short: the file has {present} bytes, its stream directory needs {least}{needed}"),
                format!("덤프가 잘렸습니다. 파일은 {present}바이트인데 스트림 디렉터리에는 {least}{needed}바이트가 필요합니다"),
            )
        }
        Load::StreamLost(s) => stream_loss(s, true, l),
        Load::StreamIncomplete(s) => stream_loss(s, false, l),
        &Load::ListCut { list, count, max } => {
            let what = list_name(list, l);
            l.pick(
                format!("{what}: {count} entries, only the first {max} were read (limit; raise with --max-list)"),
                format!("{what}: 항목 {count}개 중 처음 {max}개만 읽었습니다(한도, --max-list로 늘릴 수 있음)"),
            )
        }
        Load::NoThreadList => l
            .pick("no ThreadList stream", "ThreadList 스트림 없음")
            .into(),
        Load::NoModuleList => l
            .pick("no ModuleList stream", "ModuleList 스트림 없음")
            .into(),
        Load::SystemInfoLost => l
            .pick(
                "OS and CPU unknown: the SystemInfo stream was lost",
                "SystemInfo 스트림이 손실되어 OS와 CPU를 알 수 없습니다",
            )
            .into(),
        Load::NoSystemInfo => l
            .pick(
                "no SystemInfo stream: OS and CPU unknown",
                "SystemInfo 스트림이 없어 OS와 CPU를 알 수 없습니다",
            )
            .into(),
        Load::NoProcessHeaps => l
            .pick(
                "PEB lists no process heaps; heap list treated as unknown",
                "PEB에 프로세스 힙 목록이 비어 있으므로 힙 목록을 알 수 없는 것으로 처리했습니다",
            )
            .into(),
        &Load::ImplausibleHeapCount(n) => l.pick(
            format!("PEB NumberOfHeaps is implausible ({n}); heap list ignored"),
            format!("PEB의 NumberOfHeaps 값({n})이 비정상이므로 힙 목록을 무시했습니다"),
        ),
    }
}

fn list_name(k: ListKind, l: Lang) -> &'static str {
    match k {
        ListKind::Memory => l.pick("memory list", "메모리 목록"),
        ListKind::Thread => l.pick("thread list", "스레드 목록"),
        ListKind::Module => l.pick("module list", "모듈 목록"),
        ListKind::UnloadedModule => l.pick("unloaded module list", "언로드된 모듈 목록"),
        ListKind::MemoryInfo => l.pick("memory info list", "메모리 정보 목록"),
        ListKind::LinuxMaps => l.pick("Linux maps", "Linux maps 목록"),
    }
}
