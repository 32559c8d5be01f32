//! Test harness: a real rollcall server on `127.0.0.1:0` (SQLite in a temp dir, or a fresh
//! PostgreSQL database on the server named by `ROLLCALL_TEST_DATABASE_URL`), and the real
//! `rollcall` binary run against it with `KEEPNET_*` variables. Trimmed from the server's own
//! harness (`crates/server/tests/api/common`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use rollcall_server::{Config, Server};
use serde_json::{json, Value};
use sqlx::Connection;

/// Credentials of the bootstrap Reseller client in every test server.
pub const ROOT_ID: &str = "root-reseller";
/// Its secret.
pub const ROOT_SECRET: &str = "root-secret-0123456789abcdef";
/// The company-scope header.
pub const SCOPE: &str = "X-KEEPNET-Company-Id";

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// `both_engines!(my_test);` makes `my_test::sqlite` and `my_test::postgres` from
/// `async fn my_test(engine: Engine)`.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Engine::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::Engine::Postgres).await
                }
            }
        )*
    };
}

/// The PostgreSQL admin URL for tests, if configured. In CI (`CI=true`) it must be.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("ROLLCALL_TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("CI").map(|v| v != "true").unwrap_or(true),
                "CI must set ROLLCALL_TEST_DATABASE_URL so that PostgreSQL tests run"
            );
            None
        }
    }
}

/// Creates an empty database on the test PostgreSQL server and returns its URL.
pub async fn fresh_pg_database(admin: &str) -> String {
    let name = format!(
        "rollcall_cli_test_{}",
        rollcall_store::new_resource_id().to_ascii_lowercase()
    );
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    let (base, _) = admin
        .rsplit_once('/')
        .expect("admin URL has a database path");
    format!("{base}/{name}")
}

/// What a CLI run left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit 0 and returns stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "{self:?}");
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(self.code, want, "{self:?}");
        self
    }
}

/// A running server, an HTTP client for setting up data, and a home for the CLI's files.
pub struct TestServer {
    pub engine: Engine,
    pub base: String,
    pub http: reqwest::Client,
    pub config: Config,
    pub root_company: String,
    /// HOME / XDG_CONFIG_HOME of CLI runs, and a place for output files.
    pub home: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    dir: Arc<tempfile::TempDir>,
}

impl TestServer {
    /// Starts a server on a fresh database; `None` when PostgreSQL is not configured here.
    pub async fn start(engine: Engine) -> Option<TestServer> {
        Self::start_with(engine, |_| {}).await
    }

