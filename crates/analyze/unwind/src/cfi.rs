//! Breakpad `STACK CFI` rules (DWARF/compact-unwind CFI converted by dump_syms): each rule is a
//! postfix expression over the callee's registers, `.cfa` (the canonical frame address) and
//! `.ra` (the return address), e.g. `.cfa: $rsp 16 +  .ra: .cfa -8 + ^  $rbp: .cfa -16 + ^`.

use coroner_model::{Arch, Context};

/// Most tokens in one rule (hostile input bound).
const MAX_TOKENS: usize = 64;

/// Register name in a rule (`$rbp`, `x29`, `sp`) → coroner's register name.
fn reg_name(arch: Arch, name: &str) -> Option<&'static str> {
    let n = name.trim_start_matches('$');
    Some(match (arch, n) {
        (Arch::Amd64, "rax") => "rax",
        (Arch::Amd64, "rbx") => "rbx",
        (Arch::Amd64, "rcx") => "rcx",
        (Arch::Amd64, "rdx") => "rdx",
        (Arch::Amd64, "rsi") => "rsi",
        (Arch::Amd64, "rdi") => "rdi",
        (Arch::Amd64, "rbp") => "rbp",
        (Arch::Amd64, "rsp") => "rsp",
        (Arch::Amd64, "rip") => "rip",
        (Arch::Amd64, "r8") => "r8",
        (Arch::Amd64, "r9") => "r9",
        (Arch::Amd64, "r10") => "r10",
        (Arch::Amd64, "r11") => "r11",
        (Arch::Amd64, "r12") => "r12",
        (Arch::Amd64, "r13") => "r13",
        (Arch::Amd64, "r14") => "r14",
        (Arch::Amd64, "r15") => "r15",
        (Arch::Arm64, "x29" | "fp") => "fp",
        (Arch::Arm64, "x30" | "lr") => "lr",
        (Arch::Arm64, "sp") => "sp",
        (Arch::Arm64, "pc") => "pc",
        (Arch::Arm64, other) => coroner_model::ARM64_GPR[..29]
            .iter()
            .copied()
            .find(|x| *x == other)?,
        _ => return None,
    })
}

/// A binary operator of Breakpad's postfix language (`+ - * / %`, and `@`: align down to a
/// power of two). `None` for division by zero or a bad alignment. Shared by STACK CFI (64-bit)
/// and STACK WIN (32-bit: operands below 2^32, result truncated — the same values).
pub(crate) fn binary_op(op: &str, a: u64, b: u64) -> Option<u64> {
    Some(match op {
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "*" => a.wrapping_mul(b),
        "/" => a.checked_div(b)?,
        "%" => a.checked_rem(b)?,
        "@" => {
            if b == 0 || !b.is_power_of_two() {
                return None;
            }
            a & !(b - 1)
        }
        _ => return None,
    })
}

/// Evaluates one postfix expression; `var` resolves names, `read` dereferences pointers.
fn eval(
    expr: &str,
    var: &dyn Fn(&str) -> Option<u64>,
    read: &dyn Fn(u64) -> Option<u64>,
) -> Option<u64> {
    let mut st: Vec<u64> = Vec::new();
    for (i, t) in expr.split_whitespace().enumerate() {
        if i >= MAX_TOKENS {
            return None;
        }
        match t {
            "+" | "-" | "*" | "/" | "%" | "@" => {
                let b = st.pop()?;
                let a = st.pop()?;
                st.push(binary_op(t, a, b)?);
            }
            "^" => {
                let a = st.pop()?;
                st.push(read(a)?);
            }
            t => {
                let v = if let Some(neg) = t
                    .strip_prefix('-')
                    .filter(|s| s.starts_with(|c: char| c.is_ascii_digit()))
                {
                    0u64.wrapping_sub(neg.parse::<u64>().ok()?)
                } else if let Some(h) = t.strip_prefix("0x") {
                    u64::from_str_radix(h, 16).ok()?
                } else if t.starts_with(|c: char| c.is_ascii_digit()) {
                    t.parse::<u64>().ok()?
                } else {
                    var(t)?
                };
                st.push(v);
            }
        }
        if st.len() > 32 {
            return None;
        }
    }
    (st.len() == 1).then(|| st[0])
}

/// The caller's context from CFI rules (`(register, expression)` pairs, `.cfa` and `.ra`
/// included). `None` when a needed value cannot be computed.
pub fn unwind(
    cur: &Context,
    rules: &[(String, String)],
    read: &dyn Fn(u64) -> Option<u64>,
) -> Option<Context> {
    let arch = cur.arch;
    let callee = |n: &str| reg_name(arch, n).and_then(|r| cur.get(r));
    let cfa_rule = rules.iter().find(|(r, _)| r == ".cfa")?;
    let cfa = eval(&cfa_rule.1, &callee, read)?;
    let with_cfa = |n: &str| if n == ".cfa" { Some(cfa) } else { callee(n) };
    let ra_rule = rules.iter().find(|(r, _)| r == ".ra")?;
    let ra = eval(&ra_rule.1, &with_cfa, read)?;
    let mut c = cur.clone();
    for (r, e) in rules {
        if r == ".cfa" || r == ".ra" {
            continue;
        }
        if let (Some(name), Some(v)) = (reg_name(arch, r), eval(e, &with_cfa, read)) {
            c.set(name, v);
        }
    }
    let ra = if arch == Arch::Arm64 {
        coroner_model::strip_pac(ra)
    } else {
        ra
    };
    c.set("pc", ra);
    c.set("sp", cfa);
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rbp_based_rules() {
        let ctx = Context::amd64([0; 17], 0, [0; 6]);
        let mut ctx = ctx;
        ctx.set("rbp", 0x1000);
        ctx.set("rsp", 0x0f00);
        let mem = |a: u64| match a {
            0x1000 => Some(0x2000u64),
            0x1008 => Some(0x40_1234),
            _ => None,
        };
        let rules = vec![
            (".cfa".to_string(), "$rbp 16 +".to_string()),
            (".ra".to_string(), ".cfa -8 + ^".to_string()),
            ("$rbp".to_string(), ".cfa -16 + ^".to_string()),
        ];
        let c = unwind(&ctx, &rules, &mem).unwrap();
        assert_eq!((c.pc(), c.sp(), c.fp()), (0x40_1234, 0x1010, Some(0x2000)));
        assert!(unwind(&ctx, &rules[1..], &mem).is_none(), "no .cfa rule");
        assert!(eval("1 +", &|_| None, &mem).is_none());
        assert!(eval("$nope", &|_| None, &mem).is_none());
    }
}
