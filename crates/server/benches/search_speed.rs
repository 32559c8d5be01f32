//! Issue #17's table: the search calls a reseller's tools make against one customer with many
//! target users, on SQLite and PostgreSQL, through the real server over HTTP on 127.0.0.1,
//! printed beside the targets. Each single call is the median of 15 (after one
//! warm-up); the two throughput rows run 64 connections for a few seconds each. The load
//! generator runs in this process, sharing the machine's cores with the server, as the issue's
//! own measurement did.
//!
//! Run: `cargo bench -p rollcall-server --bench search_speed -- [--users N]
//! [--engine sqlite|postgres|both] [--keep DIR] [--seconds S]`
//!
//! `--keep DIR` keeps the loaded users (SQLite under `DIR`, PostgreSQL in a database named
//! after the size) for the next run, so that the 10,000,000-user row of the scaling table loads
//! once. SQLite gets no `ANALYZE`: the server never gathers statistics, so the plans measured
//! are the ones production runs. PostgreSQL gets `VACUUM ANALYZE`, as autovacuum would.
//! This prints figures; it asserts nothing, so it is not part of the test suite.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rollcall_testkit::synthetic::user;
use serde_json::{json, Value};

mod common;

use common::{arg, median};

/// One row of the table: the call, what was measured, and the target beside it.
struct Row {
    call: &'static str,
    figure: String,
    target: &'static str,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// One search's answer, whole, after checking the call succeeded.
async fn search_body(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    cid: &str,
    body: &Value,
) -> anyhow::Result<impl AsRef<[u8]>> {
    let r = http
        .post(format!("{base}/api/target-users/search"))
        .bearer_auth(token)
        .header("X-KEEPNET-Company-Id", cid)
        .json(body)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "search: {}", r.status());
    Ok(r.bytes().await?)
}

/// The server's answer to one search: its total, after checking the call succeeded.
async fn search(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    cid: &str,
    body: &Value,
) -> anyhow::Result<i64> {
    let v: Value =
        serde_json::from_slice(search_body(http, base, token, cid, body).await?.as_ref())?;
    Ok(v["data"]["totalNumberOfRecords"].as_i64().unwrap_or(-1))
}

async fn summary(http: &reqwest::Client, base: &str, token: &str, cid: &str) -> anyhow::Result<()> {
    let r = http
        .get(format!("{base}/api/target-users/count-summary"))
        .bearer_auth(token)
        .header("X-KEEPNET-Company-Id", cid)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "count summary: {}", r.status());
    r.bytes().await?;
    Ok(())
}

/// Median of 15 timed searches with `body`, after one warm-up; also the total it reported.
async fn timed_search(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    cid: &str,
    body: Value,
) -> anyhow::Result<(Duration, i64)> {
    let total = search(http, base, token, cid, &body).await?;
    let mut times = Vec::with_capacity(15);
    for _ in 0..15 {
        let t = Instant::now();
        search(http, base, token, cid, &body).await?;
        times.push(t.elapsed());
    }
    Ok((median(times), total))
}

/// Requests per second and the 99th-percentile latency of `call` run by 64 connections at once
/// for `seconds`.
async fn throughput<F, Fut>(seconds: u64, call: F) -> anyhow::Result<(f64, Duration)>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let call = Arc::new(call);
    // A short warm-up opens the connections and fills the pool.
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                call().await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                call().await?;
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let p99 = all[(all.len() * 99 / 100).min(all.len() - 1)];
    Ok((all.len() as f64 / elapsed, p99))
}

fn contains(field: &str, value: &str) -> Value {
    json!({"pageNumber": 1, "pageSize": 20,
        "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": field, "Operator": "Contains", "Value": value}]}]}})
}

