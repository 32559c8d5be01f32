//! The filter language of `POST /api/target-users/search` over a fixed data set of ~40 users
//! (non-ASCII names, LIKE wildcards in values, equal creation times, deleted users, several
//! creation months). For each case the rows the server returns must equal the rows a predicate
//! written here, in plain Rust over the test data, selects; orders are compared with a Rust sort.

use crate::common::tu::{self, assert_input_error, scope, search_all, search_raw, U};
use crate::common::{Engine, TestServer};
use chrono::{Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Ctx {
    srv: TestServer,
    token: String,
    company: String,
    users: Vec<U>,
}

async fn setup(engine: Engine) -> Option<Ctx> {
    let srv = TestServer::start(engine).await?;
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Filters Inc"}))
        .await;
    let mut users = tu::dataset();
    tu::seed(&srv, &token, &company, &mut users).await;
    Some(Ctx {
        srv,
        token,
        company,
        users,
    })
}

/// A filter with one item in the UI's AND group (plus the UI's empty OR group).
fn one(field: &str, op: &str, value: Value) -> Value {
    json!({"Condition": "AND", "SearchInputTextValue": "",
           "FilterGroups": [{"Condition": "AND", "FilterItems": [{"FieldName": field, "Operator": op, "Value": value}], "FilterGroups": []},
                            {"Condition": "OR", "FilterItems": [], "FilterGroups": []}]})
}

fn item(field: &str, op: &str, value: Value) -> Value {
    json!({"FieldName": field, "Operator": op, "Value": value})
}

fn group(cond: &str, items: Vec<Value>, groups: Vec<Value>) -> Value {
    json!({"Condition": cond, "FilterItems": items, "FilterGroups": groups})
}

impl Ctx {
    /// The rows the server returns for `filter` must be exactly those `pred` selects, in the
    /// default order (CreateTime descending, ties by id descending).
    async fn check(&self, what: &str, filter: Value, pred: impl Fn(&U) -> bool) {
        let rows = search_all(
            &self.srv,
            &self.token,
            &self.company,
            json!({"filter": filter, "orderBy": "CreateTime", "ascending": false}),
        )
        .await;
        let expected: Vec<&U> = self.users.iter().filter(|u| pred(u)).collect();
        let got = tu::rids(&rows);
        tu::assert_same_users(what, &got, &expected, &self.users);
        assert_eq!(
            got,
            tu::sorted_rids(&expected, "CreateTime", false),
            "{what}: order"
        );
    }

    async fn error(&self, what: &str, body: Value, needles: &[&str]) {
        let (s, b) = search_raw(&self.srv, &self.token, &self.company, body).await;
        assert_input_error(what, s, &b, needles);
    }
}

/// Text comparison as documented: both sides lowercased, compared bytewise; Include is a
/// comma-separated list of trimmed values.
fn text_op(op: &str, field: &str, value: &str) -> bool {
    let f = field.to_lowercase();
    let v = value.to_lowercase();
    match op {
        "Contains" => f.contains(&v),
        "Include" => v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .any(|x| x == f),
        "=" | "Equal" | "Equals" => f == v,
        "!=" => f != v,
        ">" => f.as_bytes() > v.as_bytes(),
        ">=" => f.as_bytes() >= v.as_bytes(),
        "<" => f.as_bytes() < v.as_bytes(),
        "<=" => f.as_bytes() <= v.as_bytes(),
        _ => unreachable!("{op}"),
    }
}

/// Exact (case-sensitive) comparison for resource ids, time zones and languages.
fn exact_op(op: &str, f: &str, v: &str) -> bool {
    match op {
        "Contains" => f.contains(v),
        "Include" => v.split(',').map(str::trim).any(|x| x == f),
        "=" | "Equal" | "Equals" => f == v,
        "!=" => f != v,
        ">" => f.as_bytes() > v.as_bytes(),
        ">=" => f.as_bytes() >= v.as_bytes(),
        "<" => f.as_bytes() < v.as_bytes(),
        "<=" => f.as_bytes() <= v.as_bytes(),
        _ => unreachable!("{op}"),
    }
}

type Getter = fn(&U) -> String;

const TEXT_FIELDS: &[(&str, Getter)] = &[
    ("Email", |u| u.email.clone()),
    ("FirstName", |u| u.first.clone()),
    ("LastName", |u| u.last.clone()),
    ("Department", |u| u.department.clone()),
    ("PhoneNumber", |u| u.phone.clone()),
    ("ManagerFullName", |u| u.manager_full()),
    ("ManagerEmail", |u| u.manager_email.clone()),
];

const TEXT_OPS: &[&str] = &[
    "Contains", "Include", "=", "!=", ">", ">=", "<", "<=", "Equal", "Equals",
];

async fn text_fields_every_operator(engine: Engine) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    for (field, get) in TEXT_FIELDS {
        // values from the data (as stored, uppercased, a middle slice) plus odd ones
        let mut values: Vec<String> = Vec::new();
        for u in ctx.users.iter().step_by(7) {
            let v = get(u);
            let chars: Vec<char> = v.chars().collect();
            values.push(v.clone());
            values.push(v.to_uppercase());
            if chars.len() > 3 {
                values.push(chars[1..chars.len() - 1].iter().collect());
            }
        }
        for odd in [
            "", "ø", "Ç", "%", "_", "\\", "r_", "50%", "m", "ZZZ", "+90", "ë",
        ] {
            values.push(odd.to_owned());
        }
        values.sort();
        values.dedup();
        for op in TEXT_OPS {
            for v in &values {
                let value = if *op == "Include" {
                    if v.is_empty() {
                        continue;
                    }
                    // a list with padding and a second data value
                    format!(" {v} ,{}", get(&ctx.users[3]).to_uppercase())
                } else {
                    v.clone()
                };
                ctx.check(
                    &format!("{field} {op} {value:?}"),
                    one(field, op, json!(value)),
                    |u| text_op(op, &get(u), &value),
                )
                .await;
            }
        }
    }
    // explicit expectations that do not depend on the generic comparator
    let names = |filter: Value| {
        let ctx = &ctx;
        async move {
            let rows = search_all(
                &ctx.srv,
                &ctx.token,
                &ctx.company,
                json!({"filter": filter}),
            )
            .await;
            let mut v: Vec<String> = rows
                .iter()
                .map(|r| r["email"].as_str().expect("email").to_owned())
                .collect();
            v.sort();
            v
        }
    };
    assert_eq!(
        names(one("FirstName", "=", json!("ZOË"))).await,
        vec![
            "now.four@corp.io",
            "zoe.gone@example.org",
            "zoe@example.org"
        ]
    );
    assert_eq!(
        names(one("FirstName", "Contains", json!("_"))).await,
        vec!["first_last@corp.io"],
        "'_' is literal, not a LIKE wildcard"
    );
    assert_eq!(
        names(one("Department", "Contains", json!("0%"))).await,
        vec!["percent%50@corp.io"],
        "'%' is literal"
    );
    assert_eq!(
        names(one("FirstName", "Contains", json!("\\s"))).await,
        vec!["backslash@corp.io"],
        "'\\' is literal"
    );
    assert_eq!(
        names(one("LastName", "=", json!("müller"))).await,
        vec!["mueller@corp.de", "muller@corp.de"]
    );
    assert_eq!(
        names(one("firstName", "=", json!("çağlar"))).await,
        vec![
            "caglar2@ornek.com.tr",
            "caglar@ornek.com.tr",
            "now.five@corp.io"
        ]
    );
    // "!=" matches users without a value
    let no_dept: Vec<String> = {
        let mut v: Vec<String> = ctx
            .users
            .iter()
            .filter(|u| u.department.is_empty())
            .map(|u| u.email.clone())
            .collect();
        v.sort();
        v
    };
    assert!(!no_dept.is_empty());
    let ne = names(one("Department", "!=", json!("Sales"))).await;
    for e in &no_dept {
        assert!(ne.contains(e), "!= Sales includes {e} (no department)");
    }
}

