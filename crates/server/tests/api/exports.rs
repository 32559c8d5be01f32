//! Exports on both engines: `POST /api/target-users/search/export`,
//! `POST /api/companies/search/export` and `POST /api/target-users/example-file`.
//!
//! Every file is opened with a real reader (the `csv` crate, `calamine` for `.xlsx`, `lopdf` for
//! PDF) and compared, row by row and in order, with what the matching search endpoint returns
//! for the same body. Also: headers, BOM, formula neutralisation, non-ASCII text, the
//! consistent snapshot of a streamed export under concurrent updates, early client
//! disconnects, the PDF row cap and error envelopes.

use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::tu::{self, create_user, scope, SCOPE};
use crate::common::{Engine, TestServer};
use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use futures::StreamExt;
use reqwest::StatusCode;
use rollcall_store::{TargetUserFields, WriteOutcome};
use serde_json::{json, Value};

const TU_EXPORT: &str = "/api/target-users/search/export";
const TU_SEARCH: &str = "/api/target-users/search";
const CO_EXPORT: &str = "/api/companies/search/export";
const CO_SEARCH: &str = "/api/companies/search";
const EXAMPLE: &str = "/api/target-users/example-file";

/// The documented target-user columns (docs/api.md, Exports).
const TU_COLUMNS: [&str; 16] = [
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

/// The documented company columns (docs/api.md, Exports).
const CO_COLUMNS: [&str; 15] = [
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

/// The documented import-template columns.
const TEMPLATE_COLUMNS: [&str; 10] = [
    "First Name",
    "Last Name",
    "Email Address",
    "Phone Number",
    "Department",
    "Time Zone",
    "Priority",
    "Manager First Name",
    "Manager Last Name",
    "Manager Email",
];

const COMPANY_NAME: &str = "Acme Export Co";

// ---------------------------------------------------------------------------------------------
// Downloads
// ---------------------------------------------------------------------------------------------

/// Export file formats, as the tests expect them on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Csv,
    Excel,
    Pdf,
}

impl Kind {
    fn ext(self) -> &'static str {
        match self {
            Kind::Csv => "csv",
            Kind::Excel => "xlsx",
            Kind::Pdf => "pdf",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Kind::Csv => "text/csv; charset=utf-8",
            Kind::Excel => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Pdf => "application/pdf",
        }
    }

    /// Keepnet's canonical `exportType`.
    fn export_type(self) -> &'static str {
        match self {
            Kind::Csv => "CSV",
            Kind::Excel => "Excel",
            Kind::Pdf => "PDF",
        }
    }
}

/// A whole HTTP reply: status, the two file headers and the raw body.
struct Download {
    status: StatusCode,
    content_type: Option<String>,
    disposition: Option<String>,
    bytes: Vec<u8>,
}

impl Download {
    fn preview(&self) -> String {
        let end = self.bytes.len().min(400);
        String::from_utf8_lossy(&self.bytes[..end]).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "expected a JSON envelope ({e}); HTTP {} {:?}: {}",
                self.status,
                self.content_type,
                self.preview()
            )
        })
    }
}

/// POSTs `body` to `path` (optionally with a token and a company scope) and reads the whole reply.
async fn download(
    srv: &TestServer,
    token: Option<&str>,
    path: &str,
    company: Option<&str>,
    body: &Value,
) -> Download {
    let headers: Vec<(&str, &str)> = company.map(|c| vec![(SCOPE, c)]).unwrap_or_default();
    download_with(srv, token, path, &headers, body).await
}

/// [`download`] with any extra headers.
async fn download_with(
    srv: &TestServer,
    token: Option<&str>,
    path: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Download {
    let mut req = srv.http.post(srv.url(path)).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = tokio::time::timeout(Duration::from_secs(300), req.send())
        .await
        .unwrap_or_else(|_| panic!("{path}: no reply within 300 s"))
        .expect("request");
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().expect("header is ASCII").to_owned())
    };
    let status = resp.status();
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let disposition = header(reqwest::header::CONTENT_DISPOSITION);
    let bytes = tokio::time::timeout(Duration::from_secs(300), resp.bytes())
        .await
        .unwrap_or_else(|_| panic!("{path}: body not complete within 300 s"))
        .expect("body")
        .to_vec();
    Download {
        status,
        content_type,
        disposition,
        bytes,
    }
}

/// `POST /api/target-users/search/export` scoped to `company`.
async fn tu_export(srv: &TestServer, token: &str, company: &str, body: &Value) -> Download {
    download(srv, Some(token), TU_EXPORT, Some(company), body).await
}

/// Asserts a successful file download of `kind` named `base.ext`.
#[track_caller]
fn assert_file(d: &Download, kind: Kind, base: &str, what: &str) {
    assert_eq!(
        d.status,
        StatusCode::OK,
        "{what}: expected a file, got {}",
        d.preview()
    );
    assert_eq!(
        d.content_type.as_deref(),
        Some(kind.content_type()),
        "{what}: Content-Type"
    );
    let disposition = d
        .disposition
        .as_deref()
        .unwrap_or_else(|| panic!("{what}: no Content-Disposition"));
    let name = format!("filename=\"{base}.{}\"", kind.ext());
    assert!(
        disposition.contains(&name),
        "{what}: Content-Disposition {disposition:?} should contain {name}"
    );
    assert!(
        disposition.starts_with("attachment"),
        "{what}: Content-Disposition {disposition:?} should be an attachment"
    );
}

/// Asserts that an export failed with the JSON envelope (not a broken file); returns the body.
#[track_caller]
fn assert_json_error(d: &Download, want: StatusCode, want_status: &str, what: &str) -> Value {
    assert_eq!(d.status, want, "{what}: {}", d.preview());
    let ct = d.content_type.as_deref().unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "{what}: an error is JSON, got Content-Type {ct:?}: {}",
        d.preview()
    );
    assert!(
        d.disposition.is_none(),
        "{what}: an error is not a download: {:?}",
        d.disposition
    );
    let body = d.json();
    crate::common::assert_error(d.status, &body, want, want_status);
    body
}

// ---------------------------------------------------------------------------------------------
// File readers
// ---------------------------------------------------------------------------------------------

