//! Text that no input may carry: NUL and the other characters XML 1.0 forbids (issue #11,
//! part 5).
//!
//! PostgreSQL refuses NUL in text (rollcall answered 500) while SQLite stored it silently, and
//! the characters XML forbids would make an Excel export unreadable. Every text input — token
//! form fields, JSON bodies (keys and values, filters and search text included), company forms,
//! the path and the query string — is checked before any database work and refused with 400
//! naming the field. Tab, line feed and carriage return stay allowed. Refusing rather than
//! stripping keeps the stored value equal to what the caller sent.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;

/// Whether `c` is refused: U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+FFFE and U+FFFF.
pub fn forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// `Err(message)` when `value` holds a refused character; `field` names where it was.
pub fn check(field: &str, value: &str) -> Result<(), String> {
    match value.char_indices().find(|(_, c)| forbidden(*c)) {
        None => Ok(()),
        Some((at, c)) => Err(format!(
            "{field} contains the control character U+{:04X} at position {}; remove it (text may hold tabs and line breaks, but no other control characters)",
            u32::from(c),
            value[..at].chars().count()
        )),
    }
}

/// Checks every key and string of a JSON document; the field is named by its path
/// (`filter.filterGroups[0].filterItems[1].value`).
pub fn check_json(value: &Value) -> Result<(), String> {
    fn walk(value: &Value, path: &mut String) -> Result<(), String> {
        match value {
            Value::String(s) => check(if path.is_empty() { "the body" } else { path }, s),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let len = path.len();
                    if key.chars().any(forbidden) {
                        return Err(format!(
                            "a property name in {} contains a control character; remove it",
                            if len == 0 { "the body" } else { path.as_str() }
                        ));
                    }
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        }
    }
    walk(value, &mut String::new())
}

/// Middleware: refuses a request whose decoded path or query string holds a refused character
/// (`/api/target-users/%00`, `?companyId=%01`), before any handler runs.
pub async fn refuse_in_uri(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    if let Err(e) = check("the path", &path) {
        return ApiError::bad_request(e).into_response();
    }
    if let Some(query) = uri.query() {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let checked = check("a query parameter name", &name)
                .and_then(|()| check(&format!("the query parameter {name}"), &value));
            if let Err(e) = checked {
                return ApiError::bad_request(e).into_response();
            }
        }
    }
    next.run(req).await
}

/// A plausible email address: one `@`, a local part, a dotted domain, no spaces, at most 320.
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(char::is_whitespace)
        && e.chars().count() <= 320
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn email_rules() {
        assert!(valid_email("a.b@example.com"));
        assert!(!valid_email("a.b@example"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("@example.com"));
        assert!(!valid_email("a@@example.com"));
    }

    #[test]
    fn refuses_what_xml_forbids_and_keeps_tabs_and_line_breaks() {
        for c in [
            '\u{0}', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{e}', '\u{1f}', '\u{fffe}', '\u{ffff}',
        ] {
            let e = check("firstName", &format!("Ab{c}")).expect_err("refused");
            assert!(
                e.starts_with("firstName contains the control character U+"),
                "{e}"
            );
            assert!(e.contains("at position 2"), "{e}");
        }
        for ok in ["tab\there", "two\nlines\r\n", "Zoë 山田 \u{7f} \u{85}", ""] {
            assert!(check("x", ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn names_the_json_path_of_the_bad_value() {
        let body = json!({"filter": {"filterGroups": [{"filterItems": [
            {"fieldName": "Email", "value": "ok"},
            {"fieldName": "Email", "value": "a\u{0}b"}]}]}});
        let e = check_json(&body).expect_err("refused");
        assert!(
            e.starts_with(
                "filter.filterGroups[0].filterItems[1].value contains the control character U+0000"
            ),
            "{e}"
        );
        assert!(check_json(&json!({"a": [1, true, null, "fine"]})).is_ok());
        let e = check_json(&json!({"fil\u{0}ter": 1})).expect_err("a bad key");
        assert!(e.contains("property name"), "{e}");
        let e = check_json(&json!("\u{1}")).expect_err("a bare string");
        assert!(e.starts_with("the body contains"), "{e}");
    }
}
