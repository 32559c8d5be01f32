//! The audit trail's server side: who a request acts as and where it comes from, the events
//! the token endpoint and the exports record, who may read which rows, and retention.
//!
//! Data changes are recorded by the store in the transaction of the change (see
//! [`rollcall_store::audit`]); handlers only pass it the [`Actor`] from [`actor`].
//!
//! Reading: a Reseller sees the rows of the company it scopes to and of every company below
//! it; a Company Admin the rows of its own company only. Rows tied to no company (token
//! requests naming an unknown client id) are seen only by Resellers of a root company (the
//! operator's own credentials, made at the first start) when they read their own company's log.
//! A row written by a client of a company above the reader's own shows no address or
//! `User-Agent` (see [`rollcall_store::audit::AuditReader`]).

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::http::header::USER_AGENT;
use axum::middleware::Next;
use axum::response::Response;
use rollcall_store::audit::AuditReader;
use rollcall_store::audit::{clip, count_of, thousands, MAX_USER_AGENT_CHARS};
use rollcall_store::{
    Actor, ApiClient, AuditEvent, AuditScope, Company, Entity, Millis, Operation, Role, SqlStore,
    StoreError,
};
use serde_json::json;
use tokio::sync::mpsc;

use crate::auth::address::plain_ip;
use crate::auth::caller::Caller;
use crate::error::ApiError;
use crate::export::Format;
use crate::state::AppState;
use crate::time::now_millis;

/// Where a request comes from: its TCP peer and `User-Agent`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The peer address (IPv4-mapped IPv6 shown as IPv4).
    pub ip: Option<IpAddr>,
    /// The `User-Agent` header, cut to [`MAX_USER_AGENT_CHARS`].
    pub user_agent: Option<String>,
}

impl Origin {
    /// The origin of `req`.
    pub fn of(req: &Request) -> Self {
        Self {
            ip: req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| plain_ip(c.0.ip())),
            user_agent: req
                .headers()
                .get(USER_AGENT)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .and_then(|ua| clean_text(&ua, MAX_USER_AGENT_CHARS)),
        }
    }
}

