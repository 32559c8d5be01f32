//! SCIM filters (RFC 7644 §3.4.2.2) as a typed tree over the attributes rollcall keeps, rendered
//! to SQL with every value bound. The server parses the wire filter and resolves attribute
//! names (docs/scim.md lists them); only this file names the columns they read.

use sea_query::{Alias, Condition, Expr, LikeExpr, Query, SimpleExpr};

use crate::model::Millis;
use crate::query::escape_like;

/// A User attribute a filter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimUserAttr {
    /// `id`: the target user's resource id (case-exact).
    Id,
    /// `userName`: the email, or the provider's userName kept beside it.
    UserName,
    /// `externalId` (case-exact).
    ExternalId,
    /// `emails.value`, `emails[type eq "work"].value`.
    Email,
    /// `name.givenName`.
    GivenName,
    /// `name.familyName`.
    FamilyName,
    /// `active`.
    Active,
    /// The enterprise extension's `department`.
    Department,
    /// `phoneNumbers.value`.
    PhoneNumber,
    /// `meta.created`.
    Created,
    /// `meta.lastModified`.
    LastModified,
}

/// A Group attribute a filter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimGroupAttr {
    /// `id`: the target group's resource id.
    Id,
    /// `displayName`: the group's name (any case).
    DisplayName,
    /// `externalId` (case-exact).
    ExternalId,
    /// `members.value`: a member's id.
    Member,
    /// `meta.created`.
    Created,
    /// `meta.lastModified`.
    LastModified,
}

/// Comparison operators of RFC 7644 Table 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimCmp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A comparison's value, typed by the server for the attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimVal {
    Text(String),
    Bool(bool),
    Time(Millis),
}

/// The filter tree over attributes `A`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimCond<A> {
    /// No filter: every resource.
    True,
    All(Vec<ScimCond<A>>),
    Any(Vec<ScimCond<A>>),
    Not(Box<ScimCond<A>>),
    /// `attr pr`.
    Present(A),
    /// `attr op value`.
    Cmp(A, ScimCmp, ScimVal),
}

