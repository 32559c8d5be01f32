//! Allowed domains (`/api/allow-list`) through HTTP on both engines, with a DNS server on
//! loopback answering the TXT look-ups: adding (Keepnet's multipart form and JSON), searching,
//! exporting, deleting, verifying by DNS (found, missing, wrong value, no answer), marking as
//! verified, the roles, and the target-user flag and filter.

use std::time::Duration;

use crate::common::dns::{silent_dns, TestDns};
use crate::common::{assert_error, message, Engine, TestServer, SCOPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const ADD: &str = "/api/allow-list";
const SEARCH: &str = "/api/allow-list/search";

/// A server (with `tweak` applied) and a customer company below the root with a Company Admin
/// client: (server, root token, company, its admin's token).
async fn customer(
    engine: Engine,
    tweak: impl FnOnce(&mut rollcall_server::Config),
) -> Option<(TestServer, String, String, String)> {
    let srv = TestServer::start_with(engine, tweak).await?;
    let root = srv.root_token().await;
    let company = srv
        .create_company(&root, Some(&srv.root_company), json!({"Name": "Customer"}))
        .await;
    let (id, secret) = srv.create_client(&root, &company, "Company Admin").await;
    let admin = srv.token(&id, &secret).await;
    Some((srv, root, company, admin))
}

/// `POST /api/allow-list` as Keepnet's UI sends it: a multipart form.
async fn add_form(
    srv: &TestServer,
    token: &str,
    company: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    let resp = srv
        .http
        .post(srv.url(ADD))
        .bearer_auth(token)
        .header(SCOPE, company)
        .multipart(form)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.expect("JSON reply"))
}

/// Adds one domain with `txt` (or a new value) and returns its resource id.
async fn add_one(srv: &TestServer, token: &str, company: &str, domain: &str, txt: &str) -> String {
    let mut fields = vec![("Domain", domain)];
    if !txt.is_empty() {
        fields.push(("TxtRecord", txt));
    }
    let (status, body) = add_form(srv, token, company, &fields).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned()
}

