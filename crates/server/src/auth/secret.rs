//! Client secrets and signing keys: made at random, stored as argon2id hashes.

use base64::Engine as _;

use crate::error::ApiError;
use crate::hasher::SecretHasher;

/// A fresh random secret for signing keys and client secrets.
pub fn random_secret(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Hashes a client secret with argon2id and a random salt, on the server's hashing pool
/// ([`crate::hasher`]). A pool too busy to start within its wait is a 429 with `Retry-After`.
pub async fn hash_secret(hasher: &SecretHasher, secret: String) -> Result<String, ApiError> {
    // Its callers are authenticated already, so the hash goes ahead of a token flood. A busy
    // pool is 429 here (the API envelope has no 503 status), 503 at /connect/token.
    match hasher.hash(secret).await {
        Ok(Ok(hash)) => Ok(hash),
        Ok(Err(e)) => Err(ApiError::internal(e)),
        Err(busy) => Err(ApiError::too_many_requests(
            format!(
                "the server is busy checking secrets; wait {} s (Retry-After) and send the request again",
                busy.retry_after_secs
            ),
            busy.retry_after_secs,
        )),
    }
}
