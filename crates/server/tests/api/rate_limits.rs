//! `--rate-limit`: each API client has its own budget of `/api` requests and of token
//! requests; over it the server answers 429 `TOO_MANY_REQUESTS` with `Retry-After`, as the
//! document says. The budgets live in the process's memory, so the engine does not matter:
//! SQLite only.

use crate::common::{assert_error, message, Engine, TestServer, ROOT_ID, ROOT_SECRET, SCOPE};
use crate::openapi::{document, Conformance};
use reqwest::{Method, StatusCode};
use rollcall_server::ratelimit::Rate;
use serde_json::{json, Value};

fn retry_after(resp: &reqwest::Response) -> u64 {
    resp.headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .expect("text")
        .parse()
        .expect("whole seconds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_gets_its_own_budget_and_a_429_with_retry_after() {
    let rate: Rate = "4/h".parse().expect("rate");
    let Some(srv) = TestServer::start_with(Engine::Sqlite, |c| c.rate_limit = Some(rate)).await
    else {
        return;
    };
    let conformance = Conformance::new();
    let root = srv.root_token().await; // token budget of the root: 1 of 4
                                       // API budget of the root: 4 requests.
    let (other_id, other_secret) = srv
        .create_client(&root, &srv.root_company, "Reseller")
        .await; // 1 of 4
    for i in 0..3 {
        let (s, body) = srv.get("/api/companies/my", &root, &[]).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "request {} within the budget: {body}",
            i + 2
        );
    }
    let resp = srv
        .http
        .get(srv.url("/api/companies/my"))
        .bearer_auth(&root)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    // One request every 15 min comes back: the wait is at most that, and at least 1 s.
    let wait = retry_after(&resp);
    assert!((1..=900).contains(&wait), "Retry-After {wait}");
    let body: Value = resp.json().await.expect("json");
    assert_error(
        StatusCode::TOO_MANY_REQUESTS,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_REQUESTS",
    );
    let msg = message(&body);
    assert!(
        msg.contains(ROOT_ID) && msg.contains("4/h") && msg.contains(&format!("wait {wait} s")),
        "{msg}"
    );
    conformance
        .validate(
            &Method::GET,
            "/api/companies/my",
            StatusCode::TOO_MANY_REQUESTS,
            "application/json",
            &serde_json::to_vec(&body).expect("json"),
        )
        .expect("the 429 is the documented error envelope");

    // Another client is not affected, nor are the operations endpoints.
    let other = srv.token(&other_id, &other_secret).await;
    let (s, body) = srv.get("/api/companies/my", &other, &[]).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    for _ in 0..6 {
        let r = srv
            .http
            .get(srv.url("/health/ready"))
            .send()
            .await
            .expect("health");
        assert_eq!(r.status(), StatusCode::OK);
    }
    // A refused request is not let through by another route or a scope header.
    let (s, _) = srv
        .post(
            "/api/target-users/search",
            &root,
            json!({"pageNumber": 1, "pageSize": 10}),
            &[(SCOPE, "AAAAAAAAAAAA")],
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);

    // Token requests from this address: the root's and the other client's took 2 of its 4;
    // one more for the root, one with a wrong secret, then 429 in the OAuth error shape whether
    // or not the secret is right (the check comes before the secret is hashed).
    srv.token(ROOT_ID, ROOT_SECRET).await;
    let (s, _) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", ROOT_ID),
            ("client_secret", "wrong"),
        ])
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "the 4th is counted and refused for its secret"
    );
    let resp = srv
        .http
        .post(srv.url("/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ROOT_ID),
            ("client_secret", ROOT_SECRET),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&resp);
    assert!((1..=900).contains(&wait), "Retry-After {wait}");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "too_many_requests", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("4/h") && d.contains("reuse")),
        "{body}"
    );
    conformance
        .validate(
            &Method::POST,
            "/connect/token",
            StatusCode::TOO_MANY_REQUESTS,
            "application/json",
            &serde_json::to_vec(&body).expect("json"),
        )
        .expect("the token 429 is documented");

    // The document announces the header on both kinds of 429.
    let doc = document();
    for (path, method) in [("/connect/token", "post"), ("/api/companies/my", "get")] {
        assert!(
            doc["paths"][path][method]["responses"]["429"]["headers"]["Retry-After"].is_object(),
            "{method} {path}"
        );
    }

    // The metrics count the refusals by route and as token failures (whole series: a count of
    // 10 must not pass for 1).
    assert_eq!(
        srv.metric(
            r#"rollcall_http_requests_total{method="GET",route="/api/companies/my",status="429"}"#
        )
        .await,
        Some(1.0)
    );
    assert_eq!(
        srv.metric(r#"rollcall_token_failures_total{error="too_many_requests"}"#)
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_rate_limit_nothing_is_refused() {
    let Some(srv) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let root = srv.root_token().await;
    for _ in 0..50 {
        let (s, body) = srv.get("/api/companies/my", &root, &[]).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
}
