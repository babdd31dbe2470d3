//! Admin users (name → argon2id password hash), in both backends.

use super::postgres::db_err;
use super::{PgDb, SqliteDb};
use crate::{now, ServeError};
use rusqlite::{params, OptionalExtension};

impl SqliteDb {
    pub async fn set_user(&self, name: String, hash: String) -> Result<(), ServeError> {
        self.run(move |c| {
            c.execute(
                "INSERT INTO users VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET hash = excluded.hash",
                params![name, hash, now()],
            )
            .map(|_| ())
        })
        .await
    }

    pub async fn user_hash(&self, name: String) -> Result<Option<String>, ServeError> {
        self.run(move |c| {
            c.query_row("SELECT hash FROM users WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
        })
        .await
    }
}

impl PgDb {
    pub async fn set_user(&self, name: String, hash: String) -> Result<(), ServeError> {
        let c = self.client().await;
        c.execute(
            "INSERT INTO users VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET hash = excluded.hash",
            &[&name, &hash, &now()],
        )
        .await
        .map(|_| ())
        .map_err(db_err)
    }

    pub async fn user_hash(&self, name: String) -> Result<Option<String>, ServeError> {
        let c = self.client().await;
        let r = c
            .query_opt("SELECT hash FROM users WHERE name = $1", &[&name])
            .await
            .map_err(db_err)?;
        Ok(r.map(|r| r.get(0)))
    }
}
