//! Importing target users from a file (REFERENCE.md C.10, issue #15): an upload's rows as
//! read, each row's check against a mapping, the import itself in one transaction, and the
//! jobs that run imports (migration 0018).
//!
//! The server reads the file and checks rows (it knows the API's validation rules); the store
//! keeps them and applies an import all or nothing: every user it creates or updates, their
//! counters, groups and custom values are written in one transaction, so a failure or a killed
//! process leaves the company as it was.

use std::collections::HashMap;

use sea_query::{Alias, Expr, Query, Value, Values};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::audit::{count_of, Actor, Change, Entity, Operation};
use crate::model::Millis;
use crate::open::{new_resource_id, now_millis};
use crate::query::{month_of, SearchSpec};
use crate::rows::{
    apply_order, bind_values, execute_keyed, get_i64, get_opt_i64, get_opt_str, get_str,
    insert_rows, json_list, json_list_from,
};
use crate::target_groups::MemberSelection;
use crate::target_users::{new_row, TargetUserCol};
use crate::{CustomValue, Engine, Result, SqlStore, StoreError, TargetUserFields};

/// Rows written by one statement: an upload's (5 values each) and new users (26 each: 13,000
/// values, under SQLite's limit of 32,766 bound parameters).
const ROWS_PER_STATEMENT: usize = 500;
/// Rows an import reads, creates and updates at a time inside its transaction.
///
/// Its look-ups by a list of up to this many emails or ids are not prepared: a prepared
/// statement reused a few times gets PostgreSQL's generic plan, which tests every list entry
/// against every row instead of hashing the list or probing the index (`docs/performance.md`,
/// imports).
const IMPORT_BATCH: i64 = 2000;
/// Emails a look-up of live users names (see `live_with_emails`).
const EMAILS_PER_LOOKUP: usize = 1000;
/// Most row problems a job keeps to report (the rest are counted).
pub const MAX_JOB_ERRORS: usize = 1000;

/// What the server read of an uploaded file besides its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadMeta {
    /// As the client named it.
    pub file_name: String,
    /// `Csv`, `Xlsx` or `Xls`.
    pub file_type: String,
    /// The workbook's sheets (the first is read); empty for CSV.
    pub sheet_names: Vec<String>,
    /// The header row, trimmed.
    pub headers: Vec<String>,
}

/// An upload ("transaction") and its last mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub id: i64,
    pub company_id: i64,
    pub transaction_id: String,
    pub meta: UploadMeta,
    pub row_count: i64,
    /// Rows whose email an earlier row of the file has.
    pub duplicate_count: i64,
    /// The mapping job's resource id, once a mapping was made.
    pub mapping_id: Option<String>,
    /// The mapping as the server wrote it (JSON).
    pub mapping: Option<String>,
    /// The groups every imported user joins (internal ids).
    pub group_ids: Vec<i64>,
    /// `Idle`, `InProgress`, `Finished`, `FinishedWithError`.
    pub mapping_status: String,
    pub new_count: i64,
    pub existing_count: i64,
    pub invalid_count: i64,
    pub create_time: Millis,
    pub expire_time: Millis,
}

/// One row of an upload as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    /// 1 for the first row after the header.
    pub row_no: i64,
    pub resource_id: String,
    pub cells: Vec<String>,
}

/// What a row would do, by its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowStatus {
    /// No live user has its email: it creates one.
    New,
    /// A live user has its email: it updates that user.
    Exists,
    /// A problem: it is never imported.
    Error,
}

impl RowStatus {
    /// The name on the wire and in the database.
    pub fn name(self) -> &'static str {
        match self {
            RowStatus::New => "New",
            RowStatus::Exists => "Exists",
            RowStatus::Error => "Error",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [RowStatus::New, RowStatus::Exists, RowStatus::Error]
            .into_iter()
            .find(|r| r.name() == s)
    }
}

/// A problem with one field of a row (`validationDetail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub field_name: String,
    pub message: String,
}

/// The fields a row sets: the mapped ones, checked and in their stored form. A new user takes
/// the defaults for the rest; an existing user keeps its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserPatch {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_email: Option<String>,
    /// Custom values (an empty text clears one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomValue>,
}

impl UserPatch {
    /// `base` with this patch's fields over it.
    pub fn apply(&self, base: &TargetUserFields) -> TargetUserFields {
        let mut f = base.clone();
        f.email = self.email.clone();
        let set = |slot: &mut String, v: &Option<String>| {
            if let Some(v) = v {
                slot.clone_from(v);
            }
        };
        set(&mut f.first_name, &self.first_name);
        set(&mut f.last_name, &self.last_name);
        set(&mut f.department, &self.department);
        set(&mut f.phone_number, &self.phone_number);
        set(&mut f.time_zone_id, &self.time_zone_id);
        set(&mut f.preferred_language_id, &self.preferred_language_id);
        set(&mut f.manager_first_name, &self.manager_first_name);
        set(&mut f.manager_last_name, &self.manager_last_name);
        set(&mut f.manager_email, &self.manager_email);
        if let Some(p) = self.priority {
            f.priority = p;
        }
        f
    }
}

/// One row's check against a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct RowCheck {
    pub row_no: i64,
    pub status: RowStatus,
    pub patch: Option<UserPatch>,
    pub problems: Vec<Problem>,
}

/// A checked row, for the preview.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedRow {
    pub row_no: i64,
    pub resource_id: String,
    pub status: Option<RowStatus>,
    pub patch: Option<UserPatch>,
    pub problems: Vec<Problem>,
}

/// Which checked rows an import applies (Keepnet's `importType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportKind {
    /// New and existing users (`ImportAll`, `All`).
    All,
    /// These rows, by resource id (`ImportSelected`, `Selected`).
    Selected(Vec<String>),
    /// Only users that do not exist yet (`OnlyNew`).
    OnlyNew,
    /// Only users that exist (`OnlyUpdateExisting`).
    OnlyExisting,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub created: i64,
    pub updated: i64,
    /// Rows not applied: errors, and rows the import type leaves out.
    pub skipped: i64,
    /// Why rows were skipped, one entry per row (at most [`MAX_JOB_ERRORS`]).
    pub skipped_rows: Vec<SkippedRow>,
}

/// A row an import did not apply, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedRow {
    pub row_number: i64,
    pub email: String,
    pub reason: String,
}

