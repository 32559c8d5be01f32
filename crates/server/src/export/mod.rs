//! File exports (CSV, Excel, PDF) of target users and companies.
//!
//! Everything that can fail is checked before the first byte (scope, filter, format, PDF row
//! cap), so those problems arrive as the usual JSON envelope. Rows then flow from one database
//! cursor (one read transaction, a consistent snapshot) through a bounded channel into the
//! format writer: CSV is streamed to the client as it is written; Excel sheet XML is streamed
//! into the zip of a temporary file that is then sent; PDF is built in memory and capped at
//! [`PDF_MAX_ROWS`].

pub mod csv;
pub mod fonts;
pub mod pdf;
pub mod xlsx;

use axum::body::Body;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use chrono::SecondsFormat;
use rollcall_store::{
    priority_name, ApiClient, CompanyRow, CustomFieldType, StoreError, TargetUser,
};
use rollcall_types::target_user::TargetUserSearchView;

use crate::conn::Streaming;
use crate::error::ApiError;
use crate::metrics::{ActiveExport, Metrics};
use crate::state::AppState;
use crate::time::millis_to_time;

/// Most rows a PDF export holds; larger exports are refused with a 400 pointing to CSV/Excel.
pub const PDF_MAX_ROWS: i64 = 5_000;
/// Batches of rows buffered between the database cursor and the file writer (batches of up to
/// `rollcall_store::EXPORT_BATCH_ROWS` rows from the server's cursor).
pub const CHANNEL_BATCHES: usize = 4;

/// The 400 of a PDF export over [`PDF_MAX_ROWS`].
pub fn pdf_too_big(rows: i64) -> ApiError {
    ApiError::bad_request(format!(
        "a PDF export holds at most {PDF_MAX_ROWS} rows and this one has {rows}; use exportType CSV or Excel for large exports, or narrow the filter"
    ))
}

/// Export file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`, UTF-8.
    Csv,
    /// `.xlsx`.
    Excel,
    /// `.pdf`.
    Pdf,
}

impl Format {
    /// Parses Keepnet's `exportType` (`Excel`, `CSV`, `PDF`, any case; `xlsx` too).
    pub fn parse(s: Option<&str>) -> Result<Format, ApiError> {
        match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("excel" | "xlsx" | "xls") => Ok(Format::Excel),
            Some("pdf") => Ok(Format::Pdf),
            Some(other) => Err(ApiError::bad_request(format!(
                "exportType '{other}' is not supported; use Excel, CSV or PDF"
            ))),
            None => Err(ApiError::bad_request(
                "exportType is required; use Excel, CSV or PDF",
            )),
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Excel => "xlsx",
            Format::Pdf => "pdf",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Excel => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }
}

/// One cell of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A UTC time in milliseconds (empty when `None`).
    Time(Option<i64>),
    /// A whole number (empty when `None`).
    Int(Option<i64>),
    /// A number that may have a fraction (custom `Number` fields).
    Number(f64),
    /// A calendar day, as UTC milliseconds of its midnight (custom `Date` fields).
    Date(i64),
    /// true/false.
    Bool(bool),
}

impl Cell {
    /// The cell as text (CSV and PDF): times in ISO 8601 UTC with milliseconds.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Time(t) => t
                .and_then(millis_to_time)
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
                .unwrap_or_default(),
            Cell::Int(n) => n.map(|n| n.to_string()).unwrap_or_default(),
            Cell::Number(n) => n.to_string(),
            Cell::Date(t) => millis_to_time(*t)
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            Cell::Bool(b) => b.to_string(),
        }
    }
}

