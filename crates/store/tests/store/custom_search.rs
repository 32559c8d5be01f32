//! Custom-field filters on a company large enough for both of their plans: below
//! `PROBE_CUSTOM_FROM` matches a page gathers the field's matching values, above it probes each
//! user's value along the sort order, and a lone positive leaf counts the field's values alone.
//! Every page and total is checked against the values the test wrote.

use std::collections::HashMap;

use chrono::Utc;
use rollcall_types::{Filter, FilterGroup, FilterItem};

use super::fixtures::*;
use super::*;

/// Users, and the values of an `Office` String field and a `Level` Number field some of them
/// have.
const USERS: usize = 1300;

fn office(i: usize) -> Option<String> {
    (!i.is_multiple_of(13)).then(|| ["Berlin", "Oslo", "Izmir"][i % 3].to_owned())
}

fn level(i: usize) -> Option<f64> {
    (!i.is_multiple_of(20)).then_some((i % 10) as f64 + 0.5)
}

async fn custom_filters_at_both_plans(s: &SqlStore) {
    let c = company(s, None, "Big", STATUS_ACTIVE).await;
    let users = load(s, c.id, USERS).await;
    let office_field = custom_field(s, c.id, "Office", CustomFieldType::String).await;
    let level_field = custom_field(s, c.id, "Level", CustomFieldType::Number).await;
    let mut values: HashMap<i64, (Option<String>, Option<f64>)> = HashMap::new();
    for (i, u) in users.iter().enumerate() {
        let mut set = vec![];
        if let Some(o) = office(i) {
            set.push(CustomValue {
                field_id: office_field.id,
                text: o,
                number: None,
                time: None,
            });
        }
        if let Some(l) = level(i) {
            set.push(CustomValue {
                field_id: level_field.id,
                text: l.to_string(),
                number: Some(l),
                time: None,
            });
        }
        s.update_target_user(
            c.id,
            &u.resource_id,
            &u.fields,
            &UserLinks {
                groups: None,
                custom_values: &set,
                ..UserLinks::default()
            },
            &actor(),
        )
        .await
        .expect("values");
        values.insert(u.id, (office(i), level(i)));
    }
    let fields = rollcall_store::fields::TARGET_USERS.with_extra(vec![
        FieldSpec::custom("Office", office_field.id, CustomFieldType::String),
        FieldSpec::custom("Level", level_field.id, CustomFieldType::Number),
    ]);
    let parse = |items: Vec<FilterItem>| {
        let wire = Filter {
            filter_groups: Some(vec![FilterGroup {
                condition: Some("AND".into()),
                filter_items: Some(items),
                filter_groups: None,
            }]),
            ..Default::default()
        };
        query::parse_filter(Some(&wire), &fields, Utc::now().timestamp_millis())
            .expect("filter")
            .cond
    };
    type Keep = Box<dyn Fn(&(Option<String>, Option<f64>)) -> bool>;
    let cases: Vec<(&str, Vec<FilterItem>, Keep)> = vec![
        (
            "Office = berlin (about 400 matches)",
            vec![item("Office", "=", "berlin")],
            Box::new(|v| v.0.as_deref() == Some("Berlin")),
        ),
        (
            "Office != Berlin (about 900, with the users without a value)",
            vec![item("Office", "!=", "Berlin")],
            Box::new(|v| v.0.as_deref() != Some("Berlin")),
        ),
        (
            "Level > 1 (about 1,100: a lone leaf counted from the values, its page probed)",
            vec![item("Level", ">", 1)],
            Box::new(|v| v.1.is_some_and(|l| l > 1.0)),
        ),
        (
            "Office Contains i (about 800)",
            vec![item("Office", "Contains", "i")],
            Box::new(|v| {
                v.0.as_deref()
                    .is_some_and(|o| o.to_lowercase().contains('i'))
            }),
        ),
        (
            "Level != 3.5 (about 1,170 with the users without a value: NOT EXISTS probes)",
            vec![item("Level", "!=", 3.5)],
            Box::new(|v| v.1 != Some(3.5)),
        ),
        (
            "Office Include oslo,izmir AND Level >= 0 (two leaves)",
            vec![
                item("Office", "Include", "oslo,izmir"),
                item("Level", ">=", 0),
            ],
            Box::new(|v| {
                v.0.as_deref().is_some_and(|o| o == "Oslo" || o == "Izmir") && v.1.is_some()
            }),
        ),
    ];
    for (what, items, keep) in cases {
        let cond = parse(items);
        let mut expected: Vec<&TargetUser> =
            users.iter().filter(|u| keep(&values[&u.id])).collect();
        expected.sort_by_key(|u| std::cmp::Reverse(u.id));
        // The first page, newest first, and its total.
        let (total, page) = s
            .search_target_users(c.id, &spec(cond.clone(), vec![order("id", false)], 0, 20))
            .await
            .expect("search");
        assert_eq!(total, expected.len() as i64, "{what}: total");
        assert_eq!(
            ids(page.iter()),
            ids(expected.iter().take(20).copied()),
            "{what}: first page"
        );
        // A page in the middle.
        let (_, middle) = s
            .search_target_users(c.id, &spec(cond.clone(), vec![order("id", false)], 300, 50))
            .await
            .expect("search");
        assert_eq!(
            ids(middle.iter()),
            ids(expected.iter().skip(300).take(50).copied()),
            "{what}: page at 300"
        );
    }
}

engines!(file: custom_filters_at_both_plans);