/// A parsed CSV file.
struct CsvFile {
    bom: bool,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn parse_csv(bytes: &[u8]) -> CsvFile {
    let bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let body = if bom { &bytes[3..] } else { bytes };
    std::str::from_utf8(body).expect("the CSV file is UTF-8");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    let mut records = reader.records().map(|r| {
        r.expect("a well-formed CSV record with as many fields as the header")
            .iter()
            .map(str::to_owned)
            .collect::<Vec<String>>()
    });
    let header = records.next().expect("the CSV file has a header row");
    let rows = records.collect();
    CsvFile { bom, header, rows }
}

/// One worksheet: its name and its cells from A1.
struct Sheet {
    name: String,
    rows: Vec<Vec<Data>>,
}

fn parse_xlsx(bytes: &[u8]) -> Vec<Sheet> {
    let mut workbook =
        Xlsx::new(Cursor::new(bytes.to_vec())).expect("the .xlsx file opens in calamine");
    let names = workbook.sheet_names();
    assert!(!names.is_empty(), "the workbook has a sheet");
    names
        .into_iter()
        .map(|name| {
            let range = workbook
                .worksheet_range(&name)
                .unwrap_or_else(|e| panic!("sheet {name} reads: {e}"));
            assert_eq!(range.start(), Some((0, 0)), "sheet {name} starts at A1");
            Sheet {
                rows: range.rows().map(<[Data]>::to_vec).collect(),
                name,
            }
        })
        .collect()
}

/// Checks the header row of every sheet and returns the data rows of all sheets in order.
#[track_caller]
fn xlsx_rows(bytes: &[u8], header: &[&str], what: &str) -> Vec<Vec<Data>> {
    let mut out = Vec::new();
    for sheet in parse_xlsx(bytes) {
        let first = sheet
            .rows
            .first()
            .unwrap_or_else(|| panic!("{what}: sheet {} is empty", sheet.name));
        let want: Vec<Data> = header.iter().map(|h| Data::String((*h).into())).collect();
        assert_eq!(first, &want, "{what}: header row of sheet {}", sheet.name);
        for row in &sheet.rows[1..] {
            assert_eq!(
                row.len(),
                header.len(),
                "{what}: row width in sheet {}",
                sheet.name
            );
        }
        out.extend(sheet.rows.into_iter().skip(1));
    }
    out
}

/// A parsed PDF: page count and the text of each page (when extracted).
struct PdfFile {
    pages: usize,
    texts: Vec<String>,
}

/// Loads a PDF from memory; extracts the text of the pages `which` selects (1-based).
/// How a target-user PDF counts `n` rows: "1 target user.", "7 target users.".
fn users_said(n: usize) -> String {
    format!("{n} target user{}.", if n == 1 { "" } else { "s" })
}

fn parse_pdf(bytes: &[u8], which: impl Fn(usize, usize) -> bool) -> PdfFile {
    assert!(bytes.starts_with(b"%PDF-"), "a PDF starts with %PDF-");
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF loads in lopdf");
    let numbers: Vec<u32> = doc.get_pages().keys().copied().collect();
    let pages = numbers.len();
    let texts = numbers
        .iter()
        .map(|&n| {
            if which(n as usize, pages) {
                doc.extract_text(&[n])
                    .unwrap_or_else(|e| panic!("text of PDF page {n}: {e}"))
            } else {
                String::new()
            }
        })
        .collect();
    PdfFile { pages, texts }
}

fn all_pages(_: usize, _: usize) -> bool {
    true
}

fn first_and_last(n: usize, pages: usize) -> bool {
    n == 1 || n == pages
}

/// Asserts that every needle occurs in `text`, in this order (each after the previous one).
#[track_caller]
fn assert_in_order(text: &str, needles: &[String], what: &str) {
    let mut at = 0;
    for (i, n) in needles.iter().enumerate() {
        match text[at..].find(n.as_str()) {
            Some(p) => at += p + n.len(),
            None => panic!(
                "{what}: row {i} ({n:?}) not found after position {at} (found anywhere: {}); text: {text:?}",
                text.contains(n.as_str())
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Expected cells
// ---------------------------------------------------------------------------------------------

/// The documented neutralisation rule, written independently of the server.
fn neutral(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

fn text_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// An RFC 3339 time of a JSON reply in UTC milliseconds (`None` when null).
fn time_ms(v: &Value) -> Option<i64> {
    v.as_str().map(|s| {
        DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("bad time {s}: {e}"))
            .timestamp_millis()
    })
}

fn iso_ms(ms: Option<i64>) -> String {
    ms.map(|ms| {
        Utc.timestamp_millis_opt(ms)
            .single()
            .expect("valid time")
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    })
    .unwrap_or_default()
}

/// A cell as the tests expect it, before it is encoded for a format.
#[derive(Debug, Clone, PartialEq)]
enum Want {
    Text(String),
    Bool(bool),
    Int(Option<i64>),
    Time(Option<i64>),
}

impl Want {
    fn csv(&self) -> String {
        match self {
            Want::Text(s) => neutral(s),
            Want::Bool(b) => b.to_string(),
            Want::Int(n) => n.map(|n| n.to_string()).unwrap_or_default(),
            Want::Time(t) => iso_ms(*t),
        }
    }

    /// Whether an Excel cell holds this value with the right type.
    fn matches_xlsx(&self, d: &Data) -> bool {
        match (self, d) {
            (Want::Text(s), Data::Empty) => s.is_empty(),
            (Want::Text(s), Data::String(got)) => got == s,
            (Want::Bool(b), Data::Bool(got)) => b == got,
            (Want::Int(None) | Want::Time(None), Data::Empty) => true,
            (Want::Int(Some(n)), Data::Float(f)) => *f == *n as f64,
            (Want::Int(Some(n)), Data::Int(i)) => i == n,
            // Excel cells are written to the second.
            (Want::Time(Some(ms)), Data::DateTime(dt)) => {
                dt.is_datetime() && excel_ms(dt) == ms.div_euclid(1000) * 1000
            }
            _ => false,
        }
    }
}

/// UTC milliseconds of an Excel serial date (1900 system).
fn excel_ms(dt: &calamine::ExcelDateTime) -> i64 {
    ((dt.as_f64() - 25_569.0) * 86_400_000.0).round() as i64
}

/// The cells a target-user search row should export as, in column order.
fn tu_want(r: &Value) -> Vec<Want> {
    let t = |k: &str| Want::Text(text_of(&r[k]));
    vec![
        t("email"),
        t("firstName"),
        t("lastName"),
        t("department"),
        t("phoneNumber"),
        t("priority"),
        t("status"),
        Want::Bool(r["isDeleted"].as_bool().expect("isDeleted")),
        t("timeZone"),
        t("preferredLanguage"),
        t("managerFullName"),
        t("managerEmail"),
        Want::Time(time_ms(&r["createTime"])),
        Want::Time(time_ms(&r["updateTime"])),
        t("resourceId"),
        Want::Text(
            r["targetGroups"]
                .as_array()
                .expect("targetGroups")
                .iter()
                .map(|g| g["name"].as_str().expect("name"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ]
}

/// The cells a companies search row should export as, in column order.
fn co_want(r: &Value) -> Vec<Want> {
    let t = |k: &str| Want::Text(text_of(&r[k]));
    let int = |k: &str| {
        Want::Int(match &r[k] {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => Some(s.parse().unwrap_or_else(|e| panic!("{k} {s}: {e}"))),
            _ => None,
        })
    };
    let tags = r["tags"]
        .as_array()
        .map(|a| a.iter().map(text_of).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    vec![
        t("companyName"),
        t("companyResourceId"),
        t("resellerName"),
        t("industryName"),
        t("licenseTypeName"),
        Want::Bool(r["isNumberOfUsersLimited"].as_bool().expect("limited")),
        int("numberOfUsers"),
        Want::Bool(r["licenceExpired"].as_bool().expect("licenceExpired")),
        Want::Time(time_ms(&r["licenseEndDate"])),
        Want::Time(time_ms(&r["createTime"])),
        int("targetUserCount"),
        int("inactiveTargetUserCount"),
        int("deletedTargetUserCount"),
        int("monthlyActiveUserCount"),
        Want::Text(tags),
    ]
}

/// Asserts that CSV rows equal the expected rows, naming the first difference.
#[track_caller]
fn assert_csv_rows(got: &[Vec<String>], want: &[Vec<Want>], what: &str) {
    let want: Vec<Vec<String>> = want
        .iter()
        .map(|r| r.iter().map(Want::csv).collect())
        .collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "{what}: CSV row {i} differs from search row {i}");
    }
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: CSV rows vs search rows (extra or missing rows at the end)"
    );
}

/// Asserts that Excel rows hold the expected values with the expected cell types.
#[track_caller]
fn assert_xlsx_rows(got: &[Vec<Data>], want: &[Vec<Want>], what: &str) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        for (c, (gc, wc)) in g.iter().zip(w).enumerate() {
            assert!(
                wc.matches_xlsx(gc),
                "{what}: Excel row {i}, column {c}: expected {wc:?}, got {gc:?}"
            );
        }
    }
    assert_eq!(got.len(), want.len(), "{what}: Excel rows vs search rows");
}

// ---------------------------------------------------------------------------------------------
// Searches and data
// ---------------------------------------------------------------------------------------------

/// A search body without the export-only fields.
fn search_body(body: &Value) -> Value {
    let mut b = body.clone();
    if let Some(o) = b.as_object_mut() {
        o.remove("exportType");
        o.remove("reportAllPages");
    }
    b
}

/// `body` with `exportType` (and `reportAllPages` unless it has one).
fn with_type(body: &Value, export_type: &str) -> Value {
    let mut b = body.clone();
    b["exportType"] = json!(export_type);
    if b.get("reportAllPages").is_none() {
        b["reportAllPages"] = json!(true);
    }
    b
}

/// One page of a search exactly as `body` asks (paging included); returns `data`.
async fn search_page(
    srv: &TestServer,
    token: &str,
    path: &str,
    company: Option<&str>,
    body: &Value,
) -> Value {
    let headers: Vec<(&str, &str)> = company.map(|c| vec![(SCOPE, c)]).unwrap_or_default();
    let (status, resp) = srv.post(path, token, search_body(body), &headers).await;
    assert_eq!(status, StatusCode::OK, "search {body}: {resp}");
    resp["data"].clone()
}

/// Every row a search selects, fetched page by page with `page_size`, in the server's order.
async fn search_every(
    srv: &TestServer,
    token: &str,
    path: &str,
    company: Option<&str>,
    body: &Value,
    page_size: i64,
) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut page = 1;
    loop {
        let mut b = body.clone();
        b["pageNumber"] = json!(page);
        b["pageSize"] = json!(page_size);
        let data = search_page(srv, token, path, company, &b).await;
        let rows = data["results"].as_array().expect("results").clone();
        let total = data["totalNumberOfRecords"].as_i64().expect("total") as usize;
        let last = rows.len() < page_size as usize;
        out.extend(rows);
        if last || out.len() >= total {
            assert_eq!(out.len(), total, "rows over all pages vs total for {body}");
            return out;
        }
        page += 1;
    }
}

/// Every target user a body selects: fetched with pageSize 1000 and again with small pages,
/// which must agree.
async fn tu_search_all(srv: &TestServer, token: &str, company: &str, body: &Value) -> Vec<Value> {
    let big = search_every(srv, token, TU_SEARCH, Some(company), body, 1000).await;
    let small = search_every(srv, token, TU_SEARCH, Some(company), body, 9).await;
    assert_eq!(
        ids(&big, "resourceId"),
        ids(&small, "resourceId"),
        "search pages of 9 agree with one page of 1000 for {body}"
    );
    big
}

fn ids(rows: &[Value], key: &str) -> Vec<String> {
    rows.iter().map(|r| text_of(&r[key])).collect()
}

fn filter(items: Value) -> Value {
    json!({"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
        {"Condition": "AND", "FilterItems": items, "FilterGroups": []}
    ]})
}

fn item(field: &str, op: &str, value: Value) -> Value {
    json!({"FieldName": field, "Operator": op, "Value": value})
}

/// A server, the root Reseller's token and an unlimited customer company.
async fn setup(engine: Engine) -> Option<(TestServer, String, String)> {
    let srv = TestServer::start(engine).await?;
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({ "Name": COMPANY_NAME }))
        .await;
    Some((srv, token, company))
}

/// [`setup`] plus the shared target-user data set (back-dated, deleted and non-ASCII users).
async fn setup_dataset(engine: Engine) -> Option<(TestServer, String, String)> {
    let (srv, token, company) = setup(engine).await?;
    let mut users = tu::dataset();
    tu::seed(&srv, &token, &company, &mut users).await;
    Some((srv, token, company))
}

/// Inserts `n` users through the store (4 at a time); `make(i)` gives the fields and creation
/// time of user `i`. Returns the resource ids by `i`.
async fn bulk_insert(
    srv: &TestServer,
    company: &str,
    n: usize,
    make: impl Fn(usize) -> (TargetUserFields, i64),
) -> Vec<String> {
    let store = tu::open_store(srv).await;
    let cid = tu::company_internal_id(&store, company).await;
    let store = &store;
    let make = &make;
    let mut rows: Vec<(usize, String)> = futures::stream::iter(0..n)
        .map(|i| async move {
            let (fields, created) = make(i);
            let user = store
                .insert_target_user(
                    cid,
                    &fields,
                    created,
                    &rollcall_store::UserLinks::default(),
                    &rollcall_store::Actor::system(),
                )
                .await
                .unwrap_or_else(|e| panic!("insert user {i}: {e}"));
            (i, user.resource_id)
        })
        .buffer_unordered(4)
        .collect()
        .await;
    rows.sort();
    rows.into_iter().map(|(_, rid)| rid).collect()
}

/// 2026-01-01T00:00:00Z plus `i` seconds.
fn nth_second(i: usize) -> i64 {
    1_767_225_600_000 + i as i64 * 1000
}

/// A wide user (about 1.9 KB per CSV row, every field within the API's length limits) for the
/// streaming tests; `new` chooses the pair of fields the concurrent update changes together.
fn wide_user(i: usize, new: bool) -> TargetUserFields {
    let (department, last) = if new { ("B", "Bravo") } else { ("A", "Alpha") };
    TargetUserFields {
        email: format!("wide{i:05}.{}@stream.example.com", "e".repeat(200)),
        first_name: format!("First{i:05}{}", "f".repeat(250)),
        last_name: format!("{last}{}", "l".repeat(250)),
        department: department.into(),
        phone_number: format!("90555{i:07}"),
        priority: 3,
        is_active: true,
        time_zone_id: "America/Argentina/ComodRivadavia".into(),
        preferred_language_id: "tr".into(),
        manager_first_name: "m".repeat(256),
        manager_last_name: "n".repeat(256),
        manager_email: format!("{}@stream.example.com", "b".repeat(280)),
    }
}

/// The (department, last name) pair of a wide user.
fn wide_pair(new: bool) -> (String, String) {
    let f = wide_user(0, new);
    (f.department, f.last_name)
}

/// A small user for the row-count tests.
fn lean_user(i: usize) -> TargetUserFields {
    TargetUserFields {
        email: format!("cap{i:05}@cap.io"),
        first_name: format!("Cap{i}"),
        last_name: "Row".into(),
        department: "Bulk".into(),
        priority: 3,
        is_active: true,
        ..Default::default()
    }
}

/// Bodies with filters, orders and both directions, exporting every page.
fn tu_bodies() -> Vec<(&'static str, Value)> {
    vec![
        (
            "no filter, default order",
            json!({"pageNumber": 1, "pageSize": 10, "reportAllPages": true}),
        ),
        (
            "the UI's default body",
            json!({"pageNumber": 1, "pageSize": 10, "orderBy": "CreateTime", "ascending": false,
                   "reportAllPages": true,
                   "filter": {"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
                       {"Condition": "AND", "FilterItems": [], "FilterGroups": []},
                       {"Condition": "OR", "FilterItems": [], "FilterGroups": []}]}}),
        ),
        (
            "department contains 'e', by first name ascending",
            json!({"pageNumber": 1, "pageSize": 5, "orderBy": "FirstName", "ascending": true,
                   "reportAllPages": true,
                   "filter": filter(json!([item("Department", "Contains", json!("e"))]))}),
        ),
        (
            "department contains 'e', by first name descending",
            json!({"pageNumber": 1, "pageSize": 5, "orderBy": "FirstName", "ascending": false,
                   "reportAllPages": true,
                   "filter": filter(json!([item("Department", "Contains", json!("e"))]))}),
        ),
        (
            // Three characters or more: SQLite answers from the FTS5 trigram index.
            "email contains 'corp' (trigram index), by email descending",
            json!({"pageNumber": 1, "pageSize": 3, "orderBy": "Email", "ascending": false,
                   "reportAllPages": true,
                   "filter": filter(json!([item("Email", "Contains", json!("CORP"))]))}),
        ),
        (
            // A literal '_' and '%' (no LIKE wildcards) and a resource-id-free text search.
            "first name contains '_sm' or department contains '0% r'",
            json!({"pageNumber": 1, "pageSize": 10, "orderBy": "FirstName", "ascending": true,
                   "reportAllPages": true,
                   "filter": {"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
                       {"Condition": "OR", "FilterItems": [
                           item("FirstName", "Contains", json!("_sm")),
                           item("Department", "Contains", json!("0% r"))], "FilterGroups": []}]}}),
        ),
        (
            "live users, by email ascending",
            json!({"pageNumber": 3, "pageSize": 4, "orderBy": "email", "ascending": true,
                   "reportAllPages": true,
                   "filter": filter(json!([item("IsDeleted", "=", json!(false))]))}),
        ),
        (
            "active or high priority, by last name descending, with search text",
            json!({"pageNumber": 1, "pageSize": 10, "orderBy": "LastName", "ascending": false,
                   "reportAllPages": true,
                   "filter": {"Condition": "AND", "SearchInputTextValue": "o", "FilterGroups": [
                       {"Condition": "OR", "FilterItems": [
                           item("Status", "Include", json!("1")),
                           item("Priority", ">=", json!("High"))], "FilterGroups": []}]}}),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Target users: rows and order
// ---------------------------------------------------------------------------------------------

async fn csv_rows_match_search(engine: Engine) {
    let Some((srv, token, company)) = setup_dataset(engine).await else {
        return;
    };
    let spellings = ["CSV", "csv", "Csv"];
    for (n, (what, body)) in tu_bodies().into_iter().enumerate() {
        let want_rows = tu_search_all(&srv, &token, &company, &body).await;
        assert!(!want_rows.is_empty(), "{what}: the data set matches rows");
        let d = tu_export(&srv, &token, &company, &with_type(&body, spellings[n % 3])).await;
        assert_file(&d, Kind::Csv, "Target Users", what);
        let file = parse_csv(&d.bytes);
        assert!(file.bom, "{what}: the CSV starts with a UTF-8 BOM");
        assert_eq!(file.header, TU_COLUMNS, "{what}: CSV header");
        let got_ids: Vec<String> = file.rows.iter().map(|r| r[14].clone()).collect();
        assert_eq!(
            got_ids,
            ids(&want_rows, "resourceId"),
            "{what}: resource ids in search order"
        );
        let got_emails: Vec<String> = file.rows.iter().map(|r| r[0].clone()).collect();
        let want_emails: Vec<String> = want_rows
            .iter()
            .map(|r| neutral(&text_of(&r["email"])))
            .collect();
        assert_eq!(got_emails, want_emails, "{what}: emails in search order");
        let want: Vec<Vec<Want>> = want_rows.iter().map(tu_want).collect();
        assert_csv_rows(&file.rows, &want, what);
    }
}

async fn excel_rows_match_search(engine: Engine) {
    let Some((srv, token, company)) = setup_dataset(engine).await else {
        return;
    };
    let spellings = ["Excel", "excel", "XLSX"];
    for (n, (what, body)) in tu_bodies().into_iter().enumerate() {
        let want_rows = tu_search_all(&srv, &token, &company, &body).await;
        let d = tu_export(&srv, &token, &company, &with_type(&body, spellings[n % 3])).await;
        assert_file(&d, Kind::Excel, "Target Users", what);
        let rows = xlsx_rows(&d.bytes, &TU_COLUMNS, what);
        let got_ids: Vec<Data> = rows.iter().map(|r| r[14].clone()).collect();
        let want_ids: Vec<Data> = want_rows
            .iter()
            .map(|r| Data::String(text_of(&r["resourceId"])))
            .collect();
        assert_eq!(got_ids, want_ids, "{what}: resource ids in search order");
        let got_emails: Vec<Data> = rows.iter().map(|r| r[0].clone()).collect();
        let want_emails: Vec<Data> = want_rows
            .iter()
            .map(|r| Data::String(text_of(&r["email"])))
            .collect();
        assert_eq!(got_emails, want_emails, "{what}: emails in search order");
        for (i, r) in rows.iter().enumerate() {
            assert!(
                matches!(r[7], Data::Bool(_)),
                "{what}: row {i}: Deleted is a boolean cell, got {:?}",
                r[7]
            );
            for c in [12, 13] {
                assert!(
                    matches!(&r[c], Data::DateTime(dt) if dt.is_datetime()),
                    "{what}: row {i}: {} is a date/time cell, got {:?}",
                    TU_COLUMNS[c],
                    r[c]
                );
            }
        }
        let want: Vec<Vec<Want>> = want_rows.iter().map(tu_want).collect();
        assert_xlsx_rows(&rows, &want, what);
    }
}

async fn pdf_rows_match_search(engine: Engine) {
    let Some((srv, token, company)) = setup_dataset(engine).await else {
        return;
    };
    let spellings = ["PDF", "pdf", "Pdf"];
    for (n, (what, body)) in tu_bodies().into_iter().enumerate() {
        let want_rows = tu_search_all(&srv, &token, &company, &body).await;
        let d = tu_export(&srv, &token, &company, &with_type(&body, spellings[n % 3])).await;
        assert_file(&d, Kind::Pdf, "Target Users", what);
        // Dated when it was made, not printpdf's default of 1970-01-01.
        let created = format!("(D:{}", chrono::Utc::now().format("%Y%m"));
        assert!(
            String::from_utf8_lossy(&d.bytes)
                .split("/CreationDate")
                .nth(1)
                .is_some_and(|rest| rest.trim_start().starts_with(&created)),
            "{what}: the PDF's creation date is this month"
        );
        let pdf = parse_pdf(&d.bytes, all_pages);
        assert!(pdf.pages >= 1, "{what}: a PDF has pages");
        let first = &pdf.texts[0];
        assert!(
            first.contains(COMPANY_NAME),
            "{what}: page 1 names the company: {first:?}"
        );
        assert!(
            first.contains(&format!("Page 1 of {}", pdf.pages)),
            "{what}: page 1 says 'Page 1 of {}': {first:?}",
            pdf.pages
        );
        assert!(
            first.contains(&users_said(want_rows.len())),
            "{what}: page 1 gives the row count {}: {first:?}",
            want_rows.len()
        );
        // Every row in order (the data set has non-ASCII emails such as ærø@corp.dk).
        let emails: Vec<String> = want_rows.iter().map(|r| text_of(&r["email"])).collect();
        assert_in_order(&pdf.texts.concat(), &emails, what);
    }
}

async fn report_all_pages_chooses_page_or_everything(engine: Engine) {
    let Some((srv, token, company)) = setup_dataset(engine).await else {
        return;
    };
    let page2 = json!({"pageNumber": 2, "pageSize": 7, "orderBy": "Email", "ascending": true,
                       "reportAllPages": false, "filter": filter(json!([]))});
    let want_page = search_page(&srv, &token, TU_SEARCH, Some(&company), &page2).await;
    let want_page = want_page["results"].as_array().expect("results").clone();
    assert_eq!(want_page.len(), 7, "the data set has a full page 2 of 7");
    let mut everything = page2.clone();
    everything["reportAllPages"] = json!(true);
    let want_all = tu_search_all(&srv, &token, &company, &everything).await;
    assert!(want_all.len() > 14, "the data set has more than two pages");

    for (what, body, want) in [
        ("reportAllPages false", &page2, &want_page),
        ("reportAllPages true", &everything, &want_all),
    ] {
        let want_ids = ids(want, "resourceId");
        let want_cells: Vec<Vec<Want>> = want.iter().map(tu_want).collect();

        let d = tu_export(&srv, &token, &company, &with_type(body, "CSV")).await;
        assert_file(&d, Kind::Csv, "Target Users", what);
        let file = parse_csv(&d.bytes);
        assert_csv_rows(&file.rows, &want_cells, &format!("{what}, CSV"));

        let d = tu_export(&srv, &token, &company, &with_type(body, "Excel")).await;
        assert_file(&d, Kind::Excel, "Target Users", what);
        let rows = xlsx_rows(&d.bytes, &TU_COLUMNS, what);
        let got: Vec<String> = rows
            .iter()
            .map(|r| match &r[14] {
                Data::String(s) => s.clone(),
                other => panic!("{what}: resource id cell {other:?}"),
            })
            .collect();
        assert_eq!(got, want_ids, "{what}, Excel: rows and order");
        assert_xlsx_rows(&rows, &want_cells, &format!("{what}, Excel"));

        let d = tu_export(&srv, &token, &company, &with_type(body, "PDF")).await;
        assert_file(&d, Kind::Pdf, "Target Users", what);
        let pdf = parse_pdf(&d.bytes, all_pages);
        let text = pdf.texts.concat();
        assert!(
            text.contains(&users_said(want.len())),
            "{what}, PDF: says {} target users: {:?}",
            want.len(),
            pdf.texts[0]
        );
        let emails: Vec<String> = want.iter().map(|r| text_of(&r["email"])).collect();
        assert_in_order(&text, &emails, &format!("{what}, PDF"));
    }

    // The page's rows only: users of other pages are not in the page export.
    let d = tu_export(&srv, &token, &company, &with_type(&page2, "CSV")).await;
    let file = parse_csv(&d.bytes);
    assert_eq!(file.rows.len(), 7, "page 2 of 7 exports exactly 7 rows");

    // A page past the end: a header and no rows.
    let mut past = page2.clone();
    past["pageNumber"] = json!(1000);
    let d = tu_export(&srv, &token, &company, &with_type(&past, "CSV")).await;
    assert_file(&d, Kind::Csv, "Target Users", "page past the end");
    let file = parse_csv(&d.bytes);
    assert_eq!(file.header, TU_COLUMNS, "page past the end: header");
    assert!(file.rows.is_empty(), "page past the end: no rows");
}

// ---------------------------------------------------------------------------------------------
// CSV details, formulas, non-ASCII text
// ---------------------------------------------------------------------------------------------

async fn csv_bom_default_and_opt_out(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    create_user(
        &srv,
        &token,
        &company,
        json!({"email": "zoe@bom.io", "firstName": "Zoë", "lastName": "Ærøskøbing-Çağlar"}),
    )
    .await;
    let body =
        json!({"exportType": "CSV", "reportAllPages": true, "pageNumber": 1, "pageSize": 10});

    let d = tu_export(&srv, &token, &company, &body).await;
    assert_file(&d, Kind::Csv, "Target Users", "default");
    assert!(
        d.bytes.starts_with("\u{feff}Email,".as_bytes()),
        "the CSV starts with the UTF-8 BOM and then the header: {}",
        d.preview()
    );

    for (query, bom) in [("?bom=false", false), ("?bom=true", true)] {
        let path = format!("{TU_EXPORT}{query}");
        let d = download(&srv, Some(&token), &path, Some(&company), &body).await;
        assert_file(&d, Kind::Csv, "Target Users", query);
        if bom {
            assert!(d.bytes.starts_with(b"\xEF\xBB\xBFEmail,"), "{query}");
        } else {
            assert!(
                d.bytes.starts_with(b"Email,"),
                "{query}: no BOM, the header first: {}",
                d.preview()
            );
        }
        let file = parse_csv(&d.bytes);
        assert_eq!(file.header, TU_COLUMNS, "{query}");
        assert_eq!(file.rows.len(), 1, "{query}");
        assert_eq!(file.rows[0][1], "Zoë", "{query}");
        assert_eq!(file.rows[0][2], "Ærøskøbing-Çağlar", "{query}");
    }

    // Companies and the import template follow the same rule.
    let d = download(&srv, Some(&token), CO_EXPORT, None, &body).await;
    assert_file(&d, Kind::Csv, "Companies", "companies");
    assert!(
        d.bytes.starts_with(b"\xEF\xBB\xBFCompany Name,"),
        "companies: {}",
        d.preview()
    );
    let path = format!("{CO_EXPORT}?bom=false");
    let d = download(&srv, Some(&token), &path, None, &body).await;
    assert!(
        d.bytes.starts_with(b"Company Name,"),
        "companies ?bom=false: {}",
        d.preview()
    );
    let d = download(
        &srv,
        Some(&token),
        EXAMPLE,
        None,
        &json!({"exportType": "CSV"}),
    )
    .await;
    assert!(
        d.bytes.starts_with(b"\xEF\xBB\xBFFirst Name,"),
        "template: {}",
        d.preview()
    );
}

/// Users whose text cells begin with a formula character, and plain ones around them.
fn formula_users() -> Vec<Value> {
    vec![
        json!({"email": "eq@formula.io", "firstName": "=1+2", "lastName": "Plain",
               "department": "+Sales", "phoneNumber": "-5551234"}),
        json!({"email": "plus@formula.io", "firstName": "+Ann", "lastName": "Plain",
               "department": "-Ops", "phoneNumber": "@555"}),
        json!({"email": "minus@formula.io", "firstName": "-Bob", "lastName": "Plain",
               "department": "@Team", "phoneNumber": "=5551234"}),
        json!({"email": "at@formula.io", "firstName": "@SUM(A1:A9)", "lastName": "Plain",
               "department": "=HYPERLINK(\"http://evil.example\",\"x\")", "phoneNumber": "+442071234567"}),
        json!({"email": "cmd@formula.io", "firstName": "=cmd|' /C calc'!A0", "lastName": "Plain",
               "department": "=1+2", "phoneNumber": "+905551110001",
               "managerFirstName": "=Boss", "managerLastName": "Man"}),
        json!({"email": "+alias@formula.io", "firstName": "Alias", "lastName": "-dash",
               "department": "Sales", "phoneNumber": "5550100"}),
        json!({"email": "normal@formula.io", "firstName": "Normal", "lastName": "O'Brien",
               "department": "Sales = Marketing", "phoneNumber": "555-0100",
               "managerFirstName": "Ann", "managerLastName": "Lee", "managerEmail": "ann@formula.io"}),
        json!({"email": "multi@formula.io", "firstName": "Multi\nLine", "lastName": "Plain",
               "department": "a,b;c\t-d", "phoneNumber": "5550102"}),
        json!({"email": "quote@formula.io", "firstName": "'Quoted", "lastName": "a+b",
               "department": "R&D, \"Labs\"", "phoneNumber": "5550101"}),
    ]
}

async fn formula_cells_are_neutralised(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let specs = formula_users();
    for u in &specs {
        create_user(&srv, &token, &company, u.clone()).await;
    }
    // Tab and carriage return cannot come through the API (text is trimmed): use the store.
    bulk_insert(&srv, &company, 1, |_| {
        (
            TargetUserFields {
                email: "tab@formula.io".into(),
                first_name: "\tTabbed".into(),
                last_name: "Plain".into(),
                department: "\rReturn".into(),
                priority: 3,
                is_active: true,
                ..Default::default()
            },
            nth_second(0),
        )
    })
    .await;
    let body = json!({"pageNumber": 1, "pageSize": 100, "orderBy": "Email", "ascending": true,
                      "reportAllPages": true});
    let want_rows = tu_search_all(&srv, &token, &company, &body).await;
    assert_eq!(want_rows.len(), specs.len() + 1);

    // CSV: exactly the documented rule, cell by cell (email, names, department, phone, ...).
    let d = tu_export(&srv, &token, &company, &with_type(&body, "CSV")).await;
    assert_file(&d, Kind::Csv, "Target Users", "formulas");
    let file = parse_csv(&d.bytes);
    let want: Vec<Vec<Want>> = want_rows.iter().map(tu_want).collect();
    assert_csv_rows(&file.rows, &want, "formulas");
    let by_email = |email: &str| -> &Vec<String> {
        file.rows
            .iter()
            .find(|r| r[0] == email || r[0] == format!("'{email}"))
            .unwrap_or_else(|| panic!("{email} exported"))
    };
    let eq = by_email("eq@formula.io");
    assert_eq!(eq[1], "'=1+2");
    assert_eq!(eq[3], "'+Sales");
    assert_eq!(eq[4], "'-5551234");
    let plus = by_email("plus@formula.io");
    assert_eq!(plus[1], "'+Ann");
    assert_eq!(plus[3], "'-Ops");
    assert_eq!(plus[4], "'@555");
    let minus = by_email("minus@formula.io");
    assert_eq!(minus[1], "'-Bob");
    assert_eq!(minus[3], "'@Team");
    assert_eq!(minus[4], "'=5551234");
    let at = by_email("at@formula.io");
    assert_eq!(at[1], "'@SUM(A1:A9)");
    assert_eq!(at[3], "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(at[4], "'+442071234567");
    let cmd = by_email("cmd@formula.io");
    assert_eq!(cmd[1], "'=cmd|' /C calc'!A0");
    assert_eq!(cmd[10], "'=Boss Man", "manager name");
    let alias = by_email("+alias@formula.io");
    assert_eq!(alias[0], "'+alias@formula.io", "email");
    assert_eq!(alias[2], "'-dash", "last name");
    let normal = by_email("normal@formula.io");
    assert_eq!(normal[1], "Normal");
    assert_eq!(normal[2], "O'Brien");
    assert_eq!(normal[3], "Sales = Marketing");
    assert_eq!(normal[4], "555-0100");
    assert_eq!(normal[10], "Ann Lee");
    let quote = by_email("quote@formula.io");
    assert_eq!(quote[1], "'Quoted", "a leading apostrophe is left as it is");
    assert_eq!(quote[2], "a+b");
    assert_eq!(quote[3], "R&D, \"Labs\"");
    let multi = by_email("multi@formula.io");
    assert_eq!(multi[1], "Multi\nLine", "an inner newline survives quoting");
    assert_eq!(multi[3], "a,b;c\t-d");
    let tab = by_email("tab@formula.io");
    assert_eq!(tab[1], "'\tTabbed", "leading tab");
    assert_eq!(tab[3], "'\rReturn", "leading carriage return");
    // No cell that starts with a formula character survives un-neutralised.
    for r in &file.rows {
        for cell in r {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a CSV cell starts with a formula character: {cell:?} in {r:?}"
            );
        }
    }

    // Excel: the original text in plain string cells (no apostrophe, no formula).
    let d = tu_export(&srv, &token, &company, &with_type(&body, "Excel")).await;
    assert_file(&d, Kind::Excel, "Target Users", "formulas");
    let rows = xlsx_rows(&d.bytes, &TU_COLUMNS, "formulas");
    assert_xlsx_rows(&rows, &want, "formulas, Excel");
    let by_email = |email: &str| -> &Vec<Data> {
        rows.iter()
            .find(|r| r[0] == Data::String(email.into()))
            .unwrap_or_else(|| panic!("{email} exported"))
    };
    let s = |v: &str| Data::String(v.into());
    let eq = by_email("eq@formula.io");
    assert_eq!(eq[1], s("=1+2"));
    assert_eq!(eq[3], s("+Sales"));
    assert_eq!(eq[4], s("-5551234"));
    let at = by_email("at@formula.io");
    assert_eq!(at[1], s("@SUM(A1:A9)"));
    assert_eq!(at[3], s("=HYPERLINK(\"http://evil.example\",\"x\")"));
    assert_eq!(at[4], s("+442071234567"));
    assert_eq!(by_email("+alias@formula.io")[2], s("-dash"));
    assert_eq!(by_email("minus@formula.io")[3], s("@Team"));
    assert_eq!(by_email("normal@formula.io")[3], s("Sales = Marketing"));
    assert_eq!(by_email("tab@formula.io")[1], s("\tTabbed"));
    // The sheet holds no formula at all.
    let mut workbook = Xlsx::new(Cursor::new(d.bytes.clone())).expect("xlsx");
    for name in workbook.sheet_names() {
        let formulas = workbook
            .worksheet_formula(&name)
            .unwrap_or_else(|e| panic!("formulas of {name}: {e}"));
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "sheet {name} has formulas: {:?}",
            formulas.used_cells().collect::<Vec<_>>()
        );
    }
}

/// Non-ASCII names created through the API.
const UNICODE_USERS: [(&str, &str, &str, &str); 4] = [
    (
        "zoe.aeroskobing@intl.example",
        "Zoë",
        "Ærøskøbing-Çağlar",
        "Ünïcödé Dépt",
    ),
    ("lukasz@intl.example", "Łukasz", "Żółć-Gęślą", "Kraków"),
    ("yamada@intl.example", "山田", "太郎", "営業部"),
    ("dimitris@intl.example", "Δημήτρης", "Иванов", "Straße 🚀"),
];

async fn non_ascii_text_round_trips(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    for (email, first, last, dept) in UNICODE_USERS {
        create_user(
            &srv,
            &token,
            &company,
            json!({"email": email, "firstName": first, "lastName": last, "department": dept}),
        )
        .await;
    }
    let body = json!({"pageNumber": 1, "pageSize": 10, "orderBy": "Email", "ascending": true,
                      "reportAllPages": true});
    let want_rows = tu_search_all(&srv, &token, &company, &body).await;
    let want: Vec<Vec<Want>> = want_rows.iter().map(tu_want).collect();
    let mut sorted: Vec<_> = UNICODE_USERS.to_vec();
    sorted.sort_by_key(|u| u.0);

    let d = tu_export(&srv, &token, &company, &with_type(&body, "CSV")).await;
    assert_file(&d, Kind::Csv, "Target Users", "unicode");
    let file = parse_csv(&d.bytes);
    assert_csv_rows(&file.rows, &want, "unicode, CSV");
    for (row, (email, first, last, dept)) in file.rows.iter().zip(&sorted) {
        assert_eq!(
            [&row[0], &row[1], &row[2], &row[3]],
            [email, first, last, dept],
            "CSV round trip"
        );
    }

    let d = tu_export(&srv, &token, &company, &with_type(&body, "Excel")).await;
    assert_file(&d, Kind::Excel, "Target Users", "unicode");
    let rows = xlsx_rows(&d.bytes, &TU_COLUMNS, "unicode");
    assert_xlsx_rows(&rows, &want, "unicode, Excel");
    for (row, (email, first, last, dept)) in rows.iter().zip(&sorted) {
        let s = |v: &str| Data::String(v.into());
        assert_eq!(
            [&row[0], &row[1], &row[2], &row[3]],
            [&s(email), &s(first), &s(last), &s(dept)],
            "Excel round trip"
        );
    }
}

/// Debian's `fonts-droid-fallback` (Chinese, Japanese, Korean), which `.ci/run` installs.
const CJK_FONT: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

/// The `BaseFont` names of the fonts a PDF embeds (printpdf names them with random ids, so
/// tests count them: DejaVu Sans regular and bold, and the fallback font when it is used).
fn pdf_font_names(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("the PDF loads in lopdf");
    doc.objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"Font".as_slice()))
        .filter_map(|d| d.get(b"BaseFont").and_then(|n| n.as_name()).ok())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect()
}

