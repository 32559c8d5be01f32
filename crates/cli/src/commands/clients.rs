//! `rollcall clients list|create|rotate-secret|activate|deactivate|delete`: a company's REST
//! API clients (the credentials its tools get tokens with).

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use futures::TryStreamExt;
use rollcall_client::types::company::{ClientDto, ClientInput, SearchClientDto};
use rollcall_client::{Client, SearchRequest};
use serde::Serialize;

use super::companies::confirmed;
use super::{Common, CompanyArg};
use crate::exit::CliError;
use crate::output::{self, Mode};
use crate::resolve::{self, Company};

/// `rollcall clients ...`.
#[derive(Debug, Args)]
pub struct ClientsCmd {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: ClientsSub,
}

#[derive(Debug, Subcommand)]
enum ClientsSub {
    /// A company's REST API clients.
    List(CompanyArg),
    /// Creates a client with a generated id and secret; prints the secret once.
    Create(CreateArgs),
    /// Gives a client a new generated secret (printed once); the old one stops working.
    RotateSecret(ClientArg),
    /// Lets an inactive client get tokens again.
    Activate(ClientArg),
    /// Stops a client from getting tokens (it stays listed; `activate` undoes it).
    Deactivate(ClientArg),
    /// Deletes a client: its tokens stop working at once.
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
struct ClientArg {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: String,
    /// The client, by client id or resource id.
    #[arg(value_name = "CLIENT")]
    client: String,
}

#[derive(Debug, Args)]
struct DeleteArgs {
    #[command(flatten)]
    target: ClientArg,
    /// Delete without asking (needed when not on a terminal).
    #[arg(long, short = 'y')]
    yes: bool,
}

/// `--role`: the two roles a client can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RoleArg {
    /// Manages the companies below its own.
    #[value(name = "Reseller")]
    Reseller,
    /// Manages its own company only.
    #[value(name = "CompanyAdmin", alias = "company-admin")]
    CompanyAdmin,
}

impl RoleArg {
    /// The role's name in `GET /api/roles`, without spaces, lower case.
    fn key(self) -> &'static str {
        match self {
            RoleArg::Reseller => "reseller",
            RoleArg::CompanyAdmin => "companyadmin",
        }
    }
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: String,
    /// A name for the client (what it is for, e.g. "HR sync").
    #[arg(long, allow_hyphen_values = true)]
    name: String,
    /// What the client may do (any case).
    #[arg(long, value_enum, ignore_case = true)]
    role: RoleArg,
}

/// Runs a `clients` command.
pub async fn run(cmd: ClientsCmd) -> Result<()> {
    let common = &cmd.common;
    match cmd.command {
        ClientsSub::List(a) => list(common, a).await,
        ClientsSub::Create(a) => create(common, a).await,
        ClientsSub::RotateSecret(a) => rotate(common, a).await,
        ClientsSub::Activate(a) => set_status(common, a, true).await,
        ClientsSub::Deactivate(a) => set_status(common, a, false).await,
        ClientsSub::Delete(a) => delete(common, a).await,
    }
}

async fn all_clients(client: &Client, company: &Company) -> Result<Vec<SearchClientDto>> {
    Ok(client
        .search_clients(Some(&company.id), SearchRequest::default())
        .try_collect()
        .await?)
}

async fn list(common: &Common, a: CompanyArg) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let rows = all_clients(&client, &company).await?;
    output::print_rows(
        common.mode(),
        &rows,
        &["Name", "Client Id", "Status", "Created", "Resource Id"],
        &[],
        |c| {
            vec![
                c.client_name.clone(),
                c.client_id.clone(),
                c.status_name.clone(),
                output::time(Some(c.create_time)),
                c.resource_id.clone(),
            ]
        },
    )
}

