//! Reads from a PostgreSQL streaming replica (`database_read_url`, issue #17): against the real
//! replica that `.ci/run` starts with `pg_basebackup`. Pausing the replica's replay makes its lag
//! as long as a test needs, so that "read from the replica" and "read your own writes" are told
//! apart by what each client sees, not by timing.
//!
//! The replica is shared by every test of this module: they take [`ONE_AT_A_TIME`], and each
//! resumes replay first (a failed run may have left it paused).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rollcall_server::Config;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::common::tu::{scope, search_raw};
use crate::common::*;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a test waits for the replica to reach a state. The replica replays the databases
/// every other test creates and drops; on a loaded machine it has been seen more than 20 s
/// behind, and a passing run never waits this long.
const REPLICA_WAIT: Duration = Duration::from_secs(60);

/// Runs `sql` on the replica's admin database.
async fn on_replica(sql: &str) {
    run_on(&pg_replica_url(), sql, "replica").await;
}

/// Runs `sql` on the primary's admin database.
async fn on_primary(sql: &str) {
    run_on(
        &pg_admin_url().expect("ROLLCALL_TEST_DATABASE_URL"),
        sql,
        "primary",
    )
    .await;
}

async fn run_on(url: &str, sql: &str, server: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to the test {server}: {e}"));
    sqlx::query(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql} on the {server}: {e}"));
    conn.close().await.ok();
}

/// Replay paused on the replica until dropped (resumed even when the test fails).
struct Paused;

impl Paused {
    async fn start() -> Paused {
        on_replica("SELECT pg_wal_replay_pause()").await;
        Paused
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        // Drop runs on the test's runtime, which may not block; a thread with its own does.
        let _ = std::thread::spawn(|| {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(on_replica("SELECT pg_wal_replay_resume()"));
            }
        })
        .join();
    }
}

/// A server on a fresh PostgreSQL database whose reads may use the same database on the
/// replica at `replica` (a URL of any database on a server that replicates it).
async fn server_reading(replica: &str) -> TestServer {
    server_reading_stalled_after(replica, Config::default().read_replica_max_stall).await
}

/// As [`server_reading`], the replica counting as unavailable once it has replayed nothing
/// for `max_stall` while behind.
async fn server_reading_stalled_after(replica: &str, max_stall: Duration) -> TestServer {
    let replica = replica.to_owned();
    TestServer::start_with(Engine::Postgres, move |c: &mut Config| {
        c.database_read_url = Some(same_database_on(&c.database_url, &replica));
        c.read_replica_max_stall = max_stall;
    })
    .await
    .expect("server")
}

/// What `/health/ready` answers (200 whatever the replica's state).
async fn ready_body(srv: &TestServer) -> Value {
    let resp = srv
        .http
        .get(srv.url("/health/ready"))
        .send()
        .await
        .expect("health");
    assert_eq!(resp.status(), StatusCode::OK, "ready whatever the replica");
    resp.json().await.expect("json")
}

