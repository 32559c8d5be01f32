//! The CLI against a real server that refuses requests: `rollcall serve --rate-limit` answers
//! 429 with `Retry-After`, and the client waits as asked and carries on, or gives up with exit
//! code 4 when the server asks for a longer wait than it allows. (Faults the real server
//! cannot produce, such as a burst of 5xx or a dropped connection, are in the client crate's
//! mock tests.)

use crate::common::{Engine, TestServer};
use serde_json::json;

/// Three companies with known counts: (name, active, inactive).
const COMPANIES: [(&str, usize, usize); 3] = [("Alpha", 3, 1), ("Beta", 2, 0), ("Gamma", 1, 2)];

async fn seeded(engine: Engine) -> Option<TestServer> {
    let s = TestServer::start(engine).await?;
    let token = s.root_token().await;
    for (name, active, inactive) in COMPANIES {
        let c = s.create_company(&token, None, json!({"name": name})).await;
        for i in 0..active + inactive {
            s.create_user(
                &token,
                &c,
                json!({"email": format!("u{i}@{name}.test"), "isActive": i >= inactive}),
            )
            .await;
        }
    }
    Some(s)
}

/// The number of 429 replies the server counted, over every route.
async fn refusals(s: &TestServer) -> u64 {
    s.metrics_text()
        .await
        .lines()
        .filter(|l| l.starts_with("rollcall_http_requests_total{") && l.contains(r#"status="429""#))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

async fn waits_for_retry_after_and_finishes(engine: Engine) {
    let Some(s) = seeded(engine).await else {
        return;
    };
    // Two requests at once, then one every 500 ms: every command below needs more.
    let s = s
        .restart_with(|c| c.rate_limit = Some("2/s".parse().expect("rate")))
        .await;
    assert_eq!(refusals(&s).await, 0);

    let run = s.run(&["users", "count", "--all-companies"]).await;
    run.code(0);
    let report = run.json();
    let rows = report["companies"].as_array().expect("companies");
    for (name, active, inactive) in COMPANIES {
        let row = rows
            .iter()
            .find(|r| r["company"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {report}"));
        assert_eq!(row["active"], active, "{name}: {row}");
        assert_eq!(row["inactive"], inactive, "{name}: {row}");
    }
    assert_eq!(report["totals"]["active"], 6, "{report}");
    assert_eq!(report["totals"]["inactive"], 3, "{report}");
    let after_count = refusals(&s).await;
    assert!(
        after_count >= 1,
        "the count needs more than 2 requests in a second, so the server refused some"
    );
    // Each refusal was followed by a line saying why the command waits and for how long.
    let waits = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("The server is rate limiting this client (HTTP 429); waiting "))
        .count();
    assert_eq!(waits as u64, after_count, "{}", run.stderr);
    assert!(
        run.stderr.contains("as it asked, before attempt 2 of 5"),
        "{}",
        run.stderr
    );

    // A name lookup and a listing, right after: whether the server refuses some of them depends
    // on how fast this machine runs the count, so only the listing's result is checked.
    let run = s.run(&["users", "list", "--company", "Gamma"]).await;
    run.code(0);
    let emails: Vec<String> = run
        .json()
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["email"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut sorted = emails.clone();
    sorted.sort();
    assert_eq!(sorted, ["u0@Gamma.test", "u1@Gamma.test", "u2@Gamma.test"]);
    s.finish().await;
}

async fn gives_up_when_asked_to_wait_too_long(engine: Engine) {
    let Some(s) = seeded(engine).await else {
        return;
    };
    // One request an hour: the second asks for a wait of about 3,600 s, far beyond the 60 s
    // the client is willing to wait.
    let s = s
        .restart_with(|c| c.rate_limit = Some("1/h".parse().expect("rate")))
        .await;
    let run = s.run(&["users", "count", "--all-companies"]).await;
    assert_eq!(run.code, 4, "exit 4: the API refused the request: {run:?}");
    assert!(
        run.stderr.contains("asked to retry after") && run.stderr.contains("60 s"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("TOO_MANY_REQUESTS") || run.stderr.contains("429"),
        "the last error is named: {}",
        run.stderr
    );
    assert!(
        run.stdout.trim().is_empty(),
        "no partial report: {}",
        run.stdout
    );
    // The per-company counts run a few at a time; each refused request gave up at once
    // instead of being retried.
    let refused = refusals(&s).await;
    assert!(
        (1..=COMPANIES.len() as u64).contains(&refused),
        "refused {refused} times: no retries"
    );
    s.finish().await;
}

both_engines!(
    waits_for_retry_after_and_finishes,
    gives_up_when_asked_to_wait_too_long
);
