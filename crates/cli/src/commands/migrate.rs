//! `rollcall migrate [--status]`: the database schema's migrations, listed or applied.
//!
//! Like `rollcall keys`, this acts on the database directly with the server's own settings
//! (`--data-dir`, `--database-url`, `--config-file`), so run it where the server runs.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use rollcall_store::{Engine, MigrationInfo, MigrationReport, MigrationState, SqlStore};

/// `rollcall migrate`.
#[derive(Args)]
pub struct MigrateCmd {
    /// List the migrations (applied with their date, and pending) without applying any.
    #[arg(long)]
    status: bool,
    #[command(flatten)]
    db: DatabaseArgs,
}

/// Where the database is: the same settings as `rollcall serve` (flags, ROLLCALL_* variables,
/// then the config file, then serve's defaults).
#[derive(Args)]
pub struct DatabaseArgs {
    /// Directory of the embedded SQLite database (the server's --data-dir).
    #[arg(long, global = true, env = "ROLLCALL_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Empty: SQLite in the data dir; postgres://...: PostgreSQL (the server's --database-url).
    #[arg(
        long,
        global = true,
        env = "ROLLCALL_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database_url: Option<String>,
    /// The server's TOML settings file (its --config-file), for the settings not given.
    #[arg(long, global = true, env = "ROLLCALL_CONFIG_FILE", value_name = "FILE")]
    config_file: Option<PathBuf>,
}

impl DatabaseArgs {
    /// The server's settings file as a table (empty without --config-file).
    pub fn settings_file(&self) -> Result<toml::Table> {
        Ok(match &self.config_file {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| {
                    format!(
                        "cannot read the config file {}; pass the server's --config-file",
                        path.display()
                    )
                })?
                .parse()
                .with_context(|| format!("the config file {} is not valid TOML", path.display()))?,
            None => toml::Table::new(),
        })
    }

    /// The data directory and database URL: flags and environment first, then the config
    /// file, then `serve`'s defaults. Warns when a password was given on the command line.
    pub fn resolve(&self, matches: &clap::ArgMatches) -> Result<(PathBuf, String)> {
        let table = self.settings_file()?;
        let from_file = |key: &str| {
            table
                .get(key)
                .or_else(|| table.get(&key.replace('_', "-")))
                .and_then(|v| v.as_str())
        };
        let data_dir = match &self.data_dir {
            Some(d) => d.clone(),
            None => PathBuf::from(from_file("data_dir").unwrap_or("./rollcall-data")),
        };
        let database_url = match &self.database_url {
            Some(u) => u.clone(),
            None => from_file("database_url").unwrap_or("").to_owned(),
        };
        if matches.value_source("database_url") == Some(clap::parser::ValueSource::CommandLine)
            && super::serve::url_has_password(&database_url)
        {
            eprintln!("warning: {}", super::serve::PASSWORD_IN_URL_FLAG);
        }
        Ok((data_dir, database_url))
    }
}

/// A migration's line: version, state and date, description.
fn line(m: &MigrationInfo) -> String {
    let (state, on) = match &m.state {
        MigrationState::Applied { on } => ("applied", on.as_str()),
        MigrationState::Pending => ("pending", ""),
        MigrationState::Modified { on } => ("CHANGED", on.as_str()),
        MigrationState::Failed { on } => ("FAILED", on.as_str()),
        MigrationState::Unknown { on } => ("UNKNOWN", on.as_str()),
    };
    format!(
        "{:>8}  {:<8} {:<19}  {}",
        m.version, state, on, m.description
    )
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    }
}

fn print_status(report: &MigrationReport) {
    let note = if report.exists {
        ""
    } else {
        " (not created yet: rollcall serve or rollcall migrate creates it)"
    };
    println!(
        "{} database {}{note}",
        engine_name(report.engine),
        report.database
    );
    println!(
        "{:>8}  {:<8} {:<19}  description",
        "version", "state", "applied on (UTC)"
    );
    for m in &report.migrations {
        println!("{}", line(m));
    }
    let count = |pick: fn(&MigrationState) -> bool| {
        report.migrations.iter().filter(|m| pick(&m.state)).count()
    };
    let mut summary = format!(
        "{} applied, {} pending",
        count(|s| matches!(s, MigrationState::Applied { .. })),
        count(|s| matches!(s, MigrationState::Pending))
    );
    for (n, what) in [
        (
            count(|s| matches!(s, MigrationState::Unknown { .. })),
            "unknown to this rollcall",
        ),
        (
            count(|s| matches!(s, MigrationState::Failed { .. })),
            "failed",
        ),
        (
            count(|s| matches!(s, MigrationState::Modified { .. })),
            "changed",
        ),
    ] {
        if n > 0 {
            summary.push_str(&format!(", {n} {what}"));
        }
    }
    if report.problem().is_none() && !report.pending().is_empty() {
        summary.push_str(": `rollcall migrate` (or starting `rollcall serve`) applies them");
    }
    println!("{summary}");
}

/// Runs `rollcall migrate`; `matches` are this subcommand's, to tell flags from variables.
pub async fn run(cmd: MigrateCmd, matches: &clap::ArgMatches) -> Result<()> {
    let (data_dir, database_url) = cmd.db.resolve(matches)?;
    if cmd.status {
        let report = SqlStore::migration_status(&database_url, &data_dir)
            .await
            .context("cannot read the database's migrations; check --data-dir or --database-url (the server's settings)")?;
        print_status(&report);
        if let Some(problem) = report.problem() {
            anyhow::bail!(problem);
        }
        return Ok(());
    }
    eprintln!("Applying pending migrations...");
    let (before, applied) = SqlStore::apply_migrations(&database_url, &data_dir)
        .await
        .context(
            "cannot migrate the database (`rollcall migrate --status` lists what is applied)",
        )?;
    if applied.is_empty() {
        println!(
            "{} database {} is up to date: {} migrations applied, none pending.",
            engine_name(before.engine),
            before.database,
            before.migrations.len()
        );
    } else {
        println!(
            "Applied {} migration(s) to the {} database {}:",
            applied.len(),
            engine_name(before.engine),
            before.database
        );
        for m in &applied {
            println!("{}", line(m));
        }
        println!("Start the servers of this rollcall version now; older ones may not run on the new schema.");
    }
    Ok(())
}
