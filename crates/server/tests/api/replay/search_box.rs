//! The search box of Keepnet's tables (REFERENCE.md D, "How clients structure the groups";
//! CONTRACT.md rulings of 2026-12-05): typing puts one `Contains` item per visible column in the
//! OR group, including columns that are not text (priority, status, dates, counts); clearing the
//! box sends the same items with `Value: ""`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{ok, ui_payload};
use crate::common::{Engine, TestServer, SCOPE};

/// One `Contains` item per column, as DataTable.vue's getSearchFilterItems builds them.
fn search_items(columns: &[&str], text: &str) -> Value {
    columns
        .iter()
        .map(|c| json!({"FieldName": c, "Operator": "Contains", "Value": text}))
        .collect()
}

/// CompanyList.vue's columns, the newer UI's enrolment columns included.
const COMPANY_COLUMNS: &[&str] = &[
    "CompanyName",
    "ResellerName",
    "LicenseTypeName",
    "NumberOfUsers",
    "TargetUserCount",
    "MonthlyActiveUserCount",
    "LicenseEndDate",
    "CreateTime",
    "Tags",
    "EnrolledVendorNames",
    "MonthlyEnrolled",
    "MonthlyConsumption",
];

/// The REST API clients table's columns.
const CLIENT_COLUMNS: &[&str] = &["ClientName", "ClientId", "CreateTime", "StatusId"];

fn emails(data: &Value) -> Vec<String> {
    let mut v: Vec<String> = data["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["email"].as_str().map(str::to_owned))
        .collect();
    v.sort();
    v
}

async fn people_search_box(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Search Box"}))
        .await;
    let scope = [(SCOPE, company.as_str())];
    for (email, dept, priority, active) in [
        ("ann@example.com", "Sales", "VeryHigh", true),
        ("ben@example.com", "Legal", "Low", false),
        ("cem@example.com", "Finance", "Medium", true),
    ] {
        let id = srv
            .create_user(
                &token,
                &company,
                json!({"email": email, "department": dept, "priority": priority}),
            )
            .await;
        if !active {
            let (s, b) = srv
                .call(
                    Method::PUT,
                    &format!("/api/target-users/{id}"),
                    &token,
                    Some(json!({"isActive": false})),
                    &scope,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
    }
    let year = chrono::Utc::now().format("%Y-").to_string();
    for (text, want) in [
        ("sales", vec!["ann@example.com"]),
        // priority by its name, with or without the space
        ("very", vec!["ann@example.com"]),
        ("very high", vec!["ann@example.com"]),
        ("LOW", vec!["ben@example.com"]),
        // status by its name
        ("inact", vec!["ben@example.com"]),
        // dates by their ISO text
        (
            year.as_str(),
            vec!["ann@example.com", "ben@example.com", "cem@example.com"],
        ),
        // clearing the box: every row again
        (
            "",
            vec!["ann@example.com", "ben@example.com", "cem@example.com"],
        ),
        ("nothing-like-this", vec![]),
    ] {
        let body = ui_payload(
            json!([]),
            search_items(rollcall_testkit::PEOPLE_SEARCH_COLUMNS, text),
        );
        let data = ok(&srv, &token, &company, "/api/target-users/search", body).await;
        assert_eq!(emails(&data), want, "search box '{text}': {data}");
    }

    // exports and "select all" deletes of a search result use the same filter
    let filter = ui_payload(
        json!([]),
        search_items(rollcall_testkit::PEOPLE_SEARCH_COLUMNS, "legal"),
    )["filter"]
        .clone();
    let resp = srv
        .http
        .post(srv.url("/api/target-users/search/export"))
        .bearer_auth(&token)
        .header(SCOPE, company.as_str())
        .json(
            &json!({"pageNumber": 1, "pageSize": 10, "orderBy": "CreateTime", "ascending": false,
                      "reportAllPages": true, "exportType": "CSV", "filter": filter}),
        )
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.expect("csv");
    assert!(
        csv.contains("ben@example.com") && !csv.contains("ann@example.com"),
        "{csv}"
    );
    let (s, b) = srv
        .call(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &token,
            Some(json!({"items": [], "excludedItems": [], "selectAll": true, "filter": filter})),
            &scope,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 1, "{b}");
}

async fn companies_and_clients_search_boxes(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(
            &token,
            None,
            json!({"Name": "Boxed Ltd", "NumberOfUsers": 4242}),
        )
        .await;
    for (text, want) in [("boxed", 1), ("4242", 1), ("", 1), ("zzz-none", 0)] {
        let mut body = ui_payload(json!([]), search_items(COMPANY_COLUMNS, text));
        body["isClustered"] = json!(false);
        body["isTargetUserCountExceededLimit"] = json!(false);
        let (s, reply) = srv.post("/api/companies/search", &token, body, &[]).await;
        assert_eq!(s, StatusCode::OK, "'{text}': {reply}");
        let hits = reply["data"]["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| r["companyResourceId"] == company.as_str())
            .count();
        assert_eq!(hits, want, "company search box '{text}': {reply}");
    }

    srv.create_client(&token, &company, "Company Admin").await;
    for (text, want) in [("active", 1), ("inactive", 0), ("", 1)] {
        let body = ui_payload(json!([]), search_items(CLIENT_COLUMNS, text));
        let data = ok(
            &srv,
            &token,
            &company,
            "/api/companies/clients/search",
            body,
        )
        .await;
        assert_eq!(
            data["totalNumberOfRecords"], want,
            "clients search box '{text}': {data}"
        );
    }
}

both_engines!(people_search_box, companies_and_clients_search_boxes);
