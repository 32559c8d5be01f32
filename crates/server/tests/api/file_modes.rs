//! The SQLite database and its directory are readable by the server's user only (issue #11,
//! part 2): made that way, and tightened at start when an older version (or a hand) left them
//! wider. SQLite only: PostgreSQL's files belong to PostgreSQL.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::{Engine, TestServer};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn database_files(dir: &Path) -> Vec<std::path::PathBuf> {
    ["rollcall.db", "rollcall.db-wal", "rollcall.db-shm"]
        .iter()
        .map(|f| dir.join(f))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_database_files_are_private() {
    let Some(srv) = TestServer::start(Engine::Sqlite).await else {
        return;
    };
    // The test harness's temp dir is the data dir; a fresh subdirectory shows the mode that
    // rollcall gives a directory it creates.
    let fresh = srv.config.data_dir.join("fresh");
    let srv = srv.restart_with(|c| c.data_dir = fresh.clone()).await;
    assert_eq!(mode(&fresh), 0o700, "a data directory rollcall creates");
    let _ = srv.root_token().await; // WAL and SHM exist once the database has been written
    for f in database_files(&fresh) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }

    // An older version left them wider: the next start tightens them, and replaces the token
    // signing key that other users may have read (tokens it signed are refused from then on).
    let before = srv.root_token().await;
    let mut srv = srv;
    srv.stop().await;
    std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // A clean stop removes the WAL and SHM files; an older version's crash would have left them.
    for f in database_files(&fresh) {
        if !f.exists() {
            std::fs::write(&f, b"").expect("create");
        }
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let srv = srv.restart().await;
    assert_eq!(mode(&fresh), 0o700);
    for f in database_files(&fresh) {
        if f.exists() {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }
    let after = srv.root_token().await;
    assert_ne!(
        rollcall_testkit::jwt_kid(&after),
        rollcall_testkit::jwt_kid(&before),
        "the exposed key was replaced"
    );
    let (status, body) = srv.get("/api/companies/my", &before, &[]).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = srv.get("/api/companies/my", &after, &[]).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    srv.finish().await;
}