async fn exact_fields(engine: Engine) {
    exact_fields_with(engine, &["=", "!=", "Include", ">", "<=", "<", ">="]).await;
}

/// Resource ids and time zones are compared exactly, so `Contains` is case-sensitive there, on
/// both engines alike. (Languages compare as the language a value names: `languages.rs`.)
async fn exact_fields_contains_is_case_sensitive(engine: Engine) {
    exact_fields_with(engine, &["Contains"]).await;
}

async fn exact_fields_with(engine: Engine, ops: &[&str]) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    let fields: &[(&str, Getter)] = &[
        ("TimeZone", |u| u.time_zone.clone()),
        ("TimeZoneId", |u| u.time_zone.clone()),
        ("ResourceId", |u| u.resource_id.clone()),
        ("TargetUserResourceId", |u| u.resource_id.clone()),
    ];
    let rid0 = ctx.users[0].resource_id.clone();
    let rid5 = ctx.users[5].resource_id.clone();
    for (field, get) in fields {
        let mut values: Vec<String> = vec![
            "Europe/Istanbul".into(),
            "europe/istanbul".into(),
            "Europe".into(),
            "europe".into(),
            "TR".into(),
            "tr".into(),
            "en".into(),
            "EN".into(),
            rid0.clone(),
            rid0.to_lowercase(),
            rid0.to_uppercase(),
            rid0[2..7].to_owned(),
            rid5.clone(),
            "M".into(),
        ];
        values.dedup();
        for &op in ops {
            for v in &values {
                let value = if op == "Include" {
                    format!("{v}, {rid5} ,UTC")
                } else {
                    v.clone()
                };
                ctx.check(
                    &format!("{field} {op} {value:?}"),
                    one(field, op, json!(value)),
                    |u| exact_op(op, &get(u), &value),
                )
                .await;
            }
        }
    }
}

