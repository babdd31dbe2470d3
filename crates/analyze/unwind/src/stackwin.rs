//! x86 unwinding from Windows frame data: Breakpad `STACK WIN` records and PDB FPO/frame data.
//! Each record gives the function's frame sizes and, for frame data (type 4), a postfix
//! "program string" that computes the caller's registers (e.g.
//! `$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =`). This is the evaluator Breakpad's
//! x86 stack walker uses, written here because no crate exposes one over our memory model.

use coroner_model::Context;

/// One frame-data record, in the shape shared by `STACK WIN` and PDB FPO/frame data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameData {
    /// 0 = FPO, 4 = frame data with a program string.
    pub ty: u8,
    /// Size of the parameters the function's caller pushed.
    pub params_size: u32,
    /// Size of the saved registers.
    pub saved_regs_size: u32,
    /// Size of the locals.
    pub locals_size: u32,
    /// The postfix program (type 4).
    pub program_string: Option<String>,
    /// Whether the function sets up ebp as a frame pointer (FPO).
    pub allocates_base_pointer: bool,
}

/// Most tokens evaluated in one program string (hostile input bound).
const MAX_TOKENS: usize = 256;

#[derive(Clone, Debug)]
enum Tok<'a> {
    Num(u32),
    Var(&'a str),
}

/// Evaluates `program` with the variables in `vars` (updated in place, in order, as Breakpad's
/// PostfixEvaluator does); `read` dereferences 32-bit memory. `None` on a malformed program or
/// unreadable memory.
pub fn evaluate(
    program: &str,
    vars: &mut Vec<(String, u32)>,
    read: &dyn Fn(u64) -> Option<u32>,
) -> Option<()> {
    let get =
        |vars: &Vec<(String, u32)>, n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
    let mut stack: Vec<Tok<'_>> = Vec::new();
    let value = |t: Tok<'_>, vars: &Vec<(String, u32)>| match t {
        Tok::Num(n) => Some(n),
        Tok::Var(v) => get(vars, v),
    };
    // PDB-converted programs glue assignments to the next token (`… + =$eip …`): `=` always
    // stands alone, so separate it.
    let spaced = program.replace('=', " = ");
    for (i, tok) in spaced.split_whitespace().enumerate() {
        if i >= MAX_TOKENS || stack.len() > 64 {
            return None;
        }
        match tok {
            "+" | "-" | "*" | "/" | "%" | "@" => {
                let b = value(stack.pop()?, vars)?;
                let a = value(stack.pop()?, vars)?;
                let r = crate::cfi::binary_op(tok, u64::from(a), u64::from(b))?;
                stack.push(Tok::Num(r as u32));
            }
            "^" => {
                let a = value(stack.pop()?, vars)?;
                stack.push(Tok::Num(read(u64::from(a))?));
            }
            "=" => {
                let v = value(stack.pop()?, vars)?;
                let Tok::Var(name) = stack.pop()? else {
                    return None;
                };
                match vars.iter_mut().find(|(k, _)| k == name) {
                    Some(slot) => slot.1 = v,
                    None => vars.push((name.to_string(), v)),
                }
            }
            t if t.starts_with('$') || t.starts_with('.') => stack.push(Tok::Var(t)),
            t => {
                let n = if let Some(h) = t.strip_prefix("0x") {
                    u32::from_str_radix(h, 16).ok()?
                } else if let Some(neg) = t.strip_prefix('-') {
                    0u32.wrapping_sub(neg.parse::<u32>().ok()?)
                } else {
                    t.parse::<u32>().ok()?
                };
                stack.push(Tok::Num(n));
            }
        }
    }
    stack.is_empty().then_some(())
}

/// The caller's context from frame data, as Breakpad's x86 walker computes it.
/// `callee_params` is the parameter size of the frame below (0 for the first frame);
/// `find_ra` scans a few words from the computed return-address slot for a plausible return
/// address (the stack may have been realigned).
pub fn unwind(
    cur: &Context,
    fd: &FrameData,
    callee_params: u32,
    read: &dyn Fn(u64) -> Option<u32>,
    find_ra: &dyn Fn(u64) -> Option<u64>,
) -> Option<Context> {
    let esp = cur.sp() as u32;
    let mut ra_start = esp
        .wrapping_add(callee_params)
        .wrapping_add(fd.locals_size)
        .wrapping_add(fd.saved_regs_size);
    if let Some(found) = find_ra(u64::from(ra_start)) {
        ra_start = found as u32;
    }
    let mut vars: Vec<(String, u32)> = Vec::new();
    for r in ["eip", "esp", "ebp", "ebx", "esi", "edi"] {
        vars.push((format!("${r}"), cur.get(r).unwrap_or(0) as u32));
    }
    vars.push((".cbCalleeParams".into(), callee_params));
    vars.push((".cbSavedRegs".into(), fd.saved_regs_size));
    vars.push((".cbLocals".into(), fd.locals_size));
    vars.push((".cbParams".into(), fd.params_size));
    vars.push((".raSearch".into(), ra_start));
    vars.push((".raSearchStart".into(), ra_start));
    let fpo;
    let program = match fd.program_string.as_deref() {
        Some(p) if fd.ty == 4 => p,
        _ => {
            fpo = if fd.allocates_base_pointer {
                "$eip .raSearchStart ^ = $esp .raSearchStart 4 + = $ebp $esp .cbCalleeParams + .cbSavedRegs + 8 - ^ ="
            } else {
                "$eip .raSearchStart ^ = $esp .raSearchStart 4 + ="
            };
            fpo
        }
    };
    let before_eip = cur.pc() as u32;
    evaluate(program, &mut vars, read)?;
    let get = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
    let eip = get("$eip")?;
    if eip == before_eip && get("$esp")? == esp {
        return None;
    }
    let mut c = cur.clone();
    for r in ["eip", "esp", "ebp", "ebx", "esi", "edi"] {
        if let Some(v) = get(&format!("${r}")) {
            c.set(r, u64::from(v));
        }
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_strings_evaluate_like_breakpad() {
        // A frame with ebp pushed at esp+8: `$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =`
        let mem = |a: u64| match a {
            0x1000 => Some(0x2000u32),   // saved ebp
            0x1004 => Some(0x0040_1234), // return address
            _ => None,
        };
        let mut vars = vec![
            ("$ebp".to_string(), 0x1000u32),
            ("$eip".into(), 0),
            ("$esp".into(), 0x0ff0),
        ];
        evaluate(
            "$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =",
            &mut vars,
            &mem,
        )
        .unwrap();
        let get = |n: &str| vars.iter().find(|(k, _)| k == n).unwrap().1;
        assert_eq!(
            (get("$eip"), get("$ebp"), get("$esp")),
            (0x0040_1234, 0x2000, 0x1008)
        );
        // Alignment and malformed programs.
        let mut v = vec![("$x".to_string(), 0x1007u32)];
        evaluate("$y $x 8 @ =", &mut v, &mem).unwrap();
        assert_eq!(v[1].1, 0x1000);
        let mut v = vec![("$ebp".to_string(), 0x1000u32)];
        evaluate("$T0 $ebp 4 + =$eip $T0 ^ =", &mut v, &mem).unwrap();
        assert_eq!(v.iter().find(|(k, _)| k == "$eip").unwrap().1, 0x0040_1234);
        for bad in [
            "$a =",
            "1 2 +",
            "+",
            "$a 1 0 / =",
            "$a 1 3 @ =",
            "$a 0x1234 ^ =",
        ] {
            assert!(evaluate(bad, &mut vec![], &mem).is_none(), "{bad}");
        }
    }
}
