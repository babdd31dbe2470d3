//! WinDbg's MASM expressions: hex by default (`0n` decimal, `0x` hex, `0t` octal, `0y` binary,
//! backtick-grouped 64-bit numbers), registers (`@eip`, `ebx+10`), pseudo-registers (`$ip`,
//! `$teb`, `$peb`, …), `module!symbol`, module names (their base), `poi()`/`dwo()`/`qwo()`/`wo()`/
//! `by()`, unary `- ~ !` and the binary operators `* / % + - << >> < > <= >= == != & ^ |`.
//!
//! The parser reads one expression from the front of its input and stops at the first character
//! that cannot continue it, so a command can read `ADDR L20` or `START END` with spaces around
//! operators (`ebx + 10`).

use crate::ShellError;

/// What an expression needs to know about the target.
pub trait Env {
    /// A register (or `$pseudo`) value, by lowercase name without the `@`.
    fn register(&self, name: &str) -> Option<u64>;
    /// `module!symbol`, or a bare module name (its base).
    fn symbol(&self, name: &str) -> Option<u64>;
    /// Reads `size` (1, 2, 4 or 8) bytes little-endian.
    fn read(&self, addr: u64, size: usize) -> Option<u64>;
    /// Pointer size of the target.
    fn ptr_size(&self) -> u8;
}

/// Most nested parentheses/unary operators accepted (hostile input must not blow the stack).
const MAX_DEPTH: usize = 64;

/// Parses and evaluates one expression at the front of `text`; returns the value and how many
/// bytes were consumed (trailing spaces included).
pub fn eval_prefix(env: &dyn Env, text: &str) -> Result<(u64, usize), ShellError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        env,
        depth: 0,
    };
    p.skip_ws();
    if p.pos >= p.s.len() {
        return Err(ShellError::Syntax);
    }
    let v = p.binary(0)?;
    p.skip_ws();
    Ok((v, p.pos))
}

/// Evaluates a whole string as one expression (trailing text is a syntax error).
pub fn eval(env: &dyn Env, text: &str) -> Result<u64, ShellError> {
    let (v, used) = eval_prefix(env, text)?;
    if used < text.len() {
        return Err(ShellError::Syntax);
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    env: &'a dyn Env,
    depth: usize,
}

/// Binary operators with precedence (higher binds tighter).
const OPS: &[(&str, u8)] = &[
    ("<<", 5),
    (">>", 5),
    ("<=", 4),
    (">=", 4),
    ("==", 3),
    ("!=", 3),
    ("*", 7),
    ("/", 7),
    ("%", 7),
    ("+", 6),
    ("-", 6),
    ("<", 4),
    (">", 4),
    ("=", 3),
    ("&", 2),
    ("^", 1),
    ("|", 0),
];

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'!' | b'$' | b'@' | b'`' | b'.' | b'?' | b':')
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek_op(&self) -> Option<(&'static str, u8)> {
        let rest = &self.s[self.pos..];
        OPS.iter()
            .find(|(op, _)| rest.starts_with(op.as_bytes()))
            .copied()
    }

    fn binary(&mut self, min: u8) -> Result<u64, ShellError> {
        let mut lhs = self.unary()?;
        loop {
            let save = self.pos;
            self.skip_ws();
            let Some((op, prec)) = self.peek_op() else {
                self.pos = save;
                return Ok(lhs);
            };
            if prec < min {
                self.pos = save;
                return Ok(lhs);
            }
            self.pos += op.len();
            let rhs = self.binary(prec + 1)?;
            lhs = apply(op, lhs, rhs).ok_or(ShellError::DivideByZero)?;
        }
    }

    fn unary(&mut self) -> Result<u64, ShellError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ShellError::Syntax);
        }
        self.skip_ws();
        let r = match self.s.get(self.pos) {
            Some(b'-') => {
                self.pos += 1;
                self.unary().map(u64::wrapping_neg)
            }
            Some(b'+') => {
                self.pos += 1;
                self.unary()
            }
            Some(b'~') => {
                self.pos += 1;
                self.unary().map(|v| !v)
            }
            Some(b'!') => {
                self.pos += 1;
                self.unary().map(|v| u64::from(v == 0))
            }
            Some(b'(') => {
                self.pos += 1;
                let v = self.binary(0)?;
                self.skip_ws();
                if self.s.get(self.pos) != Some(&b')') {
                    return Err(ShellError::Syntax);
                }
                self.pos += 1;
                Ok(v)
            }
            Some(_) => self.primary(),
            None => Err(ShellError::Syntax),
        };
        self.depth -= 1;
        r
    }

    fn primary(&mut self) -> Result<u64, ShellError> {
        let start = self.pos;
        while self.pos < self.s.len() && is_word_byte(self.s[self.pos]) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(ShellError::Syntax);
        }
        let word = &self.text[start..self.pos];
        // Memory functions: poi(x), dwo(x), …
        let save = self.pos;
        self.skip_ws();
        if self.s.get(self.pos) == Some(&b'(') {
            let size = match word.to_ascii_lowercase().as_str() {
                "poi" => usize::from(self.env.ptr_size()),
                "qwo" => 8,
                "dwo" => 4,
                "wo" => 2,
                "by" => 1,
                "low" | "hi" => 0,
                _ => return Err(ShellError::Resolve(word.to_string())),
            };
            let open = self.pos;
            let v = self.unary()?;
            if size == 0 {
                return Ok(if word.eq_ignore_ascii_case("low") {
                    v & 0xffff
                } else {
                    (v >> 16) & 0xffff
                });
            }
            let addr = if self.env.ptr_size() == 4 {
                v & 0xffff_ffff
            } else {
                v
            };
            return self
                .env
                .read(addr, size)
                .ok_or_else(|| ShellError::Memory(self.text[open..self.pos].trim().to_string()));
        }
        self.pos = save;
        resolve_word(self.env, word)
    }
}

