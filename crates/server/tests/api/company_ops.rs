//! Company operations beyond CRUD (issue #13): the full `CompanyDto`, search rows' enrolment
//! figures and the clustered view, bulk delete, the limited update, the licence expiry date,
//! the API client export, and the success messages of company and client writes.

use crate::common::{assert_error, message, Engine, TestServer, SCOPE};
use reqwest::multipart::Form;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Every property of Keepnet's `CompanyDto`
/// (`KeepnetLabs.ApplicationService.Company.Dto.CompanyDto` in its spec), in its order.
const COMPANY_DTO_FIELDS: &[&str] = &[
    "resourceId",
    "name",
    "description",
    "industryResourceId",
    "industryName",
    "countryResourceId",
    "countryName",
    "countryCode",
    "address",
    "websiteUrl",
    "logoUrl",
    "licenseTypeResourceId",
    "licenseTypeName",
    "licensePeriodTypeResourceId",
    "licensePeriodTypeName",
    "licenseStartDate",
    "licenseEndDate",
    "isNumberOfUsersLimited",
    "numberOfUsers",
    "notificationTemplateTypeResourceId",
    "notificationTemplateTypeName",
    "trainingContentTypeResourceId",
    "trainingContentTypeName",
    "smtpConfigurationTypeResourceId",
    "smtpConfigurationTypeName",
    "preferredLanguageTypeResourceId",
    "preferredLanguageTypeName",
    "isVersionVisible",
    "isReleaseNotesVisible",
    "releaseNotesUrl",
    "companyGroups",
    "parentId",
    "baseManHourCost",
    "baseManHour",
    "statusId",
    "statusName",
    "licenseModules",
    "targetUserCount",
    "timeZoneId",
    "callBackNumberBookingCount",
    "dateFormat",
    "timeFormat",
    "tags",
    "hasAgenticAILicense",
];

