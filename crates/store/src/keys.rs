//! Token signing keys (`signing_keys`): the newest live key signs, rotated keys verify the
//! tokens they signed until their `accept_until`, then they are dropped.

use async_trait::async_trait;

use crate::sql::{get_i64, get_opt_i64, get_str, SqlStore};
use crate::Result;

/// One signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// The key id that tokens carry in their header.
    pub kid: String,
    /// The HMAC secret.
    pub secret: String,
    /// When the key was made (UTC milliseconds).
    pub create_time: i64,
    /// `None` while the key is live; else the last moment (UTC milliseconds) tokens it signed
    /// are accepted.
    pub accept_until: Option<i64>,
}

impl std::fmt::Debug for SigningKey {
    // Never print the secret (logs, test failures).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("create_time", &self.create_time)
            .field("accept_until", &self.accept_until)
            .finish_non_exhaustive()
    }
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Live keys that now only verify.
    pub retired: u64,
    /// Keys past their `accept_until` that were deleted.
    pub dropped: u64,
}

/// Persistence of signing keys.
#[async_trait]
pub trait KeyStore {
    /// Every key, newest first (the first live one signs).
    async fn signing_keys(&self) -> Result<Vec<SigningKey>>;
    /// Stores `key` as the live key unless a live key exists already (first start; safe when
    /// several replicas start together: they all read the same keys afterwards).
    async fn init_signing_key(&self, key: &SigningKey) -> Result<()>;
    /// In one transaction: every live key gets `accept_until`, `key` becomes the live key, and
    /// keys whose `accept_until` is before `now` are deleted.
    async fn rotate_signing_key(
        &self,
        key: &SigningKey,
        accept_until: i64,
        now: i64,
    ) -> Result<Rotation>;
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, secret, create_time, accept_until FROM signing_keys \
             ORDER BY create_time DESC, kid DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SigningKey {
                    kid: get_str(r, "kid")?,
                    secret: get_str(r, "secret")?,
                    create_time: get_i64(r, "create_time")?,
                    accept_until: get_opt_i64(r, "accept_until")?,
                })
            })
            .collect()
    }

    async fn init_signing_key(&self, key: &SigningKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, secret, create_time, accept_until) \
             SELECT $1, $2, $3, NULL WHERE NOT EXISTS \
             (SELECT 1 FROM signing_keys WHERE accept_until IS NULL)",
        )
        .bind(&key.kid)
        .bind(&key.secret)
        .bind(key.create_time)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn rotate_signing_key(
        &self,
        key: &SigningKey,
        accept_until: i64,
        now: i64,
    ) -> Result<Rotation> {
        let mut tx = self.write_tx().await?;
        let retired =
            sqlx::query("UPDATE signing_keys SET accept_until = $1 WHERE accept_until IS NULL")
                .bind(accept_until)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        sqlx::query(
            "INSERT INTO signing_keys (kid, secret, create_time, accept_until) VALUES ($1, $2, $3, NULL)",
        )
        .bind(&key.kid)
        .bind(&key.secret)
        .bind(key.create_time)
        .execute(&mut *tx)
        .await?;
        let dropped = sqlx::query(
            "DELETE FROM signing_keys WHERE accept_until IS NOT NULL AND accept_until < $1",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(Rotation { retired, dropped })
    }
}
