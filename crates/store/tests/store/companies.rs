//! The company tree: subtrees, the inactive chain, look-ups and deletes.

use super::fixtures::*;
use super::*;

async fn subtree_and_inactive_chain(s: &SqlStore) {
    let root = company(s, None, "Root", STATUS_ACTIVE).await;
    let a = company(s, Some(&root), "A", STATUS_ACTIVE).await;
    let a1 = company(s, Some(&a), "A1", STATUS_INACTIVE).await;
    let a1x = company(s, Some(&a1), "A1x", STATUS_INACTIVE).await;
    let a2 = company(s, Some(&a), "A2", STATUS_ACTIVE).await;
    let b = company(s, Some(&root), "B", STATUS_ACTIVE).await;
    let elsewhere = company(s, None, "Elsewhere", STATUS_INACTIVE).await;
    assert_eq!(s.company_count().await.expect("count"), 7);
    assert_eq!(a1x.parent_id, Some(a1.id));
    assert!(a.reaches(&a1x) && !a.reaches(&b) && !a1.reaches(&a));

    let tree = s.company_subtree(&a).await.expect("subtree");
    let mut names: Vec<&str> = tree.iter().map(|c| c.fields.name.as_str()).collect();
    assert_eq!(names[0], "A", "the company itself comes first");
    // Ordered by path: every company after the companies above it.
    for (i, c) in tree.iter().enumerate() {
        assert!(tree[..i]
            .iter()
            .all(|before| !c.reaches(before) || before.id == c.id));
    }
    names.sort_unstable();
    assert_eq!(names, ["A", "A1", "A1x", "A2"]);

    // The highest inactive company at or above one switches it off.
    let chain =
        |c: Company| async move { s.inactive_in_chain(&c).await.expect("chain").map(|c| c.id) };
    assert_eq!(chain(a1x.clone()).await, Some(a1.id));
    assert_eq!(chain(a1.clone()).await, Some(a1.id));
    assert_eq!(chain(a2.clone()).await, None);
    assert_eq!(chain(root.clone()).await, None);
    assert_eq!(chain(elsewhere.clone()).await, Some(elsewhere.id));
    // Switching the parent off makes it the highest in the chain.
    let mut off = a.fields.clone();
    off.status_id = STATUS_INACTIVE;
    s.update_company(a.id, &a.fields, &off, &actor())
        .await
        .expect("update");
    assert_eq!(chain(a1x).await, Some(a.id));
    assert_eq!(chain(a2).await, Some(a.id));

    let found = s
        .company_by_resource_id(&b.resource_id)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(found, b);
    assert_eq!(s.company_by_id(b.id).await.expect("lookup"), Some(b));
    assert_eq!(
        s.company_by_resource_id("nosuchcompny")
            .await
            .expect("lookup"),
        None
    );
}

