//! The short soak CI runs (issue #17): 20 seconds of mixed traffic from six clients against a
//! real `rollcall serve` on each engine, then the bar: no 5xx, no failed connection, every
//! write as its client saw it, and counters equal to the rows. The full run, with its figures,
//! is `cargo bench -p rollcall --bench soak` (`docs/performance.md`); memory is printed here,
//! not asserted (a timed test would be flaky on shared machines).

#[path = "../../benches/soak_run/mod.rs"]
mod soak_run;

use crate::common::pg_admin_url;

async fn soak(database_url: String) {
    let run = soak_run::Soak {
        bin: env!("CARGO_BIN_EXE_rollcall").into(),
        database_url,
        seconds: 20,
        max_requests: 50_000,
        clients: 6,
        preload: 200,
    };
    let report = soak_run::run(&run).await.expect("the soak runs");
    report.print();
    assert!(
        report.requests > 500,
        "the traffic ran: {}",
        report.requests
    );
    assert_eq!(report.server_errors(), 0, "no 5xx");
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert!(report.lost_writes.is_empty(), "{:?}", report.lost_writes);
    assert_eq!(
        report.counted.0, report.counted.1,
        "live users: counters and rows"
    );
    assert_eq!(
        report.deleted.0, report.deleted.1,
        "deleted users: counters and rows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn short_soak_on_sqlite() {
    soak(String::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[cfg_attr(
    rollcall_no_pg,
    ignore = "set ROLLCALL_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on"
)]
async fn short_soak_on_postgres() {
    let Some(admin) = pg_admin_url() else { return };
    let url = rollcall_testkit::fresh_pg_database(&admin).await;
    let _database = rollcall_testkit::PgDatabase::adopt(&admin, &url);
    soak(url).await;
}
