//! `rollcall serve --config-file` and `rollcall config example`, run as the real binary.

use std::process::Stdio;
use std::time::Duration;

use crate::common::{listening_line, metric_value};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_rollcall");

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

pub(crate) async fn wait_ready(port: u16) -> bool {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/health/ready"))
            .send()
            .await
        {
            if r.status().is_success() {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[test]
fn config_example_lists_every_setting_commented_out() {
    let out = std::process::Command::new(BIN)
        .args(["config", "example"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf8");
    // As printed, everything is commented out: a valid, empty TOML file.
    let table: toml::Table = text.parse().expect("valid TOML");
    assert!(table.is_empty());
    // Uncommented, it sets every setting `serve` knows.
    let uncommented: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("# ").filter(|l| l.contains(" = ")))
        .map(|l| format!("{l}\n"))
        .collect();
    let table: toml::Table = uncommented.parse().expect("uncommented TOML");
    for key in [
        "listen",
        "data_dir",
        "database_url",
        "jwt_secret",
        "max_page_size",
        "bootstrap_client_id",
        "bootstrap_client_secret",
        "demo",
        "log_format",
        "metrics_listen",
        "shutdown_timeout",
        "pdf_fallback_font",
        "database_pool_size",
        "rate_limit",
        "dns_resolver",
        "dns_timeout",
    ] {
        assert!(table.contains_key(key), "{key} missing from the example");
    }
}

#[tokio::test]
async fn serve_reads_the_config_file_and_flags_win() {
    let dir = tempfile::tempdir().expect("dir");
    let file_port = free_port();
    let config = dir.path().join("rollcall.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{file_port}\"\ndata-dir = \"{}\"\nbootstrap_client_id = \"from-file\"\n\
             bootstrap_client_secret = \"from-file-secret-0123456789\"\nlog_format = \"json\"\n",
            dir.path().join("data").display()
        ),
    )
    .expect("write config");

    // The file alone: the server listens where the file says and bootstraps its credential.
    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--config-file"])
        .arg(&config)
        .env_remove("ROLLCALL_LISTEN")
        .env_remove("ROLLCALL_DATA_DIR")
        .env_remove("ROLLCALL_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    assert!(
        wait_ready(file_port).await,
        "server from the config file did not come up"
    );
    let token = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{file_port}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "from-file"),
            ("client_secret", "from-file-secret-0123456789"),
            ("scope", "api1"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(token.status(), reqwest::StatusCode::OK);
    child.kill().await.expect("kill");
    let out = child.wait_with_output().await.expect("output");
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        logs.lines()
            .any(|l| l.starts_with('{') && l.contains("\"route\":\"/health/ready\"")),
        "{logs}"
    );
    assert!(
        !logs.contains("from-file-secret"),
        "a secret reached the logs"
    );

    // A flag wins over the file.
    let flag_port = free_port();
    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--config-file"])
        .arg(&config)
        .args(["--listen", &format!("127.0.0.1:{flag_port}")])
        .env_remove("ROLLCALL_LISTEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    assert!(
        wait_ready(flag_port).await,
        "the --listen flag must win over the file"
    );
    child.kill().await.expect("kill");
}

#[test]
fn unknown_config_keys_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nlisten_adress = \"x\"\n").expect("write");
    let out = std::process::Command::new(BIN)
        .args(["serve", "--config-file"])
        .arg(&config)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown setting 'listen_adress'") && err.contains("listen, data_dir"),
        "{err}"
    );
}

#[test]
fn a_pdf_fallback_font_that_cannot_be_read_stops_the_start() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("font.toml");
    // One path, or a list tried in order: either way every font must be usable.
    for value in [
        "\"/nonexistent/cjk.ttf\"",
        "[\"/usr/share/fonts/truetype/dejavu/missing.ttf\", \"/nonexistent/cjk.ttf\"]",
    ] {
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\npdf_fallback_font = {value}\n",
                dir.path().join("data").display()
            ),
        )
        .expect("write");
        let out = std::process::Command::new(BIN)
            .args(["serve", "--config-file"])
            .arg(&config)
            .env_remove("ROLLCALL_PDF_FALLBACK_FONT")
            .output()
            .expect("run");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot read the PDF fallback font /")
                && err.contains(if value.starts_with('[') {
                    "missing.ttf"
                } else {
                    "cjk.ttf"
                }),
            "{value}: {err}"
        );
    }
}

/// `rollcall serve` with every `ROLLCALL_*` setting of the test's environment removed, so that
/// only what a test passes counts.
pub(crate) fn serve_cmd() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("serve");
    for (key, _) in std::env::vars() {
        if key.starts_with("ROLLCALL_") {
            cmd.env_remove(key);
        }
    }
    cmd.kill_on_drop(true);
    cmd
}

