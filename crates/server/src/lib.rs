//! The rollcall server: a Keepnet-compatible REST API as an axum application.
//!
//! [`app`] builds the router from an [`AppState`]; [`Server::start`] opens the store, applies
//! migrations, bootstraps a first credential and binds a listener. The `rollcall serve` command
//! and the tests both go through [`Server::start`].

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod conn;
pub mod error;
pub mod export;
pub mod extract;
pub mod hasher;
pub mod headers;
pub mod keys;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod paging;
pub mod ratelimit;
pub mod request;
pub mod routes;
pub mod scope;
pub mod text;
pub mod token_guard;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Json;
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use rollcall_store::{KeyStore, SqlStore, Store};
use rollcall_types::Envelope;
use tokio::net::TcpListener;

use crate::error::ApiError;
use crate::keys::Keyring;

/// Whether a `database_pool_size` is accepted; the `Err` says what is.
pub use rollcall_store::check_pool_size;
/// The largest `database_pool_size` a server accepts.
pub use rollcall_store::MAX_POOL_SIZE as MAX_DATABASE_POOL_SIZE;

/// Default of [`Config::header_timeout`] (Kestrel's `RequestHeadersTimeout`).
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default of [`Config::body_min_rate`] in bytes per second (Kestrel's
/// `MinRequestBodyDataRate`).
pub const DEFAULT_BODY_MIN_RATE: u64 = 240;
/// Default of [`Config::body_min_rate_grace`] (Kestrel's grace period for that rate).
pub const DEFAULT_BODY_MIN_RATE_GRACE: Duration = Duration::from_secs(5);
/// Default of [`Config::keep_alive_timeout`] (Kestrel's `KeepAliveTimeout`).
pub const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(130);
/// Default of [`Config::response_min_rate`] in bytes per second (Kestrel's
/// `MinResponseDataRate`).
pub const DEFAULT_RESPONSE_MIN_RATE: u64 = 240;
/// Default of [`Config::response_min_rate_grace`] (Kestrel's grace period for that rate).
pub const DEFAULT_RESPONSE_MIN_RATE_GRACE: Duration = Duration::from_secs(5);

/// Settings of a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// Where the SQLite file and other local state live.
    pub data_dir: PathBuf,
    /// Empty: SQLite in `data_dir`; `postgres://...`: PostgreSQL.
    pub database_url: String,
    /// Token signing secret; when `None` the keys live in the database (a first one is made
    /// on first start), so restarts and replicas share them and `rollcall keys rotate` can
    /// replace them. See [`keys`].
    pub jwt_secret: Option<String>,
    /// Token lifetime in seconds (Keepnet: 3600), at most a day (`rollcall serve` asks for at
    /// least a minute). Tokens claiming a longer lifetime are refused.
    pub token_ttl_secs: i64,
    /// Rotate the database signing key once at start (`serve --rotate-signing-key`).
    pub rotate_signing_key: bool,
    /// Failed token requests allowed per address, per client id and per both (`None`: no
    /// limit). See [`token_guard`].
    pub token_failure_limit: Option<ratelimit::Rate>,
    /// Threads that check and hash client secrets (`None`: one per core). See [`hasher`].
    pub secret_check_threads: Option<usize>,
    /// How long a secret check may wait for a free thread before the request is refused.
    pub secret_check_wait: std::time::Duration,
    /// Largest `pageSize` accepted.
    pub max_page_size: i64,
    /// Bootstrap client id (first start only); generated when `None`.
    pub bootstrap_client_id: Option<String>,
    /// Bootstrap client secret (first start only); generated when `None`.
    pub bootstrap_client_secret: Option<String>,
    /// Seed demo customer companies (once).
    pub demo: bool,
    /// Serve `/metrics` on this separate address instead of the main one.
    pub metrics_listen: Option<String>,
    /// How long a shutdown waits for in-flight requests and exports before closing anyway.
    pub shutdown_timeout_secs: u64,

    // Slow clients (see `conn` and `middleware::body_min_rate`); `None` turns a limit off.
    /// How long a request's headers may take to arrive in full, counted from the connection's
    /// accept for its first request and from the first byte of each later one; then the
    /// connection is closed.
    pub header_timeout: Option<Duration>,
    /// Slowest request body accepted, in bytes per second averaged since the body started;
    /// a slower one gets 408 and the connection is closed. `None` or `Some(0)`: no minimum.
    pub body_min_rate: Option<u64>,
    /// How long a request body may take before [`Config::body_min_rate`] applies.
    pub body_min_rate_grace: Duration,
    /// How long a connection with no request in progress and no byte of a new one stays
    /// open. A response still being sent (an export) is a request in progress.
    pub keep_alive_timeout: Option<Duration>,
    /// Slowest a client may take a response that is not a file, in bytes per second averaged
    /// over the time the server waited for it to read; slower, and the connection is closed
    /// mid-reply. Exports and the import template are exempt. `None` or `Some(0)`: no minimum.
    pub response_min_rate: Option<u64>,
    /// How long a response may keep the server waiting before [`Config::response_min_rate`]
    /// applies.
    pub response_min_rate_grace: Duration,

    /// TrueType or OpenType fonts, tried in order, for the characters DejaVu Sans lacks in PDF
    /// exports (CJK, ...).
    pub pdf_fallback_fonts: Vec<PathBuf>,
    /// Requests allowed per API client, per process (`None`: no limit). See [`ratelimit`].
    pub rate_limit: Option<ratelimit::Rate>,
    /// Most connections of the database pool of this process (on SQLite the readers, besides
    /// the one writer); `None`: the engine's default
    /// ([`rollcall_store::DEFAULT_SQLITE_POOL_SIZE`],
    /// [`rollcall_store::DEFAULT_POSTGRES_POOL_SIZE`]). From 1 to
    /// [`rollcall_store::MAX_POOL_SIZE`].
    pub database_pool_size: Option<u32>,
    /// Days audit rows are kept; older ones are deleted by a background task (see
    /// [`audit::spawn_retention`]). 0 keeps them forever.
    pub audit_retention_days: u32,
    /// How often the retention task runs (it also runs once at start). An hour; tests shorten
    /// it.
    pub audit_retention_interval: std::time::Duration,
}

