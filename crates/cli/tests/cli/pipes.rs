//! Pipes: a reader that closes early, and stdout left clean when a command fails (issue #18).

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncBufReadExt;

use crate::common::*;

/// Runs `rollcall ARGS` as the bootstrap Reseller with stdout on a pipe, reads its first line,
/// then closes the pipe while the CLI still has more to write (`rollcall ... | head -1`).
/// Returns the exit code, the line read and stderr.
async fn first_line_then_close(s: &TestServer, args: &[&str]) -> (i32, String, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollcall"));
    for (k, _) in std::env::vars() {
        if k.starts_with("KEEPNET_") || k.starts_with("ROLLCALL_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", s.home.path())
        .current_dir(s.home.path())
        .env("XDG_CONFIG_HOME", s.home.path().join(".config"))
        .env("KEEPNET_CLIENT_ID", ROOT_ID)
        .env("KEEPNET_CLIENT_SECRET", ROOT_SECRET)
        .env("KEEPNET_API_BASE_URL", &s.base)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn rollcall");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    tokio::io::BufReader::new(stdout)
        .read_line(&mut first)
        .await
        .expect("read the first line");
    // The reader (and with it the pipe's read end) is dropped here, as `head -1` exits.
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("rollcall ends once its reader is gone")
        .expect("wait for rollcall");
    (
        out.status.code().unwrap_or(-1),
        first,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Creates `n` users in `company` through the API, a few at a time.
async fn users(s: &TestServer, token: &str, company: &str, n: usize) {
    use futures::StreamExt;
    futures::stream::iter(0..n)
        .map(|i| async move {
            s.create_user(
                token,
                company,
                json!({
                    "email": format!("user{i:04}@piped.test"),
                    "firstName": "Piped",
                    "lastName": format!("User {i}"),
                    "department": "A department name long enough to make every row a few hundred bytes",
                }),
            )
            .await
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
}

/// `... | head -1` ends quietly with success: no "Broken pipe", exit 0. The listings are far
/// larger than a pipe's buffer (64 KiB on Linux), so the CLI is still writing when the pipe
/// closes.
async fn a_closed_pipe_is_a_quiet_success(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Piped"}))
        .await;
    users(&s, &token, &company, 600).await;
    for i in 0..250 {
        s.create_company(&token, None, json!({ "name": format!("Company {i:03}") }))
            .await;
    }

    // The sizes that make the test meaningful: more than a pipe holds.
    let all = s
        .run(&[
            "users",
            "list",
            "--company",
            "Piped",
            "--all",
            "--output",
            "json",
        ])
        .await;
    assert!(all.stdout.len() > 256 * 1024, "{} bytes", all.stdout.len());
    let companies = s.run(&["companies", "list", "--output", "json"]).await;
    assert!(
        companies.stdout.len() > 128 * 1024,
        "{} bytes",
        companies.stdout.len()
    );

    for args in [
        &[
            "users",
            "list",
            "--company",
            "Piped",
            "--all",
            "--output",
            "json",
        ][..],
        &[
            "users",
            "list",
            "--company",
            "Piped",
            "--all",
            "--output",
            "table",
        ],
        &["companies", "list", "--output", "json"],
        &["companies", "list", "--output", "table"],
    ] {
        let (code, first, stderr) = first_line_then_close(&s, args).await;
        assert!(!first.is_empty(), "{args:?} wrote nothing");
        assert!(
            !stderr.to_lowercase().contains("broken pipe"),
            "{args:?}: {stderr}"
        );
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(stderr.trim().is_empty(), "{args:?}: {stderr}");
    }
    s.finish().await;
}

/// A listing that fails leaves stdout empty: no lone `[` of a JSON array that never came.
async fn a_failed_listing_writes_nothing_to_stdout(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Clean"}))
        .await;
    users(&s, &token, &company, 3).await;
    let bad = s
        .run(&[
            "users",
            "list",
            "--company",
            "Clean",
            "--where",
            "Bogus",
            "=",
            "x",
            "--output",
            "json",
        ])
        .await;
    assert_ne!(bad.code, 0, "{bad:?}");
    assert_eq!(bad.stdout, "", "{bad:?}");
    assert!(bad.stderr.contains("Bogus"), "{bad:?}");
    // An empty listing is still an empty array, and a full one a whole array.
    let none = s
        .run(&[
            "users",
            "list",
            "--company",
            "Clean",
            "--search",
            "nobody",
            "--output",
            "json",
        ])
        .await;
    assert_eq!(none.json(), json!([]));
    let three = s
        .run(&["users", "list", "--company", "Clean", "--output", "json"])
        .await;
    assert_eq!(three.json().as_array().map(Vec::len), Some(3), "{three:?}");
    s.finish().await;
}

both_engines!(
    a_closed_pipe_is_a_quiet_success,
    a_failed_listing_writes_nothing_to_stdout
);
