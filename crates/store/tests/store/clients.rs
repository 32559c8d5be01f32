//! API clients: look-ups by client id and resource id, updates that keep or replace the secret
//! hash, deletes and the per-company search. Hashes are plain strings here: the store only
//! keeps them.

use super::fixtures::*;
use super::*;

fn new_client(company_id: i64, name: &str) -> NewClient {
    NewClient {
        company_id,
        name: name.to_owned(),
        client_id: format!("{}-id", name.to_lowercase()),
        secret_hash: format!("hash-of-{name}"),
        role: Role::CompanyAdmin,
        status_id: STATUS_ACTIVE,
        has_ip_restriction: false,
        allowed_ips: vec![],
    }
}

async fn client_lookups(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let mut new = new_client(c.id, "Payroll");
    new.role = Role::Reseller;
    new.has_ip_restriction = true;
    new.allowed_ips = vec!["10.0.0.0/8".into(), "192.0.2.7".into()];
    let made = s.insert_client(&new, &actor()).await.expect("insert");
    assert_eq!(
        (
            &made.name,
            &made.client_id,
            &made.secret_hash,
            made.role,
            &made.allowed_ips
        ),
        (
            &new.name,
            &new.client_id,
            &new.secret_hash,
            new.role,
            &new.allowed_ips
        )
    );
    assert_eq!(
        s.client_by_client_id("payroll-id").await.expect("lookup"),
        Some(made.clone())
    );
    assert_eq!(
        s.client_by_resource_id(&made.resource_id)
            .await
            .expect("lookup"),
        Some(made.clone())
    );
    assert_eq!(s.client_by_client_id("nobody").await.expect("lookup"), None);
    // The joined look-up every authenticated request makes gives the same client and the
    // company as it is stored.
    let stored_company = s.company_by_id(c.id).await.expect("company");
    assert!(stored_company.is_some());
    assert_eq!(
        s.client_with_company(&made.resource_id)
            .await
            .expect("joined lookup"),
        Some((made.clone(), stored_company))
    );
    assert_eq!(
        s.client_with_company("NoSuchClient").await.expect("lookup"),
        None
    );
    // A second client with the same client id is refused.
    let again = s
        .insert_client(&new_client(c.id, "Payroll"), &actor())
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    // No new hash keeps the old one; a new one replaces it.
    let mut update = ClientUpdate {
        name: "Payroll 2".into(),
        client_id: made.client_id.clone(),
        secret_hash: None,
        role: Role::CompanyAdmin,
        status_id: CLIENT_INACTIVE,
        has_ip_restriction: false,
        allowed_ips: vec![],
    };
    s.update_client(made.id, &update, &actor())
        .await
        .expect("update");
    let now = s
        .client_by_resource_id(&made.resource_id)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(
        (now.name.as_str(), now.role, now.status_id),
        ("Payroll 2", Role::CompanyAdmin, CLIENT_INACTIVE)
    );
    assert_eq!(now.secret_hash, made.secret_hash);
    update.secret_hash = Some("a-new-hash".into());
    s.update_client(made.id, &update, &actor())
        .await
        .expect("update");
    let now = s
        .client_by_client_id(&made.client_id)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(now.secret_hash, "a-new-hash");

    s.delete_client(made.id, &actor()).await.expect("delete");
    assert_eq!(
        s.client_by_client_id(&made.client_id)
            .await
            .expect("lookup"),
        None
    );
}

async fn client_search(s: &SqlStore) {
    let a = company(s, None, "A", STATUS_ACTIVE).await;
    let b = company(s, None, "B", STATUS_ACTIVE).await;
    let names = ["Payroll", "HR sync", "payroll backup", "Mailer"];
    let mut made = Vec::new();
    for name in names {
        made.push(
            s.insert_client(&new_client(a.id, name), &actor())
                .await
                .expect("insert"),
        );
    }
    s.insert_client(&new_client(b.id, "Payroll elsewhere"), &actor())
        .await
        .expect("insert");
    let cond = Cond::Contains {
        column: "name_lower",
        needle: "payroll".into(),
        negated: false,
    };
    let (total, page) = s
        .search_clients(a.id, &spec(cond, by_id(), 0, 10))
        .await
        .expect("search");
    let want: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.to_lowercase().contains("payroll"))
        .collect();
    assert_eq!(total, want.len() as i64);
    assert_eq!(
        page.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        want
    );
    // Paging over one company's clients only.
    let (total, page) = s
        .search_clients(a.id, &spec(Cond::All(vec![]), by_id(), 1, 2))
        .await
        .expect("search");
    assert_eq!(total, names.len() as i64);
    assert_eq!(page, made[1..3]);
}

/// Migration 0014 turns the inactive clients rollcall stored as 2 into 0 and leaves active ones
/// alone (CONTRACT.md, rulings of 2026-12-05). The rows are put back to 2 with SQL and the
/// migration's statement run again, on each engine.
async fn client_status_migration(s: &SqlStore) {
    let c = company(s, None, "Acme", STATUS_ACTIVE).await;
    let on = s
        .insert_client(&new_client(c.id, "On"), &actor())
        .await
        .expect("insert");
    let off = s
        .insert_client(&new_client(c.id, "Off"), &actor())
        .await
        .expect("insert");
    sqlx::query("UPDATE api_clients SET status_id = 2 WHERE id = $1")
        .bind(off.id)
        .execute(s.pool())
        .await
        .expect("store an old inactive status");
    let sqlite = include_str!("../../migrations/sqlite/0014_client_status_zero.sql");
    let postgres = include_str!("../../migrations/postgres/0014_client_status_zero.sql");
    assert_eq!(sqlite, postgres, "one statement for both engines");
    sqlx::raw_sql(sqlite)
        .execute(s.pool())
        .await
        .expect("run migration 0014");
    let status = |rid: String| async move {
        s.client_by_resource_id(&rid)
            .await
            .expect("lookup")
            .expect("found")
            .status_id
    };
    assert_eq!(status(off.resource_id.clone()).await, CLIENT_INACTIVE);
    assert_eq!(status(on.resource_id.clone()).await, STATUS_ACTIVE);
}

engines!(client_lookups, client_search, client_status_migration);
