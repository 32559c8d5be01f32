//! Persistence for rollcall: one [`Store`] trait, one SQL implementation that runs on an
//! embedded SQLite file or on PostgreSQL, chosen from the database URL at start-up.
//!
//! Dynamic SQL (filters, sorting) is built once as a typed tree in [`query`] and rendered by
//! sea-query for the active engine, with every value bound.

mod allow_list;
pub mod audit;
pub mod catalog;
mod clients;
mod columns;
mod companies;
mod custom_fields;
mod export;
pub mod fields;
mod files;
mod imports;
pub mod keys;
pub mod model;
mod open;
mod priority;
pub mod query;
mod replica;
mod rows;
mod scim;
mod target_groups;
mod target_users;
pub mod time_zones;

pub use allow_list::{
    status_name as domain_status_name, AllowedDomain, DeletedDomains, DomainCheck, VerifyType,
};
pub use audit::{Actor, AuditEvent, AuditRow, AuditScope, AuditSink, Entity, Operation};
pub use catalog::LookupKind;
pub use custom_fields::{
    CustomField, CustomFieldFields, CustomFieldType, CustomValue, MAX_CUSTOM_FIELDS,
};
pub use export::{ExportSink, EXPORT_BATCH_ROWS};
pub use fields::{FieldKind, FieldSpec, Fields};
pub use imports::{
    CheckedRow, ImportKind, ImportOutcome, ImportStore, Job, Problem, RowCheck, RowStatus,
    SkippedRow, Upload, UploadMeta, UploadRow, UserPatch, MAX_JOB_ERRORS,
};
pub use keys::{KeyStore, Rotation, SigningKey};
pub use model::*;
pub use open::track_writes;
pub use open::{
    backup_sqlite, check_pool_size, check_sqlite_copy, new_resource_id,
    postgres_url_without_password, sqlite_bytes_in_use, sqlite_database_file, Engine,
    MigrationInfo, MigrationReport, MigrationState, SqlStore, SqliteCopySummary,
    DEFAULT_POSTGRES_POOL_SIZE, DEFAULT_SQLITE_POOL_SIZE, MAX_POOL_SIZE,
};
pub use query::{Cond, FilterError, Order, SearchSpec, Val};
pub use scim::{
    ScimCmp, ScimCond, ScimGroupAttr, ScimGroupChange, ScimGroupRow, ScimLink, ScimMapping,
    ScimSetting, ScimSettingFields, ScimStore, ScimUserAttr, ScimUserRow, ScimVal,
};
pub use target_groups::{MemberSelection, MemberTraits, TargetGroup, TargetGroupFields};
pub use target_users::{email_domain, TargetUser, TargetUserFields, WriteOutcome};
pub use target_users::{ExportExtras, ExportedUser};

/// The store's traits, for calling their methods on a `dyn Store`: `use rollcall_store::prelude::*;`.
pub mod prelude {
    pub use crate::{
        AllowListStore, AuditStore, ClientStore, CompanyStore, CustomFieldStore, DatabaseStore,
        ImportStore, KeyStore, ScimStore, Store, TargetGroupStore, TargetUserStore,
    };
}

use async_trait::async_trait;

/// What a target-user write sets besides the user's own columns, in the same transaction.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserLinks<'a> {
    /// The user's groups become exactly these (internal ids of the company's groups); `None`
    /// leaves them.
    pub groups: Option<&'a [i64]>,
    /// Values of the company's custom fields (an empty text removes one); fields not named
    /// keep their value.
    pub custom_values: &'a [CustomValue],
    /// Groups (internal ids of the company's groups) the user joins besides those it is in.
    pub join_groups: &'a [i64],
    /// What a SCIM integration records about the user it provisioned (issue #16).
    pub scim: Option<ScimLink<'a>>,
    /// An update may bring a soft-deleted user back (a SCIM `POST` of a deleted user's
    /// `userName`); without it, an update of a deleted user is refused.
    pub revive: bool,
}

