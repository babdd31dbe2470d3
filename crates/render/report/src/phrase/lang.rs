//! The language of the words: English or Korean. Facts, ids, buckets and JSON never change with
//! it; only the sentences and headings the phrasing module and the renderers choose do.

use std::fmt;
use std::str::FromStr;

/// A report language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (the default, and the language of the JSON documents).
    #[default]
    En,
    /// Korean (한국어).
    Ko,
}

impl Lang {
    /// Every language, in the order `--help` lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// One phrase in every language, side by side: `lang.pick(english, korean)`. Every caller
    /// names both, so a missing Korean phrase is a compile error, never silent English.
    pub fn pick<T>(self, en: T, ko: T) -> T {
        match self {
            Lang::En => en,
            Lang::Ko => ko,
        }
    }

    /// The short code: `en`, `ko`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language a POSIX locale name asks for (`ko_KR.UTF-8`, `ko`, `en_US`, `C`): Korean for
    /// `ko…`, English for every other non-empty name; `None` for an empty name, so that the
    /// caller can try the next variable (`LC_ALL`, then `LC_MESSAGES`, then `LANG`).
    pub fn from_locale(name: &str) -> Option<Lang> {
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let lang = name.split(['_', '.', '@', '-']).next().unwrap_or("");
        Some(if lang.eq_ignore_ascii_case("ko") {
            Lang::Ko
        } else {
            Lang::En
        })
    }

    /// The language of a Windows LANGID (`GetUserDefaultUILanguage`): its primary language
    /// (low 10 bits) 0x12 is Korean.
    pub fn from_windows_langid(langid: u16) -> Lang {
        if langid & 0x3ff == 0x12 {
            Lang::Ko
        } else {
            Lang::En
        }
    }
}

/// An unknown language code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLang(pub String);

impl fmt::Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown language '{}' (choose en or ko)", self.0)
    }
}

impl std::error::Error for UnknownLang {}

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Lang::En),
            "ko" | "kor" | "korean" | "한국어" => Ok(Lang::Ko),
            other => Err(UnknownLang(other.to_string())),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_and_langids() {
        assert_eq!(Lang::from_locale("ko_KR.UTF-8"), Some(Lang::Ko));
        assert_eq!(Lang::from_locale("ko"), Some(Lang::Ko));
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_locale("C"), Some(Lang::En));
        assert_eq!(Lang::from_locale(""), None);
        assert_eq!(Lang::from_windows_langid(0x0412), Lang::Ko);
        assert_eq!(Lang::from_windows_langid(0x0409), Lang::En);
        assert_eq!("KO".parse::<Lang>(), Ok(Lang::Ko));
        assert!("fr".parse::<Lang>().is_err());
    }
}
