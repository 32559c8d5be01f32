//! `rollcall serve`: the HTTP API server.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use rollcall_server::{Config, Server};

/// Flags of `rollcall serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "ROLLCALL_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Directory for the embedded SQLite database and other local state.
    #[arg(long, env = "ROLLCALL_DATA_DIR", default_value = "./rollcall-data")]
    data_dir: PathBuf,
    /// Empty: SQLite file in the data dir. postgres://user:pass@host/db: PostgreSQL (many
    /// replicas may share one database).
    #[arg(long, env = "ROLLCALL_DATABASE_URL", default_value = "")]
    database_url: String,
    /// postgres://...: a streaming replica of the PostgreSQL primary that searches, counts and
    /// exports read from once it has replayed the caller's own writes; the primary answers
    /// when it is behind or down (README, "Read replicas").
    #[arg(long, env = "ROLLCALL_DATABASE_READ_URL")]
    database_read_url: Option<String>,
    /// Secret (32+ characters) that signs access tokens. Default: generated on first start and
    /// stored in the database, so every replica over that database shares it.
    #[arg(long, env = "ROLLCALL_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Largest pageSize a search accepts.
    #[arg(long, env = "ROLLCALL_MAX_PAGE_SIZE", default_value_t = 1000)]
    max_page_size: i64,
    /// The server's address as identity providers reach it (https://rollcall.example.com):
    /// the SCIM base URL given to integrations is this plus /scim/v2. Default: the request's
    /// Host header over http://, wrong behind a TLS proxy.
    #[arg(long, env = "ROLLCALL_PUBLIC_URL")]
    public_url: Option<String>,
    /// Largest file `POST /api/target-users/upload` takes, in MiB (413 above).
    #[arg(long, env = "ROLLCALL_IMPORT_MAX_MIB", default_value_t = 100)]
    import_max_mib: u64,
    /// Seconds between a running import's signs of life on PostgreSQL; after twelve missed, any
    /// replica reports the import failed.
    #[arg(long, env = "ROLLCALL_JOB_HEARTBEAT_SECS", default_value_t = 10)]
    job_heartbeat_secs: u64,
    /// Client id of the first Reseller credential (used only on an empty database).
    #[arg(long, env = "ROLLCALL_BOOTSTRAP_CLIENT_ID")]
    bootstrap_client_id: Option<String>,
    /// Secret of the first Reseller credential (used only on an empty database).
    #[arg(long, env = "ROLLCALL_BOOTSTRAP_CLIENT_SECRET", hide_env_values = true)]
    bootstrap_client_secret: Option<String>,
    /// Seed demo customer companies (once) so the whole workflow can be tried at once.
    #[arg(long, env = "ROLLCALL_DEMO")]
    demo: bool,
    /// Log format on stderr: text, or json (one object per line).
    #[arg(long, env = "ROLLCALL_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// Serve /metrics on this separate address (e.g. 127.0.0.1:9090) instead of the API's.
    #[arg(long, env = "ROLLCALL_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for running requests and exports.
    #[arg(long, env = "ROLLCALL_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    shutdown_timeout: u64,
    /// Seconds a request's headers may take to arrive in full, counted from the connection's
    /// accept for its first request and from the first byte of each later one; then the
    /// connection is closed. 0: no limit.
    #[arg(long, env = "ROLLCALL_HEADER_TIMEOUT", value_name = "SECS",
          default_value_t = rollcall_server::DEFAULT_HEADER_TIMEOUT.as_secs())]
    header_timeout: u64,
    /// Slowest request body accepted, in bytes per second averaged since the body started,
    /// after a 5 s grace; slower: 408 and the connection is closed. 0: no minimum.
    #[arg(long, env = "ROLLCALL_BODY_MIN_RATE", value_name = "BYTES_PER_SEC",
          default_value_t = rollcall_server::DEFAULT_BODY_MIN_RATE)]
    body_min_rate: u64,
    /// Seconds a connection with no request in progress (a response being sent counts as one)
    /// and no byte of a new request stays open. 0: no limit.
    #[arg(long, env = "ROLLCALL_KEEP_ALIVE_TIMEOUT", value_name = "SECS",
          default_value_t = rollcall_server::DEFAULT_KEEP_ALIVE_TIMEOUT.as_secs())]
    keep_alive_timeout: u64,
    /// Slowest a client may take a reply that is not a file, in bytes per second averaged over
    /// the time the server waited for it to read, after a 5 s grace; slower: the connection is
    /// closed mid-reply. Exports and the import template are exempt. 0: no minimum.
    #[arg(long, env = "ROLLCALL_RESPONSE_MIN_RATE", value_name = "BYTES_PER_SEC",
          default_value_t = rollcall_server::DEFAULT_RESPONSE_MIN_RATE)]
    response_min_rate: u64,
    /// A TrueType or OpenType font for the characters DejaVu Sans lacks in PDF exports (Chinese,
    /// Japanese, Korean, ...), e.g. /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf.
    /// Repeat the flag (or separate paths with ':') for several, tried in order.
    #[arg(long, env = "ROLLCALL_PDF_FALLBACK_FONT", value_delimiter = ':')]
    pdf_fallback_font: Vec<String>,
    /// Requests each API client may send to this process, as N/s, N/min or N/h (e.g. 600/min):
    /// a burst of N, then evenly spread. Over it: 429 TOO_MANY_REQUESTS with Retry-After.
    /// Token requests have a second budget of the same size. Default: off.
    #[arg(long, env = "ROLLCALL_RATE_LIMIT")]
    rate_limit: Option<String>,
    /// Most connections of this replica's database pool, from 1 to 1000 (on SQLite the
    /// readers, besides the one writer). Default: 16 on PostgreSQL, 8 on SQLite. On PostgreSQL
    /// keep pool size × replicas (plus one per running export) below the server's
    /// max_connections.
    #[arg(long, env = "ROLLCALL_DATABASE_POOL_SIZE")]
    database_pool_size: Option<u32>,
    /// Seconds an access token lasts (60 to 86400). Tokens claiming a longer lifetime are
    /// refused, even when correctly signed.
    #[arg(long, env = "ROLLCALL_TOKEN_LIFETIME", default_value_t = 3600)]
    token_lifetime: i64,
    /// Replace the token signing key kept in the database before serving (as `rollcall keys
    /// rotate` does): tokens signed by the old key keep working until they expire.
    #[arg(long)]
    rotate_signing_key: bool,
    /// Failed token requests allowed per source address, per client_id and per both, as N/s,
    /// N/min or N/h; over it 429 with Retry-After, before the secret is checked. Successful
    /// requests do not count. "off" turns it off.
    #[arg(long, env = "ROLLCALL_TOKEN_FAILURE_LIMIT", default_value = "10/min")]
    token_failure_limit: String,
    /// Threads that check and hash client secrets (argon2id, 19 MiB each). Default: one per
    /// core.
    #[arg(long, env = "ROLLCALL_SECRET_CHECK_THREADS")]
    secret_check_threads: Option<usize>,
    /// Seconds a token request may wait for a free secret-checking thread; after that it gets
    /// 503 with Retry-After.
    #[arg(long, env = "ROLLCALL_SECRET_CHECK_WAIT", default_value_t = 2.0)]
    secret_check_wait: f64,
    /// Days the audit log keeps its rows; older ones are deleted in small batches at start and
    /// then hourly. 0 keeps them forever.
    #[arg(long, env = "ROLLCALL_AUDIT_RETENTION_DAYS", default_value_t = rollcall_server::DEFAULT_AUDIT_RETENTION_DAYS)]
    audit_retention_days: u32,
    /// The DNS server (address:port) that allowed-domain checks ask for TXT records. Default:
    /// the system's resolvers (/etc/resolv.conf).
    #[arg(long, env = "ROLLCALL_DNS_RESOLVER", value_name = "ADDR:PORT")]
    dns_resolver: Option<String>,
    /// Seconds one allowed-domain check waits for DNS (0.1 to 60) before answering that DNS did
    /// not answer.
    #[arg(long, env = "ROLLCALL_DNS_TIMEOUT", value_name = "SECS",
          default_value_t = rollcall_server::DEFAULT_DNS_TIMEOUT.as_secs_f64())]
    dns_timeout: f64,
    /// A TOML file of settings (`rollcall config example` prints one). Flags and environment
    /// variables win over the file; the file wins over the defaults.
    #[arg(long, env = "ROLLCALL_CONFIG_FILE")]
    config_file: Option<PathBuf>,
}

