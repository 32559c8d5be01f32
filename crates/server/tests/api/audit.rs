//! The audit trail through HTTP, on SQLite and PostgreSQL: a row for every audited action
//! (who, what, old and new values, address and User-Agent), no secret or token in any column,
//! who sees which rows (and whose address and User-Agent in them), filters and order, the
//! export files, retention, and no row for a refused change.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::common::tu::open_store;
use crate::common::{assert_error, message, Engine, TestServer, ROOT_ID, SCOPE};
use reqwest::{Method, StatusCode};
use rollcall_store::{Actor, AuditEvent, Entity, Operation, SqlStore};
use serde_json::{json, Value};
use sqlx::Row;

const SEARCH: &str = "/api/audit-logs/search";
const EXPORT: &str = "/api/audit-logs/search/export";
const UA: &str = "audit-test/1.0 (Zoë)";
const DAY: i64 = 86_400_000;

/// Every audit row `token` sees in `scope` for `body` (one page of up to 1,000 rows).
async fn rows_of(srv: &TestServer, token: &str, scope: Option<&str>, body: Value) -> Vec<Value> {
    let (status, resp) = search(srv, token, scope, body).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    resp["data"]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {resp}"))
        .clone()
}

async fn search(
    srv: &TestServer,
    token: &str,
    scope: Option<&str>,
    mut body: Value,
) -> (StatusCode, Value) {
    if body.get("pageSize").is_none() {
        body["pageSize"] = json!(1000);
    }
    let headers: Vec<(&str, &str)> = scope.map(|c| vec![(SCOPE, c)]).unwrap_or_default();
    srv.post(SEARCH, token, body, &headers).await
}

fn everything() -> Value {
    json!({"pageNumber": 1, "pageSize": 1000})
}

/// A filter of one AND group.
fn filtered(items: Value) -> Value {
    json!({"pageNumber": 1, "pageSize": 1000,
        "filter": {"condition": "AND", "filterGroups": [{"condition": "AND", "filterItems": items}]}})
}

