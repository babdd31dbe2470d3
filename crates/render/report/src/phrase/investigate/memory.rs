//! The words of a pool's memory (issue 15): its verdict row — recycles on a memory limit,
//! out-of-memory crashes, a worker's growth over a series of dumps — and the lines of the
//! pool's Memory block, in English and Korean side by side.

use super::duration;
use crate::investigate::memory::{size, thousands};
use crate::phrase::Lang;
use coroner_incident::model::{Investigation, Pool, PoolMemory};
use coroner_incident::time::Time;

/// The description and recommendation of the memory row of pool `pool`.
pub fn words(
    inv: &Investigation,
    pool: &str,
    latest: Option<&(String, &'static str)>,
    l: Lang,
) -> (String, String) {
    let Some(p) = inv.pools.iter().find(|p| p.name == pool) else {
        return (String::new(), String::new());
    };
    let parts: Vec<String> = [recycles(p, l), series(&p.memory, l), oom(p, l)]
        .into_iter()
        .flatten()
        .collect();
    let mut rec = String::new();
    if let Some((file, finding)) = latest.filter(|(_, f)| *f != "out_of_memory") {
        let heaps = p.memory.series.last().and_then(|x| x.heap_bytes).map(size);
        rec = match (heaps, l) {
            (Some(h), Lang::En) => {
                format!("The latest dump ({file}) finds {finding}: its heaps hold {h}. ")
            }
            (None, Lang::En) => format!("The latest dump ({file}) finds {finding}. "),
            (Some(h), Lang::Ko) => crate::phrase::particles(&format!(
                "최근 덤프({file})의 분석 결과는 {finding}입니다. 힙이 {h}을(를) 차지합니다. "
            )),
            (None, Lang::Ko) => format!("최근 덤프({file})의 분석 결과는 {finding}입니다. "),
        };
    }
    rec.push_str(l.pick(
        "A worker that outgrows its memory again and again is leaking; recycling hides the leak and costs the requests in flight and the sessions it holds. Find what allocates: a DebugDiag \"Memory and Handle Leak\" rule (LeakTrack) on the pool's worker, run until private bytes near the limit, or user-mode stack traces (`gflags /i w3wp.exe +ust`, then restart the pool) and two dumps some minutes apart to compare (`!heap -s`, `!heap -stat -h`); a dump alone does not show who allocated. Raise the limit only as a stop-gap.",
        "메모리 사용량이 한도를 계속 넘는 작업자 프로세스에는 누수가 있습니다. 재활용은 누수를 감출 뿐이며 처리 중인 요청과 세션을 잃게 합니다. 무엇이 할당하는지 찾으십시오: 풀의 작업자 프로세스에 DebugDiag \"Memory and Handle Leak\" 규칙(LeakTrack)을 걸고 개인 바이트가 한도에 가까워질 때까지 실행하거나, 사용자 모드 스택 추적(`gflags /i w3wp.exe +ust` 후 풀 재시작)을 켜고 몇 분 간격으로 덤프 두 개를 수집해 비교하십시오(`!heap -s`, `!heap -stat -h`). 덤프 하나만으로는 누가 할당했는지 알 수 없습니다. 한도를 올리는 것은 임시 조치일 뿐입니다.",
    ));
    (parts.join(" "), rec)
}

/// `Application pool 'X' was recycled 2 times between … because its worker reached the private
/// bytes limit of 1,228,800 KB (1.17 GB, MetaBase.xml); process ids 4412, 4636.`
fn recycles(p: &Pool, l: Lang) -> Option<String> {
    let m = &p.memory;
    let (first, last) = (m.recycles.first()?.time, m.recycles.last()?.time);
    let n = m.recycles.len();
    let mut limits: Vec<String> = Vec::new();
    for r in &m.recycles {
        let t = limit(r.limit, r.limit_kb, m, l);
        if !limits.contains(&t) {
            limits.push(t);
        }
    }
    let pids: Vec<String> = m
        .recycles
        .iter()
        .filter_map(|r| r.pid)
        .map(|x| x.to_string())
        .collect();
    let pids = pids.join(", ");
    let name = &p.name;
    Some(match l {
        Lang::En => {
            let when = if n == 1 {
                format!("at {first} UTC")
            } else {
                format!("between {first} and {last} UTC")
            };
            let times = if n == 1 {
                "1 time".to_string()
            } else {
                format!("{n} times")
            };
            let ids = match (pids.is_empty(), pids.contains(',')) {
                (true, _) => String::new(),
                (false, false) => format!("; process id {pids}"),
                (false, true) => format!("; process ids {pids}"),
            };
            format!(
                "Application pool '{name}' was recycled {times} {when} because its worker reached {}{ids}.",
                limits.join(" or ")
            )
        }
        Lang::Ko => {
            let when = if n == 1 {
                format!("{first} UTC에")
            } else {
                format!("{first}부터 {last} UTC 사이에")
            };
            let ids = if pids.is_empty() {
                String::new()
            } else {
                format!(" (프로세스 ID {pids})")
            };
            crate::phrase::particles(&format!(
                "응용 프로그램 풀 '{name}'이(가) {when} {n}번 재활용되었습니다{ids}. 작업자 프로세스가 {}에 도달했기 때문입니다.",
                limits.join(" 또는 ")
            ))
        }
    })
}

/// What a recycle's limit is called: `private bytes`, `virtual memory` (`개인 바이트`, `가상 메모리`).
fn limit_name(kind: &str, l: Lang) -> &'static str {
    if kind == "private" {
        l.pick("private bytes", "개인 바이트")
    } else {
        l.pick("virtual memory", "가상 메모리")
    }
}

