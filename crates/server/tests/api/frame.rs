//! The calls Keepnet's web UI makes around every page (REFERENCE.md I, "Page frame"), with the
//! bodies it sends: each answers its spec shape with "nothing configured" and this server's facts.

use crate::common::{assert_error, Engine, TestServer, SCOPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn the_page_frame_loads(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    // Before login the UI asks for the brand of its address, with no token.
    let resp = srv
        .http
        .post(srv.url("/api/whitelabeling/by-url"))
        .json(&json!({"url": "https://portal.example.com"}))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body["data"],
        json!({"brandName": null, "mainLogoUrl": null, "faviconUrl": null})
    );

    let (status, body) = srv
        .get("/api/whitelabeling/resolve-whitelabeling", "", &[])
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (status, body) = srv
        .get("/api/whitelabeling/resolve-whitelabeling", &root, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let brand = body["data"].as_object().expect("object");
    assert_eq!(brand.len(), 19, "every WhiteLabelingDto field: {body}");
    assert!(
        brand.values().all(|v| v.is_null() || *v == json!(false)),
        "{body}"
    );

    // A customer with a limited licence it has exceeded, in Türkiye's zone.
    let customer = srv
        .create_company(
            &root,
            None,
            json!({"Name": "Frame Co", "NumberOfUsers": 1, "IsNumberOfUsersLimited": true,
                   "CountryResourceId": "CtryTurkey00", "TimeZoneId": "Turkey Standard Time",
                   "DateFormat": "dd/MM/yyyy", "TimeFormat": "HH:mm"}),
        )
        .await;
    for n in 0..2 {
        srv.create_user(&root, &customer, json!({"email": format!("u{n}@frame.io")}))
            .await;
    }
    let (id, secret) = srv.create_client(&root, &customer, "Company Admin").await;
    let admin = srv.token(&id, &secret).await;

    let (status, body) = srv.get("/api/system-info/summary", &admin, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Keepnet's UI reads the parts at the top of the body; the spec puts them under `data`.
    for parts in [&body, &body["data"]] {
        assert_eq!(
            parts["versionInfo"]["data"]["version"],
            env!("CARGO_PKG_VERSION")
        );
        assert!(
            parts["versionInfo"]["data"]["serverTime"].is_string(),
            "{body}"
        );
        let licence = &parts["companyLicense"]["data"];
        assert_eq!(licence["isLimited"], true, "{body}");
        assert_eq!(licence["isLicenseExceeded"], true, "{body}");
        assert_eq!(licence["activeUserCount"], 2, "{body}");
        assert_eq!(parts["company"]["data"]["resourceId"], customer.as_str());
        assert_eq!(parts["company"]["data"]["countryCode"], "TR");
    }
    assert_eq!(body["status"], "SUCCESS");

    let (status, body) = srv.get("/api/system-info/version", &admin, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));

    let (status, body) = srv.get("/api/system-users/settings", &admin, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!({"timeZoneId": "Turkey Standard Time", "timeZoneName": "(UTC+03:00) Istanbul",
               "dateFormat": "dd/MM/yyyy", "timeFormat": "HH:mm"})
    );
    // The root company has set nothing: nulls, not defaults.
    let (_, body) = srv
        .get("/api/system-users/settings", &root, &[(SCOPE, &customer)])
        .await;
    assert!(
        body["data"]["dateFormat"].is_null(),
        "the caller's own company: {body}"
    );

    let (status, body) = srv.get("/api/regions", &root, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let regions = body["data"].as_array().expect("regions");
    assert_eq!(regions.len(), 1, "{body}");
    assert_eq!(regions[0]["isCurrent"], true);
    assert_eq!(regions[0]["url"], srv.url("").trim_end_matches('/'));
}

both_engines!(the_page_frame_loads);
