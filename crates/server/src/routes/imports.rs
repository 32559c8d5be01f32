//! Importing target users from a file (REFERENCE.md C.10, issue #15): upload, the uploaded
//! file, the mapping and its job, the preview of checked rows, the import, and the job log.
//! Rulings in docs/api.md, "Importing users". Keepnet names the path segment of
//! `/{transactionId}/search`, `/import` and `/update` `transactionId`; here it is `resourceId`,
//! as the user routes at the same place name it (the router needs one name per position).

use std::io::Write;

use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use axum::Json;
use rollcall_store::{
    fields, CheckedRow, CustomField, Entity, ImportKind, Job, SearchSpec, Upload,
};
use rollcall_types::import::{
    CreateMappingRequest, ImportRequest, JobResult, MappingJobDto, ProcessResult, TmpCustomField,
    TmpSearchResult, TmpTargetUserSearchView, TransactionIdDto, UploadFileDto, UploadedFileDto,
    ValidationDetail,
};
use rollcall_types::{Envelope, SearchRequest};

use crate::audit;
use crate::error::{ApiError, ApiResult};
use crate::export::{Cell, ExportOptions};
use crate::extract::KJson;
use crate::import::{self, check};
use crate::routes::files::{self, ExportKind, ExportRequest, FileKind};
use crate::routes::{search_spec, user_extras};
use crate::scope::{Read, Scoped, Write as Writes};
use crate::state::AppState;
use crate::time::{millis_to_time, now_millis};

/// Rows of the file `GET /api/target-users/upload/{id}` shows.
const SHOWN_ROWS: i64 = 10;
/// Jobs `GET /api/jobs` lists.
const LISTED_JOBS: i64 = 100;

fn upload_gone(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "upload '{id}' was not found in this company or has expired (uploads are kept 24 hours); upload the file again with POST /api/target-users/upload"
    ))
}

async fn upload_of(state: &AppState, company_id: i64, id: &str) -> ApiResult<Upload> {
    state
        .store
        .upload(company_id, id, now_millis())
        .await?
        .ok_or_else(|| upload_gone(id))
}

/// `POST /api/target-users/upload`: the file in the multipart field `File`.
#[utoipa::path(
    post, path = "/api/target-users/upload", operation_id = "uploadTargetUsers", tag = "TargetUser", params(crate::openapi::Scope),
    summary = "Upload a file of target users",
    description = "The first step of an import: send the file (CSV, `.xlsx` or `.xls`; at most 100 MiB \
        unless the server says otherwise) in the multipart field `File`; its first row that is \
        not blank is the header. It answers the upload's `transactionId`, its rows and columns, \
        and how many rows repeat an earlier row's email; the upload is kept 24 hours. Then map \
        its columns (`POST /api/target-users/create-mapping`), look at the checked rows (`POST \
        /api/target-users/{resourceId}/search`) and import them (`POST \
        /api/target-users/{resourceId}/import`), the transaction id in `{resourceId}`. `POST /api/target-users/example-file` is a \
        template. Both roles; a Reseller must name the company in `X-KEEPNET-Company-Id` \
        (without it, a 400); a Company Admin acts on its own company. An empty file, one without \
        a header row, or one that is neither CSV nor Excel is a 400; a larger file is a 413.",
    request_body(content = crate::openapi::UploadForm, content_type = "multipart/form-data", description = "The file (CSV, .xlsx or .xls) in the field `File`"),
    responses(
        (status = 200, description = "The upload's transaction id and counts", body = Envelope<UploadFileDto>),
        (status = 413, description = "The file is larger than the server takes (`PAYLOAD_TOO_LARGE`; 100 MiB unless configured)", body = crate::openapi::ErrorEnvelope),
        crate::openapi::ApiErrors)
)]
pub async fn upload(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Writes>,
    mut form: Multipart,
) -> ApiResult<Json<Envelope<UploadFileDto>>> {
    let limit = state.config.import_max_bytes;
    let mut saved: Option<(String, tempfile::TempPath)> = None;
    while let Some(mut field) = form.next_field().await.map_err(|e| {
        ApiError::bad_request(format!("the upload is not a valid multipart form: {e}"))
    })? {
        if !field.name().is_some_and(|n| n.eq_ignore_ascii_case("file")) {
            continue;
        }
        let name = field.file_name().unwrap_or("upload").to_owned();
        let mut file = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
        let mut size: u64 = 0;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| ApiError::bad_request(format!("the upload stopped before its end: {e}")))?
        {
            size += chunk.len() as u64;
            if size > limit {
                return Err(ApiError::payload_too_large(format!(
                    "the file is larger than {} MiB, the most an upload takes; split it into smaller files",
                    limit / (1024 * 1024)
                )));
            }
            file.write_all(&chunk).map_err(ApiError::internal)?;
        }
        file.flush().map_err(ApiError::internal)?;
        saved = Some((name, file.into_temp_path()));
        break;
    }
    let Some((name, path)) = saved else {
        return Err(ApiError::bad_request(
            "send the file in a multipart/form-data field named File",
        ));
    };
    // Expired uploads go when new ones come.
    let _ = state.store.delete_expired_uploads(now_millis()).await;
    let upload = import::ingest(&state, company.id, &name, path.to_path_buf()).await?;
    drop(path);
    Ok(Json(Envelope::done(
        UploadFileDto {
            transaction_id: upload.transaction_id.clone(),
            row_count: upload.row_count,
            column_count: upload.meta.headers.len() as i64,
            duplicate_count: upload.duplicate_count,
        },
        format!(
            "Read {} rows of {} columns from '{}'; map its columns next (POST /api/target-users/create-mapping).",
            upload.row_count,
            upload.meta.headers.len(),
            upload.meta.file_name
        ),
    )))
}

