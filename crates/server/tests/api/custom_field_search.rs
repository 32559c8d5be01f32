//! Filtering and sorting target users by custom fields (issue #14) through HTTP on both
//! engines: every operator that fits each type, `Contains` on the shown text as the UI's search
//! box sends it, users without a value, sorting with those users last, and a deactivated field
//! leaving the filters. Expected rows are computed in Rust from the values the test gave.

use crate::common::tu::{rids, scope, search_all, search_raw};
use crate::common::{Engine, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// One user: email, then the values of Office (String), Level (Number), Remote (Boolean) and
/// Hired (Date); `None` is no value.
type Person = (
    &'static str,
    Option<&'static str>,
    Option<f64>,
    Option<bool>,
    Option<&'static str>,
);

const PEOPLE: &[Person] = &[
    (
        "ada@cf.test",
        Some("Berlin"),
        Some(3.5),
        Some(true),
        Some("2024-03-01"),
    ),
    (
        "bob@cf.test",
        Some("berlin east"),
        Some(10.0),
        Some(false),
        Some("2023-11-15"),
    ),
    (
        "cem@cf.test",
        Some("Izmir"),
        Some(-2.0),
        None,
        Some("2024-03-02"),
    ),
    ("dee@cf.test", None, Some(3.5), Some(true), None),
    (
        "eve@cf.test",
        Some("Oslo"),
        None,
        Some(false),
        Some("2022-01-31"),
    ),
    ("fay@cf.test", Some("100% remote"), Some(0.25), None, None),
    ("gus@cf.test", None, None, None, None),
];

fn item(field: &str, op: &str, value: Value) -> Value {
    json!({"fieldName": field, "operator": op, "value": value})
}

fn filtered(items: Vec<Value>) -> Value {
    json!({"filter": {"condition": "AND", "filterGroups": [{"condition": "AND", "filterItems": items}]}})
}

/// The emails of the rows, sorted (for set comparisons).
fn emails(rows: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| r["email"].as_str().expect("email").to_owned())
        .collect();
    out.sort();
    out
}

fn people_where(keep: impl Fn(&Person) -> bool) -> Vec<String> {
    let mut out: Vec<String> = PEOPLE
        .iter()
        .filter(|p| keep(p))
        .map(|p| p.0.to_owned())
        .collect();
    out.sort();
    out
}

