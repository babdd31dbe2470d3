//! UTC times as Unix seconds: civil conversion, RFC 3339 and short formats, a serde wrapper.

use serde::{Serialize, Serializer};

pub use coroner_model::time::{civil, days_from_civil, from_civil, rfc3339};

/// `2006-03-14 10:23:41` (UTC, for tables).
pub fn short(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// `10:23:41`.
pub fn hms(t: i64) -> String {
    let (_, _, _, h, mi, s) = civil(t);
    format!("{h:02}:{mi:02}:{s:02}")
}

/// `22 min 3 s`, `1 h 5 min`, `41 s`: [`coroner_model::time::duration_words`] (a dump report's
/// durations are clocks instead, `coroner_model::time::duration_clock`).
pub fn duration(secs: i64) -> String {
    coroner_model::time::duration_words(secs)
}

/// `+5 s` / `-2 s` for a time difference.
pub fn delta(secs: i64) -> String {
    if secs >= 0 {
        format!("+{secs} s")
    } else {
        format!("{secs} s")
    }
}

/// A UTC time, serialised as RFC 3339.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&rfc3339(self.0))
    }
}

impl std::fmt::Display for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&short(self.0))
    }
}

/// `0x…` for a code.
pub fn code(v: u32) -> String {
    format!("0x{v:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn round_trip() {
        let t = 1_142_331_821;
        assert_eq!(rfc3339(t), "2006-03-14T10:23:41Z");
        assert_eq!(from_civil(2006, 3, 14, 10, 23, 41), Some(t));
        assert_eq!(duration(22 * 60 + 3), "22 min 3 s");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
