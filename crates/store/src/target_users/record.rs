//! A target user: its fields, the columns of `target_users`, what the fields store in them, and
//! how a row reads back. A new field is added here once (see docs/architecture.md, "Adding a
//! target-user field").

use sea_query::Value;

use crate::columns::table_columns;
use crate::model::Millis;
use crate::query::month_of;
use crate::rows::{FromColumns, ReadColumns};
use crate::Result;

/// The editable fields of a target user ('' when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetUserFields {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub department: String,
    pub phone_number: String,
    /// 1..=5, see [`crate::PRIORITIES`].
    pub priority: i64,
    pub is_active: bool,
    pub time_zone_id: String,
    pub preferred_language_id: String,
    pub manager_first_name: String,
    pub manager_last_name: String,
    pub manager_email: String,
}

/// A target user row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUser {
    pub id: i64,
    pub company_id: i64,
    pub resource_id: String,
    pub fields: TargetUserFields,
    pub is_deleted: bool,
    pub create_time: Millis,
    pub update_time: Millis,
}

impl TargetUserFields {
    /// The manager's first and last name with one space between them, trimmed (empty when
    /// neither is set).
    pub fn manager_full_name(&self) -> String {
        format!(
            "{} {}",
            self.manager_first_name.trim(),
            self.manager_last_name.trim()
        )
        .trim()
        .to_owned()
    }
}

table_columns! {
    /// Columns of `target_users`.
    pub(crate) enum TargetUserCol in "target_users" {
        read {
            Id = "id",
            CompanyId = "company_id",
            ResourceId = "resource_id",
            Email = "email",
            FirstName = "first_name",
            LastName = "last_name",
            Department = "department",
            PhoneNumber = "phone_number",
            Priority = "priority",
            IsActive = "is_active",
            IsDeleted = "is_deleted",
            TimeZoneId = "time_zone_id",
            PreferredLanguageId = "preferred_language_id",
            ManagerFirstName = "manager_first_name",
            ManagerLastName = "manager_last_name",
            ManagerEmail = "manager_email",
            CreateTime = "create_time",
            UpdateTime = "update_time",
        }
        stored {
            EmailLower = "email_lower",
            FirstNameLower = "first_name_lower",
            LastNameLower = "last_name_lower",
            DepartmentLower = "department_lower",
            PhoneLower = "phone_lower",
            ManagerFullNameLower = "manager_full_name_lower",
            ManagerEmailLower = "manager_email_lower",
            EmailDomain = "email_domain",
            CreateMonth = "create_month",
            DeleteTime = "delete_time",
        }
    }
}

use TargetUserCol as C;

/// The stored value of every column a user's fields fill, with the lowercase copies that
/// searches, sorting and the unique live-email index read: insert, bulk insert and update all
/// write exactly these, so a copy cannot fall out of step with its field.
pub(crate) fn field_values(f: &TargetUserFields) -> [(TargetUserCol, Value); 20] {
    let email_lower = f.email.to_lowercase();
    [
        (C::Email, f.email.clone().into()),
        (C::EmailDomain, email_domain(&email_lower).to_owned().into()),
        (C::EmailLower, email_lower.into()),
        (C::FirstName, f.first_name.clone().into()),
        (C::FirstNameLower, f.first_name.to_lowercase().into()),
        (C::LastName, f.last_name.clone().into()),
        (C::LastNameLower, f.last_name.to_lowercase().into()),
        (C::Department, f.department.clone().into()),
        (C::DepartmentLower, f.department.to_lowercase().into()),
        (C::PhoneNumber, f.phone_number.clone().into()),
        (C::PhoneLower, f.phone_number.to_lowercase().into()),
        (C::Priority, f.priority.into()),
        (C::IsActive, f.is_active.into()),
        (C::TimeZoneId, f.time_zone_id.clone().into()),
        (
            C::PreferredLanguageId,
            f.preferred_language_id.clone().into(),
        ),
        (C::ManagerFirstName, f.manager_first_name.clone().into()),
        (C::ManagerLastName, f.manager_last_name.clone().into()),
        (C::ManagerEmail, f.manager_email.clone().into()),
        (
            C::ManagerFullNameLower,
            f.manager_full_name().to_lowercase().into(),
        ),
        (C::ManagerEmailLower, f.manager_email.to_lowercase().into()),
    ]
}

/// The `UPDATE` of user `id`'s row to fields `f`, updated at `now`: every column the fields
/// fill ([`field_values`]) and the update time.
pub(crate) fn update_row(id: i64, f: &TargetUserFields, now: Millis) -> sea_query::UpdateStatement {
    let values = field_values(f)
        .into_iter()
        .chain([(C::UpdateTime, now.into())]);
    crate::rows::update_row_by(C::Id, id, values)
}

