//! An import is all or nothing even when its server is killed part-way (issue #15): a
//! `rollcall serve` process is sent SIGKILL while it writes a large import, and after a
//! restart on the same database the company has exactly the users, counters and group members
//! it had before, and the job says it failed. On SQLite (a data directory) and PostgreSQL.

use std::time::{Duration, Instant};

use crate::common::{fresh_pg_database, pg_admin_url};
use crate::replicas::{token, Replica, ROOT};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Rows of the file: enough that the import runs for a while after its first batch.
const ROWS: usize = 60_000;

struct Api<'a> {
    http: reqwest::Client,
    server: &'a Replica,
    token: String,
    company: String,
}

impl Api<'_> {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method, self.server.url(path))
            .bearer_auth(&self.token)
            .header("X-KEEPNET-Company-Id", &self.company);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let v: Value = resp.json().await.expect("JSON");
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
        v
    }
}

async fn signed_in(http: &reqwest::Client, server: &Replica) -> String {
    let (s, t) = token(http, server, ROOT.0, ROOT.1).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    t["access_token"].as_str().expect("token").to_owned()
}

/// What the test compares before and after: live users, the count summary and the group's
/// member count.
async fn state_of(api: &Api<'_>) -> (i64, i64, i64) {
    let users = api
        .send(
            reqwest::Method::POST,
            "/api/target-users/search",
            Some(json!({"pageNumber": 1, "pageSize": 1})),
        )
        .await["data"]["totalNumberOfRecords"]
        .as_i64()
        .expect("total");
    let active = api
        .send(
            reqwest::Method::GET,
            "/api/target-users/count-summary",
            None,
        )
        .await["data"]["totalNumberOfActiveUsers"]
        .as_i64()
        .expect("active");
    let members = api
        .send(
            reqwest::Method::POST,
            "/api/target-groups/search",
            Some(json!({"pageNumber": 1, "pageSize": 10})),
        )
        .await["data"]["results"][0]["userCount"]
        .as_i64()
        .expect("members");
    (users, active, members)
}