impl Config {
    /// The connection timeouts of [`conn`].
    pub fn conn_limits(&self) -> conn::ConnLimits {
        conn::ConnLimits {
            header_timeout: self.header_timeout,
            keep_alive_timeout: self.keep_alive_timeout,
            response_min_rate: self
                .response_min_rate
                .filter(|&r| r > 0)
                .map(|bytes_per_sec| conn::MinRate {
                    bytes_per_sec,
                    grace: self.response_min_rate_grace,
                }),
        }
    }

    /// The request-body minimum rate, when there is one.
    pub fn request_body_min_rate(&self) -> Option<middleware::BodyMinRate> {
        self.body_min_rate
            .filter(|&r| r > 0)
            .map(|bytes_per_sec| middleware::BodyMinRate {
                bytes_per_sec,
                grace: self.body_min_rate_grace,
            })
    }
}

/// Days audit rows are kept unless `audit_retention_days` says otherwise.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./rollcall-data"),
            database_url: String::new(),
            jwt_secret: None,
            token_ttl_secs: auth::TOKEN_TTL_SECS,
            rotate_signing_key: false,
            token_failure_limit: Some(DEFAULT_TOKEN_FAILURE_LIMIT),
            secret_check_threads: None,
            secret_check_wait: std::time::Duration::from_secs(2),
            max_page_size: 1000,
            bootstrap_client_id: None,
            bootstrap_client_secret: None,
            demo: false,
            metrics_listen: None,
            shutdown_timeout_secs: 30,
            header_timeout: Some(DEFAULT_HEADER_TIMEOUT),
            body_min_rate: Some(DEFAULT_BODY_MIN_RATE),
            body_min_rate_grace: DEFAULT_BODY_MIN_RATE_GRACE,
            keep_alive_timeout: Some(DEFAULT_KEEP_ALIVE_TIMEOUT),
            response_min_rate: Some(DEFAULT_RESPONSE_MIN_RATE),
            response_min_rate_grace: DEFAULT_RESPONSE_MIN_RATE_GRACE,
            pdf_fallback_fonts: Vec::new(),
            rate_limit: None,
            database_pool_size: None,
            audit_retention_days: DEFAULT_AUDIT_RETENTION_DAYS,
            audit_retention_interval: std::time::Duration::from_secs(3600),
        }
    }
}

/// The default of [`Config::token_failure_limit`]: ten failures a minute per address, per
/// client id and per both.
pub const DEFAULT_TOKEN_FAILURE_LIMIT: ratelimit::Rate = ratelimit::Rate {
    count: match std::num::NonZeroU32::new(10) {
        Some(n) => n,
        None => unreachable!(),
    },
    per: std::time::Duration::from_secs(60),
};

/// The shortest client secret accepted anywhere (API clients and the bootstrap credential).
pub const MIN_SECRET_LEN: usize = 16;

