//! The SCIM 2.0 service (`/scim/v2`, issue #16) through HTTP on both engines, as identity
//! providers drive it: discovery, bearer tokens, Users (create, read, filter, page, replace,
//! patch with Entra ID's and Okta's habits, delete and revival), the integration's settings
//! (a group for everyone, groups by department, attributes mapped to custom fields), Groups
//! (create, filter, replace, patch of members, a PATCH of thousands of members), company
//! scoping, users made through the REST API, and the token's lifecycle. What SCIM writes is
//! checked again through the REST API (`/api/target-users`, `/api/target-groups`).

use std::collections::BTreeSet;

use crate::common::scim::{
    company, create_user, integration, patch, scim, user, ENTERPRISE, GROUP, USER,
};
use crate::common::{Engine, TestServer, SCOPE};
use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Department, as `GET /api/scim/fields` names it.
const DEPARTMENT_FIELD: &str = "9fd0afec416c";
/// `title`.
const TITLE_FIELD: &str = "cb26b875601f";
/// The enterprise extension's `employeeNumber`.
const EMPLOYEE_NUMBER_FIELD: &str = "2f1063492482";

/// A server on `engine` and its root token; None when the engine is not available here.
async fn start(engine: Engine) -> Option<(TestServer, String)> {
    let srv = TestServer::start(engine).await?;
    let root = srv.root_token().await;
    Some((srv, root))
}

/// A company with one integration made with `settings`: (company, integration id, token).
async fn setup(
    srv: &TestServer,
    root: &str,
    name: &str,
    settings: Value,
) -> (String, String, String) {
    let c = company(srv, root, name).await;
    let (id, token) = integration(srv, root, &c, settings).await;
    (c, id, token)
}

/// A SCIM request that keeps the reply's headers; `token` None sends no `Authorization`.
async fn raw(
    srv: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req = srv.http.request(method, srv.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, headers, json)
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> &str {
    headers
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Asserts a SCIM error message (RFC 7644 §3.12): HTTP status, `status` as a string, the
/// `scimType` (or none) and a detail.
#[track_caller]
fn scim_error(status: StatusCode, body: &Value, want: StatusCode, scim_type: Option<&str>) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["schemas"], json!([ERROR]), "{body}");
    assert_eq!(body["status"], json!(want.as_u16().to_string()), "{body}");
    match scim_type {
        Some(t) => assert_eq!(body["scimType"], t, "{body}"),
        None => assert!(body.get("scimType").is_none(), "{body}"),
    }
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "an error has a detail: {body}"
    );
}

/// Asserts that a reply is the SCIM error `want` with `scim_type` ([`scim_error`]); returns
/// its body.
#[track_caller]
fn refused(reply: (StatusCode, Value), want: StatusCode, scim_type: Option<&str>) -> Value {
    let (s, b) = reply;
    scim_error(s, &b, want, scim_type);
    b
}

/// Asserts that a reply is a 404 SCIM error without a `scimType`.
#[track_caller]
fn not_found(reply: (StatusCode, Value)) {
    refused(reply, StatusCode::NOT_FOUND, None);
}

/// A query string (`a=b&c=d`, form-encoded).
fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// `GET` of a path below `/scim/v2`.
async fn scim_get(srv: &TestServer, token: &str, path: &str) -> (StatusCode, Value) {
    scim(srv, Method::GET, path, token, None).await
}

/// `GET` of a path below `/scim/v2` that must answer 200; returns the body.
async fn get_ok(srv: &TestServer, token: &str, path: &str) -> Value {
    let (s, b) = scim_get(srv, token, path).await;
    assert_eq!(s, StatusCode::OK, "{path}: {b}");
    b
}

/// `DELETE` of a path below `/scim/v2`.
async fn scim_delete(srv: &TestServer, token: &str, path: &str) -> (StatusCode, Value) {
    scim(srv, Method::DELETE, path, token, None).await
}

/// `DELETE` of a path below `/scim/v2` that must answer 204; returns the body.
async fn delete_ok(srv: &TestServer, token: &str, path: &str) -> Value {
    let (s, b) = scim_delete(srv, token, path).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{path}: {b}");
    b
}

/// `POST /Users`.
async fn post_user(srv: &TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    scim(srv, Method::POST, "/Users", token, Some(body)).await
}

/// `PUT /Users/{id}`.
async fn put_user(srv: &TestServer, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    scim(srv, Method::PUT, &format!("/Users/{id}"), token, Some(body)).await
}

/// `POST /Groups`.
async fn post_group(srv: &TestServer, token: &str, body: Value) -> (StatusCode, Value) {
    scim(srv, Method::POST, "/Groups", token, Some(body)).await
}

/// `PUT /Groups/{id}`.
async fn put_group(srv: &TestServer, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    scim(
        srv,
        Method::PUT,
        &format!("/Groups/{id}"),
        token,
        Some(body),
    )
    .await
}

