//! The soak run (issue #17), shared by the full command (`benches/soak.rs`) and the short run
//! CI makes (`tests/cli/soak.rs`): one real `rollcall serve` process on 127.0.0.1, several
//! clients sending mixed traffic at once for a bounded time and number of requests, then a
//! check of every write the clients saw succeed.
//!
//! Traffic: searches with random filters, sorts and pages; count summaries; CSV exports of
//! every user, half of them dropped after the first chunk; creates, updates, deletes and bulk
//! deletes of users each client owns (so that every outcome is known). Half the clients use a
//! Reseller token naming the company, half a Company Admin client of the company.
//!
//! Reported: requests per second, latency percentiles per call, responses by status, the
//! server's resident memory over time. Checked: no 5xx and no failed connection; every user a
//! create answered for exists once with its last successful update; every deleted user is
//! deleted; the company's counters (the count summary) equal its rows counted by a scan.

#![allow(dead_code)] // the test and the bench each use their part

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

const ID: &str = "soak-root";
const SECRET: &str = "soak-root-secret-0123456789";
const ADMIN_ID: &str = "soak-admin";
const ADMIN_SECRET: &str = "soak-admin-secret-0123456789";

/// What one soak run does.
#[derive(Debug, Clone)]
pub struct Soak {
    /// The `rollcall` binary.
    pub bin: String,
    /// Empty for SQLite in the run's own directory.
    pub database_url: String,
    /// Stop after this long...
    pub seconds: u64,
    /// ...or after this many requests, whichever comes first.
    pub max_requests: u64,
    /// Concurrent clients.
    pub clients: usize,
    /// Users created before the traffic starts.
    pub preload: usize,
}

/// One call's latencies (ms) and statuses.
#[derive(Debug, Default)]
struct Calls {
    latencies: BTreeMap<&'static str, Vec<f64>>,
    statuses: BTreeMap<(&'static str, u16), u64>,
    failures: Vec<String>,
}

/// What a soak run measured and found.
#[derive(Debug)]
pub struct Report {
    pub elapsed: Duration,
    pub requests: u64,
    latencies: BTreeMap<&'static str, Vec<f64>>,
    statuses: BTreeMap<(&'static str, u16), u64>,
    /// Failed connections and unreadable replies, with what happened.
    pub failures: Vec<String>,
    /// Seconds since the start, and the server's resident memory then (MiB).
    pub memory: Vec<(f64, f64)>,
    /// Writes whose outcome the final check did not find as the clients saw it.
    pub lost_writes: Vec<String>,
    /// Live users by the counters, and by a scan of the rows.
    pub counted: (i64, i64),
    /// Deleted users by the counters, and by a scan of the rows.
    pub deleted: (i64, i64),
}

impl Report {
    /// Responses with a 5xx status.
    pub fn server_errors(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|((_, s), _)| *s >= 500)
            .map(|(_, n)| n)
            .sum()
    }

    /// Prints the figures as Markdown tables.
    pub fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        println!(
            "{} requests in {secs:.1} s: {:.0} requests/s",
            self.requests,
            self.requests as f64 / secs
        );
        println!("\n| call | requests | per s | p50 | p90 | p99 | max |");
        println!("|---|---|---|---|---|---|---|");
        for (call, times) in &self.latencies {
            let mut t = times.clone();
            t.sort_by(f64::total_cmp);
            let at = |q: f64| t[((t.len() as f64 * q) as usize).min(t.len() - 1)];
            println!(
                "| {call} | {} | {:.1} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
                t.len(),
                t.len() as f64 / secs,
                at(0.5),
                at(0.9),
                at(0.99),
                t[t.len() - 1]
            );
        }
        println!("\n| call | status | responses |");
        println!("|---|---|---|");
        for ((call, status), n) in &self.statuses {
            println!("| {call} | {status} | {n} |");
        }
        println!("\nserver memory over time (s: MiB):");
        let step = (self.memory.len() / 12).max(1);
        let line: Vec<String> = self
            .memory
            .iter()
            .step_by(step)
            .map(|(t, m)| format!("{t:.0}: {m:.1}"))
            .collect();
        println!("  {}", line.join(", "));
        let half = self.memory.len() / 2;
        let peak = |s: &[(f64, f64)]| s.iter().map(|(_, m)| *m).fold(0.0, f64::max);
        println!(
            "  peak in the first half {:.1} MiB, in the second half {:.1} MiB",
            peak(&self.memory[..half]),
            peak(&self.memory[half..])
        );
        println!(
            "\n5xx: {}; failed connections: {}; lost or duplicated writes: {}",
            self.server_errors(),
            self.failures.len(),
            self.lost_writes.len()
        );
        println!(
            "live users: counters {} / rows {}; deleted users: counters {} / rows {}",
            self.counted.0, self.counted.1, self.deleted.0, self.deleted.1
        );
        for f in self.failures.iter().chain(&self.lost_writes).take(10) {
            println!("  {f}");
        }
    }
}

