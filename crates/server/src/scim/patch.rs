//! PATCH (RFC 7644 §3.5.2). A User is patched as a document: its current SCIM form takes the
//! operations here, and the result is saved as a `PUT` of it would be, so both paths share one
//! mapping. Groups read the same operations into membership changes (`groups.rs`), so that a
//! PATCH of thousands of members never renders the group.
//!
//! Provider habits handled here (docs/scim.md): Entra ID's operations without a `path` whose
//! value has dotted keys (`"name.givenName"`) or extension-qualified ones, `"active": "False"`,
//! `replace` of `emails[type eq "work"].value` (made when missing), and operation names in any
//! case.

use scim_v2::filter::{
    AttrExp, AttrPath, CompValue, CompareOp, PatchPath, PatchValuePath, ValFilter,
};
use serde_json::{Map, Value};

use super::attributes::ENTERPRISE;
use super::{ScimError, ScimResult};

const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Add,
    Remove,
    Replace,
}

/// One operation of a PatchOp message.
#[derive(Debug, Clone)]
pub struct Op {
    pub kind: Kind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// Reads a PatchOp message (keys already canonical).
pub fn parse(body: &Value) -> ScimResult<Vec<Op>> {
    let schemas_ok = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|v| {
                v.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_SCHEMA))
            })
        });
    if !schemas_ok {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("a PATCH body is a PatchOp message: its schemas must list {PATCH_SCHEMA}"),
        ));
    }
    let ops = body
        .get("Operations")
        .and_then(Value::as_array)
        .filter(|o| !o.is_empty())
        .ok_or_else(|| {
            ScimError::bad(
                "invalidSyntax",
                "a PatchOp message needs Operations: a non-empty list of {op, path, value}",
            )
        })?;
    ops.iter()
        .enumerate()
        .map(|(i, o)| {
            let at = format!("Operations[{i}]");
            let kind = match o
                .get("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("add") => Kind::Add,
                Some("remove") => Kind::Remove,
                Some("replace") => Kind::Replace,
                other => {
                    return Err(ScimError::bad(
                        "invalidSyntax",
                        format!("{at}.op must be add, remove or replace, not {other:?}"),
                    ))
                }
            };
            let path = match o.get("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) if p.trim().is_empty() => None,
                Some(Value::String(p)) => Some(p.trim().parse::<PatchPath>().map_err(|e| {
                    ScimError::bad(
                        "invalidPath",
                        format!("{at}.path '{p}' is not a SCIM path: {e}"),
                    )
                })?),
                Some(_) => {
                    return Err(ScimError::bad(
                        "invalidPath",
                        format!("{at}.path must be a string"),
                    ))
                }
            };
            let value = o.get("value").cloned();
            if path.is_none() && kind == Kind::Remove {
                return Err(ScimError::bad(
                    "noTarget",
                    format!("{at}: a remove needs a path naming what to remove"),
                ));
            }
            if kind != Kind::Remove && value.is_none() {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!(
                        "{at}: an {} needs a value",
                        if kind == Kind::Add { "add" } else { "replace" }
                    ),
                ));
            }
            Ok(Op { kind, path, value })
        })
        .collect()
}

/// The canonical spelling of attribute `name` (inside `parent`, when a sub-attribute), as
/// `scim_v2` knows RFC 7643's names; an unknown name is kept as sent.
pub fn canonical(parent: Option<&str>, name: &str) -> String {
    let mut probe = match parent {
        Some(p) => serde_json::json!({ p: { name: null } }),
        None => serde_json::json!({ name: null }),
    };
    if scim_v2::case_insensitive::canonicalize_keys(&mut probe).is_err() {
        return name.to_owned();
    }
    let top = probe.as_object().and_then(|o| o.iter().next());
    let key = match (parent, top) {
        (Some(_), Some((_, inner))) => inner.as_object().and_then(|o| o.keys().next().cloned()),
        (None, Some((k, _))) => Some(k.clone()),
        _ => None,
    };
    key.unwrap_or_else(|| name.to_owned())
}