/// Neutralises text that a spreadsheet would run as a formula: a value starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading apostrophe (OWASP's advice for CSV).
pub fn neutralise(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// Columns of the target-user export, in order.
pub const TARGET_USER_COLUMNS: &[&str] = &[
    "Email",
    "First Name",
    "Last Name",
    "Department",
    "Phone Number",
    "Priority",
    "Status",
    "Deleted",
    "Time Zone",
    "Preferred Language",
    "Manager Name",
    "Manager Email",
    "Created",
    "Updated",
    "Resource Id",
    "Target Groups",
];

/// A target user's exported values, borrowed from a store row or from a search row; [`cells`]
/// is the one place that puts them in [`TARGET_USER_COLUMNS`] order.
///
/// [`cells`]: UserValues::cells
struct UserValues<'a> {
    email: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    department: &'a str,
    phone_number: &'a str,
    priority: &'a str,
    status: &'a str,
    is_deleted: bool,
    time_zone: &'a str,
    preferred_language: &'a str,
    manager_name: String,
    manager_email: &'a str,
    created: Option<i64>,
    updated: Option<i64>,
    resource_id: &'a str,
    groups: String,
}

impl UserValues<'_> {
    fn cells(self) -> Vec<Cell> {
        let text = |s: &str| Cell::Text(s.to_owned());
        vec![
            text(self.email),
            text(self.first_name),
            text(self.last_name),
            text(self.department),
            text(self.phone_number),
            text(self.priority),
            text(self.status),
            Cell::Bool(self.is_deleted),
            text(self.time_zone),
            text(self.preferred_language),
            Cell::Text(self.manager_name),
            text(self.manager_email),
            Cell::Time(self.created),
            Cell::Time(self.updated),
            text(self.resource_id),
            Cell::Text(self.groups),
        ]
    }
}

/// A user as export cells, in [`TARGET_USER_COLUMNS`] order; `groups` are its groups' names,
/// joined.
pub fn target_user_cells(u: &TargetUser, groups: &str) -> Vec<Cell> {
    let f = &u.fields;
    UserValues {
        email: &f.email,
        first_name: &f.first_name,
        last_name: &f.last_name,
        department: &f.department,
        phone_number: &f.phone_number,
        priority: priority_name(f.priority),
        status: if f.is_active { "Active" } else { "Inactive" },
        is_deleted: u.is_deleted,
        time_zone: &f.time_zone_id,
        // The language's name, as search rows show it (and so the CLI's exports of them).
        preferred_language: rollcall_store::catalog::language_display(&f.preferred_language_id),
        manager_name: format!(
            "{} {}",
            f.manager_first_name.trim(),
            f.manager_last_name.trim()
        )
        .trim()
        .to_owned(),
        manager_email: &f.manager_email,
        created: Some(u.create_time),
        updated: Some(u.update_time),
        resource_id: &u.resource_id,
        groups: groups.to_owned(),
    }
    .cells()
}

/// A search row (`POST /api/target-users/search`, as the client library returns it) as the same
/// cells as [`target_user_cells`] makes of the stored user: for exports that are built from
/// searches, such as the CLI's `users export --all-companies`.
pub fn search_view_cells(v: &TargetUserSearchView) -> Vec<Cell> {
    fn text(s: &Option<String>) -> &str {
        s.as_deref().unwrap_or_default()
    }
    UserValues {
        email: &v.email,
        first_name: text(&v.first_name),
        last_name: text(&v.last_name),
        department: text(&v.department),
        phone_number: text(&v.phone_number),
        priority: &v.priority,
        status: &v.status,
        is_deleted: v.is_deleted,
        time_zone: text(&v.time_zone),
        preferred_language: text(&v.preferred_language),
        manager_name: text(&v.manager_full_name).to_owned(),
        manager_email: text(&v.manager_email),
        created: Some(v.create_time.timestamp_millis()),
        updated: v.update_time.map(|t| t.timestamp_millis()),
        resource_id: &v.resource_id,
        // Rows list their groups by name in any case, as the server's exports join them.
        groups: v
            .target_groups
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
    .cells()
}

/// A custom value (its text as stored) as a cell of its field's type: numbers, days, times and
/// booleans typed (Excel shows them as such), text as text; a value that does not read as its
/// type (stored before a check it would fail) stays text.
pub fn custom_cell(data_type: CustomFieldType, text: &str) -> Cell {
    let time = || rollcall_types::time::parse_date_or_time(text).map(|t| t.timestamp_millis());
    let typed = match data_type {
        CustomFieldType::String | CustomFieldType::Email => None,
        CustomFieldType::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Cell::Number),
        CustomFieldType::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Some(Cell::Bool(true)),
            "false" => Some(Cell::Bool(false)),
            _ => None,
        },
        CustomFieldType::Date => time().map(Cell::Date),
        CustomFieldType::DateTime => time().map(|t| Cell::Time(Some(t))),
    };
    typed.unwrap_or_else(|| Cell::Text(text.to_owned()))
}

