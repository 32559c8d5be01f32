//! Property tests of the target-user API over HTTP, on SQLite and on PostgreSQL (one server per
//! engine for the whole run of each property):
//!
//! * random filter trees (depth <= 3) over random fields, operators and values (drawn from the
//!   data set's own values plus random ones) return exactly the rows a plain-Rust evaluator of the
//!   wire filter selects, in the order a Rust sort gives; the store's parsed tree, evaluated by
//!   `rollcall_testkit::eval`, selects the same rows (so a parser fault shows as one);
//! * paging through the whole table with a random page size and order yields every row once, and
//!   `totalNumberOfRecords`/`totalNumberOfPages` are right;
//! * after random sequences of creates, status flips, deletes and bulk deletes, count-summary,
//!   companies/search and license-check agree with `SELECT COUNT(*)` run on the database itself.

use std::collections::BTreeSet;

use crate::common::tu::{self, scope, U};
use crate::common::{Engine, TestServer};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use rollcall_store::query::{month_of, parse_filter};
use rollcall_store::{fields, Cond, Val};
use rollcall_testkit::eval;
use rollcall_types::casing::canonicalize_keys;
use rollcall_types::Filter;
use serde_json::{json, Map, Value};
use tokio::runtime::Runtime;

/// Filter cases per engine.
const FILTER_CASES: u32 = 48;
/// Paging cases per engine.
const PAGING_CASES: u32 = 24;
/// Write-sequence cases per engine, and steps in each.
const OPS_CASES: u32 = 6;
const OPS_STEPS: usize = 60;

// ---------------------------------------------------------------------------------------------
// The world: a runtime, a server and the seeded data set.

struct World {
    srv: TestServer,
    token: String,
    company: String,
    users: Vec<U>,
    rt: Runtime,
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn world(engine: Engine, seed_users: bool) -> Option<World> {
    let rt = runtime();
    let (srv, token, company, users) = rt.block_on(async {
        let srv = TestServer::start(engine).await?;
        let token = srv.root_token().await;
        let company = srv
            .create_company(&token, None, json!({"Name": "Props", "NumberOfUsers": 5}))
            .await;
        let mut users = if seed_users { tu::dataset() } else { vec![] };
        tu::seed(&srv, &token, &company, &mut users).await;
        Some((srv, token, company, users))
    })?;
    Some(World {
        srv,
        token,
        company,
        users,
        rt,
    })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

// ---------------------------------------------------------------------------------------------
// The wire filter as the test models it, and its reference evaluation.

#[derive(Debug, Clone, Copy)]
enum Kind {
    Text(fn(&U) -> String),
    Exact(fn(&U) -> String),
    /// A language: filter values naming one (id, ISO code, tag) compare as its resource id.
    Language(fn(&U) -> String),
    Priority,
    Status,
    Deleted,
    Month,
    Time,
}

struct FieldDef {
    /// Wire names to pick from: canonical, other casings, aliases.
    names: &'static [&'static str],
    kind: Kind,
    ops: &'static [&'static str],
}

const TEXT_OPS: &[&str] = &[
    "Contains", "Include", "=", "!=", ">", ">=", "<", "<=", "Equal", "Equals", "contains",
];
// Contains on exact fields is left to target_users_filters::exact_fields.
const EXACT_OPS: &[&str] = &["=", "!=", "Include", ">", ">=", "<", "<="];
const PRIORITY_OPS: &[&str] = &["=", "!=", ">", ">=", "<", "<=", "Include", "Equals"];
const STATUS_OPS: &[&str] = &["Include", "=", "Contains", "!=", "include"];
const DELETED_OPS: &[&str] = &["Contains", "=", "!=", "Include", "Equal"];
const MONTH_OPS: &[&str] = &["=", "!=", ">", ">=", "<", "<=", "Include", "Contains"];
const TIME_OPS: &[&str] = &["=", "!=", ">", ">=", "<", "<=", "Equals"];

const FIELDS: &[FieldDef] = &[
    FieldDef {
        names: &["Email", "email", "EMAIL", "EmailAddress"],
        kind: Kind::Text(|u| u.email.clone()),
        ops: TEXT_OPS,
    },
    FieldDef {
        names: &["FirstName", "firstName", "firstname", "FIRSTNAME"],
        kind: Kind::Text(|u| u.first.clone()),
        ops: TEXT_OPS,
    },
    FieldDef {
        names: &["LastName", "lastName", "LASTNAME"],
        kind: Kind::Text(|u| u.last.clone()),
        ops: TEXT_OPS,
    },
    FieldDef {
        names: &["Department", "department"],
        kind: Kind::Text(|u| u.department.clone()),
        ops: TEXT_OPS,
    },
    FieldDef {
        names: &["PhoneNumber", "phoneNumber", "Phone"],
        kind: Kind::Text(|u| u.phone.clone()),
        ops: TEXT_OPS,
    },
    FieldDef {
        names: &["ManagerFullName", "managerFullName"],
        kind: Kind::Text(|u| u.manager_full()),
        ops: TEXT_OPS,
    },
    FieldDef {
        names: &["ManagerEmail", "managerEmail"],
        kind: Kind::Text(|u| u.manager_email.clone()),
        ops: TEXT_OPS,
    },
    FieldDef {
        names: &["TimeZone", "TimeZoneId", "timeZoneId"],
        kind: Kind::Exact(|u| u.time_zone.clone()),
        ops: EXACT_OPS,
    },
    FieldDef {
        names: &["PreferredLanguage", "preferredLanguageId"],
        kind: Kind::Language(|u| u.language.clone()),
        ops: EXACT_OPS,
    },
    FieldDef {
        names: &["ResourceId", "targetUserResourceId"],
        kind: Kind::Exact(|u| u.resource_id.clone()),
        ops: EXACT_OPS,
    },
    FieldDef {
        names: &["Priority", "priority"],
        kind: Kind::Priority,
        ops: PRIORITY_OPS,
    },
    FieldDef {
        names: &["Status", "status", "IsActive"],
        kind: Kind::Status,
        ops: STATUS_OPS,
    },
    FieldDef {
        names: &["IsDeleted", "isDeleted", "isdeleted"],
        kind: Kind::Deleted,
        ops: DELETED_OPS,
    },
    FieldDef {
        names: &["MonthlyActiveUser", "monthlyActiveUser"],
        kind: Kind::Month,
        ops: MONTH_OPS,
    },
    FieldDef {
        names: &["CreateTime", "createTime", "CreateDate"],
        kind: Kind::Time,
        ops: TIME_OPS,
    },
];

