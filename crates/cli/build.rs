//! Marks the PostgreSQL half of `both_engines!` tests as ignored when no test server is named
//! (and the terminal tests when util-linux `script` is missing),
//! so that a run without PostgreSQL shows them as ignored instead of reporting them passed; and
//! stamps `rollcall --version` with the commit and the build date.

use std::process::Command;

fn main() {
    println!("cargo::rerun-if-env-changed=ROLLCALL_TEST_DATABASE_URL");
    println!("cargo::rustc-check-cfg=cfg(rollcall_no_pg)");
    if std::env::var("ROLLCALL_TEST_DATABASE_URL").map_or(true, |v| v.trim().is_empty()) {
        println!("cargo::rustc-cfg=rollcall_no_pg");
    }
    // The terminal tests need util-linux `script` for a pseudo-terminal: without it they show
    // as ignored rather than passed (CI has it; `common::spawn_on_terminal` fails there if not).
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rustc-check-cfg=cfg(rollcall_no_script)");
    if output("script", &["--version"]).is_none() {
        println!("cargo::rustc-cfg=rollcall_no_script");
    }
    // A new commit reruns this script; a build outside git (a source tarball) says so.
    for git in [
        "../../.git/HEAD",
        "../../.git/refs/heads",
        "../../.git/packed-refs",
    ] {
        println!("cargo::rerun-if-changed={git}");
    }
    println!("cargo::rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let commit = output("git", &["rev-parse", "--short=12", "HEAD"])
        .unwrap_or_else(|| "unknown commit".into());
    // Reproducible builds set SOURCE_DATE_EPOCH; otherwise the day this script ran.
    let date = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) => output("date", &["-u", "-d", &format!("@{epoch}"), "+%Y-%m-%d"]),
        Err(_) => output("date", &["-u", "+%Y-%m-%d"]),
    }
    .unwrap_or_else(|| "unknown date".into());
    println!("cargo::rustc-env=ROLLCALL_COMMIT={commit}");
    println!("cargo::rustc-env=ROLLCALL_BUILD_DATE={date}");
}

/// A command's trimmed stdout, when it ran and succeeded.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}
