//! Target-user test support shared by the `target_users_*` suites: a fixed data set of users with
//! known fields and creation times (back-dated through the store), and HTTP helpers that page
//! through searches and compare result sets. Expected rows are always computed in plain Rust from
//! the data below, never by the server's own filter parser.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use rollcall_store::{SqlStore, TargetUserFields};
use serde_json::{json, Value};

use super::TestServer;
pub use super::SCOPE;

/// `[("X-KEEPNET-Company-Id", company)]`.
pub fn scope(company: &str) -> [(&'static str, &str); 1] {
    [(SCOPE, company)]
}

/// RFC 3339 to UTC milliseconds.
pub fn ms(s: &str) -> i64 {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad time {s}: {e}"))
        .timestamp_millis()
}

/// UTC milliseconds to a time.
pub fn time_of(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().expect("valid millis")
}

/// YYYYMM of a time in milliseconds (UTC).
pub fn month_num(ms: i64) -> i64 {
    let t = time_of(ms);
    i64::from(t.year()) * 100 + i64::from(t.month())
}

/// `YYYY-MM` of a YYYYMM number.
pub fn month_text(m: i64) -> String {
    format!("{:04}-{:02}", m / 100, m % 100)
}

/// YYYYMM `k` months before the month of `now_ms` (k = 0 is the current month).
pub fn months_back(now_ms: i64, k: i64) -> i64 {
    let m = month_num(now_ms);
    let total = (m / 100) * 12 + (m % 100 - 1) - k;
    (total / 12) * 100 + total % 12 + 1
}

/// The first instant (UTC milliseconds) of a YYYYMM month.
pub fn month_start(m: i64) -> i64 {
    Utc.with_ymd_and_hms((m / 100) as i32, (m % 100) as u32, 1, 0, 0, 0)
        .single()
        .expect("valid month")
        .timestamp_millis()
}

/// A target user as the tests know it. Text fields hold what the server stores (trimmed, phone
/// without spaces).
#[derive(Debug, Clone, Default)]
pub struct U {
    /// Set when seeded.
    pub resource_id: String,
    /// Internal id (ties in sorting are broken by it); set when seeded.
    pub id: i64,
    pub email: String,
    pub first: String,
    pub last: String,
    pub department: String,
    pub phone: String,
    /// 1 VeryLow .. 5 VeryHigh.
    pub priority: i64,
    pub active: bool,
    pub deleted: bool,
    pub time_zone: String,
    pub language: String,
    pub manager_first: String,
    pub manager_last: String,
    pub manager_email: String,
    /// Creation time in UTC milliseconds; `None` in a spec means "now, through the HTTP API".
    pub created: Option<i64>,
    /// Actual creation time once seeded.
    pub create_time: i64,
}

impl U {
    /// The manager's full name as the server derives it.
    pub fn manager_full(&self) -> String {
        format!("{} {}", self.manager_first.trim(), self.manager_last.trim())
            .trim()
            .to_owned()
    }

    /// YYYYMM of the creation time.
    pub fn month(&self) -> i64 {
        month_num(self.create_time)
    }

    fn fields(&self) -> TargetUserFields {
        TargetUserFields {
            email: self.email.clone(),
            first_name: self.first.clone(),
            last_name: self.last.clone(),
            department: self.department.clone(),
            phone_number: self.phone.clone(),
            priority: self.priority,
            is_active: self.active,
            time_zone_id: self.time_zone.clone(),
            preferred_language_id: self.language.clone(),
            manager_first_name: self.manager_first.clone(),
            manager_last_name: self.manager_last.clone(),
            manager_email: self.manager_email.clone(),
        }
    }

    /// The create body the Keepnet UI would send for this user (phone with spaces).
    pub fn create_body(&self) -> Value {
        let spaced: String = self
            .phone
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                if i > 0 && i % 3 == 0 {
                    vec![' ', c]
                } else {
                    vec![c]
                }
            })
            .collect();
        json!({
            "email": self.email,
            "firstName": self.first,
            "lastName": self.last,
            "department": self.department,
            "phoneNumber": spaced,
            "priority": PRIORITY_NAMES[(self.priority - 1) as usize],
            "isActive": self.active,
            "timeZoneId": self.time_zone,
            "preferredLanguageId": self.language,
            "managerFirstName": self.manager_first,
            "managerLastName": self.manager_last,
            "managerEmail": self.manager_email,
        })
    }
}

/// Keepnet's priority names, 1..=5.
pub const PRIORITY_NAMES: [&str; 5] = ["VeryLow", "Low", "Medium", "High", "VeryHigh"];

