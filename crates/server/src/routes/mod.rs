//! One module per resource.

pub mod allow_list;
pub mod audit_logs;
pub mod clients;
pub mod companies;
pub mod files;
pub mod lookups;
pub mod operations;
pub mod target_users;
