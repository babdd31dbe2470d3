//! Admin users who log in with a name and a password: argon2id hashes as PHC strings
//! (`$argon2id$v=19$…`, the `argon2` crate's defaults), checked in constant time by the crate.
//! An unknown user costs the same work as a wrong password (a dummy hash is verified), and both
//! get the same answer.

use crate::{ServeError, Shared};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::OnceLock;

/// The longest user name accepted.
pub const MAX_NAME: usize = 64;

/// A PHC string for `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, ServeError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServeError::Config(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the PHC string `phc` (false for a malformed one).
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash no password is checked against for real: verified for unknown users, so that they
/// take as long as known ones.
fn dummy() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash(&crate::db::token()).unwrap_or_default())
}

/// Checks a name and password; the same `false` for an unknown user and a wrong password.
pub async fn check(s: &Shared, name: &str, password: &str) -> Result<bool, ServeError> {
    let stored = s.db.user_hash(name).await?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || match stored {
        Some(phc) => verify(&phc, &password),
        None => {
            let _ = verify(dummy(), &password);
            false
        }
    })
    .await
    .map_err(|e| ServeError::Config(format!("password check failed: {e}")))
}

/// Why a user name is refused, if it is.
pub fn bad_name(name: &str) -> Option<String> {
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Some(format!("a user name has 1 to {MAX_NAME} characters"));
    }
    if name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some("a user name has no spaces or control characters".into());
    }
    None
}

/// `coroner serve --add-user NAME`: stores the user with the hash of `password` (replacing
/// the password of an existing one).
pub async fn add(s: &Shared, name: &str, password: &str) -> Result<(), ServeError> {
    if let Some(why) = bad_name(name) {
        return Err(ServeError::Config(format!("--add-user {name:?}: {why}")));
    }
    if password.is_empty() {
        return Err(ServeError::Config("the password is empty".into()));
    }
    let password = password.to_string();
    let phc = tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| ServeError::Config(format!("password hashing failed: {e}")))??;
    s.db.set_user(name, &phc).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify(&h, "correct horse"));
        assert!(!verify(&h, "correct horsf"));
        assert!(!verify("not a hash", "x"));
        assert_ne!(h, hash("correct horse").unwrap(), "salted");
        assert!(bad_name("ops admin").is_some());
        assert!(bad_name("").is_some());
        assert!(bad_name("ops").is_none());
    }
}
