//! SCIM rules a review of the first cut found missing (issue #16, docs/scim.md), through HTTP
//! on both engines: what a PATCH keeps that the user's SCIM form cannot show, userName
//! uniqueness, group-by groups another owner holds, and the customer's account privacy over a
//! token its reseller issued.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::scim::{company, create_user, integration, patch, scim, user, GROUP, USER};
use crate::common::{Engine, TestServer, SCOPE};

both_engines!(
    a_patch_keeps_what_the_scim_form_cannot_show,
    user_names_are_unique,
    group_by_leaves_other_owners_groups_alone,
    a_resellers_token_follows_the_customers_privacy,
);

fn group_names(user: &Value) -> Vec<String> {
    let mut names: Vec<String> = user["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["display"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

async fn a_patch_keeps_what_the_scim_form_cannot_show(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Acme").await;
    // Users are grouped by title, which is not mapped to a custom field, so never shown.
    let (_, t) = integration(
        &srv,
        &root,
        &c,
        json!({"groupBySCIMFieldResourceId": "cb26b875601f"}),
    )
    .await;
    let mut body = user("ann@acme.test", "Ann", "Lee");
    body["title"] = json!("Engineer");
    let ann = create_user(&srv, &t, body).await;
    let (_, b) = scim(&srv, Method::GET, &format!("/Users/{ann}"), &t, None).await;
    assert_eq!(group_names(&b), vec!["Engineer"], "{b}");
    assert!(b.get("title").is_none(), "{b}");
    // Entra ID disables with a PATCH that does not carry the title: the group stays.
    let off = patch(json!([{"op": "Replace", "path": "active", "value": "False"}]));
    let (s, b) = scim(&srv, Method::PATCH, &format!("/Users/{ann}"), &t, Some(off)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(group_names(&b), vec!["Engineer"], "{b}");
    // A PATCH that sets the title moves the user.
    let title = patch(json!([{"op": "replace", "path": "title", "value": "Manager"}]));
    let (s, b) = scim(
        &srv,
        Method::PATCH,
        &format!("/Users/{ann}"),
        &t,
        Some(title),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(group_names(&b), vec!["Manager"], "{b}");

    // A user made through the REST API with a manager who is not a user of the company keeps
    // that manager through a PATCH that does not touch it.
    let bo = srv
        .create_user(
            &root,
            &c,
            json!({"email": "bo@acme.test", "firstName": "Bo", "managerEmail": "boss@elsewhere.test",
                   "managerFirstName": "Big", "managerLastName": "Boss"}),
        )
        .await;
    let (_, b) = scim(&srv, Method::GET, &format!("/Users/{bo}"), &t, None).await;
    assert_eq!(
        b["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"],
        json!({"displayName": "Big Boss"}),
        "{b}"
    );
    let rename = patch(json!([{"op": "replace", "path": "name.familyName", "value": "Berg"}]));
    let (s, b) = scim(
        &srv,
        Method::PATCH,
        &format!("/Users/{bo}"),
        &t,
        Some(rename),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = srv
        .get(
            &format!("/api/target-users/{bo}"),
            &root,
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["lastName"], "Berg");
    assert_eq!(b["data"]["managerEmail"], "boss@elsewhere.test", "{b}");
    // Removing the manager through SCIM does clear it.
    let remove = patch(json!([{"op": "remove",
        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]));
    let (s, b) = scim(
        &srv,
        Method::PATCH,
        &format!("/Users/{bo}"),
        &t,
        Some(remove),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = srv
        .get(
            &format!("/api/target-users/{bo}"),
            &root,
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(b["data"]["managerEmail"], Value::Null, "{b}");
}

async fn user_names_are_unique(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Acme").await;
    let (_, t) = integration(&srv, &root, &c, json!({})).await;
    let named = |name: &str, email: &str| {
        json!({"schemas": [USER], "userName": name,
               "emails": [{"value": email, "type": "work", "primary": true}]})
    };
    let first = create_user(&srv, &t, named("jdoe", "a@acme.test")).await;
    let (s, b) = scim(
        &srv,
        Method::POST,
        "/Users",
        &t,
        Some(named("JDOE", "b@acme.test")),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["scimType"], "uniqueness");
    assert!(
        b["detail"].as_str().unwrap_or_default().contains(&first),
        "{b}"
    );
    // Another user may not take it by a PATCH either, and the look-up finds one user.
    let second = create_user(&srv, &t, named("rroe", "c@acme.test")).await;
    let take = patch(json!([{"op": "replace", "path": "userName", "value": "jdoe"}]));
    let (s, b) = scim(
        &srv,
        Method::PATCH,
        &format!("/Users/{second}"),
        &t,
        Some(take),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (_, b) = scim(
        &srv,
        Method::GET,
        "/Users?filter=userName%20eq%20%22jdoe%22",
        &t,
        None,
    )
    .await;
    assert_eq!(b["totalResults"], 1, "{b}");
    assert_eq!(b["Resources"][0]["id"], json!(first));
    // The same user writing its own userName again is not a conflict.
    let same = patch(json!([{"op": "replace", "path": "userName", "value": "JDoe"}]));
    let (s, b) = scim(
        &srv,
        Method::PATCH,
        &format!("/Users/{first}"),
        &t,
        Some(same),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["userName"], "JDoe");
}

async fn group_by_leaves_other_owners_groups_alone(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Acme").await;
    let (_, t) = integration(
        &srv,
        &root,
        &c,
        json!({"groupBySCIMFieldResourceId": "9fd0afec416c"}),
    )
    .await;
    // The provider pushes a group "Sales" itself: its members are the provider's to set.
    let (s, b) = scim(
        &srv,
        Method::POST,
        "/Groups",
        &t,
        Some(json!({"schemas": [GROUP], "displayName": "Sales"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let mut body = user("ann@acme.test", "Ann", "Lee");
    body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
        json!({"department": "sales"});
    let ann = create_user(&srv, &t, body).await;
    let (_, b) = scim(&srv, Method::GET, &format!("/Users/{ann}"), &t, None).await;
    assert!(
        group_names(&b).is_empty(),
        "not put in the pushed group: {b}"
    );
    // A department no one owns gets its own group, made once for every user of it.
    for (i, email) in ["bo@acme.test", "cy@acme.test"].iter().enumerate() {
        let mut body = user(email, "B", &i.to_string());
        body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
            json!({"department": "Ops"});
        let id = create_user(&srv, &t, body).await;
        let (_, b) = scim(&srv, Method::GET, &format!("/Users/{id}"), &t, None).await;
        assert_eq!(group_names(&b), vec!["Ops"], "{b}");
    }
    let (_, b) = scim(
        &srv,
        Method::GET,
        "/Groups?filter=displayName%20eq%20%22ops%22",
        &t,
        None,
    )
    .await;
    assert_eq!(b["totalResults"], 1, "{b}");
    assert_eq!(
        b["Resources"][0]["members"].as_array().map(Vec::len),
        Some(2)
    );
}

async fn a_resellers_token_follows_the_customers_privacy(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = company(&srv, &root, "Acme").await;
    let (admin_id, admin_secret) = srv.create_client(&root, &c, "CompanyAdmin").await;
    let admin = srv.token(&admin_id, &admin_secret).await;
    let (id, resellers) = integration(&srv, &root, &c, json!({})).await;
    let (s, _) = scim(&srv, Method::GET, "/Users", &resellers, None).await;
    assert_eq!(s, StatusCode::OK);
    // The customer denies its reseller access: the reseller's token stops too.
    let (s, b) = srv
        .put(
            "/api/companies/privacy",
            &admin,
            json!({"privacyDurationId": 0}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = scim(&srv, Method::GET, "/Users", &resellers, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert!(
        b["detail"].as_str().unwrap_or_default().contains("revoke"),
        "{b}"
    );
    // The customer's own Company Admin issues its own token, which works.
    let (s, b) = srv
        .post(&format!("/api/scim/{id}/revoke"), &admin, json!({}), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let own = b["data"]["results"][0]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let (s, b) = scim(&srv, Method::GET, "/Users", &own, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = scim(&srv, Method::GET, "/Users", &resellers, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
