//! Each filter kind selects exactly the users a plain Rust predicate over the inserted fields
//! selects.

use super::fixtures::*;
use super::*;

const N: usize = 60;

/// Asserts that `cond` selects, in id order, the users `keep` accepts; and that the selection is
/// neither empty nor everyone, so the filter did some work.
async fn selects(
    s: &SqlStore,
    company: i64,
    users: &[TargetUser],
    cond: Cond,
    keep: impl Fn(&TargetUser) -> bool,
) {
    let expected = ids(users.iter().filter(|u| keep(u)));
    assert!(
        !expected.is_empty() && expected.len() < users.len(),
        "the data must make {cond:?} select some users but not all"
    );
    let got = ids(&everyone(s, company, cond.clone()).await);
    assert_eq!(got, expected, "{cond:?}");
}

async fn text_filters(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, N).await;
    // Contains compares case-insensitively, whatever the case of the value and the data.
    let cond = filter(vec![item("Email", "Contains", "GLOBEX")], None);
    selects(s, c.id, &users, cond, |u| {
        u.fields.email.to_lowercase().contains("globex")
    })
    .await;
    let cond = filter(vec![item("FirstName", "Equals", "alan")], None);
    selects(s, c.id, &users, cond, |u| {
        u.fields.first_name.eq_ignore_ascii_case("alan")
    })
    .await;
    let cond = filter(vec![item("Department", "!=", "SALES")], None);
    selects(s, c.id, &users, cond, |u| {
        !u.fields.department.eq_ignore_ascii_case("sales")
    })
    .await;
    // An exact field (time zone ids) is compared as sent.
    let cond = filter(vec![item("TimeZone", "=", "Europe/Istanbul")], None);
    selects(s, c.id, &users, cond, |u| {
        u.fields.time_zone_id == "Europe/Istanbul"
    })
    .await;
    let cond = filter(vec![item("ManagerFullName", "Contains", "grace hop")], None);
    selects(s, c.id, &users, cond, |u| {
        u.fields.manager_first_name == "Grace"
    })
    .await;
    // The free-text search looks in first name, last name, email and department.
    let cond = filter(vec![], Some("  HOPPER "));
    selects(s, c.id, &users, cond, |u| {
        let f = &u.fields;
        [&f.first_name, &f.last_name, &f.email, &f.department]
            .iter()
            .any(|v| v.to_lowercase().contains("hopper"))
    })
    .await;
}

async fn like_wildcards_are_literal(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    for email in ["a_b@x.test", "axb@x.test", "50%@x.test", "500@x.test"] {
        let fields = TargetUserFields {
            email: email.into(),
            priority: DEFAULT_PRIORITY,
            is_active: true,
            ..TargetUserFields::default()
        };
        s.insert_target_user(
            c.id,
            &fields,
            month_start(1),
            &UserLinks::default(),
            &actor(),
        )
        .await
        .expect("insert");
    }
    for (needle, only) in [("a_b", "a_b@x.test"), ("50%", "50%@x.test")] {
        let found = everyone(
            s,
            c.id,
            filter(vec![item("Email", "Contains", needle)], None),
        )
        .await;
        let emails: Vec<&str> = found.iter().map(|u| u.fields.email.as_str()).collect();
        assert_eq!(emails, [only], "'{needle}' is matched literally");
    }
}

async fn include_lists(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, N).await;
    let cond = filter(vec![item("Department", "Include", "sales, FINANCE")], None);
    selects(s, c.id, &users, cond, |u| {
        ["sales", "finance"].contains(&u.fields.department.to_lowercase().as_str())
    })
    .await;
    let cond = filter(vec![item("Priority", "Include", "VeryLow,Medium")], None);
    selects(s, c.id, &users, cond, |u| {
        [1, 3].contains(&u.fields.priority)
    })
    .await;
}

async fn status_priority_and_deleted(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, N).await;
    let cond = filter(vec![item("Status", "=", "Inactive")], None);
    selects(s, c.id, &users, cond, |u| !u.fields.is_active).await;
    let cond = filter(vec![item("Status", "=", "1")], None);
    selects(s, c.id, &users, cond, |u| u.fields.is_active).await;
    let cond = filter(vec![item("Priority", ">=", "High")], None);
    selects(s, c.id, &users, cond, |u| u.fields.priority >= 4).await;
    // Deleting some makes IsDeleted select exactly those.
    let gone: Vec<&TargetUser> = users.iter().step_by(7).collect();
    for u in &gone {
        let outcome = s
            .delete_target_user(c.id, &u.resource_id, &actor())
            .await
            .expect("delete");
        assert!(matches!(outcome, WriteOutcome::Done(_)));
    }
    let gone = ids(gone);
    let cond = filter(vec![item("IsDeleted", "=", true)], None);
    selects(s, c.id, &users, cond, |u| gone.contains(&u.resource_id)).await;
    let cond = filter(
        vec![item("IsDeleted", "=", false), item("Status", "=", "Active")],
        None,
    );
    selects(s, c.id, &users, cond, |u| {
        !gone.contains(&u.resource_id) && u.fields.is_active
    })
    .await;
}

async fn dates_and_months(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, N).await;
    let cond = filter(
        vec![
            item("CreateTime", ">=", "2026-03-01"),
            item("CreateTime", "<", "2026-05-01"),
        ],
        None,
    );
    selects(s, c.id, &users, cond, |u| {
        u.create_time >= month_start(3) && u.create_time < month_start(5)
    })
    .await;
    let cond = filter(vec![item("MonthlyActiveUser", "=", "2026-02")], None);
    selects(s, c.id, &users, cond, |u| {
        query::month_of(u.create_time) == 202602
    })
    .await;
}

async fn or_groups(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, N).await;
    let cond = filter_groups(
        "OR",
        vec![
            vec![
                item("FirstName", "=", "Ada"),
                item("Status", "=", "Inactive"),
            ],
            vec![item("Priority", "=", "VeryHigh")],
        ],
        None,
    );
    selects(s, c.id, &users, cond, |u| {
        (u.fields.first_name == "Ada" && !u.fields.is_active) || u.fields.priority == 5
    })
    .await;
}

async fn companies_do_not_see_each_other(s: &SqlStore) {
    let a = company(s, None, "A", STATUS_ACTIVE).await;
    let b = company(s, None, "B", STATUS_ACTIVE).await;
    let in_a = load(s, a.id, 10).await;
    let in_b = load(s, b.id, 4).await;
    assert!(in_a.iter().all(|u| u.company_id == a.id));
    assert!(in_b.iter().all(|u| u.company_id == b.id));
    let cond = filter(vec![item("Email", "Contains", "@")], None);
    assert_eq!(everyone(s, b.id, cond).await.len(), 4);
    // A user is looked up within its company only.
    assert!(s
        .target_user(b.id, &in_a[0].resource_id)
        .await
        .expect("lookup")
        .is_none());
}

engines!(
    text_filters,
    like_wildcards_are_literal,
    include_lists,
    status_priority_and_deleted,
    dates_and_months,
    or_groups,
    companies_do_not_see_each_other,
);