/// Columns of the companies export, in order.
pub const COMPANY_COLUMNS: &[&str] = &[
    "Company Name",
    "Resource Id",
    "Reseller",
    "Industry",
    "Licence Type",
    "Users Limited",
    "Licence Limit",
    "Licence Expired",
    "Licence End Date",
    "Created",
    "Active Users",
    "Inactive Users",
    "Deleted Users",
    "Monthly Users",
    "Tags",
];

/// A company row as export cells, in [`COMPANY_COLUMNS`] order.
pub fn company_cells(c: &CompanyRow, now: i64) -> Vec<Cell> {
    vec![
        Cell::Text(c.name.clone()),
        Cell::Text(c.resource_id.clone()),
        Cell::Text(c.reseller_name.clone().unwrap_or_default()),
        Cell::Text(c.industry_name.clone().unwrap_or_default()),
        Cell::Text(c.license_type_name.clone().unwrap_or_default()),
        Cell::Bool(c.is_number_of_users_limited),
        Cell::Int(c.number_of_users),
        Cell::Bool(c.license_end_date.is_some_and(|e| e < now)),
        Cell::Time(c.license_end_date),
        Cell::Time(Some(c.create_time)),
        Cell::Int(Some(c.target_user_count)),
        Cell::Int(Some(c.inactive_target_user_count)),
        Cell::Int(Some(c.deleted_target_user_count)),
        Cell::Int(Some(c.monthly_active_user_count)),
        Cell::Text(c.tags.join(", ")),
    ]
}

/// Columns of a REST API client export (`REST API Clients.csv`).
pub const CLIENT_COLUMNS: &[&str] = &[
    "Client Name",
    "Client Id",
    "Role",
    "Status",
    "IP Restricted",
    "Allowed IP Addresses",
    "Created",
    "Resource Id",
];

/// A REST API client as export cells, in [`CLIENT_COLUMNS`] order (never its secret or hash).
pub fn client_cells(c: &ApiClient) -> Vec<Cell> {
    vec![
        Cell::Text(c.name.clone()),
        Cell::Text(c.client_id.clone()),
        Cell::Text(c.role.name().to_owned()),
        Cell::Text(
            if c.status_id == rollcall_store::STATUS_ACTIVE {
                "Active"
            } else {
                "Inactive"
            }
            .to_owned(),
        ),
        Cell::Bool(c.has_ip_restriction),
        Cell::Text(c.allowed_ips.join(", ")),
        Cell::Time(Some(c.create_time)),
        Cell::Text(c.resource_id.clone()),
    ]
}

/// Rows on their way from the cursor to a writer, in batches.
pub type Rows<T> = tokio::sync::mpsc::Receiver<Result<Vec<T>, StoreError>>;

/// Where the Excel and PDF writers take their rows from, one at a time, on a blocking thread:
/// the server's database cursor ([`Rows`]), or any other channel of rows (the CLI feeds one from
/// the search API).
pub trait RowSource {
    /// One row, before it becomes cells.
    type Row;
    /// The next row; `None` at the end. An error ends the export with that message.
    fn next_row(&mut self) -> Option<Result<Self::Row, String>>;
}

/// A channel of row batches as a [`RowSource`]. The sending side gathers rows into batches so
/// that the writer's thread is woken once per batch, not once per row.
pub struct ChannelRows<T, E> {
    rx: tokio::sync::mpsc::Receiver<Result<Vec<T>, E>>,
    batch: std::vec::IntoIter<T>,
}

