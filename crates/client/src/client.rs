//! [`Client`]: settings, the token cache and the one place every request goes through.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::error::{get_ci, parse_error_body, ClientError, Result};
use crate::retry::{retry_after, retryable_status, retryable_transport, RetryPolicy, Safety};
use crate::token::{lifetime, CachedToken, RENEW_BEFORE};

/// Keepnet's API host.
pub const DEFAULT_BASE_URL: &str = "https://api.keepnetlabs.com";

/// The company-scope header Keepnet's docs name (rollcall also accepts `X-IR-COMPANY-ID`).
pub const SCOPE_HEADER: &str = "X-KEEPNET-Company-Id";

/// Rows asked for per page when a search is streamed (Keepnet's own agent pages by 1000;
/// rollcall's default maximum is 1000).
pub const DEFAULT_PAGE_SIZE: i64 = 1000;

/// Settings for a [`Client`]; see [`Client::builder`].
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    client_id: String,
    client_secret: String,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    read_timeout: Duration,
    page_size: i64,
    user_agent: String,
    seed: Option<(String, SystemTime)>,
    on_new_token: Option<TokenHook>,
    on_retry: Option<RetryHook>,
}

/// Called with every newly fetched token and its expiry (see [`ClientBuilder::on_new_token`]).
type TokenHook = Arc<dyn Fn(&str, SystemTime) + Send + Sync>;

/// Called before each pause between attempts (see [`ClientBuilder::on_retry`]).
type RetryHook = Arc<dyn Fn(&RetryNotice) + Send + Sync>;

/// A request that failed in a way worth retrying, and the pause before the next attempt.
#[derive(Debug, Clone)]
pub struct RetryNotice {
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    /// Attempts the policy allows in all.
    pub max_attempts: u32,
    /// How long the client waits before the next attempt.
    pub pause: Duration,
    /// Whether the pause is the server's `Retry-After` rather than the client's backoff.
    pub server_asked: bool,
    /// The HTTP status that failed (429, 503, ...); `None` for a connection error.
    pub http_status: Option<u16>,
    /// What failed, for people.
    pub error: String,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<hidden>")
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            client_id: String::new(),
            client_secret: String::new(),
            retry: RetryPolicy::default(),
            // Keepnet's web UI waits 100 s for a reply.
            timeout: Duration::from_secs(100),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            page_size: DEFAULT_PAGE_SIZE,
            user_agent: concat!("rollcall-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            seed: None,
            on_new_token: None,
            on_retry: None,
        }
    }
}

impl ClientBuilder {
    /// The REST API client's id and secret (Keepnet: Company → Company Settings → REST API).
    pub fn credentials(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self.client_secret = secret.into();
        self
    }

    /// How hard to retry (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Attempts in all before giving up (default 5; 1 disables retries).
    pub fn retry_budget(mut self, max_attempts: u32) -> Self {
        self.retry.max_attempts = max_attempts.max(1);
        self
    }

    /// Time limit of one ordinary request, reply body included (default 100 s). Downloads have
    /// no overall limit; they fail when the server sends nothing for [`Self::read_timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time limit for opening a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Longest silence while reading a reply (default 120 s).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Rows per page when a search is streamed (default 1000).
    pub fn page_size(mut self, page_size: i64) -> Self {
        self.page_size = page_size;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Starts with a token obtained earlier (e.g. kept in a cache file) that expires at
    /// `expires_at`. It is used while more than [`RENEW_BEFORE`] is left, and replaced
    /// like any other token (before it expires, or after a 401).
    pub fn token(mut self, access_token: impl Into<String>, expires_at: SystemTime) -> Self {
        self.seed = Some((access_token.into(), expires_at));
        self
    }

    /// Calls `hook` with every token the client fetches (not a [`Self::token`] it was given)
    /// and its expiry, e.g. to keep it in a cache file. Runs while the token lock is held:
    /// keep it short.
    pub fn on_new_token(mut self, hook: impl Fn(&str, SystemTime) + Send + Sync + 'static) -> Self {
        self.on_new_token = Some(Arc::new(hook));
        self
    }

    /// Calls `hook` before each pause between attempts of a request (a 429, a 503, a broken
    /// connection), e.g. to tell a person why the command is waiting.
    pub fn on_retry(mut self, hook: impl Fn(&RetryNotice) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(Arc::new(hook));
        self
    }

    /// Builds the client. Fails on an unusable base URL or missing credentials.
    pub fn build(self) -> Result<Client> {
        let base = self.base_url.trim().trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&base)
            .map_err(|e| ClientError::Config(format!("base URL '{base}': {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ClientError::Config(format!(
                "base URL '{base}' must start with https:// or http://"
            )));
        }
        if self.client_id.is_empty() || self.client_secret.is_empty() {
            return Err(ClientError::Config(
                "a client id and a client secret are required".into(),
            ));
        }
        if !(1..=100_000).contains(&self.page_size) {
            return Err(ClientError::Config(format!(
                "page size {} is out of range (1..=100000)",
                self.page_size
            )));
        }
        let http = reqwest::Client::builder()
            .user_agent(self.user_agent)
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .build()
            .map_err(|e| ClientError::Config(format!("HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                client_id: self.client_id,
                client_secret: self.client_secret,
                retry: self.retry,
                timeout: self.timeout,
                page_size: self.page_size,
                token: Mutex::new(self.seed.map(|(t, exp)| seeded(t, exp))),
                token_fetches: AtomicU64::new(0),
                on_new_token: self.on_new_token,
                on_retry: self.on_retry,
            }),
        })
    }
}

