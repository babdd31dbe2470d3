//! `--lang`: the report language, from the flag, else the environment — `LC_ALL`, `LC_MESSAGES`,
//! `LANG` as POSIX orders them; on Windows the user's UI language.

use coroner_report::phrase::Lang;

/// The language the flag names, else the one the user's environment asks for.
pub fn choose(flag: Option<Lang>) -> Lang {
    flag.or_else(from_env).unwrap_or_default()
}

fn from_env() -> Option<Lang> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find_map(|v| Lang::from_locale(&v))
        .or_else(windows_ui_language)
}

#[cfg(windows)]
fn windows_ui_language() -> Option<Lang> {
    // kernel32 is linked into every Windows program; one function does not warrant a crate.
    #[link(name = "kernel32")]
    extern "system" {
        fn GetUserDefaultUILanguage() -> u16;
    }
    // SAFETY: no arguments, no pointers; documented to always succeed.
    Some(Lang::from_windows_langid(unsafe {
        GetUserDefaultUILanguage()
    }))
}

#[cfg(not(windows))]
fn windows_ui_language() -> Option<Lang> {
    None
}

/// clap's parser for `--lang`.
pub fn parse(s: &str) -> Result<Lang, String> {
    s.parse::<Lang>().map_err(|e| e.to_string())
}
