//! Importing target users from a file (REFERENCE.md C.10, issue #15; docs/api.md, "Importing
//! users"): the upload is read into stored rows, a mapping checks every row in the
//! background, and an import applies the checked rows as a background job, all or nothing.

pub mod check;
pub mod jobs;
pub mod read;

pub use jobs::Jobs;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rollcall_store::{
    Actor, CustomField, Engine, ImportKind, Job, Problem, RowStatus, StoreError, Upload, UploadMeta,
};
use tokio::sync::mpsc;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::now_millis;

/// How long an upload can be mapped, previewed and imported (docs/api.md).
pub const UPLOAD_TTL: Duration = Duration::from_secs(24 * 3600);
/// Rows checked at a time by a mapping.
const CHECK_BATCH: i64 = 2000;
/// Heartbeats a running job may miss before it is taken for dead (PostgreSQL).
const MISSED_HEARTBEATS: u32 = 12;

/// Fails the jobs whose process is gone, and the import's transaction with it. At start
/// (`starting`): on SQLite every unfinished job (one process), on PostgreSQL those whose
/// heartbeat stopped. Later (before the job log is read), on PostgreSQL only: the heartbeats
/// of another replica's jobs say whether it still runs them.
pub async fn fail_abandoned(state: &AppState, starting: bool) -> Result<u64, StoreError> {
    let stale = state.config.job_heartbeat * MISSED_HEARTBEATS;
    let stale_before = now_millis() - stale.as_millis() as i64;
    match (state.store.engine(), starting) {
        (Engine::Sqlite, true) => state.store.fail_abandoned_jobs(i64::MAX).await,
        (Engine::Sqlite, false) => Ok(0),
        // No job is this process's at start; later its own are alive and beating.
        (Engine::Postgres, _) => state.store.fail_abandoned_jobs(stale_before).await,
    }
}

/// Reads the uploaded file at `path` into a new upload of the company: 400 when it is not a
/// file rollcall reads. Rows go to the database in batches as they are read.
pub async fn ingest(
    state: &AppState,
    company_id: i64,
    file_name: &str,
    path: PathBuf,
) -> ApiResult<Upload> {
    let (tx, mut rx) = mpsc::channel(2);
    let reader = tokio::task::spawn_blocking(move || read::read(&path, &tx));
    let mut upload: Option<Upload> = None;
    let mut email_col: Option<usize> = None;
    let mut rows = 0_i64;
    while let Some(chunk) = rx.recv().await {
        match chunk.map_err(ApiError::bad_request)? {
            read::Chunk::Head(head) => {
                let guessed = check::guess(&head.headers, &[]);
                email_col = guessed
                    .iter()
                    .find(|m| m.field_name.as_deref() == Some("Email"))
                    .and_then(|m| {
                        head.headers
                            .iter()
                            .position(|h| Some(h) == m.excel_column_name.as_ref())
                    });
                let meta = UploadMeta {
                    file_name: file_name.to_owned(),
                    file_type: head.file_type.to_owned(),
                    sheet_names: head.sheet_names,
                    headers: head.headers,
                };
                let expire = now_millis() + UPLOAD_TTL.as_millis() as i64;
                upload = Some(state.store.create_upload(company_id, &meta, expire).await?);
            }
            read::Chunk::Rows(batch) => {
                let Some(u) = &upload else { continue };
                // Each row's email by the column the headers name: the database counts the
                // repeats (memory stays flat however long the file).
                let numbered: Vec<(i64, String, Vec<String>)> = batch
                    .into_iter()
                    .map(|r| {
                        rows += 1;
                        let email = email_col
                            .and_then(|c| r.get(c))
                            .map(|e| e.to_lowercase())
                            .unwrap_or_default();
                        (rows, email, r)
                    })
                    .collect();
                state.store.add_upload_rows(u.id, &numbered).await?;
            }
        }
    }
    reader
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::bad_request)?;
    let mut upload = upload.ok_or_else(|| ApiError::bad_request("the file has no header row"))?;
    let duplicates = state.store.complete_upload(upload.id, rows).await?;
    upload.row_count = rows;
    upload.duplicate_count = duplicates;
    Ok(upload)
}

/// Checks every row of `upload` against `mapping` in the background, writing each row's
/// status (New, Exists or Error) and the mapping's counts.
pub fn spawn_mapping(
    state: AppState,
    upload: Upload,
    mapping: check::Mapping,
    defs: Vec<CustomField>,
) {
    tokio::spawn(async move {
        let id = upload.id;
        let mapping_id = upload.mapping_id.clone().unwrap_or_default();
        if let Err(e) = check_rows(&state, &upload, &mapping, &defs).await {
            tracing::error!(upload = id, error = %e, "checking an upload's rows failed");
            if let Err(e) = state
                .store
                .finish_mapping(id, &mapping_id, "Failed", [0, 0, 0])
                .await
            {
                tracing::error!(upload = id, error = %e, "could not record a failed row check; creating the mapping again starts it over");
            }
        }
    });
}

