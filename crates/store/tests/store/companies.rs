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

engines!(
    subtree_and_inactive_chain,
    delete_refuses_parents_and_takes_the_data
);