/// `GET /api/target-users/upload/{transactionId}`: the file's headers and first rows.
#[utoipa::path(
    get, path = "/api/target-users/upload/{transactionId}", operation_id = "getUploadedTargetUserFile", tag = "TargetUser", params(crate::openapi::TransactionId, crate::openapi::Scope),
    summary = "Show an uploaded file",
    description = "The upload's file type, sheet names, header row and first 10 rows (objects of header to \
        cell), to choose the mapping from. Both roles, in the company of the upload \
        (`X-KEEPNET-Company-Id`, by default the caller's own); an upload of another company, or \
        one older than 24 hours, is a 404.",
    responses((status = 200, description = "The file's type, sheets, header and first rows", body = Envelope<UploadedFileDto>), crate::openapi::ApiErrors)
)]
pub async fn uploaded(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<UploadedFileDto>>> {
    let upload = upload_of(&state, company.id, &id).await?;
    let rows = state.store.upload_rows(upload.id, 0, SHOWN_ROWS).await?;
    let data = rows
        .into_iter()
        .map(|r| {
            upload
                .meta
                .headers
                .iter()
                .cloned()
                .zip(r.cells.into_iter().map(serde_json::Value::String))
                .collect()
        })
        .collect();
    Ok(Json(Envelope::success(UploadedFileDto {
        file_type: upload.meta.file_type.clone(),
        sheet_names: upload.meta.sheet_names.clone(),
        data,
        file_field_names: upload.meta.headers.clone(),
    })))
}

/// `PUT /api/target-users/{transactionId}/update`: a new transaction id for the same upload
/// (the UI's step back); the old one stops working.
#[utoipa::path(
    put, path = "/api/target-users/{resourceId}/update", operation_id = "renewUploadTransaction", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope),
    summary = "Renew an upload's transaction id",
    description = "Gives the upload a new transaction id and answers both; the old one stops working \
        (Keepnet's UI does this when it steps back). Both roles; a Reseller must name the \
        company in `X-KEEPNET-Company-Id` (without it, a 400); a Company Admin acts on its own \
        company. An expired or unknown upload is a 404. \
        In the path, `{resourceId}` is the upload's transaction id.",
    responses((status = 200, description = "The new and the old transaction id", body = Envelope<TransactionIdDto>), crate::openapi::ApiErrors)
)]
pub async fn renew(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Writes>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<TransactionIdDto>>> {
    let upload = upload_of(&state, company.id, &id).await?;
    let new_id = state.store.rotate_upload(upload.id).await?;
    Ok(Json(Envelope::success(TransactionIdDto {
        transaction_id: new_id,
        old_transaction_id: id,
    })))
}

/// The upload's mapping as `fieldMappings`: each mapped header and its field's name.
fn mapped_fields(u: &Upload, defs: &[CustomField]) -> Vec<rollcall_types::import::FieldMapping> {
    let Some(mapping) = u
        .mapping
        .as_deref()
        .and_then(|m| serde_json::from_str::<check::Mapping>(m).ok())
    else {
        return vec![];
    };
    mapping
        .columns
        .iter()
        .map(|(col, target)| rollcall_types::import::FieldMapping {
            excel_column_name: u.meta.headers.get(*col).cloned(),
            field_name: Some(match target {
                check::Target::Field(f) => f.clone(),
                check::Target::Custom(id) => defs
                    .iter()
                    .find(|d| d.id == *id)
                    .map(|d| d.fields.name.clone())
                    .unwrap_or_default(),
            }),
        })
        .collect()
}

fn mapping_dto(u: &Upload, defs: &[CustomField]) -> MappingJobDto {
    MappingJobDto {
        field_mappings: mapped_fields(u, defs),
        resource_id: u.mapping_id.clone().unwrap_or_default(),
        transaction_id: u.transaction_id.clone(),
        status: u.mapping_status.clone(),
        new_user_count: u.new_count,
        existing_user_count: u.existing_count,
        invalid_user_count: u.invalid_count,
        total_row_count: u.row_count,
    }
}

/// `POST /api/target-users/create-mapping`: maps the file's columns to fields and checks every
/// row in the background (poll the mapping job).
#[utoipa::path(
    post, path = "/api/target-users/create-mapping", operation_id = "createTargetUserMapping", tag = "TargetUser", params(crate::openapi::Scope),
    summary = "Map an upload's columns",
    description = "Maps the file's columns to target-user fields or the company's active custom fields \
        (`fieldMappings`; left out, guessed from the headers) and checks every row in the \
        background by the rules of `POST /api/target-users`. It answers the mapping job, \
        `InProgress`: poll `GET /api/target-users/mapping-job/{resourceId}` until it is \
        `Finished` or `FinishedWithError`. `targetGroupResourceIds` names groups every imported \
        user joins. A new mapping replaces the upload's previous one. Both roles; a Reseller \
        must name the company in `X-KEEPNET-Company-Id` (without it, a 400); a Company Admin \
        acts on its own company. A column the file lacks, an unknown field, a field mapped \
        twice, or no column mapped to `Email` is a 400 listing every problem; an expired upload, \
        or a group of another company, is a 404.",
    request_body = CreateMappingRequest,
    responses((status = 200, description = "The mapping job, checking rows", body = Envelope<MappingJobDto>), crate::openapi::ApiErrors)
)]
pub async fn create_mapping(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Writes>,
    KJson(req): KJson<CreateMappingRequest>,
) -> ApiResult<Json<Envelope<MappingJobDto>>> {
    let id = req
        .transaction_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "transactionId is required: the id POST /api/target-users/upload answered",
            )
        })?;
    let mut upload = upload_of(&state, company.id, id).await?;
    // A mapping made while another is checking rows replaces it (its checker then writes
    // nothing): a check a restart stopped is started over this way.
    let defs: Vec<CustomField> = state.store.custom_fields(company.id).await?;
    let items = match req.field_mappings {
        Some(items) if !items.is_empty() => items,
        // None sent: the headers' own names (the template's, or the fields').
        _ => check::guess(&upload.meta.headers, &defs),
    };
    let mapping =
        check::mapping(&upload.meta.headers, &items, &defs).map_err(ApiError::validation)?;
    let groups = user_extras::resolve_groups(
        &state,
        company.id,
        &req.target_group_resource_ids.unwrap_or_default(),
    )
    .await?;
    let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let json = serde_json::to_string(&mapping).map_err(ApiError::internal)?;
    let job = state
        .store
        .start_mapping(upload.id, &json, &group_ids)
        .await?;
    upload.mapping_id = Some(job);
    upload.mapping_status = "InProgress".into();
    upload.group_ids = group_ids;
    upload.mapping = Some(json);
    let dto = mapping_dto(&upload, &defs);
    import::spawn_mapping(state.clone(), upload, mapping, defs);
    Ok(Json(Envelope::done(
        dto,
        "Checking the rows; poll GET /api/target-users/mapping-job/{resourceId} until its status is Finished or FinishedWithError.",
    )))
}

