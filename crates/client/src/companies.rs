//! Companies, licences, REST API clients, roles and lookups.

use std::collections::BTreeMap;

use chrono::SecondsFormat;
use futures::stream::BoxStream;
use reqwest::Method;
use rollcall_types::company::{
    ClientCredentials, ClientDto, ClientInput, CompanyDto, CompanyInput, CompanySearchPage,
    LicenseCheckDto, LookupDto, MyCompanyDto, RoleDto, SearchClientDto, SearchCompanyDto,
};
use rollcall_types::{IdResult, Paged, SearchRequest};
use serde_json::Value;

use crate::client::{Body, Call, Client};
use crate::error::Result;
use crate::search::{all_pages, full_body, page, page_value};

/// Company search rows carry the id as `companyResourceId` (what Keepnet's API returns) and/or
/// `resourceId` (what most of Keepnet's docs say); whichever is there fills the other.
pub(crate) fn patch_company_ids(row: &mut Value) {
    let Some(obj) = row.as_object_mut() else {
        return;
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let cid = text(obj.get("companyResourceId"));
    let rid = text(obj.get("resourceId"));
    match (cid, rid) {
        (Some(c), None) => {
            obj.insert("resourceId".into(), Value::String(c));
        }
        (None, Some(r)) => {
            obj.insert("companyResourceId".into(), Value::String(r));
        }
        _ => {}
    }
    if let Some(Value::Array(children)) = obj.get_mut("children") {
        children.iter_mut().for_each(patch_company_ids);
    }
}

/// Keepnet's company form: PascalCase multipart fields.
fn company_form(input: &CompanyInput) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = Vec::new();
    let mut text = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            f.push((k.to_owned(), v.clone()));
        }
    };
    text("Name", &input.name);
    text("Description", &input.description);
    text("Address", &input.address);
    text("WebsiteUrl", &input.website_url);
    text("LogoUrl", &input.logo_url);
    text("CountryResourceId", &input.country_resource_id);
    text("IndustryResourceId", &input.industry_resource_id);
    text("LicenseTypeResourceId", &input.license_type_resource_id);
    text(
        "LicensePeriodTypeResourceId",
        &input.license_period_type_resource_id,
    );
    text("TimeZoneId", &input.time_zone_id);
    text("DateFormat", &input.date_format);
    text("TimeFormat", &input.time_format);
    text("ResourceId", &input.resource_id);
    text(
        "PreferredLanguageTypeResourceId",
        &input.preferred_language_type_resource_id,
    );
    let time = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
    };
    text("LicenseStartDate", &time(&input.license_start_date));
    text("LicenseEndDate", &time(&input.license_end_date));
    text(
        "NumberOfUsers",
        &input.number_of_users.map(|n| n.to_string()),
    );
    text(
        "IsNumberOfUsersLimited",
        &input.is_number_of_users_limited.map(|b| b.to_string()),
    );
    text("StatusId", &input.status_id.map(|n| n.to_string()));
    for tag in input.tags.iter().flatten() {
        f.push(("Tags".to_owned(), tag.clone()));
    }
    f
}

impl Client {
    /// `POST /api/companies/search` (Reseller): one page of the companies the caller manages.
    /// The body is completed with [`full_body`].
    pub async fn search_companies_page(&self, body: SearchRequest) -> Result<CompanySearchPage> {
        let body = full_body(body, self.inner.page_size);
        page_of_companies(self, &body).await
    }

