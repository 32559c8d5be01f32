//! The `rollcall` binary against real servers (the client library's own tests are in
//! `crates/client/tests`). One test binary for every module, so the server is linked once.

#[macro_use]
extern crate rollcall_testkit;

mod audit;
mod big_export;
mod bulk_delete;
mod clients;
mod common;
mod companies;
mod export_flags;
mod faults;
mod groups;
mod import;
mod import_kill;
mod listing;
mod manual;
mod operator;
mod pipes;
mod profiles;
mod replicas;
mod security;
mod serve_config;
mod soak;
mod terminal;
mod token_cache;
mod users;
mod walkthrough;
