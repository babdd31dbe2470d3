//! Where dumps and attachments are kept: a local directory (embedded mode, or `--store DIR`) or
//! an S3-compatible bucket (`--store s3://bucket/prefix`, with the `s3` feature), through the
//! `object_store` crate. Object names are made from the crash's UUID only: upload file names
//! never reach the filesystem.

use crate::{Config, ServeError};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, PutPayload};
use std::path::PathBuf;
use std::sync::Arc;

/// The dump store.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// The directory behind a local store (dumps are analysed in place from it).
    local: Option<PathBuf>,
}

fn store_err(e: object_store::Error) -> ServeError {
    ServeError::Store(e.to_string())
}

/// The object name of a crash's dump.
pub fn dump_name(id: &uuid::Uuid) -> String {
    format!("dumps/{id}.dmp")
}

/// The object name of a crash's `n`th attachment.
pub fn attachment_name(id: &uuid::Uuid, n: usize) -> String {
    format!("attachments/{id}/{n}")
}

impl Blobs {
    /// The store `config` names (`DIR/dumps` under `--data` by default).
    pub fn open(config: &Config) -> Result<Self, ServeError> {
        match config.store.as_deref() {
            None => Self::local(config.data.join("store")),
            Some(s) if s.starts_with("s3://") => Self::s3(s),
            Some(s) if s.contains("://") => Err(ServeError::Config(format!(
                "--store {s}: expected a directory or s3://bucket/prefix"
            ))),
            Some(dir) => Self::local(PathBuf::from(dir)),
        }
    }

    fn local(dir: PathBuf) -> Result<Self, ServeError> {
        std::fs::create_dir_all(dir.join("dumps")).map_err(|source| ServeError::Io {
            path: dir.clone(),
            source,
        })?;
        let store = LocalFileSystem::new_with_prefix(&dir).map_err(store_err)?;
        Ok(Blobs {
            store: Arc::new(store),
            local: Some(dir),
        })
    }

    #[cfg(feature = "s3")]
    fn s3(url: &str) -> Result<Self, ServeError> {
        let rest = &url["s3://".len()..];
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let s3 = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(store_err)?;
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
        };
        Ok(Blobs { store, local: None })
    }

    #[cfg(not(feature = "s3"))]
    fn s3(url: &str) -> Result<Self, ServeError> {
        Err(ServeError::Config(format!(
            "--store {url}: this coroner was built without S3 support (build coroner-server \
             with the `s3` feature), use a directory"
        )))
    }

    pub async fn put(&self, name: &str, bytes: bytes::Bytes) -> Result<(), ServeError> {
        self.store
            .put(&ObjPath::from(name), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(store_err)
    }

    pub async fn get(&self, name: &str) -> Result<bytes::Bytes, ServeError> {
        let r = self
            .store
            .get(&ObjPath::from(name))
            .await
            .map_err(store_err)?;
        r.bytes().await.map_err(store_err)
    }

    /// Stores a file as an object without reading it into memory: moved into a local store
    /// (copied when on another filesystem), streamed in parts to an object store.
    pub async fn put_file(&self, name: &str, file: tempfile::TempPath) -> Result<(), ServeError> {
        let io = |path: &std::path::Path| {
            let path = path.to_path_buf();
            move |source| ServeError::Io { path, source }
        };
        if let Some(dest) = self.local_path(name) {
            // The folder usually exists (dumps/): made only when the move finds it missing.
            let file = match file.persist(&dest) {
                Ok(()) => return Ok(()),
                Err(e) if e.error.kind() == std::io::ErrorKind::NotFound => {
                    if let Some(dir) = dest.parent() {
                        tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
                    }
                    match e.path.persist(&dest) {
                        Ok(()) => return Ok(()),
                        Err(e) => e.path,
                    }
                }
                Err(e) => e.path,
            };
            tokio::fs::copy(&file, &dest).await.map_err(io(&dest))?;
            return Ok(());
        }
        let mut src = tokio::fs::File::open(&file).await.map_err(io(&file))?;
        let mut w = object_store::buffered::BufWriter::new(self.store.clone(), ObjPath::from(name));
        let copied = tokio::io::copy(&mut src, &mut w).await;
        let done = match copied {
            Ok(_) => tokio::io::AsyncWriteExt::shutdown(&mut w).await,
            Err(e) => Err(e),
        };
        done.map_err(|e| ServeError::Store(format!("{name}: {e}")))
    }

    /// Deletes an object; one already gone is no error.
    pub async fn delete(&self, name: &str) -> Result<(), ServeError> {
        match self.store.delete(&ObjPath::from(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_err(e)),
        }
    }

    /// The names of the objects under `prefix` (`symbols/`), at most `limit`.
    pub async fn list(&self, prefix: &str, limit: usize) -> Result<Vec<String>, ServeError> {
        use futures_util::StreamExt;
        let prefix = ObjPath::from(prefix);
        let mut stream = self.store.list(Some(&prefix)).take(limit);
        let mut out = Vec::new();
        while let Some(meta) = stream.next().await {
            out.push(meta.map_err(store_err)?.location.to_string());
        }
        Ok(out)
    }

    /// The file behind an object of a local store.
    pub fn local_path(&self, name: &str) -> Option<PathBuf> {
        self.local.as_ref().map(|d| d.join(name))
    }
}
