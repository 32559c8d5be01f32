//! Output on a terminal: the CLI prints aligned tables and draws progress bars on stderr only
//! when it runs on a terminal, and JSON with no bar when piped. The terminal is a real
//! pseudo-terminal from util-linux `script`. Output modes do not depend on the engine: SQLite.

use crate::common::{spawn_on_terminal, Engine, TestServer};
use serde_json::{json, Value};

/// Runs `rollcall ARGS` on a pseudo-terminal (stdin, stdout and stderr); returns everything
/// the terminal showed. `None` when `script` is missing (outside CI).
async fn on_terminal(s: &TestServer, args: &[&str]) -> Option<String> {
    let mut child = spawn_on_terminal(s, args, true)?;
    // Nothing is typed: the terminal's input ends at once.
    drop(child.stdin.take());
    let out = child.wait_with_output().await.expect("script");
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "rollcall {args:?} on a terminal: {shown}"
    );
    Some(shown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_and_progress_bars_only_on_a_terminal() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Tty Works"}))
        .await;
    for i in 0..30 {
        s.create_user(
            &token,
            &company,
            json!({"email": format!("worker{i:02}@tty.test"), "lastName": format!("Last{i:02}")}),
        )
        .await;
    }
    let list = ["users", "list", "--company", "Tty Works", "--sort", "Email"];

    // On a terminal: an aligned table with a header and a rule, one line per user.
    let Some(shown) = on_terminal(&s, &list).await else {
        return;
    };
    let lines: Vec<&str> = shown.lines().map(|l| l.trim_end_matches('\r')).collect();
    let header = lines.first().expect("a header line");
    assert!(
        header.contains("Email") && header.contains("Last Name"),
        "{shown}"
    );
    assert!(lines.get(1).is_some_and(|l| l.contains('─')), "{shown}");
    let users: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains("@tty.test"))
        .copied()
        .collect();
    assert_eq!(users.len(), 30, "{shown}");
    assert!(
        users[0].trim_start().starts_with("worker00@tty.test"),
        "{shown}"
    );
    // Columns line up: every row puts its last name where the header has "Last Name".
    let column = |line: &str, text: &str| line.find(text).map(|b| line[..b].chars().count());
    let want = column(header, "Last Name");
    for (i, row) in users.iter().enumerate() {
        assert_eq!(
            column(row, &format!("Last{i:02}")),
            want,
            "row {i} aligned: {row}"
        );
    }

    // Piped, the same command prints JSON; --output json forces it on a terminal too.
    let piped = s.run(&list).await;
    piped.code(0);
    let rows = piped.json();
    assert_eq!(rows.as_array().map(Vec::len), Some(30));
    let mut forced = list.to_vec();
    forced.extend(["--output", "json"]);
    let shown = on_terminal(&s, &forced).await.expect("script ran before");
    let parsed: Value = serde_json::from_str(shown.trim()).expect("JSON on the terminal");
    assert_eq!(parsed, rows);

    // An export on a terminal draws a progress bar on stderr and clears it when done.
    let export = [
        "users",
        "export",
        "--company",
        "Tty Works",
        "--format",
        "csv",
        "-o",
        "tty.csv",
    ];
    let shown = on_terminal(&s, &export).await.expect("script ran before");
    // The bar is drawn before the closing summary ("Wrote 30 users of Tty Works to ...").
    let (drawn, summary) = shown.rsplit_once("Wrote ").expect("a summary line");
    assert!(
        drawn.contains("users of Tty Works"),
        "a bar names what it counts: {shown:?}"
    );
    assert!(summary.starts_with("30 users of Tty Works"), "{shown:?}");
    assert!(shown.contains("\u{1b}[2K"), "the bar is cleared: {shown:?}");
    assert!(s.file("tty.csv").exists());
    // Piped: no bar, no terminal control codes.
    let piped = s
        .run(&[
            "users",
            "export",
            "--company",
            "Tty Works",
            "--format",
            "csv",
            "-o",
            "piped.csv",
        ])
        .await;
    piped.code(0);
    // Only the summary line, and no control codes.
    assert!(
        piped.stderr.lines().count() == 1
            && piped.stderr.starts_with("Wrote 30 users of Tty Works")
            && !piped.stderr.contains('\u{1b}'),
        "{:?}",
        piped.stderr
    );
    assert_eq!(
        std::fs::read(s.file("tty.csv")).expect("tty.csv").len(),
        std::fs::read(s.file("piped.csv")).expect("piped.csv").len()
    );
    s.finish().await;
}
