//! Token signing keys (issue #11, part 2): tokens carry a `kid`; a rotation adds a key that
//! signs from then on while the old one keeps checking the tokens it signed until they expire;
//! a key past its grace is dropped and its tokens refused; a replica that has not seen a
//! rotation yet picks the new key up as soon as a token names it.

use crate::common::{assert_error, message, Engine, TestServer};
use reqwest::StatusCode;
use rollcall_server::{Config, Server};
use rollcall_store::SigningKey;

use rollcall_testkit::jwt_kid as kid_of;

/// A second server over the same database; stopped when the returned sender is dropped.
async fn replica(config: &Config) -> (String, tokio::sync::oneshot::Sender<()>) {
    let mut config = config.clone();
    config.listen = "127.0.0.1:0".into();
    let server = Server::start(config).await.expect("the replica starts");
    let base = format!("http://{}", server.addr);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    (base, tx)
}

async fn my_status(
    http: &reqwest::Client,
    base: &str,
    token: &str,
) -> (StatusCode, serde_json::Value) {
    let resp = http
        .get(format!("{base}/api/companies/my"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.expect("json"))
}

async fn rotation_keeps_old_tokens_and_replicas_follow(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let before = srv.root_token().await;
    let first_kid = kid_of(&before);
    assert_eq!(
        first_kid.len(),
        12,
        "a database key has a resource-id-like kid: {first_kid}"
    );
    let (replica_base, _replica) = replica(&srv.config).await;

    // `rollcall serve --rotate-signing-key` on a restart of the first server.
    let srv = srv.restart_with(|c| c.rotate_signing_key = true).await;
    let after = srv.root_token().await;
    let second_kid = kid_of(&after);
    assert_ne!(second_kid, first_kid, "the new key signs");
    let keys = srv.store.signing_keys().await.expect("keys");
    let live: Vec<&SigningKey> = keys.iter().filter(|k| k.accept_until.is_none()).collect();
    assert_eq!(live.len(), 1, "{keys:?}");
    assert_eq!(live[0].kid, second_kid);
    let old = keys
        .iter()
        .find(|k| k.kid == first_kid)
        .expect("the old key is kept for its grace");
    let grace_ms = old.accept_until.expect("retired") - rollcall_server::now_millis();
    assert!(
        (3_600_000..=3_600_000 + 70_000).contains(&grace_ms),
        "the old key checks tokens for the token lifetime plus the reload interval: {grace_ms} ms"
    );

    // Both tokens work on the restarted server...
    for token in [&before, &after] {
        let (status, body) = my_status(&srv.http, &srv.base, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // ...and on the replica, which had loaded only the first key: the new kid makes it reload.
    for token in [&before, &after] {
        let (status, body) = my_status(&srv.http, &replica_base, token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // From then on the replica signs with the new key too.
    let from_replica = srv
        .http
        .post(format!("{replica_base}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", crate::common::ROOT_ID),
            ("client_secret", crate::common::ROOT_SECRET),
        ])
        .send()
        .await
        .expect("token")
        .json::<serde_json::Value>()
        .await
        .expect("json");
    let token = from_replica["access_token"].as_str().expect("a token");
    assert_eq!(kid_of(token), second_kid);
}

async fn a_dropped_key_no_longer_checks_tokens(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let old = srv.root_token().await;
    // A rotation whose grace is already over: the old key is retired and deleted at once
    // (what happens to it once the token lifetime has passed).
    let now = rollcall_server::now_millis();
    let key = rollcall_server::keys::new_key();
    let rotation = srv
        .store
        .rotate_signing_key(&key, now - 1, now, None)
        .await
        .expect("rotate");
    assert_eq!((rotation.retired, rotation.dropped), (1, 1));
    let srv = srv.restart().await;
    let (status, body) = my_status(&srv.http, &srv.base, &old).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert!(message(&body).contains("key"), "{body}");
    let fresh = srv.root_token().await;
    assert_eq!(kid_of(&fresh), key.kid);
    let (status, body) = my_status(&srv.http, &srv.base, &fresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn a_configured_secret_cannot_be_rotated_in_the_database(engine: Engine) {
    let Some(srv) = TestServer::start_with(engine, |c| {
        c.jwt_secret = Some("a-configured-secret-of-32-characters-or-more".into());
    })
    .await
    else {
        return;
    };
    let mut config = srv.config.clone();
    config.listen = "127.0.0.1:0".into();
    config.rotate_signing_key = true;
    let e = Server::start(config).await.err().expect("refused");
    assert!(format!("{e:#}").contains("--jwt-secret"), "{e:#}");
}

async fn the_key_of_older_versions_is_replaced_at_start(engine: Engine) {
    let Some(mut srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let claims = rollcall_testkit::jwt_claims(&root);
    srv.stop().await;
    // What migration 0010 makes of an older version's `settings.jwt_signing_key`.
    let db = sqlx::AnyPool::connect(&srv.database_url())
        .await
        .expect("db");
    sqlx::query("UPDATE signing_keys SET kid = 'legacy' WHERE live = 1")
        .execute(&db)
        .await
        .expect("rename");
    let secret: String = sqlx::Row::get(
        &sqlx::query("SELECT secret FROM signing_keys WHERE kid = 'legacy'")
            .fetch_one(&db)
            .await
            .expect("the legacy key"),
        "secret",
    );
    db.close().await;
    let srv = srv.restart().await;
    let fresh = srv.root_token().await;
    assert_ne!(kid_of(&fresh), "legacy", "a new key signs");
    let keys = srv.store.signing_keys().await.expect("keys");
    assert!(
        keys.iter().all(|k| k.kid != "legacy"),
        "the legacy key is gone: {keys:?}"
    );
    // The old key was readable by other users: a token signed with it (a forgery; older
    // versions put no kid in their tokens) is refused at once.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("legacy".into());
    let old = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign");
    let (status, body) = my_status(&srv.http, &srv.base, &old).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    // A second restart does not rotate again.
    let srv = srv.restart().await;
    assert_eq!(kid_of(&srv.root_token().await), kid_of(&fresh));
}

both_engines!(
    the_key_of_older_versions_is_replaced_at_start,
    rotation_keeps_old_tokens_and_replicas_follow,
    a_dropped_key_no_longer_checks_tokens,
    a_configured_secret_cannot_be_rotated_in_the_database,
);
