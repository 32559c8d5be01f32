//! `POST /api/leaderboard/get-all` as Keepnet's agent calls it before its search fallback
//! (REFERENCE.md I, G.10): the target users its filter selects, in the leaderboard's row shape,
//! with no activity, scoped like the target-user search.

use crate::common::{assert_error, message, Engine, TestServer, SCOPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The agent's body: its template with one item appended to the first group.
fn agent_body(field: &str, value: &str) -> Value {
    json!({
        "datePeriod": "AllTime",
        "startDate": null,
        "endDate": null,
        "filter": {"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
            {"Condition": "AND", "FilterItems": [{"Value": value, "FieldName": field, "Operator": "Equals"}],
             "FilterGroups": []}]},
        "pagination": {"pageNumber": 1, "pageSize": 10, "orderBy": "points", "ascending": false}
    })
}

async fn the_agents_user_lookup_finds_target_users(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let customer = srv
        .create_company(&root, None, json!({"Name": "Board Co"}))
        .await;
    let other = srv
        .create_company(&root, None, json!({"Name": "Other Co"}))
        .await;
    let ann = srv
        .create_user(
            &root,
            &customer,
            json!({"email": "ann@board.io", "firstName": "Ann", "lastName": "Lee", "department": "Sales",
                   "phoneNumber": "+905551110001", "preferredLanguageId": "tr"}),
        )
        .await;
    for n in 0..3 {
        srv.create_user(&root, &customer, json!({"email": format!("u{n}@board.io")}))
            .await;
    }
    srv.create_user(&root, &other, json!({"email": "ann@board.io"}))
        .await;

    // The agent names the company with X-IR-COMPANY-ID.
    let scope = [("x-ir-company-id", customer.as_str())];
    let (status, body) = srv
        .post(
            "/api/leaderboard/get-all",
            &root,
            agent_body("email", "ann@board.io"),
            &scope,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["results"],
        json!([{"rank": 1, "targetUserResourceId": ann, "firstName": "Ann", "email": "ann@board.io",
                "lastName": "Lee", "department": "Sales", "preferredLanguage": "Turkish",
                "phoneNumber": "+905551110001", "points": 0, "performance": 0.0, "totalRowCount": 1}])
    );
    let (_, body) = srv
        .post(
            "/api/leaderboard/get-all",
            &root,
            agent_body("targetUserResourceId", &ann),
            &scope,
        )
        .await;
    assert_eq!(body["data"]["totalNumberOfRecords"], 1, "{body}");
    assert_eq!(body["data"]["results"][0]["email"], "ann@board.io");

    // No filter: every user of the company, ranked by position across pages.
    let (status, body) = srv
        .post(
            "/api/leaderboard/get-all",
            &root,
            json!({"filter": null, "pageNumber": 2, "pageSize": 3}),
            &[(SCOPE, customer.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["totalNumberOfRecords"], 4, "{body}");
    let rows = body["data"]["results"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["rank"], 4);
    assert_eq!(rows[0]["totalRowCount"], 4);

    // Scoped like the target-user search: another company's Company Admin is refused.
    let (id, secret) = srv.create_client(&root, &other, "Company Admin").await;
    let outsider = srv.token(&id, &secret).await;
    let (status, body) = srv
        .post(
            "/api/leaderboard/get-all",
            &outsider,
            agent_body("email", "ann@board.io"),
            &scope,
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    // Its own company holds its own Ann only.
    let (_, body) = srv
        .post(
            "/api/leaderboard/get-all",
            &outsider,
            agent_body("email", "ann@board.io"),
            &[],
        )
        .await;
    assert_eq!(body["data"]["totalNumberOfRecords"], 1, "{body}");
    assert_ne!(
        body["data"]["results"][0]["targetUserResourceId"],
        ann.as_str()
    );

    // A field target users lack is the search's 400.
    let (status, body) = srv
        .post(
            "/api/leaderboard/get-all",
            &root,
            agent_body("shoeSize", "42"),
            &scope,
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&body).contains("shoeSize"), "{body}");
}

both_engines!(the_agents_user_lookup_finds_target_users);
