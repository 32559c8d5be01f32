//! The soak command (issue #17): minutes of mixed traffic from several clients against one
//! `rollcall serve` process on 127.0.0.1, then a check of every write (see `soak_run/mod.rs`).
//!
//! Run: `cargo bench -p rollcall --bench soak -- [--seconds 300] [--requests 2000000]
//! [--clients 8] [--preload 2000] [--engine sqlite|postgres]`. PostgreSQL uses a new database
//! on the server `ROLLCALL_TEST_DATABASE_URL` names. It prints the figures and exits non-zero
//! when the bar is missed (a 5xx, a failed connection, a lost or duplicated write, counters that
//! differ from the rows); CI runs a short version as a test (`tests/cli/soak.rs`).

mod soak_run;
use soak_run as soak;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn num(name: &str, default: u64) -> u64 {
    arg(name).and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let engine = arg("--engine").unwrap_or_else(|| "sqlite".into());
    let database_url = match engine.as_str() {
        "postgres" => {
            let admin = std::env::var("ROLLCALL_TEST_DATABASE_URL").map_err(|_| {
                anyhow::anyhow!("set ROLLCALL_TEST_DATABASE_URL to soak PostgreSQL")
            })?;
            let name = format!("rollcall_soak_{}", std::process::id());
            let status = std::process::Command::new("psql")
                .arg(&admin)
                .arg("-qc")
                .arg(format!("CREATE DATABASE {name}"))
                .status()?;
            anyhow::ensure!(status.success(), "could not create the soak database");
            format!(
                "{}/{name}",
                admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b)
            )
        }
        _ => String::new(),
    };
    let run = soak::Soak {
        bin: env!("CARGO_BIN_EXE_rollcall").into(),
        database_url,
        seconds: num("--seconds", 300),
        max_requests: num("--requests", 2_000_000),
        clients: num("--clients", 8) as usize,
        preload: num("--preload", 2_000) as usize,
    };
    println!(
        "soak on {engine}: {} clients for {} s (at most {} requests), {} users preloaded",
        run.clients, run.seconds, run.max_requests, run.preload
    );
    let report = soak::run(&run).await?;
    report.print();
    anyhow::ensure!(
        report.server_errors() == 0
            && report.failures.is_empty()
            && report.lost_writes.is_empty()
            && report.counted.0 == report.counted.1
            && report.deleted.0 == report.deleted.1,
        "the soak missed its bar (see above)"
    );
    Ok(())
}
