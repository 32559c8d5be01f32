//! `rollcall profile add|list|status|remove`: named credentials in the config file (mode 0600).

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use rollcall_client::{decode_claims, Client};
use serde_json::Value;

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
    /// Saves (or replaces) a profile once the server has accepted it. The secret is read from
    /// KEEPNET_CLIENT_SECRET when set, else typed at a hidden prompt on a terminal, else the
    /// first line of standard input; it is never a flag, so it stays out of the shell history.
    Add(AddArgs),
    /// The saved profiles (never their secrets).
    List,
    /// Who the chosen credentials are (as `gh auth status`): where they come from, the server,
    /// the client, its role and company, and when a token issued now expires.
    Status,
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
    /// Save without asking the server for a token first (offline, or a server not yet up).
    #[arg(long)]
    no_verify: bool,
}

/// The secret and where it came from, for the confirmation.
fn read_secret() -> Result<(String, &'static str)> {
    if let Ok(s) = std::env::var(ENV_CLIENT_SECRET) {
        if !s.trim().is_empty() {
            return Ok((s.trim().to_owned(), "the KEEPNET_CLIENT_SECRET variable"));
        }
    }
    if std::io::stdin().is_terminal() {
        // Not echoed, as a password prompt.
        let typed = rpassword::prompt_password("Client secret (not shown): ")
            .context("cannot read the secret from the terminal")?;
        if typed.trim().is_empty() {
            return Err(CliError::Usage(format!(
                "no secret typed: type it at the prompt, or set {ENV_CLIENT_SECRET}"
            ))
            .into());
        }
        return Ok((typed.trim().to_owned(), "the terminal"));
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
    Ok((secret, "standard input"))
}

/// A token's claims for `client`, or the error that says the credentials were refused.
async fn claims_of(client: &Client) -> Result<Value> {
    let token = client.access_token().await?;
    decode_claims(&token).context("the access token is not a JWT with readable claims")
}

/// The token's company as `Name (resource id)`, from Keepnet's claims.
fn company(claims: &Value) -> String {
    format!(
        "{} ({})",
        claim(claims, "user_company_name"),
        claim(claims, "user_company_resourceid")
    )
}

/// A claim as text (`role`, `company_id`, ...), empty when absent.
fn claim(claims: &Value, name: &str) -> String {
    match &claims[name] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Runs a `profile` command.
pub async fn run(cmd: ProfileCmd) -> Result<()> {
    let path = config::path(cmd.common.config.as_deref())?;
    match cmd.command {
        ProfileSub::Add(a) => {
            let (secret, from) = read_secret()?;
            let base_url = a
                .base_url
                .clone()
                .unwrap_or_else(|| rollcall_client::DEFAULT_BASE_URL.to_owned());
            let checked = if a.no_verify {
                None
            } else {
                let client = Client::builder(base_url.clone())
                    .credentials(a.client_id.clone(), secret.clone())
                    .retry_budget(cmd.common.retries)
                    .user_agent(concat!("rollcall-cli/", env!("CARGO_PKG_VERSION")))
                    .build()?;
                let claims = claims_of(&client).await.with_context(|| {
                    format!(
                        "{base_url} did not accept client '{}' with the secret from {from}, so profile '{}' was not saved; check both, or save it unchecked with --no-verify",
                        a.client_id, a.name
                    )
                })?;
                Some(claims)
            };
            let mut file = config::load(&path)?;
            file.profiles.insert(
                a.name.clone(),
                Profile {
                    base_url: a.base_url,
                    client_id: a.client_id.clone(),
                    client_secret: secret,
                },
            );
            if a.default || file.default_profile.is_none() {
                file.default_profile = Some(a.name.clone());
            }
            config::save(&path, &file)?;
            eprintln!(
                "Saved profile '{}' in {}: client '{}' at {base_url}, secret from {from}.",
                a.name,
                path.display(),
                a.client_id
            );
            match checked {
                Some(claims) => eprintln!(
                    "Checked: {base_url} issued a token ({} of {}).",
                    claim(&claims, "role"),
                    company(&claims)
                ),
                None => eprintln!(
                    "Not checked (--no-verify): `rollcall profile status --profile {}` checks it.",
                    a.name
                ),
            }
            Ok(())
        }
        ProfileSub::Status => {
            let creds =
                config::credentials(cmd.common.config.as_deref(), cmd.common.profile.as_deref())?;
            // A fresh token, not a cached one: the check is whether the server takes them now.
            let fresh = Common {
                no_token_cache: true,
                ..cmd.common.clone()
            };
            let client = fresh.client()?;
            let claims = claims_of(&client).await.with_context(|| {
                format!(
                    "{} refused client '{}' (credentials from {}); fix them with `rollcall profile add`",
                    creds.base_url, creds.client_id, creds.source
                )
            })?;
            let expires = claims["exp"]
                .as_i64()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0));
            let status = serde_json::json!({
                "source": creds.source,
                "baseUrl": creds.base_url,
                "clientId": creds.client_id,
                "role": claim(&claims, "role"),
                "company": claim(&claims, "user_company_name"),
                "companyResourceId": claim(&claims, "user_company_resourceid"),
                "tokenExpires": expires.map(|t| t.to_rfc3339()),
            });
            match cmd.common.mode() {
                output::Mode::Json => output::print_json(&status),
                output::Mode::Table => {
                    let rows = vec![
                        vec!["Credentials".to_owned(), creds.source.clone()],
                        vec!["Server".to_owned(), creds.base_url.clone()],
                        vec!["Client id".to_owned(), creds.client_id.clone()],
                        vec!["Role".to_owned(), claim(&claims, "role")],
                        vec!["Company".to_owned(), company(&claims)],
                        vec!["Token expires".to_owned(), output::time(expires)],
                    ];
                    output::print_table(&output::table(&["", ""], rows, &[]))
                }
            }
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
