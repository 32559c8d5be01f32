//! Target groups: the member counts kept in each group's row against a model of the
//! memberships, through every write that moves them, and the membership filters.

use std::collections::{BTreeMap, BTreeSet};

use super::fixtures::*;
use super::*;

fn group_fields(name: &str) -> TargetGroupFields {
    TargetGroupFields {
        name: name.to_owned(),
        priority: 3,
        is_active: true,
    }
}

/// The model: group id -> member user ids; user id -> has a phone.
struct Model {
    members: BTreeMap<i64, BTreeSet<i64>>,
    phone: BTreeMap<i64, bool>,
}

impl Model {
    /// Each group's (members, members with a phone) as the model has them.
    fn counts(&self, group: i64) -> (i64, i64) {
        let m = &self.members[&group];
        let phones = m.iter().filter(|u| self.phone[u]).count();
        (m.len() as i64, phones as i64)
    }
}

/// Every group's stored counts and its members as the membership filter finds them equal the
/// model's.
async fn check(s: &SqlStore, company_id: i64, groups: &[TargetGroup], model: &Model, what: &str) {
    for g in groups {
        let stored = s
            .target_group(company_id, &g.resource_id)
            .await
            .expect("group")
            .expect("exists");
        assert_eq!(
            (stored.user_count, stored.user_count_with_phone),
            model.counts(g.id),
            "{what}: counts of {}",
            g.fields.name
        );
        let found = everyone(
            s,
            company_id,
            Cond::Cmp {
                column: fields::GROUP_MEMBER,
                op: query::CmpOp::Eq,
                value: Val::Int(g.id),
            },
        )
        .await;
        let found: BTreeSet<i64> = found.iter().map(|u| u.id).collect();
        assert_eq!(
            found, model.members[&g.id],
            "{what}: members of {}",
            g.fields.name
        );
    }
}

async fn counts_follow_every_write(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, 40).await;
    let mut groups = Vec::new();
    for name in ["Alpha", "Beta", "Gamma"] {
        groups.push(
            s.insert_target_group(c.id, &group_fields(name), &actor())
                .await
                .expect("group"),
        );
    }
    let mut model = Model {
        members: groups.iter().map(|g| (g.id, BTreeSet::new())).collect(),
        phone: users.iter().map(|u| (u.id, true)).collect(),
    };
    // Names are unique in any case.
    let dup = s
        .insert_target_group(c.id, &group_fields("ALPHA"), &actor())
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");

    // A deterministic walk of writes (a small LCG: no dependency for a shuffle).
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    let mut deleted = BTreeSet::new();
    for step in 0..60 {
        let g = &groups[next(groups.len())];
        let u = &users[next(users.len())];
        match next(5) {
            0 | 1 => {
                let picked: Vec<i64> = (0..3)
                    .map(|_| users[next(users.len())].id)
                    .filter(|id| !deleted.contains(id))
                    .collect();
                s.add_target_group_members(
                    c.id,
                    std::slice::from_ref(g),
                    &MemberSelection::Ids(picked.clone()),
                    &actor(),
                )
                .await
                .expect("add");
                model.members.get_mut(&g.id).expect("g").extend(picked);
            }
            2 => {
                s.remove_target_group_members(c.id, g, &[u.id], &actor())
                    .await
                    .expect("remove");
                model.members.get_mut(&g.id).expect("g").remove(&u.id);
            }
            3 if !deleted.contains(&u.id) => {
                // The phone flips: cleared, or set again.
                let has = !model.phone[&u.id];
                let mut f = u.fields.clone();
                f.phone_number = if has { "+1 555".into() } else { String::new() };
                s.update_target_user(c.id, &u.resource_id, &f, &UserLinks::default(), &actor())
                    .await
                    .expect("update");
                model.phone.insert(u.id, has);
            }
            4 if !deleted.contains(&u.id) && step % 3 == 0 => {
                s.delete_target_user(c.id, &u.resource_id, &actor())
                    .await
                    .expect("delete");
                deleted.insert(u.id);
                for m in model.members.values_mut() {
                    m.remove(&u.id);
                }
            }
            _ => {}
        }
        check(s, c.id, &groups, &model, &format!("step {step}")).await;
    }

    // By filter: every live user of one department but one, into two groups at once.
    let dept = users[0].fields.department.to_lowercase();
    let cond = Cond::Cmp {
        column: "department_lower",
        op: query::CmpOp::Eq,
        value: Val::Text(dept.clone()),
    };
    let excluded = users[0].resource_id.clone();
    s.add_target_group_members(
        c.id,
        &groups[..2],
        &MemberSelection::AllExcept {
            cond,
            excluded: vec![excluded.clone()],
        },
        &actor(),
    )
    .await
    .expect("add by filter");
    for g in &groups[..2] {
        let m = model.members.get_mut(&g.id).expect("g");
        for u in &users {
            if u.fields.department.to_lowercase() == dept
                && u.resource_id != excluded
                && !deleted.contains(&u.id)
            {
                m.insert(u.id);
            }
        }
    }
    check(s, c.id, &groups, &model, "by filter").await;

    // A bulk delete takes its users out of every group.
    let doomed: Vec<String> = users[10..20]
        .iter()
        .map(|u| u.resource_id.clone())
        .collect();
    s.bulk_delete_target_users(c.id, &BulkSelection::Items(doomed), &actor())
        .await
        .expect("bulk delete");
    for u in &users[10..20] {
        for m in model.members.values_mut() {
            m.remove(&u.id);
        }
    }
    check(s, c.id, &groups, &model, "bulk delete").await;

    // Groups of users, by name; a deleted group keeps its users.
    let pairs = s
        .groups_of_users(&users.iter().map(|u| u.id).collect::<Vec<_>>())
        .await
        .expect("groups of users");
    let expected: usize = model.members.values().map(BTreeSet::len).sum();
    assert_eq!(pairs.len(), expected);
    let gone = s
        .delete_target_group(c.id, &groups[0].resource_id, &actor())
        .await
        .expect("delete group")
        .expect("it existed");
    assert_eq!(gone.id, groups[0].id);
    let live = everyone(
        s,
        c.id,
        Cond::Cmp {
            column: "is_deleted",
            op: query::CmpOp::Eq,
            value: Val::Bool(false),
        },
    )
    .await;
    let gone_users: BTreeSet<i64> = deleted
        .iter()
        .copied()
        .chain(users[10..20].iter().map(|u| u.id))
        .collect();
    assert_eq!(
        live.len(),
        users.len() - gone_users.len(),
        "the group's users stay"
    );
    model.members.remove(&groups[0].id);
    check(s, c.id, &groups[1..], &model, "a group deleted").await;

    // Deleting the company takes its groups and memberships with it.
    assert_eq!(
        s.delete_company(c.id, &actor())
            .await
            .expect("delete company"),
        DeleteOutcome::Deleted
    );
    assert!(s
        .target_group(c.id, &groups[1].resource_id)
        .await
        .expect("lookup")
        .is_none());
}

