//! Keepnet's Target Users page (`People.vue`, REFERENCE.md C.6–C.9 and D): the first load, the
//! summary cards, column filters, add / edit / delete, bulk delete and exports, with the bodies
//! the page sends and the fields it reads.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{assert_reads, default_payload, ok, ui_payload};
use crate::common::{Engine, TestServer, SCOPE};

const SEARCH: &str = "/api/target-users/search";

/// Fields People.vue reads from each row: the spec's `TargetUserSearchView` plus `isDeleted`,
/// `managerFullName` and `managerEmail` (REFERENCE.md C.6).
const ROW_FIELDS: &[&str] = &[
    "resourceId",
    "email",
    "firstName",
    "lastName",
    "department",
    "priority",
    "status",
    "customFieldValues",
    "createTime",
    "updateTime",
    "isEditable",
    "scimSettingName",
    "ldapConfigName",
    "phoneNumber",
    "timeZone",
    "preferredLanguage",
    "isDeleted",
    "managerFullName",
    "managerEmail",
];

/// A company with a reseller token; `None` when the engine is not available.
async fn setup(engine: Engine) -> Option<(TestServer, String, String)> {
    let srv = TestServer::start(engine).await?;
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Replay Customer"}))
        .await;
    Some((srv, token, company))
}

/// The add-user form as the UI sends it: the whole form, phone number without spaces (maybe
/// empty), `priority: "Medium"`, `isActive: true`, `timeZoneId: null` (REFERENCE.md C.9).
fn add_form(email: &str, first: &str, department: &str) -> Value {
    json!({
        "email": email, "firstName": first, "lastName": "Replay", "department": department,
        "phoneNumber": "", "priority": "Medium", "isActive": true, "timeZoneId": null,
        "customFields": [], "targetGroupResourceIds": []
    })
}

