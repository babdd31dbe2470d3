//! Why a module is blamed, and how a module was judged system or not: the typed facts of
//! [`coroner_analysis::BlameReason`] and [`coroner_analysis::blame::Why`] in words. The JSON
//! carries the English ([`Lang::En`]).

use super::Lang;
use coroner_analysis::blame::Why;
use coroner_analysis::vendor::{PassedOver, Provenance, VendorSource};
use coroner_analysis::{fmt_addr, Analysis, Blame, BlameReason};

/// Why a module was judged part of the OS or a runtime, or not.
pub fn judgement(why: &Why, l: Lang) -> String {
    match why {
        Why::KnownName { name } => l.pick(
            format!("{name} is a well-known operating-system or runtime module"),
            crate::phrase::particles(&format!("{name}은(는) 잘 알려진 운영 체제 또는 런타임 모듈입니다")),
        ),
        Why::KnownNameAndVendor { name, company: c } => l.pick(
            format!("{name} is a well-known system module and its version resource names {c}"),
            crate::phrase::particles(&format!("{name}은(는) 잘 알려진 시스템 모듈이며 버전 리소스에 {c}이(가) 적혀 있습니다")),
        ),
        Why::ImpostorName { name, company: c } => l.pick(
            format!("{name} carries a system module's name but its version resource names {c}, not Microsoft"),
            crate::phrase::particles(&format!("{name}은(는) 시스템 모듈의 이름을 쓰지만 버전 리소스에는 Microsoft가 아닌 {c}이(가) 적혀 있습니다")),
        ),
        Why::SystemProduct { company: c } => l.pick(
            format!("version resource: {c}, part of the operating system or runtime"),
            format!("버전 리소스: {c}, 운영 체제 또는 런타임의 일부"),
        ),
        Why::ThirdParty { company: c } => l.pick(
            format!("third-party module (version resource: {c})"),
            format!("타사 모듈(버전 리소스: {c})"),
        ),
        Why::UnknownName { name } => l.pick(
            format!("{name} is not a known operating-system or runtime module"),
            crate::phrase::particles(&format!("{name}은(는) 알려진 운영 체제 또는 런타임 모듈이 아닙니다")),
        ),
    }
}

/// Why blamed module `b` of analysis `a` is the one to follow up with.
pub fn blame_reason(a: &Analysis, b: &Blame, l: Lang) -> String {
    match &b.reason {
        BlameReason::Unloaded { ip, module, caller } => {
            let ip = fmt_addr(*ip, a.ptr_size());
            let caller = caller
                .as_deref()
                .map(|c| {
                    l.pick(
                        format!("; the call came from {c}"),
                        format!(". 호출은 {c}에서 왔습니다"),
                    )
                })
                .unwrap_or_default();
            l.pick(
                format!("the instruction pointer {ip} lies in the former range of {module}, which had been unloaded{caller}"),
                crate::phrase::particles(&format!("명령 포인터 {ip}은(는) 언로드된 {module}이(가) 있던 범위 안에 있습니다{caller}")),
            )
        }
        BlameReason::TopFrame { module, why } => {
            let why = judgement(why, l);
            l.pick(
                format!("the faulting instruction is in {module} ({why}), the first frame from the top that is not part of the operating system or a runtime"),
                format!("오류가 발생한 명령이 {module}에 있습니다({why}). 위에서부터 운영 체제나 런타임에 속하지 않는 첫 프레임입니다"),
            )
        }
        BlameReason::Frame {
            index,
            display,
            why,
            top,
            above,
        } => {
            let why = judgement(why, l);
            // One frame above (the blamed one is frame 1) is named once, not as a range.
            let (en_above, ko_above) = match *index {
                1 => (
                    format!("the frame above it ({top}) is system code it called"),
                    format!("그 위의 프레임({top})은 이 프레임이 호출한 시스템 코드입니다"),
                ),
                _ => (
                    format!("the frames above it ({top} … {above}) are system code it called"),
                    format!(
                        "그 위의 프레임({top} … {above})은 이 프레임이 호출한 시스템 코드입니다"
                    ),
                ),
            };
            l.pick(
                format!("frame {index} ({display}) is the first frame from the top whose module is not part of the operating system or a runtime ({why}); {en_above}"),
                crate::phrase::particles(&format!("프레임 {index}({display})은(는) 위에서부터 모듈이 운영 체제나 런타임에 속하지 않는 첫 프레임입니다({why}). {ko_above}")),
            )
        }
        BlameReason::HangRoot {
            thread,
            tid,
            index,
            display,
            why,
        } => {
            let why = judgement(why, l);
            l.pick(
                format!("thread {thread} (id 0x{tid:x}) is the root cause of the hang; frame {index} ({display}) is its first frame whose module is not part of the operating system or a runtime ({why})"),
                crate::phrase::particles(&format!("스레드 {thread}(ID 0x{tid:x})이(가) 중단의 근본 원인입니다. 프레임 {index}({display})은(는) 이 스레드에서 모듈이 운영 체제나 런타임에 속하지 않는 첫 프레임입니다({why})")),
            )
        }
    }
}

