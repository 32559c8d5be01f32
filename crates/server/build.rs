//! Marks tests as ignored when what they need is missing on a developer's machine, so that a
//! run shows them as ignored instead of reporting them passed: the PostgreSQL half of
//! `both_engines!` tests when no test server is named, the read-replica tests when no
//! streaming replica of it is named (`ROLLCALL_TEST_DATABASE_READ_URL`), and the SCIM conformance suite when the
//! `scim2` command (PyPI's scim2-cli) is not installed. CI (`CI=true`) never ignores them:
//! `.ci/run` installs both, and a missing one fails.

fn main() {
    println!("cargo::rerun-if-env-changed=ROLLCALL_TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=ROLLCALL_TEST_DATABASE_READ_URL");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rustc-check-cfg=cfg(rollcall_no_pg)");
    println!("cargo::rustc-check-cfg=cfg(rollcall_no_scim2)");
    println!("cargo::rustc-check-cfg=cfg(rollcall_no_replica)");
    if std::env::var("ROLLCALL_TEST_DATABASE_URL").map_or(true, |v| v.trim().is_empty()) {
        println!("cargo::rustc-cfg=rollcall_no_pg");
    }
    if std::env::var("ROLLCALL_TEST_DATABASE_READ_URL").map_or(true, |v| v.trim().is_empty()) {
        println!("cargo::rustc-cfg=rollcall_no_replica");
    }
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let scim2 = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("scim2").is_file()));
    if !ci && !scim2 {
        println!("cargo::rustc-cfg=rollcall_no_scim2");
    }
}
