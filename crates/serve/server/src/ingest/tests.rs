use super::*;
use std::io::Write;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn inc(dir: &tempfile::TempDir, max: u64) -> Incoming {
    Incoming {
        dir: dir.path().to_path_buf(),
        max,
    }
}

/// A body sent in 1000-byte chunks.
fn body(data: Vec<u8>) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let chunks: Vec<_> = data
        .chunks(1000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures_util::stream::iter(chunks)
}

fn temp_with(dir: &tempfile::TempDir, data: &[u8]) -> TempPath {
    let mut f = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
    f.write_all(data).unwrap();
    f.into_temp_path()
}

fn unpack(data: &[u8], max: u64) -> Result<Vec<u8>, Reject> {
    let dir = tempfile::tempdir().unwrap();
    let d = unpack_dump(temp_with(&dir, data), &inc(&dir, max))?;
    assert_eq!(d.size, std::fs::metadata(&d.file).unwrap().len());
    Ok(std::fs::read(&d.file).unwrap())
}

fn files_in(dir: &tempfile::TempDir) -> usize {
    std::fs::read_dir(dir.path()).unwrap().count()
}

#[test]
fn dumps_are_unpacked_by_magic_and_must_be_minidumps() {
    let dump = b"MDMP\x93\xa7rest of a dump".to_vec();
    assert_eq!(unpack(&dump, 1 << 20).unwrap(), dump);
    assert_eq!(unpack(&gzip(&dump), 1 << 20).unwrap(), dump);
    let zst = zstd::encode_all(&dump[..], 1).unwrap();
    assert_eq!(unpack(&zst, 1 << 20).unwrap(), dump);
    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 1);
    xz.write_all(&dump).unwrap();
    assert_eq!(unpack(&xz.finish().unwrap(), 1 << 20).unwrap(), dump);
    let e = unpack(b"PK\x03\x04zip", 1 << 20).unwrap_err();
    assert_eq!(e, Reject::Bad("not a minidump".into()));
    assert_eq!(
        unpack(b"", 10).unwrap_err(),
        Reject::Bad("empty dump".into())
    );
}

#[test]
fn dump_bombs_are_too_big_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = b"MDMP".to_vec();
    big.resize(8 << 20, 0);
    let bomb = zstd::encode_all(&big[..], 3).unwrap();
    let e = unpack_dump(temp_with(&dir, &bomb), &inc(&dir, 1 << 20)).unwrap_err();
    assert_eq!(e, Reject::TooBig);
    assert_eq!(files_in(&dir), 0);
    let e = unpack(b"\x1f\x8bnot gzip", 1 << 20).unwrap_err();
    assert_eq!(e, Reject::Bad("bad gzip data".into()));
}

async fn drain(b: Body) -> Result<usize, std::io::Error> {
    b.try_fold(0, |n, c| async move { Ok(n + c.len()) }).await
}

#[tokio::test]
async fn a_gzip_body_bomb_is_too_big_and_bad_gzip_is_discarded() {
    let fault = Fault::default();
    let b = decode_body(
        Some("gzip"),
        body(gzip(&vec![0u8; 4 << 20])),
        1 << 20,
        &fault,
    );
    assert!(drain(b.unwrap()).await.is_err());
    assert_eq!(fault.take(), Some(Reject::TooBig));

    let fault = Fault::default();
    let b = decode_body(
        Some("gzip"),
        body(b"\x1f\x8bnot gzip".to_vec()),
        1 << 20,
        &fault,
    );
    assert!(drain(b.unwrap()).await.is_err());
    assert_eq!(fault.take(), Some(Reject::Bad("bad gzip data".into())));

    let ok = decode_body(Some("gzip"), body(gzip(b"hello")), 100, &fault).unwrap();
    assert_eq!(drain(ok).await.unwrap(), 5);
    let e = decode_body(Some("br"), body(Vec::new()), 10, &fault).err();
    assert_eq!(
        e,
        Some(Reject::Bad("unsupported Content-Encoding br".into()))
    );
}

