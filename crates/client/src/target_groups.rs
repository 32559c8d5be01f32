//! Target groups (REFERENCE.md C.11) and custom field definitions (section I): what a company
//! groups and describes its target users by. `scope` is the company, as for target users.

use futures::stream::BoxStream;
use reqwest::Method;
use rollcall_types::target_group::{
    AddGroupUsersRequest, GroupUsersChange, RemoveGroupUsersRequest, TargetGroupDto,
    TargetGroupInput, TargetGroupSearchView,
};
use rollcall_types::target_user::TargetUserSearchView;
use rollcall_types::{IdResult, SearchRequest};
use tokio::io::AsyncWrite;

use crate::client::{Call, Client};
use crate::error::Result;
use crate::export::{Download, ExportOptions};
use crate::search::all_pages;

impl Client {
    /// `GET /api/target-groups`: every group of the company (not paged).
    pub async fn target_groups(&self, scope: Option<&str>) -> Result<Vec<TargetGroupDto>> {
        self.data(&Call::get("/api/target-groups").scope(scope))
            .await
    }

    /// `GET /api/target-groups/{resourceId}`.
    pub async fn get_target_group(
        &self,
        scope: Option<&str>,
        resource_id: &str,
    ) -> Result<TargetGroupDto> {
        self.data(&Call::get(format!("/api/target-groups/{resource_id}")).scope(scope))
            .await
    }

    /// Every group a search selects (`POST /api/target-groups/search`), page after page.
    pub fn search_target_groups(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
    ) -> BoxStream<'static, Result<TargetGroupSearchView>> {
        all_pages(
            self,
            "/api/target-groups/search",
            scope,
            body,
            None,
            usize::MAX,
        )
    }

    /// `POST /api/target-groups`: creates a group. Not retried after a failure that may have
    /// reached the server.
    pub async fn create_target_group(
        &self,
        scope: Option<&str>,
        input: &TargetGroupInput,
    ) -> Result<IdResult> {
        self.write_json(Method::POST, "/api/target-groups", scope, input)
            .await
    }

    /// `DELETE /api/target-groups/{resourceId}`: the group goes, its users stay.
    pub async fn delete_target_group(
        &self,
        scope: Option<&str>,
        resource_id: &str,
    ) -> Result<IdResult> {
        self.data(&Call::delete(format!("/api/target-groups/{resource_id}")).scope(scope))
            .await
    }

    /// The first `max_rows` members a search selects (`POST /api/target-groups/{id}/users`,
    /// the target-user search over the group), page after page; with
    /// `body.excludeGroupUsers`, the company's users outside the group.
    pub fn search_target_group_users(
        &self,
        scope: Option<&str>,
        group: &str,
        body: SearchRequest,
        max_rows: usize,
    ) -> BoxStream<'static, Result<TargetUserSearchView>> {
        all_pages(
            self,
            format!("/api/target-groups/{group}/users"),
            scope,
            body,
            None,
            max_rows,
        )
    }

    /// `PUT /api/target-groups/users`: adds users (by id, or every user a filter selects with
    /// `selectAll`) to the groups named; one row per group.
    pub async fn add_target_group_users(
        &self,
        scope: Option<&str>,
        request: &AddGroupUsersRequest,
    ) -> Result<Vec<GroupUsersChange>> {
        self.write_json(Method::PUT, "/api/target-groups/users", scope, request)
            .await
    }

    /// `DELETE /api/target-groups/{resourceId}/users`: takes users out of the group.
    pub async fn remove_target_group_users(
        &self,
        scope: Option<&str>,
        group: &str,
        user_ids: &[String],
    ) -> Result<IdResult> {
        let request = RemoveGroupUsersRequest {
            target_user_resource_ids: Some(user_ids.to_vec()),
        };
        let path = format!("/api/target-groups/{group}/users");
        self.write_json(Method::DELETE, path, scope, &request).await
    }

    /// `POST /api/target-groups/{resourceId}/users/export`: starts the download of the members
    /// a search selects, as [`Self::download_target_users`] does for all users.
    pub async fn download_target_group_users(
        &self,
        scope: Option<&str>,
        group: &str,
        body: SearchRequest,
        options: &ExportOptions,
    ) -> Result<Download> {
        let path = format!("/api/target-groups/{group}/users/export");
        let call = self.export_call(&path, scope, body, options)?;
        self.download(call).await
    }

    /// [`Self::download_target_group_users`] written to `out`; returns the bytes written.
    pub async fn export_target_group_users<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        scope: Option<&str>,
        group: &str,
        body: SearchRequest,
        out: &mut W,
    ) -> Result<u64> {
        self.download_target_group_users(scope, group, body, &ExportOptions::default())
            .await?
            .write_to(out)
            .await
    }
}

impl Client {
    /// `GET /api/custom-fields/company`: the company's custom field definitions.
    pub async fn custom_fields(
        &self,
        scope: Option<&str>,
    ) -> Result<Vec<rollcall_types::custom_field::CustomFieldDto>> {
        self.data(&Call::get("/api/custom-fields/company").scope(scope))
            .await
    }

    /// `POST /api/custom-fields`: defines a custom field. Not retried after a failure that may
    /// have reached the server.
    pub async fn create_custom_field(
        &self,
        scope: Option<&str>,
        input: &rollcall_types::custom_field::CustomFieldInput,
    ) -> Result<IdResult> {
        self.write_json(Method::POST, "/api/custom-fields", scope, input)
            .await
    }
}
