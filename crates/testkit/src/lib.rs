//! Test harness shared by the server's and the CLI's tests: a real rollcall server on
//! `127.0.0.1:0`, on SQLite (a temp dir) or on a fresh PostgreSQL database created on the server
//! named by `ROLLCALL_TEST_DATABASE_URL`, and an HTTP client pointed at it.
//!
//! Each PostgreSQL test database is dropped when the last `TestServer` handle using it is
//! dropped (PostgreSQL 13 or later), so a full test run does not leave hundreds of databases on
//! the CI disk.

pub mod dns;
pub mod eval;
pub mod synthetic;

/// The columns Keepnet's Target Users page searches when a person types in its search box: one
/// `Contains` item per visible column, capitalised; the page drops `TimeZone` and
/// `PreferredLanguage` (REFERENCE.md D, "How clients structure the groups").
pub const PEOPLE_SEARCH_COLUMNS: &[&str] = &[
    "FirstName",
    "LastName",
    "Email",
    "PhoneNumber",
    "Department",
    "Priority",
    "Status",
    "CreateTime",
    "UpdateTime",
    "ManagerFullName",
    "ManagerEmail",
];

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollcall_server::{Config, Server};
use serde_json::Value;
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

/// Runs a test body once per engine: `both_engines!(my_test);` makes `my_test::sqlite` and
/// `my_test::postgres` from `async fn my_test(engine: Engine)`. The PostgreSQL half is marked
/// ignored when `ROLLCALL_TEST_DATABASE_URL` was not set at build time (the `rollcall_no_pg`
/// cfg of the calling crate's build script), so that it never reports a pass it did not run;
/// `.ci/run` sets it.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Engine::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(
                    rollcall_no_pg,
                    ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
                )]
                async fn postgres() {
                    super::$name($crate::Engine::Postgres).await
                }
            }
        )*
    };
}

/// The PostgreSQL admin URL for tests. A PostgreSQL test that runs without one fails: such
/// tests are marked ignored when the variable is unset at build time (see [`both_engines!`]),
/// so running one means it was asked for explicitly (`--include-ignored`) and must not pass
/// without having run. Always `Some`; the `Option` keeps callers' `let Some(..) else` simple.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("ROLLCALL_TEST_DATABASE_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => panic!(
            "this PostgreSQL test needs ROLLCALL_TEST_DATABASE_URL, a PostgreSQL server the tests may create databases on (bash .ci/run starts one)"
        ),
    }
}

/// The streaming replica of the test PostgreSQL server (`ROLLCALL_TEST_DATABASE_READ_URL`,
/// naming its admin database), for the read-replica tests; they are marked ignored when it was
/// unset at build time, so running one without it fails.
pub fn pg_replica_url() -> String {
    match std::env::var("ROLLCALL_TEST_DATABASE_READ_URL") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => panic!(
            "this test needs ROLLCALL_TEST_DATABASE_READ_URL, a streaming replica of the ROLLCALL_TEST_DATABASE_URL server (bash .ci/run starts one with pg_basebackup)"
        ),
    }
}

/// `database_url` (a database on the test server) as reached through the server at `other`
/// (a URL of any database there): the same database name on that server.
pub fn same_database_on(database_url: &str, other: &str) -> String {
    let name = database_url
        .rsplit_once('/')
        .map(|(_, n)| n)
        .expect("a database URL with a database name");
    let (base, _) = other
        .rsplit_once('/')
        .expect("a database URL with a database name");
    format!("{base}/{name}")
}

/// Creates an empty database on the test PostgreSQL server and returns its URL. The caller owns
/// it; [`TestServer`] drops the ones it creates.
pub async fn fresh_pg_database(admin: &str) -> String {
    let name = format!(
        "rollcall_test_{}",
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

/// A test database that is dropped with the last server using it (or, for a database a test
/// made itself, when the test's [`PgDatabase::adopt`] guard goes). A failing test keeps its
/// database for a look afterwards.
#[derive(Debug)]
pub struct PgDatabase {
    admin: String,
    name: String,
}

impl PgDatabase {
    /// Takes charge of the database at `url` (made by the test on the server of `admin`):
    /// dropped when the returned guard is. Declare the guard before the servers that use the
    /// database, so that it is dropped after them.
    pub fn adopt(admin: &str, url: &str) -> PgDatabase {
        let name = url
            .rsplit_once('/')
            .map(|(_, n)| n.split('?').next().unwrap_or(n).to_owned())
            .expect("a database URL with a database name");
        PgDatabase {
            admin: admin.to_owned(),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("keeping test database {} after a failure", self.name);
            return;
        }
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs on the test's runtime, which may not block on a future; a thread with its
        // own small runtime does the work.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let drop_it = async {
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                // FORCE (PostgreSQL 13+) ends the connections of a server still shutting down.
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            };
            // A test must not hang here: an unanswered drop leaves the database behind.
            // The timer is made inside the runtime: built outside it, it panics (no reactor).
            let outcome =
                rt.block_on(async { tokio::time::timeout(Duration::from_secs(30), drop_it).await });
            if !matches!(outcome, Ok(Ok(()))) {
                eprintln!("could not drop test database {name}: {outcome:?}");
            }
        })
        .join();
    }
}