/// The one row of `operation` on `entity` (with resource id `id`, when given).
#[track_caller]
fn one<'a>(rows: &'a [Value], operation: &str, entity: &str, id: Option<&str>) -> &'a Value {
    let found: Vec<&Value> = rows
        .iter()
        .filter(|r| {
            r["operation"] == operation
                && r["entityName"] == entity
                && id.is_none_or(|id| r["entityResourceId"] == id)
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {operation} {entity} {id:?} row: {found:#?}"
    );
    found[0]
}

/// A row's `oldValue` or `newValue`, parsed.
#[track_caller]
fn value(row: &Value, key: &str) -> Value {
    let text = row[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not text in {row}"));
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{key} is not JSON ({e}): {row}"))
}

/// Polls the search until `want` holds for its rows (asynchronous rows: an export's is
/// written when its stream ends). Gives up after 30 s.
async fn wait_for(
    srv: &TestServer,
    token: &str,
    scope: Option<&str>,
    what: &str,
    want: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = rows_of(srv, token, scope, everything()).await;
        if want(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn id_of(body: &Value) -> String {
    body["data"]["resourceId"]
        .as_str()
        .unwrap_or_else(|| panic!("resourceId in {body}"))
        .to_owned()
}

/// Every text column of every audit row, straight from the database.
async fn raw_text(store: &SqlStore) -> Vec<String> {
    const COLUMNS: &[&str] = &[
        "resource_id",
        "company_path",
        "actor_client_id",
        "actor_client_id_lower",
        "actor_resource_id",
        "actor_company_path",
        "ip",
        "user_agent",
        "user_agent_lower",
        "operation",
        "operation_lower",
        "entity_name",
        "entity_name_lower",
        "entity_resource_id",
        "old_value",
        "old_value_lower",
        "new_value",
        "new_value_lower",
        "description",
        "description_lower",
    ];
    let sql = format!("SELECT {} FROM audit_log", COLUMNS.join(", "));
    let rows = sqlx::query(&sql)
        .fetch_all(store.pool())
        .await
        .expect("read audit_log");
    let mut out = Vec::new();
    for r in &rows {
        for i in 0..COLUMNS.len() {
            if let Some(text) = r.try_get::<Option<String>, _>(i).expect("a text column") {
                out.push(text);
            }
        }
    }
    out
}

/// (resource id, company id) of every audit row, straight from the database.
async fn raw_owners(store: &SqlStore) -> Vec<(String, Option<i64>)> {
    sqlx::query("SELECT resource_id, company_id FROM audit_log")
        .fetch_all(store.pool())
        .await
        .expect("read audit_log")
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<Option<i64>, _>(1)))
        .collect()
}

async fn internal_id(srv: &TestServer, company: &str) -> (i64, String) {
    let c = srv
        .store
        .company_by_resource_id(company)
        .await
        .expect("company lookup")
        .expect("company exists");
    (c.id, c.path)
}

/// A row written straight through the store, for filters, scoping and retention.
fn event(
    company: Option<(i64, &str)>,
    at: i64,
    actor: &str,
    operation: Operation,
    entity: Entity,
    description: &str,
) -> AuditEvent {
    AuditEvent {
        company_id: company.map(|c| c.0),
        company_path: company.map(|c| c.1.to_owned()),
        log_date: at,
        actor: Actor {
            client_id: actor.to_owned(),
            ..Actor::default()
        },
        operation,
        entity,
        entity_resource_id: None,
        old_value: None,
        new_value: None,
        description: description.to_owned(),
    }
}

fn ms(iso: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(iso)
        .expect("an RFC 3339 time")
        .timestamp_millis()
}

async fn each_action_is_recorded(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let ua = ("User-Agent", UA);

    // Company create and update.
    let (s, b) = srv
        .post(
            "/api/companies",
            &root,
            json!({"name": "Acme", "numberOfUsers": 50}),
            &[(SCOPE, &srv.root_company), ua],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let acme = id_of(&b);
    let (s, b) = srv
        .put(
            &format!("/api/companies/{acme}"),
            &root,
            json!({"name": "Acme Ltd", "numberOfUsers": 60}),
            &[ua],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // A client: created, its secret and role changed, deleted.
    let (secret1, secret2) = (
        "first-secret-0123456789abcdef",
        "second-secret-0123456789abcdef",
    );
    let (s, b) = srv
        .post(
            "/api/companies/clients",
            &root,
            json!({"name": "Acme admin", "clientId": "acme-admin", "clientSecret": secret1,
                "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[(SCOPE, &acme), ua],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let client = id_of(&b);
    let admin_token = srv.token("acme-admin", secret1).await;
    let store = open_store(&srv).await;
    let mut hashes: Vec<String> = sqlx::query("SELECT secret_hash FROM api_clients")
        .fetch_all(store.pool())
        .await
        .expect("hashes")
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
    let (s, b) = srv
        .put(
            &format!("/api/companies/clients/{client}"),
            &root,
            json!({"name": "Acme administrator", "clientId": "acme-admin", "clientSecret": secret2,
                "statusId": 1, "roleResourceIdList": ["RoleReseller"]}),
            &[ua],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let admin_token2 = srv.token("acme-admin", secret2).await;
    hashes.extend(
        sqlx::query("SELECT secret_hash FROM api_clients")
            .fetch_all(store.pool())
            .await
            .expect("hashes")
            .iter()
            .map(|r| r.get::<String, _>(0)),
    );

    // Target users: create, update, delete, bulk delete.
    let ada = srv
        .create_user(
            &root,
            &acme,
            json!({"email": "ada@acme.test", "firstName": "Ada"}),
        )
        .await;
    let bo = srv
        .create_user(&root, &acme, json!({"email": "bo@acme.test"}))
        .await;
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{ada}"),
            &root,
            json!({"firstName": "Augusta", "department": "Maths"}),
            &[(SCOPE, &acme), ua],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = srv
        .delete(&format!("/api/target-users/{bo}"), &root, &[(SCOPE, &acme)])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut doomed = Vec::new();
    for i in 0..3 {
        doomed.push(
            srv.create_user(&root, &acme, json!({"email": format!("temp{i}@acme.test")}))
                .await,
        );
    }
    let (s, b) = srv
        .call(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &root,
            Some(json!({"items": doomed})),
            &[(SCOPE, &acme)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 3, "{b}");

    // An export with a filter: the live users, as CSV.
    let export_body = json!({"pageNumber": 1, "pageSize": 10, "exportType": "CSV", "reportAllPages": true,
        "filter": {"condition": "AND", "filterGroups": [{"condition": "AND",
            "filterItems": [{"fieldName": "IsDeleted", "operator": "=", "value": false}]}]}});
    let resp = srv
        .http
        .post(srv.url("/api/target-users/search/export"))
        .bearer_auth(&root)
        .header(SCOPE, &acme)
        .header("User-Agent", UA)
        .json(&export_body)
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.expect("csv");
    assert_eq!(csv.lines().count(), 2, "header and ada: {csv}");

    // A company made and deleted, and the client deleted.
    let spare = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "Spare"}))
        .await;
    srv.create_user(&root, &spare, json!({"email": "x@spare.test"}))
        .await;
    let (s, b) = srv
        .delete(&format!("/api/companies/{spare}"), &root, &[ua])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = srv
        .delete(&format!("/api/companies/clients/{client}"), &root, &[ua])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let rows = wait_for(&srv, &root, None, "the export's row", |rows| {
        rows.iter().any(|r| r["operation"] == "Export")
    })
    .await;

    // Who and from where, on every change a request made (token requests, once recorded,
    // name their own client: see token_requests_are_recorded).
    for r in rows
        .iter()
        .filter(|r| r["userName"] != "system" && r["entityName"] != "Token")
    {
        assert_eq!(r["userName"], ROOT_ID, "{r}");
        assert_eq!(r["ip"], "127.0.0.1", "{r}");
        assert_eq!(r["resourceId"].as_str().map(str::len), Some(12), "{r}");
    }
    // The bootstrap's own writes: the root company and its client.
    let system: Vec<(&Value, &Value)> = rows
        .iter()
        .filter(|r| r["userName"] == "system")
        .map(|r| (&r["operation"], &r["entityName"]))
        .collect();
    assert_eq!(
        system,
        [
            (&json!("Create"), &json!("ApiClient")),
            (&json!("Create"), &json!("Company"))
        ],
        "newest first"
    );

    let created = one(&rows, "Create", "Company", Some(&acme));
    assert_eq!(created["userAgent"], UA, "{created}");
    assert_eq!(value(created, "newValue")["name"], "Acme", "{created}");
    assert_eq!(value(created, "newValue")["numberOfUsers"], 50, "{created}");
    let updated = one(&rows, "Update", "Company", Some(&acme));
    assert_eq!(
        value(updated, "oldValue"),
        json!({"name": "Acme", "numberOfUsers": 50})
    );
    assert_eq!(
        value(updated, "newValue"),
        json!({"name": "Acme Ltd", "numberOfUsers": 60})
    );

    let made = one(&rows, "Create", "ApiClient", Some(&client));
    assert_eq!(value(made, "newValue")["clientId"], "acme-admin", "{made}");
    assert_eq!(value(made, "newValue")["role"], "Company Admin", "{made}");
    let changed = one(&rows, "Update", "ApiClient", Some(&client));
    assert_eq!(
        value(changed, "oldValue"),
        json!({"name": "Acme admin", "role": "Company Admin"}),
        "{changed}"
    );
    assert_eq!(
        value(changed, "newValue"),
        json!({"name": "Acme administrator", "role": "Reseller", "secretChanged": true}),
        "{changed}"
    );
    let gone = one(&rows, "Delete", "ApiClient", Some(&client));
    assert_eq!(
        value(gone, "oldValue")["name"],
        "Acme administrator",
        "{gone}"
    );

    let user = one(&rows, "Create", "TargetUser", Some(&ada));
    assert_eq!(value(user, "newValue")["email"], "ada@acme.test", "{user}");
    let user = one(&rows, "Update", "TargetUser", Some(&ada));
    assert_eq!(
        value(user, "oldValue"),
        json!({"firstName": "Ada", "department": ""}),
        "{user}"
    );
    assert_eq!(
        value(user, "newValue"),
        json!({"firstName": "Augusta", "department": "Maths"}),
        "{user}"
    );
    let user = one(&rows, "Delete", "TargetUser", Some(&bo));
    assert_eq!(value(user, "oldValue")["email"], "bo@acme.test", "{user}");
    let bulk = one(&rows, "BulkDelete", "TargetUser", None);
    assert_eq!(value(bulk, "newValue")["deletedCount"], 3, "{bulk}");
    let named: BTreeSet<String> = value(bulk, "newValue")["resourceIds"]
        .as_array()
        .expect("resourceIds")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(named, doomed.iter().cloned().collect(), "{bulk}");
    assert!(
        bulk["auditDescription"]
            .as_str()
            .is_some_and(|d| d.starts_with("Deleted 3 target users in 'Acme Ltd'")),
        "{bulk}"
    );

    let export = one(&rows, "Export", "TargetUser", None);
    let detail = value(export, "newValue");
    assert_eq!(detail["format"], "CSV", "{export}");
    assert_eq!(detail["rowCount"], 1, "{export}");
    assert_eq!(detail["reportAllPages"], true, "{export}");
    assert_eq!(detail["outcome"], "completed", "{export}");
    assert_eq!(detail["companyResourceId"], acme.as_str(), "{export}");
    assert!(
        detail["filter"]
            .as_str()
            .is_some_and(|f| f.contains("IsDeleted = false")),
        "{export}"
    );
    assert_eq!(export["userAgent"], UA, "{export}");

    let deleted = one(&rows, "Delete", "Company", Some(&spare));
    assert!(
        deleted["auditDescription"]
            .as_str()
            .is_some_and(|d| d.contains("'Spare'")
                && d.contains("1 target user")
                && d.contains("0 API clients")),
        "{deleted}"
    );
    // The rows of a deleted company stay readable above it.
    assert!(
        rows.iter().any(|r| r["operation"] == "Create"
            && r["auditDescription"] == "Created target user 'x@spare.test' in 'Spare'"),
        "the spare company's user row survives its company"
    );

    // No secret, secret hash or token in any column of any row.
    let text = raw_text(&store).await;
    assert!(text.len() > 20, "the table was read: {}", text.len());
    let mut needles: Vec<String> = vec![
        secret1.into(),
        secret2.into(),
        crate::common::ROOT_SECRET.into(),
        root.clone(),
        admin_token,
        admin_token2,
        "$argon2".into(),
    ];
    needles.extend(hashes);
    for cell in &text {
        for needle in &needles {
            assert!(
                !cell.to_lowercase().contains(&needle.to_lowercase()),
                "an audit column holds a secret, hash or token: {cell}"
            );
        }
    }
    store.close().await;
}

async fn total_rows(srv: &TestServer, token: &str) -> i64 {
    let (s, b) = search(srv, token, None, json!({"pageSize": 1})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["totalNumberOfRecords"].as_i64().expect("total")
}

async fn refused_changes_leave_no_row(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let acme = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "Acme"}))
        .await;
    let child = srv
        .create_company(&root, Some(&acme), json!({"name": "Acme child"}))
        .await;
    let ada = srv
        .create_user(&root, &acme, json!({"email": "ada@acme.test"}))
        .await;
    srv.create_user(&root, &acme, json!({"email": "bo@acme.test"}))
        .await;
    let before = total_rows(&srv, &root).await;
    assert!(before >= 6, "the setup is audited: {before}");

    // A duplicate email on create (409), and on update: the update ran inside the
    // transaction before the unique index refused it, and took its audit row with it.
    let (s, b) = srv
        .post(
            "/api/target-users",
            &root,
            json!({"email": "ADA@acme.test"}),
            &[(SCOPE, &acme)],
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{ada}"),
            &root,
            json!({"email": "bo@acme.test"}),
            &[(SCOPE, &acme)],
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    // A company with a child cannot be deleted.
    let (s, b) = srv
        .delete(&format!("/api/companies/{acme}"), &root, &[])
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    // A client id already taken.
    let (s, b) = srv
        .post(
            "/api/companies/clients",
            &root,
            json!({"name": "dup", "clientId": ROOT_ID, "clientSecret": "another-secret-0123456789",
                "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[(SCOPE, &child)],
        )
        .await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    // An invalid body never reaches the store.
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{ada}"),
            &root,
            json!({"email": "not an email"}),
            &[(SCOPE, &acme)],
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");

    assert_eq!(
        total_rows(&srv, &root).await,
        before,
        "refused changes wrote no row"
    );
    let rows = rows_of(&srv, &root, None, everything()).await;
    assert!(
        !rows.iter().any(|r| r["operation"] == "Delete"),
        "no delete was recorded: {rows:#?}"
    );
}

/// `root -> ResA -> A1`, `root -> ResB -> B1`, with a Reseller client in ResA and ResB and a
/// Company Admin in A1, each acting in its own reach; plus one row of no company.
async fn readers_see_their_companies_only(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let res_a = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "ResA"}))
        .await;
    let res_b = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "ResB"}))
        .await;
    let (a_id, a_secret) = srv.create_client(&root, &res_a, "Reseller").await;
    let (b_id, b_secret) = srv.create_client(&root, &res_b, "Reseller").await;
    let token_a = srv.token(&a_id, &a_secret).await;
    let token_b = srv.token(&b_id, &b_secret).await;
    let a1 = srv
        .create_company(&token_a, Some(&res_a), json!({"name": "A One"}))
        .await;
    let b1 = srv
        .create_company(&token_b, Some(&res_b), json!({"name": "B One"}))
        .await;
    let (admin_id, admin_secret) = srv.create_client(&token_a, &a1, "Company Admin").await;
    let admin = srv.token(&admin_id, &admin_secret).await;
    srv.create_user(&token_a, &res_a, json!({"email": "a@resa.test"}))
        .await;
    srv.create_user(&token_a, &a1, json!({"email": "a@a1.test"}))
        .await;
    srv.create_user(&admin, &a1, json!({"email": "admin@a1.test"}))
        .await;
    srv.create_user(&token_b, &b1, json!({"email": "b@b1.test"}))
        .await;
    // The root company's own row, which no one below it may read.
    srv.create_client(&root, &srv.root_company, "Company Admin")
        .await;
    // A row of no company (a token request naming an unknown client id).
    srv.store
        .record_audit(&event(
            None,
            chrono::Utc::now().timestamp_millis(),
            "nobody",
            Operation::TokenFailed,
            Entity::Token,
            "Refused an access token for client id 'nobody': unknown client_id",
        ))
        .await
        .expect("record");

    // The oracle: each row's company, from the table itself.
    let store = open_store(&srv).await;
    let owners = raw_owners(&store).await;
    store.close().await;
    let mut ids = BTreeMap::new();
    for (name, c) in [
        ("root", &srv.root_company),
        ("ResA", &res_a),
        ("ResB", &res_b),
        ("A1", &a1),
        ("B1", &b1),
    ] {
        ids.insert(internal_id(&srv, c).await.0, name);
    }
    let of = |companies: &[&str], unowned: bool| -> BTreeSet<String> {
        owners
            .iter()
            .filter(|(_, c)| match c {
                Some(c) => companies.contains(ids.get(c).unwrap_or(&"?")),
                None => unowned,
            })
            .map(|(r, _)| r.clone())
            .collect()
    };
    for (name, companies) in [
        ("root", &["root"][..]),
        ("ResA", &["ResA"]),
        ("A1", &["A1"]),
        ("ResB", &["ResB"]),
        ("B1", &["B1"]),
    ] {
        assert!(!of(companies, false).is_empty(), "{name} has rows");
    }
    assert_eq!(of(&[], true).len(), 1, "one row of no company");

    let seen = |token: &str, scope: Option<&str>| {
        let (token, scope) = (token.to_owned(), scope.map(str::to_owned));
        let srv = &srv;
        async move {
            rows_of(srv, &token, scope.as_deref(), everything())
                .await
                .iter()
                .map(|r| r["resourceId"].as_str().unwrap_or_default().to_owned())
                .collect::<BTreeSet<String>>()
        }
    };
    let all = ["root", "ResA", "ResB", "A1", "B1"];
    // The root reseller sees everything, the rows of no company included.
    assert_eq!(seen(&root, None).await, of(&all, true), "root");
    assert_eq!(
        seen(&root, Some(&srv.root_company)).await,
        of(&all, true),
        "root scoped to itself"
    );
    // Narrowed to a child: that subtree, and no row of no company.
    assert_eq!(
        seen(&root, Some(&res_a)).await,
        of(&["ResA", "A1"], false),
        "root scoped to ResA"
    );
    assert_eq!(
        seen(&root, Some(&a1)).await,
        of(&["A1"], false),
        "root scoped to A1"
    );
    // A sub-reseller: its subtree, not its parent's rows nor its sibling's.
    assert_eq!(
        seen(&token_a, None).await,
        of(&["ResA", "A1"], false),
        "ResA"
    );
    assert_eq!(
        seen(&token_a, Some(&a1)).await,
        of(&["A1"], false),
        "ResA scoped to A1"
    );
    assert_eq!(
        seen(&token_b, None).await,
        of(&["ResB", "B1"], false),
        "ResB"
    );
    // A Company Admin: its own company.
    assert_eq!(seen(&admin, None).await, of(&["A1"], false), "A1 admin");
    assert_eq!(
        seen(&admin, Some(&a1)).await,
        of(&["A1"], false),
        "A1 admin scoped to A1"
    );

    // Out of reach: 403, as everywhere.
    let (s, b) = search(&srv, &token_a, Some(&res_b), everything()).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (s, b) = search(&srv, &token_a, Some(&srv.root_company), everything()).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (s, b) = search(&srv, &admin, Some(&res_a), everything()).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (s, b) = srv.post(SEARCH, "not-a-token", everything(), &[]).await;
    assert_error(s, &b, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");

    // `POST /api/audit-logs`: the scoped company's own rows, without its subtree.
    let (s, b) = srv
        .post(
            "/api/audit-logs",
            &token_a,
            json!({"pageNumber": 1, "pageSize": 1000}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let listed: BTreeSet<String> = b["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["logId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(listed, of(&["ResA"], false), "ResA's own rows");

    // Origins: a row shows its address and User-Agent only to readers whose own company is the
    // actor's company or above it. Two more writes in A1, with a User-Agent: one by ResA's
    // reseller, one by A1's admin.
    let (s, b) = srv
        .post(
            "/api/target-users",
            &token_a,
            json!({"email": "ua-by-resa@a1.test"}),
            &[(SCOPE, &a1), ("User-Agent", "resa-tool/1")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let by_resa = id_of(&b);
    let (s, b) = srv
        .post(
            "/api/target-users",
            &admin,
            json!({"email": "ua-by-admin@a1.test"}),
            &[("User-Agent", "admin-tool/1")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let by_admin = id_of(&b);
    // The actor's company, by `userName` (the server's own rows and the unknown id: none).
    let actor_company = |user: &str| -> Option<&str> {
        [
            (ROOT_ID, "root"),
            (a_id.as_str(), "ResA"),
            (b_id.as_str(), "ResB"),
            (admin_id.as_str(), "A1"),
        ]
        .into_iter()
        .find(|(id, _)| *id == user)
        .map(|(_, c)| c)
    };
    // (reader, token, scope, the companies whose rows show their origin, whether some rows
    // it reads were written from above it: root wrote ResA's and ResB's first rows).
    type Reader<'a> = (&'a str, &'a str, Option<&'a str>, &'a [&'a str], bool);
    let readers: [Reader; 6] = [
        ("root", &root, None, &all, false),
        ("root in A1", &root, Some(&a1), &all, false),
        ("ResA", &token_a, None, &["ResA", "A1"], true),
        ("ResA in A1", &token_a, Some(&a1), &["ResA", "A1"], false),
        ("ResB", &token_b, None, &["ResB", "B1"], true),
        ("A1 admin", &admin, None, &["A1"], true),
    ];
    for (name, token, scope, within, some_hidden) in readers {
        let rows = rows_of(&srv, token, scope, everything()).await;
        let mut hidden = 0;
        for r in &rows {
            let user = r["userName"].as_str().unwrap_or_default();
            match actor_company(user) {
                Some(c) if within.contains(&c) => {
                    assert_eq!(r["ip"], "127.0.0.1", "{name} sees its own: {r}")
                }
                Some(_) => {
                    hidden += 1;
                    assert!(
                        r["ip"].is_null() && r["userAgent"].is_null(),
                        "{name} sees no origin of a company above it: {r}"
                    );
                }
                None => assert!(r["ip"].is_null(), "{name}: {r}"),
            }
        }
        assert_eq!(hidden > 0, some_hidden, "{name}: {hidden} hidden");
        let ua = |id: &str| one(&rows, "Create", "TargetUser", Some(id))["userAgent"].clone();
        if name != "ResB" {
            assert_eq!(ua(&by_admin), "admin-tool/1", "{name}");
            let want = if name == "A1 admin" {
                Value::Null
            } else {
                json!("resa-tool/1")
            };
            assert_eq!(ua(&by_resa), want, "{name}");
        }
    }
    // Hidden means hidden: A1's admin cannot find its reseller's rows by address or
    // User-Agent, nor by sorting on them.
    let probe = |items: Value| {
        let (srv, admin) = (&srv, admin.clone());
        async move {
            rows_of(srv, &admin, None, filtered(items))
                .await
                .iter()
                .map(|r| r["userName"].as_str().unwrap_or_default().to_owned())
                .collect::<BTreeSet<String>>()
        }
    };
    let only_admin = BTreeSet::from([admin_id.clone()]);
    assert_eq!(
        probe(json!([{"fieldName": "Ip", "operator": "=", "value": "127.0.0.1"}])).await,
        only_admin
    );
    assert_eq!(
        probe(json!([{"fieldName": "UserAgent", "operator": "Contains", "value": "tool"}])).await,
        only_admin
    );
    let mut by_ip = everything();
    by_ip["orderBy"] = json!("Ip");
    by_ip["ascending"] = json!(true);
    let sorted = rows_of(&srv, &admin, None, by_ip).await;
    let first_null = sorted
        .iter()
        .position(|r| r["ip"].is_null())
        .unwrap_or(sorted.len());
    assert!(
        sorted[..first_null]
            .iter()
            .all(|r| r["userName"] == admin_id.as_str())
            && sorted[first_null..].iter().all(|r| r["ip"].is_null()),
        "sorted by Ip, the hidden addresses sort as NULL: {sorted:#?}"
    );
    // The export files too.
    let resp = srv
        .http
        .post(srv.url(EXPORT))
        .bearer_auth(&admin)
        .json(&json!({"exportType": "CSV", "reportAllPages": true}))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let (header, file) = parse_csv(&resp.bytes().await.expect("file"));
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let mut by_reseller = 0;
    for row in &file {
        let mine = row[col("User")] == admin_id;
        if row[col("User")] == a_id {
            by_reseller += 1;
        }
        assert_eq!(row[col("IP Address")] == "127.0.0.1", mine, "{row:?}");
        assert!(mine || row[col("User Agent")].is_empty(), "{row:?}");
    }
    assert!(
        by_reseller >= 3,
        "the file holds ResA's rows in A1: {file:?}"
    );
}

async fn filters_and_order(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "Filters"}))
        .await;
    let (cid, path) = internal_id(&srv, &company).await;
    let c = Some((cid, path.as_str()));
    let mut rows = [
        event(
            c,
            ms("2026-01-10T10:00:00Z"),
            "alice",
            Operation::Update,
            Entity::TargetUser,
            "Updated target user 'x@y.test' in 'Filters': firstName",
        ),
        event(
            c,
            ms("2026-01-11T10:00:00Z"),
            "Bob",
            Operation::Delete,
            Entity::TargetUser,
            "Deleted target user 'b@y.test' in 'Filters'",
        ),
        event(
            c,
            ms("2026-01-12T10:00:00Z"),
            "carol",
            Operation::Export,
            Entity::Company,
            "Exported 3 companies",
        ),
        event(
            c,
            ms("2026-01-09T10:00:00Z"),
            "ALICE-2",
            Operation::TokenFailed,
            Entity::Token,
            "Refused an access token for client id 'ALICE-2': wrong client_secret",
        ),
    ];
    rows[0].actor.ip = Some("10.0.0.1".into());
    rows[0].actor.user_agent = Some("Zoë-Browser/2".into());
    rows[0].old_value = Some(json!({"firstName": "Xavier"}));
    rows[2].new_value = Some(json!({"format": "CSV", "rowCount": 3}));
    for r in &rows {
        srv.store.record_audit(r).await.expect("record");
    }
    let users = |rows: &[Value]| -> Vec<String> {
        rows.iter()
            .map(|r| r["userName"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // January only: the API's own row of the company's creation is from now.
    let january = json!({"fieldName": "LogDate", "operator": "<", "value": "2026-02-01"});
    let scope = Some(company.as_str());
    let find = |items: Value| {
        let (srv, root) = (&srv, root.clone());
        let mut all = vec![january.clone()];
        all.extend(items.as_array().cloned().unwrap_or_default());
        async move { users(&rows_of(srv, &root, scope, filtered(Value::Array(all))).await) }
    };

    // Default order: newest first.
    assert_eq!(find(json!([])).await, ["carol", "Bob", "alice", "ALICE-2"]);
    assert_eq!(
        find(json!([{"fieldName": "Operation", "operator": "=", "value": "update"}])).await,
        ["alice"]
    );
    assert_eq!(
        find(
            json!([{"fieldName": "EntityName", "operator": "Include", "value": "TargetUser,token"}])
        )
        .await,
        ["Bob", "alice", "ALICE-2"]
    );
    assert_eq!(
        find(json!([{"fieldName": "UserName", "operator": "Contains", "value": "Alice"}])).await,
        ["alice", "ALICE-2"]
    );
    assert_eq!(
        find(json!([
            {"fieldName": "LogDate", "operator": ">=", "value": "2026-01-11"},
            {"fieldName": "LogDate", "operator": "<", "value": "2026-01-12"}
        ]))
        .await,
        ["Bob"]
    );
    assert_eq!(
        find(json!([{"fieldName": "NewValue", "operator": "Contains", "value": "csv"}])).await,
        ["carol"]
    );
    assert_eq!(
        find(json!([{"fieldName": "OldValue", "operator": "Contains", "value": "xavier"}])).await,
        ["alice"]
    );
    assert_eq!(
        find(json!([{"fieldName": "UserAgent", "operator": "Contains", "value": "ZOË"}])).await,
        ["alice"]
    );
    assert_eq!(
        find(json!([{"fieldName": "Ip", "operator": "=", "value": "10.0.0.1"}])).await,
        ["alice"]
    );
    assert_eq!(
        find(json!([{"fieldName": "AuditDescription", "operator": "Contains", "value": "WRONG CLIENT"}]))
            .await,
        ["ALICE-2"]
    );
    // Free text: user, operation, entity and description.
    let mut body = filtered(json!([january]));
    body["filter"]["searchInputTextValue"] = json!("x@Y.TEST");
    assert_eq!(users(&rows_of(&srv, &root, scope, body).await), ["alice"]);

    // Order by another field, either way; CreateTime (generic clients' default) is LogDate.
    let mut body = filtered(json!([january]));
    body["orderBy"] = json!("UserName");
    body["ascending"] = json!(true);
    assert_eq!(
        users(&rows_of(&srv, &root, scope, body.clone()).await),
        ["alice", "ALICE-2", "Bob", "carol"]
    );
    body["ascending"] = json!(false);
    assert_eq!(
        users(&rows_of(&srv, &root, scope, body.clone()).await),
        ["carol", "Bob", "ALICE-2", "alice"]
    );
    body["orderBy"] = json!("createTime");
    body["ascending"] = json!(true);
    assert_eq!(
        users(&rows_of(&srv, &root, scope, body.clone()).await),
        ["ALICE-2", "alice", "Bob", "carol"]
    );

    // Pages.
    let mut body = filtered(json!([january]));
    body["pageSize"] = json!(3);
    body["pageNumber"] = json!(2);
    let (s, b) = search(&srv, &root, scope, body).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 4, "{b}");
    assert_eq!(b["data"]["totalNumberOfPages"], 2, "{b}");
    assert_eq!(
        users(b["data"]["results"].as_array().expect("results")),
        ["ALICE-2"]
    );

    // Unknown fields and unsortable ones are refused, naming what is allowed.
    let (s, b) = search(
        &srv,
        &root,
        scope,
        filtered(json!([{"fieldName": "Shoe", "operator": "=", "value": "x"}])),
    )
    .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(
        message(&b).contains("Shoe") && message(&b).contains("LogDate"),
        "{b}"
    );
    let (s, b) = search(&srv, &root, scope, json!({"orderBy": "OldValue"})).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&b).contains("UserName"), "{b}");
}

fn parse_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::str::from_utf8(bytes).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

async fn export_files(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let acme = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "Acme"}))
        .await;
    for i in 0..5 {
        srv.create_user(&root, &acme, json!({"email": format!("u{i}@acme.test")}))
            .await;
    }
    let export = |body: Value| {
        let (srv, root, acme) = (&srv, root.clone(), acme.clone());
        async move {
            let resp = srv
                .http
                .post(srv.url(EXPORT))
                .bearer_auth(&root)
                .header(SCOPE, &acme)
                .json(&body)
                .send()
                .await
                .expect("export");
            let status = resp.status();
            let header = |n: reqwest::header::HeaderName| {
                resp.headers()
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            let (ct, cd) = (
                header(reqwest::header::CONTENT_TYPE),
                header(reqwest::header::CONTENT_DISPOSITION),
            );
            (status, ct, cd, resp.bytes().await.expect("body").to_vec())
        }
    };

    // Every row, in the search's order, with the search's values.
    let want = rows_of(&srv, &root, Some(&acme), everything()).await;
    assert_eq!(want.len(), 6, "a company and five users: {want:#?}");
    let (s, ct, cd, bytes) =
        export(json!({"exportType": "CSV", "reportAllPages": true, "pageSize": 2})).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert!(cd.contains("filename=\"Audit Logs.csv\""), "{cd}");
    let (header, file) = parse_csv(&bytes);
    assert_eq!(
        header,
        rollcall_server::routes::audit_logs::AUDIT_LOG_COLUMNS
    );
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let got: Vec<&str> = file
        .iter()
        .map(|r| r[col("Resource Id")].as_str())
        .collect();
    let wanted: Vec<&str> = want
        .iter()
        .map(|r| r["resourceId"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(got, wanted, "rows in search order");
    for (row, w) in file.iter().zip(&want) {
        assert_eq!(row[col("User")], w["userName"].as_str().unwrap_or_default());
        assert_eq!(
            row[col("Operation")],
            w["operation"].as_str().unwrap_or_default()
        );
        assert_eq!(
            row[col("Description")],
            w["auditDescription"].as_str().unwrap_or_default()
        );
        assert_eq!(
            row[col("New Value")],
            w["newValue"].as_str().unwrap_or_default()
        );
        let date = chrono::DateTime::parse_from_rfc3339(&row[col("Date")]).expect("ISO date");
        let want_date =
            chrono::DateTime::parse_from_rfc3339(w["logDate"].as_str().unwrap_or_default())
                .expect("ISO logDate");
        assert_eq!(date, want_date);
    }
    // The export is audited with its row count, once it has ended.
    let rows = wait_for(&srv, &root, Some(&acme), "the export's row", |rows| {
        rows.iter().any(|r| r["entityName"] == "AuditLog")
    })
    .await;
    let audited = one(&rows, "Export", "AuditLog", None);
    assert_eq!(value(audited, "newValue")["rowCount"], 6, "{audited}");
    assert_eq!(value(audited, "newValue")["format"], "CSV", "{audited}");

    // The requested page only, and the other formats.
    let (s, _, _, bytes) = export(
        json!({"exportType": "csv", "reportAllPages": false, "pageNumber": 1, "pageSize": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(parse_csv(&bytes).1.len(), 2, "one page of two rows");
    for (kind, content) in [("Excel", "spreadsheetml"), ("PDF", "application/pdf")] {
        let (s, ct, cd, bytes) = export(json!({"exportType": kind, "reportAllPages": true})).await;
        assert_eq!(s, StatusCode::OK, "{kind}");
        assert!(ct.contains(content), "{kind}: {ct}");
        assert!(cd.contains("Audit Logs."), "{kind}: {cd}");
        assert!(bytes.len() > 100, "{kind}");
    }
    // A companies export is audited too (in the company whose subtree was listed).
    let resp = srv
        .http
        .post(srv.url("/api/companies/search/export"))
        .bearer_auth(&root)
        .json(&json!({"exportType": "Excel", "reportAllPages": true}))
        .send()
        .await
        .expect("companies export");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.bytes().await.expect("file");
    let rows = wait_for(&srv, &root, None, "the companies export's row", |rows| {
        rows.iter()
            .any(|r| r["operation"] == "Export" && r["entityName"] == "Company")
    })
    .await;
    let audited = one(&rows, "Export", "Company", None);
    assert_eq!(value(audited, "newValue")["rowCount"], 1, "Acme: {audited}");
    assert_eq!(value(audited, "newValue")["format"], "Excel", "{audited}");
    assert_eq!(
        value(audited, "newValue")["companyResourceId"],
        srv.root_company.as_str()
    );

    let (s, _, _, bytes) = export(json!({"exportType": "docx"})).await;
    let b: Value = serde_json::from_slice(&bytes).expect("an error envelope");
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
}

/// Loads `n` rows `age_days` old into company (`id`, `path`), described as `what`.
async fn load_aged(srv: &TestServer, company: (i64, &str), n: i64, age_days: i64, what: &str) {
    let now = chrono::Utc::now().timestamp_millis();
    for i in 0..n {
        let e = event(
            Some(company),
            now - age_days * DAY - i,
            "loader",
            Operation::Update,
            Entity::TargetUser,
            what,
        );
        srv.store.record_audit(&e).await.expect("record");
    }
}

/// Rows described as `what`, counted in the database.
async fn count_described(srv: &TestServer, what: &str) -> i64 {
    let store = open_store(srv).await;
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE description = $1")
        .bind(what)
        .fetch_one(store.pool())
        .await
        .expect("count")
        .get(0);
    store.close().await;
    n
}

/// Waits (30 s at most) until no row is described as `what`.
async fn wait_gone(srv: &TestServer, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = count_described(srv, what).await;
        if n == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{n} '{what}' rows left after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Rows older than `audit_retention_days` go: at start and then every interval, in batches;
/// 0 keeps everything.
async fn retention_removes_old_rows(engine: Engine) {
    let Some(srv) = TestServer::start_with(engine, |c| c.audit_retention_days = 0).await else {
        return;
    };
    let root = srv.root_token().await;
    let acme = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "Acme"}))
        .await;
    let (cid, path) = internal_id(&srv, &acme).await;
    let company = (cid, path.as_str());

    // The purge itself (its clock is a parameter): more rows than one batch, and only the
    // rows past the limit.
    load_aged(&srv, company, 1_100, 40, "old").await;
    load_aged(&srv, company, 3, 20, "recent").await;
    let now = chrono::Utc::now().timestamp_millis();
    let purged = rollcall_server::audit::purge_expired(&srv.store, 30, now)
        .await
        .expect("purge");
    assert_eq!(purged, 1_100);
    assert_eq!(count_described(&srv, "old").await, 0);
    assert_eq!(count_described(&srv, "recent").await, 3);

    // Two replicas purging at once share the work: each row goes once, neither fails.
    load_aged(&srv, company, 2_500, 40, "shared").await;
    let other = open_store(&srv).await;
    let now = chrono::Utc::now().timestamp_millis();
    let (a, b) = tokio::join!(
        rollcall_server::audit::purge_expired(&srv.store, 30, now),
        rollcall_server::audit::purge_expired(&other, 30, now),
    );
    other.close().await;
    assert_eq!(
        a.expect("first replica") + b.expect("second replica"),
        2_500
    );
    assert_eq!(count_described(&srv, "shared").await, 0);

    // 0 keeps everything: a start runs no purge.
    load_aged(&srv, company, 5, 4_000, "ancient").await;
    let srv = srv.restart_with(|c| c.audit_retention_days = 0).await;
    let root = srv.root_token().await;
    assert!(
        total_rows(&srv, &root).await > 8,
        "the restarted server reads the old rows"
    );
    assert_eq!(
        count_described(&srv, "ancient").await,
        5,
        "retention 0 keeps every row"
    );

    // With a limit, the task purges at start, then again every interval.
    let srv = srv
        .restart_with(|c| {
            c.audit_retention_days = 30;
            c.audit_retention_interval = Duration::from_millis(200);
        })
        .await;
    wait_gone(&srv, "ancient").await;
    // Rows that expire while the server runs go on a later run.
    load_aged(&srv, company, 1_050, 31, "later").await;
    wait_gone(&srv, "later").await;
    assert_eq!(
        count_described(&srv, "recent").await,
        3,
        "rows within 30 days stay"
    );
    let root = srv.root_token().await;
    let rows = rows_of(&srv, &root, Some(&acme), everything()).await;
    one(&rows, "Create", "Company", Some(&acme));
}

both_engines!(
    each_action_is_recorded,
    refused_changes_leave_no_row,
    readers_see_their_companies_only,
    filters_and_order,
    export_files,
    retention_removes_old_rows,
    token_requests_are_recorded,
    a_secret_typed_as_client_id_leaves_no_trace,
    excel_export_survives_any_user_agent,
    a_large_filter_is_cut_in_the_log,
);

/// Token requests (`POST /connect/token` calls `rollcall_server::audit::record_token_*`):
/// issued and refused tokens are recorded with the client, its company and the address; a
/// refused unknown id belongs to no company and only the root reseller reads it; no token
/// appears anywhere.
async fn token_requests_are_recorded(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let res_a = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "ResA"}))
        .await;
    let (a_id, a_secret) = srv.create_client(&root, &res_a, "Reseller").await;
    let token_a = srv.token(&a_id, &a_secret).await;
    let form = |id: &'static str, secret: &'static str| {
        [
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "api1"),
        ]
    };
    let (s, _) = srv.token_request(&form(ROOT_ID, "wrong-secret")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = srv
        .token_request(&form("nobody-here", "whatever-secret"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let rows = rows_of(&srv, &root, None, everything()).await;
    let root_client = srv
        .client_resource_id(&root, &srv.root_company, ROOT_ID)
        .await;
    let issued = one(&rows, "TokenIssued", "Token", Some(&root_client));
    assert_eq!(issued["userName"], ROOT_ID, "{issued}");
    assert_eq!(issued["ip"], "127.0.0.1", "{issued}");
    let failed: Vec<&Value> = rows
        .iter()
        .filter(|r| r["operation"] == "TokenFailed")
        .collect();
    let reason = |r: &Value| value(r, "newValue")["reason"].clone();
    assert!(
        failed
            .iter()
            .any(|r| r["userName"] == ROOT_ID && reason(r) == "wrong client_secret"),
        "{failed:#?}"
    );
    assert!(
        failed
            .iter()
            .any(|r| r["userName"] == "nobody-here" && reason(r) == "unknown client_id"),
        "the unknown id, for the root reseller: {failed:#?}"
    );
    let seen_a = rows_of(&srv, &token_a, None, everything()).await;
    assert!(
        seen_a
            .iter()
            .any(|r| r["operation"] == "TokenIssued" && r["userName"] == a_id.as_str()),
        "ResA sees its own token: {seen_a:#?}"
    );
    assert!(
        !seen_a.iter().any(|r| r["operation"] == "TokenFailed"
            || (r["operation"] == "TokenIssued" && r["userName"] == ROOT_ID)),
        "ResA sees neither the unknown id nor the root's token requests: {seen_a:#?}"
    );
    let store = open_store(&srv).await;
    for cell in raw_text(&store).await {
        for needle in [&root, &token_a, &a_secret] {
            assert!(!cell.contains(needle.as_str()), "{cell}");
        }
        assert!(!cell.contains("wrong-secret") && !cell.contains("whatever-secret"));
    }
    store.close().await;
}

/// A client's id and secret swapped in a token request: the secret (43 characters, longer than
/// any client id) is named in the row only by its length, in no column at all.
async fn a_secret_typed_as_client_id_leaves_no_trace(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let (s, b) = srv
        .get(
            "/api/companies/clients/generate-client-credentials",
            &root,
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (id, secret) = (
        b["data"]["clientId"].as_str().expect("clientId").to_owned(),
        b["data"]["clientSecret"]
            .as_str()
            .expect("clientSecret")
            .to_owned(),
    );
    let acme = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "Acme"}))
        .await;
    let (s, b) = srv
        .post(
            "/api/companies/clients",
            &root,
            json!({"name": "swapped", "clientId": id, "clientSecret": secret,
                "statusId": 1, "roleResourceIdList": ["RoleReseller"]}),
            &[(SCOPE, &acme)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &secret),
            ("client_secret", &id),
            ("scope", "api1"),
        ])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");

    let rows = rows_of(&srv, &root, None, everything()).await;
    let refused = one(&rows, "TokenFailed", "Token", None);
    let n = secret.chars().count();
    assert!(n > 32, "a generated secret is longer than a client id: {n}");
    assert_eq!(
        refused["userName"],
        format!("(an unknown id of {n} characters)"),
        "{refused}"
    );
    assert_eq!(value(refused, "newValue")["reason"], "unknown client_id");
    let store = open_store(&srv).await;
    let text = raw_text(&store).await;
    store.close().await;
    assert!(text.len() > 20, "the table was read: {}", text.len());
    let needle = secret.to_lowercase();
    for cell in &text {
        assert!(
            !cell.to_lowercase().contains(&needle),
            "an audit column holds the secret: {cell}"
        );
    }
}

/// Whether `c` may appear in an XML 1.0 document (its `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// A `User-Agent` may carry U+FFFE and U+FFFF as raw bytes (HTTP allows any byte above 0x7F in
/// a header), and XML cannot hold them: the row stores spaces instead, and the Excel export of
/// the log stays a valid workbook, also for rows stored before (written here straight through
/// the store).
async fn excel_export_survives_any_user_agent(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let acme = srv
        .create_company(&root, Some(&srv.root_company), json!({"name": "Acme"}))
        .await;
    let raw = reqwest::header::HeaderValue::from_bytes(b"probe\xef\xbf\xbe/1.0 \xef\xbf\xbf(x)")
        .expect("header bytes");
    let resp = srv
        .http
        .post(srv.url("/api/target-users"))
        .bearer_auth(&root)
        .header(SCOPE, &acme)
        .header(reqwest::header::USER_AGENT, raw)
        .json(&json!({"email": "ua@acme.test"}))
        .send()
        .await
        .expect("create");
    assert_eq!(resp.status(), StatusCode::OK);
    let user = id_of(&resp.json().await.expect("JSON"));
    let (cid, path) = internal_id(&srv, &acme).await;
    let mut old = event(
        Some((cid, path.as_str())),
        chrono::Utc::now().timestamp_millis(),
        "loader",
        Operation::Update,
        Entity::TargetUser,
        "an older row",
    );
    old.actor.user_agent = Some("old\u{fffe}agent\u{ffff}".into());
    srv.store.record_audit(&old).await.expect("record");

    let rows = rows_of(&srv, &root, Some(&acme), everything()).await;
    let created = one(&rows, "Create", "TargetUser", Some(&user));
    assert_eq!(created["userAgent"], "probe /1.0  (x)", "{created}");

    let resp = srv
        .http
        .post(srv.url(EXPORT))
        .bearer_auth(&root)
        .header(SCOPE, &acme)
        .json(&json!({"exportType": "Excel", "reportAllPages": true}))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.expect("file").to_vec();
    // Every part of the package holds only characters XML allows.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).expect("a zip");
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).expect("part");
        let name = format!("{:?}", part.name());
        let mut text = String::new();
        std::io::Read::read_to_string(&mut part, &mut text).expect("UTF-8");
        if let Some(bad) = text.chars().find(|c| !xml_char(*c)) {
            panic!("{name} holds U+{:04X}, which XML forbids", u32::from(bad));
        }
    }
    use calamine::{Data, Reader, Xlsx};
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).expect("calamine opens it");
    let range = book.worksheet_range("Sheet1").expect("sheet");
    let all: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    let header: Vec<String> = all[0].iter().map(|d| d.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let agents: BTreeSet<String> = all[1..]
        .iter()
        .map(|r| r[col("User Agent")].to_string())
        .collect();
    assert!(agents.contains("probe /1.0  (x)"), "{agents:?}");
    assert!(
        agents.contains("old\u{fffe}agent\u{ffff}"),
        "the older row reads back as stored: {agents:?}"
    );
}

