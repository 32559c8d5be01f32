//! The request examples of the OpenAPI document, sent as the Swagger UI's "Try it out" sends
//! them: the JSON example of every operation listed in [`OPERATIONS`] (allowed domains, audit
//! log, custom fields, lookups, leaderboard, system roles, SCIM integrations, target groups),
//! read from the document itself, must be accepted (2xx) by a real server, on both engines, for
//! a Reseller naming a customer and for that customer's Company Admin. Path parameters, and the
//! placeholder resource ids the examples carry in their bodies, are filled in with real
//! resources the test creates first, as a reader would with their own ids. The form variants of
//! `POST /api/allow-list` are sent as the Swagger UI fills a form: each property's example.

use std::collections::BTreeMap;

use crate::common::{Engine, TestServer, SCOPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The placeholder ids the examples carry, by the kind of resource they stand for.
const GROUP: &str = "Tg7KmQ2xWp4Z";
const USER: &str = "Tu3nR8sLc2Vd";
const CUSTOM_FIELD: &str = "Cf5hJ9tBq1Ke";
const DOMAIN: &str = "Ad2xM7pWn4Ry";

/// What fills an operation's `{resourceId}`.
#[derive(Debug, Clone, Copy)]
enum PathId {
    None,
    Group,
    /// The group the target-group create example made.
    NewGroup,
    User,
    CustomField,
    Scim,
}

/// Every operation of these modules that takes a request body, in the order the test sends
/// their examples (a create before the update of what it made, a delete after what it needs).
const OPERATIONS: &[(&str, PathId)] = &[
    ("addAllowedDomains", PathId::None),
    ("searchAllowedDomains", PathId::None),
    ("exportAllowedDomains", PathId::None),
    ("deleteAllowedDomains", PathId::None),
    ("createCustomField", PathId::None),
    ("updateCustomField", PathId::CustomField),
    ("bulkUpdateCustomFields", PathId::None),
    ("listLookupsByType", PathId::None),
    ("getLeaderboard", PathId::None),
    ("searchRoles", PathId::None),
    ("createScimIntegration", PathId::None),
    ("searchScimIntegrations", PathId::None),
    ("exportScimIntegrations", PathId::None),
    ("updateScimIntegration", PathId::Scim),
    ("createTargetGroup", PathId::None),
    ("updateTargetGroup", PathId::NewGroup),
    ("searchTargetGroups", PathId::None),
    ("searchAllTargetGroups", PathId::None),
    ("searchCurrentCompanyTargetGroups", PathId::None),
    ("searchTargetGroupsByName", PathId::None),
    ("exportTargetGroups", PathId::None),
    ("addTargetGroupUsers", PathId::None),
    ("addUsersToTargetGroup", PathId::NewGroup),
    ("searchTargetGroupUsers", PathId::Group),
    ("exportTargetGroupUsers", PathId::Group),
    ("searchTargetUserGroups", PathId::User),
    ("getTargetGroupUserCountDetail", PathId::None),
    ("getTargetGroupUserCountDetailExt", PathId::None),
    ("removeTargetGroupUsers", PathId::Group),
    ("searchAuditLogs", PathId::None),
    ("exportAuditLogs", PathId::None),
    ("listAuditLogs", PathId::None),
];

fn document() -> Value {
    serde_json::to_value(rollcall_server::router::document()).expect("document serialises")
}

/// The operation `id` of the document: (method, path template, operation).
fn operation<'d>(doc: &'d Value, id: &str) -> (Method, &'d str, &'d Value) {
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if op["operationId"] == id {
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                return (method, path.as_str(), op);
            }
        }
    }
    panic!("no operation {id} in the document");
}

/// `{"$ref": "#/components/..."}` resolved, or the schema itself.
fn resolve<'d>(doc: &'d Value, schema: &'d Value) -> &'d Value {
    match schema["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.strip_prefix('#').expect("local reference"))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => schema,
    }
}

/// The example the Swagger UI fills a JSON body with: the media type's example, else its
/// first named example, else the schema's.
fn json_example(doc: &Value, id: &str, op: &Value) -> Value {
    let media = &op["requestBody"]["content"]["application/json"];
    assert!(media.is_object(), "{id} takes no JSON body: {op}");
    if let Some(e) = media.get("example") {
        return e.clone();
    }
    if let Some(e) = media["examples"]
        .as_object()
        .and_then(|m| m.values().next())
    {
        return resolve(doc, e)["value"].clone();
    }
    let schema = resolve(doc, &media["schema"]);
    schema
        .get("example")
        .or_else(|| schema["examples"].get(0))
        .cloned()
        .unwrap_or_else(|| panic!("{id} has no example request body: {media}"))
}