/// `--public-url` without a trailing slash, or what is wrong with it.
fn public_url(raw: Option<&str>) -> Result<Option<String>> {
    let Some(url) = raw.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let url = url.trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => Ok(Some(url.to_owned())),
        _ => anyhow::bail!(
            "--public-url (ROLLCALL_PUBLIC_URL, public_url) must be an http:// or https:// address such as https://rollcall.example.com, not '{url}'"
        ),
    }
}

/// Every setting of the config file: (key, help, example value as TOML).
const SETTINGS: &[(&str, &str, &str)] = &[
    ("listen", "Address and port to listen on.", "\"127.0.0.1:8080\""),
    ("data_dir", "Directory of the embedded SQLite database.", "\"./rollcall-data\""),
    ("database_url", "Empty: SQLite in data_dir. postgres://user:pass@host/db: PostgreSQL.", "\"\""),
    ("database_read_url", "postgres://...: a streaming replica that searches, counts and exports read from; default: none, the primary answers every read.", "\"postgres://user:pass@replica/db\""),
    ("jwt_secret", "Secret (32+ characters) signing access tokens; default: generated and stored in the database.", "\"change-me-to-a-long-random-secret-of-32-chars\""),
    ("max_page_size", "Largest pageSize a search accepts.", "1000"),
    ("public_url", "The server's address as identity providers reach it; the SCIM base URL is this plus /scim/v2; default: http:// and the request's Host.", "\"https://rollcall.example.com\""),
    ("import_max_mib", "Largest file an import upload takes, in MiB.", "100"),
    ("job_heartbeat_secs", "Seconds between a running import's signs of life (PostgreSQL).", "10"),
    ("bootstrap_client_id", "Client id of the first Reseller credential (empty database only).", "\"admin\""),
    ("bootstrap_client_secret", "Its secret, at least 16 characters.", "\"change-me-to-a-long-random-secret\""),
    ("demo", "Seed demo customer companies once.", "false"),
    ("log_format", "text or json.", "\"text\""),
    ("metrics_listen", "Serve /metrics on this separate address.", "\"127.0.0.1:9090\""),
    ("shutdown_timeout", "Seconds a shutdown waits for running requests and exports.", "30"),
    ("database_pool_size", "Most connections of this replica's database pool, 1 to 1000; default: 16 on PostgreSQL, 8 (readers) on SQLite.", "16"),
    ("audit_retention_days", "Days the audit log keeps its rows (deleted in small batches at start and hourly); 0 keeps them forever.", "365"),
    ("rate_limit", "Requests per API client per process, as N/s, N/min or N/h; over it 429 with Retry-After (token requests count separately); default: off.", "\"600/min\""),
    ("token_lifetime", "Seconds an access token lasts, 60 to 86400; longer-lived tokens are refused.", "3600"),
    ("token_failure_limit", "Failed token requests per address, per client_id and per both, as N/s, N/min or N/h, or \"off\"; over it 429 before the secret is checked.", "\"10/min\""),
    ("secret_check_threads", "Threads checking client secrets (argon2id, 19 MiB each); default: one per core.", "2"),
    ("secret_check_wait", "Seconds a token request may wait for a secret-checking thread before 503 with Retry-After.", "2"),
    ("header_timeout", "Seconds a request's headers may take to arrive (from the connection's accept, or from the first byte of a later request); then the connection is closed; 0: no limit.", "30"),
    ("body_min_rate", "Slowest request body accepted, in bytes/s averaged after a 5 s grace; slower: 408 and the connection is closed; 0: no minimum.", "240"),
    ("keep_alive_timeout", "Seconds an idle connection (no request in progress, no byte of a new one) stays open; 0: no limit.", "130"),
    ("response_min_rate", "Slowest a client may take a reply that is not a file (exports are exempt), in bytes/s averaged over the time the server waited for it, after a 5 s grace; slower: the connection is closed; 0: no minimum.", "240"),
    ("dns_resolver", "DNS server (address:port) asked for the TXT records of allowed domains; default: the system's resolvers.", "\"127.0.0.1:53\""),
    ("dns_timeout", "Seconds an allowed-domain check waits for DNS, 0.1 to 60.", "5"),
    ("pdf_fallback_font", "Fonts, tried in order, for characters DejaVu Sans lacks in PDF exports (CJK, ...); default: none, they print as placeholders.", "[\"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf\", \"/usr/share/fonts/truetype/nanum/NanumGothic.ttf\"]"),
];

