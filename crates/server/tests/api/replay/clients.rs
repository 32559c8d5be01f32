//! Keepnet's REST API clients screen (REFERENCE.md C.5; CONTRACT.md rulings of 2026-12-05): the
//! form's role list, create, the edit that echoes the masked secret, deactivation with
//! `statusId: 0` and the Inactive filter.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{assert_reads, ok, ui_payload};
use crate::common::{Engine, TestServer, SCOPE};

async fn rest_client_form(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Client Form"}))
        .await;
    let scope = [(SCOPE, company.as_str())];

    // The form cannot open without the roles the caller may give (the UI's spelling).
    let (s, roles) = srv.get("/api/roleswithAvailable", &token, &scope).await;
    assert_eq!(s, StatusCode::OK, "{roles}");
    let roles = roles["data"].as_array().expect("roles").clone();
    assert!(!roles.is_empty());
    for role in &roles {
        assert_reads(role, &["resourceId", "name"]);
    }
    let admin = roles
        .iter()
        .find(|r| r["name"] == "Company Admin")
        .and_then(|r| r["resourceId"].as_str())
        .expect("Company Admin is offered")
        .to_owned();

    let (s, creds) = srv
        .get(
            "/api/companies/clients/generate-client-credentials",
            &token,
            &scope,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{creds}");
    let client_id = creds["data"]["clientId"]
        .as_str()
        .expect("clientId")
        .to_owned();
    let secret = creds["data"]["clientSecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let (s, created) = srv
        .post(
            "/api/companies/clients",
            &token,
            json!({"name": "SIEM export", "clientId": client_id, "clientSecret": secret,
                   "statusId": 1, "hasIpAddressRestriction": false, "allowedIpAddresses": [],
                   "roleResourceIdList": [admin]}),
            &scope,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{created}");
    assert!(created["message"].as_str().is_some_and(|m| !m.is_empty()));
    let id = created["data"]["resourceId"]
        .as_str()
        .expect("id")
        .to_owned();

    let (s, got) = srv
        .get(&format!("/api/companies/clients/{id}"), &token, &scope)
        .await;
    assert_eq!(s, StatusCode::OK, "{got}");
    let dto = got["data"].clone();
    assert_reads(
        &dto,
        &[
            "resourceId",
            "name",
            "clientId",
            "clientSecret",
            "statusId",
            "statusName",
            "hasIpAddressRestriction",
            "allowedIpAddresses",
            "roleResourceIdList",
        ],
    );
    assert_eq!(dto["statusId"], 1, "the UI shows Boolean(statusId)");

    // Deactivate: the UI sends the form back with statusId 0 and the masked secret it showed.
    let mut edit: Value = dto.clone();
    edit["statusId"] = json!(0);
    edit["clientSecret"] = json!("********");
    let (s, reply) = srv
        .call(
            Method::PUT,
            &format!("/api/companies/clients/{id}"),
            &token,
            Some(edit),
            &scope,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{reply}");
    assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    let (s, got) = srv
        .get(&format!("/api/companies/clients/{id}"), &token, &scope)
        .await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(got["data"]["statusId"], 0);

    // The Inactive filter finds it; the Active one does not.
    for (value, want) in [("0", 1), ("1", 0)] {
        let body = ui_payload(
            json!([{"FieldName": "StatusId", "Operator": "Include", "Value": value}]),
            json!([]),
        );
        let data = ok(
            &srv,
            &token,
            &company,
            "/api/companies/clients/search",
            body,
        )
        .await;
        assert_eq!(
            data["totalNumberOfRecords"], want,
            "StatusId {value}: {data}"
        );
        for row in data["results"].as_array().expect("rows") {
            assert_reads(
                row,
                &[
                    "resourceId",
                    "clientName",
                    "clientId",
                    "createTime",
                    "statusId",
                    "statusName",
                ],
            );
        }
    }
    // An inactive client gets no token; the masked edit kept the real secret, so reactivating
    // lets the same secret in again.
    let (s, _) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .await;
    assert_ne!(s, StatusCode::OK);
    let mut edit = got["data"].clone();
    edit["statusId"] = json!(1);
    edit["clientSecret"] = json!("********");
    let (s, reply) = srv
        .call(
            Method::PUT,
            &format!("/api/companies/clients/{id}"),
            &token,
            Some(edit),
            &scope,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{reply}");
    let (s, body) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", &secret),
        ])
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

both_engines!(rest_client_form);
