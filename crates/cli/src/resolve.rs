//! `--company NAME_OR_ID` and `--group NAME_OR_ID`: a resource id, or a name looked up with
//! `POST /api/companies/search` (companies) or `GET /api/target-groups` (a company's groups).
//! A user of `users get|update|delete`: a resource id, or an email looked up with
//! `POST /api/target-users/search-email` (see [`user`]).
//!
//! An id is tried first (`GET /api/companies/{id}`, `GET /api/target-groups/{id}`); then names:
//! one exact match (same case) wins, else one match ignoring case; several matches are an error
//! listing them; none is an error listing the names that contain the text, if any.

use anyhow::Result;
use futures::TryStreamExt;
use rollcall_client::types::company::SearchCompanyDto;
use rollcall_client::types::ids::is_resource_id;
use rollcall_client::types::target_user::SearchEmailRequest;
use rollcall_client::{decode_claims, Client, ClientError, Filter, FilterItem, SearchRequest};
use serde_json::Value;

use crate::exit::CliError;

/// Something the CLI names by name or id: a company, a target group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub id: String,
}

/// A company the CLI works on.
pub type Company = Named;

/// A target group of a company.
pub type Group = Named;

/// A company search body with `items` in the AND group, ordered by name.
pub fn name_search(items: Vec<FilterItem>) -> SearchRequest {
    SearchRequest {
        filter: Some(Filter::and_or(items, vec![])),
        order_by: Some("CompanyName".into()),
        ascending: Some(true),
        ..SearchRequest::default()
    }
}

/// Every company the caller manages (below its own), by name.
pub async fn managed_companies(client: &Client) -> Result<Vec<Company>> {
    let rows: Vec<SearchCompanyDto> = client
        .search_companies(name_search(vec![]))
        .try_collect()
        .await?;
    Ok(rows.into_iter().map(search_row).collect())
}

/// A company search row as the CLI names it.
fn search_row(r: SearchCompanyDto) -> Company {
    Company {
        name: r.company_name,
        id: r.company_resource_id,
    }
}

