//! The registry of the imports this process runs, which the server state holds: kept apart
//! from the job runner so that the state does not import the code that reads it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The imports this process runs: its name in the jobs table, each running job's rows done,
/// and the turn they take: one import at a time, so that on SQLite a second one does not wait
/// for the one writer an import holds until the first ends.
pub struct Jobs {
    /// This process, as the `owner` of the jobs it runs.
    pub owner: String,
    progress: Mutex<HashMap<i64, (i64, Instant)>>,
    pub(super) turn: tokio::sync::Semaphore,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            owner: rollcall_store::new_resource_id(),
            progress: Mutex::new(HashMap::new()),
            turn: tokio::sync::Semaphore::new(1),
        }
    }
}

impl Jobs {
    pub(super) fn set(&self, job: i64, done: i64, started: Instant) {
        if let Ok(mut p) = self.progress.lock() {
            p.insert(job, (done, started));
        }
    }

    pub(super) fn clear(&self, job: i64) {
        if let Ok(mut p) = self.progress.lock() {
            p.remove(&job);
        }
    }

    /// Rows a job running here has done, and the seconds it has run.
    pub fn progress(&self, job: i64) -> Option<(i64, f64)> {
        let p = self.progress.lock().ok()?;
        p.get(&job)
            .map(|(done, started)| (*done, started.elapsed().as_secs_f64()))
    }
}
