//! What every handler shares.

use std::sync::Arc;

use rollcall_store::SqlStore;

use crate::config::Config;
use crate::export::fonts::PdfFonts;
use crate::hasher::SecretHasher;
use crate::keys::Keyring;
use crate::metrics::Metrics;
use crate::ratelimit::Limiters;
use crate::token_guard::TokenGuard;

/// Shared state of every handler: one reference-counted [`Shared`], so that each request's
/// copies (every extractor and middleware layer takes one) are one counter, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Clone)]
pub struct Shared {
    /// Persistence.
    pub store: Arc<SqlStore>,
    /// Token signing keys.
    pub keys: Arc<Keyring>,
    /// The pool that checks and hashes client secrets.
    pub hasher: Arc<SecretHasher>,
    /// Budgets of failed token requests.
    pub token_guard: Arc<TokenGuard>,
    /// Settings.
    pub config: Arc<Config>,
    /// A valid argon2 hash to verify unknown client ids against (equal timing).
    pub dummy_hash: Arc<str>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Fonts of PDF exports, loaded once.
    pub pdf_fonts: Arc<PdfFonts>,
    /// Request budgets per client, when a rate limit is set.
    pub limits: Option<Arc<Limiters>>,
    /// The imports this process runs.
    pub jobs: Arc<crate::import::jobs::Jobs>,
    /// Clients and companies read in the last second (`auth::lookups`).
    pub lookups: crate::auth::lookups::Lookups,
    /// `store` reads from the read replica (`crate::replica::reading`): what it reads may lag
    /// behind other clients' writes, so it is not kept in `lookups`.
    pub on_replica: bool,
}