/// `GET /api/target-users/mapping-job/{resourceId}`.
#[utoipa::path(
    get, path = "/api/target-users/mapping-job/{resourceId}", operation_id = "getTargetUserMappingJob", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope),
    summary = "Get a mapping job",
    description = "A mapping's status (`InProgress`, then `Finished`, or `FinishedWithError` when some row \
        has a problem; `Failed` when the rows could not be checked), its counts of new, existing \
        and invalid rows, and the mapping as used. Both roles, in the company of the upload \
        (`X-KEEPNET-Company-Id`, by default the caller's own); a job of another company is a \
        404.",
    responses((status = 200, description = "The mapping's status and counts", body = Envelope<MappingJobDto>), crate::openapi::ApiErrors)
)]
pub async fn mapping_job(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<MappingJobDto>>> {
    let upload = state
        .store
        .upload_by_mapping(company.id, &id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "mapping job '{id}' was not found in this company; POST /api/target-users/create-mapping answers its id"
            ))
        })?;
    let defs = state.store.custom_fields(company.id).await?;
    Ok(Json(Envelope::success(mapping_dto(&upload, &defs))))
}

fn tmp_row(r: CheckedRow, upload: &Upload, defs: &[CustomField]) -> TmpTargetUserSearchView {
    let patch = r.patch.unwrap_or_default();
    let created = millis_to_time(upload.create_time).unwrap_or_default();
    TmpTargetUserSearchView {
        resource_id: r.resource_id,
        row_number: r.row_no,
        email: patch.email.clone(),
        first_name: patch.first_name.clone(),
        last_name: patch.last_name.clone(),
        department: patch.department.clone(),
        priority: patch
            .priority
            .map(|p| rollcall_store::priority_name(p).to_owned()),
        phone_number: patch.phone_number.clone(),
        time_zone: patch.time_zone_id.clone(),
        preferred_language: patch.preferred_language_id.clone(),
        transaction_id: upload.transaction_id.clone(),
        status: r.status.map(|s| s.name()).unwrap_or("").to_owned(),
        validation_detail: r
            .problems
            .into_iter()
            .map(|p| ValidationDetail {
                field_name: p.field_name,
                message: p.message,
            })
            .collect(),
        custom_fields: patch
            .custom
            .iter()
            .filter_map(|v| {
                let d = defs.iter().find(|d| d.id == v.field_id)?;
                Some(TmpCustomField {
                    resource_id: d.resource_id.clone(),
                    name: d.fields.name.clone(),
                    data_type: d.fields.data_type.name().to_owned(),
                    value: v.text.clone(),
                })
            })
            .collect(),
        create_time: created,
        update_time: None,
    }
}

