//! Small, allocation-free time helpers (no calendar crate needed for UTC timestamps).

pub(crate) use coroner_model::time::days_from_civil;

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parses an ISO 8601 UTC time as Windows writes it in event XML
/// (`2016-09-20T15:42:23.1234567Z`, also without fraction, with `+hh:mm`, or with a space
/// instead of `T`). Returns (Unix seconds, nanoseconds).
pub(crate) fn parse_iso8601(s: &str) -> Option<(i64, u32)> {
    let b = s.trim().as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[10] != b'T' && b[10] != b' ' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut scale = 1_000_000_000u64;
        let mut acc = 0u64;
        for &c in &frac[..n.min(9)] {
            scale /= 10;
            acc += u64::from(c - b'0') * scale;
        }
        nanos = acc as u32;
        rest = &frac[n..];
    }
    let mut offset = 0i64;
    match rest {
        [] | [b'Z'] | [b'z'] => {}
        [sign @ (b'+' | b'-'), hh1, hh2, b':', mm1, mm2]
        | [sign @ (b'+' | b'-'), hh1, hh2, mm1, mm2] => {
            let h = digits(&[*hh1, *hh2])?;
            let m = digits(&[*mm1, *mm2])?;
            offset = i64::from(h * 3600 + m * 60);
            if *sign == b'-' {
                offset = -offset;
            }
        }
        _ => return None,
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset;
    Some((secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use coroner_model::time::civil_from_days;

    #[test]
    fn round_trip() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_iso8601("2016-09-20T15:42:23.1234567Z"),
            Some((1_474_386_143, 123_456_700))
        );
        assert_eq!(
            parse_iso8601("2016-09-20T17:42:23+02:00"),
            Some((1_474_386_143, 0))
        );
        assert_eq!(parse_iso8601("2016-13-20T15:42:23Z"), None);
        assert_eq!(parse_iso8601("garbage"), None);
        for days in [-800_000i64, -1, 0, 59, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
