//! REST API clients: the OAuth client credentials a company's integrations sign in with.

use sea_query::{Alias, Expr, Query};

use crate::audit::{self, Actor, Change, Entity};
use crate::columns::table_columns;
use crate::companies::CompanyCol;
use crate::model::*;
use crate::open::{new_resource_id, now_millis};
use crate::query::SearchSpec;
use crate::rows::{
    get_i64, json_list, json_list_from, or_conflict, qualified, FromColumns, ReadColumns, Shifted,
};
use crate::{Result, SqlStore, StoreError};

table_columns! {
    /// Columns of `api_clients`.
    pub(crate) enum ClientCol in "api_clients" {
        read {
            Id = "id",
            CompanyId = "company_id",
            ResourceId = "resource_id",
            Name = "name",
            ClientId = "client_id",
            SecretHash = "secret_hash",
            Role = "role",
            StatusId = "status_id",
            HasIpRestriction = "has_ip_restriction",
            AllowedIps = "allowed_ips",
            CreateTime = "create_time",
        }
        stored {}
    }
}

/// A client from a row whose first columns are [`ClientCol::SELECT`].
impl FromColumns for ApiClient {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        use ClientCol as C;
        let role = r.text(C::Role.at())?;
        Ok(ApiClient {
            id: r.int(C::Id.at())?,
            company_id: r.int(C::CompanyId.at())?,
            resource_id: r.text(C::ResourceId.at())?,
            name: r.text(C::Name.at())?,
            client_id: r.text(C::ClientId.at())?,
            secret_hash: r.text(C::SecretHash.at())?,
            role: Role::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown role '{role}'")))?,
            status_id: r.int(C::StatusId.at())?,
            has_ip_restriction: r.flag(C::HasIpRestriction.at())?,
            allowed_ips: json_list_from(&r.text(C::AllowedIps.at())?, C::AllowedIps.name())?,
            create_time: r.int(C::CreateTime.at())?,
        })
    }
}

/// The conflict of a client write: the unique index on `client_id` is the one it can break.
fn client_id_taken(client_id: &str) -> StoreError {
    StoreError::Conflict(format!(
        "clientId '{client_id}' is already in use; choose another"
    ))
}