async fn check_rows(
    state: &AppState,
    upload: &Upload,
    mapping: &check::Mapping,
    defs: &[CustomField],
) -> Result<(), StoreError> {
    let mut counts = [0_i64; 3];
    let mapping_id = upload.mapping_id.as_deref().unwrap_or_default();
    let required: Vec<&CustomField> = defs
        .iter()
        .filter(|d| d.fields.is_active && d.fields.is_required)
        .collect();
    let required = required.as_slice();
    let mut after = 0;
    loop {
        let rows = state
            .store
            .upload_rows(upload.id, after, CHECK_BATCH)
            .await?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            break;
        };
        after = last.row_no;
        // The first rows of this batch's emails among the rows checked before: the database
        // keeps every email of the file, the server only a batch's.
        let keys: Vec<String> = rows
            .iter()
            .map(|r| check::email_key(&r.cells, mapping))
            .filter(|k| !k.is_empty())
            .collect();
        let mut seen: HashMap<String, i64> = state
            .store
            .first_rows_by_email(upload.id, first.row_no, &keys)
            .await?
            .into_iter()
            .collect();
        let mut checks: Vec<_> = rows
            .iter()
            .map(|r| check::row(r.row_no, &r.cells, mapping, defs, &mut seen))
            .collect();
        let emails: Vec<String> = checks
            .iter()
            .filter(|c| c.status != RowStatus::Error)
            .filter_map(|c| c.patch.as_ref().map(|p| p.email.to_lowercase()))
            .collect();
        let live: HashSet<String> = state
            .store
            .live_emails(upload.company_id, &emails)
            .await?
            .into_iter()
            .collect();
        for c in &mut checks {
            if c.status == RowStatus::New
                && c.patch
                    .as_ref()
                    .is_some_and(|p| live.contains(&p.email.to_lowercase()))
            {
                c.status = RowStatus::Exists;
            }
            // A new user needs every active required field, as `POST /api/target-users` does.
            if c.status == RowStatus::New {
                for d in required {
                    let given = c
                        .patch
                        .as_ref()
                        .is_some_and(|p| p.custom.iter().any(|v| v.field_id == d.id));
                    if !given {
                        c.problems.push(Problem {
                            field_name: d.fields.name.clone(),
                            message: format!(
                                "custom field '{}' is required for a new user; map a column with its values",
                                d.fields.name
                            ),
                        });
                        c.status = RowStatus::Error;
                    }
                }
            }
            counts[match c.status {
                RowStatus::New => 0,
                RowStatus::Exists => 1,
                RowStatus::Error => 2,
            }] += 1;
        }
        state
            .store
            .save_checks(upload.id, mapping_id, &checks)
            .await?;
    }
    let status = if counts[2] > 0 {
        "FinishedWithError"
    } else {
        "Finished"
    };
    state
        .store
        .finish_mapping(upload.id, mapping_id, status, counts)
        .await
}

/// Runs `job`, an import of `upload`'s checked rows, in the background.
pub fn spawn_import(state: AppState, upload: Upload, kind: ImportKind, job: Job, actor: Actor) {
    tokio::spawn(async move {
        let Ok(_turn) = state.jobs.turn.acquire().await else {
            return;
        };
        match state.store.start_job(job.id).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::error!(job = %job.resource_id, error = %e, "could not start an import");
                let message = format!("the import could not start ({e}); start it again");
                let _ = state.store.finish_job(job.id, Err(&message)).await;
                return;
            }
        }
        let started = Instant::now();
        state.jobs.set(job.id, 0, started);
        // On SQLite the import's transaction holds the one writer: no heartbeat (one process,
        // and a restart fails every unfinished job).
        let heartbeat = (state.store.engine() == Engine::Postgres).then(|| {
            let store = state.store.clone();
            let id = job.id;
            let beat = state.config.job_heartbeat;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(beat).await;
                    // A missed beat is tried again at the next: stopping would let the job be
                    // taken for dead while it runs.
                    if let Err(e) = store.heartbeat_job(id).await {
                        tracing::warn!(job = id, error = %e, "an import's heartbeat failed");
                    }
                }
            })
        });
        let jobs = state.jobs.clone();
        let id = job.id;
        let progress = move |done: i64| jobs.set(id, done, started);
        let result = state
            .store
            .run_import(&upload, &kind, &actor, job.id, &progress)
            .await;
        if let Some(h) = heartbeat {
            h.abort();
        }
        // A success was recorded with the import, in its transaction.
        let finished = match &result {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(job = %job.resource_id, error = %e, "an import failed; nothing of it was applied");
                let message = format!(
                    "the import failed and nothing of it was applied ({e}); start it again, and if it fails again tell the operator"
                );
                state.store.finish_job(job.id, Err(&message)).await
            }
        };
        if let Err(e) = finished {
            tracing::error!(job = %job.resource_id, error = %e, "could not record an import's end");
        }
        state.jobs.clear(job.id);
    });
}