fn priority_of(v: &str) -> i64 {
    let v = v.trim();
    if let Ok(n) = v.parse() {
        return n;
    }
    tu::PRIORITY_NAMES
        .iter()
        .position(|p| p.eq_ignore_ascii_case(v))
        .map(|i| i as i64 + 1)
        .expect("a priority")
}

async fn priority_status_deleted_month(engine: Engine) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    // Priority by name in any case or by number
    for v in [
        "VeryLow", "low", "MEDIUM", "High", "veryhigh", "1", "3", "5",
    ] {
        let p = priority_of(v);
        for (op, f) in [
            ("=", (|a, b| a == b) as fn(i64, i64) -> bool),
            ("Equals", |a, b| a == b),
            ("!=", |a, b| a != b),
            (">", |a, b| a > b),
            (">=", |a, b| a >= b),
            ("<", |a, b| a < b),
            ("<=", |a, b| a <= b),
        ] {
            ctx.check(
                &format!("Priority {op} {v}"),
                one("Priority", op, json!(v)),
                |u| f(u.priority, p),
            )
            .await;
        }
    }
    ctx.check(
        "Priority = 4 (number)",
        one("priority", "=", json!(4)),
        |u| u.priority == 4,
    )
    .await;
    for list in ["High, VeryHigh", "1,3", " low ,MEDIUM,5 "] {
        let ps: Vec<i64> = list.split(',').map(priority_of).collect();
        ctx.check(
            &format!("Priority Include {list}"),
            one("Priority", "Include", json!(list)),
            |u| ps.contains(&u.priority),
        )
        .await;
    }

    // Status: "1"/"0", Active/Inactive; the last status of deleted users counts
    for (op, v, want) in [
        ("Include", json!("1"), Some(true)),
        ("Include", json!("0"), Some(false)),
        ("Include", json!("1,0"), None),
        ("Include", json!("Active"), Some(true)),
        ("Include", json!("inactive"), Some(false)),
        ("=", json!("1"), Some(true)),
        ("=", json!(0), Some(false)),
        ("Contains", json!("0"), Some(false)),
    ] {
        ctx.check(
            &format!("Status {op} {v}"),
            one("Status", op, v.clone()),
            |u| want.is_none_or(|w| u.active == w),
        )
        .await;
    }
    ctx.check("Status != 1", one("Status", "!=", json!("1")), |u| {
        !u.active
    })
    .await;
    ctx.check(
        "IsActive alias",
        one("IsActive", "Include", json!("1")),
        |u| u.active,
    )
    .await;

    // IsDeleted: JSON bool or string, Contains or =
    for (op, v, want) in [
        ("Contains", json!(true), true),
        ("Contains", json!(false), false),
        ("Contains", json!("true"), true),
        ("Contains", json!("False"), false),
        ("=", json!(true), true),
        ("=", json!("false"), false),
        ("Equal", json!(true), true),
        ("!=", json!(true), false),
        ("!=", json!("false"), true),
    ] {
        ctx.check(
            &format!("IsDeleted {op} {v}"),
            one("IsDeleted", op, v.clone()),
            |u| u.deleted == want,
        )
        .await;
    }
    ctx.check(
        "IsDeleted Include true,false",
        one("IsDeleted", "Include", json!("true,false")),
        |_| true,
    )
    .await;

    // MonthlyActiveUser: users created in that UTC month
    let mut months: Vec<i64> = ctx.users.iter().map(U::month).collect();
    months.sort();
    months.dedup();
    months.push(202_001);
    for m in &months {
        let text = tu::month_text(*m);
        ctx.check(
            &format!("MonthlyActiveUser = {text}"),
            one("MonthlyActiveUser", "=", json!(text)),
            |u| u.month() == *m,
        )
        .await;
    }
    let m = 202_601;
    for (op, f) in [
        ("!=", (|a, b| a != b) as fn(i64, i64) -> bool),
        (">", |a, b| a > b),
        (">=", |a, b| a >= b),
        ("<", |a, b| a < b),
        ("<=", |a, b| a <= b),
        ("Contains", |a, b| a == b),
    ] {
        ctx.check(
            &format!("MonthlyActiveUser {op} 2026-01"),
            one("MonthlyActiveUser", op, json!("2026-01")),
            |u| f(u.month(), m),
        )
        .await;
    }
    ctx.check(
        "MonthlyActiveUser Include one month",
        one("MonthlyActiveUser", "Include", json!(" 2026-01 ")),
        |u| u.month() == 202_601,
    )
    .await;
    // the summary card numbers agree with the data for the current month
    let now_month = tu::month_num(chrono::Utc::now().timestamp_millis());
    let rows = search_all(
        &ctx.srv,
        &ctx.token,
        &ctx.company,
        json!({"filter": one("MonthlyActiveUser", "=", json!(tu::month_text(now_month)))}),
    )
    .await;
    assert_eq!(rows.len(), 6, "the six users created now through the API");
}

