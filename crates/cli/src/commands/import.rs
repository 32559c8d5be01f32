//! `rollcall users import`: a CSV or Excel file into a company, through the import API
//! (upload, mapping, preview, import, job), saying at each step what it did.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use rollcall_client::types::import::{
    CreateMappingRequest, FieldMapping, ImportRequest, MappingJobDto, TmpTargetUserSearchView,
};
use rollcall_client::types::{Filter, FilterGroup, FilterItem, SearchRequest};
use rollcall_client::Client;

use super::companies::confirm;
use super::Common;
use crate::exit::CliError;
use crate::output;
use crate::resolve;

/// `rollcall users import ...`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: String,
    /// The file: CSV (UTF-8, UTF-16 or Windows-1252), .xlsx or .xls, with a header row.
    file: PathBuf,
    /// Map a column to a field, COLUMN=FIELD (repeatable): Email, FirstName, LastName,
    /// Department, PhoneNumber, TimeZone, PreferredLanguage, Priority, ManagerFirstName,
    /// ManagerLastName, ManagerEmail, or a custom field's name. With --map only the columns
    /// named are imported; without, each column whose header names a field is.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    map: Vec<String>,
    /// A target group every imported user joins, by name or id (repeatable).
    #[arg(long, value_name = "NAME_OR_ID")]
    group: Vec<String>,
    /// Only create users whose email is new; leave existing users alone.
    #[arg(long, conflicts_with = "only_update")]
    only_new: bool,
    /// Only update users that exist; create none.
    #[arg(long)]
    only_update: bool,
    /// Stop after the preview: check every row, import nothing.
    #[arg(long)]
    dry_run: bool,
    /// Import without asking (needed when not on a terminal).
    #[arg(long, short = 'y')]
    yes: bool,
    /// Where to write the rows that cannot be imported, with their problems (CSV). Default:
    /// FILE's name with `.errors.csv`.
    #[arg(long, value_name = "FILE")]
    errors: Option<PathBuf>,
}

/// Rows with problems printed before the import.
const SHOWN_ERRORS: usize = 10;
/// Longest wait for the server's row checks (a million rows take minutes).
const CHECK_WAIT: Duration = Duration::from_secs(30 * 60);

fn mapping(pairs: &[String]) -> Result<Vec<FieldMapping>> {
    pairs
        .iter()
        .map(|p| {
            let (column, field) = p
                .split_once('=')
                .ok_or_else(|| CliError::Usage(format!("--map takes COLUMN=FIELD, not '{p}'")))?;
            Ok(FieldMapping {
                excel_column_name: Some(column.trim().to_owned()),
                field_name: Some(field.trim().to_owned()),
            })
        })
        .collect()
}