/// How one attribute is stored: what a comparison on it renders to.
enum Column {
    /// A lowercase copy on the main table: values compare in any case.
    Lower(&'static str),
    /// Text compared exactly.
    Exact(&'static str),
    /// A boolean column.
    Flag(&'static str),
    /// UTC milliseconds.
    Time(&'static str),
    /// The resource's id is in a side table's rows matching on a case-exact `column` (with the
    /// company's id in `company_id`): `(table, key column, column)`.
    Side(&'static str, &'static str, &'static str),
}

fn user_column(attr: ScimUserAttr) -> Column {
    match attr {
        ScimUserAttr::Id => Column::Exact("resource_id"),
        // The email; the side table's userName is added by `user_name` below.
        ScimUserAttr::UserName | ScimUserAttr::Email => Column::Lower("email_lower"),
        ScimUserAttr::ExternalId => Column::Side("scim_users", "target_user_id", "external_id"),
        ScimUserAttr::GivenName => Column::Lower("first_name_lower"),
        ScimUserAttr::FamilyName => Column::Lower("last_name_lower"),
        ScimUserAttr::Active => Column::Flag("is_active"),
        ScimUserAttr::Department => Column::Lower("department_lower"),
        ScimUserAttr::PhoneNumber => Column::Lower("phone_lower"),
        ScimUserAttr::Created => Column::Time("create_time"),
        ScimUserAttr::LastModified => Column::Time("update_time"),
    }
}

fn group_column(attr: ScimGroupAttr) -> Column {
    match attr {
        ScimGroupAttr::Id => Column::Exact("resource_id"),
        ScimGroupAttr::DisplayName => Column::Lower("name_lower"),
        ScimGroupAttr::ExternalId => Column::Side("scim_groups", "group_id", "external_id"),
        // Rendered by `member` below.
        ScimGroupAttr::Member => Column::Exact("resource_id"),
        ScimGroupAttr::Created => Column::Time("create_time"),
        ScimGroupAttr::LastModified => Column::Time("update_time"),
    }
}

/// `expr op value` for text, with `co`/`sw`/`ew` as an escaped `LIKE`.
fn text_cmp(expr: SimpleExpr, op: ScimCmp, v: String) -> SimpleExpr {
    let like = |pattern: String| Expr::expr(expr.clone()).like(LikeExpr::new(pattern).escape('\\'));
    match op {
        ScimCmp::Eq => Expr::expr(expr).eq(v),
        ScimCmp::Ne => Expr::expr(expr).ne(v),
        ScimCmp::Co => like(format!("%{}%", escape_like(&v))),
        ScimCmp::Sw => like(format!("{}%", escape_like(&v))),
        ScimCmp::Ew => like(format!("%{}", escape_like(&v))),
        ScimCmp::Gt => Expr::expr(expr).gt(v),
        ScimCmp::Ge => Expr::expr(expr).gte(v),
        ScimCmp::Lt => Expr::expr(expr).lt(v),
        ScimCmp::Le => Expr::expr(expr).lte(v),
    }
}

fn ordered(expr: SimpleExpr, op: ScimCmp, v: SimpleExpr) -> Option<SimpleExpr> {
    Some(match op {
        ScimCmp::Eq => Expr::expr(expr).eq(v),
        ScimCmp::Ne => Expr::expr(expr).ne(v),
        ScimCmp::Gt => Expr::expr(expr).gt(v),
        ScimCmp::Ge => Expr::expr(expr).gte(v),
        ScimCmp::Lt => Expr::expr(expr).lt(v),
        ScimCmp::Le => Expr::expr(expr).lte(v),
        ScimCmp::Co | ScimCmp::Sw | ScimCmp::Ew => return None,
    })
}

/// `alias.id IN (SELECT key FROM table WHERE company_id = c AND <on column>)`.
fn side(
    alias: &str,
    company_id: i64,
    (table, key, column): (&str, &str, &str),
    on: impl FnOnce(SimpleExpr) -> SimpleExpr,
) -> SimpleExpr {
    let inner = Query::select()
        .column(Alias::new(key))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
        .and_where(on(Expr::col(Alias::new(column)).into()))
        .to_owned();
    Expr::col((Alias::new(alias), Alias::new("id"))).in_subquery(inner)
}

/// Renders one comparison on `column` of table `alias`; `false` when the value's type does not
/// fit the attribute (the server types values, so this is a guard, not a user error).
fn compare(alias: &str, company_id: i64, column: Column, op: ScimCmp, v: &ScimVal) -> SimpleExpr {
    let col = |c: &str| -> SimpleExpr { Expr::col((Alias::new(alias), Alias::new(c))).into() };
    let never = || Expr::cust("1 = 0");
    match (column, v) {
        (Column::Lower(c), ScimVal::Text(t)) => text_cmp(col(c), op, t.to_lowercase()),
        (Column::Exact(c), ScimVal::Text(t)) => text_cmp(col(c), op, t.clone()),
        (Column::Flag(c), ScimVal::Bool(b)) => {
            ordered(col(c), op, Expr::val(*b).into()).unwrap_or_else(never)
        }
        (Column::Time(c), ScimVal::Time(t)) => {
            ordered(col(c), op, Expr::val(*t).into()).unwrap_or_else(never)
        }
        (Column::Side(table, key, c), ScimVal::Text(t)) => {
            side(alias, company_id, (table, key, c), |e| {
                text_cmp(e, op, t.clone())
            })
        }
        _ => never(),
    }
}

fn present(alias: &str, company_id: i64, column: Column) -> SimpleExpr {
    let col = |c: &str| Expr::col((Alias::new(alias), Alias::new(c)));
    match column {
        Column::Lower(c) | Column::Exact(c) => col(c).ne(""),
        Column::Flag(_) | Column::Time(_) => Expr::cust("1 = 1"),
        Column::Side(table, key, c) => side(alias, company_id, (table, key, c), |e| {
            Expr::expr(e.clone())
                .is_not_null()
                .and(Expr::expr(e).ne(""))
        }),
    }
}

fn render<A: Copy>(
    cond: &ScimCond<A>,
    leaf: &dyn Fn(&ScimCond<A>) -> Option<SimpleExpr>,
    column: &dyn Fn(A) -> Column,
    alias: &str,
    company_id: i64,
) -> Condition {
    let rec = |c: &ScimCond<A>| render(c, leaf, column, alias, company_id);
    match cond {
        ScimCond::True => Condition::all(),
        ScimCond::All(items) => items
            .iter()
            .fold(Condition::all(), |acc, c| acc.add(rec(c))),
        ScimCond::Any(items) => items
            .iter()
            .fold(Condition::any(), |acc, c| acc.add(rec(c))),
        ScimCond::Not(inner) => rec(inner).not(),
        other => {
            let expr = leaf(other).unwrap_or_else(|| match other {
                ScimCond::Present(a) => present(alias, company_id, column(*a)),
                ScimCond::Cmp(a, op, v) => compare(alias, company_id, column(*a), *op, v),
                _ => Expr::cust("1 = 0"),
            });
            Condition::all().add(expr)
        }
    }
}

/// The users `cond` selects, on `target_users` aliased `alias`.
pub(crate) fn user_condition(
    cond: &ScimCond<ScimUserAttr>,
    alias: &str,
    company_id: i64,
) -> Condition {
    // `userName` is the email, or the provider's own userName when it was not an address
    // (scim_users.user_name_lower): either matches, each through its own index.
    fn user_name(c: &ScimCond<ScimUserAttr>, alias: &str, company_id: i64) -> Option<SimpleExpr> {
        match c {
            // `ne` is the negation of `eq`, over both spellings of userName.
            ScimCond::Cmp(ScimUserAttr::UserName, ScimCmp::Ne, v) => {
                let eq = ScimCond::Cmp(ScimUserAttr::UserName, ScimCmp::Eq, v.clone());
                user_name(&eq, alias, company_id).map(SimpleExpr::not)
            }
            ScimCond::Cmp(ScimUserAttr::UserName, ScimCmp::Eq, ScimVal::Text(t)) => {
                // The look-up every provider makes before a create: the ids from each index,
                // joined, so that neither engine walks the company's users (an OR across the two
                // tables made SQLite do that).
                let v = t.to_lowercase();
                let by_email = Query::select()
                    .column(Alias::new("id"))
                    .from(Alias::new("target_users"))
                    .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
                    .and_where(Expr::col(Alias::new("email_lower")).eq(v.clone()))
                    .to_owned();
                let by_name = Query::select()
                    .column(Alias::new("target_user_id"))
                    .from(Alias::new("scim_users"))
                    .and_where(Expr::col(Alias::new("company_id")).eq(company_id))
                    .and_where(Expr::col(Alias::new("user_name_lower")).eq(v))
                    .to_owned();
                let ids = by_email
                    .clone()
                    .union(sea_query::UnionType::Distinct, by_name)
                    .to_owned();
                Some(Expr::col((Alias::new(alias), Alias::new("id"))).in_subquery(ids))
            }
            ScimCond::Cmp(ScimUserAttr::UserName, op, ScimVal::Text(t)) => {
                let v = t.to_lowercase();
                let email = text_cmp(
                    Expr::col((Alias::new(alias), Alias::new("email_lower"))).into(),
                    *op,
                    v.clone(),
                );
                let kept = side(
                    alias,
                    company_id,
                    ("scim_users", "target_user_id", "user_name_lower"),
                    |e| text_cmp(e, *op, v),
                );
                Some(email.or(kept))
            }
            _ => None,
        }
    }
    render(
        cond,
        &|c| user_name(c, alias, company_id),
        &user_column,
        alias,
        company_id,
    )
}

/// The groups `cond` selects, on `target_groups` aliased `alias`.
pub(crate) fn group_condition(
    cond: &ScimCond<ScimGroupAttr>,
    alias: &str,
    company_id: i64,
) -> Condition {
    let member = |c: &ScimCond<ScimGroupAttr>| match c {
        ScimCond::Cmp(ScimGroupAttr::Member, op, ScimVal::Text(t)) => {
            let users = Query::select()
                .column((Alias::new("m"), Alias::new("group_id")))
                .from_as(Alias::new("target_group_members"), Alias::new("m"))
                .inner_join(
                    Alias::new("target_users"),
                    Expr::col((Alias::new("target_users"), Alias::new("id")))
                        .equals((Alias::new("m"), Alias::new("target_user_id"))),
                )
                .and_where(text_cmp(
                    Expr::col((Alias::new("target_users"), Alias::new("resource_id"))).into(),
                    *op,
                    t.clone(),
                ))
                .to_owned();
            Some(Expr::col((Alias::new(alias), Alias::new("id"))).in_subquery(users))
        }
        ScimCond::Present(ScimGroupAttr::Member) => {
            Some(Expr::col((Alias::new(alias), Alias::new("user_count"))).gt(0))
        }
        _ => None,
    };
    render(cond, &member, &group_column, alias, company_id)
}
