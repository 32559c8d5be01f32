//! What the benches share: arguments, the process's memory, and a real server on a fresh
//! database of either engine with a Reseller's token.

#![allow(dead_code)] // each bench uses its part

use std::sync::Arc;
use std::time::Duration;

use rollcall_server::{Config, Server};
use rollcall_store::SqlStore;
use serde_json::Value;

/// The allocator the `rollcall` binary runs the server with, so that figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ID: &str = "bench";
const SECRET: &str = "bench-secret-0123456789abcdef";

/// The value after `name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The middle of `v` once sorted.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The process's resident memory, KiB.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A server serving on 127.0.0.1 over a fresh database, and a token for it.
pub struct Bench {
    /// A temporary directory, removed when dropped.
    pub dir: tempfile::TempDir,
    /// The data directory (SQLite's file): `dir`, or the kept one.
    pub data_dir: std::path::PathBuf,
    /// Empty for SQLite.
    pub database_url: String,
    pub base: String,
    pub store: Arc<SqlStore>,
    pub http: reqwest::Client,
    pub token: String,
}

/// Starts a server on `engine` (`sqlite` or `postgres`; PostgreSQL in a new database on the
/// server `ROLLCALL_TEST_DATABASE_URL` names).
pub async fn start(engine: &str) -> anyhow::Result<Bench> {
    start_in(engine, None).await
}

/// [`start`], or, with `kept` (a data directory and a PostgreSQL database name), a server over
/// the database a previous run left there, created on first use and never removed, so that a
/// bench over millions of users loads them once.
pub async fn start_in(
    engine: &str,
    kept: Option<(&std::path::Path, &str)>,
) -> anyhow::Result<Bench> {
    let dir = tempfile::tempdir()?;
    let data_dir = match kept {
        Some((path, _)) => {
            std::fs::create_dir_all(path)?;
            path.to_path_buf()
        }
        None => dir.path().to_path_buf(),
    };
    let database_url = if engine == "postgres" {
        let admin = std::env::var("ROLLCALL_TEST_DATABASE_URL")
            .map_err(|_| anyhow::anyhow!("set ROLLCALL_TEST_DATABASE_URL to bench PostgreSQL"))?;
        let name = match kept {
            Some((_, name)) => name.to_owned(),
            None => format!(
                "rollcall_bench_{}",
                rollcall_store::new_resource_id().to_ascii_lowercase()
            ),
        };
        let exists = std::process::Command::new("psql")
            .arg(&admin)
            .arg("-tAc")
            .arg(format!(
                "SELECT 1 FROM pg_database WHERE datname = '{name}'"
            ))
            .output()?;
        if !String::from_utf8_lossy(&exists.stdout).contains('1') {
            let status = std::process::Command::new("psql")
                .arg(&admin)
                .arg("-qc")
                .arg(format!("CREATE DATABASE {name}"))
                .status()?;
            anyhow::ensure!(status.success(), "could not create the bench database");
        }
        format!(
            "{}/{name}",
            admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b)
        )
    } else {
        String::new()
    };
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: data_dir.clone(),
        database_url: database_url.clone(),
        bootstrap_client_id: Some(ID.into()),
        bootstrap_client_secret: Some(SECRET.into()),
        import_max_bytes: 1 << 30,
        ..Config::default()
    };
    let server = Server::start(config).await?;
    let base = format!("http://{}", server.addr);
    let store = server.state.store.clone();
    tokio::spawn(server.serve(std::future::pending()));
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", SECRET),
            ("scope", "api1"),
        ])
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(Bench {
        dir,
        data_dir,
        database_url,
        base,
        store,
        http,
        token,
    })
}

/// Drops the bench's PostgreSQL database (SQLite's goes with its directory).
pub async fn finish(engine: &str, database_url: &str) {
    if engine != "postgres" {
        return;
    }
    let admin = std::env::var("ROLLCALL_TEST_DATABASE_URL").unwrap_or_default();
    let name = database_url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = std::process::Command::new("psql")
        .arg(&admin)
        .arg("-qc")
        .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .status();
}

impl Bench {
    /// Creates a customer company named `name` with room for `seats` users: its resourceId and
    /// internal id.
    pub async fn company(&self, name: &str, seats: u64) -> anyhow::Result<(String, i64)> {
        let created: Value = self
            .http
            .post(format!("{}/api/companies", self.base))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({"Name": name, "NumberOfUsers": seats}))
            .send()
            .await?
            .json()
            .await?;
        let cid = created["data"]["resourceId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let company = self
            .store
            .company_by_resource_id(&cid)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the bench's company {name} is missing"))?;
        Ok((cid, company.id))
    }
}
