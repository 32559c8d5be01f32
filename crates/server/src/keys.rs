//! The keys that sign and check access tokens, each named by a key id (`kid`) in the token's
//! header (issue #11, part 2).
//!
//! By default the keys live in the database (`signing_keys`), so every replica over one
//! database signs and checks alike. The newest live key signs. `rollcall keys rotate` (or
//! `rollcall serve --rotate-signing-key`) adds a new key; the keys it replaces keep checking
//! the tokens they signed until the longest token lifetime has passed (plus [`RELOAD_EVERY`],
//! since a replica signs with the old key until it reloads), and are then deleted. Each server
//! reloads the keys every [`RELOAD_EVERY`], and at once (at most once a second) when a token
//! names a key it does not know.
//!
//! With `--jwt-secret` the server signs and checks with that one secret instead (key id
//! `cfg-…`, a fingerprint of the secret); the database keys are then not used.
//!
//! A token is refused when its lifetime is longer than the configured one (`exp - iat`, or
//! `exp - now`), or when it claims to be issued in the future: with a stolen key, a forged
//! ten-year token is still refused.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rollcall_store::{SigningKey, SqlStore, StoreError};
use rollcall_types::token::Claims;

/// How often a server reloads the keys from the database.
pub const RELOAD_EVERY: Duration = Duration::from_secs(60);

/// Clock differences tolerated between the server that issued a token and the one checking it.
pub const LEEWAY_SECS: i64 = 5;

/// Fewest seconds between two reloads caused by unknown key ids (forged tokens can carry any).
const UNKNOWN_KID_RELOAD_GAP: Duration = Duration::from_secs(1);

/// Most tokens kept as verified (see [`Keyring::verify`]); the set starts over when full.
const VERIFIED_KEPT: usize = 10_000;

/// Longest token kept as verified: this server's are a few hundred bytes.
const VERIFIED_MAX_LEN: usize = 4096;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// Past its `exp`.
    Expired,
    /// Anything else; the text says what, for the 401 message.
    Invalid(&'static str),
}

struct Verifier {
    key: DecodingKey,
    /// UTC milliseconds; `None` for live keys.
    accept_until: Option<i64>,
}

struct Loaded {
    kid: String,
    encoding: EncodingKey,
    verifiers: HashMap<String, Verifier>,
}

/// Where the keys come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Database,
    Fixed,
}

/// The signing and checking keys of one server.
pub struct Keyring {
    issuer: String,
    ttl_secs: i64,
    source: Source,
    loaded: RwLock<Loaded>,
    /// When the keys were last read because of an unknown key id (`None`: never).
    last_reload: Mutex<Option<Instant>>,
    /// Tokens whose signature and claims checked out, with their key id and claims: each
    /// request sends its token again, and parsing it and checking its HMAC again showed in a
    /// request's profile (`docs/performance.md`, "Tokens checked once"). Only a token that
    /// passed every check gets in.
    verified: RwLock<HashMap<String, (String, Claims)>>,
}

/// The key id of a configured secret: a short HMAC of a fixed text under the secret, so that
/// two different secrets get different ids without the id revealing the secret.
fn fixed_kid(secret: &[u8]) -> Result<String, jsonwebtoken::errors::Error> {
    let mac = jsonwebtoken::crypto::sign(
        b"rollcall signing key id",
        &EncodingKey::from_secret(secret),
        Algorithm::HS256,
    )?;
    Ok(format!("cfg-{}", mac.chars().take(12).collect::<String>()))
}

/// A new random key.
pub fn new_key() -> SigningKey {
    SigningKey {
        kid: rollcall_store::new_resource_id(),
        secret: crate::auth::secret::random_secret(48),
        create_time: crate::time::now_millis(),
        accept_until: None,
    }
}

/// The kid that migration 0010 gives the signing key of older versions, which kept it where
/// other users of the machine could read it; a server replaces it at its first start.
pub const LEGACY_KID: &str = "legacy";

/// How long a rotated key keeps checking tokens: the token lifetime, plus [`RELOAD_EVERY`]
/// (a replica signs with the old key until it reloads), plus the leeway.
pub fn grace_ms(ttl_secs: i64) -> i64 {
    ttl_secs
        .saturating_add(RELOAD_EVERY.as_secs() as i64 + LEEWAY_SECS)
        .saturating_mul(1000)
}

