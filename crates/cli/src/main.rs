//! `rollcall`: the Keepnet-compatible server (`rollcall serve`) and the reseller CLI
//! (`rollcall companies|users|audit|token|profile`).

mod argv;
mod commands;
mod config;
mod exit;
mod output;
mod resolve;
mod token_cache;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use commands::{audit, clients, companies, fields, groups, keys, profile, serve, token, users};

/// mimalloc rather than glibc's malloc, whose arenas contended under many concurrent requests
/// (docs/performance.md: "The allocator, pings, and what the load generator parses").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "rollcall",
    version,
    long_version = LONG_VERSION,
    about = "Keepnet-compatible target-user API server and reseller CLI",
    after_help = exit::HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API server.
    Serve(serve::ServeArgs),
    /// Companies you manage.
    Companies(companies::CompaniesCmd),
    /// REST API clients of a company: the credentials its tools get tokens with.
    Clients(clients::ClientsCmd),
    /// Target users of a company (or of every company you manage).
    Users(users::UsersCmd),
    /// Target groups of a company and their members.
    Groups(groups::GroupsCmd),
    /// Custom fields of a company's target users.
    Fields(fields::FieldsCmd),
    /// The audit log: who did what, from where.
    Audit(audit::AuditCmd),
    /// Get an access token and show its decoded claims.
    Token(token::TokenCmd),
    /// Named credentials in the config file.
    Profile(profile::ProfileCmd),
    /// The server's token signing keys (rotate, list), in its database.
    Keys(keys::KeysCmd),
    /// Copy the server's SQLite database to FILE while it runs (a consistent online backup);
    /// on PostgreSQL, print the pg_dump command to use instead.
    Backup(commands::backup::BackupCmd),
    /// The database's schema migrations: list them (--status) or apply the pending ones.
    Migrate(commands::migrate::MigrateCmd),
    /// Server settings file.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Print the server's OpenAPI document (JSON), as served at /swagger/v1/swagger.json.
    Openapi,
    /// Print a shell completion script: `rollcall completion bash > /etc/bash_completion.d/rollcall`,
    /// or `source <(rollcall completion zsh)` in ~/.zshrc.
    Completion {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `rollcall man | man -l -`; with --dir, write one page per
    /// command there (rollcall.1, rollcall-users.1, ...) for /usr/local/share/man/man1.
    Man {
        /// Write every command's page into this directory instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

/// `rollcall --version`: the release, the commit and the day it was built (`build.rs`).
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("ROLLCALL_COMMIT"),
    ", built ",
    env!("ROLLCALL_BUILD_DATE"),
    ")"
);

#[derive(Subcommand)]
enum ConfigCmd {
    /// Print a commented example of every `rollcall serve` setting (TOML, for --config-file).
    Example,
}

/// `--pdf-fallback-font` values as paths: empty ones (an empty `ROLLCALL_PDF_FALLBACK_FONT`, or
/// `a::b`) are left out.
fn non_empty_paths(values: &[String]) -> Vec<std::path::PathBuf> {
    values
        .iter()
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .collect()
}

/// Writes a whole document to stdout; a reader that stops early (`| head`) is not an error.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Into::into),
    }
}

/// `rollcall man`: the top page on stdout, or every command's page into `dir`.
fn man(dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    let command = Cli::command();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                anyhow::anyhow!(
                    "cannot create {}: {e}; pick a directory you can write",
                    dir.display()
                )
            })?;
            clap_mangen::generate_to(command, dir).map_err(|e| {
                anyhow::anyhow!("cannot write the pages into {}: {e}", dir.display())
            })?;
            eprintln!(
                "Wrote the manual pages into {}; view one with `man -l {}/rollcall.1`.",
                dir.display(),
                dir.display()
            );
            Ok(())
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            write_stdout(&String::from_utf8_lossy(&page))
        }
    }
}

fn init_logging(default: &str, json: bool) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROLLCALL_LOG")
                .unwrap_or_else(|_| default.into()),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed through ArgMatches so that `serve` can tell defaults from given values when it
    // reads --config-file.
    let args = argv::hoist_client_flags(std::env::args_os().collect());
    let parsed = Cli::command()
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (cli, matches) = match parsed {
        Ok(pair) => pair,
        Err(e) => {
            // Help and --version print to stdout and succeed; usage errors exit 1 (clap's own
            // default, 2, means "authentication" here).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let result = match cli.command {
        Command::Serve(mut args) => {
            let empty = clap::ArgMatches::default();
            let serve_matches = matches.subcommand_matches("serve").unwrap_or(&empty);
            match serve::apply_config_file(&mut args, serve_matches) {
                Ok(()) => {
                    init_logging("info,sqlx=warn", args.log_format == "json");
                    for warning in serve::secrets_on_command_line(serve_matches, &args) {
                        tracing::warn!("{warning}");
                    }
                    serve::run(args).await
                }
                Err(e) => Err(e),
            }
        }
        Command::Config(ConfigCmd::Example) => write_stdout(&serve::example_config()),
        Command::Keys(c) => {
            init_logging("warn", false);
            let empty = clap::ArgMatches::default();
            keys::run(c, matches.subcommand_matches("keys").unwrap_or(&empty)).await
        }
        Command::Backup(c) => {
            init_logging("warn", false);
            let empty = clap::ArgMatches::default();
            let m = matches.subcommand_matches("backup").unwrap_or(&empty);
            commands::backup::run(c, m).await
        }
        Command::Migrate(c) => {
            init_logging("warn", false);
            let empty = clap::ArgMatches::default();
            let m = matches.subcommand_matches("migrate").unwrap_or(&empty);
            commands::migrate::run(c, m).await
        }
        Command::Openapi => serde_json::to_string_pretty(&rollcall_server::router::document())
            .map_err(anyhow::Error::from)
            .and_then(|json| write_stdout(&(json + "\n"))),
        Command::Completion { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "rollcall", &mut script);
            write_stdout(&String::from_utf8_lossy(&script))
        }
        Command::Man { dir } => man(dir.as_deref()),
        command => {
            init_logging("warn", false);
            match command {
                Command::Companies(c) => companies::run(c).await,
                Command::Clients(c) => clients::run(c).await,
                Command::Users(c) => users::run(c).await,
                Command::Groups(c) => groups::run(c).await,
                Command::Fields(c) => fields::run(c).await,
                Command::Audit(c) => audit::run(c).await,
                Command::Token(c) => token::run(c).await,
                Command::Profile(c) => profile::run(c).await,
                Command::Serve(_)
                | Command::Config(_)
                | Command::Openapi
                | Command::Keys(_)
                | Command::Backup(_)
                | Command::Migrate(_)
                | Command::Completion { .. }
                | Command::Man { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            eprintln!("error: {e:#}");
            if let Some(hint) = commands::credentials_hint(&e) {
                eprintln!("{hint}");
            }
            ExitCode::from(exit::code(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's own checks of the whole command tree (unique names and groups, valid defaults),
    /// which otherwise run only when a command is parsed.
    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
