//! Browser-facing response headers: every kind of reply gets nosniff, no referrer and no
//! framing; API replies and exports are never cached; the Swagger UI gets a CSP that allows
//! only its own files, and its page needs nothing more.

use crate::common::{Engine, TestServer, ROOT_ID, ROOT_SECRET};
use reqwest::{Method, Response, StatusCode};
use rollcall_server::headers::{DEFAULT_CSP, DOCS_CSP};
use serde_json::json;

fn header<'a>(resp: &'a Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The headers every reply carries; `csp` is the Content-Security-Policy expected.
fn assert_browser_headers(resp: &Response, what: &str, csp: &str) {
    assert_eq!(
        header(resp, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(resp, "referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(header(resp, "x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(header(resp, "content-security-policy"), Some(csp), "{what}");
    assert_eq!(
        resp.headers()
            .get_all("content-security-policy")
            .iter()
            .count(),
        1,
        "{what}: one policy, not two"
    );
}

/// An API reply: the browser headers and `Cache-Control: no-store`.
fn assert_api_headers(resp: &Response, what: &str) {
    assert_browser_headers(resp, what, DEFAULT_CSP);
    assert_eq!(header(resp, "cache-control"), Some("no-store"), "{what}");
}

async fn send(
    srv: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Response {
    let mut req = srv.http.request(method, srv.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.expect("request")
}

async fn every_kind_of_reply(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;

    // JSON success and errors of the API.
    let cases: [(Method, &str, Option<&str>, StatusCode); 4] = [
        (
            Method::GET,
            "/api/companies/my",
            Some(&token),
            StatusCode::OK,
        ),
        (
            Method::GET,
            "/api/companies/my",
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            Method::GET,
            "/api/no-such-thing",
            Some(&token),
            StatusCode::NOT_FOUND,
        ),
        (
            Method::DELETE,
            "/api/companies/search",
            Some(&token),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (method, path, token, want) in cases {
        let what = format!("{method} {path}");
        let resp = send(&srv, method, path, token, None).await;
        assert_eq!(resp.status(), want, "{what}");
        assert_api_headers(&resp, &what);
        let body: serde_json::Value = resp.json().await.expect("a JSON envelope");
        assert!(body["isSuccess"].is_boolean(), "{what}: {body}");
    }

    // The token endpoint, success and error (it sets its own no-store, kept once).
    for (secret, want) in [
        (ROOT_SECRET, StatusCode::OK),
        ("wrong-secret", StatusCode::BAD_REQUEST),
    ] {
        let resp = srv
            .http
            .post(srv.url("/connect/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", ROOT_ID),
                ("client_secret", secret),
                ("scope", "api1"),
            ])
            .send()
            .await
            .expect("token");
        assert_eq!(resp.status(), want);
        assert_api_headers(&resp, &format!("POST /connect/token ({want})"));
        assert_eq!(resp.headers().get_all("cache-control").iter().count(), 1);
    }

    // Exports: CSV streams, Excel is a file sent from disk.
    for kind in ["CSV", "Excel"] {
        let resp = send(
            &srv,
            Method::POST,
            "/api/companies/search/export",
            Some(&token),
            Some(json!({"exportType": kind, "reportAllPages": true})),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::OK, "{kind} export");
        assert_api_headers(&resp, &format!("{kind} export"));
        assert!(
            header(&resp, "content-disposition").is_some_and(|d| d.starts_with("attachment")),
            "{kind} export"
        );
        resp.bytes().await.expect("the file");
    }

    // Operations and the OpenAPI document.
    for path in ["/health/live", "/health/ready", "/metrics"] {
        let resp = send(&srv, Method::GET, path, None, None).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_api_headers(&resp, path);
    }
    let doc = send(&srv, Method::GET, "/swagger/v1/swagger.json", None, None).await;
    assert_eq!(doc.status(), StatusCode::OK);
    assert_browser_headers(&doc, "the OpenAPI document", DOCS_CSP);

    // The Swagger UI: its own policy on the page and its files.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let redirect = no_redirects
        .get(srv.url("/docs"))
        .send()
        .await
        .expect("/docs");
    assert!(redirect.status().is_redirection(), "{}", redirect.status());
    assert_browser_headers(&redirect, "GET /docs", DOCS_CSP);
    let page = send(&srv, Method::GET, "/docs/", None, None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_browser_headers(&page, "GET /docs/", DOCS_CSP);
    let html = page.text().await.expect("page");
    // The policy allows no inline script or style: the page must have none.
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "{html}");
    for tag in scripts {
        let open = &tag[..tag.find('>').expect("a tag")];
        assert!(open.contains("src="), "an inline script in /docs/: {tag}");
        let inner = &tag[tag.find('>').expect("a tag") + 1..];
        let inner = &inner[..inner.find("</script>").expect("closed")];
        assert!(inner.trim().is_empty(), "an inline script in /docs/: {tag}");
    }
    assert!(!html.contains("<style"), "an inline style in /docs/");
    assert!(!html.contains(" style="), "a style attribute in /docs/");
    for file in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
        "/docs/swagger-ui.css",
    ] {
        let resp = send(&srv, Method::GET, file, None, None).await;
        assert_eq!(resp.status(), StatusCode::OK, "{file}");
        assert_browser_headers(&resp, file, DOCS_CSP);
    }
    srv.finish().await;
}

both_engines!(every_kind_of_reply);

/// The separate metrics listener sends the same headers. It does not touch storage, so one
/// engine is enough.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listener_sends_them_too() {
    let srv = TestServer::start_with(Engine::Sqlite, |c| {
        c.metrics_listen = Some("127.0.0.1:0".into());
    })
    .await
    .expect("SQLite always runs");
    let at = srv.metrics_addr.expect("metrics address");
    let resp = srv
        .http
        .get(format!("http://{at}/metrics"))
        .send()
        .await
        .expect("metrics");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_api_headers(&resp, "GET /metrics on the metrics listener");
}
