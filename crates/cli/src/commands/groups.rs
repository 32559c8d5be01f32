//! `rollcall groups list|create|delete|members|add|remove`: a company's target groups.

use anyhow::Result;
use clap::{Args, Subcommand};
use futures::TryStreamExt;
use rollcall_client::types::target_group::{AddGroupUsersRequest, TargetGroupInput};
use rollcall_client::SearchRequest;

use super::{Common, CompanyArg, FilterArgs, PriorityArg};
use crate::output::{self, Mode};
use crate::resolve::{self, Company, Group};

/// `rollcall groups ...`.
#[derive(Debug, Args)]
pub struct GroupsCmd {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: GroupsSub,
}

#[derive(Debug, Subcommand)]
enum GroupsSub {
    /// A company's target groups, with their member counts.
    List(CompanyArg),
    /// Creates a group.
    Create(CreateArgs),
    /// Deletes groups (their users stay).
    Delete(DeleteArgs),
    /// A group's members (or, with --outside, the company's users who are not members).
    Members(MembersArgs),
    /// Adds users to a group: by resource id, or every user a filter selects (--where,
    /// --search, --status).
    Add(AddArgs),
    /// Takes users out of a group.
    Remove(RemoveArgs),
}

#[derive(Debug, Args)]
struct CreateArgs {
    #[command(flatten)]
    company: CompanyArg,
    /// The group's name (1 to 64 characters, unique in the company in any case; may start
    /// with a hyphen).
    #[arg(long, allow_hyphen_values = true)]
    name: String,
    /// Default Medium.
    #[arg(long, value_enum, ignore_case = true)]
    priority: Option<PriorityArg>,
}

#[derive(Debug, Args)]
struct DeleteArgs {
    #[command(flatten)]
    company: CompanyArg,
    /// The groups, by name or resource id.
    #[arg(required = true, value_name = "GROUP")]
    groups: Vec<String>,
}

#[derive(Debug, Args)]
struct MembersArgs {
    #[command(flatten)]
    company: CompanyArg,
    /// The group, by name or resource id.
    #[arg(value_name = "GROUP")]
    group: String,
    /// The company's users who are not in the group instead.
    #[arg(long)]
    outside: bool,
    #[command(flatten)]
    filter: FilterArgs,
    /// At most N users.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
}

#[derive(Debug, Args)]
struct AddArgs {
    #[command(flatten)]
    company: CompanyArg,
    /// The group, by name or resource id.
    #[arg(value_name = "GROUP")]
    group: String,
    /// Users' resource ids (repeatable); without any, every user the filter selects.
    #[arg(long = "user", value_name = "ID")]
    users: Vec<String>,
    #[command(flatten)]
    filter: FilterArgs,
    /// Users to leave out of a filter's selection (repeatable).
    #[arg(long = "except", value_name = "ID")]
    except: Vec<String>,
}

#[derive(Debug, Args)]
struct RemoveArgs {
    #[command(flatten)]
    company: CompanyArg,
    /// The group, by name or resource id.
    #[arg(value_name = "GROUP")]
    group: String,
    /// Users' resource ids.
    #[arg(long = "user", value_name = "ID", required = true)]
    users: Vec<String>,
}

/// Runs a `groups` command.
pub async fn run(cmd: GroupsCmd) -> Result<()> {
    let common = &cmd.common;
    match cmd.command {
        GroupsSub::List(a) => list(common, a).await,
        GroupsSub::Create(a) => create(common, a).await,
        GroupsSub::Delete(a) => delete(common, a).await,
        GroupsSub::Members(a) => members(common, a).await,
        GroupsSub::Add(a) => add(common, a).await,
        GroupsSub::Remove(a) => remove(common, a).await,
    }
}

