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
    /// Secret (32+ characters) that signs access tokens. Default: generated on first start and
    /// stored in the database, so every replica over that database shares it.
    #[arg(long, env = "ROLLCALL_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Largest pageSize a search accepts.
    #[arg(long, env = "ROLLCALL_MAX_PAGE_SIZE", default_value_t = 1000)]
    max_page_size: i64,
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
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn run(a: ServeArgs) -> Result<()> {
    let config = Config {
        listen: a.listen,
        data_dir: a.data_dir,
        database_url: a.database_url,
        jwt_secret: a.jwt_secret,
        max_page_size: a.max_page_size,
        bootstrap_client_id: a.bootstrap_client_id,
        bootstrap_client_secret: a.bootstrap_client_secret,
        demo: a.demo,
        metrics_listen: a.metrics_listen,
        shutdown_timeout_secs: a.shutdown_timeout,
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
        println!("  client_secret: {}", b.client_secret);
        println!("Keep the secret now; it cannot be shown again.");
    }
    tracing::info!(addr = %server.addr, engine = ?server.state.store.engine(), "rollcall listening");
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
