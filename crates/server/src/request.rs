//! What identifies the request being served, for the code that answers it.
//!
//! [`crate::middleware::observe`] picks the id and runs the rest of the request inside
//! [`with_id`], so that an error built anywhere below can name it (a 500's message does).

use std::future::Future;

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