#[path = "../common/mod.rs"]
mod common;
use common::rss_mib;

/// A user a client made, as it last saw it succeed.
#[derive(Debug, Clone)]
struct Owned {
    resource_id: String,
    email: String,
    first_name: String,
}

/// One client's view of the server.
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    /// The company to name, for a Reseller token.
    company: Option<String>,
    calls: Arc<Mutex<Calls>>,
}

impl Client {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        match &self.company {
            Some(c) => req.header("X-KEEPNET-Company-Id", c),
            None => req,
        }
    }

    /// Sends `req`, records its latency and status under `call`, and returns the status and
    /// the JSON reply (`Null` when it is not JSON).
    async fn send(&self, call: &'static str, req: reqwest::RequestBuilder) -> Option<(u16, Value)> {
        let t = Instant::now();
        let outcome = match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                match resp.bytes().await {
                    Ok(body) => Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null))),
                    Err(e) => Err(format!("{call}: reading the reply: {e}")),
                }
            }
            Err(e) => Err(format!("{call}: {e}")),
        };
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        match outcome {
            Ok((status, body)) => {
                calls.latencies.entry(call).or_default().push(ms);
                *calls.statuses.entry((call, status)).or_default() += 1;
                Some((status, body))
            }
            Err(e) => {
                calls.failures.push(e);
                None
            }
        }
    }

    /// A CSV export of every user, read whole or dropped after the first chunk.
    async fn export(&self, cancel: bool) {
        let req = self
            .request(reqwest::Method::POST, "/api/target-users/search/export")
            .json(&json!({"exportType": "CSV", "reportAllPages": true}));
        let t = Instant::now();
        let call = if cancel {
            "export (cancelled)"
        } else {
            "export"
        };
        let outcome = match req.send().await {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let mut read = Ok(());
                loop {
                    match resp.chunk().await {
                        Ok(Some(_)) if cancel => break,
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(e) => {
                            read = Err(format!("{call}: reading the file: {e}"));
                            break;
                        }
                    }
                }
                read.map(|()| status)
            }
            Err(e) => Err(format!("{call}: {e}")),
        };
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        match outcome {
            Ok(status) => {
                calls.latencies.entry(call).or_default().push(ms);
                *calls.statuses.entry((call, status)).or_default() += 1;
            }
            Err(e) => calls.failures.push(e),
        }
    }
}

/// A random search body: a filter (or none), a sort and a page.
fn search_body(rng: &mut impl Rng) -> Value {
    let department = ["sales", "eng", "ops", "nothing"][rng.gen_range(0..4)];
    let status = ["0", "1"][rng.gen_range(0..2)];
    let items = match rng.gen_range(0..7) {
        0 => vec![],
        1 => vec![
            json!({"FieldName": "Email", "Operator": "Contains", "Value": format!("{}", rng.gen_range(0..999))}),
        ],
        2 => vec![json!({"FieldName": "Department", "Operator": "Contains", "Value": department})],
        3 => vec![json!({"FieldName": "Status", "Operator": "Include", "Value": status})],
        4 => vec![
            json!({"FieldName": "Priority", "Operator": "Include", "Value": format!("{}", rng.gen_range(1..6))}),
        ],
        5 => vec![json!({"FieldName": "FirstName", "Operator": "Contains", "Value": "soak"})],
        _ => vec![
            json!({"FieldName": "Department", "Operator": "Contains", "Value": "sales"}),
            json!({"FieldName": "Status", "Operator": "Include", "Value": "1"}),
        ],
    };
    let text = if rng.gen_bool(0.15) { "ann" } else { "" };
    let size = [10, 20, 50, 100][rng.gen_range(0..4)];
    let order = ["CreateTime", "Email", "FirstName", "LastName", "Department"][rng.gen_range(0..5)];
    json!({
        "pageNumber": rng.gen_range(1..20),
        "pageSize": size,
        "orderBy": order,
        "ascending": rng.gen_bool(0.5),
        "filter": {"SearchInputTextValue": text, "FilterGroups": [{"Condition": "AND", "FilterItems": items}]},
    })
}

