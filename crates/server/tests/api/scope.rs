//! Company scope: two resellers with separate trees never see each other, scope sources agree,
//! and Company Admins stay inside their own company.

use std::collections::BTreeSet;

use crate::common::{assert_error, message, result_ids, Engine, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Two reseller trees below the root:
/// `ResA -> {A1 -> A1a, A2}` and `ResB -> {B1 -> B1a}`, each with a Reseller client.
struct Trees {
    srv: TestServer,
    root: String,
    res_a: String,
    a1: String,
    a1a: String,
    a2: String,
    token_a: String,
    res_b: String,
    b1: String,
    b1a: String,
    token_b: String,
    b_client_rid: String,
}

async fn trees(engine: Engine) -> Option<Trees> {
    let srv = TestServer::start(engine).await?;
    let root = srv.root_token().await;
    let res_a = srv
        .create_company(&root, Some(&srv.root_company), json!({"Name": "ResA"}))
        .await;
    let res_b = srv
        .create_company(&root, Some(&srv.root_company), json!({"Name": "ResB"}))
        .await;
    let (a_id, a_secret) = srv.create_client(&root, &res_a, "Reseller").await;
    let (b_id, b_secret) = srv.create_client(&root, &res_b, "Reseller").await;
    let token_a = srv.token(&a_id, &a_secret).await;
    let token_b = srv.token(&b_id, &b_secret).await;
    let a1 = srv
        .create_company(&token_a, Some(&res_a), json!({"Name": "A One"}))
        .await;
    let a1a = srv
        .create_company(&token_a, Some(&a1), json!({"Name": "A One Sub"}))
        .await;
    let a2 = srv
        .create_company(&token_a, Some(&res_a), json!({"Name": "A Two"}))
        .await;
    let b1 = srv
        .create_company(&token_b, Some(&res_b), json!({"Name": "B One"}))
        .await;
    let b1a = srv
        .create_company(&token_b, Some(&b1), json!({"Name": "B One Sub"}))
        .await;
    let b_client_rid = srv.client_resource_id(&token_b, &res_b, &b_id).await;
    Some(Trees {
        srv,
        root,
        res_a,
        a1,
        a1a,
        a2,
        token_a,
        res_b,
        b1,
        b1a,
        token_b,
        b_client_rid,
    })
}

fn ids(body: &Value) -> BTreeSet<String> {
    result_ids(body).into_iter().collect()
}

fn set(items: &[&String]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).clone()).collect()
}

#[track_caller]
fn assert_forbidden(status: StatusCode, body: &Value, what: &str) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {body}");
    assert_eq!(body["status"], "FORBIDDEN", "{what}: {body}");
    assert!(body["data"].is_null(), "{what}: {body}");
}

const SEARCH: &str = "/api/companies/search";
const CLIENT_SEARCH: &str = "/api/companies/clients/search";

