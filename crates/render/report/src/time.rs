//! UTC dates without a time-zone database: Unix seconds to calendar fields (Howard Hinnant's
//! civil-from-days algorithm), formatted as RFC 3339 or as WinDbg's `Fri Aug 17 10:00:00 2001`.

/// (year, month 1-12, day, hour, minute, second, weekday 0=Sunday).
pub fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32, u32) {
    let t = i64::try_from(secs).unwrap_or(i64::MAX);
    let (y, m, d, hh, mm, ss) = coroner_model::time::civil(t);
    let wd = ((t.div_euclid(86_400) % 7 + 11) % 7) as u32; // 1970-01-01 was a Thursday (4)
    (y, m, d, hh, mm, ss, wd)
}

/// `2001-08-17T10:00:00Z`.
pub fn rfc3339(secs: u64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
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

/// `1 day 02:03:04` style durations.
pub fn duration(secs: u64) -> String {
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
