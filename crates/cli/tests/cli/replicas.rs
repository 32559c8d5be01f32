//! Several `rollcall serve` processes over one PostgreSQL database behave as one service: they
//! start together on an empty database (migrations and the bootstrap run once), a token from
//! one is accepted by the others, a client deactivated through one is refused by it at once and by
//! the others within the second they may keep what they read (`auth::lookups`),
//! concurrent creates of one email through different processes leave exactly one user, and
//! SIGTERM stops each process cleanly. SQLite is a single-process engine, so this runs on
//! PostgreSQL only (required in CI).

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{as_listening_line, fresh_pg_database, pg_admin_url};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_rollcall");
const ROOT_ID: &str = "replica-root";
const ROOT_SECRET: &str = "replica-root-secret-0123456789";

/// One `rollcall serve` process and the log lines it has written so far.
pub(crate) struct Replica {
    child: tokio::process::Child,
    base: String,
    logs: Arc<Mutex<Vec<String>>>,
}

/// The first Reseller credential of every [`Replica`]'s database.
pub(crate) const ROOT: (&str, &str) = (ROOT_ID, ROOT_SECRET);

impl Replica {
    /// Starts `rollcall serve` on a free port over `database_url` and waits until it listens.
    pub(crate) async fn start(database_url: &str, data_dir: &Path) -> Replica {
        Self::start_with(database_url, data_dir, &[]).await
    }

    /// [`Replica::start`] with more `serve` arguments.
    pub(crate) async fn start_with(database_url: &str, data_dir: &Path, extra: &[&str]) -> Replica {
        let mut child = tokio::process::Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .args(extra)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--database-url", database_url])
            .env("ROLLCALL_BOOTSTRAP_CLIENT_ID", ROOT_ID)
            .env("ROLLCALL_BOOTSTRAP_CLIENT_SECRET", ROOT_SECRET)
            .env("ROLLCALL_LOG", "info")
            .env_remove("ROLLCALL_CONFIG_FILE")
            .env_remove("ROLLCALL_JWT_SECRET")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn rollcall serve");
        let stderr = child.stderr.take().expect("stderr");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel::<String>();
        let sink = logs.clone();
        tokio::spawn(async move {
            let mut addr_tx = Some(addr_tx);
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(v) = as_listening_line(&line) {
                    if let (Some(tx), Some(addr)) = (addr_tx.take(), v["fields"]["addr"].as_str()) {
                        let _ = tx.send(addr.to_owned());
                    }
                }
                sink.lock().expect("logs").push(line);
            }
        });
        let addr = tokio::time::timeout(Duration::from_secs(60), addr_rx)
            .await
            .unwrap_or_else(|_| panic!("no 'rollcall listening' within 60 s: {:?}", logs.lock()))
            .unwrap_or_else(|_| panic!("the process ended before listening: {:?}", logs.lock()));
        Replica {
            child,
            base: format!("http://{addr}"),
            logs,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Kills the process at once (SIGKILL: no shutdown, no rollback by the server) and waits
    /// for it to end.
    pub(crate) async fn kill(mut self) {
        self.child.start_kill().expect("kill");
        let _ = self.child.wait().await;
    }

    /// Sends SIGTERM and waits for the process to end; returns its exit status.
    async fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().expect("running");
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(kill.success());
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("the process stops within 30 s of SIGTERM")
            .expect("wait");
        // Let the log reader take the last lines.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let logs = self.logs.lock().expect("logs").clone();
        (status, logs)
    }
}

pub(crate) async fn token(
    http: &reqwest::Client,
    r: &Replica,
    id: &str,
    secret: &str,
) -> (StatusCode, Value) {
    let resp = http
        .post(r.url("/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "api1"),
        ])
        .send()
        .await
        .expect("token");
    (resp.status(), resp.json().await.expect("json"))
}