/// Exports [`UNICODE_USERS`] as PDF from a company named `company_name` and checks that every
/// name prints, except (without a fallback font) those in scripts DejaVu Sans lacks. Returns the
/// PDF's font names.
async fn unicode_pdf(srv: &TestServer, company_name: &str, cjk: bool) -> Vec<String> {
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({ "Name": company_name }))
        .await;
    for (email, first, last, dept) in UNICODE_USERS {
        create_user(
            srv,
            &token,
            &company,
            json!({"email": email, "firstName": first, "lastName": last, "department": dept}),
        )
        .await;
    }
    let body = json!({"pageNumber": 1, "pageSize": 10, "orderBy": "Email", "ascending": true,
                      "reportAllPages": true, "exportType": "PDF"});
    let mut sorted: Vec<_> = UNICODE_USERS.to_vec();
    sorted.sort_by_key(|u| u.0);
    let d = tu_export(srv, &token, &company, &body).await;
    assert_file(&d, Kind::Pdf, "Target Users", "unicode");
    let pdf = parse_pdf(&d.bytes, all_pages);
    assert_eq!(pdf.pages, 1, "four rows fit on one page");
    let text = pdf.texts.concat();
    assert!(text.contains(company_name), "the title: {text:?}");
    let emails: Vec<String> = sorted.iter().map(|u| u.0.to_owned()).collect();
    assert_in_order(&text, &emails, "unicode, PDF: the ASCII emails");
    // Names in Latin, Greek and Cyrillic script print in DejaVu Sans; CJK names need the
    // fallback font (docs/api.md). Without it those rows are present, by their email, with
    // placeholder glyphs for the names, so they are left out of the check. Neither font has
    // the emoji, which is cut off.
    let mut missing = Vec::new();
    for (_, first, last, dept) in &sorted {
        for name in [first, last, dept] {
            if !cjk
                && name
                    .chars()
                    .any(|c| c > '\u{052F}' && !c.is_whitespace() && c <= '\u{FFFF}')
            {
                continue;
            }
            let name = name.trim_end_matches(|c| c > '\u{FFFF}').trim_end();
            if !text.contains(name) {
                missing.push(name);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "unicode, PDF: {missing:?} not in the extracted text (\u{FFFD} marks glyphs the PDF font lacks): {text:?}"
    );
    pdf_font_names(&d.bytes)
}

async fn non_ascii_text_in_pdf(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let fonts = unicode_pdf(&srv, COMPANY_NAME, false).await;
    assert_eq!(fonts.len(), 2, "DejaVu Sans regular and bold: {fonts:?}");
}

/// With `pdf_fallback_font` set, CJK names (and a CJK company name in the title) print in
/// that font; a PDF with no such text does not embed it.
async fn cjk_names_in_pdf_with_a_fallback_font(engine: Engine) {
    if !std::path::Path::new(CJK_FONT).exists() {
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "CI must install fonts-droid-fallback ({CJK_FONT})"
        );
        eprintln!("{CJK_FONT} is not installed: skipping the fallback font check");
        return;
    }
    let Some(srv) = TestServer::start_with(engine, |c| {
        c.pdf_fallback_fonts = vec![CJK_FONT.into()];
    })
    .await
    else {
        return;
    };
    let fonts = unicode_pdf(&srv, "山田商事", true).await;
    assert_eq!(fonts.len(), 3, "DejaVu Sans and the fallback: {fonts:?}");

    let token = srv.root_token().await;
    let latin = srv
        .create_company(&token, None, json!({ "Name": "Latin Only" }))
        .await;
    create_user(
        &srv,
        &token,
        &latin,
        json!({"email": "anna@latin.example", "firstName": "Anna"}),
    )
    .await;
    let body =
        json!({"pageNumber": 1, "pageSize": 10, "reportAllPages": true, "exportType": "PDF"});
    let d = tu_export(&srv, &token, &latin, &body).await;
    assert_file(&d, Kind::Pdf, "Target Users", "latin");
    let fonts = pdf_font_names(&d.bytes);
    assert_eq!(fonts.len(), 2, "no fallback without CJK text: {fonts:?}");
}

