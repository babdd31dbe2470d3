//! Why a file could not be loaded at all, from the loader's typed failure: the one place it is
//! worded, for the reports (text, Markdown, HTML, investigate), the command line's error line
//! and, in English, the JSON's `error` (the loader's own `Display` text, word for word).

use super::Lang;
use coroner_model::{Corrupt, IoReason, LoadFailure, NotADump, UnpackCause};

/// The failure of an input that could not be analysed: its typed cause worded in `l` when there
/// is one, else the `error` text as given.
pub fn failed(error: &str, failure: Option<&LoadFailure>, l: Lang) -> String {
    match failure {
        Some(f) => load_failure(f, l),
        None => error.to_string(),
    }
}

/// Why a file could not be loaded, with its sizes, offsets and what its first bytes were; an
/// operating system's, parser's or unpacker's own text is quoted as it gives it.
pub fn load_failure(f: &LoadFailure, l: Lang) -> String {
    match f {
        LoadFailure::Unreadable { reason, os_error } => unreadable(*reason, os_error, l),
        LoadFailure::Empty => l
            .pick("file is empty (0 bytes)", "파일이 비어 있습니다(0바이트)")
            .into(),
        LoadFailure::NotADump(n) => format!(
            "{}: {}",
            l.pick("not a minidump", "미니덤프가 아닙니다"),
            not_a_dump(n, l)
        ),
        LoadFailure::Corrupt(c) => format!(
            "{}: {}",
            l.pick(
                "corrupt or truncated minidump",
                "손상되었거나 잘린 미니덤프입니다"
            ),
            corrupt(c, l)
        ),
        LoadFailure::Unpack { container, cause } => l.pick(
            format!(
                "cannot unpack {container} file: {}",
                unpack(container, cause, l)
            ),
            format!(
                "{container} 파일의 압축을 풀 수 없습니다: {}",
                unpack(container, cause, l)
            ),
        ),
        LoadFailure::Internal => l
            .pick(
                "internal error while analysing this file (please report it)",
                "이 파일을 분석하는 중 coroner 내부 오류가 발생했습니다(버그이므로 신고해 주십시오)",
            )
            .into(),
    }
}

fn unreadable(reason: IoReason, os_error: &str, l: Lang) -> String {
    match (l, reason) {
        (Lang::En, _) => format!("cannot read file: {os_error}"),
        (Lang::Ko, IoReason::NotFound) => "파일을 읽을 수 없습니다: 파일이 없습니다".into(),
        (Lang::Ko, IoReason::PermissionDenied) => {
            "파일을 읽을 수 없습니다: 읽기 권한이 없습니다".into()
        }
        (Lang::Ko, IoReason::Other) => {
            format!("파일을 읽을 수 없습니다(운영 체제 오류: \"{os_error}\")")
        }
    }
}

fn not_a_dump(n: &NotADump, l: Lang) -> String {
    let investigate = l.pick(
        "use `coroner investigate`",
        "`coroner investigate`를 사용하십시오",
    );
    match n {
        NotADump::Directory => l.pick("is a directory", "폴더입니다").into(),
        NotADump::KernelDump => l.pick(
            "a Windows kernel memory dump (PAGEDU64/PAGEDUMP); coroner reads user-mode minidumps",
            "Windows 커널 메모리 덤프(PAGEDU64/PAGEDUMP)입니다. coroner는 사용자 모드 미니덤프를 읽습니다",
        ).into(),
        NotADump::EventLog => l.pick(
            format!("a Windows event log (.evtx); {investigate}"),
            format!("Windows 이벤트 로그(.evtx)입니다. {investigate}"),
        ),
        NotADump::LegacyEventLog => l.pick(
            format!("a legacy Windows event log (.evt); {investigate}"),
            format!("이전 형식의 Windows 이벤트 로그(.evt)입니다. {investigate}"),
        ),
        NotADump::Elf => l.pick(
            "an ELF file (a Linux core dump or binary), not a minidump",
            "ELF 파일(Linux 코어 덤프 또는 실행 파일)입니다",
        ).into(),
        NotADump::PeImage => l.pick(
            "a Windows executable (PE image), not a dump",
            "Windows 실행 파일(PE 이미지)입니다",
        ).into(),
        NotADump::Microdump => l.pick(
            "a Breakpad microdump (text); coroner reads binary minidumps",
            "Breakpad 마이크로덤프(텍스트)입니다. coroner는 바이너리 미니덤프를 읽습니다",
        ).into(),
        NotADump::W3cLog => l.pick(
            format!("an IIS/W3C log file; {investigate}"),
            format!("IIS/W3C 로그 파일입니다. {investigate}"),
        ),
        NotADump::Text => l.pick(
            "a text file (no MDMP signature)",
            "텍스트 파일입니다(MDMP 시그니처 없음)",
        ).into(),
        NotADump::Unknown { magic: [a, b, c, d] } => l.pick(
            format!("no MDMP signature (starts with {a:02x} {b:02x} {c:02x} {d:02x})"),
            format!("MDMP 시그니처가 없습니다(파일의 첫 바이트: {a:02x} {b:02x} {c:02x} {d:02x})"),
        ),
    }
}

