//! Every target-user endpoint, success and error cases, on both engines: create, read, update,
//! soft delete, bulk delete, search-email, by-resource-ids, count-summary, the per-company counts
//! in companies/search and license-check, and the bodies Keepnet's own UI sends.

use crate::common::tu::{self, assert_input_error, create_user, scope, search_all, U};
use crate::common::{Engine, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A server, the root Reseller's token and one customer company below it.
async fn setup(engine: Engine) -> Option<(TestServer, String, String)> {
    let srv = TestServer::start(engine).await?;
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Acme", "NumberOfUsers": 100}))
        .await;
    Some((srv, token, company))
}

async fn get_user(srv: &TestServer, token: &str, company: &str, rid: &str) -> (StatusCode, Value) {
    srv.get(&format!("/api/target-users/{rid}"), token, &scope(company))
        .await
}

async fn user_data(srv: &TestServer, token: &str, company: &str, rid: &str) -> Value {
    let (status, body) = get_user(srv, token, company, rid).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

async fn put_user(
    srv: &TestServer,
    token: &str,
    company: &str,
    rid: &str,
    body: Value,
) -> (StatusCode, Value) {
    srv.call(
        Method::PUT,
        &format!("/api/target-users/{rid}"),
        token,
        Some(body),
        &scope(company),
    )
    .await
}

async fn delete_user(
    srv: &TestServer,
    token: &str,
    company: &str,
    rid: &str,
) -> (StatusCode, Value) {
    srv.call(
        Method::DELETE,
        &format!("/api/target-users/{rid}"),
        token,
        None,
        &scope(company),
    )
    .await
}

async fn bulk_delete(
    srv: &TestServer,
    token: &str,
    company: &str,
    body: Value,
) -> (StatusCode, Value) {
    srv.call(
        Method::DELETE,
        "/api/target-users/bulk-delete",
        token,
        Some(body),
        &scope(company),
    )
    .await
}

async fn count_summary(srv: &TestServer, token: &str, company: &str) -> Value {
    let (status, body) = srv
        .get("/api/target-users/count-summary", token, &scope(company))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    body["data"].clone()
}

/// The companies/search row of `company` (searched from the root).
async fn company_row(srv: &TestServer, token: &str, company: &str) -> Value {
    let (status, body) = srv
        .post(
            "/api/companies/search",
            token,
            json!({"pageNumber": 1, "pageSize": 1000, "orderBy": "CreateTime", "ascending": false,
                   "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["companyResourceId"] == company)
        .unwrap_or_else(|| panic!("company {company} listed: {body}"))
        .clone()
}

async fn license_check(srv: &TestServer, token: &str, company: &str) -> Value {
    let (status, body) = srv
        .get(
            &format!("/api/companies/{company}/license-check"),
            token,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

fn search_row<'a>(rows: &'a [Value], rid: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["resourceId"] == rid)
        .unwrap_or_else(|| panic!("{rid} is listed"))
}

async fn create_validation(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let post = |body: Value| {
        let srv = &srv;
        let token = &token;
        let company = &company;
        async move {
            srv.post("/api/target-users", token, body, &scope(company))
                .await
        }
    };

    // email is required and must look like one
    let (s, b) = post(json!({"firstName": "No", "lastName": "Email"})).await;
    assert_input_error("missing email", s, &b, &["email"]);
    let (s, b) = post(json!({"email": "   "})).await;
    assert_input_error("blank email", s, &b, &["email"]);
    for bad in [
        "not-an-email",
        "a b@example.com",
        "a@example",
        "@example.com",
        "a@@example.com",
    ] {
        let (s, b) = post(json!({"email": bad})).await;
        assert_input_error(&format!("email {bad}"), s, &b, &["email", bad]);
    }
    // names longer than 256 characters; exactly 256 is fine (characters, not bytes)
    let (s, b) = post(json!({"email": "long@example.com", "firstName": "x".repeat(257)})).await;
    assert_input_error("firstName 257", s, &b, &["firstName", "256"]);
    let (s, b) = post(json!({"email": "long@example.com", "lastName": "ø".repeat(257)})).await;
    assert_input_error("lastName 257", s, &b, &["lastName", "256"]);
    let (s, b) = post(json!({"email": "long@example.com", "department": "d".repeat(257)})).await;
    assert_input_error("department 257", s, &b, &["department", "256"]);
    let long = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "long@example.com", "firstName": "ø".repeat(256)}),
    )
    .await;
    assert_eq!(
        user_data(&srv, &token, &company, &long).await["firstName"],
        "ø".repeat(256)
    );
    // email at most 320 characters, phone at most 64
    let local = "l".repeat(64);
    let domain = format!("{}.example.com", "d".repeat(320 - 64 - 1 - 12));
    let e320 = format!("{local}@{domain}");
    assert_eq!(e320.chars().count(), 320);
    let (s, b) = post(json!({"email": format!("x{e320}")})).await;
    assert_input_error("email 321", s, &b, &["email"]);
    let (s, b) = post(json!({"email": "phone@example.com", "phoneNumber": "1".repeat(65)})).await;
    assert_input_error("phone 65", s, &b, &["phoneNumber", "64"]);
    // bad priority
    let (s, b) = post(json!({"email": "prio@example.com", "priority": "Urgent"})).await;
    assert_input_error("priority Urgent", s, &b, &["priority", "Urgent"]);
    let (s, b) = post(json!({"email": "prio@example.com", "priority": "6"})).await;
    assert_input_error("priority 6", s, &b, &["priority"]);
    // a group the company does not have is not found, and nothing is created
    let (s, b) =
        post(json!({"email": "grp@example.com", "targetGroupResourceIds": ["AbCdEfGhIjKl"]})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert!(
        b["message"]
            .as_str()
            .is_some_and(|m| m.contains("AbCdEfGhIjKl")),
        "{b}"
    );
    // a bad managerEmail
    let (s, b) = post(json!({"email": "mgr@example.com", "managerEmail": "boss"})).await;
    assert_input_error("managerEmail", s, &b, &["managerEmail"]);
    // nothing was created by the failed calls
    let rows = search_all(&srv, &token, &company, json!({})).await;
    assert_eq!(tu::rids(&rows), vec![long.clone()]);
    create_user(
        &srv,
        &token,
        &company,
        json!({"email": e320, "phoneNumber": "1".repeat(64)}),
    )
    .await;

    // priority in any case, or its number
    for (given, stored) in [
        ("veryhigh", "VeryHigh"),
        ("LOW", "Low"),
        ("High", "High"),
        ("1", "VeryLow"),
        ("mEdIuM", "Medium"),
    ] {
        let rid = create_user(
            &srv,
            &token,
            &company,
            json!({"email": format!("p-{given}@example.com"), "priority": given}),
        )
        .await;
        assert_eq!(
            user_data(&srv, &token, &company, &rid).await["priority"],
            stored,
            "priority {given}"
        );
    }

    // defaults, isActive false, phone spaces stripped, trimmed email, PascalCase keys
    let d = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "  defaults@example.com "}),
    )
    .await;
    let data = user_data(&srv, &token, &company, &d).await;
    assert_eq!(data["email"], "defaults@example.com");
    assert_eq!(data["priority"], "Medium");
    assert_eq!(data["isActive"], true);
    assert_eq!(data["isDeleted"], false);
    assert_eq!(data["customFieldValues"], json!([]));
    let inactive = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "off@example.com", "isActive": false, "phoneNumber": "+90 555 123 45 67",
               "targetGroupResourceIds": []}),
    )
    .await;
    let data = user_data(&srv, &token, &company, &inactive).await;
    assert_eq!(data["isActive"], false);
    assert_eq!(data["phoneNumber"], "+905551234567");
    let pascal = create_user(
        &srv,
        &token,
        &company,
        json!({"Email": "Pascal@Example.com", "FirstName": "Blaise", "LastName": "Pascal",
               "Department": "Maths", "Priority": "High", "IsActive": true,
               "ManagerFirstName": "Étienne", "ManagerLastName": "Pascal", "ManagerEmail": "etienne@example.com",
               "TimeZoneId": "Europe/Paris", "PreferredLanguageId": "fr"}),
    )
    .await;
    let data = user_data(&srv, &token, &company, &pascal).await;
    assert_eq!(data["email"], "Pascal@Example.com");
    assert_eq!(data["firstName"], "Blaise");
    assert_eq!(data["lastName"], "Pascal");
    assert_eq!(data["department"], "Maths");
    assert_eq!(data["priority"], "High");
    assert_eq!(data["managerFullName"], "Étienne Pascal");
    assert_eq!(data["managerEmail"], "etienne@example.com");
    assert_eq!(data["timeZoneId"], "Europe/Paris");
    // Stored as the language's resource id, whatever spelling was sent (docs/api.md).
    assert_eq!(data["preferredLanguageId"], "LangFrench00");
    let rows = search_all(&srv, &token, &company, json!({})).await;
    assert_eq!(search_row(&rows, &inactive)["status"], "Inactive");
    assert_eq!(search_row(&rows, &pascal)["status"], "Active");

    // duplicate email in any case, also non-ASCII: 409 naming the email; nothing created
    let before = search_all(&srv, &token, &company, json!({})).await.len();
    for dup in [
        "pascal@example.com",
        "PASCAL@EXAMPLE.COM",
        " Pascal@example.COM ",
    ] {
        let (s, b) = post(json!({"email": dup})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{dup}: {b}");
        assert_eq!(b["status"], "CONFLICT");
        assert!(
            tu::error_text(&b)
                .to_lowercase()
                .contains("pascal@example.com"),
            "the conflict names the email: {b}"
        );
        assert!(
            tu::error_text(&b).contains(&format!("resourceId {pascal}")),
            "the conflict names the user that has the email: {b}"
        );
    }
    create_user(&srv, &token, &company, json!({"email": "zoë@example.com"})).await;
    let (s, b) = post(json!({"email": "ZOË@EXAMPLE.COM"})).await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "non-ASCII email in another case: {b}"
    );
    assert!(tu::error_text(&b).contains("ZOË@EXAMPLE.COM"), "{b}");
    assert_eq!(
        search_all(&srv, &token, &company, json!({})).await.len(),
        before + 1
    );
    // the same email in another company is fine
    let other = srv
        .create_company(&token, None, json!({"Name": "Other"}))
        .await;
    create_user(&srv, &token, &other, json!({"email": "pascal@example.com"})).await;

    // a Reseller's write must name the company
    let (s, b) = srv
        .post(
            "/api/target-users",
            &token,
            json!({"email": "where@example.com"}),
            &[],
        )
        .await;
    assert_input_error("write without scope", s, &b, &["X-KEEPNET-Company-Id"]);
}

