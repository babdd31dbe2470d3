//! What the CLI's language tests share: the workspace root, and coroner run from it offline.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// coroner run from the workspace root, offline (no symbol path, a fresh symbol cache), in UTC,
/// with the locale variables set as `env` says (unset otherwise).
pub fn offline(args: &[&str], env: &[(&str, &str)]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_coroner"));
    c.current_dir(root())
        .env_remove("_NT_SYMBOL_PATH")
        .env_remove("_NT_ALT_SYMBOL_PATH")
        .env("TZ", "UTC");
    for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args)
        .args(["--no-network", "--symbol-cache"])
        .arg(cache.path())
        .output()
        .expect("run coroner")
}
