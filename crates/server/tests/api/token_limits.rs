//! `POST /connect/token` under attack (issue #11, parts 1 and 7): failed requests are limited per
//! address and per client id (`--token-failure-limit`, default 10/min), successful ones are not;
//! secret checks run on a bounded pool and a request that cannot get a slot in time gets 503;
//! a request that authenticates twice is `invalid_request`; a short bootstrap secret stops the
//! start. Source addresses other than 127.0.0.1 are real: Linux routes all of 127.0.0.0/8 to the
//! loopback interface, so a client bound to 127.0.0.2 reaches the server from that address.

use std::net::IpAddr;
use std::time::Duration;

use crate::common::{Engine, TestServer, ROOT_ID, ROOT_SECRET};
use base64::Engine as _;
use reqwest::StatusCode;
use rollcall_server::ratelimit::Rate;
use serde_json::Value;

/// An HTTP client whose connections come from `ip` (any 127.x.y.z).
fn from(ip: &str) -> reqwest::Client {
    let ip: IpAddr = ip.parse().expect("an address");
    reqwest::Client::builder()
        .local_address(ip)
        .build()
        .expect("client")
}

/// A token request from `http` with `id` and `secret`: status, body and `Retry-After`.
async fn ask(
    srv: &TestServer,
    http: &reqwest::Client,
    id: &str,
    secret: &str,
) -> (StatusCode, Value, Option<u64>) {
    let resp = http
        .post(srv.url("/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "api1"),
        ])
        .send()
        .await
        .expect("token request");
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, resp.json().await.expect("json"), retry)
}

#[track_caller]
fn assert_limited(status: StatusCode, body: &Value, retry: Option<u64>, says: &str) {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "too_many_requests", "{body}");
    let text = body["error_description"].as_str().unwrap_or_default();
    assert!(text.contains(says), "'{says}' in {body}");
    let retry = retry.expect("a Retry-After header");
    // At most one cell of the slowest rate these tests use (2/h: 30 min).
    assert!((1..=1800).contains(&retry), "Retry-After {retry}");
}

async fn failures_are_limited_per_address_and_successes_never(engine: Engine) {
    let rate: Rate = "3/h".parse().expect("rate");
    let Some(srv) = TestServer::start_with(engine, |c| c.token_failure_limit = Some(rate)).await
    else {
        return;
    };
    let guesser = from("127.0.0.2");
    // Three different ids, so that only the address's budget is spent.
    for i in 0..3 {
        let (status, body, _) = ask(&srv, &guesser, &format!("guess-{i}"), "wrong").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "failure {i}: {body}");
        assert_eq!(body["error"], "invalid_client", "{body}");
    }
    // Spent: refused before the secret is checked, whatever it names, right secret included
    // (this address never authenticated as root).
    let (status, body, retry) = ask(&srv, &guesser, "someone-else", "wrong").await;
    assert_limited(status, &body, retry, "from this address");
    let (status, body, retry) = ask(&srv, &guesser, ROOT_ID, ROOT_SECRET).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(retry.is_some());

    // Successes never count: twenty tokens in a row from another address.
    let client = from("127.0.0.3");
    for i in 0..20 {
        let (status, body, _) = ask(&srv, &client, ROOT_ID, ROOT_SECRET).await;
        assert_eq!(status, StatusCode::OK, "token {i}: {body}");
    }
    let refused = srv
        .metric(r#"rollcall_token_failures_total{error="too_many_requests"}"#)
        .await;
    assert_eq!(refused, Some(2.0));
    let failed = srv
        .metric(r#"rollcall_token_failures_total{error="invalid_client"}"#)
        .await;
    assert_eq!(failed, Some(3.0), "the refused requests were never checked");
}

async fn correct_secrets_sent_together_are_never_refused(engine: Engine) {
    // Thirty workers of one client on one host (or behind one proxy) ask at once, before the
    // server knows them: more than the ten failures the default budget holds room for. Each
    // holds room while its secret is checked and gives it back, so the later ones wait for
    // room instead of being told they failed. The wait for a secret check is long here: on a
    // loaded two-core machine thirty argon2 checks can outlast the default 2 s, and a 503 for
    // load is not what this test is about.
    let Some(srv) = TestServer::start_with(engine, |c| {
        c.secret_check_wait = std::time::Duration::from_secs(60)
    })
    .await
    else {
        return;
    };
    let http = from("127.0.0.9");
    let answers =
        futures::future::join_all((0..30).map(|_| ask(&srv, &http, ROOT_ID, ROOT_SECRET))).await;
    for (status, body, _) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    // And nothing was recorded against the address: ten guesses still fit.
    for i in 0..10 {
        let (status, body, _) = ask(&srv, &http, &format!("guess-{i}"), "wrong").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "guess {i}: {body}");
    }
}

