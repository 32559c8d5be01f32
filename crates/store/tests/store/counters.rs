//! The per-company counters behind totals and the count summary follow every insert, update
//! and delete; they are checked against counts made in Rust from what each step did.

use std::collections::BTreeMap;

use super::fixtures::*;
use super::*;

/// What the counters should say, from the users as the test knows them.
fn expected(users: &[(bool, bool, Millis)], months: &[i64]) -> CountSummary {
    let live = |active: bool| users.iter().filter(|(a, d, _)| !d && *a == active).count() as i64;
    let mut by_month: BTreeMap<i64, i64> = BTreeMap::new();
    for (_, _, created) in users {
        *by_month.entry(query::month_of(*created)).or_default() += 1;
    }
    CountSummary {
        totals: UserCounts {
            active: live(true),
            inactive: live(false),
            deleted: users.iter().filter(|(_, d, _)| *d).count() as i64,
            added_in_month: 0,
        },
        months: months
            .iter()
            .map(|m| (*m, by_month.get(m).copied().unwrap_or(0)))
            .collect(),
    }
}

async fn check(s: &SqlStore, company: i64, model: &[(bool, bool, Millis)], step: &str) {
    let months = [202512, 202601, 202603, 202606, 202607];
    let want = expected(model, &months);
    let got = s.count_summary(company, &months).await.expect("summary");
    assert_eq!(got, want, "count summary after {step}");
    let march = s.user_counts(company, 202603).await.expect("counts");
    assert_eq!(
        (march.active, march.inactive, march.deleted),
        (
            want.totals.active,
            want.totals.inactive,
            want.totals.deleted
        ),
        "user counts after {step}"
    );
    assert_eq!(
        march.added_in_month, want.months[2].1,
        "added in March after {step}"
    );
    // The unfiltered search total comes from the counters; a filtered one counts rows.
    let (total, _) = s
        .search_target_users(company, &spec(Cond::All(vec![]), by_id(), 0, 1))
        .await
        .expect("search");
    assert_eq!(total, model.len() as i64, "unfiltered total after {step}");
    let (live, _) = s
        .search_target_users(
            company,
            &spec(
                filter(vec![item("IsDeleted", "=", false)], None),
                by_id(),
                0,
                1,
            ),
        )
        .await
        .expect("search");
    assert_eq!(
        live,
        want.totals.active + want.totals.inactive,
        "live total after {step}"
    );
    // Totals filtered on Status and IsDeleted alone come from the counters too (issue #17):
    // each must equal the users the model says match.
    let count = |active: Option<bool>, deleted: Option<bool>| {
        model
            .iter()
            .filter(|(a, d, _)| active.is_none_or(|x| x == *a) && deleted.is_none_or(|x| x == *d))
            .count() as i64
    };
    let cases = [
        (
            vec![item("Status", "Include", "1")],
            count(Some(true), None),
        ),
        (vec![item("Status", "=", "0")], count(Some(false), None)),
        (vec![item("Status", "Include", "1,0")], count(None, None)),
        (vec![item("IsDeleted", "=", true)], count(None, Some(true))),
        (
            vec![item("Status", "=", "1"), item("IsDeleted", "=", true)],
            count(Some(true), Some(true)),
        ),
        (
            vec![item("Status", "!=", "1"), item("IsDeleted", "=", false)],
            count(Some(false), Some(false)),
        ),
    ];
    for (items, want) in cases {
        let what = format!("{items:?}");
        let (total, page) = s
            .search_target_users(company, &spec(filter(items, None), by_id(), 0, 1000))
            .await
            .expect("search");
        assert_eq!(total, want, "total of {what} after {step}");
        assert_eq!(page.len() as i64, want, "rows of {what} after {step}");
    }
}

