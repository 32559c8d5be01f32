//! Fields of `POST /api/target-groups/search` (REFERENCE.md C.11: `TargetGroupSearchView`).

use super::FieldKind::*;
use super::{FieldSpec, Fields};

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("Name", "name_lower", Text)
        .aliases(&["GroupName", "TargetGroupName"])
        .searched(),
    FieldSpec::new("Priority", "priority", Priority),
    FieldSpec::new("UserCount", "user_count", Int),
    FieldSpec::new("UserCountWithPhoneNumber", "user_count_with_phone", Int),
    FieldSpec::new("CreateTime", "create_time", Time).aliases(&["CreateDate"]),
    FieldSpec::new("UpdateTime", "update_time", Time),
    FieldSpec::new("IsActive", "is_active", Bool),
    FieldSpec::new("ResourceId", "resource_id", Exact).aliases(&["TargetGroupResourceId"]),
    // Rows show the SCIM integration that made a group (docs/scim.md), read per page beside
    // the rows; filtering on it is not supported yet. rollcall has no LDAP groups.
    FieldSpec::not_kept("ScimSettingName"),
    FieldSpec::not_kept("LdapConfigName"),
];

/// Target-group search: newest first by default.
pub const TARGET_GROUPS: Fields<'static> = Fields::new(FIELDS, "CreateTime", "id");