/// Errors from the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no (connection, constraint, syntax...).
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A unique key is taken (the message names it).
    #[error("{0}")]
    Conflict(String),
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// A stored value could not be decoded.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A setting of the store is wrong: a database URL, a pool size (the message names it).
    #[error("{0}")]
    Config(String),
    /// The data directory or a database file could not be created, read or protected.
    #[error("{0}")]
    Filesystem(String),
    /// A SQLite reader outside sqlx (exports, large search pages) failed; `busy` when the
    /// database was locked longer than the busy timeout.
    #[error("SQLite reader: {message}")]
    Reader {
        /// SQLITE_BUSY or SQLITE_LOCKED.
        busy: bool,
        /// What SQLite said.
        message: String,
    },
    /// A reader's blocking task stopped before it finished (it panicked or was cancelled).
    #[error("{0}")]
    TaskStopped(String),
    /// A statement could not be built (a bug, not bad input).
    #[error("building a statement: {0}")]
    Statement(String),
}

/// The read pool's connections, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open now (idle or in use).
    pub open: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// Most connections the pool opens (its configured size).
    pub max: u32,
}

/// Shorthand result.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything the server persists: one trait per aggregate, combined. One implementation
/// ([`SqlStore`]) serves both engines, each aggregate's part in its own file; the trait is the
/// seam the server and the tests program against (`Arc<dyn Store>`). Call its methods with
/// [`prelude`] in scope.
///
/// Every write that changes data takes the [`Actor`] that asked for it and writes its audit row
/// (see [`audit`]) in the same transaction: a change and its record commit or roll back
/// together.
pub trait Store:
    DatabaseStore
    + CompanyStore
    + ClientStore
    + TargetUserStore
    + TargetGroupStore
    + CustomFieldStore
    + ImportStore
    + AllowListStore
    + AuditStore
    + KeyStore
    + ScimStore
{
}

impl<T> Store for T where
    T: DatabaseStore
        + CompanyStore
        + ClientStore
        + TargetUserStore
        + TargetGroupStore
        + CustomFieldStore
        + ImportStore
        + AllowListStore
        + AuditStore
        + KeyStore
        + ScimStore
{
}

/// The database itself: its engine, readiness, pool and settings (`open.rs`).
#[async_trait]
pub trait DatabaseStore: Send + Sync + 'static {
    /// Which engine this store runs on.
    fn engine(&self) -> Engine;
    /// A trivial round trip, for readiness checks.
    async fn ping(&self) -> Result<()>;
    /// Connections of the read pool.
    fn pool_stats(&self) -> PoolStats;

    /// Returns the setting `key`, storing `init` first if it is absent. Safe when several
    /// replicas start at once: the first writer wins and everyone reads the same value.
    async fn setting_or_init(&self, key: &str, init: &str) -> Result<String>;

    /// Whether reads may go to a read replica (`SqlStore::with_read_replica`, `replica.rs`).
    fn has_read_replica(&self) -> bool;
    /// What the last check of the read replica found; `None` without one.
    fn read_replica_status(&self) -> Option<ReplicaStatus>;
    /// Checks the read replica now (it is up when it answers as a standby of this primary)
    /// and remembers what it found; `None` without one.
    async fn check_read_replica(&self) -> Option<ReplicaStatus>;
    /// The store a read by the API client `client` uses: the replica's, when it is up and has
    /// replayed the client's last write ([`note_write`](Self::note_write)); `None`: this one.
    async fn reads_for(&self, client: &str) -> Option<std::sync::Arc<dyn Store>>;
    /// Records the primary's WAL position as `client`'s last write, after a request of that
    /// client wrote ([`track_writes`]); nothing without a read replica.
    async fn note_write(&self, client: &str) -> Result<()>;
}

