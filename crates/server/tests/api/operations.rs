//! Operating the server: health, request ids, metrics, graceful shutdown during an export.

use crate::common::{
    assert_error, message, metric_value, pg_admin_connection, Engine, TestServer, ROOT_ID,
    ROOT_SECRET, SCOPE,
};
use reqwest::StatusCode;
use rollcall_server::{Config, Server};
use serde_json::json;
use sqlx::Connection;

async fn health_endpoints(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    for path in ["/health/live", "/health/ready"] {
        let resp = srv.http.get(srv.url(path)).send().await.expect("health");
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let body: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(body["status"], "SUCCESS", "{path}: {body}");
    }
}

async fn request_ids(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let resp = srv
        .http
        .get(srv.url("/health/live"))
        .header("X-Request-Id", "trace-abc-123")
        .send()
        .await
        .expect("req");
    assert_eq!(resp.headers()["x-request-id"], "trace-abc-123");
    let a = srv
        .http
        .get(srv.url("/health/live"))
        .send()
        .await
        .expect("req");
    let b = srv
        .http
        .get(srv.url("/health/live"))
        .send()
        .await
        .expect("req");
    let (a, b) = (
        a.headers()["x-request-id"].to_str().expect("id").to_owned(),
        b.headers()["x-request-id"].to_str().expect("id").to_owned(),
    );
    assert_eq!(a.len(), 12);
    assert_ne!(a, b, "generated request ids must differ");
    // A header that is not a sane id (too long) is replaced, not echoed.
    let long = "x".repeat(300);
    let r = srv
        .http
        .get(srv.url("/health/live"))
        .header("X-Request-Id", &long)
        .send()
        .await
        .expect("req");
    assert_ne!(r.headers()["x-request-id"].to_str().expect("id"), long);
}