/// A commented example config file with every setting (all commented out, with its default or
/// an example value).
pub fn example_config() -> String {
    let mut out = String::from(
        "# rollcall serve settings. Pass with --config-file FILE (or ROLLCALL_CONFIG_FILE).\n\
         # Command-line flags and ROLLCALL_* environment variables win over this file.\n",
    );
    for (key, help, value) in SETTINGS {
        out.push_str(&format!("\n# {help}\n# {key} = {value}\n"));
    }
    out
}

/// Fills the settings that were left at their defaults (neither a flag nor an environment
/// variable) from `--config-file`.
pub fn apply_config_file(a: &mut ServeArgs, matches: &clap::ArgMatches) -> Result<()> {
    let Some(path) = a.config_file.clone() else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read the config file {}: {e}", path.display()))?;
    let table: toml::Table = text.parse().map_err(|e| {
        anyhow::anyhow!("the config file {} is not valid TOML: {e}", path.display())
    })?;
    let unset = |id: &str| {
        matches!(
            matches.value_source(id),
            None | Some(clap::parser::ValueSource::DefaultValue)
        )
    };
    for (raw_key, value) in &table {
        let key = raw_key.replace('-', "_");
        let bad = |want: &str| anyhow::anyhow!("{}: '{raw_key}' must be {want}", path.display());
        let text = || {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad("a string"))
        };
        let int = || value.as_integer().ok_or_else(|| bad("a whole number"));
        if !SETTINGS.iter().any(|(k, _, _)| *k == key) {
            let known: Vec<&str> = SETTINGS.iter().map(|(k, _, _)| *k).collect();
            anyhow::bail!(
                "{}: unknown setting '{raw_key}'; known settings: {}",
                path.display(),
                known.join(", ")
            );
        }
        if !unset(&key) {
            continue;
        }
        match key.as_str() {
            "listen" => a.listen = text()?,
            "data_dir" => a.data_dir = PathBuf::from(text()?),
            "database_url" => a.database_url = text()?,
            "database_read_url" => a.database_read_url = Some(text()?),
            "jwt_secret" => a.jwt_secret = Some(text()?),
            "max_page_size" => a.max_page_size = int()?,
            "public_url" => a.public_url = Some(text()?),
            "import_max_mib" => {
                a.import_max_mib = u64::try_from(int()?).map_err(|_| bad("a positive number"))?
            }
            "job_heartbeat_secs" => {
                a.job_heartbeat_secs =
                    u64::try_from(int()?).map_err(|_| bad("a positive number"))?
            }
            "bootstrap_client_id" => a.bootstrap_client_id = Some(text()?),
            "bootstrap_client_secret" => a.bootstrap_client_secret = Some(text()?),
            "demo" => a.demo = value.as_bool().ok_or_else(|| bad("true or false"))?,
            "log_format" => {
                let f = text()?;
                if f != "text" && f != "json" {
                    return Err(bad("\"text\" or \"json\""));
                }
                a.log_format = f;
            }
            "metrics_listen" => a.metrics_listen = Some(text()?),
            "rate_limit" => a.rate_limit = Some(text()?),
            "pdf_fallback_font" => {
                // One path, or a list of paths tried in order.
                a.pdf_fallback_font = match value.as_array() {
                    Some(list) => list
                        .iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<_>>()
                        .ok_or_else(|| bad("a path or a list of paths"))?,
                    None => vec![text()?],
                }
            }
            "database_pool_size" => {
                a.database_pool_size =
                    Some(u32::try_from(int()?).map_err(|_| bad(&pool_size_range()))?)
            }
            "token_lifetime" => a.token_lifetime = int()?,
            "token_failure_limit" => a.token_failure_limit = text()?,
            "secret_check_threads" => {
                a.secret_check_threads =
                    Some(usize::try_from(int()?).map_err(|_| bad("a positive whole number"))?)
            }
            "dns_resolver" => a.dns_resolver = Some(text()?),
            "dns_timeout" => {
                a.dns_timeout = value
                    .as_float()
                    .or_else(|| value.as_integer().map(|i| i as f64))
                    .ok_or_else(|| bad("a number of seconds"))?
            }
            "secret_check_wait" => {
                a.secret_check_wait = value
                    .as_float()
                    .or_else(|| value.as_integer().map(|i| i as f64))
                    .ok_or_else(|| bad("a number of seconds"))?
            }
            "header_timeout" => {
                a.header_timeout = u64::try_from(int()?).map_err(|_| bad("0 or more seconds"))?
            }
            "body_min_rate" => {
                a.body_min_rate =
                    u64::try_from(int()?).map_err(|_| bad("0 or more bytes per second"))?
            }
            "keep_alive_timeout" => {
                a.keep_alive_timeout =
                    u64::try_from(int()?).map_err(|_| bad("0 or more seconds"))?
            }
            "response_min_rate" => {
                a.response_min_rate =
                    u64::try_from(int()?).map_err(|_| bad("0 or more bytes per second"))?
            }
            "audit_retention_days" => {
                a.audit_retention_days =
                    u32::try_from(int()?).map_err(|_| bad("a whole number of days, 0 or more"))?
            }
            "shutdown_timeout" => {
                a.shutdown_timeout = u64::try_from(int()?).map_err(|_| bad("a positive number"))?
            }
            _ => {}
        }
    }
    Ok(())
}