    /// Starts a server with a config tweak on a fresh database.
    pub async fn start_with(engine: Engine, tweak: impl FnOnce(&mut Config)) -> Option<TestServer> {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let database_url = match engine {
            Engine::Sqlite => String::new(),
            Engine::Postgres => match pg_admin_url() {
                Some(admin) => fresh_pg_database(&admin).await,
                None => {
                    eprintln!("ROLLCALL_TEST_DATABASE_URL is not set: skipping the PostgreSQL run");
                    return None;
                }
            },
        };
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            database_url,
            bootstrap_client_id: Some(ROOT_ID.into()),
            bootstrap_client_secret: Some(ROOT_SECRET.into()),
            ..Config::default()
        };
        tweak(&mut config);
        let server = Server::start(config.clone()).await.expect("server starts");
        let base = format!("http://{}", server.addr);
        let root_company = server
            .bootstrap
            .as_ref()
            .map(|b| b.company_resource_id.clone())
            .unwrap_or_default();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .serve(async move {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        Some(TestServer {
            engine,
            base,
            http: reqwest::Client::new(),
            config,
            root_company,
            home: tempfile::tempdir().expect("home dir"),
            shutdown: Some(tx),
            task: Some(task),
            dir,
        })
    }

    /// Stops the server and waits until it has closed its database.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Stops the server and drops its PostgreSQL database (the SQLite one goes with the temp
    /// dir). Call at the end of a test so that large test databases do not pile up.
    pub async fn finish(mut self) {
        self.stop().await;
        if self.engine == Engine::Postgres {
            if let (Some(admin), Some((_, name))) =
                (pg_admin_url(), self.config.database_url.rsplit_once('/'))
            {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                    conn.close().await.ok();
                }
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A file path in the CLI's home.
    pub fn file(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// The database URL the test can open directly (Any driver).
    pub fn database_url(&self) -> String {
        match self.engine {
            Engine::Sqlite => format!(
                "sqlite://{}",
                self.config.data_dir.join("rollcall.db").display()
            ),
            Engine::Postgres => self.config.database_url.clone(),
        }
    }

    /// Runs `rollcall ARGS` as the bootstrap Reseller (via `KEEPNET_*`), stdout piped.
    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_env(
            &[
                ("KEEPNET_CLIENT_ID", ROOT_ID),
                ("KEEPNET_CLIENT_SECRET", ROOT_SECRET),
                ("KEEPNET_API_BASE_URL", &self.base),
            ],
            args,
        )
        .await
    }

    /// Runs `rollcall ARGS` with exactly these `KEEPNET_*`/`ROLLCALL_*` variables (the ones of
    /// the test process are removed), HOME and XDG_CONFIG_HOME in the test's home.
    pub async fn run_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        run_cli(self.home.path(), env, args).await
    }

    /// A token for a client id and secret.
    pub async fn token(&self, id: &str, secret: &str) -> String {
        let resp = self
            .http
            .post(self.url("/connect/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
                ("scope", "api1"),
            ])
            .send()
            .await
            .expect("token request");
        let body: Value = resp.json().await.expect("token json");
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {body}"))
            .to_owned()
    }

    pub async fn root_token(&self) -> String {
        self.token(ROOT_ID, ROOT_SECRET).await
    }

    /// Sends a request; returns status and JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        scope: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(s) = scope {
            req = req.header(SCOPE, s);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    /// Creates a company below the root; returns its resource id.
    pub async fn create_company(&self, token: &str, body: Value) -> String {
        let (status, json) = self
            .call(Method::POST, "/api/companies", token, Some(body), None)
            .await;
        assert_eq!(status, StatusCode::OK, "create company: {json}");
        json["data"]["resourceId"]
            .as_str()
            .expect("resourceId")
            .to_owned()
    }

    /// Creates a target user; returns its resource id.
    pub async fn create_user(&self, token: &str, company: &str, body: Value) -> String {
        let (status, json) = self
            .call(
                Method::POST,
                "/api/target-users",
                token,
                Some(body),
                Some(company),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "create user: {json}");
        json["data"]["resourceId"]
            .as_str()
            .expect("resourceId")
            .to_owned()
    }

    /// `count-summary` of a company, through HTTP.
    pub async fn count_summary(&self, token: &str, company: &str) -> Value {
        let (status, json) = self
            .call(
                Method::GET,
                "/api/target-users/count-summary",
                token,
                None,
                Some(company),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json["data"].clone()
    }

    /// Creates an API client in `company` with a role; returns (client id, secret).
    pub async fn create_client(&self, token: &str, company: &str, role: &str) -> (String, String) {
        let client_id = format!(
            "c-{}",
            rollcall_store::new_resource_id().to_ascii_lowercase()
        );
        let secret = format!("secret-{}", rollcall_store::new_resource_id());
        let role_id = if role == "Reseller" {
            "RoleReseller"
        } else {
            "RoleCompAdmn"
        };
        let (status, json) = self
            .call(
                Method::POST,
                "/api/companies/clients",
                token,
                Some(json!({"name": client_id, "clientId": client_id, "clientSecret": secret, "statusId": 1, "roleResourceIdList": [role_id]})),
                Some(company),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "create client: {json}");
        (client_id, secret)
    }
}

/// Runs the real `rollcall` binary.
pub async fn run_cli(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollcall"));
    for (k, _) in std::env::vars() {
        if k.starts_with("KEEPNET_") || k.starts_with("ROLLCALL_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("run rollcall");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