async fn company_dto_has_every_field(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let id = srv
        .create_company(&root, None, json!({"name": "Full", "numberOfUsers": 5}))
        .await;
    let (s, b) = srv.get(&format!("/api/companies/{id}"), &root, &[]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let data = b["data"].as_object().expect("data");
    let missing: Vec<&&str> = COMPANY_DTO_FIELDS
        .iter()
        .filter(|f| !data.contains_key(**f))
        .collect();
    assert!(missing.is_empty(), "missing {missing:?} in {b}");
    // What rollcall does not have reads as empty, never invented.
    for (field, empty) in [
        ("licenseModules", json!([])),
        ("hasAgenticAILicense", json!(false)),
        ("companyGroups", json!([])),
        ("notificationTemplateTypeName", Value::Null),
        ("trainingContentTypeName", Value::Null),
        ("smtpConfigurationTypeName", Value::Null),
        ("preferredLanguageTypeName", Value::Null),
        ("isVersionVisible", json!(false)),
        ("isReleaseNotesVisible", json!(false)),
        ("releaseNotesUrl", Value::Null),
        ("parentId", Value::Null),
        ("baseManHourCost", json!(0)),
        ("baseManHour", json!(0)),
        ("callBackNumberBookingCount", Value::Null),
    ] {
        assert_eq!(data[field], empty, "{field} in {b}");
    }
    assert_eq!(data["parentResourceId"], srv.root_company.as_str());
    assert_eq!(data["numberOfUsers"], 5);
}

fn search_body(clustered: bool, size: i64) -> Value {
    json!({"pageNumber": 1, "pageSize": size, "orderBy": "Name", "ascending": true,
        "isClustered": clustered, "isTargetUserCountExceededLimit": false,
        "filter": {"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": []}})
}

fn names(rows: &Value) -> Vec<String> {
    rows.as_array()
        .expect("rows")
        .iter()
        .map(|r| r["companyName"].as_str().expect("name").to_owned())
        .collect()
}

async fn search_rows_and_clustered_tree(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    // Two resellers below the root, one with two customers, one with a customer below a
    // sub-customer; and a direct customer.
    let a = srv
        .create_company(&root, None, json!({"name": "A reseller"}))
        .await;
    let b = srv
        .create_company(&root, None, json!({"name": "B reseller"}))
        .await;
    srv.create_company(&root, None, json!({"name": "C direct"}))
        .await;
    srv.create_company(&root, Some(&a), json!({"name": "A2 customer"}))
        .await;
    srv.create_company(&root, Some(&a), json!({"name": "A1 customer"}))
        .await;
    let b1 = srv
        .create_company(&root, Some(&b), json!({"name": "B1 sub"}))
        .await;
    srv.create_company(&root, Some(&b1), json!({"name": "B1x deep"}))
        .await;

    let (s, flat) = srv
        .post("/api/companies/search", &root, search_body(false, 100), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{flat}");
    assert_eq!(flat["data"]["totalNumberOfRecords"], 7, "{flat}");
    for r in flat["data"]["results"].as_array().expect("rows") {
        assert_eq!(r["monthlyEnrolled"], 0, "{r}");
        assert_eq!(r["monthlyConsumption"], 0, "{r}");
        assert_eq!(r["enrolledVendorNames"], json!([]), "{r}");
        assert_eq!(r["children"], Value::Null, "the flat list: {r}");
    }

    let (s, tree) = srv
        .post("/api/companies/search", &root, search_body(true, 100), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{tree}");
    let d = &tree["data"];
    assert_eq!(d["totalNumberOfRecords"], 3, "top-level rows: {tree}");
    let tops = &d["results"];
    assert_eq!(names(tops), ["A reseller", "B reseller", "C direct"]);
    assert_eq!(names(&tops[0]["children"]), ["A1 customer", "A2 customer"]);
    assert_eq!(names(&tops[1]["children"]), ["B1 sub"]);
    assert_eq!(names(&tops[1]["children"][0]["children"]), ["B1x deep"]);
    assert_eq!(tops[2]["children"], json!([]), "{tree}");
    assert_eq!(tops[0]["children"][0]["children"], json!([]), "{tree}");

    // Paging counts top-level rows; a filter keeps matching customers below the top rows.
    let (_, page2) = srv
        .post(
            "/api/companies/search",
            &root,
            json!({"pageNumber": 2, "pageSize": 2, "orderBy": "Name", "ascending": true, "isClustered": true}),
            &[],
        )
        .await;
    assert_eq!(names(&page2["data"]["results"]), ["C direct"], "{page2}");
    assert_eq!(page2["data"]["totalNumberOfPages"], 2, "{page2}");
    let (_, filtered) = srv
        .post(
            "/api/companies/search",
            &root,
            json!({"isClustered": true, "orderBy": "Name", "ascending": true,
                "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Name", "Operator": "Contains", "Value": "customer"}]}]}}),
            &[],
        )
        .await;
    assert_eq!(
        names(&filtered["data"]["results"]),
        ["A1 customer", "A2 customer"],
        "a match whose parent does not match is a top-level row: {filtered}"
    );
}

fn limited_form(id: &str) -> Form {
    Form::new()
        .text("ResourceId", id.to_owned())
        .text("Name", "Renamed Ltd")
        .text("Description", "Now smaller")
        .text("IndustryResourceId", "IndHealthcar")
        .text("CountryResourceId", "CtryGermany0")
        .text("Address", "1 Main St")
        .text("WebsiteUrl", "https://renamed.example")
        .text("PreferredLanguageTypeResourceId", "de-DE")
        .text("TimeZoneId", "Europe/Berlin")
}

async fn send_form(srv: &TestServer, token: &str, form: Form) -> (StatusCode, Value) {
    let resp = srv
        .http
        .put(srv.url("/api/companies/limited"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.expect("json"))
}

async fn limited_update(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let id = srv
        .create_company(
            &root,
            None,
            json!({"name": "Cust", "numberOfUsers": 10, "dateFormat": "dd.MM.yyyy"}),
        )
        .await;
    let (cid, secret) = srv.create_client(&root, &id, "Company Admin").await;
    let admin = srv.token(&cid, &secret).await;
    // The literal route wins over /api/companies/{resourceId}.
    let (s, b) = send_form(&srv, &admin, limited_form(&id)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["resourceId"], id.as_str());
    assert_eq!(b["message"], "Company updated.");
    let (_, c) = srv.get(&format!("/api/companies/{id}"), &root, &[]).await;
    let c = &c["data"];
    assert_eq!(c["name"], "Renamed Ltd");
    assert_eq!(c["industryName"], "Healthcare");
    assert_eq!(c["countryCode"], "DE");
    assert_eq!(c["websiteUrl"], "https://renamed.example");
    assert_eq!(c["timeZoneId"], "Europe/Berlin");
    // Stored, as the language's resource id (docs/api.md).
    assert_eq!(c["preferredLanguageTypeResourceId"], "LangGerman00");
    assert_eq!(c["preferredLanguageTypeName"], "German");
    assert_eq!(c["numberOfUsers"], 10, "untouched: {c}");
    assert_eq!(c["dateFormat"], "dd.MM.yyyy", "untouched: {c}");

    let (s, b) = send_form(
        &srv,
        &admin,
        limited_form(&id).text("NumberOfUsers", "5000"),
    )
    .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&b).contains("NumberOfUsers"), "{b}");
    let (s, b) = send_form(&srv, &admin, Form::new().text("Name", "No id")).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&b).contains("ResourceId"), "{b}");
    // A Company Admin reaches only its own company.
    let (s, b) = send_form(&srv, &admin, limited_form(&srv.root_company)).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "FORBIDDEN");
}

