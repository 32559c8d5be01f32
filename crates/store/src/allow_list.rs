//! Allowed domains (Keepnet's allow-list, REFERENCE.md section I): the email domains a company
//! has proved it owns, by publishing a TXT record or by its Reseller's word. Target users are
//! matched to them by their stored `email_domain` (migration 0013).

use sea_query::{Alias, Expr, Query, Value};
use serde_json::json;

use crate::audit::{Actor, AuditEvent, Change, Entity, Operation};
use crate::columns::table_columns;
use crate::model::Millis;
use crate::open::{new_resource_id, now_millis};
use crate::query::SearchSpec;
use crate::rows::{
    bind_values, get_str, insert_rows, or_conflict, update_row_by, FromColumns, ReadColumns,
};
use crate::{Result, SqlStore, StoreError};

/// How a domain was verified (`verifyType` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyType {
    /// Its TXT record was found in DNS.
    Dns,
    /// A Reseller marked it as verified.
    Marked,
}

impl VerifyType {
    /// The number stored and sent as `verifyType`.
    pub fn id(self) -> i64 {
        match self {
            VerifyType::Dns => 1,
            VerifyType::Marked => 2,
        }
    }

    fn from_id(id: i64) -> Result<Self> {
        match id {
            1 => Ok(VerifyType::Dns),
            2 => Ok(VerifyType::Marked),
            other => Err(StoreError::Corrupt(format!("verify_type {other}"))),
        }
    }

    fn how(self) -> &'static str {
        match self {
            VerifyType::Dns => "by its DNS TXT record",
            VerifyType::Marked => "by a Reseller's mark",
        }
    }
}

/// One allowed domain of a company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedDomain {
    pub id: i64,
    pub company_id: i64,
    pub resource_id: String,
    /// Lowercase, without a trailing dot.
    pub domain: String,
    /// The TXT value to publish at the domain.
    pub txt_record: String,
    pub is_verified: bool,
    pub verify_time: Option<Millis>,
    /// How it was verified, while it is.
    pub verify_type: Option<VerifyType>,
    /// The OAuth client id that verified it.
    pub verified_by: Option<String>,
    /// The last DNS check, whatever it found.
    pub last_check_time: Option<Millis>,
    pub create_time: Millis,
}

/// What [`SqlStore::delete_allowed_domains`] did: every domain named is deleted, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedDomains {
    /// The domains deleted.
    pub deleted: Vec<AllowedDomain>,
    /// Resource ids not found in the company (then nothing was deleted).
    pub missing: Vec<String>,
}

/// What a DNS check found, for [`SqlStore::record_domain_check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainCheck {
    /// The TXT value was published: the domain is verified.
    Found,
    /// It was not; the text says what was seen instead (for the audit row).
    NotFound(String),
}

table_columns! {
    /// Columns of `allow_list`.
    pub(crate) enum AllowCol in "allow_list" {
        read {
            Id = "id",
            CompanyId = "company_id",
            ResourceId = "resource_id",
            Domain = "domain",
            TxtRecord = "txt_record",
            IsVerified = "is_verified",
            VerifyTime = "verify_time",
            VerifyType = "verify_type",
            VerifiedBy = "verified_by",
            LastCheckTime = "last_check_time",
            CreateTime = "create_time",
        }
        stored {
            StatusLower = "status_lower",
        }
    }
}

use AllowCol as A;

impl FromColumns for AllowedDomain {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        Ok(AllowedDomain {
            id: r.int(A::Id.at())?,
            company_id: r.int(A::CompanyId.at())?,
            resource_id: r.text(A::ResourceId.at())?,
            domain: r.text(A::Domain.at())?,
            txt_record: r.text(A::TxtRecord.at())?,
            is_verified: r.flag(A::IsVerified.at())?,
            verify_time: r.opt_int(A::VerifyTime.at())?,
            verify_type: r
                .opt_int(A::VerifyType.at())?
                .map(VerifyType::from_id)
                .transpose()?,
            verified_by: r.opt_text(A::VerifiedBy.at())?,
            last_check_time: r.opt_int(A::LastCheckTime.at())?,
            create_time: r.int(A::CreateTime.at())?,
        })
    }
}

