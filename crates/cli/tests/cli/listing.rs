//! `users list`'s default limit and footer, users named by email, and `--output csv` (issue #18).

use futures::StreamExt;
use serde_json::{json, Value};

use crate::common::*;

/// `n` users `u0000@acme.test`, ... in `company` (department Sales for the even ones).
async fn users(s: &TestServer, token: &str, company: &str, n: usize) {
    futures::stream::iter(0..n)
        .map(|i| async move {
            s.create_user(
                token,
                company,
                json!({
                    "email": format!("u{i:04}@acme.test"),
                    "firstName": format!("First{i:03}"),
                    "lastName": "Last, \"Quoted\"",
                    "department": if i % 2 == 0 { "Sales" } else { "Ops" },
                }),
            )
            .await
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
}

fn emails(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("an array: {v}"))
        .iter()
        .map(|r| r["email"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn list_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["users", "list", "--company", "Acme", "--sort", "Email"];
    args.extend_from_slice(extra);
    args
}

/// 30 by default with a footer on stderr naming the total; --limit N and --all; no footer
/// when everything was shown; stdout stays a whole JSON array.
async fn list_defaults_to_30_with_a_footer(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Acme"}))
        .await;
    users(&s, &token, &company, 1042).await;
    let footer =
        |shown: &str| format!("Showing {shown} of 1,042 users in Acme (use --limit N or --all)");

    // JSON (piped): 30, the first by the order asked for; the footer on stderr only.
    let run = s.run(&list_args(&[])).await;
    let rows = emails(&run.json());
    assert_eq!(rows.len(), 30, "{run:?}");
    assert_eq!(rows[0], "u0000@acme.test");
    assert_eq!(rows[29], "u0029@acme.test");
    assert_eq!(run.stderr.trim(), footer("30"), "{run:?}");

    // A table says the same.
    let table = s.run(&list_args(&["--output", "table"])).await;
    table.code(0);
    assert_eq!(
        table
            .stdout
            .lines()
            .filter(|l| l.contains("@acme.test"))
            .count(),
        30,
        "{table:?}"
    );
    assert!(table.stderr.contains(&footer("30")), "{table:?}");

    // --limit N.
    let run = s
        .run(&list_args(&["--limit", "5", "--output", "json"]))
        .await;
    assert_eq!(emails(&run.json()).len(), 5, "{run:?}");
    assert_eq!(run.stderr.trim(), footer("5"), "{run:?}");
    // More than a page of the client's (1000 rows): the pages after the first follow.
    let run = s.run(&list_args(&["--limit", "1010"])).await;
    let rows = emails(&run.json());
    assert_eq!(rows.len(), 1010, "{}", run.stderr);
    assert_eq!(rows[1009], "u1009@acme.test");
    assert_eq!(run.stderr.trim(), footer("1,010"), "{run:?}");

    // --all: every user, no footer.
    let run = s.run(&list_args(&["--all"])).await;
    let rows = emails(&run.json());
    assert_eq!(rows.len(), 1042, "{}", run.stderr);
    assert_eq!(rows[1041], "u1041@acme.test");
    assert_eq!(run.stderr.trim(), "", "{run:?}");
    // --all and --limit conflict.
    let both = s.run(&list_args(&["--all", "--limit", "3"])).await;
    assert_ne!(both.code, 0, "{both:?}");
    assert!(both.stderr.contains("--limit"), "{both:?}");

    // No footer when no more match than were shown: a filter selecting fewer than 30.
    let run = s.run(&list_args(&["--search", "u000"])).await;
    assert_eq!(emails(&run.json()).len(), 10, "{run:?}");
    assert_eq!(run.stderr.trim(), "", "{run:?}");
    // The total is the filtered one: 521 Sales users.
    let run = s
        .run(&list_args(&["--where", "Department", "=", "Sales"]))
        .await;
    assert_eq!(emails(&run.json()).len(), 30, "{run:?}");
    assert_eq!(
        run.stderr.trim(),
        "Showing 30 of 521 users in Acme (use --limit N or --all)"
    );

    // A group's members: 30 by default too, and a footer saying more match.
    s.run(&["groups", "create", "--company", "Acme", "--name", "Sales"])
        .await
        .code(0);
    s.run(&[
        "groups",
        "add",
        "--company",
        "Acme",
        "Sales",
        "--where",
        "Department",
        "=",
        "Sales",
    ])
    .await
    .code(0);
    let run = s.run(&list_args(&["--group", "Sales"])).await;
    assert_eq!(emails(&run.json()).len(), 30, "{run:?}");
    assert!(
        run.stderr
            .contains("Showing the first 30 members of group Sales in Acme")
            && run.stderr.contains("--all"),
        "{run:?}"
    );
    let run = s.run(&list_args(&["--group", "Sales", "--all"])).await;
    assert_eq!(emails(&run.json()).len(), 521, "{}", run.stderr);
    assert_eq!(run.stderr.trim(), "", "{run:?}");
    s.finish().await;
}

/// `users get|update|delete` take an email for the id, any case, and say which id it was.
async fn users_by_email(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Acme"}))
        .await;
    // A longer email containing ann's comes first in the search-email results.
    let annex = s
        .create_user(&token, &company, json!({"email": "aann@acme.example"}))
        .await;
    let ann = s
        .create_user(
            &token,
            &company,
            json!({"email": "ann@acme.example", "firstName": "Ann"}),
        )
        .await;

    let said = format!("user ann@acme.example is {ann}");
    let got = s
        .run(&["users", "get", "--company", "Acme", "ann@acme.example"])
        .await;
    assert_eq!(got.json()["resourceId"], ann.as_str(), "{got:?}");
    assert!(got.stderr.contains(&said), "{got:?}");
    // Any case.
    let got = s
        .run(&["users", "get", "--company", "Acme", "Ann@ACME.example"])
        .await;
    assert_eq!(got.json()["resourceId"], ann.as_str(), "{got:?}");

    let upd = s
        .run(&[
            "users",
            "update",
            "--company",
            "Acme",
            "ann@acme.example",
            "--department",
            "Marketing",
        ])
        .await;
    assert_eq!(upd.json()["resourceId"], ann.as_str(), "{upd:?}");
    assert!(upd.stderr.contains(&said), "{upd:?}");
    let got = s
        .run(&["users", "get", "--company", "Acme", &ann])
        .await
        .json();
    assert_eq!(got["department"], "Marketing");
    assert_eq!(got["firstName"], "Ann");

    // An email nobody has: not found (exit 3), naming it and saying how to look.
    let none = s
        .run(&["users", "get", "--company", "Acme", "nobody@acme.example"])
        .await;
    none.code(3);
    assert!(
        none.stderr.contains("nobody@acme.example") && none.stderr.contains("users list"),
        "{none:?}"
    );
    assert!(none.stderr.contains("--search"), "{none:?}");
    assert_eq!(none.stdout, "");
    s.run(&[
        "users",
        "update",
        "--company",
        "Acme",
        "nn@acme.example",
        "--department",
        "X",
    ])
    .await
    .code(3);

    // delete: by email, next to an id; aann is not touched by ann's email.
    let del = s
        .run(&["users", "delete", "--company", "Acme", "ANN@acme.example"])
        .await;
    assert_eq!(del.json(), json!({"deleted": [ann]}), "{del:?}");
    assert!(
        del.stderr
            .contains(&format!("user ANN@acme.example is {ann}")),
        "{del:?}"
    );
    let annex_now = s
        .run(&["users", "get", "--company", "Acme", &annex])
        .await
        .json();
    assert_eq!(annex_now["isDeleted"], false);
    // Gone now: not found, unless --ignore-not-found.
    s.run(&[
        "users",
        "delete",
        "--company",
        "Acme",
        "nobody@acme.example",
    ])
    .await
    .code(3);
    let skip = s
        .run(&[
            "users",
            "delete",
            "--company",
            "Acme",
            "nobody@acme.example",
            "aann@acme.example",
            "--ignore-not-found",
        ])
        .await;
    assert_eq!(
        skip.json(),
        json!({"deleted": [annex], "notFound": ["nobody@acme.example"]}),
        "{skip:?}"
    );
    s.finish().await;
}

/// `--output csv`: the table's header and one record per row, quoted where needed.
async fn csv_output(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Acme"}))
        .await;
    users(&s, &token, &company, 4).await;

    let run = s.run(&list_args(&["--output", "csv"])).await;
    run.code(0);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap_or_else(|e| panic!("{e}: {run:?}"))
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "Email",
            "First Name",
            "Last Name",
            "Department",
            "Status",
            "Priority",
            "Created",
            "Resource Id"
        ]
    );
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(records.len(), 4, "{run:?}");
    for (i, r) in records.iter().enumerate() {
        assert_eq!(&r[0], format!("u{i:04}@acme.test"));
        assert_eq!(&r[2], "Last, \"Quoted\"");
        assert_eq!(&r[4], "Active");
        assert_eq!(r.len(), 8);
    }

    // Other listings too: companies and groups.
    let run = s.run(&["companies", "list", "--output", "csv"]).await;
    run.code(0);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let names: Vec<String> = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_owned).collect::<Vec<_>>().join("|")))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert!(names.iter().any(|n| n.contains("Acme")), "{run:?}");
    s.run(&[
        "groups",
        "create",
        "--company",
        "Acme",
        "--name",
        "Pilot, One",
    ])
    .await
    .code(0);
    let run = s
        .run(&["groups", "list", "--company", "Acme", "--output", "csv"])
        .await;
    run.code(0);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(rows.len(), 1, "{run:?}");
    assert!(rows[0].iter().any(|c| c == "Pilot, One"), "{run:?}");
    // An empty listing is the header alone.
    let run = s
        .run(&list_args(&["--search", "nobody", "--output", "csv"]))
        .await;
    run.code(0);
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
    assert!(run.stdout.starts_with("Email,"), "{run:?}");
    s.finish().await;
}