/// Text that file formats must escape: XML specials, control characters, Excel's own `_xHHHH_`
/// escape written literally, inner and outer white space.
const EDGE_TEXTS: [&str; 8] = [
    "<b>Tom & \"Jerry\"</b>",
    "Bell\u{7}Char",
    "Vertical\u{B}Tab",
    "Lit_x0041_eral",
    "Two  Spaces",
    "  padded  ",
    "trailing\n",
    "Line1\r\nLine2",
];

async fn text_edge_cases_round_trip(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    // Through the store, so that no trimming hides anything.
    bulk_insert(&srv, &company, EDGE_TEXTS.len(), |i| {
        (
            TargetUserFields {
                email: format!("edge{i}@edge.io"),
                first_name: EDGE_TEXTS[i].into(),
                last_name: "Edge".into(),
                department: EDGE_TEXTS[(i + 1) % EDGE_TEXTS.len()].into(),
                priority: 3,
                is_active: true,
                ..Default::default()
            },
            nth_second(i),
        )
    })
    .await;
    let body = json!({"orderBy": "CreateTime", "ascending": true, "reportAllPages": true});
    let want_rows = tu_search_all(&srv, &token, &company, &body).await;
    assert_eq!(want_rows.len(), EDGE_TEXTS.len());
    for (r, text) in want_rows.iter().zip(EDGE_TEXTS) {
        assert_eq!(r["firstName"], text, "search returns the stored text");
    }
    let want: Vec<Vec<Want>> = want_rows.iter().map(tu_want).collect();

    let d = tu_export(&srv, &token, &company, &with_type(&body, "CSV")).await;
    assert_file(&d, Kind::Csv, "Target Users", "edge texts");
    let file = parse_csv(&d.bytes);
    assert_csv_rows(&file.rows, &want, "edge texts, CSV");

    let d = tu_export(&srv, &token, &company, &with_type(&body, "Excel")).await;
    assert_file(&d, Kind::Excel, "Target Users", "edge texts");
    let rows = xlsx_rows(&d.bytes, &TU_COLUMNS, "edge texts");
    let got: Vec<Data> = rows.iter().map(|r| r[1].clone()).collect();
    let expected: Vec<Data> = EDGE_TEXTS
        .iter()
        .map(|t| Data::String((*t).into()))
        .collect();
    assert_eq!(got, expected, "edge texts, Excel: first names");
    assert_xlsx_rows(&rows, &want, "edge texts, Excel");

    let d = tu_export(&srv, &token, &company, &with_type(&body, "PDF")).await;
    assert_file(&d, Kind::Pdf, "Target Users", "edge texts");
    let pdf = parse_pdf(&d.bytes, all_pages);
    assert!(
        pdf.texts[0].contains("Lit_x0041_eral"),
        "{:?}",
        pdf.texts[0]
    );
    assert!(pdf.texts[0].contains("Two  Spaces") || pdf.texts[0].contains("Two Spaces"));
}