/// The longest bootstrap client id: short enough for the failure budgets' keys
/// ([`token_guard`]) and for the token endpoint's limits.
pub const MAX_BOOTSTRAP_ID_LEN: usize = 128;

/// The longest bootstrap client secret: what a token request may carry.
pub const MAX_BOOTSTRAP_SECRET_BYTES: usize = 512;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// Token signing keys.
    pub keys: Arc<Keyring>,
    /// The pool that checks and hashes client secrets.
    pub hasher: Arc<hasher::SecretHasher>,
    /// Budgets of failed token requests.
    pub token_guard: Arc<token_guard::TokenGuard>,
    /// Settings.
    pub config: Arc<Config>,
    /// A valid argon2 hash to verify unknown client ids against (equal timing).
    pub dummy_hash: Arc<str>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Fonts of PDF exports, loaded once.
    pub pdf_fonts: Arc<export::pdf::PdfFonts>,
    /// Request budgets per client, when a rate limit is set.
    pub limits: Option<Arc<ratelimit::Limiters>>,
}

/// Current time in UTC milliseconds.
pub fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// Milliseconds to a UTC time.
pub fn millis_to_time(ms: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms).single()
}

/// The router. Every `/api` handler authenticates through the [`auth::Caller`] extractor.
///
/// The layer stack, innermost first (a layer reaches only the routes present when it is
/// added, and `method_not_allowed_fallback` only routes not layered yet, hence the order):
/// 1. API routes (every `/api/*` including exports, `/connect/token`, health, `/metrics`) and
///    the fallback: [`text::refuse_in_uri`] (control characters in the path or query), then
///    [`middleware::body_min_rate`] when set, then `Cache-Control: no-store`
///    ([`headers::no_store`]);
/// 2. the Swagger UI and its document: their own CSP ([`headers::DOCS_CSP`]), cacheable;
/// 3. every reply: [`headers::browser`] (nosniff, no referrer, no framing);
/// 4. outermost, [`middleware::observe`], so the log and metrics see the final status (a 408
///    of a slow body included).
pub fn app(state: AppState) -> Router {
    let (api, doc) = openapi::router();
    let api = if state.config.metrics_listen.is_none() {
        api.route("/metrics", get(metrics))
    } else {
        api
    };
    let mut api = api
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(text::refuse_in_uri));
    if let Some(rate) = state.config.request_body_min_rate() {
        api = api.layer(axum::middleware::from_fn_with_state(
            rate,
            middleware::body_min_rate,
        ));
    }
    let api = headers::no_store(api);
    let docs: Router<AppState> = openapi::swagger_ui(doc).into();
    let docs = headers::docs(docs.method_not_allowed_fallback(method_not_allowed));
    headers::browser(api.merge(docs))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .with_state(state)
}

/// `GET /health/live`: the process is up.
#[utoipa::path(
    get, path = "/health/live", operation_id = "healthLive", tag = "Operations", security(()),
    responses((status = 200, description = "The process is up", body = Envelope<String>)))]
async fn health_live() -> Json<Envelope<&'static str>> {
    Json(Envelope::success("live"))
}

/// `GET /health/ready`: the database answers.
///
/// When it does not: 503 Service Unavailable (what load balancers and Kubernetes readiness
/// probes expect), with the error envelope (status `INTERNAL_SERVER_ERROR`).
#[utoipa::path(
    get, path = "/health/ready", operation_id = "healthReady", tag = "Operations", security(()),
    responses(
        (status = 200, description = "The database answers", body = Envelope<String>),
        (status = 503, description = "The database does not answer (envelope status `INTERNAL_SERVER_ERROR`)", body = openapi::ErrorEnvelope),
    ))]
async fn health_ready(State(state): State<AppState>) -> axum::response::Response {
    match state.store.ping().await {
        Ok(()) => Json(Envelope::success("ready")).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            let body: Envelope<()> = Envelope::error(
                rollcall_types::ResultStatus::InternalServerError,
                "The database does not answer; the server is not ready.".into(),
                None,
            );
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    m.secret_check_threads
        .set(i64::try_from(state.hasher.workers()).unwrap_or(i64::MAX));
    m.secret_checks_waiting
        .set(i64::try_from(state.hasher.queued()).unwrap_or(i64::MAX));
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(state.store.pool_stats()),
    )
}

