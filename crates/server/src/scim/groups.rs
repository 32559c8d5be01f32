//! `/Groups` (RFC 7644 §3): a company's target groups as SCIM Groups. A group a provider
//! pushes is a target group marked as the integration's (`isScimGroup`); its members are the
//! company's users by id. Membership changes are applied by id lists in the store, so a PATCH
//! of thousands of members costs a few statements (docs/scim.md).

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rollcall_store::{ScimGroupChange, ScimGroupRow};
use scim_v2::filter::{AttrExp, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{json, Value};

use super::attributes::{scalar_text, GROUP};
use super::patch::{self, Kind};
use super::resource::{created, Resource};
use super::{
    body_json, filter, list_response, scim_json, time_text, ListParams, Projection, ScimCaller,
    ScimError, ScimResult, St,
};
use crate::state::AppState;

/// Longest group name (target groups' own limit).
const MAX_NAME: usize = 64;

fn not_found(id: &str) -> ScimError {
    ScimError::not_found(format!(
        "no group '{id}' in this integration's company; GET /Groups?filter=displayName eq \"...\" finds one by name"
    ))
}

/// A group of the caller's company, or 404.
async fn group_of(state: &AppState, caller: &ScimCaller, id: &str) -> ScimResult<ScimGroupRow> {
    state
        .store
        .scim_group(caller.company.id, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// Applies `change` to `group` as the caller's integration; answers the group as it is now.
async fn change_group(
    state: &AppState,
    caller: &ScimCaller,
    group: &ScimGroupRow,
    change: &ScimGroupChange<'_>,
) -> ScimResult<ScimGroupRow> {
    Ok(state
        .store
        .update_scim_group(
            caller.company.id,
            caller.setting.id,
            group,
            change,
            &caller.actor(),
        )
        .await?)
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    rows: &[ScimGroupRow],
    projection: &Projection,
) -> ScimResult<Vec<Value>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let g = &r.group;
        let mut doc = json!({
            "schemas": [GROUP],
            "id": g.resource_id,
            "displayName": g.fields.name,
            "meta": {
                "resourceType": "Group",
                "created": time_text(g.create_time),
                "lastModified": time_text(g.update_time),
                "location": super::location(state, headers, "Groups", &g.resource_id),
                "version": format!("W/\"{}\"", g.update_time),
            }
        });
        if let Some(o) = doc.as_object_mut() {
            if let Some(e) = r.external_id.as_deref().filter(|e| !e.is_empty()) {
                o.insert("externalId".into(), json!(e));
            }
            // Entra ID reads groups with excludedAttributes=members: they are not read then.
            if projection.wants("members") {
                let members: Vec<Value> = state
                    .store
                    .scim_group_members(g.id)
                    .await?
                    .into_iter()
                    // RFC 7643 §8.7.1 gives members value, $ref and type only.
                    .map(|id| {
                        json!({
                            "value": id,
                            "type": "User",
                            "$ref": super::location(state, headers, "Users", &id),
                        })
                    })
                    .collect();
                o.insert("members".into(), Value::Array(members));
            }
        }
        out.push(projection.apply(doc));
    }
    Ok(out)
}

/// What a whole group (`POST`, `PUT`) sends: its name, externalId and members' internal ids.
async fn whole(
    state: &AppState,
    caller: &ScimCaller,
    body: &Value,
) -> ScimResult<(String, Option<String>, Vec<i64>)> {
    let name = name_of(field(body, "displayName"))?;
    let external_id = field(body, "externalId")
        .and_then(scalar_text)
        .filter(|e| !e.is_empty());
    let members = resolve(state, caller, &member_ids(field(body, "members"))?, false).await?;
    Ok((name, external_id, members))
}

/// `/Groups` for the handlers it shares with the other resource type.
pub(super) struct Groups;

impl Resource for Groups {
    const ENDPOINT: &'static str = "Groups";

    async fn page(
        state: &AppState,
        headers: &HeaderMap,
        caller: &ScimCaller,
        params: ListParams,
    ) -> ScimResult<Response> {
        let cond = filter::groups(params.filter.as_deref())?;
        let (start, count) = params.window()?;
        let (total, rows) = state
            .store
            .scim_groups(caller.company.id, &cond, start - 1, count)
            .await?;
        let resources = render(state, headers, &rows, &params.projection()).await?;
        Ok(list_response(total, start, resources))
    }

    async fn one(
        state: &AppState,
        headers: &HeaderMap,
        caller: &ScimCaller,
        id: &str,
        projection: &Projection,
    ) -> ScimResult<Value> {
        let row = group_of(state, caller, id).await?;
        render(state, headers, std::slice::from_ref(&row), projection)
            .await?
            .pop()
            .ok_or_else(|| not_found(id))
    }
}

fn name_of(v: Option<&Value>) -> ScimResult<String> {
    let name = v.and_then(scalar_text).unwrap_or_default();
    if name.is_empty() {
        return Err(ScimError::bad(
            "invalidValue",
            "displayName is required: the group's name",
        ));
    }
    if name.chars().count() > MAX_NAME {
        return Err(ScimError::bad(
            "invalidValue",
            format!("displayName must be at most {MAX_NAME} characters"),
        ));
    }
    Ok(name)
}

fn field<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The user ids a `members` value lists (`[{"value": id}, ...]`, one object, or bare ids).
fn member_ids(v: Option<&Value>) -> ScimResult<Vec<String>> {
    let one = |m: &Value| -> ScimResult<String> {
        match m {
            Value::String(s) => Ok(s.trim().to_owned()),
            other => field(other, "value").and_then(scalar_text).ok_or_else(|| {
                ScimError::bad(
                    "invalidValue",
                    "each member is an object with the user's id in value",
                )
            }),
        }
    };
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(one).collect(),
        Some(other) => Ok(vec![one(other)?]),
    }
}

