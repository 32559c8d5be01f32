//! `rollcall audit list`: the audit log of a company, newest first.

use anyhow::Result;
use clap::{Args, Subcommand};
use rollcall_client::types::time::parse_date_or_time;
use rollcall_client::{Filter, FilterGroup, FilterItem, SearchRequest};

use super::Common;
use crate::exit::CliError;
use crate::output;
use crate::resolve;

/// `rollcall audit ...`.
#[derive(Debug, Args)]
pub struct AuditCmd {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: AuditSub,
}

#[derive(Debug, Subcommand)]
enum AuditSub {
    /// Who did what, from where: the newest audit rows first.
    List(ListArgs),
}

/// Rows `audit list` shows unless `--limit` says otherwise.
const DEFAULT_LIMIT: usize = 100;

#[derive(Debug, Args)]
struct ListArgs {
    /// The company, by name or resource id: its log and, for a Reseller, the logs of every
    /// company below it. Default: your own company.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: Option<String>,
    /// Only this operation: Create, Update, Delete, BulkCreate, BulkDelete, Export,
    /// TokenIssued or TokenFailed (any case).
    #[arg(long, value_name = "OP")]
    operation: Option<String>,
    /// Only this kind of resource: Company, ApiClient, TargetUser, Token or AuditLog (any
    /// case).
    #[arg(long, value_name = "NAME")]
    entity: Option<String>,
    /// Only rows logged at or after DATE (YYYY-MM-DD, UTC midnight, or an ISO 8601
    /// date-time).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// At most N rows, the newest.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT)]
    limit: usize,
}

impl ListArgs {
    /// The search body: the filters in one `AND` group, newest first.
    fn search_request(&self) -> Result<SearchRequest> {
        let mut items = Vec::new();
        fn text(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        if let Some(op) = text(&self.operation) {
            items.push(FilterItem::new("Operation", "=", op));
        }
        if let Some(entity) = text(&self.entity) {
            items.push(FilterItem::new("EntityName", "=", entity));
        }
        if let Some(since) = text(&self.since) {
            let at = parse_date_or_time(since).ok_or_else(|| {
                CliError::Usage(format!(
                    "--since takes a date (YYYY-MM-DD) or an ISO 8601 date-time, not '{since}'"
                ))
            })?;
            items.push(FilterItem::new(
                "LogDate",
                ">=",
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            ));
        }
        if self.limit == 0 {
            return Err(CliError::Usage("--limit must be at least 1".into()).into());
        }
        Ok(SearchRequest {
            filter: Some(Filter {
                search_input_text_value: Some(String::new()),
                condition: Some("AND".into()),
                filter_groups: Some(vec![FilterGroup {
                    condition: Some("AND".into()),
                    filter_items: Some(items),
                    filter_groups: Some(vec![]),
                }]),
            }),
            order_by: Some("LogDate".into()),
            ascending: Some(false),
            // With N up to a page, one request.
            page_size: Some(self.limit.clamp(1, 1000) as i64),
            ..SearchRequest::default()
        })
    }
}

/// Runs an `audit` command.
pub async fn run(cmd: AuditCmd) -> Result<()> {
    match cmd.command {
        AuditSub::List(args) => list(&cmd.common, args).await,
    }
}

async fn list(common: &Common, a: ListArgs) -> Result<()> {
    let body = a.search_request()?;
    let client = common.client()?;
    let scope = match a.company.as_deref() {
        Some(c) => Some(resolve::company(&client, c).await?.id),
        None => None,
    };
    let rows = client.search_audit_logs_up_to(scope.as_deref(), body, a.limit);
    output::print_stream(
        common.mode(),
        rows,
        &[
            "Date",
            "User",
            "Operation",
            "Entity",
            "Entity Id",
            "IP",
            "Description",
        ],
        |r| {
            vec![
                output::time(Some(r.log_date)),
                r.user_name.unwrap_or_default(),
                r.operation.unwrap_or_default(),
                r.entity_name.unwrap_or_default(),
                r.entity_resource_id.unwrap_or_default(),
                r.ip.unwrap_or_default(),
                r.audit_description.unwrap_or_default(),
            ]
        },
    )
    .await
}
