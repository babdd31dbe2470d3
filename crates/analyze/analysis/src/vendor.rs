//! Who to call: the vendor named by a module's version resource, when the strings there can be
//! trusted. Version resources of old third-party DLLs are often damaged — CompanyName can be
//! mojibake, control characters or random code points — while another field still names the
//! vendor. Each string is judged for plausibility ([`implausible`]) and the vendor is taken, in
//! this order, from the first field that yields a plausible name:
//!
//! 1. `CompanyName`;
//! 2. the holder named in `LegalCopyright` (`Copyright (C) 2001 Example Corp. All rights
//!    reserved.` → `Example Corp`, see [`copyright_holder`]);
//! 3. `ProductName` (a product, not a company, but what the user can search for);
//! 4. the Authenticode signer — never available here: signatures are not mapped into process
//!    memory, so a dump does not hold them, and reading them from `--images` files is not
//!    implemented. It is reported as unknown.
//!
//! When none is plausible the vendor is unknown: mojibake is never printed as a vendor.

use serde::Serialize;
use unicode_script::{Script, UnicodeScript};

/// Shortest and longest plausible vendor name, in characters.
const LENGTH: std::ops::RangeInclusive<usize> = 2..=120;

/// Which version-resource field named the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum VendorSource {
    /// `CompanyName`.
    CompanyName,
    /// The holder named in `LegalCopyright`.
    LegalCopyright,
    /// `ProductName`.
    ProductName,
}

impl VendorSource {
    /// The field's name as the version resource spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            VendorSource::CompanyName => "CompanyName",
            VendorSource::LegalCopyright => "LegalCopyright",
            VendorSource::ProductName => "ProductName",
        }
    }
}

/// A field passed over on the way to the vendor, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PassedOver {
    /// `CompanyName`, `LegalCopyright` or `ProductName`.
    pub field: &'static str,
    /// The raw value (`None`: the field is absent).
    pub value: Option<String>,
    /// Why it gave no vendor: `absent`, `names no holder`, or what makes it implausible.
    pub why: String,
}

/// The vendor chosen from a version resource.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Vendor {
    /// The vendor's name (`None`: unknown).
    pub name: Option<String>,
    /// The field it came from.
    pub source: Option<VendorSource>,
    /// The fields tried before it (all of them when the vendor is unknown).
    pub passed_over: Vec<PassedOver>,
}

impl PassedOver {
    /// Whether the field is a `LegalCopyright` that names no holder (rather than unreadable).
    pub fn names_no_holder(&self) -> bool {
        self.value.is_some() && self.why == NO_HOLDER
    }
}

/// Where a blamed module's vendor came from, or why it is unknown (worded by the phrasing
/// module from the vendor's source and the fields passed over).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// The module had been unloaded: its version resource is not in the dump.
    Unloaded,
    /// The image is not in the dump: no version resource strings.
    NoVersionResource,
    /// From the version resource's fields (`source`, `passed_over`).
    Fields,
}

impl Vendor {
    /// One line per field passed over: its raw value (escaped: control characters as
    /// `\u{1}`) and why it gave no vendor.
    pub fn reasons(&self) -> Vec<String> {
        self.passed_over
            .iter()
            .filter_map(|p| {
                let v = p.value.as_ref()?;
                Some(format!("{} {v:?}: {}", p.field, p.why))
            })
            .collect()
    }
}

const NO_HOLDER: &str = "names no holder";

/// Chooses the vendor: CompanyName, then the LegalCopyright holder, then ProductName.
pub fn choose(company: Option<&str>, copyright: Option<&str>, product: Option<&str>) -> Vendor {
    let mut v = Vendor::default();
    let tries: [(VendorSource, Option<&str>); 3] = [
        (VendorSource::CompanyName, company),
        (VendorSource::LegalCopyright, copyright),
        (VendorSource::ProductName, product),
    ];
    for (source, raw) in tries {
        let value = raw.map(str::trim).filter(|s| !s.is_empty());
        let found = match value {
            None => Err("absent".to_string()),
            Some(s) => match implausible(s) {
                Some(why) => Err(why),
                None if source == VendorSource::LegalCopyright => {
                    copyright_holder(s).ok_or_else(|| NO_HOLDER.to_string())
                }
                None => Ok(s.to_string()),
            },
        };
        match found {
            Ok(name) => {
                v.name = Some(name);
                v.source = Some(source);
                return v;
            }
            Err(why) => v.passed_over.push(PassedOver {
                field: source.as_str(),
                value: raw.map(str::to_string),
                why,
            }),
        }
    }
    v
}