/// Waits for the mapping's row checks, with a spinner.
async fn checked(client: &Client, scope: &str, job: MappingJobDto) -> Result<MappingJobDto> {
    let bar = output::progress(None, "checking rows");
    let mut job = job;
    let deadline = std::time::Instant::now() + CHECK_WAIT;
    while job.status == "InProgress" {
        if std::time::Instant::now() > deadline {
            anyhow::bail!(
                "the server has been checking the rows for {} minutes; run the import again (a server restart stops a check)",
                CHECK_WAIT.as_secs() / 60
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        job = client.import_mapping(Some(scope), &job.resource_id).await?;
    }
    bar.finish_and_clear();
    if job.status == "Failed" {
        anyhow::bail!("the server could not check the rows; try again, and if it fails again ask its operator (see its log)");
    }
    Ok(job)
}

/// Every row with a problem, in the file's order.
async fn error_rows(
    client: &Client,
    scope: &str,
    tid: &str,
    limit: Option<usize>,
) -> Result<Vec<TmpTargetUserSearchView>> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let body = SearchRequest {
            page_number: Some(page),
            page_size: Some(1000),
            filter: Some(Filter {
                filter_groups: Some(vec![FilterGroup {
                    filter_items: Some(vec![FilterItem::new("Status", "Include", "Error")]),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = client.search_import_rows(Some(scope), tid, &body).await?;
        let n = r.items.results.len();
        out.extend(r.items.results);
        if limit.is_some_and(|l| out.len() >= l) {
            out.truncate(limit.unwrap_or(usize::MAX));
            return Ok(out);
        }
        if n < 1000 {
            return Ok(out);
        }
        page += 1;
    }
}

fn problems(r: &TmpTargetUserSearchView) -> String {
    r.validation_detail
        .iter()
        .map(|d| format!("{}: {}", d.field_name, d.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Writes the rows that cannot be imported, with their problems, as CSV.
fn write_errors(path: &Path, rows: &[TmpTargetUserSearchView]) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record(["Row", "Email", "Field", "Message"])?;
    for r in rows {
        for d in &r.validation_detail {
            w.write_record([
                r.row_number.to_string().as_str(),
                r.email.as_str(),
                d.field_name.as_str(),
                d.message.as_str(),
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Runs `users import`.
pub async fn run(common: &Common, a: ImportArgs) -> Result<()> {
    let client = common.client()?;
    let company = resolve::company(&client, &a.company).await?;
    let scope = company.id.as_str();
    let mut groups = Vec::new();
    for g in &a.group {
        groups.push(resolve::group(&client, scope, g).await?);
    }
    let mappings = mapping(&a.map)?;
    let bytes = tokio::fs::read(&a.file)
        .await
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload".into());
    let up = client
        .upload_target_users(Some(scope), &name, bytes.into())
        .await?;
    eprintln!(
        "Read {name}: {} rows, {} columns{}.",
        up.row_count,
        up.column_count,
        match up.duplicate_count {
            0 => String::new(),
            n => format!(", {n} repeating an earlier row's email"),
        }
    );
    let job = client
        .create_import_mapping(
            Some(scope),
            &CreateMappingRequest {
                transaction_id: Some(up.transaction_id.clone()),
                target_group_resource_ids: Some(groups.iter().map(|g| g.id.clone()).collect()),
                field_mappings: (!mappings.is_empty()).then_some(mappings.clone()),
            },
        )
        .await?;
    let job = checked(&client, scope, job).await?;
    let rows_total = job.total_row_count;
    if mappings.is_empty() {
        let guessed: Vec<String> = job
            .field_mappings
            .iter()
            .map(|m| {
                format!(
                    "{} -> {}",
                    m.excel_column_name.as_deref().unwrap_or(""),
                    m.field_name.as_deref().unwrap_or("")
                )
            })
            .collect();
        eprintln!(
            "Columns mapped from their headers (use --map COLUMN=FIELD to choose): {}.",
            guessed.join(", ")
        );
    }
    eprintln!(
        "{} rows: {} new, {} existing, {} with problems.",
        job.total_row_count, job.new_user_count, job.existing_user_count, job.invalid_user_count
    );
    let failed = if job.invalid_user_count > 0 {
        let rows = error_rows(&client, scope, &up.transaction_id, None).await?;
        for r in rows.iter().take(SHOWN_ERRORS) {
            eprintln!("  row {} ({}): {}", r.row_number, r.email, problems(r));
        }
        if rows.len() > SHOWN_ERRORS {
            eprintln!("  ... and {} more", rows.len() - SHOWN_ERRORS);
        }
        let path = a
            .errors
            .clone()
            .unwrap_or_else(|| a.file.with_extension("errors.csv"));
        write_errors(&path, &rows)?;
        eprintln!(
            "The rows with problems and what to fix are in {}; they are not imported.",
            path.display()
        );
        Some(rows.len())
    } else {
        None
    };
    let (kind, wanted) = if a.only_new {
        ("OnlyNew", job.new_user_count)
    } else if a.only_update {
        ("OnlyUpdateExisting", job.existing_user_count)
    } else {
        ("ImportAll", job.new_user_count + job.existing_user_count)
    };
    let done_with = |failed: Option<usize>| -> Result<()> {
        match failed {
            Some(n) => Err(CliError::RowsFailed(format!(
                "{n} rows were not imported; fix them in the file (see the errors file) and import it again"
            ))
            .into()),
            None => Ok(()),
        }
    };
    if a.dry_run {
        eprintln!("Dry run: nothing imported.");
        return done_with(failed);
    }
    if wanted == 0 {
        eprintln!("Nothing to import.");
        return done_with(failed);
    }
    let question = format!("Import {wanted} users into {}?", company.name);
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Usage(format!(
                "{question} Add --yes to import without a terminal to answer on"
            ))
            .into());
        }
        if !confirm(&question)? {
            eprintln!("Nothing imported.");
            return Ok(());
        }
    }
    let mut job = client
        .start_import(
            Some(scope),
            &up.transaction_id,
            &ImportRequest {
                import_type: Some(kind.into()),
                selected_resource_ids: None,
            },
        )
        .await?;
    let total = u64::try_from(rows_total).unwrap_or(0);
    let bar = output::progress(Some(total), "importing");
    while !job.is_finished {
        tokio::time::sleep(Duration::from_millis(300)).await;
        job = client.job(Some(scope), &job.resource_id).await?;
        bar.set_position((job.progress / 100.0 * total as f64) as u64);
    }
    bar.finish_and_clear();
    if job.status_name == "Failed" {
        anyhow::bail!(
            "the import failed and nothing was applied: {}",
            job.error_message.clone().unwrap_or_default()
        );
    }
    let count = |name: &str| {
        job.process_results
            .iter()
            .flatten()
            .find(|p| p.name == name)
            .map_or(0, |p| p.current_count)
    };
    eprintln!(
        "Imported into {}: {} created, {} updated, {} not imported (job {}).",
        company.name,
        count("Created"),
        count("Updated"),
        count("Skipped"),
        job.resource_id
    );
    done_with(failed)
}