/// A limit in KB as configured, and the same in binary units: (`1,228,800 KB`, `1.17 GB`).
fn kb(k: u64) -> (String, String) {
    (format!("{} KB", thousands(k)), size(k.saturating_mul(1024)))
}

/// `the private bytes limit of 1,228,800 KB (1.17 GB, MetaBase.xml)`.
fn limit(kind: &str, limit_kb: Option<u64>, m: &PoolMemory, l: Lang) -> String {
    let name = limit_name(kind, l);
    let from = m
        .limits_from
        .as_deref()
        .map(|f| format!(", {f}"))
        .unwrap_or_default();
    match (limit_kb.map(kb), l) {
        (Some((k, sz)), Lang::En) => format!("the {name} limit of {k} ({sz}{from})"),
        (None, Lang::En) => format!("its {name} limit"),
        (Some((k, sz)), Lang::Ko) => format!("{name} 한도 {k}({sz}{from})"),
        (None, Lang::Ko) => format!("{name} 한도"),
    }
}

/// `3 dumps of worker 4636 show its private bytes grow from … to … in 40 min (12.0 MB a
/// minute): at that rate it reaches the private bytes limit about 8 min 15 s after the last
/// dump.`
fn series(m: &PoolMemory, l: Lang) -> Option<String> {
    let first = m.series.first()?;
    let (n, pid) = (m.series.len(), first.pid);
    let g = m.growth.as_ref()?;
    let (from, to, per) = (
        size(g.from_bytes),
        size(g.to_bytes),
        size(g.bytes_per_minute),
    );
    let took = duration(g.seconds, l);
    let listed = first.private_from == Some("memory_info_list");
    Some(match l {
        Lang::En => {
            let mut s = format!(
                "{n} dumps of worker {pid} show its private bytes grow from {from} to {to} in {took} ({per} a minute)"
            );
            if let Some(t) = g.seconds_to_limit {
                s.push_str(&format!(
                    ": at that rate it reaches the private bytes limit about {} after the last dump",
                    duration(t, l)
                ));
            }
            if listed {
                s.push_str(
                    " (private bytes as committed private memory in the dumps' memory-info lists)",
                );
            }
            s.push('.');
            s
        }
        Lang::Ko => {
            let mut s = crate::phrase::particles(&format!(
                "작업자 프로세스 {pid}의 덤프 {n}개에서 개인 바이트가 {took} 동안 {from}에서 {to}(으)로 늘었습니다(분당 {per})"
            ));
            if let Some(t) = g.seconds_to_limit {
                s.push_str(&format!(
                    ". 이 속도라면 마지막 덤프 후 약 {} 뒤에 개인 바이트 한도에 도달합니다",
                    duration(t, l)
                ));
            }
            if listed {
                s.push_str(" (개인 바이트는 덤프 메모리 정보 목록의 커밋된 개인 메모리입니다)");
            }
            s.push('.');
            s
        }
    })
}

