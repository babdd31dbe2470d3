//! Reading an upload as it streams in: the request body (gzip `Content-Encoding` undone on the
//! fly), the Breakpad/Crashpad multipart form (the dump in `upload_file_minidump`, text
//! annotations, a JSON `extra` part, other file parts kept as attachments) or a Sentry raw body,
//! and the dump itself (plain, or gzip/xz/zstd recognised by magic). Nothing is held whole in
//! memory: file parts go to temporary files under `DIR/incoming` (random names, never the
//! client's), compressed dumps are unpacked from there to another temporary file, and every
//! size is checked while streaming. Bounded too: the number of fields and attachments, the
//! length of annotation values, the `extra` part and all annotations together.

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use serde_json::{Map, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

/// The most form fields one upload may have.
pub const MAX_FIELDS: usize = 1000;
/// The most attachments one upload may have.
pub const MAX_ATTACHMENTS: usize = 20;
/// The longest annotation value kept (longer ones are cut).
pub const MAX_VALUE: usize = 64 << 10;
/// The most bytes of annotation values one upload may keep, all fields together.
pub const MAX_ANNOTATIONS: usize = 1 << 20;
/// The largest `extra` JSON part.
pub const MAX_EXTRA: usize = 1 << 20;
/// The most bytes read outside of the parts' data (preamble, boundaries, part headers).
pub const MAX_OUTSIDE: u64 = 1 << 20;
/// Read and write buffer of the streaming steps.
const BUF: usize = 64 << 10;

/// Why an upload is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Reject {
    /// `413`: the body or the unpacked dump is over the limit.
    TooBig,
    /// `400 Discarded=<reason>`.
    Bad(String),
    /// `500`: the server could not keep the upload (a full disk…); the client should retry.
    Server(String),
}

fn bad(reason: &str) -> Reject {
    Reject::Bad(reason.to_string())
}

/// The first failure met by the body stream (over the limit, unreadable, bad gzip), which the
/// multipart parser only sees as "the stream failed".
#[derive(Clone, Default)]
pub struct Fault(Arc<Mutex<Option<Reject>>>);

impl Fault {
    fn set(&self, r: Reject) {
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none() {
            *g = Some(r);
        }
    }
    fn take(&self) -> Option<Reject> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
    /// The failure recorded by the stream, else `otherwise`.
    pub fn or(&self, otherwise: Reject) -> Reject {
        self.take().unwrap_or(otherwise)
    }
}

/// A body as a stream of chunks.
pub type Body = futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>;

/// Where an upload's files go while it is read, and how large they may be.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// `DIR/incoming`.
    pub dir: PathBuf,
    /// Largest body (before and after `Content-Encoding`) and largest unpacked dump.
    pub max: u64,
}

/// A decoded upload: its files still in `DIR/incoming`, removed when dropped.
#[derive(Debug, Default)]
pub struct Upload {
    /// The dump part as uploaded (maybe compressed); see [`unpack_dump`].
    pub dump: Option<TempPath>,
    pub annotations: Map<String, Value>,
    /// (form field name, client file name, content) — the file name is kept as data only.
    pub attachments: Vec<(String, Option<String>, TempPath, u64)>,
    /// Bytes of annotation values kept so far.
    kept: usize,
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

/// `body` cut at `max` bytes (then [`Reject::TooBig`] in `fault`); a read error is recorded
/// as `what`.
fn bounded<S>(body: S, max: u64, fault: Fault, what: &'static str) -> Body
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
{
    let mut seen = 0u64;
    body.map(move |item| match item {
        Ok(b) => {
            seen += b.len() as u64;
            if seen > max {
                fault.set(Reject::TooBig);
                Err(std::io::Error::other("over the size limit"))
            } else {
                Ok(b)
            }
        }
        Err(e) => {
            fault.set(bad(what));
            Err(e)
        }
    })
    .boxed()
}

/// The request body, bounded, with its `Content-Encoding` (none, `identity` or `gzip`)
/// undone as it streams: the compressed and the decoded bytes are each cut at `max`.
pub fn decode_body<S, E>(
    encoding: Option<&str>,
    body: S,
    max: u64,
    fault: &Fault,
) -> Result<Body, Reject>
where
    S: Stream<Item = Result<Bytes, E>> + Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let raw = bounded(
        body.map_err(std::io::Error::other),
        max,
        fault.clone(),
        "the body could not be read",
    );
    let decoded = match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("identity") => raw,
        Some("gzip") | Some("x-gzip") => {
            let mut dec = async_compression::tokio::bufread::GzipDecoder::new(
                tokio_util::io::StreamReader::new(raw),
            );
            dec.multiple_members(true);
            let out = tokio_util::io::ReaderStream::with_capacity(dec, BUF);
            bounded(out, max, fault.clone(), "bad gzip data")
        }
        Some(other) => return Err(Reject::Bad(format!("unsupported Content-Encoding {other}"))),
    };
    Ok(Paced {
        inner: decoded,
        run: 0,
    }
    .boxed())
}