/// A background job (the UI's job log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub company_id: i64,
    pub resource_id: String,
    pub kind: String,
    pub name: String,
    /// `Queued`, `Running`, `Finished`, `FinishedWithError`, `Failed`.
    pub status: String,
    pub owner: String,
    pub target_count: i64,
    pub created_count: i64,
    pub updated_count: i64,
    pub skipped_count: i64,
    pub errors: Vec<SkippedRow>,
    pub error_message: Option<String>,
    pub create_time: Millis,
    pub start_time: Option<Millis>,
    pub end_time: Option<Millis>,
    pub heartbeat_time: Millis,
}

impl Job {
    /// Whether the job has ended, one way or another.
    pub fn is_finished(&self) -> bool {
        matches!(
            self.status.as_str(),
            "Finished" | "FinishedWithError" | "Failed"
        )
    }
}

const UPLOAD_COLUMNS: &str = "id, company_id, transaction_id, file_name, file_type, sheet_names, \
    headers, row_count, duplicate_count, mapping_id, mapping, group_ids, mapping_status, \
    new_count, existing_count, invalid_count, create_time, expire_time";

fn upload_from(r: &sqlx::any::AnyRow) -> Result<Upload> {
    let group_ids: Vec<i64> = match get_opt_str(r, "group_ids")? {
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("import_uploads.group_ids: {e}")))?,
        None => vec![],
    };
    Ok(Upload {
        id: get_i64(r, "id")?,
        company_id: get_i64(r, "company_id")?,
        transaction_id: get_str(r, "transaction_id")?,
        meta: UploadMeta {
            file_name: get_str(r, "file_name")?,
            file_type: get_str(r, "file_type")?,
            sheet_names: json_list_from(&get_str(r, "sheet_names")?, "sheet_names")?,
            headers: json_list_from(&get_str(r, "headers")?, "headers")?,
        },
        row_count: get_i64(r, "row_count")?,
        duplicate_count: get_i64(r, "duplicate_count")?,
        mapping_id: get_opt_str(r, "mapping_id")?,
        mapping: get_opt_str(r, "mapping")?,
        group_ids,
        mapping_status: get_str(r, "mapping_status")?,
        new_count: get_i64(r, "new_count")?,
        existing_count: get_i64(r, "existing_count")?,
        invalid_count: get_i64(r, "invalid_count")?,
        create_time: get_i64(r, "create_time")?,
        expire_time: get_i64(r, "expire_time")?,
    })
}

const JOB_COLUMNS: &str = "id, company_id, resource_id, kind, name, status, owner, target_count, \
    created_count, updated_count, skipped_count, errors, error_message, create_time, start_time, \
    end_time, heartbeat_time";

fn job_from(r: &sqlx::any::AnyRow) -> Result<Job> {
    Ok(Job {
        id: get_i64(r, "id")?,
        company_id: get_i64(r, "company_id")?,
        resource_id: get_str(r, "resource_id")?,
        kind: get_str(r, "kind")?,
        name: get_str(r, "name")?,
        status: get_str(r, "status")?,
        owner: get_str(r, "owner")?,
        target_count: get_i64(r, "target_count")?,
        created_count: get_i64(r, "created_count")?,
        updated_count: get_i64(r, "updated_count")?,
        skipped_count: get_i64(r, "skipped_count")?,
        errors: serde_json::from_str(&get_str(r, "errors")?)
            .map_err(|e| StoreError::Corrupt(format!("jobs.errors: {e}")))?,
        error_message: get_opt_str(r, "error_message")?,
        create_time: get_i64(r, "create_time")?,
        start_time: get_opt_i64(r, "start_time")?,
        end_time: get_opt_i64(r, "end_time")?,
        heartbeat_time: get_i64(r, "heartbeat_time")?,
    })
}

/// The columns [`checked_from`] reads.
const CHECKED_COLUMNS: &str = "row_no, resource_id, status, patch, problems";

fn checked_from(r: &sqlx::any::AnyRow) -> Result<CheckedRow> {
    let corrupt = |what: &str, e: serde_json::Error| StoreError::Corrupt(format!("{what}: {e}"));
    Ok(CheckedRow {
        row_no: get_i64(r, "row_no")?,
        resource_id: get_str(r, "resource_id")?,
        status: RowStatus::parse(&get_str(r, "status")?),
        patch: get_opt_str(r, "patch")?
            .map(|p| serde_json::from_str(&p).map_err(|e| corrupt("import_rows.patch", e)))
            .transpose()?,
        problems: get_opt_str(r, "problems")?
            .map(|p| serde_json::from_str(&p).map_err(|e| corrupt("import_rows.problems", e)))
            .transpose()?
            .unwrap_or_default(),
    })
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Statement(format!("encoding JSON: {e}")))
}

/// What every batch of one import shares.
struct ImportContext<'a> {
    company_id: i64,
    kind: &'a ImportKind,
    /// The rows `ImportKind::Selected` names (empty for the other kinds).
    selected: &'a std::collections::HashSet<&'a str>,
    /// The company's custom fields when the import started.
    fields: &'a std::collections::HashSet<i64>,
    now: Millis,
}

/// What an import has done so far, summed over its batches.
#[derive(Default)]
struct ImportTally {
    out: ImportOutcome,
    /// Users created live and active, and live but inactive (the counters' cells).
    active: i64,
    inactive: i64,
    /// Every user the import created or updated, for the mapping's groups.
    joined: Vec<i64>,
}

impl SqlStore {
    /// The writer connection an import runs its transaction on. On SQLite it checks no foreign
    /// keys and is closed when the import ends, never returned to the pool: a statement that
    /// may fail half-way on a foreign key (or fires a trigger) makes SQLite copy every page it
    /// changes to a statement journal first, the largest cost of an import's inserts
    /// (docs/performance.md, imports). The import checks what its rows refer to (its company,
    /// the mapping's groups, the company's fields) in its own transaction, and SQLite has one
    /// writer, so the foreign keys hold without the check.
    async fn import_connection(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        crate::open::writing();
        let mut conn = self.writer.acquire().await?;
        if self.engine == Engine::Sqlite {
            conn.close_on_drop();
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await?;
        }
        Ok(conn)
    }