async fn first_load_and_edit_round_trip(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let (status, created) = srv
        .post(
            "/api/target-users",
            &token,
            add_form("ada@example.com", "Ada", "Research"),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert!(created["message"].as_str().is_some_and(|m| !m.is_empty()));
    let id = created["data"]["resourceId"].as_str().expect("resourceId");

    let data = ok(&srv, &token, &company, SEARCH, default_payload()).await;
    assert_reads(
        &data,
        &[
            "pageNumber",
            "pageSize",
            "totalNumberOfPages",
            "totalNumberOfRecords",
            "results",
        ],
    );
    assert_eq!(data["totalNumberOfRecords"], 1);
    let row = &data["results"][0];
    assert_reads(row, ROW_FIELDS);
    assert_eq!(row["resourceId"], id);
    assert_eq!(row["status"], "Active");
    assert_eq!(row["isDeleted"], false);
    assert_eq!(row["priority"], "Medium");

    // Edit: the UI sends the whole row back without `status` (REFERENCE.md C.9); the read-only
    // fields it carries are ignored, the edited one is kept.
    let mut edited = row.clone();
    if let Some(map) = edited.as_object_mut() {
        map.remove("status");
    }
    edited["department"] = json!("Research & Development");
    let (status, reply) = srv
        .call(
            Method::PUT,
            &format!("/api/target-users/{id}"),
            &token,
            Some(edited),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    let again = ok(&srv, &token, &company, SEARCH, default_payload()).await;
    assert_eq!(again["results"][0]["department"], "Research & Development");
    assert_eq!(again["results"][0]["email"], "ada@example.com");
}

async fn summary_cards(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let scope = [(SCOPE, company.as_str())];
    let mut ids = Vec::new();
    for (i, name) in ["Ann", "Ben", "Cem"].iter().enumerate() {
        let body = add_form(&format!("{}@example.com", name.to_lowercase()), name, "Ops");
        let (status, reply) = srv.post("/api/target-users", &token, body, &scope).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        ids.push(reply["data"]["resourceId"].as_str().expect("id").to_owned());
        if i == 1 {
            let (status, reply) = srv
                .call(
                    Method::PUT,
                    &format!("/api/target-users/{}", ids[1]),
                    &token,
                    Some(json!({"isActive": false})),
                    &scope,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{reply}");
        }
    }
    let (status, reply) = srv
        .call(
            Method::DELETE,
            &format!("/api/target-users/{}", ids[2]),
            &token,
            None,
            &scope,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    // the UI reloads its table after a delete only when `message` is not empty
    assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));

    // normalizeCountSummary reads these keys (REFERENCE.md C.8)
    let (status, summary) = srv
        .get("/api/target-users/count-summary", &token, &scope)
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let summary = &summary["data"];
    assert_reads(
        summary,
        &[
            "totalNumberOfActiveUsers",
            "totalNumberOfInActiveUsers",
            "totalNumberOfDeletedUsers",
            "monthlyActiveUsers",
        ],
    );
    assert_eq!(summary["totalNumberOfActiveUsers"], 1);
    assert_eq!(summary["totalNumberOfInActiveUsers"], 1);
    assert_eq!(summary["totalNumberOfDeletedUsers"], 1);
    let current = summary["monthlyActiveUsers"]
        .as_array()
        .and_then(|m| m.last())
        .expect("a current month");
    assert_reads(current, &["period", "periodStart", "count"]);
    // the UI parses periodStart in local time and keys the card filter by its YYYY-MM
    let start = current["periodStart"].as_str().expect("periodStart");
    assert!(!start.ends_with('Z'), "no zone designator: {start}");
    let month = &start[..7];

    // Each card's filter, as the UI sends it (orderBy "" when filtering by status). A deleted
    // user keeps its status, so `Status` alone lists it too; with `IsDeleted Contains false`
    // (REFERENCE.md D, active-only) the rows are the card's count.
    let not_deleted = json!({"FieldName": "IsDeleted", "Operator": "Contains", "Value": false});
    for (items, want) in [
        (
            json!([{"FieldName": "Status", "Operator": "Include", "Value": "1"}]),
            2,
        ),
        (
            json!([{"FieldName": "Status", "Operator": "Include", "Value": "1"}, not_deleted]),
            1,
        ),
        (
            json!([{"FieldName": "Status", "Operator": "Include", "Value": "0"}]),
            1,
        ),
        (
            json!([{"FieldName": "IsDeleted", "Operator": "Contains", "Value": true}]),
            1,
        ),
        (
            json!([{"FieldName": "MonthlyActiveUser", "Operator": "=", "Value": month}]),
            3,
        ),
    ] {
        let mut body = ui_payload(items.clone(), json!([]));
        body["orderBy"] = json!("");
        let data = ok(&srv, &token, &company, SEARCH, body).await;
        assert_eq!(data["totalNumberOfRecords"], want, "{items}: {data}");
    }
}

async fn column_filters_between_with_lowercase_value(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    srv.create_user(&token, &company, add_form("dan@example.com", "Dan", "Ops"))
        .await;
    // A "between" on a date column: `>=` and `<=`, the second item's key spelled `value`
    // (REFERENCE.md D, key casing).
    let body = ui_payload(
        json!([
            {"FieldName": "createTime", "Operator": ">=", "Value": "2000-01-01T00:00:00"},
            {"FieldName": "createTime", "Operator": "<=", "value": "2999-12-31T23:59:59"},
            {"FieldName": "department", "Operator": "Contains", "Value": "op"}
        ]),
        json!([]),
    );
    let data = ok(&srv, &token, &company, SEARCH, body).await;
    assert_eq!(data["totalNumberOfRecords"], 1, "{data}");
    let body = ui_payload(
        json!([
            {"FieldName": "createTime", "Operator": "<=", "value": "2000-01-01T00:00:00"}
        ]),
        json!([]),
    );
    let data = ok(&srv, &token, &company, SEARCH, body).await;
    assert_eq!(data["totalNumberOfRecords"], 0, "{data}");
}

async fn bulk_delete_and_exports_of_the_current_list(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let scope = [(SCOPE, company.as_str())];
    for name in ["Eva", "Fin", "Gus"] {
        let dept = if name == "Gus" { "Legal" } else { "Sales" };
        srv.create_user(
            &token,
            &company,
            add_form(&format!("{}@example.com", name.to_lowercase()), name, dept),
        )
        .await;
    }
    let list_filter = ui_payload(
        json!([{"FieldName": "department", "Operator": "Include", "Value": "Sales"}]),
        json!([]),
    )["filter"]
        .clone();

    // Exports of the list as the UI asks for them (REFERENCE.md C.7, E): every format, this page
    // or every page.
    for (export_type, content_type) in [
        (
            "Excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("CSV", "text/csv; charset=utf-8"),
        ("PDF", "application/pdf"),
    ] {
        for all_pages in [false, true] {
            let resp = srv
                .http
                .post(srv.url("/api/target-users/search/export"))
                .bearer_auth(&token)
                .header(SCOPE, company.as_str())
                .json(&json!({
                    "pageNumber": 1, "pageSize": 10, "orderBy": "CreateTime", "ascending": false,
                    "reportAllPages": all_pages, "exportType": export_type, "filter": list_filter
                }))
                .send()
                .await
                .expect("export");
            assert_eq!(resp.status(), StatusCode::OK, "{export_type}");
            assert_eq!(
                resp.headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some(content_type)
            );
            let bytes = resp.bytes().await.expect("file");
            if export_type == "CSV" {
                let text = String::from_utf8_lossy(&bytes);
                assert!(text.contains("eva@example.com") && !text.contains("gus@example.com"));
            } else {
                assert!(bytes.len() > 100, "{export_type}: {} bytes", bytes.len());
            }
        }
    }

    // Bulk delete with "select all": items empty, the current list filter (REFERENCE.md C.9)
    let (status, reply) = srv
        .call(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &token,
            Some(
                json!({"items": [], "excludedItems": [], "selectAll": true, "filter": list_filter}),
            ),
            &scope,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["data"]["deletedCount"], 2);
    assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    let deleted = ui_payload(
        json!([{"FieldName": "IsDeleted", "Operator": "Contains", "Value": true}]),
        json!([]),
    );
    let data = ok(&srv, &token, &company, SEARCH, deleted).await;
    assert_eq!(data["totalNumberOfRecords"], 2, "{data}");
}

both_engines!(
    first_load_and_edit_round_trip,
    summary_cards,
    column_filters_between_with_lowercase_value,
    bulk_delete_and_exports_of_the_current_list
);
