//! Target users: the employees who receive simulations and training.
//!
//! `scope` is the company the call is about (sent as `X-KEEPNET-Company-Id`); `None` means the
//! token's own company, which is what Keepnet does without the header. A Reseller must name the
//! company for writes.

use futures::stream::BoxStream;
use reqwest::Method;
use rollcall_types::target_user::{
    BulkDeleteRequest, BulkDeleteResult, ByResourceIdsRequest, CountSummaryDto, SearchEmailRequest,
    TargetUserDto, TargetUserEmailDto, TargetUserInput, TargetUserSearchView,
};
use rollcall_types::{IdResult, Paged, SearchRequest};

use crate::client::{Call, Client};
use crate::error::Result;
use crate::search::{all_pages, full_body, page};

impl Client {
    /// `POST /api/target-users/search`: one page (the body is completed with
    /// [`full_body`]).
    pub async fn search_target_users_page(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
    ) -> Result<Paged<TargetUserSearchView>> {
        let body = full_body(body, self.inner.page_size);
        page(self, "/api/target-users/search", scope, &body, None).await
    }

    /// Every user a search selects, page after page from `body.pageNumber` (default 1) until
    /// `totalNumberOfPages`; every page request carries the company scope. Pages hold
    /// `body.pageSize` rows (default: the client's page size).
    pub fn search_target_users(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
    ) -> BoxStream<'static, Result<TargetUserSearchView>> {
        self.search_target_users_up_to(scope, body, usize::MAX)
    }

    /// The first `max_rows` users a search selects, as [`Self::search_target_users`] pages
    /// them, except that no page is requested once the pages received hold `max_rows` rows:
    /// with `body.pageSize` at least `max_rows`, that is a single request.
    pub fn search_target_users_up_to(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
        max_rows: usize,
    ) -> BoxStream<'static, Result<TargetUserSearchView>> {
        all_pages(
            self,
            "/api/target-users/search",
            scope,
            body,
            None,
            max_rows,
        )
    }

    /// `GET /api/target-users/count-summary`: active, inactive and deleted users and the users
    /// added in each of the last 12 months.
    pub async fn count_summary(&self, scope: Option<&str>) -> Result<CountSummaryDto> {
        self.data(&Call::get("/api/target-users/count-summary").scope(scope))
            .await
    }

    /// `GET /api/target-users/{resourceId}`.
    pub async fn get_target_user(
        &self,
        scope: Option<&str>,
        resource_id: &str,
    ) -> Result<TargetUserDto> {
        self.data(&Call::get(format!("/api/target-users/{resource_id}")).scope(scope))
            .await
    }

    /// `POST /api/target-users`: creates a user. Not retried after a failure that may have
    /// reached the server.
    pub async fn create_target_user(
        &self,
        scope: Option<&str>,
        input: &TargetUserInput,
    ) -> Result<IdResult> {
        self.write_json(Method::POST, "/api/target-users", scope, input)
            .await
    }

    /// `PUT /api/target-users/{resourceId}`. Keepnet's UI sends the whole user; so should
    /// callers (see [`TargetUserDto`] → [`TargetUserInput`] in the CLI).
    pub async fn update_target_user(
        &self,
        scope: Option<&str>,
        resource_id: &str,
        input: &TargetUserInput,
    ) -> Result<IdResult> {
        let path = format!("/api/target-users/{resource_id}");
        self.write_json(Method::PUT, path, scope, input).await
    }

    /// `DELETE /api/target-users/{resourceId}` (a soft delete: the user stays, marked deleted).
    pub async fn delete_target_user(
        &self,
        scope: Option<&str>,
        resource_id: &str,
    ) -> Result<IdResult> {
        self.data(&Call::delete(format!("/api/target-users/{resource_id}")).scope(scope))
            .await
    }

    /// `POST /api/target-users/{resourceId}/restore` (rollcall's own): brings a soft-deleted
    /// user back and returns it. Repeating it changes nothing, so it is retried like a read.
    pub async fn restore_target_user(
        &self,
        scope: Option<&str>,
        resource_id: &str,
    ) -> Result<TargetUserDto> {
        let path = format!("/api/target-users/{resource_id}/restore");
        self.data(&Call::read_post(path).scope(scope)).await
    }

    /// `DELETE /api/target-users/bulk-delete` (a DELETE with a JSON body).
    pub async fn bulk_delete_target_users(
        &self,
        scope: Option<&str>,
        request: &BulkDeleteRequest,
    ) -> Result<BulkDeleteResult> {
        self.write_json(
            Method::DELETE,
            "/api/target-users/bulk-delete",
            scope,
            request,
        )
        .await
    }

    /// `POST /api/target-users/search-email`: one page of users whose email matches.
    pub async fn search_target_users_by_email(
        &self,
        scope: Option<&str>,
        request: &SearchEmailRequest,
    ) -> Result<Paged<TargetUserDto>> {
        let mut request = request.clone();
        request.page_number.get_or_insert(1);
        request.page_size.get_or_insert(self.inner.page_size);
        request.order_by.get_or_insert_with(|| "Email".to_owned());
        request.ascending.get_or_insert(true);
        let call = Call::read_post("/api/target-users/search-email")
            .scope(scope)
            .json(&request)?;
        self.data(&call).await
    }

    /// `POST /api/target-users/by-resource-ids` (or `include-deleted/by-resource-ids`).
    pub async fn target_users_by_resource_ids(
        &self,
        scope: Option<&str>,
        resource_ids: &[String],
        include_deleted: bool,
    ) -> Result<Vec<TargetUserEmailDto>> {
        let path = if include_deleted {
            "/api/target-users/include-deleted/by-resource-ids"
        } else {
            "/api/target-users/by-resource-ids"
        };
        let call = Call::read_post(path)
            .scope(scope)
            .json(&ByResourceIdsRequest {
                target_user_resource_ids: Some(resource_ids.to_vec()),
            })?;
        self.data(&call).await
    }
}