/// An export's filter can be as long as a request body; its audit row keeps the first 2,000
/// characters of it, marked as cut.
async fn a_large_filter_is_cut_in_the_log(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let items: Vec<Value> = (0..100)
        .map(|i| {
            json!({"fieldName": "AuditDescription", "operator": "Contains",
                "value": format!("{i:03}{}", "z".repeat(997))})
        })
        .collect();
    let mut body = filtered(json!([{"fieldName": "UserName", "operator": "=", "value": "x"}]));
    body["filter"]["filterGroups"][0]["filterItems"] = Value::Array(items);
    body["filter"]["filterGroups"][0]["condition"] = json!("OR");
    body["exportType"] = json!("CSV");
    let resp = srv
        .http
        .post(srv.url(EXPORT))
        .bearer_auth(&root)
        .json(&body)
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, file) = parse_csv(&resp.bytes().await.expect("file"));
    assert!(file.is_empty(), "nothing matches: {file:?}");
    let rows = wait_for(&srv, &root, None, "the export's row", |rows| {
        rows.iter().any(|r| r["entityName"] == "AuditLog")
    })
    .await;
    let audited = one(&rows, "Export", "AuditLog", None);
    let filter = value(audited, "newValue")["filter"]
        .as_str()
        .expect("filter")
        .to_owned();
    assert!(filter.starts_with("Filter: "), "{filter}");
    assert!(filter.contains("000zzz"), "{filter}");
    assert!(
        !filter.contains("002zzz"),
        "the third item is past the cut: {filter}"
    );
    assert!(filter.contains("characters in all)"), "{filter}");
    assert!(filter.chars().count() < 2_100, "{}", filter.chars().count());
    let description = audited["auditDescription"].as_str().expect("description");
    assert!(description.chars().count() < 2_300, "{description}");
    // No column of any row holds more than a few thousand characters.
    let store = open_store(&srv).await;
    let longest = raw_text(&store)
        .await
        .iter()
        .map(|c| c.chars().count())
        .max();
    store.close().await;
    assert!(longest.is_some_and(|n| n < 2_500), "{longest:?}");
}