/// A running server and an HTTP client pointed at it.
pub struct TestServer {
    pub engine: Engine,
    pub base: String,
    /// Bound address of the separate `/metrics` listener, when `metrics_listen` is set.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub http: reqwest::Client,
    pub config: Config,
    pub root_company: String,
    /// The running server's store, for loading data faster than through HTTP.
    pub store: Arc<rollcall_store::SqlStore>,
    /// The clients and companies the server keeps for a second: a test that changes them
    /// through `store`, behind the server's back, forgets these to see the change at once.
    pub lookups: rollcall_server::auth::lookups::Lookups,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    dir: Arc<tempfile::TempDir>,
    db: Option<Arc<PgDatabase>>,
}

impl TestServer {
    /// Starts a server on a fresh database (on PostgreSQL, one made on the server of
    /// [`pg_admin_url`], which fails the test when none is set). Always `Some`: the `Option`
    /// keeps the tests' `let Some(srv) = .. else` form.
    pub async fn start(engine: Engine) -> Option<TestServer> {
        let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
        let (database_url, db) = match engine {
            Engine::Sqlite => (String::new(), None),
            Engine::Postgres => {
                let admin = pg_admin_url()?;
                let url = fresh_pg_database(&admin).await;
                let name = url.rsplit_once('/').map(|(_, n)| n.to_owned());
                let db = name.map(|name| Arc::new(PgDatabase { admin, name }));
                (url, db)
            }
        };
        let config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            database_url,
            bootstrap_client_id: Some(ROOT_ID.into()),
            bootstrap_client_secret: Some(ROOT_SECRET.into()),
            ..Config::default()
        };
        Some(Self::launch(engine, config, dir, db).await)
    }

    /// Starts a server with a custom config tweak on a fresh database.
    pub async fn start_with(engine: Engine, tweak: impl FnOnce(&mut Config)) -> Option<TestServer> {
        let mut s = Self::start(engine).await?;
        s.stop().await;
        Some(s.relaunch(s.config.listen.clone(), tweak).await)
    }

    async fn launch(
        engine: Engine,
        config: Config,
        dir: Arc<tempfile::TempDir>,
        db: Option<Arc<PgDatabase>>,
    ) -> TestServer {
        let server = Server::start(config.clone()).await.expect("server starts");
        let base = format!("http://{}", server.addr);
        let metrics_addr = server.metrics_addr;
        let root_company = match &server.bootstrap {
            Some(b) => b.company_resource_id.clone(),
            None => String::new(),
        };
        let store = server.state.store.clone();
        let lookups = server.state.lookups.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(async move {
            let _ = rx.await;
        }));
        TestServer {
            engine,
            base,
            metrics_addr,
            http: reqwest::Client::new(),
            config,
            root_company,
            store,
            lookups,
            shutdown: Some(tx),
            task: Some(task),
            dir,
            db,
        }
    }

    /// Stops the server and waits until it has closed its database (a failure of `serve` is
    /// printed; [`TestServer::shutdown`] returns it).
    pub async fn stop(&mut self) {
        if let Err(e) = self.shutdown().await {
            eprintln!("{e}");
        }
    }

    /// Asks the server to stop and waits until `serve` has returned (in-flight requests
    /// finished or cut at `shutdown_timeout_secs`, database closed); returns what `serve`
    /// returned. A server already stopped returns `Ok`.
    pub async fn shutdown(&mut self) -> Result<(), String> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => match task.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("the server failed: {e:#}")),
                Err(e) => Err(format!("the server task failed: {e}")),
            },
            None => Ok(()),
        }
    }

    /// Stops and starts again on the same data (same database, same port not guaranteed).
    pub async fn restart(self) -> TestServer {
        self.restart_with(|_| {}).await
    }

    /// Stops and starts again on the same data with `tweak` applied to the settings.
    pub async fn restart_with(mut self, tweak: impl FnOnce(&mut Config)) -> TestServer {
        self.stop().await;
        self.relaunch("127.0.0.1:0".into(), tweak).await
    }

    /// Starts a stopped server again on `listen` with `tweak` applied; the root company carries
    /// over (the bootstrap ran on the first start).
    async fn relaunch(&self, listen: String, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = self.config.clone();
        config.listen = listen;
        tweak(&mut config);
        let mut s = Self::launch(self.engine, config, self.dir.clone(), self.db.clone()).await;
        s.root_company = self.root_company.clone();
        s
    }

    /// Stops and starts again on the same data and the same address (so that a client built
    /// against [`Self::base`] keeps working), with `tweak` applied to the settings. Waits up to
    /// 5 s for the port to be free again.
    pub async fn restart_in_place_with(mut self, tweak: impl FnOnce(&mut Config)) -> TestServer {
        self.stop().await;
        let addr = self
            .base
            .strip_prefix("http://")
            .expect("the base URL is http://ADDR")
            .to_owned();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        // Bound the way the server binds (tokio sets SO_REUSEADDR, so connections of the old
        // server in TIME_WAIT do not block it).
        while tokio::net::TcpListener::bind(&addr).await.is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "{addr} is still in use 5 s after the server stopped"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let s = self.relaunch(addr, tweak).await;
        assert_eq!(s.base, self.base, "the server came back on its old address");
        s
    }

    /// Stops the server, then drops its PostgreSQL database (the SQLite one goes with the temp
    /// dir) unless another server still uses it.
    pub async fn finish(mut self) {
        self.stop().await;
    }

    /// The database URL a test can open directly (`sqlx` Any driver).
    pub fn database_url(&self) -> String {
        match self.engine {
            Engine::Sqlite => format!(
                "sqlite://{}",
                self.config.data_dir.join("rollcall.db").display()
            ),
            Engine::Postgres => self.config.database_url.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A token for a client id and secret; panics unless the server issues one.
    pub async fn token(&self, id: &str, secret: &str) -> String {
        let (status, body) = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
                ("scope", "api1"),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "token for {id}: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// A token of the bootstrap Reseller.
    pub async fn root_token(&self) -> String {
        self.token(ROOT_ID, ROOT_SECRET).await
    }

    /// Sends a request with an optional JSON body and extra headers; returns status and JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    pub async fn get(
        &self,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None, headers).await
    }

    pub async fn post(
        &self,
        path: &str,
        token: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body), headers)
            .await
    }

    /// Creates a company (JSON body) below `parent` (header scope) and returns its resource id.
    pub async fn create_company(&self, token: &str, parent: Option<&str>, body: Value) -> String {
        let headers: Vec<(&str, &str)> = parent.map(|p| vec![(SCOPE, p)]).unwrap_or_default();
        let (status, json) = self.post("/api/companies", token, body, &headers).await;
        assert_eq!(status, StatusCode::OK, "create company: {json}");
        json["data"]["resourceId"]
            .as_str()
            .expect("resourceId")
            .to_owned()
    }

    /// Creates a target user in `company` through the API; panics unless it succeeds. Returns
    /// its resource id.
    pub async fn create_user(&self, token: &str, company: &str, body: Value) -> String {
        let (status, resp) = self
            .post(
                "/api/target-users",
                token,
                body.clone(),
                &[(SCOPE, company)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "create {body}: {resp}");
        assert_eq!(resp["status"], "SUCCESS", "{resp}");
        assert_eq!(resp["message"], "Target user created.", "{resp}");
        resp["data"]["resourceId"]
            .as_str()
            .expect("resourceId")
            .to_owned()
    }

    /// Creates an API client in `company` with a role name; returns (client id, secret).
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
            .post(
                "/api/companies/clients",
                token,
                serde_json::json!({"name": client_id, "clientId": client_id, "clientSecret": secret, "statusId": 1, "roleResourceIdList": [role_id]}),
                &[(SCOPE, company)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "create client: {json}");
        (client_id, secret)
    }
}