/// A token from a running `rollcall serve`; panics unless it issues one.
pub(crate) async fn token_from(port: u16, id: &str, secret: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "api1"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(resp.status(), reqwest::StatusCode::OK, "token for {id}");
    let body: serde_json::Value = resp.json().await.expect("token json");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// `rollcall serve` on `port` with its data under `dir`, bootstrapping the client `(id,
/// secret)`, with `extra` flags and its output piped for the test to read.
fn serve_logging(
    dir: &std::path::Path,
    port: u16,
    (id, secret): (&str, &str),
    extra: &[&str],
) -> tokio::process::Child {
    serve_cmd()
        .args(extra)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args([
            "--bootstrap-client-id",
            id,
            "--bootstrap-client-secret",
            secret,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Stops a `rollcall serve` child and returns its (stdout, stderr).
pub(crate) async fn stop(mut child: tokio::process::Child) -> (String, String) {
    child.kill().await.expect("kill");
    let out = child.wait_with_output().await.expect("output");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The JSON request log line carries the request id sent, method, route template, status,
/// latency, client id and company; neither the client secret nor the access token is printed.
#[tokio::test]
async fn the_request_log_line_has_its_fields_and_no_secret() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let (id, secret) = ("log-check", "log-check-secret-0123456789abcdef");
    let child = serve_logging(dir.path(), port, (id, secret), &["--log-format", "json"]);
    assert!(wait_ready(port).await, "server did not come up");
    let token = token_from(port, id, secret).await;
    let http = reqwest::Client::new();
    let company = crate::common::create_company_at(
        &http,
        &format!("http://127.0.0.1:{port}"),
        &token,
        "Logged",
    )
    .await;
    let resp = http
        .post(format!("http://127.0.0.1:{port}/api/target-users/search"))
        .bearer_auth(&token)
        .header("X-Request-Id", "log-line-check-42")
        .header("X-KEEPNET-Company-Id", &company)
        .json(&serde_json::json!({"pageNumber": 1, "pageSize": 10}))
        .send()
        .await
        .expect("search");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let (stdout, stderr) = stop(child).await;

    let line = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["request_id"] == "log-line-check-42")
        .unwrap_or_else(|| panic!("no log line with the request id sent: {stderr}"));
    let f = &line["fields"];
    assert_eq!(f["message"], "request", "{line}");
    assert_eq!(f["method"], "POST", "{line}");
    assert_eq!(f["route"], "/api/target-users/search", "{line}");
    assert_eq!(f["status"], 200, "{line}");
    assert!(
        f["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert_eq!(f["client_id"], id, "{line}");
    assert_eq!(f["company"], company.as_str(), "{line}");
    // The token request is logged too, by its route, naming the client id asked for.
    let token_line = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["route"] == "/connect/token")
        .unwrap_or_else(|| panic!("no token request line: {stderr}"));
    assert_eq!(token_line["fields"]["client_id"], id, "{token_line}");
    let signature = token.rsplit('.').next().expect("signature");
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains(secret), "the client secret reached {name}");
        assert!(!text.contains(&token), "the access token reached {name}");
        assert!(
            !text.contains(signature),
            "the token's signature reached {name}"
        );
    }
}

/// Text logs written to a pipe (a file, journald) carry no colour codes, latencies are rounded
/// to hundredths of a millisecond, and a token request's line names the client id asked for,
/// even when the credentials are wrong.
#[tokio::test]
async fn text_logs_in_a_pipe_are_plain_rounded_and_name_the_token_client() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let (id, secret) = ("plain-log", "plain-log-secret-0123456789abcdef");
    let child = serve_logging(dir.path(), port, (id, secret), &[]);
    assert!(wait_ready(port).await, "server did not come up");
    token_from(port, id, secret).await;
    let refused = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "nobody-like-this"),
            ("client_secret", "wrong-wrong-wrong"),
            ("scope", "api1"),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    let (_, stderr) = stop(child).await;
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a piped log: {stderr}"
    );
    let token_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("route=/connect/token"))
        .collect();
    assert!(
        token_lines
            .iter()
            .any(|l| l.contains(&format!("client_id={id}"))),
        "{stderr}"
    );
    assert!(
        token_lines
            .iter()
            .any(|l| l.contains("client_id=nobody-like-this")),
        "{stderr}"
    );
    for line in stderr.lines().filter(|l| l.contains("latency_ms=")) {
        let value = line
            .split("latency_ms=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_default();
        let decimals = value.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 2, "latency not rounded in: {line}");
    }
}