/// A typed client for Keepnet's REST API (and rollcall, which implements it).
///
/// Cheap to clone: clones share the HTTP connection pool and the token cache. Every call gets a
/// cached token (renewed shortly before it expires, and once more after a 401), is retried per
/// the [`RetryPolicy`], and turns error replies into [`ClientError::Api`].
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base: String,
    client_id: String,
    client_secret: String,
    pub(crate) retry: RetryPolicy,
    timeout: Duration,
    pub(crate) page_size: i64,
    /// The token in use and when it expires by the wall clock.
    token: Mutex<Option<(CachedToken, SystemTime)>>,
    token_fetches: AtomicU64,
    on_new_token: Option<TokenHook>,
    on_retry: Option<RetryHook>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    None,
    /// Serialised JSON (cheap to clone for a retry).
    Json(Bytes),
    /// `multipart/form-data` text fields (Keepnet's company form); rebuilt for every attempt.
    Multipart(Vec<(String, String)>),
    /// A file in the multipart field `File` (an import's upload): its name and bytes.
    File(String, Bytes),
}

/// One API call, described so that it can be sent again.
#[derive(Debug, Clone)]
pub(crate) struct Call<'a> {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub scope: Option<&'a str>,
    pub body: Body,
    pub safety: Safety,
    /// A download: no overall time limit (the read timeout still applies).
    pub streaming: bool,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        let safety = if method == Method::POST {
            Safety::Unsafe
        } else {
            Safety::Safe
        };
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            scope: None,
            body: Body::None,
            safety,
            streaming: false,
        }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// A POST that only reads (search, export): safe to repeat.
    pub fn read_post(path: impl Into<String>) -> Self {
        Self {
            safety: Safety::Safe,
            ..Self::new(Method::POST, path)
        }
    }

    pub fn scope(mut self, scope: Option<&'a str>) -> Self {
        self.scope = scope.filter(|s| !s.is_empty());
        self
    }

    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ClientError::Config(format!("cannot encode the request body: {e}")))?;
        self.body = Body::Json(Bytes::from(bytes));
        Ok(self)
    }
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

impl Client {
    /// Starts building a client for `base_url` (Keepnet: [`DEFAULT_BASE_URL`]).
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            ..ClientBuilder::default()
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// The OAuth client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// How many tokens this client (and its clones) has fetched so far.
    pub fn token_fetches(&self) -> u64 {
        self.inner.token_fetches.load(Ordering::Relaxed)
    }

    /// A valid access token: the cached one while it is fresh, else a new one. Concurrent
    /// callers wait for a single fetch.
    pub async fn access_token(&self) -> Result<String> {
        let mut cached = self.inner.token.lock().await;
        if let Some((t, _)) = cached.as_ref().filter(|(t, _)| t.fresh(Instant::now())) {
            return Ok(t.access_token.clone());
        }
        let (token, expires_at) = self.fetch_token().await?;
        let access = token.access_token.clone();
        if let Some(hook) = &self.inner.on_new_token {
            hook(&access, expires_at);
        }
        *cached = Some((token, expires_at));
        Ok(access)
    }

