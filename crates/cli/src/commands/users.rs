//! `rollcall users list|count|get|add|update|delete|export|import` (`delete` by ids or emails,
//! or every user a filter selects).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Result;
use clap::{Args, Subcommand};
use futures::{StreamExt, TryStreamExt};
use rollcall_client::types::target_user::{
    BulkDeleteRequest, CountSummaryDto, TargetUserDto, TargetUserInput, TargetUserSearchView,
};
use rollcall_client::FilterItem;
use serde::Serialize;

use super::export::ExportArgs;
use super::{Common, Companies, FilterArgs, PriorityArg, StatusArg};
use crate::output::{self, thousands, Mode};
use crate::resolve::{self, Company};

/// `rollcall users ...`.
#[derive(Debug, Args)]
pub struct UsersCmd {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: UsersSub,
}

#[derive(Debug, Subcommand)]
enum UsersSub {
    /// A company's target users.
    List(ListArgs),
    /// Writes a company's (or every managed company's) users to a file.
    Export(ExportArgs),
    /// Active, inactive, deleted and this month's users per company, with totals.
    Count(CountArgs),
    /// One user.
    Get(GetArgs),
    /// Adds a user.
    Add(AddArgs),
    /// Changes a user (only the fields given).
    Update(UpdateArgs),
    /// Deletes users by id or email, or every user a --where/--search/--status filter selects
    /// after a confirmation with the count (a soft delete: they stay listed as deleted).
    Delete(DeleteArgs),
    /// Brings deleted users back (by id or email), active or inactive as they were, in no
    /// target group; refused when a live user has the email now.
    Restore(GetArgs),
    /// Imports users from a CSV or Excel file: maps its columns (guessed from the headers, or
    /// --map), shows what it would do and the rows with problems, then imports on a yes.
    Import(super::import::ImportArgs),
}

#[derive(Debug, Args)]
struct ListArgs {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: String,
    /// Only the members of this target group (by name or resource id).
    #[arg(long, value_name = "NAME_OR_ID")]
    group: Option<String>,
    #[command(flatten)]
    filter: FilterArgs,
    /// At most N users (default 30).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Every user the search selects, however many.
    #[arg(long, conflicts_with = "limit")]
    all: bool,
}

/// Users `users list` shows without --limit or --all, as `gh` lists 30.
const DEFAULT_LIMIT: usize = 30;

#[derive(Debug, Args)]
struct CountArgs {
    #[command(flatten)]
    companies: Companies,
}

#[derive(Debug, Args)]
struct GetArgs {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: String,
    /// The user's resource id or email address.
    #[arg(value_name = "ID_OR_EMAIL")]
    id: String,
}

#[derive(Debug, Args)]
struct DeleteArgs {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: String,
    /// Resource ids or email addresses of the users (or select them with --where, --search
    /// or --status instead).
    #[arg(
        value_name = "ID_OR_EMAIL",
        required_unless_present_any = ["conditions", "search", "status"],
        conflicts_with_all = ["conditions", "search", "status", "sort", "desc"]
    )]
    ids: Vec<String>,
    /// A user that does not exist or is already deleted is not an error (a note on stderr).
    #[arg(long)]
    ignore_not_found: bool,
    /// Every user the filter selects (users already deleted are left out): counted first,
    /// then deleted after a yes on the terminal, or with --yes.
    #[command(flatten)]
    filter: FilterArgs,
    /// Delete the users the filter selects without asking.
    #[arg(long, short = 'y')]
    yes: bool,
}

/// User fields of `add` and `update`. Text values may start with a hyphen (`--department -Ops`).
#[derive(Debug, Args)]
struct UserFields {
    #[arg(long, allow_hyphen_values = true)]
    first_name: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    last_name: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    department: Option<String>,
    #[arg(long, value_name = "PHONE", allow_hyphen_values = true)]
    phone: Option<String>,
    /// Keepnet's priority, in any case (other values are refused before any request).
    #[arg(long, value_enum, ignore_case = true)]
    priority: Option<PriorityArg>,
    /// Time zone id (e.g. Europe/London).
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    time_zone: Option<String>,
    /// Preferred language id.
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    language: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    manager_first_name: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    manager_last_name: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    manager_email: Option<String>,
    /// A custom field's value, NAME=VALUE (repeatable; dates as 2026-12-05; an empty VALUE
    /// clears it). `rollcall fields list` names the fields.
    #[arg(long = "field", value_name = "NAME=VALUE", allow_hyphen_values = true)]
    custom: Vec<String>,
}