// ---------------------------------------------------------------------------------------------
// Streaming: consistent snapshot, early disconnect
// ---------------------------------------------------------------------------------------------

/// Whether a read transaction of the export is open in the server's database right now (no
/// other request or write is running when this is called).
async fn export_transaction_open(srv: &TestServer) -> bool {
    use sqlx::Connection;
    match srv.engine {
        Engine::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&srv.config.database_url)
                .await
                .expect("connect");
            let sessions: Vec<(Option<String>, Option<String>, bool)> = sqlx::query_as(
                "SELECT state, wait_event, xact_start IS NOT NULL FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid() \
                 AND query ILIKE '%target_users%'",
            )
            .fetch_all(&mut conn)
            .await
            .expect("pg_stat_activity");
            conn.close().await.ok();
            eprintln!("sessions on target_users (state, wait event, in transaction): {sessions:?}");
            sessions.iter().any(|s| s.2)
        }
        Engine::Sqlite => {
            // A reader on an older snapshot keeps a passive checkpoint from copying the newest
            // WAL frames: fewer frames checkpointed than logged.
            let path = srv.config.data_dir.join("rollcall.db");
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("connect");
            let (busy, log, checkpointed): (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(&mut conn)
                    .await
                    .expect("wal_checkpoint");
            conn.close().await.ok();
            eprintln!("wal_checkpoint: busy {busy}, log {log}, checkpointed {checkpointed}");
            checkpointed < log
        }
    }
}

/// Users in the snapshot test: 5000 rows of about 1.9 KB (some 9.5 MB) so that the export
/// cannot be read whole into the export channel and the loopback socket buffers (several MB on
/// Linux) before the updates start.
const SNAPSHOT_USERS: usize = 5000;

