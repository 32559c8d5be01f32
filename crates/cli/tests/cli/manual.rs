//! `rollcall --version`, `rollcall completion` and `rollcall man` (issue #18), run as the
//! real binary.

use crate::serve_config::BIN;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(BIN)
        .args(args)
        .output()
        .expect("run rollcall");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn version_names_the_commit_and_the_build_date() {
    let (ok, out, err) = run(&["--version"]);
    assert!(ok, "{err}");
    // `rollcall 0.1.0 (0123456789ab, built 2026-12-06)`
    let inner = out
        .trim()
        .strip_prefix(&format!("rollcall {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected --version: {out}"));
    let (commit, date) = inner.split_once(", built ").expect("commit and date");
    // A checkout (CI clones one) has a commit; the date is a real day.
    assert!(
        commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit()),
        "{out}"
    );
    assert!(
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
        "{out}"
    );
}

#[test]
fn completion_scripts_cover_the_commands_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _rollcall"),
        ("zsh", "#compdef rollcall"),
        ("fish", "complete -c rollcall"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let (ok, out, err) = run(&["completion", shell]);
        assert!(ok, "{shell}: {err}");
        assert!(out.contains(marker), "{shell} script lacks {marker}");
        for command in ["users", "companies", "export"] {
            assert!(out.contains(command), "{shell} script lacks {command}");
        }
    }
    let (ok, _, err) = run(&["completion", "tcsh"]);
    assert!(!ok);
    assert!(err.contains("possible values"), "{err}");
}

#[test]
fn man_prints_the_page_and_writes_one_per_command() {
    let (ok, out, err) = run(&["man"]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with(".ie") || out.contains(".TH rollcall 1"),
        "{out}"
    );
    assert!(out.contains("Keepnet"), "{out}");
    let dir = tempfile::tempdir().expect("dir");
    let pages = dir.path().join("man1");
    let (ok, _, err) = run(&["man", "--dir", pages.to_str().expect("path")]);
    assert!(ok, "{err}");
    assert!(err.contains("man -l"), "says how to read them: {err}");
    for page in ["rollcall.1", "rollcall-users.1", "rollcall-users-export.1"] {
        let text =
            std::fs::read_to_string(pages.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page} is no man page");
    }
}
