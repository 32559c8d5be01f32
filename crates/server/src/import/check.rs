//! A mapping (file columns to target-user fields) and each row's check against it, by the
//! same rules as `POST /api/target-users` (docs/api.md, "Importing users").

use std::collections::HashMap;

use rollcall_store::{CustomField, Problem, RowCheck, RowStatus, UserPatch};
use rollcall_types::import::FieldMapping;
use rollcall_types::target_user::TargetUserInput;
use serde::{Deserialize, Serialize};

use crate::validate::{check_user_fields, typed_value};

/// The target-user fields a column can fill, by the name the UI sends (any case; the docs'
/// camelCase is the same name) and the other names accepted.
const FIELDS: &[(&str, &[&str])] = &[
    ("Email", &["EmailAddress"]),
    ("FirstName", &[]),
    ("LastName", &[]),
    ("Department", &[]),
    ("PhoneNumber", &["Phone"]),
    ("TimeZone", &["TimeZoneId"]),
    ("PreferredLanguage", &["PreferredLanguageId", "Language"]),
    ("Priority", &[]),
    ("ManagerFirstName", &[]),
    ("ManagerLastName", &[]),
    ("ManagerEmail", &[]),
];

/// Where a column goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// A built-in field, by its canonical name in [`FIELDS`].
    Field(String),
    /// A custom field, by internal id.
    Custom(i64),
}

/// A checked mapping: each mapped column (by index) and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub columns: Vec<(usize, Target)>,
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Checks the client's mapping against the file's headers and the company's active custom
/// fields; every problem is listed.
pub fn mapping(
    headers: &[String],
    items: &[FieldMapping],
    defs: &[CustomField],
) -> Result<Mapping, Vec<String>> {
    let mut problems = Vec::new();
    let mut columns: Vec<(usize, Target)> = Vec::new();
    for (i, m) in items.iter().enumerate() {
        let column = m.excel_column_name.as_deref().map(str::trim).unwrap_or("");
        let field = m.field_name.as_deref().map(str::trim).unwrap_or("");
        // An unmapped column (no field name) is not imported.
        if field.is_empty() {
            continue;
        }
        let Some(index) = headers.iter().position(|h| h.eq_ignore_ascii_case(column)) else {
            problems.push(format!(
                "fieldMappings[{i}]: the file has no column '{column}'; its columns are: {}",
                headers.join(", ")
            ));
            continue;
        };
        let wanted = squash(field);
        let target = FIELDS
            .iter()
            .find(|(name, aliases)| {
                squash(name) == wanted || aliases.iter().any(|a| squash(a) == wanted)
            })
            .map(|(name, _)| Target::Field((*name).to_owned()))
            .or_else(|| {
                defs.iter()
                    .find(|d| {
                        d.fields.is_active && d.fields.name.trim().eq_ignore_ascii_case(field)
                    })
                    .map(|d| Target::Custom(d.id))
            });
        let Some(target) = target else {
            problems.push(format!(
                "fieldMappings[{i}]: '{field}' is not a target-user field; use one of {} or an active custom field's name",
                FIELDS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ));
            continue;
        };
        if columns.iter().any(|(_, t)| *t == target) {
            problems.push(format!(
                "fieldMappings[{i}]: '{field}' is mapped from two columns; map each field once"
            ));
            continue;
        }
        columns.push((index, target));
    }
    if !columns
        .iter()
        .any(|(_, t)| *t == Target::Field("Email".into()))
    {
        problems.push(
            "no column is mapped to Email; map the column that holds the email addresses (fieldName Email)".into(),
        );
    }
    if problems.is_empty() {
        Ok(Mapping { columns })
    } else {
        Err(problems)
    }
}

/// A guess of the mapping from the headers alone (the template's names and the fields' own
/// names, any case and spacing): for the CLI and for clients that send none.
pub fn guess(headers: &[String], defs: &[CustomField]) -> Vec<FieldMapping> {
    let mut out = Vec::new();
    for h in headers {
        let squashed = squash(h);
        let field = FIELDS
            .iter()
            .find(|(name, aliases)| {
                squash(name) == squashed || aliases.iter().any(|a| squash(a) == squashed)
            })
            .map(|(n, _)| (*n).to_owned())
            .or_else(|| {
                defs.iter()
                    .find(|d| d.fields.is_active && squash(&d.fields.name) == squashed)
                    .map(|d| d.fields.name.clone())
            });
        let taken = |f: &str| {
            out.iter()
                .any(|m: &FieldMapping| m.field_name.as_deref() == Some(f))
        };
        if let Some(field) = field.filter(|f| !taken(f)) {
            out.push(FieldMapping {
                excel_column_name: Some(h.clone()),
                field_name: Some(field),
            });
        }
    }
    out
}