async fn my_companies(http: &reqwest::Client, r: &Replica, token: &str) -> (StatusCode, Value) {
    let resp = http
        .get(r.url("/api/companies/my"))
        .bearer_auth(token)
        .send()
        .await
        .expect("my");
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    rollcall_no_pg,
    ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
)]
async fn serve_processes_over_one_postgres_act_as_one_service() {
    let Some(admin) = pg_admin_url() else { return };
    let url = fresh_pg_database(&admin).await;
    // Dropped after the replicas, which are declared below it.
    let _database = rollcall_testkit::PgDatabase::adopt(&admin, &url);
    let dir = tempfile::tempdir().expect("dir");

    // Three processes start together on an empty database.
    let dirs = ["a", "b", "c"].map(|n| dir.path().join(n));
    let (a, b, c) = tokio::join!(
        Replica::start(&url, &dirs[0]),
        Replica::start(&url, &dirs[1]),
        Replica::start(&url, &dirs[2]),
    );
    let mut db = sqlx::PgConnection::connect(&url).await.expect("connect");
    let (companies, clients): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM api_clients)",
    )
    .fetch_one(&mut db)
    .await
    .expect("counts");
    assert_eq!(
        (companies, clients),
        (1, 1),
        "one bootstrap company and client"
    );
    let (applied, distinct, failed): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT version), count(*) FILTER (WHERE NOT success) FROM _sqlx_migrations",
    )
    .fetch_one(&mut db)
    .await
    .expect("migrations");
    assert!(applied >= 2, "migrations ran: {applied}");
    assert_eq!(
        (applied, failed),
        (distinct, 0),
        "each migration applied once"
    );
    db.close().await.ok();

    let http = reqwest::Client::new();
    // A token issued by one process is accepted by the others.
    let (s, t) = token(&http, &a, ROOT_ID, ROOT_SECRET).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let root = t["access_token"].as_str().expect("token").to_owned();
    for r in [&a, &b, &c] {
        let (s, body) = my_companies(&http, r, &root).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }

    // A customer and a company-admin client for it, created through B; its token from C.
    let company = crate::common::create_company_at(&http, &b.base, &root, "Shared Co").await;
    let secret = "shared-client-secret-0123456789";
    let made: Value = http
        .post(b.url("/api/companies/clients"))
        .bearer_auth(&root)
        .header("X-KEEPNET-Company-Id", &company)
        .json(
            &json!({"name": "shared", "clientId": "shared-client", "clientSecret": secret,
            "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
        )
        .send()
        .await
        .expect("create client")
        .json()
        .await
        .expect("json");
    let client = made["data"]["resourceId"]
        .as_str()
        .unwrap_or_else(|| panic!("{made}"))
        .to_owned();
    let (s, t) = token(&http, &c, "shared-client", secret).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let admin = t["access_token"].as_str().expect("token").to_owned();
    // Every replica has read the client (and may keep it for a second).
    for r in [&a, &b, &c] {
        let (s, _) = my_companies(&http, r, &admin).await;
        assert_eq!(s, StatusCode::OK);
    }

    // Deactivated through A: A refuses its token on the next request, B and C within the
    // second they may keep what they read.
    let resp = http
        .put(a.url(&format!("/api/companies/clients/{client}")))
        .bearer_auth(&root)
        .json(
            &json!({"name": "shared", "clientId": "shared-client", "statusId": 2,
            "roleResourceIdList": ["RoleCompAdmn"]}),
        )
        .send()
        .await
        .expect("update");
    assert_eq!(resp.status(), StatusCode::OK);
    let deactivated = std::time::Instant::now();
    let (s, body) = my_companies(&http, &a, &admin).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    for r in [&b, &c] {
        loop {
            let (s, body) = my_companies(&http, r, &admin).await;
            if s == StatusCode::UNAUTHORIZED {
                break;
            }
            assert_eq!(s, StatusCode::OK, "{body}");
            // One second of keeping, and a margin for a loaded machine.
            assert!(
                deactivated.elapsed() < Duration::from_millis(2_500),
                "still accepted {:?} after the deactivation",
                deactivated.elapsed()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (s, body) = token(&http, &b, "shared-client", secret).await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "an inactive client gets no new token: {body}"
    );

    // Concurrent creates of one email (any case) through all three: exactly one user.
    let mut tasks = Vec::new();
    for round in 0..4 {
        for (i, r) in [&a, &b, &c].into_iter().enumerate() {
            let email = if (round + i) % 2 == 0 {
                "Same.Person@Shared.example"
            } else {
                "same.person@shared.example"
            };
            let req = http
                .post(r.url("/api/target-users"))
                .bearer_auth(&root)
                .header("X-KEEPNET-Company-Id", &company)
                .json(&json!({"email": email, "firstName": format!("T{round}{i}")}));
            tasks.push(tokio::spawn(async move {
                req.send().await.expect("create user").status()
            }));
        }
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("join"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    for r in [&a, &b, &c] {
        let found: Value = http
            .post(r.url("/api/target-users/search"))
            .bearer_auth(&root)
            .header("X-KEEPNET-Company-Id", &company)
            .json(&json!({"pageNumber": 1, "pageSize": 10}))
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("json");
        assert_eq!(found["data"]["totalNumberOfRecords"], 1, "{found}");
    }

    // SIGTERM: each process stops cleanly, and no secret reached any log.
    for r in [a, b, c] {
        let (status, logs) = r.terminate().await;
        assert!(status.success(), "exit status {status}: {logs:?}");
        assert!(logs.iter().any(|l| l.contains("shutting down")), "{logs:?}");
        for secret in [ROOT_SECRET, secret, root.as_str()] {
            assert!(
                !logs.iter().any(|l| l.contains(secret)),
                "a secret or token reached the logs"
            );
        }
    }
}
