//! `users export` flags: the format from the file name, one summary for every format, and
//! Ctrl-C removing `FILE.partial` (issue #18).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{Engine, Run, TestServer, ROOT_ID, ROOT_SECRET};
use crate::users::read_csv;
use serde_json::json;

/// A company "Acme" with `n` users (a line break and a comma in some cells, so that counting
/// CSV lines would be wrong), and an empty company "Empty".
async fn seeded(engine: Engine, n: usize) -> Option<TestServer> {
    let s = TestServer::start(engine).await?;
    let token = s.root_token().await;
    let acme = s
        .create_company(&token, None, json!({"name": "Acme"}))
        .await;
    for i in 0..n {
        s.create_user(
            &token,
            &acme,
            json!({"email": format!("user{i}@acme.test"), "firstName": format!("Name, {i}"),
                   "lastName": "Line\nBreak"}),
        )
        .await;
    }
    s.create_company(&token, None, json!({"name": "Empty"}))
        .await;
    Some(s)
}

/// `rollcall users export --company COMPANY -o FILE EXTRA...`, FILE in the test's home.
async fn export(s: &TestServer, company: &str, file: &str, extra: &[&str]) -> Run {
    let out = s.file(file).display().to_string();
    let mut args = vec!["users", "export", "--company", company, "-o", &out];
    args.extend_from_slice(extra);
    s.run(&args).await
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn format_from_extension(engine: Engine) {
    let Some(s) = seeded(engine, 3).await else {
        return;
    };
    // .xlsx without --format: a real workbook (a zip file) with a header and 3 users.
    export(&s, "Acme", "users.xlsx", &[]).await.code(0);
    assert!(read(&s.file("users.xlsx")).starts_with(b"PK"));
    let sheets = crate::users::xlsx_sheets(&s.file("users.xlsx"));
    assert_eq!(sheets[0].len(), 4, "header and 3 users");

    // .csv: the same bytes as --format csv.
    export(&s, "Acme", "users.csv", &[]).await.code(0);
    export(&s, "Acme", "explicit.csv", &["--format", "csv"])
        .await
        .code(0);
    let csv = read(&s.file("users.csv"));
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "a CSV with its byte-order mark"
    );
    assert_eq!(csv, read(&s.file("explicit.csv")));
    let records = read_csv(&s.file("users.csv"));
    assert_eq!(records.len(), 4);
    assert!(
        records[0].iter().any(|h| h.contains("Email")),
        "header row: {:?}",
        records[0]
    );

    // Other extensions, in any case; .jsonl is NDJSON.
    export(&s, "Acme", "USERS.JSON", &[]).await.code(0);
    let json: serde_json::Value =
        serde_json::from_slice(&read(&s.file("USERS.JSON"))).expect("a JSON array");
    assert_eq!(json.as_array().map(Vec::len), Some(3));
    export(&s, "Acme", "users.jsonl", &[]).await.code(0);
    let ndjson = String::from_utf8(read(&s.file("users.jsonl"))).expect("utf-8");
    assert_eq!(ndjson.lines().count(), 3, "{ndjson}");
    export(&s, "Acme", "users.pdf", &[]).await.code(0);
    assert!(read(&s.file("users.pdf")).starts_with(b"%PDF"));

    // --format wins over the extension.
    export(&s, "Acme", "csv-really.xlsx", &["--format", "csv"])
        .await
        .code(0);
    assert!(read(&s.file("csv-really.xlsx")).starts_with(b"\xEF\xBB\xBF"));

    // The all-companies export infers too.
    let all = s.file("all.xlsx").display().to_string();
    s.run(&["users", "export", "--all-companies", "-o", &all])
        .await
        .code(0);
    assert!(read(&s.file("all.xlsx")).starts_with(b"PK"));

    // An extension it cannot map: a usage error saying what to do, and no file.
    let run = export(&s, "Acme", "users.txt", &[]).await;
    run.code(1);
    assert!(run.stderr.contains("--format"), "{run:?}");
    for ext in [".csv", ".xlsx", ".pdf", ".json", ".ndjson"] {
        assert!(run.stderr.contains(ext), "{ext} listed: {run:?}");
    }
    assert!(!s.file("users.txt").exists() && !s.file("users.txt.partial").exists());
    // No extension at all, and standard output, need --format as well.
    export(&s, "Acme", "users", &[]).await.code(1);
    let run = s
        .run(&["users", "export", "--company", "Acme", "-o", "-"])
        .await;
    run.code(1);
    assert!(run.stderr.contains("--format"), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    s.finish().await;
}

/// The size in a summary line ("... (27 KiB)"), in bytes, and the line's unit.
fn summary_size(stderr: &str) -> (f64, String) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Wrote "))
        .unwrap_or_else(|| panic!("no summary line: {stderr}"));
    let inner = line
        .rsplit_once('(')
        .and_then(|(_, r)| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no size in {line:?}"));
    let (number, unit) = inner
        .split_once(' ')
        .unwrap_or_else(|| panic!("no unit in {line:?}"));
    let number: f64 = number
        .parse()
        .unwrap_or_else(|e| panic!("{number:?} in {line:?}: {e}"));
    assert!(
        !number.to_string().contains('.')
            || number.to_string().split('.').nth(1).map(str::len) == Some(1),
        "one decimal at most: {line:?}"
    );
    let scale = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        other => panic!("unit {other:?} in {line:?}"),
    };
    (number * scale, unit.to_owned())
}

