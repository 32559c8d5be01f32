//! The server's behaviour through HTTP, on SQLite and PostgreSQL. One test binary for every
//! module: each extra binary would link the whole server again (time and disk in CI).

#[macro_use]
extern crate rollcall_testkit;

mod allow_list;
mod audit;
mod common;
mod companies;
mod company_context;
mod company_ops;
mod control_chars;
mod custom_field_search;
mod custom_fields;
mod exports;
mod file_modes;
mod frame;
mod headers;
mod imports;
mod languages;
mod leaderboard;
mod lookups;
mod openapi;
mod openapi_examples;
mod operations;
mod privacy;
mod rate_limits;
mod replay;
mod replica;
mod restart;
mod roles;
mod routing;
mod scim_conformance;
mod scim_rules;
mod scim_service;
mod scim_settings;
mod scope;
mod search_box;
mod signing_keys;
mod slow_clients;
mod smoke;
mod system_roles;
mod target_groups;
mod target_users_crud;
mod target_users_filters;
mod target_users_props;
mod target_users_scope;
mod token;
mod token_limits;
