//! Reading an upload: the request body (gzip `Content-Encoding`), the Breakpad/Crashpad
//! multipart form (the dump in `upload_file_minidump`, text annotations, a JSON `extra` part,
//! other file parts kept as attachments) or a Sentry raw body, and the dump itself (plain, or
//! gzip/xz/zstd recognised by magic). Everything is bounded: body and unpacked sizes, the
//! number of fields and attachments, the length of annotation values.

use bytes::Bytes;
use serde_json::{Map, Value};
use std::io::Read;

/// The most form fields one upload may have.
pub const MAX_FIELDS: usize = 1000;
/// The most attachments one upload may have.
pub const MAX_ATTACHMENTS: usize = 20;
/// The longest annotation value kept.
pub const MAX_VALUE: usize = 64 << 10;

/// Why an upload is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Reject {
    /// `413`: the body or the unpacked dump is over the limit.
    TooBig,
    /// `400 Discarded=<reason>`.
    Bad(String),
}

fn bad(reason: &str) -> Reject {
    Reject::Bad(reason.to_string())
}

/// A decoded upload.
#[derive(Debug, Default)]
pub struct Upload {
    pub dump: Bytes,
    pub annotations: Map<String, Value>,
    /// (form field name, client file name, content) — the file name is kept as data only.
    pub attachments: Vec<(String, Option<String>, Bytes)>,
}

impl Upload {
    /// The product version the client reported (`ver`, `Version`, `version`, `release`).
    pub fn version(&self) -> Option<String> {
        ["ver", "Version", "version", "release"]
            .iter()
            .find_map(|k| self.annotations.get(*k)?.as_str())
            .map(|s| s.chars().take(100).collect())
    }
}

/// Reads all of `r` up to `max` bytes; more is [`Reject::TooBig`].
fn read_bounded(r: impl Read, max: usize, what: &str) -> Result<Vec<u8>, Reject> {
    let mut out = Vec::new();
    r.take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| Reject::Bad(format!("bad {what} data")))?;
    if out.len() > max {
        return Err(Reject::TooBig);
    }
    Ok(out)
}

/// The request body with its `Content-Encoding` (none, `identity` or `gzip`) undone.
pub fn decode_body(encoding: Option<&str>, body: Bytes, max: usize) -> Result<Bytes, Reject> {
    match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("identity") => Ok(body),
        Some("gzip") | Some("x-gzip") => {
            let out = read_bounded(flate2::read::MultiGzDecoder::new(&body[..]), max, "gzip")?;
            Ok(Bytes::from(out))
        }
        Some(other) => Err(Reject::Bad(format!("unsupported Content-Encoding {other}"))),
    }
}

/// A dump as uploaded, unpacked when gzip/xz/zstd (by magic), which must then be a minidump.
pub fn unpack_dump(data: Bytes, max: usize) -> Result<Bytes, Reject> {
    let unpacked = if data.starts_with(&[0x1f, 0x8b]) {
        Bytes::from(read_bounded(
            flate2::read::MultiGzDecoder::new(&data[..]),
            max,
            "gzip",
        )?)
    } else if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Bytes::from(read_bounded(
            xz2::read::XzDecoder::new_multi_decoder(&data[..]),
            max,
            "xz",
        )?)
    } else if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let dec = zstd::stream::read::Decoder::new(&data[..]).map_err(|_| bad("bad zstd data"))?;
        Bytes::from(read_bounded(dec, max, "zstd")?)
    } else {
        data
    };
    if unpacked.is_empty() {
        return Err(bad("empty dump"));
    }
    if !unpacked.starts_with(b"MDMP") {
        return Err(bad("not a minidump"));
    }
    Ok(unpacked)
}

/// Parses a `multipart/form-data` body (`content_type` carries the boundary).
pub async fn parse_multipart(body: Bytes, content_type: &str) -> Result<Upload, Reject> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| bad("not multipart/form-data (no boundary)"))?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut up = Upload::default();
    let mut fields = 0usize;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| Reject::Bad(format!("malformed multipart: {e}")))?
    {
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(bad("too many form fields"));
        }
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(|f| f.chars().take(255).collect());
        let data = field
            .bytes()
            .await
            .map_err(|e| Reject::Bad(format!("malformed multipart: {e}")))?;
        add_field(&mut up, name, file_name, data)?;
    }
    if up.dump.is_empty() {
        return Err(bad("no upload_file_minidump part"));
    }
    Ok(up)
}

