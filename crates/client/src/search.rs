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
    Filter {
        search_input_text_value: Some(String::new()),
        condition: Some("AND".to_owned()),
        filter_groups: Some(vec![
            FilterGroup {
                condition: Some("AND".to_owned()),
                filter_items: Some(Vec::new()),
                filter_groups: Some(Vec::new()),
            },
            FilterGroup {
                condition: Some("OR".to_owned()),
                filter_items: Some(Vec::new()),
                filter_groups: Some(Vec::new()),
            },
        ]),
    }
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
    let call = Call::read_post(path).scope(scope).json(body)?;
    let mut v = client.data_value(&call).await?;
    if let (Some(patch), Some(rows)) = (patch, v.get_mut("results").and_then(Value::as_array_mut)) {
        rows.iter_mut().for_each(patch);
    }
    decode(v, &client.url(path))
}

/// A page request started ahead of time: the page number and the task fetching it (aborted
/// when the stream is dropped).
type Ahead<T> = (i64, AbortOnDropHandle<Result<Paged<T>>>);

struct PageState<T> {
    client: Client,
    path: &'static str,
    scope: Option<String>,
    body: SearchRequest,
    next: Option<i64>,
    ahead: Option<Ahead<T>>,
    patch: Option<RowPatch>,
}

impl<T: DeserializeOwned + Send + 'static> PageState<T> {
    /// Starts fetching page `n` on its own task, so that it travels while the caller works
    /// through the page before it.
    fn fetch_ahead(&self, n: i64) -> Ahead<T> {
        let (client, path, scope, patch) = (
            self.client.clone(),
            self.path,
            self.scope.clone(),
            self.patch,
        );
        let body = SearchRequest {
            page_number: Some(n),
            ..self.body.clone()
        };
        let task =
            tokio::spawn(async move { page(&client, path, scope.as_deref(), &body, patch).await });
        (n, AbortOnDropHandle::new(task))
    }
}

/// Every row of a search, page after page, until `totalNumberOfPages` (or an empty page).
/// Each page request carries the company scope. While the rows of one page are handed out, the
/// next page is already being fetched (one request ahead, never more), so a long listing costs
/// about one round trip per page instead of two waits.
pub(crate) fn all_pages<T: DeserializeOwned + Send + 'static>(
    client: &Client,
    path: &'static str,
    scope: Option<&str>,
    body: SearchRequest,
    patch: Option<RowPatch>,
) -> BoxStream<'static, Result<T>> {
    let body = full_body(body, client.inner.page_size);
    let state = PageState {
        client: client.clone(),
        path,
        scope: scope.map(str::to_owned),
        next: body.page_number,
        ahead: None,
        body,
        patch,
    };
    stream::try_unfold(state, |mut st| async move {
        let (n, page): (i64, Paged<T>) = match st.ahead.take() {
            Some((n, task)) => {
                let fetched = task.await.map_err(|e| ClientError::Decode {
                    url: st.client.url(st.path),
                    message: format!("the request for page {n} stopped: {e}"),
                })?;
                (n, fetched?)
            }
            None => {
                let Some(n) = st.next.take() else {
                    return Ok(None);
                };
                st.body.page_number = Some(n);
                let fetched =
                    page(&st.client, st.path, st.scope.as_deref(), &st.body, st.patch).await?;
                (n, fetched)
            }
        };
        if !page.results.is_empty() && n < page.total_number_of_pages {
            st.ahead = Some(st.fetch_ahead(n + 1));
        }
        Ok(Some((page.results, st)))
    })
    .map_ok(|rows| stream::iter(rows.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_types::FilterItem;
    use serde_json::json;

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