    /// The token in use and when it expires (wall clock), without fetching one; `None` before
    /// the first call or after a refused token was dropped.
    pub async fn current_token(&self) -> Option<(String, SystemTime)> {
        let cached = self.inner.token.lock().await;
        cached
            .as_ref()
            .map(|(t, exp)| (t.access_token.clone(), *exp))
    }

    /// Forgets `used` (refused with a 401) unless a newer token already replaced it.
    async fn invalidate(&self, used: &str) {
        let mut cached = self.inner.token.lock().await;
        if cached.as_ref().is_some_and(|(t, _)| t.access_token == used) {
            *cached = None;
        }
    }

    /// `POST /connect/token`, form-encoded (the only encoding Keepnet accepts).
    async fn fetch_token(&self) -> Result<(CachedToken, SystemTime)> {
        let url = format!("{}/connect/token", self.inner.base);
        let inner = &self.inner;
        let resp = self
            .send_with_retries(Safety::Safe, &url, || {
                inner
                    .http
                    .post(&url)
                    .header(ACCEPT, "application/json")
                    .timeout(inner.timeout)
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", inner.client_id.as_str()),
                        ("client_secret", inner.client_secret.as_str()),
                        ("scope", "api1"),
                    ])
            })
            .await?;
        let status = resp.status();
        let received = Instant::now();
        let received_wall = SystemTime::now();
        let body = read_body(resp, &url).await?;
        if !status.is_success() {
            let e = parse_error_body(&String::from_utf8_lossy(&body));
            return Err(ClientError::Auth {
                http_status: status.as_u16(),
                error: e
                    .oauth_error
                    .or(e.status)
                    .unwrap_or_else(|| "error".to_owned()),
                description: e.message.unwrap_or_else(|| reason(status)),
            });
        }
        let reply: TokenReply = serde_json::from_slice(&body).map_err(|e| ClientError::Decode {
            url: url.clone(),
            message: format!("the token reply has no access_token: {e}"),
        })?;
        let life = lifetime(reply.expires_in, &reply.access_token);
        let n = self.inner.token_fetches.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(
            fetches = n,
            lifetime_secs = life.as_secs(),
            "fetched a new access token"
        );
        Ok((
            CachedToken::new(reply.access_token, life, received),
            received_wall + life,
        ))
    }

    /// Sends the request `build` makes until it gets a reply that is not worth retrying, or the
    /// budget runs out. Returns that reply whatever its status.
    async fn send_with_retries(
        &self,
        safety: Safety,
        url: &str,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response> {
        let policy = self.inner.retry;
        let started = Instant::now();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let (err, asked) = match build().send().await {
                Ok(resp) if !retryable_status(resp.status(), safety) => return Ok(resp),
                Ok(resp) => {
                    let asked = retry_after(resp.headers());
                    (api_error(resp, url).await, asked)
                }
                Err(e) if retryable_transport(&e, safety) => {
                    (ClientError::transport(url, &e), None)
                }
                Err(e) => return Err(ClientError::transport(url, &e)),
            };
            if policy.max_attempts <= 1 {
                return Err(err);
            }
            if attempt >= policy.max_attempts {
                return Err(ClientError::RetriesExhausted {
                    attempts: attempt,
                    elapsed: started.elapsed(),
                    last: Box::new(err),
                });
            }
            let pause = match asked {
                Some(wait) if wait > policy.max_retry_after => {
                    return Err(ClientError::RetryAfterTooLong {
                        retry_after: wait,
                        limit: policy.max_retry_after,
                        last: Box::new(err),
                    })
                }
                Some(wait) => wait,
                None => policy.backoff(attempt),
            };
            if let Some(hook) = &self.inner.on_retry {
                hook(&RetryNotice {
                    attempt,
                    max_attempts: policy.max_attempts,
                    pause,
                    server_asked: asked.is_some(),
                    http_status: err.http_status(),
                    error: err.to_string(),
                });
            }
            tracing::info!(
                attempt,
                pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                error = %err,
                "retrying"
            );
            tokio::time::sleep(pause).await;
        }
    }

    fn build(&self, call: &Call<'_>, url: &str, token: &str) -> RequestBuilder {
        let mut rb = self
            .inner
            .http
            .request(call.method.clone(), url)
            .bearer_auth(token)
            .header(ACCEPT, "application/json");
        if let Some(scope) = call.scope {
            rb = rb.header(SCOPE_HEADER, scope);
        }
        if !call.query.is_empty() {
            rb = rb.query(&call.query);
        }
        if !call.streaming {
            rb = rb.timeout(self.inner.timeout);
        }
        match &call.body {
            Body::None => rb,
            Body::Json(bytes) => rb
                .header(CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            // A multipart body needs at least one part (RFC 2046 §5.1.1): servers refuse an
            // empty one as unreadable instead of reporting the missing fields. An empty form
            // goes as an empty urlencoded form, which form binding reads the same way.
            Body::Multipart(fields) if fields.is_empty() => rb.form(fields),
            Body::Multipart(fields) => {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in fields {
                    form = form.text(k.clone(), v.clone());
                }
                rb.multipart(form)
            }
            Body::File(name, bytes) => {
                let part = reqwest::multipart::Part::stream(bytes.clone()).file_name(name.clone());
                rb.multipart(reqwest::multipart::Form::new().part("File", part))
            }
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.inner.base, path)
    }

    /// Sends `call` with a token: retried per the policy, renewed and repeated once after a
    /// 401. Returns a success reply; anything else becomes an error.
    pub(crate) async fn execute(&self, call: &Call<'_>) -> Result<Response> {
        let url = self.url(&call.path);
        let mut renewed = false;
        loop {
            let token = self.access_token().await?;
            let resp = self
                .send_with_retries(call.safety, &url, || self.build(call, &url, &token))
                .await?;
            let status = resp.status();
            if status == StatusCode::UNAUTHORIZED && !renewed {
                // Expired early, revoked, or signed with a rotated key: one new token, one retry.
                tracing::debug!(url = %url, "401: renewing the token and retrying once");
                renewed = true;
                self.invalidate(&token).await;
                continue;
            }
            if !status.is_success() {
                return Err(api_error(resp, &url).await);
            }
            return Ok(resp);
        }
    }

    /// Sends `call` and returns the envelope's `data` as JSON. A body that breaks off is fetched
    /// again for safe calls.
    pub(crate) async fn data_value(&self, call: &Call<'_>) -> Result<Value> {
        let url = self.url(&call.path);
        let policy = self.inner.retry;
        let mut attempt = 0;
        let body = loop {
            attempt += 1;
            let resp = self.execute(call).await?;
            match resp.bytes().await {
                Ok(b) => break b,
                Err(e)
                    if call.safety == Safety::Safe
                        && retryable_transport(&e, call.safety)
                        && attempt < policy.max_attempts =>
                {
                    tokio::time::sleep(policy.backoff(attempt)).await;
                }
                Err(e) => return Err(ClientError::transport(&url, &e)),
            }
        };
        envelope_data(&body, &url)
    }

    /// Sends `call` and decodes the envelope's `data` as `T`.
    pub(crate) async fn data<T: DeserializeOwned>(&self, call: &Call<'_>) -> Result<T> {
        let url = self.url(&call.path);
        let v = self.data_value(call).await?;
        decode(v, &url)
    }

    /// A write with a JSON body in the company `scope`: sends it and decodes the envelope's
    /// `data` as `T`.
    pub(crate) async fn write_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: impl Into<String>,
        scope: Option<&str>,
        body: &(impl serde::Serialize + ?Sized),
    ) -> Result<T> {
        self.data(&Call::new(method, path).scope(scope).json(body)?)
            .await
    }
}