/// An `Include` list may hold up to 1000 values (docs/api.md: "1000 values in an Include list,
/// 1000 characters per value"), e.g. the resource ids of the users selected in a list.
async fn include_lists_up_to_1000_values(engine: Engine) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    let ones = vec!["1"; 1000].join(",");
    ctx.check(
        "1000 priorities",
        one("Priority", "Include", json!(ones)),
        |u| u.priority == 1,
    )
    .await;
    // 100 resource ids (the users of the data set and made-up ones): 1,300 characters in all
    let mut ids: Vec<String> = ctx.users.iter().map(|u| u.resource_id.clone()).collect();
    while ids.len() < 100 {
        ids.push(format!("Zz{:010}", ids.len()));
    }
    ctx.check(
        "100 resource ids",
        one("ResourceId", "Include", json!(ids.join(","))),
        |_| true,
    )
    .await;
    let list: Vec<String> = (0..999).map(|i| format!("v{i}")).collect();
    ctx.check(
        "1000 first names",
        one(
            "FirstName",
            "Include",
            json!(format!("{},ann", list.join(","))),
        ),
        |u| u.first.to_lowercase() == "ann",
    )
    .await;
}

/// `Include` takes a comma-separated list for every field, months included.
async fn month_include_list(engine: Engine) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    ctx.check(
        "MonthlyActiveUser Include list",
        one(
            "MonthlyActiveUser",
            "Include",
            json!("2026-01, 2025-06,2024-02"),
        ),
        |u| [202_601, 202_506, 202_402].contains(&u.month()),
    )
    .await;
    ctx.check(
        "MonthlyActiveUser Include list with a month nobody was added in",
        one("monthlyActiveUser", "Include", json!("2020-01,2026-07")),
        |u| u.month() == 202_607,
    )
    .await;
}

async fn create_time_days_and_instants(engine: Engine) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    let day_ms = 86_400_000;
    // every date that occurs in the data, and the days around them
    let mut days: Vec<NaiveDate> = Vec::new();
    for u in &ctx.users {
        let d = tu::time_of(u.create_time).date_naive();
        days.extend([d - Duration::days(1), d, d + Duration::days(1)]);
    }
    days.sort();
    days.dedup();
    for d in days.iter().step_by(2) {
        let start = d
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp_millis();
        let end = start + day_ms;
        let text = d.format("%Y-%m-%d").to_string();
        for (op, f) in [
            (
                "=",
                (|t, s, e| t >= s && t < e) as fn(i64, i64, i64) -> bool,
            ),
            ("!=", |t, s, e| t < s || t >= e),
            (">", |t, _, e| t >= e),
            (">=", |t, s, _| t >= s),
            ("<", |t, s, _| t < s),
            ("<=", |t, _, e| t < e),
        ] {
            ctx.check(
                &format!("CreateTime {op} {text}"),
                one("CreateTime", op, json!(text)),
                |u| f(u.create_time, start, end),
            )
            .await;
        }
    }
    // date-times mean that instant
    for t in [
        "2025-12-31T23:59:59.999Z",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.000Z",
        "2026-02-10T10:00:00Z",
        "2026-07-07T07:07:07.007Z",
        "2026-01-01T12:00:00",
        "2026-01-01T03:00:00+03:00",
    ] {
        let at = if t.ends_with('Z') || t.contains('+') {
            tu::ms(t)
        } else {
            tu::ms(&format!("{t}Z"))
        };
        for (op, f) in [
            ("=", (|a, b| a == b) as fn(i64, i64) -> bool),
            ("!=", |a, b| a != b),
            (">", |a, b| a > b),
            (">=", |a, b| a >= b),
            ("<", |a, b| a < b),
            ("<=", |a, b| a <= b),
        ] {
            ctx.check(
                &format!("CreateTime {op} {t}"),
                one("createTime", op, json!(t)),
                |u| f(u.create_time, at),
            )
            .await;
        }
    }
    // the UI's "between": >= and <= in one AND group
    ctx.check(
        "CreateTime between 2026-01-01 and 2026-01-02",
        json!({"FilterGroups": [group("AND", vec![
            item("CreateTime", ">=", json!("2026-01-01")),
            item("CreateTime", "<=", json!("2026-01-02")),
        ], vec![])]}),
        |u| {
            u.create_time >= tu::ms("2026-01-01T00:00:00Z")
                && u.create_time < tu::ms("2026-01-03T00:00:00Z")
        },
    )
    .await;
    ctx.check(
        "CreateDate alias",
        one("CreateDate", "=", json!("2026-01-01")),
        |u| {
            tu::time_of(u.create_time).date_naive()
                == NaiveDate::from_ymd_opt(2026, 1, 1).expect("date")
        },
    )
    .await;
}

