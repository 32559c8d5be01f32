//! The client commands: `companies`, `users`, `audit`, `token`, `profile` (and `serve`).

pub mod audit;
pub mod backup;
pub mod clients;
pub mod companies;
pub mod export;
pub mod fields;
pub mod groups;
pub mod import;
pub mod keys;
pub mod migrate;
pub mod profile;
pub mod serve;
pub mod token;
pub mod users;

use std::path::PathBuf;

use anyhow::Result;
use clap::{ArgAction, Args, ValueEnum};
use rollcall_client::{Client, Filter, FilterItem, SearchRequest};
use serde_json::Value;

use crate::config;
use crate::exit::CliError;
use crate::output::{Mode, OutputArg};
use crate::token_cache::TokenCache;

/// The credentials this run uses, for the hint after a refused token (`credentials_hint`).
static CREDENTIALS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// What to tell a user whose credentials the token endpoint refused: which ones were used and
/// what to do; `None` for other errors.
pub fn credentials_hint(e: &anyhow::Error) -> Option<String> {
    let refused = e.chain().any(|cause| {
        cause
            .downcast_ref::<rollcall_client::ClientError>()
            .is_some_and(|c| matches!(c.root(), rollcall_client::ClientError::Auth { .. }))
    });
    let used = CREDENTIALS.get()?;
    refused.then(|| {
        format!(
            "hint: the token request used {used}. Check them with `rollcall profile status`, save corrected ones with `rollcall profile add NAME --client-id ID`, or pick others with --profile NAME"
        )
    })
}

/// Options shared by every client command.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Credentials and output")]
pub struct Common {
    /// Profile from the config file to take credentials from (default: the KEEPNET_CLIENT_ID /
    /// KEEPNET_CLIENT_SECRET / KEEPNET_API_BASE_URL variables, else the default profile).
    #[arg(long, global = true, env = "ROLLCALL_PROFILE")]
    pub profile: Option<String>,
    /// Config file (default: ~/.config/rollcall/config.toml).
    #[arg(long, global = true, env = "ROLLCALL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output: a table on a terminal and JSON when piped (auto), or always one of them.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        env = "ROLLCALL_OUTPUT"
    )]
    pub output: OutputArg,
    /// Attempts per request before giving up; connection errors, 429 and 5xx are retried
    /// with exponential backoff and jitter, honouring Retry-After.
    #[arg(
        long,
        global = true,
        default_value_t = 5,
        env = "ROLLCALL_RETRIES",
        value_name = "N"
    )]
    pub retries: u32,
    /// Fetch a new access token instead of reusing the one kept from an earlier run (in the
    /// user's cache directory, until shortly before it expires).
    #[arg(
        long,
        global = true,
        env = crate::token_cache::ENV_DISABLE,
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub no_token_cache: bool,
    /// Table cells at full length. By default a table on a terminal fits its width (or
    /// COLUMNS), each row on one line, long cells cut with "…".
    #[arg(long, global = true)]
    pub wide: bool,
    /// The columns a listing shows, in this order, by header name (any case, spaces ignored):
    /// --columns email,department,status. Tables and CSV only; JSON keeps every field.
    #[arg(long, global = true, value_delimiter = ',', value_name = "NAME,...")]
    pub columns: Vec<String>,
}

impl Common {
    /// A client for the chosen credentials.
    pub fn client(&self) -> Result<Client> {
        let c = config::credentials(self.config.as_deref(), self.profile.as_deref())?;
        tracing::debug!(base_url = %c.base_url, client_id = %c.client_id, source = %c.source, "credentials");
        let _ = CREDENTIALS.set(format!("client '{}' from {}", c.client_id, c.source));
        let mut builder = Client::builder(c.base_url.clone())
            .credentials(c.client_id.clone(), c.client_secret.clone())
            .retry_budget(self.retries)
            .on_retry(|n| crate::output::notice(&crate::output::retry_line(n)))
            .user_agent(concat!("rollcall-cli/", env!("CARGO_PKG_VERSION")));
        let cache = (!self.no_token_cache)
            .then(|| TokenCache::for_credentials(&c))
            .flatten();
        if let Some(cache) = cache {
            if let Some((token, expires_at)) = cache.load() {
                builder = builder.token(token, expires_at);
            }
            builder = builder.on_new_token(move |token, expires_at| cache.store(token, expires_at));
        }
        Ok(builder.build()?)
    }

    /// Table or JSON; also fixes how tables are laid out for this run.
    pub fn mode(&self) -> Mode {
        crate::output::set_layout(crate::output::Layout {
            wide: self.wide,
            columns: self.columns.clone(),
        });
        self.output.mode()
    }
}

