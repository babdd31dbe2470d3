//! The client side of `coroner upload`: finds dumps in folders (by content), sends each the
//! way Crashpad does (multipart, gzip body) to `/submit?key=…&idempotent=1` — the server
//! answers an already-received dump (same SHA-256) with its first crash id — and keeps a
//! ledger of what was sent, so an interrupted run resumes without resending.

use sha2::Digest;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Why an upload could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Http(String),
}

/// What the server said about one dump.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    /// Stored (or already stored): the crash id.
    Accepted(String),
    /// Refused: status and body (`Discarded=…`).
    Refused(u16, String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ClientError + '_ {
    move |source| ClientError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether a file's first bytes are a minidump or a gzip/xz/zstd stream.
fn looks_like_dump(path: &Path) -> bool {
    let mut head = [0u8; 6];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    head.starts_with(b"MDMP")
        || head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0])
        || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
}

/// The files among `paths` (folders searched recursively) that `keep` accepts, sorted.
fn find_files(paths: &[PathBuf], keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
        } else if keep(&p) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The dumps among `paths` (folders searched recursively), sorted, by content.
pub fn find_dumps(paths: &[PathBuf]) -> Vec<PathBuf> {
    find_files(paths, looks_like_dump)
}

/// The incident evidence among `paths`, by content: event logs, IIS and HTTPERR logs, IIS
/// configuration and `Report.wer` files (what `coroner investigate` reads besides dumps).
pub fn find_incident_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    find_files(paths, |p| {
        let mut head = Vec::new();
        let read = std::fs::File::open(p).and_then(|f| f.take(64 << 10).read_to_end(&mut head));
        read.is_ok() && crate::incidents::kind_of(&head).is_some()
    })
}

/// Whether a file's first bytes are a Breakpad `.sym`, a PDB or a zip.
fn looks_like_symbols(path: &Path) -> bool {
    let mut head = [0u8; 24];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = &head[..n];
    head.starts_with(b"MODULE ")
        || head.starts_with(b"Microsoft C/C++ MSF 7.00")
        || head.starts_with(b"PK\x03\x04")
}

/// The symbol files among `paths`: files named are taken as they are, folders are searched
/// recursively for `.sym`, PDB and zip files (by content); sorted.
pub fn find_symbol_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = paths.iter().filter(|p| p.is_file()).cloned().collect();
    let mut stack: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                stack.extend(rd.flatten().map(|e| e.path()));
            }
        } else if looks_like_symbols(&p) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The body that sends one symbol file: a file at `name/ID/file` in a SymStore tree goes as a
/// zip of that one entry (the tree names a PDB that no crash on the server has asked for yet;
/// the server checks the ID against the file), any other file as it is.
pub fn symbol_body(path: &Path, data: Vec<u8>) -> Vec<u8> {
    let parts: Vec<String> = path
        .components()
        .rev()
        .take(3)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let in_tree = parts.len() == 3
        && parts[1].len() >= 9
        && parts[1].bytes().all(|b| b.is_ascii_hexdigit())
        && !data.starts_with(b"PK\x03\x04");
    if !in_tree {
        return data;
    }
    let name = format!("{}/{}/{}", parts[2], parts[1], parts[0]);
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let zipped = z
        .start_file(name, opts)
        .and_then(|_| z.write_all(&data).map_err(Into::into))
        .and_then(|_| z.finish());
    match zipped {
        Ok(c) => c.into_inner(),
        Err(_) => data,
    }
}

/// The SHA-256 of a file's bytes, hex.
pub fn sha256(data: &[u8]) -> String {
    hex(&sha2::Sha256::digest(data))
}

/// Bytes (a digest) as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Crashpad-shaped multipart body: annotations, then `upload_file_minidump`.
pub fn multipart(fields: &[(&str, &str)], dump: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("---MultipartBoundary-{}---", uuid::Uuid::new_v4().simple());
    let mut b = Vec::with_capacity(dump.len() + 512);
    for (k, v) in fields {
        let _ = write!(
            b,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        );
    }
    let _ = write!(
        b,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"; \
         filename=\"upload.dmp\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    b.extend_from_slice(dump);
    let _ = write!(b, "\r\n--{boundary}--\r\n");
    (format!("multipart/form-data; boundary={boundary}"), b)
}

/// Sends dumps to one server.
pub struct Uploader {
    agent: ureq::Agent,
    server: String,
    key: String,
}

impl Uploader {
    pub fn new(server: &str, key: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(600)))
            .build();
        Uploader {
            agent: ureq::Agent::new_with_config(config),
            server: server.trim_end_matches('/').to_string(),
            key: key.trim().to_string(),
        }
    }

    /// Uploads one dump (its bytes as read, with its file name as an annotation).
    pub fn upload(&self, data: &[u8], file_name: &str) -> Result<Sent, ClientError> {
        let (ct, body) = multipart(&[("coroner_file", file_name)], data);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&body)
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let gz = gz.finish().map_err(|e| ClientError::Http(e.to_string()))?;
        let url = format!("{}/submit?key={}&idempotent=1", self.server, self.key);
        let mut resp = self
            .agent
            .post(&url)
            .header("Content-Type", &ct)
            .header("Content-Encoding", "gzip")
            .send(&gz[..])
            .map_err(|e| ClientError::Http(format!("{}: {e}", self.server)))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        Ok(match text.strip_prefix("CrashID=bp-") {
            Some(id) if status == 200 => Sent::Accepted(id.trim().to_string()),
            _ => Sent::Refused(status, text.trim().to_string()),
        })
    }
}