/// `Verified` / `Unverified`, as search rows show the status.
pub fn status_name(verified: bool) -> &'static str {
    if verified {
        "Verified"
    } else {
        "Unverified"
    }
}

/// The verification columns of a domain that is verified (`Some`) or not (`None`); insert and
/// both ways of verifying write exactly these, so the Status filter's copy stays in step.
fn verification_values(verified: Option<(VerifyType, &Actor, Millis)>) -> [(AllowCol, Value); 5] {
    [
        (A::IsVerified, verified.is_some().into()),
        (
            A::StatusLower,
            status_name(verified.is_some()).to_lowercase().into(),
        ),
        (A::VerifyTime, verified.map(|(_, _, at)| at).into()),
        (A::VerifyType, verified.map(|(how, _, _)| how.id()).into()),
        (
            A::VerifiedBy,
            verified.map(|(_, who, _)| who.client_id.clone()).into(),
        ),
    ]
}

fn audited(d: &AllowedDomain) -> serde_json::Value {
    json!({
        "domain": d.domain,
        "txtRecord": d.txt_record,
        "status": status_name(d.is_verified),
        "verifyType": d.verify_type.map(VerifyType::id),
    })
}

/// One event per domain added (`Create`) or deleted (any other operation): the domain's fields
/// are the event's new value, or its old one.
fn domain_events(
    change: &Change<'_>,
    operation: Operation,
    domains: &[AllowedDomain],
) -> Vec<AuditEvent> {
    let created = operation == Operation::Create;
    let verb = if created { "Added" } else { "Deleted" };
    domains
        .iter()
        .map(|d| {
            let what = format!("{verb} allowed domain '{}'", d.domain);
            if created {
                change.created(&d.resource_id, audited(d), &what)
            } else {
                change.deleted(&d.resource_id, audited(d), &what)
            }
        })
        .collect()
}

impl SqlStore {
    /// Sets a domain's verification and last check in one statement with its audit row.
    /// `outcome`: `Ok(how)` when the domain is verified that way, `Err(seen)` when a DNS check
    /// found `seen` instead of its TXT value.
    async fn write_check(
        &self,
        company_id: i64,
        resource_id: &str,
        outcome: std::result::Result<VerifyType, &str>,
        actor: &Actor,
    ) -> Result<Option<AllowedDomain>> {
        let key = [A::CompanyId, A::ResourceId];
        let Some::<(_, AllowedDomain)>((mut tx, before)) = self
            .begin_company_change(key, company_id, resource_id)
            .await?
        else {
            return Ok(None);
        };
        let description = match outcome {
            Ok(how) => format!("Verified allowed domain '{}' {}", before.domain, how.how()),
            Err(seen) => format!("Checked allowed domain '{}': {seen}", before.domain),
        };
        let verified = outcome.ok();
        let now = now_millis();
        let mut values = vec![(A::LastCheckTime, Value::from(now))];
        let after_check = match verified {
            // A new proof replaces the old one's time and kind.
            Some(how) => {
                values.extend(verification_values(Some((how, actor, now))));
                AllowedDomain {
                    is_verified: true,
                    verify_time: Some(now),
                    verify_type: Some(how),
                    verified_by: Some(actor.client_id.clone()),
                    last_check_time: Some(now),
                    ..before.clone()
                }
            }
            // A failed check leaves an earlier verification alone: a DNS hiccup must not
            // unverify a domain.
            None => AllowedDomain {
                last_check_time: Some(now),
                ..before.clone()
            },
        };
        let stmt = update_row_by(A::Id, before.id, values);
        self.execute(&mut tx, &stmt).await?;
        let change = Change::within(&mut tx, actor, company_id, Entity::AllowedDomain).await?;
        let mut event = change.update(
            resource_id,
            &audited(&before),
            &audited(&after_check),
            &description,
        );
        if verified.is_none() {
            // Nothing but the check time changed; say what was found instead of "no field
            // changed".
            event.description = change.described(&description);
        }
        self.commit_audited(tx, [event]).await?;
        Ok(Some(after_check))
    }

    /// Domains of a company, distinct and sorted, from `sql` binding the company's id once.
    async fn domain_list(&self, sql: &str, company_id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(sql)
            .bind(company_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| get_str(r, "domain")).collect()
    }
}