/// A token obtained earlier that expires at `expires_at`: renewed [`RENEW_BEFORE`] before
/// then, at once when less is left.
fn seeded(access_token: String, expires_at: SystemTime) -> (CachedToken, SystemTime) {
    let left = expires_at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    let token = CachedToken {
        access_token,
        renew_at: Instant::now() + left.saturating_sub(RENEW_BEFORE),
    };
    (token, expires_at)
}

/// Decodes a JSON value into `T`, naming the URL on failure.
pub(crate) fn decode<T: DeserializeOwned>(v: Value, url: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|e| ClientError::Decode {
        url: url.to_owned(),
        message: e.to_string(),
    })
}

/// The `data` of a success envelope. An envelope whose `status` is not `SUCCESS` is an error
/// even with HTTP 200 (Keepnet's export endpoints can answer a JSON error blob).
pub(crate) fn envelope_data(body: &[u8], url: &str) -> Result<Value> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ClientError::Decode {
        url: url.to_owned(),
        message: format!("the reply is not JSON: {e}"),
    })?;
    let status = get_ci(&v, "status").and_then(Value::as_str);
    let ok = match status {
        Some(s) => s.eq_ignore_ascii_case("SUCCESS"),
        None => get_ci(&v, "isSuccess")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    };
    if !ok {
        let e = parse_error_body(&String::from_utf8_lossy(body));
        return Err(ClientError::Api {
            http_status: 200,
            status: e.status,
            message: e
                .message
                .unwrap_or_else(|| "the API reported a failure".to_owned()),
            validation_messages: e.validation_messages,
        });
    }
    match get_ci(&v, "data") {
        Some(d) => Ok(d.clone()),
        None => Err(ClientError::Decode {
            url: url.to_owned(),
            message: "the reply has no data".to_owned(),
        }),
    }
}

