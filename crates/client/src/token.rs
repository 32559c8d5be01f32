//! Access tokens: the cached token, when to renew it, and reading its claims.
//!
//! Keepnet issues one-hour client-credentials tokens with no refresh token; a client asks for a
//! new one when the old one is about to expire (or is refused with 401).

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

/// Longest head start a token is renewed with (Keepnet tokens live 3600 s).
pub const RENEW_BEFORE: Duration = Duration::from_secs(60);

/// A token and the instant after which it should no longer be used.
#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub access_token: String,
    pub renew_at: Instant,
}

impl CachedToken {
    /// A token received at `received` that lives `lifetime`. It is renewed [`RENEW_BEFORE`]
    /// before it expires, or half-way through its life if that is shorter (so a server with
    /// very short tokens still gets each token used before it is replaced).
    pub fn new(access_token: String, lifetime: Duration, received: Instant) -> Self {
        let margin = RENEW_BEFORE.min(lifetime / 2);
        Self {
            access_token,
            renew_at: received + lifetime.saturating_sub(margin),
        }
    }

    pub fn fresh(&self, now: Instant) -> bool {
        now < self.renew_at
    }
}

/// The lifetime of a token: `expires_in` when the server sent it, else `exp - iat` from the JWT,
/// else Keepnet's documented hour. `expires_in` is preferred because it is relative: it does not
/// depend on the two clocks agreeing.
pub(crate) fn lifetime(expires_in: Option<i64>, access_token: &str) -> Duration {
    if let Some(s) = expires_in.filter(|s| *s > 0) {
        return Duration::from_secs(s.unsigned_abs());
    }
    if let Some(claims) = decode_claims(access_token) {
        let exp = claims.get("exp").and_then(Value::as_i64);
        let iat = claims.get("iat").and_then(Value::as_i64);
        if let (Some(exp), Some(iat)) = (exp, iat) {
            if exp > iat {
                return Duration::from_secs((exp - iat).unsigned_abs());
            }
        }
    }
    Duration::from_secs(3600)
}

/// The claims (payload) of a JWT as JSON, without checking the signature: the client only
/// reads them (company id, role, expiry); the server is the one that verifies.
pub fn decode_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.is_object().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let p = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload);
        format!("eyJhbGciOiJIUzI1NiJ9.{p}.c2ln")
    }

    #[test]
    fn claims_are_decoded() {
        let t = jwt(r#"{"role":"Reseller","exp":1000,"iat":400}"#);
        let c = decode_claims(&t).unwrap_or_default();
        assert_eq!(c["role"], "Reseller");
        assert!(decode_claims("not-a-jwt").is_none());
        assert!(decode_claims("a.%%%.c").is_none());
    }

    #[test]
    fn lifetime_sources() {
        let t = jwt(r#"{"exp":1000,"iat":400}"#);
        assert_eq!(lifetime(Some(3600), &t), Duration::from_secs(3600));
        assert_eq!(lifetime(None, &t), Duration::from_secs(600));
        assert_eq!(lifetime(Some(0), "opaque"), Duration::from_secs(3600));
    }

    #[test]
    fn renewal_margin() {
        let now = Instant::now();
        let hour = CachedToken::new("t".into(), Duration::from_secs(3600), now);
        assert_eq!(hour.renew_at - now, Duration::from_secs(3540));
        assert!(hour.fresh(now + Duration::from_secs(3539)));
        assert!(!hour.fresh(now + Duration::from_secs(3540)));
        let short = CachedToken::new("t".into(), Duration::from_secs(2), now);
        assert_eq!(short.renew_at - now, Duration::from_secs(1));
    }
}