/// Compact row of the data set:
/// (email, first, last, department, phone, priority, active, deleted, time zone, language,
///  manager first, manager last, manager email, created (RFC 3339, or "" for now via HTTP)).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    bool,
    bool,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

#[rustfmt::skip]
const ROWS: &[Row] = &[
    ("ann.lee@example.com", "Ann", "Lee", "Sales", "+905551110001", 3, true, false, "Europe/Istanbul", "tr", "Grace", "Hopper", "grace@corp.io", "2024-02-29T12:00:00Z"),
    ("Anna.Berg@Example.com", "anna", "Berg", "sales", "+905551110002", 2, true, false, "UTC", "en", "", "", "", "2025-01-15T08:30:00Z"),
    ("joanna@corp.io", "Joanna", "Ærøskøbing", "R&D", "", 5, false, false, "Europe/Copenhagen", "da", "Grace", "Hopper", "grace@corp.io", "2025-12-31T23:59:59.999Z"),
    ("caglar@ornek.com.tr", "ÇAĞLAR", "Yılmaz", "Finance", "+905551110004", 4, true, false, "Europe/Istanbul", "TR", "Alan", "Turing", "alan@corp.io", "2026-01-01T00:00:00Z"),
    ("zoe@example.org", "Zoë", "Saldana", "IT", "+12025550105", 1, true, false, "America/New_York", "en-US", "", "", "", "2026-01-01T12:00:00Z"),
    ("ZOE.2@example.org", "Zoe", "Smith", "it", "", 3, false, false, "", "", "Ada", "Lovelace", "ada@corp.io", "2026-01-02T00:00:00Z"),
    ("first_last@corp.io", "bob_smith", "O'Brien", "HR_Team", "+4420555001", 2, true, false, "Europe/London", "en-GB", "", "", "", "2026-01-02T23:59:59.999Z"),
    ("firstxlast@corp.io", "Bobxsmith", "Obrien", "HRxTeam", "", 3, true, false, "", "", "", "", "", "2026-01-03T00:00:00Z"),
    ("percent%50@corp.io", "Fifty%", "Percent", "100% Remote", "", 4, true, false, "UTC", "en", "", "", "", "2026-02-10T10:00:00Z"),
    ("fifty50@corp.io", "Fifty5", "Percent", "1000 Remote", "", 4, false, false, "UTC", "en", "", "", "", "2026-02-10T10:00:00Z"),
    ("backslash@corp.io", "Back\\Slash", "Path", "IT", "", 2, true, false, "", "", "", "", "", "2025-06-15T06:00:00Z"),
    ("muller@corp.de", "Jürgen", "Müller", "Sales", "+4930555001", 3, true, false, "Europe/Berlin", "de", "Alan", "Turing", "alan@corp.io", "2025-06-15T06:00:00.001Z"),
    ("mueller@corp.de", "Juergen", "MÜLLER", "sales", "+4930555002", 1, false, false, "Europe/Berlin", "DE", "", "", "", "2025-06-30T23:59:59.999Z"),
    ("strasse@corp.de", "Heinz", "Straße", "Logistics", "+4930555003", 5, true, false, "Europe/Berlin", "de", "Grace", "", "", "2025-07-01T00:00:00Z"),
    ("ilker@ornek.com.tr", "İlker", "Işık", "Finance", "+905551110015", 2, true, false, "Europe/Istanbul", "tr", "", "Turing", "alan@corp.io", "2026-03-05T09:00:00Z"),
    ("lukasz@corp.pl", "Łukasz", "Żółć", "R&D", "+48555001", 3, true, false, "Europe/Warsaw", "pl", "", "", "", "2026-03-05T09:00:00Z"),
    ("nandu@corp.ar", "Ñandú", "Pérez", "Marketing", "", 4, true, false, "America/Argentina/Buenos_Aires", "es", "", "", "", "2026-04-20T15:30:00Z"),
    ("li@corp.cn", "李", "小龙", "IT", "+8610555001", 3, true, false, "Asia/Shanghai", "zh", "", "", "", "2026-04-20T15:30:00Z"),
    ("dimitris@corp.gr", "Δημήτρης", "Παπαδόπουλος", "Sales", "", 2, false, false, "Europe/Athens", "el", "Ada", "Lovelace", "ada@corp.io", "2026-05-01T00:00:00Z"),
    ("emile@corp.fr", "Émile", "Zola", "Marketing", "+33155501", 3, true, false, "Europe/Paris", "fr", "", "", "", "2026-05-31T23:59:59.999Z"),
    ("emile2@corp.fr", "émile", "zola", "marketing", "+33155502", 3, true, false, "Europe/Paris", "fr", "", "", "", "2026-06-01T00:00:00Z"),
    ("noname@corp.io", "", "", "", "", 3, true, false, "", "", "", "", "", "2026-06-15T12:00:00Z"),
    ("aanund@corp.no", "Ånund", "Ås", "Logistics", "+4755500001", 1, true, false, "Europe/Oslo", "no", "", "", "", "2026-07-07T07:07:07.007Z"),
    ("anders@corp.no", "Anders", "Aas", "Logistics", "+4755500002", 5, false, false, "Europe/Oslo", "no", "Grace", "Hopper", "grace@corp.io", "2026-07-07T07:07:07.007Z"),
    // deleted users (one of them shares its email with a live user created after it)
    ("gone1@corp.io", "Gone", "One", "Sales", "+905551110025", 3, true, true, "UTC", "en", "", "", "", "2025-01-20T00:00:00Z"),
    ("gone2@corp.io", "Gone", "Two", "IT", "", 4, false, true, "UTC", "en", "Alan", "Turing", "alan@corp.io", "2025-12-31T12:00:00Z"),
    ("Reborn@Corp.io", "Reborn", "Old", "Finance", "", 2, true, true, "", "", "", "", "", "2026-01-01T00:00:00Z"),
    ("reborn@corp.io", "Reborn", "New", "Finance", "", 2, true, false, "", "", "", "", "", "2026-08-08T08:00:00Z"),
    ("zoe.gone@example.org", "Zoë", "Gone", "it", "", 1, false, true, "America/New_York", "en-US", "", "", "", "2026-02-10T10:00:00Z"),
    ("ærø@corp.dk", "Ærø", "Ærøskøbing", "R&D", "+4555500001", 5, true, true, "Europe/Copenhagen", "da", "", "", "", "2026-09-09T09:09:09Z"),
    ("caglar2@ornek.com.tr", "çağlar", "YILMAZ", "finance", "", 3, false, false, "Europe/Istanbul", "tr", "Alan", "Turing", "alan@corp.io", "2026-09-30T23:59:59.999Z"),
    ("deleted.inactive@corp.io", "Dee", "Inactive", "", "", 1, false, true, "", "", "", "", "", "2026-10-01T00:00:00Z"),
    ("oct@corp.io", "October", "Person", "Sales", "+1555000033", 2, true, false, "UTC", "en", "Ada", "Lovelace", "ada@corp.io", "2026-10-15T10:00:00Z"),
    // created now, through POST /api/target-users
    ("Now.One@Corp.io", "Now", "One", "Sales", "+905551110034", 3, true, false, "Europe/Istanbul", "tr", "Grace", "Hopper", "grace@corp.io", ""),
    ("now.two@corp.io", "now", "Two", "IT", "+12025550135", 4, false, false, "UTC", "en", "", "", "", ""),
    ("now.three@corp.io", "Ñu", "Three", "R&D", "", 1, true, false, "", "", "Alan", "Turing", "alan@corp.io", ""),
    ("now.four@corp.io", "Zoë", "Four", "Marketing", "+4930555036", 5, true, true, "Europe/Berlin", "de", "", "", "", ""),
    ("now.five@corp.io", "ÇAĞLAR", "Five", "Finance", "", 2, false, false, "Europe/Istanbul", "tr", "", "", "", ""),
    ("now.six@corp.io", "Ann", "Six", "", "+4755500039", 3, true, false, "", "", "", "", "", ""),
];