both_engines!(
    list_defaults_to_30_with_a_footer,
    users_by_email,
    csv_output
);

/// `--columns`, `COLUMNS`, and the credentials and output flags before the command (issue #18).
/// Layout does not depend on the engine: SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_width_and_flags_anywhere() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Acme"}))
        .await;
    users(&s, &token, &company, 3).await;
    let root = [
        ("KEEPNET_CLIENT_ID", ROOT_ID),
        ("KEEPNET_CLIENT_SECRET", ROOT_SECRET),
        ("KEEPNET_API_BASE_URL", s.base.as_str()),
    ];

    // --columns picks and orders the columns, any case, for tables and CSV.
    let run = s
        .run(&list_args(&[
            "--output",
            "csv",
            "--columns",
            "department,EMAIL",
        ]))
        .await;
    run.code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "Department,Email", "{run:?}");
    assert_eq!(lines[1], "Sales,u0000@acme.test", "{run:?}");
    let run = s
        .run(&list_args(&[
            "--output",
            "table",
            "--columns",
            "email,last name",
        ]))
        .await;
    run.code(0);
    let header = run.stdout.lines().next().unwrap_or_default();
    assert!(
        header.contains("Email") && header.contains("Last Name"),
        "{run:?}"
    );
    assert!(!header.contains("Department"), "{run:?}");
    // An unknown column is refused before anything is printed, with the valid names.
    let run = s
        .run(&list_args(&[
            "--output",
            "table",
            "--columns",
            "email,shoe",
        ]))
        .await;
    run.code(1);
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.contains("no column 'shoe'") && run.stderr.contains("department"),
        "{run:?}"
    );

    // A table fits COLUMNS when it is set, even in a pipe; each user on one line.
    let mut env = root.to_vec();
    env.push(("COLUMNS", "80"));
    let run = s.run_env(&env, &list_args(&["--output", "table"])).await;
    run.code(0);
    assert_eq!(run.stdout.lines().count(), 2 + 3, "{run:?}");
    for line in run.stdout.lines() {
        assert!(line.trim_end().chars().count() <= 80, "{line:?}");
    }
    assert!(run.stdout.contains('…'), "{run:?}");
    // CSV is data: never cut, whatever the width (listings that stream, and tables).
    let run = s.run_env(&env, &list_args(&["--output", "csv"])).await;
    run.code(0);
    assert!(!run.stdout.contains('…'), "{run:?}");
    assert!(run.stdout.contains("\"Last, \"\"Quoted\"\"\""), "{run:?}");
    let long = "Acme Regional Enterprise Accounts Holding";
    s.create_company(&token, None, json!({"name": long})).await;
    let run = s
        .run_env(&env, &["companies", "list", "--output", "csv"])
        .await;
    run.code(0);
    assert!(
        run.stdout.contains(long) && !run.stdout.contains('…'),
        "{run:?}"
    );
    let run = s
        .run_env(&env, &["companies", "list", "--output", "table"])
        .await;
    run.code(0);
    assert!(
        !run.stdout.contains(long) && run.stdout.contains('…'),
        "{run:?}"
    );
    // Without COLUMNS a piped table keeps its cells whole.
    let run = s.run(&list_args(&["--output", "table"])).await;
    run.code(0);
    assert!(
        run.stdout.contains("u0000@acme.test") && !run.stdout.contains('…'),
        "{run:?}"
    );

    // The credentials and output flags work before the command as well as after it.
    let before = s
        .run(&[
            "--output",
            "json",
            "--retries",
            "2",
            "--no-token-cache",
            "users",
            "list",
            "--company",
            "Acme",
            "--sort",
            "Email",
        ])
        .await;
    before.code(0);
    let after = s.run(&list_args(&["--output", "json"])).await;
    after.code(0);
    assert_eq!(emails(&before.json()), emails(&after.json()));
    assert_eq!(emails(&before.json()).len(), 3);
    // A profile named before the command is the one used.
    let run = s
        .run_env(&root, &["--profile", "nowhere", "companies", "list"])
        .await;
    // Exit 2: credentials.
    run.code(2);
    assert!(run.stderr.contains("no profile 'nowhere'"), "{run:?}");
    // Flags that belong to no command before it are still refused by name.
    let run = s.run(&["--profile", "x", "serve"]).await;
    run.code(1);
    assert!(run.stderr.contains("--profile"), "{run:?}");
    s.finish().await;
}
