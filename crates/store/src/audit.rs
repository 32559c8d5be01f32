//! The audit trail: who did what, to which resource, from where.
//!
//! Every data change the [`SqlStore`] makes takes the [`Actor`] that asked for it and writes
//! its audit row inside the transaction of the change, so a change and its record commit or
//! roll back together (a refused write leaves no row). Events that change no data (tokens,
//! exports) are written on their own with [`SqlStore::record_audit`].
//!
//! Old and new values are JSON objects of the resource's fields under their wire names. They
//! never hold a client secret, its hash or a token: the value builders below list the fields
//! they copy, and a secret change shows only as `"secretChanged": true`.

use futures::{future, TryStreamExt};
use sea_query::{Alias, Condition, Expr, Query};
use serde_json::{json, Map, Value};
use sqlx::{AnyConnection, Connection};

use crate::columns::table_columns;
use crate::export::{send_all, Sent};
use crate::model::{priority_name, ApiClient, Company, CompanyFields, Millis, Privacy};
use crate::open::Engine;
use crate::query::SearchSpec;
use crate::rows::{apply_order, bind_values, get_str, insert_rows, FromColumns, ReadColumns};
use crate::target_users::record::TargetUserFields;
use crate::{Result, SqlStore, StoreError};

/// `userName` of the rows the server writes on its own behalf (the first start's bootstrap,
/// `--demo` data).
pub const SYSTEM_ACTOR: &str = "system";

/// Longest `User-Agent` kept; longer ones are cut (a header can be kilobytes).
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A resource was created.
    Create,
    /// A resource's fields changed.
    Update,
    /// A resource was deleted (target users: soft-deleted).
    Delete,
    /// A soft-deleted target user was brought back.
    Restore,
    /// Many target users were created at once.
    BulkCreate,
    /// Many target users were deleted at once.
    BulkDelete,
    /// Rows were exported to a file.
    Export,
    /// An access token was issued.
    TokenIssued,
    /// A token request was refused.
    TokenFailed,
}

impl Operation {
    /// The name stored and shown in `operation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "Create",
            Operation::Update => "Update",
            Operation::Delete => "Delete",
            Operation::Restore => "Restore",
            Operation::BulkCreate => "BulkCreate",
            Operation::BulkDelete => "BulkDelete",
            Operation::Export => "Export",
            Operation::TokenIssued => "TokenIssued",
            Operation::TokenFailed => "TokenFailed",
        }
    }
}

/// What it happened to (`entityName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A company.
    Company,
    /// A REST API client (its role is one of its fields).
    ApiClient,
    /// A target user.
    TargetUser,
    /// An access token.
    Token,
    /// The audit log itself (its exports).
    AuditLog,
    /// An allowed domain (Keepnet's allow-list).
    AllowedDomain,
    /// A target group (its memberships are changes of the group).
    TargetGroup,
    /// A custom field's definition.
    CustomField,
    /// A SCIM integration (issue #16).
    ScimIntegration,
}

impl Entity {
    /// The name stored and shown in `entityName`.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Company => "Company",
            Entity::ApiClient => "ApiClient",
            Entity::TargetUser => "TargetUser",
            Entity::Token => "Token",
            Entity::AuditLog => "AuditLog",
            Entity::AllowedDomain => "AllowList",
            Entity::TargetGroup => "TargetGroup",
            Entity::CustomField => "CustomField",
            Entity::ScimIntegration => "SCIMIntegration",
        }
    }
}

/// Who asked for a change, and from where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// The OAuth client id (`userName`); [`SYSTEM_ACTOR`] for the server's own writes.
    pub client_id: String,
    /// The client's resource id, when a client acted.
    pub client_resource_id: Option<String>,
    /// The TCP peer address.
    pub ip: Option<String>,
    /// The request's `User-Agent`, cut to [`MAX_USER_AGENT_CHARS`].
    pub user_agent: Option<String>,
    /// The `path` of the acting client's company (`None`: the server itself, or an unknown
    /// client id). Readers below that company see the row without the address and
    /// `User-Agent` (see [`AuditReader`]).
    pub company_path: Option<String>,
}