#[derive(Debug, Clone)]
struct Item {
    field: usize,
    name: &'static str,
    op: &'static str,
    value: Value,
}

#[derive(Debug, Clone)]
struct Group {
    /// `None`: no condition sent (AND).
    cond: Option<&'static str>,
    items: Vec<Item>,
    groups: Vec<Group>,
}

#[derive(Debug, Clone)]
struct WireFilter {
    cond: Option<&'static str>,
    groups: Vec<Group>,
    search: Option<String>,
    /// 0 PascalCase keys, 1 camelCase, 2 lowercase, 3 UPPERCASE.
    casing: usize,
}

fn is_and(c: Option<&str>) -> bool {
    c.is_none_or(|c| c.eq_ignore_ascii_case("and"))
}

fn key(casing: usize, pascal: &str) -> String {
    match casing {
        0 => pascal.to_owned(),
        1 => {
            let mut c = pascal.chars();
            let first = c.next().map(|f| f.to_ascii_lowercase()).unwrap_or_default();
            std::iter::once(first).chain(c).collect()
        }
        2 => pascal.to_ascii_lowercase(),
        _ => pascal.to_ascii_uppercase(),
    }
}

impl Group {
    fn to_json(&self, casing: usize) -> Value {
        let mut m = Map::new();
        if let Some(c) = self.cond {
            m.insert(key(casing, "Condition"), json!(c));
        }
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|i| {
                let mut o = Map::new();
                o.insert(key(casing, "FieldName"), json!(i.name));
                o.insert(key(casing, "Operator"), json!(i.op));
                o.insert(key(casing, "Value"), i.value.clone());
                Value::Object(o)
            })
            .collect();
        m.insert(key(casing, "FilterItems"), Value::Array(items));
        m.insert(
            key(casing, "FilterGroups"),
            Value::Array(self.groups.iter().map(|g| g.to_json(casing)).collect()),
        );
        Value::Object(m)
    }

    /// An empty group matches everything; otherwise AND/OR over items and subgroups.
    fn eval(&self, u: &U) -> bool {
        if self.items.is_empty() && self.groups.is_empty() {
            return true;
        }
        let mut results = self
            .items
            .iter()
            .map(|i| eval_item(i, u))
            .chain(self.groups.iter().map(|g| g.eval(u)));
        if is_and(self.cond) {
            results.all(|b| b)
        } else {
            results.any(|b| b)
        }
    }
}

impl WireFilter {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(c) = self.cond {
            m.insert(key(self.casing, "Condition"), json!(c));
        }
        if let Some(s) = &self.search {
            m.insert(key(self.casing, "SearchInputTextValue"), json!(s));
        }
        m.insert(
            key(self.casing, "FilterGroups"),
            Value::Array(self.groups.iter().map(|g| g.to_json(self.casing)).collect()),
        );
        Value::Object(m)
    }

    fn eval(&self, u: &U) -> bool {
        let groups = if self.groups.is_empty() {
            true
        } else if is_and(self.cond) {
            self.groups.iter().all(|g| g.eval(u))
        } else {
            self.groups.iter().any(|g| g.eval(u))
        };
        let text = match &self.search {
            // Keepnet's UI sends its search box's text also as a `Contains` item; such a text
            // is not searched again (docs/api.md, "Search boxes"; `is_search_group_copy`).
            Some(s) if !s.trim().is_empty() && copied(&self.groups, s.trim()) => true,
            Some(s) if !s.trim().is_empty() => {
                let t = s.trim().to_lowercase();
                [&u.first, &u.last, &u.email, &u.department]
                    .iter()
                    .any(|f| f.to_lowercase().contains(&t))
            }
            _ => true,
        };
        groups && text
    }
}

/// Whether `text` is the value of a `Contains` item in `groups` (ASCII case aside), as the
/// store decides it.
fn copied(groups: &[Group], text: &str) -> bool {
    groups.iter().any(|g| {
        g.items.iter().any(|i| {
            i.op.eq_ignore_ascii_case("contains")
                && value_text(&i.value).trim().eq_ignore_ascii_case(text)
        }) || copied(&g.groups, text)
    })
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => panic!("generated value {other}"),
    }
}