/// The data set's users in creation order, not yet seeded.
pub fn dataset() -> Vec<U> {
    ROWS.iter()
        .map(
            |&(
                email,
                first,
                last,
                dept,
                phone,
                priority,
                active,
                deleted,
                tz,
                lang,
                mf,
                ml,
                me,
                created,
            )| U {
                email: email.into(),
                first: first.into(),
                last: last.into(),
                department: dept.into(),
                phone: phone.into(),
                priority,
                active,
                deleted,
                time_zone: tz.into(),
                // Stored as the language's resource id (docs/api.md), as the server and
                // migration 0015 store it, whether seeded or created through the API.
                language: rollcall_store::catalog::language_id(lang)
                    .unwrap_or(lang)
                    .into(),
                manager_first: mf.into(),
                manager_last: ml.into(),
                manager_email: me.into(),
                created: (!created.is_empty()).then(|| ms(created)),
                ..Default::default()
            },
        )
        .collect()
}

/// Opens the server's database from the test (same URL and data dir).
pub async fn open_store(srv: &TestServer) -> SqlStore {
    SqlStore::open(&srv.config.database_url, &srv.config.data_dir)
        .await
        .expect("open the server's database from the test")
}

/// Internal id of a company.
pub async fn company_internal_id(store: &SqlStore, company: &str) -> i64 {
    store
        .company_by_resource_id(company)
        .await
        .expect("company lookup")
        .expect("company exists")
        .id
}