async fn groups_nesting_and_casing(engine: Engine) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    let lc = |s: &str| s.to_lowercase();
    // an empty filter, empty groups, null filter: everything
    ctx.check(
        "no groups",
        json!({"Condition": "AND", "SearchInputTextValue": ""}),
        |_| true,
    )
    .await;
    ctx.check("null filter", Value::Null, |_| true).await;
    ctx.check(
        "UI default empty groups",
        json!({"Condition": "AND", "SearchInputTextValue": "", "FilterGroups": [group("AND", vec![], vec![]), group("OR", vec![], vec![])]}),
        |_| true,
    )
    .await;
    ctx.check(
        "empty OR filter",
        json!({"condition": "or", "filterGroups": []}),
        |_| true,
    )
    .await;
    // an empty group in an OR matches everything
    ctx.check(
        "OR with an empty group",
        json!({"Condition": "OR", "FilterGroups": [group("AND", vec![item("FirstName", "=", json!("Ann"))], vec![]), group("OR", vec![], vec![])]}),
        |_| true,
    )
    .await;
    // OR group of items
    ctx.check(
        "OR items",
        json!({"FilterGroups": [group("Or", vec![
            item("FirstName", "Contains", json!("ann")),
            item("LastName", "=", json!("ZOLA")),
            item("Priority", "=", json!("VeryHigh")),
        ], vec![])]}),
        |u| lc(&u.first).contains("ann") || lc(&u.last) == "zola" || u.priority == 5,
    )
    .await;
    // top-level OR between two AND groups
    ctx.check(
        "OR of ANDs",
        json!({"Condition": "oR", "FilterGroups": [
            group("and", vec![item("Department", "=", json!("sales")), item("Status", "Include", json!("1"))], vec![]),
            group("AND", vec![item("IsDeleted", "Contains", json!(true)), item("Priority", ">=", json!("High"))], vec![]),
        ]}),
        |u| (lc(&u.department) == "sales" && u.active) || (u.deleted && u.priority >= 4),
    )
    .await;
    // nesting three levels deep
    let nested = json!({"Condition": "AND", "FilterGroups": [
        group("AND", vec![item("IsDeleted", "=", json!(false))], vec![
            group("OR", vec![item("Department", "Include", json!("R&D, finance"))], vec![
                group("AND", vec![item("FirstName", "Contains", json!("ü")), item("Status", "Include", json!("1"))], vec![]),
                group("AND", vec![item("MonthlyActiveUser", "=", json!("2026-01")), item("Priority", "<", json!("3"))], vec![]),
            ]),
        ]),
    ]});
    ctx.check("nested", nested, |u| {
        !u.deleted
            && (["r&d", "finance"].contains(&lc(&u.department).as_str())
                || (lc(&u.first).contains('ü') && u.active)
                || (u.month() == 202_601 && u.priority < 3))
    })
    .await;
    // a group with both items and subgroups under OR
    ctx.check(
        "OR items and subgroups",
        json!({"FilterGroups": [group("OR", vec![item("Email", "Contains", json!("@corp.de"))], vec![
            group("AND", vec![item("Status", "Include", json!("0")), item("IsDeleted", "Contains", json!(false))], vec![]),
        ])]}),
        |u| lc(&u.email).contains("@corp.de") || (!u.active && !u.deleted),
    )
    .await;
    // keys in any case, field names in any case
    for (fg, fi, fnm, op, val, field) in [
        (
            "filterGroups",
            "filterItems",
            "fieldName",
            "operator",
            "value",
            "firstname",
        ),
        (
            "FILTERGROUPS",
            "FILTERITEMS",
            "FIELDNAME",
            "OPERATOR",
            "VALUE",
            "FIRSTNAME",
        ),
        (
            "filtergroups",
            "filteritems",
            "fieldname",
            "Operator",
            "value",
            "FirstName",
        ),
    ] {
        let mut it = serde_json::Map::new();
        it.insert(fnm.into(), json!(field));
        it.insert(op.into(), json!("Contains"));
        it.insert(val.into(), json!("ANN"));
        let mut g = serde_json::Map::new();
        g.insert("condition".into(), json!("AND"));
        g.insert(fi.into(), json!([it]));
        let mut f = serde_json::Map::new();
        f.insert(fg.into(), json!([g]));
        ctx.check(&format!("casing {fg}/{field}"), Value::Object(f), |u| {
            lc(&u.first).contains("ann")
        })
        .await;
    }
    // 8 levels of groups are fine
    let mut g = group(
        "AND",
        vec![item("FirstName", "Contains", json!("a"))],
        vec![],
    );
    for _ in 0..7 {
        g = group("AND", vec![], vec![g]);
    }
    ctx.check("8 levels", json!({"FilterGroups": [g]}), |u| {
        lc(&u.first).contains('a')
    })
    .await;
    // 255 items in one group (256 nodes) are fine
    let items: Vec<Value> = (0..255)
        .map(|i| item("Email", "!=", json!(format!("nobody{i}@x.io"))))
        .collect();
    ctx.check(
        "255 items",
        json!({"FilterGroups": [group("AND", items, vec![])]}),
        |_| true,
    )
    .await;
}

