//! Routes match case-insensitively on their literal segments (ASP.NET's behaviour, which
//! Keepnet's UI relies on: it calls `/api/roleswithAvailable`); ids in paths keep their case.

use crate::common::{Engine, TestServer, SCOPE};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn literal_segments_match_in_any_case(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let acme = srv
        .create_company(&token, None, json!({"Name": "Acme"}))
        .await;

    let (status, mine) = srv.get("/API/Companies/My", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["status"], "SUCCESS");

    // a query string survives the rewrite; a POST body too
    let (status, body) = srv
        .post(
            "/Api/Target-Users/SEARCH?unused=1",
            &token,
            json!({"pageNumber": 1, "pageSize": 5}),
            &[(SCOPE, acme.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["totalNumberOfRecords"], 0);

    // the id keeps its case: the company is found as created, not in another case
    let (status, body) = srv
        .get(&format!("/api/COMPANIES/{acme}"), &token, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["resourceId"], acme.as_str());
    let other_case = if acme.to_lowercase() == acme {
        acme.to_uppercase()
    } else {
        acme.to_lowercase()
    };
    let (status, body) = srv
        .get(&format!("/api/companies/{other_case}"), &token, &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // a path no route has is still the JSON 404, spelled as sent
    let (status, body) = srv
        .call(Method::GET, "/api/Companies/My/Extra", &token, None, &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("/api/Companies/My/Extra")),
        "{body}"
    );
}

both_engines!(literal_segments_match_in_any_case);
