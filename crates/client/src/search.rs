//! Search bodies and paging.
//!
//! Keepnet's docs warn that `filter: null`, a missing `orderBy` or an empty body can give 400 or
//! 500, and that `searchInputTextValue` must be `""`, never null. So every search this client
//! sends is complete: [`full_body`] fills in whatever the caller left out with what Keepnet's own
//! web UI sends.

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use rollcall_types::{Filter, FilterGroup, Paged, SearchRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

use tokio_util::task::AbortOnDropHandle;

use crate::client::{decode, Call, Client};
use crate::error::{ClientError, Result};

/// The filter Keepnet's web UI sends when nothing is filtered: an `AND` group for column filters
/// and an `OR` group for free-text search, both empty (an empty group matches everything).
pub fn empty_filter() -> Filter {
    Filter::and_or(Vec::new(), Vec::new())
}

fn complete_group(g: &mut FilterGroup) {
    g.condition.get_or_insert_with(|| "AND".to_owned());
    g.filter_items.get_or_insert_with(Vec::new);
    for sub in g.filter_groups.get_or_insert_with(Vec::new) {
        complete_group(sub);
    }
}

/// `body` with every field Keepnet expects present: a non-null filter (with `condition`,
/// `searchInputTextValue: ""` and `filterGroups`), `pageNumber` (1), `pageSize`
/// (`default_page_size`), `orderBy` (`CreateTime`) and `ascending` (false). Fields the caller
/// set are kept.
pub fn full_body(mut body: SearchRequest, default_page_size: i64) -> SearchRequest {
    let filter = body.filter.get_or_insert_with(empty_filter);
    filter.condition.get_or_insert_with(|| "AND".to_owned());
    filter
        .search_input_text_value
        .get_or_insert_with(String::new);
    for g in filter.filter_groups.get_or_insert_with(Vec::new) {
        complete_group(g);
    }
    body.page_number.get_or_insert(1);
    body.page_size.get_or_insert(default_page_size);
    body.order_by.get_or_insert_with(|| "CreateTime".to_owned());
    body.ascending.get_or_insert(false);
    body
}

/// Fixes up one row of a page before it is decoded (e.g. company id spellings).
pub(crate) type RowPatch = fn(&mut Value);

/// A page of `path`, decoded as `Paged<T>`.
pub(crate) async fn page<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    scope: Option<&str>,
    body: &SearchRequest,
    patch: Option<RowPatch>,
) -> Result<Paged<T>> {
    let v = page_value(client, path, scope, body, patch).await?;
    decode(v, &client.url(path))
}

/// A page of `path` as JSON, each row fixed up by `patch`: [`page`] before decoding, for
/// callers that adjust the page itself too.
pub(crate) async fn page_value(
    client: &Client,
    path: &str,
    scope: Option<&str>,
    body: &SearchRequest,
    patch: Option<RowPatch>,
) -> Result<Value> {
    let call = Call::read_post(path).scope(scope).json(body)?;
    let mut v = client.data_value(&call).await?;
    if let (Some(patch), Some(rows)) = (patch, v.get_mut("results").and_then(Value::as_array_mut)) {
        rows.iter_mut().for_each(patch);
    }
    Ok(v)
}

/// A page request started ahead of time: the page number and the task fetching it (aborted
/// when the stream is dropped).
type Ahead<T> = (i64, AbortOnDropHandle<Result<Paged<T>>>);

struct PageState<T> {
    client: Client,
    path: std::sync::Arc<str>,
    scope: Option<String>,
    body: SearchRequest,
    next: Option<i64>,
    ahead: Option<Ahead<T>>,
    patch: Option<RowPatch>,
    /// Rows received so far, and how many the caller will read at most: no page is requested
    /// once the rows received cover that.
    received: usize,
    max_rows: usize,
}

impl<T: DeserializeOwned + Send + 'static> PageState<T> {
    /// Starts fetching page `n` on its own task, so that it travels while the caller works
    /// through the page before it.
    fn fetch_ahead(&self, n: i64) -> Ahead<T> {
        let (client, path, scope, patch) = (
            self.client.clone(),
            self.path.clone(),
            self.scope.clone(),
            self.patch,
        );
        let body = SearchRequest {
            page_number: Some(n),
            ..self.body.clone()
        };
        let task =
            tokio::spawn(async move { page(&client, &path, scope.as_deref(), &body, patch).await });
        (n, AbortOnDropHandle::new(task))
    }
}

