//! UTC calendar arithmetic shared by every stage (dump times, event logs, web logs, reports):
//! Howard Hinnant's `days_from_civil` / `civil_from_days`, exact for the proleptic Gregorian
//! calendar, so no time-zone database or calendar crate is needed for UTC timestamps; and the
//! one implementation of each format built on them (RFC 3339, durations) that other crates
//! wrap.

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Unix seconds of a civil UTC time, `None` when a field is out of range.
pub fn from_civil(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1601..=9999).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(
        days_from_civil(y, mo, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(s),
    )
}

/// `2006-03-14T10:23:41Z`.
pub fn rfc3339(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Weekday of Unix seconds (UTC), 0 = Sunday.
pub fn weekday(t: i64) -> u32 {
    ((t.div_euclid(86_400) % 7 + 11) % 7) as u32 // 1970-01-01 was a Thursday (4)
}

/// A duration in words for incident reports: `22 min 3 s`, `1 h 5 min`, `41 s`, `-2 s`
/// (seconds dropped from an hour up, and when zero from a minute up).
pub fn duration_words(secs: i64) -> String {
    let neg = secs < 0;
    let s = secs.unsigned_abs();
    let body = if s >= 3600 {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        if s.is_multiple_of(60) {
            format!("{} min", s / 60)
        } else {
            format!("{} min {} s", s / 60, s % 60)
        }
    } else {
        format!("{s} s")
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

/// A duration as a clock for dump reports: `02:03:04`, `1 day 02:03:04`, `3 days 00:00:10`.
pub fn duration_clock(secs: u64) -> String {
    let d = secs / 86_400;
    let h = (secs % 86_400) / 3600;
    let m = (secs % 3600) / 60;
    let s = secs % 60;
    if d > 0 {
        format!(
            "{d} day{} {h:02}:{m:02}:{s:02}",
            if d == 1 { "" } else { "s" }
        )
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// The date (year, month 1-12, day 1-31) of a count of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day, hour, minute, second) of Unix seconds (UTC).
pub fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let sod = t.rem_euclid(86_400);
    (
        y,
        m,
        d,
        (sod / 3600) as u32,
        ((sod / 60) % 60) as u32,
        (sod % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_dates() {
        for days in [-719_468i64, -1, 0, 1, 11_016, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(civil(0x3b7d_8a00), (2001, 8, 17, 21, 17, 52));
        assert_eq!(civil(-1), (1969, 12, 31, 23, 59, 59));
        assert_eq!(weekday(0), 4);
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(duration_words(22 * 60 + 3), "22 min 3 s");
        assert_eq!(duration_words(-120), "-2 min");
        assert_eq!(duration_clock(86_400 + 7384), "1 day 02:03:04");
        assert_eq!(duration_clock(7384), "02:03:04");
    }
}