async fn killed_import_leaves_nothing(database_url: &str, dir: &std::path::Path) {
    let args = ["--job-heartbeat-secs", "1"];
    let server = Replica::start_with(database_url, dir, &args).await;
    let http = reqwest::Client::new();
    let token = signed_in(&http, &server).await;
    let created: Value = http
        .post(server.url("/api/companies"))
        .bearer_auth(&token)
        .json(&json!({"name": "Killed Import"}))
        .send()
        .await
        .expect("company")
        .json()
        .await
        .expect("JSON");
    let company = created["data"]["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let api = Api {
        http: http.clone(),
        server: &server,
        token,
        company,
    };
    let group = api
        .send(
            reqwest::Method::POST,
            "/api/target-groups",
            Some(json!({"name": "Everyone imported"})),
        )
        .await["data"]["resourceId"]
        .as_str()
        .expect("group")
        .to_owned();
    // Users before: one the file updates, one it does not name; both in the group.
    for email in ["kept@kill.test", "row7@kill.test"] {
        let u = api
            .send(
                reqwest::Method::POST,
                "/api/target-users",
                Some(json!({"email": email, "department": "Before", "targetGroupResourceIds": [group]})),
            )
            .await;
        assert!(u["data"]["resourceId"].is_string(), "{u}");
    }
    let before = state_of(&api).await;
    assert_eq!(before, (2, 2, 2));

    let mut csv = String::from("Email,First Name,Department\n");
    for i in 0..ROWS {
        csv.push_str(&format!("row{i}@kill.test,Row {i},After\n"));
    }
    let part = reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("big.csv");
    let up: Value = http
        .post(server.url("/api/target-users/upload"))
        .bearer_auth(&api.token)
        .header("X-KEEPNET-Company-Id", &api.company)
        .multipart(reqwest::multipart::Form::new().part("File", part))
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("JSON");
    let tid = up["data"]["transactionId"]
        .as_str()
        .expect("tid")
        .to_owned();
    let mapping = api
        .send(
            reqwest::Method::POST,
            "/api/target-users/create-mapping",
            Some(json!({"transactionId": tid, "targetGroupResourceIds": [group]})),
        )
        .await["data"]["resourceId"]
        .as_str()
        .expect("mapping")
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let m = api
            .send(
                reqwest::Method::GET,
                &format!("/api/target-users/mapping-job/{mapping}"),
                None,
            )
            .await;
        if m["data"]["status"] != "InProgress" {
            assert_eq!(m["data"]["status"], "Finished", "{m}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the rows were not checked in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let job = api
        .send(
            reqwest::Method::POST,
            &format!("/api/target-users/{tid}/import"),
            Some(json!({"importType": "ImportAll"})),
        )
        .await["data"]["resourceId"]
        .as_str()
        .expect("job")
        .to_owned();
    // Kill once a part of the rows is written (inside the import's transaction).
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let j = api
            .send(reqwest::Method::GET, &format!("/api/jobs/{job}"), None)
            .await;
        assert_eq!(
            j["data"]["isFinished"], false,
            "the import ended before the kill; make the file larger: {j}"
        );
        let progress = j["data"]["progress"].as_f64().unwrap_or(0.0);
        if progress >= 5.0 {
            break;
        }
        assert!(Instant::now() < deadline, "the import did not start: {j}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let company = api.company.clone();
    drop(api);
    server.kill().await;

    let server = Replica::start_with(database_url, dir, &args).await;
    let token = signed_in(&http, &server).await;
    let api = Api {
        http: http.clone(),
        server: &server,
        token,
        company,
    };
    assert_eq!(
        state_of(&api).await,
        before,
        "users, counters and group members as before the import"
    );
    let kept = api
        .send(
            reqwest::Method::POST,
            "/api/target-users/search-email",
            Some(json!({"email": "row7@kill.test"})),
        )
        .await;
    assert_eq!(kept["data"]["totalNumberOfRecords"], 1, "{kept}");
    let rows = api
        .send(
            reqwest::Method::POST,
            "/api/target-users/search",
            Some(json!({"pageNumber": 1, "pageSize": 10, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "Department", "Operator": "=", "Value": "After"}]}]}})),
        )
        .await;
    assert_eq!(
        rows["data"]["totalNumberOfRecords"], 0,
        "no update of the killed import stays: {rows}"
    );
    // The job is reported failed, never running forever.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let j = api
            .send(reqwest::Method::GET, &format!("/api/jobs/{job}"), None)
            .await;
        if j["data"]["isFinished"] == true {
            assert_eq!(j["data"]["statusName"], "Failed", "{j}");
            assert!(
                j["data"]["errorMessage"]
                    .as_str()
                    .is_some_and(|m| m.contains("nothing of it was applied")),
                "{j}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the killed job still runs: {j}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if database_url.is_empty() {
        // The import drops the trigram triggers in its transaction: the kill rolled that back.
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}", dir.join("rollcall.db").display());
        let db = sqlx::AnyPool::connect(&url).await.expect("db");
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'target_users'",
        )
        .fetch_one(&db)
        .await
        .expect("triggers");
        assert_eq!(n, 3, "the trigram triggers are back after the restart");
        db.close().await;
    }
    drop(api);
    server.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_import_leaves_nothing_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    killed_import_leaves_nothing("", dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rollcall_no_pg,
    ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
)]
async fn a_killed_import_leaves_nothing_on_postgres() {
    let Some(admin) = pg_admin_url() else { return };
    let url = fresh_pg_database(&admin).await;
    let _database = rollcall_testkit::PgDatabase::adopt(&admin, &url);
    let dir = tempfile::tempdir().expect("dir");
    killed_import_leaves_nothing(&url, dir.path()).await;
}
