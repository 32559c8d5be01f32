//! The request shapes Keepnet's web UI sends from its table search boxes and date filters
//! (CONTRACT.md, rulings of 2026-12-05; docs/api.md "Search boxes", "Empty values", "Dates in
//! the company's format", "API client status"), as the UI sends them: PascalCase keys, the
//! column-filter `AND` group and the search `OR` group with one `Contains` per visible column,
//! `orderBy: ""`. Expected rows are computed in Rust from the rows the server lists unfiltered,
//! from the text each column shows.

use crate::common::tu::{self, assert_input_error, scope, search_all, search_raw};
use crate::common::{Engine, TestServer};
use chrono::DateTime;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The UI's filter: `and` items in the column-filter group, one `Contains` of `text` per column
/// of `columns` in the search group.
fn ui_filter(and: Vec<Value>, columns: &[&str], text: &str) -> Value {
    let search: Vec<Value> = columns
        .iter()
        .map(|c| json!({"FieldName": c, "Operator": "Contains", "Value": text}))
        .collect();
    json!({"Condition": "AND", "SearchInputTextValue": text, "FilterGroups": [
        {"Condition": "AND", "FilterItems": and, "FilterGroups": []},
        {"Condition": "OR", "FilterItems": search, "FilterGroups": []}]})
}

fn ui_body(filter: Value) -> Value {
    json!({"pageNumber": 1, "pageSize": 1000, "orderBy": "", "ascending": false, "filter": filter})
}

/// The text a row's value is shown as: strings as they are, numbers in decimal, booleans as
/// `true`/`false`, times in ISO 8601 to the second, lists joined; `None` for null.
fn shown(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(match DateTime::parse_from_rfc3339(s) {
            Ok(t) => t.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
            Err(_) => s.clone(),
        }),
        Value::Array(items) => Some(items.iter().filter_map(shown).collect::<Vec<_>>().join(" ")),
        other => Some(other.to_string()),
    }
}

/// Whether one of `keys` of `row` shows `needle`, any case; priorities also as `Very Low`.
fn row_shows(row: &Value, keys: &[&str], needle: &str) -> bool {
    let needle = needle.trim().to_lowercase();
    keys.iter().any(|k| {
        shown(&row[*k]).is_some_and(|t| {
            let t = t.to_lowercase();
            t.contains(&needle)
                || (*k == "priority" && t.replace("very", "very ").contains(&needle))
        })
    })
}

/// `rows` are exactly those of `all` one of whose `keys` shows `needle` (compared by `id`).
#[track_caller]
fn assert_rows_show(rows: &[Value], all: &[Value], keys: &[&str], needle: &str, id: &str) {
    let want: Vec<Value> = all
        .iter()
        .filter(|r| row_shows(r, keys, needle))
        .cloned()
        .collect();
    assert_eq!(ids(rows, id), ids(&want, id), "search box {needle:?}");
}

fn ids(rows: &[Value], key: &str) -> Vec<String> {
    let mut v: Vec<String> = rows
        .iter()
        .map(|r| r[key].as_str().unwrap_or_default().to_owned())
        .collect();
    v.sort();
    v
}

/// The UI's "between" on `CreateTime`: `>=` `from` and `<=` `to` (its second item's key in
/// lowercase), in the column-filter group.
fn between(from: &str, to: &str) -> Value {
    ui_body(
        json!({"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [
        {"Condition": "AND", "FilterItems": [
            {"FieldName": "CreateTime", "Operator": ">=", "Value": from},
            {"FieldName": "CreateTime", "Operator": "<=", "value": to}], "FilterGroups": []},
        {"Condition": "OR", "FilterItems": [], "FilterGroups": []}]}),
    )
}

/// A server with a company made of `company` (a JSON create body) holding the shared data set.
async fn seeded(
    engine: Engine,
    company: Value,
) -> Option<(TestServer, String, String, Vec<tu::U>)> {
    let srv = TestServer::start(engine).await?;
    let token = srv.root_token().await;
    let company = srv.create_company(&token, None, company).await;
    let mut users = tu::dataset();
    tu::seed(&srv, &token, &company, &mut users).await;
    Some((srv, token, company, users))
}

