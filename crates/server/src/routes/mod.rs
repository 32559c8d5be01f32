//! One module per resource.

pub mod allow_list;
pub mod audit_logs;
pub mod clients;
pub mod companies;
pub mod company_ops;
pub mod custom_fields;
pub mod files;
pub mod frame;
pub mod imports;
pub mod leaderboard;
pub mod lookups;
pub mod operations;
pub mod roles;
pub mod scim_settings;
pub mod target_groups;
pub mod target_users;
pub mod user_extras;

/// A successful write's reply: its resource id and a short human message (CONTRACT.md
/// 2026-12-05: Keepnet's UI shows it, and reloads its table after a delete only when it is set).
pub fn written(
    resource_id: String,
    message: impl Into<String>,
) -> axum::Json<rollcall_types::Envelope<rollcall_types::IdResult>> {
    axum::Json(rollcall_types::Envelope::done(
        rollcall_types::IdResult { resource_id },
        message,
    ))
}

/// A search body read against `fields` for a request scoped to `company`, paged within the
/// server's largest page: every search and export of a company's rows starts here.
pub fn search_spec(
    state: &crate::state::AppState,
    req: &rollcall_types::SearchRequest,
    fields: &rollcall_store::Fields<'_>,
    company: &rollcall_store::Company,
) -> crate::error::ApiResult<(rollcall_store::SearchSpec, crate::paging::Paging)> {
    crate::paging::search_spec(req, state.config.max_page_size, fields, company)
}

/// Merges a body's `name` into `name`, the current one, as target groups and custom fields
/// check it: trimmed, 1 to `max` characters, required on a create, kept when left out. A
/// problem goes to `problems` after `at` (where an item of a bulk update names itself).
pub fn merge_name(
    sent: Option<&str>,
    name: &mut String,
    creating: bool,
    max: usize,
    at: &str,
    problems: &mut Vec<String>,
) {
    match sent.map(str::trim) {
        Some("") => problems.push(format!("{at}name is required")),
        Some(n) if n.chars().count() > max => {
            problems.push(format!("{at}name must be at most {max} characters"))
        }
        Some(n) => *name = n.to_owned(),
        None if creating => problems.push(format!("{at}name is required")),
        None => {}
    }
}
