//! The middleware stack, outermost first:
//!
//! 1. [`observe`]: request id (taken from `X-Request-Id` when it is sane, else generated, and
//!    returned on the response), one log line per request (request id, method, route template,
//!    status, latency, client id and company, never headers or bodies, so no secret or token
//!    is logged) and the request metrics, labelled by route template rather than raw URI.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// The request id of a request, in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

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

    fn take(&self) -> (String, String) {
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

fn sane_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?.trim();
    (!s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()))
        .then(|| s.to_owned())
}

/// Request id, access log line and request metrics.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(sane_request_id)
        .unwrap_or_else(rollcall_store::new_resource_id);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().clone();
    let ctx = RequestContext::default();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(ctx.clone());

    let mut resp = next.run(req).await;

    let status = resp.status().as_u16();
    let latency = started.elapsed();
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    let (client_id, company) = ctx.take();
    tracing::info!(
        target: "rollcall::request",
        request_id = %id,
        method = %method,
        route = %route,
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
        client_id = %client_id,
        company = %company,
        "request"
    );
    let m = &state.metrics;
    m.requests
        .with_label_values(&[method.as_str(), &route, &status.to_string()])
        .inc();
    m.latency
        .with_label_values(&[method.as_str(), &route])
        .observe(latency.as_secs_f64());
    resp
}
