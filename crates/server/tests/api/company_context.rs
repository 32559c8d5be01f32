//! What a search of a company's users keeps of the company for a second (`auth::lookups`,
//! issue #17): its custom fields and whether it has groups, SCIM integrations and verified
//! domains. A change made through the server that searches shows in its next search; one made
//! through another server over the same database shows within the second, and a filter on a
//! custom field made there works at once.

use std::time::{Duration, Instant};

use crate::common::tu::{create_group, define_field, scope};
use crate::common::{Engine, TestServer};
use reqwest::StatusCode;
use rollcall_server::{Config, Server};
use serde_json::{json, Value};

const SEARCH: &str = "/api/target-users/search";

/// A second server over the same database; stopped when the returned sender is dropped.
async fn second_server(config: &Config) -> (String, tokio::sync::oneshot::Sender<()>) {
    let mut config = config.clone();
    config.listen = "127.0.0.1:0".into();
    let server = Server::start(config)
        .await
        .expect("the second server starts");
    let base = format!("http://{}", server.addr);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    (base, tx)
}

fn by_field(field: &str, value: &str) -> Value {
    json!({"pageNumber": 1, "pageSize": 10, "filter": {"condition": "AND", "filterGroups": [
        {"condition": "AND", "filterItems": [{"fieldName": field, "operator": "=", "value": value}]}
    ]}})
}

/// The only row of a search of everyone (the company has one user).
async fn only_row(srv: &TestServer, token: &str, company: &str) -> Value {
    let (s, b) = srv
        .post(
            SEARCH,
            token,
            json!({"pageNumber": 1, "pageSize": 10}),
            &scope(company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1, "{b}");
    b["data"]["results"][0].clone()
}

fn group_names(row: &Value) -> Vec<String> {
    row["targetGroups"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|g| g["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn custom_values(row: &Value) -> Vec<(String, String)> {
    row["customFieldValues"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| {
                    let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
                    (text("name"), text("value"))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn a_change_here_shows_in_the_next_search(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Here"}))
        .await;
    let user = srv
        .create_user(&root, &c, json!({"email": "ann@here.test"}))
        .await;
    // The first search keeps the company as it is: no groups, no custom fields.
    let row = only_row(&srv, &root, &c).await;
    assert!(group_names(&row).is_empty(), "{row}");
    assert!(custom_values(&row).is_empty(), "{row}");

    let group = create_group(&srv, &root, &c, "Finance").await;
    define_field(
        &srv,
        &root,
        &c,
        json!({"name": "Cost Centre", "fieldDataType": "String"}),
    )
    .await;
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{user}"),
            &root,
            json!({"targetGroupResourceIds": [group],
                   "customFields": [{"name": "Cost Centre", "value": "CC-7"}]}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Within the second the kept copy would still say "no groups, no fields": the writes
    // made this server forget it.
    let row = only_row(&srv, &root, &c).await;
    assert_eq!(group_names(&row), ["Finance"], "{row}");
    assert_eq!(
        custom_values(&row),
        [("Cost Centre".to_owned(), "CC-7".to_owned())],
        "{row}"
    );
    let (s, b) = srv
        .post(SEARCH, &root, by_field("Cost Centre", "CC-7"), &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1, "{b}");
}

async fn a_change_elsewhere_shows_within_the_second(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Elsewhere"}))
        .await;
    let user = srv
        .create_user(&root, &c, json!({"email": "bo@elsewhere.test"}))
        .await;
    let (other, _stop) = second_server(&srv.config).await;
    let other_call = |method: reqwest::Method, path: &str, body: Value| {
        srv.http
            .request(method, format!("{other}{path}"))
            .bearer_auth(&root)
            .header("X-KEEPNET-Company-Id", &c)
            .json(&body)
    };
    // Kept by this server: a company without groups or custom fields.
    let row = only_row(&srv, &root, &c).await;
    assert!(group_names(&row).is_empty(), "{row}");

    // The other server adds a field, a group, and both to the user.
    let resp = other_call(
        reqwest::Method::POST,
        "/api/custom-fields",
        json!({"name": "Desk", "fieldDataType": "String"}),
    )
    .send()
    .await
    .expect("field");
    assert_eq!(resp.status(), StatusCode::OK);
    let desk: Value = resp.json().await.expect("json");
    let desk = desk["data"]["resourceId"].as_str().expect("id").to_owned();
    let resp = other_call(
        reqwest::Method::POST,
        "/api/target-groups",
        json!({"name": "Remote"}),
    )
    .send()
    .await
    .expect("group");
    assert_eq!(resp.status(), StatusCode::OK);
    let group: Value = resp.json().await.expect("json");
    let group = group["data"]["resourceId"].as_str().expect("id").to_owned();
    let resp = other_call(
        reqwest::Method::PUT,
        &format!("/api/target-users/{user}"),
        json!({"targetGroupResourceIds": [&group],
               "customFields": [{"name": "Desk", "value": "D-12"}]}),
    )
    .send()
    .await
    .expect("update");
    assert_eq!(resp.status(), StatusCode::OK);

    // A filter on the new field works at once here: a field missing from the kept copy has it
    // read again before the filter is refused.
    let (s, b) = srv
        .post(SEARCH, &root, by_field("Desk", "D-12"), &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1, "{b}");
    // The rows show the group and the value within the second the copy is kept for.
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let row = only_row(&srv, &root, &c).await;
        if group_names(&row) == ["Remote"] {
            assert_eq!(
                custom_values(&row),
                [("Desk".to_owned(), "D-12".to_owned())],
                "{row}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the group made on the other server never showed here: {row}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A write that picks users by a filter reads the fields as stored now: a field the other
    // server switched off is refused at once, though this server's kept copy still has it.
    let resp = other_call(
        reqwest::Method::PUT,
        &format!("/api/custom-fields/{desk}"),
        json!({"isActive": false}),
    )
    .send()
    .await
    .expect("deactivate");
    assert_eq!(resp.status(), StatusCode::OK);
    let (s, b) = srv
        .put(
            &format!("/api/target-groups/{group}/users"),
            &root,
            json!({"selectAll": true, "filter": {"filterGroups": [{"filterItems": [
                {"fieldName": "Desk", "operator": "=", "value": "D-12"}]}]}}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    // An unknown field is still refused, after the copy was read again.
    let (s, b) = srv
        .post(SEARCH, &root, by_field("Nope", "x"), &scope(&c))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
}

both_engines!(
    a_change_here_shows_in_the_next_search,
    a_change_elsewhere_shows_within_the_second,
);