/// The company's client with this client id or resource id. Looked up among the company's
/// own clients, so that a client of another company is never changed by mistake.
async fn find(client: &Client, company: &Company, arg: &str) -> Result<ClientDto> {
    let arg = arg.trim();
    let rows = all_clients(client, company).await?;
    let Some(row) = rows
        .iter()
        .find(|c| c.client_id == arg || c.resource_id == arg)
    else {
        let known = rows
            .iter()
            .map(|c| {
                format!(
                    "  {} (client id {}, {})",
                    c.client_name, c.client_id, c.resource_id
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let listing = if known.is_empty() {
            "it has no clients".to_owned()
        } else {
            format!("its clients:\n{known}")
        };
        return Err(CliError::NotFound(format!(
            "no client with the client id or resource id '{arg}' in {} ({}); {listing}",
            company.name, company.id
        ))
        .into());
    };
    Ok(client
        .get_client(Some(&company.id), &row.resource_id)
        .await?)
}

/// The client as an update body (every field, as Keepnet's UI sends it); no secret keeps the
/// current one.
fn as_input(c: &ClientDto) -> ClientInput {
    ClientInput {
        name: Some(c.name.clone()),
        client_id: Some(c.client_id.clone()),
        client_secret: None,
        status_id: Some(c.status_id),
        has_ip_address_restriction: Some(c.has_ip_address_restriction),
        allowed_ip_addresses: Some(c.allowed_ip_addresses.clone()),
        role_resource_id_list: Some(c.role_resource_id_list.clone()),
    }
}

/// A new client's credentials, as printed once.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Secret<'a> {
    resource_id: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
}

/// Prints a secret on stdout, the only time it can be seen, and says so on stderr.
fn print_secret(common: &Common, s: &Secret<'_>) -> Result<()> {
    match common.mode() {
        Mode::Json => output::print_json(s)?,
        Mode::Table => {
            output::print_line(format_args!("Client id:     {}", s.client_id))?;
            output::print_line(format_args!("Client secret: {}", s.client_secret))?;
        }
    }
    eprintln!(
        "Save the client secret now: it cannot be shown again (the server keeps only a hash). \
         If it is lost, get a new one with `rollcall clients rotate-secret`."
    );
    Ok(())
}

/// The resource id of `role` in the company's role list (`GET /api/roles`).
async fn role_id(client: &Client, company: &Company, role: RoleArg) -> Result<String> {
    let roles = client.roles(Some(&company.id)).await?;
    let key = |name: &str| {
        name.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    roles
        .iter()
        .find(|r| key(&r.name) == role.key())
        .map(|r| r.resource_id.clone())
        .ok_or_else(|| {
            let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
            anyhow::anyhow!(
                "the server has no {:?} role (it lists: {}); check the server version",
                role,
                names.join(", ")
            )
        })
}

async fn create(common: &Common, a: CreateArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let role = role_id(&client, &company, a.role).await?;
    let creds = client
        .generate_client_credentials(Some(&company.id))
        .await?;
    let input = ClientInput {
        name: Some(a.name.trim().to_owned()),
        client_id: Some(creds.client_id.clone()),
        client_secret: Some(creds.client_secret.clone()),
        status_id: Some(1),
        has_ip_address_restriction: Some(false),
        allowed_ip_addresses: Some(Vec::new()),
        role_resource_id_list: Some(vec![role]),
    };
    let id = client.create_client(Some(&company.id), &input).await?;
    eprintln!(
        "Created client {} in {} ({}).",
        a.name.trim(),
        company.name,
        company.id
    );
    print_secret(
        common,
        &Secret {
            resource_id: &id.resource_id,
            client_id: &creds.client_id,
            client_secret: &creds.client_secret,
        },
    )
}

async fn rotate(common: &Common, a: ClientArg) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let current = find(&client, &company, &a.client).await?;
    // Only the generated secret is used: the client keeps its id.
    let creds = client
        .generate_client_credentials(Some(&company.id))
        .await?;
    let mut input = as_input(&current);
    input.client_secret = Some(creds.client_secret.clone());
    let id = client
        .update_client(Some(&company.id), &current.resource_id, &input)
        .await?;
    eprintln!(
        "New secret for client {} ({}); the old secret no longer gets tokens.",
        current.name, current.client_id
    );
    print_secret(
        common,
        &Secret {
            resource_id: &id.resource_id,
            client_id: &current.client_id,
            client_secret: &creds.client_secret,
        },
    )
}

fn print_done(common: &Common, what: &str, c: &ClientDto, company: &Company) -> Result<()> {
    match common.mode() {
        Mode::Json => output::print_json(&serde_json::json!({
            "resourceId": c.resource_id,
            "clientId": c.client_id,
        })),
        Mode::Table => output::print_line(format_args!(
            "{what} client {} ({}) in {} ({})",
            c.name, c.client_id, company.name, company.id
        )),
    }
}

async fn set_status(common: &Common, a: ClientArg, active: bool) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let current = find(&client, &company, &a.client).await?;
    let mut input = as_input(&current);
    input.status_id = Some(i32::from(active));
    client
        .update_client(Some(&company.id), &current.resource_id, &input)
        .await?;
    let what = if active { "Activated" } else { "Deactivated" };
    print_done(common, what, &current, &company)
}

async fn delete(common: &Common, a: DeleteArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.target.company).await?;
    let current = find(&client, &company, &a.target.client).await?;
    let question = format!(
        "Delete client {} ({}) of {}? Its tokens stop working at once; this cannot be undone.",
        current.name, current.client_id, company.name
    );
    if !confirmed(&question, a.yes)? {
        eprintln!("Nothing deleted.");
        return Ok(());
    }
    client
        .delete_client(Some(&company.id), &current.resource_id)
        .await?;
    print_done(common, "Deleted", &current, &company)
}