impl Actor {
    /// The server itself (bootstrap, demo data, loads that bypass the API).
    pub fn system() -> Self {
        Self {
            client_id: SYSTEM_ACTOR.to_owned(),
            ..Self::default()
        }
    }
}

/// One audit row to write.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// The company the event belongs to (`None`: no company, e.g. an unknown client id).
    pub company_id: Option<i64>,
    /// That company's `path`, which scopes who may read the row.
    pub company_path: Option<String>,
    /// When it happened.
    pub log_date: Millis,
    /// Who, from where.
    pub actor: Actor,
    /// What happened.
    pub operation: Operation,
    /// To what kind of resource.
    pub entity: Entity,
    /// Which resource, when there is one.
    pub entity_resource_id: Option<String>,
    /// Fields before (JSON object).
    pub old_value: Option<Value>,
    /// Fields after, or the details of the event (JSON object).
    pub new_value: Option<Value>,
    /// One human sentence.
    pub description: String,
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Internal id (insertion order).
    pub id: i64,
    /// Public id.
    pub resource_id: String,
    /// The company's internal id, if any (the company may since have been deleted).
    pub company_id: Option<i64>,
    /// When.
    pub log_date: Millis,
    /// The OAuth client id that acted.
    pub actor_client_id: String,
    /// Its resource id.
    pub actor_resource_id: Option<String>,
    /// Peer address.
    pub ip: Option<String>,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// [`Operation::as_str`].
    pub operation: String,
    /// [`Entity::as_str`].
    pub entity_name: String,
    /// The resource's id.
    pub entity_resource_id: Option<String>,
    /// JSON text.
    pub old_value: Option<String>,
    /// JSON text.
    pub new_value: Option<String>,
    /// Human text.
    pub description: String,
}

/// Which rows a reader may see, and whose origin (address and `User-Agent`) in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditScope {
    /// The `path` of the company whose rows are read.
    pub path: String,
    /// Also the rows of every company below it.
    pub subtree: bool,
    /// Also the rows tied to no company.
    pub unowned: bool,
    /// Who reads.
    pub reader: AuditReader,
    /// Paths of companies in the subtree whose own rows are left out: customers whose account
    /// privacy keeps the reading reseller out (their rows hold their users' data).
    pub closed: Vec<String>,
}

impl AuditScope {
    /// The rows of the company with `path` only, read by `reader`.
    pub fn company(path: &str, reader: AuditReader) -> Self {
        Self {
            path: path.to_owned(),
            subtree: false,
            unowned: false,
            reader,
            closed: Vec::new(),
        }
    }
}

/// The reader of audit rows, by its own company. A row written by a client of a company above
/// the reader's (a parent reseller acting in a child company) reads with `ip` and `user_agent`
/// NULL, in results, exports, filters and sorting alike: a reseller's address and software are
/// not its customers' business. Rows by the reader's own company or below keep them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReader {
    /// The `path` of the reader's own company.
    pub path: String,
    /// The reader's company has no parent: rows of no acting company (the server's own,
    /// unknown client ids) keep their origin too. For anyone else they lose it.
    pub root: bool,
}

/// Where an audit export cursor sends its rows, in batches of up to [`EXPORT_BATCH_ROWS`](crate::EXPORT_BATCH_ROWS).
pub type AuditSink = tokio::sync::mpsc::Sender<Result<Vec<AuditRow>>>;

fn time_text(ms: Option<Millis>) -> Value {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        })
}

