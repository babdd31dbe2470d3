//! What a memory region is used for: WinDbg's usage names (`Stack`, `Heap`, `Image`) and the
//! detail coroner adds (the thread, module or heap), from their typed facts. The WinDbg blocks
//! and the JSON keep the English ([`Lang::En`]).

use super::Lang;
use coroner_analysis::fmt_addr;
use coroner_analysis::regions::{Usage, UsageDetail};

/// A usage name (`Stack`, as `AddressFacts::usage` holds it) in words: WinDbg's own name in
/// English.
pub fn usage(name: &str, l: Lang) -> String {
    let Some(u) = Usage::ALL.into_iter().find(|u| u.name() == name) else {
        return name.to_string();
    };
    let ko = match u {
        Usage::Image => "이미지",
        Usage::Stack => "스택",
        Usage::Teb => "TEB",
        Usage::Peb => "PEB",
        Usage::Heap => "힙",
        Usage::MappedFile => "매핑된 파일",
        Usage::Free => "빈 영역",
        Usage::Unknown => "알 수 없음",
    };
    l.pick(u.name(), ko).to_string()
}

/// The detail of a usage: `thread 4 (id 0x13f0)`, `heap 00390000`, the module's name.
pub fn usage_detail(d: &UsageDetail, ptr: u8, l: Lang) -> String {
    match d {
        UsageDetail::Module { name } => name.clone(),
        &UsageDetail::Thread { index, id } => l.pick(
            format!("thread {index} (id 0x{id:x})"),
            format!("스레드 {index}(ID 0x{id:x})"),
        ),
        &UsageDetail::Heap { handle } => {
            let h = fmt_addr(handle, ptr);
            l.pick(format!("heap {h}"), format!("힙 {h}"))
        }
        UsageDetail::NoRegionList => l
            .pick(
                "the dump has no memory region list",
                "덤프에 메모리 영역 목록이 없음",
            )
            .into(),
    }
}
