//! Fields of `POST /api/audit-logs/search` (REFERENCE.md section I: `AuditLogSearchView`).

use super::FieldKind::*;
use super::{FieldSpec, Fields};

/// Every field of `AuditLogSearchView`, text compared case-insensitively. `CreateTime` names
/// `LogDate` too, since generic Keepnet clients (rollcall's own included) send it as the
/// default order.
const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("LogDate", "log_date", Time).aliases(&["CreateTime", "Date"]),
    FieldSpec::new("UserName", "actor_client_id_lower", Text)
        .aliases(&["ClientId"])
        .searched(),
    FieldSpec::new("Operation", "operation_lower", Text).searched(),
    FieldSpec::new("EntityName", "entity_name_lower", Text)
        .aliases(&["Entity"])
        .searched(),
    FieldSpec::new("EntityResourceId", "entity_resource_id", Exact).nullable(true),
    // Addresses are stored as Rust prints them: lowercase already.
    FieldSpec::new("Ip", "ip", Text)
        .aliases(&["IpAddress"])
        .nullable(true),
    FieldSpec::new("AuditDescription", "description_lower", Text)
        .aliases(&["Description"])
        .searched(),
    FieldSpec::new("UserAgent", "user_agent_lower", Text)
        .sortable(false)
        .nullable(true),
    FieldSpec::new("OldValue", "old_value_lower", Text)
        .sortable(false)
        .nullable(true),
    FieldSpec::new("NewValue", "new_value_lower", Text)
        .sortable(false)
        .nullable(true),
    FieldSpec::new("ResourceId", "resource_id", Exact).sortable(false),
];

/// Audit search: newest first by `LogDate` by default.
pub const AUDIT_LOGS: Fields<'static> = Fields::new(FIELDS, "LogDate", "id");
