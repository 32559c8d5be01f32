//! Fields of `POST /api/scim/search` (Keepnet's `SCIMSettingSearchView`).

use super::FieldKind::*;
use super::{FieldSpec, Fields};

const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("Name", "name_lower", Text).searched(),
    FieldSpec::new("CreateTime", "create_time", Time),
    FieldSpec::new("UpdateTime", "update_time", Time),
    FieldSpec::new("SyncPlatformGroup", "sync_platform_group", Bool),
    FieldSpec::new("ResourceId", "resource_id", Exact).aliases(&["ScimSettingResourceId"]),
];

/// SCIM integration search: newest first by default.
pub const SCIM_SETTINGS: Fields<'static> = Fields::new(FIELDS, "CreateTime", "id");