/// A company's fields as audited (its wire names).
pub fn company_value(f: &CompanyFields) -> Value {
    json!({
        "name": f.name,
        "description": f.description,
        "address": f.address,
        "websiteUrl": f.website_url,
        "logoUrl": f.logo_url,
        "countryResourceId": f.country_id,
        "industryResourceId": f.industry_id,
        "licenseTypeResourceId": f.license_type_id,
        "licensePeriodTypeResourceId": f.license_period_type_id,
        "isNumberOfUsersLimited": f.is_number_of_users_limited,
        "numberOfUsers": f.number_of_users,
        "licenseStartDate": time_text(f.license_start_date),
        "licenseEndDate": time_text(f.license_end_date),
        "timeZoneId": f.time_zone_id,
        "dateFormat": f.date_format,
        "timeFormat": f.time_format,
        "statusId": f.status_id,
        "tags": f.tags,
        "preferredLanguageTypeResourceId": f.preferred_language_id,
    })
}

/// A company's account privacy as audited, with Keepnet's names.
pub fn privacy_value(p: &Privacy) -> Value {
    json!({
        "privacyDurationId": p.duration_id,
        "privacyDurationStartTime": time_text(p.start_time),
        "privacyDurationEndTime": time_text(p.end_time),
    })
}

/// A client's fields as audited: never its secret or the secret's hash.
pub fn client_value(
    name: &str,
    client_id: &str,
    role: crate::Role,
    status_id: i64,
    has_ip_restriction: bool,
    allowed_ips: &[String],
) -> Value {
    json!({
        "name": name,
        "clientId": client_id,
        "role": role.name(),
        "statusId": status_id,
        "hasIpAddressRestriction": has_ip_restriction,
        "allowedIpAddresses": allowed_ips,
    })
}

/// A stored client's fields as audited.
pub(crate) fn stored_client_value(c: &ApiClient) -> Value {
    client_value(
        &c.name,
        &c.client_id,
        c.role,
        c.status_id,
        c.has_ip_restriction,
        &c.allowed_ips,
    )
}

/// A target user's fields as audited.
pub fn user_value(f: &TargetUserFields) -> Value {
    json!({
        "email": f.email,
        "firstName": f.first_name,
        "lastName": f.last_name,
        "department": f.department,
        "phoneNumber": f.phone_number,
        "priority": priority_name(f.priority),
        "isActive": f.is_active,
        "timeZoneId": f.time_zone_id,
        "preferredLanguageId": f.preferred_language_id,
        "managerFirstName": f.manager_first_name,
        "managerLastName": f.manager_last_name,
        "managerEmail": f.manager_email,
    })
}

/// The fields that differ between two objects: (before, after), each holding only those keys.
pub fn changes(old: &Value, new: &Value) -> (Map<String, Value>, Map<String, Value>) {
    let (mut before, mut after) = (Map::new(), Map::new());
    let empty = Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new.as_object().unwrap_or(&empty);
    for (k, v) in new {
        let was = old.get(k).unwrap_or(&Value::Null);
        if was != v {
            before.insert(k.clone(), was.clone());
            after.insert(k.clone(), v.clone());
        }
    }
    (before, after)
}