    /// SQLite: drops the trigram triggers of `target_users` in the import's transaction and
    /// answers the statements that create them again, to run before it commits (a rollback or
    /// a crash restores them with the rest). The import keeps the trigrams itself
    /// ([`pause_fts_in`](Self::pause_fts_in)); a trigger, even one that does nothing while the
    /// import runs, makes every insert keep a statement journal. Nothing on PostgreSQL or in
    /// memory.
    async fn drop_fts_triggers_in(&self, conn: &mut AnyConnection) -> Result<Vec<String>> {
        // In-memory SQLite (tests) shares one cache between connections, where a schema
        // change in a transaction locks the import's reader out until it commits.
        if self.engine != Engine::Sqlite || self.sqlite_file.is_none() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'target_users' \
             AND name IN ('target_users_fts_insert', 'target_users_fts_update')",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut create = Vec::with_capacity(rows.len());
        for row in &rows {
            // The name is one of the two above, never input.
            let name = get_str(row, "name")?;
            sqlx::query(&format!("DROP TRIGGER \"{name}\""))
                .execute(&mut *conn)
                .await?;
            create.push(get_str(row, "sql")?);
        }
        Ok(create)
    }

    /// Locks the uploads of these companies (PostgreSQL; SQLite has one writer), waiting for
    /// an import or a batch of checks that holds one. A company's deletion takes these locks
    /// before any other, in the order an import takes them (its upload, then the company's
    /// groups, fields and, through its new users' foreign key, the company): locking the
    /// company first deadlocked with a running import.
    pub(crate) async fn lock_company_uploads_in(
        &self,
        conn: &mut AnyConnection,
        company_ids: &[i64],
    ) -> Result<()> {
        if self.engine == Engine::Sqlite {
            return Ok(());
        }
        // In one order, so that two deletions naming the same companies cannot deadlock.
        let mut ids = company_ids.to_vec();
        ids.sort_unstable();
        for id in ids {
            sqlx::query(
                "SELECT id FROM import_uploads WHERE company_id = $1 ORDER BY id FOR UPDATE",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        }
        Ok(())
    }

    async fn uploads_where(&self, clause: &str, binds: (i64, &str)) -> Result<Option<Upload>> {
        // `clause` is one of this module's constants, never input.
        let sql = format!("SELECT {UPLOAD_COLUMNS} FROM import_uploads WHERE {clause}");
        let row = sqlx::query(&sql)
            .bind(binds.0)
            .bind(binds.1)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(upload_from).transpose()
    }

    /// The live users of a company with these lowercase emails, locked for the transaction
    /// (PostgreSQL): email to user.
    async fn live_users_by_email(
        &self,
        conn: &mut AnyConnection,
        company_id: i64,
        emails: &[String],
    ) -> Result<HashMap<String, crate::TargetUser>> {
        use crate::rows::FromColumns;
        let mut out = HashMap::new();
        for chunk in emails.chunks(EMAILS_PER_LOOKUP) {
            let found = match self.engine {
                Engine::Sqlite => {
                    self.live_with_emails(&mut *conn, TargetUserCol::SELECT, company_id, chunk)
                        .await?
                }
                Engine::Postgres => {
                    // Found without a lock, then locked by id: locking inside the per-email
                    // look-up was slower than both together (docs/performance.md, imports).
                    // Locked, each row is read as it is now: one
                    // deleted meanwhile is left out, one whose email changed is keyed by its new
                    // email (and its old one is then new: a clash with a user created meanwhile
                    // fails the import, which changes nothing).
                    let ids = self
                        .live_with_emails(&mut *conn, "id", company_id, chunk)
                        .await?
                        .iter()
                        .map(|r| get_i64(r, "id"))
                        .collect::<Result<Vec<i64>>>()?;
                    if ids.is_empty() {
                        continue;
                    }
                    let stmt = Query::select()
                        .expr(Expr::cust(TargetUserCol::SELECT))
                        .from(Alias::new(TargetUserCol::TABLE))
                        .and_where(Expr::col(TargetUserCol::Id).is_in(ids))
                        .and_where(Expr::col(TargetUserCol::IsDeleted).eq(false))
                        .to_owned();
                    let (sql, values) = self.render(&stmt);
                    let sql = format!("{sql}{}", self.for_update());
                    bind_values(sqlx::query(&sql).persistent(false), &values)
                        .fetch_all(&mut *conn)
                        .await?
                }
            };
            for r in &found {
                let u = crate::TargetUser::from_columns(r)?;
                out.insert(u.fields.email.to_lowercase(), u);
            }
        }
        Ok(out)
    }

    /// `columns` of the live users of a company with these lowercase emails, read on `conn`;
    /// unlocked. On PostgreSQL each email is looked up on its own (a lateral join): given
    /// `email_lower IN (...)` of a batch it chose the email trigram index, a bitmap per value,
    /// and given the list as a table, a scan of every user (figures in docs/performance.md,
    /// imports). SQLite probes the email index for each value of the list. Not prepared
    /// ([`IMPORT_BATCH`]).
    async fn live_with_emails<'c, E>(
        &self,
        conn: E,
        columns: &str,
        company_id: i64,
        emails: &[String],
    ) -> Result<Vec<sqlx::any::AnyRow>>
    where
        E: sqlx::Executor<'c, Database = sqlx::Any>,
    {
        if emails.is_empty() {
            return Ok(vec![]);
        }
        let company = self.param(1);
        let sql = match self.engine {
            Engine::Sqlite => format!(
                "SELECT {columns} FROM target_users WHERE company_id = {company} \
                 AND NOT is_deleted AND email_lower IN ({})",
                vec!["?"; emails.len()].join(", ")
            ),
            Engine::Postgres => format!(
                "SELECT u.* FROM (VALUES {}) AS list (email) CROSS JOIN LATERAL \
                 (SELECT {columns} FROM target_users WHERE company_id = {company} \
                 AND NOT is_deleted AND email_lower = list.email LIMIT 1) AS u",
                self.value_rows(emails.len(), "{}", 2)
            ),
        };
        let mut q = sqlx::query(&sql).persistent(false).bind(company_id);
        for e in emails {
            q = q.bind(e.as_str());
        }
        Ok(q.fetch_all(conn).await?)
    }