/// Seeds `users` in order into `company`: back-dated users through the store, the others through
/// `POST /api/target-users`; deleted ones are deleted through the API right after their creation.
/// Fills in resource ids, internal ids and creation times.
pub async fn seed(srv: &TestServer, token: &str, company: &str, users: &mut [U]) {
    let store = open_store(srv).await;
    let cid = company_internal_id(&store, company).await;
    for u in users.iter_mut() {
        match u.created {
            Some(t) => {
                let created = store
                    .insert_target_user(
                        cid,
                        &u.fields(),
                        t,
                        &rollcall_store::UserLinks::default(),
                        &rollcall_store::Actor::system(),
                    )
                    .await
                    .unwrap_or_else(|e| panic!("insert {}: {e}", u.email));
                u.resource_id = created.resource_id;
                u.create_time = t;
            }
            None => {
                u.resource_id = create_user(srv, token, company, u.create_body()).await;
                let (status, body) = srv
                    .get(
                        &format!("/api/target-users/{}", u.resource_id),
                        token,
                        &scope(company),
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
                u.create_time = ms(body["data"]["createTime"].as_str().expect("createTime"));
            }
        }
        if u.deleted {
            let (status, body) = srv
                .call(
                    Method::DELETE,
                    &format!("/api/target-users/{}", u.resource_id),
                    token,
                    None,
                    &scope(company),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "delete {}: {body}", u.email);
        }
    }
    let ids = internal_ids(
        srv,
        token,
        company,
        &users
            .iter()
            .map(|u| u.resource_id.clone())
            .collect::<Vec<_>>(),
    )
    .await;
    for u in users.iter_mut() {
        u.id = ids[&u.resource_id];
    }
    for w in users.windows(2) {
        assert!(w[0].id < w[1].id, "internal ids grow with creation order");
    }
}

/// Internal ids by resource id, from `include-deleted/by-resource-ids`.
pub async fn internal_ids(
    srv: &TestServer,
    token: &str,
    company: &str,
    rids: &[String],
) -> BTreeMap<String, i64> {
    let (status, body) = srv
        .post(
            "/api/target-users/include-deleted/by-resource-ids",
            token,
            json!({ "targetUserResourceIds": rids }),
            &scope(company),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]
        .as_array()
        .expect("data list")
        .iter()
        .map(|r| {
            (
                r["resourceId"].as_str().expect("resourceId").to_owned(),
                r["id"].as_i64().expect("id"),
            )
        })
        .collect()
}

/// [`TestServer::create_user`] as a function, as these tests call it.
pub async fn create_user(srv: &TestServer, token: &str, company: &str, body: Value) -> String {
    srv.create_user(token, company, body).await
}

/// `POST /api/target-users/search` with `body` (its paging replaced by page 1 of 1000 rows).
/// Returns the status and the envelope.
pub async fn search_raw(
    srv: &TestServer,
    token: &str,
    company: &str,
    mut body: Value,
) -> (StatusCode, Value) {
    body["pageNumber"] = json!(1);
    body["pageSize"] = json!(1000);
    srv.post("/api/target-users/search", token, body, &scope(company))
        .await
}

/// Every row a search body selects, in the server's order; checks the total against the rows.
pub async fn search_all(srv: &TestServer, token: &str, company: &str, body: Value) -> Vec<Value> {
    let (status, resp) = search_raw(srv, token, company, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "search {body}: {resp}");
    let rows = resp["data"]["results"].as_array().expect("results").clone();
    assert_eq!(
        resp["data"]["totalNumberOfRecords"].as_i64(),
        Some(rows.len() as i64),
        "totalNumberOfRecords for {body}"
    );
    rows
}

/// Resource ids of result rows.
pub fn rids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["resourceId"].as_str().expect("resourceId").to_owned())
        .collect()
}

