//! Page numbers and sizes, as Keepnet's search bodies carry them.

use axum::Json;
use rollcall_store::query::{parse_filter_in, parse_order, FilterContext};
use rollcall_store::{Company, Fields, SearchSpec};
use rollcall_types::time::DisplayFormat;
use rollcall_types::{Envelope, Paged, SearchRequest};

use crate::error::ApiError;

/// Default page size (Keepnet's UI default).
pub const DEFAULT_PAGE_SIZE: i64 = 10;
/// Largest page number accepted; keeps offsets far from overflow.
const MAX_PAGE_NUMBER: i64 = 10_000_000;

/// A validated page window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1-based page.
    pub number: i64,
    /// Rows per page.
    pub size: i64,
}

impl Paging {
    /// Reads `pageNumber`/`pageSize` (defaults 1 and 10), refusing values outside
    /// `1..=max_page_size` with a message that gives the range.
    pub fn from_request(req: &SearchRequest, max_page_size: i64) -> Result<Self, ApiError> {
        let number = req.page_number.unwrap_or(1);
        let size = req.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let mut problems = Vec::new();
        if !(1..=MAX_PAGE_NUMBER).contains(&number) {
            problems.push(format!(
                "pageNumber must be between 1 and {MAX_PAGE_NUMBER} (got {number})"
            ));
        }
        if !(1..=max_page_size).contains(&size) {
            problems.push(format!(
                "pageSize must be between 1 and {max_page_size} (got {size})"
            ));
        }
        if !problems.is_empty() {
            return Err(ApiError::validation(problems));
        }
        Ok(Self { number, size })
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        (self.number - 1) * self.size
    }

    /// The reply of a search: `rows`, this window of `total` matches, in the success envelope.
    pub fn reply<T>(&self, total: i64, rows: Vec<T>) -> Json<Envelope<Paged<T>>> {
        Json(Envelope::success(Paged::new(
            self.number,
            self.size,
            total,
            rows,
        )))
    }
}

/// The display format of the company a request is scoped to (its `dateFormat` and
/// `timeFormat`), read on its clock (its `timeZoneId`, a Windows id or an IANA name): Keepnet's
/// UI writes date filter values in it as its people read them (CONTRACT.md, rulings of
/// 2026-12-05; docs/api.md, "Dates in the company's format"). `None` when the company has no
/// format rollcall can read; UTC when it has no time zone, or one rollcall does not know
/// (stored before time zones were checked).
pub fn display_format(company: &Company) -> Option<DisplayFormat> {
    let f = &company.fields;
    let format = DisplayFormat::new(f.date_format.as_deref()?, f.time_format.as_deref())?;
    let zone = f
        .time_zone_id
        .as_deref()
        .and_then(rollcall_store::time_zones::resolve);
    Some(match zone {
        Some((_, tz)) => format.in_zone(tz),
        None => format,
    })
}

/// What a filter is read against: `now`, and the scoped company's display format with its time
/// zone (dates are read in ISO 8601 or in it).
pub fn filter_context(now_millis: i64, display: Option<&DisplayFormat>) -> FilterContext<'_> {
    FilterContext {
        now_millis,
        display,
    }
}

/// A search body read against one resource's fields, for a request scoped to `company`: its
/// filter (with `searchInputTextValue` over the fields it searches; dates in ISO 8601 or the
/// company's display format), its order (the catalogue's default when none, newest first
/// unless `ascending`; ties broken by the catalogue's unique column) and its page.
pub fn search_spec(
    req: &SearchRequest,
    max_page_size: i64,
    fields: &Fields<'_>,
    company: &Company,
) -> Result<(SearchSpec, Paging), ApiError> {
    let paging = Paging::from_request(req, max_page_size)?;
    let display = display_format(company);
    let ctx = filter_context(crate::time::now_millis(), display.as_ref());
    let parsed = parse_filter_in(req.filter.as_ref(), fields, &ctx)?;
    let order = parse_order(
        req.order_by.as_deref(),
        req.ascending.unwrap_or(false),
        fields,
    )?;
    Ok((
        SearchSpec {
            cond: parsed.cond,
            order,
            offset: paging.offset(),
            limit: paging.size,
        },
        paging,
    ))
}