/// `POST /api/target-users/{transactionId}/search`: a page of the checked rows.
#[utoipa::path(
    post, path = "/api/target-users/{resourceId}/search", operation_id = "searchUploadedTargetUsers", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope),
    summary = "Preview an upload's checked rows",
    description = "One page of the upload's checked rows, in the file's order unless `orderBy` says \
        otherwise, with the mapping's status and counts. Each row has its mapped values, its \
        `status` (`New`, `Exists` when a live user of the company has its email, or `Error`) and \
        its problems in `validationDetail`; its `resourceId` is what `importType: \
        ImportSelected` names. Both roles, in the company of the upload (`X-KEEPNET-Company-Id`, \
        by default the caller's own); an upload of another company, or one older than 24 hours, \
        is a 404. \
        In the path, `{resourceId}` is the upload's transaction id.",
    request_body(content = SearchRequest, example = json!({
        "pageNumber": 1, "pageSize": 20, "orderBy": "RowNumber", "ascending": true,
        "filter": {"condition": "AND", "searchInputTextValue": "", "filterGroups": [
            {"condition": "AND", "filterItems": [
                {"fieldName": "Status", "operator": "Include", "value": "New,Exists"}
            ]}
        ]}
    })),
    responses((status = 200, description = "A page of checked rows and the mapping's counts", body = Envelope<TmpSearchResult>), crate::openapi::ApiErrors)
)]
pub async fn search(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    Path(id): Path<String>,
    KJson(mut req): KJson<SearchRequest>,
) -> ApiResult<Json<Envelope<TmpSearchResult>>> {
    let upload = upload_of(&state, company.id, &id).await?;
    // The file's order unless asked otherwise.
    req.ascending.get_or_insert(true);
    let (spec, paging) = search_spec(&state, &req, &fields::IMPORT_ROWS, &company)?;
    let (total, rows) = state.store.search_checked_rows(upload.id, &spec).await?;
    let defs = state.store.custom_fields(company.id).await?;
    let rows = rows
        .into_iter()
        .map(|r| tmp_row(r, &upload, &defs))
        .collect();
    Ok(Json(Envelope::success(TmpSearchResult {
        status: upload.mapping_status.clone(),
        items: rollcall_types::Paged::new(paging.number, paging.size, total, rows),
        new_user_count: upload.new_count,
        existing_user_count: upload.existing_count,
        invalid_user_count: upload.invalid_count,
    })))
}

