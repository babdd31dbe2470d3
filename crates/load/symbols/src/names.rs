//! Function names as WinDbg prints them in `module!function`: scopes and template arguments kept,
//! return type, calling convention, access specifier, parameter list and trailing qualifiers
//! (`const`, `__ptr64`, `noexcept`, `[clone .cold]`) dropped.
//!
//! Decorated MSVC names (`?draw@Widget@@…`) are undecorated twice by `msvc-demangler`: with
//! `NAME_ONLY` for the short name and with its LLVM flags for the signature. Names that arrive
//! already undecorated — PDB procedure records, Breakpad `FUNC`/`PUBLIC` lines (MSVC `undname`
//! or Itanium `c++filt` output) — cannot go through a demangler, so [`short_name`] trims the text
//! by hand: it tracks brackets (`<>`, `()`, `[]`, `{}`) and MSVC's `` `…' `` quotes, treats
//! `operator…` tokens as one unit, and keeps what lies between the last top-level space before the
//! name and the parameter list.

use std::borrow::Cow;

/// A decorated MSVC name's (short name, full signature), or `None` when `name` is not decorated
/// or does not demangle.
pub(crate) fn demangle_msvc(name: &str) -> Option<(String, String)> {
    if !name.starts_with('?') {
        return None;
    }
    let full = msvc_demangler::demangle(name, msvc_demangler::DemangleFlags::llvm()).ok()?;
    // WinDbg's short form has no `class`/`struct` keywords in template arguments.
    let flags =
        msvc_demangler::DemangleFlags::NAME_ONLY | msvc_demangler::DemangleFlags::NO_CLASS_TYPE;
    let short = msvc_demangler::demangle(name, flags)
        .ok()
        .map(|s| short_name(&s).into_owned())
        .unwrap_or_else(|| short_name(&full).into_owned());
    Some((short, full))
}

/// (short name, signature when it says more) for any symbol name: decorated MSVC names are
/// demangled, undecorated ones trimmed with [`short_name`].
pub(crate) fn split(name: &str) -> (String, Option<String>) {
    let (short, full) = match demangle_msvc(name) {
        Some((s, f)) => (s, f),
        None => (short_name(name).into_owned(), name.to_string()),
    };
    let sig = (full != short).then_some(full);
    (short, sig)
}

/// Operator spellings after the `operator` keyword, longest first.
const OPERATORS: &[&str] = &[
    "()", "[]", "<=>", "<<=", ">>=", "->*", "<<", ">>", "<=", ">=", "->", "==", "!=", "&&", "||",
    "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "+", "-", "*", "/", "%", "^", "&",
    "|", "~", "!", "=", "<", ">", ",",
];