/// `--format` from a file name, so that the summary checks do not depend on the inference.
fn format_of(file: &str) -> &str {
    file.rsplit_once('.').map_or("csv", |(_, ext)| ext)
}

/// Asserts the summary names `users` users, `file`, and its size (to the rounding shown).
#[track_caller]
fn assert_summary(run: &Run, s: &TestServer, users: &str, file: &str) {
    run.code(0);
    let path = s.file(file);
    let want = format!("Wrote {users} ");
    assert!(run.stderr.contains(&want), "{want:?}: {run:?}");
    assert!(
        run.stderr.contains(&format!("to {} (", path.display())),
        "names the file: {run:?}"
    );
    assert!(
        !run.stderr.contains("bytes ("),
        "no raw byte count: {run:?}"
    );
    let size = std::fs::metadata(&path).expect("the file").len() as f64;
    let (shown, unit) = summary_size(&run.stderr);
    let tolerance = if unit == "B" { 0.0 } else { size * 0.05 };
    assert!(
        (shown - size).abs() <= tolerance,
        "{shown} vs {size} bytes: {run:?}"
    );
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("Wrote "))
            .count(),
        1,
        "one summary line: {run:?}"
    );
}

async fn summary_names_users_and_size(engine: Engine) {
    let Some(s) = seeded(engine, 12).await else {
        return;
    };
    // Every format of one company: 12 users (the CSV's quoted line breaks are not records).
    for file in ["s.csv", "s.xlsx", "s.pdf", "s.json", "s.ndjson"] {
        let run = export(&s, "Acme", file, &["--format", format_of(file)]).await;
        assert_summary(&run, &s, "12 users of Acme", file);
    }
    // A filter that keeps one user: singular.
    let run = export(
        &s,
        "Acme",
        "one.csv",
        &[
            "--where",
            "Email",
            "=",
            "user3@acme.test",
            "--format",
            "csv",
        ],
    )
    .await;
    assert_summary(&run, &s, "1 user of Acme", "one.csv");
    let run = export(
        &s,
        "Acme",
        "one.xlsx",
        &[
            "--where",
            "Email",
            "=",
            "user3@acme.test",
            "--format",
            "xlsx",
        ],
    )
    .await;
    assert_summary(&run, &s, "1 user of Acme", "one.xlsx");
    // An empty company: 0 users, a header-only file in bytes.
    let run = export(&s, "Empty", "empty.csv", &["--format", "csv"]).await;
    assert_summary(&run, &s, "0 users of Empty", "empty.csv");
    // Every company.
    for file in ["all.csv", "all.xlsx", "all.ndjson"] {
        let out = s.file(file).display().to_string();
        let run = s
            .run(&[
                "users",
                "export",
                "--all-companies",
                "--format",
                format_of(file),
                "-o",
                &out,
            ])
            .await;
        assert_summary(&run, &s, "12 users of 2 companies", file);
    }
    s.finish().await;
}

async fn ctrl_c_removes_the_partial_file(engine: Engine) {
    let Some(s) = seeded(engine, 30).await else {
        return;
    };
    // Two requests at once, then one every 500 ms: 30 one-user pages take about 15 s, so the
    // export is still running when it is interrupted.
    let s = s
        .restart_with(|c| c.rate_limit = Some("2/s".parse().expect("rate")))
        .await;
    let out = s.file("slow.json");
    let partial = s.file("slow.json.partial");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollcall"));
    for (k, _) in std::env::vars() {
        if k.starts_with("KEEPNET_") || k.starts_with("ROLLCALL_") {
            cmd.env_remove(k);
        }
    }
    let home = s.home.path();
    cmd.env("HOME", home)
        .current_dir(home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("NO_COLOR", "1")
        .env("KEEPNET_CLIENT_ID", ROOT_ID)
        .env("KEEPNET_CLIENT_SECRET", ROOT_SECRET)
        .env("KEEPNET_API_BASE_URL", &s.base)
        .args([
            "users",
            "export",
            "--company",
            "Acme",
            "--format",
            "json",
            "--page-size",
            "1",
            "-o",
        ])
        .arg(&out)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn rollcall");
    let pid = child.id().expect("a pid").to_string();

    let deadline = Instant::now() + Duration::from_secs(20);
    while !partial.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            let output = child.wait_with_output().await.expect("output");
            panic!(
                "the export ended ({status}) before the interrupt: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        assert!(
            Instant::now() < deadline,
            "the export never created {}",
            partial.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Well into the export (a few pages written), but far from its end.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !out.exists(),
        "the export ended before the interrupt: add users"
    );
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -INT {pid}");
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("the export stops on Ctrl-C")
        .expect("wait for rollcall");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(130),
        "exit 130 after Ctrl-C: {:?} {stderr}",
        output.status
    );
    assert!(!partial.exists(), "{} remains", partial.display());
    assert!(!out.exists(), "no file under the requested name");
    assert!(
        stderr.contains("interrupted") && stderr.contains(&partial.display().to_string()),
        "says what was removed: {stderr}"
    );
    s.finish().await;
}

both_engines!(
    format_from_extension,
    summary_names_users_and_size,
    ctrl_c_removes_the_partial_file
);