async fn search_input_text(engine: Engine) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    let hit = |u: &U, t: &str| {
        let t = t.trim().to_lowercase();
        [&u.first, &u.last, &u.email, &u.department]
            .iter()
            .any(|f| f.to_lowercase().contains(&t))
    };
    for t in [
        "ann",
        "  ANN  ",
        "ærø",
        "ÆRØSKØBING",
        "SALES",
        "corp.de",
        "_",
        "%",
        "zoë",
        "ZOE",
        "ı",
        "+90",
        "hopper",
        "Europe",
        "",
        "   ",
        "çağ",
    ] {
        ctx.check(
            &format!("searchInputTextValue {t:?}"),
            json!({"Condition": "AND", "SearchInputTextValue": t, "FilterGroups": []}),
            |u| hit(u, t),
        )
        .await;
    }
    ctx.check(
        "searchInputTextValue null",
        json!({"condition": "AND", "searchInputTextValue": null}),
        |_| true,
    )
    .await;
    // ANDed with the groups, even when the groups are ORed
    ctx.check(
        "text and groups",
        json!({"Condition": "OR", "SearchInputTextValue": "e", "FilterGroups": [
            group("AND", vec![item("Status", "Include", json!("0"))], vec![]),
            group("AND", vec![item("Priority", "=", json!("VeryHigh"))], vec![]),
        ]}),
        |u| hit(u, "e") && (!u.active || u.priority == 5),
    )
    .await;
}

const SORT_FIELDS: &[(&str, &str)] = &[
    ("CreateTime", "CreateTime"),
    ("createTime", "CreateTime"),
    ("Email", "Email"),
    ("email", "Email"),
    ("FirstName", "FirstName"),
    ("firstName", "FirstName"),
    ("FIRSTNAME", "FirstName"),
    ("LastName", "LastName"),
    ("Department", "Department"),
    ("PhoneNumber", "PhoneNumber"),
    ("Priority", "Priority"),
    ("Status", "Status"),
    ("IsDeleted", "IsDeleted"),
    ("ManagerFullName", "ManagerFullName"),
    ("managerEmail", "ManagerEmail"),
    ("MonthlyActiveUser", "MonthlyActiveUser"),
    ("TimeZoneId", "TimeZone"),
    ("PreferredLanguage", "PreferredLanguage"),
    ("ResourceId", "ResourceId"),
];

async fn ordering(engine: Engine) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    let all: Vec<&U> = ctx.users.iter().collect();
    for (given, canonical) in SORT_FIELDS {
        for ascending in [true, false] {
            let rows = search_all(
                &ctx.srv,
                &ctx.token,
                &ctx.company,
                json!({"orderBy": given, "ascending": ascending}),
            )
            .await;
            assert_eq!(
                tu::rids(&rows),
                tu::sorted_rids(&all, canonical, ascending),
                "orderBy {given} ascending {ascending}"
            );
        }
    }
    // default: CreateTime descending, with null/""/missing orderBy and missing ascending
    for body in [
        json!({}),
        json!({"orderBy": null}),
        json!({"orderBy": ""}),
        json!({"orderBy": "  ", "ascending": false}),
    ] {
        let rows = search_all(&ctx.srv, &ctx.token, &ctx.company, body.clone()).await;
        assert_eq!(
            tu::rids(&rows),
            tu::sorted_rids(&all, "CreateTime", false),
            "default order for {body}"
        );
    }
    // the order is total and paging follows it: small pages concatenate to the whole order
    for (field, canonical) in [
        ("Department", "Department"),
        ("Priority", "Priority"),
        ("Status", "Status"),
    ] {
        for ascending in [true, false] {
            let mut got = Vec::new();
            for page in 1..=20 {
                let (s, b) = ctx
                    .srv
                    .post(
                        "/api/target-users/search",
                        &ctx.token,
                        json!({"orderBy": field, "ascending": ascending, "pageNumber": page, "pageSize": 3,
                               "filter": one("IsDeleted", "Contains", json!(false))}),
                        &scope(&ctx.company),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{b}");
                let rows = b["data"]["results"].as_array().expect("results").clone();
                if rows.is_empty() {
                    break;
                }
                got.extend(tu::rids(&rows));
            }
            let live: Vec<&U> = ctx.users.iter().filter(|u| !u.deleted).collect();
            assert_eq!(
                got,
                tu::sorted_rids(&live, canonical, ascending),
                "paged {field} {ascending}"
            );
        }
    }
}