/// `text` cut to `max` characters, control characters and the other characters XML cannot hold
/// (U+FFFE, U+FFFF: a header may carry them as raw bytes) replaced by a space, so that every
/// export of the row stays readable; `None` when empty.
fn clean_text(text: &str, max: usize) -> Option<String> {
    let text: String = clip(text.trim(), max)
        .chars()
        .map(|c| {
            if c.is_control() || crate::text::forbidden(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    (!text.is_empty()).then_some(text)
}

tokio::task_local! {
    /// The origin of the request whose handler is running on this task.
    static ORIGIN: Origin;
}

/// Middleware: keeps the request's [`Origin`] for its handler, so that [`actor`] can name the
/// address and `User-Agent` of every write without each handler taking one more extractor.
/// Work the handler spawns onto other tasks (export cursors) takes its [`Actor`] along.
pub async fn remember_origin(req: Request, next: Next) -> Response {
    let origin = Origin::of(&req);
    ORIGIN.scope(origin, next.run(req)).await
}

/// The running request's [`Origin`] (empty outside a request).
pub fn origin() -> Origin {
    ORIGIN.try_with(Origin::clone).unwrap_or_default()
}

/// The [`Actor`] of the running request: the caller's client and the request's origin.
pub fn actor(caller: &Caller) -> Actor {
    let origin = origin();
    Actor {
        client_id: caller.client.client_id.clone(),
        client_resource_id: Some(caller.client.resource_id.clone()),
        ip: origin.ip.map(|ip| ip.to_string()),
        user_agent: origin.user_agent,
        company_path: Some(caller.company.path.clone()),
    }
}

/// `caller` as a reader of audit rows: whose addresses and `User-Agent`s it sees.
pub fn reader(caller: &Caller) -> AuditReader {
    AuditReader {
        path: caller.company.path.clone(),
        root: caller.company.parent_id.is_none(),
    }
}

/// Which audit rows `caller` may read when it scopes to `company` (resolved with
/// `Access::Read`, so within its reach, and open to it by its account privacy). A Reseller's
/// subtree leaves out the rows of every company below that keeps it out by its account
/// privacy ([`crate::scope::check_privacy`]): they record its users' data.
pub async fn read_scope(
    state: &AppState,
    caller: &Caller,
    company: &Company,
) -> Result<AuditScope, ApiError> {
    Ok(match caller.role() {
        Role::Reseller => {
            let now = now_millis();
            let closed = state
                .store
                .company_subtree(company)
                .await?
                .into_iter()
                .filter(|c| crate::scope::check_privacy(caller, c, now).is_err())
                .map(|c| c.path)
                .collect();
            AuditScope {
                path: company.path.clone(),
                subtree: true,
                unowned: company.parent_id.is_none(),
                reader: reader(caller),
                closed,
            }
        }
        Role::CompanyAdmin => AuditScope::company(&company.path, reader(caller)),
    })
}

async fn record(store: &SqlStore, event: &AuditEvent) {
    if let Err(e) = store.record_audit(event).await {
        // The event already happened (a token was sent, a file written): losing its row is
        // logged rather than turned into an error for the caller.
        tracing::error!(error = %e, operation = event.operation.as_str(), "could not write an audit row");
    }
}

/// Records a token issued to `client` of `company`. An audit write failure is logged, never
/// returned: the token reply goes out either way.
pub async fn record_token_issued(
    state: &AppState,
    client: &ApiClient,
    company: &Company,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
) {
    let event = AuditEvent {
        company_id: Some(company.id),
        company_path: Some(company.path.clone()),
        log_date: now_millis(),
        actor: Actor {
            client_id: client.client_id.clone(),
            client_resource_id: Some(client.resource_id.clone()),
            ip: ip.map(|ip| plain_ip(ip).to_string()),
            user_agent: user_agent.and_then(|ua| clean_text(ua, MAX_USER_AGENT_CHARS)),
            company_path: Some(company.path.clone()),
        },
        operation: Operation::TokenIssued,
        entity: Entity::Token,
        entity_resource_id: Some(client.resource_id.clone()),
        old_value: None,
        // What the token allows, never the token.
        new_value: Some(json!({
            "role": client.role.name(),
            "expiresIn": state.config.token_ttl_secs,
        })),
        description: format!(
            "Issued an access token to API client '{}' in '{}'",
            client.client_id, company.fields.name
        ),
    };
    record(&state.store, &event).await;
}

/// Longest unknown client id a refused token request stores as typed: the API's own limit on
/// `clientId` (`routes/clients.rs`), so anything longer cannot name a client.
pub const MAX_UNKNOWN_ID_CHARS: usize = 32;

/// What the log says a refused token request named: a known client's id as stored; an unknown
/// id as typed (cleaned) when it could be a client id; otherwise only its length. A swapped
/// `client_id` and `client_secret` is a common mistake, and a generated secret (43 characters)
/// must not land in a log that resellers read.
/// Returns (`userName`, how the description names it).
fn attempted_id(typed: &str, client: Option<&ApiClient>) -> (String, String) {
    let shown = |id: String| {
        let named = format!("client id '{id}'");
        (id, named)
    };
    if let Some(c) = client {
        return shown(c.client_id.clone());
    }
    let typed = typed.trim();
    let n = typed.chars().count();
    if n <= MAX_UNKNOWN_ID_CHARS {
        shown(clean_text(typed, MAX_UNKNOWN_ID_CHARS).unwrap_or_default())
    } else {
        (
            format!("(an unknown id of {n} characters)"),
            format!(
                "an unknown client id of {n} characters (not stored: longer than any client id)"
            ),
        )
    }
}

/// Records a refused token request for `client_id`, with the client and its company when the
/// id is known (`None`, `None` for an unknown id: a row of no company, see the module doc) and
/// why it was refused. An audit write failure is logged, never returned.
pub async fn record_token_failure(
    state: &AppState,
    client_id: &str,
    client: Option<&ApiClient>,
    company: Option<&Company>,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
    reason: &str,
) {
    let (attempted, named) = attempted_id(client_id, client);
    let event = AuditEvent {
        company_id: company.map(|c| c.id),
        company_path: company.map(|c| c.path.clone()),
        log_date: now_millis(),
        actor: Actor {
            client_id: attempted,
            client_resource_id: client.map(|c| c.resource_id.clone()),
            ip: ip.map(|ip| plain_ip(ip).to_string()),
            user_agent: user_agent.and_then(|ua| clean_text(ua, MAX_USER_AGENT_CHARS)),
            // The client's company acted (or tried to); an unknown id belongs to none.
            company_path: company.map(|c| c.path.clone()),
        },
        operation: Operation::TokenFailed,
        entity: Entity::Token,
        entity_resource_id: client.map(|c| c.resource_id.clone()),
        old_value: None,
        new_value: Some(json!({ "reason": reason })),
        description: format!("Refused an access token for {named}: {reason}"),
    };
    record(&state.store, &event).await;
}

/// How an export ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportOutcome {
    /// Every row was handed to the file writer.
    Completed,
    /// The client went away before the end.
    Cancelled,
    /// The cursor failed (the error is logged, not stored).
    Failed,
}

impl ExportOutcome {
    fn as_str(self) -> &'static str {
        match self {
            ExportOutcome::Completed => "completed",
            ExportOutcome::Cancelled => "cancelled",
            ExportOutcome::Failed => "failed",
        }
    }
}

/// What an export's audit row says, gathered before the rows flow.
#[derive(Debug, Clone)]
pub struct ExportRecord {
    /// Who asked for it.
    pub actor: Actor,
    /// The company exported (for companies: the one whose subtree was listed).
    pub company: Company,
    /// What kind of rows.
    pub entity: Entity,
    /// Their name, singular and plural (`target user`, `target users`).
    pub noun: (&'static str, &'static str),
    /// The file format.
    pub format: Format,
    /// `reportAllPages`.
    pub all_pages: bool,
    /// The filter and order in one line ([`crate::export::filter_summary`]).
    pub filter: String,
}

/// Longest filter text an export's audit row keeps (in its description and `newValue`); a
/// filter can be as long as a request body, and one export must not write megabytes into the
/// log. Longer ones are cut with an ellipsis and their full length.
pub const MAX_AUDIT_FILTER_CHARS: usize = 2_000;

/// `filter` cut to [`MAX_AUDIT_FILTER_CHARS`].
fn clipped_filter(filter: &str) -> String {
    let n = filter.chars().count();
    if n <= MAX_AUDIT_FILTER_CHARS {
        filter.to_owned()
    } else {
        format!(
            "{}… (cut; {} characters in all)",
            clip(filter, MAX_AUDIT_FILTER_CHARS),
            thousands(n as u64)
        )
    }
}

impl ExportRecord {
    /// The record of the export `req` asks for in `company`: its format (a bad `exportType` is
    /// 400), whether every page, and its filter and order in one line.
    pub fn requested(
        caller: &Caller,
        company: Company,
        req: &rollcall_types::SearchRequest,
        entity: Entity,
        noun: (&'static str, &'static str),
    ) -> Result<Self, ApiError> {
        Ok(ExportRecord {
            actor: actor(caller),
            company,
            entity,
            noun,
            format: Format::parse(req.export_type.as_deref())?,
            all_pages: req.report_all_pages.unwrap_or(false),
            filter: crate::export::filter_summary(
                req.filter.as_ref(),
                req.order_by.as_deref(),
                req.ascending.unwrap_or(false),
            ),
        })
    }

    /// The event for `rows` rows exported with `outcome`.
    pub fn event(&self, rows: u64, outcome: ExportOutcome) -> AuditEvent {
        let (one, many) = self.noun;
        let pages = if self.all_pages {
            "every page"
        } else {
            "the requested page"
        };
        let format = format_name(self.format);
        let of = format!("of '{}' as {format} ({pages})", self.company.fields.name);
        let filter = clipped_filter(&self.filter);
        let description = match outcome {
            ExportOutcome::Completed => {
                format!("Exported {} {of}. {filter}", count_of(rows, one, many))
            }
            ExportOutcome::Cancelled => format!(
                "Export of {many} {of} stopped after {}: the client went away. {filter}",
                count_of(rows, "row", "rows"),
            ),
            ExportOutcome::Failed => format!(
                "Export of {many} {of} failed after {}. {filter}",
                count_of(rows, "row", "rows"),
            ),
        };
        AuditEvent {
            company_id: Some(self.company.id),
            company_path: Some(self.company.path.clone()),
            log_date: now_millis(),
            actor: self.actor.clone(),
            operation: Operation::Export,
            entity: self.entity,
            entity_resource_id: None,
            old_value: None,
            new_value: Some(json!({
                "companyResourceId": self.company.resource_id,
                "format": format,
                "reportAllPages": self.all_pages,
                "filter": filter,
                "rowCount": rows,
                "outcome": outcome.as_str(),
            })),
            description,
        }
    }

    /// Writes the row (a failure is logged).
    pub async fn write(&self, store: &SqlStore, rows: u64, outcome: ExportOutcome) {
        record(store, &self.event(rows, outcome)).await;
    }
}

/// `exportType` as Keepnet spells it.
fn format_name(format: Format) -> &'static str {
    match format {
        Format::Csv => "CSV",
        Format::Excel => "Excel",
        Format::Pdf => "PDF",
    }
}