/// Internal ids of the company's live users `ids` (resource ids); an id that is not one is a
/// 400 naming it, unless `lenient` (a removal: what is not there is not a member).
async fn resolve(
    state: &AppState,
    caller: &ScimCaller,
    ids: &[String],
    lenient: bool,
) -> ScimResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut wanted: Vec<String> = Vec::with_capacity(ids.len());
    let mut seen = HashSet::new();
    for id in ids {
        if seen.insert(id.as_str()) {
            wanted.push(id.clone());
        }
    }
    let mut found = Vec::with_capacity(wanted.len());
    // Looked up in slices so that each statement binds a bounded number of ids.
    for chunk in wanted.chunks(1000) {
        found.extend(
            state
                .store
                .target_users_by_resource_ids(caller.company.id, chunk, false)
                .await?,
        );
    }
    if !lenient && found.len() < wanted.len() {
        let known: HashSet<&str> = found.iter().map(|u| u.resource_id.as_str()).collect();
        let missing: Vec<&str> = wanted
            .iter()
            .map(String::as_str)
            .filter(|id| !known.contains(id))
            .take(5)
            .collect();
        return Err(ScimError::bad(
            "invalidValue",
            format!(
                "members name users that are not live users of this company: {}; provision them through /Users first (groups cannot be members)",
                missing.join(", ")
            ),
        ));
    }
    Ok(found.iter().map(|u| u.id).collect())
}

/// `POST /Groups`: a new group with its members. A name the company already has (any case) is
/// a 409 `uniqueness`.
pub async fn create(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    body: Bytes,
) -> ScimResult<Response> {
    let body = body_json(&body)?;
    let (name, external_id, members) = whole(&state, &caller, &body).await?;
    let row = state
        .store
        .insert_scim_group(
            caller.company.id,
            caller.setting.id,
            &name,
            external_id.as_deref(),
            &members,
            &caller.actor(),
        )
        .await?;
    let id = row.group.resource_id.clone();
    let group = render(&state, &headers, &[row], &Projection::default())
        .await?
        .pop()
        .ok_or_else(|| not_found(&id))?;
    Ok(created::<Groups>(&state, &headers, &id, &group))
}

/// `PUT /Groups/{id}`: name, externalId and members replaced.
pub async fn replace(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let body = body_json(&body)?;
    let group = group_of(&state, &caller, &id).await?;
    let (name, external_id, members) = whole(&state, &caller, &body).await?;
    let change = ScimGroupChange {
        name: Some(&name),
        external_id: Some(external_id.as_deref()),
        members: Some(&members),
        ..ScimGroupChange::default()
    };
    change_group(&state, &caller, &group, &change).await?;
    let out = Groups::one(&state, &headers, &caller, &id, &Projection::default()).await?;
    Ok(scim_json(StatusCode::OK, &out))
}

/// The ids a `members[...]` filter names with `value eq` (joined by `or`).
fn filtered_ids(f: &ValFilter) -> ScimResult<Vec<String>> {
    match f {
        ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, CompValue::Str(v)))
            if p.name.eq_ignore_ascii_case("value") =>
        {
            Ok(vec![v.clone()])
        }
        ValFilter::Or(items) => {
            let mut out = Vec::new();
            for i in items.as_slice() {
                out.extend(filtered_ids(i)?);
            }
            Ok(out)
        }
        other => Err(ScimError::bad(
            "invalidFilter",
            format!("members[{other}] cannot pick members; write members[value eq \"USER-ID\"]"),
        )),
    }
}

/// Membership changes gathered from the operations, in order.
#[derive(Default)]
struct Members {
    set: Option<Vec<String>>,
    add: Vec<String>,
    remove: Vec<String>,
}

impl Members {
    // Sets for the look-ups: a PATCH may name tens of thousands of members.
    fn add(&mut self, ids: Vec<String>) {
        match &mut self.set {
            Some(set) => set.extend(ids),
            None => {
                let named: HashSet<&String> = ids.iter().collect();
                self.remove.retain(|r| !named.contains(r));
                self.add.extend(ids);
            }
        }
    }
    fn remove(&mut self, ids: Vec<String>) {
        let named: HashSet<&String> = ids.iter().collect();
        match &mut self.set {
            Some(set) => set.retain(|s| !named.contains(s)),
            None => {
                self.add.retain(|a| !named.contains(a));
                self.remove.extend(ids);
            }
        }
    }
    fn replace(&mut self, ids: Vec<String>) {
        self.set = Some(ids);
        self.add.clear();
        self.remove.clear();
    }
}