fn user_body(email: &str, first_name: &str, n: u64) -> Value {
    let last = ["Okafor", "Smith", "Yılmaz", "Novák"][(n % 4) as usize];
    let department = ["Sales", "Engineering", "Operations", "Pre-Sales"][(n % 4) as usize];
    json!({
        "email": email,
        "firstName": first_name,
        "lastName": last,
        "department": department,
        "priority": format!("{}", n % 5 + 1),
        "isActive": !n.is_multiple_of(7),
    })
}

/// One client's traffic until `deadline` or the shared request budget runs out; the users it
/// owns at the end (live, and deleted).
async fn traffic(
    c: Client,
    me: usize,
    deadline: Instant,
    budget: Arc<std::sync::atomic::AtomicU64>,
) -> (Vec<Owned>, Vec<Owned>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(me as u64);
    let (mut live, mut gone): (Vec<Owned>, Vec<Owned>) = (Vec::new(), Vec::new());
    let mut n: u64 = 0;
    while Instant::now() < deadline
        && budget
            .fetch_update(
                std::sync::atomic::Ordering::Relaxed,
                std::sync::atomic::Ordering::Relaxed,
                |b| b.checked_sub(1),
            )
            .is_ok()
    {
        n += 1;
        let roll = rng.gen_range(0..100);
        match roll {
            0..=39 => {
                let body = search_body(&mut rng);
                c.send(
                    "search",
                    c.request(reqwest::Method::POST, "/api/target-users/search")
                        .json(&body),
                )
                .await;
            }
            40..=54 => {
                c.send(
                    "count summary",
                    c.request(reqwest::Method::GET, "/api/target-users/count-summary"),
                )
                .await;
            }
            55..=64 => c.export(rng.gen_bool(0.5)).await,
            65..=79 => {
                let email = format!("soak-{me}-{n}@soak.example");
                let first = format!("Soak{n}");
                let req = c
                    .request(reqwest::Method::POST, "/api/target-users")
                    .json(&user_body(&email, &first, n));
                if let Some((200, body)) = c.send("create", req).await {
                    if let Some(id) = body["data"]["resourceId"].as_str() {
                        live.push(Owned {
                            resource_id: id.to_owned(),
                            email,
                            first_name: first,
                        });
                    }
                }
            }
            80..=89 if !live.is_empty() => {
                let i = rng.gen_range(0..live.len());
                let first = format!("Soak{n}u");
                let u = &live[i];
                let req = c
                    .request(
                        reqwest::Method::PUT,
                        &format!("/api/target-users/{}", u.resource_id),
                    )
                    .json(&user_body(&u.email, &first, n));
                if let Some((200, _)) = c.send("update", req).await {
                    live[i].first_name = first;
                }
            }
            90..=96 if !live.is_empty() => {
                let i = rng.gen_range(0..live.len());
                let req = c.request(
                    reqwest::Method::DELETE,
                    &format!("/api/target-users/{}", live[i].resource_id),
                );
                if let Some((200, _)) = c.send("delete", req).await {
                    gone.push(live.swap_remove(i));
                }
            }
            97..=99 if live.len() >= 3 => {
                let picked: Vec<Owned> = (0..3)
                    .map(|_| live.swap_remove(rng.gen_range(0..live.len())))
                    .collect();
                let ids: Vec<&str> = picked.iter().map(|u| u.resource_id.as_str()).collect();
                let req = c
                    .request(reqwest::Method::DELETE, "/api/target-users/bulk-delete")
                    .json(&json!({"items": ids}));
                match c.send("bulk delete", req).await {
                    Some((200, _)) => gone.extend(picked),
                    _ => live.extend(picked),
                }
            }
            _ => {
                c.send(
                    "count summary",
                    c.request(reqwest::Method::GET, "/api/target-users/count-summary"),
                )
                .await;
            }
        }
    }
    (live, gone)
}

