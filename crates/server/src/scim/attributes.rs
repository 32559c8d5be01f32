//! The SCIM attributes an integration may map to custom fields or group users by
//! (`GET /api/scim/fields`), and how each is read from a User resource. Ids are fixed: an
//! integration stores them. Department's is Keepnet's own (REFERENCE.md section I); the others
//! are rollcall's.

use serde_json::Value;

/// The enterprise extension's schema URN (RFC 7643 §4.3).
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core User schema URN (RFC 7643 §4.1).
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The Group schema URN (RFC 7643 §4.2).
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Where an attribute sits in a User resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A top-level string of the core schema.
    Core(&'static str),
    /// A string of the enterprise extension.
    Enterprise(&'static str),
    /// A sub-attribute of the work address (`addresses[type eq "work"]`).
    WorkAddress(&'static str),
    /// The value of the mobile phone number.
    Mobile,
}

/// One mappable attribute.
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    pub resource_id: &'static str,
    /// Its SCIM path as `GET /api/scim/fields` names it.
    pub path: &'static str,
    pub place: Place,
}

/// Department's id, as Keepnet's UI sends it for "group by Department".
pub const DEPARTMENT_ID: &str = "9fd0afec416c";

/// Every attribute an integration may map or group by.
pub const ATTRIBUTES: &[Attribute] = &[
    Attribute {
        resource_id: DEPARTMENT_ID,
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        place: Place::Enterprise("department"),
    },
    Attribute {
        resource_id: "cb26b875601f",
        path: "title",
        place: Place::Core("title"),
    },
    Attribute {
        resource_id: "8015cd3b5c57",
        path: "displayName",
        place: Place::Core("displayName"),
    },
    Attribute {
        resource_id: "4211c6071c9d",
        path: "nickName",
        place: Place::Core("nickName"),
    },
    Attribute {
        resource_id: "16b5498229b5",
        path: "userType",
        place: Place::Core("userType"),
    },
    Attribute {
        resource_id: "5d4d3d7aa6de",
        path: "locale",
        place: Place::Core("locale"),
    },
    Attribute {
        resource_id: "dafc3f579c13",
        path: "timezone",
        place: Place::Core("timezone"),
    },
    Attribute {
        resource_id: "d321c096dfee",
        path: "preferredLanguage",
        place: Place::Core("preferredLanguage"),
    },
    Attribute {
        resource_id: "2f1063492482",
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        place: Place::Enterprise("employeeNumber"),
    },
    Attribute {
        resource_id: "88bd1c4e23c8",
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
        place: Place::Enterprise("costCenter"),
    },
    Attribute {
        resource_id: "57ea861172d7",
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
        place: Place::Enterprise("organization"),
    },
    Attribute {
        resource_id: "6b649d925a14",
        path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
        place: Place::Enterprise("division"),
    },
    Attribute {
        resource_id: "0a76384f7856",
        path: "addresses[type eq \"work\"].locality",
        place: Place::WorkAddress("locality"),
    },
    Attribute {
        resource_id: "a06374c323d5",
        path: "addresses[type eq \"work\"].region",
        place: Place::WorkAddress("region"),
    },
    Attribute {
        resource_id: "7c795b211f9c",
        path: "addresses[type eq \"work\"].country",
        place: Place::WorkAddress("country"),
    },
    Attribute {
        resource_id: "69a0f6caf583",
        path: "addresses[type eq \"work\"].postalCode",
        place: Place::WorkAddress("postalCode"),
    },
    Attribute {
        resource_id: "8cf939e9c71c",
        path: "addresses[type eq \"work\"].streetAddress",
        place: Place::WorkAddress("streetAddress"),
    },
    Attribute {
        resource_id: "876b4bb88419",
        path: "phoneNumbers[type eq \"mobile\"].value",
        place: Place::Mobile,
    },
];

/// The attribute with this id (any case).
pub fn by_id(id: &str) -> Option<&'static Attribute> {
    ATTRIBUTES
        .iter()
        .find(|a| a.resource_id.eq_ignore_ascii_case(id.trim()))
}

/// A JSON scalar as text ('' for null, objects and arrays).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The element of a multi-valued attribute a single value is taken from: the one of `kind`
/// (`work`, `mobile`), else the primary one, else the first (`kind` None: primary, then first).
pub fn pick<'a>(items: &'a [Value], kind: Option<&str>) -> Option<&'a Value> {
    let typed = |k: &str| {
        items.iter().find(|i| {
            i.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(k))
        })
    };
    let primary = || {
        items
            .iter()
            .find(|i| i.get("primary").is_some_and(|p| truthy(p) == Some(true)))
    };
    match kind {
        Some(k) => typed(k),
        None => primary().or_else(|| items.first()),
    }
}

