//! Keepnet's AI agent (`agentic-ally-agent`, REFERENCE.md D and C.1): its user lookup and its
//! company search, with the bodies its tools send and the fields they read.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{assert_reads, ok};
use crate::common::{Engine, TestServer};

/// The agent's search body: its items in group 0 (AND) and an empty OR group.
fn agent_body(items: Value, order_by: &str) -> Value {
    json!({
        "pageNumber": 1, "pageSize": 20, "orderBy": order_by, "ascending": false,
        "filter": {
            "Condition": "AND", "SearchInputTextValue": "",
            "FilterGroups": [
                {"Condition": "AND", "FilterItems": items, "FilterGroups": []},
                {"Condition": "OR", "FilterItems": [], "FilterGroups": []}
            ]
        }
    })
}

async fn user_lookup(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Agent Customer"}))
        .await;
    let live = srv
        .create_user(
            &token,
            &company,
            json!({"email": "grace.hopper@example.com", "firstName": "Grace", "lastName": "Hopper"}),
        )
        .await;
    let gone = srv
        .create_user(
            &token,
            &company,
            json!({"email": "grace.old@example.com", "firstName": "Grace", "lastName": "Old"}),
        )
        .await;
    let (status, reply) = srv
        .delete(
            &format!("/api/target-users/{gone}"),
            &token,
            &[(crate::common::SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");

    // Active, not deleted: `Status Include "1"` and `IsDeleted Contains false` (a JSON bool),
    // with `orderBy: ""` (REFERENCE.md D).
    let body = agent_body(
        json!([
            {"FieldName": "firstName", "Operator": "Contains", "Value": "grace"},
            {"FieldName": "Status", "Operator": "Include", "Value": "1"},
            {"FieldName": "IsDeleted", "Operator": "Contains", "Value": false}
        ]),
        "",
    );
    let data = ok(&srv, &token, &company, "/api/target-users/search", body).await;
    assert_eq!(data["totalNumberOfRecords"], 1, "{data}");
    let row = &data["results"][0];
    assert_reads(
        row,
        &["resourceId", "email", "firstName", "lastName", "department"],
    );
    assert_eq!(row["resourceId"], live.as_str());

    // Its fallback: `Equal` on email, and the id field it names `targetUserResourceId`
    for item in [
        json!({"FieldName": "email", "Operator": "Equal", "Value": "Grace.Hopper@example.com"}),
        json!({"FieldName": "targetUserResourceId", "Operator": "Include", "Value": live}),
    ] {
        let mut items = vec![item.clone()];
        items.push(json!({"FieldName": "IsDeleted", "Operator": "Contains", "Value": false}));
        let data = ok(
            &srv,
            &token,
            &company,
            "/api/target-users/search",
            agent_body(Value::Array(items), "CreateTime"),
        )
        .await;
        assert_eq!(data["totalNumberOfRecords"], 1, "{item}: {data}");
        assert_eq!(data["results"][0]["resourceId"], live.as_str());
    }

    // `Or` as a condition's spelling (REFERENCE.md D)
    let mut body = agent_body(
        json!([
            {"FieldName": "lastName", "Operator": "Contains", "Value": "hopper"},
            {"FieldName": "lastName", "Operator": "Contains", "Value": "old"}
        ]),
        "",
    );
    body["filter"]["FilterGroups"][0]["Condition"] = json!("Or");
    let data = ok(&srv, &token, &company, "/api/target-users/search", body).await;
    assert_eq!(data["totalNumberOfRecords"], 2, "{data}");
}

async fn company_search(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let acme = srv
        .create_company(
            &token,
            None,
            json!({"Name": "Acme Replay", "LicenseEndDate": "2001-01-01"}),
        )
        .await;
    srv.create_company(
        &token,
        None,
        json!({"Name": "Globex Replay", "LicenseEndDate": "2099-01-01"}),
    )
    .await;
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    // search-companies-tool.ts: `isClustered: false`, `isTargetUserCountExceededLimit: false`
    for (items, want) in [
        (
            json!([{"FieldName": "CompanyName", "Operator": "Contains", "Value": "replay"}]),
            2,
        ),
        (
            json!([{"FieldName": "Name", "Operator": "Contains", "Value": "acme"}]),
            1,
        ),
        (
            json!([{"FieldName": "LicenceExpired", "Operator": "=", "Value": "true"}]),
            1,
        ),
        (
            json!([{"FieldName": "MonthlyActiveUser", "Operator": "=", "Value": month}]),
            2,
        ),
    ] {
        let mut body = agent_body(items.clone(), "CreateTime");
        body["isClustered"] = json!(false);
        body["isTargetUserCountExceededLimit"] = json!(false);
        let (status, reply) = srv.post("/api/companies/search", &token, body, &[]).await;
        assert_eq!(status, StatusCode::OK, "{items}: {reply}");
        let data = &reply["data"];
        let rows: Vec<&Value> = data["results"]
            .as_array()
            .expect("results")
            .iter()
            .filter(|r| {
                r["companyName"]
                    .as_str()
                    .is_some_and(|n| n.contains("Replay"))
            })
            .collect();
        assert_eq!(rows.len(), want, "{items}: {data}");
        for row in rows {
            // company-search-agent.ts reads these (REFERENCE.md C.1, G)
            assert_reads(
                row,
                &[
                    "companyName",
                    "companyResourceId",
                    "resellerName",
                    "industryName",
                    "licenseTypeName",
                    "numberOfUsers",
                    "licenceExpired",
                    "licenseEndDate",
                    "createTime",
                    "targetUserCount",
                    "monthlyActiveUserCount",
                ],
            );
            if row["companyResourceId"] == acme.as_str() {
                assert_eq!(row["licenceExpired"], true);
            }
        }
    }
}

async fn lookups_and_leaderboard(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Board Replay"}))
        .await;
    let ann = srv
        .create_user(
            &token,
            &company,
            json!({"email": "ann@board.example", "firstName": "Ann"}),
        )
        .await;

    // `/api/lookups/21` (languages) and `{typeidlist: [9, 2]}` (REFERENCE.md I, "Lookups")
    let (s, langs) = srv.get("/api/lookups/21", &token, &[]).await;
    assert_eq!(s, StatusCode::OK, "{langs}");
    let langs = langs["data"].as_array().expect("languages").clone();
    assert!(langs.iter().any(|l| l["name"] == "English"), "{langs:?}");
    let (s, many) = srv
        .post("/api/lookups", &token, json!({"typeidlist": [9, 2]}), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{many}");
    let rows = many["data"].as_array().expect("rows");
    assert!(rows.iter().any(|r| r["genericCodeTypeId"] == 2), "{many}");
    for row in rows {
        assert_reads(row, &["resourceId", "name"]);
    }

    // The user lookup starts with the leaderboard (it stops on a 404) and reads `data.results`;
    // it names the company with `X-IR-COMPANY-ID` and uses `Equals`.
    let (s, board) = srv
        .post(
            "/api/leaderboard/get-all",
            &token,
            json!({"datePeriod": "AllTime", "startDate": null, "endDate": null,
                   "filter": {"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
                       {"Condition": "AND", "FilterGroups": [],
                        "FilterItems": [{"FieldName": "email", "Operator": "Equals", "Value": "ann@board.example"}]}]},
                   "pagination": {"pageNumber": 1, "pageSize": 10, "orderBy": "points", "ascending": false}}),
            &[("X-IR-COMPANY-ID", company.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{board}");
    let rows = board["data"]["results"].as_array().expect("results");
    assert_eq!(rows.len(), 1, "{board}");
    assert_reads(
        &rows[0],
        &[
            "targetUserResourceId",
            "firstName",
            "lastName",
            "email",
            "department",
            "points",
        ],
    );
    assert_eq!(rows[0]["targetUserResourceId"], ann.as_str());
}

both_engines!(user_lookup, company_search, lookups_and_leaderboard);
