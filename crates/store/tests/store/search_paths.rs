//! `Contains` searches answered through each of the store's paths (issue #17): a column's few
//! matching values, SQLite's trigram index giving the few matching ids (other companies' too,
//! which must not leak in), PostgreSQL's probe that takes an `or`'s empty branches out, and the
//! plain scan it falls back to when matches are many or the needle too short; alone, inside an
//! `or`, and beside another filter. Every page and total is
//! compared with a Rust predicate over the inserted users, in several orders and offsets.

use super::fixtures::*;
use super::*;

/// Users in the searched company: more than 2,000 match `example` (past the trigram index's
/// id list) and first names have 300 distinct values (past the few-values walk).
const N: usize = 2_600;

fn user(i: usize, company: &str) -> (TargetUserFields, Millis) {
    let fields = TargetUserFields {
        email: format!(
            "p{i:05}@{}.{company}.example",
            ["acme", "globex", "initech"][i % 3]
        ),
        first_name: format!("Given{:03}", i % 300),
        last_name: ["Okafor", "Yılmaz", "Smith", "Nakamura"][i % 4].to_owned(),
        department: [
            "Sales",
            "Pre-Sales",
            "Engineering",
            "R&D [lab]",
            "Okafor Ops",
        ][i % 5]
            .to_owned(),
        phone_number: String::new(),
        priority: 3,
        is_active: !i.is_multiple_of(3),
        time_zone_id: "UTC".into(),
        preferred_language_id: String::new(),
        manager_first_name: String::new(),
        manager_last_name: String::new(),
        manager_email: String::new(),
    };
    (fields, month_start(1) + i as i64 * 60_000)
}

/// Sorts `users` as the store orders by `key` and then id.
fn sorted(
    mut users: Vec<&TargetUser>,
    key: impl Fn(&TargetUser) -> String,
    ascending: bool,
) -> Vec<&TargetUser> {
    users.sort_by(|a, b| {
        let o = key(a).cmp(&key(b)).then(a.create_time.cmp(&b.create_time));
        if ascending {
            o
        } else {
            o.reverse()
        }
    });
    users
}