fn parts(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

fn cmp_op<T: Ord>(op: &str, f: &T, v: &T) -> bool {
    match op {
        "=" | "Equal" | "Equals" | "Contains" | "contains" => f == v,
        "!=" => f != v,
        ">" => f > v,
        ">=" => f >= v,
        "<" => f < v,
        "<=" => f <= v,
        _ => unreachable!("{op}"),
    }
}

fn priority_num(s: &str) -> i64 {
    let s = s.trim();
    s.parse().unwrap_or_else(|_| {
        tu::PRIORITY_NAMES
            .iter()
            .position(|p| p.eq_ignore_ascii_case(s))
            .map(|i| i as i64 + 1)
            .expect("priority")
    })
}

fn status_bool(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "1" | "active" | "true"
    )
}

fn month_parse(s: &str) -> i64 {
    let (y, m) = s.trim().split_once('-').expect("YYYY-MM");
    y.parse::<i64>().expect("year") * 100 + m.parse::<i64>().expect("month")
}

/// `[start, end)` of a CreateTime value: a whole UTC day for a date, one millisecond otherwise.
fn time_window(s: &str) -> (i64, i64) {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let start = d
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp_millis();
        (start, start + 86_400_000)
    } else {
        let t = tu::ms(s);
        (t, t + 1)
    }
}

