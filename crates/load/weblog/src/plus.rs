//! The `+` encoding of HTTP.sys error-log fields.
//!
//! "Within each field, space characters, tabs, and unprintable control characters are replaced
//! by plus signs (0x002B)" (Microsoft, *Format of the HTTP Server API Error Logs*). A literal `+`
//! is written as itself, so the encoding cannot be undone exactly: `Classic+.NET+AppPool` is
//! the pool `Classic .NET AppPool`, but `A+B` may be `A+B`, `A B` or `A<tab>B`. [`decode`] gives
//! the likeliest reading (a space); [`same_name`] compares a logged value with a name from
//! another source (event log, IIS configuration) the only way that is exact: a `+` in the log
//! stands for any one space, tab, control character or `+` of the name, and letters compare
//! without regard to case, as IIS compares application-pool names.
//!
//! Hand-written: three character maps, no crate does this.

/// Whether HTTP.sys writes `c` as `+`.
pub fn is_encoded(c: char) -> bool {
    c == ' ' || c == '\t' || c.is_control()
}

/// The value as HTTP.sys writes it: spaces, tabs and control characters become `+`.
pub fn encode(v: &str) -> String {
    v.chars()
        .map(|c| if is_encoded(c) { '+' } else { c })
        .collect()
}

/// The likeliest original of a logged value: every `+` read as a space.
pub fn decode(logged: &str) -> String {
    logged.replace('+', " ")
}

/// One character of the comparison key: the characters HTTP.sys folds into `+` are one class
/// (`+`), letters are lower-cased (Unicode lower-case mapping, enough for pool names).
fn fold(c: char) -> std::char::ToLowercase {
    if is_encoded(c) {
        '+'.to_lowercase()
    } else {
        c.to_lowercase()
    }
}

/// Whether the logged (encoded) value `logged` can be the name `name`: equal once each space,
/// tab, control character and `+` of either side is taken as the same character, ignoring case.
pub fn same_name(logged: &str, name: &str) -> bool {
    logged
        .chars()
        .flat_map(fold)
        .eq(name.chars().flat_map(fold))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_and_matching() {
        assert_eq!(encode("Classic .NET AppPool"), "Classic+.NET+AppPool");
        assert_eq!(decode("Classic+.NET+AppPool"), "Classic .NET AppPool");
        assert_eq!(encode("a\tb\u{1}c"), "a+b+c");
        assert_eq!(encode("결제 풀 #2"), "결제+풀+#2");
        assert_eq!(decode("결제+풀+#2"), "결제 풀 #2");
        for name in [
            "Classic .NET AppPool",
            "classic .net apppool",
            "Shop+Cart Pool",
            "Shop Cart+Pool",
            "결제 풀 #2",
            "Pool\twith tab",
            "ÄÖÜ Pool",
        ] {
            assert!(same_name(&encode(name), name), "{name}");
        }
        assert!(same_name("Shop+Cart+Pool", "shop+cart pool"));
        assert!(same_name("äöü+pool", "ÄÖÜ Pool"));
        assert!(!same_name("Classic+.NET+AppPool", "Classic.NET AppPool"));
        assert!(!same_name("Classic+.NET+AppPool", "Classic  .NET AppPool"));
        assert!(!same_name("결제+풀+#2", "결제 풀 #3"));
        assert!(!same_name("DefaultAppPool", "DefaultAppPool2"));
        assert!(same_name("", ""));
    }
}
