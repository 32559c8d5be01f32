//! Rows and inputs of the store.

pub use crate::priority::{parse_priority, priority_name, DEFAULT_PRIORITY, PRIORITIES};
use crate::query::SearchSpec;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// A company row.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    /// Internal id; tenant tables reference it.
    pub id: i64,
    /// Public 12-character id.
    pub resource_id: String,
    /// Parent's internal id; `None` for a root.
    pub parent_id: Option<i64>,
    /// `/<root>/.../<id>/`.
    pub path: String,
    /// Editable fields.
    pub fields: CompanyFields,
    /// Creation time.
    pub create_time: Millis,
    /// Last update.
    pub update_time: Option<Millis>,
    /// Whether the company lets the resellers above it into its data.
    pub privacy: Privacy,
}

/// Account privacy (REFERENCE.md I, "Account privacy"): Keepnet's `privacyDurationId` and its
/// window. Set by the company itself; it limits the resellers above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Privacy {
    /// 0 deny, 1 access continuously, 2 to 5 a window ([`PRIVACY_DURATIONS`]).
    pub duration_id: i64,
    /// When the window (or the setting) started; `None` for 0 and 1.
    pub start_time: Option<Millis>,
    /// When the window ends; `None` for 0 and 1.
    pub end_time: Option<Millis>,
}

/// `privacyDurationId` 0: the customer denies its reseller access.
pub const PRIVACY_DENY: i64 = 0;
/// `privacyDurationId` 1: access continuously (the default of every company).
pub const PRIVACY_ALWAYS: i64 = 1;
/// Keepnet's timed windows: `privacyDurationId` and its length in milliseconds (two hours,
/// eight hours, one day, seven days).
pub const PRIVACY_DURATIONS: [(i64, Millis); 4] = [
    (2, 2 * 3_600_000),
    (3, 8 * 3_600_000),
    (4, 24 * 3_600_000),
    (5, 7 * 24 * 3_600_000),
];

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            duration_id: PRIVACY_ALWAYS,
            start_time: None,
            end_time: None,
        }
    }
}

impl Privacy {
    /// The setting `duration_id` chosen at `now`: a window starts now; `None` for an id that
    /// is not one of Keepnet's.
    pub fn chosen(duration_id: i64, now: Millis) -> Option<Privacy> {
        if duration_id == PRIVACY_DENY || duration_id == PRIVACY_ALWAYS {
            return Some(Privacy {
                duration_id,
                start_time: None,
                end_time: None,
            });
        }
        let (_, length) = PRIVACY_DURATIONS
            .iter()
            .find(|(id, _)| *id == duration_id)?;
        Some(Privacy {
            duration_id,
            start_time: Some(now),
            end_time: Some(now + length),
        })
    }

    /// Whether the resellers above may read and change the company's data at `now`.
    pub fn grants_access(&self, now: Millis) -> bool {
        match self.duration_id {
            PRIVACY_ALWAYS => true,
            PRIVACY_DENY => false,
            _ => self.end_time.is_some_and(|end| now < end),
        }
    }

    /// The id as clients should read it at `now`: a window that has ended reads 0 (deny), so
    /// that Keepnet's UI, which disables switching on `privacyDurationId === 0`, agrees with
    /// what the server enforces. The stored times stay, telling when it ended.
    pub fn effective_id(&self, now: Millis) -> i64 {
        if self.grants_access(now) || self.duration_id == PRIVACY_DENY {
            self.duration_id
        } else {
            PRIVACY_DENY
        }
    }
}

impl Company {
    /// Whether `other` is this company or below it.
    pub fn reaches(&self, other: &Company) -> bool {
        other.path.starts_with(&self.path)
    }

    /// Whether the licence has ended at `now`.
    pub fn licence_expired(&self, now: Millis) -> bool {
        self.fields.license_end_date.is_some_and(|end| end < now)
    }
}

/// The editable fields of a company.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyFields {
    pub name: String,
    pub description: Option<String>,
    pub address: Option<String>,
    pub website_url: Option<String>,
    pub logo_url: Option<String>,
    pub country_id: Option<String>,
    pub industry_id: Option<String>,
    pub license_type_id: Option<String>,
    pub license_period_type_id: Option<String>,
    pub is_number_of_users_limited: bool,
    pub number_of_users: Option<i64>,
    pub license_start_date: Option<Millis>,
    pub license_end_date: Option<Millis>,
    pub time_zone_id: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub status_id: i64,
    pub tags: Vec<String>,
    /// Keepnet's `preferredLanguageTypeResourceId`: a language's resource id (lookup type 21).
    pub preferred_language_id: Option<String>,
}

