//! Wire types shared by the rollcall server and client.
//!
//! Names follow Keepnet's API byte for byte, typos included (`licenceExpired`,
//! `totalNumberOfInActiveUsers`): a client written for Keepnet must read our replies unchanged.

pub mod allow_list;
pub mod audit;
pub mod casing;
pub mod catalog;
pub mod company;
pub mod custom_field;
pub mod envelope;
pub mod filter;
pub mod ids;
pub mod import;
pub mod scim;
pub mod target_group;
pub mod target_user;
pub mod time;
pub mod token;

pub use envelope::{Envelope, IdResult, Paged, ResultStatus};
pub use filter::{Filter, FilterGroup, FilterItem, SearchRequest};
