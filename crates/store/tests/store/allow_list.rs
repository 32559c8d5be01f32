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

/// The unverified list: the live users' domains and the listed ones, less the verified; users
/// of another company and deleted users do not count.
async fn unverified_domains_walk_the_users_domains(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let other = company(s, None, "Other", STATUS_ACTIVE).await;
    let users = |emails: &[&str]| -> Vec<(TargetUserFields, Millis)> {
        emails
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let (mut f, t) = person(i);
                f.email = (*e).to_owned();
                (f, t)
            })
            .collect()
    };
    s.insert_target_users(
        c.id,
        &users(&[
            "a@b.example",
            "b@A.example",
            "c@a.example",
            "d@gone.example",
            "e@ok.example",
            "f@c.example",
        ]),
        &actor(),
    )
    .await
    .expect("users");
    s.insert_target_users(other.id, &users(&["x@theirs.example"]), &actor())
        .await
        .expect("users");
    let gone = everyone(s, c.id, Cond::All(vec![]))
        .await
        .into_iter()
        .find(|u| u.fields.email == "d@gone.example")
        .expect("gone");
    s.delete_target_user(c.id, &gone.resource_id, &actor())
        .await
        .expect("delete");
    let listed = s
        .insert_allowed_domains(
            c.id,
            &["ok.example".into(), "z.example".into()],
            "v",
            &actor(),
        )
        .await
        .expect("list");
    s.mark_domain_verified(c.id, &listed[0].resource_id, &actor())
        .await
        .expect("mark");
    assert_eq!(
        s.unverified_domains(c.id).await.expect("unverified"),
        ["a.example", "b.example", "c.example", "z.example"]
    );
    assert_eq!(
        s.verified_domains(c.id).await.expect("verified"),
        ["ok.example"]
    );
    assert_eq!(
        s.verified_among(c.id, &["ok.example".into(), "z.example".into()])
            .await
            .expect("among"),
        ["ok.example"]
    );
    assert_eq!(
        s.unverified_domains(other.id).await.expect("other"),
        ["theirs.example"]
    );
}

engines!(
    the_backfill_computes_the_stored_domain,
    a_companys_domains_go_with_it,
    unverified_domains_walk_the_users_domains
);
