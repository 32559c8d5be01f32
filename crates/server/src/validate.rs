//! Checks of what clients write, shared by the API's routes, file imports and SCIM: each says
//! what to fix in a message, and none reads the store, so that every way in checks alike.

use rollcall_store::{
    catalog, parse_priority, time_zones, CustomField, CustomFieldType, CustomValue,
    TargetUserFields, DEFAULT_PRIORITY,
};
use rollcall_types::target_user::TargetUserInput;
use rollcall_types::time::parse_date_or_time;
use serde_json::Value;

use crate::text::valid_email;

/// Longest custom field value.
const MAX_VALUE: usize = 1000;

/// A problem with one field of a target user's input: the field (by the name imports map it
/// with) and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

/// Merges `input` over `base` (create: defaults; update: the stored user) and checks it, with
/// its problems by field: the API joins the messages into one 400, imports and SCIM report
/// them per field (`validationDetail`).
pub fn check_user_fields(
    input: TargetUserInput,
    base: Option<&TargetUserFields>,
) -> Result<TargetUserFields, Vec<FieldProblem>> {
    let mut problems: Vec<FieldProblem> = Vec::new();
    let mut problem = |field: &'static str, message: String| {
        problems.push(FieldProblem { field, message });
    };
    let mut f = base.cloned().unwrap_or(TargetUserFields {
        priority: DEFAULT_PRIORITY,
        is_active: true,
        ..Default::default()
    });
    match input.email.map(|e| e.trim().to_owned()) {
        Some(e) if valid_email(&e) => f.email = e,
        Some(e) if e.is_empty() => problem("Email", "email is required".to_owned()),
        Some(e) => problem("Email", format!("email '{e}' is not a valid email address")),
        None if base.is_none() => problem("Email", "email is required".to_owned()),
        None => {}
    }
    let mut text =
        |field: &'static str, name: &str, value: Option<String>, max: usize, slot: &mut String| {
            if let Some(v) = value {
                let v = v.trim().to_owned();
                if v.chars().count() > max {
                    problem(field, format!("{name} must be at most {max} characters"));
                }
                *slot = v;
            }
        };
    text(
        "FirstName",
        "firstName",
        input.first_name,
        256,
        &mut f.first_name,
    );
    text(
        "LastName",
        "lastName",
        input.last_name,
        256,
        &mut f.last_name,
    );
    text(
        "Department",
        "department",
        input.department,
        256,
        &mut f.department,
    );
    text(
        "PhoneNumber",
        "phoneNumber",
        input.phone_number.map(|p| p.replace(' ', "")),
        64,
        &mut f.phone_number,
    );
    // Checked against the catalogues only when sent, so an update leaves a value stored before
    // the check existed alone (docs/api.md, time zones and languages).
    let zone_sent = input.time_zone_id.is_some();
    let language_sent = input.preferred_language_id.is_some();
    text(
        "TimeZone",
        "timeZoneId",
        input.time_zone_id,
        128,
        &mut f.time_zone_id,
    );
    text(
        "PreferredLanguage",
        "preferredLanguageId",
        input.preferred_language_id,
        64,
        &mut f.preferred_language_id,
    );
    text(
        "ManagerFirstName",
        "managerFirstName",
        input.manager_first_name,
        256,
        &mut f.manager_first_name,
    );
    text(
        "ManagerLastName",
        "managerLastName",
        input.manager_last_name,
        256,
        &mut f.manager_last_name,
    );
    text(
        "ManagerEmail",
        "managerEmail",
        input.manager_email,
        320,
        &mut f.manager_email,
    );
    if zone_sent {
        match check_time_zone("timeZoneId", &f.time_zone_id) {
            Ok(v) => f.time_zone_id = v,
            Err(e) => problem("TimeZone", e),
        }
    }
    if language_sent {
        match check_language("preferredLanguageId", &f.preferred_language_id) {
            Ok(v) => f.preferred_language_id = v,
            Err(e) => problem("PreferredLanguage", e),
        }
    }
    if !f.manager_email.is_empty() && !valid_email(&f.manager_email) {
        problem(
            "ManagerEmail",
            format!(
                "managerEmail '{}' is not a valid email address",
                f.manager_email
            ),
        );
    }
    if let Some(p) = input.priority.filter(|p| !p.trim().is_empty()) {
        match parse_priority(&p) {
            Some(n) => f.priority = n,
            None => problem(
                "Priority",
                format!("priority '{p}' is not valid; use VeryLow, Low, Medium, High or VeryHigh"),
            ),
        }
    }
    if let Some(a) = input.is_active {
        f.is_active = a;
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(f)
}