/// The domains of the company's live users and of its own entries, less the verified
/// ones: what Keepnet's UI warns about (docs/api.md, "Allowed domains"). The UI asks
/// after every table load, so the users' distinct domains are walked on the index
/// (company_id, email_domain) one domain at a time (a loose index scan: one probe per
/// domain, not a read of every user), each kept when a live user has it.
const UNVERIFIED_SQL: &str = "WITH RECURSIVE d(domain) AS ( \
      SELECT (SELECT MIN(email_domain) FROM target_users \
              WHERE company_id = $1 AND email_domain > '') \
      UNION ALL \
      SELECT (SELECT MIN(t.email_domain) FROM target_users t \
              WHERE t.company_id = $1 AND t.email_domain > d.domain) \
      FROM d WHERE d.domain IS NOT NULL \
    ) \
    SELECT domain FROM ( \
      SELECT domain FROM d WHERE domain IS NOT NULL AND EXISTS ( \
        SELECT 1 FROM target_users u WHERE u.company_id = $1 \
        AND u.email_domain = d.domain AND NOT u.is_deleted) \
      UNION SELECT domain FROM allow_list WHERE company_id = $1 \
    ) x \
    WHERE NOT EXISTS (SELECT 1 FROM allow_list a WHERE a.company_id = $1 \
       AND a.domain = x.domain AND a.is_verified) \
    ORDER BY domain";

/// A company's allowed domains.
impl SqlStore {
    /// Adds `domains` (lowercase, distinct) to a company's list, unverified, each with the TXT
    /// value `txt_record`; one already listed refuses the whole request with
    /// [`StoreError::Conflict`].
    pub async fn insert_allowed_domains(
        &self,
        company_id: i64,
        domains: &[String],
        txt_record: &str,
        actor: &Actor,
    ) -> Result<Vec<AllowedDomain>> {
        let now = now_millis();
        let added: Vec<AllowedDomain> = domains
            .iter()
            .map(|domain| AllowedDomain {
                id: 0,
                company_id,
                resource_id: new_resource_id(),
                domain: domain.clone(),
                txt_record: txt_record.to_owned(),
                is_verified: false,
                verify_time: None,
                verify_type: None,
                verified_by: None,
                last_check_time: None,
                create_time: now,
            })
            .collect();
        if added.is_empty() {
            return Ok(added);
        }
        let mut tx = self.write_tx().await?;
        let rows = added.iter().map(|d| {
            [
                (A::CompanyId, Value::from(company_id)),
                (A::ResourceId, d.resource_id.clone().into()),
                (A::Domain, d.domain.clone().into()),
                (A::TxtRecord, d.txt_record.clone().into()),
                (A::CreateTime, now.into()),
            ]
            .into_iter()
            .chain(verification_values(None))
        });
        let stmt = insert_rows(A::TABLE, rows)?;
        or_conflict(self.execute(&mut tx, &stmt).await, || {
            StoreError::Conflict(
                "a domain of this request is already on this company's allowed domains (or repeats in the request); POST /api/allow-list/search lists them".into(),
            )
        })?;
        let change = Change::within(&mut tx, actor, company_id, Entity::AllowedDomain).await?;
        let events = domain_events(&change, Operation::Create, &added);
        self.commit_audited(tx, events).await?;
        Ok(added)
    }

