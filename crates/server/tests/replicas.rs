//! Several `rollcall serve` replicas over one PostgreSQL database behave as one service.
//! (SQLite is a single-process engine, so these run on PostgreSQL only.)

mod common;

use common::{fresh_pg_database, pg_admin_url, ROOT_ID, ROOT_SECRET};
use reqwest::StatusCode;
use rollcall_server::{Config, Server};
use serde_json::{json, Value};

struct Replica {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn replica(database_url: &str) -> (Replica, Option<String>) {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        database_url: database_url.to_owned(),
        bootstrap_client_id: Some(ROOT_ID.into()),
        bootstrap_client_secret: Some(ROOT_SECRET.into()),
        ..Config::default()
    };
    let server = Server::start(config).await.expect("replica starts");
    let base = format!("http://{}", server.addr);
    let root = server
        .bootstrap
        .as_ref()
        .map(|b| b.company_resource_id.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(async move {
        let _ = rx.await;
    }));
    (
        Replica {
            base,
            stop: Some(tx),
            _dir: dir,
        },
        root,
    )
}

async fn token(http: &reqwest::Client, base: &str, id: &str, secret: &str) -> (StatusCode, Value) {
    let r = http
        .post(format!("{base}/connect/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "api1"),
        ])
        .send()
        .await
        .expect("token");
    (r.status(), r.json().await.expect("json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_over_one_postgres_act_as_one_service() {
    let Some(admin) = pg_admin_url() else { return };
    let url = fresh_pg_database(&admin).await;
    // Three replicas start together on an empty database: migrations and the bootstrap run once.
    let ((a, root_a), (b, root_b), (c, root_c)) =
        tokio::join!(replica(&url), replica(&url), replica(&url));
    let roots: Vec<String> = [root_a, root_b, root_c].into_iter().flatten().collect();
    assert_eq!(
        roots.len(),
        1,
        "exactly one replica bootstraps the empty database"
    );
    let http = reqwest::Client::new();

    // A token issued by one replica works on the others.
    let (s, t) = token(&http, &a.base, ROOT_ID, ROOT_SECRET).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let root_token = t["access_token"].as_str().expect("token").to_owned();
    for r in [&b, &c] {
        let resp = http
            .get(format!("{}/api/companies/my", r.base))
            .bearer_auth(&root_token)
            .send()
            .await
            .expect("my");
        assert_eq!(resp.status(), StatusCode::OK);
    }

    // A customer and a client for it, created through replica B.
    let created: Value = http
        .post(format!("{}/api/companies", b.base))
        .bearer_auth(&root_token)
        .json(&json!({"Name": "Shared Co"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let cid = created["data"]["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let secret = "replica-secret-0123456789";
    let made: Value = http
        .post(format!("{}/api/companies/clients", b.base))
        .bearer_auth(&root_token)
        .header("X-KEEPNET-Company-Id", &cid)
        .json(&json!({"name": "rep", "clientId": "replica-client", "clientSecret": secret, "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}))
        .send()
        .await
        .expect("client")
        .json()
        .await
        .expect("json");
    let client_rid = made["data"]["resourceId"]
        .as_str()
        .expect("client id")
        .to_owned();
    let (s, t) = token(&http, &c.base, "replica-client", secret).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let admin_token = t["access_token"].as_str().expect("token").to_owned();
    let ok = http
        .get(format!("{}/api/companies/my", a.base))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("my");
    assert_eq!(ok.status(), StatusCode::OK);

    // Deactivating the client on replica A is seen at once by B and C.
    let upd = http
        .put(format!("{}/api/companies/clients/{client_rid}", a.base))
        .bearer_auth(&root_token)
        .json(&json!({"name": "rep", "clientId": "replica-client", "statusId": 2, "roleResourceIdList": ["RoleCompAdmn"]}))
        .send()
        .await
        .expect("update");
    assert_eq!(upd.status(), StatusCode::OK);
    for r in [&b, &c] {
        let resp = http
            .get(format!("{}/api/companies/my", r.base))
            .bearer_auth(&admin_token)
            .send()
            .await
            .expect("my");
        assert_eq!(
            resp.status(),
            StatusCode::UNAUTHORIZED,
            "an inactive client's token must fail on every replica"
        );
    }

    // Concurrent creates of one email (any case) across replicas yield exactly one user.
    let mut tasks = Vec::new();
    for (i, r) in [&a, &b, &c, &a, &b, &c].into_iter().enumerate() {
        let req = http
            .post(format!("{}/api/target-users", r.base))
            .bearer_auth(&root_token)
            .header("X-KEEPNET-Company-Id", &cid)
            .json(&json!({"email": if i % 2 == 0 { "Same.Person@Shared.example" } else { "same.person@shared.example" }, "firstName": format!("T{i}")}));
        tasks.push(tokio::spawn(async move {
            req.send().await.expect("create user").status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("join"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let found: Value = http
        .post(format!("{}/api/target-users/search", c.base))
        .bearer_auth(&root_token)
        .header("X-KEEPNET-Company-Id", &cid)
        .json(&json!({"pageNumber": 1, "pageSize": 10}))
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    assert_eq!(found["data"]["totalNumberOfRecords"], 1, "{found}");
}