/// Why `s` cannot be a vendor's name, or `None` when it is plausible: printable, of a sensible
/// length (2–120 characters), not mostly symbols, in one script (Latin may join one other:
/// Hangul with Han, Han with Hiragana/Katakana, Cyrillic, Greek, …), without control,
/// private-use, unassigned or replacement characters (an unpaired surrogate decodes to the
/// replacement character), and without the marks of a known mis-decoding (8-bit text read as
/// UTF-16, UTF-8 read as Latin-1, a byte-order mark read as text).
pub fn implausible(s: &str) -> Option<String> {
    let t = s.trim();
    let n = t.chars().count();
    if !LENGTH.contains(&n) {
        return Some(if n < *LENGTH.start() {
            "too short".into()
        } else {
            format!("too long ({n} characters)")
        });
    }
    if let Some(why) = misdecoded(t).or_else(|| t.chars().find_map(bad_char)) {
        return Some(why);
    }
    let visible = t.chars().filter(|c| !c.is_whitespace()).count();
    let alnum = t.chars().filter(|c| c.is_alphanumeric()).count();
    if t.chars().filter(|c| c.is_alphabetic()).count() < 2 || alnum * 2 < visible {
        return Some("mostly symbols, too few letters".into());
    }
    mixed_scripts(t)
}

/// A character no vendor's name holds.
fn bad_char(c: char) -> Option<String> {
    let u = c as u32;
    let what = if c == '\u{FFFD}' {
        "replacement character (undecodable bytes or an unpaired surrogate)"
    } else if c.is_control() {
        "control character"
    } else if (0xE000..=0xF8FF).contains(&u) || u >= 0xF_0000 {
        "private-use character"
    } else if (0xFDD0..=0xFDEF).contains(&u) || u & 0xFFFE == 0xFFFE || c == '\u{FEFF}' {
        "noncharacter"
    } else if c.script() == Script::Unknown {
        "unassigned code point"
    } else {
        return None;
    };
    Some(format!("{what} U+{u:04X}"))
}

/// The marks of a known mis-decoding.
fn misdecoded(t: &str) -> Option<String> {
    // Each character a pair of printable ASCII bytes: 8-bit text stored where UTF-16 belongs
    // (three characters at least: a real Han character is such a pair about one time in six).
    let pairs: Option<Vec<u8>> = t
        .chars()
        .map(|c| {
            let [lo, hi] = u16::try_from(c as u32).ok()?.to_le_bytes();
            ((0x20..0x7f).contains(&lo) && (0x20..0x7f).contains(&hi)).then_some([lo, hi])
        })
        .collect::<Option<Vec<[u8; 2]>>>()
        .map(|v| v.concat());
    if let Some(b) = pairs.filter(|b| b.len() >= 6) {
        return Some(format!(
            "8-bit text read as UTF-16 (its bytes read \"{}\")",
            String::from_utf8_lossy(&b).trim_end()
        ));
    }
    if ["ÿþ", "þÿ", "ï»¿"].iter().any(|bom| t.starts_with(bom)) {
        return Some("a byte-order mark read as text".into());
    }
    let cs: Vec<char> = t.chars().collect();
    if cs
        .windows(2)
        .any(|w| ('\u{C2}'..='\u{F4}').contains(&w[0]) && ('\u{A0}'..='\u{BF}').contains(&w[1]))
    {
        return Some("UTF-8 text read as Latin-1".into());
    }
    None
}

/// Scripts that write one language together (Latin may join any of them).
const FAMILIES: &[&[Script]] = &[
    &[Script::Han, Script::Hiragana, Script::Katakana],
    &[Script::Han, Script::Hangul],
    &[Script::Han, Script::Bopomofo],
];

/// Latin letters that real company names do not hold beside another script (Latin
/// Extended-B and the IPA block: `Ɔ`, `Ȥ`, `ɐ`).
fn rare_latin(c: char) -> bool {
    ('\u{180}'..='\u{2AF}').contains(&c)
}

