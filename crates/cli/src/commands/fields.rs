//! `rollcall fields list|create`: a company's custom fields.

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use rollcall_client::types::custom_field::CustomFieldInput;

use super::{Common, CompanyArg};
use crate::output::{self, Mode};
use crate::resolve;

/// `rollcall fields ...`.
#[derive(Debug, Args)]
pub struct FieldsCmd {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: FieldsSub,
}

#[derive(Debug, Subcommand)]
enum FieldsSub {
    /// A company's custom fields, active or not.
    List(CompanyArg),
    /// Defines a custom field.
    Create(CreateArgs),
}

/// Keepnet's custom field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TypeArg {
    #[value(name = "String", alias = "string")]
    String,
    #[value(name = "Number", alias = "number")]
    Number,
    #[value(name = "Email", alias = "email")]
    Email,
    #[value(name = "Boolean", alias = "boolean")]
    Boolean,
    #[value(name = "Date", alias = "date")]
    Date,
    #[value(name = "DateTime", alias = "datetime")]
    DateTime,
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// The company, by name or resource id.
    #[arg(long, value_name = "NAME_OR_ID")]
    company: String,
    /// The field's name (1 to 64 characters, unique in the company in any case; may start with
    /// a hyphen).
    #[arg(long, allow_hyphen_values = true)]
    name: String,
    /// The type of its values.
    #[arg(long = "type", value_enum)]
    data_type: TypeArg,
    /// Every new user must have a value.
    #[arg(long)]
    required: bool,
    /// Create it inactive (its values stay out of sight until it is activated).
    #[arg(long)]
    inactive: bool,
    /// Where it sorts among the company's fields.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    sort_order: Option<i64>,
}

/// Runs a `fields` command.
pub async fn run(cmd: FieldsCmd) -> Result<()> {
    let common = &cmd.common;
    let client = common.client()?;
    match cmd.command {
        FieldsSub::List(a) => {
            let company = resolve::company(&client, &a.company).await?;
            let rows = client.custom_fields(Some(&company.id)).await?;
            output::print_rows(
                common.mode(),
                &rows,
                &["Name", "Type", "Required", "Active", "Order", "Resource Id"],
                &[4],
                |f| {
                    vec![
                        f.name.clone(),
                        f.field_data_type.clone(),
                        f.is_required.to_string(),
                        f.is_active.to_string(),
                        f.sort_order.to_string(),
                        f.resource_id.clone(),
                    ]
                },
            )
        }
        FieldsSub::Create(a) => {
            let company = resolve::company(&client, &a.company).await?;
            let data_type = a
                .data_type
                .to_possible_value()
                .map(|v| v.get_name().to_owned());
            let input = CustomFieldInput {
                name: Some(a.name.clone()),
                field_data_type: data_type,
                owner_type: Some("TargetUser".into()),
                is_required: Some(a.required),
                is_active: Some(!a.inactive),
                sort_order: a.sort_order,
                ..CustomFieldInput::default()
            };
            let id = client
                .create_custom_field(Some(&company.id), &input)
                .await?;
            match common.mode() {
                Mode::Json => {
                    output::print_json(&serde_json::json!({ "resourceId": id.resource_id }))
                }
                Mode::Table => output::print_line(format_args!(
                    "Created field '{}' ({}) in {} ({})",
                    a.name, id.resource_id, company.name, company.id
                )),
            }
        }
    }
}
