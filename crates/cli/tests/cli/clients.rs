//! `rollcall clients ...`: REST API clients created, re-keyed, deactivated and deleted through
//! the CLI, and their credentials checked against the token endpoint, on both engines.

use crate::common::{Engine, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The company's clients as `clients list` prints them.
async fn clients(s: &TestServer, company: &str) -> Vec<Value> {
    let v = s
        .run(&["clients", "list", "--company", company])
        .await
        .json();
    v.as_array().cloned().unwrap_or_else(|| panic!("{v}"))
}

async fn token_status(s: &TestServer, id: &str, secret: &str) -> StatusCode {
    s.token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
        ("scope", "api1"),
    ])
    .await
    .0
}

async fn lifecycle(engine: Engine) {
    let Some(s) = TestServer::start(engine).await else {
        return;
    };
    let token = s.root_token().await;
    let company = s
        .create_company(&token, None, json!({"name": "Hooli"}))
        .await;
    assert_eq!(clients(&s, "Hooli").await, Vec::<Value>::new());

    // Create: id and secret on stdout once, the warning on stderr.
    let created = s
        .run(&[
            "clients",
            "create",
            "--company",
            "Hooli",
            "--name",
            "HR sync",
            "--role",
            "CompanyAdmin",
        ])
        .await;
    let v = created.json();
    assert!(
        created.stderr.contains("cannot be shown again"),
        "{created:?}"
    );
    let (rid, id, secret) = (
        v["resourceId"].as_str().expect("resourceId").to_owned(),
        v["clientId"].as_str().expect("clientId").to_owned(),
        v["clientSecret"].as_str().expect("clientSecret").to_owned(),
    );
    assert!(!created.stderr.contains(&secret), "secret on stderr");
    let (_, got) = s
        .get(
            &format!("/api/companies/clients/{rid}"),
            &token,
            &[(crate::common::SCOPE, &company)],
        )
        .await;
    assert_eq!(got["data"]["roleResourceIdList"], json!(["RoleCompAdmn"]));
    assert_eq!(got["data"]["name"], "HR sync");
    // Its secret gets a token.
    s.token(&id, &secret).await;
    let listed = clients(&s, "Hooli").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["clientId"], id.as_str());
    assert_eq!(listed[0]["statusName"], "Active");

    // Roles are value-enums, in any case; others are refused before any request.
    let reseller = s
        .run(&[
            "clients",
            "create",
            "--company",
            &company,
            "--name",
            "Ops",
            "--role",
            "reseller",
            "--output",
            "table",
        ])
        .await;
    reseller.code(0);
    assert!(
        reseller.stdout.contains("Client id:") && reseller.stdout.contains("Client secret:"),
        "{reseller:?}"
    );
    let bad = s
        .run(&[
            "clients",
            "create",
            "--company",
            "Hooli",
            "--name",
            "X",
            "--role",
            "admin",
        ])
        .await;
    bad.code(1);
    assert!(
        bad.stderr.contains("Reseller") && bad.stderr.contains("CompanyAdmin"),
        "{bad:?}"
    );
    assert_eq!(clients(&s, "Hooli").await.len(), 2);

    // Rotate (by client id): the old secret is refused, the new one works.
    let rotated = s
        .run(&["clients", "rotate-secret", "--company", "Hooli", &id])
        .await;
    let r = rotated.json();
    assert!(
        rotated.stderr.contains("cannot be shown again"),
        "{rotated:?}"
    );
    assert_eq!(r["clientId"], id.as_str());
    let new_secret = r["clientSecret"].as_str().expect("clientSecret").to_owned();
    assert_ne!(new_secret, secret);
    assert_ne!(token_status(&s, &id, &secret).await, StatusCode::OK);
    s.token(&id, &new_secret).await;

    // Deactivate (by resource id): no more tokens; listed as inactive.
    s.run(&["clients", "deactivate", "--company", "Hooli", &rid])
        .await
        .code(0);
    assert_ne!(token_status(&s, &id, &new_secret).await, StatusCode::OK);
    let row = clients(&s, "Hooli")
        .await
        .into_iter()
        .find(|c| c["clientId"] == id.as_str())
        .expect("listed");
    assert_eq!(row["statusName"], "Inactive", "{row}");
    s.run(&["clients", "activate", "--company", "Hooli", &id])
        .await
        .code(0);
    s.token(&id, &new_secret).await;

    // An unknown client: not found, with the company's clients listed.
    let unknown = s
        .run(&["clients", "deactivate", "--company", "Hooli", "nobody"])
        .await;
    unknown.code(3);
    assert!(unknown.stderr.contains(&id), "{unknown:?}");

    // Delete: refused without --yes off a terminal, then gone from the list.
    let refused = s
        .run(&["clients", "delete", "--company", "Hooli", &id])
        .await;
    refused.code(1);
    assert!(refused.stderr.contains("pass --yes"), "{refused:?}");
    assert_eq!(clients(&s, "Hooli").await.len(), 2);
    s.run(&["clients", "delete", "--company", "Hooli", &id, "--yes"])
        .await
        .code(0);
    let left = clients(&s, "Hooli").await;
    assert!(
        left.iter().all(|c| c["clientId"] != id.as_str()),
        "{left:?}"
    );
    assert_eq!(left.len(), 1);
    assert_ne!(token_status(&s, &id, &new_secret).await, StatusCode::OK);
    s.finish().await;
}

both_engines!(lifecycle);