/// `2 crashes of application pool 'X' ran out of memory (…).`
fn oom(p: &Pool, l: Lang) -> Option<String> {
    let t = &p.memory.out_of_memory_crashes;
    if t.is_empty() {
        return None;
    }
    let times: Vec<String> = t.iter().map(Time::to_string).collect();
    let (n, name, times) = (t.len(), &p.name, times.join(", "));
    Some(match l {
        Lang::En => format!(
            "{} of application pool '{name}' ran out of memory ({times} UTC).",
            crate::phrase::count(n, "crash", "crashes")
        ),
        Lang::Ko => format!(
            "응용 프로그램 풀 '{name}'의 충돌 {n}건은 메모리 부족으로 일어났습니다({times} UTC)."
        ),
    })
}

/// The lines of a pool's Memory block (empty when there is nothing to tell).
pub fn lines(p: &Pool, l: Lang) -> Vec<String> {
    let m = &p.memory;
    if m.is_empty() {
        return Vec::new();
    }
    let kb = |v: Option<u64>| match v.map(kb) {
        Some((k, sz)) => format!("{k} ({sz})"),
        None => l.pick("off", "사용 안 함").to_string(),
    };
    let from = m.limits_from.clone().unwrap_or_else(|| {
        l.pick(
            "no IIS configuration among the inputs",
            "입력에 IIS 구성 없음",
        )
        .to_string()
    });
    let mut out = vec![l.pick(
        format!(
            "Memory limits: private bytes {}, virtual memory {} ({from})",
            kb(m.private_limit_kb),
            kb(m.virtual_limit_kb)
        ),
        format!(
            "메모리 한도: 개인 바이트 {}, 가상 메모리 {} ({from})",
            kb(m.private_limit_kb),
            kb(m.virtual_limit_kb)
        ),
    )];
    if !m.recycles.is_empty() {
        let each: Vec<String> = m
            .recycles
            .iter()
            .map(|r| {
                let pid = r.pid.map(|p| format!(" pid {p}")).unwrap_or_default();
                let name = limit_name(r.limit, l);
                let which = l.pick(format!("{name} limit"), format!("{name} 한도"));
                format!("{}{pid} ({which})", r.time)
            })
            .collect();
        let n = m.recycles.len();
        out.push(l.pick(
            format!("Recycled on a memory limit: {n} — {}", each.join("; ")),
            format!("메모리 한도로 재활용: {n}번 — {}", each.join("; ")),
        ));
    }
    if !m.out_of_memory_crashes.is_empty() {
        let t: Vec<String> = m
            .out_of_memory_crashes
            .iter()
            .map(Time::to_string)
            .collect();
        out.push(l.pick(
            format!("Crashes out of memory: {} — {}", t.len(), t.join("; ")),
            format!("메모리 부족 충돌: {}건 — {}", t.len(), t.join("; ")),
        ));
    }
    if let (Some(first), Some(g)) = (m.series.first(), &m.growth) {
        let (pid, n) = (first.pid, m.series.len());
        let (from, to, per, took) = (
            size(g.from_bytes),
            size(g.to_bytes),
            size(g.bytes_per_minute),
            duration(g.seconds, l),
        );
        let until = g.seconds_to_limit.map(|s| duration(s, l));
        out.push(match l {
            Lang::En => format!(
                "Worker {pid} over {n} dumps: private bytes {from} → {to} in {took} ({per} a minute){}",
                until
                    .map(|u| format!("; the limit is reached about {u} after the last dump at that rate"))
                    .unwrap_or_default()
            ),
            Lang::Ko => format!(
                "작업자 프로세스 {pid}, 덤프 {n}개: 개인 바이트 {from} → {to}, {took} 동안(분당 {per}){}",
                until
                    .map(|u| format!("; 이 속도라면 마지막 덤프 후 약 {u} 뒤에 한도에 도달"))
                    .unwrap_or_default()
            ),
        });
    }
    out
}

/// The header of the series table.
pub fn series_header(l: Lang) -> [&'static str; 6] {
    l.pick(
        [
            "time (UTC)",
            "pid",
            "private bytes",
            "heaps",
            "handles",
            "finding",
        ],
        ["시간(UTC)", "pid", "개인 바이트", "힙", "핸들", "결과"],
    )
}

/// The chart's legend and labels: private bytes, heaps, limit, recycled, the aria label.
pub fn chart_labels(l: Lang) -> [&'static str; 5] {
    l.pick(
        [
            "private bytes",
            "heaps",
            "limit",
            "recycled",
            "Memory of worker",
        ],
        [
            "개인 바이트",
            "힙",
            "한도",
            "재활용",
            "작업자 프로세스 메모리",
        ],
    )
}