/// The accepted values of `database_pool_size`, for messages.
fn pool_size_range() -> String {
    format!(
        "a whole number from 1 to {}",
        rollcall_server::MAX_DATABASE_POOL_SIZE
    )
}

/// Refuses a pool size of 0 or above [`rollcall_server::MAX_DATABASE_POOL_SIZE`], naming the
/// setting.
fn check_pool_size(size: Option<u32>) -> Result<()> {
    if let Some(n) = size {
        rollcall_server::check_pool_size(n).map_err(|e| {
            anyhow::anyhow!(
                "--database-pool-size (ROLLCALL_DATABASE_POOL_SIZE, database_pool_size in the config file) {e}"
            )
        })?;
    }
    Ok(())
}

/// Settings whose value shows in `ps` when given as a flag, with where to put them instead.
pub fn secrets_on_command_line(matches: &clap::ArgMatches, a: &ServeArgs) -> Vec<String> {
    let from_flag =
        |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    let mut found = Vec::new();
    for (id, flag, env) in [
        ("jwt_secret", "--jwt-secret", "ROLLCALL_JWT_SECRET"),
        (
            "bootstrap_client_secret",
            "--bootstrap-client-secret",
            "ROLLCALL_BOOTSTRAP_CLIENT_SECRET",
        ),
    ] {
        if from_flag(id) {
            found.push(format!(
                "{flag} was given on the command line, where other users of this machine can read it (ps, /proc); set {env} or put it in the --config-file instead"
            ));
        }
    }
    if from_flag("database_url") && url_has_password(&a.database_url) {
        found.push(PASSWORD_IN_URL_FLAG.to_owned());
    }
    if from_flag("database_read_url")
        && a.database_read_url.as_deref().is_some_and(url_has_password)
    {
        found.push("--database-read-url holds a password on the command line, where other users of this machine can read it (ps, /proc); set ROLLCALL_DATABASE_READ_URL or put it in the --config-file instead".to_owned());
    }
    found
}