impl CompanyFields {
    /// A three-way merge for an update: the fields `self` changed from `base` (what the
    /// caller read) win, the others take `current` (what is stored now), so that a change made
    /// meanwhile by someone else is not written back over.
    pub fn rebase(&self, base: &Self, current: &Self) -> Self {
        macro_rules! merged {
            ($($field:ident),* $(,)?) => {
                Self {
                    $($field: if self.$field != base.$field {
                        self.$field.clone()
                    } else {
                        current.$field.clone()
                    },)*
                }
            };
        }
        merged!(
            name,
            description,
            address,
            website_url,
            logo_url,
            country_id,
            industry_id,
            license_type_id,
            license_period_type_id,
            is_number_of_users_limited,
            number_of_users,
            license_start_date,
            license_end_date,
            time_zone_id,
            date_format,
            time_format,
            status_id,
            tags,
            preferred_language_id,
        )
    }
}

/// Result of a company delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Deleted with all its data.
    Deleted,
    /// Refused: this many companies are directly below it.
    HasChildren(i64),
    /// No such company.
    NotFound,
}

/// Result of a bulk company delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkCompanyDelete {
    /// All deleted; how many.
    Deleted(u64),
    /// Nothing deleted: this company (resource id) refused, for this reason.
    Refused {
        company: String,
        outcome: DeleteOutcome,
    },
}

/// A companies search: the generic spec plus the month `monthlyActiveUserCount` reports.
#[derive(Debug, Clone)]
pub struct CompanySearch {
    /// Filter, order and page.
    pub spec: SearchSpec,
    /// YYYYMM whose added users `monthlyActiveUserCount` counts.
    pub month: i64,
    /// Keep only companies whose active users exceed a limited licence.
    pub only_limit_exceeded: bool,
    /// Current time, for `licenceExpired`.
    pub now: Millis,
}

/// A row of the company search view.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyRow {
    pub resource_id: String,
    pub name: String,
    pub reseller_name: Option<String>,
    pub industry_name: Option<String>,
    pub industry_id: Option<String>,
    pub license_type_name: Option<String>,
    pub license_type_id: Option<String>,
    pub is_number_of_users_limited: bool,
    pub number_of_users: Option<i64>,
    pub license_end_date: Option<Millis>,
    pub create_time: Millis,
    pub tags: Vec<String>,
    /// Internal id and parent's, for the clustered (tree) view.
    pub id: i64,
    pub parent_id: Option<i64>,
    pub privacy: Privacy,
    pub target_user_count: i64,
    pub inactive_target_user_count: i64,
    pub deleted_target_user_count: i64,
    pub monthly_active_user_count: i64,
}

/// A page of companies.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyPage {
    /// Rows matching the filter.
    pub total: i64,
    /// Companies in reach over their licence limit, whatever the filter.
    pub limit_exceeded: i64,
    /// This page.
    pub rows: Vec<CompanyRow>,
}

/// Target-user counts of one company.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserCounts {
    /// Active, not deleted.
    pub active: i64,
    /// Inactive, not deleted.
    pub inactive: i64,
    /// Deleted.
    pub deleted: i64,
    /// Created in the requested month, whatever their status now.
    pub added_in_month: i64,
}

/// API client roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Manages its own company and every company below it.
    Reseller,
    /// Its own company only.
    CompanyAdmin,
}

impl Role {
    /// Keepnet's role name (also the JWT `role` claim).
    pub fn name(self) -> &'static str {
        match self {
            Role::Reseller => "Reseller",
            Role::CompanyAdmin => "Company Admin",
        }
    }

    /// Parses a role name, case-insensitively.
    pub fn parse(s: &str) -> Option<Role> {
        [Role::Reseller, Role::CompanyAdmin]
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// Active, for companies and REST API clients alike.
pub const STATUS_ACTIVE: i64 = 1;
/// Inactive company (companies keep Keepnet's 1/2).
pub const STATUS_INACTIVE: i64 = 2;
/// Inactive REST API client: Keepnet's UI reads a client's status as `Boolean(statusId)` and
/// deactivates with `statusId: 0` (CONTRACT.md, rulings of 2026-12-05; migration 0014).
pub const CLIENT_INACTIVE: i64 = 0;

/// A REST API client.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiClient {
    pub id: i64,
    pub company_id: i64,
    pub resource_id: String,
    pub name: String,
    pub client_id: String,
    pub secret_hash: String,
    pub role: Role,
    pub status_id: i64,
    pub has_ip_restriction: bool,
    pub allowed_ips: Vec<String>,
    pub create_time: Millis,
}

