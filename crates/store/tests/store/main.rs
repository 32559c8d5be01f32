//! The store on its own: filters, ordering and paging, counters, export cursors, bulk delete,
//! the company tree and client look-ups, on SQLite and on PostgreSQL, with no HTTP server and
//! no secret hashing. Expected results are computed in Rust from the rows each test inserts.

// The one place the suite names the store's API: when the trait is split into per-aggregate
// traits, only this line changes.
use rollcall_store::*;

#[macro_use]
mod engines;
mod fixtures;
mod languages;

mod allow_list;
mod clients;
mod companies;
mod counters;
mod custom_search;
mod exports;
mod filters;
mod imports;
mod paging;
mod search_paths;
mod target_groups;
mod target_users;
