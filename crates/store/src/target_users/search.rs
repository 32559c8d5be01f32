//! The SQL of target-user searches and exports: the filter as each engine runs it fastest,
//! search pages (deep ones as a deferred join) and the export cursor's query.

use std::sync::LazyLock;

use sea_query::{Alias, Condition, Expr, Query, SelectStatement, SimpleExpr, Values};

use super::exported::{extra_columns, ExportExtras};
use super::record::{TargetUser, TargetUserCol as C};
use crate::fields::{DOMAIN_VERIFIED, GROUP_MEMBER, TARGET_GROUP};
use crate::open::Engine;
use crate::query::{CmpOp, Cond, SearchSpec, Val};
use crate::rows::{apply_order, FromColumns, ReadColumns};
use crate::{Result, SqlStore};

/// A row of [`SqlStore::counted_first_page_sql`]: a user, then the search's total.
pub(super) struct CountedRow {
    pub(super) user: TargetUser,
    pub(super) total: i64,
}

impl FromColumns for CountedRow {
    fn from_columns<R: ReadColumns + ?Sized>(r: &R) -> Result<Self> {
        Ok(CountedRow {
            user: TargetUser::from_columns(r)?,
            total: r.int(C::READ.len())?,
        })
    }
}

/// Search pages from this offset on are a deferred join (see `user_page_sql`).
const DEFERRED_JOIN_OFFSET: i64 = 1000;

/// Columns of the SQLite trigram index `target_users_fts` (migration 0003).
const FTS_COLUMNS: &[&str] = crate::fields::TARGET_USER_SEARCHED_COLUMNS;

/// Whether `c` holds for a user with this status and deletion, when it names nothing else;
/// `None` when it does (it needs the rows).
fn holds_for(c: &Cond, active: bool, deleted: bool) -> Option<bool> {
    let of = |column: &str| match column {
        _ if column == C::IsActive.name() => Some(active),
        _ if column == C::IsDeleted.name() => Some(deleted),
        _ => None,
    };
    match c {
        Cond::All(items) => items
            .iter()
            .try_fold(true, |acc, i| Some(holds_for(i, active, deleted)? && acc)),
        Cond::Any(items) => items
            .iter()
            .try_fold(false, |acc, i| Some(holds_for(i, active, deleted)? || acc)),
        Cond::Cmp {
            column,
            op,
            value: Val::Bool(v),
        } => {
            let x = of(column)?;
            Some(match op {
                CmpOp::Eq => x == *v,
                CmpOp::Ne => x != *v,
                CmpOp::Gt => x & !*v,
                CmpOp::Ge => x >= *v,
                CmpOp::Lt => !x & *v,
                CmpOp::Le => x <= *v,
            })
        }
        Cond::In { column, values } => {
            let x = of(column)?;
            values.iter().try_fold(false, |acc, v| match v {
                Val::Bool(b) => Some(acc || *b == x),
                _ => None,
            })
        }
        _ => None,
    }
}

/// Each counter cell of `target_user_counters` as a column expression: live active, live
/// inactive, deleted active, deleted inactive. [`status_cells`] answers in this order, and
/// `SqlStore::status_counts` and `month_skip` read the cells in it, through the two
/// statements below.
pub(super) const STATUS_CELLS: [&str; 4] = [
    "active",
    "inactive",
    "deleted_active",
    "deleted - deleted_active",
];

/// A company's counter rows: `month`, then each of [`STATUS_CELLS`].
pub(super) static MONTH_CELLS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT month, {} FROM target_user_counters WHERE company_id = $1",
        STATUS_CELLS.join(", ")
    )
});

/// Each of [`STATUS_CELLS`] summed over a company's counter rows (0 without any).
pub(super) static CELL_SUMS_SQL: LazyLock<String> = LazyLock::new(|| {
    let sums: Vec<String> = STATUS_CELLS
        .iter()
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)"))
        .collect();
    format!(
        "SELECT {} FROM target_user_counters WHERE company_id = $1",
        sums.join(", ")
    )
});

/// The counter cells a filter on Status and IsDeleted alone selects, in the order of
/// [`STATUS_CELLS`]: its total is their sum, read from the counters instead of counting rows
/// (issue #17).
pub(super) fn status_cells(cond: &Cond) -> Option<[bool; 4]> {
    Some([
        holds_for(cond, true, false)?,
        holds_for(cond, false, false)?,
        holds_for(cond, true, true)?,
        holds_for(cond, false, true)?,
    ])
}