async fn define(srv: &TestServer, token: &str, company: &str, name: &str, ty: &str) -> String {
    let (s, b) = srv
        .post(
            "/api/custom-fields",
            token,
            json!({"name": name, "fieldDataType": ty}),
            &scope(company),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["data"]["resourceId"].as_str().expect("id").to_owned()
}

async fn filters_and_sorts(engine: Engine) {
    let Some(srv) = TestServer::start(engine).await else {
        return;
    };
    let root = srv.root_token().await;
    let c = srv
        .create_company(&root, None, json!({"name": "Custom Search"}))
        .await;
    let office = define(&srv, &root, &c, "Office", "String").await;
    define(&srv, &root, &c, "Level", "Number").await;
    define(&srv, &root, &c, "Remote", "Boolean").await;
    define(&srv, &root, &c, "Hired", "Date").await;
    for (email, office, level, remote, hired) in PEOPLE {
        let mut values = vec![];
        if let Some(o) = office {
            values.push(json!({"name": "Office", "value": o}));
        }
        if let Some(l) = level {
            values.push(json!({"name": "Level", "value": l.to_string()}));
        }
        if let Some(r) = remote {
            values.push(json!({"name": "Remote", "value": if *r { "True" } else { "False" }}));
        }
        if let Some(h) = hired {
            values.push(json!({"name": "Hired", "timestampValue": h}));
        }
        srv.create_user(&root, &c, json!({"email": email, "customFields": values}))
            .await;
    }

    let check = |what: &'static str, items: Vec<Value>, expected: Vec<String>| {
        let srv = &srv;
        let root = &root;
        let c = &c;
        async move {
            let rows = search_all(srv, root, c, filtered(items)).await;
            assert_eq!(emails(&rows), expected, "{what}");
        }
    };

    // Text: any case, exact or contained; `!=` keeps the users without a value.
    check(
        "Office = berlin",
        vec![item("Office", "=", json!("BERLIN"))],
        people_where(|p| p.1.is_some_and(|o| o.eq_ignore_ascii_case("berlin"))),
    )
    .await;
    check(
        "Office Contains berlin",
        vec![item("office", "Contains", json!("Berlin"))],
        people_where(|p| p.1.is_some_and(|o| o.to_lowercase().contains("berlin"))),
    )
    .await;
    check(
        "Office Contains a LIKE wildcard",
        vec![item("Office", "Contains", json!("0%"))],
        people_where(|p| p.1.is_some_and(|o| o.contains("0%"))),
    )
    .await;
    check(
        "Office != Berlin",
        vec![item("Office", "!=", json!("berlin"))],
        people_where(|p| !p.1.is_some_and(|o| o.eq_ignore_ascii_case("berlin"))),
    )
    .await;
    check(
        "Office Include",
        vec![item("Office", "Include", json!("oslo,izmir"))],
        people_where(|p| {
            p.1.is_some_and(|o| ["oslo", "izmir"].contains(&o.to_lowercase().as_str()))
        }),
    )
    .await;

    // Numbers compare as numbers, fractions included.
    let level = |keep: fn(f64) -> bool| people_where(move |p| p.2.is_some_and(keep));
    check(
        "Level = 3.5",
        vec![item("Level", "=", json!(3.5))],
        level(|l| l == 3.5),
    )
    .await;
    check(
        "Level > 3",
        vec![item("Level", ">", json!("3"))],
        level(|l| l > 3.0),
    )
    .await;
    check(
        "Level <= 0.25",
        vec![item("Level", "<=", json!(0.25))],
        level(|l| l <= 0.25),
    )
    .await;
    check(
        "Level Include",
        vec![item("Level", "Include", json!("10, -2"))],
        level(|l| l == 10.0 || l == -2.0),
    )
    .await;
    check(
        "Level != 3.5",
        vec![item("Level", "!=", json!(3.5))],
        people_where(|p| p.2 != Some(3.5)),
    )
    .await;
    check(
        "Level Contains the shown text",
        vec![item("Level", "Contains", json!(".5"))],
        people_where(|p| p.2.is_some_and(|l| l.to_string().contains(".5"))),
    )
    .await;

    // Booleans.
    check(
        "Remote = true",
        vec![item("Remote", "=", json!(true))],
        people_where(|p| p.3 == Some(true)),
    )
    .await;
    check(
        "Remote != true",
        vec![item("Remote", "!=", json!("true"))],
        people_where(|p| p.3 != Some(true)),
    )
    .await;
    check(
        "Remote Contains fal (shown as False)",
        vec![item("Remote", "Contains", json!("fal"))],
        people_where(|p| p.3 == Some(false)),
    )
    .await;

    // Dates: equality is the whole day; ranges.
    let hired = |keep: fn(&str) -> bool| people_where(move |p| p.4.is_some_and(keep));
    check(
        "Hired = 2024-03-01",
        vec![item("Hired", "=", json!("2024-03-01"))],
        hired(|h| h == "2024-03-01"),
    )
    .await;
    check(
        "Hired >= 2024-01-01",
        vec![item("Hired", ">=", json!("2024-01-01"))],
        hired(|h| h >= "2024-01-01"),
    )
    .await;
    check(
        "Hired < 2023-12-01",
        vec![item("Hired", "<", json!("2023-12-01T00:00:00Z"))],
        hired(|h| h < "2023-12-01"),
    )
    .await;
    check(
        "Hired Contains 2024-03",
        vec![item("Hired", "Contains", json!("2024-03"))],
        hired(|h| h.contains("2024-03")),
    )
    .await;

    // Two custom fields and a built-in one together.
    check(
        "Remote = true AND Level = 3.5 AND Email Contains ada",
        vec![
            item("Remote", "=", json!(true)),
            item("Level", "=", json!(3.5)),
            item("Email", "Contains", json!("ada")),
        ],
        vec!["ada@cf.test".to_owned()],
    )
    .await;

    // The UI's search box: one Contains per visible column, the custom field's name as
    // FieldName, in an OR group.
    let (s, b) = search_raw(
        &srv,
        &root,
        &c,
        json!({"filter": {"Condition": "AND", "SearchInputTextValue": "izmir", "FilterGroups": [
            {"Condition": "OR", "FilterItems": [
                {"FieldName": "Email", "Operator": "Contains", "Value": "izmir"},
                {"FieldName": "Office", "Operator": "Contains", "Value": "izmir"}]}]}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let rows = b["data"]["results"].as_array().expect("rows").clone();
    assert_eq!(emails(&rows), vec!["cem@cf.test".to_owned()]);

    // Bad values name the field and what it takes.
    for (items, needle) in [
        (
            vec![item("Level", ">", json!("ten"))],
            "'Level' expects a number",
        ),
        (
            vec![item("Hired", "=", json!("soon"))],
            "'Hired' expects a date",
        ),
        (
            vec![item("Remote", "=", json!("maybe"))],
            "'Remote' expects true or false",
        ),
    ] {
        let (s, b) = search_raw(&srv, &root, &c, filtered(items)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert!(b.to_string().contains(needle), "{needle}: {b}");
    }

    // Sorting: by the field's type, users without a value last ascending (first descending),
    // ties broken as every order is.
    let sorted = |ascending: bool, key: fn(&Person) -> Option<String>| {
        let mut with: Vec<&Person> = PEOPLE.iter().filter(|p| key(p).is_some()).collect();
        with.sort_by_key(|p| key(p));
        if !ascending {
            with.reverse();
        }
        with.iter().map(|p| p.0.to_owned()).collect::<Vec<_>>()
    };
    for (field, key) in [
        (
            "Office",
            (|p: &Person| p.1.map(str::to_lowercase)) as fn(&Person) -> Option<String>,
        ),
        // Fixed-width text that sorts as the numbers do (all are within ±1000).
        ("Level", |p: &Person| {
            p.2.map(|l| format!("{:012.4}", l + 1000.0))
        }),
        ("Hired", |p: &Person| p.4.map(str::to_owned)),
    ] {
        for ascending in [true, false] {
            let rows = search_all(
                &srv,
                &root,
                &c,
                json!({"orderBy": field, "ascending": ascending}),
            )
            .await;
            let got: Vec<String> = rows
                .iter()
                .map(|r| r["email"].as_str().expect("email").to_owned())
                .collect();
            let with = sorted(ascending, key);
            let n = with.len();
            let (head, tail) = if ascending {
                (&got[..n], &got[n..])
            } else {
                (&got[got.len() - n..], &got[..got.len() - n])
            };
            assert_eq!(
                head,
                with.as_slice(),
                "{field} ascending={ascending}: {got:?}"
            );
            assert_eq!(tail.len(), PEOPLE.len() - n, "{field}: {got:?}");
        }
    }
    // Sorting by a boolean: false before true.
    let rows = search_all(
        &srv,
        &root,
        &c,
        json!({"orderBy": "Remote", "ascending": true}),
    )
    .await;
    let remote: Vec<Option<bool>> = rids(&rows)
        .iter()
        .map(|rid| {
            let row = rows.iter().find(|r| r["resourceId"] == *rid).expect("row");
            let email = row["email"].as_str().expect("email");
            PEOPLE.iter().find(|p| p.0 == email).expect("person").3
        })
        .collect();
    assert_eq!(
        remote,
        [
            Some(false),
            Some(false),
            Some(true),
            Some(true),
            None,
            None,
            None
        ]
    );

    // A deactivated field leaves the filters and sorts (its values stay stored); reactivated,
    // it is back.
    let (s, b) = srv
        .put(
            &format!("/api/custom-fields/{office}"),
            &root,
            json!({"name": "Office", "fieldDataType": "String", "isActive": false}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = search_raw(
        &srv,
        &root,
        &c,
        filtered(vec![item("Office", "=", json!("Oslo"))]),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(
        b.to_string().contains("unknown filter field 'Office'"),
        "{b}"
    );
    let (s, b) = search_raw(&srv, &root, &c, json!({"orderBy": "Office"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let (s, b) = srv
        .put(
            &format!("/api/custom-fields/{office}"),
            &root,
            json!({"name": "Office", "fieldDataType": "String", "isActive": true}),
            &scope(&c),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    check(
        "Office = Oslo after reactivation",
        vec![item("Office", "=", json!("Oslo"))],
        vec!["eve@cf.test".to_owned()],
    )
    .await;

    // Another company's field of the same name is not this company's.
    let other = srv
        .create_company(&root, None, json!({"name": "Custom Search Other"}))
        .await;
    let (s, b) = search_raw(
        &srv,
        &root,
        &other,
        filtered(vec![item("Office", "=", json!("Oslo"))]),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
}

both_engines!(filters_and_sorts);
