//! Reads from the PostgreSQL read replica (`--database-read-url`): which requests use it, the
//! fallback to the primary, and the watch that keeps its state current. The rule itself (a
//! client reads the replica only once it has replayed the client's last write) lives in
//! `rollcall_store`'s `replica.rs`; the README ("Read replicas") is the operator's view.

use std::future::Future;
use std::time::Duration;

use rollcall_store::{ReplicaStatus, SqlStore};

use crate::auth::caller::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// How often each server checks its read replica (its replay position and that it answers).
pub const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Checks the replica once at start and logs what was found, so that a wrong URL shows at
/// once; a replica that is down does not stop the start (reads use the primary meanwhile).
pub async fn first_check(store: &SqlStore) {
    if let Some(status) = store.check_read_replica().await {
        log_change(None, &status);
    }
}

/// Checks the replica every [`WATCH_EVERY`] until aborted, logging when it goes down or
/// comes back.
pub fn spawn_watch(store: std::sync::Arc<SqlStore>) -> Option<tokio::task::JoinHandle<()>> {
    if !store.has_read_replica() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut last = store.read_replica_status();
        let mut tick = tokio::time::interval(WATCH_EVERY);
        loop {
            tick.tick().await;
            let now = store.check_read_replica().await;
            if let Some(now) = &now {
                log_change(last.as_ref(), now);
            }
            last = now;
        }
    }))
}

fn log_change(before: Option<&ReplicaStatus>, now: &ReplicaStatus) {
    if before.map(|b| b.up) == Some(now.up) {
        return;
    }
    if now.up {
        tracing::info!(
            lag_bytes = now.lag_bytes,
            "the read replica answers: searches, counts and exports read from it once it has replayed their client's writes"
        );
    } else {
        tracing::warn!(
            problem = now.problem.as_deref().unwrap_or_default(),
            "the read replica is unavailable; every read uses the primary until it answers again"
        );
    }
}

/// For a client shown that a background write finished (an import's job, committed with the
/// job's end): its next reads must see that write, so its mark moves to the primary's position
/// now, which is past the job's commit. Nothing without a read replica.
pub async fn saw_writes(state: &AppState, caller: &Caller) -> ApiResult<()> {
    if state.store.has_read_replica() {
        state.store.note_write(&caller.client.client_id).await?;
    }
    Ok(())
}

/// Runs the read `body` against the replica when the store may use it for `caller`
/// (`SqlStore::reads_for`), else against the primary. A server error on the replica
/// (it went away mid-read, or cancelled the query to replay WAL) checks the replica at once
/// and runs `body` again on the primary, so that the caller never sees the replica fail.
///
/// `body` gets the state whose `store` reads from the chosen database; writes through it still
/// reach the primary.
pub async fn reading<T, F, Fut>(state: &AppState, caller: &Caller, body: F) -> ApiResult<T>
where
    F: Fn(AppState) -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    if !state.store.has_read_replica() {
        return body(state.clone()).await;
    }
    if let Some(replica) = state.store.reads_for(&caller.client.client_id).await {
        let on_replica = AppState::new(crate::state::Shared {
            store: replica,
            on_replica: true,
            ..crate::state::Shared::clone(state)
        });
        match body(on_replica).await {
            Err(e) if e.status.http_status() >= 500 => {
                let status = state.store.check_read_replica().await;
                tracing::warn!(
                    error = %e.message,
                    replica_up = status.is_some_and(|s| s.up),
                    "a read failed on the read replica; running it again on the primary"
                );
                state.metrics.replica_fallbacks.inc();
            }
            done => {
                state.metrics.reads.with_label_values(&["replica"]).inc();
                return done;
            }
        }
    }
    state.metrics.reads.with_label_values(&["primary"]).inc();
    body(state.clone()).await
}
