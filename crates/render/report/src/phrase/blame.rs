//! Why a module is blamed, and how a module was judged system or not: the typed facts of
//! [`coroner_analysis::BlameReason`] and [`coroner_analysis::blame::Why`] in words. The JSON
//! carries the English ([`Lang::En`]).

use super::Lang;
use coroner_analysis::blame::Why;
use coroner_analysis::{fmt_addr, Analysis, Blame, BlameReason};

/// Why a module was judged part of the OS or a runtime, or not.
pub fn judgement(why: &Why, l: Lang) -> String {
    match why {
        Why::KnownName { name } => l.pick(
            format!("{name} is a well-known operating-system or runtime module"),
            format!("{name}은(는) 잘 알려진 운영 체제 또는 런타임 모듈입니다"),
        ),
        Why::KnownNameAndVendor { name, company: c } => l.pick(
            format!("{name} is a well-known system module and its version resource names {c}"),
            format!("{name}은(는) 잘 알려진 시스템 모듈이며 버전 리소스에 {c}이(가) 적혀 있습니다"),
        ),
        Why::ImpostorName { name, company: c } => l.pick(
            format!("{name} carries a system module's name but its version resource names {c}, not Microsoft"),
            format!("{name}은(는) 시스템 모듈의 이름을 쓰지만 버전 리소스에는 Microsoft가 아닌 {c}이(가) 적혀 있습니다"),
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
            format!("{name}은(는) 알려진 운영 체제 또는 런타임 모듈이 아닙니다"),
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
                format!("명령 포인터 {ip}는 언로드된 {module}이(가) 있던 범위 안에 있습니다{caller}"),
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
            l.pick(
                format!("frame {index} ({display}) is the first frame from the top whose module is not part of the operating system or a runtime ({why}); the frames above it ({top} … {above}) are system code it called"),
                format!("프레임 {index}({display})은(는) 위에서부터 모듈이 운영 체제나 런타임에 속하지 않는 첫 프레임입니다({why}). 그 위의 프레임({top} … {above})은 이 프레임이 호출한 시스템 코드입니다"),
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
                format!("스레드 {thread}(ID 0x{tid:x})이(가) 중단의 근본 원인입니다. 프레임 {index}({display})은(는) 이 스레드에서 모듈이 운영 체제나 런타임에 속하지 않는 첫 프레임입니다({why})"),
            )
        }
    }
}