/// The target-user page's visible columns as the UI names its search items (REFERENCE.md D;
/// People.vue drops `TimeZone` and `PreferredLanguage`), and the row keys they show.
const USER_COLUMNS: &[(&str, &str)] = &[
    ("FirstName", "firstName"),
    ("LastName", "lastName"),
    ("Email", "email"),
    ("PhoneNumber", "phoneNumber"),
    ("Department", "department"),
    ("ManagerFullName", "managerFullName"),
    ("ManagerEmail", "managerEmail"),
    ("Priority", "priority"),
    ("Status", "status"),
    ("UpdateTime", "updateTime"),
    ("CreateTime", "createTime"),
];

/// Typing in the target-user search box selects the users one of whose columns shows the text
/// (enum names, dates), and clearing it (`Value: ""`) gives the whole table back.
async fn target_user_search_box(engine: Engine) {
    let Some((srv, token, company, users)) = seeded(engine, json!({"Name": "Search Box"})).await
    else {
        return;
    };
    let all = search_all(&srv, &token, &company, ui_body(ui_filter(vec![], &[], ""))).await;
    assert_eq!(all.len(), users.len());
    let names: Vec<&str> = USER_COLUMNS.iter().map(|c| c.0).collect();
    let keys: Vec<&str> = USER_COLUMNS.iter().map(|c| c.1).collect();
    for needle in [
        "very",
        "y l",
        "VERY HIGH",
        "low",
        "inact",
        "active",
        "2026-01",
        "2025-12-31T23",
        "01T12",
        "ann",
        "grace",
        "3",
        "true",
        "zz-nothing",
    ] {
        let rows = search_all(
            &srv,
            &token,
            &company,
            ui_body(ui_filter(vec![], &names, needle)),
        )
        .await;
        assert_rows_show(&rows, &all, &keys, needle, "resourceId");
    }
    // Priority alone: an IN list of the names that match.
    let very = search_all(
        &srv,
        &token,
        &company,
        ui_body(ui_filter(vec![], &["Priority"], "very")),
    )
    .await;
    assert!(!very.is_empty());
    assert!(very
        .iter()
        .all(|r| ["VeryLow", "VeryHigh"].contains(&r["priority"].as_str().unwrap_or_default())));
    assert_eq!(
        very.len(),
        users
            .iter()
            .filter(|u| u.priority == 1 || u.priority == 5)
            .count()
    );
    let inactive = search_all(
        &srv,
        &token,
        &company,
        ui_body(ui_filter(vec![], &["Status"], "inact")),
    )
    .await;
    assert_eq!(inactive.len(), users.iter().filter(|u| !u.active).count());

    // Clearing the box: the same items with an empty value, and an emptied Include in the
    // column-filter group, give the whole table (its total too).
    let cleared = ui_filter(
        vec![json!({"FieldName": "Status", "Operator": "Include", "Value": ""})],
        &names,
        "",
    );
    let (status, body) = srv
        .post(
            "/api/target-users/search",
            &token,
            json!({"pageNumber": 1, "pageSize": 10, "orderBy": "", "ascending": false, "filter": cleared}),
            &scope(&company),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["totalNumberOfRecords"], json!(users.len()));
    assert_eq!(body["data"]["results"].as_array().map(Vec::len), Some(10));

    // Unknown fields are still refused, with the search items around them.
    let (status, body) = search_raw(
        &srv,
        &token,
        &company,
        ui_body(ui_filter(vec![], &["FirstName", "Shoe"], "a")),
    )
    .await;
    assert_input_error("unknown column", status, &body, &["Shoe"]);
    // Other operators keep their typed reading.
    let (status, body) = search_raw(
        &srv,
        &token,
        &company,
        ui_body(ui_filter(
            vec![json!({"FieldName": "Priority", "Operator": "=", "Value": "very"})],
            &[],
            "",
        )),
    )
    .await;
    assert_input_error("Priority = very", status, &body, &["Priority"]);
}