async fn run(
    engine: &str,
    users: u64,
    keep: Option<&str>,
    seconds: u64,
) -> anyhow::Result<Vec<Row>> {
    let kept_dir = keep.map(|k| std::path::Path::new(k).join(format!("sqlite-{users}")));
    let db_name = format!("rollcall_speed_{users}");
    let bench =
        common::start_in(engine, kept_dir.as_deref().map(|d| (d, db_name.as_str()))).await?;
    let meta = keep.map(|k| std::path::Path::new(k).join(format!("{engine}-{users}.company")));
    let (base, token, http) = (bench.base.clone(), bench.token.clone(), bench.http.clone());
    let cid = match meta.as_ref().and_then(|m| std::fs::read_to_string(m).ok()) {
        Some(cid) => {
            println!(
                "[{engine}] reusing the {users} users kept in {}",
                keep.unwrap_or("")
            );
            cid.trim().to_owned()
        }
        None => {
            let (cid, company_id) = bench
                .company(&format!("BigCorp {users}"), users * 2)
                .await?;
            let t = Instant::now();
            let now = chrono::Utc::now().timestamp_millis();
            let mut n = 0;
            let mut shown = 0;
            while n < users {
                let batch: Vec<_> = (n..(n + 20_000).min(users)).map(|i| user(i, now)).collect();
                bench
                    .store
                    .insert_target_users(company_id, &batch, &rollcall_store::Actor::system())
                    .await?;
                n += batch.len() as u64;
                if n * 10 / users > shown {
                    shown = n * 10 / users;
                    println!(
                        "[{engine}] loaded {n} of {users} users ({:.0} s)",
                        t.elapsed().as_secs_f64()
                    );
                }
            }
            if engine == "postgres" {
                std::process::Command::new("psql")
                    .arg(&bench.database_url)
                    .arg("-qc")
                    .arg("VACUUM ANALYZE target_users")
                    .status()?;
            }
            if let Some(m) = &meta {
                std::fs::write(m, &cid)?;
            }
            cid
        }
    };

    let mut rows = Vec::new();
    let t = {
        summary(&http, &base, &token, &cid).await?;
        let mut times = Vec::new();
        for _ in 0..15 {
            let t = Instant::now();
            summary(&http, &base, &token, &cid).await?;
            times.push(t.elapsed());
        }
        median(times)
    };
    rows.push(Row {
        call: "count summary",
        figure: ms(t),
        target: "< 2 ms",
    });
    let single: [(&'static str, Value, &'static str); 7] = [
        (
            "first page (20) + total",
            json!({"pageNumber": 1, "pageSize": 20}),
            "< 5 ms",
        ),
        (
            "Email Contains a rare string (1 hit) + total",
            contains("Email", "r123456@"),
            "< 5 ms",
        ),
        (
            "Department Contains \"sales\" + total",
            contains("Department", "sales"),
            "< 30 ms",
        ),
        (
            "SearchInputTextValue \"okafor\" + total",
            json!({"pageNumber": 1, "pageSize": 20, "filter": {"SearchInputTextValue": "okafor"}}),
            "< 30 ms",
        ),
        (
            "Status Include \"1\" sorted by LastName + total",
            json!({"pageNumber": 1, "pageSize": 20, "orderBy": "LastName", "ascending": true,
                "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Status", "Operator": "Include", "Value": "1"}]}]}}),
            "< 10 ms",
        ),
        (
            "page 5,000 (20) by Email",
            json!({"pageNumber": 5000.min(users / 20).max(1), "pageSize": 20, "orderBy": "Email", "ascending": true}),
            "keep",
        ),
        (
            "a 1,000-row page in the middle",
            json!({"pageNumber": (users / 2000).max(1), "pageSize": 1000}),
            "< 25 ms",
        ),
    ];
    for (call, body, target) in single {
        let (t, total) = timed_search(&http, &base, &token, &cid, body).await?;
        rows.push(Row {
            call,
            figure: format!("{} ({total} hits)", ms(t)),
            target,
        });
    }
    let (rate, p99) = {
        let (http, base, token, cid) = (http.clone(), base.clone(), token.clone(), cid.clone());
        throughput(seconds, move || {
            let (http, base, token, cid) = (http.clone(), base.clone(), token.clone(), cid.clone());
            // Read whole but not parsed, like the count summaries (and wrk): the generator's
            // parsing would take CPU from the server it shares the cores with.
            async move {
                search_body(
                    &http,
                    &base,
                    &token,
                    &cid,
                    &json!({"pageNumber": 1, "pageSize": 20}),
                )
                .await
                .map(|_| ())
            }
        })
        .await?
    };
    rows.push(Row {
        call: "first-page searches/s at 64 connections (p99)",
        figure: format!("{rate:.0} ({})", ms(p99)),
        target: ">= 5,000 (p99 < 30 ms)",
    });
    let (rate, p99) = {
        let (http, base, token, cid) = (http.clone(), base.clone(), token.clone(), cid.clone());
        throughput(seconds, move || {
            let (http, base, token, cid) = (http.clone(), base.clone(), token.clone(), cid.clone());
            async move { summary(&http, &base, &token, &cid).await }
        })
        .await?
    };
    rows.push(Row {
        call: "count summaries/s at 64 connections (p99)",
        figure: format!("{rate:.0} ({})", ms(p99)),
        target: ">= 10,000",
    });
    if keep.is_none() {
        common::finish(engine, &bench.database_url).await;
    }
    Ok(rows)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users: u64 = arg("--users")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let seconds: u64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(5);
    let engine = arg("--engine").unwrap_or_else(|| "both".into());
    let keep = arg("--keep");
    let engines: Vec<&str> = match engine.as_str() {
        "both" => vec!["sqlite", "postgres"],
        e => vec![e],
    };
    let mut columns = Vec::new();
    for e in &engines {
        let rows = run(e, users, keep.as_deref(), seconds).await?;
        for r in &rows {
            println!("[{e}] {}: {}", r.call, r.figure);
        }
        columns.push((*e, rows));
    }
    println!(
        "\n{users} users, one company, median of 15 (throughput: {seconds} s at 64 connections)\n"
    );
    let header: Vec<&str> = engines.to_vec();
    println!("| call | {} | target |", header.join(" | "));
    println!("|---|{}---|", "---|".repeat(header.len()));
    for i in 0..columns[0].1.len() {
        let figures: Vec<&str> = columns.iter().map(|(_, r)| r[i].figure.as_str()).collect();
        println!(
            "| {} | {} | {} |",
            columns[0].1[i].call,
            figures.join(" | "),
            columns[0].1[i].target
        );
    }
    Ok(())
}