/// The domain of a lowercase email: what follows its '@' ('' without one), as migration 0013's
/// backfill computes it; the allow-list's verified filter compares it with `allow_list.domain`.
pub fn email_domain(email_lower: &str) -> &str {
    email_lower.split_once('@').map_or("", |(_, domain)| domain)
}

/// Every column of a new live user's row: its fields' ([`field_values`]) and its creation,
/// counted in the month `create_month` names.
pub(crate) fn new_row(
    company_id: i64,
    resource_id: String,
    f: &TargetUserFields,
    created: Millis,
) -> Vec<(TargetUserCol, Value)> {
    let mut row = Vec::with_capacity(25);
    row.push((C::CompanyId, company_id.into()));
    row.push((C::ResourceId, resource_id.into()));
    row.extend(field_values(f));
    row.extend([
        (C::IsDeleted, false.into()),
        (C::CreateTime, created.into()),
        (C::CreateMonth, month_of(created).into()),
        (C::UpdateTime, created.into()),
    ]);
    row
}

/// Where `create_month` sits in a row selected as `SELECT {SELECT}, create_month`: right after
/// the read columns.
pub(crate) const CREATE_MONTH_AFTER_READ: usize = C::READ.len();

impl FromColumns for TargetUser {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        Ok(TargetUser {
            id: r.int(C::Id.at())?,
            company_id: r.int(C::CompanyId.at())?,
            resource_id: r.text(C::ResourceId.at())?,
            fields: TargetUserFields {
                email: r.text(C::Email.at())?,
                first_name: r.text(C::FirstName.at())?,
                last_name: r.text(C::LastName.at())?,
                department: r.text(C::Department.at())?,
                phone_number: r.text(C::PhoneNumber.at())?,
                priority: r.int(C::Priority.at())?,
                is_active: r.flag(C::IsActive.at())?,
                time_zone_id: r.text(C::TimeZoneId.at())?,
                preferred_language_id: r.text(C::PreferredLanguageId.at())?,
                manager_first_name: r.text(C::ManagerFirstName.at())?,
                manager_last_name: r.text(C::ManagerLastName.at())?,
                manager_email: r.text(C::ManagerEmail.at())?,
            },
            is_deleted: r.flag(C::IsDeleted.at())?,
            create_time: r.int(C::CreateTime.at())?,
            update_time: r.int(C::UpdateTime.at())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SELECT list names the read columns in variant order, so positions match names.
    #[test]
    fn the_select_list_follows_the_variants() {
        let names: Vec<&str> = C::SELECT.split(", ").collect();
        assert_eq!(names.len(), C::READ.len());
        for (i, c) in C::READ.iter().enumerate() {
            assert_eq!(c.at(), i);
            assert_eq!(names[i], c.name());
        }
        assert_eq!(C::READ.last(), Some(&C::UpdateTime));
    }

    /// Every lowercase copy is written with its field, by one function.
    #[test]
    fn stored_values_carry_the_lowercase_copies() {
        let f = TargetUserFields {
            email: "Ann@Example.COM".into(),
            first_name: "Ann".into(),
            last_name: "Ärt".into(),
            department: "R&D".into(),
            phone_number: "+1 X".into(),
            priority: 2,
            is_active: true,
            time_zone_id: String::new(),
            preferred_language_id: String::new(),
            manager_first_name: "Bo".into(),
            manager_last_name: "Lind".into(),
            manager_email: "BO@x.io".into(),
        };
        let row = new_row(7, "AbCdEfGhIjKl".into(), &f, 1_700_000_000_000);
        let get = |c| row.iter().find(|(k, _)| *k == c).map(|(_, v)| v.clone());
        let text = |s: &str| Some(Value::from(s.to_owned()));
        assert_eq!(get(C::EmailLower), text("ann@example.com"));
        assert_eq!(get(C::EmailDomain), text("example.com"));
        assert_eq!(get(C::LastNameLower), text("ärt"));
        assert_eq!(get(C::PhoneLower), text("+1 x"));
        assert_eq!(get(C::ManagerFullNameLower), text("bo lind"));
        assert_eq!(get(C::ManagerEmailLower), text("bo@x.io"));
        assert_eq!(get(C::CreateMonth), Some(Value::from(202311_i64)));
        assert_eq!(get(C::IsDeleted), Some(Value::from(false)));
        // No column twice.
        let mut columns: Vec<_> = row.iter().map(|(c, _)| c.name()).collect();
        columns.sort_unstable();
        columns.dedup();
        assert_eq!(columns.len(), row.len());
    }
}
