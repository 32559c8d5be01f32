//! `/Users` (RFC 7644 §3): a company's target users as SCIM Users. Mapping (docs/scim.md):
//! `userName` is the email (when the provider's userName is not an address, the work email of
//! `emails` is, and the userName is kept beside it); `name.givenName` / `familyName`; the work
//! (else primary, else first) phone number; `active` is the status; the enterprise extension's
//! `department` and `manager`; the integration's mapped attributes go to custom fields; other
//! attributes are ignored. `DELETE` is a soft delete, and a later `POST` of the same userName
//! brings the same user back.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rollcall_store::{
    CustomValue, ScimCmp, ScimCond, ScimLink, ScimUserAttr, ScimUserRow, ScimVal, TargetUserFields,
    UserLinks, WriteOutcome,
};
use rollcall_types::target_user::TargetUserInput;
use serde_json::{json, Map, Value};

use super::attributes::{self, scalar_text, truthy, Place, ENTERPRISE, USER};
use super::resource::{created, Resource};
use super::{
    body_json, filter, list_response, patch, scim_json, time_text, ListParams, Projection,
    ScimCaller, ScimError, ScimResult, St,
};
use crate::state::AppState;
use crate::text::valid_email;
use crate::validate::{check_user_fields, typed_value};

fn not_found(id: &str) -> ScimError {
    ScimError::not_found(format!(
        "no user '{id}' in this integration's company (it may have been deleted); GET /Users?filter=userName eq \"...\" finds a user by email"
    ))
}

/// A user of the caller's company that is not deleted: a deleted user is 404 to SCIM.
async fn live_user(state: &AppState, caller: &ScimCaller, id: &str) -> ScimResult<ScimUserRow> {
    state
        .store
        .scim_user(caller.company.id, id)
        .await?
        .filter(|r| !r.user.is_deleted)
        .ok_or_else(|| not_found(id))
}

/// The integration's mappings as (custom field id, where the attribute sits).
fn mapped(caller: &ScimCaller) -> Vec<(i64, Place)> {
    caller
        .setting
        .fields
        .mappings
        .iter()
        .filter_map(|m| attributes::by_id(&m.scim_field).map(|a| (m.custom_field_id, a.place)))
        .collect()
}

