//! Data and tokens survive a restart on the same database.

use crate::common::{result_ids, Engine, TestServer};
use reqwest::StatusCode;
use serde_json::json;

async fn data_and_tokens_survive_restart(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let company = srv
        .create_company(
            &root,
            None,
            json!({"Name": "Durable", "NumberOfUsers": 12, "IndustryResourceId": "IndEducation", "Tags": ["keep"]}),
        )
        .await;
    let child = srv
        .create_company(&root, Some(&company), json!({"Name": "Durable Child"}))
        .await;
    let (id, secret) = srv.create_client(&root, &company, "Reseller").await;
    let client_token = srv.token(&id, &secret).await;
    let (status, before) = srv
        .get(&format!("/api/companies/{company}"), &root, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{before}");

    let srv = srv.restart().await;

    // Tokens issued before the restart still work (the signing key is kept).
    let (status, after) = srv
        .get(&format!("/api/companies/{company}"), &root, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["data"], before["data"]);
    assert_eq!(after["data"]["industryName"], "Education");
    assert_eq!(after["data"]["numberOfUsers"], 12);

    let (status, body) = srv
        .post("/api/companies/search", &client_token, json!({}), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(result_ids(&body), vec![child.clone()]);
    let (status, body) = srv.get("/api/companies/my", &client_token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["resourceId"], company.as_str());
    assert_eq!(body["data"][0]["children"][0]["resourceId"], child.as_str());

    // The root search sees both; the bootstrap company is the same.
    let (status, body) = srv
        .post(
            "/api/companies/search",
            &root,
            json!({"orderBy": "CreateTime", "ascending": true}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(result_ids(&body), vec![company.clone(), child.clone()]);
    let (status, body) = srv.get("/api/companies/my", &root, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["resourceId"], srv.root_company.as_str());

    // Credentials still work for new tokens, and new writes land next to the old data.
    let fresh = srv.token(&id, &secret).await;
    let again = srv.root_token().await;
    let grandchild = srv
        .create_company(&fresh, Some(&child), json!({"Name": "After Restart"}))
        .await;
    let (status, body) = srv
        .post(
            "/api/companies/search",
            &again,
            json!({"orderBy": "CreateTime", "ascending": true}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(result_ids(&body), vec![company, child, grandchild]);
}

both_engines!(data_and_tokens_survive_restart);
