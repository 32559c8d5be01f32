//! Large exports through the real CLI and a real server whose tokens live 2 seconds:
//! - 100,000 users of one company exported as CSV and compared row by row with the database;
//! - every managed company's users (102,000) exported as NDJSON page by page, which takes many
//!   token lifetimes: the CLI must renew its token on the way and still succeed.
//!
//! The users are written straight into the database (multi-row INSERTs plus the matching
//! per-month counters, as the store keeps them), which takes seconds instead of minutes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use crate::common::{Engine, TestServer};
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use serde_json::{json, Value};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

const BIG: usize = 100_000;
const SMALL: usize = 1_000;
const BATCH: usize = 200;

const PRIORITIES: [&str; 5] = ["VeryLow", "Low", "Medium", "High", "VeryHigh"];

/// One generated user, as stored.
struct Gen {
    resource_id: String,
    email: String,
    first: String,
    last: String,
    department: String,
    phone: String,
    priority: i64,
    active: bool,
    deleted: bool,
    time_zone: String,
    language: String,
    manager_first: String,
    manager_last: String,
    manager_email: String,
    create_time: i64,
    update_time: i64,
}

fn month_of(ms: i64) -> i64 {
    let t = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    i64::from(t.year()) * 100 + i64::from(t.month())
}

/// Users with awkward text (commas, quotes, line breaks, non-ASCII, formula-like cells), every
/// status, and creation times spread over ~15 months with ties (to check the id tie-break).
fn generate(tag: &str, n: usize, now: i64) -> Vec<Gen> {
    const FIRST: [&str; 6] = ["Ann", "José", "Zoë, Jr", "O\"Brien", "=cmd", "Łukasz"];
    const LAST: [&str; 5] = ["Archer", "Line\nBreak", "Müller", "-Minus", "Smith"];
    const DEPT: [&str; 4] = ["Sales", "HR, Ops", "Dept \"Q\"", "@Team"];
    (0..n)
        .map(|i| {
            let create_time = now - 86_400_000 - (i as i64 / 2) * 797_000;
            Gen {
                resource_id: rollcall_store::new_resource_id(),
                email: format!("user{i:06}@{tag}.test"),
                first: FIRST[i % FIRST.len()].to_owned(),
                last: LAST[i % LAST.len()].to_owned(),
                department: DEPT[i % DEPT.len()].to_owned(),
                phone: if i % 3 == 0 {
                    format!("+4420{i:07}")
                } else {
                    String::new()
                },
                priority: (i % 5) as i64 + 1,
                active: i % 7 != 0,
                deleted: i % 11 == 0,
                time_zone: if i % 2 == 0 {
                    "Europe/London".into()
                } else {
                    String::new()
                },
                language: if i % 4 == 0 {
                    "en".into()
                } else {
                    String::new()
                },
                manager_first: if i % 5 == 0 {
                    "Mary".into()
                } else {
                    String::new()
                },
                manager_last: if i % 5 == 0 {
                    "Major".into()
                } else {
                    String::new()
                },
                manager_email: if i % 5 == 0 {
                    "mary@boss.test".into()
                } else {
                    String::new()
                },
                create_time,
                update_time: create_time + (i as i64 % 5) * 1000,
            }
        })
        .collect()
}

async fn pool(s: &TestServer) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(&s.database_url())
        .await
        .expect("open the test database")
}

async fn company_id(db: &AnyPool, resource_id: &str) -> i64 {
    sqlx::query("SELECT id FROM companies WHERE resource_id = $1")
        .bind(resource_id)
        .fetch_one(db)
        .await
        .expect("company row")
        .get::<i64, _>(0)
}

