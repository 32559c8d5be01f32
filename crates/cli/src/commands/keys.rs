//! `rollcall keys rotate|list`: the token signing keys kept in the server's database.
//!
//! These act on the database directly (as `rollcall serve` does), not through the API: run
//! them where the server's data directory or database URL is reachable, with the same
//! settings. Running servers pick up a rotated key within a minute (`rollcall_server::keys`).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use rollcall_server::keys::{self, RELOAD_EVERY};
use rollcall_store::SqlStore;

/// `rollcall keys`.
#[derive(Args)]
pub struct KeysCmd {
    #[command(subcommand)]
    action: KeysAction,
    #[command(flatten)]
    db: KeysDatabaseArgs,
}

#[derive(Subcommand)]
enum KeysAction {
    /// Add a new signing key and retire the current one: tokens it signed keep working until
    /// they expire (the token lifetime), then it is deleted.
    Rotate,
    /// The keys: which one signs, and until when the retired ones are accepted.
    List,
}

/// Where the database is (the same settings as `rollcall serve`), and how long tokens last.
#[derive(Args)]
struct KeysDatabaseArgs {
    #[command(flatten)]
    db: super::migrate::DatabaseArgs,
    /// Seconds an access token lasts on your servers: how long a retired key keeps working.
    /// Default: the config file's token_lifetime, else 86400 (the longest a server accepts), so
    /// that no server's tokens outlive their key.
    #[arg(long, global = true, env = "ROLLCALL_TOKEN_LIFETIME")]
    token_lifetime: Option<i64>,
}

impl KeysDatabaseArgs {
    /// The database settings as `migrate` reads them, and the token lifetime: the flag or
    /// variable, then the config file, then 86400.
    fn resolve(&self, matches: &clap::ArgMatches) -> Result<(PathBuf, String, i64)> {
        let (data_dir, database_url) = self.db.resolve(matches)?;
        let table = self.db.settings_file()?;
        let ttl = match self.token_lifetime {
            Some(t) => t,
            None => table
                .get("token_lifetime")
                .or_else(|| table.get("token-lifetime"))
                .and_then(toml::Value::as_integer)
                .unwrap_or(86_400),
        };
        if !(60..=86_400).contains(&ttl) {
            anyhow::bail!(
                "--token-lifetime (ROLLCALL_TOKEN_LIFETIME, token_lifetime) must be from 60 to 86400 seconds, as on the servers, not {ttl}"
            );
        }
        Ok((data_dir, database_url, ttl))
    }
}

fn time(ms: i64) -> String {
    rollcall_server::millis_to_time(ms).map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// Runs `rollcall keys ...`; `matches` are this subcommand's, to tell flags from variables.
pub async fn run(cmd: KeysCmd, matches: &clap::ArgMatches) -> Result<()> {
    let (data_dir, database_url, ttl) = cmd.db.resolve(matches)?;
    if database_url.trim().is_empty() && !data_dir.join("rollcall.db").exists() {
        anyhow::bail!(
            "no rollcall database in {}: pass the server's --data-dir, or --database-url for PostgreSQL (the same settings as rollcall serve)",
            data_dir.display()
        );
    }
    // Never migrates: a newer rollcall must not change the schema under older servers.
    let store = SqlStore::open_existing(&database_url, &data_dir)
        .await
        .context("cannot open the server's database")?;
    let fixed = std::env::var("ROLLCALL_JWT_SECRET").is_ok_and(|s| !s.is_empty());
    let outcome = match cmd.action {
        KeysAction::Rotate => {
            let (key, rotation) = keys::rotate(&store, ttl).await?;
            let until = rollcall_server::now_millis() + keys::grace_ms(ttl);
            println!(
                "Rotated the token signing key: {} signs from now on.",
                key.kid
            );
            println!(
                "Running servers pick it up within {} s. {} earlier key(s) keep checking the tokens they signed until {}; {} expired key(s) deleted.",
                RELOAD_EVERY.as_secs(),
                rotation.retired,
                time(until),
                rotation.dropped
            );
            Ok(())
        }
        KeysAction::List => {
            let all = store.signing_keys().await?;
            let now = rollcall_server::now_millis();
            let mut signing_seen = false;
            println!("{:<14} {:<24} state", "key id", "created");
            for k in &all {
                let state = match k.accept_until {
                    None if !signing_seen => {
                        signing_seen = true;
                        "signs new tokens".to_owned()
                    }
                    None => "checks tokens (a newer live key signs)".to_owned(),
                    Some(until) if until >= now => format!("checks tokens until {}", time(until)),
                    Some(until) => {
                        format!("expired {} (deleted at the next rotation)", time(until))
                    }
                };
                let created = if k.create_time == 0 {
                    "before key ids".to_owned()
                } else {
                    time(k.create_time)
                };
                println!("{:<14} {:<24} {state}", k.kid, created);
            }
            Ok(())
        }
    };
    if fixed {
        eprintln!("note: ROLLCALL_JWT_SECRET is set here; servers started with it sign and check with that secret and ignore these database keys");
    }
    store.close().await;
    outcome
}
