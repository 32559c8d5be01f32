//! Single-user look-ups and bulk delete.

use super::fixtures::*;
use super::*;

async fn lookups_by_resource_id(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, 6).await;
    s.delete_target_user(c.id, &users[2].resource_id, &actor())
        .await
        .expect("delete");
    // In the order asked, unknown ids skipped, deleted ones only when asked for.
    let asked = vec![
        users[4].resource_id.clone(),
        "nosuchuser00".to_owned(),
        users[2].resource_id.clone(),
        users[0].resource_id.clone(),
    ];
    let live = s
        .target_users_by_resource_ids(c.id, &asked, false)
        .await
        .expect("lookup");
    assert_eq!(ids(&live), [asked[0].clone(), asked[3].clone()]);
    let with_deleted = s
        .target_users_by_resource_ids(c.id, &asked, true)
        .await
        .expect("lookup");
    assert_eq!(
        ids(&with_deleted),
        [asked[0].clone(), asked[2].clone(), asked[3].clone()]
    );
    assert!(with_deleted[1].is_deleted);
    let one = s
        .target_user(c.id, &users[2].resource_id)
        .await
        .expect("lookup")
        .expect("a deleted user is still found");
    assert!(one.is_deleted);
    assert_eq!(one.fields, users[2].fields);
    assert_eq!(
        s.update_target_user(
            c.id,
            "nosuchuser00",
            &users[0].fields,
            &UserLinks::default(),
            &actor()
        )
        .await
        .expect("update"),
        WriteOutcome::NotFound
    );
}

async fn bulk_delete_items(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, 20).await;
    s.delete_target_user(c.id, &users[3].resource_id, &actor())
        .await
        .expect("delete");
    // An already deleted user and an unknown id are not counted.
    let chosen: Vec<String> = [1, 3, 5, 8]
        .iter()
        .map(|i| users[*i].resource_id.clone())
        .chain(["nosuchuser00".to_owned()])
        .collect();
    let n = s
        .bulk_delete_target_users(c.id, &BulkSelection::Items(chosen), &actor())
        .await
        .expect("bulk delete");
    assert_eq!(n, 3);
    let deleted = everyone(s, c.id, filter(vec![item("IsDeleted", "=", true)], None)).await;
    assert_eq!(ids(&deleted), ids([1, 3, 5, 8].iter().map(|i| &users[*i])));
    let counts = s.user_counts(c.id, 0).await.expect("counts");
    assert_eq!(counts.deleted, 4);
    assert_eq!(counts.active + counts.inactive, 16);
}

async fn bulk_delete_all_except(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let other = company(s, None, "Other", STATUS_ACTIVE).await;
    let users = load(s, c.id, 30).await;
    let theirs = load(s, other.id, 30).await;
    let cond = filter(vec![item("Department", "=", "Sales")], None);
    let sales: Vec<&TargetUser> = users
        .iter()
        .filter(|u| u.fields.department == "Sales")
        .collect();
    let kept = sales[0].resource_id.clone();
    let n = s
        .bulk_delete_target_users(
            c.id,
            &BulkSelection::AllExcept {
                cond,
                excluded: vec![kept.clone()],
            },
            &actor(),
        )
        .await
        .expect("bulk delete");
    assert_eq!(n as usize, sales.len() - 1);
    let deleted = everyone(s, c.id, filter(vec![item("IsDeleted", "=", true)], None)).await;
    let want: Vec<String> = ids(sales.iter().copied())
        .into_iter()
        .filter(|id| *id != kept)
        .collect();
    assert_eq!(ids(&deleted), want);
    // The other company's users are untouched.
    let live = everyone(
        s,
        other.id,
        filter(vec![item("IsDeleted", "=", false)], None),
    )
    .await;
    assert_eq!(ids(&live), ids(&theirs));
}

engines!(
    lookups_by_resource_id,
    bulk_delete_items,
    bulk_delete_all_except
);
