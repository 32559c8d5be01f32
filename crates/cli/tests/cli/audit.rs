//! `rollcall audit list` against a real server on both engines: a company's log newest first,
//! the filters and the limit, table and JSON output, and a Company Admin's narrower view; and
//! `rollcall serve`'s retention setting from its flag, variable and config file.

use std::process::Stdio;
use std::time::Duration;

use crate::common::{as_listening_line, Engine, TestServer};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

fn rows(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("a JSON array: {v}"))
}

fn texts<'a>(rows: &'a [Value], key: &str) -> Vec<&'a str> {
    rows.iter()
        .map(|r| r[key].as_str().unwrap_or_default())
        .collect()
}

async fn audit_list(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let acme = s
        .create_company(&token, None, json!({"name": "Acme"}))
        .await;
    let globex = s
        .create_company(&token, None, json!({"name": "Globex"}))
        .await;
    s.create_user(&token, &acme, json!({"email": "ada@acme.test"}))
        .await;
    s.create_user(&token, &globex, json!({"email": "gus@globex.test"}))
        .await;
    let (admin_id, admin_secret) = s.create_client(&token, &acme, "Company Admin").await;
    // A change made through the CLI carries its User-Agent.
    s.run(&[
        "users",
        "add",
        "--company",
        "Acme",
        "--email",
        "cli@acme.test",
    ])
    .await
    .code(0);

    // A company's log, newest first (JSON when piped).
    let out = s.run(&["audit", "list", "--company", "Acme"]).await.json();
    let acme_rows = rows(&out);
    assert_eq!(acme_rows.len(), 4, "company, two users, client: {out:#}");
    for r in acme_rows {
        let d = r["auditDescription"].as_str().unwrap_or_default();
        assert!(d.contains("'Acme'"), "only Acme's rows: {d}");
    }
    let dates: Vec<chrono::DateTime<chrono::Utc>> = texts(acme_rows, "logDate")
        .iter()
        .map(|d| d.parse().expect("an ISO logDate"))
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    let newest = &acme_rows[0];
    assert_eq!(newest["operation"], "Create", "{newest}");
    assert!(
        newest["auditDescription"]
            .as_str()
            .is_some_and(|d| d.contains("cli@acme.test")),
        "{newest}"
    );
    assert!(
        newest["userAgent"]
            .as_str()
            .is_some_and(|ua| ua.starts_with("rollcall-cli/")),
        "{newest}"
    );
    assert_eq!(newest["userName"], crate::common::ROOT_ID, "{newest}");

    // Filters (any case) and the limit.
    let out = s
        .run(&[
            "audit",
            "list",
            "--company",
            "Acme",
            "--operation",
            "create",
            "--entity",
            "targetuser",
        ])
        .await
        .json();
    assert_eq!(
        texts(rows(&out), "entityName"),
        ["TargetUser", "TargetUser"]
    );
    let out = s
        .run(&["audit", "list", "--company", "Acme", "--limit", "1"])
        .await
        .json();
    assert_eq!(
        texts(rows(&out), "resourceId"),
        [newest["resourceId"].as_str().unwrap_or_default()]
    );
    let out = s
        .run(&[
            "audit",
            "list",
            "--company",
            "Acme",
            "--since",
            "2999-01-01",
        ])
        .await
        .json();
    assert!(rows(&out).is_empty(), "{out}");
    let out = s
        .run(&[
            "audit",
            "list",
            "--company",
            "Acme",
            "--since",
            "2000-01-01T00:00:00Z",
        ])
        .await
        .json();
    assert_eq!(rows(&out).len(), 4, "{out}");
    let bad = s.run(&["audit", "list", "--since", "yesterday"]).await;
    bad.code(1);
    assert!(bad.stderr.contains("--since"), "{bad:?}");

    // The reseller's own log holds both customers' rows.
    let out = s.run(&["audit", "list"]).await.json();
    let all = texts(rows(&out), "auditDescription").join("\n");
    assert!(all.contains("'Acme'") && all.contains("'Globex'"), "{all}");

    // A table for people.
    let table = s
        .run(&["audit", "list", "--company", "Acme", "--output", "table"])
        .await;
    table.code(0);
    for want in [
        "Date",
        "Operation",
        "Description",
        "cli@acme.test",
        "127.0.0.1",
    ] {
        assert!(table.stdout.contains(want), "{want}: {}", table.stdout);
    }

    // A Company Admin reads its own company's log only.
    let env = [
        ("KEEPNET_CLIENT_ID", admin_id.as_str()),
        ("KEEPNET_CLIENT_SECRET", admin_secret.as_str()),
        ("KEEPNET_API_BASE_URL", s.base.as_str()),
    ];
    let out = s.run_env(&env, &["audit", "list"]).await.json();
    // Its own token request may be logged too (once the token endpoint records them).
    let seen: Vec<Value> = rows(&out)
        .iter()
        .filter(|r| r["entityName"] != "Token")
        .cloned()
        .collect();
    assert_eq!(
        texts(&seen, "resourceId"),
        texts(acme_rows, "resourceId"),
        "the admin sees Acme's rows"
    );
    let other = s
        .run_env(&env, &["audit", "list", "--company", "Globex"])
        .await;
    other.code(3);
}

both_engines!(audit_list);

/// `rollcall serve ARGS` on a fresh SQLite directory with `env`: its JSON "rollcall listening"
/// line, after which the server is stopped.
async fn listening_with(args: &[&str], env: &[(&str, &str)]) -> Value {
    let dir = tempfile::tempdir().expect("dir");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollcall"));
    for (k, _) in std::env::vars() {
        if k.starts_with("KEEPNET_") || k.starts_with("ROLLCALL_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("spawn rollcall serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read stderr") {
            if let Some(v) = as_listening_line(&line) {
                return v;
            }
        }
        panic!("rollcall serve ended without a listening line");
    })
    .await
    .expect("a listening line within 60 s");
    child.kill().await.expect("stop rollcall serve");
    line
}

/// `--audit-retention-days`, `ROLLCALL_AUDIT_RETENTION_DAYS` and `audit_retention_days` reach
/// the server (365 by default; 0 keeps everything); a negative value is refused by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_setting_reaches_the_server() {
    let days = |v: &Value| v["fields"]["audit_retention_days"].clone();
    assert_eq!(days(&listening_with(&[], &[]).await), 365);
    assert_eq!(
        days(&listening_with(&["--audit-retention-days", "0"], &[]).await),
        0
    );
    assert_eq!(
        days(&listening_with(&[], &[("ROLLCALL_AUDIT_RETENTION_DAYS", "30")]).await),
        30
    );
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("serve.toml");
    std::fs::write(&file, "audit_retention_days = 7\n").expect("write");
    let path = file.to_string_lossy().into_owned();
    assert_eq!(
        days(&listening_with(&["--config-file", &path], &[]).await),
        7
    );
    std::fs::write(&file, "audit_retention_days = -1\n").expect("write");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollcall"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config-file", &path])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env_remove("ROLLCALL_AUDIT_RETENTION_DAYS")
        .output()
        .await
        .expect("run rollcall serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("'audit_retention_days' must be a whole number of days, 0 or more"),
        "{stderr}"
    );
}
