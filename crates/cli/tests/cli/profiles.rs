//! `rollcall profile add|status` (issue #18): the secret is checked with the server before it is
//! saved, the confirmation says where it came from, typing it on a terminal does not show it,
//! and a refused secret says which credentials were used and what to do.

use crate::common::{Engine, TestServer, ROOT_ID, ROOT_SECRET};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `profile add NAME` for the root client with `secret` in KEEPNET_CLIENT_SECRET.
async fn add(s: &TestServer, name: &str, secret: &str, extra: &[&str]) -> crate::common::Run {
    let mut args = vec![
        "profile",
        "add",
        name,
        "--client-id",
        ROOT_ID,
        "--base-url",
        &s.base,
    ];
    args.extend_from_slice(extra);
    s.run_env(&[("KEEPNET_CLIENT_SECRET", secret)], &args).await
}

#[tokio::test]
async fn a_profile_is_checked_before_it_is_saved() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let config = s.home.path().join(".config/rollcall/config.toml");

    // A wrong secret is refused and nothing is saved.
    let wrong = add(&s, "wrong", "not-the-secret-at-all", &[]).await;
    wrong.code(2);
    for needle in [
        "did not accept client",
        "KEEPNET_CLIENT_SECRET",
        "was not saved",
        "--no-verify",
    ] {
        assert!(wrong.stderr.contains(needle), "{needle}: {wrong:?}");
    }
    assert!(!config.exists(), "a refused profile was written");

    // --no-verify saves it unchecked, and says how to check it later.
    let unchecked = add(&s, "unchecked", "not-the-secret-at-all", &["--no-verify"]).await;
    unchecked.code(0);
    assert!(unchecked.stderr.contains("Not checked"), "{unchecked:?}");
    let status = s
        .run_env(&[], &["profile", "status", "--profile", "unchecked"])
        .await;
    status.code(2);
    assert!(
        status.stderr.contains("profile 'unchecked'") && status.stderr.contains("hint:"),
        "{status:?}"
    );

    // The right secret: checked, and the confirmation names its source and the role.
    let good = add(&s, "good", ROOT_SECRET, &["--default"]).await;
    good.code(0);
    assert!(
        good.stderr
            .contains("secret from the KEEPNET_CLIENT_SECRET variable")
            && good.stderr.contains("Checked:")
            && good.stderr.contains("Reseller"),
        "{good:?}"
    );
    let status = s
        .run_env(&[], &["profile", "status", "--output", "json"])
        .await;
    status.code(0);
    let v = status.json();
    assert_eq!(v["clientId"], ROOT_ID, "{v}");
    assert_eq!(v["baseUrl"], s.base.as_str(), "{v}");
    assert_eq!(v["role"], "Reseller", "{v}");
    assert_eq!(v["companyResourceId"], s.root_company.as_str(), "{v}");
    assert!(
        v["source"]
            .as_str()
            .is_some_and(|t| t.contains("profile 'good'")),
        "{v}"
    );
    let expires = v["tokenExpires"].as_str().expect("expiry");
    let expires = chrono::DateTime::parse_from_rfc3339(expires).expect("a time");
    assert!(expires > chrono::Utc::now(), "{v}");
    s.finish().await;
}

#[tokio::test]
async fn a_refused_secret_names_the_credentials_used_and_what_to_do() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let run = s
        .run_env(
            &[
                ("KEEPNET_CLIENT_ID", ROOT_ID),
                ("KEEPNET_CLIENT_SECRET", "a-wrong-secret-0000"),
                ("KEEPNET_API_BASE_URL", &s.base),
            ],
            &["companies", "list"],
        )
        .await;
    run.code(2);
    let used = format!("client '{ROOT_ID}' from KEEPNET_CLIENT_ID / KEEPNET_CLIENT_SECRET");
    for needle in [used.as_str(), "rollcall profile status", "--profile NAME"] {
        assert!(run.stderr.contains(needle), "{needle}: {run:?}");
    }
    s.finish().await;
}

/// The secret typed at the prompt is not echoed: on a real pseudo-terminal (util-linux
/// `script`), the secret is sent only once the prompt shows, and the terminal's transcript
/// must not contain it.
#[tokio::test]
#[cfg_attr(
    rollcall_no_script,
    ignore = "util-linux script is not installed: no pseudo-terminal"
)]
async fn a_secret_typed_on_a_terminal_is_not_shown() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let args = [
        "profile",
        "add",
        "typed",
        "--client-id",
        ROOT_ID,
        "--base-url",
        &s.base,
    ];
    let Some(mut child) = crate::common::spawn_on_terminal(&s, &args, false) else {
        return;
    };
    let mut stdout = child.stdout.take().expect("stdout");
    let mut shown = Vec::new();
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !String::from_utf8_lossy(&shown).contains("not shown") {
        let n = tokio::time::timeout_at(deadline, stdout.read(&mut buf))
            .await
            .expect("the prompt within 20 s")
            .expect("read");
        assert!(n > 0, "the terminal closed before the prompt: {shown:?}");
        shown.extend_from_slice(&buf[..n]);
    }
    // rpassword turns echo off just after it writes the prompt: type as a person would, a moment
    // later, not in the microseconds between the two.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(format!("{ROOT_SECRET}\r").as_bytes())
        .await
        .expect("type");
    stdin.flush().await.expect("flush");
    let mut rest = Vec::new();
    tokio::time::timeout_at(deadline, stdout.read_to_end(&mut rest))
        .await
        .expect("finished within 20 s")
        .expect("read");
    shown.extend_from_slice(&rest);
    drop(stdin);
    let status = child.wait().await.expect("wait");
    let shown = String::from_utf8_lossy(&shown);
    assert!(status.success(), "{shown}");
    assert!(shown.contains("Saved profile 'typed'"), "{shown}");
    assert!(shown.contains("secret from the terminal"), "{shown}");
    assert!(
        !shown.contains(ROOT_SECRET),
        "the secret was echoed: {shown}"
    );
    s.finish().await;
}
