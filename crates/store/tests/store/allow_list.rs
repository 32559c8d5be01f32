//! Allowed domains in the store: migration 0013's backfill of `email_domain` agrees with what
//! the store writes, and a company's domains go with it.

use super::fixtures::*;
use super::*;

/// Migration 0013's `UPDATE target_users SET email_domain = ...` for the engine, as written.
fn backfill(engine: Engine) -> String {
    let migration = match engine {
        Engine::Sqlite => include_str!("../../migrations/sqlite/0013_allow_list.sql"),
        Engine::Postgres => include_str!("../../migrations/postgres/0013_allow_list.sql"),
    };
    let start = migration.find("UPDATE target_users").expect("the backfill");
    let len = migration[start..].find(';').expect("its end");
    migration[start..start + len].to_owned()
}

async fn the_backfill_computes_the_stored_domain(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let mut users: Vec<_> = (0..5).map(person).collect();
    for (i, email) in ["Ann@Sub.Example.COM", "no-at-sign", "x@", "@bare.example"]
        .into_iter()
        .enumerate()
    {
        users[i].0.email = email.to_owned();
    }
    s.insert_target_users(c.id, &users, &actor())
        .await
        .expect("insert");
    let read = || async {
        let rows = sqlx::query("SELECT email_lower, email_domain FROM target_users ORDER BY id")
            .fetch_all(s.pool())
            .await
            .expect("read");
        rows.iter()
            .map(|r| {
                use sqlx::Row;
                (
                    r.get::<String, _>("email_lower"),
                    r.get::<String, _>("email_domain"),
                )
            })
            .collect::<Vec<_>>()
    };
    let written = read().await;
    for (email, domain) in &written {
        assert_eq!(domain, email_domain(email), "written for {email}");
    }
    assert_eq!(written[0].1, "sub.example.com");
    assert_eq!(written[1].1, "");
    // Users stored before the column existed get it from the migration's own statement.
    sqlx::query("UPDATE target_users SET email_domain = 'stale'")
        .execute(s.pool())
        .await
        .expect("clear");
    sqlx::query(&backfill(s.engine()))
        .execute(s.pool())
        .await
        .expect("backfill");
    assert_eq!(read().await, written);
}

async fn a_companys_domains_go_with_it(s: &SqlStore) {
    let root = company(s, None, "Root", STATUS_ACTIVE).await;
    let c = company(s, Some(&root), "Acme", STATUS_ACTIVE).await;
    let added = s
        .insert_allowed_domains(
            c.id,
            &["a.example".into(), "b.example".into()],
            "value",
            &actor(),
        )
        .await
        .expect("add");
    assert_eq!(added.len(), 2);
    // A repeat refuses the whole request.
    let again = s
        .insert_allowed_domains(
            c.id,
            &["c.example".into(), "a.example".into()],
            "v",
            &actor(),
        )
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let page = |id| async move {
        s.search_allowed_domains(id, &spec(Cond::All(vec![]), by_id(), 0, 10))
            .await
            .expect("search")
            .0
    };
    assert_eq!(page(c.id).await, 2);
    assert_eq!(
        s.delete_company(c.id, &actor()).await.expect("delete"),
        DeleteOutcome::Deleted
    );
    assert_eq!(page(c.id).await, 0);
}

engines!(
    the_backfill_computes_the_stored_domain,
    a_companys_domains_go_with_it
);
