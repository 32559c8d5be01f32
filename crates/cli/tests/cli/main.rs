//! The `rollcall` binary and the client library against real servers. One test binary for
//! every module, so the server and client are linked once.

#[macro_use]
extern crate rollcall_testkit;

mod audit;
mod big_export;
mod client_api;
mod common;
mod companies;
mod faults;
mod replicas;
mod security;
mod serve_config;
mod terminal;
mod users;
mod walkthrough;