async fn get_update_delete(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let a = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "alice@example.com", "firstName": "Alice", "lastName": "Liddell",
               "department": "Wonderland", "phoneNumber": "+44 1865 000", "priority": "High",
               "managerFirstName": "Lewis", "managerLastName": "Carroll", "managerEmail": "lewis@example.com",
               "timeZoneId": "Europe/London", "preferredLanguageId": "en"}),
    )
    .await;
    let b = create_user(&srv, &token, &company, json!({"email": "bob@example.com"})).await;

    // GET: every field; unknown ids are 404
    let data = user_data(&srv, &token, &company, &a).await;
    assert_eq!(data["resourceId"], a.as_str());
    assert_eq!(data["email"], "alice@example.com");
    assert_eq!(data["firstName"], "Alice");
    assert_eq!(data["lastName"], "Liddell");
    assert_eq!(data["department"], "Wonderland");
    assert_eq!(data["phoneNumber"], "+441865000");
    assert_eq!(data["priority"], "High");
    assert_eq!(data["isActive"], true);
    assert_eq!(data["isDeleted"], false);
    assert_eq!(data["managerFirstName"], "Lewis");
    assert_eq!(data["managerLastName"], "Carroll");
    assert_eq!(data["managerFullName"], "Lewis Carroll");
    assert_eq!(data["managerEmail"], "lewis@example.com");
    assert_eq!(data["timeZoneId"], "Europe/London");
    assert_eq!(data["preferredLanguageId"], "LangEnglish0");
    assert!(data["createTime"].is_string());
    for unknown in ["AAAAAAAAAAAA", "nope", "zzzzzzzzzzzz"] {
        let (s, body) = get_user(&srv, &token, &company, unknown).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{unknown}: {body}");
        assert_eq!(body["status"], "NOT_FOUND");
    }

    // PUT: the fields sent change, the others are kept
    let (s, body) = put_user(
        &srv,
        &token,
        &company,
        &a,
        json!({"firstName": "Alicia", "priority": "verylow"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["resourceId"], a.as_str());
    assert_eq!(body["message"], "Target user updated.", "{body}");
    let after = user_data(&srv, &token, &company, &a).await;
    assert_eq!(after["firstName"], "Alicia");
    assert_eq!(after["priority"], "VeryLow");
    for kept in [
        "email",
        "lastName",
        "department",
        "phoneNumber",
        "isActive",
        "managerFirstName",
        "managerLastName",
        "managerEmail",
        "managerFullName",
        "timeZoneId",
        "preferredLanguageId",
        "createTime",
    ] {
        assert_eq!(after[kept], data[kept], "{kept} is kept by a partial PUT");
    }
    // the filters and sorting see the new values (and no longer the old ones)
    let (s, body) = put_user(
        &srv,
        &token,
        &company,
        &a,
        json!({"managerFirstName": "Charles", "managerLastName": "Dodgson", "managerEmail": "CD@Example.com"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    for (field, value, found) in [
        ("FirstName", "ALICIA", true),
        ("FirstName", "alice", false),
        ("ManagerFullName", "charles dodgson", true),
        ("ManagerFullName", "Lewis Carroll", false),
        ("ManagerEmail", "cd@example.com", true),
        ("Priority", "VeryLow", true),
        ("Priority", "High", false),
    ] {
        let rows = search_all(
            &srv,
            &token,
            &company,
            json!({"filter": {"FilterGroups": [{"FilterItems": [{"FieldName": field, "Operator": "=", "Value": value}]}]}}),
        )
        .await;
        assert_eq!(
            tu::rids(&rows).contains(&a),
            found,
            "{field} = {value} after PUT"
        );
    }
    let before_clear = user_data(&srv, &token, &company, &a).await;
    assert_eq!(before_clear["managerFullName"], "Charles Dodgson");
    assert_eq!(before_clear["managerEmail"], "CD@Example.com");
    // an empty string clears an optional field; PascalCase keys work on PUT too
    let (s, body) = put_user(
        &srv,
        &token,
        &company,
        &a,
        json!({"Department": "", "PhoneNumber": "+44 20 7946 0000"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let after = user_data(&srv, &token, &company, &a).await;
    assert!(
        after["department"].is_null() || after["department"] == "",
        "{after}"
    );
    assert_eq!(after["phoneNumber"], "+442079460000");
    assert_eq!(after["firstName"], "Alicia");
    // invalid values are refused and change nothing
    let snapshot = user_data(&srv, &token, &company, &a).await;
    for (bad, needle) in [
        (
            json!({"priority": "Urgent", "firstName": "Changed"}),
            "priority",
        ),
        (json!({"email": "not-an-email"}), "email"),
        (json!({"lastName": "x".repeat(257)}), "lastName"),
        (json!({"email": ""}), "email"),
        (json!({"managerEmail": "nobody"}), "managerEmail"),
    ] {
        let (s, body) = put_user(&srv, &token, &company, &a, bad.clone()).await;
        assert_input_error(&format!("PUT {bad}"), s, &body, &[needle]);
        assert_eq!(user_data(&srv, &token, &company, &a).await, snapshot);
    }
    // another live user's email, any case: 409 naming it; unchanged
    let (s, body) = put_user(
        &srv,
        &token,
        &company,
        &a,
        json!({"email": "BOB@example.com"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["status"], "CONFLICT");
    assert!(
        tu::error_text(&body)
            .to_lowercase()
            .contains("bob@example.com"),
        "{body}"
    );
    assert!(
        tu::error_text(&body).contains(&format!("resourceId {b}")),
        "names the user that has the email: {body}"
    );
    assert_eq!(user_data(&srv, &token, &company, &a).await, snapshot);
    // its own email in another case is fine
    let (s, body) = put_user(
        &srv,
        &token,
        &company,
        &a,
        json!({"email": "Alice@Example.com"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        user_data(&srv, &token, &company, &a).await["email"],
        "Alice@Example.com"
    );
    // unknown user
    let (s, body) = put_user(
        &srv,
        &token,
        &company,
        "AAAAAAAAAAAA",
        json!({"firstName": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    // status flip
    let (s, body) = put_user(&srv, &token, &company, &b, json!({"isActive": false})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        user_data(&srv, &token, &company, &b).await["isActive"],
        false
    );

    // DELETE is soft: still readable, still listed, status kept
    let (s, body) = delete_user(&srv, &token, &company, &b).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["resourceId"], b.as_str());
    // Keepnet's UI reloads its table after a delete only when `message` is not empty.
    assert_eq!(body["message"], "Target user deleted.", "{body}");
    let gone = user_data(&srv, &token, &company, &b).await;
    assert_eq!(gone["isDeleted"], true);
    assert_eq!(
        gone["isActive"], false,
        "a deleted user keeps its last status"
    );
    assert_eq!(gone["email"], "bob@example.com");
    let rows = search_all(&srv, &token, &company, json!({})).await;
    let row = search_row(&rows, &b);
    assert_eq!(row["isDeleted"], true);
    assert_eq!(row["status"], "Inactive");
    assert_eq!(row["isEditable"], false);
    assert_eq!(search_row(&rows, &a)["isEditable"], true);
    // deleting twice: 409; unknown: 404; editing a deleted user: 409
    let (s, body) = delete_user(&srv, &token, &company, &b).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["status"], "CONFLICT");
    let (s, body) = delete_user(&srv, &token, &company, "AAAAAAAAAAAA").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, body) = put_user(&srv, &token, &company, &b, json!({"firstName": "Zombie"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert_eq!(user_data(&srv, &token, &company, &b).await, gone);
    // an active user deleted keeps Active
    let c = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "carol@example.com"}),
    )
    .await;
    let (s, _) = delete_user(&srv, &token, &company, &c).await;
    assert_eq!(s, StatusCode::OK);
    let rows = search_all(&srv, &token, &company, json!({})).await;
    assert_eq!(search_row(&rows, &c)["status"], "Active");
    assert_eq!(search_row(&rows, &c)["isDeleted"], true);

    // the deleted user's email can be used again (any case); both rows stay listed
    let b2 = create_user(&srv, &token, &company, json!({"email": "Bob@Example.com"})).await;
    assert_ne!(b2, b);
    // ... and a live user may now take it over by PUT? No: b2 holds it now.
    let (s, _) = put_user(
        &srv,
        &token,
        &company,
        &a,
        json!({"email": "bob@example.com"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let rows = search_all(&srv, &token, &company, json!({})).await;
    assert_eq!(rows.len(), 4);
    assert_eq!(search_row(&rows, &b2)["isDeleted"], false);
    // a live user may take the email of a deleted one by PUT
    let (s, body) = put_user(
        &srv,
        &token,
        &company,
        &a,
        json!({"email": "carol@example.com"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // a Reseller's PUT/DELETE without a company scope is refused
    let (s, body) = srv
        .call(
            Method::PUT,
            &format!("/api/target-users/{a}"),
            &token,
            Some(json!({"firstName": "x"})),
            &[],
        )
        .await;
    assert_input_error("PUT without scope", s, &body, &["X-KEEPNET-Company-Id"]);
    let (s, body) = srv
        .call(
            Method::DELETE,
            &format!("/api/target-users/{a}"),
            &token,
            None,
            &[],
        )
        .await;
    assert_input_error("DELETE without scope", s, &body, &["X-KEEPNET-Company-Id"]);
    assert_eq!(
        user_data(&srv, &token, &company, &a).await["isDeleted"],
        false
    );
}

async fn bulk_delete_items_and_select_all(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let mut ids = Vec::new();
    for (i, (dept, active)) in [
        ("Sales", true),
        ("sales", false),
        ("IT", true),
        ("Sales Ops", true),
        ("HR", true),
        ("SALES", true),
        ("IT", false),
        ("Legal", true),
    ]
    .iter()
    .enumerate()
    {
        ids.push(
            create_user(
                &srv,
                &token,
                &company,
                json!({"email": format!("u{i}@example.com"), "department": dept, "isActive": active}),
            )
            .await,
        );
    }
    let deleted = |rows: &[Value]| -> Vec<String> {
        rows.iter()
            .filter(|r| r["isDeleted"] == true)
            .map(|r| r["resourceId"].as_str().expect("rid").to_owned())
            .collect()
    };

    // nothing to delete: 400
    for body in [
        json!({}),
        json!({"items": []}),
        json!({"items": null, "selectAll": false}),
    ] {
        let (s, b) = bulk_delete(&srv, &token, &company, body.clone()).await;
        assert_input_error(&format!("bulk {body}"), s, &b, &["items"]);
    }
    let (s, b) = srv
        .call(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &token,
            None,
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "empty body: {b}");
    // without a company scope: 400
    let (s, b) = srv
        .call(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &token,
            Some(json!({"items": [ids[0]]})),
            &[],
        )
        .await;
    assert_input_error("bulk without scope", s, &b, &["X-KEEPNET-Company-Id"]);
    // a bad filter with selectAll: 400, nothing deleted
    let (s, b) = bulk_delete(
        &srv,
        &token,
        &company,
        json!({"selectAll": true, "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Shoe", "Operator": "=", "Value": "x"}]}]}}),
    )
    .await;
    assert_input_error("bulk bad filter", s, &b, &["Shoe"]);
    assert!(deleted(&search_all(&srv, &token, &company, json!({})).await).is_empty());

    // items: known ids are deleted, unknown ignored
    let (s, b) = bulk_delete(
        &srv,
        &token,
        &company,
        json!({"items": [ids[0], "AAAAAAAAAAAA", ids[2]], "selectAll": false, "excludedItems": []}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "SUCCESS");
    assert_eq!(b["data"]["deletedCount"], 2);
    let rows = search_all(&srv, &token, &company, json!({})).await;
    let mut got = deleted(&rows);
    got.sort();
    let mut want = vec![ids[0].clone(), ids[2].clone()];
    want.sort();
    assert_eq!(got, want);
    // already deleted ones are not counted again; PascalCase keys
    let (s, b) = bulk_delete(&srv, &token, &company, json!({"Items": [ids[0], ids[1]]})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 1);
    assert_eq!(b["message"], "1 target user deleted.", "{b}");
    let rows = search_all(&srv, &token, &company, json!({})).await;
    assert_eq!(
        search_row(&rows, &ids[1])["status"],
        "Inactive",
        "status kept"
    );
    assert_eq!(deleted(&rows).len(), 3);

    // selectAll + excludedItems + filter: the live users matching, except the excluded
    let (s, b) = bulk_delete(
        &srv,
        &token,
        &company,
        json!({"items": [], "selectAll": true, "excludedItems": [ids[5]],
               "filter": {"Condition": "AND", "SearchInputTextValue": "",
                          "FilterGroups": [{"Condition": "AND", "FilterItems": [{"FieldName": "Department", "Operator": "Contains", "Value": "SALES"}], "FilterGroups": []},
                                           {"Condition": "OR", "FilterItems": [], "FilterGroups": []}]}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Sales (0, deleted), sales (1, deleted), Sales Ops (3), SALES (5, excluded): only 3
    assert_eq!(b["data"]["deletedCount"], 1);
    let rows = search_all(&srv, &token, &company, json!({})).await;
    let mut got = deleted(&rows);
    got.sort();
    let mut want = vec![
        ids[0].clone(),
        ids[1].clone(),
        ids[2].clone(),
        ids[3].clone(),
    ];
    want.sort();
    assert_eq!(got, want);

    // selectAll with the Keepnet inactive filter
    let (s, b) = bulk_delete(
        &srv,
        &token,
        &company,
        json!({"selectAll": true, "excludedItems": [],
               "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Status", "Operator": "Include", "Value": "0"}]}]}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 1, "only u6 is inactive and live");
    let rows = search_all(&srv, &token, &company, json!({})).await;
    assert_eq!(search_row(&rows, &ids[6])["isDeleted"], true);

    // selectAll without a filter: every remaining live user except the excluded
    let (s, b) = bulk_delete(
        &srv,
        &token,
        &company,
        json!({"selectAll": true, "excludedItems": [ids[7]], "filter": null}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 2, "u4 and u5");
    let rows = search_all(&srv, &token, &company, json!({})).await;
    assert_eq!(rows.len(), 8, "soft delete keeps every row");
    let live: Vec<&Value> = rows.iter().filter(|r| r["isDeleted"] == false).collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["resourceId"], ids[7].as_str());

    let summary = count_summary(&srv, &token, &company).await;
    assert_eq!(summary["totalNumberOfActiveUsers"], 1);
    assert_eq!(summary["totalNumberOfInActiveUsers"], 0);
    assert_eq!(summary["totalNumberOfDeletedUsers"], 7);
}

async fn search_email(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let mut made = Vec::new();
    for (email, first) in [
        ("zed@example.com", "Zed"),
        ("Amy@EXAMPLE.com", "Amy"),
        ("bo@other.org", "Bo"),
        ("cy@example.net", "Cy"),
        ("dee.example@corp.io", "Dee"),
    ] {
        made.push((
            email,
            create_user(
                &srv,
                &token,
                &company,
                json!({"email": email, "firstName": first}),
            )
            .await,
        ));
    }
    let search = |body: Value| {
        let (srv, token, company) = (&srv, &token, &company);
        async move {
            srv.post(
                "/api/target-users/search-email",
                token,
                body,
                &scope(company),
            )
            .await
        }
    };
    let (s, b) = search(json!({"email": "EXAMPLE", "pageNumber": 1, "pageSize": 10})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 4);
    let emails: Vec<&str> = b["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["email"].as_str().expect("email"))
        .collect();
    // Email ascending by default, compared case-insensitively
    assert_eq!(
        emails,
        vec![
            "Amy@EXAMPLE.com",
            "cy@example.net",
            "dee.example@corp.io",
            "zed@example.com"
        ]
    );
    // rows are TargetUserDto
    let first = &b["data"]["results"][0];
    assert_eq!(first["firstName"], "Amy");
    assert_eq!(first["isActive"], true);
    assert_eq!(first["priority"], "Medium");
    // paging and order options
    let (s, b) =
        search(json!({"email": "example", "pageNumber": 2, "pageSize": 3, "ascending": false}))
            .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 4);
    assert_eq!(b["data"]["totalNumberOfPages"], 2);
    let rows = b["data"]["results"].as_array().expect("results");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["email"], "Amy@EXAMPLE.com");
    // nothing matches; an empty text matches everyone; bad paging is refused
    let (s, b) = search(json!({"email": "nobody"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 0);
    let (s, b) = search(json!({"email": ""})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 5);
    let (s, b) = search(json!({"email": "x", "pageSize": 1001})).await;
    assert_input_error("search-email pageSize", s, &b, &["pageSize"]);
    // LIKE wildcards are literal
    let (s, b) = search(json!({"email": "_"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["data"]["totalNumberOfRecords"], 0,
        "'_' is not a wildcard: {b}"
    );
    let (s, b) = search(json!({"email": "%"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["data"]["totalNumberOfRecords"], 0,
        "'%' is not a wildcard: {b}"
    );
}

async fn by_resource_ids(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let u1 = create_user(&srv, &token, &company, json!({"email": "one@example.com", "firstName": "One", "lastName": "Uno", "phoneNumber": "+1 555"})).await;
    let u2 = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "two@example.com", "isActive": false}),
    )
    .await;
    let u3 = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "three@example.com"}),
    )
    .await;
    let u4 = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "four@example.com", "isActive": false}),
    )
    .await;
    let (s, _) = delete_user(&srv, &token, &company, &u4).await;
    assert_eq!(s, StatusCode::OK);

    let ask = [
        u3.as_str(),
        "AAAAAAAAAAAA",
        u1.as_str(),
        u4.as_str(),
        u2.as_str(),
    ];
    let (s, b) = srv
        .post(
            "/api/target-users/by-resource-ids",
            &token,
            json!({"targetUserResourceIds": ask}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let rows = b["data"].as_array().expect("list");
    let got: Vec<&str> = rows
        .iter()
        .map(|r| r["resourceId"].as_str().expect("rid"))
        .collect();
    assert_eq!(
        got,
        vec![u3.as_str(), u1.as_str(), u2.as_str()],
        "live users, in the order asked"
    );
    let one = &rows[1];
    assert_eq!(one["email"], "one@example.com");
    assert_eq!(one["firstName"], "One");
    assert_eq!(one["lastName"], "Uno");
    assert_eq!(one["phoneNumber"], "+1555");
    assert_eq!(one["isDeleted"], false);
    assert_eq!(
        one["status"],
        json!(1),
        "status is the integer 1 for active"
    );
    assert_eq!(
        rows[2]["status"],
        json!(0),
        "status is the integer 0 for inactive"
    );
    assert!(rows.iter().all(|r| r["id"].is_i64()));

    let (s, b) = srv
        .post(
            "/api/target-users/include-deleted/by-resource-ids",
            &token,
            json!({"TargetUserResourceIds": ask}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let rows = b["data"].as_array().expect("list");
    let got: Vec<&str> = rows
        .iter()
        .map(|r| r["resourceId"].as_str().expect("rid"))
        .collect();
    assert_eq!(
        got,
        vec![u3.as_str(), u1.as_str(), u4.as_str(), u2.as_str()]
    );
    assert_eq!(rows[2]["isDeleted"], true);
    assert_eq!(
        rows[2]["status"],
        json!(0),
        "a deleted user keeps its status"
    );
    // internal ids grow with creation order
    let id = |rid: &str| {
        rows.iter().find(|r| r["resourceId"] == rid).expect("row")["id"]
            .as_i64()
            .expect("id")
    };
    assert!(id(&u1) < id(&u2) && id(&u2) < id(&u3) && id(&u3) < id(&u4));

    for path in [
        "/api/target-users/by-resource-ids",
        "/api/target-users/include-deleted/by-resource-ids",
    ] {
        for body in [json!({"targetUserResourceIds": []}), json!({})] {
            let (s, b) = srv.post(path, &token, body, &scope(&company)).await;
            assert_eq!(s, StatusCode::OK, "{path}: {b}");
            assert_eq!(b["data"], json!([]));
        }
    }
}

async fn count_summary_and_company_counts(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let now = chrono::Utc::now().timestamp_millis();
    let store = tu::open_store(&srv).await;
    let cid = tu::company_internal_id(&store, &company).await;
    // (months back, active, deleted afterwards) for back-dated users
    let plan: &[(i64, bool, bool)] = &[
        (13, true, false),
        (12, false, false),
        (12, true, true),
        (11, true, false),
        (11, false, true),
        (7, true, false),
        (7, true, false),
        (7, false, false),
        (3, true, true),
        (1, true, false),
        (1, false, false),
        (0, true, false),
    ];
    let mut rids = Vec::new();
    for (i, &(back, active, _)) in plan.iter().enumerate() {
        let t = tu::month_start(tu::months_back(now, back)) + (i as i64) * 3_600_000;
        let fields = rollcall_store::TargetUserFields {
            email: format!("back{i}@example.com"),
            priority: 3,
            is_active: active,
            ..Default::default()
        };
        rids.push(
            store
                .insert_target_user(
                    cid,
                    &fields,
                    t,
                    &rollcall_store::UserLinks::default(),
                    &rollcall_store::Actor::system(),
                )
                .await
                .expect("insert")
                .resource_id,
        );
    }
    for (i, &(_, _, del)) in plan.iter().enumerate() {
        if del {
            let (s, b) = delete_user(&srv, &token, &company, &rids[i]).await;
            assert_eq!(s, StatusCode::OK, "{b}");
        }
    }
    // users created now through the API: 2 active, 1 inactive, 1 of them deleted
    let n1 = create_user(&srv, &token, &company, json!({"email": "now1@example.com"})).await;
    create_user(&srv, &token, &company, json!({"email": "now2@example.com"})).await;
    create_user(
        &srv,
        &token,
        &company,
        json!({"email": "now3@example.com", "isActive": false}),
    )
    .await;
    let (s, _) = delete_user(&srv, &token, &company, &n1).await;
    assert_eq!(s, StatusCode::OK);

    let summary = count_summary(&srv, &token, &company).await;
    // active not deleted: 13, 11, 7, 7, 1, 0 back-dated + now2 = 7
    assert_eq!(summary["totalNumberOfActiveUsers"], 7, "{summary}");
    // inactive not deleted: 12, 7, 1 back-dated + now3 = 4
    assert_eq!(summary["totalNumberOfInActiveUsers"], 4, "{summary}");
    // deleted: 12, 11, 3 + now1 = 4
    assert_eq!(summary["totalNumberOfDeletedUsers"], 4, "{summary}");
    let months = summary["monthlyActiveUsers"].as_array().expect("months");
    assert_eq!(months.len(), 12, "{summary}");
    let expect_count = |back: i64| -> i64 {
        plan.iter().filter(|p| p.0 == back).count() as i64 + if back == 0 { 3 } else { 0 }
    };
    for (i, m) in months.iter().enumerate() {
        let back = 11 - i as i64;
        let month = tu::months_back(now, back);
        assert_eq!(
            m["period"],
            tu::month_text(month),
            "oldest first: {summary}"
        );
        // No zone designator (CONTRACT.md ruling): the UI reads it in local time.
        let text = m["periodStart"].as_str().expect("periodStart");
        assert!(!text.ends_with('Z') && !text.contains('+'), "{text}");
        let start = tu::ms(&format!("{text}Z"));
        assert_eq!(start, tu::month_start(month), "periodStart of {month}");
        assert_eq!(
            m["count"],
            expect_count(back),
            "count of {month}: {summary}"
        );
    }

    // the same numbers on the company row and the licence check
    let row = company_row(&srv, &token, &company).await;
    assert_eq!(row["targetUserCount"], 7, "{row}");
    assert_eq!(row["inactiveTargetUserCount"], 4, "{row}");
    assert_eq!(row["deletedTargetUserCount"], 4, "{row}");
    assert_eq!(
        row["monthlyActiveUserCount"], 4,
        "users added this month, whatever their status: {row}"
    );
    // MonthlyActiveUser in a companies filter picks the month monthlyActiveUserCount reports
    for back in [0, 1, 7, 11, 12] {
        let month = tu::month_text(tu::months_back(now, back));
        let (st, b) = srv
            .post(
                "/api/companies/search",
                &token,
                json!({"pageSize": 100, "filter": {"FilterGroups": [{"FilterItems": [
                    {"FieldName": "MonthlyActiveUser", "Operator": "=", "Value": month},
                    {"FieldName": "CompanyResourceId", "Operator": "=", "Value": company}]}]}}),
                &[],
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        let want = plan.iter().filter(|p| p.0 == back).count() + if back == 0 { 3 } else { 0 };
        assert_eq!(
            b["data"]["results"][0]["monthlyActiveUserCount"], want,
            "monthlyActiveUserCount for {month}: {b}"
        );
    }
    let lc = license_check(&srv, &token, &company).await;
    assert_eq!(lc["activeUserCount"], 7, "{lc}");
    assert_eq!(lc["totalUserCount"], 11, "{lc}");
    assert_eq!(lc["isLicenseExceeded"], false, "{lc}");
    assert_eq!(lc["isLimited"], true, "{lc}");
    assert_eq!(lc["licenseLimit"], 100, "{lc}");

    // a status flip moves one user between the totals, not between months
    let (s, b) = put_user(&srv, &token, &company, &rids[5], json!({"isActive": false})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let again = count_summary(&srv, &token, &company).await;
    assert_eq!(again["totalNumberOfActiveUsers"], 6);
    assert_eq!(again["totalNumberOfInActiveUsers"], 5);
    assert_eq!(again["monthlyActiveUsers"], summary["monthlyActiveUsers"]);
    let row = company_row(&srv, &token, &company).await;
    assert_eq!(row["targetUserCount"], 6);
    assert_eq!(row["inactiveTargetUserCount"], 5);

    // a fresh company: zeros and 12 empty months
    let empty = srv
        .create_company(&token, None, json!({"Name": "Empty"}))
        .await;
    let s = count_summary(&srv, &token, &empty).await;
    assert_eq!(s["totalNumberOfActiveUsers"], 0);
    assert_eq!(s["totalNumberOfInActiveUsers"], 0);
    assert_eq!(s["totalNumberOfDeletedUsers"], 0);
    let months = s["monthlyActiveUsers"].as_array().expect("months");
    assert_eq!(months.len(), 12);
    assert!(months.iter().all(|m| m["count"] == 0));
    assert_eq!(months[11]["period"], tu::month_text(tu::month_num(now)));

    // reads without a scope use the token's own company (the root here)
    let root = srv.root_company.clone();
    create_user(
        &srv,
        &token,
        &root,
        json!({"email": "rootuser@example.com"}),
    )
    .await;
    let (st, b) = srv
        .get("/api/target-users/count-summary", &token, &[])
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfActiveUsers"], 1, "{b}");
    let (st, b) = srv
        .post("/api/target-users/search", &token, json!({}), &[])
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1);
    assert_eq!(b["data"]["results"][0]["email"], "rootuser@example.com");
}

async fn licence_exceeded_filter(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let over = srv
        .create_company(&token, None, json!({"Name": "Over", "NumberOfUsers": 2}))
        .await;
    let at = srv
        .create_company(&token, None, json!({"Name": "AtLimit", "NumberOfUsers": 2}))
        .await;
    let unlimited = srv
        .create_company(
            &token,
            None,
            json!({"Name": "Unlimited", "NumberOfUsers": 1, "IsNumberOfUsersLimited": false}),
        )
        .await;
    let shrunk = srv
        .create_company(&token, None, json!({"Name": "Shrunk", "NumberOfUsers": 1}))
        .await;

    let add = |company: String, n: usize, active: bool, tag: &'static str| {
        let (srv, token) = (&srv, &token);
        async move {
            let mut v = Vec::new();
            for i in 0..n {
                v.push(
                    create_user(
                        srv,
                        token,
                        &company,
                        json!({"email": format!("{tag}{i}@example.com"), "isActive": active}),
                    )
                    .await,
                );
            }
            v
        }
    };
    add(over.clone(), 3, true, "a").await;
    add(at.clone(), 2, true, "a").await;
    add(at.clone(), 3, false, "i").await;
    let at_del = add(at.clone(), 2, true, "d").await;
    for rid in &at_del {
        let (s, _) = delete_user(&srv, &token, &at, rid).await;
        assert_eq!(s, StatusCode::OK);
    }
    add(unlimited.clone(), 5, true, "a").await;
    let shrunk_users = add(shrunk.clone(), 2, true, "a").await;
    let (s, _) = delete_user(&srv, &token, &shrunk, &shrunk_users[0]).await;
    assert_eq!(s, StatusCode::OK);

    let companies = |exceeded: bool| {
        let (srv, token) = (&srv, &token);
        async move {
            let (s, b) = srv
                .post(
                    "/api/companies/search",
                    token,
                    json!({"pageNumber": 1, "pageSize": 100, "orderBy": "CreateTime", "ascending": true,
                           "filter": {"Condition": "AND", "SearchInputTextValue": "",
                                      "FilterGroups": [{"Condition": "AND", "FilterItems": [], "FilterGroups": []},
                                                       {"Condition": "OR", "FilterItems": [], "FilterGroups": []}]},
                           "isClustered": false, "isTargetUserCountExceededLimit": exceeded}),
                    &[],
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            b["data"].clone()
        }
    };
    let names = |data: &Value| -> Vec<String> {
        data["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["companyName"].as_str().expect("name").to_owned())
            .collect()
    };
    let data = companies(true).await;
    assert_eq!(names(&data), vec!["Over"], "{data}");
    assert_eq!(data["limitExceededCompanyCount"], 1);
    assert_eq!(data["totalNumberOfRecords"], 1);
    let data = companies(false).await;
    assert_eq!(names(&data), vec!["Over", "AtLimit", "Unlimited", "Shrunk"]);
    assert_eq!(data["limitExceededCompanyCount"], 1);
    let row = |name: &str| {
        data["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|r| r["companyName"] == name)
            .expect("row")
            .clone()
    };
    assert_eq!(row("AtLimit")["targetUserCount"], 2);
    assert_eq!(row("AtLimit")["inactiveTargetUserCount"], 3);
    assert_eq!(row("AtLimit")["deletedTargetUserCount"], 2);
    assert_eq!(row("AtLimit")["monthlyActiveUserCount"], 7);
    assert_eq!(row("Unlimited")["targetUserCount"], 5);
    assert_eq!(row("Shrunk")["targetUserCount"], 1);
    assert_eq!(row("Shrunk")["deletedTargetUserCount"], 1);

    // the counts are filterable and sortable on the companies list
    let (s, b) = srv
        .post(
            "/api/companies/search",
            &token,
            json!({"pageSize": 100, "orderBy": "TargetUserCount", "ascending": false}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        names(&b["data"]),
        vec!["Unlimited", "Over", "AtLimit", "Shrunk"]
    );
    let (s, b) = srv
        .post(
            "/api/companies/search",
            &token,
            json!({"pageSize": 100, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "TargetUserCount", "Operator": ">", "Value": "2"}]}]}, "orderBy": "CompanyName", "ascending": true}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(names(&b["data"]), vec!["Over", "Unlimited"]);
    for (company, active, total, exceeded) in [
        (&over, 3, 3, true),
        (&at, 2, 5, false),
        (&unlimited, 5, 5, false),
        (&shrunk, 1, 1, false),
    ] {
        let lc = license_check(&srv, &token, company).await;
        assert_eq!(lc["activeUserCount"], active, "{lc}");
        assert_eq!(lc["totalUserCount"], total, "{lc}");
        assert_eq!(lc["isLicenseExceeded"], exceeded, "{lc}");
    }

    // one more active user pushes AtLimit over; deactivating it brings it back
    let extra = add(at.clone(), 1, true, "x").await;
    let data = companies(true).await;
    assert_eq!(names(&data), vec!["Over", "AtLimit"]);
    assert_eq!(data["limitExceededCompanyCount"], 2);
    assert_eq!(
        license_check(&srv, &token, &at).await["isLicenseExceeded"],
        true
    );
    let (s, b) = put_user(&srv, &token, &at, &extra[0], json!({"isActive": false})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let data = companies(true).await;
    assert_eq!(names(&data), vec!["Over"]);
    assert_eq!(data["limitExceededCompanyCount"], 1);
    // bulk-deleting Over's users clears it too
    let (s, b) = bulk_delete(
        &srv,
        &token,
        &over,
        json!({"selectAll": true, "filter": null}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 3);
    let data = companies(true).await;
    assert!(names(&data).is_empty(), "{data}");
    assert_eq!(data["limitExceededCompanyCount"], 0);
    assert_eq!(
        license_check(&srv, &token, &over).await["isLicenseExceeded"],
        false
    );
}

async fn keepnet_ui_bodies(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let mut users: Vec<U> = tu::dataset();
    tu::seed(&srv, &token, &company, &mut users).await;
    let all: Vec<&U> = users.iter().collect();
    let default_order = tu::sorted_rids(&all, "CreateTime", false);

    // People.vue's default payload, with the summary-card filter "active users"
    let ui = json!({"pageNumber": 1, "pageSize": 1000, "orderBy": "CreateTime", "ascending": false,
        "filter": {"Condition": "AND", "SearchInputTextValue": "",
                   "FilterGroups": [{"Condition": "AND", "FilterItems": [
                                        {"FieldName": "Status", "Operator": "Include", "Value": "1"},
                                        {"FieldName": "IsDeleted", "Operator": "Contains", "Value": false}],
                                     "FilterGroups": []},
                                    {"Condition": "OR", "FilterItems": [], "FilterGroups": []}]}});
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &token,
            ui,
            &[("X-IR-COMPANY-ID", company.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let expected: Vec<&U> = users.iter().filter(|u| u.active && !u.deleted).collect();
    let rows = b["data"]["results"].as_array().expect("results").clone();
    assert_eq!(
        tu::rids(&rows),
        tu::sorted_rids(&expected, "CreateTime", false)
    );
    // the row shape the UI reads
    let u = &users[0];
    let row = search_row(&rows, &u.resource_id);
    assert_eq!(row["email"], u.email.as_str());
    assert_eq!(row["firstName"], u.first.as_str());
    assert_eq!(row["lastName"], u.last.as_str());
    assert_eq!(row["department"], u.department.as_str());
    assert_eq!(row["priority"], "Medium");
    assert_eq!(row["status"], "Active");
    assert_eq!(row["phoneNumber"], u.phone.as_str());
    assert_eq!(row["timeZone"], u.time_zone.as_str());
    // Rows name the language, as Keepnet's UI matches it (docs/api.md).
    assert_eq!(
        row["preferredLanguage"],
        rollcall_store::catalog::language_display(&u.language)
    );
    assert_ne!(row["preferredLanguage"], u.language.as_str());
    assert_eq!(row["managerFullName"], "Grace Hopper");
    assert_eq!(row["managerEmail"], "grace@corp.io");
    assert_eq!(row["isDeleted"], false);
    assert_eq!(row["isEditable"], true);
    assert_eq!(row["customFieldValues"], json!([]));
    assert_eq!(
        tu::ms(row["createTime"].as_str().expect("createTime")),
        u.create_time
    );

    // the UI's free-text search: one Contains item per column in the OR group
    let text = json!({"pageNumber": 1, "pageSize": 1000, "orderBy": "", "ascending": false,
        "filter": {"Condition": "AND", "SearchInputTextValue": "",
                   "FilterGroups": [{"Condition": "AND", "FilterItems": [], "FilterGroups": []},
                                    {"Condition": "OR", "FilterItems": [
                                        {"FieldName": "FirstName", "Operator": "Contains", "Value": "ZOË"},
                                        {"FieldName": "LastName", "Operator": "Contains", "Value": "ZOË"},
                                        {"FieldName": "Email", "Operator": "Contains", "Value": "ZOË"},
                                        {"FieldName": "Department", "Operator": "Contains", "Value": "ZOË"}],
                                     "FilterGroups": []}]}});
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &token,
            text,
            &[("x-ir-company-id", company.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let expected: Vec<&U> = users
        .iter()
        .filter(|u| {
            [&u.first, &u.last, &u.email, &u.department]
                .iter()
                .any(|f| f.to_lowercase().contains("zoë"))
        })
        .collect();
    assert!(expected.len() >= 3);
    let rows = b["data"]["results"].as_array().expect("results").clone();
    assert_eq!(
        tu::rids(&rows),
        tu::sorted_rids(&expected, "CreateTime", false)
    );

    // filter null, orderBy "" (default CreateTime, descending)
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &token,
            json!({"filter": null, "orderBy": "", "pageNumber": 1, "pageSize": 1000}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        tu::rids(b["data"]["results"].as_array().expect("results")),
        default_order
    );
    assert_eq!(b["data"]["totalNumberOfRecords"], users.len());

    // the docs' minimal body
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &token,
            json!({"pageNumber": 1, "pageSize": 20}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let d = &b["data"];
    assert_eq!(d["pageNumber"], 1);
    assert_eq!(d["pageSize"], 20);
    assert_eq!(d["totalNumberOfRecords"], users.len());
    assert_eq!(d["totalNumberOfPages"], users.len().div_ceil(20));
    assert_eq!(
        tu::rids(d["results"].as_array().expect("results")),
        default_order[..20].to_vec()
    );

    // an empty body (no Content-Type either): page 1 of 10, default order
    let (s, b) = srv
        .call(
            Method::POST,
            "/api/target-users/search",
            &token,
            None,
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let d = &b["data"];
    assert_eq!(d["pageNumber"], 1);
    assert_eq!(d["pageSize"], 10);
    assert_eq!(d["totalNumberOfRecords"], users.len());
    assert_eq!(
        tu::rids(d["results"].as_array().expect("results")),
        default_order[..10].to_vec()
    );
    // `{}` too, and the last page
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &token,
            json!({"pageNumber": 4, "pageSize": 10}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        tu::rids(b["data"]["results"].as_array().expect("results")),
        default_order[30..].to_vec()
    );
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &token,
            json!({"pageNumber": 99, "pageSize": 10}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["results"], json!([]));
    assert_eq!(b["data"]["totalNumberOfRecords"], users.len());

    // the summary-card filters as the UI sends them, by their count-summary numbers
    let summary = count_summary(&srv, &token, &company).await;
    let card = |items: Value| {
        json!({"orderBy": "", "filter": {"Condition": "AND", "SearchInputTextValue": "",
        "FilterGroups": [{"Condition": "AND", "FilterItems": items, "FilterGroups": []},
                         {"Condition": "OR", "FilterItems": [], "FilterGroups": []}]}})
    };
    let active = search_all(
        &srv,
        &token,
        &company,
        card(json!([
        {"FieldName": "status", "Operator": "Include", "Value": "1"},
        {"FieldName": "IsDeleted", "Operator": "Contains", "Value": false}])),
    )
    .await;
    assert_eq!(summary["totalNumberOfActiveUsers"], active.len());
    let inactive = search_all(
        &srv,
        &token,
        &company,
        card(json!([
        {"FieldName": "status", "Operator": "Include", "Value": "0"},
        {"FieldName": "IsDeleted", "Operator": "Contains", "Value": false}])),
    )
    .await;
    assert_eq!(summary["totalNumberOfInActiveUsers"], inactive.len());
    let deleted = search_all(
        &srv,
        &token,
        &company,
        card(json!([
        {"FieldName": "IsDeleted", "Operator": "Contains", "Value": true}])),
    )
    .await;
    assert_eq!(summary["totalNumberOfDeletedUsers"], deleted.len());
    let months = summary["monthlyActiveUsers"].as_array().expect("months");
    for m in months {
        let period = m["period"].as_str().expect("period");
        let rows = search_all(
            &srv,
            &token,
            &company,
            card(json!([
            {"FieldName": "MonthlyActiveUser", "Operator": "=", "Value": period}])),
        )
        .await;
        assert_eq!(m["count"], rows.len(), "month {period}");
        let want = users
            .iter()
            .filter(|u| tu::month_text(u.month()) == period)
            .count();
        assert_eq!(rows.len(), want, "month {period}");
    }
    assert!(months.iter().any(|m| m["count"].as_i64() > Some(0)));
}

async fn paging_limits(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    for i in 0..5 {
        create_user(
            &srv,
            &token,
            &company,
            json!({"email": format!("p{i}@example.com")}),
        )
        .await;
    }
    for (body, needle) in [
        (json!({"pageSize": 1001}), "pageSize"),
        (json!({"pageSize": 0}), "pageSize"),
        (json!({"pageSize": -5}), "pageSize"),
        (json!({"pageNumber": 0}), "pageNumber"),
        (json!({"pageNumber": -1, "pageSize": 10}), "pageNumber"),
        (json!({"orderBy": "Shoe"}), "Shoe"),
    ] {
        let (s, b) = srv
            .post(
                "/api/target-users/search",
                &token,
                body.clone(),
                &scope(&company),
            )
            .await;
        assert_input_error(&format!("search {body}"), s, &b, &[needle]);
    }
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &token,
            json!({"pageSize": 1000}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &token,
            json!({"pageSize": 2, "pageNumber": 3}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfPages"], 3);
    assert_eq!(b["data"]["results"].as_array().expect("results").len(), 1);
}

/// Concurrent writes: one winner per email, one winner per delete, and counters that still
/// match the rows.
async fn concurrent_writes(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let h = scope(&company);
    // the same email, eight ways, at once: exactly one is created
    let racers = [
        "race@x.io",
        "RACE@x.io",
        "Race@X.io",
        "race@X.IO",
        "rAce@x.io",
        "RACE@X.IO",
        "race@x.Io",
        "raCE@x.io",
    ];
    let results = futures::future::join_all(
        racers
            .iter()
            .map(|e| srv.post("/api/target-users", &token, json!({"email": e}), &h)),
    )
    .await;
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let conflicts = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflicts), (1, 7), "{results:?}");

    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(
            create_user(
                &srv,
                &token,
                &company,
                json!({"email": format!("c{i}@x.io"), "isActive": i % 3 != 0}),
            )
            .await,
        );
    }
    // the same user deleted four times at once: one success
    let results =
        futures::future::join_all((0..4).map(|_| delete_user(&srv, &token, &company, &ids[0])))
            .await;
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let conflicts = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflicts), (1, 3), "{results:?}");

    // a mix of flips, deletes and bulk deletes on overlapping users
    let mut calls = Vec::new();
    for (i, id) in ids.iter().enumerate().skip(1) {
        calls.push(put_user(
            &srv,
            &token,
            &company,
            id,
            json!({"isActive": i % 2 == 0}),
        ));
    }
    let mut deletes = Vec::new();
    for id in ids.iter().skip(4).step_by(2) {
        deletes.push(delete_user(&srv, &token, &company, id));
    }
    let bulk1 = bulk_delete(
        &srv,
        &token,
        &company,
        json!({"items": [ids[5], ids[6], ids[7]]}),
    );
    let bulk2 = bulk_delete(
        &srv,
        &token,
        &company,
        json!({"selectAll": true, "excludedItems": [ids[1]],
               "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Status", "Operator": "Include", "Value": "0"}]}]}}),
    );
    let (puts, dels, b1, b2) = tokio::join!(
        futures::future::join_all(calls),
        futures::future::join_all(deletes),
        bulk1,
        bulk2
    );
    for (s, b) in puts.iter().chain(dels.iter()) {
        assert!(
            *s == StatusCode::OK || *s == StatusCode::CONFLICT,
            "a racing write ends in 200 or 409: {s} {b}"
        );
    }
    assert_eq!(b1.0, StatusCode::OK, "{}", b1.1);
    assert_eq!(b2.0, StatusCode::OK, "{}", b2.1);

    // the counters agree with the rows
    let rows = search_all(&srv, &token, &company, json!({})).await;
    let count = |active: bool, deleted: bool| {
        rows.iter()
            .filter(|r| {
                r["isDeleted"] == deleted && (deleted || (r["status"] == "Active") == active)
            })
            .count()
    };
    let summary = count_summary(&srv, &token, &company).await;
    assert_eq!(
        summary["totalNumberOfActiveUsers"],
        count(true, false),
        "{summary}"
    );
    assert_eq!(
        summary["totalNumberOfInActiveUsers"],
        count(false, false),
        "{summary}"
    );
    assert_eq!(
        summary["totalNumberOfDeletedUsers"],
        count(false, true),
        "{summary}"
    );
    assert_eq!(
        summary["monthlyActiveUsers"][11]["count"],
        rows.len(),
        "{summary}"
    );
    let row = company_row(&srv, &token, &company).await;
    assert_eq!(row["targetUserCount"], count(true, false));
    assert_eq!(row["inactiveTargetUserCount"], count(false, false));
    assert_eq!(row["deletedTargetUserCount"], count(false, true));
    assert_eq!(row["monthlyActiveUserCount"], rows.len());
    // and the deletions the bulk calls report add up
    let deleted_by_calls = 1
        + dels.iter().filter(|(s, _)| *s == StatusCode::OK).count() as i64
        + b1.1["data"]["deletedCount"].as_i64().unwrap_or(-100)
        + b2.1["data"]["deletedCount"].as_i64().unwrap_or(-100);
    assert_eq!(deleted_by_calls, count(false, true) as i64);
}

async fn restore(srv: &TestServer, token: &str, company: &str, rid: &str) -> (StatusCode, Value) {
    srv.call(
        Method::POST,
        &format!("/api/target-users/{rid}/restore"),
        token,
        None,
        &scope(company),
    )
    .await
}

/// The counts of `count-summary` that a delete and a restore move.
fn counts(summary: &Value) -> [i64; 3] {
    [
        "totalNumberOfActiveUsers",
        "totalNumberOfInActiveUsers",
        "totalNumberOfDeletedUsers",
    ]
    .map(|k| {
        summary[k]
            .as_i64()
            .unwrap_or_else(|| panic!("{k}: {summary}"))
    })
}

/// `POST /api/target-users/{id}/restore` (rollcall's own, docs/api.md): a deleted user comes
/// back as it was and the counters follow; a live user is left as it is; an email that a live
/// user holds now refuses the restore and names that user.
async fn restore_deleted_users(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let on = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "on@example.com", "department": "Ops"}),
    )
    .await;
    let off = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "off@example.com", "isActive": false}),
    )
    .await;
    let before = counts(&count_summary(&srv, &token, &company).await);
    assert_eq!(before, [1, 1, 0]);
    for rid in [&on, &off] {
        let (status, body) = delete_user(&srv, &token, &company, rid).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(
        counts(&count_summary(&srv, &token, &company).await),
        [0, 0, 2]
    );

    // Each comes back with its status and fields; the counters are as before the deletes.
    for (rid, active) in [(&on, true), (&off, false)] {
        let (code, body) = restore(&srv, &token, &company, rid).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["resourceId"], **rid, "{body}");
        assert_eq!(body["data"]["isDeleted"], false, "{body}");
        assert_eq!(body["data"]["isActive"], active, "{body}");
    }
    assert_eq!(
        user_data(&srv, &token, &company, &on).await["department"],
        "Ops"
    );
    assert_eq!(counts(&count_summary(&srv, &token, &company).await), before);
    let row = company_row(&srv, &token, &company).await;
    assert_eq!(row["targetUserCount"], 1, "{row}");
    assert_eq!(row["deletedTargetUserCount"], 0, "{row}");

    // Restoring a live user changes nothing, and answers it as GET does, with its groups.
    let (s, b) = srv
        .post(
            "/api/target-groups",
            &token,
            json!({"name": "Pilots"}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let group = b["data"]["resourceId"]
        .as_str()
        .expect("group id")
        .to_owned();
    let (s, b) = put_user(
        &srv,
        &token,
        &company,
        &on,
        json!({"targetGroupResourceIds": [group]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (code, body) = restore(&srv, &token, &company, &on).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["targetGroups"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    assert_eq!(body["data"], user_data(&srv, &token, &company, &on).await);
    assert_eq!(counts(&count_summary(&srv, &token, &company).await), before);

    // A new user took the email while the old one was deleted: 409 naming it, nothing moves.
    let (status, body) = delete_user(&srv, &token, &company, &on).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let taken = create_user(&srv, &token, &company, json!({"email": "ON@example.com"})).await;
    let deleted = counts(&count_summary(&srv, &token, &company).await);
    let (code, body) = restore(&srv, &token, &company, &on).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["status"], "CONFLICT");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(&on) && message.contains(&taken), "{body}");
    assert_eq!(
        user_data(&srv, &token, &company, &on).await["isDeleted"],
        true
    );
    assert_eq!(
        counts(&count_summary(&srv, &token, &company).await),
        deleted
    );

    // Unknown ids, and users of companies out of reach, are not found.
    let (code, body) = restore(&srv, &token, &company, "NoSuchUser00").await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{body}");
    let other = srv
        .create_company(&token, None, json!({"Name": "Other"}))
        .await;
    let (code, body) = restore(&srv, &token, &other, &off).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{body}");
    srv.finish().await;
}

both_engines!(
    restore_deleted_users,
    concurrent_writes,
    create_validation,
    get_update_delete,
    bulk_delete_items_and_select_all,
    search_email,
    by_resource_ids,
    count_summary_and_company_counts,
    licence_exceeded_filter,
    keepnet_ui_bodies,
    paging_limits,
);
