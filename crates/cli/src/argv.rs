//! Client flags anywhere on the line: `rollcall --profile prod users list` as well as
//! `rollcall users list --profile prod`.
//!
//! The credentials and output flags (`commands::Common`) are clap globals of each client
//! command, not of `rollcall` itself, so that `serve`, `keys` and the other server commands
//! neither list nor accept them. Flags written before a client command are moved to just
//! after its name, where clap finds them; anything else is left for clap to judge.

use std::ffi::OsString;

/// The client commands: those that take `commands::Common`.
const CLIENT_COMMANDS: &[&str] = &[
    "companies",
    "clients",
    "users",
    "groups",
    "fields",
    "audit",
    "token",
    "profile",
];

/// `Common`'s flags that take a value.
const WITH_VALUE: &[&str] = &[
    "--profile",
    "--config",
    "--output",
    "--retries",
    "--columns",
];

/// `Common`'s flags without a value.
const SWITCHES: &[&str] = &["--no-token-cache", "--wide"];

/// The arguments with client flags that precede a client command moved after its name.
pub fn hoist_client_flags(args: Vec<OsString>) -> Vec<OsString> {
    let mut moved = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let Some(arg) = args[i].to_str() else {
            return args;
        };
        let name = arg.split_once('=').map_or(arg, |(name, _)| name);
        if SWITCHES.contains(&arg) || (WITH_VALUE.contains(&name) && arg.contains('=')) {
            moved.push(i..i + 1);
            i += 1;
        } else if WITH_VALUE.contains(&arg) && i + 1 < args.len() {
            moved.push(i..i + 2);
            i += 2;
        } else if CLIENT_COMMANDS.contains(&arg) && !moved.is_empty() {
            let mut out = Vec::with_capacity(args.len());
            let mut flags = Vec::new();
            let mut ranges = moved.iter().peekable();
            for (j, a) in args.iter().enumerate().take(i) {
                while ranges.peek().is_some_and(|r| r.end <= j) {
                    ranges.next();
                }
                if ranges.peek().is_some_and(|r| r.contains(&j)) {
                    flags.push(a.clone());
                } else {
                    out.push(a.clone());
                }
            }
            out.push(args[i].clone());
            out.extend(flags);
            out.extend(args[i + 1..].iter().cloned());
            return out;
        } else {
            // A server command, `--help`, or a typo: clap's own message fits best.
            return args;
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(line: &str) -> String {
        let args = line.split(' ').map(OsString::from).collect();
        hoist_client_flags(args)
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn flags_before_a_client_command_follow_its_name() {
        assert_eq!(
            run("rollcall --profile prod companies list"),
            "rollcall companies --profile prod list"
        );
        assert_eq!(
            run("rollcall --output=json --no-token-cache --retries 2 users list --limit 3"),
            "rollcall users --output=json --no-token-cache --retries 2 list --limit 3"
        );
    }

    #[test]
    fn other_lines_are_left_alone() {
        for line in [
            "rollcall users list --profile prod",
            "rollcall users --profile prod list",
            "rollcall --profile prod serve",
            "rollcall --help",
            "rollcall --profile",
            "rollcall --version users list",
        ] {
            assert_eq!(run(line), line);
        }
    }
}
