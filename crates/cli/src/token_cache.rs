//! Access tokens kept between runs (issue #18): one JSON file per credential under
//! `<cache dir>/rollcall/tokens/` (`~/.cache/rollcall/tokens/` on Linux), mode 0600 in a 0700
//! directory, replaced atomically. The file name is a SHA-256 of the base URL, the client id and
//! a SHA-256 of the secret, so a changed secret never reuses an old token; the secret itself is
//! neither in the name nor in the file. A token is used while more than the client's renewal
//! margin (60 s) is left; a token the server refuses is renewed by the client and the new one
//! replaces the entry. `--no-token-cache` or `ROLLCALL_NO_TOKEN_CACHE=1` turns it off.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use rollcall_client::token::RENEW_BEFORE;
use serde::{Deserialize, Serialize};

use crate::config::{self, Credentials};

/// The environment variable that turns the cache off (as `--no-token-cache` does).
pub const ENV_DISABLE: &str = "ROLLCALL_NO_TOKEN_CACHE";

/// What one cache file holds (never the secret).
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    base_url: String,
    client_id: String,
    access_token: String,
    /// Expiry, seconds since the Unix epoch.
    expires_at: u64,
}

/// The cache file of one credential.
#[derive(Debug, Clone)]
pub struct TokenCache {
    path: PathBuf,
    base_url: String,
    client_id: String,
}

/// `<cache dir>/rollcall/tokens`, `None` when the platform has no cache directory.
pub fn dir() -> Option<PathBuf> {
    Some(dirs::cache_dir()?.join("rollcall").join("tokens"))
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// The file name of a credential's entry: a hash of the base URL, the client id and a hash of
/// the secret.
pub fn key(base_url: &str, client_id: &str, secret: &str) -> String {
    let base = base_url.trim().trim_end_matches('/');
    sha256_hex(&format!(
        "rollcall-token-cache-v1\n{base}\n{client_id}\n{}",
        sha256_hex(secret)
    ))
}

impl TokenCache {
    /// The cache of `c`; `None` when there is no cache directory.
    pub fn for_credentials(c: &Credentials) -> Option<Self> {
        let path = dir()?.join(format!(
            "{}.json",
            key(&c.base_url, &c.client_id, &c.client_secret)
        ));
        Some(Self {
            path,
            base_url: c.base_url.trim().trim_end_matches('/').to_owned(),
            client_id: c.client_id.clone(),
        })
    }

    /// The cached token and its expiry while more than the renewal margin is left. A missing,
    /// unreadable or corrupt file is `None` (logged at debug level; the next token replaces it).
    pub fn load(&self) -> Option<(String, SystemTime)> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::debug!(path = %self.path.display(), error = %e, "cannot read the token cache; ignoring it");
                return None;
            }
        };
        let entry: Entry = match serde_json::from_str(&text) {
            Ok(e) => e,
            Err(e) => {
                tracing::debug!(path = %self.path.display(), error = %e, "the token cache is corrupt; ignoring it");
                return None;
            }
        };
        if entry.base_url != self.base_url
            || entry.client_id != self.client_id
            || entry.access_token.is_empty()
        {
            tracing::debug!(path = %self.path.display(), "the token cache is for other credentials; ignoring it");
            return None;
        }
        let expires_at = UNIX_EPOCH + Duration::from_secs(entry.expires_at);
        let left = expires_at
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        if left <= RENEW_BEFORE {
            tracing::debug!(
                left_secs = left.as_secs(),
                "the cached token is about to expire"
            );
            return None;
        }
        tracing::debug!(left_secs = left.as_secs(), "using the cached access token");
        Some((entry.access_token, expires_at))
    }

    /// Keeps `token` until `expires_at`; failures are logged at debug level (the cache is only
    /// an optimisation).
    pub fn store(&self, token: &str, expires_at: SystemTime) {
        if let Err(e) = self.try_store(token, expires_at) {
            tracing::debug!(path = %self.path.display(), error = format!("{e:#}"), "cannot write the token cache");
        }
    }

    fn try_store(&self, token: &str, expires_at: SystemTime) -> Result<()> {
        let dir = self
            .path
            .parent()
            .context("the cache file has no directory")?;
        config::create_private_dir(dir)?;
        tighten_dir(dir);
        let entry = Entry {
            base_url: self.base_url.clone(),
            client_id: self.client_id.clone(),
            access_token: token.to_owned(),
            expires_at: expires_at
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs(),
        };
        let text = serde_json::to_string(&entry).context("cannot encode the token cache")?;
        let name = self
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("token");
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let written = (|| -> Result<()> {
            use std::io::Write;
            let mut f = config::private_file(&tmp)?;
            f.write_all(text.as_bytes())
                .and_then(|()| f.sync_all())
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, &self.path)
                .with_context(|| format!("cannot replace {}", self.path.display()))
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        tracing::debug!(path = %self.path.display(), "cached the access token");
        Ok(())
    }
}

/// Makes the tokens directory private (0700) if it was created wider.
#[cfg(unix)]
fn tighten_dir(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(dir) {
        if meta.permissions().mode() & 0o077 != 0 {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
}

#[cfg(not(unix))]
fn tighten_dir(_dir: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_every_part_and_hide_the_secret() {
        let k = key("http://h/", "id", "s3cret");
        assert_eq!(k, key("http://h", "id", "s3cret"));
        assert_ne!(k, key("http://h", "id", "other"));
        assert_ne!(k, key("http://h", "id2", "s3cret"));
        assert_ne!(k, key("http://g", "id", "s3cret"));
        assert_eq!(k.len(), 64);
        assert!(!k.contains("s3cret"));
    }
}