/// What a lookup by id found: `None` when the server answered 400 or 404, i.e. the text is
/// not an id after all (or not one the caller can see), so it is to be tried as a name.
fn found_by_id<T>(
    found: Result<T, ClientError>,
    named: impl FnOnce(T) -> Named,
) -> Result<Option<Named>> {
    match found {
        Ok(x) => Ok(Some(named(x))),
        Err(e) if matches!(e.http_status(), Some(400 | 404)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Resolves `--company`.
pub async fn company(client: &Client, arg: &str) -> Result<Company> {
    let arg = arg.trim();
    if arg.is_empty() {
        return Err(CliError::Usage("--company needs a company name or id".into()).into());
    }
    if is_resource_id(arg) {
        let found = found_by_id(client.get_company(arg).await, |c| Company {
            name: c.name,
            id: c.resource_id,
        })?;
        if let Some(c) = found {
            return Ok(c);
        }
    }
    // Candidates: the companies below ours whose name contains the text, and our own company.
    let mut candidates: Vec<Company> = match client
        .search_companies(name_search(vec![FilterItem::new(
            "CompanyName",
            "Contains",
            arg,
        )]))
        .try_collect::<Vec<SearchCompanyDto>>()
        .await
    {
        Ok(rows) => rows.into_iter().map(search_row).collect(),
        // A Company Admin may not search companies; it can still name its own.
        Err(e) if e.http_status() == Some(403) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    if let Some(own) = own_company(client).await? {
        let contains = own.name.to_lowercase().contains(&arg.to_lowercase());
        if contains && !candidates.iter().any(|c| c.id == own.id) {
            candidates.push(own);
        }
    }
    pick(
        arg,
        &candidates,
        ("company", "companies"),
        "among the companies you manage",
    )
}

/// The one of `candidates` (those whose name contains `arg`, any case) that `arg` names: the
/// exact name, else the only one equal ignoring case; else an error that lists them.
fn pick(arg: &str, candidates: &[Named], (one, many): (&str, &str), among: &str) -> Result<Named> {
    let exact: Vec<&Named> = candidates.iter().filter(|c| c.name == arg).collect();
    let matches: Vec<&Named> = if exact.len() == 1 {
        exact
    } else {
        candidates
            .iter()
            .filter(|c| c.name.to_lowercase() == arg.to_lowercase())
            .collect()
    };
    if let [only] = matches.as_slice() {
        return Ok((*only).clone());
    }
    let listing = |items: &[&Named]| {
        items
            .iter()
            .map(|c| format!("  {} ({})", c.name, c.id))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match matches.len() {
        0 if candidates.is_empty() => Err(CliError::NotFound(format!(
            "no {one} named or with the id '{arg}' {among}"
        ))
        .into()),
        0 => Err(CliError::NotFound(format!(
            "no {one} is named '{arg}'; {many} whose name contains it:\n{}\nuse the exact name or the id",
            listing(&candidates.iter().collect::<Vec<_>>())
        ))
        .into()),
        _ => Err(CliError::Ambiguous(format!(
            "'{arg}' matches {} {many}; use the id:\n{}",
            matches.len(),
            listing(&matches)
        ))
        .into()),
    }
}

/// Resolves `--group` among the groups of the company `company_id`.
pub async fn group(client: &Client, company_id: &str, arg: &str) -> Result<Group> {
    let arg = arg.trim();
    if arg.is_empty() {
        return Err(CliError::Usage("--group needs a target group name or id".into()).into());
    }
    if is_resource_id(arg) {
        let found = found_by_id(client.get_target_group(Some(company_id), arg).await, |g| {
            Group {
                name: g.name,
                id: g.resource_id,
            }
        })?;
        if let Some(g) = found {
            return Ok(g);
        }
    }
    let candidates: Vec<Group> = client
        .target_groups(Some(company_id))
        .await?
        .into_iter()
        .filter(|g| g.name.to_lowercase().contains(&arg.to_lowercase()))
        .map(|g| Group {
            name: g.name,
            id: g.resource_id,
        })
        .collect();
    pick(
        arg,
        &candidates,
        ("target group", "target groups"),
        "in this company",
    )
}

/// The token's own company, from its claims.
async fn own_company(client: &Client) -> Result<Option<Company>, ClientError> {
    let token = client.access_token().await?;
    let Some(claims) = decode_claims(&token) else {
        return Ok(None);
    };
    let text = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(
        match (text("user_company_name"), text("user_company_resourceid")) {
            (Some(name), Some(id)) => Some(Company { name, id }),
            _ => None,
        },
    )
}

/// Resolves a user argument of `users get|update|delete`: an email address (anything with an
/// '@') becomes the resource id of the company's user with exactly that email, any case (said
/// on stderr); anything else is taken as a resource id.
pub async fn user(client: &Client, company: &Company, arg: &str) -> Result<String> {
    user_preferring(client, company, arg, false).await
}

/// [`user`] for `users restore`: an email names the deleted user that had it (a live user
/// only when none did), and several deleted users with that email are refused with their ids.
pub async fn deleted_user(client: &Client, company: &Company, arg: &str) -> Result<String> {
    user_preferring(client, company, arg, true).await
}

async fn user_preferring(
    client: &Client,
    company: &Company,
    arg: &str,
    deleted: bool,
) -> Result<String> {
    let arg = arg.trim();
    if !arg.contains('@') {
        return Ok(arg.to_owned());
    }
    let id = user_by_email(client, company, arg, deleted).await?;
    eprintln!("user {arg} is {id}");
    Ok(id)
}

/// The resource id of the user whose email is `email` (any case), through `search-email`,
/// which matches emails containing the text: the pages are read until the exact one shows.
/// Emails are unique among live users, but deleted users keep theirs: a live user wins,
/// unless `prefer_deleted`.
async fn user_by_email(
    client: &Client,
    company: &Company,
    email: &str,
    prefer_deleted: bool,
) -> Result<String> {
    let wanted = email.to_lowercase();
    let mut page_number = 1;
    let mut live: Option<String> = None;
    let mut deleted: Vec<String> = Vec::new();
    loop {
        let page = client
            .search_target_users_by_email(
                Some(&company.id),
                &SearchEmailRequest {
                    email: Some(email.to_owned()),
                    page_number: Some(page_number),
                    ..SearchEmailRequest::default()
                },
            )
            .await?;
        for u in &page.results {
            if u.email.to_lowercase() == wanted {
                if !u.is_deleted {
                    if !prefer_deleted {
                        return Ok(u.resource_id.clone());
                    }
                    live = Some(u.resource_id.clone());
                } else {
                    deleted.push(u.resource_id.clone());
                }
            }
        }
        if page.results.is_empty() || page_number >= page.total_number_of_pages {
            break;
        }
        page_number += 1;
    }
    if prefer_deleted && deleted.len() > 1 {
        return Err(CliError::Usage(format!(
            "{} deleted users had the email '{email}' in {}: {}; name the one to restore by its resource id",
            deleted.len(),
            company.name,
            deleted.join(", ")
        ))
        .into());
    }
    let found = match prefer_deleted {
        true => deleted.into_iter().next().or(live),
        false => live.or_else(|| deleted.into_iter().next()),
    };
    found.ok_or_else(|| {
        CliError::NotFound(format!(
            "no user has the email '{email}' in {} ({}); find it with \
             `rollcall users list --company '{}' --search TEXT`",
            company.name, company.id, company.name
        ))
        .into()
    })
}
