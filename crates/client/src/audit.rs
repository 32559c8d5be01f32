//! The audit log (`/api/audit-logs`): who did what, to which resource, from where.
//!
//! `scope` is the company whose log is read (sent as `X-KEEPNET-Company-Id`); `None` means the
//! token's own company. A Reseller reads that company and every company below it, a Company
//! Admin its own company only.

use futures::stream::BoxStream;
use rollcall_types::audit::AuditLogSearchView;
use rollcall_types::{Paged, SearchRequest};

use crate::client::Client;
use crate::error::Result;
use crate::export::{Download, ExportOptions};
use crate::search::{all_pages, full_body, page};

const SEARCH: &str = "/api/audit-logs/search";

/// `body` ordered by `LogDate` (newest first unless `ascending` says otherwise) when it names
/// no order: the generic default, `CreateTime`, is not how anyone reads a log.
fn newest_first(mut body: SearchRequest) -> SearchRequest {
    if body.order_by.as_deref().is_none_or(|o| o.trim().is_empty()) {
        body.order_by = Some("LogDate".to_owned());
    }
    body
}

impl Client {
    /// `POST /api/audit-logs/search`: one page (the body is completed with [`full_body`]).
    pub async fn search_audit_logs_page(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
    ) -> Result<Paged<AuditLogSearchView>> {
        let body = full_body(newest_first(body), self.inner.page_size);
        page(self, SEARCH, scope, &body, None).await
    }

    /// Every audit row a search selects, newest first unless `body.orderBy` says otherwise,
    /// page after page; every page request carries the company scope.
    pub fn search_audit_logs(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
    ) -> BoxStream<'static, Result<AuditLogSearchView>> {
        self.search_audit_logs_up_to(scope, body, usize::MAX)
    }

    /// The first `max_rows` rows of [`Self::search_audit_logs`]; no page is requested once
    /// the pages received hold `max_rows` rows.
    pub fn search_audit_logs_up_to(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
        max_rows: usize,
    ) -> BoxStream<'static, Result<AuditLogSearchView>> {
        all_pages(self, SEARCH, scope, newest_first(body), None, max_rows)
    }

    /// `POST /api/audit-logs/search/export`: starts the download of the rows a search selects
    /// (`exportType` `CSV`, `Excel` or `PDF`; `reportAllPages: true` for every match, else the
    /// requested page).
    pub async fn download_audit_logs(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
        options: &ExportOptions,
    ) -> Result<Download> {
        let call = self.export_call(
            "/api/audit-logs/search/export",
            scope,
            newest_first(body),
            options,
        )?;
        self.download(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_read_newest_first_unless_asked() {
        let body = newest_first(SearchRequest::default());
        assert_eq!(body.order_by.as_deref(), Some("LogDate"));
        let body = newest_first(SearchRequest {
            order_by: Some(" ".into()),
            ..SearchRequest::default()
        });
        assert_eq!(body.order_by.as_deref(), Some("LogDate"));
        let body = newest_first(SearchRequest {
            order_by: Some("UserName".into()),
            ascending: Some(true),
            ..SearchRequest::default()
        });
        assert_eq!(body.order_by.as_deref(), Some("UserName"));
        assert_eq!(body.ascending, Some(true));
    }
}