impl TestServer {
    pub async fn put(
        &self,
        path: &str,
        token: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body), headers)
            .await
    }

    pub async fn delete(
        &self,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None, headers).await
    }

    /// Sends a form to `POST /connect/token` and returns the status and JSON body as they come.
    pub async fn token_request(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(self.url("/connect/token"))
            .form(form)
            .send()
            .await
            .expect("token request");
        let status = resp.status();
        let body: Value = resp.json().await.expect("token json");
        (status, body)
    }

    /// The resource id of the client `client_id` in `company` (via clients/search).
    pub async fn client_resource_id(&self, token: &str, company: &str, client_id: &str) -> String {
        let (status, body) = self
            .post(
                "/api/companies/clients/search",
                token,
                serde_json::json!({"pageNumber": 1, "pageSize": 1000}),
                &[(SCOPE, company)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "clients search: {body}");
        body["data"]["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|r| r["clientId"] == client_id)
            .and_then(|r| r["resourceId"].as_str())
            .unwrap_or_else(|| panic!("client {client_id} not found in {company}: {body}"))
            .to_owned()
    }
}

impl TestServer {
    /// The server's `/metrics` exposition (from the separate metrics listener when
    /// `metrics_listen` is set); panics unless it answers 200.
    pub async fn metrics_text(&self) -> String {
        let url = match self.metrics_addr {
            Some(at) => format!("http://{at}/metrics"),
            None => self.url("/metrics"),
        };
        let resp = self.http.get(&url).send().await.expect("GET /metrics");
        assert_eq!(resp.status(), StatusCode::OK, "GET {url}");
        resp.text().await.expect("/metrics text")
    }

    /// The value of one series of [`Self::metrics_text`]: `series` is the metric's name with
    /// its full label set as the server writes it (`name{a="x",b="y"}`, or just `name`);
    /// `None` when the server has no such series.
    pub async fn metric(&self, series: &str) -> Option<f64> {
        metric_value(&self.metrics_text().await, series)
    }

    /// The name of the server's PostgreSQL database (`None` on SQLite).
    pub fn pg_database_name(&self) -> Option<String> {
        match self.engine {
            Engine::Sqlite => None,
            Engine::Postgres => self
                .config
                .database_url
                .rsplit_once('/')
                .map(|(_, name)| name.split('?').next().unwrap_or(name).to_owned()),
        }
    }
}

/// The value of the series `series` (name and full label set, matched exactly, e.g.
/// `rollcall_exports_active` or `rollcall_http_requests_total{method="GET",route="/x",status="200"}`)
/// in a Prometheus text exposition; `None` when it is missing. Panics on a value that is not a
/// number.
pub fn metric_value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|rest| {
            let value = rest.split_whitespace().next().unwrap_or_default();
            value
                .parse()
                .unwrap_or_else(|e| panic!("{series}: value {value:?} is not a number: {e}"))
        })
}

