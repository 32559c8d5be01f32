//! The seed page's first step end to end, on both engines.

use crate::common::{Engine, TestServer};
use reqwest::StatusCode;
use serde_json::json;

async fn token_then_company_search(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let acme = srv
        .create_company(&token, None, json!({"Name": "Acme", "NumberOfUsers": 10}))
        .await;
    let (status, body) = srv
        .post(
            "/api/companies/search",
            &token,
            json!({"pageNumber": 1, "pageSize": 10, "orderBy": "CreateTime", "ascending": false, "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    assert_eq!(body["isSuccess"], true);
    let rows = body["data"]["results"].as_array().expect("results");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["companyResourceId"], acme.as_str());
    assert_eq!(rows[0]["resourceId"], acme.as_str());
    assert_eq!(rows[0]["numberOfUsers"], "10");
}

both_engines!(token_then_company_search);
