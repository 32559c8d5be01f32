//! The operator's commands, run as the real binary: `rollcall backup FILE` (an online copy of
//! the SQLite database while a server writes to it) and `rollcall migrate [--status]`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::{Connection, Row};

use crate::common::{
    fresh_pg_database, pg_admin_url, run_cli, Engine, Run, TestServer, ROOT_ID, ROOT_SECRET, SCOPE,
};
use crate::serve_config::{free_port, wait_ready, BIN};

/// The target users of `company` (resource id) in the SQLite file `db`: (live, deleted).
async fn users_in_file(db: &Path, company: &str) -> (i64, i64) {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", db.display()))
        .await
        .expect("open the backup");
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN u.is_deleted = 0 THEN 1 ELSE 0 END), 0) AS live, \
         COALESCE(SUM(CASE WHEN u.is_deleted <> 0 THEN 1 ELSE 0 END), 0) AS deleted \
         FROM target_users u JOIN companies c ON c.id = u.company_id WHERE c.resource_id = $1",
    )
    .bind(company)
    .fetch_one(&mut conn)
    .await
    .expect("count users");
    let counts = (row.get("live"), row.get("deleted"));
    conn.close().await.expect("close");
    counts
}

/// The number in "Backed up N target users" of `backup`'s report.
fn reported_users(run: &Run) -> i64 {
    run.stdout
        .strip_prefix("Backed up ")
        .and_then(|rest| rest.split(' ').next())
        .map(|n| n.replace(',', ""))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no 'Backed up N target users' line: {run:?}"))
}

/// Creates a user through the API with `http`; whether the server took it.
async fn add_user(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    company: &str,
    n: usize,
) -> bool {
    http.post(format!("{base}/api/target-users"))
        .bearer_auth(token)
        .header(SCOPE, company)
        .json(&json!({"email": format!("writer{n}@backup.example"), "firstName": "W", "lastName": format!("{n}")}))
        .send()
        .await
        .is_ok_and(|r| r.status() == StatusCode::OK)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_the_server_writes_is_a_consistent_database() {
    let s = TestServer::start(Engine::Sqlite).await.expect("server");
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Backup Co"}))
        .await;
    let first = 40;
    for n in 0..first {
        assert!(add_user(&s.http, &s.base, &token, &company, n).await);
    }
    // One user deleted, so that the copy's deleted count is checked too.
    let victim = s
        .create_user(&token, &company, json!({"email": "gone@backup.example"}))
        .await;
    let (status, body) = s
        .delete(
            &format!("/api/target-users/{victim}"),
            &token,
            &[(SCOPE, &company)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A writer keeps adding users through the server while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (http, base, token, company, stop) = (
            s.http.clone(),
            s.base.clone(),
            token.clone(),
            company.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut added = 0;
            let mut n = first;
            while !stop.load(Ordering::Relaxed) {
                if add_user(&http, &base, &token, &company, n).await {
                    added += 1;
                }
                n += 1;
            }
            added
        })
    };
    // Let it write a little before the copy starts.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let data_dir = s.config.data_dir.display().to_string();
    let file = s.file("rollcall-backup.db");
    let run = run_cli(
        s.home.path(),
        &[],
        &[
            "backup",
            "--data-dir",
            &data_dir,
            &file.display().to_string(),
        ],
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let added_during = writer.await.expect("writer");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        added_during > 0,
        "the writer wrote nothing while the backup ran"
    );
    assert!(
        run.stderr.contains("Backing up ") && run.stderr.contains("rollcall.db"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("companies to ") && run.stdout.contains("To restore, stop the server"),
        "{run:?}"
    );
    // No temporary file is left beside the backup.
    let leftovers: Vec<PathBuf> = std::fs::read_dir(s.home.path())
        .expect("home")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().contains(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("backup")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the backup holds the signing keys: {mode:o}"
        );
    }

    // The copy holds what the report says: every user written before it started, some of
    // those written during it, and the one deleted.
    let (live, deleted) = users_in_file(&file, &company).await;
    assert_eq!(reported_users(&run), live, "{run:?}");
    assert_eq!(deleted, 1);
    let before = i64::try_from(first).expect("count");
    let after = before + i64::from(added_during);
    assert!(
        (before..=after).contains(&live),
        "{live} users in the copy, {before} before the backup and {after} after"
    );

    // Restored (copied into a data directory), it serves: the same credentials work and its
    // counters agree with its rows, as they do in one transaction's snapshot.
    let restored = tempfile::tempdir().expect("dir");
    std::fs::copy(&file, restored.path().join("rollcall.db")).expect("restore");
    let port = free_port();
    let mut server = tokio::process::Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(restored.path())
        .env_remove("ROLLCALL_DATABASE_URL")
        .env_remove("ROLLCALL_CONFIG_FILE")
        .env_remove("ROLLCALL_JWT_SECRET")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn rollcall serve");
    assert!(wait_ready(port).await, "the restored copy did not serve");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ROOT_ID),
            ("client_secret", ROOT_SECRET),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = token["access_token"].as_str().expect("a token").to_owned();
    let summary: Value = http
        .get(format!("{base}/api/target-users/count-summary"))
        .bearer_auth(&token)
        .header(SCOPE, &company)
        .send()
        .await
        .expect("count-summary")
        .json()
        .await
        .expect("json");
    assert_eq!(
        summary["data"]["totalNumberOfActiveUsers"], live,
        "{summary}"
    );
    assert_eq!(summary["data"]["totalNumberOfDeletedUsers"], 1, "{summary}");
    server.kill().await.expect("kill");
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_never_overwrites_unless_forced() {
    let s = TestServer::start(Engine::Sqlite).await.expect("server");
    let data_dir = s.config.data_dir.display().to_string();
    let file = s.file("existing.db");
    std::fs::write(&file, "keep me").expect("write");
    let path = file.display().to_string();

    let refused = run_cli(
        s.home.path(),
        &[],
        &["backup", "--data-dir", &data_dir, &path],
    )
    .await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("exists") && refused.stderr.contains("--force"),
        "{refused:?}"
    );
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "keep me");

    // The server's own database is never a backup's target, --force or not.
    let own = s.config.data_dir.join("rollcall.db").display().to_string();
    let own_run = run_cli(
        s.home.path(),
        &[],
        &["backup", "--force", "--data-dir", &data_dir, &own],
    )
    .await;
    assert_eq!(own_run.code, 1, "{own_run:?}");
    assert!(
        own_run.stderr.contains("the server's database itself"),
        "{own_run:?}"
    );

    // With --force the file is replaced by a database, and the settings may come from the
    // environment as for serve.
    let forced = run_cli(
        s.home.path(),
        &[("ROLLCALL_DATA_DIR", &data_dir)],
        &["backup", &path, "--force"],
    )
    .await;
    assert_eq!(forced.code, 0, "{forced:?}");
    let head = std::fs::read(&file).expect("read");
    assert!(head.starts_with(b"SQLite format 3\0"), "not a database");
    assert!(forced.stdout.contains("in 1 companies"), "{forced:?}");

    // Without a database there is nothing to copy, and the message says which setting to fix.
    let empty = tempfile::tempdir().expect("dir");
    let missing = run_cli(
        s.home.path(),
        &[],
        &[
            "backup",
            "--data-dir",
            &empty.path().display().to_string(),
            &s.file("none.db").display().to_string(),
        ],
    )
    .await;
    assert_eq!(missing.code, 1, "{missing:?}");
    assert!(missing.stderr.contains("--data-dir"), "{missing:?}");
    assert!(!s.file("none.db").exists());
    s.finish().await;
}

