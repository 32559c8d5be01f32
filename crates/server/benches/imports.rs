//! Figures for importing target users from a CSV file (issue #15), on SQLite and PostgreSQL,
//! through the real server over HTTP on 127.0.0.1: the upload, the mapping's row checks and
//! the import (every row new, then the same file again, every row an update), in rows per
//! second, and how much the server process's memory grew in each.
//!
//! Run: `cargo bench -p rollcall-server --bench imports -- [--rows N] [--engine sqlite|postgres|both]`
//! (default 100,000 rows). PostgreSQL needs `ROLLCALL_TEST_DATABASE_URL`. This prints figures; it
//! asserts nothing, so it is not part of the test suite.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{arg, rss_kib};
use serde_json::{json, Value};

/// Samples the process's memory until stopped; the peak growth over `base`, MiB.
struct Sampler {
    base: u64,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start() -> Sampler {
        let base = rss_kib();
        let peak = Arc::new(AtomicU64::new(base));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let task = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        Sampler {
            base,
            peak,
            stop,
            task,
        }
    }

    async fn grew_mib(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed).saturating_sub(self.base) as f64 / 1024.0
    }
}

async fn run(engine: &str, rows: usize) -> anyhow::Result<()> {
    let b = common::start(engine).await?;
    let call = |method: reqwest::Method, path: &str, company: &str, body: Option<Value>| {
        let mut req = b
            .http
            .request(method, format!("{}{path}", b.base))
            .bearer_auth(&b.token)
            .header("X-KEEPNET-Company-Id", company);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let path = path.to_owned();
        async move {
            let r = req.send().await?;
            let status = r.status();
            let v: Value = r.json().await?;
            anyhow::ensure!(status.is_success(), "{path}: {status} {v}");
            Ok::<Value, anyhow::Error>(v)
        }
    };
    let created = call(
        reqwest::Method::POST,
        "/api/companies",
        "",
        Some(json!({"Name": "Importer", "NumberOfUsers": rows * 2})),
    )
    .await?;
    let company = created["data"]["resourceId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // The second file changes every user's last name and department (searched columns, so
    // SQLite's trigram index is rewritten too); the third is the second again, changing nothing.
    let file = |moved: bool| {
        let mut csv = String::with_capacity(rows * 90);
        csv.push_str("Email Address,First Name,Last Name,Department,Phone Number,Priority\n");
        let (last, dept) = if moved {
            ("Moved", "Team")
        } else {
            ("Last", "Dept")
        };
        for i in 0..rows {
            csv.push_str(&format!(
                "user{i:07}@import.bench,First{i},{last}{},{dept} {},+4420794{:05},{}\n",
                i % 997,
                i % 50,
                i % 100_000,
                ["Low", "Medium", "High"][i % 3]
            ));
        }
        csv.into_bytes()
    };
    let mut import_rate = 0.0;
    for (round, bytes) in [
        ("every row new", file(false)),
        ("every row changed", file(true)),
        ("every row unchanged", file(true)),
    ] {
        let size_mb = bytes.len() as f64 / 1e6;
        let sampler = Sampler::start();
        let t = Instant::now();
        let part = reqwest::multipart::Part::bytes(bytes).file_name("users.csv");
        let up: Value = b
            .http
            .post(format!("{}/api/target-users/upload", b.base))
            .bearer_auth(&b.token)
            .header("X-KEEPNET-Company-Id", &company)
            .multipart(reqwest::multipart::Form::new().part("File", part))
            .send()
            .await?
            .json()
            .await?;
        let upload = t.elapsed();
        let grew_upload = sampler.grew_mib().await;
        let tid = up["data"]["transactionId"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("upload: {up}"))?
            .to_owned();

        let sampler = Sampler::start();
        let t = Instant::now();
        let job = call(
            reqwest::Method::POST,
            "/api/target-users/create-mapping",
            &company,
            Some(json!({"transactionId": tid})),
        )
        .await?;
        let id = job["data"]["resourceId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        loop {
            let m = call(
                reqwest::Method::GET,
                &format!("/api/target-users/mapping-job/{id}"),
                &company,
                None,
            )
            .await?;
            if m["data"]["status"] != "InProgress" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mapping = t.elapsed();
        let grew_mapping = sampler.grew_mib().await;

        let sampler = Sampler::start();
        let t = Instant::now();
        let job = call(
            reqwest::Method::POST,
            &format!("/api/target-users/{tid}/import"),
            &company,
            Some(json!({"importType": "ImportAll"})),
        )
        .await?;
        let id = job["data"]["resourceId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let status = loop {
            let j = call(
                reqwest::Method::GET,
                &format!("/api/jobs/{id}"),
                &company,
                None,
            )
            .await?;
            if j["data"]["isFinished"] == true {
                break j["data"]["statusName"].clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let import = t.elapsed();
        let grew_import = sampler.grew_mib().await;
        let rate = |d: Duration| rows as f64 / d.as_secs_f64();
        if round == "every row new" {
            import_rate = rate(import);
        }
        println!(
            "[{engine}] {rows} rows ({size_mb:.1} MB), {round}: upload {:.2} s ({:.0} rows/s, RSS +{grew_upload:.1} MiB), \
             check {:.2} s ({:.0} rows/s, RSS +{grew_mapping:.1} MiB), import {:.2} s ({:.0} rows/s, RSS +{grew_import:.1} MiB), job {status}",
            upload.as_secs_f64(),
            rate(upload),
            mapping.as_secs_f64(),
            rate(mapping),
            import.as_secs_f64(),
            rate(import),
        );
    }
    let copy = engine_copy(&b, engine, &company).await?;
    let copy_rate = rows as f64 / copy.as_secs_f64();
    println!(
        "[{engine}] the engine's own INSERT ... SELECT of the same {rows} users into another \
         company: {:.2} s ({copy_rate:.0} rows/s); the import of new users ran at {:.0}% of it",
        copy.as_secs_f64(),
        100.0 * import_rate / copy_rate
    );
    let database_url = b.database_url.clone();
    drop(b);
    common::finish(engine, &database_url).await;
    Ok(())
}

/// Every column of a user's row that a copy takes as it is.
const COPIED: &str = "email, email_lower, email_domain, first_name, first_name_lower, last_name, \
    last_name_lower, department, department_lower, phone_number, phone_lower, priority, is_active, \
    is_deleted, time_zone_id, preferred_language_id, manager_first_name, manager_last_name, \
    manager_email, manager_full_name_lower, manager_email_lower, create_time, create_month, \
    update_time";

/// How long the database itself takes to write the users of company `from` again, into a new
/// company, with one INSERT ... SELECT on its own connection: the same rows, indexes and
/// triggers as the import, without parsing, checks, counters or round trips. The import's
/// floor on this machine.
async fn engine_copy(b: &common::Bench, engine: &str, from: &str) -> anyhow::Result<Duration> {
    use sqlx::Connection;
    let to = b
        .http
        .post(format!("{}/api/companies", b.base))
        .bearer_auth(&b.token)
        .json(&json!({"Name": "Engine copy"}))
        .send()
        .await?
        .json::<Value>()
        .await?["data"]["resourceId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let resource_id = if engine == "postgres" {
        "md5(random()::text || id::text)"
    } else {
        "lower(hex(randomblob(8)))"
    };
    let sql = format!(
        "INSERT INTO target_users (company_id, resource_id, {COPIED}) \
         SELECT (SELECT id FROM companies WHERE resource_id = $1), {resource_id}, {COPIED} \
         FROM target_users WHERE company_id = (SELECT id FROM companies WHERE resource_id = $2)"
    );
    let t = Instant::now();
    if engine == "postgres" {
        let mut conn = sqlx::PgConnection::connect(&b.database_url).await?;
        sqlx::query(&sql)
            .bind(&to)
            .bind(from)
            .execute(&mut conn)
            .await?;
    } else {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(b.dir.path().join("rollcall.db"))
            .pragma("foreign_keys", "ON")
            .pragma("cache_size", "-65536")
            .busy_timeout(Duration::from_secs(30));
        let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
        sqlx::query(&sql)
            .bind(&to)
            .bind(from)
            .execute(&mut conn)
            .await?;
    }
    Ok(t.elapsed())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: usize = arg("--rows")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let engine = arg("--engine").unwrap_or_else(|| "both".into());
    for e in ["sqlite", "postgres"] {
        if engine == "both" || engine == e {
            run(e, rows).await?;
        }
    }
    Ok(())
}
