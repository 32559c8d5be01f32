//! Preferred languages (issue #13; docs/api.md, "Lookups and time zones"): a company's
//! `preferredLanguageTypeResourceId` through every company write, and target users'
//! `preferredLanguageId` stored as the language's resource id whatever spelling was sent, so
//! that the UI's column filter on the id, or on an ISO code, selects every user of a language.

use crate::common::tu::{assert_input_error, create_user, scope, search_all};
use crate::common::{Engine, TestServer};
use crate::companies::send_form;
use reqwest::multipart::Form;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The company's language as `GET /api/companies/{id}` returns it: (id, name).
async fn language_of(srv: &TestServer, token: &str, id: &str) -> (Value, Value) {
    let (status, body) = srv.get(&format!("/api/companies/{id}"), token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["data"]["preferredLanguageTypeResourceId"].clone(),
        body["data"]["preferredLanguageTypeName"].clone(),
    )
}

/// `PUT`s `{"preferredLanguageTypeResourceId": value}` (JSON) to company `id`; asserts 200.
async fn put_language(srv: &TestServer, token: &str, id: &str, value: &str) {
    let (s, b) = srv
        .put(
            &format!("/api/companies/{id}"),
            token,
            json!({ "preferredLanguageTypeResourceId": value }),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn company_language_round_trip(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;

    // Keepnet's multipart create, with the id the UI's select sends.
    let (s, b) = send_form(
        &srv,
        Method::POST,
        "/api/companies",
        &root,
        Form::new()
            .text("Name", "Form Ltd")
            .text("NumberOfUsers", "10")
            .text("PreferredLanguageTypeResourceId", "LangTurkish0"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let form_id = b["data"]["resourceId"].as_str().expect("id").to_owned();
    assert_eq!(
        language_of(&srv, &root, &form_id).await,
        (json!("LangTurkish0"), json!("Turkish"))
    );

    // JSON create with an ISO code: stored as the id.
    let json_id = srv
        .create_company(
            &root,
            None,
            json!({"name": "Json Ltd", "preferredLanguageTypeResourceId": "de"}),
        )
        .await;
    assert_eq!(
        language_of(&srv, &root, &json_id).await,
        (json!("LangGerman00"), json!("German"))
    );
    // A company created without one has none.
    let plain = srv
        .create_company(&root, None, json!({"name": "Plain Ltd"}))
        .await;
    assert_eq!(
        language_of(&srv, &root, &plain).await,
        (Value::Null, Value::Null)
    );

    // Full update (JSON, then the form with a tag); an update that leaves it out keeps it.
    let path = format!("/api/companies/{json_id}");
    put_language(&srv, &root, &json_id, "LangFrench00").await;
    assert_eq!(language_of(&srv, &root, &json_id).await.0, "LangFrench00");
    let (s, b) = send_form(
        &srv,
        Method::PUT,
        &path,
        &root,
        Form::new().text("PreferredLanguageTypeResourceId", "pt-BR"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(language_of(&srv, &root, &json_id).await.0, "LangPortugse");
    let (s, b) = srv
        .put(&path, &root, json!({"description": "kept"}), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(language_of(&srv, &root, &json_id).await.0, "LangPortugse");

    // A value that names no language is refused on every write, saying where to look, and
    // changes nothing.
    for (method, path, extra) in [
        (Method::POST, "/api/companies".to_owned(), None),
        (Method::PUT, path.clone(), None),
        (
            Method::PUT,
            "/api/companies/limited".to_owned(),
            Some(json_id.clone()),
        ),
    ] {
        let mut form = Form::new()
            .text("Name", "Bad Ltd")
            .text("PreferredLanguageTypeResourceId", "Klingon");
        if let Some(id) = extra {
            form = form.text("ResourceId", id);
        }
        let (s, b) = send_form(&srv, method.clone(), &path, &root, form).await;
        assert_input_error(
            &format!("{method} {path}"),
            s,
            &b,
            &[
                "PreferredLanguageTypeResourceId",
                "Klingon",
                "GET /api/lookups/21",
            ],
        );
    }
    let (s, b) = srv
        .put(
            &path,
            &root,
            json!({"preferredLanguageTypeResourceId": "Turkish"}),
            &[],
        )
        .await;
    assert_input_error("JSON update", s, &b, &["GET /api/lookups/21"]);
    assert_eq!(language_of(&srv, &root, &json_id).await.0, "LangPortugse");

    // The limited update a company's own Company Admin makes stores it too.
    let (cid, secret) = srv.create_client(&root, &json_id, "Company Admin").await;
    let admin = srv.token(&cid, &secret).await;
    let limited = |language: &str| {
        Form::new()
            .text("ResourceId", json_id.clone())
            .text("PreferredLanguageTypeResourceId", language.to_owned())
    };
    let (s, b) = send_form(
        &srv,
        Method::PUT,
        "/api/companies/limited",
        &admin,
        limited("tr-TR"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        language_of(&srv, &root, &json_id).await,
        (json!("LangTurkish0"), json!("Turkish"))
    );

    // An empty value clears it: the limited form, the full form and JSON.
    let (s, b) = send_form(
        &srv,
        Method::PUT,
        "/api/companies/limited",
        &admin,
        limited(""),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        language_of(&srv, &root, &json_id).await,
        (Value::Null, Value::Null)
    );
    let form_path = format!("/api/companies/{form_id}");
    let (s, b) = send_form(
        &srv,
        Method::PUT,
        &form_path,
        &root,
        Form::new().text("PreferredLanguageTypeResourceId", ""),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(language_of(&srv, &root, &form_id).await.0, Value::Null);
    put_language(&srv, &root, &form_id, "en").await;
    assert_eq!(language_of(&srv, &root, &form_id).await.0, "LangEnglish0");
    put_language(&srv, &root, &form_id, "").await;
    assert_eq!(language_of(&srv, &root, &form_id).await.0, Value::Null);
}
both_engines!(company_language_round_trip);

fn language_filter(operator: &str, value: &str) -> Value {
    json!({"filter": {"Condition": "AND", "FilterGroups": [{"Condition": "AND", "FilterItems": [
        {"FieldName": "preferredLanguageId", "Operator": operator, "Value": value}]}]}})
}

async fn users_store_the_language_id_and_filters_match_any_spelling(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"name": "Acme", "numberOfUsers": 100}))
        .await;
    // Every accepted spelling of Turkish, and one German user.
    let mut turkish = Vec::new();
    for (i, spelling) in ["LangTurkish0", "tr", "TR", "tr-TR", "tr_TR"]
        .into_iter()
        .enumerate()
    {
        let id = create_user(
            &srv,
            &token,
            &company,
            json!({"email": format!("t{i}@acme.example"), "preferredLanguageId": spelling}),
        )
        .await;
        let (_, got) = srv
            .get(&format!("/api/target-users/{id}"), &token, &scope(&company))
            .await;
        assert_eq!(
            got["data"]["preferredLanguageId"], "LangTurkish0",
            "sent as {spelling}: {got}"
        );
        turkish.push(id);
    }
    let german = create_user(
        &srv,
        &token,
        &company,
        json!({"email": "de@acme.example", "preferredLanguageId": "de-DE"}),
    )
    .await;
    // An update with another spelling stores the id too.
    let (s, b) = srv
        .put(
            &format!("/api/target-users/{german}"),
            &token,
            json!({"email": "de@acme.example", "preferredLanguageId": "DE"}),
            &scope(&company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, got) = srv
        .get(
            &format!("/api/target-users/{german}"),
            &token,
            &scope(&company),
        )
        .await;
    assert_eq!(got["data"]["preferredLanguageId"], "LangGerman00", "{got}");

    let ids = |rows: Vec<Value>| {
        let mut ids: Vec<String> = rows
            .iter()
            .map(|r| r["resourceId"].as_str().expect("id").to_owned())
            .collect();
        ids.sort();
        ids
    };
    let mut want_turkish = turkish.clone();
    want_turkish.sort();
    // The UI's column filter sends the resource id; the ISO code and a tag select the same.
    for (op, value) in [
        ("Include", "LangTurkish0"),
        ("Include", "tr"),
        ("Include", "tr-TR"),
        ("=", "tr"),
        ("=", "LangTurkish0"),
        ("Contains", "tr"),
        ("Contains", "turk"),
    ] {
        let rows = search_all(&srv, &token, &company, language_filter(op, value)).await;
        assert_eq!(ids(rows), want_turkish, "{op} {value}");
    }
    let mut both = want_turkish.clone();
    both.push(german.clone());
    both.sort();
    let rows = search_all(&srv, &token, &company, language_filter("Include", "tr,de")).await;
    assert_eq!(ids(rows), both);
    let rows = search_all(&srv, &token, &company, language_filter("!=", "tr")).await;
    assert_eq!(ids(rows), vec![german.clone()]);
    let rows = search_all(&srv, &token, &company, language_filter("Include", "fr")).await;
    assert!(rows.is_empty());
    // Rows show the language's name, which the UI matches.
    let rows = search_all(&srv, &token, &company, language_filter("=", "de")).await;
    assert_eq!(rows[0]["preferredLanguage"], "German", "{rows:?}");
}
both_engines!(users_store_the_language_id_and_filters_match_any_spelling);