/// The preview's rows as a file (its title and base name).
pub struct PreviewFile;

impl ExportKind for PreviewFile {
    const TITLE: &'static str = "Import Preview";
    const ENTITY: Entity = Entity::TargetUser;
    const NOUN: (&'static str, &'static str) = ("checked row", "checked rows");
}

/// The preview file's columns before the company's custom fields; `Problems` ends it.
const PREVIEW_COLUMNS: &[&str] = &[
    "Row Number",
    "Status",
    "Email",
    "First Name",
    "Last Name",
    "Department",
    "Phone Number",
    "Priority",
    "Time Zone",
    "Preferred Language",
];

/// Rows the preview's export reads a query.
const PREVIEW_EXPORT_PAGE: i64 = 5000;

/// `POST /api/target-users/{transactionId}/search/export`: the checked rows a preview search
/// selects (the requested page, or every match with `reportAllPages: true`) as CSV, Excel or
/// PDF: each row's status and values, a column per custom field of the company, and its
/// problems ("Field: message; ..."), so that a customer can fix the file's bad rows.
#[utoipa::path(
    post, path = "/api/target-users/{resourceId}/search/export", operation_id = "exportUploadedTargetUsers", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope, ExportOptions),
    summary = "Export an upload's checked rows",
    description = "The checked rows a preview search selects, as a file: `exportType` `CSV`, `Excel` or \
        `PDF` (required), the requested page or, with `reportAllPages: true`, every match. \
        Columns: Row Number, Status, the fields a row can set, one per active custom field of \
        the company, and Problems (`Field: message; ...`), so that the file's bad rows can be \
        mended and uploaded again. Both roles, in the company of the upload \
        (`X-KEEPNET-Company-Id`, by default the caller's own); an upload of another company, or \
        one older than 24 hours, is a 404. Every export is recorded in the audit log. \
        In the path, `{resourceId}` is the upload's transaction id.",
    request_body(content = SearchRequest, example = json!({
        "pageNumber": 1, "pageSize": 20, "orderBy": "RowNumber", "ascending": true,
        "filter": {"condition": "AND", "searchInputTextValue": "", "filterGroups": [
            {"condition": "AND", "filterItems": [
                {"fieldName": "Status", "operator": "Include", "value": "Error"}
            ]}
        ]},
        "exportType": "CSV", "reportAllPages": true
    })),
    responses(crate::openapi::ExportFile<PreviewFile>)
)]
pub async fn search_export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ExportRequest {
        record,
        search: mut req,
        options,
        ..
    }: ExportRequest<PreviewFile>,
) -> ApiResult<Response> {
    let upload = upload_of(&state, record.company.id, &id).await?;
    req.ascending.get_or_insert(true);
    let spec = files::read_spec(&state, &record, &req, &fields::IMPORT_ROWS)?;
    let store = state.store.clone();
    let upload_id = upload.id;
    files::refuse_big_pdf(&record, &spec, |s| async move {
        store.search_checked_rows(upload_id, &s).await
    })
    .await?;
    let defs: Vec<CustomField> = state
        .store
        .custom_fields(record.company.id)
        .await?
        .into_iter()
        .filter(|d| d.fields.is_active)
        .collect();
    let mut columns = files::owned(PREVIEW_COLUMNS);
    columns.extend(defs.iter().map(|d| d.fields.name.clone()));
    columns.push("Problems".to_owned());
    let custom: Vec<(String, rollcall_store::CustomFieldType)> = defs
        .iter()
        .map(|d| (d.resource_id.clone(), d.fields.data_type))
        .collect();
    let kind = FileKind {
        title: PreviewFile::TITLE,
        columns,
        cells: Box::new(move |r: &TmpTargetUserSearchView| preview_cells(r, &custom)),
        pdf_columns: vec![],
        left_out: None,
    };
    let store = state.store.clone();
    files::stream(&state, record, kind, &options, move |sink| async move {
        // Page by page, so that memory stays flat however many rows the file had; each page
        // reads the rows as they are then (a new mapping meanwhile shows in later pages).
        let mut page = SearchSpec {
            limit: spec.limit.min(PREVIEW_EXPORT_PAGE),
            ..spec.clone()
        };
        let end = spec.offset.saturating_add(spec.limit);
        while page.offset < end {
            page.limit = page.limit.min(end - page.offset);
            let rows = store.checked_rows_page(upload.id, &page).await?;
            let n = rows.len() as i64;
            let views = rows
                .into_iter()
                .map(|r| tmp_row(r, &upload, &defs))
                .collect();
            if sink.send(Ok(views)).await.is_err() || n < page.limit {
                break;
            }
            page.offset += n;
        }
        Ok(())
    })
    .await
}

