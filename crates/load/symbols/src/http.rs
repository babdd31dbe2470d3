//! Downloads from HTTP(S) symbol servers (feature `http`): blocking `ureq` 3 with rustls, a
//! connect timeout and a total timeout per request (a server that accepts and never answers is
//! given up on when the total timeout passes), a size limit, and writes through a temporary file
//! so an interrupted download never leaves a truncated file in the cache.

use std::path::Path;
use std::time::Duration;

/// Outcome of one request.
#[derive(Debug)]
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) enum Fetch {
    /// Stored at the destination.
    Got,
    /// 404 / 410: the server does not have it.
    NotFound,
    /// Anything else (timeout, refused, 5xx, too large): the message says what.
    Failed(String),
}

#[cfg(feature = "http")]
pub(crate) struct Http {
    agent: ureq::Agent,
    max_bytes: u64,
}

#[cfg(feature = "http")]
impl Http {
    pub fn new(connect: Duration, total: Duration, max_bytes: u64) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(connect))
            .timeout_global(Some(total))
            .http_status_as_error(false)
            .user_agent("Microsoft-Symbol-Server/10.0.0.0 coroner")
            .max_redirects(5)
            .build();
        Http {
            agent: ureq::Agent::new_with_config(config),
            max_bytes,
        }
    }

    pub fn fetch(&self, url: &str, dest: &Path) -> Fetch {
        let mut resp = match self.agent.get(url).call() {
            Ok(r) => r,
            Err(ureq::Error::Timeout(t)) => return Fetch::Failed(format!("timed out ({t})")),
            Err(e) => return Fetch::Failed(e.to_string()),
        };
        let status = resp.status().as_u16();
        if status == 404 || status == 410 {
            return Fetch::NotFound;
        }
        if status != 200 {
            return Fetch::Failed(format!("HTTP {status}"));
        }
        let Some(dir) = dest.parent() else {
            return Fetch::Failed("bad destination".into());
        };
        if let Err(e) = std::fs::create_dir_all(dir) {
            return Fetch::Failed(format!("cannot create {}: {e}", dir.display()));
        }
        let tmp = dir.join(format!(".download-{}", std::process::id()));
        let result = (|| -> Result<(), String> {
            let mut f = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
            let mut reader = resp.body_mut().with_config().limit(self.max_bytes).reader();
            std::io::copy(&mut reader, &mut f).map_err(|e| e.to_string())?;
            std::fs::rename(&tmp, dest).map_err(|e| e.to_string())
        })();
        match result {
            Ok(()) => Fetch::Got,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Fetch::Failed(e)
            }
        }
    }
}

#[cfg(not(feature = "http"))]
pub(crate) struct Http;

#[cfg(not(feature = "http"))]
impl Http {
    pub fn new(_connect: Duration, _total: Duration, _max_bytes: u64) -> Self {
        Http
    }

    pub fn fetch(&self, _url: &str, _dest: &Path) -> Fetch {
        Fetch::Failed("built without the `http` feature".into())
    }
}
