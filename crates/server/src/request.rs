//! What identifies the request being served, for the code that answers it and for its log line.
//!
//! [`crate::middleware::observe`] picks the id and runs the rest of the request inside
//! [`with_id`], so that an error built anywhere below can name it (a 500's message does).

use std::future::Future;
use std::sync::{Arc, Mutex};

tokio::task_local! {
    static CURRENT_ID: String;
}

/// The request id of a request, in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Runs `fut` as the request `id`.
pub async fn with_id<F: Future>(id: String, fut: F) -> F::Output {
    CURRENT_ID.scope(id, fut).await
}

/// The id of the request being served, when there is one (the metrics listener and background
/// tasks have none).
pub fn current_id() -> Option<String> {
    CURRENT_ID.try_with(Clone::clone).ok()
}

/// Who a request acted as, filled in by the auth extractor and the scope resolver, read by the
/// request log.
#[derive(Debug, Clone, Default)]
pub struct RequestContext(Arc<Mutex<ContextFields>>);

#[derive(Debug, Default)]
struct ContextFields {
    client_id: Option<String>,
    company: Option<String>,
}

impl RequestContext {
    /// Records the authenticated client.
    pub fn set_client(&self, client_id: &str, company: &str) {
        if let Ok(mut f) = self.0.lock() {
            f.client_id = Some(client_id.to_owned());
            f.company = Some(company.to_owned());
        }
    }

    /// Records the company the request is scoped to.
    pub fn set_company(&self, company: &str) {
        if let Ok(mut f) = self.0.lock() {
            f.company = Some(company.to_owned());
        }
    }

    /// The client id and company recorded, empty when none was.
    pub fn take(&self) -> (String, String) {
        self.0
            .lock()
            .map(|f| {
                (
                    f.client_id.clone().unwrap_or_default(),
                    f.company.clone().unwrap_or_default(),
                )
            })
            .unwrap_or_default()
    }
}
