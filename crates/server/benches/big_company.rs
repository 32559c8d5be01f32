//! Figures for one customer with many target users (default 1,000,000), on SQLite and
//! PostgreSQL, through the real server over HTTP on 127.0.0.1:
//!
//! - count summary, an unfiltered first page with its total, a `Contains` search with its total,
//!   and Keepnet's UI search box (one `Contains` per column) (median of repeated calls, as the
//!   client sees them);
//! - a CSV export of every user against the engine's own CSV writer on the same rows (`sqlite3`
//!   CLI, PostgreSQL `COPY` through `psql`), and the process's memory growth during the export;
//! - target groups: adding members by filter, the group search page, member searches and the
//!   `TargetGroup` filter beside the `Department` one;
//! - a custom field beside `Department`: the same filters and sort on both, and the CSV export
//!   again with the group names and the custom column;
//! - Excel export throughput (with the groups and the custom column).
//!
//! Run: `cargo bench -p rollcall-server --bench big_company -- [--users N] [--engine sqlite|postgres|both]`
//! PostgreSQL needs `ROLLCALL_TEST_DATABASE_URL` (a server the bench may create a database on).
//! This prints figures; it asserts nothing, so it is not part of the test suite.

use std::time::{Duration, Instant};

use rollcall_testkit::synthetic::user;
use serde_json::{json, Value};

mod common;

use common::{arg, median, rss_kib};

async fn timed<F, Fut>(runs: usize, mut f: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    f().await?; // warm-up
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed());
    }
    Ok(median(times))
}

/// A CSV export of every user over HTTP: its time, its size in bytes and how much the
/// process's memory grew while it streamed (MiB).
async fn csv_export(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    cid: &str,
) -> anyhow::Result<(Duration, usize, f64)> {
    let base_rss = rss_kib();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(base_rss));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peak, stop) = (peak.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let t = Instant::now();
    let mut resp = http
        .post(format!("{base}/api/target-users/search/export?bom=false"))
        .bearer_auth(token)
        .header("X-KEEPNET-Company-Id", cid)
        .json(&json!({"exportType": "CSV", "reportAllPages": true}))
        .send()
        .await?;
    let mut bytes = 0usize;
    while let Some(chunk) = resp.chunk().await? {
        bytes += chunk.len();
    }
    let csv_time = t.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    sampler.await?;
    let grew_mib = (peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(base_rss)) as f64
        / 1024.0;
    Ok((csv_time, bytes, grew_mib))
}