impl UserFields {
    fn apply(self, u: &mut TargetUserInput) -> Result<()> {
        if !self.custom.is_empty() {
            let mut items = Vec::with_capacity(self.custom.len());
            for pair in &self.custom {
                let Some((name, value)) = pair.split_once('=') else {
                    return Err(crate::exit::CliError::Usage(format!(
                        "--field takes NAME=VALUE, not '{pair}'"
                    ))
                    .into());
                };
                items.push(serde_json::json!({"name": name.trim(), "value": value}));
            }
            u.custom_fields = Some(items);
        }
        let set = |slot: &mut Option<String>, v: Option<String>| {
            if v.is_some() {
                *slot = v;
            }
        };
        set(&mut u.first_name, self.first_name);
        set(&mut u.last_name, self.last_name);
        set(&mut u.department, self.department);
        set(&mut u.phone_number, self.phone);
        set(&mut u.priority, self.priority.map(|p| p.name().to_owned()));
        set(&mut u.time_zone_id, self.time_zone);
        set(&mut u.preferred_language_id, self.language);
        set(&mut u.manager_first_name, self.manager_first_name);
        set(&mut u.manager_last_name, self.manager_last_name);
        set(&mut u.manager_email, self.manager_email);
        Ok(())
    }
}

#[derive(Debug, Args)]
struct AddArgs {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: String,
    /// Email address (unique in the company).
    #[arg(long, allow_hyphen_values = true)]
    email: String,
    #[command(flatten)]
    fields: UserFields,
    /// Add the user as inactive.
    #[arg(long)]
    inactive: bool,
}

#[derive(Debug, Args)]
struct UpdateArgs {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: String,
    /// The user's resource id or email address.
    #[arg(value_name = "ID_OR_EMAIL")]
    id: String,
    /// New email address.
    #[arg(long, allow_hyphen_values = true)]
    email: Option<String>,
    #[command(flatten)]
    fields: UserFields,
    /// Mark the user active.
    #[arg(long, conflicts_with = "inactive")]
    active: bool,
    /// Mark the user inactive.
    #[arg(long)]
    inactive: bool,
}

/// Runs a `users` command.
pub async fn run(cmd: UsersCmd) -> Result<()> {
    let common = &cmd.common;
    match cmd.command {
        UsersSub::List(a) => list(common, a).await,
        UsersSub::Export(a) => super::export::run(common, a).await,
        UsersSub::Count(a) => count(common, a).await,
        UsersSub::Get(a) => get(common, a).await,
        UsersSub::Add(a) => add(common, a).await,
        UsersSub::Update(a) => update(common, a).await,
        UsersSub::Delete(a) => delete(common, a).await,
        UsersSub::Restore(a) => restore(common, a).await,
        UsersSub::Import(a) => super::import::run(common, a).await,
    }
}

fn status_text(deleted: bool, status: &str) -> String {
    if deleted {
        "Deleted".to_owned()
    } else {
        status.to_owned()
    }
}

