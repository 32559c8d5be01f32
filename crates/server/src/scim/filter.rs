//! SCIM filters (RFC 7644 §3.4.2.2), parsed by `scim_v2` and resolved against the attributes
//! rollcall keeps into the store's typed tree ([`ScimCond`]). An attribute rollcall does not
//! keep is an `invalidFilter` naming the ones it does.

use rollcall_store::{ScimCmp, ScimCond, ScimGroupAttr, ScimUserAttr, ScimVal};
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter};

use super::attributes::{ENTERPRISE, GROUP, USER};
use super::{ScimError, ScimResult};

/// Users' filterable attributes, for error messages.
const USER_ATTRS: &str = "id, userName, externalId, emails.value (or emails[type eq \"work\"].value), name.givenName, name.familyName, active, phoneNumbers.value, department (enterprise), meta.created, meta.lastModified";
/// Groups' filterable attributes, for error messages.
const GROUP_ATTRS: &str =
    "id, displayName, externalId, members.value, meta.created, meta.lastModified";

/// What a resource type needs to resolve its attributes.
trait Resource: Copy {
    const ATTRS: &'static str;
    const SCHEMA: &'static str;
    /// The attribute at `name[.sub]` (lowercase), or `None` when rollcall does not keep it.
    fn resolve(name: &str, sub: Option<&str>) -> Option<Self>;
    /// The attribute a value path's inner `value` names (`emails[value co "x"]`), and whether a
    /// `type`/`primary` test in it holds for the one value rollcall keeps.
    fn element(name: &str) -> Option<Self>;
    fn kind(self) -> Kind;
}

/// How an attribute's comparison values are typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Bool,
    Time,
}

impl Resource for ScimUserAttr {
    const ATTRS: &'static str = USER_ATTRS;
    const SCHEMA: &'static str = USER;
    fn resolve(name: &str, sub: Option<&str>) -> Option<Self> {
        use ScimUserAttr::*;
        Some(match (name, sub) {
            ("id", None) => Id,
            ("username", None) => UserName,
            ("externalid", None) => ExternalId,
            ("emails", None | Some("value")) => Email,
            ("name", Some("givenname")) => GivenName,
            ("name", Some("familyname")) => FamilyName,
            ("active", None) => Active,
            ("department", None) => Department,
            ("phonenumbers", None | Some("value")) => PhoneNumber,
            ("meta", Some("created")) => Created,
            ("meta", Some("lastmodified")) => LastModified,
            _ => return None,
        })
    }
    fn element(name: &str) -> Option<Self> {
        match name {
            "emails" => Some(ScimUserAttr::Email),
            "phonenumbers" => Some(ScimUserAttr::PhoneNumber),
            _ => None,
        }
    }
    fn kind(self) -> Kind {
        match self {
            ScimUserAttr::Active => Kind::Bool,
            ScimUserAttr::Created | ScimUserAttr::LastModified => Kind::Time,
            _ => Kind::Text,
        }
    }
}

impl Resource for ScimGroupAttr {
    const ATTRS: &'static str = GROUP_ATTRS;
    const SCHEMA: &'static str = GROUP;
    fn resolve(name: &str, sub: Option<&str>) -> Option<Self> {
        use ScimGroupAttr::*;
        Some(match (name, sub) {
            ("id", None) => Id,
            ("displayname", None) => DisplayName,
            ("externalid", None) => ExternalId,
            ("members", None | Some("value")) => Member,
            ("meta", Some("created")) => Created,
            ("meta", Some("lastmodified")) => LastModified,
            _ => return None,
        })
    }
    fn element(name: &str) -> Option<Self> {
        (name == "members").then_some(ScimGroupAttr::Member)
    }
    fn kind(self) -> Kind {
        match self {
            ScimGroupAttr::Created | ScimGroupAttr::LastModified => Kind::Time,
            _ => Kind::Text,
        }
    }
}

fn invalid(detail: String) -> ScimError {
    ScimError::bad("invalidFilter", detail)
}

/// Parses `filter` for Users.
pub fn users(filter: Option<&str>) -> ScimResult<ScimCond<ScimUserAttr>> {
    parse(filter)
}

/// Parses `filter` for Groups.
pub fn groups(filter: Option<&str>) -> ScimResult<ScimCond<ScimGroupAttr>> {
    parse(filter)
}

fn parse<A: Resource>(filter: Option<&str>) -> ScimResult<ScimCond<A>> {
    let Some(raw) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(ScimCond::True);
    };
    // Entra ID writes `emails[type eq "work"].value eq "x"`, which the grammar has no place
    // for (a value path ends at `]`): it means the work email, the one rollcall keeps.
    let text = rewrite_work_value(raw);
    let parsed: Filter = text.parse().map_err(|e| {
        invalid(format!(
            "the filter '{raw}' does not parse ({e}); write it as RFC 7644 §3.4.2.2 does, for example userName eq \"ann@example.com\""
        ))
    })?;
    convert(&parsed)
}