/// The company list's columns as the UI names its search items, and the row keys they show;
/// the enrolment columns are not kept by rollcall and match nothing.
const COMPANY_COLUMNS: &[(&str, &str)] = &[
    ("CompanyName", "companyName"),
    ("ResellerName", "resellerName"),
    ("IndustryName", "industryName"),
    ("LicenseTypeName", "licenseTypeName"),
    ("NumberOfUsers", "numberOfUsers"),
    ("TargetUserCount", "targetUserCount"),
    ("InactiveTargetUserCount", "inactiveTargetUserCount"),
    ("DeletedTargetUserCount", "deletedTargetUserCount"),
    ("MonthlyActiveUserCount", "monthlyActiveUserCount"),
    ("Tags", "tags"),
    ("LicenseEndDate", "licenseEndDate"),
    ("CreateTime", "createTime"),
    ("LicenceExpired", "licenceExpired"),
    ("MonthlyEnrolled", "-"),
    ("MonthlyConsumption", "-"),
    ("EnrolledVendorNames", "-"),
];

async fn company_search_box(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    for (name, users, end) in [
        ("Acme 25", 25, "2099-12-31"),
        ("Globex", 7, "2020-03-04"),
        ("Initech", 250, "2031-01-05"),
    ] {
        srv.create_company(
            &token,
            None,
            json!({"Name": name, "NumberOfUsers": users, "IsNumberOfUsersLimited": true, "LicenseEndDate": end}),
        )
        .await;
    }
    let post = |filter: Value| {
        let srv = &srv;
        let token = &token;
        async move {
            let (status, body) = srv
                .post("/api/companies/search", token, ui_body(filter), &[])
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["data"]["results"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        }
    };
    let all = post(ui_filter(vec![], &[], "")).await;
    assert!(all.len() >= 3);
    let names: Vec<&str> = COMPANY_COLUMNS.iter().map(|c| c.0).collect();
    let keys: Vec<&str> = COMPANY_COLUMNS.iter().map(|c| c.1).collect();
    for needle in ["25", "2099", "03-04", "globex", "true", "7", "x-none"] {
        let rows = post(ui_filter(vec![], &names, needle)).await;
        assert_rows_show(&rows, &all, &keys, needle, "companyResourceId");
        assert!(
            !rows.is_empty() || needle == "x-none",
            "{needle:?} finds something"
        );
    }
    // A column rollcall does not keep finds nothing, alone; cleared, everything.
    assert!(post(ui_filter(vec![], &["MonthlyEnrolled"], "1"))
        .await
        .is_empty());
    assert_eq!(
        post(ui_filter(vec![], &["MonthlyEnrolled"], ""))
            .await
            .len(),
        all.len()
    );
    let (status, body) = srv
        .post(
            "/api/companies/search",
            &token,
            ui_body(ui_filter(
                vec![json!({"FieldName": "MonthlyEnrolled", "Operator": ">", "Value": "1"})],
                &[],
                "",
            )),
            &[],
        )
        .await;
    assert_input_error(
        "MonthlyEnrolled >",
        status,
        &body,
        &["MonthlyEnrolled", "Contains"],
    );

    // The audit-log table's search box too.
    let audit_columns = [
        "UserName",
        "Operation",
        "EntityName",
        "Ip",
        "AuditDescription",
        "LogDate",
        "EntityResourceId",
    ];
    let (status, body) = srv
        .post(
            "/api/audit-logs/search",
            &token,
            ui_body(ui_filter(vec![], &audit_columns, "compan")),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["data"]["totalNumberOfRecords"].as_i64() >= Some(3),
        "{body}"
    );
}

/// API clients are 1 active and 0 inactive on the wire; 2 is read as inactive. The UI's
/// deactivation, its Inactive filter and its search box work, and an inactive client gets no
/// token.
async fn client_status_zero_is_inactive(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Clients"}))
        .await;
    let (active_id, _) = srv.create_client(&token, &company, "CompanyAdmin").await;
    let (paused_id, paused_secret) = srv.create_client(&token, &company, "CompanyAdmin").await;
    let (old_id, _) = srv.create_client(&token, &company, "CompanyAdmin").await;
    let paused = srv.client_resource_id(&token, &company, &paused_id).await;
    let old = srv.client_resource_id(&token, &company, &old_id).await;
    let edit = |name: &str, status: i64| {
        json!({"name": name, "clientId": name, "clientSecret": "********", "statusId": status,
               "hasIpAddressRestriction": false, "allowedIpAddresses": [], "roleResourceIdList": ["RoleCompAdmn"]})
    };
    // The UI deactivates with 0; an older caller with 2.
    for (rid, cid, status) in [(&paused, &paused_id, 0), (&old, &old_id, 2)] {
        let (s, b) = srv
            .put(
                &format!("/api/companies/clients/{rid}"),
                &token,
                edit(cid, status),
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = srv
            .get(&format!("/api/companies/clients/{rid}"), &token, &[])
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            (
                b["data"]["statusId"].clone(),
                b["data"]["statusName"].clone()
            ),
            (json!(0), json!("Inactive"))
        );
    }
    let (s, b) = srv
        .put(
            &format!("/api/companies/clients/{paused}"),
            &token,
            edit(&paused_id, 3),
            &[],
        )
        .await;
    assert_input_error(
        "statusId 3",
        s,
        &b,
        &["statusId", "1 (active) or 0 (inactive)"],
    );

    // An inactive client gets no token.
    let (s, b) = srv
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", &paused_id),
            ("client_secret", &paused_secret),
            ("scope", "api1"),
        ])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"], "invalid_client", "{b}");

    let search = |and: Vec<Value>, text: &str| {
        let srv = &srv;
        let token = &token;
        let company = &company;
        let filter = ui_filter(
            and,
            &["ClientName", "ClientId", "CreateTime", "StatusId"],
            text,
        );
        async move {
            let (s, b) = srv
                .post(
                    "/api/companies/clients/search",
                    token,
                    ui_body(filter),
                    &scope(company),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            let rows = b["data"]["results"].as_array().cloned().unwrap_or_default();
            let mut v: Vec<String> = rows
                .iter()
                .map(|r| r["clientId"].as_str().unwrap_or_default().to_owned())
                .collect();
            v.sort();
            assert!(
                rows.iter()
                    .all(|r| r["statusId"] == json!(0) || r["statusId"] == json!(1)),
                "{b}"
            );
            v
        }
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<String>>()
    };
    let inactive = sorted(vec![&paused_id, &old_id]);
    let status_is =
        |v: &str| vec![json!({"FieldName": "StatusId", "Operator": "Include", "Value": v})];
    assert_eq!(search(status_is("0"), "").await, inactive);
    assert_eq!(search(status_is("2"), "").await, inactive);
    let active = search(status_is("1"), "").await;
    assert!(active.contains(&active_id) && !active.contains(&paused_id));
    assert_eq!(search(vec![], "inact").await, inactive);
    let every = search(vec![], "active").await;
    assert!(every.contains(&active_id) && every.contains(&paused_id) && every.contains(&old_id));
}