/// Bytes handed out by [`Paced`] before it pauses.
const BURST: usize = 256 << 10;

/// A stream that pauses (`Pending`, waking itself at once) after every [`BURST`] bytes it
/// handed out in a row. Written by hand because multer polls its stream until `Pending` and
/// buffers all it gets: a stream that is always ready (a gzip bomb decoding from what is
/// already received) would be buffered whole, however large.
struct Paced {
    inner: Body,
    run: usize,
}

impl Stream for Paced {
    type Item = std::io::Result<Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if self.run >= BURST {
            self.run = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let next = self.inner.poll_next_unpin(cx);
        match &next {
            Poll::Ready(Some(Ok(b))) => self.run += b.len(),
            Poll::Pending => self.run = 0,
            _ => {}
        }
        next
    }
}

fn io_bad(what: &str) -> impl FnOnce(std::io::Error) -> Reject + '_ {
    move |e| Reject::Server(format!("{what}: {e}"))
}

/// Writes a stream to a new temporary file in `inc.dir`, at most `inc.max` bytes; the file is
/// removed on any failure. Returns it and its size.
pub async fn save<S, E>(
    mut data: S,
    inc: &Incoming,
    fault: &Fault,
    malformed: impl Fn(E) -> Reject,
) -> Result<(TempPath, u64), Reject>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let (file, temp) = tempfile::Builder::new()
        .prefix("upload-")
        .tempfile_in(&inc.dir)
        .map_err(io_bad("storing the upload"))?
        .into_parts();
    let file = tokio::fs::File::from_std(file);
    let mut out = tokio::io::BufWriter::with_capacity(BUF, file);
    let mut size = 0u64;
    while let Some(chunk) = data.next().await {
        let chunk = chunk.map_err(|e| fault.take().unwrap_or_else(|| malformed(e)))?;
        size += chunk.len() as u64;
        if size > inc.max {
            return Err(Reject::TooBig);
        }
        out.write_all(&chunk)
            .await
            .map_err(io_bad("storing the upload"))?;
    }
    out.flush().await.map_err(io_bad("storing the upload"))?;
    Ok((temp, size))
}

/// Reads a field into memory, at most `max` bytes, and whether there was more.
async fn collect(
    field: &mut multer::Field<'_>,
    max: usize,
    fault: &Fault,
) -> Result<(Vec<u8>, bool), Reject> {
    let (mut out, mut over) = (Vec::new(), false);
    // Read to the end even past `max` (dropping the rest), so that the field is consumed
    // while the gate counts it as data.
    while let Some(chunk) = field.chunk().await.map_err(|e| malformed(e, fault))? {
        let room = max.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        over |= chunk.len() > room;
    }
    Ok((out, over))
}

/// Counts the bytes multer reads outside of the parts' data, where it buffers everything until
/// it finds a boundary or the end of a part's headers: past [`MAX_OUTSIDE`] the body is refused,
/// so a preamble or a header that never ends cannot fill memory. (multer has no such limit.)
#[derive(Clone, Default)]
struct Gate {
    in_field: Arc<AtomicBool>,
    outside: Arc<AtomicU64>,
}

