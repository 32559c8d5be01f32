//! Prometheus metrics: requests by route template and status, latency, exports, tokens and the
//! database pool. Each server has its own registry (several servers can share a process).

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use rollcall_store::{PoolStats, ReplicaStatus};

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// `rollcall_http_requests_total{method, route, status}`.
    pub requests: IntCounterVec,
    /// `rollcall_http_request_duration_seconds{method, route}`.
    pub latency: HistogramVec,
    /// `rollcall_export_rows_total{format}`.
    pub export_rows: IntCounterVec,
    /// `rollcall_exports_active`.
    pub exports_active: IntGauge,
    /// `rollcall_tokens_issued_total`.
    pub tokens_issued: IntCounter,
    /// `rollcall_token_failures_total{error}`.
    pub token_failures: IntCounterVec,
    /// `rollcall_db_pool_connections{state}` (set when scraped).
    pub pool: IntGaugeVec,
    /// `rollcall_db_pool_max_connections`: the pool's configured size (set when scraped).
    pub pool_max: IntGauge,
    /// `rollcall_export_duration_seconds`.
    pub export_duration: Histogram,
    /// `rollcall_secret_check_threads`: threads checking client secrets (set when scraped).
    pub secret_check_threads: IntGauge,
    /// `rollcall_secret_checks_waiting`: secret checks queued for a thread (set when scraped).
    pub secret_checks_waiting: IntGauge,
    /// `rollcall_replica_reads_total{database}`: reads that may use the read replica, by the
    /// database that answered (`replica`, `primary`); counted only with a replica.
    pub reads: IntCounterVec,
    /// `rollcall_read_replica_fallbacks_total`: reads that failed on the replica and ran again
    /// on the primary.
    pub replica_fallbacks: IntCounter,
    /// `rollcall_read_replica_up` and `rollcall_read_replica_lag_bytes`, set when scraped and
    /// written only when a read replica is configured.
    replica: Registry,
    replica_up: IntGauge,
    replica_lag: IntGauge,
}

impl Metrics {
    /// Registers every metric in a new registry.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "rollcall_http_requests_total",
                "HTTP requests by method, route template and status",
            ),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "rollcall_http_request_duration_seconds",
                "HTTP request latency by route template",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["method", "route"],
        )?;
        let export_rows = IntCounterVec::new(
            Opts::new("rollcall_export_rows_total", "Rows written to export files"),
            &["format"],
        )?;
        let exports_active = IntGauge::new("rollcall_exports_active", "Exports being written now")?;
        let tokens_issued =
            IntCounter::new("rollcall_tokens_issued_total", "Access tokens issued")?;
        let token_failures = IntCounterVec::new(
            Opts::new(
                "rollcall_token_failures_total",
                "Token requests refused, by OAuth error",
            ),
            &["error"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("rollcall_db_pool_connections", "Database pool connections"),
            &["state"],
        )?;
        let pool_max = IntGauge::new(
            "rollcall_db_pool_max_connections",
            "Most connections the database pool opens (its configured size)",
        )?;
        let export_duration = Histogram::with_opts(
            HistogramOpts::new(
                "rollcall_export_duration_seconds",
                "Time to write an export file",
            )
            .buckets(vec![
                0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
            ]),
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(export_rows.clone()))?;
        registry.register(Box::new(exports_active.clone()))?;
        registry.register(Box::new(tokens_issued.clone()))?;
        registry.register(Box::new(token_failures.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        let secret_check_threads = IntGauge::new(
            "rollcall_secret_check_threads",
            "Threads that check and hash client secrets",
        )?;
        let secret_checks_waiting = IntGauge::new(
            "rollcall_secret_checks_waiting",
            "Secret checks waiting for a free thread",
        )?;
        registry.register(Box::new(export_duration.clone()))?;
        registry.register(Box::new(secret_check_threads.clone()))?;
        registry.register(Box::new(secret_checks_waiting.clone()))?;
        let reads = IntCounterVec::new(
            Opts::new(
                "rollcall_replica_reads_total",
                "Reads that may use the read replica, by the database that answered",
            ),
            &["database"],
        )?;
        let replica_fallbacks = IntCounter::new(
            "rollcall_read_replica_fallbacks_total",
            "Reads that failed on the read replica and ran again on the primary",
        )?;
        registry.register(Box::new(reads.clone()))?;
        registry.register(Box::new(replica_fallbacks.clone()))?;
        let replica = Registry::new();
        let replica_up = IntGauge::new(
            "rollcall_read_replica_up",
            "1 when the read replica answers as a standby of the primary, else 0",
        )?;
        let replica_lag = IntGauge::new(
            "rollcall_read_replica_lag_bytes",
            "WAL bytes the primary had written that the read replica had not replayed, at the last check (-1: unknown)",
        )?;
        replica.register(Box::new(replica_up.clone()))?;
        replica.register(Box::new(replica_lag.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            export_rows,
            exports_active,
            tokens_issued,
            token_failures,
            pool,
            pool_max,
            export_duration,
            secret_check_threads,
            secret_checks_waiting,
            reads,
            replica_fallbacks,
            replica,
            replica_up,
            replica_lag,
        })
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self, pool: PoolStats, replica: Option<ReplicaStatus>) -> String {
        self.pool
            .with_label_values(&["idle"])
            .set(i64::from(pool.idle));
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(pool.open.saturating_sub(pool.idle)));
        self.pool_max.set(i64::from(pool.max));
        let mut families = self.registry.gather();
        if let Some(replica) = replica {
            self.replica_up.set(i64::from(replica.up));
            self.replica_lag.set(replica.lag_bytes.unwrap_or(-1));
            families.extend(self.replica.gather());
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&families, &mut out) {
            tracing::error!(error = %e, "encoding metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Counts an export as active until dropped (when the file has been sent or the client left).
pub struct ActiveExport {
    gauge: IntGauge,
    started: std::time::Instant,
    duration: Histogram,
}

impl ActiveExport {
    /// Starts counting.
    pub fn start(m: &Metrics) -> Self {
        m.exports_active.inc();
        Self {
            gauge: m.exports_active.clone(),
            started: std::time::Instant::now(),
            duration: m.export_duration.clone(),
        }
    }
}

impl Drop for ActiveExport {
    fn drop(&mut self) {
        self.gauge.dec();
        self.duration.observe(self.started.elapsed().as_secs_f64());
    }
}
