//! `rollcall companies list`.

use anyhow::Result;
use clap::{Args, Subcommand};
use futures::TryStreamExt;
use rollcall_client::types::company::SearchCompanyDto;
use rollcall_client::FilterItem;

use super::Common;
use crate::output;
use crate::resolve::name_search;

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
    }
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
