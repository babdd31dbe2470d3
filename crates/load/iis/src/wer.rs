//! Windows Error Reporting `Report.wer` files (UTF-16 `key=value` lines).

use serde::Serialize;
use std::path::PathBuf;

/// What a `Report.wer` says about one crash.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WerFile {
    pub file: PathBuf,
    pub event_type: Option<String>,
    /// Unix seconds UTC (from `EventTime`, a FILETIME).
    pub time: Option<i64>,
    pub app: Option<String>,
    /// From `AppSessionGuid` (its first group is the process id in hex).
    pub pid: Option<u32>,
    pub fault_module: Option<String>,
    pub exception_code: Option<u32>,
    pub report_id: Option<String>,
    /// `Sig[n].Name`/`Sig[n].Value` pairs.
    pub signature: Vec<(String, String)>,
}

fn decode(bytes: &[u8]) -> String {
    if let Some(b) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let u: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&u);
    }
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    String::from_utf8_lossy(b).into_owned()
}

/// Recognises a `Report.wer` by content.
pub fn sniff(head: &[u8]) -> bool {
    let t = decode(&head[..head.len().min(8192) & !1]);
    let t = t.trim_start();
    (t.starts_with("Version=") || t.starts_with("EventType="))
        && (t.contains("\nEventType=") || t.starts_with("EventType="))
}

/// Parses a `Report.wer`.
pub fn parse(file: PathBuf, bytes: &[u8]) -> WerFile {
    let text = decode(bytes);
    let mut w = WerFile {
        file,
        ..WerFile::default()
    };
    let mut names: Vec<(u32, String)> = Vec::new();
    let mut values: Vec<(u32, String)> = Vec::new();
    for line in text.lines().take(100_000) {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().to_string();
        match k.trim() {
            "EventType" => w.event_type = Some(v),
            "EventTime" => {
                w.time = v
                    .parse::<u64>()
                    .ok()
                    .map(|ft| (ft / 10_000_000) as i64 - 11_644_473_600)
                    .filter(|t| *t > 0)
            }
            "AppSessionGuid" => {
                w.pid = v
                    .split('-')
                    .next()
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .filter(|p| *p != 0)
            }
            "ReportIdentifier" => w.report_id = Some(v),
            "AppName" if w.app.is_none() => w.app = Some(v),
            k => {
                if let Some(rest) = k.strip_prefix("Sig[") {
                    if let Some((n, field)) = rest.split_once("].") {
                        if let Ok(n) = n.parse::<u32>() {
                            match field {
                                "Name" => names.push((n, v)),
                                "Value" => values.push((n, v)),
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
    }
    for (n, val) in values {
        let name = names
            .iter()
            .find(|(i, _)| *i == n)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| format!("P{}", n + 1));
        let lname = name.to_ascii_lowercase();
        if lname.contains("application name") && !val.is_empty() {
            w.app = Some(val.clone());
        } else if lname.contains("fault module name") {
            w.fault_module = Some(val.clone());
        } else if lname.contains("exception code") {
            w.exception_code = u32::from_str_radix(val.trim_start_matches("0x"), 16).ok();
        }
        w.signature.push((name, val));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_report() {
        let text = "Version=1\r\nEventType=APPCRASH\r\nEventTime=127871534210000000\r\nSig[0].Name=Application Name\r\nSig[0].Value=w3wp.exe\r\nSig[3].Name=Fault Module Name\r\nSig[3].Value=ntdll.dll\r\nSig[6].Name=Exception Code\r\nSig[6].Value=c0000005\r\nAppSessionGuid=00000d54-0001-0000-0000-000000000000\r\n";
        let mut b = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        assert!(sniff(&b));
        let w = parse("Report.wer".into(), &b);
        assert_eq!(w.app.as_deref(), Some("w3wp.exe"));
        assert_eq!(w.pid, Some(0xd54));
        assert_eq!(w.exception_code, Some(0xc000_0005));
        assert_eq!(w.time, Some(1_142_679_821));
        assert!(!sniff(b"hello"));
    }
}