async fn streamed_csv_is_a_consistent_snapshot(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let rids = Arc::new(
        bulk_insert(&srv, &company, SNAPSHOT_USERS, |i| {
            (wide_user(i, false), nth_second(i))
        })
        .await,
    );
    // Default order: CreateTime descending, so the export reads users from the last created to
    // the first, and the updater below walks them in that same order (reverse creation order).
    let body =
        json!({"exportType": "CSV", "reportAllPages": true, "pageNumber": 1, "pageSize": 10});
    let at_start = search_page(&srv, &token, TU_SEARCH, Some(&company), &body).await;
    let count_at_start = at_start["totalNumberOfRecords"].as_i64().expect("total");
    assert_eq!(count_at_start, SNAPSHOT_USERS as i64);

    let resp = srv
        .http
        .post(srv.url(TU_EXPORT))
        .bearer_auth(&token)
        .header(SCOPE, &company)
        .json(&body)
        .send()
        .await
        .expect("export request");
    assert_eq!(resp.status(), StatusCode::OK);
    let mut stream = resp.bytes_stream();
    let mut bytes: Vec<u8> = Vec::new();
    // Wait for the header and at least one data row: the export's read has begun.
    while bytes.iter().filter(|&&b| b == b'\n').count() < 2 {
        let chunk = tokio::time::timeout(Duration::from_secs(60), stream.next())
            .await
            .expect("first rows within 60 s")
            .expect("the stream has rows")
            .expect("chunk");
        bytes.extend_from_slice(&chunk);
    }

    // Update every user, department and last name together, from the newest to the oldest.
    // After the first update the updater waits until the test has checked that the export's
    // read transaction is still open, so that the overlap is established, not assumed.
    let updated = Arc::new(AtomicUsize::new(0));
    let (first_done, first_done_rx) = tokio::sync::oneshot::channel::<()>();
    let (go_on, go_on_rx) = tokio::sync::oneshot::channel::<()>();
    let updater = {
        let store = tu::open_store(&srv).await;
        let cid = tu::company_internal_id(&store, &company).await;
        let rids = rids.clone();
        let updated = updated.clone();
        tokio::spawn(async move {
            let mut first_done = Some(first_done);
            let mut go_on_rx = Some(go_on_rx);
            for i in (0..SNAPSHOT_USERS).rev() {
                match store
                    .update_target_user(
                        cid,
                        &rids[i],
                        &wide_user(i, true),
                        &rollcall_store::UserLinks::default(),
                        &rollcall_store::Actor::system(),
                    )
                    .await
                {
                    Ok(WriteOutcome::Done(_)) => {}
                    Ok(other) => panic!("update {i}: {other:?}"),
                    Err(e) => panic!("update {i}: {e}"),
                }
                updated.fetch_add(1, Ordering::SeqCst);
                if let (Some(done), Some(go)) = (first_done.take(), go_on_rx.take()) {
                    let _ = done.send(());
                    let _ = go.await;
                }
            }
        })
    };
    tokio::time::timeout(Duration::from_secs(60), first_done_rx)
        .await
        .expect("the first update within 60 s")
        .expect("the updater signals");
    let still_reading = export_transaction_open(&srv).await;
    let _ = go_on.send(());

    // Read the rest slowly (about 1 ms per KB) while the updates go on.
    let mut chunks = 0;
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(120), stream.next())
        .await
        .expect("the stream progresses")
    {
        let chunk = chunk.expect("chunk");
        chunks += 1;
        bytes.extend_from_slice(&chunk);
        tokio::time::sleep(Duration::from_millis(1 + chunk.len() as u64 / 1024)).await;
    }
    let updates_during_stream = updated.load(Ordering::SeqCst);
    tokio::time::timeout(Duration::from_secs(300), updater)
        .await
        .expect("updates finish")
        .expect("updater task");
    eprintln!(
        "{engine:?}: {} bytes in {chunks} chunks; export transaction open after the first update: {still_reading}; {updates_during_stream} of {SNAPSHOT_USERS} updates committed before the stream ended",
        bytes.len()
    );
    let file = parse_csv(&bytes);
    assert_eq!(file.header, TU_COLUMNS);
    assert_eq!(
        file.rows.len() as i64,
        count_at_start,
        "the export has the row count of its start"
    );
    let (old_pair, new_pair) = (wide_pair(false), wide_pair(true));
    let mut seen = std::collections::BTreeSet::new();
    let mut new_rows = Vec::new();
    for (n, row) in file.rows.iter().enumerate() {
        let pair = (row[3].clone(), row[2].clone());
        assert!(
            pair == old_pair || pair == new_pair,
            "row {n} ({}) mixes old and new fields: department {:?}, last name {:?}",
            row[0],
            row[3],
            row[2]
        );
        if pair == new_pair {
            new_rows.push(n);
        }
        assert!(seen.insert(row[14].clone()), "row {n} repeats a user");
    }
    let all: std::collections::BTreeSet<String> = rids.iter().cloned().collect();
    assert_eq!(seen, all, "every user exactly once");
    // The read began before the first update: a snapshot shows none of them.
    assert!(
        new_rows.is_empty(),
        "the export is not one snapshot taken at its start: {} of {} rows show updates made while it streamed (first at rows {:?})",
        new_rows.len(),
        file.rows.len(),
        &new_rows[..new_rows.len().min(10)]
    );

    // The test had teeth: the export was still reading when the updates began.
    assert!(
        still_reading,
        "the export's read transaction was no longer open when the first update committed: \
         the updates did not overlap the database read"
    );
    assert!(
        updates_during_stream > 1,
        "the updates overlapped the stream ({updates_during_stream} had committed when it ended)"
    );

    // Afterwards a new export sees every update.
    let d = tu_export(&srv, &token, &company, &body).await;
    let file = parse_csv(&d.bytes);
    assert_eq!(file.rows.len(), SNAPSHOT_USERS);
    assert!(
        file.rows
            .iter()
            .all(|r| (r[3].clone(), r[2].clone()) == new_pair),
        "a later export shows the updates"
    );
}

async fn early_disconnect_leaves_the_server_working(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    const USERS: usize = 2000;
    bulk_insert(&srv, &company, USERS, |i| {
        (wide_user(i, false), nth_second(i))
    })
    .await;
    let body =
        |t: &str| json!({"exportType": t, "reportAllPages": true, "pageNumber": 1, "pageSize": 10});

    // More abandoned exports than either engine's connection pool holds.
    for round in 0..24 {
        let export_type = match round % 8 {
            6 => "Excel",
            7 => "PDF",
            _ => "CSV",
        };
        let resp = tokio::time::timeout(
            Duration::from_secs(60),
            srv.http
                .post(srv.url(TU_EXPORT))
                .bearer_auth(&token)
                .header(SCOPE, &company)
                .json(&body(export_type))
                .send(),
        )
        .await
        .unwrap_or_else(|_| panic!("round {round}: export answers within 60 s"))
        .expect("export request");
        // 2000 rows are within the PDF cap, so every format answers with a file.
        assert_eq!(resp.status(), StatusCode::OK, "round {round}");
        let mut stream = resp.bytes_stream();
        let mut got = 0;
        while got < 2 {
            match tokio::time::timeout(Duration::from_secs(60), stream.next())
                .await
                .unwrap_or_else(|_| panic!("round {round}: a chunk within 60 s"))
            {
                Some(chunk) => {
                    let chunk = chunk.expect("chunk");
                    got += chunk.iter().filter(|&&b| b == b'\n').count().max(1);
                }
                None => break,
            }
        }
        drop(stream);
    }

    // The server still answers: searches, writes and a complete export.
    let within = Duration::from_secs(120);
    let (status, resp) = tokio::time::timeout(
        within,
        srv.post(
            TU_SEARCH,
            &token,
            json!({"pageNumber": 1, "pageSize": 5}),
            &scope(&company),
        ),
    )
    .await
    .expect("search answers after abandoned exports");
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(resp["data"]["totalNumberOfRecords"], USERS as i64);
    tokio::time::timeout(
        within,
        create_user(
            &srv,
            &token,
            &company,
            json!({"email": "after@stream.example.com"}),
        ),
    )
    .await
    .expect("a write answers after abandoned exports");
    let d = tokio::time::timeout(within, tu_export(&srv, &token, &company, &body("CSV")))
        .await
        .expect("a full export answers after abandoned exports");
    assert_file(&d, Kind::Csv, "Target Users", "after disconnects");
    let file = parse_csv(&d.bytes);
    assert_eq!(file.rows.len(), USERS + 1, "the full export is complete");

    // On PostgreSQL no export transaction is left open once its client is gone.
    if engine == Engine::Postgres {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&srv.config.database_url)
            .await
            .expect("connect");
        let mut open = -1;
        for _ in 0..100 {
            open = sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')",
            )
            .fetch_one(&mut conn)
            .await
            .expect("pg_stat_activity");
            if open == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            open, 0,
            "export transactions still open after their clients left"
        );
        conn.close().await.ok();
    }
}

// ---------------------------------------------------------------------------------------------
// PDF: row cap and pagination
// ---------------------------------------------------------------------------------------------