/// Where blamed module `b`'s vendor came from, or why it is unknown.
pub fn provenance(b: &Blame, l: Lang) -> String {
    match b.vendor_provenance {
        Provenance::Unloaded => l
            .pick(
                "the module had been unloaded: its version resource is not in the dump",
                "모듈이 언로드되어 버전 리소스가 덤프에 없음",
            )
            .into(),
        Provenance::NoVersionResource => l
            .pick(
                "no version resource strings (image not in the dump)",
                "버전 리소스 문자열 없음(이미지가 덤프에 없음)",
            )
            .into(),
        Provenance::Fields => vendor_fields(b.vendor_source, &b.vendor_passed_over, l),
    }
}

/// `from LegalCopyright; CompanyName unreadable`: the field a vendor's name came from and the
/// fields passed over; for an unknown vendor, what each field gave.
pub fn vendor_fields(source: Option<VendorSource>, passed: &[PassedOver], l: Lang) -> String {
    let skipped = passed.iter().map(|p| {
        let f = p.field;
        match &p.value {
            None => l.pick(format!("no {f}"), format!("{f} 없음")),
            Some(_) if p.names_no_holder() => l.pick(
                format!("{f} names no holder"),
                format!("{f}에 보유자 이름 없음"),
            ),
            Some(_) => l.pick(
                format!("{f} unreadable"),
                crate::phrase::particles(&format!("{f}을(를) 읽을 수 없음")),
            ),
        }
    });
    let parts: Vec<String> = match source {
        Some(src) => {
            let src = src.as_str();
            std::iter::once(l.pick(format!("from {src}"), format!("{src}에서 가져옴")))
                .chain(skipped)
                .collect()
        }
        None => skipped
            .chain(std::iter::once(
                l.pick(
                    "signer unknown (Authenticode signatures are not in a dump)",
                    "서명자 알 수 없음(덤프에는 Authenticode 서명이 없음)",
                )
                .to_string(),
            ))
            .collect(),
    };
    parts.join(l.pick("; ", ", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passed(field: &'static str, value: Option<&str>, why: &str) -> PassedOver {
        PassedOver {
            field,
            value: value.map(str::to_string),
            why: why.into(),
        }
    }

    #[test]
    fn where_the_vendor_came_from_in_both_languages() {
        let p = [
            passed("CompanyName", None, "absent"),
            passed("LegalCopyright", Some("Freeware"), "names no holder"),
        ];
        let src = Some(VendorSource::ProductName);
        assert_eq!(
            vendor_fields(src, &p, Lang::En),
            "from ProductName; no CompanyName; LegalCopyright names no holder"
        );
        assert_eq!(
            vendor_fields(src, &p, Lang::Ko),
            "ProductName에서 가져옴, CompanyName 없음, LegalCopyright에 보유자 이름 없음"
        );
        let p = [passed(
            "CompanyName",
            Some("\u{1}"),
            "control character U+0001",
        )];
        assert_eq!(
            vendor_fields(None, &p, Lang::En),
            "CompanyName unreadable; signer unknown (Authenticode signatures are not in a dump)"
        );
    }
}
