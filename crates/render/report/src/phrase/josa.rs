//! Korean particles (조사) after a value. A particle's form follows the sound the word before
//! it ends in: 은/는, 이/가, 을/를, 과/와, (으)로. A phrase writes the written-out pair after a
//! value (`{addr}은(는)`), and [`particles`] picks the form the value takes: `03900010은`,
//! `0x1b34는`, `DefaultAppPool이`. Where the sound cannot be told from the text (an English
//! word whose reading is not certain, a symbol), the pair stays as written, the convention
//! Korean Windows itself uses. Written here because no maintained crate does this for mixed
//! Korean, Latin and hexadecimal text.

/// The pairs as written (either order), with the form after a final consonant, then the form
/// after a vowel.
const PAIRS: [(&str, &str, &str); 9] = [
    ("은(는)", "은", "는"),
    ("는(은)", "은", "는"),
    ("이(가)", "이", "가"),
    ("가(이)", "이", "가"),
    ("을(를)", "을", "를"),
    ("를(을)", "을", "를"),
    ("과(와)", "과", "와"),
    ("와(과)", "과", "와"),
    ("(으)로", "으로", "로"),
];

/// How a word ends when read aloud in Korean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Vowel,
    /// ㄹ: a consonant, but (으)로 takes 로 after it.
    Rieul,
    Consonant,
}

/// `s` with each written-out particle pair replaced by the form its preceding word takes.
pub fn particles(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some((at, pair, with, without)) = next_pair(rest) {
        out.push_str(&rest[..at]);
        let form = match (ending(&out), pair) {
            (None, _) => pair,
            (Some(Ending::Rieul), "(으)로") => without,
            (Some(Ending::Vowel), _) => without,
            (Some(_), _) => with,
        };
        out.push_str(form);
        rest = &rest[at + pair.len()..];
    }
    out.push_str(rest);
    out
}

/// The first written-out pair in `s`: its byte offset and forms.
fn next_pair(s: &str) -> Option<(usize, &'static str, &'static str, &'static str)> {
    PAIRS
        .iter()
        .filter_map(|&(pair, with, without)| s.find(pair).map(|at| (at, pair, with, without)))
        .min_by_key(|p| p.0)
}

/// How the text before a particle ends, past closing brackets and quotes; `None` when unsure.
fn ending(before: &str) -> Option<Ending> {
    let text = before.trim_end_matches([')', ']', '"', '\'', '’', '”', '»']);
    if COMPANIES.contains(&last_word(text.trim_end_matches('.'))) {
        return Some(Ending::Vowel);
    }
    let c = text.chars().next_back()?;
    if ('가'..='힣').contains(&c) {
        return Some(match (c as u32 - '가' as u32) % 28 {
            0 => Ending::Vowel,
            8 => Ending::Rieul,
            _ => Ending::Consonant,
        });
    }
    let word = last_word(text);
    if UNITS.contains(&word) {
        return Some(Ending::Vowel);
    }
    if c.is_ascii_digit() {
        return Some(digit(c));
    }
    if c.is_ascii_alphabetic() {
        // A file extension (`upload.asp`, `w3wp.exe`) is read letter by letter.
        let extension = text[..text.len() - word.len()].ends_with('.');
        return letter(c.to_ascii_lowercase(), hexadecimal(word) || extension);
    }
    None
}

/// The endings of vendors' names, all read ending in a vowel (엘티디, 잉크, 코프, 엘엘씨, 게엠베하).
const COMPANIES: [&str; 7] = ["Ltd", "Inc", "Corp", "Co", "LLC", "GmbH", "AG"];

/// Units read as 바이트 (`12 MB`: 메가바이트).
const UNITS: [&str; 9] = ["B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"];

/// The run of letters, digits, `_` and `` ` `` that ends `text`.
fn last_word(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '`')
        .last()
        .map_or(text.len(), |(i, _)| i);
    &text[start..]
}

/// A number written in hexadecimal (`0x1b34`, `7c82a150`, `ffffffff`ffffffff`), whose letters
/// are read by their names (에이, 비, 씨, 디, 이, 에프).
fn hexadecimal(word: &str) -> bool {
    let digits = word.strip_prefix("0x").unwrap_or(word);
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_hexdigit() || c == '`')
        && (word.starts_with("0x")
            || digits.len() >= 8
            || digits.chars().any(|c| c.is_ascii_digit() || c == '`'))
}

/// 영, 일, 이, 삼, 사, 오, 육, 칠, 팔, 구 (a number ending in 0 is read 십, 백, 천 or 만 too:
/// all end in a consonant).
fn digit(c: char) -> Ending {
    match c {
        '2' | '4' | '5' | '9' => Ending::Vowel,
        '1' | '7' | '8' => Ending::Rieul,
        _ => Ending::Consonant,
    }
}

/// A word's last letter. Read by its name (hexadecimal digits, file extensions), every letter
/// ends in a vowel but l, m, n, r (엘, 엠, 엔, 알). In other words only the letters whose reading
/// is certain count, since English words ending in k, p or t are read with a final consonant
/// (스택, 힙) or without one.
fn letter(c: char, by_name: bool) -> Option<Ending> {
    match c {
        'l' | 'r' => Some(Ending::Rieul),
        'm' | 'n' => Some(Ending::Consonant),
        _ if by_name => Some(Ending::Vowel),
        'a' | 'e' | 'i' | 'o' | 'u' | 'y' => Some(Ending::Vowel),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::particles;

    #[test]
    fn forms_follow_the_last_sound() {
        let cases = [
            ("대상 03900010은(는) 해제됨", "대상 03900010은 해제됨"),
            ("스레드 ID 0x1b34은(는)", "스레드 ID 0x1b34는"),
            ("주소 7c82a150이(가)", "주소 7c82a150이"),
            ("값 ffffffff`ffffffff을(를)", "값 ffffffff`ffffffff를"),
            ("풀 'DefaultAppPool'을(를)", "풀 'DefaultAppPool'을"),
            ("w3wp.exe이(가)", "w3wp.exe가"),
            ("ABCUpload4.dll(으)로", "ABCUpload4.dll로"),
            ("스레드 3개이(가) 기다립니다", "스레드 3개가 기다립니다"),
            (
                "힙 관리자(ntdll!RtlAllocateHeap+0x24)은(는)",
                "힙 관리자(ntdll!RtlAllocateHeap+0x24)는",
            ),
            ("프레임 1(foo!bar+0x10)은(는)", "프레임 1(foo!bar+0x10)은"),
            ("12 MB을(를) 차지", "12 MB를 차지"),
            ("덤프(으)로", "덤프로"),
            (
                "POST /upload/upload.asp은(는) 처리",
                "POST /upload/upload.asp는 처리",
            ),
            ("GET /a.xml(으)로", "GET /a.xml로"),
            (
                "스레드 1(ID 0xf8)와(과) 스레드 2",
                "스레드 1(ID 0xf8)과 스레드 2",
            ),
            ("1.08 GB(으)로 늘었습니다", "1.08 GB로 늘었습니다"),
            (
                "4.1.0.2(ABC Components Ltd.)이(가) 할당",
                "4.1.0.2(ABC Components Ltd.)가 할당",
            ),
            ("파일(으)로", "파일로"),
            ("목록(으)로", "목록으로"),
        ];
        for (written, read) in cases {
            assert_eq!(particles(written), read, "{written}");
        }
    }

    #[test]
    fn unsure_readings_keep_the_pair() {
        for s in ["Heap이(가)", "Some Widget.이(가)", "!이(가)", "이(가) 처음"] {
            assert_eq!(particles(s), s);
        }
    }
}
