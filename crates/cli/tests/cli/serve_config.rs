//! `rollcall serve --config-file` and `rollcall config example`, run as the real binary.

use std::process::Stdio;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_rollcall");

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

async fn wait_ready(port: u16) -> bool {
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