fn add_field(
    up: &mut Upload,
    name: String,
    file_name: Option<String>,
    data: Bytes,
) -> Result<(), Reject> {
    if name == "upload_file_minidump" {
        up.dump = data;
    } else if file_name.is_some() {
        if up.attachments.len() >= MAX_ATTACHMENTS {
            return Err(bad("too many attachments"));
        }
        up.attachments.push((name, file_name, data));
    } else if name == "extra" {
        match serde_json::from_slice::<Value>(&data) {
            Ok(Value::Object(m)) => {
                for (k, v) in m {
                    up.annotations.insert(k, v);
                }
            }
            _ => return Err(bad("extra part is not a JSON object")),
        }
    } else {
        let text = String::from_utf8_lossy(&data[..data.len().min(MAX_VALUE)]).into_owned();
        up.annotations.insert(name, Value::String(text));
    }
    Ok(())
}

/// A Sentry-style upload: a multipart form with `upload_file_minidump`, or the dump as the
/// raw body.
pub async fn parse_sentry(body: Bytes, content_type: Option<&str>) -> Result<Upload, Reject> {
    match content_type {
        Some(ct) if ct.to_ascii_lowercase().starts_with("multipart/") => {
            parse_multipart(body, ct).await
        }
        _ if body.is_empty() => Err(bad("empty body")),
        _ => Ok(Upload {
            dump: body,
            ..Upload::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn dumps_are_unpacked_by_magic_and_must_be_minidumps() {
        let dump = b"MDMP\x93\xa7rest of a dump".to_vec();
        assert_eq!(
            unpack_dump(Bytes::from(dump.clone()), 1 << 20).unwrap(),
            dump
        );
        let gz = Bytes::from(gzip(&dump));
        assert_eq!(unpack_dump(gz, 1 << 20).unwrap(), dump);
        let zst = zstd::encode_all(&dump[..], 1).unwrap();
        assert_eq!(unpack_dump(Bytes::from(zst), 1 << 20).unwrap(), dump);
        let mut xz = xz2::write::XzEncoder::new(Vec::new(), 1);
        xz.write_all(&dump).unwrap();
        assert_eq!(
            unpack_dump(Bytes::from(xz.finish().unwrap()), 1 << 20).unwrap(),
            dump
        );
        let e = unpack_dump(Bytes::from_static(b"PK\x03\x04zip"), 1 << 20).unwrap_err();
        assert_eq!(e, Reject::Bad("not a minidump".into()));
    }

    #[test]
    fn a_gzip_bomb_is_too_big_and_bad_gzip_is_discarded() {
        let bomb = Bytes::from(gzip(&vec![0u8; 4 << 20]));
        assert_eq!(
            decode_body(Some("gzip"), bomb, 1 << 20),
            Err(Reject::TooBig)
        );
        let e = decode_body(
            Some("gzip"),
            Bytes::from_static(b"\x1f\x8bnot gzip"),
            1 << 20,
        );
        assert_eq!(e, Err(Reject::Bad("bad gzip data".into())));
        let e = decode_body(Some("br"), Bytes::new(), 10).unwrap_err();
        assert_eq!(e, Reject::Bad("unsupported Content-Encoding br".into()));
    }

    #[tokio::test]
    async fn a_form_gives_dump_annotations_extra_and_attachments() {
        let b = "XyZ";
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"prod\"\r\n\r\nApp\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"extra\"\r\nContent-Type: application/json\r\n\r\n{{\"ver\":\"1.2\",\"n\":3}}\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"log\"; filename=\"../../etc/passwd\"\r\n\r\nlog text\r\n\
             --{b}\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"; filename=\"a.dmp\"\r\nContent-Type: application/octet-stream\r\n\r\nMDMPxx\r\n\
             --{b}--\r\n"
        );
        let up = parse_multipart(
            Bytes::from(body),
            &format!("multipart/form-data; boundary={b}"),
        )
        .await
        .unwrap();
        assert_eq!(&up.dump[..], b"MDMPxx");
        assert_eq!(up.annotations["prod"], "App");
        assert_eq!(up.version().as_deref(), Some("1.2"));
        assert_eq!(up.annotations["n"], 3);
        assert_eq!(up.attachments.len(), 1);
        assert_eq!(up.attachments[0].1.as_deref(), Some("../../etc/passwd"));

        let none = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"prod\"\r\n\r\nApp\r\n--{b}--\r\n"
        );
        let ct = format!("multipart/form-data; boundary={b}");
        let e = parse_multipart(Bytes::from(none), &ct).await.unwrap_err();
        assert_eq!(e, Reject::Bad("no upload_file_minidump part".into()));
    }
}