/// A boolean as providers send it: `true`, or Entra ID's `"True"` / `"False"` strings.
pub fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The value of `attr` in a User resource whose keys are canonical (RFC 7643 spelling).
pub fn read(user: &Value, place: Place) -> Option<String> {
    let list = |name: &str| {
        user.get(name)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    match place {
        Place::Core(name) => user.get(name).and_then(scalar_text),
        Place::Enterprise(name) => user
            .get(ENTERPRISE)
            .and_then(|e| e.get(name))
            .and_then(scalar_text),
        Place::WorkAddress(name) => {
            let addresses = list("addresses");
            pick(addresses, Some("work"))
                .or_else(|| pick(addresses, None))
                .and_then(|a| a.get(name))
                .and_then(scalar_text)
        }
        Place::Mobile => pick(list("phoneNumbers"), Some("mobile"))
            .and_then(|p| p.get("value"))
            .and_then(scalar_text),
    }
}

/// Writes `value` at `place` of a User resource being rendered.
pub fn write(user: &mut serde_json::Map<String, Value>, place: Place, value: &str) {
    let text = Value::String(value.to_owned());
    match place {
        Place::Core(name) => {
            user.insert(name.to_owned(), text);
        }
        Place::Enterprise(name) => {
            if let Some(ext) = user
                .entry(ENTERPRISE)
                .or_insert_with(|| Value::Object(Default::default()))
                .as_object_mut()
            {
                ext.insert(name.to_owned(), text);
            }
        }
        Place::WorkAddress(name) => {
            let list = user
                .entry("addresses")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Some(items) = list.as_array_mut() {
                if !items
                    .iter()
                    .any(|a| a.get("type").and_then(Value::as_str) == Some("work"))
                {
                    items.push(serde_json::json!({ "type": "work" }));
                }
                if let Some(work) = items
                    .iter_mut()
                    .find(|a| a.get("type").and_then(Value::as_str) == Some("work"))
                    .and_then(Value::as_object_mut)
                {
                    work.insert(name.to_owned(), text);
                }
            }
        }
        Place::Mobile => {
            let list = user
                .entry("phoneNumbers")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Some(items) = list.as_array_mut() {
                let mobile = items.iter_mut().find(|p| {
                    p.get("type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.eq_ignore_ascii_case("mobile"))
                });
                match mobile.and_then(Value::as_object_mut) {
                    Some(p) => {
                        p.insert("value".into(), text);
                    }
                    None => items.push(serde_json::json!({ "value": value, "type": "mobile" })),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_unique_and_department_is_keepnets() {
        let mut ids: Vec<&str> = ATTRIBUTES.iter().map(|a| a.resource_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ATTRIBUTES.len());
        assert_eq!(
            by_id("9FD0AFEC416C").map(|a| a.place),
            Some(Place::Enterprise("department"))
        );
    }

    #[test]
    fn values_are_read_where_providers_put_them() {
        let user = json!({
            "title": "Engineer",
            "addresses": [{"type": "home", "locality": "Home"}, {"type": "work", "locality": "Ankara"}],
            "phoneNumbers": [{"type": "work", "value": "1"}, {"type": "mobile", "value": "+90 5"}],
            ENTERPRISE: {"employeeNumber": 701, "department": "Sales"},
        });
        let get = |id: &str| read(&user, by_id(id).map(|a| a.place).expect("known"));
        assert_eq!(get("cb26b875601f").as_deref(), Some("Engineer"));
        assert_eq!(get("0a76384f7856").as_deref(), Some("Ankara"));
        assert_eq!(get("876b4bb88419").as_deref(), Some("+90 5"));
        assert_eq!(get("2f1063492482").as_deref(), Some("701"));
        assert_eq!(get(DEPARTMENT_ID).as_deref(), Some("Sales"));
        assert_eq!(get("5d4d3d7aa6de"), None);
    }

    #[test]
    fn entra_booleans_are_read() {
        assert_eq!(truthy(&json!("False")), Some(false));
        assert_eq!(truthy(&json!("TRUE")), Some(true));
        assert_eq!(truthy(&json!(false)), Some(false));
        assert_eq!(truthy(&json!("no")), None);
    }
}