/// Replaces the live database key with a new one; the old one keeps checking tokens for
/// [`grace_ms`]. Returns the new key and what changed.
pub async fn rotate(
    store: &SqlStore,
    ttl_secs: i64,
) -> Result<(SigningKey, rollcall_store::Rotation), StoreError> {
    let key = new_key();
    let now = crate::time::now_millis();
    let rotation = store
        .rotate_signing_key(&key, now + grace_ms(ttl_secs), now, None)
        .await?;
    Ok((key, rotation))
}

/// Replaces the live key `replacing`, if it still is the live one, with a new one, and deletes
/// it at once: a key other users may have read must not check a single token more (tokens it
/// signed get 401 and their clients ask again).
pub async fn replace_exposed(
    store: &SqlStore,
    replacing: &str,
) -> Result<(SigningKey, rollcall_store::Rotation), StoreError> {
    let key = new_key();
    let now = crate::time::now_millis();
    let rotation = store
        .rotate_signing_key(&key, now - 1, now, Some(replacing))
        .await?;
    Ok((key, rotation))
}

fn load(keys: &[SigningKey], now_ms: i64) -> Option<Loaded> {
    // Newest first: the first live key signs.
    let signing = keys.iter().find(|k| k.accept_until.is_none())?;
    let verifiers = keys
        .iter()
        .filter(|k| k.accept_until.is_none_or(|until| until >= now_ms))
        .map(|k| {
            (
                k.kid.clone(),
                Verifier {
                    key: DecodingKey::from_secret(k.secret.as_bytes()),
                    accept_until: k.accept_until,
                },
            )
        })
        .collect();
    Some(Loaded {
        kid: signing.kid.clone(),
        encoding: EncodingKey::from_secret(signing.secret.as_bytes()),
        verifiers,
    })
}

impl Keyring {
    /// The keys of a server: the configured secret when `fixed` is given, else the database's
    /// (a first key is made on an empty database).
    pub async fn open(
        store: &SqlStore,
        fixed: Option<&str>,
        issuer: &str,
        ttl_secs: i64,
    ) -> anyhow::Result<Keyring> {
        let (source, loaded) = match fixed {
            Some(secret) => {
                let kid = fixed_kid(secret.as_bytes())?;
                let verifiers = HashMap::from([(
                    kid.clone(),
                    Verifier {
                        key: DecodingKey::from_secret(secret.as_bytes()),
                        accept_until: None,
                    },
                )]);
                let loaded = Loaded {
                    kid,
                    encoding: EncodingKey::from_secret(secret.as_bytes()),
                    verifiers,
                };
                (Source::Fixed, loaded)
            }
            None => {
                store.init_signing_key(&new_key()).await?;
                let keys = store.signing_keys().await?;
                let loaded = load(&keys, crate::time::now_millis()).ok_or_else(|| {
                    anyhow::anyhow!("the database holds no live signing key; run `rollcall keys rotate` with this server's database settings to make one")
                })?;
                (Source::Database, loaded)
            }
        };
        Ok(Keyring {
            issuer: issuer.to_owned(),
            ttl_secs,
            source,
            loaded: RwLock::new(loaded),
            last_reload: Mutex::new(None),
            verified: RwLock::new(HashMap::new()),
        })
    }

    /// Whether the keys come from the database (and so are reloaded and rotated there).
    pub fn from_database(&self) -> bool {
        self.source == Source::Database
    }

    /// The issuer tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The id of the key that signs now.
    pub fn signing_kid(&self) -> String {
        self.loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .kid
            .clone()
    }

    /// Signs `claims` with the live key, naming it in the header.
    pub fn sign(&self, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
        let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(loaded.kid.clone());
        jsonwebtoken::encode(&header, claims, &loaded.encoding)
    }

    /// Reads the keys from the database again (a no-op for a configured secret).
    pub async fn reload(&self, store: &SqlStore) -> Result<(), StoreError> {
        if self.source != Source::Database {
            return Ok(());
        }
        let keys = store.signing_keys().await?;
        if let Some(fresh) = load(&keys, crate::time::now_millis()) {
            *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        }
        Ok(())
    }

