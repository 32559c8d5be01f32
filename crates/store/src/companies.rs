//! Companies: the tree of resellers and their customers, each with a materialised `path`
//! (`/1/5/9/`) so that a subtree is one prefix match.

use sea_query::{Alias, Expr, JoinType, Order as SqOrder, Query, SelectStatement, Value};
use sqlx::any::AnyRow;

use crate::audit::{self, Actor, Change};
use crate::columns::table_columns;
use crate::model::*;
use crate::open::{new_resource_id, now_millis, WriteTx};
use crate::rows::{
    apply_order, bind_values, count_select, execute_keyed, get_bool, get_i64, get_opt_i64,
    get_opt_str, get_str, insert_rows, json_list, json_list_from, update_row_by, FromColumns,
    ReadColumns,
};
use crate::{Result, SqlStore};

table_columns! {
    /// Columns of `companies`.
    pub(crate) enum CompanyCol in "companies" {
        read {
            Id = "id",
            ResourceId = "resource_id",
            ParentId = "parent_id",
            Path = "path",
            Name = "name",
            Description = "description",
            Address = "address",
            WebsiteUrl = "website_url",
            LogoUrl = "logo_url",
            CountryId = "country_id",
            IndustryId = "industry_id",
            LicenseTypeId = "license_type_id",
            LicensePeriodTypeId = "license_period_type_id",
            IsNumberOfUsersLimited = "is_number_of_users_limited",
            NumberOfUsers = "number_of_users",
            LicenseStartDate = "license_start_date",
            LicenseEndDate = "license_end_date",
            TimeZoneId = "time_zone_id",
            DateFormat = "date_format",
            TimeFormat = "time_format",
            StatusId = "status_id",
            Tags = "tags",
            CreateTime = "create_time",
            UpdateTime = "update_time",
            PrivacyDurationId = "privacy_duration_id",
            PrivacyDurationStartTime = "privacy_duration_start_time",
            PrivacyDurationEndTime = "privacy_duration_end_time",
            PreferredLanguageId = "preferred_language_id",
        }
        stored {
            NameLower = "name_lower",
            TagsLower = "tags_lower",
        }
    }
}

/// What a company delete removes before [`TENANT_TABLES`], in order, with the company's id as
/// `$1`: its SCIM integrations and what they recorded, its custom fields' values and
/// definitions, its groups' memberships and groups, its uploads, their rows and its jobs.
const COMPANY_DEPENDENTS: [&str; 11] = [
    "DELETE FROM scim_field_mappings \
     WHERE setting_id IN (SELECT id FROM scim_settings WHERE company_id = $1)",
    "DELETE FROM scim_users WHERE company_id = $1",
    "DELETE FROM scim_groups WHERE company_id = $1",
    "DELETE FROM scim_settings WHERE company_id = $1",
    "DELETE FROM custom_field_values \
     WHERE field_id IN (SELECT id FROM custom_fields WHERE company_id = $1)",
    "DELETE FROM custom_fields WHERE company_id = $1",
    "DELETE FROM target_group_members \
     WHERE group_id IN (SELECT id FROM target_groups WHERE company_id = $1)",
    "DELETE FROM target_groups WHERE company_id = $1",
    "DELETE FROM import_rows WHERE upload_id IN \
     (SELECT id FROM import_uploads WHERE company_id = $1)",
    "DELETE FROM import_uploads WHERE company_id = $1",
    "DELETE FROM jobs WHERE company_id = $1",
];

/// Tables that hold a company's data, deleted with the company (children before parents).
const TENANT_TABLES: &[&str] = &[
    "target_users",
    "target_user_counters",
    "api_clients",
    "allow_list",
];

/// The stored value of every column a company's fields fill, the lowercase copies included:
/// insert and update both write exactly these.
fn field_values(f: &CompanyFields) -> [(CompanyCol, Value); 21] {
    use CompanyCol as C;
    [
        (C::Name, f.name.clone().into()),
        (C::NameLower, f.name.to_lowercase().into()),
        (C::Description, f.description.clone().into()),
        (C::Address, f.address.clone().into()),
        (C::WebsiteUrl, f.website_url.clone().into()),
        (C::LogoUrl, f.logo_url.clone().into()),
        (C::CountryId, f.country_id.clone().into()),
        (C::IndustryId, f.industry_id.clone().into()),
        (C::LicenseTypeId, f.license_type_id.clone().into()),
        (
            C::LicensePeriodTypeId,
            f.license_period_type_id.clone().into(),
        ),
        (
            C::IsNumberOfUsersLimited,
            f.is_number_of_users_limited.into(),
        ),
        (C::NumberOfUsers, f.number_of_users.into()),
        (C::LicenseStartDate, f.license_start_date.into()),
        (C::LicenseEndDate, f.license_end_date.into()),
        (C::TimeZoneId, f.time_zone_id.clone().into()),
        (C::DateFormat, f.date_format.clone().into()),
        (C::TimeFormat, f.time_format.clone().into()),
        (C::StatusId, f.status_id.into()),
        (C::Tags, json_list(&f.tags).into()),
        (C::TagsLower, tags_lower(&f.tags).into()),
        (
            C::PreferredLanguageId,
            f.preferred_language_id.clone().into(),
        ),
    ]
}