/// A connection to the test PostgreSQL server's admin database (`ROLLCALL_TEST_DATABASE_URL`);
/// panics when it is not set or does not answer.
pub async fn pg_admin_connection() -> sqlx::PgConnection {
    let admin = pg_admin_url().expect("ROLLCALL_TEST_DATABASE_URL is set");
    sqlx::PgConnection::connect(&admin)
        .await
        .expect("admin connection to the test PostgreSQL")
}

/// The decoded payload (claims) of a JWT, without checking its signature.
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("the payload is base64url");
    serde_json::from_slice(&bytes).expect("the payload is JSON")
}

/// The key id (`kid`) in a JWT's header; panics when there is none.
pub fn jwt_kid(token: &str) -> String {
    use base64::Engine as _;
    let header = token.split('.').next().expect("a JWT has a header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("the header is base64url");
    let header: Value = serde_json::from_slice(&bytes).expect("the header is JSON");
    header["kid"]
        .as_str()
        .unwrap_or_else(|| panic!("no kid in {header}"))
        .to_owned()
}

/// `data.results[*].resourceId` of a paged reply.
pub fn result_ids(body: &Value) -> Vec<String> {
    body["data"]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no data.results in {body}"))
        .iter()
        .map(|r| r["resourceId"].as_str().expect("resourceId").to_owned())
        .collect()
}

/// Asserts an error envelope: HTTP status, envelope `status` and `isSuccess: false`.
#[track_caller]
pub fn assert_error(status: StatusCode, body: &Value, want: StatusCode, want_status: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["status"], want_status, "{body}");
    assert_eq!(body["isSuccess"], false, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "an error carries a message: {body}"
    );
}

/// The error envelope's message (empty when missing).
pub fn message(body: &Value) -> String {
    body["message"].as_str().unwrap_or_default().to_owned()
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::metric_value;

    #[test]
    fn metric_value_matches_whole_series_only() {
        let text = "# TYPE a counter\n\
                    a{x=\"1\",y=\"2\"} 10\n\
                    a{x=\"1\"} 2\n\
                    ab 7\n\
                    a 3.5\n";
        assert_eq!(metric_value(text, r#"a{x="1",y="2"}"#), Some(10.0));
        assert_eq!(metric_value(text, r#"a{x="1"}"#), Some(2.0));
        assert_eq!(metric_value(text, "a"), Some(3.5));
        assert_eq!(metric_value(text, "ab"), Some(7.0));
        assert_eq!(metric_value(text, r#"a{x="1",y="2"} 1"#), None);
        assert_eq!(metric_value(text, r#"a{y="2"}"#), None);
        assert_eq!(metric_value(text, "b"), None);
    }
}