/// Batches of rows on their way to a file writer.
pub type RowSender<T> = mpsc::Sender<Result<Vec<T>, StoreError>>;

/// Runs an export cursor on a task of its own, passing its batches on to `out` and counting
/// them; when the cursor ends, writes the export's audit row with the count and how it ended.
/// `cursor` gets the sender it must fill (and drop when done).
pub fn spawn_counted_export<T, F, Fut>(
    store: Arc<SqlStore>,
    record: ExportRecord,
    out: RowSender<T>,
    cursor: F,
) where
    T: Send + 'static,
    F: FnOnce(RowSender<T>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), StoreError>> + Send + 'static,
{
    tokio::spawn(async move {
        let (tx, mut rx) = mpsc::channel::<Result<Vec<T>, StoreError>>(1);
        let relay_out = out.clone();
        let relay = async move {
            let mut rows = 0u64;
            while let Some(batch) = rx.recv().await {
                let batch = match batch {
                    Ok(batch) => batch,
                    Err(e) => {
                        tracing::error!(error = %e, "export cursor failed");
                        let _ = relay_out.send(Err(e)).await;
                        return (rows, ExportOutcome::Failed);
                    }
                };
                let n = batch.len() as u64;
                if relay_out.send(Ok(batch)).await.is_err() {
                    // Dropping `rx` on the way out stops the cursor.
                    return (rows, ExportOutcome::Cancelled);
                }
                rows += n;
            }
            (rows, ExportOutcome::Completed)
        };
        let (result, (rows, mut outcome)) = tokio::join!(cursor(tx), relay);
        if let Err(e) = result {
            tracing::error!(error = %e, "export cursor failed");
            outcome = ExportOutcome::Failed;
            let _ = out.send(Err(e)).await;
        }
        // The writer finishes when the last sender goes: before the audit write.
        drop(out);
        record.write(&store, rows, outcome).await;
    });
}

