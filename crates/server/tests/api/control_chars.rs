//! NUL and the other characters XML 1.0 forbids get 400 naming the field, the same on both
//! engines, before any database work (issue #11, part 5): PostgreSQL answered 500 and SQLite
//! stored them. Tabs and line breaks stay allowed.

use crate::common::{assert_error, message, Engine, TestServer, SCOPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Refused characters, one of each kind.
const BAD: [char; 5] = ['\u{0}', '\u{1}', '\u{b}', '\u{1f}', '\u{ffff}'];

#[track_caller]
fn assert_refused(what: &str, status: StatusCode, body: &Value, names: &str) {
    assert_error(status, body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let text = message(body);
    assert!(text.contains(names), "{what}: '{names}' in {text}");
    assert!(text.contains("control character"), "{what}: {text}");
}

async fn json_bodies_refuse_control_characters(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, None, json!({"Name": "Customer"}))
        .await;
    let scope = [(SCOPE, company.as_str())];
    let user = srv
        .create_user(
            &root,
            &company,
            json!({"email": "ann@example.com", "firstName": "Ann"}),
        )
        .await;
    for c in BAD {
        let text = format!("A{c}B");
        let cases: Vec<(Method, String, Value, &str)> = vec![
            (
                Method::POST,
                "/api/target-users".into(),
                json!({"email": "x@example.com", "firstName": text}),
                "firstName",
            ),
            (
                Method::POST,
                "/api/target-users".into(),
                json!({"email": format!("x{c}@example.com")}),
                "email",
            ),
            (
                Method::PUT,
                format!("/api/target-users/{user}"),
                json!({"email": "ann@example.com", "department": text}),
                "department",
            ),
            (
                Method::POST,
                "/api/target-users/search".into(),
                json!({"filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Email", "Operator": "Contains", "Value": text}]}]}}),
                "filter.FilterGroups[0].FilterItems[0].Value",
            ),
            (
                Method::POST,
                "/api/target-users/search".into(),
                json!({"filter": {"SearchInputTextValue": text}}),
                "filter.SearchInputTextValue",
            ),
            (
                Method::POST,
                "/api/target-users/search".into(),
                json!({"orderBy": text}),
                "orderBy",
            ),
            (
                Method::POST,
                "/api/target-users/search-email".into(),
                json!({"email": text}),
                "email",
            ),
            (
                Method::POST,
                "/api/target-users/by-resource-ids".into(),
                json!({"targetUserResourceIds": [user.clone(), text.clone()]}),
                "targetUserResourceIds[1]",
            ),
            (
                Method::DELETE,
                "/api/target-users/bulk-delete".into(),
                json!({"items": [text.clone()]}),
                "items[0]",
            ),
            (
                Method::POST,
                "/api/target-users/search/export".into(),
                json!({"exportType": "CSV", "filter": {"SearchInputTextValue": text}}),
                "filter.SearchInputTextValue",
            ),
            (
                Method::POST,
                "/api/companies".into(),
                json!({"Name": text}),
                "Name",
            ),
            (
                Method::PUT,
                format!("/api/companies/{company}"),
                json!({"description": text}),
                "description",
            ),
            (
                Method::POST,
                "/api/companies/search".into(),
                json!({"filter": {"SearchInputTextValue": text}}),
                "filter.SearchInputTextValue",
            ),
            (
                Method::POST,
                "/api/companies/clients".into(),
                json!({"name": text, "clientId": "fine-id", "clientSecret": "a-secret-of-16-chars!", "roleResourceIdList": ["RoleCompAdmn"]}),
                "name",
            ),
        ];
        for (method, path, body, names) in cases {
            let what = format!("{method} {path} with U+{:04X}", u32::from(c));
            let (status, resp) = srv.call(method, &path, &root, Some(body), &scope).await;
            assert_refused(&what, status, &resp, names);
        }
    }
    // Nothing was stored or changed.
    let (status, body) = srv
        .post("/api/target-users/search", &root, json!({}), &scope)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["totalNumberOfRecords"], 1, "{body}");
    assert_eq!(
        body["data"]["results"][0]["department"],
        Value::Null,
        "{body}"
    );
    assert_eq!(body["data"]["results"][0]["isDeleted"], false, "{body}");
    let (_, companies) = srv
        .post("/api/companies/search", &root, json!({}), &[])
        .await;
    assert_eq!(companies["data"]["totalNumberOfRecords"], 1, "{companies}");

    // Tabs and line breaks are text like any other.
    let id = srv
        .create_user(
            &root,
            &company,
            json!({"email": "tab@example.com", "department": "Sales\tEMEA\nNorth"}),
        )
        .await;
    let (status, body) = srv
        .get(&format!("/api/target-users/{id}"), &root, &scope)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["department"], "Sales\tEMEA\nNorth", "{body}");
}

async fn forms_paths_and_queries_refuse_control_characters(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    // The token form: every field, NUL as %00 on the wire.
    for (field, value) in [
        ("client_id", "root\u{0}reseller"),
        ("client_secret", "secret\u{0}"),
        ("scope", "api1\u{1}"),
        ("grant_type", "client_credentials\u{0}"),
    ] {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", crate::common::ROOT_ID),
            ("client_secret", crate::common::ROOT_SECRET),
            ("scope", "api1"),
        ];
        for pair in &mut form {
            if pair.0 == field {
                pair.1 = value;
            }
        }
        let (status, body) = srv.token_request(&form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        assert_eq!(body["error"], "invalid_request", "{field}: {body}");
        let text = body["error_description"].as_str().unwrap_or_default();
        assert!(
            text.contains(field) && text.contains("control character"),
            "{field}: {body}"
        );
    }
    // Keepnet's multipart company form, and the urlencoded one.
    let multipart = reqwest::multipart::Form::new().text("Name", "Evil\u{0}Corp");
    let resp = srv
        .http
        .post(srv.url("/api/companies"))
        .bearer_auth(&root)
        .multipart(multipart)
        .send()
        .await
        .expect("request");
    let (status, body) = (resp.status(), resp.json::<Value>().await.expect("json"));
    assert_refused("multipart company", status, &body, "Name");
    let resp = srv
        .http
        .post(srv.url("/api/companies"))
        .bearer_auth(&root)
        .form(&[("Name", "Evil\u{b}Corp")])
        .send()
        .await
        .expect("request");
    let (status, body) = (resp.status(), resp.json::<Value>().await.expect("json"));
    assert_refused("urlencoded company", status, &body, "Name");
    // Path ids and query parameters, percent-encoded.
    for path in [
        "/api/target-users/%00abcdefghijk",
        "/api/companies/abc%01defghijk",
        "/api/companies/clients/%EF%BF%BFabcdefghij",
    ] {
        let (status, body) = srv.get(path, &root, &[]).await;
        assert_refused(path, status, &body, "the path");
    }
    let (status, body) = srv
        .post(
            "/api/target-users/search?companyId=%00",
            &root,
            json!({}),
            &[],
        )
        .await;
    assert_refused("query", status, &body, "the query parameter companyId");
    let (_, companies) = srv
        .post("/api/companies/search", &root, json!({}), &[])
        .await;
    assert_eq!(companies["data"]["totalNumberOfRecords"], 0, "{companies}");
}

both_engines!(
    json_bodies_refuse_control_characters,
    forms_paths_and_queries_refuse_control_characters,
);