/// On SQLite, answers a `Contains` on an indexed column from the trigram index instead of a
/// scan. The index needs at least three characters; GLOB (case-sensitive, like our LIKE) is the
/// operator it indexes, so needles with GLOB wildcards keep the plain LIKE.
fn sqlite_contains_from_index(c: &Cond) -> Option<SimpleExpr> {
    let Cond::Contains {
        column,
        needle,
        negated: false,
    } = c
    else {
        return None;
    };
    if !FTS_COLUMNS.contains(column)
        || needle.chars().count() < 3
        || needle.contains(['*', '?', '[', ']'])
    {
        return None;
    }
    // `column` comes from the allow-list above, never from input; the needle is bound.
    Some(Expr::cust_with_values(
        format!("id IN (SELECT rowid FROM target_users_fts WHERE {column} GLOB ?)"),
        [format!("*{needle}*")],
    ))
}

/// Whether a leaf on the `IsDomainVerified` field holds for a user whose domain is verified
/// (`v` true) or not: the field is a boolean that is never NULL, so any operator the parser
/// emits for it (comparisons, `Include`, `Contains` on its displayed `true`/`false`) reduces to
/// one of the two.
fn domain_leaf_holds(c: &Cond, v: bool) -> bool {
    let me = Val::Bool(v);
    match c {
        Cond::Cmp { op, value, .. } => match op {
            CmpOp::Eq => me == *value,
            CmpOp::Ne => me != *value,
            CmpOp::Gt => me > *value,
            CmpOp::Ge => me >= *value,
            CmpOp::Lt => me < *value,
            CmpOp::Le => me <= *value,
        },
        Cond::In { values, .. } => values.contains(&me),
        Cond::Contains {
            needle, negated, ..
        } => v.to_string().contains(needle.as_str()) != *negated,
        // The parser matches booleans' names itself; this keeps the reduction total.
        Cond::Shown { needle, .. } => v.to_string().contains(needle.as_str()),
        Cond::Null { negated, .. } => *negated,
        Cond::All(_) | Cond::Any(_) | Cond::Custom { .. } => false,
    }
}

/// Renders a leaf on `IsDomainVerified` as a probe of the allow-list's unique index on
/// (company, domain) for the row's stored `email_domain`.
fn domain_verified_leaf(c: &Cond) -> Option<SimpleExpr> {
    let column = c.leaf_column()?;
    if column != DOMAIN_VERIFIED {
        return None;
    }
    // Table and column names are constants, never input.
    let exists = "EXISTS (SELECT 1 FROM allow_list a WHERE a.company_id = target_users.company_id \
                  AND a.domain = target_users.email_domain AND a.is_verified)";
    Some(
        match (domain_leaf_holds(c, true), domain_leaf_holds(c, false)) {
            (true, true) => Expr::cust("1 = 1"),
            (false, false) => Expr::cust("1 = 0"),
            (true, false) => Expr::cust(exists),
            (false, true) => Expr::cust(format!("NOT {exists}")),
        },
    )
}

/// `id IN (members ...)`, or `NOT IN` when `outside`: the users of the memberships `members`
/// selects.
fn members(members: sea_query::SelectStatement, outside: bool) -> SimpleExpr {
    let id = Expr::col(Alias::new("id"));
    if outside {
        id.not_in_subquery(members)
    } else {
        id.in_subquery(members)
    }
}