fn eval_item(i: &Item, u: &U) -> bool {
    let v = value_text(&i.value);
    match FIELDS[i.field].kind {
        Kind::Text(get) => {
            let f = get(u).to_lowercase();
            let v = v.to_lowercase();
            match i.op {
                "Contains" | "contains" => f.contains(&v),
                "Include" => parts(&v).contains(&f),
                op => cmp_op(op, &f.into_bytes(), &v.into_bytes()),
            }
        }
        Kind::Exact(get) => {
            let f = get(u);
            match i.op {
                "Contains" | "contains" => f.contains(&v),
                "Include" => parts(&v).contains(&f),
                op => cmp_op(op, &f.into_bytes(), &v.into_bytes()),
            }
        }
        Kind::Language(get) => {
            // docs/api.md, "Lookups and time zones": what names a language compares as its id.
            let f = get(u);
            let canon = |p: &str| {
                rollcall_store::catalog::language_id(p).map_or_else(|| p.to_owned(), str::to_owned)
            };
            match i.op {
                "Contains" | "contains" => {
                    if let Some(id) = rollcall_store::catalog::language_id(&v) {
                        return f == id;
                    }
                    let needle = v.trim().to_lowercase();
                    let named: Vec<&str> = rollcall_store::catalog::ENTRIES
                        .iter()
                        .filter(|(k, _, name, _)| {
                            *k == rollcall_store::LookupKind::Language
                                && name.to_lowercase().contains(&needle)
                        })
                        .map(|(_, id, _, _)| *id)
                        .collect();
                    if named.is_empty() {
                        f.contains(&v)
                    } else {
                        named.contains(&f.as_str())
                    }
                }
                "Include" => parts(&v).iter().any(|p| canon(p) == f),
                op => cmp_op(op, &f.into_bytes(), &canon(&v).into_bytes()),
            }
        }
        Kind::Priority => match i.op {
            "Include" => parts(&v).iter().any(|p| priority_num(p) == u.priority),
            op => cmp_op(op, &u.priority, &priority_num(&v)),
        },
        Kind::Status => {
            let is_code = |p: &String| ["1", "0"].contains(&p.as_str());
            if i.op.eq_ignore_ascii_case("contains") && !parts(&v).iter().all(is_code) {
                // docs/api.md: Contains looks for the text in the status shown.
                let shown = if u.active { "active" } else { "inactive" };
                return shown.contains(&v.trim().to_lowercase());
            }
            let set: Vec<bool> = parts(&v).iter().map(|p| status_bool(p)).collect();
            match i.op {
                "!=" => !set.contains(&u.active),
                _ => set.contains(&u.active),
            }
        }
        Kind::Deleted => match i.op {
            "Include" => parts(&v).iter().any(|p| status_bool(p) == u.deleted),
            "!=" => status_bool(&v) != u.deleted,
            _ => status_bool(&v) == u.deleted,
        },
        Kind::Month => match i.op {
            "Include" => parts(&v).iter().any(|p| month_parse(p) == u.month()),
            op => cmp_op(op, &u.month(), &month_parse(&v)),
        },
        Kind::Time => {
            let (s, e) = time_window(&v);
            let t = u.create_time;
            match i.op {
                "=" | "Equals" => t >= s && t < e,
                "!=" => t < s || t >= e,
                ">" => t >= e,
                ">=" => t >= s,
                "<" => t < s,
                "<=" => t < e,
                op => unreachable!("{op}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies built from the seeded data.

/// Values to draw from, per field.
struct Pools {
    per_field: Vec<Vec<String>>,
    search: Vec<String>,
}

fn pools(users: &[U]) -> Pools {
    let mut per_field = Vec::new();
    for f in FIELDS {
        let mut v: BTreeSet<String> = BTreeSet::new();
        match f.kind {
            Kind::Text(get) | Kind::Exact(get) | Kind::Language(get) => {
                if matches!(f.kind, Kind::Language(_)) {
                    // Other spellings of stored languages, a name's piece, an unknown code.
                    for p in ["tr", "DE", "en-GB", "pt_BR", "urk", "xx"] {
                        v.insert(p.to_owned());
                    }
                }
                for u in users {
                    let s = get(u);
                    let chars: Vec<char> = s.chars().collect();
                    if matches!(f.kind, Kind::Text(_)) {
                        v.insert(s.to_uppercase());
                        if chars.len() >= 3 {
                            v.insert(chars[1..chars.len() - 1].iter().collect());
                            v.insert(chars[..2].iter().collect());
                        }
                    } else if chars.len() >= 4 {
                        v.insert(chars[..3].iter().collect());
                    }
                    v.insert(s);
                }
            }
            Kind::Priority => {
                for p in [
                    "VeryLow", "low", "MEDIUM", "High", "veryhigh", "1", "2", "3", "4", "5",
                ] {
                    v.insert(p.to_owned());
                }
            }
            Kind::Status => {
                for p in ["1", "0", "Active", "inactive", "ACTIVE", "1,0", "0, 1"] {
                    v.insert(p.to_owned());
                }
            }
            Kind::Deleted => {
                for p in ["true", "false", "True", "FALSE"] {
                    v.insert(p.to_owned());
                }
            }
            Kind::Month => {
                for u in users {
                    v.insert(tu::month_text(u.month()));
                }
                for m in ["2024-01", "2025-12", "2026-06", "2027-01"] {
                    v.insert(m.to_owned());
                }
            }
            Kind::Time => {
                for u in users {
                    let t = tu::time_of(u.create_time);
                    let d = t.date_naive();
                    for dd in [d.pred_opt(), Some(d), d.succ_opt()].into_iter().flatten() {
                        v.insert(dd.format("%Y-%m-%d").to_string());
                    }
                    for delta in [-1, 0, 1] {
                        v.insert(
                            tu::time_of(u.create_time + delta)
                                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                                .to_string(),
                        );
                    }
                }
            }
        }
        per_field.push(v.into_iter().collect());
    }
    let mut search: BTreeSet<String> = BTreeSet::new();
    for u in users {
        for s in [&u.first, &u.last, &u.department, &u.email] {
            let chars: Vec<char> = s.chars().collect();
            if chars.len() >= 2 {
                search.insert(chars[..2].iter().collect::<String>().to_uppercase());
                search.insert(chars[chars.len() - 2..].iter().collect());
            }
        }
    }
    search.insert(String::new());
    search.insert("  ".into());
    Pools {
        per_field,
        search: search.into_iter().collect(),
    }
}

/// A random string that may hold LIKE wildcards, non-ASCII letters and punctuation.
fn random_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9åøæçğüıéÆÇ_%@.+&\\\\-]{0,4}"
}

fn item_strategy(pools: &Pools) -> impl Strategy<Value = Item> {
    let per_field = pools.per_field.clone();
    (0..FIELDS.len())
        .prop_flat_map(move |fi| {
            let def = &FIELDS[fi];
            let pool = per_field[fi].clone();
            let single: BoxedStrategy<String> = match def.kind {
                Kind::Text(_) | Kind::Exact(_) | Kind::Language(_) => prop_oneof![
                    3 => proptest::sample::select(pool.clone()),
                    1 => random_text(),
                ]
                .boxed(),
                _ => proptest::sample::select(pool.clone()).boxed(),
            };
            let list = proptest::collection::vec(
                (single.clone(), 0..3usize).prop_map(|(s, pad)| {
                    let p = " ".repeat(pad);
                    format!("{p}{s}{p}")
                }),
                1..4,
            )
            .prop_map(|v| v.join(","));
            (
                Just(fi),
                proptest::sample::select(def.names),
                proptest::sample::select(def.ops),
                single,
                list,
                any::<bool>(),
            )
        })
        .prop_map(|(fi, name, op, single, list, as_json)| {
            let kind = FIELDS[fi].kind;
            let text = if op.eq_ignore_ascii_case("include") {
                // Month lists are covered by target_users_filters::month_include_list (the
                // server refuses them at the time of writing); a single month is sent here so
                // that this property keeps checking everything else.
                if matches!(kind, Kind::Month) {
                    single
                } else if parts(&list).is_empty() {
                    "x".to_owned()
                } else {
                    list
                }
            } else {
                single
            };
            // booleans and numbers also travel as JSON bools and numbers
            let value = match kind {
                Kind::Deleted if as_json && !op.eq_ignore_ascii_case("include") => {
                    json!(status_bool(&text))
                }
                Kind::Priority | Kind::Status if as_json => match text.trim().parse::<i64>() {
                    Ok(n) => json!(n),
                    Err(_) => json!(text),
                },
                _ => json!(text),
            };
            Item {
                field: fi,
                name,
                op,
                value,
            }
        })
}

const CONDS: &[Option<&str>] = &[
    None,
    Some("AND"),
    Some("and"),
    Some("And"),
    Some("OR"),
    Some("or"),
    Some("Or"),
];

fn group_strategy(pools: &Pools, depth: u32) -> BoxedStrategy<Group> {
    let items = proptest::collection::vec(item_strategy(pools), 0..4);
    if depth >= 3 {
        (proptest::sample::select(CONDS), items)
            .prop_map(|(cond, items)| Group {
                cond,
                items,
                groups: vec![],
            })
            .boxed()
    } else {
        (
            proptest::sample::select(CONDS),
            items,
            proptest::collection::vec(group_strategy(pools, depth + 1), 0..3),
        )
            .prop_map(|(cond, items, groups)| Group {
                cond,
                items,
                groups,
            })
            .boxed()
    }
}

fn filter_strategy(pools: &Pools) -> impl Strategy<Value = WireFilter> {
    let search = prop_oneof![
        2 => Just(None),
        1 => proptest::sample::select(pools.search.clone()).prop_map(Some),
    ];
    (
        proptest::sample::select(CONDS),
        proptest::collection::vec(group_strategy(pools, 1), 0..3),
        search,
        0..4usize,
    )
        .prop_map(|(cond, groups, search, casing)| WireFilter {
            cond,
            groups,
            search,
            casing,
        })
}

const ORDER_FIELDS: &[(&str, &str)] = &[
    ("CreateTime", "CreateTime"),
    ("createtime", "CreateTime"),
    ("Email", "Email"),
    ("firstName", "FirstName"),
    ("LASTNAME", "LastName"),
    ("Department", "Department"),
    ("PhoneNumber", "PhoneNumber"),
    ("Priority", "Priority"),
    ("status", "Status"),
    ("IsDeleted", "IsDeleted"),
    ("ManagerFullName", "ManagerFullName"),
    ("ManagerEmail", "ManagerEmail"),
    ("MonthlyActiveUser", "MonthlyActiveUser"),
    ("TimeZone", "TimeZone"),
    ("PreferredLanguage", "PreferredLanguage"),
    ("ResourceId", "ResourceId"),
    ("", "CreateTime"),
];

// ---------------------------------------------------------------------------------------------
// Property 1: random filter trees.

fn random_filters_match_reference(engine: Engine) {
    let Some(w) = world(engine, true) else {
        return;
    };
    let pools = pools(&w.users);
    let strategy = (
        filter_strategy(&pools),
        proptest::sample::select(ORDER_FIELDS),
        any::<bool>(),
    );
    let result = runner(FILTER_CASES).run(&strategy, |(filter, (order_by, canonical), ascending)| {
        let wire = filter.to_json();
        let tree = parsed_tree(&wire).map_err(fail)?;
        if let Some(u) = w
            .users
            .iter()
            .find(|u| eval::matches(&tree, &|c| column(u, c)) != filter.eval(u))
        {
            return Err(fail(format!(
                "the parsed tree of {wire} disagrees with the wire filter on {}: {tree:?}",
                u.email
            )));
        }
        let body = json!({"filter": wire, "orderBy": order_by, "ascending": ascending,
                          "pageNumber": 1, "pageSize": 1000});
        let (status, resp) = w.rt.block_on(w.srv.post(
            "/api/target-users/search",
            &w.token,
            body.clone(),
            &scope(&w.company),
        ));
        if status != StatusCode::OK {
            return Err(fail(format!("{engine:?}: {status} for {body}: {resp}")));
        }
        let rows = resp["data"]["results"].as_array().cloned().unwrap_or_default();
        let expected: Vec<&U> = w.users.iter().filter(|u| filter.eval(u)).collect();
        let want = tu::sorted_rids(&expected, canonical, ascending);
        let got = tu::rids(&rows);
        if resp["data"]["totalNumberOfRecords"] != json!(expected.len()) || got != want {
            let email = |rid: &String| {
                w.users
                    .iter()
                    .find(|u| &u.resource_id == rid)
                    .map(|u| u.email.clone())
                    .unwrap_or_else(|| rid.clone())
            };
            let gs: BTreeSet<String> = got.iter().map(email).collect();
            let ws: BTreeSet<String> = want.iter().map(email).collect();
            return Err(fail(format!(
                "{engine:?}: filter {wire}\norderBy {order_by:?} ascending {ascending}\n\
                 total {} (expected {})\nunexpected rows: {:?}\nmissing rows: {:?}\nsame set, order differs: {}",
                resp["data"]["totalNumberOfRecords"],
                expected.len(),
                gs.difference(&ws).collect::<Vec<_>>(),
                ws.difference(&gs).collect::<Vec<_>>(),
                gs == ws
            )));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The tree the store parses `wire` into for target-user searches.
fn parsed_tree(wire: &Value) -> Result<Cond, String> {
    let filter: Filter = serde_json::from_value(canonicalize_keys(wire.clone()))
        .map_err(|e| format!("{wire} is not a filter: {e}"))?;
    parse_filter(Some(&filter), &fields::TARGET_USERS, 0)
        .map(|p| p.cond)
        .map_err(|e| format!("{wire} was refused: {e}"))
}

/// A user's value in a target-user column, as the store writes it (lowercase copies of text).
fn column(u: &U, column: &str) -> Option<Val> {
    let lower = |s: &str| Some(Val::Text(s.to_lowercase()));
    match column {
        "email_lower" => lower(&u.email),
        "first_name_lower" => lower(&u.first),
        "last_name_lower" => lower(&u.last),
        "department_lower" => lower(&u.department),
        "phone_lower" => lower(&u.phone),
        "manager_full_name_lower" => lower(&u.manager_full()),
        "manager_email_lower" => lower(&u.manager_email),
        "time_zone_id" => Some(Val::Text(u.time_zone.clone())),
        "preferred_language_id" => Some(Val::Text(u.language.clone())),
        "resource_id" => Some(Val::Text(u.resource_id.clone())),
        "priority" => Some(Val::Int(u.priority)),
        "is_active" => Some(Val::Bool(u.active)),
        "is_deleted" => Some(Val::Bool(u.deleted)),
        "create_time" => Some(Val::Int(u.create_time)),
        "create_month" => Some(Val::Int(month_of(u.create_time))),
        other => panic!("the property tests do not model the column {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Property 2: paging through everything.

fn paging_yields_every_row_once(engine: Engine) {
    let Some(w) = world(engine, true) else {
        return;
    };
    let pools = pools(&w.users);
    let strategy = (
        1..=17i64,
        proptest::sample::select(ORDER_FIELDS),
        any::<bool>(),
        prop_oneof![2 => Just(None), 1 => filter_strategy(&pools).prop_map(Some)],
    );
    let result = runner(PAGING_CASES).run(&strategy, |(size, (order_by, canonical), ascending, filter)| {
        let expected: Vec<&U> = w
            .users
            .iter()
            .filter(|u| filter.as_ref().is_none_or(|f| f.eval(u)))
            .collect();
        let want = tu::sorted_rids(&expected, canonical, ascending);
        let n = expected.len() as i64;
        let pages = (n + size - 1) / size;
        let wire = filter.as_ref().map(WireFilter::to_json).unwrap_or(Value::Null);
        let mut got: Vec<String> = Vec::new();
        for page in 1..=pages + 1 {
            let body = json!({"filter": wire, "orderBy": order_by, "ascending": ascending,
                              "pageNumber": page, "pageSize": size});
            let (status, resp) = w.rt.block_on(w.srv.post(
                "/api/target-users/search",
                &w.token,
                body.clone(),
                &scope(&w.company),
            ));
            if status != StatusCode::OK {
                return Err(fail(format!("{engine:?}: {status} for {body}: {resp}")));
            }
            let d = &resp["data"];
            if d["totalNumberOfRecords"] != json!(n)
                || d["totalNumberOfPages"] != json!(pages)
                || d["pageNumber"] != json!(page)
                || d["pageSize"] != json!(size)
            {
                return Err(fail(format!(
                    "{engine:?}: page header for {body}: {d} (expected {n} records, {pages} pages)"
                )));
            }
            let rows = tu::rids(d["results"].as_array().map(Vec::as_slice).unwrap_or(&[]));
            let expected_len = if page <= pages {
                (n - (page - 1) * size).min(size)
            } else {
                0
            };
            if rows.len() as i64 != expected_len {
                return Err(fail(format!(
                    "{engine:?}: page {page} of size {size} has {} rows, expected {expected_len}",
                    rows.len()
                )));
            }
            got.extend(rows);
        }
        let unique: BTreeSet<&String> = got.iter().collect();
        if unique.len() != got.len() {
            return Err(fail(format!(
                "{engine:?}: a row came twice paging orderBy {order_by:?} asc {ascending} size {size}"
            )));
        }
        if got != want {
            return Err(fail(format!(
                "{engine:?}: paged rows differ from the whole order (orderBy {order_by:?} asc {ascending} size {size}, filter {wire})"
            )));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Property 3: counts after random writes equal the database's own counts.

#[derive(Debug, Clone)]
enum Step {
    Create {
        email: usize,
        upper: bool,
        active: bool,
    },
    Flip {
        pick: usize,
    },
    Delete {
        pick: usize,
    },
    Bulk {
        picks: Vec<usize>,
    },
    BulkAll {
        inactive_only: bool,
        exclude: Vec<usize>,
    },
}

const EMAILS: &[&str] = &[
    "ana@x.io",
    "bo@x.io",
    "cy@x.io",
    "dee@x.io",
    "eve@x.io",
    "fay@x.io",
    "gus@x.io",
    "zoë@x.io",
    "ærø@x.io",
    "çağ@x.io",
    "hal@x.io",
    "ian@x.io",
];

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..EMAILS.len(), any::<bool>(), proptest::bool::weighted(0.7))
            .prop_map(|(email, upper, active)| Step::Create { email, upper, active }),
        3 => any::<usize>().prop_map(|pick| Step::Flip { pick }),
        2 => any::<usize>().prop_map(|pick| Step::Delete { pick }),
        1 => proptest::collection::vec(any::<usize>(), 0..4).prop_map(|picks| Step::Bulk { picks }),
        1 => (proptest::bool::weighted(0.7), proptest::collection::vec(any::<usize>(), 0..4))
            .prop_map(|(inactive_only, exclude)| Step::BulkAll { inactive_only, exclude }),
    ]
}

#[derive(Debug, Clone)]
struct Model {
    rid: String,
    email_lower: String,
    active: bool,
    deleted: bool,
}

/// Direct access to the server's database.
enum Db {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    async fn open(srv: &TestServer) -> Db {
        match srv.engine {
            Engine::Sqlite => {
                let url = format!(
                    "sqlite://{}",
                    srv.config.data_dir.join("rollcall.db").display()
                );
                Db::Sqlite(sqlx::SqlitePool::connect(&url).await.expect("open SQLite"))
            }
            Engine::Postgres => Db::Pg(
                sqlx::PgPool::connect(&srv.config.database_url)
                    .await
                    .expect("open PostgreSQL"),
            ),
        }
    }

    /// (active, inactive, deleted, created in `month`) of a company, counted row by row.
    async fn counts(&self, company: &str, month: i64) -> (i64, i64, i64, i64) {
        let (active, inactive, deleted, in_month) = match self {
            Db::Sqlite(_) => (
                "t.is_active = 1 AND t.is_deleted = 0",
                "t.is_active = 0 AND t.is_deleted = 0",
                "t.is_deleted = 1",
                "t.create_month = $2",
            ),
            Db::Pg(_) => (
                "t.is_active AND NOT t.is_deleted",
                "NOT t.is_active AND NOT t.is_deleted",
                "t.is_deleted",
                "t.create_month = $2",
            ),
        };
        (
            self.count(company, active, None).await,
            self.count(company, inactive, None).await,
            self.count(company, deleted, None).await,
            self.count(company, in_month, Some(month)).await,
        )
    }

    async fn count(&self, company: &str, condition: &str, month: Option<i64>) -> i64 {
        let sql = format!(
            "SELECT COUNT(*) FROM target_users t JOIN companies c ON c.id = t.company_id \
             WHERE c.resource_id = $1 AND {condition}"
        );
        match self {
            Db::Sqlite(p) => {
                let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(company);
                if let Some(m) = month {
                    q = q.bind(m);
                }
                q.fetch_one(p).await.expect("count on SQLite")
            }
            Db::Pg(p) => {
                let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(company);
                if let Some(m) = month {
                    q = q.bind(m);
                }
                q.fetch_one(p).await.expect("count on PostgreSQL")
            }
        }
    }
}

async fn run_steps(
    srv: &TestServer,
    token: &str,
    company: &str,
    steps: &[Step],
) -> Result<Vec<Model>, String> {
    let mut model: Vec<Model> = Vec::new();
    let h = scope(company);
    let pick = |model: &[Model], i: usize| (!model.is_empty()).then(|| i % model.len());
    for (n, step) in steps.iter().enumerate() {
        let ctx = |what: &str, b: &Value| format!("step {n} {step:?}: {what}: {b}");
        match step {
            Step::Create {
                email,
                upper,
                active,
            } => {
                let e = if *upper {
                    EMAILS[*email].to_uppercase()
                } else {
                    EMAILS[*email].to_owned()
                };
                let lower = e.to_lowercase();
                let taken = model.iter().any(|m| !m.deleted && m.email_lower == lower);
                let (s, b) = srv
                    .post(
                        "/api/target-users",
                        token,
                        json!({"email": e, "isActive": active}),
                        &h,
                    )
                    .await;
                match (taken, s) {
                    (true, StatusCode::CONFLICT) => {}
                    (false, StatusCode::OK) => model.push(Model {
                        rid: b["data"]["resourceId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                        email_lower: lower,
                        active: *active,
                        deleted: false,
                    }),
                    _ => return Err(ctx(&format!("create (taken {taken}) got {s}"), &b)),
                }
            }
            Step::Flip { pick: p } => {
                let Some(i) = pick(&model, *p) else { continue };
                let (s, b) = srv
                    .call(
                        Method::PUT,
                        &format!("/api/target-users/{}", model[i].rid),
                        token,
                        Some(json!({"isActive": !model[i].active})),
                        &h,
                    )
                    .await;
                match (model[i].deleted, s) {
                    (true, StatusCode::CONFLICT) => {}
                    (false, StatusCode::OK) => model[i].active = !model[i].active,
                    _ => return Err(ctx(&format!("flip got {s}"), &b)),
                }
            }
            Step::Delete { pick: p } => {
                let Some(i) = pick(&model, *p) else { continue };
                let (s, b) = srv
                    .call(
                        Method::DELETE,
                        &format!("/api/target-users/{}", model[i].rid),
                        token,
                        None,
                        &h,
                    )
                    .await;
                match (model[i].deleted, s) {
                    (true, StatusCode::CONFLICT) => {}
                    (false, StatusCode::OK) => model[i].deleted = true,
                    _ => return Err(ctx(&format!("delete got {s}"), &b)),
                }
            }
            Step::Bulk { picks } => {
                let idx: BTreeSet<usize> = picks.iter().filter_map(|p| pick(&model, *p)).collect();
                if idx.is_empty() {
                    continue;
                }
                let items: Vec<&str> = idx.iter().map(|&i| model[i].rid.as_str()).collect();
                let (s, b) = srv
                    .call(
                        Method::DELETE,
                        "/api/target-users/bulk-delete",
                        token,
                        Some(json!({"items": items})),
                        &h,
                    )
                    .await;
                let want = idx.iter().filter(|&&i| !model[i].deleted).count();
                if s != StatusCode::OK || b["data"]["deletedCount"] != json!(want) {
                    return Err(ctx(&format!("bulk expected {want} deleted, got {s}"), &b));
                }
                for i in idx {
                    model[i].deleted = true;
                }
            }
            Step::BulkAll {
                inactive_only,
                exclude,
            } => {
                let excluded: BTreeSet<usize> =
                    exclude.iter().filter_map(|p| pick(&model, *p)).collect();
                let excluded_rids: Vec<&str> =
                    excluded.iter().map(|&i| model[i].rid.as_str()).collect();
                let filter = if *inactive_only {
                    json!({"Condition": "AND", "FilterGroups": [{"Condition": "AND", "FilterItems": [
                        {"FieldName": "Status", "Operator": "Include", "Value": "0"}], "FilterGroups": []}]})
                } else {
                    Value::Null
                };
                let (s, b) = srv
                    .call(
                        Method::DELETE,
                        "/api/target-users/bulk-delete",
                        token,
                        Some(json!({"items": [], "selectAll": true, "excludedItems": excluded_rids, "filter": filter})),
                        &h,
                    )
                    .await;
                let hit: Vec<usize> = (0..model.len())
                    .filter(|i| {
                        !model[*i].deleted
                            && !excluded.contains(i)
                            && (!inactive_only || !model[*i].active)
                    })
                    .collect();
                if s != StatusCode::OK || b["data"]["deletedCount"] != json!(hit.len()) {
                    return Err(ctx(
                        &format!("bulk selectAll expected {} deleted, got {s}", hit.len()),
                        &b,
                    ));
                }
                for i in hit {
                    model[i].deleted = true;
                }
            }
        }
    }
    Ok(model)
}

async fn check_counts(
    srv: &TestServer,
    token: &str,
    company: &str,
    db: &Db,
    model: &[Model],
) -> Result<(), String> {
    let month = tu::month_num(chrono::Utc::now().timestamp_millis());
    let (a, i, d, m) = db.counts(company, month).await;
    let ma = model.iter().filter(|u| u.active && !u.deleted).count() as i64;
    let mi = model.iter().filter(|u| !u.active && !u.deleted).count() as i64;
    let md = model.iter().filter(|u| u.deleted).count() as i64;
    if (a, i, d, m) != (ma, mi, md, model.len() as i64) {
        return Err(format!(
            "database counts (active, inactive, deleted, this month) {:?} differ from the model's {:?}",
            (a, i, d, m),
            (ma, mi, md, model.len())
        ));
    }
    let (s, b) = srv
        .get("/api/target-users/count-summary", token, &scope(company))
        .await;
    let data = &b["data"];
    let months = data["monthlyActiveUsers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let api = (
        data["totalNumberOfActiveUsers"].as_i64(),
        data["totalNumberOfInActiveUsers"].as_i64(),
        data["totalNumberOfDeletedUsers"].as_i64(),
        months.last().and_then(|l| l["count"].as_i64()),
    );
    if s != StatusCode::OK || api != (Some(a), Some(i), Some(d), Some(m)) || months.len() != 12 {
        return Err(format!(
            "count-summary {b} differs from SELECT COUNT(*): active {a}, inactive {i}, deleted {d}, this month {m}"
        ));
    }
    if months[..11].iter().any(|x| x["count"] != 0) {
        return Err(format!("earlier months must be empty: {b}"));
    }
    let (s, b) = srv
        .post(
            "/api/companies/search",
            token,
            json!({"pageSize": 1000, "filter": {"FilterGroups": [{"FilterItems": [
                {"FieldName": "CompanyResourceId", "Operator": "=", "Value": company}]}]}}),
            &[],
        )
        .await;
    let row = &b["data"]["results"][0];
    let got = (
        row["targetUserCount"].as_i64(),
        row["inactiveTargetUserCount"].as_i64(),
        row["deletedTargetUserCount"].as_i64(),
        row["monthlyActiveUserCount"].as_i64(),
    );
    if s != StatusCode::OK || got != (Some(a), Some(i), Some(d), Some(m)) {
        return Err(format!(
            "companies/search row {row} differs from SELECT COUNT(*): active {a}, inactive {i}, deleted {d}, this month {m}"
        ));
    }
    let limit = 5;
    let (s, lc) = srv
        .get(
            &format!("/api/companies/{company}/license-check"),
            token,
            &[],
        )
        .await;
    let l = &lc["data"];
    if s != StatusCode::OK
        || l["activeUserCount"].as_i64() != Some(a)
        || l["totalUserCount"].as_i64() != Some(a + i)
        || l["isLicenseExceeded"].as_bool() != Some(a > limit)
    {
        return Err(format!(
            "license-check {lc} differs from SELECT COUNT(*): active {a}, inactive {i}"
        ));
    }
    Ok(())
}

fn write_sequences_keep_counts_exact(engine: Engine) {
    let Some(w) = world(engine, false) else {
        return;
    };
    let db = w.rt.block_on(Db::open(&w.srv));
    let strategy = proptest::collection::vec(step_strategy(), OPS_STEPS..=OPS_STEPS);
    let result = runner(OPS_CASES).run(&strategy, |steps| {
        w.rt.block_on(async {
            // a fresh company per case, limited to 5 active users
            let company = w
                .srv
                .create_company(
                    &w.token,
                    None,
                    json!({"Name": format!("Ops {}", rollcall_store::new_resource_id()), "NumberOfUsers": 5}),
                )
                .await;
            let model = run_steps(&w.srv, &w.token, &company, &steps)
                .await
                .map_err(|e| fail(format!("{engine:?}: {e}")))?;
            check_counts(&w.srv, &w.token, &company, &db, &model)
                .await
                .map_err(|e| fail(format!("{engine:?}: {e}")))?;
            // and the licence-exceeded filter agrees with the database
            let (s, b) = w
                .srv
                .post(
                    "/api/companies/search",
                    &w.token,
                    json!({"pageSize": 1000, "isTargetUserCountExceededLimit": true}),
                    &[],
                )
                .await;
            let listed = b["data"]["results"]
                .as_array()
                .is_some_and(|r| r.iter().any(|c| c["companyResourceId"] == company));
            let active = model.iter().filter(|u| u.active && !u.deleted).count();
            if s != StatusCode::OK || listed != (active > 5) {
                return Err(fail(format!(
                    "{engine:?}: exceeded filter lists the company: {listed}, active users {active} (limit 5)"
                )));
            }
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let _ = &w.company;
}

// ---------------------------------------------------------------------------------------------

macro_rules! per_engine {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name(super::Engine::Sqlite)
                }
                #[test]
                #[cfg_attr(
                    rollcall_no_pg,
                    ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
                )]
                fn postgres() {
                    super::$name(super::Engine::Postgres)
                }
            }
        )*
    };
}

per_engine!(
    random_filters_match_reference,
    paging_yields_every_row_once,
    write_sequences_keep_counts_exact,
);
