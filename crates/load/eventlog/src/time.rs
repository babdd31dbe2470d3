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

/// Parses a date and time as Event Viewer exports write them, in the exporting user's
/// format: `5/3/2018 10:15:02 AM` (US), `2018-05-03 오전 10:15:02` (Korean: 오전 AM, 오후 PM,
/// before the time), `2018-05-03 10:15:02` (24-hour), `03/05/2018 10:15:02` (day first, when
/// the first number cannot be a month). Returns (seconds as if UTC, nanoseconds): the time is
/// local and the text names no zone. Hand-written: no date crate reads 오전/오후, and the
/// formats are few.
pub(crate) fn parse_local(s: &str) -> Option<(i64, u32)> {
    let clean: String = s
        .chars()
        .filter(|c| !matches!(c, '\u{200e}' | '\u{200f}'))
        .collect();
    let (mut date, mut clock, mut pm) = (None, None, None);
    for tok in clean.split_whitespace() {
        let t = tok.to_ascii_lowercase();
        match t.as_str() {
            "am" | "a.m." | "오전" => pm = Some(false),
            "pm" | "p.m." | "오후" => pm = Some(true),
            _ if t.contains(':') => clock = Some(clock_of(&t)?),
            _ if date.is_none() => date = Some(date_of(&t)?),
            _ => return None,
        }
    }
    let (y, mo, d) = date?;
    let (mut h, mi, sec, nanos) = clock?;
    match pm {
        Some(true) if (1..12).contains(&h) => h += 12,
        Some(false) if h == 12 => h = 0,
        Some(_) if h == 0 || h > 12 => return None,
        _ => {}
    }
    let days = days_from_civil(i64::from(y), mo, d);
    Some((days * 86_400 + i64::from(h * 3600 + mi * 60 + sec), nanos))
}

/// `5/3/2018` (month first, or day first when the first number is above 12), `2018-05-03`,
/// `2018.05.03`.
fn date_of(t: &str) -> Option<(u32, u32, u32)> {
    let t = t.trim_end_matches('.');
    let parts: Vec<u32> = t
        .split(['/', '-', '.'])
        .map(|p| digits(p.as_bytes()))
        .collect::<Option<_>>()?;
    let [a, b, c] = parts[..] else { return None };
    let (y, mo, d) = if t.contains('/') {
        if a > 12 {
            (c, b, a)
        } else {
            (c, a, b)
        }
    } else {
        (a, b, c)
    };
    ((1601..=9999).contains(&y) && (1..=12).contains(&mo) && (1..=31).contains(&d))
        .then_some((y, mo, d))
}

/// `10:15:02`, `10:15`, `10:15:02.123`.
fn clock_of(t: &str) -> Option<(u32, u32, u32, u32)> {
    let (hms, frac) = t.split_once('.').unwrap_or((t, ""));
    let parts: Vec<u32> = hms
        .split(':')
        .map(|p| digits(p.as_bytes()))
        .collect::<Option<_>>()?;
    let (h, mi, sec) = match parts[..] {
        [h, m] => (h, m, 0),
        [h, m, s] => (h, m, s),
        _ => return None,
    };
    let nanos = if frac.is_empty() {
        0
    } else {
        let n = frac.len().min(9);
        digits(&frac.as_bytes()[..n])? * 10u32.pow(9 - n as u32)
    };
    (h <= 23 && mi <= 59 && sec <= 60).then_some((h, mi, sec, nanos))
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
        let t = 1_525_342_502; // 2018-05-03 10:15:02
        assert_eq!(parse_local("5/3/2018 10:15:02 AM"), Some((t, 0)));
        assert_eq!(parse_local("5/3/2018 10:15:02 PM"), Some((t + 43_200, 0)));
        assert_eq!(parse_local("2018-05-03 오전 10:15:02"), Some((t, 0)));
        assert_eq!(
            parse_local("2018-05-03 오후 10:15:02"),
            Some((t + 43_200, 0))
        );
        assert_eq!(
            parse_local("2018-05-03 오전 12:00:00"),
            Some((t - 36_902, 0))
        );
        assert_eq!(parse_local("2018-05-03 10:15:02"), Some((t, 0)));
        assert_eq!(
            parse_local("13/5/2018 10:15:02"),
            Some((t + 10 * 86_400, 0))
        );
        for bad in [
            "",
            "5/3/2018",
            "10:15:02",
            "2018-13-03 10:15:02",
            "5/3/2018 25:00:00",
            "오후 13:00:00 2018-05-03",
            "x 5/3/2018 1:00:00",
        ] {
            assert_eq!(parse_local(bad), None, "{bad}");
        }
        for days in [-800_000i64, -1, 0, 59, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