/// Renders a leaf on `TargetGroup` or on the server's [`GROUP_MEMBER`] as a semi-join on the
/// memberships (index `target_group_members_user`, or the primary key for one group), so that
/// a group's members are found from the group rather than by probing every user.
fn group_leaf(c: &Cond, engine: Engine) -> Option<SimpleExpr> {
    let column = c.leaf_column()?;
    let of_groups = |cond: Option<Cond>| {
        let mut q = Query::select()
            .column((Alias::new("m"), Alias::new("target_user_id")))
            .from_as(Alias::new("target_group_members"), Alias::new("m"))
            .to_owned();
        if let Some(cond) = cond {
            // Unqualified names in the inner condition bind to the groups table: the
            // memberships have neither `resource_id` nor `name_lower`.
            q.join_as(
                sea_query::JoinType::InnerJoin,
                Alias::new("target_groups"),
                Alias::new("g"),
                Expr::cust("g.id = m.group_id"),
            )
            .cond_where(cond.to_condition(engine));
        }
        q
    };
    if column == GROUP_MEMBER {
        let Cond::Cmp { op, value, .. } = c else {
            return Some(Expr::cust("1 = 0"));
        };
        let q = Query::select()
            .column(Alias::new("target_user_id"))
            .from(Alias::new("target_group_members"))
            .and_where(Expr::col(Alias::new("group_id")).eq(match value {
                Val::Int(id) => *id,
                _ => 0,
            }))
            .to_owned();
        return Some(members(q, *op == CmpOp::Ne));
    }
    if column != TARGET_GROUP {
        return None;
    }
    let on = |column: &'static str, c: &Cond| {
        let mut c = c.clone();
        match &mut c {
            Cond::Cmp { column: k, .. }
            | Cond::In { column: k, .. }
            | Cond::Contains { column: k, .. }
            | Cond::Shown { column: k, .. }
            | Cond::Null { column: k, .. } => *k = column,
            Cond::All(_) | Cond::Any(_) | Cond::Custom { .. } => {}
        }
        c
    };
    Some(match c {
        // Not in the group: outside every membership of it, not "in some other group".
        Cond::Cmp {
            op: CmpOp::Ne,
            value,
            ..
        } => {
            let eq = Cond::Cmp {
                column: "resource_id",
                op: CmpOp::Eq,
                value: value.clone(),
            };
            members(of_groups(Some(eq)), true)
        }
        Cond::Contains {
            needle,
            negated: true,
            ..
        } => {
            let contains = Cond::Contains {
                column: "name_lower",
                needle: needle.to_lowercase(),
                negated: false,
            };
            members(of_groups(Some(contains)), true)
        }
        Cond::Contains { needle, .. } | Cond::Shown { needle, .. } => {
            let contains = Cond::Contains {
                column: "name_lower",
                needle: needle.to_lowercase(),
                negated: false,
            };
            members(of_groups(Some(contains)), false)
        }
        // In no group, or in some group.
        Cond::Null { negated, .. } => members(of_groups(None), !negated),
        _ => members(of_groups(Some(on("resource_id", c))), false),
    })
}

/// A leaf on a custom field as a correlated probe of the user's value (primary key on field
/// and user) instead of the semi-join on the field's matching values: for a page of many
/// matches, walking the sort order's index and probing each user stops after a page, where
/// the semi-join first gathers every match (`docs/performance.md`, custom fields).
fn custom_probe(c: &Cond, engine: Engine) -> Option<SimpleExpr> {
    let Cond::Custom { field, cond } = c else {
        return None;
    };
    let absent_holds = cond.holds_for_null();
    let inner = if absent_holds {
        cond.to_condition(engine).not()
    } else {
        cond.to_condition(engine)
    };
    let probe = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new("custom_field_values"))
        .and_where(Expr::col(Alias::new("field_id")).eq(*field))
        .and_where(
            Expr::col((
                Alias::new("custom_field_values"),
                Alias::new("target_user_id"),
            ))
            .equals((Alias::new(C::TABLE), Alias::new("id"))),
        )
        .cond_where(inner)
        .to_owned();
    let exists = Expr::exists(probe);
    Some(if absent_holds { exists.not() } else { exists })
}

/// The custom-field leaf and its field, when a filter is that one leaf and a user without a
/// value fails it: its matches are then exactly the field's values that meet it.
pub(super) fn lone_custom_leaf(cond: &Cond) -> Option<(i64, &Cond)> {
    match cond {
        Cond::Custom { field, cond } if !cond.holds_for_null() => Some((*field, cond)),
        _ => None,
    }
}

/// Matches from which a page's custom-field leaves are probed per user rather than gathered
/// (see [`custom_probe`]).
pub(super) const PROBE_CUSTOM_FROM: i64 = 1000;

impl SqlStore {
    /// A target-user filter rendered for this engine.
    pub(crate) fn user_condition(&self, cond: &Cond) -> Condition {
        self.user_condition_opts(cond, false, true)
    }

    /// [`SqlStore::user_condition`], with custom-field leaves probed per user when `probe`,
    /// and SQLite's `Contains` answered from the trigram index when `fts`.
    pub(super) fn user_condition_opts(&self, cond: &Cond, probe: bool, fts: bool) -> Condition {
        let engine = self.engine;
        cond.to_condition_with(engine, &|c| {
            domain_verified_leaf(c)
                .or_else(|| group_leaf(c, engine))
                .or_else(|| probe.then(|| custom_probe(c, engine)).flatten())
                .or_else(|| {
                    (fts && engine == Engine::Sqlite)
                        .then(|| sqlite_contains_from_index(c))
                        .flatten()
                })
        })
    }