    /// Applies one batch of an import's checked rows on its transaction `tx`: updates the users
    /// it finds by email, creates the others, writes their custom values, and adds to `tally`.
    async fn import_batch_in(
        &self,
        tx: &mut AnyConnection,
        ctx: &ImportContext<'_>,
        batch: &[CheckedRow],
        tally: &mut ImportTally,
    ) -> Result<()> {
        let emails: Vec<String> = batch
            .iter()
            .filter_map(|r| r.patch.as_ref().map(|p| p.email.to_lowercase()))
            .collect();
        let live = self
            .live_users_by_email(&mut *tx, ctx.company_id, &emails)
            .await?;
        let mut creates: Vec<(TargetUserFields, &UserPatch)> = Vec::new();
        let mut updates: Vec<(i64, &TargetUserFields, TargetUserFields)> = Vec::new();
        let mut custom: Vec<(i64, &[CustomValue])> = Vec::new();
        for row in batch {
            let email = row
                .patch
                .as_ref()
                .map(|p| p.email.to_lowercase())
                .unwrap_or_default();
            let existing = live.get(&email);
            if let Some(reason) = skip_reason(ctx.kind, ctx.selected, row, existing.is_some()) {
                tally.out.skipped += 1;
                if tally.out.skipped_rows.len() < MAX_JOB_ERRORS {
                    tally.out.skipped_rows.push(SkippedRow {
                        row_number: row.row_no,
                        email,
                        reason,
                    });
                }
                continue;
            }
            let Some(patch) = row.patch.as_ref() else {
                continue;
            };
            if patch
                .custom
                .iter()
                .any(|v| !ctx.fields.contains(&v.field_id))
            {
                return Err(StoreError::Conflict(
                "a custom field the mapping names was deleted after the mapping; map the file again".into(),
            ));
            }
            match existing {
                Some(user) => {
                    // A row that changes nothing is applied without a write: the user's
                    // update time stays (docs/api.md, importing users).
                    let f = patch.apply(&user.fields);
                    if f != user.fields {
                        let has_phone = !f.phone_number.is_empty();
                        if user.fields.phone_number.is_empty() == has_phone {
                            self.phone_changed_in(&mut *tx, user.id, has_phone).await?;
                        }
                        updates.push((user.id, &user.fields, f));
                    }
                    if !patch.custom.is_empty() {
                        custom.push((user.id, &patch.custom));
                    }
                    tally.joined.push(user.id);
                    tally.out.updated += 1;
                }
                None => {
                    let base = TargetUserFields {
                        priority: crate::DEFAULT_PRIORITY,
                        is_active: true,
                        ..Default::default()
                    };
                    creates.push((patch.apply(&base), patch));
                }
            }
        }
        self.update_many_in(&mut *tx, &updates, ctx.now).await?;
        self.set_many_custom_values_in(&mut *tx, &custom, true)
            .await?;
        custom.clear();
        // Each insert is built while the one before it runs on the database.
        let build = |chunk: &[(TargetUserFields, &UserPatch)]| -> Result<_> {
            let ids: Vec<String> = chunk.iter().map(|_| new_resource_id()).collect();
            let mut stmt = insert_rows(
                TargetUserCol::TABLE,
                chunk
                    .iter()
                    .zip(&ids)
                    .map(|((f, _), rid)| new_row(ctx.company_id, rid.clone(), f, ctx.now)),
            )?;
            stmt.returning(
                Query::returning().columns([TargetUserCol::Id, TargetUserCol::ResourceId]),
            );
            let (mut sql, values) = self.render(&stmt);
            if self.engine == Engine::Sqlite {
                // Any conflict ends the import anyway; `OR ROLLBACK` (with the import's
                // connection in `import_connection`) spares SQLite the statement journal.
                sql = sql.replacen("INSERT INTO", "INSERT OR ROLLBACK INTO", 1);
            }
            Ok((ids, sql, values))
        };
        let mut chunks = creates
            .chunks(ROWS_PER_STATEMENT)
            .map(|chunk| build(chunk).map(|built| (chunk, built)));
        let mut next = chunks.next().transpose()?;
        while let Some((chunk, (ids, sql, values))) = next.take() {
            let insert = bind_values(sqlx::query(&sql), &values).fetch_all(&mut *tx);
            let (rows, following) = tokio::join!(insert, async { chunks.next().transpose() });
            let rows = rows?;
            next = following?;
            let mut by_rid = HashMap::with_capacity(rows.len());
            for r in &rows {
                by_rid.insert(get_str(r, "resource_id")?, get_i64(r, "id")?);
            }
            for ((f, patch), rid) in chunk.iter().zip(&ids) {
                let id = *by_rid.get(rid).ok_or_else(|| {
                    StoreError::Corrupt(format!("imported user {rid} was not found"))
                })?;
                if f.is_active {
                    tally.active += 1;
                } else {
                    tally.inactive += 1;
                }
                if !patch.custom.is_empty() {
                    custom.push((id, &patch.custom));
                }
                tally.joined.push(id);
                tally.out.created += 1;
            }
        }
        self.set_many_custom_values_in(&mut *tx, &custom, false)
            .await?;
        Ok(())
    }

    /// Runs a select by a list of values on the read pool, not prepared ([`IMPORT_BATCH`]).
    async fn read_list(&self, stmt: &sea_query::SelectStatement) -> Result<Vec<sqlx::any::AnyRow>> {
        let (sql, values) = self.render(stmt);
        Ok(bind_values(sqlx::query(&sql).persistent(false), &values)
            .fetch_all(&self.pool)
            .await?)
    }
}

/// The next [`IMPORT_BATCH`] checked rows of an upload after `after_row`, decoded, read on `db`.
async fn pending_rows<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    upload_id: i64,
    after_row: i64,
) -> Result<Vec<CheckedRow>> {
    let rows = rows_after(db, CHECKED_COLUMNS, upload_id, after_row, IMPORT_BATCH).await?;
    rows.iter().map(checked_from).collect()
}

/// `columns` (one of this module's lists) of an upload's rows after `after_row`, in order, at
/// most `limit`, read on `db`.
async fn rows_after<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    columns: &str,
    upload_id: i64,
    after_row: i64,
    limit: i64,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let sql = format!(
        "SELECT {columns} FROM import_rows \
         WHERE upload_id = $1 AND row_no > $2 ORDER BY row_no LIMIT $3"
    );
    Ok(sqlx::query(&sql)
        .bind(upload_id)
        .bind(after_row)
        .bind(limit)
        .fetch_all(db)
        .await?)
}

/// Records a job's outcome on `conn`: `Finished`, or `FinishedWithError` when rows were
/// skipped. `running`: only if it is still running. Rows changed (0 or 1).
async fn job_finished_in(
    conn: &mut AnyConnection,
    job_id: i64,
    o: &ImportOutcome,
    running: bool,
) -> Result<u64> {
    let status = if o.skipped > 0 {
        "FinishedWithError"
    } else {
        "Finished"
    };
    let only = if running {
        " AND status = 'Running'"
    } else {
        ""
    };
    let now = now_millis();
    // `only` is one of the two constants above.
    let n = sqlx::query(&format!(
        "UPDATE jobs SET status = $1, created_count = $2, updated_count = $3, \
         skipped_count = $4, errors = $5, end_time = $6, heartbeat_time = $6 WHERE id = $7{only}"
    ))
    .bind(status)
    .bind(o.created)
    .bind(o.updated)
    .bind(o.skipped)
    .bind(json(&o.skipped_rows)?)
    .bind(now)
    .bind(job_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n)
}