/// Checks a `timeZoneId` as written: a Windows id (any case; stored in Windows' own spelling)
/// or an IANA name. An empty value clears the field. The error says where valid ids are listed.
pub fn check_time_zone(field: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    time_zones::resolve(value).map(|(id, _)| id).ok_or_else(|| {
        format!(
            "{field} '{value}' is not a time zone; use a Windows id listed by GET /api/timezone/timezones (e.g. 'Turkey Standard Time') or an IANA name (e.g. 'Europe/Istanbul')"
        )
    })
}

/// Checks a language value as written (`preferredLanguageId` of target users,
/// `PreferredLanguageTypeResourceId` of companies): a language's resource id, ISO 639-1 code or
/// a tag starting with one (`en-GB`). Returns what is stored: the language's resource id, the one
/// spelling filters compare (docs/api.md, "Lookups and time zones"). An empty value clears the
/// field. The error says where the valid values are listed.
pub fn check_language(field: &str, value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    catalog::language_id(value)
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "{field} '{value}' is not a language; use a resourceId listed by GET /api/lookups/21 (or its ISO code, e.g. 'tr')"
            )
        })
}

/// A value as text: strings as they are, numbers and booleans written out.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One value of `field`, checked against its type: `Err` says what to fix.
pub fn typed_value(
    field: &CustomField,
    value: Option<&Value>,
    timestamp: Option<&Value>,
) -> Result<CustomValue, String> {
    let name = &field.fields.name;
    let text = value.and_then(value_text).unwrap_or_default();
    let stamp = timestamp.and_then(value_text).unwrap_or_default();
    let mut out = CustomValue {
        field_id: field.id,
        text: String::new(),
        number: None,
        time: None,
    };
    let ty = field.fields.data_type;
    if text.is_empty()
        && (stamp.is_empty() || !matches!(ty, CustomFieldType::Date | CustomFieldType::DateTime))
    {
        return Ok(out);
    }
    if text.chars().count() > MAX_VALUE {
        return Err(format!(
            "custom field '{name}' takes at most {MAX_VALUE} characters"
        ));
    }
    match ty {
        CustomFieldType::String => out.text = text,
        CustomFieldType::Email => {
            if !valid_email(&text) {
                return Err(format!(
                    "custom field '{name}' is an Email field and '{text}' is not an email address"
                ));
            }
            out.text = text;
        }
        CustomFieldType::Number => match text.parse::<f64>() {
            Ok(n) if n.is_finite() => {
                out.number = Some(n);
                out.text = text;
            }
            _ => {
                return Err(format!(
                    "custom field '{name}' is a Number field and '{text}' is not a number"
                ))
            }
        },
        CustomFieldType::Boolean => {
            let b = match text.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(format!(
                        "custom field '{name}' is a Boolean field; send True or False, not '{text}'"
                    ))
                }
            };
            // Keepnet's UI sends and shows "True"/"False".
            out.text = if b { "True" } else { "False" }.to_owned();
            out.number = Some(if b { 1.0 } else { 0.0 });
        }
        CustomFieldType::Date | CustomFieldType::DateTime => {
            // Keepnet's UI sends dates in timestampValue; value is read when it is left out.
            let raw = if stamp.is_empty() { &text } else { &stamp };
            let Some(t) = parse_date_or_time(raw) else {
                return Err(format!(
                    "custom field '{name}' is a {} field; send an ISO 8601 date in timestampValue (2026-12-05 or 2026-12-05T13:45:00Z), not '{raw}'",
                    ty.name()
                ));
            };
            out.time = Some(t.timestamp_millis());
            out.text = if ty == CustomFieldType::Date {
                t.format("%Y-%m-%d").to_string()
            } else {
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            };
        }
    }
    Ok(out)
}
