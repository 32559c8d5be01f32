//! `rollcall companies list|create|update|delete`.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};
use futures::TryStreamExt;
use rollcall_client::types::company::{CompanyDto, CompanyInput, SearchCompanyDto};
use rollcall_client::{Client, FilterItem};

use super::Common;
use crate::exit::CliError;
use crate::output::{self, Mode};
use crate::resolve::{self, name_search, Company};

/// `rollcall companies ...`.
#[derive(Debug, Args)]
pub struct CompaniesCmd {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: CompaniesSub,
}

#[derive(Debug, Subcommand)]
enum CompaniesSub {
    /// The companies you manage, with licence data and user counts.
    List(ListArgs),
    /// Creates a company below yours (or below --parent).
    Create(CreateArgs),
    /// Changes a company (only the fields given).
    Update(UpdateArgs),
    /// Deletes a company with its target users and all its other data.
    Delete(DeleteArgs),
}

/// Company fields of `create` and `update`. Text values may start with a hyphen.
#[derive(Debug, Args)]
struct CompanyFields {
    /// A description (up to 300 characters).
    #[arg(long, allow_hyphen_values = true)]
    description: Option<String>,
    /// Industry, by name or resource id (`GET /api/lookups/industry` lists them).
    #[arg(long, value_name = "NAME_OR_ID", allow_hyphen_values = true)]
    industry: Option<String>,
    /// Licence for N target users (a limited licence).
    #[arg(long, value_name = "N", conflicts_with = "unlimited")]
    users: Option<i64>,
    /// An unlimited licence (no user limit).
    #[arg(long)]
    unlimited: bool,
    /// Last day of the licence (YYYY-MM-DD, or an RFC 3339 time).
    #[arg(long, value_name = "DATE", value_parser = parse_time, alias = "license-end")]
    licence_end: Option<DateTime<Utc>>,
    /// Time zone (an IANA name such as Europe/London, or a Windows id).
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    time_zone: Option<String>,
    /// A tag (repeatable; on update, replaces the company's tags).
    #[arg(long = "tag", value_name = "TAG", allow_hyphen_values = true)]
    tags: Vec<String>,
}

fn parse_time(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("'{s}' is not a date: use YYYY-MM-DD, e.g. 2027-12-31"))
}

impl CompanyFields {
    async fn apply(self, client: &Client, c: &mut CompanyInput) -> Result<()> {
        if let Some(d) = self.description {
            c.description = Some(d);
        }
        if let Some(industry) = self.industry {
            c.industry_resource_id = Some(industry_id(client, &industry).await?);
        }
        if let Some(n) = self.users {
            c.number_of_users = Some(n);
            c.is_number_of_users_limited = Some(true);
        }
        if self.unlimited {
            c.is_number_of_users_limited = Some(false);
        }
        if let Some(t) = self.licence_end {
            c.license_end_date = Some(t);
        }
        if let Some(tz) = self.time_zone {
            c.time_zone_id = Some(tz);
        }
        if !self.tags.is_empty() {
            c.tags = Some(self.tags);
        }
        Ok(())
    }
}

/// An industry's resource id from its name (any case) or id, through the industry catalogue.
/// When the catalogue cannot be read (Keepnet names it by number), the value goes as given.
async fn industry_id(client: &Client, arg: &str) -> Result<String> {
    let arg = arg.trim();
    let Ok(list) = client.lookup("industry").await else {
        return Ok(arg.to_owned());
    };
    if let Some(e) = list
        .iter()
        .find(|e| e.resource_id == arg || e.name.eq_ignore_ascii_case(arg))
    {
        return Ok(e.resource_id.clone());
    }
    let near: Vec<&str> = list
        .iter()
        .filter(|e| e.name.to_lowercase().contains(&arg.to_lowercase()))
        .map(|e| e.name.as_str())
        .collect();
    let hint = if near.is_empty() {
        "GET /api/lookups/industry lists them; use a name or resource id from there".to_owned()
    } else {
        format!("did you mean: {}?", near.join(", "))
    };
    Err(CliError::Usage(format!("no industry is named '{arg}'; {hint}")).into())
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// The new company's name.
    #[arg(long, allow_hyphen_values = true)]
    name: String,
    /// The company to create it below, by name or resource id (default: your own company).
    #[arg(long, value_name = "NAME_OR_ID")]
    parent: Option<String>,
    #[command(flatten)]
    fields: CompanyFields,
}

#[derive(Debug, Args)]
struct UpdateArgs {
    /// The company, by name or resource id.
    #[arg(value_name = "COMPANY")]
    company: String,
    /// New name.
    #[arg(long, allow_hyphen_values = true)]
    name: Option<String>,
    #[command(flatten)]
    fields: CompanyFields,
}

#[derive(Debug, Args)]
struct DeleteArgs {
    /// The company, by name or resource id.
    #[arg(value_name = "COMPANY")]
    company: String,
    /// Delete without asking (needed when not on a terminal).
    #[arg(long, short = 'y')]
    yes: bool,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Only companies whose name contains TEXT (any case).
    #[arg(long, value_name = "TEXT")]
    name: Option<String>,
    /// Only companies whose active users exceed a limited licence.
    #[arg(long)]
    exceeding_limit: bool,
    /// Only companies whose licence has expired.
    #[arg(long)]
    expired: bool,
}