    /// Checks a token's signature, key, issuer, expiry and lifetime; reloads the keys once
    /// when it names a key this server does not know yet (rotated on another replica).
    pub async fn verify(&self, store: &SqlStore, token: &str) -> Result<Claims, Rejected> {
        if let Some(seen) = self.seen(token) {
            return seen;
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Rejected::Invalid("it is not a signed JWT"))?;
        let kid = header
            .kid
            .ok_or(Rejected::Invalid("it names no signing key (kid)"))?;
        if !self.knows(&kid) && self.source == Source::Database {
            let due = {
                let mut last = self.last_reload.lock().unwrap_or_else(|p| p.into_inner());
                let due = last.is_none_or(|at| at.elapsed() >= UNKNOWN_KID_RELOAD_GAP);
                if due {
                    *last = Some(Instant::now());
                }
                due
            };
            if due {
                if let Err(e) = self.reload(store).await {
                    tracing::warn!(error = %e, "could not reload the signing keys");
                }
            }
        }
        self.check(kid, token)
    }

    /// The outcome for a token that passed [`Keyring::check`] before (`None` for any other):
    /// its key must still be accepted and its `exp` not passed, the two checks whose outcome
    /// can change with time (a token issued in the future or living too long only becomes
    /// less so).
    fn seen(&self, token: &str) -> Option<Result<Claims, Rejected>> {
        let (kid, claims) = self
            .verified
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned()?;
        Some(self.accepts(&kid).and_then(|()| {
            if claims.exp < chrono::Utc::now().timestamp() - LEEWAY_SECS {
                Err(Rejected::Expired)
            } else {
                Ok(claims)
            }
        }))
    }

    /// Every check of a token signed by key `kid`; one that passes is kept for [`Keyring::seen`].
    fn check(&self, kid: String, token: &str) -> Result<Claims, Rejected> {
        let claims = self.decode(&kid, token)?;
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now + LEEWAY_SECS {
            return Err(Rejected::Invalid("it claims to be issued in the future"));
        }
        // Saturating: the claims are the caller's numbers.
        if claims.exp.saturating_sub(claims.iat) > self.ttl_secs + LEEWAY_SECS
            || claims.exp.saturating_sub(now) > self.ttl_secs + LEEWAY_SECS
        {
            return Err(Rejected::Invalid(
                "its lifetime is longer than this server issues",
            ));
        }
        if token.len() <= VERIFIED_MAX_LEN {
            let mut verified = self.verified.write().unwrap_or_else(|p| p.into_inner());
            if verified.len() >= VERIFIED_KEPT {
                verified.clear();
            }
            verified.insert(token.to_owned(), (kid, claims.clone()));
        }
        Ok(claims)
    }

    fn knows(&self, kid: &str) -> bool {
        self.loaded
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .verifiers
            .contains_key(kid)
    }

