//! Account privacy (issue #13): a customer's Company Admin chooses whether its reseller may read
//! and change its data; the scope extractor enforces it on every customer-data endpoint.

use crate::common::{assert_error, message, Engine, TestServer, SCOPE};
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use rollcall_store::{Actor, Privacy};
use serde_json::{json, Value};

const SEARCH: &str = "/api/target-users/search";
const PRIVACY: &str = "/api/companies/privacy";

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().map(|s| {
        DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .with_timezone(&Utc)
    })
}

/// A customer below the root with one user and a Company Admin client; returns the customer's
/// id, the root token and the admin's token.
async fn customer(srv: &TestServer, body: Value) -> (String, String, String) {
    let root = srv.root_token().await;
    let id = srv.create_company(&root, None, body).await;
    srv.create_user(&root, &id, json!({"email": "ada@cust.example"}))
        .await;
    let (cid, secret) = srv.create_client(&root, &id, "Company Admin").await;
    let admin = srv.token(&cid, &secret).await;
    (id, root, admin)
}

/// The customer's row in the root's company search.
async fn row(srv: &TestServer, root: &str, id: &str) -> Value {
    let (s, b) = srv
        .post(
            "/api/companies/search",
            root,
            json!({"pageNumber": 1, "pageSize": 100}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["companyResourceId"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("the list still shows {id}: {b}"))
}

async fn set(srv: &TestServer, token: &str, id: Value) -> (StatusCode, Value) {
    srv.put(PRIVACY, token, json!({"PrivacyDurationId": id}), &[])
        .await
}

async fn reseller_search(srv: &TestServer, root: &str, id: &str) -> (StatusCode, Value) {
    srv.post(
        SEARCH,
        root,
        json!({"pageNumber": 1, "pageSize": 10}),
        &[(SCOPE, id)],
    )
    .await
}

/// A customer's own client searches its users, whatever its privacy setting.
async fn assert_own_search_works(srv: &TestServer, admin: &str) {
    let (s, b) = srv
        .post(SEARCH, admin, json!({"pageNumber": 1, "pageSize": 10}), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1, "{b}");
}

#[track_caller]
fn assert_privacy_refusal(status: StatusCode, body: &Value) {
    assert_error(status, body, StatusCode::FORBIDDEN, "PRIVACY_ERROR");
    let m = message(body);
    assert!(
        m.contains("has not granted its reseller access")
            && m.contains("PUT /api/companies/privacy"),
        "says why and what to do: {m}"
    );
}

async fn new_companies_grant_access(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let (id, root, admin) = customer(&srv, json!({"name": "Cust"})).await;
    let r = row(&srv, &root, &id).await;
    assert_eq!(r["privacyDurationId"], 1, "{r}");
    assert_eq!(r["privacyDurationStartTime"], Value::Null, "{r}");
    assert_eq!(r["privacyDurationEndTime"], Value::Null, "{r}");
    let (s, b) = srv.get(&format!("/api/companies/{id}"), &root, &[]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["privacyDurationId"], 1, "{b}");
    let (s, b) = srv.get("/api/companies/my", &root, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["data"][0]["children"][0]["privacyDurationId"], 1, "{b}");
    for token in [&admin, &root] {
        let (s, b) = srv.get(PRIVACY, token, &[(SCOPE, &id)]).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            b["data"],
            json!({"privacyDurationId": 1, "privacyDurationStartTime": null, "privacyDurationEndTime": null})
        );
    }
    let (s, b) = reseller_search(&srv, &root, &id).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1, "{b}");
}

