//! The CLI's token cache (issue #18): runs in a row with the same credentials share one token,
//! kept in a 0600 file under the cache directory without the secret; another secret gets its own
//! token; `ROLLCALL_NO_TOKEN_CACHE=1` and `--no-token-cache` turn it off; a cached token the
//! server refuses, or a corrupt file, is replaced after one renewal.

use std::path::{Path, PathBuf};

use crate::common::{Engine, Run, TestServer, ROOT_ID, ROOT_SECRET};

const ISSUED: &str = "rollcall_tokens_issued_total";

async fn issued(s: &TestServer) -> f64 {
    s.metric(ISSUED).await.unwrap_or(0.0)
}

fn cache_home(s: &TestServer) -> PathBuf {
    s.home.path().join("cache")
}

fn tokens_dir(s: &TestServer) -> PathBuf {
    cache_home(s).join("rollcall").join("tokens")
}

/// The cache files (not temporary files).
fn cache_files(s: &TestServer) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(tokens_dir(s)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = dir
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// `companies list` with these credentials and the test's cache home, plus `extra` variables.
async fn list(s: &TestServer, id: &str, secret: &str, extra: &[(&str, &str)]) -> Run {
    let cache = cache_home(s);
    let mut env = vec![
        ("KEEPNET_CLIENT_ID", id),
        ("KEEPNET_CLIENT_SECRET", secret),
        ("KEEPNET_API_BASE_URL", s.base.as_str()),
        ("XDG_CACHE_HOME", cache.to_str().expect("utf-8 path")),
    ];
    env.extend_from_slice(extra);
    let run = s
        .run_env(&env, &["companies", "list", "--output", "json"])
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    run
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[tokio::test]
async fn runs_in_a_row_share_one_cached_token() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let before = issued(&s).await;
    for _ in 0..3 {
        list(&s, ROOT_ID, ROOT_SECRET, &[]).await;
    }
    assert_eq!(issued(&s).await - before, 1.0, "one token for three runs");

    // One private file, without the secret, in a private directory.
    let files = cache_files(&s);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    #[cfg(unix)]
    {
        assert_eq!(mode(file), 0o600, "{}", file.display());
        assert_eq!(mode(&tokens_dir(&s)), 0o700);
    }
    let text = std::fs::read_to_string(file).expect("cache file");
    assert!(!text.contains(ROOT_SECRET), "{text}");
    assert!(!file.to_string_lossy().contains(ROOT_SECRET));
    let entry: serde_json::Value = serde_json::from_str(&text).expect("JSON entry");
    assert_eq!(entry["client_id"], ROOT_ID);
    assert!(entry["access_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));

    // Another client (another secret) gets its own token and its own file; then reuses it.
    let token = s.root_token().await;
    let (id, secret) = s.create_client(&token, &s.root_company, "Reseller").await;
    let before = issued(&s).await;
    list(&s, &id, &secret, &[]).await;
    list(&s, &id, &secret, &[]).await;
    assert_eq!(
        issued(&s).await - before,
        1.0,
        "one token for the second client"
    );
    assert_eq!(cache_files(&s).len(), 2);

    // The same client id with another secret does not reuse the old entry (and is refused).
    let cache = cache_home(&s);
    let refused = s
        .run_env(
            &[
                ("KEEPNET_CLIENT_ID", ROOT_ID),
                ("KEEPNET_CLIENT_SECRET", "a-wrong-secret"),
                ("KEEPNET_API_BASE_URL", s.base.as_str()),
                ("XDG_CACHE_HOME", cache.to_str().expect("utf-8 path")),
            ],
            &["companies", "list", "--output", "json"],
        )
        .await;
    assert_ne!(refused.code, 0, "{refused:?}");
    s.finish().await;
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    let before = issued(&s).await;
    for _ in 0..3 {
        list(
            &s,
            ROOT_ID,
            ROOT_SECRET,
            &[("ROLLCALL_NO_TOKEN_CACHE", "1")],
        )
        .await;
    }
    assert_eq!(issued(&s).await - before, 3.0, "a token per run");
    assert!(cache_files(&s).is_empty(), "nothing cached");

    let cache = cache_home(&s);
    let env = [
        ("KEEPNET_CLIENT_ID", ROOT_ID),
        ("KEEPNET_CLIENT_SECRET", ROOT_SECRET),
        ("KEEPNET_API_BASE_URL", s.base.as_str()),
        ("XDG_CACHE_HOME", cache.to_str().expect("utf-8 path")),
    ];
    let before = issued(&s).await;
    for _ in 0..2 {
        let run = s
            .run_env(
                &env,
                &["companies", "list", "--no-token-cache", "--output", "json"],
            )
            .await;
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_eq!(issued(&s).await - before, 2.0, "a token per run");
    assert!(cache_files(&s).is_empty(), "nothing cached");
    s.finish().await;
}

#[tokio::test]
async fn a_refused_or_corrupt_cache_entry_is_replaced() {
    let Some(s) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    list(&s, ROOT_ID, ROOT_SECRET, &[]).await;
    let files = cache_files(&s);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    let read = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(file).expect("cache file")).expect("JSON")
    };
    let original = read();

    // A token the server refuses (its text corrupted): 401, one renewal, the run succeeds and
    // the new token replaces the entry.
    let mut refused = original.clone();
    refused["access_token"] = "not-a-token-the-server-signed".into();
    std::fs::write(file, refused.to_string()).expect("write");
    let before = issued(&s).await;
    list(&s, ROOT_ID, ROOT_SECRET, &[]).await;
    assert_eq!(issued(&s).await - before, 1.0, "renewed once");
    let renewed = read();
    assert_ne!(renewed["access_token"], refused["access_token"]);
    #[cfg(unix)]
    assert_eq!(mode(file), 0o600);
    let before = issued(&s).await;
    list(&s, ROOT_ID, ROOT_SECRET, &[]).await;
    assert_eq!(
        issued(&s).await - before,
        0.0,
        "the renewed token is reused"
    );

    // A corrupt file is ignored and replaced.
    std::fs::write(file, "{ this is not json").expect("write");
    let before = issued(&s).await;
    list(&s, ROOT_ID, ROOT_SECRET, &[]).await;
    assert_eq!(issued(&s).await - before, 1.0);
    assert!(read()["access_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));

    // A token about to expire (less than the 60 s margin left) is not used.
    let mut expiring = read();
    let soon = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 30;
    expiring["expires_at"] = soon.into();
    std::fs::write(file, expiring.to_string()).expect("write");
    let before = issued(&s).await;
    list(&s, ROOT_ID, ROOT_SECRET, &[]).await;
    assert_eq!(issued(&s).await - before, 1.0, "a new token before expiry");
    assert!(read()["expires_at"]
        .as_u64()
        .is_some_and(|e| e > soon + 600));
    s.finish().await;
}
