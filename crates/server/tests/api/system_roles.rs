//! The two system roles as Keepnet's UI reads them (REFERENCE.md A.3, issue #13): the roles a
//! caller may grant, the roles search and one role with its permissions; custom roles refused.

use crate::common::{assert_error, message, Engine, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn ids(rows: &Value) -> Vec<&str> {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| r["resourceId"].as_str().expect("resourceId"))
        .collect()
}

async fn system_roles_are_listed_searched_and_read_but_not_changed(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let customer = srv
        .create_company(&root, None, json!({"Name": "Roles Co"}))
        .await;
    let (id, secret) = srv.create_client(&root, &customer, "Company Admin").await;
    let admin = srv.token(&id, &secret).await;

    // What the REST-client form offers: a Company Admin cannot grant Reseller.
    let (status, body) = srv.get("/api/roleswithavailable", &root, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!([{"resourceId": "RoleReseller", "name": "Reseller"},
               {"resourceId": "RoleCompAdmn", "name": "Company Admin"}])
    );
    let (_, body) = srv.get("/api/roleswithavailable", &admin, &[]).await;
    assert_eq!(ids(&body["data"]), ["RoleCompAdmn"]);

    // The roles page: the UI's default body, then its search box (OR group, Contains).
    let (status, body) = srv
        .post(
            "/api/roles/search",
            &root,
            json!({"pageNumber": 1, "pageSize": 10, "orderBy": "", "ascending": true,
                   "filter": {"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
                       {"Condition": "AND", "FilterItems": [], "FilterGroups": []},
                       {"Condition": "OR", "FilterItems": [], "FilterGroups": []}]}}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["totalNumberOfRecords"], 2);
    let rows = &body["data"]["results"];
    assert_eq!(ids(rows), ["RoleCompAdmn", "RoleReseller"], "by name");
    assert_eq!(rows[1]["roleName"], "Reseller");
    assert_eq!(rows[1]["typeName"], "System");
    assert_eq!(rows[1]["isOwner"], false);
    let (_, body) = srv
        .post(
            "/api/roles/search",
            &admin,
            json!({"filter": {"SearchInputTextValue": "resel", "FilterGroups": [
                {"Condition": "OR", "FilterItems": [
                    {"FieldName": "RoleName", "Operator": "Contains", "Value": "resel"},
                    {"FieldName": "RoleDescription", "Operator": "Contains", "Value": "resel"}]}]}}),
            &[],
        )
        .await;
    assert_eq!(ids(&body["data"]["results"]), ["RoleReseller"], "{body}");
    let (status, body) = srv
        .post(
            "/api/roles/search",
            &root,
            json!({"filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "Colour", "Operator": "Contains", "Value": "x"}]}]}}),
            &[],
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&body).contains("RoleName"), "{body}");

    // One role with its permissions.
    let (status, body) = srv.get("/api/roles/RoleReseller", &admin, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let perms = body["data"]["permissionResourceIdList"]
        .as_array()
        .expect("perms");
    assert!(perms.contains(&json!("companies:create")), "{body}");
    let (_, body) = srv.get("/api/roles/RoleCompAdmn", &admin, &[]).await;
    let perms = body["data"]["permissionResourceIdList"]
        .as_array()
        .expect("perms");
    assert!(perms.contains(&json!("target-users:write")), "{body}");
    assert!(!perms.contains(&json!("companies:create")), "{body}");
    assert_eq!(body["data"]["availableForList"], json!([]));
    let (status, body) = srv.get("/api/roles/RoleNobody00", &root, &[]).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert!(message(&body).contains("RoleReseller"), "{body}");

    // Custom roles: a clear 400 on every write.
    let custom = json!({"name": "Auditor", "description": "reads", "permissionResourceIdList": []});
    for (status, body) in [
        srv.post("/api/roles", &root, custom.clone(), &[]).await,
        srv.put("/api/roles/RoleCompAdmn", &root, custom.clone(), &[])
            .await,
        srv.delete("/api/roles/RoleCompAdmn", &root, &[]).await,
    ] {
        assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
        assert!(
            message(&body).contains("custom roles are not supported"),
            "{body}"
        );
    }
}

both_engines!(system_roles_are_listed_searched_and_read_but_not_changed);