/// A reply's whole body; a transport failure names the URL.
pub(crate) async fn read_body(resp: Response, url: &str) -> Result<Bytes> {
    resp.bytes()
        .await
        .map_err(|e| ClientError::transport(url, &e))
}

fn reason(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("no message").to_owned()
}

/// Turns an error reply into [`ClientError::Api`].
pub(crate) async fn api_error(resp: Response, url: &str) -> ClientError {
    let status = resp.status();
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return ClientError::transport(url, &e),
    };
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let e = parse_error_body(&text);
    ClientError::Api {
        http_status: status.as_u16(),
        status: e.status,
        message: e.message.unwrap_or_else(|| reason(status)),
        validation_messages: e.validation_messages,
    }
}

/// `Content-Type` of a reply, lowercase.
pub(crate) fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use rollcall_testkit::{Engine, TestServer, ROOT_ID, ROOT_SECRET};

    use super::*;

    type Seen = Arc<StdMutex<Vec<(String, SystemTime)>>>;

    fn client(s: &TestServer, seed: Option<(&str, SystemTime)>) -> (Client, Seen) {
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let mut b = Client::builder(&s.base)
            .credentials(ROOT_ID, ROOT_SECRET)
            .on_new_token(move |t, exp| log.lock().expect("lock").push((t.to_owned(), exp)));
        if let Some((t, exp)) = seed {
            b = b.token(t, exp);
        }
        (b.build().expect("client"), seen)
    }

    fn seen(s: &Seen) -> Vec<(String, SystemTime)> {
        s.lock().expect("lock").clone()
    }

    #[tokio::test]
    async fn seeded_tokens_and_the_new_token_hook() {
        let Some(s) = TestServer::start(Engine::Sqlite).await else {
            return;
        };
        // A fresh client fetches a token and reports it with its expiry.
        let (first, log) = client(&s, None);
        assert!(first.current_token().await.is_none());
        first.my_companies().await.expect("my companies");
        let fetched = seen(&log);
        assert_eq!(fetched.len(), 1);
        let (token, exp) = fetched[0].clone();
        let left = exp.duration_since(SystemTime::now()).unwrap_or_default();
        assert!(left > Duration::from_secs(3000), "{left:?}");
        assert_eq!(first.current_token().await, Some((token.clone(), exp)));

        // A client seeded with it uses it: no fetch, no report.
        let (second, log) = client(&s, Some((&token, exp)));
        second.my_companies().await.expect("my companies");
        assert_eq!(second.token_fetches(), 0);
        assert!(seen(&log).is_empty());
        assert_eq!(second.current_token().await, Some((token.clone(), exp)));

        // A seed with less than the renewal margin left is replaced before use.
        let soon = SystemTime::now() + Duration::from_secs(30);
        let (third, log) = client(&s, Some((&token, soon)));
        third.my_companies().await.expect("my companies");
        assert_eq!(third.token_fetches(), 1);
        assert_eq!(seen(&log).len(), 1);

        // A seed the server refuses: 401, one new token (reported), the call succeeds.
        let far = SystemTime::now() + Duration::from_secs(3000);
        let (fourth, log) = client(&s, Some(("not-a-valid-token", far)));
        fourth.my_companies().await.expect("renewed after the 401");
        assert_eq!(fourth.token_fetches(), 1);
        let renewed = seen(&log);
        assert_eq!(renewed.len(), 1);
        assert_ne!(renewed[0].0, "not-a-valid-token");
        assert_eq!(
            fourth.current_token().await.map(|t| t.0),
            Some(renewed[0].0.clone())
        );
        s.finish().await;
    }
}
