//! UTC dates of dump facts (unsigned Unix seconds): thin wrappers over `coroner_model::time`,
//! the one calendar implementation, and WinDbg's `Fri Aug 17 10:00:00 2001`.

/// (year, month 1-12, day, hour, minute, second, weekday 0=Sunday).
pub fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let t = signed(secs);
    let (y, m, d, hh, mm, ss) = coroner_model::time::civil(t);
    (y, m, d, hh, mm, ss, coroner_model::time::weekday(t))
}

/// Dump times are unsigned; past `i64::MAX` they saturate.
fn signed(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// `2001-08-17T10:00:00Z`: [`coroner_model::time::rfc3339`] of unsigned seconds.
pub fn rfc3339(secs: u64) -> String {
    coroner_model::time::rfc3339(signed(secs))
}

/// `Fri Aug 17 10:00:00 2001` (WinDbg's `lmv` timestamp, in UTC).
pub fn ctime(secs: u64) -> String {
    const WD: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MO: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s, wd) = civil(secs);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        WD[wd as usize % 7],
        MO[(mo as usize + 11) % 12],
        d,
        h,
        mi,
        s,
        y
    )
}

/// `1 day 02:03:04` style durations: [`coroner_model::time::duration_clock`] (an incident
/// report's durations are words instead, `coroner_model::time::duration_words`).
pub fn duration(secs: u64) -> String {
    coroner_model::time::duration_clock(secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(0x3b7d_8a00), "2001-08-17T21:17:52Z");
        assert_eq!(ctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