fn preview_cells(
    r: &TmpTargetUserSearchView,
    custom: &[(String, rollcall_store::CustomFieldType)],
) -> Vec<Cell> {
    let text = |v: &Option<String>| Cell::Text(v.clone().unwrap_or_default());
    let mut cells = vec![
        Cell::Int(Some(r.row_number)),
        Cell::Text(r.status.clone()),
        Cell::Text(r.email.clone()),
        text(&r.first_name),
        text(&r.last_name),
        text(&r.department),
        text(&r.phone_number),
        text(&r.priority),
        text(&r.time_zone),
        text(&r.preferred_language),
    ];
    cells.extend(custom.iter().map(|(id, data_type)| {
        r.custom_fields
            .iter()
            .find(|c| &c.resource_id == id)
            .map_or(Cell::Text(String::new()), |c| {
                crate::export::custom_cell(*data_type, &c.value)
            })
    }));
    let problems: Vec<String> = r
        .validation_detail
        .iter()
        .map(|p| format!("{}: {}", p.field_name, p.message))
        .collect();
    cells.push(Cell::Text(problems.join("; ")));
    cells
}

fn import_kind(req: &ImportRequest) -> ApiResult<ImportKind> {
    let t = req.import_type.as_deref().map(str::trim).unwrap_or("");
    Ok(match t.to_ascii_lowercase().as_str() {
        "importall" | "all" => ImportKind::All,
        "importselected" | "selected" => {
            let ids = req.selected_resource_ids.clone().unwrap_or_default();
            if ids.is_empty() {
                return Err(ApiError::bad_request(
                    "importType Selected needs selectedResourceIds: the rows' resourceId from the preview",
                ));
            }
            ImportKind::Selected(ids)
        }
        "onlynew" => ImportKind::OnlyNew,
        "onlyupdateexisting" => ImportKind::OnlyExisting,
        _ => {
            return Err(ApiError::bad_request(format!(
                "importType '{t}' is not known; use ImportAll, ImportSelected, OnlyNew or OnlyUpdateExisting"
            )))
        }
    })
}