    /// A search page's query. Shallow pages (`offset` under [`DEFERRED_JOIN_OFFSET`]) are a
    /// plain `ORDER BY ... LIMIT ... OFFSET`. Deeper ones are a deferred join: the page's ids
    /// first, skipping `offset` entries of the sort order's index without reading the rows
    /// (when the sort key is indexed and the filter needs no other column), then those rows by
    /// id. A plain OFFSET reads every row it skips (`docs/performance.md` has the figures).
    /// The outer query names no `company_id`: with it SQLite,
    /// lacking statistics, walks the company's whole index instead of looking the ids up.
    /// `scoped` names the company; `plain` keeps every page a plain query (a page of few
    /// matches, read through the filter's own access path: `plan::driven`). `one_plan`: the
    /// filter's selectivity does not depend on its bound values (none, or Status and IsDeleted
    /// alone), so PostgreSQL may keep one cached plan for it.
    pub(super) fn user_page_sql(
        &self,
        scoped: Condition,
        spec: &SearchSpec,
        plain: bool,
        one_plan: bool,
    ) -> (String, Values) {
        let mut inner = Query::select()
            .from(Alias::new(C::TABLE))
            .cond_where(scoped)
            .to_owned();
        if plain || spec.offset < DEFERRED_JOIN_OFFSET {
            inner.expr(Expr::cust(C::SELECT));
            apply_order(&mut inner, spec);
            if spec.offset == 0 && one_plan {
                return self.with_written_limit(inner, spec.limit);
            }
            return self.render(&inner);
        }
        inner.column(C::Id);
        apply_order(&mut inner, spec);
        let mut page = Query::select()
            .expr(Expr::cust(C::SELECT))
            .from(Alias::new(C::TABLE))
            .and_where(Expr::col(C::Id).in_subquery(inner))
            .to_owned();
        apply_order(&mut page, spec);
        page.reset_limit().reset_offset();
        self.render(&page)
    }

    /// A first page's query rendered with its LIMIT written into the statement (an integer,
    /// never request text): bound, it made PostgreSQL's generic plan look costly, so the page
    /// was planned afresh on every call; written, the cached plan is kept. Only for filters
    /// whose selectivity does not depend on their values: a generic plan cannot see a `LIKE`
    /// pattern's rarity, and walked the sort order's whole index for a rare one instead of
    /// reading its trigram index.
    fn with_written_limit(&self, mut page: SelectStatement, limit: i64) -> (String, Values) {
        page.reset_limit().reset_offset();
        let (sql, values) = self.render(&page);
        (format!("{sql} LIMIT {}", limit.max(0)), values)
    }

    /// PostgreSQL: the first page of a search on Status and IsDeleted alone, each row carrying
    /// the search's total, summed from the company's counter cells `cells` (in the order of
    /// [`status_cells`]) by a subquery: one round trip instead of two for the most common
    /// search (`docs/performance.md`, "PostgreSQL: a first page carries its total").
    pub(super) fn counted_first_page_sql(
        &self,
        company_id: i64,
        scoped: Condition,
        spec: &SearchSpec,
        cells: [bool; 4],
    ) -> (String, Values) {
        let sum: Vec<String> = STATUS_CELLS
            .iter()
            .zip(cells)
            .filter(|(_, on)| *on)
            .map(|(cell, _)| format!("({cell})"))
            .collect();
        let sum = if sum.is_empty() {
            "0".to_owned()
        } else {
            sum.join(" + ")
        };
        // `sum` is built from the constant cell names, never from the request; `$1` is
        // PostgreSQL's placeholder, numbered within this expression.
        let total = Expr::cust_with_values(
            format!(
                "(SELECT CAST(COALESCE(SUM({sum}), 0) AS BIGINT) FROM target_user_counters \
                 WHERE company_id = $1)"
            ),
            [company_id],
        );
        let mut page = Query::select()
            .expr(Expr::cust(C::SELECT))
            .expr(total)
            .from(Alias::new(C::TABLE))
            .cond_where(scoped)
            .to_owned();
        apply_order(&mut page, spec);
        self.with_written_limit(page, spec.limit)
    }