impl Uploader {
    fn gzip(data: &[u8]) -> Result<Vec<u8>, ClientError> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data)
            .and_then(|_| gz.finish())
            .map_err(|e| ClientError::Http(e.to_string()))
    }

    /// Opens (or finds again) the incident of a file set on the server: its id and the
    /// SHA-256s of the files it already has.
    pub fn open_incident(
        &self,
        project: &str,
        set_sha: &str,
        host: Option<&str>,
        crashes: &[String],
    ) -> Result<(String, Vec<String>), ClientError> {
        let url = format!("{}/api/{project}/incidents?key={}", self.server, self.key);
        let body = serde_json::json!({ "set_sha": set_sha, "host": host, "crashes": crashes });
        let mut resp = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .map_err(|e| ClientError::Http(format!("{}: {e}", self.server)))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        match (status, v["id"].as_str()) {
            (200, Some(id)) => {
                let have = v["have"].as_array().into_iter().flatten();
                let have = have
                    .filter_map(|h| h.as_str().map(str::to_string))
                    .collect();
                Ok((id.to_string(), have))
            }
            _ => Err(ClientError::Http(format!(
                "{}: the incident was refused ({status}) {}",
                self.server,
                text.trim()
            ))),
        }
    }

    /// Sends one file of an incident (gzip-encoded).
    pub fn send_incident_file(
        &self,
        project: &str,
        incident: &str,
        data: &[u8],
        name: &str,
    ) -> Result<Sent, ClientError> {
        let gz = Self::gzip(data)?;
        let url = format!(
            "{}/api/{project}/incidents/{incident}/files?key={}",
            self.server, self.key
        );
        let mut resp = self
            .agent
            .put(&url)
            .query("name", name)
            .header("Content-Type", "application/octet-stream")
            .header("Content-Encoding", "gzip")
            .send(&gz[..])
            .map_err(|e| ClientError::Http(format!("{}: {e}", self.server)))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        Ok(match v["sha256"].as_str() {
            Some(sha) if status == 200 => Sent::Accepted(sha.to_string()),
            _ => Sent::Refused(status, text.trim().to_string()),
        })
    }

    /// Sends one symbol body ([`symbol_body`]) to `POST /api/symbols` with the admin token;
    /// the server's status and answer (JSON: what was stored, or the error).
    pub fn upload_symbols(&self, token: &str, body: &[u8]) -> Result<(u16, String), ClientError> {
        let url = format!("{}/api/symbols", self.server);
        let mut resp = self
            .agent
            .post(&url)
            .header("Authorization", &format!("Bearer {}", token.trim()))
            .header("Content-Type", "application/octet-stream")
            .send(body)
            .map_err(|e| ClientError::Http(format!("{}: {e}", self.server)))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        Ok((status, text.trim().to_string()))
    }
}

/// What was sent to which server: lines `server<TAB>sha256<TAB>crash id`.
pub struct Ledger {
    path: PathBuf,
    sent: HashMap<(String, String), String>,
}

impl Ledger {
    /// Reads the ledger (a missing file is an empty one).
    pub fn open(path: &Path) -> Result<Self, ClientError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(path)(e)),
        };
        let sent = text
            .lines()
            .filter_map(|l| {
                let mut f = l.split('\t');
                let (s, h, id) = (f.next()?, f.next()?, f.next()?);
                Some(((s.to_string(), h.to_string()), id.to_string()))
            })
            .collect();
        Ok(Ledger {
            path: path.to_path_buf(),
            sent,
        })
    }

    /// The crash id a dump was already sent as.
    pub fn get(&self, server: &str, sha: &str) -> Option<&str> {
        self.sent
            .get(&(server.to_string(), sha.to_string()))
            .map(String::as_str)
    }

    /// Records (appends) a sent dump.
    pub fn record(&mut self, server: &str, sha: &str, id: &str) -> Result<(), ClientError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io(&self.path))?;
        writeln!(f, "{server}\t{sha}\t{id}").map_err(io(&self.path))?;
        self.sent
            .insert((server.to_string(), sha.to_string()), id.to_string());
        Ok(())
    }
}