/// Why a row of an import of `kind` is not applied, if it is not; `exists` says whether a
/// live user has its email now.
fn skip_reason(
    kind: &ImportKind,
    selected: &std::collections::HashSet<&str>,
    row: &CheckedRow,
    exists: bool,
) -> Option<String> {
    if row.status == Some(RowStatus::Error) || row.patch.is_none() {
        let problems: Vec<String> = row
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.field_name, p.message))
            .collect();
        return Some(if problems.is_empty() {
            "the row was not checked; create the mapping again".to_owned()
        } else {
            problems.join("; ")
        });
    }
    match kind {
        ImportKind::All => None,
        ImportKind::Selected(_) => {
            (!selected.contains(row.resource_id.as_str())).then(|| "not selected".to_owned())
        }
        ImportKind::OnlyNew => exists.then(|| "the user exists (OnlyNew)".to_owned()),
        ImportKind::OnlyExisting => {
            (!exists).then(|| "no user has this email (OnlyUpdateExisting)".to_owned())
        }
    }
}

/// Uploads, checks, imports and jobs.
impl SqlStore {
    /// A new, empty upload of a company, usable once [`Self::complete_upload`] ran.
    pub async fn create_upload(
        &self,
        company_id: i64,
        meta: &UploadMeta,
        expire_time: Millis,
    ) -> Result<Upload> {
        let transaction_id = new_resource_id();
        let now = now_millis();
        let mut conn = self.writer.acquire().await?;
        let row = sqlx::query(
            "INSERT INTO import_uploads (company_id, transaction_id, file_name, file_type, \
             sheet_names, headers, create_time, expire_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING id",
        )
        .bind(company_id)
        .bind(&transaction_id)
        .bind(&meta.file_name)
        .bind(&meta.file_type)
        .bind(json_list(&meta.sheet_names))
        .bind(json_list(&meta.headers))
        .bind(now)
        .bind(expire_time)
        .fetch_one(&mut *conn)
        .await?;
        Ok(Upload {
            id: get_i64(&row, "id")?,
            company_id,
            transaction_id,
            meta: meta.clone(),
            row_count: 0,
            duplicate_count: 0,
            mapping_id: None,
            mapping: None,
            group_ids: vec![],
            mapping_status: "Idle".into(),
            new_count: 0,
            existing_count: 0,
            invalid_count: 0,
            create_time: now,
            expire_time,
        })
    }

    /// Appends rows to an upload: (number, from 1; the lowercase email of the column the
    /// headers name as the email, or ''; the cells).
    pub async fn add_upload_rows(
        &self,
        upload_id: i64,
        rows: &[(i64, String, Vec<String>)],
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let stmt = insert_rows(
                "import_rows",
                chunk.iter().map(|(n, email, cells)| {
                    [
                        (Alias::new("upload_id"), Value::from(upload_id)),
                        (Alias::new("row_no"), Value::from(*n)),
                        (Alias::new("resource_id"), new_resource_id().into()),
                        (Alias::new("email_lower"), email.clone().into()),
                        (Alias::new("cells"), json_list(cells).into()),
                    ]
                }),
            )?;
            self.execute(&mut tx, &stmt).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks an upload of `rows` rows complete; returns how many rows have an email an earlier
    /// row has (by the emails [`Self::add_upload_rows`] was given).
    pub async fn complete_upload(&self, upload_id: i64, rows: i64) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        // Counted by the database (the email index), so that the server keeps no email of
        // the file in memory.
        let r = sqlx::query(
            "SELECT COUNT(*) - COUNT(DISTINCT email_lower) AS n FROM import_rows \
             WHERE upload_id = $1 AND email_lower <> ''",
        )
        .bind(upload_id)
        .fetch_one(&mut *tx)
        .await?;
        let duplicates = get_i64(&r, "n")?;
        sqlx::query(
            "UPDATE import_uploads SET row_count = $1, duplicate_count = $2, is_complete = $3 \
             WHERE id = $4",
        )
        .bind(rows)
        .bind(duplicates)
        .bind(true)
        .bind(upload_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(duplicates)
    }

    /// Which of these row resource ids an upload does not have.
    pub async fn unknown_rows(
        &self,
        upload_id: i64,
        resource_ids: &[String],
    ) -> Result<Vec<String>> {
        let mut known = std::collections::HashSet::new();
        for chunk in resource_ids.chunks(EMAILS_PER_LOOKUP) {
            let stmt = Query::select()
                .column(Alias::new("resource_id"))
                .from(Alias::new("import_rows"))
                .and_where(Expr::col(Alias::new("upload_id")).eq(upload_id))
                .and_where(Expr::col(Alias::new("resource_id")).is_in(chunk.iter().cloned()))
                .to_owned();
            for r in &self.read_list(&stmt).await? {
                known.insert(get_str(r, "resource_id")?);
            }
        }
        Ok(resource_ids
            .iter()
            .filter(|id| !known.contains(*id))
            .cloned()
            .collect())
    }

    /// The first row before `before_row` of each of these lowercase emails, among an upload's
    /// rows checked by its current mapping: (email, row number).
    pub async fn first_rows_by_email(
        &self,
        upload_id: i64,
        before_row: i64,
        emails: &[String],
    ) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for chunk in emails.chunks(EMAILS_PER_LOOKUP) {
            let stmt = Query::select()
                .column(Alias::new("email_lower"))
                .expr_as(
                    Expr::col(Alias::new("row_no")).min(),
                    Alias::new("first_row"),
                )
                .from(Alias::new("import_rows"))
                .and_where(Expr::col(Alias::new("upload_id")).eq(upload_id))
                .and_where(Expr::col(Alias::new("row_no")).lt(before_row))
                .and_where(Expr::col(Alias::new("email_lower")).is_in(chunk.iter().cloned()))
                .group_by_col(Alias::new("email_lower"))
                .to_owned();
            for r in &self.read_list(&stmt).await? {
                out.push((get_str(r, "email_lower")?, get_i64(r, "first_row")?));
            }
        }
        Ok(out)
    }

    /// A complete upload of the company by transaction id, unless it expired at `now`.
    pub async fn upload(
        &self,
        company_id: i64,
        transaction_id: &str,
        now: Millis,
    ) -> Result<Option<Upload>> {
        let found = self
            .uploads_where(
                "company_id = $1 AND transaction_id = $2 AND is_complete",
                (company_id, transaction_id),
            )
            .await?;
        Ok(found.filter(|u| u.expire_time > now))
    }

