//! Custom fields (issue #14) through HTTP on both engines: definitions (types, names, the
//! company limit, bulk update), values on target users by id or name with type checks and
//! required fields, and what deactivating and deleting a definition does to them.

use crate::common::tu::{define_field as define, scope};
use crate::common::{assert_error, message, Engine, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A new target group and a String field that belongs to it: (group id, field id).
async fn group_with_field(
    srv: &TestServer,
    token: &str,
    company: &str,
    group: &str,
    field: &str,
) -> (String, String) {
    let (s, b) = srv
        .post(
            "/api/target-groups",
            token,
            json!({"name": group}),
            &scope(company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let group = b["data"]["resourceId"].as_str().expect("group").to_owned();
    let field = define(
        srv,
        token,
        company,
        json!({"name": field, "fieldDataType": "String", "ownerType": "TargetGroup", "targetGroupResourceId": group}),
    )
    .await;
    (group, field)
}

/// The user's `customFieldValues` as (name, value) pairs.
async fn values(srv: &TestServer, token: &str, company: &str, user: &str) -> Vec<(String, String)> {
    let (s, b) = srv
        .get(&format!("/api/target-users/{user}"), token, &scope(company))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["customFieldValues"]
        .as_array()
        .expect("customFieldValues")
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap_or_default().to_owned(),
                v["value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

async fn definitions(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Fields"}))
        .await;
    let other = srv
        .create_company(&root, None, json!({"name": "Else"}))
        .await;
    let cost = define(
        &srv,
        &root,
        &c,
        json!({"name": "Cost Centre", "ownerType": "TargetUser", "fieldDataType": "String", "sortOrder": 2}),
    )
    .await;
    // Types in any case; every Keepnet type is known.
    for (i, t) in ["number", "Email", "BOOLEAN", "Date", "DateTime"]
        .iter()
        .enumerate()
    {
        define(
            &srv,
            &root,
            &c,
            json!({"name": format!("F{i}"), "fieldDataType": t, "sortOrder": 1}),
        )
        .await;
    }
    let (s, b) = srv
        .get("/api/custom-fields/company", &root, &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let rows = b["data"].as_array().expect("list");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[5]["name"], "Cost Centre", "sorted by sortOrder: {b}");
    let types: Vec<&str> = rows[..5]
        .iter()
        .map(|r| r["fieldDataType"].as_str().expect("type"))
        .collect();
    assert_eq!(types, ["Number", "Email", "Boolean", "Date", "DateTime"]);
    assert_eq!(rows[5]["isActive"], true);
    assert_eq!(rows[5]["isRequired"], false);
    assert_eq!(rows[5]["ownerType"], "TargetUser");

    // Names are unique per company in any case; bad input names what to fix.
    let (s, b) = srv
        .post(
            "/api/custom-fields",
            &root,
            json!({"name": "cost centre", "fieldDataType": "String"}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    for (body, needle) in [
        (json!({"fieldDataType": "String"}), "name is required"),
        (json!({"name": "X"}), "fieldDataType is required"),
        (
            json!({"name": "X", "fieldDataType": "Money"}),
            "fieldDataType 'Money'",
        ),
        (
            json!({"name": "x".repeat(65), "fieldDataType": "String"}),
            "at most 64",
        ),
        (
            json!({"name": "X", "fieldDataType": "String", "ownerType": "TargetGroup"}),
            "targetGroupResourceId",
        ),
    ] {
        let (s, b) = srv
            .post("/api/custom-fields", &root, body.clone(), &scope(&c))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert!(b.to_string().contains(needle), "{body}: {b}");
    }
    // Another company's field is not found.
    let (s, b) = srv
        .get(&format!("/api/custom-fields/{cost}"), &root, &scope(&other))
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");

    // A group's fields.
    let (group, _) = group_with_field(&srv, &root, &c, "Office", "Desk").await;
    let (s, b) = srv
        .get(
            &format!("/api/custom-fields/groups/{group}"),
            &root,
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let names: Vec<&str> = b["data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["name"].as_str().expect("n"))
        .collect();
    assert_eq!(names, ["Desk"], "{b}");
    assert_eq!(b["data"][0]["targetGroupResourceId"], group.as_str());

    // Deleting the group keeps its field, as a field of the whole company.
    let (brief, kept) = group_with_field(&srv, &root, &c, "Short Lived", "Locker").await;
    let (s, b) = srv
        .delete(&format!("/api/target-groups/{brief}"), &root, &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = srv
        .get(&format!("/api/custom-fields/{kept}"), &root, &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["ownerType"], "TargetUser", "{b}");
    assert_eq!(b["data"]["targetGroupResourceId"], Value::Null, "{b}");

    // The company limit (50).
    for i in 8..50 {
        define(
            &srv,
            &root,
            &c,
            json!({"name": format!("L{i}"), "fieldDataType": "String"}),
        )
        .await;
    }
    let (s, b) = srv
        .post(
            "/api/custom-fields",
            &root,
            json!({"name": "One Too Many", "fieldDataType": "String"}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    assert!(message(&b).contains("50"), "{b}");

    // Bulk update: the list is the whole set — keep and rename one, add one, delete the rest.
    let (s, b) = srv
        .post(
            "/api/custom-fields/bulk-update",
            &root,
            json!({"targetUserCustomFields": [
                {"resourceId": cost, "name": "Cost Center", "fieldDataType": "String"},
                {"name": "Hire Date", "fieldDataType": "Date", "isRequired": false}]}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let names: Vec<&str> = b["data"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["name"].as_str().expect("n"))
        .collect();
    assert_eq!(names, ["Hire Date", "Cost Center"], "by sort order: {b}");
    assert_eq!(
        b["data"][1]["resourceId"],
        cost.as_str(),
        "kept its id: {b}"
    );
    // An unknown id in a bulk update changes nothing.
    let (s, b) = srv
        .post(
            "/api/custom-fields/bulk-update",
            &root,
            json!({"targetUserCustomFields": [{"resourceId": "nosuchfield0", "name": "X", "fieldDataType": "String"}]}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (_, b) = srv
        .get("/api/custom-fields/company", &root, &scope(&c))
        .await;
    assert_eq!(b["data"].as_array().map(Vec::len), Some(2), "{b}");
}

async fn values_on_users(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Valued"}))
        .await;
    let office = define(
        &srv,
        &root,
        &c,
        json!({"name": "Office", "fieldDataType": "String", "sortOrder": 1}),
    )
    .await;
    let level = define(
        &srv,
        &root,
        &c,
        json!({"name": "Level", "fieldDataType": "Number", "sortOrder": 2}),
    )
    .await;
    define(
        &srv,
        &root,
        &c,
        json!({"name": "Remote", "fieldDataType": "Boolean", "sortOrder": 3}),
    )
    .await;
    define(
        &srv,
        &root,
        &c,
        json!({"name": "Hired", "fieldDataType": "Date", "sortOrder": 4}),
    )
    .await;
    define(
        &srv,
        &root,
        &c,
        json!({"name": "Backup", "fieldDataType": "Email", "sortOrder": 5}),
    )
    .await;

    // By resource id (the UI) or by name in any case (the docs); Keepnet's UI shapes.
    let user = srv
        .create_user(
            &root,
            &c,
            json!({"email": "v@valued.test", "customFields": [
                {"resourceId": office, "value": "Berlin"},
                {"name": "level", "value": "3.5"},
                {"resourceId": null, "name": "REMOTE", "value": "True"},
                {"name": "Hired", "value": null, "timestampValue": "2024-03-01T00:00:00Z"},
                {"name": "Backup", "value": "boss@valued.test"}]}),
        )
        .await;
    assert_eq!(
        values(&srv, &root, &c, &user).await,
        pairs(&[
            ("Office", "Berlin"),
            ("Level", "3.5"),
            ("Remote", "True"),
            ("Hired", "2024-03-01"),
            ("Backup", "boss@valued.test")
        ])
    );
    let (_, b) = srv
        .get(&format!("/api/target-users/{user}"), &root, &scope(&c))
        .await;
    let hired = b["data"]["customFieldValues"]
        .as_array()
        .expect("values")
        .iter()
        .find(|v| v["name"] == "Hired")
        .expect("Hired")
        .clone();
    assert_eq!(hired["dataType"], "Date");
    assert!(
        hired["timestampValue"]
            .as_str()
            .is_some_and(|t| t.starts_with("2024-03-01")),
        "{hired}"
    );
    // Search rows carry them too.
    let (s, b) = srv
        .post("/api/target-users/search", &root, json!({}), &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["data"]["results"][0]["customFieldValues"]
            .as_array()
            .map(Vec::len),
        Some(5),
        "{b}"
    );

    // Wrong types, unknown fields: 400 naming the field; nothing is written.
    for (item, needle) in [
        (
            json!({"name": "Level", "value": "three"}),
            "'Level' is a Number field",
        ),
        (
            json!({"name": "Remote", "value": "maybe"}),
            "'Remote' is a Boolean field",
        ),
        (
            json!({"name": "Hired", "timestampValue": "soon"}),
            "'Hired' is a Date field",
        ),
        (
            json!({"name": "Backup", "value": "nobody"}),
            "'Backup' is an Email field",
        ),
        (
            json!({"name": "Shoe Size", "value": "44"}),
            "'Shoe Size' is not defined",
        ),
    ] {
        let (s, b) = srv
            .put(
                &format!("/api/target-users/{user}"),
                &root,
                json!({"customFields": [item.clone()]}),
                &scope(&c),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{item}: {b}");
        assert!(b.to_string().contains(needle), "{item}: {b}");
    }
    assert_eq!(
        values(&srv, &root, &c, &user).await.len(),
        5,
        "nothing written"
    );

    // An update without customFields keeps them; an empty value clears one.
    let (s, _) = srv
        .put(
            &format!("/api/target-users/{user}"),
            &root,
            json!({"firstName": "Val"}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(values(&srv, &root, &c, &user).await.len(), 5);
    let (s, _) = srv
        .put(
            &format!("/api/target-users/{user}"),
            &root,
            json!({"customFields": [{"resourceId": level, "value": ""}]}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let now = values(&srv, &root, &c, &user).await;
    assert!(!now.iter().any(|(n, _)| n == "Level"), "{now:?}");

    // A required field: creates without it are refused, with it accepted.
    let (s, b) = srv
        .put(
            &format!("/api/custom-fields/{office}"),
            &root,
            json!({"isRequired": true}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = srv
        .post(
            "/api/target-users",
            &root,
            json!({"email": "w@valued.test"}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b.to_string().contains("'Office' is required"), "{b}");

    // A type does not change under stored values.
    let (s, b) = srv
        .put(
            &format!("/api/custom-fields/{office}"),
            &root,
            json!({"fieldDataType": "Number"}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");

    // Deactivated: out of rows, kept; reactivated: back. Values of an inactive field are refused.
    let (s, _) = srv
        .put(
            &format!("/api/custom-fields/{office}"),
            &root,
            json!({"isActive": false}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!values(&srv, &root, &c, &user)
        .await
        .iter()
        .any(|(n, _)| n == "Office"));
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{user}"),
            &root,
            json!({"customFields": [{"resourceId": office, "value": "Paris"}]}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b.to_string().contains("inactive"), "{b}");
    let (s, _) = srv
        .put(
            &format!("/api/custom-fields/{office}"),
            &root,
            json!({"isActive": true}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(values(&srv, &root, &c, &user)
        .await
        .contains(&("Office".to_owned(), "Berlin".to_owned())));

    // Deleted (left out of a bulk update): the values go with it.
    let (s, b) = srv
        .post(
            "/api/custom-fields/bulk-update",
            &root,
            json!({"targetUserCustomFields": [{"resourceId": level, "name": "Level", "fieldDataType": "Number"}]}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(values(&srv, &root, &c, &user).await.is_empty());
    let (s, _) = srv
        .post(
            "/api/custom-fields",
            &root,
            json!({"name": "Office", "fieldDataType": "String"}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "the name is free again");
    assert!(
        values(&srv, &root, &c, &user).await.is_empty(),
        "a new field with the old name has no values"
    );

    // A company with fields, values, a group and its field is deleted whole.
    let (team, _) = group_with_field(&srv, &root, &c, "Team", "Seat").await;
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{user}"),
            &root,
            json!({"targetGroupResourceIds": [team], "customFields": [{"name": "Seat", "value": "4B"}]}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = srv.delete(&format!("/api/companies/{c}"), &root, &[]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

both_engines!(definitions, values_on_users);
