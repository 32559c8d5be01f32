//! Sorting and paging: pages laid end to end give the whole sorted selection once, every page
//! reports the same total, and a page past the end is empty. Enough rows to reach the deep
//! pages (offset 1000 and on) that the store reads another way.

use super::fixtures::*;
use super::*;

const N: usize = 1130;
const PAGE: i64 = 100;

/// Walks every page of `cond` in `order`; returns the rows and checks each page's total.
async fn walk(s: &SqlStore, company: i64, cond: &Cond, order: &[Order]) -> Vec<TargetUser> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let (total, page) = s
            .search_target_users(company, &spec(cond.clone(), order.to_vec(), offset, PAGE))
            .await
            .expect("search");
        let expected_len = (total - offset).clamp(0, PAGE);
        assert_eq!(
            page.len() as i64,
            expected_len,
            "page at {offset} of {total}"
        );
        if page.is_empty() {
            assert_eq!(rows.len() as i64, total, "the pages hold the total");
            return rows;
        }
        rows.extend(page);
        offset += PAGE;
    }
}

async fn pages_cover_the_sorted_selection_once(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, N).await;
    // First names repeat, so the id decides between equals: ascending with the key, as the
    // server's order does.
    let mut expected = users.clone();
    expected.sort_by(|a, b| {
        (a.fields.first_name.to_lowercase(), a.id).cmp(&(b.fields.first_name.to_lowercase(), b.id))
    });
    let by_name = [order("first_name_lower", true), order("id", true)];
    let got = walk(s, c.id, &Cond::All(vec![]), &by_name).await;
    assert_eq!(ids(&got), ids(&expected));

    // Newest first, and filtered: the total is the filtered count.
    let cond = filter(vec![item("Status", "=", "Active")], None);
    let mut expected: Vec<TargetUser> = users
        .iter()
        .filter(|u| u.fields.is_active)
        .cloned()
        .collect();
    expected.sort_by_key(|u| std::cmp::Reverse((u.create_time, u.id)));
    let newest = [order("create_time", false), order("id", false)];
    let got = walk(s, c.id, &cond, &newest).await;
    assert_eq!(ids(&got), ids(&expected));
}

async fn boundaries(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, 25).await;
    let by_priority = [order("priority", true), order("id", true)];
    let mut expected = users.clone();
    expected.sort_by_key(|u| (u.fields.priority, u.id));
    for (offset, limit) in [
        (0, 10),
        (10, 10),
        (20, 10),
        (24, 1),
        (25, 10),
        (100, 10),
        (0, 25),
    ] {
        let (total, page) = s
            .search_target_users(
                c.id,
                &spec(Cond::All(vec![]), by_priority.to_vec(), offset, limit),
            )
            .await
            .expect("search");
        assert_eq!(total, 25, "the total ignores the page window");
        let want: Vec<_> = expected
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        assert_eq!(
            ids(page.iter()),
            ids(want),
            "offset {offset}, limit {limit}"
        );
    }
    // The same query twice gives the same order (the id makes it total).
    let once = s
        .search_target_users(c.id, &spec(Cond::All(vec![]), by_priority.to_vec(), 5, 10))
        .await
        .expect("search");
    let again = s
        .search_target_users(c.id, &spec(Cond::All(vec![]), by_priority.to_vec(), 5, 10))
        .await
        .expect("search");
    assert_eq!(once, again);
}

/// Which users of the model a filter keeps.
type Keep<'a> = dyn Fn(&TargetUser) -> bool + 'a;

/// Pages deep enough (offset 10,000 and on) to start at the month their offset falls in, from
/// the month counters: in creation order both ways, unfiltered and filtered on Status and
/// IsDeleted, they hold exactly the rows the model puts there, including pages that cross a
/// month's edge and pages past the end.
async fn deep_pages_start_at_their_month(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, 14_000).await;
    // Deleted users in every month, some active and some not.
    let mut deleted = std::collections::HashSet::new();
    for u in users.iter().step_by(7) {
        s.delete_target_user(c.id, &u.resource_id, &actor())
            .await
            .expect("delete");
        deleted.insert(u.id);
    }
    let conds: [(Cond, &Keep); 3] = [
        (Cond::All(vec![]), &|_| true),
        (filter(vec![item("Status", "Include", "1")], None), &|u| {
            u.fields.is_active
        }),
        (filter(vec![item("IsDeleted", "=", false)], None), &|u| {
            !deleted.contains(&u.id)
        }),
    ];
    let mut edge_pages = 0;
    for (cond, keep) in &conds {
        for ascending in [true, false] {
            let mut want: Vec<&TargetUser> = users.iter().filter(|u| keep(u)).collect();
            want.sort_by_key(|u| (u.create_time, u.id));
            if !ascending {
                want.reverse();
            }
            let len = want.len() as i64;
            assert!(len > 10_100, "enough matches to reach a deep page");
            // Where one month's users give way to the next: pages that end 1,050 rows before it
            // and just before it (read from the month's far end: a deep page and a shallow one),
            // cross it, start on it and just after.
            let edges = (1..want.len())
                .filter(|&i| {
                    query::month_of(want[i].create_time) != query::month_of(want[i - 1].create_time)
                })
                .flat_map(|i| {
                    let i = i as i64;
                    [i - 1100, i - 60, i - 50, i - 3, i, i + 1]
                });
            let offsets: Vec<i64> = [10_000, 10_001, len - 5, len - 1, len, len + 100]
                .into_iter()
                .chain(edges)
                .filter(|o| *o >= 10_000)
                .collect();
            edge_pages += offsets.len() - 6;
            let order = vec![order("create_time", ascending), order("id", ascending)];
            for offset in offsets {
                let (total, page) = s
                    .search_target_users(c.id, &spec(cond.clone(), order.clone(), offset, 50))
                    .await
                    .expect("search");
                assert_eq!(total, len, "total of {cond:?}");
                let expected = want
                    .iter()
                    .skip(usize::try_from(offset).expect("offset"))
                    .take(50)
                    .copied();
                assert_eq!(
                    ids(page.iter()),
                    ids(expected),
                    "page at {offset}, ascending {ascending}, {cond:?}"
                );
            }
        }
    }
    assert!(edge_pages > 0, "some month's edge lies past offset 10,000");
}

engines!(file: pages_cover_the_sorted_selection_once, boundaries, deep_pages_start_at_their_month);
