//! Fields of `POST /api/allow-list/search` (Keepnet's `SearchAllowListDto`).

use super::FieldKind::*;
use super::{FieldSpec, Fields};

const FIELDS: &[FieldSpec] = &[
    // Stored lowercase already: the column is its own lowercase copy.
    FieldSpec::new("Domain", "domain", Text).searched(),
    FieldSpec::new("TxtRecord", "txt_record", Exact),
    // `Verified` / `Unverified`, as the rows show it, any case.
    FieldSpec::new("Status", "status_lower", Text),
    FieldSpec::new("IsVerified", "is_verified", Bool),
    FieldSpec::new("VerifyType", "verify_type", Int).nullable(true),
    FieldSpec::new("CreateTime", "create_time", Time),
    FieldSpec::new("VerifyTime", "verify_time", Time).nullable(true),
    FieldSpec::new("LastCheckTime", "last_check_time", Time).nullable(true),
    FieldSpec::new("AllowListResourceId", "resource_id", Exact).aliases(&["ResourceId"]),
];

/// Allowed-domain search: newest first by default.
pub const ALLOW_LIST: Fields<'static> = Fields::new(FIELDS, "CreateTime", "id");