/// Every row of a search, page after page, until `totalNumberOfPages` (or an empty page), at
/// most `max_rows` of them (`usize::MAX`: all). Each page request carries the company scope.
/// While the rows of one page are handed out, the next page is already being fetched (one
/// request ahead, never more), so a long listing costs about one round trip per page instead
/// of two waits; but no page is requested once the rows received reach `max_rows`, so a capped
/// listing never costs the server a page it will not read.
pub(crate) fn all_pages<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    path: impl Into<std::sync::Arc<str>>,
    scope: Option<&str>,
    body: SearchRequest,
    patch: Option<RowPatch>,
    max_rows: usize,
) -> BoxStream<'static, Result<T>> {
    let body = full_body(body, client.inner.page_size);
    let state = PageState {
        client: client.clone(),
        path: path.into(),
        scope: scope.map(str::to_owned),
        next: if max_rows == 0 {
            None
        } else {
            body.page_number
        },
        ahead: None,
        body,
        patch,
        received: 0,
        max_rows,
    };
    stream::try_unfold(state, |mut st| async move {
        let (n, page): (i64, Paged<T>) = match st.ahead.take() {
            Some((n, task)) => match task.await {
                Ok(fetched) => (n, fetched?),
                // A panic in the fetch is a bug: it goes on unwinding in the caller.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => {
                    return Err(ClientError::Decode {
                        url: st.client.url(&st.path),
                        message: format!("the request for page {n} stopped: {e}"),
                    })
                }
            },
            None => {
                let Some(n) = st.next.take() else {
                    return Ok(None);
                };
                st.body.page_number = Some(n);
                let fetched = page(
                    &st.client,
                    &st.path,
                    st.scope.as_deref(),
                    &st.body,
                    st.patch,
                )
                .await?;
                (n, fetched)
            }
        };
        st.received = st.received.saturating_add(page.results.len());
        if !page.results.is_empty() && n < page.total_number_of_pages && st.received < st.max_rows {
            st.ahead = Some(st.fetch_ahead(n + 1));
        }
        Ok(Some((page.results, st)))
    })
    .map_ok(|rows| stream::iter(rows.into_iter().map(Ok)))
    .try_flatten()
    .take(max_rows)
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_types::target_user::TargetUserSearchView;
    use rollcall_types::FilterItem;
    use serde_json::json;

    /// A server with two users, one per page, and a token for anyone.
    async fn two_pages() -> (String, tokio::sync::oneshot::Sender<()>) {
        async fn handle(uri: axum::http::Uri, body: axum::body::Bytes) -> axum::Json<Value> {
            if uri.path() == "/connect/token" {
                return axum::Json(
                    json!({"access_token": "t", "token_type": "Bearer", "expires_in": 3600}),
                );
            }
            let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let n = req["pageNumber"].as_i64().unwrap_or(1);
            let row = json!({
                "resourceId": format!("user{n:08}"), "email": format!("u{n}@x.test"),
                "priority": "Medium", "status": "Active", "customFieldValues": [],
                "createTime": "2026-01-01T00:00:00Z", "isEditable": true, "isDeleted": false
            });
            axum::Json(
                json!({"data": {"pageNumber": n, "pageSize": 1, "totalNumberOfPages": 2,
                "totalNumberOfRecords": 2, "results": [row]}, "status": "SUCCESS", "isSuccess": true}),
            )
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new().fallback(handle);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        (format!("http://{addr}"), tx)
    }

    /// Panics on page 2's row, which is fetched ahead on its own task.
    fn panic_on_page_2(row: &mut Value) {
        if row["email"] == "u2@x.test" {
            panic!("the row patch panicked on page 2");
        }
    }

    #[tokio::test]
    async fn a_panic_while_fetching_ahead_unwinds_in_the_caller() {
        use futures::FutureExt;
        let (base, _stop) = two_pages().await;
        let client = Client::builder(base)
            .credentials("id", "secret")
            .build()
            .expect("client");
        let rows = all_pages::<TargetUserSearchView>(
            &client,
            "/api/target-users/search",
            None,
            SearchRequest::default(),
            Some(panic_on_page_2),
            usize::MAX,
        );
        let outcome = std::panic::AssertUnwindSafe(rows.try_collect::<Vec<_>>())
            .catch_unwind()
            .await;
        let payload = match outcome {
            Ok(result) => panic!("the panic came back as a value: {result:?}"),
            Err(payload) => payload,
        };
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert_eq!(message, "the row patch panicked on page 2");
    }

    #[test]
    fn an_empty_body_becomes_a_full_one() {
        let b = full_body(SearchRequest::default(), 1000);
        let v = serde_json::to_value(&b).unwrap_or_default();
        assert_eq!(
            v,
            json!({
                "filter": {
                    "searchInputTextValue": "",
                    "condition": "AND",
                    "filterGroups": [
                        {"condition": "AND", "filterItems": [], "filterGroups": []},
                        {"condition": "OR", "filterItems": [], "filterGroups": []}
                    ]
                },
                "pageNumber": 1,
                "pageSize": 1000,
                "orderBy": "CreateTime",
                "ascending": false
            })
        );
    }

    #[test]
    fn caller_fields_are_kept_and_holes_filled() {
        let b = full_body(
            SearchRequest {
                filter: Some(Filter {
                    filter_groups: Some(vec![FilterGroup {
                        filter_items: Some(vec![FilterItem::new("Email", "Contains", "x")]),
                        ..FilterGroup::default()
                    }]),
                    ..Filter::default()
                }),
                page_size: Some(20),
                order_by: Some(String::new()),
                ascending: Some(true),
                ..SearchRequest::default()
            },
            1000,
        );
        let f = b.filter.clone().unwrap_or_default();
        assert_eq!(f.search_input_text_value.as_deref(), Some(""));
        assert_eq!(f.condition.as_deref(), Some("AND"));
        let g = &f.filter_groups.unwrap_or_default()[0];
        assert_eq!(g.condition.as_deref(), Some("AND"));
        assert_eq!(g.filter_groups, Some(vec![]));
        assert_eq!(b.page_size, Some(20));
        assert_eq!(b.order_by.as_deref(), Some(""));
        assert_eq!(b.ascending, Some(true));
        assert_eq!(b.page_number, Some(1));
    }
}