/// Runs a `companies` command.
pub async fn run(cmd: CompaniesCmd) -> Result<()> {
    match cmd.command {
        CompaniesSub::List(args) => list(&cmd.common, args).await,
        CompaniesSub::Create(args) => create(&cmd.common, args).await,
        CompaniesSub::Update(args) => update(&cmd.common, args).await,
        CompaniesSub::Delete(args) => delete(&cmd.common, args).await,
    }
}

/// Asks a yes/no question on stderr and reads the answer from stdin (no means no).
pub(crate) fn confirm(question: &str) -> Result<bool> {
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Whether to go on with something that cannot be undone: yes with `--yes`, else the answer
/// on a terminal; without a terminal to ask on, an error that says to pass `--yes`.
pub(crate) fn confirmed(question: &str, yes: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{question} Not on a terminal to ask: pass --yes to confirm"
        ))
        .into());
    }
    confirm(question)
}

fn print_written(common: &Common, verb: &str, id: &str, name: &str) -> Result<()> {
    match common.mode() {
        Mode::Json => output::print_json(&serde_json::json!({ "resourceId": id })),
        Mode::Table => output::print_line(format_args!("{verb} company {name} ({id})")),
    }
}

async fn create(common: &Common, a: CreateArgs) -> Result<()> {
    let client = common.client()?;
    let parent: Option<Company> = match &a.parent {
        Some(p) => Some(resolve::company(&client, p).await?),
        None => None,
    };
    let mut input = CompanyInput {
        name: Some(a.name.trim().to_owned()),
        ..CompanyInput::default()
    };
    a.fields.apply(&client, &mut input).await?;
    let id = client
        .create_company(parent.as_ref().map(|p| p.id.as_str()), &input)
        .await?;
    if let Some(p) = &parent {
        eprintln!("Created below {} ({}).", p.name, p.id);
    }
    print_written(common, "Created", &id.resource_id, &a.name)
}

/// The whole company as an update body: Keepnet's UI sends every field on PUT, so the CLI
/// does too, with the requested changes applied.
fn as_input(c: CompanyDto) -> CompanyInput {
    CompanyInput {
        name: Some(c.name),
        description: c.description,
        address: c.address,
        website_url: c.website_url,
        logo_url: c.logo_url,
        country_resource_id: c.country_resource_id,
        industry_resource_id: c.industry_resource_id,
        license_type_resource_id: c.license_type_resource_id,
        license_period_type_resource_id: c.license_period_type_resource_id,
        number_of_users: c.number_of_users,
        is_number_of_users_limited: Some(c.is_number_of_users_limited),
        license_start_date: c.license_start_date,
        license_end_date: c.license_end_date,
        time_zone_id: c.time_zone_id,
        date_format: c.date_format,
        time_format: c.time_format,
        status_id: c.status_id,
        tags: Some(c.tags),
        preferred_language_type_resource_id: c.preferred_language_type_resource_id,
        resource_id: None,
    }
}

async fn update(common: &Common, a: UpdateArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let current = client.get_company(&company.id).await?;
    let mut input = as_input(current);
    if let Some(name) = &a.name {
        input.name = Some(name.trim().to_owned());
    }
    a.fields.apply(&client, &mut input).await?;
    let id = client.update_company(&company.id, &input).await?;
    let name = a.name.as_deref().unwrap_or(&company.name);
    print_written(common, "Updated", &id.resource_id, name)
}

async fn delete(common: &Common, a: DeleteArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    // Active and inactive users: what the delete takes with it.
    let users = match client.license_check(&company.id).await {
        Ok(l) => l.total_user_count,
        Err(_) => client.get_company(&company.id).await?.target_user_count,
    };
    let question = format!(
        "Delete company {} ({}) with its {users} target user{} and all its other data? This cannot be undone.",
        company.name,
        company.id,
        if users == 1 { "" } else { "s" }
    );
    if !confirmed(&question, a.yes)? {
        eprintln!("Nothing deleted.");
        return Ok(());
    }
    let id = client.delete_company(&company.id).await?;
    print_written(common, "Deleted", &id.resource_id, &company.name)
}

async fn list(common: &Common, args: ListArgs) -> Result<()> {
    let client = common.client()?;
    let mut items = Vec::new();
    if let Some(name) = args.name.as_deref().filter(|n| !n.trim().is_empty()) {
        items.push(FilterItem::new("CompanyName", "Contains", name.trim()));
    }
    if args.expired {
        items.push(FilterItem::new("LicenceExpired", "=", "true"));
    }
    let mut body = name_search(items);
    if args.exceeding_limit {
        body.is_target_user_count_exceeded_limit = Some(true);
    }
    let rows: Vec<SearchCompanyDto> = client.search_companies(body).try_collect().await?;
    output::print_rows(
        common.mode(),
        &rows,
        &[
            "Company",
            "Resource Id",
            "Licence",
            "Active",
            "Inactive",
            "Deleted",
            "Monthly",
            "Expired",
            "Licence End",
        ],
        &[2, 3, 4, 5, 6],
        |c| {
            vec![
                c.company_name.clone(),
                c.company_resource_id.clone(),
                if c.is_number_of_users_limited {
                    c.number_of_users.clone().unwrap_or_default()
                } else {
                    "unlimited".to_owned()
                },
                c.target_user_count.to_string(),
                c.inactive_target_user_count.to_string(),
                c.deleted_target_user_count.to_string(),
                c.monthly_active_user_count.to_string(),
                if c.licence_expired { "yes" } else { "no" }.to_owned(),
                output::time(c.license_end_date),
            ]
        },
    )
}