/// `what: a, b` or `what (no field changed)`.
fn changed_list(what: &str, changed: &Map<String, Value>) -> String {
    if changed.is_empty() {
        format!("{what} (no field changed)")
    } else {
        let keys: Vec<&str> = changed.keys().map(String::as_str).collect();
        format!("{what}: {}", keys.join(", "))
    }
}

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 target user` / `42 target users`.
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// Cuts `s` to `max` characters.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => s[..at].to_owned(),
        None => s.to_owned(),
    }
}

/// The company an event inside a transaction belongs to: its path and name.
pub(crate) struct CompanyLabel {
    path: Option<String>,
    name: String,
}

impl CompanyLabel {
    /// `in 'Acme'`, for descriptions.
    pub(crate) fn suffix(&self) -> String {
        format!("in '{}'", self.name)
    }
}

/// Builds the events the store writes for its own changes.
pub(crate) struct Change<'a> {
    pub(crate) actor: &'a Actor,
    pub(crate) company_id: i64,
    pub(crate) company: CompanyLabel,
    pub(crate) entity: Entity,
}

impl<'a> Change<'a> {
    /// A change of `company` itself.
    pub(crate) fn of_company(actor: &'a Actor, company: &Company) -> Self {
        Self {
            actor,
            company_id: company.id,
            company: CompanyLabel {
                path: Some(company.path.clone()),
                name: company.fields.name.clone(),
            },
            entity: Entity::Company,
        }
    }

    /// A change of an `entity` of company `company_id`, whose path and name are read on
    /// `conn` (the change's transaction).
    pub(crate) async fn within(
        conn: &mut AnyConnection,
        actor: &'a Actor,
        company_id: i64,
        entity: Entity,
    ) -> Result<Self> {
        Ok(Self {
            actor,
            company_id,
            company: company_label(conn, company_id).await?,
            entity,
        })
    }

    fn event(
        &self,
        operation: Operation,
        entity_resource_id: Option<&str>,
        old_value: Option<Value>,
        new_value: Option<Value>,
        description: String,
    ) -> AuditEvent {
        AuditEvent {
            company_id: Some(self.company_id),
            company_path: self.company.path.clone(),
            log_date: chrono::Utc::now().timestamp_millis(),
            actor: self.actor.clone(),
            operation,
            entity: self.entity,
            entity_resource_id: entity_resource_id.map(str::to_owned),
            old_value,
            new_value,
            description,
        }
    }

    /// `what`, followed by the company it happened in unless the change is of the company
    /// itself (its name is then in `what`).
    pub(crate) fn described(&self, what: &str) -> String {
        if self.entity == Entity::Company {
            what.to_owned()
        } else {
            format!("{what} {}", self.company.suffix())
        }
    }

    /// An event of `operation` with the fields after or its details (a create, a restore, a
    /// bulk write), described by [`Self::described`].
    pub(crate) fn with_new(
        &self,
        operation: Operation,
        entity_resource_id: Option<&str>,
        new: Value,
        what: &str,
    ) -> AuditEvent {
        let description = self.described(what);
        self.event(operation, entity_resource_id, None, Some(new), description)
    }

    /// A create's event: the new resource's fields.
    pub(crate) fn created(&self, entity_resource_id: &str, new: Value, what: &str) -> AuditEvent {
        self.with_new(Operation::Create, Some(entity_resource_id), new, what)
    }

    /// A delete's event: the deleted resource's fields.
    pub(crate) fn deleted(&self, entity_resource_id: &str, old: Value, what: &str) -> AuditEvent {
        let description = self.described(what);
        self.event(
            Operation::Delete,
            Some(entity_resource_id),
            Some(old),
            None,
            description,
        )
    }

    /// An update's event: only the fields that changed, old and new.
    pub(crate) fn update(
        &self,
        entity_resource_id: &str,
        old: &Value,
        new: &Value,
        what: &str,
    ) -> AuditEvent {
        let (before, after) = changes(old, new);
        let description = self.described(&changed_list(what, &after));
        self.event(
            Operation::Update,
            Some(entity_resource_id),
            Some(Value::Object(before)),
            Some(Value::Object(after)),
            description,
        )
    }
}

/// A client update's event: the changed fields, plus `secretChanged` when a new secret was set.
pub(crate) fn client_update_event(
    change: &Change<'_>,
    before: &ApiClient,
    after: &Value,
    secret_changed: bool,
) -> AuditEvent {
    let what = format!("Updated API client '{}'", before.client_id);
    let mut event = change.update(
        &before.resource_id,
        &stored_client_value(before),
        after,
        &what,
    );
    if secret_changed {
        if let Some(Value::Object(m)) = event.new_value.as_mut() {
            m.insert("secretChanged".into(), Value::Bool(true));
        }
        let (_, after_fields) = changes(&stored_client_value(before), after);
        let mut keys: Vec<&str> = after_fields.keys().map(String::as_str).collect();
        keys.push("secret");
        event.description = change.described(&format!("{what}: {}", keys.join(", ")));
    }
    event
}

table_columns! {
    /// Columns of `audit_log`.
    pub(crate) enum AuditCol in "audit_log" {
        read {
            Id = "id",
            ResourceId = "resource_id",
            CompanyId = "company_id",
            LogDate = "log_date",
            ActorClientId = "actor_client_id",
            ActorResourceId = "actor_resource_id",
            Ip = "ip",
            UserAgent = "user_agent",
            Operation = "operation",
            EntityName = "entity_name",
            EntityResourceId = "entity_resource_id",
            OldValue = "old_value",
            NewValue = "new_value",
            Description = "description",
        }
        stored {
            CompanyPath = "company_path",
            ActorClientIdLower = "actor_client_id_lower",
            ActorCompanyPath = "actor_company_path",
            UserAgentLower = "user_agent_lower",
            OperationLower = "operation_lower",
            EntityNameLower = "entity_name_lower",
            OldValueLower = "old_value_lower",
            NewValueLower = "new_value_lower",
            DescriptionLower = "description_lower",
        }
    }
}

impl FromColumns for AuditRow {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        use AuditCol as A;
        Ok(AuditRow {
            id: r.int(A::Id.at())?,
            resource_id: r.text(A::ResourceId.at())?,
            company_id: r.opt_int(A::CompanyId.at())?,
            log_date: r.int(A::LogDate.at())?,
            actor_client_id: r.text(A::ActorClientId.at())?,
            actor_resource_id: r.opt_text(A::ActorResourceId.at())?,
            ip: r.opt_text(A::Ip.at())?,
            user_agent: r.opt_text(A::UserAgent.at())?,
            operation: r.text(A::Operation.at())?,
            entity_name: r.text(A::EntityName.at())?,
            entity_resource_id: r.opt_text(A::EntityResourceId.at())?,
            old_value: r.opt_text(A::OldValue.at())?,
            new_value: r.opt_text(A::NewValue.at())?,
            description: r.text(A::Description.at())?,
        })
    }
}

/// The stored value of every column of `e`'s row, with the lowercase copies the filters read.
fn stored_values(e: &AuditEvent) -> Vec<(AuditCol, sea_query::Value)> {
    use AuditCol as A;
    let text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
    let lower = |v: &Option<String>| v.as_ref().map(|s| s.to_lowercase());
    let old_value = text(&e.old_value);
    let new_value = text(&e.new_value);
    let user_agent = e
        .actor
        .user_agent
        .as_deref()
        .map(|ua| clip(ua, MAX_USER_AGENT_CHARS));
    vec![
        (A::ResourceId, crate::new_resource_id().into()),
        (A::CompanyId, e.company_id.into()),
        (A::CompanyPath, e.company_path.clone().into()),
        (A::LogDate, e.log_date.into()),
        (A::ActorClientId, e.actor.client_id.clone().into()),
        (
            A::ActorClientIdLower,
            e.actor.client_id.to_lowercase().into(),
        ),
        (
            A::ActorResourceId,
            e.actor.client_resource_id.clone().into(),
        ),
        (A::ActorCompanyPath, e.actor.company_path.clone().into()),
        (A::Ip, e.actor.ip.clone().into()),
        (A::UserAgentLower, lower(&user_agent).into()),
        (A::UserAgent, user_agent.into()),
        (A::Operation, e.operation.as_str().into()),
        (
            A::OperationLower,
            e.operation.as_str().to_lowercase().into(),
        ),
        (A::EntityName, e.entity.as_str().into()),
        (A::EntityNameLower, e.entity.as_str().to_lowercase().into()),
        (A::EntityResourceId, e.entity_resource_id.clone().into()),
        (A::OldValueLower, lower(&old_value).into()),
        (A::OldValue, old_value.into()),
        (A::NewValueLower, lower(&new_value).into()),
        (A::NewValue, new_value.into()),
        (A::Description, e.description.clone().into()),
        (A::DescriptionLower, e.description.to_lowercase().into()),
    ]
}

impl SqlStore {
    /// Writes the audit rows of a change and commits it, so that the change and its record
    /// land together: how a write ends (a company delete, which may be one of a batch, writes
    /// its row itself and leaves the commit to its caller).
    pub(crate) async fn commit_audited(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        events: impl IntoIterator<Item = AuditEvent>,
    ) -> Result<()> {
        for event in events {
            self.insert_audit(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes one audit row on `conn` (a transaction's connection, or the writer's).
    pub(crate) async fn insert_audit(
        &self,
        conn: &mut AnyConnection,
        e: &AuditEvent,
    ) -> Result<()> {
        let stmt = insert_rows(AuditCol::TABLE, [stored_values(e)])?;
        self.execute(conn, &stmt).await?;
        Ok(())
    }
}

/// The path and name of company `id`, read on `conn` (inside the change's transaction).
async fn company_label(conn: &mut AnyConnection, id: i64) -> Result<CompanyLabel> {
    let row = sqlx::query("SELECT path, name FROM companies WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(r) => CompanyLabel {
            path: Some(get_str(&r, "path")?),
            name: get_str(&r, "name")?,
        },
        // The company went away under us: the row keeps its id, and the change itself fails
        // on its foreign key anyway.
        None => CompanyLabel {
            path: None,
            name: format!("company #{id}"),
        },
    })
}

/// The rows `scope` may read, as a derived table named `audit_log` with the table's columns,
/// `ip`, `user_agent` and `user_agent_lower` NULL where [`AuditReader`] hides them. Filters,
/// sorting and the count run on it, so a hidden address cannot be found by filtering on it.
fn visible_rows(scope: &AuditScope) -> sea_query::SelectStatement {
    let col = |name: &str| Expr::col(Alias::new(name));
    // Paths are `/1/5/`: digits and slashes, so no LIKE wildcard needs escaping.
    let mut rows = Condition::any().add(if scope.subtree {
        col("company_path").like(format!("{}%", scope.path))
    } else {
        col("company_path").eq(scope.path.clone())
    });
    if scope.unowned {
        rows = rows.add(col("company_path").is_null());
    }
    if !scope.closed.is_empty() {
        // NOT IN alone would also drop the rows of no company (NULL).
        rows = Condition::all().add(rows).add(
            Condition::any()
                .add(col("company_path").is_null())
                .add(col("company_path").is_not_in(scope.closed.clone())),
        );
    }
    let mut origin_shown =
        Condition::any().add(col("actor_company_path").like(format!("{}%", scope.reader.path)));
    if scope.reader.root {
        origin_shown = origin_shown.add(col("actor_company_path").is_null());
    }
    // The table's columns as they are, but the caller's address and agent only where the
    // reader may see them.
    const HIDDEN: [AuditCol; 3] = [AuditCol::Ip, AuditCol::UserAgent, AuditCol::UserAgentLower];
    let mut select = Query::select();
    select.columns(
        AuditCol::ALL
            .iter()
            .copied()
            .filter(|c| !HIDDEN.contains(c)),
    );
    for hidden in HIDDEN {
        // No ELSE: NULL.
        select.expr_as(Expr::case(origin_shown.clone(), Expr::col(hidden)), hidden);
    }
    select
        .from(Alias::new(AuditCol::TABLE))
        .cond_where(rows)
        .to_owned()
}

/// `FROM <visible rows> WHERE <the search's filter>`, without a column yet.
fn visible_filtered(
    engine: Engine,
    scope: &AuditScope,
    spec: &SearchSpec,
) -> sea_query::SelectStatement {
    Query::select()
        .from_subquery(visible_rows(scope), Alias::new("audit_log"))
        .cond_where(spec.cond.to_condition(engine))
        .to_owned()
}

