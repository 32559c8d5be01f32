//! Account privacy as Keepnet's UI uses it (REFERENCE.md I, "Account privacy"; CONTRACT.md
//! rulings of 2026-12-05): the customer's Company Admin chooses on AccountPrivacy.vue, and the
//! reseller's CompanyList.vue disables "switch to company" when `privacyDurationId === 0 &&
//! !licenceExpired`; a refused read is 403 `PRIVACY_ERROR`, which the UI answers by going back
//! to the reseller's own company.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{assert_reads, default_payload};
use crate::common::{Engine, TestServer, SCOPE};

/// Whether CompanyList.vue lets the reseller switch into `row`.
fn can_switch(row: &Value) -> bool {
    !(row["privacyDurationId"] == 0 && row["licenceExpired"] == false)
}

async fn company_row(srv: &TestServer, token: &str, company: &str) -> Value {
    let mut body = default_payload();
    body["isClustered"] = json!(false);
    body["isTargetUserCountExceededLimit"] = json!(false);
    let (s, reply) = srv.post("/api/companies/search", token, body, &[]).await;
    assert_eq!(s, StatusCode::OK, "{reply}");
    reply["data"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["companyResourceId"] == company)
        .cloned()
        .expect("the customer is listed whatever its privacy")
}

async fn the_customer_chooses_and_the_reseller_follows(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let reseller = srv.root_token().await;
    let customer = srv
        .create_company(
            &reseller,
            None,
            json!({"Name": "Private Co", "LicenseEndDate": "2099-01-01"}),
        )
        .await;
    let (id, secret) = srv
        .create_client(&reseller, &customer, "Company Admin")
        .await;
    let admin = srv.token(&id, &secret).await;
    let scope = [(SCOPE, customer.as_str())];

    // A new customer lets its reseller in.
    let row = company_row(&srv, &reseller, &customer).await;
    assert_reads(&row, &["privacyDurationId", "licenceExpired"]);
    assert!(can_switch(&row), "{row}");

    // AccountPrivacy.vue: read, then deny.
    let (s, got) = srv.get("/api/companies/privacy", &admin, &[]).await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_reads(
        &got["data"],
        &[
            "privacyDurationId",
            "privacyDurationStartTime",
            "privacyDurationEndTime",
        ],
    );
    assert_eq!(got["data"]["privacyDurationId"], 1);
    let (s, reply) = srv
        .call(
            Method::PUT,
            "/api/companies/privacy",
            &admin,
            Some(json!({"privacyDurationId": 0})),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{reply}");
    assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));

    // The reseller still lists it, cannot switch, and a direct read is PRIVACY_ERROR.
    let row = company_row(&srv, &reseller, &customer).await;
    assert!(!can_switch(&row), "{row}");
    let (s, reply) = srv
        .post(
            "/api/target-users/search",
            &reseller,
            default_payload(),
            &scope,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{reply}");
    assert_eq!(reply["status"], "PRIVACY_ERROR", "{reply}");

    // Two hours of access: the window shows, and the reseller is back in.
    let (s, reply) = srv
        .call(
            Method::PUT,
            "/api/companies/privacy",
            &admin,
            Some(json!({"privacyDurationId": 2})),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{reply}");
    let row = company_row(&srv, &reseller, &customer).await;
    assert_eq!(row["privacyDurationId"], 2, "{row}");
    assert!(can_switch(&row));
    let (s, reply) = srv
        .post(
            "/api/target-users/search",
            &reseller,
            default_payload(),
            &scope,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{reply}");
}

both_engines!(the_customer_chooses_and_the_reseller_follows);
