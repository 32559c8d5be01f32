//! `rollcall token`: fetches a token and shows its decoded claims (never the secret, never the
//! token itself).

use anyhow::{Context, Result};
use clap::Args;
use rollcall_client::decode_claims;
use serde_json::Value;

use super::Common;
use crate::output::{self, Mode};

/// `rollcall token`.
#[derive(Debug, Args)]
pub struct TokenCmd {
    #[command(flatten)]
    common: Common,
}

/// Runs `rollcall token`.
pub async fn run(cmd: TokenCmd) -> Result<()> {
    let client = cmd.common.client()?;
    let token = client.access_token().await?;
    let claims =
        decode_claims(&token).context("the access token is not a JWT with readable claims")?;
    match cmd.common.mode() {
        Mode::Json => output::print_json(&claims),
        Mode::Table => {
            let mut rows = Vec::new();
            if let Value::Object(map) = &claims {
                for (k, v) in map {
                    let mut text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if matches!(k.as_str(), "exp" | "iat" | "nbf") {
                        if let Some(t) = v
                            .as_i64()
                            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                        {
                            text = format!("{text} ({})", output::time(Some(t)));
                        }
                    }
                    rows.push(vec![k.clone(), text]);
                }
            }
            output::print_table(&output::table(&["Claim", "Value"], rows, &[]))
        }
    }
}