/// A random mix of scripts: more than one non-Latin script outside one family, a combining
/// mark on a character that takes none, rare Latin letters beside another script, or letters
/// switching between Latin and another script three times or more.
fn mixed_scripts(t: &str) -> Option<String> {
    let mut others: Vec<Script> = Vec::new();
    let (mut prev, mut switches, mut rare) = (None::<bool>, 0, false);
    let mut last_letter: Option<Script> = None;
    for c in t.chars() {
        let sc = c.script();
        if sc == Script::Inherited {
            match last_letter {
                Some(Script::Han) | Some(Script::Hangul) | None => {
                    return Some(format!(
                        "combining mark U+{:04X} on a character that takes none",
                        c as u32
                    ))
                }
                _ => continue,
            }
        }
        if sc == Script::Common || !c.is_alphabetic() {
            last_letter = None;
            continue;
        }
        last_letter = Some(sc);
        let latin = sc == Script::Latin;
        rare |= rare_latin(c);
        if !latin && !others.contains(&sc) {
            others.push(sc);
        }
        if prev.is_some_and(|p| p != latin) {
            switches += 1;
        }
        prev = Some(latin);
    }
    let names = || {
        others
            .iter()
            .map(|s| s.full_name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let one_family = others.len() <= 1
        || FAMILIES
            .iter()
            .any(|f| others.iter().all(|s| f.contains(s)));
    if !one_family {
        return Some(format!("mixes the scripts {}", names()));
    }
    if !others.is_empty() && rare {
        return Some(format!("rare Latin letters mixed with {}", names()));
    }
    if switches >= 3 {
        return Some(format!(
            "letters switch between Latin and {} {switches} times",
            names()
        ));
    }
    None
}

/// The holder named in a copyright notice: `Copyright (C) 2001 Example Corp. All rights
/// reserved.`, `© Example Corp 2001` and `(c) 1999-2001 Example Corp` all give `Example Corp`.
/// The notice is cut at "All rights reserved" (and at `;` or a line break); the copyright
/// marks (`Copyright`, `Copr.`, `©`, `(C)`), years and year ranges, a leading "by" and
/// the punctuation between them are taken off both ends. `None` without a copyright mark or
/// when no plausible name remains.
pub fn copyright_holder(notice: &str) -> Option<String> {
    let lower = notice.to_lowercase();
    let marked = ["copyright", "copr.", "©", "(c)"]
        .iter()
        .any(|m| lower.contains(m));
    if !marked {
        return None;
    }
    let mut s = notice.split([';', '\n', '\r']).next().unwrap_or("");
    if let Some(i) = s.to_lowercase().find("all rights reserved") {
        s = s.get(..i).unwrap_or(s);
    }
    let mut s = s.trim();
    loop {
        let before = s;
        s = s.trim_start_matches(|c: char| c.is_whitespace() || ",.:-–".contains(c));
        s = strip_mark_prefix(s);
        s = s.trim_end_matches(|c: char| c.is_whitespace() || ",.:-–".contains(c));
        s = strip_year_suffix(s);
        if s == before {
            break;
        }
    }
    (implausible(s).is_none()).then(|| s.to_string())
}

/// `Copyright`, `Copr.`, `©`, `(C)`, `by`, or a year (range) at the start.
fn strip_mark_prefix(s: &str) -> &str {
    for m in ["copyright", "copr.", "©", "(c)", "by "] {
        if s.len() >= m.len() && s.is_char_boundary(m.len()) && s[..m.len()].eq_ignore_ascii_case(m)
        {
            return &s[m.len()..];
        }
    }
    let digits = s.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 4 || digits == 2 && s[2..].starts_with(['-', '–', ',']) {
        return &s[digits..];
    }
    s
}

/// A year (range) at the end: `2001`, `1999-2001`.
fn strip_year_suffix(s: &str) -> &str {
    let digits = s.chars().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits == 4 || digits == 2 {
        let rest = &s[..s.len() - digits];
        if rest.is_empty() || rest.ends_with([' ', '-', '–', ',', '(', '/']) {
            return rest.trim_end_matches(['(', '/']);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mojibake_is_implausible() {
        for (s, want) in [
            ("ƆƆ瘏Ȥÿ䯷̄", "combining mark"),
            ("Example\u{1} Corp", "control character U+0001"),
            ("\u{E000}\u{E001}\u{E002}\u{E003}", "private-use"),
            ("Exa\u{FFFD}mple Corp", "replacement character"),
            // "Example Corp" written as 8-bit text and read as UTF-16LE.
            (
                "硅浡汰⁥潃灲",
                "8-bit text read as UTF-16 (its bytes read \"Example Corp\")",
            ),
            // "Example" as UTF-16LE read as Latin-1: every other character a NUL.
            (
                "E\u{0}x\u{0}a\u{0}m\u{0}p\u{0}l\u{0}e\u{0}",
                "control character U+0000",
            ),
            ("ÿþE\u{0}x\u{0}", "byte-order mark"),
            ("ÿþExample", "byte-order mark"),
            ("MÃ¼ller GmbH", "UTF-8 text read as Latin-1"),
            ("Ƀɐ瘏ꙮ", "mixes the scripts"),
            ("ȤɆ瘏䯷", "rare Latin letters"),
            ("ab瘏cd䯷ef", "switch between Latin"),
            ("한글ひらがな", "mixes the scripts"),
            ("Пример Ελλάδα", "mixes the scripts"),
            ("#$%^&*()!", "mostly symbols"),
            ("1.0.0.1", "mostly symbols"),
            ("x", "too short"),
            ("\u{378}\u{379}abc", "unassigned"),
        ] {
            let why = implausible(s).unwrap_or_else(|| panic!("{s:?} judged plausible"));
            assert!(why.contains(want), "{s:?}: {why}");
        }
        assert!(implausible(&"A".repeat(121)).unwrap().contains("too long"));
    }

    #[test]
    fn real_names_in_any_script_are_plausible() {
        for s in [
            "Example Corp",
            "ABC Components Ltd.",
            "Microsoft Corporation",
            "(주)한글과컴퓨터",
            "株式会社ジャストシステム",
            "株式会社NTTデータ",
            "(주)LG전자",
            "联想(北京)有限公司",
            "ООО «Лаборатория Касперского»",
            "Müller & Söhne GmbH",
            "Société Générale S.A.",
            "Ελληνικά Πετρέλαια Α.Ε.",
            "3Com Corporation",
            "AO Kaspersky Lab",
            "パナソニック株式会社",
            "Åke Nilsson AB",
        ] {
            assert_eq!(implausible(s), None, "{s:?}");
        }
    }

    #[test]
    fn copyright_notices_name_their_holder() {
        for (notice, holder) in [
            (
                "Copyright (C) 2001 Example Corp. All rights reserved.",
                "Example Corp",
            ),
            ("© Example Corp 2001", "Example Corp"),
            ("(c) 1999-2001 Example Corp", "Example Corp"),
            (
                "Copyright © 1998-2001, ABC Components Ltd.",
                "ABC Components Ltd",
            ),
            (
                "Copyright (c) Microsoft Corporation. All rights reserved.",
                "Microsoft Corporation",
            ),
            (
                "Copyright 2003 by Foo Bar GmbH; portions (c) Baz",
                "Foo Bar GmbH",
            ),
            (
                "Copyright (C) 1989-2010 (주)한글과컴퓨터",
                "(주)한글과컴퓨터",
            ),
            (
                "Copyright (C) Example Corp 1999-2001. All Rights Reserved.",
                "Example Corp",
            ),
            ("COPYRIGHT 2001 EXAMPLE CORP", "EXAMPLE CORP"),
        ] {
            assert_eq!(
                copyright_holder(notice).as_deref(),
                Some(holder),
                "{notice:?}"
            );
        }
        for notice in ["Freeware", "Copyright (C) 2001", "© ƆƆ瘏Ȥÿ䯷̄ 2001", ""] {
            assert_eq!(copyright_holder(notice), None, "{notice:?}");
        }
    }

    /// Each field passed over: its name, whether it had a value, whether that named no holder.
    fn passed_over(v: &Vendor) -> Vec<(&'static str, bool, bool)> {
        v.passed_over
            .iter()
            .map(|p| (p.field, p.value.is_some(), p.names_no_holder()))
            .collect()
    }

    #[test]
    fn the_vendor_falls_back_in_the_stated_order() {
        let v = choose(
            Some("ƆƆ瘏Ȥÿ䯷̄"),
            Some("Copyright (C) 2001 Example Corp. All rights reserved."),
            Some("Example Upload"),
        );
        assert_eq!(v.name.as_deref(), Some("Example Corp"));
        assert_eq!(v.source, Some(VendorSource::LegalCopyright));
        assert_eq!(v.passed_over.len(), 1);
        assert_eq!(v.passed_over[0].value.as_deref(), Some("ƆƆ瘏Ȥÿ䯷̄"));
        assert_eq!(v.passed_over[0].field, "CompanyName");
        assert!(!v.passed_over[0].names_no_holder());

        let v = choose(Some("Example Corp"), Some("© Other Inc"), None);
        assert_eq!(
            (v.name.as_deref(), v.source),
            (Some("Example Corp"), Some(VendorSource::CompanyName))
        );
        assert!(v.passed_over.is_empty());

        let v = choose(None, Some("Freeware"), Some("Example Upload"));
        assert_eq!(v.source, Some(VendorSource::ProductName));
        let passed = passed_over(&v);
        assert_eq!(
            passed,
            [
                ("CompanyName", false, false),
                ("LegalCopyright", true, true)
            ]
        );

        let v = choose(Some("\u{1}\u{2}\u{3}"), Some("\u{E000}\u{E001}"), None);
        assert_eq!((v.name.as_deref(), v.source), (None, None));
        assert_eq!(v.passed_over.len(), 3);
        let passed = passed_over(&v);
        assert_eq!(
            passed,
            [
                ("CompanyName", true, false),
                ("LegalCopyright", true, false),
                ("ProductName", false, false)
            ]
        );
        assert_eq!(
            v.reasons()[0],
            "CompanyName \"\\u{1}\\u{2}\\u{3}\": control character U+0001"
        );
    }
}
