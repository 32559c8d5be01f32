//! File downloads (exports, the import template), streamed chunk by chunk to a writer: memory
//! stays flat whatever the file size.

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use reqwest::header::CONTENT_DISPOSITION;
use rollcall_types::SearchRequest;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::client::{content_type, envelope_data, read_body, Call, Client};
use crate::error::{ClientError, Result};
use crate::search::full_body;

/// rollcall-only knobs of an export request; Keepnet ignores unknown query parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// `Some(false)`: CSV without the UTF-8 byte-order mark (`?bom=false`). `None`: the server's
    /// default (rollcall writes one).
    pub csv_bom: Option<bool>,
}

/// A download whose reply headers have arrived; the body is read from [`Download::bytes`].
pub struct Download {
    /// `Content-Type` of the file.
    pub content_type: String,
    /// The file name from `Content-Disposition`, when the server sent one.
    pub file_name: Option<String>,
    /// The body, chunk by chunk. A transport failure part-way arrives as an error item.
    pub bytes: BoxStream<'static, Result<Bytes>>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("content_type", &self.content_type)
            .field("file_name", &self.file_name)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// Copies the body to `out` as it arrives and flushes it; returns the bytes written.
    pub async fn write_to<W: AsyncWrite + Unpin + ?Sized>(mut self, out: &mut W) -> Result<u64> {
        let mut written = 0u64;
        // A failure of `out` itself, after `written` bytes went through.
        let cannot_write = |written, e: std::io::Error| ClientError::Export {
            written,
            message: format!("cannot write: {e}"),
        };
        while let Some(chunk) = self.bytes.next().await {
            let chunk = chunk.map_err(|e| ClientError::Export {
                written,
                message: e.to_string(),
            })?;
            out.write_all(&chunk)
                .await
                .map_err(|e| cannot_write(written, e))?;
            written += chunk.len() as u64;
        }
        out.flush().await.map_err(|e| cannot_write(written, e))?;
        Ok(written)
    }
}

fn file_name(disposition: &str) -> Option<String> {
    let (_, rest) = disposition.split_once("filename=")?;
    let name = rest.split(';').next()?.trim().trim_matches('"');
    (!name.is_empty()).then(|| name.to_owned())
}

impl Client {
    /// Sends a download request; an error envelope (JSON instead of a file, even with 200)
    /// becomes an error before any byte is handed out.
    pub(crate) async fn download(&self, call: Call<'_>) -> Result<Download> {
        let url = self.url(&call.path);
        let call = Call {
            streaming: true,
            ..call
        };
        let resp = self.execute(&call).await?;
        let ct = content_type(resp.headers());
        if ct.starts_with("application/json") || ct.contains("+json") {
            // Keepnet's UI checks for exactly this: an error delivered as a JSON blob.
            let body = read_body(resp, &url).await?;
            envelope_data(&body, &url)?;
            return Err(ClientError::Decode {
                url,
                message: "expected a file, got a JSON reply".to_owned(),
            });
        }
        let file_name = resp
            .headers()
            .get(CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(file_name);
        let stream_url = url.clone();
        let bytes = resp
            .bytes_stream()
            .map(move |r| r.map_err(|e| ClientError::transport(&stream_url, &e)))
            .boxed();
        Ok(Download {
            content_type: ct,
            file_name,
            bytes,
        })
    }

    /// A download request for `path`: `body` completed with [`full_body`], one page unless it
    /// asks for every page, and the export options as query parameters.
    pub(crate) fn export_call<'a>(
        &self,
        path: &str,
        scope: Option<&'a str>,
        body: SearchRequest,
        options: &ExportOptions,
    ) -> Result<Call<'a>> {
        let mut body = full_body(body, self.inner.page_size);
        body.report_all_pages.get_or_insert(false);
        let mut call = Call::read_post(path).scope(scope).json(&body)?;
        if let Some(bom) = options.csv_bom {
            call.query.push(("bom", bom.to_string()));
        }
        Ok(call)
    }

    /// `POST /api/target-users/search/export`: starts the download of the users a search
    /// selects (`exportType` `CSV`, `Excel` or `PDF`; `reportAllPages: true` for every match,
    /// else the requested page — the default, as in the API).
    pub async fn download_target_users(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
        options: &ExportOptions,
    ) -> Result<Download> {
        let call = self.export_call("/api/target-users/search/export", scope, body, options)?;
        self.download(call).await
    }

    /// [`Self::download_target_users`] written to `out`; returns the bytes written.
    pub async fn export_target_users<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        scope: Option<&str>,
        body: SearchRequest,
        out: &mut W,
    ) -> Result<u64> {
        self.download_target_users(scope, body, &ExportOptions::default())
            .await?
            .write_to(out)
            .await
    }

    /// `POST /api/companies/search/export` (Reseller): starts the download of the companies a
    /// search selects.
    pub async fn download_companies(
        &self,
        body: SearchRequest,
        options: &ExportOptions,
    ) -> Result<Download> {
        let call = self.export_call("/api/companies/search/export", None, body, options)?;
        self.download(call).await
    }

    /// [`Self::download_companies`] written to `out`; returns the bytes written.
    pub async fn export_companies<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        body: SearchRequest,
        out: &mut W,
    ) -> Result<u64> {
        self.download_companies(body, &ExportOptions::default())
            .await?
            .write_to(out)
            .await
    }

    /// `POST /api/target-users/example-file`: the import template (`Excel` or `CSV`) written
    /// to `out`.
    pub async fn example_file<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        scope: Option<&str>,
        export_type: &str,
        out: &mut W,
    ) -> Result<u64> {
        let call = Call::read_post("/api/target-users/example-file")
            .scope(scope)
            .json(&serde_json::json!({ "exportType": export_type }))?;
        self.download(call).await?.write_to(out).await
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names() {
        assert_eq!(
            file_name("attachment; filename=\"Target Users.csv\"").as_deref(),
            Some("Target Users.csv")
        );
        assert_eq!(
            file_name("attachment; filename=a.xlsx; x=1").as_deref(),
            Some("a.xlsx")
        );
        assert_eq!(file_name("inline"), None);
    }
}