async fn list(common: &Common, a: ListArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let mut body = a.filter.search_request()?;
    let limit = match (a.all, a.limit) {
        (true, _) => usize::MAX,
        (false, limit) => limit.unwrap_or(DEFAULT_LIMIT),
    };
    // Rows taken from the search: those past the limit are not shown, but one there tells a
    // group listing that more match.
    let seen = Arc::new(AtomicUsize::new(0));
    let (rows, matched) = match &a.group {
        // The group's member search: Keepnet's endpoint, so that --group works on both. The
        // client streams it without the first page's total, so one row more than shown is
        // asked for: it tells whether more match.
        Some(group) => {
            let group = resolve::group(&client, &company.id, group).await?;
            let ask = limit.saturating_add(1);
            if ask < usize::MAX {
                body.page_size = Some(ask.clamp(1, 1000) as i64);
            }
            let rows = client.search_target_group_users(Some(&company.id), &group.id, body, ask);
            (rows, Matched::MoreThanShown(group.name))
        }
        // The first page by itself, for its totalNumberOfRecords; the rest streamed after it.
        None => {
            if limit < usize::MAX {
                // Do not fetch 1000 rows to show 30, nor a page ahead that will not be read:
                // with N up to a page, one request.
                body.page_size = Some(limit.clamp(1, 1000) as i64);
            }
            let first = client
                .search_target_users_page(Some(&company.id), body.clone())
                .await?;
            let total = usize::try_from(first.total_number_of_records).unwrap_or(0);
            let got = first.results.len();
            let first_rows = futures::stream::iter(first.results.into_iter().map(Ok));
            let rows = if got > 0 && got < limit && first.page_number < first.total_number_of_pages
            {
                body.page_number = Some(first.page_number + 1);
                let rest = client.search_target_users_up_to(Some(&company.id), body, limit - got);
                first_rows.chain(rest).boxed()
            } else {
                first_rows.boxed()
            };
            (rows, Matched::Total(total))
        }
    };
    let counted = seen.clone();
    let rows = rows
        .try_filter(move |_| {
            let n = counted.fetch_add(1, Ordering::Relaxed);
            futures::future::ready(n < limit)
        })
        .boxed();
    print_user_rows(common.mode(), rows).await?;
    if output::stdout_closed() {
        return Ok(());
    }
    let seen = seen.load(Ordering::Relaxed);
    let shown = seen.min(limit);
    // On stderr, so that stdout stays a whole JSON array or table.
    match matched {
        Matched::Total(total) if total > shown => eprintln!(
            "Showing {} of {} users in {} (use --limit N or --all)",
            thousands(shown),
            thousands(total),
            company.name
        ),
        Matched::MoreThanShown(group) if seen > limit => eprintln!(
            "Showing the first {} members of group {group} in {}; more match (use --limit N \
             or --all)",
            thousands(shown),
            company.name
        ),
        _ => {}
    }
    Ok(())
}

/// How many users a listing's search selects.
enum Matched {
    /// The first page's totalNumberOfRecords.
    Total(usize),
    /// Unknown (a group's members, named): more than shown if an extra row came.
    MoreThanShown(String),
}

/// Prints target-user search rows as they arrive: a table, or a JSON array.
pub async fn print_user_rows(
    mode: Mode,
    rows: futures::stream::BoxStream<'static, rollcall_client::Result<TargetUserSearchView>>,
) -> Result<()> {
    output::print_stream(
        mode,
        rows,
        &[
            "Email",
            "First Name",
            "Last Name",
            "Department",
            "Status",
            "Priority",
            "Created",
            "Resource Id",
        ],
        |u| {
            vec![
                u.email,
                u.first_name.unwrap_or_default(),
                u.last_name.unwrap_or_default(),
                u.department.unwrap_or_default(),
                status_text(u.is_deleted, &u.status),
                u.priority,
                output::time(Some(u.create_time)),
                u.resource_id,
            ]
        },
    )
    .await
}

/// One company's counts.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub active: i64,
    pub inactive: i64,
    pub deleted: i64,
    /// Users added in the current month (UTC), whatever their status now.
    pub monthly: i64,
}

impl Counts {
    fn of(s: &CountSummaryDto) -> Self {
        Self {
            active: s.total_number_of_active_users,
            inactive: s.total_number_of_in_active_users,
            deleted: s.total_number_of_deleted_users,
            // Oldest first: the last entry is the current month.
            monthly: s.monthly_active_users.last().map_or(0, |m| m.count),
        }
    }