#[tokio::test]
async fn a_form_gives_dump_annotations_extra_and_attachments() {
    let b = "XyZ";
    let form = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"prod\"\r\n\r\nApp\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"extra\"\r\nContent-Type: application/json\r\n\r\n{{\"ver\":\"1.2\",\"n\":3}}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"log\"; filename=\"../../etc/passwd\"\r\n\r\nlog text\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"; filename=\"a.dmp\"\r\nContent-Type: application/octet-stream\r\n\r\nMDMPxx\r\n\
         --{b}--\r\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let (ct, fault) = (
        format!("multipart/form-data; boundary={b}"),
        Fault::default(),
    );
    let raw = decode_body(None, body(form.into_bytes()), 1 << 20, &fault).unwrap();
    let up = parse_multipart(raw, &ct, &inc(&dir, 1 << 20), &fault)
        .await
        .unwrap();
    let dump = up.dump.as_ref().unwrap();
    assert_eq!(std::fs::read(dump).unwrap(), b"MDMPxx");
    assert_eq!(dump.parent(), Some(dir.path()));
    assert_eq!(up.annotations["prod"], "App");
    assert_eq!(up.version().as_deref(), Some("1.2"));
    assert_eq!(up.annotations["n"], 3);
    assert_eq!(up.attachments.len(), 1);
    assert_eq!(up.attachments[0].1.as_deref(), Some("../../etc/passwd"));
    assert_eq!(std::fs::read(&up.attachments[0].2).unwrap(), b"log text");
    assert_eq!(files_in(&dir), 2);
    drop(up);
    assert_eq!(
        files_in(&dir),
        0,
        "temporary files are removed with the upload"
    );

    let none =
        format!("--{b}\r\nContent-Disposition: form-data; name=\"prod\"\r\n\r\nApp\r\n--{b}--\r\n");
    let raw = decode_body(None, body(none.into_bytes()), 1 << 20, &fault).unwrap();
    let e = parse_multipart(raw, &ct, &inc(&dir, 1 << 20), &fault)
        .await
        .unwrap_err();
    assert_eq!(e, Reject::Bad("no upload_file_minidump part".into()));
}

#[tokio::test]
async fn a_dump_part_over_the_limit_is_too_big_and_removed() {
    let b = "XyZ";
    let mut form = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"; filename=\"a.dmp\"\r\n\r\nMDMP"
    )
    .into_bytes();
    form.resize(form.len() + (2 << 20), b'x');
    form.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let (ct, fault) = (
        format!("multipart/form-data; boundary={b}"),
        Fault::default(),
    );
    let raw = decode_body(None, body(form), 4 << 20, &fault).unwrap();
    let e = parse_multipart(raw, &ct, &inc(&dir, 1 << 20), &fault)
        .await
        .unwrap_err();
    assert_eq!(e, Reject::TooBig);
    assert_eq!(files_in(&dir), 0);
}

#[tokio::test]
async fn a_long_value_is_cut_and_a_header_that_never_ends_is_refused() {
    let b = "XyZ";
    let mut form =
        format!("--{b}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n").into_bytes();
    form.resize(form.len() + (2 << 20), b'n');
    form.extend_from_slice(
        format!(
            "\r\n--{b}\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"; filename=\"a\"\r\n\r\nMDMP\r\n--{b}--\r\n"
        )
        .as_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    let (ct, fault) = (
        format!("multipart/form-data; boundary={b}"),
        Fault::default(),
    );
    let raw = decode_body(None, body(form), 8 << 20, &fault).unwrap();
    let up = parse_multipart(raw, &ct, &inc(&dir, 8 << 20), &fault)
        .await
        .unwrap();
    assert_eq!(up.annotations["note"].as_str().unwrap().len(), MAX_VALUE);

    let mut endless = format!("--{b}\r\nContent-Disposition: form-data; name=\"x\"").into_bytes();
    endless.resize(endless.len() + (2 << 20), b'h');
    let raw = decode_body(None, body(endless), 8 << 20, &fault).unwrap();
    let e = parse_multipart(raw, &ct, &inc(&dir, 8 << 20), &fault)
        .await
        .unwrap_err();
    let want = "multipart preamble or part headers too large";
    assert_eq!(e, Reject::Bad(want.into()));
}

#[tokio::test]
async fn a_server_side_failure_is_not_blamed_on_the_upload() {
    let inc = Incoming {
        dir: "/nonexistent/coroner-incoming".into(),
        max: 10,
    };
    let bad_upload = |e: std::io::Error| Reject::Bad(e.to_string());
    let e = save(body(b"MDMP".to_vec()), &inc, &Fault::default(), bad_upload)
        .await
        .unwrap_err();
    assert!(matches!(e, Reject::Server(_)), "{e:?}");
}
