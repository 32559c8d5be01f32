//! One module per resource.

pub mod allow_list;
pub mod audit_logs;
pub mod clients;
pub mod companies;
pub mod company_ops;
pub mod custom_fields;
pub mod files;
pub mod frame;
pub mod leaderboard;
pub mod lookups;
pub mod operations;
pub mod roles;
pub mod target_groups;
pub mod target_users;
