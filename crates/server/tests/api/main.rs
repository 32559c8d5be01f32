//! The server's behaviour through HTTP, on SQLite and PostgreSQL. One test binary for every
//! module: each extra binary would link the whole server again (time and disk in CI).

#[macro_use]
extern crate rollcall_testkit;

mod allow_list;
mod audit;
mod common;
mod companies;
mod control_chars;
mod exports;
mod file_modes;
mod headers;
mod openapi;
mod operations;
mod rate_limits;
mod restart;
mod roles;
mod scope;
mod signing_keys;
mod slow_clients;
mod smoke;
mod target_users_crud;
mod target_users_filters;
mod target_users_props;
mod target_users_scope;
mod token;
mod token_limits;