async fn counters_follow_every_write(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let other = company(s, None, "Other", STATUS_ACTIVE).await;
    check(s, c.id, &[], "nothing").await;
    let users = load(s, c.id, 40).await;
    load(s, other.id, 7).await;
    let mut model: Vec<(bool, bool, Millis)> = users
        .iter()
        .map(|u| (u.fields.is_active, false, u.create_time))
        .collect();
    check(s, c.id, &model, "a batch insert").await;

    let (fields, _) = person(1000);
    let one = s
        .insert_target_user(
            c.id,
            &fields,
            month_start(3),
            &UserLinks::default(),
            &actor(),
        )
        .await
        .expect("insert one");
    model.push((fields.is_active, false, month_start(3)));
    check(s, c.id, &model, "a single insert").await;

    // Flip the status of every third user: active and inactive move, months do not.
    for (i, u) in users.iter().enumerate().step_by(3) {
        let mut f = u.fields.clone();
        f.is_active = !f.is_active;
        let outcome = s
            .update_target_user(c.id, &u.resource_id, &f, &UserLinks::default(), &actor())
            .await
            .expect("update");
        assert!(
            matches!(outcome, WriteOutcome::Done(ref now) if now.fields.is_active == f.is_active)
        );
        model[i].0 = f.is_active;
    }
    check(s, c.id, &model, "status changes").await;

    // Delete some active and some inactive users, and the single one.
    for i in [0, 1, 4, 9, 13] {
        s.delete_target_user(c.id, &users[i].resource_id, &actor())
            .await
            .expect("delete");
        model[i].1 = true;
    }
    s.delete_target_user(c.id, &one.resource_id, &actor())
        .await
        .expect("delete");
    model.last_mut().expect("the single user").1 = true;
    check(s, c.id, &model, "deletes").await;

    // Deleting again or updating a deleted user changes nothing.
    let again = s
        .delete_target_user(c.id, &users[0].resource_id, &actor())
        .await
        .expect("delete again");
    assert_eq!(again, WriteOutcome::Deleted);
    let update = s
        .update_target_user(
            c.id,
            &users[1].resource_id,
            &users[1].fields,
            &UserLinks::default(),
            &actor(),
        )
        .await
        .expect("update a deleted user");
    assert_eq!(update, WriteOutcome::Deleted);
    check(s, c.id, &model, "refused writes").await;

    // A revival (a SCIM create of a deleted user's email) makes it live again, with a new
    // status: both the live and the deleted counters move back.
    for i in [0, 1] {
        let mut f = users[i].fields.clone();
        f.is_active = !f.is_active;
        let outcome = s
            .update_target_user(
                c.id,
                &users[i].resource_id,
                &f,
                &UserLinks {
                    revive: true,
                    ..UserLinks::default()
                },
                &actor(),
            )
            .await
            .expect("revive");
        assert!(matches!(outcome, WriteOutcome::Done(ref u) if !u.is_deleted));
        model[i] = (f.is_active, false, model[i].2);
    }
    check(s, c.id, &model, "revivals").await;
    // The other company's counters were never touched.
    let theirs = s.user_counts(other.id, 0).await.expect("counts");
    assert_eq!(theirs.active + theirs.inactive + theirs.deleted, 7);
}

async fn a_refused_batch_counts_nothing(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, 5).await;
    let model: Vec<_> = users
        .iter()
        .map(|u| (u.fields.is_active, false, u.create_time))
        .collect();
    // The last row repeats a stored email in another case: the whole batch is refused.
    let mut taken = person(2).0;
    taken.email = taken.email.to_uppercase();
    let batch = vec![person(10), person(11), (taken.clone(), month_start(2))];
    let err = s.insert_target_users(c.id, &batch, &actor()).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    let err = s
        .insert_target_user(
            c.id,
            &taken,
            month_start(2),
            &UserLinks::default(),
            &actor(),
        )
        .await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    check(s, c.id, &model, "refused inserts").await;
}

engines!(file: counters_follow_every_write, a_refused_batch_counts_nothing);
