//! Lower roles cannot change what is above them (issue #11, part 3): a company's licence and
//! status are changed only by a reseller above it; an inactive company switches off its
//! clients and those of every company below it, while its parent keeps managing it; a Company
//! Admin cannot take over a Reseller client of its own company.

use crate::common::{assert_error, message, Engine, TestServer, SCOPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A sub-reseller company below the root with a Reseller client: (company id, client token).
async fn sub_reseller(srv: &TestServer, root: &str) -> (String, String, String, String) {
    let company = srv
        .create_company(
            root,
            None,
            json!({"Name": "Sub Reseller", "NumberOfUsers": 100, "IsNumberOfUsersLimited": true,
                   "LicenseStartDate": "2026-01-01", "LicenseEndDate": "2027-01-01"}),
        )
        .await;
    let (id, secret) = srv.create_client(root, &company, "Reseller").await;
    let token = srv.token(&id, &secret).await;
    (company, token, id, secret)
}

async fn a_company_cannot_change_its_own_licence_or_status(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let (sub, sub_token, _, _) = sub_reseller(&srv, &root).await;
    let path = format!("/api/companies/{sub}");
    for (field, value) in [
        ("numberOfUsers", json!(1_000_000)),
        ("isNumberOfUsersLimited", json!(false)),
        ("licenseTypeResourceId", json!("LicEnterpris")),
        ("licensePeriodTypeResourceId", json!("LpdMonthly00")),
        ("licenseStartDate", json!("2025-01-01")),
        ("licenseEndDate", json!("2099-12-31")),
        ("statusId", json!(2)),
    ] {
        let (status, body) = srv
            .put(&path, &sub_token, json!({ field: value }), &[])
            .await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
        let text = message(&body);
        assert!(text.contains(field), "{field}: {text}");
        assert!(text.contains("above"), "{field}: says who can: {text}");
    }
    // Keepnet's UI sends the whole form back: its current values are not a change.
    let (status, current) = srv.get(&path, &sub_token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{current}");
    let form = reqwest::multipart::Form::new()
        .text("Name", "Sub Reseller, renamed")
        .text("NumberOfUsers", "100")
        .text("IsNumberOfUsersLimited", "true")
        .text("StatusId", "1");
    let resp = srv
        .http
        .put(srv.url(&path))
        .bearer_auth(&sub_token)
        .multipart(form)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK, "{:?}", resp.text().await);
    // The same change in Keepnet's form is refused too.
    let form = reqwest::multipart::Form::new().text("NumberOfUsers", "1000000");
    let resp = srv
        .http
        .put(srv.url(&path))
        .bearer_auth(&sub_token)
        .multipart(form)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let (_, after) = srv.get(&path, &root, &[]).await;
    assert_eq!(after["data"]["numberOfUsers"], 100, "{after}");
    assert_eq!(
        after["data"]["licenseEndDate"],
        current["data"]["licenseEndDate"]
    );
    assert_eq!(after["data"]["statusId"], 1, "{after}");
    assert_eq!(after["data"]["name"], "Sub Reseller, renamed", "{after}");

    // The reseller above changes them.
    let (status, body) = srv
        .put(
            &path,
            &root,
            json!({"numberOfUsers": 250, "licenseEndDate": "2028-01-01"}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, after) = srv.get(&path, &root, &[]).await;
    assert_eq!(after["data"]["numberOfUsers"], 250, "{after}");
    // A rename by the company itself that races the parent's deactivation (read before it,
    // written after it, as a slow PUT would) does not undo the deactivation.
    let stale = srv
        .store
        .company_by_resource_id(&sub)
        .await
        .expect("store")
        .expect("the company");
    let (status, body) = srv.put(&path, &root, json!({"statusId": 2}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let renamed = rollcall_store::CompanyFields {
        name: "Sub Reseller, racing".into(),
        ..stale.fields.clone()
    };
    srv.store
        .update_company(
            stale.id,
            &stale.fields,
            &renamed,
            &rollcall_store::Actor::system(),
        )
        .await
        .expect("update");
    let (_, after) = srv.get(&path, &root, &[]).await;
    assert_eq!(after["data"]["statusId"], 2, "{after}");
    assert_eq!(after["data"]["name"], "Sub Reseller, racing", "{after}");
    let (status, body) = srv.put(&path, &root, json!({"statusId": 1}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // And the sub-reseller sets them on the companies below it.
    let child = srv
        .create_company(
            &sub_token,
            Some(&sub),
            json!({"Name": "Customer of Sub", "NumberOfUsers": 10}),
        )
        .await;
    let (status, body) = srv
        .put(
            &format!("/api/companies/{child}"),
            &sub_token,
            json!({"numberOfUsers": 20, "statusId": 2}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn an_inactive_company_switches_off_itself_and_everything_below(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let (sub, sub_token, sub_id, sub_secret) = sub_reseller(&srv, &root).await;
    let customer = srv
        .create_company(&sub_token, Some(&sub), json!({"Name": "Customer"}))
        .await;
    let (admin_id, admin_secret) = srv
        .create_client(&sub_token, &customer, "Company Admin")
        .await;
    let admin_token = srv.token(&admin_id, &admin_secret).await;
    let user = srv
        .create_user(
            &admin_token,
            &customer,
            json!({"email": "ann@customer.example", "firstName": "Ann"}),
        )
        .await;

    let (status, body) = srv
        .put(
            &format!("/api/companies/{sub}"),
            &root,
            json!({"statusId": 2}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Tokens already issued stop on their next request, below the inactive company too.
    for (token, who) in [
        (&sub_token, "the company itself"),
        (&admin_token, "a company below it"),
    ] {
        let (status, body) = srv.get("/api/companies/my", token, &[]).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        assert!(message(&body).contains("inactive"), "{who}: {body}");
        let (status, body) = srv
            .post(
                "/api/target-users",
                token,
                json!({"email": "new@customer.example"}),
                &[(SCOPE, customer.as_str())],
            )
            .await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }
    // No new tokens either.
    for (id, secret) in [(&sub_id, &sub_secret), (&admin_id, &admin_secret)] {
        let (status, body) = srv
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ])
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "invalid_client", "{body}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.contains("inactive")),
            "{body}"
        );
    }
    // The parent still reads it, exports its users and reactivates it.
    let (status, body) = srv
        .get(&format!("/api/companies/{customer}"), &root, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = srv
        .post(
            "/api/target-users/search",
            &root,
            json!({}),
            &[(SCOPE, customer.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["results"][0]["resourceId"],
        user.as_str(),
        "{body}"
    );
    let resp = srv
        .http
        .post(srv.url("/api/target-users/search/export"))
        .bearer_auth(&root)
        .header(SCOPE, customer.as_str())
        .json(&json!({"exportType": "CSV", "reportAllPages": true}))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .text()
        .await
        .expect("csv")
        .contains("ann@customer.example"));
    let (status, body) = srv
        .put(
            &format!("/api/companies/{sub}"),
            &root,
            json!({"statusId": 1}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for token in [&sub_token, &admin_token] {
        let (status, body) = srv.get("/api/companies/my", token, &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let _ = srv.token(&admin_id, &admin_secret).await;
}

async fn a_company_admin_cannot_take_over_a_reseller_client(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let (company, _, reseller_id, reseller_secret) = sub_reseller(&srv, &root).await;
    let (admin_id, admin_secret) = srv.create_client(&root, &company, "Company Admin").await;
    let (other_admin, _) = srv.create_client(&root, &company, "Company Admin").await;
    let admin = srv.token(&admin_id, &admin_secret).await;
    let reseller_rid = srv.client_resource_id(&root, &company, &reseller_id).await;
    let path = format!("/api/companies/clients/{reseller_rid}");
    let edit = |extra: Value| {
        let mut body = json!({"name": "taken", "clientId": reseller_id, "statusId": 1,
                              "roleResourceIdList": ["RoleReseller"]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    for (what, body) in [
        ("rename", edit(json!({}))),
        (
            "new secret",
            edit(json!({"clientSecret": "attacker-secret-0123456789"})),
        ),
        ("deactivate", edit(json!({"statusId": 2}))),
        (
            "demote",
            edit(json!({"roleResourceIdList": ["RoleCompAdmn"]})),
        ),
    ] {
        let (status, resp) = srv.put(&path, &admin, body, &[]).await;
        assert_error(status, &resp, StatusCode::FORBIDDEN, "FORBIDDEN");
        assert!(message(&resp).contains("Reseller"), "{what}: {resp}");
    }
    let (status, resp) = srv.delete(&path, &admin, &[]).await;
    assert_error(status, &resp, StatusCode::FORBIDDEN, "FORBIDDEN");
    // Reading it stays allowed; nothing changed, and its secret still works.
    let (status, resp) = srv.get(&path, &admin, &[]).await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(resp["data"]["name"], reseller_id.as_str(), "{resp}");
    assert_eq!(resp["data"]["statusId"], 1, "{resp}");
    let _ = srv.token(&reseller_id, &reseller_secret).await;
    // The Company Admin still manages its peers, and the root manages the Reseller client.
    let peer = srv.client_resource_id(&root, &company, &other_admin).await;
    let (status, resp) = srv
        .put(
            &format!("/api/companies/clients/{peer}"),
            &admin,
            json!({"name": "peer", "clientId": other_admin, "statusId": 2, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    let (status, resp) = srv
        .put(&path, &root, edit(json!({"statusId": 2})), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
}

both_engines!(
    a_company_cannot_change_its_own_licence_or_status,
    an_inactive_company_switches_off_itself_and_everything_below,
    a_company_admin_cannot_take_over_a_reseller_client,
);