/// A company from a row selected with [`CompanyCol::SELECT`].
impl FromColumns for Company {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        use CompanyCol as C;
        Ok(Company {
            id: r.int(C::Id.at())?,
            resource_id: r.text(C::ResourceId.at())?,
            parent_id: r.opt_int(C::ParentId.at())?,
            path: r.text(C::Path.at())?,
            fields: CompanyFields {
                name: r.text(C::Name.at())?,
                description: r.opt_text(C::Description.at())?,
                address: r.opt_text(C::Address.at())?,
                website_url: r.opt_text(C::WebsiteUrl.at())?,
                logo_url: r.opt_text(C::LogoUrl.at())?,
                country_id: r.opt_text(C::CountryId.at())?,
                industry_id: r.opt_text(C::IndustryId.at())?,
                license_type_id: r.opt_text(C::LicenseTypeId.at())?,
                license_period_type_id: r.opt_text(C::LicensePeriodTypeId.at())?,
                is_number_of_users_limited: r.flag(C::IsNumberOfUsersLimited.at())?,
                number_of_users: r.opt_int(C::NumberOfUsers.at())?,
                license_start_date: r.opt_int(C::LicenseStartDate.at())?,
                license_end_date: r.opt_int(C::LicenseEndDate.at())?,
                time_zone_id: r.opt_text(C::TimeZoneId.at())?,
                date_format: r.opt_text(C::DateFormat.at())?,
                time_format: r.opt_text(C::TimeFormat.at())?,
                status_id: r.int(C::StatusId.at())?,
                tags: json_list_from(&r.text(C::Tags.at())?, C::Tags.name())?,
                preferred_language_id: r.opt_text(C::PreferredLanguageId.at())?,
            },
            create_time: r.int(C::CreateTime.at())?,
            update_time: r.opt_int(C::UpdateTime.at())?,
            privacy: Privacy {
                duration_id: r.int(C::PrivacyDurationId.at())?,
                start_time: r.opt_int(C::PrivacyDurationStartTime.at())?,
                end_time: r.opt_int(C::PrivacyDurationEndTime.at())?,
            },
        })
    }
}

/// The tags as `|a|b|`, lowercase, so that a tag filter is one LIKE on whole tags.
fn tags_lower(tags: &[String]) -> String {
    if tags.is_empty() {
        return String::new();
    }
    let mut s = String::from("|");
    for t in tags {
        s.push_str(&t.to_lowercase());
        s.push('|');
    }
    s
}

fn company_search_base(under: &Company, month: i64) -> SelectStatement {
    let c = Alias::new("c");
    let m = Alias::new("m");
    Query::select()
        .column((c.clone(), sea_query::Asterisk))
        .expr_as(
            Expr::cust("COALESCE(m.active + m.inactive + m.deleted, 0)"),
            Alias::new("monthly_active_user_count"),
        )
        .from_as(Alias::new("company_v"), c.clone())
        .join_as(
            JoinType::LeftJoin,
            Alias::new("target_user_counters"),
            m.clone(),
            Expr::col((m.clone(), Alias::new("company_id")))
                .equals((c.clone(), Alias::new("id")))
                .and(Expr::col((m, Alias::new("month"))).eq(month)),
        )
        .and_where(Expr::col((c.clone(), Alias::new("path"))).like(format!("{}%", under.path)))
        .and_where(Expr::col((c, Alias::new("id"))).ne(under.id))
        .to_owned()
}