    /// The export cursor's query: the search's condition and order, every match when `all`,
    /// and the extra columns `extras` asks for.
    pub(super) fn user_export_sql(
        &self,
        company_id: i64,
        spec: &SearchSpec,
        all: bool,
        extras: ExportExtras,
    ) -> (String, Values) {
        let mut page = Query::select()
            .expr(Expr::cust(C::SELECT))
            .expr(Expr::cust(extra_columns(self.engine, extras)))
            .from(Alias::new(C::TABLE))
            .and_where(Expr::col(C::CompanyId).eq(company_id))
            .cond_where(self.user_condition(&spec.cond))
            .to_owned();
        apply_order(&mut page, spec);
        if all {
            page.reset_limit().reset_offset();
        }
        self.render(&page)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::query::{CmpOp, Cond, Order, SearchSpec, Val};
    use crate::rows::sqlite_plan;
    use crate::SqlStore;

    /// `cond` for company 7, as the search renders it.
    fn scoped(store: &SqlStore, cond: &Cond) -> sea_query::Condition {
        let (c, _) = super::super::plan::driven(7, cond, super::super::plan::Drive::Plain);
        store.user_condition(&c)
    }

    fn plan(store: &SqlStore, conn: &rusqlite::Connection, order: Vec<Order>) -> Vec<String> {
        let spec = SearchSpec {
            cond: Cond::Cmp {
                column: "is_deleted",
                op: CmpOp::Eq,
                value: Val::Bool(false),
            },
            order,
            offset: 0,
            limit: 10,
        };
        let (sql, values) = store.user_export_sql(1, &spec, true, Default::default());
        sqlite_plan(conn, &sql, &values)
    }

    /// A deep search page on SQLite, with no planner statistics (rollcall never gathers any):
    /// the ids come from the sort order's index alone and the rows are then looked up by id,
    /// instead of walking the company's whole index.
    #[tokio::test]
    async fn sqlite_deep_pages_look_rows_up_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open("", dir.path()).await.unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("rollcall.db")).unwrap();
        let key = |column, ascending| Order {
            column,
            ascending,
            nullable: false,
            custom: None,
        };
        for (column, offset) in [("create_time", 5000), ("email_lower", 200_000)] {
            let spec = SearchSpec {
                cond: Cond::All(vec![]),
                order: vec![key(column, false), key("id", false)],
                offset,
                limit: 1000,
            };
            let (sql, values) =
                store.user_page_sql(scoped(&store, &spec.cond), &spec, false, false);
            let plan = sqlite_plan(&conn, &sql, &values);
            assert!(
                plan.iter()
                    .any(|l| l.contains("SEARCH target_users USING INTEGER PRIMARY KEY (rowid=?)")),
                "{column}: rows by id: {plan:?}"
            );
            assert!(
                plan.iter()
                    .any(|l| l.contains("USING COVERING INDEX target_users_")),
                "{column}: ids from the index alone: {plan:?}"
            );
        }
        // Shallow pages keep the plain query.
        let spec = SearchSpec {
            cond: Cond::All(vec![]),
            order: vec![key("create_time", false), key("id", false)],
            offset: 0,
            limit: 10,
        };
        let (sql, _) = store.user_page_sql(scoped(&store, &spec.cond), &spec, false, false);
        assert!(!sql.contains(" IN (SELECT"), "{sql}");
    }

    /// On SQLite an export reads the users in the order of an index, with no sort of every row
    /// (a temporary b-tree), for the default order and each indexed sort, both directions.
    #[tokio::test]
    async fn sqlite_exports_walk_an_index_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqlStore::open("", dir.path()).await.unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("rollcall.db")).unwrap();
        let key = |column, ascending, nullable| Order {
            column,
            ascending,
            nullable,
            custom: None,
        };
        for column in [
            "create_time",
            "email_lower",
            "first_name_lower",
            "last_name_lower",
            "department_lower",
        ] {
            for ascending in [false, true] {
                let p = plan(
                    &store,
                    &conn,
                    vec![key(column, ascending, false), key("id", ascending, false)],
                );
                assert!(
                    p.iter().all(|l| !l.contains("TEMP B-TREE")),
                    "{column} ascending={ascending}: {p:?}"
                );
                assert!(
                    p.iter().any(|l| l.contains("USING INDEX target_users_")),
                    "{column} ascending={ascending}: {p:?}"
                );
            }
        }
        // Keys that may hold NULL keep their NULLS clause, which SQLite can only honour by
        // sorting (the order every export had before): the check above would see it.
        let p = plan(
            &store,
            &conn,
            vec![key("create_time", false, true), key("id", false, true)],
        );
        assert!(p.iter().any(|l| l.contains("TEMP B-TREE")), "{p:?}");
    }
}
