//! Persistence for rollcall: one store, [`SqlStore`], that runs on an embedded SQLite file or on
//! PostgreSQL, chosen from the database URL at start-up. Its methods are inherent, each
//! aggregate's in its own file (`open.rs` and `replica.rs`: the database itself; `companies.rs`,
//! `clients.rs`, `target_users/`, `target_groups.rs`, `custom_fields.rs`, `imports.rs`,
//! `allow_list.rs`, `audit.rs`, `keys.rs`, `scim/`); the server and the tests hold an
//! `Arc<SqlStore>`.
//!
//! Every write that changes data takes the [`Actor`] that asked for it and writes its audit row
//! (see [`audit`]) in the same transaction: a change and its record commit or roll back
//! together.
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
    CheckedRow, ImportKind, ImportOutcome, Job, Problem, RowCheck, RowStatus, SkippedRow, Upload,
    UploadMeta, UploadRow, UserPatch, MAX_JOB_ERRORS,
};
pub use keys::{Rotation, SigningKey};
pub use model::*;
pub use open::track_writes;
pub use open::{
    backup_sqlite, check_pool_size, check_sqlite_copy, new_resource_id,
    postgres_url_without_password, sqlite_bytes_in_use, sqlite_database_file, Engine,
    MigrationInfo, MigrationReport, MigrationState, SqlStore, SqliteCopySummary,
    DEFAULT_POSTGRES_POOL_SIZE, DEFAULT_SQLITE_POOL_SIZE, MAX_POOL_SIZE,
};
pub use query::{Cond, FilterError, Order, SearchSpec, Val};
pub use replica::DEFAULT_MAX_STALL as DEFAULT_REPLICA_MAX_STALL;
pub use scim::{
    ScimCmp, ScimCond, ScimGroupAttr, ScimGroupChange, ScimGroupRow, ScimLink, ScimMapping,
    ScimSetting, ScimSettingFields, ScimUserAttr, ScimUserRow, ScimVal,
};
pub use target_groups::{MemberSelection, MemberTraits, TargetGroup, TargetGroupFields};
pub use target_users::{email_domain, TargetUser, TargetUserFields, WriteOutcome};
pub use target_users::{ExportExtras, ExportedUser};

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