/// Keepnet's job status number (docs/api.md, "Importing users").
fn status_number(status: &str) -> i32 {
    match status {
        "Queued" => 0,
        "Running" => 1,
        "Finished" => 2,
        "FinishedWithError" => 3,
        _ => 4,
    }
}

fn job_result(state: &AppState, job: &Job) -> JobResult {
    let (done, secs) = state.jobs.progress(job.id).unwrap_or((0, 0.0));
    let finished = job.is_finished();
    let progress = if finished {
        100.0
    } else if job.target_count > 0 {
        (done as f64 * 100.0 / job.target_count as f64).min(99.0)
    } else {
        0.0
    };
    let estimated = if !finished && done > 0 && secs > 0.0 {
        (job.target_count - done).max(0) as f64 * secs / done as f64
    } else {
        0.0
    };
    JobResult {
        job_id: job.id,
        company_id: job.company_id,
        name: job.name.clone(),
        progress,
        status: status_number(&job.status),
        status_name: job.status.clone(),
        resource_id: job.resource_id.clone(),
        create_time: millis_to_time(job.create_time).unwrap_or_default(),
        end_time: job.end_time.and_then(millis_to_time),
        error_message: job.error_message.clone(),
        estimated_time: estimated,
        is_finished: finished,
        process_results: None,
    }
}

/// `POST /api/target-users/{transactionId}/import`: applies the checked rows as a background
/// job, all or nothing.
#[utoipa::path(
    post, path = "/api/target-users/{resourceId}/import", operation_id = "importTargetUsers", tag = "TargetUser", params(crate::openapi::ResourceId, crate::openapi::Scope),
    summary = "Import an upload's checked rows",
    description = "Applies the checked rows in a background job and answers the job: `importType` \
        `ImportAll` (new and existing users), `OnlyNew`, `OnlyUpdateExisting` or \
        `ImportSelected` (the rows named in `selectedResourceIds`). All or nothing: a job that \
        fails leaves the company as it was. Rows with errors, and rows the import type leaves \
        out, are skipped with their reason; follow the job with `GET /api/jobs/{resourceId}`. \
        Both roles; a Reseller must name the company in `X-KEEPNET-Company-Id` (without it, a \
        400); a Company Admin acts on its own company. Before a mapping it is a 400, while the \
        rows are still being checked a 409, and a selected id of no row of the upload a 400. \
        In the path, `{resourceId}` is the upload's transaction id.",
    request_body = ImportRequest,
    responses((status = 200, description = "The import's job", body = Envelope<JobResult>), crate::openapi::ApiErrors)
)]
pub async fn start_import(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Writes>,
    Path(id): Path<String>,
    KJson(req): KJson<ImportRequest>,
) -> ApiResult<Json<Envelope<JobResult>>> {
    let upload = upload_of(&state, company.id, &id).await?;
    let kind = import_kind(&req)?;
    if let ImportKind::Selected(ids) = &kind {
        let unknown = state.store.unknown_rows(upload.id, ids).await?;
        if !unknown.is_empty() {
            let shown: Vec<&str> = unknown.iter().take(5).map(String::as_str).collect();
            return Err(ApiError::bad_request(format!(
                "selectedResourceIds names {} not in this upload ({}{}); use the rows' resourceId from POST /api/target-users/{id}/search",
                if unknown.len() == 1 { "a row".to_owned() } else { format!("{} rows", unknown.len()) },
                shown.join(", "),
                if unknown.len() > shown.len() { ", ..." } else { "" }
            )));
        }
    }
    match upload.mapping_status.as_str() {
        "Finished" | "FinishedWithError" => {}
        "InProgress" => {
            return Err(ApiError::conflict(
                "the rows are still being checked; import when GET /api/target-users/mapping-job/{resourceId} says Finished or FinishedWithError (if it stays InProgress, a server restart stopped it: create the mapping again)",
            ))
        }
        _ => {
            return Err(ApiError::bad_request(
                "map the file's columns first: POST /api/target-users/create-mapping",
            ))
        }
    }
    let job = state
        .store
        .create_job(
            company.id,
            "TargetUserImport",
            &format!("Target user import: {}", upload.meta.file_name),
            &state.jobs.owner,
            upload.row_count,
        )
        .await?;
    let dto = job_result(&state, &job);
    import::spawn_import(state.clone(), upload, kind, job, audit::actor(&caller));
    Ok(Json(Envelope::done(
        dto,
        "The import is running; follow it with GET /api/jobs/{resourceId}.",
    )))
}