async fn each_duration(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let (id, root, admin) = customer(&srv, json!({"name": "Cust"})).await;
    let hours = |h: i64| Some(h * 3_600_000);
    for (duration, length) in [
        (0, None),
        (2, hours(2)),
        (3, hours(8)),
        (4, hours(24)),
        (5, hours(24 * 7)),
        (1, None),
    ] {
        let before = Utc::now();
        let (s, b) = set(&srv, &admin, json!(duration)).await;
        assert_eq!(s, StatusCode::OK, "{duration}: {b}");
        assert_eq!(b["data"]["resourceId"], id.as_str());
        assert_eq!(b["message"], "Account privacy updated.");
        let (s, b) = srv.get(PRIVACY, &admin, &[]).await;
        assert_eq!(s, StatusCode::OK);
        let d = &b["data"];
        assert_eq!(d["privacyDurationId"], duration, "{b}");
        let (start, end) = (
            time(&d["privacyDurationStartTime"]),
            time(&d["privacyDurationEndTime"]),
        );
        match length {
            None => assert_eq!((start, end), (None, None), "{b}"),
            Some(ms) => {
                let (start, end) = (start.expect("start"), end.expect("end"));
                assert!(start >= before - chrono::Duration::seconds(1), "{b}");
                assert_eq!((end - start).num_milliseconds(), ms, "{b}");
            }
        }
        let r = row(&srv, &root, &id).await;
        assert_eq!(r["privacyDurationId"], duration, "{r}");
        let (s, b) = reseller_search(&srv, &root, &id).await;
        if duration == 0 {
            assert_privacy_refusal(s, &b);
        } else {
            assert_eq!(s, StatusCode::OK, "{duration}: {b}");
        }
        // The customer's own clients are never kept out.
        assert_own_search_works(&srv, &admin).await;
    }
    for bad in [json!(6), json!(-1), Value::Null] {
        let (s, b) = set(&srv, &admin, bad.clone()).await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
        assert!(message(&b).contains("privacyDurationId"), "{bad}: {b}");
    }
    // Each change is in the audit trail, old and new values included.
    let (s, b) = srv
        .post(
            "/api/audit-logs/search",
            &admin,
            json!({"pageNumber": 1, "pageSize": 50, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "EntityName", "Operator": "=", "Value": "Company"},
                {"FieldName": "Operation", "Operator": "=", "Value": "Update"}]}]}}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 6, "{b}");
    assert!(
        b["data"]["results"][0]["newValue"]
            .as_str()
            .is_some_and(|v| v.contains("\"privacyDurationId\":1")),
        "{b}"
    );
}

async fn only_the_company_chooses(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let (id, root, _admin) = customer(&srv, json!({"name": "Cust"})).await;
    // A reseller cannot open (or close) a customer's data for itself.
    let (s, b) = srv
        .put(
            PRIVACY,
            &root,
            json!({"privacyDurationId": 1}),
            &[(SCOPE, &id)],
        )
        .await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "FORBIDDEN");
    assert!(message(&b).contains("Company Admin"), "{b}");
    // Its own company's setting is its own (towards the company above it).
    let (s, b) = srv
        .put(PRIVACY, &root, json!({"privacyDurationId": 4}), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["resourceId"], srv.root_company.as_str());
    let (s, b) = srv.get(PRIVACY, &root, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["data"]["privacyDurationId"], 4, "{b}");
    // The report mask is not supported, and says so.
    for method in [Method::GET, Method::PUT] {
        let (s, b) = srv
            .call(
                method.clone(),
                "/api/companies/privacymask",
                &root,
                Some(json!({"pentesterMasked": true})),
                &[],
            )
            .await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
        assert!(message(&b).contains("not supported"), "{method}: {b}");
    }
}

/// Sets `id`'s privacy as the store would have at `hours_ago`, for a window of `length` hours.
async fn set_in_the_past(srv: &TestServer, id: &str, duration_id: i64, hours_ago: i64) {
    let company = srv
        .store
        .company_by_resource_id(id)
        .await
        .expect("read")
        .expect("company");
    let then = Utc::now().timestamp_millis() - hours_ago * 3_600_000;
    let privacy = Privacy::chosen(duration_id, then).expect("a duration");
    srv.store
        .set_company_privacy(company.id, &privacy, &Actor::system())
        .await
        .expect("set");
    srv.lookups.forget();
}