fn company_row(row: &AnyRow) -> Result<CompanyRow> {
    Ok(CompanyRow {
        resource_id: get_str(row, "resource_id")?,
        name: get_str(row, "name")?,
        reseller_name: get_opt_str(row, "reseller_name")?,
        industry_name: get_opt_str(row, "industry_name")?,
        industry_id: get_opt_str(row, "industry_id")?,
        license_type_name: get_opt_str(row, "license_type_name")?,
        license_type_id: get_opt_str(row, "license_type_id")?,
        is_number_of_users_limited: get_bool(row, "is_number_of_users_limited")?,
        number_of_users: get_opt_i64(row, "number_of_users")?,
        license_end_date: get_opt_i64(row, "license_end_date")?,
        create_time: get_i64(row, "create_time")?,
        tags: json_list_from(&get_str(row, "tags")?, "tags")?,
        id: get_i64(row, "id")?,
        parent_id: get_opt_i64(row, "parent_id")?,
        privacy: Privacy {
            duration_id: get_i64(row, "privacy_duration_id")?,
            start_time: get_opt_i64(row, "privacy_duration_start_time")?,
            end_time: get_opt_i64(row, "privacy_duration_end_time")?,
        },
        target_user_count: get_i64(row, "target_user_count")?,
        inactive_target_user_count: get_i64(row, "inactive_target_user_count")?,
        deleted_target_user_count: get_i64(row, "deleted_target_user_count")?,
        monthly_active_user_count: get_i64(row, "monthly_active_user_count")?,
    })
}