/// `GET /api/jobs`: the company's jobs, newest first.
#[utoipa::path(
    get, path = "/api/jobs", operation_id = "listJobs", tag = "Job", params(crate::openapi::Scope),
    summary = "List jobs",
    description = "The company's last 100 background jobs (imports), newest first, each with its `status` \
        (0 queued, 1 running, 2 finished, 3 finished with rows skipped, 4 failed, nothing \
        applied), progress and estimated seconds left. Both roles, for the company named in \
        `X-KEEPNET-Company-Id` (by default the caller's own).",
    responses((status = 200, description = "The company's last 100 jobs, newest first", body = Envelope<Vec<JobResult>>), crate::openapi::ApiErrors)
)]
pub async fn jobs(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
) -> ApiResult<Json<Envelope<Vec<JobResult>>>> {
    import::fail_abandoned(&state, false).await?;
    let jobs = state.store.jobs(company.id, LISTED_JOBS).await?;
    if jobs.iter().any(Job::is_finished) {
        crate::replica::saw_writes(&state, &caller).await?;
    }
    Ok(Json(Envelope::success(
        jobs.iter().map(|j| job_result(&state, j)).collect(),
    )))
}

/// `GET /api/jobs/{resourceId}`: a job with its created, updated and skipped rows.
#[utoipa::path(
    get, path = "/api/jobs/{resourceId}", operation_id = "getJob", tag = "Job", params(crate::openapi::ResourceId, crate::openapi::Scope),
    summary = "Get a job",
    description = "A job with its parts: the rows it created, updated and skipped, with the reason for each \
        skipped row (the first 1,000). Both roles, in the company of the job \
        (`X-KEEPNET-Company-Id`, by default the caller's own); a job of another company is a \
        404.",
    responses((status = 200, description = "The job and its parts", body = Envelope<JobResult>), crate::openapi::ApiErrors)
)]
pub async fn job(
    State(state): State<AppState>,
    Scoped {
        caller, company, ..
    }: Scoped<Read>,
    Path(id): Path<String>,
) -> ApiResult<Json<Envelope<JobResult>>> {
    import::fail_abandoned(&state, false).await?;
    let job = state.store.job(company.id, &id).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "job '{id}' was not found in this company; GET /api/jobs lists them"
        ))
    })?;
    if job.is_finished() {
        crate::replica::saw_writes(&state, &caller).await?;
    }
    let mut result = job_result(&state, &job);
    let created = result.create_time;
    let end = result.end_time;
    let part = |name: &str, kind: i32, count: i64, errors: Vec<String>| ProcessResult {
        name: name.to_owned(),
        kind,
        current_count: count,
        target_count: job.target_count,
        exists_error: !errors.is_empty(),
        process_errors: errors,
        create_time: created,
        end_time: end,
        estimated_time: 0.0,
        is_finished: result.is_finished,
        progress: result.progress,
    };
    let skipped: Vec<String> = job
        .errors
        .iter()
        .map(|e| format!("row {} ({}): {}", e.row_number, e.email, e.reason))
        .collect();
    let parts = vec![
        part("Created", 0, job.created_count, vec![]),
        part("Updated", 1, job.updated_count, vec![]),
        part("Skipped", 2, job.skipped_count, skipped),
    ];
    result.process_results = Some(parts);
    Ok(Json(Envelope::success(result)))
}