async fn ended_window_keeps_the_reseller_out(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let (id, root, admin) = customer(&srv, json!({"name": "Cust"})).await;
    let (cust_client, _) = srv.create_client(&root, &id, "Company Admin").await;
    let cust_client = srv.client_resource_id(&root, &id, &cust_client).await;
    // Two hours granted three hours ago: over an hour ago.
    set_in_the_past(&srv, &id, 2, 3).await;
    let r = row(&srv, &root, &id).await;
    assert_eq!(
        r["privacyDurationId"], 0,
        "an ended window reads as deny: {r}"
    );
    let end = time(&r["privacyDurationEndTime"]).expect("the end stays");
    assert!(end < Utc::now(), "{r}");
    let (s, b) = reseller_search(&srv, &root, &id).await;
    assert_privacy_refusal(s, &b);
    assert!(message(&b).contains("window it granted ended"), "{b}");
    // Every customer-data endpoint, reads and writes alike.
    let scoped = [(SCOPE, id.as_str())];
    let page = json!({"pageNumber": 1, "pageSize": 10, "exportType": "CSV"});
    let client_path = format!("/api/companies/clients/{cust_client}");
    let checks: Vec<(Method, &str, Option<Value>)> = vec![
        (
            Method::POST,
            "/api/target-users/search/export",
            Some(page.clone()),
        ),
        (Method::GET, "/api/target-users/count-summary", None),
        (
            Method::POST,
            "/api/target-users",
            Some(json!({"email": "x@cust.example"})),
        ),
        (
            Method::POST,
            "/api/companies/clients/search",
            Some(page.clone()),
        ),
        (
            Method::POST,
            "/api/companies/clients/search/export",
            Some(page.clone()),
        ),
        (Method::POST, "/api/audit-logs/search", Some(page.clone())),
        (Method::GET, &client_path, None),
        (Method::DELETE, &client_path, None),
    ];
    for (method, path, body) in checks {
        let (s, b) = srv.call(method.clone(), path, &root, body, &scoped).await;
        assert_eq!(b["status"], "PRIVACY_ERROR", "{method} {path}: {b}");
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    // The reseller still manages the company itself.
    let (s, b) = srv.get(&format!("/api/companies/{id}"), &root, &[]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["privacyDurationId"], 0, "{b}");
    // The customer itself is not affected, and a new grant lets the reseller back in.
    assert_own_search_works(&srv, &admin).await;
    set_in_the_past(&srv, &id, 2, 1).await;
    let (s, b) = reseller_search(&srv, &root, &id).await;
    assert_eq!(s, StatusCode::OK, "an hour into a two-hour window: {b}");
}

async fn expired_licence_lets_the_reseller_in(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let (id, root, admin) = customer(
        &srv,
        json!({"name": "Lapsed", "licenseStartDate": "2020-01-01", "licenseEndDate": "2021-01-01"}),
    )
    .await;
    let (s, b) = set(&srv, &admin, json!(0)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let r = row(&srv, &root, &id).await;
    assert_eq!(
        (r["privacyDurationId"].clone(), r["licenceExpired"].clone()),
        (json!(0), json!(true)),
        "{r}"
    );
    let (s, b) = reseller_search(&srv, &root, &id).await;
    assert_eq!(s, StatusCode::OK, "Keepnet's UI lets the reseller in: {b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], 1, "{b}");
    // Renewed: the denial applies again.
    let (s, b) = srv
        .put(
            &format!("/api/companies/{id}"),
            &root,
            json!({"licenseEndDate": "2099-01-01"}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = reseller_search(&srv, &root, &id).await;
    assert_privacy_refusal(s, &b);
}

/// The number of `TargetUser` audit rows the root reads from its own company down.
async fn user_rows_seen_by_root(srv: &TestServer, root: &str) -> i64 {
    let (s, b) = srv
        .post(
            "/api/audit-logs/search",
            root,
            json!({"pageNumber": 1, "pageSize": 100, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "EntityName", "Operator": "=", "Value": "TargetUser"}]}]}}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["totalNumberOfRecords"].as_i64().expect("total")
}

async fn closed_customers_leave_the_resellers_audit_log(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let (closed, root, admin) = customer(&srv, json!({"name": "Closed"})).await;
    let (open, _, _) = customer(&srv, json!({"name": "Open"})).await;
    srv.create_user(
        &root,
        &closed,
        json!({"email": "private.person@closed.example"}),
    )
    .await;
    assert_eq!(user_rows_seen_by_root(&srv, &root).await, 3);
    let (s, b) = set(&srv, &admin, json!(0)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The closed customer's rows (its users' emails among them) leave the reseller's log; the
    // open customer's stay, and the customer still reads its own.
    assert_eq!(user_rows_seen_by_root(&srv, &root).await, 1);
    let (s, b) = srv
        .post(
            "/api/audit-logs/search/export?bom=false",
            &root,
            json!({"exportType": "CSV", "reportAllPages": true}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let text = b.as_str().expect("a CSV file");
    assert!(
        !text.contains("ada@cust.example") || !text.contains(&closed),
        "{text}"
    );
    assert!(text.contains(&open), "{text}");
    let (s, b) = srv
        .post(
            "/api/audit-logs/search",
            &admin,
            json!({"pageNumber": 1, "pageSize": 100}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        b["data"]["results"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["entityName"] == "TargetUser")),
        "{b}"
    );
    // Granted again: back in the reseller's log.
    let (s, _) = set(&srv, &admin, json!(1)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(user_rows_seen_by_root(&srv, &root).await, 3);
}

both_engines!(
    closed_customers_leave_the_resellers_audit_log,
    new_companies_grant_access,
    each_duration,
    only_the_company_chooses,
    ended_window_keeps_the_reseller_out,
    expired_licence_lets_the_reseller_in,
);