/// `v` with every string that is a key of `ids` replaced by its value.
fn fill_ids(v: &Value, ids: &BTreeMap<&str, String>) -> Value {
    match v {
        Value::String(s) => ids
            .get(s.as_str())
            .map_or_else(|| v.clone(), |real| Value::String(real.clone())),
        Value::Array(items) => Value::Array(items.iter().map(|i| fill_ids(i, ids)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, i)| (k.clone(), fill_ids(i, ids)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A customer company below the root with a Company Admin client: (company, admin token).
async fn customer(srv: &TestServer, root: &str, name: &str) -> (String, String) {
    let company = srv
        .create_company(root, Some(&srv.root_company), json!({"Name": name}))
        .await;
    let (id, secret) = srv.create_client(root, &company, "Company Admin").await;
    (company.clone(), srv.token(&id, &secret).await)
}

/// `data.resourceId` of a write's reply.
fn written_id(body: &Value) -> String {
    body["data"]["resourceId"]
        .as_str()
        .unwrap_or_else(|| panic!("no data.resourceId in {body}"))
        .to_owned()
}

/// Sends every example of [`OPERATIONS`] with `token` in `company` and checks that each is
/// accepted.
async fn send_examples(srv: &TestServer, doc: &Value, token: &str, company: &str) {
    let scope = [(SCOPE, company)];
    // What the placeholders and path parameters stand for: a group and two users in the
    // Finance department (the member examples select by department), made beforehand.
    let group = {
        let (s, b) = srv
            .post(
                "/api/target-groups",
                token,
                json!({"name": "Everyone"}),
                &scope,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        written_id(&b)
    };
    let user = srv
        .create_user(
            token,
            company,
            json!({"email": "ann@example.com", "firstName": "Ann", "department": "Finance"}),
        )
        .await;
    srv.create_user(
        token,
        company,
        json!({"email": "bob@example.com", "firstName": "Bob", "department": "Finance"}),
    )
    .await;
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    ids.insert(GROUP, group.clone());
    ids.insert(USER, user.clone());
    let (mut new_group, mut scim) = (None::<String>, None::<String>);

    for (id, path_id) in OPERATIONS {
        let (method, template, op) = operation(doc, id);
        let body = fill_ids(&json_example(doc, id, op), &ids);
        let resource = match path_id {
            PathId::None => None,
            PathId::Group => Some(group.clone()),
            PathId::NewGroup => new_group.clone(),
            PathId::User => Some(user.clone()),
            PathId::CustomField => ids.get(CUSTOM_FIELD).cloned(),
            PathId::Scim => scim.clone(),
        };
        let path = match resource {
            Some(r) => template.replace("{resourceId}", &r),
            None => template.to_owned(),
        };
        assert!(
            !path.contains('{'),
            "{id}: no resource for the path {template}"
        );
        let (status, reply) = srv
            .call(method.clone(), &path, token, Some(body.clone()), &scope)
            .await;
        assert!(
            status.is_success(),
            "{id} ({method} {path}) refuses its example {body}: {status} {reply}"
        );
        // What the examples made, for the examples after them.
        match *id {
            "addAllowedDomains" => {
                ids.insert(DOMAIN, written_id(&reply));
            }
            "createCustomField" => {
                ids.insert(CUSTOM_FIELD, written_id(&reply));
            }
            "createScimIntegration" => scim = Some(written_id(&reply)),
            "createTargetGroup" => new_group = Some(written_id(&reply)),
            _ => {}
        }
    }
}

async fn examples_are_accepted(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let doc = document();
    let root = srv.root_token().await;
    // A Reseller naming its customer, and a customer's own Company Admin.
    let (reseller_company, _) = customer(&srv, &root, "Reseller's customer").await;
    send_examples(&srv, &doc, &root, &reseller_company).await;
    let (company, admin) = customer(&srv, &root, "Customer").await;
    send_examples(&srv, &doc, &admin, &company).await;
}

/// The fields the Swagger UI fills a form body with: each property's example (a property
/// without one would be sent as `string`; an empty one is not sent).
fn form_fields(doc: &Value, op: &Value, content_type: &str) -> Vec<(String, String)> {
    let media = &op["requestBody"]["content"][content_type];
    let schema = resolve(doc, &media["schema"]);
    let mut fields = Vec::new();
    for (name, prop) in schema["properties"].as_object().expect("properties") {
        let example = prop
            .get("example")
            .unwrap_or_else(|| panic!("form property {name} has no example: {prop}"));
        let values = match example {
            Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        for v in values {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            if !text.is_empty() {
                fields.push((name.clone(), text));
            }
        }
    }
    fields
}

async fn allow_list_form_examples_are_accepted(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let doc = document();
    let root = srv.root_token().await;
    let (_, _, op) = operation(&doc, "addAllowedDomains");
    for content_type in ["multipart/form-data", "application/x-www-form-urlencoded"] {
        let (company, admin) = customer(&srv, &root, content_type).await;
        let fields = form_fields(&doc, op, content_type);
        assert!(!fields.is_empty(), "{content_type}: no form fields");
        let req = srv
            .http
            .post(srv.url("/api/allow-list"))
            .bearer_auth(&admin)
            .header(SCOPE, &company);
        let req = if content_type == "multipart/form-data" {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in &fields {
                form = form.text(k.clone(), v.clone());
            }
            req.multipart(form)
        } else {
            req.form(&fields)
        };
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.expect("JSON reply");
        assert_eq!(status, StatusCode::OK, "{content_type} {fields:?}: {body}");
    }
}

both_engines!(examples_are_accepted, allow_list_form_examples_are_accepted);
