//! Token signing keys (`signing_keys`): the newest live key signs, rotated keys verify the
//! tokens they signed until their `accept_until`, then they are dropped.

use crate::rows::{get_i64, get_opt_i64, get_str};
use crate::{Result, SqlStore};

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

/// The settings row that remembers an exposure until the next rotation, whichever process
/// (a server, `rollcall keys`) found the files open.
pub(crate) const EXPOSED_SETTING: &str = "signing_key_exposed";

/// Persistence of signing keys.
impl SqlStore {
    /// Every key, the live one first, then newest first.
    pub async fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        // `live` is 1 on the live key and NULL elsewhere; NULLs sort last on SQLite and first
        // on PostgreSQL, so the order is spelled out.
        let rows = sqlx::query(
            "SELECT kid, secret, create_time, accept_until FROM signing_keys \
             ORDER BY CASE WHEN live = 1 THEN 0 ELSE 1 END, create_time DESC, kid DESC",
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

    /// Stores `key` as the live key unless a live key exists already (first start; safe when
    /// several replicas start together: they all read the same keys afterwards).
    pub async fn init_signing_key(&self, key: &SigningKey) -> Result<()> {
        // The unique `live` column makes a second live key a conflict, which is ignored.
        sqlx::query(
            "INSERT INTO signing_keys (kid, secret, create_time, accept_until, live) \
             VALUES ($1, $2, $3, NULL, 1) ON CONFLICT DO NOTHING",
        )
        .bind(&key.kid)
        .bind(&key.secret)
        .bind(key.create_time)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// In one transaction: the live key gets `accept_until`, `key` becomes the live key, and
    /// keys whose `accept_until` is before `now` are deleted. With `replacing`, only when the
    /// live key is that one (otherwise nothing changes and `retired` is 0): replicas that all
    /// decide to replace the same key at start replace it once.
    pub async fn rotate_signing_key(
        &self,
        key: &SigningKey,
        accept_until: i64,
        now: i64,
        replacing: Option<&str>,
    ) -> Result<Rotation> {
        let mut tx = self.write_tx().await?;
        let retired = sqlx::query(
            "UPDATE signing_keys SET accept_until = $1, live = NULL \
             WHERE live = 1 AND ($2 IS NULL OR kid = $2)",
        )
        .bind(accept_until)
        .bind(replacing.map(str::to_owned))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if replacing.is_some() && retired == 0 {
            // Another replica replaced it first.
            tx.rollback().await?;
            return Ok(Rotation {
                retired: 0,
                dropped: 0,
            });
        }
        sqlx::query(
            "INSERT INTO signing_keys (kid, secret, create_time, accept_until, live) \
             VALUES ($1, $2, $3, NULL, 1)",
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
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(EXPOSED_SETTING)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Rotation { retired, dropped })
    }

    /// Whether the live key may have been read: the database files were found readable by
    /// other users since the last rotation (see [`SqlStore::files_were_exposed`]). A rotation
    /// clears it.
    pub async fn signing_key_exposed(&self) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM settings WHERE key = $1")
            .bind(EXPOSED_SETTING)
            .fetch_one(&self.writer)
            .await?;
        Ok(get_i64(&row, "n")? > 0)
    }
}