    /// The key `kid`, when this server holds it and still accepts what it signed.
    fn accepted<'a>(loaded: &'a Loaded, kid: &str) -> Result<&'a Verifier, Rejected> {
        let verifier = loaded.verifiers.get(kid).ok_or(Rejected::Invalid(
            "it was signed by a key this server does not hold (rotated out long ago, or forged)",
        ))?;
        if verifier
            .accept_until
            .is_some_and(|until| until < crate::time::now_millis())
        {
            return Err(Rejected::Invalid(
                "it was signed by a key that has been rotated out",
            ));
        }
        Ok(verifier)
    }

    /// Whether the key `kid` is held and still accepted.
    fn accepts(&self, kid: &str) -> Result<(), Rejected> {
        let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        Self::accepted(&loaded, kid).map(drop)
    }

    fn decode(&self, kid: &str, token: &str) -> Result<Claims, Rejected> {
        let loaded = self.loaded.read().unwrap_or_else(|p| p.into_inner());
        let verifier = Self::accepted(&loaded, kid)?;
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[self.issuer.as_str()]);
        v.set_required_spec_claims(&["exp", "iss", "sub"]);
        v.leeway = LEEWAY_SECS as u64;
        jsonwebtoken::decode::<Claims>(token, &verifier.key, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => Rejected::Expired,
                _ => Rejected::Invalid("its signature or claims do not check out"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_key_ids_differ_by_secret_and_do_not_show_it() {
        let a = fixed_kid(b"a-secret-of-at-least-thirty-two-bytes!").expect("kid");
        let b = fixed_kid(b"another-secret-of-at-least-32-bytes!!").expect("kid");
        assert_ne!(a, b);
        assert!(a.starts_with("cfg-") && a.len() == 16, "{a}");
        assert_eq!(
            a,
            fixed_kid(b"a-secret-of-at-least-thirty-two-bytes!").expect("kid")
        );
    }

    #[test]
    fn the_newest_live_key_signs_and_expired_keys_are_not_loaded() {
        let key = |kid: &str, accept_until| SigningKey {
            kid: kid.into(),
            secret: format!("{kid}-secret"),
            create_time: 0,
            accept_until,
        };
        // Newest first, as the store returns them.
        let keys = [
            key("new", None),
            key("old", Some(2_000)),
            key("gone", Some(500)),
        ];
        let loaded = load(&keys, 1_000).expect("a live key");
        assert_eq!(loaded.kid, "new");
        let mut kids: Vec<&String> = loaded.verifiers.keys().collect();
        kids.sort();
        assert_eq!(kids, ["new", "old"]);
        assert!(
            load(&[key("old", Some(2_000))], 1_000).is_none(),
            "no live key"
        );
    }

    /// A ring of one live key `k1`, as a configured secret makes.
    fn ring() -> Keyring {
        let key = SigningKey {
            kid: "k1".into(),
            secret: "a-secret-of-at-least-thirty-two-bytes!".into(),
            create_time: 0,
            accept_until: None,
        };
        Keyring {
            issuer: "rollcall".into(),
            ttl_secs: 3600,
            source: Source::Fixed,
            loaded: RwLock::new(load(&[key], 0).expect("a live key")),
            last_reload: Mutex::new(None),
            verified: RwLock::new(HashMap::new()),
        }
    }

    /// Claims issued `age` seconds ago that live `ttl` seconds.
    fn claims(age: i64, ttl: i64) -> Claims {
        let iat = chrono::Utc::now().timestamp() - age;
        Claims {
            iss: "rollcall".into(),
            sub: "client".into(),
            role: "Reseller".into(),
            reseller_access: true,
            company_admin_access: true,
            root_access: false,
            user_company_resourceid: "company".into(),
            user_company_name: "Company".into(),
            user_company_id: 1,
            user_company_parentcompany_resourceid: String::new(),
            user_company_parentcompany_name: String::new(),
            client_id: "client-id".into(),
            scope: vec!["api".into()],
            exp: iat + ttl,
            iat,
            jti: rollcall_store::new_resource_id(),
        }
    }

    #[test]
    fn a_checked_token_is_answered_from_the_kept_set() {
        let ring = ring();
        let token = ring.sign(&claims(0, 3600)).expect("signed");
        assert!(ring.seen(&token).is_none(), "not seen before its check");
        let first = ring.check("k1".into(), &token).expect("valid");
        assert_eq!(ring.seen(&token), Some(Ok(first)));
        // A token changed by one byte is another token: checked in full, refused, not kept.
        let mut forged = token.clone();
        let last = forged.pop().expect("a signature");
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert!(ring.seen(&forged).is_none());
        assert!(ring.check("k1".into(), &forged).is_err());
        assert!(ring.seen(&forged).is_none(), "a refused token is not kept");
    }

    #[test]
    fn a_kept_token_still_expires_and_still_needs_its_key() {
        let ring = ring();
        let token = ring.sign(&claims(0, 3600)).expect("signed");
        ring.check("k1".into(), &token).expect("valid");
        // The kept claims past their exp (and the leeway): expired, as a full check says.
        ring.verified
            .write()
            .expect("lock")
            .get_mut(&token)
            .expect("kept")
            .1
            .exp = chrono::Utc::now().timestamp() - LEEWAY_SECS - 1;
        assert_eq!(ring.seen(&token), Some(Err(Rejected::Expired)));

        let token = ring.sign(&claims(0, 3600)).expect("signed");
        ring.check("k1".into(), &token).expect("valid");
        // Its key rotated out since: refused, as a full check would.
        ring.loaded
            .write()
            .expect("lock")
            .verifiers
            .get_mut("k1")
            .expect("k1")
            .accept_until = Some(crate::time::now_millis() - 1);
        assert!(matches!(ring.seen(&token), Some(Err(Rejected::Invalid(_)))));
    }

    #[test]
    fn tokens_refused_by_their_claims_are_not_kept_and_the_set_is_bounded() {
        let ring = ring();
        let too_long = ring.sign(&claims(0, 10 * 3600)).expect("signed");
        assert!(ring.check("k1".into(), &too_long).is_err());
        assert!(ring.seen(&too_long).is_none());
        for _ in 0..=VERIFIED_KEPT {
            let token = ring.sign(&claims(0, 60)).expect("signed");
            ring.check("k1".into(), &token).expect("valid");
        }
        let kept = ring.verified.read().expect("lock").len();
        assert!((1..=VERIFIED_KEPT).contains(&kept), "{kept} kept");
    }
}
