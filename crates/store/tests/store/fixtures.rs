//! Test data made from a row number, so each test can compute what the store should return.

use chrono::{TimeZone, Utc};
use rollcall_types::{Filter, FilterGroup, FilterItem};

use super::*;

const FIRST: [&str; 7] = [
    "Ada", "ALAN", "grace", "Edsger", "Barbara", "Ken", "Margaret",
];
const LAST: [&str; 6] = [
    "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Thompson",
];
const DEPARTMENTS: [&str; 5] = ["Sales", "R&D", "sales ops", "Finance", ""];
const DOMAINS: [&str; 3] = ["acme.test", "Globex.TEST", "initech.test"];

/// Midnight UTC on the first of `month` 2026.
pub fn month_start(month: u32) -> Millis {
    Utc.with_ymd_and_hms(2026, month, 1, 0, 0, 0)
        .single()
        .expect("a valid date")
        .timestamp_millis()
}

/// The `i`th user: names and departments repeat (so sorts need the id tie-break), priorities
/// cycle through 1..=5, every fourth is inactive, creation spreads over January to June 2026.
pub fn person(i: usize) -> (TargetUserFields, Millis) {
    let first = FIRST[i % FIRST.len()];
    let managed = i.is_multiple_of(5);
    let fields = TargetUserFields {
        email: format!("{first}.{i:04}@{}", DOMAINS[i % DOMAINS.len()]),
        first_name: first.to_owned(),
        last_name: LAST[i % LAST.len()].to_owned(),
        department: DEPARTMENTS[i % DEPARTMENTS.len()].to_owned(),
        phone_number: format!("+90 555 {i:04}"),
        priority: (i as i64 * 3) % 5 + 1,
        is_active: !i.is_multiple_of(4),
        time_zone_id: ["UTC", "Europe/Istanbul"][i % 2].to_owned(),
        preferred_language_id: ["en", "tr"][i % 2].to_owned(),
        manager_first_name: if managed {
            "Grace".into()
        } else {
            String::new()
        },
        manager_last_name: if managed {
            "Hopper".into()
        } else {
            String::new()
        },
        manager_email: if managed {
            "grace@acme.test".into()
        } else {
            String::new()
        },
    };
    // Minutes apart, so creation times are distinct and sorting on them is total.
    let created = month_start(1 + (i % 6) as u32) + i as i64 * 60_000;
    (fields, created)
}

pub fn actor() -> Actor {
    Actor::system()
}

/// A company below `parent` (a root when `None`), active unless `status_id` says otherwise.
pub async fn company(
    s: &SqlStore,
    parent: Option<&Company>,
    name: &str,
    status_id: i64,
) -> Company {
    let fields = CompanyFields {
        name: name.to_owned(),
        status_id,
        ..CompanyFields::default()
    };
    s.insert_company(parent, &fields, &actor())
        .await
        .expect("insert a company")
}

/// Inserts users `0..n` in one batch; returns them as stored, in insertion order.
pub async fn load(s: &SqlStore, company_id: i64, n: usize) -> Vec<TargetUser> {
    let rows: Vec<_> = (0..n).map(person).collect();
    let inserted = s
        .insert_target_users(company_id, &rows, &actor())
        .await
        .expect("insert users");
    assert_eq!(inserted, n as u64);
    let stored = everyone(s, company_id, Cond::All(vec![])).await;
    let emails: Vec<&str> = stored.iter().map(|u| u.fields.email.as_str()).collect();
    let expected: Vec<&str> = rows.iter().map(|(f, _)| f.email.as_str()).collect();
    assert_eq!(emails, expected, "the batch is stored whole, in order");
    stored
}

/// A new active, optional custom field of a company.
pub async fn custom_field(
    s: &SqlStore,
    company_id: i64,
    name: &str,
    data_type: CustomFieldType,
) -> CustomField {
    s.insert_custom_field(
        company_id,
        &CustomFieldFields::new(name, data_type),
        &actor(),
    )
    .await
    .expect("custom field")
}

/// Ascending by internal id: the insertion order.
pub fn by_id() -> Vec<Order> {
    vec![order("id", true)]
}

pub fn order(column: &'static str, ascending: bool) -> Order {
    Order {
        column,
        ascending,
        nullable: false,
        custom: None,
    }
}

pub fn spec(cond: Cond, order: Vec<Order>, offset: i64, limit: i64) -> SearchSpec {
    SearchSpec {
        cond,
        order,
        offset,
        limit,
    }
}

/// Every user of a company that `cond` selects, by id.
pub async fn everyone(s: &SqlStore, company_id: i64, cond: Cond) -> Vec<TargetUser> {
    let (total, rows) = s
        .search_target_users(company_id, &spec(cond, by_id(), 0, i64::from(u32::MAX)))
        .await
        .expect("search");
    assert_eq!(
        total,
        rows.len() as i64,
        "the total counts what one page returns"
    );
    rows
}

/// Parses filter items (ANDed) and, when given, a free-text search.
pub fn filter(items: Vec<FilterItem>, text: Option<&str>) -> Cond {
    filter_groups("AND", vec![items], text)
}

/// Parses groups of ANDed items combined with `condition`.
pub fn filter_groups(condition: &str, groups: Vec<Vec<FilterItem>>, text: Option<&str>) -> Cond {
    let wire = Filter {
        search_input_text_value: text.map(str::to_owned),
        condition: Some(condition.to_owned()),
        filter_groups: Some(
            groups
                .into_iter()
                .map(|items| FilterGroup {
                    condition: Some("AND".into()),
                    filter_items: Some(items),
                    filter_groups: None,
                })
                .collect(),
        ),
    };
    query::parse_filter(
        Some(&wire),
        &rollcall_store::fields::TARGET_USERS,
        Utc::now().timestamp_millis(),
    )
    .expect("a valid filter")
    .cond
}

pub fn item(field: &str, op: &str, value: impl Into<serde_json::Value>) -> FilterItem {
    FilterItem::new(field, op, value)
}

/// Resource ids of `users`, for comparing selections.
pub fn ids<'a>(users: impl IntoIterator<Item = &'a TargetUser>) -> Vec<String> {
    users.into_iter().map(|u| u.resource_id.clone()).collect()
}
