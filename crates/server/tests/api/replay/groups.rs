//! Target groups and custom fields as Keepnet's UI and agent use them (REFERENCE.md C.9, C.11,
//! D): the agent's group search and member paging, and the UI's group form and Add User modal
//! with custom fields and groups.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{assert_reads, ok};
use crate::common::{Engine, TestServer, SCOPE};

/// The agent's search body (REFERENCE.md D): its items in group 0 (AND), an empty OR group.
fn agent_body(items: Value, page_size: i64) -> Value {
    json!({
        "pageNumber": 1, "pageSize": page_size, "orderBy": "", "ascending": false,
        "filter": {
            "Condition": "AND", "SearchInputTextValue": "",
            "FilterGroups": [
                {"Condition": "AND", "FilterItems": items, "FilterGroups": []},
                {"Condition": "OR", "FilterItems": [], "FilterGroups": []}
            ]
        }
    })
}

async fn agent_groups_and_members(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Agent Groups"}))
        .await;
    // The UI's group form: a name and `priority: "Medium"` (REFERENCE.md C.11).
    let (status, reply) = srv
        .post(
            "/api/target-groups",
            &token,
            json!({"name": "Sales Team", "priority": "Medium"}),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let group = reply["data"]["resourceId"].as_str().expect("id").to_owned();
    let mut members = Vec::new();
    for (i, active) in [true, true, false].into_iter().enumerate() {
        members.push(
            srv.create_user(
                &token,
                &company,
                json!({"email": format!("m{i}@agent.test"), "isActive": active,
                       "targetGroupResourceIds": [&group]}),
            )
            .await,
        );
    }

    // The agent and agentic-ally-ui search groups by `name` (lowercase) or `Name`, with
    // `systemGeneratedGroups: true`.
    for field in ["name", "Name"] {
        let mut body = agent_body(
            json!([{"FieldName": field, "Operator": "Contains", "Value": "sales"}]),
            1000,
        );
        body["systemGeneratedGroups"] = json!(true);
        let data = ok(&srv, &token, &company, "/api/target-groups/search", body).await;
        let row = &data["results"][0];
        assert_reads(
            row,
            &["resourceId", "name", "userCount", "priority", "createTime"],
        );
        assert_eq!(row["name"], "Sales Team", "{data}");
        assert_eq!(row["userCount"], 3, "{data}");
    }

    // group-members.ts: pages of 1000 with `excludeGroupUsers: false`, reads
    // `totalNumberOfPages`, keeps the rows whose `status` is `Active`.
    let mut body = agent_body(json!([]), 1000);
    body["excludeGroupUsers"] = json!(false);
    let data = ok(
        &srv,
        &token,
        &company,
        &format!("/api/target-groups/{group}/users"),
        body,
    )
    .await;
    assert_eq!(data["totalNumberOfPages"], 1, "{data}");
    let rows = data["results"].as_array().expect("rows");
    for row in rows {
        assert_reads(row, &["resourceId", "email", "status"]);
    }
    let active = rows.iter().filter(|r| r["status"] == "Active").count();
    assert_eq!((rows.len(), active), (3, 2), "{data}");
}

async fn add_user_modal_with_fields(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Modal Customer"}))
        .await;
    let scope = [(SCOPE, company.as_str())];
    let mut fields = Vec::new();
    for (name, ty) in [
        ("Remote", "Boolean"),
        ("Hired", "Date"),
        ("Office", "String"),
    ] {
        let (status, reply) = srv
            .post(
                "/api/custom-fields",
                &token,
                json!({"name": name, "ownerType": "TargetUser", "fieldDataType": ty,
                       "isActive": true, "sortOrder": 0, "isRequired": false}),
                &scope,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        fields.push(reply["data"]["resourceId"].as_str().expect("id").to_owned());
    }
    // The modal lists the company's fields and keeps the active ones by `name`, `resourceId`
    // and `fieldDataType`.
    let (status, reply) = srv.get("/api/custom-fields/company", &token, &scope).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    for row in reply["data"].as_array().expect("fields") {
        assert_reads(row, &["name", "resourceId", "fieldDataType", "isActive"]);
    }
    let (status, reply) = srv
        .post(
            "/api/target-groups",
            &token,
            json!({"name": "New Hires", "priority": "Medium"}),
            &scope,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let group = reply["data"]["resourceId"]
        .as_str()
        .expect("group")
        .to_owned();

    // AddUserModal.vue sends the whole form: `phoneNumber: ""`, the defaults, the groups, and
    // every custom field as `{resourceId, value, timestampValue}`: booleans as "True"/"False",
    // dates in `timestampValue`, an untouched field with an empty value.
    let user = srv
        .create_user(
            &token,
            &company,
            json!({
                "email": "new.hire@modal.test", "firstName": "New", "lastName": "Hire",
                "department": "", "phoneNumber": "", "priority": "Medium", "isActive": true,
                "timeZoneId": null, "preferredLanguageId": null,
                "targetGroupResourceIds": [&group],
                "customFields": [
                    {"resourceId": fields[0], "value": "True", "timestampValue": null},
                    {"resourceId": fields[1], "value": null, "timestampValue": "2026-01-15T00:00:00.000Z"},
                    {"resourceId": fields[2], "value": "", "timestampValue": null}
                ]
            }),
        )
        .await;
    let (status, reply) = srv
        .get(&format!("/api/target-users/{user}"), &token, &scope)
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let values = reply["data"]["customFieldValues"]
        .as_array()
        .expect("customFieldValues");
    for v in values {
        assert_reads(
            v,
            &["resourceId", "name", "dataType", "value", "timestampValue"],
        );
    }
    let by_name = |n: &str| values.iter().find(|v| v["name"] == n).cloned();
    assert_eq!(
        by_name("Remote").map(|v| v["value"].clone()),
        Some(json!("True"))
    );
    assert!(
        by_name("Hired")
            .and_then(|v| v["timestampValue"].as_str().map(str::to_owned))
            .is_some_and(|t| t.starts_with("2026-01-15")),
        "{reply}"
    );
    assert!(
        by_name("Office").is_none(),
        "an empty value stores nothing: {reply}"
    );
    let data = ok(
        &srv,
        &token,
        &company,
        &format!("/api/target-groups/{group}/users"),
        json!({"pageNumber": 1, "pageSize": 10, "excludeGroupUsers": false}),
    )
    .await;
    assert_eq!(data["totalNumberOfRecords"], 1, "{data}");
}

both_engines!(agent_groups_and_members, add_user_modal_with_fields);