engines!(counts_follow_every_write);

/// Writers adding overlapping members to one group at once: each membership is added once and
/// the counts equal the members (PostgreSQL runs them concurrently; SQLite one at a time).
async fn concurrent_adds_count_once(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, 30).await;
    let g = s
        .insert_target_group(c.id, &group_fields("Busy"), &actor())
        .await
        .expect("group");
    let writers = (0..6).map(|w| {
        // Overlapping windows of ten users.
        let ids: Vec<i64> = users[w * 4..w * 4 + 10].iter().map(|u| u.id).collect();
        let g = g.clone();
        async move {
            s.add_target_group_members(c.id, &[g], &MemberSelection::Ids(ids), &actor())
                .await
        }
    });
    let added: u64 = futures::future::try_join_all(writers)
        .await
        .expect("adds")
        .into_iter()
        .sum();
    let model = Model {
        members: [(g.id, users[..30].iter().map(|u| u.id).collect())].into(),
        phone: users.iter().map(|u| (u.id, true)).collect(),
    };
    assert_eq!(added, 30, "each membership counted once");
    check(s, c.id, std::slice::from_ref(&g), &model, "concurrent adds").await;
}

engines!(concurrent_adds_count_once);

/// A bulk delete of more users than one statement takes leaves every group's counts equal to
/// its members.
async fn a_large_bulk_delete_leaves_its_groups(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, 1203).await;
    let g = s
        .insert_target_group(c.id, &group_fields("Everyone"), &actor())
        .await
        .expect("group");
    let everyone = MemberSelection::AllExcept {
        cond: Cond::All(vec![]),
        excluded: vec![],
    };
    let added = s
        .add_target_group_members(c.id, std::slice::from_ref(&g), &everyone, &actor())
        .await
        .expect("add everyone");
    assert_eq!(added, 1203);
    let kept: Vec<String> = users[..3].iter().map(|u| u.resource_id.clone()).collect();
    let n = s
        .bulk_delete_target_users(
            c.id,
            &BulkSelection::AllExcept {
                cond: Cond::All(vec![]),
                excluded: kept,
            },
            &actor(),
        )
        .await
        .expect("bulk delete");
    assert_eq!(n, 1200);
    let model = Model {
        members: [(g.id, users[..3].iter().map(|u| u.id).collect())].into(),
        phone: users.iter().map(|u| (u.id, true)).collect(),
    };
    check(
        s,
        c.id,
        std::slice::from_ref(&g),
        &model,
        "a large bulk delete",
    )
    .await;
}

engines!(a_large_bulk_delete_leaves_its_groups);
