//! Discovery (RFC 7644 §4): what the service supports, and the schemas of what it keeps. The
//! User schema lists the attributes rollcall stores, plus those the calling integration maps to
//! custom fields, so a provider (or a conformance suite) reading it sends nothing that would be
//! dropped.

use axum::extract::Path;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::attributes::{self, Place, ENTERPRISE, GROUP, USER};
use super::{list_response, scim_json, ScimCaller, ScimError, ScimResult, St, MAX_RESULTS};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// `GET /ServiceProviderConfig` (RFC 7643 §5).
pub async fn service_provider_config(
    State(state): St,
    headers: HeaderMap,
    _caller: ScimCaller,
) -> Response {
    let body = json!({
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/rollcall/rollcall/blob/main/docs/scim.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "The integration's token from POST /api/scim, as 'Authorization: Bearer TOKEN'.",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", super::base_url(&state, &headers)),
        }
    });
    scim_json(StatusCode::OK, &body)
}

fn resource_type_json(base: &str, name: &str) -> Option<Value> {
    let (endpoint, schema, extensions) = match name {
        "User" => (
            "/Users",
            USER,
            json!([{"schema": ENTERPRISE, "required": false}]),
        ),
        "Group" => ("/Groups", GROUP, json!([])),
        _ => return None,
    };
    Some(json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": format!("{name}s of the integration's company (rollcall target {}s)", name.to_ascii_lowercase()),
        "schema": schema,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")}
    }))
}

/// `GET /ResourceTypes` (RFC 7643 §6).
pub async fn resource_types(State(state): St, headers: HeaderMap, _caller: ScimCaller) -> Response {
    let base = super::base_url(&state, &headers);
    let all: Vec<Value> = ["User", "Group"]
        .iter()
        .filter_map(|n| resource_type_json(&base, n))
        .collect();
    list_response(2, 1, all)
}

/// `GET /ResourceTypes/{name}`.
pub async fn resource_type(
    State(state): St,
    headers: HeaderMap,
    _caller: ScimCaller,
    Path(name): Path<String>,
) -> ScimResult<Response> {
    let base = super::base_url(&state, &headers);
    let found = ["User", "Group"]
        .iter()
        .find(|n| n.eq_ignore_ascii_case(&name))
        .and_then(|n| resource_type_json(&base, n))
        .ok_or_else(|| {
            ScimError::not_found(format!(
                "no resource type '{name}'; there are User and Group"
            ))
        })?;
    Ok(scim_json(StatusCode::OK, &found))
}

/// An attribute definition (RFC 7643 §7).
fn attr(name: &str, ty: &str, multi: bool, mutability: &str, sub: Option<Vec<Value>>) -> Value {
    let mut a = json!({
        "name": name,
        "type": ty,
        "multiValued": multi,
        "description": "",
        "required": false,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
    });
    if let (Some(sub), Some(o)) = (sub, a.as_object_mut()) {
        o.insert("subAttributes".into(), Value::Array(sub));
    }
    a
}

/// A `$ref` sub-attribute to resources of `types`.
fn reference(mutability: &str, types: &[&str]) -> Value {
    with(
        attr("$ref", "reference", false, mutability, None),
        "referenceTypes",
        json!(types),
    )
}

fn text(name: &str) -> Value {
    attr(name, "string", false, "readWrite", None)
}

fn with(mut a: Value, key: &str, v: Value) -> Value {
    if let Some(o) = a.as_object_mut() {
        o.insert(key.into(), v);
    }
    a
}