/// Date filter values in the scoped company's display format (`dd/MM/yyyy HH:mm` here), as
/// the UI's "between" sends them (the second item with a lowercase `value`), beside ISO 8601.
async fn dates_in_the_company_format(engine: Engine) {
    let day_first = json!({"Name": "Day first", "DateFormat": "dd/MM/yyyy", "TimeFormat": "HH:mm"});
    let Some((srv, token, dmy, users)) = seeded(engine, day_first).await else {
        return;
    };
    let mdy = srv
        .create_company(
            &token,
            None,
            json!({"Name": "Month first", "DateFormat": "MM/dd/yyyy", "TimeFormat": "hh:mm tt"}),
        )
        .await;
    let check = |from: &str, to: &str, rows: &[Value]| {
        let want = created_in(&users, from, to);
        assert_eq!(ids(rows, "resourceId"), want);
        assert!(!want.is_empty());
    };
    // 01/01/2026 00:00 .. 01/01/2026 12:00 takes in that whole last minute.
    let (from, to) = ("2026-01-01T00:00:00Z", "2026-01-01T12:01:00Z");
    let rows = search_all(
        &srv,
        &token,
        &dmy,
        between("01/01/2026 00:00", "01/01/2026 12:00"),
    )
    .await;
    check(from, to, &rows);
    // Dates alone are whole days, ISO 8601 still reads, and the two may be mixed.
    let rows = search_all(&srv, &token, &dmy, between("31/12/2025", "2026-01-02")).await;
    check("2025-12-31T00:00:00Z", "2026-01-03T00:00:00Z", &rows);
    // 13/01/2026 is no date in MM/dd/yyyy: the other company's format is not this one's.
    let (s, b) = search_raw(
        &srv,
        &token,
        &mdy,
        between("13/01/2026 00:00", "2026-02-01"),
    )
    .await;
    assert_input_error(
        "month-first company",
        s,
        &b,
        &["CreateTime", "ISO 8601", "MM/dd/yyyy hh:mm tt"],
    );
    let (s, b) = search_raw(
        &srv,
        &token,
        &mdy,
        between("01/13/2026 01:00 PM", "2026-02-01"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

/// The users of `users` created in `[from, to)` (RFC 3339), as sorted resource ids.
fn created_in(users: &[tu::U], from: &str, to: &str) -> Vec<String> {
    let (from, to) = (tu::ms(from), tu::ms(to));
    let mut v: Vec<String> = users
        .iter()
        .filter(|u| u.create_time >= from && u.create_time < to)
        .map(|u| u.resource_id.clone())
        .collect();
    v.sort();
    v
}

/// Keepnet's UI shows dates on the company's clock (its `timeZoneId`) and sends them so:
/// companies in Istanbul (UTC+3) and Los Angeles (UTC-8, -7 in summer) holding the same users
/// select the same stored instant with different values, and the same value selects different
/// users. ISO 8601 values read the same in both (docs/api.md, "Dates in the company's format").
async fn dates_on_the_company_clock(engine: Engine) {
    let company = |name: &str, zone: &str| json!({"Name": name, "DateFormat": "dd/MM/yyyy", "TimeFormat": "HH:mm", "TimeZoneId": zone});
    let Some((srv, token, istanbul, ist_users)) =
        seeded(engine, company("Istanbul", "Turkey Standard Time")).await
    else {
        return;
    };
    let los_angeles = srv
        .create_company(
            &token,
            None,
            company("Los Angeles", "Pacific Standard Time"),
        )
        .await;
    let mut la_users = tu::dataset();
    tu::seed(&srv, &token, &los_angeles, &mut la_users).await;
    let rows = |company: &'static str, body: Value| {
        let (srv, token) = (&srv, &token);
        let company = if company == "ist" {
            &istanbul
        } else {
            &los_angeles
        };
        async move { ids(&search_all(srv, token, company, body).await, "resourceId") }
    };

    // 2026-01-01T00:00:00Z is 01/01/2026 03:00 in Istanbul and 31/12/2025 16:00 in Los Angeles.
    let midnight = created_in(&ist_users, "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z");
    assert!(!midnight.is_empty());
    let minute = |v: &str| between(v, v);
    assert_eq!(rows("ist", minute("01/01/2026 03:00")).await, midnight);
    assert_eq!(
        rows("la", minute("31/12/2025 16:00")).await,
        created_in(&la_users, "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z")
    );
    assert_eq!(
        rows("ist", minute("31/12/2025 16:00")).await,
        Vec::<String>::new()
    );
    assert_eq!(
        rows("la", minute("01/01/2026 03:00")).await,
        Vec::<String>::new()
    );

    // A date alone is the company's local day.
    let day = |v: &str| {
        ui_body(
            json!({"Condition": "AND", "FilterGroups": [{"Condition": "AND", "FilterItems": [
            {"FieldName": "CreateTime", "Operator": "=", "Value": v}]}]}),
        )
    };
    let ist_day = created_in(&ist_users, "2025-12-30T21:00:00Z", "2025-12-31T21:00:00Z");
    let la_day = created_in(&la_users, "2025-12-31T08:00:00Z", "2026-01-01T08:00:00Z");
    assert_eq!(rows("ist", day("31/12/2025")).await, ist_day);
    assert_eq!(rows("la", day("31/12/2025")).await, la_day);
    assert!(
        la_day.len() > ist_day.len(),
        "the days differ: {ist_day:?} {la_day:?}"
    );

    // Summer time: 30/06/2025 16:59 in Los Angeles is 23:59 UTC (PDT, UTC-7).
    assert_eq!(
        rows("la", minute("30/06/2025 16:59")).await,
        created_in(&la_users, "2025-06-30T23:59:00Z", "2025-07-01T00:00:00Z")
    );
    assert!(!created_in(&la_users, "2025-06-30T23:59:00Z", "2025-07-01T00:00:00Z").is_empty());

    // ISO 8601 without a zone is UTC and with one is exact, whatever the company's zone.
    for (company, users) in [("ist", &ist_users), ("la", &la_users)] {
        let want = created_in(users, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.001Z");
        assert!(!want.is_empty());
        assert_eq!(
            rows(company, minute("2026-01-01T00:00:00")).await,
            want,
            "{company}"
        );
        assert_eq!(
            rows(company, minute("2026-01-01T03:00:00+03:00")).await,
            want,
            "{company}"
        );
    }
}

/// Filter keys in any case: the whole body in camelCase, lowercase, or mixed within one item.
async fn filter_keys_in_any_case(engine: Engine) {
    let Some((srv, token, company, users)) = seeded(engine, json!({"Name": "Keys"})).await else {
        return;
    };
    let want = users
        .iter()
        .filter(|u| u.priority == 1 || u.priority == 5)
        .count();
    for body in [
        json!({"PageNumber": 1, "PageSize": 1000, "OrderBy": "", "Ascending": false, "Filter": {"Condition": "AND", "FilterGroups": [
            {"Condition": "OR", "FilterItems": [{"FieldName": "Priority", "Operator": "Contains", "Value": "very"}]}]}}),
        json!({"pageNumber": 1, "pageSize": 1000, "orderBy": "", "filter": {"condition": "and", "searchInputTextValue": "", "filterGroups": [
            {"condition": "or", "filterItems": [{"fieldName": "Priority", "operator": "Contains", "value": "very"}]}]}}),
        json!({"pagenumber": 1, "pagesize": 1000, "orderby": "", "filter": {"condition": "AND", "filtergroups": [
            {"condition": "Or", "filteritems": [{"fieldname": "Priority", "operator": "Contains", "value": "very"}]}]}}),
        json!({"pageNumber": 1, "pageSize": 1000, "orderBy": "", "filter": {"Condition": "AND", "FilterGroups": [
            {"Condition": "OR", "FilterItems": [{"FieldName": "Priority", "operator": "Contains", "value": "very"}]}]}}),
    ] {
        let (s, b) = srv
            .post(
                "/api/target-users/search",
                &token,
                body.clone(),
                &scope(&company),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}: {b}");
        assert_eq!(b["data"]["totalNumberOfRecords"], json!(want), "{body}");
    }
    // `filter: null` is no filter.
    let (s, b) = srv
        .post("/api/target-users/search", &token, json!({"pageNumber": 1, "pageSize": 10, "orderBy": "", "ascending": false, "filter": null}), &scope(&company))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["data"]["totalNumberOfRecords"], json!(users.len()));
}

both_engines!(
    target_user_search_box,
    company_search_box,
    client_status_zero_is_inactive,
    dates_in_the_company_format,
    dates_on_the_company_clock,
    filter_keys_in_any_case,
);
