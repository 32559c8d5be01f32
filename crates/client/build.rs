//! Marks the PostgreSQL half of `both_engines!` tests as ignored when no test server is named,
//! so that a run without PostgreSQL shows them as ignored instead of reporting them passed.

fn main() {
    println!("cargo::rerun-if-env-changed=ROLLCALL_TEST_DATABASE_URL");
    println!("cargo::rustc-check-cfg=cfg(rollcall_no_pg)");
    if std::env::var("ROLLCALL_TEST_DATABASE_URL").map_or(true, |v| v.trim().is_empty()) {
        println!("cargo::rustc-cfg=rollcall_no_pg");
    }
}