impl Gate {
    fn wrap(&self, body: Body, fault: Fault) -> Body {
        let g = self.clone();
        body.map(move |item| {
            let b = item?;
            let n = b.len() as u64;
            if !g.in_field.load(Relaxed) && g.outside.fetch_add(n, Relaxed) + n > MAX_OUTSIDE {
                fault.set(bad("multipart preamble or part headers too large"));
                return Err(std::io::Error::other("multipart headers too large"));
            }
            Ok(b)
        })
        .boxed()
    }
    fn enter(&self) {
        self.outside.store(0, Relaxed);
        self.in_field.store(true, Relaxed);
    }
    fn leave(&self) {
        self.in_field.store(false, Relaxed);
    }
}

fn malformed(e: multer::Error, fault: &Fault) -> Reject {
    fault.or(Reject::Bad(format!("malformed multipart: {e}")))
}

/// Parses a `multipart/form-data` body (`content_type` carries the boundary) as it streams.
pub async fn parse_multipart(
    body: Body,
    content_type: &str,
    inc: &Incoming,
    fault: &Fault,
) -> Result<Upload, Reject> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| bad("not multipart/form-data (no boundary)"))?;
    let gate = Gate::default();
    let mut form = multer::Multipart::new(gate.wrap(body, fault.clone()), boundary);
    let mut up = Upload::default();
    let mut fields = 0usize;
    while let Some(field) = form.next_field().await.map_err(|e| malformed(e, fault))? {
        fields += 1;
        if fields > MAX_FIELDS {
            return Err(bad("too many form fields"));
        }
        gate.enter();
        add_field(&mut up, field, inc, fault).await?;
        gate.leave();
    }
    if up.dump.is_none() {
        return Err(bad("no upload_file_minidump part"));
    }
    Ok(up)
}

async fn add_field(
    up: &mut Upload,
    mut field: multer::Field<'_>,
    inc: &Incoming,
    fault: &Fault,
) -> Result<(), Reject> {
    let name = field
        .name()
        .unwrap_or("")
        .chars()
        .take(255)
        .collect::<String>();
    let file_name = field.file_name().map(|f| f.chars().take(255).collect());
    if name == "upload_file_minidump" {
        up.dump = Some(
            save(&mut field, inc, fault, |e| malformed(e, fault))
                .await?
                .0,
        );
    } else if file_name.is_some() {
        if up.attachments.len() >= MAX_ATTACHMENTS {
            return Err(bad("too many attachments"));
        }
        let (temp, size) = save(&mut field, inc, fault, |e| malformed(e, fault)).await?;
        up.attachments.push((name, file_name, temp, size));
    } else if name == "extra" {
        let (data, over) = collect(&mut field, MAX_EXTRA, fault).await?;
        if over {
            return Err(bad("extra part too large"));
        }
        match serde_json::from_slice::<Value>(&data) {
            Ok(Value::Object(m)) => {
                up.kept += data.len();
                up.annotations.extend(m);
            }
            _ => return Err(bad("extra part is not a JSON object")),
        }
    } else {
        let (data, _) = collect(&mut field, MAX_VALUE, fault).await?;
        up.kept += data.len() + name.len();
        up.annotations.insert(
            name,
            Value::String(String::from_utf8_lossy(&data).into_owned()),
        );
    }
    if up.kept > MAX_ANNOTATIONS {
        return Err(bad("annotations too large"));
    }
    Ok(())
}

/// A Sentry-style upload: a multipart form with `upload_file_minidump`, or the dump as the
/// raw body.
pub async fn parse_sentry(
    body: Body,
    content_type: Option<&str>,
    inc: &Incoming,
    fault: &Fault,
) -> Result<Upload, Reject> {
    if let Some(ct) = content_type.filter(|ct| ct.to_ascii_lowercase().starts_with("multipart/")) {
        return parse_multipart(body, ct, inc, fault).await;
    }
    let (temp, size) = save(body, inc, fault, |_| {
        fault.or(bad("the body could not be read"))
    })
    .await?;
    if size == 0 {
        return Err(bad("empty body"));
    }
    Ok(Upload {
        dump: Some(temp),
        ..Upload::default()
    })
}

