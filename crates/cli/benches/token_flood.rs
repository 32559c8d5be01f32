//! A flood of wrong-secret token requests against a real `rollcall serve` process (issue #11,
//! part 1): the server's resident memory above idle, and how long a genuine token request
//! takes meanwhile.
//!
//! Each flood has `--clients` concurrent connections (default 300) sending wrong secrets for
//! `--seconds` (default 10). By default every connection comes from its own loopback address
//! (127.0.x.y; Linux routes all of 127/8 to loopback), a distributed attack; `--from one` sends
//! them all from 127.0.0.2. The genuine client asks for a token from 127.0.0.1 every 250 ms
//! (it got one before the flood, as a client renewing hourly has). Servers compared:
//!
//! - `default`: the default settings;
//! - `no-failure-limit`: `--token-failure-limit off`, so every wrong secret is hashed: the
//!   hashing pool's bound alone keeps memory flat;
//! - `unbounded`: `--token-failure-limit off --secret-check-threads 300 --secret-check-wait 600`,
//!   about what rollcall did before the pool (a hash per request, all at once), for a ratio
//!   measured in the same run.
//!
//! Run: `cargo bench -p rollcall --bench token_flood -- [--clients N] [--seconds S]
//! [--from many|one] [--servers default,no-failure-limit,unbounded]`. It prints figures and
//! asserts nothing; the targets are < 150 MiB above idle and < 1 s for the genuine request.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rollcall");
const ID: &str = "flood-bench";
const SECRET: &str = "flood-bench-secret-0123456789";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

mod common;
use common::rss_mib;

fn client_from(ip: IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

async fn token(http: &reqwest::Client, port: u16, secret: &str) -> Option<u16> {
    http.post(format!("http://127.0.0.1:{port}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ID),
            ("client_secret", secret),
        ])
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

struct Outcome {
    idle: f64,
    peak: f64,
    after: f64,
    answers: BTreeMap<u16, u64>,
    failed: u64,
    genuine: Vec<(Duration, Option<u16>)>,
}

async fn flood(
    server: &str,
    extra: &[&str],
    clients: usize,
    seconds: u64,
    many: bool,
) -> anyhow::Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut child = tokio::process::Command::new(BIN)
        .arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(extra)
        .env("ROLLCALL_BOOTSTRAP_CLIENT_ID", ID)
        .env("ROLLCALL_BOOTSTRAP_CLIENT_SECRET", SECRET)
        .env("ROLLCALL_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
    let genuine_http = client_from("127.0.0.1".parse()?);
    let deadline = Instant::now() + Duration::from_secs(30);
    while token(&genuine_http, port, SECRET).await != Some(200) {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{server}: the server did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = rss_mib(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(idle.to_bits()));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let now = rss_mib(pid);
                if now > f64::from_bits(peak.load(Ordering::Relaxed)) {
                    peak.store(now.to_bits(), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for k in 0..clients {
        let ip: IpAddr = if many {
            format!("127.0.{}.{}", 1 + k / 250, 2 + k % 250).parse()?
        } else {
            "127.0.0.2".parse()?
        };
        tasks.push(tokio::spawn(async move {
            let http = client_from(ip);
            let mut seen: BTreeMap<u16, u64> = BTreeMap::new();
            let mut failed = 0;
            while Instant::now() < until {
                match token(&http, port, "wrong-secret-of-the-flood").await {
                    Some(s) => *seen.entry(s).or_default() += 1,
                    None => failed += 1,
                }
            }
            (seen, failed)
        }));
    }
    // The genuine client runs on a thread and runtime of its own, so that what it measures is
    // the server, not this process's scheduling of the flood's tasks.
    let genuine = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let mut genuine = Vec::new();
            while Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let t = Instant::now();
                let status = token(&genuine_http, port, SECRET).await;
                genuine.push((t.elapsed(), status));
            }
            genuine
        })
    });
    let mut answers = BTreeMap::new();
    let mut failed = 0;
    for t in tasks {
        let (seen, f) = t.await?;
        failed += f;
        for (s, n) in seen {
            *answers.entry(s).or_default() += n;
        }
    }
    let genuine = genuine
        .join()
        .map_err(|_| anyhow::anyhow!("the genuine client panicked"))?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    sampler.await?;
    let after = rss_mib(pid);
    child.kill().await?;
    Ok(Outcome {
        idle,
        peak: f64::from_bits(peak.load(Ordering::Relaxed)),
        after,
        answers,
        failed,
        genuine,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let clients: usize = arg("--clients").map_or(Ok(300), |v| v.parse())?;
    let seconds: u64 = arg("--seconds").map_or(Ok(10), |v| v.parse())?;
    let many = arg("--from").as_deref() != Some("one");
    let servers = arg("--servers").unwrap_or_else(|| "default,no-failure-limit,unbounded".into());
    println!(
        "{clients} connections sending wrong secrets for {seconds} s from {}; a genuine token request every 250 ms",
        if many { "one address each" } else { "one address" }
    );
    println!(
        "{:<18} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9}  answers to the flood",
        "server", "idle MiB", "peak +MiB", "after +MiB", "genuine ok", "p50 ms", "max ms"
    );
    for server in servers.split(',') {
        let extra: &[&str] = match server {
            "default" => &[],
            "no-failure-limit" => &["--token-failure-limit", "off"],
            "unbounded" => &[
                "--token-failure-limit",
                "off",
                "--secret-check-threads",
                "300",
                "--secret-check-wait",
                "600",
            ],
            other => anyhow::bail!("unknown server '{other}'"),
        };
        let o = flood(server, extra, clients, seconds, many).await?;
        let mut times: Vec<Duration> = o.genuine.iter().map(|(d, _)| *d).collect();
        times.sort();
        let ok = o.genuine.iter().filter(|(_, s)| *s == Some(200)).count();
        let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        let answers: Vec<String> = o
            .answers
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .chain((o.failed > 0).then(|| format!("no answer: {}", o.failed)))
            .collect();
        println!(
            "{:<18} {:>9.1} {:>9.1} {:>9.1} {:>6}/{:<3} {:>9.1} {:>9.1}  {}",
            server,
            o.idle,
            o.peak - o.idle,
            o.after - o.idle,
            ok,
            o.genuine.len(),
            ms(times.get(times.len() / 2)),
            ms(times.last()),
            answers.join(", ")
        );
    }
    Ok(())
}