async fn check(
    s: &SqlStore,
    company_id: i64,
    users: &[TargetUser],
    what: &str,
    cond: Cond,
    keep: impl Fn(&TargetUser) -> bool,
) {
    let matching: Vec<&TargetUser> = users.iter().filter(|u| keep(u)).collect();
    let got = everyone(s, company_id, cond.clone()).await;
    assert_eq!(
        ids(&got),
        ids(matching.iter().copied()),
        "{what}: every match"
    );
    // Pages in two orders: the sort's index walked, or the matches gathered and sorted.
    let cases: [(&'static str, bool, i64, i64); 3] = [
        ("last_name_lower", true, 10, 20),
        ("create_time", false, 0, 5),
        ("email_lower", true, 1_010, 30),
    ];
    for (column, ascending, offset, limit) in cases {
        let order = if column == "create_time" {
            vec![order("create_time", ascending), order("id", ascending)]
        } else {
            vec![order(column, ascending), order("id", ascending)]
        };
        let (total, page) = s
            .search_target_users(company_id, &spec(cond.clone(), order, offset, limit))
            .await
            .expect("search");
        assert_eq!(total, matching.len() as i64, "{what}: total");
        let key = |u: &TargetUser| match column {
            "last_name_lower" => u.fields.last_name.to_lowercase(),
            "email_lower" => u.fields.email.to_lowercase(),
            _ => format!("{:020}", u.create_time),
        };
        let expected: Vec<&TargetUser> = sorted(matching.clone(), key, ascending)
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        assert_eq!(
            ids(&page),
            ids(expected),
            "{what}: page by {column} from {offset}"
        );
    }
}

async fn contains_paths(s: &SqlStore) {
    let a = company(s, None, "Searched", STATUS_ACTIVE).await;
    let b = company(s, None, "Other", STATUS_ACTIVE).await;
    let rows: Vec<_> = (0..N).map(|i| user(i, "a")).collect();
    s.insert_target_users(a.id, &rows, &actor())
        .await
        .expect("insert");
    // The other company's users match the same texts: the trigram index finds them too.
    let rows: Vec<_> = (0..300).map(|i| user(i, "b")).collect();
    s.insert_target_users(b.id, &rows, &actor())
        .await
        .expect("insert");
    let users = everyone(s, a.id, Cond::All(vec![])).await;
    assert_eq!(users.len(), N);
    let email = |u: &TargetUser| u.fields.email.to_lowercase();
    let first = |u: &TargetUser| u.fields.first_name.to_lowercase();
    let last = |u: &TargetUser| u.fields.last_name.to_lowercase();
    let dept = |u: &TargetUser| u.fields.department.to_lowercase();
    let text = |u: &TargetUser, t: &str| {
        [email(u), first(u), last(u), dept(u)]
            .iter()
            .any(|v| v.contains(t))
    };

    let one = |field: &str, value: &str| filter(vec![item(field, "Contains", value)], None);
    check(
        s,
        a.id,
        &users,
        "one email, by id",
        one("Email", "P01234@"),
        |u| email(u).contains("p01234@"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "a third of the emails",
        one("Email", "globex"),
        |u| email(u).contains("globex"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "every email, scanned",
        one("Email", "example"),
        |u| email(u).contains("example"),
    )
    .await;
    check(s, a.id, &users, "a short needle", one("Email", "1@"), |u| {
        email(u).contains("1@")
    })
    .await;
    check(
        s,
        a.id,
        &users,
        "many first names, by id",
        one("FirstName", "GIVEN12"),
        |u| first(u).contains("given12"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "many first names, scanned",
        one("FirstName", "ven1"),
        |u| first(u).contains("ven1"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "few last names",
        one("LastName", "ılma"),
        |u| last(u).contains("ılma"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "two departments",
        one("Department", "sales"),
        |u| dept(u).contains("sales"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "GLOB's wildcards",
        one("Department", "[lab]"),
        |u| dept(u).contains("[lab]"),
    )
    .await;
    // LIKE's wildcards are literal on every path: unescaped, `p0_12` would find `p0012...`.
    check(
        s,
        a.id,
        &users,
        "LIKE's wildcards",
        one("Email", "p0_12"),
        |u| email(u).contains("p0_12"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "LIKE's percent",
        one("FirstName", "en%12"),
        |u| first(u).contains("en%12"),
    )
    .await;
    let none = everyone(s, a.id, one("Department", "nowhere")).await;
    assert!(none.is_empty(), "a department no user has");
    check(
        s,
        a.id,
        &users,
        "search text",
        filter(vec![], Some("OKAFOR")),
        |u| text(u, "okafor"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "search text and a status",
        filter(vec![item("Status", "Include", "1")], Some("okafor")),
        |u| text(u, "okafor") && u.fields.is_active,
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "search text matching ids in one column",
        filter(vec![], Some("p0002")),
        |u| text(u, "p0002"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "either of two id lists",
        filter_groups(
            "OR",
            vec![
                vec![item("FirstName", "Contains", "given12")],
                vec![item("Email", "Contains", "p00007@")],
            ],
            None,
        ),
        |u| first(u).contains("given12") || email(u).contains("p00007@"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "a value list and a scan",
        filter_groups(
            "OR",
            vec![
                vec![item("Department", "Contains", "engin")],
                vec![item("Email", "Contains", "1@")],
            ],
            None,
        ),
        |u| dept(u).contains("engin") || email(u).contains("1@"),
    )
    .await;
    check(
        s,
        a.id,
        &users,
        "an id list and a department",
        filter(
            vec![
                item("Email", "Contains", "globex"),
                item("Department", "Contains", "sales"),
            ],
            None,
        ),
        |u| email(u).contains("globex") && dept(u).contains("sales"),
    )
    .await;
}

engines!(file: contains_paths);
