//! Reads from a PostgreSQL streaming replica (`--database-read-url`, issue #17).
//!
//! The rule, documented in the README ("Read replicas"): a read that the server may send
//! to the replica goes there only when the replica has replayed every write its API client made,
//! on any server replica; otherwise, and whenever the replica does not answer, it reads the
//! primary. Writes, token checks and the caller's own rows always use the primary.
//!
//! How: after a request whose handler opened a write transaction ([`track_writes`]), the server
//! records the primary's WAL position for the client ([`SqlStore::note_write`] into the
//! unlogged `read_marks` table, shared by every server replica and never replicated). A read
//! compares that mark with the replica's replay position (polled, and asked again when the
//! polled figure is behind). Positions are bytes of WAL, so the comparison is exact: no window
//! to tune, and a lagging replica costs only that the client's reads go to the primary.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::ConnectOptions;

use crate::open::{Engine, Replica, SqlStore};
use crate::rows::get_i64;
use crate::{ReplicaStatus, Result, StoreError};

/// How long a check of the replica may take before the replica counts as not answering.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a replica behind the primary may replay nothing before it counts as unavailable
/// (its replication broke, or replay was paused); else the reads of every client that has not
/// written would grow staler without bound.
pub const DEFAULT_MAX_STALL: Duration = Duration::from_secs(30);

/// Lag below this never counts as a stall: an idle primary's insert position may sit a page
/// header past what the replica has replayed.
const STALL_MIN_LAG: i64 = 64 * 1024;

