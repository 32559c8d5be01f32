//! Migration 0015's rewrite of stored `preferredLanguageId` spellings to the catalogue's
//! resource id (docs/api.md, "Lookups and time zones"), run on rows written as earlier versions
//! stored them, on each engine.

use super::fixtures::*;
use super::*;

/// Migration 0015's rewrite statement for the engine, as written (after its `-- rewrite:` line).
fn rewrite(engine: Engine) -> String {
    let migration = match engine {
        Engine::Sqlite => include_str!("../../migrations/sqlite/0015_preferred_language.sql"),
        Engine::Postgres => include_str!("../../migrations/postgres/0015_preferred_language.sql"),
    };
    let start = migration.find("-- rewrite:").expect("the rewrite marker");
    let body = &migration[start..];
    let len = body.find(';').expect("its end");
    body[..len].to_owned()
}

/// One column of every target user, in id order (`name` is one of this file's literals).
async fn column<T>(s: &SqlStore, name: &str) -> Vec<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    sqlx::query(&format!("SELECT {name} FROM target_users ORDER BY id"))
        .fetch_all(s.pool())
        .await
        .expect("read")
        .iter()
        .map(|r| r.get::<T, _>(name))
        .collect()
}

async fn the_migration_rewrites_legacy_spellings_to_ids(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let users: Vec<_> = (0..9).map(person).collect();
    s.insert_target_users(c.id, &users, &actor())
        .await
        .expect("insert");
    // What earlier versions stored: the value as sent, checked or not.
    let legacy = [
        "tr",
        "TR",
        "tr-TR",
        "pt_BR",
        "LangGerman00",
        "",
        "Klingon",
        "english",
        "xx-YY",
    ];
    let want = [
        "LangTurkish0",
        "LangTurkish0",
        "LangTurkish0",
        "LangPortugse",
        "LangGerman00",
        "",
        "Klingon",
        "english",
        "xx-YY",
    ];
    let ids: Vec<i64> = column(s, "id").await;
    for (id, value) in ids.iter().zip(legacy) {
        sqlx::query("UPDATE target_users SET preferred_language_id = $1 WHERE id = $2")
            .bind(value)
            .bind(*id)
            .execute(s.pool())
            .await
            .expect("legacy value");
    }
    let read = || column::<String>(s, "preferred_language_id");
    sqlx::query(&rewrite(s.engine()))
        .execute(s.pool())
        .await
        .expect("rewrite");
    assert_eq!(read().await, want);
    // The rewrite agrees with what the server stores for each spelling it accepts.
    for (sent, stored) in legacy.iter().zip(want) {
        if let Some(id) = catalog::language_id(sent) {
            assert_eq!(id, stored, "{sent}");
        }
    }
    // Run again, it changes nothing.
    sqlx::query(&rewrite(s.engine()))
        .execute(s.pool())
        .await
        .expect("rewrite again");
    assert_eq!(read().await, want);
}

engines!(the_migration_rewrites_legacy_spellings_to_ids);