/// `--status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// Active and not deleted.
    Active,
    /// Inactive and not deleted.
    Inactive,
    /// Deleted.
    Deleted,
}

/// `--priority` of a target group (Keepnet's five priorities; refused locally otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriorityArg {
    #[value(name = "VeryLow", alias = "verylow")]
    VeryLow,
    #[value(name = "Low", alias = "low")]
    Low,
    #[value(name = "Medium", alias = "medium")]
    Medium,
    #[value(name = "High", alias = "high")]
    High,
    #[value(name = "VeryHigh", alias = "veryhigh")]
    VeryHigh,
}

impl PriorityArg {
    /// The name Keepnet's API takes.
    pub fn name(self) -> &'static str {
        match self {
            PriorityArg::VeryLow => "VeryLow",
            PriorityArg::Low => "Low",
            PriorityArg::Medium => "Medium",
            PriorityArg::High => "High",
            PriorityArg::VeryHigh => "VeryHigh",
        }
    }
}

/// Which target users: the filters shared by `users list` and `users export`.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Only users with this status.
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// Text to look for in first name, last name, email and department (any case).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// A filter condition, e.g. --where Department Contains sales --where Priority = High.
    /// Operators: Contains, Include (comma list), =, !=, >, >=, <, <=. Repeatable (ANDed).
    #[arg(long = "where", num_args = 3, value_names = ["FIELD", "OP", "VALUE"], action = ArgAction::Append, allow_hyphen_values = true)]
    pub conditions: Vec<String>,
    /// Field to sort by (Email, FirstName, LastName, Department, CreateTime, ...); default
    /// CreateTime.
    #[arg(long, value_name = "FIELD")]
    pub sort: Option<String>,
    /// Sort in descending order (default ascending).
    #[arg(long)]
    pub desc: bool,
}

fn filter_value(v: &str) -> Value {
    // Keepnet's clients send booleans (IsDeleted) as JSON booleans.
    match v.to_ascii_lowercase().as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(v.to_owned()),
    }
}

impl FilterArgs {
    /// The search body, shaped as Keepnet's web UI shapes it: column filters in an `AND` group,
    /// free-text `Contains` items in an `OR` group.
    pub fn search_request(&self) -> Result<SearchRequest> {
        let mut and_items = Vec::new();
        match self.status {
            Some(StatusArg::Active) => {
                and_items.push(FilterItem::new("Status", "Include", "1"));
                and_items.push(FilterItem::new("IsDeleted", "Contains", false));
            }
            Some(StatusArg::Inactive) => {
                and_items.push(FilterItem::new("Status", "Include", "0"));
                and_items.push(FilterItem::new("IsDeleted", "Contains", false));
            }
            Some(StatusArg::Deleted) => {
                and_items.push(FilterItem::new("IsDeleted", "Contains", true));
            }
            None => {}
        }
        if !self.conditions.len().is_multiple_of(3) {
            return Err(CliError::Usage("--where takes FIELD OP VALUE".into()).into());
        }
        for c in self.conditions.chunks(3) {
            and_items.push(FilterItem::new(&c[0], &c[1], filter_value(&c[2])));
        }
        let or_items: Vec<FilterItem> = match self.search.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => ["FirstName", "LastName", "Email", "Department"]
                .iter()
                .map(|f| FilterItem::new(f, "Contains", text))
                .collect(),
            _ => Vec::new(),
        };
        Ok(SearchRequest {
            filter: Some(Filter::and_or(and_items, or_items)),
            order_by: Some(self.sort.clone().unwrap_or_else(|| "CreateTime".into())),
            ascending: Some(!self.desc),
            ..SearchRequest::default()
        })
    }
}

// `--company NAME_OR_ID` of the commands that take exactly one company, declared once so that
// they all describe it alike. (No doc comment: clap would make it the commands' about text.)
#[derive(Debug, Args)]
pub struct CompanyArg {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    pub company: String,
}

/// `--company NAME_OR_ID` or `--all-companies`.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Companies {
    /// A managed company, by name (exact, or any case when that is unique) or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    pub company: Option<String>,
    /// Every company you manage.
    #[arg(long)]
    pub all_companies: bool,
}

impl Companies {
    /// The companies a command runs over: here rather than in `users` so that `export`, which
    /// `users export` runs, does not import back from `users`.
    pub async fn resolve(&self, client: &Client) -> Result<Vec<crate::resolve::Company>> {
        match (&self.company, self.all_companies) {
            (Some(c), _) => Ok(vec![crate::resolve::company(client, c).await?]),
            (None, true) => crate::resolve::managed_companies(client).await,
            (None, false) => {
                Err(CliError::Usage("give --company or --all-companies".into()).into())
            }
        }
    }
}