impl SqlStore {
    /// Lets reads go to the PostgreSQL streaming replica at `url` as [this module](self)
    /// describes. The replica's pool connects lazily: a replica that is down when the server
    /// starts is reported by [`SqlStore::check_read_replica`] and read around, not fatal.
    /// A replica behind the primary that replays nothing for `max_stall`
    /// ([`DEFAULT_MAX_STALL`]) counts as unavailable until it replays again.
    pub fn with_read_replica(mut self, url: &str, max_stall: Duration) -> Result<Self> {
        let url = url.trim();
        if self.engine != Engine::Postgres {
            return Err(StoreError::Config(
                "a read replica needs PostgreSQL: --database-read-url is for a server whose --database-url is postgres://...; SQLite has no replicas".into(),
            ));
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::Config(
                "unsupported read replica URL: use postgres://... naming a streaming replica of the primary".into(),
            ));
        }
        let opts = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        let native = sqlx::postgres::PgConnectOptions::from_str(url)?
            .application_name("rollcall export")
            .disable_statement_logging();
        let (pooled, kept) = crate::open::postgres_split(self.pool_max);
        let pool = crate::open::postgres_pool()
            .max_connections(pooled)
            // A replica that went away must not hold a read for long before it falls back.
            .acquire_timeout(CHECK_TIMEOUT)
            .connect_lazy_with(opts);
        let store = SqlStore {
            pool,
            pg_readers: Some(Arc::new(crate::export::postgres::Readers::new(
                native,
                kept,
                CHECK_TIMEOUT,
            )?)),
            replica: None,
            ..self.clone()
        };
        self.replica = Some(Arc::new(Replica {
            store: Arc::new(store),
            up: AtomicBool::new(false),
            replayed: AtomicI64::new(0),
            lag: AtomicI64::new(-1),
            problem: Mutex::new(Some("not checked yet".into())),
            max_stall,
            stall: Mutex::new(None),
        }));
        Ok(self)
    }

    /// Whether reads may go to a read replica ([`SqlStore::with_read_replica`]).
    pub fn has_read_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// What the last check of the read replica found; `None` without one.
    pub fn read_replica_status(&self) -> Option<ReplicaStatus> {
        let r = self.replica.as_ref()?;
        let lag = r.lag.load(Ordering::Relaxed);
        Some(ReplicaStatus {
            up: r.up.load(Ordering::Relaxed),
            lag_bytes: (lag >= 0).then_some(lag),
            problem: r.problem.lock().ok().and_then(|p| p.clone()),
        })
    }

    /// Checks the read replica now (it is up when it answers as a standby of this primary)
    /// and remembers what it found; `None` without one.
    pub async fn check_read_replica(&self) -> Option<ReplicaStatus> {
        let r = self.replica.as_ref()?;
        let primary = tokio::time::timeout(CHECK_TIMEOUT, self.primary_position()).await;
        let found = match tokio::time::timeout(CHECK_TIMEOUT, r.position()).await {
            Err(_) => Err(format!(
                "the read replica did not answer within {} s; reads use the primary until it does",
                CHECK_TIMEOUT.as_secs()
            )),
            Ok(Err(e)) => Err(format!(
                "the read replica does not answer ({e}); reads use the primary until it does"
            )),
            Ok(Ok(p)) if !p.standby => Err("the read database is not a standby (pg_is_in_recovery() is false; was it promoted?): reads use the primary; point --database-read-url at a streaming replica of the primary".into()),
            Ok(Ok(p)) => match &primary {
                Ok(Ok(q)) if q.system != p.system => Err(format!(
                    "the read database replicates another PostgreSQL cluster (system identifier {}, the primary's is {}): reads use the primary; point --database-read-url at a replica of the primary",
                    p.system, q.system
                )),
                _ => Ok(p.replayed),
            },
        };
        match found {
            Ok(replayed) => {
                r.replayed.fetch_max(replayed, Ordering::Relaxed);
                let lag = match &primary {
                    Ok(Ok(q)) => (q.replayed - replayed).max(0),
                    _ => -1,
                };
                r.lag.store(lag, Ordering::Relaxed);
                match r.stalled_for(replayed, lag) {
                    Some(stalled) if stalled >= r.max_stall => {
                        r.up.store(false, Ordering::Relaxed);
                        r.set_problem(Some(format!(
                            "the read replica has replayed nothing for {} s while {lag} bytes behind the primary: its replication is broken or its replay paused (see pg_stat_wal_receiver and the log on the replica, pg_stat_replication on the primary); reads use the primary until it replays again",
                            stalled.as_secs()
                        )));
                    }
                    _ => {
                        r.set_problem(None);
                        r.up.store(true, Ordering::Relaxed);
                    }
                }
            }
            Err(problem) => {
                r.up.store(false, Ordering::Relaxed);
                r.lag.store(-1, Ordering::Relaxed);
                r.set_problem(Some(problem));
            }
        }
        self.read_replica_status()
    }

    /// The store a read by the API client `client` uses: the replica's, when it is up and has
    /// replayed the client's last write ([`note_write`](Self::note_write)); `None`: this one.
    pub async fn reads_for(&self, client: &str) -> Option<Arc<SqlStore>> {
        let r = self.replica.as_ref()?;
        if !r.up.load(Ordering::Relaxed) {
            return None;
        }
        let mark = match sqlx::query("SELECT lsn FROM read_marks WHERE client_key = $1")
            .bind(client)
            .fetch_optional(&self.writer)
            .await
        {
            Ok(Some(row)) => get_i64(&row, "lsn").ok()?,
            Ok(None) => 0,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the client's last write position; this read uses the primary");
                return None;
            }
        };
        if mark > r.replayed.load(Ordering::Relaxed) {
            // The polled figure is a lower bound; replay moves on in milliseconds.
            let now = tokio::time::timeout(CHECK_TIMEOUT, r.position())
                .await
                .ok()?
                .ok()?;
            r.replayed.fetch_max(now.replayed, Ordering::Relaxed);
            if mark > now.replayed {
                return None;
            }
        }
        Some(r.store.clone())
    }

    /// Records the primary's WAL position as `client`'s last write, after a request of that
    /// client wrote ([`track_writes`](crate::track_writes)); nothing without a read replica.
    pub async fn note_write(&self, client: &str) -> Result<()> {
        if self.replica.is_none() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO read_marks (client_key, lsn) \
             VALUES ($1, CAST(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0') AS BIGINT)) \
             ON CONFLICT (client_key) DO UPDATE SET lsn = GREATEST(read_marks.lsn, excluded.lsn)",
        )
        .bind(client)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The primary's WAL insert position and system identifier.
    async fn primary_position(&self) -> sqlx::Result<Position> {
        let row = sqlx::query(
            "SELECT TRUE AS standby, CAST(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0') AS BIGINT) AS replayed, \
             CAST(system_identifier AS TEXT) AS system FROM pg_control_system()",
        )
        .fetch_one(&self.writer)
        .await?;
        Position::from_row(&row)
    }
}

/// [`Replica::stalled_for`] at `now`, on the position and time `stall` keeps.
fn stalled_for(
    stall: &mut Option<(i64, Instant)>,
    replayed: i64,
    lag: i64,
    now: Instant,
) -> Option<Duration> {
    if lag < STALL_MIN_LAG {
        *stall = None;
        return None;
    }
    match *stall {
        Some((at, since)) if at == replayed => Some(now.saturating_duration_since(since)),
        _ => {
            *stall = Some((replayed, now));
            Some(Duration::ZERO)
        }
    }
}

/// Where a server's WAL stands.
struct Position {
    standby: bool,
    /// Replayed (a standby) or inserted (the primary) WAL, in bytes.
    replayed: i64,
    system: String,
}

impl Position {
    fn from_row(row: &sqlx::any::AnyRow) -> sqlx::Result<Position> {
        use sqlx::Row;
        Ok(Position {
            standby: row.try_get("standby")?,
            replayed: row.try_get::<Option<i64>, _>("replayed")?.unwrap_or(0),
            system: row.try_get("system")?,
        })
    }
}

impl Replica {
    async fn position(&self) -> sqlx::Result<Position> {
        let row = sqlx::query(
            "SELECT pg_is_in_recovery() AS standby, \
             CAST(pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') AS BIGINT) AS replayed, \
             CAST(system_identifier AS TEXT) AS system FROM pg_control_system()",
        )
        .fetch_one(&self.store.pool)
        .await?;
        Position::from_row(&row)
    }

    /// How long the replica has stood at `replayed` while `lag` bytes behind the primary;
    /// `None` when it is not behind (or the primary's position is unknown).
    fn stalled_for(&self, replayed: i64, lag: i64) -> Option<Duration> {
        stalled_for(&mut *self.stall.lock().ok()?, replayed, lag, Instant::now())
    }

    fn set_problem(&self, problem: Option<String>) {
        if let Ok(mut p) = self.problem.lock() {
            *p = problem;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stall_is_timed_from_the_first_check_that_found_the_replica_standing_behind() {
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        let mut stall = None;
        let behind = STALL_MIN_LAG;
        assert_eq!(
            stalled_for(&mut stall, 100, behind, at(0)),
            Some(Duration::ZERO)
        );
        assert_eq!(
            stalled_for(&mut stall, 100, behind * 2, at(7)),
            Some(Duration::from_secs(7))
        );
        // Replay moved: timed again from here.
        assert_eq!(
            stalled_for(&mut stall, 200, behind, at(9)),
            Some(Duration::ZERO)
        );
        assert_eq!(
            stalled_for(&mut stall, 200, behind, at(40)),
            Some(Duration::from_secs(31))
        );
        // Close enough to the primary (an idle one's page header): no stall, and the clock resets.
        assert_eq!(stalled_for(&mut stall, 200, behind - 1, at(41)), None);
        assert_eq!(
            stalled_for(&mut stall, 200, behind, at(42)),
            Some(Duration::ZERO)
        );
        // The primary's position unknown (-1): not counted as behind.
        assert_eq!(stalled_for(&mut stall, 200, -1, at(80)), None);
    }
}