async fn metrics_by_route_template(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let cid = srv
        .create_company(&token, None, json!({"Name": "Metered"}))
        .await;
    let (s, _) = srv.get(&format!("/api/companies/{cid}"), &token, &[]).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = srv.get("/api/companies/AAAAAAAAAAAA", &token, &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let bad = srv
        .http
        .post(srv.url("/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ROOT_ID),
            ("client_secret", "wrong"),
            ("scope", "api1"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let csv = srv
        .http
        .post(srv.url("/api/companies/search/export"))
        .bearer_auth(&token)
        .json(&json!({"exportType": "CSV", "reportAllPages": true}))
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), StatusCode::OK);
    csv.bytes().await.expect("body");

    let text = srv.metrics_text().await;
    let value = |series: &str| metric_value(&text, series);
    // Route templates, never raw ids, label the request metrics.
    assert_eq!(
        value(
            r#"rollcall_http_requests_total{method="GET",route="/api/companies/{resourceId}",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            r#"rollcall_http_requests_total{method="GET",route="/api/companies/{resourceId}",status="404"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        !text.contains(&cid),
        "a resource id leaked into metric labels"
    );
    assert_eq!(value("rollcall_tokens_issued_total"), Some(1.0), "{text}");
    assert_eq!(
        value(r#"rollcall_token_failures_total{error="invalid_client"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(r#"rollcall_export_rows_total{format="csv"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value("rollcall_exports_active"), Some(0.0), "{text}");
    assert!(
        value(r#"rollcall_db_pool_connections{state="idle"}"#).is_some(),
        "{text}"
    );
    assert_eq!(
        value(
            r#"rollcall_http_request_duration_seconds_count{method="GET",route="/api/companies/{resourceId}"}"#
        ),
        Some(2.0),
        "{text}"
    );
    // Secrets never appear.
    assert!(!text.contains(ROOT_SECRET));
}

/// A shutdown that starts while a long export streams lets the export finish.
async fn shutdown_finishes_export(engine: Engine) {
    let Some(seed) = TestServer::start(engine).await else {
        return;
    };
    let token = seed.root_token().await;
    let cid = seed
        .create_company(&token, None, json!({"Name": "Big"}))
        .await;
    let store = rollcall_store::SqlStore::open(&seed.config.database_url, &seed.config.data_dir)
        .await
        .expect("store");
    let company = store
        .company_by_resource_id(&cid)
        .await
        .expect("q")
        .expect("company");
    let now = chrono::Utc::now().timestamp_millis();
    let users: Vec<_> = (0..20_000)
        .map(|i| {
            (
                rollcall_store::TargetUserFields {
                    email: format!("u{i}@big.example"),
                    first_name: format!("First{i}"),
                    priority: 3,
                    is_active: true,
                    ..Default::default()
                },
                now - i,
            )
        })
        .collect();
    store
        .insert_target_users(company.id, &users, &rollcall_store::Actor::system())
        .await
        .expect("load");
    store.close().await;
    let mut config: Config = seed.config.clone();
    config.listen = "127.0.0.1:0".into();
    let mut seed = seed;
    seed.stop().await;

    let server = Server::start(config).await.expect("start");
    let base = format!("http://{}", server.addr);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    let http = reqwest::Client::new();
    let mut resp = http
        .post(format!("{base}/api/target-users/search/export?bom=false"))
        .bearer_auth(&token)
        .header("X-KEEPNET-Company-Id", &cid)
        .json(&json!({"exportType": "CSV", "reportAllPages": true}))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let mut body = Vec::new();
    let first = resp.chunk().await.expect("chunk").expect("first chunk");
    body.extend_from_slice(&first);
    // Ask the server to stop while the body is still streaming, then keep reading slowly.
    let _ = tx.send(());
    while let Some(chunk) = resp.chunk().await.expect("chunk") {
        body.extend_from_slice(&chunk);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let mut reader = csv::Reader::from_reader(body.as_slice());
    assert_eq!(
        reader.records().count(),
        20_000,
        "the export must finish during a graceful shutdown"
    );
    serving.await.expect("join").expect("serve");
    // New connections are refused once it has stopped.
    assert!(http
        .get(format!("{base}/health/live"))
        .send()
        .await
        .is_err());
}

/// With `metrics_listen`, `/metrics` answers on its own address (bound at start, port 0 picks
/// one) and the API's address answers 404 for it; the metrics listener stops with the server.
async fn metrics_on_a_separate_listener(engine: Engine) {
    let Some(mut srv) = TestServer::start_with(engine, |c| {
        c.metrics_listen = Some("127.0.0.1:0".into());
    })
    .await
    else {
        return;
    };
    let at = srv
        .metrics_addr
        .expect("metrics_addr is set when metrics_listen is");
    assert_ne!(at.port(), 0, "the bound port, not the requested 0");
    assert_ne!(format!("http://{at}"), srv.base);
    let live = srv
        .http
        .get(srv.url("/health/live"))
        .send()
        .await
        .expect("live");
    assert_eq!(live.status(), StatusCode::OK);

    let resp = srv
        .http
        .get(format!("http://{at}/metrics"))
        .send()
        .await
        .expect("metrics on the metrics address");
    assert_eq!(resp.status(), StatusCode::OK);
    let content_type = resp.headers()["content-type"]
        .to_str()
        .expect("content type")
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = resp.text().await.expect("text");
    assert!(
        text.contains("# TYPE rollcall_http_requests_total counter"),
        "{text}"
    );
    assert_eq!(
        metric_value(
            &text,
            r#"rollcall_http_requests_total{method="GET",route="/health/live",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    // The helper reads the same listener.
    assert!(srv
        .metrics_text()
        .await
        .contains("rollcall_http_requests_total{"));

    let (status, body) = srv.get("/metrics", "", &[]).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");

    srv.shutdown().await.expect("the server stops cleanly");
    assert!(
        srv.http
            .get(format!("http://{at}/metrics"))
            .send()
            .await
            .is_err(),
        "the metrics listener must stop with the server"
    );
}

/// A metrics address that cannot be bound stops `Server::start` with an error naming it.
#[tokio::test]
async fn a_metrics_address_in_use_stops_the_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let at = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("dir");
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        metrics_listen: Some(at.clone()),
        ..Config::default()
    };
    let err = match Server::start(config).await {
        Ok(_) => panic!("the start must fail while {at} is taken"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(&format!("cannot listen on {at} for metrics")),
        "{err}"
    );
}

/// Past `shutdown_timeout_secs` a shutdown stops waiting for an export whose client does not
/// read: `serve` returns, the export's connection is cut and (on PostgreSQL) no connection to
/// the database is left, the export cursor's included.
async fn shutdown_deadline_cuts_a_stalled_export(engine: Engine) {
    // Rows of about 2.5 KB: about 120 MB of CSV, several times what loopback socket buffers
    // hold (send and receive, autotuned up to the maximum of tcp_wmem and tcp_rmem: 4 MB and
    // 6 MB by default, 32 MB on some hosts) with the server's own buffers, so the export cannot
    // finish into them while the client stalls. Wide rows rather than more of them keep the
    // load short.
    const USERS: usize = 50_000;
    let wide = |what: &str| format!("{what} {}", "of rows that fill socket buffers ".repeat(18));
    let Some(mut srv) = TestServer::start_with(engine, |c| c.shutdown_timeout_secs = 1).await
    else {
        return;
    };
    let token = srv.root_token().await;
    let cid = srv
        .create_company(&token, None, json!({"Name": "Stalled"}))
        .await;
    // Through the server's own store (its pool), so that no other connection to the database
    // is left to tell apart from the server's.
    let company = srv
        .store
        .company_by_resource_id(&cid)
        .await
        .expect("company lookup")
        .expect("company");
    let now = chrono::Utc::now().timestamp_millis();
    let loading = std::time::Instant::now();
    for start in (0..USERS).step_by(20_000) {
        let users: Vec<_> = (start..(start + 20_000).min(USERS))
            .map(|i| {
                (
                    rollcall_store::TargetUserFields {
                        email: format!("u{i}@stalled.example"),
                        first_name: format!("First{i}"),
                        // Width only in columns no text index covers: a faster load.
                        manager_first_name: wide("Manager"),
                        manager_last_name: wide("Manager's last name"),
                        manager_email: wide("manager"),
                        time_zone_id: wide("Zone"),
                        priority: 3,
                        is_active: true,
                        ..Default::default()
                    },
                    now - i as i64,
                )
            })
            .collect();
        srv.store
            .insert_target_users(company.id, &users, &rollcall_store::Actor::system())
            .await
            .expect("load");
    }
    eprintln!(
        "[{engine:?}] loaded {USERS} users in {:.1} s",
        loading.elapsed().as_secs_f64()
    );

    let mut resp = srv
        .http
        .post(srv.url("/api/target-users/search/export?bom=false"))
        .bearer_auth(&token)
        .header(SCOPE, &cid)
        .json(&json!({"exportType": "CSV", "reportAllPages": true}))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let mut received = resp
        .chunk()
        .await
        .expect("chunk")
        .expect("first chunk")
        .len();
    // The client stops reading; the export stays active (buffers full) until the deadline.
    // Real time: the server fills real sockets from a real database cursor, which a paused
    // clock would not wait for (and both_engines! runs on a multi-threaded runtime).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let text = srv.metrics_text().await;
    assert_eq!(
        metric_value(&text, "rollcall_exports_active"),
        Some(1.0),
        "the export must still be running when the shutdown starts: {text}"
    );

    // Liveness, not timing: the bound is far above the 1 s deadline.
    let bound = std::time::Duration::from_secs(30);
    let stopped = tokio::time::timeout(bound, srv.shutdown()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "serve must return after the shutdown deadline: {stopped:?}"
    );

    // The stalled response was cut, not finished: reading on ends early.
    let rest = tokio::time::timeout(bound, async {
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => received += c.len(),
                Ok(None) => return Ok(received),
                Err(e) => return Err(e),
            }
        }
    })
    .await
    .expect("the cut response must end, not hang");
    if let Ok(total) = rest {
        panic!("the export response ended cleanly ({total} bytes) although it was cut");
    }

    if let Some(name) = srv.pg_database_name() {
        let mut conn = pg_admin_connection().await;
        let mut left = -1;
        for _ in 0..100 {
            left = sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
            )
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .expect("count connections");
            if left == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let who: Vec<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT application_name, state, query FROM pg_stat_activity WHERE datname = $1",
        )
        .bind(&name)
        .fetch_all(&mut conn)
        .await
        .expect("list connections");
        assert_eq!(
            left, 0,
            "connections to {name} left after the shutdown: {who:?}"
        );
        conn.close().await.ok();
    }
}

/// Runs `during` while the PostgreSQL database of `srv` refuses connections (its open ones
/// cut), and lets it accept them again before returning, so that a failed assertion afterwards
/// does not leave it locked out.
async fn while_the_database_refuses<T>(
    srv: &TestServer,
    during: impl std::future::Future<Output = T>,
) -> T {
    let name = srv.pg_database_name().expect("a PostgreSQL database");
    let mut conn = pg_admin_connection().await;
    // The name is the test's own generated identifier, not user input.
    sqlx::query(&format!(
        "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"
    ))
    .execute(&mut conn)
    .await
    .expect("refuse connections");
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(&mut conn)
        .await
        .expect("terminate connections");
    let out = during.await;
    sqlx::query(&format!(
        "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"
    ))
    .execute(&mut conn)
    .await
    .expect("accept connections again");
    conn.close().await.ok();
    out
}

/// `/health/ready` answers 503 with the error envelope while PostgreSQL refuses connections,
/// `/health/live` stays 200, and ready is 200 again once the database accepts them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rollcall_no_pg,
    ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
)]
async fn ready_is_503_while_the_database_refuses() {
    let Some(srv) = TestServer::start(Engine::Postgres).await else {
        return;
    };
    let ready = || async {
        let resp = srv
            .http
            .get(srv.url("/health/ready"))
            .timeout(std::time::Duration::from_secs(30))
            .send()
            .await
            .expect("ready");
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.expect("ready json");
        (status, body)
    };
    assert_eq!(ready().await.0, StatusCode::OK);

    let ((down_status, down_body), live) = while_the_database_refuses(&srv, async {
        let live = srv
            .http
            .get(srv.url("/health/live"))
            .send()
            .await
            .expect("live")
            .status();
        (ready().await, live)
    })
    .await;

    assert_error(
        down_status,
        &down_body,
        StatusCode::SERVICE_UNAVAILABLE,
        "INTERNAL_SERVER_ERROR",
    );
    assert!(
        message(&down_body).contains("database does not answer"),
        "{down_body}"
    );
    assert_eq!(live, StatusCode::OK, "live does not depend on the database");

    let mut back = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..60 {
        back = ready().await.0;
        if back == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(
        back,
        StatusCode::OK,
        "ready again once the database answers"
    );
}

/// A 500 (here: the database refuses connections under a running server) names in its message
/// the request id that its `X-Request-Id` header carries, sent by the client or generated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rollcall_no_pg,
    ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
)]
async fn a_500_names_its_request_id() {
    let Some(srv) = TestServer::start(Engine::Postgres).await else {
        return;
    };
    let token = srv.root_token().await;
    let my = |request_id: Option<&'static str>| {
        let mut req = srv
            .http
            .get(srv.url("/api/companies/my"))
            .bearer_auth(&token)
            .timeout(std::time::Duration::from_secs(30));
        if let Some(id) = request_id {
            req = req.header("X-Request-Id", id);
        }
        async move {
            let resp = req.send().await.expect("my companies");
            let status = resp.status();
            let header = resp.headers()["x-request-id"]
                .to_str()
                .expect("request id")
                .to_owned();
            let body: serde_json::Value = resp.json().await.expect("json");
            (status, header, body)
        }
    };
    assert_eq!(my(None).await.0, StatusCode::OK);

    let (sent, generated) = while_the_database_refuses(&srv, async {
        (my(Some("trace-500-xyz")).await, my(None).await)
    })
    .await;

    for (status, header, body) in [&sent, &generated] {
        assert_error(
            *status,
            body,
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
        );
        assert!(
            message(body).contains(&format!("request id {header}")),
            "{header}: {body}"
        );
        assert!(!message(body).contains("database"), "no cause sent: {body}");
    }
    assert_eq!(sent.1, "trace-500-xyz");
}

/// `database_pool_size` sets the pool's size, reported by `rollcall_db_pool_max_connections`;
/// unset, the engine's default; 0 is refused at start.
async fn database_pool_size_reaches_the_pool(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    const MAX: &str = "rollcall_db_pool_max_connections";
    let default = match engine {
        Engine::Sqlite => rollcall_store::DEFAULT_SQLITE_POOL_SIZE,
        Engine::Postgres => rollcall_store::DEFAULT_POSTGRES_POOL_SIZE,
    };
    assert_eq!(srv.metric(MAX).await, Some(default as f64));
    let srv = srv.restart_with(|c| c.database_pool_size = Some(3)).await;
    assert_eq!(srv.metric(MAX).await, Some(3.0));

    let mut config = srv.config.clone();
    config.database_pool_size = Some(0);
    let err = match Server::start(config).await {
        Ok(_) => panic!("a pool size of 0 must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("database pool size"), "{err}");
    srv.finish().await;
}

both_engines!(
    health_endpoints,
    request_ids,
    metrics_by_route_template,
    shutdown_finishes_export,
    metrics_on_a_separate_listener,
    shutdown_deadline_cuts_a_stalled_export,
    database_pool_size_reaches_the_pool
);

/// `GET /` sends a browser to the API documentation instead of a 404.
#[tokio::test]
async fn the_root_redirects_to_the_docs() {
    let Some(srv) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let resp = http.get(srv.url("/")).send().await.expect("root");
    assert!(resp.status().is_redirection(), "{}", resp.status());
    assert_eq!(
        resp.headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/docs")
    );
    let followed = srv.http.get(srv.url("/")).send().await.expect("followed");
    assert_eq!(followed.status(), StatusCode::OK);
    srv.finish().await;
}

/// Demo users' addresses transliterate accented names (Zoë is zoe.…, not zo.…).
#[tokio::test]
async fn demo_emails_transliterate_accented_names() {
    let Some(srv) = TestServer::start_with(Engine::Sqlite, |c| c.demo = true).await else {
        return;
    };
    let root = srv.root_token().await;
    let (status, companies) = srv
        .post(
            "/api/companies/search",
            &root,
            json!({"pageNumber": 1, "pageSize": 100}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{companies}");
    let expected = [("Zoë", "zoe."), ("Sofía", "sofia."), ("Ayşe", "ayse.")];
    let mut seen = 0;
    for company in companies["data"]["results"].as_array().expect("companies") {
        let id = company["resourceId"].as_str().expect("id");
        let (status, users) = srv
            .post(
                "/api/target-users/search",
                &root,
                json!({"pageNumber": 1, "pageSize": 1000}),
                &[(SCOPE, id)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{users}");
        for user in users["data"]["results"].as_array().expect("users") {
            let email = user["email"].as_str().expect("email");
            assert!(email.is_ascii(), "{email}");
            for (first, local) in expected {
                if user["firstName"] == first {
                    seen += 1;
                    assert!(email.starts_with(local), "{first}: {email}");
                }
            }
        }
    }
    assert!(
        seen > 0,
        "the demo data has none of the accented names checked"
    );
    srv.finish().await;
}