/// Deletes company `id` with its data inside `tx`, with its audit row; refuses while companies
/// remain below it. Shared by the single and the bulk delete, which commit (or not) themselves.
async fn delete_in(
    tx: &mut WriteTx,
    store: &SqlStore,
    id: i64,
    actor: &Actor,
) -> Result<DeleteOutcome> {
    let Some(company) = store
        .row_where::<_, Company>(&mut **tx, CompanyCol::Id, id, true)
        .await?
    else {
        return Ok(DeleteOutcome::NotFound);
    };
    let row = sqlx::query("SELECT COUNT(*) AS n FROM companies WHERE parent_id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let children = get_i64(&row, "n")?;
    if children > 0 {
        return Ok(DeleteOutcome::HasChildren(children));
    }
    // Memberships name users and groups, so they go first; they have no company column.
    execute_keyed(tx, id, COMPANY_DEPENDENTS).await?;
    let mut removed = std::collections::HashMap::new();
    for table in TENANT_TABLES {
        // Table names come from the constant list above, never from input.
        let done = sqlx::query(&format!("DELETE FROM {table} WHERE company_id = $1"))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        removed.insert(*table, done.rows_affected());
    }
    let count = |table: &str| removed.get(table).copied().unwrap_or(0);
    let event = Change::of_company(actor, &company).deleted(
        &company.resource_id,
        audit::company_value(&company.fields),
        &format!(
            "Deleted company '{}' with its data: {} (deleted ones included) and {}",
            company.fields.name,
            audit::count_of(count("target_users"), "target user", "target users"),
            audit::count_of(count("api_clients"), "API client", "API clients"),
        ),
    );
    store.insert_audit(tx, &event).await?;
    sqlx::query("DELETE FROM companies WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(DeleteOutcome::Deleted)
}

/// Companies and their tree.
impl SqlStore {
    /// Number of companies (zero on a fresh database).
    pub async fn company_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM companies")
            .fetch_one(&self.writer)
            .await?;
        get_i64(&row, "n")
    }

    /// Creates a company below `parent` (or a root when `None`).
    pub async fn insert_company(
        &self,
        parent: Option<&Company>,
        f: &CompanyFields,
        actor: &Actor,
    ) -> Result<Company> {
        let resource_id = new_resource_id();
        let now = now_millis();
        let mut tx = self.write_tx().await?;
        use CompanyCol as C;
        let row = [
            (C::ResourceId, resource_id.clone().into()),
            (C::ParentId, parent.map(|p| p.id).into()),
            // The path needs the new id: it is set right after the insert.
            (C::Path, String::new().into()),
        ]
        .into_iter()
        .chain(field_values(f))
        .chain([(C::CreateTime, now.into())]);
        let insert = insert_rows(C::TABLE, [row])?;
        let id = self.insert_returning_id(&mut tx, insert, C::Id).await?;
        let path = format!("{}{id}/", parent.map_or("/", |p| p.path.as_str()));
        sqlx::query("UPDATE companies SET path = $1 WHERE id = $2")
            .bind(&path)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let company = Company {
            id,
            resource_id,
            parent_id: parent.map(|p| p.id),
            path,
            fields: f.clone(),
            create_time: now,
            update_time: None,
            // The column's default: access continuously (CONTRACT.md, 2026-12-05 rulings).
            privacy: Privacy::default(),
        };
        let description = match parent {
            Some(p) => format!("Created company '{}' below '{}'", f.name, p.fields.name),
            None => format!("Created root company '{}'", f.name),
        };
        let event = Change::of_company(actor, &company).created(
            &company.resource_id,
            audit::company_value(f),
            &description,
        );
        self.commit_audited(tx, [event]).await?;
        Ok(company)
    }

    /// Writes the fields `fields` changed from `base` (what the caller read); the others keep
    /// their stored value ([`CompanyFields::rebase`]).
    pub async fn update_company(
        &self,
        id: i64,
        base: &CompanyFields,
        fields: &CompanyFields,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before: Company = self.row_to_change(&mut tx, CompanyCol::Id, id).await?;
        // Only what this update changed from what the caller read: a change made meanwhile
        // (a parent deactivating the company) is not undone.
        let f = &fields.rebase(base, &before.fields);
        let values = field_values(f)
            .into_iter()
            .chain([(CompanyCol::UpdateTime, now_millis().into())]);
        let stmt = update_row_by(CompanyCol::Id, id, values);
        self.execute(&mut tx, &stmt).await?;
        let event = Change::of_company(actor, &before).update(
            &before.resource_id,
            &audit::company_value(&before.fields),
            &audit::company_value(f),
            &format!("Updated company '{}'", before.fields.name),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(())
    }

    /// A company by its public id.
    pub async fn company_by_resource_id(&self, resource_id: &str) -> Result<Option<Company>> {
        self.row_where(&self.pool, CompanyCol::ResourceId, resource_id, false)
            .await
    }

    /// A company by its internal id.
    pub async fn company_by_id(&self, id: i64) -> Result<Option<Company>> {
        self.row_where(&self.pool, CompanyCol::Id, id, false).await
    }

    /// `company` and every company below it, ordered by path.
    pub async fn company_subtree(&self, company: &Company) -> Result<Vec<Company>> {
        let sql = format!(
            "SELECT {} FROM companies WHERE path LIKE $1 ORDER BY path",
            CompanyCol::SELECT
        );
        let rows = sqlx::query(&sql)
            .bind(format!("{}%", company.path))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Company::from_columns).collect()
    }

    /// The highest company at or above `company` (in its `path`) that is not active, if any:
    /// an inactive company switches off itself and everything below it.
    pub async fn inactive_in_chain(&self, company: &Company) -> Result<Option<Company>> {
        // The path lists the company's ancestors and itself: '/1/5/9/'.
        let ids: Vec<i64> = company
            .path
            .split('/')
            .filter_map(|part| part.parse().ok())
            .collect();
        let stmt = Query::select()
            .expr(Expr::cust(CompanyCol::SELECT))
            .from(Alias::new(CompanyCol::TABLE))
            .and_where(Expr::col(Alias::new("id")).is_in(ids))
            .and_where(Expr::col(Alias::new("status_id")).ne(crate::STATUS_ACTIVE))
            .order_by_expr(Expr::cust("LENGTH(path)"), SqOrder::Asc)
            .limit(1)
            .to_owned();
        let (sql, values) = self.render(&stmt);
        let row = bind_values(sqlx::query(&sql), &values)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Company::from_columns).transpose()
    }

    /// Deletes a company and all its data in one transaction. Refuses with
    /// [`DeleteOutcome::HasChildren`] while companies remain below it.
    pub async fn delete_company(&self, id: i64, actor: &Actor) -> Result<DeleteOutcome> {
        let mut tx = self.write_tx().await?;
        self.lock_company_uploads_in(&mut tx, &[id]).await?;
        let outcome = delete_in(&mut tx, self, id, actor).await?;
        if outcome == DeleteOutcome::Deleted {
            tx.commit().await?;
        }
        Ok(outcome)
    }

    /// Deletes several companies and their data in one transaction, deepest first (so a parent
    /// may be deleted with its children); the first refusal rolls every one back. Ids that do
    /// not exist are skipped.
    pub async fn delete_companies(&self, ids: &[i64], actor: &Actor) -> Result<BulkCompanyDelete> {
        let mut tx = self.write_tx().await?;
        self.lock_company_uploads_in(&mut tx, ids).await?;
        // Deepest first: a parent deleted with its children finds them gone when its turn
        // comes. Paths grow by one segment per level, so a longer path is never an ancestor.
        let mut companies = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = self
                .row_where::<_, Company>(&mut *tx, CompanyCol::Id, *id, true)
                .await?
            {
                companies.push(c);
            }
        }
        companies.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let mut deleted = 0;
        for c in &companies {
            match delete_in(&mut tx, self, c.id, actor).await? {
                DeleteOutcome::Deleted => deleted += 1,
                // Deleted by this batch already (a duplicate id): nothing more to do.
                DeleteOutcome::NotFound => {}
                refused => {
                    return Ok(BulkCompanyDelete::Refused {
                        company: c.resource_id.clone(),
                        outcome: refused,
                    })
                }
            }
        }
        tx.commit().await?;
        Ok(BulkCompanyDelete::Deleted(deleted))
    }

    /// Sets a company's account privacy, with its audit row.
    pub async fn set_company_privacy(
        &self,
        id: i64,
        privacy: &Privacy,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before: Company = self.row_to_change(&mut tx, CompanyCol::Id, id).await?;
        use CompanyCol as C;
        let values = [
            (C::PrivacyDurationId, privacy.duration_id.into()),
            (C::PrivacyDurationStartTime, privacy.start_time.into()),
            (C::PrivacyDurationEndTime, privacy.end_time.into()),
            (C::UpdateTime, now_millis().into()),
        ];
        let stmt = update_row_by(C::Id, id, values);
        self.execute(&mut tx, &stmt).await?;
        let event = Change::of_company(actor, &before).update(
            &before.resource_id,
            &audit::privacy_value(&before.privacy),
            &audit::privacy_value(privacy),
            &format!(
                "Set the account privacy of company '{}'",
                before.fields.name
            ),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(())
    }

    /// Searches the companies strictly below `under`.
    pub async fn search_companies(
        &self,
        under: &Company,
        search: &CompanySearch,
    ) -> Result<CompanyPage> {
        let v = Alias::new("v");
        let base = company_search_base(under, search.month);
        let mut cond = search.spec.cond.to_condition(self.engine);
        let exceeded = Expr::col(Alias::new("is_number_of_users_limited"))
            .eq(true)
            .and(
                Expr::col(Alias::new("target_user_count"))
                    .gt(Expr::col(Alias::new("number_of_users"))),
            );
        if search.only_limit_exceeded {
            cond = cond.add(exceeded.clone());
        }

        let total = self
            .count(
                count_select()
                    .from_subquery(base.clone(), v.clone())
                    .cond_where(cond.clone()),
            )
            .await?;
        let limit_exceeded = self
            .count(
                count_select()
                    .from_subquery(base.clone(), v.clone())
                    .and_where(exceeded),
            )
            .await?;

        let mut page_stmt = Query::select()
            .column(sea_query::Asterisk)
            .from_subquery(base, v)
            .cond_where(cond)
            .to_owned();
        apply_order(&mut page_stmt, &search.spec);
        let rows = self.fetch_rows(&page_stmt).await?;
        let rows = rows.iter().map(company_row).collect::<Result<Vec<_>>>()?;
        Ok(CompanyPage {
            total,
            limit_exceeded,
            rows,
        })
    }

    /// Which of the things a user row shows besides its own fields the company has set up at
    /// all, in one statement, so that a search skips the reads that could find nothing.
    pub async fn company_setup(&self, company_id: i64) -> Result<CompanySetup> {
        // Each probe is one entry of an index led by company_id.
        let row = sqlx::query(
            "SELECT \
             CASE WHEN EXISTS (SELECT 1 FROM target_groups WHERE company_id = $1) THEN 1 ELSE 0 END AS g, \
             CASE WHEN EXISTS (SELECT 1 FROM scim_settings WHERE company_id = $1) THEN 1 ELSE 0 END AS s, \
             CASE WHEN EXISTS (SELECT 1 FROM allow_list WHERE company_id = $1 AND is_verified = $2) \
             THEN 1 ELSE 0 END AS v",
        )
        .bind(company_id)
        .bind(true)
        .fetch_one(&self.pool)
        .await?;
        Ok(CompanySetup {
            target_groups: get_i64(&row, "g")? != 0,
            scim_integrations: get_i64(&row, "s")? != 0,
            verified_domains: get_i64(&row, "v")? != 0,
        })
    }

    /// Target-user counts of one company, with the users created in `month` (YYYYMM).
    pub async fn user_counts(&self, company_id: i64, month: i64) -> Result<UserCounts> {
        let [active, inactive, deleted, added_in_month] = self
            .ints(
                "SELECT CAST(COALESCE(SUM(active), 0) AS BIGINT) AS a, CAST(COALESCE(SUM(inactive), 0) AS BIGINT) AS i, \
                 CAST(COALESCE(SUM(deleted), 0) AS BIGINT) AS d, \
                 CAST(COALESCE(SUM(CASE WHEN month = $1 THEN active + inactive + deleted ELSE 0 END), 0) AS BIGINT) AS m \
                 FROM target_user_counters WHERE company_id = $2",
                &[month, company_id],
            )
            .await?;
        Ok(UserCounts {
            active,
            inactive,
            deleted,
            added_in_month,
        })
    }
}
