//! Companies: Keepnet's multipart create, JSON create, validation, update, delete, search
//! (filters, sorting, paging, errors), lookups, roles and the licence check.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::common::{assert_error, message, result_ids, Engine, TestServer};
use reqwest::multipart::Form;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SEARCH: &str = "/api/companies/search";

/// Sends a multipart company form (POST or PUT) and returns status and JSON.
pub(crate) async fn send_form(
    srv: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: &str,
    form: Form,
) -> (StatusCode, Value) {
    let resp = srv
        .http
        .request(method, srv.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    (status, body)
}

fn full_form(name: &str) -> Form {
    Form::new()
        .text("Name", name.to_owned())
        .text("IndustryResourceId", "IndHealthcar")
        .text("CountryResourceId", "CtryGermany0")
        .text("LicenseTypeResourceId", "LicEnterpris")
        .text("LicensePeriodTypeResourceId", "LpdYearly000")
        .text("NumberOfUsers", "25")
        .text("TimeZoneId", "Europe/Berlin")
        .text("DateFormat", "dd.MM.yyyy")
        .text("TimeFormat", "HH:mm")
        .text("LicenseStartDate", "2025-01-01")
        .text("LicenseEndDate", "2099-12-31")
        .text("Tags", "alpha")
        .text("Tags", "beta")
}

async fn get_company(srv: &TestServer, token: &str, id: &str) -> Value {
    let (status, body) = srv.get(&format!("/api/companies/{id}"), token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    body["data"].clone()
}

#[track_caller]
fn assert_validation(status: StatusCode, body: &Value, field: &str) {
    assert_error(status, body, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let messages = body["validationMessages"]
        .as_array()
        .unwrap_or_else(|| panic!("validationMessages for {field}: {body}"));
    assert!(
        messages
            .iter()
            .any(|m| m.as_str().is_some_and(|m| m.contains(field))),
        "a validation message names {field}: {body}"
    );
}

async fn multipart_create_and_get(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let (status, body) = send_form(
        &srv,
        reqwest::Method::POST,
        "/api/companies",
        &token,
        full_form("Klinik Nord"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    assert_eq!(body["isSuccess"], true);
    let id = body["data"]["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned();
    assert_eq!(id.len(), 12, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");

    let c = get_company(&srv, &token, &id).await;
    assert_eq!(c["resourceId"], id.as_str());
    assert_eq!(c["name"], "Klinik Nord");
    assert_eq!(c["industryResourceId"], "IndHealthcar");
    assert_eq!(c["industryName"], "Healthcare");
    assert_eq!(c["countryResourceId"], "CtryGermany0");
    assert_eq!(c["countryName"], "Germany");
    assert_eq!(c["countryCode"], "DE");
    assert_eq!(c["licenseTypeResourceId"], "LicEnterpris");
    assert_eq!(c["licenseTypeName"], "Enterprise");
    assert_eq!(c["licensePeriodTypeResourceId"], "LpdYearly000");
    assert_eq!(c["licensePeriodTypeName"], "Yearly");
    assert_eq!(c["numberOfUsers"], json!(25), "a number: {c}");
    assert_eq!(c["isNumberOfUsersLimited"], true);
    assert_eq!(c["timeZoneId"], "Europe/Berlin");
    assert_eq!(c["dateFormat"], "dd.MM.yyyy");
    assert_eq!(c["timeFormat"], "HH:mm");
    assert!(
        c["licenseStartDate"]
            .as_str()
            .is_some_and(|d| d.starts_with("2025-01-01T00:00:00")),
        "{c}"
    );
    assert!(
        c["licenseEndDate"]
            .as_str()
            .is_some_and(|d| d.starts_with("2099-12-31T00:00:00")),
        "{c}"
    );
    assert_eq!(c["licenceExpired"], false);
    assert_eq!(c["tags"], json!(["alpha", "beta"]));
    assert_eq!(c["parentResourceId"], srv.root_company.as_str());
    assert_eq!(c["statusId"], 1);
    assert_eq!(c["targetUserCount"], 0);

    // The search row agrees (numberOfUsers is a string there, as in Keepnet's SearchCompanyDto).
    let (status, body) = srv.post(SEARCH, &token, json!({}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = &body["data"]["results"][0];
    assert_eq!(row["companyResourceId"], id.as_str());
    assert_eq!(row["resourceId"], id.as_str());
    assert_eq!(row["companyName"], "Klinik Nord");
    assert_eq!(row["industryName"], "Healthcare");
    assert_eq!(row["licenseTypeName"], "Enterprise");
    assert_eq!(row["numberOfUsers"], "25");
    assert_eq!(row["resellerName"], "rollcall");
    assert_eq!(row["tags"], json!(["alpha", "beta"]));
    assert_eq!(row["licenceExpired"], false);
}

async fn json_create_any_key_case(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let lower = srv
        .create_company(
            &token,
            None,
            json!({"name": "Lower Co", "industryResourceId": "IndRetail000", "countryResourceId": "CtryFrance00",
                   "numberOfUsers": 7, "tags": ["x"], "licenseEndDate": "2090-05-01T00:00:00Z"}),
        )
        .await;
    let pascal = srv
        .create_company(
            &token,
            None,
            json!({"Name": "Pascal Co", "IndustryResourceId": "IndRetail000", "CountryResourceId": "CtryFrance00",
                   "NumberOfUsers": 7, "Tags": ["x"], "LicenseEndDate": "2090-05-01T00:00:00Z"}),
        )
        .await;
    for (id, name) in [(&lower, "Lower Co"), (&pascal, "Pascal Co")] {
        let c = get_company(&srv, &token, id).await;
        assert_eq!(c["name"], name);
        assert_eq!(c["industryName"], "Retail", "{c}");
        assert_eq!(c["countryCode"], "FR", "{c}");
        assert_eq!(c["numberOfUsers"], 7, "{c}");
        assert_eq!(c["isNumberOfUsersLimited"], true, "{c}");
        assert_eq!(c["tags"], json!(["x"]), "{c}");
        assert!(
            c["licenseEndDate"]
                .as_str()
                .is_some_and(|d| d.starts_with("2090-05-01T00:00:00")),
            "{c}"
        );
        // Defaults for the licence.
        assert_eq!(c["licenseTypeName"], "Standard", "{c}");
        assert_eq!(c["licensePeriodTypeName"], "Yearly", "{c}");
    }
}

async fn create_validation_errors(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let post = reqwest::Method::POST;

    // Missing Name, in the form and in JSON.
    let form = Form::new().text("NumberOfUsers", "5");
    let (status, body) = send_form(&srv, post.clone(), "/api/companies", &token, form).await;
    assert_validation(status, &body, "Name");
    let (status, body) = srv
        .post("/api/companies", &token, json!({"NumberOfUsers": 5}), &[])
        .await;
    assert_validation(status, &body, "Name");
    let (status, body) = srv
        .post("/api/companies", &token, json!({"Name": "   "}), &[])
        .await;
    assert_validation(status, &body, "Name");

    // Unknown lookup id.
    let form = Form::new()
        .text("Name", "X")
        .text("IndustryResourceId", "IndNoSuchOne");
    let (status, body) = send_form(&srv, post.clone(), "/api/companies", &token, form).await;
    assert_validation(status, &body, "IndustryResourceId");
    let (status, body) = srv
        .post(
            "/api/companies",
            &token,
            json!({"Name": "X", "CountryResourceId": "CtryAtlantis"}),
            &[],
        )
        .await;
    assert_validation(status, &body, "CountryResourceId");

    // NumberOfUsers not a number.
    let form = Form::new().text("Name", "X").text("NumberOfUsers", "abc");
    let (status, body) = send_form(&srv, post.clone(), "/api/companies", &token, form).await;
    assert_validation(status, &body, "NumberOfUsers");

    // Licence ends before it starts.
    let form = Form::new()
        .text("Name", "X")
        .text("LicenseStartDate", "2026-06-01")
        .text("LicenseEndDate", "2026-05-01");
    let (status, body) = send_form(&srv, post, "/api/companies", &token, form).await;
    assert_validation(status, &body, "LicenseEndDate");

    // None of them was created.
    let (status, body) = srv.post(SEARCH, &token, json!({}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["totalNumberOfRecords"], 0, "{body}");
}

async fn update_changes_only_sent_fields(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let (status, body) = send_form(
        &srv,
        reqwest::Method::POST,
        "/api/companies",
        &token,
        full_form("Before"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["data"]["resourceId"].as_str().expect("id").to_owned();
    let before = get_company(&srv, &token, &id).await;

    let (status, body) = srv
        .put(
            &format!("/api/companies/{id}"),
            &token,
            json!({"NumberOfUsers": 40, "Description": "now described"}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["resourceId"], id.as_str());
    let after = get_company(&srv, &token, &id).await;
    let mut expected = before.clone();
    expected["numberOfUsers"] = json!(40);
    expected["description"] = json!("now described");
    assert_eq!(after, expected);

    // A multipart PUT with only the name.
    let (status, body) = send_form(
        &srv,
        reqwest::Method::PUT,
        &format!("/api/companies/{id}"),
        &token,
        Form::new().text("Name", "After"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let renamed = get_company(&srv, &token, &id).await;
    expected["name"] = json!("After");
    assert_eq!(renamed, expected);

    // An invalid update changes nothing.
    let (status, body) = srv
        .put(
            &format!("/api/companies/{id}"),
            &token,
            json!({"Name": "Broken", "IndustryResourceId": "IndNoSuchOne"}),
            &[],
        )
        .await;
    assert_validation(status, &body, "IndustryResourceId");
    assert_eq!(get_company(&srv, &token, &id).await, expected);
}

async fn delete_rules(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let parent = srv
        .create_company(&token, None, json!({"Name": "Parent"}))
        .await;
    let child = srv
        .create_company(&token, Some(&parent), json!({"Name": "Child"}))
        .await;

    let (status, body) = srv
        .delete(&format!("/api/companies/{parent}"), &token, &[])
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "CONFLICT");
    assert!(message(&body).contains("child"), "{body}");
    get_company(&srv, &token, &parent).await;

    let (status, body) = srv
        .delete(&format!("/api/companies/{child}"), &token, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["resourceId"], child.as_str());
    let (status, body) = srv
        .delete(&format!("/api/companies/{parent}"), &token, &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["resourceId"], parent.as_str());

    for id in [&parent, &child] {
        let (status, body) = srv.get(&format!("/api/companies/{id}"), &token, &[]).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
        let (status, body) = srv
            .delete(&format!("/api/companies/{id}"), &token, &[])
            .await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    }
    let (status, body) = srv.post(SEARCH, &token, json!({}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["totalNumberOfRecords"], 0, "{body}");

    // A reseller cannot delete its own company: the root, and a reseller below it.
    let (status, body) = srv
        .delete(&format!("/api/companies/{}", srv.root_company), &token, &[])
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let reseller = srv
        .create_company(&token, None, json!({"Name": "Reseller Co"}))
        .await;
    let (id, secret) = srv.create_client(&token, &reseller, "Reseller").await;
    let rt = srv.token(&id, &secret).await;
    let (status, body) = srv
        .delete(&format!("/api/companies/{reseller}"), &rt, &[])
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    get_company(&srv, &token, &reseller).await;
    get_company(&srv, &token, &srv.root_company).await;
}

/// One company of the search fixture.
#[derive(Debug, Clone)]
struct Co {
    id: String,
    name: &'static str,
    industry: &'static str,
    industry_name: &'static str,
    users: Option<i64>,
    tags: Vec<&'static str>,
    /// `YYYY-MM-DD`, licence ends at midnight UTC.
    end: Option<&'static str>,
}

impl Co {
    fn expired(&self) -> bool {
        // Every end date in the fixture is far from today.
        self.end.is_some_and(|e| e < "2026-01-01")
    }
    fn has_tag(&self, t: &str) -> bool {
        self.tags
            .iter()
            .any(|x| x.to_lowercase() == t.to_lowercase())
    }
}

fn fixture() -> Vec<Co> {
    let co = |name, industry, industry_name, users, tags: &[&'static str], end| Co {
        id: String::new(),
        name,
        industry,
        industry_name,
        users,
        tags: tags.to_vec(),
        end,
    };
    vec![
        co(
            "Acme Corp",
            "IndTechnolgy",
            "Technology",
            Some(10),
            &["gold", "eu"],
            Some("2099-06-30"),
        ),
        co(
            "acme labs",
            "IndHealthcar",
            "Healthcare",
            Some(50),
            &["silver"],
            Some("2020-01-15"),
        ),
        co(
            "Ärzte Öko",
            "IndHealthcar",
            "Healthcare",
            Some(25),
            &["eu"],
            Some("2030-03-01"),
        ),
        co(
            "Beta GmbH",
            "IndRetail000",
            "Retail",
            Some(100),
            &[],
            Some("2019-05-05"),
        ),
        co(
            "zeta",
            "IndTechnolgy",
            "Technology",
            Some(5),
            &["GOLD", "vip"],
            None,
        ),
        co(
            "Omega Health",
            "IndHealthcar",
            "Healthcare",
            None,
            &["vip"],
            Some("2098-01-01"),
        ),
        co(
            "Delta",
            "IndEducation",
            "Education",
            Some(25),
            &["eu", "silver"],
            None,
        ),
        co(
            "Gamma öffentlich",
            "IndGovernmnt",
            "Government",
            Some(1000),
            &["gov"],
            Some("2024-12-31"),
        ),
    ]
}

/// Creates the fixture below the root, in order; returns the server, a root token and rows.
async fn seeded(engine: Engine) -> Option<(TestServer, String, Vec<Co>)> {
    let srv = TestServer::start(engine).await?;
    let token = srv.root_token().await;
    let mut cos = fixture();
    for c in &mut cos {
        let mut body = json!({"Name": c.name, "IndustryResourceId": c.industry, "Tags": c.tags});
        match c.users {
            Some(n) => body["NumberOfUsers"] = json!(n),
            None => body["IsNumberOfUsersLimited"] = json!(false),
        }
        if let Some(end) = c.end {
            body["LicenseStartDate"] = json!("2018-01-01T00:00:00Z");
            body["LicenseEndDate"] = json!(format!("{end}T00:00:00Z"));
        }
        c.id = srv.create_company(&token, None, body).await;
    }
    Some((srv, token, cos))
}

/// Every matching id (pageSize 1000), as a set.
async fn search_set(srv: &TestServer, token: &str, filter: Value) -> BTreeSet<String> {
    let (status, body) = srv
        .post(
            SEARCH,
            token,
            json!({"pageNumber": 1, "pageSize": 1000, "filter": filter}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "filter {filter}: {body}");
    assert_eq!(body["status"], "SUCCESS");
    let ids = result_ids(&body);
    assert_eq!(
        body["data"]["totalNumberOfRecords"],
        json!(ids.len()),
        "{body}"
    );
    ids.into_iter().collect()
}

fn expect(cos: &[Co], pred: impl Fn(&Co) -> bool) -> BTreeSet<String> {
    cos.iter()
        .filter(|c| pred(c))
        .map(|c| c.id.clone())
        .collect()
}

fn item(field: &str, op: &str, value: Value) -> Value {
    json!({"FieldName": field, "Operator": op, "Value": value})
}

/// A filter with one AND group of items.
fn items(list: Vec<Value>) -> Value {
    json!({"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [{"Condition": "AND", "FilterItems": list, "FilterGroups": []}]})
}

async fn search_filters(engine: Engine) {
    let Some((srv, token, cos)) = seeded(engine).await else {
        return;
    };
    let names = |set: &BTreeSet<String>| -> Vec<&str> {
        cos.iter()
            .filter(|c| set.contains(&c.id))
            .map(|c| c.name)
            .collect()
    };
    let all = expect(&cos, |_| true);
    assert_eq!(all.len(), 8);

    let cases: Vec<(&str, Value, BTreeSet<String>)> = vec![
        (
            "CompanyName Contains ACME",
            items(vec![item("CompanyName", "Contains", json!("ACME"))]),
            expect(&cos, |c| c.name.to_lowercase().contains("acme")),
        ),
        (
            "companyname contains ärzte (non-ASCII, other case)",
            items(vec![item("companyname", "contains", json!("ÄRZTE"))]),
            expect(&cos, |c| c.name == "Ärzte Öko"),
        ),
        (
            "CompanyName Contains Ö",
            items(vec![item("CompanyName", "Contains", json!("Ö"))]),
            expect(&cos, |c| c.name.to_lowercase().contains('ö')),
        ),
        (
            "CompanyName = acme CORP",
            items(vec![item("CompanyName", "=", json!("acme CORP"))]),
            expect(&cos, |c| c.name == "Acme Corp"),
        ),
        (
            "CompanyName Equals acme",
            items(vec![item("CompanyName", "Equals", json!("acme"))]),
            BTreeSet::new(),
        ),
        (
            "IndustryResourceId Include",
            items(vec![item(
                "IndustryResourceId",
                "Include",
                json!("IndHealthcar,IndEducation"),
            )]),
            expect(&cos, |c| {
                c.industry == "IndHealthcar" || c.industry == "IndEducation"
            }),
        ),
        (
            "NumberOfUsers > 25",
            items(vec![item("NumberOfUsers", ">", json!(25))]),
            expect(&cos, |c| c.users.is_some_and(|n| n > 25)),
        ),
        (
            "NumberOfUsers >= \"25\"",
            items(vec![item("NumberOfUsers", ">=", json!("25"))]),
            expect(&cos, |c| c.users.is_some_and(|n| n >= 25)),
        ),
        (
            "NumberOfUsers < 25",
            items(vec![item("NumberOfUsers", "<", json!(25))]),
            expect(&cos, |c| c.users.is_some_and(|n| n < 25)),
        ),
        (
            "NumberOfUsers <= 25",
            items(vec![item("NumberOfUsers", "<=", json!(25))]),
            expect(&cos, |c| c.users.is_some_and(|n| n <= 25)),
        ),
        (
            "NumberOfUsers != 25 (no value matches)",
            items(vec![item("NumberOfUsers", "!=", json!(25))]),
            expect(&cos, |c| c.users != Some(25)),
        ),
        (
            "NumberOfUsers > 5 AND < 100",
            items(vec![
                item("NumberOfUsers", ">", json!(5)),
                item("NumberOfUsers", "<", json!(100)),
            ]),
            expect(&cos, |c| c.users.is_some_and(|n| n > 5 && n < 100)),
        ),
        (
            "Tags Include gold,gov",
            items(vec![item("Tags", "Include", json!("gold,gov"))]),
            expect(&cos, |c| c.has_tag("gold") || c.has_tag("gov")),
        ),
        (
            "Tags = EU",
            items(vec![item("Tags", "=", json!("EU"))]),
            expect(&cos, |c| c.has_tag("eu")),
        ),
        (
            "Tags = silv (whole tags only)",
            items(vec![item("Tags", "=", json!("silv"))]),
            BTreeSet::new(),
        ),
        (
            "LicenceExpired = true",
            items(vec![item("LicenceExpired", "=", json!(true))]),
            expect(&cos, Co::expired),
        ),
        (
            "LicenceExpired = false",
            items(vec![item("LicenceExpired", "=", json!(false))]),
            expect(&cos, |c| !c.expired()),
        ),
        (
            "LicenceExpired = \"true\"",
            items(vec![item("LicenceExpired", "=", json!("true"))]),
            expect(&cos, Co::expired),
        ),
        (
            "LicenseEndDate < 2025-01-01",
            items(vec![item("LicenseEndDate", "<", json!("2025-01-01"))]),
            expect(&cos, |c| c.end.is_some_and(|e| e < "2025-01-01")),
        ),
        (
            "LicenseEndDate >= 2030-03-01",
            items(vec![item("LicenseEndDate", ">=", json!("2030-03-01"))]),
            expect(&cos, |c| c.end.is_some_and(|e| e >= "2030-03-01")),
        ),
        (
            "LicenseEndDate = 2024-12-31 (the whole day)",
            items(vec![item("LicenseEndDate", "=", json!("2024-12-31"))]),
            expect(&cos, |c| c.end == Some("2024-12-31")),
        ),
        (
            "CreateTime >= 2999-01-01",
            items(vec![item("CreateTime", ">=", json!("2999-01-01"))]),
            BTreeSet::new(),
        ),
        (
            "IndustryName Contains health",
            items(vec![item("IndustryName", "Contains", json!("health"))]),
            expect(&cos, |c| c.industry_name == "Healthcare"),
        ),
        (
            "nested: (Tags = vip OR NumberOfUsers >= 1000) AND LicenceExpired = false",
            json!({"Condition": "AND", "FilterGroups": [
                {"Condition": "OR", "FilterItems": [item("Tags", "=", json!("vip")), item("NumberOfUsers", ">=", json!(1000))]},
                {"Condition": "AND", "FilterItems": [item("LicenceExpired", "=", json!(false))]}
            ]}),
            expect(&cos, |c| {
                (c.has_tag("vip") || c.users.is_some_and(|n| n >= 1000)) && !c.expired()
            }),
        ),
        (
            "deeper: Healthcare AND (users < 30 OR (Tags = vip AND name contains omega))",
            json!({"FilterGroups": [
                {"Condition": "and", "FilterItems": [item("IndustryResourceId", "=", json!("IndHealthcar"))],
                 "FilterGroups": [{"Condition": "or", "FilterItems": [item("NumberOfUsers", "<", json!(30))],
                                   "FilterGroups": [{"FilterItems": [item("Tags", "=", json!("vip")), item("CompanyName", "Contains", json!("omega"))]}]}]}
            ]}),
            expect(&cos, |c| {
                c.industry == "IndHealthcar"
                    && (c.users.is_some_and(|n| n < 30)
                        || (c.has_tag("vip") && c.name.to_lowercase().contains("omega")))
            }),
        ),
        (
            "top-level OR of two groups",
            json!({"Condition": "OR", "FilterGroups": [
                {"FilterItems": [item("CompanyName", "=", json!("delta"))]},
                {"FilterItems": [item("CompanyName", "=", json!("ZETA"))]}
            ]}),
            expect(&cos, |c| c.name == "Delta" || c.name == "zeta"),
        ),
        (
            "UI default: two empty groups",
            json!({"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
                {"Condition": "AND", "FilterItems": [], "FilterGroups": []},
                {"Condition": "OR", "FilterItems": [], "FilterGroups": []}
            ]}),
            all.clone(),
        ),
        (
            "UI default plus one item in the AND group",
            json!({"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
                {"Condition": "AND", "FilterItems": [item("Tags", "=", json!("gold"))], "FilterGroups": []},
                {"Condition": "OR", "FilterItems": [], "FilterGroups": []}
            ]}),
            expect(&cos, |c| c.has_tag("gold")),
        ),
        (
            "SearchInputTextValue HEALTH (name or industry)",
            json!({"Condition": "AND", "SearchInputTextValue": "HEALTH", "FilterGroups": []}),
            expect(&cos, |c| {
                c.name.to_lowercase().contains("health") || c.industry_name == "Healthcare"
            }),
        ),
        (
            "SearchInputTextValue vip (tags)",
            json!({"SearchInputTextValue": "vip"}),
            expect(&cos, |c| c.has_tag("vip")),
        ),
        (
            "SearchInputTextValue öffent, ANDed with a filter",
            json!({"SearchInputTextValue": "öffent", "FilterGroups": [{"FilterItems": [item("NumberOfUsers", ">", json!(1))]}]}),
            expect(&cos, |c| c.name == "Gamma öffentlich"),
        ),
        (
            "SearchInputTextValue acme AND Tags = silver",
            json!({"SearchInputTextValue": "acme", "FilterGroups": [{"FilterItems": [item("Tags", "=", json!("silver"))]}]}),
            expect(&cos, |c| c.name == "acme labs"),
        ),
        ("filter null", Value::Null, all.clone()),
        ("filter {}", json!({}), all.clone()),
    ];
    for (what, filter, want) in cases {
        let got = search_set(&srv, &token, filter).await;
        assert_eq!(
            got,
            want,
            "{what}: got {:?}, want {:?}",
            names(&got),
            names(&want)
        );
    }

    // CreateTime >= today (the day the rows say they were created) matches all.
    let (status, body) = srv.post(SEARCH, &token, json!({}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created = body["data"]["results"][0]["createTime"]
        .as_str()
        .expect("createTime")
        .to_owned();
    let today = &created[..10];
    assert_eq!(
        search_set(
            &srv,
            &token,
            items(vec![item("CreateTime", ">=", json!(today))])
        )
        .await,
        all
    );
    assert_eq!(
        search_set(
            &srv,
            &token,
            items(vec![item("CreateTime", "=", json!(today))])
        )
        .await,
        all
    );
    assert_eq!(
        search_set(
            &srv,
            &token,
            items(vec![item("CreateTime", "<", json!(today))])
        )
        .await,
        BTreeSet::new()
    );

    // Filter missing altogether.
    let (status, body) = srv
        .post(SEARCH, &token, json!({"pageSize": 100}), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(result_ids(&body).into_iter().collect::<BTreeSet<_>>(), all);

    // Every row carries licenceExpired as computed from the end date.
    let (status, body) = srv
        .post(SEARCH, &token, json!({"pageSize": 100}), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for row in body["data"]["results"].as_array().expect("results") {
        let c = cos
            .iter()
            .find(|c| row["resourceId"] == c.id.as_str())
            .expect("known row");
        assert_eq!(row["licenceExpired"], c.expired(), "{}: {row}", c.name);
        assert_eq!(
            row["numberOfUsers"],
            c.users.map_or(Value::Null, |n| json!(n.to_string())),
            "{row}"
        );
        assert_eq!(row["industryResourceId"], c.industry, "{row}");
    }
}

/// The full result order of a search (pageSize 1000).
async fn order_of(srv: &TestServer, token: &str, order_by: Value, ascending: Value) -> Vec<String> {
    let mut body = json!({"pageNumber": 1, "pageSize": 1000, "orderBy": order_by});
    if !ascending.is_null() {
        body["ascending"] = ascending;
    }
    let (status, resp) = srv.post(SEARCH, token, body.clone(), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}: {resp}");
    result_ids(&resp)
}

fn sorted_ids(cos: &[Co], cmp: impl Fn(&Co, &Co) -> Ordering) -> Vec<String> {
    // The fixture order is the creation (id) order: the tie-breaker.
    let mut idx: Vec<usize> = (0..cos.len()).collect();
    idx.sort_by(|&a, &b| cmp(&cos[a], &cos[b]).then(a.cmp(&b)));
    idx.into_iter().map(|i| cos[i].id.clone()).collect()
}

fn reversed(mut v: Vec<String>) -> Vec<String> {
    v.reverse();
    v
}

fn named(cos: &[Co], ids: &[String]) -> Vec<&'static str> {
    ids.iter()
        .map(|id| cos.iter().find(|c| &c.id == id).map_or("?", |c| c.name))
        .collect()
}

/// `None` sorts as the largest value (docs/api.md).
fn nulls_last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

async fn search_sort_by_name_and_default(engine: Engine) {
    let Some((srv, token, cos)) = seeded(engine).await else {
        return;
    };
    // Case-insensitive, bytewise on the lowercase text: "ärzte" after "zeta".
    let asc = sorted_ids(&cos, |a, b| {
        a.name
            .to_lowercase()
            .as_bytes()
            .cmp(b.name.to_lowercase().as_bytes())
    });
    let got = order_of(&srv, &token, json!("CompanyName"), json!(true)).await;
    assert_eq!(
        got,
        asc,
        "{:?} vs {:?}",
        named(&cos, &got),
        named(&cos, &asc)
    );
    let got = order_of(&srv, &token, json!("companyname"), json!(false)).await;
    assert_eq!(got, reversed(asc.clone()), "{:?}", named(&cos, &got));
    // `Name` is an alias.
    let got = order_of(&srv, &token, json!("Name"), json!(true)).await;
    assert_eq!(got, asc, "{:?}", named(&cos, &got));

    // Default: CreateTime, newest first; for "" and null orderBy and a missing ascending.
    let newest_first: Vec<String> = cos.iter().rev().map(|c| c.id.clone()).collect();
    for order_by in [
        json!(""),
        Value::Null,
        json!("CreateTime"),
        json!("createtime"),
    ] {
        let got = order_of(&srv, &token, order_by.clone(), Value::Null).await;
        assert_eq!(
            got,
            newest_first,
            "orderBy {order_by}: {:?}",
            named(&cos, &got)
        );
    }
    let got = order_of(&srv, &token, json!(""), json!(true)).await;
    assert_eq!(got, reversed(newest_first));
}

/// Checks ascending and descending order by `field`: first the rows that have a value (their
/// relative order), then the whole list, where rows without a value (`no_value`) sort as the
/// largest value: last ascending, first descending.
async fn check_order(
    srv: &TestServer,
    token: &str,
    cos: &[Co],
    field: &str,
    asc: &[String],
    no_value: &[String],
) {
    for ascending in [true, false] {
        let want: Vec<String> = if ascending {
            asc.to_vec()
        } else {
            reversed(asc.to_vec())
        };
        let got = order_of(srv, token, json!(field), json!(ascending)).await;
        let valued = |v: &[String]| -> Vec<String> {
            v.iter()
                .filter(|id| !no_value.contains(id))
                .cloned()
                .collect()
        };
        assert_eq!(
            valued(&got),
            valued(&want),
            "{field} ascending={ascending}, rows with a value: {:?} vs {:?}",
            named(cos, &got),
            named(cos, &want)
        );
        assert_eq!(
            got,
            want,
            "{field} ascending={ascending}: rows without a value must sort as the largest value: got {:?}, want {:?}",
            named(cos, &got),
            named(cos, &want)
        );
    }
}

async fn search_sort_by_number_of_users(engine: Engine) {
    let Some((srv, token, cos)) = seeded(engine).await else {
        return;
    };
    let asc = sorted_ids(&cos, |a, b| nulls_last(&a.users, &b.users));
    let without: Vec<String> = cos
        .iter()
        .filter(|c| c.users.is_none())
        .map(|c| c.id.clone())
        .collect();
    check_order(&srv, &token, &cos, "NumberOfUsers", &asc, &without).await;
}

async fn search_sort_by_license_end_date(engine: Engine) {
    let Some((srv, token, cos)) = seeded(engine).await else {
        return;
    };
    let asc = sorted_ids(&cos, |a, b| nulls_last(&a.end, &b.end));
    let without: Vec<String> = cos
        .iter()
        .filter(|c| c.end.is_none())
        .map(|c| c.id.clone())
        .collect();
    check_order(&srv, &token, &cos, "LicenseEndDate", &asc, &without).await;
}

async fn search_paging(engine: Engine) {
    let Some((srv, token, cos)) = seeded(engine).await else {
        return;
    };
    let expected = sorted_ids(&cos, |a, b| {
        a.name
            .to_lowercase()
            .as_bytes()
            .cmp(b.name.to_lowercase().as_bytes())
    });
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (status, body) = srv
            .post(
                SEARCH,
                &token,
                json!({"pageNumber": page, "pageSize": 3, "orderBy": "CompanyName", "ascending": true,
                       "filter": {"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": []}}),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = &body["data"];
        assert_eq!(data["pageNumber"], page);
        assert_eq!(data["pageSize"], 3);
        assert_eq!(data["totalNumberOfRecords"], 8, "{body}");
        assert_eq!(data["totalNumberOfPages"], 3, "{body}");
        let ids = result_ids(&body);
        assert_eq!(ids.len(), if page < 3 { 3 } else { 2 }, "{body}");
        seen.extend(ids);
    }
    assert_eq!(seen, expected, "every company exactly once, in order");

    // Past the end: empty page, same totals.
    let (status, body) = srv
        .post(SEARCH, &token, json!({"pageNumber": 4, "pageSize": 3}), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(result_ids(&body), Vec::<String>::new());
    assert_eq!(body["data"]["totalNumberOfRecords"], 8);
    assert_eq!(body["data"]["totalNumberOfPages"], 3);

    // Paging the default order too: newest first, all of them once.
    let mut seen = Vec::new();
    for page in 1..=3 {
        let (status, body) = srv
            .post(
                SEARCH,
                &token,
                json!({"pageNumber": page, "pageSize": 3}),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.extend(result_ids(&body));
    }
    let newest_first: Vec<String> = cos.iter().rev().map(|c| c.id.clone()).collect();
    assert_eq!(seen, newest_first);

    // Defaults: page 1, size 10.
    let (status, body) = srv.post(SEARCH, &token, json!({}), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["pageNumber"], 1);
    assert_eq!(body["data"]["pageSize"], 10);
    assert_eq!(body["data"]["totalNumberOfPages"], 1);

    // Request keys in any case.
    for (body, size) in [
        (json!({"PageSize": 2, "PageNumber": 1}), 2),
        (json!({"PAGESIZE": 3, "PAGENUMBER": 2}), 3),
        (json!({"pagesize": 5}), 5),
    ] {
        let (status, resp) = srv.post(SEARCH, &token, body.clone(), &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}: {resp}");
        assert_eq!(resp["data"]["pageSize"], size, "{body}: {resp}");
        assert_eq!(result_ids(&resp).len(), size as usize, "{body}: {resp}");
    }
    let (status, resp) = srv
        .post(
            SEARCH,
            &token,
            json!({"PAGESIZE": 3, "PAGENUMBER": 2, "ORDERBY": "COMPANYNAME", "Ascending": true}),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resp}");
    assert_eq!(resp["data"]["pageNumber"], 2);
    assert_eq!(result_ids(&resp), expected[3..6].to_vec());
}

async fn search_bad_requests(engine: Engine) {
    let Some((srv, token, _cos)) = seeded(engine).await else {
        return;
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({"pageSize": 0}), vec!["pageSize", "1", "1000"]),
        (json!({"pageSize": 1001}), vec!["pageSize", "1", "1000"]),
        (json!({"pageSize": -5}), vec!["pageSize", "1000"]),
        (json!({"pageNumber": 0}), vec!["pageNumber", "1"]),
        (json!({"pageNumber": -1}), vec!["pageNumber"]),
        (
            json!({"filter": items(vec![item("Shoe", "=", json!("x"))])["FilterGroups"].clone()}),
            vec![],
        ),
        (
            json!({"filter": items(vec![item("Shoe", "=", json!("x"))])}),
            vec!["Shoe", "CompanyName"],
        ),
        (
            json!({"filter": items(vec![item("CompanyName", "like", json!("x"))])}),
            vec!["like", "Contains"],
        ),
        (
            json!({"filter": items(vec![item("NumberOfUsers", ">", json!("abc"))])}),
            vec!["NumberOfUsers", "abc"],
        ),
        (
            json!({"filter": items(vec![item("LicenseEndDate", "<", json!("someday"))])}),
            vec!["LicenseEndDate", "someday"],
        ),
        (
            json!({"filter": items(vec![item("LicenceExpired", "=", json!("maybe"))])}),
            vec!["LicenceExpired", "maybe"],
        ),
        (json!({"orderBy": "Shoe"}), vec!["Shoe", "CompanyName"]),
        (json!({"orderBy": "Tags"}), vec!["Tags"]),
        (
            json!({"filter": {"Condition": "XOR", "FilterGroups": []}}),
            vec!["XOR"],
        ),
        (
            json!({"filter": {"FilterGroups": [{"FilterItems": [{"Operator": "=", "Value": "x"}]}]}}),
            vec!["fieldName"],
        ),
    ];
    for (body, needles) in cases {
        let (status, resp) = srv.post(SEARCH, &token, body.clone(), &[]).await;
        assert_error(status, &resp, StatusCode::BAD_REQUEST, "INPUT_ERROR");
        let msg = message(&resp);
        for n in needles {
            assert!(msg.contains(n), "{body}: message should name {n}: {resp}");
        }
    }

    // Not JSON, or the wrong content type.
    let resp = srv
        .http
        .post(srv.url(SEARCH))
        .bearer_auth(&token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = srv
        .http
        .post(srv.url(SEARCH))
        .bearer_auth(&token)
        .header("Content-Type", "text/plain")
        .body(r#"{"pageSize": 5}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // text/json is JSON.
    let resp = srv
        .http
        .post(srv.url(SEARCH))
        .bearer_auth(&token)
        .header("Content-Type", "text/json")
        .body(r#"{"pageSize": 5}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn lookups_and_roles(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let (status, body) = srv.get("/api/lookups", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = body["data"].as_object().expect("object");
    let kinds: BTreeSet<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(
        kinds,
        [
            "country",
            "industry",
            "language",
            "license_period_type",
            "license_type"
        ]
        .into_iter()
        .collect()
    );
    let find = |kind: &str, id: &str| -> Value {
        data[kind]
            .as_array()
            .expect("list")
            .iter()
            .find(|e| e["resourceId"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{kind} {id} in {body}"))
    };
    assert_eq!(find("industry", "IndHealthcar")["name"], "Healthcare");
    assert_eq!(find("country", "CtryGermany0")["name"], "Germany");
    assert_eq!(find("country", "CtryGermany0")["code"], "DE");
    assert_eq!(find("license_type", "LicEnterpris")["name"], "Enterprise");
    assert_eq!(
        find("license_period_type", "LpdYearly000")["name"],
        "Yearly"
    );

    let (status, one) = srv.get("/api/lookups/industry", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["data"], data["industry"]);
    for entry in one["data"].as_array().expect("list") {
        let id = entry["resourceId"].as_str().expect("id");
        assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(entry["code"].is_null(), "{entry}");
    }
    let (status, body) = srv.get("/api/lookups/shoes", &token, &[]).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    assert!(message(&body).contains("industry"), "{body}");

    let (status, body) = srv.get("/api/roles", &token, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!([
            {"resourceId": "RoleReseller", "name": "Reseller"},
            {"resourceId": "RoleCompAdmn", "name": "Company Admin"}
        ])
    );
    // Lookups need a token.
    let resp = srv
        .http
        .get(srv.url("/api/lookups"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

async fn license_check_fresh_company(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let limited = srv
        .create_company(
            &token,
            None,
            json!({"Name": "Limited", "NumberOfUsers": 25}),
        )
        .await;
    let (status, body) = srv
        .get(
            &format!("/api/companies/{limited}/license-check"),
            &token,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!({"isLimited": true, "licenseLimit": 25, "activeUserCount": 0, "totalUserCount": 0, "isLicenseExceeded": false})
    );

    let unlimited = srv
        .create_company(&token, None, json!({"Name": "Unlimited"}))
        .await;
    let (status, body) = srv
        .get(
            &format!("/api/companies/{unlimited}/license-check"),
            &token,
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["isLimited"], false, "{body}");
    assert_eq!(body["data"]["licenseLimit"], Value::Null, "{body}");
    assert_eq!(body["data"]["activeUserCount"], 0);
    assert_eq!(body["data"]["isLicenseExceeded"], false);
}

async fn search_text_is_literal(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let pct = srv
        .create_company(&token, None, json!({"Name": "100% Pure"}))
        .await;
    let under = srv
        .create_company(&token, None, json!({"Name": "under_score"}))
        .await;
    let slash = srv
        .create_company(&token, None, json!({"Name": "back\\slash"}))
        .await;
    let plain = srv
        .create_company(&token, None, json!({"Name": "Plain Name"}))
        .await;
    let one = |id: &String| -> BTreeSet<String> { [id.clone()].into_iter().collect() };
    for (needle, want) in [
        ("%", one(&pct)),
        ("_", one(&under)),
        ("\\", one(&slash)),
        ("0% p", one(&pct)),
        ("r_s", one(&under)),
        ("n n", one(&plain)),
        ("%%", BTreeSet::new()),
        ("n_me", BTreeSet::new()),
    ] {
        let got = search_set(
            &srv,
            &token,
            items(vec![item("CompanyName", "Contains", json!(needle))]),
        )
        .await;
        assert_eq!(got, want, "CompanyName Contains {needle:?}");
        let got = search_set(&srv, &token, json!({"SearchInputTextValue": needle})).await;
        assert_eq!(got, want, "SearchInputTextValue {needle:?}");
    }
}

async fn search_exact_fields_compare_exactly(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let health = srv
        .create_company(
            &token,
            None,
            json!({"Name": "Health", "IndustryResourceId": "IndHealthcar"}),
        )
        .await;
    srv.create_company(
        &token,
        None,
        json!({"Name": "Retail", "IndustryResourceId": "IndRetail000"}),
    )
    .await;
    let one: BTreeSet<String> = [health.clone()].into_iter().collect();
    let none = BTreeSet::new();
    let lower_id = health.to_lowercase();
    let upper_id = health.to_uppercase();
    // Resource ids are case-sensitive (they are base62): a different case is a different id,
    // on both engines alike.
    let cases: Vec<(&str, &str, &str, &BTreeSet<String>)> = vec![
        ("IndustryResourceId", "=", "IndHealthcar", &one),
        ("IndustryResourceId", "=", "indhealthcar", &none),
        ("IndustryResourceId", "Include", "INDHEALTHCAR", &none),
        ("IndustryResourceId", "Contains", "IndHealth", &one),
        ("IndustryResourceId", "Contains", "indhealth", &none),
        ("CompanyResourceId", "=", &health, &one),
        ("CompanyResourceId", "Contains", &health[2..8], &one),
    ];
    let mut cases = cases;
    if lower_id != health {
        cases.push(("CompanyResourceId", "=", &lower_id, &none));
        cases.push(("CompanyResourceId", "Contains", &lower_id, &none));
    }
    if upper_id != health {
        cases.push(("CompanyResourceId", "Contains", &upper_id, &none));
    }
    for (field, op, value, want) in cases {
        let got = search_set(&srv, &token, items(vec![item(field, op, json!(value))])).await;
        assert_eq!(&got, want, "{field} {op} {value:?}");
    }
}

both_engines!(
    multipart_create_and_get,
    json_create_any_key_case,
    create_validation_errors,
    update_changes_only_sent_fields,
    delete_rules,
    search_filters,
    search_sort_by_name_and_default,
    search_sort_by_number_of_users,
    search_sort_by_license_end_date,
    search_paging,
    search_bad_requests,
    lookups_and_roles,
    license_check_fresh_company,
    search_text_is_literal,
    search_exact_fields_compare_exactly,
);
