//! `rollcall profile add|list|remove`: named credentials in the config file (mode 0600).

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use super::Common;
use crate::config::{self, Profile, ENV_CLIENT_SECRET};
use crate::exit::CliError;
use crate::output;

/// `rollcall profile ...`.
#[derive(Debug, Args)]
pub struct ProfileCmd {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: ProfileSub,
}

#[derive(Debug, Subcommand)]
enum ProfileSub {
    /// Saves (or replaces) a profile. The secret is read from KEEPNET_CLIENT_SECRET when set,
    /// else from the first line of standard input; it is never a flag, so it stays out of the
    /// shell history.
    Add(AddArgs),
    /// The saved profiles (never their secrets).
    List,
    /// Deletes a profile.
    Remove {
        /// Profile name.
        name: String,
    },
}

#[derive(Debug, Args)]
struct AddArgs {
    /// Profile name.
    name: String,
    /// REST API client id.
    #[arg(long)]
    client_id: String,
    /// API base URL (default https://api.keepnetlabs.com).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Make it the profile used when none is named.
    #[arg(long)]
    default: bool,
}

fn read_secret() -> Result<String> {
    if let Ok(s) = std::env::var(ENV_CLIENT_SECRET) {
        if !s.trim().is_empty() {
            return Ok(s.trim().to_owned());
        }
    }
    if std::io::stdin().is_terminal() {
        eprint!("Client secret: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the secret from standard input")?;
    let secret = line.trim().to_owned();
    if secret.is_empty() {
        return Err(CliError::Usage(format!(
            "no secret: set {ENV_CLIENT_SECRET} or type it on standard input"
        ))
        .into());
    }
    Ok(secret)
}

/// Runs a `profile` command.
pub async fn run(cmd: ProfileCmd) -> Result<()> {
    let path = config::path(cmd.common.config.as_deref())?;
    match cmd.command {
        ProfileSub::Add(a) => {
            let secret = read_secret()?;
            let mut file = config::load(&path)?;
            file.profiles.insert(
                a.name.clone(),
                Profile {
                    base_url: a.base_url,
                    client_id: a.client_id,
                    client_secret: secret,
                },
            );
            if a.default || file.default_profile.is_none() {
                file.default_profile = Some(a.name.clone());
            }
            config::save(&path, &file)?;
            eprintln!("Saved profile '{}' in {}", a.name, path.display());
            Ok(())
        }
        ProfileSub::List => {
            let file = config::load(&path)?;
            let rows: Vec<serde_json::Value> = file
                .profiles
                .iter()
                .map(|(name, p)| {
                    serde_json::json!({
                        "name": name,
                        "default": file.default_profile.as_deref() == Some(name.as_str()),
                        "baseUrl": p.base_url.clone().unwrap_or_else(|| rollcall_client::DEFAULT_BASE_URL.to_owned()),
                        "clientId": p.client_id,
                    })
                })
                .collect();
            output::print_rows(
                cmd.common.mode(),
                &rows,
                &["Profile", "Default", "Base URL", "Client Id"],
                &[],
                |r| {
                    vec![
                        r["name"].as_str().unwrap_or_default().to_owned(),
                        if r["default"] == true { "*" } else { "" }.to_owned(),
                        r["baseUrl"].as_str().unwrap_or_default().to_owned(),
                        r["clientId"].as_str().unwrap_or_default().to_owned(),
                    ]
                },
            )
        }
        ProfileSub::Remove { name } => {
            let mut file = config::load(&path)?;
            if file.profiles.remove(&name).is_none() {
                return Err(CliError::NotFound(format!(
                    "no profile '{name}' in {}",
                    path.display()
                ))
                .into());
            }
            if file.default_profile.as_deref() == Some(name.as_str()) {
                file.default_profile = None;
            }
            config::save(&path, &file)?;
            eprintln!("Removed profile '{name}'");
            Ok(())
        }
    }
}