fn apply(op: &str, a: u64, b: u64) -> Option<u64> {
    Some(match op {
        "*" => a.wrapping_mul(b),
        "/" => a.checked_div(b)?,
        "%" => a.checked_rem(b)?,
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "<<" => a.checked_shl(b.min(64) as u32).unwrap_or(0),
        ">>" => a.checked_shr(b.min(64) as u32).unwrap_or(0),
        "<" => u64::from(a < b),
        ">" => u64::from(a > b),
        "<=" => u64::from(a <= b),
        ">=" => u64::from(a >= b),
        "==" | "=" => u64::from(a == b),
        "!=" => u64::from(a != b),
        "&" => a & b,
        "^" => a ^ b,
        "|" => a | b,
        _ => return None,
    })
}

/// Parses a number in WinDbg's syntax (default radix 16). `None` if `w` is not a number.
pub fn parse_number(w: &str) -> Option<u64> {
    let lower = w.to_ascii_lowercase();
    let (digits, radix) = if let Some(d) = lower.strip_prefix("0x") {
        (d, 16)
    } else if let Some(d) = lower.strip_prefix("0n") {
        (d, 10)
    } else if let Some(d) = lower.strip_prefix("0t") {
        (d, 8)
    } else if let Some(d) = lower.strip_prefix("0y") {
        (d, 2)
    } else {
        (lower.as_str(), 16)
    };
    let digits: String = digits.chars().filter(|c| *c != '`').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(&digits, radix).ok()
}

fn resolve_word(env: &dyn Env, word: &str) -> Result<u64, ShellError> {
    let unresolved = || ShellError::Resolve(word.to_string());
    if let Some(reg) = word.strip_prefix('@') {
        return env
            .register(&reg.to_ascii_lowercase())
            .ok_or(ShellError::BadRegister);
    }
    if word.starts_with('$') {
        return env
            .register(&word.to_ascii_lowercase())
            .ok_or_else(unresolved);
    }
    if let Some(v) = parse_number(word) {
        return Ok(v);
    }
    if word.contains('!') {
        return env.symbol(word).ok_or_else(unresolved);
    }
    if let Some(v) = env.register(&word.to_ascii_lowercase()) {
        return Ok(v);
    }
    env.symbol(word).ok_or_else(unresolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct T;
    impl Env for T {
        fn register(&self, name: &str) -> Option<u64> {
            match name {
                "ebx" => Some(0x038c_0000),
                "$ip" | "eip" => Some(0x7c82_a150),
                _ => None,
            }
        }
        fn symbol(&self, name: &str) -> Option<u64> {
            (name == "ntdll!RtlAllocateHeap").then_some(0x7c82_a12c)
        }
        fn read(&self, addr: u64, _size: usize) -> Option<u64> {
            (addr == 0x1000).then_some(0x2000)
        }
        fn ptr_size(&self) -> u8 {
            4
        }
    }

    #[test]
    fn arithmetic_and_radix() {
        assert_eq!(eval(&T, "10").unwrap(), 0x10);
        assert_eq!(eval(&T, "0n10").unwrap(), 10);
        assert_eq!(eval(&T, "0y101").unwrap(), 5);
        assert_eq!(eval(&T, "ebx+10").unwrap(), 0x038c_0010);
        assert_eq!(eval(&T, "@ebx + 0n16").unwrap(), 0x038c_0010);
        assert_eq!(eval(&T, "2+3*4").unwrap(), 14);
        assert_eq!(eval(&T, "(2+3)*4").unwrap(), 20);
        assert_eq!(eval(&T, "poi(1000)+1").unwrap(), 0x2001);
        assert_eq!(eval(&T, "ntdll!RtlAllocateHeap+24").unwrap(), 0x7c82_a150);
        assert_eq!(eval(&T, "00000000`00000050").unwrap(), 0x50);
        assert_eq!(eval(&T, "-1").unwrap(), u64::MAX);
    }

    #[test]
    fn errors() {
        assert!(matches!(eval(&T, "foo"), Err(ShellError::Resolve(_))));
        assert!(matches!(eval(&T, "@zz"), Err(ShellError::BadRegister)));
        assert!(matches!(eval(&T, "poi(0)"), Err(ShellError::Memory(_))));
        assert!(matches!(eval(&T, "1/0"), Err(ShellError::DivideByZero)));
        assert!(eval(&T, "(((1").is_err());
        assert!(eval(&T, "1 +").is_err());
        assert!(eval(&T, &"(".repeat(10_000)).is_err());
        assert!(eval(&T, &"-".repeat(10_000)).is_err());
        assert!(eval(&T, "").is_err());
    }

    #[test]
    fn prefix_stops_at_range() {
        let (v, used) = eval_prefix(&T, "ebx L4").unwrap();
        assert_eq!(v, 0x038c_0000);
        assert_eq!(&"ebx L4"[used..], "L4");
    }
}