async fn delete_refuses_parents_and_takes_the_data(s: &SqlStore) {
    let root = company(s, None, "Root", STATUS_ACTIVE).await;
    let a = company(s, Some(&root), "A", STATUS_ACTIVE).await;
    company(s, Some(&root), "B", STATUS_ACTIVE).await;
    let users = load(s, a.id, 12).await;
    assert_eq!(
        s.delete_company(root.id, &actor()).await.expect("delete"),
        DeleteOutcome::HasChildren(2)
    );
    assert_eq!(
        s.delete_company(a.id, &actor()).await.expect("delete"),
        DeleteOutcome::Deleted
    );
    assert_eq!(s.company_by_id(a.id).await.expect("lookup"), None);
    assert_eq!(
        s.target_user(a.id, &users[0].resource_id)
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(
        s.user_counts(a.id, 0).await.expect("counts"),
        UserCounts::default()
    );
    assert_eq!(
        s.delete_company(a.id, &actor()).await.expect("delete"),
        DeleteOutcome::NotFound
    );
    assert_eq!(s.company_count().await.expect("count"), 2);
}

/// The company search reports each company's counters: active, inactive and deleted users,
/// the users added in the chosen month, and which limited licences are exceeded.
async fn company_search_reports_the_counters(s: &SqlStore) {
    let root = company(s, None, "Root", STATUS_ACTIVE).await;
    let limited = CompanyFields {
        name: "Limited".into(),
        status_id: STATUS_ACTIVE,
        is_number_of_users_limited: true,
        number_of_users: Some(5),
        ..CompanyFields::default()
    };
    let a = s
        .insert_company(Some(&root), &limited, &actor())
        .await
        .expect("insert");
    let b = company(s, Some(&root), "Unlimited", STATUS_ACTIVE).await;
    let in_a = load(s, a.id, 14).await;
    let in_b = load(s, b.id, 3).await;
    for u in &in_a[..3] {
        s.delete_target_user(a.id, &u.resource_id, &actor())
            .await
            .expect("delete");
    }
    // (active, inactive, deleted, added in February) when the first `deleted` users are gone.
    let count = |users: &[TargetUser], deleted: usize| {
        let live = &users[deleted..];
        (
            live.iter().filter(|u| u.fields.is_active).count() as i64,
            live.iter().filter(|u| !u.fields.is_active).count() as i64,
            deleted as i64,
            users
                .iter()
                .filter(|u| query::month_of(u.create_time) == 202602)
                .count() as i64,
        )
    };
    let search = |only_limit_exceeded| CompanySearch {
        spec: spec(
            Cond::All(vec![]),
            vec![order("name_lower", true), order("id", true)],
            0,
            10,
        ),
        month: 202602,
        only_limit_exceeded,
        now: month_start(6),
    };
    let page = s
        .search_companies(&root, &search(false))
        .await
        .expect("search");
    let rows: Vec<_> = page
        .rows
        .iter()
        .map(|r| {
            let counts = (
                r.target_user_count,
                r.inactive_target_user_count,
                r.deleted_target_user_count,
                r.monthly_active_user_count,
            );
            (r.name.as_str(), counts)
        })
        .collect();
    assert_eq!(
        rows,
        [("Limited", count(&in_a, 3)), ("Unlimited", count(&in_b, 0))],
        "the companies below the root, not the root itself"
    );
    assert_eq!(page.total, 2);
    // Limited has more active users than its licence allows; Unlimited has no limit.
    assert!(count(&in_a, 3).0 > 5);
    assert_eq!(page.limit_exceeded, 1);
    let exceeded = s
        .search_companies(&root, &search(true))
        .await
        .expect("search");
    let names: Vec<&str> = exceeded.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Limited"]);
}

/// Account privacy: new companies grant access; a setting reads back from every reader of a
/// company (look-ups, subtree, client join, search rows) and is audited.
async fn privacy_round_trip(s: &SqlStore) {
    let root = company(s, None, "Root", STATUS_ACTIVE).await;
    let a = company(s, Some(&root), "A", STATUS_ACTIVE).await;
    assert_eq!(a.privacy, Privacy::default());
    assert_eq!(a.privacy.duration_id, PRIVACY_ALWAYS);
    let window = Privacy::chosen(3, 1_000).expect("eight hours");
    assert_eq!(window.end_time, Some(1_000 + 8 * 3_600_000));
    s.set_company_privacy(a.id, &window, &actor())
        .await
        .expect("set");
    let stored = s.company_by_id(a.id).await.expect("read").expect("a");
    assert_eq!(stored.privacy, window);
    let tree = s.company_subtree(&root).await.expect("subtree");
    assert_eq!(
        tree.iter().find(|c| c.id == a.id).map(|c| c.privacy),
        Some(window)
    );
    let page = s
        .search_companies(
            &root,
            &CompanySearch {
                spec: spec(Cond::All(vec![]), vec![order("id", true)], 0, 10),
                month: 202602,
                only_limit_exceeded: false,
                now: 0,
            },
        )
        .await
        .expect("search");
    assert_eq!(page.rows[0].privacy, window);
    assert_eq!(
        (page.rows[0].id, page.rows[0].parent_id),
        (a.id, Some(root.id))
    );
    let deny = Privacy::chosen(PRIVACY_DENY, 5).expect("deny");
    s.set_company_privacy(a.id, &deny, &actor())
        .await
        .expect("set");
    let stored = s.company_by_id(a.id).await.expect("read").expect("a");
    assert_eq!(
        (stored.privacy.duration_id, stored.privacy.end_time),
        (0, None)
    );
    assert!(matches!(
        s.set_company_privacy(987_654, &deny, &actor()).await,
        Err(StoreError::NotFound)
    ));
}

/// A bulk delete takes parents with their children in one go, and rolls back on a refusal.
async fn bulk_delete_is_one_transaction(s: &SqlStore) {
    let root = company(s, None, "Root", STATUS_ACTIVE).await;
    let a = company(s, Some(&root), "A", STATUS_ACTIVE).await;
    let a1 = company(s, Some(&a), "A1", STATUS_ACTIVE).await;
    let b = company(s, Some(&root), "B", STATUS_ACTIVE).await;
    let b1 = company(s, Some(&b), "B1", STATUS_ACTIVE).await;
    load(s, a1.id, 3).await;
    // B still has B1: nothing is deleted, A1 included.
    assert_eq!(
        s.delete_companies(&[a1.id, b.id], &actor())
            .await
            .expect("bulk"),
        BulkCompanyDelete::Refused {
            company: b.resource_id.clone(),
            outcome: DeleteOutcome::HasChildren(1)
        }
    );
    assert!(s.company_by_id(a1.id).await.expect("read").is_some());
    // Parent first in the list, a duplicate and an unknown id: deepest first, each once.
    assert_eq!(
        s.delete_companies(&[a.id, a1.id, a1.id, 987_654, b1.id], &actor())
            .await
            .expect("bulk"),
        BulkCompanyDelete::Deleted(3)
    );
    assert_eq!(s.company_count().await.expect("count"), 2);
}

engines!(
    privacy_round_trip,
    bulk_delete_is_one_transaction,
    subtree_and_inactive_chain,
    delete_refuses_parents_and_takes_the_data,
    company_search_reports_the_counters,
);