/// Companies and their tree (`companies.rs`).
#[async_trait]
pub trait CompanyStore: Send + Sync + 'static {
    /// Number of companies (zero on a fresh database).
    async fn company_count(&self) -> Result<i64>;
    /// Creates a company below `parent` (or a root when `None`).
    async fn insert_company(
        &self,
        parent: Option<&Company>,
        fields: &CompanyFields,
        actor: &Actor,
    ) -> Result<Company>;
    /// Writes the fields `fields` changed from `base` (what the caller read); the others keep
    /// their stored value ([`CompanyFields::rebase`]).
    async fn update_company(
        &self,
        id: i64,
        base: &CompanyFields,
        fields: &CompanyFields,
        actor: &Actor,
    ) -> Result<()>;
    /// A company by its public id.
    async fn company_by_resource_id(&self, resource_id: &str) -> Result<Option<Company>>;
    /// A company by its internal id.
    async fn company_by_id(&self, id: i64) -> Result<Option<Company>>;
    /// `company` and every company below it, ordered by path.
    async fn company_subtree(&self, company: &Company) -> Result<Vec<Company>>;
    /// The highest company at or above `company` (in its `path`) that is not active, if any:
    /// an inactive company switches off itself and everything below it.
    async fn inactive_in_chain(&self, company: &Company) -> Result<Option<Company>>;
    /// Deletes a company and all its data in one transaction. Refuses with
    /// [`DeleteOutcome::HasChildren`] while companies remain below it.
    async fn delete_company(&self, id: i64, actor: &Actor) -> Result<DeleteOutcome>;
    /// Deletes several companies and their data in one transaction, deepest first (so a parent
    /// may be deleted with its children); the first refusal rolls every one back. Ids that do
    /// not exist are skipped.
    async fn delete_companies(&self, ids: &[i64], actor: &Actor) -> Result<BulkCompanyDelete>;
    /// Sets a company's account privacy, with its audit row.
    async fn set_company_privacy(&self, id: i64, privacy: &Privacy, actor: &Actor) -> Result<()>;
    /// Searches the companies strictly below `under`.
    async fn search_companies(&self, under: &Company, spec: &CompanySearch) -> Result<CompanyPage>;
    /// Target-user counts of one company, with the users created in `month` (YYYYMM).
    async fn user_counts(&self, company_id: i64, month: i64) -> Result<UserCounts>;
    /// Which of the things a user row shows besides its own fields the company has set up at
    /// all, in one statement, so that a search skips the reads that could find nothing.
    async fn company_setup(&self, company_id: i64) -> Result<CompanySetup>;
}

/// A company's custom field definitions and its users' values (`custom_fields.rs`).
#[async_trait]
pub trait CustomFieldStore: Send + Sync + 'static {
    /// Every definition of a company, by sort order then name.
    async fn custom_fields(&self, company_id: i64) -> Result<Vec<CustomField>>;
    /// One definition of a company.
    async fn custom_field(&self, company_id: i64, resource_id: &str)
        -> Result<Option<CustomField>>;
    /// Creates a definition; a name the company has (any case), or a company at
    /// [`MAX_CUSTOM_FIELDS`], is a [`StoreError::Conflict`].
    async fn insert_custom_field(
        &self,
        company_id: i64,
        fields: &CustomFieldFields,
        actor: &Actor,
    ) -> Result<CustomField>;
    /// Replaces a definition's fields; `None` when there is no such definition. Its type
    /// changes only while it holds no value ([`StoreError::Conflict`] otherwise).
    async fn update_custom_field(
        &self,
        company_id: i64,
        resource_id: &str,
        fields: &CustomFieldFields,
        actor: &Actor,
    ) -> Result<Option<CustomField>>;
    /// Makes the company's definitions exactly `wanted` in one transaction: entries with a
    /// resource id update that definition, entries without one are created, definitions left
    /// out are deleted with their values. `Ok(Err(id))` names a resource id that is not one of
    /// the company's definitions (then nothing changed).
    async fn replace_custom_fields(
        &self,
        company_id: i64,
        wanted: &[(Option<String>, CustomFieldFields)],
        actor: &Actor,
    ) -> Result<std::result::Result<(), String>>;
    /// The stored values of `user_ids` (internal ids), as (user id, field id, text).
    async fn custom_values_of(&self, user_ids: &[i64]) -> Result<Vec<(i64, i64, String)>>;
}