/// REST API clients.
impl SqlStore {
    /// Creates a REST API client.
    pub async fn insert_client(&self, c: &NewClient, actor: &Actor) -> Result<ApiClient> {
        let resource_id = new_resource_id();
        let now = now_millis();
        let mut tx = self.write_tx().await?;
        let res = sqlx::query(
            "INSERT INTO api_clients (company_id, resource_id, name, client_id, secret_hash, role, status_id, has_ip_restriction, allowed_ips, create_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(c.company_id)
        .bind(&resource_id)
        .bind(&c.name)
        .bind(&c.client_id)
        .bind(&c.secret_hash)
        .bind(c.role.name())
        .bind(c.status_id)
        .bind(c.has_ip_restriction)
        .bind(json_list(&c.allowed_ips))
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let row = or_conflict(res, || client_id_taken(&c.client_id))?;
        let change = Change::within(&mut tx, actor, c.company_id, Entity::ApiClient).await?;
        let event = change.created(
            &resource_id,
            audit::client_value(
                &c.name,
                &c.client_id,
                c.role,
                c.status_id,
                c.has_ip_restriction,
                &c.allowed_ips,
            ),
            &format!(
                "Created API client '{}' with the role {}",
                c.client_id,
                c.role.name()
            ),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(ApiClient {
            id: get_i64(&row, "id")?,
            company_id: c.company_id,
            resource_id,
            name: c.name.clone(),
            client_id: c.client_id.clone(),
            secret_hash: c.secret_hash.clone(),
            role: c.role,
            status_id: c.status_id,
            has_ip_restriction: c.has_ip_restriction,
            allowed_ips: c.allowed_ips.clone(),
            create_time: now,
        })
    }

    /// Replaces a client's editable fields (and its secret hash when given).
    pub async fn update_client(&self, id: i64, u: &ClientUpdate, actor: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before: ApiClient = self.row_to_change(&mut tx, ClientCol::Id, id).await?;
        let res = sqlx::query(
            "UPDATE api_clients SET name = $1, client_id = $2, secret_hash = COALESCE($3, secret_hash), role = $4, status_id = $5, \
             has_ip_restriction = $6, allowed_ips = $7, update_time = $8 WHERE id = $9",
        )
        .bind(&u.name)
        .bind(&u.client_id)
        .bind(u.secret_hash.clone())
        .bind(u.role.name())
        .bind(u.status_id)
        .bind(u.has_ip_restriction)
        .bind(json_list(&u.allowed_ips))
        .bind(now_millis())
        .bind(id)
        .execute(&mut *tx)
        .await;
        or_conflict(res, || client_id_taken(&u.client_id))?;
        let change = Change::within(&mut tx, actor, before.company_id, Entity::ApiClient).await?;
        let after = audit::client_value(
            &u.name,
            &u.client_id,
            u.role,
            u.status_id,
            u.has_ip_restriction,
            &u.allowed_ips,
        );
        let event = audit::client_update_event(&change, &before, &after, u.secret_hash.is_some());
        self.commit_audited(tx, [event]).await?;
        Ok(())
    }

    /// Deletes a client; its tokens stop working at once.
    pub async fn delete_client(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let before: ApiClient = self.row_to_change(&mut tx, ClientCol::Id, id).await?;
        sqlx::query("DELETE FROM api_clients WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let change = Change::within(&mut tx, actor, before.company_id, Entity::ApiClient).await?;
        let event = change.deleted(
            &before.resource_id,
            audit::stored_client_value(&before),
            &format!("Deleted API client '{}'", before.client_id),
        );
        self.commit_audited(tx, [event]).await?;
        Ok(())
    }

    /// A client by its OAuth client id.
    pub async fn client_by_client_id(&self, client_id: &str) -> Result<Option<ApiClient>> {
        self.row_where(&self.pool, ClientCol::ClientId, client_id, false)
            .await
    }

    /// A client by its public id.
    pub async fn client_by_resource_id(&self, resource_id: &str) -> Result<Option<ApiClient>> {
        self.row_where(&self.pool, ClientCol::ResourceId, resource_id, false)
            .await
    }

    /// A client by its public id with its company, in one query (every API request's
    /// authentication reads both); the company is `None` only if it vanished under the client.
    pub async fn client_with_company(
        &self,
        resource_id: &str,
    ) -> Result<Option<(ApiClient, Option<Company>)>> {
        // A LEFT JOIN, so that a company missing under its client is told apart from a missing
        // client, as the two separate look-ups did.
        let sql = format!(
            "SELECT {}, {} FROM {} c LEFT JOIN {} co ON co.{} = c.{} WHERE c.{} = $1",
            qualified::<ClientCol>("c"),
            qualified::<CompanyCol>("co"),
            ClientCol::TABLE,
            CompanyCol::TABLE,
            CompanyCol::Id.name(),
            ClientCol::CompanyId.name(),
            ClientCol::ResourceId.name(),
        );
        let Some(row) = sqlx::query(&sql)
            .bind(resource_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let client = ApiClient::from_columns(&row)?;
        let company_at = ClientCol::READ.len();
        let company = match row.opt_int(company_at + CompanyCol::Id.at())? {
            Some(_) => Some(Company::from_columns(&Shifted(&row, company_at))?),
            None => None,
        };
        Ok(Some((client, company)))
    }

    /// A page of one company's clients.
    pub async fn search_clients(
        &self,
        company_id: i64,
        spec: &SearchSpec,
    ) -> Result<(i64, Vec<ApiClient>)> {
        let base = Query::select()
            .expr(Expr::cust(ClientCol::SELECT))
            .expr_as(Expr::cust("LOWER(name)"), Alias::new("name_lower"))
            .expr_as(
                Expr::cust("LOWER(client_id)"),
                Alias::new("client_id_lower"),
            )
            .from(Alias::new(ClientCol::TABLE))
            .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
            .to_owned();
        let filtered = Query::select()
            .from_subquery(base, Alias::new("v"))
            .cond_where(spec.cond.to_condition(self.engine))
            .to_owned();
        self.search_page(filtered, ClientCol::SELECT, spec).await
    }
}