/// The lowercase email of a row, as the mapping reads it ('' without one): what a repeated
/// email is compared by.
pub fn email_key(cells: &[String], mapping: &Mapping) -> String {
    mapping
        .columns
        .iter()
        .find(|(_, t)| matches!(t, Target::Field(f) if f == "Email"))
        .and_then(|(col, _)| cells.get(*col))
        .map(|c| c.trim().to_lowercase())
        .unwrap_or_default()
}

/// Checks one row: the patch it applies (its non-empty mapped cells, checked), and its
/// problems by field. `seen` holds the emails of earlier rows (row number by lowercase email):
/// at least those of this row's email ([`email_key`]); this row's is added.
pub fn row(
    row_no: i64,
    cells: &[String],
    mapping: &Mapping,
    defs: &[CustomField],
    seen: &mut HashMap<String, i64>,
) -> RowCheck {
    let mut input = TargetUserInput::default();
    let mut custom = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    for (col, target) in &mapping.columns {
        let cell = cells.get(*col).map(String::as_str).unwrap_or("");
        if cell.is_empty() && !matches!(target, Target::Field(f) if f == "Email") {
            // An empty cell leaves the field: a new user's default, an existing user's value.
            continue;
        }
        let value = Some(cell.to_owned());
        match target {
            Target::Field(f) => match f.as_str() {
                "Email" => input.email = value,
                "FirstName" => input.first_name = value,
                "LastName" => input.last_name = value,
                "Department" => input.department = value,
                "PhoneNumber" => input.phone_number = value,
                "TimeZone" => input.time_zone_id = value,
                "PreferredLanguage" => input.preferred_language_id = value,
                "Priority" => input.priority = value,
                "ManagerFirstName" => input.manager_first_name = value,
                "ManagerLastName" => input.manager_last_name = value,
                "ManagerEmail" => input.manager_email = value,
                _ => {}
            },
            Target::Custom(id) => {
                let Some(def) = defs.iter().find(|d| d.id == *id) else {
                    continue;
                };
                match typed_value(def, Some(&serde_json::Value::String(cell.to_owned())), None) {
                    Ok(v) => custom.push(v),
                    Err(message) => problems.push(Problem {
                        field_name: def.fields.name.clone(),
                        message,
                    }),
                }
            }
        }
    }
    let mapped = input.clone();
    let fields = match check_user_fields(input, None) {
        Ok(f) => Some(f),
        Err(list) => {
            problems.extend(list.into_iter().map(|p| Problem {
                field_name: p.field.to_owned(),
                message: p.message,
            }));
            None
        }
    };
    let email = mapped.email.clone().unwrap_or_default().trim().to_owned();
    let key = email_key(cells, mapping);
    if !key.is_empty() {
        match seen.get(&key) {
            Some(first) => problems.push(Problem {
                field_name: "Email".into(),
                message: format!("row {first} of the file has the same email; each user once"),
            }),
            None => {
                seen.insert(key, row_no);
            }
        }
    }
    // The patch holds what was mapped, in its checked form; an Error row keeps what could be
    // read, for the preview.
    let pick = |sent: &Option<String>, checked: Option<&String>| {
        sent.as_ref()
            .map(|raw| checked.cloned().unwrap_or_else(|| raw.trim().to_owned()))
    };
    let f = fields.as_ref();
    let patch = UserPatch {
        email: f.map_or(email.clone(), |f| f.email.clone()),
        first_name: pick(&mapped.first_name, f.map(|f| &f.first_name)),
        last_name: pick(&mapped.last_name, f.map(|f| &f.last_name)),
        department: pick(&mapped.department, f.map(|f| &f.department)),
        phone_number: pick(&mapped.phone_number, f.map(|f| &f.phone_number)),
        priority: mapped.priority.as_ref().and_then(|_| f.map(|f| f.priority)),
        time_zone_id: pick(&mapped.time_zone_id, f.map(|f| &f.time_zone_id)),
        preferred_language_id: pick(
            &mapped.preferred_language_id,
            f.map(|f| &f.preferred_language_id),
        ),
        manager_first_name: pick(&mapped.manager_first_name, f.map(|f| &f.manager_first_name)),
        manager_last_name: pick(&mapped.manager_last_name, f.map(|f| &f.manager_last_name)),
        manager_email: pick(&mapped.manager_email, f.map(|f| &f.manager_email)),
        custom,
    };
    RowCheck {
        row_no,
        // New or Exists is decided against the company's users by the caller.
        status: if problems.is_empty() {
            RowStatus::New
        } else {
            RowStatus::Error
        },
        patch: Some(patch),
        problems,
    }
}