/// A company's target groups and their memberships (`target_groups.rs`). Every method is
/// scoped to one company: a group or user of another company is not found.
#[async_trait]
pub trait TargetGroupStore: Send + Sync + 'static {
    /// Creates a group; a name the company already has (any case) is a
    /// [`StoreError::Conflict`].
    async fn insert_target_group(
        &self,
        company_id: i64,
        fields: &TargetGroupFields,
        actor: &Actor,
    ) -> Result<TargetGroup>;
    /// Replaces a group's fields; `None` when the company has no such group.
    async fn update_target_group(
        &self,
        company_id: i64,
        resource_id: &str,
        fields: &TargetGroupFields,
        actor: &Actor,
    ) -> Result<Option<TargetGroup>>;
    /// Deletes a group and its memberships (its users stay); `None` when there is no such
    /// group.
    async fn delete_target_group(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<Option<TargetGroup>>;
    /// One group of a company.
    async fn target_group(&self, company_id: i64, resource_id: &str)
        -> Result<Option<TargetGroup>>;
    /// The company's groups among `resource_ids` (those not found are left out).
    async fn target_groups_by_resource_ids(
        &self,
        company_id: i64,
        resource_ids: &[String],
    ) -> Result<Vec<TargetGroup>>;
    /// A page of a company's groups (those the user `member` belongs to, when given) and the
    /// number matching.
    async fn search_target_groups(
        &self,
        company_id: i64,
        spec: &SearchSpec,
        member: Option<i64>,
    ) -> Result<(i64, Vec<TargetGroup>)>;
    /// Adds the selected live users to each of `groups` in one transaction (members already
    /// in a group are skipped); returns how many memberships were added.
    async fn add_target_group_members(
        &self,
        company_id: i64,
        groups: &[TargetGroup],
        users: &MemberSelection,
        actor: &Actor,
    ) -> Result<u64>;
    /// Removes users (internal ids) from a group; returns how many were members.
    async fn remove_target_group_members(
        &self,
        company_id: i64,
        group: &TargetGroup,
        user_ids: &[i64],
        actor: &Actor,
    ) -> Result<u64>;
    /// The distinct live members of the groups `group_ids` (internal ids), counted by their
    /// traits (status, phone, language, time zone, verified domain).
    async fn member_breakdown(
        &self,
        company_id: i64,
        group_ids: &[i64],
    ) -> Result<Vec<MemberTraits>>;
    /// The groups of each of `user_ids` (internal ids), as (user id, group) pairs by group
    /// name.
    async fn groups_of_users(&self, user_ids: &[i64]) -> Result<Vec<(i64, TargetGroup)>>;
    /// Whether the company has any target group.
    async fn has_target_groups(&self, company_id: i64) -> Result<bool>;
    /// Every group of the company: internal id and name.
    async fn target_group_names(&self, company_id: i64) -> Result<Vec<(i64, String)>>;
}

/// A company's target users and their counters (`target_users/`).
#[async_trait]
pub trait TargetUserStore: Send + Sync + 'static {
    /// Creates a target user created at `create_time`, counting it in the same transaction.
    /// A live user with the same email (any case) in the company is a [`StoreError::Conflict`].
    /// With `links`, the user joins groups and holds custom field values.
    async fn insert_target_user(
        &self,
        company_id: i64,
        fields: &TargetUserFields,
        create_time: Millis,
        links: &UserLinks<'_>,
        actor: &Actor,
    ) -> Result<TargetUser>;
    /// Creates many users (each with its creation time) in one transaction; a duplicate email
    /// refuses the whole batch with [`StoreError::Conflict`]. For imports and bulk loads.
    async fn insert_target_users(
        &self,
        company_id: i64,
        users: &[(TargetUserFields, Millis)],
        actor: &Actor,
    ) -> Result<u64>;
    /// Replaces a live user's fields, and its groups and custom values as `links` says.
    async fn update_target_user(
        &self,
        company_id: i64,
        resource_id: &str,
        fields: &TargetUserFields,
        links: &UserLinks<'_>,
        actor: &Actor,
    ) -> Result<WriteOutcome>;
    /// Soft-deletes a user.
    async fn delete_target_user(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<WriteOutcome>;
    /// Brings a soft-deleted user back, in no target group (deleting left them). `Done` with
    /// the live user, also when it was not deleted; a conflict when another live user of the
    /// company now has its email.
    async fn restore_target_user(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<WriteOutcome>;
    /// One user of a company (deleted ones included).
    async fn target_user(&self, company_id: i64, resource_id: &str) -> Result<Option<TargetUser>>;
    /// Users of a company by resource id, in the order asked.
    async fn target_users_by_resource_ids(
        &self,
        company_id: i64,
        ids: &[String],
        include_deleted: bool,
    ) -> Result<Vec<TargetUser>>;
    /// A page of a company's users and the number matching.
    async fn search_target_users(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<TargetUser>)>;
    /// Streams the users a search selects into `out` from one cursor in one read transaction
    /// (a consistent snapshot); every match when `all`, else the spec's page; with the group
    /// names and custom values `extras` asks for.
    async fn export_target_users(
        &self,
        company_id: i64,
        spec: &SearchSpec,
        all: bool,
        extras: ExportExtras,
        out: ExportSink,
    ) -> Result<()>;
    /// Soft-deletes a selection of live users; returns how many.
    async fn bulk_delete_target_users(
        &self,
        company_id: i64,
        selection: &BulkSelection,
        actor: &Actor,
    ) -> Result<i64>;
    /// Counts by status and by creation month (`months` as YYYYMM), from the counters.
    async fn count_summary(&self, company_id: i64, months: &[i64]) -> Result<CountSummary>;
}

/// REST API clients (`clients.rs`).
#[async_trait]
pub trait ClientStore: Send + Sync + 'static {
    /// Creates a REST API client.
    async fn insert_client(&self, client: &NewClient, actor: &Actor) -> Result<ApiClient>;
    /// Replaces a client's editable fields (and its secret hash when given).
    async fn update_client(&self, id: i64, update: &ClientUpdate, actor: &Actor) -> Result<()>;
    /// Deletes a client; its tokens stop working at once.
    async fn delete_client(&self, id: i64, actor: &Actor) -> Result<()>;
    /// A client by its OAuth client id.
    async fn client_by_client_id(&self, client_id: &str) -> Result<Option<ApiClient>>;
    /// A client by its public id.
    async fn client_by_resource_id(&self, resource_id: &str) -> Result<Option<ApiClient>>;
    /// A client by its public id with its company, in one query (every API request's
    /// authentication reads both); the company is `None` only if it vanished under the client.
    async fn client_with_company(
        &self,
        resource_id: &str,
    ) -> Result<Option<(ApiClient, Option<Company>)>>;
    /// A page of one company's clients.
    async fn search_clients(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<ApiClient>)>;
}

