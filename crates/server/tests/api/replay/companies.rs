//! Keepnet's company screens (CompanyList.vue, the company form; REFERENCE.md C.1–C.4 and I,
//! "Companies"): the list as the UI asks for it, flat and clustered, the fields it reads, the
//! limited edit, the licence expiry date the form fills in, delete and bulk delete.

use reqwest::multipart::Form;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{assert_reads, default_payload};
use crate::common::{Engine, TestServer};

/// What CompanyList.vue reads from each row (REFERENCE.md C.1, the newer UI's enrolment
/// columns included).
const ROW_FIELDS: &[&str] = &[
    "companyName",
    "companyResourceId",
    "resellerName",
    "industryName",
    "licenseTypeName",
    "isNumberOfUsersLimited",
    "numberOfUsers",
    "privacyDurationId",
    "licenceExpired",
    "licenseEndDate",
    "createTime",
    "targetUserCount",
    "children",
    "tags",
    "deletedTargetUserCount",
    "inactiveTargetUserCount",
    "monthlyActiveUserCount",
    "monthlyEnrolled",
    "monthlyConsumption",
    "enrolledVendorNames",
];

/// The list call: the default payload plus the two flags the UI always sends.
async fn list(srv: &TestServer, token: &str, clustered: bool) -> Value {
    let mut body = default_payload();
    body["isClustered"] = json!(clustered);
    body["isTargetUserCountExceededLimit"] = json!(false);
    let (s, reply) = srv.post("/api/companies/search", token, body, &[]).await;
    assert_eq!(s, StatusCode::OK, "{reply}");
    assert_reads(
        &reply["data"],
        &[
            "limitExceededCompanyCount",
            "pageNumber",
            "pageSize",
            "totalNumberOfPages",
            "totalNumberOfRecords",
            "results",
        ],
    );
    reply["data"].clone()
}

fn names(rows: &Value) -> Vec<String> {
    rows.as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["companyName"].as_str().map(str::to_owned))
        .collect()
}

async fn company_list_and_form(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let reseller = srv
        .create_company(&token, None, json!({"Name": "Sub Reseller"}))
        .await;
    let customer = srv
        .create_company(&token, Some(&reseller), json!({"Name": "Deep Customer"}))
        .await;
    let flat = srv
        .create_company(&token, None, json!({"Name": "Flat Customer"}))
        .await;

    let data = list(&srv, &token, false).await;
    for row in data["results"].as_array().expect("rows") {
        assert_reads(row, ROW_FIELDS);
        assert_eq!(row["enrolledVendorNames"], json!([]), "{row}");
    }
    let all = names(&data["results"]);
    for n in ["Sub Reseller", "Deep Customer", "Flat Customer"] {
        assert!(all.iter().any(|a| a == n), "{n} in {all:?}");
    }

    // Clustered: each reseller followed by its customers in `children`.
    let data = list(&srv, &token, true).await;
    let tops = data["results"].as_array().expect("rows");
    let sub = tops
        .iter()
        .find(|r| r["companyResourceId"] == reseller.as_str())
        .expect("the sub-reseller is a top row");
    assert_eq!(names(&sub["children"]), vec!["Deep Customer".to_owned()]);
    assert!(
        !tops
            .iter()
            .any(|r| r["companyResourceId"] == customer.as_str()),
        "a customer is listed under its reseller, not on top"
    );

    // The edit form: the licence end a start date gives, then the limited update (multipart,
    // the company named by `ResourceId`).
    let (s, end) = srv
        .post(
            "/api/companies/licenseexpirydate",
            &token,
            json!({"licenseStartDate": "2026-01-01T00:00:00"}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{end}");
    // a year after the start: rollcall's one licence period (docs/api.md, Companies)
    assert!(
        end["data"]["licenseExpiryDate"]
            .as_str()
            .is_some_and(|d| d.starts_with("2027-01-01")),
        "{end}"
    );
    let resp = srv
        .http
        .put(srv.url("/api/companies/limited"))
        .bearer_auth(&token)
        .multipart(
            Form::new()
                .text("ResourceId", flat.clone())
                .text("Name", "Flat Customer Renamed")
                .text("IndustryResourceId", "IndHealthcar")
                .text("CountryResourceId", "CtryGermany0"),
        )
        .send()
        .await
        .expect("limited update");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let (s, got) = srv
        .get(&format!("/api/companies/{flat}"), &token, &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(got["data"]["name"], "Flat Customer Renamed");

    // Delete one, then bulk delete the rest by selection; the UI reloads on a message.
    let (s, reply) = srv
        .call(
            Method::DELETE,
            &format!("/api/companies/{flat}"),
            &token,
            None,
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{reply}");
    assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    let (s, reply) = srv
        .call(
            Method::DELETE,
            "/api/companies/bulk-delete",
            &token,
            Some(json!({"items": [reseller, customer], "selectAll": false, "excludedItems": [], "filter": null})),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{reply}");
    assert_eq!(reply["data"]["deletedCount"], 2, "{reply}");
    assert!(reply["message"].as_str().is_some_and(|m| !m.is_empty()));
    let data = list(&srv, &token, false).await;
    assert!(
        !names(&data["results"])
            .iter()
            .any(|n| n.contains("Customer") || n == "Sub Reseller"),
        "{data}"
    );
}

both_engines!(company_list_and_form);
