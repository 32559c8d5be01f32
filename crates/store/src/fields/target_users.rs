//! Fields of `POST /api/target-users/search` (REFERENCE.md: `TargetUserSearchView`).

use super::FieldKind::*;
use super::{searched_columns, searched_count, FieldSpec, Fields};

/// Every field of Keepnet's `TargetUserSearchView` that holds data, `isDeleted`, the manager
/// fields and the summary-card filters. Every column is NOT NULL ('' when absent).
const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("Email", "email_lower", Text)
        .aliases(&["EmailAddress"])
        .searched(),
    FieldSpec::new("FirstName", "first_name_lower", Text).searched(),
    FieldSpec::new("LastName", "last_name_lower", Text).searched(),
    FieldSpec::new("Department", "department_lower", Text).searched(),
    FieldSpec::new("PhoneNumber", "phone_lower", Text).aliases(&["Phone"]),
    FieldSpec::new("Priority", "priority", Priority),
    FieldSpec::new("Status", "is_active", Status).aliases(&["IsActive"]),
    FieldSpec::new("IsDeleted", "is_deleted", Bool),
    FieldSpec::new("CreateTime", "create_time", Time).aliases(&["CreateDate"]),
    FieldSpec::new("UpdateTime", "update_time", Time),
    FieldSpec::new("TimeZone", "time_zone_id", Exact).aliases(&["TimeZoneId"]),
    FieldSpec::new("PreferredLanguage", "preferred_language_id", Language)
        .aliases(&["PreferredLanguageId"]),
    FieldSpec::new("ManagerFullName", "manager_full_name_lower", Text),
    FieldSpec::new("ManagerEmail", "manager_email_lower", Text),
    FieldSpec::new("MonthlyActiveUser", "create_month", Month),
    FieldSpec::new("ResourceId", "resource_id", Exact).aliases(&["TargetUserResourceId"]),
    // Rows show the SCIM integration that provisioned a user (docs/scim.md), read per page
    // beside the rows; filtering on it is not supported yet. rollcall has no LDAP.
    FieldSpec::not_kept("ScimSettingName"),
    FieldSpec::not_kept("LdapConfigName"),
    // Whether the user's email domain is a verified allowed domain of its company (rollcall's
    // name: Keepnet's spec has no such field). Not a column: the target-user search renders it
    // as an EXISTS probe of `allow_list` (target_users/search.rs), so it does not sort.
    FieldSpec::new("IsDomainVerified", DOMAIN_VERIFIED, Bool)
        .aliases(&["DomainVerified"])
        .sortable(false),
    // Members of any of the named groups (resource ids; `Contains` matches a group's name):
    // issue #14. Not a column: rendered as a semi-join on the memberships (target_users/search.rs).
    FieldSpec::new("TargetGroup", TARGET_GROUP, Exact)
        .aliases(&[
            "TargetGroupResourceId",
            "TargetGroupResourceIds",
            "TargetGroups",
        ])
        .sortable(false),
];

/// The name the `TargetGroup` filter carries in the filter tree in place of a column.
pub const TARGET_GROUP: &str = "target_group";

/// A filter-tree leaf only the server builds (never parsed from a request): `=` or `!=` an
/// internal group id, for the members of a group or the users outside it.
pub const GROUP_MEMBER: &str = "target_group_member";

/// The name the `IsDomainVerified` filter carries in the filter tree in place of a column.
pub const DOMAIN_VERIFIED: &str = "email_domain_verified";

/// Target-user search: newest first by default.
pub const TARGET_USERS: Fields<'static> = Fields::new(FIELDS, "CreateTime", "id");

/// Columns the text box searches (first name, last name, email, department); SQLite's trigram
/// index `target_users_fts` covers these.
pub const TARGET_USER_SEARCHED_COLUMNS: &[&str] =
    &searched_columns::<{ searched_count(FIELDS) }>(FIELDS);

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite answers `Contains` on these columns from the trigram index, so the index must
    /// hold exactly them.
    #[test]
    fn the_trigram_index_holds_the_searched_columns() {
        let migration = include_str!("../../migrations/sqlite/0003_target_users_fts.sql");
        let open = migration.find("USING fts5(").expect("fts5 table") + "USING fts5(".len();
        let body = &migration[open..];
        let indexed: Vec<&str> = body[..body.find("content").expect("content option")]
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let mut searched = TARGET_USER_SEARCHED_COLUMNS.to_vec();
        searched.sort_unstable();
        let mut indexed = indexed;
        indexed.sort_unstable();
        assert_eq!(searched, indexed);
        assert_eq!(
            TARGET_USERS.searched_columns().count(),
            TARGET_USER_SEARCHED_COLUMNS.len()
        );
    }
}