async fn errors_name_the_problem(engine: Engine) {
    let Some(ctx) = setup(engine).await else {
        return;
    };
    let f = |field: &str, op: &str, value: Value| json!({"filter": one(field, op, value)});
    ctx.error(
        "unknown field",
        f("Shoe", "=", json!("x")),
        &["Shoe", "FirstName"],
    )
    .await;
    ctx.error(
        "unknown operator",
        f("FirstName", "like", json!("x")),
        &["like", "Contains"],
    )
    .await;
    ctx.error("unknown operator ~", f("Email", "~", json!("x")), &["~"])
        .await;
    ctx.error(
        "Priority Urgent",
        f("Priority", "=", json!("Urgent")),
        &["Priority", "Urgent"],
    )
    .await;
    ctx.error("Priority 6", f("Priority", "=", json!("6")), &["Priority"])
        .await;
    ctx.error(
        "CreateTime yesterday",
        f("CreateTime", ">", json!("yesterday")),
        &["CreateTime", "yesterday"],
    )
    .await;
    ctx.error(
        "IsDeleted maybe",
        f("IsDeleted", "=", json!("maybe")),
        &["IsDeleted", "maybe"],
    )
    .await;
    ctx.error("Status 2", f("Status", "Include", json!("2")), &["Status"])
        .await;
    ctx.error("Status >", f("Status", ">", json!("1")), &["Status"])
        .await;
    ctx.error(
        "month 2026-13",
        f("MonthlyActiveUser", "=", json!("2026-13")),
        &["MonthlyActiveUser"],
    )
    .await;
    ctx.error(
        "month text",
        f("MonthlyActiveUser", "=", json!("last month")),
        &["MonthlyActiveUser"],
    )
    .await;
    ctx.error(
        "IsDeleted >",
        f("IsDeleted", ">", json!(true)),
        &["IsDeleted"],
    )
    .await;
    ctx.error(
        "CreateTime Include",
        f("CreateTime", "Include", json!("2026-01-01")),
        &["CreateTime"],
    )
    .await;
    ctx.error(
        "object value",
        f("FirstName", "=", json!({"a": 1})),
        &["FirstName"],
    )
    .await;
    ctx.error(
        "null value",
        f("FirstName", "=", Value::Null),
        &["FirstName"],
    )
    .await;
    ctx.error(
        "no field name",
        json!({"filter": {"FilterGroups": [{"FilterItems": [{"Operator": "=", "Value": "x"}]}]}}),
        &["fieldName"],
    )
    .await;
    ctx.error(
        "bad condition",
        json!({"filter": {"Condition": "XOR", "FilterGroups": []}}),
        &["XOR"],
    )
    .await;
    ctx.error(
        "bad group condition",
        json!({"filter": {"FilterGroups": [group("NAND", vec![], vec![])]}}),
        &["NAND"],
    )
    .await;
    // nine levels of groups
    let mut g = group(
        "AND",
        vec![item("FirstName", "Contains", json!("a"))],
        vec![],
    );
    for _ in 0..8 {
        g = group("AND", vec![], vec![g]);
    }
    ctx.error("9 levels", json!({"filter": {"FilterGroups": [g]}}), &["8"])
        .await;
    // more than 256 items
    let items: Vec<Value> = (0..257)
        .map(|i| item("Email", "!=", json!(format!("nobody{i}@x.io"))))
        .collect();
    ctx.error(
        "257 items",
        json!({"filter": {"FilterGroups": [group("AND", items, vec![])]}}),
        &["256"],
    )
    .await;
    // limits on Include lists and value lengths
    let ones = vec!["1"; 1001].join(",");
    ctx.error(
        "1001 Include values",
        f("Priority", "Include", json!(ones)),
        &["Include", "1000"],
    )
    .await;
    let list: Vec<String> = (0..1001).map(|i| format!("v{i}")).collect();
    ctx.error(
        "1001 text Include values",
        f("FirstName", "Include", json!(list.join(","))),
        &["1000"],
    )
    .await;
    ctx.error(
        "long value",
        f("FirstName", "Contains", json!("x".repeat(1001))),
        &["1000"],
    )
    .await;
    ctx.error(
        "long search text",
        json!({"filter": {"SearchInputTextValue": "x".repeat(1001)}}),
        &["searchInputTextValue", "1000"],
    )
    .await;
    // paging and sorting
    for (body, needles) in [
        (json!({"pageSize": 1001}), vec!["pageSize", "1000"]),
        (json!({"pageSize": 0}), vec!["pageSize"]),
        (json!({"pageNumber": 0}), vec!["pageNumber"]),
        (json!({"orderBy": "Shoe"}), vec!["Shoe", "CreateTime"]),
    ] {
        let (s, b) = ctx
            .srv
            .post(
                "/api/target-users/search",
                &ctx.token,
                body.clone(),
                &scope(&ctx.company),
            )
            .await;
        assert_input_error(&format!("{body}"), s, &b, &needles);
    }
    // a wrong type inside an otherwise fine tree is still refused, whatever the condition
    ctx.error(
        "bad item in OR",
        json!({"filter": {"Condition": "OR", "FilterGroups": [
            group("OR", vec![item("FirstName", "Contains", json!("a")), item("Priority", "=", json!("Urgent"))], vec![]),
            group("OR", vec![], vec![]),
        ]}}),
        &["Urgent"],
    )
    .await;
}