async fn a_flood_naming_a_client_does_not_lock_it_out(engine: Engine) {
    let rate: Rate = "2/h".parse().expect("rate");
    let Some(srv) = TestServer::start_with(engine, |c| c.token_failure_limit = Some(rate)).await
    else {
        return;
    };
    let home = from("127.0.0.1");
    let (status, body, _) = ask(&srv, &home, ROOT_ID, ROOT_SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Two attackers on two addresses spend the root id's budget with wrong secrets.
    for attacker in ["127.0.0.21", "127.0.0.22"] {
        let (status, body, _) = ask(&srv, &from(attacker), ROOT_ID, "guess").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    // A third address meets the spent id budget, even with the right secret...
    let third = from("127.0.0.23");
    let (status, body, retry) = ask(&srv, &third, ROOT_ID, "guess").await;
    assert_limited(status, &body, retry, "for this client_id");
    let (status, body, _) = ask(&srv, &third, ROOT_ID, ROOT_SECRET).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // ...but the client keeps getting tokens from where it authenticated before.
    for _ in 0..5 {
        let (status, body, _) = ask(&srv, &home, ROOT_ID, ROOT_SECRET).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Other clients are not affected by root's budget.
    let root = srv.root_token().await;
    let (id, secret) = srv
        .create_client(&root, &srv.root_company, "Company Admin")
        .await;
    let (status, body, _) = ask(&srv, &third, &id, &secret).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn the_failure_limit_can_be_turned_off(engine: Engine) {
    let Some(srv) = TestServer::start_with(engine, |c| c.token_failure_limit = None).await else {
        return;
    };
    let guesser = from("127.0.0.4");
    for i in 0..14 {
        let (status, body, _) = ask(&srv, &guesser, ROOT_ID, &format!("wrong-{i}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "failure {i}: {body}");
        assert_eq!(body["error"], "invalid_client", "{body}");
    }
    let (status, body, _) = ask(&srv, &guesser, ROOT_ID, ROOT_SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn the_default_limit_is_ten_failures_a_minute(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    assert_eq!(
        srv.config.token_failure_limit.map(|r| r.to_string()),
        Some("10/min".to_owned())
    );
    let guesser = from("127.0.0.5");
    for i in 0..10 {
        let (status, body, _) = ask(&srv, &guesser, "nobody", &format!("wrong-{i}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "failure {i}: {body}");
    }
    let (status, body, retry) = ask(&srv, &guesser, "nobody", "wrong").await;
    assert_limited(status, &body, retry, "10/min");
    // One failure comes back every 6 s.
    assert!(retry.is_some_and(|r| r <= 6), "Retry-After {retry:?}");
}

async fn secret_checks_are_bounded_and_the_overflow_gets_503(engine: Engine) {
    // One thread, 20 ms of waiting: an argon2 check takes longer than that, so of requests
    // sent together one runs and the ones queued behind it are answered 503.
    let Some(srv) = TestServer::start_with(engine, |c| {
        c.token_failure_limit = None;
        c.secret_check_threads = Some(1);
        c.secret_check_wait = Duration::from_millis(20);
    })
    .await
    else {
        return;
    };
    let requests = (0..12).map(|i| {
        let http = from(&format!("127.0.1.{}", i + 1));
        let srv = &srv;
        async move { ask(srv, &http, ROOT_ID, "wrong").await }
    });
    let answers = futures::future::join_all(requests).await;
    let checked = answers
        .iter()
        .filter(|(s, b, _)| *s == StatusCode::BAD_REQUEST && b["error"] == "invalid_client")
        .count();
    let busy: Vec<&(StatusCode, Value, Option<u64>)> = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(checked >= 1, "at least one check ran: {answers:?}");
    assert!(!busy.is_empty(), "the queue overflowed: {answers:?}");
    assert_eq!(checked + busy.len(), answers.len(), "{answers:?}");
    for (_, body, retry) in &busy {
        assert_eq!(body["error"], "temporarily_unavailable", "{body}");
        assert!(retry.is_some_and(|r| r >= 1), "Retry-After: {retry:?}");
    }
    assert_eq!(
        srv.metric(r#"rollcall_token_failures_total{error="temporarily_unavailable"}"#)
            .await,
        Some(busy.len() as f64)
    );
    assert_eq!(srv.metric("rollcall_secret_check_threads").await, Some(1.0));
    assert_eq!(
        srv.metric("rollcall_secret_checks_waiting").await,
        Some(0.0)
    );
    // The pool recovers: a lone request is checked.
    let (status, body, _) = ask(&srv, &srv.http, ROOT_ID, ROOT_SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn a_known_client_goes_before_a_flood(engine: Engine) {
    // One thread and 500 ms of waiting, against a hundred connections from a hundred addresses
    // that send wrong secrets without pause: the queue always holds about a hundred checks and
    // the thread gets through a few of them in 500 ms, so most flood requests are answered 503.
    // The root client, which got a token from 127.0.0.1 before, asks three times meanwhile:
    // each time it is checked right after the running check. Queued in turn with the flood,
    // it would get 503 most of the time.
    let Some(srv) = TestServer::start_with(engine, |c| {
        c.token_failure_limit = None;
        c.secret_check_threads = Some(1);
        c.secret_check_wait = Duration::from_millis(500);
    })
    .await
    else {
        return;
    };
    let home = from("127.0.0.1");
    let (status, body, _) = ask(&srv, &home, ROOT_ID, ROOT_SECRET).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let until = std::time::Instant::now() + Duration::from_millis(2500);
    let flood = futures::future::join_all((0..100).map(|i| {
        let http = from(&format!("127.0.2.{}", i + 1));
        let srv = &srv;
        async move {
            let mut busy = 0;
            while std::time::Instant::now() < until {
                if ask(srv, &http, ROOT_ID, "wrong").await.0 == StatusCode::SERVICE_UNAVAILABLE {
                    busy += 1;
                }
            }
            busy
        }
    }));
    let genuine = async {
        let mut answers = Vec::new();
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(600)).await;
            answers.push(ask(&srv, &home, ROOT_ID, ROOT_SECRET).await);
        }
        answers
    };
    let (flood, genuine) = tokio::join!(flood, genuine);
    let busy: usize = flood.iter().sum();
    assert!(busy > 0, "the flood overflowed the queue");
    for (status, body, _) in genuine {
        assert_eq!(
            status,
            StatusCode::OK,
            "the known client was checked in time: {body}"
        );
    }
}

async fn authenticating_twice_is_invalid_request(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{ROOT_ID}:{ROOT_SECRET}"));
    let send = |form: Vec<(&'static str, &'static str)>| {
        srv.http
            .post(srv.url("/connect/token"))
            .header("Authorization", format!("Basic {basic}"))
            .form(&form)
            .send()
    };
    // Basic and client_secret in the form, even the same one.
    let resp = send(vec![
        ("grant_type", "client_credentials"),
        ("client_id", ROOT_ID),
        ("client_secret", ROOT_SECRET),
    ])
    .await
    .expect("request");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("twice") && d.contains("2.3")),
        "{body}"
    );
    // Basic alone (with the id repeated in the form, which is not authentication) works.
    let resp = send(vec![
        ("grant_type", "client_credentials"),
        ("client_id", ROOT_ID),
    ])
    .await
    .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn oversized_credentials_are_refused_before_any_work(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let long_id = "i".repeat(257);
    let long_secret = "s".repeat(513);
    for (id, secret, names) in [
        (long_id.as_str(), ROOT_SECRET, "client_id"),
        (ROOT_ID, long_secret.as_str(), "client_secret"),
    ] {
        let (status, body, _) = ask(&srv, &srv.http, id, secret).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_request", "{body}");
        let text = body["error_description"].as_str().unwrap_or_default();
        assert!(
            text.contains(names) && text.contains("longer than"),
            "{body}"
        );
    }
    // A body larger than any real token request.
    let resp = srv
        .http
        .post(srv.url("/connect/token"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=client_credentials&scope=api1&padding={}",
            "p".repeat(5000)
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request", "{body}");
    // None of them was checked, so none counted as a failure.
    assert_eq!(
        srv.metric(r#"rollcall_token_failures_total{error="invalid_client"}"#)
            .await,
        None
    );
}

both_engines!(
    correct_secrets_sent_together_are_never_refused,
    oversized_credentials_are_refused_before_any_work,
    failures_are_limited_per_address_and_successes_never,
    a_flood_naming_a_client_does_not_lock_it_out,
    the_failure_limit_can_be_turned_off,
    the_default_limit_is_ten_failures_a_minute,
    secret_checks_are_bounded_and_the_overflow_gets_503,
    a_known_client_goes_before_a_flood,
    authenticating_twice_is_invalid_request,
);

#[tokio::test]
async fn a_short_bootstrap_secret_stops_the_start() {
    let dir = tempfile::tempdir().expect("dir");
    for (secret, starts) in [
        ("x", false),
        ("fifteen-chars!!", false),
        ("sixteen-chars!!!", true),
    ] {
        let config = rollcall_server::Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().join(secret.len().to_string()),
            bootstrap_client_id: Some("boot".into()),
            bootstrap_client_secret: Some(secret.into()),
            ..rollcall_server::Config::default()
        };
        match rollcall_server::Server::start(config.clone()).await {
            Ok(_) => assert!(starts, "{secret:?} was accepted"),
            Err(e) => {
                assert!(!starts, "{secret:?}: {e:#}");
                let text = format!("{e:#}");
                assert!(text.contains("at least 16"), "{text}");
                assert!(
                    !config.data_dir.exists(),
                    "refused before anything was created on disk"
                );
            }
        }
    }
}