async fn run(engine: &str, users: u64) -> anyhow::Result<()> {
    let bench = common::start(engine).await?;
    let (cid, company_id) = bench.company("BigCorp", users * 2).await?;
    let common::Bench {
        dir,
        database_url,
        base,
        store,
        http,
        token,
        ..
    } = bench;

    let t = Instant::now();
    let now = chrono::Utc::now().timestamp_millis();
    let mut n = 0;
    while n < users {
        let batch: Vec<_> = (n..(n + 20_000).min(users)).map(|i| user(i, now)).collect();
        store
            .insert_target_users(company_id, &batch, &rollcall_store::Actor::system())
            .await?;
        n += batch.len() as u64;
    }
    println!(
        "[{engine}] loaded {users} users in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let analyze = if engine == "postgres" {
        "VACUUM ANALYZE target_users"
    } else {
        "ANALYZE"
    };
    match engine {
        "postgres" => {
            std::process::Command::new("psql")
                .arg(&database_url)
                .arg("-qc")
                .arg(analyze)
                .status()?;
        }
        _ => {
            let db = dir.path().join("rollcall.db");
            let _ = std::process::Command::new("sqlite3")
                .arg(&db)
                .arg(analyze)
                .status();
        }
    }

    let post = |path: &str, body: Value| {
        let req = http
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .header("X-KEEPNET-Company-Id", &cid)
            .json(&body);
        let path = path.to_owned();
        async move {
            let r = req.send().await?;
            anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
            r.bytes().await?;
            Ok(())
        }
    };
    let summary = timed(50, || {
        let req = http
            .get(format!("{base}/api/target-users/count-summary"))
            .bearer_auth(&token)
            .header("X-KEEPNET-Company-Id", &cid);
        async move {
            let r = req.send().await?;
            anyhow::ensure!(r.status().is_success());
            r.bytes().await?;
            Ok(())
        }
    })
    .await?;
    let page = timed(50, || {
        post(
            "/api/target-users/search",
            json!({"pageNumber": 1, "pageSize": 10}),
        )
    })
    .await?;
    let deep = timed(20, || {
        post(
            "/api/target-users/search",
            json!({"pageNumber": 50, "pageSize": 100, "orderBy": "Email", "ascending": true}),
        )
    })
    .await?;
    let contains_body = json!({"pageNumber": 1, "pageSize": 10, "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Email", "Operator": "Contains", "Value": "r12345"}]}]}});
    let contains = timed(20, || {
        post("/api/target-users/search", contains_body.clone())
    })
    .await?;
    let text_body =
        json!({"pageNumber": 1, "pageSize": 10, "filter": {"SearchInputTextValue": "user99999"}});
    let text = timed(10, || post("/api/target-users/search", text_body.clone())).await?;
    // Keepnet's UI search box (issue #13): one `Contains` per visible column in the OR group,
    // numbers, dates, priority and status included. A rare text, then a priority's name.
    let search_box = |text: &str| {
        let items: Vec<Value> = rollcall_testkit::PEOPLE_SEARCH_COLUMNS
            .iter()
            .map(|f| json!({"FieldName": f, "Operator": "Contains", "Value": text}))
            .collect();
        json!({"pageNumber": 1, "pageSize": 10, "orderBy": "CreateTime", "ascending": false,
               "filter": {"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
                   {"Condition": "AND", "FilterItems": [], "FilterGroups": []},
                   {"Condition": "OR", "FilterItems": items, "FilterGroups": []}]}})
    };
    let box_rare_body = search_box("user99999");
    let box_rare = timed(10, || {
        post("/api/target-users/search", box_rare_body.clone())
    })
    .await?;
    let box_priority_body = search_box("veryhigh");
    let box_priority = timed(10, || {
        post("/api/target-users/search", box_priority_body.clone())
    })
    .await?;
    let status_body = json!({"pageNumber": 1, "pageSize": 10, "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Status", "Operator": "Include", "Value": "0"}]}]}});
    let status = timed(10, || post("/api/target-users/search", status_body.clone())).await?;
    // Issue #17's case: a status filter sorted on another column, with its total.
    let status_sorted_body = json!({"pageNumber": 1, "pageSize": 20, "orderBy": "LastName", "ascending": true,
        "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Status", "Operator": "Include", "Value": "1"}]}]}});
    let status_sorted = timed(15, || {
        post("/api/target-users/search", status_sorted_body.clone())
    })
    .await?;
    println!(
        "[{engine}] count-summary median {:.2} ms",
        summary.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] first page + total (unfiltered) median {:.2} ms",
        page.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] page 50 x 100 by email median {:.2} ms",
        deep.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] Email Contains + total median {:.2} ms",
        contains.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] searchInputTextValue (4 columns) + total median {:.2} ms",
        text.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] Status Include 0 + total median {:.2} ms",
        status.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] Status Include 1 sorted by LastName + total median {:.2} ms",
        status_sorted.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] UI search box, 11 columns, rare text + total median {:.2} ms",
        box_rare.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] UI search box, 11 columns, 'veryhigh' + total median {:.2} ms",
        box_priority.as_secs_f64() * 1e3
    );

    // CSV export of everything before any group or custom field exists, with memory sampled
    // while it streams.
    let (csv_time, bytes, grew_mib) = csv_export(&http, &base, &token, &cid).await?;
    println!(
        "[{engine}] HTTP CSV export of {users} users: {:.2} s, {:.1} MB, process RSS grew {:.1} MiB",
        csv_time.as_secs_f64(),
        bytes as f64 / 1e6,
        grew_mib
    );

    // The engine's own CSV writer over the same rows and order.
    let cols = "email, first_name, last_name, department, phone_number, priority, is_active, is_deleted, time_zone_id, \
                preferred_language_id, manager_first_name, manager_email, create_time, update_time, resource_id";
    let select = format!(
        "SELECT {cols} FROM target_users WHERE company_id = {} ORDER BY create_time DESC, id DESC",
        company_id
    );
    let t = Instant::now();
    let native = match engine {
        "postgres" => std::process::Command::new("psql")
            .arg(&database_url)
            .arg("-qc")
            .arg(format!(
                "\\copy ({select}) TO '/dev/null' WITH (FORMAT csv, HEADER)"
            ))
            .status()
            .map(|s| s.success()),
        _ => std::process::Command::new("sqlite3")
            .arg("-csv")
            .arg("-header")
            .arg(dir.path().join("rollcall.db"))
            .arg(&select)
            .stdout(std::process::Stdio::null())
            .status()
            .map(|s| s.success()),
    };
    match native {
        Ok(true) => {
            let native = t.elapsed();
            println!(
                "[{engine}] engine's own CSV of the same rows: {:.2} s; HTTP export / engine = {:.2}",
                native.as_secs_f64(),
                csv_time.as_secs_f64() / native.as_secs_f64()
            );
        }
        _ => println!("[{engine}] engine CLI not available (install sqlite3 / psql) for the native CSV comparison"),
    }

    // Target groups (issue #14): memberships added by filter, then the group page (counts from
    // the groups' rows), member searches, and the TargetGroup filter beside Department's.
    let put = |path: String, body: Value| {
        let req = http
            .put(format!("{base}{path}"))
            .bearer_auth(&token)
            .header("X-KEEPNET-Company-Id", &cid)
            .json(&body);
        async move {
            let r = req.send().await?;
            anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
            let v: Value = r.json().await?;
            Ok::<Value, anyhow::Error>(v)
        }
    };
    let mut group_ids = Vec::new();
    for name in (0..18)
        .map(|k| format!("Team {k}"))
        .chain(["Sales".into(), "Everyone".into()])
    {
        let v: Value = http
            .post(format!("{base}/api/target-groups"))
            .bearer_auth(&token)
            .header("X-KEEPNET-Company-Id", &cid)
            .json(&json!({"name": name, "priority": "Medium"}))
            .send()
            .await?
            .json()
            .await?;
        group_ids.push(
            v["data"]["resourceId"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let by_filter = |items: Value| json!({"selectAll": true, "filter": {"FilterGroups": [{"FilterItems": items}]}});
    for (k, g) in group_ids.iter().take(18).enumerate() {
        put(
            format!("/api/target-groups/{g}/users"),
            by_filter(json!([{"FieldName": "Email", "Operator": "Contains", "Value": format!("r1234{}", k % 10)}])),
        )
        .await?;
    }
    let (sales, everyone) = (group_ids[18].clone(), group_ids[19].clone());
    let t = Instant::now();
    put(
        format!("/api/target-groups/{sales}/users"),
        by_filter(json!([{"FieldName": "Department", "Operator": "=", "Value": "Sales"}])),
    )
    .await?;
    let add_sales = t.elapsed();
    let t = Instant::now();
    put(
        format!("/api/target-groups/{everyone}/users"),
        by_filter(json!([])),
    )
    .await?;
    let add_everyone = t.elapsed();
    println!(
        "[{engine}] add by filter: Department = Sales {:.2} s, every user {:.2} s",
        add_sales.as_secs_f64(),
        add_everyone.as_secs_f64()
    );
    let groups_page = timed(20, || {
        post(
            "/api/target-groups/search",
            json!({"pageNumber": 1, "pageSize": 20, "systemGeneratedGroups": true}),
        )
    })
    .await?;
    let sales_members = {
        let path = format!("/api/target-groups/{sales}/users");
        timed(10, || post(&path, json!({"pageNumber": 1, "pageSize": 10}))).await?
    };
    let everyone_members = {
        let path = format!("/api/target-groups/{everyone}/users");
        timed(5, || post(&path, json!({"pageNumber": 1, "pageSize": 10}))).await?
    };
    let in_group_body = json!({"pageNumber": 1, "pageSize": 10, "filter": {"FilterGroups": [{"FilterItems": [
        {"FieldName": "TargetGroup", "Operator": "Include", "Value": sales}]}]}});
    let in_group = timed(10, || {
        post("/api/target-users/search", in_group_body.clone())
    })
    .await?;
    let dept_body = json!({"pageNumber": 1, "pageSize": 10, "filter": {"FilterGroups": [{"FilterItems": [
        {"FieldName": "Department", "Operator": "=", "Value": "Sales"}]}]}});
    let dept = timed(10, || post("/api/target-users/search", dept_body.clone())).await?;
    println!(
        "[{engine}] group search page (20 groups, counts) + total median {:.2} ms",
        groups_page.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] members of Sales ({} users), first page + total median {:.2} ms",
        users / 8,
        sales_members.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] members of Everyone, first page + total median {:.2} ms",
        everyone_members.as_secs_f64() * 1e3
    );
    println!(
        "[{engine}] TargetGroup Include Sales + total median {:.2} ms; Department = Sales + total median {:.2} ms",
        in_group.as_secs_f64() * 1e3,
        dept.as_secs_f64() * 1e3
    );

    // Custom fields (issue #14): a String field holding every user's department, written in
    // one statement (a million API writes would time the API, not the search), then the same
    // filters and sort on it and on Department.
    let field: Value = http
        .post(format!("{base}/api/custom-fields"))
        .bearer_auth(&token)
        .header("X-KEEPNET-Company-Id", &cid)
        .json(&json!({"name": "Cost Centre", "fieldDataType": "String"}))
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(field["isSuccess"] == true, "custom field: {field}");
    let field_id = store
        .custom_fields(company_id)
        .await?
        .first()
        .map(|f| f.id)
        .ok_or_else(|| anyhow::anyhow!("the custom field is missing"))?;
    let fill = format!(
        "INSERT INTO custom_field_values (field_id, target_user_id, value_text, value_lower) \
         SELECT {field_id}, id, department, department_lower FROM target_users WHERE company_id = {}",
        company_id
    );
    let t = Instant::now();
    match engine {
        "postgres" => {
            let pool = sqlx::PgPool::connect(&database_url).await?;
            sqlx::query(&fill).execute(&pool).await?;
            sqlx::query("VACUUM ANALYZE custom_field_values")
                .execute(&pool)
                .await?;
        }
        _ => {
            let file = dir.path().join("rollcall.db");
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display())).await?;
            sqlx::query(&fill).execute(&pool).await?;
        }
    }
    println!(
        "[{engine}] custom field values for {users} users written in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let one = |field: &str, op: &str, value: &str| {
        json!({"pageNumber": 1, "pageSize": 10, "filter": {"FilterGroups": [{"FilterItems": [
            {"FieldName": field, "Operator": op, "Value": value}]}]}})
    };
    for (op, value) in [
        ("=", "Sales"),
        ("Include", "Sales,Legal"),
        ("Contains", "ale"),
    ] {
        let (custom_body, dept_body) =
            (one("Cost Centre", op, value), one("Department", op, value));
        let custom = timed(10, || post("/api/target-users/search", custom_body.clone())).await?;
        let dept = timed(10, || post("/api/target-users/search", dept_body.clone())).await?;
        println!(
            "[{engine}] Cost Centre {op} {value} + total median {:.2} ms; Department {op} {value} + total median {:.2} ms; ratio {:.2}",
            custom.as_secs_f64() * 1e3,
            dept.as_secs_f64() * 1e3,
            custom.as_secs_f64() / dept.as_secs_f64()
        );
    }
    let sorted =
        |field: &str| json!({"pageNumber": 1, "pageSize": 10, "orderBy": field, "ascending": true});
    let by_custom = timed(5, || {
        post("/api/target-users/search", sorted("Cost Centre"))
    })
    .await?;
    let by_dept = timed(5, || post("/api/target-users/search", sorted("Department"))).await?;
    println!(
        "[{engine}] first page sorted by Cost Centre median {:.2} ms; by Department median {:.2} ms",
        by_custom.as_secs_f64() * 1e3,
        by_dept.as_secs_f64() * 1e3
    );
    let (with_time, with_bytes, with_grew) = csv_export(&http, &base, &token, &cid).await?;
    println!(
        "[{engine}] HTTP CSV export with group names (20 groups, every user in one or more) and the custom column: {:.2} s, {:.1} MB, RSS grew {:.1} MiB; / plain export = {:.2}",
        with_time.as_secs_f64(),
        with_bytes as f64 / 1e6,
        with_grew,
        with_time.as_secs_f64() / csv_time.as_secs_f64()
    );

    let t = Instant::now();
    let mut resp = http
        .post(format!("{base}/api/target-users/search/export"))
        .bearer_auth(&token)
        .header("X-KEEPNET-Company-Id", &cid)
        .json(&json!({"exportType": "Excel", "reportAllPages": true}))
        .send()
        .await?;
    let mut xbytes = 0usize;
    let mut first_byte = None;
    while let Some(chunk) = resp.chunk().await? {
        first_byte.get_or_insert_with(|| t.elapsed());
        xbytes += chunk.len();
    }
    let x = t.elapsed();
    println!(
        "[{engine}] HTTP Excel export (groups and custom column): {:.2} s (first byte after {:.2} s), {:.1} MB, {:.0} rows/s",
        x.as_secs_f64(),
        first_byte.unwrap_or_default().as_secs_f64(),
        xbytes as f64 / 1e6,
        users as f64 / x.as_secs_f64()
    );
    drop(store);
    common::finish(engine, &database_url).await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users: u64 = arg("--users")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let engine = arg("--engine").unwrap_or_else(|| "both".into());
    for e in ["sqlite", "postgres"] {
        if engine == "both" || engine == e {
            run(e, users).await?;
        }
    }
    Ok(())
}
