//! Application-pool names across sources. IIS compares pool names without regard to case, so
//! event logs, the IIS configuration and dumps' command lines name the same pool when they
//! agree ignoring case. HTTPERR queue names are `+`-encoded by HTTP.sys
//! ([`coroner_weblog::plus`]): they are matched to those names with spaces, tabs, control
//! characters and `+` taken as one character class.

use coroner_weblog::plus;

/// Whether two pool (or process) names are the same name to IIS: equal ignoring case
/// (Unicode lower-case mapping, so `결제 풀` and `ÄÖÜ` work too).
pub fn same(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// The pool an HTTPERR queue name stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueMatch {
    /// The one known pool the logged name can be.
    Known(String),
    /// Several known pools fit (`A B` and `A+B` both exist): `chosen` is the site's pool when
    /// the line names a site served by one of them, else the reading with spaces.
    Ambiguous {
        chosen: String,
        candidates: Vec<String>,
    },
    /// No known pool fits: the decoded name (each `+` read as a space).
    Unknown(String),
}

impl QueueMatch {
    /// The pool name to use.
    pub fn name(&self) -> &str {
        match self {
            QueueMatch::Known(n) | QueueMatch::Unknown(n) => n,
            QueueMatch::Ambiguous { chosen, .. } => chosen,
        }
    }
}

/// Resolves the queue name `logged` (as in the file) against the pools `known` from the event
/// logs, the IIS configuration and the dumps; `site_pool` is the pool of the line's site, if
/// the configuration says.
pub fn resolve_queue(logged: &str, known: &[String], site_pool: Option<&str>) -> QueueMatch {
    let mut candidates: Vec<String> = Vec::new();
    for k in known {
        if plus::same_name(logged, k) && !candidates.iter().any(|c| same(c, k)) {
            candidates.push(k.clone());
        }
    }
    match candidates.len() {
        0 => QueueMatch::Unknown(plus::decode(logged)),
        1 => QueueMatch::Known(candidates.remove(0)),
        _ => {
            if let Some(s) = site_pool.and_then(|s| candidates.iter().find(|c| same(c, s))) {
                return QueueMatch::Known(s.clone());
            }
            let decoded = plus::decode(logged);
            let chosen = candidates
                .iter()
                .find(|c| same(c, &decoded))
                .unwrap_or(&candidates[0])
                .clone();
            QueueMatch::Ambiguous { chosen, candidates }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_compare_as_iis_does() {
        assert!(same("DefaultAppPool", "defaultapppool"));
        assert!(same("ÄÖÜ Pool", "äöü pool"));
        assert!(same("결제 풀", "결제 풀"));
        assert!(!same("결제 풀", "결제풀"));
        assert!(!same("A B", "A+B"));
    }

    #[test]
    fn queue_names_resolve_to_known_pools() {
        let k = known(&[
            "DefaultAppPool",
            "Classic .NET AppPool",
            "Shop+Cart Pool",
            "결제 풀 #2",
            "Tab\tPool",
        ]);
        let q = |logged: &str| resolve_queue(logged, &k, None);
        assert_eq!(
            q("Classic+.NET+AppPool"),
            QueueMatch::Known("Classic .NET AppPool".into())
        );
        assert_eq!(
            q("CLASSIC+.NET+APPPOOL"),
            QueueMatch::Known("Classic .NET AppPool".into())
        );
        assert_eq!(
            q("Shop+Cart+Pool"),
            QueueMatch::Known("Shop+Cart Pool".into())
        );
        assert_eq!(q("결제+풀+#2"), QueueMatch::Known("결제 풀 #2".into()));
        assert_eq!(q("Tab+Pool"), QueueMatch::Known("Tab\tPool".into()));
        assert_eq!(
            q("DefaultAppPool"),
            QueueMatch::Known("DefaultAppPool".into())
        );
        // Unknown: the decoded reading.
        assert_eq!(
            q("Reports+Pool"),
            QueueMatch::Unknown("Reports Pool".into())
        );
        assert_eq!(q("Reports+Pool").name(), "Reports Pool");
    }

    #[test]
    fn ambiguous_queue_names() {
        let k = known(&["A B", "A+B"]);
        match resolve_queue("A+B", &k, None) {
            QueueMatch::Ambiguous { chosen, candidates } => {
                assert_eq!(chosen, "A B");
                assert_eq!(candidates.len(), 2);
            }
            other => panic!("{other:?}"),
        }
        // The site's pool decides.
        assert_eq!(
            resolve_queue("A+B", &k, Some("a+b")),
            QueueMatch::Known("A+B".into())
        );
    }
}
