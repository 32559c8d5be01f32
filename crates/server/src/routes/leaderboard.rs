//! `POST /api/leaderboard/get-all`: Keepnet's agent looks users up here first and stops on a 404
//! before its target-user search fallback (REFERENCE.md I). rollcall records no simulations or
//! training, so the leaderboard is the target users its filter selects, through the target-user
//! search itself, with every activity figure 0.

use axum::extract::State;
use axum::Json;
use rollcall_types::catalog::{LeaderboardRequest, LeaderboardRowDto};
use rollcall_types::{Envelope, Paged, SearchRequest};

use crate::error::ApiResult;
use crate::extract::KJson;
use crate::routes::target_users::{search_view, target_user_search};
use crate::scope::{Read, Scoped};
use crate::state::AppState;

/// The leaderboard's own sort keys, which every row ties on (all zero): they sort as the
/// target-user search does by default.
const ACTIVITY_ORDERS: &[&str] = &["rank", "points", "performance"];

/// The target-user search a leaderboard request means: its filter, and its paging from
/// `pagination` (Keepnet's spec) or the top level (the other searches' habit).
fn as_search(req: LeaderboardRequest) -> SearchRequest {
    let paging = req.pagination.unwrap_or(req.paging);
    let order_by = paging.order_by.filter(|o| {
        !ACTIVITY_ORDERS
            .iter()
            .any(|a| a.eq_ignore_ascii_case(o.trim()))
    });
    SearchRequest {
        filter: req.filter,
        page_number: paging.page_number,
        page_size: paging.page_size,
        order_by,
        ascending: paging.ascending,
        ..Default::default()
    }
}

// `POST /api/leaderboard/get-all` (rulings in docs/api.md, "Leaderboard").
/// Get the leaderboard
///
/// One page of the company's target users that `filter` selects (the target-user search's fields
/// and operators: `Email`, `Department`, `ResourceId`...), as leaderboard rows. rollcall records no
/// simulations or training, so every row's `points` and `performance` are 0 and `rank` is the row's
/// position in the result, from 1 across pages; `orderBy` `rank`, `points` or `performance` sorts
/// as the target-user search does by default. Paging comes from `pagination` or, as in other
/// searches, from the top level (`pagination` wins); `datePeriod`, `startDate` and `endDate` are
/// accepted and change nothing. An unknown field or operator is 400 naming the valid ones. Reseller
/// or Company Admin, in the company named by `X-KEEPNET-Company-Id` (a Reseller: its own or any
/// below it; a Company Admin: its own) or, without it, the caller's own.
#[utoipa::path(
    post, path = "/api/leaderboard/get-all", operation_id = "getLeaderboard", tag = "Leaderboard", params(crate::openapi::Scope),
    request_body = LeaderboardRequest,
    responses((status = 200, description = "One page of the target users the filter selects, in the leaderboard's row shape, with no activity", body = Envelope<Paged<LeaderboardRowDto>>), crate::openapi::ApiErrors)
)]
pub async fn get_all(
    State(state): State<AppState>,
    Scoped { company, .. }: Scoped<Read>,
    KJson(req): KJson<LeaderboardRequest>,
) -> ApiResult<Json<Envelope<Paged<LeaderboardRowDto>>>> {
    let (spec, paging, _) = target_user_search(&state, &as_search(req), &company).await?;
    let (total, users) = state.store.search_target_users(company.id, &spec).await?;
    let first_rank = paging.offset() + 1;
    let rows = users
        .iter()
        .map(search_view)
        .zip(first_rank..)
        .map(|(v, rank)| LeaderboardRowDto {
            rank,
            target_user_resource_id: v.resource_id,
            first_name: v.first_name,
            email: v.email,
            last_name: v.last_name,
            department: v.department,
            preferred_language: v.preferred_language,
            phone_number: v.phone_number,
            points: 0,
            performance: 0.0,
            total_row_count: total,
        })
        .collect();
    Ok(paging.reply(total, rows))
}
