//! The rollcall server: a Keepnet-compatible REST API as an axum application.
//!
//! [`app`] builds the router from an [`AppState`]; [`Server::start`] opens the store, applies
//! migrations, bootstraps a first credential and binds a listener. The `rollcall serve` command
//! and the tests both go through [`Server::start`].

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod conn;
pub mod dns;
pub mod error;
pub mod export;
pub mod extract;
pub mod hasher;
pub mod headers;
pub mod import;
pub mod keys;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod paging;
pub mod paths;
pub mod ratelimit;
pub mod replica;
pub mod request;
pub mod router;
pub mod routes;
pub mod scim;
pub mod scope;
pub mod state;
pub mod text;
pub mod time;
pub mod token_guard;
pub mod validate;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use rollcall_store::SqlStore;
use tokio::net::TcpListener;

use crate::keys::Keyring;

pub use crate::config::*;
pub use crate::router::app;
pub use crate::state::AppState;
pub use crate::time::{millis_to_time, now_millis};

/// Whether a `database_pool_size` is accepted; the `Err` says what is.
pub use rollcall_store::check_pool_size;
/// The largest `database_pool_size` a server accepts.
pub use rollcall_store::MAX_POOL_SIZE as MAX_DATABASE_POOL_SIZE;

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
        let pdf_fonts = export::fonts::PdfFonts::load(&config.pdf_fallback_fonts)
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
        let store = match &config.database_read_url {
            Some(url) => {
                let store = store.with_read_replica(url, config.read_replica_max_stall)?;
                replica::first_check(&store).await;
                store
            }
            None => store,
        };
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
        let dummy_hash = match hasher.hash(auth::secret::random_secret(16)).await {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => anyhow::bail!("cannot hash: {e}"),
            Err(_) => anyhow::bail!(
                "the secret-checking threads did not answer at start; raise --secret-check-wait"
            ),
        };
        let state = AppState::new(state::Shared {
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
            jobs: Arc::new(import::Jobs::default()),
            lookups: auth::lookups::Lookups::default(),
            on_replica: false,
        });
        let abandoned = import::fail_abandoned(&state, true).await?;
        if abandoned > 0 {
            tracing::warn!(
                jobs = abandoned,
                "marked imports failed that a stopped server left unfinished; nothing of them was applied, and their users can import again"
            );
        }
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
                .route("/metrics", get(routes::operations::metrics))
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
        helpers.extend(replica::spawn_watch(self.state.store.clone()));
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