/// Asserts that a search returned exactly `expected` (as a set), naming the differences by email.
pub fn assert_same_users(what: &str, got: &[String], expected: &[&U], all: &[U]) {
    let got: BTreeSet<&str> = got.iter().map(String::as_str).collect();
    let want: BTreeSet<&str> = expected.iter().map(|u| u.resource_id.as_str()).collect();
    if got != want {
        let email = |rid: &str| {
            all.iter()
                .find(|u| u.resource_id == rid)
                .map(|u| u.email.clone())
                .unwrap_or_else(|| format!("<unknown {rid}>"))
        };
        let extra: Vec<String> = got.difference(&want).map(|r| email(r)).collect();
        let missing: Vec<String> = want.difference(&got).map(|r| email(r)).collect();
        panic!("{what}: server returned {} rows, expected {}; unexpected: {extra:?}; missing: {missing:?}", got.len(), want.len());
    }
}

/// Sort keys of the sortable fields, as the docs define the order: text fields by their
/// lowercase text compared bytewise, everything else by value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Text(Vec<u8>),
    Int(i64),
}

/// The sort key of `u` for the orderBy field `field` (canonical name), or `None` if unknown.
pub fn sort_key(u: &U, field: &str) -> Option<Key> {
    let lower = |s: &str| Key::Text(s.to_lowercase().into_bytes());
    Some(match field {
        "Email" => lower(&u.email),
        "FirstName" => lower(&u.first),
        "LastName" => lower(&u.last),
        "Department" => lower(&u.department),
        "PhoneNumber" => lower(&u.phone),
        "ManagerFullName" => lower(&u.manager_full()),
        "ManagerEmail" => lower(&u.manager_email),
        "Priority" => Key::Int(u.priority),
        "Status" => Key::Int(i64::from(u.active)),
        "IsDeleted" => Key::Int(i64::from(u.deleted)),
        "CreateTime" => Key::Int(u.create_time),
        "MonthlyActiveUser" => Key::Int(u.month()),
        "TimeZone" => Key::Text(u.time_zone.clone().into_bytes()),
        "PreferredLanguage" => Key::Text(u.language.clone().into_bytes()),
        "ResourceId" => Key::Text(u.resource_id.clone().into_bytes()),
        _ => return None,
    })
}

/// Resource ids of `users` sorted by `field` (ties by internal id, in the same direction).
pub fn sorted_rids(users: &[&U], field: &str, ascending: bool) -> Vec<String> {
    let mut v: Vec<&U> = users.to_vec();
    v.sort_by(|a, b| {
        let ka = (sort_key(a, field).expect("sortable field"), a.id);
        let kb = (sort_key(b, field).expect("sortable field"), b.id);
        if ascending {
            ka.cmp(&kb)
        } else {
            kb.cmp(&ka)
        }
    });
    v.into_iter().map(|u| u.resource_id.clone()).collect()
}

/// The body's error `message` and `validationMessages` joined, for "names the problem" checks.
pub fn error_text(body: &Value) -> String {
    let mut s = body["message"].as_str().unwrap_or_default().to_owned();
    if let Some(v) = body["validationMessages"].as_array() {
        for m in v {
            s.push(' ');
            s.push_str(m.as_str().unwrap_or_default());
        }
    }
    s
}

/// Asserts a 400 INPUT_ERROR whose message contains every one of `needles` (case-insensitive).
pub fn assert_input_error(what: &str, status: StatusCode, body: &Value, needles: &[&str]) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    assert_eq!(body["status"], "INPUT_ERROR", "{what}: {body}");
    let text = error_text(body).to_lowercase();
    for n in needles {
        assert!(
            text.contains(&n.to_lowercase()),
            "{what}: the error should name '{n}': {body}"
        );
    }
}

/// A new target group of `company` named `name`; its resource id.
pub async fn create_group(srv: &TestServer, token: &str, company: &str, name: &str) -> String {
    let (s, b) = srv
        .post(
            "/api/target-groups",
            token,
            json!({"name": name, "priority": "Medium"}),
            &scope(company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "create group {name}: {b}");
    assert_eq!(b["message"], "Target group created.", "{b}");
    b["data"]["resourceId"]
        .as_str()
        .expect("resourceId")
        .to_owned()
}

/// A new custom field of `company` as `body` defines it; its resource id.
pub async fn define_field(srv: &TestServer, token: &str, company: &str, body: Value) -> String {
    let (s, b) = srv
        .post("/api/custom-fields", token, body.clone(), &scope(company))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}: {b}");
    assert_eq!(b["message"], "Custom field created.", "{b}");
    b["data"]["resourceId"].as_str().expect("id").to_owned()
}