/// Renders users as SCIM Users: their groups, mapped custom values and managers read in a few
/// queries for the whole page.
async fn render(
    state: &AppState,
    headers: &HeaderMap,
    caller: &ScimCaller,
    rows: &[ScimUserRow],
    projection: &Projection,
    patching: bool,
) -> ScimResult<Vec<Value>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.user.id).collect();
    let mut groups: HashMap<i64, Vec<Value>> = HashMap::new();
    if projection.wants("groups") {
        for (user, g) in state.store.groups_of_users(&ids).await? {
            groups.entry(user).or_default().push(json!({
                "value": g.resource_id,
                "display": g.fields.name,
                "$ref": super::location(state, headers, "Groups", &g.resource_id),
            }));
        }
    }
    let mappings = mapped(caller);
    let mut values: HashMap<(i64, i64), String> = HashMap::new();
    if !mappings.is_empty() {
        for (user, field, text) in state.store.custom_values_of(&ids).await? {
            values.insert((user, field), text);
        }
    }
    let mut managers: HashMap<String, Option<String>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let f = &r.user.fields;
        let mut u = Map::new();
        let mut schemas = vec![json!(USER)];
        u.insert("id".into(), json!(r.user.resource_id));
        if let Some(e) = r.external_id.as_deref().filter(|e| !e.is_empty()) {
            u.insert("externalId".into(), json!(e));
        }
        u.insert(
            "userName".into(),
            json!(r.user_name.as_deref().unwrap_or(&f.email)),
        );
        let mut name = Map::new();
        if !f.first_name.is_empty() {
            name.insert("givenName".into(), json!(f.first_name));
        }
        if !f.last_name.is_empty() {
            name.insert("familyName".into(), json!(f.last_name));
        }
        if !name.is_empty() {
            u.insert("name".into(), Value::Object(name));
        }
        let stored: Option<Value> = r
            .contacts
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok());
        let list = |name: &str| {
            stored
                .as_ref()
                .and_then(|s| s.get(name))
                .and_then(Value::as_array)
                .filter(|l| !l.is_empty())
                .cloned()
        };
        // The email came from the list only when userName is not an address; otherwise the
        // list is the provider's own (Entra ID's `mail` beside its UPN), shown as sent.
        let emails = match (list("emails"), &r.user_name) {
            (Some(sent), None) => sent,
            // A user's default list is not the provider's: a PATCH starts without it, so that
            // a new userName (the email) is not contradicted by the old address.
            (None, None) if patching => Vec::new(),
            (sent, _) => around(sent, &f.email),
        };
        if !emails.is_empty() {
            u.insert("emails".into(), Value::Array(emails));
        }
        let phones = around(list("phoneNumbers"), &f.phone_number);
        if !phones.is_empty() {
            u.insert("phoneNumbers".into(), Value::Array(phones));
        }
        u.insert("active".into(), json!(f.is_active));
        u.insert(
            "groups".into(),
            Value::Array(groups.remove(&r.user.id).unwrap_or_default()),
        );
        let mut ext = Map::new();
        if !f.department.is_empty() {
            ext.insert("department".into(), json!(f.department));
        }
        if !f.manager_email.is_empty() || !f.manager_full_name().is_empty() {
            let key = f.manager_email.to_lowercase();
            let id = match managers.get(&key) {
                Some(id) => id.clone(),
                None if key.is_empty() => None,
                None => {
                    let found = state
                        .store
                        .scim_user_by_email(caller.company.id, &key)
                        .await?
                        .filter(|m| !m.user.is_deleted)
                        .map(|m| m.user.resource_id);
                    managers.insert(key, found.clone());
                    found
                }
            };
            let mut manager = Map::new();
            if let Some(id) = id {
                manager.insert("value".into(), json!(id));
                manager.insert(
                    "$ref".into(),
                    json!(super::location(state, headers, "Users", &id)),
                );
            }
            let full = f.manager_full_name();
            if !full.is_empty() {
                manager.insert("displayName".into(), json!(full));
            }
            if !manager.is_empty() {
                ext.insert("manager".into(), Value::Object(manager));
            }
        }
        let mut doc = Value::Object(u);
        if let Some(obj) = doc.as_object_mut() {
            if !ext.is_empty() {
                obj.insert(ENTERPRISE.into(), Value::Object(ext));
            }
            for (field, place) in &mappings {
                if let Some(text) = values.get(&(r.user.id, *field)).filter(|t| !t.is_empty()) {
                    attributes::write(obj, *place, text);
                }
            }
            if obj.contains_key(ENTERPRISE) {
                schemas.push(json!(ENTERPRISE));
            }
            obj.insert("schemas".into(), Value::Array(schemas));
            obj.insert(
                "meta".into(),
                json!({
                    "resourceType": "User",
                    "created": time_text(r.user.create_time),
                    "lastModified": time_text(r.user.update_time),
                    "location": super::location(state, headers, "Users", &r.user.resource_id),
                    "version": format!("W/\"{}\"", r.user.update_time),
                }),
            );
        }
        out.push(projection.apply(doc));
    }
    Ok(out)
}

/// Where in a provider's list the one value rollcall keeps sits: the work element, else the
/// primary, else the first (as [`incoming`] takes it).
fn chosen(items: &[Value]) -> Option<usize> {
    let is = |i: &Value, key: &str, want: &dyn Fn(&Value) -> bool| i.get(key).is_some_and(want);
    items
        .iter()
        .position(|i| {
            is(i, "type", &|t| {
                t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("work"))
            })
        })
        .or_else(|| {
            items
                .iter()
                .position(|i| is(i, "primary", &|p| truthy(p) == Some(true)))
        })
        .or(if items.is_empty() { None } else { Some(0) })
}

/// The provider's list (or a one-element work list) with the kept value in its place; an
/// empty value takes its element out.
fn around(stored: Option<Vec<Value>>, value: &str) -> Vec<Value> {
    let Some(mut items) = stored else {
        return if value.is_empty() {
            Vec::new()
        } else {
            vec![json!({"value": value, "type": "work", "primary": true})]
        };
    };
    if let Some(i) = chosen(&items) {
        if value.is_empty() {
            items.remove(i);
        } else if let Some(o) = items[i].as_object_mut() {
            o.insert("value".into(), json!(value));
        }
    }
    items
}