#[tokio::test]
async fn a_backup_of_postgres_is_refused_with_the_pg_dump_command() {
    let home = tempfile::tempdir().expect("home");
    let out = home.path().join("pg.db");
    // The refusal comes before any connection, so an address that does not resolve shows it;
    // the test server's URL too, when there is one.
    let mut urls = vec!["postgres://rollcall:hunter2@db.invalid:5433/prod".to_owned()];
    if let Ok(url) = std::env::var("ROLLCALL_TEST_DATABASE_URL") {
        if !url.trim().is_empty() {
            urls.push(url);
        }
    }
    for url in &urls {
        let run = run_cli(
            home.path(),
            &[("ROLLCALL_DATABASE_URL", url)],
            &["backup", &out.display().to_string()],
        )
        .await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains("pg_dump --format=custom") && run.stderr.contains("pg_restore"),
            "{run:?}"
        );
        assert!(!out.exists(), "nothing is written for PostgreSQL");
    }
    let first = run_cli(
        home.path(),
        &[("ROLLCALL_DATABASE_URL", &urls[0])],
        &["backup", &out.display().to_string()],
    )
    .await;
    assert!(
        first
            .stderr
            .contains("'postgres://rollcall@db.invalid:5433/prod'"),
        "{first:?}"
    );
    assert!(
        !first.stderr.contains("hunter2"),
        "the password was shown: {first:?}"
    );
}

/// The migrations this build has for `engine`.
fn migration_files(engine: Engine) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../store/migrations")
        .join(match engine {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        });
    std::fs::read_dir(&dir)
        .expect("migrations")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count()
}