async fn pdf_row_cap_and_pages(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    const USERS: usize = 5001;
    bulk_insert(&srv, &company, USERS, |i| (lean_user(i), nth_second(i))).await;

    // Every row as PDF: too many, refused before any byte, pointing to CSV or Excel.
    for t in ["PDF", "pdf"] {
        let body =
            json!({"exportType": t, "reportAllPages": true, "pageNumber": 1, "pageSize": 10});
        let d = tu_export(&srv, &token, &company, &body).await;
        let env = assert_json_error(
            &d,
            StatusCode::BAD_REQUEST,
            "INPUT_ERROR",
            "5001 rows as PDF",
        );
        let m = tu::error_text(&env);
        assert!(
            m.contains("CSV") || m.contains("Excel"),
            "the message points to CSV or Excel: {m}"
        );
    }

    // The same rows as CSV are fine.
    let all = json!({"exportType": "CSV", "reportAllPages": true, "pageNumber": 1, "pageSize": 10});
    let d = tu_export(&srv, &token, &company, &all).await;
    assert_file(&d, Kind::Csv, "Target Users", "5001 rows as CSV");
    assert_eq!(parse_csv(&d.bytes).rows.len(), USERS);

    // Pages grow with the rows; every page says "Page n of m".
    let mut last_pages = 0;
    for size in [1, 10, 100, 1000] {
        let body = json!({"exportType": "PDF", "reportAllPages": false, "pageNumber": 1,
                          "pageSize": size, "orderBy": "Email", "ascending": true});
        let d = tu_export(&srv, &token, &company, &body).await;
        let what = format!("PDF of {size} rows");
        assert_file(&d, Kind::Pdf, "Target Users", &what);
        let pdf = parse_pdf(&d.bytes, first_and_last);
        if size <= 10 {
            assert_eq!(pdf.pages, 1, "{what}");
        } else {
            assert!(
                pdf.pages > last_pages,
                "{what}: {} pages after {last_pages}",
                pdf.pages
            );
        }
        last_pages = pdf.pages;
        let first = &pdf.texts[0];
        assert!(
            first.contains(COMPANY_NAME),
            "{what}: company name: {first:?}"
        );
        assert!(
            first.contains(&format!("Page 1 of {}", pdf.pages)),
            "{what}: {first:?}"
        );
        let last = &pdf.texts[pdf.pages - 1];
        assert!(
            last.contains(&format!("Page {0} of {0}", pdf.pages)),
            "{what}: last page footer: {last:?}"
        );
        assert!(
            first.contains("cap00000@cap.io"),
            "{what}: first row on page 1"
        );
        let last_email = format!("cap{:05}@cap.io", size - 1);
        assert!(
            last.contains(&last_email),
            "{what}: last row {last_email} on the last page: {last:?}"
        );
    }
    assert!(last_pages > 1, "1000 rows take more than one page");

    // Exactly the cap: accepted.
    let body = json!({"exportType": "PDF", "reportAllPages": true, "pageNumber": 1, "pageSize": 10,
                      "orderBy": "Email", "ascending": true,
                      "filter": filter(json!([item("Email", "!=", json!("cap05000@cap.io"))]))});
    let d = tu_export(&srv, &token, &company, &body).await;
    assert_file(&d, Kind::Pdf, "Target Users", "5000 rows as PDF");
    let pdf = parse_pdf(&d.bytes, first_and_last);
    assert!(
        pdf.pages > last_pages,
        "5000 rows take more pages than 1000"
    );
    assert!(
        pdf.texts[0].contains(&users_said(5000)),
        "{:?}",
        pdf.texts[0]
    );
    let last = &pdf.texts[pdf.pages - 1];
    assert!(
        last.contains(&format!("Page {0} of {0}", pdf.pages)),
        "{last:?}"
    );
    assert!(last.contains("cap04999@cap.io"), "{last:?}");

    // An empty result is a one-page PDF that says so.
    let body = json!({"exportType": "PDF", "reportAllPages": true,
                      "filter": filter(json!([item("Email", "=", json!("nobody@cap.io"))]))});
    let d = tu_export(&srv, &token, &company, &body).await;
    assert_file(&d, Kind::Pdf, "Target Users", "empty PDF");
    let pdf = parse_pdf(&d.bytes, all_pages);
    assert_eq!(pdf.pages, 1);
    assert!(pdf.texts[0].contains("Page 1 of 1"), "{:?}", pdf.texts[0]);
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

async fn errors_are_json_envelopes(engine: Engine) {
    let Some((srv, root, company)) = setup(engine).await else {
        return;
    };
    create_user(&srv, &root, &company, json!({"email": "one@err.io"})).await;
    let base = json!({"pageNumber": 1, "pageSize": 10, "reportAllPages": true});

    // Bad, missing and empty exportType; on both search exports.
    for path in [TU_EXPORT, CO_EXPORT] {
        let scope_id = (path == TU_EXPORT).then_some(company.as_str());
        for (what, export_type) in [
            ("unknown exportType", json!("docx")),
            ("empty exportType", json!("")),
            ("numeric exportType", json!(7)),
        ] {
            let mut body = base.clone();
            body["exportType"] = export_type;
            let d = download(&srv, Some(&root), path, scope_id, &body).await;
            let what = format!("{path}: {what}");
            assert_json_error(&d, StatusCode::BAD_REQUEST, "INPUT_ERROR", &what);
        }
        let d = download(&srv, Some(&root), path, scope_id, &base).await;
        let env = assert_json_error(
            &d,
            StatusCode::BAD_REQUEST,
            "INPUT_ERROR",
            &format!("{path}: missing exportType"),
        );
        assert!(
            tu::error_text(&env).contains("exportType"),
            "the message names exportType: {env}"
        );
        // Unknown filter field and unknown orderBy, in every format.
        for kind in [Kind::Csv, Kind::Excel, Kind::Pdf] {
            let mut body = with_type(&base, kind.export_type());
            body["filter"] = filter(json!([item("ShoeSize", "=", json!("42"))]));
            let d = download(&srv, Some(&root), path, scope_id, &body).await;
            let env = assert_json_error(
                &d,
                StatusCode::BAD_REQUEST,
                "INPUT_ERROR",
                &format!("{path}: unknown filter field, {kind:?}"),
            );
            assert!(tu::error_text(&env).contains("ShoeSize"), "{env}");
            let mut body = with_type(&base, kind.export_type());
            body["orderBy"] = json!("NoSuchColumn");
            let d = download(&srv, Some(&root), path, scope_id, &body).await;
            assert_json_error(
                &d,
                StatusCode::BAD_REQUEST,
                "INPUT_ERROR",
                &format!("{path}: unknown orderBy, {kind:?}"),
            );
        }
    }

    // Scope: another reseller's company is 403, an unknown one 404, a malformed one 400.
    let res_a = srv
        .create_company(
            &root,
            Some(&srv.root_company),
            json!({"Name": "Reseller A"}),
        )
        .await;
    let res_b = srv
        .create_company(
            &root,
            Some(&srv.root_company),
            json!({"Name": "Reseller B"}),
        )
        .await;
    let (a_id, a_secret) = srv.create_client(&root, &res_a, "Reseller").await;
    let token_a = srv.token(&a_id, &a_secret).await;
    let b_customer = srv
        .create_company(&root, Some(&res_b), json!({"Name": "B Customer"}))
        .await;
    create_user(&srv, &root, &b_customer, json!({"email": "secret@b.io"})).await;
    for kind in [Kind::Csv, Kind::Excel, Kind::Pdf] {
        let body = with_type(&base, kind.export_type());
        let what = format!("{kind:?}");
        let d = download(&srv, Some(&token_a), TU_EXPORT, Some(&b_customer), &body).await;
        assert_json_error(
            &d,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            &format!("{what}: other reseller's customer"),
        );
        let d = download(&srv, Some(&token_a), CO_EXPORT, Some(&res_b), &body).await;
        assert_json_error(
            &d,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            &format!("{what}: companies of another reseller"),
        );
        let d = download(&srv, Some(&root), TU_EXPORT, Some("ZZZZZZZZZZZZ"), &body).await;
        assert_json_error(
            &d,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("{what}: unknown company"),
        );
        let d = download(&srv, Some(&root), CO_EXPORT, Some("ZZZZZZZZZZZZ"), &body).await;
        assert_json_error(
            &d,
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("{what}: companies under an unknown company"),
        );
        let d = download(&srv, Some(&root), TU_EXPORT, Some("not an id!"), &body).await;
        assert_json_error(
            &d,
            StatusCode::BAD_REQUEST,
            "INPUT_ERROR",
            &format!("{what}: malformed company id"),
        );
    }

    // A Company Admin may export its own users but not companies.
    let (admin_id, admin_secret) = srv.create_client(&root, &company, "Company Admin").await;
    let admin = srv.token(&admin_id, &admin_secret).await;
    for kind in [Kind::Csv, Kind::Excel, Kind::Pdf] {
        let body = with_type(&base, kind.export_type());
        let d = download(&srv, Some(&admin), CO_EXPORT, None, &body).await;
        assert_json_error(
            &d,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            &format!("{kind:?}: Company Admin, companies export"),
        );
        let d = download(&srv, Some(&admin), TU_EXPORT, None, &body).await;
        assert_file(
            &d,
            kind,
            "Target Users",
            &format!("{kind:?}: Company Admin, own users"),
        );
    }
    let d = download(
        &srv,
        Some(&admin),
        TU_EXPORT,
        Some(&b_customer),
        &with_type(&base, "CSV"),
    )
    .await;
    assert_json_error(
        &d,
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "Company Admin scoped elsewhere",
    );

    // No token, or a bad one: 401 on every export endpoint.
    for path in [TU_EXPORT, CO_EXPORT, EXAMPLE] {
        let body = with_type(&base, "CSV");
        let d = download(&srv, None, path, Some(&company), &body).await;
        assert_json_error(
            &d,
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            &format!("{path}: no token"),
        );
        let d = download(&srv, Some("not-a-jwt"), path, Some(&company), &body).await;
        assert_json_error(
            &d,
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            &format!("{path}: bad token"),
        );
    }
}

async fn export_scope_sources(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let rid = create_user(&srv, &token, &company, json!({"email": "scoped@scope.io"})).await;
    let other = srv
        .create_company(&token, None, json!({"Name": "Other Co"}))
        .await;
    let body = json!({"exportType": "CSV", "reportAllPages": true});
    let rows_of = |d: &Download, what: &str| -> Vec<String> {
        assert_file(d, Kind::Csv, "Target Users", what);
        parse_csv(&d.bytes)
            .rows
            .iter()
            .map(|r| r[14].clone())
            .collect()
    };

    // A read without a scope exports the caller's own company (the root has no users).
    let d = download(&srv, Some(&token), TU_EXPORT, None, &body).await;
    assert!(
        rows_of(&d, "no scope").is_empty(),
        "no scope: the root company's users"
    );
    for (what, path, headers) in [
        (
            "X-KEEPNET-Company-Id",
            TU_EXPORT.to_owned(),
            vec![(SCOPE, company.as_str())],
        ),
        (
            "x-ir-company-id",
            TU_EXPORT.to_owned(),
            vec![("x-ir-company-id", company.as_str())],
        ),
        (
            "?companyId=",
            format!("{TU_EXPORT}?companyId={company}"),
            vec![],
        ),
        (
            "?companyId= with ?bom=false",
            format!("{TU_EXPORT}?bom=false&companyId={company}"),
            vec![],
        ),
        (
            "header and query agreeing",
            format!("{TU_EXPORT}?companyId={company}"),
            vec![(SCOPE, company.as_str())],
        ),
    ] {
        let d = download_with(&srv, Some(&token), &path, &headers, &body).await;
        assert_eq!(rows_of(&d, what), std::slice::from_ref(&rid), "{what}");
    }
    let d = download_with(
        &srv,
        Some(&token),
        &format!("{TU_EXPORT}?companyId={other}"),
        &[(SCOPE, company.as_str())],
        &body,
    )
    .await;
    assert_json_error(
        &d,
        StatusCode::BAD_REQUEST,
        "INPUT_ERROR",
        "two different scopes",
    );
}

// ---------------------------------------------------------------------------------------------
// Companies export
// ---------------------------------------------------------------------------------------------

async fn companies_export_matches_search(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let specs = [
        json!({"Name": "Alpha Health", "IndustryResourceId": "IndHealthcar", "NumberOfUsers": 25,
               "LicenseEndDate": "2099-12-31", "Tags": ["alpha", "beta"]}),
        json!({"Name": "bravo Labs", "NumberOfUsers": 3, "LicenseEndDate": "2020-01-01"}),
        json!({"Name": "Zoë Ærøskøbing-Çağlar AG"}),
        json!({"Name": "=SUM(A1) Trading"}),
        json!({"Name": "Charlie & Sons, \"Ltd\""}),
        json!({"Name": "delta"}),
        json!({"Name": "Echo 山田"}),
        json!({"Name": "Foxtrot Łódź", "NumberOfUsers": 100}),
        json!({"Name": "golf"}),
        json!({"Name": "Hotel"}),
        json!({"Name": "India"}),
    ];
    let mut created = Vec::new();
    for s in &specs {
        created.push(srv.create_company(&token, None, s.clone()).await);
    }
    // Some users so that the counts differ between companies.
    create_user(&srv, &token, &created[0], json!({"email": "a@alpha.io"})).await;
    create_user(
        &srv,
        &token,
        &created[0],
        json!({"email": "b@alpha.io", "isActive": false}),
    )
    .await;
    create_user(&srv, &token, &created[1], json!({"email": "c@bravo.io"})).await;
    // Bravo's licence (3 users) exceeded by users added through the store.
    bulk_insert(&srv, &created[1], 4, |i| (lean_user(i), nth_second(i))).await;
    // A grandchild (listed below the root too).
    srv.create_company(&token, Some(&created[5]), json!({"Name": "delta child"}))
        .await;

    let bodies = [
        (
            "default order",
            json!({"pageNumber": 1, "pageSize": 10, "reportAllPages": true}),
        ),
        (
            "the UI's body",
            json!({"pageNumber": 1, "pageSize": 10, "orderBy": "CreateTime", "ascending": false,
                   "isClustered": false, "isTargetUserCountExceededLimit": false, "reportAllPages": true,
                   "filter": {"Condition": "AND", "SearchInputTextValue": ""}}),
        ),
        (
            "name contains 'a', by name ascending",
            json!({"pageNumber": 1, "pageSize": 3, "orderBy": "CompanyName", "ascending": true,
                   "reportAllPages": true,
                   "filter": filter(json!([item("CompanyName", "Contains", json!("a"))]))}),
        ),
        (
            "name contains 'a', by name descending",
            json!({"pageNumber": 1, "pageSize": 3, "orderBy": "CompanyName", "ascending": false,
                   "reportAllPages": true,
                   "filter": filter(json!([item("CompanyName", "Contains", json!("a"))]))}),
        ),
        (
            "licence exceeded only",
            json!({"pageNumber": 1, "pageSize": 10, "isTargetUserCountExceededLimit": true,
                   "reportAllPages": true}),
        ),
        (
            "page 2 of 4 by name",
            json!({"pageNumber": 2, "pageSize": 4, "orderBy": "CompanyName", "ascending": true,
                   "reportAllPages": false}),
        ),
    ];
    for (what, body) in bodies {
        let want_rows = if body["reportAllPages"] == true {
            let big = search_every(&srv, &token, CO_SEARCH, None, &body, 1000).await;
            let small = search_every(&srv, &token, CO_SEARCH, None, &body, 3).await;
            assert_eq!(
                ids(&big, "companyResourceId"),
                ids(&small, "companyResourceId")
            );
            big
        } else {
            let data = search_page(&srv, &token, CO_SEARCH, None, &body).await;
            data["results"].as_array().expect("results").clone()
        };
        assert!(!want_rows.is_empty(), "{what}: companies match");
        let want_ids = ids(&want_rows, "companyResourceId");
        if what == "licence exceeded only" {
            assert_eq!(
                want_ids,
                [created[1].clone()],
                "only Bravo exceeds its licence"
            );
        }
        let want: Vec<Vec<Want>> = want_rows.iter().map(co_want).collect();

        for t in ["CSV", "csv"] {
            let d = download(&srv, Some(&token), CO_EXPORT, None, &with_type(&body, t)).await;
            assert_file(&d, Kind::Csv, "Companies", what);
            let file = parse_csv(&d.bytes);
            assert!(file.bom, "{what}: BOM");
            assert_eq!(file.header, CO_COLUMNS, "{what}: CSV header");
            let got: Vec<String> = file.rows.iter().map(|r| r[1].clone()).collect();
            assert_eq!(got, want_ids, "{what}: CSV rows in search order");
            assert_csv_rows(&file.rows, &want, &format!("companies, {what}"));
        }
        for t in ["Excel", "xlsx"] {
            let d = download(&srv, Some(&token), CO_EXPORT, None, &with_type(&body, t)).await;
            assert_file(&d, Kind::Excel, "Companies", what);
            let rows = xlsx_rows(&d.bytes, &CO_COLUMNS, what);
            let got: Vec<Data> = rows.iter().map(|r| r[1].clone()).collect();
            let want_cells: Vec<Data> = want_ids.iter().map(|s| Data::String(s.clone())).collect();
            assert_eq!(got, want_cells, "{what}: Excel rows in search order");
            for (i, r) in rows.iter().enumerate() {
                assert!(
                    matches!(r[5], Data::Bool(_)),
                    "{what}: row {i} Users Limited {:?}",
                    r[5]
                );
                assert!(
                    matches!(&r[9], Data::DateTime(dt) if dt.is_datetime()),
                    "{what}: row {i} Created {:?}",
                    r[9]
                );
            }
            assert_xlsx_rows(&rows, &want, &format!("companies, {what}"));
        }
        let d = download(
            &srv,
            Some(&token),
            CO_EXPORT,
            None,
            &with_type(&body, "PDF"),
        )
        .await;
        assert_file(&d, Kind::Pdf, "Companies", what);
        let pdf = parse_pdf(&d.bytes, all_pages);
        assert!(
            pdf.texts[0].contains("Page 1 of"),
            "{what}: {:?}",
            pdf.texts[0]
        );
    }

    // Scoped below a child company: only its subtree.
    let body = json!({"exportType": "CSV", "reportAllPages": true});
    let d = download(&srv, Some(&token), CO_EXPORT, Some(&created[5]), &body).await;
    assert_file(&d, Kind::Csv, "Companies", "below delta");
    let file = parse_csv(&d.bytes);
    let names: Vec<&str> = file.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["delta child"], "below delta");
}