/// Sorting and comparing resource ids must be bytewise on PostgreSQL too, whatever the
/// database's default collation (most PostgreSQL servers default to a natural-language one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    rollcall_no_pg,
    ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
)]
async fn resource_id_order_is_bytewise_under_any_collation() {
    let Some(admin) = crate::common::pg_admin_url() else {
        return;
    };
    let name = format!(
        "rollcall_test_icu_{}",
        rollcall_store::new_resource_id().to_ascii_lowercase()
    );
    {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect");
        sqlx::query(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C.UTF-8'"
        ))
        .execute(&mut conn)
        .await
        .expect("create an ICU database");
        conn.close().await.ok();
    }
    let (base, _) = admin.rsplit_once('/').expect("admin URL has a path");
    let url = format!("{base}/{name}");
    // Dropped after the server below.
    let _icu = rollcall_testkit::PgDatabase::adopt(&admin, &url);
    let Some(srv) = TestServer::start_with(Engine::Postgres, |c| c.database_url = url).await else {
        return;
    };
    let token = srv.root_token().await;
    let company = srv
        .create_company(&token, None, json!({"Name": "Icu"}))
        .await;
    let mut users: Vec<U> = tu::dataset().into_iter().take(24).collect();
    tu::seed(&srv, &token, &company, &mut users).await;
    let all: Vec<&U> = users.iter().collect();
    for ascending in [true, false] {
        let rows = search_all(
            &srv,
            &token,
            &company,
            json!({"orderBy": "ResourceId", "ascending": ascending}),
        )
        .await;
        assert_eq!(
            tu::rids(&rows),
            tu::sorted_rids(&all, "ResourceId", ascending),
            "orderBy ResourceId ascending {ascending} must be bytewise (as on SQLite)"
        );
    }
    // text fields are bytewise on their lowercase copies there too
    for field in ["FirstName", "Email", "TimeZone"] {
        let rows = search_all(
            &srv,
            &token,
            &company,
            json!({"orderBy": field, "ascending": true}),
        )
        .await;
        assert_eq!(
            tu::rids(&rows),
            tu::sorted_rids(&all, field, true),
            "orderBy {field}"
        );
    }
    let pivot = "M".to_owned();
    let rows = search_all(
        &srv,
        &token,
        &company,
        json!({"filter": one("ResourceId", "<", json!(pivot))}),
    )
    .await;
    let want: Vec<&U> = users
        .iter()
        .filter(|u| u.resource_id.as_bytes() < pivot.as_bytes())
        .collect();
    tu::assert_same_users("ResourceId < M", &tu::rids(&rows), &want, &users);
}

both_engines!(
    text_fields_every_operator,
    exact_fields,
    exact_fields_contains_is_case_sensitive,
    month_include_list,
    include_lists_up_to_1000_values,
    priority_status_deleted_month,
    create_time_days_and_instants,
    groups_nesting_and_casing,
    search_input_text,
    ordering,
    errors_name_the_problem,
);