/// The migration lines of `migrate --status`: (version, state, rest).
fn status_lines(run: &Run) -> Vec<(i64, String, String)> {
    run.stdout
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let version = words.next()?.parse().ok()?;
            // The summary line ("16 applied, 0 pending") has a comma after its word.
            let state = words
                .next()
                .filter(|w| w.chars().all(|c| c.is_ascii_alphabetic()))?
                .to_owned();
            Some((version, state, words.collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

/// Asserts every migration is applied, each with a date and time.
#[track_caller]
fn all_applied(run: &Run, known: usize) {
    assert_eq!(run.code, 0, "{run:?}");
    let lines = status_lines(run);
    assert_eq!(lines.len(), known, "{run:?}");
    for (version, state, rest) in &lines {
        assert_eq!(state, "applied", "{version}: {run:?}");
        let date = rest.get(..19).unwrap_or_default();
        assert!(
            chrono::NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M:%S").is_ok(),
            "{version} has no date: {rest}"
        );
    }
    assert!(
        run.stdout.contains(&format!("{known} applied, 0 pending")),
        "{run:?}"
    );
}

async fn migrate_status(engine: Engine) {
    let known = migration_files(engine);
    let home = tempfile::tempdir().expect("home");
    let data = home.path().join("data");
    // A fresh database: an SQLite file not created yet, or an empty PostgreSQL database.
    let mut guard = None;
    let settings: Vec<String> = match engine {
        Engine::Sqlite => vec!["--data-dir".into(), data.display().to_string()],
        Engine::Postgres => {
            let Some(admin) = pg_admin_url() else { return };
            let url = fresh_pg_database(&admin).await;
            guard = Some(rollcall_testkit::PgDatabase::adopt(&admin, &url));
            vec!["--database-url".into(), url]
        }
    };
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .map(|a| (*a).to_owned())
            .chain(settings.iter().cloned())
            .collect()
    };
    let run = |args: Vec<String>| {
        let home = home.path().to_owned();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_cli(&home, &[], &args).await
        }
    };

    let fresh = run(with(&["migrate", "--status"])).await;
    assert_eq!(fresh.code, 0, "{fresh:?}");
    let lines = status_lines(&fresh);
    assert_eq!(lines.len(), known, "{fresh:?}");
    assert!(
        lines.iter().all(|(_, state, _)| state == "pending"),
        "{fresh:?}"
    );
    assert!(
        fresh
            .stdout
            .contains(&format!("0 applied, {known} pending")),
        "{fresh:?}"
    );
    if engine == Engine::Sqlite {
        assert!(fresh.stdout.contains("not created yet"), "{fresh:?}");
        assert!(!data.exists(), "--status created the database");
    }

    let migrated = run(with(&["migrate"])).await;
    assert_eq!(migrated.code, 0, "{migrated:?}");
    assert!(
        migrated
            .stdout
            .contains(&format!("Applied {known} migration(s)")),
        "{migrated:?}"
    );
    all_applied(&run(with(&["migrate", "--status"])).await, known);
    let again = run(with(&["migrate"])).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("is up to date"), "{again:?}");
    drop(guard);

    // After a server's start on a new database, every migration is applied too.
    let s = TestServer::start(engine).await.expect("server");
    let settings: Vec<String> = match engine {
        Engine::Sqlite => vec!["--data-dir".into(), s.config.data_dir.display().to_string()],
        Engine::Postgres => vec!["--database-url".into(), s.config.database_url.clone()],
    };
    let status = |settings: Vec<String>| {
        let home = s.home.path().to_owned();
        async move {
            let mut args = vec!["migrate".to_owned(), "--status".to_owned()];
            args.extend(settings);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_cli(&home, &[], &args).await
        }
    };
    all_applied(&status(settings.clone()).await, known);

    // A migration only a newer rollcall has: named, and neither status nor migrate succeed.
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(&s.database_url())
        .await
        .expect("connect");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990001, 'from a newer rollcall', TRUE, $1, 1)",
    )
    .bind(vec![0u8; 48])
    .execute(&mut db)
    .await
    .expect("insert a migration");
    let newer = status(settings.clone()).await;
    assert_eq!(newer.code, 1, "{newer:?}");
    let last = status_lines(&newer).pop().map(|(v, state, _)| (v, state));
    assert_eq!(last, Some((99990001, "UNKNOWN".to_owned())), "{newer:?}");
    assert!(
        newer.stderr.contains("99990001 (from a newer rollcall)")
            && newer.stderr.contains("newer rollcall migrated it"),
        "{newer:?}"
    );
    let mut args = vec!["migrate".to_owned()];
    args.extend(settings);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let refused = run_cli(s.home.path(), &[], &args).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("99990001"), "{refused:?}");
    let rows: i64 = sqlx::query("SELECT COUNT(*) AS n FROM _sqlx_migrations")
        .fetch_one(&mut db)
        .await
        .expect("count")
        .get("n");
    assert_eq!(rows, i64::try_from(known).expect("count") + 1);
    db.close().await.expect("close");
    s.finish().await;
}

both_engines!(migrate_status);
