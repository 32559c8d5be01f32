//! Figures for SCIM provisioning (issue #16), on SQLite and PostgreSQL, through the real server
//! over HTTP on 127.0.0.1, as an identity provider's first sync drives it:
//!
//! - `POST /Users` one after another on one keep-alive connection (how Entra ID and Okta send a
//!   first sync), then with 8 at a time, in users per second;
//! - with the company grown to `--users` target users (the rest loaded through the store), the
//!   look-ups a provider makes before every create, `GET /Users?filter=userName eq "..."` and
//!   `externalId eq "..."`, as medians of many calls.
//!
//! Run: `cargo bench -p rollcall-server --bench scim -- [--creates N] [--users N] [--engine sqlite|postgres|both]`
//! (defaults: 100,000 creates, 1,000,000 users). PostgreSQL needs `ROLLCALL_TEST_DATABASE_URL`.
//! This prints figures; it asserts nothing, so it is not part of the test suite.

mod common;

use std::time::Instant;

use common::{arg, median};
use rollcall_testkit::synthetic::user;
use serde_json::{json, Value};

fn scim_user(n: u64) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": format!("ext-{n:08}"),
        "userName": format!("scim{n}@tenant.example"),
        "name": {"givenName": "Given", "familyName": format!("Family{n}")},
        "emails": [{"value": format!("scim{n}@tenant.example"), "type": "work", "primary": true}],
        "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
    })
}

async fn run(engine: &str, creates: u64, users: u64) -> anyhow::Result<()> {
    let b = common::start(engine).await?;
    let (cid, _) = b.company("Tenant", (creates + users) * 2).await?;
    let integration: Value = b
        .http
        .post(format!("{}/api/scim", b.base))
        .bearer_auth(&b.token)
        .header("X-KEEPNET-Company-Id", &cid)
        .json(&json!({"name": "Bench"}))
        .send()
        .await?
        .json()
        .await?;
    let token = integration["data"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let users_url = format!("{}/scim/v2/Users", b.base);
    let post = |n: u64| {
        let req = b
            .http
            .post(&users_url)
            .bearer_auth(&token)
            .header("Content-Type", "application/scim+json")
            .body(scim_user(n).to_string());
        async move {
            let r = req.send().await?;
            anyhow::ensure!(r.status() == 201, "POST /Users: {}", r.status());
            r.bytes().await?;
            Ok::<(), anyhow::Error>(())
        }
    };

    // One after another, as a provider's first sync.
    let serial = creates * 9 / 10;
    let t = Instant::now();
    for n in 0..serial {
        post(n).await?;
        if n > 0 && n % 10_000 == 0 {
            eprintln!("[{engine}] {n} of {serial} creates...");
        }
    }
    let one = t.elapsed();
    println!(
        "[{engine}] POST /Users one at a time: {serial} users in {:.1} s, {:.0} users/s",
        one.as_secs_f64(),
        serial as f64 / one.as_secs_f64()
    );
    // Eight at a time.
    let t = Instant::now();
    let rest: Vec<u64> = (serial..creates).collect();
    for chunk in rest.chunks(8) {
        futures::future::try_join_all(chunk.iter().map(|n| post(*n))).await?;
    }
    let eight = t.elapsed();
    println!(
        "[{engine}] POST /Users 8 at a time: {} users in {:.1} s, {:.0} users/s",
        rest.len(),
        eight.as_secs_f64(),
        rest.len() as f64 / eight.as_secs_f64()
    );

    // The company grows to `users` through the store.
    let company = b
        .store
        .company_by_resource_id(&cid)
        .await?
        .ok_or_else(|| anyhow::anyhow!("company missing"))?;
    let t = Instant::now();
    let now = chrono::Utc::now().timestamp_millis();
    let mut n = 0;
    while n < users {
        let batch: Vec<_> = (n..(n + 20_000).min(users)).map(|i| user(i, now)).collect();
        b.store
            .insert_target_users(company.id, &batch, &rollcall_store::Actor::system())
            .await?;
        n += batch.len() as u64;
    }
    println!(
        "[{engine}] loaded {users} more users in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    if engine == "postgres" {
        let _ = std::process::Command::new("psql")
            .arg(&b.database_url)
            .arg("-qc")
            .arg("VACUUM ANALYZE")
            .status();
    }

    let lookup = |filter: String| {
        let req = b
            .http
            .get(&users_url)
            .bearer_auth(&token)
            .query(&[("filter", filter)]);
        async move {
            let r = req.send().await?;
            anyhow::ensure!(r.status() == 200, "GET /Users: {}", r.status());
            let v: Value = r.json().await?;
            anyhow::ensure!(v["totalResults"] == 1, "one match: {v}");
            Ok::<(), anyhow::Error>(())
        }
    };
    // Where a look-up's time goes: the token check alone, then the filter with no rows read.
    let spc = format!("{}/scim/v2/ServiceProviderConfig", b.base);
    let mut times = Vec::new();
    for _ in 0..301 {
        let t = Instant::now();
        let r = b.http.get(&spc).bearer_auth(&token).send().await?;
        r.bytes().await?;
        times.push(t.elapsed());
    }
    println!(
        "[{engine}] GET /ServiceProviderConfig (the token check alone): median {:.2} ms",
        median(times).as_secs_f64() * 1000.0
    );
    let mut times = Vec::new();
    for i in 0..301_u64 {
        let filter = format!(
            "userName eq \"scim{}@tenant.example\"",
            (i * 7919) % creates
        );
        let t = Instant::now();
        let r = b
            .http
            .get(&users_url)
            .bearer_auth(&token)
            .query(&[("filter", filter.as_str()), ("count", "0")])
            .send()
            .await?;
        r.bytes().await?;
        times.push(t.elapsed());
    }
    println!(
        "[{engine}] GET /Users?filter=userName eq ...&count=0 (the total alone): median {:.2} ms",
        median(times).as_secs_f64() * 1000.0
    );
    for (what, make) in [
        (
            "userName eq (a provisioned user)",
            Box::new(|i: u64| {
                format!(
                    "userName eq \"scim{}@tenant.example\"",
                    (i * 7919) % creates
                )
            }) as Box<dyn Fn(u64) -> String>,
        ),
        (
            "userName eq (a user made by other means)",
            Box::new(|i: u64| {
                format!("userName eq \"user{}@bigcorp.example\"", (i * 7919) % users)
            }),
        ),
        (
            "externalId eq",
            Box::new(|i: u64| format!("externalId eq \"ext-{:08}\"", (i * 7919) % creates)),
        ),
    ] {
        lookup(make(0)).await?;
        let mut times = Vec::with_capacity(301);
        for i in 1..=301 {
            let t = Instant::now();
            lookup(make(i)).await?;
            times.push(t.elapsed());
        }
        println!(
            "[{engine}] GET /Users?filter={what} at {} users: median {:.2} ms",
            creates + users,
            median(times).as_secs_f64() * 1000.0
        );
    }
    common::finish(engine, &b.database_url).await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let creates: u64 = arg("--creates")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let users: u64 = arg("--users")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let engine = arg("--engine").unwrap_or_else(|| "both".into());
    for e in ["sqlite", "postgres"] {
        if engine == e || engine == "both" {
            run(e, creates, users).await?;
        }
    }
    Ok(())
}