/// Inserts `users` into a company with multi-row INSERTs and adds them to the counters.
async fn insert(db: &AnyPool, engine: Engine, company: i64, users: &[Gen]) {
    const COLS: usize = 26;
    let mut tx = db.begin().await.expect("begin");
    for chunk in users.chunks(BATCH) {
        let mut sql = String::from(
            "INSERT INTO target_users (company_id, resource_id, email, email_lower, first_name, first_name_lower, \
             last_name, last_name_lower, department, department_lower, phone_number, phone_lower, priority, is_active, \
             is_deleted, time_zone_id, preferred_language_id, manager_first_name, manager_last_name, manager_email, \
             manager_full_name_lower, manager_email_lower, create_time, create_month, update_time, delete_time) VALUES ",
        );
        for r in 0..chunk.len() {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..COLS {
                if c > 0 {
                    sql.push_str(", ");
                }
                // SQLite resolves numbered `$n` parameters by name (slow with thousands of
                // them); plain `?` is positional there.
                match engine {
                    Engine::Sqlite => sql.push('?'),
                    Engine::Postgres => sql.push_str(&format!("${}", r * COLS + c + 1)),
                }
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for u in chunk {
            let manager = format!("{} {}", u.manager_first.trim(), u.manager_last.trim())
                .trim()
                .to_lowercase();
            q = q
                .bind(company)
                .bind(u.resource_id.clone())
                .bind(u.email.clone())
                .bind(u.email.to_lowercase())
                .bind(u.first.clone())
                .bind(u.first.to_lowercase())
                .bind(u.last.clone())
                .bind(u.last.to_lowercase())
                .bind(u.department.clone())
                .bind(u.department.to_lowercase())
                .bind(u.phone.clone())
                .bind(u.phone.to_lowercase())
                .bind(u.priority)
                .bind(u.active)
                .bind(u.deleted)
                .bind(u.time_zone.clone())
                .bind(u.language.clone())
                .bind(u.manager_first.clone())
                .bind(u.manager_last.clone())
                .bind(u.manager_email.clone())
                .bind(manager)
                .bind(u.manager_email.to_lowercase())
                .bind(u.create_time)
                .bind(month_of(u.create_time))
                .bind(u.update_time)
                .bind(u.deleted.then_some(u.update_time));
        }
        q.execute(&mut *tx).await.expect("insert users");
    }
    // The counters the store keeps in step with every write: (active, inactive, deleted) per
    // creation month; a deleted user counts only as deleted.
    let mut counters: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for u in users {
        let c = counters.entry(month_of(u.create_time)).or_default();
        match (u.deleted, u.active) {
            (true, _) => c.2 += 1,
            (false, true) => c.0 += 1,
            (false, false) => c.1 += 1,
        }
    }
    for (month, (a, i, d)) in counters {
        sqlx::query(
            "INSERT INTO target_user_counters (company_id, month, active, inactive, deleted) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (company_id, month) DO UPDATE SET active = target_user_counters.active + excluded.active, \
             inactive = target_user_counters.inactive + excluded.inactive, deleted = target_user_counters.deleted + excluded.deleted",
        )
        .bind(company)
        .bind(month)
        .bind(a)
        .bind(i)
        .bind(d)
        .execute(&mut *tx)
        .await
        .expect("counters");
    }
    tx.commit().await.expect("commit");
}

/// A text cell as the server's CSV export writes it (formula-like text neutralised).
fn neutral(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

fn iso(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The company's users as export rows, read back from the database in the export's order
/// (CreateTime ascending, then the internal id).
async fn db_rows(db: &AnyPool, company: i64) -> Vec<Vec<String>> {
    let rows = sqlx::query(
        "SELECT resource_id, email, first_name, last_name, department, phone_number, priority, \
         CAST(CASE WHEN is_active THEN 1 ELSE 0 END AS BIGINT) AS active, \
         CAST(CASE WHEN is_deleted THEN 1 ELSE 0 END AS BIGINT) AS deleted, \
         time_zone_id, preferred_language_id, manager_first_name, manager_last_name, manager_email, \
         create_time, update_time \
         FROM target_users WHERE company_id = $1 ORDER BY create_time ASC, id ASC",
    )
    .bind(company)
    .fetch_all(db)
    .await
    .expect("read users back");
    rows.iter()
        .map(|r| {
            let s = |c: &str| r.get::<String, _>(c);
            let manager = format!(
                "{} {}",
                s("manager_first_name").trim(),
                s("manager_last_name").trim()
            )
            .trim()
            .to_owned();
            vec![
                neutral(&s("email")),
                neutral(&s("first_name")),
                neutral(&s("last_name")),
                neutral(&s("department")),
                neutral(&s("phone_number")),
                PRIORITIES[(r.get::<i64, _>("priority") - 1) as usize].to_owned(),
                if r.get::<i64, _>("active") == 1 {
                    "Active"
                } else {
                    "Inactive"
                }
                .to_owned(),
                (r.get::<i64, _>("deleted") == 1).to_string(),
                neutral(&s("time_zone_id")),
                // Exports name the language (docs/api.md), as search rows do.
                neutral(rollcall_store::catalog::language_display(&s(
                    "preferred_language_id",
                ))),
                neutral(&manager),
                neutral(&s("manager_email")),
                iso(r.get::<i64, _>("create_time")),
                iso(r.get::<i64, _>("update_time")),
                s("resource_id"),
                // The company has no target groups.
                String::new(),
            ]
        })
        .collect()
}

async fn big_exports(engine: Engine) {
    let Some(s) = TestServer::start_with(engine, |c| c.token_ttl_secs = 2).await else {
        return;
    };
    let token = s.root_token().await;
    let big = s
        .create_company(&token, None, json!({"name": "Big Corp"}))
        .await;
    let small1 = s
        .create_company(&token, None, json!({"name": "Small One"}))
        .await;
    let small2 = s
        .create_company(&token, None, json!({"name": "Small Two"}))
        .await;
    let db = pool(&s).await;
    let now = Utc::now().timestamp_millis();
    let started = Instant::now();
    let big_id = company_id(&db, &big).await;
    insert(&db, engine, big_id, &generate("big", BIG, now)).await;
    for (c, tag) in [(&small1, "one"), (&small2, "two")] {
        let id = company_id(&db, c).await;
        insert(&db, engine, id, &generate(tag, SMALL, now)).await;
    }
    eprintln!(
        "{engine:?}: inserted {} users in {:?}",
        BIG + 2 * SMALL,
        started.elapsed()
    );

    // 1. 100,000 users as CSV, compared row by row with the database.
    let t = Instant::now();
    let out = s.file("big.csv");
    let run = s
        .run(&[
            "users",
            "export",
            "--company",
            "Big Corp",
            "--format",
            "csv",
            "-o",
            &out.display().to_string(),
        ])
        .await;
    run.code(0);
    eprintln!("{engine:?}: CSV export took {:?}", t.elapsed());
    let bytes = std::fs::read(&out).expect("csv file");
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new().from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
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
            "Target Groups"
        ]
    );
    let expected = db_rows(&db, big_id).await;
    assert_eq!(expected.len(), BIG);
    let mut n = 0usize;
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap_or_else(|e| panic!("CSV row {}: {e}", i + 1));
        let got: Vec<&str> = record.iter().collect();
        assert_eq!(got, expected[i], "row {} differs", i + 1);
        n += 1;
    }
    assert_eq!(n, BIG, "every user exported once");
    drop(reader);
    drop(bytes);
    std::fs::remove_file(&out).ok();

    // The counts agree with what was written.
    let counts = s.run(&["users", "count", "--company", &big]).await.json();
    let (mut active, mut inactive, mut deleted) = (0, 0, 0);
    let this_month = Utc::now().format("%Y-%m").to_string();
    let monthly = expected
        .iter()
        .filter(|r| r[12].starts_with(&this_month))
        .count();
    for r in &expected {
        match (r[7].as_str(), r[6].as_str()) {
            ("true", _) => deleted += 1,
            (_, "Active") => active += 1,
            _ => inactive += 1,
        }
    }
    assert_eq!(
        counts["totals"],
        json!({"active": active, "inactive": inactive, "deleted": deleted, "monthly": monthly})
    );

    // 2. Every company's users, page by page: hundreds of requests over many 2-second token
    //    lifetimes. The CLI renews its token on the way and finishes.
    // Written to stdout (captured here) rather than to a file: 60 MB the disk need not hold.
    let t = Instant::now();
    let run = s
        .run_env(
            &[
                ("KEEPNET_CLIENT_ID", crate::common::ROOT_ID),
                ("KEEPNET_CLIENT_SECRET", crate::common::ROOT_SECRET),
                ("KEEPNET_API_BASE_URL", &s.base),
                ("ROLLCALL_LOG", "rollcall_client=debug"),
            ],
            &[
                "users",
                "export",
                "--all-companies",
                "--format",
                "ndjson",
                "--page-size",
                "500",
                "-o",
                "-",
            ],
        )
        .await;
    let elapsed = t.elapsed();
    run.code(0);
    let fetches = run.stderr.matches("fetched a new access token").count();
    eprintln!("{engine:?}: NDJSON export of every company took {elapsed:?} with {fetches} tokens");
    assert!(
        elapsed.as_secs_f64() > 2.5,
        "the export must outlive a token ({elapsed:?}) for this test to mean anything"
    );
    assert!(
        fetches >= 2,
        "expected the token to be renewed during the export: {}",
        run.stderr.lines().take(20).collect::<Vec<_>>().join("\n")
    );
    let mut per_company: HashMap<String, usize> = HashMap::new();
    let mut ids: HashSet<String> = HashSet::new();
    let mut big_order: Vec<String> = Vec::with_capacity(BIG);
    for line in run.stdout.lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        if v["companyResourceId"] == big.as_str() {
            big_order.push(v["resourceId"].as_str().unwrap_or_default().to_owned());
        }
        *per_company
            .entry(
                v["companyResourceId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
            .or_default() += 1;
        assert!(
            ids.insert(v["resourceId"].as_str().unwrap_or_default().to_owned()),
            "{line}"
        );
    }
    assert_eq!(per_company.get(&big), Some(&BIG));
    assert_eq!(per_company.get(&small1), Some(&SMALL));
    assert_eq!(per_company.get(&small2), Some(&SMALL));
    // Oldest first (the CLI's default order, CreateTime ascending), across 200 pages of 500:
    // pages deep in the table (a deferred join past offset 1,000) keep the order of the first.
    let oldest_first: Vec<&str> = expected.iter().map(|r| r[14].as_str()).collect();
    let first_diff = big_order
        .iter()
        .zip(&oldest_first)
        .position(|(a, b)| a != b);
    let around = |v: &[&str], i: usize| v[i.saturating_sub(2)..(i + 3).min(v.len())].join(" ");
    let got: Vec<&str> = big_order.iter().map(String::as_str).collect();
    assert_eq!(
        first_diff.map(|i| (i, around(&got, i), around(&oldest_first, i))),
        None,
        "Big Corp's users in the database's order, page after page"
    );
    assert_eq!(big_order.len(), oldest_first.len());

    // 3. `--all-companies` as xlsx: the CLI feeds the workbook writer in batches of 256 rows. A
    //    filter keeps every hundredth user (1,000 + 10 + 10), so full batches and a partial last
    //    one go through; Big Corp's rows must be the database's, in order.
    let out = s.file("hundredths.xlsx");
    let out_arg = out.display().to_string();
    let run = s
        .run(&[
            "users",
            "export",
            "--all-companies",
            "--format",
            "xlsx",
            "--where",
            "Email",
            "Contains",
            "00@",
            "-o",
            &out_arg,
        ])
        .await;
    run.code(0);
    let sheets = crate::users::xlsx_sheets(&out);
    assert_eq!(sheets.len(), 1);
    let rows = &sheets[0][1..];
    let of = |name: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| crate::users::xlsx_text(&r[0]) == name)
            .map(|r| crate::users::xlsx_text(&r[1]))
            .collect()
    };
    let want: Vec<String> = expected
        .iter()
        .map(|r| r[0].clone())
        .filter(|e| e.contains("00@"))
        .collect();
    assert_eq!(want.len(), BIG / 100);
    assert_eq!(of("Big Corp"), want);
    assert_eq!(of("Small One").len(), SMALL / 100);
    assert_eq!(of("Small Two").len(), SMALL / 100);
    assert_eq!(rows.len(), (BIG + 2 * SMALL) / 100);
    std::fs::remove_file(&out).ok();
    db.close().await;
    s.finish().await;
}

both_engines!(big_exports);