/// A dump ready to store: its file, its size and its SHA-256 (hex).
#[derive(Debug)]
pub struct Dump {
    pub file: TempPath,
    pub size: u64,
    pub sha256: String,
}

/// The dump part as uploaded, unpacked when gzip/xz/zstd (by magic) into another temporary
/// file (at most `inc.max` bytes, streaming), which must then be a minidump. Blocking.
pub fn unpack_dump(uploaded: TempPath, inc: &Incoming) -> Result<Dump, Reject> {
    let open = || std::fs::File::open(&uploaded).map_err(io_bad("unpacking the dump"));
    let mut magic = [0u8; 6];
    let n = read_up_to(&mut open()?, &mut magic).map_err(io_bad("unpacking the dump"))?;
    let magic = &magic[..n];
    let (file, size, sha256) = match decoder(magic, open()?)? {
        None => {
            let (size, sha) = copy_hashed(open()?, std::io::sink(), u64::MAX, "dump")?;
            (uploaded, size, sha)
        }
        Some(r) => {
            let out = tempfile::Builder::new()
                .prefix("unpacked-")
                .tempfile_in(&inc.dir)
                .map_err(io_bad("unpacking the dump"))?;
            let what = compression_name(magic);
            let (size, sha) =
                copy_hashed(r, std::io::BufWriter::new(out.as_file()), inc.max, what)?;
            drop(uploaded);
            (out.into_temp_path(), size, sha)
        }
    };
    check_minidump(&file, size)?;
    Ok(Dump { file, size, sha256 })
}

/// A streaming decoder for a compressed dump (by its first bytes), `None` for a plain one.
fn decoder(magic: &[u8], f: std::fs::File) -> Result<Option<Box<dyn Read>>, Reject> {
    let f = std::io::BufReader::with_capacity(BUF, f);
    Ok(if magic.starts_with(&[0x1f, 0x8b]) {
        Some(Box::new(flate2::bufread::MultiGzDecoder::new(f)))
    } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Box::new(xz2::bufread::XzDecoder::new_multi_decoder(f)))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let d = zstd::stream::read::Decoder::with_buffer(f).map_err(|_| bad("bad zstd data"))?;
        Some(Box::new(d))
    } else {
        None
    })
}

fn compression_name(magic: &[u8]) -> &'static str {
    match magic.first() {
        Some(0x1f) => "gzip",
        Some(0xfd) => "xz",
        _ => "zstd",
    }
}

fn check_minidump(file: &Path, size: u64) -> Result<(), Reject> {
    if size == 0 {
        return Err(bad("empty dump"));
    }
    let mut f = std::fs::File::open(file).map_err(io_bad("unpacking the dump"))?;
    let mut head = [0u8; 4];
    let n = read_up_to(&mut f, &mut head).map_err(io_bad("unpacking the dump"))?;
    if &head[..n] != b"MDMP" {
        return Err(bad("not a minidump"));
    }
    Ok(())
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Copies `r` to `w` through SHA-256 with a fixed buffer, at most `max` bytes (more is
/// [`Reject::TooBig`]); a read error is bad `what` data.
fn copy_hashed(
    mut r: impl Read,
    mut w: impl Write,
    max: u64,
    what: &str,
) -> Result<(u64, String), Reject> {
    use sha2::Digest;
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; BUF];
    let mut size = 0u64;
    loop {
        let n = r
            .read(&mut buf)
            .map_err(|_| Reject::Bad(format!("bad {what} data")))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        if size > max {
            return Err(Reject::TooBig);
        }
        sha.update(&buf[..n]);
        w.write_all(&buf[..n])
            .map_err(io_bad("unpacking the dump"))?;
    }
    w.flush().map_err(io_bad("unpacking the dump"))?;
    Ok((size, crate::client::hex(&sha.finalize())))
}

#[cfg(test)]
mod tests;