/// The warning for a database password given as a flag.
pub const PASSWORD_IN_URL_FLAG: &str = "--database-url holds a password on the command line, where other users of this machine can read it (ps, /proc); set ROLLCALL_DATABASE_URL or put it in the --config-file instead";

/// Whether a database URL carries a password: `scheme://user:password@host/...`, or a
/// `password=` parameter (which PostgreSQL URLs accept too).
pub fn url_has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let in_userinfo = authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.split_once(':').is_some_and(|(_, p)| !p.is_empty()));
    let in_query = rest.split_once('?').is_some_and(|(_, query)| {
        query.split('&').any(|pair| {
            pair.split_once('=')
                .is_some_and(|(k, v)| k.eq_ignore_ascii_case("password") && !v.is_empty())
        })
    });
    in_userinfo || in_query
}

/// Parses an `N/s | N/min | N/h` setting; empty or `off` is `None`.
fn parse_rate(flag: &str, text: Option<&str>) -> Result<Option<rollcall_server::ratelimit::Rate>> {
    match text.map(str::trim) {
        None | Some("" | "off") => Ok(None),
        Some(text) => text
            .parse::<rollcall_server::ratelimit::Rate>()
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{flag}: {e}")),
    }
}

/// A timeout setting in seconds, where 0 turns it off.
fn secs_or_off(secs: u64) -> Option<std::time::Duration> {
    (secs > 0).then(|| std::time::Duration::from_secs(secs))
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn run(a: ServeArgs) -> Result<()> {
    check_pool_size(a.database_pool_size)?;
    let rate_limit = parse_rate("--rate-limit", a.rate_limit.as_deref())?;
    let token_failure_limit = parse_rate(
        "--token-failure-limit",
        Some(a.token_failure_limit.as_str()),
    )?;
    if !(a.secret_check_wait.is_finite()
        && a.secret_check_wait >= 0.01
        && a.secret_check_wait <= 600.0)
    {
        anyhow::bail!(
            "--secret-check-wait (ROLLCALL_SECRET_CHECK_WAIT, secret_check_wait) must be from 0.01 to 600 seconds, not {}",
            a.secret_check_wait
        );
    }
    if !(60..=86_400).contains(&a.token_lifetime) {
        anyhow::bail!(
            "--token-lifetime (ROLLCALL_TOKEN_LIFETIME, token_lifetime) must be from 60 to 86400 seconds, not {}",
            a.token_lifetime
        );
    }
    if a.secret_check_threads == Some(0) {
        anyhow::bail!("--secret-check-threads (ROLLCALL_SECRET_CHECK_THREADS) must be at least 1; leave it unset for one per core");
    }
    if !(a.dns_timeout.is_finite() && (0.1..=60.0).contains(&a.dns_timeout)) {
        anyhow::bail!(
            "--dns-timeout (ROLLCALL_DNS_TIMEOUT, dns_timeout) must be from 0.1 to 60 seconds, not {}",
            a.dns_timeout
        );
    }
    let dns_resolver = match a.dns_resolver.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(addr) => Some(addr.parse::<std::net::SocketAddr>().map_err(|_| {
            anyhow::anyhow!(
                "--dns-resolver (ROLLCALL_DNS_RESOLVER, dns_resolver) must be an IP address and port such as 127.0.0.1:53 or [::1]:53, not '{addr}'"
            )
        })?),
    };
    // A secret the operator supplied is never echoed: stdout is often a log stream.
    let secret_supplied = a.bootstrap_client_secret.is_some();
    let config = Config {
        listen: a.listen,
        data_dir: a.data_dir,
        database_url: a.database_url,
        database_read_url: a.database_read_url.filter(|u| !u.trim().is_empty()),
        jwt_secret: a.jwt_secret,
        max_page_size: a.max_page_size,
        public_url: public_url(a.public_url.as_deref())?,
        import_max_bytes: a.import_max_mib.saturating_mul(1024 * 1024),
        job_heartbeat: std::time::Duration::from_secs(a.job_heartbeat_secs.max(1)),
        bootstrap_client_id: a.bootstrap_client_id,
        bootstrap_client_secret: a.bootstrap_client_secret,
        demo: a.demo,
        metrics_listen: a.metrics_listen,
        shutdown_timeout_secs: a.shutdown_timeout,
        header_timeout: secs_or_off(a.header_timeout),
        body_min_rate: (a.body_min_rate > 0).then_some(a.body_min_rate),
        keep_alive_timeout: secs_or_off(a.keep_alive_timeout),
        response_min_rate: (a.response_min_rate > 0).then_some(a.response_min_rate),
        pdf_fallback_fonts: crate::non_empty_paths(&a.pdf_fallback_font),
        rate_limit,
        database_pool_size: a.database_pool_size,
        token_ttl_secs: a.token_lifetime,
        rotate_signing_key: a.rotate_signing_key,
        token_failure_limit,
        secret_check_threads: a.secret_check_threads,
        secret_check_wait: std::time::Duration::from_secs_f64(a.secret_check_wait),
        audit_retention_days: a.audit_retention_days,
        dns_resolver,
        dns_timeout: std::time::Duration::from_secs_f64(a.dns_timeout),
        ..Config::default()
    };
    let server = Server::start(config).await?;
    if let Some(b) = &server.bootstrap {
        // Printed once: the secret is stored only as a hash.
        println!(
            "First start: created the root reseller company {} and a Reseller API client.",
            b.company_resource_id
        );
        println!("  client_id:     {}", b.client_id);
        if secret_supplied {
            println!("  client_secret: the one you supplied (--bootstrap-client-secret, ROLLCALL_BOOTSTRAP_CLIENT_SECRET or the config file)");
        } else {
            println!("  client_secret: {}", b.client_secret);
            println!("Keep the secret now; it cannot be shown again.");
        }
    }
    tracing::info!(
        addr = %server.addr,
        metrics_addr = %server
            .metrics_addr
            .map_or_else(|| "same as addr".to_owned(), |a| a.to_string()),
        engine = ?server.state.store.engine(),
        read_replica = server.state.store.has_read_replica(),
        database_pool_size = server.state.store.pool_stats().max,
        rate_limit = %rate_limit.map_or_else(|| "off".to_owned(), |r| r.to_string()),
        token_failure_limit = %token_failure_limit.map_or_else(|| "off".to_owned(), |r| r.to_string()),
        secret_check_threads = server.state.hasher.workers(),
        audit_retention_days = server.state.config.audit_retention_days,
        "rollcall listening"
    );
    server.serve(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::url_has_password;

    #[test]
    fn passwords_in_database_urls_are_found() {
        for (url, has) in [
            ("postgres://rollcall:hunter2@db/rollcall", true),
            ("postgres://rollcall@db/rollcall?password=hunter2", true),
            (
                "postgres://rollcall@db/rollcall?sslmode=require&Password=x",
                true,
            ),
            ("postgres://rollcall@db/rollcall", false),
            ("postgres://rollcall:@db/rollcall", false),
            ("postgres://db/rollcall?password=", false),
            ("sqlite://./rollcall.db", false),
            ("", false),
        ] {
            assert_eq!(url_has_password(url), has, "{url}");
        }
    }
}