/// Rows the retention task deletes per statement: each statement holds the writer (SQLite has
/// one) for a few milliseconds at most.
pub const RETENTION_BATCH: i64 = 1000;

/// Pause between two retention statements, so that requests' writes get their turn.
pub const RETENTION_PAUSE: Duration = Duration::from_millis(100);

const DAY_MILLIS: i64 = 86_400_000;

/// Deletes the audit rows older than `retention_days` at `now`, in batches of
/// [`RETENTION_BATCH`] with [`RETENTION_PAUSE`] between them; returns how many went.
pub async fn purge_expired(
    store: &SqlStore,
    retention_days: u32,
    now: Millis,
) -> Result<u64, StoreError> {
    let before = now - i64::from(retention_days) * DAY_MILLIS;
    let mut total = 0;
    loop {
        let n = store.purge_audit(before, RETENTION_BATCH).await?;
        total += n;
        // A short batch is the last one (or another replica took the rest).
        if n < RETENTION_BATCH as u64 {
            return Ok(total);
        }
        tokio::time::sleep(RETENTION_PAUSE).await;
    }
}

/// Starts the retention task: [`purge_expired`] at once, then every `every`. `None` when
/// `retention_days` is 0 (keep forever). Several replicas running it at once only share the
/// work (see [`SqlStore::purge_audit`]).
pub fn spawn_retention(
    store: Arc<SqlStore>,
    retention_days: u32,
    every: Duration,
) -> Option<tokio::task::JoinHandle<()>> {
    if retention_days == 0 {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        // After a long pause (a suspended machine), one run, not a burst of them.
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match purge_expired(&store, retention_days, now_millis()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, retention_days, "deleted expired audit rows"),
                // The next run tries again; requests are not affected.
                Err(e) => tracing::warn!(error = %e, "audit retention failed"),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rollcall_store::query::{Cond, Order};
    use rollcall_store::{CompanyFields, SearchSpec};

    /// A store on a temporary SQLite file with one company.
    async fn store_and_company(dir: &tempfile::TempDir) -> (Arc<SqlStore>, Company) {
        let store = SqlStore::open("", dir.path()).await.expect("store");
        let company = store
            .insert_company(
                None,
                &CompanyFields {
                    name: "Acme".into(),
                    ..CompanyFields::default()
                },
                &Actor::system(),
            )
            .await
            .expect("company");
        (Arc::new(store), company)
    }

    /// The export rows of `company`'s log, waiting (10 s at most) for one to be written.
    async fn export_row(store: &SqlStore, company: &Company) -> serde_json::Value {
        let spec = SearchSpec {
            cond: Cond::All(vec![]),
            order: vec![Order {
                column: "id",
                ascending: false,
                nullable: false,
                custom: None,
            }],
            offset: 0,
            limit: 10,
        };
        let scope = AuditScope::company(
            &company.path,
            AuditReader {
                path: company.path.clone(),
                root: true,
            },
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (_, rows) = store.search_audit(&scope, &spec).await.expect("search");
            if let Some(r) = rows.iter().find(|r| r.operation == "Export") {
                return serde_json::from_str(r.new_value.as_deref().unwrap_or("null"))
                    .expect("JSON");
            }
            assert!(std::time::Instant::now() < deadline, "no export row");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn record(company: &Company) -> ExportRecord {
        ExportRecord {
            actor: Actor::system(),
            company: company.clone(),
            entity: Entity::TargetUser,
            noun: ("target user", "target users"),
            format: Format::Csv,
            all_pages: true,
            filter: "Filter: all rows.".into(),
        }
    }

    /// A client that goes away stops the cursor, and the row says so with the rows sent.
    #[tokio::test]
    async fn an_abandoned_export_is_recorded_as_cancelled() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, company) = store_and_company(&dir).await;
        let (out, mut rx) = mpsc::channel::<Result<Vec<u32>, StoreError>>(1);
        let (stopped_tx, stopped) = tokio::sync::oneshot::channel();
        spawn_counted_export(store.clone(), record(&company), out, |sink| async move {
            // An endless cursor: only a closed sink ends it.
            while sink.send(Ok(vec![7; 10])).await.is_ok() {}
            let _ = stopped_tx.send(());
            Ok(())
        });
        for _ in 0..2 {
            assert_eq!(
                rx.recv().await.map(|b| b.map(|v| v.len()).ok()),
                Some(Some(10))
            );
        }
        drop(rx);
        tokio::time::timeout(Duration::from_secs(10), stopped)
            .await
            .expect("the cursor stops")
            .expect("the cursor says so");
        let row = export_row(&store, &company).await;
        assert_eq!(row["outcome"], "cancelled", "{row}");
        // Two batches read, and at most the one the channel held besides.
        let sent = row["rowCount"].as_u64().expect("rowCount");
        assert!((20..=30).contains(&sent), "{row}");
    }

    /// A cursor error reaches the file writer, and the row says the export failed.
    #[tokio::test]
    async fn a_failed_export_is_recorded_as_failed() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, company) = store_and_company(&dir).await;
        let (out, mut rx) = mpsc::channel::<Result<Vec<u32>, StoreError>>(4);
        spawn_counted_export(store.clone(), record(&company), out, |sink| async move {
            let _ = sink.send(Ok(vec![1, 2, 3])).await;
            Err(StoreError::Corrupt("the disk went away".into()))
        });
        assert_eq!(
            rx.recv().await.map(|b| b.map(|v| v.len()).ok()),
            Some(Some(3))
        );
        assert!(
            matches!(rx.recv().await, Some(Err(_))),
            "the writer hears of it"
        );
        assert!(rx.recv().await.is_none(), "then the rows end");
        let row = export_row(&store, &company).await;
        assert_eq!(row["outcome"], "failed", "{row}");
        assert_eq!(row["rowCount"], 3, "{row}");
    }

    #[test]
    fn export_descriptions_say_how_it_ended() {
        let company = Company {
            id: 1,
            resource_id: "AbCdEfGhIjKl".into(),
            parent_id: None,
            path: "/1/".into(),
            fields: CompanyFields {
                name: "Acme".into(),
                ..CompanyFields::default()
            },
            create_time: 0,
            update_time: None,
            privacy: Default::default(),
        };
        let r = record(&company);
        assert_eq!(
            r.event(1_200, ExportOutcome::Completed).description,
            "Exported 1,200 target users of 'Acme' as CSV (every page). Filter: all rows."
        );
        assert_eq!(
            r.event(256, ExportOutcome::Cancelled).description,
            "Export of target users of 'Acme' as CSV (every page) stopped after 256 rows: the client went away. Filter: all rows."
        );
        assert_eq!(
            r.event(1, ExportOutcome::Failed).description,
            "Export of target users of 'Acme' as CSV (every page) failed after 1 row. Filter: all rows."
        );
    }

    #[test]
    fn origin_text_is_cut_and_cleaned() {
        assert_eq!(clean_text("  ", 10), None);
        assert_eq!(clean_text("a\u{7}b\nc", 10).as_deref(), Some("a b c"));
        assert_eq!(clean_text("abcdef", 3).as_deref(), Some("abc"));
        // XML cannot hold U+FFFE or U+FFFF; a header's raw bytes can.
        assert_eq!(
            clean_text("ua\u{fffe}/1\u{ffff}x\u{fffd}", 10).as_deref(),
            Some("ua /1 x\u{fffd}")
        );
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(plain_ip(mapped).to_string(), "203.0.113.7");
        let v6: IpAddr = "2001:db8::1".parse().unwrap_or(IpAddr::from([0; 4]));
        assert_eq!(plain_ip(v6), v6);
    }

    /// A refused token request stores an unknown id only when it could be a client id.
    #[test]
    fn attempted_ids_never_store_what_may_be_a_secret() {
        let secret = "Xq3v9LmZ0aB7cD1eF2gH3iJ4kL5mN6oP7qR8sT9uV0w";
        assert_eq!(secret.len(), 43);
        let (user, named) = attempted_id(secret, None);
        assert_eq!(user, "(an unknown id of 43 characters)");
        assert!(!named.contains(secret) && named.contains("43"), "{named}");
        let at_limit = "a".repeat(MAX_UNKNOWN_ID_CHARS);
        assert_eq!(attempted_id(&at_limit, None).0, at_limit);
        assert_eq!(
            attempted_id(&format!("{at_limit}b"), None).0,
            "(an unknown id of 33 characters)"
        );
        let (user, named) = attempted_id("  nobody-here ", None);
        assert_eq!(user, "nobody-here");
        assert_eq!(named, "client id 'nobody-here'");
        // A known client is named by its stored id, whatever its length.
        let client = ApiClient {
            id: 1,
            company_id: 1,
            resource_id: "AbCdEfGhIjKl".into(),
            name: "n".into(),
            client_id: "a-bootstrap-client-id-longer-than-32-characters".into(),
            secret_hash: String::new(),
            role: Role::Reseller,
            status_id: 1,
            has_ip_restriction: false,
            allowed_ips: vec![],
            create_time: 0,
        };
        let (user, _) = attempted_id(&client.client_id, Some(&client));
        assert_eq!(user, client.client_id);
    }

    #[test]
    fn long_filters_are_cut_in_the_row() {
        let short = "Filter: Email Contains x.";
        assert_eq!(clipped_filter(short), short);
        let exact = "é".repeat(MAX_AUDIT_FILTER_CHARS);
        assert_eq!(clipped_filter(&exact), exact);
        let long = "é".repeat(5_000);
        let cut = clipped_filter(&long);
        assert!(
            cut.starts_with(&exact) && cut.ends_with("… (cut; 5,000 characters in all)"),
            "{cut}"
        );
        assert!(cut.chars().count() < MAX_AUDIT_FILTER_CHARS + 40);
    }
}