impl<T, E> ChannelRows<T, E> {
    /// Reads `rx` (on a blocking thread).
    pub fn new(rx: tokio::sync::mpsc::Receiver<Result<Vec<T>, E>>) -> Self {
        Self {
            rx,
            batch: Vec::new().into_iter(),
        }
    }
}

impl<T, E: std::fmt::Display> RowSource for ChannelRows<T, E> {
    type Row = T;

    fn next_row(&mut self) -> Option<Result<T, String>> {
        loop {
            if let Some(row) = self.batch.next() {
                return Some(Ok(row));
            }
            match self.rx.blocking_recv()? {
                Ok(rows) => self.batch = rows.into_iter(),
                Err(e) => return Some(Err(e.to_string())),
            }
        }
    }
}

/// What a PDF page header says.
#[derive(Debug, Clone)]
pub struct Report {
    /// `Target Users`, `Companies`.
    pub title: String,
    /// The company the export is for.
    pub company: String,
    /// A one-line summary of the filter and order.
    pub filter_summary: String,
    /// Columns the PDF shows besides its standard ones (a company's first custom fields).
    pub pdf_columns: Vec<String>,
    /// What the PDF leaves out that the CSV and Excel files hold, said under the filter line.
    pub left_out: Option<String>,
    /// What a row is, singular and plural (`user`, `users`), for the PDF's count.
    pub noun: (&'static str, &'static str),
}

/// Options that are not in Keepnet's body (query string).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportOptions {
    /// `bom=false` leaves out the UTF-8 byte-order mark of CSV files (for scripts).
    #[serde(default)]
    pub bom: Option<bool>,
}