/// The core User schema: what rollcall keeps, and the core attributes `mapped` names.
fn user_schema(base: &str, mapped: &[Place]) -> Value {
    let typed_value = |canonical: &[&str]| {
        vec![
            // An element without its value says nothing.
            with(text("value"), "required", json!(true)),
            with(text("type"), "canonicalValues", json!(canonical)),
            attr("primary", "boolean", false, "readWrite", None),
        ]
    };
    let mut attrs = vec![
        with(
            with(
                with(text("userName"), "required", json!(true)),
                "uniqueness",
                json!("server"),
            ),
            "description",
            json!("The user's email address, unless the provider's userName is not one: then the work email of emails is the user's email."),
        ),
        attr(
            "name",
            "complex",
            false,
            "readWrite",
            Some(vec![text("givenName"), text("familyName")]),
        ),
        with(
            with(
                attr("emails", "complex", true, "readWrite", Some(typed_value(&["work"]))),
                "required",
                json!(true),
            ),
            "description",
            json!("Required unless userName is an email address: rollcall identifies target users by email (the work, else primary, else first address)."),
        ),
        attr(
            "phoneNumbers",
            "complex",
            true,
            "readWrite",
            Some(typed_value(&["work", "mobile"])),
        ),
        attr("active", "boolean", false, "readWrite", None),
        with(
            attr(
                "groups",
                "complex",
                true,
                "readOnly",
                Some(vec![
                    attr("value", "string", false, "readOnly", None),
                    reference("readOnly", &["Group"]),
                    attr("display", "string", false, "readOnly", None),
                ]),
            ),
            "returned",
            json!("default"),
        ),
    ];
    let mut address: Vec<Value> = Vec::new();
    for place in mapped {
        match place {
            Place::Core(name) => attrs.push(text(name)),
            Place::WorkAddress(name) => address.push(text(name)),
            _ => {}
        }
    }
    if !address.is_empty() {
        address.push(with(text("type"), "canonicalValues", json!(["work"])));
        attrs.push(attr(
            "addresses",
            "complex",
            true,
            "readWrite",
            Some(address),
        ));
    }
    schema_json(
        base,
        USER,
        "User",
        "A target user of the integration's company",
        attrs,
    )
}

fn enterprise_schema(base: &str, mapped: &[Place]) -> Value {
    let mut attrs = vec![
        text("department"),
        attr(
            "manager",
            "complex",
            false,
            "readWrite",
            Some(vec![
                with(
                    text("value"),
                    "description",
                    json!("The manager's id (a user of the same company)."),
                ),
                reference("readWrite", &["User"]),
                attr("displayName", "string", false, "readOnly", None),
            ]),
        ),
    ];
    for place in mapped {
        if let Place::Enterprise(name) = place {
            if *name != "department" {
                attrs.push(text(name));
            }
        }
    }
    schema_json(
        base,
        ENTERPRISE,
        "EnterpriseUser",
        "Enterprise attributes of a target user",
        attrs,
    )
}

fn group_schema(base: &str) -> Value {
    let attrs = vec![
        with(text("displayName"), "required", json!(true)),
        attr(
            "members",
            "complex",
            true,
            "readWrite",
            Some(vec![
                with(text("value"), "mutability", json!("immutable")),
                reference("immutable", &["User"]),
                with(
                    attr("type", "string", false, "immutable", None),
                    "canonicalValues",
                    json!(["User"]),
                ),
            ]),
        ),
    ];
    schema_json(
        base,
        GROUP,
        "Group",
        "A target group of the integration's company",
        attrs,
    )
}

fn schema_json(base: &str, id: &str, name: &str, description: &str, attrs: Vec<Value>) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attrs,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")}
    })
}

/// The places of the attributes the caller's integration maps.
fn mapped_places(caller: &ScimCaller) -> Vec<Place> {
    caller
        .setting
        .fields
        .mappings
        .iter()
        .filter_map(|m| attributes::by_id(&m.scim_field).map(|a| a.place))
        .collect()
}

fn all_schemas(base: &str, caller: &ScimCaller) -> Vec<Value> {
    let mapped = mapped_places(caller);
    vec![
        user_schema(base, &mapped),
        enterprise_schema(base, &mapped),
        group_schema(base),
    ]
}

/// `GET /Schemas` (RFC 7643 §7).
pub async fn schemas(State(state): St, headers: HeaderMap, caller: ScimCaller) -> Response {
    let all = all_schemas(&super::base_url(&state, &headers), &caller);
    list_response(all.len() as i64, 1, all)
}

/// `GET /Schemas/{id}`.
pub async fn schema(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    let found = all_schemas(&super::base_url(&state, &headers), &caller)
        .into_iter()
        .find(|s| {
            s["id"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&id))
        })
        .ok_or_else(|| {
            ScimError::not_found(format!(
                "no schema '{id}'; there are {USER}, {ENTERPRISE} and {GROUP}"
            ))
        })?;
    Ok(scim_json(StatusCode::OK, &found))
}