/// Asserts that the resource at `path` (below `/scim/v2`) is not there for `token`: GET,
/// DELETE, a PATCH of `ops` and, when given, a PUT of `put` all answer 404 SCIM errors.
async fn assert_gone(srv: &TestServer, token: &str, path: &str, ops: Value, put: Option<Value>) {
    let mut requests = vec![
        (Method::GET, None),
        (Method::DELETE, None),
        (Method::PATCH, Some(patch(ops))),
    ];
    requests.extend(put.map(|body| (Method::PUT, Some(body))));
    for (method, body) in requests {
        let (s, b) = scim(srv, method.clone(), path, token, body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {b}");
        scim_error(s, &b, StatusCode::NOT_FOUND, None);
    }
}

/// Asserts the `totalResults` of `GET /Users`.
async fn assert_user_total(srv: &TestServer, token: &str, want: usize) {
    let (_, b) = scim_get(srv, token, "/Users").await;
    assert_eq!(b["totalResults"], want, "{b}");
}

/// A filtered list (`path` below `/scim/v2`): the ids found, in order, after checking the
/// list's shape.
async fn found_ids(srv: &TestServer, token: &str, path: &str, filter: &str) -> Vec<String> {
    let (s, b) = scim_get(srv, token, path).await;
    assert_eq!(s, StatusCode::OK, "{filter}: {b}");
    ids_of(&b, filter)
}

/// `GET /Users?filter=...`: the ids found, in order, after checking the list's shape.
async fn user_ids(srv: &TestServer, token: &str, filter: &str) -> Vec<String> {
    let q = query(&[("filter", filter), ("count", "1000")]);
    found_ids(srv, token, &format!("/Users?{q}"), filter).await
}

/// The ids of a ListResponse, its counts checked.
#[track_caller]
fn ids_of(b: &Value, what: &str) -> Vec<String> {
    assert_eq!(b["schemas"], json!([LIST]), "{what}: {b}");
    let rows = b["Resources"].as_array().expect("Resources");
    assert_eq!(b["itemsPerPage"], rows.len(), "{what}: {b}");
    rows.iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

/// `GET /Groups?filter=...`: the ids found.
async fn group_ids(srv: &TestServer, token: &str, filter: &str) -> Vec<String> {
    let q = query(&[("filter", filter)]);
    found_ids(srv, token, &format!("/Groups?{q}"), filter).await
}

fn ids(items: &[&String]) -> Vec<String> {
    items.iter().map(|s| (*s).clone()).collect()
}

/// Asserts the ids of the users `filter` finds, in order.
async fn assert_users(srv: &TestServer, token: &str, filter: &str, want: &[&String]) {
    assert_eq!(
        user_ids(srv, token, filter).await,
        ids(want),
        "filter {filter}"
    );
}

/// Asserts the ids of the groups `filter` finds, in order.
async fn assert_groups(srv: &TestServer, token: &str, filter: &str, want: &[&String]) {
    assert_eq!(
        group_ids(srv, token, filter).await,
        ids(want),
        "filter {filter}"
    );
}

/// `GET /api/target-users/{id}`'s data (deleted users included).
async fn rest_user(srv: &TestServer, root: &str, company: &str, id: &str) -> Value {
    let (s, b) = srv
        .get(
            &format!("/api/target-users/{id}"),
            root,
            &[(SCOPE, company)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"].clone()
}

/// Asserts one field of `GET /api/target-users/{id}`'s data.
async fn assert_rest_field(
    srv: &TestServer,
    root: &str,
    company: &str,
    id: &str,
    field: &str,
    want: impl Into<Value>,
) {
    let r = rest_user(srv, root, company, id).await;
    assert_eq!(r[field], want.into(), "{field}: {r}");
}

/// Text fields of a REST reply (an empty field may come as null or be left out: "").
fn texts(r: &Value, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| r[*n].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The rows of a REST search (`/api/{what}/search`), one page of 100.
async fn rest_search(srv: &TestServer, root: &str, company: &str, what: &str) -> Vec<Value> {
    let (s, b) = srv
        .post(
            &format!("/api/{what}/search"),
            root,
            json!({"pageSize": 100}),
            &[(SCOPE, company)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["results"].as_array().expect("results").clone()
}

/// The REST search row of the user with `email`.
async fn rest_row(srv: &TestServer, root: &str, company: &str, email: &str) -> Value {
    let rows = rest_search(srv, root, company, "target-users").await;
    rows.iter()
        .find(|r| r["email"] == email)
        .cloned()
        .unwrap_or_else(|| panic!("no REST row for {email}: {rows:?}"))
}

/// Asserts the `status` of the REST search row of the user with `email`.
async fn assert_rest_status(srv: &TestServer, root: &str, company: &str, email: &str, want: &str) {
    let row = rest_row(srv, root, company, email).await;
    assert_eq!(row["status"], want, "{row}");
}

/// The company's target groups as (name, userCount), by name.
async fn rest_groups(srv: &TestServer, root: &str, company: &str) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = rest_search(srv, root, company, "target-groups")
        .await
        .iter()
        .map(|r| {
            (
                r["name"].as_str().expect("name").to_owned(),
                r["userCount"].as_i64().expect("userCount"),
            )
        })
        .collect();
    out.sort();
    out
}

/// Asserts the company's target groups as (name, userCount), by name.
async fn assert_rest_groups(srv: &TestServer, root: &str, company: &str, want: &[(&str, i64)]) {
    let want: Vec<(String, i64)> = want.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect();
    assert_eq!(rest_groups(srv, root, company).await, want);
}

/// The `userCount` of the company's group named `name`.
async fn rest_count(srv: &TestServer, root: &str, company: &str, name: &str) -> Option<i64> {
    rest_groups(srv, root, company)
        .await
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, c)| c)
}

/// Makes a target group through the REST API; returns its id.
async fn create_rest_group(srv: &TestServer, root: &str, company: &str, name: &str) -> String {
    let (s, b) = srv
        .post(
            "/api/target-groups",
            root,
            json!({"name": name}),
            &[(SCOPE, company)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["resourceId"].as_str().expect("id").to_owned()
}

/// The `key` of each item of `owner`'s array `list`, sorted.
fn sorted_field(owner: &Value, list: &str, key: &str) -> Vec<String> {
    let mut out: Vec<String> = owner[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list}: {owner}"))
        .iter()
        .map(|m| m[key].as_str().expect(key).to_owned())
        .collect();
    out.sort();
    out
}

/// The member ids of a SCIM group, sorted.
async fn members(srv: &TestServer, token: &str, group: &str) -> Vec<String> {
    sorted_field(
        &get_ok(srv, token, &format!("/Groups/{group}")).await,
        "members",
        "value",
    )
}

/// Asserts the member ids of a SCIM group, in any order.
async fn assert_members(srv: &TestServer, token: &str, group: &str, want: &[impl AsRef<str>]) {
    let mut want: Vec<String> = want.iter().map(|m| m.as_ref().to_owned()).collect();
    want.sort();
    assert_eq!(members(srv, token, group).await, want, "members of {group}");
}

/// The `display` names of a SCIM user's `groups`, sorted.
fn group_names(u: &Value) -> Vec<String> {
    sorted_field(u, "groups", "display")
}

/// Asserts the `display` names of a SCIM user's `groups`, in any order.
async fn assert_user_groups(srv: &TestServer, token: &str, id: &str, want: &[&str]) {
    let u = get_user(srv, token, id).await;
    assert_eq!(group_names(&u), want, "{u}");
}

async fn get_user(srv: &TestServer, token: &str, id: &str) -> Value {
    get_ok(srv, token, &format!("/Users/{id}")).await
}

/// Asserts that a reference (a manager, a member, a group of a user) has a `$ref` ending in
/// `tail`; `context` is shown when it does not.
#[track_caller]
fn assert_ref(item: &Value, tail: &str, context: &Value) {
    assert!(
        item["$ref"].as_str().is_some_and(|r| r.ends_with(tail)),
        "{context}"
    );
}

/// The full name of an attribute of the enterprise extension (`urn:...:User:department`).
fn enterprise(attr: &str) -> String {
    format!("{ENTERPRISE}:{attr}")
}

/// The operations of a PATCH that replaces `path` with `value`.
fn replace_op(path: &str, value: impl Into<Value>) -> Value {
    json!([{"op": "replace", "path": path, "value": value.into()}])
}

/// The operations of a PATCH that removes `path`.
fn remove_op(path: &str) -> Value {
    json!([{"op": "remove", "path": path}])
}

/// The operations of a PATCH that adds the users `ids` to a group's members.
fn add_members_op(ids: &[&String]) -> Value {
    json!([{"op": "add", "path": "members", "value": members_of(ids)}])
}

/// The operations of a PATCH that removes the users `ids` from a group's members (listed in
/// the value, as Entra ID sends it).
fn remove_members_op(ids: &[&String]) -> Value {
    json!([{"op": "remove", "path": "members", "value": members_of(ids)}])
}

/// A PATCH of `ops` to a path below `/scim/v2`.
async fn scim_patch(srv: &TestServer, token: &str, path: &str, ops: Value) -> (StatusCode, Value) {
    scim(srv, Method::PATCH, path, token, Some(patch(ops))).await
}

async fn patch_user(srv: &TestServer, token: &str, id: &str, ops: Value) -> (StatusCode, Value) {
    scim_patch(srv, token, &format!("/Users/{id}"), ops).await
}

/// PATCHes a user and expects 200 with the resource; returns it.
async fn patched(srv: &TestServer, token: &str, id: &str, ops: Value) -> Value {
    let (s, b) = patch_user(srv, token, id, ops.clone()).await;
    assert_eq!(s, StatusCode::OK, "{ops}: {b}");
    assert_eq!(b["id"], id, "{b}");
    b
}

async fn create_group(srv: &TestServer, token: &str, body: Value) -> String {
    let (s, b) = post_group(srv, token, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{body}: {b}");
    b["id"].as_str().expect("id").to_owned()
}

async fn patch_group(srv: &TestServer, token: &str, id: &str, ops: Value) -> (StatusCode, Value) {
    scim_patch(srv, token, &format!("/Groups/{id}"), ops).await
}

/// PATCHes a group and expects 204 without a body.
async fn group_patched(srv: &TestServer, token: &str, id: &str, ops: Value) {
    let (s, b) = patch_group(srv, token, id, ops.clone()).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{ops}: {b}");
    assert_eq!(b, Value::Null, "204 has no body");
}

/// Sends a PATCH of a group for each of `ops`, all at once; each must answer 204.
async fn patch_group_at_once(
    srv: &TestServer,
    token: &str,
    id: &str,
    ops: impl Iterator<Item = Value>,
) {
    let replies = futures::future::join_all(ops.map(|o| patch_group(srv, token, id, o))).await;
    for (s, b) in &replies {
        assert_eq!(*s, StatusCode::NO_CONTENT, "{b}");
    }
}

/// POSTs `body` to `path` eight times at once: exactly one is created, the others are told
/// it exists (409 uniqueness). Returns the created resource.
async fn created_once(srv: &TestServer, token: &str, path: &str, body: Value) -> Value {
    let replies = futures::future::join_all(
        (0..8).map(|_| scim(srv, Method::POST, path, token, Some(body.clone()))),
    )
    .await;
    let made: Vec<&Value> = replies
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(made.len(), 1, "{replies:?}");
    for (s, b) in replies.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        scim_error(*s, b, StatusCode::CONFLICT, Some("uniqueness"));
    }
    made[0].clone()
}

/// Provisions `n` users one after the other, the `i`th from `body(i)`; returns their ids.
async fn create_users(
    srv: &TestServer,
    token: &str,
    n: usize,
    body: impl Fn(usize) -> Value,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(create_user(srv, token, body(i)).await);
    }
    ids
}

fn members_of(ids: &[&String]) -> Value {
    Value::Array(ids.iter().map(|id| json!({"value": id})).collect())
}

/// `POST /api/scim/{id}/revoke`: a new token for the integration.
async fn revoke(srv: &TestServer, root: &str, company: &str, id: &str) -> (StatusCode, Value) {
    srv.call(
        Method::POST,
        &format!("/api/scim/{id}/revoke"),
        root,
        None,
        &[(SCOPE, company)],
    )
    .await
}

/// Sets a company's `statusId` through the REST API (1 active, 2 inactive).
async fn set_company_status(srv: &TestServer, root: &str, company: &str, status: i64) {
    let (s, b) = srv
        .put(
            &format!("/api/companies/{company}"),
            root,
            json!({"statusId": status}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

// ---------------------------------------------------------------------------------------------

async fn discovery_documents_the_service(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (_, _, token) = setup(&srv, &root, "Discovery", json!({})).await;

    let (s, h, spc) = raw(
        &srv,
        Method::GET,
        "/scim/v2/ServiceProviderConfig",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{spc}");
    assert!(
        header(&h, CONTENT_TYPE).starts_with("application/scim+json"),
        "{h:?}"
    );
    assert_eq!(
        spc["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    assert_eq!(spc["patch"]["supported"], true, "{spc}");
    assert_eq!(spc["bulk"]["supported"], false, "{spc}");
    assert_eq!(spc["filter"]["supported"], true, "{spc}");
    assert_eq!(spc["filter"]["maxResults"], 1000, "{spc}");
    assert_eq!(spc["sort"]["supported"], false, "{spc}");
    assert_eq!(spc["etag"]["supported"], false, "{spc}");
    assert_eq!(spc["changePassword"]["supported"], false, "{spc}");
    assert_eq!(
        spc["authenticationSchemes"][0]["type"], "oauthbearertoken",
        "{spc}"
    );
    // The same service at `/scim` (Keepnet's tenant URL).
    let (s, _, again) = raw(
        &srv,
        Method::GET,
        "/scim/ServiceProviderConfig",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["patch"], spc["patch"]);

    let rt = get_ok(&srv, &token, "/ResourceTypes").await;
    assert_eq!(rt["schemas"], json!([LIST]));
    assert_eq!(rt["totalResults"], 2, "{rt}");
    let types = rt["Resources"].as_array().expect("Resources");
    let user_type = types.iter().find(|t| t["id"] == "User").expect("User type");
    assert_eq!(user_type["endpoint"], "/Users");
    assert_eq!(user_type["schema"], USER);
    assert_eq!(
        user_type["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}])
    );
    let group_type = types
        .iter()
        .find(|t| t["id"] == "Group")
        .expect("Group type");
    assert_eq!(group_type["endpoint"], "/Groups");
    assert_eq!(group_type["schema"], GROUP);
    let one = get_ok(&srv, &token, "/ResourceTypes/Group").await;
    assert_eq!(one["endpoint"], "/Groups");
    not_found(scim_get(&srv, &token, "/ResourceTypes/Device").await);

    let schemas = get_ok(&srv, &token, "/Schemas").await;
    assert_eq!(schemas["totalResults"], 3, "{schemas}");
    let found: BTreeSet<String> = schemas["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        found,
        [USER, ENTERPRISE, GROUP]
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>()
    );
    let us = get_ok(&srv, &token, &format!("/Schemas/{USER}")).await;
    assert_eq!(us["id"], USER);
    let attr = |schema: &Value, name: &str| -> Value {
        schema["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(attr(&us, "userName")["required"], true, "{us}");
    assert_eq!(attr(&us, "groups")["mutability"], "readOnly", "{us}");
    assert_eq!(
        attr(&us, "title"),
        Value::Null,
        "no mapping, no title: {us}"
    );
    let es = get_ok(&srv, &token, &format!("/Schemas/{ENTERPRISE}")).await;
    assert_eq!(attr(&es, "department")["type"], "string", "{es}");
    assert_eq!(attr(&es, "manager")["type"], "complex", "{es}");
    let gs = get_ok(&srv, &token, &format!("/Schemas/{GROUP}")).await;
    assert_eq!(attr(&gs, "displayName")["required"], true, "{gs}");
    let device = "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Device";
    not_found(scim_get(&srv, &token, device).await);

    // Unknown endpoints, methods the service does not take, and the root search.
    not_found(scim_get(&srv, &token, "/Bulk").await);
    refused(
        scim_delete(&srv, &token, "/ServiceProviderConfig").await,
        StatusCode::METHOD_NOT_ALLOWED,
        None,
    );
    refused(
        scim(&srv, Method::POST, "/.search", &token, Some(json!({}))).await,
        StatusCode::NOT_IMPLEMENTED,
        None,
    );
    // Paths in any case.
    let b = get_ok(&srv, &token, "/users").await;
    assert_eq!(b["totalResults"], 0, "{b}");
}

async fn a_bearer_token_is_required(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (_, _, token) = setup(&srv, &root, "Tokens", json!({})).await;
    create_user(&srv, &token, user("ann@tokens.io", "Ann", "Lee")).await;

    for path in [
        "/scim/v2/Users",
        "/scim/v2/ServiceProviderConfig",
        "/scim/Groups",
    ] {
        // No token, then a wrong one.
        for bearer in [None, Some("scim_wrong")] {
            let (s, h, b) = raw(&srv, Method::GET, path, bearer, None).await;
            scim_error(s, &b, StatusCode::UNAUTHORIZED, None);
            assert!(
                header(&h, WWW_AUTHENTICATE).starts_with("Bearer"),
                "{path}: {h:?}"
            );
        }
    }
    // The REST API's own token is not a SCIM token.
    refused(
        scim_get(&srv, &root, "/Users").await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    // The token in another scheme is refused.
    let resp = srv
        .http
        .get(srv.url("/scim/v2/Users"))
        .header("Authorization", format!("Basic {token}"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Nothing was created or leaked by the refused requests.
    let b = get_ok(&srv, &token, "/Users").await;
    assert_eq!(b["totalResults"], 1, "{b}");
}

async fn create_renders_the_user(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Create", json!({})).await;

    let body = json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "ext-Ann-1",
        "userName": "Ann.Lee@Create.io",
        "name": {"givenName": "Ann", "familyName": "Lee"},
        "phoneNumbers": [{"value": "+44 20 7946 0001", "type": "work"}],
        "active": true,
        "nickName": "Annie",
        "title": "Engineer",
        ENTERPRISE: {"department": "Sales"},
    });
    let (s, h, u) = raw(
        &srv,
        Method::POST,
        "/scim/v2/Users",
        Some(&token),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    assert!(
        header(&h, CONTENT_TYPE).starts_with("application/scim+json"),
        "{h:?}"
    );
    let id = u["id"].as_str().expect("id").to_owned();
    assert!(!id.is_empty());
    let location = header(&h, LOCATION).to_owned();
    assert!(
        location.ends_with(&format!("/scim/v2/Users/{id}")),
        "{location}"
    );
    assert_eq!(u["meta"]["location"], location, "{u}");
    assert_eq!(u["meta"]["resourceType"], "User", "{u}");
    assert!(
        u["meta"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("W/\"")),
        "{u}"
    );
    for t in ["created", "lastModified"] {
        let text = u["meta"][t].as_str().expect("time");
        chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339");
    }
    assert_eq!(u["schemas"], json!([USER, ENTERPRISE]), "{u}");
    assert_eq!(u["externalId"], "ext-Ann-1");
    // The email is kept as sent; lookups are in any case.
    assert_eq!(u["userName"], "Ann.Lee@Create.io");
    assert_eq!(u["name"], json!({"givenName": "Ann", "familyName": "Lee"}));
    assert_eq!(
        u["emails"],
        json!([{"value": "Ann.Lee@Create.io", "type": "work", "primary": true}]),
        "the default email list: {u}"
    );
    // The number is kept as the REST API keeps it, without spaces.
    assert_eq!(
        u["phoneNumbers"],
        json!([{"value": "+442079460001", "type": "work"}])
    );
    assert_eq!(u["active"], true);
    assert_eq!(u["groups"], json!([]));
    assert_eq!(u[ENTERPRISE], json!({"department": "Sales"}), "{u}");
    // Attributes rollcall does not keep are accepted and dropped.
    assert!(
        u.get("nickName").is_none() && u.get("title").is_none(),
        "{u}"
    );
    // GET returns the same resource.
    let got = get_user(&srv, &token, &id).await;
    assert_eq!(got, u);

    // The REST API sees the same target user.
    let r = rest_user(&srv, &root, &c, &id).await;
    assert_eq!(r["email"], "Ann.Lee@Create.io", "{r}");
    assert_eq!(r["firstName"], "Ann");
    assert_eq!(r["lastName"], "Lee");
    assert_eq!(r["department"], "Sales");
    assert_eq!(r["phoneNumber"], "+442079460001");
    assert_eq!(r["isActive"], true);
    assert_eq!(r["isDeleted"], false);
    assert_rest_status(&srv, &root, &c, "Ann.Lee@Create.io", "Active").await;

    // Attribute names in any case; `active` as Entra ID's string.
    let (s, b) = post_user(
        &srv,
        &token,
        json!({
            "SCHEMAS": [USER],
            "USERNAME": "bo@create.io",
            "Name": {"GIVENNAME": "Bo", "familyname": "Ng"},
            "ACTIVE": "False",
        }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["userName"], "bo@create.io");
    assert_eq!(b["name"], json!({"givenName": "Bo", "familyName": "Ng"}));
    assert_eq!(b["active"], false);
    assert_rest_status(&srv, &root, &c, "bo@create.io", "Inactive").await;

    // A userName that is not an email needs a work or primary email, which becomes the
    // target user's email; the userName is kept as sent.
    let no_email = json!({"schemas": [USER], "userName": "cy.ong", "name": {"givenName": "Cy"}});
    refused(
        post_user(&srv, &token, no_email).await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    );
    let cy = create_user(
        &srv,
        &token,
        json!({
            "schemas": [USER], "userName": "cy.ong", "name": {"givenName": "Cy"},
            "emails": [
                {"value": "cy.home@mail.io", "type": "home"},
                {"value": "cy@create.io", "type": "work", "primary": true},
            ],
        }),
    )
    .await;
    let u = get_user(&srv, &token, &cy).await;
    assert_eq!(u["userName"], "cy.ong", "{u}");
    assert_eq!(
        u["emails"],
        json!([
            {"value": "cy.home@mail.io", "type": "home"},
            {"value": "cy@create.io", "type": "work", "primary": true},
        ]),
        "the list as sent: {u}"
    );
    assert_rest_field(&srv, &root, &c, &cy, "email", "cy@create.io").await;
    assert_users(&srv, &token, "userName eq \"CY.ONG\"", &[&cy]).await;

    // Bad input.
    for bad in [
        json!({"schemas": [USER], "name": {"givenName": "X"}}),
        json!({"schemas": [USER], "userName": "dee@create.io", "active": "maybe"}),
        json!({"schemas": [USER], "userName": "dee@create.io",
               ENTERPRISE: {"manager": {"value": "nobody-here"}}}),
    ] {
        refused(
            post_user(&srv, &token, bad).await,
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
        );
    }
    let resp = srv
        .http
        .post(srv.url("/scim/v2/Users"))
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "application/scim+json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let b: Value = resp.json().await.expect("json");
    assert_eq!(b["scimType"], "invalidSyntax", "{b}");
    // None of them made a user.
    assert_user_total(&srv, &token, 3).await;
    // An unknown id.
    not_found(scim_get(&srv, &token, "/Users/no-such-user").await);
}

async fn conflicts_deletes_and_revivals(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Revive", json!({})).await;
    let ann = create_user(&srv, &token, user("ann@revive.io", "Ann", "Lee")).await;
    let bo = create_user(&srv, &token, user("bo@revive.io", "Bo", "Ng")).await;

    // The email of a live user, in any case, is taken.
    let b = refused(
        post_user(&srv, &token, user("ANN@Revive.io", "Other", "Person")).await,
        StatusCode::CONFLICT,
        Some("uniqueness"),
    );
    assert!(b["detail"].as_str().expect("detail").contains(&ann), "{b}");
    // So is a change of a user's email to another live user's.
    refused(
        patch_user(&srv, &token, &bo, replace_op("userName", "ann@revive.io")).await,
        StatusCode::CONFLICT,
        Some("uniqueness"),
    );
    assert_rest_field(&srv, &root, &c, &bo, "email", "bo@revive.io").await;

    // Delete: 204, then gone for SCIM, deleted for the REST API.
    let b = delete_ok(&srv, &token, &format!("/Users/{ann}")).await;
    assert_eq!(b, Value::Null);
    assert_gone(
        &srv,
        &token,
        &format!("/Users/{ann}"),
        replace_op("active", false),
        Some(user("ann@revive.io", "Ann", "Lee")),
    )
    .await;
    assert_rest_field(&srv, &root, &c, &ann, "isDeleted", true).await;
    assert_users(&srv, &token, "userName eq \"ann@revive.io\"", &[]).await;
    assert_user_total(&srv, &token, 1).await;

    // A POST of its email brings the same user back, with the provider's values.
    let (s, b) = post_user(
        &srv,
        &token,
        json!({
            "schemas": [USER], "userName": "Ann@Revive.io", "externalId": "x-ann",
            "name": {"givenName": "Anna", "familyName": "Lee"}, "active": true,
        }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["id"], ann, "the same user: {b}");
    assert_eq!(b["name"]["givenName"], "Anna");
    assert_eq!(b["externalId"], "x-ann");
    let r = rest_user(&srv, &root, &c, &ann).await;
    assert_eq!(r["isDeleted"], false, "{r}");
    assert_eq!(r["firstName"], "Anna", "{r}");
    assert_users(&srv, &token, "externalId eq \"x-ann\"", &[&ann]).await;
    assert_user_total(&srv, &token, 2).await;
}

async fn lists_page_and_project(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (_, _, token) = setup(&srv, &root, "Pages", json!({})).await;
    let all = create_users(&srv, &token, 5, |i| {
        user(&format!("u{i}@pages.io"), &format!("G{i}"), "Fam")
    })
    .await;
    let page = |q: &str| format!("/Users?{q}");
    // Pages in creation order, 1-based.
    let b = get_ok(&srv, &token, &page("startIndex=2&count=2")).await;
    assert_eq!(b["totalResults"], 5);
    assert_eq!(b["startIndex"], 2);
    assert_eq!(ids_of(&b, "page 2"), ids(&[&all[1], &all[2]]));
    let (_, b) = scim_get(&srv, &token, &page("startIndex=5&count=10")).await;
    assert_eq!(ids_of(&b, "last"), ids(&[&all[4]]));
    let (_, b) = scim_get(&srv, &token, &page("startIndex=9")).await;
    assert_eq!(
        (b["totalResults"].clone(), ids_of(&b, "past the end")),
        (json!(5), vec![])
    );
    let (_, b) = scim_get(&srv, &token, &page("count=0")).await;
    assert_eq!(
        (b["totalResults"].clone(), ids_of(&b, "count 0")),
        (json!(5), vec![])
    );
    // startIndex below 1 reads as 1; parameter names in any case.
    let (_, b) = scim_get(&srv, &token, &page("STARTINDEX=0&Count=1")).await;
    assert_eq!(b["startIndex"], 1, "{b}");
    assert_eq!(ids_of(&b, "first"), ids(&[&all[0]]));
    refused(
        scim_get(&srv, &token, &page("count=many")).await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    );
    // A page with a filter counts the matches.
    let filtered = query(&[
        ("filter", "name.givenName ge \"G2\""),
        ("startIndex", "2"),
        ("count", "1"),
    ]);
    let (_, b) = scim_get(&srv, &token, &page(&filtered)).await;
    assert_eq!(b["totalResults"], 3, "{b}");
    assert_eq!(ids_of(&b, "filtered page"), ids(&[&all[3]]));

    // attributes / excludedAttributes; id and schemas always come.
    let (_, b) = scim_get(
        &srv,
        &token,
        &page("attributes=userName,name.givenName&count=1"),
    )
    .await;
    assert_eq!(
        b["Resources"][0],
        json!({"schemas": [USER], "id": all[0], "userName": "u0@pages.io", "name": {"givenName": "G0"}})
    );
    let (_, b) = scim_get(
        &srv,
        &token,
        &format!("/Users/{}?excludedAttributes=groups,meta,emails,id", all[1]),
    )
    .await;
    assert_eq!(
        b,
        json!({"schemas": [USER], "id": all[1], "userName": "u1@pages.io",
               "name": {"givenName": "G1", "familyName": "Fam"}, "active": true})
    );

    // POST /Users/.search takes the query in the body.
    let (s, b) = scim(
        &srv,
        Method::POST,
        "/Users/.search",
        &token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "userName sw \"u3\" or userName sw \"u4\"",
            "attributes": ["userName"],
            "startIndex": 1, "count": 10,
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["totalResults"], 2);
    assert_eq!(ids_of(&b, ".search"), ids(&[&all[3], &all[4]]));
    assert!(b["Resources"][0].get("name").is_none(), "{b}");
}

async fn user_filters(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (_, _, token) = setup(&srv, &root, "Filters", json!({})).await;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(15));
    let ann = create_user(
        &srv,
        &token,
        json!({
            "schemas": [USER, ENTERPRISE], "userName": "ann_lee@filters.io",
            "externalId": "EXT-1", "name": {"givenName": "Ann", "familyName": "Lee"},
            "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
            ENTERPRISE: {"department": "Sales"},
        }),
    )
    .await;
    pause().await;
    let bo = create_user(
        &srv,
        &token,
        json!({
            "schemas": [USER, ENTERPRISE], "userName": "bo.ng@filters.io",
            "externalId": "ext-2", "name": {"givenName": "Bo", "familyName": "Ng"},
            "active": false, ENTERPRISE: {"department": "sales ops"},
        }),
    )
    .await;
    pause().await;
    let cy = create_user(
        &srv,
        &token,
        json!({
            "schemas": [USER], "userName": "cy.ong",
            "emails": [{"value": "cy@other.org", "type": "work", "primary": true}],
            "name": {"givenName": "Cy", "familyName": "O'Neil"},
        }),
    )
    .await;
    pause().await;
    let dee = create_user(&srv, &token, user("dee@filters.io", "Dee", "Lee")).await;
    let created = |u: &Value| u["meta"]["created"].as_str().expect("created").to_owned();
    let bo_created = created(&get_user(&srv, &token, &bo).await);
    let cy_created = created(&get_user(&srv, &token, &cy).await);

    let cases: Vec<(String, Vec<&String>)> = vec![
        ("userName eq \"ANN_LEE@filters.io\"".into(), vec![&ann]),
        ("USERNAME EQ \"bo.ng@filters.io\"".into(), vec![&bo]),
        ("userName eq \"cy.ong\"".into(), vec![&cy]),
        ("userName sw \"cy.\"".into(), vec![&cy]),
        ("userName ew \"@filters.io\"".into(), vec![&ann, &bo, &dee]),
        // LIKE's wildcards are plain characters.
        ("userName co \"_\"".into(), vec![&ann]),
        ("userName co \"%\"".into(), vec![]),
        ("userName pr".into(), vec![&ann, &bo, &cy, &dee]),
        ("externalId eq \"EXT-1\"".into(), vec![&ann]),
        ("externalId eq \"ext-1\"".into(), vec![]),
        ("externalId pr".into(), vec![&ann, &bo]),
        ("emails.value eq \"cy@other.org\"".into(), vec![&cy]),
        (
            "emails[type eq \"work\"].value eq \"CY@other.org\"".into(),
            vec![&cy],
        ),
        (
            "emails[type eq \"work\" and value co \"@filters\"]".into(),
            vec![&ann, &bo, &dee],
        ),
        ("emails co \"other\"".into(), vec![&cy]),
        ("name.givenName sw \"b\"".into(), vec![&bo]),
        ("name.familyName eq \"lee\"".into(), vec![&ann, &dee]),
        ("name.familyName sw \"O'\"".into(), vec![&cy]),
        ("active eq false".into(), vec![&bo]),
        ("active eq true".into(), vec![&ann, &cy, &dee]),
        ("active ne false".into(), vec![&ann, &cy, &dee]),
        ("phoneNumbers.value eq \"+15550100\"".into(), vec![&ann]),
        ("phoneNumbers pr".into(), vec![&ann]),
        ("department eq \"sales\"".into(), vec![&ann]),
        (
            format!("{ENTERPRISE}:department sw \"Sales\""),
            vec![&ann, &bo],
        ),
        (format!("id eq \"{dee}\""), vec![&dee]),
        (
            "name.familyName eq \"Lee\" and not (name.givenName eq \"Ann\")".into(),
            vec![&dee],
        ),
        (
            "(userName eq \"cy.ong\" or name.givenName eq \"Bo\") and active eq true".into(),
            vec![&cy],
        ),
        (
            "name.givenName eq \"Ann\" or name.givenName eq \"Dee\" or externalId eq \"ext-2\""
                .into(),
            vec![&ann, &bo, &dee],
        ),
        (
            "name.givenName gt \"B\" and name.givenName lt \"D\"".into(),
            vec![&bo, &cy],
        ),
        ("name.givenName ne \"ann\"".into(), vec![&bo, &cy, &dee]),
        (
            format!("meta.created ge \"{bo_created}\""),
            vec![&bo, &cy, &dee],
        ),
        (format!("meta.created lt \"{cy_created}\""), vec![&ann, &bo]),
        (
            format!("meta.created gt \"{bo_created}\" and meta.created le \"{cy_created}\""),
            vec![&cy],
        ),
    ];
    for (filter, want) in &cases {
        assert_users(&srv, &token, filter, want).await;
    }
    // lastModified follows writes.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let mark = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    patched(&srv, &token, &ann, replace_op("name.givenName", "Annie")).await;
    let modified = format!("meta.lastModified gt \"{mark}\"");
    assert_users(&srv, &token, &modified, &[&ann]).await;

    // What rollcall cannot filter, or cannot parse, is an invalidFilter.
    for bad in [
        "title eq \"Engineer\"",
        "nickName pr",
        "userName eq",
        "userName eq \"x\" and",
        "(userName eq \"x\"",
        "userName zz \"x\"",
        "meta.created gt \"yesterday\"",
        "active eq \"maybe\"",
        "urn:example:params:scim:schemas:ext:1.0:User:badge eq \"1\"",
    ] {
        let path = format!("/Users?{}", query(&[("filter", bad)]));
        let (s, b) = scim_get(&srv, &token, &path).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
        scim_error(s, &b, StatusCode::BAD_REQUEST, Some("invalidFilter"));
    }
}

/// A userName that is not an email is the user's userName: `ne` must exclude the user whose
/// userName it is, as `not (eq)` does.
async fn user_name_ne_matches_kept_user_names(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (_, _, token) = setup(&srv, &root, "Ne", json!({})).await;
    let ann = create_user(&srv, &token, user("ann@ne.io", "Ann", "Lee")).await;
    let _cy = create_user(
        &srv,
        &token,
        json!({
            "schemas": [USER], "userName": "cy.ong",
            "emails": [{"value": "cy@ne.io", "type": "work", "primary": true}],
        }),
    )
    .await;
    assert_users(&srv, &token, "not (userName eq \"cy.ong\")", &[&ann]).await;
    assert_eq!(
        user_ids(&srv, &token, "userName ne \"cy.ong\"").await,
        ids(&[&ann]),
        "userName ne must not match the user whose userName is cy.ong"
    );
}

async fn put_replaces_the_user(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Replace", json!({})).await;
    let boss = create_user(&srv, &token, user("mona@replace.io", "Mona", "Boss")).await;
    let ann = create_user(
        &srv,
        &token,
        json!({
            "schemas": [USER, ENTERPRISE], "userName": "ann@replace.io", "externalId": "e1",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
            ENTERPRISE: {"department": "Sales", "manager": {"value": boss}},
        }),
    )
    .await;
    let u = get_user(&srv, &token, &ann).await;
    assert_eq!(u[ENTERPRISE]["manager"]["value"], boss, "{u}");
    assert_eq!(u[ENTERPRISE]["manager"]["displayName"], "Mona Boss", "{u}");

    // Everything left out is cleared.
    let (s, b) = put_user(
        &srv,
        &token,
        &ann,
        json!({
            "schemas": [USER], "id": ann, "userName": "ann@replace.io",
            "name": {"givenName": "Anne"}, "active": false,
        }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["id"], ann);
    assert_eq!(b["name"], json!({"givenName": "Anne"}), "{b}");
    assert_eq!(b["active"], false);
    for gone in ["phoneNumbers", "externalId", ENTERPRISE] {
        assert!(b.get(gone).is_none(), "{gone} cleared: {b}");
    }
    assert_eq!(b["schemas"], json!([USER]), "{b}");
    assert_eq!(get_user(&srv, &token, &ann).await, b);
    let r = rest_user(&srv, &root, &c, &ann).await;
    assert_eq!(
        texts(
            &r,
            &[
                "firstName",
                "lastName",
                "department",
                "phoneNumber",
                "managerEmail"
            ]
        ),
        vec!["Anne", "", "", "", ""],
        "{r}"
    );
    assert_rest_status(&srv, &root, &c, "ann@replace.io", "Inactive").await;

    // A PUT may change the email.
    let (s, b) = put_user(&srv, &token, &ann, user("anne@replace.io", "Anne", "Lee")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_rest_field(&srv, &root, &c, &ann, "email", "anne@replace.io").await;
    assert_users(&srv, &token, "userName eq \"ann@replace.io\"", &[]).await;
    // But not to another live user's, nor without a userName.
    refused(
        put_user(&srv, &token, &ann, user("mona@replace.io", "Anne", "Lee")).await,
        StatusCode::CONFLICT,
        Some("uniqueness"),
    );
    let nameless = json!({"schemas": [USER], "name": {"givenName": "X"}});
    refused(
        put_user(&srv, &token, &ann, nameless).await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    );
    not_found(put_user(&srv, &token, "no-such-user", user("z@replace.io", "Z", "Z")).await);
    assert_rest_field(&srv, &root, &c, &ann, "email", "anne@replace.io").await;
}

async fn patch_handles_provider_habits(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Habits", json!({})).await;
    let ann = create_user(
        &srv,
        &token,
        json!({
            "schemas": [USER, ENTERPRISE], "userName": "ann@habits.io",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            ENTERPRISE: {"department": "Sales"},
        }),
    )
    .await;

    // Entra ID: a path-less Replace with a string boolean.
    let u = patched(
        &srv,
        &token,
        &ann,
        json!([{"op": "Replace", "value": {"active": "False"}}]),
    )
    .await;
    assert_eq!(u["active"], false, "{u}");
    assert_rest_status(&srv, &root, &c, "ann@habits.io", "Inactive").await;
    let u = patched(&srv, &token, &ann, replace_op("active", "True")).await;
    assert_eq!(u["active"], true, "{u}");
    assert_rest_status(&srv, &root, &c, "ann@habits.io", "Active").await;

    // Path-less with dotted and extension-qualified keys, op names in any case.
    let u = patched(
        &srv,
        &token,
        &ann,
        json!([{"op": "REPLACE", "value": {
            "name.givenName": "Anna",
            enterprise("department"): "Ops",
        }}]),
    )
    .await;
    assert_eq!(
        u["name"],
        json!({"givenName": "Anna", "familyName": "Lee"}),
        "{u}"
    );
    assert_eq!(u[ENTERPRISE]["department"], "Ops", "{u}");
    let r = rest_user(&srv, &root, &c, &ann).await;
    assert_eq!(
        (r["firstName"].clone(), r["department"].clone()),
        (json!("Anna"), json!("Ops"))
    );

    // Paths, several operations in order, case-insensitive names.
    let u = patched(
        &srv,
        &token,
        &ann,
        json!([
            {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0199"},
            {"op": "replace", "path": "NAME.FAMILYNAME", "value": "Leigh"},
            {"op": "add", "path": "externalId", "value": "okta-9"},
            {"op": "add", "path": "title", "value": "ignored"},
        ]),
    )
    .await;
    assert_eq!(
        u["phoneNumbers"],
        json!([{"type": "work", "value": "+15550199"}]),
        "{u}"
    );
    assert_eq!(u["name"]["familyName"], "Leigh");
    assert_eq!(u["externalId"], "okta-9");
    assert!(u.get("title").is_none(), "{u}");
    assert_rest_field(&srv, &root, &c, &ann, "phoneNumber", "+15550199").await;

    // Removes.
    let u = patched(
        &srv,
        &token,
        &ann,
        json!([
            {"op": "remove", "path": "name.familyName"},
            {"op": "remove", "path": enterprise("department")},
            {"op": "remove", "path": "phoneNumbers[type eq \"work\"]"},
        ]),
    )
    .await;
    assert_eq!(u["name"], json!({"givenName": "Anna"}), "{u}");
    assert!(u.get(ENTERPRISE).is_none(), "{u}");
    assert!(u.get("phoneNumbers").is_none(), "{u}");
    let r = rest_user(&srv, &root, &c, &ann).await;
    assert_eq!(
        texts(&r, &["lastName", "department", "phoneNumber"]),
        vec!["", "", ""],
        "{r}"
    );

    // The userName (the email) itself.
    let u = patched(&srv, &token, &ann, replace_op("userName", "anna@habits.io")).await;
    assert_eq!(u["userName"], "anna@habits.io");
    assert_rest_field(&srv, &root, &c, &ann, "email", "anna@habits.io").await;

    // Refused: read-only attributes, malformed messages. Nothing changes.
    let before = get_user(&srv, &token, &ann).await;
    for (ops, kind) in [
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            "mutability",
        ),
        (
            json!([{"op": "replace", "value": {"id": "x"}}]),
            "mutability",
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            "mutability",
        ),
        (
            json!([{"op": "move", "path": "userName", "value": "x"}]),
            "invalidSyntax",
        ),
        (json!([]), "invalidSyntax"),
        (json!([{"op": "add", "path": "userName"}]), "invalidValue"),
        (json!([{"op": "remove"}]), "noTarget"),
        (
            json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "emails[value eq \"none@x.io\"].value", "value": "y@x.io"}]),
            "noTarget",
        ),
    ] {
        let (s, b) = patch_user(&srv, &token, &ann, ops.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{ops}: {b}");
        scim_error(s, &b, StatusCode::BAD_REQUEST, Some(kind));
    }
    // A message without its schemas.
    let (s, b) = scim(
        &srv,
        Method::PATCH,
        &format!("/Users/{ann}"),
        &token,
        Some(json!({"Operations": [{"op": "replace", "path": "active", "value": false}]})),
    )
    .await;
    scim_error(s, &b, StatusCode::BAD_REQUEST, Some("invalidSyntax"));
    assert_eq!(get_user(&srv, &token, &ann).await, before);
    not_found(patch_user(&srv, &token, "no-such-user", replace_op("active", false)).await);
}

async fn patch_emails_and_manager(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Managers", json!({})).await;
    let work_email = "emails[type eq \"work\"].value";

    // userName not an email: the work email is the user's email, and a PATCH of it changes it.
    let cy = create_user(
        &srv,
        &token,
        json!({
            "schemas": [USER], "userName": "cy.ong", "name": {"givenName": "Cy"},
            "emails": [{"value": "cy@managers.io", "type": "work", "primary": true}],
        }),
    )
    .await;
    let u = patched(
        &srv,
        &token,
        &cy,
        replace_op(work_email, "cy.ong@managers.io"),
    )
    .await;
    assert_eq!(u["userName"], "cy.ong", "{u}");
    assert_eq!(u["emails"][0]["value"], "cy.ong@managers.io", "{u}");
    assert_rest_field(&srv, &root, &c, &cy, "email", "cy.ong@managers.io").await;
    assert_users(&srv, &token, "userName eq \"cy.ong\"", &[&cy]).await;
    let by_work_email = format!("{work_email} eq \"cy.ong@managers.io\"");
    assert_users(&srv, &token, &by_work_email, &[&cy]).await;
    assert_users(&srv, &token, "emails.value eq \"cy@managers.io\"", &[]).await;

    // userName an email: it stays the user's email whatever the work email says.
    let ann = create_user(&srv, &token, user("ann@managers.io", "Ann", "Lee")).await;
    let u = patched(
        &srv,
        &token,
        &ann,
        replace_op(work_email, "ann.lee@managers.io"),
    )
    .await;
    assert_eq!(u["userName"], "ann@managers.io", "{u}");
    assert_rest_field(&srv, &root, &c, &ann, "email", "ann@managers.io").await;
    assert_users(&srv, &token, "userName eq \"ann@managers.io\"", &[&ann]).await;

    // The manager as Entra ID sends it: a bare id.
    let manager = enterprise("manager");
    let mona = create_user(&srv, &token, user("mona@managers.io", "Mona", "Boss")).await;
    let max = create_user(&srv, &token, user("max@managers.io", "Max", "Chief")).await;
    let u = patched(&srv, &token, &ann, replace_op(&manager, mona.as_str())).await;
    let m = &u[ENTERPRISE]["manager"];
    assert_eq!(m["value"], mona, "{u}");
    assert_eq!(m["displayName"], "Mona Boss", "{u}");
    assert_ref(m, &format!("/Users/{mona}"), &u);
    assert!(u["schemas"]
        .as_array()
        .expect("schemas")
        .contains(&json!(ENTERPRISE)));
    let r = rest_user(&srv, &root, &c, &ann).await;
    assert_eq!(r["managerEmail"], "mona@managers.io", "{r}");
    assert_eq!(r["managerFullName"], "Mona Boss", "{r}");
    // As the schema has it: {"value": id}.
    let u = patched(
        &srv,
        &token,
        &ann,
        replace_op(&manager, json!({"value": max})),
    )
    .await;
    assert_eq!(u[ENTERPRISE]["manager"]["value"], max, "{u}");
    assert_eq!(u[ENTERPRISE]["manager"]["displayName"], "Max Chief", "{u}");
    assert_rest_field(&srv, &root, &c, &ann, "managerEmail", "max@managers.io").await;
    // A manager that is not a user of the company is refused; the old one stays.
    refused(
        patch_user(&srv, &token, &ann, replace_op(&manager, "nobody")).await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    );
    assert_rest_field(&srv, &root, &c, &ann, "managerEmail", "max@managers.io").await;
    // Removed.
    let u = patched(&srv, &token, &ann, remove_op(&manager)).await;
    assert!(u.get(ENTERPRISE).is_none(), "{u}");
    let r = rest_user(&srv, &root, &c, &ann).await;
    assert_eq!(
        texts(&r, &["managerEmail", "managerFullName"]),
        vec!["", ""],
        "{r}"
    );
}

/// A user whose provider never sent `emails` shows the default list, built from its email:
/// after a PATCH of its userName (its email) that list must name the new address.
async fn default_emails_follow_a_patched_user_name(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Follow", json!({})).await;
    let ann = create_user(&srv, &token, user("ann@follow.io", "Ann", "Lee")).await;
    let u = patched(&srv, &token, &ann, replace_op("userName", "anna@follow.io")).await;
    assert_eq!(u["userName"], "anna@follow.io", "{u}");
    assert_rest_field(&srv, &root, &c, &ann, "email", "anna@follow.io").await;
    assert_eq!(
        u["emails"],
        json!([{"value": "anna@follow.io", "type": "work", "primary": true}]),
        "the default list follows the email: {u}"
    );
}

async fn integration_group_and_department_groups(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let c = company(&srv, &root, "Grouping").await;
    let everyone = create_rest_group(&srv, &root, &c, "Everyone SCIM").await;
    let (_, token) = integration(
        &srv,
        &root,
        &c,
        json!({"groupResourceId": everyone, "groupBySCIMFieldResourceId": DEPARTMENT_FIELD}),
    )
    .await;
    let in_dept = |email: &str, dept: &str| {
        json!({
            "schemas": [USER, ENTERPRISE], "userName": email,
            "name": {"givenName": "F", "familyName": "L"},
            ENTERPRISE: {"department": dept},
        })
    };
    let department = enterprise("department");
    let ann = create_user(&srv, &token, in_dept("ann@grouping.io", "Sales")).await;
    let bo = create_user(&srv, &token, in_dept("bo@grouping.io", "sales")).await;
    let cy = create_user(&srv, &token, in_dept("cy@grouping.io", "Support")).await;
    let dee = create_user(&srv, &token, user("dee@grouping.io", "Dee", "Lee")).await;

    // Everyone joins the integration's group; each user the group of its department (made
    // when missing, one per department in any case).
    assert_rest_groups(
        &srv,
        &root,
        &c,
        &[("Everyone SCIM", 4), ("Sales", 2), ("Support", 1)],
    )
    .await;
    assert_user_groups(&srv, &token, &ann, &["Everyone SCIM", "Sales"]).await;
    assert_user_groups(&srv, &token, &dee, &["Everyone SCIM"]).await;
    let u = get_user(&srv, &token, &cy).await;
    let support = u["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["display"] == "Support")
        .cloned()
        .expect("Support");
    let support_id = support["value"].as_str().expect("value").to_owned();
    assert_ref(&support, &format!("/Groups/{support_id}"), &support);
    // The department groups are Groups for the provider too.
    assert_members(&srv, &token, &support_id, &[&cy]).await;

    // A new department moves the user: PATCH, PUT, and a department cleared.
    patched(&srv, &token, &ann, replace_op(&department, "Support")).await;
    let (s, b) = put_user(&srv, &token, &bo, in_dept("bo@grouping.io", "Legal")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(group_names(&b), vec!["Everyone SCIM", "Legal"]);
    assert_rest_groups(
        &srv,
        &root,
        &c,
        &[
            ("Everyone SCIM", 4),
            ("Legal", 1),
            ("Sales", 0),
            ("Support", 2),
        ],
    )
    .await;
    patched(&srv, &token, &cy, remove_op(&department)).await;
    assert_user_groups(&srv, &token, &cy, &["Everyone SCIM"]).await;
    assert_eq!(rest_count(&srv, &root, &c, "Support").await, Some(1));
    assert_members(&srv, &token, &support_id, &[&ann]).await;

    // A deleted user leaves its groups; a revived one joins them again.
    delete_ok(&srv, &token, &format!("/Users/{ann}")).await;
    assert_eq!(rest_count(&srv, &root, &c, "Everyone SCIM").await, Some(3));
    assert_eq!(rest_count(&srv, &root, &c, "Support").await, Some(0));
    let (s, b) = post_user(&srv, &token, in_dept("ann@grouping.io", "Sales")).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["id"], ann);
    assert_eq!(group_names(&b), vec!["Everyone SCIM", "Sales"]);
    assert_eq!(rest_count(&srv, &root, &c, "Everyone SCIM").await, Some(4));
    assert_eq!(rest_count(&srv, &root, &c, "Sales").await, Some(1));
}

/// A department naming a group the company already had: the user joins it, and a later
/// department must move the user out of it again, as it does for the groups the integration
/// made.
async fn department_move_leaves_a_group_found_by_name(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let c = company(&srv, &root, "Named").await;
    create_rest_group(&srv, &root, &c, "Marketing").await;
    let (_, token) = integration(
        &srv,
        &root,
        &c,
        json!({"groupBySCIMFieldResourceId": DEPARTMENT_FIELD}),
    )
    .await;
    let ann = create_user(
        &srv,
        &token,
        json!({"schemas": [USER, ENTERPRISE], "userName": "ann@named.io",
               ENTERPRISE: {"department": "marketing"}}),
    )
    .await;
    assert_eq!(rest_count(&srv, &root, &c, "Marketing").await, Some(1));
    let u = patched(
        &srv,
        &token,
        &ann,
        replace_op(&enterprise("department"), "Sales"),
    )
    .await;
    assert_eq!(group_names(&u), vec!["Sales"], "{u}");
    assert_eq!(rest_count(&srv, &root, &c, "Marketing").await, Some(0));
}

async fn mapped_attributes_fill_custom_fields(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let c = company(&srv, &root, "Mapped").await;
    let (s, b) = srv.get("/api/scim/fields", &root, &[]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let fields = b["data"]["fields"].as_array().expect("fields");
    for (id, path) in [
        (TITLE_FIELD, "title".to_owned()),
        (EMPLOYEE_NUMBER_FIELD, enterprise("employeeNumber")),
        (DEPARTMENT_FIELD, enterprise("department")),
    ] {
        assert!(
            fields
                .iter()
                .any(|f| f["resourceId"] == id && f["name"] == path),
            "{id} {path}: {b}"
        );
    }
    let mut defs = Vec::new();
    for (name, ty) in [("Job Title", "String"), ("Employee No", "Number")] {
        let (s, b) = srv
            .post(
                "/api/custom-fields",
                &root,
                json!({"name": name, "fieldDataType": ty}),
                &[(SCOPE, c.as_str())],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        defs.push(b["data"]["resourceId"].as_str().expect("id").to_owned());
    }
    let (_, token) = integration(
        &srv,
        &root,
        &c,
        json!({"fieldMappings": [
            {"customFieldResourceId": defs[0], "scimFieldResourceId": TITLE_FIELD},
            {"customFieldResourceId": defs[1], "scimFieldResourceId": EMPLOYEE_NUMBER_FIELD},
        ]}),
    )
    .await;
    let values = |r: &Value| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = r["customFieldValues"]
            .as_array()
            .expect("customFieldValues")
            .iter()
            .filter(|v| v["value"].as_str().is_some_and(|s| !s.is_empty()))
            .map(|v| {
                (
                    v["name"].as_str().expect("name").to_owned(),
                    v["value"].as_str().expect("value").to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let pair = |a: &str, b: &str| (a.to_owned(), b.to_owned());

    let ann = create_user(
        &srv,
        &token,
        json!({
            "schemas": [USER, ENTERPRISE], "userName": "ann@mapped.io",
            "title": "Engineer", ENTERPRISE: {"employeeNumber": "701"},
        }),
    )
    .await;
    let u = get_user(&srv, &token, &ann).await;
    assert_eq!(u["title"], "Engineer", "{u}");
    assert_eq!(u[ENTERPRISE]["employeeNumber"], "701", "{u}");
    assert_eq!(
        values(&rest_user(&srv, &root, &c, &ann).await),
        vec![pair("Employee No", "701"), pair("Job Title", "Engineer")]
    );
    // The User schema now names title; the extension, employeeNumber.
    let (_, us) = scim_get(&srv, &token, &format!("/Schemas/{USER}")).await;
    assert!(
        us["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .any(|a| a["name"] == "title"),
        "{us}"
    );

    // PATCH and removal move the custom values.
    let u = patched(
        &srv,
        &token,
        &ann,
        json!([
            {"op": "replace", "path": "title", "value": "Lead Engineer"},
            {"op": "replace", "value": {enterprise("employeeNumber"): 702}},
        ]),
    )
    .await;
    assert_eq!(u["title"], "Lead Engineer", "{u}");
    assert_eq!(
        values(&rest_user(&srv, &root, &c, &ann).await),
        vec![
            pair("Employee No", "702"),
            pair("Job Title", "Lead Engineer")
        ]
    );
    let u = patched(&srv, &token, &ann, remove_op("title")).await;
    assert!(u.get("title").is_none(), "{u}");
    assert_eq!(
        values(&rest_user(&srv, &root, &c, &ann).await),
        vec![pair("Employee No", "702")]
    );

    // A Number field takes numbers only: the whole write is refused.
    let bo = json!({"schemas": [USER, ENTERPRISE], "userName": "bo@mapped.io",
                    ENTERPRISE: {"employeeNumber": "E-17"}});
    refused(
        post_user(&srv, &token, bo).await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    );
    assert_users(&srv, &token, "userName eq \"bo@mapped.io\"", &[]).await;
    refused(
        patch_user(
            &srv,
            &token,
            &ann,
            replace_op(&enterprise("employeeNumber"), "seven"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    );
    assert_eq!(
        values(&rest_user(&srv, &root, &c, &ann).await),
        vec![pair("Employee No", "702")]
    );
}

async fn group_lifecycle(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Groups", json!({})).await;
    let ann = create_user(&srv, &token, user("ann@groups.io", "Ann", "Lee")).await;
    let bo = create_user(&srv, &token, user("bo@groups.io", "Bo", "Ng")).await;
    let cy = create_user(&srv, &token, user("cy@groups.io", "Cy", "Ong")).await;

    let (s, h, g) = raw(
        &srv,
        Method::POST,
        "/scim/v2/Groups",
        Some(&token),
        Some(json!({
            "schemas": [GROUP], "displayName": "Sales Team", "externalId": "okta-g1",
            "members": [{"value": ann}, {"value": bo}],
        })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let sales = g["id"].as_str().expect("id").to_owned();
    assert_eq!(
        header(&h, LOCATION),
        g["meta"]["location"].as_str().expect("location")
    );
    assert!(header(&h, LOCATION).ends_with(&format!("/Groups/{sales}")));
    assert_eq!(g["schemas"], json!([GROUP]));
    assert_eq!(g["displayName"], "Sales Team");
    assert_eq!(g["externalId"], "okta-g1");
    assert_eq!(g["meta"]["resourceType"], "Group");
    let rendered = g["members"].as_array().expect("members");
    assert_eq!(rendered.len(), 2, "{g}");
    for m in rendered {
        let id = m["value"].as_str().expect("value");
        assert!(id == ann || id == bo, "{m}");
        assert_eq!(m["type"], "User", "{m}");
        assert_ref(m, &format!("/Users/{id}"), m);
        assert!(m.get("display").is_none(), "members carry no display: {m}");
    }
    assert_eq!(rest_count(&srv, &root, &c, "Sales Team").await, Some(2));
    assert_user_groups(&srv, &token, &ann, &["Sales Team"]).await;

    // Names are unique in any case, REST-made groups included.
    let finance = create_rest_group(&srv, &root, &c, "Finance").await;
    for taken in ["SALES team", "finance"] {
        refused(
            post_group(
                &srv,
                &token,
                json!({"schemas": [GROUP], "displayName": taken}),
            )
            .await,
            StatusCode::CONFLICT,
            Some("uniqueness"),
        );
    }
    // Members must be live users of the company; a name is required.
    delete_ok(&srv, &token, &format!("/Users/{cy}")).await;
    for bad in [
        json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": "nobody"}]}),
        json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": ann}, {"value": cy}]}),
        json!({"schemas": [GROUP], "displayName": "   "}),
        json!({"schemas": [GROUP], "displayName": "x".repeat(65)}),
    ] {
        refused(
            post_group(&srv, &token, bad).await,
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
        );
    }
    assert_eq!(
        rest_count(&srv, &root, &c, "Ops").await,
        None,
        "nothing made"
    );

    // Filters.
    let ops = create_group(
        &srv,
        &token,
        json!({"schemas": [GROUP], "displayName": "Ops", "members": [{"value": bo}]}),
    )
    .await;
    for (filter, want) in [
        ("displayName eq \"sales team\"".to_owned(), vec![&sales]),
        ("DISPLAYNAME SW \"f\"".to_owned(), vec![&finance]),
        ("externalId eq \"okta-g1\"".to_owned(), vec![&sales]),
        ("externalId eq \"OKTA-G1\"".to_owned(), vec![]),
        (format!("id eq \"{ops}\""), vec![&ops]),
        (format!("members.value eq \"{bo}\""), vec![&sales, &ops]),
        (format!("members[value eq \"{ann}\"]"), vec![&sales]),
        ("members pr".to_owned(), vec![&sales, &ops]),
        (
            "not (displayName eq \"Ops\")".to_owned(),
            vec![&sales, &finance],
        ),
    ] {
        assert_groups(&srv, &token, &filter, &want).await;
    }
    let unknown = query(&[("filter", "description eq \"x\"")]);
    refused(
        scim_get(&srv, &token, &format!("/Groups?{unknown}")).await,
        StatusCode::BAD_REQUEST,
        Some("invalidFilter"),
    );
    // excludedAttributes=members, as Entra ID reads groups.
    let q = query(&[
        ("filter", "displayName eq \"Sales Team\""),
        ("excludedAttributes", "members"),
    ]);
    let b = get_ok(&srv, &token, &format!("/Groups?{q}")).await;
    assert_eq!(b["totalResults"], 1);
    let row = &b["Resources"][0];
    assert!(row.get("members").is_none(), "{b}");
    assert_eq!(row["displayName"], "Sales Team");
    assert_eq!(row["id"], sales);

    // PUT replaces name, externalId and members.
    let (s, b) = put_group(
        &srv,
        &token,
        &sales,
        json!({"schemas": [GROUP], "displayName": "Sales EMEA", "members": [{"value": bo}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["displayName"], "Sales EMEA");
    assert!(b.get("externalId").is_none(), "{b}");
    assert_members(&srv, &token, &sales, &[&bo]).await;
    assert_eq!(rest_count(&srv, &root, &c, "Sales EMEA").await, Some(1));
    assert_eq!(rest_count(&srv, &root, &c, "Sales Team").await, None);
    refused(
        put_group(
            &srv,
            &token,
            &sales,
            json!({"schemas": [GROUP], "displayName": "Ops"}),
        )
        .await,
        StatusCode::CONFLICT,
        Some("uniqueness"),
    );
    assert_members(&srv, &token, &sales, &[&bo]).await;

    // DELETE: the group goes, its users stay.
    delete_ok(&srv, &token, &format!("/Groups/{sales}")).await;
    assert_gone(
        &srv,
        &token,
        &format!("/Groups/{sales}"),
        add_members_op(&[&ann]),
        None,
    )
    .await;
    assert_user_groups(&srv, &token, &bo, &["Ops"]).await;
    assert_user_total(&srv, &token, 2).await;
    assert_rest_groups(&srv, &root, &c, &[("Finance", 0), ("Ops", 1)]).await;
}

async fn group_patch_operations(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Patches", json!({})).await;
    let u = create_users(&srv, &token, 6, |i| {
        user(&format!("u{i}@patches.io"), "U", &format!("{i}"))
    })
    .await;
    let g = create_group(
        &srv,
        &token,
        json!({"schemas": [GROUP], "displayName": "Team"}),
    )
    .await;
    assert!(members(&srv, &token, &g).await.is_empty());

    // Add (a member twice is one membership).
    group_patched(
        &srv,
        &token,
        &g,
        json!([{"op": "Add", "path": "members", "value": members_of(&[&u[0], &u[1], &u[2], &u[0]])}]),
    )
    .await;
    assert_members(&srv, &token, &g, &[&u[0], &u[1], &u[2]]).await;
    assert_eq!(rest_count(&srv, &root, &c, "Team").await, Some(3));
    // Adding a member again changes nothing.
    group_patched(&srv, &token, &g, add_members_op(&[&u[1], &u[3]])).await;
    assert_eq!(rest_count(&srv, &root, &c, "Team").await, Some(4));
    // Remove one by filter.
    let by_filter = format!("members[value eq \"{}\"]", u[0]);
    group_patched(&srv, &token, &g, remove_op(&by_filter)).await;
    assert_members(&srv, &token, &g, &[&u[1], &u[2], &u[3]]).await;
    // Remove those listed in the value (Entra ID); one that is not a member is no error.
    group_patched(&srv, &token, &g, remove_members_op(&[&u[1], &u[5]])).await;
    assert_members(&srv, &token, &g, &[&u[2], &u[3]]).await;
    assert_eq!(rest_count(&srv, &root, &c, "Team").await, Some(2));
    // Replace members.
    let three = members_of(&[&u[3], &u[4], &u[5]]);
    group_patched(&srv, &token, &g, replace_op("members", three)).await;
    assert_members(&srv, &token, &g, &[&u[3], &u[4], &u[5]]).await;
    assert_eq!(rest_count(&srv, &root, &c, "Team").await, Some(3));
    // Several operations in one message apply in order.
    group_patched(
        &srv,
        &token,
        &g,
        json!([
            {"op": "remove", "path": "members", "value": [{"value": u[3]}]},
            {"op": "add", "path": "members", "value": [{"value": u[0]}, {"value": u[3]}]},
            {"op": "remove", "path": format!("members[value eq \"{}\" or value eq \"{}\"]", u[4], u[0])},
        ]),
    )
    .await;
    assert_members(&srv, &token, &g, &[&u[3], &u[5]]).await;

    // Rename: by path, and path-less as Entra ID sends it.
    group_patched(&srv, &token, &g, replace_op("displayName", "Team Blue")).await;
    assert_eq!(rest_count(&srv, &root, &c, "Team Blue").await, Some(2));
    group_patched(
        &srv,
        &token,
        &g,
        json!([{"op": "Replace", "value": {"displayName": "Team Red", "externalId": "ent-7"}}]),
    )
    .await;
    assert_groups(&srv, &token, "externalId eq \"ent-7\"", &[&g]).await;
    // With `attributes`, the reply is 200 with the group.
    let (s, b) = scim_patch(
        &srv,
        &token,
        &format!("/Groups/{g}?attributes=displayName,members"),
        add_members_op(&[&u[1]]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["displayName"], "Team Red");
    assert_eq!(b["id"], g);
    assert_eq!(b["members"].as_array().map(Vec::len), Some(3), "{b}");
    assert!(b.get("meta").is_none(), "{b}");
    assert_user_groups(&srv, &token, &u[1], &["Team Red"]).await;

    // Refused, and nothing changes.
    let other = create_group(
        &srv,
        &token,
        json!({"schemas": [GROUP], "displayName": "Other"}),
    )
    .await;
    let before = members(&srv, &token, &g).await;
    for (ops, status, kind) in [
        (
            json!([{"op": "replace", "path": "displayName", "value": "other"}]),
            StatusCode::CONFLICT,
            "uniqueness",
        ),
        (
            json!([{"op": "remove", "path": "displayName"}]),
            StatusCode::BAD_REQUEST,
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            StatusCode::BAD_REQUEST,
            "mutability",
        ),
        (
            json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]),
            StatusCode::BAD_REQUEST,
            "invalidValue",
        ),
        (
            json!([{"op": "add", "path": "members[value eq \"x\"]", "value": "x"}]),
            StatusCode::BAD_REQUEST,
            "invalidPath",
        ),
        (
            json!([{"op": "add", "path": "owners", "value": "x"}]),
            StatusCode::BAD_REQUEST,
            "invalidPath",
        ),
        (
            json!([{"op": "remove", "path": "members[display eq \"U\"]"}]),
            StatusCode::BAD_REQUEST,
            "invalidFilter",
        ),
        (
            json!([
                {"op": "add", "path": "members", "value": [{"value": u[0]}]},
                {"op": "add", "path": "members", "value": [{"value": "nobody"}]},
            ]),
            StatusCode::BAD_REQUEST,
            "invalidValue",
        ),
    ] {
        let (s, b) = patch_group(&srv, &token, &g, ops.clone()).await;
        assert_eq!(s, status, "{ops}: {b}");
        scim_error(s, &b, status, Some(kind));
    }
    assert_members(&srv, &token, &g, &before).await;
    assert_eq!(rest_count(&srv, &root, &c, "Team Red").await, Some(3));
    assert_eq!(rest_count(&srv, &root, &c, "Other").await, Some(0));
    assert!(members(&srv, &token, &other).await.is_empty());

    // A rename that changes only the case is no conflict with the group itself; path-less
    // members replace the list.
    group_patched(
        &srv,
        &token,
        &g,
        json!([{"op": "replace", "value": {"displayName": "TEAM RED", "members": [{"value": u[0]}, {"value": u[1]}]}}]),
    )
    .await;
    assert_members(&srv, &token, &g, &[&u[0], &u[1]]).await;
    assert_eq!(rest_count(&srv, &root, &c, "TEAM RED").await, Some(2));

    // Remove all.
    group_patched(&srv, &token, &g, remove_op("members")).await;
    assert!(members(&srv, &token, &g).await.is_empty());
    assert_eq!(rest_count(&srv, &root, &c, "TEAM RED").await, Some(0));
    // The users stay.
    assert_user_total(&srv, &token, 6).await;
}

async fn one_patch_adds_and_removes_thousands(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let c = srv
        .create_company(&root, None, json!({"name": "Big"}))
        .await;
    let (_, token) = integration(&srv, &root, &c, json!({})).await;
    const N: usize = 2000;
    let started = std::time::Instant::now();
    let mut all: Vec<String> = Vec::with_capacity(N);
    let emails: Vec<String> = (0..N).map(|i| format!("user{i:04}@big.io")).collect();
    for batch in emails.chunks(50) {
        let made = futures::future::join_all(batch.iter().map(|e| {
            srv.create_user(
                &root,
                &c,
                json!({"email": e, "firstName": "Big", "lastName": "User"}),
            )
        }))
        .await;
        all.extend(made);
    }
    let loaded = started.elapsed();
    let (_, b) = scim_get(&srv, &token, "/Users?count=1").await;
    assert_eq!(b["totalResults"], N, "{b}");
    // A page holds at most ServiceProviderConfig's maxResults.
    let (_, b) = scim_get(&srv, &token, "/Users?count=5000&attributes=id").await;
    assert_eq!(
        (b["totalResults"].clone(), b["itemsPerPage"].clone()),
        (json!(N), json!(1000))
    );

    let g = create_group(
        &srv,
        &token,
        json!({"schemas": [GROUP], "displayName": "Everyone"}),
    )
    .await;
    let refs: Vec<&String> = all.iter().collect();
    let t = std::time::Instant::now();
    group_patched(&srv, &token, &g, add_members_op(&refs)).await;
    let add_time = t.elapsed();
    assert_eq!(
        rest_count(&srv, &root, &c, "Everyone").await,
        Some(N as i64)
    );
    assert_members(&srv, &token, &g, &all).await;
    let has_last = format!("members.value eq \"{}\"", all[N - 1]);
    assert_groups(&srv, &token, &has_last, &[&g]).await;

    // Remove every other user in one PATCH.
    let gone: Vec<&String> = all.iter().step_by(2).collect();
    let kept: Vec<String> = all.iter().skip(1).step_by(2).cloned().collect();
    assert_eq!((gone.len(), kept.len()), (N / 2, N / 2));
    let t = std::time::Instant::now();
    group_patched(&srv, &token, &g, remove_members_op(&gone)).await;
    let remove_time = t.elapsed();
    assert_eq!(
        rest_count(&srv, &root, &c, "Everyone").await,
        Some((N / 2) as i64)
    );
    assert_members(&srv, &token, &g, &kept).await;
    let has_first = format!("members.value eq \"{}\"", all[0]);
    assert_groups(&srv, &token, &has_first, &[]).await;
    eprintln!(
        "{engine:?}: {N} users in {loaded:?}; add {add_time:?}; remove {remove_time:?}; total {:?}",
        started.elapsed()
    );
}

/// Providers retry and run requests in parallel: the same user or group sent at once is made
/// once (the others are told it exists), and parallel member changes all land.
async fn concurrent_writes_stay_consistent(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Parallel", json!({})).await;
    let body = user("same@parallel.io", "Same", "User");
    let made = created_once(&srv, &token, "/Users", body).await;
    let same = made["id"].as_str().expect("id").to_owned();
    assert_users(&srv, &token, "userName eq \"same@parallel.io\"", &[&same]).await;

    let group = json!({"schemas": [GROUP], "displayName": "Parallel Team"});
    let made = created_once(&srv, &token, "/Groups", group).await;
    let g = made["id"].as_str().expect("id").to_owned();

    let users = create_users(&srv, &token, 20, |i| {
        user(&format!("p{i}@parallel.io"), "P", "Q")
    })
    .await;
    let adds = users.iter().map(|u| add_members_op(&[u]));
    patch_group_at_once(&srv, &token, &g, adds).await;
    assert_members(&srv, &token, &g, &users).await;
    assert_eq!(rest_count(&srv, &root, &c, "Parallel Team").await, Some(20));
    let removes = users
        .iter()
        .take(10)
        .map(|u| remove_op(&format!("members[value eq \"{u}\"]")));
    patch_group_at_once(&srv, &token, &g, removes).await;
    assert_members(&srv, &token, &g, &users[10..]).await;
    assert_eq!(rest_count(&srv, &root, &c, "Parallel Team").await, Some(10));
}

async fn companies_are_isolated(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (_, _, a) = setup(&srv, &root, "Alpha", json!({})).await;
    let (_, _, b_token) = setup(&srv, &root, "Beta", json!({})).await;
    let ann_a = create_user(&srv, &a, user("ann@shared.io", "Ann", "Alpha")).await;
    let bo_b = create_user(&srv, &b_token, user("bo@beta.io", "Bo", "Beta")).await;
    let g_b = create_group(
        &srv,
        &b_token,
        json!({"schemas": [GROUP], "displayName": "Beta Team", "members": [{"value": bo_b}]}),
    )
    .await;

    // A's token never sees or touches B's users and groups.
    assert_gone(
        &srv,
        &a,
        &format!("/Users/{bo_b}"),
        replace_op("active", false),
        Some(user("bo@beta.io", "X", "Y")),
    )
    .await;
    assert_users(&srv, &a, "userName eq \"bo@beta.io\"", &[]).await;
    assert_users(&srv, &a, &format!("id eq \"{bo_b}\""), &[]).await;
    assert_users(&srv, &a, "", &[&ann_a]).await;
    assert_gone(
        &srv,
        &a,
        &format!("/Groups/{g_b}"),
        remove_op("members"),
        None,
    )
    .await;
    assert_groups(&srv, &a, "displayName eq \"Beta Team\"", &[]).await;
    assert_groups(&srv, &a, &format!("members.value eq \"{bo_b}\""), &[]).await;
    // B's user cannot be a member of A's group, nor A's manager.
    refused(
        post_group(
            &srv,
            &a,
            json!({"schemas": [GROUP], "displayName": "Alpha Team", "members": [{"value": bo_b}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    );
    refused(
        patch_user(
            &srv,
            &a,
            &ann_a,
            replace_op(&enterprise("manager"), bo_b.as_str()),
        )
        .await,
        StatusCode::BAD_REQUEST,
        Some("invalidValue"),
    );
    // The same name and email are free in the other company.
    let group_a = create_group(
        &srv,
        &a,
        json!({"schemas": [GROUP], "displayName": "beta team"}),
    )
    .await;
    assert_ne!(group_a, g_b);
    let ann_b = create_user(&srv, &b_token, user("ann@shared.io", "Ann", "Beta")).await;
    assert_ne!(ann_a, ann_b);

    // B's data is as B left it.
    let bo = get_user(&srv, &b_token, &bo_b).await;
    assert_eq!(bo["active"], true);
    assert_eq!(bo["name"]["givenName"], "Bo");
    assert_members(&srv, &b_token, &g_b, &[&bo_b]).await;
    assert_eq!(
        get_user(&srv, &a, &ann_a).await["name"]["familyName"],
        "Alpha"
    );
}

async fn rest_users_are_claimed(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Claim", json!({})).await;
    let ann = srv
        .create_user(
            &root,
            &c,
            json!({"email": "ann@claim.io", "firstName": "Ann", "lastName": "Lee",
                   "department": "Sales", "priority": "High"}),
        )
        .await;
    let bo = srv
        .create_user(
            &root,
            &c,
            json!({"email": "bo@claim.io", "firstName": "Bo"}),
        )
        .await;

    // A provider looking for the user finds it.
    assert_users(&srv, &token, "userName eq \"Ann@Claim.io\"", &[&ann]).await;
    let u = get_user(&srv, &token, &ann).await;
    assert_eq!(u["userName"], "ann@claim.io");
    assert_eq!(u["name"], json!({"givenName": "Ann", "familyName": "Lee"}));
    assert_eq!(u[ENTERPRISE]["department"], "Sales");
    assert!(u.get("externalId").is_none(), "{u}");
    // POST of its email is a conflict naming it: the provider then claims it.
    refused(
        post_user(&srv, &token, user("ann@claim.io", "Ann", "Lee")).await,
        StatusCode::CONFLICT,
        Some("uniqueness"),
    );

    let (s, b) = put_user(
        &srv,
        &token,
        &ann,
        json!({
            "schemas": [USER, ENTERPRISE], "userName": "ann@claim.io", "externalId": "entra-ann",
            "name": {"givenName": "Ann", "familyName": "Lee-Smith"},
            ENTERPRISE: {"department": "Sales"},
        }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_users(&srv, &token, "externalId eq \"entra-ann\"", &[&ann]).await;
    let r = rest_user(&srv, &root, &c, &ann).await;
    assert_eq!(r["lastName"], "Lee-Smith");
    // What SCIM does not carry keeps its value.
    assert_eq!(r["priority"], "High", "{r}");
    let u = patched(
        &srv,
        &token,
        &bo,
        json!([{"op": "add", "value": {"name.familyName": "Ng", "externalId": "entra-bo"}}]),
    )
    .await;
    assert_eq!(u["name"], json!({"givenName": "Bo", "familyName": "Ng"}));
    assert_rest_field(&srv, &root, &c, &bo, "lastName", "Ng").await;

    // A REST delete is a SCIM delete, and a REST change shows through SCIM.
    let (s, b) = srv
        .delete(
            &format!("/api/target-users/{bo}"),
            &root,
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    not_found(scim_get(&srv, &token, &format!("/Users/{bo}")).await);
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{ann}"),
            &root,
            json!({"isActive": false}),
            &[(SCOPE, c.as_str())],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let u = get_user(&srv, &token, &ann).await;
    assert_eq!(u["active"], false, "{u}");
    assert_eq!(u["externalId"], "entra-ann", "{u}");
}

async fn token_lifecycle(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, id, old) = setup(&srv, &root, "Rotate", json!({})).await;
    let scope = [(SCOPE, c.as_str())];
    let ann = create_user(&srv, &old, user("ann@rotate.io", "Ann", "Lee")).await;

    let (s, b) = revoke(&srv, &root, &c, &id).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let new = b["data"]["results"][0]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(b["data"]["results"][0]["resourceId"], id);
    let unauthorized = StatusCode::UNAUTHORIZED;
    refused(scim_get(&srv, &old, "/Users").await, unauthorized, None);
    let b = get_ok(&srv, &new, "/Users").await;
    assert_eq!(ids_of(&b, "new token"), vec![ann.clone()]);
    let bo = create_user(&srv, &new, user("bo@rotate.io", "Bo", "Ng")).await;

    // A second integration of the company sees the same directory.
    let (other_id, other) = integration(&srv, &root, &c, json!({"name": "Okta"})).await;
    assert_users(&srv, &other, "", &[&ann, &bo]).await;

    // Deleting an integration stops its token at once; its users stay.
    let (s, b) = srv.delete(&format!("/api/scim/{id}"), &root, &scope).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    refused(scim_get(&srv, &new, "/Users").await, unauthorized, None);
    let (s, b) = revoke(&srv, &root, &c, &id).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    for u in [&ann, &bo] {
        assert_rest_field(&srv, &root, &c, u, "isDeleted", false).await;
    }
    assert_users(&srv, &other, "", &[&ann, &bo]).await;
    let (s, _) = srv
        .delete(&format!("/api/scim/{other_id}"), &root, &scope)
        .await;
    assert_eq!(s, StatusCode::OK);
    refused(scim_get(&srv, &other, "/Users").await, unauthorized, None);
}

async fn inactive_company_is_forbidden(engine: Engine) {
    let Some((srv, root)) = start(engine).await else {
        return;
    };
    let (c, _, token) = setup(&srv, &root, "Sleepy", json!({})).await;
    let ann = create_user(&srv, &token, user("ann@sleepy.io", "Ann", "Lee")).await;
    set_company_status(&srv, &root, &c, 2).await;
    let forbidden = StatusCode::FORBIDDEN;
    refused(scim_get(&srv, &token, "/Users").await, forbidden, None);
    let deactivate = replace_op("active", false);
    refused(
        patch_user(&srv, &token, &ann, deactivate).await,
        forbidden,
        None,
    );
    let bo = user("bo@sleepy.io", "Bo", "Ng");
    refused(post_user(&srv, &token, bo).await, forbidden, None);
    // Active again, the same token works and nothing was written meanwhile.
    set_company_status(&srv, &root, &c, 1).await;
    let b = get_ok(&srv, &token, "/Users").await;
    assert_eq!(ids_of(&b, "after"), vec![ann.clone()]);
    assert_eq!(b["Resources"][0]["active"], true);
}

both_engines!(
    discovery_documents_the_service,
    a_bearer_token_is_required,
    create_renders_the_user,
    conflicts_deletes_and_revivals,
    lists_page_and_project,
    user_filters,
    put_replaces_the_user,
    patch_handles_provider_habits,
    patch_emails_and_manager,
    integration_group_and_department_groups,
    mapped_attributes_fill_custom_fields,
    group_lifecycle,
    group_patch_operations,
    one_patch_adds_and_removes_thousands,
    concurrent_writes_stay_consistent,
    companies_are_isolated,
    rest_users_are_claimed,
    token_lifecycle,
    inactive_company_is_forbidden,
    user_name_ne_matches_kept_user_names,
    default_emails_follow_a_patched_user_name,
    department_move_leaves_a_group_found_by_name,
);