async fn bulk_delete(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let parent = srv
        .create_company(&root, None, json!({"name": "Parent"}))
        .await;
    let child = srv
        .create_company(&root, Some(&parent), json!({"name": "Child"}))
        .await;
    let keep = srv
        .create_company(&root, None, json!({"name": "Keep"}))
        .await;
    srv.create_user(&root, &child, json!({"email": "a@child.example"}))
        .await;
    let path = "/api/companies/bulk-delete";
    let del = |body: Value| {
        let srv = &srv;
        let root = &root;
        async move {
            srv.call(reqwest::Method::DELETE, path, root, Some(body), &[])
                .await
        }
    };
    // A parent alone still has a child: 409, nothing deleted.
    let (s, b) = del(json!({"items": [parent, keep]})).await;
    assert_error(s, &b, StatusCode::CONFLICT, "CONFLICT");
    let (s, _) = srv.get(&format!("/api/companies/{keep}"), &root, &[]).await;
    assert_eq!(s, StatusCode::OK, "the refusal rolled back every delete");
    let (s, b) = del(json!({"items": []})).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    let (s, b) = del(json!({"Items": [srv.root_company]})).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "FORBIDDEN");
    // With its child, in any order.
    let (s, b) = del(json!({"Items": [parent, child]})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 2, "{b}");
    assert_eq!(b["message"], "2 companies deleted.");
    let (s, _) = srv
        .get(&format!("/api/companies/{child}"), &root, &[])
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // selectAll with a filter, minus the excluded.
    let x = srv
        .create_company(&root, None, json!({"name": "Temp x"}))
        .await;
    let y = srv
        .create_company(&root, None, json!({"name": "Temp y"}))
        .await;
    let (s, b) = del(json!({"selectAll": true, "excludedItems": [y],
        "filter": {"FilterGroups": [{"FilterItems": [{"FieldName": "Name", "Operator": "Contains", "Value": "temp"}]}]}}))
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["deletedCount"], 1, "{b}");
    assert_eq!(b["message"], "1 company deleted.");
    for (id, want) in [
        (&x, StatusCode::NOT_FOUND),
        (&y, StatusCode::OK),
        (&keep, StatusCode::OK),
    ] {
        let (s, _) = srv.get(&format!("/api/companies/{id}"), &root, &[]).await;
        assert_eq!(s, want, "{id}");
    }
    // Each deleted company is in the audit trail.
    let (_, log) = srv
        .post(
            "/api/audit-logs/search",
            &root,
            json!({"filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "EntityName", "Operator": "=", "Value": "Company"},
                {"FieldName": "Operation", "Operator": "=", "Value": "Delete"}]}]}}),
            &[],
        )
        .await;
    assert_eq!(log["data"]["totalNumberOfRecords"], 3, "{log}");
    // A Company Admin cannot.
    let (cid, secret) = srv.create_client(&root, &keep, "Company Admin").await;
    let admin = srv.token(&cid, &secret).await;
    let (s, b) = srv
        .call(
            reqwest::Method::DELETE,
            path,
            &admin,
            Some(json!({"items": [keep]})),
            &[],
        )
        .await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "FORBIDDEN");
}