    /// Deletes the company's domains with these (distinct) resource ids: all of them, or none
    /// when one is not the company's ([`DeletedDomains::missing`]).
    pub async fn delete_allowed_domains(
        &self,
        company_id: i64,
        resource_ids: &[String],
        actor: &Actor,
    ) -> Result<DeletedDomains> {
        let mut tx = self.write_tx().await?;
        let stmt = Query::delete()
            .from_table(Alias::new(A::TABLE))
            .and_where(Expr::col(A::CompanyId).eq(company_id))
            .and_where(Expr::col(A::ResourceId).is_in(resource_ids.iter().cloned()))
            .returning(Query::returning().expr(Expr::cust(A::SELECT)))
            .to_owned();
        let (sql, values) = self.render(&stmt);
        let rows = bind_values(sqlx::query(&sql), &values)
            .fetch_all(&mut *tx)
            .await?;
        let deleted = rows
            .iter()
            .map(AllowedDomain::from_columns)
            .collect::<Result<Vec<_>>>()?;
        let missing: Vec<String> = resource_ids
            .iter()
            .filter(|id| !deleted.iter().any(|d| &d.resource_id == *id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            // All or none: the transaction is dropped, so nothing is deleted.
            return Ok(DeletedDomains {
                deleted: vec![],
                missing,
            });
        }
        let change = Change::within(&mut tx, actor, company_id, Entity::AllowedDomain).await?;
        let events = domain_events(&change, Operation::Delete, &deleted);
        self.commit_audited(tx, events).await?;
        Ok(DeletedDomains {
            deleted,
            missing: vec![],
        })
    }

    /// One domain of a company.
    pub async fn allowed_domain(
        &self,
        company_id: i64,
        resource_id: &str,
    ) -> Result<Option<AllowedDomain>> {
        self.company_row(
            &self.pool,
            [A::CompanyId, A::ResourceId],
            (company_id, resource_id),
            false,
        )
        .await
    }

    /// A page of a company's domains and the number matching.
    pub async fn search_allowed_domains(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<AllowedDomain>)> {
        self.company_page(A::CompanyId, company_id, spec).await
    }

    /// Records a DNS check of a domain: its time, and its verification when the TXT value
    /// was found (a failed check leaves an earlier verification alone). `None`: no such
    /// domain in the company.
    pub async fn record_domain_check(
        &self,
        company_id: i64,
        resource_id: &str,
        check: &DomainCheck,
        actor: &Actor,
    ) -> Result<Option<AllowedDomain>> {
        let outcome = match check {
            DomainCheck::Found => Ok(VerifyType::Dns),
            DomainCheck::NotFound(seen) => Err(seen.as_str()),
        };
        self.write_check(company_id, resource_id, outcome, actor)
            .await
    }

    /// Marks a domain as verified without a DNS check (a Reseller's word).
    pub async fn mark_domain_verified(
        &self,
        company_id: i64,
        resource_id: &str,
        actor: &Actor,
    ) -> Result<Option<AllowedDomain>> {
        self.write_check(company_id, resource_id, Ok(VerifyType::Marked), actor)
            .await
    }

    /// The company's verified domains, sorted.
    pub async fn verified_domains(&self, company_id: i64) -> Result<Vec<String>> {
        let sql = "SELECT domain FROM allow_list WHERE company_id = $1 AND is_verified \
                   ORDER BY domain";
        self.domain_list(sql, company_id).await
    }

    /// The domains of the company's live target users and of its list that are not verified,
    /// sorted.
    pub async fn unverified_domains(&self, company_id: i64) -> Result<Vec<String>> {
        self.domain_list(UNVERIFIED_SQL, company_id).await
    }

    /// Which of `domains` the company has verified.
    pub async fn verified_among(&self, company_id: i64, domains: &[String]) -> Result<Vec<String>> {
        if domains.is_empty() {
            return Ok(vec![]);
        }
        let stmt = Query::select()
            .column(A::Domain)
            .from(Alias::new(A::TABLE))
            .and_where(Expr::col(A::CompanyId).eq(company_id))
            .and_where(Expr::col(A::IsVerified).eq(true))
            .and_where(Expr::col(A::Domain).is_in(domains.iter().cloned()))
            .to_owned();
        let rows = self.fetch_rows(&stmt).await?;
        rows.iter().map(|r| get_str(r, A::Domain.name())).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::UNVERIFIED_SQL;
    use crate::rows::sqlite_plan;
    use crate::SqlStore;
    use sea_query::Values;

    /// On SQLite (no planner statistics) the unverified list reads the users' domains from the
    /// index on (company_id, email_domain), a probe per domain, and never scans the users.
    #[tokio::test]
    async fn sqlite_walks_the_domain_index() {
        let dir = tempfile::tempdir().unwrap();
        let _store = SqlStore::open("", dir.path()).await.unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("rollcall.db")).unwrap();
        let plan = sqlite_plan(&conn, UNVERIFIED_SQL, &Values(vec![7_i64.into()]));
        assert!(
            plan.iter()
                .any(|l| l.contains("USING COVERING INDEX target_users_domain")),
            "{plan:?}"
        );
        assert!(
            plan.iter()
                .all(|l| !l.starts_with("SCAN t") && !l.starts_with("SCAN u")),
            "{plan:?}"
        );
    }
}
