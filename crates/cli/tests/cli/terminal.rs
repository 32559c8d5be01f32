//! Output on a terminal: the CLI prints aligned tables and draws progress bars on stderr only
//! when it runs on a terminal, and JSON with no bar when piped. The terminal is a real
//! pseudo-terminal from util-linux `script`. Output modes do not depend on the engine: SQLite.

use crate::common::{spawn_on_sized_terminal, spawn_on_terminal, Engine, TestServer};
use serde_json::{json, Value};
use unicode_width::UnicodeWidthStr;

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
#[cfg_attr(
    rollcall_no_script,
    ignore = "util-linux script is not installed: no pseudo-terminal"
)]
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

/// Runs `rollcall ARGS` on a pseudo-terminal `cols` columns wide; the lines it showed.
async fn on_sized_terminal(s: &TestServer, args: &[&str], cols: u16) -> Option<Vec<String>> {
    let mut child = spawn_on_sized_terminal(s, args, true, Some(cols))?;
    drop(child.stdin.take());
    let out = child.wait_with_output().await.expect("script");
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "rollcall {args:?} on a terminal: {shown}"
    );
    Some(
        shown
            .lines()
            .map(|l| l.trim_end_matches('\r').to_owned())
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rollcall_no_script,
    ignore = "util-linux script is not installed: no pseudo-terminal"
)]
async fn tables_fit_the_terminal_and_bars_show_their_total() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let token = s.root_token().await;
    let long = "Regional Enterprise Accounts and Strategic Partnerships";
    for name in ["Fit One", "Fit Two"] {
        let company = s.create_company(&token, None, json!({"name": name})).await;
        for i in 0..12 {
            s.create_user(
                &token,
                &company,
                json!({"email": format!("member{i:02}@{}.test", name.replace(' ', "-").to_lowercase()),
                       "firstName": "Ayşe", "department": long}),
            )
            .await;
        }
    }
    let list = ["users", "list", "--company", "Fit One", "--sort", "Email"];

    // 90 columns: every line fits, each user on one line, the long department cut with "…".
    let Some(lines) = on_sized_terminal(&s, &list, 90).await else {
        return;
    };
    let rows: Vec<&String> = lines.iter().filter(|l| l.contains("member")).collect();
    assert_eq!(rows.len(), 12, "{lines:#?}");
    for l in &lines {
        assert!(
            l.trim_end().width() <= 90,
            "{} columns: {l}",
            l.trim_end().width()
        );
    }
    assert!(
        rows.iter().all(|r| r.contains('…') && !r.contains(long)),
        "{rows:#?}"
    );
    // Short cells stay whole.
    assert!(rows.iter().all(|r| r.contains("Ayşe")), "{rows:#?}");

    // --wide keeps every cell whole, however wide the terminal.
    let mut wide = list.to_vec();
    wide.push("--wide");
    let lines = on_sized_terminal(&s, &wide, 90)
        .await
        .expect("script ran before");
    let rows: Vec<&String> = lines.iter().filter(|l| l.contains("member")).collect();
    assert_eq!(rows.len(), 12, "{lines:#?}");
    assert!(rows.iter().all(|r| r.contains(long)), "{rows:#?}");

    // A wide terminal needs no cutting.
    let lines = on_sized_terminal(&s, &list, 200)
        .await
        .expect("script ran before");
    assert!(lines
        .iter()
        .filter(|l| l.contains("member"))
        .all(|r| r.contains(long)));

    // An export of both companies shows a bar with the total it counted first (its message,
    // which names the company being read, changes faster than a test can see).
    let export = [
        "users",
        "export",
        "--all-companies",
        "--format",
        "ndjson",
        "-o",
        "fit.ndjson",
    ];
    let lines = on_sized_terminal(&s, &export, 160)
        .await
        .expect("script ran before");
    let shown = lines.join("\n");
    assert!(
        shown.contains("/24"),
        "the bar shows the total of 24 users: {shown:?}"
    );
    assert!(shown.contains("Wrote 24 users of 2 companies"), "{shown:?}");
    s.finish().await;
}