    /// Every company a search selects, page after page.
    pub fn search_companies(
        &self,
        body: SearchRequest,
    ) -> BoxStream<'static, Result<SearchCompanyDto>> {
        all_pages(
            self,
            "/api/companies/search",
            None,
            body,
            Some(patch_company_ids),
            usize::MAX,
        )
    }

    /// `GET /api/companies/my`: the caller's company and those below it, as a tree.
    pub async fn my_companies(&self) -> Result<Vec<MyCompanyDto>> {
        self.data(&Call::get("/api/companies/my")).await
    }

    /// `GET /api/companies/{resourceId}`.
    pub async fn get_company(&self, resource_id: &str) -> Result<CompanyDto> {
        self.data(&Call::get(format!("/api/companies/{resource_id}")))
            .await
    }

    /// `POST /api/companies` (Reseller), as Keepnet's multipart form: creates a company below
    /// `parent` (default: the caller's own company).
    pub async fn create_company(
        &self,
        parent: Option<&str>,
        input: &CompanyInput,
    ) -> Result<IdResult> {
        let mut call = Call::new(Method::POST, "/api/companies").scope(parent);
        call.body = Body::Multipart(company_form(input));
        self.data(&call).await
    }

    /// `PUT /api/companies/{resourceId}` (multipart form; fields left `None` are not sent).
    pub async fn update_company(
        &self,
        resource_id: &str,
        input: &CompanyInput,
    ) -> Result<IdResult> {
        let mut call = Call::new(Method::PUT, format!("/api/companies/{resource_id}"));
        call.body = Body::Multipart(company_form(input));
        self.data(&call).await
    }

    /// `DELETE /api/companies/{resourceId}`: removes the company and all its data.
    pub async fn delete_company(&self, resource_id: &str) -> Result<IdResult> {
        self.data(&Call::delete(format!("/api/companies/{resource_id}")))
            .await
    }

    /// `GET /api/companies/{resourceId}/license-check`.
    pub async fn license_check(&self, resource_id: &str) -> Result<LicenseCheckDto> {
        self.data(&Call::get(format!(
            "/api/companies/{resource_id}/license-check"
        )))
        .await
    }

    /// `GET /api/roles` (roles of the scoped company).
    pub async fn roles(&self, scope: Option<&str>) -> Result<Vec<RoleDto>> {
        self.data(&Call::get("/api/roles").scope(scope)).await
    }

    /// `GET /api/lookups`: every catalogue (rollcall only), keyed by kind.
    pub async fn lookups(&self) -> Result<BTreeMap<String, Vec<LookupDto>>> {
        self.data(&Call::get("/api/lookups")).await
    }

    /// `GET /api/lookups/{typeId}`: Keepnet's numeric type (`"21"`, the languages) or a name
    /// (rollcall only): `industry`, `country`, `license_type`, `license_period_type`, `language`.
    pub async fn lookup(&self, kind: &str) -> Result<Vec<LookupDto>> {
        self.data(&Call::get(format!("/api/lookups/{kind}"))).await
    }

    /// `GET /api/companies/clients/generate-client-credentials`.
    pub async fn generate_client_credentials(
        &self,
        scope: Option<&str>,
    ) -> Result<ClientCredentials> {
        self.data(&Call::get("/api/companies/clients/generate-client-credentials").scope(scope))
            .await
    }

    /// `POST /api/companies/clients`: a REST API client in the scoped company (a Reseller must
    /// name the company).
    pub async fn create_client(
        &self,
        scope: Option<&str>,
        input: &ClientInput,
    ) -> Result<IdResult> {
        self.write_json(Method::POST, "/api/companies/clients", scope, input)
            .await
    }

    /// `POST /api/companies/clients/search`: one page of the scoped company's clients.
    pub async fn search_clients_page(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
    ) -> Result<Paged<SearchClientDto>> {
        let body = full_body(body, self.inner.page_size);
        page(self, "/api/companies/clients/search", scope, &body, None).await
    }

    /// Every REST API client of the scoped company a search selects, page after page from
    /// `body.pageNumber` (default 1) until `totalNumberOfPages`; every page request carries the
    /// company scope. Pages hold `body.pageSize` rows (default: the client's page size).
    pub fn search_clients(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
    ) -> BoxStream<'static, Result<SearchClientDto>> {
        all_pages(
            self,
            "/api/companies/clients/search",
            scope,
            body,
            None,
            usize::MAX,
        )
    }

    /// `GET /api/companies/clients/{resourceId}`.
    pub async fn get_client(&self, scope: Option<&str>, resource_id: &str) -> Result<ClientDto> {
        self.data(&Call::get(format!("/api/companies/clients/{resource_id}")).scope(scope))
            .await
    }

    /// `PUT /api/companies/clients/{resourceId}`.
    pub async fn update_client(
        &self,
        scope: Option<&str>,
        resource_id: &str,
        input: &ClientInput,
    ) -> Result<IdResult> {
        let path = format!("/api/companies/clients/{resource_id}");
        self.write_json(Method::PUT, path, scope, input).await
    }

    /// `DELETE /api/companies/clients/{resourceId}`: its tokens stop working.
    pub async fn delete_client(&self, scope: Option<&str>, resource_id: &str) -> Result<IdResult> {
        self.data(&Call::delete(format!("/api/companies/clients/{resource_id}")).scope(scope))
            .await
    }
}

async fn page_of_companies(client: &Client, body: &SearchRequest) -> Result<CompanySearchPage> {
    let path = "/api/companies/search";
    let mut v = page_value(client, path, None, body, Some(patch_company_ids)).await?;
    // Keepnet always sends it; default it rather than fail if a proxy trims it.
    if let Some(obj) = v.as_object_mut() {
        obj.entry("limitExceededCompanyCount")
            .or_insert(Value::from(0));
    }
    crate::client::decode(v, &client.url(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn either_id_spelling_fills_the_other() {
        let mut only_company = json!({"companyResourceId": "abcABC123456"});
        patch_company_ids(&mut only_company);
        assert_eq!(only_company["resourceId"], "abcABC123456");
        let mut only_resource =
            json!({"resourceId": "abcABC123456", "children": [{"resourceId": "x"}]});
        patch_company_ids(&mut only_resource);
        assert_eq!(only_resource["companyResourceId"], "abcABC123456");
        assert_eq!(only_resource["children"][0]["companyResourceId"], "x");
    }

    #[test]
    fn company_form_is_pascal_case() {
        let f = company_form(&CompanyInput {
            name: Some("Acme".into()),
            number_of_users: Some(50),
            tags: Some(vec!["a".into(), "b".into()]),
            ..CompanyInput::default()
        });
        assert_eq!(
            f,
            vec![
                ("Name".to_owned(), "Acme".to_owned()),
                ("NumberOfUsers".to_owned(), "50".to_owned()),
                ("Tags".to_owned(), "a".to_owned()),
                ("Tags".to_owned(), "b".to_owned()),
            ]
        );
    }
}
