//! Retry and token behaviour against a tiny scripted mock server on 127.0.0.1:0.
//!
//! The real rollcall server cannot be made to answer 429, 5xx bursts or a stray 401 on demand,
//! so these faults are scripted here; everything else is tested against the real server (see
//! `api`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use rollcall_client::types::target_user::TargetUserInput;
use rollcall_client::{Client, ClientError, RetryPolicy, SearchRequest};
use serde_json::{json, Value};

/// One scripted answer of the API endpoints; when the script is empty they succeed.
#[derive(Clone)]
struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: Value,
}

fn fail(status: u16) -> Reply {
    Reply {
        status,
        retry_after: None,
        body: json!({"data": null, "status": "INTERNAL_SERVER_ERROR", "message": format!("scripted {status}"), "validationMessages": null}),
    }
}

fn fail_after(status: u16, retry_after: &str) -> Reply {
    Reply {
        retry_after: Some(retry_after.to_owned()),
        ..fail(status)
    }
}

#[derive(Default)]
struct Mock {
    script: Mutex<VecDeque<Reply>>,
    token_replies: Mutex<VecDeque<Reply>>,
    token_calls: AtomicUsize,
    api_calls: AtomicUsize,
    expires_in: Mutex<i64>,
    /// (bearer token, scope header, body) of every API request.
    seen: Mutex<Vec<(String, Option<String>, Value)>>,
    /// A search page whose reply is held back this long (once).
    delay: Mutex<Option<(i64, Duration)>>,
    /// How the held-back reply ended: answered, or dropped because the client went away.
    delayed_answered: AtomicUsize,
    delayed_cancelled: AtomicUsize,
}