async fn fallback(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no endpoint {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> impl IntoResponse {
    let mut e =
        ApiError::bad_request(format!("{method} is not allowed on {}", uri.path())).into_response();
    *e.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    e
}

/// A started server: its state, the addresses it listens on and the listeners to serve.
pub struct Server {
    /// Shared state (also handy for tests).
    pub state: AppState,
    /// Bound address.
    pub addr: SocketAddr,
    /// Bound address of the separate `/metrics` listener, when `metrics_listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    /// Credentials created on this start, when the database was empty.
    pub bootstrap: Option<bootstrap::BootstrapCredentials>,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    store: SqlStore,
}

impl Server {
    /// Opens the store (migrating it), bootstraps it and binds the listeners (the API's and,
    /// when `metrics_listen` is set, the metrics one).
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        // Settings first, before anything is created on disk.
        if let Some(id) = config.bootstrap_client_id.as_deref() {
            if id.chars().count() > MAX_BOOTSTRAP_ID_LEN {
                anyhow::bail!(
                    "the bootstrap client id (--bootstrap-client-id, ROLLCALL_BOOTSTRAP_CLIENT_ID) has {} characters; use at most {MAX_BOOTSTRAP_ID_LEN}",
                    id.chars().count()
                );
            }
        }
        if let Some(secret) = config.bootstrap_client_secret.as_deref() {
            if secret.len() > MAX_BOOTSTRAP_SECRET_BYTES {
                anyhow::bail!(
                    "the bootstrap client secret (--bootstrap-client-secret, ROLLCALL_BOOTSTRAP_CLIENT_SECRET) is longer than {MAX_BOOTSTRAP_SECRET_BYTES} bytes, more than a token request may carry; use a shorter one"
                );
            }
            if !secret.is_empty() && secret.chars().count() < MIN_SECRET_LEN {
                anyhow::bail!(
                    "the bootstrap client secret (--bootstrap-client-secret, ROLLCALL_BOOTSTRAP_CLIENT_SECRET) has {} characters; use at least {MIN_SECRET_LEN}, or leave it unset to have one generated",
                    secret.chars().count()
                );
            }
        }
        if !(1..=86_400).contains(&config.token_ttl_secs) {
            anyhow::bail!(
                "the token lifetime must be from 1 to 86400 seconds, not {}",
                config.token_ttl_secs
            );
        }
        if config.jwt_secret.as_ref().is_some_and(|s| s.len() < 32) {
            anyhow::bail!("the JWT secret must be at least 32 characters");
        }
        if config.secret_check_wait.is_zero() {
            anyhow::bail!("the secret-check wait must be above zero: a check that may not wait at all never starts");
        }
        // A bad font path stops the start cleanly.
        let pdf_fonts = export::pdf::PdfFonts::load(&config.pdf_fallback_fonts)
            .map_err(|e| anyhow::anyhow!(e))?;
        // The listeners next, also before the store: a first start that bootstrapped a
        // generated secret and then failed to listen would lose that secret (it is stored only
        // as a hash and printed after the start).
        let listener = TcpListener::bind(&config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        let addr = listener.local_addr()?;
        let metrics_listener = match &config.metrics_listen {
            Some(at) => Some(
                TcpListener::bind(at)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot listen on {at} for metrics: {e}"))?,
            ),
            None => None,
        };
        let metrics_addr = metrics_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        let store = SqlStore::open_with_pool_size(
            &config.database_url,
            &config.data_dir,
            config.database_pool_size,
        )
        .await?;
        if config.rotate_signing_key {
            if config.jwt_secret.is_some() {
                anyhow::bail!("--rotate-signing-key rotates the keys kept in the database, but --jwt-secret (ROLLCALL_JWT_SECRET) is set and signs instead; change that secret to rotate it, or unset it to use database keys");
            }
            let (key, rotation) = keys::rotate(&store, config.token_ttl_secs).await?;
            tracing::info!(kid = %key.kid, retired = rotation.retired, dropped = rotation.dropped, "rotated the token signing key");
        } else if config.jwt_secret.is_none() {
            // A key that other users of this machine may have read is replaced, and dropped at
            // once: the key of older versions (kept where they could read it), or any key
            // after the database files were found readable (by this process or another, such
            // as `rollcall keys`).
            let live = store.signing_keys().await?.into_iter().next();
            let exposed = store.signing_key_exposed().await?;
            if let Some(live) = live.filter(|k| exposed || k.kid == keys::LEGACY_KID) {
                let (key, rotation) = keys::replace_exposed(&store, &live.kid).await?;
                if rotation.retired > 0 {
                    tracing::warn!(
                        old_kid = %live.kid,
                        kid = %key.kid,
                        "replaced the token signing key: {}; tokens it signed are refused from now on and their clients must ask for new ones",
                        if exposed {
                            "the database files were readable by other users, who may have read it"
                        } else {
                            "it dates from a version that kept it where other users of the machine could read it"
                        }
                    );
                }
            }
        }
        let keys = Keyring::open(
            &store,
            config.jwt_secret.as_deref(),
            "rollcall",
            config.token_ttl_secs,
        )
        .await?;
        let hasher = match config.secret_check_threads {
            Some(n) => hasher::SecretHasher::new(n, config.secret_check_wait),
            None => hasher::SecretHasher::per_core(config.secret_check_wait),
        }
        .map_err(|e| anyhow::anyhow!("cannot start the secret-checking threads: {e}"))?;
        let dummy_hash = match hasher.hash(auth::random_secret(16)).await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => anyhow::bail!("cannot hash: {e}"),
            Err(_) => anyhow::bail!(
                "the secret-checking threads did not answer at start; raise --secret-check-wait"
            ),
        };
        let state = AppState {
            store: Arc::new(store.clone()),
            keys: Arc::new(keys),
            hasher: Arc::new(hasher),
            token_guard: Arc::new(token_guard::TokenGuard::new(config.token_failure_limit)),
            config: Arc::new(config.clone()),
            dummy_hash: dummy_hash.into(),
            metrics: Arc::new(metrics::Metrics::new()?),
            pdf_fonts: Arc::new(pdf_fonts),
            limits: config
                .rate_limit
                .map(|r| Arc::new(ratelimit::Limiters::new(r))),
        };
        let bootstrap = bootstrap::bootstrap(&state).await?;
        if config.demo {
            bootstrap::seed_demo(&state).await?;
        }
        Ok(Server {
            state,
            addr,
            metrics_addr,
            bootstrap,
            listener,
            metrics_listener,
            store,
        })
    }

    /// Serves until `shutdown` resolves, then stops accepting, finishes in-flight requests and
    /// exports for up to `shutdown_timeout_secs`, cuts the connections still open then, and
    /// closes the database. Every connection gets the slow-client timeouts (see [`conn`]).
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = app(self.state.clone());
        // Cancelled when serving ends: cuts the connections left at the deadline and stops the
        // metrics listener.
        let cut = tokio_util::sync::CancellationToken::new();
        let conn_limits = self.state.config.conn_limits();
        if let Some(listener) = self.metrics_listener {
            let metrics_router = Router::new()
                .route("/metrics", get(metrics))
                .with_state(self.state.clone());
            let metrics_router = headers::browser(headers::no_store(metrics_router));
            let listener = conn::ConnListener::new(listener, cut.clone(), conn_limits);
            let stop = cut.clone().cancelled_owned();
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, conn::PerConnection::new(metrics_router))
                    .with_graceful_shutdown(stop)
                    .await
                {
                    tracing::error!(error = %e, "metrics listener failed");
                }
            });
        }
        let mut helpers = Vec::new();
        let limits = self.state.limits.clone();
        let guard = self.state.token_guard.clone();
        // Forget idle clients now and then so that the budgets' memory stays small.
        helpers.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                if let Some(limits) = &limits {
                    limits.sweep();
                }
                guard.sweep();
            }
        }));
        if self.state.keys.from_database() {
            // Pick up a key rotated by `rollcall keys rotate` or another replica.
            let (ring, store) = (self.state.keys.clone(), self.state.store.clone());
            helpers.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(keys::RELOAD_EVERY);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if let Err(e) = ring.reload(store.as_ref()).await {
                        tracing::warn!(error = %e, "could not reload the signing keys");
                    }
                }
            }));
        }
        let retention = audit::spawn_retention(
            self.state.store.clone(),
            self.state.config.audit_retention_days,
            self.state.config.audit_retention_interval,
        );
        let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
        // `PerConnection` also puts `ConnectInfo<SocketAddr>` in every request.
        let listener = conn::ConnListener::new(self.listener, cut.clone(), conn_limits);
        let graceful = axum::serve(listener, conn::PerConnection::new(router))
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stopping_tx.send(true);
            });
        let deadline = std::time::Duration::from_secs(self.state.config.shutdown_timeout_secs);
        let served = tokio::select! {
            r = graceful => r.map_err(anyhow::Error::from),
            _ = async {
                let _ = stopping_rx.wait_for(|s| *s).await;
                tokio::time::sleep(deadline).await;
            } => {
                tracing::warn!(seconds = deadline.as_secs(), "shutdown deadline passed; cutting the requests still running");
                Ok(())
            }
        };
        // Whatever ended the serving: cut what is left, stop the helpers, close the database.
        cut.cancel();
        for task in helpers.into_iter().chain(retention) {
            task.abort();
        }
        self.store.close().await;
        served
    }
}
