//! What a damaged dump lost, stream by stream, from the loader's typed causes: the one place a
//! loss is worded, for the reports (text, Markdown, HTML, the shell, investigate) and the JSON
//! (`damage.details`, `warnings`, in English).

use super::Lang;
use coroner_model::{LossCause, StreamLoss};

/// `ExceptionStream lost: why` (`lost`: not read at all; else read in part).
pub fn stream_loss(s: &StreamLoss, lost: bool, l: Lang) -> String {
    let what = match lost {
        true => l.pick("lost", "손실"),
        false => l.pick("incomplete", "불완전"),
    };
    format!("{} {what}: {}", s.stream, loss_cause(&s.cause, l))
}

/// Why a stream was lost or read in part, with its byte counts and file offsets; a parser's
/// own error text is quoted as it gives it.
pub fn loss_cause(c: &LossCause, l: Lang) -> String {
    match *c {
        LossCause::PastEnd { size, rva, end } => l.pick(
            format!("its {size} bytes at {rva:#x}–{end:#x} lie past the end of the file"),
            format!("오프셋 {rva:#x}–{end:#x}의 {size}바이트가 모두 파일 끝을 벗어나 있습니다"),
        ),
        LossCause::CutOff { size, rva, end, file_len } => l.pick(
            format!("its {size} bytes at {rva:#x}–{end:#x} are cut off by the end of the file at {file_len:#x}"),
            format!("오프셋 {rva:#x}–{end:#x}의 {size}바이트가 파일 끝({file_len:#x})에서 잘려 있습니다"),
        ),
        LossCause::Zeroed { size, rva } => l.pick(
            format!("its {size} bytes at {rva:#x} are all zero"),
            format!("오프셋 {rva:#x}의 {size}바이트가 모두 0입니다"),
        ),
        LossCause::SizeMismatch { expected, found } => l.pick(
            format!("unreadable (Stream size mismatch: expected {expected} bytes, found {found} bytes)"),
            format!("읽을 수 없습니다(스트림 크기 불일치: {expected}바이트가 필요한데 {found}바이트입니다)"),
        ),
        LossCause::UnsupportedVersion => l
            .pick(
                "unreadable (unsupported minidump version)",
                "읽을 수 없습니다(지원하지 않는 스트림 버전)",
            )
            .into(),
        LossCause::Unparsable { ref error } => l.pick(
            format!("unreadable ({error})"),
            format!("읽을 수 없습니다(파서 오류: \"{error}\")"),
        ),
        LossCause::HandlesDoNotFit { count, entry, size } => l.pick(
            format!("unreadable ({count} descriptors of {entry} bytes do not fit its {size} bytes)"),
            format!("읽을 수 없습니다({entry}바이트 핸들 설명자 {count}개가 스트림의 {size}바이트에 들어가지 않습니다)"),
        ),
        LossCause::ModulesWithoutIds { count, names_lost, cv_lost } => l.pick(
            format!("of {count} modules, {names_lost} names and {cv_lost} CodeView records (debug ids) lie past the end of the file; the list was read without debug ids"),
            format!("모듈 {count}개 중 이름 {names_lost}개와 CodeView 레코드(디버그 ID) {cv_lost}개가 파일 끝을 벗어나 있어 디버그 ID 없이 모듈 목록을 읽었습니다"),
        ),
        LossCause::ThreadsPastEnd { threads, contexts_lost, stacks_cut } => l.pick(
            format!("of {threads} threads, {contexts_lost} register contexts and {stacks_cut} stacks lie (wholly or partly) past the end of the file"),
            format!("스레드 {threads}개 중 레지스터 컨텍스트 {contexts_lost}개와 스택 {stacks_cut}개가 (전부 또는 일부) 파일 끝을 벗어나 있습니다"),
        ),
        LossCause::ExceptionContextPastEnd { rva } => l.pick(
            format!("the exception's register context at {rva:#x} lies past the end of the file"),
            format!("오프셋 {rva:#x}의 예외 레지스터 컨텍스트가 파일 끝을 벗어나 있습니다"),
        ),
        LossCause::MemoryPastEnd { lost, total, bytes } => l.pick(
            format!("{lost} of {total} memory ranges ({bytes} bytes of memory) lie past the end of the file"),
            format!("메모리 범위 {total}개 중 {lost}개(메모리 {bytes}바이트)가 파일 끝을 벗어나 있습니다"),
        ),
    }
}