    fn add(&mut self, o: &Counts) {
        self.active += o.active;
        self.inactive += o.inactive;
        self.deleted += o.deleted;
        self.monthly += o.monthly;
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CompanyCounts {
    company: String,
    company_resource_id: String,
    #[serde(flatten)]
    counts: Counts,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CountReport {
    /// `YYYY-MM` of the monthly column.
    month: String,
    companies: Vec<CompanyCounts>,
    totals: Counts,
}

async fn count(common: &Common, a: CountArgs) -> Result<()> {
    let client = common.client()?;
    let list = a.companies.resolve(&client).await?;
    let bar = output::progress(Some(list.len() as u64), "counting");
    // A few companies at a time, results in the companies' order.
    let summaries: Vec<(Company, CountSummaryDto)> = futures::stream::iter(list)
        .map(|c| {
            let client = client.clone();
            let bar = bar.clone();
            async move {
                let s = client.count_summary(Some(&c.id)).await;
                bar.inc(1);
                s.map(|s| (c, s))
            }
        })
        .buffered(4)
        .try_collect()
        .await?;
    bar.finish_and_clear();
    let month = summaries
        .iter()
        .find_map(|(_, s)| s.monthly_active_users.last().map(|m| m.period.clone()))
        .unwrap_or_else(|| chrono::Utc::now().format("%Y-%m").to_string());
    let mut totals = Counts::default();
    let rows: Vec<CompanyCounts> = summaries
        .iter()
        .map(|(c, s)| {
            let counts = Counts::of(s);
            totals.add(&counts);
            CompanyCounts {
                company: c.name.clone(),
                company_resource_id: c.id.clone(),
                counts,
            }
        })
        .collect();
    let report = CountReport {
        month,
        companies: rows,
        totals,
    };
    match common.mode() {
        Mode::Json => output::print_json(&report),
        Mode::Table => {
            let line = |name: String, id: String, c: &Counts| {
                vec![
                    name,
                    id,
                    c.active.to_string(),
                    c.inactive.to_string(),
                    c.deleted.to_string(),
                    c.monthly.to_string(),
                ]
            };
            let mut cells: Vec<Vec<String>> = report
                .companies
                .iter()
                .map(|r| line(r.company.clone(), r.company_resource_id.clone(), &r.counts))
                .collect();
            cells.push(line("Total".into(), String::new(), &report.totals));
            let monthly = format!("Monthly ({})", report.month);
            output::print_table(&output::listing(
                &[
                    "Company",
                    "Resource Id",
                    "Active",
                    "Inactive",
                    "Deleted",
                    &monthly,
                ],
                cells,
                &[2, 3, 4, 5],
            )?)
        }
    }
}

fn print_user(common: &Common, u: &TargetUserDto) -> Result<()> {
    match common.mode() {
        Mode::Json => output::print_json(u),
        Mode::Table => {
            let opt = |s: &Option<String>| s.clone().unwrap_or_default();
            let mut rows = vec![
                vec!["Resource Id".into(), u.resource_id.clone()],
                vec!["Email".into(), u.email.clone()],
                vec!["First Name".into(), opt(&u.first_name)],
                vec!["Last Name".into(), opt(&u.last_name)],
                vec!["Department".into(), opt(&u.department)],
                vec!["Phone Number".into(), opt(&u.phone_number)],
                vec!["Priority".into(), u.priority.clone()],
                vec![
                    "Status".into(),
                    status_text(
                        u.is_deleted,
                        if u.is_active { "Active" } else { "Inactive" },
                    ),
                ],
                vec!["Time Zone".into(), opt(&u.time_zone_id)],
                vec!["Preferred Language".into(), opt(&u.preferred_language_id)],
                vec!["Manager".into(), opt(&u.manager_full_name)],
                vec!["Manager Email".into(), opt(&u.manager_email)],
                vec!["Created".into(), output::time(Some(u.create_time))],
                vec!["Updated".into(), output::time(u.update_time)],
            ];
            // The company's custom fields, after the built-in ones.
            for v in &u.custom_field_values {
                rows.push(vec![opt(&v.name), opt(&v.value)]);
            }
            output::print_table(&output::table(&["Field", "Value"], rows, &[]))
        }
    }
}

async fn get(common: &Common, a: GetArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let id = resolve::user(&client, &company, &a.id).await?;
    let u = client.get_target_user(Some(&company.id), &id).await?;
    print_user(common, &u)
}

async fn restore(common: &Common, a: GetArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let id = resolve::deleted_user(&client, &company, &a.id).await?;
    let before = client.get_target_user(Some(&company.id), &id).await?;
    if !before.is_deleted {
        eprintln!(
            "note: user {id} ({}) is not deleted in {} ({}); nothing to restore",
            before.email, company.name, company.id
        );
        return match common.mode() {
            Mode::Json => output::print_json(&serde_json::json!({ "resourceId": id })),
            Mode::Table => Ok(()),
        };
    }
    let u = client
        .restore_target_user(Some(&company.id), &id)
        .await
        .map_err(|e| {
            let conflict = e.root().http_status() == Some(409);
            let e = anyhow::Error::new(e);
            if conflict {
                e.context(format!(
                    "cannot restore user {id} ({}): another user has its email now",
                    before.email
                ))
            } else {
                e
            }
        })?;
    print_id(common, "Restored", &u.resource_id, &company)
}

fn print_id(common: &Common, verb: &str, id: &str, company: &Company) -> Result<()> {
    match common.mode() {
        Mode::Json => output::print_json(&serde_json::json!({ "resourceId": id })),
        Mode::Table => output::print_line(format_args!(
            "{verb} user {id} in {} ({})",
            company.name, company.id
        )),
    }
}

async fn add(common: &Common, a: AddArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let mut input = TargetUserInput {
        email: Some(a.email),
        is_active: Some(!a.inactive),
        ..TargetUserInput::default()
    };
    a.fields.apply(&mut input)?;
    let id = client.create_target_user(Some(&company.id), &input).await?;
    print_id(common, "Added", &id.resource_id, &company)
}

/// The whole user as an update body: Keepnet's UI sends the full row on PUT, so the CLI does
/// too, with the requested changes applied.
fn as_input(u: TargetUserDto) -> TargetUserInput {
    TargetUserInput {
        email: Some(u.email),
        first_name: u.first_name,
        last_name: u.last_name,
        department: u.department,
        priority: Some(u.priority),
        is_active: Some(u.is_active),
        custom_fields: None,
        phone_number: u.phone_number,
        target_group_resource_ids: None,
        time_zone_id: u.time_zone_id,
        preferred_language_id: u.preferred_language_id,
        manager_first_name: u.manager_first_name,
        manager_last_name: u.manager_last_name,
        manager_email: u.manager_email,
    }
}

async fn update(common: &Common, a: UpdateArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let id = resolve::user(&client, &company, &a.id).await?;
    let current = client.get_target_user(Some(&company.id), &id).await?;
    let mut input = as_input(current);
    if let Some(email) = a.email {
        input.email = Some(email);
    }
    a.fields.apply(&mut input)?;
    if a.active {
        input.is_active = Some(true);
    }
    if a.inactive {
        input.is_active = Some(false);
    }
    let id = client
        .update_target_user(Some(&company.id), &id, &input)
        .await?;
    print_id(common, "Updated", &id.resource_id, &company)
}

async fn delete(common: &Common, a: DeleteArgs) -> Result<()> {
    if a.ids.is_empty() {
        return bulk_delete(common, a).await;
    }
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let mut deleted = Vec::new();
    let mut skipped = Vec::new();
    for arg in &a.ids {
        let id = &match resolve::user(&client, &company, arg).await {
            Ok(id) => id,
            // An email that names no user is a user that is not there.
            Err(e) if a.ignore_not_found && not_found(&e) => {
                eprintln!(
                    "note: no user has the email {arg} in {} ({}); nothing to delete",
                    company.name, company.id
                );
                skipped.push(arg.clone());
                continue;
            }
            Err(e) => return Err(e),
        };
        let r = match client.delete_target_user(Some(&company.id), id).await {
            Ok(r) => r,
            Err(e) if a.ignore_not_found => match gone(&client, &company, id, &e).await {
                Some(why) => {
                    eprintln!(
                        "note: user {id} {why} in {} ({}); nothing to delete",
                        company.name, company.id
                    );
                    skipped.push(id.clone());
                    continue;
                }
                None => return Err(e.into()),
            },
            Err(e) if matches!(e.root().http_status(), Some(404 | 409)) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "cannot delete user {id} (add --ignore-not-found to skip users that are \
                     missing or already deleted)"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        if common.mode() == Mode::Table {
            output::print_line(format_args!(
                "Deleted user {} in {} ({})",
                r.resource_id, company.name, company.id
            ))?;
        }
        deleted.push(r.resource_id);
    }
    if common.mode() == Mode::Json {
        let mut report = serde_json::json!({ "deleted": deleted });
        if a.ignore_not_found {
            report["notFound"] = serde_json::json!(skipped);
        }
        output::print_json(&report)?;
    }
    Ok(())
}

/// What a filter selects, in words: `Department = Sales and text "ann" and status active`.
fn describe_filter(f: &FilterArgs) -> String {
    let mut parts: Vec<String> = f.conditions.chunks(3).map(|c| c.join(" ")).collect();
    if let Some(text) = f.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        parts.push(format!("--search {text:?}"));
    }
    match f.status {
        Some(StatusArg::Active) => parts.push("--status active".into()),
        Some(StatusArg::Inactive) => parts.push("--status inactive".into()),
        Some(StatusArg::Deleted) => parts.push("--status deleted".into()),
        None => {}
    }
    parts.join(" and ")
}

/// `1 user`, `1,234 users`.
fn users_count(n: usize) -> String {
    format!("{} user{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// `users delete --where ...`: counts the users the filter selects (one search page of one
/// row), asks (or takes --yes), then deletes them with one bulk delete by filter.
async fn bulk_delete(common: &Common, a: DeleteArgs) -> Result<()> {
    if a.filter.status == Some(StatusArg::Deleted) {
        return Err(crate::exit::CliError::Usage(
            "--status deleted selects users that are already deleted: there is nothing to delete"
                .into(),
        )
        .into());
    }
    if a.ignore_not_found {
        return Err(crate::exit::CliError::Usage(
            "--ignore-not-found is for users named by id or email, not with --where".into(),
        )
        .into());
    }
    let mut body = a.filter.search_request()?;
    // Users already deleted are not deleted again: leave them out of the count too.
    if a.filter.status.is_none() {
        if let Some(and) = body
            .filter
            .as_mut()
            .and_then(|f| f.filter_groups.as_mut())
            .and_then(|g| g.first_mut())
        {
            and.filter_items
                .get_or_insert_with(Vec::new)
                .push(FilterItem::new("IsDeleted", "Contains", false));
        }
    }
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let described = describe_filter(&a.filter);
    let mut count_body = body.clone();
    count_body.page_number = Some(1);
    count_body.page_size = Some(1);
    let first = client
        .search_target_users_page(Some(&company.id), count_body)
        .await?;
    let matched = usize::try_from(first.total_number_of_records).unwrap_or(0);
    if matched == 0 {
        eprintln!(
            "No users of {} ({}) match {described}; nothing deleted.",
            company.name, company.id
        );
        if common.mode() == Mode::Json {
            output::print_json(&serde_json::json!({ "matched": 0, "deleted": 0 }))?;
        }
        return Ok(());
    }
    let question = format!(
        "Delete {} of {} matching {described}?",
        users_count(matched),
        company.name
    );
    if !super::companies::confirmed(&question, a.yes)? {
        eprintln!("Nothing deleted.");
        return Ok(());
    }
    let request = BulkDeleteRequest {
        items: None,
        select_all: Some(true),
        excluded_items: Some(Vec::new()),
        filter: body.filter,
    };
    let r = client
        .bulk_delete_target_users(Some(&company.id), &request)
        .await?;
    let deleted = usize::try_from(r.deleted_count).unwrap_or(0);
    match common.mode() {
        Mode::Json => output::print_json(&serde_json::json!({
            "matched": matched,
            "deleted": deleted,
        })),
        Mode::Table => output::print_line(format_args!(
            "Deleted {} of {} ({}) matching {described}",
            users_count(deleted),
            company.name,
            company.id
        )),
    }
}

/// Whether `e` is the CLI's own not-found (an email that names no user).
fn not_found(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<crate::exit::CliError>(),
        Some(crate::exit::CliError::NotFound(_))
    )
}

/// Why a failed delete means there is no user to delete (for `--ignore-not-found`), or `None`
/// when it is a real error. rollcall answers 409 for a user that is already deleted; other 409s
/// stay errors, so a 409 counts only when the user reads back as deleted (or not at all).
async fn gone(
    client: &rollcall_client::Client,
    company: &Company,
    id: &str,
    e: &rollcall_client::ClientError,
) -> Option<&'static str> {
    match e.root().http_status() {
        Some(404) => Some("was not found"),
        Some(409) => match client.get_target_user(Some(&company.id), id).await {
            Ok(u) if u.is_deleted => Some("is already deleted"),
            Ok(_) => None,
            Err(e) if e.root().http_status() == Some(404) => Some("is already deleted"),
            Err(_) => None,
        },
        _ => None,
    }
}
