//! Figures for the `rollcall` CLI's exports against a real server with one big customer
//! (default 200,000 users) and three small ones (1,000 each):
//!
//! - `users export --company BigCorp --format csv`: the CLI streams the server's file to disk;
//!   its time against `curl` downloading the same export, and its peak memory;
//! - `users export --all-companies --format csv|ndjson|xlsx`: csv joins the server's per-company
//!   CSV exports; ndjson and xlsx page through every company's search and the CLI writes the file
//!   itself (the workbook with the server's own writer); time, rows per second and peak memory.
//!
//! Peak memory is the child's maximum resident set size from GNU `time` (`/usr/bin/time`). Run
//! it at two sizes: a CLI that held the file in memory would grow with the users.
//!
//! Run: `cargo bench -p rollcall --bench cli_export -- [--users N] [--engine sqlite|postgres]`
//! (PostgreSQL needs `ROLLCALL_TEST_DATABASE_URL`). It prints figures and asserts nothing.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use rollcall_testkit::{synthetic, Engine, TestServer, ROOT_ID, ROOT_SECRET, SCOPE};
use serde_json::json;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Wall time (s) and peak RSS (MiB) of a command, from GNU time's last stderr line.
fn measured(mut cmd: Command) -> anyhow::Result<(f64, f64)> {
    let out = cmd.output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(out.status.success(), "{cmd:?} failed: {err}");
    let last = err.lines().last().unwrap_or_default();
    let mut parts = last.split_whitespace();
    let (Some(kib), Some(secs)) = (parts.next(), parts.next()) else {
        anyhow::bail!("no GNU time figures in: {err}");
    };
    Ok((secs.parse()?, kib.parse::<f64>()? / 1024.0))
}

fn timed(program: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%M %e", program]).args(args);
    cmd
}

fn mib(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users: u64 = arg("--users").map_or(Ok(200_000), |v| v.parse())?;
    let engine = match arg("--engine").as_deref() {
        None | Some("sqlite") => Engine::Sqlite,
        Some("postgres") => Engine::Postgres,
        Some(other) => anyhow::bail!("--engine sqlite|postgres, not {other}"),
    };
    anyhow::ensure!(
        Path::new("/usr/bin/time").exists(),
        "install GNU time (Debian package `time`)"
    );
    let s = TestServer::start(engine)
        .await
        .ok_or_else(|| anyhow::anyhow!("set ROLLCALL_TEST_DATABASE_URL to bench PostgreSQL"))?;
    let token = s.root_token().await;
    let now = chrono::Utc::now().timestamp_millis();
    let t = Instant::now();
    let mut total = 0;
    let mut big_id = String::new();
    for (name, n) in [
        ("BigCorp", users),
        ("Small A", 1_000),
        ("Small B", 1_000),
        ("Small C", 1_000),
    ] {
        let resource_id = s
            .create_company(&token, None, json!({"name": name, "numberOfUsers": n * 2}))
            .await;
        let company = s
            .store
            .company_by_resource_id(&resource_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{name} missing"))?;
        if name == "BigCorp" {
            big_id = resource_id.clone();
        }
        let slug = name.replace(' ', "").to_lowercase();
        let mut i = 0;
        while i < n {
            // Distinct emails per company: the generator numbers users from 0.
            let batch: Vec<_> = (i..(i + 20_000).min(n))
                .map(|k| {
                    let (mut f, at) = synthetic::user(k, now);
                    f.email = format!("{slug}.{}", f.email);
                    (f, at)
                })
                .collect();
            s.store
                .insert_target_users(company.id, &batch, &rollcall_store::Actor::system())
                .await?;
            i += batch.len() as u64;
        }
        total += n;
    }
    {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&s.database_url()).await?;
        // PostgreSQL only: autovacuum does this on a live database. rollcall never gathers
        // SQLite statistics, so the SQLite figures are without them, as in production.
        if engine == Engine::Postgres {
            sqlx::query("VACUUM ANALYZE").execute(&mut conn).await?;
        }
        conn.close().await?;
    }
    println!(
        "[{engine:?}] loaded {total} users ({users} in BigCorp) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let home = tempfile::tempdir()?;
    let dir = home.path().to_path_buf();
    let out = |name: &str| dir.join(name);
    let cli = env!("CARGO_BIN_EXE_rollcall");
    let env = [
        ("KEEPNET_CLIENT_ID", ROOT_ID),
        ("KEEPNET_CLIENT_SECRET", ROOT_SECRET),
        ("KEEPNET_API_BASE_URL", s.base.as_str()),
    ];
    let run_cli = |args: &[&str]| {
        let mut cmd = timed(cli, args);
        cmd.envs(env)
            .env_remove("ROLLCALL_CONFIG")
            .env("HOME", &dir);
        measured(cmd)
    };

    // The same download with curl, as the reference for a client that only streams bytes.
    let auth = format!("Authorization: Bearer {token}");
    let scope = format!("{SCOPE}: {big_id}");
    let export_url = s.url("/api/target-users/search/export");
    let curl = |file: &Path| {
        let mut cmd = timed(
            "curl",
            &[
                "-sSf",
                "-o",
                file.to_str().unwrap_or_default(),
                "-X",
                "POST",
                "-H",
                &auth,
                "-H",
                &scope,
                "-H",
                "Content-Type: application/json",
                "--data",
                r#"{"exportType": "CSV", "reportAllPages": true}"#,
                &export_url,
            ],
        );
        cmd.env("HOME", &dir);
        cmd
    };
    // A warm-up export, not measured: whichever of curl and the CLI ran first would otherwise
    // pay for cold caches (the database's pages, the page cache) and bias the CLI/curl ratio.
    let warm_file = out("warm-up.csv");
    measured(curl(&warm_file))?;
    std::fs::remove_file(&warm_file)?;
    let curl_file = out("curl.csv");
    let (curl_s, curl_mib) = measured(curl(&curl_file))?;
    let cli_file = out("cli.csv");
    let (cli_s, cli_mib) = run_cli(&[
        "users",
        "export",
        "--company",
        "BigCorp",
        "--format",
        "csv",
        "-o",
        cli_file.to_str().unwrap_or_default(),
    ])?;
    println!(
        "one company, CSV ({users} users, {:.1} MiB): CLI {cli_s:.2} s, peak {cli_mib:.1} MiB; curl {curl_s:.2} s, peak {curl_mib:.1} MiB; CLI/curl time {:.2}",
        mib(&cli_file),
        cli_s / curl_s.max(0.001)
    );
    // What paging costs the server: the first and the last page of 1,000, as the CLI asks.
    let pages = users.div_ceil(1000).max(1);
    for page in [1, pages / 2, pages] {
        let t = Instant::now();
        let (status, body) = s
            .post(
                "/api/target-users/search",
                &token,
                json!({"pageNumber": page, "pageSize": 1000}),
                &[(SCOPE, big_id.as_str())],
            )
            .await;
        anyhow::ensure!(status.is_success(), "{body}");
        println!(
            "search page {page} of {pages} (1,000 rows, JSON read by the bench): {:.1} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    for format in ["csv", "ndjson", "xlsx"] {
        let file = out(&format!("all.{format}"));
        let (secs, peak) = run_cli(&[
            "users",
            "export",
            "--all-companies",
            "--format",
            format,
            "-o",
            file.to_str().unwrap_or_default(),
        ])?;
        println!(
            "all companies, {format} ({total} users, {:.1} MiB): CLI {secs:.2} s = {:.0} rows/s, peak {peak:.1} MiB",
            mib(&file),
            total as f64 / secs.max(0.001)
        );
    }
    s.finish().await;
    Ok(())
}
