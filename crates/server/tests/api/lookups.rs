//! Lookups as Keepnet's UI and agent ask for them (issue #13, REFERENCE.md I): numeric type
//! ids, several types at once, licences, country time zones and Windows time zones.

use crate::common::{assert_error, message, Engine, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn names(rows: &Value) -> Vec<String> {
    rows.as_array()
        .expect("an array")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn numeric_type_ids_and_names_answer_the_same_catalogue(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    // The agent's call: 21 is the language list (REFERENCE.md F).
    let (status, body) = srv.get("/api/lookups/21", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let languages = &body["data"];
    assert!(names(languages).contains(&"Turkish".to_owned()), "{body}");
    for row in languages.as_array().expect("rows") {
        assert_eq!(row["genericCodeTypeId"], 21, "{row}");
        assert_eq!(row["genericCodeTypeName"], "Language", "{row}");
        assert!(
            row["resourceId"].as_str().is_some_and(|s| s.len() == 12),
            "{row}"
        );
        assert!(row["isoCode"].as_str().is_some(), "{row}");
    }
    let (_, by_name) = srv.get("/api/lookups/language", &token, &[]).await;
    assert_eq!(by_name["data"], *languages);
    // The numbering Keepnet's New Company form and agent use.
    for (id, name, entry) in [
        (1, "country", "Türkiye"),
        (2, "industry", "Healthcare"),
        (3, "license-type", "Enterprise"),
        (4, "LicensePeriodType", "Yearly"),
    ] {
        let (status, numeric) = srv.get(&format!("/api/lookups/{id}"), &token, &[]).await;
        assert_eq!(status, StatusCode::OK, "{numeric}");
        assert!(
            names(&numeric["data"]).contains(&entry.to_owned()),
            "{id}: {numeric}"
        );
        let (_, named) = srv.get(&format!("/api/lookups/{name}"), &token, &[]).await;
        assert_eq!(numeric["data"], named["data"], "{id} vs {name}");
        assert_eq!(numeric["data"][0]["genericCodeTypeId"], id);
    }
    // Types rollcall keeps nothing of answer an empty list, not 404.
    let (status, empty) = srv.get("/api/lookups/5", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(empty["data"], json!([]));
    // An unknown type: 404 naming the valid ones.
    for bad in ["9", "999", "planets"] {
        let (status, body) = srv.get(&format!("/api/lookups/{bad}"), &token, &[]).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
        let text = message(&body);
        assert!(
            text.contains(bad) && text.contains("21 (language)"),
            "{text}"
        );
    }
}

async fn several_types_at_once_in_any_casing(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    // The New Company form's exact body, then the agent's (with a type rollcall lacks).
    let (status, body) = srv
        .post(
            "/api/lookups",
            &token,
            json!({"typeidlist": [1, 2, 4, 5, 6, 7]}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body["data"].as_array().expect("rows");
    let of = |t: i64| rows.iter().filter(|r| r["genericCodeTypeId"] == t).count();
    assert!(of(1) > 20 && of(2) > 10 && of(4) == 4, "{body}");
    assert_eq!(of(3) + of(5) + of(21), 0, "only the asked types: {body}");
    assert_eq!(body["message"], Value::Null);

    let (status, body) = srv
        .post("/api/lookups", &token, json!({"typeidlist": [9, 2]}), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body["data"].as_array().expect("rows");
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r["genericCodeTypeId"] == 2),
        "{body}"
    );
    assert!(message(&body).contains("no lookup type 9"), "{body}");

    for key in ["TypeIdList", "typeIdList", "TYPEIDLIST"] {
        let (status, same) = srv
            .post("/api/lookups", &token, json!({ key: [3] }), &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{same}");
        assert_eq!(
            names(&same["data"]),
            ["Trial", "Standard", "Enterprise", "MSSP Partner"]
        );
    }
    let (status, by_name) = srv
        .post("/api/lookups", &token, json!({"typeName": "Industry"}), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{by_name}");
    assert!(names(&by_name["data"]).contains(&"Retail".to_owned()));

    let (status, body) = srv.post("/api/lookups", &token, json!({}), &[]).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&body).contains("typeIdList"), "{body}");
    let (status, body) = srv
        .post("/api/lookups", &token, json!({"typeIdList": "1,2"}), &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

async fn licences_time_zones_and_country_zones(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let (status, body) = srv.get("/api/lookups/licenses", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let licences = body["data"]["licenses"].as_array().expect("licenses");
    assert_eq!(licences.len(), 4, "{body}");
    assert!(licences.iter().all(|l| l["licenseModules"] == json!([])));
    assert_eq!(body["data"]["allLicenseModules"], json!([]));

    let (status, body) = srv.get("/api/timezone/timezones", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let zones = body["data"]["timeZoneList"].as_array().expect("zones");
    assert!(zones.len() > 100, "{body}");
    assert!(zones
        .contains(&json!({"id": "Turkey Standard Time", "displayName": "(UTC+03:00) Istanbul"})));
    assert!(body["data"]["dateFormatList"]
        .as_array()
        .is_some_and(|f| f.contains(&json!("dd/MM/yyyy"))));
    assert!(body["data"]["timeFormatList"]
        .as_array()
        .is_some_and(|f| !f.is_empty()));

    let (status, body) = srv.get("/api/lookups/country-timezones", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let countries = body["data"].as_array().expect("countries");
    let zone_of = |code: &str| {
        countries
            .iter()
            .find(|c| c["countryCode"] == code)
            .map(|c| c["timezone"].clone())
    };
    assert_eq!(zone_of("TR"), Some(json!("Turkey Standard Time")));
    assert_eq!(zone_of("DE"), Some(json!("W. Europe Standard Time")));
    // Several zones: not ours to pick one.
    assert_eq!(zone_of("US"), Some(Value::Null));
    // No invented per-country defaults.
    assert!(countries
        .iter()
        .all(|c| c["dateFormat"].is_null() && c["phoneNumberCode"].is_null()));
}

both_engines!(
    numeric_type_ids_and_names_answer_the_same_catalogue,
    several_types_at_once_in_any_casing,
    licences_time_zones_and_country_zones,
);

/// `timeZoneId` and `preferredLanguageId` are checked against the catalogues (docs/api.md):
/// a Windows id in any case is stored in Windows' spelling, an IANA name as sent; a language by
/// resource id or ISO code, shown by name in search rows as Keepnet's UI matches it.
async fn time_zones_and_languages_are_checked_and_languages_shown_by_name(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(
            &token,
            None,
            json!({"Name": "Zones", "TimeZoneId": "turkey standard time"}),
        )
        .await;
    let (_, c) = srv
        .get(&format!("/api/companies/{company}"), &token, &[])
        .await;
    assert_eq!(c["data"]["timeZoneId"], "Turkey Standard Time", "{c}");
    let (status, body) = srv
        .put(
            &format!("/api/companies/{company}"),
            &token,
            json!({"timeZoneId": "Mars/Olympus"}),
            &[],
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(
        body.to_string().contains("GET /api/timezone/timezones"),
        "{body}"
    );

    let scope = [(crate::common::SCOPE, company.as_str())];
    // The UI's form: a language resource id from /api/lookups/21 and a Windows zone.
    let ui = srv
        .create_user(
            &token,
            &company,
            json!({"email": "ui@zones.io", "firstName": "Ui", "timeZoneId": "Turkey Standard Time",
                   "preferredLanguageId": "LangTurkish0", "priority": "Medium", "isActive": true,
                   "phoneNumber": ""}),
        )
        .await;
    // An API client's: ISO code and IANA name, as rollcall accepted before.
    let api = srv
        .create_user(
            &token,
            &company,
            json!({"Email": "api@zones.io", "TimeZoneId": "Europe/Berlin", "PreferredLanguageId": "en-GB"}),
        )
        .await;
    let (_, got) = srv
        .get(&format!("/api/target-users/{api}"), &token, &scope)
        .await;
    assert_eq!(got["data"]["timeZoneId"], "Europe/Berlin", "{got}");
    // A tag is stored as its language's resource id (docs/api.md).
    assert_eq!(got["data"]["preferredLanguageId"], "LangEnglish0", "{got}");
    let (status, page) = srv
        .post(
            "/api/target-users/search",
            &token,
            json!({"filter": null, "orderBy": "", "pageSize": 10}),
            &scope,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let row = |id: &str| {
        page["data"]["results"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["resourceId"] == id)
            .cloned()
            .expect("row")
    };
    assert_eq!(row(&ui)["preferredLanguage"], "Turkish");
    assert_eq!(row(&ui)["timeZone"], "Turkey Standard Time");
    assert_eq!(row(&api)["preferredLanguage"], "English");

    for (field, value, hint) in [
        (
            "timeZoneId",
            "Middle Earth Standard Time",
            "GET /api/timezone/timezones",
        ),
        ("timeZoneId", "europe/berlin", "IANA name"),
        ("preferredLanguageId", "Klingon", "GET /api/lookups/21"),
    ] {
        let (status, body) = srv
            .post(
                "/api/target-users",
                &token,
                json!({"email": "bad@zones.io", field: value}),
                &scope,
            )
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
        let text = body.to_string();
        assert!(
            text.contains(field) && text.contains(value) && text.contains(hint),
            "{text}"
        );
    }
    // An empty value clears the field.
    let (status, body) = srv
        .put(
            &format!("/api/target-users/{ui}"),
            &token,
            json!({"timeZoneId": "", "preferredLanguageId": ""}),
            &scope,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, got) = srv
        .get(&format!("/api/target-users/{ui}"), &token, &scope)
        .await;
    assert!(
        got["data"]["timeZoneId"].is_null() && got["data"]["preferredLanguageId"].is_null(),
        "{got}"
    );
}

both_engines!(time_zones_and_languages_are_checked_and_languages_shown_by_name);
