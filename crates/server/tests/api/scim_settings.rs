//! `/api/scim` (issue #16, REFERENCE.md section I) through HTTP on both engines: creating an
//! integration (its token shown once, stored hashed), what a create checks, the search, detail
//! and export rows, rename, revoke and delete, the attribute list, roles and company scope.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::scim::{company, integration, scim, user};
use crate::common::{assert_error, message, Engine, TestServer, SCOPE};

async fn custom_field(srv: &TestServer, token: &str, c: &str, name: &str, ty: &str) -> String {
    let (s, b) = srv
        .post(
            "/api/custom-fields",
            token,
            json!({"name": name, "fieldDataType": ty}),
            &[(SCOPE, c)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["resourceId"].as_str().expect("id").to_owned()
}

async fn group(srv: &TestServer, token: &str, c: &str, name: &str) -> String {
    let (s, b) = srv
        .post(
            "/api/target-groups",
            token,
            json!({"name": name, "priority": "Medium"}),
            &[(SCOPE, c)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["resourceId"].as_str().expect("id").to_owned()
}

async fn rows(srv: &TestServer, token: &str, c: &str, body: Value) -> Vec<Value> {
    let (s, b) = srv
        .post("/api/scim/search", token, body, &[(SCOPE, c)])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["results"].as_array().expect("results").clone()
}

both_engines!(
    create_answers_a_working_token_once,
    create_checks_what_it_is_given,
    rows_show_groups_and_mappings,
    revoke_and_delete_end_tokens_at_once,
    roles_and_company_scope,
);

async fn create_answers_a_working_token_once(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Acme").await;
    let (s, b) = srv
        .post(
            "/api/scim",
            &root,
            json!({"name": "Entra ID SCIM", "groupResourceId": null, "fieldMappings": [], "syncPlatformGroup": true}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Keepnet's UI reads `response.data.data.token` (REFERENCE.md section I).
    let token = b["data"]["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("scim_") && token.len() == 45, "{token}");
    let id = b["data"]["resourceId"].as_str().expect("id").to_owned();
    assert_eq!(
        b["data"]["baseUrl"],
        json!(srv.url("/scim/v2")),
        "the base URL is the request's host when --public-url is not set"
    );
    assert!(message(&b).contains("not shown again"), "{b}");
    // The token works, and the detail never shows it again.
    let (s, b) = scim(&srv, Method::GET, "/Users", &token, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["totalResults"], 0);
    let (s, b) = srv
        .get(&format!("/api/scim/{id}"), &root, &[(SCOPE, c.as_str())])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["name"], "Entra ID SCIM");
    assert_eq!(b["data"]["syncPlatformGroup"], true);
    assert!(!b.to_string().contains(&token), "{b}");
    // Only its hash is stored.
    let pool = sqlx::AnyPool::connect(&srv.database_url())
        .await
        .expect("db");
    sqlx::any::install_default_drivers();
    let row: (String,) = sqlx::query_as("SELECT token_hash FROM scim_settings")
        .fetch_one(&pool)
        .await
        .expect("row");
    assert_eq!(row.0.len(), 64);
    assert!(!row.0.contains(&token[5..]));
    // A public URL setting names the base URL behind a proxy.
    let srv = srv
        .restart_with(|cfg| cfg.public_url = Some("https://rollcall.example.com".into()))
        .await;
    let root = srv.root_token().await;
    let (s, b) = srv
        .post(
            &format!("/api/scim/{id}/revoke"),
            &root,
            json!({}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["data"]["results"][0]["baseUrl"],
        "https://rollcall.example.com/scim/v2"
    );
}

async fn create_checks_what_it_is_given(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Acme").await;
    let other = company(&srv, &root, "Other").await;
    let field = custom_field(&srv, &root, &c, "Title", "String").await;
    let foreign_group = group(&srv, &root, &other, "Theirs").await;
    let post = |body: Value| {
        let srv = &srv;
        let root = &root;
        let c = c.clone();
        async move {
            srv.post("/api/scim", root, body, &[(SCOPE, c.as_str())])
                .await
        }
    };
    for (body, needle) in [
        (json!({}), "name is required"),
        (json!({"name": "   "}), "name is required"),
        (json!({"name": "x".repeat(31)}), "at most 30"),
        (
            json!({"name": "A", "groupBySCIMFieldResourceId": "nope"}),
            "not a SCIM attribute",
        ),
        (
            json!({"name": "A", "fieldMappings": [{"customFieldResourceId": "nope", "scimFieldResourceId": "cb26b875601f"}]}),
            "not a custom field of this company",
        ),
        (
            json!({"name": "A", "fieldMappings": [{"customFieldResourceId": field, "scimFieldResourceId": "zzz"}]}),
            "GET /api/scim/fields",
        ),
        (
            json!({"name": "A", "fieldMappings": [
                {"customFieldResourceId": field, "scimFieldResourceId": "cb26b875601f"},
                {"customFieldResourceId": field, "scimFieldResourceId": "2f1063492482"}]}),
            "mapped twice",
        ),
    ] {
        let (s, b) = post(body.clone()).await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
        assert!(message(&b).contains(needle), "{body}: {b}");
    }
    // A group of another company is not found here.
    let (s, b) = post(json!({"name": "A", "groupResourceId": foreign_group})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    // Names are unique in the company in any case; nothing was created by the refusals.
    let (s, b) = post(json!({"name": "Okta"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = post(json!({"name": "OKTA"})).await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    assert_eq!(rows(&srv, &root, &c, json!({})).await.len(), 1);
    // Another company may use the name.
    let (s, b) = srv
        .post(
            "/api/scim",
            &root,
            json!({"name": "Okta"}),
            &[(SCOPE, other.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn rows_show_groups_and_mappings(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Acme").await;
    let title = custom_field(&srv, &root, &c, "Job Title", "String").await;
    let number = custom_field(&srv, &root, &c, "Badge", "Number").await;
    let everyone = group(&srv, &root, &c, "Everyone").await;
    let (first, _) = integration(
        &srv,
        &root,
        &c,
        json!({"name": "Entra", "groupResourceId": everyone, "groupBySCIMFieldResourceId": "9fd0afec416c"}),
    )
    .await;
    let (second, _) = integration(
        &srv,
        &root,
        &c,
        json!({"name": "Okta", "groupBySCIMFieldResourceId": "cb26b875601f", "fieldMappings": [
            {"customFieldResourceId": title, "scimFieldResourceId": "cb26b875601f"},
            {"customFieldResourceId": number, "scimFieldResourceId": "2f1063492482"}]}),
    )
    .await;
    let all = rows(
        &srv,
        &root,
        &c,
        json!({"orderBy": "Name", "ascending": true}),
    )
    .await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0]["resourceId"], json!(first));
    assert_eq!(all[0]["groupName"], "Everyone");
    assert_eq!(all[0]["groupByCustomFieldName"], "Department");
    assert_eq!(all[1]["groupName"], Value::Null);
    assert_eq!(all[1]["groupByCustomFieldName"], "Job Title");
    let filtered = rows(
        &srv,
        &root,
        &c,
        json!({"filter": {"filterGroups": [{"filterItems": [{"fieldName": "Name", "operator": "Contains", "value": "okt"}]}]}}),
    )
    .await;
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0]["resourceId"], json!(second));
    let (s, b) = srv
        .get(
            &format!("/api/scim/{second}"),
            &root,
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut details: Vec<(String, String)> = b["data"]["mappingDetails"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            (
                d["scimPath"].as_str().unwrap_or("").to_owned(),
                d["customFieldName"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    details.sort();
    assert_eq!(
        details,
        vec![
            ("title".to_owned(), "Job Title".to_owned()),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
                    .to_owned(),
                "Badge".to_owned()
            ),
        ]
    );
    // Rename, and the attribute list with Keepnet's Department id.
    let (s, b) = srv
        .put(
            &format!("/api/scim/{second}"),
            &root,
            json!({"name": "Okta prod"}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["resourceId"], json!(second));
    let (s, b) = srv
        .put(
            &format!("/api/scim/{second}"),
            &root,
            json!({"name": "Entra"}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    let (s, b) = srv.get("/api/scim/fields", &root, &[]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let fields = b["data"]["fields"].as_array().expect("fields");
    assert!(fields.iter().any(|f| f["resourceId"] == "9fd0afec416c"
        && f["name"] == "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"));
    assert!(fields.len() >= 10, "{b}");
    // The export lists both, renamed.
    let resp = srv
        .http
        .post(srv.url("/api/scim/search/export"))
        .bearer_auth(&root)
        .header(SCOPE, c.as_str())
        .json(&json!({"exportType": "CSV", "reportAllPages": true}))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.expect("csv");
    assert!(
        csv.starts_with("\u{feff}Name,Group,Grouped By,Created,Resource Id")
            || csv.starts_with("Name,Group"),
        "{csv}"
    );
    assert!(csv.contains("Okta prod,,Job Title"), "{csv}");
    assert!(csv.contains("Entra,Everyone,Department"), "{csv}");
}

async fn revoke_and_delete_end_tokens_at_once(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Acme").await;
    let (id, old) = integration(&srv, &root, &c, json!({})).await;
    let (s, b) = scim(
        &srv,
        Method::POST,
        "/Users",
        &old,
        Some(user("ann@acme.test", "Ann", "Lee")),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = srv
        .post(
            &format!("/api/scim/{id}/revoke"),
            &root,
            json!({}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Keepnet's spec answers the new token as a one-row page.
    assert_eq!(b["data"]["totalNumberOfRecords"], 1);
    let new = b["data"]["results"][0]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(new, old);
    let (s, b) = scim(&srv, Method::GET, "/Users", &old, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    assert_eq!(
        b["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(b["status"], "401");
    let (s, b) = scim(&srv, Method::GET, "/Users", &new, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["totalResults"], 1);
    // Revoking in another company's scope is not found, and changes nothing.
    let other = company(&srv, &root, "Other").await;
    let (s, _) = srv
        .post(
            &format!("/api/scim/{id}/revoke"),
            &root,
            json!({}),
            &[(SCOPE, other.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = scim(&srv, Method::GET, "/Users", &new, None).await;
    assert_eq!(s, StatusCode::OK);
    // Delete: the token stops, the user stays.
    let (s, b) = srv
        .delete(&format!("/api/scim/{id}"), &root, &[(SCOPE, c.as_str())])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = scim(&srv, Method::GET, "/Users", &new, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            &root,
            json!({"pageSize": 10}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1);
    let (s, _) = srv
        .delete(&format!("/api/scim/{id}"), &root, &[(SCOPE, c.as_str())])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The audit trail names each step.
    let (s, b) = srv
        .post(
            "/api/audit-logs/search",
            &root,
            json!({"pageSize": 50, "filter": {"filterGroups": [{"filterItems": [
                {"fieldName": "EntityName", "operator": "=", "value": "SCIMIntegration"}]}]}}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let text = b["data"]["results"].to_string();
    for what in [
        "Created SCIM integration",
        "Revoked the token",
        "Deleted SCIM integration",
    ] {
        assert!(text.contains(what), "{what}: {text}");
    }
}

async fn roles_and_company_scope(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Acme").await;
    let other = company(&srv, &root, "Other").await;
    // A Company Admin manages its own company's integrations.
    let (admin_id, admin_secret) = srv.create_client(&root, &c, "CompanyAdmin").await;
    let admin = srv.token(&admin_id, &admin_secret).await;
    let (s, b) = srv
        .post("/api/scim", &admin, json!({"name": "Mine"}), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let token = b["data"]["token"].as_str().expect("token").to_owned();
    assert_eq!(rows(&srv, &admin, &c, json!({})).await.len(), 1);
    // ...and not another company's.
    let (s, _) = srv
        .post(
            "/api/scim",
            &admin,
            json!({"name": "Theirs"}),
            &[(SCOPE, other.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The Reseller sees it from above; the other company has none.
    assert_eq!(rows(&srv, &root, &c, json!({})).await.len(), 1);
    assert_eq!(rows(&srv, &root, &other, json!({})).await.len(), 0);
    // The integration's token is not an API token, and an API token is not a SCIM token.
    let (s, _) = srv.post("/api/scim/search", &token, json!({}), &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, b) = scim(&srv, Method::GET, "/Users", &admin, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
}
