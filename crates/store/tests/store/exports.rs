//! Export cursors stream exactly what the search selects, in its order, in batches of at most
//! `EXPORT_BATCH_ROWS`, and stop when the reader goes away.

use std::time::Duration;

use super::fixtures::*;
use super::*;

/// Runs an export to the end; returns its batches.
async fn export(s: &SqlStore, company: i64, spec: &SearchSpec, all: bool) -> Vec<Vec<TargetUser>> {
    export_with(s, company, spec, all, ExportExtras::default())
        .await
        .into_iter()
        .map(|b| b.into_iter().map(|e| e.user).collect())
        .collect()
}

/// Runs an export with `extras` to the end; returns its batches.
async fn export_with(
    s: &SqlStore,
    company: i64,
    spec: &SearchSpec,
    all: bool,
    extras: ExportExtras,
) -> Vec<Vec<ExportedUser>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<ExportedUser>>>(4);
    let reader = async {
        let mut batches = Vec::new();
        while let Some(batch) = rx.recv().await {
            batches.push(batch.expect("a batch"));
        }
        batches
    };
    let (done, batches) = tokio::join!(
        s.export_target_users(company, spec, all, extras, tx),
        reader
    );
    done.expect("export");
    batches
}

/// With extras, each exported user carries its groups' names (sorted in any case, joined) and
/// its custom values; without, neither is read.
async fn export_reads_groups_and_custom_values(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users = load(s, c.id, 3).await;
    let group = |name: &str| TargetGroupFields {
        name: name.to_owned(),
        priority: 3,
        is_active: true,
    };
    let beta = s
        .insert_target_group(c.id, &group("beta, the second"), &actor())
        .await
        .expect("group");
    let alpha = s
        .insert_target_group(c.id, &group("Alpha"), &actor())
        .await
        .expect("group");
    let field = custom_field(s, c.id, "Office", CustomFieldType::String).await;
    let value = CustomValue {
        field_id: field.id,
        text: "Zoë's \"desk\", 2nd floor".into(),
        number: None,
        time: None,
    };
    s.update_target_user(
        c.id,
        &users[0].resource_id,
        &users[0].fields,
        &UserLinks {
            groups: Some(&[beta.id, alpha.id]),
            custom_values: std::slice::from_ref(&value),
            ..UserLinks::default()
        },
        &actor(),
    )
    .await
    .expect("links");
    let all = spec(Cond::All(vec![]), by_id(), 0, 10);
    let every = ExportExtras {
        groups: true,
        custom_values: true,
    };
    let rows: Vec<ExportedUser> = export_with(s, c.id, &all, true, every)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].user.id, users[0].id);
    let mut got = rows[0].group_ids.clone();
    got.sort_unstable();
    let mut want = vec![alpha.id, beta.id];
    want.sort_unstable();
    assert_eq!(got, want);
    let names = s.target_group_names(c.id).await.expect("names");
    assert!(
        names.contains(&(beta.id, "beta, the second".to_owned())),
        "{names:?}"
    );
    assert_eq!(rows[0].custom_values, vec![(field.id, value.text.clone())]);
    assert!(rows[1..]
        .iter()
        .all(|r| r.group_ids.is_empty() && r.custom_values.is_empty()));
    let plain: Vec<ExportedUser> = export_with(s, c.id, &all, true, ExportExtras::default())
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(plain[0].group_ids.is_empty() && plain[0].custom_values.is_empty());
    assert!(s.has_target_groups(c.id).await.expect("has"));
    let other = company(s, None, "Other", STATUS_ACTIVE).await;
    assert!(!s.has_target_groups(other.id).await.expect("has"));
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
    let export = s.export_target_users(c.id, &all, true, ExportExtras::default(), tx);
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
    export_reads_groups_and_custom_values,
    export_of_nothing_sends_nothing,
    export_stops_when_the_reader_goes,
);