/// An environment variable wins over the config file, as a flag does.
#[tokio::test]
async fn an_environment_variable_wins_over_the_config_file() {
    let dir = tempfile::tempdir().expect("dir");
    let (file_port, env_port) = (free_port(), free_port());
    let config = dir.path().join("rollcall.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{file_port}\"\ndata_dir = \"{}\"\nmax_page_size = 5\n\
             bootstrap_client_id = \"env-check\"\nbootstrap_client_secret = \"env-check-secret-0123456789\"\n",
            dir.path().join("data").display()
        ),
    )
    .expect("write config");
    let child = serve_cmd()
        .arg("--config-file")
        .arg(&config)
        .env("ROLLCALL_LISTEN", format!("127.0.0.1:{env_port}"))
        .env("ROLLCALL_MAX_PAGE_SIZE", "50")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let up = wait_ready(env_port).await;
    let file_port_answers = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{file_port}/health/live"))
        .send()
        .await
        .is_ok();
    let search = if up {
        let token = token_from(env_port, "env-check", "env-check-secret-0123456789").await;
        let resp = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{env_port}/api/companies/search"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"pageNumber": 1, "pageSize": 20}))
            .send()
            .await
            .expect("search");
        Some(resp.status())
    } else {
        None
    };
    let (_, stderr) = stop(child).await;
    assert!(
        up,
        "ROLLCALL_LISTEN must win over the file's listen: {stderr}"
    );
    assert!(!file_port_answers, "nothing may listen on the file's port");
    assert_eq!(
        search,
        Some(reqwest::StatusCode::OK),
        "ROLLCALL_MAX_PAGE_SIZE=50 must win over the file's 5 (pageSize 20)"
    );
}

/// On an empty database `serve` prints the bootstrap credential: a secret the operator supplied
/// (flag or environment variable) is never echoed; a generated one is printed exactly once, and
/// works; a second start prints no credential.
#[tokio::test]
async fn bootstrap_output_never_echoes_a_supplied_secret_and_prints_a_generated_one_once() {
    let supplied = "operator-chosen-secret-0123456789";
    for via_env in [false, true] {
        let dir = tempfile::tempdir().expect("dir");
        let port = free_port();
        let mut cmd = serve_cmd();
        cmd.arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--bootstrap-client-id", "chosen"]);
        if via_env {
            cmd.env("ROLLCALL_BOOTSTRAP_CLIENT_SECRET", supplied);
        } else {
            cmd.args(["--bootstrap-client-secret", supplied]);
        }
        let child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        assert!(wait_ready(port).await, "server did not come up");
        token_from(port, "chosen", supplied).await;
        let (stdout, stderr) = stop(child).await;
        assert!(stdout.contains("client_id:     chosen"), "{stdout}");
        assert!(
            stdout.contains("client_secret: the one you supplied"),
            "{stdout}"
        );
        for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(
                !text.contains(supplied),
                "a supplied secret reached {name} (via_env: {via_env})"
            );
        }
    }

    // Generated: printed exactly once, and it is the real secret.
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let start = |port: u16| {
        let mut cmd = serve_cmd();
        cmd.arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("spawn")
    };
    let child = start(port);
    assert!(wait_ready(port).await, "server did not come up");
    // Printed before the listener answers; give a slow pipe a moment anyway.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (stdout, stderr) = stop(child).await;
    let field = |name: &str| {
        let found: Vec<&str> = stdout
            .lines()
            .filter_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
            .collect();
        assert_eq!(found.len(), 1, "one {name} line: {stdout}");
        found[0].to_owned()
    };
    let (id, secret) = (field("client_id:"), field("client_secret:"));
    assert!(secret.len() >= 16, "a generated secret: {stdout}");
    assert_eq!(
        stdout.matches(&secret).count() + stderr.matches(&secret).count(),
        1,
        "the generated secret is printed exactly once: {stdout}{stderr}"
    );
    // The printed credential works, and a second start on the same data prints none.
    let port = free_port();
    let child = start(port);
    assert!(wait_ready(port).await, "server did not come up again");
    token_from(port, &id, &secret).await;
    let (stdout, stderr) = stop(child).await;
    assert!(!stdout.contains("client_secret"), "{stdout}");
    assert!(!stdout.contains(&secret) && !stderr.contains(&secret));
}