/// The company's rows, by domain, as `POST /api/allow-list/search` returns them (ascending).
async fn rows(srv: &TestServer, token: &str, company: &str) -> Vec<Value> {
    let (status, body) = srv
        .post(
            SEARCH,
            token,
            json!({"pageSize": 100, "orderBy": "Domain", "ascending": true}),
            &[(SCOPE, company)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn domains(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["domain"].as_str().unwrap_or_default())
        .collect()
}

async fn txt_value(srv: &TestServer, token: &str, company: &str) -> String {
    let (status, body) = srv
        .post(
            "/api/allow-list/txt-record",
            token,
            json!({}),
            &[(SCOPE, company)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_str().expect("a TXT value").to_owned()
}

async fn verify(srv: &TestServer, token: &str, company: &str, id: &str) -> (StatusCode, Value) {
    srv.post(
        &format!("/api/allow-list/verify/{id}"),
        token,
        json!({}),
        &[(SCOPE, company)],
    )
    .await
}

async fn string_list(srv: &TestServer, token: &str, company: &str, which: &str) -> Vec<String> {
    let (status, body) = srv
        .get(
            &format!("/api/allow-list/search/{which}"),
            token,
            &[(SCOPE, company)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body["data"].clone()).expect("a list of domains")
}

async fn adds_searches_and_deletes(engine: Engine) {
    let Some((srv, root, company, admin)) = customer(engine, |_| {}).await else {
        return;
    };
    // Keepnet's form: one domain, normalised; no TxtRecord, so a new one is made.
    let (status, body) = add_form(&srv, &admin, &company, &[("Domain", " Example.COM. ")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Domain added.");
    let example = body["data"]["resourceId"].as_str().expect("id").to_owned();
    // JSON with several domains and the value the TXT endpoint gave.
    let txt = txt_value(&srv, &admin, &company).await;
    let (status, body) = srv
        .post(
            ADD,
            &admin,
            json!({"Domains": ["b.example", "c.example, d.example"], "TxtRecord": txt}),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "3 domains added.");

    // Refusals, each saying what to fix, and nothing added.
    let (status, body) = add_form(&srv, &admin, &company, &[("Domain", "EXAMPLE.com")]).await;
    assert_error(status, &body, StatusCode::CONFLICT, "CONFLICT");
    assert!(message(&body).contains("already"), "{body}");
    let (status, body) = add_form(
        &srv,
        &admin,
        &company,
        &[("Domain", "ok.example,ann@x.example,localhost")],
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let problems = body["validationMessages"].to_string();
    assert!(problems.contains("after the '@'"), "{body}");
    assert!(problems.contains("'localhost' is not a domain"), "{body}");
    let (status, body) = add_form(&srv, &admin, &company, &[("Domain", "")]).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&body).contains("Domain is required"), "{body}");
    // A TXT value issued to another company (TXT records are public) is refused.
    let other = srv
        .create_company(&root, Some(&srv.root_company), json!({"Name": "Other"}))
        .await;
    let foreign = txt_value(&srv, &root, &other).await;
    let (status, body) = add_form(
        &srv,
        &admin,
        &company,
        &[("Domain", "e.example"), ("TxtRecord", &foreign)],
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(
        message(&body).contains("not issued for this company"),
        "{body}"
    );

    let list = rows(&srv, &admin, &company).await;
    assert_eq!(
        domains(&list),
        ["b.example", "c.example", "d.example", "example.com"]
    );
    for r in &list {
        assert_eq!(r["status"], "Unverified", "{r}");
        assert_eq!(r["verifyType"], 0, "{r}");
        assert!(
            r["verifyTime"].is_null() && r["lastCheckTime"].is_null(),
            "{r}"
        );
    }
    assert_eq!(list[0]["txtRecord"], txt.as_str());
    assert_ne!(list[3]["txtRecord"], txt.as_str());
    assert!(list[3]["txtRecord"]
        .as_str()
        .is_some_and(|t| t.starts_with("rollcall-domain-verification=")));

    // Keepnet's search body: a filter, paging, sorting.
    let (status, body) = srv
        .post(
            SEARCH,
            &admin,
            json!({"filter": {"FilterGroups": [{"Condition": "AND", "FilterItems": [
                    {"FieldName": "Domain", "Operator": "Contains", "Value": ".EXAMPLE"},
                    {"FieldName": "Status", "Operator": "Include", "value": "Unverified"}]}]},
                   "pageNumber": 2, "pageSize": 2, "orderBy": "Domain", "ascending": false}),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["totalNumberOfRecords"], 3, "{body}");
    assert_eq!(body["data"]["totalNumberOfPages"], 2, "{body}");
    assert_eq!(
        domains(body["data"]["results"].as_array().expect("rows")),
        ["b.example"]
    );
    let (status, body) = srv
        .post(
            SEARCH,
            &admin,
            json!({"filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "Colour", "Operator": "=", "Value": "x"}]}]}}),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&body).contains("Colour"), "{body}");

    // Delete: all or none.
    let b = list[0]["allowListResourceId"]
        .as_str()
        .expect("id")
        .to_owned();
    let (status, body) = srv
        .call(
            Method::DELETE,
            ADD,
            &admin,
            Some(json!({"resourceIds": [b, "NoSuchDomain"]})),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert!(message(&body).contains("'NoSuchDomain'"), "{body}");
    assert_eq!(rows(&srv, &admin, &company).await.len(), 4);
    let (status, body) = srv
        .call(
            Method::DELETE,
            ADD,
            &admin,
            Some(json!({"ResourceIds": [b, example]})),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "2 domains deleted.");
    assert_eq!(
        domains(&rows(&srv, &admin, &company).await),
        ["c.example", "d.example"]
    );
    let (status, body) = srv
        .call(
            Method::DELETE,
            ADD,
            &admin,
            Some(json!({"resourceIds": []})),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");

    // Every write is in the audit trail.
    let (status, body) = srv
        .post(
            "/api/audit-logs/search",
            &admin,
            json!({"pageSize": 50, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "EntityName", "Operator": "=", "Value": "AllowList"}]}]}}),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = body["data"]["results"].to_string();
    assert_eq!(
        body["data"]["totalNumberOfRecords"], 6,
        "4 adds, 2 deletes: {body}"
    );
    assert!(
        text.contains("Added allowed domain 'example.com'"),
        "{text}"
    );
    assert!(
        text.contains("Deleted allowed domain 'b.example'"),
        "{text}"
    );
}

async fn verifies_through_dns(engine: Engine) {
    let dns = TestDns::start().await;
    let resolver = dns.addr;
    let Some((srv, _root, company, admin)) = customer(engine, |c| {
        c.dns_resolver = Some(resolver);
        c.dns_timeout = Duration::from_secs(3);
    })
    .await
    else {
        return;
    };
    let txt = txt_value(&srv, &admin, &company).await;
    let id = add_one(&srv, &admin, &company, "Acme.example", &txt).await;
    let publish = format!("publish a TXT record at acme.example with the value {txt}");

    // The name does not exist yet.
    let (status, body) = verify(&srv, &admin, &company, &id).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&body).contains("does not exist in DNS"), "{body}");
    assert!(message(&body).contains(&publish), "{body}");
    // It exists, without a TXT record.
    dns.set_txt("acme.example", &[]);
    let (status, body) = verify(&srv, &admin, &company, &id).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&body).contains("has no TXT record"), "{body}");
    assert!(message(&body).contains(&publish), "{body}");
    // TXT records, but not this value.
    dns.set_txt(
        "acme.example",
        &["v=spf1 -all", "rollcall-domain-verification=someone-else"],
    );
    let (status, body) = verify(&srv, &admin, &company, &id).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(
        message(&body).contains("none with this domain's value"),
        "{body}"
    );
    assert!(message(&body).contains("'v=spf1 -all'"), "{body}");
    assert!(message(&body).contains(&publish), "{body}");
    let row = &rows(&srv, &admin, &company).await[0];
    assert_eq!(row["status"], "Unverified", "{row}");
    assert!(
        row["lastCheckTime"].is_string(),
        "a failed check is still a check: {row}"
    );
    assert!(string_list(&srv, &admin, &company, "verified")
        .await
        .is_empty());

    // Published: verified.
    dns.set_txt("acme.example", &["v=spf1 -all", &txt]);
    let (status, body) = verify(&srv, &admin, &company, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Domain verified.");
    let d = &body["data"];
    assert_eq!(d["resourceId"], id.as_str());
    assert_eq!(d["domain"], "acme.example");
    assert_eq!(d["status"], 1);
    assert_eq!(d["verifyType"], 1);
    assert!(d["verifyTime"].is_string(), "{d}");
    let row = &rows(&srv, &admin, &company).await[0];
    assert_eq!(row["status"], "Verified", "{row}");
    assert_eq!(row["verifyType"], 1, "{row}");
    assert_eq!(
        string_list(&srv, &admin, &company, "verified").await,
        ["acme.example"]
    );
    assert!(string_list(&srv, &admin, &company, "unverified")
        .await
        .is_empty());

    // The record removed later: the check fails and says so, and the domain stays verified.
    dns.set_txt("acme.example", &[]);
    let (status, body) = verify(&srv, &admin, &company, &id).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&body).contains("stays verified"), "{body}");
    assert_eq!(rows(&srv, &admin, &company).await[0]["status"], "Verified");

    // Another company's domain id is not found here.
    let (status, body) = verify(&srv, &admin, &company, "NoSuchDomain").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
}

async fn a_silent_resolver_is_a_clear_error(engine: Engine) {
    let (_socket, silent) = silent_dns().await;
    let Some((srv, _root, company, admin)) = customer(engine, |c| {
        c.dns_resolver = Some(silent);
        c.dns_timeout = Duration::from_millis(400);
    })
    .await
    else {
        return;
    };
    let id = add_one(&srv, &admin, &company, "quiet.example", "").await;
    let started = std::time::Instant::now();
    let (status, body) = verify(&srv, &admin, &company, &id).await;
    assert_error(
        status,
        &body,
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
    );
    assert!(
        message(&body).contains("quiet.example did not answer within 0.4 s"),
        "{body}"
    );
    assert!(message(&body).contains("--dns-resolver"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by the timeout"
    );
    // Nothing changed: no check recorded, still unverified.
    let row = &rows(&srv, &admin, &company).await[0];
    assert_eq!(row["status"], "Unverified", "{row}");
    assert!(row["lastCheckTime"].is_null(), "{row}");
}

async fn roles_and_scope(engine: Engine) {
    let Some((srv, root, company, admin)) = customer(engine, |_| {}).await else {
        return;
    };
    let other = srv
        .create_company(&root, Some(&srv.root_company), json!({"Name": "Other"}))
        .await;
    // A Company Admin manages its own list without naming its company.
    let (status, body) = srv
        .post(ADD, &admin, json!({"domain": "own.example"}), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let own = body["data"]["resourceId"].as_str().expect("id").to_owned();
    // ... and no other company's.
    let (status, body) = srv
        .post(
            ADD,
            &admin,
            json!({"domain": "x.example"}),
            &[(SCOPE, other.as_str())],
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, body) = srv
        .get(
            "/api/allow-list/search/unverified",
            &admin,
            &[(SCOPE, other.as_str())],
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    // Only a Reseller marks a domain as verified.
    let mark = format!("/api/allow-list/mark-as-verified/{own}");
    let (status, body) = srv
        .put(&mark, &admin, json!({}), &[(SCOPE, company.as_str())])
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    // A Reseller's write names its company.
    let (status, body) = srv.put(&mark, &root, json!({}), &[]).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    // The id of one company's domain under another company's scope: not found.
    let (status, body) = srv
        .put(&mark, &root, json!({}), &[(SCOPE, other.as_str())])
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (status, body) = srv
        .call(
            Method::DELETE,
            ADD,
            &root,
            Some(json!({"resourceIds": [own]})),
            &[(SCOPE, other.as_str())],
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    // The Reseller marks it in its company's scope.
    let (status, body) = srv
        .put(&mark, &root, json!({}), &[(SCOPE, company.as_str())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Domain marked as verified.");
    assert_eq!(body["data"]["resourceId"], own.as_str());
    let row = &rows(&srv, &admin, &company).await[0];
    assert_eq!(row["status"], "Verified", "{row}");
    assert_eq!(row["verifyType"], 2, "{row}");
    // A reader of the other company sees none of it.
    assert!(rows(&srv, &root, &other).await.is_empty());
    // No token: 401.
    let (status, body) = srv.get("/api/allow-list/search/verified", "", &[]).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
}

async fn target_users_carry_the_flag_and_filter(engine: Engine) {
    let Some((srv, root, company, admin)) = customer(engine, |_| {}).await else {
        return;
    };
    let user = |email: &str| json!({"email": email, "firstName": "F", "lastName": "L"});
    let mut ids = std::collections::HashMap::new();
    for email in [
        "ann@verified.example",
        "bo@other.example",
        "Cy@VERIFIED.Example",
        "di@pending.example",
    ] {
        let id = srv.create_user(&admin, &company, user(email)).await;
        ids.insert(email.to_lowercase(), id);
    }
    let verified = add_one(&srv, &admin, &company, "verified.example", "").await;
    add_one(&srv, &admin, &company, "pending.example", "").await;
    let (status, body) = srv
        .put(
            &format!("/api/allow-list/mark-as-verified/{verified}"),
            &root,
            json!({}),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let search = |filter: Value| {
        let srv = &srv;
        let admin = admin.clone();
        let company = company.clone();
        async move {
            let (status, body) = srv
                .post(
                    "/api/target-users/search",
                    &admin,
                    json!({"filter": filter, "pageSize": 50, "orderBy": "Email", "ascending": true}),
                    &[(SCOPE, company.as_str())],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["data"]["results"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    (
                        r["email"].as_str().unwrap_or_default().to_lowercase(),
                        r["isDomainVerified"].as_bool().expect("isDomainVerified"),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        search(Value::Null).await,
        [
            ("ann@verified.example".to_owned(), true),
            ("bo@other.example".to_owned(), false),
            ("cy@verified.example".to_owned(), true),
            ("di@pending.example".to_owned(), false),
        ]
    );
    let item = |op: &str, value: Value| {
        json!({"FilterGroups": [{"Condition": "AND", "FilterItems": [
            {"FieldName": "IsDomainVerified", "Operator": op, "Value": value}]}]})
    };
    let unverified = [
        ("bo@other.example".to_owned(), false),
        ("di@pending.example".to_owned(), false),
    ];
    assert_eq!(search(item("=", json!(false))).await, unverified);
    assert_eq!(search(item("!=", json!(true))).await, unverified);
    let on_verified = search(item("Include", json!("true"))).await;
    assert_eq!(on_verified.len(), 2, "{on_verified:?}");
    assert!(on_verified.iter().all(|(_, v)| *v));
    // Ored with another field, inside a group.
    let either = search(json!({"FilterGroups": [{"Condition": "OR", "FilterItems": [
        {"FieldName": "IsDomainVerified", "Operator": "=", "Value": "true"},
        {"FieldName": "Email", "Operator": "Contains", "Value": "bo@"}]}]}))
    .await;
    assert_eq!(either.len(), 3, "{either:?}");
    // Not a sort key.
    let (status, body) = srv
        .post(
            "/api/target-users/search",
            &admin,
            json!({"orderBy": "IsDomainVerified"}),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");

    // The export reads the same filter (its own cursor on each engine).
    let resp = srv
        .http
        .post(srv.url("/api/target-users/search/export?bom=false"))
        .bearer_auth(&admin)
        .header(SCOPE, company.as_str())
        .json(&json!({"exportType": "CSV", "reportAllPages": true,
                      "filter": item("=", json!(false))}))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.expect("csv");
    assert_eq!(csv.lines().count(), 3, "header and two users: {csv}");
    assert!(csv.contains("bo@other.example") && csv.contains("di@pending.example"));

    // The UI's warning list: live users' and listed domains that are not verified.
    assert_eq!(
        string_list(&srv, &admin, &company, "unverified").await,
        ["other.example", "pending.example"]
    );
    assert_eq!(
        string_list(&srv, &admin, &company, "verified").await,
        ["verified.example"]
    );
    let (status, body) = srv
        .delete(
            &format!("/api/target-users/{}", ids["bo@other.example"]),
            &admin,
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        string_list(&srv, &admin, &company, "unverified").await,
        ["pending.example"]
    );
    // A user's domain follows its email.
    let (status, body) = srv
        .put(
            &format!("/api/target-users/{}", ids["di@pending.example"]),
            &admin,
            user("di@verified.example"),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Left: the deleted user (still listed, CONTRACT.md), whose domain is not verified.
    assert_eq!(
        search(item("=", json!(false))).await,
        [("bo@other.example".to_owned(), false)]
    );
    // `selectAll` bulk deletes read the filter too: the users on verified domains only.
    let (status, body) = srv
        .call(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            &admin,
            Some(json!({"selectAll": true, "filter": item("=", json!(true))})),
            &[(SCOPE, company.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["deletedCount"], 3,
        "ann, cy and di (now on verified.example): {body}"
    );
}

async fn exports_the_list(engine: Engine) {
    let Some((srv, _root, company, admin)) = customer(engine, |_| {}).await else {
        return;
    };
    for d in ["b.example", "a.example", "=cmd.example"] {
        let (status, body) = srv
            .post(
                ADD,
                &admin,
                json!({"domain": d}),
                &[(SCOPE, company.as_str())],
            )
            .await;
        if d.starts_with('=') {
            // Not a domain, so never a formula in a file either.
            assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
        } else {
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    let export = |body: Value| {
        let srv = &srv;
        let admin = admin.clone();
        let company = company.clone();
        async move {
            srv.http
                .post(srv.url("/api/allow-list/search/export?bom=false"))
                .bearer_auth(&admin)
                .header(SCOPE, company.as_str())
                .json(&body)
                .send()
                .await
                .expect("export")
        }
    };
    let resp = export(json!({"exportType": "csv", "reportAllPages": true,
                             "orderBy": "Domain", "ascending": true}))
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .split(';')
            .nth(1)
            .map(str::trim),
        Some("filename=\"Allowed Domains.csv\"")
    );
    let csv = resp.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Domain,Status,TXT Record,Verified By,Verified,Last Check,Created,Resource Id"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with("a.example,Unverified,rollcall-domain-verification="));
    assert!(lines[2].starts_with("b.example,Unverified,"));
    // One page only unless reportAllPages.
    let resp = export(json!({"exportType": "CSV", "pageSize": 1, "orderBy": "Domain"})).await;
    let csv = resp.text().await.expect("csv");
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("b.example"), "{csv}");
    for (kind, content_type) in [
        (
            "Excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("PDF", "application/pdf"),
    ] {
        let resp = export(json!({"exportType": kind, "reportAllPages": true})).await;
        assert_eq!(resp.status(), StatusCode::OK, "{kind}");
        assert_eq!(resp.headers()["content-type"], content_type);
        assert!(!resp.bytes().await.expect("file").is_empty());
    }
    let resp = export(json!({"exportType": "docx"})).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

both_engines!(
    adds_searches_and_deletes,
    verifies_through_dns,
    a_silent_resolver_is_a_clear_error,
    roles_and_scope,
    target_users_carry_the_flag_and_filter,
    exports_the_list,
);
