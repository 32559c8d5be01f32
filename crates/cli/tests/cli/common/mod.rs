//! The shared harness (`rollcall-testkit`: a real server on `127.0.0.1:0` on either engine), a
//! home directory for the CLI's files, and the real `rollcall` binary run against the server with
//! `KEEPNET_*` variables.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use rollcall_server::Config;
use serde_json::Value;

pub use rollcall_testkit::{
    fresh_pg_database, metric_value, pg_admin_url, Engine, ROOT_ID, ROOT_SECRET, SCOPE,
};

/// What a CLI run left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit 0 and returns stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "{self:?}");
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn code(&self, want: i32) -> &Self {
        assert_eq!(self.code, want, "{self:?}");
        self
    }
}

/// A running server (everything of the testkit's through `Deref`) and a home for the CLI's
/// files.
pub struct TestServer {
    server: rollcall_testkit::TestServer,
    /// HOME / XDG_CONFIG_HOME of CLI runs, and a place for output files.
    pub home: tempfile::TempDir,
}

impl Deref for TestServer {
    type Target = rollcall_testkit::TestServer;

    fn deref(&self) -> &Self::Target {
        &self.server
    }
}

impl TestServer {
    /// Starts a server on a fresh database; `None` when PostgreSQL is not configured here.
    pub async fn start(engine: Engine) -> Option<TestServer> {
        Self::wrap(rollcall_testkit::TestServer::start(engine).await)
    }

    /// Starts a server with a config tweak on a fresh database.
    pub async fn start_with(engine: Engine, tweak: impl FnOnce(&mut Config)) -> Option<TestServer> {
        Self::wrap(rollcall_testkit::TestServer::start_with(engine, tweak).await)
    }

    fn wrap(server: Option<rollcall_testkit::TestServer>) -> Option<TestServer> {
        Some(TestServer {
            server: server?,
            home: tempfile::tempdir().expect("home dir"),
        })
    }

    /// Stops and starts again on the same data with `tweak` applied (a new port).
    pub async fn restart_with(self, tweak: impl FnOnce(&mut Config)) -> TestServer {
        TestServer {
            server: self.server.restart_with(tweak).await,
            home: self.home,
        }
    }

    /// Stops the server and drops its PostgreSQL database.
    pub async fn finish(self) {
        self.server.finish().await;
    }

    /// A file path in the CLI's home.
    pub fn file(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// Runs `rollcall ARGS` as the bootstrap Reseller (via `KEEPNET_*`), stdout piped.
    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_env(
            &[
                ("KEEPNET_CLIENT_ID", ROOT_ID),
                ("KEEPNET_CLIENT_SECRET", ROOT_SECRET),
                ("KEEPNET_API_BASE_URL", &self.base),
            ],
            args,
        )
        .await
    }

    /// Runs `rollcall ARGS` with exactly these `KEEPNET_*`/`ROLLCALL_*` variables (the ones of
    /// the test process are removed), HOME and XDG_CONFIG_HOME in the test's home.
    pub async fn run_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        run_cli(self.home.path(), env, args).await
    }

    /// `count-summary` of a company, through HTTP.
    pub async fn count_summary(&self, token: &str, company: &str) -> Value {
        let (status, json) = self
            .call(
                Method::GET,
                "/api/target-users/count-summary",
                token,
                None,
                &[(SCOPE, company)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json["data"].clone()
    }
}

/// Spawns `rollcall ARGS` on a pseudo-terminal from util-linux `script` (the CLI's stdin,
/// stdout and stderr), in the test's home, with the root client's `KEEPNET_*` credentials when
/// `root`; the terminal's input and everything it shows are piped to the test. `None` when
/// `script` is missing outside CI (CI has it: util-linux is part of Debian's base system).
pub fn spawn_on_terminal(
    s: &TestServer,
    args: &[&str],
    root: bool,
) -> Option<tokio::process::Child> {
    spawn_on_sized_terminal(s, args, root, None)
}

/// [`spawn_on_terminal`] on a terminal `cols` columns wide (`stty cols`); without, the
/// terminal reports no size, as `script` with piped input makes it.
pub fn spawn_on_sized_terminal(
    s: &TestServer,
    args: &[&str],
    root: bool,
    cols: Option<u16>,
) -> Option<tokio::process::Child> {
    let mut argv = vec![env!("CARGO_BIN_EXE_rollcall")];
    argv.extend_from_slice(args);
    let mut command = shlex::try_join(argv).expect("quotable arguments");
    if let Some(cols) = cols {
        command = format!("stty cols {cols} rows 50 && {command}");
    }
    let mut cmd = tokio::process::Command::new("script");
    for (k, _) in std::env::vars() {
        if k.starts_with("KEEPNET_") || k.starts_with("ROLLCALL_") || k == "COLUMNS" {
            cmd.env_remove(k);
        }
    }
    cmd.args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .current_dir(s.home.path())
        .env("HOME", s.home.path())
        .env("XDG_CONFIG_HOME", s.home.path().join(".config"))
        .env("XDG_CACHE_HOME", s.home.path().join(".cache"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    if root {
        cmd.env("KEEPNET_CLIENT_ID", ROOT_ID)
            .env("KEEPNET_CLIENT_SECRET", ROOT_SECRET)
            .env("KEEPNET_API_BASE_URL", s.url(""));
    }
    match cmd.spawn() {
        Ok(child) => Some(child),
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("util-linux script is not available ({e}): skipping the terminal test");
            None
        }
        Err(e) => panic!("script (util-linux) is needed in CI: {e}"),
    }
}

/// Runs `rollcall ARGS` on a pseudo-terminal ([`spawn_on_terminal`], root credentials) that is
/// typed `input` ahead (the terminal keeps it until a prompt reads it); what the terminal
/// showed and the exit code. `None` when `script` is missing outside CI.
pub async fn run_on_terminal(s: &TestServer, args: &[&str], input: &str) -> Option<(String, i32)> {
    use tokio::io::AsyncWriteExt;
    let mut child = spawn_on_terminal(s, args, true)?;
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).await.expect("type");
    drop(stdin);
    let out = child.wait_with_output().await.expect("script");
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    ))
}

/// Runs the real `rollcall` binary.
pub async fn run_cli(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_rollcall"));
    for (k, _) in std::env::vars() {
        // COLUMNS sets the width tables fit: a test gives it when it means to.
        if k.starts_with("KEEPNET_") || k.starts_with("ROLLCALL_") || k == "COLUMNS" {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home)
        .current_dir(home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        // The token cache too stays in the test's home, whatever the developer's setting.
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("run rollcall");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The "rollcall listening" line of `rollcall serve --log-format json`, if `line` is it.
pub fn as_listening_line(line: &str) -> Option<Value> {
    serde_json::from_str::<Value>(line)
        .ok()
        .filter(|v| v["fields"]["message"] == "rollcall listening")
}

/// The first "rollcall listening" line in the JSON logs `stderr`.
pub fn listening_line(stderr: &str) -> Option<Value> {
    stderr.lines().find_map(as_listening_line)
}

/// Creates a company named `name` below the token's own company on the server at `base` (a
/// `rollcall serve` process, for tests that have no [`TestServer`]); returns its resource id.
pub async fn create_company_at(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    name: &str,
) -> String {
    let created: Value = http
        .post(format!("{base}/api/companies"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "name": name }))
        .send()
        .await
        .expect("create company")
        .json()
        .await
        .expect("json");
    created["data"]["resourceId"]
        .as_str()
        .unwrap_or_else(|| panic!("resourceId in {created}"))
        .to_owned()
}