/// The `emails` and `phoneNumbers` lists of a resource, reduced to the sub-attributes the
/// schema names, as JSON for [`ScimLink::contacts`]; `None` when there are none.
fn contacts_of(body: &Value) -> Option<String> {
    let keep = |name: &str| -> Vec<Value> {
        list_at(body, name)
            .iter()
            .filter_map(|i| {
                let mut m = Map::new();
                for k in ["value", "type", "primary"] {
                    if let Some(v) = text_at(i, &[k]).filter(|v| !v.is_null()) {
                        m.insert(k.to_owned(), v.clone());
                    }
                }
                (!m.is_empty()).then_some(Value::Object(m))
            })
            .collect()
    };
    let (emails, phones) = (keep("emails"), keep("phoneNumbers"));
    if emails.is_empty() && phones.is_empty() {
        return None;
    }
    Some(json!({"emails": emails, "phoneNumbers": phones}).to_string())
}

/// What a User resource asks to store.
struct Incoming {
    fields: TargetUserFields,
    external_id: Option<String>,
    user_name: Option<String>,
    contacts: Option<String>,
    custom: Vec<CustomValue>,
    group_by: Option<String>,
}

fn text_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, key| {
        cur.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn string_at(v: &Value, path: &[&str]) -> Option<String> {
    text_at(v, path).and_then(scalar_text)
}

fn list_at<'a>(v: &'a Value, name: &str) -> &'a [Value] {
    text_at(v, &[name])
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Reads a User resource (keys canonical) into what to store over `base` (the stored user on a
/// replace: the fields SCIM does not carry, priority, time zone and language, keep theirs).
async fn incoming(
    state: &AppState,
    caller: &ScimCaller,
    body: &Value,
    base: Option<&TargetUserFields>,
) -> ScimResult<Incoming> {
    let user_name = string_at(body, &["userName"]).unwrap_or_default();
    if user_name.is_empty() {
        return Err(ScimError::bad(
            "invalidValue",
            "userName is required: the user's email address (or a name, with the work email in emails)",
        ));
    }
    let emails = list_at(body, "emails");
    let email_value = |e: &Value| {
        e.get("value")
            .and_then(scalar_text)
            .filter(|v| !v.is_empty())
    };
    let listed = chosen(emails).and_then(|i| email_value(&emails[i]));
    let (email, kept_name) = if valid_email(&user_name) {
        (user_name.clone(), None)
    } else {
        match listed {
            Some(e) if valid_email(&e) => (e, Some(user_name.clone())),
            _ => {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!(
                        "userName '{user_name}' is not an email address and emails has no work or primary address; rollcall identifies target users by email, so send one of them"
                    ),
                ))
            }
        }
    };
    let phones = list_at(body, "phoneNumbers");
    let phone = chosen(phones)
        .and_then(|i| phones[i].get("value"))
        .and_then(scalar_text)
        .unwrap_or_default();
    let active = match text_at(body, &["active"]) {
        None | Some(Value::Null) => true,
        Some(v) => truthy(v).ok_or_else(|| {
            ScimError::bad(
                "invalidValue",
                format!("active must be true or false, not {v}"),
            )
        })?,
    };
    let ext = text_at(body, &[ENTERPRISE]);
    let department = ext
        .and_then(|e| string_at(e, &["department"]))
        .unwrap_or_default();
    let (mut manager_first, mut manager_last, mut manager_email) =
        (String::new(), String::new(), String::new());
    if let Some(m) = ext.and_then(|e| text_at(e, &["manager"])) {
        // Entra ID sends the manager's id as a string; the schema, as {"value": id}.
        let id = match m {
            Value::String(s) => Some(s.trim().to_owned()),
            other => other.get("value").and_then(scalar_text),
        }
        .filter(|s| !s.is_empty());
        let found = match &id {
            Some(id) => state.store.scim_user(caller.company.id, id).await?,
            None => None,
        }
        .filter(|m| !m.user.is_deleted);
        match found {
            Some(m) => {
                manager_first = m.user.fields.first_name;
                manager_last = m.user.fields.last_name;
                manager_email = m.user.fields.email;
            }
            None => {
                if let Some(id) = id {
                    return Err(ScimError::bad(
                        "invalidValue",
                        format!("manager '{id}' is not a user of this company; provision the manager first"),
                    ));
                }
                if let Some(display) = m.get("displayName").and_then(scalar_text) {
                    let (first, last) = display.rsplit_once(' ').unwrap_or((&display, ""));
                    manager_first = first.trim().to_owned();
                    manager_last = last.trim().to_owned();
                }
            }
        }
    }
    let (first, last) = names(body);
    let input = TargetUserInput {
        email: Some(email),
        first_name: Some(first),
        last_name: Some(last),
        department: Some(department),
        phone_number: Some(phone),
        is_active: Some(active),
        manager_first_name: Some(manager_first),
        manager_last_name: Some(manager_last),
        manager_email: Some(manager_email),
        ..TargetUserInput::default()
    };
    // The target-user checks name REST fields: each message is prefixed with the SCIM
    // attribute it came from.
    let attribute = |field: &'static str| match field {
        "Email" => "userName/emails",
        "FirstName" => "name.givenName",
        "LastName" => "name.familyName",
        "Department" => "department",
        "PhoneNumber" => "phoneNumbers",
        f if f.starts_with("Manager") => "manager",
        other => other,
    };
    let fields = check_user_fields(input, base).map_err(|problems| {
        ScimError::bad(
            "invalidValue",
            problems
                .into_iter()
                .map(|p| format!("{}: {}", attribute(p.field), p.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let mappings = mapped(caller);
    let mut custom = Vec::new();
    if !mappings.is_empty() {
        let defs = state.store.custom_fields(caller.company.id).await?;
        for (field, place) in &mappings {
            let Some(def) = defs.iter().find(|d| d.id == *field) else {
                continue;
            };
            let text = attributes::read(body, *place).unwrap_or_default();
            let value = typed_value(def, Some(&Value::String(text)), None)
                .map_err(|e| ScimError::bad("invalidValue", e))?;
            custom.push(value);
        }
    }
    let group_by = match caller.setting.fields.group_by_field.as_str() {
        "" => None,
        id => attributes::by_id(id).map(|a| attributes::read(body, a.place).unwrap_or_default()),
    };
    let external_id = string_at(body, &["externalId"]).filter(|e| !e.is_empty());
    Ok(Incoming {
        fields,
        external_id,
        user_name: kept_name,
        contacts: contacts_of(body),
        custom,
        group_by,
    })
}

/// The first and last name: `name.givenName` and `familyName`; a directory entry with neither
/// (Entra ID leaves them out when the directory has none) is named from `displayName`, split
/// at its last space.
fn names(body: &Value) -> (String, String) {
    let given = string_at(body, &["name", "givenName"]).unwrap_or_default();
    let family = string_at(body, &["name", "familyName"]).unwrap_or_default();
    if !given.is_empty() || !family.is_empty() {
        return (given, family);
    }
    let display = string_at(body, &["displayName"])
        .or_else(|| string_at(body, &["name", "formatted"]))
        .unwrap_or_default();
    match display.rsplit_once(' ') {
        Some((first, last)) => (first.trim().to_owned(), last.trim().to_owned()),
        None => (display, String::new()),
    }
}

/// Refuses a userName that is not an email (kept beside the user) when another live user of
/// the company answers to it: userName is unique on the server (RFC 7643 §4.1.1). `except` is
/// the user being written.
async fn user_name_free(
    state: &AppState,
    caller: &ScimCaller,
    inc: &Incoming,
    except: Option<&str>,
) -> ScimResult<()> {
    let Some(name) = inc.user_name.as_deref() else {
        return Ok(());
    };
    let cond = ScimCond::Cmp(
        ScimUserAttr::UserName,
        ScimCmp::Eq,
        ScimVal::Text(name.to_owned()),
    );
    let (_, rows) = state
        .store
        .scim_users(caller.company.id, &cond, 0, 2)
        .await?;
    match rows.iter().find(|r| Some(r.user.resource_id.as_str()) != except) {
        Some(other) => Err(ScimError::uniqueness(format!(
            "userName '{name}' is taken by user {} of this company; GET /Users/{} or PATCH it instead",
            other.user.resource_id, other.user.resource_id
        ))),
        None => Ok(()),
    }
}

/// What a user's write carries besides its fields: its custom values, the integration's group
/// (`join`) and its SCIM attributes.
fn links<'a>(caller: &'a ScimCaller, inc: &'a Incoming, join: &'a [i64]) -> UserLinks<'a> {
    UserLinks {
        custom_values: &inc.custom,
        join_groups: join,
        scim: Some(ScimLink {
            setting_id: caller.setting.id,
            external_id: inc.external_id.as_deref(),
            user_name: inc.user_name.as_deref(),
            contacts: inc.contacts.as_deref(),
            group_by: inc.group_by.as_deref(),
        }),
        ..UserLinks::default()
    }
}

/// Writes `inc` over user `resource_id` (a replace, a patch, or a revival).
async fn save(
    state: &AppState,
    caller: &ScimCaller,
    resource_id: &str,
    inc: &Incoming,
    revive: bool,
) -> ScimResult<()> {
    user_name_free(state, caller, inc, Some(resource_id)).await?;
    let join: Vec<i64> = caller.setting.fields.group_id.into_iter().collect();
    let links = UserLinks {
        revive,
        ..links(caller, inc, &join)
    };
    match state
        .store
        .update_target_user(
            caller.company.id,
            resource_id,
            &inc.fields,
            &links,
            &caller.actor(),
        )
        .await?
    {
        WriteOutcome::Done(_) => Ok(()),
        WriteOutcome::NotFound | WriteOutcome::Deleted => Err(not_found(resource_id)),
    }
}

/// A `PUT` or `PATCH` of a user: saved, then answered with the user as it is now.
async fn save_and_show(
    state: &AppState,
    headers: &HeaderMap,
    caller: &ScimCaller,
    id: &str,
    inc: &Incoming,
) -> ScimResult<Response> {
    save(state, caller, id, inc, false).await?;
    let user = Users::one(state, headers, caller, id, &Projection::default()).await?;
    Ok(scim_json(StatusCode::OK, &user))
}

/// `/Users` for the handlers it shares with the other resource type.
pub(super) struct Users;

impl Resource for Users {
    const ENDPOINT: &'static str = "Users";

    async fn page(
        state: &AppState,
        headers: &HeaderMap,
        caller: &ScimCaller,
        params: ListParams,
    ) -> ScimResult<Response> {
        let cond = filter::users(params.filter.as_deref())?;
        let (start, count) = params.window()?;
        let (total, rows) = state
            .store
            .scim_users(caller.company.id, &cond, start - 1, count)
            .await?;
        let resources = render(state, headers, caller, &rows, &params.projection(), false).await?;
        Ok(list_response(total, start, resources))
    }

    async fn one(
        state: &AppState,
        headers: &HeaderMap,
        caller: &ScimCaller,
        id: &str,
        projection: &Projection,
    ) -> ScimResult<Value> {
        let row = live_user(state, caller, id).await?;
        render(
            state,
            headers,
            caller,
            std::slice::from_ref(&row),
            projection,
            false,
        )
        .await?
        .pop()
        .ok_or_else(|| not_found(id))
    }
}

/// `POST /Users`: provisions a user. A live user with the same email is a 409 `uniqueness`
/// (the provider then finds it with `filter=userName eq`); a deleted one comes back, with its
/// id and history.
pub async fn create(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    body: Bytes,
) -> ScimResult<Response> {
    let body = body_json(&body)?;
    let inc = incoming(&state, &caller, &body, None).await?;
    let existing = state
        .store
        .scim_user_by_email(caller.company.id, &inc.fields.email)
        .await?;
    user_name_free(
        &state,
        &caller,
        &inc,
        existing.as_ref().map(|r| r.user.resource_id.as_str()),
    )
    .await?;
    let id = match existing {
        Some(row) if !row.user.is_deleted => {
            return Err(ScimError::uniqueness(format!(
                "userName '{}' is taken: user {} of this company has that email; GET /Users/{} or PATCH it instead",
                inc.fields.email, row.user.resource_id, row.user.resource_id
            )))
        }
        Some(row) => {
            // Revived with the provider's values; the fields SCIM does not carry keep theirs.
            let inc = incoming(&state, &caller, &body, Some(&row.user.fields)).await?;
            save(&state, &caller, &row.user.resource_id, &inc, true).await?;
            row.user.resource_id
        }
        None => {
            let join: Vec<i64> = caller.setting.fields.group_id.into_iter().collect();
            let links = links(&caller, &inc, &join);
            let now = chrono::Utc::now().timestamp_millis();
            state
                .store
                .insert_target_user(
                    caller.company.id,
                    &inc.fields,
                    now,
                    &links,
                    &caller.actor(),
                )
                .await?
                .resource_id
        }
    };
    let user = Users::one(&state, &headers, &caller, &id, &Projection::default()).await?;
    Ok(created::<Users>(&state, &headers, &id, &user))
}

/// `PUT /Users/{id}`: replaces what SCIM carries of a user; a user made by other means is
/// claimed by the integration.
pub async fn replace(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let body = body_json(&body)?;
    let current = live_user(&state, &caller, &id).await?;
    let inc = incoming(&state, &caller, &body, Some(&current.user.fields)).await?;
    save_and_show(&state, &headers, &caller, &id, &inc).await
}

/// `PATCH /Users/{id}`: the operations applied to the user's SCIM form, saved as a replace.
pub async fn patch(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let body = body_json(&body)?;
    let ops = patch::parse(&body)?;
    let current = live_user(&state, &caller, &id).await?;
    let mut doc = render(
        &state,
        &headers,
        &caller,
        std::slice::from_ref(&current),
        &Projection::default(),
        true,
    )
    .await?
    .pop()
    .ok_or_else(|| not_found(&id))?;
    let before = doc.clone();
    patch::apply_user(&mut doc, &ops)?;
    scim_v2::case_insensitive::canonicalize_keys(&mut doc)
        .map_err(|e| ScimError::bad("invalidSyntax", e.to_string()))?;
    let mut inc = incoming(&state, &caller, &doc, Some(&current.user.fields)).await?;
    // What the user's SCIM form cannot show must survive a PATCH that does not touch it: the
    // group-by attribute when it is not stored (the group stays unless the operations set or
    // remove the value), and a manager who is not a user of the company (kept as an email).
    if let Some(place) = attributes::by_id(&caller.setting.fields.group_by_field).map(|a| a.place) {
        inc.group_by = match (
            attributes::read(&before, place),
            attributes::read(&doc, place),
        ) {
            (_, Some(now)) => Some(now),
            (Some(_), None) => Some(String::new()),
            (None, None) => None,
        };
    }
    let manager = |d: &Value| {
        text_at(d, &[ENTERPRISE])
            .and_then(|e| text_at(e, &["manager"]))
            .cloned()
    };
    if manager(&before) == manager(&doc) {
        let f = &current.user.fields;
        inc.fields.manager_first_name = f.manager_first_name.clone();
        inc.fields.manager_last_name = f.manager_last_name.clone();
        inc.fields.manager_email = f.manager_email.clone();
    }
    save_and_show(&state, &headers, &caller, &id, &inc).await
}

/// `DELETE /Users/{id}`: a soft delete; the user keeps its history and a later `POST` of its
/// userName brings it back.
pub async fn delete(
    State(state): St,
    caller: ScimCaller,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    match state
        .store
        .delete_target_user(caller.company.id, &id, &caller.actor())
        .await?
    {
        WriteOutcome::Done(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        WriteOutcome::NotFound | WriteOutcome::Deleted => Err(not_found(&id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_display_name_only_when_name_is_empty() {
        let both = json!({"name": {"givenName": "Ann", "familyName": "Lee"}, "displayName": "X Y"});
        assert_eq!(names(&both), ("Ann".into(), "Lee".into()));
        let display = json!({"displayName": "Mary Ann Major"});
        assert_eq!(names(&display), ("Mary Ann".into(), "Major".into()));
        let formatted = json!({"name": {"formatted": "Cher"}});
        assert_eq!(names(&formatted), ("Cher".into(), String::new()));
        assert_eq!(names(&json!({})), (String::new(), String::new()));
    }

    #[test]
    fn provider_lists_keep_their_types_around_the_stored_value() {
        let sent = vec![
            json!({"value": "home@x.io", "type": "home"}),
            json!({"value": "old@x.io", "type": "work", "primary": true}),
        ];
        let out = around(Some(sent), "new@x.io");
        assert_eq!(out[0]["value"], "home@x.io");
        assert_eq!(
            out[1],
            json!({"value": "new@x.io", "type": "work", "primary": true})
        );
        // No list: one work element, or none for an empty value.
        assert_eq!(
            around(None, "a@x.io"),
            vec![json!({"value": "a@x.io", "type": "work", "primary": true})]
        );
        assert!(around(None, "").is_empty());
        // A cleared value takes its element out.
        let phones = vec![
            json!({"value": "1", "type": "mobile"}),
            json!({"value": "2", "type": "work"}),
        ];
        assert_eq!(
            around(Some(phones), ""),
            vec![json!({"value": "1", "type": "mobile"})]
        );
    }
}
