//! Tenant isolation of the target-user API: two resellers with separate trees. Reseller A must
//! never read, search, count, fetch by id, update, delete or bulk-delete a user of B's customer,
//! whichever way it names the company (either header, `?companyId=`) or by guessing the user's
//! resource id under its own scope; B's user must be unchanged afterwards (checked with B's
//! token). A Company Admin sees only its own company's users.

use crate::common::tu::{create_user, scope, search_all};
use crate::common::{Engine, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct Trees {
    srv: TestServer,
    /// Reseller A's token, its company and its customers.
    tok_a: String,
    res_a: String,
    cust_a: String,
    cust_a2: String,
    user_a: String,
    user_a2: String,
    /// Reseller B's token, its company, its customer and that customer's users.
    tok_b: String,
    res_b: String,
    cust_b: String,
    users_b: Vec<String>,
    emails_b: Vec<String>,
}

async fn setup(engine: Engine) -> Option<Trees> {
    let srv = TestServer::start(engine).await?;
    let root = srv.root_token().await;
    let res_a = srv
        .create_company(&root, None, json!({"Name": "ResA"}))
        .await;
    let res_b = srv
        .create_company(&root, None, json!({"Name": "ResB"}))
        .await;
    let (ida, seca) = srv.create_client(&root, &res_a, "Reseller").await;
    let (idb, secb) = srv.create_client(&root, &res_b, "Reseller").await;
    let tok_a = srv.token(&ida, &seca).await;
    let tok_b = srv.token(&idb, &secb).await;
    let cust_a = srv
        .create_company(&tok_a, None, json!({"Name": "CustA", "NumberOfUsers": 10}))
        .await;
    let cust_a2 = srv
        .create_company(&tok_a, None, json!({"Name": "CustA2"}))
        .await;
    let cust_b = srv
        .create_company(&tok_b, None, json!({"Name": "CustB", "NumberOfUsers": 10}))
        .await;
    let user_a = create_user(
        &srv,
        &tok_a,
        &cust_a,
        json!({"email": "alice@a.example", "firstName": "Alice"}),
    )
    .await;
    let user_a2 = create_user(
        &srv,
        &tok_a,
        &cust_a2,
        json!({"email": "andy@a2.example", "firstName": "Andy"}),
    )
    .await;
    let emails_b: Vec<String> = ["bob@b.example", "bea@b.example", "bill@b.example"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut users_b = Vec::new();
    for (i, e) in emails_b.iter().enumerate() {
        users_b.push(
            create_user(
                &srv,
                &tok_b,
                &cust_b,
                json!({"email": e, "firstName": format!("B{i}"), "department": "Secret", "isActive": i != 2}),
            )
            .await,
        );
    }
    Some(Trees {
        srv,
        tok_a,
        res_a,
        cust_a,
        cust_a2,
        user_a,
        user_a2,
        tok_b,
        res_b,
        cust_b,
        users_b,
        emails_b,
    })
}

/// Everything B can see of its customer: each user, the list and the counts.
async fn b_snapshot(t: &Trees) -> Value {
    let mut users = Vec::new();
    for rid in &t.users_b {
        let (s, b) = t
            .srv
            .get(
                &format!("/api/target-users/{rid}"),
                &t.tok_b,
                &scope(&t.cust_b),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["data"]["isDeleted"], false, "{b}");
        users.push(b["data"].clone());
    }
    let list = search_all(&t.srv, &t.tok_b, &t.cust_b, json!({})).await;
    let (s, counts) = t
        .srv
        .get(
            "/api/target-users/count-summary",
            &t.tok_b,
            &scope(&t.cust_b),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{counts}");
    json!({"users": users, "list": list, "counts": counts["data"]})
}

/// Every target-user request A could make about B's first user, with the given extra headers
/// and query string.
fn attacks(t: &Trees, query: &str) -> Vec<(Method, String, Option<Value>)> {
    let u = &t.users_b[0];
    let filter_b = json!({"FilterGroups": [{"FilterItems": [{"FieldName": "Email", "Operator": "Contains", "Value": "b.example"}]}]});
    vec![
        (Method::GET, format!("/api/target-users/{u}{query}"), None),
        (
            Method::POST,
            format!("/api/target-users/search{query}"),
            Some(json!({"pageNumber": 1, "pageSize": 100})),
        ),
        (
            Method::POST,
            format!("/api/target-users/search{query}"),
            Some(json!({"filter": filter_b})),
        ),
        (
            Method::POST,
            format!("/api/target-users/search-email{query}"),
            Some(json!({"email": "b.example"})),
        ),
        (
            Method::GET,
            format!("/api/target-users/count-summary{query}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/target-users/by-resource-ids{query}"),
            Some(json!({"targetUserResourceIds": t.users_b})),
        ),
        (
            Method::POST,
            format!("/api/target-users/include-deleted/by-resource-ids{query}"),
            Some(json!({"targetUserResourceIds": t.users_b})),
        ),
        (
            Method::PUT,
            format!("/api/target-users/{u}{query}"),
            Some(json!({"firstName": "Pwned", "isActive": false, "email": "pwned@a.example"})),
        ),
        (
            Method::DELETE,
            format!("/api/target-users/{u}{query}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/target-users/bulk-delete{query}"),
            Some(json!({"items": t.users_b})),
        ),
        (
            Method::DELETE,
            format!("/api/target-users/bulk-delete{query}"),
            Some(json!({"selectAll": true, "excludedItems": [], "filter": filter_b})),
        ),
        (
            Method::DELETE,
            format!("/api/target-users/bulk-delete{query}"),
            Some(json!({"selectAll": true, "filter": null})),
        ),
        (
            Method::POST,
            format!("/api/target-users{query}"),
            Some(json!({"email": "planted@a.example"})),
        ),
    ]
}

/// Naming B's companies (by header, the UI's header or the query) is refused with 403 for every
/// endpoint, and changes nothing.
async fn other_tree_by_scope_is_forbidden(engine: Engine) {
    let Some(t) = setup(engine).await else {
        return;
    };
    let before = b_snapshot(&t).await;
    for target in [&t.cust_b, &t.res_b] {
        for how in [
            "X-KEEPNET-Company-Id",
            "X-IR-COMPANY-ID",
            "x-keepnet-company-id",
            "query",
        ] {
            let query = if how == "query" {
                format!("?companyId={target}")
            } else {
                String::new()
            };
            let headers: Vec<(&str, &str)> = if how == "query" {
                vec![]
            } else {
                vec![(how, target.as_str())]
            };
            for (method, path, body) in attacks(&t, &query) {
                let (s, b) = t
                    .srv
                    .call(method.clone(), &path, &t.tok_a, body, &headers)
                    .await;
                assert_eq!(
                    s,
                    StatusCode::FORBIDDEN,
                    "A: {method} {path} naming {target} by {how}: {b}"
                );
                assert_eq!(b["status"], "FORBIDDEN", "{b}");
                assert!(b["data"].is_null(), "no data leaks: {b}");
            }
        }
    }
    // an unknown company id is 404, a malformed one 400; neither reaches B's data
    for (bad, want) in [
        ("AAAAAAAAAAAA", StatusCode::NOT_FOUND),
        ("not-a-company", StatusCode::BAD_REQUEST),
    ] {
        let (s, b) = t
            .srv
            .get(
                &format!("/api/target-users/{}", t.users_b[0]),
                &t.tok_a,
                &[("X-KEEPNET-Company-Id", bad)],
            )
            .await;
        assert_eq!(s, want, "{bad}: {b}");
        assert!(b["data"].is_null(), "{b}");
    }
    // naming A's own customer and B's customer at once is a 400, not a way around the check
    let (s, b) = t
        .srv
        .call(
            Method::GET,
            &format!("/api/target-users/{}?companyId={}", t.users_b[0], t.cust_b),
            &t.tok_a,
            None,
            &[("X-KEEPNET-Company-Id", t.cust_a.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b_snapshot(&t).await, before, "B's customer is unchanged");
}

/// Guessing B's user ids under A's own scope finds nothing (404 / empty) and changes nothing.
async fn guessed_ids_under_own_scope(engine: Engine) {
    let Some(t) = setup(engine).await else {
        return;
    };
    let before = b_snapshot(&t).await;
    let ub = &t.users_b[0];
    // with A's customer as scope, and for reads also with no scope (A's own company)
    for headers in [
        vec![("X-KEEPNET-Company-Id", t.cust_a.as_str())],
        vec![("X-IR-COMPANY-ID", t.res_a.as_str())],
        vec![],
    ] {
        let (s, b) = t
            .srv
            .get(&format!("/api/target-users/{ub}"), &t.tok_a, &headers)
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "GET B's user under {headers:?}: {b}"
        );
        assert!(b["data"].is_null(), "{b}");
        for path in [
            "/api/target-users/by-resource-ids",
            "/api/target-users/include-deleted/by-resource-ids",
        ] {
            let (s, b) = t
                .srv
                .post(
                    path,
                    &t.tok_a,
                    json!({"targetUserResourceIds": t.users_b}),
                    &headers,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            assert_eq!(b["data"], json!([]), "{path} under {headers:?}");
        }
        let (s, b) = t
            .srv
            .post(
                "/api/target-users/search-email",
                &t.tok_a,
                json!({"email": "b.example"}),
                &headers,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["data"]["totalNumberOfRecords"], 0, "{b}");
        let (s, b) = t
            .srv
            .post(
                "/api/target-users/search",
                &t.tok_a,
                json!({"filter": {"FilterGroups": [{"Condition": "OR", "FilterItems": [
                    {"FieldName": "ResourceId", "Operator": "Include", "Value": t.users_b.join(",")},
                    {"FieldName": "Email", "Operator": "Contains", "Value": "b.example"},
                    {"FieldName": "Department", "Operator": "=", "Value": "Secret"}]}]},
                       "pageSize": 1000}),
                &headers,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["data"]["totalNumberOfRecords"], 0, "{b}");
        assert_eq!(b["data"]["results"], json!([]));
        let (s, b) = t
            .srv
            .get("/api/target-users/count-summary", &t.tok_a, &headers)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let total = b["data"]["totalNumberOfActiveUsers"].as_i64().unwrap_or(-1)
            + b["data"]["totalNumberOfInActiveUsers"]
                .as_i64()
                .unwrap_or(-1)
            + b["data"]["totalNumberOfDeletedUsers"]
                .as_i64()
                .unwrap_or(-1);
        let own = if headers.first().is_some_and(|h| h.1 == t.cust_a) {
            1
        } else {
            0
        };
        assert_eq!(total, own, "A's counts never include B's users: {b}");
    }
    // writes under A's customer
    let h = scope(&t.cust_a);
    let (s, b) = t
        .srv
        .call(
            Method::PUT,
            &format!("/api/target-users/{ub}"),
            &t.tok_a,
            Some(json!({"firstName": "Pwned", "isActive": false})),
            &h,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "PUT: {b}");
    let (s, b) = t
        .srv
        .call(
            Method::DELETE,
            &format!("/api/target-users/{ub}"),
            &t.tok_a,
            None,
            &h,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "DELETE: {b}");
    let (s, b) = t
        .srv
        .call(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &t.tok_a,
            Some(json!({"items": t.users_b})),
            &h,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 0, "bulk delete by B's ids: {b}");
    let (s, b) = t
        .srv
        .call(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &t.tok_a,
            Some(json!({"selectAll": true, "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Email", "Operator": "Contains", "Value": "b.example"}]}]}})),
            &h,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 0, "{b}");
    // A may reuse B's emails in its own customer: uniqueness is per company
    create_user(
        &t.srv,
        &t.tok_a,
        &t.cust_a,
        json!({"email": t.emails_b[0].to_uppercase()}),
    )
    .await;
    // A's own user is untouched by all this, and A can still manage it
    let (s, b) = t
        .srv
        .get(&format!("/api/target-users/{}", t.user_a), &t.tok_a, &h)
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["firstName"], "Alice");

    assert_eq!(b_snapshot(&t).await, before, "B's customer is unchanged");
    // and the other way round: B cannot see A's user
    let (s, _) = t
        .srv
        .get(
            &format!("/api/target-users/{}", t.user_a),
            &t.tok_b,
            &scope(&t.cust_b),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t
        .srv
        .get(
            &format!("/api/target-users/{}", t.user_a),
            &t.tok_b,
            &scope(&t.cust_a),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// A Company Admin of a customer sees and changes only its own company's users.
async fn company_admin_sees_only_its_company(engine: Engine) {
    let Some(t) = setup(engine).await else {
        return;
    };
    let before = b_snapshot(&t).await;
    let (id, secret) = t
        .srv
        .create_client(&t.tok_a, &t.cust_a, "Company Admin")
        .await;
    let admin = t.srv.token(&id, &secret).await;

    // reads without scope: its own company
    let (s, b) = t
        .srv
        .post(
            "/api/target-users/search",
            &admin,
            json!({"pageSize": 1000}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let emails: Vec<&str> = b["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["email"].as_str().expect("email"))
        .collect();
    assert_eq!(emails, vec!["alice@a.example"]);
    let (s, b) = t
        .srv
        .get("/api/target-users/count-summary", &admin, &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfActiveUsers"], 1);
    // naming its own company works
    let (s, b) = t
        .srv
        .get(
            &format!("/api/target-users/{}", t.user_a),
            &admin,
            &scope(&t.cust_a),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // writes without scope land in its own company
    let rid = create_user_no_scope(&t.srv, &admin, json!({"email": "admin-made@a.example"})).await;
    let (s, b) = t
        .srv
        .get(
            &format!("/api/target-users/{rid}"),
            &t.tok_a,
            &scope(&t.cust_a),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "created in CustA: {b}");
    let (s, b) = t
        .srv
        .call(
            Method::PUT,
            &format!("/api/target-users/{rid}"),
            &admin,
            Some(json!({"department": "Ops"})),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // other companies: its sibling, its reseller, B's customer, by scope -> 403
    for other in [&t.cust_a2, &t.res_a, &t.cust_b, &t.res_b] {
        for (method, path, body) in attacks(&t, "") {
            let (s, b) = t
                .srv
                .call(
                    method.clone(),
                    &path,
                    &admin,
                    body,
                    &[("X-KEEPNET-Company-Id", other.as_str())],
                )
                .await;
            assert_eq!(
                s,
                StatusCode::FORBIDDEN,
                "admin: {method} {path} in {other}: {b}"
            );
        }
    }
    // other companies' users by id under its own scope -> 404 / nothing
    for (user, owner_token, owner) in [
        (&t.user_a2, &t.tok_a, &t.cust_a2),
        (&t.users_b[1], &t.tok_b, &t.cust_b),
    ] {
        for method in [Method::GET, Method::DELETE] {
            let (s, b) = t
                .srv
                .call(
                    method.clone(),
                    &format!("/api/target-users/{user}"),
                    &admin,
                    None,
                    &[],
                )
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "admin {method} {user}: {b}");
        }
        let (s, b) = t
            .srv
            .call(
                Method::PUT,
                &format!("/api/target-users/{user}"),
                &admin,
                Some(json!({"firstName": "Pwned"})),
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "admin PUT {user}: {b}");
        let (s, b) = t
            .srv
            .call(
                Method::DELETE,
                "/api/target-users/bulk-delete",
                &admin,
                Some(json!({"items": [user]})),
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["data"]["deletedCount"], 0);
        let (s, b) = t
            .srv
            .post(
                "/api/target-users/include-deleted/by-resource-ids",
                &admin,
                json!({"targetUserResourceIds": [user]}),
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["data"], json!([]));
        let (s, b) = t
            .srv
            .get(
                &format!("/api/target-users/{user}"),
                owner_token,
                &scope(owner),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["data"]["isDeleted"], false);
        assert_ne!(b["data"]["firstName"], "Pwned");
    }
    // bulk delete of everything it can see removes only its own company's users
    let (s, b) = t
        .srv
        .call(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &admin,
            Some(json!({"selectAll": true, "filter": null})),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 2, "alice and admin-made: {b}");
    let (s, b) = t
        .srv
        .get(
            &format!("/api/target-users/{}", t.user_a2),
            &t.tok_a,
            &scope(&t.cust_a2),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["data"]["isDeleted"], false,
        "the sibling's user is untouched"
    );
    assert_eq!(b_snapshot(&t).await, before, "B's customer is unchanged");
}

async fn create_user_no_scope(srv: &TestServer, token: &str, body: Value) -> String {
    let (s, b) = srv.post("/api/target-users", token, body, &[]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["resourceId"].as_str().expect("rid").to_owned()
}

both_engines!(
    other_tree_by_scope_is_forbidden,
    guessed_ids_under_own_scope,
    company_admin_sees_only_its_company,
);
