//! The settings of a server, with their defaults and limits.

use std::path::PathBuf;
use std::time::Duration;

use crate::{conn, ratelimit};

/// Token lifetime, as Keepnet's (seconds; `keepnet/REFERENCE.md` A.1, `expires_in: 3600`).
pub const TOKEN_TTL_SECS: i64 = 3600;

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
    /// A PostgreSQL streaming replica that reads may use (`rollcall_store::SqlStore::with_read_replica`).
    pub database_read_url: Option<String>,
    /// How long that replica, behind the primary, may replay nothing before reads stop using
    /// it ([`rollcall_store::DEFAULT_REPLICA_MAX_STALL`]; `rollcall serve` keeps the default).
    pub read_replica_max_stall: Duration,
    /// Token signing secret; when `None` the keys live in the database (a first one is made
    /// on first start), so restarts and replicas share them and `rollcall keys rotate` can
    /// replace them. See [`crate::keys`].
    pub jwt_secret: Option<String>,
    /// Token lifetime in seconds (Keepnet: 3600), at most a day (`rollcall serve` asks for at
    /// least a minute). Tokens claiming a longer lifetime are refused.
    pub token_ttl_secs: i64,
    /// Rotate the database signing key once at start (`serve --rotate-signing-key`).
    pub rotate_signing_key: bool,
    /// Failed token requests allowed per address, per client id and per both (`None`: no
    /// limit). See [`crate::token_guard`].
    pub token_failure_limit: Option<ratelimit::Rate>,
    /// Threads that check and hash client secrets (`None`: one per core). See [`crate::hasher`].
    pub secret_check_threads: Option<usize>,
    /// How long a secret check may wait for a free thread before the request is refused.
    pub secret_check_wait: std::time::Duration,
    /// Largest `pageSize` accepted.
    pub max_page_size: i64,
    /// The server's address as clients reach it (`https://rollcall.example.com`), for the SCIM
    /// base URL an integration answers with; `None`: the request's own scheme-less host
    /// (`http://` + `Host`), which is wrong behind a TLS proxy. See docs/scim.md.
    pub public_url: Option<String>,
    /// Largest file an import upload takes, in bytes (413 above).
    pub import_max_bytes: u64,
    /// How often a running import says it is alive (PostgreSQL); one silent for twelve times
    /// this is taken for dead. See [`crate::import`].
    pub job_heartbeat: std::time::Duration,
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

    // Slow clients (see `crate::conn` and `crate::middleware::body_min_rate`); `None` turns a limit off.
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
    /// Requests allowed per API client, per process (`None`: no limit). See [`crate::ratelimit`].
    pub rate_limit: Option<ratelimit::Rate>,
    /// Most connections of the database pool of this process (on SQLite the readers, besides
    /// the one writer); `None`: the engine's default
    /// ([`rollcall_store::DEFAULT_SQLITE_POOL_SIZE`],
    /// [`rollcall_store::DEFAULT_POSTGRES_POOL_SIZE`]). From 1 to
    /// [`rollcall_store::MAX_POOL_SIZE`].
    pub database_pool_size: Option<u32>,
    /// Days audit rows are kept; older ones are deleted by a background task (see
    /// [`crate::audit::spawn_retention`]). 0 keeps them forever.
    pub audit_retention_days: u32,
    /// How often the retention task runs (it also runs once at start). An hour; tests shorten
    /// it.
    pub audit_retention_interval: std::time::Duration,
    /// The DNS server that allowed-domain checks ask for TXT records (`None`: the system's
    /// resolvers, from `/etc/resolv.conf`). See [`crate::dns`].
    pub dns_resolver: Option<std::net::SocketAddr>,
    /// How long one allowed-domain check waits for DNS before answering that it could not.
    pub dns_timeout: Duration,
}

impl Config {
    /// The connection timeouts of [`crate::conn`].
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
    pub fn request_body_min_rate(&self) -> Option<conn::MinRate> {
        self.body_min_rate
            .filter(|&r| r > 0)
            .map(|bytes_per_sec| conn::MinRate {
                bytes_per_sec,
                grace: self.body_min_rate_grace,
            })
    }
}

/// Default of [`Config::dns_timeout`].
pub const DEFAULT_DNS_TIMEOUT: Duration = Duration::from_secs(5);

/// Days audit rows are kept unless `audit_retention_days` says otherwise.
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 365;

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./rollcall-data"),
            database_url: String::new(),
            database_read_url: None,
            read_replica_max_stall: rollcall_store::DEFAULT_REPLICA_MAX_STALL,
            jwt_secret: None,
            token_ttl_secs: TOKEN_TTL_SECS,
            rotate_signing_key: false,
            token_failure_limit: Some(DEFAULT_TOKEN_FAILURE_LIMIT),
            secret_check_threads: None,
            secret_check_wait: std::time::Duration::from_secs(2),
            max_page_size: 1000,
            public_url: None,
            import_max_bytes: 100 * 1024 * 1024,
            job_heartbeat: std::time::Duration::from_secs(10),
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
            dns_resolver: None,
            dns_timeout: DEFAULT_DNS_TIMEOUT,
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
/// ([`crate::token_guard`]) and for the token endpoint's limits.
pub const MAX_BOOTSTRAP_ID_LEN: usize = 128;

/// The longest bootstrap client secret: what a token request may carry.
pub const MAX_BOOTSTRAP_SECRET_BYTES: usize = 512;
