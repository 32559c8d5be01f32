//! Target groups (issue #14, REFERENCE.md C.11) through HTTP on both engines: CRUD and names,
//! memberships by id and by filter, the counts kept in each group's row against the members
//! a search finds, the `TargetGroup` filter, a user's groups, and company scoping.

use crate::common::tu::{create_group, scope};
use crate::common::{assert_error, message, Engine, TestServer, SCOPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn user(srv: &TestServer, token: &str, company: &str, email: &str, extra: Value) -> String {
    let mut body = json!({"email": email, "firstName": "F", "lastName": "L"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    srv.create_user(token, company, body).await
}

/// Every member of a group, as (resource id, has a phone), by paging its member search.
async fn members(srv: &TestServer, token: &str, company: &str, group: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for page in 1.. {
        let (s, b) = srv
            .post(
                &format!("/api/target-groups/{group}/users"),
                token,
                json!({"pageNumber": page, "pageSize": 7, "orderBy": "Email", "ascending": true}),
                &scope(company),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let rows = b["data"]["results"].as_array().expect("results").clone();
        for r in &rows {
            out.push((
                r["resourceId"].as_str().expect("id").to_owned(),
                r["phoneNumber"].as_str().is_some_and(|p| !p.is_empty()),
            ));
        }
        if page >= b["data"]["totalNumberOfPages"].as_i64().expect("pages") {
            assert_eq!(
                b["data"]["totalNumberOfRecords"].as_i64(),
                Some(out.len() as i64),
                "{b}"
            );
            break;
        }
    }
    out
}

/// The group's search row.
async fn group_row(srv: &TestServer, token: &str, company: &str, group: &str) -> Value {
    let (s, b) = srv
        .post(
            "/api/target-groups/search",
            token,
            json!({"pageSize": 100, "systemGeneratedGroups": true,
                   "filter": {"filterGroups": [{"filterItems": [
                       {"fieldName": "ResourceId", "operator": "=", "value": group}]}]}}),
            &scope(company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1, "{b}");
    b["data"]["results"][0].clone()
}

/// The counts a group's row carries are those of the members a search finds.
#[track_caller]
fn assert_counts(row: &Value, members: &[(String, bool)], what: &str) {
    let phones = members.iter().filter(|(_, p)| *p).count();
    assert_eq!(row["userCount"], members.len(), "{what}: {row}");
    assert_eq!(row["userCountWithPhoneNumber"], phones, "{what}: {row}");
}

async fn check(
    srv: &TestServer,
    token: &str,
    company: &str,
    group: &str,
    what: &str,
) -> Vec<String> {
    let m = members(srv, token, company, group).await;
    assert_counts(&group_row(srv, token, company, group).await, &m, what);
    let mut ids: Vec<String> = m.into_iter().map(|(id, _)| id).collect();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    v.sort();
    v
}

async fn crud_and_names(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Groups"}))
        .await;
    let other = srv
        .create_company(&root, None, json!({"name": "Other"}))
        .await;
    let (s, b) = srv
        .post(
            "/api/target-groups",
            &root,
            json!({"name": "  Sales Team "}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let g = b["data"]["resourceId"].as_str().expect("id").to_owned();
    let (s, b) = srv
        .get(&format!("/api/target-groups/{g}"), &root, &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["name"], "Sales Team", "trimmed: {b}");
    assert_eq!(b["data"]["priority"], "Medium", "the default: {b}");
    assert_eq!(b["data"]["isEditable"], true);
    assert_eq!(b["data"]["isScimGroup"], false);
    assert!(b["data"]["createDate"].is_string(), "{b}");

    // Names are unique per company in any case; another company may reuse one.
    let (s, b) = srv
        .post(
            "/api/target-groups",
            &root,
            json!({"name": "SALES team", "priority": "High"}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    assert!(message(&b).contains("already exists"), "{b}");
    create_group(&srv, &root, &other, "Sales Team").await;

    // Bad input names the field.
    for (body, needle) in [
        (json!({"priority": "High"}), "name is required"),
        (json!({"name": "   "}), "name is required"),
        (json!({"name": "x".repeat(65)}), "at most 64"),
        (
            json!({"name": "Ok", "priority": "Urgent"}),
            "priority 'Urgent'",
        ),
    ] {
        let (s, b) = srv
            .post("/api/target-groups", &root, body.clone(), &scope(&c))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {b}");
        assert!(b.to_string().contains(needle), "{body}: {b}");
    }

    // Update: rename and re-prioritise; a name another group has is a conflict.
    let g2 = create_group(&srv, &root, &c, "Finance").await;
    let (s, b) = srv
        .put(
            &format!("/api/target-groups/{g}"),
            &root,
            json!({"name": "Sales", "priority": "VeryHigh", "isActive": true}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["message"], "Target group updated.");
    let (_, b) = srv
        .get(&format!("/api/target-groups/{g}"), &root, &scope(&c))
        .await;
    assert_eq!(
        (b["data"]["name"].clone(), b["data"]["priority"].clone()),
        (json!("Sales"), json!("VeryHigh"))
    );
    let (s, b) = srv
        .put(
            &format!("/api/target-groups/{g2}"),
            &root,
            json!({"name": "sales", "priority": "Low"}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");

    // The list: every group of the company, by name.
    let (s, b) = srv.get("/api/target-groups", &root, &scope(&c)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let names: Vec<&str> = b["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|g| g["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Finance", "Sales"]);

    // search-name: contains, any case.
    let (s, b) = srv
        .post(
            "/api/target-groups/search-name",
            &root,
            json!({"groupName": "FIN", "pageNumber": 1, "pageSize": 10}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1, "{b}");
    assert_eq!(b["data"]["results"][0]["name"], "Finance");
    assert_eq!(b["data"]["results"][0]["companyName"], "Groups");

    // Another company's group is not found, for every verb.
    let (s, b) = srv
        .get(&format!("/api/target-groups/{g}"), &root, &scope(&other))
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (s, b) = srv
        .delete(&format!("/api/target-groups/{g}"), &root, &scope(&other))
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");

    let (s, b) = srv
        .delete(&format!("/api/target-groups/{g}"), &root, &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["message"], "Target group deleted.");
    let (s, b) = srv
        .get(&format!("/api/target-groups/{g}"), &root, &scope(&c))
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");
}

async fn memberships_and_counts(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Members"}))
        .await;
    let mut users = Vec::new();
    for i in 0..12 {
        let phone = if i % 3 == 0 {
            json!({"phoneNumber": format!("+90555000{i:02}")})
        } else {
            json!({})
        };
        let dept = if i < 6 { "Sales" } else { "Ops" };
        let mut extra = phone;
        extra["department"] = json!(dept);
        users.push(user(&srv, &root, &c, &format!("u{i:02}@m.test"), extra).await);
    }
    let g = create_group(&srv, &root, &c, "Pilot").await;
    let h = create_group(&srv, &root, &c, "Everyone").await;
    assert!(check(&srv, &root, &c, &g, "a new group").await.is_empty());

    // By ids, into two groups at once; a repeat adds nothing.
    let body = json!({"targetUserResourceIds": [&users[0], &users[1], &users[3]], "targetGroupResourceIds": [&g, &h]});
    let (s, b) = srv
        .put("/api/target-groups/users", &root, body.clone(), &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"][0]["addedUserCount"], 3, "{b}");
    assert_eq!(b["data"][1]["userCount"], 3, "{b}");
    assert_eq!(
        check(&srv, &root, &c, &g, "three by id").await,
        sorted(&[&users[0], &users[1], &users[3]])
    );
    let (s, b) = srv
        .put("/api/target-groups/users", &root, body, &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"][0]["addedUserCount"], 0, "{b}");
    check(&srv, &root, &c, &g, "the same three again").await;

    // By filter: every Sales user but one excluded, into `h` through the UI's per-group PUT.
    let (s, b) = srv
        .put(
            &format!("/api/target-groups/{h}/users"),
            &root,
            json!({"selectAll": true, "excludedResourceIdList": [&users[5]],
                   "filter": {"filterGroups": [{"filterItems": [
                       {"fieldName": "Department", "operator": "=", "value": "sales"}]}]}}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let h_members = check(&srv, &root, &c, &h, "by filter").await;
    assert_eq!(
        h_members,
        sorted(&users[..5].iter().collect::<Vec<_>>()),
        "Sales less users[5]"
    );

    // Outside the group: the company's other live users.
    let (s, b) = srv
        .post(
            &format!("/api/target-groups/{g}/users"),
            &root,
            json!({"pageSize": 100, "excludeGroupUsers": true}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 9, "{b}");

    // A member's phone cleared and set: the with-phone count follows.
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{}", users[0]),
            &root,
            json!({"phoneNumber": ""}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    check(&srv, &root, &c, &g, "a phone cleared").await;
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{}", users[1]),
            &root,
            json!({"phoneNumber": "+1 555 0101"}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    check(&srv, &root, &c, &g, "a phone set").await;

    // Removing: members go, non-members count nothing.
    let (s, b) = srv
        .call(
            reqwest::Method::DELETE,
            &format!("/api/target-groups/{g}/users"),
            &root,
            Some(json!({"targetUserResourceIds": [&users[1], &users[7]]})),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["message"], "1 target user removed from the group.", "{b}");
    let (s, b) = srv
        .call(
            reqwest::Method::DELETE,
            &format!("/api/target-groups/{g}/users"),
            &root,
            Some(json!({"targetUserResourceIds": ["nosuchuser00"]})),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert!(message(&b).contains("nosuchuser00"), "{b}");
    assert_eq!(
        check(&srv, &root, &c, &g, "one removed").await,
        sorted(&[&users[0], &users[3]])
    );

    // Deleting a user takes it out of every group; deleting in bulk too.
    let (s, b) = srv
        .delete(
            &format!("/api/target-users/{}", users[3]),
            &root,
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        check(&srv, &root, &c, &g, "a member deleted").await,
        sorted(&[&users[0]])
    );
    check(&srv, &root, &c, &h, "a member deleted").await;
    let (s, b) = srv
        .call(
            reqwest::Method::DELETE,
            "/api/target-users/bulk-delete",
            &root,
            Some(json!({"items": [&users[0], &users[2]], "selectAll": false})),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(check(&srv, &root, &c, &g, "bulk delete").await.is_empty());
    assert_eq!(
        check(&srv, &root, &c, &h, "bulk delete").await,
        sorted(&[&users[1], &users[4]])
    );

    // A deleted user cannot join a group.
    let (s, b) = srv
        .put(
            "/api/target-groups/users",
            &root,
            json!({"targetUserResourceIds": [&users[0]], "targetGroupResourceIds": [&g]}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    assert!(message(&b).contains("deleted"), "{b}");

    // Deleting the group keeps its users.
    let (s, b) = srv
        .delete(&format!("/api/target-groups/{h}"), &root, &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = srv
        .get(
            &format!("/api/target-users/{}", users[1]),
            &root,
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["isDeleted"], false, "{b}");
}

async fn user_writes_and_filter(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Filter"}))
        .await;
    let other = srv
        .create_company(&root, None, json!({"name": "Elsewhere"}))
        .await;
    let a = create_group(&srv, &root, &c, "Alpha").await;
    let b_ = create_group(&srv, &root, &c, "Beta").await;
    let theirs = create_group(&srv, &root, &other, "Theirs").await;

    // Create with groups; a group of another company is a 404 and creates nothing.
    let u1 = user(
        &srv,
        &root,
        &c,
        "one@f.test",
        json!({"targetGroupResourceIds": [&a]}),
    )
    .await;
    let u2 = user(
        &srv,
        &root,
        &c,
        "two@f.test",
        json!({"targetGroupResourceIds": [&a, &b_]}),
    )
    .await;
    let u3 = user(&srv, &root, &c, "three@f.test", json!({})).await;
    let (s, b) = srv
        .post(
            "/api/target-users",
            &root,
            json!({"email": "four@f.test", "targetGroupResourceIds": [&theirs]}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert!(message(&b).contains(&theirs), "{b}");
    let (_, b) = srv
        .post(
            "/api/target-users/search-email",
            &root,
            json!({"email": "four@f.test"}),
            &scope(&c),
        )
        .await;
    assert_eq!(b["data"]["totalNumberOfRecords"], 0, "nothing created: {b}");
    assert_eq!(
        check(&srv, &root, &c, &a, "created with groups").await,
        sorted(&[&u1, &u2])
    );

    // The TargetGroup filter: members of any group named; != is "not a member".
    let search = |op: &str, value: Value| {
        json!({"pageSize": 50, "orderBy": "Email", "ascending": true,
               "filter": {"filterGroups": [{"filterItems": [
                   {"fieldName": "TargetGroup", "operator": op, "value": value}]}]}})
    };
    for (op, value, want) in [
        ("Include", json!(b_.clone()), sorted(&[&u2])),
        ("Include", json!(format!("{a},{b_}")), sorted(&[&u1, &u2])),
        ("=", json!(&a), sorted(&[&u1, &u2])),
        ("!=", json!(&b_), sorted(&[&u1, &u3])),
        ("Contains", json!("ALP"), sorted(&[&u1, &u2])),
    ] {
        let (s, b) = srv
            .post(
                "/api/target-users/search",
                &root,
                search(op, value.clone()),
                &scope(&c),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{op} {value}: {b}");
        let mut got = crate::common::result_ids(&b);
        got.sort();
        assert_eq!(got, want, "{op} {value}");
    }

    // Update: a list sets the groups exactly; leaving it out keeps them; [] clears them.
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{u1}"),
            &root,
            json!({"targetGroupResourceIds": [&b_]}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(check(&srv, &root, &c, &a, "u1 moved").await, sorted(&[&u2]));
    assert_eq!(
        check(&srv, &root, &c, &b_, "u1 moved").await,
        sorted(&[&u1, &u2])
    );
    let (s, _) = srv
        .put(
            &format!("/api/target-users/{u1}"),
            &root,
            json!({"firstName": "Kept"}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        check(&srv, &root, &c, &b_, "groups kept").await,
        sorted(&[&u1, &u2])
    );
    let (s, _) = srv
        .put(
            &format!("/api/target-users/{u2}"),
            &root,
            json!({"targetGroupResourceIds": []}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        check(&srv, &root, &c, &b_, "u2 cleared").await,
        sorted(&[&u1])
    );
    assert!(check(&srv, &root, &c, &a, "u2 cleared").await.is_empty());

    // Rows and the user itself name the user's groups.
    let (s, b) = srv
        .get(&format!("/api/target-users/{u1}"), &root, &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["data"]["targetGroups"],
        json!([{"resourceId": b_, "name": "Beta"}]),
        "{b}"
    );
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &root,
            json!({"orderBy": "Email", "ascending": true}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let groups: Vec<Value> = b["data"]["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["targetGroups"].clone())
        .collect();
    // one@, three@, two@ by email: u1 in Beta, u3 and u2 in none.
    assert_eq!(
        groups,
        [
            json!([{"resourceId": b_, "name": "Beta"}]),
            json!([]),
            json!([])
        ],
        "{b}"
    );

    // A user's groups, and isSelected on the group search.
    let (s, b) = srv
        .post(
            &format!("/api/target-users/{u1}/groups"),
            &root,
            json!({}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(crate::common::result_ids(&b), vec![b_.clone()], "{b}");
    let (s, b) = srv
        .post(
            "/api/target-groups/search",
            &root,
            json!({"selectTargetUserResourceIds": &u1, "orderBy": "Name", "ascending": true}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let selected: Vec<(Value, Value)> = b["data"]["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["name"].clone(), r["isSelected"].clone()))
        .collect();
    assert_eq!(
        selected,
        [(json!("Alpha"), json!(false)), (json!("Beta"), json!(true))]
    );

    // Another company's user or group is not found in a membership change.
    let stranger = user(&srv, &root, &other, "x@o.test", json!({})).await;
    let (s, b) = srv
        .put(
            "/api/target-groups/users",
            &root,
            json!({"targetUserResourceIds": [&stranger], "targetGroupResourceIds": [&a]}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (s, b) = srv
        .put(
            "/api/target-groups/users",
            &root,
            json!({"targetUserResourceIds": [&u3], "targetGroupResourceIds": [&theirs]}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (s, b) = srv
        .put(
            "/api/target-groups/users",
            &root,
            json!({"targetGroupResourceIds": [&a]}),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&b).contains("selectAll"), "{b}");

    // A Company Admin works in its own company only.
    let (id, secret) = srv.create_client(&root, &c, "CompanyAdmin").await;
    let admin = srv.token(&id, &secret).await;
    let (s, b) = srv.get("/api/target-groups", &admin, &[]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"].as_array().map(Vec::len), Some(2), "{b}");
    let (s, _) = srv
        .get(&format!("/api/target-groups/{theirs}"), &admin, &[])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

both_engines!(
    crud_and_names,
    memberships_and_counts,
    user_writes_and_filter
);

/// Sends an export and returns the CSV text.
async fn csv(srv: &TestServer, token: &str, company: &str, path: &str, body: Value) -> String {
    let resp = srv
        .http
        .post(srv.url(path))
        .bearer_auth(token)
        .header(SCOPE, company)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.text().await.expect("text")
}

/// Which of `e0@x.test` .. `e4@x.test` a CSV holds.
fn emails_in(text: &str) -> Vec<&'static str> {
    ["e0", "e1", "e2", "e3", "e4"]
        .into_iter()
        .filter(|e| text.contains(&format!("{e}@x.test")))
        .collect()
}

async fn exports(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Exports"}))
        .await;
    let g = create_group(&srv, &root, &c, "Export Me").await;
    create_group(&srv, &root, &c, "Empty").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(user(&srv, &root, &c, &format!("e{i}@x.test"), json!({})).await);
    }
    let (s, b) = srv
        .put(
            "/api/target-groups/users",
            &root,
            json!({"targetUserResourceIds": [&ids[1], &ids[3]], "targetGroupResourceIds": [&g]}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let path = format!("/api/target-groups/{g}/users/export");
    let body =
        json!({"exportType": "CSV", "reportAllPages": true, "orderBy": "Email", "ascending": true});
    let text = csv(&srv, &root, &c, &path, body.clone()).await;
    assert_eq!(emails_in(&text), ["e1", "e3"], "{text}");
    let mut outside = body;
    outside["excludeGroupUsers"] = json!(true);
    let text = csv(&srv, &root, &c, &path, outside).await;
    assert_eq!(emails_in(&text), ["e0", "e2", "e4"], "{text}");
    let text = csv(
        &srv,
        &root,
        &c,
        "/api/target-groups/search/export",
        json!({"exportType": "CSV", "reportAllPages": true, "orderBy": "Name", "ascending": true}),
    )
    .await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two groups: {text}");
    assert!(
        lines[0].contains("Name") && lines[0].contains("Users"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("Empty,") && lines[2].starts_with("Export Me,"),
        "{text}"
    );
    assert!(lines[2].contains(",2,"), "two members: {text}");
}

both_engines!(exports);

/// An entry of a breakdown by its `status`, 0 when absent.
fn count_of(list: &Value, status: &str) -> i64 {
    list.as_array()
        .expect("a breakdown")
        .iter()
        .find(|e| e["status"] == status)
        .map_or(0, |e| e["count"].as_i64().expect("count"))
}

async fn count_detail(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(
            &root,
            None,
            json!({"name": "Counted", "preferredLanguageTypeResourceId": "tr"}),
        )
        .await;
    let g = create_group(&srv, &root, &c, "One").await;
    let h = create_group(&srv, &root, &c, "Two").await;
    let lone = create_group(&srv, &root, &c, "Elsewhere").await;
    // Four users: one in both groups (counted once), one inactive, one deleted, one outside.
    let both = user(&srv, &root, &c, "both@c.test",
        json!({"targetGroupResourceIds": [&g, &h], "phoneNumber": "+1555", "preferredLanguageId": "tr", "timeZoneId": "Europe/Istanbul"})).await;
    let idle = user(
        &srv,
        &root,
        &c,
        "idle@c.test",
        json!({"targetGroupResourceIds": [&h], "isActive": false, "preferredLanguageId": "en"}),
    )
    .await;
    let gone = user(
        &srv,
        &root,
        &c,
        "gone@c.test",
        json!({"targetGroupResourceIds": [&g]}),
    )
    .await;
    user(
        &srv,
        &root,
        &c,
        "out@c.test",
        json!({"targetGroupResourceIds": [&lone]}),
    )
    .await;
    let (s, b) = srv
        .delete(&format!("/api/target-users/{gone}"), &root, &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let _ = (both, idle);

    let (s, plain) = srv
        .post(
            "/api/target-groups/targetgroupusercountdetail",
            &root,
            json!([&g, &h]),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{plain}");
    let (s, ext) = srv
        .post("/api/target-groups/targetgroupusercountdetailext", &root,
              json!({"targetGroupResourceIds": [&g, &h], "scenarioResourceIds": ["x"], "sendUserPreferredLanguage": "Company"}),
              &scope(&c))
        .await;
    assert_eq!(s, StatusCode::OK, "{ext}");
    assert_eq!(plain["data"], ext["data"], "the two forms answer alike");
    let rows = plain["data"].as_array().expect("rows");
    let active = rows
        .iter()
        .find(|r| r["status"] == "Active")
        .expect("Active");
    let inactive = rows
        .iter()
        .find(|r| r["status"] == "Inactive")
        .expect("Inactive");
    assert_eq!(
        (active["count"].clone(), inactive["count"].clone()),
        (json!(1), json!(1)),
        "{plain}"
    );
    assert_eq!(count_of(&active["hasPhoneNumber"], "True"), 1, "{plain}");
    assert_eq!(count_of(&inactive["hasPhoneNumber"], "False"), 1, "{plain}");
    assert_eq!(
        count_of(&active["hasCompanyPreferredLanguage"], "True"),
        1,
        "{plain}"
    );
    assert_eq!(
        count_of(&inactive["hasCompanyPreferredLanguage"], "False"),
        1,
        "{plain}"
    );
    assert_eq!(
        count_of(&inactive["hasPreferredLanguage"], "True"),
        1,
        "{plain}"
    );
    assert_eq!(
        count_of(&active["timeZone"], "Europe/Istanbul"),
        1,
        "{plain}"
    );
    assert_eq!(
        count_of(&active["domainAllowList"], "Unverified"),
        1,
        "{plain}"
    );
    assert_eq!(active["targetGroupName"], "One, Two", "{plain}");
    assert_eq!(active["companyPreferredLanguage"], "Turkish", "{plain}");

    let (s, b) = srv
        .post(
            "/api/target-groups/targetgroupusercountdetail",
            &root,
            json!([]),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let (s, b) = srv
        .post(
            "/api/target-groups/targetgroupusercountdetail",
            &root,
            json!(["nosuchgroup0"]),
            &scope(&c),
        )
        .await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "NOT_FOUND");
}

both_engines!(count_detail);