/// A company's allowed domains (`allow_list.rs`).
#[async_trait]
pub trait AllowListStore: Send + Sync + 'static {
    /// Adds `domains` (lowercase, distinct) to a company's list, unverified, each with the TXT
    /// value `txt_record`; one already listed refuses the whole request with
    /// [`StoreError::Conflict`].
    async fn insert_allowed_domains(
        &self,
        company_id: i64,
        domains: &[String],
        txt_record: &str,
        actor: &Actor,
    ) -> Result<Vec<AllowedDomain>>;
    /// Deletes the company's domains with these (distinct) resource ids: all of them, or none
    /// when one is not the company's ([`DeletedDomains::missing`]).
    async fn delete_allowed_domains(
        &self,
        company_id: i64,
        resource_ids: &[String],
        actor: &Actor,
    ) -> Result<DeletedDomains>;
    /// One domain of a company.
    async fn allowed_domain(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<AllowedDomain>>;
    /// A page of a company's domains and the number matching.
    async fn search_allowed_domains(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<AllowedDomain>)>;
    /// Records a DNS check of a domain: its time, and its verification when the TXT value
    /// was found (a failed check leaves an earlier verification alone). `None`: no such
    /// domain in the company.
    async fn record_domain_check(
        &self,
        company_id: i64,
        resource_id: &str,
        check: &DomainCheck,
        actor: &Actor,
    ) -> Result<Option<AllowedDomain>>;
    /// Marks a domain as verified without a DNS check (a Reseller's word).
    async fn mark_domain_verified(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<Option<AllowedDomain>>;
    /// The company's verified domains, sorted.
    async fn verified_domains(&self, company_id: i64) -> Result<Vec<String>>;
    /// The domains of the company's live target users and of its list that are not verified,
    /// sorted.
    async fn unverified_domains(&self, company_id: i64) -> Result<Vec<String>>;
    /// Which of `domains` the company has verified.
    async fn verified_among(&self, company_id: i64, domains: &[String]) -> Result<Vec<String>>;
}

/// The audit trail (`audit.rs`).
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    /// Writes one audit row on its own: for events that change no data (token requests,
    /// exports), and for loading history.
    async fn record_audit(&self, event: &AuditEvent) -> Result<()>;
    /// A page of the audit rows in `scope` and the number matching.
    async fn search_audit(
        &self,
        scope: &AuditScope,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<AuditRow>)>;
    /// Streams the audit rows a search selects into `out` from one cursor in one read
    /// transaction; every match when `all`, else the spec's page.
    async fn export_audit(
        &self,
        scope: &AuditScope,
        spec: &SearchSpec,
        all: bool,
        out: AuditSink,
    ) -> Result<()>;
    /// Deletes at most `batch` audit rows logged before `before` (oldest first) in one short
    /// statement; returns how many. Safe to run from several replicas at once.
    async fn purge_audit(&self, before: Millis, batch: i64) -> Result<u64>;
}
