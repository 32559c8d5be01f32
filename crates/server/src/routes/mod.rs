//! One module per resource.

pub mod clients;
pub mod companies;
pub mod lookups;