/// `/health/ready`'s message once it contains `wanted` (the replica's state is checked every
/// half second); fails after [`REPLICA_WAIT`].
async fn ready_message_with(srv: &TestServer, wanted: &str) -> String {
    let deadline = Instant::now() + REPLICA_WAIT;
    loop {
        let body = ready_body(srv).await;
        let message = body["message"].as_str().unwrap_or_default().to_owned();
        if message.contains(wanted) {
            return message;
        }
        if Instant::now() >= deadline {
            panic!(
                "/health/ready never said '{wanted}'; last: {body}; {}",
                replication_state().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where replication stands, from both servers, for a failure's message: whether the replica
/// streams, how far it has received and replayed, and whether its replay is paused.
async fn replication_state() -> String {
    use sqlx::{Connection, Row};
    async fn ask(url: &str, sql: &str) -> String {
        let conn = sqlx::PgConnection::connect(url).await;
        let mut conn = match conn {
            Ok(c) => c,
            Err(e) => return format!("cannot connect: {e}"),
        };
        let row = sqlx::query(sql).fetch_one(&mut conn).await;
        conn.close().await.ok();
        match row {
            Ok(row) => row
                .try_get::<String, _>(0)
                .unwrap_or_else(|e| e.to_string()),
            Err(e) => e.to_string(),
        }
    }
    let primary = ask(
        &pg_admin_url().expect("ROLLCALL_TEST_DATABASE_URL"),
        "SELECT format('WAL at %s; walsenders (sent/replayed/state): %s', pg_current_wal_lsn(), \
         coalesce((SELECT string_agg(format('%s/%s/%s', sent_lsn, replay_lsn, state), ', ') \
         FROM pg_stat_replication), 'none'))",
    )
    .await;
    let replica = ask(
        &pg_replica_url(),
        "SELECT format('received %s, replayed %s, replay paused %s, last replayed commit %s, receiver %s', \
         pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(), pg_is_wal_replay_paused(), \
         pg_last_xact_replay_timestamp(), (SELECT status FROM pg_stat_wal_receiver))",
    )
    .await;
    format!("primary: {primary}; replica: {replica}")
}

fn reads_on(srv_metrics: &str, database: &str) -> f64 {
    metric_value(
        srv_metrics,
        &format!("rollcall_replica_reads_total{{database=\"{database}\"}}"),
    )
    .unwrap_or(0.0)
}

/// The emails a search for `text` in the search box finds, as `token` sees them.
async fn emails_found(srv: &TestServer, token: &str, company: &str, text: &str) -> Vec<String> {
    let body =
        json!({"filter": {"condition": "AND", "searchInputTextValue": text, "filterGroups": []}});
    let (status, resp) = search_raw(srv, token, company, body).await;
    assert_eq!(status, StatusCode::OK, "search '{text}': {resp}");
    resp["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["email"].as_str().map(str::to_owned))
        .collect()
}

async fn active_users(srv: &TestServer, token: &str, company: &str) -> i64 {
    let (status, resp) = srv
        .get("/api/target-users/count-summary", token, &scope(company))
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    resp["data"]["totalNumberOfActiveUsers"]
        .as_i64()
        .expect("count")
}

/// Searches as `token` for `text` until a search answered from the replica finds `n` users,
/// [`REPLICA_WAIT`] at most: then the replica has replayed everything up to that point. A search may be
/// answered by the primary meanwhile without anything being wrong: the replica has not yet
/// replayed the client's last write, or a check of the replica outlasted its timeout on a
/// loaded machine and reads use the primary until the next check, half a second later.
async fn until_replica_finds(srv: &TestServer, token: &str, company: &str, text: &str, n: usize) {
    let deadline = Instant::now() + REPLICA_WAIT;
    loop {
        let before = reads_on(&srv.metrics_text().await, "replica");
        let found = emails_found(srv, token, company, text).await;
        let metrics = srv.metrics_text().await;
        let on_replica = reads_on(&metrics, "replica") > before;
        if on_replica && found.len() == n {
            return;
        }
        if Instant::now() >= deadline {
            panic!(
                "after {REPLICA_WAIT:?}, '{text}' found {found:?} (not {n} users) on the {}; /health/ready: {}; reads on the replica {}, on the primary {}, fallbacks {:?}; {}",
                if on_replica { "replica" } else { "primary" },
                ready_body(srv).await,
                reads_on(&metrics, "replica"),
                reads_on(&metrics, "primary"),
                metric_value(&metrics, "rollcall_read_replica_fallbacks_total"),
                replication_state().await,
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[cfg_attr(
    rollcall_no_replica,
    ignore = "set ROLLCALL_TEST_DATABASE_READ_URL to a streaming replica of the ROLLCALL_TEST_DATABASE_URL server (bash .ci/run starts one)"
)]
async fn a_client_reads_its_own_writes_while_the_others_read_the_replica() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_replica("SELECT pg_wal_replay_resume()").await;
    let srv = server_reading(&pg_replica_url()).await;
    ready_message_with(&srv, "The read replica answers").await;
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, None, json!({"name": "Replicated"}))
        .await;
    let (a, a_secret) = srv.create_client(&root, &company, "Company Admin").await;
    let (b, b_secret) = srv.create_client(&root, &company, "Company Admin").await;
    let (writer, reader) = (
        srv.token(&a, &a_secret).await,
        srv.token(&b, &b_secret).await,
    );
    srv.create_user(&writer, &company, json!({"email": "early@replica.test"}))
        .await;
    // The replica has everything so far once it answers the other client with the first user.
    until_replica_finds(&srv, &reader, &company, "replica.test", 1).await;

    let paused = Paused::start().await;
    let late = srv
        .create_user(&writer, &company, json!({"email": "late@replica.test"}))
        .await;
    let before = srv.metrics_text().await;
    // The writer sees its write at once: its reads go to the primary until the replica has it.
    assert_eq!(
        emails_found(&srv, &writer, &company, "replica.test")
            .await
            .len(),
        2
    );
    let (status, one) = srv
        .get(
            &format!("/api/target-users/{late}"),
            &writer,
            &scope(&company),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the writer reads its new user: {one}"
    );
    assert_eq!(active_users(&srv, &writer, &company).await, 2);
    // Another client reads the replica, which has not replayed the write.
    assert_eq!(
        emails_found(&srv, &reader, &company, "replica.test").await,
        vec!["early@replica.test".to_owned()],
        "the other client's search came from the paused replica"
    );
    let (status, missing) = srv
        .get(
            &format!("/api/target-users/{late}"),
            &reader,
            &scope(&company),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    assert_eq!(active_users(&srv, &reader, &company).await, 1);
    let after = srv.metrics_text().await;
    assert_eq!(
        reads_on(&after, "primary") - reads_on(&before, "primary"),
        3.0
    );
    assert_eq!(
        reads_on(&after, "replica") - reads_on(&before, "replica"),
        3.0
    );

    // Replay resumed, the other client sees the write and the writer reads the replica again.
    drop(paused);
    until_replica_finds(&srv, &reader, &company, "replica.test", 2).await;
    let deadline = Instant::now() + REPLICA_WAIT;
    loop {
        let before = reads_on(&srv.metrics_text().await, "replica");
        assert_eq!(active_users(&srv, &writer, &company).await, 2);
        if reads_on(&srv.metrics_text().await, "replica") > before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the writer's reads never went back to the replica"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    srv.finish().await;
}

#[tokio::test]
#[cfg_attr(
    rollcall_no_replica,
    ignore = "set ROLLCALL_TEST_DATABASE_READ_URL to a streaming replica of the ROLLCALL_TEST_DATABASE_URL server (bash .ci/run starts one)"
)]
async fn a_replica_that_stops_replaying_is_read_around() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_replica("SELECT pg_wal_replay_resume()").await;
    let srv = server_reading_stalled_after(&pg_replica_url(), Duration::from_secs(1)).await;
    ready_message_with(&srv, "The read replica answers").await;
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, None, json!({"name": "Replay stops"}))
        .await;
    let (id, secret) = srv.create_client(&root, &company, "Company Admin").await;
    let reader = srv.token(&id, &secret).await;
    srv.create_user(&root, &company, json!({"email": "early@replica.test"}))
        .await;
    until_replica_finds(&srv, &reader, &company, "replica.test", 1).await;

    // Replay stops while the primary moves on (a WAL switch puts it a segment ahead).
    let paused = Paused::start().await;
    srv.create_user(&root, &company, json!({"email": "late@replica.test"}))
        .await;
    on_primary("SELECT pg_switch_wal()").await;
    let message = ready_message_with(&srv, "has replayed nothing").await;
    assert!(message.contains("bytes behind the primary"), "{message}");
    assert_eq!(srv.metric("rollcall_read_replica_up").await, Some(0.0));
    // A client that wrote nothing now reads the primary, and sees the other's write.
    let on_primary_before = reads_on(&srv.metrics_text().await, "primary");
    assert_eq!(
        emails_found(&srv, &reader, &company, "replica.test")
            .await
            .len(),
        2
    );
    assert!(reads_on(&srv.metrics_text().await, "primary") > on_primary_before);

    // Replay moves again: the replica is read again once it has caught up.
    drop(paused);
    ready_message_with(&srv, "The read replica answers").await;
    until_replica_finds(&srv, &reader, &company, "replica.test", 2).await;
    srv.finish().await;
}

/// A TCP relay to the replica that the test can cut, as a replica that goes away looks from
/// the server: open connections reset, new ones refused.
struct Relay {
    addr: SocketAddr,
    target: SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    async fn start(target: SocketAddr) -> Relay {
        let mut relay = Relay {
            addr: "127.0.0.1:0".parse().expect("address"),
            target,
            task: None,
        };
        relay.open().await;
        relay
    }

    /// Listens on `addr` again (the same port after the first time).
    async fn open(&mut self) {
        // A cut relay's listener closes when its aborted task is dropped, soon after the cut.
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener: TcpListener = loop {
            let socket = TcpSocket::new_v4().expect("socket");
            socket.set_reuseaddr(true).expect("reuseaddr");
            match socket.bind(self.addr).and_then(|()| socket.listen(64)) {
                Ok(listener) => break listener,
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "cannot listen on {}: {e}",
                        self.addr
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        self.addr = listener.local_addr().expect("address");
        let target = self.target;
        self.task = Some(tokio::spawn(async move {
            // Dropping the set (when this task is aborted) ends every relayed connection.
            let mut links = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                links.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }

    fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
    }
}

/// The host and port of a PostgreSQL URL.
fn address_of(url: &str) -> SocketAddr {
    let after = url.split_once('@').map_or(url, |(_, rest)| rest);
    let after = after.trim_start_matches("postgres://");
    let host_port = after.split('/').next().expect("host");
    host_port
        .parse()
        .expect("the test replica URL names 127.0.0.1:PORT")
}

#[tokio::test]
#[cfg_attr(
    rollcall_no_replica,
    ignore = "set ROLLCALL_TEST_DATABASE_READ_URL to a streaming replica of the ROLLCALL_TEST_DATABASE_URL server (bash .ci/run starts one)"
)]
async fn reads_fall_back_to_the_primary_while_the_replica_is_gone() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_replica("SELECT pg_wal_replay_resume()").await;
    let replica = pg_replica_url();
    let target = address_of(&replica);
    let mut relay = Relay::start(target).await;
    let through_relay = replica.replacen(&target.to_string(), &relay.addr.to_string(), 1);
    let srv = server_reading(&through_relay).await;
    ready_message_with(&srv, "The read replica answers").await;
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, None, json!({"name": "Replica goes away"}))
        .await;
    let (id, secret) = srv.create_client(&root, &company, "Company Admin").await;
    let token = srv.token(&id, &secret).await;
    srv.create_user(&root, &company, json!({"email": "kept@replica.test"}))
        .await;
    until_replica_finds(&srv, &token, &company, "replica.test", 1).await;

    relay.cut();
    // Every read still answers, from the primary, whether the watch or the read itself found
    // the replica gone first.
    for _ in 0..5 {
        assert_eq!(
            emails_found(&srv, &token, &company, "replica.test").await,
            vec!["kept@replica.test".to_owned()]
        );
        assert_eq!(active_users(&srv, &token, &company).await, 1);
    }
    let message = ready_message_with(&srv, "The read replica is unavailable").await;
    assert!(
        message.contains("the primary serves every read"),
        "{message}"
    );
    assert_eq!(
        srv.metric("rollcall_read_replica_up").await,
        Some(0.0),
        "the gauge says the replica is down"
    );
    let on_primary = reads_on(&srv.metrics_text().await, "primary");
    emails_found(&srv, &token, &company, "replica.test").await;
    assert!(reads_on(&srv.metrics_text().await, "primary") > on_primary);

    // Back: the next checks find it and reads return to it.
    relay.open().await;
    ready_message_with(&srv, "The read replica answers").await;
    assert_eq!(srv.metric("rollcall_read_replica_up").await, Some(1.0));
    until_replica_finds(&srv, &token, &company, "replica.test", 1).await;
    srv.finish().await;
}

#[tokio::test]
#[cfg_attr(
    rollcall_no_pg,
    ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
)]
async fn a_read_url_that_is_no_standby_is_read_around() {
    // The primary itself: answers, but replays nothing and would never see another's writes.
    let srv = TestServer::start_with(Engine::Postgres, |c: &mut Config| {
        c.database_read_url = Some(c.database_url.clone());
    })
    .await
    .expect("server");
    let message = ready_message_with(&srv, "The read replica is unavailable").await;
    assert!(message.contains("is not a standby"), "{message}");
    let root = srv.root_token().await;
    let (status, resp) = srv.get("/api/target-users/count-summary", &root, &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert!(reads_on(&srv.metrics_text().await, "primary") >= 1.0);
    assert_eq!(reads_on(&srv.metrics_text().await, "replica"), 0.0);
    srv.finish().await;
}

#[tokio::test]
async fn a_read_url_needs_postgresql() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        database_read_url: Some("postgres://nobody@127.0.0.1:1/none".into()),
        ..Config::default()
    };
    let err = match rollcall_server::Server::start(config).await {
        Ok(_) => panic!("a read replica with SQLite started"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("a read replica needs PostgreSQL") && err.contains("--database-url"),
        "{err}"
    );
}