async fn token(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    secret: &str,
) -> anyhow::Result<String> {
    let v: Value = http
        .post(format!("{base}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "api1"),
        ])
        .send()
        .await?
        .json()
        .await?;
    v["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no token: {v}"))
}

/// Starts the server, runs the traffic, checks the writes; the server stops when this returns.
pub async fn run(soak: &Soak) -> anyhow::Result<Report> {
    let dir = tempfile::tempdir()?;
    let mut cmd = tokio::process::Command::new(&soak.bin);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--data-dir")
        .arg(dir.path())
        .env("ROLLCALL_BOOTSTRAP_CLIENT_ID", ID)
        .env("ROLLCALL_BOOTSTRAP_CLIENT_SECRET", SECRET)
        .env("ROLLCALL_LOG", "warn,rollcall=info")
        .env_remove("ROLLCALL_CONFIG_FILE")
        .env_remove("ROLLCALL_JWT_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if !soak.database_url.is_empty() {
        cmd.args(["--database-url", &soak.database_url]);
    }
    let mut child = cmd.spawn()?;
    let pid = child.id().unwrap_or(0);
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel::<String>();
    tokio::spawn(async move {
        let mut addr_tx = Some(addr_tx);
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if v["fields"]["message"] == "rollcall listening" {
                if let (Some(tx), Some(addr)) = (addr_tx.take(), v["fields"]["addr"].as_str()) {
                    let _ = tx.send(addr.to_owned());
                }
            }
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(60), addr_rx)
        .await
        .map_err(|_| anyhow::anyhow!("the server did not listen within 60 s"))??;
    anyhow::ensure!(
        addr.starts_with("127.0.0.1:"),
        "the soak runs on loopback only, not {addr}"
    );
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;

    // The company, a Company Admin client of it, and the preloaded users.
    let root = token(&http, &base, ID, SECRET).await?;
    let made: Value = http
        .post(format!("{base}/api/companies"))
        .bearer_auth(&root)
        .json(&json!({"Name": "Soak Co", "NumberOfUsers": 10_000_000}))
        .send()
        .await?
        .json()
        .await?;
    let company = made["data"]["resourceId"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no company: {made}"))?
        .to_owned();
    let made: Value = http
        .post(format!("{base}/api/companies/clients"))
        .bearer_auth(&root)
        .header("X-KEEPNET-Company-Id", &company)
        .json(
            &json!({"name": "soak admin", "clientId": ADMIN_ID, "clientSecret": ADMIN_SECRET,
            "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
        )
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(
        made["data"]["resourceId"].is_string(),
        "no admin client: {made}"
    );
    let admin = token(&http, &base, ADMIN_ID, ADMIN_SECRET).await?;
    let calls = Arc::new(Mutex::new(Calls::default()));
    let client = |reseller: bool| Client {
        http: http.clone(),
        base: base.clone(),
        token: if reseller {
            root.clone()
        } else {
            admin.clone()
        },
        company: reseller.then(|| company.clone()),
        calls: calls.clone(),
    };
    let loader = &client(true);
    let mut preloaded = Vec::new();
    for chunk in (0..soak.preload).collect::<Vec<_>>().chunks(16) {
        let sends = chunk.iter().map(|i| {
            let email = format!("preload-{i}@soak.example");
            let req = loader
                .request(reqwest::Method::POST, "/api/target-users")
                .json(&user_body(&email, &format!("Ann{i}"), *i as u64));
            async move { (email, loader.send("preload", req).await) }
        });
        for (email, outcome) in futures::future::join_all(sends).await {
            if let Some((200, body)) = outcome {
                if let Some(id) = body["data"]["resourceId"].as_str() {
                    preloaded.push((id.to_owned(), email));
                }
            }
        }
    }

    // The traffic, with the server's memory sampled each second.
    let start = Instant::now();
    let deadline = start + Duration::from_secs(soak.seconds);
    let budget = Arc::new(std::sync::atomic::AtomicU64::new(soak.max_requests));
    let memory = Arc::new(Mutex::new(Vec::new()));
    let sampler = {
        let memory = memory.clone();
        tokio::spawn(async move {
            loop {
                let m = rss_mib(pid);
                memory
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((start.elapsed().as_secs_f64(), m));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    };
    let tasks: Vec<_> = (0..soak.clients)
        .map(|me| tokio::spawn(traffic(client(me % 2 == 0), me, deadline, budget.clone())))
        .collect();
    let mut live = Vec::new();
    let mut gone = Vec::new();
    for t in tasks {
        let (l, g) = t.await?;
        live.extend(l);
        gone.extend(g);
    }
    let elapsed = start.elapsed();
    sampler.abort();

    // Every write as the clients saw it: each live user once with its last name, each deleted
    // one deleted.
    let checker = client(true);
    let mut lost = Vec::new();
    for u in &live {
        let req = checker.request(
            reqwest::Method::GET,
            &format!("/api/target-users/{}", u.resource_id),
        );
        match checker.send("check", req).await {
            Some((200, v))
                if v["data"]["firstName"] == u.first_name.as_str()
                    && v["data"]["isDeleted"] != true => {}
            other => lost.push(format!(
                "{} ({}): {:?}",
                u.email,
                u.resource_id,
                other.map(|(s, v)| (s, v["data"].clone()))
            )),
        }
        let req = checker
            .request(reqwest::Method::POST, "/api/target-users/search")
            .json(&json!({"pageNumber": 1, "pageSize": 5, "filter": {"FilterGroups": [{"Condition": "AND", "FilterItems": [
                {"FieldName": "Email", "Operator": "=", "Value": u.email}]}]}}));
        let n = checker
            .send("check", req)
            .await
            .and_then(|(_, v)| v["data"]["totalNumberOfRecords"].as_i64());
        if n != Some(1) {
            lost.push(format!("{}: found {n:?} times by its email", u.email));
        }
    }
    for u in &gone {
        let req = checker.request(
            reqwest::Method::GET,
            &format!("/api/target-users/{}", u.resource_id),
        );
        match checker.send("check", req).await {
            Some((404, _)) => {}
            Some((200, v)) if v["data"]["isDeleted"] == true => {}
            other => lost.push(format!(
                "{} deleted, but: {:?}",
                u.email,
                other.map(|(s, v)| (s, v["data"].clone()))
            )),
        }
    }
    // The counters against a count of the rows: a `Contains` on every email cannot be answered
    // from the counters, so the store counts the rows.
    let summary = checker
        .send(
            "check",
            checker.request(reqwest::Method::GET, "/api/target-users/count-summary"),
        )
        .await
        .map(|(_, v)| v)
        .unwrap_or_default();
    let by_counters = summary["data"]["totalNumberOfActiveUsers"]
        .as_i64()
        .unwrap_or(-1)
        + summary["data"]["totalNumberOfInActiveUsers"]
            .as_i64()
            .unwrap_or(-1);
    let deleted_by_counters = summary["data"]["totalNumberOfDeletedUsers"]
        .as_i64()
        .unwrap_or(-1);
    let scan = |deleted: &str| {
        json!({"pageNumber": 1, "pageSize": 1, "filter": {"FilterGroups": [{"Condition": "AND", "FilterItems": [
            {"FieldName": "Email", "Operator": "Contains", "Value": "@"},
            {"FieldName": "IsDeleted", "Operator": "=", "Value": deleted}]}]}})
    };
    let mut rows = [0_i64; 2];
    for (i, deleted) in ["false", "true"].into_iter().enumerate() {
        let req = checker
            .request(reqwest::Method::POST, "/api/target-users/search")
            .json(&scan(deleted));
        rows[i] = checker
            .send("check", req)
            .await
            .and_then(|(_, v)| v["data"]["totalNumberOfRecords"].as_i64())
            .unwrap_or(-1);
    }
    let expected_live = preloaded.len() as i64 + live.len() as i64;
    if rows[0] != expected_live {
        lost.push(format!(
            "{} live users by a scan, {expected_live} by the clients' own accounts",
            rows[0]
        ));
    }
    let _ = child.start_kill();
    let calls = std::mem::take(&mut *calls.lock().unwrap_or_else(|p| p.into_inner()));
    let requests = calls
        .latencies
        .iter()
        .filter(|(k, _)| !matches!(**k, "check" | "preload"))
        .map(|(_, v)| v.len() as u64)
        .sum();
    let memory = memory.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(Report {
        elapsed,
        requests,
        latencies: calls.latencies,
        statuses: calls.statuses,
        failures: calls.failures,
        memory,
        lost_writes: lost,
        counted: (by_counters, rows[0]),
        deleted: (deleted_by_counters, rows[1]),
    })
}