async fn reseller_never_reaches_another_tree(engine: Engine) {
    let Some(t) = trees(engine).await else {
        return;
    };
    let srv = &t.srv;
    let a = t.token_a.as_str();
    let foreign = [&t.res_b, &t.b1, &t.b1a, &srv.root_company];
    let body = json!({"pageNumber": 1, "pageSize": 100});
    for b in foreign {
        let b = b.as_str();
        let header_sets: [Vec<(&str, &str)>; 4] = [
            vec![("X-KEEPNET-Company-Id", b)],
            vec![("X-IR-COMPANY-ID", b)],
            vec![("x-ir-company-id", b)],
            vec![("x-keepnet-company-id", b)],
        ];
        for headers in &header_sets {
            let what = format!("search {b} via {headers:?}");
            let (status, resp) = srv.post(SEARCH, a, body.clone(), headers).await;
            assert_forbidden(status, &resp, &what);
            let what = format!("clients search {b} via {headers:?}");
            let (status, resp) = srv.post(CLIENT_SEARCH, a, body.clone(), headers).await;
            assert_forbidden(status, &resp, &what);
            let what = format!("create client in {b} via {headers:?}");
            let (status, resp) = srv
                .post(
                    "/api/companies/clients",
                    a,
                    json!({"name": "intruder", "clientId": format!("intruder-{b}"),
                           "clientSecret": "intruder-secret-0123456789", "statusId": 1,
                           "roleResourceIdList": ["RoleReseller"]}),
                    headers,
                )
                .await;
            assert_forbidden(status, &resp, &what);
            let what = format!("create company under {b} via {headers:?}");
            let (status, resp) = srv
                .post("/api/companies", a, json!({"Name": "Intruder Co"}), headers)
                .await;
            assert_forbidden(status, &resp, &what);
        }
        // ?companyId= query.
        let what = format!("search ?companyId={b}");
        let (status, resp) = srv
            .post(&format!("{SEARCH}?companyId={b}"), a, body.clone(), &[])
            .await;
        assert_forbidden(status, &resp, &what);
        let (status, resp) = srv
            .post(
                &format!("{CLIENT_SEARCH}?companyId={b}"),
                a,
                body.clone(),
                &[],
            )
            .await;
        assert_forbidden(status, &resp, &what);
        let (status, resp) = srv
            .get("/api/companies/my", a, &[("X-KEEPNET-Company-Id", b)])
            .await;
        // `my` ignores scope: it is always the caller's own tree.
        assert_eq!(status, StatusCode::OK, "{resp}");
        assert_eq!(resp["data"][0]["resourceId"], t.res_a.as_str());

        // By path.
        let (status, resp) = srv.get(&format!("/api/companies/{b}"), a, &[]).await;
        assert_forbidden(status, &resp, &format!("GET {b}"));
        let (status, resp) = srv
            .put(
                &format!("/api/companies/{b}"),
                a,
                json!({"Name": "Hijacked"}),
                &[],
            )
            .await;
        assert_forbidden(status, &resp, &format!("PUT {b}"));
        let (status, resp) = srv.delete(&format!("/api/companies/{b}"), a, &[]).await;
        assert_forbidden(status, &resp, &format!("DELETE {b}"));
        let (status, resp) = srv
            .get(&format!("/api/companies/{b}/license-check"), a, &[])
            .await;
        assert_forbidden(status, &resp, &format!("license-check {b}"));
    }

    // B's client, by path.
    let path = format!("/api/companies/clients/{}", t.b_client_rid);
    let (status, resp) = srv.get(&path, a, &[]).await;
    assert_forbidden(status, &resp, "GET B's client");
    let (status, resp) = srv
        .put(
            &path,
            a,
            json!({"name": "x", "clientId": "x-hijack", "statusId": 2, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[],
        )
        .await;
    assert_forbidden(status, &resp, "PUT B's client");
    let (status, resp) = srv.delete(&path, a, &[]).await;
    assert_forbidden(status, &resp, "DELETE B's client");

    // Nothing of B changed: names, existence, its one client still active, its token works.
    for (id, name) in [(&t.res_b, "ResB"), (&t.b1, "B One"), (&t.b1a, "B One Sub")] {
        let (status, resp) = srv.get(&format!("/api/companies/{id}"), &t.root, &[]).await;
        assert_eq!(status, StatusCode::OK, "{resp}");
        assert_eq!(resp["data"]["name"], name, "{resp}");
    }
    let (status, resp) = srv
        .post(
            CLIENT_SEARCH,
            &t.token_b,
            body.clone(),
            &[("X-KEEPNET-Company-Id", t.res_b.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(resp["data"]["totalNumberOfRecords"], 1, "{resp}");
    assert_eq!(resp["data"]["results"][0]["statusId"], 1, "{resp}");
    let (status, resp) = srv.post(SEARCH, &t.token_b, body.clone(), &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(ids(&resp), set(&[&t.b1, &t.b1a]));
    // No company was created anywhere by the intruder.
    let (status, resp) = srv.post(SEARCH, &t.root, body, &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(resp["data"]["totalNumberOfRecords"], 7, "{resp}");
}

async fn reseller_sees_exactly_its_subtree(engine: Engine) {
    let Some(t) = trees(engine).await else {
        return;
    };
    let srv = &t.srv;
    let a = t.token_a.as_str();
    let body =
        json!({"pageNumber": 1, "pageSize": 100, "orderBy": "CompanyName", "ascending": true});

    // Unscoped: everything strictly below ResA.
    let (status, resp) = srv.post(SEARCH, a, body.clone(), &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(
        result_ids(&resp),
        vec![t.a1.clone(), t.a1a.clone(), t.a2.clone()],
        "{resp}"
    );
    assert_eq!(resp["data"]["totalNumberOfRecords"], 3);
    // Every row names its parent as reseller.
    let rows = resp["data"]["results"].as_array().expect("results");
    assert_eq!(rows[0]["resellerName"], "ResA");
    assert_eq!(rows[1]["resellerName"], "A One");
    assert_eq!(rows[2]["resellerName"], "ResA");

    // Scoped to its own company: the same.
    let (status, resp) = srv
        .post(
            SEARCH,
            a,
            body.clone(),
            &[("X-KEEPNET-Company-Id", &t.res_a)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(ids(&resp), set(&[&t.a1, &t.a1a, &t.a2]));

    // Scoped to A's child, by every source: only the grandchild.
    for headers in [
        vec![("X-KEEPNET-Company-Id", t.a1.as_str())],
        vec![("X-IR-COMPANY-ID", t.a1.as_str())],
        vec![("x-ir-company-id", t.a1.as_str())],
    ] {
        let (status, resp) = srv.post(SEARCH, a, body.clone(), &headers).await;
        assert_eq!(status, StatusCode::OK, "{headers:?}: {resp}");
        assert_eq!(result_ids(&resp), vec![t.a1a.clone()], "{headers:?}");
    }
    let (status, resp) = srv
        .post(
            &format!("{SEARCH}?companyId={}", t.a1),
            a,
            body.clone(),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(result_ids(&resp), vec![t.a1a.clone()]);
    // Scoped to the leaf: nothing.
    let (status, resp) = srv
        .post(SEARCH, a, body.clone(), &[("X-KEEPNET-Company-Id", &t.a1a)])
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(resp["data"]["totalNumberOfRecords"], 0);
    assert_eq!(result_ids(&resp), Vec::<String>::new());

    // Every company of its tree is reachable by path.
    for id in [&t.res_a, &t.a1, &t.a1a, &t.a2] {
        let (status, resp) = srv.get(&format!("/api/companies/{id}"), a, &[]).await;
        assert_eq!(status, StatusCode::OK, "{resp}");
        assert_eq!(resp["data"]["resourceId"], id.as_str());
        let (status, resp) = srv
            .get(&format!("/api/companies/{id}/license-check"), a, &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{resp}");
    }

    // `my`: ResA with its children nested.
    let (status, resp) = srv.get("/api/companies/my", a, &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    let data = resp["data"].as_array().expect("data");
    assert_eq!(data.len(), 1, "{resp}");
    assert_eq!(data[0]["resourceId"], t.res_a.as_str());
    assert_eq!(data[0]["name"], "ResA");
    let children = data[0]["children"].as_array().expect("children");
    let child_ids: BTreeSet<String> = children
        .iter()
        .map(|c| c["resourceId"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(child_ids, set(&[&t.a1, &t.a2]), "{resp}");
    let a1 = children
        .iter()
        .find(|c| c["resourceId"] == t.a1.as_str())
        .expect("A1");
    assert_eq!(a1["children"].as_array().expect("A1 children").len(), 1);
    assert_eq!(a1["children"][0]["resourceId"], t.a1a.as_str());
    assert_eq!(a1["children"][0]["children"], json!([]));
    let a2 = children
        .iter()
        .find(|c| c["resourceId"] == t.a2.as_str())
        .expect("A2");
    assert_eq!(a2["children"], json!([]));
}

async fn scope_source_rules(engine: Engine) {
    let Some(t) = trees(engine).await else {
        return;
    };
    let srv = &t.srv;
    let a = t.token_a.as_str();
    let body = json!({"pageNumber": 1, "pageSize": 100});

    // Two sources naming different companies (both in reach): 400.
    let (status, resp) = srv
        .post(
            SEARCH,
            a,
            body.clone(),
            &[("X-KEEPNET-Company-Id", &t.a1), ("X-IR-COMPANY-ID", &t.a2)],
        )
        .await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let (status, resp) = srv
        .post(
            &format!("{SEARCH}?companyId={}", t.a2),
            a,
            body.clone(),
            &[("X-KEEPNET-Company-Id", &t.a1)],
        )
        .await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let (status, resp) = srv
        .post(
            SEARCH,
            a,
            body.clone(),
            &[
                ("X-KEEPNET-Company-Id", &t.a1),
                ("X-KEEPNET-Company-Id", &t.a2),
            ],
        )
        .await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let (status, resp) = srv
        .post(
            &format!("{CLIENT_SEARCH}?companyId={}", t.a2),
            a,
            body.clone(),
            &[("x-ir-company-id", &t.a1)],
        )
        .await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");

    // The same company from every source: fine.
    let (status, resp) = srv
        .post(
            &format!("{SEARCH}?companyId={}", t.a1),
            a,
            body.clone(),
            &[("X-KEEPNET-Company-Id", &t.a1), ("X-IR-COMPANY-ID", &t.a1)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(result_ids(&resp), vec![t.a1a.clone()]);

    // Malformed: 400, by header, query and path.
    for bad in ["bad!", "short", "AAAAAAAAAAAAA"] {
        let (status, resp) = srv
            .post(SEARCH, a, body.clone(), &[("X-KEEPNET-Company-Id", bad)])
            .await;
        assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
        let (status, resp) = srv
            .post(CLIENT_SEARCH, a, body.clone(), &[("X-IR-COMPANY-ID", bad)])
            .await;
        assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    }
    let (status, resp) = srv
        .post(&format!("{SEARCH}?companyId=bad!"), a, body.clone(), &[])
        .await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let (status, resp) = srv.get("/api/companies/bad!", a, &[]).await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");

    // Well-formed and unknown: 404, by header, query and path.
    let unknown = "AAAAAAAAAAAA";
    let (status, resp) = srv
        .post(
            SEARCH,
            a,
            body.clone(),
            &[("X-KEEPNET-Company-Id", unknown)],
        )
        .await;
    assert_error(status, &resp, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (status, resp) = srv
        .post(
            &format!("{CLIENT_SEARCH}?companyId={unknown}"),
            a,
            body,
            &[],
        )
        .await;
    assert_error(status, &resp, StatusCode::NOT_FOUND, "NOT_FOUND");
    for path in [
        format!("/api/companies/{unknown}"),
        format!("/api/companies/{unknown}/license-check"),
    ] {
        let (status, resp) = srv.get(&path, a, &[]).await;
        assert_error(status, &resp, StatusCode::NOT_FOUND, "NOT_FOUND");
    }
    let (status, resp) = srv
        .delete(&format!("/api/companies/{unknown}"), a, &[])
        .await;
    assert_error(status, &resp, StatusCode::NOT_FOUND, "NOT_FOUND");

    // A reseller's write without a scope: 400 naming the header; nothing created.
    let (status, resp) = srv
        .post(
            "/api/companies/clients",
            a,
            json!({"name": "noscope", "clientId": "noscope-client", "clientSecret": "noscope-secret-0123456789",
                   "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[],
        )
        .await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&resp).contains("X-KEEPNET-Company-Id"), "{resp}");
    let (status, resp) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "noscope-client"),
            ("client_secret", "noscope-secret-0123456789"),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{resp}");
    assert_eq!(resp["error"], "invalid_client");
}

async fn company_admin_stays_in_its_company(engine: Engine) {
    let Some(t) = trees(engine).await else {
        return;
    };
    let srv = &t.srv;
    let (id, secret) = srv.create_client(&t.token_a, &t.a1, "Company Admin").await;
    let ca = srv.token(&id, &secret).await;
    let body = json!({"pageNumber": 1, "pageSize": 100});

    // Reseller-only endpoints.
    let (status, resp) = srv.post(SEARCH, &ca, body.clone(), &[]).await;
    assert_error(status, &resp, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, resp) = srv
        .post(
            SEARCH,
            &ca,
            body.clone(),
            &[("X-KEEPNET-Company-Id", &t.a1)],
        )
        .await;
    assert_error(status, &resp, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, resp) = srv
        .post("/api/companies", &ca, json!({"Name": "Not Allowed"}), &[])
        .await;
    assert_error(status, &resp, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, resp) = srv
        .put(
            &format!("/api/companies/{}", t.a1),
            &ca,
            json!({"Name": "Renamed"}),
            &[],
        )
        .await;
    assert_error(status, &resp, StatusCode::FORBIDDEN, "FORBIDDEN");

    // `my`: its own company only, without children.
    let (status, resp) = srv.get("/api/companies/my", &ca, &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    let data = resp["data"].as_array().expect("data");
    assert_eq!(data.len(), 1, "{resp}");
    assert_eq!(data[0]["resourceId"], t.a1.as_str());
    assert_eq!(data[0]["name"], "A One");
    assert_eq!(data[0]["children"], json!([]), "{resp}");

    // Its own company: yes. Its sibling, its parent, its child, another tree: no.
    let (status, resp) = srv.get(&format!("/api/companies/{}", t.a1), &ca, &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(resp["data"]["name"], "A One");
    let (status, resp) = srv
        .get(&format!("/api/companies/{}/license-check", t.a1), &ca, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    for other in [&t.a2, &t.res_a, &t.a1a, &t.b1] {
        let (status, resp) = srv.get(&format!("/api/companies/{other}"), &ca, &[]).await;
        assert_error(status, &resp, StatusCode::FORBIDDEN, "FORBIDDEN");
        let (status, resp) = srv
            .post(
                CLIENT_SEARCH,
                &ca,
                body.clone(),
                &[("X-KEEPNET-Company-Id", other)],
            )
            .await;
        assert_error(status, &resp, StatusCode::FORBIDDEN, "FORBIDDEN");
    }

    // Clients: a Company Admin may create Company Admins in its company (no scope needed),
    // never Resellers.
    let (status, resp) = srv
        .post(
            "/api/companies/clients",
            &ca,
            json!({"name": "escalate", "clientId": "escalate-client", "clientSecret": "escalate-secret-0123456789",
                   "statusId": 1, "roleResourceIdList": ["RoleReseller"]}),
            &[],
        )
        .await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&resp).contains("Reseller"), "{resp}");
    let (status, resp) = srv
        .post(
            "/api/companies/clients",
            &ca,
            json!({"name": "escalate", "clientId": "escalate-client", "clientSecret": "escalate-secret-0123456789",
                   "statusId": 1, "roleResourceIdList": ["RoleReseller"]}),
            &[("X-KEEPNET-Company-Id", &t.a1)],
        )
        .await;
    assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let (status, resp) = srv
        .post(
            "/api/companies/clients",
            &ca,
            json!({"name": "peer", "clientId": "peer-client", "clientSecret": "peer-secret-0123456789",
                   "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    let (status, resp) = srv.post(CLIENT_SEARCH, &ca, body, &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    let client_ids: BTreeSet<String> = resp["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["clientId"].as_str().expect("clientId").to_owned())
        .collect();
    assert_eq!(
        client_ids,
        [id.clone(), "peer-client".to_owned()].into_iter().collect(),
        "{resp}"
    );
    // The peer's token is a Company Admin one in A1.
    let peer = srv.token("peer-client", "peer-secret-0123456789").await;
    let claims = crate::common::jwt_claims(&peer);
    assert_eq!(claims["role"], "Company Admin");
    assert_eq!(claims["user_company_resourceid"], t.a1.as_str());
}

both_engines!(
    reseller_never_reaches_another_tree,
    reseller_sees_exactly_its_subtree,
    scope_source_rules,
    company_admin_stays_in_its_company,
);
