//! The rollcall server: a Keepnet-compatible REST API as an axum application.
//!
//! [`app`] builds the router from an [`AppState`]; [`Server::start`] opens the store, applies
//! migrations, bootstraps a first credential and binds a listener. The `rollcall serve` command
//! and the tests both go through [`Server::start`].

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod cut;
pub mod error;
pub mod export;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod paging;
pub mod ratelimit;
pub mod routes;
pub mod scope;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Json;
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use rollcall_store::{SqlStore, Store};
use rollcall_types::Envelope;
use tokio::net::TcpListener;

use crate::auth::TokenKeys;
use crate::error::ApiError;

/// Whether a `database_pool_size` is accepted; the `Err` says what is.
pub use rollcall_store::check_pool_size;
/// The largest `database_pool_size` a server accepts.
pub use rollcall_store::MAX_POOL_SIZE as MAX_DATABASE_POOL_SIZE;

/// Settings of a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: String,
    /// Where the SQLite file and other local state live.
    pub data_dir: PathBuf,
    /// Empty: SQLite in `data_dir`; `postgres://...`: PostgreSQL.
    pub database_url: String,
    /// Token signing secret; when `None` one is generated and stored in the database on first
    /// start, so restarts and replicas share it.
    pub jwt_secret: Option<String>,
    /// Token lifetime in seconds (Keepnet: 3600).
    pub token_ttl_secs: i64,
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
            max_page_size: 1000,
            bootstrap_client_id: None,
            bootstrap_client_secret: None,
            demo: false,
            metrics_listen: None,
            shutdown_timeout_secs: 30,
            pdf_fallback_fonts: Vec::new(),
            rate_limit: None,
            database_pool_size: None,
            audit_retention_days: DEFAULT_AUDIT_RETENTION_DAYS,
            audit_retention_interval: std::time::Duration::from_secs(3600),
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// Token keys.
    pub keys: Arc<TokenKeys>,
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
pub fn app(state: AppState) -> Router {
    let (router, doc) = openapi::router();
    let router = router.merge(openapi::swagger_ui(doc));
    let router = if state.config.metrics_listen.is_none() {
        router.route("/metrics", get(metrics))
    } else {
        router
    };
    router
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
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
        // Before anything is created on disk: a bad font path stops the start cleanly.
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
        let secret = match &config.jwt_secret {
            Some(s) if s.len() >= 32 => s.clone(),
            Some(_) => anyhow::bail!("the JWT secret must be at least 32 characters"),
            None => {
                store
                    .setting_or_init("jwt_signing_key", &auth::random_secret(48))
                    .await?
            }
        };
        let dummy_hash = auth::hash_secret(auth::random_secret(16))
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        let state = AppState {
            store: Arc::new(store.clone()),
            keys: Arc::new(TokenKeys::new(secret.as_bytes(), "rollcall")),
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
    /// exports for up to `shutdown_timeout_secs`, cuts the connections still open then (see
    /// [`cut`]), and closes the database.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        use axum::serve::ListenerExt;
        let router = app(self.state.clone());
        // Cancelled when serving ends: cuts the connections left at the deadline and stops the
        // metrics listener.
        let cut = tokio_util::sync::CancellationToken::new();
        if let Some(listener) = self.metrics_listener {
            let metrics_router = Router::new()
                .route("/metrics", get(metrics))
                .with_state(self.state.clone());
            let listener = cut::CutListener::new(listener, cut.clone());
            let stop = cut.clone().cancelled_owned();
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, metrics_router)
                    .with_graceful_shutdown(stop)
                    .await
                {
                    tracing::error!(error = %e, "metrics listener failed");
                }
            });
        }
        let mut sweeper = None;
        if let Some(limits) = self.state.limits.clone() {
            // Forget idle clients now and then so that the budgets' memory stays small.
            sweeper = Some(tokio::spawn(async move {
                let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    limits.sweep();
                }
            }));
        }
        let retention = audit::spawn_retention(
            self.state.store.clone(),
            self.state.config.audit_retention_days,
            self.state.config.audit_retention_interval,
        );
        let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
        // `tap_io` (a no-op) makes axum's `ConnectInfo<SocketAddr>` available over the wrapper.
        let listener = cut::CutListener::new(self.listener, cut.clone()).tap_io(|_| {});
        let graceful = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
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
        for task in [sweeper, retention].into_iter().flatten() {
            task.abort();
        }
        self.store.close().await;
        served
    }
}
