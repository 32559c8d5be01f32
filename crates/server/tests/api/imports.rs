//! Importing target users from files (issue #15) through HTTP on both engines: upload (CSV in
//! UTF-8, UTF-16 and Windows-1252, `;`-separated, `.xlsx`), the mapping and its row checks, the
//! preview, each import type, groups and custom fields, the job log, bad files, and an import
//! that fails leaving the company as it was.

use std::time::Duration;

use crate::common::tu::scope;
use crate::common::{Engine, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Uploads `bytes` as the multipart field `File` named `name`.
async fn upload(
    srv: &TestServer,
    token: &str,
    company: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("File", part);
    let resp = srv
        .http
        .post(srv.url("/api/target-users/upload"))
        .bearer_auth(token)
        .header("X-KEEPNET-Company-Id", company)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = resp.status();
    (status, resp.json().await.expect("JSON reply"))
}

/// Uploads and returns the transaction id.
async fn uploaded(
    srv: &TestServer,
    token: &str,
    company: &str,
    name: &str,
    bytes: Vec<u8>,
) -> String {
    let (s, b) = upload(srv, token, company, name, bytes).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["transactionId"]
        .as_str()
        .expect("transactionId")
        .to_owned()
}

/// Maps and waits for the row checks; returns the mapping job.
async fn mapped(srv: &TestServer, token: &str, company: &str, body: Value) -> Value {
    let (s, b) = srv
        .post(
            "/api/target-users/create-mapping",
            token,
            body.clone(),
            &scope(company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}: {b}");
    let id = b["data"]["resourceId"]
        .as_str()
        .expect("mapping job")
        .to_owned();
    for _ in 0..200 {
        let (s, b) = srv
            .get(
                &format!("/api/target-users/mapping-job/{id}"),
                token,
                &scope(company),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        if b["data"]["status"] != "InProgress" {
            return b["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the mapping did not finish");
}

/// Starts an import and waits for its job to end; returns the job's detail.
async fn imported(srv: &TestServer, token: &str, company: &str, tid: &str, body: Value) -> Value {
    let (s, b) = srv
        .post(
            &format!("/api/target-users/{tid}/import"),
            token,
            body.clone(),
            &scope(company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}: {b}");
    let job = b["data"]["resourceId"].as_str().expect("job").to_owned();
    for _ in 0..400 {
        let (s, b) = srv
            .get(&format!("/api/jobs/{job}"), token, &scope(company))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        if b["data"]["isFinished"] == true {
            return b["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

/// Every live user of the company by email: the search row.
async fn users(srv: &TestServer, token: &str, company: &str) -> Vec<Value> {
    let (s, b) = srv
        .post(
            "/api/target-users/search",
            token,
            json!({"pageNumber": 1, "pageSize": 1000, "orderBy": "Email", "ascending": true}),
            &scope(company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["results"].as_array().expect("rows").clone()
}

/// Creates a custom field or a target group (`path`) in the company of scope `s`; its
/// resource id.
async fn created(
    srv: &TestServer,
    token: &str,
    path: &str,
    body: Value,
    s: &[(&str, &str)],
) -> String {
    let (st, b) = srv.post(path, token, body, s).await;
    assert_eq!(st, StatusCode::OK, "{path}: {b}");
    b["data"]["resourceId"]
        .as_str()
        .expect("resource id")
        .to_owned()
}

/// The preview's `Error` rows of upload `tid` (the first 50): the whole reply.
async fn error_rows(srv: &TestServer, token: &str, company: &str, tid: &str) -> Value {
    let (st, b) = srv
        .post(
            &format!("/api/target-users/{tid}/search"),
            token,
            json!({"pageNumber": 1, "pageSize": 50, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "Status", "Operator": "Include", "Value": "Error"}]}]}}),
            &scope(company),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    b
}

fn by_email<'a>(rows: &'a [Value], email: &str) -> &'a Value {
    rows.iter()
        .find(|r| {
            r["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .unwrap_or_else(|| panic!("{email} in {rows:?}"))
}

fn custom_value(row: &Value, name: &str) -> Option<String> {
    row["customFieldValues"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == name)
        .and_then(|v| v["value"].as_str().map(str::to_owned))
}

const TEMPLATE_CSV: &str =
    "\u{feff}Email Address,First Name,Last Name,Department,Phone Number,Priority,Office\r\n\
ada@imp.test,Ada,Lovelace,Research,'+44 20 7946 0000,High,Berlin\r\n\
bob@imp.test,,,New Dept,,,\r\n\
not-an-email,Bad,Row,,,,\r\n\
ADA@imp.test,Ada,Again,,,,\r\n\
cem@imp.test,Cem,,,,Urgent,\r\n\
zoe@imp.test,Zoë,Ünal,Ops,,,Izmir\r\n\
,,,,,,\r\n";

/// The whole flow, as Keepnet's UI drives it: upload, the file's head, the mapping (PascalCase
/// field names and a custom field), the preview's errors, ImportAll into a group, the job log.
async fn csv_import_end_to_end(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Importer"}))
        .await;
    let s = scope(&c);
    created(
        &srv,
        &root,
        "/api/custom-fields",
        json!({"name": "Office", "fieldDataType": "String"}),
        &s,
    )
    .await;
    let group = created(
        &srv,
        &root,
        "/api/target-groups",
        json!({"name": "Imported"}),
        &s,
    )
    .await;
    srv.create_user(
        &root,
        &c,
        json!({"email": "bob@imp.test", "firstName": "Bob", "department": "Old"}),
    )
    .await;

    let (st, b) = upload(
        &srv,
        &root,
        &c,
        "users.csv",
        TEMPLATE_CSV.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["rowCount"], 6, "the blank row is left out: {b}");
    assert_eq!(b["data"]["columnCount"], 7);
    assert_eq!(b["data"]["duplicateCount"], 1, "ADA repeats ada: {b}");
    let tid = b["data"]["transactionId"].as_str().expect("tid").to_owned();

    let (st, b) = srv
        .get(&format!("/api/target-users/upload/{tid}"), &root, &s)
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["fileType"], "Csv");
    assert_eq!(
        b["data"]["fileFieldNames"][0], "Email Address",
        "the BOM is not in the header"
    );
    assert_eq!(
        b["data"]["data"][0]["Phone Number"], "+44 20 7946 0000",
        "the export's ' is gone"
    );

    let maps = |pairs: &[(&str, &str)]| -> Value {
        pairs
            .iter()
            .map(|(c, f)| json!({"ExcelColumnName": c, "FieldName": f}))
            .collect()
    };
    let job = mapped(
        &srv,
        &root,
        &c,
        json!({"TransactionId": tid, "TargetGroupResourceIds": [group], "FieldMappings": maps(&[
            ("Email Address", "Email"), ("First Name", "FirstName"), ("Last Name", "LastName"),
            ("Department", "Department"), ("Phone Number", "PhoneNumber"), ("Priority", "Priority"),
            ("Office", "office")])}),
    )
    .await;
    assert_eq!(job["status"], "FinishedWithError", "{job}");
    assert_eq!(
        (
            &job["newUserCount"],
            &job["existingUserCount"],
            &job["invalidUserCount"]
        ),
        (&json!(2), &json!(1), &json!(3)),
        "ada and zoe new, bob exists; a bad email, a repeat and a bad priority: {job}"
    );

    let b = error_rows(&srv, &root, &c, &tid).await;
    let items = b["data"]["items"]["results"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(b["data"]["items"]["totalNumberOfRecords"], 3);
    assert_eq!(b["data"]["invalidUserCount"], 3);
    let problem = |row: i64| -> (String, String) {
        let r = items.iter().find(|r| r["rowNumber"] == row).expect("row");
        let d = &r["validationDetail"][0];
        (
            d["fieldName"].as_str().unwrap_or_default().to_owned(),
            d["message"].as_str().unwrap_or_default().to_owned(),
        )
    };
    assert_eq!(problem(3).0, "Email");
    assert!(problem(3).1.contains("not a valid email"), "{items:?}");
    assert_eq!(problem(4).0, "Email");
    assert!(problem(4).1.contains("row 1"), "{items:?}");
    assert_eq!(problem(5).0, "Priority");
    assert!(problem(5).1.contains("Urgent"), "{items:?}");

    // The preview as a file: every error row with its problems, a column per custom field;
    // a page of it is that page's rows.
    let export = |body: Value| {
        srv.http
            .post(srv.url(&format!("/api/target-users/{tid}/search/export?bom=false")))
            .bearer_auth(&root)
            .header("X-KEEPNET-Company-Id", c.as_str())
            .json(&body)
            .send()
    };
    let resp = export(
        json!({"exportType": "CSV", "reportAllPages": true, "pageSize": 1,
        "filter": {"FilterGroups": [{"FilterItems": [
            {"FieldName": "Status", "Operator": "Include", "Value": "Error"}]}]}}),
    )
    .await
    .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Row Number,Status,Email,First Name,Last Name,Department,Phone Number,Priority,Time Zone,Preferred Language,Office,Problems",
        "{csv}"
    );
    assert_eq!(lines.len(), 4, "the header and the three error rows: {csv}");
    assert!(
        lines[1].starts_with("3,Error,not-an-email,Bad,Row,"),
        "{csv}"
    );
    assert!(
        lines[1].contains("Email: ") && lines[1].contains("not a valid email"),
        "{csv}"
    );
    assert!(lines[3].starts_with("5,Error,cem@imp.test,Cem,"), "{csv}");
    assert!(lines[3].contains("Priority: "), "{csv}");
    let resp = export(json!({"exportType": "CSV", "pageNumber": 2, "pageSize": 2}))
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.expect("csv");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[0].starts_with("3,") && rows[1].starts_with("4,"),
        "{csv}"
    );
    assert!(rows.iter().all(|r| r.contains(",Error,")), "{csv}");
    let zoe_row = export(json!({"exportType": "CSV", "reportAllPages": true}))
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    assert!(
        zoe_row.contains("6,New,zoe@imp.test,Zoë,Ünal,Ops,,,,,Izmir,"),
        "{zoe_row}"
    );

    let before = srv
        .get("/api/target-users/count-summary", &root, &s)
        .await
        .1["data"]["totalNumberOfActiveUsers"]
        .as_i64()
        .expect("count");
    let job = imported(&srv, &root, &c, &tid, json!({"ImportType": "ImportAll"})).await;
    assert_eq!(job["statusName"], "FinishedWithError", "{job}");
    let parts = job["processResults"].as_array().expect("parts");
    assert_eq!(parts[0]["currentCount"], 2, "created: {job}");
    assert_eq!(parts[1]["currentCount"], 1, "updated: {job}");
    assert_eq!(parts[2]["currentCount"], 3, "skipped: {job}");
    assert!(
        parts[2]["processErrors"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("row 3 (not-an-email)")),
        "{job}"
    );

    let rows = users(&srv, &root, &c).await;
    assert_eq!(rows.len(), 3);
    let ada = by_email(&rows, "ada@imp.test");
    assert_eq!(ada["firstName"], "Ada");
    assert_eq!(ada["priority"], "High");
    assert_eq!(ada["phoneNumber"], "+442079460000");
    assert_eq!(custom_value(ada, "Office").as_deref(), Some("Berlin"));
    let zoe = by_email(&rows, "zoe@imp.test");
    assert_eq!(
        (&zoe["firstName"], &zoe["lastName"]),
        (&json!("Zoë"), &json!("Ünal"))
    );
    let bob = by_email(&rows, "bob@imp.test");
    assert_eq!(bob["department"], "New Dept", "an existing user is updated");
    assert_eq!(
        bob["firstName"], "Bob",
        "an empty cell keeps the user's value"
    );
    for r in &rows {
        assert!(
            r["targetGroups"]
                .as_array()
                .is_some_and(|g| g.len() == 1 && g[0]["name"] == "Imported"),
            "every imported user joins the mapped group: {r}"
        );
    }
    let after = srv
        .get("/api/target-users/count-summary", &root, &s)
        .await
        .1["data"]["totalNumberOfActiveUsers"]
        .as_i64()
        .expect("count");
    assert_eq!(after, before + 2, "the counters count the new users");
    let (_, g) = srv
        .post(
            "/api/target-groups/search",
            &root,
            json!({"pageNumber": 1, "pageSize": 10}),
            &s,
        )
        .await;
    assert_eq!(
        g["data"]["results"][0]["userCount"], 3,
        "the group's count: {g}"
    );

    // On SQLite the new users' trigrams are written once, at the end of the import (migration
    // 0019), and an updated department's are rewritten: `Contains` finds them. The import
    // drops the trigram triggers in its transaction and creates them again before it commits:
    // a user added after the import, and one changed after it, are indexed as before.
    let later = srv
        .create_user(
            &root,
            &c,
            json!({"email": "later@imp.test", "firstName": "Lateria"}),
        )
        .await;
    let (st, b) = srv
        .put(
            &format!("/api/target-users/{later}"),
            &root,
            json!({"email": "later@imp.test", "firstName": "Lateria", "department": "Quartermasters"}),
            &s,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    for (field, value, want) in [
        ("FirstName", "oë", "zoe@imp.test"),
        ("LastName", "velac", "ada@imp.test"),
        ("Department", "ew dep", "bob@imp.test"),
        ("FirstName", "ateri", "later@imp.test"),
        ("Department", "termast", "later@imp.test"),
    ] {
        let (st, b) = srv
            .post(
                "/api/target-users/search",
                &root,
                json!({"pageNumber": 1, "pageSize": 10, "filter": {"FilterGroups": [{"FilterItems": [
                    {"FieldName": field, "Operator": "Contains", "Value": value}]}]}}),
                &s,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
        let found: Vec<&str> = b["data"]["results"]
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|r| r["email"].as_str())
            .collect();
        assert_eq!(found, [want], "{field} Contains {value}: {b}");
    }
    if engine == Engine::Sqlite {
        // A small company's `Contains` may scan instead of reading the trigram index: ask the
        // index itself for the user added and the user changed after the import.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&srv.database_url())
            .await
            .expect("db");
        for (query, what) in [
            (
                "first_name_lower : ateri",
                "the user added after the import",
            ),
            (
                "department_lower : termast",
                "the user changed after the import",
            ),
        ] {
            let hits: Vec<(i64,)> = sqlx::query_as(
                "SELECT rowid FROM target_users_fts WHERE target_users_fts MATCH $1",
            )
            .bind(query)
            .fetch_all(&pool)
            .await
            .expect("match");
            assert_eq!(hits.len(), 1, "{what} is in the trigram index");
        }
        pool.close().await;
    }
    let (st, b) = srv
        .post(
            "/api/target-users/search",
            &root,
            json!({"pageNumber": 1, "pageSize": 10, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "Department", "Operator": "Contains", "Value": "old"}]}]}}),
            &s,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(
        b["data"]["totalNumberOfRecords"], 0,
        "bob's old department is gone from the index: {b}"
    );

    let (st, b) = srv.get("/api/jobs", &root, &s).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["data"][0]["resourceId"], job["resourceId"]);
    assert_eq!(b["data"][0]["isFinished"], true);
    assert_eq!(b["data"][0]["progress"], 100.0);
}

/// Uploads `csv` and maps it by its headers (no fieldMappings: guessed); the transaction id.
async fn fresh_upload(srv: &TestServer, root: &str, c: &str, csv: &str) -> String {
    let tid = uploaded(srv, root, c, "t.csv", csv.as_bytes().to_vec()).await;
    let job = mapped(srv, root, c, json!({"transactionId": tid})).await;
    assert_eq!(job["status"], "Finished", "{job}");
    tid
}

/// OnlyNew, OnlyUpdateExisting and ImportSelected apply what they name; the docs' `All`.
async fn import_types(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Types"}))
        .await;
    let s = scope(&c);
    srv.create_user(
        &root,
        &c,
        json!({"email": "old@t.test", "department": "Before"}),
    )
    .await;
    let csv = "email,department\nold@t.test,After\nnew@t.test,Fresh\nother@t.test,Other\n";
    let tid = fresh_upload(&srv, &root, &c, csv).await;
    let job = imported(&srv, &root, &c, &tid, json!({"importType": "OnlyNew"})).await;
    assert_eq!(job["processResults"][0]["currentCount"], 2, "{job}");
    assert_eq!(job["processResults"][1]["currentCount"], 0, "{job}");
    let rows = users(&srv, &root, &c).await;
    assert_eq!(by_email(&rows, "old@t.test")["department"], "Before");
    assert_eq!(rows.len(), 3);

    let tid = fresh_upload(&srv, &root, &c, csv).await;
    let job = imported(
        &srv,
        &root,
        &c,
        &tid,
        json!({"importType": "OnlyUpdateExisting"}),
    )
    .await;
    assert_eq!(
        job["processResults"][1]["currentCount"], 3,
        "all three exist now: {job}"
    );
    assert_eq!(
        by_email(&users(&srv, &root, &c).await, "old@t.test")["department"],
        "After"
    );

    srv.create_user(&root, &c, json!({"email": "x@t.test"}))
        .await;
    let tid = uploaded(
        &srv,
        &root,
        &c,
        "sel.csv",
        b"Email\na@sel.test\nb@sel.test\n".to_vec(),
    )
    .await;
    mapped(&srv, &root, &c, json!({"transactionId": tid})).await;
    let (_, b) = srv
        .post(
            &format!("/api/target-users/{tid}/search"),
            &root,
            json!({}),
            &s,
        )
        .await;
    let second = b["data"]["items"]["results"][1]["resourceId"].clone();
    assert_eq!(b["data"]["items"]["results"][1]["email"], "b@sel.test");
    let job = imported(
        &srv,
        &root,
        &c,
        &tid,
        json!({"ImportType": "ImportSelected", "SelectedResourceIds": [second]}),
    )
    .await;
    assert_eq!(job["processResults"][0]["currentCount"], 1, "{job}");
    let rows = users(&srv, &root, &c).await;
    assert!(rows.iter().any(|r| r["email"] == "b@sel.test"));
    assert!(!rows.iter().any(|r| r["email"] == "a@sel.test"));

    let (st, b) = srv
        .post(
            &format!("/api/target-users/{tid}/import"),
            &root,
            json!({"importType": "Everything"}),
            &s,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    assert!(
        b["message"].as_str().is_some_and(|m| m.contains("OnlyNew")),
        "{b}"
    );
    // A selected id that no row of the upload has is refused, naming it; nothing starts.
    let (st, b) = srv
        .post(
            &format!("/api/target-users/{tid}/import"),
            &root,
            json!({"importType": "Selected", "selectedResourceIds": [second, "noSuchRow"]}),
            &s,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    assert!(
        b["message"]
            .as_str()
            .is_some_and(|m| m.contains("a row not in this upload (noSuchRow)")),
        "{b}"
    );
}

/// CSV in Windows-1252, UTF-16 and with `;`, and an `.xlsx` whose phone numbers are numbers and
/// whose hire dates are date cells, read as people typed them.
async fn encodings_and_excel(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Encodings"}))
        .await;
    created(
        &srv,
        &root,
        "/api/custom-fields",
        json!({"name": "Hired", "fieldDataType": "Date"}),
        &scope(&c),
    )
    .await;

    // Windows-1252: ë is 0xEB.
    let mut cp1252 = b"Email;First Name\r\nw@enc.test;Zo".to_vec();
    cp1252.push(0xEB);
    cp1252.extend_from_slice(b"\r\n");
    // UTF-16 little-endian with its BOM.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "Email,First Name\nu@enc.test,Ünal\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    // `;`-separated under a blank line and a row of separators Excel left above the header.
    let above = b"\r\n;;\r\nEmail;First Name\r\nsemi@enc.test;Semi, Colon\r\n".to_vec();
    for (name, bytes) in [("w.csv", cp1252), ("u.csv", utf16), ("s.csv", above)] {
        let tid = uploaded(&srv, &root, &c, name, bytes).await;
        let job = mapped(&srv, &root, &c, json!({"transactionId": tid})).await;
        assert_eq!(job["status"], "Finished", "{name}: {job}");
        imported(&srv, &root, &c, &tid, json!({"importType": "All"})).await;
    }

    // An .xlsx written by the server's own Excel writer (what an export gives).
    use rollcall_server::export::{xlsx, Cell, ChannelRows};
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<Vec<Cell>>, String>>(1);
    tx.send(Ok(vec![vec![
        Cell::Text("x@enc.test".into()),
        Cell::Int(Some(905_551_234_567)),
        Cell::Date(1_709_251_200_000),
    ]]))
    .await
    .expect("send");
    drop(tx);
    let mut file = tokio::task::spawn_blocking(move || {
        xlsx::write(
            &["Email", "Phone Number", "Hired"],
            ChannelRows::new(rx),
            |r: &Vec<Cell>| r.clone(),
        )
    })
    .await
    .expect("join")
    .expect("xlsx");
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes).expect("read");
    let (st, b) = upload(&srv, &root, &c, "x.xlsx", bytes).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let tid = b["data"]["transactionId"].as_str().expect("tid").to_owned();
    let (_, head) = srv
        .get(
            &format!("/api/target-users/upload/{tid}"),
            &root,
            &scope(&c),
        )
        .await;
    assert_eq!(head["data"]["fileType"], "Xlsx");
    assert_eq!(head["data"]["sheetNames"][0], "Sheet1");
    let job = mapped(&srv, &root, &c, json!({"transactionId": tid})).await;
    assert_eq!(job["status"], "Finished", "{job}");
    imported(&srv, &root, &c, &tid, json!({"importType": "ImportAll"})).await;

    // An .xlsx written by rust_xlsxwriter as Excel writes one: text in the shared strings
    // table, a phone number Excel turned into a number, a date cell with a day-first format,
    // the `'` of a neutralised export, and a header with other spacing and case.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Staff").expect("name");
    let day_first = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (col, h) in [
        "  EMAIL address ",
        "First Name",
        "Phone Number",
        "Hired",
        "Department",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *h).expect("header");
    }
    sheet.write_string(1, 0, "y@enc.test").expect("cell");
    sheet.write_string(1, 1, "Çağla").expect("cell");
    sheet.write_number(1, 2, 447_700_900_123.0).expect("cell");
    let hired = rust_xlsxwriter::ExcelDateTime::from_ymd(2023, 12, 31).expect("date");
    sheet
        .write_datetime_with_format(1, 3, &hired, &day_first)
        .expect("cell");
    sheet.write_string(1, 4, "'=Ops").expect("cell");
    let bytes = book.save_to_buffer().expect("xlsx");
    let (st, b) = upload(&srv, &root, &c, "staff.xlsx", bytes).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let tid = b["data"]["transactionId"].as_str().expect("tid").to_owned();
    let (_, head) = srv
        .get(
            &format!("/api/target-users/upload/{tid}"),
            &root,
            &scope(&c),
        )
        .await;
    assert_eq!(head["data"]["sheetNames"][0], "Staff");
    let job = mapped(&srv, &root, &c, json!({"transactionId": tid})).await;
    assert_eq!(job["status"], "Finished", "{job}");
    imported(&srv, &root, &c, &tid, json!({"importType": "ImportAll"})).await;

    let rows = users(&srv, &root, &c).await;
    let y = by_email(&rows, "y@enc.test");
    assert_eq!(y["firstName"], "Çağla");
    assert_eq!(y["phoneNumber"], "447700900123", "{y}");
    assert_eq!(y["department"], "=Ops", "the export's ' is removed: {y}");
    assert_eq!(custom_value(y, "Hired").as_deref(), Some("2023-12-31"));
    assert_eq!(by_email(&rows, "w@enc.test")["firstName"], "Zoë");
    assert_eq!(by_email(&rows, "semi@enc.test")["firstName"], "Semi, Colon");
    assert_eq!(by_email(&rows, "u@enc.test")["firstName"], "Ünal");
    let x = by_email(&rows, "x@enc.test");
    assert_eq!(
        x["phoneNumber"], "905551234567",
        "a number cell reads as its digits"
    );
    assert_eq!(custom_value(x, "Hired").as_deref(), Some("2024-03-01"));
}

/// Files rollcall cannot read, mappings that do not fit, unknown transactions, the size limit,
/// and an import that fails: nothing of it is applied.
async fn bad_input_and_failed_imports(engine: Engine) {
    let Some(srv) = TestServer::start_with(engine, |c| c.import_max_bytes = 4096).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Refusals"}))
        .await;
    let s = scope(&c);
    for (bytes, needle) in [
        (vec![], "empty"),
        (b"\0\x01\x02binary\0".to_vec(), "neither CSV nor Excel"),
        (b"\n\n".to_vec(), "no header row"),
    ] {
        let (st, b) = upload(&srv, &root, &c, "bad.csv", bytes).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
        assert!(
            b["message"].as_str().is_some_and(|m| m.contains(needle)),
            "{needle}: {b}"
        );
    }
    let (st, b) = upload(&srv, &root, &c, "big.csv", vec![b'a'; 5000]).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{b}");
    assert_eq!(b["status"], "PAYLOAD_TOO_LARGE");

    let tid = uploaded(
        &srv,
        &root,
        &c,
        "ok.csv",
        b"Name,Mail\nAda,ada@r.test\n".to_vec(),
    )
    .await;
    let (st, b) = srv
        .post(
            "/api/target-users/create-mapping",
            &root,
            json!({"transactionId": tid, "fieldMappings": [
                {"excelColumnName": "Name", "fieldName": "FirstName"},
                {"excelColumnName": "Nope", "fieldName": "Email"}]}),
            &s,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    let text = b.to_string();
    assert!(
        text.contains("no column 'Nope'") && text.contains("Name, Mail"),
        "{b}"
    );
    assert!(text.contains("no column is mapped to Email"), "{b}");
    let (st, b) = srv
        .post(
            &format!("/api/target-users/{tid}/import"),
            &root,
            json!({"importType": "All"}),
            &s,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "no mapping yet: {b}");
    for path in [
        "/api/target-users/upload/nosuchupload".to_owned(),
        "/api/target-users/mapping-job/nosuchjob".to_owned(),
        "/api/jobs/nosuchjob".to_owned(),
    ] {
        let (st, b) = srv.get(&path, &root, &s).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {b}");
    }
    // Another company does not see this upload.
    let other = srv
        .create_company(&root, None, json!({"name": "Refusals 2"}))
        .await;
    let (st, _) = srv
        .get(
            &format!("/api/target-users/upload/{tid}"),
            &root,
            &scope(&other),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // A renewed transaction id replaces the old one.
    let (st, b) = srv
        .put(
            &format!("/api/target-users/{tid}/update"),
            &root,
            json!({}),
            &s,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["oldTransactionId"], tid.as_str());
    let renewed = b["data"]["transactionId"].as_str().expect("new").to_owned();
    let (st, _) = srv
        .get(&format!("/api/target-users/upload/{tid}"), &root, &s)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // All or nothing: the custom field a mapping checked values for is deleted before the
    // import, so writing the second user's value fails; the first user is not left behind.
    created(
        &srv,
        &root,
        "/api/custom-fields",
        json!({"name": "Desk", "fieldDataType": "String"}),
        &s,
    )
    .await;
    let tid2 = uploaded(
        &srv,
        &root,
        &c,
        "desk.csv",
        b"Email,Desk\none@r.test,\ntwo@r.test,D2\n".to_vec(),
    )
    .await;
    let job = mapped(&srv, &root, &c, json!({"transactionId": tid2})).await;
    assert_eq!(job["newUserCount"], 2, "{job}");
    let (st, b) = srv
        .post(
            "/api/custom-fields/bulk-update",
            &root,
            json!({"targetUserCustomFields": []}),
            &s,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let job = imported(&srv, &root, &c, &tid2, json!({"importType": "All"})).await;
    assert_eq!(job["statusName"], "Failed", "{job}");
    assert!(
        job["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("nothing of it was applied")
                && m.contains("custom field the mapping names was deleted")),
        "{job}"
    );
    assert!(
        users(&srv, &root, &c).await.is_empty(),
        "no user of the failed import stays"
    );
    // So with a group the mapping names, deleted before the import.
    let group = created(
        &srv,
        &root,
        "/api/target-groups",
        json!({"name": "Gone"}),
        &s,
    )
    .await;
    let tid3 = uploaded(
        &srv,
        &root,
        &c,
        "g.csv",
        b"Email
g@r.test
"
        .to_vec(),
    )
    .await;
    let job = mapped(
        &srv,
        &root,
        &c,
        json!({"transactionId": tid3, "targetGroupResourceIds": [group]}),
    )
    .await;
    assert_eq!(job["newUserCount"], 1, "{job}");
    let (st, b) = srv
        .delete(&format!("/api/target-groups/{group}"), &root, &s)
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let job = imported(&srv, &root, &c, &tid3, json!({"importType": "All"})).await;
    assert_eq!(job["statusName"], "Failed", "{job}");
    assert!(
        job["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("target group the mapping names was deleted")),
        "{job}"
    );
    assert!(users(&srv, &root, &c).await.is_empty(), "{job}");
    let (_, sum) = srv.get("/api/target-users/count-summary", &root, &s).await;
    assert_eq!(sum["data"]["totalNumberOfActiveUsers"], 0, "{sum}");

    // The renewed upload still imports.
    let job = mapped(
        &srv,
        &root,
        &c,
        json!({"transactionId": renewed, "fieldMappings": [
        {"excelColumnName": "Mail", "fieldName": "email"}]}),
    )
    .await;
    assert_eq!(job["status"], "Finished", "{job}");
    let job = imported(&srv, &root, &c, &renewed, json!({"importType": "All"})).await;
    assert_eq!(job["statusName"], "Finished", "{job}");
    assert_eq!(users(&srv, &root, &c).await.len(), 1);

    // A required custom field: a new user without a value is an Error row, as through
    // POST /api/target-users; an existing user may go without.
    created(
        &srv,
        &root,
        "/api/custom-fields",
        json!({"name": "Badge", "fieldDataType": "String", "isRequired": true}),
        &s,
    )
    .await;
    let tid3 = uploaded(
        &srv,
        &root,
        &c,
        "req.csv",
        b"Email\nada@r.test\nnew@r.test\n".to_vec(),
    )
    .await;
    let job = mapped(&srv, &root, &c, json!({"transactionId": tid3})).await;
    assert_eq!(
        (&job["existingUserCount"], &job["invalidUserCount"]),
        (&json!(1), &json!(1)),
        "{job}"
    );
    let (_, b) = srv
        .post(
            &format!("/api/target-users/{tid3}/search"),
            &root,
            json!({}),
            &s,
        )
        .await;
    assert_eq!(
        b["data"]["items"]["results"][1]["validationDetail"][0]["fieldName"], "Badge",
        "{b}"
    );

    // A company that imported (uploads, jobs) can be deleted.
    let (st, b) = srv.delete(&format!("/api/companies/{c}"), &root, &[]).await;
    assert_eq!(st, StatusCode::OK, "{b}");
}

both_engines!(
    csv_import_end_to_end,
    import_types,
    encodings_and_excel,
    bad_input_and_failed_imports,
    repeats_far_apart,
    mapped_again_to_another_email_column,
    company_deleted_while_its_import_runs
);

/// Deleting a company waits for its running import instead of deadlocking with it (the
/// import holds its upload, then needs the company's row for its new users).
async fn company_deleted_while_its_import_runs(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Going Away"}))
        .await;
    let group = srv
        .post(
            "/api/target-groups",
            &root,
            json!({"name": "Imported", "priority": "2"}),
            &scope(&c),
        )
        .await;
    assert_eq!(group.0, StatusCode::OK, "{}", group.1);
    let group = group.1["data"]["resourceId"]
        .as_str()
        .expect("group")
        .to_owned();
    let mut csv = String::from("Email,First Name\n");
    for i in 1..=20_000 {
        csv.push_str(&format!("g{i}@away.test,G{i}\n"));
    }
    let (st, b) = upload(&srv, &root, &c, "away.csv", csv.into_bytes()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let tid = b["data"]["transactionId"].as_str().expect("tid").to_owned();
    let job = mapped(
        &srv,
        &root,
        &c,
        json!({"transactionId": tid, "targetGroupResourceIds": [group]}),
    )
    .await;
    assert_eq!(job["newUserCount"], 20_000, "{job}");
    let (st, b) = srv
        .post(
            &format!("/api/target-users/{tid}/import"),
            &root,
            json!({"importType": "ImportAll"}),
            &scope(&c),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = srv.delete(&format!("/api/companies/{c}"), &root, &[]).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = srv.get(&format!("/api/companies/{c}"), &root, &[]).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b}");
}

/// The upload counts repeats in the column it guesses is the email, and a mapping may name
/// another; mapping the file again re-checks every row. Past 2,000 rows (a batch of checks),
/// an email is compared only with rows this mapping checked.
async fn mapped_again_to_another_email_column(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Two Emails"}))
        .await;
    let mut csv = String::from("Email,Work Email,First Name\n");
    for i in 1..=4500 {
        csv.push_str(&format!("shared{}@two.test,w{i}@two.test,U{i}\n", i % 3));
    }
    let (st, b) = upload(&srv, &root, &c, "two.csv", csv.into_bytes()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["duplicateCount"], 4497, "{b}");
    let tid = b["data"]["transactionId"].as_str().expect("tid").to_owned();
    let work = json!({"transactionId": tid, "fieldMappings": [
        {"excelColumnName": "Work Email", "fieldName": "Email"},
        {"excelColumnName": "First Name", "fieldName": "FirstName"}]});
    let shared = json!({"transactionId": tid, "fieldMappings": [
        {"excelColumnName": "Email", "fieldName": "Email"},
        {"excelColumnName": "First Name", "fieldName": "FirstName"}]});
    let counts = |job: &Value| (job["newUserCount"].clone(), job["invalidUserCount"].clone());
    let job = mapped(&srv, &root, &c, work.clone()).await;
    assert_eq!(counts(&job), (json!(4500), json!(0)), "{job}");
    let job = mapped(&srv, &root, &c, shared).await;
    assert_eq!(counts(&job), (json!(3), json!(4497)), "{job}");
    let job = mapped(&srv, &root, &c, work).await;
    assert_eq!(counts(&job), (json!(4500), json!(0)), "{job}");
    assert_eq!(
        error_rows(&srv, &root, &c, &tid).await["data"]["items"]["totalNumberOfRecords"],
        0
    );
}

/// An email repeated 5,000 rows later (the upload and the checks read 2,000 rows at a time,
/// and keep only a batch's emails): counted at upload, an error naming the first row. The
/// preview's file holds every row (its export reads 5,000 at a time).
async fn repeats_far_apart(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Repeats"}))
        .await;
    let mut csv = String::from("Email,First Name\n");
    for i in 1..=5100 {
        csv.push_str(&format!("u{i}@rep.test,U{i}\n"));
    }
    csv.push_str("U7@REP.TEST,Again\nu7@rep.test,Thrice\n");
    let (st, b) = upload(&srv, &root, &c, "rep.csv", csv.into_bytes()).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["rowCount"], 5102);
    assert_eq!(b["data"]["duplicateCount"], 2, "{b}");
    let tid = b["data"]["transactionId"].as_str().expect("tid").to_owned();
    let job = mapped(&srv, &root, &c, json!({"transactionId": tid})).await;
    assert_eq!(
        (&job["newUserCount"], &job["invalidUserCount"]),
        (&json!(5100), &json!(2)),
        "{job}"
    );
    let b = error_rows(&srv, &root, &c, &tid).await;
    let rows = b["data"]["items"]["results"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{b}");
    for r in rows {
        assert!(
            r["validationDetail"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("row 7 ")),
            "each repeat names the first row: {r}"
        );
    }
    let csv = srv
        .http
        .post(srv.url(&format!("/api/target-users/{tid}/search/export?bom=false")))
        .bearer_auth(&root)
        .header("X-KEEPNET-Company-Id", c.as_str())
        .json(&json!({"exportType": "CSV", "reportAllPages": true}))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5103, "the header and every row");
    assert!(
        lines[5001].starts_with("5001,New,u5001@rep.test,"),
        "{}",
        lines[5001]
    );
    assert!(lines[5102].starts_with("5102,Error,"), "{}", lines[5102]);
}