fn corrupt(c: &Corrupt, l: Lang) -> String {
    match c {
        Corrupt::TooShort { bytes } => l.pick(
            format!("file is only {bytes} bytes, shorter than a minidump header"),
            format!("파일이 {bytes}바이트뿐이라 미니덤프 헤더보다 짧습니다"),
        ),
        Corrupt::HeaderTruncated { bytes } => l.pick(
            format!("header truncated: file is {bytes} bytes, the header needs 32"),
            format!("헤더가 잘려 있습니다: 파일은 {bytes}바이트인데 헤더에는 32바이트가 필요합니다"),
        ),
        Corrupt::DirectoryPastEnd { entries, offset, bytes_present, bytes_needed } => l.pick(
            format!(
                "the stream directory ({entries} entries at offset {offset:#x}) lies past the end of the file: \
                 {bytes_present} bytes present, {bytes_needed} needed for the directory alone (file cut short?); no stream can be located"
            ),
            format!(
                "스트림 디렉터리(오프셋 {offset:#x}의 항목 {entries}개)가 파일 끝을 벗어나 있습니다: \
                 파일은 {bytes_present}바이트인데 디렉터리만 읽는 데도 {bytes_needed}바이트가 필요합니다(파일이 잘린 것 같습니다). \
                 스트림을 하나도 찾을 수 없습니다"
            ),
        ),
        Corrupt::DirectoryMissing => l.pick(
            "stream directory missing or cut off (file truncated?)",
            "스트림 디렉터리가 없거나 잘려 있습니다(파일이 잘린 것 같습니다)",
        ).into(),
        Corrupt::HeaderMissing => l.pick("header missing or cut off", "헤더가 없거나 잘려 있습니다").into(),
        Corrupt::HeaderMismatch => l.pick("header signature does not match", "헤더 시그니처가 맞지 않습니다").into(),
        Corrupt::UnsupportedVersion => l.pick("unsupported minidump version", "지원하지 않는 미니덤프 버전입니다").into(),
        Corrupt::Unparsable { error } => l.pick(
            error.clone(),
            format!("읽을 수 없습니다(파서 오류: \"{error}\")"),
        ),
    }
}

fn unpack(container: &str, u: &UnpackCause, l: Lang) -> String {
    match u {
        UnpackCause::TooBig { limit } => l.pick(
            format!(
                "unpacks to more than {} (limit; raise with --max-unpacked)",
                size(*limit, l)
            ),
            format!(
                "압축을 풀면 제한값 {}를 넘습니다(--max-unpacked로 늘릴 수 있습니다)",
                size(*limit, l)
            ),
        ),
        UnpackCause::NoFile if container == "cab" => l
            .pick("cabinet holds no file", "캐비닛 안에 파일이 없습니다")
            .into(),
        UnpackCause::NoFile => l
            .pick("archive holds no file", "압축 파일 안에 파일이 없습니다")
            .into(),
        UnpackCause::Failed { error } => l.pick(error.clone(), format!("오류 메시지 \"{error}\"")),
    }
}

/// `8 GiB`, `512 MiB`, `100 bytes` (`100바이트`).
fn size(n: u64, l: Lang) -> String {
    if n >= 1 << 30 && n.is_multiple_of(1 << 30) {
        format!("{} GiB", n >> 30)
    } else if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        l.pick(format!("{n} bytes"), format!("{n}바이트"))
    }
}
