//! Health checks and metrics, without a token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use rollcall_types::Envelope;

use crate::state::AppState;

// `GET /health/live`.
/// Liveness check
///
/// Answers 200 while the process is up. Needs no token.
#[utoipa::path(
    get, path = "/health/live", operation_id = "healthLive", tag = "Operations", security(()),
    responses((status = 200, description = "The process is up", body = Envelope<String>)))]
pub async fn health_live() -> Json<Envelope<&'static str>> {
    Json(Envelope::success("live"))
}

// `GET /health/ready`.
/// Readiness check
///
/// Answers 200 when the database answers, and 503 Service Unavailable with the error envelope
/// (status `INTERNAL_SERVER_ERROR`) when it does not, as load balancers and Kubernetes readiness
/// probes expect. A read replica that does not answer leaves the server ready, as the primary
/// serves its reads; `message` then says so and what the replica's last check found. Needs no
/// token.
#[utoipa::path(
    get, path = "/health/ready", operation_id = "healthReady", tag = "Operations", security(()),
    responses(
        (status = 200, description = "The database answers", body = Envelope<String>),
        (status = 503, description = "The database does not answer (envelope status `INTERNAL_SERVER_ERROR`)", body = crate::openapi::ErrorEnvelope),
    ))]
pub async fn health_ready(State(state): State<AppState>) -> axum::response::Response {
    match state.store.ping().await {
        Ok(()) => Json(match state.store.read_replica_status() {
            None => Envelope::success("ready"),
            Some(r) if r.up => Envelope::done(
                "ready",
                format!(
                    "The read replica answers{}.",
                    r.lag_bytes
                        .map(|lag| format!(" ({lag} bytes of WAL behind the primary)"))
                        .unwrap_or_default()
                ),
            ),
            Some(r) => Envelope::done(
                "ready",
                format!(
                    "The read replica is unavailable, so the primary serves every read: {}",
                    r.problem.as_deref().unwrap_or("no check has answered yet")
                ),
            ),
        })
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            let body: Envelope<()> = Envelope::error(
                rollcall_types::ResultStatus::InternalServerError,
                "The database does not answer; the server is not ready.".into(),
                None,
            );
            (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    m.secret_check_threads
        .set(i64::try_from(state.hasher.workers()).unwrap_or(i64::MAX));
    m.secret_checks_waiting
        .set(i64::try_from(state.hasher.queued()).unwrap_or(i64::MAX));
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state
            .metrics
            .render(state.store.pool_stats(), state.store.read_replica_status()),
    )
}