async fn list(common: &Common, a: CompanyArg) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let body = SearchRequest {
        order_by: Some("Name".into()),
        ascending: Some(true),
        ..SearchRequest::default()
    };
    let rows: Vec<_> = client
        .search_target_groups(Some(&company.id), body)
        .try_collect()
        .await?;
    output::print_rows(
        common.mode(),
        &rows,
        &[
            "Name",
            "Priority",
            "Users",
            "With Phone",
            "Created",
            "Resource Id",
        ],
        &[2, 3],
        |g| {
            vec![
                g.name.clone(),
                g.priority.clone(),
                g.user_count.to_string(),
                g.user_count_with_phone_number.to_string(),
                output::time(Some(g.create_time)),
                g.resource_id.clone(),
            ]
        },
    )
}

/// Says what was done to a group, or prints `{verb: id}` as JSON.
fn done(common: &Common, what: &str, group: &Group, company: &Company) -> Result<()> {
    match common.mode() {
        Mode::Json => output::print_json(&serde_json::json!({ "resourceId": group.id })),
        Mode::Table => output::print_line(format_args!(
            "{what} group '{}' ({}) in {} ({})",
            group.name, group.id, company.name, company.id
        )),
    }
}

async fn create(common: &Common, a: CreateArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company.company).await?;
    let input = TargetGroupInput {
        name: Some(a.name.clone()),
        priority: Some(a.priority.unwrap_or(PriorityArg::Medium).name().to_owned()),
        is_active: None,
    };
    let id = client
        .create_target_group(Some(&company.id), &input)
        .await?;
    let group = Group {
        name: a.name,
        id: id.resource_id,
    };
    done(common, "Created", &group, &company)
}

async fn delete(common: &Common, a: DeleteArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company.company).await?;
    // Every name resolves before anything is deleted, so a typo deletes nothing.
    let mut groups = Vec::with_capacity(a.groups.len());
    for g in &a.groups {
        groups.push(resolve::group(&client, &company.id, g).await?);
    }
    for g in &groups {
        client.delete_target_group(Some(&company.id), &g.id).await?;
        if common.mode() == Mode::Table {
            done(common, "Deleted", g, &company)?;
        }
    }
    if common.mode() == Mode::Json {
        let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
        output::print_json(&serde_json::json!({ "deleted": ids }))?;
    }
    Ok(())
}

async fn members(common: &Common, a: MembersArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company.company).await?;
    let group = resolve::group(&client, &company.id, &a.group).await?;
    let mut body = a.filter.search_request()?;
    body.exclude_group_users = Some(a.outside);
    let limit = a.limit.unwrap_or(usize::MAX);
    if let Some(n) = a.limit {
        body.page_size = Some(n.clamp(1, 1000) as i64);
    }
    let rows = client.search_target_group_users(Some(&company.id), &group.id, body, limit);
    super::users::print_user_rows(common.mode(), rows).await
}

async fn add(common: &Common, a: AddArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company.company).await?;
    let group = resolve::group(&client, &company.id, &a.group).await?;
    let by_filter = a.users.is_empty();
    let request = AddGroupUsersRequest {
        target_user_resource_ids: (!by_filter).then_some(a.users),
        target_group_resource_ids: Some(vec![group.id.clone()]),
        select_all: Some(by_filter),
        filter: if by_filter {
            a.filter.search_request()?.filter
        } else {
            None
        },
        excluded_resource_id_list: Some(a.except),
    };
    let rows = client
        .add_target_group_users(Some(&company.id), &request)
        .await?;
    match common.mode() {
        Mode::Json => output::print_json(&rows),
        Mode::Table => {
            let (added, now) = rows
                .first()
                .map_or((0, 0), |r| (r.added_user_count, r.user_count));
            output::print_line(format_args!(
                "Added {added} users to group '{}' ({}) in {}; it has {now} members",
                group.name, group.id, company.name
            ))
        }
    }
}

async fn remove(common: &Common, a: RemoveArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company.company).await?;
    let group = resolve::group(&client, &company.id, &a.group).await?;
    client
        .remove_target_group_users(Some(&company.id), &group.id, &a.users)
        .await?;
    done(common, "Removed users from", &group, &company)
}