/// Builds the file response for `rows`, marked [`Streaming`]: a file is exempt from the
/// response minimum rate, however slowly it is read (issue #11).
#[allow(clippy::too_many_arguments)] // one call per export kind; a struct would only rename them
pub async fn respond<T, F>(
    format: Format,
    base_name: &str,
    columns: Vec<String>,
    rows: Rows<T>,
    to_cells: F,
    report: Report,
    options: &ExportOptions,
    state: &AppState,
) -> Result<Response, ApiError>
where
    T: Send + 'static,
    F: Fn(&T) -> Vec<Cell> + Send + Sync + 'static,
{
    let metrics: &Metrics = &state.metrics;
    // Counted as active until the body has been sent or dropped (client gone).
    let active = ActiveExport::start(metrics);
    let counter = metrics.export_rows.with_label_values(&[format.extension()]);
    let to_cells = move |row: &T| {
        counter.inc();
        to_cells(row)
    };
    let body = match format {
        Format::Csv => {
            let stream = csv::stream(columns, rows, to_cells, options.bom.unwrap_or(true));
            Body::from_stream(futures::StreamExt::map(stream, move |chunk| {
                let _ = &active;
                chunk
            }))
        }
        Format::Excel => {
            let file = tokio::task::spawn_blocking(move || {
                xlsx::write(&columns, ChannelRows::new(rows), to_cells)
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
            let stream = tokio_util::io::ReaderStream::with_capacity(
                tokio::fs::File::from_std(file),
                256 * 1024,
            );
            Body::from_stream(futures::StreamExt::map(stream, move |chunk| {
                let _ = &active;
                chunk
            }))
        }
        Format::Pdf => {
            let fonts = state.pdf_fonts.clone();
            let bytes = tokio::task::spawn_blocking(move || {
                pdf::write(&columns, ChannelRows::new(rows), to_cells, &report, &fonts)
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
            drop(active);
            Body::from(bytes)
        }
    };
    let file_name = format!("{base_name}.{}", format.extension());
    let disposition = format!(
        "attachment; filename=\"{file_name}\"; filename*=UTF-8''{}",
        file_name.replace(' ', "%20")
    );
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    resp.headers_mut().insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
    );
    Ok(Streaming::mark(resp))
}

/// Rows read already, as the channel a file is written from: one batch of them all.
pub fn one_batch<T>(rows: Vec<T>) -> Rows<T> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    // The channel has room for the one batch, so this cannot fail.
    let _ = tx.try_send(Ok(rows));
    rx
}

/// Describes a wire filter in one line for the PDF header.
pub fn filter_summary(
    filter: Option<&rollcall_types::Filter>,
    order_by: Option<&str>,
    ascending: bool,
) -> String {
    fn group(g: &rollcall_types::FilterGroup, out: &mut Vec<String>) {
        let mut parts: Vec<String> = Vec::new();
        for i in g.filter_items.as_deref().unwrap_or(&[]) {
            let value = match &i.value {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            };
            parts.push(format!(
                "{} {} {}",
                i.field_name.as_deref().unwrap_or("?"),
                i.operator.as_deref().unwrap_or("?"),
                value
            ));
        }
        for sub in g.filter_groups.as_deref().unwrap_or(&[]) {
            let mut inner = Vec::new();
            group(sub, &mut inner);
            if !inner.is_empty() {
                parts.push(format!("({})", inner.join(", ")));
            }
        }
        if !parts.is_empty() {
            let joiner = format!(
                " {} ",
                g.condition.as_deref().unwrap_or("AND").to_ascii_uppercase()
            );
            out.push(parts.join(&joiner));
        }
    }
    let mut parts = Vec::new();
    if let Some(f) = filter {
        if let Some(text) = f
            .search_input_text_value
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        {
            parts.push(format!("search \"{}\"", text.trim()));
        }
        for g in f.filter_groups.as_deref().unwrap_or(&[]) {
            group(g, &mut parts);
        }
    }
    let filter = if parts.is_empty() {
        "all rows".to_owned()
    } else {
        parts.join("; ")
    };
    let order = order_by
        .filter(|o| !o.trim().is_empty())
        .unwrap_or("CreateTime");
    format!(
        "Filter: {filter}. Order: {order} {}.",
        if ascending { "ascending" } else { "descending" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+2", "+44 20", "-3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(neutralise("Zoë"), "Zoë");
        assert_eq!(neutralise(""), "");
    }

    /// Custom values become cells of their field's type; what does not read as the type stays
    /// text, and text is never read as anything else.
    #[test]
    fn custom_values_are_typed_cells() {
        use CustomFieldType as T;
        assert_eq!(custom_cell(T::Number, "3.50"), Cell::Number(3.5));
        assert_eq!(custom_cell(T::Number, "-12"), Cell::Number(-12.0));
        assert_eq!(custom_cell(T::Number, "n/a"), Cell::Text("n/a".into()));
        assert_eq!(custom_cell(T::Boolean, "True"), Cell::Bool(true));
        assert_eq!(custom_cell(T::Boolean, "False"), Cell::Bool(false));
        assert_eq!(
            custom_cell(T::Date, "2024-03-01"),
            Cell::Date(1_709_251_200_000)
        );
        assert_eq!(custom_cell(T::Date, "2024-03-01").text(), "2024-03-01");
        assert_eq!(
            custom_cell(T::DateTime, "2024-03-01T13:45:00Z"),
            Cell::Time(Some(1_709_300_700_000))
        );
        assert_eq!(custom_cell(T::String, "42"), Cell::Text("42".into()));
        assert_eq!(custom_cell(T::Email, "true"), Cell::Text("true".into()));
        assert_eq!(Cell::Number(0.25).text(), "0.25");
        assert_eq!(Cell::Number(10.0).text(), "10");
    }

    #[test]
    fn export_type_any_case() {
        assert_eq!(Format::parse(Some("excel")).ok(), Some(Format::Excel));
        assert_eq!(Format::parse(Some("CSV")).ok(), Some(Format::Csv));
        assert_eq!(Format::parse(Some("Pdf")).ok(), Some(Format::Pdf));
        assert!(Format::parse(Some("docx")).is_err());
        assert!(Format::parse(None).is_err());
    }
}
