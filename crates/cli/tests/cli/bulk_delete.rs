//! `rollcall users delete --where ...`: every user a filter selects, counted, confirmed (on a
//! terminal, or with --yes) and deleted with one bulk delete, against a real server.

use crate::common::{Engine, TestServer};
use serde_json::json;

/// Creates company `name` with three Sales and three Engineering users; returns its id.
async fn seed(s: &TestServer, name: &str) -> String {
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({ "name": name }))
        .await;
    for i in 1..=3 {
        for dept in ["Sales", "Engineering"] {
            let email = format!("{}{i}@bulk.test", dept.to_lowercase());
            s.create_user(
                &token,
                &company,
                json!({"email": email, "department": dept}),
            )
            .await;
        }
    }
    company
}

/// The emails `users list --company C --all ARGS` shows, sorted.
async fn emails(s: &TestServer, company: &str, args: &[&str]) -> Vec<String> {
    let mut argv = vec!["users", "list", "--company", company, "--all"];
    argv.extend_from_slice(args);
    let run = s.run(&argv).await;
    let mut out: Vec<String> = run
        .json()
        .as_array()
        .unwrap_or_else(|| panic!("{run:?}"))
        .iter()
        .map(|u| u["email"].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

const ALL: [&str; 6] = [
    "engineering1@bulk.test",
    "engineering2@bulk.test",
    "engineering3@bulk.test",
    "sales1@bulk.test",
    "sales2@bulk.test",
    "sales3@bulk.test",
];

async fn deletes_by_filter(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    seed(&s, "Acme Bulk").await;
    let sales = ["--where", "Department", "=", "Sales"];
    let delete = |extra: &'static [&'static str]| {
        let mut argv = vec!["users", "delete", "--company", "Acme Bulk"];
        argv.extend_from_slice(&sales);
        argv.extend_from_slice(extra);
        argv
    };

    // Not on a terminal and no --yes: refused with the count and the hint, nothing deleted.
    let run = s.run(&delete(&[])).await;
    run.code(1);
    assert!(
        run.stderr
            .contains("Delete 3 users of Acme Bulk matching Department = Sales?")
            && run.stderr.contains("pass --yes"),
        "{run:?}"
    );
    assert_eq!(run.stdout, "", "{run:?}");
    assert_eq!(
        emails(&s, "Acme Bulk", &["--status", "active"]).await,
        strings(&ALL)
    );

    // Ids (or emails) and a filter together: a usage error, nothing deleted.
    let run = s
        .run(&[
            "users",
            "delete",
            "--company",
            "Acme Bulk",
            "sales1@bulk.test",
            "--where",
            "Department",
            "=",
            "Sales",
            "--yes",
        ])
        .await;
    run.code(1);
    assert!(run.stderr.contains("cannot be used with"), "{run:?}");
    // Neither ids nor a filter: a usage error too.
    s.run(&["users", "delete", "--company", "Acme Bulk", "--yes"])
        .await
        .code(1);
    assert_eq!(
        emails(&s, "Acme Bulk", &["--status", "active"]).await,
        strings(&ALL)
    );

    // A filter that selects nobody: said so, success, nothing deleted.
    let run = s
        .run(&[
            "users",
            "delete",
            "--company",
            "Acme Bulk",
            "--where",
            "Department",
            "=",
            "Legal",
            "--yes",
        ])
        .await;
    assert_eq!(run.json(), json!({"matched": 0, "deleted": 0}), "{run:?}");
    assert!(
        run.stderr.contains("No users of Acme Bulk (")
            && run
                .stderr
                .contains("match Department = Legal; nothing deleted."),
        "{run:?}"
    );

    // With --yes: exactly the three Sales users, as the server counted them.
    let run = s.run(&delete(&["--yes"])).await;
    assert_eq!(run.json(), json!({"matched": 3, "deleted": 3}), "{run:?}");
    assert_eq!(
        emails(&s, "Acme Bulk", &["--status", "deleted"]).await,
        strings(&ALL[3..])
    );
    assert_eq!(
        emails(&s, "Acme Bulk", &["--status", "active"]).await,
        strings(&ALL[..3])
    );
    let counts = s
        .run(&["users", "count", "--company", "Acme Bulk"])
        .await
        .json();
    assert_eq!(counts["totals"]["active"], 3, "{counts}");
    assert_eq!(counts["totals"]["deleted"], 3, "{counts}");

    // Again: the deleted users are not selected again, so nothing matches.
    let run = s.run(&delete(&["--yes"])).await;
    assert_eq!(run.json(), json!({"matched": 0, "deleted": 0}), "{run:?}");

    // --search with --where narrows (ANDed); a table on request.
    let run = s
        .run(&[
            "users",
            "delete",
            "--company",
            "Acme Bulk",
            "--where",
            "Department",
            "=",
            "Engineering",
            "--search",
            "engineering2",
            "--yes",
            "--output",
            "table",
        ])
        .await;
    run.code(0);
    assert!(
        run.stdout.contains("Deleted 1 user of Acme Bulk (")
            && run
                .stdout
                .contains("matching Department = Engineering and --search \"engineering2\""),
        "{run:?}"
    );
    assert_eq!(
        emails(&s, "Acme Bulk", &["--status", "active"]).await,
        strings(&["engineering1@bulk.test", "engineering3@bulk.test"])
    );
    s.finish().await;
}

/// On a terminal the count is asked about: "n" deletes nothing, "y" deletes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rollcall_no_script,
    ignore = "util-linux script is not installed: no pseudo-terminal"
)]
async fn asks_on_a_terminal() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    seed(&s, "Tty Bulk").await;
    let args = [
        "users",
        "delete",
        "--company",
        "Tty Bulk",
        "--where",
        "Department",
        "=",
        "Sales",
    ];
    let Some((shown, code)) = crate::common::run_on_terminal(&s, &args, "n\n").await else {
        return;
    };
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("Delete 3 users of Tty Bulk matching Department = Sales? [y/N]")
            && shown.contains("Nothing deleted."),
        "{shown}"
    );
    assert_eq!(
        emails(&s, "Tty Bulk", &["--status", "active"]).await,
        strings(&ALL)
    );

    let (shown, code) = crate::common::run_on_terminal(&s, &args, "y\n")
        .await
        .expect("script");
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("Deleted 3 users of Tty Bulk ("), "{shown}");
    assert_eq!(
        emails(&s, "Tty Bulk", &["--status", "deleted"]).await,
        strings(&ALL[3..])
    );
    s.finish().await;
}

both_engines!(deletes_by_filter);
