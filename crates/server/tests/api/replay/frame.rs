//! What Keepnet's UI loads around every page and on the New Company form (REFERENCE.md I,
//! "Page frame" and "Lookups"): each call must answer 200 `SUCCESS`, or the frame shows errors.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{Engine, TestServer, SCOPE};

async fn every_page_and_the_new_company_form(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let customer = srv
        .create_company(&token, None, json!({"Name": "Framed"}))
        .await;

    // Before login the UI asks for its branding by the page's address (multipart `DomainUrl`).
    let resp = srv
        .http
        .post(srv.url("/api/whitelabeling/by-url"))
        .multipart(reqwest::multipart::Form::new().text("DomainUrl", "https://ui.example.com"))
        .send()
        .await
        .expect("by-url");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["status"], "SUCCESS", "{body}");

    // Every page load, in the reseller's own company and switched into a customer.
    for scope in [vec![], vec![(SCOPE, customer.as_str())]] {
        for path in [
            "/api/whitelabeling/resolve-whitelabeling",
            "/api/system-info/summary",
            "/api/system-users/settings",
            "/api/allow-list/search/unverified",
        ] {
            let (s, body) = srv.get(path, &token, &scope).await;
            assert_eq!(s, StatusCode::OK, "{path} {scope:?}: {body}");
            assert_eq!(body["status"], "SUCCESS", "{path}: {body}");
        }
    }

    // The New Company form: regions, then the lists it needs (Industry and Country at least),
    // asked for by Keepnet's numeric type ids as the UI does.
    let (s, regions) = srv.get("/api/regions", &token, &[]).await;
    assert_eq!(s, StatusCode::OK, "{regions}");
    assert!(!regions["data"].as_array().expect("regions").is_empty());
    let (s, lists) = srv
        .post(
            "/api/lookups",
            &token,
            json!({"typeIdList": [1, 2, 4, 5, 6, 7]}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{lists}");
    let rows = lists["data"].as_array().expect("lookup rows");
    for type_id in [1, 2, 4] {
        assert!(
            rows.iter().any(|r| r["genericCodeTypeId"] == type_id),
            "type {type_id} has rows: {lists}"
        );
    }
}

both_engines!(every_page_and_the_new_company_form);