/// The audit trail.
impl SqlStore {
    /// Writes one audit row on its own: for events that change no data (token requests,
    /// exports), and for loading history.
    pub async fn record_audit(&self, e: &AuditEvent) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        self.insert_audit(&mut conn, e).await
    }

    /// A page of the audit rows in `scope` and the number matching.
    pub async fn search_audit(
        &self,
        scope: &AuditScope,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<AuditRow>)> {
        let filtered = visible_filtered(self.engine, scope, spec);
        self.search_page(filtered, AuditCol::SELECT, spec).await
    }

    /// Streams the audit rows a search selects into `out` from one cursor in one read
    /// transaction; every match when `all`, else the spec's page. The connection is taken out
    /// of the pool for the export, so that a slow download does not hold one of the pool's
    /// connections.
    pub async fn export_audit(
        &self,
        scope: &AuditScope,
        spec: &SearchSpec,
        all: bool,
        out: AuditSink,
    ) -> Result<()> {
        let mut page = visible_filtered(self.engine, scope, spec);
        page.expr(Expr::cust(AuditCol::SELECT));
        apply_order(&mut page, spec);
        if all {
            page.reset_limit().reset_offset();
        }
        let (sql, values) = self.render(&page);
        let mut conn = self.pool.acquire().await?.detach();
        let mut tx = conn.begin().await?;
        if self.engine == Engine::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let rows = bind_values(sqlx::query(&sql), &values)
            .fetch(&mut *tx)
            .map_err(StoreError::from)
            .and_then(|row| future::ready(AuditRow::from_columns(&row)));
        if send_all(rows, &out).await? == Sent::ReceiverGone {
            // The client went away. Return without a rollback: on PostgreSQL, `rollback` (and
            // `close`) on this connection would first read the rest of the result set off the
            // wire, streaming the whole log for no one. Dropping the detached connection closes
            // its socket, which ends the query on the server (as the target-user export does);
            // on SQLite it closes the file handle, and the read transaction with it.
            return Ok(());
        }
        tx.rollback().await?;
        conn.close().await?;
        Ok(())
    }

    /// Deletes at most `batch` audit rows logged before `before` (oldest first) in one short
    /// statement; returns how many. Safe to run from several replicas at once: on PostgreSQL
    /// the rows another replica is deleting at the same moment are skipped instead of waited
    /// for.
    pub async fn purge_audit(&self, before: Millis, batch: i64) -> Result<u64> {
        let lock = match self.engine {
            Engine::Postgres => " FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let sql = format!(
            "DELETE FROM audit_log WHERE id IN \
             (SELECT id FROM audit_log WHERE log_date < $1 ORDER BY log_date LIMIT $2{lock})"
        );
        let done = sqlx::query(&sql)
            .bind(before)
            .bind(batch)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_keep_only_what_differs() {
        let (before, after) = changes(
            &json!({"a": 1, "b": "x", "c": null}),
            &json!({"a": 1, "b": "y", "c": [1]}),
        );
        assert_eq!(Value::Object(before), json!({"b": "x", "c": null}));
        assert_eq!(Value::Object(after), json!({"b": "y", "c": [1]}));
    }

    #[test]
    fn numbers_and_clips() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_200), "1,200");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(count_of(1, "user", "users"), "1 user");
        assert_eq!(count_of(2_000, "user", "users"), "2,000 users");
        assert_eq!(clip("zoë-browser", 3), "zoë");
        assert_eq!(clip("ab", 3), "ab");
    }

    #[test]
    fn client_values_hold_no_secret() {
        let c = ApiClient {
            id: 1,
            company_id: 1,
            resource_id: "AbCdEfGhIjKl".into(),
            name: "n".into(),
            client_id: "cid".into(),
            secret_hash: "$argon2id$v=19$secret-hash".into(),
            role: crate::Role::Reseller,
            status_id: 1,
            has_ip_restriction: false,
            allowed_ips: vec![],
            create_time: 0,
        };
        let text = stored_client_value(&c).to_string();
        assert!(!text.contains("argon2"), "{text}");
        assert!(!text.to_lowercase().contains("secret"), "{text}");
    }
}
