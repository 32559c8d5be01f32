//! `rollcall users ...` and `rollcall token` against a real server on both engines.

use crate::common::{Engine, Run, TestServer, ROOT_ID, ROOT_SECRET};
use serde_json::{json, Value};

fn rows(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

fn field(v: &Value, name: &str) -> Vec<String> {
    rows(v)
        .iter()
        .map(|r| r[name].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn id_of(run: &Run) -> String {
    run.json()["resourceId"]
        .as_str()
        .unwrap_or_else(|| panic!("{run:?}"))
        .to_owned()
}

async fn crud_and_list(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Hooli"}))
        .await;

    // add
    let ann = id_of(
        &s.run(&[
            "users",
            "add",
            "--company",
            "Hooli",
            "--email",
            "ann@hooli.test",
            "--first-name",
            "Ann",
            "--last-name",
            "Archer",
            "--department",
            "Sales",
            "--priority",
            "High",
            "--phone",
            "+44 20 7946 0000",
        ])
        .await,
    );
    let bob = id_of(
        &s.run(&[
            "users",
            "add",
            "--company",
            &company,
            "--email",
            "bob@hooli.test",
            "--first-name",
            "Bob",
            "--department",
            "Engineering",
            "--inactive",
        ])
        .await,
    );
    let cat = id_of(
        &s.run(&[
            "users",
            "add",
            "--company",
            "hooli",
            "--email",
            "cat@hooli.test",
            "--first-name",
            "Cat",
            "--department",
            "Sales Ops",
            "--manager-first-name",
            "Ann",
            "--manager-last-name",
            "Archer",
        ])
        .await,
    );
    // A duplicate email is the API's 409: exit 4 with its message.
    let dup = s
        .run(&[
            "users",
            "add",
            "--company",
            "Hooli",
            "--email",
            "ANN@hooli.test",
        ])
        .await;
    dup.code(4);
    assert!(
        dup.stderr.contains("HTTP 409") && dup.stderr.contains("already exists"),
        "{dup:?}"
    );

    // get
    let got = s
        .run(&["users", "get", "--company", "Hooli", &ann])
        .await
        .json();
    assert_eq!(got["email"], "ann@hooli.test");
    assert_eq!(got["priority"], "High");
    assert_eq!(got["phoneNumber"], "+442079460000");
    assert_eq!(got["isActive"], true);
    let table = s
        .run(&[
            "users",
            "get",
            "--company",
            "Hooli",
            &cat,
            "--output",
            "table",
        ])
        .await;
    table.code(0);
    assert!(
        table.stdout.contains("Manager") && table.stdout.contains("Ann Archer"),
        "{table:?}"
    );
    // Unknown user: 404, exit 3.
    s.run(&["users", "get", "--company", "Hooli", "AAAAAAAAAAAA"])
        .await
        .code(3);

    // update: only the given fields change; --inactive flips the status.
    let upd = s
        .run(&[
            "users",
            "update",
            "--company",
            "Hooli",
            &ann,
            "--department",
            "Marketing",
            "--inactive",
        ])
        .await;
    assert_eq!(id_of(&upd), ann);
    let got = s
        .run(&["users", "get", "--company", "Hooli", &ann])
        .await
        .json();
    assert_eq!(got["department"], "Marketing");
    assert_eq!(got["isActive"], false);
    assert_eq!(got["firstName"], "Ann", "untouched fields keep their value");
    assert_eq!(got["phoneNumber"], "+442079460000");
    s.run(&["users", "update", "--company", "Hooli", &ann, "--active"])
        .await
        .code(0);

    // list: everything, then each filter.
    let list = |args: &[&str]| {
        let mut full = vec!["users", "list", "--company", "Hooli"];
        full.extend_from_slice(args);
        let full: Vec<String> = full.iter().map(|s| (*s).to_owned()).collect();
        let s = &s;
        async move {
            let args: Vec<&str> = full.iter().map(String::as_str).collect();
            s.run(&args).await.json()
        }
    };
    let all = list(&["--sort", "Email"]).await;
    assert_eq!(
        field(&all, "email"),
        ["ann@hooli.test", "bob@hooli.test", "cat@hooli.test"]
    );
    let desc = list(&["--sort", "Email", "--desc"]).await;
    assert_eq!(
        field(&desc, "email"),
        ["cat@hooli.test", "bob@hooli.test", "ann@hooli.test"]
    );
    let limited = list(&["--sort", "FirstName", "--limit", "2"]).await;
    assert_eq!(field(&limited, "firstName"), ["Ann", "Bob"]);
    assert_eq!(
        field(&list(&["--status", "inactive"]).await, "email"),
        ["bob@hooli.test"]
    );
    assert_eq!(
        field(
            &list(&["--status", "active", "--sort", "Email"]).await,
            "email"
        ),
        ["ann@hooli.test", "cat@hooli.test"]
    );
    // --search looks in names, email and department, any case.
    assert_eq!(
        field(
            &list(&["--search", "SALES", "--sort", "Email"]).await,
            "email"
        ),
        ["cat@hooli.test"]
    );
    assert_eq!(
        field(&list(&["--search", "archer"]).await, "email"),
        ["ann@hooli.test"]
    );
    assert_eq!(
        field(
            &list(&[
                "--where",
                "Department",
                "Contains",
                "eng",
                "--where",
                "Status",
                "Include",
                "0"
            ])
            .await,
            "email"
        ),
        ["bob@hooli.test"]
    );
    assert_eq!(
        field(&list(&["--where", "Priority", "=", "High"]).await, "email"),
        ["ann@hooli.test"]
    );
    // A field the API does not know: its 400 message names it; exit 4.
    let bad = s
        .run(&[
            "users",
            "list",
            "--company",
            "Hooli",
            "--where",
            "Shoe",
            "=",
            "42",
        ])
        .await;
    bad.code(4);
    assert!(
        bad.stderr.contains("Shoe") && bad.stderr.contains("HTTP 400"),
        "{bad:?}"
    );

    // delete (several at once), then the deleted ones are listed as such.
    let del = s
        .run(&["users", "delete", "--company", "Hooli", &bob, &cat])
        .await
        .json();
    assert_eq!(del, json!({"deleted": [bob, cat]}));
    let deleted = list(&["--status", "deleted", "--sort", "Email"]).await;
    assert_eq!(
        field(&deleted, "email"),
        ["bob@hooli.test", "cat@hooli.test"]
    );
    assert!(rows(&deleted).iter().all(|r| r["isDeleted"] == true));
    let table = s
        .run(&[
            "users",
            "list",
            "--company",
            "Hooli",
            "--sort",
            "Email",
            "--output",
            "table",
        ])
        .await;
    let bob_line = table
        .stdout
        .lines()
        .find(|l| l.contains("bob@hooli.test"))
        .unwrap_or_else(|| panic!("{table:?}"))
        .to_owned();
    assert!(bob_line.contains("Deleted"), "{bob_line}");
    // Deleting again: the API's 409, exit 4.
    s.run(&["users", "delete", "--company", "Hooli", &bob])
        .await
        .code(4);
    s.finish().await;
}

async fn count(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let mut ids = Vec::new();
    for (name, active, inactive, deleted) in
        [("Alpha", 3, 1, 1), ("Beta", 0, 2, 0), ("Gamma", 5, 0, 2)]
    {
        let c = s.create_company(&token, None, json!({"name": name})).await;
        for i in 0..(active + inactive + deleted) {
            let id = s
                .create_user(
                    &token,
                    &c,
                    json!({"email": format!("u{i}@{name}.test"), "isActive": i >= inactive}),
                )
                .await;
            if i >= active + inactive {
                let (status, body) = s
                    .call(
                        reqwest::Method::DELETE,
                        &format!("/api/target-users/{id}"),
                        &token,
                        None,
                        &[(crate::common::SCOPE, c.as_str())],
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
            }
        }
        ids.push((name, c));
    }
    let report = s.run(&["users", "count", "--all-companies"]).await.json();
    let companies = rows(&report["companies"]);
    assert_eq!(companies.len(), 3);
    let mut totals = [0i64; 4];
    for (name, id) in &ids {
        let row = companies
            .iter()
            .find(|r| r["companyResourceId"] == id.as_str())
            .unwrap_or_else(|| panic!("{name} missing: {report}"));
        assert_eq!(row["company"], *name);
        // The CLI's numbers are the API's count-summary numbers.
        let summary = s.count_summary(&token, id).await;
        let monthly = summary["monthlyActiveUsers"]
            .as_array()
            .and_then(|m| m.last())
            .map(|m| m["count"].as_i64().unwrap_or_default())
            .unwrap_or_default();
        let want = [
            summary["totalNumberOfActiveUsers"].as_i64().unwrap_or(-1),
            summary["totalNumberOfInActiveUsers"].as_i64().unwrap_or(-1),
            summary["totalNumberOfDeletedUsers"].as_i64().unwrap_or(-1),
            monthly,
        ];
        let got = [
            row["active"].as_i64().unwrap_or(-2),
            row["inactive"].as_i64().unwrap_or(-2),
            row["deleted"].as_i64().unwrap_or(-2),
            row["monthly"].as_i64().unwrap_or(-2),
        ];
        assert_eq!(got, want, "{name}");
        for (t, g) in totals.iter_mut().zip(got) {
            *t += g;
        }
    }
    assert_eq!(totals, [8, 3, 3, 14], "all created this month");
    assert_eq!(
        report["totals"],
        json!({"active": totals[0], "inactive": totals[1], "deleted": totals[2], "monthly": totals[3]})
    );
    // One company.
    let one = s
        .run(&["users", "count", "--company", "gamma"])
        .await
        .json();
    assert_eq!(rows(&one["companies"]).len(), 1);
    assert_eq!(one["totals"]["active"], 5);
    assert_eq!(one["totals"]["deleted"], 2);
    // The table ends with the totals.
    let table = s
        .run(&["users", "count", "--all-companies", "--output", "table"])
        .await;
    let last = table
        .stdout
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_owned();
    assert!(last.trim_start().starts_with("Total"), "{table:?}");
    let numbers: Vec<&str> = last.split_whitespace().skip(1).collect();
    assert_eq!(numbers, ["8", "3", "3", "14"]);
    // --company and --all-companies together is a usage error (exit 1), and so is neither.
    s.run(&["users", "count", "--company", "Alpha", "--all-companies"])
        .await
        .code(1);
    s.run(&["users", "count"]).await.code(1);
    s.finish().await;
}

/// Reads a CSV file (BOM stripped) into records.
pub(crate) fn read_csv(path: &std::path::Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.expect("csv record").iter().map(str::to_owned).collect())
        .collect()
}

async fn exports(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let mut companies = Vec::new();
    for (name, n) in [("North, Inc", 7), ("South \"Co\"", 0), ("=East", 4)] {
        let c = s.create_company(&token, None, json!({"name": name})).await;
        for i in 0..n {
            s.create_user(
                &token,
                &c,
                json!({"email": format!("user{i}@{}.test", name.len()), "firstName": format!("Name, {i}"),
                       "lastName": "Line\nBreak", "department": "Dept \"Q\"", "phoneNumber": "+1 555 0100"}),
            )
            .await;
        }
        companies.push((name, c, n));
    }
    let path = |n: &str| s.file(n).display().to_string();

    // csv for one company: byte for byte the server's own export (same body).
    s.run(&[
        "users",
        "export",
        "--company",
        "North, Inc",
        "--format",
        "csv",
        "-o",
        &path("north.csv"),
    ])
    .await
    .code(0);
    let resp = s
        .http
        .post(s.url("/api/target-users/search/export"))
        .bearer_auth(&token)
        .header(crate::common::SCOPE, &companies[0].1)
        .json(&json!({"exportType": "CSV", "reportAllPages": true, "orderBy": "CreateTime", "ascending": true}))
        .send()
        .await
        .expect("export");
    let direct = resp.bytes().await.expect("bytes");
    let mine = std::fs::read(s.file("north.csv")).expect("north.csv");
    assert_eq!(mine, direct.to_vec());
    assert!(mine.starts_with(b"\xEF\xBB\xBF"));
    let records = read_csv(&s.file("north.csv"));
    assert_eq!(records.len(), 8);
    assert_eq!(
        records[1][4], "'+15550100",
        "formula-like cells stay neutralised"
    );
    assert!(!s.file("north.csv.partial").exists());

    // xlsx and pdf for one company.
    s.run(&[
        "users",
        "export",
        "--company",
        "North, Inc",
        "--format",
        "xlsx",
        "-o",
        &path("north.xlsx"),
    ])
    .await
    .code(0);
    {
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook(s.file("north.xlsx")).expect("xlsx");
        let range = wb
            .worksheet_range_at(0)
            .expect("a sheet")
            .expect("readable");
        assert_eq!(range.height(), 8);
    }
    s.run(&[
        "users",
        "export",
        "--company",
        "North, Inc",
        "--format",
        "pdf",
        "-o",
        &path("north.pdf"),
    ])
    .await
    .code(0);
    assert!(std::fs::read(s.file("north.pdf"))
        .expect("pdf")
        .starts_with(b"%PDF"));

    // json and ndjson for one company, with a filter.
    s.run(&[
        "users",
        "export",
        "--company",
        "=East",
        "--format",
        "json",
        "-o",
        &path("east.json"),
    ])
    .await
    .code(0);
    let east: Value =
        serde_json::from_slice(&std::fs::read(s.file("east.json")).expect("json")).expect("json");
    assert_eq!(rows(&east).len(), 4);
    assert_eq!(rows(&east)[0]["lastName"], "Line\nBreak");
    assert!(
        rows(&east)[0].get("company").is_none(),
        "no company column for one company"
    );
    s.run(&[
        "users",
        "export",
        "--company",
        "=East",
        "--format",
        "ndjson",
        "-o",
        &path("east.ndjson"),
        "--where",
        "Email",
        "Contains",
        "user1",
        "--page-size",
        "1",
    ])
    .await
    .code(0);
    let text = std::fs::read_to_string(s.file("east.ndjson")).expect("ndjson");
    assert_eq!(text.lines().count(), 1, "{text}");
    // An empty result is still valid JSON.
    s.run(&[
        "users",
        "export",
        "--company",
        "South \"Co\"",
        "--format",
        "json",
        "-o",
        &path("south.json"),
    ])
    .await
    .code(0);
    assert_eq!(
        serde_json::from_slice::<Value>(&std::fs::read(s.file("south.json")).expect("json"))
            .expect("json"),
        json!([])
    );

    // --all-companies csv: one header with Company first, every user once, the right company.
    let run = export_all(&s, "csv", "all.csv", &[]).await;
    run.code(0);
    assert!(
        run.stderr.contains("Wrote 11 users of 3 companies"),
        "{run:?}"
    );
    let all = read_csv(&s.file("all.csv"));
    assert_eq!(all[0][0], "Company");
    assert_eq!(all[0][1..], records[0][..], "the server's columns follow");
    assert_eq!(all.len(), 12);
    let count = |name: &str| all.iter().filter(|r| r[0] == name).count();
    assert_eq!(count("North, Inc"), 7);
    assert_eq!(
        count("'=East"),
        4,
        "company names are neutralised like other cells"
    );
    assert_eq!(count("South \"Co\""), 0);
    // The data cells are the per-company export's.
    let north_rows: Vec<&Vec<String>> = all.iter().filter(|r| r[0] == "North, Inc").collect();
    for (mine, theirs) in north_rows.iter().zip(&records[1..]) {
        assert_eq!(mine[1..], theirs[..]);
    }

    // --all-companies json and ndjson carry company and companyResourceId.
    export_all(&s, "ndjson", "all.ndjson", &[]).await.code(0);
    let lines: Vec<Value> = std::fs::read_to_string(s.file("all.ndjson"))
        .expect("ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 11);
    for l in &lines {
        let (name, id, _) = companies
            .iter()
            .find(|(n, _, _)| l["company"] == *n)
            .unwrap_or_else(|| panic!("{l}"));
        assert_eq!(l["companyResourceId"], id.as_str(), "{name}");
    }
    export_all(&s, "json", "all.json", &[]).await.code(0);
    let all_json: Value =
        serde_json::from_slice(&std::fs::read(s.file("all.json")).expect("json")).expect("json");
    assert_eq!(rows(&all_json).len(), 11);

    // A failing export leaves no file (PDF of an unknown filter field: 400 before any byte).
    s.run(&[
        "users",
        "export",
        "--company",
        "North, Inc",
        "--format",
        "pdf",
        "-o",
        &path("bad.pdf"),
        "--where",
        "Nope",
        "=",
        "1",
    ])
    .await
    .code(4);
    assert!(!s.file("bad.pdf").exists() && !s.file("bad.pdf.partial").exists());
    // "-" writes to stdout.
    let stdout = s
        .run(&[
            "users",
            "export",
            "--company",
            "=East",
            "--format",
            "ndjson",
            "-o",
            "-",
        ])
        .await;
    assert_eq!(stdout.stdout.lines().count(), 4, "{stdout:?}");
    s.finish().await;
}

/// `rollcall users export --all-companies --format FORMAT -o FILE EXTRA...`, FILE in the
/// test's home.
async fn export_all(s: &TestServer, format: &str, file: &str, extra: &[&str]) -> Run {
    let out = s.file(file).display().to_string();
    let mut args = vec![
        "users",
        "export",
        "--all-companies",
        "--format",
        format,
        "-o",
        &out,
    ];
    args.extend_from_slice(extra);
    s.run(&args).await
}

/// Every sheet of a workbook, header rows included, read with calamine.
pub(crate) fn xlsx_sheets(path: &std::path::Path) -> Vec<Vec<Vec<calamine::Data>>> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    wb.sheet_names()
        .into_iter()
        .map(|name| {
            let range = wb
                .worksheet_range(&name)
                .unwrap_or_else(|e| panic!("sheet {name}: {e}"));
            range.rows().map(<[calamine::Data]>::to_vec).collect()
        })
        .collect()
}

pub(crate) fn xlsx_text(d: &calamine::Data) -> String {
    match d {
        calamine::Data::String(s) => s.clone(),
        calamine::Data::Empty => String::new(),
        other => panic!("not a text cell: {other:?}"),
    }
}

/// The text of every page of a PDF, read with lopdf.
fn pdf_pages(path: &std::path::Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.starts_with(b"%PDF-"));
    let doc = lopdf::Document::load_mem(&bytes).expect("the PDF loads in lopdf");
    doc.get_pages()
        .keys()
        .map(|&n| {
            doc.extract_text(&[n])
                .unwrap_or_else(|e| panic!("text of page {n}: {e}"))
        })
        .collect()
}

/// `users export --all-companies` as xlsx and pdf: the CLI feeds every company's search rows
/// to the server's Excel and PDF writers, with a Company column first.
async fn all_companies_xlsx_and_pdf(engine: Engine) {
    use calamine::Data;
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    // Names in Latin, Greek and Cyrillic script (DejaVu Sans prints them in the PDF).
    let people = [
        ("Zoë", "Müller"),
        ("Łukasz", "Żółć"),
        ("Ελένη", "Παππά"),
        ("Фёдор", "Достоевский"),
        ("José", "Ñandú"),
    ];
    let mut created: Vec<(String, String, String)> = Vec::new(); // (company, user id, email)
    let mut company_ids: Vec<(&str, String)> = Vec::new();
    for (name, tag, n) in [
        ("Nørd Åkerö AB", "nord", 5),
        ("Ελληνική Εταιρεία", "greek", 3),
        ("Empty Co", "empty", 0),
        ("=Formula Ltd", "formula", 2),
    ] {
        let c = s.create_company(&token, None, json!({"name": name})).await;
        for i in 0..n {
            let (first, last) = people[(i + tag.len()) % people.len()];
            let email = format!("u{i}@{tag}.test");
            let id = s
                .create_user(
                    &token,
                    &c,
                    json!({"email": email, "firstName": first, "lastName": last,
                           "department": "R&D, \"Core\"", "phoneNumber": "+44 20 7946 0000",
                           "managerFirstName": "Ann", "managerLastName": "Lee",
                           "managerEmail": "ann@x.test", "priority": "High"}),
                )
                .await;
            created.push((name.to_owned(), id, email));
        }
        company_ids.push((name, c));
    }
    let path = |n: &str| s.file(n).display().to_string();

    let run = export_all(&s, "xlsx", "all.xlsx", &[]).await;
    run.code(0);
    assert!(
        run.stderr.contains("Wrote 10 users of 4 companies"),
        "{run:?}"
    );
    assert!(!s.file("all.xlsx.partial").exists());
    let sheets = xlsx_sheets(&s.file("all.xlsx"));
    assert_eq!(sheets.len(), 1);
    let all = &sheets[0];
    let header: Vec<String> = all[0].iter().map(xlsx_text).collect();
    let mut want_header = vec!["Company".to_owned()];
    want_header.extend(
        rollcall_server::export::TARGET_USER_COLUMNS
            .iter()
            .map(|c| (*c).to_owned()),
    );
    assert_eq!(header, want_header);
    let data = &all[1..];
    assert_eq!(data.len(), created.len());
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column"))
    };
    // Every user exactly once, under the right company.
    for (company, id, email) in &created {
        let rows: Vec<&Vec<Data>> = data
            .iter()
            .filter(|r| xlsx_text(&r[col("Resource Id")]) == *id)
            .collect();
        assert_eq!(rows.len(), 1, "{email}");
        assert_eq!(xlsx_text(&rows[0][0]), *company, "{email}");
        assert_eq!(xlsx_text(&rows[0][col("Email")]), *email);
    }
    // Per company: the rows search returns, in its order, and the cells of the server's own
    // single-company Excel export (dates as date cells, text as written).
    let order =
        json!({"pageNumber": 1, "pageSize": 100, "orderBy": "CreateTime", "ascending": true});
    // Companies one after another (each company's rows together); the company name is a text
    // cell, never a formula.
    let mut runs: Vec<String> = Vec::new();
    for r in data {
        assert!(matches!(r[0], Data::String(_)), "{r:?}");
        if runs.last() != Some(&xlsx_text(&r[0])) {
            runs.push(xlsx_text(&r[0]));
        }
    }
    assert_eq!(runs.len(), 3, "{runs:?}");
    for (name, id) in &company_ids {
        let mine: Vec<&Vec<Data>> = data.iter().filter(|r| xlsx_text(&r[0]) == *name).collect();
        let (status, page) = s
            .call(
                reqwest::Method::POST,
                "/api/target-users/search",
                &token,
                Some(order.clone()),
                &[(crate::common::SCOPE, id.as_str())],
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        let searched = field(&page["data"]["results"], "resourceId");
        let exported: Vec<String> = mine
            .iter()
            .map(|r| xlsx_text(&r[col("Resource Id")]))
            .collect();
        assert_eq!(exported, searched, "{name}: search order");
        let file = format!("{id}.xlsx");
        s.run(&[
            "users",
            "export",
            "--company",
            id,
            "--format",
            "xlsx",
            "-o",
            &path(&file),
        ])
        .await
        .code(0);
        let theirs = xlsx_sheets(&s.file(&file)).remove(0);
        assert_eq!(theirs[0][..], all[0][1..], "{name}: the server's header");
        assert_eq!(theirs.len() - 1, mine.len(), "{name}");
        for (m, t) in mine.iter().zip(&theirs[1..]) {
            assert_eq!(m[1..], t[..], "{name}: the server's cells");
            assert!(
                matches!(&m[col("Created")], Data::DateTime(d) if d.is_datetime()),
                "{name}: a date cell: {m:?}"
            );
        }
    }
    // Non-ASCII text round-trips.
    let greek: Vec<&Vec<Data>> = data
        .iter()
        .filter(|r| xlsx_text(&r[0]) == "Ελληνική Εταιρεία")
        .collect();
    assert_eq!(greek.len(), 3);
    let names: Vec<(String, String)> = data
        .iter()
        .map(|r| {
            (
                xlsx_text(&r[col("First Name")]),
                xlsx_text(&r[col("Last Name")]),
            )
        })
        .collect();
    for (first, last) in people {
        assert!(
            names.contains(&(first.to_owned(), last.to_owned())),
            "{first} {last} in {names:?}"
        );
    }
    assert_eq!(xlsx_text(&data[0][col("Manager Name")]), "Ann Lee");
    assert_eq!(xlsx_text(&data[0][col("Department")]), "R&D, \"Core\"");

    // pdf: one report with the company names and every email, companies one after another.
    let run = export_all(&s, "pdf", "all.pdf", &[]).await;
    run.code(0);
    assert!(
        run.stderr.contains("Wrote 10 users of 4 companies"),
        "{run:?}"
    );
    let pages = pdf_pages(&s.file("all.pdf"));
    assert!(!pages.is_empty());
    let text = pages.concat();
    assert!(text.contains("Target Users - All companies"), "{text:?}");
    assert!(text.contains("10 users."), "{text:?}");
    assert!(
        text.contains(&format!("Page 1 of {}", pages.len())),
        "{text:?}"
    );
    for name in [
        "Nørd Åkerö AB",
        "Ελληνική Εταιρεία",
        "=Formula Ltd",
        "Company",
    ] {
        assert!(text.contains(name), "{name} in {text:?}");
    }
    assert!(
        !text.contains("Empty Co"),
        "a company without users has no rows"
    );
    for (first, last) in people {
        assert!(
            text.contains(first) && text.contains(last),
            "{first} {last}"
        );
    }
    // Every email, in the workbook's order (the same search order).
    let mut at = 0;
    for r in data {
        let email = xlsx_text(&r[col("Email")]);
        let found = text[at..]
            .find(&email)
            .unwrap_or_else(|| panic!("{email} after {at} in {text:?}"));
        at += found + email.len();
    }

    // Over the PDF cap (lowered here from 5,000 by the hidden --pdf-max-rows): refused before
    // any file is made, pointing to csv and xlsx; exit 1 like other refused arguments.
    let too_big = export_all(&s, "pdf", "big.pdf", &["--pdf-max-rows", "9"]).await;
    too_big.code(1);
    assert!(
        too_big.stderr.contains("at most 9 users")
            && too_big.stderr.contains("have 10")
            && too_big.stderr.contains("csv or xlsx"),
        "{too_big:?}"
    );
    assert!(!s.file("big.pdf").exists() && !s.file("big.pdf.partial").exists());
    // The count follows the filter, and the cap itself fits.
    export_all(
        &s,
        "pdf",
        "greek.pdf",
        &[
            "--pdf-max-rows",
            "3",
            "--where",
            "Email",
            "Contains",
            "@greek.",
        ],
    )
    .await
    .code(0);
    let greek_pdf = pdf_pages(&s.file("greek.pdf")).concat();
    assert!(
        greek_pdf.contains("3 users.") && greek_pdf.contains("Ελληνική Εταιρεία"),
        "{greek_pdf:?}"
    );
    assert!(!greek_pdf.contains("Nørd"), "{greek_pdf:?}");
    // A fallback font that cannot be read is refused before any file is made.
    let bad_font = "/nonexistent/cjk.ttf";
    let run = export_all(&s, "pdf", "font.pdf", &["--pdf-fallback-font", bad_font]).await;
    run.code(1);
    assert!(run.stderr.contains(bad_font), "{run:?}");
    assert!(!s.file("font.pdf").exists() && !s.file("font.pdf.partial").exists());
    s.finish().await;
}

async fn token_credentials_and_exit_codes(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let customer = s
        .create_company(&token, None, json!({"name": "Customer"}))
        .await;

    // token: the decoded claims, never the secret.
    let run = s.run(&["token"]).await;
    let claims = run.json();
    assert_eq!(claims["role"], "Reseller");
    assert_eq!(claims["client_id"], ROOT_ID);
    assert_eq!(claims["user_company_resourceid"], s.root_company.as_str());
    assert!(claims["exp"].as_i64() > claims["iat"].as_i64());
    assert!(!run.stdout.contains(ROOT_SECRET) && !run.stderr.contains(ROOT_SECRET));
    let table = s.run(&["token", "--output", "table"]).await;
    assert!(table.stdout.contains("reseller_access") && !table.stdout.contains(ROOT_SECRET));

    // Wrong secret: exit 2, the OAuth error in the message, the secret not echoed.
    let bad = s
        .run_env(
            &[
                ("KEEPNET_CLIENT_ID", ROOT_ID),
                ("KEEPNET_CLIENT_SECRET", "wrong-secret-value"),
                ("KEEPNET_API_BASE_URL", &s.base),
            ],
            &["companies", "list"],
        )
        .await;
    bad.code(2);
    assert!(bad.stderr.contains("invalid_client"), "{bad:?}");
    assert!(!bad.stderr.contains("wrong-secret-value"));
    // No credentials at all: exit 2 with a hint.
    let none = s.run_env(&[], &["companies", "list"]).await;
    none.code(2);
    assert!(none.stderr.contains("KEEPNET_CLIENT_ID"), "{none:?}");
    // A Company Admin cannot list companies: 403, exit 2.
    let (admin_id, admin_secret) = s.create_client(&token, &customer, "Company Admin").await;
    let admin_env = [
        ("KEEPNET_CLIENT_ID", admin_id.as_str()),
        ("KEEPNET_CLIENT_SECRET", admin_secret.as_str()),
        ("KEEPNET_API_BASE_URL", s.base.as_str()),
    ];
    s.run_env(&admin_env, &["companies", "list"]).await.code(2);
    // ... but can name its own company.
    let own = s
        .run_env(&admin_env, &["users", "count", "--company", "customer"])
        .await
        .json();
    assert_eq!(own["companies"][0]["companyResourceId"], customer.as_str());

    // Nobody listening: exit 5 after the retries.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let down = s
        .run_env(
            &[
                ("KEEPNET_CLIENT_ID", ROOT_ID),
                ("KEEPNET_CLIENT_SECRET", ROOT_SECRET),
                ("KEEPNET_API_BASE_URL", &format!("http://127.0.0.1:{port}")),
            ],
            &["companies", "list", "--retries", "2"],
        )
        .await;
    down.code(5);
    assert!(
        down.stderr.contains("gave up after 2 attempts") && down.stderr.contains("cannot reach"),
        "{down:?}"
    );
    // Usage errors exit 1 (not clap's 2, which means auth here); --help exits 0.
    s.run(&["users", "list"]).await.code(1);
    s.run(&["users", "frobnicate"]).await.code(1);
    let help = s.run(&["--help"]).await;
    help.code(0);
    assert!(
        help.stdout.contains("Exit codes:") && help.stdout.contains("5  network"),
        "{help:?}"
    );
    // serve keeps its flags.
    let serve = s.run(&["serve", "--help"]).await;
    serve.code(0);
    for flag in [
        "--listen",
        "--data-dir",
        "--database-url",
        "--jwt-secret",
        "--max-page-size",
        "--bootstrap-client-id",
        "--bootstrap-client-secret",
        "--demo",
    ] {
        assert!(serve.stdout.contains(flag), "{flag}: {serve:?}");
    }

    // Profiles: saved with mode 0600, used by name or as the default, never listed with the secret.
    let add = s
        .run_env(
            &[("KEEPNET_CLIENT_SECRET", ROOT_SECRET)],
            &[
                "profile",
                "add",
                "local",
                "--client-id",
                ROOT_ID,
                "--base-url",
                &s.base,
            ],
        )
        .await;
    add.code(0);
    let cfg = s.home.path().join(".config/rollcall/config.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cfg)
            .expect("config file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "config file mode {mode:o}");
        let dir_mode = std::fs::metadata(cfg.parent().expect("dir"))
            .expect("config dir")
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }
    let by_name = s.run_env(&[], &["--help"]).await;
    by_name.code(0);
    let listed = s
        .run_env(
            &[],
            &["users", "count", "--all-companies", "--profile", "local"],
        )
        .await
        .json();
    assert_eq!(rows(&listed["companies"]).len(), 1);
    // The first profile saved is the default one.
    s.run_env(&[], &["users", "count", "--company", "Customer"])
        .await
        .code(0);
    let profiles = s.run_env(&[], &["profile", "list"]).await;
    assert!(
        profiles.stdout.contains("local") && !profiles.stdout.contains(ROOT_SECRET),
        "{profiles:?}"
    );
    s.run_env(&[], &["token", "--profile", "nope"])
        .await
        .code(2);
    // The environment wins over the default profile when no profile is named.
    let env_wins = s.run_env(&admin_env, &["token"]).await.json();
    assert_eq!(env_wins["client_id"], admin_id.as_str());
    // Secret from standard input when the variable is not set.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollcall"))
        .env_clear()
        .env("HOME", s.home.path())
        .env("XDG_CONFIG_HOME", s.home.path().join(".config"))
        .args([
            "profile",
            "add",
            "piped",
            "--client-id",
            ROOT_ID,
            "--base-url",
            &s.base,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(format!("{ROOT_SECRET}\n").as_bytes())
            .await
            .expect("write secret");
    }
    let out = child.wait_with_output().await.expect("profile add");
    assert!(out.status.success(), "{out:?}");
    let piped = s
        .run_env(&[], &["token", "--profile", "piped"])
        .await
        .json();
    assert_eq!(piped["client_id"], ROOT_ID);
    let text = std::fs::read_to_string(&cfg).expect("config");
    assert!(
        text.contains("[profiles.piped]") && text.contains("default_profile = \"local\""),
        "{text}"
    );
    s.finish().await;
}

/// `users list --limit N` with N within one page asks the server for one page only: the page
/// after it is neither read nor requested ahead (a query for the server, and a request of the
/// client's budget under a rate limit). Larger caps are covered by the client's mock tests.
async fn a_limited_listing_requests_one_page(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Paged"}))
        .await;
    for i in 0..12 {
        s.create_user(
            &token,
            &company,
            json!({"email": format!("u{i:02}@paged.test")}),
        )
        .await;
    }
    const SEARCHES: &str = r#"rollcall_http_requests_total{method="POST",route="/api/target-users/search",status="200"}"#;
    let before = s.metric(SEARCHES).await.unwrap_or(0.0);
    let run = s
        .run(&[
            "users",
            "list",
            "--company",
            "Paged",
            "--sort",
            "Email",
            "--limit",
            "5",
        ])
        .await;
    assert_eq!(
        field(&run.json(), "email"),
        ["u00", "u01", "u02", "u03", "u04"].map(|u| format!("{u}@paged.test"))
    );
    // Counted when the reply is sent. A page fetched ahead and cut off by the CLI's exit may
    // never be counted, so this end-to-end check can miss a stray request; the client's mock
    // test `a_capped_stream_requests_no_page_it_will_not_read` pins the paging rule down.
    let after = s.metric(SEARCHES).await.unwrap_or(0.0);
    assert_eq!(
        after - before,
        1.0,
        "searches during `users list --limit 5` on 12 users"
    );
    s.finish().await;
}

/// `--priority` is a value-enum: a value that is not one of Keepnet's five is refused by the
/// CLI itself, with the valid ones listed, before any request (here there is no server to ask).
async fn priority_is_checked_before_any_request(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Prio"}))
        .await;
    let user = s
        .create_user(&token, &company, json!({"email": "pat@prio.test"}))
        .await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let nowhere = format!("http://127.0.0.1:{port}");
    let env = [
        ("KEEPNET_CLIENT_ID", ROOT_ID),
        ("KEEPNET_CLIENT_SECRET", ROOT_SECRET),
        ("KEEPNET_API_BASE_URL", nowhere.as_str()),
    ];
    for args in [
        &[
            "users",
            "add",
            "--company",
            "Prio",
            "--email",
            "x@prio.test",
            "--priority",
            "urgent",
        ][..],
        &[
            "users",
            "update",
            "--company",
            "Prio",
            &user,
            "--priority",
            "urgent",
        ],
    ] {
        // A usage error (1), not the network's 5 after retries nor the API's 4.
        let run = s.run_env(&env, args).await;
        run.code(1);
        assert!(run.stderr.contains("'urgent'"), "{run:?}");
        assert!(
            run.stderr
                .contains("[possible values: VeryLow, Low, Medium, High, VeryHigh]"),
            "{run:?}"
        );
        assert_eq!(run.stdout, "");
    }
    // Any case of a valid name is taken, and sent as Keepnet spells it.
    s.run(&[
        "users",
        "update",
        "--company",
        "Prio",
        &user,
        "--priority",
        "veryhigh",
    ])
    .await
    .code(0);
    let got = s
        .run(&["users", "get", "--company", "Prio", &user])
        .await
        .json();
    assert_eq!(got["priority"], "VeryHigh");
    s.finish().await;
}

/// Text values may start with a hyphen: `--department -Ops` is the department "-Ops", not an
/// unknown flag; the same for group and field names.
async fn values_may_start_with_a_hyphen(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    s.create_company(&token, None, json!({"name": "Dash"}))
        .await;
    let id = id_of(
        &s.run(&[
            "users",
            "add",
            "--company",
            "Dash",
            "--email",
            "dee@dash.test",
            "--first-name",
            "-Dee",
            "--last-name",
            "-Dash",
            "--department",
            "-Ops",
            "--manager-first-name",
            "-Max",
        ])
        .await,
    );
    let got = s
        .run(&["users", "get", "--company", "Dash", &id])
        .await
        .json();
    assert_eq!(got["department"], "-Ops");
    assert_eq!(got["firstName"], "-Dee");
    assert_eq!(got["lastName"], "-Dash");
    s.run(&[
        "users",
        "update",
        "--company",
        "Dash",
        &id,
        "--department",
        "-Sales",
    ])
    .await
    .code(0);
    let got = s
        .run(&["users", "get", "--company", "Dash", &id])
        .await
        .json();
    assert_eq!(got["department"], "-Sales");
    assert_eq!(got["firstName"], "-Dee", "untouched");

    s.run(&["groups", "create", "--company", "Dash", "--name", "-Red"])
        .await
        .code(0);
    let groups = s.run(&["groups", "list", "--company", "Dash"]).await.json();
    assert_eq!(field(&groups, "name"), ["-Red"]);
    s.run(&[
        "fields",
        "create",
        "--company",
        "Dash",
        "--name",
        "-Badge",
        "--type",
        "String",
    ])
    .await
    .code(0);
    let fields = s.run(&["fields", "list", "--company", "Dash"]).await.json();
    assert!(
        field(&fields, "name").contains(&"-Badge".to_owned()),
        "{fields}"
    );
    s.finish().await;
}

/// `users delete --ignore-not-found`, as kubectl has: an unknown or already-deleted user is a
/// note on stderr and exit 0; without the flag they stay errors (exit 3 and 4).
async fn delete_ignore_not_found(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Gone"}))
        .await;
    let ann = s
        .create_user(&token, &company, json!({"email": "ann@gone.test"}))
        .await;
    let bob = s
        .create_user(&token, &company, json!({"email": "bob@gone.test"}))
        .await;
    let unknown = "AAAAAAAAAAAA";
    let delete = |extra: &'static [&'static str], ids: Vec<String>| {
        let s = &s;
        async move {
            let mut args: Vec<&str> = vec!["users", "delete", "--company", "Gone"];
            args.extend_from_slice(extra);
            args.extend(ids.iter().map(String::as_str));
            s.run(&args).await
        }
    };

    s.run(&["users", "delete", "--company", "Gone", &ann])
        .await
        .code(0);
    // Without the flag: the server's 409 (already deleted) and 404 (unknown), with a hint.
    let again = delete(&[], vec![ann.clone()]).await;
    again.code(4);
    assert!(
        again.stderr.contains("already deleted") && again.stderr.contains("--ignore-not-found"),
        "{again:?}"
    );
    delete(&[], vec![unknown.into()]).await.code(3);

    // With it: exit 0 and a note for each; a user that is there is still deleted.
    let run = delete(
        &["--ignore-not-found"],
        vec![ann.clone(), unknown.into(), bob.clone()],
    )
    .await;
    let report = run.json();
    assert_eq!(report["deleted"], json!([bob]));
    assert_eq!(report["notFound"], json!([ann, unknown]));
    assert!(
        run.stderr
            .contains(&format!("user {ann} is already deleted in Gone")),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains(&format!("user {unknown} was not found in Gone")),
        "{run:?}"
    );
    let table = delete(
        &["--ignore-not-found", "--output", "table"],
        vec![bob.clone()],
    )
    .await;
    table.code(0);
    assert_eq!(table.stdout, "", "{table:?}");
    assert!(table.stderr.contains("already deleted"), "{table:?}");
    s.finish().await;
}

/// `users restore` by email or id: the user comes back, a live one is left alone with a note,
/// and an email a live user holds now is refused with what to do.
async fn restore(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    s.create_company(&token, None, json!({"name": "Acme"}))
        .await;
    let add = |email: &'static str| {
        let s = &s;
        async move {
            let run = s
                .run(&[
                    "users",
                    "add",
                    "--company",
                    "Acme",
                    "--email",
                    email,
                    "--output",
                    "json",
                ])
                .await;
            id_of(&run)
        }
    };
    let id = add("back@acme.test").await;
    s.run(&["users", "delete", "--company", "Acme", &id])
        .await
        .code(0);
    async fn count(s: &TestServer) -> (Value, Value) {
        let run = s
            .run(&["users", "count", "--company", "Acme", "--output", "json"])
            .await;
        let report = run.json();
        (
            report["totals"]["active"].clone(),
            report["totals"]["deleted"].clone(),
        )
    }
    assert_eq!(count(&s).await, (json!(0), json!(1)));

    // By email: the deleted user is found and brought back.
    let run = s
        .run(&[
            "users",
            "restore",
            "--company",
            "Acme",
            "back@acme.test",
            "--output",
            "table",
        ])
        .await;
    run.code(0);
    assert!(
        run.stdout
            .starts_with(&format!("Restored user {id} in Acme")),
        "{run:?}"
    );
    assert_eq!(count(&s).await, (json!(1), json!(0)));

    // Again: nothing to do, said on stderr; JSON still names the user.
    let run = s.run(&["users", "restore", "--company", "Acme", &id]).await;
    run.code(0);
    assert!(
        run.stderr.contains("is not deleted") && run.stderr.contains("nothing to restore"),
        "{run:?}"
    );
    assert_eq!(run.json()["resourceId"], id.as_str());

    // Someone else took the email meanwhile: by email, the deleted user is still the one meant;
    // exit 4 and the way out.
    s.run(&["users", "delete", "--company", "Acme", &id])
        .await
        .code(0);
    let taken = add("back@acme.test").await;
    let run = s
        .run(&["users", "restore", "--company", "Acme", "back@acme.test"])
        .await;
    run.code(4);
    assert!(
        run.stderr.contains(&format!("user back@acme.test is {id}")),
        "{run:?}"
    );
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.contains("another user has its email now") && run.stderr.contains(&taken),
        "{run:?}"
    );
    assert_eq!(count(&s).await, (json!(1), json!(1)));

    // Two deleted users had the email: the CLI does not guess which.
    s.run(&["users", "delete", "--company", "Acme", &taken])
        .await
        .code(0);
    let run = s
        .run(&["users", "restore", "--company", "Acme", "back@acme.test"])
        .await;
    run.code(1);
    assert!(
        run.stderr.contains("2 deleted users had the email")
            && run.stderr.contains(&id)
            && run.stderr.contains(&taken),
        "{run:?}"
    );
    s.finish().await;
}

both_engines!(
    restore,
    priority_is_checked_before_any_request,
    values_may_start_with_a_hyphen,
    delete_ignore_not_found,
    a_limited_listing_requests_one_page,
    crud_and_list,
    count,
    exports,
    all_companies_xlsx_and_pdf,
    token_credentials_and_exit_codes
);