    /// The upload whose last mapping job is `mapping_id`.
    pub async fn upload_by_mapping(
        &self,
        company_id: i64,
        mapping_id: &str,
    ) -> Result<Option<Upload>> {
        self.uploads_where(
            "company_id = $1 AND mapping_id = $2",
            (company_id, mapping_id),
        )
        .await
    }

    /// Gives an upload a new transaction id (the old one stops working); returns it.
    pub async fn rotate_upload(&self, upload_id: i64) -> Result<String> {
        let id = new_resource_id();
        let mut conn = self.writer.acquire().await?;
        sqlx::query("UPDATE import_uploads SET transaction_id = $1 WHERE id = $2")
            .bind(&id)
            .bind(upload_id)
            .execute(&mut *conn)
            .await?;
        Ok(id)
    }

    /// Starts a mapping: its JSON and groups, status `InProgress`, every row's check cleared.
    /// Returns the mapping job's resource id.
    pub async fn start_mapping(
        &self,
        upload_id: i64,
        mapping: &str,
        group_ids: &[i64],
    ) -> Result<String> {
        let id = new_resource_id();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE import_uploads SET mapping_id = $1, mapping = $2, group_ids = $3, \
             mapping_status = 'InProgress', new_count = 0, existing_count = 0, invalid_count = 0 \
             WHERE id = $4",
        )
        .bind(&id)
        .bind(mapping)
        .bind(json(&group_ids)?)
        .bind(upload_id)
        .execute(&mut *tx)
        .await?;
        // Only rows an earlier mapping checked: a new upload's rows have no outcome to clear,
        // and rewriting them all cost PostgreSQL a new version of each (docs/performance.md).
        // They keep the email the upload guessed, which the checks never read: a row is
        // compared only with rows that this mapping has checked.
        sqlx::query(
            "UPDATE import_rows SET status = '', email_lower = '', patch = NULL, problems = NULL \
             WHERE upload_id = $1 AND status <> ''",
        )
        .bind(upload_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Rows of an upload after `after_row`, in order, at most `limit`.
    pub async fn upload_rows(
        &self,
        upload_id: i64,
        after_row: i64,
        limit: i64,
    ) -> Result<Vec<UploadRow>> {
        let columns = "row_no, resource_id, cells";
        let rows = rows_after(&self.pool, columns, upload_id, after_row, limit).await?;
        rows.iter()
            .map(|r| {
                Ok(UploadRow {
                    row_no: get_i64(r, "row_no")?,
                    resource_id: get_str(r, "resource_id")?,
                    cells: json_list_from(&get_str(r, "cells")?, "import_rows.cells")?,
                })
            })
            .collect()
    }

    /// Which of these lowercase emails live users of the company have.
    pub async fn live_emails(&self, company_id: i64, emails: &[String]) -> Result<Vec<String>> {
        if emails.is_empty() {
            return Ok(vec![]);
        }
        let mut out = Vec::new();
        for chunk in emails.chunks(EMAILS_PER_LOOKUP) {
            for r in self
                .live_with_emails(&self.pool, "email_lower", company_id, chunk)
                .await?
            {
                out.push(get_str(&r, "email_lower")?);
            }
        }
        Ok(out)
    }

    /// Writes rows' checks of mapping `mapping_id`; nothing when another mapping replaced it.
    pub async fn save_checks(
        &self,
        upload_id: i64,
        mapping_id: &str,
        checks: &[RowCheck],
    ) -> Result<()> {
        // PostgreSQL: one UPDATE ... FROM (VALUES ...) per chunk (a statement per row cost a
        // round trip each; VALUES columns are `column1`..; the row number is cast so that it
        // compares as a number). SQLite plans that join by scanning every row of the upload
        // (3.46), so there a statement per row probes the primary key (sent many to a call).
        const ROWS: usize = 400;
        let mut tx = self.write_tx().await?;
        // A replaced mapping's checker writes nothing: its rows belong to the new mapping now.
        // Locked (PostgreSQL), so that a new mapping that commits meanwhile is seen here, and
        // one that starts meanwhile waits, rather than these checks landing on its reset rows.
        let current = sqlx::query(&format!(
            "SELECT id FROM import_uploads WHERE id = $1 AND mapping_id = $2{}",
            self.for_share()
        ))
        .bind(upload_id)
        .bind(mapping_id)
        .fetch_optional(&mut *tx)
        .await?;
        if current.is_none() {
            return Ok(());
        }
        let patch_of = |c: &RowCheck| c.patch.as_ref().map(json).transpose();
        let problems_of = |c: &RowCheck| {
            (!c.problems.is_empty())
                .then(|| json(&c.problems))
                .transpose()
        };
        let email_of = |c: &RowCheck| {
            c.patch
                .as_ref()
                .map(|p| p.email.to_lowercase())
                .unwrap_or_default()
        };
        if self.engine == Engine::Sqlite {
            const SQL: &str = "UPDATE import_rows SET status = ?, email_lower = ?, patch = ?, \
                 problems = ? WHERE upload_id = ? AND row_no = ?";
            let statements = checks
                .iter()
                .map(|c| {
                    let values = vec![
                        c.status.name().into(),
                        email_of(c).into(),
                        patch_of(c)?.into(),
                        problems_of(c)?.into(),
                        upload_id.into(),
                        c.row_no.into(),
                    ];
                    Ok((SQL, Values(values)))
                })
                .collect::<Result<Vec<_>>>()?;
            self.execute_each(&mut tx, &statements).await?;
            tx.commit().await?;
            return Ok(());
        }
        for chunk in checks.chunks(ROWS) {
            let sql = format!(
                "UPDATE import_rows SET status = v.column2, email_lower = v.column3, \
                 patch = v.column4, problems = v.column5 FROM (VALUES {}) AS v \
                 WHERE import_rows.upload_id = {} AND import_rows.row_no = v.column1",
                self.value_rows(chunk.len(), "CAST({} AS BIGINT), {}, {}, {}, {}", 1),
                self.param(chunk.len() * 5 + 1)
            );
            let mut q = sqlx::query(&sql);
            for c in chunk {
                q = q
                    .bind(c.row_no)
                    .bind(c.status.name())
                    .bind(email_of(c))
                    .bind(patch_of(c)?)
                    .bind(problems_of(c)?);
            }
            q.bind(upload_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends mapping `mapping_id` with its status and counts (new, existing, invalid), unless
    /// another mapping replaced it.
    pub async fn finish_mapping(
        &self,
        upload_id: i64,
        mapping_id: &str,
        status: &str,
        counts: [i64; 3],
    ) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        sqlx::query(
            "UPDATE import_uploads SET mapping_status = $1, new_count = $2, existing_count = $3, \
             invalid_count = $4 WHERE id = $5 AND mapping_id = $6",
        )
        .bind(status)
        .bind(counts[0])
        .bind(counts[1])
        .bind(counts[2])
        .bind(upload_id)
        .bind(mapping_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// A page of checked rows (filter on `Status`, `Email`; order by row or email) and the
    /// total the filter selects.
    pub async fn search_checked_rows(
        &self,
        upload_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<CheckedRow>)> {
        let total = self
            .count(
                crate::rows::count_select()
                    .from(Alias::new("import_rows"))
                    .and_where(Expr::col(Alias::new("upload_id")).eq(upload_id))
                    .cond_where(spec.cond.to_condition(self.engine)),
            )
            .await?;
        Ok((total, self.checked_rows_page(upload_id, spec).await?))
    }

    /// The page of [`Self::search_checked_rows`] without its total (an export reads
    /// page after page).
    pub async fn checked_rows_page(
        &self,
        upload_id: i64,
        spec: &SearchSpec,
    ) -> Result<Vec<CheckedRow>> {
        let cond = spec.cond.to_condition(self.engine);
        let mut page = Query::select()
            .expr(Expr::cust(CHECKED_COLUMNS))
            .from(Alias::new("import_rows"))
            .and_where(Expr::col(Alias::new("upload_id")).eq(upload_id))
            .cond_where(cond)
            .to_owned();
        apply_order(&mut page, spec);
        let rows = self.fetch_rows(&page).await?;
        rows.iter().map(checked_from).collect()
    }

    /// Deletes the uploads that expired at `now`, with their rows; how many.
    pub async fn delete_expired_uploads(&self, now: Millis) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        // Uploads being imported are locked by the import: wait for it.
        sqlx::query(&format!(
            "SELECT id FROM import_uploads WHERE expire_time <= $1{}",
            self.for_update()
        ))
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let statements = [
            "DELETE FROM import_rows WHERE upload_id IN \
             (SELECT id FROM import_uploads WHERE expire_time <= $1)",
            "DELETE FROM import_uploads WHERE expire_time <= $1",
        ];
        let [_, n] = execute_keyed(&mut tx, now, statements).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// A new job, `Queued`, owned by `owner`.
    pub async fn create_job(
        &self,
        company_id: i64,
        kind: &str,
        name: &str,
        owner: &str,
        target_count: i64,
    ) -> Result<Job> {
        let resource_id = new_resource_id();
        let now = now_millis();
        let mut conn = self.writer.acquire().await?;
        let row = sqlx::query(
            "INSERT INTO jobs (company_id, resource_id, kind, name, status, owner, target_count, \
             create_time, heartbeat_time) VALUES ($1, $2, $3, $4, 'Queued', $5, $6, $7, $7) RETURNING id",
        )
        .bind(company_id)
        .bind(&resource_id)
        .bind(kind)
        .bind(name)
        .bind(owner)
        .bind(target_count)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        Ok(Job {
            id: get_i64(&row, "id")?,
            company_id,
            resource_id,
            kind: kind.to_owned(),
            name: name.to_owned(),
            status: "Queued".into(),
            owner: owner.to_owned(),
            target_count,
            created_count: 0,
            updated_count: 0,
            skipped_count: 0,
            errors: vec![],
            error_message: None,
            create_time: now,
            start_time: None,
            end_time: None,
            heartbeat_time: now,
        })
    }

    /// A job of the company.
    pub async fn job(&self, company_id: i64, resource_id: &str) -> Result<Option<Job>> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE company_id = $1 AND resource_id = $2");
        let row = sqlx::query(&sql)
            .bind(company_id)
            .bind(resource_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from).transpose()
    }

    /// The company's jobs, newest first, at most `limit`.
    pub async fn jobs(&self, company_id: i64, limit: i64) -> Result<Vec<Job>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE company_id = $1 ORDER BY create_time DESC, id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(company_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job_from).collect()
    }

    /// Marks a queued job running, if it still is queued (one owner runs a job once).
    pub async fn start_job(&self, job_id: i64) -> Result<bool> {
        let now = now_millis();
        let mut conn = self.writer.acquire().await?;
        let n = sqlx::query(
            "UPDATE jobs SET status = 'Running', start_time = $1, heartbeat_time = $1 \
             WHERE id = $2 AND status = 'Queued'",
        )
        .bind(now)
        .bind(job_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Says a running job is alive.
    pub async fn heartbeat_job(&self, job_id: i64) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        sqlx::query("UPDATE jobs SET heartbeat_time = $1 WHERE id = $2 AND status = 'Running'")
            .bind(now_millis())
            .bind(job_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Ends a job with its outcome, or with `error` when it failed (nothing applied).
    pub async fn finish_job(
        &self,
        job_id: i64,
        outcome: std::result::Result<&ImportOutcome, &str>,
    ) -> Result<()> {
        let now = now_millis();
        let mut conn = self.writer.acquire().await?;
        match outcome {
            Ok(o) => {
                job_finished_in(&mut conn, job_id, o, false).await?;
            }
            Err(message) => {
                sqlx::query(
                    "UPDATE jobs SET status = 'Failed', error_message = $1, end_time = $2, \
                     heartbeat_time = $2 WHERE id = $3",
                )
                .bind(message)
                .bind(now)
                .bind(job_id)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }

    /// Fails the queued and running jobs whose heartbeat is older than `stale_before`: their
    /// process is gone, and their import's transaction with it. How many.
    pub async fn fail_abandoned_jobs(&self, stale_before: Millis) -> Result<u64> {
        let now = now_millis();
        let mut conn = self.writer.acquire().await?;
        let n = sqlx::query(
            "UPDATE jobs SET status = 'Failed', end_time = $1, error_message = $2 \
             WHERE status IN ('Queued', 'Running') AND heartbeat_time < $3",
        )
        .bind(now)
        .bind(
            "the server running this job stopped before it finished; nothing of it was applied. Start the import again",
        )
        .bind(stale_before)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        Ok(n)
    }

    /// Applies an upload's checked rows as `kind` says, in one transaction, with the upload's
    /// groups; `progress` is told the rows done so far. A row's user is looked up again by
    /// email inside the transaction, so users created or deleted since the check are met as
    /// they are now.
    ///
    /// Job `job_id` (running) records the outcome in the same transaction, so that it never
    /// says `Failed` of an import that was applied; if the job is no longer running (taken for
    /// dead: its heartbeat stopped), nothing is applied and this is a conflict.
    pub async fn run_import(
        &self,
        upload: &Upload,
        kind: &ImportKind,
        actor: &Actor,
        job_id: i64,
        progress: &(dyn Fn(i64) + Send + Sync),
    ) -> Result<ImportOutcome> {
        let company_id = upload.company_id;
        let mut conn = self.import_connection().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *conn, self.begin_write()).await?;
        let triggers = self.drop_fts_triggers_in(&mut tx).await?;
        // The upload stays as checked while it is imported: a new mapping or its expiry waits
        // for this transaction (PostgreSQL; SQLite has one writer).
        let locked = sqlx::query(&format!(
            "SELECT mapping_id FROM import_uploads WHERE id = $1{}",
            self.for_update()
        ))
        .bind(upload.id)
        .fetch_optional(&mut *tx)
        .await?;
        let mapping_now = locked
            .as_ref()
            .map(|r| get_opt_str(r, "mapping_id"))
            .transpose()?
            .flatten();
        if locked.is_none() || mapping_now != upload.mapping_id {
            return Err(StoreError::Conflict(
                "the upload was mapped again or expired after this import started; check its rows again and import once more".into(),
            ));
        }
        // The mapping's groups and the company's custom fields stay until the import ends
        // (PostgreSQL: locked; SQLite: one writer); one deleted since the mapping stops it.
        let ids_of = |rows: Vec<sqlx::any::AnyRow>| -> Result<std::collections::HashSet<i64>> {
            rows.iter().map(|r| get_i64(r, "id")).collect()
        };
        let stmt = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new("target_groups"))
            .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
            .and_where(Expr::col(Alias::new("id")).is_in(upload.group_ids.iter().copied()))
            .to_owned();
        let (sql, values) = self.render(&stmt);
        let sql = format!("{sql}{}", self.for_share());
        let groups = ids_of(
            bind_values(sqlx::query(&sql), &values)
                .fetch_all(&mut *tx)
                .await?,
        )?;
        if upload.group_ids.iter().any(|g| !groups.contains(g)) {
            return Err(StoreError::Conflict(
                "a target group the mapping names was deleted after the mapping; map the file again".into(),
            ));
        }
        let fields = ids_of(
            sqlx::query(&format!(
                "SELECT id FROM custom_fields WHERE company_id = $1{}",
                self.for_share()
            ))
            .bind(company_id)
            .fetch_all(&mut *tx)
            .await?,
        )?;
        let selected: std::collections::HashSet<&str> = match kind {
            ImportKind::Selected(ids) => ids.iter().map(String::as_str).collect(),
            _ => Default::default(),
        };
        let now = now_millis();
        let month = month_of(now);
        let ctx = ImportContext {
            company_id,
            kind,
            selected: &selected,
            fields: &fields,
            now,
        };
        let mut tally = ImportTally::default();
        let mut done = 0_i64;
        // SQLite: the new users' trigrams are written once, at the end (migration 0019).
        let paused = self.pause_fts_in(&mut tx).await?;
        // Each batch of rows is read and decoded while the batch before it is written, so that
        // SQLite's writer seldom waits for this task (docs/performance.md, imports). The rows
        // cannot change meanwhile: the import holds its upload (PostgreSQL: locked; SQLite: the
        // one writer), and a new mapping or batch of checks waits for it. They are read on a
        // connection of the import's own, opened with the pool's options but outside it, so
        // that a long import takes no connection from searches.
        let mut reader = {
            use sqlx::ConnectOptions;
            self.pool.connect_options().connect().await?
        };
        let mut batch = pending_rows(&mut reader, upload.id, 0).await?;
        while let Some(last) = batch.last() {
            let after = last.row_no;
            let (written, next) = tokio::join!(
                self.import_batch_in(&mut tx, &ctx, &batch, &mut tally),
                pending_rows(&mut reader, upload.id, after)
            );
            written?;
            done += batch.len() as i64;
            progress(done);
            batch = next?;
        }
        // Only read from: nothing is lost if closing it fails.
        let _ = sqlx::Connection::close(reader).await;
        let ImportTally {
            out,
            active,
            inactive,
            joined,
        } = tally;
        self.resume_fts_in(&mut tx, paused).await?;
        for sql in &triggers {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        if active + inactive > 0 {
            let d = crate::target_users::Delta::created(active, inactive);
            crate::target_users::bump(&mut tx, company_id, month, d).await?;
        }
        for group in &upload.group_ids {
            for ids in joined.chunks(ROWS_PER_STATEMENT) {
                self.add_members_in(
                    &mut tx,
                    company_id,
                    *group,
                    &MemberSelection::Ids(ids.to_vec()),
                )
                .await?;
            }
        }
        let change = Change::within(&mut tx, actor, company_id, Entity::TargetUser).await?;
        let event = change.with_new(
            Operation::BulkCreate,
            None,
            serde_json::json!({
                "createdCount": out.created,
                "updatedCount": out.updated,
                "skippedCount": out.skipped,
                "fileName": upload.meta.file_name,
            }),
            &format!(
                "Imported {} from '{}': {} created, {} updated",
                count_of(
                    (out.created + out.updated).unsigned_abs(),
                    "target user",
                    "target users"
                ),
                upload.meta.file_name,
                out.created,
                out.updated
            ),
        );
        if job_finished_in(&mut tx, job_id, &out, true).await? == 0 {
            return Err(StoreError::Conflict(
                "the import's job was taken for dead while it ran (its heartbeat stopped) and nothing of it was applied; start the import again".into(),
            ));
        }
        self.commit_audited(tx, [event]).await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn foreign_keys(conn: &mut AnyConnection) -> i64 {
        let row = sqlx::query("PRAGMA foreign_keys")
            .fetch_one(conn)
            .await
            .expect("pragma");
        get_i64(&row, "foreign_keys").expect("value")
    }

    #[tokio::test]
    async fn the_import_connection_without_foreign_keys_never_returns_to_the_pool() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqlStore::open("", dir.path()).await.expect("open");
        let mut conn = store.import_connection().await.expect("import connection");
        assert_eq!(
            foreign_keys(&mut conn).await,
            0,
            "the import's checks are off"
        );
        drop(conn);
        // The writer is one connection: the next write gets a new one, with its checks on.
        let mut writer = store.writer.acquire().await.expect("writer");
        assert_eq!(
            foreign_keys(&mut writer).await,
            1,
            "the next write checks again"
        );
    }
}