/// Counts a held-back reply as cancelled unless it was answered (hyper drops the handler's
/// future when the client closes the connection).
struct Held<'a> {
    mock: &'a Mock,
    answered: bool,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let counter = if self.answered {
            &self.mock.delayed_answered
        } else {
            &self.mock.delayed_cancelled
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn reply(r: Reply) -> Response {
    let mut resp = (
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(r.body),
    )
        .into_response();
    if let Some(ra) = r.retry_after {
        if let Ok(v) = HeaderValue::from_str(&ra) {
            resp.headers_mut().insert("retry-after", v);
        }
    }
    resp
}

fn ok(data: Value) -> Response {
    axum::Json(json!({"data": data, "status": "SUCCESS", "message": null, "validationMessages": null, "isSuccess": true})).into_response()
}

async fn handle(
    State(mock): State<Arc<Mock>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if uri.path() == "/connect/token" {
        let n = mock.token_calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(r) = lock(&mock.token_replies).pop_front() {
            return reply(r);
        }
        let form = String::from_utf8_lossy(&body).to_string();
        assert!(form.contains("grant_type=client_credentials"), "{form}");
        assert!(form.contains("scope=api1"), "{form}");
        let expires_in = *lock(&mock.expires_in);
        return axum::Json(json!({"access_token": format!("token-{n}"), "token_type": "Bearer", "expires_in": expires_in, "scope": "api1"})).into_response();
    }
    mock.api_calls.fetch_add(1, Ordering::SeqCst);
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start_matches("Bearer ")
        .to_owned();
    let scope = headers
        .get("x-keepnet-company-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    lock(&mock.seen).push((bearer, scope, json_body.clone()));
    if let Some(r) = lock(&mock.script).pop_front() {
        return reply(r);
    }
    match (method, uri.path()) {
        (Method::GET, "/api/target-users/count-summary") => ok(json!({
            "totalNumberOfActiveUsers": 3, "totalNumberOfInActiveUsers": 1, "totalNumberOfDeletedUsers": 0,
            "monthlyActiveUsers": []
        })),
        (Method::POST, "/api/target-users") => ok(json!({"resourceId": "abcdefABCDEF"})),
        (Method::POST, "/api/target-users/search") => {
            // 25 users, pages of the requested size.
            let page = json_body["pageNumber"].as_i64().unwrap_or(1);
            let size = json_body["pageSize"].as_i64().unwrap_or(10);
            let delay = {
                let mut d = lock(&mock.delay);
                match *d {
                    Some((p, wait)) if p == page => d.take().map(|_| wait),
                    _ => None,
                }
            };
            if let Some(wait) = delay {
                let mut held = Held {
                    mock: &mock,
                    answered: false,
                };
                tokio::time::sleep(wait).await;
                held.answered = true;
            }
            let total = 25;
            let rows: Vec<Value> = ((page - 1) * size..(page * size).min(total))
                .map(|i| json!({
                    "resourceId": format!("user{i:08}"), "email": format!("u{i}@x.test"), "firstName": null,
                    "lastName": null, "department": null, "priority": "Medium", "status": "Active",
                    "customFieldValues": [], "createTime": "2026-01-01T00:00:00Z", "updateTime": null,
                    "isEditable": true, "scimSettingName": null, "ldapConfigName": null, "phoneNumber": null,
                    "timeZone": null, "preferredLanguage": null, "isDeleted": false, "managerFullName": null,
                    "managerEmail": null
                }))
                .collect();
            ok(
                json!({"pageNumber": page, "pageSize": size, "totalNumberOfPages": (total + size - 1) / size,
                      "totalNumberOfRecords": total, "results": rows}),
            )
        }
        (Method::POST, "/api/companies/search") => ok(json!({
            "pageNumber": 1, "pageSize": 10, "totalNumberOfPages": 1, "totalNumberOfRecords": 1,
            "limitExceededCompanyCount": 0,
            "results": [{
                "companyName": "Only Company Id", "companyResourceId": "cmpAAAAAAAAA", "resellerName": null,
                "industryName": null, "industryResourceId": null, "licenseTypeName": null,
                "licenseTypeResourceId": null, "isNumberOfUsersLimited": false, "numberOfUsers": null,
                "privacyDurationId": 0, "licenceExpired": false, "licenseEndDate": null, "createTime": null,
                "targetUserCount": 0, "children": null, "tags": null, "deletedTargetUserCount": 0,
                "inactiveTargetUserCount": 0, "monthlyActiveUserCount": 0
            }]
        })),
        (Method::POST, "/api/target-users/search/export") => {
            let mut csv = String::from("Email\n");
            for i in 0..20_000 {
                csv.push_str(&format!("user{i}@example.test\n"));
            }
            ([("content-type", "text/csv; charset=utf-8")], csv).into_response()
        }
        (m, p) => reply(Reply {
            status: 404,
            retry_after: None,
            body: json!({"status": "NOT_FOUND", "message": format!("no mock for {m} {p}")}),
        }),
    }
}

struct Harness {
    mock: Arc<Mock>,
    base: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Harness {
    let mock = Arc::new(Mock {
        expires_in: Mutex::new(3600),
        ..Mock::default()
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Harness {
        mock,
        base: format!("http://{addr}"),
        _shutdown: tx,
    }
}

impl Harness {
    fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.mock.script).extend(replies);
    }

    fn client(&self, policy: RetryPolicy) -> Client {
        Client::builder(&self.base)
            .credentials("id", "secret")
            .retry_policy(policy)
            .build()
            .expect("client")
    }

    fn api_calls(&self) -> usize {
        self.mock.api_calls.load(Ordering::SeqCst)
    }

    fn token_calls(&self) -> usize {
        self.mock.token_calls.load(Ordering::SeqCst)
    }
}

/// Retries with negligible backoff, so that only `Retry-After` can make a test slow.
fn fast(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(10),
    }
}

// Paused time: the client waits with tokio's sleep, so the clock jumps over the wait instead of
// the test spending a second; tokio's Instant measures the wait on that clock.
#[tokio::test(start_paused = true)]
async fn too_many_requests_waits_for_retry_after_seconds() {
    let h = start().await;
    h.script([fail_after(429, "1")]);
    let client = h.client(fast(5));
    let started = tokio::time::Instant::now();
    let summary = client.count_summary(Some("cmpAAAAAAAAA")).await;
    let elapsed = started.elapsed();
    assert_eq!(
        summary
            .expect("succeeds after the 429")
            .total_number_of_active_users,
        3
    );
    assert_eq!(h.api_calls(), 2);
    assert!(
        elapsed >= Duration::from_millis(950),
        "waited only {elapsed:?} though the server asked for 1 s"
    );
    assert!(elapsed < Duration::from_secs(5), "waited {elapsed:?}");
}

// Paused time, as above; the date is read against the wall clock, which only decides how long
// the (paused) sleep is.
#[tokio::test(start_paused = true)]
async fn too_many_requests_waits_for_retry_after_http_date() {
    let h = start().await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    h.script([fail_after(
        429,
        &at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
    )]);
    let started = tokio::time::Instant::now();
    h.client(fast(5))
        .count_summary(None)
        .await
        .expect("succeeds after the 429");
    // The date has one-second resolution: at least ~1 s is left of the 2 s.
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_fails_at_once() {
    let h = start().await;
    h.script([fail_after(429, "3600")]);
    let started = Instant::now();
    let err = h
        .client(fast(5))
        .count_summary(None)
        .await
        .expect_err("a one-hour Retry-After is not waited for");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(err, ClientError::RetryAfterTooLong { retry_after, .. } if retry_after == Duration::from_secs(3600)),
        "{err:?}"
    );
    assert_eq!(err.http_status(), Some(429));
    assert!(err.to_string().contains("3600 s"), "{err}");
}

#[tokio::test]
async fn a_burst_of_server_errors_then_success() {
    let h = start().await;
    h.script([fail(503), fail(502), fail(500), fail(504)]);
    let summary = h
        .client(fast(5))
        .count_summary(None)
        .await
        .expect("the fifth attempt succeeds");
    assert_eq!(summary.total_number_of_in_active_users, 1);
    assert_eq!(h.api_calls(), 5);
    assert_eq!(h.token_calls(), 1, "retries reuse the cached token");
}

#[tokio::test]
async fn the_budget_runs_out_with_a_clear_error() {
    let h = start().await;
    h.script((0..10).map(|_| fail(503)));
    let err = h
        .client(fast(3))
        .count_summary(None)
        .await
        .expect_err("three 503s exhaust a budget of three");
    assert_eq!(h.api_calls(), 3);
    match &err {
        ClientError::RetriesExhausted { attempts, last, .. } => {
            assert_eq!(*attempts, 3);
            assert!(
                matches!(
                    **last,
                    ClientError::Api {
                        http_status: 503,
                        ..
                    }
                ),
                "{last:?}"
            );
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.starts_with("gave up after 3 attempts"), "{text}");
    assert!(
        text.contains("HTTP 503") && text.contains("scripted 503"),
        "{text}"
    );
}

#[tokio::test]
async fn a_create_is_not_repeated_after_a_500_but_is_after_a_503() {
    let h = start().await;
    let client = h.client(fast(5));
    let input = TargetUserInput {
        email: Some("new@x.test".into()),
        ..TargetUserInput::default()
    };
    h.script([fail(500)]);
    let err = client
        .create_target_user(Some("cmpAAAAAAAAA"), &input)
        .await
        .expect_err("a 500 on a create is final");
    assert_eq!(err.http_status(), Some(500));
    assert_eq!(h.api_calls(), 1);
    h.script([fail(503)]);
    let id = client
        .create_target_user(Some("cmpAAAAAAAAA"), &input)
        .await
        .expect("a 503 means the server did not act: retried");
    assert_eq!(id.resource_id, "abcdefABCDEF");
    assert_eq!(h.api_calls(), 3);
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_retries() {
    let h = start().await;
    let client = h.client(fast(5));
    client.count_summary(None).await.expect("first call");
    assert_eq!(h.token_calls(), 1);
    h.script([Reply {
        status: 401,
        retry_after: None,
        body: json!({"status": "UNAUTHORIZED", "message": "the token has expired"}),
    }]);
    client
        .count_summary(None)
        .await
        .expect("succeeds with a new token");
    assert_eq!(h.token_calls(), 2);
    let seen = lock(&h.mock.seen).clone();
    let tokens: Vec<&str> = seen.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(tokens, ["token-1", "token-1", "token-2"]);

    // Two 401s in a row: renewed once, then the 401 is the answer (no loop).
    let unauthorized = Reply {
        status: 401,
        retry_after: None,
        body: json!({"Status": "UNAUTHORIZED", "Message": "client disabled"}),
    };
    h.script([unauthorized.clone(), unauthorized]);
    let err = client
        .count_summary(None)
        .await
        .expect_err("a second 401 is final");
    assert!(
        matches!(&err, ClientError::Api { http_status: 401, message, .. } if message == "client disabled"),
        "{err:?}"
    );
    assert_eq!(h.token_calls(), 3);
}

#[tokio::test]
async fn a_token_is_renewed_shortly_before_it_expires() {
    let h = start().await;
    *lock(&h.mock.expires_in) = 2;
    let client = h.client(fast(5));
    client.count_summary(None).await.expect("call");
    client.count_summary(None).await.expect("call");
    assert_eq!(h.token_calls(), 1, "a fresh token is reused");
    // A 2 s token is renewed after 1 s (half its life; 60 s before expiry for long tokens).
    // Real time: the client dates its token with std::time::Instant, which paused tokio time
    // does not move.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.count_summary(None).await.expect("call");
    assert_eq!(h.token_calls(), 2);
    assert_eq!(client.token_fetches(), 2);
    assert_eq!(
        h.api_calls(),
        3,
        "renewed before the server could refuse it"
    );
}

#[tokio::test]
async fn token_errors_are_auth_errors_and_token_5xx_is_retried() {
    let h = start().await;
    lock(&h.mock.token_replies).extend([fail(503)]);
    h.client(fast(5))
        .count_summary(None)
        .await
        .expect("a 503 from the token endpoint is retried");
    assert_eq!(h.token_calls(), 2);
    lock(&h.mock.token_replies).push_back(Reply {
        status: 400,
        retry_after: None,
        body: json!({"error": "invalid_client", "error_description": "unknown client or wrong secret"}),
    });
    let err = h
        .client(fast(5))
        .count_summary(None)
        .await
        .expect_err("bad credentials");
    match err {
        ClientError::Auth {
            http_status,
            error,
            description,
        } => {
            assert_eq!(http_status, 400);
            assert_eq!(error, "invalid_client");
            assert_eq!(description, "unknown client or wrong secret");
        }
        other => panic!("expected Auth, got {other:?}"),
    }
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported_as_network() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let client = Client::builder(format!("http://{addr}"))
        .credentials("id", "secret")
        .retry_policy(fast(3))
        .build()
        .expect("client");
    let err = client
        .count_summary(None)
        .await
        .expect_err("nobody listens");
    assert!(err.is_network(), "{err:?}");
    assert!(
        matches!(err, ClientError::RetriesExhausted { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("cannot reach"), "{err}");
}

#[tokio::test]
async fn paging_sends_the_scope_and_a_full_body_on_every_page() {
    let h = start().await;
    let client = h.client(fast(5));
    let rows: Vec<_> = client
        .search_target_users(
            Some("cmpAAAAAAAAA"),
            SearchRequest {
                page_size: Some(10),
                ..SearchRequest::default()
            },
        )
        .try_collect()
        .await
        .expect("all pages");
    assert_eq!(rows.len(), 25);
    assert_eq!(rows[24].resource_id, "user00000024");
    let seen = lock(&h.mock.seen).clone();
    assert_eq!(seen.len(), 3, "three pages of 10");
    for (i, (_, scope, body)) in seen.iter().enumerate() {
        assert_eq!(scope.as_deref(), Some("cmpAAAAAAAAA"), "page {}", i + 1);
        assert_eq!(body["pageNumber"], i as i64 + 1);
        assert_eq!(body["filter"]["searchInputTextValue"], "");
        assert_eq!(body["filter"]["condition"], "AND");
        assert_eq!(body["orderBy"], "CreateTime");
        assert_eq!(body["ascending"], false);
    }
}

/// Waits (up to a generous 10 s: liveness, not timing) until `done` holds.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(10), "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_next_page_is_fetched_while_the_caller_reads_one_page_ahead_only() {
    let h = start().await;
    let client = h.client(fast(5));
    let body = SearchRequest {
        page_size: Some(10),
        ..SearchRequest::default()
    };
    let mut stream = client.search_target_users(None, body.clone());
    let first = stream.try_next().await.expect("row").expect("a first row");
    assert_eq!(first.resource_id, "user00000000");
    // The caller holds the first row and asks for nothing more: page 2 arrives anyway.
    eventually("page 2 was not requested ahead", || {
        lock(&h.mock.seen).len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(lock(&h.mock.seen).len(), 2, "one page ahead, not more");
    drop(stream);

    // Read to the end: every row once, in order, and no request past the last page.
    lock(&h.mock.seen).clear();
    let rows: Vec<_> = client
        .search_target_users(None, body)
        .try_collect()
        .await
        .expect("all pages");
    let ids: Vec<String> = rows.into_iter().map(|r| r.resource_id).collect();
    let want: Vec<String> = (0..25).map(|i| format!("user{i:08}")).collect();
    assert_eq!(ids, want);
    let pages: Vec<i64> = lock(&h.mock.seen)
        .iter()
        .map(|(_, _, b)| b["pageNumber"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(pages, [1, 2, 3]);
}

/// Dropping the stream while the page ahead is in flight cancels that request: the fetch task
/// is aborted and its connection closed, so the server does not go on serving it.
#[tokio::test]
async fn dropping_the_stream_cancels_the_page_fetched_ahead() {
    let h = start().await;
    let client = h.client(fast(5));
    // Page 2's reply is held back 3 s: far longer than a cancellation takes to arrive.
    *lock(&h.mock.delay) = Some((2, Duration::from_secs(3)));
    let mut stream = client.search_target_users(
        None,
        SearchRequest {
            page_size: Some(10),
            ..SearchRequest::default()
        },
    );
    stream.try_next().await.expect("row").expect("a first row");
    eventually("page 2 was not requested ahead", || {
        lock(&h.mock.seen).len() >= 2
    })
    .await;
    drop(stream);
    let (answered, cancelled) = (&h.mock.delayed_answered, &h.mock.delayed_cancelled);
    eventually(
        "the held-back page 2 request neither ended nor was cancelled",
        || answered.load(Ordering::SeqCst) + cancelled.load(Ordering::SeqCst) > 0,
    )
    .await;
    assert_eq!(
        (
            cancelled.load(Ordering::SeqCst),
            answered.load(Ordering::SeqCst)
        ),
        (1, 0),
        "(cancelled, answered): dropping the stream must cancel the request ahead"
    );
    assert_eq!(lock(&h.mock.seen).len(), 2, "nothing after page 2");
}

/// A stream capped at N rows asks for no page beyond the one holding row N, the page ahead
/// included: N within the first page is one request; N in page 2 is two, never three.
#[tokio::test]
async fn a_capped_stream_requests_no_page_it_will_not_read() {
    let h = start().await;
    let client = h.client(fast(5));
    for (max, want_rows, want_pages) in [
        (0, 0, &[][..]),
        (5, 5, &[1][..]),
        (10, 10, &[1][..]),
        (11, 11, &[1, 2][..]),
        (20, 20, &[1, 2][..]),
        (100, 25, &[1, 2, 3][..]),
    ] {
        lock(&h.mock.seen).clear();
        let body = SearchRequest {
            page_size: Some(10),
            ..SearchRequest::default()
        };
        let mut stream = client.search_target_users_up_to(None, body, max);
        let mut rows = 0;
        while stream.try_next().await.expect("row").is_some() {
            rows += 1;
        }
        assert_eq!(rows, want_rows, "up to {max}");
        // The stream is kept, as a caller still busy with the last rows would: a page fetched
        // ahead starts as soon as the page before it arrives; give a stray one time to show.
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(stream);
        let pages: Vec<i64> = lock(&h.mock.seen)
            .iter()
            .map(|(_, _, b)| b["pageNumber"].as_i64().unwrap_or(-1))
            .collect();
        assert_eq!(pages, want_pages, "up to {max}");
    }
}

#[tokio::test]
async fn a_page_failing_mid_stream_is_retried() {
    let h = start().await;
    let client = h.client(fast(5));
    let mut stream = client.search_target_users(
        None,
        SearchRequest {
            page_size: Some(10),
            ..SearchRequest::default()
        },
    );
    let mut n = 0;
    while let Some(row) = stream.try_next().await.expect("row") {
        n += 1;
        if n == 10 {
            // The second page meets a 502 first.
            h.script([fail(502)]);
        }
        let _ = row;
    }
    assert_eq!(n, 25);
    assert_eq!(h.api_calls(), 4);
}

#[tokio::test]
async fn company_rows_read_company_resource_id_or_resource_id() {
    let h = start().await;
    let page = h
        .client(fast(5))
        .search_companies_page(SearchRequest::default())
        .await
        .expect("page");
    assert_eq!(page.results[0].resource_id, "cmpAAAAAAAAA");
    assert_eq!(page.results[0].company_resource_id, "cmpAAAAAAAAA");
}

#[tokio::test]
async fn pascal_case_validation_errors_are_read() {
    let h = start().await;
    h.script([Reply {
        status: 400,
        retry_after: None,
        body: json!({"Data": null, "Status": "INPUT_ERROR", "Message": "Invalid request", "ValidationMessages": ["Email is required"]}),
    }]);
    let err = h
        .client(fast(5))
        .create_target_user(None, &TargetUserInput::default())
        .await
        .expect_err("400");
    match err {
        ClientError::Api {
            http_status,
            status,
            message,
            validation_messages,
        } => {
            assert_eq!(http_status, 400);
            assert_eq!(status.as_deref(), Some("INPUT_ERROR"));
            assert_eq!(message, "Invalid request");
            assert_eq!(validation_messages, vec!["Email is required"]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn exports_stream_to_a_writer_and_json_blobs_are_errors() {
    let h = start().await;
    let client = h.client(fast(5));
    let mut out: Vec<u8> = Vec::new();
    let n = client
        .export_target_users(
            Some("cmpAAAAAAAAA"),
            SearchRequest {
                export_type: Some("CSV".into()),
                report_all_pages: Some(true),
                ..SearchRequest::default()
            },
            &mut out,
        )
        .await
        .expect("export");
    assert_eq!(n as usize, out.len());
    let text = String::from_utf8(out).expect("utf-8");
    assert_eq!(text.lines().count(), 20_001);
    assert!(text.ends_with("user19999@example.test\n"));
    // An error envelope with HTTP 200 (Keepnet's UI guards against exactly this).
    h.script([Reply {
        status: 200,
        retry_after: None,
        body: json!({"data": null, "status": "INPUT_ERROR", "message": "exportType is required"}),
    }]);
    let err = client
        .export_target_users(None, SearchRequest::default(), &mut Vec::new())
        .await
        .expect_err("a JSON error blob");
    assert!(err.to_string().contains("exportType is required"), "{err}");
}
