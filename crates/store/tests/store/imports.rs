//! Imports in the store: a job starts once, records its outcome in the import's own
//! transaction, and a job taken for dead applies nothing. The users an import creates are
//! searchable at once (on SQLite their trigrams are written at its end, migration 0019).

use super::fixtures::*;
use super::*;

/// SQLite's trigram index holds exactly the users' searched columns (FTS5's own check, rank 1:
/// against the content table).
async fn trigrams_agree(s: &SqlStore) {
    if s.engine() == Engine::Sqlite {
        sqlx::query(
            "INSERT INTO target_users_fts (target_users_fts, rank) VALUES ('integrity-check', 1)",
        )
        .execute(s.pool())
        .await
        .expect("the trigram index matches the users");
    }
}

/// A complete upload of `n` rows (more than one of the import's batches), every row checked
/// `New` with an email `{prefix}{i}@store.test` and a first name `{prefix}{i}x` (`{prefix}{i}y`
/// when `renamed`: the same users again, each with a new first name).
async fn checked_upload(s: &SqlStore, company_id: i64, prefix: &str, n: i64) -> Upload {
    renamed_upload(s, company_id, prefix, n, false).await
}

async fn renamed_upload(
    s: &SqlStore,
    company_id: i64,
    prefix: &str,
    n: i64,
    renamed: bool,
) -> Upload {
    let suffix = if renamed { "y" } else { "x" };
    let meta = UploadMeta {
        file_name: "users.csv".into(),
        file_type: "Csv".into(),
        sheet_names: vec![],
        headers: vec!["Email".into(), "First Name".into()],
    };
    let up = s
        .create_upload(company_id, &meta, i64::MAX)
        .await
        .expect("upload");
    let rows: Vec<(i64, String, Vec<String>)> = (1..=n)
        .map(|i| {
            let email = format!("{prefix}{i}@store.test");
            (
                i,
                email.clone(),
                vec![email, format!("{prefix}{i}{suffix}")],
            )
        })
        .collect();
    s.add_upload_rows(up.id, &rows).await.expect("rows");
    assert_eq!(s.complete_upload(up.id, n).await.expect("complete"), 0);
    let mapping = s.start_mapping(up.id, "{}", &[]).await.expect("mapping");
    let checks: Vec<RowCheck> = rows
        .iter()
        .map(|(i, _, cells)| RowCheck {
            row_no: *i,
            status: RowStatus::New,
            patch: Some(UserPatch {
                email: cells[0].clone(),
                first_name: Some(cells[1].clone()),
                ..Default::default()
            }),
            problems: vec![],
        })
        .collect();
    s.save_checks(up.id, &mapping, &checks)
        .await
        .expect("checks");
    s.finish_mapping(up.id, &mapping, "Finished", [n, 0, 0])
        .await
        .expect("finish");
    s.upload(company_id, &up.transaction_id, 0)
        .await
        .expect("read")
        .expect("the upload")
}

async fn jobs_run_once_and_say_what_was_applied(s: &SqlStore) {
    let c = company(s, None, "Imports", STATUS_ACTIVE).await;
    let up = checked_upload(s, c.id, "imp", 2500).await;
    let job = s
        .create_job(c.id, "Import", "users.csv", "test", 2500)
        .await
        .expect("job");
    assert!(s.start_job(job.id).await.expect("start"));
    assert!(
        !s.start_job(job.id).await.expect("start"),
        "a job is claimed once: a second claim (another replica) is refused"
    );
    let out = s
        .run_import(&up, &ImportKind::All, &actor(), job.id, &|_| {})
        .await
        .expect("import");
    assert_eq!((out.created, out.updated, out.skipped), (2500, 0, 0));
    let j = s
        .job(c.id, &job.resource_id)
        .await
        .expect("read")
        .expect("job");
    assert_eq!(
        (j.status.as_str(), j.created_count),
        ("Finished", 2500),
        "the outcome is recorded with the import"
    );
    let found = everyone(
        s,
        c.id,
        filter(vec![item("FirstName", "Contains", "mp2499")], None),
    )
    .await;
    assert_eq!(
        ids(found.iter()).len(),
        1,
        "an imported user is found by Contains at once"
    );
    assert_eq!(found[0].fields.email, "imp2499@store.test");
    trigrams_agree(s).await;

    // The same users renamed: updates, whose trigrams the import rewrites itself on SQLite.
    let up = renamed_upload(s, c.id, "imp", 2500, true).await;
    let job = s
        .create_job(c.id, "Import", "users.csv", "test", 2500)
        .await
        .expect("job");
    assert!(s.start_job(job.id).await.expect("start"));
    let out = s
        .run_import(&up, &ImportKind::All, &actor(), job.id, &|_| {})
        .await
        .expect("import");
    assert_eq!((out.created, out.updated), (0, 2500));
    trigrams_agree(s).await;
    let contains = |text: &str| filter(vec![item("FirstName", "Contains", text)], None);
    assert_eq!(everyone(s, c.id, contains("mp2499y")).await.len(), 1);
    assert!(
        everyone(s, c.id, contains("mp2499x")).await.is_empty(),
        "the old name is gone"
    );

    // A job whose heartbeat stopped is failed by another replica; its import, still running,
    // then applies nothing.
    let up = checked_upload(s, c.id, "late", 10).await;
    let job = s
        .create_job(c.id, "Import", "users.csv", "test", 10)
        .await
        .expect("job");
    assert!(s.start_job(job.id).await.expect("start"));
    assert_eq!(
        s.fail_abandoned_jobs(i64::MAX).await.expect("abandon"),
        1,
        "the running job is taken for dead"
    );
    let err = s
        .run_import(&up, &ImportKind::All, &actor(), job.id, &|_| {})
        .await
        .expect_err("a dead job's import is refused");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let all = everyone(s, c.id, Cond::All(vec![])).await;
    assert_eq!(all.len(), 2500, "nothing of the refused import was applied");
    let j = s
        .job(c.id, &job.resource_id)
        .await
        .expect("read")
        .expect("job");
    assert_eq!(j.status, "Failed");
}

engines!(file: jobs_run_once_and_say_what_was_applied);