/// The key of `obj` that names `name` in any case, else its canonical spelling.
fn key_in(obj: &Map<String, Value>, parent: Option<&str>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| canonical(parent, name))
}

fn is_enterprise(uri: Option<&str>) -> bool {
    uri.is_some_and(|u| u.eq_ignore_ascii_case(ENTERPRISE))
}

/// Applies the operations to a User resource in its SCIM form.
pub fn apply_user(resource: &mut Value, ops: &[Op]) -> ScimResult<()> {
    for op in ops {
        match &op.path {
            None => {
                let Some(Value::Object(values)) = &op.value else {
                    return Err(ScimError::bad(
                        "invalidValue",
                        "an operation without a path needs an object value, such as {\"active\": false}",
                    ));
                };
                for (k, v) in values {
                    let (uri, name, sub) = split_key(k);
                    if uri.is_some() && name.is_empty() {
                        // The whole extension object: each of its attributes in turn.
                        if let Value::Object(ext) = v {
                            for (ek, ev) in ext {
                                apply_attr(
                                    resource,
                                    Some(ENTERPRISE),
                                    ek,
                                    None,
                                    op.kind,
                                    Some(ev),
                                )?;
                            }
                        }
                        continue;
                    }
                    apply_attr(
                        resource,
                        uri.as_deref(),
                        &name,
                        sub.as_deref(),
                        op.kind,
                        Some(v),
                    )?;
                }
            }
            Some(PatchPath::Attr(p)) => apply_path(resource, p, op.kind, op.value.as_ref())?,
            Some(PatchPath::Value(vp)) => {
                apply_value_path(resource, vp, op.kind, op.value.as_ref())?
            }
        }
    }
    Ok(())
}

/// A key of a path-less value: `name`, `name.sub`, `urn:...:User` (the extension) or
/// `urn:...:User:name[.sub]`.
fn split_key(k: &str) -> (Option<String>, String, Option<String>) {
    if k.to_ascii_lowercase().starts_with("urn:") {
        if k.eq_ignore_ascii_case(ENTERPRISE) {
            return (Some(ENTERPRISE.to_owned()), String::new(), None);
        }
        if let Some((uri, rest)) = k.rsplit_once(':') {
            let (name, sub) = match rest.split_once('.') {
                Some((n, s)) => (n.to_owned(), Some(s.to_owned())),
                None => (rest.to_owned(), None),
            };
            return (Some(uri.to_owned()), name, sub);
        }
    }
    match k.split_once('.') {
        Some((n, s)) => (None, n.to_owned(), Some(s.to_owned())),
        None => (None, k.to_owned(), None),
    }
}

fn apply_path(
    resource: &mut Value,
    p: &AttrPath,
    kind: Kind,
    value: Option<&Value>,
) -> ScimResult<()> {
    // The extension's URN alone parses as a name (`User`) under a URI: the whole extension.
    let whole = p.sub_attr.is_none()
        && p.uri
            .as_deref()
            .is_some_and(|u| format!("{u}:{}", p.name).eq_ignore_ascii_case(ENTERPRISE));
    if whole {
        match (kind, value) {
            (Kind::Remove, _) => {
                if let Some(root) = resource.as_object_mut() {
                    let key = key_in(root, None, ENTERPRISE);
                    root.remove(&key);
                }
            }
            (_, Some(Value::Object(ext))) => {
                for (k, v) in ext {
                    apply_attr(resource, Some(ENTERPRISE), k, None, kind, Some(v))?;
                }
            }
            _ => {
                return Err(ScimError::bad(
                    "invalidValue",
                    "the enterprise extension takes an object value, such as {\"department\": \"Sales\"}",
                ))
            }
        }
        return Ok(());
    }
    apply_attr(
        resource,
        p.uri.as_deref(),
        &p.name,
        p.sub_attr.as_deref(),
        kind,
        value,
    )
}