// ---------------------------------------------------------------------------------------------
// Import template
// ---------------------------------------------------------------------------------------------

async fn example_file_formats(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;

    for (what, body) in [
        ("no exportType (Excel by default)", json!({})),
        ("Excel", json!({"exportType": "Excel"})),
        ("excel", json!({"exportType": "excel"})),
    ] {
        let d = download(&srv, Some(&token), EXAMPLE, None, &body).await;
        assert_file(&d, Kind::Excel, "target_user_sample_file", what);
        let rows = xlsx_rows(&d.bytes, &TEMPLATE_COLUMNS, what);
        assert_eq!(rows.len(), 1, "{what}: one example row");
        let email = &rows[0][2];
        assert!(
            matches!(email, Data::String(s) if s.contains('@')),
            "{what}: the example row has an email address: {email:?}"
        );
    }

    for body in [json!({"exportType": "CSV"}), json!({"exportType": "csv"})] {
        let d = download(&srv, Some(&token), EXAMPLE, None, &body).await;
        assert_file(&d, Kind::Csv, "target_user_sample_file", "CSV template");
        let file = parse_csv(&d.bytes);
        assert_eq!(file.header, TEMPLATE_COLUMNS, "CSV template header");
        assert_eq!(file.rows.len(), 1, "CSV template: one example row");
        assert!(file.rows[0][2].contains('@'), "{:?}", file.rows[0]);
    }

    for body in [json!({"exportType": "PDF"}), json!({"exportType": "docx"})] {
        let d = download(&srv, Some(&token), EXAMPLE, None, &body).await;
        assert_json_error(
            &d,
            StatusCode::BAD_REQUEST,
            "INPUT_ERROR",
            &format!("template {body}"),
        );
    }
}

/// Group names and custom fields in user exports (issue #14): the groups column, one column per
/// active custom field after the built-in ones (an inactive field's values stay out), typed
/// Excel cells, the PDF's first two custom fields and its note naming the others; the same
/// columns in a group's member export.
async fn custom_fields_and_groups_in_exports(engine: Engine) {
    let Some((srv, token, company)) = setup(engine).await else {
        return;
    };
    let s = scope(&company);
    let mut group_ids = vec![];
    for name in ["beta", "Alpha"] {
        let (st, b) = srv
            .post("/api/target-groups", &token, json!({"name": name}), &s)
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        group_ids.push(b["data"]["resourceId"].as_str().expect("id").to_owned());
    }
    let mut old = String::new();
    for (i, (name, ty)) in [
        ("Office", "String"),
        ("Level", "Number"),
        ("Remote", "Boolean"),
        ("Hired", "Date"),
        ("Seen", "DateTime"),
        ("Old", "String"),
    ]
    .into_iter()
    .enumerate()
    {
        let (st, b) = srv
            .post(
                "/api/custom-fields",
                &token,
                json!({"name": name, "fieldDataType": ty, "sortOrder": i}),
                &s,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        old = b["data"]["resourceId"].as_str().expect("id").to_owned();
    }
    create_user(
        &srv,
        &token,
        &company,
        json!({"email": "full@cf.test", "targetGroupResourceIds": group_ids, "customFields": [
            {"name": "Office", "value": "=Berlin, 2nd"},
            {"name": "Level", "value": "3.50"},
            {"name": "Remote", "value": "true"},
            {"name": "Hired", "timestampValue": "2024-03-01"},
            {"name": "Seen", "value": "2024-03-01T13:45:00Z"},
            {"name": "Old", "value": "hidden"}]}),
    )
    .await;
    create_user(&srv, &token, &company, json!({"email": "bare@cf.test"})).await;
    let (st, b) = srv
        .put(
            &format!("/api/custom-fields/{old}"),
            &token,
            json!({"name": "Old", "fieldDataType": "String", "isActive": false}),
            &s,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");

    let mut header: Vec<&str> = TU_COLUMNS.to_vec();
    header.extend(["Office", "Level", "Remote", "Hired", "Seen"]);
    let body = json!({"orderBy": "Email", "ascending": false, "reportAllPages": true});

    let d = tu_export(&srv, &token, &company, &with_type(&body, "CSV")).await;
    assert_file(&d, Kind::Csv, "Target Users", "custom csv");
    let file = parse_csv(&d.bytes);
    assert_eq!(file.header, header, "CSV header");
    assert_eq!(file.rows.len(), 2);
    assert_eq!(file.rows[0][0], "full@cf.test");
    assert_eq!(
        file.rows[0][15..],
        [
            "Alpha, beta",
            "'=Berlin, 2nd",
            "3.5",
            "true",
            "2024-03-01",
            "2024-03-01T13:45:00.000Z"
        ],
        "full user's groups and custom values"
    );
    assert!(
        file.rows[1][15..].iter().all(String::is_empty),
        "a user without groups or values: {:?}",
        file.rows[1]
    );

    let d = tu_export(&srv, &token, &company, &with_type(&body, "Excel")).await;
    assert_file(&d, Kind::Excel, "Target Users", "custom xlsx");
    let rows = xlsx_rows(&d.bytes, &header, "custom xlsx");
    let full = &rows[0];
    assert_eq!(full[15], Data::String("Alpha, beta".into()));
    assert_eq!(full[16], Data::String("=Berlin, 2nd".into()));
    assert_eq!(full[17], Data::Float(3.5), "Level is a number cell");
    assert_eq!(full[18], Data::Bool(true), "Remote is a boolean cell");
    match &full[19] {
        Data::DateTime(dt) => {
            assert_eq!(excel_ms(dt), 1_709_251_200_000, "Hired is the day");
        }
        other => panic!("Hired is a date cell, got {other:?}"),
    }
    match &full[20] {
        Data::DateTime(dt) => assert_eq!(excel_ms(dt), 1_709_300_700_000, "Seen"),
        other => panic!("Seen is a date-time cell, got {other:?}"),
    }
    assert!(
        rows[1][15..].iter().all(|c| *c == Data::Empty),
        "{:?}",
        rows[1]
    );

    let d = tu_export(&srv, &token, &company, &with_type(&body, "PDF")).await;
    assert_file(&d, Kind::Pdf, "Target Users", "custom pdf");
    let text = parse_pdf(&d.bytes, all_pages).texts.join(
        "
",
    );
    assert_in_order(
        &text,
        &["Office", "Level", "=Berlin, 2nd", "3.5"].map(str::to_owned),
        "custom pdf",
    );
    assert!(
        text.contains("Custom fields left out for width") && text.contains("Remote, Hired, Seen"),
        "{text}"
    );
    assert!(
        !text.contains("hidden"),
        "an inactive field's value: {text}"
    );

    // A group's member export has the same columns.
    let d = download(
        &srv,
        Some(&token),
        &format!("/api/target-groups/{}/users/export", group_ids[1]),
        Some(&company),
        &with_type(&body, "CSV"),
    )
    .await;
    assert_file(&d, Kind::Csv, "Target Group Users", "member csv");
    let file = parse_csv(&d.bytes);
    assert_eq!(file.header, header, "member CSV header");
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0][16], "'=Berlin, 2nd");
}

both_engines!(
    custom_fields_and_groups_in_exports,
    csv_rows_match_search,
    excel_rows_match_search,
    pdf_rows_match_search,
    report_all_pages_chooses_page_or_everything,
    csv_bom_default_and_opt_out,
    formula_cells_are_neutralised,
    non_ascii_text_round_trips,
    non_ascii_text_in_pdf,
    cjk_names_in_pdf_with_a_fallback_font,
    text_edge_cases_round_trip,
    streamed_csv_is_a_consistent_snapshot,
    early_disconnect_leaves_the_server_working,
    pdf_row_cap_and_pages,
    errors_are_json_envelopes,
    export_scope_sources,
    companies_export_matches_search,
    example_file_formats,
);
