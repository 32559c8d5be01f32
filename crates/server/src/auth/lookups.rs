//! What `/api` requests read before their handler runs (the caller's client with its company,
//! and the company a request names), kept for one second in each replica (issue #17: a count
//! summary made four statements, three of them these). A client or company made
//! inactive or deleted through another replica stops within that second; the replica that made
//! the change forgets what it kept when the change is written (docs/architecture.md).

use std::time::Duration;

use moka::sync::Cache;
use rollcall_store::{ApiClient, Company};

/// How long a replica trusts a client or company it read.
pub const KEEP_FOR: Duration = Duration::from_secs(1);

/// Most entries of each kind kept: far more than the clients active in one second.
const MOST: u64 = 100_000;

/// A client as `Caller` read it: the client, its company (`None` when missing), and the
/// inactive company at or above it that switches it off, if any.
#[derive(Debug, Clone)]
pub struct CallerRow {
    pub client: ApiClient,
    pub company: Option<Company>,
    pub off: Option<Company>,
}

/// The replica's short-lived copies, keyed by the client's and the company's resourceId.
#[derive(Clone)]
pub struct Lookups {
    callers: Cache<String, CallerRow>,
    companies: Cache<String, Company>,
}

impl Default for Lookups {
    fn default() -> Self {
        Lookups {
            callers: Cache::builder()
                .max_capacity(MOST)
                .time_to_live(KEEP_FOR)
                .build(),
            companies: Cache::builder()
                .max_capacity(MOST)
                .time_to_live(KEEP_FOR)
                .build(),
        }
    }
}

impl Lookups {
    /// The client `resource_id` as read less than [`KEEP_FOR`] ago.
    pub fn caller(&self, resource_id: &str) -> Option<CallerRow> {
        self.callers.get(resource_id)
    }

    pub fn keep_caller(&self, resource_id: &str, row: CallerRow) {
        self.callers.insert(resource_id.to_owned(), row);
    }

    /// The company `resource_id` as read less than [`KEEP_FOR`] ago.
    pub fn company(&self, resource_id: &str) -> Option<Company> {
        self.companies.get(resource_id)
    }

    pub fn keep_company(&self, resource_id: &str, company: Company) {
        self.companies.insert(resource_id.to_owned(), company);
    }

    /// Forgets every copy: called after each write to a client or a company, so that the
    /// replica that wrote it acts on the change from its next request.
    pub fn forget(&self) {
        self.callers.invalidate_all();
        self.companies.invalidate_all();
    }
}