/// `--database-pool-size` reaches the pool (the `rollcall_db_pool_max_connections` gauge);
/// 0, too large or negative values are refused, naming the setting.
#[tokio::test]
async fn database_pool_size_reaches_the_pool_and_bad_values_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let child = serve_cmd()
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("ROLLCALL_DATABASE_POOL_SIZE", "3")
        .args(["--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(wait_ready(port).await, "server did not come up");
    let metrics = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let (_, stderr) = stop(child).await;
    assert_eq!(
        metric_value(&metrics, "rollcall_db_pool_max_connections"),
        Some(3.0),
        "{metrics}"
    );
    let listening =
        listening_line(&stderr).unwrap_or_else(|| panic!("no 'rollcall listening' line: {stderr}"));
    assert_eq!(listening["fields"]["database_pool_size"], 3, "{listening}");

    let config = dir.path().join("pool.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\ndatabase_pool_size = -1\n",
            dir.path().join("bad").display()
        ),
    )
    .expect("write");
    let cases: [(&[&str], Option<&str>, &str); 4] = [
        (
            &["--database-pool-size", "0"],
            None,
            "--database-pool-size (ROLLCALL_DATABASE_POOL_SIZE, database_pool_size in the config file) must be a whole number from 1 to 1000, not 0",
        ),
        (
            &[],
            Some("5000"),
            "--database-pool-size (ROLLCALL_DATABASE_POOL_SIZE, database_pool_size in the config file) must be a whole number from 1 to 1000, not 5000",
        ),
        (
            &["--config-file"],
            None,
            "'database_pool_size' must be a whole number from 1 to",
        ),
        (
            &["--database-pool-size", "many"],
            None,
            "invalid value 'many' for '--database-pool-size",
        ),
    ];
    for (args, env, want) in cases {
        let mut cmd = serve_cmd();
        cmd.args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("bad"))
            .args(args);
        if args == ["--config-file"] {
            cmd.arg(&config);
        }
        if let Some(v) = env {
            cmd.env("ROLLCALL_DATABASE_POOL_SIZE", v);
        }
        let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
            .await
            .expect("a refused start exits")
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} {env:?} must be refused");
        assert!(err.contains(want), "{args:?} {env:?}: {err}");
    }
}

/// The allowed-domain DNS settings are checked before the server starts, each refusal naming the
/// flag, its variable and what it takes; the config file's keys reach the same checks.
#[tokio::test]
async fn dns_settings_are_checked_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("dns.toml");
    std::fs::write(
        &config,
        "dns_resolver = \"dns.example:53\"\ndns_timeout = 2\n",
    )
    .expect("write");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--dns-resolver", "localhost"],
            "--dns-resolver (ROLLCALL_DNS_RESOLVER, dns_resolver) must be an IP address and port such as 127.0.0.1:53 or [::1]:53, not 'localhost'",
        ),
        (
            &["--dns-timeout", "0"],
            "--dns-timeout (ROLLCALL_DNS_TIMEOUT, dns_timeout) must be from 0.1 to 60 seconds, not 0",
        ),
        (&["--dns-timeout", "600"], "must be from 0.1 to 60 seconds, not 600"),
        (&["--config-file"], "not 'dns.example:53'"),
    ];
    for (args, want) in cases {
        let mut cmd = serve_cmd();
        cmd.args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path().join("data"))
            .args(args);
        if args == ["--config-file"] {
            cmd.arg(&config);
        }
        let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
            .await
            .expect("a refused start exits")
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} must be refused");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// A `sqlite://` URL naming a file that does not exist says how to have it created, once,
/// instead of SQLite's "unable to open database file", and creates nothing.
#[tokio::test]
async fn a_missing_sqlite_file_says_how_to_create_it() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("new.db");
    let url = format!("sqlite://{}", file.display());
    let mut cmd = serve_cmd();
    cmd.args(["--listen", "127.0.0.1:0", "--database-url", &url])
        .arg("--data-dir")
        .arg(dir.path().join("data"));
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("a refused start exits")
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("no SQLite database at {}", file.display()))
            && err.contains(&format!("'{url}?mode=rwc'")),
        "{err}"
    );
    assert!(!err.contains("unable to open database file"), "{err}");
    assert!(!file.exists());
    // With mode=rwc the same file is created and served.
    let mut cmd = serve_cmd();
    cmd.args([
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &format!("{url}?mode=rwc"),
    ])
    .arg("--data-dir")
    .arg(dir.path().join("data"))
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    let child = cmd.spawn().expect("spawn");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !file.exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(file.exists(), "mode=rwc creates {}", file.display());
    drop(child);
}

/// With `--metrics-listen`, the "rollcall listening" line names the metrics address.
#[tokio::test]
async fn the_listening_line_names_the_metrics_address() {
    let dir = tempfile::tempdir().expect("dir");
    let (port, metrics_port) = (free_port(), free_port());
    let child = serve_cmd()
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--metrics-listen")
        .arg(format!("127.0.0.1:{metrics_port}"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    assert!(wait_ready(port).await, "server did not come up");
    let metrics = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .expect("metrics")
        .status();
    let (_, stderr) = stop(child).await;
    assert_eq!(metrics, reqwest::StatusCode::OK);
    let listening =
        listening_line(&stderr).unwrap_or_else(|| panic!("no 'rollcall listening' line: {stderr}"));
    assert_eq!(
        listening["fields"]["metrics_addr"],
        format!("127.0.0.1:{metrics_port}"),
        "{listening}"
    );
}
