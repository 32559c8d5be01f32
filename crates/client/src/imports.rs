//! Importing target users from a file (REFERENCE.md C.10): upload, mapping, preview, import and
//! the job log. `scope` is the company, as for target users.

use bytes::Bytes;
use reqwest::Method;
use rollcall_types::import::{
    CreateMappingRequest, ImportRequest, JobResult, MappingJobDto, TmpSearchResult, UploadFileDto,
    UploadedFileDto,
};
use rollcall_types::SearchRequest;

use crate::client::{Body, Call, Client};
use crate::error::Result;

impl Client {
    /// `POST /api/target-users/upload`: the file (CSV, .xlsx, .xls) as `File`. Not retried after
    /// a failure that may have reached the server.
    pub async fn upload_target_users(
        &self,
        scope: Option<&str>,
        file_name: &str,
        bytes: Bytes,
    ) -> Result<UploadFileDto> {
        let mut call = Call::new(Method::POST, "/api/target-users/upload").scope(scope);
        call.body = Body::File(file_name.to_owned(), bytes);
        call.streaming = true;
        self.data(&call).await
    }

    /// `GET /api/target-users/upload/{transactionId}`: the file's header and first rows.
    pub async fn uploaded_file(
        &self,
        scope: Option<&str>,
        transaction_id: &str,
    ) -> Result<UploadedFileDto> {
        self.data(&Call::get(format!("/api/target-users/upload/{transaction_id}")).scope(scope))
            .await
    }

    /// `POST /api/target-users/create-mapping`: starts checking the rows against a mapping.
    pub async fn create_import_mapping(
        &self,
        scope: Option<&str>,
        body: &CreateMappingRequest,
    ) -> Result<MappingJobDto> {
        self.write_json(
            Method::POST,
            "/api/target-users/create-mapping",
            scope,
            body,
        )
        .await
    }

    /// `GET /api/target-users/mapping-job/{resourceId}`.
    pub async fn import_mapping(&self, scope: Option<&str>, id: &str) -> Result<MappingJobDto> {
        self.data(&Call::get(format!("/api/target-users/mapping-job/{id}")).scope(scope))
            .await
    }

    /// `POST /api/target-users/{transactionId}/search`: a page of the checked rows.
    pub async fn search_import_rows(
        &self,
        scope: Option<&str>,
        transaction_id: &str,
        body: &SearchRequest,
    ) -> Result<TmpSearchResult> {
        let call = Call::read_post(format!("/api/target-users/{transaction_id}/search"))
            .scope(scope)
            .json(body)?;
        self.data(&call).await
    }

    /// `POST /api/target-users/{transactionId}/import`: starts the import; its job.
    pub async fn start_import(
        &self,
        scope: Option<&str>,
        transaction_id: &str,
        body: &ImportRequest,
    ) -> Result<JobResult> {
        self.write_json(
            Method::POST,
            format!("/api/target-users/{transaction_id}/import"),
            scope,
            body,
        )
        .await
    }

    /// `GET /api/jobs/{resourceId}`: a job with its parts.
    pub async fn job(&self, scope: Option<&str>, id: &str) -> Result<JobResult> {
        self.data(&Call::get(format!("/api/jobs/{id}")).scope(scope))
            .await
    }

    /// `GET /api/jobs`: the company's last jobs, newest first.
    pub async fn jobs(&self, scope: Option<&str>) -> Result<Vec<JobResult>> {
        self.data(&Call::get("/api/jobs").scope(scope)).await
    }
}
