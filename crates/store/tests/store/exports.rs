//! Export cursors stream exactly what the search selects, in its order, in batches of at most
//! `EXPORT_BATCH_ROWS`, and stop when the reader goes away.

use std::time::Duration;

use super::fixtures::*;
use super::*;

/// Runs an export to the end; returns its batches.
async fn export(s: &SqlStore, company: i64, spec: &SearchSpec, all: bool) -> Vec<Vec<TargetUser>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<TargetUser>>>(4);
    let reader = async {
        let mut batches = Vec::new();
        while let Some(batch) = rx.recv().await {
            batches.push(batch.expect("a batch"));
        }
        batches
    };
    let (done, batches) = tokio::join!(s.export_target_users(company, spec, all, tx), reader);
    done.expect("export");
    batches
}

async fn export_yields_the_search_in_order(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let n = EXPORT_BATCH_ROWS * 3 + 40;
    let users = load(s, c.id, n).await;
    let cond = filter(vec![item("Priority", "!=", "Low")], None);
    let by_last_name = vec![order("last_name_lower", false), order("id", false)];
    let mut expected: Vec<TargetUser> = users
        .iter()
        .filter(|u| u.fields.priority != 2)
        .cloned()
        .collect();
    expected.sort_by(|a, b| {
        (b.fields.last_name.to_lowercase(), b.id).cmp(&(a.fields.last_name.to_lowercase(), a.id))
    });
    assert!(
        expected.len() > 2 * EXPORT_BATCH_ROWS,
        "the export spans several batches"
    );

    // `all`: the page window is ignored.
    let batches = export(
        s,
        c.id,
        &spec(cond.clone(), by_last_name.clone(), 30, 10),
        true,
    )
    .await;
    assert!(batches
        .iter()
        .all(|b| !b.is_empty() && b.len() <= EXPORT_BATCH_ROWS));
    let rows: Vec<TargetUser> = batches.into_iter().flatten().collect();
    assert_eq!(ids(&rows), ids(&expected));
    assert_eq!(rows, expected, "every field is read back as stored");

    // Not `all`: exactly the page.
    let batches = export(s, c.id, &spec(cond, by_last_name, 30, 10), false).await;
    let rows: Vec<TargetUser> = batches.into_iter().flatten().collect();
    assert_eq!(ids(&rows), ids(&expected[30..40]));
}

async fn export_of_nothing_sends_nothing(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    load(s, c.id, 5).await;
    let cond = filter(vec![item("Email", "Contains", "nobody")], None);
    let batches = export(s, c.id, &spec(cond, by_id(), 0, 10), true).await;
    assert!(batches.is_empty(), "no empty batch is sent");
}

async fn export_stops_when_the_reader_goes(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    load(s, c.id, EXPORT_BATCH_ROWS * 4).await;
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let all = spec(Cond::All(vec![]), by_id(), 0, 10);
    let export = s.export_target_users(c.id, &all, true, tx);
    let reader = async {
        let first = rx.recv().await.expect("a first batch").expect("rows");
        drop(rx);
        first.len()
    };
    // Bounded: a cursor that kept waiting on a reader that left would hang here.
    let (done, first) = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(export, reader)
    })
    .await
    .expect("the export ends once its reader is gone");
    done.expect("a reader leaving is not an error");
    assert_eq!(first, EXPORT_BATCH_ROWS);
}

engines!(
    file: export_yields_the_search_in_order,
    export_of_nothing_sends_nothing,
    export_stops_when_the_reader_goes,
);
