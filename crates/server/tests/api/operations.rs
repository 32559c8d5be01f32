//! Operating the server: health, request ids, metrics, graceful shutdown during an export.

use crate::common::{Engine, TestServer, ROOT_ID, ROOT_SECRET};
use reqwest::StatusCode;
use rollcall_server::{Config, Server};
use serde_json::json;

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

    let text = srv
        .http
        .get(srv.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.starts_with(needle) && !l.starts_with('#'))
            .map(str::to_owned)
    };
    // Route templates, never raw ids, label the request metrics.
    assert!(
        line(r#"rollcall_http_requests_total{method="GET",route="/api/companies/{resourceId}",status="200"} 1"#).is_some(),
        "{text}"
    );
    assert!(line(r#"rollcall_http_requests_total{method="GET",route="/api/companies/{resourceId}",status="404"} 1"#).is_some());
    assert!(
        !text.contains(&cid),
        "a resource id leaked into metric labels"
    );
    assert!(line("rollcall_tokens_issued_total 1").is_some(), "{text}");
    assert!(
        line(r#"rollcall_token_failures_total{error="invalid_client"} 1"#).is_some(),
        "{text}"
    );
    assert!(
        line(r#"rollcall_export_rows_total{format="csv"} 1"#).is_some(),
        "{text}"
    );
    assert!(line("rollcall_exports_active 0").is_some(), "{text}");
    assert!(
        line(r#"rollcall_db_pool_connections{state="idle"}"#).is_some(),
        "{text}"
    );
    assert!(line(r#"rollcall_http_request_duration_seconds_count{method="GET",route="/api/companies/{resourceId}"} 2"#).is_some(), "{text}");
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
    let company = rollcall_store::Store::company_by_resource_id(&store, &cid)
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
    rollcall_store::Store::insert_target_users(&store, company.id, &users)
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

both_engines!(
    health_endpoints,
    request_ids,
    metrics_by_route_template,
    shutdown_finishes_export
);