async fn license_expiry_date(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let path = "/api/companies/licenseexpirydate";
    for (start, end) in [
        ("2026-03-15", "2027-03-15T00:00:00Z"),
        ("2028-02-29T10:30:00Z", "2029-02-28T10:30:00Z"),
    ] {
        let (s, b) = srv
            .post(path, &root, json!({"LicenseStartDate": start}), &[])
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["data"]["licenseExpiryDate"], end, "{start}: {b}");
    }
    let (s, b) = srv.post(path, &root, json!({}), &[]).await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    assert!(message(&b).contains("licenseStartDate"), "{b}");
    let (s, b) = srv
        .post(path, &root, json!({"licenseStartDate": "soon"}), &[])
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
}

async fn client_export(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let id = srv
        .create_company(&root, None, json!({"name": "Cust"}))
        .await;
    let (c1, _) = srv.create_client(&root, &id, "Company Admin").await;
    let (c2, _) = srv.create_client(&root, &id, "Reseller").await;
    let resp = srv
        .http
        .post(srv.url("/api/companies/clients/search/export?bom=false"))
        .bearer_auth(&root)
        .header(SCOPE, &id)
        .json(
            &json!({"pageNumber": 1, "pageSize": 10, "orderBy": "ClientId", "ascending": true,
            "reportAllPages": true, "exportType": "csv"}),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let disposition = resp
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.contains("REST API Clients.csv"),
        "{disposition}"
    );
    let text = resp.text().await.expect("body");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Client Name,Client Id,Role,Status,IP Restricted,Allowed IP Addresses,Created,Resource Id"
    );
    let mut want = [c1.clone(), c2.clone()];
    want.sort();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with(&format!("{0},{0},", want[0])),
        "{text}"
    );
    assert!(
        text.contains(",Company Admin,Active,false,,") && text.contains(",Reseller,Active,"),
        "{text}"
    );
    assert!(
        !text.to_lowercase().contains("secret"),
        "never a secret: {text}"
    );
    for fmt in ["Excel", "PDF"] {
        let (s, _) = srv
            .post(
                "/api/companies/clients/search/export",
                &root,
                json!({"exportType": fmt, "reportAllPages": true}),
                &[(SCOPE, &id)],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{fmt}");
    }
    let (s, b) = srv
        .post(
            "/api/companies/clients/search/export",
            &root,
            json!({"exportType": "doc"}),
            &[(SCOPE, &id)],
        )
        .await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "INPUT_ERROR");
    // Audited like the other exports.
    let (_, log) = srv
        .post(
            "/api/audit-logs/search",
            &root,
            json!({"filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "Operation", "Operator": "=", "Value": "Export"},
                {"FieldName": "EntityName", "Operator": "=", "Value": "ApiClient"}]}]}}),
            &[(SCOPE, &id)],
        )
        .await;
    assert_eq!(log["data"]["totalNumberOfRecords"], 3, "{log}");
}

async fn writes_say_what_they_did(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let (s, b) = srv
        .post("/api/companies", &root, json!({"name": "Msg"}), &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["message"], "Company created.");
    let id = b["data"]["resourceId"].as_str().expect("id").to_owned();
    let (s, b) = srv
        .put(
            &format!("/api/companies/{id}"),
            &root,
            json!({"name": "Msg 2"}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["message"], "Company updated.");
    let (s, b) = srv
        .post(
            "/api/companies/clients",
            &root,
            json!({"name": "c", "clientId": "msg-client", "clientSecret": "msg-secret-0123456789",
                "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[(SCOPE, &id)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["message"], "REST API client created.");
    let client = b["data"]["resourceId"].as_str().expect("id").to_owned();
    let one = format!("/api/companies/clients/{client}");
    let (s, b) = srv
        .put(
            &one,
            &root,
            json!({"name": "c2", "clientId": "msg-client", "clientSecret": "****",
                "statusId": 1, "roleResourceIdList": ["RoleCompAdmn"]}),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["message"], "REST API client updated.");
    let (s, b) = srv.delete(&one, &root, &[]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["message"], "REST API client deleted.");
    let (s, b) = srv
        .delete(&format!("/api/companies/{id}"), &root, &[])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["message"], "Company deleted.");
    // Reads keep message null.
    let (_, b) = srv.get("/api/companies/my", &root, &[]).await;
    assert_eq!(b["message"], Value::Null, "{b}");
}

both_engines!(
    company_dto_has_every_field,
    search_rows_and_clustered_tree,
    limited_update,
    bulk_delete,
    license_expiry_date,
    client_export,
    writes_say_what_they_did,
);