/// `PATCH /Groups/{id}`: members added and removed (by value, by a `members[value eq "..."]`
/// path, or all), name and externalId replaced; all in one transaction.
pub async fn patch(
    State(state): St,
    headers: HeaderMap,
    caller: ScimCaller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> ScimResult<Response> {
    let body = body_json(&body)?;
    let ops = patch::parse(&body)?;
    let group = group_of(&state, &caller, &id).await?;
    let mut name: Option<String> = None;
    let mut external_id: Option<Option<String>> = None;
    let mut members = Members::default();
    for op in &ops {
        match &op.path {
            None => {
                let Some(Value::Object(values)) = &op.value else {
                    return Err(ScimError::bad(
                        "invalidValue",
                        "an operation without a path needs an object value, such as {\"displayName\": \"Sales\"}",
                    ));
                };
                for (k, v) in values {
                    match k.to_ascii_lowercase().as_str() {
                        "displayname" => name = Some(name_of(Some(v))?),
                        "externalid" => {
                            external_id = Some(scalar_text(v).filter(|e| !e.is_empty()))
                        }
                        "members" => {
                            let ids = member_ids(Some(v))?;
                            match op.kind {
                                Kind::Replace => members.replace(ids),
                                _ => members.add(ids),
                            }
                        }
                        // id, meta and unknown attributes are not the provider's to set.
                        _ => {}
                    }
                }
            }
            Some(PatchPath::Attr(p)) => {
                let attr = p.name.to_ascii_lowercase();
                match (attr.as_str(), op.kind) {
                    ("members", Kind::Add) => members.add(member_ids(op.value.as_ref())?),
                    ("members", Kind::Replace) => members.replace(member_ids(op.value.as_ref())?),
                    ("members", Kind::Remove) => match &op.value {
                        // Entra ID and others name the members to remove in the value.
                        Some(v) if !v.is_null() => members.remove(member_ids(Some(v))?),
                        _ => members.replace(Vec::new()),
                    },
                    ("displayname", Kind::Remove) => {
                        return Err(ScimError::bad(
                            "mutability",
                            "displayName is required; it can be replaced, not removed",
                        ))
                    }
                    ("displayname", _) => name = Some(name_of(op.value.as_ref())?),
                    ("externalid", Kind::Remove) => external_id = Some(None),
                    ("externalid", _) => {
                        external_id = Some(op.value.as_ref().and_then(scalar_text).filter(|e| !e.is_empty()))
                    }
                    ("id" | "meta", _) => {
                        return Err(ScimError::bad(
                            "mutability",
                            format!("'{}' is read-only; it cannot be patched", p.name),
                        ))
                    }
                    _ => {
                        return Err(ScimError::bad(
                            "invalidPath",
                            format!("a Group has no attribute '{p}' to patch; use displayName, externalId or members"),
                        ))
                    }
                }
            }
            Some(PatchPath::Value(vp)) => {
                if !vp.attr.name.eq_ignore_ascii_case("members") {
                    return Err(ScimError::bad(
                        "invalidPath",
                        format!(
                            "a Group has no multi-valued attribute '{}'; use members",
                            vp.attr
                        ),
                    ));
                }
                let ids = filtered_ids(&vp.filter)?;
                match op.kind {
                    Kind::Remove => members.remove(ids),
                    _ => {
                        return Err(ScimError::bad(
                            "invalidPath",
                            "members[...] paths remove members; add members with path members and a value list",
                        ))
                    }
                }
            }
        }
    }
    let set = match &members.set {
        Some(ids) => Some(resolve(&state, &caller, ids, false).await?),
        None => None,
    };
    let add = resolve(&state, &caller, &members.add, false).await?;
    let remove = resolve(&state, &caller, &members.remove, true).await?;
    let change = ScimGroupChange {
        name: name.as_deref(),
        external_id: external_id.as_ref().map(|e| e.as_deref()),
        members: set.as_deref(),
        add: &add,
        remove: &remove,
    };
    let after = change_group(&state, &caller, &group, &change).await?;
    // RFC 7644 §3.5.2: 204 unless attributes were asked for; Okta and Entra ID accept both.
    let params = ListParams::from_query(query.as_deref())?;
    if params.attributes.is_none() && params.excluded_attributes.is_none() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let out = render(&state, &headers, &[after], &params.projection())
        .await?
        .pop()
        .ok_or_else(|| not_found(&id))?;
    Ok(scim_json(StatusCode::OK, &out))
}

/// `DELETE /Groups/{id}`: the group goes; its users stay.
pub async fn delete(
    State(state): St,
    caller: ScimCaller,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    state
        .store
        .delete_target_group(caller.company.id, &id, &caller.actor())
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
