//! One module per resource.

pub mod audit_logs;
pub mod clients;
pub mod companies;
pub mod exports;
pub mod lookups;
pub mod target_users;
