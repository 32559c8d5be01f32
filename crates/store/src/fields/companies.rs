//! Fields of `POST /api/companies/search` (REFERENCE.md: `SearchCompanyDto`).

use super::FieldKind::{self, *};
use super::{FieldSpec, Fields};

/// A company field: several company columns are optional or computed by joins, so all are
/// nullable; tags, the month selector and the licence flag are not sortable.
const fn field(name: &'static str, column: &'static str, kind: FieldKind) -> FieldSpec<'static> {
    let special = matches!(kind, Tags | MonthSelector | Expired | NotKept);
    FieldSpec::new(name, column, kind)
        .sortable(!special)
        .nullable(true)
}

/// Keepnet's `SearchCompanyDto` plus the UI's filters.
const FIELDS: &[FieldSpec] = &[
    field("CompanyName", "name_lower", Text)
        .aliases(&["Name"])
        .searched(),
    field("CompanyResourceId", "resource_id", Exact).aliases(&["ResourceId"]),
    field("ResellerName", "reseller_name_lower", Text).searched(),
    field("IndustryName", "industry_name_lower", Text).searched(),
    field("IndustryResourceId", "industry_id", Exact),
    field("LicenseTypeName", "license_type_name_lower", Text),
    field("LicenseTypeResourceId", "license_type_id", Exact),
    field("IsNumberOfUsersLimited", "is_number_of_users_limited", Bool),
    field("NumberOfUsers", "number_of_users", Int).aliases(&["LicenseLimit"]),
    field("LicenceExpired", "license_end_date", Expired).aliases(&["LicenseExpired"]),
    field("LicenseEndDate", "license_end_date", Time).aliases(&["RenewalDate"]),
    field("CreateTime", "create_time", Time),
    field("TargetUserCount", "target_user_count", Int),
    field("InactiveTargetUserCount", "inactive_target_user_count", Int),
    field("DeletedTargetUserCount", "deleted_target_user_count", Int),
    field("MonthlyActiveUserCount", "monthly_active_user_count", Int),
    field("Tags", "tags_lower", Tags)
        .aliases(&["Tag"])
        .searched(),
    field("MonthlyActiveUser", "", MonthSelector),
    // Enrolment columns of the newer UI's company table (REFERENCE.md C.1): rollcall has no
    // enrolment, so the UI's search box finds nothing in them.
    FieldSpec::not_kept("MonthlyEnrolled"),
    FieldSpec::not_kept("MonthlyConsumption"),
    FieldSpec::not_kept("EnrolledVendorNames"),
];

/// Company search: newest first by default.
pub const COMPANIES: Fields<'static> = Fields::new(FIELDS, "CreateTime", "id");