fn read_only(name: &str) -> bool {
    ["id", "meta", "groups", "schemas"]
        .iter()
        .any(|r| r.eq_ignore_ascii_case(name))
}

fn apply_attr(
    resource: &mut Value,
    uri: Option<&str>,
    name: &str,
    sub: Option<&str>,
    kind: Kind,
    value: Option<&Value>,
) -> ScimResult<()> {
    if uri.is_none() && read_only(name) {
        if name.eq_ignore_ascii_case("schemas") {
            return Ok(());
        }
        return Err(ScimError::bad(
            "mutability",
            format!("'{name}' is read-only; it cannot be patched"),
        ));
    }
    let Some(root) = resource.as_object_mut() else {
        return Ok(());
    };
    let container = if is_enterprise(uri) {
        let key = key_in(root, None, ENTERPRISE);
        let ext = root.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !ext.is_object() {
            *ext = Value::Object(Map::new());
        }
        match ext.as_object_mut() {
            Some(e) => e,
            None => return Ok(()),
        }
    } else {
        root
    };
    let key = key_in(container, None, name);
    match sub {
        None => match kind {
            Kind::Remove => {
                container.remove(&key);
            }
            Kind::Add | Kind::Replace => {
                let v = value.cloned().unwrap_or(Value::Null);
                let slot = container.entry(key).or_insert(Value::Null);
                match (kind, &mut *slot, v) {
                    (Kind::Add, Value::Array(items), Value::Array(more)) => items.extend(more),
                    (Kind::Add, Value::Array(items), one) => items.push(one),
                    (_, Value::Object(current), Value::Object(more)) => {
                        for (k, v) in more {
                            let k = key_in(current, Some(name), &k);
                            current.insert(k, v);
                        }
                    }
                    (_, slot, v) => *slot = v,
                }
            }
        },
        Some(sub) => {
            let parent = container
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !parent.is_object() {
                *parent = Value::Object(Map::new());
            }
            if let Some(obj) = parent.as_object_mut() {
                let sub_key = key_in(obj, Some(&key), sub);
                match kind {
                    Kind::Remove => {
                        obj.remove(&sub_key);
                    }
                    Kind::Add | Kind::Replace => {
                        obj.insert(sub_key, value.cloned().unwrap_or(Value::Null));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether `element` of a multi-valued attribute matches a value filter.
pub fn matches(element: &Value, f: &ValFilter) -> bool {
    match f {
        ValFilter::Not(inner) => !matches(element, inner),
        ValFilter::And(items) => items.as_slice().iter().all(|i| matches(element, i)),
        ValFilter::Or(items) => items.as_slice().iter().any(|i| matches(element, i)),
        ValFilter::Attr(AttrExp::Present(p)) => {
            field(element, &p.name).is_some_and(|v| !v.is_null())
        }
        ValFilter::Attr(AttrExp::Comparison(p, op, want)) => {
            let Some(have) = field(element, &p.name) else {
                return matches!(op, CompareOp::Ne);
            };
            compare(have, op, want)
        }
    }
}

fn field<'a>(element: &'a Value, name: &str) -> Option<&'a Value> {
    element
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn compare(have: &Value, op: &CompareOp, want: &CompValue) -> bool {
    match want {
        CompValue::Str(w) => {
            let Some(h) = super::attributes::scalar_text(have) else {
                return false;
            };
            let (h, w) = (h.to_lowercase(), w.to_lowercase());
            match op {
                CompareOp::Eq => h == w,
                CompareOp::Ne => h != w,
                CompareOp::Co => h.contains(&w),
                CompareOp::Sw => h.starts_with(&w),
                CompareOp::Ew => h.ends_with(&w),
                CompareOp::Gt => h > w,
                CompareOp::Ge => h >= w,
                CompareOp::Lt => h < w,
                CompareOp::Le => h <= w,
            }
        }
        CompValue::True | CompValue::False => {
            let w = matches!(want, CompValue::True);
            let h = super::attributes::truthy(have).unwrap_or(false);
            match op {
                CompareOp::Eq => h == w,
                CompareOp::Ne => h != w,
                _ => false,
            }
        }
        CompValue::Null => match op {
            CompareOp::Eq => have.is_null(),
            CompareOp::Ne => !have.is_null(),
            _ => false,
        },
        CompValue::Number(n) => have
            .as_f64()
            .zip(n.as_f64())
            .is_some_and(|(h, w)| match op {
                CompareOp::Eq => h == w,
                CompareOp::Ne => h != w,
                CompareOp::Gt => h > w,
                CompareOp::Ge => h >= w,
                CompareOp::Lt => h < w,
                CompareOp::Le => h <= w,
                _ => false,
            }),
    }
}

/// The `type` a filter such as `type eq "work"` asks for, to make the element it names when no
/// element matches.
fn wanted_type(f: &ValFilter) -> Option<String> {
    match f {
        ValFilter::Attr(AttrExp::Comparison(p, CompareOp::Eq, CompValue::Str(t)))
            if p.name.eq_ignore_ascii_case("type") =>
        {
            Some(t.clone())
        }
        ValFilter::And(items) => items.as_slice().iter().find_map(wanted_type),
        _ => None,
    }
}

fn apply_value_path(
    resource: &mut Value,
    vp: &PatchValuePath,
    kind: Kind,
    value: Option<&Value>,
) -> ScimResult<()> {
    let Some(root) = resource.as_object_mut() else {
        return Ok(());
    };
    let container = if is_enterprise(vp.attr.uri.as_deref()) {
        match root.get_mut(ENTERPRISE).and_then(Value::as_object_mut) {
            Some(e) => e,
            None => return Ok(()),
        }
    } else {
        root
    };
    let key = key_in(container, None, &vp.attr.name);
    let list = container
        .entry(key.clone())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    let Some(items) = list.as_array_mut() else {
        return Ok(());
    };
    let hits: Vec<usize> = (0..items.len())
        .filter(|i| matches(&items[*i], &vp.filter))
        .collect();
    match kind {
        Kind::Remove => {
            if let Some(sub) = &vp.sub_attr {
                for i in &hits {
                    if let Some(o) = items[*i].as_object_mut() {
                        let k = key_in(o, Some(&key), sub);
                        o.remove(&k);
                    }
                }
            } else {
                let mut i = 0;
                items.retain(|_| {
                    let keep = !hits.contains(&i);
                    i += 1;
                    keep
                });
            }
        }
        Kind::Add | Kind::Replace => {
            let v = value.cloned().unwrap_or(Value::Null);
            if hits.is_empty() {
                // Entra ID replaces `emails[type eq "work"].value` on users that have no work
                // email yet: the element the filter names is made.
                let Some(t) = wanted_type(&vp.filter) else {
                    return Err(ScimError::bad(
                        "noTarget",
                        format!("no element of {} matches [{}]", vp.attr, vp.filter),
                    ));
                };
                let mut element = Map::new();
                element.insert("type".into(), Value::String(t));
                match (&vp.sub_attr, v) {
                    (Some(sub), v) => {
                        element.insert(canonical(Some(&key), sub), v);
                    }
                    (None, Value::Object(o)) => element.extend(o),
                    (None, other) => {
                        element.insert("value".into(), other);
                    }
                }
                items.push(Value::Object(element));
                return Ok(());
            }
            for i in hits {
                let Some(o) = items[i].as_object_mut() else {
                    continue;
                };
                match (&vp.sub_attr, &v) {
                    (Some(sub), v) => {
                        let k = key_in(o, Some(&key), sub);
                        o.insert(k, v.clone());
                    }
                    (None, Value::Object(more)) => {
                        for (k, v) in more {
                            let k = key_in(o, Some(&key), k);
                            o.insert(k, v.clone());
                        }
                    }
                    (None, other) => {
                        o.insert("value".into(), other.clone());
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(resource: Value, ops: Value) -> ScimResult<Value> {
        let mut body = json!({"schemas": [PATCH_SCHEMA], "Operations": ops});
        scim_v2::case_insensitive::canonicalize_keys(&mut body).expect("canonical");
        let ops = parse(&body)?;
        let mut r = resource;
        apply_user(&mut r, &ops)?;
        Ok(r)
    }

    fn user() -> Value {
        json!({
            "userName": "ann@x.io",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@x.io", "type": "work", "primary": true}],
            "active": true,
        })
    }

    #[test]
    fn entra_pathless_replace_with_dotted_keys_and_string_booleans() {
        let r = patch(
            user(),
            json!([{"op": "Replace", "value": {
                "name.givenName": "Anna", "active": "False",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Ops"
            }}]),
        )
        .expect("applies");
        assert_eq!(r["name"], json!({"givenName": "Anna", "familyName": "Lee"}));
        assert_eq!(r["active"], "False");
        assert_eq!(r[ENTERPRISE]["department"], "Ops");
    }

    #[test]
    fn the_whole_extension_is_added_and_removed() {
        let added = patch(
            user(),
            json!([{"op": "add", "path": ENTERPRISE, "value": {"department": "Ops", "manager": {"value": "m1"}}}]),
        )
        .expect("applies");
        assert_eq!(
            added[ENTERPRISE],
            json!({"department": "Ops", "manager": {"value": "m1"}})
        );
        let removed = patch(added, json!([{"op": "remove", "path": ENTERPRISE}])).expect("applies");
        assert!(removed.get(ENTERPRISE).is_none(), "{removed}");
    }

    #[test]
    fn value_paths_replace_add_and_remove() {
        let r = patch(
            user(),
            json!([
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@x.io"},
                {"op": "add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"},
                {"op": "remove", "path": "name.familyName"},
            ]),
        )
        .expect("applies");
        assert_eq!(r["emails"][0]["value"], "new@x.io");
        assert_eq!(
            r["phoneNumbers"],
            json!([{"type": "mobile", "value": "+1 555"}])
        );
        assert_eq!(r["name"], json!({"givenName": "Ann"}));
        let gone = patch(
            r,
            json!([{"op": "remove", "path": "phoneNumbers[type eq \"mobile\"]"}]),
        )
        .expect("applies");
        assert_eq!(gone["phoneNumbers"], json!([]));
    }

    #[test]
    fn read_only_and_malformed_operations_are_refused() {
        let id = patch(
            user(),
            json!([{"op": "replace", "path": "id", "value": "x"}]),
        );
        assert_eq!(id.expect_err("id").scim_type, Some("mutability"));
        let op = patch(
            user(),
            json!([{"op": "move", "path": "userName", "value": "x"}]),
        );
        assert_eq!(op.expect_err("op").scim_type, Some("invalidSyntax"));
        let no_value = patch(user(), json!([{"op": "add", "path": "userName"}]));
        assert_eq!(no_value.expect_err("value").scim_type, Some("invalidValue"));
        let no_target = patch(
            user(),
            json!([{"op": "replace", "path": "emails[value eq \"none@x.io\"].value", "value": "y"}]),
        );
        assert_eq!(no_target.expect_err("target").scim_type, Some("noTarget"));
    }

    #[test]
    fn canonical_names_follow_rfc_7643() {
        assert_eq!(canonical(None, "USERNAME"), "userName");
        assert_eq!(canonical(Some("name"), "GIVENNAME"), "givenName");
        assert_eq!(canonical(None, "unknownThing"), "unknownThing");
    }
}
