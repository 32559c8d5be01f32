//! Helpers of the SCIM tests: a company with an integration, and SCIM requests with its token.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{TestServer, SCOPE};

/// The core User schema.
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise extension.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The Group schema.
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The PatchOp message schema.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A new customer company below the root and its resource id.
pub async fn company(srv: &TestServer, root: &str, name: &str) -> String {
    srv.create_company(root, None, json!({"name": name, "numberOfUsers": 1000}))
        .await
}

/// Creates an integration in `company` with `body` (a name is added when missing); returns its
/// resource id and its bearer token.
pub async fn integration(
    srv: &TestServer,
    token: &str,
    company: &str,
    body: Value,
) -> (String, String) {
    let mut body = body;
    if body.get("name").is_none() {
        body["name"] = json!("Entra ID SCIM");
    }
    let (s, b) = srv
        .post("/api/scim", token, body, &[(SCOPE, company)])
        .await;
    assert_eq!(s, StatusCode::OK, "create integration: {b}");
    let token = b["data"]["token"].as_str().expect("token").to_owned();
    let id = b["data"]["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned();
    (id, token)
}

/// A SCIM request with a bearer token; `path` is below `/scim/v2`.
pub async fn scim(
    srv: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    srv.call(method, &format!("/scim/v2{path}"), token, body, &[])
        .await
}

/// A minimal User resource.
pub fn user(email: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": given, "familyName": family},
        "active": true,
    })
}

/// Provisions a user; panics unless it is created. Returns its id.
pub async fn create_user(srv: &TestServer, token: &str, body: Value) -> String {
    let (s, b) = scim(
        srv,
        reqwest::Method::POST,
        "/Users",
        token,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "create {body}: {b}");
    b["id"].as_str().expect("id").to_owned()
}

/// A PatchOp message of `ops`.
pub fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}