/// `emails[type eq "work"].value` (any case, any type) becomes `emails.value`.
fn rewrite_work_value(raw: &str) -> String {
    let lower = raw.to_ascii_lowercase();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let rest = &lower[i..];
        let hit = ["emails[", "phonenumbers["]
            .iter()
            .find(|p| rest.starts_with(**p))
            .and_then(|p| {
                let close = rest.find("].value")?;
                let inner = &rest[p.len()..close];
                // Only the work address is kept: another type stays as sent (and does not parse).
                (inner.trim() == "type eq \"work\"").then_some((p.len() - 1, close))
            });
        match hit {
            Some((name_len, close)) => {
                out.push_str(&raw[i..i + name_len]);
                out.push_str(".value");
                i += close + "].value".len();
            }
            None => {
                let ch = raw[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

fn convert<A: Resource>(f: &Filter) -> ScimResult<ScimCond<A>> {
    Ok(match f {
        Filter::Attr(e) => attr_exp(e)?,
        Filter::Not(inner) => ScimCond::Not(Box::new(convert(inner)?)),
        Filter::And(items) => ScimCond::All(
            items
                .as_slice()
                .iter()
                .map(convert)
                .collect::<ScimResult<_>>()?,
        ),
        Filter::Or(items) => ScimCond::Any(
            items
                .as_slice()
                .iter()
                .map(convert)
                .collect::<ScimResult<_>>()?,
        ),
        Filter::ValuePath(vp) => {
            let (name, _) = names::<A>(&vp.attr)?;
            let Some(attr) = A::element(&name) else {
                return Err(invalid(format!(
                    "rollcall cannot filter inside '{}'; filterable attributes: {}",
                    vp.attr,
                    A::ATTRS
                )));
            };
            val_filter(&vp.filter, attr)?
        }
    })
}

/// The inner filter of a value path over the one element rollcall keeps (the work email, the
/// work phone, a member): `value` tests compare `attr`; `type eq "work"` and `primary eq true`
/// hold for emails and phones.
fn val_filter<A: Resource>(f: &ValFilter, attr: A) -> ScimResult<ScimCond<A>> {
    Ok(match f {
        ValFilter::Not(inner) => ScimCond::Not(Box::new(val_filter(inner, attr)?)),
        ValFilter::And(items) => ScimCond::All(
            items
                .as_slice()
                .iter()
                .map(|i| val_filter(i, attr))
                .collect::<ScimResult<_>>()?,
        ),
        ValFilter::Or(items) => ScimCond::Any(
            items
                .as_slice()
                .iter()
                .map(|i| val_filter(i, attr))
                .collect::<ScimResult<_>>()?,
        ),
        ValFilter::Attr(AttrExp::Present(p)) => match p.name.to_ascii_lowercase().as_str() {
            "value" => ScimCond::Present(attr),
            _ => ScimCond::True,
        },
        ValFilter::Attr(AttrExp::Comparison(p, op, v)) => {
            match p.name.to_ascii_lowercase().as_str() {
                "value" => ScimCond::Cmp(attr, cmp(op), value(attr, v, &p.to_string())?),
                "type" => {
                    let is_work = matches!(v, CompValue::Str(s) if s.eq_ignore_ascii_case("work"));
                    truth(matches!(op, CompareOp::Eq) == is_work)
                }
                "primary" => {
                    let is_true = matches!(v, CompValue::True);
                    truth(matches!(op, CompareOp::Eq) == is_true)
                }
                other => {
                    return Err(invalid(format!(
                        "rollcall cannot filter on '{other}' inside a value path; use value, type or primary"
                    )))
                }
            }
        }
    })
}

fn truth<A>(holds: bool) -> ScimCond<A> {
    if holds {
        ScimCond::True
    } else {
        ScimCond::Not(Box::new(ScimCond::True))
    }
}

/// The lowercase attribute name and sub-attribute of a path, its schema URN checked.
fn names<A: Resource>(p: &AttrPath) -> ScimResult<(String, Option<String>)> {
    let name = p.name.to_ascii_lowercase();
    let sub = p.sub_attr.as_ref().map(|s| s.to_ascii_lowercase());
    match p.uri.as_deref() {
        None => Ok((name, sub)),
        Some(u) if u.eq_ignore_ascii_case(A::SCHEMA) => Ok((name, sub)),
        Some(u) if u.eq_ignore_ascii_case(ENTERPRISE) && A::SCHEMA == USER => Ok((name, sub)),
        Some(u) => Err(invalid(format!(
            "rollcall has no attribute '{p}' (schema {u} is not served here); filterable attributes: {}",
            A::ATTRS
        ))),
    }
}

fn attr_exp<A: Resource>(e: &AttrExp) -> ScimResult<ScimCond<A>> {
    let (path, op) = match e {
        AttrExp::Present(p) => (p, None),
        AttrExp::Comparison(p, op, _) => (p, Some(op)),
    };
    let (name, sub) = names::<A>(path)?;
    let attr = A::resolve(&name, sub.as_deref()).ok_or_else(|| {
        invalid(format!(
            "rollcall cannot filter on '{path}'; filterable attributes: {}",
            A::ATTRS
        ))
    })?;
    Ok(match (e, op) {
        (AttrExp::Comparison(_, _, v), Some(op)) => {
            ScimCond::Cmp(attr, cmp(op), value(attr, v, &path.to_string())?)
        }
        _ => ScimCond::Present(attr),
    })
}

fn cmp(op: &CompareOp) -> ScimCmp {
    match op {
        CompareOp::Eq => ScimCmp::Eq,
        CompareOp::Ne => ScimCmp::Ne,
        CompareOp::Co => ScimCmp::Co,
        CompareOp::Sw => ScimCmp::Sw,
        CompareOp::Ew => ScimCmp::Ew,
        CompareOp::Gt => ScimCmp::Gt,
        CompareOp::Ge => ScimCmp::Ge,
        CompareOp::Lt => ScimCmp::Lt,
        CompareOp::Le => ScimCmp::Le,
    }
}

/// A comparison value typed for `attr`.
fn value<A: Resource>(attr: A, v: &CompValue, path: &str) -> ScimResult<ScimVal> {
    match (attr.kind(), v) {
        (Kind::Text, CompValue::Str(s)) => Ok(ScimVal::Text(s.clone())),
        (Kind::Text, CompValue::Number(n)) => Ok(ScimVal::Text(n.to_string())),
        (Kind::Bool, CompValue::True) => Ok(ScimVal::Bool(true)),
        (Kind::Bool, CompValue::False) => Ok(ScimVal::Bool(false)),
        (Kind::Bool, CompValue::Str(s)) if s.eq_ignore_ascii_case("true") => {
            Ok(ScimVal::Bool(true))
        }
        (Kind::Bool, CompValue::Str(s)) if s.eq_ignore_ascii_case("false") => {
            Ok(ScimVal::Bool(false))
        }
        (Kind::Time, CompValue::Str(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| ScimVal::Time(t.timestamp_millis()))
            .map_err(|_| {
                invalid(format!(
                    "{path} compares with a date-time such as \"2026-12-05T13:45:00Z\", not \"{s}\""
                ))
            }),
        (Kind::Bool, _) => Err(invalid(format!("{path} compares with true or false"))),
        (Kind::Time, _) => Err(invalid(format!(
            "{path} compares with a quoted date-time such as \"2026-12-05T13:45:00Z\""
        ))),
        (Kind::Text, _) => Err(invalid(format!("{path} compares with a quoted string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_and_okta_lookups_resolve() {
        assert_eq!(
            users(Some("userName eq \"Ann@Example.com\"")).ok(),
            Some(ScimCond::Cmp(
                ScimUserAttr::UserName,
                ScimCmp::Eq,
                ScimVal::Text("Ann@Example.com".into())
            ))
        );
        assert_eq!(
            users(Some("EXTERNALID EQ \"abc\"")).ok(),
            Some(ScimCond::Cmp(
                ScimUserAttr::ExternalId,
                ScimCmp::Eq,
                ScimVal::Text("abc".into())
            ))
        );
        assert_eq!(
            users(Some("emails[type eq \"work\"].value eq \"a@b.c\"")).ok(),
            Some(ScimCond::Cmp(
                ScimUserAttr::Email,
                ScimCmp::Eq,
                ScimVal::Text("a@b.c".into())
            ))
        );
        assert_eq!(
            groups(Some("displayName eq \"Sales\"")).ok(),
            Some(ScimCond::Cmp(
                ScimGroupAttr::DisplayName,
                ScimCmp::Eq,
                ScimVal::Text("Sales".into())
            ))
        );
    }

    #[test]
    fn logic_and_value_paths_resolve() {
        let f = users(Some(
            "(active eq \"False\" or not (name.familyName sw \"O'\")) and emails[type eq \"work\" and value co \"@x\"]",
        ))
        .expect("parses");
        let ScimCond::All(items) = f else {
            panic!("an and: {f:?}")
        };
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0], ScimCond::Any(v) if v.len() == 2));
        assert!(
            matches!(&items[1], ScimCond::All(v) if v[0] == ScimCond::True && matches!(v[1], ScimCond::Cmp(ScimUserAttr::Email, ScimCmp::Co, _)))
        );
        assert!(matches!(
            users(Some("meta.lastModified gt \"2026-01-01T00:00:00Z\"")),
            Ok(ScimCond::Cmp(
                ScimUserAttr::LastModified,
                ScimCmp::Gt,
                ScimVal::Time(_)
            ))
        ));
    }

    #[test]
    fn what_rollcall_cannot_filter_is_an_invalid_filter() {
        for bad in [
            "title eq \"x\"",
            "userName eq",
            "meta.lastModified gt \"yesterday\"",
            "active eq \"maybe\"",
            "urn:example:ext:1.0:User:x eq \"1\"",
        ] {
            let e = users(Some(bad)).expect_err(bad);
            assert_eq!(e.scim_type, Some("invalidFilter"), "{bad}");
            assert!(!e.detail.is_empty());
        }
    }
}