/// Length of the operator token starting at `s` (which begins with `operator`), or 0 when
/// `operator` is part of a longer identifier (`operators`, `my_operator`).
fn operator_len(s: &str, prev: Option<u8>) -> usize {
    const KW: &str = "operator";
    if !s.starts_with(KW) || prev.is_some_and(is_ident) {
        return 0;
    }
    let rest = &s[KW.len()..];
    match rest.bytes().next() {
        Some(b) if is_ident(b) => 0,
        Some(b' ') => {
            // `operator new[]`, `operator delete`, `operator ""_x`, or a conversion operator
            // (`operator unsigned int`): the token runs to the parameter list.
            let end = rest.find('(').unwrap_or(rest.len());
            KW.len() + end
        }
        Some(b'"') => KW.len() + rest.find('(').unwrap_or(rest.len()),
        _ => {
            KW.len()
                + OPERATORS
                    .iter()
                    .find(|o| rest.starts_with(**o))
                    .map_or(0, |o| o.len())
        }
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// The name WinDbg shows for an undecorated function name: `int __cdecl ns::C<int>::f(char)
/// const` → `ns::C<int>::f`. Names without a parameter list (C names, data, `` `string' ``) are
/// returned unchanged.
pub fn short_name(full: &str) -> Cow<'_, str> {
    let s = full.trim();
    let (start, end) = name_span(s);
    let name = s[start..end].trim_end();
    // `public: …`, `virtual`, `static` before the name are gone with the last-space rule; a
    // trailing `*`/`&` can only come from a return type glued to the name, which MSVC never does.
    if name.is_empty() {
        return Cow::Borrowed(s);
    }
    if name.len() == full.len() {
        Cow::Borrowed(full)
    } else {
        Cow::Owned(name.to_string())
    }
}

/// The parameter list of a function signature, parentheses included (`(int, float)`), as
/// WinDbg's `ln` shows it after an exact match; `None` when the name has none.
pub fn parameter_list(full: &str) -> Option<&str> {
    let s = full.trim();
    let (_, end) = name_span(s);
    if !s[end..].starts_with('(') {
        return None;
    }
    let close = matching(s.as_bytes(), end)?;
    Some(&s[end..=close])
}

/// Byte range of the function name in a trimmed undecorated name: after the last top-level
/// space before the parameter list, up to it (the whole string without one).
fn name_span(s: &str) -> (usize, usize) {
    let b = s.as_bytes();
    let mut depth = 0usize; // <> () [] {}
    let mut quote = 0usize; // `…'
    let mut start = 0usize; // after the last top-level space
    let mut i = 0usize;
    let mut end = s.len();
    while i < b.len() {
        let c = b[i];
        let prev = i.checked_sub(1).map(|p| b[p]);
        if quote == 0 && c == b'o' {
            let n = operator_len(&s[i..], prev);
            if n > 0 {
                i += n;
                continue;
            }
        }
        match c {
            b'`' => quote += 1,
            b'\'' if quote > 0 => quote -= 1,
            _ if quote > 0 => {}
            b'(' if depth == 0
                && prev.is_some_and(|p| is_ident(p) || matches!(p, b'>' | b'\'' | b']'))
                || depth == 0 && i > 0 && operator_ends_at(s, i) =>
            {
                // A parameter list, unless a scope follows it (`f(int)::{lambda()#1}`).
                let close = matching(b, i).unwrap_or(b.len());
                if s[close..].starts_with(")::") {
                    i = close + 1;
                    continue;
                }
                end = i;
                break;
            }
            b'<' | b'(' | b'[' | b'{' => depth += 1,
            b'>' | b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b' ' if depth == 0 => start = i + 1,
            _ => {}
        }
        i += 1;
    }
    (start, end)
}

/// Whether an `operator` token ends right before byte `i` (so `(` at `i` is its parameter list).
fn operator_ends_at(s: &str, i: usize) -> bool {
    let b = s.as_bytes();
    let mut j = 0usize;
    while let Some(k) = s[j..i].find("operator") {
        let at = j + k;
        let n = operator_len(&s[at..], at.checked_sub(1).map(|p| b[p]));
        if n > 0 && at + n == i {
            return true;
        }
        j = at + 1;
    }
    false
}

/// Index of the `)` closing the `(` at `open`.
fn matching(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undecorated_msvc_and_breakpad_shapes() {
        let cases = [
            // C names and data stay as they are.
            ("main", "main"),
            ("_RtlUserThreadStart@8", "_RtlUserThreadStart@8"),
            ("`string'", "`string'"),
            ("Widget::`vftable'", "Widget::`vftable'"),
            // MSVC undname (llvm flags) output.
            ("int __cdecl Widget::draw(int, float, char const *)", "Widget::draw"),
            (
                "public: virtual int __cdecl app::Widget::draw(int,float) const __ptr64",
                "app::Widget::draw",
            ),
            ("void __cdecl `anonymous namespace'::helper(void)", "`anonymous namespace'::helper"),
            (
                "class std::basic_string<char, struct std::char_traits<char>, class std::allocator<char>> __cdecl ns::name(void)",
                "ns::name",
            ),
            (
                "void __cdecl std::vector<int, class std::allocator<int>>::push_back(int const &)",
                "std::vector<int, class std::allocator<int>>::push_back",
            ),
            ("bool __cdecl Point::operator<(struct Point const &) const", "Point::operator<"),
            ("int __cdecl Cmp::operator()(int, int) const", "Cmp::operator()"),
            ("Cmp::operator()", "Cmp::operator()"),
            ("void * __cdecl operator new(unsigned __int64)", "operator new"),
            ("void __cdecl operator delete[](void *)", "operator delete[]"),
            ("Q::operator unsigned int(void) const", "Q::operator unsigned int"),
            ("X::operator<<(int)", "X::operator<<"),
            ("X::operator->(void)", "X::operator->"),
            (
                "auto __cdecl `main'::`2'::<lambda_1>::operator()(int) const",
                "`main'::`2'::<lambda_1>::operator()",
            ),
            ("<lambda_9f3a1b2c>::operator()", "<lambda_9f3a1b2c>::operator()"),
            ("void __cdecl f<int>(int)", "f<int>"),
            ("ns::C<bool (__cdecl*)(int)>::run(void)", "ns::C<bool (__cdecl*)(int)>::run"),
            // Breakpad FUNC names (Windows dump_syms, Linux dump_syms / c++filt).
            ("Widget::draw(int, float)", "Widget::draw"),
            ("Widget::draw(int,float) const", "Widget::draw"),
            ("std::vector<int, std::allocator<int> >::push_back(int const&)", "std::vector<int, std::allocator<int> >::push_back"),
            ("(anonymous namespace)::Parser::parse(char const*)", "(anonymous namespace)::Parser::parse"),
            ("f(int)::{lambda(int)#1}::operator()(int) const", "f(int)::{lambda(int)#1}::operator()"),
            ("hot(int) [clone .cold]", "hot"),
            ("Foo::~Foo()", "Foo::~Foo"),
            ("Foo::operator==(Foo const&) const", "Foo::operator=="),
            (
                "public: virtual void * __cdecl Foo::`vector deleting destructor'(unsigned int)",
                "Foo::`vector deleting destructor'",
            ),
            (
                "void __cdecl `dynamic initializer for 'g_x''(void)",
                "`dynamic initializer for 'g_x''",
            ),
            (
                "private: virtual void __cdecl std::_Func_impl_no_alloc<class <lambda_1>, void>::_Do_call(void)",
                "std::_Func_impl_no_alloc<class <lambda_1>, void>::_Do_call",
            ),
            ("int __cdecl __scrt_common_main_seh(void)", "__scrt_common_main_seh"),
            // Rust and Objective-C names as Breakpad files carry them.
            ("<T as core::fmt::Debug>::fmt", "<T as core::fmt::Debug>::fmt"),
            ("std::rt::lang_start::{{closure}}", "std::rt::lang_start::{{closure}}"),
            ("-[NSObject performSelector:]", "-[NSObject performSelector:]"),
            ("operators(int)", "operators"),
            ("my_operator(int)", "my_operator"),
        ];
        for (full, want) in cases {
            assert_eq!(short_name(full), want, "{full}");
        }
    }

    #[test]
    fn decorated_names_give_short_name_and_signature() {
        let cases = [
            ("?draw@Widget@@QEAAHHMPEBD@Z", "Widget::draw"),
            (
                "?helper@?A0x1234abcd@@YAXXZ",
                "`anonymous namespace'::helper",
            ),
            (
                "?push_back@?$vector@HV?$allocator@H@std@@@std@@QEAAXAEBH@Z",
                "std::vector<int,std::allocator<int> >::push_back",
            ),
            ("??RCmp@@QEBAHHH@Z", "Cmp::operator()"),
            ("??MPoint@@QEBA_NAEBU0@@Z", "Point::operator<"),
            ("??1Foo@@QEAA@XZ", "Foo::~Foo"),
        ];
        for (mangled, want) in cases {
            let (short, full) = demangle_msvc(mangled).expect(mangled);
            assert_eq!(short, want, "{mangled} → {full}");
            assert!(full.contains('(') && full.len() > short.len(), "{full}");
        }
        assert_eq!(split("?draw@Widget@@QEAAHHMPEBD@Z").0, "Widget::draw");
        let sig = demangle_msvc("?draw@Widget@@QEAAHHMPEBD@Z").unwrap().1;
        assert_eq!(parameter_list(&sig), Some("(int, float, char const *)"));
        assert_eq!(
            parameter_list("Cmp::operator()(int, int) const"),
            Some("(int, int)")
        );
        assert_eq!(
            parameter_list("f(int)::{lambda(int)#1}::operator()(int) const"),
            Some("(int)")
        );
        assert_eq!(parameter_list("Cmp::operator()"), None);
        assert_eq!(parameter_list("main"), None);
        assert_eq!(split("main"), ("main".to_string(), None));
        assert_eq!(
            split("Widget::draw(int)"),
            ("Widget::draw".to_string(), Some("Widget::draw(int)".into()))
        );
    }
}
