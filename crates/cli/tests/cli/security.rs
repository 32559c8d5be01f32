//! Issue #11 as an operator meets it, through the real binary: warnings for secrets given as
//! flags, the bootstrap secret's minimum, database file modes tightened and logged at start, and
//! `rollcall keys rotate|list` on both engines.

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use crate::common::{run_cli, Engine, TestServer};
use crate::serve_config::{free_port, serve_cmd, stop, token_from, wait_ready};

const JWT: &str = "a-jwt-secret-of-at-least-thirty-two-characters";
const BOOT: &str = "boot-secret-0123456789";

#[tokio::test]
async fn secrets_given_as_flags_draw_a_warning_and_are_never_printed() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let child = serve_cmd()
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path().join("flags"))
        .args(["--jwt-secret", JWT, "--bootstrap-client-id", "boot"])
        .args(["--bootstrap-client-secret", BOOT])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(wait_ready(port).await, "server did not come up");
    token_from(port, "boot", BOOT).await;
    let (stdout, stderr) = stop(child).await;
    for (flag, env) in [
        ("--jwt-secret", "ROLLCALL_JWT_SECRET"),
        (
            "--bootstrap-client-secret",
            "ROLLCALL_BOOTSTRAP_CLIENT_SECRET",
        ),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains("WARN") && l.contains(flag) && l.contains(env)),
            "a warning names {flag} and {env}: {stderr}"
        );
    }
    for secret in [JWT, BOOT] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} printed"
        );
    }

    // The same settings from the environment: no warning.
    let port = free_port();
    let child = serve_cmd()
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path().join("env"))
        .env("ROLLCALL_JWT_SECRET", JWT)
        .env("ROLLCALL_BOOTSTRAP_CLIENT_ID", "boot")
        .env("ROLLCALL_BOOTSTRAP_CLIENT_SECRET", BOOT)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(wait_ready(port).await, "server did not come up");
    let (_, stderr) = stop(child).await;
    assert!(!stderr.contains("command line"), "{stderr}");

    // A database URL with a password on the command line (the server cannot reach it and
    // stops; the warning comes first).
    let out = serve_cmd()
        .arg("--data-dir")
        .arg(dir.path().join("pg"))
        .args([
            "--database-url",
            "postgres://rollcall:hunter2@127.0.0.1:1/rollcall",
        ])
        .output()
        .await
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--database-url") && stderr.contains("ROLLCALL_DATABASE_URL"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("hunter2"),
        "the password was printed: {stderr}"
    );
}

#[tokio::test]
async fn a_short_bootstrap_secret_refuses_to_start() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let out = serve_cmd()
        .arg("--data-dir")
        .arg(&data)
        .env("ROLLCALL_BOOTSTRAP_CLIENT_SECRET", "x")
        .output()
        .await
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("at least 16"), "{stderr}");
    assert!(!data.exists(), "nothing was created");
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn wide_database_files_are_tightened_and_logged() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let start = || {
        let port = free_port();
        let child = serve_cmd()
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(&data)
            .args(["--bootstrap-client-id", "boot"])
            .env("ROLLCALL_BOOTSTRAP_CLIENT_SECRET", BOOT)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        (port, child)
    };
    let (port, child) = start();
    assert!(wait_ready(port).await, "server did not come up");
    token_from(port, "boot", BOOT).await;
    let (_, stderr) = stop(child).await;
    assert!(!stderr.contains("tightened"), "{stderr}");
    assert_eq!(mode(&data), 0o700);
    let db = data.join("rollcall.db");
    assert_eq!(mode(&db), 0o600);

    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (port, child) = start();
    assert!(wait_ready(port).await, "server did not come up");
    let (_, stderr) = stop(child).await;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&db), 0o600);
    for what in ["data directory", "database file"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains("WARN") && l.contains("tightened") && l.contains(what)),
            "a warning about the {what}: {stderr}"
        );
    }
}

async fn keys_rotate_and_list(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let old = srv.root_token().await;
    let kid = rollcall_testkit::jwt_kid;
    let old_kid = kid(&old);
    let data_dir = srv.config.data_dir.display().to_string();
    let db_args: Vec<&str> = match engine {
        Engine::Sqlite => vec!["--data-dir", &data_dir],
        Engine::Postgres => vec!["--database-url", &srv.config.database_url],
    };
    let run = |action: &'static str| {
        let mut args = vec!["keys", action];
        args.extend(db_args.iter().copied());
        let home = srv.home.path().to_owned();
        async move { run_cli(&home, &[], &args).await }
    };
    let rotated = run("rotate").await;
    assert_eq!(rotated.code, 0, "{rotated:?}");
    let new_kid = rotated
        .stdout
        .split_whitespace()
        .skip_while(|w| *w != "key:")
        .nth(1)
        .expect("the new key id")
        .to_owned();
    assert_ne!(new_kid, old_kid);
    assert!(
        rotated.stdout.contains("pick it up within 60 s"),
        "{rotated:?}"
    );

    let listed = run("list").await;
    assert_eq!(listed.code, 0, "{listed:?}");
    let line = |k: &str| {
        listed
            .stdout
            .lines()
            .find(|l| l.starts_with(k))
            .unwrap_or_else(|| panic!("{k} listed: {listed:?}"))
            .to_owned()
    };
    assert!(line(&new_kid).contains("signs new tokens"), "{listed:?}");
    assert!(line(&old_kid).contains("checks tokens until"), "{listed:?}");

    // The running server still accepts the old token; restarted, it signs with the new key.
    let srv = srv.restart_with(|_| {}).await;
    let (status, body) = srv.get("/api/companies/my", &old, &[]).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(kid(&srv.root_token().await), new_kid);
    srv.finish().await;
}

both_engines!(keys_rotate_and_list);

#[tokio::test]
async fn keys_without_a_database_says_where_to_point_it() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("nowhere").display().to_string();
    let out = run_cli(dir.path(), &[], &["keys", "list", "--data-dir", &missing]).await;
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("--data-dir") && out.stderr.contains("--database-url"),
        "{out:?}"
    );
}
