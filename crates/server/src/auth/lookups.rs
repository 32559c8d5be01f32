//! What `/api` requests read before their handler runs (the caller's client with its company,
//! and the company a request names), and what a search of a company's users reads of the
//! company (its custom fields, and whether it has groups, SCIM integrations and verified
//! domains), kept for one second in each replica (issue #17: a count summary made four
//! statements, three of them these; a first-page search six). A change made through another
//! replica shows within that second; the replica that made it forgets what it kept when the
//! change is written (docs/architecture.md).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use rollcall_store::{ApiClient, Company, CompanySetup, CustomField};

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

/// What a search of a company's users reads of the company besides the users.
#[derive(Debug, Clone, Default)]
pub struct CompanyContext {
    /// The company's custom field definitions, active or not.
    pub fields: Vec<CustomField>,
    /// Which extras of a user row can exist at all.
    pub setup: CompanySetup,
}

/// The replica's short-lived copies, keyed by the client's and the company's resourceId (and a
/// company's context by its internal id).
#[derive(Clone)]
pub struct Lookups {
    callers: Cache<String, CallerRow>,
    companies: Cache<String, Company>,
    /// Each with the era it was read in: only the current era's are used.
    contexts: Cache<i64, (u64, Arc<CompanyContext>)>,
    /// Bumped by every forgetting of contexts, so that a context read before a write and
    /// stored after it is not used.
    context_era: Arc<AtomicU64>,
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
            contexts: Cache::builder()
                .max_capacity(MOST)
                .time_to_live(KEEP_FOR)
                .build(),
            context_era: Arc::new(AtomicU64::new(0)),
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
        self.forget_contexts();
    }

    /// The context of company `company_id` as read less than [`KEEP_FOR`] ago, with the era to
    /// hand back to [`Lookups::keep_context`] when it has to be read.
    pub fn context(&self, company_id: i64) -> (Option<Arc<CompanyContext>>, u64) {
        let era = self.context_era.load(Ordering::Acquire);
        let kept = self
            .contexts
            .get(&company_id)
            .filter(|(read_in, _)| *read_in == era)
            .map(|(_, context)| context);
        (kept, era)
    }

    /// Keeps a context read from the primary in era `era`; one stored after a later write is
    /// never used (its era is past).
    pub fn keep_context(&self, company_id: i64, era: u64, context: Arc<CompanyContext>) {
        if self.context_era.load(Ordering::Acquire) == era {
            self.contexts.insert(company_id, (era, context));
        }
    }

    /// Forgets every company's context: called after every request that wrote, whatever it
    /// wrote (a group, a custom field, a domain's verification, a SCIM integration).
    pub fn forget_contexts(&self) {
        self.context_era.fetch_add(1, Ordering::AcqRel);
        self.contexts.invalidate_all();
    }
}