/// Input for a new client.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub company_id: i64,
    pub name: String,
    pub client_id: String,
    pub secret_hash: String,
    pub role: Role,
    pub status_id: i64,
    pub has_ip_restriction: bool,
    pub allowed_ips: Vec<String>,
}

/// Changes to a client.
#[derive(Debug, Clone)]
pub struct ClientUpdate {
    pub name: String,
    pub client_id: String,
    /// New hash when the secret changes.
    pub secret_hash: Option<String>,
    pub role: Role,
    pub status_id: i64,
    pub has_ip_restriction: bool,
    pub allowed_ips: Vec<String>,
}

/// Which users a bulk delete removes.
#[derive(Debug, Clone, PartialEq)]
pub enum BulkSelection {
    /// These resource ids.
    Items(Vec<String>),
    /// Every user matching the condition, except these resource ids.
    AllExcept {
        cond: crate::query::Cond,
        excluded: Vec<String>,
    },
}

/// Target-user counts of one company for the count summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountSummary {
    /// Totals over every month.
    pub totals: UserCounts,
    /// `(YYYYMM, users created that month)` for the requested months, oldest first.
    pub months: Vec<(i64, i64)>,
}

/// What the last check of the read replica found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// Reads may go to it.
    pub up: bool,
    /// Bytes of WAL the primary had written that the replica had not replayed, when both
    /// answered.
    pub lag_bytes: Option<i64>,
    /// Why it is down, saying what to check.
    pub problem: Option<String>,
}

/// What a company has set up that its users' rows show
/// ([`SqlStore::company_setup`](crate::SqlStore::company_setup)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompanySetup {
    /// It has a target group.
    pub target_groups: bool,
    /// It has a SCIM integration.
    pub scim_integrations: bool,
    /// It has a verified allowed domain.
    pub verified_domains: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privacy_windows() {
        let hour = 3_600_000;
        for (id, hours) in [(2, 2), (3, 8), (4, 24), (5, 168)] {
            let p = Privacy::chosen(id, 10).expect("a window");
            assert_eq!(
                (p.start_time, p.end_time),
                (Some(10), Some(10 + hours * hour))
            );
            assert!(p.grants_access(10) && p.grants_access(10 + hours * hour - 1));
            assert!(!p.grants_access(10 + hours * hour), "the end is outside");
            assert_eq!(p.effective_id(10), id);
            assert_eq!(p.effective_id(10 + hours * hour), PRIVACY_DENY);
        }
        let always = Privacy::chosen(PRIVACY_ALWAYS, 10).expect("always");
        assert!(always.grants_access(i64::MAX) && always.end_time.is_none());
        let deny = Privacy::chosen(PRIVACY_DENY, 10).expect("deny");
        assert!(!deny.grants_access(0));
        assert_eq!(deny.effective_id(0), PRIVACY_DENY);
        assert_eq!(Privacy::chosen(6, 0), None);
        assert_eq!(Privacy::chosen(-1, 0), None);
    }

    #[test]
    fn rebase_keeps_what_others_changed_meanwhile() {
        let base = CompanyFields {
            name: "Sub".into(),
            status_id: 1,
            number_of_users: Some(100),
            ..CompanyFields::default()
        };
        // The caller renamed it; meanwhile the parent deactivated it and cut its licence.
        let mine = CompanyFields {
            name: "Sub, renamed".into(),
            ..base.clone()
        };
        let stored = CompanyFields {
            status_id: 2,
            number_of_users: Some(50),
            ..base.clone()
        };
        let merged = mine.rebase(&base, &stored);
        assert_eq!(merged.name, "Sub, renamed");
        assert_eq!(merged.status_id, 2);
        assert_eq!(merged.number_of_users, Some(50));
        // A field both changed: the update's value wins (it is what the caller asked for).
        let theirs = CompanyFields {
            name: "Sub (parent's name)".into(),
            ..stored.clone()
        };
        assert_eq!(mine.rebase(&base, &theirs).name, "Sub, renamed");
        assert_eq!(
            base.rebase(&base, &theirs),
            theirs,
            "no change keeps everything stored"
        );
    }
}
